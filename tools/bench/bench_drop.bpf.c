// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The floor of the hook: what bpf_prog_test_run costs with no work. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
