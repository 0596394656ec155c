/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * redirect IFACE: an L2 cross-connect.  The frame leaves by the port as
 * it came in: XDP through the devmap, tc through bpf_redirect().
 */
#ifndef __SLUICE_REDIRECT_H
#define __SLUICE_REDIRECT_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "ctx.h"
#include "decision.h"
#include "forward.h"
#include "maps.h"

static __always_inline int sl_redirect(const struct sl_ctx *ctx,
				       struct sl_decision *d)
{
	__u32 slot = d->arg;
	struct sluice_iface *out = bpf_map_lookup_elem(&sl_ifaces, &slot);
	__u32 ifindex = out ? out->ifindex : 0;

	if (!ifindex)
		return sl_to_kernel(ctx, d, SLUICE_REASON_NO_EGRESS);
	if (ctx->hook == SLUICE_HOOK_TC)
		return bpf_redirect(ifindex, 0);
	if (!bpf_map_lookup_elem(&sl_tx_ports, &ifindex))
		return sl_to_kernel(ctx, d, SLUICE_REASON_NO_EGRESS);
	return bpf_redirect_map(&sl_tx_ports, ifindex, 0);
}

#endif /* __SLUICE_REDIRECT_H */
