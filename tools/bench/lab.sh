# SPDX-License-Identifier: GPL-2.0-only
#
# What the live benches share (sourced by live.sh and synflood.sh): the
# teardown of what a run made, commands in its namespaces, sluiced
# started in one, and the NAPI kthreads of a device.
#
# A script sets, before lab_traps: TMP (its temp dir, removed), BPFFS and
# mounted (a bpffs it mounted there), LAB_NS (its namespaces, removed) and
# LAB_PID_VARS (the names of the variables holding the pids of what it
# started: read at teardown, so that a pid waited for and cleared is not
# killed).

lab_teardown() {
	rc=$?
	trap - EXIT INT TERM HUP
	set +e # a killed process's status must not end the teardown
	for v in $LAB_PID_VARS; do
		eval "_pids=\${$v}"
		for p in $_pids; do
			kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
		done
	done
	for n in $LAB_NS; do
		ip netns del "$n" 2>/dev/null
	done
	[ -n "$mounted" ] && { umount "$BPFFS" 2>/dev/null || umount -l "$BPFFS"; }
	rm -rf "$TMP"
	exit $rc
}

lab_traps() {
	trap lab_teardown EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

ns() {
	_n=$1
	shift
	ip netns exec "$_n" "$@"
}

# lab_sluiced NS SLUICED CONF SOCK PINS LOG: sluiced in NS, its pid in
# started once its socket answers; the run ends if it does not start.
lab_sluiced() {
	# Not through ns(): $! must be sluiced's pid, not a subshell's.
	ip netns exec "$1" "$2" -f -c "$3" -s "$4" -p "$5" >>"$6" 2>&1 &
	started=$!
	_i=0
	until "$BUILD/sluice" -s "$4" status >/dev/null 2>&1; do
		_i=$((_i + 1))
		if [ $_i -gt 600 ] || ! kill -0 "$started" 2>/dev/null; then
			echo "$0: $2 ($5) did not start:" >&2
			cat "$6" >&2
			exit 1
		fi
		sleep 0.1
	done
}

# The NAPI kthreads of device DEV: their pids.  comm holds 15 characters:
# "napi/DEV-PID-N" may lose its end, never the device's name.
lab_napi_pids() {
	ps -e -o pid= -o comm= | awk -v n="napi/$1-" \
		'index($2, substr(n, 1, 15)) == 1 { print $1 }'
}

now_ns() {
	date +%s%N
}

# The generator's attempts on G0 in NS_GEN: sent, and dropped at the
# peer's full ring.
offered() {
	ns "$NS_GEN" cat "/sys/class/net/$G0/statistics/tx_packets" \
		"/sys/class/net/$G0/statistics/tx_dropped" | awk '{ s += $1 } END { print s }'
}
