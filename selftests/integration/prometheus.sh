#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# sluiced's metrics as Prometheus sees them.  A real Prometheus server
# scrapes sluiced -m every second, both on the router namespace's
# loopback; a sender sends known numbers of datagrams that rules drop and
# pass, and the counters read back through Prometheus's query API equal
# them exactly -- also after a kill -9 and restart of sluiced and a
# reload (Prometheus itself sees no counter reset).  The text passes
# promtool check metrics by the socket and by HTTP; broken, malformed and
# silent HTTP clients hold up neither the control socket nor other
# scrapes.  The example files of tools/prometheus/ are checked with
# promtool, loaded by the server, and every dashboard query runs.
#
#   s (10.205.1.2) --- r0 [router: sluiced, XDP native]   rules 10 drop, 20 pass
#   s (10.205.2.2) --- r1 [tc]                            rule 30 drop
#
# Neighbours are static, IPv6 is off: nothing but the test's packets
# reaches the router's interfaces, so the counts are exact.
. "$(dirname "$0")/../lib/tap.sh"

PROM=/usr/bin/prometheus
PROMTOOL=/usr/bin/promtool
EXAMPLES=$(cd "$(dirname "$0")/../../tools/prometheus" && pwd)
MPORT=9477 # sluiced -m, on the router's loopback
PPORT=9090 # Prometheus, there too
N_DROP=37  # UDP to port 7001: rule 10 drops
N_PASS=23  # UDP to port 7002: rule 20 passes
N_PING=5   # echo requests: the policy passes
N_TC=11    # UDP to port 7003 over r1: rule 30 drops
M_DROP=13  # more for port 7001 after a restart
PAYLOAD=100
FRAME=$((14 + 20 + 8 + PAYLOAD))

for b in "$PROM" "$PROMTOOL" /usr/bin/curl; do
	if [ ! -x "$b" ]; then
		echo "1..0 # SKIP $b is missing (apt-get install prometheus curl)"
		exit 0
	fi
done
plan 65
lab_init pm
ns_add r && ns_add s &&
	veth s 10.205.1.2/24 r 10.205.1.1/24 0 &&
	veth s 10.205.2.2/24 r 10.205.2.1/24 1 || exit 1
A=${TAG}r0
B=${TAG}r1
mac() {
	nsx "$1" cat "/sys/class/net/$2/address"
}
# No ARP: it would be counted (reason not-ip) and spoil the exact sums.
ip -n "sl-$TAG-s" neigh replace 10.205.1.1 lladdr "$(mac r "$A")" \
	dev "${TAG}s0" nud permanent &&
	ip -n "sl-$TAG-s" neigh replace 10.205.2.1 lladdr "$(mac r "$B")" \
		dev "${TAG}s1" nud permanent &&
	ip -n "sl-$TAG-r" neigh replace 10.205.1.2 lladdr "$(mac s "${TAG}s0")" \
		dev "$A" nud permanent &&
	ip -n "sl-$TAG-r" neigh replace 10.205.2.2 lladdr "$(mac s "${TAG}s1")" \
		dev "$B" nud permanent || exit 1

cat >"$CONF" <<EOF
attach $A mode native
attach $B mode tc
set add blk 192.0.2.0/24 198.51.100.7 2001:db8::/32
rule add 10 proto udp dport 7001 drop
rule add 20 proto udp dport 7002 pass
rule add 30 in $B proto udp dport 7003 drop
rule add 40 src @blk drop
EOF

# sluiced in r with -m on r's loopback (tap.sh's daemon_start has no -m).
daemon_start_m() {
	ip netns exec "sl-$TAG-r" "$SLUICED" -f -c "$CONF" -s "$SOCK" \
		-p "$PIN_DIR" -m "127.0.0.1:$MPORT" >>"$DLOG" 2>&1 &
	DPID=$!
	lab_pid "$DPID"
	_i=0
	while [ $_i -lt 100 ]; do
		if sl status >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
		_i=$((_i + 1))
	done
	diag "sluiced did not come up; its log:" "$(cat "$DLOG")"
	return 1
}

# get PATH [CURL-ARGS...]: GET from sluiced's -m address, inside r.
get() {
	_p=$1
	shift
	nsx r curl -s --max-time 5 "$@" "http://127.0.0.1:$MPORT$_p"
}

# pq EXPR: the value of an instant query's only result, "" when none.
pq() {
	nsx r curl -s -G --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" \
		--data-urlencode "query=$1" |
		jx "d['data']['result'][0]['value'][1] if d['data']['result'] else ''"
}

