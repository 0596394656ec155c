/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Clock: the time of the kernel's last tick, in nanoseconds.  API:
 *   sl_tick_ns() - jiffies times the tick's length
 *
 * It moves once a tick, as bpf_ktime_get_coarse_ns() does, but that is a
 * helper call, 4 to 8 ns a packet here (bpf_prog_test_run, 64 calls in a
 * row), where the verifier makes bpf_jiffies64() one load (x86-64), about
 * 1 ns.  Its origin is not CLOCK_MONOTONIC's: it serves times the data
 * plane compares only with its own (rate-limit buckets, syn-proxy's
 * flood windows); the next-hop cache's lease, which user space writes,
 * stays on the coarse clock.  A kernel whose tick is not a whole number
 * of nanoseconds among the usual ones (or whose configuration libbpf
 * cannot read) gets the helper.
 */
#ifndef __SLUICE_CLOCK_H
#define __SLUICE_CLOCK_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern const unsigned int CONFIG_HZ __kconfig __weak;

static __always_inline __u64 sl_tick_ns(void)
{
	__u64 tick;

	/*
	 * CONFIG_HZ is read-only: the verifier keeps one case of these, and
	 * a constant each, for a division it would not fold.
	 */
	switch (CONFIG_HZ) {
	case 100:
		tick = 10000000;
		break;
	case 200:
		tick = 5000000;
		break;
	case 250:
		tick = 4000000;
		break;
	case 500:
		tick = 2000000;
		break;
	case 1000:
		tick = 1000000;
		break;
	default:
		return bpf_ktime_get_coarse_ns();
	}
	return bpf_jiffies64() * tick;
}

#endif /* __SLUICE_CLOCK_H */
