/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Forward's fast path, XDP only: a plain IPv4 or IPv6 frame on a port
 * whose policy is forward, while nobody captures, that no rule decides
 * (no rule is loaded, or the flow cache, flowcache.h, says none matched
 * it) and whose next hop the next-hop cache (fibcache.h) holds.  Such a
 * frame needs none of the pipeline's generality, and the pipeline's cost
 * follows the length of its path (a profile finds no miss to blame): with
 * no rule loaded, sluice's part of a forwarded frame took 23 ns here
 * where the pipeline took 38.  Beside rules, the flow cache's answer
 * costs about 8 ns more (a key to make and hash, a line to compare).
 * There, a frame the flow cache holds as dropped by a rule is dropped
 * here too (sl_fast_rule()): else a flood a rule drops on a forwarding
 * port would pay for the fast path and then for the pipeline.
 *
 * It takes a frame only where the pipeline would do exactly the same
 * (verdict, bytes, counters): the checks below are the parser's and
 * forward's for the outcomes "forwarded by the cache, reason policy" and
 * "dropped by a rule".  Anything else, a cache miss included, returns -1
 * and goes through the pipeline, which judges it from the start: the
 * fast path changes nothing, it only counts what it ends.  test_forward
 * runs every case twice, and holds the second run, judged here where it
 * qualifies, to the first; its edge frames try each check here.
 */
#ifndef __SLUICE_FASTFWD_H
#define __SLUICE_FASTFWD_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "capture.h"
#include "count.h"
#include "ctx.h"
#include "fibcache.h"
#include "flowcache.h"
#include "forward.h"
#include "maps.h"
#include "parse.h"
#include "trace.h"

/*
 * The transport header, l4, whole as parse.h would read it: left bytes of
 * the datagram past the IP header(s), eight of them in the frame already.
 * ICMP is checked as ICMP only in its own family.
 */
static __always_inline bool sl_fast_l4_whole(const void *l4, __u8 proto,
					     const void *data_end, __u32 left,
					     bool v6)
{
	const struct tcphdr *th = l4;

	switch (proto) {
	case SL_IPPROTO_TCP:
		if ((const void *)(th + 1) > data_end || left < sizeof(*th))
			return false;
		return th->doff >= 5 && th->doff * 4U <= left;
	case SL_IPPROTO_UDP:
		return left >= 8;
	case SL_IPPROTO_ICMP:
		return v6 || left >= 8;
	case SL_IPPROTO_ICMPV6:
		return !v6 || left >= 8;
	default:
		return true;
	}
}

/* Protocol and ports as parse.h gives them: TCP's and UDP's, else none. */
static __always_inline __u64 sl_fast_l4(const void *l4, __u8 proto, __u64 epoch)
{
	const struct udphdr *uh = l4;

	if (proto != SL_IPPROTO_TCP && proto != SL_IPPROTO_UDP)
		return sl_fibc_l4v(epoch, 0, 0, proto);
	return sl_fibc_l4v(epoch, bpf_ntohs(uh->source), bpf_ntohs(uh->dest),
			   proto);
}

/* An IPv6 extension header: parse.h walks them, the fast path does not. */
static __always_inline bool sl_fast_exthdr(__u8 nexthdr)
{
	return nexthdr == SL_IPPROTO_HOPOPTS || nexthdr == SL_IPPROTO_ROUTING ||
	       nexthdr == SL_IPPROTO_FRAGMENT || nexthdr == SL_IPPROTO_DSTOPTS;
}

/* What the entry learns of a port before it calls sl_fast_forward(). */
enum sl_fast_port {
	SL_FAST_NOT, /* the port does not forward, or a capture runs */
	SL_FAST_NO_RULES, /* it forwards, and no rule is loaded */
	SL_FAST_RULES, /* it forwards what no rule decides */
};

static __always_inline enum sl_fast_port sl_fast_port(__u32 slot)
{
	const struct sluice_ruleset *rs;
	const struct sluice_iface *iface;
	const struct sluice_state *st;
	__u32 zero = 0, gen;

	iface = bpf_map_lookup_elem(&sl_ifaces, &slot);
	if (!iface || iface->policy != SLUICE_ACT_FORWARD)
		return SL_FAST_NOT;
	st = bpf_map_lookup_elem(&sl_state, &zero);
	if (!st)
		return SL_FAST_NOT;
	gen = st->active_gen & 1;
	rs = bpf_map_lookup_elem(&sl_rulesets, &gen);
	if (!rs || sl_capture_on())
		return SL_FAST_NOT;
	return rs->nrules ? SL_FAST_RULES : SL_FAST_NO_RULES;
}

