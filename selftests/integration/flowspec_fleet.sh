#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# A fleet of two sluice nodes fed by BGP FlowSpec from a BIRD 2 that is
# not the nodes' speaker: BIRD's static flow4/flow6 routes in k go to
# ExaBGP on a and on b, each running "sluice flowspec" into its own
# sluiced.  The client c reaches both nodes, IPv4 and IPv6.
#
#   a [sluiced, exabgp] --- k [bird] --- b [sluiced, exabgp]
#        \_____________ c [client] _____________/
#
# Checked on both nodes: the announced routes drop or limit as they say,
# both families; the redirect route is refused and counted while the
# rest apply; status and /metrics show the counts and per-route counters;
# a withdrawal (BIRD reconfigured without the route) restores traffic;
# a session disabled takes its routes with it on that node only; BIRD
# killed: b, with a grace time, keeps them for it, then drops them; and
# 10,000 routes from BIRD's start to installed on both nodes.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/flowspec.sh"

BIRD=$(command -v bird || echo /usr/sbin/bird)
BIRDC=$(command -v birdc || echo /usr/sbin/birdc)
for _x in "$EXABGP" "$BIRD" "$BIRDC"; do
	if [ ! -x "$_x" ]; then
		echo "1..0 # SKIP $_x is not installed (tools/deps.sh --test)"
		exit 0
	fi
done

plan 48
lab_init ff
ns_add k && ns_add a && ns_add b && ns_add c || exit 1
for _n in a b c; do
	nsx $_n sysctl -qw net.ipv6.conf.all.disable_ipv6=0
	nsx $_n sysctl -qw net.ipv6.conf.default.disable_ipv6=0
done
veth k 10.217.1.1/24 a 10.217.1.2/24 0 &&
	veth k 10.217.2.1/24 b 10.217.2.2/24 1 &&
	veth c 10.217.3.2/24 a 10.217.3.1/24 2 &&
	veth c 10.217.4.2/24 b 10.217.4.1/24 3 || exit 1
ip -n "sl-$TAG-c" addr add fd17:3::2/64 dev "${TAG}c2" nodad
ip -n "sl-$TAG-a" addr add fd17:3::1/64 dev "${TAG}a2" nodad
ip -n "sl-$TAG-c" addr add fd17:4::2/64 dev "${TAG}c3" nodad
ip -n "sl-$TAG-b" addr add fd17:4::1/64 dev "${TAG}b3" nodad

# node X: point $SOCK, $PIN_DIR, $CONF, $DLOG (what sl and daemon_start
# use) at node X's sluiced.
node() {
	SOCK=$LAB_DIR/$1.sock
	PIN_DIR=$LAB_DIR/bpffs/sluice-$1
	CONF=$LAB_DIR/$1.sluice.conf
	DLOG=$LAB_DIR/$1.sluiced.log
	ST=$LAB_DIR/$1.flowspec.json
	[ -f "$CONF" ] || : >"$CONF"
}

node a && daemon_start a || exit 1
check "a: attach" sl attach "${TAG}a2" mode native
node b && daemon_start b || exit 1
check "b: attach" sl attach "${TAG}b3" mode native

# exabgp_start X ADDR GRACE: ExaBGP on node X, passive on ADDR, with
# "sluice flowspec" as its process; its pid in XPID.
exabgp_start() {
	node "$1"
	cat >"$LAB_DIR/$1.exabgp.conf" <<EOF
process sluice {
  run $SLUICE -s $SOCK flowspec --status $ST --hold 3 --grace $3;
  encoder json;
}
neighbor ${2%.*}.1 {
  router-id $2;
  local-address $2;
  local-as 65001;
  peer-as 65000;
  passive;
  family { ipv4 flow; ipv6 flow; }
  api { processes [ sluice ]; neighbor-changes; receive { parsed; update; } }
}
EOF
	exabgp_run "$1" "$LAB_DIR/$1.exabgp.conf" "$LAB_DIR/$1.exabgp.log" "$2"
}

exabgp_start a 10.217.1.2 0
exabgp_start b 10.217.2.2 5

