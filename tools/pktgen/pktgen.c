/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * pktgen: a live-frame traffic generator.
 *
 * bpf_prog_test_run with BPF_F_TEST_XDP_LIVE_FRAMES runs pktgen.bpf.c on
 * pages of a page pool and turns its XDP_TX into a real transmit out of
 * ctx_in.ingress_ifindex: about 10 Mpps of 64-byte frames from one core
 * on a veth, more than AF_PACKET gets (see shared/BENCHMARKING.md).
 *
 * A test run of more than one frame puts the program into the kernel's
 * XDP dispatcher and takes it out again, each change waiting for an RCU
 * grace period: about 24 ms a run.  Unless the program is in the
 * dispatcher already: so for the length of the send pktgen attaches it,
 * in generic mode, to the namespace's loopback, where it passes every
 * packet (none comes in on DEV's ifindex), and a run then costs about
 * 10 us besides its frames.  The attachment is a BPF link, gone when the
 * process is.  If lo will not take it (it has an XDP program) pktgen says
 * so and goes on with the dearer runs.
 *
 * An unpaced send makes its runs as long as the count or the duration
 * allows, up to 2^22 frames.  A paced send keeps frame k on a schedule of
 * k / rate from the start, waking every 100 us or every frame, whichever
 * is longer, to send what is due; the average holds whatever a run costs,
 * and with cheap runs the bursts are as short as that tick.
 */
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <math.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "pktgen.skel.h"

#define PG_RUN_MAX (1u << 22) /* frames per test run, see above */
#define PG_RUN_FIRST (1u << 16) /* first run of a timed send: a probe */
#define PG_RUN_MIN 64 /* one live-frame batch */
#define PG_TICK_S 100e-6 /* a paced send wakes at most this often */
#define PG_MIN_SIZE 64
/* Bounds that keep rate * duration, a frame count, far from overflow. */
#define PG_RATE_MAX 1e9
#define PG_DURATION_MAX 1e9
/*
 * A live frame shares its page with the test run's header for it (struct
 * xdp_page_head, 112 bytes on 6.18), XDP_PACKET_HEADROOM and the
 * skb_shared_info at the end (320 bytes on 64-bit): 3408 bytes are left
 * of a 4K page.  The kernel's EINVAL stays the last word.
 */
#define PG_PAGE_RESERVED (112 + 256 + 320)
/* A veth takes frames up to its peer's MTU + Ethernet and VLAN headers. */
#define PG_MTU_EXTRA 18

#define ETH_LEN 14
#define IP4_LEN 20
#define IP6_LEN 40
#define UDP_LEN 8
#define TCP_LEN 20

struct pg {
	const char *dev;
	int ifindex;
	int mtu; /* -1: unknown */
	int family; /* AF_INET or AF_INET6 */
	bool tcp;
	bool random; /* --random: spoofed sources, ports, sequence numbers */
	bool json;
	unsigned char dst_mac[ETH_ALEN], src_mac[ETH_ALEN];
	bool have_dst_mac, have_src_mac;
	unsigned char src_lo[16], src_hi[16], dst_lo[16], dst_hi[16];
	bool have_src;
	const char *src_arg, *dst_arg;
	const char *src_file; /* --src-file */
	__u32 *srcs; /* its addresses, network order */
	__u32 nsrcs;
	__u16 sport, dport, dport_hi; /* dport..dport_hi, cycled */
	unsigned int size; /* 0: 64, or the headers if they are longer */
	double rate; /* frames per second; 0: unpaced */
	double duration; /* seconds; 0: until the count or a signal */
	unsigned long long count; /* 0: until the duration or a signal */
	int cpu; /* -1: not pinned */
	unsigned int batch; /* live-frame batch; 0: the kernel's 64 */
	unsigned char *frame;
	int prog_fd;
};

static volatile sig_atomic_t stop;
static bool verbose;

static void on_signal(int sig)
{
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: pktgen -i DEV --dst-mac MAC --dst IP[-IP] [options]\n"
		"Send live frames out of DEV with bpf_prog_test_run (XDP_TX).\n"
		"  -i, --dev DEV        transmit out of DEV (e.g. a veth)\n"
		"      --dst-mac MAC    destination MAC (required)\n"
		"      --src-mac MAC    source MAC (default: DEV's)\n"
		"      --dst IP[-IP]    destination IPv4 or IPv6 address, or a\n"
		"                       range cycled through frame by frame, on\n"
		"                       its own count (IPv6: the last 32 bits vary)\n"
		"      --src IP[-IP]    source, or a range cycled through frame\n"
		"                       by frame (IPv6: the last 32 bits vary)\n"
		"                       (default: DEV's first address)\n"
		"      --src-file FILE  IPv4 sources, one a line, cycled in order\n"
		"                       (up to 2^24; '#' comments)\n"
		"      --random         a spoofed flood: each frame a random source\n"
		"                       of the --src range, a random source port\n"
		"                       and (TCP) sequence number; with --tcp-syn,\n"
		"                       a SYN flood (e.g. --src 10.0.0.0-10.255.255.255)\n"
		"  -6                   IPv6 (default: the family of --dst)\n"
		"      --udp            UDP (default)\n"
		"      --tcp-syn        TCP SYN, no payload, padded to --size\n"
		"      --sport PORT     source port (default 1024)\n"
		"      --dport PORT[-PORT]  destination port, or a range cycled\n"
		"                       through frame by frame: a flood per\n"
		"                       destination port (default 9)\n"
		"      --size BYTES     frame size without FCS, >= 64 (default 64,\n"
		"                       or 74 for IPv6 TCP)\n"
		"      --rate PPS       average rate; 0: as fast as possible\n"
		"      --count N        frames to send; 0: until --duration\n"
		"      --duration SEC   stop after SEC seconds; with neither,\n"
		"                       send until interrupted\n"
		"      --cpu N          pin to CPU N\n"
		"      --batch N        live-frame batch size, 1..256 (default 64)\n"
		"  -j, --json           print the result as JSON\n"
		"  -v, --verbose        show libbpf's messages\n"
		"  -h, --help           this text\n"
		"While it sends, its XDP program is attached to lo in generic\n"
		"mode, passing every packet, to keep each test run cheap.\n"
		"It prints packets, bytes, seconds, pps, bit/s (frames without\n"
		"FCS) and the growth of DEV's tx_dropped.\n");
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	if (!verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int parse_mac(const char *s, unsigned char *mac)
{
	int n = 0;

	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx%n", &mac[0], &mac[1],
		   &mac[2], &mac[3], &mac[4], &mac[5], &n) != 6 ||
	    s[n] || strlen(s) != 17)
		return -EINVAL;
	return 0;
}

