/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Classify: first match wins over an ordered rule list.  API:
 *   sl_classify(pkt, match) - the best rule the packet matches, if any.
 *
 * User space anchors every rule by one field it matches, the most
 * selective one (a source or destination prefix, a port block, the VLAN,
 * the ICMP type, the protocol, the interface, a set, or nothing), and
 * files it in that field's index.  A packet looks each of its fields up
 * once, in a table indexed by the field's value: the result is a list of
 * candidates, the rules anchored by a prefix or block holding that value,
 * chained to the lists of the shorter prefixes (wider blocks) that hold
 * it too.  Candidates are checked in full and in priority order; a list
 * is left at the first candidate no better than the best match so far.
 *
 * So a packet costs one lookup per field, whatever the number of rules,
 * plus the candidates its field values really select: those of a rule
 * set with thousands of rules and a random flood are a handful.  The
 * worst case is many rules whose every anchor holds the same value (say,
 * ten thousand rules anchored by "proto udp" alone): then the list of
 * that value is long, and a packet may walk it.
 *
 * Live, the indexes and the sets' tables are much larger than the CPU's
 * caches, and each lookup is a miss: a flow cache (flowcache.h) in front
 * answers a key seen before with one line.
 */
#ifndef __SLUICE_CLASSIFY_H
#define __SLUICE_CLASSIFY_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "flowcache.h"
#include "maps.h"
#include "parse.h"
#include "set.h"

#define SL_NO_PRIO 0x10000
#define SL_NO_RULE 0xffffffffu

/* The deepest chain of lists: a prefix in each of 129 lengths. */
#define SL_MAX_CHAIN 129
/* Binary search steps over a run of at most SLUICE_ADDR_IVS intervals. */
#define SL_IV_STEPS 19

struct sl_match {
	__u32 prio; /* SL_NO_PRIO: nothing matched */
	__u32 action;
	__u32 arg;
	__u32 gen;
};

struct sl_walk {
	const struct sl_pkt *p;
	struct sl_set_memo src_memo, dst_memo;
	__u32 gen;
	__u32 best; /* index of the best rule so far, or SL_NO_RULE */
	__u32 list; /* the list being walked */
	__u32 entry; /* its first rule entry */
};

static __always_inline bool sl_rule_matches(struct sl_walk *w,
					    const struct sluice_crule *r)
{
	const struct sl_pkt *p = w->p;
	const __u64 *pw = p->words, *mw, *vw;

	if (r->needs & ~p->has)
		return false;
	mw = (const __u64 *)&r->mask;
	vw = (const __u64 *)&r->value;
	if (((pw[0] & mw[0]) ^ vw[0]) | ((pw[1] & mw[1]) ^ vw[1]) |
	    ((pw[2] & mw[2]) ^ vw[2]) | ((pw[3] & mw[3]) ^ vw[3]) |
	    ((pw[4] & mw[4]) ^ vw[4]) | ((pw[5] & mw[5]) ^ vw[5]))
		return false;
	if (r->needs & SLUICE_HAS_PORTS &&
	    (p->key.sport < r->sport_lo || p->key.sport > r->sport_hi ||
	     p->key.dport < r->dport_lo || p->key.dport > r->dport_hi))
		return false;
	if (r->needs & SLUICE_HAS_LEN &&
	    (p->len < r->len_lo || p->len > r->len_hi))
		return false;
	if (r->src_set &&
	    !sl_set_member(&w->src_memo, r->src_set, p, p->key.src))
		return false;
	if (r->dst_set &&
	    !sl_set_member(&w->dst_memo, r->dst_set, p, p->key.dst))
		return false;
	return true;
}

/* One candidate of a list; returns 1 to leave the list. */
static int sl_scan_entry(__u32 i, struct sl_walk *w)
{
	__u32 idx = w->entry + i, rule;
	struct sluice_crule *r;
	__u64 *e;

	e = bpf_map_lookup_elem(&sl_pool, &idx);
	if (!e || *e >= w->best)
		return 1;
	rule = *e;
	r = bpf_map_lookup_elem(&sl_crules, &rule);
	if (r && sl_rule_matches(w, r)) {
		w->best = rule;
		return 1;
	}
	return 0;
}

/* One list, not its chain; returns the next list of the chain, or 0. */
static __always_inline __u32 sl_scan_list(struct sl_walk *w, __u32 at)
{
	__u64 *hdr, h;

	hdr = bpf_map_lookup_elem(&sl_pool, &at);
	if (!hdr)
		return 0;
	h = *hdr;
	w->entry = at + SLUICE_LIST_HDR;
	bpf_loop((__u32)h, sl_scan_entry, w, 0);
	return h >> 32;
}

