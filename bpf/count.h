/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Count: per-CPU counters, so no atomics on the hot path.  Every packet
 * moves its interface/hook/action counter and its reason counter, and the
 * counter of the rule that decided it.
 */
#ifndef __SLUICE_COUNT_H
#define __SLUICE_COUNT_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "decision.h"
#include "maps.h"

static __always_inline void sl_bump(void *map, __u32 idx, __u32 len)
{
	struct sluice_counter *c = bpf_map_lookup_elem(map, &idx);

	if (c) {
		c->packets++;
		c->bytes += len;
	}
}

static __always_inline void sl_count(__u32 slot, enum sluice_hook hook,
				     const struct sl_decision *d, __u32 len)
{
	sl_bump(&sl_iface_stats,
		sluice_iface_counter_idx(slot, hook, d->action), len);
	sl_bump(&sl_reason_stats,
		sluice_reason_counter_idx(slot, hook, d->reason), len);
	if (d->prio)
		sl_bump(&sl_rule_stats, d->prio, len);
}

#endif /* __SLUICE_COUNT_H */
