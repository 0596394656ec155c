/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The data plane's counters before and after one packet: exactly one
 * packet and its bytes must move on the ingress slot's action and reason
 * counters and on the deciding rule's, and nothing else the scope names.
 */
#ifndef __SELFTESTS_COUNTERS_H
#define __SELFTESTS_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>

#include <sluice/abi.h>

#include "dataplane.h"

#define CNT_MAX_PRIOS 64

struct cnt_scope {
	unsigned int slot; /* where the packet counts */
	unsigned int other; /* a slot whose counters must stay */
	unsigned int prios[CNT_MAX_PRIOS]; /* rules to look at */
	unsigned int nprios;
};

/* [0]: the slot, [1]: the other one. */
struct cnt_snap {
	struct sluice_counter act[2][SLUICE_HOOK__MAX][SLUICE_ACT__MAX];
	struct sluice_counter why[2][SLUICE_HOOK__MAX][SLUICE_REASON__MAX];
	struct sluice_counter rule[CNT_MAX_PRIOS];
};

/* Add a rule to look at, once. */
void cnt_scope_prio(struct cnt_scope *sc, unsigned int prio);
void cnt_take(const struct sl_dp *dp, const struct cnt_scope *sc,
	      struct cnt_snap *s);
/*
 * Assert that one packet of len bytes moved on the slot's (hook, action)
 * and (hook, reason) counters and on rule prio (0: none), and nothing
 * else in scope.  An action or reason out of range: nothing may move.
 */
void cnt_check(const struct cnt_scope *sc, const struct cnt_snap *before,
	       const struct cnt_snap *after, enum sluice_hook hook,
	       unsigned int action, unsigned int reason, unsigned int prio,
	       size_t len);

/* Overwrite the last-decision record, so a stale one cannot pass. */
void cnt_trace_poison(const struct sl_dp *dp);

#endif /* __SELFTESTS_COUNTERS_H */
