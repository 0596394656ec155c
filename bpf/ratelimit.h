/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * rate-limit RATE[/BURST] [per src|src/LEN|dst|dst/LEN].  API:
 *   sl_rate_limit(ctx, pkt, decision) - a packet within the rule's limit
 *   gets the interface's policy; one over it is dropped, reason
 *   rate-limit, and counted for the rule in sl_rl_drops.
 *
 * The bucket is GCRA's (see headers/sluice/abi.h): one 64-bit time that
 * a compare-and-swap moves, so the CPUs share a bucket without a lock and
 * without losing a packet's cost; a packet over the limit only reads it,
 * so a flood far over the limit does not bounce its cache line.  A rule
 * without "per" has one bucket, by priority, in an array; with "per" a
 * bucket per (rule, masked address) in a set-associative table of fixed
 * size (sl_rl_key_bkt).
 */
#ifndef __SLUICE_RATELIMIT_H
#define __SLUICE_RATELIMIT_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "clock.h"
#include "ctx.h"
#include "decision.h"
#include "maps.h"
#include "parse.h"

/*
 * Compare-and-swap attempts before a packet counts as over the limit:
 * each failure means another CPU admitted a packet meanwhile, so four in
 * a row happen only when the bucket is being drained anyway.
 */
#define SL_RL_TRIES 4

/*
 * The clock is the kernel's tick (clock.h): bpf_ktime_get_ns reads the
 * TSC and was most of what a rate-limited packet cost (30 of 38 ns over a
 * drop rule, measured with bpf_prog_test_run), bpf_ktime_get_coarse_ns
 * 4 to 8 ns, the tick one load.  Its time stands still for a tick, then
 * jumps by one.  A
 * bucket loses nothing by the jump while its burst holds a tick's refill
 * (TAT stays ahead of now), so a burst shorter than a tick counts as one;
 * 10 ms is the longest tick Linux has (HZ=100).
 */
#define SL_RL_LONGEST_TICK (10000000ULL << SLUICE_RL_TICK_SHIFT)

static __always_inline __u64 sl_rl_tau(const struct sluice_rl_rule *r)
{
	return r->tau > SL_RL_LONGEST_TICK ? r->tau : SL_RL_LONGEST_TICK;
}

/*
 * Admit a packet costing cost ticks into the bucket whose TAT is *tat,
 * named bucket in this CPU's credits: from the credit it drew in this
 * tick, or else by moving TAT, by a quantum when the burst has room for
 * one (what the packet leaves of it is the credit).
 */
static __always_inline bool sl_rl_admit(__u64 *tat, __u32 bucket, __u64 now,
					__u64 cost, __u64 tau)
{
	__u32 at = sluice_rl_credit_slot(bucket);
	struct sluice_rl_credit *c;
	__u64 seen, base, grab, old, left = 0;
	int i;

	c = bpf_map_lookup_elem(&sl_rl_credits, &at);
	if (c && c->bucket == bucket && c->tick == now) {
		if (c->left >= cost) {
			c->left -= cost;
			return true;
		}
		left = c->left;
	}
	seen = *(volatile __u64 *)tat;
	for (i = 0; i < SL_RL_TRIES; i++) {
		base = seen > now ? seen : now;
		if (base + cost - now > tau)
			return false;
		grab = cost;
		if (cost < SLUICE_RL_QUANTUM &&
		    base + SLUICE_RL_QUANTUM - now <= tau)
			grab = SLUICE_RL_QUANTUM;
		old = __sync_val_compare_and_swap(tat, seen, base + grab);
		if (old == seen)
			break;
		seen = old;
	}
	if (i == SL_RL_TRIES)
		return false;
	if (c && grab > cost) {
		c->bucket = bucket;
		c->tick = now;
		c->left = left + grab - cost;
	}
	return true;
}

static __always_inline __u64 sl_rl_mask(__u32 len, __u32 from)
{
	if (len >= from + 64)
		return ~0ULL;
	if (len <= from)
		return 0;
	return ~0ULL << (from + 64 - len);
}

/* A key as the three words the table compares. */
union sl_rl_kw {
	struct sluice_rl_key k;
	__u64 w[3];
};

/*
 * The first word of a struct sluice_rl_key, made in a register: stored
 * field by field, it could not be forwarded to the hash's load of the
 * whole word, which would wait for the stores to reach the cache.
 */
