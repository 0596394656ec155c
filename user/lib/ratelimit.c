// SPDX-License-Identifier: GPL-2.0-only
/*
 * The rate-limit bucket table as status and metrics report it: how many
 * of its slots hold a bucket, how many buckets the data plane made, and
 * so how many the bound has cost (see sl_rl_inserts in bpf/maps.h).
 */
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "dataplane_int.h"

int sl_dp_rl_table(const struct sl_dp *dp, struct sl_dp_usage *u)
{
	int fd = bpf_map__fd(dp->skel->maps.sl_rl_inserts), ret;

	u->rl_buckets_max = bpf_map__max_entries(dp->skel->maps.sl_rl_key_bkt);
	u->rl_inserts = u->rl_buckets = u->rl_evictions = 0;
	ret = sl_dp_percpu_sum(fd, 0, -1, &u->rl_inserts, 1);
	if (!ret)
		ret = sl_dp_percpu_sum(fd, 1, -1, &u->rl_buckets, 1);
	if (ret)
		return ret;
	/* Two CPUs may have filled one slot at the same instant. */
	if (u->rl_buckets > u->rl_buckets_max)
		u->rl_buckets = u->rl_buckets_max;
	/* Only the LRU takes a bucket out. */
	if (u->rl_inserts > u->rl_buckets)
		u->rl_evictions = u->rl_inserts - u->rl_buckets;
	return 0;
}
