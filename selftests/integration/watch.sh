#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Attachments watched.  A program taken off behind sluiced's back (ip link
# ... xdp off, tc qdisc del ... clsact) is attached again within a second;
# one replaced by another program (a second sluiced with its own pins) is
# not fought: status, metrics and the log say what holds the hook, and
# sluice takes the hook back once it is free again.
#
#   a (10.206.1.2) --- r0 [sluiced, XDP native]
#   b (10.206.2.2) --- r1 [sluiced, tc]
. "$(dirname "$0")/../lib/tap.sh"

plan 26
lab_init wa
ns_add r && ns_add a && ns_add b &&
	veth a 10.206.1.2/24 r 10.206.1.1/24 0 &&
	veth b 10.206.2.2/24 r 10.206.2.1/24 1 || exit 1
A=${TAG}r0
B=${TAG}r1
cat >"$CONF" <<EOF
rule add 10 proto icmp icmp-type 8 drop
EOF
daemon_start r || exit 1
check "attach $A native" sl attach "$A" mode native
check "attach $B tc" sl attach "$B" mode tc

# metric NAME IFACE: one sample of "sluice metrics".
metric() {
	sl metrics | sed -n "s/^$1{device=\"$2\"} //p"
}

# xdp_id IFACE: the id of the program on IFACE's XDP hook, as the kernel says.
xdp_id() {
	nsx r ip -d link show dev "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}

diag "=== taken off behind sluiced's back"
nsx r ip link set dev "$A" xdp off
ms=$(wait_for xdp link_xdp r "$A")
diag "$A: attached again after $ms ms"
cmp_ok "$A: XDP program taken off, attached again within a second ($ms ms)" \
	"$(((ms >= 0) && (ms <= 1000)))" -eq 1
is "$A: status says attached, mode native" \
	"$(iface_field "$A" attached) $(iface_field "$A" mode)" "true native"
is "$A: status prog id is the kernel's" "$(iface_field "$A" prog_id)" \
	"$(xdp_id "$A")"
is "$A: ping from a is dropped again" "$(ping_rx a 10.206.1.1 3)" 0
like "$A: the log says so" "$(cat "$DLOG")" \
	"$A: our program .prog id [0-9]*. was taken off the native hook; attaching again"

nsx r tc qdisc del dev "$B" clsact
ms=$(wait_for yes link_tc r "$B")
diag "$B: attached again after $ms ms"
cmp_ok "$B: clsact deleted, attached again within a second ($ms ms)" \
	"$(((ms >= 0) && (ms <= 1000)))" -eq 1
is "$B: status says attached, hook tc" \
	"$(iface_field "$B" attached) $(iface_field "$B" hook)" "true tc"
is "$B: ping from b is dropped again" "$(ping_rx b 10.206.2.1 3)" 0
is "no conflict counted for either" \
	"$(metric sluice_attach_conflicts_total "$A") $(metric sluice_attach_conflicts_total "$B")" \
	"0 0"

diag "=== replaced by a second sluiced"
PIN2=$LAB_DIR/bpffs/other
SOCK2=$LAB_DIR/other.sock
: >"$LAB_DIR/other.conf"
nsx r "$SLUICED" -f -c "$LAB_DIR/other.conf" -s "$SOCK2" -p "$PIN2" \
	>>"$LAB_DIR/other.log" 2>&1 &
lab_pid $!
_i=0
while [ $_i -lt 100 ] && ! "$SLUICE" -s "$SOCK2" status >/dev/null 2>&1; do
	sleep 0.05
	_i=$((_i + 1))
done
check "the second sluiced attaches to $A" "$SLUICE" -s "$SOCK2" attach "$A" mode native
other=$("$SLUICE" -s "$SOCK2" -j status | jx "
[i['prog_id'] for i in d['interfaces'] if i['ifname'] == '$A'][0]")
is "the kernel has the second sluiced's program on $A" "$(xdp_id "$A")" "$other"
ms=$(wait_for "$other" iface_field "$A" held_by)
diag "$A: conflict seen after $ms ms"
cmp_ok "$A: replacement reported within a second ($ms ms)" \
	"$(((ms >= 0) && (ms <= 1000)))" -eq 1
is "$A: status says not attached, held by sl_xdp" \
	"$(iface_field "$A" attached) $(iface_field "$A" held_by_name)" "false sl_xdp"
like "$A: sluice status says who holds the hook" "$(sl status)" \
	"$A: .*hook held by prog id $other .sl_xdp., not taken back"
is "$A: sluice_attached 0" "$(metric sluice_attached "$A")" 0
is "$A: sluice_attach_conflicts_total 1" \
	"$(metric sluice_attach_conflicts_total "$A")" 1
like "$A: the log names the holder" "$(cat "$DLOG")" \
	"$A: prog id $other .sl_xdp. holds the native hook now"
sleep 1.5
is "$A: not fought: the second sluiced's program is still there 1.5 s later" \
	"$(xdp_id "$A")" "$other"
is "$A: still one conflict, not one a tick" \
	"$(metric sluice_attach_conflicts_total "$A")" 1

diag "=== the hook is free again"
check "the second sluiced detaches from $A" "$SLUICE" -s "$SOCK2" detach "$A"
ms=$(wait_for xdp link_xdp r "$A")
diag "$A: taken back after $ms ms"
cmp_ok "$A: attached again within a second of the hook going free ($ms ms)" \
	"$(((ms >= 0) && (ms <= 1000)))" -eq 1
is "$A: ours on the hook, as status says" "$(xdp_id "$A")" \
	"$(iface_field "$A" prog_id)"
is "$A: held_by gone from status" "$(iface_field "$A" held_by)" null
is "$A: ping from a is dropped again" "$(ping_rx a 10.206.1.1 3)" 0
