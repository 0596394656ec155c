/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Capture: copy judged packets, with their decision, to the rings of the
 * captures that chose them (sluice capture).
 *
 * API: sl_capture(ctx, slot, d), once the decision is known and before it
 * is acted on, so the bytes are the packet as it came in.
 *
 * Nobody capturing costs one load of sl_cap_on.  A capture costs its
 * filter per packet, and the copy only for packets within its rate: the
 * rate cap comes before the copy, and a full ring is counted, not waited
 * on.
 */
#ifndef __SLUICE_CAPTURE_H
#define __SLUICE_CAPTURE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "ctx.h"
#include "decision.h"
#include "maps.h"

static __always_inline void sl_cap_bump(__u32 i, enum sluice_cap_counter what)
{
	struct sluice_cap_counters *c = bpf_map_lookup_elem(&sl_cap_stats, &i);

	if (c && what < SLUICE_CAP__MAX)
		c->n[what]++;
}

static __always_inline bool sl_cap_chosen(const struct sluice_capture *f,
					  __u32 slot,
					  const struct sl_decision *d)
{
	__u64 any = f->slots[0] | f->slots[1] | f->slots[2] | f->slots[3];
	__u64 word = f->slots[(slot / 64) & 3];

	if (any && !(word & (1ULL << (slot % 64))))
		return false;
	if (f->actions && !(f->actions & (1U << (d->action & 31))))
		return false;
	if (f->reasons && !(f->reasons & (1U << (d->reason & 31))))
		return false;
	return !f->prio || f->prio == d->prio;
}

/*
 * The rate cap, GCRA: tat runs ahead of now by one interval per packet
 * taken, and a packet that would put it more than the burst ahead is
 * not.  Two CPUs may both take the last packet of a burst: the cap is
 * approximate by that much, and needs no lock.
 */
static __always_inline bool sl_cap_within_rate(struct sluice_capture *f)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 tat = f->tat;

	if (tat < now)
		tat = now;
	if (tat - now > f->burst_ns)
		return false;
	f->tat = tat + f->interval_ns;
	return true;
}

/* Returns the bytes copied, at most SLUICE_CAP_SNAP_MAX. */
static __always_inline __u32 sl_cap_fill(const struct sl_ctx *ctx, __u32 hook,
					 const struct sl_decision *d,
					 struct sl_cap_buf *b, __u32 snaplen)
{
	__u32 len = ctx->len < snaplen ? ctx->len : snaplen;

	if (len > SLUICE_CAP_SNAP_MAX)
		len = SLUICE_CAP_SNAP_MAX;
	b->rec.time_ns = bpf_ktime_get_ns();
	b->rec.ifindex = ctx->ifindex;
	b->rec.len = ctx->len;
	b->rec.prio = d->prio;
	b->rec.hook = hook;
	b->rec.action = d->action;
	b->rec.reason = d->reason;
	b->rec.has_vlan = 0;
	b->rec.vlan_tci = 0;
	b->rec.vlan_proto = 0;
	b->rec.caplen = 0;
	if (!len)
		return 0;
	if (hook == SLUICE_HOOK_XDP) {
		if (bpf_xdp_load_bytes(ctx->raw, 0, b->data, len))
			return 0;
	} else {
		struct __sk_buff *skb = ctx->raw;

		if (bpf_skb_load_bytes(skb, 0, b->data, len))
			return 0;
		if (skb->vlan_present) {
			b->rec.has_vlan = 1;
			b->rec.vlan_tci = skb->vlan_tci;
			b->rec.vlan_proto = skb->vlan_proto;
		}
	}
	b->rec.caplen = len;
	return len;
}

/*
 * Inlined into each entry, where the hook is a constant: clang keeps only
 * that hook's helpers (bpf_xdp_load_bytes exists for XDP only).  As a
 * subprogram called with the hook as argument, sl_tc passed the verifier
 * but its load failed with EINVAL on kernel 6.18.  The idle path is the
 * same either way: one load and a branch in sl_capture().
 */
static __always_inline void sl_capture_one(const struct sl_ctx *ctx, __u32 hook,
					   __u32 slot,
					   const struct sl_decision *d, __u32 i)
{
	struct sluice_capture *f;
	struct sl_cap_buf *b;
	__u32 zero = 0;
	__u32 len;
	void *ring;

	f = bpf_map_lookup_elem(&sl_cap_filters, &i);
	if (!f || !sl_cap_chosen(f, slot, d))
		return;
	if (!sl_cap_within_rate(f)) {
		sl_cap_bump(i, SLUICE_CAP_SUPPRESSED);
		return;
	}
	ring = bpf_map_lookup_elem(&sl_cap_rings, &i);
	b = bpf_map_lookup_elem(&sl_cap_scratch, &zero);
	if (!ring || !b)
		return;
	len = sl_cap_fill(ctx, hook, d, b, f->snaplen);
	if (len > SLUICE_CAP_SNAP_MAX)
		return;
	if (bpf_ringbuf_output(ring, b, sizeof(b->rec) + len, 0))
		sl_cap_bump(i, SLUICE_CAP_LOST);
	else
		sl_cap_bump(i, SLUICE_CAP_CAPTURED);
}

static __always_inline void sl_capture(const struct sl_ctx *ctx, __u32 slot,
				       const struct sl_decision *d)
{
	__u32 zero = 0, *on = bpf_map_lookup_elem(&sl_cap_on, &zero);
	__u32 i, bits;

	if (!on || !*on)
		return;
	bits = *on;
	/* Unrolled: each slot a constant, no loop for the verifier to prove. */
#pragma unroll
	for (i = 0; i < SLUICE_CAP_SLOTS; i++)
		if (bits & (1U << i))
			sl_capture_one(ctx, ctx->hook, slot, d, i);
}

#endif /* __SLUICE_CAPTURE_H */
