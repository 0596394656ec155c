#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# An L2 cross-connect: two veths of a namespace x that has no address on
# them, joined by "rule add 20 in X0 redirect X1" and the reverse (rules
# 10 and 11 do the same for ICMP only, to count the pings exactly: a and
# b also send MLD reports now and then).  a and
# b, on one subnet, reach each other through it -- ARP, ND, ping v4 and
# v6, 20 MB over TCP -- on XDP (native) and on tc, every frame counted as
# a redirect by its rule and its port, none seen by x's stack.
#
#   a (10.213.1.1, fd00:213::1) --- x0 [x: sluiced, no IP] x1 --- b (10.213.1.2, fd00:213::2)
#
# As in forward.sh: GRO on a0 and b1 (their NAPI takes the XDP frames),
# and the senders keep their default offloads (checksum, TSO): mode auto
# puts x0 and x1, veths that redirect, at tc.  (Generic XDP cannot
# redirect the senders' 64 KB GSO aggregates: the devmap refuses a frame
# over the egress MTU, and sluice status warns of it.)
. "$(dirname "$0")/../lib/tap.sh"

plan 30
lab_init xc

AA=10.213.1.1 BB=10.213.1.2 AA6=fd00:213::1 BB6=fd00:213::2
ns_add x && ns_add a && ns_add b || exit 1
for n in a b; do
	nsx $n sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.default.disable_ipv6=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 || exit 1
done
X0=${TAG}x0 X1=${TAG}x1 AD=${TAG}a0 BD=${TAG}b1
ip link add "$X0" netns "sl-$TAG-x" type veth peer name "$AD" netns "sl-$TAG-a" &&
	ip link add "$X1" netns "sl-$TAG-x" type veth peer name "$BD" netns "sl-$TAG-b" &&
	ip -n "sl-$TAG-a" addr add $AA/24 dev "$AD" &&
	ip -n "sl-$TAG-b" addr add $BB/24 dev "$BD" &&
	ip -n "sl-$TAG-a" addr add $AA6/64 dev "$AD" nodad &&
	ip -n "sl-$TAG-b" addr add $BB6/64 dev "$BD" nodad &&
	nsx a ethtool -K "$AD" gro on >/dev/null &&
	nsx b ethtool -K "$BD" gro on >/dev/null || exit 1
for d in "$X0" "$X1"; do ip -n "sl-$TAG-x" link set "$d" up || exit 1; done
ip -n "sl-$TAG-a" link set "$AD" up && ip -n "sl-$TAG-b" link set "$BD" up || exit 1

