// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The floor of a forwarder that does a forwarder's work and nothing
 * more: IPv4 only, a frame addressed to the port, TTL checked and
 * decremented (checksum updated), the next hop from a per-CPU table
 * indexed by the destination (bpf_fib_lookup() on a miss), the MACs
 * rewritten, one counter, the devmap redirect.  What it leaves out is
 * what sluice's forward pays for beyond it: the table is never
 * invalidated (a route change is never seen), nothing but the
 * destination keys it (no policy routing, no ECMP by ports), no MTU or
 * egress check, no VLANs, IPv6, options or fragments, no per-reason
 * counters, no rule set, capture or rate limit.  Not a forwarder to
 * use: the live bench (tools/bench/live.sh, row fwdmin) puts the egress
 * ifindex into bench_fwd_ports.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define ETH_P_IP 0x0800
#define AF_INET 2
#define NEXT_HOPS_BITS 10

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

struct next_hop {
	__be32 daddr; /* 0: an empty entry */
	__u32 ifindex;
	__u8 dmac[6];
	__u8 smac[6];
};

struct counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1 << NEXT_HOPS_BITS);
	__type(key, __u32);
	__type(value, struct next_hop);
} bench_fwd_next_hops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counter);
} bench_fwd_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} bench_fwd_ports SEC(".maps");

static __always_inline bool for_us(struct xdp_md *ctx, const struct ethhdr *eth)
{
	const struct xdp_buff *x = bpf_cast_to_kern_ctx(ctx);
	const __u8 *mac = x->rxq->dev->dev_addr_shadow;

	return *(__u32 *)eth->h_dest == *(__u32 *)mac &&
	       *(__u16 *)&eth->h_dest[4] == *(__u16 *)&mac[4];
}

static __always_inline bool resolve(struct xdp_md *ctx, const struct iphdr *iph,
				    struct next_hop *nh)
{
	struct bpf_fib_lookup fib = {
		.family = AF_INET,
		.ifindex = ctx->ingress_ifindex,
		.tos = iph->tos,
		.tot_len = bpf_ntohs(iph->tot_len),
		.ipv4_src = iph->saddr,
		.ipv4_dst = iph->daddr,
	};

	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) !=
	    BPF_FIB_LKUP_RET_SUCCESS)
		return false;
	nh->daddr = iph->daddr;
	nh->ifindex = fib.ifindex;
	__builtin_memcpy(nh->dmac, fib.dmac, 6);
	__builtin_memcpy(nh->smac, fib.smac, 6);
	return true;
}

SEC("xdp")
int bench_forward(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct next_hop *nh;
	struct counter *c;
	__u32 i, zero = 0, check;

	if ((void *)(iph + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    iph->version != 4 || iph->ihl != 5 || iph->ttl <= 1 ||
	    !for_us(ctx, eth))
		return XDP_PASS;
	i = (iph->daddr * 0x9e3779b1u) >> (32 - NEXT_HOPS_BITS);
	nh = bpf_map_lookup_elem(&bench_fwd_next_hops, &i);
	if (!nh || (nh->daddr != iph->daddr && !resolve(ctx, iph, nh)))
		return XDP_PASS;

	/* RFC 1624: the TTL is the high byte of its 16-bit word. */
	check = iph->check;
	check += bpf_htons(0x0100);
	iph->check = (__sum16)(check + (check >= 0xffff));
	iph->ttl--;
	__builtin_memcpy(eth->h_dest, nh->dmac, 6);
	__builtin_memcpy(eth->h_source, nh->smac, 6);
	c = bpf_map_lookup_elem(&bench_fwd_count, &zero);
	if (c) {
		c->packets++;
		c->bytes += end - data;
	}
	return bpf_redirect_map(&bench_fwd_ports, nh->ifindex, XDP_PASS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
