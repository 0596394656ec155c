#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Configuration reload: a file with a bad line changes nothing (rules,
# sets, verdicts) and the error names FILE:LINE, by "sluice reload" and by
# SIGHUP; a good file takes effect and flips the verdicts; reloads under
# steady traffic never let a packet see a half-built rule set.
#
#   a (10.203.1.2) --- r0 [router: sluiced, XDP native]
#   b (10.203.2.2) --- r1 [tc]
. "$(dirname "$0")/../lib/tap.sh"

plan 27
lab_init rl
ns_add r && ns_add a && ns_add b &&
	veth a 10.203.1.2/24 r 10.203.1.1/24 0 &&
	veth b 10.203.2.2/24 r 10.203.2.1/24 1 || exit 1
A=${TAG}r0
B=${TAG}r1

cat >"$CONF" <<EOF
# v1: a may not ping
attach $A mode native
attach $B mode tc
set add blk 10.203.1.2
rule add 10 src @blk proto icmp drop
EOF
daemon_start r || exit 1
is "the configuration attached both interfaces" \
	"$(iface_field "$A" attached) $(iface_field "$A" mode) $(iface_field "$B" attached) $(iface_field "$B" hook)" \
	"true native true tc"

rules_text() {
	sl -j rule list 2>/dev/null | jx "[r['rule'] for r in d]"
}
sets_text() {
	sl -j set list 2>/dev/null | jx "sorted(s['set'] + ' ' + str(s['entries4']) for s in d)"
}
rules1=$(rules_text)
sets1=$(sets_text)
is "v1 rules" "$rules1" "10 src @blk proto icmp drop"
is "v1: a is dropped" "$(ping_rx a 10.203.1.1 3)" 0
is "v1: b passes" "$(ping_rx b 10.203.2.1 3)" 3

# A bad file: valid lines that would change everything, then an error on line 6.
cp "$CONF" "$LAB_DIR/v1.conf"
cat >"$CONF" <<EOF
# bad: would let a through and drop b
attach $A mode native
attach $B mode tc
set add other 10.203.2.2
rule add 15 src @other proto icmp drop
rule add 20 proto frobnicate drop
EOF
k10=$(rule_pk 10)
out=$(sl reload 2>&1)
rc=$?
cmp_ok "reload of a bad file fails" "$rc" -ne 0
like "the error names FILE:LINE ($CONF:6)" "$out" "$CONF:6([^0-9]|$)"
is "the error is one line" "$(printf '%s\n' "$out" | wc -l)" 1
is "rules unchanged after the bad reload" "$(rules_text)" "$rules1"
is "sets unchanged after the bad reload" "$(sets_text)" "$sets1"
is "bad reload: a is still dropped" "$(ping_rx a 10.203.1.1 3)" 0
is "bad reload: b still passes" "$(ping_rx b 10.203.2.1 3)" 3
is "bad reload: rule 10 still counts (+3)" "$(($(rule_pk 10) - k10))" 3
is "interfaces unchanged after the bad reload" \
	"$(iface_field "$A" attached) $(iface_field "$A" mode) $(iface_field "$B" attached) $(iface_field "$B" hook)" \
	"true native true tc"

# The same through SIGHUP.
kill -HUP "$DPID"
sleep 0.5
check "sluiced survives SIGHUP with a bad file" daemon_alive
is "rules unchanged after SIGHUP with a bad file" "$(rules_text)" "$rules1"
like "the log names $CONF:6" "$(cat "$DLOG")" "$CONF:6([^0-9]|$)"

# A good file flips the verdicts.
cat >"$CONF" <<EOF
# v2: b may not ping, a may
attach $A mode native
attach $B mode tc
set add other 10.203.2.2
rule add 15 src @other proto icmp drop
EOF
check "reload of a good file succeeds" sl reload
is "v2 rules" "$(rules_text)" "15 src @other proto icmp drop"
# Sets the file no longer names are kept (daemon.h).
is "v2 sets: other added, blk kept" "$(sets_text)" "blk 1
other 1"
is "v2: a passes now" "$(ping_rx a 10.203.1.1 3)" 3
is "v2: b is dropped now" "$(ping_rx b 10.203.2.1 3)" 0
is "rule 15 counted exactly b's 3" "$(rule_pk 15)" 3

# Atomicity: ICMP is dropped by rule 100 unless an earlier rule passes
# it.  b's pass rule moves between prio 50 and 60 on every reload: if a
# reload ever showed packets a partial rule set, b would lose replies.
mk() {
	cat >"$CONF" <<EOF
attach $A mode native
attach $B mode tc
set add ok 10.203.2.2
rule add $1 src @ok pass
rule add 100 proto icmp drop
EOF
}
mk 50
check "reload: default-drop ICMP with b passed" sl reload
nsx b ping -n -q -c 300 -i 0.01 -W 1 10.203.2.1 >"$LAB_DIR/ping-b" 2>&1 &
pb=$!
lab_pid $pb
n=0 bad=0
while [ $n -lt 30 ]; do
	if [ $((n % 2)) = 0 ]; then mk 60; else mk 50; fi
	sl reload >/dev/null 2>&1 || bad=$((bad + 1))
	n=$((n + 1))
done
wait $pb
is "30 reloads under traffic all succeeded" "$bad" 0
rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$LAB_DIR/ping-b")
is "b lost no reply across 30 reloads" "$rx" 300
is "a is dropped by rule 100" "$(ping_rx a 10.203.1.1 2)" 0
check "sluiced is running" daemon_alive