# wait_scrape: until Prometheus has a sample of sluiced scraped after now.
wait_scrape() {
	_t=$(date +%s.%N)
	_i=0
	while [ $_i -lt 150 ]; do
		_ts=$(pq 'timestamp(sluice_build_info)')
		if [ -n "$_ts" ] &&
			awk -v a="$_ts" -v b="$_t" 'BEGIN { exit !(a > b) }'; then
			return 0
		fi
		sleep 0.2
		_i=$((_i + 1))
	done
	return 1
}

# send X ADDR PORT COUNT: COUNT datagrams of $PAYLOAD bytes, paced.
send() {
	nsx "$1" "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])):
    s.sendto(b"x" * int(sys.argv[4]), (sys.argv[1], int(sys.argv[2])))
    time.sleep(0.002)
' "$2" "$3" "$4" "$PAYLOAD"
}

# settle PRIO COUNT: until the data plane has counted COUNT for the rule
# (veth hands packets over asynchronously); the checks come after.
settle() {
	_i=0
	while [ $_i -lt 50 ]; do
		[ "$(rule_pk "$1")" = "$2" ] && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

pdiag() {
	diag "prometheus log:" "$(tail -n 20 "$LAB_DIR/prometheus.log" 2>/dev/null)"
}

# --- the example files -------------------------------------------------
check "promtool check config tools/prometheus/prometheus.yml" \
	"$PROMTOOL" check config "$EXAMPLES/prometheus.yml"
check "promtool check rules tools/prometheus/sluice.rules.yml" \
	"$PROMTOOL" check rules "$EXAMPLES/sluice.rules.yml"
check "promtool test rules: the alerts fire, and only when they should" \
	sh -c "cd '$EXAMPLES' && '$PROMTOOL' test rules sluice.rules.test.yml"
exprs=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
def walk(ps):
    for p in ps:
        yield p
        yield from walk(p.get("panels", []))
n = 0
for p in walk(d["panels"]):
    if p["type"] == "row":
        continue
    assert p.get("title") and p.get("gridPos") and p.get("targets"), p
    for t in p["targets"]:
        print(t["expr"].replace("\n", " "))
        n += 1
assert n >= 10
for v in d["templating"]["list"]:
    if v["type"] == "query":
        print(v["definition"])
' "$EXAMPLES/sluice-dashboard.json" 2>&1)
is "the Grafana dashboard is valid JSON, every panel has a query" "$?" 0
diag "$(printf '%s\n' "$exprs" | wc -l) dashboard queries"

# --- the lab -------------------------------------------------------------
daemon_start_m || exit 1
is "the configuration attached $A (native) and $B (tc)" \
	"$(iface_field "$A" mode) $(iface_field "$B" hook)" "native tc"

sl metrics >"$LAB_DIR/sock.prom" 2>&1
check "sluice metrics: promtool check metrics accepts it" \
	sh -c "'$PROMTOOL' check metrics <'$LAB_DIR/sock.prom'"
check "sluice metrics --per-cpu: promtool check metrics accepts it" \
	sh -c "'$SLUICE' -s '$SOCK' metrics --per-cpu | '$PROMTOOL' check metrics"
like "sluice metrics --per-cpu has a cpu label" \
	"$(sl metrics --per-cpu | grep '^sluice_rule_packets_total{rule="10"')" \
	'cpu="0"'
get /metrics >"$LAB_DIR/http.prom"
check "GET /metrics: promtool check metrics accepts it" \
	sh -c "'$PROMTOOL' check metrics <'$LAB_DIR/http.prom'"
check "GET /metrics?per_cpu=1: promtool check metrics accepts it" \
	sh -c "ip netns exec 'sl-$TAG-r' curl -s 'http://127.0.0.1:$MPORT/metrics?per_cpu=1' |
		'$PROMTOOL' check metrics"
# The same series by both ways (values may move between the two reads).
series() {
	grep -v '^#' "$1" | sed 's/ [0-9.e+-]*$//' | sort
}
is "the socket and HTTP give the same series" \
	"$(series "$LAB_DIR/sock.prom" | md5sum)" \
	"$(series "$LAB_DIR/http.prom" | md5sum)"
like "the series of every family are there" "$(series "$LAB_DIR/http.prom")" \
	"sluice_program_info\{device=\"$A\",hook=\"xdp\",mode=\"native\",id=\"[0-9]+\",tag=\"[0-9a-f]{16}\"\}"
is "HTTP Content-Type is the text exposition's" \
	"$(get /metrics -o /dev/null -w '%{content_type}')" \
	"text/plain; version=0.0.4; charset=utf-8"

# --- Prometheus ----------------------------------------------------------
mkdir -p "$LAB_DIR/tsdb"
cp "$EXAMPLES/sluice.rules.yml" "$LAB_DIR/"
cat >"$LAB_DIR/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $LAB_DIR/sluice.rules.yml
scrape_configs:
  - job_name: sluice
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
nsx r "$PROM" --config.file="$LAB_DIR/prometheus.yml" \
	--storage.tsdb.path="$LAB_DIR/tsdb" \
	--web.listen-address="127.0.0.1:$PPORT" \
	>"$LAB_DIR/prometheus.log" 2>&1 &
lab_pid $!
i=0
while [ $i -lt 150 ] &&
	! nsx r curl -sf "http://127.0.0.1:$PPORT/-/ready" >/dev/null 2>&1; do
	sleep 0.2
	i=$((i + 1))
done
check "Prometheus is up on the router's loopback" \
	nsx r curl -sf "http://127.0.0.1:$PPORT/-/ready"
wait_scrape
is "Prometheus scrapes sluiced: up == 1" "$(pq 'up{job="sluice"}')" 1 || pdiag

# The traffic; a socket in r counts what rule 20 passes.
nsx r "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.205.1.1", 7002))
n = 0
while True:
    s.recv(2048)
    n += 1
    with open(sys.argv[1], "w") as f:
        f.write("%d\n" % n)
