/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Hash: six key words to a 64-bit hash whose top bits pick a set.  API:
 *   sl_hash6(w)              - w[0] * C0 + ... + w[5] * C5
 *   sl_hash6v(w0, ..., w5)   - the same of six values
 *   sl_way0(h, bits, ways)   - the first way of h's set, this CPU's region
 *   sl_way_pick(current0, current1) - which of two ways to fill
 *
 * The caches keyed by a packet (flowcache.h, fibcache.h) take the top
 * bits: a multiply carries every bit of a word into them, and the six
 * products are independent, so the hash costs about one multiply's
 * latency.  Not keyed: a flood that aims at one set only evicts its own
 * entries, and every entry is checked against its whole key.
 */
#ifndef __SLUICE_HASH_H
#define __SLUICE_HASH_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* The words as values, for a key made in registers. */
static __always_inline __u64 sl_hash6v(__u64 w0, __u64 w1, __u64 w2, __u64 w3,
				       __u64 w4, __u64 w5)
{
	return w0 * 0x9e3779b97f4a7c15ULL + w1 * 0xc2b2ae3d27d4eb4fULL +
	       w2 * 0x165667b19e3779f9ULL + w3 * 0xd6e8feb86659fd93ULL +
	       w4 * 0xff51afd7ed558ccdULL + w5 * 0xc4ceb9fe1a85ec53ULL;
}

static __always_inline __u64 sl_hash6(const __u64 *w)
{
	return sl_hash6v(w[0], w[1], w[2], w[3], w[4], w[5]);
}

/*
 * The caches are arrays with a region per CPU of 2^bits sets of ways
 * entries: no other CPU writes a line this one reads, and the address
 * is arithmetic, not a per-CPU pointer table's load.
 */
static __always_inline __u32 sl_way0(__u64 h, __u32 bits, __u32 ways)
{
	return bpf_get_smp_processor_id() * (ways << bits) +
	       (h >> (64 - bits)) * ways;
}

/*
 * Of a set's two ways, the one a new entry takes (0 or 1): one whose
 * entry is of a past epoch if there is one, else either, at random.  A
 * way fixed by the key (a bit of its hash, as it was) makes the cache
 * direct-mapped once both ways hold current entries, as they all do
 * after a flood from many sources: two live keys of a set that share
 * the bit then evict each other on every packet, while the other way
 * keeps a dead flood entry for good (measured: a 4,096-source flood
 * after a 1M-source one, 45 -> 72 ns a packet, for as long as it ran).
 * At random, the two settle into both ways within a few misses.
 */
static __always_inline __u32 sl_way_pick(bool current0, bool current1)
{
	if (!current0)
		return 0;
	if (!current1)
		return 1;
	return bpf_get_prandom_u32() & 1;
}

#endif /* __SLUICE_HASH_H */
