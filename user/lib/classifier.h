/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The classifier's index, built by user space for bpf/classify.h: see
 * classifier.c.
 */
#ifndef __SLUICE_CLASSIFIER_H
#define __SLUICE_CLASSIFIER_H

#include <sluice/abi.h>

/* The classifier's maps, mapped: both generations each. */
struct sl_ix_maps {
	struct sluice_crule *rules;
	__u64 *pool;
	__u64 *small;
	__u64 *ports;
	__u64 *roots;
	struct sluice_iv *ivs;
};

/*
 * Index rules[1..n] (in priority order, already written to generation
 * gen's half of m->rules) into generation gen's half of the other maps,
 * and describe the result in *rs.  Every rule set fits: what the pool
 * cannot hold in an index goes to the list every packet walks.
 */
int sl_ix_build(const struct sl_ix_maps *m, __u32 gen,
		const struct sluice_crule *rules, __u32 n,
		struct sluice_ruleset *rs);

#endif /* __SLUICE_CLASSIFIER_H */
