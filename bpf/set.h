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

/*
 * The slot holding the set's content now (0: none).  Read once per
 * lookup: a load repoints the set between two packets' reads, and each
 * lookup answers from one slot, the old content or the new.
 */
static __always_inline __u32 sl_set_slot(__u32 set)
{
	__u64 *slot = bpf_map_lookup_elem(&sl_set_slots, &set);

	return slot ? *(volatile __u64 *)slot : 0;
}

/* Per-packet memo of set lookups: each set is looked up at most once. */
struct sl_set_memo {
	__u64 known;
	__u64 member;
};

/*
 * A global subprogram, like sl_set6_lookup(): its keys live on a stack
 * frame of its own, not on the classifier's deepest call chain.  The
 * address is in host byte order.  One bitmap word answers most addresses;
 * a /24 with longer entries costs one bucket more, mostly its home one.
 */
__noinline int sl_set4_lookup(__u32 set, __u32 a)
{
	struct sluice_set4_key tk = { .prefixlen = 32 };
	__u32 net24 = a >> 8, key, h, i, w, slot = sl_set_slot(set);
	struct sluice_set4_long *l;
	__u64 *word, pair;
	void *bits, *trie;

	bits = bpf_map_lookup_elem(&sl_set4_bits, &slot);
	if (!bits)
		return false;
	w = net24 >> 5;
	word = bpf_map_lookup_elem(bits, &w);
	if (!word)
		return false;
	pair = *word >> ((net24 & 31) * 2);
	if (pair & 1)
		return true;
	if (!(pair & 2))
		return false;
	key = sluice_set4_key(slot, net24);
	h = sluice_set4_hash(key);
	for (i = 0; i < SLUICE_SET4_PROBES; i++) {
		__u32 b = h + i;

		l = bpf_map_lookup_elem(&sl_set4_long, &b);
		if (!l)
			break;
		/*
		 * User space writes a bucket's bits before its key, and
		 * never reuses a bucket a packet may still be reading, so
		 * the key read first vouches for the bits (x86-64 keeps
		 * loads in order; this clang has no BPF load-acquire).
		 */
		if (*(volatile __u32 *)&l->key == key) {
			a &= 0xff;
			return (l->bits[a >> 6] >> (a & 63)) & 1;
		}
	}
	/* Not in its buckets (they were full, or it is just going): exact. */
	trie = bpf_map_lookup_elem(&sl_set4_tries, &slot);
	if (!trie)
		return false;
	tk.addr = bpf_htonl(a);
	return bpf_map_lookup_elem(trie, &tk) != NULL;
}

static __always_inline bool sl_set4_member(__u32 set, const __u8 *addr)
{
	return sl_set4_lookup(set, bpf_ntohl(*(__u32 *)addr));
}

static __always_inline __u64 sl_set6_mask(int bits)
{
	if (bits <= 0)
		return 0;
	if (bits >= 64)
		return ~0ULL;
	return bpf_cpu_to_be64(~0ULL << (64 - bits));
}

/*
 * One bitmap word, which answers alone for most addresses outside the
 * set, then usually one leaf: the /32 block's.  Only a block
 * denser than a leaf lists goes a level deeper per 16 bits, and only one
 * with more own prefixes than a leaf lists asks the trie.  A global
 * function: the verifier checks its loops once, not at every call site.
 */
__noinline int sl_set6_lookup(__u32 set, __u64 a0, __u64 a1)
{
	__u32 i, j, w, top, slot = sl_set_slot(set);
	struct sluice_set6_leaf_key k = { .set = slot };
	struct sluice_set6_key tk;
	struct sluice_set6_leaf *leaf;
	__u64 pair, *word;
	void *bits, *trie;

	bits = bpf_map_lookup_elem(&sl_set6_bits, &slot);
	if (!bits)
		return false;
	top = bpf_be64_to_cpu(a0) >> 40;
	w = top >> 5;
	word = bpf_map_lookup_elem(bits, &w);
	if (!word)
		return false;
	pair = *word >> ((top & 31) * 2);
	if (pair & 1)
		return true;
	if (!(pair & 2))
		return false;
	for (i = 0; i < SLUICE_SET6_LEVELS; i++) {
		int level = SLUICE_SET6_LEVEL0 + i * SLUICE_SET6_STRIDE;

		k.level = level;
		k.block[0] = a0 & sl_set6_mask(level);
		k.block[1] = a1 & sl_set6_mask(level - 64);
		leaf = bpf_map_lookup_elem(&sl_set6_leaves, &k);
		if (!leaf)
			return false;
		if (leaf->flags & SLUICE_SET6_FULL)
			return true;
		for (j = 0; j < SLUICE_SET6_LEAF_PREFIXES; j++) {
			int len = leaf->len[j];

			if (j >= leaf->n)
				break;
			if (!((a0 ^ leaf->addr[j][0]) & sl_set6_mask(len)) &&
			    !((a1 ^ leaf->addr[j][1]) & sl_set6_mask(len - 64)))
				return true;
		}
		if (leaf->flags & SLUICE_SET6_OVERFLOW)
			break;
		if (!(leaf->flags & SLUICE_SET6_SPLIT))
			return false;
	}
	/* A block the leaves cannot list: the trie holds the whole set. */
	trie = bpf_map_lookup_elem(&sl_set6_tries, &slot);
	if (!trie)
		return false;
	tk.prefixlen = 128;
	__builtin_memcpy(tk.addr, &a0, 8);
	__builtin_memcpy(tk.addr + 8, &a1, 8);
	return bpf_map_lookup_elem(trie, &tk) != NULL;
}

static __always_inline bool sl_set6_member(__u32 set, const __u8 *addr)
{
	__u64 a0, a1;

	__builtin_memcpy(&a0, addr, 8);
	__builtin_memcpy(&a1, addr + 8, 8);
	return sl_set6_lookup(set, a0, a1);
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
