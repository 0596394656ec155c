#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The demo lab (tools/demo/lab.sh, "make demo") runs to the end, says the
# flood was dropped, and leaves nothing behind; interrupted half way
# (Ctrl-C), it still tears everything down.
. "$(dirname "$0")/../lib/tap.sh"

plan 12
if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP needs root"
	exit 0
fi
LAB="$(dirname "$0")/../../tools/demo/lab.sh"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# leftovers PID OUTPUT: what a run of lab.sh as PID left behind.
leftovers() {
	_tmp=$(sed -n 's/.*pins \(\/tmp\/sluice-demo\.[^/]*\)\/.*/\1/p' "$2" | head -1)
	_l=""
	ip netns list 2>/dev/null | grep -q "^sldemo$1-" && _l="$_l namespaces"
	[ -n "$_tmp" ] && grep -q " $_tmp" /proc/mounts && _l="$_l bpffs"
	[ -n "$_tmp" ] && [ -e "$_tmp" ] && _l="$_l $_tmp"
	[ -z "$_tmp" ] && _l="$_l (no pin dir in the output)"
	echo "${_l:-none}"
}

t0=$(date +%s)
BUILD=$SLUICE_BUILD sh "$LAB" >"$out" 2>&1 &
pid=$!
wait $pid
rc=$?
secs=$(($(date +%s) - t0))
sed 's/^/# /' "$out"
is "lab.sh exits 0" "$rc" 0
cmp_ok "in under a minute ($secs s)" "$secs" -lt 60
like "the client's ping got its replies" "$(cat "$out")" \
	"^3 packets transmitted, 3 received"
like "the TCP transfer ran" "$(cat "$out")" "Mbits/sec.*receiver"
like "port 22 was dropped" "$(cat "$out")" "client -> server:22: connection timed out"
like "sluice status showed both hooks" "$(cat "$out")" \
	"r-client: .*attached, hook xdp, mode native"
like "live stats showed drop rates" "$(cat "$out")" "packets/s"
like "it says the flood was dropped" "$(cat "$out")" \
	"^RESULT: the flood was dropped: the server saw none of it"
like "the server received 0 from the attacker" "$(cat "$out")" \
	"^server received from it: +0$"
is "nothing left behind" "$(leftovers $pid "$out")" none

# Ctrl-C in the middle of the flood.  (A background job of a script
# ignores SIGINT unless told otherwise: env --default-signal.)  The first
# run's output goes first: the job may open "$out" after the wait below
# has read it, and that one has reached step 6.
: >"$out"
BUILD=$SLUICE_BUILD env --default-signal=INT sh "$LAB" >"$out" 2>&1 &
pid=$!
i=0
until grep -q "== 6\." "$out" || [ $i -gt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 1
kill -INT $pid
wait $pid
rc=$?
sed 's/^/# /' "$out" | tail -5
is "interrupted: exit 130, teardown reported" \
	"$rc $(grep -c 'namespaces, veths, bpffs and processes removed' "$out")" "130 1"
is "interrupted: nothing left behind" "$(leftovers $pid "$out")" none
