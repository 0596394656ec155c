/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * FlowSpec routes from ExaBGP's JSON to sluice rules (see flowspec.h).
 *
 * ExaBGP prints numeric components as a list of OR-ed terms, each term
 * its AND-ed operators ("<=1024&>=80"), values by name where it knows
 * one ("=tcp", "=echo-request", "=unknown protocol type 58").  Its JSON
 * splits a bitmask value into one string per bit, which loses the AND of
 * a "match" operator, so tcp-flags and fragment are read from the
 * route's "string", where ExaBGP prints them whole ("=syn+ack").
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "flowspec.h"
#include "grammar.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum {
	T_DST = 1,
	T_SRC,
	T_PROTO,
	T_PORT,
	T_DPORT,
	T_SPORT,
	T_ICMP_TYPE,
	T_ICMP_CODE,
	T_TCP_FLAGS,
	T_LENGTH,
	T_DSCP,
	T_FRAGMENT,
	T_FLOW_LABEL,
};

#define OP_END 0x80
#define OP_AND 0x40
#define OP_LT 0x04
#define OP_GT 0x02
#define OP_EQ 0x01
#define OP_NOT 0x02
#define OP_MATCH 0x01

const char *const sl_fs_reasons[] = {
	"malformed",	   "family",	      "ipv6-offset",   "fragment",
	"flow-label",	   "traffic-class",   "tcp-flags",     "too-many-rules",
	"rate-over-rules", "rate-fraction",   "rate-conflict", "non-terminal",
	"redirect",	   "traffic-marking", "range-full",    NULL,
};

static const struct comp_def {
	const char *name;
	uint8_t type;
	uint8_t family; /* 0: both */
	uint8_t width; /* value bytes at most: 1, 2 or 4 */
	uint32_t max;
	const char *refuse; /* sluice has no such match */
} comp_defs[] = {
	{ "destination-ipv4", T_DST, 4 },
	{ "source-ipv4", T_SRC, 4 },
	{ "destination-ipv6", T_DST, 6 },
	{ "source-ipv6", T_SRC, 6 },
	{ "protocol", T_PROTO, 4, 1, 255 },
	{ "next-header", T_PROTO, 6, 1, 255 },
	{ "port", T_PORT, 0, 2, 65535 },
	{ "destination-port", T_DPORT, 0, 2, 65535 },
	{ "source-port", T_SPORT, 0, 2, 65535 },
	{ "icmp-type", T_ICMP_TYPE, 0, 1, 255 },
	{ "icmp-code", T_ICMP_CODE, 0, 1, 255 },
	{ "tcp-flags", T_TCP_FLAGS, 0, 2, 65535 },
	/* An IPv6 packet's length counts its header: past 16 bits. */
	{ "packet-length", T_LENGTH, 0, 2, SLUICE_IP_LEN_MAX },
	{ "dscp", T_DSCP, 4, 1, 63 },
	/* ExaBGP's name for IPv6's type 11, the DSCP of RFC 8956. */
	{ "traffic-class", T_DSCP, 6, 1, 255 },
	{ "fragment", T_FRAGMENT, 0, 2, 65535 },
	{ "flow-label", T_FLOW_LABEL, 6, 4, 0xfffff, "flow-label" },
};

/* The names ExaBGP prints for values (exabgp/protocol). */
struct name {
	const char *name;
	unsigned int v;
};

static const struct name proto_names[] = {
	{ "icmp", 1 },	 { "igmp", 2 },	 { "tcp", 6 },	 { "egp", 8 },
	{ "udp", 17 },	 { "rsvp", 46 }, { "gre", 47 },	 { "esp", 50 },
	{ "ah", 51 },	 { "ospf", 89 }, { "ipip", 94 }, { "pim", 103 },
	{ "sctp", 132 },
};

static const struct name icmp_names[] = {
	{ "echo-reply", 0 },
	{ "unreachable", 3 },
	{ "source-quench", 4 },
	{ "redirect", 5 },
	{ "echo-request", 8 },
	{ "router-advertisement", 9 },
	{ "router-solicit", 10 },
	{ "time-exceeded", 11 },
	{ "parameter-problem", 12 },
	{ "timestamp", 13 },
	{ "timestamp-reply", 14 },
	{ "info-request", 15 },
	{ "info-reply", 16 },
	{ "mask-request", 17 },
	{ "mask-reply", 18 },
	{ "traceroute", 30 },
	{ "experimental-mobility", 41 },
	{ "extended-echo-request", 42 },
	{ "extended-echo-reply", 43 },
	{ "experimental-one", 253 },
	{ "experimental-two", 254 },
};

