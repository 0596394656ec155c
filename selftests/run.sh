#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Run every test program and integration script, each of which speaks TAP
# (cmocka with CMOCKA_MESSAGE_OUTPUT=TAP, or selftests/lib/tap.sh), and
# end with one line: "N passed, N failed, N skipped".
#
#   selftests/run.sh [FILTER]   run only tests whose file name has FILTER
set -u
BUILD=${BUILD:-build}
filter=${1:-}
export CMOCKA_MESSAGE_OUTPUT=TAP
SLUICE_BUILD=$(cd "$BUILD" && pwd)
export SLUICE_BUILD
log=$(mktemp)
trap 'rm -f "$log"' EXIT

pass=0 fail=0 skip=0
run_one() {
	name=$1
	shift
	echo "# === $name"
	"$@" >"$log" 2>&1
	rc=$?
	cat "$log"
	p=$(grep -c '^ok ' "$log")
	s=$(grep -Ec '^(not )?ok [0-9]+.*# SKIP' "$log")
	f=$(grep -E '^not ok [0-9]+' "$log" | grep -vc '# SKIP')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	pass=$((pass + p - $(grep -Ec '^ok [0-9]+.*# SKIP' "$log")))
	fail=$((fail + f))
	skip=$((skip + s))
}

for t in "$BUILD"/selftests/test_*; do
	[ -x "$t" ] || continue
	case $t in *"$filter"*) ;; *) continue ;; esac
	run_one "$(basename "$t")" "$t"
done
for t in selftests/integration/*.sh; do
	[ -f "$t" ] || continue
	case $t in *"$filter"*) ;; *) continue ;; esac
	run_one "$(basename "$t")" sh "$t"
done

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
