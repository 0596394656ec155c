/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pktbuild: build Ethernet frames as byte buffers, for the selftests
 * (through selftests/lib/pkt.h, which adds diagnostics) and for
 * "sluice test-run --packet".
 *
 * A struct pkt is a fixed buffer and a stack of layers.  Each call appends
 * one header at the end; pkt_finish() then fills every length field and
 * every checksum, innermost first, from what is in the buffer:
 *
 *	struct pkt p;
 *
 *	pkt_init(&p);
 *	pkt_eth(&p, NULL, NULL);
 *	pkt_vlan(&p, PKT_TPID_8021Q, 100);
 *	pkt_ipv4(&p, "10.0.0.1", "10.0.0.2", IPPROTO_TCP);
 *	pkt_tcp(&p, 1234, 80, PKT_SYN);
 *	pkt_payload(&p, NULL, 32);
 *	assert_int_equal(pkt_finish(&p), 0);
 *
 * The rules:
 *  - The ethertype of Ethernet and of each VLAN tag is filled by the layer
 *    that follows (or pkt_ethertype() for anything else).  Protocol and
 *    next-header fields are what the caller passes, never guessed; when a
 *    header built here follows a field that does not name it, pkt_finish()
 *    fails with -EPROTO, so a slip in a test table shows up at once.  To
 *    build such a mismatch on purpose, change the field after pkt_finish().
 *  - Builder calls record their first error (negative errno) in p->err,
 *    its text in p->errmsg (and, unless p->quiet, as a "# pkt:" line on
 *    stderr), and do nothing after it; pkt_finish() returns it.  So a test
 *    checks one return value.
 *  - pkt_finish() may be called again and recomputes everything.  To send a
 *    broken packet, change it after pkt_finish(): the offsets below say
 *    where each layer starts (-1 when absent), pkt_l3()/pkt_l4() give
 *    pointers, pkt_truncate() cuts the frame.  Offsets are not updated by
 *    pkt_truncate().
 *  - Lengths and checksums cover everything from the header to the end of
 *    the frame except a trailer (pkt_trailer(), e.g. Ethernet padding).
 *    A fragment is summed as if it were the whole datagram.
 *  - Layers may repeat (tunnels): each length and checksum uses the nearest
 *    IP header before it.  For an ICMP error, build the quoted packet in a
 *    second struct pkt and add it with pkt_payload().
 *  - The IPv6 upper-layer pseudo header uses the final destination: with a
 *    type 0 or 2 routing header whose segments left is non-zero, its last
 *    address; with a segment routing header (type 4), segment list[0];
 *    otherwise (segments left 0: the packet is there) the IPv6 destination.
 *    That is RFC 8200 8.1 and what scapy computes; tcpdump -v ignores
 *    segments left and reports the segments-left-0 case as a bad sum.
 */
#ifndef __SLUICE_PKTBUILD_H
#define __SLUICE_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The largest IPv4 datagram fits whole, jumbo frames with room to spare;
 * the layer offsets below are 16 bits. */
#define PKT_MAX 65535
#define PKT_MAX_LAYERS 24

#define PKT_TPID_8021Q 0x8100
#define PKT_TPID_8021AD 0x88a8

/* TCP flags, as in the flags byte of the header. */
#define PKT_FIN 0x01
#define PKT_SYN 0x02
#define PKT_RST 0x04
#define PKT_PSH 0x08
#define PKT_ACK 0x10
#define PKT_URG 0x20
#define PKT_ECE 0x40
#define PKT_CWR 0x80

enum pkt_layer_type {
	PKT_ETH = 1,
	PKT_VLAN,
	PKT_IPV4,
	PKT_IPV6,
	PKT_IPV6_HBH,
	PKT_IPV6_RT,
	PKT_IPV6_DST,
	PKT_IPV6_FRAG,
	PKT_TCP,
	PKT_UDP,
	PKT_ICMP,
	PKT_ICMP6,
	PKT_PAYLOAD,
	PKT_TRAILER,
};

struct pkt_layer {
	enum pkt_layer_type type;
	uint16_t off; /* where the header starts in buf */
	uint16_t len; /* header length, options included */
};

struct pkt {
	uint8_t buf[PKT_MAX];
	size_t len; /* frame length */
	int err; /* first builder error, negative errno */
	char errmsg[128]; /* what it was, without the errno text */
	bool quiet; /* set after pkt_init(): no line on stderr */
	/* Where the first header of each kind starts; -1 when absent. */
	int l2_off; /* Ethernet */
	int vlan_off; /* outermost VLAN tag (TPID at vlan_off - 2) */
	int l3_off; /* IPv4 or IPv6 header */
	int l4_off; /* TCP, UDP, ICMP or ICMPv6 header */
	int payload_off; /* pkt_payload() bytes */
	unsigned int nvlan; /* VLAN tags */
	size_t trailer_len; /* bytes no length or checksum covers */
	int type_off; /* ethertype the next layer fills, or -1 */
	unsigned int nlayers;
	struct pkt_layer layers[PKT_MAX_LAYERS];
};

