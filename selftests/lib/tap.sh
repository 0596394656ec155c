# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=sh
#
# Sourced by selftests/integration/*.sh: TAP output, and a lab of network
# namespaces, veth pairs, a private bpffs and a sluiced, all torn down by
# a trap whatever happens.
#
#   . "$(dirname "$0")/../lib/tap.sh"
#   plan 5
#   lab_init xy              # xy: two letters naming the test (in names)
#   ns_add r; ns_add a
#   veth a 10.1.1.2/24 r 10.1.1.1/24    # -> interfaces ${TAG}a0 / ${TAG}r0
#   daemon_start r CONFIG
#   check "desc" sl attach "${TAG}r0" mode native
#   is "desc" "$(stat_pk "${TAG}r0" xdp actions drop)" 5
#
# Every check prints "ok N - desc" or "not ok N - desc"; when the script
# ends before its plan is done, the checks it did not reach are printed as
# "not ok" so a crash counts as a failure.  Exit status: 1 if any failed.
#
# Needs root, iproute2 and /usr/bin/python3 (JSON).  SLUICE_BUILD names the
# build directory (selftests/run.sh sets it); default ./build.
set -u

SLUICE_BUILD=${SLUICE_BUILD:-$(pwd)/build}
SLUICE=$SLUICE_BUILD/sluice
SLUICED=$SLUICE_BUILD/sluiced
PY=/usr/bin/python3

_t_planned=0
_t_n=0
_t_failed=0

plan() {
	_t_planned=$1
	echo "1..$1"
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

pass() {
	_t_n=$((_t_n + 1))
	echo "ok $_t_n - $1"
}

fail() {
	_t_n=$((_t_n + 1))
	_t_failed=$((_t_failed + 1))
	echo "not ok $_t_n - $1"
}

skip() {
	_t_n=$((_t_n + 1))
	echo "ok $_t_n - $1 # SKIP ${2:-}"
}

# check DESC CMD...: ok when CMD succeeds; its output is shown on failure.
check() {
	_d=$1
	shift
	if _o=$("$@" 2>&1); then
		pass "$_d"
	else
		fail "$_d"
		diag "command: $*" "$_o"
	fi
}

# refute DESC CMD...: ok when CMD fails.
refute() {
	_d=$1
	shift
	if _o=$("$@" 2>&1); then
		fail "$_d"
		diag "command unexpectedly succeeded: $*" "$_o"
	else
		pass "$_d"
	fi
}

# is DESC GOT WANT: string equality.
is() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		diag "got:  '$2'" "want: '$3'"
	fi
}

# cmp_ok DESC A OP B: integer comparison (-eq -ge -le -gt -lt -ne).
_cmp() {
	case $2 in
	-eq) [ "$1" -eq "$3" ] ;;
	-ne) [ "$1" -ne "$3" ] ;;
	-lt) [ "$1" -lt "$3" ] ;;
	-le) [ "$1" -le "$3" ] ;;
	-gt) [ "$1" -gt "$3" ] ;;
	-ge) [ "$1" -ge "$3" ] ;;
	*) return 2 ;;
	esac
}

cmp_ok() {
	if [ -n "$2" ] && [ -n "$4" ] && _cmp "$2" "$3" "$4" 2>/dev/null; then
		pass "$1"
	else
		fail "$1"
		diag "got: '$2' $3 '$4' is false"
	fi
}

# like DESC TEXT PATTERN: TEXT has a line matching the extended regex.
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		pass "$1"
	else
		fail "$1"
		diag "no match for /$3/ in:" "$2"
	fi
}

unlike() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		fail "$1"
		diag "unexpected match for /$3/ in:" "$2"
	else
		pass "$1"
	fi
}

# --- the lab ------------------------------------------------------------

_lab_ns=""
_lab_mounts=""
_lab_pids=""
_lab_users=""
_lab_cleanup_extra=""
LAB_DIR=""
TAG=""

