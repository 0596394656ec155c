/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Bind an interface slot of the data plane to an ifindex, as "sluice
 * test-run" does for its ingress (ifindex 1, the loopback, is where
 * bpf_prog_test_run runs).
 */
#ifndef __SELFTESTS_DPBIND_H
#define __SELFTESTS_DPBIND_H

#include "dataplane.h"

#define TESTRUN_IFINDEX 1 /* loopback: where bpf_prog_test_run runs */

/* The slot of name (made if new), or a negative errno. */
int dp_bind_slot(struct sl_dp *dp, const char *name, int ifindex);

#endif /* __SELFTESTS_DPBIND_H */