static int parse_ull(const char *s, unsigned long long max,
		     unsigned long long *v)
{
	char *end;

	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || *end || *v > max)
		return -EINVAL;
	return 0;
}

static int parse_double(const char *s, double *v)
{
	char *end;

	errno = 0;
	*v = strtod(s, &end);
	if (errno || *end || end == s || !isfinite(*v) || *v < 0)
		return -EINVAL;
	return 0;
}

/* "1.2.3.4", "fd00::1": the family is what the text says. */
static int parse_ip(const char *s, unsigned char *addr)
{
	int family = strchr(s, ':') ? AF_INET6 : AF_INET;

	memset(addr, 0, 16);
	if (inet_pton(family, s, addr) != 1)
		return -EINVAL;
	return family;
}

static __u32 low32(const struct pg *pg, const unsigned char *a)
{
	__u32 v;

	memcpy(&v, a + (pg->family == AF_INET6 ? 12 : 0), 4);
	return ntohl(v);
}

/* "A" or "A-B" into lo and hi; returns the family. */
static int parse_range(const char *s, unsigned char *lo, unsigned char *hi)
{
	char buf[INET6_ADDRSTRLEN * 2 + 2], *dash;
	int f1, f2;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash++ = '\0';
	f1 = parse_ip(buf, lo);
	if (f1 < 0)
		return f1;
	if (!dash) {
		memcpy(hi, lo, 16);
		return f1;
	}
	f2 = parse_ip(dash, hi);
	if (f2 != f1)
		return -EINVAL;
	return f1;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("pktgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

enum {
	OPT_DST_MAC = 256,
	OPT_SRC_MAC,
	OPT_SRC,
	OPT_DST,
	OPT_UDP,
	OPT_TCP_SYN,
	OPT_SPORT,
	OPT_DPORT,
	OPT_SIZE,
	OPT_RATE,
	OPT_COUNT,
	OPT_DURATION,
	OPT_CPU,
	OPT_BATCH,
	OPT_SRC_FILE,
	OPT_RANDOM,
};

static const struct option long_opts[] = {
	{ "dev", required_argument, NULL, 'i' },
	{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
	{ "src-mac", required_argument, NULL, OPT_SRC_MAC },
	{ "src", required_argument, NULL, OPT_SRC },
	{ "dst", required_argument, NULL, OPT_DST },
	{ "udp", no_argument, NULL, OPT_UDP },
	{ "tcp-syn", no_argument, NULL, OPT_TCP_SYN },
	{ "sport", required_argument, NULL, OPT_SPORT },
	{ "dport", required_argument, NULL, OPT_DPORT },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "cpu", required_argument, NULL, OPT_CPU },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "src-file", required_argument, NULL, OPT_SRC_FILE },
	{ "random", no_argument, NULL, OPT_RANDOM },
	{ "json", no_argument, NULL, 'j' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{}
};

static void bad_arg(const char *opt, const char *arg)
{
	fprintf(stderr, "pktgen: invalid %s '%s'\n", opt, arg);
	exit(2);
}

/* PORT or LO-HI, LO <= HI. */
static void parse_ports(const char *arg, __u16 *lo, __u16 *hi)
{
	unsigned long long a, b;
	char buf[16], *dash;

	if (strlen(arg) >= sizeof(buf))
		bad_arg("--dport", arg);
	strcpy(buf, arg);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_ull(buf, 65535, &a) ||
	    (dash ? parse_ull(dash + 1, 65535, &b) : (b = a, 0)) || b < a)
		bad_arg("--dport", arg);
	*lo = a;
	*hi = b;
}

/* A source table this long is 64 MB of map: more is a mistake. */
#define PG_SRCS_MAX (1u << 24)

/* --src-file: the addresses, in order; the first stands for the range. */
static void read_src_file(struct pg *pg)
{
	char line[256], *p, *end;
	unsigned long n = 0;
	__u32 cap = 0;
	FILE *f;

	f = fopen(pg->src_file, "re");
	if (!f)
		die("--src-file %s: %s", pg->src_file, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		n++;
		line[strcspn(line, "#\n")] = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		for (end = p + strlen(p); end > p && strchr(" \t\r", end[-1]);)
			*--end = '\0';
		if (!*p)
			continue;
		if (pg->nsrcs == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > PG_SRCS_MAX)
				die("--src-file %s: more than %u addresses",
				    pg->src_file, PG_SRCS_MAX);
			pg->srcs = realloc(pg->srcs, cap * sizeof(*pg->srcs));
			if (!pg->srcs)
				die("%s", strerror(ENOMEM));
		}
		if (inet_pton(AF_INET, p, &pg->srcs[pg->nsrcs]) != 1)
			die("--src-file %s:%lu: not an IPv4 address: '%s'",
			    pg->src_file, n, p);
		pg->nsrcs++;
	}
	if (ferror(f))
		die("--src-file %s: %s", pg->src_file, strerror(errno));
	fclose(f);
	if (!pg->nsrcs)
		die("--src-file %s: no address in it", pg->src_file);
	memset(pg->src_lo, 0, 16);
	memcpy(pg->src_lo, &pg->srcs[0], 4);
	memcpy(pg->src_hi, pg->src_lo, 16);
	pg->have_src = true;
}

