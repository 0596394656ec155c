#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# A route changed mid-stream takes effect at once.  The server's address
# (on its lo) is reachable over two links; while the client pings it
# every 50 ms (v4 and v6 at once), the router's route moves from the
# first link to the second.  The packets move with it -- the new link's
# counters grow, the old one's stop -- none is lost, and the kernel
# forwards none of them: sluice does (XDP native, then tc).
#
#   c (10.212.1.2) --- r0 [router: sluiced] r1 --- s1 (10.212.2.2)  s: lo 10.212.9.1
#                                            r2 --- s2 (10.212.3.2)     fd00:212:9::1
#
# The server answers by the first link whatever the router does, so the
# echo requests the server counts on each link are the router's egress
# by that link.
# As in forward.sh: GRO on the veths the router sends into (their NAPI
# takes XDP frames); IPv6 without DAD.
. "$(dirname "$0")/../lib/tap.sh"

plan 25
lab_init fr

v6on() {
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.default.disable_ipv6=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

SV=10.212.9.1 SV6=fd00:212:9::1
ns_add r && ns_add c && ns_add s && v6on r && v6on c && v6on s &&
	veth c 10.212.1.2/24 r 10.212.1.1/24 0 &&
	veth s 10.212.2.2/24 r 10.212.2.1/24 1 &&
	veth s 10.212.3.2/24 r 10.212.3.1/24 2 || exit 1
A=${TAG}r0 P1=${TAG}r1 P2=${TAG}r2
ip -n "sl-$TAG-c" addr add fd00:212:1::2/64 dev "${TAG}c0" nodad &&
	ip -n "sl-$TAG-r" addr add fd00:212:1::1/64 dev "$A" nodad &&
	ip -n "sl-$TAG-r" addr add fd00:212:2::1/64 dev "$P1" nodad &&
	ip -n "sl-$TAG-r" addr add fd00:212:3::1/64 dev "$P2" nodad &&
	ip -n "sl-$TAG-s" addr add fd00:212:2::2/64 dev "${TAG}s1" nodad &&
	ip -n "sl-$TAG-s" addr add fd00:212:3::2/64 dev "${TAG}s2" nodad &&
	ip -n "sl-$TAG-s" addr add $SV/32 dev lo &&
	ip -n "sl-$TAG-s" addr add $SV6/128 dev lo &&
	nsx r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 &&
	nsx s sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 \
		"net.ipv4.conf.${TAG}s2.rp_filter=0" &&
	nsx c ip route add 10.212.0.0/16 via 10.212.1.1 &&
	nsx c ip -6 route add fd00:212::/32 via fd00:212:1::1 &&
	nsx s ip route add 10.212.1.0/24 via 10.212.2.1 &&
	nsx s ip -6 route add fd00:212:1::/64 via fd00:212:2::1 &&
	nsx c ethtool -K "${TAG}c0" gro on >/dev/null &&
	nsx s ethtool -K "${TAG}s1" gro on >/dev/null &&
	nsx s ethtool -K "${TAG}s2" gro on >/dev/null || exit 1

daemon_start r || exit 1

kfwd() {
	nsx r awk '$1 == "Ip:" && !h { for (i = 2; i <= NF; i++) n[$i] = i; h = 1; next }
		$1 == "Ip:" { f = $n["ForwDatagrams"] }
		$1 == "Ip6OutForwDatagrams" { g = $2 }
		END { print f + g }' /proc/net/snmp /proc/net/snmp6
}

# The echo requests (v4 and v6) the server received on link N (1 or 2):
# counted by nftables at the server's ingress, so that ARP and ND probes
# do not blur the picture.
nsx s nft -f - <<EOF || exit 1
table inet sl {
	counter l1 { }
	counter l2 { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		iifname "${TAG}s1" icmp type echo-request counter name l1
		iifname "${TAG}s1" icmpv6 type echo-request counter name l1
		iifname "${TAG}s2" icmp type echo-request counter name l2
		iifname "${TAG}s2" icmpv6 type echo-request counter name l2
	}
}
EOF
rx() {
	nsx s nft list counter inet sl "l$1" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# route_via N: the router's routes to the server's address by link N.
route_via() {
	nsx r ip route replace $SV/32 via "10.212.$(($1 + 1)).2" dev "${TAG}r$1" &&
		nsx r ip -6 route replace $SV6/128 via "fd00:212:$(($1 + 1))::2" dev "${TAG}r$1"
}

# Neighbours resolved both ways on every link.
prime() {
	for n in 1 2 3; do
		nsx r ping -q -c 1 -W 1 "10.212.$n.2" >/dev/null
		nsx r ping -q -c 1 -W 1 "fd00:212:$n::2" >/dev/null
	done
	nsx s ping -q -c 1 -W 1 10.212.2.1 >/dev/null
	nsx s ping -q -c 1 -W 1 fd00:212:2::1 >/dev/null
	nsx s ping -q -c 1 -W 1 10.212.3.1 >/dev/null
	nsx s ping -q -c 1 -W 1 fd00:212:3::1 >/dev/null
	nsx c ping -q -c 1 -W 1 10.212.1.1 >/dev/null
	nsx c ping -q -c 1 -W 1 fd00:212:1::1 >/dev/null
}

for mode in native tc; do
	hook=xdp
	[ $mode = tc ] && hook=tc
	diag "--- $mode"
	if [ $mode = tc ]; then
		for i in "$A" "$P1" "$P2"; do sl detach "$i" >/dev/null; done
	fi
	check "$mode: attach the three router ports, policy forward" \
		sh -c "for i in '$A' '$P1' '$P2'; do
			'$SLUICE' -s '$SOCK' attach \$i mode $mode &&
			'$SLUICE' -s '$SOCK' policy \$i forward || exit 1; done"
	route_via 1
	prime
	check "$mode: the route starts by link 1" \
		sh -c "ip -n sl-$TAG-r route get $SV | grep -q 'dev ${TAG}r1'"

	k0=$(kfwd) f0=$(stat_pk "$A" $hook actions forward)
	x1=$(rx 1) x2=$(rx 2)
	nsx c ping -n -q -c 60 -i 0.05 -W 2 $SV >"$LAB_DIR/ping4" 2>&1 &
	p4=$!
	nsx c ping -6 -n -q -c 60 -i 0.05 -W 2 $SV6 >"$LAB_DIR/ping6" 2>&1 &
	p6=$!
	lab_pid "$p4"
	lab_pid "$p6"
	sleep 1.4
	y1=$(rx 1) y2=$(rx 2)
	route_via 2
	sleep 0.2
	z1=$(rx 1) z2=$(rx 2)
	wait "$p4" "$p6"
	e1=$(rx 1) e2=$(rx 2)
	diag "link 1 rx: $x1 -> $y1 | change | $z1 -> $e1; link 2 rx: $x2 -> $y2 | change | $z2 -> $e2"

	cmp_ok "$mode: before the change, link 1 carried the stream (>= 40 of ~2x28)" \
		"$((y1 - x1))" -ge 40
	is "$mode: before the change, link 2 carried nothing" "$((y2 - x2))" 0
	cmp_ok "$mode: after the change, link 2 carries the stream (>= 40 of ~2x26)" \
		"$((e2 - z2))" -ge 40
	is "$mode: after the change, link 1 carries nothing" "$((e1 - z1))" 0
	like "$mode: v4: all 60 echoes answered across the change" \
		"$(cat "$LAB_DIR/ping4")" "60 packets transmitted, 60 received"
	like "$mode: v6: all 60 echoes answered across the change" \
		"$(cat "$LAB_DIR/ping6")" "60 packets transmitted, 60 received"
	cmp_ok "$mode: sluice forwarded the 120 requests on r0" \
		"$(($(stat_pk "$A" $hook actions forward) - f0))" -ge 120
	is "$mode: the kernel forwarded none of it (Ip ForwDatagrams + Ip6 OutForwDatagrams)" \
		"$(($(kfwd) - k0))" 0

	# And back: the old route again, at once.
	route_via 1
	sleep 0.1
	x1=$(rx 1) x2=$(rx 2)
	out=$(nsx c ping -n -c 10 -i 0.02 -W 1 $SV 2>&1)
	is "$mode: route back to link 1: 10 of 10 answered, all by link 1" \
		"$(printf '%s\n' "$out" | sed -n 's/.* \([0-9]*\) received.*/\1/p') $(($(rx 1) - x1)) $(($(rx 2) - x2))" \
		"10 10 0"
done

# A route that disappears: no route, sluice hands the packet to the kernel.
nsx r ip route replace unreachable $SV/32
n0=$(stat_pk "$A" tc reasons no-route)
out=$(nsx c ping -n -c 3 -i 0.05 -W 1 $SV 2>&1)
like "tc: route made unreachable: the router answers host unreachable" \
	"$out" "From 10.212.1.1 .*(Destination Host Unreachable|Unreachable)"
is "tc: sluice counted 3 no-route" "$(($(stat_pk "$A" tc reasons no-route) - n0))" 3
check "sluiced is running" daemon_alive
