/* SPDX-License-Identifier: GPL-2.0-only */
/* What the data plane modules (dataplane, ruleset, sets) share privately. */
#ifndef __SLUICE_DATAPLANE_INT_H
#define __SLUICE_DATAPLANE_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <sluice/abi.h>

#include "classifier.h"
#include "sluice.skel.h"

/* A slot of set content (see sl_set_slots in bpf/maps.h), as held here. */
struct sl_set_slot {
	bool used;
	int trie4_fd, trie6_fd;
	__u64 *bits4; /* the IPv4 bitmap, mapped */
	__u64 *bits6; /* the IPv6 bitmap, mapped once there is one */
	__u32 count4, count6; /* counted from the tries at open */
	/* Unpublished and being freed a slice at a time: how far it got. */
	bool freeing, free6_started;
	__u32 free_word;
	struct sluice_set6_key free6_key;
};

struct sl_dp {
	struct sluice_bpf *skel;
	char pin_dir[4096];
	struct sl_ix_maps ix; /* the classifier's maps, mapped */
	__u64 *set_slots; /* sl_set_slots, mapped: set id -> slot */
	struct sluice_set4_long *set4_long; /* mapped once needed */
	__u32 *flowc_epoch; /* sl_flowc_epoch, mapped */
	struct sl_set_slot slot[SLUICE_SET_SLOTS];
	unsigned long long prefixes4, prefixes6; /* all slots together */
	unsigned int slots_reclaimed; /* unfinished loads dropped at open */
	/* Buckets marked DEAD so far, and by the last grace period waited. */
	unsigned long dead_marked, dead_synced;
	int sync_inner_fd;
};

/*
 * Make packets classify afresh: every entry of the flow cache was
 * classified under an older epoch.  Call after each change to rules or
 * sets that packets can see, once it is visible.
 */
void sl_dp_flowc_flush(struct sl_dp *dp);

/* Wait until no packet runs on data the caller just unpublished. */
int sl_dp_sync(struct sl_dp *dp);

/*
 * Adopt the sets' slots at open: count what each set's slot holds, and
 * drop slots no set points to (a load or flush cut short by a crash).
 */
int sl_dp_sets_open(struct sl_dp *dp);
void sl_dp_sets_close(struct sl_dp *dp);

#endif /* __SLUICE_DATAPLANE_INT_H */
