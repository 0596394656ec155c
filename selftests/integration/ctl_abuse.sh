#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The control socket under abuse: 1,000 malformed requests and 50
# concurrent clients beside slow and hostile ones.  Every well-formed
# request is answered correctly, the daemon stays up and its memory stays
# bounded.  (The clients: selftests/lib/ctl_abuse.py.)
. "$(dirname "$0")/../lib/tap.sh"

plan 20
lab_init ca
ns_add r && ns_add a && veth a 10.204.1.2/24 r 10.204.1.1/24 0 || exit 1
cat >"$CONF" <<EOF
attach ${TAG}r0 mode native
set add blk 10.204.9.0/24 2001:db8:9::/48
rule add 10 src @blk drop
rule add 20 proto tcp dport 22 drop
rule add 30 proto udp dport 53 pass
EOF
daemon_start r || exit 1
ABUSE="$(dirname "$0")/../lib/ctl_abuse.py"
expected=$(sl -j rule list)
diag "rules: $expected"

rss() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$DPID/status"
}
# field KEY FILE
field() {
	sed -n "s/^$1 //p" "$2"
}

# Warm-up: one round of each, so the baseline counts the allocator's
# first growth and the pages of the mmap'd maps that status reads.
"$PY" "$ABUSE" "$SOCK" "$expected" malformed >"$LAB_DIR/warm" 2>&1
"$PY" "$ABUSE" "$SOCK" "$expected" busy >"$LAB_DIR/warm" 2>&1
rss0=$(rss)
diag "VmRSS after warm-up: $rss0 kB ($(grep RssAnon "/proc/$DPID/status"))"

"$PY" "$ABUSE" "$SOCK" "$expected" malformed >"$LAB_DIR/m" 2>&1
grep '^#' "$LAB_DIR/m"
sent=$(field malformed_sent "$LAB_DIR/m")
cmp_ok "1,000 malformed requests sent ($sent)" "${sent:-0}" -ge 1000
is "every malformed request that a reply can follow got a one-line error" \
	"$(field malformed_answered_with_error "$LAB_DIR/m")" 960
is "every reply is UTF-8 (requests with invalid UTF-8 among them)" \
	"$(field invalid_utf8_replies "$LAB_DIR/m")" 0
is "every oversized line got an error" \
	"$(field oversized_answered_with_error "$LAB_DIR/m")" 10
total=$(field wellformed_total "$LAB_DIR/m")
is "every well-formed request between them answered correctly ($total)" \
	"$(field wellformed_ok "$LAB_DIR/m") $total" "951 951"
check "sluiced is up after the malformed requests" daemon_alive
diag "VmRSS after 1,000 malformed: $(rss) kB"

"$PY" "$ABUSE" "$SOCK" "$expected" busy >"$LAB_DIR/b" 2>&1
grep '^#' "$LAB_DIR/b"
grep -v '^#' "$LAB_DIR/b" | sed 's/^/# /'
is "50 clients x 20 requests: all answered correctly" \
	"$(field busy_ok "$LAB_DIR/b")" 1000
is "none answered wrongly" "$(field busy_bad "$LAB_DIR/b")" 0
is "none waited more than 2 s behind the slow clients" \
	"$(field busy_slower_than_2s "$LAB_DIR/b")" 0
cmp_ok "connections past the limit are refused" \
	"$(field too_many_refused "$LAB_DIR/b")" -ge 6
is "and a new client is served once they are gone" \
	"$(field after_flood_ok "$LAB_DIR/b")" 1
check "sluiced is up after the busy clients" daemon_alive
rss1=$(rss)
diag "VmRSS after the busy clients: $rss1 kB"

# Once more: a leak would show as growth from round to round.
"$PY" "$ABUSE" "$SOCK" "$expected" malformed >"$LAB_DIR/m2" 2>&1
"$PY" "$ABUSE" "$SOCK" "$expected" busy >"$LAB_DIR/b2" 2>&1
is "second round: every well-formed request answered correctly" \
	"$(field wellformed_ok "$LAB_DIR/m2") $(field busy_ok "$LAB_DIR/b2")" \
	"951 1000"
rss2=$(rss)
diag "VmRSS after the second round: $rss2 kB ($(grep RssAnon "/proc/$DPID/status"))"
cmp_ok "VmRSS grew less than 4 MB over both rounds ($rss0 -> $rss2 kB)" \
	"$((${rss2:-999999} - ${rss0:-0}))" -lt 4096
cmp_ok "VmRSS grew less than 1 MB in the second round ($rss1 -> $rss2 kB)" \
	"$((${rss2:-999999} - ${rss1:-0}))" -lt 1024

# Slow clients are cut off after the per-client timeout (10 s).
"$PY" "$ABUSE" "$SOCK" "$expected" timeout >"$LAB_DIR/t" 2>&1
grep -v '^#' "$LAB_DIR/t" | sed 's/^/# /'
t_half=$(field cut_off_half_s "$LAB_DIR/t")
t_idle=$(field cut_off_idle_s "$LAB_DIR/t")
cmp_ok "a half line is cut off after 8..13 s ($t_half s)" \
	"$(((${t_half:-0} >= 8) && (${t_half:-0} <= 13)))" -eq 1
cmp_ok "a silent connection is cut off after 8..13 s ($t_idle s)" \
	"$(((${t_idle:-0} >= 8) && (${t_idle:-0} <= 13)))" -eq 1
cmp_ok "other clients were served meanwhile" \
	"$(field served_meanwhile "$LAB_DIR/t")" -ge 30

# None of it changed the rules.
is "rule list unchanged" "$(sl -j rule list)" "$expected"
check "sluiced is still running" daemon_alive
