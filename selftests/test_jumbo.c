/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Frames larger than a page, judged on the whole frame on both hooks.
 *
 * The production object is loaded with trace on, and each case -- 1,500,
 * 4,000 and 9,000-byte frames, TCP to a dropped port, UDP to a passed one
 * and to no rule, IPv4 and IPv6, a transport header pushed past the linear
 * part by IPv6 extension headers, an IP length one byte over the frame --
 * runs three ways, each checking the verdict, the deciding rule and reason
 * and that exactly the expected counters moved by one packet and the
 * frame's whole length:
 *
 *  - bpf_prog_test_run on sl_xdp, where a frame over ~3,500 bytes becomes
 *    a multi-buffer xdp_buff (linear part, then page fragments), as a
 *    jumbo frame from a multi-buffer driver does; the output must be the
 *    input, fragments included.
 *  - bpf_prog_test_run on sl_tc.  The kernel's skb harness takes only
 *    frames that fit in one page (6.18: about 3,700 bytes) and refuses the
 *    rest with EINVAL before the program runs: for those the test checks
 *    the refusal and that nothing counted, and the live runs below judge
 *    tc.
 *  - live: a veth pair at MTU 9000 in a network namespace of the test's
 *    own (unshare), sl_xdp attached native (veth refuses a program without
 *    frags support at that MTU) or sl_tc on clsact ingress, the frame sent
 *    by a packet socket on the peer.  A packet socket sends a large frame
 *    as an skb with only the Ethernet header in its linear part, so tc
 *    sees paged data and veth's XDP a multi-buffer frame.  On XDP a packet
 *    socket on the receiving end must see a passed frame and not a dropped
 *    one (on tc it sees both: taps come before tc ingress).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "apply.h"
#include "attach.h"
#include "config.h"
#include "counters.h"
#include "dataplane.h"
#include "dpbind.h"
#include "grammar.h"
#include "pkt.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define FRAME_MAX 9100
#define MTU 9000
#define SENDER "jb0"
#define RECEIVER "jb1"

#define IP_DSTOPTS 60

static const char config[] = "rule add 100 proto tcp dport 22 drop\n"
			     "rule add 200 proto udp dport 53 pass\n";

struct jcase {
	const char *desc;
	int family;
	uint8_t proto;
	uint16_t dport;
	size_t size; /* the whole frame */
	size_t ext; /* IPv6: bytes of destination options before L4 */
	int lie; /* the IP length claims this many bytes more */
	enum sluice_action action;
	unsigned int prio;
	enum sluice_reason reason;
};

#define DROP22(fam, sz)                                                  \
	{                                                                \
		"TCP SYN to 22, IPv" #fam ", " #sz " bytes: drop", fam,  \
			IPPROTO_TCP, 22, sz, 0, 0, SLUICE_ACT_DROP, 100, \
			SLUICE_REASON_RULE                               \
	}
#define PASS53(fam, sz)                                                     \
	{                                                                   \
		"UDP to 53, IPv" #fam ", " #sz " bytes: pass by rule", fam, \
			IPPROTO_UDP, 53, sz, 0, 0, SLUICE_ACT_PASS, 200,    \
			SLUICE_REASON_RULE                                  \
	}
#define POLICY(fam, sz)                                                    \
	{                                                                  \
		"UDP to 54, IPv" #fam ", " #sz " bytes: policy pass", fam, \
			IPPROTO_UDP, 54, sz, 0, 0, SLUICE_ACT_PASS, 0,     \
			SLUICE_REASON_POLICY                               \
	}

static const struct jcase cases[] = {
	DROP22(4, 1500),
	DROP22(4, 4000),
	DROP22(4, 9000),
	DROP22(6, 1500),
	DROP22(6, 4000),
	DROP22(6, 9000),
	PASS53(4, 1500),
	PASS53(4, 4000),
	PASS53(4, 9000),
	PASS53(6, 1500),
	PASS53(6, 4000),
	PASS53(6, 9000),
	POLICY(4, 9000),
	POLICY(6, 4000),
	/* The transport header lies past any linear part: read where it is. */
	{ "TCP to 22 behind 4,096 bytes of IPv6 destination options, 9000 bytes: drop",
	  6, IPPROTO_TCP, 22, 9000, 4096, 0, SLUICE_ACT_DROP, 100,
	  SLUICE_REASON_RULE },
	{ "UDP to 53 behind 6,144 bytes of IPv6 destination options, 9000 bytes: pass",
	  6, IPPROTO_UDP, 53, 9000, 6144, 0, SLUICE_ACT_PASS, 200,
	  SLUICE_REASON_RULE },
	/* Lengths are checked against the whole frame, not less, not more. */
	{ "IPv4 length one byte past a 9000-byte frame: malformed", 4,
	  IPPROTO_TCP, 22, 9000, 0, 1, SLUICE_ACT_PASS, 0,
	  SLUICE_REASON_MALFORMED },
	{ "IPv6 length one byte past a 4000-byte frame: malformed", 6,
	  IPPROTO_UDP, 53, 4000, 0, 1, SLUICE_ACT_PASS, 0,
	  SLUICE_REASON_MALFORMED },
};

