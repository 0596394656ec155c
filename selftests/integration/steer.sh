#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# steer: XDP hands packets to the cpumap, by a flow hash that is the same
# both ways, and the stack takes them on the chosen CPU.  tools/pktgen,
# pinned to CPU 0, sends UDP from g to the router r; r's nftables counts
# at prerouting which CPU the stack ran on for each packet ("meta cpu")
# and drops them there.  Without steer everything stays on the sender's
# CPU 0 (the veth's NAPI runs where the frames were sent): that proves the
# measurement.  With "steer" many flows spread over both CPUs, one flow
# stays on one CPU, a flow and its reverse share one, "steer 1" moves all
# to CPU 1, and on tc steer passes, counted unsupported.
#
#   g (10.214.1.2, pktgen --cpu 0) --- r0 [r: sluiced, XDP native] (10.214.1.1)
#
# g has IPv6 off and sends nothing of its own.  pktgen's frames are XDP
# frames into r0, which takes them in its NAPI because sluice's XDP
# program is attached (on tc: GRO on r0 gives it NAPI).
. "$(dirname "$0")/../lib/tap.sh"

PG=$SLUICE_BUILD/pktgen
if [ "$(nproc)" -lt 2 ]; then
	echo "1..0 # SKIP needs 2 CPUs"
	exit 0
fi
if [ ! -x "$PG" ]; then
	echo "Bail out! $PG is missing (build first: make)"
	exit 1
fi

plan 17
lab_init st
ns_add r && ns_add g && veth g 10.214.1.2/24 r 10.214.1.1/24 0 || exit 1
R0=${TAG}r0 G0=${TAG}g0
RMAC=$(nsx r cat "/sys/class/net/$R0/address")

nsx r nft -f - <<EOF || exit 1
table inet sl {
	counter cpu0 { }
	counter cpu1 { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		meta l4proto udp meta cpu 0 counter name cpu0 drop
		meta l4proto udp meta cpu 1 counter name cpu1 drop
	}
}
EOF
# which N "CPU0 CPU1": the CPU that handled (nearly: 97%, as cpumap and
# veth queues may drop under load) all N packets, and none on the other;
# "split" if there is no such CPU.
which() {
	# shellcheck disable=SC2086 # "CPU0 CPU1" split on purpose
	set -- "$1" $2
	if [ "$3" -eq 0 ] && [ "$2" -ge $(($1 * 97 / 100)) ]; then
		echo 0
	elif [ "$2" -eq 0 ] && [ "$3" -ge $(($1 * 97 / 100)) ]; then
		echo 1
	else
		echo split
	fi
}

cpus() {
	echo "$(nsx r nft list counter inet sl cpu0 | sed -n 's/.*packets \([0-9]*\).*/\1/p')" \
		"$(nsx r nft list counter inet sl cpu1 | sed -n 's/.*packets \([0-9]*\).*/\1/p')"
}

# send COUNT PKTGEN-ARGS...: COUNT UDP frames from g to r0 at 20 kpps,
# from CPU 0; then the packets per CPU the stack saw, "cpu0 cpu1" (deltas).
send() {
	_c=$1
	shift
	# shellcheck disable=SC2046 # "cpu0 cpu1" split on purpose
	set -- $(cpus) "$_c" "$@"
	_a=$1 _b=$2 _c=$3
	shift 3
	nsx g "$PG" -i "$G0" --dst-mac "$RMAC" --count "$_c" --rate 20000 \
		--cpu 0 "$@" >"$LAB_DIR/pktgen.out" 2>&1 ||
		diag "pktgen: $(cat "$LAB_DIR/pktgen.out")"
	# Let the cpumap queues drain.
	sleep 0.2
	# shellcheck disable=SC2046
	set -- $(cpus)
	echo "$(($1 - _a)) $(($2 - _b))"
}

cat >"$CONF" <<EOF
rule add 10 proto udp steer
EOF
daemon_start r || exit 1
check "attach r0 native" sl attach "$R0" mode native

