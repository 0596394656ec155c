#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Attach in each mode (native, generic, tc, auto), drop and pass real
# packets, check the exact counters, detach and find the interface clean.
#
#   a (10.201.1.2) --- r0 [router: sluiced] r1 --- b (10.201.2.2)
#
# Rules: 10 drops ICMP from a, 20 drops UDP to port 7000; the rest passes.
. "$(dirname "$0")/../lib/tap.sh"

plan 68
lab_init am
ns_add r && ns_add a && ns_add b &&
	veth a 10.201.1.2/24 r 10.201.1.1/24 0 &&
	veth b 10.201.2.2/24 r 10.201.2.1/24 1 || exit 1
A=${TAG}r0
B=${TAG}r1
cat >"$CONF" <<EOF
rule add 10 src 10.201.1.2 proto icmp drop
rule add 20 proto udp dport 7000 drop
EOF
daemon_start r || exit 1
udp_sink r 7000 "$LAB_DIR/udp7000"
udp_sink r 7001 "$LAB_DIR/udp7001"
sleep 0.2

for mode in native generic tc auto; do
	diag "=== mode $mode"
	hook=xdp want=$mode
	[ "$mode" = tc ] && hook=tc
	# veth has native XDP: auto must pick it.
	[ "$mode" = auto ] && want=native
	out=$(sl -j attach "$A" mode "$mode" 2>&1) &&
		out2=$(sl -j attach "$B" mode "$mode" 2>&1)
	got=$(printf '%s\n' "$out" | jx "d['mode']" 2>/dev/null)
	is "$mode: attach reports mode $want" "$got" "$want"
	[ "$mode" = auto ] &&
		is "auto: the second interface reports native too" \
			"$(printf '%s\n' "$out2" | jx "d['mode']" 2>/dev/null)" native
	case $want in
	native) view="$(link_xdp r "$A") $(link_xdp r "$B")" wview="xdp xdp" ;;
	generic) view="$(link_xdp r "$A") $(link_xdp r "$B")" wview="xdpgeneric xdpgeneric" ;;
	tc) view="$(link_tc r "$A") $(link_tc r "$B")" wview="yes yes" ;;
	esac
	is "$mode: the kernel shows the program on both ($wview)" "$view" "$wview"
	is "$mode: status says attached, hook $hook, mode $want" \
		"$(iface_field "$A" attached) $(iface_field "$A" hook) $(iface_field "$A" mode)" \
		"true $hook $want"

	d0=$(stat_pk "$A" $hook actions drop)
	r0=$(stat_pk "$A" $hook reasons rule)
	k0=$(rule_pk 10)
	is "$mode: ping from the blocked source gets no reply" \
		"$(ping_rx a 10.201.1.1 5 0.1)" 0
	is "$mode: $A counted exactly 5 drops" \
		"$(($(stat_pk "$A" $hook actions drop) - d0))" 5
	is "$mode: $A drop reason 'rule' +5" \
		"$(($(stat_pk "$A" $hook reasons rule) - r0))" 5
	is "$mode: rule 10 counted exactly 5" "$(($(rule_pk 10) - k0))" 5

	p0=$(stat_pk "$B" $hook reasons policy)
	x0=$(stat_pk "$B" $hook actions drop)
	is "$mode: ping from the allowed source gets 5 replies" \
		"$(ping_rx b 10.201.2.1 5 0.1)" 5
	is "$mode: $B passed exactly 5 by policy, dropped none" \
		"$(($(stat_pk "$B" $hook reasons policy) - p0)) $(($(stat_pk "$B" $hook actions drop) - x0))" \
		"5 0"

	k20=$(rule_pk 20)
	u0=$(lines "$LAB_DIR/udp7000")
	u1=$(lines "$LAB_DIR/udp7001")
	udp_send b 10.201.2.1 7000 3
	udp_send b 10.201.2.1 7001 3
	sleep 0.3
	is "$mode: UDP to port 7000 never arrives" \
		"$(($(lines "$LAB_DIR/udp7000") - u0))" 0
	is "$mode: UDP to port 7001 arrives (3 datagrams)" \
		"$(($(lines "$LAB_DIR/udp7001") - u1))" 3
	is "$mode: rule 20 counted exactly 3" "$(($(rule_pk 20) - k20))" 3

	check "$mode: detach both" sh -c \
		"'$SLUICE' -s '$SOCK' detach '$A' && '$SLUICE' -s '$SOCK' detach '$B'"
	is "$mode: detach leaves no XDP program, no tc filter, no clsact" \
		"$(link_xdp r "$A") $(link_tc r "$A") $(link_clsact r "$A") $(link_xdp r "$B") $(link_tc r "$B") $(link_clsact r "$B")" \
		"none no no none no no"
	is "$mode: after detach the blocked source gets replies again" \
		"$(ping_rx a 10.201.1.1 2 0.1)" 2
done
# A device without native XDP (a bridge): native is refused in one line
# naming it, and leaves nothing; auto falls back to generic.
BR=${TAG}br
nsx r ip link add "$BR" type bridge && nsx r ip link set "$BR" up
out=$(sl attach "$BR" mode native 2>&1)
rc=$?
diag "attach $BR mode native: exit $rc: $out"
is "bridge: native attach fails, one line naming $BR" \
	"$rc $(printf '%s\n' "$out" | wc -l) $(printf '%s\n' "$out" | grep -c "$BR")" "1 1 1"
is "bridge: the failed attach left no program" "$(link_xdp r "$BR")" none
# Either no entry, or the truth: present, its ifindex, not attached.
got=$(sl -j status | jx "[(i['present'], i['ifindex'], i['attached'])
	for i in d['interfaces'] if i['ifname'] == '$BR'] or 'none'")
ifx=$(nsx r cat "/sys/class/net/$BR/ifindex")
case $got in
none | "(True, $ifx, False)") pass "bridge: status after the failed attach is true to it ($got)" ;;
*)
	fail "bridge: status after the failed attach is true to it"
	diag "got: $got" "want: none, or (True, $ifx, False): $BR exists, ifindex $ifx"
	;;
esac
is "bridge: auto falls back to generic" \
	"$(sl -j attach "$BR" mode auto 2>&1 | jx "d['mode']") $(link_xdp r "$BR")" \
	"generic xdpgeneric"
check "bridge: detach" sl detach "$BR"
is "bridge: detach leaves no program" "$(link_xdp r "$BR")" none

daemon_alive || diag "sluiced died; its log:" "$(cat "$DLOG")"
check "sluiced is still running" daemon_alive
