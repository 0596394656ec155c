/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The packet builder the BPF tests stand on (selftests/lib/pkt.c), checked
 * by known answers here and by an independent decoder: every case goes
 * into a pcap (selftests/lib/pcapw.c) that selftests/lib/pktcheck.py reads
 * with scapy, which recomputes each length and checksum.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "pcapw.h"
#include "pkt.h"

#define PROTO_HOPOPTS 0
#define PROTO_ICMP 1
#define PROTO_IPIP 4
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_ICMPV6 58
#define PROTO_NONE 59
#define PROTO_DSTOPTS 60

#define SRC4 "10.0.0.1"
#define DST4 "10.0.0.2"
#define SRC6 "2001:db8::1"
#define DST6 "2001:db8::2"

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* The cases: each builds one frame; pktcheck must report exactly fields. */

static void ipv4_tcp_syn(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv4(p, SRC4, DST4, PROTO_TCP);
	pkt_tcp(p, 40000, 80, PKT_SYN);
}

static void ipv4_tcp_opts_payload(struct pkt *p)
{
	/* MSS 1460, SACK permitted, window scale 7: 9 bytes, padded to 12. */
	static const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 4, 2, 3, 3, 7 };

	pkt_eth(p, "00:11:22:33:44:55", "66:77:88:99:aa:bb");
	pkt_ipv4(p, SRC4, DST4, PROTO_TCP);
	pkt_tcp(p, 40000, 443, PKT_PSH | PKT_ACK);
	pkt_tcp_opts(p, opts, sizeof(opts));
	pkt_payload(p, NULL, 101);
}

static void ipv4_udp(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv4(p, SRC4, DST4, PROTO_UDP);
	pkt_udp(p, 5353, 53);
	pkt_payload(p, "hello, sluice", 13);
}

static void ipv4_icmp_echo(struct pkt *p)
{
	uint8_t *icmp;

	pkt_eth(p, NULL, NULL);
	pkt_ipv4(p, SRC4, DST4, PROTO_ICMP);
	pkt_icmp(p, 8, 0);
	icmp = pkt_l4(p);
	icmp[5] = 42; /* id */
	icmp[7] = 1; /* sequence */
	pkt_payload(p, NULL, 56);
}

static void ipv4_opts_udp(struct pkt *p)
{
	static const uint8_t router_alert[] = { 0x94, 4, 0, 0 };

	pkt_eth(p, NULL, NULL);
	pkt_ipv4(p, SRC4, DST4, PROTO_UDP);
	pkt_ipv4_opts(p, router_alert, sizeof(router_alert));
	pkt_udp(p, 1000, 2000);
	pkt_payload(p, NULL, 20);
}

static void ipv4_opts_padded_icmp(struct pkt *p)
{
	/* Record route with room for one address: 7 bytes, padded to 8. */
	static const uint8_t rr[] = { 7, 7, 4, 0, 0, 0, 0 };

	pkt_eth(p, NULL, NULL);
	pkt_ipv4(p, SRC4, DST4, PROTO_ICMP);
	pkt_ipv4_opts(p, rr, sizeof(rr));
	pkt_ipv4_ttl(p, 1);
	pkt_icmp(p, 8, 0);
}

static void ipv4_first_fragment(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv4(p, SRC4, DST4, PROTO_UDP);
	pkt_ipv4_id(p, 0x1234);
	pkt_ipv4_frag(p, 0, true);
	pkt_udp(p, 1000, 2000);
	pkt_payload(p, NULL, 64);
}

static void ipv4_later_fragment(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv4(p, SRC4, DST4, PROTO_UDP);
	pkt_ipv4_id(p, 0x1234);
	pkt_ipv4_frag(p, 9, false);
	pkt_payload(p, NULL, 30);
}