static void parse_args(struct pg *pg, int argc, char **argv)
{
	unsigned long long v;
	bool want6 = false;
	int c, idx;

	pg->sport = 1024;
	pg->dport = 9;
	pg->dport_hi = 9;
	pg->cpu = -1;
	opterr = 0; /* one line of our own instead */
	while ((c = getopt_long(argc, argv, "i:6jvh", long_opts, &idx)) != -1) {
		switch (c) {
		case 'i':
			pg->dev = optarg;
			break;
		case '6':
			want6 = true;
			break;
		case 'j':
			pg->json = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case OPT_DST_MAC:
			if (parse_mac(optarg, pg->dst_mac))
				bad_arg("--dst-mac", optarg);
			pg->have_dst_mac = true;
			break;
		case OPT_SRC_MAC:
			if (parse_mac(optarg, pg->src_mac))
				bad_arg("--src-mac", optarg);
			pg->have_src_mac = true;
			break;
		case OPT_SRC:
			pg->src_arg = optarg;
			break;
		case OPT_DST:
			pg->dst_arg = optarg;
			break;
		case OPT_SRC_FILE:
			pg->src_file = optarg;
			break;
		case OPT_RANDOM:
			pg->random = true;
			break;
		case OPT_UDP:
			pg->tcp = false;
			break;
		case OPT_TCP_SYN:
			pg->tcp = true;
			break;
		case OPT_SPORT:
			if (parse_ull(optarg, 65535, &v))
				bad_arg("--sport", optarg);
			pg->sport = v;
			break;
		case OPT_DPORT:
			parse_ports(optarg, &pg->dport, &pg->dport_hi);
			break;
		case OPT_SIZE:
			if (parse_ull(optarg, 65535, &v) || v < PG_MIN_SIZE)
				bad_arg("--size", optarg);
			pg->size = v;
			break;
		case OPT_RATE:
			if (parse_double(optarg, &pg->rate) ||
			    pg->rate > PG_RATE_MAX)
				bad_arg("--rate", optarg);
			break;
		case OPT_COUNT:
			if (parse_ull(optarg, ULLONG_MAX, &pg->count))
				bad_arg("--count", optarg);
			break;
		case OPT_DURATION:
			if (parse_double(optarg, &pg->duration) ||
			    pg->duration > PG_DURATION_MAX)
				bad_arg("--duration", optarg);
			break;
		case OPT_CPU:
			if (parse_ull(optarg, CPU_SETSIZE - 1, &v))
				bad_arg("--cpu", optarg);
			pg->cpu = v;
			break;
		case OPT_BATCH:
			if (parse_ull(optarg, 256, &v) || !v)
				bad_arg("--batch", optarg);
			pg->batch = v;
			break;
		default:
			fprintf(stderr,
				"pktgen: bad option or missing value: '%s' "
				"(pktgen -h)\n",
				argv[optind - 1]);
			exit(2);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "pktgen: unexpected argument '%s'\n",
			argv[optind]);
		exit(2);
	}
	if (!pg->dev || !pg->dst_arg || !pg->have_dst_mac) {
		fprintf(stderr, "pktgen: -i DEV, --dst-mac and --dst are "
				"required (pktgen -h)\n");
		exit(2);
	}

	pg->family = parse_range(pg->dst_arg, pg->dst_lo, pg->dst_hi);
	if (pg->family < 0)
		bad_arg("--dst", pg->dst_arg);
	if (want6 && pg->family != AF_INET6)
		die("-6 with the IPv4 destination %s", pg->dst_arg);
	if (pg->src_arg && pg->src_file)
		die("--src and --src-file: one or the other");
	if (pg->random && pg->src_file)
		die("--random and --src-file: one or the other");
	if (pg->src_file) {
		if (pg->family != AF_INET)
			die("--src-file: IPv4 sources only");
		read_src_file(pg);
	}
	if (pg->src_arg) {
		int f = parse_range(pg->src_arg, pg->src_lo, pg->src_hi);

		if (f < 0)
			bad_arg("--src", pg->src_arg);
		if (f != pg->family)
			die("--src %s and --dst %s are of different families",
			    pg->src_arg, pg->dst_arg);
		pg->have_src = true;
	}
}