void pkt_init(struct pkt *p);

/* L2.  MACs as "02:00:00:00:00:01"; NULL picks 02:00:00:00:00:02 (dst)
 * and 02:00:00:00:00:01 (src). */
int pkt_eth(struct pkt *p, const char *dst_mac, const char *src_mac);
/* tci: VID in the low 12 bits, PCP and DEI above it if wanted. */
int pkt_vlan(struct pkt *p, uint16_t tpid, uint16_t tci);
/* Fill the pending ethertype with anything (ARP, ...). */
int pkt_ethertype(struct pkt *p, uint16_t type);

/* IPv4: TTL 64, id 0, no flags.  The setters change the last IPv4 header;
 * pkt_ipv4_opts() must follow pkt_ipv4() directly and pads with zero (EOL)
 * bytes to 4; at most 40 bytes. */
int pkt_ipv4(struct pkt *p, const char *src, const char *dst, uint8_t proto);
int pkt_ipv4_opts(struct pkt *p, const void *opts, size_t n);
int pkt_ipv4_ttl(struct pkt *p, uint8_t ttl);
int pkt_ipv4_id(struct pkt *p, uint16_t id);
int pkt_ipv4_df(struct pkt *p, bool df);
/* Fragment offset in 8-byte units, and the MF flag. */
int pkt_ipv4_frag(struct pkt *p, uint16_t offset8, bool more);

/* IPv6: hop limit 64, traffic class and flow label 0. */
int pkt_ipv6(struct pkt *p, const char *src, const char *dst, uint8_t nexthdr);
int pkt_ipv6_hlim(struct pkt *p, uint8_t hlim);
/*
 * Extension headers.  len8 is the Hdr Ext Len field: the header takes
 * (len8 + 1) * 8 bytes.  Options headers are filled with padding that
 * Linux accepts (PadN up to 7 bytes, else an experimental 0x1e option the
 * stack skips); a routing header from pkt_ipv6_rthdr() has zero data
 * after its first four bytes.
 */
int pkt_ipv6_hbh(struct pkt *p, uint8_t nexthdr, uint8_t len8);
int pkt_ipv6_dstopts(struct pkt *p, uint8_t nexthdr, uint8_t len8);
int pkt_ipv6_rthdr(struct pkt *p, uint8_t nexthdr, uint8_t type,
		   uint8_t segleft, uint8_t len8);
/* A routing header holding n addresses (len8 = 2 * n).  Type 4 (SRH) gets
 * Last Entry = n - 1; other types four zero bytes before the addresses. */
int pkt_ipv6_rthdr_addrs(struct pkt *p, uint8_t nexthdr, uint8_t type,
			 uint8_t segleft, const char *const *addrs,
			 unsigned int n);
int pkt_ipv6_frag(struct pkt *p, uint8_t nexthdr, uint16_t offset8, bool more,
		  uint32_t id);

/* L4.  TCP: seq 1, ack 1 if PKT_ACK else 0, window 65535.  ICMP and
 * ICMPv6 headers are 8 bytes: type, code, checksum and four zero bytes
 * (id and sequence of an echo; set them through pkt_l4()). */
int pkt_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags);
/* Must follow pkt_tcp() directly; pads with zero (EOL) bytes to 4. */
int pkt_tcp_opts(struct pkt *p, const void *opts, size_t n);
int pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport);
int pkt_icmp(struct pkt *p, uint8_t type, uint8_t code);
int pkt_icmp6(struct pkt *p, uint8_t type, uint8_t code);

/* n bytes; NULL fills 0x00, 0x01, ... 0xff, 0x00, ... */
int pkt_payload(struct pkt *p, const void *data, size_t n);
/* n bytes after the packet that no length or checksum covers (NULL: zero
 * bytes); nothing may follow. */
int pkt_trailer(struct pkt *p, const void *data, size_t n);

/* Fill lengths and checksums.  0 or the first error. */
int pkt_finish(struct pkt *p);

/* Cut the frame to len bytes (no-op when longer). */
void pkt_truncate(struct pkt *p, size_t len);

/* Pointers into buf, NULL when there is no such layer. */
void *pkt_l2(struct pkt *p);
void *pkt_l3(struct pkt *p);
void *pkt_l4(struct pkt *p);
/* Offset of the nth (0-based) layer of a type, -1 when absent. */
int pkt_off(const struct pkt *p, enum pkt_layer_type type, unsigned int nth);
const char *pkt_layer_name(enum pkt_layer_type type);

/* RFC 1071 Internet checksum of a buffer (0 over a correct header). */
uint16_t pkt_csum(const void *data, size_t len);

#endif /* __SLUICE_PKTBUILD_H */
