#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# sluice as a router, on XDP (native) and on tc: ping v4 and v6 through
# it, TTL and hop-limit expiry answered by ICMP time exceeded from the
# router, and 50 MB over TCP (v4 and v6) arriving intact -- with the
# kernel's forwarding counters showing that sluice, not the kernel,
# forwarded it.
#
#   c (10.211.1.2, fd00:211:1::2) --- r0 [router: sluiced] r1 --- s (10.211.2.2, fd00:211:2::2)
#
# Both router ports are attached with policy forward: r0 forwards the
# data, r1 the ACKs and the echo replies.
#
# Lab decisions, forced by veth:
# - An XDP_REDIRECT into a veth is a frame for its peer's NAPI; without
#   NAPI there the frame is dropped.  The peers of the router's ports are
#   c0 and s1: GRO on (in c and s) gives them NAPI without a program of
#   their own.
# - Every sender keeps its default offloads (checksum offload, TSO): a
#   local sender on a veth hands the router CHECKSUM_PARTIAL frames and
#   64 KB GSO aggregates, as containers do.  Native XDP cannot send those
#   on (see attach.c), so "mode auto" attaches such a port at tc
#   once it forwards, and "mode native" is accepted with a warning.
# - IPv6 on without DAD (nodad, accept_dad=0), so addresses work at once;
#   ICMP rate limits off in the router so every expiry gets its answer.
. "$(dirname "$0")/../lib/tap.sh"

plan 91
lab_init fw

C=10.211.1.2 S=10.211.2.2 RC=10.211.1.1 RS=10.211.2.1
C6=fd00:211:1::2 S6=fd00:211:2::2 RC6=fd00:211:1::1 RS6=fd00:211:2::1

# v6on X: IPv6 back on in X (ns_add turns it off), no DAD.
v6on() {
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.default.disable_ipv6=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
}

ns_add r && ns_add c && ns_add s && v6on r && v6on c && v6on s &&
	veth c $C/24 r $RC/24 0 &&
	veth s $S/24 r $RS/24 1 || exit 1
A=${TAG}r0 B=${TAG}r1 CD=${TAG}c0 SD=${TAG}s1
ip -n "sl-$TAG-c" addr add $C6/64 dev "$CD" nodad &&
	ip -n "sl-$TAG-r" addr add $RC6/64 dev "$A" nodad &&
	ip -n "sl-$TAG-r" addr add $RS6/64 dev "$B" nodad &&
	ip -n "sl-$TAG-s" addr add $S6/64 dev "$SD" nodad &&
	nsx r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 &&
	nsx c ip route add 10.211.0.0/16 via $RC &&
	nsx s ip route add 10.211.0.0/16 via $RS &&
	nsx c ip -6 route add fd00:211::/32 via $RC6 &&
	nsx s ip -6 route add fd00:211::/32 via $RS6 &&
	nsx c ethtool -K "$CD" gro on >/dev/null &&
	nsx s ethtool -K "$SD" gro on >/dev/null || exit 1

daemon_start r || exit 1

# The kernel's forwarding counters in the router.
kfwd4() {
	nsx r awk '$1 == "Ip:" && !h { for (i = 2; i <= NF; i++) n[$i] = i; h = 1; next }
		$1 == "Ip:" { print $n["ForwDatagrams"]; exit }' /proc/net/snmp
}
kfwd6() {
	nsx r awk '$1 == "Ip6OutForwDatagrams" { print $2 }' /proc/net/snmp6
}

# Resolve every neighbour both ways, so that no packet below goes to
# the kernel for ARP or ND (on XDP, an unresolved neighbour does).
prime() {
	nsx r ping -q -c 1 -W 1 $C >/dev/null
	nsx r ping -q -c 1 -W 1 $S >/dev/null
	nsx r ping -q -c 1 -W 1 $C6 >/dev/null
	nsx r ping -q -c 1 -W 1 $S6 >/dev/null
	nsx c ping -q -c 1 -W 1 $RC >/dev/null
	nsx s ping -q -c 1 -W 1 $RS >/dev/null
	nsx c ping -q -c 1 -W 1 $RC6 >/dev/null
	nsx s ping -q -c 1 -W 1 $RS6 >/dev/null
}

