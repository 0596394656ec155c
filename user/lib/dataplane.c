// SPDX-License-Identifier: GPL-2.0-only
/* Loading the data plane, pinning and adopting its maps, slots, counters. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "dataplane_int.h"

int sl_dp_ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

int sl_dp_percpu_sum(int fd, __u32 key, int cpu, __u64 *sum, size_t nr)
{
	int ncpus = sl_dp_ncpus(), i;
	size_t k;
	__u64 *v;

	if (fd < 0 || ncpus <= 0 || cpu >= ncpus)
		return -EINVAL;
	v = calloc((size_t)ncpus * nr, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &key, v)) {
		free(v);
		return -errno;
	}
	for (i = 0; i < ncpus; i++) {
		if (cpu >= 0 && i != cpu)
			continue;
		for (k = 0; k < nr; k++)
			sum[k] += v[i * nr + k];
	}
	free(v);
	return 0;
}

static int mkdir_p(const char *dir)
{
	char buf[4096], *p;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Reuse a pinned map when it is the map this build defines, else fail
 * naming it.  Not libbpf's own check: the kernel adds BPF_F_RDONLY_PROG
 * to a devmap's flags, which libbpf 1.1 then takes for a mismatch.
 */
static int adopt_pin(struct bpf_map *map, const char *path, char *err,
		     size_t errlen)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd, ret;

	fd = bpf_obj_get(path);
	if (fd < 0) {
		ret = -errno;
		sl_err(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		ret = -errno;
		goto out;
	}
	if (info.type != bpf_map__type(map) ||
	    info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map) ||
	    (info.map_flags & ~BPF_F_RDONLY_PROG) !=
		    (bpf_map__map_flags(map) & ~BPF_F_RDONLY_PROG)) {
		sl_err(err, errlen,
		       "%s is pinned by another build of sluice (a different layout): move it away",
		       path);
		ret = -EPROTO;
		goto out;
	}
	ret = bpf_map__reuse_fd(map, fd);
out:
	if (ret && !err[0])
		sl_err(err, errlen, "%s: %s", path, strerror(-ret));
	close(fd);
	return ret;
}

