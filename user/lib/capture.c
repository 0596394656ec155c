// SPDX-License-Identifier: GPL-2.0-only
/* The data plane's capture slots: see capture.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture.h"

static int map_fd(const struct sl_dp *dp, const char *name)
{
	int fd = bpf_object__find_map_fd_by_name(sl_dp_object(dp), name);

	return fd < 0 ? -ENOENT : fd;
}

void sl_cap_filter_init(struct sluice_capture *f, uint32_t rate,
			uint32_t snaplen)
{
	memset(f, 0, sizeof(*f));
	f->interval_ns = 1000000000ull / (rate ? rate : 1);
	/* A second's worth at once, then the rate. */
	f->burst_ns = 1000000000ull - f->interval_ns;
	f->snaplen = snaplen;
}

/* Flip the slot's bit of sl_cap_on; the daemon is the only writer. */
static int set_on(struct sl_dp *dp, unsigned int slot, bool on)
{
	int fd = map_fd(dp, "sl_cap_on");
	__u32 zero = 0, bits;

	if (fd < 0)
		return fd;
	if (bpf_map_lookup_elem(fd, &zero, &bits))
		return -errno;
	bits = on ? bits | 1U << slot : bits & ~(1U << slot);
	return bpf_map_update_elem(fd, &zero, &bits, BPF_ANY) ? -errno : 0;
}

int sl_cap_stop(struct sl_dp *dp, unsigned int slot)
{
	struct sluice_capture off = { 0 };
	int ffd = map_fd(dp, "sl_cap_filters");
	int rfd = map_fd(dp, "sl_cap_rings");
	int ret;

	if (slot >= SLUICE_CAP_SLOTS || ffd < 0 || rfd < 0)
		return -EINVAL;
	/* The bit first: then no new packet looks at the filter or ring. */
	ret = set_on(dp, slot, false);
	if (ret)
		return ret;
	if (bpf_map_update_elem(ffd, &slot, &off, BPF_ANY))
		return -errno;
	if (bpf_map_delete_elem(rfd, &slot) && errno != ENOENT)
		return -errno;
	return 0;
}

int sl_cap_reset(struct sl_dp *dp)
{
	unsigned int slot;
	int ret;

	for (slot = 0; slot < SLUICE_CAP_SLOTS; slot++) {
		ret = sl_cap_stop(dp, slot);
		if (ret)
			return ret;
	}
	return 0;
}

int sl_cap_start(struct sl_dp *dp, unsigned int slot,
		 const struct sluice_capture *f, int *ring_fd)
{
	int ffd = map_fd(dp, "sl_cap_filters");
	int rfd = map_fd(dp, "sl_cap_rings");
	int ring, ret;

	if (slot >= SLUICE_CAP_SLOTS || ffd < 0 || rfd < 0)
		return -EINVAL;
	ring = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "sl_cap_ring", 0, 0,
			      SLUICE_CAP_RING_BYTES, NULL);
	if (ring < 0)
		return -errno;
	if (bpf_map_update_elem(ffd, &slot, f, BPF_ANY) ||
	    bpf_map_update_elem(rfd, &slot, &ring, BPF_ANY)) {
		ret = -errno;
		goto fail;
	}
	ret = set_on(dp, slot, true);
	if (ret)
		goto fail;
	*ring_fd = ring;
	return 0;
fail:
	sl_cap_stop(dp, slot);
	close(ring);
	return ret;
}

int sl_cap_counters(const struct sl_dp *dp, int slot,
		    struct sluice_cap_counters *sum)
{
	int fd = map_fd(dp, "sl_cap_stats"), ret = 0;
	unsigned int s, first, last;

	memset(sum, 0, sizeof(*sum));
	if (fd < 0 || slot >= SLUICE_CAP_SLOTS)
		return -EINVAL;
	first = slot < 0 ? 0 : slot;
	last = slot < 0 ? SLUICE_CAP_SLOTS - 1 : slot;
	for (s = first; s <= last && !ret; s++)
		ret = sl_dp_percpu_sum(fd, s, -1, sum->n, SLUICE_CAP__MAX);
	return ret;
}

const char *sl_cap_counter_name(unsigned int what)
{
	static const char *const names[SLUICE_CAP__MAX] = {
		[SLUICE_CAP_CAPTURED] = "captured",
		[SLUICE_CAP_SUPPRESSED] = "suppressed",
		[SLUICE_CAP_LOST] = "lost",
	};

	return what < SLUICE_CAP__MAX ? names[what] : "unknown";
}
