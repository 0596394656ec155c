// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The floors of the hooks: what bpf_prog_test_run costs with no work;
 * what a frame costs the skb path up to a tc program that drops it, and
 * one that sends it back out of its port as it came, as an answer made
 * at tc (a SYN-ACK) is sent.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TC_ACT_SHOT 2

SEC("xdp")
int bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("tc")
int bench_tc_drop(struct __sk_buff *skb)
{
	return TC_ACT_SHOT;
}

SEC("tc")
int bench_tc_reflect(struct __sk_buff *skb)
{
	return bpf_redirect(skb->ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
