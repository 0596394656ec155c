/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * syn-proxy's settings (see bpf/synproxy.h): what its SYN-ACKs may
 * promise follows from the TCP sysctls of the network namespace, because
 * the kernel rebuilds each connection from the cookie ACK by them.
 */
#ifndef __SLUICE_SYNPROXY_H
#define __SLUICE_SYNPROXY_H

#include <stddef.h>

#include <sluice/abi.h>

#include "dataplane.h"

/*
 * From the sysctls under proc_sys (NULL: /proc/sys): the options the
 * kernel will decode from a cookie's timestamp and the window scale it
 * will pick (tcp_select_initial_window(): from tcp_rmem[2], rmem_max).
 */
int sl_synproxy_cfg_read(const char *proc_sys, struct sluice_synproxy_cfg *cfg);

/* Fill the data plane's syn-proxy settings from this netns's sysctls. */
int sl_synproxy_publish(struct sl_dp *dp);

/*
 * Make the kernel take syn-proxy's cookies: net.ipv4.tcp_syncookies=2
 * (bpf_tcp_gen_syncookie() refuses otherwise while the SYN queue has
 * room).  *changed says whether it was something else before.
 */
int sl_synproxy_sysctls(const char *proc_sys, bool *changed, char *err,
			size_t errlen);

#endif /* __SLUICE_SYNPROXY_H */
