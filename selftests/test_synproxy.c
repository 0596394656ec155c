/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * syn-proxy through bpf_prog_test_run, on both entries, in a network
 * namespace of the test's own with listeners on 127.0.0.1:8080 and
 * [::1]:8080 (bpf_prog_test_run runs on that namespace's loopback),
 * tcp_syncookies=2 and tcp_timestamps=2:
 * - a SYN with MSS, SACK, timestamps and window scale comes back as its
 *   SYN-ACK: MACs, addresses and ports swapped, ack = seq + 1, SYN|ACK,
 *   the options the cookie keeps, the window scale the sysctls give, the
 *   client's timestamp echoed, valid IPv4 and TCP checksums;
 * - the ACK completing it (seq + 1, ack = cookie + 1) passes with reason
 *   cookie-valid; one with the cookie's count bits changed is dropped,
 *   cookie-invalid;
 * - a SYN to a port with no listener goes to the kernel, no-listener;
 * - under a flood (a CPU's SYNs past the threshold) a SYN to a listener
 *   found lately is answered without a lookup, and the ACK of its cookie
 *   checks; the shortcut outlives the listener by at most a second, after
 *   which the lookup is back (no-listener).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "apply.h"
#include "config.h"
#include "dataplane.h"
#include "dpbind.h"
#include "synproxy.h"

#define PORT 8080
#define CLIENT_SEQ 0x11223344u
#define CLIENT_TSVAL 0xa0b0c0d0u

static struct sl_dp *dp;
static int trace_fd;

static const __u8 client_mac[6] = { 2, 0, 0, 0, 0, 1 };
static const __u8 server_mac[6] = { 2, 0, 0, 0, 0, 2 };

/* One's complement sum of big-endian 16-bit words. */
static __u32 sum16(const __u8 *p, size_t len, __u32 s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += p[i] << 8 | p[i + 1];
	if (len & 1)
		s += p[len - 1] << 8;
	return s;
}

static __u16 fold(__u32 s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(__u8 *p, __u32 v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static __u32 get32(const __u8 *p)
{
	return (__u32)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* The TCP checksum over the segment and its pseudo-header, set. */
static void tcp_csum(__u8 *f, bool v6, size_t l4, size_t tcplen)
{
	__u8 pseudo[40] = {};
	__u32 s;

	if (v6) {
		memcpy(pseudo, f + 14 + 8, 32);
		s = sum16(pseudo, 32, 0) + tcplen + IPPROTO_TCP;
	} else {
		memcpy(pseudo, f + 14 + 12, 8);
		s = sum16(pseudo, 8, 0) + tcplen + IPPROTO_TCP;
	}
	put16(f + l4 + 16, 0);
	put16(f + l4 + 16, ~fold(sum16(f + l4, tcplen, s)));
}

/* A frame from the client to the server's port; returns its length. */
static size_t frame(__u8 *f, bool v6, __u16 dport, __u8 flags, __u32 seq,
		    __u32 ack, bool opts)
{
	size_t l3 = 14, l4 = v6 ? 54 : 34, tcplen = opts ? 40 : 20;
	__u8 *t = f + l4;

	memset(f, 0, l4 + tcplen);
	memcpy(f, server_mac, 6);
	memcpy(f + 6, client_mac, 6);
	put16(f + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		f[l3] = 0x60;
		put16(f + l3 + 4, tcplen);
		f[l3 + 6] = IPPROTO_TCP;
		f[l3 + 7] = 64;
		f[l3 + 8 + 15] = 1; /* ::1 */
		f[l3 + 24 + 15] = 1;
	} else {
		f[l3] = 0x45;
		put16(f + l3 + 2, 20 + tcplen);
		f[l3 + 8] = 64;
		f[l3 + 9] = IPPROTO_TCP;
		put32(f + l3 + 12, 0x7f000001);
		put32(f + l3 + 16, 0x7f000001);
		put16(f + l3 + 10, ~fold(sum16(f + l3, 20, 0)));
	}
	put16(t, 40000);
	put16(t + 2, dport);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (tcplen / 4) << 4;
	t[13] = flags;
	put16(t + 14, 64240);
	if (opts) {
		/* mss 1460, sackOK, TS val ecr 0, nop, wscale 7: Linux's SYN. */
		const __u8 o[20] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0,
				     0, 0, 0,	 0,    0, 0, 1, 3,  3, 7 };

		memcpy(t + 20, o, sizeof(o));
		put32(t + 28, CLIENT_TSVAL);
	}
	tcp_csum(f, v6, l4, tcplen);
	return l4 + tcplen;
}

static int run(enum sluice_hook hook, const __u8 *in, size_t len, __u8 *out,
	       __u32 *out_len, struct sluice_trace *tr)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len,
		    .data_out = out, .data_size_out = *out_len);
	__u32 zero = 0;

	assert_int_equal(bpf_prog_test_run_opts(sl_dp_prog_fd(dp, hook), &o),
			 0);
	*out_len = o.data_size_out;
	assert_int_equal(bpf_map_lookup_elem(trace_fd, &zero, tr), 0);
	return o.retval;
}

static int listener(int family, __u16 port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET,
				  .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(family, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	assert_int_equal(family == AF_INET6 ?
				 bind(fd, (void *)&a6, sizeof(a6)) :
				 bind(fd, (void *)&a4, sizeof(a4)),
			 0);
	assert_int_equal(listen(fd, 16), 0);
	return fd;
}

static void write_sysctl(const char *path, const char *v)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(v, f);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	struct sl_dp_opts opts = { .trace = true };
	char err[SL_ERR_LEN] = "";
	struct ifreq ifr = { .ifr_name = "lo" };
	struct sl_config cfg;
	int fd;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		return -1;
	close(fd);
	write_sysctl("/proc/sys/net/ipv4/tcp_syncookies", "2");
	write_sysctl("/proc/sys/net/ipv4/tcp_timestamps", "2");
	listener(AF_INET, PORT);
	listener(AF_INET6, PORT);
	if (sl_config_load_buf(
		    "synproxy.conf",
		    "rule add 10 proto tcp dport 8080-8081 syn-proxy\n", &cfg,
		    err, sizeof(err)) ||
	    sl_dp_open(&opts, &dp, err, sizeof(err)) ||
	    sl_apply_config(dp, &cfg, err, sizeof(err))) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	sl_config_free(&cfg);
	if (dp_bind_slot(dp, "lo", TESTRUN_IFINDEX) < 0)
		return -1;
	trace_fd = bpf_object__find_map_fd_by_name(sl_dp_object(dp), "sl_last");
	return trace_fd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	sl_dp_close(dp);
	return 0;
}

static void handshake(bool v6, enum sluice_hook hook)
{
	__u8 in[128], out[256];
	size_t l3 = 14, l4 = v6 ? 54 : 34, len;
	struct sluice_trace tr;
	struct sluice_synproxy_cfg want;
	__u32 out_len = sizeof(out), cookie, s, tsval;
	const __u8 *t = out + l4;
	int ret;

	assert_int_equal(sl_synproxy_cfg_read(NULL, &want), 0);
	len = frame(in, v6, PORT, 0x02, CLIENT_SEQ, 0, true);
	ret = run(hook, in, len, out, &out_len, &tr);
	assert_int_equal(ret, hook == SLUICE_HOOK_XDP ? XDP_TX : 7);
	assert_int_equal(tr.action, SLUICE_ACT_SYN_PROXY);
	assert_int_equal(tr.reason, SLUICE_REASON_SYNCOOKIE_SENT);
	assert_int_equal(tr.prio, 10);

	/* Ethernet and IP: swapped, lengths and checksum right. */
	assert_int_equal(out_len, l4 + 40);
	assert_memory_equal(out, client_mac, 6);
	assert_memory_equal(out + 6, server_mac, 6);
	if (v6) {
		assert_int_equal(out[l3 + 4] << 8 | out[l3 + 5], 40);
		assert_int_equal(out[l3 + 6], IPPROTO_TCP);
		s = sum16(out + l3 + 8, 32, 0) + 40 + IPPROTO_TCP;
	} else {
		assert_int_equal(out[l3 + 2] << 8 | out[l3 + 3], 60);
		assert_int_equal(fold(sum16(out + l3, 20, 0)), 0xffff);
		s = sum16(out + l3 + 12, 8, 0) + 40 + IPPROTO_TCP;
	}
	/* TCP: the checksum holds over the pseudo-header. */
	assert_int_equal(fold(sum16(t, 40, s)), 0xffff);
	assert_int_equal(t[0] << 8 | t[1], PORT);
	assert_int_equal(t[2] << 8 | t[3], 40000);
	assert_int_equal(get32(t + 8), CLIENT_SEQ + 1);
	assert_int_equal(t[12] >> 4, 10);
	assert_int_equal(t[13], 0x12); /* SYN|ACK */
	/* MSS of lo's MTU; SACK, timestamps, window scale as the kernel's. */
	assert_int_equal(t[20], 2);
	assert_int_equal(t[21], 4);
	assert_int_equal(t[22] << 8 | t[23], v6 ? 65536 - 60 : 65536 - 40);
	assert_int_equal(t[24], 4); /* SACK permitted */
	assert_int_equal(t[25], 2);
	assert_int_equal(t[26], 8); /* timestamps */
	assert_int_equal(t[27], 10);
	tsval = get32(t + 28);
	/* The low 6 bits: the client's scale 7, SACK (net/ipv4/syncookies.c). */
	assert_int_equal(tsval & 0x3f, 0x10 | 7);
	assert_int_equal(get32(t + 32), CLIENT_TSVAL);
	assert_int_equal(t[36], 1);
	assert_int_equal(t[37], 3);
	assert_int_equal(t[38], 3);
	assert_int_equal(t[39], want.wscale);
	cookie = get32(t + 4);

	/* The ACK that completes it: the cookie checks. */
	len = frame(in, v6, PORT, 0x10, CLIENT_SEQ + 1, cookie + 1, false);
	out_len = sizeof(out);
	ret = run(hook, in, len, out, &out_len, &tr);
	assert_int_equal(ret, hook == SLUICE_HOOK_XDP ? XDP_PASS : 0);
	assert_int_equal(tr.reason, SLUICE_REASON_COOKIE_VALID);

	/*
	 * Another minute's count: it does not.  (A low bit would not do: it
	 * shifts the MSS index the cookie carries, often to another valid
	 * one.)
	 */
	len = frame(in, v6, PORT, 0x10, CLIENT_SEQ + 1,
		    (cookie + 1) ^ 0x55000000, false);
	out_len = sizeof(out);
	ret = run(hook, in, len, out, &out_len, &tr);
	assert_int_equal(ret, hook == SLUICE_HOOK_XDP ? XDP_DROP : 2);
	assert_int_equal(tr.action, SLUICE_ACT_DROP);
	assert_int_equal(tr.reason, SLUICE_REASON_COOKIE_INVALID);

	/* No listener on 8081: the kernel's to answer. */
	len = frame(in, v6, PORT + 1, 0x02, CLIENT_SEQ, 0, true);
	out_len = sizeof(out);
	ret = run(hook, in, len, out, &out_len, &tr);
	assert_int_equal(ret, hook == SLUICE_HOOK_XDP ? XDP_PASS : 0);
	assert_int_equal(tr.reason, SLUICE_REASON_NO_LISTENER);
}

/*
 * n SYNs to port (one run each: a run's repeats would see the first's
 * SYN-ACK); the last one's reason, and its cookie if it got one.
 */
static __u32 syn(bool v6, enum sluice_hook hook, __u16 port, int n,
		 __u32 *cookie)
{
	__u8 in[128], out[256];
	struct sluice_trace tr;
	__u32 out_len;
	size_t len;

	len = frame(in, v6, port, 0x02, CLIENT_SEQ, 0, true);
	while (n--) {
		out_len = sizeof(out);
		run(hook, in, len, out, &out_len, &tr);
	}
	if (cookie && tr.reason == SLUICE_REASON_SYNCOOKIE_SENT)
		*cookie = get32(out + (v6 ? 54 : 34) + 4);
	return tr.reason;
}

/*
 * SYNs to port until CPU 0 counts a flood (the threshold in one
 * window or the last, bpf/synproxy.h): on a loaded machine 1,100 runs
 * may take longer than two windows.  The reason of the last.
 */
static __u32 flood_on(bool v6, enum sluice_hook hook, __u16 port)
{
	int fd = bpf_object__find_map_fd_by_name(sl_dp_object(dp),
						 "sl_sp_flood");
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0, reason = 0, syns, last;
	int i, ncpus = libbpf_num_possible_cpus();
	__u8 *all;

	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	all = calloc(ncpus, (info.value_size + 7) & ~7u);
	assert_non_null(all);
	for (i = 0; i < 100; i++) {
		reason = syn(v6, hook, port, 256, NULL);
		/* struct sl_sp_flood: window (8 bytes), syns, last. */
		assert_int_equal(bpf_map_lookup_elem(fd, &zero, all), 0);
		memcpy(&syns, all + 8, 4);
		memcpy(&last, all + 12, 4);
		if (syns >= 1024 || last >= 1024)
			break;
	}
	free(all);
	assert_true(i < 100);
	return reason;
}

static void flood(bool v6, enum sluice_hook hook)
{
	int fd = listener(v6 ? AF_INET6 : AF_INET, PORT + 1);
	__u8 in[128], out[256];
	__u32 out_len = sizeof(out), cookie = 0;
	struct sluice_trace tr;
	cpu_set_t cpus;
	size_t len;

	/* The flood's count and the listeners found are per CPU. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	assert_int_equal(sched_setaffinity(0, sizeof(cpus), &cpus), 0);

	/* Past the threshold, with the listener found on the way. */
	assert_int_equal(flood_on(v6, hook, PORT + 1),
			 SLUICE_REASON_SYNCOOKIE_SENT);
	assert_int_equal(syn(v6, hook, PORT + 1, 1, &cookie),
			 SLUICE_REASON_SYNCOOKIE_SENT);
	len = frame(in, v6, PORT + 1, 0x10, CLIENT_SEQ + 1, cookie + 1, false);
	run(hook, in, len, out, &out_len, &tr);
	assert_int_equal(tr.reason, SLUICE_REASON_COOKIE_VALID);

	/* No lookup: the listener gone this instant still gets cookies... */
	close(fd);
	assert_int_equal(syn(v6, hook, PORT + 1, 1, NULL),
			 SLUICE_REASON_SYNCOOKIE_SENT);
	/* ...for a second at most, flood or not. */
	usleep(1100 * 1000);
	assert_int_equal(flood_on(v6, hook, PORT),
			 SLUICE_REASON_SYNCOOKIE_SENT);
	assert_int_equal(syn(v6, hook, PORT + 1, 1, NULL),
			 SLUICE_REASON_NO_LISTENER);
}

static void test_v4_xdp(void **state)
{
	handshake(false, SLUICE_HOOK_XDP);
}

static void test_v4_tc(void **state)
{
	handshake(false, SLUICE_HOOK_TC);
}

static void test_v6_xdp(void **state)
{
	handshake(true, SLUICE_HOOK_XDP);
}

static void test_v6_tc(void **state)
{
	handshake(true, SLUICE_HOOK_TC);
}

static void test_flood_v4_xdp(void **state)
{
	flood(false, SLUICE_HOOK_XDP);
}

static void test_flood_v6_tc(void **state)
{
	flood(true, SLUICE_HOOK_TC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_xdp),
		cmocka_unit_test(test_v4_tc),
		cmocka_unit_test(test_v6_xdp),
		cmocka_unit_test(test_v6_tc),
		cmocka_unit_test(test_flood_v4_xdp),
		cmocka_unit_test(test_flood_v6_tc),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