static int set_pin_paths(struct bpf_object *obj, const char *dir, char *err,
			 size_t errlen)
{
	struct bpf_map *map;
	char path[4096];
	int ret;

	bpf_object__for_each_map(map, obj)
	{
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		if (!access(path, F_OK)) {
			ret = adopt_pin(map, path, err, errlen);
			if (ret)
				return ret;
			continue;
		}
		/* New: libbpf creates it at load and pins it here. */
		ret = bpf_map__set_pin_path(map, path);
		if (ret) {
			sl_err(err, errlen, "%s: %s", path, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int check_state(struct sl_dp *dp, char *err, size_t errlen)
{
	struct sluice_state st;
	__u32 zero = 0;
	int fd = bpf_map__fd(dp->skel->maps.sl_state);

	if (bpf_map_lookup_elem(fd, &zero, &st))
		return -errno;
	if (!st.abi_version) {
		st.abi_version = SLUICE_ABI_VERSION;
		if (bpf_map_update_elem(fd, &zero, &st, BPF_ANY))
			return -errno;
	} else if (st.abi_version != SLUICE_ABI_VERSION) {
		sl_err(err, errlen,
		       "pinned maps have ABI %u, this build speaks %u: remove %s",
		       st.abi_version, SLUICE_ABI_VERSION, dp->pin_dir);
		return -EPROTO;
	}
	return 0;
}

/*
 * The maps written through mmap: the classifier's, which classifier.c
 * fills, and the flow cache's epoch.
 */
struct mapped {
	void **at;
	struct bpf_map *map;
};

#define SL_IX_MAPS 7

static void classifier_maps(struct sl_dp *dp, struct mapped *m)
{
	m[0] = (struct mapped){ (void **)&dp->ix.rules,
				dp->skel->maps.sl_crules };
	m[1] = (struct mapped){ (void **)&dp->ix.pool, dp->skel->maps.sl_pool };
	m[2] = (struct mapped){ (void **)&dp->ix.small,
				dp->skel->maps.sl_small_idx };
	m[3] = (struct mapped){ (void **)&dp->ix.ports,
				dp->skel->maps.sl_port_idx };
	m[4] = (struct mapped){ (void **)&dp->ix.roots,
				dp->skel->maps.sl_addr_root };
	m[5] = (struct mapped){ (void **)&dp->ix.ivs,
				dp->skel->maps.sl_addr_ivs };
	m[6] = (struct mapped){ (void **)&dp->flowc_epoch,
				dp->skel->maps.sl_flowc_epoch };
}

static size_t map_bytes(const struct bpf_map *m)
{
	return (size_t)bpf_map__value_size(m) * bpf_map__max_entries(m);
}

static int map_classifier(struct sl_dp *dp)
{
	struct mapped m[SL_IX_MAPS];
	__u32 off = 0;
	void *p;
	int i;

	classifier_maps(dp, m);
	for (i = 0; i < SL_IX_MAPS; i++) {
		p = mmap(NULL, map_bytes(m[i].map), PROT_READ | PROT_WRITE,
			 MAP_SHARED, bpf_map__fd(m[i].map), 0);
		if (p == MAP_FAILED)
			return -errno;
		*m[i].at = p;
	}
	/* Epoch 0 turns the cache off: a new pin starts it at 1. */
	__atomic_compare_exchange_n(dp->flowc_epoch, &off, 1, false,
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	return 0;
}

/*
 * Every 2^32 changes the epoch wraps: entries of the epochs to come may
 * still be in the cache then, so it is emptied first (a failure leaves
 * the cache off, epoch 0, rather than wrong).
 */
static void flowc_clear(struct sl_dp *dp)
{
	const struct bpf_map *map = dp->skel->maps.sl_flowc;
	struct sluice_flowc_entry none = {};
	__u32 i, n = bpf_map__max_entries(map);
	int fd = bpf_map__fd(map);

	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &i, &none, BPF_ANY))
			break;
	if (i == n)
		__atomic_store_n(dp->flowc_epoch, 1, __ATOMIC_SEQ_CST);
}

void sl_dp_flowc_flush(struct sl_dp *dp)
{
	if (!__atomic_add_fetch(dp->flowc_epoch, 1, __ATOMIC_SEQ_CST))
		flowc_clear(dp);
}

static void unmap_classifier(struct sl_dp *dp)
{
	struct mapped m[SL_IX_MAPS];
	int i;

	classifier_maps(dp, m);
	for (i = 0; i < SL_IX_MAPS; i++)
		if (*m[i].at)
			munmap(*m[i].at, map_bytes(m[i].map));
}

int sl_dp_open(const struct sl_dp_opts *opts, struct sl_dp **out, char *err,
	       size_t errlen)
{
	struct sl_dp *dp;
	int ret;

	dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->skel = sluice_bpf__open();
	if (!dp->skel) {
		ret = -errno;
		sl_err(err, errlen, "cannot open the BPF object: %s",
		       strerror(-ret));
		goto fail;
	}
	dp->skel->rodata->sl_trace = opts && opts->trace;
	ret = sl_dp_ncpus() > 0 ?
		      bpf_map__set_max_entries(dp->skel->maps.sl_cpus,
					       sl_dp_ncpus()) :
		      -EINVAL;
	if (!ret)
		ret = bpf_map__set_max_entries(dp->skel->maps.sl_flowc,
					       sl_dp_ncpus() *
						       SLUICE_FLOWC_ENTRIES);
	if (!ret)
		ret = bpf_map__set_max_entries(dp->skel->maps.sl_fibc,
					       sl_dp_ncpus() *
						       SLUICE_FIBC_ENTRIES);
	if (ret) {
		sl_err(err, errlen, "cannot size the per-CPU maps: %s",
		       strerror(-ret));
		goto fail;
	}
	if (opts && opts->pin_dir) {
		snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", opts->pin_dir);
		ret = mkdir_p(dp->pin_dir);
		if (ret) {
			sl_err(err, errlen, "%s: %s", dp->pin_dir,
			       strerror(-ret));
			goto fail;
		}
		ret = set_pin_paths(dp->skel->obj, dp->pin_dir, err, errlen);
		if (ret)
			goto fail;
	}
	ret = sluice_bpf__load(dp->skel);
	if (ret) {
		sl_err(err, errlen, "cannot load the BPF programs: %s",
		       strerror(-ret));
		goto fail;
	}
	ret = check_state(dp, err, errlen);
	if (ret)
		goto fail;
	ret = map_classifier(dp);
	if (ret) {
		sl_err(err, errlen, "cannot map the classifier: %s",
		       strerror(-ret));
		goto fail;
	}
	ret = sl_dp_sets_open(dp);
	if (ret) {
		sl_err(err, errlen, "cannot adopt the sets: %s",
		       strerror(-ret));
		goto fail;
	}
	*out = dp;
	return 0;
fail:
	sl_dp_close(dp);
	return ret;
}

/*
 * Pin again every map whose pin is gone (its directory removed behind our
 * back): the maps live on while we hold them, and the next start must find
 * them.  A pin that is there is left alone, whatever it holds.
 */
int sl_dp_repin(struct sl_dp *dp)
{
	char path[sizeof(dp->pin_dir) + BPF_OBJ_NAME_LEN + 1];
	struct bpf_map *map;
	int ret, n = 0;

	if (!dp->pin_dir[0])
		return 0;
	ret = mkdir_p(dp->pin_dir);
	if (ret)
		return ret;
	bpf_object__for_each_map(map, dp->skel->obj)
	{
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dp->pin_dir,
			 bpf_map__name(map));
		if (!access(path, F_OK))
			continue;
		if (bpf_obj_pin(bpf_map__fd(map), path))
			return -errno;
		n++;
	}
	return n;
}

void sl_dp_close(struct sl_dp *dp)
{
	if (!dp)
		return;
	sl_dp_sets_close(dp);
	unmap_classifier(dp);
	if (dp->sync_inner_fd > 0)
		close(dp->sync_inner_fd);
	sluice_bpf__destroy(dp->skel);
	free(dp);
}

int sl_dp_prog_fd(const struct sl_dp *dp, enum sluice_hook hook)
{
	return bpf_program__fd(hook == SLUICE_HOOK_TC ? dp->skel->progs.sl_tc :
							dp->skel->progs.sl_xdp);
}

struct bpf_object *sl_dp_object(const struct sl_dp *dp)
{
	return dp->skel->obj;
}

int sl_dp_iface_get(const struct sl_dp *dp, unsigned int slot,
		    struct sluice_iface *iface)
{
	if (slot >= SLUICE_MAX_IFACES)
		return -EINVAL;
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.sl_ifaces), &slot,
				iface))
		return -errno;
	return 0;
}

