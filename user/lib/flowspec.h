/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * BGP FlowSpec routes (RFC 8955, RFC 8956) as ExaBGP's JSON encoder
 * prints them, turned into sluice rules, and ordered as RFC 8955 5.1
 * orders them.  Pure: no socket, no daemon; "sluice flowspec" feeds it.
 *
 * A route becomes the rules that match exactly the packets it matches,
 * or is refused with a reason: nothing is approximated.
 */
#ifndef __SLUICE_FLOWSPEC_H
#define __SLUICE_FLOWSPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule.h"

struct json_object;

/* Rules one route may expand to (an OR of values gives one rule each). */
#define SL_FS_MAX_RULES 64
#define SL_FS_DETAIL_LEN 160
/* Component types of RFC 8955 4.2.2, 1..13. */
#define SL_FS_NTYPES 14

struct sl_fs_route {
	char *nlri; /* ExaBGP's "string" of the route: its identity */
	uint8_t family; /* 4 or 6 */
	/* Each component as RFC 8955 encodes it, for the order. */
	uint8_t *comp[SL_FS_NTYPES];
	uint16_t comp_len[SL_FS_NTYPES];
	/* NULL: accepted; else one of a fixed set of words (a metric label). */
	const char *refused;
	char detail[SL_FS_DETAIL_LEN];
	struct sl_rule *rules; /* prio 0: the table numbers them */
	size_t nrules;
};

/*
 * One route: flow is an element of "announce"/"withdraw" (an object with
 * the components and "string"), family "ipv4 flow" or "ipv6 flow", attrs
 * the UPDATE's "attribute" object (NULL for a withdrawal: no rules then,
 * only the identity and the order).  0 with *r filled (maybe refused), or
 * -ENOMEM / -EINVAL for JSON that is not an ExaBGP flow.
 */
int sl_fs_route_parse(struct json_object *flow, const char *family,
		      struct json_object *attrs, struct sl_fs_route *r);
void sl_fs_route_free(struct sl_fs_route *r);

/* RFC 8955 5.1: < 0 when a comes first (has precedence). */
int sl_fs_route_cmp(const struct sl_fs_route *a, const struct sl_fs_route *b);

/* The reasons a route is refused, for the status (every one, zeros too). */
extern const char *const sl_fs_reasons[];

#endif /* __SLUICE_FLOWSPEC_H */
