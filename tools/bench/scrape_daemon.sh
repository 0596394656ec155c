#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: a scrape of the real sluiced with 64 attached interfaces and
# 10,000 rules, as Prometheus does it (GET /metrics over loopback), the
# median of 41.  In network namespaces of its own (64 veth pairs, XDP
# native), on a private bpffs; everything goes on exit.
#
#   BUILD=build sh tools/bench/scrape_daemon.sh
set -u
BUILD=${BUILD:-build}
B=$(cd "$BUILD" && pwd)
IFACES=64
RULES=10000
SCRAPES=41
TAG=sbd$(($$ % 100000))
R=$TAG-r
P=$TAG-p

if [ "$(id -u)" != 0 ]; then
	echo "scrape_daemon: needs root; skipped" >&2
	exit 0
fi
for b in "$B/sluiced" "$B/sluice" /usr/bin/curl /usr/bin/python3; do
	if [ ! -x "$b" ]; then
		echo "scrape_daemon: $b is missing; skipped" >&2
		exit 0
	fi
done
T=$(mktemp -d /tmp/sluice-scrape.XXXXXX)
cleanup() {
	trap - EXIT INT TERM
	for p in $(ip netns pids "$R" 2>/dev/null); do
		kill -9 "$p" 2>/dev/null
	done
	ip netns del "$R" 2>/dev/null
	ip netns del "$P" 2>/dev/null
	umount "$T/bpffs" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ip netns add "$R" && ip netns add "$P" || exit 1
ip -n "$R" link set lo up
mkdir "$T/bpffs"
mount -t bpf bpf "$T/bpffs" || exit 1
: >"$T/conf"
i=0
while [ $i -lt $IFACES ]; do
	ip link add "${TAG}r$i" netns "$R" type veth peer name "${TAG}p$i" \
		netns "$P" || exit 1
	ip -n "$R" link set "${TAG}r$i" up
	ip -n "$P" link set "${TAG}p$i" up
	echo "attach ${TAG}r$i mode native" >>"$T/conf"
	i=$((i + 1))
done
# The rule shapes of the bench's 10k (tools/bench/bench.c, make_rule()).
/usr/bin/python3 - "$RULES" >>"$T/conf" <<'EOF'
import sys
for i in range(int(sys.argv[1])):
    k = i % 3
    a = (0x64400000 | (i * 2654435761 & 0x003fffff)) & [0xffffffff, 0xffffff00, 0xffff0000][k]
    ip = "%d.%d.%d.%d" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255)
    port = 1 + i % 60000
    if k == 0:
        print("rule add %d src %s drop" % (i + 1, ip))
    elif k == 1:
        print("rule add %d dst %s/24 proto tcp dport %d pass" % (i + 1, ip, port))
    else:
        print("rule add %d src %s/16 proto udp dport %d drop" % (i + 1, ip, port))
EOF

ip netns exec "$R" "$B/sluiced" -f -c "$T/conf" -s "$T/sock" \
	-p "$T/bpffs/sluice" -m 127.0.0.1:9477 >"$T/log" 2>&1 &
dpid=$!
i=0
until "$B/sluice" -s "$T/sock" status >/dev/null 2>&1; do
	if ! kill -0 $dpid 2>/dev/null || [ $i -gt 600 ]; then
		echo "scrape_daemon: sluiced did not start:" >&2
		cat "$T/log" >&2
		exit 1
	fi
	sleep 0.1
	i=$((i + 1))
done
got=$("$B/sluice" -s "$T/sock" -j status | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(i["attached"] for i in d["interfaces"]), d["rules"]["count"])')
if [ "$got" != "$IFACES $RULES" ]; then
	echo "scrape_daemon: attached and rules: $got, not $IFACES $RULES" >&2
	exit 1
fi

ip netns exec "$R" curl -s -o /dev/null http://127.0.0.1:9477/metrics # warm
i=0
while [ $i -lt $SCRAPES ]; do
	ip netns exec "$R" curl -s -o /dev/null -w '%{time_total} %{size_download} %{http_code}\n' \
		http://127.0.0.1:9477/metrics
	i=$((i + 1))
done >"$T/times"
if grep -qv ' 200$' "$T/times"; then
	echo "scrape_daemon: a scrape failed" >&2
	exit 1
fi
sort -n "$T/times" | awk -v n=$IFACES -v r=$RULES '
{ t[NR] = $1 * 1000; b = $2 }
END {
	printf "%-36s %10s\n", "sluiced scrape, " n " ifaces, " r " rules", "ms"
	printf "%-36s %10.2f\n", "HTTP GET /metrics, median", t[int((NR + 1) / 2)]
	printf "%-36s %10.2f\n", "HTTP GET /metrics, 90th percentile", t[int(NR * 0.9 + 0.5)]
	printf "%d scrapes of %d bytes\n", NR, b
}'