/* RFC 8955's fragment bits; 0 is ExaBGP's "not-a-fragment". */
static const struct name frag_names[] = {
	{ "not-a-fragment", 0 },
	{ "dont-fragment", SLUICE_FRAG_DF },
	{ "is-fragment", SLUICE_FRAG_IS },
	{ "first-fragment", SLUICE_FRAG_FIRST },
	{ "last-fragment", SLUICE_FRAG_LAST },
};

static const struct name tcp_flag_names[] = {
	{ "fin", 0x01 }, { "syn", 0x02 }, { "rst", 0x04 },    { "push", 0x08 },
	{ "ack", 0x10 }, { "urg", 0x20 }, { "urgent", 0x20 }, { "ece", 0x40 },
	{ "cwr", 0x80 }, { "ns", 0x100 },
};

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMPV6_ 58

static int refuse(struct sl_fs_route *r, const char *reason, const char *fmt,
		  ...)
{
	va_list ap;

	if (r->refused)
		return 0;
	r->refused = reason;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	return 0;
}

/* A set of values: sorted, disjoint, inclusive intervals. */
struct ivals {
	size_t n;
	uint32_t lo[SL_FS_MAX_RULES * 2], hi[SL_FS_MAX_RULES * 2];
	bool big; /* more intervals than we keep: refused as too many */
};

static void iv_add(struct ivals *s, uint32_t lo, uint32_t hi)
{
	size_t i, j;

	if (lo > hi)
		return;
	/* Merge with every interval it touches, then insert in order. */
	for (i = 0; i < s->n;) {
		if (s->hi[i] + 1 < lo ||
		    (hi != UINT32_MAX && hi + 1 < s->lo[i])) {
			i++;
			continue;
		}
		lo = lo < s->lo[i] ? lo : s->lo[i];
		hi = hi > s->hi[i] ? hi : s->hi[i];
		memmove(s->lo + i, s->lo + i + 1,
			(s->n - i - 1) * sizeof(*s->lo));
		memmove(s->hi + i, s->hi + i + 1,
			(s->n - i - 1) * sizeof(*s->hi));
		s->n--;
	}
	if (s->n == ARRAY_SIZE(s->lo)) {
		s->big = true;
		return;
	}
	for (j = 0; j < s->n && s->lo[j] < lo; j++)
		;
	memmove(s->lo + j + 1, s->lo + j, (s->n - j) * sizeof(*s->lo));
	memmove(s->hi + j + 1, s->hi + j, (s->n - j) * sizeof(*s->hi));
	s->lo[j] = lo;
	s->hi[j] = hi;
	s->n++;
}

static void iv_intersect(const struct ivals *a, const struct ivals *b,
			 struct ivals *out)
{
	size_t i, j;

	memset(out, 0, sizeof(*out));
	out->big = a->big || b->big;
	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++)
			iv_add(out, a->lo[i] > b->lo[j] ? a->lo[i] : b->lo[j],
			       a->hi[i] < b->hi[j] ? a->hi[i] : b->hi[j]);
}

static size_t iv_count(const struct ivals *s)
{
	size_t i, c = 0;

	for (i = 0; i < s->n; i++)
		c += s->hi[i] - s->lo[i] + 1;
	return c;
}

/* The encoding of a component, grown as its operators are read. */
struct enc {
	uint8_t buf[1024];
	size_t len;
	bool over;
};

static void enc_put(struct enc *e, uint8_t op, uint32_t v, unsigned int width)
{
	unsigned int n = width >= 4 && v > 0xffff ? 4 :
			 width >= 2 && v > 0xff	  ? 2 :
						    1;
	unsigned int i;

	if (e->len + 1 + n > sizeof(e->buf)) {
		e->over = true;
		return;
	}
	op |= (n == 4 ? 2 : n == 2 ? 1 : 0) << 4;
	e->buf[e->len++] = op;
	for (i = n; i-- > 0;)
		e->buf[e->len++] = v >> (8 * i);
}

static int lookup(const struct name *t, size_t n, const char *s, size_t len,
		  uint32_t *v)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strlen(t[i].name) == len && !strncmp(t[i].name, s, len)) {
			*v = t[i].v;
			return 0;
		}
	}
	return -EINVAL;
}

/* A value as ExaBGP prints it: digits, a name, or "unknown ... type N". */
static int parse_value(const struct comp_def *c, const char *s, size_t len,
		       uint32_t *v)
{
	unsigned long x;
	char buf[64], *end;
	const char *sp;

	if (len >= sizeof(buf) || !len)
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!strncmp(buf, "unknown ", 8)) {
		sp = strrchr(buf, ' ');
		memmove(buf, sp + 1, strlen(sp + 1) + 1);
	}
	if (isdigit((unsigned char)buf[0])) {
		errno = 0;
		x = strtoul(buf, &end, 10);
		if (*end || errno || x > c->max)
			return -EINVAL;
		*v = x;
		return 0;
	}
	if (c->type == T_PROTO)
		return lookup(proto_names, ARRAY_SIZE(proto_names), buf,
			      strlen(buf), v);
	if (c->type == T_ICMP_TYPE)
		return lookup(icmp_names, ARRAY_SIZE(icmp_names), buf,
			      strlen(buf), v);
	return -EINVAL;
}

