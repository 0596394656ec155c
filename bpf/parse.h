/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Parse: Ethernet, up to two VLAN tags, IPv4 with options, IPv6 with
 * hop-by-hop, routing, destination-options and fragment headers, then
 * TCP, UDP, ICMP or ICMPv6.  The result is a classifier key, the set of
 * fields the packet really has, and the reason the packet gets when no
 * rule decides it.  Every length is checked against both the frame and
 * what the headers themselves claim.
 */
#ifndef __SLUICE_PARSE_H
#define __SLUICE_PARSE_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

#include "ctx.h"

#define SL_ETH_P_IP 0x0800
#define SL_ETH_P_IPV6 0x86dd
#define SL_ETH_P_8021Q 0x8100
#define SL_ETH_P_8021AD 0x88a8

#define SL_IPPROTO_HOPOPTS 0
#define SL_IPPROTO_ICMP 1
#define SL_IPPROTO_TCP 6
#define SL_IPPROTO_UDP 17
#define SL_IPPROTO_ROUTING 43
#define SL_IPPROTO_FRAGMENT 44
#define SL_IPPROTO_ICMPV6 58
#define SL_IPPROTO_DSTOPTS 60

#define SL_IP_DF 0x4000
#define SL_IP_MF 0x2000
#define SL_IP_OFFSET 0x1fff

struct sl_pkt {
	union {
		struct sluice_key key;
		__u64 words[SLUICE_KEY_WORDS];
	};
	__u16 has; /* enum sluice_has */
	__u16 reason; /* what no matching rule leaves: enum sluice_reason */
	/*
	 * RFC 8955's packet length, with SLUICE_HAS_LEN: the IP header on,
	 * as the header says (IPv6: the payload length plus 40).  Outside
	 * the key, which has no room left: rules compare it as a range.
	 */
	__u32 len;
};

/*
 * Headers are read where they lie.  A frame larger than a page arrives in
 * pieces: on XDP a multi-buffer frame (a linear part and page fragments,
 * BPF_F_XDP_HAS_FRAGS), on tc an skb with paged data.  Direct access sees
 * only the linear part, so every length check is against the whole frame
 * (ctx->len), and each header is taken in place when the linear part holds
 * it, else copied out with bpf_xdp_load_bytes() or bpf_skb_load_bytes()
 * into a small buffer, as the kernel's skb_header_pointer() does.  The copy
 * costs a helper call per header, and is taken only by frames whose linear
 * part ends inside their headers; a header split nowhere else reads as
 * before.  One header is looked at a time, so one buffer serves them all.
 */

/* The largest header read at once: IPv6's. */
#define SL_HDR_BUF 40
/*
 * No header we walk starts further in (eight extension headers of at most
 * 2,048 bytes each): the bound lets the verifier add an offset to a packet
 * pointer.
 */
#define SL_HDR_OFF_MAX 0x7fff

/* Where the parse is in the frame, and what the L3 header says remains. */
struct sl_cursor {
	const struct sl_ctx *ctx;
	void *buf; /* SL_HDR_BUF bytes, for a header outside the linear part */
	__u32 off; /* the next header's offset from the frame's first byte */
	__u32 wire; /* the frame's whole length */
	__u32 left;
};

/* Bytes of the frame from off on, in the linear part or not. */
static __always_inline __u32 sl_cursor_avail(const struct sl_cursor *c,
					     __u32 off)
{
	return off < c->wire ? c->wire - off : 0;
}

/* n bytes at off, in place or copied into c->buf; NULL past the frame. */
static __always_inline const void *sl_hdr(const struct sl_cursor *c, __u32 off,
					  __u32 n)
{
	const struct sl_ctx *ctx = c->ctx;
	const __u8 *h;

	if (off > SL_HDR_OFF_MAX || off + n > c->wire)
		return NULL;
	h = (const __u8 *)ctx->data + off;
	if ((const void *)(h + n) <= ctx->data_end)
		return h;
	if (ctx->hook == SLUICE_HOOK_XDP) {
		if (bpf_xdp_load_bytes(ctx->raw, off, c->buf, n))
			return NULL;
	} else if (bpf_skb_load_bytes(ctx->raw, off, c->buf, n)) {
		return NULL;
	}
	return c->buf;
}