/*
 * The rest of the key the parser makes, from a transport header
 * sl_fast_l4_whole() found whole.  The verifier does not know that the
 * protocol read here is the one read there: the TCP header is checked
 * again.
 */
static __always_inline bool sl_fast_key_l4(struct sl_pkt *p, const void *l4,
					   const void *data_end)
{
	switch (p->key.proto) {
	case SL_IPPROTO_TCP:
		if (l4 + sizeof(struct tcphdr) > data_end)
			return false;
		sl_key_tcp(p, l4);
		break;
	case SL_IPPROTO_UDP:
		sl_key_udp(p, l4);
		break;
	case SL_IPPROTO_ICMP:
	case SL_IPPROTO_ICMPV6:
		if (sl_key_icmp_own(p))
			sl_key_icmp(p, l4);
		break;
	}
	return true;
}

/* What the flow cache holds for the datagram, under the parser's key. */
static __always_inline const struct sluice_flowc_entry *
sl_fast_cached4(const struct sl_ctx *c, __u32 slot, const struct iphdr *iph,
		__u32 tot)
{
	struct sl_pkt p = { .key.slot = slot };

	sl_key_ipv4(&p, iph, tot);
	if (!sl_fast_key_l4(&p, iph + 1, c->data_end))
		return NULL;
	return sl_flowc_cached(&p);
}

static __always_inline const struct sluice_flowc_entry *
sl_fast_cached6(const struct sl_ctx *c, __u32 slot, const struct ipv6hdr *ip6,
		__u32 plen)
{
	struct sl_pkt p = { .key.slot = slot };

	sl_key_ipv6(&p, ip6, plen);
	p.key.proto = ip6->nexthdr;
	if (!sl_fast_key_l4(&p, ip6 + 1, c->data_end))
		return NULL;
	return sl_flowc_cached(&p);
}

/* Count what the fast path ends as the pipeline would count it. */
static __always_inline void sl_fast_count(const struct sl_ctx *c, __u32 slot,
					  const struct sl_decision *d)
{
	sl_count(slot, c->hook, d, c->len);
	sl_trace_last(d, true);
}

/*
 * A rule decided the frame, the cache says: a drop ends here, as the
 * pipeline would end it (a flood's every packet on a forwarding port),
 * any other action is the pipeline's.
 */
static __always_inline int sl_fast_rule(const struct sl_ctx *c, __u32 slot,
					const struct sluice_flowc_entry *e)
{
	struct sl_decision d = {
		.action = SLUICE_ACT_DROP,
		.reason = SLUICE_REASON_RULE,
		.prio = e->prio,
	};

	if (e->action != SLUICE_ACT_DROP)
		return -1;
	sl_fast_count(c, slot, &d);
	return XDP_DROP;
}

/*
 * The cached next hop for key, if it fits len and its egress is ours.
 * The redirect is set first, before the frame is touched: the devmap
 * lookup it makes is the egress check, where the pipeline makes one of
 * its own (sl_egress_ok()) and another to redirect.  An egress not in
 * the devmap sets nothing (XDP_PASS), and the pipeline judges the frame.
 */
static __always_inline const struct sluice_fibc_nh *
sl_fast_next_hop(const __u64 *key, __u32 family, __u64 epoch, __u32 len)
{
	const struct sluice_fibc_nh *nh;

	nh = sl_fibc_get(key, family, sl_hash6(key), epoch, len);
	if (!nh || bpf_redirect_map(&sl_tx_ports, nh->ifindex, XDP_PASS) !=
			   XDP_REDIRECT)
		return NULL;
	return nh;
}

/* The frame leaves as redirected (sl_fast_next_hop()). */
static __always_inline int sl_fast_send(const struct sl_ctx *c,
					struct ethhdr *eth, __u32 slot,
					const struct sluice_fibc_nh *nh)
{
	struct sl_decision d = {
		.action = SLUICE_ACT_FORWARD,
		.reason = SLUICE_REASON_POLICY,
	};

	sl_fast_count(c, slot, &d);
	sl_nh_macs(eth, nh->dmac, nh->smac);
	return XDP_REDIRECT;
}

/* A plain IPv4 datagram: no options, not a fragment, its L4 header whole. */
static __always_inline int sl_fast_forward4(const struct sl_ctx *c,
					    struct ethhdr *eth, __u32 slot,
					    enum sl_fast_port port)
{
	struct iphdr *iph = (void *)(eth + 1);
	__u64 key[SLUICE_FIBC_KEY_WORDS] = {}, epoch;
	const struct sluice_flowc_entry *e;
	const struct sluice_fibc_nh *nh;
	__u32 tot;