static const struct {
	const char *s;
	uint8_t op;
} num_ops[] = {
	/* Longest first, so "<=" is not read as "<". */
	{ "true", OP_LT | OP_GT | OP_EQ },
	{ "false", 0 },
	{ "<=", OP_LT | OP_EQ },
	{ ">=", OP_GT | OP_EQ },
	{ "!=", OP_LT | OP_GT },
	{ "<", OP_LT },
	{ ">", OP_GT },
	{ "=", OP_EQ },
};

/* The values one numeric operator matches. */
static void op_values(uint8_t op, uint32_t v, uint32_t max, struct ivals *s)
{
	memset(s, 0, sizeof(*s));
	if ((op & 7) == 7) {
		iv_add(s, 0, max);
		return;
	}
	if ((op & OP_LT) && v > 0)
		iv_add(s, 0, v - 1);
	if (op & OP_EQ)
		iv_add(s, v, v);
	if ((op & OP_GT) && v < max)
		iv_add(s, v + 1, max);
}

/* One numeric component: its JSON list of OR-ed terms. */
static int parse_numeric(const struct comp_def *c, struct json_object *list,
			 struct ivals *out, struct enc *e,
			 struct sl_fs_route *r)
{
	size_t i, n = json_object_array_length(list);
	struct ivals term, one, tmp;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		const char *s = json_object_get_string(
			json_object_array_get_idx(list, i));
		bool first = true;

		if (!s)
			return -EINVAL;
		memset(&term, 0, sizeof(term));
		iv_add(&term, 0, c->max);
		while (*s) {
			const char *amp;
			size_t k, len;
			uint8_t op;
			uint32_t v = 0;

			if (*s == '&') {
				if (first)
					return -EINVAL;
				s++;
			} else if (!first) {
				return -EINVAL;
			}
			for (k = 0; k < ARRAY_SIZE(num_ops); k++)
				if (!strncmp(s, num_ops[k].s,
					     strlen(num_ops[k].s)))
					break;
			if (k == ARRAY_SIZE(num_ops))
				return -EINVAL;
			op = num_ops[k].op;
			s += strlen(num_ops[k].s);
			amp = strchr(s, '&');
			len = amp ? (size_t)(amp - s) : strlen(s);
			if (k >= 2 && parse_value(c, s, len, &v))
				return -EINVAL;
			if (c->type == T_DSCP && v > 63)
				refuse(r, "traffic-class",
				       "%s %u: RFC 8956 matches the 6-bit DSCP, not the whole class",
				       c->name, v);
			if (k < 2 && len)
				return -EINVAL;
			s += len;
			enc_put(e,
				op | (first ? 0 : OP_AND) |
					(i + 1 == n && !*s ? OP_END : 0),
				v, c->width);
			op_values(op, v, c->max, &one);
			iv_intersect(&term, &one, &tmp);
			term = tmp;
			first = false;
		}
		for (size_t j = 0; j < term.n; j++)
			iv_add(out, term.lo[j], term.hi[j]);
		out->big |= term.big;
	}
	if (out->big)
		refuse(r, "too-many-rules", "%s: too many ranges", c->name);
	return 0;
}

/* A prefix component: "10.0.0.0/8", or "2001:db8::/32/OFFSET". */
static int parse_prefix(const struct comp_def *c, struct json_object *list,
			struct sl_prefix *p, struct enc *e,
			struct sl_fs_route *r)
{
	const char *s =
		json_object_get_string(json_object_array_get_idx(list, 0));
	char buf[80], err[SL_ERR_LEN], *slash;
	unsigned long offset = 0;
	unsigned int i, nb;

	if (json_object_array_length(list) != 1 || !s ||
	    strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if (c->family == 6) {
		slash = strrchr(buf, '/');
		if (!slash || slash == strchr(buf, '/'))
			return -EINVAL;
		offset = strtoul(slash + 1, NULL, 10);
		*slash = '\0';
	}
	if (sl_prefix_parse(buf, p, err, sizeof(err)) || p->family != c->family)
		return -EINVAL;
	if (offset)
		refuse(r, "ipv6-offset",
		       "%s %s: sluice matches prefixes from bit 0 only",
		       c->name, s);
	nb = (p->len + 7) / 8;
	e->buf[e->len++] = p->len;
	if (c->family == 6)
		e->buf[e->len++] = offset;
	for (i = 0; i < nb; i++)
		e->buf[e->len++] = p->addr[i];
	return 0;
}

/* Alternatives of tcp-flags: (mask, value) pairs, OR-ed. */
struct flag_alts {
	size_t n;
	uint8_t mask[SL_FS_MAX_RULES], value[SL_FS_MAX_RULES];
	bool big;
};

static void alt_add(struct flag_alts *a, uint8_t mask, uint8_t value)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->mask[i] == mask && a->value[i] == value)
			return;
	if (a->n == SL_FS_MAX_RULES) {
		a->big = true;
		return;
	}
	a->mask[a->n] = mask;
	a->value[a->n++] = value;
}