static __always_inline __u64 sl_rl_key_w0(__u32 prio, __u32 family, __u32 len)
{
	_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
		       "sl_rl_key_w0: little-endian layout");
	_Static_assert(__builtin_offsetof(struct sluice_rl_key, family) == 2,
		       "sl_rl_key_w0: family in byte 2");
	_Static_assert(__builtin_offsetof(struct sluice_rl_key, len) == 3,
		       "sl_rl_key_w0: len in byte 3");
	return (__u64)(prio & 0xffff) | (__u64)(family & 0xff) << 16 |
	       (__u64)(len & 0xff) << 24;
}

/*
 * The bucket's key: the prefix of the address "per" names.  LEN counts
 * bits of the packet's own address: IPv4 takes at most its 32.
 */
static __always_inline void sl_rl_key(union sl_rl_kw *u, const struct sl_pkt *p,
				      const struct sluice_rl_rule *r,
				      __u32 prio)
{
	const __u64 *a = (const __u64 *)(r->flags & SLUICE_RL_PER_DST ?
						 p->key.dst :
						 p->key.src);
	__u32 len = r->per_len;

	if (!(p->has & SLUICE_HAS_IP)) {
		/* One bucket for what has no address. */
		u->w[0] = sl_rl_key_w0(prio, 0, 0);
		u->w[1] = 0;
		u->w[2] = 0;
		return;
	}
	if (p->key.family == 4 && len > 32)
		len = 32;
	u->w[0] = sl_rl_key_w0(prio, p->key.family, len);
	u->w[1] = a[0] & bpf_cpu_to_be64(sl_rl_mask(len, 0));
	u->w[2] = a[1] & bpf_cpu_to_be64(sl_rl_mask(len, 64));
}

#define SL_RL_SETS (SLUICE_RL_KEYS / SLUICE_RL_WAYS)
#define SL_RL_SET_BITS 16
_Static_assert(SL_RL_SETS == 1 << SL_RL_SET_BITS, "SL_RL_SET_BITS");

/*
 * The hash's secret, drawn by the first packet that needs it: a spoofer
 * who cannot tell which sources share a set cannot aim at one.  It lives
 * in a map pinned with the buckets, so a daemon started again finds the
 * buckets it had, an emptied one still empty.
 */
static __always_inline __u64 sl_rl_seed(void)
{
	__u32 zero = 0;
	__u64 *at = bpf_map_lookup_elem(&sl_rl_secret, &zero), s, old;

	if (!at)
		return 1;
	s = *(volatile __u64 *)at;
	if (s)
		return s;
	s = (__u64)bpf_get_prandom_u32() << 32 | bpf_get_prandom_u32() | 1;
	old = __sync_val_compare_and_swap(at, 0, s);
	return old ? old : s;
}

/*
 * The key's set: the three words multiplied side by side (no chain of
 * multiplies to wait on), mixed by one more, the top bits kept.
 */
static __always_inline __u32 sl_rl_set(const union sl_rl_kw *u)
{
	__u64 s = sl_rl_seed(), h;

	h = (u->w[0] ^ s) * 0x9e3779b97f4a7c15ULL ^
	    (u->w[1] ^ s) * 0xbf58476d1ce4e5b9ULL ^
	    (u->w[2] ^ s) * 0x94d049bb133111ebULL;
	h = (h ^ h >> 31) * 0xd6e8feb86659fd93ULL;
	return h >> (64 - SL_RL_SET_BITS);
}

/*
 * Which slot of a set a new key takes: one whose bucket is full (TAT
 * past: forgetting it loses nothing, and an unused slot's TAT is 0), else
 * the one a packet found least lately, the LRU's choice: a bucket in use,
 * limited or not, stays while a spoofed flood's one-packet buckets come
 * and go.  Ties (seen in the same tick) go to the least TAT.  Returns
 * whether a is the better victim than b.
 */
static __always_inline bool sl_rl_before(const struct sluice_rl_slot *a,
					 const struct sluice_rl_slot *b,
					 __u64 now)
{
	bool a_full = a->tat <= now, b_full = b->tat <= now;

	if (a_full != b_full)
		return a_full;
	if (a->seen != b->seen)
		return a->seen < b->seen;
	return a->tat < b->tat;
}

/*
 * A key no slot holds: its bucket is full, so the packet is within and
 * makes it, paid for, in the victim's slot.  The CAS claims the slot;
 * when another CPU claimed it first, the packet is still admitted (a full
 * bucket would), unpaid.
 */
