/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pktbuild: build frames as byte buffers.  See pktbuild.h for the rules.
 *
 * Headers are written byte by byte in network order, so this file needs
 * no protocol header from libc or the kernel and the files that include
 * pktbuild.h may use either.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "pktbuild.h"

#define PROTO_HOPOPTS 0
#define PROTO_ICMP 1
#define PROTO_IPIP 4
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_IPV6 41
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_ICMPV6 58
#define PROTO_DSTOPTS 60

#define IPV4_HLEN 20
#define IPV6_HLEN 40
#define TCP_HLEN 20

static const char *const layer_names[] = {
	[PKT_ETH] = "eth",	    [PKT_VLAN] = "vlan",
	[PKT_IPV4] = "ipv4",	    [PKT_IPV6] = "ipv6",
	[PKT_IPV6_HBH] = "hbh",	    [PKT_IPV6_RT] = "rthdr",
	[PKT_IPV6_DST] = "dstopts", [PKT_IPV6_FRAG] = "frag",
	[PKT_TCP] = "tcp",	    [PKT_UDP] = "udp",
	[PKT_ICMP] = "icmp",	    [PKT_ICMP6] = "icmp6",
	[PKT_PAYLOAD] = "payload",  [PKT_TRAILER] = "trailer",
};

const char *pkt_layer_name(enum pkt_layer_type type)
{
	if ((unsigned int)type < sizeof(layer_names) / sizeof(layer_names[0]) &&
	    layer_names[type])
		return layer_names[type];
	return "?";
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v;
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* Record the first error, say what it was, and return it. */
static int __attribute__((format(printf, 3, 4)))
fail(struct pkt *p, int err, const char *fmt, ...)
{
	va_list ap;

	if (!p->err) {
		p->err = err;
		va_start(ap, fmt);
		sl_verr(p->errmsg, sizeof(p->errmsg), fmt, ap);
		va_end(ap);
		if (!p->quiet)
			fprintf(stderr, "# pkt: %s (%s)\n", p->errmsg,
				strerror(-err));
	}
	return err;
}

void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->l2_off = -1;
	p->vlan_off = -1;
	p->l3_off = -1;
	p->l4_off = -1;
	p->payload_off = -1;
	p->type_off = -1;
}

/* Append a zeroed header of n bytes as a new layer. */
static uint8_t *push(struct pkt *p, enum pkt_layer_type type, size_t n)
{
	const char *name = pkt_layer_name(type);
	struct pkt_layer *l;
	int off = (int)p->len;

	if (p->err)
		return NULL;
	if (p->trailer_len && type != PKT_TRAILER) {
		fail(p, -EINVAL, "%s after the trailer", name);
		return NULL;
	}
	if (p->nlayers == PKT_MAX_LAYERS) {
		fail(p, -ENOSPC, "%s: more than %d layers", name,
		     PKT_MAX_LAYERS);
		return NULL;
	}
	if (n > PKT_MAX - p->len) {
		fail(p, -ENOSPC, "%s: %zu bytes do not fit after %zu", name, n,
		     p->len);
		return NULL;
	}
	l = &p->layers[p->nlayers++];
	l->type = type;
	l->off = off;
	l->len = n;
	memset(p->buf + off, 0, n);
	p->len += n;

	switch (type) {
	case PKT_ETH:
		if (p->l2_off < 0)
			p->l2_off = off;
		break;
	case PKT_VLAN:
		if (p->vlan_off < 0)
			p->vlan_off = off;
		p->nvlan++;
		break;
	case PKT_IPV4:
	case PKT_IPV6:
		if (p->l3_off < 0)
			p->l3_off = off;
		break;
	case PKT_TCP:
	case PKT_UDP:
	case PKT_ICMP:
	case PKT_ICMP6:
		if (p->l4_off < 0)
			p->l4_off = off;
		break;
	case PKT_PAYLOAD:
		if (p->payload_off < 0)
			p->payload_off = off;
		break;
	default:
		break;
	}
	return p->buf + off;
}

/* The layer just pushed, if it has this type. */
static struct pkt_layer *top(struct pkt *p, enum pkt_layer_type type)
{
	struct pkt_layer *l;

