#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# 65,535 rules of random shapes (every priority taken): test-run agrees
# with the reference matcher (selftests/lib/refmatch.py) on both hooks; a
# real sluiced loads them, "rule list" shows them all, traffic meets the
# one rule meant for it; a reload of a changed 65,535-rule file succeeds,
# and test-run and traffic show the new verdicts.
#
#   SEED=N selftests/run.sh rules65k      other random rules (default 65535)
#
#   a (10.207.1.2) --- r0 [router: sluiced]
. "$(dirname "$0")/../lib/tap.sh"

GEN="$(cd "$(dirname "$0")/../lib" && pwd)/diffgen.py"
SEED=${SEED:-65535}
KEY=60001

plan 18
lab_init bg
ns_add r && ns_add a &&
	veth a 10.207.1.2/24 r 10.207.1.1/24 0 || exit 1
R=${TAG}r0

# BIG_MODE=few keeps the shapes few (a check of this script on a
# classifier limited to 64 shapes); make test uses any shape.
MODE=${BIG_MODE:-full}

# big VARIANT: the configuration and packets of that variant in $LAB_DIR/VARIANT.
big() {
	"$PY" "$GEN" big --dir "$LAB_DIR/$1" --seed "$SEED" --iface "$R" \
		--variant "$1" --probe-src 10.207.1.2 --probe-dst 10.207.1.1 \
		--probe-dport 7777 --key-prio "$KEY" --packets 200 --mode "$MODE"
}

# testrun VARIANT HOOK: test-run agrees with the reference on every packet.
testrun() {
	_d=$LAB_DIR/$1
	"$SLUICE" test-run -c "$_d/sluice.conf" --pcap "$_d/packets.pcap" \
		--hook "$2" --in "$R" -j >"$_d/got-$2.json" 2>"$_d/err-$2"
	_rc=$?
	if _o=$("$PY" "$GEN" compare --dir "$_d" --hook "$2" --require rule 50 \
		"$_d/got-$2.json" 2>&1) &&
		[ $_rc -eq 0 ]; then
		pass "65,535 rules ($1), test-run $2: every packet agrees"
		diag "$(printf '%s\n' "$_o" | tail -n 1)"
	else
		fail "65,535 rules ($1), test-run $2: every packet agrees"
		diag "test-run exit status $_rc: $(cat "$_d/err-$2")" "$_o"
	fi
}

nrules() {
	sl -j rule list 2>/dev/null | jx "len(d)"
}
rule_text() {
	sl -j rule list 2>/dev/null | jx "[r['rule'] for r in d if r['prio'] == $1][0]"
}

check "generate 65,535 rules (a)" big a
check "generate 65,535 rules (b)" big b
cmp_ok "the files differ in about 1/16 of the rules" "$("$PY" -c "
a = open('$LAB_DIR/a/sluice.conf').read().splitlines()
b = open('$LAB_DIR/b/sluice.conf').read().splitlines()
print(sum(x != y for x, y in zip(a, b)))")" -ge 3500
testrun a xdp
testrun a tc

cp "$LAB_DIR/a/sluice.conf" "$CONF"
t0=$(date +%s.%N)
daemon_start r || exit 1
diag "sluiced up with 65,535 rules in $(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $t0 }") s"
is "rule list shows 65,535 rules" "$(nrules)" 65535
is "rule $KEY is the probe's pass rule" "$(rule_text $KEY)" \
	"$KEY src 10.207.1.2/32 proto udp dport 7777 pass"
udp_sink r 7777 "$LAB_DIR/sink"
sleep 0.3
udp_send a 10.207.1.1 7777 5
sleep 0.3
is "a's datagrams pass (rule $KEY, pass)" "$(lines "$LAB_DIR/sink")" 5
is "rule $KEY counted them" "$(rule_pk $KEY)" 5

cp "$LAB_DIR/b/sluice.conf" "$CONF"
t0=$(date +%s.%N)
check "sluice reload of the changed 65,535-rule file" sl reload
diag "reload took $(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $t0 }") s"
is "rule list still shows 65,535 rules" "$(nrules)" 65535
is "rule $KEY now drops" "$(rule_text $KEY)" \
	"$KEY src 10.207.1.2/32 proto udp dport 7777 drop"
check "rule 16 differs between the files" test \
	"$(grep '^rule add 16 ' "$LAB_DIR/a/sluice.conf")" != \
	"$(grep '^rule add 16 ' "$LAB_DIR/b/sluice.conf")"
is "rule 16 is the new file's" "$(rule_text 16)" \
	"$(sed -n 's/^rule add \(16 .*\)/\1/p' "$LAB_DIR/b/sluice.conf")"
udp_send a 10.207.1.1 7777 5
sleep 0.3
is "a's datagrams are dropped now" "$(lines "$LAB_DIR/sink")" 5
is "rule $KEY counted them (5 + 5)" "$(rule_pk $KEY)" 10
testrun b xdp
testrun b tc
