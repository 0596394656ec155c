#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# An egress that goes down mid-stream: what sluice would send into it is
# counted as egress-down (and goes to the kernel), not sent to be dropped
# unseen; once the link is up again the stream flows again.  Two streams
# through one sluiced, both on XDP (native) and on tc:
#
#   c (10.221.1.2) --- r0 [r: forward] r1 --- s (10.221.2.2)
#   a (10.221.3.1) --- x0 [r: redirect, no IP] x1 --- b (10.221.3.2)
#
# The far ends (s1, b1) go down, which takes the carrier from r1 and x1
# while they stay administratively up: the kernel keeps the route by r1,
# so only sluice's link state can tell.  The senders turn checksum
# offload off, so that what native XDP passes on is whole (see
# forward.sh); GRO on s1, b1 and a0 (ARP answers come back by the
# cross-connect) lets their NAPI take XDP frames.
. "$(dirname "$0")/../lib/tap.sh"

plan 43
lab_init ed

S=10.221.2.2 B=10.221.3.2
ns_add r && ns_add c && ns_add s && ns_add a && ns_add b &&
	veth c 10.221.1.2/24 r 10.221.1.1/24 0 &&
	veth s $S/24 r 10.221.2.1/24 1 || exit 1
R0=${TAG}r0 R1=${TAG}r1 X0=${TAG}x0 X1=${TAG}x1 SD=${TAG}s1 BD=${TAG}b1
ip link add "$X0" netns "sl-$TAG-r" type veth peer name "${TAG}a0" netns "sl-$TAG-a" &&
	ip link add "$X1" netns "sl-$TAG-r" type veth peer name "$BD" netns "sl-$TAG-b" &&
	ip -n "sl-$TAG-a" addr add 10.221.3.1/24 dev "${TAG}a0" &&
	ip -n "sl-$TAG-b" addr add $B/24 dev "$BD" &&
	ip -n "sl-$TAG-r" link set "$X0" up && ip -n "sl-$TAG-r" link set "$X1" up &&
	ip -n "sl-$TAG-a" link set "${TAG}a0" up && ip -n "sl-$TAG-b" link set "$BD" up &&
	nsx r sysctl -qw net.ipv4.ip_forward=1 &&
	nsx c ip route add 10.221.2.0/24 via 10.221.1.1 &&
	nsx c ethtool -K "${TAG}c0" tx off >/dev/null &&
	nsx a ethtool -K "${TAG}a0" tx off gro on >/dev/null &&
	nsx s ethtool -K "$SD" gro on >/dev/null &&
	nsx b ethtool -K "$BD" gro on >/dev/null || exit 1

# The datagrams each receiver took in, counted before its sockets.
for n in s b; do
	nsx $n nft -f - <<EOF || exit 1