	/* Eight bytes past the header: UDP's, ICMP's, TCP's ports. */
	if ((void *)(iph + 1) + 8 > c->data_end)
		return -1;
	if (iph->version != 4 || iph->ihl != 5 ||
	    iph->frag_off & bpf_htons(SL_IP_MF | SL_IP_OFFSET))
		return -1;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < sizeof(*iph) || tot > c->len - sizeof(*eth) ||
	    !sl_fast_l4_whole(iph + 1, iph->protocol, c->data_end,
			      tot - sizeof(*iph), false))
		return -1;
	if (port == SL_FAST_RULES) {
		e = sl_fast_cached4(c, slot, iph, tot);
		if (!e)
			return -1;
		if (e->prio)
			return sl_fast_rule(c, slot, e);
	}
	/* forward.h's checks, for a frame it would send. */
	if (!sl_frame_for_us(c, eth) || sl_ipv4_not_unicast(iph->daddr) ||
	    iph->ttl <= 1)
		return -1;
	epoch = sl_fibc_epoch();
	if (!epoch)
		return -1;
	sl_fibc_words4(key, c->ifindex, iph->daddr, iph->saddr,
		       sl_fast_l4(iph + 1, iph->protocol, epoch), iph->tos,
		       epoch);
	nh = sl_fast_next_hop(key, 4, epoch, tot);
	if (!nh)
		return -1;
	sl_ipv4_decrease_ttl(iph);
	return sl_fast_send(c, eth, slot, nh);
}

/* A plain IPv6 datagram: no extension header, its L4 header whole. */
static __always_inline int sl_fast_forward6(const struct sl_ctx *c,
					    struct ethhdr *eth, __u32 slot,
					    enum sl_fast_port port)
{
	struct ipv6hdr *ip6 = (void *)(eth + 1);
	__u64 key[SLUICE_FIBC_KEY_WORDS], epoch;
	const struct sluice_flowc_entry *e;
	const struct sluice_fibc_nh *nh;
	__u32 plen;

	if ((void *)(ip6 + 1) + 8 > c->data_end)
		return -1;
	plen = bpf_ntohs(ip6->payload_len);
	if (ip6->version != 6 || sl_fast_exthdr(ip6->nexthdr) ||
	    plen > c->len - sizeof(*eth) - sizeof(*ip6) ||
	    !sl_fast_l4_whole(ip6 + 1, ip6->nexthdr, c->data_end, plen, true))
		return -1;
	if (port == SL_FAST_RULES) {
		e = sl_fast_cached6(c, slot, ip6, plen);
		if (!e)
			return -1;
		if (e->prio)
			return sl_fast_rule(c, slot, e);
	}
	if (!sl_frame_for_us(c, eth) || sl_ipv6_multicast(ip6) ||
	    ip6->hop_limit <= 1)
		return -1;
	epoch = sl_fibc_epoch();
	if (!epoch)
		return -1;
	sl_fibc_words6(key, c->ifindex, sl_ipv6_flowinfo(ip6),
		       (const __u64 *)&ip6->saddr, (const __u64 *)&ip6->daddr,
		       sl_fast_l4(ip6 + 1, ip6->nexthdr, epoch), epoch);
	nh = sl_fast_next_hop(key, 6, epoch, sizeof(*ip6) + plen);
	if (!nh)
		return -1;
	ip6->hop_limit--;
	return sl_fast_send(c, eth, slot, nh);
}

/*
 * A frame on a port sl_fast_port() let through: returns the verdict, or
 * -1: not for the fast path.  Its own frame (not inlined): the pipeline's
 * call chain is near the verifier's 512 bytes.
 */
static __noinline int sl_fast_forward(struct xdp_md *xdp, __u32 slot,
				      enum sl_fast_port port)
{
	const struct xdp_buff *x = bpf_cast_to_kern_ctx(xdp);
	struct sl_ctx c = {
		.raw = xdp,
		.data = (void *)(long)xdp->data,
		.data_end = (void *)(long)xdp->data_end,
		.ifindex = xdp->ingress_ifindex,
		.hook = SLUICE_HOOK_XDP,
	};
	struct ethhdr *eth = c.data;

	if (x->flags & XDP_FLAGS_HAS_FRAGS || (void *)(eth + 1) > c.data_end)
		return -1;
	c.len = c.data_end - c.data;
	/* Untagged IP only. */
	if (eth->h_proto == bpf_htons(SL_ETH_P_IP))
		return sl_fast_forward4(&c, eth, slot, port);
	if (eth->h_proto == bpf_htons(SL_ETH_P_IPV6))
		return sl_fast_forward6(&c, eth, slot, port);
	return -1;
}

#endif /* __SLUICE_FASTFWD_H */
