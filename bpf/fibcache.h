/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * fibcache: bpf_fib_lookup()'s answers, kept per key until sluiced says
 * the kernel's routing state changed (see struct sluice_fibc_state).  A
 * key holds every input the answer can depend on under the current
 * rules and routes; the epoch read before a lookup is the one its answer
 * is stored under, so an answer a change overtook is never used.
 */
#ifndef __SLUICE_FIBCACHE_H
#define __SLUICE_FIBCACHE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "ctx.h"
#include "maps.h"
#include "parse.h"

#define SL_AF_INET 2
#define SL_AF_INET6 10

/* The epoch packets may use now; 0 if the cache is off. */
static __always_inline __u64 sl_fibc_epoch(void)
{
	struct sluice_fibc_state *s;
	__u32 zero = 0;
	__u64 epoch;

	s = bpf_map_lookup_elem(&sl_fibc_state, &zero);
	if (!s)
		return 0;
	/* One load: user space stores it whole, mode bits and all. */
	epoch = *(volatile __u64 *)&s->epoch;
	if (!epoch || bpf_ktime_get_coarse_ns() > s->lease_ns)
		return 0;
	return epoch;
}

static __always_inline void sl_fibc_l4(__u64 epoch, const struct sl_pkt *p,
				       __u8 *proto, __u16 *sport, __u16 *dport)
{
	if (!(epoch & SLUICE_FIBC_L4))
		return;
	*proto = p->key.proto;
	*sport = p->key.sport;
	*dport = p->key.dport;
}

/* The per-CPU key under construction, zeroed; NULL: no cache. */
static __always_inline void *sl_fibc_key_space(void)
{
	struct sl_fibc_scratch *scratch;
	__u32 zero = 0;

	scratch = bpf_map_lookup_elem(&sl_fibc_scratch, &zero);
	if (!scratch)
		return NULL;
	__builtin_memset(&scratch->k6, 0, sizeof(scratch->k6));
	return &scratch->k6;
}

static __always_inline struct sluice_fibc4_key *
sl_fibc_key4(__u64 epoch, const struct sl_ctx *ctx, const struct sl_pkt *p,
	     const struct iphdr *iph)
{
	struct sluice_fibc4_key *k = sl_fibc_key_space();

	if (!k)
		return NULL;
	k->ifindex = ctx->ifindex;
	k->daddr = iph->daddr;
	k->tos = iph->tos;
	if (epoch & SLUICE_FIBC_SRC)
		k->saddr = iph->saddr;
	sl_fibc_l4(epoch, p, &k->proto, &k->sport, &k->dport);
	return k;
}

static __always_inline struct sluice_fibc6_key *
sl_fibc_key6(__u64 epoch, const struct sl_ctx *ctx, const struct sl_pkt *p,
	     const struct ipv6hdr *ip6, __be32 flowinfo)
{
	struct sluice_fibc6_key *k = sl_fibc_key_space();

	if (!k)
		return NULL;
	k->ifindex = ctx->ifindex;
	__builtin_memcpy(k->daddr, &ip6->daddr, 16);
	/* Rules select by the traffic class; ECMP hashes the label too. */
	if (epoch & SLUICE_FIBC_SRC) {
		__builtin_memcpy(k->saddr, &ip6->saddr, 16);
		k->flowinfo = flowinfo;
	} else {
		k->flowinfo = flowinfo & bpf_htonl(0x0ff00000);
	}
	sl_fibc_l4(epoch, p, &k->proto, &k->sport, &k->dport);
	return k;
}

static __always_inline const struct sluice_fibc_nh *
sl_fibc_get(void *map, const void *key, __u64 epoch, __u32 len)
{
	const struct sluice_fibc_nh *nh;

	if (!key)
		return NULL;
	nh = bpf_map_lookup_elem(map, key);
	if (!nh || nh->epoch != epoch || len > nh->mtu)
		return NULL;
	return nh;
}

/*
 * Keep a successful answer.  Its MTU is the route's (the lookup reports
 * it when it checked a length); without one the entry would skip the
 * check, so it is not kept.
 */
static __always_inline void sl_fibc_put(void *map, const void *key, __u64 epoch,
					const struct bpf_fib_lookup *fib)
{
	struct sl_fibc_scratch *scratch;
	struct sluice_fibc_nh *nh;
	__u32 zero = 0;

	if (!key || !fib->mtu_result)
		return;
	scratch = bpf_map_lookup_elem(&sl_fibc_scratch, &zero);
	if (!scratch)
		return;
	nh = &scratch->nh;
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
	bpf_map_update_elem(map, key, nh, BPF_ANY);
}

#endif /* __SLUICE_FIBCACHE_H */
