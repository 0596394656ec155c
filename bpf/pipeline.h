/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The pipeline, written once for both hooks: parse, classify, act, count.
 */
#ifndef __SLUICE_PIPELINE_H
#define __SLUICE_PIPELINE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "act.h"
#include "capture.h"
#include "classify.h"
#include "count.h"
#include "ctx.h"
#include "maps.h"
#include "parse.h"

/* Set before load by test-run and the selftests; pruned away otherwise. */
const volatile bool sl_trace = false;

static __always_inline __u32 sl_slot(__u32 ifindex)
{
	__u32 *slot = bpf_map_lookup_elem(&sl_ifslot, &ifindex);

	return slot && *slot < SLUICE_MAX_IFACES ? *slot : 0;
}

/* Returns the hook's verdict. */
static __always_inline int sl_pipeline(struct sl_ctx *ctx)
{
	struct sl_pkt p = {};
	struct sl_match m;
	struct sl_decision d;
	struct sluice_iface *iface;
	__u32 slot, policy;
	int ret;

	slot = sl_slot(ctx->ifindex);
	p.key.slot = slot;
	sl_parse(ctx, &p);
	sl_classify(&p, &m);

	iface = bpf_map_lookup_elem(&sl_ifaces, &slot);
	policy = iface ? iface->policy : SLUICE_ACT_PASS;
	sl_decide(&p, &m, policy, &d);
	sl_capture(ctx, slot, &d);
	ret = sl_act(ctx, &p, &d);
	sl_count(slot, ctx->hook, &d, ctx->len);

	if (sl_trace) {
		__u32 zero = 0;
		struct sluice_trace *t = bpf_map_lookup_elem(&sl_last, &zero);

		if (t) {
			t->action = d.action;
			t->reason = d.reason;
			t->prio = d.prio;
		}
	}
	return ret;
}

#endif /* __SLUICE_PIPELINE_H */
