#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench, issue 12's SYN-flood row: tools/pktgen floods a listener's
# port with SYNs from random sources of 10.0.0.0/8 at the generator's full
# rate while a real client makes connections to it, with sluice's
# syn-proxy and with the kernel's own syncookies (no sluice), interleaved.
# Target: with syn-proxy >= 99 % of the client's connections succeed, and
# the host spends <= 1/3 of the kernel's CPU time per flood packet.
#
#   gen ns                          host ns                       cli ns
#   g0 198.18.0.1 ----------- h0 198.18.0.2   h1 198.19.0.2 ----- c0 198.19.0.1
#   pktgen, CPU 0             listener :8080 (python)             client (python)
#   sluiced: drop dst 10/8    sluiced: "proto tcp dport 8080 syn-proxy"
#
# The cases, each round in this order:
#   kernel     no sluice on h0/h1; net.ipv4.tcp_syncookies=2, so the
#              kernel answers every SYN with a cookie and keeps no state
#              (its cheapest way; 1 would add SYN-queue work until full)
#   sl_auto    sluice attached in the mode a user gets by default: auto,
#              which is tc on a veth with a syn-proxy rule (README)
#   sl_native  h0 in native XDP (g0 runs an XDP program, so XDP_TX
#              reaches it), h1 in auto; what a NIC's native XDP does
#   sl_generic (only when CASES names it) h0 in generic XDP: about what
#              tc costs, both being the skb path
#   tc_floor   no sluice; h0's tc ingress drops every frame (bench_drop.bpf.c's
#              tc program): the least any defence at tc can cost, the kernel
#              having made the skb and run GRO; it answers no SYN: no
#              preflight and no target
#   tc_reflect as tc_floor, but the program sends each frame back out of h0
#              unchanged: the floor of a SYN-ACK made at tc, whose making
#              and cookie it leaves out
#
# CPU (split layout, shared/BENCHMARKING.md): pktgen on CPU 0; h0 in
# threaded NAPI, its kthread pinned to CPU 1, so everything the host does
# for a flood packet -- XDP or skb, GRO, tc, the TCP stack, the SYN-ACK
# up to the peer's ring -- runs in that kthread.  "napi ns" is that
# kthread's run time (/proc/PID/schedstat) over the window divided by the
# frames h0's NAPI saw (rx_packets); "cpu1 ns" is CPU 1's busy time from
# /proc/stat per frame, a cross-check that also holds the host's other
# load.  g0 runs the gen side's sluiced (native XDP, drop dst 10.0.0.0/8):
# the SYN-ACKs to spoofed sources die there cheaply, on CPU 0 (g0 threaded
# too), and g0 having XDP is what lets native XDP_TX wake it.
#
# The client has a link of its own (h1, threaded, also on CPU 1): at full
# rate the generator overfills h0's receive ring whatever the defence, and
# a client on that link would lose SYNs in the ring in proportion, a matter
# of link capacity, not of how SYNs are answered.  On h1 its SYNs meet the
# same listener, the same defence (tc on h1 in both sluice cases) and a
# CPU 1 busy with the flood.
# Each of CONNS connections a round (paced over the window) must connect
# and read the server's "ok" within CTIMEOUT seconds.
#
# Environment: BUILD (build), ROUNDS (5), WARM (1 s), WINDOW (3 s), CONNS
# (100 a round), CTIMEOUT (3 s), CASES ("kernel sl_auto sl_native tc_floor
# tc_reflect").
set -eu

BUILD=$(cd "${BUILD:-build}" && pwd)
ROUNDS=${ROUNDS:-5}
WARM=${WARM:-1}
WINDOW=${WINDOW:-3}
CONNS=${CONNS:-100}
CTIMEOUT=${CTIMEOUT:-3}
CASES=${CASES:-kernel sl_auto sl_native tc_floor tc_reflect}
PY=/usr/bin/python3
. "$(dirname "$0")/lab.sh"