static void ipv4_df_trailer(struct pkt *p)
{
	/* A 46-byte frame padded to the Ethernet minimum of 60. */
	pkt_eth(p, NULL, NULL);
	pkt_ipv4(p, SRC4, DST4, PROTO_UDP);
	pkt_ipv4_df(p, true);
	pkt_udp(p, 7, 7);
	pkt_payload(p, "ping", 4);
	pkt_trailer(p, NULL, 14);
}

static void vlan_ipv4_udp(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_vlan(p, PKT_TPID_8021Q, 100);
	pkt_ipv4(p, SRC4, DST4, PROTO_UDP);
	pkt_udp(p, 1000, 2000);
	pkt_payload(p, NULL, 10);
}

static void qinq_ipv6_tcp(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_vlan(p, PKT_TPID_8021AD, 10);
	pkt_vlan(p, PKT_TPID_8021Q, 0x2000 | 20); /* PCP 1 */
	pkt_ipv6(p, SRC6, DST6, PROTO_TCP);
	pkt_tcp(p, 40000, 22, PKT_ACK);
	pkt_payload(p, NULL, 33);
}

static void ipv6_udp(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, SRC6, DST6, PROTO_UDP);
	pkt_ipv6_hlim(p, 1);
	pkt_udp(p, 546, 547);
	pkt_payload(p, NULL, 17);
}

static void ipv6_icmp6_echo(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, "fe80::1", "ff02::1", PROTO_ICMPV6);
	pkt_icmp6(p, 128, 0);
	pkt_payload(p, NULL, 8);
}

static void ipv6_hbh_udp(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, SRC6, DST6, PROTO_HOPOPTS);
	pkt_ipv6_hbh(p, PROTO_UDP, 0);
	pkt_udp(p, 1000, 2000);
	pkt_payload(p, NULL, 9);
}

static void ipv6_long_hbh_icmp6(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, SRC6, DST6, PROTO_HOPOPTS);
	pkt_ipv6_hbh(p, PROTO_ICMPV6, 5);
	pkt_icmp6(p, 128, 0);
}

static void ipv6_dstopts_tcp(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, SRC6, DST6, PROTO_DSTOPTS);
	pkt_ipv6_dstopts(p, PROTO_TCP, 1);
	pkt_tcp(p, 40000, 80, PKT_SYN);
}

static const char *const segs[] = { "2001:db8:1::1", "2001:db8:2::2" };

static void ipv6_rthdr0_udp(struct pkt *p)
{
	/* Segments left 2: the pseudo header uses the last address. */
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, SRC6, DST6, PROTO_ROUTING);
	pkt_ipv6_rthdr_addrs(p, PROTO_UDP, 0, 2, segs, 2);
	pkt_udp(p, 1000, 2000);
	pkt_payload(p, NULL, 11);
}

static void ipv6_rthdr0_done_udp(struct pkt *p)
{
	/* Segments left 0: the IPv6 destination is the final one. */
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, SRC6, DST6, PROTO_ROUTING);
	pkt_ipv6_rthdr_addrs(p, PROTO_UDP, 0, 0, segs, 2);
	pkt_udp(p, 1000, 2000);
	pkt_payload(p, NULL, 11);
}

static void ipv6_srh_tcp(struct pkt *p)
{
	/* SRH: the final destination is segment list[0]. */
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, SRC6, DST6, PROTO_ROUTING);
	pkt_ipv6_rthdr_addrs(p, PROTO_TCP, 4, 1, segs, 2);
	pkt_tcp(p, 40000, 80, PKT_SYN | PKT_ACK);
	pkt_payload(p, NULL, 5);
}

static void ipv6_rthdr_raw_icmp6(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, SRC6, DST6, PROTO_ROUTING);
	pkt_ipv6_rthdr(p, PROTO_ICMPV6, 2, 0, 2);
	pkt_icmp6(p, 129, 0);
}