/* DEV's MTU, its MAC and, unless given, its first address of the family. */
static void dev_defaults(struct pg *pg)
{
	struct ifaddrs *ifa, *i;
	struct ifreq ifr = {};
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", pg->dev);
	pg->mtu = ioctl(fd, SIOCGIFMTU, &ifr) ? -1 : ifr.ifr_mtu;
	if (!pg->have_src_mac) {
		if (ioctl(fd, SIOCGIFHWADDR, &ifr))
			die("%s: cannot read its MAC: %s", pg->dev,
			    strerror(errno));
		memcpy(pg->src_mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	}
	close(fd);
	if (pg->have_src)
		return;
	if (getifaddrs(&ifa))
		die("getifaddrs: %s", strerror(errno));
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != pg->family ||
		    strcmp(i->ifa_name, pg->dev))
			continue;
		if (pg->family == AF_INET)
			memcpy(pg->src_lo,
			       &((struct sockaddr_in *)i->ifa_addr)->sin_addr,
			       4);
		else
			memcpy(pg->src_lo,
			       &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			       16);
		memcpy(pg->src_hi, pg->src_lo, 16);
		pg->have_src = true;
		break;
	}
	freeifaddrs(ifa);
	if (!pg->have_src)
		die("%s has no %s address: give --src", pg->dev,
		    pg->family == AF_INET ? "IPv4" : "IPv6");
}

