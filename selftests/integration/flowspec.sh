#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# FlowSpec end to end: ExaBGP in c announces flow routes through its API
# ("announce flow route ..."); ExaBGP in r receives them and runs
# "sluice flowspec" as its process, which keeps sluiced's range
# 50000-59999 equal to them.  Traffic from c to r goes through r0, where
# sluice runs at XDP.
#
#   c [exabgp, API from a file] --- r0 [r: sluiced XDP, exabgp -> sluice flowspec]
#
# Checked: the rules appear in RFC 8955 order and drop / limit what they
# say; an unsupported route is refused and counted while the others of
# the same UPDATE apply; a withdrawal removes exactly its rules; the
# operator's own rule keeps precedence; a session that goes down takes
# its routes with it; a restarted consumer keeps the rules in place
# until the speaker has sent its routes again, then has exactly them.
# Two nodes, BIRD as the announcer and 10,000 routes: flowspec_fleet.sh.
. "$(dirname "$0")/../lib/tap.sh"
. "$(dirname "$0")/../lib/flowspec.sh"

if [ ! -x "$EXABGP" ]; then
	echo "1..0 # SKIP exabgp is not installed (tools/deps.sh --test)"
	exit 0
fi

plan 29
lab_init fs
ns_add r && ns_add c || exit 1
veth c 10.216.1.2/24 r 10.216.1.1/24 || exit 1
R0=${TAG}r0
daemon_start r || exit 1
check "attach r0" sl attach "$R0" mode native
# The operator's own rule, before the FlowSpec range: it keeps precedence.
check "operator rule" sl rule add 100 dst 10.216.1.1/32 proto udp dport 5003 pass

ST=$LAB_DIR/flowspec.json
CMD=$LAB_DIR/c.cmd
: >"$CMD"

cat >"$LAB_DIR/c.conf" <<EOF
process cmd {
  run /usr/bin/tail -n +1 -f $CMD;
  encoder text;
}
neighbor 10.216.1.1 {
  router-id 10.216.1.2;
  local-address 10.216.1.2;
  local-as 65000;
  peer-as 65001;
  family { ipv4 flow; ipv6 flow; }
  api { processes [ cmd ]; }
}
EOF
cat >"$LAB_DIR/r.conf" <<EOF
process sluice {
  run $SLUICE -s $SOCK flowspec --status $ST --hold 3;
  encoder json;
}
neighbor 10.216.1.2 {
  router-id 10.216.1.1;
  local-address 10.216.1.1;
  local-as 65001;
  peer-as 65000;
  passive;
  family { ipv4 flow; ipv6 flow; }
  api { processes [ sluice ]; neighbor-changes; receive { parsed; update; } }
}
EOF





status_field() {
	[ -f "$ST" ] && jx "d$1" <"$ST"
}

exabgp_run r "$LAB_DIR/r.conf" "$LAB_DIR/r.log" 10.216.1.1
RPID=$XPID
exabgp_run c "$LAB_DIR/c.conf" "$LAB_DIR/c.log" ""
CPID=$XPID

# One UPDATE per line; the flow-label one cannot be expressed.
cat >>"$CMD" <<'EOF'
announce flow route destination 10.216.1.1/32 protocol udp destination-port =5001 rate-limit 0
announce flow route destination 10.216.1.1/32 protocol icmp rate-limit 0
announce flow route destination 10.216.1.1/32 protocol udp destination-port [ =5002 =5003 ] rate-limit 0
announce flow route destination 2001:db8:1::/64 flow-label 5 rate-limit 0
announce flow route destination 2001:db8::/64 next-header 58 rate-limit 0
announce flow route destination 10.216.1.0/24 protocol udp destination-port =5004 rate-limit 2000
EOF

# 5002 and 5003 are one range; "=5002" (0x11, not the last operator)
# encodes below "=5001" (0x91, the last), so its route comes first.
check "rules installed" until_eq 5 count_rules
is "RFC 8955 order: /32 before /24, icmp (=1) before udp (=17), IPv6 last" \
	"$(range_rules)" "50000 dst 10.216.1.1/32 proto icmp drop