static void ipv6_first_fragment(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, SRC6, DST6, PROTO_FRAGMENT);
	pkt_ipv6_frag(p, PROTO_UDP, 0, true, 0xdeadbeef);
	pkt_udp(p, 1000, 2000);
	pkt_payload(p, NULL, 48);
}

static void ipv6_later_fragment(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, SRC6, DST6, PROTO_FRAGMENT);
	pkt_ipv6_frag(p, PROTO_UDP, 7, false, 0xdeadbeef);
	pkt_payload(p, NULL, 40);
}

static void ipv6_chain_tcp(struct pkt *p)
{
	/* RFC 8200 order: hop-by-hop, dst opts, routing, fragment, dst opts. */
	pkt_eth(p, NULL, NULL);
	pkt_vlan(p, PKT_TPID_8021Q, 7);
	pkt_ipv6(p, SRC6, DST6, PROTO_HOPOPTS);
	pkt_ipv6_hbh(p, PROTO_DSTOPTS, 0);
	pkt_ipv6_dstopts(p, PROTO_ROUTING, 2);
	pkt_ipv6_rthdr_addrs(p, PROTO_FRAGMENT, 0, 1, segs, 2);
	pkt_ipv6_frag(p, PROTO_DSTOPTS, 0, true, 7);
	pkt_ipv6_dstopts(p, PROTO_TCP, 0);
	pkt_tcp(p, 40000, 80, PKT_SYN);
	pkt_payload(p, NULL, 24);
}

static void ipv6_chain_icmp6(struct pkt *p)
{
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, SRC6, DST6, PROTO_HOPOPTS);
	pkt_ipv6_hbh(p, PROTO_DSTOPTS, 1);
	pkt_ipv6_dstopts(p, PROTO_ICMPV6, 0);
	pkt_icmp6(p, 128, 0);
	pkt_payload(p, NULL, 3);
}

static void ipip6_udp(struct pkt *p)
{
	/* IPv4 in IPv6: each layer's lengths and checksums are its own. */
	pkt_eth(p, NULL, NULL);
	pkt_ipv6(p, SRC6, DST6, PROTO_IPIP);
	pkt_ipv4(p, SRC4, DST4, PROTO_UDP);
	pkt_udp(p, 1000, 2000);
	pkt_payload(p, NULL, 8);
}

static void ipv4_icmp_error(struct pkt *p)
{
	struct pkt inner;

	/* Port unreachable quoting an IPv4 header and 8 bytes of UDP. */
	pkt_init(&inner);
	pkt_ipv4(&inner, DST4, SRC4, PROTO_UDP);
	pkt_udp(&inner, 2000, 1000);
	pkt_payload(&inner, NULL, 100);
	assert_int_equal(pkt_finish(&inner), 0);

	pkt_eth(p, NULL, NULL);
	pkt_ipv4(p, SRC4, DST4, PROTO_ICMP);
	pkt_icmp(p, 3, 3);
	pkt_payload(p, inner.buf, 28);
}

#define IP4F "IP.ihl IP.len IP.chksum"
#define TCPF "TCP.dataofs TCP.chksum"
#define UDPF "UDP.len UDP.chksum"

