/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Classify: first match wins over an ordered rule list, by tuple-space
 * search.  Rules of one shape (which fields, which prefix lengths, which
 * sets) form a tuple; a tuple is one masked-key probe however many rules
 * it holds, so the cost follows the number of shapes, not of rules.
 * Tuples are sorted by their best priority, so the walk stops as soon as
 * no remaining tuple can beat what matched.
 */
#ifndef __SLUICE_CLASSIFY_H
#define __SLUICE_CLASSIFY_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "maps.h"
#include "parse.h"
#include "set.h"

#define SL_NO_PRIO 0x10000

struct sl_match {
	__u32 prio; /* SL_NO_PRIO: nothing matched */
	__u32 action;
	__u32 arg;
	__u32 gen;
};

static __always_inline bool sl_slot_is(const struct sluice_slot *s, __u64 k0,
				       __u64 k1, __u64 k2, __u64 k3, __u64 k4,
				       __u64 k5)
{
	const __u64 *w = (const __u64 *)&s->key;

	return w[0] == k0 && w[1] == k1 && w[2] == k2 && w[3] == k3 &&
	       w[4] == k4 && w[5] == k5;
}

struct sl_walk {
	const struct sl_pkt *p;
	struct sl_set_memo src_memo, dst_memo;
	__u32 gen;
	__u32 ntuples;
	__u32 best; /* priority of the best match so far */
	__u32 action;
	__u32 arg;
};

static __always_inline bool sl_tuple_sets(struct sl_walk *w,
					  const struct sluice_tuple *t)
{
	const struct sl_pkt *p = w->p;

	if (t->src_set &&
	    !sl_set_member(&w->src_memo, t->src_set, p, p->key.src))
		return false;
	if (t->dst_set &&
	    !sl_set_member(&w->dst_memo, t->dst_set, p, p->key.dst))
		return false;
	return true;
}

/*
 * One tuple; returns 1 to stop the walk.  A bpf_loop() callback, so the
 * verifier walks the body once instead of once per tuple.  This is the
 * inner loop of the data plane: the key stays in registers, and a
 * bucket is a few cache lines compared word by word.
 */
static int sl_tuple_probe(__u32 i, struct sl_walk *w)
{
	__u32 idx = w->gen * SLUICE_MAX_TUPLES + i;
	const __u64 *pw = w->p->words, *mw;
	union {
		struct sluice_key key;
		__u64 words[SLUICE_KEY_WORDS];
	} k;
	__u64 k0, k1, k2, k3, k4, k5;
	struct sluice_slot *s = NULL;
	struct sluice_verdict *v;
	struct sluice_tuple *t;
	__u32 slot;
	int j;

	if (i >= w->ntuples)
		return 1;
	t = bpf_map_lookup_elem(&sl_tuples, &idx);
	if (!t || t->min_prio >= w->best)
		return 1;
	if (t->needs & ~w->p->has)
		return 0;
	if ((t->src_set | t->dst_set) && !sl_tuple_sets(w, t))
		return 0;

	mw = (const __u64 *)&t->mask;
	k0 = (pw[0] & mw[0]) | sluice_key_stamp(w->gen, i);
	k1 = pw[1] & mw[1];
	k2 = pw[2] & mw[2];
	k3 = pw[3] & mw[3];
	k4 = pw[4] & mw[4];
	k5 = pw[5] & mw[5];
	slot = sluice_bucket_slot(w->gen,
				  sluice_key_hash6(k0, k1, k2, k3, k4, k5));
	for (j = 0; j < SLUICE_BUCKET_SLOTS; j++, slot++) {
		s = bpf_map_lookup_elem(&sl_table, &slot);
		if (!s || !s->verdict.prio)
			return 0;
		if (sl_slot_is(s, k0, k1, k2, k3, k4, k5)) {
			v = &s->verdict;
			goto found;
		}
	}
	if (!s->overflow)
		return 0;
	k.words[0] = k0;
	k.words[1] = k1;
	k.words[2] = k2;
	k.words[3] = k3;
	k.words[4] = k4;
	k.words[5] = k5;
	v = bpf_map_lookup_elem(&sl_rules, &k.key);
	if (!v)
		return 0;
found:
	if (v->prio < w->best) {
		w->best = v->prio;
		w->action = v->action;
		w->arg = v->arg;
	}
	return 0;
}

static __always_inline void sl_classify(const struct sl_pkt *p,
					struct sl_match *m)
{
	struct sl_walk w = { .p = p, .best = SL_NO_PRIO };
	struct sluice_ruleset *rs;
	struct sluice_state *st;
	__u32 zero = 0;

	m->prio = SL_NO_PRIO;
	m->gen = 0;
	st = bpf_map_lookup_elem(&sl_state, &zero);
	if (!st)
		return;
	w.gen = st->active_gen & 1;
	rs = bpf_map_lookup_elem(&sl_rulesets, &w.gen);
	if (!rs || !rs->ntuples)
		return;
	w.ntuples = rs->ntuples;
	bpf_loop(SLUICE_MAX_TUPLES, sl_tuple_probe, &w, 0);
	m->gen = w.gen;
	m->prio = w.best;
	m->action = w.action;
	m->arg = w.arg;
}

#endif /* __SLUICE_CLASSIFY_H */
