#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The control socket is root's and group sluice's: mode 0660, group
# sluice; a user outside the group is refused, one in it is served.
# A throwaway user is created with useradd and removed at the end.
. "$(dirname "$0")/../lib/tap.sh"

plan 11
lab_init sp
ns_add r || exit 1
daemon_start r || exit 1

is "socket mode 0660, owner root, group sluice" \
	"$(stat -c '%a %U %G' "$SOCK")" "660 root sluice"

U="slt$(($$ % 100000))"
# The user runs a copy of the CLI in the test's world-readable directory,
# so only the socket's own permissions decide.
cp "$SLUICE" "$LAB_DIR/sluice" && chmod 0755 "$LAB_DIR/sluice"
if useradd -M -N -s /usr/sbin/nologin "$U"; then
	_lab_users="$_lab_users $U"
	pass "throwaway user $U created"
else
	fail "throwaway user $U created"
fi
as_user() {
	su -s /bin/sh "$U" -c "$*"
}

out=$(as_user "'$LAB_DIR/sluice' -s '$SOCK' status" 2>&1)
rc=$?
diag "as $U (groups: $(id -Gn "$U" 2>/dev/null)): exit $rc: $out"
cmp_ok "a user outside group sluice is refused (non-zero exit)" "$rc" -ne 0
like "with a permission error" "$out" "[Pp]ermission denied"
is "in one line" "$(printf '%s\n' "$out" | wc -l)" 1
refute "the refused user cannot add a rule either" \
	as_user "'$LAB_DIR/sluice' -s '$SOCK' rule add 10 proto udp dport 9 drop"

usermod -a -G sluice "$U"
out=$(as_user "'$LAB_DIR/sluice' -s '$SOCK' status" 2>&1)
rc=$?
diag "as $U (groups: $(id -Gn "$U" 2>/dev/null)): exit $rc"
is "a member of group sluice is served" "$rc" 0
like "and sees the daemon's status" "$out" "^sluiced "
check "a member can change the rules" \
	as_user "'$LAB_DIR/sluice' -s '$SOCK' rule add 10 proto udp dport 9 drop"
is "the member's rule is there, the refused one's was not added before" \
	"$(sl -j rule list | jx "[r['rule'] + ' ' + r['origin'] for r in d]")" \
	"10 proto udp dport 9 drop runtime"

userdel "$U" 2>/dev/null
_lab_users=""
refute "the throwaway user is gone" id "$U"
