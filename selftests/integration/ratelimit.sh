#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# rate-limit against real floods: tools/pktgen in g and in h (pinned to
# CPU 0 and CPU 1) sends UDP to r, where sluiced has XDP (native) on r0
# and r1 and a UDP counter (selftests/lib/udpcount.py) counts what got
# through, per source.  A veth's NAPI runs on the CPU that sent into it,
# so sluice's program runs on both CPUs and they share the buckets.  Two
# generator namespaces, not two pktgens in one: pktgen keeps its program
# in the dispatcher through the namespace's lo, which only one can hold,
# and the other one's runs would come in bursts 24 ms apart.
#
#   g (pktgen --cpu 0) --- r0 [r: sluiced, XDP native] r1 --- h (pktgen --cpu 1)
#                             [udpcount :9]
#
# What got through must match the limit, for a limit per rule in packets
# and in bits per second, per source for 100 sources at once, per IPv6
# /64, and per /16 while a spoofed flood from a million sources churns the
# bucket table past its bound.  The bounds are loose (a lower bound that
# only a generator far below the limit misses, an upper bound of the
# limit over the wall-clock time plus the burst): a loaded 2-core host
# must not fail them; the measured accuracy is printed as a diagnostic.
. "$(dirname "$0")/../lib/tap.sh"

PG=$SLUICE_BUILD/pktgen
COUNT=$(dirname "$0")/../lib/udpcount.py
if [ "$(nproc)" -lt 2 ]; then
	echo "1..0 # SKIP needs 2 CPUs"
	exit 0
fi
if [ ! -x "$PG" ]; then
	echo "Bail out! $PG is missing (build first: make)"
	exit 1
fi

plan 36
lab_init rl
ns_add r && ns_add g && ns_add h || exit 1
veth g 10.215.1.2/24 r 10.215.1.1/24 0 &&
	veth h 10.215.3.2/24 r 10.215.3.1/24 1 || exit 1
R0=${TAG}r0 R1=${TAG}r1
nsx r sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
	net.ipv6.conf.default.disable_ipv6=0 net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.default.rp_filter=0 "net.ipv4.conf.$R0.rp_filter=0" \
	"net.ipv4.conf.$R1.rp_filter=0" "net.ipv6.conf.$R0.disable_ipv6=0" \
	"net.ipv6.conf.$R1.disable_ipv6=0" || exit 1
ip -n "sl-$TAG-r" addr add fd00:215::1/64 dev "$R0" nodad &&
	ip -n "sl-$TAG-r" route add 10.0.0.0/8 dev "$R0" &&
	ip -n "sl-$TAG-r" route add 11.0.0.0/8 dev "$R0" &&
	ip -n "sl-$TAG-r" route add fd00:215::/32 dev "$R0" || exit 1
MAC_g=$(nsx r cat "/sys/class/net/$R0/address")
MAC_h=$(nsx r cat "/sys/class/net/$R1/address")

daemon_start r || exit 1
check "attach r0 and r1 native" sh -c "
	'$SLUICE' -s '$SOCK' attach '$R0' mode native >/dev/null &&
	'$SLUICE' -s '$SOCK' attach '$R1' mode native >/dev/null"