_lab_cleanup() {
	_rc=$?
	trap - EXIT
	# A second signal (timeout(1) signals the whole group; Ctrl-C twice)
	# must not cut the cleanup short, nor a closed pipe on our output.
	trap '' INT TERM HUP PIPE
	# The plan's unreached checks are failures.
	while [ "$_t_n" -lt "$_t_planned" ]; do
		fail "not reached (the test ended early)"
	done
	# More checks than planned: the plan no longer says what is tested.
	[ "$_t_n" -gt "$_t_planned" ] &&
		fail "ran $_t_n checks, planned $_t_planned"
	[ -n "$_lab_cleanup_extra" ] && eval "$_lab_cleanup_extra"
	for _p in $_lab_pids; do
		kill -9 "$_p" 2>/dev/null
	done
	for _ns in $_lab_ns; do
		# Only namespaces this test made: whatever runs there is ours.
		for _p in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -9 "$_p" 2>/dev/null
		done
	done
	for _p in $_lab_pids; do
		wait "$_p" 2>/dev/null
	done
	for _ns in $_lab_ns; do
		ip netns del "$_ns" 2>/dev/null
	done
	for _m in $_lab_mounts; do
		umount "$_m" 2>/dev/null || umount -l "$_m" 2>/dev/null
	done
	for _u in $_lab_users; do
		userdel -r "$_u" >/dev/null 2>&1
	done
	[ -n "$LAB_DIR" ] && rm -rf "$LAB_DIR"
	[ "$_t_failed" -gt 0 ] && exit 1
	exit "$_rc"
}

# lab_init XY: names, a work directory, a bpffs and the trap.
lab_init() {
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP needs root"
		exit 0
	fi
	for _b in "$SLUICE" "$SLUICED" "$PY"; do
		if [ ! -x "$_b" ]; then
			echo "Bail out! $_b is missing (build first: make)"
			exit 1
		fi
	done
	# Interface names: ${TAG}r0 must fit in 15 characters.
	TAG="$1$(($$ % 100000))"
	LAB_DIR=$(mktemp -d "/tmp/sluice-$1.XXXXXX")
	chmod 0755 "$LAB_DIR"
	trap _lab_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	trap 'exit 141' PIPE
	mkdir "$LAB_DIR/bpffs"
	mount -t bpf bpf "$LAB_DIR/bpffs" || {
		echo "Bail out! cannot mount bpffs"
		exit 1
	}
	_lab_mounts="$LAB_DIR/bpffs $_lab_mounts"
	PIN_DIR=$LAB_DIR/bpffs/sluice
	SOCK=$LAB_DIR/sluiced.sock
	CONF=$LAB_DIR/sluice.conf
	DLOG=$LAB_DIR/sluiced.log
	: >"$CONF"
}

# Register a background process of ours for the trap.
lab_pid() {
	_lab_pids="$_lab_pids $1"
}

# ns_add X: namespace sl-$TAG-X, lo up, IPv6 off (no stray packets in the counters).
ns_add() {
	ip netns add "sl-$TAG-$1" || return 1
	_lab_ns="$_lab_ns sl-$TAG-$1"
	ip -n "sl-$TAG-$1" link set lo up
	ip netns exec "sl-$TAG-$1" sh -c '
		sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		sysctl -qw net.ipv6.conf.default.disable_ipv6=1' 2>/dev/null
	return 0
}

# nsx X CMD...: run CMD in namespace X.
nsx() {
	_ns=$1
	shift
	ip netns exec "sl-$TAG-$_ns" "$@"
}

# veth X ADDR Y ADDR [N]: a pair ${TAG}X$N (in X) <-> ${TAG}Y$N (in Y), up.
veth() {
	_n=${5:-0}
	ip link add "${TAG}$1$_n" netns "sl-$TAG-$1" type veth \
		peer name "${TAG}$3$_n" netns "sl-$TAG-$3" || return 1
	ip -n "sl-$TAG-$1" addr add "$2" dev "${TAG}$1$_n" &&
		ip -n "sl-$TAG-$3" addr add "$4" dev "${TAG}$3$_n" &&
		ip -n "sl-$TAG-$1" link set "${TAG}$1$_n" up &&
		ip -n "sl-$TAG-$3" link set "${TAG}$3$_n" up
}

# daemon_start X: sluiced in namespace X on $CONF, $SOCK, $PIN_DIR;
# $DPID is its pid.  Waits until the socket answers.
daemon_start() {
	DNS=$1
	ip netns exec "sl-$TAG-$DNS" "$SLUICED" -f -c "$CONF" -s "$SOCK" \
		-p "$PIN_DIR" >>"$DLOG" 2>&1 &
	DPID=$!
	lab_pid "$DPID"
	_i=0
	while [ $_i -lt 100 ]; do
		if "$SLUICE" -s "$SOCK" status >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
		_i=$((_i + 1))
	done
	diag "sluiced did not come up; its log:"
	diag "$(cat "$DLOG")"
	return 1
}