static const struct pcase {
	const char *name;
	void (*build)(struct pkt *p);
	const char *fields; /* what pktcheck.py must find right */
} cases[] = {
	{ "ipv4 tcp syn", ipv4_tcp_syn, IP4F " " TCPF },
	{ "ipv4 tcp options payload", ipv4_tcp_opts_payload, IP4F " " TCPF },
	{ "ipv4 udp", ipv4_udp, IP4F " " UDPF },
	{ "ipv4 icmp echo", ipv4_icmp_echo, IP4F " ICMP.chksum" },
	{ "ipv4 options udp", ipv4_opts_udp, IP4F " " UDPF },
	{ "ipv4 padded options icmp", ipv4_opts_padded_icmp,
	  IP4F " ICMP.chksum" },
	{ "ipv4 first fragment", ipv4_first_fragment, IP4F " " UDPF },
	{ "ipv4 later fragment", ipv4_later_fragment, IP4F },
	{ "ipv4 df ethernet padding", ipv4_df_trailer, IP4F " " UDPF },
	{ "vlan ipv4 udp", vlan_ipv4_udp, IP4F " " UDPF },
	{ "qinq ipv6 tcp", qinq_ipv6_tcp, "IPv6.plen " TCPF },
	{ "ipv6 udp", ipv6_udp, "IPv6.plen " UDPF },
	{ "ipv6 icmp6 echo", ipv6_icmp6_echo,
	  "IPv6.plen ICMPv6EchoRequest.cksum" },
	{ "ipv6 hbh udp", ipv6_hbh_udp, "IPv6.plen " UDPF },
	{ "ipv6 long hbh icmp6", ipv6_long_hbh_icmp6,
	  "IPv6.plen ICMPv6EchoRequest.cksum" },
	{ "ipv6 dstopts tcp", ipv6_dstopts_tcp, "IPv6.plen " TCPF },
	{ "ipv6 rthdr0 udp", ipv6_rthdr0_udp, "IPv6.plen " UDPF },
	{ "ipv6 rthdr0 segleft 0 udp", ipv6_rthdr0_done_udp,
	  "IPv6.plen " UDPF },
	{ "ipv6 srh tcp", ipv6_srh_tcp, "IPv6.plen " TCPF },
	{ "ipv6 rthdr2 icmp6", ipv6_rthdr_raw_icmp6,
	  "IPv6.plen ICMPv6EchoReply.cksum" },
	{ "ipv6 first fragment", ipv6_first_fragment, "IPv6.plen " UDPF },
	{ "ipv6 later fragment", ipv6_later_fragment, "IPv6.plen" },
	{ "ipv6 chain tcp", ipv6_chain_tcp, "IPv6.plen " TCPF },
	{ "ipv6 chain icmp6", ipv6_chain_icmp6,
	  "IPv6.plen ICMPv6EchoRequest.cksum" },
	{ "ipv4 in ipv6 udp", ipip6_udp, "IPv6.plen " IP4F " " UDPF },
	{ "ipv4 icmp error", ipv4_icmp_error, IP4F " ICMP.chksum" },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void build_case(struct pkt *p, const struct pcase *c)
{
	pkt_init(p);
	c->build(p);
	if (pkt_finish(p))
		fail_msg("%s: pkt_finish: %s", c->name, strerror(-p->err));
}

/* Known answers, no decoder needed. */

static void test_ipv4_known_checksum(void **state)
{
	/* The classic example: 45 00 00 73 00 00 40 00 40 11 b8 61 ... */
	static const uint8_t want[] = { 0x45, 0x00, 0x00, 0x73, 0x00,
					0x00, 0x40, 0x00, 0x40, 0x11,
					0xb8, 0x61, 0xc0, 0xa8, 0x00,
					0x01, 0xc0, 0xa8, 0x00, 0xc7 };
	struct pkt p;

	pkt_init(&p);
	pkt_ipv4(&p, "192.168.0.1", "192.168.0.199", PROTO_UDP);
	pkt_ipv4_df(&p, true);
	pkt_payload(&p, NULL, 0x73 - 20);
	assert_int_equal(pkt_finish(&p), 0);
	assert_int_equal(p.l2_off, -1);
	assert_int_equal(p.l3_off, 0);
	assert_true(pkt_bytes_equal("ipv4 header", p.buf, sizeof(want), want,
				    sizeof(want)));
	assert_int_equal(pkt_csum(p.buf, 20), 0);
}

static void test_layout(void **state)
{
	static const uint8_t rr[] = { 7, 7, 4 };
	struct pkt p;

	pkt_init(&p);
	pkt_eth(&p, "ff:ff:ff:ff:ff:ff", "02:00:00:00:00:09");
	pkt_vlan(&p, PKT_TPID_8021AD, 10);
	pkt_vlan(&p, PKT_TPID_8021Q, 20);
	pkt_ipv4(&p, SRC4, DST4, PROTO_UDP);
	pkt_ipv4_opts(&p, rr, sizeof(rr));
	pkt_ipv4_ttl(&p, 3);
	pkt_ipv4_frag(&p, 100, true);
	pkt_udp(&p, 1, 2);
	pkt_payload(&p, NULL, 300);
	assert_int_equal(pkt_finish(&p), 0);

	assert_int_equal(p.l2_off, 0);
	assert_int_equal(p.vlan_off, 14);
	assert_int_equal(p.nvlan, 2);
	assert_int_equal(p.l3_off, 22);
	assert_int_equal(p.l4_off, 22 + 24);
	assert_int_equal(p.payload_off, 22 + 24 + 8);
	assert_int_equal(p.len, 22 + 24 + 8 + 300);
	assert_int_equal(pkt_off(&p, PKT_VLAN, 1), 18);
	assert_int_equal(pkt_off(&p, PKT_VLAN, 2), -1);
	assert_ptr_equal(pkt_l3(&p), p.buf + 22);

	assert_int_equal(p.buf[0], 0xff);
	assert_int_equal(p.buf[11], 0x09);
	assert_int_equal(get16(p.buf + 12), 0x88a8);
	assert_int_equal(get16(p.buf + 14), 10);
	assert_int_equal(get16(p.buf + 16), 0x8100);
	assert_int_equal(get16(p.buf + 18), 20);
	assert_int_equal(get16(p.buf + 20), 0x0800);

	assert_int_equal(p.buf[22], 0x46); /* IHL 6 */
	assert_int_equal(get16(p.buf + 24), 24 + 8 + 300);
	assert_int_equal(get16(p.buf + 28), 0x2000 | 100);
	assert_int_equal(p.buf[30], 3);
	assert_int_equal(p.buf[22 + 20], 7); /* options, padded with EOL */
	assert_int_equal(p.buf[22 + 23], 0);
	assert_int_equal(pkt_csum(p.buf + 22, 24), 0);
	assert_int_equal(get16(p.buf + 46 + 4), 8 + 300);
	assert_int_equal(p.buf[54 + 255], 255); /* payload pattern */
	assert_int_equal(p.buf[54 + 256], 0);

	pkt_init(&p);
	pkt_eth(&p, NULL, NULL);
	pkt_ipv6(&p, SRC6, DST6, PROTO_HOPOPTS);
	pkt_ipv6_hbh(&p, PROTO_FRAGMENT, 1);
	pkt_ipv6_frag(&p, PROTO_TCP, 0x1fff, true, 0x01020304);
	pkt_tcp(&p, 1, 2, PKT_RST);
	assert_int_equal(pkt_finish(&p), 0);
	assert_int_equal(get16(p.buf + 12), 0x86dd);
	assert_int_equal(get16(p.buf + 14 + 4), 16 + 8 + 20);
	assert_int_equal(pkt_off(&p, PKT_IPV6_HBH, 0), 54);
	assert_int_equal(p.buf[54 + 1], 1);
	assert_int_equal(pkt_off(&p, PKT_IPV6_FRAG, 0), 70);
	assert_int_equal(get16(p.buf + 72), 0xfff9);
	assert_int_equal(p.buf[77], 4);
	assert_int_equal(p.l4_off, 78);
	assert_int_equal(p.buf[78 + 12], 0x50);
	assert_int_equal(p.buf[78 + 13], PKT_RST);
}

/* The checksum of a UDP datagram from src to dst, without extension headers. */
static uint16_t udp6_csum(const char *src, const char *dst)
{
	struct pkt p;

	pkt_init(&p);
	pkt_ipv6(&p, src, dst, PROTO_UDP);
	pkt_udp(&p, 1000, 2000);
	pkt_payload(&p, NULL, 11);
	assert_int_equal(pkt_finish(&p), 0);
	return get16(p.buf + p.l4_off + 6);
}

static void test_ipv6_final_destination(void **state)
{
	struct pkt p;

	build_case(&p, &cases[16]); /* type 0, segments left 2 */
	assert_string_equal(cases[16].name, "ipv6 rthdr0 udp");
	assert_int_equal(get16(p.buf + p.l4_off + 6), udp6_csum(SRC6, segs[1]));

	build_case(&p, &cases[17]); /* segments left 0 */
	assert_int_equal(get16(p.buf + p.l4_off + 6), udp6_csum(SRC6, DST6));

	pkt_init(&p); /* SRH: segment list[0] */
	pkt_ipv6(&p, SRC6, DST6, PROTO_ROUTING);
	pkt_ipv6_rthdr_addrs(&p, PROTO_UDP, 4, 1, segs, 2);
	pkt_udp(&p, 1000, 2000);
	pkt_payload(&p, NULL, 11);
	assert_int_equal(pkt_finish(&p), 0);
	assert_int_equal(p.buf[40 + 4], 1); /* Last Entry */
	assert_int_equal(get16(p.buf + p.l4_off + 6), udp6_csum(SRC6, segs[0]));
}

static void test_errors(void **state)
{
	uint8_t big[41] = { 0 };
	struct pkt p;

	pkt_init(&p);
	assert_int_equal(pkt_ipv4(&p, "10.0.0.256", DST4, PROTO_TCP), -EINVAL);
	/* Sticky: later calls change nothing and return the first error. */
	assert_int_equal(pkt_ipv6(&p, SRC6, DST6, PROTO_TCP), -EINVAL);
	assert_int_equal(p.len, 0);
	assert_int_equal(pkt_finish(&p), -EINVAL);

	pkt_init(&p);
	assert_int_equal(pkt_eth(&p, "02:00:00:00:00", NULL), -EINVAL);

	pkt_init(&p);
	assert_int_equal(pkt_vlan(&p, PKT_TPID_8021Q, 1), -EINVAL);

	pkt_init(&p);
	pkt_ipv4(&p, SRC4, DST4, PROTO_UDP);
	assert_int_equal(pkt_ipv4_opts(&p, big, sizeof(big)), -EINVAL);

	pkt_init(&p);
	pkt_ipv4(&p, SRC4, DST4, PROTO_UDP);
	pkt_udp(&p, 1, 2);
	assert_int_equal(pkt_ipv4_opts(&p, big, 4), -EINVAL);

	pkt_init(&p);
	assert_int_equal(pkt_ipv6_hlim(&p, 1), -EINVAL);

	pkt_init(&p);
	pkt_ipv4(&p, SRC4, DST4, PROTO_UDP);
	assert_int_equal(pkt_payload(&p, NULL, PKT_MAX), -ENOSPC);

	/* A header the field before it does not name. */
	pkt_init(&p);
	pkt_ipv4(&p, SRC4, DST4, PROTO_UDP);
	pkt_tcp(&p, 1, 2, PKT_SYN);
	assert_int_equal(pkt_finish(&p), -EPROTO);

	pkt_init(&p);
	pkt_ipv6(&p, SRC6, DST6, PROTO_HOPOPTS);
	pkt_ipv6_hbh(&p, PROTO_TCP, 0);
	pkt_udp(&p, 1, 2);
	assert_int_equal(pkt_finish(&p), -EPROTO);

	pkt_init(&p);
	pkt_udp(&p, 1, 2);
	assert_int_equal(pkt_finish(&p), -EPROTO);

	pkt_init(&p);
	pkt_ipv4(&p, SRC4, DST4, PROTO_UDP);
	pkt_trailer(&p, NULL, 4);
	assert_int_equal(pkt_udp(&p, 1, 2), -EINVAL);

	/* Truncated before finish: the headers are no longer there. */
	pkt_init(&p);
	pkt_ipv4(&p, SRC4, DST4, PROTO_UDP);
	pkt_udp(&p, 1, 2);
	pkt_truncate(&p, 24);
	assert_int_equal(pkt_finish(&p), -EINVAL);
}

static void test_corrupt_after_finish(void **state)
{
	struct pkt p, q;
	uint8_t *ip;

	build_case(&p, &cases[2]); /* ipv4 udp */
	q = p;
	ip = pkt_l3(&p);
	ip[0] = 0x4f; /* IHL 15 */
	ip[3] += 100; /* tot_len */
	pkt_truncate(&p, p.l4_off + 4);
	assert_int_equal(p.len, 14 + 20 + 4);
	assert_int_equal(pkt_diff(p.buf, p.len, q.buf, q.len), 14);
	pkt_truncate(&p, 1000); /* never grows */
	assert_int_equal(p.len, 14 + 20 + 4);

	/* Finishing again recomputes everything. */
	p.len = q.len;
	assert_int_equal(pkt_finish(&p), 0);
	assert_true(pkt_bytes_equal("refinished", p.buf, p.len, q.buf, q.len));
}

static void test_diff_and_dump(void **state)
{
	uint8_t a[40], b[40];
	char *out = NULL;
	size_t outlen = 0;
	struct pkt p;
	FILE *f;
	int i;

	for (i = 0; i < 40; i++)
		a[i] = b[i] = i;
	assert_int_equal(pkt_diff(a, 40, b, 40), -1);
	assert_true(pkt_bytes_equal("same", a, 40, b, 40));
	b[37] = 0;
	assert_int_equal(pkt_diff(a, 40, b, 40), 37);
	assert_false(pkt_bytes_equal("differs (expected)", a, 40, b, 40));
	assert_int_equal(pkt_diff(a, 20, b, 40), 20);
	assert_false(pkt_bytes_equal("shorter (expected)", a, 20, b, 40));
	assert_int_equal(pkt_diff(a, 0, b, 0), -1);

	f = open_memstream(&out, &outlen);
	assert_non_null(f);
	pkt_hexdump(f, a, 18);
	build_case(&p, &cases[0]);
	pkt_dump(f, "syn", &p);
	fclose(f);
	assert_non_null(strstr(
		out,
		"# 0000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f\n"
		"# 0010  10 11\n"));
	assert_non_null(strstr(
		out, "# syn: 54 bytes: eth@0/14 ipv4@14/20 tcp@34/20\n"));
	free(out);
}

/* A temporary file name; the caller unlinks it. */
static void tmp_path(char *path, size_t n)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, n, "%s/test_pkt.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
}

