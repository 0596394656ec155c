// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane_int.h"
#include "stats.h"

/* All n entries of a per-CPU array, in as few batch calls as it takes. */
static int read_percpu(int fd, __u32 n, int ncpus, struct sluice_counter **out)
{
	struct sluice_counter *v;
	__u32 *keys, batch = 0, done = 0, count;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int ret = 0;

	v = calloc((size_t)n * ncpus, sizeof(*v));
	keys = calloc(n, sizeof(*keys));
	if (!v || !keys) {
		ret = -ENOMEM;
		goto out;
	}
	while (done < n) {
		count = n - done;
		ret = bpf_map_lookup_batch(fd, done ? &batch : NULL, &batch,
					   keys + done,
					   v + (size_t)done * ncpus, &count,
					   &opts);
		done += count;
		if (ret) {
			ret = -errno;
			if (ret == -ENOENT) /* the end of the map */
				ret = 0;
			break;
		}
	}
out:
	free(keys);
	if (ret) {
		free(v);
		return ret;
	}
	*out = v;
	return 0;
}

int sl_stats_read(const struct sl_dp *dp, struct sl_stats *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	s->ncpus = sl_dp_ncpus();
	if (s->ncpus <= 0)
		return -EINVAL;
	ret = read_percpu(bpf_map__fd(dp->skel->maps.sl_iface_stats),
			  SLUICE_IFACE_COUNTERS, s->ncpus, &s->iface);
	if (!ret)
		ret = read_percpu(bpf_map__fd(dp->skel->maps.sl_reason_stats),
				  SLUICE_REASON_COUNTERS, s->ncpus, &s->reason);
	if (!ret)
		ret = read_percpu(bpf_map__fd(dp->skel->maps.sl_rule_stats),
				  SLUICE_PRIO_MAX + 1, s->ncpus, &s->rule);
	if (ret)
		sl_stats_free(s);
	return ret;
}

void sl_stats_free(struct sl_stats *s)
{
	free(s->iface);
	free(s->reason);
	free(s->rule);
	memset(s, 0, sizeof(*s));
}

static struct sluice_counter sum(const struct sl_stats *s,
				 const struct sluice_counter *v, __u32 idx,
				 int cpu)
{
	struct sluice_counter c = {};
	int i;

	for (i = 0; i < s->ncpus; i++) {
		if (cpu >= 0 && i != cpu)
			continue;
		c.packets += v[(size_t)idx * s->ncpus + i].packets;
		c.bytes += v[(size_t)idx * s->ncpus + i].bytes;
	}
	return c;
}

struct sluice_counter sl_stats_iface(const struct sl_stats *s,
				     unsigned int slot, unsigned int hook,
				     unsigned int action, int cpu)
{
	return sum(s, s->iface, sluice_iface_counter_idx(slot, hook, action),
		   cpu);
}

struct sluice_counter sl_stats_reason(const struct sl_stats *s,
				      unsigned int slot, unsigned int hook,
				      unsigned int reason, int cpu)
{
	return sum(s, s->reason, sluice_reason_counter_idx(slot, hook, reason),
		   cpu);
}

struct sluice_counter sl_stats_rule(const struct sl_stats *s, unsigned int prio,
				    int cpu)
{
	return sum(s, s->rule, prio, cpu);
}
