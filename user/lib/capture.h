/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The data plane's capture slots (bpf/capture.h): starting and stopping
 * a capture in a slot, and its counters.  Who holds which slot is the
 * caller's business (sluiced: one per client connection).
 */
#ifndef __SLUICE_CAPTURE_H
#define __SLUICE_CAPTURE_H

#include <stdint.h>

#include <sluice/abi.h>

#include "dataplane.h"

/* A filter for rate packets per second, with a burst of a second's worth. */
void sl_cap_filter_init(struct sluice_capture *f, uint32_t rate,
			uint32_t snaplen);

/* Every slot stopped: what a daemon finds at start is no one's. */
int sl_cap_reset(struct sl_dp *dp);

/*
 * Start slot with filter f: a ring of its own (SLUICE_CAP_RING_BYTES),
 * whose fd comes back in *ring_fd, for the caller to hand on and close.
 */
int sl_cap_start(struct sl_dp *dp, unsigned int slot,
		 const struct sluice_capture *f, int *ring_fd);
int sl_cap_stop(struct sl_dp *dp, unsigned int slot);

/*
 * The slot's counters summed over CPUs (slot < 0: all slots).  Monotonic
 * for the life of the pinned maps: a capture's own are the difference
 * from its start.
 */
int sl_cap_counters(const struct sl_dp *dp, int slot,
		    struct sluice_cap_counters *sum);

const char *sl_cap_counter_name(unsigned int what);

#endif /* __SLUICE_CAPTURE_H */