int sl_dp_slot(struct sl_dp *dp, const char *name, bool create)
{
	struct sluice_iface iface;
	unsigned int slot, free_slot = 0;

	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++) {
		if (sl_dp_iface_get(dp, slot, &iface))
			return -EIO;
		if (!iface.name[0]) {
			if (!free_slot)
				free_slot = slot;
			continue;
		}
		if (!strncmp(iface.name, name, sizeof(iface.name)))
			return slot;
	}
	if (!create)
		return -ENOENT;
	if (!free_slot)
		return -ENOSPC;
	memset(&iface, 0, sizeof(iface));
	snprintf(iface.name, sizeof(iface.name), "%s", name);
	iface.policy = SLUICE_ACT_PASS;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_ifaces),
				&free_slot, &iface, BPF_ANY))
		return -errno;
	return free_slot;
}

int sl_dp_slot_bind(struct sl_dp *dp, const char *name, char *err,
		    size_t errlen)
{
	int slot = sl_dp_slot(dp, name, true);

	if (slot == -ENOSPC)
		sl_err(err, errlen, "%s: too many interfaces (at most %d)",
		       name, SLUICE_MAX_IFACES - 1);
	else if (slot < 0)
		sl_err(err, errlen, "%s: %s", name, strerror(-slot));
	return slot;
}

/*
 * Point ifindex at slot (0: at nobody), and keep the XDP egress ports in
 * step: every interface sluice has a slot for can be forwarded or
 * redirected to.  The kernel itself drops a port whose device goes.
 */
