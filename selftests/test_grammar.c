/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command grammar and the configuration loader: good lines with every
 * parsed field checked, rules printed and parsed back, bad lines with
 * their exact messages, configuration and set files on disk.
 *
 * Tables are walked whole and every mismatch printed before the test
 * fails, so one run shows all the lines that went wrong, not the first.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "grammar.h"

static char tmpdir[64];

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Initialisers for the tables. */
#define P4(a, b, c, d, l)                           \
	{                                           \
		.kind = SL_ADDR_PREFIX, .prefix = { \
			.family = 4,                \
			.len = l,                   \
			.addr = { a, b, c, d },     \
		}                                   \
	}
#define P6(l, ...)                                  \
	{                                           \
		.kind = SL_ADDR_PREFIX, .prefix = { \
			.family = 6,                \
			.len = l,                   \
			.addr = { __VA_ARGS__ },    \
		}                                   \
	}
#define SET(n)                                \
	{                                     \
		.kind = SL_ADDR_SET, .set = n \
	}
#define RANGE(l, h)                               \
	{                                         \
		.present = true, .lo = l, .hi = h \
	}

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

struct good_rule {
	const char *line;
	const char *canon; /* what sl_rule_format prints; NULL: the line */
	struct sl_rule want;
};

static const struct good_rule good_rules[] = {
	{ "rule add 10 drop", NULL, { .prio = 10, .action = SLUICE_ACT_DROP } },
	{ "rule add 1 in eth0 src 10.0.0.0/8 dst 192.168.1.0/24 proto tcp sport 1024-65535 dport 22 tcp-flags syn,!ack drop",
	  NULL,
	  { .prio = 1,
	    .in = "eth0",
	    .src = P4(10, 0, 0, 0, 8),
	    .dst = P4(192, 168, 1, 0, 24),
	    .has_proto = true,
	    .proto = 6,
	    .sport = RANGE(1024, 65535),
	    .dport = RANGE(22, 22),
	    .tcp_mask = TCP_SYN | TCP_ACK,
	    .tcp_value = TCP_SYN,
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 65535 src 2001:DB8::/32 proto udp dport 53 pass",
	  "rule add 65535 src 2001:db8::/32 proto udp dport 53 pass",
	  { .prio = 65535,
	    .src = P6(32, 0x20, 0x01, 0x0d, 0xb8),
	    .has_proto = true,
	    .proto = 17,
	    .dport = RANGE(53, 53),
	    .action = SLUICE_ACT_PASS } },
	{ "rule add 20 src @block drop",
	  NULL,
	  { .prio = 20, .src = SET("block"), .action = SLUICE_ACT_DROP } },
	{ "rule add 30 dst @allow.v4-x_1 proto icmp icmp-type 8 pass",
	  NULL,
	  { .prio = 30,
	    .dst = SET("allow.v4-x_1"),
	    .has_proto = true,
	    .proto = 1,
	    .has_icmp_type = true,
	    .icmp_type = 8,
	    .action = SLUICE_ACT_PASS } },
	{ "rule add 40 proto 47 vlan 4095 forward",
	  NULL,
	  { .prio = 40,
	    .has_proto = true,
	    .proto = 47,
	    .has_vlan = true,
	    .vlan = 4095,
	    .action = SLUICE_ACT_FORWARD } },
	{ "rule add 41 proto 6 tcp-flags cwr,ece,urg,ack,psh,rst,syn,fin drop",
	  "rule add 41 proto tcp tcp-flags fin,syn,rst,psh,ack,urg,ece,cwr drop",
	  { .prio = 41,
	    .has_proto = true,
	    .proto = 6,
	    .tcp_mask = 0xff,
	    .tcp_value = 0xff,
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 42 tcp-flags !ack,syn,!rst drop",
	  "rule add 42 tcp-flags syn,!rst,!ack drop",
	  { .prio = 42,
	    .tcp_mask = TCP_SYN | TCP_RST | TCP_ACK,
	    .tcp_value = TCP_SYN,
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 43 tcp-flags !syn drop",
	  NULL,
	  { .prio = 43,
	    .tcp_mask = TCP_SYN,
	    .tcp_value = 0,
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 50 in veth-abc.100 redirect tap0",
	  NULL,
	  { .prio = 50,
	    .in = "veth-abc.100",
	    .action = SLUICE_ACT_REDIRECT,
	    .redirect = "tap0" } },
	{ "rule add 51 in eth0123456789ab redirect eth0123456789ab",
	  NULL,
	  { .prio = 51,
	    .in = "eth0123456789ab",
	    .action = SLUICE_ACT_REDIRECT,
	    .redirect = "eth0123456789ab" } },
	{ "rule add 60 steer",
	  NULL,
	  { .prio = 60, .action = SLUICE_ACT_STEER, .steer_cpus = 0 } },
	{ "rule add 61 steer 63,0,3",
	  "rule add 61 steer 0,3,63",
	  { .prio = 61,
	    .action = SLUICE_ACT_STEER,
	    .steer_cpus = (1ULL << 63) | (1ULL << 3) | 1 } },
	{ "rule add 70 rate-limit 1000",
	  NULL,
	  { .prio = 70,
	    .action = SLUICE_ACT_RATE_LIMIT,
	    .rl_rate = 1000,
	    .rl_burst = 1000 } },
	{ "rule add 71 src 10.0.0.0/8 rate-limit 100/500 per src",
	  NULL,
	  { .prio = 71,
	    .src = P4(10, 0, 0, 0, 8),
	    .action = SLUICE_ACT_RATE_LIMIT,
	    .rl_rate = 100,
	    .rl_burst = 500,
	    .rl_per = SL_RL_PER_SRC,
	    .rl_per_len = SL_RL_PER_ADDR } },
	{ "rule add 72 rate-limit 4294967295/1 per src/24",
	  NULL,
	  { .prio = 72,
	    .action = SLUICE_ACT_RATE_LIMIT,
	    .rl_rate = 4294967295u,
	    .rl_burst = 1,
	    .rl_per = SL_RL_PER_SRC,
	    .rl_per_len = 24 } },
	{ "rule add 73 rate-limit 100/100 per src/128",
	  "rule add 73 rate-limit 100 per src",
	  { .prio = 73,
	    .action = SLUICE_ACT_RATE_LIMIT,
	    .rl_rate = 100,
	    .rl_burst = 100,
	    .rl_per = SL_RL_PER_SRC,
	    .rl_per_len = 128 } },
	/* Bits per second in tc's units; the burst, in bytes, a second's. */
	{ "rule add 74 rate-limit 8mbit",
	  NULL,
	  { .prio = 74,
	    .action = SLUICE_ACT_RATE_LIMIT,
	    .rl_rate = 8000000,
	    .rl_bytes = true,
	    .rl_burst = 1000000 } },
	{ "rule add 75 proto udp rate-limit 1.5MBit/64kb per dst/64",
	  "rule add 75 proto udp rate-limit 1500kbit/64kb per dst/64",
	  { .prio = 75,
	    .has_proto = true,
	    .proto = 17,
	    .action = SLUICE_ACT_RATE_LIMIT,
	    .rl_rate = 1500000,
	    .rl_bytes = true,
	    .rl_burst = 65536,
	    .rl_per = SL_RL_PER_DST,
	    .rl_per_len = 64 } },
	{ "rule add 76 rate-limit 1gibit/1500 per dst",
	  "rule add 76 rate-limit 1073741824bit/1500b per dst",
	  { .prio = 76,
	    .action = SLUICE_ACT_RATE_LIMIT,
	    .rl_rate = 1073741824ULL,
	    .rl_bytes = true,
	    .rl_burst = 1500,
	    .rl_per = SL_RL_PER_DST,
	    .rl_per_len = 128 } },
	/* tc's bytes per second, and a size in bits: 100 kB/s, 2 Mbit. */
	{ "rule add 77 rate-limit 100kbps/2mbit",
	  "rule add 77 rate-limit 800kbit/256kb",
	  { .prio = 77,
	    .action = SLUICE_ACT_RATE_LIMIT,
	    .rl_rate = 800000,
	    .rl_bytes = true,
	    .rl_burst = 262144 } },
	{ "rule add 78 rate-limit 100bit",
	  "rule add 78 rate-limit 100bit",
	  { .prio = 78,
	    .action = SLUICE_ACT_RATE_LIMIT,
	    .rl_rate = 100,
	    .rl_bytes = true,
	    .rl_burst = 1500 } },
	{ "rule add 79 src 2001:db8::/32 rate-limit 10gbit/1mb per src/64",
	  NULL,
	  { .prio = 79,
	    .src = P6(32, 0x20, 0x01, 0x0d, 0xb8),
	    .action = SLUICE_ACT_RATE_LIMIT,
	    .rl_rate = 10000000000ULL,
	    .rl_bytes = true,
	    .rl_burst = 1 << 20,
	    .rl_per = SL_RL_PER_SRC,
	    .rl_per_len = 64 } },
	{ "rule add 80 sport 0 dport 0-65535 drop",
	  NULL,
	  { .prio = 80,
	    .sport = RANGE(0, 0),
	    .dport = RANGE(0, 65535),
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 81 src 10.0.0.1 drop",
	  "rule add 81 src 10.0.0.1/32 drop",
	  { .prio = 81,
	    .src = P4(10, 0, 0, 1, 32),
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 82 src ::/0 dst ::1 drop",
	  "rule add 82 src ::/0 dst ::1/128 drop",
	  { .prio = 82,
	    .src = P6(0, 0),
	    .dst = P6(128, [15] = 1),
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 83 icmp-type 0 proto icmpv6 pass",
	  "rule add 83 proto icmpv6 icmp-type 0 pass",
	  { .prio = 83,
	    .has_proto = true,
	    .proto = 58,
	    .has_icmp_type = true,
	    .icmp_type = 0,
	    .action = SLUICE_ACT_PASS } },
	{ "rule add 84 src @a dst 2001:db8::/32 drop",
	  NULL,
	  { .prio = 84,
	    .src = SET("a"),
	    .dst = P6(32, 0x20, 0x01, 0x0d, 0xb8),
	    .action = SLUICE_ACT_DROP } },
	{ "  rule   add\t85 dport 80-80 drop   # a comment",
	  "rule add 85 dport 80 drop",
	  { .prio = 85, .dport = RANGE(80, 80), .action = SLUICE_ACT_DROP } },
	{ "rule add 86 proto 0 drop",
	  NULL,
	  { .prio = 86,
	    .has_proto = true,
	    .proto = 0,
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 007 sport 08080 drop",
	  "rule add 7 sport 8080 drop",
	  { .prio = 7, .sport = RANGE(8080, 8080), .action = SLUICE_ACT_DROP } },
	{ "rule add 87 src 0.0.0.0/0 icmp-type 255 vlan 0 drop",
	  NULL,
	  { .prio = 87,
	    .src = P4(0, 0, 0, 0, 0),
	    .has_icmp_type = true,
	    .icmp_type = 255,
	    .has_vlan = true,
	    .vlan = 0,
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 88 proto icmp icmp-type 3 icmp-code 4 drop",
	  NULL,
	  { .prio = 88,
	    .has_proto = true,
	    .proto = 1,
	    .has_icmp_type = true,
	    .icmp_type = 3,
	    .has_icmp_code = true,
	    .icmp_code = 4,
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 89 icmp-code 255 drop",
	  NULL,
	  { .prio = 89,
	    .has_icmp_code = true,
	    .icmp_code = 255,
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 90 dscp 46 length 0-1500 pass",
	  NULL,
	  { .prio = 90,
	    .has_dscp = true,
	    .dscp = 46,
	    .has_length = true,
	    .length_lo = 0,
	    .length_hi = 1500,
	    .action = SLUICE_ACT_PASS } },
	{ "rule add 91 length 65575 dscp 0 drop",
	  "rule add 91 dscp 0 length 65575 drop",
	  { .prio = 91,
	    .has_dscp = true,
	    .dscp = 0,
	    .has_length = true,
	    .length_lo = 65575,
	    .length_hi = 65575,
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 92 fragment last,!dont-fragment,is-fragment,!first drop",
	  "rule add 92 fragment !dont-fragment,is-fragment,!first,last drop",
	  { .prio = 92,
	    .frag_mask = 0x0f,
	    .frag_value = SLUICE_FRAG_IS | SLUICE_FRAG_LAST,
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 93 src 10.0.0.0/8 fragment dont-fragment drop",
	  NULL,
	  { .prio = 93,
	    .src = P4(10, 0, 0, 0, 8),
	    .frag_mask = SLUICE_FRAG_DF,
	    .frag_value = SLUICE_FRAG_DF,
	    .action = SLUICE_ACT_DROP } },
	{ "rule add 94 src 2001:db8::/32 fragment !dont-fragment drop",
	  NULL,
	  { .prio = 94,
	    .src = P6(32, 0x20, 0x01, 0x0d, 0xb8),
	    .frag_mask = SLUICE_FRAG_DF,
	    .frag_value = 0,
	    .action = SLUICE_ACT_DROP } },
};

/* Returns the first field that differs, or NULL. */
static const char *rule_diff(const struct sl_rule *a, const struct sl_rule *b)
{
#define F(f)              \
	if (a->f != b->f) \
		return #f;
#define S(f)                    \
	if (strcmp(a->f, b->f)) \
		return #f;
#define M(f)                                    \
	if (memcmp(&a->f, &b->f, sizeof(a->f))) \
		return #f;
	F(prio)
	S(in)
	F(src.kind)
	M(src.prefix)
	S(src.set)
	F(dst.kind)
	M(dst.prefix)
	S(dst.set)
	F(has_proto)
	F(proto)
	F(sport.present)
	F(sport.lo)
	F(sport.hi)
	F(dport.present)
	F(dport.lo)
	F(dport.hi)
	F(tcp_mask)
	F(tcp_value)
	F(has_icmp_type)
	F(icmp_type)
	F(has_icmp_code)
	F(icmp_code)
	F(has_vlan)
	F(vlan)
	F(has_dscp)
	F(dscp)
	F(frag_mask)
	F(frag_value)
	F(has_length)
	F(length_lo)
	F(length_hi)
	F(action)
	S(redirect)
	F(steer_cpus)
	F(rl_rate)
	F(rl_burst)
	F(rl_bytes)
	F(rl_per)
	F(rl_per_len)
	return NULL;
#undef F
#undef S
#undef M
}

static void test_good_rules(void **state)
{
	char err[SL_ERR_LEN], buf[SL_RULE_FMT_LEN];
	struct sl_cmd cmd, again;
	int bad = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good_rules); i++) {
		const struct good_rule *g = &good_rules[i];
		const char *canon = g->canon ? g->canon : g->line;
		const char *d;

		err[0] = '\0';
		if (sl_cmd_parse_line(g->line, &cmd, err, sizeof(err))) {
			print_error("\"%s\": error \"%s\"\n", g->line, err);
			bad++;
			continue;
		}
		if (cmd.kind != SL_CMD_RULE_ADD) {
			print_error("\"%s\": kind %d\n", g->line, cmd.kind);
			bad++;
			continue;
		}
		d = rule_diff(&cmd.rule, &g->want);
		if (d) {
			print_error("\"%s\": field %s differs\n", g->line, d);
			bad++;
		}
		sl_rule_format(&cmd.rule, buf, sizeof(buf));
		if (strcmp(buf, canon)) {
			print_error("\"%s\": printed \"%s\", want \"%s\"\n",
				    g->line, buf, canon);
			bad++;
		}
		/* parse(format(r)) == r, to the byte. */
		if (sl_cmd_parse_line(buf, &again, err, sizeof(err))) {
			print_error("\"%s\": reparse error \"%s\"\n", buf, err);
			bad++;
		} else if (memcmp(&again.rule, &cmd.rule, sizeof(cmd.rule))) {
			print_error("\"%s\": reparse differs\n", buf);
			bad++;
		}
		sl_cmd_free(&cmd);
		sl_cmd_free(&again);
	}
	assert_int_equal(bad, 0);
}

/* rule_diff() sees a difference, so a wrong parse fails test_good_rules. */
static void test_table_sanity(void **state)
{
	struct sl_cmd cmd;
	char err[SL_ERR_LEN];

	assert_int_equal(sl_cmd_parse_line("rule add 9 pass", &cmd, err,
					   sizeof(err)),
			 0);
	assert_non_null(rule_diff(&cmd.rule, &good_rules[0].want));
	assert_string_equal(rule_diff(&cmd.rule, &good_rules[0].want), "prio");
	cmd.rule.prio = 10;
	assert_string_equal(rule_diff(&cmd.rule, &good_rules[0].want),
			    "action");
}

struct good_cmd {
	const char *line;
	enum sl_cmd_kind kind;
	const char *ifname;
	enum sl_attach_mode mode;
	uint8_t policy;
	uint16_t prio;
	const char *set;
	size_t nprefixes;
	const char *path;
	bool watch;
	bool per_cpu;
};

static const struct good_cmd good_cmds[] = {
	{ "", SL_CMD_NONE },
	{ "   \t ", SL_CMD_NONE },
	{ "# attach eth0", SL_CMD_NONE },
	{ "  # comment", SL_CMD_NONE },
	{ "attach eth0", SL_CMD_ATTACH, "eth0", SL_MODE_AUTO },
	{ "attach eth0 mode auto", SL_CMD_ATTACH, "eth0", SL_MODE_AUTO },
	{ "attach eth0 mode native", SL_CMD_ATTACH, "eth0", SL_MODE_NATIVE },
	{ "attach veth1 mode generic", SL_CMD_ATTACH, "veth1",
	  SL_MODE_GENERIC },
	{ "attach tap0 mode tc # c", SL_CMD_ATTACH, "tap0", SL_MODE_TC },
	{ "detach eth0", SL_CMD_DETACH, "eth0" },
	{ "policy eth0 pass", SL_CMD_POLICY, "eth0",
	  .policy = SLUICE_ACT_PASS },
	{ "policy eth0 drop", SL_CMD_POLICY, "eth0",
	  .policy = SLUICE_ACT_DROP },
	{ "policy br-lan forward", SL_CMD_POLICY, "br-lan",
	  .policy = SLUICE_ACT_FORWARD },
	{ "rule del 10", SL_CMD_RULE_DEL, .prio = 10 },
	{ "rule del 65535", SL_CMD_RULE_DEL, .prio = 65535 },
	{ "rule list", SL_CMD_RULE_LIST },
	{ "set add block 10.0.0.0/8 2001:db8::/32 1.2.3.4", SL_CMD_SET_ADD,
	  .set = "block", .nprefixes = 3 },
	{ "set add empty", SL_CMD_SET_ADD, .set = "empty" },
	{ "set del block 10.0.0.0/8", SL_CMD_SET_DEL, .set = "block",
	  .nprefixes = 1 },
	{ "set load block /etc/sluice/block.txt", SL_CMD_SET_LOAD,
	  .set = "block", .path = "/etc/sluice/block.txt" },
	{ "set load b a#b.txt", SL_CMD_SET_LOAD, .set = "b",
	  .path = "a#b.txt" },
	{ "set load b a.txt #b.txt", SL_CMD_SET_LOAD, .set = "b",
	  .path = "a.txt" },
	{ "set flush block", SL_CMD_SET_FLUSH, .set = "block" },
	{ "set list", SL_CMD_SET_LIST, .set = "" },
	{ "set list block", SL_CMD_SET_LIST, .set = "block" },
	{ "stats", SL_CMD_STATS, "" },
	{ "stats -w", SL_CMD_STATS, "", .watch = true },
	{ "stats eth0", SL_CMD_STATS, "eth0" },
	{ "stats eth0 -w", SL_CMD_STATS, "eth0", .watch = true },
	{ "stats -w eth0", SL_CMD_STATS, "eth0", .watch = true },
	{ "stats --per-cpu", SL_CMD_STATS, "", .per_cpu = true },
	{ "stats -w --per-cpu eth0", SL_CMD_STATS, "eth0", .watch = true,
	  .per_cpu = true },
	{ "status", SL_CMD_STATUS },
	{ "metrics", SL_CMD_METRICS },
	{ "metrics --per-cpu", SL_CMD_METRICS, .per_cpu = true },
	{ "reload", SL_CMD_RELOAD },
};

static void test_good_cmds(void **state)
{
	char err[SL_ERR_LEN];
	struct sl_cmd cmd;
	int bad = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(good_cmds); i++) {
		const struct good_cmd *g = &good_cmds[i];
		const char *what = NULL;

		err[0] = '\0';
		if (sl_cmd_parse_line(g->line, &cmd, err, sizeof(err))) {
			print_error("\"%s\": error \"%s\"\n", g->line, err);
			bad++;
			continue;
		}
		if (cmd.kind != g->kind)
			what = "kind";
		else if (strcmp(cmd.ifname, g->ifname ? g->ifname : ""))
			what = "ifname";
		else if (cmd.mode != g->mode)
			what = "mode";
		else if (cmd.policy != g->policy)
			what = "policy";
		else if (cmd.rule.prio != g->prio)
			what = "prio";
		else if (strcmp(cmd.set, g->set ? g->set : ""))
			what = "set";
		else if (cmd.prefixes.n != g->nprefixes)
			what = "prefixes";
		else if (strcmp(cmd.path, g->path ? g->path : ""))
			what = "path";
		else if (cmd.watch != g->watch)
			what = "watch";
		else if (cmd.per_cpu != g->per_cpu)
			what = "per_cpu";
		if (what) {
			print_error("\"%s\": field %s differs\n", g->line,
				    what);
			bad++;
		}
		sl_cmd_free(&cmd);
	}
	assert_int_equal(bad, 0);
}

struct bad_line {
	const char *line;
	const char *err;
};

static const struct bad_line bad_lines[] = {
	{ "frob", "unknown command \"frob\"" },
	{ "rule", "\"rule\" needs add, del, list or replace-range" },
	{ "rule frob", "unknown rule command \"frob\"" },
	{ "rule replace-range 1 2",
	  "\"rule replace-range\" needs LO, HI and a file" },
	{ "rule replace-range 9 2 f", "bad priority range 9-2" },
	{ "rule replace-range 0 2 f", "priority \"0\" out of range 1..65535" },
	{ "rule replace-range 1 2 f g", "unexpected \"g\"" },
	{ "rule add", "\"rule add\" needs a priority" },
	{ "rule add drop", "bad priority \"drop\"" },
	{ "rule add 0 drop", "priority \"0\" out of range 1..65535" },
	{ "rule add 65536 drop", "priority \"65536\" out of range 1..65535" },
	{ "rule add 99999999999999999999999 drop",
	  "priority \"99999999999999999999999\" out of range 1..65535" },
	{ "rule add -1 drop", "bad priority \"-1\"" },
	{ "rule add +1 drop", "bad priority \"+1\"" },
	{ "rule add 1x drop", "bad priority \"1x\"" },
	{ "rule add 0x10 drop", "bad priority \"0x10\"" },
	{ "rule add 10", "rule needs an action" },
	{ "rule add 10 src 10.0.0.0/8", "rule needs an action" },
	{ "rule add 10 foo 1 drop", "unknown match \"foo\"" },
	{ "rule add 10 drop src 10.0.0.0/8",
	  "unexpected \"src\" after the action" },
	{ "rule add 10 drop pass", "unexpected \"pass\" after the action" },
	{ "rule add 10 sport 80 sport 81 drop", "\"sport\" given twice" },
	{ "rule add 10 src 1.0.0.0/8 dst 2.0.0.0/8 src @x drop",
	  "\"src\" given twice" },
	{ "rule add 10 vlan 1 vlan 1 drop", "\"vlan\" given twice" },
	{ "rule add 10 sport", "\"sport\" needs a value" },
	{ "rule add 10 in", "\"in\" needs a value" },
	{ "rule add 10 src 10.0.0.300/8 drop", "bad prefix \"10.0.0.300/8\"" },
	{ "rule add 10 src 10.0.0.1/8 drop",
	  "prefix \"10.0.0.1/8\" has host bits set" },
	{ "rule add 10 dst 2001:db8::1/32 drop",
	  "prefix \"2001:db8::1/32\" has host bits set" },
	{ "rule add 10 src 10.0.0.0/33 drop", "bad prefix \"10.0.0.0/33\"" },
	{ "rule add 10 src ::ffff:10.0.0.1 drop",
	  "prefix \"::ffff:10.0.0.1\" is IPv4-mapped IPv6, which no packet carries: write 10.0.0.1/32" },
	{ "rule add 10 dst ::ffff:10.0.0.0/104 drop",
	  "prefix \"::ffff:10.0.0.0/104\" is IPv4-mapped IPv6, which no packet carries: write 10.0.0.0/8" },
	{ "set add s ::ffff:0:0/96",
	  "prefix \"::ffff:0:0/96\" is IPv4-mapped IPv6, which no packet carries: write 0.0.0.0/0" },
	{ "rule add 10 src 2001:db8::/129 drop",
	  "bad prefix \"2001:db8::/129\"" },
	{ "rule add 10 src 10.0.0.0/ drop", "bad prefix \"10.0.0.0/\"" },
	{ "rule add 10 src 10.0.0.0/+8 drop", "bad prefix \"10.0.0.0/+8\"" },
	{ "rule add 10 src 10.0.0.0/8x drop", "bad prefix \"10.0.0.0/8x\"" },
	{ "rule add 10 src /8 drop", "bad prefix \"/8\"" },
	{ "rule add 10 src 10.0.0 drop", "bad prefix \"10.0.0\"" },
	{ "rule add 10 src fe80::1%eth0 drop", "bad prefix \"fe80::1%eth0\"" },
	{ "rule add 10 src 10.0.0.0/8 dst 2001:db8::/32 drop",
	  "src \"10.0.0.0/8\" and dst \"2001:db8::/32\" are of different families" },
	{ "rule add 10 proto icmp sport 80 drop",
	  "\"sport\" needs proto tcp or udp" },
	{ "rule add 10 dport 80 proto 47 drop",
	  "\"dport\" needs proto tcp or udp" },
	{ "rule add 10 proto udp tcp-flags syn drop",
	  "\"tcp-flags\" needs proto tcp" },
	{ "rule add 10 proto tcp icmp-type 8 drop",
	  "\"icmp-type\" needs proto icmp or icmpv6" },
	{ "rule add 10 dport 90-80 drop", "bad port range \"90-80\"" },
	{ "rule add 10 dport 70000 drop",
	  "port \"70000\" out of range 0..65535" },
	{ "rule add 10 sport 1-65536 drop",
	  "port \"65536\" out of range 0..65535" },
	{ "rule add 10 dport 80- drop", "bad port \"80-\"" },
	{ "rule add 10 dport -80 drop", "bad port \"-80\"" },
	{ "rule add 10 dport 1-2-3 drop", "bad port \"1-2-3\"" },
	{ "rule add 10 dport x drop", "bad port \"x\"" },
	{ "rule add 10 proto 256 drop",
	  "protocol \"256\" out of range 0..255" },
	{ "rule add 10 proto sctp drop", "bad protocol \"sctp\"" },
	{ "rule add 10 proto TCP drop", "bad protocol \"TCP\"" },
	{ "rule add 10 tcp-flags syn,foo drop", "bad tcp flags \"syn,foo\"" },
	{ "rule add 10 tcp-flags syn,,ack drop", "bad tcp flags \"syn,,ack\"" },
	{ "rule add 10 tcp-flags syn, drop", "bad tcp flags \"syn,\"" },
	{ "rule add 10 tcp-flags ! drop", "bad tcp flags \"!\"" },
	{ "rule add 10 tcp-flags syn,!syn drop",
	  "tcp flag \"syn\" given twice in \"syn,!syn\"" },
	{ "rule add 10 icmp-type 256 drop",
	  "icmp type \"256\" out of range 0..255" },
	{ "rule add 10 icmp-type echo drop", "bad icmp type \"echo\"" },
	{ "rule add 10 vlan 4096 drop", "vlan \"4096\" out of range 0..4095" },
	{ "rule add 10 icmp-code 256 drop",
	  "icmp code \"256\" out of range 0..255" },
	{ "rule add 10 icmp-code x drop", "bad icmp code \"x\"" },
	{ "rule add 10 proto udp icmp-code 0 drop",
	  "\"icmp-code\" needs proto icmp or icmpv6" },
	{ "rule add 10 dscp 64 drop", "dscp \"64\" out of range 0..63" },
	{ "rule add 10 dscp ef drop", "bad dscp \"ef\"" },
	{ "rule add 10 length 65576 drop",
	  "length \"65576\" out of range 0..65575" },
	{ "rule add 10 length 100-65576 drop",
	  "length \"100-65576\" out of range 0..65575" },
	{ "rule add 10 length 200-100 drop", "bad length \"200-100\"" },
	{ "rule add 10 length 100- drop", "bad length \"100-\"" },
	{ "rule add 10 length -100 drop", "bad length \"-100\"" },
	{ "rule add 10 length 12345678901234567890 drop",
	  "bad length \"12345678901234567890\"" },
	{ "rule add 10 fragment first,foo drop",
	  "bad fragment flags \"first,foo\"" },
	{ "rule add 10 fragment first,!first drop",
	  "fragment flag \"first\" given twice in \"first,!first\"" },
	{ "rule add 10 fragment syn drop", "bad fragment flags \"syn\"" },
	{ "rule add 10 dst 2001:db8::/32 fragment dont-fragment drop",
	  "\"dont-fragment\" is an IPv4 flag: no IPv6 packet has it" },
	{ "rule add 10 dscp 1 dscp 1 drop", "\"dscp\" given twice" },
	{ "rule add 10 vlan -1 drop", "bad vlan \"-1\"" },
	{ "rule add 10 in eth0123456789abc drop",
	  "interface name \"eth0123456789abc\" too long" },
	{ "rule add 10 in eth0:1 drop", "bad interface name \"eth0:1\"" },
	{ "rule add 10 in .. drop", "bad interface name \"..\"" },
	{ "rule add 10 src @bad/name drop", "bad set name \"bad/name\"" },
	{ "rule add 10 src @ drop", "bad set name \"\"" },
	{ "rule add 10 dst @abcdefghijabcdefghijabcdefghij12 drop",
	  "set name \"abcdefghijabcdefghijabcdefghij12\" too long" },
	{ "rule add 10 redirect", "\"redirect\" needs an interface" },
	{ "rule add 10 redirect a/b", "bad interface name \"a/b\"" },
	{ "rule add 10 steer 64", "cpu \"64\" out of range 0..63" },
	{ "rule add 10 steer 1,1", "cpu \"1\" given twice" },
	{ "rule add 10 steer 1,", "bad cpu list \"1,\"" },
	{ "rule add 10 steer all", "bad cpu list \"all\"" },
	{ "rule add 10 steer 1 2", "unexpected \"2\" after the action" },
	{ "rule add 10 rate-limit", "\"rate-limit\" needs a rate" },
	{ "rule add 10 rate-limit 0", "rate \"0\" out of range 1..4294967295" },
	{ "rule add 10 rate-limit 4294967296",
	  "rate \"4294967296\" out of range 1..4294967295" },
	{ "rule add 10 rate-limit fast", "bad rate \"fast\"" },
	{ "rule add 10 rate-limit 10furlongs", "bad rate \"10furlongs\"" },
	{ "rule add 10 rate-limit 1.5", "rate \"1.5\": packets come whole" },
	{ "rule add 10 rate-limit .5mbit", "bad rate \".5mbit\"" },
	{ "rule add 10 rate-limit 0bit",
	  "rate \"0bit\" out of range 1bit..1125899906842623bit" },
	{ "rule add 10 rate-limit 2000tbit",
	  "rate \"2000tbit\" out of range 1bit..1125899906842623bit" },
	{ "rule add 10 rate-limit 100/0",
	  "burst \"0\" out of range 1..4294967295" },
	{ "rule add 10 rate-limit 100/x", "bad burst \"100/x\"" },
	{ "rule add 10 rate-limit 100/64kb",
	  "burst \"64kb\" is in bytes, the rate in packets/s" },
	{ "rule add 10 rate-limit 1mbit/100b",
	  "burst \"100b\" out of range 1500b..4294967295b" },
	{ "rule add 10 rate-limit 1mbit/8gb",
	  "burst \"8gb\" out of range 1500b..4294967295b" },
	{ "rule add 10 rate-limit 1mbit/2furlongs",
	  "bad burst \"1mbit/2furlongs\"" },
	{ "rule add 10 rate-limit 100 per",
	  "\"per\" needs src, src/LEN, dst or dst/LEN" },
	{ "rule add 10 rate-limit 100 per flow",
	  "bad rate-limit key \"flow\"" },
	{ "rule add 10 rate-limit 100 per srcx",
	  "bad rate-limit key \"srcx\"" },
	{ "rule add 10 rate-limit 100 per src/x",
	  "bad rate-limit key \"src/x\"" },
	{ "rule add 10 rate-limit 100 per src/129",
	  "prefix length \"129\" out of range 1..128" },
	{ "rule add 10 rate-limit 100 per dst/0",
	  "prefix length \"0\" out of range 1..128" },
	{ "rule add 10 rate-limit 100 per src x",
	  "unexpected \"x\" after the action" },
	{ "rule add 10 src 10.0.0.0/8 rate-limit 100 per src/64",
	  "\"per src/64\" is longer than the IPv4 addresses the rule matches" },
	{ "rule del", "\"rule del\" needs a priority" },
	{ "rule del 0", "priority \"0\" out of range 1..65535" },
	{ "rule del 10 extra", "unexpected \"extra\"" },
	{ "rule list extra", "unexpected \"extra\"" },
	{ "attach", "\"attach\" needs an interface" },
	{ "attach eth0 mode", "\"mode\" needs a value" },
	{ "attach eth0 mode fast", "bad mode \"fast\"" },
	{ "attach eth0 native", "unexpected \"native\"" },
	{ "attach eth0 mode tc extra", "unexpected \"extra\"" },
	{ "attach averyveryverylongname",
	  "interface name \"averyveryverylongname\" too long" },
	{ "detach", "\"detach\" needs an interface" },
	{ "detach eth0 eth1", "unexpected \"eth1\"" },
	{ "policy", "\"policy\" needs an interface" },
	{ "policy eth0", "\"policy\" needs pass, drop or forward" },
	{ "policy eth0 redirect", "bad policy \"redirect\"" },
	{ "policy eth0 drop now", "unexpected \"now\"" },
	{ "set", "\"set\" needs add, del, load, flush or list" },
	{ "set frob x", "unknown set command \"frob\"" },
	{ "set add", "\"set add\" needs a set name" },
	{ "set add bad!name 10.0.0.0/8", "bad set name \"bad!name\"" },
	{ "set add s 10.0.0.0/8 10.0.0.1/8",
	  "prefix \"10.0.0.1/8\" has host bits set" },
	{ "set add s 10.0.0.0/8 nonsense", "bad prefix \"nonsense\"" },
	{ "set del s", "\"set del\" needs a prefix" },
	{ "set load", "\"set load\" needs a set name" },
	{ "set load s", "\"set load\" needs a file" },
	{ "set load s a b", "unexpected \"b\"" },
	{ "set flush", "\"set flush\" needs a set name" },
	{ "set flush s t", "unexpected \"t\"" },
	{ "set list a b", "unexpected \"b\"" },
	{ "stats -x", "unknown option \"-x\"" },
	{ "stats -w -w", "\"-w\" given twice" },
	{ "stats eth0 eth1", "unexpected \"eth1\"" },
	{ "status now", "unexpected \"now\"" },
	{ "metrics x", "unexpected \"x\"" },
	{ "metrics --per-cpu x", "unexpected \"x\"" },
	{ "metrics -w", "unexpected \"-w\"" },
	{ "reload x", "unexpected \"x\"" },
	{ "capture --verdict", "\"--verdict\" needs VERDICT" },
	{ "capture --verdict syn-proxy", "unknown verdict \"syn-proxy\"" },
	{ "capture --reason nope", "unknown reason \"nope\"" },
	{ "capture --rule 0", "bad rule \"0\": a priority 1..65535" },
	{ "capture --rule 10 --rule 20", "\"--rule\" given twice" },
	{ "capture -c 0", "bad count \"0\": a number above 0" },
	{ "capture -s 4097", "bad snap length \"4097\": 1..4096 bytes" },
	{ "capture --rate 0", "bad rate \"0\": 1..1000000 packets/s" },
	{ "capture -x", "unknown option \"-x\"" },
};

static void test_bad_lines(void **state)
{
	char err[SL_ERR_LEN];
	struct sl_cmd cmd;
	int bad = 0, ret;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_lines); i++) {
		const struct bad_line *b = &bad_lines[i];

		strcpy(err, "(no message)");
		ret = sl_cmd_parse_line(b->line, &cmd, err, sizeof(err));
		if (ret != -EINVAL) {
			print_error("\"%s\": returned %d\n", b->line, ret);
			bad++;
			if (!ret)
				sl_cmd_free(&cmd);
			continue;
		}
		if (strcmp(err, b->err)) {
			print_error("\"%s\": error \"%s\", want \"%s\"\n",
				    b->line, err, b->err);
			bad++;
		}
		/* Nothing is left to free after an error. */
		if (cmd.prefixes.v) {
			print_error("\"%s\": prefixes left allocated\n",
				    b->line);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

/* capture: options anywhere, the other words kept in order. */
static void test_capture(void **state)
{
	char *a[] = { "capture", "eth0",      "--verdict", "drop", "-c",
		      "5",	 "--verdict", "pass",	   "tcp",  "--reason",
		      "policy",	 "port",      "80",	   "-w",   "-",
		      "--rule",	 "10",	      "-s",	   "96",   "--rate",
		      "50" };
	char *b[] = { "capture" };
	char err[SL_ERR_LEN];
	struct sl_cmd cmd;

	assert_int_equal(sl_cmd_parse(ARRAY_SIZE(a), a, &cmd, err, sizeof(err)),
			 0);
	assert_int_equal(cmd.kind, SL_CMD_CAPTURE);
	assert_int_equal(cmd.capture.nwords, 4);
	assert_string_equal(cmd.capture.words[0], "eth0");
	assert_string_equal(cmd.capture.words[1], "tcp");
	assert_string_equal(cmd.capture.words[3], "80");
	assert_int_equal(cmd.capture.actions,
			 1U << SLUICE_ACT_DROP | 1U << SLUICE_ACT_PASS);
	assert_int_equal(cmd.capture.reasons, 1U << SLUICE_REASON_POLICY);
	assert_int_equal(cmd.capture.prio, 10);
	assert_int_equal(cmd.capture.count, 5);
	assert_int_equal(cmd.capture.snaplen, 96);
	assert_int_equal(cmd.capture.rate, 50);
	assert_true(cmd.capture.write);
	assert_string_equal(cmd.path, "-");
	sl_cmd_free(&cmd);

	assert_int_equal(sl_cmd_parse(1, b, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.capture.nwords, 0);
	assert_int_equal(cmd.capture.actions | cmd.capture.reasons |
				 cmd.capture.prio,
			 0);
	assert_int_equal(cmd.capture.snaplen, SLUICE_CAP_SNAP_MAX);
	assert_int_equal(cmd.capture.rate, SLUICE_CAP_RATE_DEFAULT);
	assert_false(cmd.capture.write);
	sl_cmd_free(&cmd);
}

/* Words with blanks can only come from argv, never from a line. */
static void test_argv(void **state)
{
	char *a1[] = { "attach", "eth 0" };
	char *a2[] = { "rule", "add", "5", "in", "", "drop" };
	char *a3[] = { "rule", "add", "5", "src", " 10.0.0.0/8", "drop" };
	char *a4[] = { "policy", "eth0", "drop" };
	char err[SL_ERR_LEN];
	struct sl_cmd cmd;

	assert_int_equal(sl_cmd_parse(2, a1, &cmd, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad interface name \"eth 0\"");
	assert_int_equal(sl_cmd_parse(6, a2, &cmd, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad interface name \"\"");
	assert_int_equal(sl_cmd_parse(6, a3, &cmd, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "bad prefix \" 10.0.0.0/8\"");
	assert_int_equal(sl_cmd_parse(0, a4, &cmd, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "missing command");
	assert_int_equal(sl_cmd_parse(3, a4, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.kind, SL_CMD_POLICY);
	assert_int_equal(cmd.policy, SLUICE_ACT_DROP);
	sl_cmd_free(&cmd);
}

static void test_names(void **state)
{
	static const char *const actions[] = {
		"pass",	 "drop",       "forward",   "redirect",
		"steer", "rate-limit", "syn-proxy",
	};
	static const char *const reasons[] = {
		"rule",		  "policy",	    "fragment",
		"truncated",	  "not-ip",	    "malformed",
		"parse-limit",	  "unsupported",    "ttl-exceeded",
		"no-route",	  "not-forwarded",  "no-neigh",
		"frag-needed",	  "no-egress",	    "not-for-us",
		"egress-mtu",	  "rate-limit",	    "syncookie-sent",
		"cookie-valid",	  "cookie-invalid", "no-listener",
		"cookie-refused", "egress-down",
	};
	unsigned int i;

	assert_int_equal(ARRAY_SIZE(actions), SLUICE_ACT__MAX);
	assert_int_equal(ARRAY_SIZE(reasons), SLUICE_REASON__MAX);
	for (i = 0; i < SLUICE_ACT__MAX; i++)
		assert_string_equal(sl_action_name(i), actions[i]);
	for (i = 0; i < SLUICE_REASON__MAX; i++)
		assert_string_equal(sl_reason_name(i), reasons[i]);
	assert_string_equal(sl_action_name(SLUICE_ACT_RATE_LIMIT),
			    "rate-limit");
	assert_string_equal(sl_reason_name(SLUICE_REASON_NOT_IP), "not-ip");
	assert_string_equal(sl_hook_name(SLUICE_HOOK_XDP), "xdp");
	assert_string_equal(sl_hook_name(SLUICE_HOOK_TC), "tc");
	assert_string_equal(sl_mode_name(SL_MODE_AUTO), "auto");
	assert_string_equal(sl_mode_name(SL_MODE_NATIVE), "native");
	assert_string_equal(sl_mode_name(SL_MODE_GENERIC), "generic");
	assert_string_equal(sl_mode_name(SL_MODE_TC), "tc");
	assert_string_equal(sl_action_name(SLUICE_ACT__MAX), "unknown");
	assert_string_equal(sl_reason_name(SLUICE_REASON__MAX), "unknown");
	assert_string_equal(sl_hook_name(SLUICE_HOOK__MAX), "unknown");
	assert_string_equal(sl_mode_name(SL_MODE_TC + 1), "unknown");
}

static void test_prefix(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "10.0.0.0/8", "10.0.0.0/8" },
		{ "192.0.2.1", "192.0.2.1/32" },
		{ "0.0.0.0/0", "0.0.0.0/0" },
		{ "2001:DB8:0:0::/64", "2001:db8::/64" },
		/* IPv4-mapped is refused (see the error cases); NAT64 is IPv6. */
		{ "64:ff9b::192.0.2.1", "64:ff9b::c000:201/128" },
		{ "::/80", "::/80" },
		{ "::/0", "::/0" },
		{ "255.255.255.255/32", "255.255.255.255/32" },
	};
	char err[SL_ERR_LEN], buf[SL_PREFIX_FMT_LEN];
	struct sl_prefix p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(
			sl_prefix_parse(cases[i].in, &p, err, sizeof(err)), 0);
		sl_prefix_format(&p, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].out);
	}
	assert_int_equal(sl_prefix_parse("10.1.3.0/23", &p, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "prefix \"10.1.3.0/23\" has host bits set");
	assert_int_equal(sl_prefix_parse("10.1.2.0/24", &p, err, sizeof(err)),
			 0);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.len, 24);
	assert_memory_equal(p.addr, ((uint8_t[16]){ 10, 1, 2 }), 16);
}

/* set add keeps every prefix, in order, and grows geometrically. */
static void test_set_add_many(void **state)
{
	enum { N = 100000 };
	char **argv = calloc(N + 3, sizeof(*argv));
	char *words = malloc((size_t)N * 20);
	char err[SL_ERR_LEN];
	struct sl_cmd cmd;
	size_t i;

	assert_non_null(argv);
	assert_non_null(words);
	argv[0] = "set";
	argv[1] = "add";
	argv[2] = "big";
	for (i = 0; i < N; i++) {
		argv[i + 3] = words + i * 20;
		snprintf(argv[i + 3], 20, "10.%zu.%zu.%zu/32", i >> 16,
			 (i >> 8) & 255, i & 255);
	}
	assert_int_equal(sl_cmd_parse(N + 3, argv, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.prefixes.n, N);
	assert_true(cmd.prefixes.cap >= N && cmd.prefixes.cap < 4 * N);
	assert_int_equal(cmd.prefixes.v[N - 1].addr[1], (N - 1) >> 16);
	assert_int_equal(cmd.prefixes.v[N - 1].addr[2], ((N - 1) >> 8) & 255);
	assert_int_equal(cmd.prefixes.v[N - 1].addr[3], (N - 1) & 255);
	assert_int_equal(cmd.prefixes.v[N - 1].len, 32);
	sl_cmd_free(&cmd);
	free(words);
	free(argv);
}

/* Growth is geometric: a million pushes reallocate a few dozen times. */
static void test_prefix_list_growth(void **state)
{
	struct sl_prefix_list l = { 0 };
	struct sl_prefix p = { .family = 4, .len = 32 };
	size_t i, cap = 0, grows = 0;

	for (i = 0; i < 1000000; i++) {
		p.addr[1] = i >> 16;
		p.addr[2] = i >> 8;
		p.addr[3] = i;
		assert_int_equal(sl_prefix_list_push(&l, &p), 0);
		if (l.cap != cap) {
			cap = l.cap;
			grows++;
		}
	}
	assert_int_equal(l.n, 1000000);
	assert_true(grows <= 40);
	assert_int_equal(l.v[999999].addr[3], 999999 & 255);
	/* Duplicates go, order is by address then length. */
	l.v[5] = l.v[7]; /* 0.0.0.7/32 twice, 0.0.0.5 gone */
	l.v[9].addr[3] = 8; /* 0.0.0.8/31 beside 0.0.0.8/32, 0.0.0.9 gone */
	l.v[9].len = 31;
	sl_prefix_list_uniq(&l);
	assert_int_equal(l.n, 999999);
	assert_int_equal(l.v[5].addr[3], 6);
	assert_int_equal(l.v[6].addr[3], 7);
	assert_int_equal(l.v[7].addr[3], 8);
	assert_int_equal(l.v[7].len, 31);
	assert_int_equal(l.v[8].addr[3], 8);
	assert_int_equal(l.v[8].len, 32);
	assert_int_equal(l.v[9].addr[3], 10);
	sl_prefix_list_free(&l);
	assert_null(l.v);
}

static void test_split(void **state)
{
	char line[4096], err[SL_ERR_LEN], **argv;
	struct sl_cmd cmd;
	size_t off = 0;
	int i, argc;

	argc = sl_line_split("  a\tbb  # c d", 13, &argv);
	assert_int_equal(argc, 2);
	assert_string_equal(argv[0], "a");
	assert_string_equal(argv[1], "bb");
	assert_null(argv[2]);
	free(argv);
	/* The length bounds the line: no NUL needed at the end. */
	argc = sl_line_split("set list xyz", 10, &argv);
	assert_int_equal(argc, 3);
	assert_string_equal(argv[2], "x");
	free(argv);

	/* Lines are not limited to any fixed length. */
	off += snprintf(line, sizeof(line), "set add s");
	for (i = 0; i < 200; i++)
		off += snprintf(line + off, sizeof(line) - off, " 10.0.%d.0/24",
				i);
	assert_true(off > 2000 && off < sizeof(line));
	assert_int_equal(sl_cmd_parse_line(line, &cmd, err, sizeof(err)), 0);
	assert_int_equal(cmd.prefixes.n, 200);
	assert_int_equal(cmd.prefixes.v[199].addr[2], 199);
	sl_cmd_free(&cmd);
}

/* Files for the configuration tests, under the group's mkdtemp dir. */
static void write_file(const char *name, const char *text, char *path,
		       size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static const char good_conf[] =
	"# sluice configuration\n"
	"policy eth1 forward   # named before it is attached\n"
	"attach eth0 mode native\n"
	"policy eth0 drop\n"
	"\n"
	"attach eth1\r\n"
	"rule add 20 src @block drop\n"
	"rule add 10 proto tcp dport 22 pass\n"
	"rule add 5 dst @allow pass\n"
	"set add block 10.0.0.0/8 192.168.0.0/16\n"
	"set add block 10.0.0.0/8\n"
	"set load block block.txt\n"
	"set add allow\n"
	"policy lo pass\n";

static const char block_txt[] = "# blocklist\n"
				"\n"
				"198.51.100.0/24\n"
				"  2001:db8::/32   # trailing comment\n"
				"192.168.0.0/16\r\n"
				"203.0.113.7\n";

static void test_config_good(void **state)
{
	char path[256], err[SL_ERR_LEN] = "";
	const struct sl_set_def *s;
	const struct sl_iface_def *d;
	struct sl_config cfg;
	char buf[SL_PREFIX_FMT_LEN];
	static const char *const want[] = {
		"10.0.0.0/8",	  "192.168.0.0/16", "198.51.100.0/24",
		"203.0.113.7/32", "2001:db8::/32",
	};
	size_t i;

	write_file("block.txt", block_txt, path, sizeof(path));
	write_file("good.conf", good_conf, path, sizeof(path));
	assert_int_equal(sl_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	assert_int_equal(cfg.nrules, 3);
	assert_int_equal(cfg.rules[0].prio, 5);
	assert_int_equal(cfg.rules[1].prio, 10);
	assert_int_equal(cfg.rules[2].prio, 20);
	assert_int_equal(cfg.rules[1].dport.lo, 22);
	assert_string_equal(cfg.rules[2].src.set, "block");

	assert_int_equal(cfg.nifaces, 3);
	assert_string_equal(cfg.ifaces[0].ifname, "eth1");
	assert_true(cfg.ifaces[0].attach);
	assert_int_equal(cfg.ifaces[0].mode, SL_MODE_AUTO);
	assert_int_equal(cfg.ifaces[0].policy, SLUICE_ACT_FORWARD);
	assert_string_equal(cfg.ifaces[1].ifname, "eth0");
	assert_true(cfg.ifaces[1].attach);
	assert_int_equal(cfg.ifaces[1].mode, SL_MODE_NATIVE);
	assert_int_equal(cfg.ifaces[1].policy, SLUICE_ACT_DROP);
	assert_string_equal(cfg.ifaces[2].ifname, "lo");
	assert_false(cfg.ifaces[2].attach);
	assert_int_equal(cfg.ifaces[2].policy, SLUICE_ACT_PASS);
	d = sl_config_iface(&cfg, "eth0");
	assert_ptr_equal(d, &cfg.ifaces[1]);
	assert_null(sl_config_iface(&cfg, "eth2"));

	assert_int_equal(cfg.nsets, 2);
	assert_string_equal(cfg.sets[0].name, "block");
	assert_string_equal(cfg.sets[1].name, "allow");
	assert_int_equal(cfg.sets[1].prefixes.n, 0);
	s = sl_config_set(&cfg, "block");
	assert_ptr_equal(s, &cfg.sets[0]);
	assert_null(sl_config_set(&cfg, "nope"));
	/* Both files, duplicates gone, sorted: IPv4 first. */
	assert_int_equal(s->prefixes.n, ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		sl_prefix_format(&s->prefixes.v[i], buf, sizeof(buf));
		assert_string_equal(buf, want[i]);
	}
	sl_config_free(&cfg);
	assert_null(cfg.rules);
	assert_int_equal(cfg.nsets, 0);

	/* An empty file is an empty configuration. */
	write_file("empty.conf", "# nothing\n\n", path, sizeof(path));
	assert_int_equal(sl_config_load(path, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nrules + cfg.nsets + cfg.nifaces, 0);
	sl_config_free(&cfg);
}

struct bad_conf {
	const char *text;
	const char *err; /* after "FILE:" */
};

static const struct bad_conf bad_confs[] = {
	{ "rule add 10 drop\n\nrule add 10 pass\n",
	  "3: rule 10 already exists" },
	{ "rule add 10 src @x drop\n", "1: set \"x\" is not defined" },
	{ "set add x\nrule add 9 pass\nrule add 10 src @x dst @y drop\n",
	  "3: set \"y\" is not defined" },
	{ "rule add 10 src @x drop\nrule add 11 dst @x drop\nset add y\n",
	  "1: set \"x\" is not defined" },
	{ "detach eth0\n", "1: \"detach\" is not allowed in a configuration" },
	{ "# c\nstats\n", "2: \"stats\" is not a configuration command" },
	{ "stats -w eth0\n", "1: \"stats\" is not a configuration command" },
	{ "status\n", "1: \"status\" is not a configuration command" },
	{ "metrics\n", "1: \"metrics\" is not a configuration command" },
	{ "reload now\n", "1: \"reload\" is not a configuration command" },
	{ "test-run -c x --pcap y\n",
	  "1: \"test-run\" is not a configuration command" },
	{ "rule del 10\n", "1: \"rule del\" is not a configuration command" },
	{ "rule list\n", "1: \"rule list\" is not a configuration command" },
	{ "set del s 10.0.0.0/8\n",
	  "1: \"set del\" is not a configuration command" },
	{ "set flush s\n", "1: \"set flush\" is not a configuration command" },
	{ "set list\n", "1: \"set list\" is not a configuration command" },
	{ "attach eth0\nattach eth0 mode tc\n",
	  "2: interface \"eth0\" already attached" },
	{ "policy eth0 drop\nattach eth0\npolicy eth0 pass\n",
	  "3: policy of \"eth0\" already given" },
	{ "set add s\nrule add 10 src 10.0.0.1/8 drop\n",
	  "2: prefix \"10.0.0.1/8\" has host bits set" },
	{ "# c\n   \nfrob\n", "3: unknown command \"frob\"" },
	{ "rule add 1 drop\nrule add 2 drop\nrule\n",
	  "3: \"rule\" needs add, del, list or replace-range" },
};

static void check_bad_conf(const char *text, const char *want_suffix, int *bad)
{
	char path[256], want[512], err[SL_ERR_LEN] = "";
	struct sl_config cfg;
	int ret;

	write_file("bad.conf", text, path, sizeof(path));
	snprintf(want, sizeof(want), "%s:%s", path, want_suffix);
	memset(&cfg, 0xa5, sizeof(cfg));
	ret = sl_config_load(path, &cfg, err, sizeof(err));
	if (ret != -EINVAL || strcmp(err, want)) {
		print_error("config \"%s\": returned %d, \"%s\", want \"%s\"\n",
			    text, ret, err, want);
		(*bad)++;
	}
	/* All or nothing: an error leaves nothing behind. */
	if (cfg.rules || cfg.nrules || cfg.sets || cfg.nsets || cfg.ifaces ||
	    cfg.nifaces) {
		print_error("config \"%s\": output not empty\n", text);
		(*bad)++;
	}
	if (!ret)
		sl_config_free(&cfg);
}

static void test_config_bad(void **state)
{
	char text[4096];
	size_t off = 0;
	int bad = 0, i;
	size_t n;

	for (n = 0; n < ARRAY_SIZE(bad_confs); n++)
		check_bad_conf(bad_confs[n].text, bad_confs[n].err, &bad);

	/* Set ids are 1..63. */
	for (i = 1; i <= 64; i++)
		off += snprintf(text + off, sizeof(text) - off, "set add s%d\n",
				i);
	check_bad_conf(text, "64: too many sets (at most 63)", &bad);

	/* Good lines before the error are dropped too. */
	check_bad_conf("attach eth0\nset add s 10.0.0.0/8\nrule add 1 src @s "
		       "drop\nrule add 2 frob\n",
		       "4: unknown match \"frob\"", &bad);
	assert_int_equal(bad, 0);
}

static void test_config_set_file_errors(void **state)
{
	static const struct {
		const char *set_text;
		const char *err; /* after "SETFILE:" */
	} cases[] = {
		{ "10.0.0.0/8\n# c\n\n10.0.0.1/8\n",
		  "4: prefix \"10.0.0.1/8\" has host bits set" },
		{ "10.0.0.0/8 10.1.0.0/16\n", "1: unexpected \"10.1.0.0/16\"" },
		{ "\n\n\nfoo\n", "4: bad prefix \"foo\"" },
		{ "10.0.0.0/8#c\n", "1: bad prefix \"10.0.0.0/8#c\"" },
	};
	char conf[256], setf[256], want[600], err[SL_ERR_LEN];
	struct sl_config cfg;
	struct sl_prefix_list l = { 0 };
	struct sl_prefix p;
	int bad = 0, ret;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		write_file("bad.txt", cases[i].set_text, setf, sizeof(setf));
		write_file("set.conf",
			   "set add s 10.0.0.0/8\nset load s bad.txt\n", conf,
			   sizeof(conf));
		snprintf(want, sizeof(want), "%s:%s", setf, cases[i].err);
		err[0] = '\0';
		ret = sl_config_load(conf, &cfg, err, sizeof(err));
		if (ret != -EINVAL || strcmp(err, want) || cfg.sets) {
			print_error("set file \"%s\": %d \"%s\", want \"%s\"\n",
				    cases[i].set_text, ret, err, want);
			bad++;
		}
		if (!ret)
			sl_config_free(&cfg);
	}
	assert_int_equal(bad, 0);

	/* A set file that is not there is the configuration line's error. */
	write_file("set.conf", "\nset load s missing.txt\n", conf,
		   sizeof(conf));
	snprintf(
		want, sizeof(want),
		"%s:2: cannot open \"%s/missing.txt\": no such file or directory",
		conf, tmpdir);
	assert_int_equal(sl_config_load(conf, &cfg, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, want);
	assert_null(cfg.sets);

	/* sl_set_file_load keeps what the list had on error. */
	assert_int_equal(sl_prefix_parse("1.0.0.0/8", &p, err, sizeof(err)), 0);
	assert_int_equal(sl_prefix_list_push(&l, &p), 0);
	write_file("bad.txt", "2.0.0.0/8\nbad\n", setf, sizeof(setf));
	assert_int_equal(sl_set_file_load(setf, &l, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: bad prefix \"bad\"", setf);
	assert_string_equal(err, want);
	assert_int_equal(l.n, 1);
	sl_prefix_list_free(&l);
}

static void test_config_missing(void **state)
{
	char path[256], want[512], err[SL_ERR_LEN];
	struct sl_config cfg;

	snprintf(path, sizeof(path), "%s/nope.conf", tmpdir);
	snprintf(want, sizeof(want),
		 "cannot open \"%s\": no such file or directory", path);
	assert_int_equal(sl_config_load(path, &cfg, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, want);
	assert_int_equal(cfg.nrules + cfg.nsets + cfg.nifaces, 0);
}

static void test_config_buf(void **state)
{
	char text[512], err[SL_ERR_LEN];
	struct sl_config cfg;
	char *big;
	size_t off, i;

	/* The name stands for the file in errors... */
	assert_int_equal(sl_config_load_buf("mem.conf",
					    "attach eth0\nattach eth0 mode x\n",
					    &cfg, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "mem.conf:2: bad mode \"x\"");

	/* ...and its directory is where relative set files are. */
	write_file("b2.txt", "10.9.0.0/16\n", text, sizeof(text));
	snprintf(text, sizeof(text), "%s/virtual.conf", tmpdir);
	assert_int_equal(sl_config_load_buf(text, "set load b b2.txt\n", &cfg,
					    err, sizeof(err)),
			 0);
	assert_int_equal(cfg.nsets, 1);
	assert_int_equal(cfg.sets[0].prefixes.n, 1);
	assert_int_equal(cfg.sets[0].prefixes.v[0].addr[1], 9);
	sl_config_free(&cfg);

	/* A line far past any fixed buffer. */
	big = malloc(300000);
	assert_non_null(big);
	off = snprintf(big, 300000, "set add big");
	for (i = 0; i < 10000; i++)
		off += snprintf(big + off, 300000 - off, " 10.%zu.%zu.0/24",
				i >> 8, i & 255);
	snprintf(big + off, 300000 - off, "\nrule add 1 src @big drop");
	assert_int_equal(
		sl_config_load_buf("big.conf", big, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nsets, 1);
	assert_int_equal(cfg.sets[0].prefixes.n, 10000);
	assert_int_equal(cfg.nrules, 1);
	sl_config_free(&cfg);
	free(big);
}

static void test_config_million(void **state)
{
	enum { N = 1000000 };
	char path[256], conf[256], err[SL_ERR_LEN] = "";
	char buf[SL_PREFIX_FMT_LEN];
	struct sl_config cfg;
	const struct sl_prefix_list *l;
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/million.txt", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("# a million /32s, one per line\n", f);
	for (i = 0; i < N; i++)
		fprintf(f, "10.%zu.%zu.%zu\n", i >> 16, (i >> 8) & 255,
			i & 255);
	assert_int_equal(fclose(f), 0);

	write_file("million.conf",
		   "set load big million.txt\nrule add 1 src @big drop\n", conf,
		   sizeof(conf));
	assert_int_equal(sl_config_load(conf, &cfg, err, sizeof(err)), 0);
	assert_int_equal(cfg.nsets, 1);
	l = &cfg.sets[0].prefixes;
	assert_int_equal(l->n, N);
	sl_prefix_format(&l->v[0], buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.0/32");
	sl_prefix_format(&l->v[N - 1], buf, sizeof(buf));
	assert_string_equal(buf, "10.15.66.63/32");
	sl_config_free(&cfg);
	unlink(path);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static int group_setup(void **state)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/sluice-grammar.XXXXXX",
		 base && strlen(base) < 32 ? base : "/tmp");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_rules),
		cmocka_unit_test(test_table_sanity),
		cmocka_unit_test(test_good_cmds),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_argv),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_set_add_many),
		cmocka_unit_test(test_prefix_list_growth),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_config_set_file_errors),
		cmocka_unit_test(test_config_missing),
		cmocka_unit_test(test_config_buf),
		cmocka_unit_test(test_config_million),
	};

	return cmocka_run_group_tests_name("grammar", tests, group_setup,
					   group_teardown);
}
