/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Hash: six key words to a 64-bit hash whose top bits pick a set.  API:
 *   sl_hash6(w)              - w[0] * C0 + ... + w[5] * C5
 *   sl_hash6v(w0, ..., w5)   - the same of six values
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

#endif /* __SLUICE_HASH_H */