# 50 MB of random bytes, and where the server writes what it receives.
SRC=$LAB_DIR/src.bin
DST=$LAB_DIR/dst.bin
head -c 52428800 /dev/urandom >"$SRC" || exit 1
SRC_SUM=$(sha256sum <"$SRC" | cut -d' ' -f1)

# xfer ADDR PORT: send $SRC from c to s at ADDR:PORT over TCP; prints
# the SHA-256 of what s received ("none" if nothing came).
xfer() {
	rm -f "$DST"
	case $1 in
	*:*) l=TCP6-LISTEN ;;
	*) l=TCP4-LISTEN ;;
	esac
	nsx s timeout 20 socat -u "$l:$2,reuseaddr" "OPEN:$DST,creat,trunc" &
	_lp=$!
	lab_pid $_lp
	# Until the listener is there.
	_i=0
	while [ $_i -lt 50 ] && ! nsx s ss -Hltn "sport = :$2" | grep -q .; do
		sleep 0.05
		_i=$((_i + 1))
	done
	case $1 in
	*:*) _to="TCP6:[$1]:$2" ;;
	*) _to="TCP4:$1:$2" ;;
	esac
	nsx c timeout 20 socat -u "OPEN:$SRC" "$_to" >&2
	wait $_lp
	if [ -f "$DST" ]; then
		sha256sum <"$DST" | cut -d' ' -f1
	else
		echo none
	fi
}