static struct pkt all[NCASES + 2];

static void test_pcapw_roundtrip(void **state)
{
	char path[PATH_MAX], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const u_char *data;
	unsigned int i;
	pcap_t *pc;
	int rc;

	for (i = 0; i < NCASES; i++)
		build_case(&all[i], &cases[i]);
	tmp_path(path, sizeof(path));
	assert_int_equal(pcapw_write_pkts(path, all, NCASES), 0);

	pc = pcap_open_offline(path, err);
	unlink(path);
	if (!pc)
		fail_msg("pcap_open_offline: %s", err);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	for (i = 0; (rc = pcap_next_ex(pc, &hdr, &data)) == 1; i++) {
		assert_true(i < NCASES);
		assert_int_equal(hdr->caplen, all[i].len);
		assert_int_equal(hdr->len, all[i].len);
		assert_int_equal(hdr->ts.tv_usec, i);
		assert_true(pkt_bytes_equal(cases[i].name, data, hdr->caplen,
					    all[i].buf, all[i].len));
	}
	pcap_close(pc);
	assert_int_equal(rc, PCAP_ERROR_BREAK);
	assert_int_equal(i, NCASES);

	assert_null(pcapw_open("/nonexistent/dir/x.pcap"));
}

/* pktcheck.py: $SLUICE_SRC, the working directory, or next to the build. */
static bool find_checker(char *path, size_t n)
{
	const char *rel = "selftests/lib/pktcheck.py";
	const char *src = getenv("SLUICE_SRC");
	char exe[PATH_MAX];
	ssize_t len;
	char *slash;

	if (src && *src) {
		snprintf(path, n, "%s/%s", src, rel);
		return access(path, R_OK) == 0;
	}
	snprintf(path, n, "%s", rel);
	if (access(path, R_OK) == 0)
		return true;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		return false;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	if (snprintf(path, n, "%s/../../%s", exe, rel) >= (int)n)
		return false;
	return access(path, R_OK) == 0;
}