static __always_inline bool sl_is_vlan(__u16 proto_be)
{
	return proto_be == bpf_htons(SL_ETH_P_8021Q) ||
	       proto_be == bpf_htons(SL_ETH_P_8021AD);
}

/*
 * The key's fields from a header already checked and in reach: the
 * parser's, and forward's fast path's (fastfwd.h), which must make the
 * same key to find the flow cache's verdict.
 */

/* RFC 8955's fragment bits from an offset and a more-fragments flag. */
static __always_inline __u8 sl_frag_bits(bool offset, bool more)
{
	if (offset)
		return SLUICE_FRAG_IS | (more ? 0 : SLUICE_FRAG_LAST);
	return more ? SLUICE_FRAG_FIRST : 0;
}

/* tot: the datagram's length, as the header says and the frame holds. */
static __always_inline void sl_key_ipv4(struct sl_pkt *p,
					const struct iphdr *iph, __u32 tot)
{
	__u16 frag = bpf_ntohs(iph->frag_off);

	p->key.family = 4;
	p->key.proto = iph->protocol;
	p->key.dscp = iph->tos >> 2;
	__builtin_memcpy(p->key.src, &iph->saddr, 4);
	__builtin_memcpy(p->key.dst, &iph->daddr, 4);
	p->len = tot;
	p->has |= SLUICE_HAS_IP | SLUICE_HAS_LEN;
	p->key.frag = sl_frag_bits(frag & SL_IP_OFFSET, frag & SL_IP_MF) |
		      (frag & SL_IP_DF ? SLUICE_FRAG_DF : 0);
}

/* All but the protocol, which follows the extension headers. */
static __always_inline void sl_key_ipv6(struct sl_pkt *p,
					const struct ipv6hdr *ip6, __u32 plen)
{
	p->key.family = 6;
	/* The traffic class straddles the first two bytes. */
	p->key.dscp = (((const __u8 *)ip6)[0] & 0x0f) << 2 |
		      ((const __u8 *)ip6)[1] >> 6;
	__builtin_memcpy(p->key.src, &ip6->saddr, 16);
	__builtin_memcpy(p->key.dst, &ip6->daddr, 16);
	p->len = plen + sizeof(*ip6);
	p->has |= SLUICE_HAS_IP | SLUICE_HAS_LEN;
}

static __always_inline void sl_key_tcp(struct sl_pkt *p,
				       const struct tcphdr *th)
{
	p->key.sport = bpf_ntohs(th->source);
	p->key.dport = bpf_ntohs(th->dest);
	/* Byte 13 of the header: CWR ECE URG ACK PSH RST SYN FIN. */
	p->key.tcp_flags = ((const __u8 *)th)[13];
	p->has |= SLUICE_HAS_PORTS | SLUICE_HAS_TCP;
}

static __always_inline void sl_key_udp(struct sl_pkt *p,
				       const struct udphdr *uh)
{
	p->key.sport = bpf_ntohs(uh->source);
	p->key.dport = bpf_ntohs(uh->dest);
	p->has |= SLUICE_HAS_PORTS;
}

/* ICMP is an IPv4 protocol, ICMPv6 an IPv6 one. */
static __always_inline bool sl_key_icmp_own(const struct sl_pkt *p)
{
	return (p->key.proto == SL_IPPROTO_ICMP) == (p->key.family == 4);
}

static __always_inline void sl_key_icmp(struct sl_pkt *p, const __u8 *ih)
{
	p->key.icmp_type = ih[0];
	p->key.icmp_code = ih[1];
	p->has |= SLUICE_HAS_ICMP;
}