if [ "$(id -u)" != 0 ]; then
	echo "synflood: run as root (it creates network namespaces); skipped" >&2
	exit 0
fi
for b in pktgen sluiced sluice; do
	[ -x "$BUILD/$b" ] || {
		echo "synflood: $BUILD/$b is missing: run make first" >&2
		exit 1
	}
done
for t in ip tc ethtool nstat taskset awk "$PY"; do
	command -v "$t" >/dev/null || {
		echo "synflood: $t is missing: sh tools/deps.sh --test installs it" >&2
		exit 1
	}
done

# Names carry our pid: other runs may have their own at the same time, and
# the NAPI kthreads are named after the devices.
P=sfl$$
NS_GEN=$P-gen
NS_HOST=$P-host
NS_CLI=$P-cli
G0=sfg-$$
H0=sfh-$$
H1=sfc-$$
C0=sfk-$$
G0_MAC=02:00:00:00:5c:01
H0_MAC=02:00:00:00:5c:02
PORT=8080
TMP=$(mktemp -d /tmp/sluice-synflood-XXXXXX)
BPFFS=$TMP/bpffs
SOCK_H=$TMP/host.sock
SOCK_G=$TMP/gen.sock
PIDS=""
mounted=""

LAB_NS="$NS_GEN $NS_HOST $NS_CLI"
LAB_PID_VARS="PIDS"
lab_traps
slh() {
	"$BUILD/sluice" -s "$SOCK_H" "$@"
}
slg() {
	"$BUILD/sluice" -s "$SOCK_G" "$@"
}

# ------------------------------------------------------------------------
# The namespaces; IPv6 off: nothing but our frames in the counters.
for n in "$NS_GEN" "$NS_HOST" "$NS_CLI"; do
	ip netns add "$n"
	ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$n" link set lo up
done
ip -n "$NS_GEN" link add "$G0" address $G0_MAC type veth \
	peer name "$H0" address $H0_MAC netns "$NS_HOST"
ip -n "$NS_CLI" link add "$C0" type veth peer name "$H1" netns "$NS_HOST"
ip -n "$NS_GEN" addr add 198.18.0.1/24 dev "$G0"
ip -n "$NS_HOST" addr add 198.18.0.2/24 dev "$H0"
ip -n "$NS_HOST" addr add 198.19.0.2/24 dev "$H1"
ip -n "$NS_CLI" addr add 198.19.0.1/24 dev "$C0"
for l in "$NS_GEN $G0" "$NS_HOST $H0" "$NS_HOST $H1" "$NS_CLI $C0"; do
	# shellcheck disable=SC2086
	set -- $l
	ip -n "$1" link set "$2" up
	# GRO: a NAPI on every veth at all times, so that live frames and
	# XDP_TX land and the threaded kthreads survive XDP attach/detach.
	ns "$1" ethtool -K "$2" gro on >/dev/null
done
# The SYN-ACKs to spoofed sources go back to the generator's link.
ip -n "$NS_HOST" route add default via 198.18.0.1 dev "$H0"
ip -n "$NS_HOST" neigh replace 198.18.0.1 lladdr $G0_MAC dev "$H0" nud permanent
ns "$NS_HOST" sysctl -qw net.ipv4.tcp_syncookies=2 \
	net.core.somaxconn=4096
for d in "$NS_GEN $G0" "$NS_HOST $H0" "$NS_HOST $H1"; do
	# shellcheck disable=SC2086
	set -- $d
	echo 1 | ns "$1" tee "/sys/class/net/$2/threaded" >/dev/null
done

# The listener: every connection gets "ok" and is closed.
cat >"$TMP/server.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(4096)
while True:
    c, _ = s.accept()
    try:
        c.sendall(b"ok")
    except OSError:
        pass
    c.close()