' "$LAB_DIR/rx7002" &
lab_pid $!
sleep 0.3
send s 10.205.1.1 7001 "$N_DROP"
send s 10.205.1.1 7002 "$N_PASS"
send s 10.205.2.1 7003 "$N_TC"
nsx s ping -n -q -c "$N_PING" -i 0.05 -W 1 10.205.1.1 >/dev/null 2>&1
settle 10 "$N_DROP" && settle 20 "$N_PASS" && settle 30 "$N_TC"
sleep 0.3
is "the $N_PASS datagrams rule 20 passed reached the router's socket" \
	"$(cat "$LAB_DIR/rx7002" 2>/dev/null)" "$N_PASS"
check "Prometheus scraped after the traffic" wait_scrape

is "Prometheus: rule 10 dropped $N_DROP packets" \
	"$(pq 'sluice_rule_packets_total{rule="10"}')" "$N_DROP"
is "Prometheus: rule 10 dropped $((N_DROP * FRAME)) bytes" \
	"$(pq 'sluice_rule_bytes_total{rule="10"}')" "$((N_DROP * FRAME))"
is "Prometheus: rule 20 passed $N_PASS packets" \
	"$(pq 'sluice_rule_packets_total{rule="20"}')" "$N_PASS"
is "Prometheus: rule 30 dropped $N_TC packets" \
	"$(pq 'sluice_rule_packets_total{rule="30"}')" "$N_TC"
is "Prometheus: rule 40 matched nothing" \
	"$(pq 'sluice_rule_packets_total{rule="40"}')" 0
is "Prometheus: $A xdp drop == $N_DROP" \
	"$(pq "sluice_packets_total{device=\"$A\",hook=\"xdp\",action=\"drop\"}")" \
	"$N_DROP"
is "Prometheus: $A xdp drop bytes == $((N_DROP * FRAME))" \
	"$(pq "sluice_bytes_total{device=\"$A\",hook=\"xdp\",action=\"drop\"}")" \
	"$((N_DROP * FRAME))"
is "Prometheus: $A xdp pass == $N_PASS + $N_PING" \
	"$(pq "sluice_packets_total{device=\"$A\",hook=\"xdp\",action=\"pass\"}")" \
	"$((N_PASS + N_PING))"
is "Prometheus: $B tc drop == $N_TC" \
	"$(pq "sluice_packets_total{device=\"$B\",hook=\"tc\",action=\"drop\"}")" \
	"$N_TC"
