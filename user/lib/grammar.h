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
#include <stdio.h>

#include <sluice/abi.h>

#include "rule.h"

enum sl_cmd_kind {
	SL_CMD_NONE, /* empty line or comment */
	SL_CMD_ATTACH,
	SL_CMD_DETACH,
	SL_CMD_POLICY,
	SL_CMD_RULE_ADD,
	SL_CMD_RULE_DEL,
	SL_CMD_RULE_LIST,
	SL_CMD_RULE_REPLACE,
	SL_CMD_SET_ADD,
	SL_CMD_SET_DEL,
	SL_CMD_SET_LOAD,
	SL_CMD_SET_FLUSH,
	SL_CMD_SET_LIST,
	SL_CMD_STATS,
	SL_CMD_STATUS,
	SL_CMD_METRICS,
	SL_CMD_RELOAD,
	SL_CMD_CAPTURE,
};

/*
 * capture: what the kernel chooses (interfaces, verdict, rule, reason,
 * the rate and the snap length) and what the CLI does with it (-c, -w,
 * the FILTER).  The words are IFACE... and FILTER as given: which of them
 * name interfaces is the CLI's call (interfaces of the host), the daemon
 * takes them all for interfaces.
 */
struct sl_capture_opts {
	char **words; /* malloc'd, as is each word */
	int nwords;
	uint32_t actions; /* --verdict: 1 << enum sluice_action, 0: any */
	uint32_t reasons; /* --reason: 1 << enum sluice_reason, 0: any */
	uint32_t prio; /* --rule, 0: any */
	unsigned long count; /* -c, 0: until interrupted */
	uint32_t snaplen; /* -s, 1..SLUICE_CAP_SNAP_MAX */
	uint32_t rate; /* --rate, packets per second */
	bool write; /* -w: pcapng to path ("-": stdout) */
};

struct sl_cmd {
	enum sl_cmd_kind kind;
	char ifname[SLUICE_IFNAME_LEN]; /* attach, detach, policy, stats */
	enum sl_attach_mode mode; /* attach */
	uint8_t policy; /* policy: enum sluice_action */
	struct sl_rule rule; /* rule add; rule del uses rule.prio */
	uint16_t prio_lo, prio_hi; /* rule replace-range */
	char set[SLUICE_SET_NAME_LEN]; /* set *; "" for "set list" */
	struct sl_prefix_list prefixes; /* set add, set del */
	char path[4096]; /* set load, rule replace-range */
	bool watch; /* stats -w */
	bool per_cpu; /* stats, metrics: --per-cpu */
	struct sl_capture_opts capture;
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

/*
 * Split a line of len bytes into words as sl_cmd_parse_line() does.
 * *argv is one allocation holding the words too: free(*argv) frees all.
 * Returns the number of words (0 for a blank or comment line) or -ENOMEM.
 */
int sl_line_split(const char *line, size_t len, char ***argv);

/*
 * The usage, written from the tables the parser reads: the commands, one
 * a line ("  rule add PRIO [MATCH...] ACTION"), and the terms, what MODE,
 * POLICY, MATCH and ACTION stand for ("MATCH  := in IFACE | ...").
 */
void sl_grammar_usage(FILE *f);
void sl_grammar_terms(FILE *f);

/*
 * The words the grammar takes in one place, one a line, for the shell's
 * completion and the manual's test: "commands"; a command's own keywords
 * and options (its name: "rule" gives add, del, list; "attach" gives
 * mode; "stats" its options); "mode", "match", "proto", "tcp-flag",
 * "fragment-flag", "action", and what follows an action's word ("rate-limit", "per");
 * capture's "--verdict" and "--reason" their values.
 * -ENOENT for another context.
 */
int sl_grammar_words(const char *context, FILE *f);

#endif /* __SLUICE_GRAMMAR_H */