static __always_inline int sl_parse_l4(struct sl_cursor *c, struct sl_pkt *p)
{
	switch (p->key.proto) {
	case SL_IPPROTO_TCP: {
		const struct tcphdr *th;

		if (c->left < sizeof(*th))
			goto truncated;
		th = sl_hdr(c, c->off, sizeof(*th));
		if (!th || th->doff < 5 || th->doff * 4U > c->left)
			goto truncated;
		sl_key_tcp(p, th);
		return 0;
	}
	case SL_IPPROTO_UDP: {
		const struct udphdr *uh;

		if (c->left < sizeof(*uh))
			goto truncated;
		uh = sl_hdr(c, c->off, sizeof(*uh));
		if (!uh)
			goto truncated;
		sl_key_udp(p, uh);
		return 0;
	}
	case SL_IPPROTO_ICMP:
	case SL_IPPROTO_ICMPV6: {
		const __u8 *ih;

		if (!sl_key_icmp_own(p))
			return 0;
		if (c->left < 8)
			goto truncated;
		ih = sl_hdr(c, c->off, 8);
		if (!ih)
			goto truncated;
		sl_key_icmp(p, ih);
		return 0;
	}
	default:
		return 0;
	}
truncated:
	p->reason = SLUICE_REASON_TRUNCATED;
	return 0;
}

static __always_inline int sl_parse_ipv4(struct sl_cursor *c, struct sl_pkt *p)
{
	const struct iphdr *iph = sl_hdr(c, c->off, sizeof(*iph));
	__u32 ihl, tot, avail;

	if (!iph)
		return -1;
	if (iph->version != 4)
		return -1;
	ihl = iph->ihl * 4;
	tot = bpf_ntohs(iph->tot_len);
	avail = sl_cursor_avail(c, c->off);
	if (ihl < sizeof(*iph) || tot < ihl || tot > avail)
		return -1;

	sl_key_ipv4(p, iph, tot);
	if (iph->frag_off & bpf_htons(SL_IP_OFFSET)) {
		/* A later fragment: the transport header is elsewhere. */
		p->reason = SLUICE_REASON_FRAGMENT;
		return 0;
	}
	c->off += ihl;
	c->left = tot - ihl;
	return sl_parse_l4(c, p);
}

static __always_inline int sl_parse_ipv6(struct sl_cursor *c, struct sl_pkt *p)
{
	const struct ipv6hdr *ip6 = sl_hdr(c, c->off, sizeof(*ip6));
	__u32 plen, avail, len;
	__u16 fo;
	__u8 nexthdr;
	int i;

	if (!ip6)
		return -1;
	if (ip6->version != 6)
		return -1;
	plen = bpf_ntohs(ip6->payload_len);
	avail = sl_cursor_avail(c, c->off + sizeof(*ip6));
	if (plen > avail)
		return -1;

	sl_key_ipv6(p, ip6, plen);
	nexthdr = ip6->nexthdr;
	c->off += sizeof(*ip6);
	c->left = plen;

	for (i = 0; i < SLUICE_MAX_EXTHDRS; i++) {
		const __u8 *h;

		switch (nexthdr) {
		case SL_IPPROTO_HOPOPTS:
		case SL_IPPROTO_ROUTING:
		case SL_IPPROTO_DSTOPTS:
			if (c->left < 8)
				return -1;
			h = sl_hdr(c, c->off, 8);
			if (!h)
				return -1;
			len = (h[1] + 1) * 8;
			if (len > c->left)
				return -1;
			nexthdr = h[0];
			c->off += len;
			c->left -= len;
			break;
		case SL_IPPROTO_FRAGMENT: {
			const struct frag_hdr *fh;

			if (c->left < sizeof(*fh))
				return -1;
			fh = sl_hdr(c, c->off, sizeof(*fh));
			if (!fh)
				return -1;
			nexthdr = fh->nexthdr;
			c->off += sizeof(*fh);
			c->left -= sizeof(*fh);
			fo = bpf_ntohs(fh->frag_off);
			p->key.frag = sl_frag_bits(fo & ~7, fo & 1);
			if (fo & ~7) {
				p->key.proto = nexthdr;
				p->reason = SLUICE_REASON_FRAGMENT;
				return 0;
			}
			break;
		}
		default:
			p->key.proto = nexthdr;
			return sl_parse_l4(c, p);
		}
	}
	switch (nexthdr) {
	case SL_IPPROTO_HOPOPTS:
	case SL_IPPROTO_ROUTING:
	case SL_IPPROTO_DSTOPTS:
	case SL_IPPROTO_FRAGMENT:
		break;
	default:
		/* The transport right after the last header we walk. */
		p->key.proto = nexthdr;
		return sl_parse_l4(c, p);
	}
	/* Still inside the extension headers: further than we look. */
	p->has &= ~(SLUICE_HAS_IP | SLUICE_HAS_LEN);
	p->reason = SLUICE_REASON_PARSE_LIMIT;
	return 0;
}

