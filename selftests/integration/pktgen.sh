#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# tools/pktgen against a real receiver: a veth pair between two namespaces
# this script builds (and removes, however it ends).  The generator's side
# has IPv6 off and no address, so it sends nothing of its own and the
# receiver's rx_packets counts pktgen's frames only.  The receiver has GRO
# on, which gives the veth NAPI (without it veth drops XDP frames) and
# hands every frame to the stack, where tcpdump sees it.  Its softirq runs
# on the generator's CPU between live-frame batches, so nothing is lost
# at the rates used here.
#
#   SLUICE_BUILD=build sh selftests/integration/pktgen.sh
set -u

BUILD=${SLUICE_BUILD:-build}
PG=$BUILD/pktgen
G=pgt-gen-$$
R=pgt-rcv-$$
GMAC=02:00:00:00:99:01
RMAC=02:00:00:00:99:02
TOTAL=21
n=0

echo "1..$TOTAL"

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() {
	n=$((n + 1))
	echo "not ok $n - $1"
}

# check DESC CMD...: one TAP line from CMD's status.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

skip_all() {
	while [ "$n" -lt "$TOTAL" ]; do
		n=$((n + 1))
		echo "ok $n - pktgen # SKIP $1"
	done
	exit 0
}

[ "$(id -u)" = 0 ] || skip_all "needs root"
[ -x "$PG" ] || skip_all "$PG not built"
command -v tcpdump >/dev/null || skip_all "no tcpdump"
command -v ethtool >/dev/null || skip_all "no ethtool"

tmp=$(mktemp -d)
cleanup() {
	ip netns del "$G" 2>/dev/null
	ip netns del "$R" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

setup() {
	ip netns add "$G" &&
		ip netns add "$R" &&
		ip netns exec "$G" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 &&
		ip -n "$G" link add g0 type veth peer name r0 netns "$R" &&
		ip -n "$G" link set g0 address $GMAC up &&
		ip -n "$R" link set r0 address $RMAC up &&
		ip -n "$R" addr add 10.99.0.2/24 dev r0 &&
		ip -n "$R" addr add fd00:99::2/64 dev r0 nodad &&
		ip netns exec "$R" ethtool -K r0 gro on >/dev/null
}
setup || {
	echo "# cannot build the namespaces"
	exit 1
}

pg() {
	ip netns exec "$G" "$PG" -i g0 --dst-mac $RMAC "$@"
}

rx_packets() {
	ip netns exec "$R" cat /sys/class/net/r0/statistics/rx_packets
}

# json_field FILE NAME: a number from pktgen's -j line.
json_field() {
	sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1"
}

# A one-line error and a non-zero status.
refuses() {
	if pg "$@" >"$tmp/out" 2>"$tmp/err"; then
		echo "# pktgen $* succeeded"
		return 1
	fi
	[ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] || {
		echo "# not one line:"
		sed 's/^/#   /' "$tmp/out" "$tmp/err"
		return 1
	}
}

# sends_exactly COUNT ARGS...: the receiver's rx_packets grows by COUNT,
# and pktgen says it sent COUNT with nothing dropped at g0.
sends_exactly() {
	want=$1
	shift
	before=$(rx_packets)
	pg -j --count "$want" "$@" >"$tmp/json" || return 1
	sleep 0.2
	got=$(($(rx_packets) - before))
	said=$(json_field "$tmp/json" packets)
	dropped=$(json_field "$tmp/json" tx_dropped)
	echo "# sent $said, received $got of $want, g0 tx_dropped $dropped"
	[ "$got" -eq "$want" ] && [ "$said" = "$want" ] && [ "$dropped" = 0 ]
}

# captured FILTER ARGS...: tcpdump -vv of the first 5 frames matching
# FILTER on r0, while pktgen sends ARGS, into $tmp/cap.
captured() {
	filter=$1
	shift
	rm -f "$tmp/cap" "$tmp/caperr"
	ip netns exec "$R" timeout 10 tcpdump -c 5 -vv -n -l -i r0 "$filter" \
		>"$tmp/cap" 2>"$tmp/caperr" &
	tpid=$!
	i=0
	until grep -q 'listening on' "$tmp/caperr" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 50 ] && break
		sleep 0.1
	done
	pg --count 50 --rate 1000 "$@" >/dev/null
	wait $tpid
	sed 's/^/#   /' "$tmp/cap"
}