is "Prometheus: every packet sluice saw == what was sent" \
	"$(pq "sum(sluice_packets_total{device=~\"$A|$B\"})")" \
	"$((N_DROP + N_PASS + N_PING + N_TC))"
is "Prometheus: no exceptions (no ARP, no IPv6)" \
	"$(pq 'sum(sluice_exceptions_total)')" 0
is "Prometheus: both interfaces attached, both wanted" \
	"$(pq 'sum(sluice_attached)') $(pq 'sum(sluice_attach_wanted)')" "2 2"
is "Prometheus: program info of $B says tc" \
	"$(pq "count(sluice_program_info{device=\"$B\",hook=\"tc\",mode=\"tc\"})")" 1
is "Prometheus: set blk has 3 prefixes" \
	"$(pq 'sluice_set_entries{set="blk"}')" 3
is "Prometheus: sluice_build_info" \
	"$(pq 'count(sluice_build_info{version=~".+"})')" 1
# The per-CPU text sums to the same (from the socket: one snapshot).
is "sluice metrics --per-cpu sums to rule 10's count" \
	"$(sl metrics --per-cpu | awk '/^sluice_rule_packets_total\{rule="10",cpu=/ { n += $2 } END { print n + 0 }')" \
	"$N_DROP"
is "sluice stats agrees: $A drop" "$(stat_pk "$A" xdp actions drop)" \
	"$N_DROP"
is "sluice -j stats --per-cpu: the CPUs' shares add up to $A's drops" \
	"$(sl -j stats --per-cpu | jx "sum(c['packets'] for e in d['interfaces'] if e.get('ifname') == '$A' and e['hook'] == 'xdp' for c in e['actions']['drop']['per_cpu'])")" \
	"$N_DROP"
table=$(sl stats)
diag "$table"
like "sluice stats: the busiest rules first, rule 10 on top" \
	"$(printf '%s\n' "$table" | sed -n '/^rules, busiest first (3 of 4)/{n;n;p;}')" \
	"^ +10 +$N_DROP +$((N_DROP * FRAME)) +proto udp dport 7001 drop$"
like "sluice stats --per-cpu: a row per CPU that counted" "$(sl stats --per-cpu)" \
	"^ +cpu[0-9]+ +[0-9]+ +[0-9]+$"

# --- the alerting rules and the dashboard, on the real server -----------
i=0
while [ $i -lt 50 ]; do
	rules=$(nsx r curl -s "http://127.0.0.1:$PPORT/api/v1/rules" | jx "
[r['name'] + ' ' + r['health'] for g in d['data']['groups'] for r in g['rules']]")
	printf '%s\n' "$rules" | grep -q ' unknown' || break
	sleep 0.2
	i=$((i + 1))
done
nrules=$(grep -c -E '^ *- (alert|record):' "$(dirname "$0")/../../tools/prometheus/sluice.rules.yml")
is "Prometheus loaded the $nrules example rules, all healthy" \
	"$(printf '%s\n' "$rules" | grep -c ' ok$')" "$nrules" || diag "$rules"
is "no alert fires in a healthy lab" \
	"$(nsx r curl -s "http://127.0.0.1:$PPORT/api/v1/alerts" |
		jx "[a['labels']['alertname'] for a in d['data']['alerts'] if a['state'] == 'firing']")" ""
bad=""
IFS='
'
for e in $exprs; do
	q=$(printf '%s' "$e" | sed -e 's/\$__rate_interval/1m/g' \
		-e 's/\$__range/5m/g' -e 's/\$instance/.*/g' -e 's/\$device/.*/g')
	case $q in
	label_values\(*)
		# A Grafana template query: label_values(SELECTOR, LABEL).
		q=$(printf '%s' "$q" | sed 's/^label_values(\(.*\), *[a-z_]*)$/\1/')
		;;
	esac
	st=$(nsx r curl -s -G "http://127.0.0.1:$PPORT/api/v1/query" \
		--data-urlencode "query=$q" | jx "d['status'] + ' ' + str(len(d['data']['result']))")
	# A query that filters with "> 0" may rightly find nothing here.
	case $st in
	"success "[1-9]*) ;;
	"success 0") case $q in *"> 0"*) ;; *) bad="$bad
$st: $q" ;; esac ;;
	*) bad="$bad
$st: $q" ;;
	esac
done
unset IFS
is "every dashboard query runs on Prometheus and finds series" "$bad" ""

# --- restart and reload: counters go on, Prometheus sees no reset -------
kill -9 "$DPID"
wait "$DPID" 2>/dev/null
send s 10.205.1.1 7001 "$M_DROP"
daemon_start_m
is "sluiced restarts with -m on the same address" "$?" 0
settle 10 "$((N_DROP + M_DROP))"
check "sluice reload" sl reload
kill -HUP "$DPID"
sleep 0.2
check "Prometheus scraped the restarted daemon" wait_scrape
is "Prometheus: rule 10 went on counting across the restart ($N_DROP + $M_DROP)" \
	"$(pq 'sluice_rule_packets_total{rule="10"}')" "$((N_DROP + M_DROP))"
