#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# syn-proxy: a client connects to a listener behind sluice, and data flows
# both ways, while tools/pktgen floods the listener's port with SYNs from
# random spoofed sources; sluice answers every SYN with a cookie SYN-ACK
# itself, so the flood never reaches the listener (no SYN_RECV socket, no
# listen drop, no cookie of the kernel's own), and only ACKs whose cookie
# checks reach the kernel, which builds the connections from them
# (TcpExtSyncookiesRecv).  Bare ACKs with forged cookies are dropped and
# counted, and the kernel never sees them (TcpExtSyncookiesFailed stays).
# IPv4 and IPv6, in the mode a user gets by default (auto: tc on a
# veth) and in generic XDP.
#
#   c (10.216.1.2, fd00:216::2) --- s0 [s: sluiced, echo server :8080]
#                                        (10.216.1.1, fd00:216::1)
#
# s runs tcp_timestamps=2, so window scaling and SACK survive the cookie
# (see the README); the daemon itself must set tcp_syncookies=2.  s0 has
# GRO on, so that pktgen's live frames have a NAPI to land in.  Native
# XDP on a veth sends XDP_TX frames to the peer's XDP ring and wakes the
# peer only if it runs an XDP program (drivers/net/veth.c,
# veth_xdp_flush()): c0 has none, so there the SYN-ACKs would be lost;
# mode auto picks tc for it, and mode native says so in a warning.
. "$(dirname "$0")/../lib/tap.sh"

PG=$SLUICE_BUILD/pktgen
FORGE=$(dirname "$0")/../lib/forge_ack.py
if [ ! -x "$PG" ]; then
	echo "Bail out! $PG is missing (build first: make)"
	exit 1
fi

plan 41
lab_init sp
ns_add c && ns_add s && veth c 10.216.1.2/24 s 10.216.1.1/24 0 || exit 1
C0=${TAG}c0 S0=${TAG}s0
for x in c s; do
	nsx $x sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		net.ipv6.conf.all.accept_dad=0
done
nsx c sysctl -qw "net.ipv6.conf.$C0.disable_ipv6=0"
nsx s sysctl -qw "net.ipv6.conf.$S0.disable_ipv6=0"
ip -n "sl-$TAG-c" addr add fd00:216::2/64 dev "$C0" nodad &&
	ip -n "sl-$TAG-s" addr add fd00:216::1/64 dev "$S0" nodad || exit 1
nsx s ethtool -K "$S0" gro on >/dev/null 2>&1
nsx s sysctl -qw net.ipv4.tcp_timestamps=2 net.ipv4.tcp_syncookies=1
SMAC=$(nsx s cat "/sys/class/net/$S0/address")

# The echo server: every connection gets back what it sent.
nsx s socat TCP6-LISTEN:8080,fork,reuseaddr,backlog=64 EXEC:cat &
lab_pid $!
head -c 200000 /dev/urandom >"$LAB_DIR/in"

cat >"$CONF" <<EOF2
rule add 10 dst 10.216.1.1 proto tcp dport 8080 syn-proxy
rule add 11 dst fd00:216::1 proto tcp dport 8080 syn-proxy
EOF2
daemon_start s || exit 1
is "sluiced set tcp_syncookies=2 for syn-proxy" \
	"$(nsx s sysctl -n net.ipv4.tcp_syncookies)" 2

# nst NAME: the kernel's absolute counter NAME in s.
nst() {
	nsx s nstat -az "$1" | awk -v n="$1" '$1 == n { print $2 }'
}

# transfers ADDR N: of N connections to ADDR:8080 from c, each sending
# 200 kB and reading it back, how many got all of it back.
transfers() {
	_ok=0 _k=0
	while [ $_k -lt "$2" ]; do
		rm -f "$LAB_DIR/out"
		nsx c timeout 20 socat -t 5 -T 10 - "TCP:$1:8080" \
			<"$LAB_DIR/in" >"$LAB_DIR/out" 2>>"$LAB_DIR/socat.err" &&
			cmp -s "$LAB_DIR/in" "$LAB_DIR/out" && _ok=$((_ok + 1))
		_k=$((_k + 1))
	done
	echo $_ok
}