/* Building frames of any size (pkt.h stops at 2 KB). */

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static uint32_t sum16(const uint8_t *b, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += b[i] << 8 | b[i + 1];
	if (n & 1)
		s += b[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/* Destination options headers filling n bytes (a multiple of 8), PadN. */
static size_t put_dstopts(uint8_t *b, size_t n, uint8_t last_next)
{
	size_t off = 0;

	while (off < n) {
		size_t hl = n - off > 2048 ? 2048 : n - off, r = hl - 2, o = 2;

		b[off] = off + hl < n ? IP_DSTOPTS : last_next;
		b[off + 1] = hl / 8 - 1;
		while (r) {
			size_t pad = r == 1 ? 0 : (r - 2 > 255 ? 255 : r - 2);

			if (r == 1) {
				b[off + o] = 0; /* Pad1 */
				o++;
				r--;
				continue;
			}
			/* Keep a remainder of 1 away: it would need Pad1s. */
			if (r - 2 - pad == 1)
				pad--;
			b[off + o] = 1; /* PadN */
			b[off + o + 1] = pad;
			memset(b + off + o + 2, 0, pad);
			o += pad + 2;
			r -= pad + 2;
		}
		off += hl;
	}
	return n;
}

static size_t build(uint8_t *b, const struct jcase *c)
{
	static const uint8_t dmac[] = { 2, 0, 0, 0, 0, 2 };
	static const uint8_t smac[] = { 2, 0, 0, 0, 0, 1 };
	size_t l3 = 14, l4, l4len, i;
	uint32_t s;

	memset(b, 0, c->size);
	memcpy(b, dmac, 6);
	memcpy(b + 6, smac, 6);
	if (c->family == 4) {
		put16(b + 12, ETH_P_IP);
		b[l3] = 0x45;
		put16(b + l3 + 2, c->size - l3 + c->lie);
		b[l3 + 8] = 64;
		b[l3 + 9] = c->proto;
		inet_pton(AF_INET, "198.51.100.1", b + l3 + 12);
		inet_pton(AF_INET, "203.0.113.1", b + l3 + 16);
		put16(b + l3 + 10, fold(sum16(b + l3, 20, 0)));
		l4 = l3 + 20;
	} else {
		put16(b + 12, ETH_P_IPV6);
		b[l3] = 0x60;
		put16(b + l3 + 4, c->size - l3 - 40 + c->lie);
		b[l3 + 6] = c->ext ? IP_DSTOPTS : c->proto;
		b[l3 + 7] = 64;
		inet_pton(AF_INET6, "2001:db8:100::1", b + l3 + 8);
		inet_pton(AF_INET6, "2001:db8:200::1", b + l3 + 24);
		l4 = l3 + 40 + put_dstopts(b + l3 + 40, c->ext, c->proto);
	}
	l4len = c->size - l4;
	for (i = l4; i < c->size; i++)
		b[i] = i & 0xff;
	put16(b + l4, 40000);
	put16(b + l4 + 2, c->dport);
	if (c->proto == IPPROTO_TCP) {
		memset(b + l4 + 4, 0, 16);
		b[l4 + 7] = 1; /* seq 1 */
		b[l4 + 12] = 5 << 4;
		b[l4 + 13] = PKT_SYN;
		put16(b + l4 + 14, 65535);
	} else {
		put16(b + l4 + 4, l4len);
		put16(b + l4 + 6, 0);
	}
	/* The pseudo header, then the transport header and payload. */
	if (c->family == 4)
		s = sum16(b + l3 + 12, 8, 0);
	else
		s = sum16(b + l3 + 8, 32, 0);
	s += c->proto + (l4len >> 16) + (l4len & 0xffff);
	s = sum16(b + l4, l4len, s);
	put16(b + l4 + (c->proto == IPPROTO_TCP ? 16 : 6), fold(s) ?: 0xffff);
	return c->size;
}

/* The data plane, bound to the test-run loopback and to the live veth. */

static struct sl_dp *dp;
static struct sl_config cfg;
static unsigned int slot_tr, slot_live;
static int rx_ifindex, tx_ifindex;
static struct cnt_scope scope_tr, scope_live;

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	if (ret)
		fprintf(stderr, "# %s: exit %d\n", cmd, ret);
	return ret;
}

static int write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -errno;
	ret = fputs(s, f) < 0 ? -EIO : 0;
	return fclose(f) ? -errno : ret;
}

