// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane_int.h"
#include "err.h"
#include "synproxy.h"

#define SL_MAX_WSCALE 14

/* The first count numbers of a sysctl file. */
static int read_sysctl(const char *proc_sys, const char *name, unsigned long *v,
		       int count)
{
	char path[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", proc_sys ? proc_sys : "/proc/sys",
		 name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (n < count && fscanf(f, "%lu", &v[n]) == 1)
		n++;
	fclose(f);
	return n == count ? 0 : -EINVAL;
}

static int ilog2(unsigned long v)
{
	int l = -1;

	while (v) {
		v >>= 1;
		l++;
	}
	return l;
}

int sl_synproxy_cfg_read(const char *proc_sys, struct sluice_synproxy_cfg *cfg)
{
	unsigned long ts, sack, ws, rmem[3], rmem_max;
	int ret, scale;

	memset(cfg, 0, sizeof(*cfg));
	ret = read_sysctl(proc_sys, "net/ipv4/tcp_timestamps", &ts, 1);
	if (!ret)
		ret = read_sysctl(proc_sys, "net/ipv4/tcp_sack", &sack, 1);
	if (!ret)
		ret = read_sysctl(proc_sys, "net/ipv4/tcp_window_scaling", &ws,
				  1);
	if (!ret)
		ret = read_sysctl(proc_sys, "net/ipv4/tcp_rmem", rmem, 3);
	if (!ret)
		ret = read_sysctl(proc_sys, "net/core/rmem_max", &rmem_max, 1);
	if (ret)
		return ret;
	/*
	 * With tcp_timestamps=1 the kernel subtracts a secret offset per
	 * address pair from the echoed TSval before decoding the options:
	 * only at 2 does what we encode come back as we wrote it.
	 */
	if (ts == 2)
		cfg->flags |= SLUICE_SYNPROXY_TS;
	if (sack)
		cfg->flags |= SLUICE_SYNPROXY_SACK;
	if (ws)
		cfg->flags |= SLUICE_SYNPROXY_WSCALE;
	scale = ilog2(rmem[2] > rmem_max ? rmem[2] : rmem_max) - 15;
	cfg->wscale = scale < 0		    ? 0 :
		      scale > SL_MAX_WSCALE ? SL_MAX_WSCALE :
					      scale;
	return 0;
}

int sl_synproxy_publish(struct sl_dp *dp)
{
	struct sluice_synproxy_cfg cfg;
	__u32 zero = 0;
	int ret;

	ret = sl_synproxy_cfg_read(NULL, &cfg);
	if (ret)
		return ret;
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_synproxy_cfg),
				&zero, &cfg, BPF_ANY))
		return -errno;
	return 0;
}

int sl_synproxy_sysctls(const char *proc_sys, bool *changed, char *err,
			size_t errlen)
{
	char path[256], buf[32];
	unsigned long v;
	FILE *f;
	int ret;

	*changed = false;
	ret = read_sysctl(proc_sys, "net/ipv4/tcp_syncookies", &v, 1);
	if (ret) {
		sl_err(err, errlen, "cannot read net.ipv4.tcp_syncookies: %s",
		       sl_strerror(-ret, buf, sizeof(buf)));
		return ret;
	}
	if (v == 2)
		return 0;
	snprintf(path, sizeof(path), "%s/net/ipv4/tcp_syncookies",
		 proc_sys ? proc_sys : "/proc/sys");
	f = fopen(path, "we");
	if (f) {
		ret = fputs("2\n", f) == EOF ? -EIO : 0;
		if (fclose(f) && !ret)
			ret = -errno;
	} else {
		ret = -errno;
	}
	if (ret) {
		sl_err(err, errlen, "cannot set net.ipv4.tcp_syncookies=2: %s",
		       sl_strerror(-ret, buf, sizeof(buf)));
		return ret;
	}
	*changed = true;
	return 0;
}
