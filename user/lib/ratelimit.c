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

/* Slots read per batch call: 8,192 slots are 256 KB. */
#define RL_BATCH 8192

/* Slots in use: a slot's TAT is 0 until a bucket is made in it. */
static int count_used(int fd, __u64 *n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	struct sluice_rl_slot *vals;
	__u32 *keys, in, out, count, i;
	bool first = true;
	int ret = 0;

	*n = 0;
	keys = calloc(RL_BATCH, sizeof(*keys));
	vals = calloc(RL_BATCH, sizeof(*vals));
	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		count = RL_BATCH;
		ret = bpf_map_lookup_batch(fd, first ? NULL : &in, &out, keys,
					   vals, &count, &opts);
		for (i = 0; i < count; i++)
			*n += vals[i].tat != 0;
		if (ret) {
			ret = errno == ENOENT ? 0 :
						-errno; /* ENOENT: the end */
			break;
		}
		in = out;
		first = false;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

int sl_dp_rl_table(const struct sl_dp *dp, __u64 *entries, __u64 *inserts)
{
	int ncpus = sl_dp_ncpus(), i, ret;
	__u32 zero = 0;
	__u64 *v;

	*inserts = 0;
	if (ncpus <= 0)
		return -EINVAL;
	v = calloc(ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	ret = bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.sl_rl_inserts),
				  &zero, v) ?
		      -errno :
		      0;
	for (i = 0; i < ncpus && !ret; i++)
		*inserts += v[i];
	free(v);
	if (!ret)
		ret = count_used(bpf_map__fd(dp->skel->maps.sl_rl_key_bkt),
				 entries);
	return ret;
}
