/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Trace: what the last packet got, for test-run and the selftests, which
 * set sl_trace before load; every other load prunes it away.
 */
#ifndef __SLUICE_TRACE_H
#define __SLUICE_TRACE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "decision.h"
#include "maps.h"

const volatile bool sl_trace = false;

static __always_inline void sl_trace_last(const struct sl_decision *d,
					  bool fast)
{
	__u32 zero = 0;
	struct sluice_trace *t;

	if (!sl_trace)
		return;
	t = bpf_map_lookup_elem(&sl_last, &zero);
	if (t) {
		t->action = d->action;
		t->reason = d->reason;
		t->prio = d->prio;
		t->fast = fast;
	}
}

#endif /* __SLUICE_TRACE_H */
