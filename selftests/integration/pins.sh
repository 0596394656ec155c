#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The pin directory removed behind sluiced's back is pinned again within a
# second, so a restart finds the run-time rules, sets and counters; when
# it cannot be pinned again, the log says so and the exit does not claim
# "maps pinned".
#
#   a (10.207.1.2) --- r0 [sluiced, XDP generic]
. "$(dirname "$0")/../lib/tap.sh"

plan 13
lab_init pn
ns_add r && ns_add a &&
	veth a 10.207.1.2/24 r 10.207.1.1/24 0 || exit 1
A=${TAG}r0
daemon_start r || exit 1
check "attach $A" sl attach "$A" mode generic
check "a run-time set" sl set add blk 10.207.1.0/24
check "a run-time rule" sl rule add 10 src @blk proto icmp drop
is "ping from a is dropped" "$(ping_rx a 10.207.1.1 3)" 0

npins=$(ls "$PIN_DIR" | wc -l)
rm -rf "$PIN_DIR"
i=0
while [ $i -lt 30 ] && [ "$(ls "$PIN_DIR" 2>/dev/null | wc -l)" != "$npins" ]; do
	sleep 0.05
	i=$((i + 1))
done
is "the $npins pins are back within 1.5 s" "$(ls "$PIN_DIR" 2>/dev/null | wc -l)" "$npins"
like "the log says so" "$(cat "$DLOG")" \
	"$PIN_DIR: $npins pins were gone .removed behind sluiced's back.; pinned again"

kill -TERM "$DPID"
wait "$DPID" 2>/dev/null
like "the exit says the maps are pinned" "$(cat "$DLOG")" \
	"exiting; programs stay attached, maps pinned"
: >"$DLOG"
daemon_start r || exit 1
is "after a restart: the run-time rule is there" \
	"$(sl rule list | grep -c '^10 src @blk proto icmp drop$')" 1
is "after a restart: the set holds its prefix" \
	"$(sl -j set list blk | jx "d['entries4']")" 1
is "after a restart: rule 10 counted the 3 drops" "$(rule_pk 10)" 3
is "after a restart: ping from a is still dropped" "$(ping_rx a 10.207.1.1 3)" 0

# Now make pinning impossible: a dangling symlink where the directory was.
rm -rf "$PIN_DIR"
ln -s "$LAB_DIR/nowhere" "$PIN_DIR"
sleep 1
like "the log says the pins cannot be put back" "$(cat "$DLOG")" \
	"$PIN_DIR: cannot pin: .*; a restart would begin empty"
kill -TERM "$DPID"
wait "$DPID" 2>/dev/null
like "the exit does not claim the maps are pinned" "$(cat "$DLOG")" \
	"exiting; programs stay attached, but the maps are NOT pinned"
