/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The loaded data plane: one BPF object (XDP and tc entries, all maps),
 * either private to the caller (test-run, selftests, bench) or with its
 * maps pinned under a directory and adopted from there (sluiced).
 *
 * Interfaces are known by slot (1..SLUICE_MAX_IFACES-1), bound to a name;
 * slot 0 collects packets from interfaces sluice does not know.  Sets are
 * known by id (1..SLUICE_MAX_SETS-1), bound to a name.
 */
#ifndef __SLUICE_DATAPLANE_H
#define __SLUICE_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/abi.h>

#include "rule.h"

#define SLUICE_PIN_DIR "/sys/fs/bpf/sluice"

struct sl_dp;

struct sl_dp_opts {
	const char *pin_dir; /* NULL: private maps, nothing pinned */
	bool trace; /* record each packet's decision (test-run) */
};

int sl_dp_open(const struct sl_dp_opts *opts, struct sl_dp **dp, char *err,
	       size_t errlen);
void sl_dp_close(struct sl_dp *dp);
/* Pin again the maps whose pins are gone: how many, or -errno. */
int sl_dp_repin(struct sl_dp *dp);

int sl_dp_prog_fd(const struct sl_dp *dp, enum sluice_hook hook);
struct bpf_object *sl_dp_object(const struct sl_dp *dp);

/* Slots: find the slot bound to name, binding a free one if create. */
int sl_dp_slot(struct sl_dp *dp, const char *name, bool create);
/* The same, binding one if need be; err says why there is none. */
int sl_dp_slot_bind(struct sl_dp *dp, const char *name, char *err,
		    size_t errlen);
int sl_dp_iface_get(const struct sl_dp *dp, unsigned int slot,
		    struct sluice_iface *iface);
/* Write the slot's configuration and point iface->ifindex at it. */
int sl_dp_iface_set(struct sl_dp *dp, unsigned int slot,
		    const struct sluice_iface *iface);
/* Unbind: forget the ifindex and the name, zero the slot's counters. */
int sl_dp_iface_release(struct sl_dp *dp, unsigned int slot);

/*
 * Sets.  A set id points to a slot holding its content; a load fills a
 * spare slot aside and then repoints the id in one step (packets see the
 * old content or the new), then frees the old slot.  A crash at any point
 * leaves the id pointing at one whole slot: sl_dp_open() drops the rest.
 * Every operation costs in proportion to the one set's size, never to
 * all sets': each slot has tries of its own.
 */
struct sluice_set_info {
	char name[SLUICE_SET_NAME_LEN];
	__u32 count4, count6; /* counted from the content, not stored */
};

int sl_dp_set_id(struct sl_dp *dp, const char *name, bool create);
int sl_dp_set_info(const struct sl_dp *dp, unsigned int id,
		   struct sluice_set_info *info);
/* The slot holding the set's content now (tests look at its buckets). */
int sl_dp_set_slot(const struct sl_dp *dp, unsigned int id);
/* Changes in place: the prefixes one by one. */
int sl_dp_set_add(struct sl_dp *dp, unsigned int id, const struct sl_prefix *p,
		  size_t n);
int sl_dp_set_del(struct sl_dp *dp, unsigned int id, const struct sl_prefix *p,
		  size_t n);
/* Whole-set changes, each published in one step: */
int sl_dp_set_flush(struct sl_dp *dp, unsigned int id);
/* Make the set hold exactly these (nothing at all when it already does). */
int sl_dp_set_replace(struct sl_dp *dp, unsigned int id,
		      const struct sl_prefix *p, size_t n);
/* Calls fn for every prefix of the set; stops early on a non-zero return. */
int sl_dp_set_walk(const struct sl_dp *dp, unsigned int id,
		   int (*fn)(const struct sl_prefix *p, void *arg), void *arg);

/*
 * The steps of a replacement, for callers that fill it a slice at a time:
 * start takes a spare slot, add fills it (no packet sees it yet), publish
 * repoints the set, leaving the old slot to sl_dp_sets_reclaim(); abort
 * frees the spare.  The
 * old and the new content count against SLUICE_SET_MAX_PREFIXES together
 * until publish: add fails with -ENOSPC when there is no room for both.
 * Publish and abort free b.
 */
