#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Interfaces that go away and come back: deleted and recreated under the
# same name, an attached interface is attached again within a second, in
# its mode, with its verdicts and its counters; a renamed one keeps its
# attachment under the new name.
#
#   a (10.205.1.2) --- r0 [router: sluiced, XDP native]
#   b (10.205.2.2) --- r1 [tc]
. "$(dirname "$0")/../lib/tap.sh"

plan 24
lab_init rn
ns_add r && ns_add a && ns_add b &&
	veth a 10.205.1.2/24 r 10.205.1.1/24 0 &&
	veth b 10.205.2.2/24 r 10.205.2.1/24 1 || exit 1
A=${TAG}r0
B=${TAG}r1
cat >"$CONF" <<EOF
rule add 10 proto icmp icmp-type 8 drop
EOF
daemon_start r || exit 1
check "attach $A native" sl attach "$A" mode native
check "attach $B tc" sl attach "$B" mode tc

# relink_del N: delete the pair r<->X of index N.
relink_del() {
	ip -n "sl-$TAG-r" link del "${TAG}r$1"
}

for side in a b; do
	if [ $side = a ]; then
		n=0 ifc=$A hook=xdp mode=native net=1
	else
		n=1 ifc=$B hook=tc mode=tc net=2
	fi
	diag "=== $ifc ($mode)"
	is "$ifc: ping from $side is dropped" "$(ping_rx $side 10.205.$net.1 3)" 0
	d0=$(stat_pk "$ifc" $hook actions drop)
	is "$ifc: 3 drops counted" "$d0" 3

	relink_del $n
	sleep 0.3
	is "$ifc deleted: status says absent, waiting" \
		"$(iface_field "$ifc" present) $(iface_field "$ifc" attached) $(iface_field "$ifc" wanted)" \
		"false false true"

	ip link add "$ifc" netns "sl-$TAG-r" type veth peer name "${TAG}$side$n" \
		netns "sl-$TAG-$side"
	ms=$(wait_for true iface_field "$ifc" attached)
	ip -n "sl-$TAG-r" addr add "10.205.$net.1/24" dev "$ifc"
	ip -n "sl-$TAG-r" link set "$ifc" up
	ip -n "sl-$TAG-$side" addr add "10.205.$net.2/24" dev "${TAG}$side$n"
	ip -n "sl-$TAG-$side" link set "${TAG}$side$n" up
	diag "attached again after $ms ms"
	cmp_ok "$ifc recreated: attached again within a second ($ms ms)" \
		"$(((ms >= 0) && (ms <= 1000)))" -eq 1
	is "$ifc recreated: status says $hook, mode $mode, new ifindex" \
		"$(iface_field "$ifc" hook) $(iface_field "$ifc" mode) $(iface_field "$ifc" ifindex)" \
		"$hook $mode $(nsx r cat "/sys/class/net/$ifc/ifindex")"
	if [ $hook = xdp ]; then
		is "$ifc recreated: ip link shows the XDP program (native)" \
			"$(link_xdp r "$ifc")" xdp
	else
		is "$ifc recreated: tc ingress shows the program" \
			"$(link_tc r "$ifc") $(link_clsact r "$ifc")" "yes yes"
	fi
	is "$ifc recreated: the program is sluice's" \
		"$(iface_field "$ifc" prog_id)" \
		"$(sl -j status | jx "d['programs']['$hook']")"
	is "$ifc recreated: ping from $side is still dropped" \
		"$(ping_rx $side 10.205.$net.1 3)" 0
	is "$ifc recreated: the drop counter went on (3 + 3)" \
		"$(stat_pk "$ifc" $hook actions drop)" 6
done

# Rename: the attachment follows the interface.
R=${TAG}rx
nsx r ip link set "$B" down
nsx r ip link set "$B" name "$R"
nsx r ip link set "$R" up
sleep 0.5
is "renamed $B -> $R: status shows $R attached, tc" \
	"$(iface_field "$R" attached) $(iface_field "$R" hook)" "true tc"
is "renamed: ping from b is still dropped" "$(ping_rx b 10.205.2.1 3)" 0
is "renamed: the counter followed the interface (6 + 3)" \
	"$(stat_pk "$R" tc actions drop)" 9
check "sluiced is running" daemon_alive
