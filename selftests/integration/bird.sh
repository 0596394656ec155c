#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# sluice beside a routing daemon: BIRD 2 in the router learns routes over
# BGP from two neighbours, each also running BIRD, and puts them into the
# kernel's FIB (protocol kernel, merge paths on); sluice forwards by them.
#
#   c (10.222.1.2) --- r0 [r: sluiced, BIRD AS 65000] r1 --- n1 (10.222.2.2, AS 65001)
#                                                      r2 --- n2 (10.222.3.2, AS 65002)
#
# n1 announces 10.222.100.0/24 (10.222.100.1 on its lo) alone; n1 and n2
# both announce 10.222.200.0/24 (10.222.200.1 on both lo), an ECMP route
# in the router, which hashes flows by their ports
# (fib_multipath_hash_policy 1).  Traffic to the first prefix arrives,
# forwarded by sluice; when n1 stops announcing it (its static protocol
# disabled) the route goes, and sluice hands the packets to the kernel
# (not-forwarded) which has no route for them either; announced again,
# they arrive again.  Flows from many source ports to the second prefix
# reach both neighbours.  On XDP (native) and in the mode auto picks (tc
# on a veth that forwards), whose hook status reports.
#
# Each BIRD has its configuration and control socket in the lab's
# directory.  The client turns checksum offload off, so that what native
# XDP passes on is whole (see forward.sh); GRO on n1 and n2 lets their
# NAPI take XDP frames.
. "$(dirname "$0")/../lib/tap.sh"

plan 26
lab_init bd

BIRD=$(command -v bird || echo /usr/sbin/bird)
BIRDC=$(command -v birdc || echo /usr/sbin/birdc)
if [ ! -x "$BIRD" ] || [ ! -x "$BIRDC" ]; then
	echo "Bail out! bird and birdc (Debian bird2) are missing: tools/deps.sh --test"
	exit 1
fi

ONE=10.222.100.1 ECMP=10.222.200.1
ns_add r && ns_add c && ns_add n1 && ns_add n2 &&
	veth c 10.222.1.2/24 r 10.222.1.1/24 0 &&
	ip link add "${TAG}r1" netns "sl-$TAG-r" type veth peer name "${TAG}n1" netns "sl-$TAG-n1" &&
	ip link add "${TAG}r2" netns "sl-$TAG-r" type veth peer name "${TAG}n2" netns "sl-$TAG-n2" || exit 1
R0=${TAG}r0 R1=${TAG}r1 R2=${TAG}r2
for k in 1 2; do
	ip -n "sl-$TAG-r" addr add "10.222.$((k + 1)).1/24" dev "${TAG}r$k" &&
		ip -n "sl-$TAG-n$k" addr add "10.222.$((k + 1)).2/24" dev "${TAG}n$k" &&
		ip -n "sl-$TAG-r" link set "${TAG}r$k" up &&
		ip -n "sl-$TAG-n$k" link set "${TAG}n$k" up &&
		ip -n "sl-$TAG-n$k" addr add $ECMP/32 dev lo &&
		nsx "n$k" ip route add 10.222.1.0/24 via "10.222.$((k + 1)).1" &&
		nsx "n$k" ethtool -K "${TAG}n$k" gro on >/dev/null || exit 1
done
ip -n "sl-$TAG-n1" addr add $ONE/32 dev lo &&
	nsx r sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv4.fib_multipath_hash_policy=1 &&
	nsx c ip route add 10.222.0.0/16 via 10.222.1.1 &&
	nsx c ethtool -K "${TAG}c0" tx off >/dev/null || exit 1

# What each neighbour's sockets are offered: counted once routed to them.
for k in 1 2; do
	nsx "n$k" nft -f - <<EOF || exit 1
table inet sl {
	counter one { }
	counter ecmp { }
	chain in {
		type filter hook input priority 0; policy accept;
		ip daddr $ONE udp dport 7000 counter name one
		ip daddr $ECMP udp dport 7001 counter name ecmp
	}
}
EOF
done
rx() {
	nsx "$1" nft list counter inet sl "$2" | sed -n 's/.*packets \([0-9]*\).*/\1/p'
}

# --- the BIRDs ----------------------------------------------------------

# Short timers: the sessions come up within seconds of the start.
TIMERS='hold time 9; keepalive time 3; connect delay time 1;
	connect retry time 2; error wait time 1, 5;'

cat >"$LAB_DIR/r.conf" <<EOF
log "$LAB_DIR/bird-r.log" all;
router id 10.222.1.1;
protocol device { scan time 1; }
protocol kernel {
	ipv4 { import none; export all; };
	merge paths on;
}
template bgp peer {
	local as 65000;
	$TIMERS
	ipv4 { import all; export none; };
}
protocol bgp n1 from peer { neighbor 10.222.2.2 as 65001; }
protocol bgp n2 from peer { neighbor 10.222.3.2 as 65002; }
EOF
for k in 1 2; do
	{
		echo "log \"$LAB_DIR/bird-n$k.log\" all;"
		echo "router id 10.222.$((k + 1)).2;"
		echo "protocol device { scan time 1; }"
		[ $k = 1 ] && echo "protocol static one { ipv4; route 10.222.100.0/24 blackhole; }"
		echo "protocol static both { ipv4; route 10.222.200.0/24 blackhole; }"
		echo "protocol bgp r {"
		echo "	local as $((65000 + k)); neighbor 10.222.$((k + 1)).1 as 65000;"
		echo "	$TIMERS"
		echo "	ipv4 { import none; export all; };"
		echo "}"
	} >"$LAB_DIR/n$k.conf"
done