/* AND one bitmask operator into every alternative of a term. */
static void flags_and(struct flag_alts *t, uint8_t op, uint8_t v)
{
	struct flag_alts out = { 0 };
	size_t i;
	unsigned int b;

	for (i = 0; i < t->n; i++) {
		uint8_t m = t->mask[i], val = t->value[i];

		if ((op & OP_MATCH) && !(op & OP_NOT)) {
			/* all of v set */
			if ((m & v & ~val) == 0)
				alt_add(&out, m | v, val | v);
		} else if (!(op & OP_MATCH) && (op & OP_NOT)) {
			/* none of v set */
			if ((m & v & val) == 0)
				alt_add(&out, m | v, val & ~v);
		} else {
			/* any of v set, or (NOT MATCH) any of v clear */
			bool set = !(op & OP_NOT);

			for (b = 1; b < 0x100; b <<= 1) {
				if (!(v & b))
					continue;
				if ((m & b) && !!(val & b) != set)
					continue;
				alt_add(&out, m | b, set ? val | b : val & ~b);
			}
		}
	}
	out.big |= t->big;
	*t = out;
}

static const struct {
	const char *s;
	uint8_t op;
} bin_ops[] = {
	{ "!=", OP_NOT | OP_MATCH },
	{ "=", OP_MATCH },
	{ "!", OP_NOT },
	{ "", 0 },
};

/*
 * A bitmask component from the route's "string", as ExaBGP prints it
 * there: "tcp-flags [ =syn+ack !rst&fin ]", "fragment !is-fragment".
 */
static int parse_bitmask(const struct comp_def *c, const char *nlri,
			 struct flag_alts *alts, struct enc *e,
			 struct sl_fs_route *r)
{
	bool tcp = c->type == T_TCP_FLAGS;
	const struct name *names = tcp ? tcp_flag_names : frag_names;
	size_t nnames = tcp ? ARRAY_SIZE(tcp_flag_names) :
			      ARRAY_SIZE(frag_names);
	char buf[512], kw[32], *save = NULL, *tok;
	const char *p, *end;
	size_t len;
	int nterms = 0, k;

	snprintf(kw, sizeof(kw), " %s ", c->name);
	p = strstr(nlri, kw);
	if (!p)
		return -EINVAL;
	p += strlen(kw);
	if (*p == '[') {
		p += 2;
		end = strstr(p, " ]");
	} else {
		end = strchr(p, ' ');
	}
	len = end ? (size_t)(end - p) : strlen(p);
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, p, len);
	buf[len] = '\0';
	for (tok = buf; *tok; tok++)
		nterms += *tok == ' ';
	nterms++;
	memset(alts, 0, sizeof(*alts));
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save), nterms--) {
		struct flag_alts term = { .n = 1 };
		char *piece, *psave = NULL;
		bool first = true;

		if (*tok == '&')
			return -EINVAL;
		for (piece = strtok_r(tok, "&", &psave); piece;
		     piece = strtok_r(NULL, "&", &psave)) {
			uint32_t v = 0, bit;
			char *name, *nsave = NULL;
			uint8_t op;

			for (k = 0; bin_ops[k].s[0]; k++)
				if (!strncmp(piece, bin_ops[k].s,
					     strlen(bin_ops[k].s)))
					break;
			op = bin_ops[k].op;
			piece += strlen(bin_ops[k].s);
			for (name = strtok_r(piece, "+", &nsave); name;
			     name = strtok_r(NULL, "+", &nsave)) {
				if (lookup(names, nnames, name, strlen(name),
					   &bit))
					return -EINVAL;
				v |= bit;
			}
			if (tcp && v > 0xff)
				refuse(r, "tcp-flags",
				       "tcp-flags: sluice matches the 8 flags of the TCP header's byte 13, not ns");
			if (!tcp && r->family == 6 && v & SLUICE_FRAG_DF)
				refuse(r, "fragment",
				       "fragment: dont-fragment in an IPv6 route, which has no such bit");
			enc_put(e,
				op | (first ? 0 : OP_AND) |
					(nterms == 1 && !psave[0] ? OP_END : 0),
				v, 2);
			flags_and(&term, op, v & 0xff);
			first = false;
		}
		for (size_t i = 0; i < term.n; i++)
			alt_add(alts, term.mask[i], term.value[i]);
		alts->big |= term.big;
	}
	if (alts->big)
		refuse(r, "too-many-rules", "%s: too many alternatives",
		       c->name);
	return 0;
}

