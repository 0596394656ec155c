// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pktgen's frame writer, run by bpf_prog_test_run in live-frame mode:
 * every iteration gets a page from the test run's page pool, this program
 * writes the headers and returns XDP_TX, which the kernel turns into a
 * transmit out of the ingress_ifindex device.
 *
 * Pages are recycled without being re-initialised, and a receiver may
 * have written into them (a forwarder rewrites MACs and TTL in place), so
 * every header byte is written again on every frame.  The payload is
 * never written: it stays as user space created it, zeros, which is what
 * the precomputed checksum sums assume.
 *
 * User space prepares the headers (pg_hdr) and the one's complement sums
 * of everything the checksums cover except the last 32 bits of the source
 * address (and of a destination range's); per frame this program only
 * stores them and folds two sums.  The sums are over 16-bit words as loaded natively from the
 * network-order bytes, which gives the right bytes on either endianness
 * (RFC 1071, 2.(B)).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* The longest headers: Ethernet, IPv6 and TCP, 74 bytes, in 8-byte words. */
#define PG_HDR_WORDS 10

/* Load-time settings: constants to the verifier, which prunes the rest. */
const volatile __u64 pg_hdr[PG_HDR_WORDS];
const volatile __u32 pg_hdr_len; /* bytes of pg_hdr that are headers */
const volatile __u32 pg_src_off; /* offset of the source's last 32 bits */
const volatile __u32 pg_ipcsum_off; /* IPv4 header checksum; 0: IPv6 */
const volatile __u32 pg_l4csum_off; /* UDP or TCP checksum */
const volatile __u32 pg_udp; /* a UDP checksum of 0 is sent as 0xffff */
const volatile __u32 pg_ip_sum; /* IPv4 header sum without the source */
const volatile __u32 pg_l4_sum; /* pseudo-header, L4 header, payload */
const volatile __u32 pg_src_first; /* last 32 bits, host order */
const volatile __u32 pg_src_count; /* addresses in the range; 0: 2^32 */
const volatile __u32 pg_ifindex; /* the device the test run sends out of */
const volatile __u32 pg_src_table; /* sources from pg_srcs, not a range */
/*
 * A range of destination ports, cycled frame by frame (--dport LO-HI):
 * pg_l4_sum then leaves the port out, each frame adds its own.
 */
const volatile __u32 pg_dport_off; /* 0: one port, in pg_hdr */
const volatile __u32 pg_dport_first; /* host order */
const volatile __u32 pg_dport_count;

/*
 * A range of destinations, cycled frame by frame on a count of their own
 * (--dst LO-HI): their last 32 bits are zero in pg_hdr, pg_ip_sum and
 * pg_l4_sum, and added per frame as the source's are.
 */
const volatile __u32 pg_dst_off; /* 0: one destination, in pg_hdr */
const volatile __u32 pg_dst_first; /* last 32 bits, host order */
const volatile __u32 pg_dst_count; /* 0: 2^32 */

/*
 * A spoofed flood (--random): each frame a random source of the range, a
 * random source port and, for TCP, a random sequence number, so that no
 * two frames look like one client.  Their bytes are zero in pg_hdr and
 * pg_l4_sum, and added per frame.
 */
const volatile __u32 pg_random;
const volatile __u32 pg_sport_off;
const volatile __u32 pg_seq_off; /* 0: UDP */

/*
 * Sources listed one by one (--src-file), network order, cycled in the
 * list's order: a flood spread over addresses no range describes, such
 * as a million members of a set.  User space sizes it before loading.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} pg_srcs SEC(".maps");

/*
 * Only test runs get past the guard below, one at a time and each on one
 * CPU, so plain read-modify-write is enough.  pg_frames lets user space
 * count what was sent even when a signal cut a run short.
 */
__u32 pg_next; /* index in the source range of the next frame */
__u32 pg_dport_next; /* index in the port range */
__u32 pg_dst_next; /* index in the destination range */
__u64 pg_frames;

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

SEC("xdp")
int pg_xmit(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 words = pg_hdr_len / 8, halves = pg_hdr_len % 8 / 2;
	__u32 i, idx, src, dst, sum, ip_sum = pg_ip_sum, l4_sum = pg_l4_sum;
	__u16 csum, port;

	/*
	 * User space also attaches this program to lo, only to keep it in
	 * the XDP dispatcher: what really arrives there goes on.
	 */
	if (ctx->ingress_ifindex != pg_ifindex)
		return XDP_PASS;
	if (data + pg_hdr_len > data_end)
		return XDP_ABORTED;

#pragma unroll
	for (i = 0; i < PG_HDR_WORDS; i++)
		if (i < words)
			((__u64 *)data)[i] = pg_hdr[i];
#pragma unroll
	for (i = 0; i < 3; i++)
		if (i < halves)
			((__u16 *)data)[words * 4 + i] =
				((const volatile __u16 *)pg_hdr)[words * 4 + i];

	idx = pg_next;
	if (pg_random) {
		__u32 r = bpf_get_prandom_u32();

		src = bpf_htonl(pg_src_first +
				(pg_src_count ? r % pg_src_count : r));
	} else if (pg_src_table) {
		__u32 *v = bpf_map_lookup_elem(&pg_srcs, &idx);

		if (!v)
			return XDP_ABORTED;
		src = *v;
	} else {
		src = bpf_htonl(pg_src_first + idx);
	}
	/* A count of 0 means 2^32: idx then wraps to 0 by itself. */
	pg_next = ++idx == pg_src_count ? 0 : idx;
	pg_frames++;

	*(__u32 *)(data + pg_src_off) = src;
	if (pg_dst_off) {
		dst = bpf_htonl(pg_dst_first + pg_dst_next);
		pg_dst_next = pg_dst_next + 1 == pg_dst_count ? 0 :
								pg_dst_next + 1;
		*(__u32 *)(data + pg_dst_off) = dst;
		/* Both sums cover it: the IPv4 header and the pseudo-header. */
		ip_sum += (dst >> 16) + (dst & 0xffff);
		l4_sum += (dst >> 16) + (dst & 0xffff);
	}
	if (pg_ipcsum_off) {
		sum = ip_sum + (src >> 16) + (src & 0xffff);
		*(__u16 *)(data + pg_ipcsum_off) = csum_fold(sum);
	}
	if (pg_dport_off) {
		port = bpf_htons(pg_dport_first + pg_dport_next);
		pg_dport_next = pg_dport_next + 1 == pg_dport_count ?
					0 :
					pg_dport_next + 1;
		*(__u16 *)(data + pg_dport_off) = port;
		l4_sum += port;
	}
	sum = l4_sum + (src >> 16) + (src & 0xffff);
	if (pg_random) {
		__u32 r = bpf_get_prandom_u32();
		__u16 sport = bpf_htons(1024 + (r >> 16) % (65536 - 1024));

		*(__u16 *)(data + pg_sport_off) = sport;
		sum += sport;
		if (pg_seq_off) {
			r = bpf_get_prandom_u32();
			*(__u32 *)(data + pg_seq_off) = r;
			sum += (r >> 16) + (r & 0xffff);
		}
	}
	csum = csum_fold(sum);
	/* 0 would mean "no checksum" for UDP; 0xffff is its equal. */
	if (pg_udp && !csum)
		csum = 0xffff;
	*(__u16 *)(data + pg_l4csum_off) = csum;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
