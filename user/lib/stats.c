// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/*
 * Indexes that are near each other are read in one batch call: a gap of
 * a few entries costs less to copy than a call of its own.
 */
#define RUN_GAP 32

struct run {
	__u32 lo, hi; /* [lo, hi) */
};

static int run_cmp(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and merge runs that overlap or nearly touch; the new count. */
static size_t merge_runs(struct run *r, size_t n)
{
	size_t i, k = 0;

	if (!n)
		return 0;
	qsort(r, n, sizeof(*r), run_cmp);
	for (i = 1; i < n; i++) {
		if (r[i].lo <= r[k].hi + RUN_GAP) {
			if (r[i].hi > r[k].hi)
				r[k].hi = r[i].hi;
		} else {
			r[++k] = r[i];
		}
	}
	return k + 1;
}

/*
 * The runs of a per-CPU array of n entries; what no run covers reads as
 * zero.  The whole array is allocated so that indexes stay direct: with
 * many CPUs it is a fresh mapping whose untouched pages cost nothing.
 */
static int read_percpu(const struct sl_dp *dp, enum sl_counters which, __u32 n,
		       int ncpus, struct run *runs, size_t nruns,
		       struct sluice_counter **out)
{
	struct sluice_counter *v;
	size_t i;
	int ret = 0;

	v = calloc((size_t)n * ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < nruns && !ret; i++) {
		if (runs[i].hi > n)
			runs[i].hi = n;
		if (runs[i].lo < runs[i].hi)
			ret = sl_dp_counters_read(
				dp, which, runs[i].lo, runs[i].hi,
				v + (size_t)runs[i].lo * ncpus);
	}
	if (ret) {
		free(v);
		return ret;
	}
	*out = v;
	return 0;
}

/* One run per slot of per_slot entries, or one for the whole map. */
static int slot_runs(const struct sl_stats_sel *sel, __u32 per_slot, __u32 n,
		     struct run **out, size_t *nout)
{
	struct run *r;
	size_t i;

	r = calloc(sel ? sel->nslots + 1 : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (!sel) {
		r[0] = (struct run){ 0, n };
		*nout = 1;
	} else {
		for (i = 0; i < sel->nslots; i++)
			r[i] = (struct run){ sel->slots[i] * per_slot,
					     (sel->slots[i] + 1) * per_slot };
		*nout = merge_runs(r, sel->nslots);
	}
	*out = r;
	return 0;
}

static int prio_runs(const struct sl_stats_sel *sel, struct run **out,
		     size_t *nout)
{
	struct run *r;
	size_t i;

	r = calloc(sel ? sel->nprios + 1 : 1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (!sel) {
		r[0] = (struct run){ 0, SLUICE_PRIO_MAX + 1 };
		*nout = 1;
	} else {
		for (i = 0; i < sel->nprios; i++)
			r[i] = (struct run){ sel->prios[i],
					     sel->prios[i] + 1u };
		*nout = merge_runs(r, sel->nprios);
	}
	*out = r;
	return 0;
}

int sl_stats_read_sel(const struct sl_dp *dp, const struct sl_stats_sel *sel,
		      struct sl_stats *s)
{
	const __u32 per_slot_act = SLUICE_HOOK__MAX * SLUICE_ACT_CELLS;
	const __u32 per_slot_why = SLUICE_HOOK__MAX * SLUICE_REASON_CELLS;
	struct run *r = NULL;
	size_t n;
	int ret;

	memset(s, 0, sizeof(*s));
	s->ncpus = sl_dp_ncpus();
	if (s->ncpus <= 0)
		return -EINVAL;
	ret = slot_runs(sel, per_slot_act, SLUICE_IFACE_COUNTERS, &r, &n);
	if (!ret)
		ret = read_percpu(dp, SL_COUNTERS_IFACE, SLUICE_IFACE_COUNTERS,
				  s->ncpus, r, n, &s->iface);
	free(r);
	r = NULL;
	if (!ret)
		ret = slot_runs(sel, per_slot_why, SLUICE_REASON_COUNTERS, &r,
				&n);
	if (!ret)
		ret = read_percpu(dp, SL_COUNTERS_REASON,
				  SLUICE_REASON_COUNTERS, s->ncpus, r, n,
				  &s->reason);
	free(r);
	r = NULL;
	if (!ret)
		ret = prio_runs(sel, &r, &n);
	if (!ret)
		ret = read_percpu(dp, SL_COUNTERS_RULE, SLUICE_PRIO_MAX + 1,
				  s->ncpus, r, n, &s->rule);
	if (!ret)
		ret = read_percpu(dp, SL_COUNTERS_RL_DROP, SLUICE_PRIO_MAX + 1,
				  s->ncpus, r, n, &s->rl_drop);
	free(r);
	if (ret)
		sl_stats_free(s);
	return ret;
}

int sl_stats_read(const struct sl_dp *dp, struct sl_stats *s)
{
	return sl_stats_read_sel(dp, NULL, s);
}

void sl_stats_free(struct sl_stats *s)
{
	free(s->iface);
	free(s->reason);
	free(s->rule);
	free(s->rl_drop);
	memset(s, 0, sizeof(*s));
}

static struct sluice_counter sum(const struct sl_stats *s,
				 const struct sluice_counter *v, __u32 idx,
				 int cpu)
{
	struct sluice_counter c = {};
	int i;

	for (i = 0; i < s->ncpus; i++) {
		if (cpu >= 0 && i != cpu)
			continue;
		c.packets += v[(size_t)idx * s->ncpus + i].packets;
		c.bytes += v[(size_t)idx * s->ncpus + i].bytes;
	}
	return c;
}

struct sluice_counter sl_stats_iface(const struct sl_stats *s,
				     unsigned int slot, unsigned int hook,
				     unsigned int action, int cpu)
{
	return sum(s, s->iface, sluice_iface_counter_idx(slot, hook, action),
		   cpu);
}

struct sluice_counter sl_stats_reason(const struct sl_stats *s,
				      unsigned int slot, unsigned int hook,
				      unsigned int reason, int cpu)
{
	return sum(s, s->reason, sluice_reason_counter_idx(slot, hook, reason),
		   cpu);
}

struct sluice_counter sl_stats_rule(const struct sl_stats *s, unsigned int prio,
				    int cpu)
{
	return sum(s, s->rule, prio, cpu);
}

struct sluice_counter sl_stats_rl_drop(const struct sl_stats *s,
				       unsigned int prio, int cpu)
{
	return sum(s, s->rl_drop, prio, cpu);
}
