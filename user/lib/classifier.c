// SPDX-License-Identifier: GPL-2.0-only
/*
 * The classifier's index (see bpf/classify.h): anchor every compiled rule
 * by its most selective field and file it in that field's index, written
 * into one generation's half of the mapped maps.
 *
 * Address and port anchors are prefixes (a port range becomes aligned
 * blocks).  Each distinct prefix gets one list of its rules, chained to
 * the list of the nearest enclosing prefix that has one; a value's entry
 * in the index names the list of the innermost prefix holding it.  So a
 * rule is stored once per prefix it is filed under, never copied into the
 * lists of the prefixes below it, and the index of a rule set is linear
 * in its size.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "classifier.h"

typedef unsigned __int128 u128;

/* A rule filed under a prefix of a 128-bit space (ports: the top 16). */
struct pfx_item {
	u128 start;
	__u8 len;
	__u32 rule;
};

struct ix {
	__u32 gen;
	__u64 *pool; /* this generation's half */
	__u32 used;
	__u32 cap;
	struct sluice_iv *ivs;
	__u32 ivs_used;
};

/* Append a list; returns its absolute offset, 0 for an empty one. */
static int pool_add(struct ix *x, const __u32 *rules, __u32 n, __u32 next,
		    __u32 *off)
{
	if (!n) {
		*off = next;
		return 0;
	}
	if ((size_t)x->used + SLUICE_LIST_HDR + n > x->cap)
		return -E2BIG;
	*off = sluice_pool_base(x->gen) + x->used;
	x->pool[x->used++] = sluice_list_hdr(n, next);
	while (n--)
		x->pool[x->used++] = *rules++;
	return 0;
}

static u128 pfx_last(u128 start, __u8 len)
{
	/* A shift by the type's width is undefined: a /128 is one address. */
	return len >= 128 ? start : start | (~(u128)0 >> len);
}

static int cmp_pfx(const void *a, const void *b)
{
	const struct pfx_item *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Where a value's list changes: from start on, the list to probe. */
struct seg {
	u128 start;
	__u32 list;
};

struct open_pfx {
	u128 last;
	__u32 list;
};

static int seg_push(struct seg **segs, size_t *n, size_t *cap, u128 start,
		    __u32 list)
{
	if (*n && (*segs)[*n - 1].start == start) {
		(*segs)[*n - 1].list = list;
		return 0;
	}
	if (*n && (*segs)[*n - 1].list == list)
		return 0;
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 256;
		struct seg *s = realloc(*segs, c * sizeof(*s));

		if (!s)
			return -ENOMEM;
		*segs = s;
		*cap = c;
	}
	(*segs)[(*n)++] = (struct seg){ start, list };
	return 0;
}

/* Close the open prefixes that end before at (all of them: at = 0). */
static int close_until(struct open_pfx *stack, int *depth, u128 at, bool all,
		       struct seg **segs, size_t *n, size_t *cap)
{
	int ret;

