/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Set membership: is an address in a prefix set?  API:
 *   sl_set_member(memo, set, pkt, addr) - true when addr (the packet's
 *   source or destination) lies in set; each set is looked up at most once
 *   per packet through the memo.
 */
#ifndef __SLUICE_SET_H
#define __SLUICE_SET_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "maps.h"
#include "parse.h"

/* Per-packet memo of set lookups: each set is looked up at most once. */
struct sl_set_memo {
	__u64 known;
	__u64 member;
};

static __always_inline bool sl_set4_member(__u32 set, const __u8 *addr)
{
	struct sluice_set4_long_key lk = { .set = set };
	struct sluice_set4_long *l;
	__u32 a, net24, w;
	__u64 *word;
	void *bits;

	bits = bpf_map_lookup_elem(&sl_set4_bits, &set);
	if (!bits)
		return false;
	a = bpf_ntohl(*(__u32 *)addr);
	net24 = a >> 8;
	w = net24 >> 6;
	word = bpf_map_lookup_elem(bits, &w);
	if (word && (*word >> (net24 & 63)) & 1)
		return true;
	w += SLUICE_SET4_WORDS;
	word = bpf_map_lookup_elem(bits, &w);
	if (!word || !((*word >> (net24 & 63)) & 1))
		return false;
	lk.net24 = net24;
	l = bpf_map_lookup_elem(&sl_set4_long, &lk);
	if (!l)
		return false;
	a &= 0xff;
	return (l->bits[(a >> 6) & 3] >> (a & 63)) & 1;
}

static __always_inline bool sl_set6_member(__u32 set, const __u8 *addr)
{
	struct sluice_set6_key k = { .prefixlen = 32 + 128, .set = set };

	__builtin_memcpy(k.addr, addr, 16);
	return bpf_map_lookup_elem(&sl_set6, &k) != NULL;
}

static __always_inline bool sl_set_member(struct sl_set_memo *memo, __u32 set,
					  const struct sl_pkt *p,
					  const __u8 *addr)
{
	__u64 bit = 1ULL << (set & 63);
	bool in;

	if (memo->known & bit)
		return memo->member & bit;
	if (p->key.family == 4)
		in = sl_set4_member(set, addr);
	else
		in = sl_set6_member(set, addr);
	memo->known |= bit;
	if (in)
		memo->member |= bit;
	return in;
}

#endif /* __SLUICE_SET_H */
