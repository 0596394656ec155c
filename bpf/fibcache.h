/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * fibcache: bpf_fib_lookup()'s answers, kept per key until sluiced says
 * the kernel's routing state changed (see struct sluice_fibc_state).  A
 * key holds every input the answer can depend on under the current
 * rules and routes; the epoch read before a lookup is the one its answer
 * is stored under, so an answer a change overtook is never used.
 *
 * Per CPU, a set-associative table of two ways a set: a hit costs one
 * hash and the set's lines, where a hash map cost a hash function call,
 * a bucket, an element and a compare call.  Two keys that share a set
 * both stay; a third takes the way of another epoch or one the hash
 * picks, and the key it displaces takes the full lookup next time.
 */
#ifndef __SLUICE_FIBCACHE_H
#define __SLUICE_FIBCACHE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "ctx.h"
#include "hash.h"
#include "maps.h"
#include "parse.h"

#define SL_AF_INET 2
#define SL_AF_INET6 10

/*
 * The epoch packets may use now; 0 if the cache is off.  The lease, in
 * CLOCK_MONOTONIC_COARSE as user space writes it, is read from that clock
 * once a tick per CPU, not on every packet (a helper call, 4 to 8 ns):
 * a lease of seconds then ends at most a tick late, and one renewed after
 * it ended serves at most a tick late (the full lookup answers meanwhile).
 */
static __always_inline __u64 sl_fibc_epoch(void)
{
	struct sl_fibc_scratch *memo;
	struct sluice_fibc_state *s;
	__u32 zero = 0;
	__u64 epoch, tick;

	s = bpf_map_lookup_elem(&sl_fibc_state, &zero);
	memo = bpf_map_lookup_elem(&sl_fibc_scratch, &zero);
	if (!s || !memo)
		return 0;
	/* One load: user space stores it whole, mode bits and all. */
	epoch = *(volatile __u64 *)&s->epoch;
	if (!epoch)
		return 0;
	tick = bpf_jiffies64();
	if (memo->lease_tick != tick) {
		memo->lease_tick = tick;
		memo->leased = bpf_ktime_get_coarse_ns() <= s->lease_ns;
	}
	return memo->leased ? epoch : 0;
}

/*
 * A key is made a whole word at a time: the hash's loads of a key
 * stored field by field could not be forwarded from the stores and
 * waited for them to reach the cache (a profile of the forward row put
 * a third of the program's time there).  The words follow struct
 * sluice_fibc4_key and sluice_fibc6_key (abi.h).
 */
#define SL_FIBC_AT(type, field, at)                                    \
	_Static_assert(__builtin_offsetof(struct type, field) == (at), \
		       #type "." #field ": see sl_fibc_words4/6()")
SL_FIBC_AT(sluice_fibc4_key, daddr, 4);
SL_FIBC_AT(sluice_fibc4_key, sport, 12);
SL_FIBC_AT(sluice_fibc4_key, tos, 17);
SL_FIBC_AT(sluice_fibc6_key, flowinfo, 4);
SL_FIBC_AT(sluice_fibc6_key, proto, 12);
SL_FIBC_AT(sluice_fibc6_key, saddr, 16);
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "fibcache: keys made as little-endian words");

/* Protocol and ports as the low half of a word, when keys carry them. */
static __always_inline __u64 sl_fibc_l4v(__u64 epoch, __u16 sport, __u16 dport,
					 __u8 proto)
{
	if (!(epoch & SLUICE_FIBC_L4))
		return 0;
	return sport | (__u64)dport << 16 | (__u64)proto << 32;
}

static __always_inline __u64 sl_fibc_l4(__u64 epoch, const struct sl_pkt *p)
{
	return sl_fibc_l4v(epoch, p->key.sport, p->key.dport, p->key.proto);
}

/*
 * An IPv4 key's words (the last three are 0): ifindex, daddr | saddr,
 * sport, dport | proto, tos.  Addresses as they lie in the header.
 */
static __always_inline void sl_fibc_words4(__u64 *w, __u32 ifindex, __u32 daddr,
					   __u32 saddr, __u64 l4, __u32 tos,
					   __u64 epoch)
{
	if (!(epoch & SLUICE_FIBC_SRC))
		saddr = 0;
	w[0] = ifindex | (__u64)daddr << 32;
	w[1] = saddr | (l4 & 0xffffffff) << 32;
	w[2] = l4 >> 32 | (__u64)(tos & 0xff) << 8;
}

/*
 * An IPv6 key's words: ifindex, flowinfo | sport, dport, proto | saddr |
 * daddr.  Addresses as they lie in the header, a word at a time.
 */
static __always_inline void sl_fibc_words6(__u64 *w, __u32 ifindex,
					   __u32 flowinfo, const __u64 *saddr,
					   const __u64 *daddr, __u64 l4,
					   __u64 epoch)
{
	bool src = epoch & SLUICE_FIBC_SRC;

	/* Rules select by the traffic class; ECMP hashes the label too. */
	if (!src)
		flowinfo &= bpf_htonl(0x0ff00000);
	w[0] = ifindex | (__u64)flowinfo << 32;
	w[1] = l4;
	w[2] = src ? saddr[0] : 0;
	w[3] = src ? saddr[1] : 0;
	w[4] = daddr[0];
	w[5] = daddr[1];
}