	if (!p->nlayers)
		return NULL;
	l = &p->layers[p->nlayers - 1];
	return l->type == type ? l : NULL;
}

static uint8_t *last(struct pkt *p, enum pkt_layer_type type, const char *fn)
{
	unsigned int i;

	if (p->err)
		return NULL;
	for (i = p->nlayers; i-- > 0;)
		if (p->layers[i].type == type)
			return p->buf + p->layers[i].off;
	fail(p, -EINVAL, "%s: no %s header", fn, pkt_layer_name(type));
	return NULL;
}

/* An L3 header fills the ethertype left open by Ethernet or VLAN. */
static void fill_type(struct pkt *p, uint16_t type)
{
	if (p->type_off >= 0)
		put16(p->buf + p->type_off, type);
	p->type_off = -1;
}

static int parse_mac(const char *s, const uint8_t *dflt, uint8_t *mac)
{
	unsigned int v[6];
	int i, n = -1;

	if (!s) {
		memcpy(mac, dflt, 6);
		return 0;
	}
	if (sscanf(s, "%x:%x:%x:%x:%x:%x%n", &v[0], &v[1], &v[2], &v[3], &v[4],
		   &v[5], &n) != 6 ||
	    n < 0 || s[n])
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (v[i] > 0xff)
			return -EINVAL;
		mac[i] = v[i];
	}
	return 0;
}

int pkt_eth(struct pkt *p, const char *dst_mac, const char *src_mac)
{
	static const uint8_t dflt_dst[6] = { 2, 0, 0, 0, 0, 2 };
	static const uint8_t dflt_src[6] = { 2, 0, 0, 0, 0, 1 };
	uint8_t dst[6], src[6];
	uint8_t *h;

	if (p->err)
		return p->err;
	if (parse_mac(dst_mac, dflt_dst, dst))
		return fail(p, -EINVAL, "pkt_eth: bad MAC '%s'", dst_mac);
	if (parse_mac(src_mac, dflt_src, src))
		return fail(p, -EINVAL, "pkt_eth: bad MAC '%s'", src_mac);
	h = push(p, PKT_ETH, 14);
	if (!h)
		return p->err;
	memcpy(h, dst, 6);
	memcpy(h + 6, src, 6);
	p->type_off = h + 12 - p->buf;
	return 0;
}

int pkt_vlan(struct pkt *p, uint16_t tpid, uint16_t tci)
{
	uint8_t *h;

	if (p->err)
		return p->err;
	if (p->type_off < 0)
		return fail(p, -EINVAL,
			    "pkt_vlan: no Ethernet header to follow");
	/* The tag is TCI and the inner ethertype; the TPID is the field before. */
	h = push(p, PKT_VLAN, 4);
	if (!h)
		return p->err;
	fill_type(p, tpid);
	put16(h, tci);
	p->type_off = h + 2 - p->buf;
	return 0;
}

int pkt_ethertype(struct pkt *p, uint16_t type)
{
	if (p->err)
		return p->err;
	if (p->type_off < 0)
		return fail(p, -EINVAL, "pkt_ethertype: no ethertype to fill");
	fill_type(p, type);
	return 0;
}

int pkt_ipv4(struct pkt *p, const char *src, const char *dst, uint8_t proto)
{
	struct in_addr s, d;
	uint8_t *h;

	if (p->err)
		return p->err;
	if (inet_pton(AF_INET, src, &s) != 1)
		return fail(p, -EINVAL, "pkt_ipv4: bad address '%s'", src);
	if (inet_pton(AF_INET, dst, &d) != 1)
		return fail(p, -EINVAL, "pkt_ipv4: bad address '%s'", dst);
	h = push(p, PKT_IPV4, IPV4_HLEN);
	if (!h)
		return p->err;
	fill_type(p, 0x0800);
	h[0] = 0x45;
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, &s, 4);
	memcpy(h + 16, &d, 4);
	return 0;
}