static bool rate_of(uint64_t ec, double *rate)
{
	union {
		uint32_t u;
		float f;
	} x = { .u = (uint32_t)ec };

	*rate = x.f;
	return isfinite(x.f) && x.f >= 0;
}

/* The action, from the extended communities of RFC 8955 7 and 8956. */
static int parse_action(struct json_object *attrs, struct sl_rule *a,
			struct sl_fs_route *r)
{
	struct json_object *ecs = NULL;
	bool have_rate = false;
	double rate = 0, x;
	bool packets = false;
	size_t i, n;

	a->action = SLUICE_ACT_PASS;
	if (!json_object_object_get_ex(attrs, "extended-community", &ecs))
		return 0;
	n = json_object_array_length(ecs);
	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(ecs, i), *v;
		uint64_t ec;
		uint8_t type, sub;

		if (!json_object_object_get_ex(o, "value", &v))
			return -EINVAL;
		ec = json_object_get_uint64(v);
		type = ec >> 56;
		sub = ec >> 48;
		if (type == 0x80 && (sub == 0x06 || sub == 0x0c)) {
			if (!rate_of(ec, &x))
				return refuse(r, "rate-fraction",
					      "traffic-rate: not a rate");
			if (have_rate &&
			    (x != rate || packets != (sub == 0x0c)))
				return refuse(
					r, "rate-conflict",
					"two traffic-rate actions that differ");
			have_rate = true;
			rate = x;
			packets = sub == 0x0c;
		} else if (type == 0x80 && sub == 0x07) {
			/* T, bit 47: evaluate the next routes too. */
			if (ec & 0x01)
				return refuse(
					r, "non-terminal",
					"traffic-action terminal: sluice stops at the first matching rule");
			/* S, bit 46: sluice counts every rule's packets; no sampling. */
		} else if ((type & 0xfc) == 0x80 && sub == 0x08) {
			return refuse(r, "redirect", "redirect to a VRF");
		} else if ((type == 0x08 && sub == 0x00) ||
			   ((type == 0x01 || type == 0x02 || type == 0x81 ||
			     type == 0x82) &&
			    sub == 0x0c) ||
			   (type == 0x00 && sub == 0x0c)) {
			return refuse(r, "redirect", "redirect to an IP");
		} else if (type == 0x80 && sub == 0x09) {
			return refuse(
				r, "traffic-marking",
				"traffic-marking: sluice does not rewrite DSCP");
		}
	}
	if (!have_rate)
		return 0;
	if (rate == 0) {
		a->action = SLUICE_ACT_DROP;
		return 0;
	}
	a->action = SLUICE_ACT_RATE_LIMIT;
	a->rl_per = SL_RL_PER_NONE;
	if (packets) {
		if (rate != floor(rate) || rate > UINT32_MAX)
			return refuse(
				r, "rate-fraction",
				"traffic-rate-packets %g: sluice limits whole packets/s",
				rate);
		a->rl_bytes = false;
		a->rl_rate = (uint64_t)rate;
	} else {
		if (rate * 8 != floor(rate * 8))
			return refuse(
				r, "rate-fraction",
				"traffic-rate-bytes %g: not a whole number of bits/s",
				rate);
		a->rl_bytes = true;
		a->rl_rate = (uint64_t)(rate * 8);
	}
	a->rl_burst = sl_rule_default_burst(a);
	return 0;
}

/* What the route's components say, before the expansion into rules. */
struct parsed {
	struct sl_prefix dst, src;
	bool has_dst, has_src;
	struct ivals set[SL_FS_NTYPES];
	bool has[SL_FS_NTYPES];
	struct flag_alts flags, frags;
};

/* An interval, or "any" (NULL list). */
struct span {
	bool any;
	uint32_t lo, hi;
};

static void spans_of(const struct parsed *p, int type, struct span *out,
		     size_t *n)
{
	size_t i;

	if (!p->has[type]) {
		out[0].any = true;
		*n = 1;
		return;
	}
	for (i = 0; i < p->set[type].n; i++) {
		out[i].any = false;
		out[i].lo = p->set[type].lo[i];
		out[i].hi = p->set[type].hi[i];
	}
	*n = p->set[type].n;
}

static int push_rule(struct sl_fs_route *r, const struct sl_rule *x)
{
	if (r->nrules == SL_FS_MAX_RULES)
		return refuse(r, "too-many-rules",
			      "more than %d rules for one route",
			      SL_FS_MAX_RULES),
		       -E2BIG;
	r->rules[r->nrules++] = *x;
	return 0;
}

static void set_range(struct sl_range *g, const struct span *s)
{
	g->present = !s->any;
	g->lo = s->lo;
	g->hi = s->hi;
}

