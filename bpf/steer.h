/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * steer [CPU,...]: spread one queue's load over CPUs through the cpumap,
 * by a flow hash that is the same both ways, so a connection's packets
 * stay in order on one CPU.  There the packet goes to the stack.  tc has
 * no cpumap: there steer hands the packet on, counted as unsupported.
 */
#ifndef __SLUICE_STEER_H
#define __SLUICE_STEER_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "ctx.h"
#include "decision.h"
#include "forward.h"
#include "maps.h"
#include "parse.h"

static __always_inline __u32 sl_flow_hash(const struct sl_pkt *p)
{
	const __u32 *s = (const __u32 *)p->key.src;
	const __u32 *d = (const __u32 *)p->key.dst;
	__u32 h;

	/* XOR and sums are symmetric in source and destination. */
	h = (s[0] ^ d[0]) + (s[1] ^ d[1]) + (s[2] ^ d[2]) + (s[3] ^ d[3]);
	h ^= (__u32)(p->key.sport ^ p->key.dport) << 16 | p->key.proto;
	/* Fold the high bytes down, then spread every bit over the word. */
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	h *= 0x846ca68b;
	return h ^ (h >> 16);
}

static __always_inline int sl_steer(const struct sl_ctx *ctx,
				    const struct sl_pkt *p,
				    struct sl_decision *d)
{
	__u32 idx = d->gen * SLUICE_MAX_STEER + d->arg, i;
	struct sluice_steer *st;

	if (ctx->hook != SLUICE_HOOK_XDP)
		return sl_to_kernel(ctx, d, SLUICE_REASON_UNSUPPORTED);
	st = bpf_map_lookup_elem(&sl_steer_cpus, &idx);
	if (!st || !st->ncpus)
		return sl_to_kernel(ctx, d, SLUICE_REASON_NO_EGRESS);
	/* The hash's high bits pick, so no byte of it is left out. */
	i = ((__u64)sl_flow_hash(p) * st->ncpus) >> 32;
	if (i >= SLUICE_STEER_MAX_CPUS)
		return sl_to_kernel(ctx, d, SLUICE_REASON_NO_EGRESS);
	return bpf_redirect_map(&sl_cpus, st->cpus[i], XDP_PASS);
}

#endif /* __SLUICE_STEER_H */
