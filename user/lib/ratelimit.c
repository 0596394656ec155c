// SPDX-License-Identifier: GPL-2.0-only
/*
 * The rate-limit bucket table as status and metrics report it: how many
 * of its slots hold a bucket, how many buckets the data plane made, and
 * so how many the bound has cost (see sl_rl_inserts in bpf/maps.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "dataplane_int.h"

/* Entry IDX of sl_rl_inserts, summed over the CPUs. */
static int rl_count(const struct sl_dp *dp, __u32 idx, __u64 *sum)
{
	int ncpus = sl_dp_ncpus(), i, ret;
	__u64 *v;

	*sum = 0;
	if (ncpus <= 0)
		return -EINVAL;
	v = calloc(ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	ret = bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.sl_rl_inserts),
				  &idx, v) ?
		      -errno :
		      0;
	for (i = 0; i < ncpus && !ret; i++)
		*sum += v[i];
	free(v);
	return ret;
}

int sl_dp_rl_table(const struct sl_dp *dp, __u64 *entries, __u64 *inserts)
{
	__u64 max = bpf_map__max_entries(dp->skel->maps.sl_rl_key_bkt);
	int ret = rl_count(dp, 0, inserts);

	if (!ret)
		ret = rl_count(dp, 1, entries);
	/* Two CPUs may have filled one slot at the same instant. */
	if (*entries > max)
		*entries = max;
	return ret;
}