/*
 * Fill p from the frame.  The outcome is in p->has and p->reason:
 * malformed, not IP and past-the-limits packets have no SLUICE_HAS_IP.
 */
static __always_inline void sl_parse(const struct sl_ctx *ctx, struct sl_pkt *p)
{
	__u64 buf[SL_HDR_BUF / 8];
	struct sl_cursor c = { .ctx = ctx, .buf = buf, .wire = ctx->len };
	const struct ethhdr *eth = sl_hdr(&c, 0, sizeof(*eth));
	__u16 proto;
	int depth = 0, i;

	p->reason = SLUICE_REASON_POLICY;
	if (!eth) {
		p->reason = SLUICE_REASON_MALFORMED;
		return;
	}
	proto = eth->h_proto;
	c.off = sizeof(*eth);

	if (ctx->has_meta_vlan) {
		p->key.vlan = ctx->meta_vlan;
		p->has |= SLUICE_HAS_VLAN;
		depth = 1;
	}
	for (i = 0; i < SLUICE_MAX_VLAN_DEPTH; i++) {
		const struct vlan_hdr *vh;

		if (!sl_is_vlan(proto) || depth >= SLUICE_MAX_VLAN_DEPTH)
			break;
		vh = sl_hdr(&c, c.off, sizeof(*vh));
		if (!vh) {
			p->reason = SLUICE_REASON_MALFORMED;
			return;
		}
		if (!depth) {
			p->key.vlan = bpf_ntohs(vh->h_vlan_TCI) & 0x0fff;
			p->has |= SLUICE_HAS_VLAN;
		}
		depth++;
		proto = vh->h_vlan_encapsulated_proto;
		c.off += sizeof(*vh);
	}
	if (sl_is_vlan(proto)) {
		p->reason = SLUICE_REASON_PARSE_LIMIT;
		return;
	}

	if (proto == bpf_htons(SL_ETH_P_IP)) {
		if (sl_parse_ipv4(&c, p) < 0)
			goto malformed;
	} else if (proto == bpf_htons(SL_ETH_P_IPV6)) {
		if (sl_parse_ipv6(&c, p) < 0)
			goto malformed;
	} else {
		p->reason = SLUICE_REASON_NOT_IP;
	}
	return;

malformed:
	/* Nothing past Ethernet can be trusted: keep only L2 fields. */
	p->has &= SLUICE_HAS_VLAN;
	p->key.family = 0;
	p->key.proto = 0;
	p->key.dscp = 0;
	p->key.frag = 0;
	p->len = 0;
	__builtin_memset(p->key.src, 0, sizeof(p->key.src));
	__builtin_memset(p->key.dst, 0, sizeof(p->key.dst));
	p->key.sport = 0;
	p->key.dport = 0;
	p->key.tcp_flags = 0;
	p->key.icmp_type = 0;
	p->key.icmp_code = 0;
	p->reason = SLUICE_REASON_MALFORMED;
}

#endif /* __SLUICE_PARSE_H */