# BIRD's configuration: the sessions, then the static routes of $ROUTES.
BCONF=$LAB_DIR/bird.conf
BSOCK=$LAB_DIR/bird.ctl
bird_conf() {
	cat <<EOF
router id 10.217.1.1;
log stderr { warning, error, fatal };
protocol device {}
flow4 table ft4;
flow6 table ft6;
template bgp node {
  local as 65000;
  connect delay time 1;
  connect retry time 1;
  error wait time 1, 2;
  flow4 { table ft4; import none; export all; };
  flow6 { table ft6; import none; export all; };
}
protocol bgp na from node { neighbor 10.217.1.2 as 65001; }
protocol bgp nb from node { neighbor 10.217.2.2 as 65001; }
protocol static fs4 {
  flow4 { table ft4; };
include "$LAB_DIR/routes4.conf";
}
protocol static fs6 {
  flow6 { table ft6; };
include "$LAB_DIR/routes6.conf";
}
EOF
}

# Extended communities of RFC 8955 7: traffic-rate 0 (drop), 2000
# bytes/s (an IEEE float), and redirect to 65000:100 (refused).
DROP='bgp_ext_community.add((generic, 0x80060000, 0x0));'
RATE='bgp_ext_community.add((generic, 0x80060000, 0x44fa0000));'
REDIRECT='bgp_ext_community.add((generic, 0x8008fde8, 0x64));'

# routes4 / routes6 [icmp]: the test's routes; "icmp" adds the ping ones.
routes() {
	cat >"$LAB_DIR/routes4.conf" <<EOF
route flow4 { dst 10.217.0.0/16; proto = 17; dport = 5001; } { $DROP };
route flow4 { dst 10.217.0.0/16; proto = 17; dport = 5004; } { $RATE };
route flow4 { dst 10.217.0.0/16; proto = 17; dport = 5006; } { $REDIRECT };
EOF
	cat >"$LAB_DIR/routes6.conf" <<EOF
route flow6 { dst fd17::/16; next header = 17; dport = 5001; } { $DROP };
EOF
	if [ "${1:-}" = icmp ]; then
		echo "route flow4 { dst 10.217.0.0/16; proto = 1; } { $DROP };" >>"$LAB_DIR/routes4.conf"
		echo "route flow6 { dst fd17::/16; next header = 58; } { $DROP };" >>"$LAB_DIR/routes6.conf"
	fi
}

bird_start() {
	bird_conf >"$BCONF"
	ip netns exec "sl-$TAG-k" "$BIRD" -f -c "$BCONF" -s "$BSOCK" \
		-P "$LAB_DIR/bird.pid" >>"$LAB_DIR/bird.log" 2>&1 &
	BPID=$!
	lab_pid "$BPID"
}

birdc() {
	ip netns exec "sl-$TAG-k" "$BIRDC" -s "$BSOCK" "$@"
}



# on X CMD...: CMD with node X current.
on() {
	node "$1"
	shift
	"$@"
}


# peer_up: whether the current node's "sluice flowspec" has its session up.
peer_up() {
	jx "d['peers'][0]['up']" <"$ST"
}

fs_status() {
	sl -j status | jx "d['flowspec']$1"
}



ping6_rx() {
	nsx "$1" ping -6 -n -q -c "$3" -i 0.1 -W 1 "$2" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

routes icmp
bird_start

WANT="50000 dst 10.217.0.0/16 proto icmp drop
50001 dst 10.217.0.0/16 proto udp dport 5001 drop
50002 dst 10.217.0.0/16 proto udp dport 5004 rate-limit 16kbit
50003 dst fd17::/16 proto udp dport 5001 drop
50004 dst fd17::/16 proto icmpv6 drop"
for n in a b; do
	node $n
	check "$n: routes installed" until_eq 5 count_rules
	[ "$(count_rules)" = 5 ] ||
		diag "$(tail -5 "$LAB_DIR/bird.log" "$LAB_DIR/$n.exabgp.log")"
	is "$n: the rules, in RFC 8955 order" "$(range_rules)" "$WANT"
done

SINK=$LAB_DIR/udp
for n in a b; do
	case $n in
	a) A4=10.217.3.1 A6=fd17:3::1 ;;
	b) A4=10.217.4.1 A6=fd17:4::1 ;;
	esac
	udp_sink $n 5001 "$SINK.$n.5001"
	udp_sink $n 5004 "$SINK.$n.5004"
	udp_sink $n 5005 "$SINK.$n.5005"
	udp_sink $n 5001 "$SINK.$n.6.5001" 6
	udp_sink $n 5005 "$SINK.$n.6.5005" 6
	sleep 0.3
	is "$n: ping dropped" "$(ping_rx c $A4 3)" 0
	is "$n: ping6 dropped" "$(ping6_rx c $A6 3)" 0
	udp_send c $A4 5001 5
	udp_send c $A4 5005 5
	udp_send c $A6 5001 5
	udp_send c $A6 5005 5
	# 40 datagrams of 1,000 bytes against 2,000 bytes/s and its burst.
	"$PY" -c 'import sys; sys.stdout.write("x" * 1000)' >"$LAB_DIR/k1000"
	_k=0
	while [ $_k -lt 40 ]; do
		nsx c socat -u "OPEN:$LAB_DIR/k1000" "UDP4-SENDTO:$A4:5004"
		_k=$((_k + 1))
	done
	sleep 0.5
	is "$n: udp 5001 dropped" "$(lines "$SINK.$n.5001")" 0
	is "$n: udp 5005 untouched" "$(lines "$SINK.$n.5005")" 5
	is "$n: udp6 5001 dropped" "$(lines "$SINK.$n.6.5001")" 0
	is "$n: udp6 5005 untouched" "$(lines "$SINK.$n.6.5005")" 5
	_got=$(wc -c <"$SINK.$n.5004" 2>/dev/null || echo 0)
	cmp_ok "$n: udp 5004 limited (bytes through of 40,000)" "$_got" -le 20000
	cmp_ok "$n: udp 5004 not all dropped" "$_got" -ge 1000
