/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * forward: route by the kernel's FIB.  On success rewrite the MACs,
 * decrement TTL or hop limit (IPv4 checksum updated incrementally) and
 * send: XDP through the devmap, tc through bpf_redirect_neigh(), which
 * also covers a neighbour the kernel has not resolved yet.  Everything the
 * kernel must see for itself (a frame not addressed to the port, TTL
 * expiry, no route, local delivery, a frame over the MTU, an unresolved
 * neighbour on XDP, an egress that is down) goes up the stack
 * untouched, with the reason counted, so ICMP errors, ARP and ND work.
 */
#ifndef __SLUICE_FORWARD_H
#define __SLUICE_FORWARD_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "decision.h"
#include "ctx.h"
#include "fibcache.h"
#include "maps.h"
#include "parse.h"

static __always_inline __u32 sl_fib_reason(int rc)
{
	switch (rc) {
	case BPF_FIB_LKUP_RET_BLACKHOLE:
	case BPF_FIB_LKUP_RET_UNREACHABLE:
	case BPF_FIB_LKUP_RET_PROHIBIT:
		return SLUICE_REASON_NO_ROUTE;
	case BPF_FIB_LKUP_RET_NO_NEIGH:
		return SLUICE_REASON_NO_NEIGH;
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return SLUICE_REASON_FRAG_NEEDED;
	case BPF_FIB_LKUP_RET_UNSUPP_LWT:
		return SLUICE_REASON_UNSUPPORTED;
	default:
		/* NOT_FWDED, FWD_DISABLED: no route, local, not unicast. */
		return SLUICE_REASON_NOT_FORWARDED;
	}
}

/* Multicast, limited broadcast, or "this network" (0.0.0.0/8). */
static __always_inline bool sl_ipv4_not_unicast(__be32 daddr)
{
	__u32 a = bpf_ntohl(daddr);

	return (a >> 28) == 0xe || a == 0xffffffff || !(a >> 24);
}

/* Multicast (MLD, ND) is the kernel's, whatever its hop limit. */
static __always_inline bool sl_ipv6_multicast(const struct ipv6hdr *ip6)
{
	return ip6->daddr.in6_u.u6_addr8[0] == 0xff;
}

/* Traffic class and flow label, as the FIB lookup takes them. */
static __always_inline __be32 sl_ipv6_flowinfo(const struct ipv6hdr *ip6)
{
	return *(const __be32 *)ip6 & bpf_htonl(0x0fffffff);
}

static __always_inline void sl_ipv4_decrease_ttl(struct iphdr *iph)
{
	__u32 check = iph->check;

	/* RFC 1624: the TTL is the high byte of its 16-bit word. */
	check += bpf_htons(0x0100);
	iph->check = (__sum16)(check + (check >= 0xffff));
	iph->ttl--;
}

/* Hand the packet up the stack, unchanged, for the kernel to deal with. */
static __always_inline int sl_to_kernel(const struct sl_ctx *ctx,
					struct sl_decision *d, __u32 reason)
{
	d->action = SLUICE_ACT_PASS;
	d->reason = reason;
	return sl_ret_pass(ctx);
}

/* On XDP the egress must be in the devmap (a port sluice attached). */
static __always_inline bool sl_egress_ok(const struct sl_ctx *ctx,
					 __u32 ifindex)
{
	return ctx->hook == SLUICE_HOOK_TC ||
	       bpf_map_lookup_elem(&sl_tx_ports, &ifindex);
}

/*
 * A port sluice knows that sluiced saw go down: the FIB still routes by
 * it (a route over a link without carrier stays), the egress would drop.
 */
static __always_inline bool sl_egress_down(__u32 ifindex)
{
	const struct sluice_iface *out;
	__u32 *slot;

	slot = bpf_map_lookup_elem(&sl_ifslot, &ifindex);
	if (!slot || !*slot)
		return false;
	out = bpf_map_lookup_elem(&sl_ifaces, slot);
	return out && out->down;
}

/*
 * Whether the lookup lets us send the packet ourselves; if not, *ret is
 * the verdict handing it to the kernel.  A down egress is checked here,
 * on the full lookup only: its answer is not cached, and sluiced empties
 * the cache when a port goes down.
 */
static __always_inline bool sl_fib_usable(const struct sl_ctx *ctx,
					  struct sl_decision *d,
					  struct bpf_fib_lookup *fib, int rc,
					  int *ret)
{
	/* The lookup names the egress before it looks for the neighbour. */
	if ((rc == BPF_FIB_LKUP_RET_SUCCESS ||
	     rc == BPF_FIB_LKUP_RET_NO_NEIGH) &&
	    sl_egress_down(fib->ifindex)) {
		*ret = sl_to_kernel(ctx, d, SLUICE_REASON_EGRESS_DOWN);
		return false;
	}
	if (ctx->hook == SLUICE_HOOK_TC && rc == BPF_FIB_LKUP_RET_NO_NEIGH)
		return true;
	if (rc != BPF_FIB_LKUP_RET_SUCCESS) {
		*ret = sl_to_kernel(ctx, d, sl_fib_reason(rc));
		return false;
	}
	if (!sl_egress_ok(ctx, fib->ifindex)) {
		*ret = sl_to_kernel(ctx, d, SLUICE_REASON_NO_EGRESS);
		return false;
	}
	return true;
}