# 1. The measurement: with the steer rule out of the way, all on CPU 0.
check "rule 5 passes UDP before the steer rule" sl rule add 5 proto udp pass
got=$(send 5000 --dst 10.214.1.1 --src 10.214.1.10-10.214.1.209)
diag "no steer, 200 flows: cpu0 cpu1 = $got"
is "no steer: 5000 packets of 200 flows, all handled on CPU 0" \
	"$(which 5000 "$got")" 0
check "rule del 5" sl rule del 5

# 2. Many flows over both CPUs.
s0=$(stat_pk "$R0" xdp actions steer) r0=$(rule_pk 10)
got=$(send 20000 --dst 10.214.1.1 --src 10.214.1.10-10.214.1.209)
diag "steer, 200 flows: cpu0 cpu1 = $got"
# shellcheck disable=SC2086
set -- $got
cmp_ok "steer: the 20000 reached the stack (99%: cpumap queues may drop under load)" \
	"$(($1 + $2))" -ge 19800
cmp_ok "steer: CPU 0 handled at least a quarter" "$1" -ge 5000
cmp_ok "steer: CPU 1 handled at least a quarter" "$2" -ge 5000
is "steer: sluice counted 20000 steered on r0, 20000 hits of rule 10" \
	"$(($(stat_pk "$R0" xdp actions steer) - s0)) $(($(rule_pk 10) - r0))" \
	"20000 20000"

# 3. One flow stays on one CPU; a flow and its reverse share a CPU.
# (The flows differ in source port as well as address.)
same=0 one=0 flows="" seen=""
for h in 11 12 13 14 15 16; do
	fw=$(send 300 --dst 10.214.1.1 --src 10.214.1.$h --sport 40$h --dport 53)
	rv=$(send 300 --dst 10.214.1.$h --src 10.214.1.1 --sport 53 --dport 40$h)
	flows="$flows [$h: $fw / $rv]"
	w=$(which 300 "$fw")
	[ "$w" != split ] && one=$((one + 1)) && seen="$seen $w"
	[ "$w" != split ] && [ "$w" = "$(which 300 "$rv")" ] && same=$((same + 1))
done
diag "per flow, cpu0 cpu1, forward / reverse:$flows"
is "steer: each of 6 flows stayed whole on one CPU" "$one" 6
is "steer: each flow's reverse went to the same CPU (symmetric hash)" "$same" 6
case "$seen" in
*0*1* | *1*0*) spread=yes ;;
*) spread=no ;;
esac
is "steer: the 6 flows did not all land on the same CPU" "$spread" yes

# 4. steer 1: all to CPU 1, though sent and received on CPU 0.
check "rule 10 becomes steer 1" sh -c "'$SLUICE' -s '$SOCK' rule del 10 &&
	'$SLUICE' -s '$SOCK' rule add 10 proto udp steer 1"
got=$(send 5000 --dst 10.214.1.1 --src 10.214.1.10-10.214.1.209)
diag "steer 1: cpu0 cpu1 = $got"
is "steer 1: all 5000 handled on CPU 1" "$(which 5000 "$got")" 1

# 5. tc has no cpumap: steer passes, counted unsupported, nothing moves.
check "attach r0 tc" sh -c "'$SLUICE' -s '$SOCK' detach '$R0' &&
	ip netns exec sl-$TAG-r ethtool -K '$R0' gro on >/dev/null &&
	'$SLUICE' -s '$SOCK' attach '$R0' mode tc"
u0=$(stat_pk "$R0" tc reasons unsupported) p0=$(stat_pk "$R0" tc actions pass)
got=$(send 2000 --dst 10.214.1.1 --src 10.214.1.10-10.214.1.209)
diag "tc: cpu0 cpu1 = $got"
is "tc: steer does not move packets: all 2000 on CPU 0" "$(which 2000 "$got")" 0
is "tc: 2000 passed, reason unsupported" \
	"$(($(stat_pk "$R0" tc actions pass) - p0)) $(($(stat_pk "$R0" tc reasons unsupported) - u0))" \
	"2000 2000"
check "sluiced is running" daemon_alive