EOF
# The client: N connections paced over DUR seconds; prints "ok N".
cat >"$TMP/client.py" <<'EOF'
import socket, sys, time
host, port, n, dur, to = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    float(sys.argv[4]), float(sys.argv[5])
ok = 0
t0 = time.monotonic()
for i in range(n):
    wait = t0 + i * dur / n - time.monotonic()
    if wait > 0:
        time.sleep(wait)
    try:
        with socket.create_connection((host, port), timeout=to) as c:
            c.settimeout(to)
            got = b""
            while len(got) < 2:
                b = c.recv(2 - len(got))
                if not b:
                    break
                got += b
            ok += got == b"ok"
    except OSError:
        pass
print(ok, n)
EOF

# Not through ns(): $! must be the process itself (ip netns exec execs).
ip netns exec "$NS_HOST" "$PY" "$TMP/server.py" $PORT &
PIDS="$PIDS $!"

mkdir "$BPFFS"
mount -t bpf bpf "$BPFFS"
mounted=1
echo "rule add 10 proto tcp dport $PORT syn-proxy" >"$TMP/host.conf"
echo "rule add 10 dst 10.0.0.0/8 drop" >"$TMP/gen.conf"
daemon() { # NS CONF SOCK PINS
	lab_sluiced "$1" "$BUILD/sluiced" "$2" "$3" "$4" "$TMP/sluiced.log"
	PIDS="$PIDS $started"
}
daemon "$NS_HOST" "$TMP/host.conf" "$SOCK_H" "$BPFFS/host"
daemon "$NS_GEN" "$TMP/gen.conf" "$SOCK_G" "$BPFFS/gen"
slg attach "$G0" mode native >/dev/null

# The host's NAPI on CPU 1, the generator's on CPU 0; after every attach
# (a kthread may be made anew with its NAPI).
pin() {
	for p in $(lab_napi_pids "$H0") $(lab_napi_pids "$H1"); do
		taskset -pc 1 "$p" >/dev/null
	done
	for p in $(lab_napi_pids "$G0"); do
		taskset -pc 0 "$p" >/dev/null
	done
}

case_up() {
	case $1 in
	kernel) ;;
	sl_auto)
		slh attach "$H0" >/dev/null
		slh attach "$H1" >/dev/null
		;;
	sl_native)
		slh attach "$H0" mode native >/dev/null 2>&1
		slh attach "$H1" >/dev/null
		;;
	sl_generic)
		slh attach "$H0" mode generic >/dev/null
		slh attach "$H1" >/dev/null
		;;
	tc_floor | tc_reflect)
		prog=bench_tc_drop
		[ "$1" = tc_reflect ] && prog=bench_tc_reflect
		ns "$NS_HOST" tc qdisc add dev "$H0" clsact
		ns "$NS_HOST" tc filter add dev "$H0" ingress bpf direct-action \
			obj "$BUILD/bpf/bench_drop.bpf.o" sec tc program $prog
		;;
	esac
	pin
}
case_down() {
	case $1 in
	kernel) ;;
	tc_floor | tc_reflect) ns "$NS_HOST" tc qdisc del dev "$H0" clsact ;;
	*)
		slh detach "$H0" >/dev/null
		slh detach "$H1" >/dev/null
		;;
	esac
}
case_title() {
	case $1 in
	kernel) echo "kernel syncookies (tcp_syncookies=2)" ;;
	sl_auto) echo "sluice syn-proxy, mode auto (tc)" ;;
	sl_native) echo "sluice syn-proxy, native XDP" ;;
	sl_generic) echo "sluice syn-proxy, generic XDP" ;;
	tc_floor) echo "floor: a tc program that drops" ;;
	tc_reflect) echo "floor: a tc program that sends back" ;;
	esac
}

# Who answered SYNs: the kernel's cookies, sluice's SYN-ACKs (both hooks).
kcookies() {
	ns "$NS_HOST" nstat -az TcpExtSyncookiesSent | awk '$1 == "TcpExtSyncookiesSent" { print $2 }'
}
slcookies() {
	slh -j stats | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
print(sum(e["reasons"].get("syncookie-sent", {}).get("packets", 0)
          for e in d["interfaces"]))'
}

