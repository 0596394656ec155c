#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# sluice capture: known frames against a rule set; a capture of one rule
# holds exactly the frames that rule dropped, byte for byte, each with its
# decision in the pcapng comment (tshark reads it); a second capture runs
# at once with its own filter; the rate cap holds; a FILTER narrows; both
# hooks; a reload mid-capture; SIGINT, kill -9 and the daemon's exit end
# a capture and leave nothing in the kernel.
#
#   a (10.207.1.2) --- r0 [sluiced, XDP native]
#   b (10.207.2.2) --- r1 [sluiced, tc]
. "$(dirname "$0")/../lib/tap.sh"

plan 37
lab_init cp
ns_add r && ns_add a && ns_add b &&
	veth a 10.207.1.2/24 r 10.207.1.1/24 0 &&
	veth b 10.207.2.2/24 r 10.207.2.1/24 1 || exit 1
A=${TAG}r0
B=${TAG}r1
cat >"$CONF" <<CONF
rule add 10 proto udp dport 9 drop
rule add 20 proto udp dport 10 drop
CONF
daemon_start r || exit 1
check "attach $A native" sl attach "$A" mode native
check "attach $B tc" sl attach "$B" mode tc
command -v tshark >/dev/null || diag "tshark is missing: tools/deps.sh --test"

# send X IFACE PCAP SPEC...: frames from X out of its IFACE, to the MAC of
# its peer in r, also written to PCAP.  SPEC is DPORT:COUNT (UDP, each
# datagram's payload its own), or "vlan" first to tag them (VLAN 5).
send() {
	_x=$1 _if=$2 _pcap=$3
	shift 3
	_mac=$(nsx r cat "/sys/class/net/${TAG}r${_if#"${TAG}$_x"}/address")
	nsx "$_x" "$PY" - "$_if" "$_mac" "$_pcap" "$@" <<'PYEOF'
import sys
from scapy.all import Ether, Dot1Q, IP, UDP, Raw, sendp, wrpcap, get_if_addr
iface, mac, pcap, specs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
src = get_if_addr(iface)
dst = src.rsplit(".", 1)[0] + ".1"
vlan = specs and specs[0] == "vlan"
frames = []
for spec in specs[1:] if vlan else specs:
    port, count = (int(x) for x in spec.split(":"))
    for i in range(count):
        l2 = Ether(dst=mac) / Dot1Q(vlan=5) if vlan else Ether(dst=mac)
        frames.append(l2 / IP(src=src, dst=dst) / UDP(sport=40000 + i, dport=port)
                      / Raw(b"capture %d %d" % (port, i)))
sendp(frames, iface=iface, verbose=False)
wrpcap(pcap, frames)
PYEOF
}

# slx ARGS...: the CLI, in the background the process itself (not a
# subshell with our traps), so that $! is its pid.
slx() {
	exec "$SLUICE" -s "$SOCK" "$@"
}

# captures: how many the daemon runs now.
captures() {
	sl -j stats | jx "len(d['captures'])"
}