	while (*depth && (all || stack[*depth - 1].last < at)) {
		u128 last = stack[--*depth].last;

		if (last == ~(u128)0)
			continue;
		ret = seg_push(segs, n, cap, last + 1,
			       *depth ? stack[*depth - 1].list : 0);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The lists of a prefix index and the segments of the value space:
 * segs[i].list holds from segs[i].start up to the next start.
 */
static int pfx_build(struct ix *x, struct pfx_item *items, size_t n,
		     struct seg **segs_out, size_t *nsegs)
{
	struct open_pfx stack[130];
	struct seg *segs = NULL;
	size_t i, j, cap = 0, ns = 0;
	__u32 *rules = NULL;
	int depth = 0, ret = 0;

	qsort(items, n, sizeof(*items), cmp_pfx);
	rules = malloc((n ? n : 1) * sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	ret = seg_push(&segs, &ns, &cap, 0, 0);
	for (i = 0; i < n && !ret; i = j) {
		u128 start = items[i].start;
		__u8 len = items[i].len;
		__u32 k = 0, list;

		for (j = i;
		     j < n && items[j].start == start && items[j].len == len;
		     j++)
			rules[k++] = items[j].rule;
		ret = close_until(stack, &depth, start, false, &segs, &ns,
				  &cap);
		if (ret)
			break;
		ret = pool_add(x, rules, k, depth ? stack[depth - 1].list : 0,
			       &list);
		if (ret)
			break;
		ret = seg_push(&segs, &ns, &cap, start, list);
		stack[depth++] =
			(struct open_pfx){ pfx_last(start, len), list };
	}
	if (!ret)
		ret = close_until(stack, &depth, 0, true, &segs, &ns, &cap);
	free(rules);
	if (ret) {
		free(segs);
		return ret;
	}
	*segs_out = segs;
	*nsegs = ns;
	return 0;
}

/* A port index: every port's entry names its list. */
static int port_index(struct ix *x, struct pfx_item *items, size_t n,
		      __u64 *entries)
{
	struct seg *segs;
	size_t ns, s;
	__u32 port;
	int ret;

	ret = pfx_build(x, items, n, &segs, &ns);
	if (ret)
		return ret;
	for (port = 0, s = 0; port < SLUICE_PORTS; port++) {
		u128 at = (u128)port << 112;

		while (s + 1 < ns && segs[s + 1].start <= at)
			s++;
		entries[port] = segs[s].list;
	}
	free(segs);
	return 0;
}

/*
 * An address index: a root entry per /16 names the list, or, where
 * segments start inside the /16, a run of them to search.
 */
static int addr_index(struct ix *x, struct pfx_item *items, size_t n,
		      __u64 *root)
{
	struct seg *segs;
	size_t ns, s = 0, e;
	__u32 top, k;
	int ret;

	ret = pfx_build(x, items, n, &segs, &ns);
	if (ret)
		return ret;
	for (top = 0; top < SLUICE_ADDR_ROOT; top++) {
		u128 lo = (u128)top << 112, next = (u128)(top + 1) << 112;

		while (s + 1 < ns && segs[s + 1].start <= lo)
			s++;
		for (e = s + 1; e < ns && (top == SLUICE_ADDR_ROOT - 1 ||
					   segs[e].start < next);
		     e++)
			;
		if (e == s + 1) {
			root[top] = segs[s].list;
			continue;
		}
		if ((size_t)x->ivs_used + (e - s) > SLUICE_ADDR_IVS) {
			ret = -E2BIG;
			break;
		}
		root[top] = SLUICE_ROOT_RUN |
			    (x->gen * SLUICE_ADDR_IVS + x->ivs_used);
		for (k = 0; k < e - s; k++) {
			struct sluice_iv *iv = &x->ivs[x->ivs_used + k];
			u128 start = k ? segs[s + k].start : lo;

			iv->hi = (__u64)(start >> 64);
			iv->lo = (__u64)start;
			iv->list = segs[s + k].list;
			iv->n = k ? 0 : e - s;
		}
		x->ivs_used += e - s;
		s = e - 1;
	}
	free(segs);
	return ret;
}

/* Rules filed under an exact value, value-major: one list per value. */
struct val_item {
	__u32 value;
	__u32 rule;
};

static int cmp_val(const void *a, const void *b)
{
	const struct val_item *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static int val_index(struct ix *x, struct val_item *items, size_t n,
		     __u64 *entries)
{
	__u32 *rules;
	size_t i, j;
	int ret = 0;

	qsort(items, n, sizeof(*items), cmp_val);
	rules = malloc((n ? n : 1) * sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	for (i = 0; i < n && !ret; i = j) {
		__u32 k = 0, list;

		for (j = i; j < n && items[j].value == items[i].value; j++)
			rules[k++] = items[j].rule;
		ret = pool_add(x, rules, k, 0, &list);
		entries[items[i].value] = list;
	}
	free(rules);
	return ret;
}

/* How many bits of its field's space a rule's match pins down. */
static int prefix_bits(const struct sluice_key *mask, bool dst, bool v6)
{
	const __u8 *m = dst ? mask->dst : mask->src;
	int bits = 0, i;

	for (i = 0; i < (v6 ? 16 : 4); i++)
		bits += __builtin_popcount(m[i]);
	return bits;
}

static int range_bits(__u16 lo, __u16 hi)
{
	__u32 width = (__u32)hi - lo + 1;
	int bits = 16;

	while (width > 1) {
		width = (width + 1) / 2;
		bits--;
	}
	return bits;
}

/* At most this many aligned blocks for a port range that anchors a rule. */
#define SL_PORT_BLOCKS_MAX 32

static int port_blocks(__u16 lo16, __u16 hi16, __u16 *val, __u8 *len)
{
	__u32 a = lo16, b = hi16;
	int n = 0;

	while (a <= b) {
		__u32 size = 1;
		__u8 l = 16;

		while (l > 0 && !(a & (size * 2 - 1)) &&
		       a + size * 2 - 1 <= b) {
			size *= 2;
			l--;
		}
		val[n] = a;
		len[n++] = l;
		a += size;
	}
	return n;
}

/*
 * The anchor of a rule: the field whose match selects the fewest
 * packets, as bits of its space, ties to the earlier in this order.
 * Port ranges of more than max_blocks blocks do not anchor; with
 * max_blocks < 0 nothing does.
 */
static enum sluice_anchor choose(const struct sluice_crule *r, int max_blocks)
{
	__u16 v[SL_PORT_BLOCKS_MAX];
	__u8 l[SL_PORT_BLOCKS_MAX];
	enum sluice_anchor best = SLUICE_AN_ANY;
	bool v6 = r->value.family == 6;
	int best_bits = 0, bits;

	if (max_blocks < 0)
		return SLUICE_AN_ANY;
#define CONSIDER(an, b)                   \
	do {                              \
		bits = (b);               \
		if (bits > best_bits) {   \
			best_bits = bits; \
			best = (an);      \
		}                         \
	} while (0)

	if (r->mask.family) {
		CONSIDER(v6 ? SLUICE_AN_SRC6 : SLUICE_AN_SRC4,
			 prefix_bits(&r->mask, false, v6));
		CONSIDER(v6 ? SLUICE_AN_DST6 : SLUICE_AN_DST4,
			 prefix_bits(&r->mask, true, v6));
	}
	if (r->needs & SLUICE_HAS_PORTS) {
		if (port_blocks(r->dport_lo, r->dport_hi, v, l) <= max_blocks)
			CONSIDER(SLUICE_AN_DPORT,
				 range_bits(r->dport_lo, r->dport_hi));
		if (port_blocks(r->sport_lo, r->sport_hi, v, l) <= max_blocks)
			CONSIDER(SLUICE_AN_SPORT,
				 range_bits(r->sport_lo, r->sport_hi));
	}
	if (r->mask.vlan)
		CONSIDER(SLUICE_AN_VLAN, 12);
	if (r->mask.icmp_type)
		CONSIDER(SLUICE_AN_ICMP, 8);
	/* Most traffic is TCP or UDP on one or two interfaces. */
	if (r->mask.proto)
		CONSIDER(SLUICE_AN_PROTO, 2);
	if (r->mask.slot)
		CONSIDER(SLUICE_AN_SLOT, 1);
	if (best == SLUICE_AN_ANY && r->src_set)
		best = SLUICE_AN_SRCSET;
	else if (best == SLUICE_AN_ANY && r->dst_set)
		best = SLUICE_AN_DSTSET;
#undef CONSIDER
	return best;
}

/* Everything a build collects before it writes the indexes. */
struct filing {
	struct pfx_item *pfx[SLUICE_AN__MAX];
	size_t npfx[SLUICE_AN__MAX];
	struct val_item *val[SLUICE_AN__MAX];
	size_t nval[SLUICE_AN__MAX];
	__u32 *any;
	size_t nany;
	struct val_item *sets; /* value: dst << 8 | set */
	size_t nsets;
};

static void filing_free(struct filing *f)
{
	int a;

	for (a = 0; a < SLUICE_AN__MAX; a++) {
		free(f->pfx[a]);
		free(f->val[a]);
	}
	free(f->any);
	free(f->sets);
	memset(f, 0, sizeof(*f));
}

static u128 addr_start(const __u8 *addr, bool v6)
{
	u128 v = 0;
	int i;

	for (i = 0; i < (v6 ? 16 : 4); i++)
		v |= (u128)addr[i] << (120 - 8 * i);
	return v;
}

static int filing_alloc(struct filing *f, size_t nrules)
{
	int a;

	f->any = malloc((nrules + 1) * sizeof(*f->any));
	f->sets = malloc((nrules + 1) * sizeof(*f->sets));
	if (!f->any || !f->sets)
		return -ENOMEM;
	/* A rule files one item, or one per block of its port range. */
	for (a = 0; a < SLUICE_AN__MAX; a++) {
		size_t n = a == SLUICE_AN_SPORT || a == SLUICE_AN_DPORT ?
				   nrules * SL_PORT_BLOCKS_MAX :
				   nrules;

		if (a >= SLUICE_AN_SPORT && a <= SLUICE_AN_DST6)
			f->pfx[a] = malloc((n + 1) * sizeof(*f->pfx[a]));
		else if (a >= SLUICE_AN_SLOT && a <= SLUICE_AN_ICMP)
			f->val[a] = malloc((n + 1) * sizeof(*f->val[a]));
		else
			continue;
		if (!f->pfx[a] && !f->val[a])
			return -ENOMEM;
	}
	return 0;
}

/* Where in the exact-value indexes a rule anchored by a is filed. */
static __u32 small_entry(const struct sluice_crule *r, enum sluice_anchor a)
{
	switch (a) {
	case SLUICE_AN_SLOT:
		return SLUICE_SMALL_SLOT + r->value.slot;
	case SLUICE_AN_VLAN:
		return SLUICE_SMALL_VLAN + r->value.vlan;
	case SLUICE_AN_PROTO:
		return SLUICE_SMALL_PROTO + r->value.proto;
	default:
		return SLUICE_SMALL_ICMP + r->value.icmp_type;
	}
}

static void file_rule(struct filing *f, const struct sluice_crule *r, __u32 idx,
		      int max_blocks)
{
	enum sluice_anchor a = choose(r, max_blocks);
	__u16 v[SL_PORT_BLOCKS_MAX];
	__u8 l[SL_PORT_BLOCKS_MAX];
	bool dst, v6;
	int nb, b;

	switch (a) {
	case SLUICE_AN_ANY:
		f->any[f->nany++] = idx;
		return;
	case SLUICE_AN_SRCSET:
	case SLUICE_AN_DSTSET:
		f->sets[f->nsets++] = (struct val_item){
			a == SLUICE_AN_DSTSET ? 256 | r->dst_set : r->src_set,
			idx
		};
		return;
	case SLUICE_AN_SLOT:
	case SLUICE_AN_VLAN:
	case SLUICE_AN_PROTO:
	case SLUICE_AN_ICMP:
		f->val[a][f->nval[a]++] =
			(struct val_item){ small_entry(r, a), idx };
		return;
	case SLUICE_AN_SPORT:
	case SLUICE_AN_DPORT:
		nb = a == SLUICE_AN_DPORT ?
			     port_blocks(r->dport_lo, r->dport_hi, v, l) :
			     port_blocks(r->sport_lo, r->sport_hi, v, l);
		for (b = 0; b < nb; b++)
			f->pfx[a][f->npfx[a]++] =
				(struct pfx_item){ (u128)v[b] << 112, l[b],
						   idx };
		return;
	case SLUICE_AN_SRC4:
	case SLUICE_AN_SRC6:
	case SLUICE_AN_DST4:
	case SLUICE_AN_DST6:
		dst = a == SLUICE_AN_DST4 || a == SLUICE_AN_DST6;
		v6 = a == SLUICE_AN_SRC6 || a == SLUICE_AN_DST6;
		f->pfx[a][f->npfx[a]++] = (struct pfx_item){
			addr_start(dst ? r->value.dst : r->value.src, v6),
			prefix_bits(&r->mask, dst, v6), idx
		};
		return;
	default:
		return;
	}
}

static const struct {
	enum sluice_anchor an;
	enum sluice_addr_field field;
} addr_anchors[] = {
	{ SLUICE_AN_SRC4, SLUICE_ADDR_SRC4 },
	{ SLUICE_AN_DST4, SLUICE_ADDR_DST4 },
	{ SLUICE_AN_SRC6, SLUICE_ADDR_SRC6 },
	{ SLUICE_AN_DST6, SLUICE_ADDR_DST6 },
};

static int write_index(struct ix *x, struct filing *f,
		       const struct sl_ix_maps *m, struct sluice_ruleset *rs)
{
	__u64 *small = m->small + x->gen * SLUICE_SMALL_ENTRIES;
	__u64 set_lists[2 * 256];
	unsigned int k;
	int a, ret;

	memset(small, 0, SLUICE_SMALL_ENTRIES * sizeof(*small));
	ret = pool_add(x, f->any, f->nany, 0, &rs->any);
	for (a = SLUICE_AN_SLOT; a <= SLUICE_AN_ICMP && !ret; a++)
		ret = val_index(x, f->val[a], f->nval[a], small);
	if (!ret)
		ret = port_index(x, f->pfx[SLUICE_AN_SPORT],
				 f->npfx[SLUICE_AN_SPORT],
				 m->ports + sluice_port_idx(x->gen, 0, 0));
	if (!ret)
		ret = port_index(x, f->pfx[SLUICE_AN_DPORT],
				 f->npfx[SLUICE_AN_DPORT],
				 m->ports + sluice_port_idx(x->gen, 1, 0));
	for (k = 0; k < sizeof(addr_anchors) / sizeof(addr_anchors[0]) && !ret;
	     k++)
		ret = addr_index(
			x, f->pfx[addr_anchors[k].an],
			f->npfx[addr_anchors[k].an],
			m->roots + sluice_root_idx(x->gen,
						   addr_anchors[k].field, 0));
	if (ret)
		return ret;

	/* Set lists, by dst << 8 | set, then as the packets see them. */
	memset(set_lists, 0, sizeof(set_lists));
	ret = val_index(x, f->sets, f->nsets, set_lists);
	if (ret)
		return ret;
	for (k = 0; k < 2 * 256; k++) {
		if (!set_lists[k])
			continue;
		rs->sets[rs->nsets++] = (struct sluice_set_anchor){
			.dst = k >> 8, .set = k & 0xff, .list = set_lists[k]
		};
	}
	for (a = 0; a < SLUICE_AN__MAX; a++)
		if (f->npfx[a] || f->nval[a])
			rs->anchors |= 1U << a;
	if (f->nany)
		rs->anchors |= 1U << SLUICE_AN_ANY;
	if (f->nsets)
		rs->anchors |= 1U << SLUICE_AN_SRCSET;
	return 0;
}

/* What a rule matches, its priority and action aside. */
#define SL_MATCH_BYTES offsetof(struct sluice_crule, prio)

static int cmp_match(const void *a, const void *b, void *rules)
{
	const struct sluice_crule *x =
		(const struct sluice_crule *)rules + *(const __u32 *)a;
	const struct sluice_crule *y =
		(const struct sluice_crule *)rules + *(const __u32 *)b;
	int c = memcmp(x, y, SL_MATCH_BYTES);

	if (!c)
		c = (int)x->src_set - y->src_set;
	if (!c)
		c = (int)x->dst_set - y->dst_set;
	if (!c)
		c = *(const __u32 *)a < *(const __u32 *)b ? -1 : 1;
	return c;
}

/*
 * Rules that match exactly what a better rule matches can never decide a
 * packet: leave them out of the index.
 */
static int shadowed(const struct sluice_crule *rules, __u32 n, bool **out)
{
	__u32 *order = malloc((n + 1) * sizeof(*order)), i;
	bool *sh = calloc(n + 1, sizeof(*sh));

	if (!order || !sh) {
		free(order);
		free(sh);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		order[i] = i + 1;
	qsort_r(order, n, sizeof(*order), cmp_match, (void *)rules);
	for (i = 1; i < n; i++) {
		const struct sluice_crule *x = &rules[order[i - 1]];
		const struct sluice_crule *y = &rules[order[i]];

		sh[order[i]] = !memcmp(x, y, SL_MATCH_BYTES) &&
			       x->src_set == y->src_set &&
			       x->dst_set == y->dst_set;
	}
	free(order);
	*out = sh;
	return 0;
}

/*
 * Port ranges split into many blocks are filed under another field when
 * the pool would not hold them; as a last resort every rule goes into
 * the list each packet walks, which always fits.
 */
static const int block_limits[] = { SL_PORT_BLOCKS_MAX, 2, -1 };

static int build_once(const struct sl_ix_maps *m, __u32 gen,
		      const struct sluice_crule *rules, __u32 n,
		      const bool *shadow, int max_blocks,
		      struct sluice_ruleset *rs)
{
	struct ix x = {
		.gen = gen,
		.pool = m->pool + sluice_pool_base(gen),
		.cap = SLUICE_POOL_ENTRIES,
		.ivs = m->ivs + gen * SLUICE_ADDR_IVS,
		/* Offset 0 means "no list": never hand it out. */
		.used = 1,
	};
	struct filing f = {};
	__u32 i;
	int ret;

	memset(rs, 0, sizeof(*rs));
	rs->nrules = n;
	ret = filing_alloc(&f, n);
	for (i = 1; i <= n && !ret; i++)
		if (!shadow[i])
			file_rule(&f, &rules[i], gen * SLUICE_MAX_RULES + i,
				  max_blocks);
	if (!ret)
		ret = write_index(&x, &f, m, rs);
	rs->pool_used = x.used;
	rs->ivs_used = x.ivs_used;
	if (max_blocks < 0)
		rs->unindexed = f.nany;
	filing_free(&f);
	return ret;
}

int sl_ix_build(const struct sl_ix_maps *m, __u32 gen,
		const struct sluice_crule *rules, __u32 n,
		struct sluice_ruleset *rs)
{
	unsigned int attempt;
	bool *shadow;
	int ret;

	ret = shadowed(rules, n, &shadow);
	if (ret)
		return ret;
	for (attempt = 0;
	     attempt < sizeof(block_limits) / sizeof(block_limits[0]);
	     attempt++) {
		ret = build_once(m, gen, rules, n, shadow,
				 block_limits[attempt], rs);
		if (ret != -E2BIG)
			break;
	}
	free(shadow);
	return ret;
}