port=5000
for mode in auto generic tc; do
	# auto: a forwarding veth is attached at tc (see attach.c)
	hook=tc
	[ $mode = generic ] && hook=xdp
	diag "--- $mode"
	sl detach "$A" >/dev/null 2>&1
	sl detach "$B" >/dev/null 2>&1
	check "$mode: attach both router ports" \
		sh -c "'$SLUICE' -s '$SOCK' attach '$A' mode $mode &&
			'$SLUICE' -s '$SOCK' attach '$B' mode $mode &&
			'$SLUICE' -s '$SOCK' policy '$A' forward &&
			'$SLUICE' -s '$SOCK' policy '$B' forward"
	if [ $mode = auto ]; then
		# The ports forward now: native XDP would break them.
		is "auto: forwarding veths are attached at tc" \
			"$(iface_field "$A" mode) $(iface_field "$B" mode)" \
			"tc tc"
		is "auto: no warning for them" \
			"$(iface_field "$A" warning)" null
	fi
	prime

	# --- ping v4 and v6 ---
	k4=$(kfwd4) a0=$(stat_pk "$A" $hook actions forward)
	b0=$(stat_pk "$B" $hook actions forward)
	out=$(nsx c ping -n -c 5 -i 0.05 -W 1 $S 2>&1)
	like "$mode: ping $S: 5 of 5 replies" "$out" \
		"^5 packets transmitted, 5 received"
	like "$mode: the reply's TTL is 63 (sluice decremented it)" "$out" "ttl=63 "
	is "$mode: v4 echo: sluice forwarded 5 requests on r0, 5 replies on r1" \
		"$(($(stat_pk "$A" $hook actions forward) - a0)) $(($(stat_pk "$B" $hook actions forward) - b0))" \
		"5 5"
	is "$mode: v4 echo: the kernel forwarded none (Ip ForwDatagrams +0)" \
		"$(($(kfwd4) - k4))" 0

	k6=$(kfwd6) a0=$(stat_pk "$A" $hook actions forward)
	b0=$(stat_pk "$B" $hook actions forward)
	out=$(nsx c ping -6 -n -c 5 -i 0.05 -W 1 $S6 2>&1)
	like "$mode: ping $S6: 5 of 5 replies" "$out" \
		"^5 packets transmitted, 5 received"
	like "$mode: the reply's hop limit is 63" "$out" "ttl=63 "
	is "$mode: v6 echo: sluice forwarded 5 requests on r0, 5 replies on r1" \
		"$(($(stat_pk "$A" $hook actions forward) - a0)) $(($(stat_pk "$B" $hook actions forward) - b0))" \
		"5 5"
	is "$mode: v6 echo: the kernel forwarded none (Ip6 OutForwDatagrams +0)" \
		"$(($(kfwd6) - k6))" 0

	# --- TTL and hop-limit expiry: the router answers ---
	t0=$(stat_pk "$A" $hook reasons ttl-exceeded) k4=$(kfwd4)
	out=$(nsx c ping -n -c 3 -i 0.05 -W 1 -t 1 $S 2>&1)
	is "$mode: ping -t 1: 3 'Time to live exceeded' from the router $RC" \
		"$(printf '%s\n' "$out" | grep -c "^From $RC .*Time to live exceeded")" 3
	is "$mode: ping -t 1: sluice handed the 3 to the kernel, reason ttl-exceeded" \
		"$(($(stat_pk "$A" $hook reasons ttl-exceeded) - t0))" 3
	is "$mode: ping -t 1: nothing was forwarded by the kernel either" \
		"$(($(kfwd4) - k4))" 0
	out=$(nsx c ping -n -c 3 -i 0.05 -W 1 -t 2 $S 2>&1)
	like "$mode: ping -t 2 (traceroute's next hop): the server answers" "$out" \
		"^3 packets transmitted, 3 received"

	t0=$(stat_pk "$A" $hook reasons ttl-exceeded)
	out=$(nsx c ping -6 -n -c 3 -i 0.05 -W 1 -t 1 $S6 2>&1)
	is "$mode: ping -6 -t 1: 3 'Time exceeded: Hop limit' from the router $RC6" \
		"$(printf '%s\n' "$out" | grep -c "^From $RC6 .*Time exceeded: Hop limit")" 3
	# MLD reports (hop limit 1) are counted here too: at least 3.
	cmp_ok "$mode: ping -6 -t 1: sluice counted reason ttl-exceeded (>= 3)" \
		"$(($(stat_pk "$A" $hook reasons ttl-exceeded) - t0))" -ge 3
	out=$(nsx c ping -6 -n -c 3 -i 0.05 -W 1 -t 2 $S6 2>&1)
	like "$mode: ping -6 -t 2: the server answers" "$out" \
		"^3 packets transmitted, 3 received"

	# --- 50 MB over TCP, v4 then v6 ---
	for fam in 4 6; do
		if [ $fam = 4 ]; then
			dst=$S kf=kfwd4 kname="Ip ForwDatagrams"
		else
			dst=$S6 kf=kfwd6 kname="Ip6 OutForwDatagrams"
		fi
		port=$((port + 1))
		k=$($kf)
		ab0=$(stat_pk "$A" $hook actions forward bytes)
		ap0=$(stat_pk "$A" $hook actions forward)
		bp0=$(stat_pk "$B" $hook actions forward)
		mf0=$(stat_pk "$A" $hook reasons malformed)
		fn0=$(stat_pk "$A" $hook reasons frag-needed)
		sum=$(xfer $dst $port 2>"$LAB_DIR/xfer.err")
		is "$mode: 50 MB over TCPv$fam arrived with the same SHA-256" \
			"$sum" "$SRC_SUM"
		[ "$sum" = "$SRC_SUM" ] || diag "$(cat "$LAB_DIR/xfer.err")"
		ab=$(($(stat_pk "$A" $hook actions forward bytes) - ab0))
		ap=$(($(stat_pk "$A" $hook actions forward) - ap0))
		bp=$(($(stat_pk "$B" $hook actions forward) - bp0))
		kd=$(($($kf) - k))
		diag "TCPv$fam on $mode: sluice forwarded $ap packets ($ab bytes) on r0, $bp on r1; kernel $kd"
		cmp_ok "$mode: TCPv$fam: sluice forwarded the ACKs on r1 (>= 100 packets)" \
			"$bp" -ge 100
		if [ $mode = generic ]; then
			# Generic XDP cannot tell a GSO aggregate from a jumbo
			# frame: the FIB finds it over the MTU, the kernel
			# forwards it (correct, not fast: why auto picks tc).
			fn=$(($(stat_pk "$A" xdp reasons frag-needed) - fn0))
			cmp_ok "generic: TCPv$fam: the aggregates went to the kernel, reason frag-needed (>= 100)" \
				"$fn" -ge 100
			continue
		fi
		cmp_ok "$mode: TCPv$fam: sluice forwarded the 50 MB on r0 (forward bytes)" \
			"$ab" -ge 52428800
		cmp_ok "$mode: TCPv$fam: the kernel forwarded next to nothing ($kname +$kd <= 10)" \
			"$kd" -le 10
		if [ $hook = tc ]; then
			# Not one of r0's packets handed to the kernel for a
			# reason a healthy data packet cannot have.
			mf=$(($(stat_pk "$A" tc reasons malformed) - mf0))
			fn=$(($(stat_pk "$A" tc reasons frag-needed) - fn0))
			is "$mode: TCPv$fam: no data packet judged malformed or too big on r0 (malformed, frag-needed)" \
				"$mf $fn" "0 0"
		fi
	done