static __always_inline bool sl_rl_make(struct sluice_rl_slot *s,
				       const union sl_rl_kw *u, __u64 now,
				       __u64 cost, __u64 tau)
{
	__u64 old = *(volatile __u64 *)&s->tat, *w, *n;
	__u32 zero = 0;

	if (cost > tau)
		return false;
	if (__sync_val_compare_and_swap(&s->tat, old, now + cost) != old)
		return true;
	w = (__u64 *)&s->key;
	w[0] = u->w[0];
	w[1] = u->w[1];
	w[2] = u->w[2];
	s->seen = now;
	n = bpf_map_lookup_elem(&sl_rl_inserts, &zero);
	if (n)
		(*n)++;
	/* A slot's first bucket: the table's fill, without reading it all. */
	zero = 1;
	n = old ? NULL : bpf_map_lookup_elem(&sl_rl_inserts, &zero);
	if (n)
		(*n)++;
	return true;
}

/* A "per" rule's bucket for the packet admits it: 1, else 0. */
static __always_inline int sl_rl_keyed(const struct sl_pkt *p,
				       const struct sluice_rl_rule *r,
				       __u32 prio, __u64 now, __u64 cost)
{
	struct sluice_rl_slot *s, *victim = NULL;
	union sl_rl_kw u;
	__u32 i, set;
	__u64 *w;

	if (!p || !r)
		return 0;
	sl_rl_key(&u, p, r, prio & SLUICE_PRIO_MAX);
	set = sl_rl_set(&u) * SLUICE_RL_WAYS;
#pragma unroll
	for (i = 0; i < SLUICE_RL_WAYS; i++) {
		__u32 at = set + i;

		s = bpf_map_lookup_elem(&sl_rl_key_bkt, &at);
		if (!s)
			return 0;
		w = (__u64 *)&s->key;
		if (w[0] == u.w[0] && w[1] == u.w[1] && w[2] == u.w[2]) {
			/* Once a tick at most: the line stays shared. */
			if (s->seen != now)
				s->seen = now;
			return sl_rl_admit(&s->tat,
					   sluice_rl_credit_bucket(at, 1), now,
					   cost, sl_rl_tau(r));
		}
		if (!victim || sl_rl_before(s, victim, now))
			victim = s;
	}
	return victim && sl_rl_make(victim, &u, now, cost, sl_rl_tau(r));
}

#define SL_RL_UNSUPPORTED (-1)

/*
 * Whether rule idx (generation and priority) admits a packet of len
 * bytes: 1 or 0, or SL_RL_UNSUPPORTED for a rule without parameters.  A
 * global subprogram: what admitting keeps (a "per" key, the slots it
 * weighs) lives on a frame of its own, not on the pipeline's, which every
 * call chain carries, the deepest (syn-proxy's) near the verifier's 512
 * bytes.
 */
__noinline int sl_rl_judge(const struct sl_pkt *p, __u32 idx, __u32 len)
{
	__u32 prio = idx & SLUICE_PRIO_MAX;
	const struct sluice_rl_rule *r;
	struct sluice_rl_bucket *b;
	__u64 units = 1, cost, now;

	r = bpf_map_lookup_elem(&sl_rl_params, &idx);
	if (!r || !r->cost)
		return SL_RL_UNSUPPORTED;
	if (r->flags & SLUICE_RL_BYTES)
		units = len < SLUICE_RL_MAX_LEN ? len : SLUICE_RL_MAX_LEN;
	cost = units * r->cost >> (r->shift & 63);
	now = sl_tick_ns() << SLUICE_RL_TICK_SHIFT;
	if (r->flags & (SLUICE_RL_PER_SRC | SLUICE_RL_PER_DST))
		return sl_rl_keyed(p, r, prio, now, cost);
	b = bpf_map_lookup_elem(&sl_rl_rule_bkt, &prio);
	return b && sl_rl_admit(&b->tat, sluice_rl_credit_bucket(idx, 0), now,
				cost, sl_rl_tau(r));
}

static __always_inline void sl_rate_limit(const struct sl_ctx *ctx,
					  const struct sl_pkt *p,
					  struct sl_decision *d)
{
	__u32 prio = d->prio & SLUICE_PRIO_MAX;
	struct sluice_counter *c;
	int ok;

	ok = sl_rl_judge(p, (d->gen & 1) * (SLUICE_PRIO_MAX + 1) + prio,
			 ctx->len);
	if (ok == SL_RL_UNSUPPORTED) {
		d->action = SLUICE_ACT_PASS;
		d->reason = SLUICE_REASON_UNSUPPORTED;
		return;
	}
	if (ok) {
		d->action = d->policy;
		return;
	}
	d->action = SLUICE_ACT_DROP;
	d->reason = SLUICE_REASON_RATE_LIMIT;
	c = bpf_map_lookup_elem(&sl_rl_drops, &prio);
	if (c) {
		c->packets++;
		c->bytes += ctx->len;
	}
}

#endif /* __SLUICE_RATELIMIT_H */