/*
 * A namespace of our own, no IPv6 and no addresses, so nothing but the
 * test's frames ever crosses the veth (no ND, MLD, ARP).
 */
static int lab_setup(void)
{
	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "# unshare(CLONE_NEWNET): %s\n",
			strerror(errno));
		return -1;
	}
	if (write_str("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1") ||
	    write_str("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1"))
		return -1;
	if (run("ip link set lo up") ||
	    run("ip link add " SENDER " mtu %d type veth peer name " RECEIVER
		" mtu %d",
		MTU, MTU) ||
	    run("ip link set " SENDER " up && ip link set " RECEIVER " up"))
		return -1;
	tx_ifindex = if_nametoindex(SENDER);
	rx_ifindex = if_nametoindex(RECEIVER);
	return tx_ifindex && rx_ifindex ? 0 : -1;
}

static int group_setup(void **state)
{
	struct sl_dp_opts opts = { .trace = true };
	char err[SL_ERR_LEN] = "";
	size_t i;
	int ret;

	if (lab_setup())
		return -1;
	if (sl_config_load_buf("jumbo.conf", config, &cfg, err, sizeof(err)) ||
	    sl_dp_open(&opts, &dp, err, sizeof(err)) ||
	    sl_apply_config(dp, &cfg, err, sizeof(err))) {
		fprintf(stderr, "# loading: %s\n", err);
		return -1;
	}
	ret = dp_bind_slot(dp, "eth0", TESTRUN_IFINDEX);
	if (ret < 0)
		return -1;
	slot_tr = ret;
	ret = dp_bind_slot(dp, RECEIVER, rx_ifindex);
	if (ret < 0)
		return -1;
	slot_live = ret;
	scope_tr = (struct cnt_scope){ .slot = slot_tr, .other = slot_live };
	scope_live = (struct cnt_scope){ .slot = slot_live, .other = slot_tr };
	for (i = 0; i < cfg.nrules; i++) {
		cnt_scope_prio(&scope_tr, cfg.rules[i].prio);
		cnt_scope_prio(&scope_live, cfg.rules[i].prio);
	}
	return 0;
}

static int group_teardown(void **state)
{
	/* The namespace, its veths and attachments go with the process. */
	sl_dp_close(dp);
	sl_config_free(&cfg);
	return 0;
}

static __u32 want_retval(enum sluice_hook hook, enum sluice_action a)
{
	if (hook == SLUICE_HOOK_TC)
		return a == SLUICE_ACT_DROP ? TC_ACT_SHOT : TC_ACT_OK;
	return a == SLUICE_ACT_DROP ? XDP_DROP : XDP_PASS;
}

static void check_trace(const struct jcase *c)
{
	struct sluice_trace t;

	assert_int_equal(sl_dp_last_trace(dp, &t), 0);
	if (t.prio != c->prio || t.reason != c->reason || t.action != c->action)
		print_message("# got rule %u reason %s action %s\n", t.prio,
			      sl_reason_name(t.reason),
			      sl_action_name(t.action));
	assert_int_equal(t.prio, c->prio);
	assert_string_equal(sl_reason_name(t.reason),
			    sl_reason_name(c->reason));
	assert_string_equal(sl_action_name(t.action),
			    sl_action_name(c->action));
}

/* The largest frame the skb test harness takes, found by the run itself. */
#define TC_HARNESS_SMALL 3000

static void testrun(const struct jcase *c, enum sluice_hook hook)
{
	static uint8_t in[FRAME_MAX], out[FRAME_MAX + 256];
	struct cnt_snap before, after;
	size_t len = build(in, c);
	int ret;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	cnt_take(dp, &scope_tr, &before);
	cnt_trace_poison(dp);
	memset(out, 0xa5, sizeof(out));
	ret = bpf_prog_test_run_opts(sl_dp_prog_fd(dp, hook), &o);
	if (hook == SLUICE_HOOK_TC && ret == -EINVAL &&
	    len > TC_HARNESS_SMALL) {
		/* The kernel's refusal (one page of linear data at most). */
		print_message(
			"# tc: the skb test harness refuses %zu bytes; the live run judges it\n",
			len);
		cnt_take(dp, &scope_tr, &after);
		cnt_check(&scope_tr, &before, &after, hook, SLUICE_ACT__MAX,
			  SLUICE_REASON__MAX, 0, 0);
		return;
	}
	assert_int_equal(ret, 0);
	check_trace(c);
	assert_int_equal(o.retval, want_retval(hook, c->action));
	/* Pass and drop leave the frame as it came, fragments and all. */
	assert_int_equal(o.data_size_out, len);
	assert_true(pkt_bytes_equal("output", out, o.data_size_out, in, len));
	cnt_take(dp, &scope_tr, &after);
	cnt_check(&scope_tr, &before, &after, hook, c->action, c->reason,
		  c->prio, len);
}