/* Options right after a header of fixed length base, padded to 4. */
static int add_opts(struct pkt *p, enum pkt_layer_type type, unsigned int base,
		    const void *opts, size_t n, const char *fn)
{
	struct pkt_layer *l = top(p, type);
	size_t padded = (n + 3) & ~(size_t)3;
	uint8_t *o;

	if (p->err)
		return p->err;
	if (!l || l->len != base)
		return fail(p, -EINVAL, "%s: must follow %s directly, once", fn,
			    pkt_layer_name(type));
	if (padded > 40)
		return fail(p, -EINVAL, "%s: %zu bytes of options, 40 at most",
			    fn, n);
	if (padded > PKT_MAX - p->len)
		return fail(p, -ENOSPC, "%s: %zu bytes do not fit", fn, padded);
	o = p->buf + p->len;
	memset(o, 0, padded);
	if (n)
		memcpy(o, opts, n);
	p->len += padded;
	l->len += padded;
	return 0;
}

int pkt_ipv4_opts(struct pkt *p, const void *opts, size_t n)
{
	return add_opts(p, PKT_IPV4, IPV4_HLEN, opts, n, "pkt_ipv4_opts");
}

int pkt_ipv4_ttl(struct pkt *p, uint8_t ttl)
{
	uint8_t *h = last(p, PKT_IPV4, "pkt_ipv4_ttl");

	if (!h)
		return p->err;
	h[8] = ttl;
	return 0;
}

int pkt_ipv4_id(struct pkt *p, uint16_t id)
{
	uint8_t *h = last(p, PKT_IPV4, "pkt_ipv4_id");

	if (!h)
		return p->err;
	put16(h + 4, id);
	return 0;
}

int pkt_ipv4_df(struct pkt *p, bool df)
{
	uint8_t *h = last(p, PKT_IPV4, "pkt_ipv4_df");

	if (!h)
		return p->err;
	put16(h + 6, (get16(h + 6) & ~0x4000) | (df ? 0x4000 : 0));
	return 0;
}

int pkt_ipv4_frag(struct pkt *p, uint16_t offset8, bool more)
{
	uint8_t *h = last(p, PKT_IPV4, "pkt_ipv4_frag");

	if (!h)
		return p->err;
	if (offset8 > 0x1fff)
		return fail(p, -EINVAL, "pkt_ipv4_frag: offset %u > 8191",
			    offset8);
	put16(h + 6, (get16(h + 6) & 0x4000) | (more ? 0x2000 : 0) | offset8);
	return 0;
}

int pkt_ipv6(struct pkt *p, const char *src, const char *dst, uint8_t nexthdr)
{
	struct in6_addr s, d;
	uint8_t *h;

	if (p->err)
		return p->err;
	if (inet_pton(AF_INET6, src, &s) != 1)
		return fail(p, -EINVAL, "pkt_ipv6: bad address '%s'", src);
	if (inet_pton(AF_INET6, dst, &d) != 1)
		return fail(p, -EINVAL, "pkt_ipv6: bad address '%s'", dst);
	h = push(p, PKT_IPV6, IPV6_HLEN);
	if (!h)
		return p->err;
	fill_type(p, 0x86dd);
	h[0] = 0x60;
	h[6] = nexthdr;
	h[7] = 64;
	memcpy(h + 8, &s, 16);
	memcpy(h + 24, &d, 16);
	return 0;
}

int pkt_ipv6_hlim(struct pkt *p, uint8_t hlim)
{
	uint8_t *h = last(p, PKT_IPV6, "pkt_ipv6_hlim");

	if (!h)
		return p->err;
	h[7] = hlim;
	return 0;
}

/*
 * Fill an options area.  Linux drops more than 7 bytes of padding in a
 * row (RFC 4942 2.1.9.5), so a long area holds experimental options
 * (RFC 4727: type 0x1e, action "skip") instead.
 */
static void fill_tlvs(uint8_t *o, size_t n)
{
	size_t chunk;

	if (n <= 7) {
		if (n == 1) {
			o[0] = 0; /* Pad1 */
		} else {
			o[0] = 1; /* PadN */
			o[1] = n - 2;
		}
		return;
	}
	while (n) {
		chunk = n < 257 ? n : 257;
		if (n - chunk == 1)
			chunk--;
		o[0] = 0x1e;
		o[1] = chunk - 2;
		o += chunk;
		n -= chunk;
	}
}

