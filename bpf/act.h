/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Act: turn what classify found, or did not, into an action and a reason,
 * then do it.  Each action that sends a packet elsewhere has its header;
 * rate-limit first turns into the interface's policy or a drop.
 */
#ifndef __SLUICE_ACT_H
#define __SLUICE_ACT_H

#include "vmlinux.h"

#include <sluice/abi.h>

#include "classify.h"
#include "ctx.h"
#include "decision.h"
#include "forward.h"
#include "parse.h"
#include "ratelimit.h"
#include "redirect.h"
#include "steer.h"
#include "synproxy.h"

static __always_inline void sl_decide(const struct sl_pkt *p,
				      const struct sl_match *m, __u32 policy,
				      struct sl_decision *d)
{
	d->arg = m->arg;
	d->gen = m->gen;
	d->policy = policy;
	if (m->prio != SL_NO_PRIO) {
		d->action = m->action;
		d->reason = SLUICE_REASON_RULE;
		d->prio = m->prio;
	} else if (!(p->has & SLUICE_HAS_IP) &&
		   p->reason != SLUICE_REASON_POLICY) {
		/* Not IP, broken, or past our limits: the kernel judges. */
		d->action = SLUICE_ACT_PASS;
		d->reason = p->reason;
		d->prio = 0;
	} else {
		d->action = policy;
		d->reason = p->reason;
		d->prio = 0;
	}
}

/* Returns the hook's verdict; d says what really happened. */
static __always_inline int sl_act(const struct sl_ctx *ctx,
				  const struct sl_pkt *p, struct sl_decision *d)
{
	if (d->action == SLUICE_ACT_RATE_LIMIT)
		sl_rate_limit(ctx, p, d);
	switch (d->action) {
	case SLUICE_ACT_PASS:
		return sl_ret_pass(ctx);
	case SLUICE_ACT_DROP:
		return sl_ret_drop(ctx);
	case SLUICE_ACT_FORWARD:
		if (!(p->has & SLUICE_HAS_IP))
			return sl_to_kernel(ctx, d, SLUICE_REASON_NOT_IP);
		return sl_forward(ctx, p, d);
	case SLUICE_ACT_REDIRECT:
		return sl_redirect(ctx, d);
	case SLUICE_ACT_STEER:
		return sl_steer(ctx, p, d);
	case SLUICE_ACT_SYN_PROXY:
		return sl_synproxy(ctx, p, d);
	default:
		return sl_to_kernel(ctx, d, SLUICE_REASON_UNSUPPORTED);
	}
}

#endif /* __SLUICE_ACT_H */
