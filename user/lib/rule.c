/* SPDX-License-Identifier: GPL-2.0-only */
/* The rule model's helpers: prefix lists and enum names. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"

int sl_prefix_list_push(struct sl_prefix_list *l, const struct sl_prefix *p)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct sl_prefix *v;

		if (cap > SIZE_MAX / sizeof(*v))
			return -ENOMEM;
		v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *p;
	return 0;
}

int sl_prefix_cmp(const void *a, const void *b)
{
	const struct sl_prefix *x = a, *y = b;
	int d;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	d = memcmp(x->addr, y->addr, sizeof(x->addr));
	if (d)
		return d;
	return x->len < y->len ? -1 : x->len > y->len;
}

void sl_prefix_list_uniq(struct sl_prefix_list *l)
{
	size_t i, j;

	if (l->n < 2)
		return;
	qsort(l->v, l->n, sizeof(*l->v), sl_prefix_cmp);
	for (i = 1, j = 1; i < l->n; i++)
		if (sl_prefix_cmp(&l->v[i], &l->v[j - 1]))
			l->v[j++] = l->v[i];
	l->n = j;
}

void sl_prefix_list_free(struct sl_prefix_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Names, indexed by the enums. */
static const char *const action_names[SLUICE_ACT__MAX] = {
	[SLUICE_ACT_PASS] = "pass",
	[SLUICE_ACT_DROP] = "drop",
	[SLUICE_ACT_FORWARD] = "forward",
	[SLUICE_ACT_REDIRECT] = "redirect",
	[SLUICE_ACT_STEER] = "steer",
	[SLUICE_ACT_RATE_LIMIT] = "rate-limit",
	[SLUICE_ACT_SYN_PROXY] = "syn-proxy",
};

static const char *const reason_names[SLUICE_REASON__MAX] = {
	[SLUICE_REASON_RULE] = "rule",
	[SLUICE_REASON_POLICY] = "policy",
	[SLUICE_REASON_FRAGMENT] = "fragment",
	[SLUICE_REASON_TRUNCATED] = "truncated",
	[SLUICE_REASON_NOT_IP] = "not-ip",
	[SLUICE_REASON_MALFORMED] = "malformed",
	[SLUICE_REASON_PARSE_LIMIT] = "parse-limit",
	[SLUICE_REASON_UNSUPPORTED] = "unsupported",
	[SLUICE_REASON_TTL_EXCEEDED] = "ttl-exceeded",
	[SLUICE_REASON_NO_ROUTE] = "no-route",
	[SLUICE_REASON_NOT_FORWARDED] = "not-forwarded",
	[SLUICE_REASON_NO_NEIGH] = "no-neigh",
	[SLUICE_REASON_FRAG_NEEDED] = "frag-needed",
	[SLUICE_REASON_NO_EGRESS] = "no-egress",
	[SLUICE_REASON_NOT_FOR_US] = "not-for-us",
	[SLUICE_REASON_EGRESS_MTU] = "egress-mtu",
	[SLUICE_REASON_RATE_LIMIT] = "rate-limit",
	[SLUICE_REASON_SYNCOOKIE_SENT] = "syncookie-sent",
	[SLUICE_REASON_COOKIE_VALID] = "cookie-valid",
	[SLUICE_REASON_COOKIE_INVALID] = "cookie-invalid",
	[SLUICE_REASON_NO_LISTENER] = "no-listener",
	[SLUICE_REASON_COOKIE_REFUSED] = "cookie-refused",
	[SLUICE_REASON_EGRESS_DOWN] = "egress-down",
};

static const char *const hook_names[SLUICE_HOOK__MAX] = {
	[SLUICE_HOOK_XDP] = "xdp",
	[SLUICE_HOOK_TC] = "tc",
};

static const char *const mode_names[SL_MODE__MAX] = {
	[SL_MODE_AUTO] = "auto",
	[SL_MODE_NATIVE] = "native",
	[SL_MODE_GENERIC] = "generic",
	[SL_MODE_TC] = "tc",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *sl_action_name(uint8_t action)
{
	return action < SLUICE_ACT__MAX ? action_names[action] : "unknown";
}

const char *sl_reason_name(uint32_t reason)
{
	return reason < SLUICE_REASON__MAX ? reason_names[reason] : "unknown";
}

const char *sl_hook_name(uint32_t hook)
{
	return hook < SLUICE_HOOK__MAX ? hook_names[hook] : "unknown";
}

const char *sl_mode_name(enum sl_attach_mode mode)
{
	return (unsigned int)mode < ARRAY_SIZE(mode_names) ? mode_names[mode] :
							     "unknown";
}