/* Store the key's words in this CPU's scratch; returns their hash. */
static __always_inline __u64 sl_fibc_key(__u64 w0, __u64 w1, __u64 w2, __u64 w3,
					 __u64 w4, __u64 w5)
{
	struct sl_fibc_scratch *scratch;
	__u32 zero = 0;

	scratch = bpf_map_lookup_elem(&sl_fibc_scratch, &zero);
	if (!scratch)
		return 0;
	scratch->key[0] = w0;
	scratch->key[1] = w1;
	scratch->key[2] = w2;
	scratch->key[3] = w3;
	scratch->key[4] = w4;
	scratch->key[5] = w5;
	return sl_hash6v(w0, w1, w2, w3, w4, w5);
}

/*
 * The keys are made by global subprograms: their registers spill on a
 * frame of their own, not on the pipeline's, whose deepest call chain is
 * near the verifier's 512 bytes.  Each returns the key's hash, the key
 * is left in the scratch (sl_fibc_key_words()).
 */
__noinline __u64 sl_fibc_key4(const struct sl_pkt *pkt, __u32 ifindex,
			      __u32 tos, __u64 epoch)
{
	__u32 daddr, saddr;
	__u64 w[3];

	if (!pkt)
		return 0;
	__builtin_memcpy(&daddr, pkt->key.dst, 4);
	__builtin_memcpy(&saddr, pkt->key.src, 4);
	sl_fibc_words4(w, ifindex, daddr, saddr, sl_fibc_l4(epoch, pkt), tos,
		       epoch);
	return sl_fibc_key(w[0], w[1], w[2], 0, 0, 0);
}

__noinline __u64 sl_fibc_key6(const struct sl_pkt *pkt, __u32 ifindex,
			      __u32 flowinfo, __u64 epoch)
{
	__u64 w[SLUICE_FIBC_KEY_WORDS];

	if (!pkt)
		return 0;
	sl_fibc_words6(w, ifindex, flowinfo, (const __u64 *)pkt->key.src,
		       (const __u64 *)pkt->key.dst, sl_fibc_l4(epoch, pkt),
		       epoch);
	return sl_fibc_key(w[0], w[1], w[2], w[3], w[4], w[5]);
}

/* The key sl_fibc_key4() or sl_fibc_key6() made; NULL: no cache. */
static __always_inline const __u64 *sl_fibc_key_words(void)
{
	struct sl_fibc_scratch *scratch;
	__u32 zero = 0;

	scratch = bpf_map_lookup_elem(&sl_fibc_scratch, &zero);
	return scratch ? scratch->key : NULL;
}

static __always_inline __u32 sl_fibc_set(__u64 h)
{
	return sl_way0(h, SLUICE_FIBC_BITS, SLUICE_FIBC_WAYS);
}

static __always_inline bool sl_fibc_same(const struct sluice_fibc_entry *e,
					 const __u64 *key, __u32 family,
					 __u64 epoch)
{
	const __u64 *w = e->key;

	return e->nh.epoch == epoch && e->family == family &&
	       !((w[0] ^ key[0]) | (w[1] ^ key[1]) | (w[2] ^ key[2]) |
		 (w[3] ^ key[3]) | (w[4] ^ key[4]) | (w[5] ^ key[5]));
}

/* The answer for key (h its sl_hash6()) if it fits a packet of len. */
static __always_inline const struct sluice_fibc_nh *
sl_fibc_get(const __u64 *key, __u32 family, __u64 h, __u64 epoch, __u32 len)
{
	__u32 i = sl_fibc_set(h), way;
	struct sluice_fibc_entry *e;

	if (!key)
		return NULL;
	for (way = 0; way < SLUICE_FIBC_WAYS; way++, i++) {
		e = bpf_map_lookup_elem(&sl_fibc, &i);
		if (e && sl_fibc_same(e, key, family, epoch))
			return len > e->nh.mtu ? NULL : &e->nh;
	}
	return NULL;
}

/*
 * Keep a successful answer (sl_way_pick() chooses the way).  Its MTU is
 * the route's (the lookup reports it when it checked a length); without
 * one the entry would skip the check, so it is not kept.
 */
static __always_inline void sl_fibc_put(const __u64 *key, __u32 family, __u64 h,
					__u64 epoch,
					const struct bpf_fib_lookup *fib)
{
	__u32 i = sl_fibc_set(h);
	struct sluice_fibc_entry *e, *e1;
	struct sluice_fibc_nh *nh;

	_Static_assert(SLUICE_FIBC_WAYS == 2, "sl_fibc_put: two ways");

	if (!key || !fib->mtu_result)
		return;
	e = bpf_map_lookup_elem(&sl_fibc, &i);
	i++;
	e1 = bpf_map_lookup_elem(&sl_fibc, &i);
	if (!e || !e1)
		return;
	if (sl_way_pick(e->nh.epoch == epoch, e1->nh.epoch == epoch))
		e = e1;
	__builtin_memcpy(e->key, key, sizeof(e->key));
	e->family = family;
	nh = &e->nh;
	nh->epoch = epoch;
	nh->ifindex = fib->ifindex;
	nh->mtu = fib->mtu_result;
	nh->family = fib->family;
	__builtin_memcpy(nh->dmac, fib->dmac, 6);
	__builtin_memcpy(nh->smac, fib->smac, 6);
	if (fib->family == SL_AF_INET)
		__builtin_memcpy(nh->addr, &fib->ipv4_dst, 4);
	else
		__builtin_memcpy(nh->addr, fib->ipv6_dst, 16);
}

#endif /* __SLUICE_FIBCACHE_H */