# counter_start: udpcount on port 9 in r, its JSON into $LAB_DIR/count.
counter_start() {
	rm -f "$LAB_DIR/ready" "$LAB_DIR/count"
	nsx r "$PY" "$COUNT" 9 "$LAB_DIR/ready" >"$LAB_DIR/count" &
	CPID=$!
	lab_pid "$CPID"
	_i=0
	while [ ! -e "$LAB_DIR/ready" ] && [ $_i -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
}

# counter_wait: udpcount has seen the flood end.
counter_wait() {
	wait "$CPID"
}

# flood SECS [g|h ARGS...]...: pktgens at once, one per "--" group, in
# the namespace the group names first (g sends into r0, h into r1), each
# for SECS; $WALL is the wall-clock milliseconds from the first start to
# the last end.
flood() {
	_secs=$1
	shift
	_t0=$(date +%s%N)
	_pids=""
	_k=0
	while [ $# -gt 0 ]; do
		_ns=$1 _args=""
		shift
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			_args="$_args $1"
			shift
		done
		[ $# -gt 0 ] && shift
		# shellcheck disable=SC2086 # the group's words, split on purpose
		eval "_mac=\$MAC_$_ns"
		if [ "$_ns" = g ]; then _dev=${TAG}g0; else _dev=${TAG}h1; fi
		nsx "$_ns" "$PG" -i "$_dev" --dst-mac "$_mac" --duration "$_secs" \
			$_args >"$LAB_DIR/pg$_k.out" 2>&1 &
		_pids="$_pids $!"
		lab_pid $!
		_k=$((_k + 1))
	done
	for _p in $_pids; do
		wait "$_p"
	done
	_t1=$(date +%s%N)
	WALL=$(((_t1 - _t0) / 1000000))
	for _f in "$LAB_DIR"/pg*.out; do
		diag "pktgen: $(tail -n 1 "$_f")"
	done
	rm -f "$LAB_DIR"/pg*.out
}

# got EXPR: from the counter's JSON (d).
got() {
	jx "$1" <"$LAB_DIR/count"
}

# within NAME VALUE RATE SECS BURST: the check of a limit of RATE a
# second and BURST, over a flood of SECS seconds: VALUE is no less than
# 80% of RATE * SECS, no more than RATE over $WALL ms plus BURST, plus 2%;
# the error against RATE * SECS + BURST is printed.
within() {
	_want=$(($3 * $4 + $5))
	_lo=$(($3 * $4 * 8 / 10))
	_hi=$((($3 * WALL / 1000 + $5) * 102 / 100))
	diag "$1: $2 against $_want (limit x time + burst):" \
		"$("$PY" -c "print('%+.2f%%' % (($2 - $_want) * 100.0 / $_want))")," \
		"bounds $_lo..$_hi over ${WALL} ms"
	cmp_ok "$1: no less than 80% of the limit" "$2" -ge "$_lo"
	cmp_ok "$1: no more than the limit over the wall-clock time" "$2" -le "$_hi"
}

# rule_rl PRIO FIELD: the rule's stats (packets or rate_limited).
rule_rl() {
	sl -j stats 2>/dev/null | jx "
sum(r['$2']['packets'] if '$2' != 'packets' else r['packets']
    for r in d['rules'] if r['prio'] == $1)"
}

# 1. One bucket for the rule, 10,000 packets/s, fed from both CPUs.
check "rule 10: rate-limit 10000/100" \
	sl rule add 10 proto udp dport 9 rate-limit 10000/100
like "rule list shows the limit" "$(sl rule list)" \
	"10 proto udp dport 9 rate-limit 10000/100\$"
counter_start
flood 5 g --cpu 0 --rate 40000 --src 10.215.1.2 --dst 10.215.1.1 -- \
	h --cpu 1 --rate 40000 --src 10.215.3.2 --dst 10.215.1.1
counter_wait
within "10000 pps, flood on both CPUs" "$(got "d['total']")" 10000 5 100
per_cpu=$(sl -j stats --per-cpu | jx "
[c['packets'] for r in d['rules'] if r['prio'] == 10 for c in r['per_cpu']]")
diag "rule 10's packets per CPU: $(echo $per_cpu)"
# shellcheck disable=SC2086
set -- $per_cpu
cmp_ok "rule 10 saw the flood on CPU 0" "${1:-0}" -ge 10000
cmp_ok "rule 10 saw the flood on CPU 1" "${2:-0}" -ge 10000
hits=$(rule_rl 10 packets) dropped=$(rule_rl 10 rate_limited)
is "stats: admitted (hits less drops) is what the receiver counted" \
	"$((hits - dropped))" "$(got "d['total']")"
like "metrics: the rule's drops over the limit" "$(sl metrics)" \
	"sluice_rule_rate_limited_packets_total\\{rule=\"10\"\\} $dropped"
exc=$(sl metrics | sed -n "s/^sluice_exceptions_total{.*hook=\"xdp\",reason=\"rate-limit\"} //p" |
	awk '{ s += $1 } END { print s + 0 }')
is "metrics: the rate-limit exceptions of r0 and r1 are the rule's drops" \
	"$exc" "$dropped"
check "rule del 10" sl rule del 10

# 2. Bits per second: 8 Mbit/s of 1,000-byte frames is 1,000 frames/s.
# The burst (50 ms of it) must cover how late a NAPI poll may judge
# frames that queued meanwhile: a burst of a few frames would lose what
# refilled while it waited.
check "rule 11: rate-limit 8mbit/50000b" \
	sl rule add 11 proto udp dport 9 rate-limit 8mbit/50000b
counter_start
flood 3 g --cpu 0 --rate 5000 --size 1000 --src 10.215.1.2 \
	--dst 10.215.1.1 -- h --cpu 1 --rate 5000 --size 1000 \
	--src 10.215.3.2 --dst 10.215.1.1
counter_wait
within "8 Mbit/s in 1000-byte frames" "$(got "d['total']")" 1000 3 50
hits=$(rule_rl 11 packets) dropped=$(rule_rl 11 rate_limited)
is "stats: admitted by rule 11 is what the receiver counted" \
	"$((hits - dropped))" "$(got "d['total']")"
check "rule del 11" sl rule del 11

# 3. Per source: 100 sources, 100 packets/s each, offered 300.
check "rule 12: rate-limit 100/10 per src" \
	sl rule add 12 proto udp dport 9 rate-limit 100/10 per src
counter_start
flood 4 g --cpu 0 --rate 15000 --src 10.215.2.1-10.215.2.100 \
	--dst 10.215.1.1 -- h --cpu 1 --rate 15000 \
	--src 10.215.2.1-10.215.2.100 --dst 10.215.1.1
counter_wait
is "per src: 100 sources got through" "$(got "len(d['sources'])")" 100
within "per src, the least of 100 sources" \
	"$(got "min(d['sources'].values())")" 100 4 10
within "per src, the most of 100 sources" \
	"$(got "max(d['sources'].values())")" 100 4 10
check "rule del 12" sl rule del 12

# 4. IPv6 per /64: 255 sources of one /64 share one bucket.
check "rule 13: rate-limit 500/50 per src/64" \
	sl rule add 13 proto udp dport 9 rate-limit 500/50 per src/64
counter_start
flood 3 g --cpu 0 --rate 3000 --src fd00:215:0:5::1-fd00:215:0:5::ff \
	--dst fd00:215::1 -- h --cpu 1 --rate 3000 \
	--src fd00:215:0:6::1-fd00:215:0:6::ff --dst fd00:215::1
counter_wait
within "IPv6 per src/64, the first /64" \
	"$(got "sum(v for k, v in d['sources'].items() if k.startswith('fd00:215:0:5:'))")" \
	500 3 50
within "IPv6 per src/64, the second /64" \
	"$(got "sum(v for k, v in d['sources'].items() if k.startswith('fd00:215:0:6:'))")" \
	500 3 50
check "rule del 13" sl rule del 13

# 5. A spoofed flood from a million sources past the table's bound, and a
# /16 limited all along.
check "rules 14, 15: per src, per src/16" sh -c "
	'$SLUICE' -s '$SOCK' rule add 14 src 10.0.0.0/8 proto udp dport 10 rate-limit 1/1 per src &&
	'$SLUICE' -s '$SOCK' rule add 15 src 11.0.0.0/8 proto udp dport 9 rate-limit 100/10 per src/16"
counter_start
flood 4 g --cpu 0 --rate 400000 --src 10.0.0.0-10.15.255.255 \
	--dst 10.215.1.1 --dport 10 -- h --cpu 1 --rate 2000 \
	--src 11.1.0.1-11.1.0.200 --dst 10.215.1.1
counter_wait
status=$(sl -j status)
made=$(echo "$status" | jx "d['maps']['rl_buckets'] + d['maps']['rl_evictions']")
diag "buckets: $(echo "$status" | jx "d['maps']")"
cmp_ok "spoofed: more buckets made than the table holds" "$made" -gt \
	"$(echo "$status" | jx "d['maps']['rl_buckets_max']")"
cmp_ok "spoofed: the table stays within its bound" \
	"$(echo "$status" | jx "d['maps']['rl_buckets']")" -le \
	"$(echo "$status" | jx "d['maps']['rl_buckets_max']")"
cmp_ok "spoofed: evictions counted" \
	"$(echo "$status" | jx "d['maps']['rl_evictions']")" -gt 0
within "per src/16 under the spoofed flood" "$(got "d['total']")" 100 4 10
like "status: the bucket table's fill" "$(sl status)" \
	"^rate-limit buckets: [0-9]+/262144, evicted [1-9][0-9]*\$"
