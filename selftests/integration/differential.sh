#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Differential tests of the classifier: random rule sets (every field of
# the grammar, any prefix length of both families, sets, port ranges,
# TCP flags with negations, ICMP types and codes, DSCPs, IP length
# ranges, fragment bits, VLANs, interfaces, random priorities and
# policies) and random packets (VLAN tags, IPv4 options, IPv6 extension
# headers, DSCPs, DF, first, middle and last fragments, lengths padded
# into the rules' ranges, truncation at every layer, broken headers),
# through "sluice test-run -j" on both hooks, against the
# reference matcher selftests/lib/refmatch.py, written from the README
# and not from the BPF code.  Every packet's verdict, rule and reason
# must agree; the differing packets are printed (hex, rules, expected and
# got).
#
#   SEED=1234 selftests/run.sh differential     one more seed of each kind
#   DIFF_RULES=300 DIFF_PACKETS=2500            the size of a random case
#
# Cases: random rule sets of any shape (three fixed seeds), the everyday
# twelve-shape mix of issue 8 with a set and "src @blk drop" last, and a
# case of few shapes and well-formed packets (a check of the harness on a
# classifier that takes at most 64 shapes).
. "$(dirname "$0")/../lib/tap.sh"

GEN="$(cd "$(dirname "$0")/../lib" && pwd)/diffgen.py"
RULES=${DIFF_RULES:-300}
PACKETS=${DIFF_PACKETS:-2500}
SEEDS="101 202 303 ${SEED:-}"
MIX_SEEDS="404 ${SEED:-}"
FEW_SEEDS="505 ${SEED:-}"

n=0
for _s in $SEEDS $MIX_SEEDS $FEW_SEEDS; do n=$((n + 2)); done
plan "$n"
lab_init df

# case NAME SEED MODE RULES PACKETS REQUIREMENTS...: generate, run both
# hooks, compare.  REQUIREMENTS are diffgen.py compare options that the
# run must meet to count (packets of each reason, of the lowest rules).
case_run() {
	_name=$1 _seed=$2 _mode=$3 _rules=$4 _packets=$5
	shift 5
	_d=$LAB_DIR/$_name-$_seed
	if ! _o=$("$PY" "$GEN" gen --dir "$_d" --seed "$_seed" --mode "$_mode" \
		--rules "$_rules" --packets "$_packets" --iface dfa0 2>&1); then
		fail "$_name seed $_seed: generate"
		fail "$_name seed $_seed: generate"
		diag "$_o"
		return
	fi
	for _h in xdp tc; do
		"$SLUICE" test-run -c "$_d/sluice.conf" --pcap "$_d/packets.pcap" \
			--hook "$_h" --in dfa0 -j >"$_d/got-$_h.json" \
			2>"$_d/err-$_h"
		_rc=$?
		if _o=$("$PY" "$GEN" compare --dir "$_d" --hook "$_h" "$@" \
			"$_d/got-$_h.json" 2>&1) &&
			[ $_rc -eq 0 ]; then
			pass "$_name seed $_seed, $_rules rules, $_h: every packet agrees"
			diag "$(printf '%s\n' "$_o" | tail -n 1)"
		else
			fail "$_name seed $_seed, $_rules rules, $_h: every packet agrees"
			diag "test-run exit status $_rc: $(cat "$_d/err-$_h")" "$_o" \
				"reproduce: $PY $GEN gen --dir DIR --seed $_seed --mode $_mode --rules $_rules --packets $_packets --iface dfa0"
		fi
	done
}

for s in $SEEDS; do
	case_run random "$s" full "$RULES" "$PACKETS" \
		--require rule 300 --require policy 20 --require malformed 50 \
		--require fragment 20 --require truncated 10 --require not-ip 20 \
		--require parse-limit 5 --min-low 5
done
for s in $MIX_SEEDS; do
	case_run mix "$s" mix 300 1000 --require rule 300 --min-low 20
done
for s in $FEW_SEEDS; do
	case_run few-shapes "$s" few 300 1000 --require rule 300 \
		--require fragment 10 --min-low 20
done