/* Run the checker; its stdout into out (NUL-terminated), its exit status back. */
static int run_checker(const char *script, const char *pcap, char *out,
		       size_t n)
{
	size_t used = 0;
	int fds[2], status;
	ssize_t r;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl("/usr/bin/python3", "python3", script, pcap,
		      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((r = read(fds[0], out + used, n - 1 - used)) > 0)
		used += r;
	out[used] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_scapy_agrees(void **state)
{
	static char out[64 * 1024];
	char script[PATH_MAX], path[PATH_MAX], want[512];
	unsigned int i, bad_csum, bad_len;
	char *line, *save = NULL;
	uint8_t *udp, *ip;
	int rc;

	if (!find_checker(script, sizeof(script)))
		fail_msg(
			"selftests/lib/pktcheck.py not found (set SLUICE_SRC)");

	for (i = 0; i < NCASES; i++)
		build_case(&all[i], &cases[i]);
	/* Two broken packets, to show the checker is not blind. */
	bad_csum = NCASES;
	build_case(&all[bad_csum], &cases[2]);
	udp = pkt_l4(&all[bad_csum]);
	udp[7] ^= 0x01;
	bad_len = NCASES + 1;
	build_case(&all[bad_len], &cases[0]);
	ip = pkt_l3(&all[bad_len]);
	ip[3] += 4;

	tmp_path(path, sizeof(path));
	assert_int_equal(pcapw_write_pkts(path, all, NCASES + 2), 0);
	rc = run_checker(script, path, out, sizeof(out));
	unlink(path);
	if (rc == 77 || rc == 127) {
		print_message(
			"# /usr/bin/python3 cannot import scapy (python3-scapy)\n");
		skip();
	}
	assert_int_equal(rc, 1); /* the two broken ones */

	line = strtok_r(out, "\n", &save);
	for (i = 0; i < NCASES + 2; i++, line = strtok_r(NULL, "\n", &save)) {
		if (!line)
			fail_msg("pktcheck.py stopped after %u packets", i);
		if (i == bad_csum) {
			if (!strstr(line, " bad ") ||
			    !strstr(line, "UDP.chksum!"))
				fail_msg("corrupt UDP checksum not caught: %s",
					 line);
			continue;
		}
		if (i == bad_len) {
			if (!strstr(line, " bad ") || !strstr(line, "IP.len!"))
				fail_msg("corrupt IPv4 length not caught: %s",
					 line);
			continue;
		}
		snprintf(want, sizeof(want), "%u ok %s", i + 1,
			 cases[i].fields);
		if (strcmp(line, want)) {
			pkt_dump(stderr, cases[i].name, &all[i]);
			fail_msg("%s: pktcheck.py says '%s', want '%s'",
				 cases[i].name, line, want);
		}
	}
	assert_null(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_known_checksum),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_ipv6_final_destination),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_corrupt_after_finish),
		cmocka_unit_test(test_diff_and_dump),
		cmocka_unit_test(test_pcapw_roundtrip),
		cmocka_unit_test(test_scapy_agrees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