/* One list of a chain; returns 1 at the end of the chain. */
static int sl_scan_link(__u32 i, struct sl_walk *w)
{
	w->list = sl_scan_list(w, w->list);
	return !w->list;
}

static __always_inline void sl_scan(struct sl_walk *w, __u32 list)
{
	if (!list)
		return;
	w->list = list;
	bpf_loop(SL_MAX_CHAIN, sl_scan_link, w, 0);
}

static __always_inline bool sl_anchored(const struct sluice_ruleset *rs,
					enum sluice_anchor a)
{
	return rs->anchors & (1U << a);
}

static __always_inline __u32 sl_small_list(__u32 gen, __u32 idx)
{
	__u64 *l;

	idx += gen * SLUICE_SMALL_ENTRIES;
	l = bpf_map_lookup_elem(&sl_small_idx, &idx);
	return l ? *l : 0;
}

static __always_inline __u32 sl_port_list(__u32 gen, __u32 dport, __u16 port)
{
	__u32 idx = sluice_port_idx(gen, dport, port);
	__u64 *l;

	l = bpf_map_lookup_elem(&sl_port_idx, &idx);
	return l ? *l : 0;
}

static __always_inline bool sl_iv_after(const struct sluice_iv *iv, __u64 hi,
					__u64 lo)
{
	return iv->hi > hi || (iv->hi == hi && iv->lo > lo);
}

/*
 * An address's list: its root entry, or the interval holding it in the
 * root's run (a binary search, for /16s that rules split).
 */
static __always_inline __u32 sl_addr_list(__u32 gen, __u32 field,
					  const __u8 *addr, bool v6)
{
	__u32 top = (__u32)addr[0] << 8 | addr[1];
	__u32 idx = sluice_root_idx(gen, field, top), base, lo, hi, mid, i;
	struct sluice_iv *iv;
	__u64 ahi, alo = 0, *root;

	root = bpf_map_lookup_elem(&sl_addr_root, &idx);
	if (!root)
		return 0;
	if (!(*root & SLUICE_ROOT_RUN))
		return *root;

	if (v6) {
		ahi = bpf_be64_to_cpu(*(__u64 *)addr);
		alo = bpf_be64_to_cpu(*(__u64 *)(addr + 8));
	} else {
		ahi = (__u64)bpf_ntohl(*(__u32 *)addr) << 32;
	}
	base = *root & ~SLUICE_ROOT_RUN;
	iv = bpf_map_lookup_elem(&sl_addr_ivs, &base);
	if (!iv)
		return 0;
	/* The run's first interval starts at the /16: find the last start <= addr. */
	lo = 0;
	hi = iv->n;
	for (i = 0; i < SL_IV_STEPS && hi - lo > 1; i++) {
		mid = (lo + hi) / 2;
		idx = base + mid;
		iv = bpf_map_lookup_elem(&sl_addr_ivs, &idx);
		if (!iv)
			return 0;
		if (sl_iv_after(iv, ahi, alo))
			hi = mid;
		else
			lo = mid;
	}
	idx = base + lo;
	iv = bpf_map_lookup_elem(&sl_addr_ivs, &idx);
	return iv ? iv->list : 0;
}

static int sl_scan_set(__u32 i, struct sl_walk *w)
{
	const struct sl_pkt *p = w->p;
	const struct sluice_set_anchor *a;
	struct sluice_ruleset *rs;

	rs = bpf_map_lookup_elem(&sl_rulesets, &w->gen);
	if (!rs || i >= SLUICE_MAX_SET_ANCHORS)
		return 1;
	a = &rs->sets[i];
	/* Set lists have no chain: one frame less on the stack. */
	if (a->list &&
	    (a->dst ? sl_set_member(&w->dst_memo, a->set, p, p->key.dst) :
		      sl_set_member(&w->src_memo, a->set, p, p->key.src)))
		sl_scan_list(w, a->list);
	return 0;
}

/*
 * The best rule for a packet: every index its fields select.  A global
 * subprogram, so the verifier checks it once, on its own, rather than
 * once for each state of the pipeline that calls it.  Returns the rule's
 * index, or -1.
 */