is "Prometheus: $A drop went on counting too" \
	"$(pq "sluice_packets_total{device=\"$A\",hook=\"xdp\",action=\"drop\"}")" \
	"$((N_DROP + M_DROP))"
resets=0
for m in sluice_packets_total sluice_bytes_total sluice_exceptions_total \
	sluice_rule_packets_total sluice_rule_bytes_total; do
	resets="$resets + sum(resets(${m}[10m]))"
done
is "Prometheus saw no counter reset in any sluice counter" "$(pq "$resets")" 0

# --- HTTP clients that misbehave -----------------------------------------
# Twenty connections that send nothing, and one that stops mid-line.
nsx r "$PY" -c '
import socket, sys, time
cs = []
for i in range(20):
    c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    cs.append(c)
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.sendall(b"GET /met")
cs.append(c)
time.sleep(8)
' "$MPORT" &
idle=$!
lab_pid $idle
sleep 0.5
t0=$(date +%s%N)
check "control socket answers while 21 HTTP clients stall" sl status
t1=$(date +%s%N)
cmp_ok "... within a second ($(((t1 - t0) / 1000000)) ms)" \
	$(((t1 - t0) / 1000000)) -lt 1000
is "another scrape is served meanwhile" \
	"$(get /metrics -o /dev/null -w '%{http_code}')" 200
check "Prometheus keeps scraping meanwhile" wait_scrape

codes=$(nsx r "$PY" -c '
import socket, sys
port = int(sys.argv[1])
cases = [
    ("garbage", b"BLAH BLAH BLAH\r\n\r\n"),
    ("binary", bytes(range(256)) * 8),
    ("bad-version", b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n"),
    ("huge-header", b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 70000 + b"\r\n\r\n"),
    ("post", b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"),
    ("delete", b"DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("not-found", b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("traversal", b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("bad-chunk", b"POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
    ("short-body", b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\npartial"),
    ("http10", b"GET /metrics HTTP/1.0\r\n\r\n"),
]
for name, req in cases:
    c = socket.create_connection(("127.0.0.1", port), timeout=8)
    try:
        c.sendall(req)
        if name == "short-body":
            c.shutdown(socket.SHUT_WR)
        r = c.recv(64)
        code = r.split(b" ")[1].decode() if r.startswith(b"HTTP/") else "closed"
    except (ConnectionError, socket.timeout) as e:
        code = "closed"
    c.close()
    print(name, code)
' "$MPORT" 2>&1)
diag "$codes"
like "garbage: 400 or closed" "$codes" '^garbage (400|closed)$'
like "binary junk: 400 or closed" "$codes" '^binary (400|closed)$'
like "a huge header: 4xx or closed" "$codes" '^huge-header (4[0-9][0-9]|closed)$'
like "POST: 405" "$codes" '^post 405$'
like "DELETE: 405" "$codes" '^delete 405$'
like "another path: 404" "$codes" '^not-found 404$'
like "HTTP/1.0 without Host: 200" "$codes" '^http10 200$'
check "sluiced is alive after the bad clients" daemon_alive
check "control socket answers after the bad clients" sl status
is "a scrape after the bad clients: 200" \
	"$(get /metrics -o /dev/null -w '%{http_code}')" 200
kill "$idle" 2>/dev/null
check "Prometheus still scrapes after the bad clients" wait_scrape
is "and still reads rule 10's exact count" \
	"$(pq 'sluice_rule_packets_total{rule="10"}')" "$((N_DROP + M_DROP))"

# An address that cannot be served fails the start, and says why.
out=$(nsx r "$SLUICED" -f -c /dev/null -s "$LAB_DIR/other.sock" \
	-p "$LAB_DIR/bpffs/other" -m "127.0.0.1:$MPORT" 2>&1)
is "sluiced -m on an address in use: the start fails" "$?" 1
like "... and says why" "$out" \
	"cannot serve metrics on 127.0.0.1:$MPORT: Address already in use"
like "sluiced -m nonsense: the start fails and says why" \
	"$(nsx r "$SLUICED" -f -c /dev/null -s "$LAB_DIR/other.sock" \
		-p "$LAB_DIR/bpffs/other" -m nonsense 2>&1)" \
	'bad metrics address "nonsense"'
