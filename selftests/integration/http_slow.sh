#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Slow HTTP clients are bounded per client and in total and never delay a
# real scrape: 300 slow-loris connections (a partial header, a byte now
# and then), then 100 clients that pipeline requests and never read.
# Each time a scrape meanwhile is answered in full within a second, and
# the daemon holds no more connections than its bound.
. "$(dirname "$0")/../lib/tap.sh"

plan 10
lab_init hs
ns_add r || exit 1
MPORT=9478
MAXCONN=256 # user/lib/http.c, SL_HTTP_MAX_CONNS
nsx r "$SLUICED" -f -c "$CONF" -s "$SOCK" -p "$PIN_DIR" \
	-m "127.0.0.1:$MPORT" >>"$DLOG" 2>&1 &
lab_pid $!
_i=0
while [ $_i -lt 100 ] && ! sl status >/dev/null 2>&1; do
	sleep 0.05
	_i=$((_i + 1))
done
check "sluiced serves metrics on 127.0.0.1:$MPORT" \
	nsx r curl -sf --max-time 5 -o "$LAB_DIR/ref" "http://127.0.0.1:$MPORT/metrics"
FAMILIES=$(grep -c '^# TYPE ' "$LAB_DIR/ref")

# scrape_ms: milliseconds for one whole scrape (curl's total), or "fail".
scrape_ms() {
	nsx r curl -s --max-time 20 -o "$LAB_DIR/scrape" \
		-w '%{http_code} %{time_total}\n' "http://127.0.0.1:$MPORT/metrics" |
		awk '$1 == 200 { printf "%d\n", $2 * 1000; next } { print "fail" }'
}

# established: connections to the metrics port, from the server's side.
established() {
	nsx r ss -Htn state established "( sport = :$MPORT )" | wc -l
}

# A scrape in full: every family of the first one, and its last line.
scraped_whole() {
	[ "$(grep -c '^# TYPE ' "$LAB_DIR/scrape")" = "$FAMILIES" ] &&
		[ "$(tail -n 1 "$LAB_DIR/scrape")" = "$(tail -n 1 "$LAB_DIR/ref")" ]
}

# scrapes CROWD: five scrapes half a second apart; $ok of them whole,
# the slowest of those $worst ms.
scrapes() {
	worst=0
	ok=0
	for k in 1 2 3 4 5; do
		ms=$(scrape_ms)
		diag "scrape $k among $1: $ms ms"
		if [ "$ms" != fail ] && scraped_whole; then
			ok=$((ok + 1))
			[ "$ms" -gt "$worst" ] && worst=$ms
		fi
		sleep 0.5
	done
}

# Slow loris: N connections, each sending a header a byte at a time.
nsx r "$PY" -c '
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 4000
cs = []
for i in range(n):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=1)
        c.sendall(b"GET /metrics HTTP/1.1\r\n")
        cs.append([c, 0])
    except OSError:
        pass
end = time.time() + 12
while time.time() < end:
    for e in cs:
        try:
            e[0].send(req[23 + e[1] % 4000:24 + e[1] % 4000])
            e[1] += 1
        except OSError:
            # Cut off: come back, as an attacker would.
            try:
                e[0] = socket.create_connection(("127.0.0.1", port), timeout=1)
                e[0].sendall(b"GET /metrics HTTP/1.1\r\n")
            except OSError:
                pass
    time.sleep(0.5)
' "$MPORT" 300 &
loris=$!
lab_pid $loris
sleep 3
scrapes "300 slow-loris clients"
is "five scrapes among 300 slow-loris clients: all whole" "$ok" 5
cmp_ok "... each within a second (worst $worst ms)" "$worst" -lt 1000
n=$(established)
diag "connections held: $n"
cmp_ok "connections held stay within the bound ($n <= $MAXCONN)" "$n" -le "$MAXCONN"
t0=$(date +%s%N)
check "the control socket answers meanwhile" sl status
t1=$(date +%s%N)
cmp_ok "... within 100 ms ($(((t1 - t0) / 1000000)) ms)" \
	$(((t1 - t0) / 1000000)) -lt 100
# ip netns exec forks: waiting for it waits for the clients to finish.
wait $loris 2>/dev/null

# Pipelining non-readers: many requests each, never a byte read.
nsx r "$PY" -c '
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
cs = []
for i in range(n):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=1)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n" * 50)
        cs.append(c)
    except OSError:
        pass
time.sleep(12)
' "$MPORT" 100 &
pipe=$!
lab_pid $pipe
sleep 2
scrapes "100 pipelining non-readers"
is "five scrapes among 100 pipelining non-readers: all whole" "$ok" 5
cmp_ok "... each within a second (worst $worst ms)" "$worst" -lt 1000
wait $pipe 2>/dev/null
sleep 0.5
n=$(established)
diag "connections held after they left: $n"
cmp_ok "none held after the clients left" "$n" -eq 0
check "sluiced is alive" nsx r sh -c "'$SLUICE' -s '$SOCK' status >/dev/null"
