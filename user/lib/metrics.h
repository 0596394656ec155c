/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The Prometheus text exposition of everything the data plane counts.
 * The daemon serves it over HTTP and over its control socket.
 */
#ifndef __SLUICE_METRICS_H
#define __SLUICE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <sluice/abi.h>

#include "dataplane.h"

/* An interface the daemon knows: a slot, and what is attached there. */
struct sl_metrics_iface {
	unsigned int slot;
	const char *name;
	bool wanted; /* attach asked for: it should be attached */
	bool attached;
	unsigned int hook; /* enum sluice_hook, when attached */
	const char *mode; /* "native", "generic", "tc" */
	__u32 prog_id;
	unsigned long long conflicts; /* hook found held by another program */
};

/* A FlowSpec route: its rules are prio..prio + nrules - 1. */
struct sl_metrics_fs_route {
	__u16 prio, nrules;
};

/* What "sluice flowspec" last reported (see sluiced's flowspec.c). */
struct sl_metrics_flowspec {
	unsigned long long received, installed, refused, updates;
	unsigned long long peers, peers_up;
	const unsigned long long *refused_by; /* per sl_fs_reasons[] */
	const struct sl_metrics_fs_route *routes;
	size_t nroutes;
};

struct sl_metrics_opts {
	const char *version;
	const struct sl_metrics_iface *ifaces;
	size_t nifaces;
	const __u16 *rules; /* the rule set's priorities */
	size_t nrules;
	const __u16 *rl_rules; /* those of them that are rate-limit rules */
	size_t nrl_rules;
	bool per_cpu; /* a "cpu" label on counters instead of sums */
	const struct sl_metrics_flowspec *flowspec; /* NULL: none reported */
};

int sl_metrics_write(const struct sl_dp *dp, const struct sl_metrics_opts *o,
		     FILE *out);

#endif /* __SLUICE_METRICS_H */