struct sl_set_build;
int sl_dp_set_build_start(struct sl_dp *dp, unsigned int id,
			  struct sl_set_build **b);
int sl_dp_set_build_add(struct sl_set_build *b, const struct sl_prefix *p,
			size_t n);
int sl_dp_set_build_publish(struct sl_set_build *b);
void sl_dp_set_build_abort(struct sl_set_build *b);
/*
 * Free the slots publish let go of, for at most budget_ns (0: all of
 * them): 1 while some are left, 0 when done.  Until then they count
 * against SLUICE_SET_MAX_PREFIXES; a crash leaves them to sl_dp_open().
 */
int sl_dp_sets_reclaim(struct sl_dp *dp, unsigned long long budget_ns);
/* Slots of unfinished loads that sl_dp_open() dropped. */
unsigned int sl_dp_sets_reclaimed(const struct sl_dp *dp);

/*
 * Replace the whole rule set atomically (packets see the old one or the
 * new one).  Interfaces named by "in" get slots, sets named must exist.
 * On error nothing that packets see has changed.
 */
/* Everything sl_dp_rules_replace() checks, without replacing anything. */
int sl_dp_rules_check(struct sl_dp *dp, const struct sl_rule *rules, size_t n,
		      char *err, size_t errlen);
int sl_dp_rules_replace(struct sl_dp *dp, const struct sl_rule *rules, size_t n,
			char *err, size_t errlen);

int sl_dp_ncpus(void);
/*
 * Add entry key of the per-CPU map fd, whose value is nr __u64s, to
 * sum[0..nr): every possible CPU's, or only CPU cpu's when cpu >= 0.
 * On error sum is left as it was.
 */
int sl_dp_percpu_sum(int fd, __u32 key, int cpu, __u64 *sum, size_t nr);

/*
 * The counter maps' entries [lo, hi), every CPU's: v[(i - lo) * ncpus +
 * cpu].  Indexes are sluice_iface_counter_idx(), sluice_reason_counter_idx()
 * or a priority.  stats.h reads its snapshots with it; the look-ups below
 * read their one entry with sl_dp_percpu_sum().
 */
enum sl_counters {
	SL_COUNTERS_IFACE,
	SL_COUNTERS_REASON,
	SL_COUNTERS_RULE,
	SL_COUNTERS_RL_DROP, /* by priority: dropped over a rate limit */
};
int sl_dp_counters_read(const struct sl_dp *dp, enum sl_counters which,
			__u32 lo, __u32 hi, struct sluice_counter *v);

/* One counter summed over CPUs, or one CPU's when cpu >= 0. */
int sl_dp_iface_counter(const struct sl_dp *dp, unsigned int slot,
			unsigned int hook, unsigned int action, int cpu,
			struct sluice_counter *c);
int sl_dp_reason_counter(const struct sl_dp *dp, unsigned int slot,
			 unsigned int hook, unsigned int reason, int cpu,
			 struct sluice_counter *c);
int sl_dp_rule_counter(const struct sl_dp *dp, unsigned int prio, int cpu,
		       struct sluice_counter *c);

/*
 * How full the data plane is: what metrics and status report.  The
 * classifier's maps hold two generations; their _max is one's.
 */
struct sl_dp_usage {
	struct sluice_ruleset ruleset; /* the active generation's */
	unsigned int ifaces; /* bound slots */
	unsigned int sets; /* defined sets */
	unsigned long long prefixes4, prefixes6; /* of all slots */
	__u32 crules_max, pool_max, ivs_max; /* one generation */
	__u32 set4_max, set6_max, ifaces_max; /* max_entries of the maps */
	/* rate-limit "per" buckets: held, the bound, made, and so evicted. */
	__u64 rl_buckets, rl_buckets_max, rl_inserts, rl_evictions;
};
int sl_dp_usage(const struct sl_dp *dp, struct sl_dp_usage *u);
/* u's rl_ fields: the rate-limit table's fill, bound, buckets made, evicted. */
int sl_dp_rl_table(const struct sl_dp *dp, struct sl_dp_usage *u);

/* The decision of the last packet run, when opened with trace. */
int sl_dp_last_trace(const struct sl_dp *dp, struct sluice_trace *t);

#endif /* __SLUICE_DATAPLANE_H */
