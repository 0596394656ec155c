/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * syn-proxy: answer SYNs to a protected port with SYN cookies here, so a
 * flood never reaches the listener's SYN queue, and let only ACKs whose
 * cookie checks reach the kernel, which builds the connection from the
 * cookie itself (net/ipv4/syncookies.c).  No state is kept, no sequence
 * numbers are translated: the cookie is the kernel's own.
 *
 * API: sl_synproxy(ctx, p, d) for a TCP packet a syn-proxy rule took.
 *
 * - A SYN: the local listener is looked up; bpf_tcp_gen_syncookie() makes
 *   the cookie on it (the same secret as bpf_tcp_raw_gen_syncookie_*, and
 *   besides it marks the listener "cookies sent lately", without which the
 *   kernel ignores every cookie ACK: tcp_synq_no_recent_overflow()).  It
 *   needs net.ipv4.tcp_syncookies=2.  The frame is turned into the SYN-ACK
 *   in place and sent back out the port it came by (XDP_TX; on tc a
 *   redirect to the same device's egress).  A veth delivers XDP_TX only
 *   to a peer that runs XDP, so mode auto puts a veth with a syn-proxy
 *   rule on tc (user/lib/attach.h).
 * - An ACK (no SYN, no RST) whose socket is a listener: the first ACK of
 *   a cookie handshake, or a forgery.  bpf_tcp_raw_check_syncookie_*()
 *   decides: good ones go to the kernel, bad ones are dropped.
 * - Anything else, an ACK of an established connection included, goes to
 *   the kernel after one socket lookup: no cookie arithmetic.
 * - Under a flood the socket lookup is most of a SYN's cost: a random
 *   source misses the established table's buckets.  A CPU that saw
 *   SL_SP_FLOOD_SYNS SYNs in this window or the last answers a SYN to a
 *   destination (address and port) whose listener it found in the last
 *   second from the cookie alone (bpf_tcp_raw_gen_syncookie_*), without
 *   a lookup.  The kernel takes cookie ACKs for two minutes after its
 *   listener was last marked; a SYN a second per destination and CPU still
 *   takes the lookup and renews the mark.  What the shortcut gives up,
 *   during a flood only: a SYN reusing the addresses and ports of a
 *   TIME_WAIT socket gets a cookie rather than the kernel's TIME_WAIT
 *   handling (its ACK then meets that socket and the client retries), and
 *   a listener closed less than a second ago still gets cookies (their
 *   ACKs get a reset).
 *
 * Options: the MSS is in the cookie.  Window scale and SACK ride in the
 * low six bits of the SYN-ACK's TSval, in the kernel's layout, when the
 * client sent timestamps and the netns runs tcp_timestamps=2 (no secret
 * per-connection offset for the kernel to subtract from the echo); else
 * the SYN-ACK offers the MSS alone, as the kernel's own cookies do.
 */
#ifndef __SLUICE_SYNPROXY_H
#define __SLUICE_SYNPROXY_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "clock.h"
#include "ctx.h"
#include "decision.h"
#include "forward.h"
#include "maps.h"
#include "parse.h"

#define SL_TCP_FIN 0x01
#define SL_TCP_SYN 0x02
#define SL_TCP_RST 0x04
#define SL_TCP_ACK 0x10

#define SL_TCPOPT_EOL 0
#define SL_TCPOPT_NOP 1
#define SL_TCPOPT_MSS 2
#define SL_TCPOPT_WINDOW 3
#define SL_TCPOPT_SACK_PERM 4
#define SL_TCPOPT_TIMESTAMP 8

/* The kernel's layout of options in a cookie's TSval. */
#define SL_TS_OPT_WSCALE_NONE 0xf
#define SL_TS_OPT_SACK 0x10
#define SL_TS_BITS 6
#define SL_MAX_WSCALE 14

#define SL_TCP_HDR_MAX 60
/* MSS; MSS + SACK-permitted/NOPs + timestamps; that + window scale. */
#define SL_SYNACK_MSS_ONLY 24
#define SL_SYNACK_TS 36
#define SL_SYNACK_TS_WS 40
/* Below any receive window the kernel opens with (tcp_rmem[1] >= 64k). */
#define SL_SYNACK_WINDOW 14600

/* What the client's SYN asked for. */
struct sl_syn_opts {
	__u32 tsval;
	__u8 wscale;
	bool has_ts, has_ws, sack;
};

#define SL_SP_WINDOW_SHIFT 27 /* windows of 2^27 ns, about 134 ms */
#define SL_SP_FLOOD_SYNS 1024 /* a window's SYNs that make a flood */
#define SL_SP_TRUST_NS 1000000000ULL /* how long a found listener is trusted */

/* Where the IP and TCP headers are; all in the linear part. */
struct sl_tcp_at {
	__u32 l3, l4; /* offsets from the frame's first byte */
	__u32 thl; /* TCP header length */
};

static __always_inline __u16 sl_csum_fold(__u64 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/*
 * IPv4 without options and not a fragment, or IPv6 with TCP right after
 * its header; else -1, and the kernel sees the packet.
 */
static __always_inline int sl_sp_locate(void *data, void *data_end, __u8 family,
					struct sl_tcp_at *at)
{
	struct ethhdr *eth = data;
	struct tcphdr *th;
	__u32 off = sizeof(*eth);
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return -1;
	proto = eth->h_proto;
	for (i = 0; i < SLUICE_MAX_VLAN_DEPTH; i++) {
		struct vlan_hdr *vh = data + off;

		if (!sl_is_vlan(proto))
			break;
		if ((void *)(vh + 1) > data_end)
			return -1;
		proto = vh->h_vlan_encapsulated_proto;
		off += sizeof(*vh);
	}
	at->l3 = off;
	if (family == 4) {
		struct iphdr *iph = data + off;

		if (proto != bpf_htons(SL_ETH_P_IP) ||
		    (void *)(iph + 1) > data_end)
			return -1;
		if (iph->ihl != 5 || iph->protocol != SL_IPPROTO_TCP ||
		    iph->frag_off & bpf_htons(SL_IP_MF | SL_IP_OFFSET))
			return -1;
		off += sizeof(*iph);
	} else {
		struct ipv6hdr *ip6 = data + off;

		if (proto != bpf_htons(SL_ETH_P_IPV6) ||
		    (void *)(ip6 + 1) > data_end)
			return -1;
		if (ip6->nexthdr != SL_IPPROTO_TCP)
			return -1;
		off += sizeof(*ip6);
	}
	th = data + off;
	if ((void *)(th + 1) > data_end || th->doff < 5)
		return -1;
	at->l4 = off;
	at->thl = th->doff * 4;
	return 0;
}

/* A copy of the SYN's TCP header, for the cookie and the options. */
struct sl_sp_hdr {
	__u8 b[SL_TCP_HDR_MAX + 4];
};

/*
 * The options of a SYN whose header is h (thl bytes).  Global, so the
 * verifier walks its loop once, not once per state of the pipeline.
 */
__noinline int sl_sp_syn_opts(const struct sl_sp_hdr *h, __u32 thl,
			      struct sl_syn_opts *o)
{
	__u32 off = sizeof(struct tcphdr), i;

	if (!h || !o)
		return -1;
	/* Each round eats at least a byte of the at most 40. */
	for (i = 0; i < SL_TCP_HDR_MAX - sizeof(struct tcphdr); i++) {
		__u8 kind, len;

		if (off + 1 >= thl || off >= SL_TCP_HDR_MAX - 1)
			break;
		kind = h->b[off];
		if (kind == SL_TCPOPT_EOL)
			break;
		if (kind == SL_TCPOPT_NOP) {
			off++;
			continue;
		}
		len = h->b[off + 1];
		if (len < 2 || off + len > thl)
			break;
		if (kind == SL_TCPOPT_WINDOW && len == 3) {
			o->has_ws = true;
			o->wscale = h->b[off + 2];
		} else if (kind == SL_TCPOPT_SACK_PERM && len == 2) {
			o->sack = true;
		} else if (kind == SL_TCPOPT_TIMESTAMP && len == 10) {
			o->has_ts = true;
			o->tsval = (__u32)h->b[off + 2] << 24 |
				   (__u32)h->b[off + 3] << 16 |
				   (__u32)h->b[off + 4] << 8 | h->b[off + 5];
		}
		off += len;
	}
	return 0;
}

/* A TSval at or before the kernel's TCP clock, carrying the options. */
static __always_inline __u32 sl_sp_tsval(__u32 options)
{
	__u64 now = bpf_ktime_get_ns() / 1000000, ts;

	ts = (now >> SL_TS_BITS) << SL_TS_BITS | options;
	if (ts > now)
		ts -= 1 << SL_TS_BITS;
	return ts;
}

/* Change the frame's length to len bytes; the data pointers go stale. */
static __always_inline int sl_sp_resize(const struct sl_ctx *ctx, __u32 len)
{
	if (ctx->hook == SLUICE_HOOK_XDP)
		return bpf_xdp_adjust_tail(ctx->raw, (int)len - (int)ctx->len);
	return bpf_skb_change_tail(ctx->raw, len, 0);
}

static __always_inline void sl_sp_data(const struct sl_ctx *ctx, void **data,
				       void **data_end)
{
	if (ctx->hook == SLUICE_HOOK_XDP) {
		struct xdp_md *xdp = ctx->raw;

		*data = (void *)(long)xdp->data;
		*data_end = (void *)(long)xdp->data_end;
	} else {
		struct __sk_buff *skb = ctx->raw;

		*data = (void *)(long)skb->data;
		*data_end = (void *)(long)skb->data_end;
	}
}

/*
 * The SYN-ACK's TCP header and options over the SYN's: ports and
 * addresses are already swapped.  Returns the TCP length, 0 if the frame
 * is too short.
 */
static __always_inline __u32 sl_sp_write_tcp(
	struct tcphdr *th, void *data_end, __u32 cookie, __u32 ack, __u16 mss,
	const struct sl_syn_opts *o, const struct sluice_synproxy_cfg *cfg)
{
	__u8 *opt = (__u8 *)(th + 1);
	bool ts = o->has_ts && (cfg->flags & SLUICE_SYNPROXY_TS);
	bool ws = ts && o->has_ws && (cfg->flags & SLUICE_SYNPROXY_WSCALE);
	bool sack = ts && o->sack && (cfg->flags & SLUICE_SYNPROXY_SACK);
	__u32 len = ws ? SL_SYNACK_TS_WS :
		    ts ? SL_SYNACK_TS :
			 SL_SYNACK_MSS_ONLY;
	__u32 options, tsval;

	if ((void *)th + SL_SYNACK_MSS_ONLY > data_end)
		return 0;
	th->seq = bpf_htonl(cookie);
	th->ack_seq = bpf_htonl(ack);
	((__u8 *)th)[12] = (len / 4) << 4;
	((__u8 *)th)[13] = SL_TCP_SYN | SL_TCP_ACK;
	th->window = bpf_htons(cfg->window ? cfg->window : SL_SYNACK_WINDOW);
	th->check = 0;
	th->urg_ptr = 0;
	opt[0] = SL_TCPOPT_MSS;
	opt[1] = 4;
	opt[2] = mss >> 8;
	opt[3] = mss & 0xff;
	if (!ts)
		return len;
	if ((void *)th + SL_SYNACK_TS > data_end)
		return 0;
	options = ws ? (o->wscale < SL_MAX_WSCALE ? o->wscale : SL_MAX_WSCALE) :
		       SL_TS_OPT_WSCALE_NONE;
	if (sack)
		options |= SL_TS_OPT_SACK;
	tsval = bpf_htonl(sl_sp_tsval(options));
	opt[4] = sack ? SL_TCPOPT_SACK_PERM : SL_TCPOPT_NOP;
	opt[5] = sack ? 2 : SL_TCPOPT_NOP;
	opt[6] = SL_TCPOPT_TIMESTAMP;
	opt[7] = 10;
	__builtin_memcpy(opt + 8, &tsval, 4);
	tsval = bpf_htonl(o->tsval);
	__builtin_memcpy(opt + 12, &tsval, 4);
	if (!ws)
		return len;
	if ((void *)th + SL_SYNACK_TS_WS > data_end)
		return 0;
	opt[16] = SL_TCPOPT_NOP;
	opt[17] = SL_TCPOPT_WINDOW;
	opt[18] = 3;
	opt[19] = cfg->wscale;
	return len;
}

/* The TCP checksum over header and options, seeded with the pseudo-header. */
static __always_inline void sl_sp_tcp_csum(struct tcphdr *th, void *data_end,
					   __u32 len, __s64 seed)
{
	__s64 s = seed;

	if ((void *)th + SL_SYNACK_MSS_ONLY > data_end)
		return;
	s = bpf_csum_diff(NULL, 0, (void *)th, SL_SYNACK_MSS_ONLY, s);
	if (len >= SL_SYNACK_TS) {
		if ((void *)th + SL_SYNACK_TS > data_end)
			return;
		s = bpf_csum_diff(NULL, 0, (void *)th + SL_SYNACK_MSS_ONLY,
				  SL_SYNACK_TS - SL_SYNACK_MSS_ONLY, s);
	}
	if (len >= SL_SYNACK_TS_WS) {
		if ((void *)th + SL_SYNACK_TS_WS > data_end)
			return;
		s = bpf_csum_diff(NULL, 0, (void *)th + SL_SYNACK_TS,
				  SL_SYNACK_TS_WS - SL_SYNACK_TS, s);
	}
	th->check = sl_csum_fold((__u32)s);
}

static __always_inline int sl_sp_send(const struct sl_ctx *ctx,
				      struct sl_decision *d)
{
	d->action = SLUICE_ACT_SYN_PROXY;
	d->reason = SLUICE_REASON_SYNCOOKIE_SENT;
	if (ctx->hook == SLUICE_HOOK_XDP)
		return XDP_TX;
	return bpf_redirect(ctx->ifindex, 0);
}

static __always_inline int sl_sp_pass(const struct sl_ctx *ctx,
				      struct sl_decision *d)
{
	d->action = SLUICE_ACT_PASS;
	return sl_ret_pass(ctx);
}

static __always_inline int sl_sp_drop(const struct sl_ctx *ctx,
				      struct sl_decision *d, __u32 reason)
{
	d->action = SLUICE_ACT_DROP;
	d->reason = reason;
	return sl_ret_drop(ctx);
}

/* A SYN alone: no ACK, RST or FIN with it. */
static __always_inline bool sl_sp_syn_only(__u8 flags)
{
	return (flags & (SL_TCP_SYN | SL_TCP_ACK | SL_TCP_RST | SL_TCP_FIN)) ==
	       SL_TCP_SYN;
}

/* Counts a SYN; true when this CPU is under a flood of them. */
static __always_inline bool sl_sp_flooded(struct sl_sp_flood *f, __u64 now)
{
	__u64 window = now >> SL_SP_WINDOW_SHIFT;

	if (f->window != window) {
		f->last = f->window + 1 == window ? f->syns : 0;
		f->window = window;
		f->syns = 0;
	}
	f->syns++;
	return f->syns >= SL_SP_FLOOD_SYNS || f->last >= SL_SP_FLOOD_SYNS;
}

/* p's destination, as a slot's key: its address and its port and family. */
static __always_inline __u32 sl_sp_port_family(const struct sl_pkt *p)
{
	return (__u32)p->key.dport << 8 | p->key.family;
}

static __always_inline struct sl_sp_dest *sl_sp_dest_of(struct sl_sp_flood *f,
							const struct sl_pkt *p)
{
	const __u64 *a = (const __u64 *)p->key.dst; /* abi.h: 8-aligned */

	return &f->dest[((a[0] ^ a[1] ^ sl_sp_port_family(p)) *
			 0x9e3779b97f4a7c15ULL) >>
			(64 - SL_SP_DEST_BITS)];
}

/*
 * Counts a SYN; 1 when it is one, this CPU is under a flood and a lookup
 * found the SYN's listener, and marked it, lately.  Global, as the next
 * one, and called by the pipeline itself: syn-proxy's own chain of frames
 * is at the verifier's limit.
 */
__noinline int sl_sp_shortcut(const struct sl_pkt *p)
{
	const __u64 *a;
	struct sl_sp_flood *f;
	struct sl_sp_dest *e;
	__u32 zero = 0;
	__u64 now;

	if (!p || !(p->has & SLUICE_HAS_TCP) ||
	    !sl_sp_syn_only(p->key.tcp_flags))
		return 0;
	f = bpf_map_lookup_elem(&sl_sp_flood, &zero);
	if (!f)
		return 0;
	now = sl_tick_ns();
	if (!sl_sp_flooded(f, now))
		return 0;
	e = sl_sp_dest_of(f, p);
	a = (const __u64 *)p->key.dst;
	return e->port_family == sl_sp_port_family(p) && e->addr[0] == a[0] &&
	       e->addr[1] == a[1] && now - e->found_ns < SL_SP_TRUST_NS;
}

/* A lookup found p's listener, and its cookie marked it. */
__noinline int sl_sp_found(const struct sl_pkt *p)
{
	const __u64 *a;
	struct sl_sp_flood *f;
	struct sl_sp_dest *e;
	__u32 zero = 0;

	f = bpf_map_lookup_elem(&sl_sp_flood, &zero);
	if (!f || !p)
		return 0;
	e = sl_sp_dest_of(f, p);
	a = (const __u64 *)p->key.dst;
	e->addr[0] = a[0];
	e->addr[1] = a[1];
	e->port_family = sl_sp_port_family(p);
	e->found_ns = sl_tick_ns();
	return 0;
}

/*
 * The SYN's cookie from the listener, which sk is (sk is released), or
 * without it, NULL: from the secret alone.
 */
static __always_inline __s64 sl_sp_cookie(const struct sl_ctx *ctx, __u8 family,
					  const struct sl_tcp_at *at,
					  struct bpf_sock *sk,
					  struct sl_sp_hdr *hdr)
{
	void *iph = ctx->data + (at->l3 & 0x1f);
	__u32 thl = at->thl;
	__s64 cookie = -1;

	/* The compiler knows the bounds from doff; the verifier must see them. */
	asm volatile("" : "+r"(thl));
	if (thl < sizeof(struct tcphdr) || thl > SL_TCP_HDR_MAX)
		goto out;
	if (ctx->hook == SLUICE_HOOK_XDP ?
		    bpf_xdp_load_bytes(ctx->raw, at->l4, hdr, thl) :
		    bpf_skb_load_bytes(ctx->raw, at->l4, hdr, thl))
		goto out;
	/* With sk, the cookie also marks the listener "cookies sent". */
	if (family == 4) {
		if (iph + sizeof(struct iphdr) > ctx->data_end)
			goto out;
		cookie = sk ? bpf_tcp_gen_syncookie(sk, iph,
						    sizeof(struct iphdr),
						    (struct tcphdr *)hdr, thl) :
			      bpf_tcp_raw_gen_syncookie_ipv4(
				      iph, (struct tcphdr *)hdr, thl);
	} else {
		if (iph + sizeof(struct ipv6hdr) > ctx->data_end)
			goto out;
		cookie = sk ? bpf_tcp_gen_syncookie(sk, iph,
						    sizeof(struct ipv6hdr),
						    (struct tcphdr *)hdr, thl) :
			      bpf_tcp_raw_gen_syncookie_ipv6(
				      iph, (struct tcphdr *)hdr, thl);
	}
out:
	if (sk)
		bpf_sk_release(sk);
	return cookie;
}

/* Swap what does not move with the length: MACs, addresses, ports. */
static __always_inline int sl_sp_swap(void *data, void *data_end, __u8 family,
				      const struct sl_tcp_at *at)
{
	struct ethhdr *eth = data;
	void *iph = data + (at->l3 & 0x1f);
	struct tcphdr *th = data + (at->l4 & 0x7f);
	__u8 mac[6];
	__u16 port;

	if ((void *)(eth + 1) > data_end || (void *)(th + 1) > data_end)
		return -1;
	__builtin_memcpy(mac, eth->h_dest, 6);
	__builtin_memcpy(eth->h_dest, eth->h_source, 6);
	__builtin_memcpy(eth->h_source, mac, 6);
	if (family == 4) {
		struct iphdr *ip4 = iph;
		__be32 a;

		if ((void *)(ip4 + 1) > data_end)
			return -1;
		a = ip4->saddr;
		ip4->saddr = ip4->daddr;
		ip4->daddr = a;
	} else {
		struct ipv6hdr *ip6 = iph;
		struct in6_addr a;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		a = ip6->saddr;
		ip6->saddr = ip6->daddr;
		ip6->daddr = a;
	}
	port = th->source;
	th->source = th->dest;
	th->dest = port;
	return 0;
}

/* The IP header's lengths and checksums, and the TCP checksum. */
static __always_inline int sl_sp_finish_ip(void *data, void *data_end,
					   __u8 family,
					   const struct sl_tcp_at *at,
					   struct tcphdr *th, __u32 tcplen)
{
	void *iph = data + (at->l3 & 0x1f);
	__s64 s;

	if (family == 4) {
		struct iphdr *ip4 = iph;
		__be32 pseudo = bpf_htonl(SL_IPPROTO_TCP << 16 | tcplen);

		if ((void *)(ip4 + 1) > data_end)
			return -1;
		ip4->tos = 0;
		ip4->tot_len = bpf_htons(sizeof(*ip4) + tcplen);
		ip4->id = 0;
		ip4->frag_off = bpf_htons(0x4000); /* DF */
		ip4->ttl = 64;
		ip4->check = 0;
		ip4->check = sl_csum_fold((__u32)bpf_csum_diff(
			NULL, 0, (void *)ip4, sizeof(*ip4), 0));
		s = bpf_csum_diff(NULL, 0, (void *)&ip4->saddr, 8, 0);
		s = bpf_csum_diff(NULL, 0, &pseudo, 4, s);
	} else {
		struct ipv6hdr *ip6 = iph;
		__be32 pseudo[2] = { bpf_htonl(tcplen),
				     bpf_htonl(SL_IPPROTO_TCP) };

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		ip6->payload_len = bpf_htons(tcplen);
		ip6->hop_limit = 64;
		s = bpf_csum_diff(NULL, 0, (void *)&ip6->saddr, 32, 0);
		s = bpf_csum_diff(NULL, 0, pseudo, 8, s);
	}
	sl_sp_tcp_csum(th, data_end, tcplen, s);
	return 0;
}

/* The SYN, turned into its SYN-ACK in place: returns the verdict. */
static __always_inline int sl_sp_synack(const struct sl_ctx *ctx,
					const struct sl_pkt *p,
					struct sl_decision *d,
					const struct sl_tcp_at *at,
					struct bpf_sock *sk)
{
	__u32 zero = 0, mtu = 0, tcplen, ack, iphl;
	const struct sluice_synproxy_cfg *cfgp;
	struct sluice_synproxy_cfg cfg = {};
	struct sl_sp_hdr hdr;
	void *data, *data_end;
	struct sl_syn_opts o = {};
	struct tcphdr *th;
	__s64 cookie;
	__u16 mss;

	cookie = sl_sp_cookie(ctx, p->key.family, at, sk, &hdr);
	if (cookie < 0)
		return sl_to_kernel(ctx, d, SLUICE_REASON_COOKIE_REFUSED);
	sl_sp_syn_opts(&hdr, at->thl, &o);
	ack = bpf_ntohl(((struct tcphdr *)&hdr)->seq) + 1;

	cfgp = bpf_map_lookup_elem(&sl_synproxy_cfg, &zero);
	if (cfgp)
		cfg = *cfgp;
	/* Ours to receive: what the port carries. */
	iphl = p->key.family == 4 ? sizeof(struct iphdr) :
				    sizeof(struct ipv6hdr);
	if (bpf_check_mtu(ctx->raw, 0, &mtu, 0, 0) || mtu < 1280)
		mtu = 1280;
	mss = mtu - iphl - sizeof(struct tcphdr) < 0xffff ?
		      mtu - iphl - sizeof(struct tcphdr) :
		      0xffff;

	if (sl_sp_swap(ctx->data, ctx->data_end, p->key.family, at))
		return sl_to_kernel(ctx, d, SLUICE_REASON_UNSUPPORTED);
	/* The frame becomes exactly the SYN-ACK: no padding, no payload. */
	tcplen = !o.has_ts || !(cfg.flags & SLUICE_SYNPROXY_TS) ?
			 SL_SYNACK_MSS_ONLY :
		 o.has_ws && (cfg.flags & SLUICE_SYNPROXY_WSCALE) ?
			 SL_SYNACK_TS_WS :
			 SL_SYNACK_TS;
	if (sl_sp_resize(ctx, at->l4 + tcplen))
		return sl_sp_drop(ctx, d, SLUICE_REASON_UNSUPPORTED);
	sl_sp_data(ctx, &data, &data_end);
	th = data + (at->l4 & 0x7f);
	if ((void *)(th + 1) > data_end)
		return sl_sp_drop(ctx, d, SLUICE_REASON_UNSUPPORTED);
	tcplen = sl_sp_write_tcp(th, data_end, cookie, ack, mss, &o, &cfg);
	if (!tcplen ||
	    sl_sp_finish_ip(data, data_end, p->key.family, at, th, tcplen))
		return sl_sp_drop(ctx, d, SLUICE_REASON_UNSUPPORTED);
	return sl_sp_send(ctx, d);
}

/* The first ACK to a listener: its cookie decides. */
static __always_inline int sl_sp_cookie_ack(const struct sl_ctx *ctx,
					    const struct sl_pkt *p,
					    struct sl_decision *d,
					    const struct sl_tcp_at *at)
{
	void *data = ctx->data, *data_end = ctx->data_end;
	struct tcphdr *th = data + (at->l4 & 0x7f);
	void *iph = data + (at->l3 & 0x1f);
	long ok = -1;

	if ((void *)(th + 1) > data_end)
		return sl_to_kernel(ctx, d, SLUICE_REASON_UNSUPPORTED);
	if (p->key.family == 4) {
		if (iph + sizeof(struct iphdr) <= data_end)
			ok = bpf_tcp_raw_check_syncookie_ipv4(iph, th);
	} else if (iph + sizeof(struct ipv6hdr) <= data_end) {
		ok = bpf_tcp_raw_check_syncookie_ipv6(iph, th);
	}
	if (ok)
		return sl_sp_drop(ctx, d, SLUICE_REASON_COOKIE_INVALID);
	d->action = SLUICE_ACT_PASS;
	d->reason = SLUICE_REASON_COOKIE_VALID;
	return sl_ret_pass(ctx);
}

static __always_inline int sl_sp_run(const struct sl_ctx *ctx,
				     const struct sl_pkt *p,
				     struct sl_decision *d, int shortcut)
{
	struct bpf_sock_tuple *t;
	struct sl_tcp_at at;
	struct bpf_sock *sk;
	__u8 flags = p->key.tcp_flags;
	__u32 tlen, zero = 0;
	bool syn;

	if (!(p->has & SLUICE_HAS_TCP) ||
	    sl_sp_locate(ctx->data, ctx->data_end, p->key.family, &at))
		return sl_to_kernel(ctx, d, SLUICE_REASON_UNSUPPORTED);
	syn = sl_sp_syn_only(flags);
	/* Neither a SYN nor a possible first ACK: none of our business. */
	if (!syn &&
	    (flags & (SL_TCP_SYN | SL_TCP_RST | SL_TCP_ACK)) != SL_TCP_ACK)
		return sl_sp_pass(ctx, d);
	if (syn && shortcut)
		return sl_sp_synack(ctx, p, d, &at, NULL);

	t = bpf_map_lookup_elem(&sl_sp_tuple, &zero);
	if (!t)
		return sl_to_kernel(ctx, d, SLUICE_REASON_UNSUPPORTED);
	if (p->key.family == 4) {
		__builtin_memcpy(&t->ipv4.saddr, p->key.src, 4);
		__builtin_memcpy(&t->ipv4.daddr, p->key.dst, 4);
		t->ipv4.sport = bpf_htons(p->key.sport);
		t->ipv4.dport = bpf_htons(p->key.dport);
		tlen = sizeof(t->ipv4);
	} else {
		__builtin_memcpy(t->ipv6.saddr, p->key.src, 16);
		__builtin_memcpy(t->ipv6.daddr, p->key.dst, 16);
		t->ipv6.sport = bpf_htons(p->key.sport);
		t->ipv6.dport = bpf_htons(p->key.dport);
		tlen = sizeof(t->ipv6);
	}
	sk = bpf_skc_lookup_tcp(ctx->raw, t, tlen, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return sl_to_kernel(ctx, d, SLUICE_REASON_NO_LISTENER);
	if (sk->state != BPF_TCP_LISTEN) {
		/* Established, or the kernel's own handshake: its packet. */
		bpf_sk_release(sk);
		return sl_sp_pass(ctx, d);
	}
	if (syn)
		return sl_sp_synack(ctx, p, d, &at, sk);
	bpf_sk_release(sk);
	return sl_sp_cookie_ack(ctx, p, d, &at);
}

/*
 * One global function per hook: verified once, apart from the states of
 * the pipeline, and with a stack frame of its own.
 */
__noinline int sl_synproxy_xdp(struct xdp_md *xdp, const struct sl_pkt *p,
			       struct sl_decision *d, int shortcut)
{
	struct sl_ctx ctx;

	if (!p || !d)
		return XDP_PASS;
	sl_ctx_from_xdp(&ctx, xdp);
	return sl_sp_run(&ctx, p, d, shortcut);
}

__noinline int sl_synproxy_tc(struct __sk_buff *skb, const struct sl_pkt *p,
			      struct sl_decision *d, int shortcut)
{
	struct sl_ctx ctx;

	if (!p || !d)
		return SL_TC_ACT_OK;
	sl_ctx_from_skb(&ctx, skb);
	return sl_sp_run(&ctx, p, d, shortcut);
}

static __always_inline int sl_synproxy(const struct sl_ctx *ctx,
				       const struct sl_pkt *p,
				       struct sl_decision *d)
{
	int shortcut = sl_sp_shortcut(p), ret;

	if (ctx->hook == SLUICE_HOOK_XDP)
		ret = sl_synproxy_xdp(ctx->raw, p, d, shortcut);
	else
		ret = sl_synproxy_tc(ctx->raw, p, d, shortcut);
	/* A lookup found the listener, and the cookie marked it. */
	if (!shortcut && d->reason == SLUICE_REASON_SYNCOOKIE_SENT)
		sl_sp_found(p);
	return ret;
}

#endif /* __SLUICE_SYNPROXY_H */