static void put16(unsigned char *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(unsigned char *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* One's complement sum of native 16-bit loads, as the BPF side adds. */
static __u32 sum16(const unsigned char *p, unsigned int len)
{
	__u32 sum = 0;
	__u16 w;

	for (; len >= 2; p += 2, len -= 2) {
		memcpy(&w, p, 2);
		sum += w;
	}
	return sum;
}

/*
 * The frame handed to the test run (headers, then a zero payload) and the
 * BPF program's settings: its header copy, where the varying source word
 * and the checksums are, and the sums of everything else they cover.
 */
static void build_frame(struct pg *pg, struct pktgen_bpf__rodata *ro)
{
	bool v6 = pg->family == AF_INET6;
	unsigned int ip_len = v6 ? IP6_LEN : IP4_LEN;
	unsigned int l4_off = ETH_LEN + ip_len;
	unsigned int hdr_len = l4_off + (pg->tcp ? TCP_LEN : UDP_LEN);
	__u8 proto = pg->tcp ? IPPROTO_TCP : IPPROTO_UDP;
	unsigned char *f, *ip, *l4, pseudo[40], dst[16];
	unsigned int src_off, dst_off, l4csum_off, l4_len;
	__u32 first, last, dst_first, dst_last, l4_sum;

	if (!pg->size)
		pg->size = hdr_len > PG_MIN_SIZE ? hdr_len : PG_MIN_SIZE;
	if (pg->size < hdr_len)
		die("--size %u is less than the %u bytes of headers", pg->size,
		    hdr_len);
	/* A SYN carries no data: a longer frame is padded, as on a wire. */
	l4_len = pg->tcp ? TCP_LEN : pg->size - l4_off;
	if (pg->size > sysconf(_SC_PAGESIZE) - PG_PAGE_RESERVED)
		die("--size %u: a live frame must fit in a page, at most %ld",
		    pg->size, sysconf(_SC_PAGESIZE) - PG_PAGE_RESERVED);
	if (pg->mtu > 0 && pg->size > (unsigned int)pg->mtu + PG_MTU_EXTRA)
		fprintf(stderr,
			"pktgen: --size %u is more than %s's MTU %d + %d: a "
			"veth peer with that MTU drops the frames silently\n",
			pg->size, pg->dev, pg->mtu, PG_MTU_EXTRA);
	if (v6 && memcmp(pg->src_lo, pg->src_hi, 12))
		die("--src %s: an IPv6 range may vary only the last 32 bits",
		    pg->src_arg);
	first = low32(pg, pg->src_lo);
	last = low32(pg, pg->src_hi);
	if (last < first)
		die("--src %s: the range ends before it starts", pg->src_arg);
	if (v6 && memcmp(pg->dst_lo, pg->dst_hi, 12))
		die("--dst %s: an IPv6 range may vary only the last 32 bits",
		    pg->dst_arg);
	dst_first = low32(pg, pg->dst_lo);
	dst_last = low32(pg, pg->dst_hi);
	if (dst_last < dst_first)
		die("--dst %s: the range ends before it starts", pg->dst_arg);

	f = calloc(1, pg->size);
	if (!f)
		die("%s", strerror(ENOMEM));
	ip = f + ETH_LEN;
	l4 = f + l4_off;
	memcpy(f, pg->dst_mac, ETH_ALEN);
	memcpy(f + ETH_ALEN, pg->src_mac, ETH_ALEN);
	put16(f + 12, v6 ? ETH_P_IPV6 : ETH_P_IP);

	/*
	 * The source's last 32 bits stay zero: the program stores them.  So
	 * do the destination's if they vary.
	 */
	memcpy(dst, pg->dst_lo, 16);
	if (dst_last != dst_first)
		memset(dst + (v6 ? 12 : 0), 0, 4);
	if (v6) {
		put32(ip, 0x60000000);
		put16(ip + 4, l4_len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, pg->src_lo, 12);
		memcpy(ip + 24, dst, 16);
		src_off = ETH_LEN + 8 + 12;
		dst_off = ETH_LEN + 24 + 12;
		/* Pseudo-header: source, destination, length, next header. */
		memcpy(pseudo, ip + 8, 32);
		put32(pseudo + 32, l4_len);
		put32(pseudo + 36, proto);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, ip_len + l4_len);
		put16(ip + 6, 0x4000); /* DF, as Linux sends UDP and TCP */
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 16, dst, 4);
		src_off = ETH_LEN + 12;
		dst_off = ETH_LEN + 16;
		ro->pg_ipcsum_off = ETH_LEN + 10;
		ro->pg_ip_sum = sum16(ip, IP4_LEN);
		/* Pseudo-header: source, destination, zero, protocol, length. */
		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = proto;
		put16(pseudo + 10, l4_len);
	}
	/* Random fields stay zero here: the program adds them per frame. */
	put16(l4, pg->random ? 0 : pg->sport);
	put16(l4 + 2, pg->dport);
	if (pg->tcp) {
		put32(l4 + 4, pg->random ? 0 : 1); /* sequence number */
		l4[12] = 5 << 4; /* data offset: no options */
		l4[13] = 0x02; /* SYN */
		put16(l4 + 14, 64240);
		l4csum_off = l4_off + 16;
	} else {
		put16(l4 + 4, l4_len);
		l4csum_off = l4_off + 6;
	}
	/* A range of ports: the program writes and sums each frame's. */
	if (pg->dport_hi != pg->dport) {
		put16(l4 + 2, 0);
		ro->pg_dport_off = l4_off + 2;
		ro->pg_dport_first = pg->dport;
		ro->pg_dport_count = pg->dport_hi - pg->dport + 1;
	}
	/* The payload is zero and adds nothing to the sum. */
	l4_sum = sum16(pseudo, v6 ? 40 : 12) + sum16(l4, hdr_len - l4_off);

	memcpy((void *)ro->pg_hdr, f, hdr_len);
	ro->pg_hdr_len = hdr_len;
	ro->pg_src_off = src_off;
	ro->pg_l4csum_off = l4csum_off;
	ro->pg_udp = !pg->tcp;
	ro->pg_l4_sum = l4_sum;
	ro->pg_src_first = first;
	ro->pg_src_count = last - first + 1; /* 2^32 wraps to 0, as meant */
	if (dst_last != dst_first) {
		ro->pg_dst_off = dst_off;
		ro->pg_dst_first = dst_first;
		ro->pg_dst_count = dst_last - dst_first + 1;
	}
	if (pg->nsrcs) {
		ro->pg_src_table = 1;
		ro->pg_src_count = pg->nsrcs;
	}
	if (pg->random) {
		ro->pg_random = 1;
		ro->pg_sport_off = l4_off;
		ro->pg_seq_off = pg->tcp ? l4_off + 4 : 0;
	}
	ro->pg_ifindex = pg->ifindex;
	pg->frame = f;
}