done

# What the node says of it (node b is current): status and /metrics.
is "status: received" "$(fs_status "['received']")" 6
is "status: installed" "$(fs_status "['installed']")" 5
is "status: refused" "$(fs_status "['refused']")" 1
is "status: refused for redirect" "$(fs_status "['refused_by_reason']['redirect']")" 1
is "status: route 50001 counted udp 5001" \
	"$(fs_status "['routes'][1]")" "{'prio': 50001, 'rules': 1, 'packets': 5, 'bytes': 240}"
like "status text: the FlowSpec line" "$(sl status)" \
	"flowspec: 6 routes received, 5 installed, 1 refused \\(redirect 1\\)"
M=$(sl metrics)
like "metrics: received" "$M" "sluice_flowspec_routes_received 6"
like "metrics: installed" "$M" "sluice_flowspec_routes_installed 5"
like "metrics: refused for redirect" "$M" 'sluice_flowspec_routes_refused\{reason="redirect"\} 1'
like "metrics: per-route packets" "$M" 'sluice_flowspec_route_packets_total\{prio="50001"\} 5'
like "metrics: per-route bytes" "$M" 'sluice_flowspec_route_bytes_total\{prio="50004"\} 354'

# Withdrawal: BIRD reconfigured without the ping routes.
routes
tw=$(now_ms)
birdc configure >/dev/null
for n in a b; do
	node $n
	check "$n: withdrawn" until_eq 3 count_rules
	diag "$n: withdrawal seen in the rules $(($(now_ms) - tw)) ms after birdc configure"
	unlike "$n: no icmp rule left" "$(range_rules)" "icmp"
done
is "a: ping passes again" "$(ping_rx c 10.217.3.1 3)" 3
is "b: ping6 passes again" "$(ping6_rx c fd17:4::1 3)" 3

# Session loss: BIRD's session to a disabled; b keeps its routes.
birdc disable na >/dev/null
node a
check "a: session down, range empty" until_eq 0 count_rules
node b
is "b: still 3" "$(count_rules)" 3
udp_send c 10.217.3.1 5001 3
sleep 0.3
is "a: udp 5001 passes" "$(lines "$SINK.a.5001")" 3

# BIRD killed: b has a grace time of 5 s, then drops the routes.
kill -9 "$BPID"
wait "$BPID" 2>/dev/null
node b
check "b: the session is seen down" until_eq false peer_up
is "b: routes kept for the grace time" "$(count_rules)" 3
check "b: dropped after the grace time" until_eq 0 count_rules

# 10,000 routes: BIRD comes back with them.
"$PY" -c '
for i in range(10000):
    print("route flow4 { dst 10.%d.%d.0/24; proto = 17; dport = %d; } { bgp_ext_community.add((generic, 0x80060000, 0x0)); };" % (100 + i // 256, i % 256, 1000 + i % 5000))
' >"$LAB_DIR/routes4.conf"
: >"$LAB_DIR/routes6.conf"
t0=$(now_ms)
bird_start
node a
check "a: 10,000 routes installed" until_eq 10000 count_rules
t1=$(now_ms)
node b
check "b: 10,000 routes installed" until_eq 10000 count_rules
t2=$(now_ms)
diag "10,000 routes from BIRD's start to installed: a $((t1 - t0)) ms, b $((t2 - t0)) ms"
diag "$(grep -h "flowspec" "$LAB_DIR/a.exabgp.log" | tail -4)"
is "b: status installed" "$(fs_status "['installed']")" 10000