__noinline int sl_lookup(const struct sl_pkt *pkt, __u32 gen)
{
	struct sl_walk w = { .best = SL_NO_RULE };
	const struct sluice_ruleset *rs;
	const struct sl_pkt *p = pkt;
	bool v6;

	if (!pkt)
		return -1;
	w.p = pkt;
	w.gen = gen & 1;
	rs = bpf_map_lookup_elem(&sl_rulesets, &w.gen);
	if (!rs)
		return -1;
	gen = w.gen;
	sl_scan(&w, rs->any);
	if (sl_anchored(rs, SLUICE_AN_SLOT))
		sl_scan(&w, sl_small_list(gen, SLUICE_SMALL_SLOT +
						       (p->key.slot & 0xff)));
	if (p->has & SLUICE_HAS_VLAN && sl_anchored(rs, SLUICE_AN_VLAN))
		sl_scan(&w, sl_small_list(gen, SLUICE_SMALL_VLAN +
						       (p->key.vlan & 0xfff)));
	if (p->has & SLUICE_HAS_IP) {
		if (sl_anchored(rs, SLUICE_AN_PROTO))
			sl_scan(&w, sl_small_list(gen, SLUICE_SMALL_PROTO +
							       p->key.proto));
		v6 = p->key.family == 6;
		if (sl_anchored(rs, v6 ? SLUICE_AN_SRC6 : SLUICE_AN_SRC4))
			sl_scan(&w, sl_addr_list(gen,
						 v6 ? SLUICE_ADDR_SRC6 :
						      SLUICE_ADDR_SRC4,
						 p->key.src, v6));
		if (sl_anchored(rs, v6 ? SLUICE_AN_DST6 : SLUICE_AN_DST4))
			sl_scan(&w, sl_addr_list(gen,
						 v6 ? SLUICE_ADDR_DST6 :
						      SLUICE_ADDR_DST4,
						 p->key.dst, v6));
		if (rs->nsets)
			bpf_loop(rs->nsets, sl_scan_set, &w, 0);
	}
	if (p->has & SLUICE_HAS_PORTS) {
		if (sl_anchored(rs, SLUICE_AN_SPORT))
			sl_scan(&w, sl_port_list(gen, 0, p->key.sport));
		if (sl_anchored(rs, SLUICE_AN_DPORT))
			sl_scan(&w, sl_port_list(gen, 1, p->key.dport));
	}
	if (p->has & SLUICE_HAS_ICMP && sl_anchored(rs, SLUICE_AN_ICMP))
		sl_scan(&w, sl_small_list(gen, SLUICE_SMALL_ICMP +
						       p->key.icmp_type));
	return w.best == SL_NO_RULE ? -1 : (int)w.best;
}

/* The verdict of rule best (SL_NO_RULE: none) of generation gen. */
static __always_inline void sl_match_rule(__u32 best, __u32 gen,
					  struct sl_match *m)
{
	struct sluice_crule *r;

	if (best == SL_NO_RULE)
		return;
	r = bpf_map_lookup_elem(&sl_crules, &best);
	if (!r)
		return;
	m->gen = gen;
	m->prio = r->prio;
	m->action = r->action;
	m->arg = r->arg;
}

static __always_inline void sl_classify(const struct sl_pkt *p,
					struct sl_match *m)
{
	const struct sluice_flowc_entry *e;
	struct sl_flowc_luck *luck;
	struct sluice_ruleset *rs;
	struct sluice_state *st;
	__u32 zero = 0, gen, epoch;
	__u64 h = 0;

	m->prio = SL_NO_PRIO;
	m->action = 0;
	m->arg = 0;
	m->gen = 0;
	epoch = sl_flowc_now();
	st = bpf_map_lookup_elem(&sl_state, &zero);
	if (!st)
		return;
	gen = st->active_gen & 1;
	rs = bpf_map_lookup_elem(&sl_rulesets, &gen);
	if (!rs || !rs->nrules)
		return;
	luck = epoch ? sl_flowc_cold() : NULL;
	if (luck) {
		h = sl_flowc_hash(p);
		e = sl_flowc_get(p, h, epoch);
		sl_flowc_note(luck, e);
		if (e) {
			if (e->prio) {
				m->gen = gen;
				m->prio = e->prio;
				m->action = e->action;
				m->arg = e->arg;
			}
			return;
		}
	}
	sl_match_rule((__u32)sl_lookup(p, gen), gen, m); /* -1: SL_NO_RULE */
	if (luck)
		sl_flowc_put(p, h, epoch, m->prio == SL_NO_PRIO ? 0 : m->prio,
			     m->action, m->arg);
}

#endif /* __SLUICE_CLASSIFY_H */
