#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The manual pages against the tables the programs parse with: every
# command, keyword and option of sluice (sluice --complete-words, sluice
# --help) and of sluiced (sluiced -h) is documented in user/man/, and
# every one the pages document exists.  What a page documents is what it
# sets in bold in the tags of its lists (.TP), its synopsis (.OP) and its
# grammar.  Speaks TAP.  Needs the built programs, no root, no daemon.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${SLUICE_BUILD:-$root/build}
sluice=$build/sluice
sluiced=$build/sluiced
man=$root/user/man

echo "1..19"
if [ ! -x "$sluice" ] || [ ! -x "$sluiced" ]; then
	echo "Bail out! $sluice and $sluiced are not built"
	exit 1
fi

# Each line of a page: section, subsection, "tag" (a .TP tag or a .OP,
# not of a list nested in an entry) or "body", the leading bold words (a
# command's name), the bold words, and the leading bold words of the
# entry the line belongs to.
bold()
{
	awk '
	function flush_tok() {
		if (tok == "")
			return
		toks = toks " " tok
		if (lead_open && tok !~ /^-/)
			lead = lead " " tok
		else
			lead_open = 0
		tok = ""
	}
	function emit(c, f) {
		if (f == "B" && c ~ /[A-Za-z0-9_\/.!@-]/) {
			tok = tok c
			return
		}
		flush_tok()
		if (c != " ")
			lead_open = 0
	}
	# Text in font f, with the escapes of roff that the pages use.
	function run(text, f,   i, c, d, cur, prev, t) {
		cur = prev = f
		for (i = 1; i <= length(text); i++) {
			c = substr(text, i, 1)
			if (c != "\\") {
				emit(c, cur)
				continue
			}
			d = substr(text, i + 1, 1)
			if (d == "f") {
				d = substr(text, i + 2, 1)
				i += 2
				if (d == "P") {
					t = cur; cur = prev; prev = t
				} else {
					prev = cur
					cur = d == "B" ? "B" : d == "I" ? "I" : "R"
				}
			} else if (d == "-") {
				emit("-", cur); i++
			} else if (d == "(") {
				emit(" ", cur); i += 3
			} else {
				i++
			}
		}
		flush_tok()
	}
	function split_args(s, args,   n, i, c, inq, a, started) {
		n = 0; a = ""; inq = 0; started = 0
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (inq) {
				if (c != "\"")
					a = a c
				else if (substr(s, i + 1, 1) == "\"")
					a = a c i++
				else
					inq = 0
				continue
			}
			if (c == "\"" && !started) {
				inq = started = 1
			} else if (c == " ") {
				if (started)
					args[++n] = a
				a = ""; started = 0
			} else {
				a = a c; started = 1
			}
		}
		if (started)
			args[++n] = a
		return n
	}
	function line(l,   m, rest, n, args, i, s) {
		toks = lead = tok = ""; lead_open = 1
		if (l !~ /^\./) {
			run(l, "R")
			return 1
		}
		m = l; sub(/ .*/, "", m)
		rest = index(l, " ") ? substr(l, index(l, " ") + 1) : ""
		n = split_args(rest, args)
		if (m == ".B") {
			for (i = 1; i <= n; i++)
				s = s (i > 1 ? " " : "") args[i]
			run(s, "B")
		} else if (m ~ /^\.(BR|RB|BI|IB)$/) {
			for (i = 1; i <= n; i++)
				run(args[i], substr(m, i % 2 ? 2 : 3, 1))
		} else if (m == ".OP") {
			run(args[1], "B")
		} else {
			return 0
		}
		return 1
	}
	/^\.SH/ { sec = $2; ss = ""; tag = 0; next }
	/^\.SS/ { ss = $2; tag = 0; next }
	/^\.TP/ { tag = 1; next }
	/^\.RS/ { nested++ }
	/^\.RE/ { nested-- }
	{
		# A list within an entry, and the descriptions of packets
		# (pktdesc.c, not a table of these programs), are prose.
		kind = (tag || /^\.OP/) && !nested && ss != "Packets" ? "tag" : "body"
		tag = 0
		if (!line($0))
			next
		if (kind == "tag")
			entry = substr(lead, 2)
		printf "%s\t%s\t%s\t%s\t%s\t%s\n", sec, ss, kind,
		       substr(lead, 2), substr(toks, 2), entry
	}' "$1"
}

# words PAGE SECTION [SUBSECTION [tag|body [ENTRY]]]: its bold words
# (keywords and options only), one a line, sorted.
words()
{
	bold "$1" | awk -F'\t' -v sec="$2" -v ss="${3:-}" -v kind="${4:-}" \
		-v entry="${5:-}" '
		$1 == sec && (ss == "" || $2 == ss) && (kind == "" || $3 == kind) &&
		(entry == "" || $6 == entry) {
			print $5
		}' | tr ' ' '\n' | grep -E '^-{0,2}[a-z][a-z0-9-]*/?$' | sort -u
}

