#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Jumbo frames live: a veth pair at MTU 9000, sluiced on r attached native
# (veth takes only a frags-aware XDP program at that MTU) then on tc, and
# 9000-byte IP packets (9,014-byte frames) from a:
#  - UDP to 7000, dropped by rule 10: none reaches r's socket, and the drop
#    action and rule 10 each count 5 packets and 5 x 9,014 bytes;
#  - UDP to 7001, no rule: all 5 arrive whole (8,972 bytes each), counted
#    under reason policy with their whole length;
#  - ping -s 8900 -M do (no fragmentation anywhere): 3 replies, counted by
#    the policy, then with "rule add 20 proto icmp drop" none, rule 20
#    counting 3 packets of 8,942 bytes.
#
#   a (10.214.1.2, MTU 9000) --- r0 [r: sluiced] (10.214.1.1, MTU 9000)
#
# a's checksum offload is off: a native XDP pass on veth must not meet
# half-done checksums (see BENCHMARKING.md), and tc sees the same frames.
. "$(dirname "$0")/../lib/tap.sh"

plan 30
lab_init jb

A=10.214.1.2 R=10.214.1.1
ns_add r && ns_add a && veth a $A/24 r $R/24 || exit 1
AD=${TAG}a0 RD=${TAG}r0
ip -n "sl-$TAG-a" link set "$AD" mtu 9000 &&
	ip -n "sl-$TAG-r" link set "$RD" mtu 9000 &&
	nsx a ethtool -K "$AD" tx off >/dev/null || exit 1

echo "rule add 10 proto udp dport 7000 drop" >"$CONF"
daemon_start r || exit 1
udp_sink r 7000 "$LAB_DIR/u7000"
sleep 0.2

# send N PORT: N datagrams of 8,972 bytes (9,000 with IP and UDP) from a.
send() {
	nsx a "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"%08d" % i + b"j" * 8964, (sys.argv[3], int(sys.argv[2])))' \
		"$1" "$2" $R
}

# What r's socket on 7001 receives until a second of quiet: "COUNT SIZES".
recv7001() {
	nsx r "$PY" -c '
import select, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7001))
got = []
while select.select([s], [], [], 1.5)[0]:
    got.append(len(s.recv(65536)))
print(len(got), ",".join(map(str, sorted(set(got)))))' >"$LAB_DIR/r7001" &
	lab_pid $!
}

# size FILE: its bytes, 0 when it does not exist.
size() {
	if [ -f "$1" ]; then wc -c <"$1"; else echo 0; fi
}

rule_bytes() {
	sl -j stats 2>/dev/null | jx "
sum(r['bytes'] for r in d['rules'] if r['prio'] == $1)"
}

# ping_big: replies to 3 pings of 8,900 bytes that may not be fragmented.
ping_big() {
	nsx a ping -n -q -c 3 -i 0.2 -W 1 -s 8900 -M "do" $R 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

FRAME=9014 PING=8942
for mode in native tc; do
	hook=xdp
	[ $mode = tc ] && hook=tc
	diag "--- $mode"
	[ $mode = tc ] && sl detach "$RD" >/dev/null
	out=$(sl -j attach "$RD" mode $mode 2>&1)
	is "$mode: attach at MTU 9000 reports mode $mode" \
		"$(printf '%s\n' "$out" | jx "d['mode']" 2>/dev/null)" $mode
	if [ $mode = native ]; then
		is "native: the kernel shows the XDP program" "$(link_xdp r "$RD")" xdp
	else
		is "tc: the kernel shows the tc program" "$(link_tc r "$RD")" yes
	fi
	# Let ARP settle so that it is not in what we count.
	nsx a ping -q -c 1 -W 1 $R >/dev/null 2>&1

	# UDP to 7000: dropped by rule 10, whole frames counted.
	dp0=$(stat_pk "$RD" $hook actions drop)
	db0=$(stat_pk "$RD" $hook actions drop bytes)
	rp0=$(rule_pk 10) rb0=$(rule_bytes 10)
	s0=$(size "$LAB_DIR/u7000")
	send 5 7000
	sleep 0.5
	is "$mode: no 9000-byte datagram to 7000 reached r" \
		"$(($(size "$LAB_DIR/u7000") - s0))" 0
	is "$mode: drop action +5 packets" \
		"$(($(stat_pk "$RD" $hook actions drop) - dp0))" 5
	is "$mode: drop action +5 x $FRAME bytes" \
		"$(($(stat_pk "$RD" $hook actions drop bytes) - db0))" $((5 * FRAME))
	is "$mode: rule 10 +5 packets" "$(($(rule_pk 10) - rp0))" 5
	is "$mode: rule 10 +5 x $FRAME bytes" \
		"$(($(rule_bytes 10) - rb0))" $((5 * FRAME))

	# UDP to 7001: no rule, passed whole.
	pp0=$(stat_pk "$RD" $hook reasons policy)
	pb0=$(stat_pk "$RD" $hook reasons policy bytes)
	recv7001
	rpid=$!
	sleep 0.3
	send 5 7001
	wait $rpid
	is "$mode: all 5 datagrams to 7001 arrived whole (8,972 bytes)" \
		"$(cat "$LAB_DIR/r7001")" "5 8972"
	is "$mode: reason policy +5 packets, +5 x $FRAME bytes" \
		"$(($(stat_pk "$RD" $hook reasons policy) - pp0)) $(($(stat_pk "$RD" $hook reasons policy bytes) - pb0))" \
		"5 $((5 * FRAME))"

	# ping -s 8900 -M do: passed, then dropped by an ICMP rule.
	pp0=$(stat_pk "$RD" $hook reasons policy)
	pb0=$(stat_pk "$RD" $hook reasons policy bytes)
	is "$mode: ping -s 8900 -M do: 3 replies" "$(ping_big)" 3
	is "$mode: the requests counted by the policy, whole ($PING bytes)" \
		"$(($(stat_pk "$RD" $hook reasons policy) - pp0)) $(($(stat_pk "$RD" $hook reasons policy bytes) - pb0))" \
		"3 $((3 * PING))"
	check "$mode: rule add 20 proto icmp drop" sl rule add 20 proto icmp drop
	rp0=$(rule_pk 20) rb0=$(rule_bytes 20)
	is "$mode: ping -s 8900 -M do with rule 20: no reply" "$(ping_big)" 0
	is "$mode: rule 20 +3 packets, +3 x $PING bytes" \
		"$(($(rule_pk 20) - rp0)) $(($(rule_bytes 20) - rb0))" "3 $((3 * PING))"
	check "$mode: rule del 20" sl rule del 20
done