static int opts_hdr(struct pkt *p, enum pkt_layer_type type, uint8_t nexthdr,
		    uint8_t len8)
{
	size_t n = ((size_t)len8 + 1) * 8;
	uint8_t *h = push(p, type, n);

	if (!h)
		return p->err;
	h[0] = nexthdr;
	h[1] = len8;
	fill_tlvs(h + 2, n - 2);
	return 0;
}

int pkt_ipv6_hbh(struct pkt *p, uint8_t nexthdr, uint8_t len8)
{
	return opts_hdr(p, PKT_IPV6_HBH, nexthdr, len8);
}

int pkt_ipv6_dstopts(struct pkt *p, uint8_t nexthdr, uint8_t len8)
{
	return opts_hdr(p, PKT_IPV6_DST, nexthdr, len8);
}

int pkt_ipv6_rthdr(struct pkt *p, uint8_t nexthdr, uint8_t type,
		   uint8_t segleft, uint8_t len8)
{
	uint8_t *h = push(p, PKT_IPV6_RT, ((size_t)len8 + 1) * 8);

	if (!h)
		return p->err;
	h[0] = nexthdr;
	h[1] = len8;
	h[2] = type;
	h[3] = segleft;
	return 0;
}

int pkt_ipv6_rthdr_addrs(struct pkt *p, uint8_t nexthdr, uint8_t type,
			 uint8_t segleft, const char *const *addrs,
			 unsigned int n)
{
	struct in6_addr a[127];
	unsigned int i;
	uint8_t *h;

	if (p->err)
		return p->err;
	if (n > 127)
		return fail(p, -EINVAL,
			    "pkt_ipv6_rthdr_addrs: %u addresses, 127 at most",
			    n);
	for (i = 0; i < n; i++)
		if (inet_pton(AF_INET6, addrs[i], &a[i]) != 1)
			return fail(p, -EINVAL,
				    "pkt_ipv6_rthdr_addrs: bad address '%s'",
				    addrs[i]);
	if (pkt_ipv6_rthdr(p, nexthdr, type, segleft, 2 * n))
		return p->err;
	h = p->buf + p->layers[p->nlayers - 1].off;
	if (type == 4 && n)
		h[4] = n - 1; /* Last Entry */
	for (i = 0; i < n; i++)
		memcpy(h + 8 + 16 * i, &a[i], 16);
	return 0;
}

int pkt_ipv6_frag(struct pkt *p, uint8_t nexthdr, uint16_t offset8, bool more,
		  uint32_t id)
{
	uint8_t *h;

	if (p->err)
		return p->err;
	if (offset8 > 0x1fff)
		return fail(p, -EINVAL, "pkt_ipv6_frag: offset %u > 8191",
			    offset8);
	h = push(p, PKT_IPV6_FRAG, 8);
	if (!h)
		return p->err;
	h[0] = nexthdr;
	put16(h + 2, offset8 << 3 | (more ? 1 : 0));
	put32(h + 4, id);
	return 0;
}

int pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags)
{
	uint8_t *h = push(p, PKT_TCP, TCP_HLEN);

	if (!h)
		return p->err;
	put16(h, sport);
	put16(h + 2, dport);
	put32(h + 4, 1);
	put32(h + 8, flags & PKT_ACK ? 1 : 0);
	h[12] = (TCP_HLEN / 4) << 4;
	h[13] = flags;
	put16(h + 14, 65535);
	return 0;
}

int pkt_tcp_opts(struct pkt *p, const void *opts, size_t n)
{
	return add_opts(p, PKT_TCP, TCP_HLEN, opts, n, "pkt_tcp_opts");
}

int pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *h = push(p, PKT_UDP, 8);

	if (!h)
		return p->err;
	put16(h, sport);
	put16(h + 2, dport);
	return 0;
}

static int icmp_hdr(struct pkt *p, enum pkt_layer_type type, uint8_t t,
		    uint8_t code)
{
	uint8_t *h = push(p, type, 8);

	if (!h)
		return p->err;
	h[0] = t;
	h[1] = code;
	return 0;
}