/* The port combinations: (sport, dport) pairs whose union is exact. */
static size_t port_pairs(const struct parsed *p, struct span (*pairs)[2],
			 size_t max)
{
	struct span sp[ARRAY_SIZE(p->set[0].lo)], dp[ARRAY_SIZE(sp)];
	size_t nsp, ndp, i, j, n = 0;
	struct parsed q;

	if (!p->has[T_PORT]) {
		spans_of(p, T_SPORT, sp, &nsp);
		spans_of(p, T_DPORT, dp, &ndp);
		for (i = 0; i < nsp; i++)
			for (j = 0; j < ndp && n < max; j++, n++) {
				pairs[n][0] = sp[i];
				pairs[n][1] = dp[j];
			}
		return nsp * ndp > max ? max + 1 : n;
	}
	/* port P: (dport in P and D, sport in S) or (sport in P and S, dport in D) */
	q = *p;
	q.has[T_DPORT] = true;
	if (p->has[T_DPORT])
		iv_intersect(&p->set[T_PORT], &p->set[T_DPORT],
			     &q.set[T_DPORT]);
	else
		q.set[T_DPORT] = p->set[T_PORT];
	q.has[T_PORT] = false;
	n = port_pairs(&q, pairs, max);
	if (n > max)
		return n;
	q = *p;
	q.has[T_SPORT] = true;
	if (p->has[T_SPORT])
		iv_intersect(&p->set[T_PORT], &p->set[T_SPORT],
			     &q.set[T_SPORT]);
	else
		q.set[T_SPORT] = p->set[T_PORT];
	q.has[T_PORT] = false;
	j = port_pairs(&q, pairs + n, max - n);
	return n + j;
}

/*
 * The values of a component taken one by one (icmp-type, icmp-code,
 * dscp: sluice matches one value a rule), at most SL_FS_MAX_RULES of
 * them, the ones past max left out: they match nothing.  Without the
 * component, one "any" (-1).  Returns how many, or -1 when too many.
 */
static int values_of(const struct parsed *p, int type, uint32_t max, int *out)
{
	const struct ivals *s = &p->set[type];
	uint32_t v;
	size_t i;
	int n = 0;

	if (!p->has[type]) {
		out[0] = -1;
		return 1;
	}
	for (i = 0; i < s->n; i++)
		for (v = s->lo[i]; v <= s->hi[i] && v <= max; v++) {
			if (n == SL_FS_MAX_RULES)
				return -1;
			out[n++] = v;
		}
	return n;
}

/* The OR-ed alternatives a rule is one combination of, its protocol aside. */
enum { D_TYPE, D_CODE, D_PORTS, D_FLAGS, D_DSCP, D_LEN, D_FRAG, D__MAX };

/*
 * One rule for each combination of the OR-ed alternatives: protocols,
 * ICMP types and codes, port pairs, TCP flag sets, DSCPs, length ranges,
 * fragment bit sets.
 */
static void expand(const struct parsed *p, const struct sl_rule *act,
		   struct sl_fs_route *r)
{
	struct span pairs[SL_FS_MAX_RULES + 1][2];
	uint32_t protos[SL_FS_MAX_RULES];
	int types[SL_FS_MAX_RULES], codes[SL_FS_MAX_RULES];
	int dscps[SL_FS_MAX_RULES];
	int ntypes, ncodes, ndscps;
	size_t nprotos = 0, npairs, i, t, n, combos, dims[D__MAX];
	bool any_proto = false, ports, icmp, flags;
	uint8_t icmp_proto = r->family == 6 ? IPPROTO_ICMPV6_ : IPPROTO_ICMP_;
	const struct ivals *lens = &p->set[T_LENGTH];
	struct sl_rule base = *act, x;

