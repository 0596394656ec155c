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

#define SL_ETH_HLEN 14
#define SL_VLAN_HLEN 4

static __always_inline int sl_redirect(const struct sl_ctx *ctx,
				       struct sl_decision *d)
{
	__u32 slot = d->arg;
	struct sluice_iface *out = bpf_map_lookup_elem(&sl_ifaces, &slot);
	__u32 ifindex = out ? out->ifindex : 0;

	/* XDP: the L3 length of the whole frame, its fragments included. */
	__u32 mtu = ctx->hook == SLUICE_HOOK_XDP ? ctx->len - SL_ETH_HLEN : 0;

	if (!ifindex)
		return sl_to_kernel(ctx, d, SLUICE_REASON_NO_EGRESS);
	/* Sent anyway, the frame would be dropped where sluice cannot count. */
	if (out && out->down)
		return sl_to_kernel(ctx, d, SLUICE_REASON_EGRESS_DOWN);
	/*
	 * The egress would drop it unseen (the devmap refuses a frame over
	 * the MTU, and so does the device on tc): say so here instead.  tc
	 * judges an aggregate by its segments; XDP cannot segment one.  Both
	 * egresses allow a VLAN tag over the MTU: so does -SL_VLAN_HLEN.
	 */
	if (bpf_check_mtu(ctx->raw, ifindex, &mtu, -SL_VLAN_HLEN, 0) > 0)
		return sl_to_kernel(ctx, d, SLUICE_REASON_EGRESS_MTU);
	if (ctx->hook == SLUICE_HOOK_TC)
		return bpf_redirect(ifindex, 0);
	if (!bpf_map_lookup_elem(&sl_tx_ports, &ifindex))
		return sl_to_kernel(ctx, d, SLUICE_REASON_NO_EGRESS);
	return bpf_redirect_map(&sl_tx_ports, ifindex, 0);
}

#endif /* __SLUICE_REDIRECT_H */