int pkt_icmp(struct pkt *p, uint8_t type, uint8_t code)
{
	return icmp_hdr(p, PKT_ICMP, type, code);
}

int pkt_icmp6(struct pkt *p, uint8_t type, uint8_t code)
{
	return icmp_hdr(p, PKT_ICMP6, type, code);
}

int pkt_payload(struct pkt *p, const void *data, size_t n)
{
	uint8_t *h = push(p, PKT_PAYLOAD, n);
	size_t i;

	if (!h)
		return p->err;
	if (data)
		memcpy(h, data, n);
	else
		for (i = 0; i < n; i++)
			h[i] = i;
	return 0;
}

int pkt_trailer(struct pkt *p, const void *data, size_t n)
{
	uint8_t *h = push(p, PKT_TRAILER, n);

	if (!h)
		return p->err;
	if (data)
		memcpy(h, data, n);
	p->trailer_len += n;
	return 0;
}

void pkt_truncate(struct pkt *p, size_t len)
{
	if (len < p->len)
		p->len = len;
}

static void *at(struct pkt *p, int off)
{
	return off < 0 ? NULL : p->buf + off;
}

void *pkt_l2(struct pkt *p)
{
	return at(p, p->l2_off);
}

void *pkt_l3(struct pkt *p)
{
	return at(p, p->l3_off);
}

void *pkt_l4(struct pkt *p)
{
	return at(p, p->l4_off);
}

int pkt_off(const struct pkt *p, enum pkt_layer_type type, unsigned int nth)
{
	unsigned int i;

	for (i = 0; i < p->nlayers; i++)
		if (p->layers[i].type == type && nth-- == 0)
			return p->layers[i].off;
	return -1;
}

