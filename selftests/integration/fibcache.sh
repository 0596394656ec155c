#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Forward's next-hop cache never forwards by a stale entry.  A UDP stream
# runs from c through the router r to the address D, which both s and t
# hold; the router's routing state changes under it: the route, the next
# hop's MAC, a link going down, a more specific route, a policy rule.
# After each change (and time for sluiced to handle the notification)
# every datagram reaches the receiver the new state says, none the other.
# Last, sluiced is stopped (SIGSTOP) until its lease on the cache runs out
# (SLUICE_FIBC_LEASE_NS): a route changed then, which it cannot hear of,
# is still followed, the cache being off.
#
#   c (10.214.1.2) --- r0 [r: sluiced] r1 --- s (10.214.2.2, D on lo)
#                                       r2 --- t (10.214.3.2, D on lo)
#
# The datagrams carry the sender's CLOCK_MONOTONIC (one clock for all
# namespaces), so "after the change" is exact at the receivers.  Native
# XDP on the router (the sender's checksum offload is off for it; GRO on
# the receivers gives their veth ends NAPI), then tc.
. "$(dirname "$0")/../lib/tap.sh"

plan 42
lab_init fc

C=10.214.1.2 RC=10.214.1.1 S=10.214.2.2 RS=10.214.2.1 T=10.214.3.2 RT=10.214.3.1
D=10.214.9.1 NET=10.214.9.0/24 PORT=7000

ns_add r && ns_add c && ns_add s && ns_add t &&
	veth c $C/24 r $RC/24 0 &&
	veth s $S/24 r $RS/24 1 &&
	veth t $T/24 r $RT/24 2 || exit 1
A=${TAG}r0 B=${TAG}r1 E=${TAG}r2
nsx r sysctl -qw net.ipv4.ip_forward=1 &&
	nsx c ip route add 10.214.0.0/16 via $RC &&
	nsx s ip route add 10.214.0.0/16 via $RS &&
	nsx t ip route add 10.214.0.0/16 via $RT &&
	nsx s ip addr add $D/32 dev lo &&
	nsx t ip addr add $D/32 dev lo &&
	nsx c ethtool -K "${TAG}c0" tx off >/dev/null &&
	nsx s ethtool -K "${TAG}s1" gro on >/dev/null &&
	nsx t ethtool -K "${TAG}t2" gro on >/dev/null &&
	nsx r ip route add $NET via $S metric 20 || exit 1

cat >"$LAB_DIR/stream.py" <<'PY'
import socket, struct, sys, time
if sys.argv[1] == "send":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    while True:
        s.sendto(struct.pack("!Q", time.monotonic_ns()), (sys.argv[2], int(sys.argv[3])))
        time.sleep(0.0005)
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(sys.argv[2])))
    with open(sys.argv[3], "a") as f:
        while True:
            f.write("%d\n" % struct.unpack("!Q", s.recv(64)[:8])[0])
            f.flush()
PY
nsx s "$PY" "$LAB_DIR/stream.py" recv $PORT "$LAB_DIR/s.log" &
lab_pid $!
nsx t "$PY" "$LAB_DIR/stream.py" recv $PORT "$LAB_DIR/t.log" &
lab_pid $!

daemon_start r || exit 1

mono() {
	"$PY" -c 'import time; print(time.monotonic_ns())'
}

# after X T0: datagrams X received stamped after T0.
after() {
	awk -v t="$2" '$1 > t { n++ } END { print n + 0 }' "$LAB_DIR/$1.log" 2>/dev/null || echo 0
}

# settled WHAT TO OTHER: the change is made; after sluiced's time to hear
# of it, a second of the stream goes to TO and none to OTHER.
settled() {
	sleep 0.5
	_t0=$(mono)
	sleep 1
	_to=$(after "$2" "$_t0") _other=$(after "$3" "$_t0")
	cmp_ok "$mode: $1: the stream goes on to $2 ($_to datagrams)" "$_to" -ge 100
	is "$mode: $1: none reaches $3 after it" "$_other" 0
}

# The ways that hold an answer (an empty one has epoch 0).
fibc_entries() {
	bpftool -j map dump pinned "$PIN_DIR/sl_fibc" 2>/dev/null |
		grep -o '"epoch":[1-9]' | wc -l
}

for mode in native tc; do
	hook=xdp
	[ $mode = tc ] && hook=tc
	diag "--- $mode"
	for p in "$A" "$B" "$E"; do
		sl detach "$p" >/dev/null 2>&1
		check "$mode: attach $p, policy forward" \
			sh -c "'$SLUICE' -s '$SOCK' attach '$p' mode $mode >/dev/null 2>&1 &&
				'$SLUICE' -s '$SOCK' policy '$p' forward"
	done
	nsx r ping -q -c 1 -W 1 $S >/dev/null
	nsx r ping -q -c 1 -W 1 $T >/dev/null

	nsx c "$PY" "$LAB_DIR/stream.py" send $D $PORT &
	SPID=$!
	lab_pid $SPID
	settled "route $NET via s" s t
	f0=$(stat_pk "$A" $hook actions forward)
	sleep 0.3
	cmp_ok "$mode: sluice forwards the stream" \
		"$(($(stat_pk "$A" $hook actions forward) - f0))" -ge 100
	cmp_ok "$mode: by a cached next hop (sl_fibc holds entries)" \
		"$(fibc_entries)" -ge 1

	nsx r ip route replace $NET via $T metric 20
	settled "route replaced: via t" t s

	# The next hop's MAC changes, and the router learns it: a frame to
	# the old MAC would not reach t's stack.
	nsx t ip link set "${TAG}t2" address 02:00:00:00:21:$( [ $mode = tc ] && echo 02 || echo 01)
	nsx r ip neigh replace $T lladdr 02:00:00:00:21:$( [ $mode = tc ] && echo 02 || echo 01) dev "$E" nud reachable
	settled "the next hop's MAC changed" t s

	# t's link goes down: the kernel drops its routes, the fallback serves.
	nsx r ip route add $NET via $S metric 30
	nsx r ip link set "$E" down
	settled "r2 down: the fallback via s" s t
	nsx r ip link set "$E" up
	nsx r ip neigh replace $T lladdr 02:00:00:00:21:$( [ $mode = tc ] && echo 02 || echo 01) dev "$E" nud reachable
	sleep 0.3

	nsx r ip route add $D/32 via $T
	settled "a more specific route $D/32 via t" t s

	nsx r ip route add $NET via $S table 100
	nsx r ip rule add from $C lookup 100 prio 100
	settled "ip rule from $C lookup 100 (via s)" s t
	nsx r ip rule del from $C lookup 100 prio 100
	settled "the rule deleted: via t again" t s

	# ip netns exec forks: the daemon is the sluiced among DPID's kin.
	for p in $(pgrep -f -- "$SOCK"); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = sluiced ] && SLPID=$p
	done
	kill -STOP "$SLPID"
	sleep 3.5
	nsx r ip route replace $D/32 via $S
	settled "sluiced stopped past its lease: a new route followed" s t
	kill -CONT "$SLPID"
	nsx r ip route replace $D/32 via $T

	kill $SPID 2>/dev/null
	wait $SPID 2>/dev/null
	nsx r ip route del $D/32 via $T
	nsx r ip route flush table 100
	nsx r ip route del $NET via $S metric 30 2>/dev/null
	nsx r ip route replace $NET via $S metric 20
done
