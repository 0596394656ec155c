/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Act: turn what classify found, or did not, into an action and a reason.
 * drop and pass are final here.  forward, redirect, steer and rate-limit
 * get their own headers and a case below; until then a packet asking for
 * one goes to the kernel, counted as unsupported.
 */
#ifndef __SLUICE_ACT_H
#define __SLUICE_ACT_H

#include "vmlinux.h"

#include <sluice/abi.h>

#include "classify.h"
#include "parse.h"

struct sl_decision {
	__u32 action; /* enum sluice_action */
	__u32 reason; /* enum sluice_reason */
	__u32 prio; /* deciding rule, 0 for none */
};

static __always_inline void sl_decide(const struct sl_pkt *p,
				      const struct sl_match *m, __u32 policy,
				      struct sl_decision *d)
{
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

	switch (d->action) {
	case SLUICE_ACT_PASS:
	case SLUICE_ACT_DROP:
		break;
	default:
		d->action = SLUICE_ACT_PASS;
		d->reason = SLUICE_REASON_UNSUPPORTED;
		break;
	}
}

#endif /* __SLUICE_ACT_H */