# bird_start X: BIRD in namespace X on $LAB_DIR/X.conf and X.ctl.
bird_start() {
	nsx "$1" "$BIRD" -f -c "$LAB_DIR/$1.conf" -s "$LAB_DIR/$1.ctl" \
		-P "$LAB_DIR/$1.pid" >>"$LAB_DIR/bird-$1.out" 2>&1 &
	lab_pid $!
}
birdc() {
	_b=$1
	shift
	"$BIRDC" -s "$LAB_DIR/$_b.ctl" "$@"
}

for b in n1 n2 r; do
	bird_start $b
done

daemon_start r || exit 1

# The router's kernel route to PREFIX: its next hops, one a line.
route_nh() {
	nsx r ip -4 route show "$1" proto bird | grep -o 'via [0-9.]*' | sort
}
# wait_route PREFIX WANT: seconds (of at most LIMIT, default 5) until
# route_nh PREFIX is WANT; -1 if it never is.
wait_route() {
	_i=0
	while [ $_i -lt $((${3:-5} * 10)) ]; do
		[ "$(route_nh "$1" | tr '\n' ' ')" = "$2" ] && {
			echo $((_i / 10))
			return
		}
		sleep 0.1
		_i=$((_i + 1))
	done
	echo -1
}

cmp_ok "BGP up: n1's prefix in the router's FIB by n1" \
	"$(wait_route 10.222.100.0/24 'via 10.222.2.2 ' 30)" -ge 0
cmp_ok "BGP up: the shared prefix by both neighbours (ECMP)" \
	"$(wait_route 10.222.200.0/24 'via 10.222.2.2 via 10.222.3.2 ' 10)" -ge 0
if [ "$_t_failed" -gt 0 ]; then
	diag "$(birdc r show protocols 2>&1)" "$(nsx r ip route 2>&1)"
	exit 1
fi

# send DST PORT N [SPORTS]: N datagrams from c, spread over SPORTS source
# ports (20000 up), each port a flow of its own.
send() {
	nsx c "$PY" -c '
import socket, sys, time
dst, port, n, sports = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = []
for i in range(sports):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.222.1.2", 20000 + i))
    socks.append(s)
for i in range(n):
    socks[i % sports].sendto(b"x" * 64, (dst, port))
    time.sleep(0.002)' "$1" "$2" "$3" "${4:-1}"
	# what is in flight lands in the counters
	sleep 0.3
}

for mode in native auto; do
	diag "--- $mode"
	for i in "$R0" "$R1" "$R2"; do sl detach "$i" >/dev/null 2>&1; done
	check "$mode: attach the router's ports, policy forward" \
		sh -c "for i in '$R0' '$R1' '$R2'; do
			'$SLUICE' -s '$SOCK' attach \$i mode $mode &&
			'$SLUICE' -s '$SOCK' policy \$i forward || exit 1; done"
	hook=$(iface_field "$R0" hook)
	diag "$mode: r0 is at hook $hook (mode $(iface_field "$R0" mode))"

	f0=$(stat_pk "$R0" "$hook" actions forward) o0=$(rx n1 one)
	send $ONE 7000 100
	is "$mode: n1 receives the 100 datagrams to the BGP route" \
		"$(($(rx n1 one) - o0))" 100
	is "$mode: sluice forwarded them on r0" \
		"$(($(stat_pk "$R0" "$hook" actions forward) - f0))" 100

	birdc n1 disable one >/dev/null
	cmp_ok "$mode: withdrawn: the route leaves the router's FIB" \
		"$(wait_route 10.222.100.0/24 '')" -ge 0
	f0=$(stat_pk "$R0" "$hook" actions forward) o0=$(rx n1 one)
	k0=$(stat_pk "$R0" "$hook" reasons not-forwarded)
	send $ONE 7000 50
	is "$mode: withdrawn: n1 receives none" "$(($(rx n1 one) - o0))" 0
	is "$mode: withdrawn: sluice forwards none" \
		"$(($(stat_pk "$R0" "$hook" actions forward) - f0))" 0
	is "$mode: withdrawn: all 50 go to the kernel as not-forwarded" \
		"$(($(stat_pk "$R0" "$hook" reasons not-forwarded) - k0))" 50

	birdc n1 enable one >/dev/null
	cmp_ok "$mode: announced again: the route is back" \
		"$(wait_route 10.222.100.0/24 'via 10.222.2.2 ')" -ge 0
	f0=$(stat_pk "$R0" "$hook" actions forward) o0=$(rx n1 one)
	send $ONE 7000 50
	is "$mode: announced again: n1 receives the 50, forwarded by sluice" \
		"$(($(rx n1 one) - o0)):$(($(stat_pk "$R0" "$hook" actions forward) - f0))" \
		"50:50"

	f0=$(stat_pk "$R0" "$hook" actions forward)
	a0=$(rx n1 ecmp) b0=$(rx n2 ecmp)
	send $ECMP 7001 256 64
	a=$(($(rx n1 ecmp) - a0)) b=$(($(rx n2 ecmp) - b0))
	diag "$mode: ECMP: 64 flows, 256 datagrams: n1 $a, n2 $b"
	is "$mode: ECMP: the 256 datagrams arrive, forwarded by sluice" \
		"$((a + b)):$(($(stat_pk "$R0" "$hook" actions forward) - f0))" \
		"256:256"
	# 64 flows of 4: fewer than 8 flows on a side is a 1e-11 chance.
	cmp_ok "$mode: ECMP: n1 gets its share of the flows" "$a" -ge 32
	cmp_ok "$mode: ECMP: n2 gets its share of the flows" "$b" -ge 32
done