n=0
failed=0
# check DESC MISSING: ok when MISSING (words, one a line) is empty.
check()
{
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "$2" | sed 's/^/#   /'
		failed=$((failed + 1))
	fi
}

# missing A B: the lines of A that are not in B.
missing()
{
	printf '%s\n' "$1" | sort -u | grep -vxF -f "$(printf '%s\n' "$2" | sort -u >"$tmp" && echo "$tmp")" | grep .
}

kw()
{
	for c in "$@"; do
		"$sluice" --complete-words "$c"
	done | sort -u
}

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
page=$man/sluice.8

# The options before the command.
opts=$(kw options)
doc=$(words "$page" OPTIONS "" tag)
check "sluice: every option is in OPTIONS" "$(missing "$opts" "$doc")"
check "sluice: every option in OPTIONS exists" "$(missing "$doc" "$opts")"

# The commands: the usage's lines ("  rule add PRIO ...") against the
# names of the entries of COMMANDS.
cmds=$("$sluice" --help | awk '/^  [a-z]/ {
	s = ""
	for (i = 1; i <= NF && $i ~ /^[a-z][a-z-]*$/; i++)
		s = s (i > 1 ? " " : "") $i
	print s
}' | sort -u)
doc=$(bold "$page" | awk -F'\t' '$1 == "COMMANDS" && $3 == "tag" && $4 != "" { print $4 }' | sort -u)
check "sluice: every command has an entry in COMMANDS" "$(missing "$cmds" "$doc")"
check "sluice: every command in COMMANDS exists" "$(missing "$doc" "$cmds")"
check "sluice: every command word is in COMMANDS or the SYNOPSIS" \
	"$(missing "$(kw commands)" "$(echo "$doc" | cut -d' ' -f1; words "$page" SYNOPSIS)")"

# The words of the commands: subcommands, modes, policies, options; each
# in the entry of its command.
for c in "attach mode" policy stats metrics "test-run hook" \
	"capture --verdict --reason" flowspec; do
	# shellcheck disable=SC2086 # a command and what its words lead to
	check "sluice: the entry of ${c%% *} has its keywords and options" \
		"$(missing "$(kw $c)" "$(words "$page" COMMANDS "" "" "${c%% *}")")"
done
table=$( (kw attach mode policy rule set stats metrics test-run hook capture \
	--verdict --reason flowspec
	echo "$cmds" | tr ' ' '\n') | sort -u)
check "sluice: every keyword and option of an entry of COMMANDS exists" \
	"$(missing "$(words "$page" COMMANDS "" tag)" "$table")"
check "sluice: the SYNOPSIS names no option or command that does not exist" \
	"$(missing "$(words "$page" SYNOPSIS)" "$(kw options commands test-run hook)")"

# Matches and actions, and the grammar that sums them up.
table=$(kw match proto tcp-flag fragment-flag)
check "sluice: every match keyword and its words are in Matches" \
	"$(missing "$table" "$(words "$page" MATCHING Matches)")"
check "sluice: every keyword of an entry of Matches exists" \
	"$(missing "$(words "$page" MATCHING Matches tag)" "$table")"
table=$(kw action rate-limit per)
check "sluice: every action and its words are in Actions" \
	"$(missing "$table" "$(words "$page" MATCHING Actions)")"
check "sluice: every keyword of an entry of Actions exists" \
	"$(missing "$(words "$page" MATCHING Actions tag)" "$table")"
usage=$("$sluice" --help | awk '/^(MATCH|ACTION) / { on = 1 } /^[A-Z]/ && !/^(MATCH|ACTION) / { on = 0 } on' | tr -s ' \n' '  ')
doc=$(awk '/^\.SS Grammar/ { on = 1; next } on && /^\.EE/ { exit } on && !/^\./' "$page" | sed 's/\\-/-/g' | tr -s ' \n' '  ')
check "sluice: the Grammar of MATCHING is the usage's" \
	"$([ "$usage" = "$doc" ] || printf 'usage: %s\npage:  %s' "$usage" "$doc")"

# sluiced: its options, in the synopsis and in OPTIONS.
page=$man/sluiced.8
opts=$("$sluiced" -h | awk '/^  -[a-z] / { print $1 }' | sort -u)
doc=$( (words "$page" OPTIONS "" tag; words "$page" SYNOPSIS) | sort -u)
check "sluiced: every option is in the SYNOPSIS and OPTIONS" \
	"$(missing "$opts" "$(words "$page" OPTIONS "" tag)"
	missing "$opts" "$(words "$page" SYNOPSIS)")"
check "sluiced: every option the page documents exists" "$(missing "$doc" "$opts")"

[ "$failed" -eq 0 ]