# What x's stack sees of them: nftables at netdev ingress, which comes
# after XDP and after tc ingress.
nsx x nft -f - <<EOF || exit 1
table netdev sl {
	counter seen { }
	chain in0 {
		type filter hook ingress device "$X0" priority 0; policy accept;
		counter name seen
	}
	chain in1 {
		type filter hook ingress device "$X1" priority 0; policy accept;
		counter name seen
	}
}
EOF
seen() {
	nsx x nft list counter netdev sl seen | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

cat >"$CONF" <<EOF
rule add 10 in $X0 proto icmp redirect $X1
rule add 11 in $X1 proto icmp redirect $X0
rule add 20 in $X0 redirect $X1
rule add 21 in $X1 redirect $X0
EOF
daemon_start x || exit 1

SRC=$LAB_DIR/src.bin DST=$LAB_DIR/dst.bin
head -c 20971520 /dev/urandom >"$SRC" || exit 1
SRC_SUM=$(sha256sum <"$SRC" | cut -d' ' -f1)

port=6000
for mode in auto tc; do
	hook=tc
	[ $mode = generic ] && hook=xdp
	diag "--- $mode"
	sl detach "$X0" >/dev/null 2>&1
	sl detach "$X1" >/dev/null 2>&1
	# Forget the neighbours: ARP and ND must cross again.
	nsx a ip neigh flush dev "$AD"
	nsx b ip neigh flush dev "$BD"
	check "$mode: attach x0 and x1" \
		sh -c "'$SLUICE' -s '$SOCK' attach '$X0' mode $mode &&
			'$SLUICE' -s '$SOCK' attach '$X1' mode $mode"
	[ $mode = auto ] &&
		is "auto: veths that redirect are attached at tc" \
			"$(iface_field "$X0" mode) $(iface_field "$X1" mode)" "tc tc"

	s0=$(seen)
	is "$mode: ping a -> b across, ARP first (3 of 3)" "$(ping_rx a $BB 3 0.05)" 3
	is "$mode: ping -6 a -> b across, ND first (3 of 3)" \
		"$(nsx a ping -6 -n -q -c 3 -i 0.05 -W 1 $BB6 2>/dev/null |
			sed -n 's/.* \([0-9]*\) received.*/\1/p')" 3
	r10=$(rule_pk 10) r11=$(rule_pk 11)
	x0=$(stat_pk "$X0" $hook actions redirect) x1=$(stat_pk "$X1" $hook actions redirect)
	p0=$(stat_pk "$X0" $hook actions pass) p1=$(stat_pk "$X1" $hook actions pass)
	is "$mode: ping b -> a: 10 of 10" "$(ping_rx b $AA 10 0.02)" 10
	is "$mode: rules 10 (replies, in x0) and 11 (requests, in x1) counted 10 each" \
		"$(($(rule_pk 10) - r10)) $(($(rule_pk 11) - r11))" "10 10"
	cmp_ok "$mode: x0 counted the redirects (>= 10)" \
		"$(($(stat_pk "$X0" $hook actions redirect) - x0))" -ge 10
	cmp_ok "$mode: x1 counted the redirects (>= 10)" \
		"$(($(stat_pk "$X1" $hook actions redirect) - x1))" -ge 10
	is "$mode: and passed nothing to x's stack" \
		"$(($(stat_pk "$X0" $hook actions pass) - p0)) $(($(stat_pk "$X1" $hook actions pass) - p1))" \
		"0 0"

	port=$((port + 1))
	rm -f "$DST"
	nsx b timeout 20 socat -u "TCP4-LISTEN:$port,reuseaddr" "OPEN:$DST,creat,trunc" &
	lp=$!
	lab_pid $lp
	i=0
	while [ $i -lt 50 ] && ! nsx b ss -Hltn "sport = :$port" | grep -q .; do
		sleep 0.05
		i=$((i + 1))
	done
	xb=$(stat_pk "$X0" $hook actions redirect bytes)
	nsx a timeout 20 socat -u "OPEN:$SRC" "TCP4:$BB:$port"
	wait $lp
	sum=none
	[ -f "$DST" ] && sum=$(sha256sum <"$DST" | cut -d' ' -f1)
	is "$mode: 20 MB over TCP a -> b arrived with the same SHA-256" "$sum" "$SRC_SUM"
	cmp_ok "$mode: x0 redirected the 20 MB (redirect bytes)" \
		"$(($(stat_pk "$X0" $hook actions redirect bytes) - xb))" -ge 20971520
	is "$mode: x's stack saw none of it (netdev ingress counter +0)" \
		"$(($(seen) - s0))" 0
	unlike "$mode: x has learnt no neighbour" "$(nsx x ip neigh show)" "."
done

# Take the way back away: the cross-connect is one-way, the ping dies.
check "rule del 11, rule del 21" sh -c "'$SLUICE' -s '$SOCK' rule del 11 &&
	'$SLUICE' -s '$SOCK' rule del 21"
is "tc: without them, b's pings get no reply from a" "$(ping_rx b $AA 3 0.05)" 0
check "rule add 21 in x1 redirect x0 again" sl rule add 21 in "$X1" redirect "$X0"
is "tc: with it back, b's pings get their replies" "$(ping_rx b $AA 3 0.05)" 3
check "sluiced is running" daemon_alive
