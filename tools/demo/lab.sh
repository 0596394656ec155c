#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The demo lab ("make demo"): four network namespaces, sluiced on the
# router, real traffic, the counters, and a teardown that runs whatever
# happens (failure, Ctrl-C).  Nothing touches the host's own interfaces:
# every address used lives in a namespace made here.
#
#   client 10.10.1.2 ---- r-client [ router: sluiced ] r-server ---- server 10.10.3.2
#                       XDP native       |
#                                    r-attack  tc
#                                        |
#                              attacker 203.0.113.66
#
# As root, after "make": BUILD=build sh tools/demo/lab.sh
# Exit status 0 when the flood was dropped and the good traffic passed.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${BUILD:-build}" && pwd)
SLUICE=$BUILD/sluice
SLUICED=$BUILD/sluiced
CONF=$here/lab.conf
FLOOD_BURSTS=${FLOOD_BURSTS:-4}
FLOOD_PER_BURST=${FLOOD_PER_BURST:-50000}

if [ "$(id -u)" != 0 ]; then
	echo "lab: run as root (it creates network namespaces)" >&2
	exit 1
fi
for b in "$SLUICE" "$SLUICED"; do
	[ -x "$b" ] || {
		echo "lab: $b is missing: run make first" >&2
		exit 1
	}
done
for t in ip ping iperf3 socat nft timeout; do
	command -v $t >/dev/null || {
		echo "lab: $t is missing: sh tools/deps.sh --test installs it" >&2
		exit 1
	}
done

P=sldemo$$
NS_CLIENT=$P-client
NS_ATTACK=$P-attacker
NS_ROUTER=$P-router
NS_SERVER=$P-server
TMP=$(mktemp -d /tmp/sluice-demo.XXXXXX)
SOCK=$TMP/sluiced.sock
BPFFS=$TMP/bpffs
DAEMON=""
flood=""
mounted=""
started=$(date +%s)

if [ -t 1 ]; then
	bold=$(printf '\033[1m') plain=$(printf '\033[0m')
else
	bold="" plain=""
fi
step() {
	printf '\n%s== %s%s\n' "$bold" "$*" "$plain"
}
# "$ sluice ARGS" and its output.
sl() {
	printf '$ sluice %s\n' "$*"
	"$SLUICE" -s "$SOCK" "$@"
}
ns() {
	_n=$1
	shift
	ip netns exec "$_n" "$@"
}

teardown() {
	rc=$?
	set +e
	trap - EXIT
	# A second Ctrl-C must not cut the teardown short.
	trap '' INT TERM HUP
	step "Teardown"
	[ -n "$flood" ] && kill "$flood" 2>/dev/null
	for n in "$NS_CLIENT" "$NS_ATTACK" "$NS_ROUTER" "$NS_SERVER"; do
		# Only what runs in our own namespaces: the daemon, iperf3, socat.
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill "$p" 2>/dev/null || true
		done
	done
	if [ -n "$DAEMON" ]; then
		wait "$DAEMON" 2>/dev/null || true
	fi
	for n in "$NS_CLIENT" "$NS_ATTACK" "$NS_ROUTER" "$NS_SERVER"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -9 "$p" 2>/dev/null || true
		done
		ip netns del "$n" 2>/dev/null || true
	done
	[ -n "$mounted" ] && { umount "$BPFFS" 2>/dev/null || umount -l "$BPFFS"; }
	rm -rf "$TMP"
	echo "namespaces, veths, bpffs and processes removed"
	[ $rc -eq 0 ] && echo "demo done in $(($(date +%s) - started)) s" ||
		echo "demo FAILED (exit $rc)"
	exit $rc
}
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ------------------------------------------------------------------------
step "1. Namespaces: client, attacker, router, server"
for n in "$NS_CLIENT" "$NS_ATTACK" "$NS_ROUTER" "$NS_SERVER"; do
	ip netns add "$n"
	ip -n "$n" link set lo up
	# IPv6 off: the counters then show only the lab's own traffic.
	ns "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ns "$n" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
done
# pair NS IF ADDR ROUTER_IF ROUTER_ADDR
pair() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$NS_ROUTER"
	ip -n "$1" addr add "$3" dev "$2"
	ip -n "$1" link set "$2" up
	ip -n "$NS_ROUTER" addr add "$5" dev "$4"
	ip -n "$NS_ROUTER" link set "$4" up
	ip -n "$1" route add default via "${5%/*}"
}
pair "$NS_CLIENT" eth0 10.10.1.2/24 r-client 10.10.1.1/24
pair "$NS_ATTACK" eth0 203.0.113.66/24 r-attack 203.0.113.1/24
pair "$NS_SERVER" eth0 10.10.3.2/24 r-server 10.10.3.1/24
ns "$NS_ROUTER" sysctl -qw net.ipv4.ip_forward=1
cat <<EOF
  client   10.10.1.2    --  r-client  10.10.1.1  ┐
  attacker 203.0.113.66 --  r-attack  203.0.113.1├ router (forwarding on)
  server   10.10.3.2    --  r-server  10.10.3.1  ┘