# good_sums FILTER PATTERN SOURCES ARGS...: 5 frames captured, each with
# PATTERN (tcpdump's verdict on the L4 checksum), none with a bad one
# (which covers the IPv4 header checksum) or a length that disagrees with
# the frame's, from SOURCES distinct sources.
good_sums() {
	filter=$1
	pattern=$2
	sources=$3
	shift 3
	captured "$filter" "$@"
	good=$(grep -cF "$pattern" "$tmp/cap")
	bad=$(grep -ci 'bad\|incorrect\|truncated' "$tmp/cap")
	srcs=$(grep -oE '(10\.99\.[0-9.]+|fd00:99::[0-9a-f:]+)\.1024 >' \
		"$tmp/cap" | sort -u | wc -l)
	echo "# $good of 5 with '$pattern', $bad bad, $srcs sources"
	[ "$good" -eq 5 ] && [ "$bad" -eq 0 ] && [ "$srcs" -eq "$sources" ]
}

# paced RATE SECONDS: --rate for --duration sends RATE * SECONDS, all of
# which arrives; pktgen's own rate is within 10% of RATE; by the wall
# clock it took no less than 90% of SECONDS (it did pace) and, as the
# host may steal time, no more than twice as long and a second.
paced() {
	want=$(($1 * $2))
	before=$(rx_packets)
	t0=$(date +%s%N)
	pg -j --rate "$1" --duration "$2" --src 10.99.0.1 --dst 10.99.0.2 \
		>"$tmp/json" || return 1
	t1=$(date +%s%N)
	sleep 0.2
	got=$(($(rx_packets) - before))
	said=$(json_field "$tmp/json" packets)
	pps=$(json_field "$tmp/json" pps)
	ms=$(((t1 - t0) / 1000000))
	echo "# $said sent, $got received, of $want, at $pps pps, in $ms ms"
	[ "$said" = "$want" ] && [ "$got" -eq "$want" ] &&
		[ "$pps" -ge $(($1 * 9 / 10)) ] && [ "$pps" -le $(($1 * 11 / 10)) ] &&
		[ "$ms" -ge $(($2 * 900)) ] && [ "$ms" -le $(($2 * 2000 + 1000)) ]
}

check "a missing device is a one-line error" \
	refuses --dst 10.99.0.2 -i nosuch0
check "a bad address is a one-line error" \
	refuses --dst 10.99.0.300
check "a frame shorter than its headers is a one-line error" \
	refuses --dst fd00:99::2 --tcp-syn --size 70

check "IPv4 UDP: 100000 sent, 100000 received" \
	sends_exactly 100000 --rate 200000 --src 10.99.0.1 --dst 10.99.0.2
check "IPv6 UDP, 1500-byte frames: 20000 sent, 20000 received" \
	sends_exactly 20000 --rate 100000 --size 1500 \
	--src fd00:99::1 --dst fd00:99::2
check "IPv4 TCP SYN from a /16: 100000 sent, 100000 received" \
	sends_exactly 100000 --rate 200000 --tcp-syn \
	--src 10.99.0.0-10.99.255.255 --dst 10.99.0.2

check "IPv4 UDP: tcpdump finds the checksums correct" \
	good_sums "udp and dst port 9" "[udp sum ok]" 1 \
	--src 10.99.0.1 --dst 10.99.0.2
check "IPv4 TCP SYN, source range: checksums correct, sources cycle" \
	good_sums "tcp and dst port 9" "(correct)" 3 --tcp-syn \
	--src 10.99.1.254-10.99.2.0 --dst 10.99.0.2
check "IPv6 UDP, 1500-byte frames: tcpdump finds the checksum correct" \
	good_sums "ip6 and udp and dst port 9" "[udp sum ok]" 1 \
	--size 1500 --src fd00:99::1 --dst fd00:99::2
check "IPv6 TCP SYN, source range over a carry: checksums correct" \
	good_sums "ip6 and tcp and dst port 9" "(correct)" 3 -6 --tcp-syn \
	--src fd00:99::fffe-fd00:99::1:0 --dst fd00:99::2

# ports FILTER WANT ARGS...: 5 frames captured, UDP sums all correct, and
# the destination ports they went to are WANT (sorted, one line).
ports() {
	filter=$1
	want=$2
	shift 2
	captured "$filter" "$@"
	good=$(grep -cF "[udp sum ok]" "$tmp/cap")
	got=$(grep -oE '\.[0-9]+: \[udp sum ok\]' "$tmp/cap" |
		sed 's/^\.\([0-9]*\):.*/\1/' | sort -nu | tr '\n' ' ')
	echo "# $good of 5 sums ok, ports: $got"
	[ "$good" -eq 5 ] && [ "$got" = "$want" ]
}

