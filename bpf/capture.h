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

/* A decision in one scalar: global functions take scalars and ctx only. */
#define SL_CAP_DEC(d) ((d)->action | (d)->reason << 8 | (d)->prio << 16)

/* Returns the bytes copied, at most SLUICE_CAP_SNAP_MAX. */
static __always_inline __u32 sl_cap_fill(void *raw, __u32 hook, __u32 ifindex,
					 __u32 wire_len, __u32 dec,
					 struct sl_cap_buf *b, __u32 snaplen)
{
	__u32 len = wire_len < snaplen ? wire_len : snaplen;

	if (len > SLUICE_CAP_SNAP_MAX)
		len = SLUICE_CAP_SNAP_MAX;
	b->rec.time_ns = bpf_ktime_get_ns();
	b->rec.ifindex = ifindex;
	b->rec.len = wire_len;
	b->rec.prio = dec >> 16;
	b->rec.hook = hook;
	b->rec.action = dec & 0xff;
	b->rec.reason = (dec >> 8) & 0xff;
	b->rec.has_vlan = 0;
	b->rec.vlan_tci = 0;
	b->rec.vlan_proto = 0;
	b->rec.caplen = 0;
	if (!len)
		return 0;
	if (hook == SLUICE_HOOK_XDP) {
		if (bpf_xdp_load_bytes(raw, 0, b->data, len))
			return 0;
	} else {
		struct __sk_buff *skb = raw;

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

static __always_inline void sl_capture_one(void *raw, __u32 hook, __u32 ifindex,
					   __u32 wire_len, __u32 slot,
					   __u32 dec, __u32 i)
{
	struct sluice_capture *f;
	struct sl_cap_buf *b;
	__u32 zero = 0;
	__u32 len;
	void *ring;
	struct sl_decision d = {
		.action = dec & 0xff,
		.reason = (dec >> 8) & 0xff,
		.prio = dec >> 16,
	};

	f = bpf_map_lookup_elem(&sl_cap_filters, &i);
	if (!f || !sl_cap_chosen(f, slot, &d))
		return;
	if (!sl_cap_within_rate(f)) {
		sl_cap_bump(i, SLUICE_CAP_SUPPRESSED);
		return;
	}
	ring = bpf_map_lookup_elem(&sl_cap_rings, &i);
	b = bpf_map_lookup_elem(&sl_cap_scratch, &zero);
	if (!ring || !b)
		return;
	len = sl_cap_fill(raw, hook, ifindex, wire_len, dec, b, f->snaplen);
	if (len > SLUICE_CAP_SNAP_MAX)
		return;
	if (bpf_ringbuf_output(ring, b, sizeof(b->rec) + len, 0))
		sl_cap_bump(i, SLUICE_CAP_LOST);
	else
		sl_cap_bump(i, SLUICE_CAP_CAPTURED);
}

static __always_inline void sl_capture_all(void *raw, __u32 hook, __u32 ifindex,
					   __u32 wire_len, __u32 slot,
					   __u32 dec, __u32 on)
{
	__u32 i;

	/* Unrolled: each slot a constant, no loop for the verifier to prove. */
#pragma unroll
	for (i = 0; i < SLUICE_CAP_SLOTS; i++)
		if (on & (1U << i))
			sl_capture_one(raw, hook, ifindex, wire_len, slot, dec,
				       i);
}

/*
 * Global functions, one per hook: verified on their own, with a stack
 * frame of their own, so the capture's locals do not add to the frame of
 * the pipeline, whose call chains are near the verifier's 512 bytes.
 * Each entry calls only its own (the hook is a constant there), so each
 * program holds only its hook's helpers.  (A static subprogram taking
 * the hook as an argument passed the verifier in sl_tc but failed to
 * load with EINVAL on kernel 6.18.)
 */
__noinline int sl_capture_xdp(struct xdp_md *xdp, __u32 len, __u32 slot,
			      __u32 dec, __u32 on)
{
	if (!xdp)
		return 0;
	sl_capture_all(xdp, SLUICE_HOOK_XDP, xdp->ingress_ifindex, len, slot,
		       dec, on);
	return 0;
}

__noinline int sl_capture_skb(struct __sk_buff *skb, __u32 len, __u32 slot,
			      __u32 dec, __u32 on)
{
	if (!skb)
		return 0;
	sl_capture_all(skb, SLUICE_HOOK_TC, skb->ifindex, len, slot, dec, on);
	return 0;
}

/*
 * The capture slots in use, a bit each; 0: nobody captures, and forward's
 * fast path (fastfwd.h) may pass the hook by.
 */
static __always_inline __u32 sl_capture_on(void)
{
#ifndef SLUICE_NO_CAPTURE
	__u32 zero = 0, *on = bpf_map_lookup_elem(&sl_cap_on, &zero);

	return on ? *on : 0;
#else
	return 0;
#endif
}

/*
 * -DSLUICE_NO_CAPTURE (make nocap, for make bench only) empties the hook,
 * so that the drop row with the capture idle can be held against one
 * without it.  The maps stay: sluiced and its pins do not tell the two
 * builds apart, and a capture there sees nothing.
 */
static __always_inline void sl_capture(const struct sl_ctx *ctx, __u32 slot,
				       const struct sl_decision *d)
{
	__u32 on = sl_capture_on();

	if (!on)
		return;
	/* The frame's whole length, as ctx.h read it once. */
	if (ctx->hook == SLUICE_HOOK_XDP)
		sl_capture_xdp(ctx->raw, ctx->len, slot, SL_CAP_DEC(d), on);
	else
		sl_capture_skb(ctx->raw, ctx->len, slot, SL_CAP_DEC(d), on);
}

#endif /* __SLUICE_CAPTURE_H */