# flood FAMILY: a SYN flood to the protected port from random sources,
# 20 kpps for 3 s, in the background; the pktgen JSON in $LAB_DIR/pg.FAMILY.
flood() {
	if [ "$1" = 4 ]; then
		set -- 4 --dst 10.216.1.1 --src 10.0.0.0-10.255.255.255
	else
		set -- 6 --dst fd00:216::1 --src fd00:99::-fd00:99::ffff:ffff
	fi
	_f=$1
	shift
	nsx c "$PG" -i "$C0" --dst-mac "$SMAC" "$@" --tcp-syn --random \
		--dport 8080 --rate 20000 --duration 3 -j \
		>"$LAB_DIR/pg.$_f" 2>&1 &
	FLOOD=$!
	lab_pid $FLOOD
}

for mode in auto generic; do
	hook=xdp
	[ $mode = auto ] && hook=tc
	check "$mode: attach s0" sl attach "$S0" mode $mode
	[ $mode = auto ] &&
		is "auto: a veth that answers SYNs is attached at tc" \
			"$(iface_field "$S0" mode)" tc

	sent0=$(stat_pk "$S0" $hook reasons syncookie-sent)
	valid0=$(stat_pk "$S0" $hook reasons cookie-valid)
	drops0=$(nst TcpExtListenDrops) recv0=$(nst TcpExtSyncookiesRecv)
	ksent0=$(nst TcpExtSyncookiesSent)

	flood 4
	sleep 0.5
	synrecv=$(nsx s ss -Htn state syn-recv | wc -l)
	ok4=$(transfers 10.216.1.1 5)
	wait $FLOOD
	flood 6
	sleep 0.5
	ok6=$(transfers "[fd00:216::1]" 5)
	wait $FLOOD
	pg4=$(jx "d['packets']" <"$LAB_DIR/pg.4") || diag "$(cat "$LAB_DIR/pg.4")"
	pg6=$(jx "d['packets']" <"$LAB_DIR/pg.6") || diag "$(cat "$LAB_DIR/pg.6")"
	diag "$mode: flood sent $pg4 IPv4 and $pg6 IPv6 SYNs"

	is "$mode: 5 IPv4 transfers of 200 kB echoed whole during the flood" "$ok4" 5
	is "$mode: 5 IPv6 transfers of 200 kB echoed whole during the flood" "$ok6" 5
	sent=$(($(stat_pk "$S0" $hook reasons syncookie-sent) - sent0))
	cmp_ok "$mode: sluice answered the flood's SYNs (99% of $pg4 + $pg6)" \
		"$sent" -ge $(((pg4 + pg6) * 99 / 100))
	is "$mode: no flood SYN left a SYN_RECV socket" "$synrecv" 0
	is "$mode: the listener dropped nothing (TcpExtListenDrops)" \
		"$(($(nst TcpExtListenDrops) - drops0))" 0
	is "$mode: the kernel sent no cookie of its own (TcpExtSyncookiesSent)" \
		"$(($(nst TcpExtSyncookiesSent) - ksent0))" 0
	# A connection's ACK and its first data segment both carry the
	# cookie; when the two race on the two CPUs (the flood keeps the
	# backlogs long) both find no socket yet and both are checked, by
	# sluice and then by the kernel, which keeps one child.  So one
	# cookie ACK a connection at least, two at most, and every one the
	# kernel took was one sluice passed.
	recv=$(($(nst TcpExtSyncookiesRecv) - recv0))
	valid=$(($(stat_pk "$S0" $hook reasons cookie-valid) - valid0))
	cmp_ok "$mode: the kernel took a cookie ACK for each of the 10 connections" \
		"$recv" -ge 10
	cmp_ok "$mode: ... and two a connection at most (TcpExtSyncookiesRecv)" \
		"$recv" -le 20
	cmp_ok "$mode: sluice passed every cookie ACK the kernel took" \
		"$valid" -ge "$recv"
	cmp_ok "$mode: ... and two a connection at most" "$valid" -le 20

	bad0=$(stat_pk "$S0" $hook reasons cookie-invalid)
	fail0=$(nst TcpExtSyncookiesFailed)
	nsx c "$PY" "$FORGE" 10.216.1.2 10.216.1.1 8080 20
	nsx c "$PY" "$FORGE" fd00:216::2 fd00:216::1 8080 20
	sleep 0.3
	is "$mode: 40 forged cookie ACKs dropped as cookie-invalid" \
		"$(($(stat_pk "$S0" $hook reasons cookie-invalid) - bad0))" 40
	is "$mode: none reached the kernel (TcpExtSyncookiesFailed)" \
		"$(($(nst TcpExtSyncookiesFailed) - fail0))" 0
	check "$mode: detach s0" sl detach "$S0"
