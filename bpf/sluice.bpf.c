// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The two entries of the sluice data plane: XDP and tc ingress. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "ctx.h"
#include "fastfwd.h"
#include "pipeline.h"

/*
 * xdp.frags: the program takes multi-buffer frames (BPF_F_XDP_HAS_FRAGS),
 * so it attaches where the MTU is over a page (veth, multi-buffer drivers)
 * and sees jumbo frames whole; it reads them as parse.h says.  A cpumap or
 * devmap entry given a program must be frags-aware too.
 */
SEC("xdp.frags")
int sl_xdp(struct xdp_md *xdp)
{
	__u32 slot = sl_slot(xdp->ingress_ifindex);
	enum sl_fast_port port = sl_fast_port(slot);
	struct sl_ctx ctx;
	int ret;

	/* Other ports pay for the fast path only the policy's compare. */
	if (port != SL_FAST_NOT) {
		ret = sl_fast_forward(xdp, slot, port);
		if (ret >= 0)
			return ret;
	}
	sl_ctx_from_xdp(&ctx, xdp);
	return sl_pipeline(&ctx, slot);
}

SEC("tc")
int sl_tc(struct __sk_buff *skb)
{
	struct sl_ctx ctx;

	sl_ctx_from_skb(&ctx, skb);
	return sl_pipeline(&ctx, sl_slot(ctx.ifindex));
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