table inet sl {
	counter rx { }
	chain in {
		type filter hook prerouting priority -300; policy accept;
		udp dport 7000 counter name rx
	}
}
EOF
done
rx() {
	nsx "$1" nft list counter inet sl rx | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

cat >"$CONF" <<EOF
rule add 10 in $X0 redirect $X1
rule add 11 in $X1 redirect $X0
EOF
daemon_start r || exit 1

# stream X DST: a datagram every 5 ms to DST:7000 from X, until the
# file $LAB_DIR/stop is there (60 s at most).
stream() {
	nsx "$1" "$PY" -c '
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + 60
while time.monotonic() < end and not os.path.exists(sys.argv[2]):
    try:
        s.sendto(b"x" * 64, (sys.argv[1], 7000))
    except OSError:
        pass
    time.sleep(0.005)' "$2" "$LAB_DIR/stop" &
	lab_pid $!
}

for mode in native tc; do
	hook=xdp
	[ $mode = tc ] && hook=tc
	diag "--- $mode"
	for i in "$R0" "$R1" "$X0" "$X1"; do sl detach "$i" >/dev/null 2>&1; done
	check "$mode: attach the four ports, policy forward on r0 and r1" \
		sh -c "for i in '$R0' '$R1' '$X0' '$X1'; do
			'$SLUICE' -s '$SOCK' attach \$i mode $mode || exit 1; done &&
			'$SLUICE' -s '$SOCK' policy '$R0' forward &&
			'$SLUICE' -s '$SOCK' policy '$R1' forward"
	nsx r ping -q -c 1 -W 1 $S >/dev/null
	nsx a ping -q -c 1 -W 1 $B >/dev/null

	rm -f "$LAB_DIR/stop"
	stream c $S
	p1=$!
	stream a $B
	p2=$!
	sleep 0.6
	s0=$(rx s) b0=$(rx b)
	f0=$(stat_pk "$R0" $hook actions forward)
	d0=$(stat_pk "$X0" $hook actions redirect)
	sleep 0.5
	cmp_ok "$mode: up: s receives the forwarded stream" "$(($(rx s) - s0))" -ge 20
	cmp_ok "$mode: up: b receives the redirected stream" "$(($(rx b) - b0))" -ge 20
	cmp_ok "$mode: up: sluice forwards it on r0" \
		"$(($(stat_pk "$R0" $hook actions forward) - f0))" -ge 20
	cmp_ok "$mode: up: sluice redirects it on x0" \
		"$(($(stat_pk "$X0" $hook actions redirect) - d0))" -ge 20

	# Down: the far ends, so r1 and x1 lose their carrier.
	ip -n "sl-$TAG-s" link set "$SD" down && ip -n "sl-$TAG-b" link set "$BD" down
	cmp_ok "$mode: status says r1's link is down" \
		"$(wait_for false iface_field "$R1" link_up)" -ge 0
	cmp_ok "$mode: status says x1's link is down" \
		"$(wait_for false iface_field "$X1" link_up)" -ge 0
	st=$(sl status)
	like "$mode: status text says r1's link is down" "$st" \
		"^    $R1: ifindex [0-9]+, link down, attached, "
	like "$mode: status text says x1's link is down" "$st" \
		"^    $X1: ifindex [0-9]+, link down, attached, "
	e0=$(stat_pk "$R0" $hook reasons egress-down)
	g0=$(stat_pk "$X0" $hook reasons egress-down)
	f0=$(stat_pk "$R0" $hook actions forward)
	d0=$(stat_pk "$X0" $hook actions redirect)
	sleep 0.6
	e1=$(stat_pk "$R0" $hook reasons egress-down)
	g1=$(stat_pk "$X0" $hook reasons egress-down)
	diag "egress-down: r0 $e0 -> $e1, x0 $g0 -> $g1"
	cmp_ok "$mode: down: the forwarded stream counts as egress-down on r0" \
		"$((e1 - e0))" -ge 20
	cmp_ok "$mode: down: the redirected stream counts as egress-down on x0" \
		"$((g1 - g0))" -ge 20
	is "$mode: down: sluice forwards none into r1" \
		"$(($(stat_pk "$R0" $hook actions forward) - f0))" 0
	is "$mode: down: sluice redirects none into x1" \
		"$(($(stat_pk "$X0" $hook actions redirect) - d0))" 0

	ip -n "sl-$TAG-s" link set "$SD" up && ip -n "sl-$TAG-b" link set "$BD" up
	cmp_ok "$mode: status says r1's link is up again" \
		"$(wait_for true iface_field "$R1" link_up)" -ge 0
	cmp_ok "$mode: status says x1's link is up again" \
		"$(wait_for true iface_field "$X1" link_up)" -ge 0
	st=$(sl status)
	like "$mode: status text says r1's link is up again" "$st" \
		"^    $R1: ifindex [0-9]+, link up, attached, "
	like "$mode: status text says x1's link is up again" "$st" \
		"^    $X1: ifindex [0-9]+, link up, attached, "
	# The carrier took the neighbour with it: the kernel resolves it anew.
	sleep 0.4
	s0=$(rx s) b0=$(rx b)
	e0=$(stat_pk "$R0" $hook reasons egress-down)
	g0=$(stat_pk "$X0" $hook reasons egress-down)
	f0=$(stat_pk "$R0" $hook actions forward)
	sleep 0.6
	cmp_ok "$mode: up again: s receives the stream" "$(($(rx s) - s0))" -ge 20
	cmp_ok "$mode: up again: b receives the stream" "$(($(rx b) - b0))" -ge 20
	cmp_ok "$mode: up again: sluice forwards it" \
		"$(($(stat_pk "$R0" $hook actions forward) - f0))" -ge 20
	is "$mode: up again: no more egress-down" \
		"$(($(stat_pk "$R0" $hook reasons egress-down) - e0)):$(($(stat_pk "$X0" $hook reasons egress-down) - g0))" \
		"0:0"
	touch "$LAB_DIR/stop"
	wait "$p1" "$p2"
done
daemon_alive
is "sluiced is still running" "$?" 0
