#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# A daemon session under the sanitizers (make sanitize): sluiced from the
# ASan+UBSan build on a private bpffs and socket, the everyday commands
# against it, then SIGTERM.  Every command must work, the daemon must
# exit 0, and neither the daemon nor the CLI may print a sanitizer report.
#
#   a (10.209.1.2) --- r0 [sluiced]
. "$(dirname "$0")/../lib/tap.sh"

plan 20
lab_init sz
ns_add r && ns_add a &&
	veth a 10.209.1.2/24 r 10.209.1.1/24 || exit 1
R=${TAG}r0
CLI_LOG=$LAB_DIR/cli.log

cat >"$CONF" <<EOF
set add blk 10.209.9.0/24 2001:db8::/32
rule add 5 src 10.209.8.0/24 drop
EOF
daemon_start r || exit 1

# sl with the CLI's stderr kept for the report check at the end.
cli() {
	sl "$@" 2>>"$CLI_LOG"
}

check "attach in generic mode" cli attach "$R" mode generic
is "status says attached" "$(iface_field "$R" attached)" true
check "policy" cli policy "$R" pass
check "rule add" cli rule add 10 src @blk proto tcp dport 22 drop
check "rule add (ICMP)" cli rule add 20 proto icmp icmp-type 8 pass
like "rule list shows rule 10" "$(cli rule list)" "10 src @blk proto tcp dport 22 drop"
check "rule del" cli rule del 20
unlike "rule 20 is gone" "$(cli rule list)" "^rule add 20 "
check "set add" cli set add blk 10.209.10.0/24 192.0.2.1
like "set list names the set" "$(cli set list)" "blk"
check "set del" cli set del blk 192.0.2.1
is "pings pass" "$(ping_rx a 10.209.1.1 2)" 2
check "stats" cli stats
check "stats -j" cli -j stats
check "status" cli status
check "metrics" cli metrics
check "reload" cli reload
check "detach" cli detach "$R"

kill -TERM "$DPID"
wait "$DPID"
is "sluiced exits 0 on SIGTERM" "$?" 0

reports=$(grep -hE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined)' \
	"$DLOG" "$CLI_LOG" 2>/dev/null)
is "no sanitizer report" "$reports" ""
[ -n "$reports" ] && diag "daemon log:" "$(cat "$DLOG")" "CLI log:" "$(cat "$CLI_LOG")"
exit 0
