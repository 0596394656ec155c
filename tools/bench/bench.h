/* SPDX-License-Identifier: GPL-2.0-only */
/* What the parts of build/bench share. */
#ifndef __SLUICE_BENCH_H
#define __SLUICE_BENCH_H

#include <stddef.h>

#include <linux/types.h>

#include "dataplane.h"

/* scrape.c: time a Prometheus scrape of dp with these rule priorities. */
int bench_scrape(struct sl_dp *dp, const __u16 *prios, size_t nrules);

#endif /* __SLUICE_BENCH_H */
