#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The bash completion of sluice (user/sluice.bash-completion): drive
# _sluice through COMP_WORDS/COMP_CWORD and check the candidates.  The
# daemon's answers (set names, rule priorities) come from a stub CLI;
# one check runs the real CLI against a socket nobody listens on.
# Speaks TAP.  Needs bash, nothing else: no root, no daemon.
here=$(cd "$(dirname "$0")" && pwd)
exec bash -s "$here" <<'BASH'
set -u
here=$1
root=$(cd "$here/../.." && pwd)
build=${SLUICE_BUILD:-$root/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=../../user/sluice.bash-completion
. "$root/user/sluice.bash-completion"

# The words of commands, keywords and options come from the CLI's tables
# ("sluice --complete-words"): the built CLI is the "sluice" on PATH.
PATH=$build:$PATH

# A CLI that answers like a daemon holding two sets and two rules, and
# has the real CLI's words.
stub=$tmp/bin/sluice
mkdir -p "$tmp/bin" "$tmp/files"
cat >"$stub" <<EOF
#!/bin/sh
[ "\$1" = --complete-words ] && exec "$build/sluice" "\$@"
EOF
cat >>"$stub" <<'EOF'
while [ $# -gt 0 ]; do
	case $1 in
	-s) echo "$2" >"$(dirname "$0")/socket"; shift 2 ;;
	-j) shift ;;
	*) break ;;
	esac
done
case "$*" in
"set list") echo '[{"set":"blocklist","entries4":2,"entries6":1},{"set":"allow.v6","entries4":0,"entries6":3}]' ;;
"rule list") echo '[{"prio":10,"rule":"10 src @blocklist drop","action":"drop","origin":"config","packets":0,"bytes":0},{"prio":200,"rule":"200 proto udp drop","action":"drop","origin":"runtime","packets":5,"bytes":300}]' ;;
*) echo "sluice: no" >&2; exit 1 ;;
esac
EOF
chmod +x "$stub"
: >"$tmp/files/bogons.txt"
: >"$tmp/files/capture.pcap"

n=0
failed=0
echo "1..39"

# complete WORD... : the last word is the one being completed.
complete_line()
{
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_sluice 2>"$tmp/stderr"
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}

