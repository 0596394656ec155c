// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The floor of any filter: drop after reading the IP header, as every
 * classifier must.  The frame was written on another CPU, so in the split
 * layout this costs what bench_drop.bpf.c never pays: its first cache
 * miss.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bench_read(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);

	if ((void *)(iph + 1) > end)
		return XDP_PASS;
	/* No source is 0.0.0.0: the read decides nothing, but it is made. */
	return iph->saddr ? XDP_DROP : XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
