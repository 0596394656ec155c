#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Errors name where they are: a configuration error FILE:LINE, also when
# only the machine can tell (a CPU it does not have) and on a daemon's
# start and reload; a set file that cannot be read the line that loads
# it; a capture that cannot be read its file.
. "$(dirname "$0")/../lib/tap.sh"

plan 10
lab_init er
ns_add r || exit 1
PKT='udp 192.0.2.1:1 > 192.0.2.2:2'
ncpu=$(nproc)
cat >"$LAB_DIR/cpu.conf" <<EOF
set add s 192.0.2.0/24
# a comment

rule add 20 src @s drop
rule add 10 steer $ncpu
EOF
printf 'rule add 5 drop\nset load s %s\n' "$LAB_DIR" >"$LAB_DIR/dir.conf"
printf 'rule add 5 drop\n' >"$LAB_DIR/ok.conf"
printf 'not a capture\n' >"$LAB_DIR/junk.pcap"

is "test-run: a CPU the machine lacks names FILE:LINE and the rule" \
	"$("$SLUICE" test-run -c "$LAB_DIR/cpu.conf" --packet "$PKT" 2>&1)" \
	"sluice: $LAB_DIR/cpu.conf:5: rule 10: no CPU $ncpu (this machine has $ncpu)"
is "test-run: a set load of a directory names FILE:LINE" \
	"$("$SLUICE" test-run -c "$LAB_DIR/dir.conf" --packet "$PKT" 2>&1)" \
	"sluice: $LAB_DIR/dir.conf:2: $LAB_DIR: cannot read: is a directory"
is "test-run: a capture of another format names the file" \
	"$("$SLUICE" test-run -c "$LAB_DIR/ok.conf" --pcap "$LAB_DIR/junk.pcap" 2>&1)" \
	"sluice: $LAB_DIR/junk.pcap: unknown file format"
is "test-run: a directory for a capture names it" \
	"$("$SLUICE" test-run -c "$LAB_DIR/ok.conf" --pcap "$LAB_DIR" 2>&1)" \
	"sluice: $LAB_DIR: error reading dump file: Is a directory"
is "test-run: a capture on stdin is called -" \
	"$("$SLUICE" test-run -c "$LAB_DIR/ok.conf" --pcap - <"$LAB_DIR/junk.pcap" 2>&1)" \
	"sluice: -: unknown file format"

# sluiced: a start that fails, then a reload (by command and by SIGHUP).
out=$(nsx r "$SLUICED" -f -c "$LAB_DIR/cpu.conf" -s "$SOCK" -p "$PIN_DIR" 2>&1)
like "sluiced: a start on it fails naming FILE:LINE" "$out" \
	"$LAB_DIR/cpu.conf:5: rule 10: no CPU $ncpu"
cp "$LAB_DIR/ok.conf" "$CONF"
daemon_start r || exit 1
cp "$LAB_DIR/cpu.conf" "$CONF"
is "sluice reload: refused naming FILE:LINE" "$(sl reload 2>&1)" \
	"sluice: $CONF:5: rule 10: no CPU $ncpu (this machine has $ncpu)"
kill -HUP "$DPID"
sleep 0.5
like "SIGHUP: the log names FILE:LINE" "$(cat "$DLOG")" \
	"$CONF:5: rule 10: no CPU $ncpu"
is "the old rules stay" "$(sl rule list)" "5 drop"
is "a run-time rule with that CPU names the rule" \
	"$(sl rule add 11 steer "$ncpu" 2>&1)" \
	"sluice: rule 11: no CPU $ncpu (this machine has $ncpu)"