check "IPv4 UDP, --dport 7000-7002: every port in turn, checksums correct" \
	ports "udp and dst portrange 7000-7002" "7000 7001 7002 " \
	--src 10.99.0.1 --dst 10.99.0.2 --dport 7000-7002
check "IPv6 UDP, --dport 65533-65535: ports to the last, checksums correct" \
	ports "ip6 and udp and dst portrange 65533-65535" "65533 65534 65535 " \
	--src fd00:99::1 --dst fd00:99::2 --dport 65533-65535
check "--dport with a range that ends before it starts is a one-line error" \
	refuses --dst 10.99.0.2 --dport 9-8

# per_dst COUNT FILTER PATTERN ARGS...: COUNT frames sent, every one
# received and captured, each with PATTERN (tcpdump's verdict on the L4
# checksum), none bad (the IPv4 header checksum among them); the frames
# per destination, "ADDR=N ..." sorted, in $tmp/dsts.
per_dst() {
	want=$1
	filter=$2
	pattern=$3
	shift 3
	rm -f "$tmp/cap" "$tmp/caperr"
	: >"$tmp/dsts"
	ip netns exec "$R" timeout 20 tcpdump -c "$want" -vv -n -l -i r0 \
		"$filter" >"$tmp/cap" 2>"$tmp/caperr" &
	tpid=$!
	i=0
	until grep -q 'listening on' "$tmp/caperr" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 50 ] && break
		sleep 0.1
	done
	before=$(rx_packets)
	pg --count "$want" --rate 4000 "$@" >/dev/null || return 1
	wait $tpid
	got=$(($(rx_packets) - before))
	good=$(grep -cF "$pattern" "$tmp/cap")
	bad=$(grep -ci 'bad\|incorrect\|truncated' "$tmp/cap")
	grep -oE '> [0-9a-f.:]+\.[0-9]+: ' "$tmp/cap" |
		sed 's/^> \(.*\)\.[0-9]*: $/\1/' | LC_ALL=C sort | uniq -c |
		awk '{ printf "%s=%d ", $2, $1 }' >"$tmp/dsts"
	echo "# received $got of $want, $good with '$pattern', $bad bad; per destination: $(cat "$tmp/dsts")"
	[ "$got" -eq "$want" ] && [ "$good" -eq "$want" ] && [ "$bad" -eq 0 ]
}

# dsts_are COUNT FILTER PATTERN WANT ARGS...: per_dst, and the frames per
# destination are WANT.
dsts_are() {
	_n=$1 _filter=$2 _pattern=$3 _want=$4
	shift 4
	per_dst "$_n" "$_filter" "$_pattern" "$@" || return 1
	[ "$(cat "$tmp/dsts")" = "$_want" ]
}

check "IPv4 UDP, --dst 10.99.0.10-10.99.0.13: 100 frames to each, checksums correct" \
	dsts_are 400 "udp and dst port 9" "[udp sum ok]" \
	"10.99.0.10=100 10.99.0.11=100 10.99.0.12=100 10.99.0.13=100 " \
	--src 10.99.0.1 --dst 10.99.0.10-10.99.0.13
check "IPv6 TCP SYN, --dst over a carry: 50 frames to each, checksums correct" \
	dsts_are 200 "ip6 and tcp and dst port 9" "(correct)" \
	"fd00:99::1:0=50 fd00:99::1:1=50 fd00:99::fffe=50 fd00:99::ffff=50 " \
	-6 --tcp-syn --src fd00:99::1 --dst fd00:99::fffe-fd00:99::1:1
# Three sources, five destinations and two ports, each cycled on its own
# count, each summed into the checksums per frame.
check "IPv4 TCP SYN, source, destination and port ranges at once: sums correct" \
	dsts_are 300 "tcp and dst portrange 7000-7001" "(correct)" \
	"10.99.0.20=60 10.99.0.21=60 10.99.0.22=60 10.99.0.23=60 10.99.0.24=60 " \
	--tcp-syn --src 10.99.1.254-10.99.2.0 --dst 10.99.0.20-10.99.0.24 \
	--dport 7000-7001
check "--dst with a range that ends before it starts is a one-line error" \
	refuses --dst 10.99.0.13-10.99.0.10
check "--dst with an IPv6 range wider than 32 bits is a one-line error" \
	refuses --dst fd00:99::1-fd00:9a::1
check "--dst with a range of two families is a one-line error" \
	refuses --dst 10.99.0.10-fd00:99::1

check "--rate 20000 --duration 1: 20000 frames over a second" \
	paced 20000 1
check "--rate 200000 --duration 2: 400000 frames over two seconds" \
	paced 200000 2