daemon_alive() {
	kill -0 "$DPID" 2>/dev/null
}

# sl ARGS...: the CLI on our socket.
sl() {
	"$SLUICE" -s "$SOCK" "$@"
}

# jx EXPR: evaluate a Python expression over the JSON on stdin (as d).
# Booleans print as true/false, None as null, lists one item a line.
# Nothing (and status 1) when stdin is not JSON or EXPR fails.
jx() {
	"$PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
    v = eval(sys.argv[1])
except Exception as e:
    print("jx: %s" % e, file=sys.stderr)
    sys.exit(1)
def f(x):
    if x is True: return "true"
    if x is False: return "false"
    if x is None: return "null"
    return str(x)
if isinstance(v, list):
    for x in v: print(f(x))
else:
    print(f(v))' "$1"
}

# stat_pk IFACE HOOK actions|reasons NAME [packets|bytes]: one counter
# from "sluice -j stats" (0 when the interface has no entry for the hook).
stat_pk() {
	sl -j stats 2>/dev/null | jx "
sum(e['$3'].get('$4', {}).get('${5:-packets}', 0)
    for e in d['interfaces'] if e.get('ifname') == '$1' and e['hook'] == '$2')"
}

# rule_pk PRIO: the rule's packet counter from "sluice -j stats".
rule_pk() {
	sl -j stats 2>/dev/null | jx "
sum(r['packets'] for r in d['rules'] if r['prio'] == $1)"
}

# iface_field IFACE FIELD: from "sluice -j status".
iface_field() {
	sl -j status 2>/dev/null | jx "
[i.get('$2') for i in d['interfaces'] if i['ifname'] == '$1'][0]"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# wait_for VALUE CMD...: milliseconds until CMD prints VALUE (-1 after 3 s).
wait_for() {
	_want=$1
	shift
	_t0=$(now_ms)
	while [ $(($(now_ms) - _t0)) -lt 3000 ]; do
		if [ "$("$@")" = "$_want" ]; then
			echo $(($(now_ms) - _t0))
			return
		fi
		sleep 0.02
	done
	echo -1
}

# ping_rx X ADDR COUNT [INTERVAL]: replies received by X.
ping_rx() {
	nsx "$1" ping -n -q -c "$3" -i "${4:-0.1}" -W 1 "$2" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

# ip link's view of IFACE's XDP attachment: "xdp", "xdpgeneric" or "none".
link_xdp() {
	_l=$(nsx "$1" ip -d link show dev "$2")
	case $_l in
	*xdpgeneric*) echo xdpgeneric ;;
	*"prog/xdp"*) echo xdp ;;
	*) echo none ;;
	esac
}

# A BPF program on IFACE's tc ingress (clsact): "yes" or "no".
link_tc() {
	if nsx "$1" tc filter show dev "$2" ingress 2>/dev/null | grep -q bpf; then
		echo yes
	else
		echo no
	fi
}

# Is there a clsact qdisc on IFACE: "yes" or "no".
link_clsact() {
	if nsx "$1" tc qdisc show dev "$2" 2>/dev/null | grep -q clsact; then
		echo yes
	else
		echo no
	fi
}

# until_eq VALUE CMD...: wait up to 20 s for CMD to print VALUE; 0 or 1.
until_eq() {
	_w=$1
	shift
	_k=0
	while [ $_k -lt 200 ]; do
		[ "$("$@")" = "$_w" ] && return 0
		sleep 0.1
		_k=$((_k + 1))
	done
	diag "still: $("$@")"
	return 1
}

# udp_send X ADDR PORT COUNT: COUNT datagrams "pkt N" from X, over IPv6
# when ADDR is an IPv6 address.
udp_send() {
	case $2 in
	*:*) _to="UDP6-SENDTO:[$2]:$3" ;;
	*) _to="UDP4-SENDTO:$2:$3" ;;
	esac
	_k=1
	while [ $_k -le "$4" ]; do
		echo "pkt $_k" | nsx "$1" socat -u - "$_to" || return 1
		_k=$((_k + 1))
	done
}

# lines FILE: its number of lines, 0 when it does not exist.
lines() {
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

# udp_sink X PORT FILE [6]: a UDP listener in X (IPv6 with 6) appending
# every datagram to FILE.
udp_sink() {
	nsx "$1" socat -u "UDP${4:-4}-RECVFROM:$2,reuseaddr,fork" "OPEN:$3,creat,append" &
	lab_pid $!
}