done

check "native: attach s0" sl attach "$S0" mode native
like "native: status warns that a veth peer without XDP loses the SYN-ACKs" \
	"$(iface_field "$S0" warning)" "syn-proxy's SYN-ACKs \\(XDP_TX\\) only to a peer that runs an XDP program"
# The cause, shown: give c0 an XDP program (a second sluiced, no rules:
# native, passing all) and native XDP_TX reaches c.
: >"$LAB_DIR/c.conf"
nsx c "$SLUICED" -f -c "$LAB_DIR/c.conf" -s "$LAB_DIR/c.sock" \
	-p "$PIN_DIR-c" >>"$LAB_DIR/c.log" 2>&1 &
lab_pid $!
slc() {
	"$SLUICE" -s "$LAB_DIR/c.sock" "$@"
}
_i=0
until slc status >/dev/null 2>&1 || [ $_i -ge 100 ]; do
	sleep 0.05
	_i=$((_i + 1))
done
check "native: c0 gets an XDP program (sluice, no rules)" \
	slc attach "$C0" mode native
valid0=$(stat_pk "$S0" xdp reasons cookie-valid)
is "native: 2 IPv4 transfers echoed whole once the peer runs XDP" \
	"$(transfers 10.216.1.1 2)" 2
is "native: sluice passed their 2 cookie ACKs" \
	"$(($(stat_pk "$S0" xdp reasons cookie-valid) - valid0))" 2
slc detach "$C0" >/dev/null
sl detach "$S0" >/dev/null

# What the cookie kept: window scaling and SACK decoded from the echoed
# timestamp, seen on the server's side of a connection held open.
check "generic again" sl attach "$S0" mode generic
nsx c sh -c "sleep 2 | socat - TCP:10.216.1.1:8080" &
lab_pid $!
sleep 1
info=$(nsx s ss -Htni state established '( sport = :8080 )')
diag "server side: $info"
# This ss prints no "ts"/"sack" flags, even for plain handshakes: the MSS
# shows timestamps (1460 less their 12 bytes in every segment).
like "the connection kept timestamps (mss 1448)" "$info" "[[:space:]]mss:1448[[:space:]]"
like "the connection kept window scaling, the kernel's own (10 with tcp_rmem 32M)" \
	"$info" "wscale:[0-9]+,$(nsx s sh -c 'r=$(cut -f3 /proc/sys/net/ipv4/tcp_rmem); m=$(cat /proc/sys/net/core/rmem_max); [ "$m" -gt "$r" ] && r=$m; l=-1; while [ "$r" -gt 0 ]; do r=$((r / 2)); l=$((l + 1)); done; echo $((l - 15))')[[:space:]]"
metrics=$(sl metrics)
like "metrics: syn-proxy SYN-ACKs by device" "$metrics" \
	"sluice_packets_total\\{device=\"$S0\",hook=\"xdp\",action=\"syn-proxy\"\\} [1-9]"
like "metrics: cookie ACKs let in" "$metrics" \
	"sluice_exceptions_total\\{device=\"$S0\",hook=\"xdp\",reason=\"cookie-valid\"\\} [1-9]"
like "metrics: forged cookies as an exception" "$metrics" \
	"sluice_exceptions_total\\{device=\"$S0\",hook=\"xdp\",reason=\"cookie-invalid\"\\} [1-9]"
