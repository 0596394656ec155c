/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rule model: what a rule, a prefix and an attachment are, and the
 * names of the data plane's enums.  The grammar (grammar.h) turns text
 * into these and back; the data plane (dataplane.h) and attach (attach.h)
 * take them as they are, without the parser.
 */
#ifndef __SLUICE_RULE_H
#define __SLUICE_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/abi.h>

#include "err.h"

enum sl_attach_mode {
	SL_MODE_AUTO,
	SL_MODE_NATIVE,
	SL_MODE_GENERIC,
	SL_MODE_TC,
	SL_MODE__MAX,
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
	bool has_icmp_code;
	uint8_t icmp_code;
	bool has_vlan;
	uint16_t vlan; /* 0..4095 */
	bool has_dscp;
	uint8_t dscp; /* 0..63 */
	uint8_t frag_mask, frag_value; /* enum sluice_frag; mask 0: absent */
	bool has_length;
	uint32_t length_lo, length_hi; /* inclusive, 0..SLUICE_IP_LEN_MAX */

	uint8_t action; /* enum sluice_action */
	char redirect[SLUICE_IFNAME_LEN];
	uint64_t steer_cpus; /* bit per CPU, 0: all */
	uint64_t rl_rate; /* packets/s, or bits/s with rl_bytes */
	uint32_t rl_burst; /* packets, or bytes with rl_bytes */
	bool rl_bytes;
	uint8_t rl_per; /* enum sl_rl_per */
	uint8_t rl_per_len; /* 1..128, with rl_per */
};

enum sl_rl_per {
	SL_RL_PER_NONE, /* one bucket for the rule */
	SL_RL_PER_SRC, /* one per source prefix */
	SL_RL_PER_DST, /* one per destination prefix */
};

/*
 * "per src": one bucket per whole source address.  A length counts bits
 * of the packet's own address, so past 32 an IPv4 address is whole.
 */
#define SL_RL_PER_ADDR 128

/* The burst a rate-limit gets without one: a second's worth. */
uint32_t sl_rule_default_burst(const struct sl_rule *r);
/* steer_cpus is a 64-bit mask: one bit per CPU id steer can name. */
_Static_assert(SLUICE_STEER_MAX_CPUS <= 64, "steer_cpus: a bit per CPU");
/* Big enough for any sl_rule_format() output. */
#define SL_RULE_FMT_LEN 512
/* Big enough for any sl_prefix_format() output. */
#define SL_PREFIX_FMT_LEN 64

/* Prefixes of set add/del, owned by the command. */
struct sl_prefix_list {
	struct sl_prefix *v;
	size_t n, cap;
};

/* Append with geometric growth; 0 or -ENOMEM (the list is unchanged). */
int sl_prefix_list_push(struct sl_prefix_list *l, const struct sl_prefix *p);
/* The order of prefixes, for qsort(): IPv4 first, by address, shorter first. */
int sl_prefix_cmp(const void *a, const void *b);
/* Sort by family, address, length and drop duplicates. */
void sl_prefix_list_uniq(struct sl_prefix_list *l);
void sl_prefix_list_free(struct sl_prefix_list *l);

/* Names, for output and for the grammar; "unknown" out of range. */
const char *sl_action_name(uint8_t action);
const char *sl_reason_name(uint32_t reason);
const char *sl_hook_name(uint32_t hook);
const char *sl_mode_name(enum sl_attach_mode mode);

#endif /* __SLUICE_RULE_H */