/* Checksums. */

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(b + i);
	if (len & 1)
		sum += b[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

uint16_t pkt_csum(const void *data, size_t len)
{
	return csum_fold(csum_add(0, data, len));
}

/* The protocol number that names a layer in the header before it. */
static int layer_proto(enum pkt_layer_type type)
{
	switch (type) {
	case PKT_IPV4:
		return PROTO_IPIP;
	case PKT_IPV6:
		return PROTO_IPV6;
	case PKT_IPV6_HBH:
		return PROTO_HOPOPTS;
	case PKT_IPV6_RT:
		return PROTO_ROUTING;
	case PKT_IPV6_DST:
		return PROTO_DSTOPTS;
	case PKT_IPV6_FRAG:
		return PROTO_FRAGMENT;
	case PKT_TCP:
		return PROTO_TCP;
	case PKT_UDP:
		return PROTO_UDP;
	case PKT_ICMP:
		return PROTO_ICMP;
	case PKT_ICMP6:
		return PROTO_ICMPV6;
	default:
		return -1;
	}
}

/* Where a layer names the protocol after it, or -1. */
static int nexthdr_off(const struct pkt_layer *l)
{
	switch (l->type) {
	case PKT_IPV4:
		return l->off + 9;
	case PKT_IPV6:
		return l->off + 6;
	case PKT_IPV6_HBH:
	case PKT_IPV6_RT:
	case PKT_IPV6_DST:
	case PKT_IPV6_FRAG:
		return l->off;
	default:
		return -1;
	}
}

/*
 * The upper-layer checksum of layer i (TCP, UDP, ICMPv6) over len bytes,
 * with the pseudo header of the nearest IP header before it.
 */
static int l4_csum(struct pkt *p, unsigned int i, size_t len, uint16_t *csum)
{
	const struct pkt_layer *l4 = &p->layers[i];
	const char *name = pkt_layer_name(l4->type);
	int proto = layer_proto(l4->type);
	const uint8_t *ip = NULL, *dst = NULL, *h;
	uint32_t sum = 0;
	unsigned int j;

	for (j = i; j-- > 0;) {
		if (p->layers[j].type == PKT_IPV4 ||
		    p->layers[j].type == PKT_IPV6) {
			ip = p->buf + p->layers[j].off;
			break;
		}
	}
	if (!ip)
		return fail(p, -EPROTO, "pkt_finish: %s without an IP header",
			    name);

	if (p->layers[j].type == PKT_IPV4) {
		if (l4->type == PKT_ICMP6)
			return fail(p, -EPROTO, "pkt_finish: icmp6 over ipv4");
		sum = csum_add(sum, ip + 12, 8);
	} else {
		/* The final destination: the routing header nearest L4 wins. */
		dst = ip + 24;
		for (j++; j < i; j++) {
			const struct pkt_layer *rt = &p->layers[j];

			if (rt->type != PKT_IPV6_RT)
				continue;
			h = p->buf + rt->off;
			if (!h[3])
				continue;
			if ((h[2] == 0 || h[2] == 2) && rt->len >= 24)
				dst = h + 8 + 16 * ((rt->len - 8) / 16 - 1);
			else if (h[2] == 4 && rt->len >= 24)
				dst = h + 8;
		}
		sum = csum_add(sum, ip + 8, 16);
		sum = csum_add(sum, dst, 16);
		sum += len >> 16;
	}
	sum += proto;
	sum += len & 0xffff;
	*csum = csum_fold(csum_add(sum, p->buf + l4->off, len));
	return 0;
}

int pkt_finish(struct pkt *p)
{
	size_t end = p->len - p->trailer_len;
	const struct pkt_layer *prev;
	struct pkt_layer *l;
	unsigned int i;
	uint16_t c;
	uint8_t *h;
	int nh, proto;

	if (p->err)
		return p->err;
	if (p->trailer_len > p->len)
		return fail(p, -EINVAL,
			    "pkt_finish: truncated into the trailer");

	for (i = 0; i < p->nlayers; i++) {
		l = &p->layers[i];
		if (l->type != PKT_TRAILER && l->off + l->len > end)
			return fail(
				p, -EINVAL,
				"pkt_finish: %s@%u ends past %zu (truncated?)",
				pkt_layer_name(l->type), l->off, end);
		if (!i)
			continue;
		prev = &p->layers[i - 1];
		nh = nexthdr_off(prev);
		proto = layer_proto(l->type);
		if (nh >= 0 && proto >= 0 && p->buf[nh] != proto)
			return fail(
				p, -EPROTO,
				"pkt_finish: %s@%u follows %s@%u whose next header is %u, not %d",
				pkt_layer_name(l->type), l->off,
				pkt_layer_name(prev->type), prev->off,
				p->buf[nh], proto);
	}

	/* Innermost first: an outer checksum covers the inner headers. */
	for (i = p->nlayers; i-- > 0;) {
		l = &p->layers[i];
		h = p->buf + l->off;
		switch (l->type) {
		case PKT_IPV4:
			if (end - l->off > 0xffff)
				return fail(p, -EMSGSIZE,
					    "pkt_finish: ipv4 too long");
			h[0] = 0x40 | l->len / 4;
			put16(h + 2, end - l->off);
			put16(h + 10, 0);
			put16(h + 10, pkt_csum(h, l->len));
			break;
		case PKT_IPV6:
			put16(h + 4, end - l->off - IPV6_HLEN);
			break;
		case PKT_TCP:
			h[12] = (l->len / 4) << 4 | (h[12] & 0x0f);
			put16(h + 16, 0);
			if (l4_csum(p, i, end - l->off, &c))
				return p->err;
			put16(h + 16, c);
			break;
		case PKT_UDP:
			put16(h + 4, end - l->off);
			put16(h + 6, 0);
			if (l4_csum(p, i, end - l->off, &c))
				return p->err;
			/* 0 means "no checksum"; RFC 768 sends all ones. */
			put16(h + 6, c ? c : 0xffff);
			break;
		case PKT_ICMP:
			put16(h + 2, 0);
			put16(h + 2, pkt_csum(h, end - l->off));
			break;
		case PKT_ICMP6:
			put16(h + 2, 0);
			if (l4_csum(p, i, end - l->off, &c))
				return p->err;
			put16(h + 2, c);
			break;
		default:
			break;
		}
	}
	return 0;
}