done
# --- mode auto re-picks as the policy changes; native warns ---
sl detach "$A" >/dev/null && sl detach "$B" >/dev/null
sl policy "$A" pass >/dev/null
sl attach "$A" mode auto >/dev/null
is "auto: a veth that does not forward is attached native" \
	"$(iface_field "$A" mode)" native
sl policy "$A" forward >/dev/null
is "auto: policy forward on it: tc" "$(iface_field "$A" mode)" tc
sl policy "$A" pass >/dev/null
sl rule add 7 in "$A" proto udp forward >/dev/null
is "auto: a rule that forwards from it: still tc" \
	"$(iface_field "$A" mode)" tc
sl rule del 7 >/dev/null
is "auto: nothing forwards from it any more: native again" \
	"$(iface_field "$A" mode)" native
sl rule add 8 proto tcp redirect "$B" >/dev/null
is "auto: a redirect rule without \"in\" applies to it: tc" \
	"$(iface_field "$A" mode)" tc
sl rule del 8 >/dev/null
sl detach "$A" >/dev/null
sl policy "$A" forward >/dev/null

out=$(sl attach "$A" mode native 2>&1)
is "native: attach on a forwarding veth succeeds" "$?" 0
is "native: with one warning line naming the cause and the fix" \
	"$(printf '%s\n' "$out" | grep -c '^warning: .*native XDP on a veth.*checksum.*mode auto or tc$')" 1
is "native: it is attached native, as asked" "$(iface_field "$A" mode)" native
like "native: sluice -j status carries the warning" \
	"$(iface_field "$A" warning)" "unfinished checksums"
like "native: sluice status shows it under the port" \
	"$(sl status)" "        warning: $A: native XDP on a veth"
like "native: sluice -j attach carries it too" \
	"$(sl -j attach "$A" mode native 2>/dev/null | jx "d['warning']")" \
	"^$A: native XDP"
sl policy "$A" pass >/dev/null
is "native: no warning once it no longer forwards" \
	"$(iface_field "$A" warning)" null

sl detach "$A" >/dev/null
sl policy "$A" forward >/dev/null
sl attach "$A" mode generic >/dev/null 2>&1
is "generic: forwarding alone is correct there: no warning" \
	"$(iface_field "$A" warning)" null
sl rule add 9 in "$A" proto udp redirect "$B" >/dev/null
like "generic: a redirect from it warns (aggregates over the MTU)" \
	"$(sl status)" "        warning: $A: generic XDP on a veth cannot redirect"
sl rule del 9 >/dev/null

check "sluiced is running" daemon_alive