rx_h0() {
	ns "$NS_HOST" cat "/sys/class/net/$H0/statistics/rx_packets"
}

# Preflight: 20,000 SYNs, slow and in small batches so that none is lost
# in h0's ring, each answered by the case's defence.
N=20000
SMAC=$H0_MAC
flood() { # extra pktgen options...
	exec ip netns exec "$NS_GEN" "$BUILD/pktgen" -i "$G0" --dst-mac $SMAC \
		--dst 198.18.0.2 --src 10.0.0.0-10.255.255.255 --random \
		--tcp-syn --dport $PORT --cpu 0 "$@"
}
for c in $CASES; do
	case $c in tc_*) continue ;; esac
	case_up "$c"
	k0=$(kcookies) s0=$(slcookies) x0=$(rx_h0)
	(flood --count $N --rate 20000 --batch 4 >/dev/null)
	sleep 0.3
	k=$(($(kcookies) - k0)) s=$(($(slcookies) - s0)) x=$(($(rx_h0) - x0))
	case_down "$c"
	case $c in
	kernel) got=$k other=$s ;;
	*) got=$s other=$k ;;
	esac
	# Of the SYNs h0 received (a busy host may lose some in the ring).
	if [ "$x" -lt $((N / 2)) ] || [ "$got" -lt $((x * 99 / 100)) ] ||
		[ "$other" -gt $((x / 100)) ]; then
		echo "synflood: preflight: $(case_title "$c"): of $N SYNs h0 received $x, the kernel answered $k, sluice $s" >&2
		exit 1
	fi
done

# ------------------------------------------------------------------------
# The rounds.
# Nanoseconds h0's NAPI kthread(s) ran.
napi_ns() {
	for p in $(lab_napi_pids "$H0"); do
		cut -d' ' -f1 "/proc/$p/schedstat" 2>/dev/null || echo 0
	done | awk '{ s += $1 } END { print s + 0 }'
}
# CPU 1's busy ticks (all but idle and iowait).
cpu1() {
	awk '/^cpu1 / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
HZ=$(getconf CLK_TCK)
RUN=$(awk -v a="$WARM" -v b="$WINDOW" 'BEGIN { print a + b + 10 }')
data=$TMP/data
: >"$data"
echo "synflood: $ROUNDS rounds of: $CASES; ${WINDOW} s window after ${WARM} s, $CONNS connections a round" >&2
r=1
while [ "$r" -le "$ROUNDS" ]; do
	for c in $CASES; do
		case_up "$c"
		flood --duration "$RUN" --batch 256 >/dev/null &
		PG=$!
		PIDS="$PIDS $PG"
		sleep "$WARM"
		# The client, on CPU 0 beside the generator (CPU 1 is the host's).
		ip netns exec "$NS_CLI" taskset -c 0 "$PY" "$TMP/client.py" 198.19.0.2 \
			$PORT "$CONNS" "$WINDOW" "$CTIMEOUT" >"$TMP/client.out" &
		CL=$!
		PIDS="$PIDS $CL"
		t0=$(now_ns) o0=$(offered) x0=$(rx_h0) n0=$(napi_ns) b0=$(cpu1)
		sleep "$WINDOW"
		t1=$(now_ns) o1=$(offered) x1=$(rx_h0) n1=$(napi_ns) b1=$(cpu1)
		wait "$CL" || true
		kill -INT "$PG" 2>/dev/null || true
		wait "$PG" || true
		case_down "$c"
		# case round offered/s rx/s napi-ns/frame cpu1-ns/frame ok conns
		echo "$c $r $t0 $t1 $o0 $o1 $x0 $x1 $n0 $n1 $b0 $b1 $(cat "$TMP/client.out")" |
			awk -v hz="$HZ" '{
				s = ($4 - $3) / 1e9
				f = $8 - $7
				printf "%s %d %.0f %.0f %.0f %.0f %d %d\n", $1, $2,
					($6 - $5) / s, f / s,
					f ? ($10 - $9) / f : 0,
					f ? ($12 - $11) / hz * 1e9 / f : 0, $13, $14
			}' >>"$data"
		tail -n 1 "$data" | awk '{ printf "  round %d  %-9s offered %5.2f Mpps, host rx %5.2f Mpps, napi %5.0f ns/pkt, cpu1 %5.0f ns/pkt, client %d/%d\n",
			$2, $1, $3 / 1e6, $4 / 1e6, $5, $6, $7, $8 }' >&2
	done
	r=$((r + 1))