static int ifslot_write(struct sl_dp *dp, __u32 ifindex, __u32 slot)
{
	int ports = bpf_map__fd(dp->skel->maps.sl_tx_ports);

	if (!ifindex)
		return 0;
	if (ifindex >= SLUICE_IFINDEX_MAX)
		return -ERANGE;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_ifslot), &ifindex,
				&slot, BPF_ANY))
		return -errno;
	if (slot ? bpf_map_update_elem(ports, &ifindex, &ifindex, BPF_ANY) :
		   bpf_map_delete_elem(ports, &ifindex)) {
		/* A device gone meanwhile is no port, and not an error. */
		if (errno != ENOENT && errno != ENODEV)
			return -errno;
	}
	return 0;
}

int sl_dp_iface_set(struct sl_dp *dp, unsigned int slot,
		    const struct sluice_iface *iface)
{
	struct sluice_iface old;
	int ret;

	ret = sl_dp_iface_get(dp, slot, &old);
	if (ret)
		return ret;
	if (iface->ifindex >= SLUICE_IFINDEX_MAX)
		return -ERANGE;
	/* The old ifindex may belong to someone else by now: unmap it first. */
	if (old.ifindex && old.ifindex != iface->ifindex) {
		ret = ifslot_write(dp, old.ifindex, 0);
		if (ret)
			return ret;
	}
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_ifaces), &slot,
				iface, BPF_ANY))
		return -errno;
	return ifslot_write(dp, iface->ifindex, slot);
}

/* Zero n per-CPU counters from idx: a slot's numbers go with its name. */
static int zero_counters(int fd, __u32 idx, __u32 n)
{
	struct sluice_counter *zero = calloc(sl_dp_ncpus(), sizeof(*zero));
	int ret = 0;
	__u32 i;

	if (!zero)
		return -ENOMEM;
	for (i = idx; i < idx + n && !ret; i++)
		if (bpf_map_update_elem(fd, &i, zero, BPF_ANY))
			ret = -errno;
	free(zero);
	return ret;
}

int sl_dp_iface_release(struct sl_dp *dp, unsigned int slot)
{
	struct sluice_iface iface;
	int ret;

	ret = sl_dp_iface_get(dp, slot, &iface);
	if (ret)
		return ret;
	ret = ifslot_write(dp, iface.ifindex, 0);
	if (ret)
		return ret;
	memset(&iface, 0, sizeof(iface));
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_ifaces), &slot,
				&iface, BPF_ANY))
		return -errno;
	/* The next interface bound here starts from zero. */
	ret = zero_counters(bpf_map__fd(dp->skel->maps.sl_iface_stats),
			    sluice_iface_counter_idx(slot, 0, 0),
			    SLUICE_HOOK__MAX * SLUICE_ACT_CELLS);
	if (!ret)
		ret = zero_counters(bpf_map__fd(dp->skel->maps.sl_reason_stats),
				    sluice_reason_counter_idx(slot, 0, 0),
				    SLUICE_HOOK__MAX * SLUICE_REASON_CELLS);
	return ret;
}

static int counters_fd(const struct sl_dp *dp, enum sl_counters which)
{
	switch (which) {
	case SL_COUNTERS_IFACE:
		return bpf_map__fd(dp->skel->maps.sl_iface_stats);
	case SL_COUNTERS_REASON:
		return bpf_map__fd(dp->skel->maps.sl_reason_stats);
	case SL_COUNTERS_RULE:
		return bpf_map__fd(dp->skel->maps.sl_rule_stats);
	case SL_COUNTERS_RL_DROP:
		return bpf_map__fd(dp->skel->maps.sl_rl_drops);
	}
	return -EINVAL;
}

/*
 * In as few batch calls as it takes.  A batch starts after the key it is
 * given, so entry lo is reached by giving lo - 1 (or nothing for 0).
 */
int sl_dp_counters_read(const struct sl_dp *dp, enum sl_counters which,
			__u32 lo, __u32 hi, struct sluice_counter *v)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	int fd = counters_fd(dp, which), ncpus = sl_dp_ncpus(), ret = 0;
	__u32 done = 0, in, out, count, *keys;

	if (fd < 0 || ncpus <= 0 || hi < lo)
		return -EINVAL;
	keys = calloc(hi - lo ? hi - lo : 1, sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	while (lo + done < hi) {
		in = lo + done - 1;
		count = hi - lo - done;
		ret = bpf_map_lookup_batch(fd, lo + done ? &in : NULL, &out,
					   keys, v + (size_t)done * ncpus,
					   &count, &opts);
		done += count;
		if (ret) {
			/* ENOENT: the end of the map. */
			ret = errno == ENOENT ? 0 : -errno;
			break;
		}
		if (!count) {
			ret = -EIO;
			break;
		}
	}
	free(keys);
	return ret;
}

