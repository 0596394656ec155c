/* SPDX-License-Identifier: GPL-2.0-only */
/* What the data plane modules (dataplane, ruleset, sets) share privately. */
#ifndef __SLUICE_DATAPLANE_INT_H
#define __SLUICE_DATAPLANE_INT_H

#include <stddef.h>

#include <sluice/abi.h>

#include "classifier.h"
#include "sluice.skel.h"

struct sl_dp {
	struct sluice_bpf *skel;
	char pin_dir[4096];
	struct sl_ix_maps ix; /* the classifier's maps, mapped */
	__u64 *set4_bits[SLUICE_MAX_SETS]; /* inner bitmaps, mapped */
	int sync_inner_fd;
};

/* Wait until no packet runs on data the caller just unpublished. */
int sl_dp_sync(struct sl_dp *dp);

#endif /* __SLUICE_DATAPLANE_INT_H */
