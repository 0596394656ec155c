/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A snapshot of the per-CPU counters of the data plane, read with batch
 * calls: the whole maps, or only the slots and rules a reader names (a
 * scrape of 64 interfaces and 10,000 rules copies their counters, not
 * the 65,536 rule counters of every CPU).
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
	struct sluice_counter *rl_drop; /* [prio][cpu]: over a rate limit */
};

/* What to read; counters of slots and priorities not named read as zero. */
struct sl_stats_sel {
	const unsigned int *slots; /* interface slots, any order */
	size_t nslots;
	const __u16 *prios; /* rule priorities, any order */
	size_t nprios;
};

int sl_stats_read(const struct sl_dp *dp, struct sl_stats *s);
int sl_stats_read_sel(const struct sl_dp *dp, const struct sl_stats_sel *sel,
		      struct sl_stats *s);
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
/* What rule prio's rate limit dropped (part of its sl_stats_rule). */
struct sluice_counter sl_stats_rl_drop(const struct sl_stats *s,
				       unsigned int prio, int cpu);

#endif /* __SLUICE_STATS_H */