# wait_captures N: until the daemon runs N captures (3 s at most).
wait_captures() {
	_i=0
	while [ "$(captures)" != "$1" ] && [ $_i -lt 60 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	[ "$(captures)" = "$1" ]
}

# wait_exit PID: until PID is gone (10 s at most); its status.
wait_exit() {
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	wait "$1"
}

# same_frames SENT CAPTURED [DPORT]: the frames of SENT (those to DPORT)
# are those of CAPTURED, in order, byte for byte.
same_frames() {
	"$PY" - "$@" <<'PYEOF'
import sys
from scapy.all import rdpcap, UDP
sent = [bytes(p) for p in rdpcap(sys.argv[1])
        if len(sys.argv) < 4 or (UDP in p and p[UDP].dport == int(sys.argv[3]))]
got = [bytes(p) for p in rdpcap(sys.argv[2])]
if sent != got:
    print("sent %d frames, captured %d; first difference at %s" % (len(sent), len(got),
          next((i for i, (a, b) in enumerate(zip(sent, got)) if a != b), "the end")))
    sys.exit(1)
PYEOF
}

# kernel_clean: no capture slot on, no capture ring left anywhere.
kernel_clean() {
	on=$(bpftool -j map lookup pinned "$PIN_DIR/sl_cap_on" key 0 0 0 0 |
		jx "sum(int(x, 16) for x in d['value'])")
	rings=$(bpftool -j map show | jx "len([m for m in d if m.get('name') == 'sl_cap_ring'])")
	[ "$on" = 0 ] && [ "$rings" = 0 ]
}

diag "=== two captures at once: rule 10 to pcapng, every drop as JSON lines"
slx capture --rule 10 -c 20 -w "$LAB_DIR/r10.pcapng" 2>"$LAB_DIR/r10.err" &
P1=$!
lab_pid $P1
slx -j capture --verdict drop -c 40 >"$LAB_DIR/drops.json" 2>/dev/null &
P2=$!
lab_pid $P2
check "two captures run at once" wait_captures 2
send a "${TAG}a0" "$LAB_DIR/sent.pcap" 9:20 10:20 11:10
wait_exit $P1
is "capture --rule 10 -c 20 ends by itself, status 0" "$?" 0
wait_exit $P2
is "capture --verdict drop -c 40 ends by itself, status 0" "$?" 0
check "rule 10's capture: exactly the frames rule 10 dropped, byte for byte" \
	same_frames "$LAB_DIR/sent.pcap" "$LAB_DIR/r10.pcapng" 9
is "tcpdump -r reads the pcapng: 20 packets" \
	"$(tcpdump -n -r "$LAB_DIR/r10.pcapng" 2>/dev/null | wc -l)" 20
is "each packet's comment is its decision (tshark)" \
	"$(tshark -r "$LAB_DIR/r10.pcapng" -T fields -e frame.comment 2>/dev/null | sort | uniq -c | sed 's/^ *//')" \
	"20 iface=$A hook=xdp verdict=drop rule=10 reason=rule"
like "the summary counts them" "$(cat "$LAB_DIR/r10.err")" "20 packets captured"
is "the JSON capture: 40 drops, 20 by each rule" \
	"$("$PY" -c "import json; [print(x) for x in sorted(set('%s %d' % (x['verdict'], x['rule']) for x in map(json.loads, open('$LAB_DIR/drops.json'))))]")" \
	"drop 10
drop 20"
is "the JSON capture has 40 lines" "$(lines "$LAB_DIR/drops.json")" 40
check "the JSON's bytes are the frames dropped" "$PY" -c "
import json, sys
from scapy.all import rdpcap, UDP
sent = [bytes(p).hex() for p in rdpcap('$LAB_DIR/sent.pcap') if p[UDP].dport in (9, 10)]
got = [json.loads(l)['data'] for l in open('$LAB_DIR/drops.json')]
sys.exit(sorted(sent) != sorted(got))"
check "both captures over: nothing left in the kernel" kernel_clean

diag "=== a FILTER narrows a capture, in user space"
slx -j capture --verdict drop -c 5 udp dst port 10 and udp src port 40007 \
	>"$LAB_DIR/filter.json" 2>"$LAB_DIR/filter.err" &
P=$!
lab_pid $P
wait_captures 1
send a "${TAG}a0" "$LAB_DIR/f.pcap" 9:10 10:10
sleep 0.5
kill -INT $P
wait_exit $P
is "SIGINT ends the capture, status 0" "$?" 0
is "the FILTER let one packet through: dport 10, sport 40007" \
	"$("$PY" -c "import json; [print((x['rule'], x['summary'])) for x in map(json.loads, open('$LAB_DIR/filter.json'))]")" \
	"(20, '10.207.1.2 > 10.207.1.1 udp 40007 > 10')"
like "the summary counts what the FILTER left out" "$(cat "$LAB_DIR/filter.err")" \
	"19 packets not matching the filter"
sl capture --rule 10 "udp port" >/dev/null 2>"$LAB_DIR/bad.err"
is "a FILTER that does not compile: status 2" "$?" 2
like "... and the error names it" "$(cat "$LAB_DIR/bad.err")" 'filter "udp port"'
check "a failed capture leaves no slot" wait_captures 0

diag "=== the rate cap"
slx capture --rule 20 --rate 5 >"$LAB_DIR/rate.txt" 2>"$LAB_DIR/rate.err" &
P=$!
lab_pid $P
wait_captures 1
t0=$(date +%s%N)
send a "${TAG}a0" "$LAB_DIR/rate.pcap" 10:300
sleep 0.3
sup=$(sl -j stats | jx "d['captures'][0]['suppressed']")
kill -INT $P
wait_exit $P
t1=$(date +%s%N)
n=$(lines "$LAB_DIR/rate.txt")
# GCRA: a second's worth at once, then 5/s; 1 more for two CPUs racing.
max=$((5 + 5 * (t1 - t0) / 1000000000 + 1 + 1))
cmp_ok "at most --rate 5 per second came through ($n in $(((t1 - t0) / 1000000)) ms)" "$n" -le "$max"
cmp_ok "some did" "$n" -ge 5
cmp_ok "the rest were counted as suppressed ($sup)" "$sup" -ge $((300 - max))
like "lines say interface, hook, verdict, rule and reason" "$(head -1 "$LAB_DIR/rate.txt")" \
	"$A xdp drop rule 20 reason rule len 54: 10.207.1.2 > 10.207.1.1 udp 40000 > 10"
m=$(sl metrics)
like "/metrics counts captured packets" "$m" 'sluice_capture_packets_total{outcome="captured"} [1-9]'
like "/metrics counts suppressed packets" "$m" 'sluice_capture_packets_total{outcome="suppressed"} [1-9]'
like "/metrics has the lost counter" "$m" 'sluice_capture_packets_total{outcome="lost"} 0'

diag "=== tc: a capture of one interface, VLAN tag put back"
slx capture "$B" -c 6 -w "$LAB_DIR/tc.pcapng" 2>/dev/null &
P=$!
lab_pid $P
wait_captures 1
send a "${TAG}a0" "$LAB_DIR/other.pcap" 9:5
send b "${TAG}b1" "$LAB_DIR/tc.pcap" vlan 9:3 11:3
wait_exit $P
is "capture IFACE ends after -c 6, status 0" "$?" 0
check "tc: the 6 frames of $B, byte for byte, none of $A" \
	same_frames "$LAB_DIR/tc.pcap" "$LAB_DIR/tc.pcapng"
is "tc: hook, verdicts, rules and reasons in the comments" \
	"$(tshark -r "$LAB_DIR/tc.pcapng" -T fields -e frame.comment 2>/dev/null | sort | uniq -c | sed 's/^ *//')" \
	"3 iface=$B hook=tc verdict=drop rule=10 reason=rule
3 iface=$B hook=tc verdict=pass reason=policy"

diag "=== a reload mid-capture"
slx capture --rule 10 -c 30 -w "$LAB_DIR/reload.pcapng" 2>/dev/null &
P=$!
lab_pid $P
wait_captures 1
send a "${TAG}a0" "$LAB_DIR/re1.pcap" 9:15
check "reload" sl reload
send a "${TAG}a0" "$LAB_DIR/re2.pcap" 9:15
wait_exit $P
is "the capture went on over the reload: 30 packets" \
	"$(tcpdump -n -r "$LAB_DIR/reload.pcapng" 2>/dev/null | wc -l)" 30

diag "=== kill -9, the daemon's exit"
slx capture --rule 10 >/dev/null 2>&1 &
P=$!
lab_pid $P
wait_captures 1
kill -9 $P
check "a capture killed with -9: its slot is freed" wait_captures 0
check "... and nothing is left in the kernel" kernel_clean
slx capture --rule 10 -w - 2>"$LAB_DIR/gone.err" | tcpdump -n -r - >"$LAB_DIR/gone.txt" 2>/dev/null &
P=$!
lab_pid $P
wait_captures 1
send a "${TAG}a0" "$LAB_DIR/gone.pcap" 9:3
sleep 0.5
kill "$DPID"
wait_exit $P
is "sluiced exits: the capture ends, status 0" "$?" 0
is "-w - streamed to tcpdump -r -: 3 packets" "$(lines "$LAB_DIR/gone.txt")" 3
like "... and it says why it ended" "$(cat "$LAB_DIR/gone.err")" "sluiced went away"
daemon_start r || exit 1
check "after sluiced: nothing left in the kernel" kernel_clean