done

titles=""
for c in $CASES; do
	titles="$titles$c~$(case_title "$c");"
done
awk -v cases="$CASES" -v titles="$titles" -v rounds="$ROUNDS" \
	-v warm="$WARM" -v window="$WINDOW" -v conns="$CONNS" -v to="$CTIMEOUT" '
function median(v, n,    i, j, t) {
	if (!n)
		return 0
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
			t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
		}
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
}
{
	off[$1, $2] = $3; rx[$1, $2] = $4; napi[$1, $2] = $5; cpu[$1, $2] = $6
	ok[$1] += $7; tried[$1] += $8
}
END {
	nc = split(cases, order, " ")
	nt = split(titles, tl, ";")
	for (i = 1; i < nt; i++) {
		split(tl[i], kv, "~")
		title[kv[1]] = kv[2]
	}
	printf "\nsynflood: SYNs from random 10.0.0.0/8 sources at pktgen'"'"'s full rate, median of %d interleaved rounds, %g s window after %g s; split layout (pktgen CPU 0, host NAPI CPU 1); client: %d connections a round on its own link, %g s timeout each\n",
		rounds, window, warm, conns, to
	printf "%-38s %8s %8s %9s %9s %9s\n", "case", "offered", "host rx", "napi ns", "cpu1 ns", "client"
	for (i = 1; i <= nc; i++) {
		c = order[i]
		for (r = 1; r <= rounds; r++) {
			a[r] = off[c, r]; b[r] = rx[c, r]; d[r] = napi[c, r]; e[r] = cpu[c, r]
		}
		pct[c] = tried[c] ? 100 * ok[c] / tried[c] : 0
		printf "%-38s %6.2f M %6.2f M %9.0f %9.0f %4d/%-4d %5.1f%%\n", title[c],
			median(a, rounds) / 1e6, median(b, rounds) / 1e6,
			median(d, rounds), median(e, rounds), ok[c], tried[c], pct[c]
	}
	print "offered/host rx: Mpps pktgen sent (ring drops included) / h0'"'"'s NAPI saw; napi ns: h0'"'"'s NAPI kthread run time per frame it saw;"
	print "cpu1 ns: CPU 1 busy per frame, whatever else runs there included (a ceiling, not the flood'"'"'s share)"
	print "targets (ratio: median of the per-round napi-ns ratios to the kernel):"
	for (i = 1; i <= nc; i++) {
		c = order[i]
		if (c == "kernel")
			continue
		n = 0
		for (r = 1; r <= rounds; r++)
			if (napi["kernel", r] > 0)
				v[++n] = napi[c, r] / napi["kernel", r]
		m = median(v, n)
		if (c ~ /^tc_/) {
			printf "  %-38s CPU/flood packet %.2f of the kernel'"'"'s (a floor, for scale)\n",
				title[c], m
			continue
		}
		printf "  %-38s CPU/flood packet %.2f of the kernel'"'"'s, target <= 0.33 %s; clients %.1f%%, target >= 99%% %s\n",
			title[c], m, (n && m <= 1 / 3) ? "met" : "NOT met",
			pct[c], (pct[c] >= 99) ? "met" : "NOT met"
	}
	printf "  %-38s clients %.1f%% (for comparison)\n", title["kernel"], pct["kernel"]
}' "$data"