EOF
# The server counts what reaches it from the attacker, before anything else.
ns "$NS_SERVER" nft -f - <<'EOF'
table ip lab {
	counter from_attacker { }
	chain pre {
		type filter hook prerouting priority -300; policy accept;
		ip saddr 203.0.113.66 counter name from_attacker
	}
}
EOF

# ------------------------------------------------------------------------
step "2. sluiced in the router, with tools/demo/lab.conf"
mkdir "$BPFFS"
mount -t bpf bpf "$BPFFS"
mounted=1
grep -v '^#' "$CONF" | sed '/^$/d; s/^/    /'
ns "$NS_ROUTER" "$SLUICED" -f -c "$CONF" -s "$SOCK" -p "$BPFFS/sluice" \
	>"$TMP/sluiced.log" 2>&1 &
DAEMON=$!
i=0
until "$SLUICE" -s "$SOCK" status >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 "$DAEMON" 2>/dev/null; then
		echo "sluiced did not start:"
		cat "$TMP/sluiced.log"
		exit 1
	fi
	sleep 0.05
done
sed 's/^/    /' "$TMP/sluiced.log"

# ------------------------------------------------------------------------
step "3. Attach: r-client with native XDP, r-attack at tc ingress"
sl attach r-client mode native
sl attach r-attack mode tc
sl status

# ------------------------------------------------------------------------
step "4. ping client -> server (passes: rule 300)"
ns "$NS_CLIENT" ping -c 3 -i 0.2 -W 1 10.10.3.2
echo "and attacker -> server (dropped: rule 10, the blocklist)"
if ns "$NS_ATTACK" ping -c 2 -i 0.2 -W 1 10.10.3.2 >/dev/null; then
	echo "the attacker got through!"
	exit 1
fi
echo "    2 packets transmitted, 0 received"

# ------------------------------------------------------------------------
step "5. TCP client -> server: iperf3 for 2 s (passes), then port 22 (dropped: rule 100)"
ns "$NS_SERVER" iperf3 -s -1 >/dev/null 2>&1 &
ns "$NS_SERVER" socat TCP-LISTEN:22,reuseaddr,fork EXEC:'echo SSH-2.0-lab' \
	>/dev/null 2>&1 &
sleep 0.3
ns "$NS_CLIENT" iperf3 -c 10.10.3.2 -t 2 -f m | grep -E 'sender|receiver'
if ns "$NS_CLIENT" socat -T 1 - TCP:10.10.3.2:22,connect-timeout=1 \
	</dev/null >/dev/null 2>&1; then
	echo "the server's port 22 answered!"
	exit 1
fi
echo "client -> server:22: connection timed out"

# ------------------------------------------------------------------------
step "6. Flood from the attacker: $FLOOD_BURSTS x $FLOOD_PER_BURST UDP datagrams, and live 'sluice stats -w r-attack'"
tx0=$(ns "$NS_ATTACK" cat /sys/class/net/eth0/statistics/tx_packets)
drop0=$("$SLUICE" -s "$SOCK" -j stats r-attack | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(e["reasons"]["rule"]["packets"] for e in d["interfaces"]))' 2>/dev/null || echo 0)
(
	b=0
	while [ $b -lt "$FLOOD_BURSTS" ]; do
		head -c $((64 * FLOOD_PER_BURST)) /dev/zero |
			ns "$NS_ATTACK" socat -b 64 -u - UDP4-SENDTO:10.10.3.2:9
		sleep 0.7
		b=$((b + 1))
	done
) &
flood=$!
printf '$ timeout 4 sluice stats -w r-attack\n'
timeout -s INT 4 "$SLUICE" -s "$SOCK" stats -w r-attack || true
wait $flood
flood=""
sleep 0.3
tx1=$(ns "$NS_ATTACK" cat /sys/class/net/eth0/statistics/tx_packets)

# ------------------------------------------------------------------------
step "7. The counters"
sl stats
sl rule list
printf "\$ sluice metrics | grep '^sluice_packets_total' | grep -v ' 0\$'\n"
if "$SLUICE" -s "$SOCK" metrics >"$TMP/metrics" 2>&1; then
	grep '^sluice_packets_total' "$TMP/metrics" | grep -v ' 0$' ||
		echo "(no sluice_packets_total)"
else
	sed 's/^/    /' "$TMP/metrics"
fi

# ------------------------------------------------------------------------
step "8. Was the flood dropped?"
sent=$((tx1 - tx0))
dropped=$("$SLUICE" -s "$SOCK" -j stats r-attack | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
print(sum(e["reasons"]["rule"]["packets"] for e in d["interfaces"]))')
dropped=$((dropped - drop0))
seen=$(ns "$NS_SERVER" nft list counter ip lab from_attacker |
	sed -n 's/.*packets \([0-9]*\).*/\1/p')
echo "attacker sent:               $sent packets"
echo "sluice dropped at r-attack:  $dropped (rule 10, tc hook)"
echo "server received from it:     $seen"
# The attacker's own ARP is passed (not IP): allow for a few of those.
if [ "$seen" = 0 ] && [ "$dropped" -ge $((FLOOD_BURSTS * FLOOD_PER_BURST)) ] &&
	[ "$dropped" -le "$sent" ]; then
	echo "RESULT: the flood was dropped: the server saw none of it"
else
	echo "RESULT: the flood was NOT dropped"
	exit 1
fi
