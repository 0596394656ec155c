/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A snapshot of every per-CPU counter of the data plane, read with one
 * batch call per map, so a reader pays three syscalls however many
 * interfaces and rules there are.
 */
#ifndef __SLUICE_STATS_H
#define __SLUICE_STATS_H

#include <stdbool.h>

#include <sluice/abi.h>

#include "dataplane.h"

struct sl_stats {
	int ncpus;
	struct sluice_counter *iface; /* [idx][cpu], see abi.h */
	struct sluice_counter *reason;
	struct sluice_counter *rule; /* [prio][cpu] */
};

int sl_stats_read(const struct sl_dp *dp, struct sl_stats *s);
void sl_stats_free(struct sl_stats *s);

/* Summed over CPUs when cpu < 0. */
struct sluice_counter sl_stats_iface(const struct sl_stats *s,
				     unsigned int slot, unsigned int hook,
				     unsigned int action, int cpu);
struct sluice_counter sl_stats_reason(const struct sl_stats *s,
				      unsigned int slot, unsigned int hook,
				      unsigned int reason, int cpu);
struct sluice_counter sl_stats_rule(const struct sl_stats *s, unsigned int prio,
				    int cpu);

#endif /* __SLUICE_STATS_H */