/* XDP sends the frame as it is: with the next hop's MAC and the port's. */
static __always_inline void sl_nh_macs(struct ethhdr *eth, const __u8 *dmac,
				       const __u8 *smac)
{
	__builtin_memcpy(eth->h_dest, dmac, 6);
	__builtin_memcpy(eth->h_source, smac, 6);
}

/*
 * Send a packet whose TTL or hop limit is already decremented to the
 * next hop addr (family's) by the port ifindex; the MACs serve XDP.
 */
static __always_inline int sl_nh_send(const struct sl_ctx *ctx,
				      struct ethhdr *eth, __u32 ifindex,
				      __u8 family, const void *addr,
				      const __u8 *dmac, const __u8 *smac)
{
	if (ctx->hook == SLUICE_HOOK_TC) {
		struct bpf_redir_neigh nh = { .nh_family = family };

		/* The neighbour layer writes the MACs, resolving if it must. */
		if (family == SL_AF_INET)
			__builtin_memcpy(&nh.ipv4_nh, addr, 4);
		else
			__builtin_memcpy(nh.ipv6_nh, addr, 16);
		return bpf_redirect_neigh(ifindex, &nh, sizeof(nh), 0);
	}
	sl_nh_macs(eth, dmac, smac);
	return bpf_redirect_map(&sl_tx_ports, ifindex, 0);
}

static __always_inline int sl_fib_send(const struct sl_ctx *ctx,
				       struct ethhdr *eth,
				       const struct bpf_fib_lookup *fib)
{
	const void *addr = fib->ipv6_dst;

	if (fib->family == SL_AF_INET)
		addr = &fib->ipv4_dst;
	return sl_nh_send(ctx, eth, fib->ifindex, fib->family, addr, fib->dmac,
			  fib->smac);
}

static __always_inline int sl_fibc_send(const struct sl_ctx *ctx,
					struct ethhdr *eth,
					const struct sluice_fibc_nh *nh)
{
	return sl_nh_send(ctx, eth, nh->ifindex, nh->family, nh->addr, nh->dmac,
			  nh->smac);
}

/*
 * The length the FIB checks against the egress MTU.  A GRO or TSO
 * aggregate (tc only) is far over it and is segmented on the way out:
 * 0 makes the helper ask the skb itself whether it can be forwarded.
 */
static __always_inline __u16 sl_fib_tot_len(const struct sl_ctx *ctx,
					    __u32 ip_len)
{
	return ctx->gso_size ? 0 : ip_len;
}

static __always_inline void sl_fib_ports(struct bpf_fib_lookup *fib,
					 const struct sl_ctx *ctx,
					 const struct sl_pkt *p)
{
	fib->ifindex = ctx->ifindex;
	fib->l4_protocol = p->key.proto;
	fib->sport = bpf_htons(p->key.sport);
	fib->dport = bpf_htons(p->key.dport);
}

static __always_inline int sl_forward4(const struct sl_ctx *ctx,
				       const struct sl_pkt *p,
				       struct sl_decision *d)
{
	struct bpf_fib_lookup fib;
	const __u64 *key = NULL;
	const struct sluice_fibc_nh *nh;
	struct ethhdr *eth = ctx->data;
	struct iphdr *iph = (void *)(eth + 1);
	__u64 epoch, h = 0;
	int rc, ret;

	if ((void *)(iph + 1) > ctx->data_end)
		return sl_to_kernel(ctx, d, SLUICE_REASON_MALFORMED);
	/*
	 * The FIB answers a default route for these; the kernel's input
	 * routing never forwards them.
	 */
	if (sl_ipv4_not_unicast(iph->daddr))
		return sl_to_kernel(ctx, d, SLUICE_REASON_NOT_FORWARDED);
	if (iph->ttl <= 1)
		return sl_to_kernel(ctx, d, SLUICE_REASON_TTL_EXCEEDED);
	/* An aggregate (tc) is the full lookup's to judge against the MTU. */
	epoch = ctx->gso_size ? 0 : sl_fibc_epoch();
	if (epoch) {
		h = sl_fibc_key4(p, ctx->ifindex, iph->tos, epoch);
		key = sl_fibc_key_words();
		nh = sl_fibc_get(key, 4, h, epoch, bpf_ntohs(iph->tot_len));
		if (nh && !sl_egress_ok(ctx, nh->ifindex))
			return sl_to_kernel(ctx, d, SLUICE_REASON_NO_EGRESS);
		if (nh) {
			sl_ipv4_decrease_ttl(iph);
			return sl_fibc_send(ctx, eth, nh);
		}
	}
	/* Only here: a cache hit does not pay for zeroing it. */
	__builtin_memset(&fib, 0, sizeof(fib));
	fib.family = SL_AF_INET;
	sl_fib_ports(&fib, ctx, p);
	fib.tos = iph->tos;
	fib.tot_len = sl_fib_tot_len(ctx, bpf_ntohs(iph->tot_len));
	fib.ipv4_src = iph->saddr;
	fib.ipv4_dst = iph->daddr;
	rc = bpf_fib_lookup(ctx->raw, &fib, sizeof(fib), 0);
	if (!sl_fib_usable(ctx, d, &fib, rc, &ret))
		return ret;
	if (rc == BPF_FIB_LKUP_RET_SUCCESS)
		sl_fibc_put(key, 4, h, epoch, &fib);
	sl_ipv4_decrease_ttl(iph);
	return sl_fib_send(ctx, eth, &fib);
}

