#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The nocap build (make nocap: the capture hook compiled out, make bench's
# baseline for the capture's cost) loads and judges packets on both hooks.
# Its program is not the one every other test loads: a verifier refusal
# there (the pipeline's stack, say) would otherwise show only in make bench.
# A capture on it sees nothing, which tells the two builds apart.
#
#   a (10.217.1.2) --- r0 [nocap sluiced, XDP native]
#   b (10.217.2.2) --- r1 [nocap sluiced, tc]
. "$(dirname "$0")/../lib/tap.sh"

plan 11
SLUICED=$SLUICE_BUILD/nocap/sluiced
if [ ! -x "$SLUICED" ]; then
	echo "Bail out! $SLUICED is missing (build it: make nocap)"
	exit 1
fi
lab_init nc
ns_add r && ns_add a && ns_add b &&
	veth a 10.217.1.2/24 r 10.217.1.1/24 0 &&
	veth b 10.217.2.2/24 r 10.217.2.1/24 1 || exit 1
A=${TAG}r0
B=${TAG}r1
cat >"$CONF" <<EOF
rule add 10 proto icmp icmp-type 8 drop
EOF
daemon_start r || exit 1
check "attach $A native" sl attach "$A" mode native
check "attach $B tc" sl attach "$B" mode tc

# ip netns exec forks: the capture is the sluice among the lab's kin, and
# it is asked to stop as a user would, with SIGINT.
(exec "$SLUICE" -s "$SOCK" capture --rule 10 -c 1 -w "$LAB_DIR/nocap.pcapng" \
	2>"$LAB_DIR/capture.err") &
CPID=$!
lab_pid $CPID
_i=0
while [ "$(sl -j stats | jx "len(d['captures'])")" != 1 ] && [ $_i -lt 60 ]; do
	sleep 0.05
	_i=$((_i + 1))
done

is "native: pings from a are dropped" "$(ping_rx a 10.217.1.1 3)" 0
is "tc: pings from b are dropped" "$(ping_rx b 10.217.2.1 3)" 0
is "rule 10 counted the six" "$(rule_pk 10)" 6
is "$A: xdp drop counter" "$(stat_pk "$A" xdp actions drop)" 3
is "$B: tc drop counter" "$(stat_pk "$B" tc actions drop)" 3
is "$A: rule reason counted on xdp" "$(stat_pk "$A" xdp reasons rule)" 3

kill -INT $CPID 2>/dev/null
wait $CPID
is "a capture of rule 10 ended on SIGINT" "$?" 0
is "and saw none of its drops (the hook is compiled out)" \
	"$("$PY" -c 'import sys
from scapy.all import rdpcap
print(len(rdpcap(sys.argv[1])))' "$LAB_DIR/nocap.pcapng")" 0
check "sluiced is running" daemon_alive