# is DESC EXPECTED WORD...: the candidates, sorted, are exactly EXPECTED.
is()
{
	local desc=$1 want=$2 got
	shift 2
	got=$(complete_line "$@")
	n=$((n + 1))
	if [ "$got" = "$want" ] && [ ! -s "$tmp/stderr" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		echo "#   words:    $*"
		echo "#   expected: '$want'"
		echo "#   got:      '$got'"
		sed 's/^/#   stderr: /' "$tmp/stderr"
		failed=$((failed + 1))
	fi
}

# has DESC CANDIDATE WORD...: CANDIDATE is among the candidates.
has()
{
	local desc=$1 want=$2 got
	shift 2
	got=" $(complete_line "$@") "
	n=$((n + 1))
	if [[ $got == *" $want "* ]] && [ ! -s "$tmp/stderr" ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		echo "#   words:    $*"
		echo "#   expected '$want' among '$got'"
		failed=$((failed + 1))
	fi
}

ifaces=$(for f in /sys/class/net/*; do [ -d "$f" ] && echo "${f##*/}"; done | sort | tr '\n' ' ' | sed 's/ $//')
if1=$(echo "$ifaces" | cut -d' ' -f1)

is "commands" "attach capture detach flowspec help metrics policy reload rule set stats status test-run" \
	sluice ""
is "commands by prefix" "set stats status" sluice s
is "global options" "--help --json -h -j -s" sluice -
is "command after -s SOCKET -j" "reload rule" sluice -s /x/sock -j r
has "attach: interfaces" "$if1" sluice attach ""
is "attach IFACE: mode" "mode" sluice attach "$if1" ""
is "attach IFACE mode: modes" "auto generic native tc" sluice attach "$if1" mode ""
is "detach: interfaces" "$ifaces" sluice detach ""
is "policy IFACE: policies" "drop forward pass" sluice policy "$if1" ""
is "rule: subcommands" "add del list replace-range" sluice rule ""
is "rule add PRIO: no candidates for the priority" "" sluice rule add ""
is "rule add PRIO: matches and actions" \
	"dport drop dscp dst forward fragment icmp-code icmp-type in length pass proto rate-limit redirect sport src steer syn-proxy tcp-flags vlan" \
	sluice rule add 10 ""
is "rule add: a match given is not offered again" \
	"drop dscp dst forward fragment icmp-code icmp-type in length pass rate-limit redirect sport src steer syn-proxy tcp-flags vlan" \
	sluice rule add 10 proto tcp dport 22 ""
is "rule add: proto values" "icmp icmpv6 tcp udp" sluice rule add 10 proto ""
is "rule add: src @SET from the daemon" "@allow.v6 @blocklist" \
	"$stub" rule add 10 src @
is "rule add: dst @b" "@blocklist" "$stub" -s /run/x.sock rule add 10 in eth0 dst @b
n=$((n + 1))
if [ "$(cat "$tmp/bin/socket" 2>/dev/null)" = /run/x.sock ]; then
	echo "ok $n - the daemon is asked on the socket of -s"
else
	echo "not ok $n - the daemon is asked on the socket of -s"
	failed=$((failed + 1))
fi
is "rule add: tcp-flags after a comma" "syn,ack" \
	sluice rule add 10 proto tcp tcp-flags syn,a
is "rule add: tcp-flags negated" "syn,!ack" sluice rule add 10 tcp-flags 'syn,!a'
is "rule add: fragment flags" "!dont-fragment !first !is-fragment !last dont-fragment first is-fragment last" \
	sluice rule add 10 fragment ""
is "rule add: fragment flag after a comma" "first,!last" \
	sluice rule add 10 fragment 'first,!l'
is "rule add: nothing after a complete action" "" sluice rule add 10 src 10.0.0.0/8 drop ""
is "rule add: redirect IFACE" "$ifaces" sluice rule add 10 dport 80 redirect ""
is "rule add: rate-limit PPS per" "per" sluice rule add 10 rate-limit 1000/2000 ""
is "rule add: rate-limit per src or dst" "dst dst/ src src/" sluice rule add 10 rate-limit 1000 per ""
is "rule del: priorities from the daemon" "10 200" "$stub" rule del ""
is "set: subcommands" "add del flush list load" sluice set ""
is "set flush: set names from the daemon" "allow.v6 blocklist" "$stub" set flush ""
cd "$tmp/files"
is "set load NAME: files" "bogons.txt capture.pcap" "$stub" set load bl ""
cd "$root"
is "stats: -w and interfaces" "-w $ifaces" sluice stats ""
is "test-run: --hook values" "tc xdp" sluice test-run -c x.conf --hook ""
is "test-run: --hook=VALUE (bash splits at =)" "xdp" sluice test-run --hook = x
cd "$tmp/files"
is "test-run --pcap: files" "capture.pcap" sluice -j test-run -c a --pcap c
cd "$root"
is "capture: options" "--rate --reason --rule --verdict -c -s -w" sluice capture -
is "capture --verdict: verdicts" "drop forward pass rate-limit redirect steer" sluice capture --verdict ""
is "capture --reason n: reasons" "no-egress no-listener no-neigh no-route not-for-us not-forwarded not-ip" \
	sluice capture "$if1" --reason n
is "capture --rule: priorities from the daemon" "10 200" "$stub" capture --rule ""
has "capture: interfaces" "$if1" sluice capture --verdict drop ""

# The real CLI, no daemon: nothing offered, nothing printed.
if [ -x "$build/sluice" ]; then
	is "no daemon: no set names, no noise" "" "$build/sluice" -s "$tmp/none.sock" set list ""
else
	n=$((n + 1))
	echo "ok $n - no daemon: no set names, no noise # SKIP $build/sluice not built"
fi

[ "$failed" -eq 0 ]
BASH