static __always_inline int sl_forward6(const struct sl_ctx *ctx,
				       const struct sl_pkt *p,
				       struct sl_decision *d)
{
	struct bpf_fib_lookup fib;
	const __u64 *key = NULL;
	const struct sluice_fibc_nh *nh;
	struct ethhdr *eth = ctx->data;
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	__be32 flowinfo;
	__u32 len;
	__u64 epoch, h = 0;
	int rc, ret;

	if ((void *)(ip6 + 1) > ctx->data_end)
		return sl_to_kernel(ctx, d, SLUICE_REASON_MALFORMED);
	if (sl_ipv6_multicast(ip6))
		return sl_to_kernel(ctx, d, SLUICE_REASON_NOT_FORWARDED);
	if (ip6->hop_limit <= 1)
		return sl_to_kernel(ctx, d, SLUICE_REASON_TTL_EXCEEDED);
	flowinfo = sl_ipv6_flowinfo(ip6);
	len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	epoch = ctx->gso_size ? 0 : sl_fibc_epoch();
	if (epoch) {
		h = sl_fibc_key6(p, ctx->ifindex, flowinfo, epoch);
		key = sl_fibc_key_words();
		nh = sl_fibc_get(key, 6, h, epoch, len);
		if (nh && !sl_egress_ok(ctx, nh->ifindex))
			return sl_to_kernel(ctx, d, SLUICE_REASON_NO_EGRESS);
		if (nh) {
			ip6->hop_limit--;
			return sl_fibc_send(ctx, eth, nh);
		}
	}
	__builtin_memset(&fib, 0, sizeof(fib));
	fib.family = SL_AF_INET6;
	sl_fib_ports(&fib, ctx, p);
	fib.flowinfo = flowinfo;
	fib.tot_len = sl_fib_tot_len(ctx, len);
	__builtin_memcpy(fib.ipv6_src, &ip6->saddr, 16);
	__builtin_memcpy(fib.ipv6_dst, &ip6->daddr, 16);
	rc = bpf_fib_lookup(ctx->raw, &fib, sizeof(fib), 0);
	if (!sl_fib_usable(ctx, d, &fib, rc, &ret))
		return ret;
	if (rc == BPF_FIB_LKUP_RET_SUCCESS)
		sl_fibc_put(key, 6, h, epoch, &fib);
	ip6->hop_limit--;
	return sl_fib_send(ctx, eth, &fib);
}

#define SL_IFF_LOOPBACK 0x8

/*
 * Is the frame addressed to the ingress port's own MAC?  The kernel
 * forwards only such frames (PACKET_HOST); one a promiscuous port or a
 * flooding bridge let in is not ours to route.  The device is read
 * through the kernel's own context (xdp_buff or sk_buff), the same way
 * on both hooks.  The loopback, where test-run plays captures, has no
 * address to be sent to: anything goes there.
 */
static __always_inline bool sl_frame_for_us(const struct sl_ctx *ctx,
					    const struct ethhdr *eth)
{
	struct net_device *dev;
	const __u8 *mac;

	if (ctx->hook == SLUICE_HOOK_XDP) {
		struct xdp_buff *x = bpf_cast_to_kern_ctx(ctx->raw);

		dev = x->rxq->dev;
	} else {
		struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx->raw);

		dev = skb->dev;
	}
	if (!dev || dev->flags & SL_IFF_LOOPBACK)
		return true;
	mac = dev->dev_addr_shadow;
	return *(__u32 *)eth->h_dest == *(__u32 *)mac &&
	       *(__u16 *)&eth->h_dest[4] == *(__u16 *)&mac[4];
}

static __always_inline int sl_forward(const struct sl_ctx *ctx,
				      const struct sl_pkt *p,
				      struct sl_decision *d)
{
	struct ethhdr *eth = ctx->data;

	if ((void *)(eth + 1) > ctx->data_end)
		return sl_to_kernel(ctx, d, SLUICE_REASON_MALFORMED);
	if (!sl_frame_for_us(ctx, eth))
		return sl_to_kernel(ctx, d, SLUICE_REASON_NOT_FOR_US);
	/* Tagged frames belong to a VLAN device the stack knows about. */
	if (p->has & SLUICE_HAS_VLAN || ctx->has_meta_vlan)
		return sl_to_kernel(ctx, d, SLUICE_REASON_UNSUPPORTED);
	if (p->key.family == 4)
		return sl_forward4(ctx, p, d);
	return sl_forward6(ctx, p, d);
}

#endif /* __SLUICE_FORWARD_H */
