/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Forward's fast path, XDP only: a plain IPv4 frame on a port whose
 * policy is forward, while no rule is loaded and nobody captures, whose
 * next hop the next-hop cache (fibcache.h) holds.  Such a frame needs
 * none of the pipeline's generality, and the pipeline's cost follows the
 * length of its path (a profile finds no miss to blame): here sluice's
 * part of a forwarded frame took 23 ns where the pipeline took 38.
 *
 * It takes a frame only where the pipeline would do exactly the same
 * (verdict, bytes, counters): the checks below are the parser's and
 * forward's for the one outcome "forwarded by the cache, reason policy".
 * Anything else, a cache miss included, returns -1 and goes through the
 * pipeline, which judges it from the start: the fast path changes
 * nothing, it only counts when it sends.  test_forward runs every case
 * twice, and holds the second run, judged here where it qualifies, to
 * the first.
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
#include "forward.h"
#include "maps.h"
#include "parse.h"
#include "trace.h"

/* The bytes after the IPv4 header must hold what parse.h reads there. */
static __always_inline bool sl_fast_l4_whole(const struct iphdr *iph,
					     const void *data_end, __u32 left)
{
	const struct tcphdr *th = (const void *)(iph + 1);

	switch (iph->protocol) {
	case SL_IPPROTO_TCP:
		if ((const void *)(th + 1) > data_end || left < sizeof(*th))
			return false;
		return th->doff >= 5 && th->doff * 4U <= left;
	case SL_IPPROTO_UDP:
	case SL_IPPROTO_ICMP:
		return left >= 8;
	default:
		return true;
	}
}

/* Ports as parse.h gives them: TCP's and UDP's, else none. */
static __always_inline __u64 sl_fast_l4(const struct iphdr *iph, __u64 epoch)
{
	const struct udphdr *uh = (const void *)(iph + 1);

	if (!(epoch & SLUICE_FIBC_L4))
		return 0;
	if (iph->protocol != SL_IPPROTO_TCP && iph->protocol != SL_IPPROTO_UDP)
		return sl_fibc_l4v(epoch, 0, 0, iph->protocol);
	return sl_fibc_l4v(epoch, bpf_ntohs(uh->source), bpf_ntohs(uh->dest),
			   iph->protocol);
}

/* This port forwards what no rule decides, and nothing else applies. */
static __always_inline bool sl_fast_port(__u32 slot)
{
	const struct sluice_ruleset *rs;
	const struct sluice_iface *iface;
	const struct sluice_state *st;
	__u32 zero = 0, gen;

	iface = bpf_map_lookup_elem(&sl_ifaces, &slot);
	if (!iface || iface->policy != SLUICE_ACT_FORWARD)
		return false;
	st = bpf_map_lookup_elem(&sl_state, &zero);
	if (!st)
		return false;
	gen = st->active_gen & 1;
	rs = bpf_map_lookup_elem(&sl_rulesets, &gen);
	return rs && !rs->nrules && sl_capture_idle();
}

/*
 * Returns the verdict, or -1: not for the fast path.  Its own frame (not
 * inlined): the pipeline's call chain is near the verifier's 512 bytes.
 */
static __noinline int sl_fast_forward(struct xdp_md *xdp)
{
	const struct xdp_buff *x = bpf_cast_to_kern_ctx(xdp);
	struct sl_ctx c = {
		.raw = xdp,
		.data = (void *)(long)xdp->data,
		.data_end = (void *)(long)xdp->data_end,
		.ifindex = xdp->ingress_ifindex,
		.hook = SLUICE_HOOK_XDP,
	};
	struct sl_decision d = {
		.action = SLUICE_ACT_FORWARD,
		.reason = SLUICE_REASON_POLICY,
	};
	const struct sluice_fibc_nh *nh;
	struct ethhdr *eth = c.data;
	struct iphdr *iph = (void *)(eth + 1);
	__u64 key[SLUICE_FIBC_KEY_WORDS] = {}, epoch;
	__u32 slot, tot;

	/* Eight bytes past the IP header: UDP's, ICMP's, TCP's ports. */
	if (x->flags & XDP_FLAGS_HAS_FRAGS ||
	    (void *)(iph + 1) + 8 > c.data_end)
		return -1;
	c.len = c.data_end - c.data;
	/* Untagged IPv4 without options, not a fragment, whole. */
	if (eth->h_proto != bpf_htons(SL_ETH_P_IP) || iph->version != 4 ||
	    iph->ihl != 5 || iph->frag_off & bpf_htons(SL_IP_MF | SL_IP_OFFSET))
		return -1;
	tot = bpf_ntohs(iph->tot_len);
	if (tot < sizeof(*iph) || tot > c.len - sizeof(*eth) ||
	    !sl_fast_l4_whole(iph, c.data_end, tot - sizeof(*iph)))
		return -1;

	slot = sl_slot(c.ifindex);
	if (!sl_fast_port(slot))
		return -1;
	/* forward.h's checks, in its order, for a frame it would send. */
	if (!sl_frame_for_us(&c, eth) || sl_ipv4_not_unicast(iph->daddr) ||
	    iph->ttl <= 1)
		return -1;
	epoch = sl_fibc_epoch();
	if (!epoch)
		return -1;
	sl_fibc_words4(key, c.ifindex, iph->daddr, iph->saddr,
		       sl_fast_l4(iph, epoch), iph->tos, epoch);
	nh = sl_fibc_get(key, 4, sl_hash6(key), epoch, tot);
	if (!nh || !sl_egress_ok(&c, nh->ifindex))
		return -1;

	sl_ipv4_decrease_ttl(iph);
	sl_count(slot, c.hook, &d, c.len);
	sl_trace_last(&d, true);
	return sl_fibc_send(&c, eth, nh);
}

#endif /* __SLUICE_FASTFWD_H */
