/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Writing a parsed configuration into the data plane's maps, in the one
 * order test-run, the tests and the daemon's reload share:
 *
 *   1. bind the names: every set gets an id (new ones empty), every
 *      interface a slot, in the file's order;
 *   2. check the rules: what can still fail fails here, while nothing
 *      packets see has changed;
 *   3. fill the sets, each replaced by its content in the file, so that a
 *      new rule never meets its set half filled;
 *   4. publish the rules (one atomic swap);
 *   5. the interfaces: each one's policy (or what the caller does).
 */
#ifndef __SLUICE_APPLY_H
#define __SLUICE_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "dataplane.h"

/* What a caller adds to the steps; every field may be left zero. */
struct sl_apply_hooks {
	/* The rules to publish instead of the file's, sorted by prio. */
	const struct sl_rule *rules;
	size_t nrules;
	bool own_rules;
	/* After each set is filled (3), with its counts before and after. */
	void (*set_filled)(void *arg, const char *name,
			   const struct sluice_set_info *before,
			   const struct sluice_set_info *after);
	/* After the rules are published (4). */
	void (*rules_published)(void *arg);
	/* Step 5 instead of writing each interface's policy; cannot fail. */
	void (*ifaces)(void *arg, const struct sl_config *cfg);
	void *arg;
	/* Out: the error came after step 3 began, so something changed. */
	bool partial;
};

/* On error, err says which step and what; h may be NULL. */
int sl_apply(struct sl_dp *dp, const struct sl_config *cfg,
	     struct sl_apply_hooks *h, char *err, size_t errlen);

/* sl_apply() with no hooks. */
int sl_apply_config(struct sl_dp *dp, const struct sl_config *cfg, char *err,
		    size_t errlen);

#endif /* __SLUICE_APPLY_H */