	ports = p->has[T_PORT] || p->has[T_SPORT] || p->has[T_DPORT];
	icmp = p->has[T_ICMP_TYPE] || p->has[T_ICMP_CODE];
	flags = p->has[T_TCP_FLAGS];
	ntypes = values_of(p, T_ICMP_TYPE, 255, types);
	ncodes = values_of(p, T_ICMP_CODE, 255, codes);
	ndscps = values_of(p, T_DSCP, 63, dscps);
	if (ntypes < 0 || ncodes < 0 || ndscps < 0) {
		refuse(r, "too-many-rules", "%s: more than %d values",
		       ntypes < 0 ? "icmp-type" :
		       ncodes < 0 ? "icmp-code" :
				    "dscp",
		       SL_FS_MAX_RULES);
		return;
	}
	if (p->has[T_PROTO]) {
		if (iv_count(&p->set[T_PROTO]) > SL_FS_MAX_RULES) {
			refuse(r, "too-many-rules", "protocol: %zu values",
			       iv_count(&p->set[T_PROTO]));
			return;
		}
		for (i = 0; i < p->set[T_PROTO].n; i++)
			for (t = p->set[T_PROTO].lo[i];
			     t <= p->set[T_PROTO].hi[i]; t++)
				protos[nprotos++] = t;
	} else if (flags) {
		protos[nprotos++] = IPPROTO_TCP_;
	} else if (icmp) {
		protos[nprotos++] = icmp_proto;
	} else {
		/* Ports alone: sluice matches them in TCP and UDP, as FlowSpec does. */
		any_proto = true;
	}
	if (p->has_dst) {
		base.dst.kind = SL_ADDR_PREFIX;
		base.dst.prefix = p->dst;
	}
	if (p->has_src) {
		base.src.kind = SL_ADDR_PREFIX;
		base.src.prefix = p->src;
	}
	if (!p->has_dst && !p->has_src) {
		/* A /0 pins the family: a route of one family is not the other's. */
		base.dst.kind = SL_ADDR_PREFIX;
		memset(&base.dst.prefix, 0, sizeof(base.dst.prefix));
		base.dst.prefix.family = r->family;
	}
	npairs = ports ? port_pairs(p, pairs, SL_FS_MAX_RULES) : 1;
	if (!ports)
		pairs[0][0].any = pairs[0][1].any = true;
	if (npairs > SL_FS_MAX_RULES) {
		refuse(r, "too-many-rules", "ports: more than %d ranges",
		       SL_FS_MAX_RULES);
		return;
	}
	dims[D_TYPE] = ntypes;
	dims[D_CODE] = ncodes;
	dims[D_PORTS] = npairs;
	dims[D_FLAGS] = flags ? p->flags.n : 1;
	dims[D_DSCP] = ndscps;
	dims[D_LEN] = p->has[T_LENGTH] ? lens->n : 1;
	dims[D_FRAG] = p->has[T_FRAGMENT] ? p->frags.n : 1;
	/* At most 64 each: the product fits, and push_rule() stops at 64. */
	for (combos = 1, i = 0; i < D__MAX; i++)
		combos *= dims[i];
	for (i = 0; i < (any_proto ? 1 : nprotos); i++) {
		uint32_t proto = any_proto ? 0 : protos[i];

		/* A component that the protocol cannot carry matches nothing. */
		if (!any_proto && ports && proto != IPPROTO_TCP_ &&
		    proto != IPPROTO_UDP_)
			continue;
		if (!any_proto && flags && proto != IPPROTO_TCP_)
			continue;
		if (!any_proto && icmp && proto != icmp_proto)
			continue;
		x = base;
		x.has_proto = !any_proto;
		x.proto = proto;
		for (n = 0; n < combos; n++) {
			size_t rest = n, at[D__MAX];
			int q;

			/* The first dimension varies slowest. */
			for (q = D__MAX - 1; q >= 0; q--) {
				at[q] = rest % dims[q];
				rest /= dims[q];
			}
			x.has_icmp_type = types[at[D_TYPE]] >= 0;
			x.icmp_type = x.has_icmp_type ? types[at[D_TYPE]] : 0;
			x.has_icmp_code = codes[at[D_CODE]] >= 0;
			x.icmp_code = x.has_icmp_code ? codes[at[D_CODE]] : 0;
			set_range(&x.sport, &pairs[at[D_PORTS]][0]);
			set_range(&x.dport, &pairs[at[D_PORTS]][1]);
			if (flags) {
				x.tcp_mask = p->flags.mask[at[D_FLAGS]];
				x.tcp_value = p->flags.value[at[D_FLAGS]];
			}
			x.has_dscp = dscps[at[D_DSCP]] >= 0;
			x.dscp = x.has_dscp ? dscps[at[D_DSCP]] : 0;
			if (p->has[T_LENGTH]) {
				x.has_length = true;
				x.length_lo = lens->lo[at[D_LEN]];
				x.length_hi = lens->hi[at[D_LEN]];
			}
			if (p->has[T_FRAGMENT]) {
				x.frag_mask = p->frags.mask[at[D_FRAG]];
				x.frag_value = p->frags.value[at[D_FRAG]];
			}
			if (push_rule(r, &x))
				return;
		}
	}
	if (act->action == SLUICE_ACT_RATE_LIMIT && r->nrules > 1)
		refuse(r, "rate-over-rules",
		       "a traffic-rate over %zu rules would allow %zu times the rate",
		       r->nrules, r->nrules);
}

static const struct comp_def *comp_find(const char *name, uint8_t family)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(comp_defs); i++)
		if (!strcmp(comp_defs[i].name, name) &&
		    (!comp_defs[i].family || comp_defs[i].family == family))
			return &comp_defs[i];
	return NULL;
}

