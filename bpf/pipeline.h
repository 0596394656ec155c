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
#include "trace.h"

/* Returns the hook's verdict; slot is the ingress port's (sl_slot()). */
static __always_inline int sl_pipeline(struct sl_ctx *ctx, __u32 slot)
{
	struct sl_pkt p = {};
	struct sl_match m;
	struct sl_decision d;
	struct sluice_iface *iface;
	__u32 policy;
	int ret;

	p.key.slot = slot;
	sl_parse(ctx, &p);
	sl_classify(&p, &m);

	iface = bpf_map_lookup_elem(&sl_ifaces, &slot);
	policy = iface ? iface->policy : SLUICE_ACT_PASS;
	sl_decide(&p, &m, policy, &d);
	sl_capture(ctx, slot, &d);
	ret = sl_act(ctx, &p, &d);
	sl_count(slot, ctx->hook, &d, ctx->len);
	sl_trace_last(&d, false);
	return ret;
}

#endif /* __SLUICE_PIPELINE_H */