/* The source table, in one batch call where the kernel has them. */
static void fill_srcs(const struct pg *pg, int fd)
{
	__u32 *keys = malloc(pg->nsrcs * sizeof(*keys)), i, n = pg->nsrcs;
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	int err;

	if (!keys)
		die("%s", strerror(ENOMEM));
	for (i = 0; i < n; i++)
		keys[i] = i;
	err = bpf_map_update_batch(fd, keys, pg->srcs, &n, &o);
	for (i = err ? 0 : pg->nsrcs; i < pg->nsrcs; i++)
		if (bpf_map_update_elem(fd, &keys[i], &pg->srcs[i], BPF_ANY))
			die("--src-file: cannot fill the source table: %s",
			    strerror(errno));
	free(keys);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts = { .tv_sec = t, .tv_nsec = (t - (long)t) * 1e9 };

	/* A signal ends the sleep early; the caller then sees stop. */
	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* One test run: n frames out of the device. */
static int xmit(const struct pg *pg, __u32 n)
{
	struct xdp_md ctx = { .data_end = pg->size,
			      .ingress_ifindex = pg->ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pg->frame,
		    .data_size_in = pg->size, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = n,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .batch_size = pg->batch);

	return bpf_prog_test_run_opts(pg->prog_fd, &o);
}

/*
 * A counter of DEV's from sysfs, -1 if it does not show.  On a veth,
 * tx_packets counts what the peer's NAPI took and tx_dropped what did not
 * fit in the peer's ring.
 */
static long long dev_stat(const char *dev, const char *name)
{
	char path[64 + IF_NAMESIZE];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s", dev,
		 name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static unsigned long long min_ull(unsigned long long a, unsigned long long b)
{
	return a < b ? a : b;
}

/*
 * Send until the count, the duration or a signal; returns the seconds the
 * sending took.  Paced, frame k is due at k / rate from the start (see
 * the top of this file); with a duration the count is rate * duration.
 */
static double run(struct pg *pg, volatile __u64 *frames)
{
	unsigned long long count = pg->count, sent, n;
	double start, end, el, tick = 0;
	int err;

	/* Wake for a tick's frames, so a high rate is not a wake per frame. */
	if (pg->rate && pg->rate * PG_TICK_S > 1)
		tick = PG_TICK_S - 1 / pg->rate;
	if (pg->rate && pg->duration) {
		/* Rounded up, without libm, which the build does not link. */
		double want = pg->rate * pg->duration;
		unsigned long long due = want;

		if (due < want)
			due++;
		count = count ? min_ull(count, due) : due;
	}
	start = now();
	for (;;) {
		sent = *frames;
		if (stop || (count && sent >= count))
			break;
		n = PG_RUN_MAX;
		if (count)
			n = min_ull(n, count - sent);
		if (pg->rate) {
			/* Frames 0 .. el * rate are due by now. */
			unsigned long long due =
				(unsigned long long)((now() - start) *
						     pg->rate) +
				1;

			if (due <= sent) {
				sleep_until(start + sent / pg->rate + tick);
				continue;
			}
			n = min_ull(n, due - sent);
		} else if (pg->duration) {
			el = now() - start;
			if (el >= pg->duration)
				break;
			if (!sent)
				n = min_ull(n, PG_RUN_FIRST);
			else
				n = min_ull(n, (pg->duration - el) * sent / el +
						       PG_RUN_MIN);
		}
		err = xmit(pg, n);
		if (err == -EINTR)
			break;
		if (err)
			die("%s: test run: %s", pg->dev, strerror(-err));
	}
	end = now();
	el = end - start;
	/*
	 * A paced send that kept up sent its last frame at (count - 1) /
	 * rate; the schedule, count / rate, is what it offered.
	 */
	if (pg->rate && *frames / pg->rate > el)
		el = *frames / pg->rate;
	return el;
}

/*
 * Attach the program to lo in generic mode so that it stays in the XDP
 * dispatcher (see the top); returns the link's fd or a negative errno.
 */
static int keep_resident(const struct pg *pg)
{
	LIBBPF_OPTS(bpf_link_create_opts, o, .flags = XDP_FLAGS_SKB_MODE);
	int lo = if_nametoindex("lo"), fd;

	if (!lo)
		return -ENODEV;
	/* On lo the guard in the program could not tell them apart. */
	if (lo == pg->ifindex)
		return 0;
	fd = bpf_link_create(pg->prog_fd, lo, BPF_XDP, &o);
	return fd; /* libbpf returns -errno */
}

/* A device name may hold any byte but '/', ':', NUL and white space. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void report(const struct pg *pg, unsigned long long frames, double secs,
		   long long dropped)
{
	unsigned long long bytes = frames * pg->size;
	double pps = secs > 0 ? frames / secs : 0;

	if (pg->json) {
		printf("{\"device\":");
		json_str(pg->dev);
		printf(",\"packets\":%llu,\"bytes\":%llu,\"seconds\":%.6f,"
		       "\"pps\":%.0f,\"bps\":%.0f,\"tx_dropped\":",
		       frames, bytes, secs, pps, pps * pg->size * 8);
		if (dropped < 0)
			printf("null}\n");
		else
			printf("%lld}\n", dropped);
		return;
	}
	printf("%s: sent %llu packets, %llu bytes in %.3f s: %.0f pps, "
	       "%.3f Gbit/s",
	       pg->dev, frames, bytes, secs, pps, pps * pg->size * 8 / 1e9);
	if (dropped > 0)
		printf("; %s tx_dropped %lld", pg->dev, dropped);
	putchar('\n');
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	long long tx0, drop0, tx1, drop1;
	struct pktgen_bpf *skel;
	struct pg pg = {};
	int err, link;
	double secs;

	parse_args(&pg, argc, argv);
	libbpf_set_print(libbpf_print);

	pg.ifindex = if_nametoindex(pg.dev);
	if (!pg.ifindex)
		die("%s: no such device", pg.dev);
	dev_defaults(&pg);
	if (pg.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(pg.cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("--cpu %d: %s", pg.cpu, strerror(errno));
	}

	skel = pktgen_bpf__open();
	if (!skel)
		die("cannot open the BPF program: %s", strerror(errno));
	build_frame(&pg, skel->rodata);
	if (pg.nsrcs && bpf_map__set_max_entries(skel->maps.pg_srcs, pg.nsrcs))
		die("--src-file: cannot size the source table");
	err = pktgen_bpf__load(skel);
	if (err)
		die("cannot load the BPF program: %s (-v shows why)",
		    strerror(-err));
	if (pg.nsrcs)
		fill_srcs(&pg, bpf_map__fd(skel->maps.pg_srcs));
	pg.prog_fd = bpf_program__fd(skel->progs.pg_xmit);
	link = keep_resident(&pg);
	if (link < 0)
		fprintf(stderr,
			"pktgen: lo will not hold the program (%s): each test "
			"run costs about 24 ms more\n",
			strerror(-link));

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	tx0 = dev_stat(pg.dev, "tx_packets");
	drop0 = dev_stat(pg.dev, "tx_dropped");
	secs = run(&pg, &skel->bss->pg_frames);
	tx1 = dev_stat(pg.dev, "tx_packets");
	drop1 = dev_stat(pg.dev, "tx_dropped");
	if (tx1 == tx0 && drop1 == drop0 && tx0 >= 0 && drop0 >= 0 &&
	    skel->bss->pg_frames) {
		/* A peer NAPI on another CPU may still be at it. */
		usleep(100000);
		tx1 = dev_stat(pg.dev, "tx_packets");
		if (tx1 == tx0)
			fprintf(stderr,
				"pktgen: %s counted no frame sent or dropped: a "
				"veth drops frames silently when its peer has no "
				"NAPI (XDP program or GRO) or a smaller MTU\n",
				pg.dev);
	}

	report(&pg, skel->bss->pg_frames, secs,
	       drop0 < 0 || drop1 < 0 ? -1 : drop1 - drop0);
	if (link > 0)
		close(link);
	pktgen_bpf__destroy(skel);
	free(pg.frame);
	free(pg.srcs);
	return 0;
}