static int counter_sum(const struct sl_dp *dp, enum sl_counters which,
		       __u32 idx, int cpu, struct sluice_counter *c)
{
	memset(c, 0, sizeof(*c));
	return sl_dp_percpu_sum(counters_fd(dp, which), idx, cpu, (__u64 *)c,
				sizeof(*c) / sizeof(__u64));
}

int sl_dp_iface_counter(const struct sl_dp *dp, unsigned int slot,
			unsigned int hook, unsigned int action, int cpu,
			struct sluice_counter *c)
{
	if (slot >= SLUICE_MAX_IFACES || hook >= SLUICE_HOOK__MAX ||
	    action >= SLUICE_ACT__MAX)
		return -EINVAL;
	return counter_sum(dp, SL_COUNTERS_IFACE,
			   sluice_iface_counter_idx(slot, hook, action), cpu,
			   c);
}

int sl_dp_reason_counter(const struct sl_dp *dp, unsigned int slot,
			 unsigned int hook, unsigned int reason, int cpu,
			 struct sluice_counter *c)
{
	if (slot >= SLUICE_MAX_IFACES || hook >= SLUICE_HOOK__MAX ||
	    reason >= SLUICE_REASON__MAX)
		return -EINVAL;
	return counter_sum(dp, SL_COUNTERS_REASON,
			   sluice_reason_counter_idx(slot, hook, reason), cpu,
			   c);
}

int sl_dp_rule_counter(const struct sl_dp *dp, unsigned int prio, int cpu,
		       struct sluice_counter *c)
{
	if (prio < 1 || prio > SLUICE_PRIO_MAX)
		return -EINVAL;
	return counter_sum(dp, SL_COUNTERS_RULE, prio, cpu, c);
}

int sl_dp_usage(const struct sl_dp *dp, struct sl_dp_usage *u)
{
	struct sluice_set_info info;
	struct sluice_iface iface;
	struct sluice_state st = {};
	__u32 zero = 0, gen;
	unsigned int k;

	memset(u, 0, sizeof(*u));
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.sl_state), &zero,
				&st))
		return -errno;
	gen = st.active_gen & 1;
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.sl_rulesets), &gen,
				&u->ruleset))
		return -errno;
	for (k = 1; k < SLUICE_MAX_IFACES; k++)
		if (!sl_dp_iface_get(dp, k, &iface) && iface.name[0])
			u->ifaces++;
	for (k = 1; k < SLUICE_MAX_SETS; k++) {
		if (sl_dp_set_info(dp, k, &info) || !info.name[0])
			continue;
		u->sets++;
	}
	/* What the tries hold, a load's new content with the old. */
	u->prefixes4 = dp->prefixes4;
	u->prefixes6 = dp->prefixes6;
	u->crules_max = bpf_map__max_entries(dp->skel->maps.sl_crules) / 2;
	u->pool_max = bpf_map__max_entries(dp->skel->maps.sl_pool) / 2;
	u->ivs_max = bpf_map__max_entries(dp->skel->maps.sl_addr_ivs) / 2;
	u->set4_max = SLUICE_SET_MAX_PREFIXES;
	u->set6_max = SLUICE_SET_MAX_PREFIXES;
	u->ifaces_max = bpf_map__max_entries(dp->skel->maps.sl_ifaces);
	return sl_dp_rl_table(dp, u);
}

int sl_dp_last_trace(const struct sl_dp *dp, struct sluice_trace *t)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.sl_last), &zero, t))
		return -errno;
	return 0;
}

int sl_dp_sync(struct sl_dp *dp)
{
	__u32 zero = 0;
	int fd;

	if (!dp->sync_inner_fd) {
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "sl_sync_inner",
				    sizeof(__u32), sizeof(__u32), 1, NULL);
		if (fd < 0)
			return -errno;
		dp->sync_inner_fd = fd;
	}
	/* Returns after an RCU grace period: see sl_sync in bpf/maps.h. */
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_sync), &zero,
				&dp->sync_inner_fd, BPF_ANY))
		return -errno;
	return 0;
}