static void test_xdp_testrun(void **state)
{
	testrun(*state, SLUICE_HOOK_XDP);
}

static void test_tc_testrun(void **state)
{
	testrun(*state, SLUICE_HOOK_TC);
}

/* Live. */

static struct sl_attachment att;
static bool attached;

static void attach(enum sl_attach_mode mode)
{
	char err[256] = "";
	int fd = sl_dp_prog_fd(dp, mode == SL_MODE_TC ? SLUICE_HOOK_TC :
							SLUICE_HOOK_XDP);

	if (attached && att.mode == mode)
		return;
	if (attached) {
		assert_int_equal(sl_detach(&att, err, sizeof(err)), 0);
		attached = false;
	}
	if (sl_attach(rx_ifindex, fd, mode, &att, err, sizeof(err)))
		fail_msg("attach %s: %s", sl_mode_name(mode), err);
	assert_int_equal(att.mode, mode);
	attached = true;
}

static int packet_socket(int ifindex)
{
	struct sockaddr_ll a = { .sll_family = AF_PACKET,
				 .sll_protocol = htons(ETH_P_ALL),
				 .sll_ifindex = ifindex };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* Whether the frame shows up on fd within ms milliseconds. */
static bool seen(int fd, const uint8_t *frame, size_t len, int ms)
{
	static uint8_t buf[FRAME_MAX + 64];
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, ms) > 0) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n == (ssize_t)len && !memcmp(buf, frame, len))
			return true;
	}
	return false;
}

static bool counted(const struct cnt_snap *before, struct cnt_snap *now)
{
	unsigned int h, a;

	for (h = 0; h < SLUICE_HOOK__MAX; h++)
		for (a = 0; a < SLUICE_ACT__MAX; a++)
			if (now->act[0][h][a].packets !=
			    before->act[0][h][a].packets)
				return true;
	return false;
}

static void live(const struct jcase *c, enum sl_attach_mode mode)
{
	static uint8_t frame[FRAME_MAX];
	enum sluice_hook hook = mode == SL_MODE_TC ? SLUICE_HOOK_TC :
						     SLUICE_HOOK_XDP;
	struct sockaddr_ll to = { .sll_family = AF_PACKET,
				  .sll_ifindex = tx_ifindex,
				  .sll_halen = ETH_ALEN };
	struct cnt_snap before, after;
	size_t len = build(frame, c);
	int tx, rx, i;
	bool arrived;

	attach(mode);
	tx = packet_socket(tx_ifindex);
	rx = packet_socket(rx_ifindex);
	cnt_take(dp, &scope_live, &before);
	cnt_trace_poison(dp);
	memcpy(to.sll_addr, frame, ETH_ALEN);
	assert_int_equal(sendto(tx, frame, len, 0, (struct sockaddr *)&to,
				sizeof(to)),
			 (ssize_t)len);
	arrived = seen(rx, frame, len, 200);
	/* The counters move in the receiver's softirq: wait for it. */
	for (i = 0; i < 100; i++) {
		cnt_take(dp, &scope_live, &after);
		if (counted(&before, &after))
			break;
		usleep(10000);
	}
	close(tx);
	close(rx);
	check_trace(c);
	cnt_check(&scope_live, &before, &after, hook, c->action, c->reason,
		  c->prio, len);
	/* Taps run after XDP but before tc ingress. */
	if (hook == SLUICE_HOOK_XDP)
		assert_int_equal(arrived, c->action != SLUICE_ACT_DROP);
	else
		assert_true(arrived);
}

static void test_xdp_live(void **state)
{
	live(*state, SL_MODE_NATIVE);
}

static void test_tc_live(void **state)
{
	live(*state, SL_MODE_TC);
}

int main(void)
{
	static const struct {
		const char *tag;
		CMUnitTestFunction fn;
	} ways[] = {
		{ "xdp test-run", test_xdp_testrun },
		{ "tc test-run", test_tc_testrun },
		{ "xdp native live", test_xdp_live },
		{ "tc live", test_tc_live },
	};
	struct CMUnitTest *tests;
	size_t i, w, n = 0;

	tests = calloc(ARRAY_SIZE(cases) * ARRAY_SIZE(ways), sizeof(*tests));
	if (!tests)
		return 1;
	/* Way by way, so the live runs attach once per mode. */
	for (w = 0; w < ARRAY_SIZE(ways); w++) {
		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			char *name;

			if (asprintf(&name, "%s [%s]", cases[i].desc,
				     ways[w].tag) < 0)
				return 1;
			tests[n] = (struct CMUnitTest){
				.name = name,
				.test_func = ways[w].fn,
				.initial_state = (void *)&cases[i],
			};
			n++;
		}
	}
	return _cmocka_run_group_tests("test_jumbo", tests, n, group_setup,
				       group_teardown);
}
