/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The command grammar of sluice: one line of the configuration file or
 * one CLI invocation (without the leading "sluice") becomes one struct
 * sl_cmd.  Parsing is pure: no maps, no sockets, no interface lookups.
 */
#ifndef __SLUICE_GRAMMAR_H
#define __SLUICE_GRAMMAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/abi.h>

#define SL_ERR_LEN 256

enum sl_cmd_kind {
	SL_CMD_NONE, /* empty line or comment */
	SL_CMD_ATTACH,
	SL_CMD_DETACH,
	SL_CMD_POLICY,
	SL_CMD_RULE_ADD,
	SL_CMD_RULE_DEL,
	SL_CMD_RULE_LIST,
	SL_CMD_SET_ADD,
	SL_CMD_SET_DEL,
	SL_CMD_SET_LOAD,
	SL_CMD_SET_FLUSH,
	SL_CMD_SET_LIST,
	SL_CMD_STATS,
	SL_CMD_STATUS,
	SL_CMD_METRICS,
	SL_CMD_RELOAD,
};

enum sl_attach_mode {
	SL_MODE_AUTO,
	SL_MODE_NATIVE,
	SL_MODE_GENERIC,
	SL_MODE_TC,
};

struct sl_prefix {
	uint8_t family; /* 4 or 6 */
	uint8_t len; /* 0..32 or 0..128 */
	uint8_t addr[16]; /* network byte order, host bits zero */
};

enum sl_addr_kind {
	SL_ADDR_ANY,
	SL_ADDR_PREFIX,
	SL_ADDR_SET,
};

struct sl_addr_match {
	enum sl_addr_kind kind;
	struct sl_prefix prefix;
	char set[SLUICE_SET_NAME_LEN];
};

struct sl_range {
	bool present;
	uint16_t lo, hi; /* inclusive */
};

struct sl_rule {
	uint16_t prio; /* 1..65535 */
	char in[SLUICE_IFNAME_LEN]; /* "" when absent */
	struct sl_addr_match src, dst;
	bool has_proto;
	uint8_t proto;
	struct sl_range sport, dport;
	uint8_t tcp_mask, tcp_value; /* mask 0: absent */
	bool has_icmp_type;
	uint8_t icmp_type;
	bool has_vlan;
	uint16_t vlan; /* 0..4095 */

	uint8_t action; /* enum sluice_action */
	char redirect[SLUICE_IFNAME_LEN];
	uint64_t steer_cpus; /* bit per CPU, 0: all */
	uint32_t rl_pps, rl_burst;
	uint8_t rl_per_len; /* 0: one bucket; else per source prefix */
};

/*
 * "per src": one bucket per whole source address of either family.  A
 * length past the family's width means the whole address.
 */
#define SL_RL_PER_ADDR 128
/* steer_cpus is a 64-bit mask: CPUs 0..63 can be named. */
#define SL_STEER_MAX_CPUS 64
/* Big enough for any sl_rule_format() output. */
#define SL_RULE_FMT_LEN 512
/* Big enough for any sl_prefix_format() output. */
#define SL_PREFIX_FMT_LEN 64

/* Prefixes of set add/del, owned by the command. */
struct sl_prefix_list {
	struct sl_prefix *v;
	size_t n, cap;
};

struct sl_cmd {
	enum sl_cmd_kind kind;
	char ifname[SLUICE_IFNAME_LEN]; /* attach, detach, policy, stats */
	enum sl_attach_mode mode; /* attach */
	uint8_t policy; /* policy: enum sluice_action */
	struct sl_rule rule; /* rule add; rule del uses rule.prio */
	char set[SLUICE_SET_NAME_LEN]; /* set *; "" for "set list" */
	struct sl_prefix_list prefixes; /* set add, set del */
	char path[4096]; /* set load */
	bool watch; /* stats -w */
	bool per_cpu; /* stats, metrics: --per-cpu */
};

/*
 * Parse argv (already split into words) into *cmd.  On error returns
 * -EINVAL and writes one line naming what is wrong into err; nothing is
 * left to free.  On success the caller frees with sl_cmd_free().
 */
int sl_cmd_parse(int argc, char **argv, struct sl_cmd *cmd, char *err,
		 size_t errlen);

/*
 * Split one configuration line into words (blank separated, '#' starts a
 * comment) and parse it.  An empty or comment-only line gives SL_CMD_NONE.
 */
int sl_cmd_parse_line(const char *line, struct sl_cmd *cmd, char *err,
		      size_t errlen);

void sl_cmd_free(struct sl_cmd *cmd);

int sl_prefix_parse(const char *s, struct sl_prefix *p, char *err,
		    size_t errlen);
void sl_prefix_format(const struct sl_prefix *p, char *buf, size_t len);

/*
 * Print a rule back in the grammar it was parsed from (for "rule list"):
 * the whole command, "rule add PRIO [MATCH...] ACTION", matches in a fixed
 * order, so that sl_cmd_parse_line() of the text gives the rule back.
 */
void sl_rule_format(const struct sl_rule *r, char *buf, size_t len);

const char *sl_action_name(uint8_t action);
const char *sl_reason_name(uint32_t reason);
const char *sl_hook_name(uint32_t hook);
const char *sl_mode_name(enum sl_attach_mode mode);

/*
 * Split a line of len bytes into words as sl_cmd_parse_line() does.
 * *argv is one allocation holding the words too: free(*argv) frees all.
 * Returns the number of words (0 for a blank or comment line) or -ENOMEM.
 */
int sl_line_split(const char *line, size_t len, char ***argv);

/* Append with geometric growth; 0 or -ENOMEM (the list is unchanged). */
int sl_prefix_list_push(struct sl_prefix_list *l, const struct sl_prefix *p);
/* Sort by family, address, length and drop duplicates. */
void sl_prefix_list_uniq(struct sl_prefix_list *l);
void sl_prefix_list_free(struct sl_prefix_list *l);

#endif /* __SLUICE_GRAMMAR_H */
