// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The floors of XDP forwarding: every frame out of the one port in a
 * devmap, with no lookup and no rewrite (xdp-bench redirect-map), and
 * the same after reading the destination address, as every forwarder
 * must (in the split layout the frame was written on the other CPU: its
 * first cache miss, which bench_redirect never pays).  The live bench
 * (tools/bench/live.sh) puts the egress ifindex at key 0.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} bench_ports SEC(".maps");

SEC("xdp")
int bench_redirect(struct xdp_md *ctx)
{
	return bpf_redirect_map(&bench_ports, 0, XDP_DROP);
}

SEC("xdp")
int bench_read_redirect(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);

	if ((void *)(iph + 1) > end)
		return XDP_PASS;
	/* No destination is 0.0.0.0: the read decides nothing, but is made. */
	if (!iph->daddr)
		return XDP_PASS;
	return bpf_redirect_map(&bench_ports, 0, XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