int sl_fs_route_parse(struct json_object *flow, const char *family,
		      struct json_object *attrs, struct sl_fs_route *r)
{
	struct json_object *str;
	struct parsed *p;
	struct sl_rule act;
	struct enc *e;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	if (!json_object_is_type(flow, json_type_object) ||
	    !json_object_object_get_ex(flow, "string", &str))
		return -EINVAL;
	r->nlri = strdup(json_object_get_string(str));
	p = calloc(1, sizeof(*p));
	e = calloc(1, sizeof(*e));
	r->rules = calloc(SL_FS_MAX_RULES, sizeof(*r->rules));
	if (!r->nlri || !p || !e || !r->rules) {
		ret = -ENOMEM;
		goto out;
	}
	if (!strcmp(family, "ipv4 flow")) {
		r->family = 4;
	} else if (!strcmp(family, "ipv6 flow")) {
		r->family = 6;
	} else {
		refuse(r, "family", "%s: sluice takes ipv4 flow and ipv6 flow",
		       family);
		r->family = strchr(family, '6') ? 6 : 4;
	}
	json_object_object_foreach(flow, key, val) {
		const struct comp_def *c;

		if (!strcmp(key, "string") || !strcmp(key, "next-hop"))
			continue;
		if (!strcmp(key, "rd")) {
			refuse(r, "family", "flow-vpn (a route distinguisher)");
			continue;
		}
		c = comp_find(key, r->family);
		if (!c || !json_object_is_type(val, json_type_array) ||
		    r->comp[c->type]) {
			ret = -EINVAL;
			goto out;
		}
		e->len = 0;
		e->over = false;
		if (c->refuse)
			refuse(r, c->refuse, "%s: sluice has no such match",
			       c->name);
		if (c->type == T_DST)
			ret = parse_prefix(c, val, &p->dst, e, r);
		else if (c->type == T_SRC)
			ret = parse_prefix(c, val, &p->src, e, r);
		else if (c->type == T_TCP_FLAGS)
			ret = parse_bitmask(c, r->nlri, &p->flags, e, r);
		else if (c->type == T_FRAGMENT)
			ret = parse_bitmask(c, r->nlri, &p->frags, e, r);
		else
			ret = parse_numeric(c, val, &p->set[c->type], e, r);
		if (ret || e->over) {
			ret = -EINVAL;
			goto out;
		}
		p->has[c->type] = true;
		p->has_dst |= c->type == T_DST;
		p->has_src |= c->type == T_SRC;
		r->comp[c->type] = malloc(e->len + 1);
		if (!r->comp[c->type]) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(r->comp[c->type], e->buf, e->len);
		r->comp_len[c->type] = e->len;
	}
	if (!attrs)
		goto out;
	memset(&act, 0, sizeof(act));
	ret = parse_action(attrs, &act, r);
	if (ret || r->refused)
		goto out;
	expand(p, &act, r);
out:
	free(p);
	free(e);
	if (ret == -EINVAL)
		refuse(r, "malformed",
		       "a flow ExaBGP's JSON does not describe so");
	if (r->refused)
		r->nrules = 0;
	return ret == -ENOMEM ? ret : 0;
}

void sl_fs_route_free(struct sl_fs_route *r)
{
	int i;

	free(r->nlri);
	free(r->rules);
	for (i = 0; i < SL_FS_NTYPES; i++)
		free(r->comp[i]);
	memset(r, 0, sizeof(*r));
}

/* RFC 8955 5.1 for prefixes: lower address first, if they overlap the longer. */
static int prefix_cmp(const uint8_t *a, size_t alen, const uint8_t *b,
		      size_t blen, bool v6)
{
	unsigned int la = a[0], lb = b[0], common = la < lb ? la : lb, i;
	const uint8_t *pa = a + (v6 ? 2 : 1), *pb = b + (v6 ? 2 : 1);

	for (i = 0; i < common; i++) {
		int ba = pa[i / 8] >> (7 - i % 8) & 1;
		int bb = pb[i / 8] >> (7 - i % 8) & 1;

		if (ba != bb)
			return ba - bb;
	}
	return (int)lb - (int)la;
}

int sl_fs_route_cmp(const struct sl_fs_route *a, const struct sl_fs_route *b)
{
	int t, c;

	if (a->family != b->family)
		return a->family - b->family;
	for (t = 1; t < SL_FS_NTYPES; t++) {
		size_t la = a->comp_len[t], lb = b->comp_len[t];

		if (!!a->comp[t] != !!b->comp[t])
			return a->comp[t] ? -1 : 1;
		if (!a->comp[t])
			continue;
		if (t == T_DST || t == T_SRC) {
			c = prefix_cmp(a->comp[t], la, b->comp[t], lb,
				       a->family == 6);
		} else {
			c = memcmp(a->comp[t], b->comp[t], la < lb ? la : lb);
			if (!c)
				c = (int)lb - (int)la;
		}
		if (c)
			return c;
	}
	return 0;
}
