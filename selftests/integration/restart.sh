#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# kill -9 of sluiced while traffic flows: the programs stay attached and
# keep their verdicts, the restarted daemon adopts interfaces, rules and
# sets, and the counters go on from where they were, exactly.
#
#   a (10.202.1.2) --- r0 [router: sluiced, XDP native]
#   b (10.202.2.2) --- r1 [tc]
#   c (10.202.3.2) --- r2 [XDP generic, policy drop]
#
# Rule 10 (configuration) drops ICMP from a; rule 30 (runtime) drops UDP
# to port 7000; rule 40 (runtime) drops what comes from the set "blk".
. "$(dirname "$0")/../lib/tap.sh"

plan 32
lab_init rs
ns_add r && ns_add a && ns_add b && ns_add c &&
	veth a 10.202.1.2/24 r 10.202.1.1/24 0 &&
	veth b 10.202.2.2/24 r 10.202.2.1/24 1 &&
	veth c 10.202.3.2/24 r 10.202.3.1/24 2 || exit 1
A=${TAG}r0
B=${TAG}r1
C=${TAG}r2
echo 'rule add 10 src 10.202.1.2 proto icmp drop' >"$CONF"
daemon_start r || exit 1
check "attach $A native" sl attach "$A" mode native
check "attach $B tc" sl attach "$B" mode tc
check "attach $C generic, policy drop" sh -c "
	'$SLUICE' -s '$SOCK' attach '$C' mode generic &&
	'$SLUICE' -s '$SOCK' policy '$C' drop"
check "runtime rules and set" sh -c "
	'$SLUICE' -s '$SOCK' rule add 30 proto udp dport 7000 drop &&
	'$SLUICE' -s '$SOCK' set add blk 10.202.9.0/24 192.0.2.1 &&
	'$SLUICE' -s '$SOCK' rule add 40 src @blk drop"
udp_sink r 7000 "$LAB_DIR/udp7000"
udp_sink r 7001 "$LAB_DIR/udp7001"

rules_text() {
	sl -j rule list | jx "[r['rule'] + ' ' + r['origin'] for r in d]"
}
rules_before=$(rules_text)
sets_before=$(sl -j set list blk | jx "sorted(d['prefixes'])")
diag "rules:" "$rules_before"

# Steady traffic: 20 echo requests a second from each side for 6 seconds.
nsx a ping -n -D -c 120 -i 0.05 -W 1 10.202.1.1 >"$LAB_DIR/ping-a" 2>&1 &
pa=$!
lab_pid $pa
nsx b ping -n -D -c 120 -i 0.05 -W 1 10.202.2.1 >"$LAB_DIR/ping-b" 2>&1 &
pb=$!
lab_pid $pb
nsx c ping -n -D -c 120 -i 0.05 -W 1 10.202.3.1 >"$LAB_DIR/ping-c" 2>&1 &
pc=$!
lab_pid $pc
sleep 1.5

d1=$(stat_pk "$A" xdp actions drop)
k1=$(rule_pk 10)
p1=$(stat_pk "$B" tc reasons policy)
diag "before the kill: $A drops $d1, rule 10 $k1, $B policy passes $p1"
cmp_ok "counters are moving before the kill" "$((d1 > 0 && p1 > 0))" -eq 1

t_kill=$(date +%s.%N)
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
refute "sluiced is gone after kill -9" daemon_alive
# The outage: nothing answers; the kernel keeps the programs.
is "during the outage: $A still has its XDP program" "$(link_xdp r "$A")" xdp
is "during the outage: $B still has its tc program" "$(link_tc r "$B")" yes
udp_send b 10.202.2.1 7000 3
udp_send b 10.202.2.1 7001 3
sleep 1.5
t_restart=$(date +%s.%N)
daemon_start r
is "sluiced restarts on the same pins" "$?" 0

# Adopted state.
is "status: $A attached, xdp native" \
	"$(iface_field "$A" attached) $(iface_field "$A" hook) $(iface_field "$A" mode)" \
	"true xdp native"
is "status: $B attached, tc" \
	"$(iface_field "$B" attached) $(iface_field "$B" hook)" "true tc"
is "status: $C attached, xdp generic, policy drop" \
	"$(iface_field "$C" attached) $(iface_field "$C" mode) $(iface_field "$C" policy)" \
	"true generic drop"
is "rule list is the same after the restart" "$(rules_text)" "$rules_before"
is "set blk is the same after the restart" \
	"$(sl -j set list blk | jx "sorted(d['prefixes'])")" "$sets_before"

d2=$(stat_pk "$A" xdp actions drop)
k2=$(rule_pk 10)
p2=$(stat_pk "$B" tc reasons policy)
diag "after the restart: $A drops $d2, rule 10 $k2, $B policy passes $p2"
cmp_ok "$A drop counter did not go back" "$d2" -ge "$d1"
cmp_ok "rule 10 counter did not go back" "$k2" -ge "$k1"
cmp_ok "$B pass counter did not go back" "$p2" -ge "$p1"
cmp_ok "the drops made during the outage were counted (+20 at least)" \
	"$d2" -ge "$((d1 + 20))"

wait $pa
wait $pb
wait $pc
sleep 0.2
tx_a=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$LAB_DIR/ping-a")
rx_a=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_DIR/ping-a")
tx_b=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$LAB_DIR/ping-b")
rx_b=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_DIR/ping-b")
tx_c=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$LAB_DIR/ping-c")
rx_c=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_DIR/ping-c")
diag "a: $tx_a sent, $rx_a received; b: $tx_b sent, $rx_b received; c: $tx_c sent, $rx_c received"
is "the blocked source got no reply, ever ($tx_a sent)" "$rx_a" 0
is "the allowed source got every reply ($tx_b sent)" "$rx_b" "$tx_b"
is "the source behind policy drop got no reply, ever ($tx_c sent)" "$rx_c" 0
# Replies b got while no daemon ran.
during=$(awk -v a="$t_kill" -v z="$t_restart" -F'[][]' \
	'/bytes from/ && $2 >= a && $2 <= z { n++ } END { print n + 0 }' \
	"$LAB_DIR/ping-b")
cmp_ok "the allowed source got replies during the outage ($during)" \
	"$during" -ge 20
is "UDP to port 7000 sent during the outage never arrived" \
	"$(lines "$LAB_DIR/udp7000")" 0
is "UDP to port 7001 sent during the outage arrived" \
	"$(lines "$LAB_DIR/udp7001")" 3

# Exact totals over the daemon's two lives.
is "rule 10 counted every echo request of a" "$(rule_pk 10)" "$tx_a"
is "$A dropped exactly a's echo requests" \
	"$(stat_pk "$A" xdp actions drop)" "$tx_a"
is "$B passed exactly b's echo requests and 3 datagrams by policy" \
	"$(stat_pk "$B" tc reasons policy)" "$((tx_b + 3))"
is "$C dropped by policy exactly c's echo requests" \
	"$(stat_pk "$C" xdp reasons policy) $(stat_pk "$C" xdp actions drop)" "$tx_c $tx_c"
is "rule 30 counted the 3 datagrams of the outage" "$(rule_pk 30)" 3
is "rule 40 counted nothing" "$(rule_pk 40)" 0

# A second restart with nothing flowing changes nothing.
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
daemon_start r
diag "sluiced pid $DPID"
is "counters survive a second kill -9 exactly" \
	"$(rule_pk 10) $(rule_pk 30) $(stat_pk "$A" xdp actions drop)" \
	"$tx_a 3 $tx_a"
check "sluiced is running" daemon_alive
