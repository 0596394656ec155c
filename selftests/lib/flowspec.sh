# SPDX-License-Identifier: GPL-2.0-only
#
# What the FlowSpec tests share, sourced after tap.sh: ExaBGP started
# with "sluice flowspec" as its process, and the rules of the FlowSpec
# range (50000-59999, the default) of the daemon sl talks to.

EXABGP=$(command -v exabgp || echo /usr/sbin/exabgp)

# exabgp_run NS CONF LOG BIND: ExaBGP in namespace NS as root, no CLI
# pipes, listening on BIND; its pid in XPID.
exabgp_run() {
	# Not through nsx: $! must be ExaBGP itself (ip netns exec and env exec).
	ip netns exec "sl-$TAG-$1" env exabgp_daemon_user=root exabgp_api_cli=false \
		exabgp_tcp_bind="$4" exabgp_log_destination=stderr \
		"$EXABGP" "$2" >>"$3" 2>&1 &
	XPID=$!
	lab_pid "$XPID"
}

# range_rules: the rules of the FlowSpec range, one a line.
range_rules() {
	sl -j rule list | jx "[r['rule'] for r in d if 50000 <= r['prio'] <= 59999]"
}

count_rules() {
	range_rules | grep -c . || true
}
