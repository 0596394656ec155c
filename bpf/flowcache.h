/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The flow cache: what a packet key was last classified to, per CPU.
 * API:
 *   sl_flowc_now()                    - the epoch to classify under, 0: off
 *   sl_flowc_cold()                   - NULL: pass the cache by this time
 *   sl_flowc_hash(p)                  - p's hash, for the two below
 *   sl_flowc_get(p, h, epoch)         - p's entry, NULL when not cached
 *   sl_flowc_put(p, h, epoch, prio, action, arg) - remember p's rule
 *   sl_flowc_note(luck, hit)          - what the lookup found, for the next
 *   sl_flowc_cached(p)                - p's entry, asked by a warm CPU only
 *
 * A flood comes from a few thousand sources, or from sources spread over
 * a large set: either way the classifier's indexes and the sets' tables
 * are far larger than the caches, and every packet pays a cache (and TLB)
 * miss per index it reads.  A key seen before costs one line here
 * instead: the entry holds the rule's verdict (priority, action,
 * argument), not its index, so a hit reads no rule.  The result depends
 * only on the key and the IP length, the
 * rules and the sets, so one epoch tags it: user space bumps the epoch
 * after every change to rules or sets, and an entry of another epoch is
 * not used.  The epoch is read before the rules are (and x86 keeps loads
 * in order), so an entry tagged with the new epoch was classified under
 * the new rules.
 *
 * A key that is never seen twice (a flood from random sources) misses:
 * it pays a hash of the key and one more line, and takes a way of its
 * bucket.  Two ways per bucket, so two keys that share a bucket do not
 * evict each other.  That line is a miss in the CPU's caches too, the
 * largest single cost of such a packet (a profile of a SYN flood on tc
 * put 95 ns of it there), so a CPU whose last SL_FLOWC_COLD lookups all
 * missed goes cold: it looks up, and fills, only one packet in
 * SL_FLOWC_PROBE, and warms again at the first of those that hits.  A set
 * of flows that repeats is learnt by those probes (one key in
 * SL_FLOWC_PROBE a round) and the cache warms within a few rounds; the
 * verdict is the classifier's either way.
 */
#ifndef __SLUICE_FLOWCACHE_H
#define __SLUICE_FLOWCACHE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "hash.h"
#include "maps.h"
#include "parse.h"

static __always_inline __u32 sl_flowc_now(void)
{
	__u32 zero = 0;
	__u32 *e = bpf_map_lookup_elem(&sl_flowc_epoch, &zero), epoch;

	if (!e)
		return 0;
	epoch = *(volatile __u32 *)e;
	/* Nothing the classifier reads may be read before the epoch. */
	asm volatile("" ::: "memory");
	return epoch;
}

#define SL_FLOWC_COLD 64
#define SL_FLOWC_PROBE 8

/* This CPU's luck with the cache; NULL when it is cold for this packet. */
static __always_inline struct sl_flowc_luck *sl_flowc_cold(void)
{
	__u32 zero = 0;
	struct sl_flowc_luck *l = bpf_map_lookup_elem(&sl_flowc_luck, &zero);

	if (!l || l->misses < SL_FLOWC_COLD)
		return l;
	return ++l->skipped % SL_FLOWC_PROBE ? NULL : l;
}

static __always_inline void sl_flowc_note(struct sl_flowc_luck *l, bool hit)
{
	if (hit)
		l->misses = 0;
	else if (l->misses < SL_FLOWC_COLD)
		l->misses++;
}

/* The key's words and, beside them, its length and what it has. */
static __always_inline __u64 sl_flowc_hash(const struct sl_pkt *p)
{
	return sl_hash6(p->words) +
	       ((__u64)p->len << 16 | p->has) * 0x27d4eb2f165667c5ULL;
}

static __always_inline __u32 sl_flowc_bucket(__u64 h)
{
	return sl_way0(h, SLUICE_FLOWC_BITS, SLUICE_FLOWC_WAYS);
}

static __always_inline bool sl_flowc_same(const struct sluice_flowc_entry *e,
					  const struct sl_pkt *p, __u32 epoch)
{
	const __u64 *w = p->words;

	return e->epoch == epoch && e->has == p->has && e->len == p->len &&
	       !((e->words[0] ^ w[0]) | (e->words[1] ^ w[1]) |
		 (e->words[2] ^ w[2]) | (e->words[3] ^ w[3]) |
		 (e->words[4] ^ w[4]) | (e->words[5] ^ w[5]));
}

static __always_inline const struct sluice_flowc_entry *
sl_flowc_get(const struct sl_pkt *p, __u64 h, __u32 epoch)
{
	__u32 i = sl_flowc_bucket(h), way;
	struct sluice_flowc_entry *e;

	for (way = 0; way < SLUICE_FLOWC_WAYS; way++, i++) {
		e = bpf_map_lookup_elem(&sl_flowc, &i);
		if (e && sl_flowc_same(e, p, epoch))
			return e;
	}
	return NULL;
}

_Static_assert(SLUICE_HAS_LEN < 1 << 8, "sluice_flowc_entry: has is a byte");

/* prio 0: no rule matched p. */
static __always_inline void sl_flowc_put(const struct sl_pkt *p, __u64 h,
					 __u32 epoch, __u16 prio, __u8 action,
					 __u32 arg)
{
	__u32 i = sl_flowc_bucket(h);
	struct sluice_flowc_entry *e, *e1;

	_Static_assert(SLUICE_FLOWC_WAYS == 2, "sl_flowc_put: two ways");

	e = bpf_map_lookup_elem(&sl_flowc, &i);
	i++;
	e1 = bpf_map_lookup_elem(&sl_flowc, &i);
	if (!e || !e1)
		return;
	if (sl_way_pick(e->epoch == epoch, e1->epoch == epoch))
		e = e1;
	__builtin_memcpy(e->words, p->words, sizeof(e->words));
	e->has = p->has;
	e->len = p->len;
	e->prio = prio;
	e->action = action;
	e->arg = arg;
	e->epoch = epoch;
}

/*
 * For the fast path (fastfwd.h), which asks the cache only: the lookups
 * of a cold CPU are the classifier's to ration, and a miss is the
 * classifier's to fill (it looks again, from a line now in the cache).
 * A hit warms the CPU as the classifier's own would.
 */
static __always_inline const struct sluice_flowc_entry *
sl_flowc_cached(const struct sl_pkt *p)
{
	const struct sluice_flowc_entry *e;
	struct sl_flowc_luck *l;
	__u32 zero = 0, epoch = sl_flowc_now();

	if (!epoch)
		return NULL;
	l = bpf_map_lookup_elem(&sl_flowc_luck, &zero);
	if (!l || l->misses >= SL_FLOWC_COLD)
		return NULL;
	e = sl_flowc_get(p, sl_flowc_hash(p), epoch);
	if (e)
		sl_flowc_note(l, true);
	return e;
}

#endif /* __SLUICE_FLOWCACHE_H */