50001 dst 10.216.1.1/32 proto udp dport 5002-5003 drop
50002 dst 10.216.1.1/32 proto udp dport 5001 drop
50003 dst 10.216.1.0/24 proto udp dport 5004 rate-limit 16kbit
50004 dst 2001:db8::/64 proto icmpv6 drop"
is "first rule at the bottom of the range" \
	"$(sl -j rule list | jx "min(r['prio'] for r in d if r['prio'] >= 50000)")" 50000
is "refused and counted" "$(status_field "['refused_by_reason']['flow-label']")" 1
is "received" "$(status_field "['received']")" 6
is "installed" "$(status_field "['installed']")" 5

is "ping dropped" "$(ping_rx c 10.216.1.1 3)" 0
SINK=$LAB_DIR/udp
udp_sink r 5001 "$SINK.5001"
udp_sink r 5003 "$SINK.5003"
udp_sink r 5005 "$SINK.5005"
sleep 0.3
udp_send c 10.216.1.1 5001 5
udp_send c 10.216.1.1 5003 5
udp_send c 10.216.1.1 5005 5
sleep 0.5
is "udp 5001 dropped" "$(lines "$SINK.5001")" 0
is "udp 5003 passed by the operator's rule 100" "$(lines "$SINK.5003")" 5
is "udp 5005 untouched" "$(lines "$SINK.5005")" 5
cmp_ok "rule 50000 counted the pings" "$(rule_pk 50000)" -ge 3

# A withdrawal: only its rule goes.
echo "withdraw flow route destination 10.216.1.1/32 protocol icmp rate-limit 0" >>"$CMD"
check "withdrawn" until_eq 4 count_rules
unlike "the icmp rule is gone" "$(range_rules)" "proto icmp "
is "ping passes again" "$(ping_rx c 10.216.1.1 3)" 3

# The matches FlowSpec brought: a packet-length route drops large pings,
# a DSCP one pings marked EF; the others pass.
ping_opts_rx() {
	nsx "$1" ping -n -q -c "$3" -i 0.1 -W 1 $4 "$2" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
cat >>"$CMD" <<'EOF2'
announce flow route destination 10.216.1.1/32 protocol icmp packet-length >=1000 rate-limit 0
announce flow route destination 10.216.1.1/32 protocol icmp dscp =46 rate-limit 0
EOF2
check "length and dscp routes installed" until_eq 6 count_rules
like "a length range" "$(range_rules)" "dst 10.216.1.1/32 proto icmp length 1000-65575 drop"
like "a dscp" "$(range_rules)" "dst 10.216.1.1/32 proto icmp dscp 46 drop"
is "small unmarked pings pass" "$(ping_rx c 10.216.1.1 3)" 3
is "pings of 1228 bytes dropped" "$(ping_opts_rx c 10.216.1.1 3 "-s 1200")" 0
is "pings marked EF dropped" "$(ping_opts_rx c 10.216.1.1 3 "-Q 184")" 0
cat >>"$CMD" <<'EOF2'
withdraw flow route destination 10.216.1.1/32 protocol icmp packet-length >=1000 rate-limit 0
withdraw flow route destination 10.216.1.1/32 protocol icmp dscp =46 rate-limit 0
EOF2
check "length and dscp routes withdrawn" until_eq 4 count_rules

# The consumer restarts (ExaBGP with it): the rules stay meanwhile, and
# afterwards the range holds exactly what the speaker sends again.
kill "$RPID"
wait "$RPID" 2>/dev/null
sleep 0.5
is "rules kept while the speaker is away" "$(count_rules)" 4
exabgp_run r "$LAB_DIR/r.conf" "$LAB_DIR/r.log" 10.216.1.1
RPID=$XPID
check "session back, same rules" until_eq 4 count_rules
echo "withdraw flow route destination 10.216.1.0/24 protocol udp destination-port =5004 rate-limit 2000" >>"$CMD"
check "withdrawal after the restart" until_eq 3 count_rules

# The session goes down: its routes go with it (no grace configured).
kill "$CPID"
wait "$CPID" 2>/dev/null
check "session down: range empty" until_eq 0 count_rules
is "operator rule still there" "$(sl -j rule list | jx "[r['prio'] for r in d]")" 100
udp_send c 10.216.1.1 5001 3
sleep 0.5
is "udp 5001 passes after the session loss" "$(lines "$SINK.5001")" 3

diag "$(grep -i "flowspec\|down\|notif\|clos" "$LAB_DIR/r.log" | tail -12)"
