// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The floor of any filter that looks a source up in a structure larger
 * than the CPU's own caches, as a set of a million prefixes is: read the
 * source, then one line of a 64 MB table that the source picks, then
 * drop.  With sources spread over a million addresses each frame's line
 * is a different one, as each frame's lookup in such a set is.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TABLE_BITS 20

struct line {
	__u64 w[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << TABLE_BITS);
	__type(key, __u32);
	__type(value, struct line);
} bench_table SEC(".maps");

SEC("xdp")
int bench_read_table(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	struct line *l;
	__u32 i;

	if ((void *)(iph + 1) > end)
		return XDP_PASS;
	i = (iph->saddr * 0x9e3779b1U) >> (32 - TABLE_BITS);
	l = bpf_map_lookup_elem(&bench_table, &i);
	/* The table is all zeros: the read decides nothing, but is made. */
	return l && *(volatile __u64 *)&l->w[0] ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
