/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * forward, redirect and steer as packets see them: the production object
 * (bpf/sluice.bpf.c) loaded with trace on, a configuration applied as
 * test-run applies it, and every case run through both entries with
 * bpf_prog_test_run, arriving on a real interface of a network namespace
 * the test builds with its routes and neighbours, so that bpf_fib_lookup
 * answers from a FIB we know:
 *
 *	in0p --- in0 [sluice] out0 --- out0p    gateways 10.0.2.2, 2001:db8:2::2
 *	                      out1 --- out1p    gateways 10.0.3.2, 2001:db8:3::2
 *
 * Each (case, hook) is one cmocka test.  It checks the hook's verdict, the
 * trace (action, reason, deciding rule), the output bytes against a frame
 * the packet builder makes from what the FIB holds (the neighbour's MAC
 * and out0's, TTL or hop limit one less, checksums recomputed), and, apart
 * from the builder, the IPv4 header and transport checksums summed over
 * the output; then that exactly the expected counters moved: +1 packet
 * and +len bytes on in0's action and reason counters of the hook (and on
 * the rule's), nothing on the others, nothing on out0's.
 *
 * The ingress is in0 on both hooks: XDP through struct xdp_md's
 * ingress_ifindex (the kernel then runs the program on in0's rx queue 0,
 * and bpf_fib_lookup uses in0's namespace), tc through struct __sk_buff's
 * ifindex (bpf_prog_test_run_skb makes the skb's device the one named,
 * when it is greater than 1; otherwise the loopback).
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
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "apply.h"
#include "config.h"
#include "counters.h"
#include "dataplane.h"
#include "grammar.h"
#include "pkt.h"

/*
 * The tables give each case only what differs from a TCP SYN of TTL 64
 * from in0's side: the CASE() macros set those defaults first and the
 * case's own initializers override them, as -Woverride-init warns of.
 */
#pragma GCC diagnostic ignored "-Woverride-init"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The namespace. */
#define IN0_MAC "02:00:00:00:01:01"
#define IN0P_MAC "02:00:00:00:01:02"
#define OUT0_MAC "02:00:00:00:02:01"
#define OUT1_MAC "02:00:00:00:03:01"
#define GW4_MAC "02:00:00:00:02:f4" /* 10.0.2.2 on out0 */
#define GW6_MAC "02:00:00:00:02:f6" /* 2001:db8:2::2 on out0 */
#define GW1_MAC "02:00:00:00:03:f4" /* 10.0.3.2, 2001:db8:3::2 on out1 */
#define OUT1_MTU 1400
#define ROUTE4_MTU 1000
#define ROUTE6_MTU 1280
#define STR_(x) #x
#define STR(x) STR_(x)

#define SRC4 "10.0.1.2"
#define SRC6 "2001:db8:1::2"

static const char *const net_setup[] = {
	"ip link set lo up",
	"ip link add in0 address " IN0_MAC " type veth peer name in0p"
	" address " IN0P_MAC,
	"ip link add out0 address " OUT0_MAC " type veth peer name out0p",
	"ip link add out1 address " OUT1_MAC
	" mtu " STR(OUT1_MTU) " type veth peer name out1p mtu " STR(OUT1_MTU),
	"ip link set in0 up && ip link set in0p up",
	"ip link set out0 up && ip link set out0p up",
	"ip link set out1 up && ip link set out1p up",
	"ip addr add 10.0.1.1/24 brd + dev in0",
	"ip addr add 10.0.2.1/24 brd + dev out0",
	"ip addr add 10.0.3.1/24 brd + dev out1",
	"ip addr add 2001:db8:1::1/64 dev in0 nodad",
	"ip addr add 2001:db8:2::1/64 dev out0 nodad",
	"ip addr add 2001:db8:3::1/64 dev out1 nodad",
	"ip neigh add 10.0.2.2 lladdr " GW4_MAC " dev out0 nud permanent",
	"ip neigh add 2001:db8:2::2 lladdr " GW6_MAC " dev out0 nud permanent",
	"ip neigh add 10.0.3.2 lladdr " GW1_MAC " dev out1 nud permanent",
	"ip neigh add 2001:db8:3::2 lladdr " GW1_MAC " dev out1 nud permanent",
	/* Through a gateway whose neighbour entry is there. */
	"ip route add 10.0.20.0/24 via 10.0.2.2 dev out0",
	"ip -6 route add 2001:db8:20::/48 via 2001:db8:2::2 dev out0",
	/* Routes that refuse. */
	"ip route add blackhole 10.0.66.0/24",
	"ip route add unreachable 10.0.67.0/24",
	"ip route add prohibit 10.0.68.0/24",
	"ip -6 route add blackhole 2001:db8:66::/48",
	"ip -6 route add unreachable 2001:db8:67::/48",
	"ip -6 route add prohibit 2001:db8:68::/48",
	/* Through a gateway nobody has resolved: no neighbour entry. */
	"ip route add 10.0.40.0/24 via 10.0.2.4 dev out0",
	"ip -6 route add 2001:db8:40::/48 via 2001:db8:2::4 dev out0",
	/*
	 * A smaller MTU on the route than on out0.  Forwarding, the kernel's
	 * (ip_mtu_from_fib_result, ip6_dst_mtu_forward) and so the FIB
	 * helper's, heeds a route's MTU only when it is locked.
	 */
	"ip route add 10.0.50.0/24 via 10.0.2.2 dev out0"
	" mtu lock " STR(ROUTE4_MTU),
	"ip -6 route add 2001:db8:50::/48 via 2001:db8:2::2 dev out0"
	" mtu lock " STR(ROUTE6_MTU),
	/* Out of out1, a port sluice has no slot for. */
	"ip route add 10.0.30.0/24 via 10.0.3.2 dev out1",
	"ip -6 route add 2001:db8:30::/48 via 2001:db8:3::2 dev out1",
};

/*
 * The default routes some cases add: with them a lookup of any address
 * finds a unicast route, so only the data plane can tell a broadcast or
 * multicast destination from one to forward.
 */
#define DEFROUTE_ADD                                     \
	"ip route add default via 10.0.2.2 dev out0 && " \
	"ip -6 route add default via 2001:db8:2::2 dev out0"
#define DEFROUTE_DEL                                   \
	"ip route del default via 10.0.2.2 dev out0; " \
	"ip -6 route del default via 2001:db8:2::2 dev out0"

static struct {
	unsigned int in0, out0, out1;
} ifx;

/* Cases. */

/* Expected output bytes. */
enum out {
	SAME, /* as they came */
	ROUTED, /* XDP: the FIB's MACs, TTL or hop limit one less */
	TTL_ONLY, /* tc: the MACs are the neighbour layer's, later */
};

/* The reason a rule or the policy gives: RULE or POLICY, by variant. */
#define REASON_DECIDED 0xff

struct hook_want {
	__u32 ret; /* the hook's verdict */
	unsigned int action; /* enum sluice_action */
	unsigned int reason; /* enum sluice_reason, or REASON_DECIDED */
	enum out out;
};

/* Ports the case's data plane knows. */
enum ports {
	PORTS_ALL, /* in0 and out0 bound, both in the devmap */
	OUT0_UNBOUND, /* out0's slot has no ifindex, no devmap entry */
	OUT0_NO_DEVMAP, /* out0's slot has its ifindex, no devmap entry */
	OUT0_DOWN, /* as PORTS_ALL, and sluiced said out0's link is down */
};

struct fwd_case {
	const char *desc;
	const char *config; /* NULL: the variant's */
	int family; /* 4, 6, or 0: an ARP request */
	const char *dst;
	const char *dmac; /* the frame's destination MAC; NULL: in0's */
	int ttl; /* TTL or hop limit */
	uint8_t proto;
	size_t payload;
	uint16_t tpid, vid; /* vid 0: untagged */
	bool ipopts; /* IPv4: 4 bytes of options */
	bool nodf; /* IPv4: DF clear */
	int csum; /* IPv4: the id is chosen to give this checksum; -1 any */
	int csum_out; /* and the checksum it must leave with; -1 any */
	bool defroute; /* default routes via out0's gateways */
	enum ports ports;
	struct hook_want want[SLUICE_HOOK__MAX];
};

#define W(r, a, why, o)                                                     \
	{                                                                   \
		.ret = r, .action = SLUICE_ACT_##a, .reason = why, .out = o \
	}
/* The kernel gets it, unchanged, on both hooks. */
#define KERNEL(why)                                                     \
	.want = { [SLUICE_HOOK_XDP] =                                   \
			  W(XDP_PASS, PASS, SLUICE_REASON_##why, SAME), \
		  [SLUICE_HOOK_TC] =                                    \
			  W(TC_ACT_OK, PASS, SLUICE_REASON_##why, SAME) }
/* Forwarded on both hooks. */
#define SENT                                                                \
	.want = { [SLUICE_HOOK_XDP] =                                       \
			  W(XDP_REDIRECT, FORWARD, REASON_DECIDED, ROUTED), \
		  [SLUICE_HOOK_TC] = W(TC_ACT_REDIRECT, FORWARD,            \
				       REASON_DECIDED, TTL_ONLY) }
/* XDP hands it to the kernel; tc sends it with bpf_redirect_neigh(). */
#define XDP_KERNEL(why)                                                 \
	.want = { [SLUICE_HOOK_XDP] =                                   \
			  W(XDP_PASS, PASS, SLUICE_REASON_##why, SAME), \
		  [SLUICE_HOOK_TC] = W(TC_ACT_REDIRECT, FORWARD,        \
				       REASON_DECIDED, TTL_ONLY) }

#define CASE(d, fam, to, ...)                                    \
	{                                                        \
		.desc = d, .family = fam, .dst = to, .ttl = 64,  \
		.proto = IPPROTO_TCP, .payload = 16, .csum = -1, \
		.csum_out = -1, .tpid = 0x8100, __VA_ARGS__      \
	}

/*
 * Every outcome of forward, run twice: as the interface policy, and as a
 * rule that matches everything under a drop policy.
 */
static const struct fwd_case fwd_table[] = {
	/* Sent. */
	CASE("v4 via a gateway", 4, "10.0.20.5", SENT),
	CASE("v6 via a gateway", 6, "2001:db8:20::5", SENT),
	CASE("v4 to a connected host", 4, "10.0.2.2", SENT),
	CASE("v6 to a connected host", 6, "2001:db8:2::2", SENT),
	CASE("v4 TTL 2 leaves with 1", 4, "10.0.20.5", .ttl = 2, SENT),
	CASE("v6 hop limit 2 leaves with 1", 6, "2001:db8:20::5", .ttl = 2,
	     SENT),
	CASE("v4 TTL 255", 4, "10.0.20.5", .ttl = 255, SENT),
	CASE("v6 hop limit 255", 6, "2001:db8:20::5", .ttl = 255, SENT),
	CASE("v4 udp", 4, "10.0.20.5", .proto = IPPROTO_UDP, SENT),
	CASE("v6 udp", 6, "2001:db8:20::5", .proto = IPPROTO_UDP, SENT),
	CASE("v4 icmp", 4, "10.0.20.5", .proto = IPPROTO_ICMP, SENT),
	CASE("v6 icmpv6", 6, "2001:db8:20::5", .proto = IPPROTO_ICMPV6, SENT),
	CASE("v4 with options: the checksum covers them", 4, "10.0.20.5",
	     .ipopts = true, SENT),
	/* RFC 1624: the incremental update at its edges. */
	CASE("v4 checksum 0xfeff becomes 0x0000", 4, "10.0.20.5",
	     .csum = 0xfeff, .csum_out = 0x0000, SENT),
	CASE("v4 checksum 0xff80 carries round to 0x0081", 4, "10.0.20.5",
	     .csum = 0xff80, .csum_out = 0x0081, SENT),
	CASE("v4 checksum 0x0000 becomes 0x0100", 4, "10.0.20.5", .csum = 0,
	     .csum_out = 0x0100, SENT),
	CASE("v4 at the route's MTU", 4, "10.0.50.5",
	     .payload = ROUTE4_MTU - 40, SENT),
	CASE("v6 at the route's MTU", 6, "2001:db8:50::5",
	     .payload = ROUTE6_MTU - 60, SENT),
	CASE("v4 via the default route", 4, "10.9.9.9", .defroute = true, SENT),
	CASE("v6 via the default route", 6, "2001:db8:99::1", .defroute = true,
	     SENT),

	/*
	 * Not addressed to in0 (promiscuous, a flooding bridge): the kernel
	 * forwards only frames sent to the port's own MAC, so must sluice.
	 */
	CASE("v4 to another host's MAC: not-for-us", 4, "10.0.20.5",
	     .dmac = "02:00:00:00:01:99", KERNEL(NOT_FOR_US)),
	CASE("v6 to another host's MAC: not-for-us", 6, "2001:db8:20::5",
	     .dmac = "02:00:00:00:01:99", KERNEL(NOT_FOR_US)),
	CASE("v4 to the broadcast MAC: not-for-us", 4, "10.0.20.5",
	     .dmac = "ff:ff:ff:ff:ff:ff", KERNEL(NOT_FOR_US)),
	CASE("v6 to a multicast MAC: not-for-us", 6, "2001:db8:20::5",
	     .dmac = "33:33:00:00:00:01", KERNEL(NOT_FOR_US)),
	CASE("v4 TTL 1 to another host's MAC: not-for-us first", 4, "10.0.20.5",
	     .ttl = 1, .dmac = "02:00:00:00:01:99", KERNEL(NOT_FOR_US)),

	/* TTL or hop limit 1 or 0: the kernel answers time exceeded. */
	CASE("v4 TTL 1", 4, "10.0.20.5", .ttl = 1, KERNEL(TTL_EXCEEDED)),
	CASE("v4 TTL 0", 4, "10.0.20.5", .ttl = 0, KERNEL(TTL_EXCEEDED)),
	CASE("v6 hop limit 1", 6, "2001:db8:20::5", .ttl = 1,
	     KERNEL(TTL_EXCEEDED)),
	CASE("v6 hop limit 0", 6, "2001:db8:20::5", .ttl = 0,
	     KERNEL(TTL_EXCEEDED)),
	CASE("v4 TTL 1 to nowhere: TTL first", 4, "10.9.9.9", .ttl = 1,
	     KERNEL(TTL_EXCEEDED)),

	/* Routes that refuse. */
	CASE("v4 blackhole", 4, "10.0.66.1", KERNEL(NO_ROUTE)),
	CASE("v4 unreachable", 4, "10.0.67.1", KERNEL(NO_ROUTE)),
	CASE("v4 prohibit", 4, "10.0.68.1", KERNEL(NO_ROUTE)),
	CASE("v6 blackhole", 6, "2001:db8:66::1", KERNEL(NO_ROUTE)),
	CASE("v6 unreachable", 6, "2001:db8:67::1", KERNEL(NO_ROUTE)),
	CASE("v6 prohibit", 6, "2001:db8:68::1", KERNEL(NO_ROUTE)),

	/* No route, local, not unicast. */
	CASE("v4 no route", 4, "10.9.9.9", KERNEL(NOT_FORWARDED)),
	CASE("v6 no route", 6, "2001:db8:99::1", KERNEL(NOT_FORWARDED)),
	CASE("v4 local: in0's address", 4, "10.0.1.1", KERNEL(NOT_FORWARDED)),
	CASE("v4 local: out0's address", 4, "10.0.2.1", KERNEL(NOT_FORWARDED)),
	CASE("v4 local: 127.0.0.1", 4, "127.0.0.1", KERNEL(NOT_FORWARDED)),
	CASE("v6 local: in0's address", 6, "2001:db8:1::1",
	     KERNEL(NOT_FORWARDED)),
	CASE("v6 local: out0's address", 6, "2001:db8:2::1",
	     KERNEL(NOT_FORWARDED)),
	CASE("v4 out0's subnet broadcast", 4, "10.0.2.255",
	     KERNEL(NOT_FORWARDED)),
	CASE("v4 limited broadcast", 4, "255.255.255.255",
	     KERNEL(NOT_FORWARDED)),
	CASE("v4 multicast 224.0.0.1", 4, "224.0.0.1", KERNEL(NOT_FORWARDED)),
	CASE("v4 multicast 239.1.2.3", 4, "239.1.2.3", KERNEL(NOT_FORWARDED)),
	CASE("v6 multicast ff02::1", 6, "ff02::1", KERNEL(NOT_FORWARDED)),
	CASE("v6 multicast ff0e::1", 6, "ff0e::1", KERNEL(NOT_FORWARDED)),
	CASE("v6 link-local fe80::1", 6, "fe80::1", KERNEL(NOT_FORWARDED)),
	/* A default route must not make broadcast or multicast unicast. */
	CASE("v4 limited broadcast, default route", 4, "255.255.255.255",
	     .defroute = true, KERNEL(NOT_FORWARDED)),
	CASE("v4 multicast 224.0.0.1, default route", 4, "224.0.0.1",
	     .defroute = true, KERNEL(NOT_FORWARDED)),
	CASE("v4 multicast 239.1.2.3, default route", 4, "239.1.2.3",
	     .defroute = true, KERNEL(NOT_FORWARDED)),
	CASE("v6 multicast ff0e::1, default route", 6, "ff0e::1",
	     .defroute = true, KERNEL(NOT_FORWARDED)),
	/* "This host": a source only, never a destination (RFC 1122). */
	CASE("v4 0.0.0.0, default route", 4, "0.0.0.0", .defroute = true,
	     KERNEL(NOT_FORWARDED)),
	CASE("v4 local, default route", 4, "10.0.1.1", .defroute = true,
	     KERNEL(NOT_FORWARDED)),

	/* The neighbour is not resolved: XDP leaves it to ARP/ND, tc too. */
	CASE("v4 no neighbour", 4, "10.0.40.5", XDP_KERNEL(NO_NEIGH)),
	CASE("v6 no neighbour", 6, "2001:db8:40::5", XDP_KERNEL(NO_NEIGH)),

	/* Larger than the egress MTU: the route's, or the interface's. */
	CASE("v4 over the route's MTU, DF", 4, "10.0.50.5",
	     .payload = ROUTE4_MTU - 39, KERNEL(FRAG_NEEDED)),
	CASE("v4 over the route's MTU, no DF", 4, "10.0.50.5",
	     .payload = ROUTE4_MTU - 39, .nodf = true, KERNEL(FRAG_NEEDED)),
	CASE("v6 over the route's MTU", 6, "2001:db8:50::5",
	     .payload = ROUTE6_MTU - 59, KERNEL(FRAG_NEEDED)),
	CASE("v4 over out1's MTU", 4, "10.0.30.5", .payload = OUT1_MTU - 39,
	     KERNEL(FRAG_NEEDED)),
	CASE("v6 over out1's MTU", 6, "2001:db8:30::5",
	     .payload = OUT1_MTU - 59, KERNEL(FRAG_NEEDED)),

	/* The egress is not a port of sluice's: XDP cannot send there. */
	CASE("v4 out0 unbound", 4, "10.0.20.5", .ports = OUT0_UNBOUND,
	     XDP_KERNEL(NO_EGRESS)),
	CASE("v6 out0 unbound", 6, "2001:db8:20::5", .ports = OUT0_UNBOUND,
	     XDP_KERNEL(NO_EGRESS)),
	CASE("v4 out0 bound, not in the devmap", 4, "10.0.20.5",
	     .ports = OUT0_NO_DEVMAP, XDP_KERNEL(NO_EGRESS)),
	CASE("v4 out of out1, no slot", 4, "10.0.30.5", XDP_KERNEL(NO_EGRESS)),
	CASE("v6 out of out1, no slot", 6, "2001:db8:30::5",
	     XDP_KERNEL(NO_EGRESS)),

	/* The egress would drop it unseen (tc: even unresolved). */
	CASE("v4 out0 down: egress-down", 4, "10.0.20.5", .ports = OUT0_DOWN,
	     KERNEL(EGRESS_DOWN)),
	CASE("v6 out0 down: egress-down", 6, "2001:db8:20::5",
	     .ports = OUT0_DOWN, KERNEL(EGRESS_DOWN)),
	CASE("v4 out0 down, no neighbour: egress-down", 4, "10.0.40.5",
	     .ports = OUT0_DOWN, KERNEL(EGRESS_DOWN)),
	CASE("v6 out0 down, no neighbour: egress-down", 6, "2001:db8:40::5",
	     .ports = OUT0_DOWN, KERNEL(EGRESS_DOWN)),
	CASE("v4 out of out1 (no slot: its link is not known)", 4, "10.0.30.5",
	     .ports = OUT0_DOWN, XDP_KERNEL(NO_EGRESS)),

	/* Tagged frames belong to a VLAN device the stack knows. */
	CASE("v4 802.1Q tagged", 4, "10.0.20.5", .vid = 5, KERNEL(UNSUPPORTED)),
	CASE("v6 802.1Q tagged", 6, "2001:db8:20::5", .vid = 5,
	     KERNEL(UNSUPPORTED)),
	CASE("v4 802.1ad tagged", 4, "10.0.20.5", .tpid = 0x88a8, .vid = 5,
	     KERNEL(UNSUPPORTED)),

	/* Not IP at all. */
	CASE("ARP", 0, NULL, KERNEL(NOT_IP)),
};

#define C_FWD_POLICY "policy in0 forward\n"
/* A rule loaded that no case matches: the flow cache answers for it. */
#define C_FWD_POLICY_RULES \
	"policy in0 forward\nrule add 10 src 192.0.2.0/24 drop\n"
#define C_FWD_RULE "policy in0 drop\nrule add 10 forward\n"

static const struct {
	const char *tag;
	const char *config;
	unsigned int prio; /* of the deciding rule; 0: the policy */
} variants[] = {
	{ "policy", C_FWD_POLICY, 0 },
	{ "policy beside rules", C_FWD_POLICY_RULES, 0 },
	{ "rule", C_FWD_RULE, 10 },
};

/* redirect and steer: each case names its configuration. */
#define C_REDIR "policy in0 drop\nrule add 10 redirect out0\n"
#define C_REDIR_NONE "policy in0 drop\nrule add 10 redirect out9\n"
#define C_STEER_ALL "policy in0 drop\nrule add 10 steer\n"

/* Sent by redirect or steer on XDP, the frame as it came. */
#define XDP_SENT(act, tc)                                                 \
	.want = { [SLUICE_HOOK_XDP] =                                     \
			  W(XDP_REDIRECT, act, SLUICE_REASON_RULE, SAME), \
		  [SLUICE_HOOK_TC] = tc }
#define TC_SENT(act) W(TC_ACT_REDIRECT, act, SLUICE_REASON_RULE, SAME)
#define TC_KERNEL(why) W(TC_ACT_OK, PASS, SLUICE_REASON_##why, SAME)

/* Filled in main(): a steer rule naming the last CPU. */
static char c_steer_last[64];

static struct fwd_case port_table[] = {
	CASE("redirect out0: v4", 4, "10.0.20.5", .config = C_REDIR,
	     XDP_SENT(REDIRECT, TC_SENT(REDIRECT))),
	CASE("redirect out0: v6", 6, "2001:db8:20::5", .config = C_REDIR,
	     XDP_SENT(REDIRECT, TC_SENT(REDIRECT))),
	CASE("redirect out0: TTL 1 is no business of L2", 4, "10.0.20.5",
	     .ttl = 1, .config = C_REDIR,
	     XDP_SENT(REDIRECT, TC_SENT(REDIRECT))),
	CASE("redirect out0: tagged", 4, "10.9.9.9", .vid = 7,
	     .config = C_REDIR, XDP_SENT(REDIRECT, TC_SENT(REDIRECT))),
	CASE("redirect out0: ARP", 0, NULL, .config = C_REDIR,
	     XDP_SENT(REDIRECT, TC_SENT(REDIRECT))),
	CASE("redirect out0 unbound: no-egress", 4, "10.0.20.5",
	     .config = C_REDIR, .ports = OUT0_UNBOUND, KERNEL(NO_EGRESS)),
	CASE("redirect out0 not in the devmap: XDP no-egress", 6,
	     "2001:db8:20::5", .config = C_REDIR, .ports = OUT0_NO_DEVMAP,
	     .want = { [SLUICE_HOOK_XDP] =
			       W(XDP_PASS, PASS, SLUICE_REASON_NO_EGRESS, SAME),
		       [SLUICE_HOOK_TC] = TC_SENT(REDIRECT) }),
	/*
	 * The egress would drop it unseen: counted here instead.  Like the
	 * devmap and veth, a VLAN tag's 4 bytes over the MTU are let by.
	 */
	CASE("redirect out0: at out0's MTU", 4, "10.0.20.5",
	     .payload = 1500 - 40, .config = C_REDIR,
	     XDP_SENT(REDIRECT, TC_SENT(REDIRECT))),
	CASE("redirect out0: 4 over out0's MTU (a tag's room)", 4, "10.0.20.5",
	     .payload = 1500 - 40 + 4, .config = C_REDIR,
	     XDP_SENT(REDIRECT, TC_SENT(REDIRECT))),
	CASE("redirect out0: 5 over out0's MTU: egress-mtu", 4, "10.0.20.5",
	     .payload = 1500 - 40 + 5, .config = C_REDIR, KERNEL(EGRESS_MTU)),
	CASE("redirect out0: 5 over out0's MTU: egress-mtu, v6", 6,
	     "2001:db8:20::5", .payload = 1500 - 60 + 5, .config = C_REDIR,
	     KERNEL(EGRESS_MTU)),
	CASE("redirect out0: tagged, at out0's MTU", 4, "10.9.9.9", .vid = 7,
	     .payload = 1500 - 40, .config = C_REDIR,
	     XDP_SENT(REDIRECT, TC_SENT(REDIRECT))),
	CASE("redirect out0 down: egress-down", 4, "10.0.20.5",
	     .config = C_REDIR, .ports = OUT0_DOWN, KERNEL(EGRESS_DOWN)),
	CASE("redirect out0 down: egress-down, v6", 6, "2001:db8:20::5",
	     .config = C_REDIR, .ports = OUT0_DOWN, KERNEL(EGRESS_DOWN)),
	CASE("redirect out0 down: ARP too", 0, NULL, .config = C_REDIR,
	     .ports = OUT0_DOWN, KERNEL(EGRESS_DOWN)),
	CASE("redirect to a port never bound: no-egress", 4, "10.0.20.5",
	     .config = C_REDIR_NONE, KERNEL(NO_EGRESS)),
	CASE("redirect to a port never bound: no-egress, v6", 6,
	     "2001:db8:20::5", .config = C_REDIR_NONE, KERNEL(NO_EGRESS)),
	CASE("steer to all CPUs: v4", 4, "10.0.20.5", .config = C_STEER_ALL,
	     XDP_SENT(STEER, TC_KERNEL(UNSUPPORTED))),
	CASE("steer to all CPUs: v6 udp", 6, "2001:db8:20::5",
	     .proto = IPPROTO_UDP, .config = C_STEER_ALL,
	     XDP_SENT(STEER, TC_KERNEL(UNSUPPORTED))),
	CASE("steer to the last CPU", 4, "10.0.20.5", .config = c_steer_last,
	     XDP_SENT(STEER, TC_KERNEL(UNSUPPORTED))),
};

/* Builders. */

static uint16_t get16(const uint8_t *b)
{
	return b[0] << 8 | b[1];
}

/* The case's frame with these MACs, TTL and IPv4 id. */
static void frame(struct pkt *p, const struct fwd_case *c, const char *dmac,
		  const char *smac, int ttl, uint16_t id)
{
	/* Who has 10.0.1.1?  Tell 10.0.1.2. */
	static const uint8_t arp[28] = { 0, 1, 8, 0, 6,	 4, 0, 1, 2, 0,
					 0, 0, 1, 2, 10, 0, 1, 2, 0, 0,
					 0, 0, 0, 0, 10, 0, 1, 1 };
	/* Router alert, as real packets carry it. */
	static const uint8_t ra[] = { 0x94, 0x04, 0x00, 0x00 };

	pkt_init(p);
	pkt_eth(p, dmac, smac);
	if (c->vid)
		pkt_vlan(p, c->tpid, c->vid);
	switch (c->family) {
	case 4:
		pkt_ipv4(p, SRC4, c->dst, c->proto);
		if (c->ipopts)
			pkt_ipv4_opts(p, ra, sizeof(ra));
		pkt_ipv4_ttl(p, ttl);
		pkt_ipv4_id(p, id);
		pkt_ipv4_df(p, !c->nodf);
		break;
	case 6:
		pkt_ipv6(p, SRC6, c->dst, c->proto);
		pkt_ipv6_hlim(p, ttl);
		break;
	default:
		pkt_ethertype(p, 0x0806);
		pkt_payload(p, arp, sizeof(arp));
		assert_int_equal(pkt_finish(p), 0);
		return;
	}
	switch (c->proto) {
	case IPPROTO_TCP:
		pkt_tcp(p, 40000, 80, PKT_SYN);
		break;
	case IPPROTO_UDP:
		pkt_udp(p, 40000, 53);
		break;
	case IPPROTO_ICMP:
		pkt_icmp(p, 8, 0);
		break;
	case IPPROTO_ICMPV6:
		pkt_icmp6(p, 128, 0);
		break;
	}
	pkt_payload(p, NULL, c->payload);
	assert_int_equal(pkt_finish(p), 0);
}

/* The IPv4 id that gives the input the case's checksum. */
static uint16_t pick_id(const struct fwd_case *c)
{
	struct pkt p;
	unsigned int id;

	if (c->family != 4 || c->csum < 0)
		return 0;
	for (id = 0; id <= 0xffff; id++) {
		frame(&p, c, IN0_MAC, IN0P_MAC, c->ttl, id);
		if (get16(pkt_l3(&p) + 10) == c->csum)
			return id;
	}
	fail_msg("no IPv4 id gives checksum 0x%04x", c->csum);
	return 0;
}

/* Checksums, summed here rather than by the builder. */

static uint32_t sum16(uint32_t acc, const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		acc += get16(b + i);
	if (n & 1)
		acc += b[n - 1] << 8;
	return acc;
}

static uint16_t fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return acc;
}

/* The IPv4 header sums to 0xffff; the transport with its pseudo header too. */
static void check_sums(const uint8_t *f, size_t len, const struct pkt *in)
{
	const uint8_t *ip = f + in->l3_off;
	const uint8_t *l4 = f + in->l4_off;
	size_t l4len = len - in->l4_off;
	uint32_t acc = 0;
	uint8_t proto;

	if ((ip[0] >> 4) == 4) {
		size_t ihl = (ip[0] & 0xf) * 4;

		if (fold(sum16(0, ip, ihl)) != 0xffff)
			fail_msg("IPv4 header checksum 0x%04x does not sum",
				 get16(ip + 10));
		proto = ip[9];
		/* ICMP has no pseudo header. */
		if (proto != IPPROTO_ICMP)
			acc = sum16(0, ip + 12, 8) + proto + l4len;
	} else {
		proto = ip[6];
		acc = sum16(0, ip + 8, 32) + proto + l4len;
	}
	if (fold(sum16(acc, l4, l4len)) != 0xffff)
		fail_msg("%s checksum 0x%04x does not sum over the output",
			 proto == IPPROTO_TCP ? "tcp" : "transport",
			 get16(l4 + (proto == IPPROTO_TCP ? 16 :
				     proto == IPPROTO_UDP ? 6 :
							    2)));
}

/* The namespace. */

static int sh(const char *cmd)
{
	int ret = system(cmd);

	if (ret)
		print_message("# command failed (%d): %s\n", ret, cmd);
	return ret;
}

static int sysctl_write(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f) {
		print_message("# %s: %s\n", path, strerror(errno));
		return -1;
	}
	ret = fputs(val, f) < 0;
	ret |= fclose(f) != 0;
	if (ret)
		print_message("# %s: cannot write %s\n", path, val);
	return ret ? -1 : 0;
}

/* What the kernel says holds: MACs as set, neighbours as entered. */
static int read_line(const char *cmd, char *buf, size_t n)
{
	FILE *f = popen(cmd, "r");
	int ret = -1;

	if (!f)
		return -1;
	if (fgets(buf, n, f)) {
		size_t len = strlen(buf);

		/* ip ends some lines with a blank. */
		while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
			buf[--len] = '\0';
		ret = 0;
	}
	return pclose(f) || ret ? -1 : 0;
}

static int expect_line(const char *cmd, const char *want)
{
	char buf[256];

	if (read_line(cmd, buf, sizeof(buf)) || strcmp(buf, want)) {
		print_message("# %s: want \"%s\"\n", cmd, want);
		return -1;
	}
	return 0;
}

static bool defroute_on;

static void defroute(bool on)
{
	if (on == defroute_on)
		return;
	assert_int_equal(sh(on ? DEFROUTE_ADD : DEFROUTE_DEL), 0);
	defroute_on = on;
}

/* The data plane a case runs on: one load per configuration. */

struct loaded {
	const char *config;
	struct sl_dp *dp;
};

#define NCACHE 4
static struct loaded cache[NCACHE];
static unsigned int cache_next;

static void loaded_free(struct loaded *l)
{
	sl_dp_close(l->dp);
	memset(l, 0, sizeof(*l));
}

static struct loaded *load(const char *config)
{
	struct sl_dp_opts opts = { .trace = true };
	char err[SL_ERR_LEN] = "";
	struct sl_config cfg;
	struct loaded *l;
	unsigned int i;

	for (i = 0; i < NCACHE; i++)
		if (cache[i].config && !strcmp(cache[i].config, config))
			return &cache[i];
	l = &cache[cache_next];
	cache_next = (cache_next + 1) % NCACHE;
	loaded_free(l);
	if (sl_config_load_buf("case.conf", config, &cfg, err, sizeof(err)))
		fail_msg("configuration: %s", err);
	if (sl_dp_open(&opts, &l->dp, err, sizeof(err)))
		fail_msg("sl_dp_open: %s", err);
	if (sl_apply_config(l->dp, &cfg, err, sizeof(err)))
		fail_msg("sl_apply_config: %s", err);
	sl_config_free(&cfg);
	l->config = config;
	return l;
}

/*
 * Bind name's slot to ifindex, or leave it without one, and give ifindex
 * a devmap entry or none.  (sl_dp_iface_set() writes the slot and the
 * ifindex -> slot map; the devmap is the daemon's business, so the test
 * writes it itself, either way.)
 */
static unsigned int port(struct sl_dp *dp, const char *name, __u32 ifindex,
			 bool bound, bool devmap, bool down)
{
	int fd = bpf_object__find_map_fd_by_name(sl_dp_object(dp),
						 "sl_tx_ports");
	int slot = sl_dp_slot(dp, name, true);
	struct sluice_iface iface;

	assert_true(fd >= 0);
	assert_true(slot > 0);
	assert_int_equal(sl_dp_iface_get(dp, slot, &iface), 0);
	iface.ifindex = bound ? ifindex : 0;
	iface.down = down;
	assert_int_equal(sl_dp_iface_set(dp, slot, &iface), 0);
	if (devmap)
		assert_int_equal(bpf_map_update_elem(fd, &ifindex, &ifindex,
						     BPF_ANY),
				 0);
	else if (bpf_map_delete_elem(fd, &ifindex))
		assert_int_equal(errno, ENOENT);
	return slot;
}

/* The ifindex no slot has: out of the devmap too. */
static void no_port(struct sl_dp *dp, __u32 ifindex)
{
	int fd = bpf_object__find_map_fd_by_name(sl_dp_object(dp),
						 "sl_tx_ports");

	assert_true(fd >= 0);
	if (bpf_map_delete_elem(fd, &ifindex))
		assert_int_equal(errno, ENOENT);
}

#define PRIO 10 /* the rule of every rule configuration */

/* One packet through one entry, arriving on in0. */

static int test_run(const struct sl_dp *dp, enum sluice_hook hook,
		    const struct pkt *p, uint8_t *out, size_t outlen,
		    __u32 *retval, __u32 *outsize)
{
	struct xdp_md xdp = {
		.data_end = p->len,
		.ingress_ifindex = ifx.in0,
		.rx_queue_index = 0,
	};
	struct __sk_buff skb = { .ifindex = ifx.in0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->buf,
		    .data_size_in = p->len, .data_out = out,
		    .data_size_out = outlen, .repeat = 1);
	int ret;

	if (hook == SLUICE_HOOK_XDP) {
		o.ctx_in = &xdp;
		o.ctx_size_in = sizeof(xdp);
	} else {
		o.ctx_in = &skb;
		o.ctx_size_in = sizeof(skb);
	}
	ret = bpf_prog_test_run_opts(sl_dp_prog_fd(dp, hook), &o);
	*retval = o.retval;
	*outsize = o.data_size_out;
	return ret;
}

static const char *out_name(enum out o)
{
	return o == SAME ? "unchanged" : o == ROUTED ? "routed" : "ttl-only";
}

static void mac(const char *text, uint8_t *m)
{
	assert_int_equal(sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0],
				&m[1], &m[2], &m[3], &m[4], &m[5]),
			 6);
}

/* What changed, checked apart from the builder's frame. */
static void check_rewrite(const uint8_t *out, size_t len, const struct pkt *in,
			  const struct fwd_case *c, enum out o)
{
	uint8_t dmac[6], smac[6];
	const uint8_t *ip = out + in->l3_off;
	int ttl = c->family == 4 ? ip[8] : ip[7];

	if (o == ROUTED) {
		mac(c->family == 4 ? GW4_MAC : GW6_MAC, dmac);
		mac(OUT0_MAC, smac);
	} else {
		memcpy(dmac, in->buf, 6);
		memcpy(smac, in->buf + 6, 6);
	}
	if (memcmp(out, dmac, 6) || memcmp(out + 6, smac, 6))
		fail_msg(
			"MACs %02x:%02x:%02x:%02x:%02x:%02x < %02x:%02x:%02x:%02x:%02x:%02x",
			out[0], out[1], out[2], out[3], out[4], out[5], out[6],
			out[7], out[8], out[9], out[10], out[11]);
	if (o != SAME && ttl != c->ttl - 1)
		fail_msg("TTL or hop limit %d, want %d", ttl, c->ttl - 1);
	if (o == SAME && ttl != c->ttl)
		fail_msg("TTL or hop limit %d, want %d unchanged", ttl, c->ttl);
	if (o != SAME && c->csum_out >= 0 && get16(ip + 10) != c->csum_out)
		fail_msg("IPv4 checksum 0x%04x, want 0x%04x", get16(ip + 10),
			 c->csum_out);
	check_sums(out, len, in);
}

/* A new epoch (sluiced's flush), a lease that outlasts the case. */
static void fibc_fresh(struct sl_dp *dp, unsigned int mode)
{
	static __u64 gen;
	struct bpf_map *m =
		bpf_object__find_map_by_name(sl_dp_object(dp), "sl_fibc_state");
	struct sluice_fibc_state st;
	struct timespec now;
	__u32 zero = 0;

	assert_non_null(m);
	assert_int_equal(clock_gettime(CLOCK_MONOTONIC_COARSE, &now), 0);
	gen++;
	st.epoch = gen << 8 | mode;
	st.lease_ns = (now.tv_sec + 600) * 1000000000ULL;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(m), &zero, &st, 0), 0);
}

/*
 * Caches of its own for each case, so that its first run is the
 * pipeline's: the next-hop cache's, its keys of mode (SLUICE_FIBC_*),
 * and the flow cache's (a new epoch, as a rule change makes).
 */
static void caches_fresh(struct sl_dp *dp, unsigned int mode)
{
	int fd = bpf_object__find_map_fd_by_name(sl_dp_object(dp),
						 "sl_flowc_epoch");
	__u32 zero = 0, epoch;

	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, &zero, &epoch), 0);
	epoch++;
	assert_int_equal(bpf_map_update_elem(fd, &zero, &epoch, 0), 0);
	fibc_fresh(dp, mode);
}

/*
 * Whether forward's fast path (bpf/fastfwd.h) must judge a case's second
 * run: an XDP frame the policy forwards, IPv4 without options or IPv6,
 * untagged, its next hop cached by the first run (and, where rules are
 * loaded, that none matched it, in the flow cache).
 */
static bool fast_case(const struct fwd_case *c, enum sluice_hook hook,
		      unsigned int prio)
{
	return hook == SLUICE_HOOK_XDP && !prio && !c->config &&
	       ((c->family == 4 && !c->ipopts) || c->family == 6) && !c->vid &&
	       c->want[hook].out == ROUTED;
}

static void run_one(const struct fwd_case *c, enum sluice_hook hook,
		    const char *config, unsigned int prio)
{
	static unsigned int mode;
	static uint8_t out[PKT_MAX + 256];
	const struct hook_want *w = &c->want[hook];
	unsigned int reason = w->reason;
	struct cnt_scope sc = { .prios = { PRIO }, .nprios = 1 };
	struct pkt in, want;
	struct cnt_snap before, after;
	struct sluice_trace t;
	struct loaded *l;
	__u32 retval, outsize;
	uint16_t id;
	int pass;

	if (reason == REASON_DECIDED)
		reason = prio ? SLUICE_REASON_RULE : SLUICE_REASON_POLICY;
	l = load(config);
	/* The cases take the key's modes by turns. */
	caches_fresh(l->dp, mode++ & (SLUICE_FIBC_SRC | SLUICE_FIBC_L4));
	defroute(c->defroute);
	/* in0's slot counts, out0's must not. */
	sc.slot = port(l->dp, "in0", ifx.in0, true, true, false);
	sc.other = port(l->dp, "out0", ifx.out0, c->ports != OUT0_UNBOUND,
			c->ports == PORTS_ALL || c->ports == OUT0_DOWN,
			c->ports == OUT0_DOWN);
	no_port(l->dp, ifx.out1);

	id = pick_id(c);
	frame(&in, c, c->dmac ? c->dmac : IN0_MAC, IN0P_MAC, c->ttl, id);
	if (c->csum >= 0)
		assert_int_equal(get16(pkt_l3(&in) + 10), c->csum);
	switch (w->out) {
	case SAME:
		want = in;
		break;
	case ROUTED:
		frame(&want, c, c->family == 4 ? GW4_MAC : GW6_MAC, OUT0_MAC,
		      c->ttl - 1, id);
		break;
	case TTL_ONLY:
		frame(&want, c, IN0_MAC, IN0P_MAC, c->ttl - 1, id);
		break;
	}

	/*
	 * Twice: the second is judged by the flow cache and the next-hop
	 * cache (the process stays on one CPU, group_setup()), or by the
	 * fast path, and must come out the same.
	 */
	for (pass = 0; pass < 2; pass++) {
		cnt_take(l->dp, &sc, &before);
		cnt_trace_poison(l->dp);
		memset(out, 0xa5, sizeof(out));
		assert_int_equal(test_run(l->dp, hook, &in, out, sizeof(out),
					  &retval, &outsize),
				 0);
		assert_int_equal(sl_dp_last_trace(l->dp, &t), 0);
		cnt_take(l->dp, &sc, &after);

		if (retval != w->ret || t.action != w->action ||
		    t.reason != reason || t.prio != prio)
			print_message(
				"# %s: got retval %u action %s reason %s rule %u; want retval %u action %s reason %s rule %u, output %s\n",
				sl_hook_name(hook), retval,
				sl_action_name(t.action),
				sl_reason_name(t.reason), t.prio, w->ret,
				sl_action_name(w->action),
				sl_reason_name(reason), prio, out_name(w->out));
		assert_int_equal(retval, w->ret);
		assert_string_equal(sl_action_name(t.action),
				    sl_action_name(w->action));
		assert_string_equal(sl_reason_name(t.reason),
				    sl_reason_name(reason));
		assert_int_equal(t.prio, prio);
		if (t.fast != (pass && fast_case(c, hook, prio)))
			fail_msg("judged by %s, want %s",
				 t.fast ? "the fast path" : "the pipeline",
				 t.fast ? "the pipeline" : "the fast path");
		assert_true(pkt_bytes_equal("output", out, outsize, want.buf,
					    want.len));
		if (c->family)
			check_rewrite(out, outsize, &in, c, w->out);
		cnt_check(&sc, &before, &after, hook, w->action, reason, prio,
			  in.len);
	}
}

/*
 * Frames at the edges of what forward's fast path takes, under "policy in0
 * forward": each is run twice, and the second run, judged by the fast
 * path or handed back to the pipeline, must come out as the first did.
 */
struct edge_case {
	const char *desc;
	void (*build)(struct pkt *p);
	const char *config; /* NULL: C_FWD_POLICY, then C_FWD_POLICY_RULES */
	__u32 ret; /* XDP's verdict; tc's is its equivalent */
	unsigned int action, reason, prio;
	/* tc's own outcome, where it differs (tc_action not 0) */
	__u32 tc_ret;
	unsigned int tc_action, tc_reason;
	bool fast; /* the fast path takes the second run on XDP */
	bool v6; /* an IPv6 frame: the cache is filled by an IPv6 one */
	bool finished; /* build() finished the frame, then changed it */
	/*
	 * A change in force for both runs (on), undone while the cache is
	 * filled (off): what the cached next hop must not outlive.
	 */
	void (*change)(struct sl_dp *dp, unsigned int slot, bool on);
};

static void edge_ipv4(struct pkt *p, uint8_t proto)
{
	pkt_init(p);
	pkt_eth(p, IN0_MAC, IN0P_MAC);
	pkt_ipv4(p, SRC4, "10.0.20.5", proto);
}

static void edge_ipv6(struct pkt *p, uint8_t nexthdr)
{
	pkt_init(p);
	pkt_eth(p, IN0_MAC, IN0P_MAC);
	pkt_ipv6(p, SRC6, "2001:db8:20::5", nexthdr);
}

#define C_TCP_DROP "policy in0 forward\nrule add 10 proto tcp drop\n"

/* A plain datagram: what fills the cache, and where some edges start. */
static void edge_udp(struct pkt *p, bool v6)
{
	if (v6)
		edge_ipv6(p, IPPROTO_UDP);
	else
		edge_ipv4(p, IPPROTO_UDP);
	pkt_udp(p, 40000, 53);
	pkt_payload(p, NULL, 16);
}

/* The same, finished, for a builder to change: its IP header. */
static uint8_t *edge_udp_l3(struct pkt *p, bool v6)
{
	edge_udp(p, v6);
	assert_int_equal(pkt_finish(p), 0);
	return pkt_l3(p);
}

static void edge_later_fragment(struct pkt *p)
{
	edge_ipv4(p, IPPROTO_UDP);
	pkt_ipv4_frag(p, 100, false);
	pkt_payload(p, NULL, 32);
}

static void edge_first_fragment(struct pkt *p)
{
	edge_ipv4(p, IPPROTO_UDP);
	pkt_ipv4_frag(p, 0, true);
	pkt_udp(p, 40000, 53);
	pkt_payload(p, NULL, 32);
}

static void edge_udp_ipopts(struct pkt *p)
{
	static const uint8_t ra[] = { 0x94, 0x04, 0x00, 0x00 };

	edge_ipv4(p, IPPROTO_UDP);
	pkt_ipv4_opts(p, ra, sizeof(ra));
	pkt_udp(p, 40000, 53);
	pkt_payload(p, NULL, 16);
}

static void edge_short(struct pkt *p, uint8_t proto, size_t n)
{
	edge_ipv4(p, proto);
	pkt_payload(p, NULL, n);
}

static void edge_tcp_short(struct pkt *p)
{
	edge_short(p, IPPROTO_TCP, 19);
}

static void edge_udp_short(struct pkt *p)
{
	edge_short(p, IPPROTO_UDP, 7);
}

static void edge_icmp_short(struct pkt *p)
{
	edge_short(p, IPPROTO_ICMP, 7);
}

/* The same in a minimum frame: padding where the header would go on. */
static void edge_udp_short_padded(struct pkt *p)
{
	edge_short(p, IPPROTO_UDP, 7);
	pkt_trailer(p, NULL, 19);
}

/* A TCP header whose data offset runs past the datagram, into padding. */
static void edge_tcp_doff_over(struct pkt *p)
{
	static const uint8_t opts[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0 };
	uint8_t *ip;

	edge_ipv4(p, IPPROTO_TCP);
	pkt_tcp(p, 40000, 80, PKT_SYN);
	pkt_tcp_opts(p, opts, sizeof(opts));
	assert_int_equal(pkt_finish(p), 0);
	ip = pkt_l3(p);
	ip[3] -= sizeof(opts);
}

static void edge_v6_hbh(struct pkt *p)
{
	edge_ipv6(p, 0);
	pkt_ipv6_hbh(p, IPPROTO_UDP, 0);
	pkt_udp(p, 40000, 53);
	pkt_payload(p, NULL, 16);
}

static void edge_v6_first_fragment(struct pkt *p)
{
	edge_ipv6(p, 44);
	pkt_ipv6_frag(p, IPPROTO_UDP, 0, true, 7);
	pkt_udp(p, 40000, 53);
	pkt_payload(p, NULL, 16);
}

static void edge_v6_later_fragment(struct pkt *p)
{
	edge_ipv6(p, 44);
	pkt_ipv6_frag(p, IPPROTO_UDP, 100, false, 7);
	pkt_payload(p, NULL, 32);
}

/* Seven bytes of an L4 header, then padding in a minimum frame. */
static void edge_v6_short_padded(struct pkt *p, uint8_t nexthdr)
{
	edge_ipv6(p, nexthdr);
	pkt_payload(p, NULL, 7);
	pkt_trailer(p, NULL, 8);
}

static void edge_v6_udp_short_padded(struct pkt *p)
{
	edge_v6_short_padded(p, IPPROTO_UDP);
}

static void edge_v6_icmp6_short_padded(struct pkt *p)
{
	edge_v6_short_padded(p, IPPROTO_ICMPV6);
}

/* IPv4's ICMP number in IPv6 is no ICMP to the parser: nothing to cut. */
static void edge_v6_icmp4_short_padded(struct pkt *p)
{
	edge_v6_short_padded(p, IPPROTO_ICMP);
}

/* Called after pkt_finish(): a flow label, which the key may carry. */
static void edge_v6_flow_label(struct pkt *p)
{
	uint8_t *ip = edge_udp_l3(p, true);

	ip[1] |= 0x0a;
	ip[2] = 0xbc;
	ip[3] = 0xde;
}

/* Called after pkt_finish(): more payload claimed than the frame has. */
static void edge_v6_plen_over(struct pkt *p)
{
	edge_udp_l3(p, true)[5] += 1;
}

/* To another host's MAC, where the cache knows the destination. */
static void edge_not_for_us(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, "02:00:00:00:01:99", IN0P_MAC);
	pkt_ipv4(p, SRC4, "10.0.20.5", IPPROTO_UDP);
	pkt_udp(p, 40000, 53);
	pkt_payload(p, NULL, 16);
}

static void edge_tcp(struct pkt *p)
{
	edge_ipv4(p, IPPROTO_TCP);
	pkt_tcp(p, 40000, 53, PKT_SYN);
}

static void edge_tcp6(struct pkt *p)
{
	edge_ipv6(p, IPPROTO_TCP);
	pkt_tcp(p, 40000, 53, PKT_SYN);
}

static void edge_tcp_not_for_us(struct pkt *p)
{
	pkt_init(p);
	pkt_eth(p, "02:00:00:00:01:99", IN0P_MAC);
	pkt_ipv4(p, SRC4, "10.0.20.5", IPPROTO_TCP);
	pkt_tcp(p, 40000, 53, PKT_SYN);
}

static void edge_gre(struct pkt *p)
{
	edge_short(p, 47, 24);
}

static void edge_tcp_opts(struct pkt *p)
{
	static const uint8_t opts[12] = {
		2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 1, 1, 0
	};

	edge_ipv4(p, IPPROTO_TCP);
	pkt_tcp(p, 40000, 80, PKT_SYN);
	pkt_tcp_opts(p, opts, sizeof(opts));
}

/* A short datagram in a minimum frame: Ethernet padding after it. */
static void edge_padded(struct pkt *p)
{
	edge_ipv4(p, IPPROTO_UDP);
	pkt_udp(p, 40000, 53);
	pkt_trailer(p, NULL, 18);
}

/* Called after pkt_finish(): the IP header claims more than the frame. */
static void edge_tot_len_over(struct pkt *p)
{
	edge_udp_l3(p, false)[3] += 1;
}

/* A frame plain enough for the fast path, and the one that primes it. */
static void edge_udp4(struct pkt *p)
{
	edge_udp(p, false);
}

static void edge_udp6(struct pkt *p)
{
	edge_udp(p, true);
}

static void edge_drop(struct sl_dp *dp, unsigned int slot, bool on)
{
	struct sluice_iface iface;

	assert_int_equal(sl_dp_iface_get(dp, slot, &iface), 0);
	iface.policy = on ? SLUICE_ACT_DROP : SLUICE_ACT_FORWARD;
	assert_int_equal(sl_dp_iface_set(dp, slot, &iface), 0);
}

static void edge_no_tx(struct sl_dp *dp, unsigned int slot, bool on)
{
	port(dp, "out0", ifx.out0, true, !on, false);
}

/* A capture running (capture slot 0 on, with no ring to fill). */
static void edge_capture(struct sl_dp *dp, unsigned int slot, bool on)
{
	int fd = bpf_object__find_map_fd_by_name(sl_dp_object(dp), "sl_cap_on");
	__u32 zero = 0, bits = on;

	(void)slot;
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_update_elem(fd, &zero, &bits, BPF_ANY), 0);
}

/* The configuration run_edge_mode() loaded, for a change to return to. */
static const char *edge_config;

static void edge_rules(struct sl_dp *dp, const char *config)
{
	char err[SL_ERR_LEN] = "";
	struct sl_config cfg;

	if (sl_config_load_buf("change.conf", config, &cfg, err, sizeof(err)))
		fail_msg("configuration: %s", err);
	if (sl_dp_rules_replace(dp, cfg.rules, cfg.nrules, err, sizeof(err)))
		fail_msg("sl_dp_rules_replace: %s", err);
	sl_config_free(&cfg);
}

/*
 * A rule that drops the frame, added after the flow cache learnt that
 * none matched it (the prime): the entry is of an epoch gone.
 */
static void edge_rule_added(struct sl_dp *dp, unsigned int slot, bool on)
{
	(void)slot;
	edge_rules(dp, on ? "rule add 10 proto udp drop\n" : edge_config);
}

/* The flow cache cold on every CPU: colder than any threshold. */
static void edge_cold(struct sl_dp *dp, unsigned int slot, bool on)
{
	int fd = bpf_object__find_map_fd_by_name(sl_dp_object(dp),
						 "sl_flowc_luck");
	int ncpus = sl_dp_ncpus();
	struct {
		__u32 misses, skipped;
	} *luck = calloc(ncpus, sizeof(*luck));
	__u32 zero = 0;
	int i;

	(void)slot;
	assert_true(fd >= 0);
	assert_non_null(luck);
	for (i = 0; i < ncpus; i++)
		luck[i].misses = on ? UINT32_MAX : 0;
	assert_int_equal(bpf_map_update_elem(fd, &zero, luck, BPF_ANY), 0);
	free(luck);
}

#define EDGE_SENT(why, f)                                  \
	.ret = XDP_REDIRECT, .action = SLUICE_ACT_FORWARD, \
	.reason = SLUICE_REASON_##why, .fast = f
static const struct edge_case edge_table[] = {
	{ "a later fragment", edge_later_fragment, EDGE_SENT(FRAGMENT, false) },
	{ "a first fragment", edge_first_fragment, EDGE_SENT(POLICY, false) },
	{ "udp after IP options", edge_udp_ipopts, EDGE_SENT(POLICY, false) },
	{ "tcp cut short", edge_tcp_short, EDGE_SENT(TRUNCATED, false) },
	{ "udp cut short", edge_udp_short, EDGE_SENT(TRUNCATED, false) },
	{ "icmp cut short", edge_icmp_short, EDGE_SENT(TRUNCATED, false) },
	{ "udp cut short, padded", edge_udp_short_padded,
	  EDGE_SENT(TRUNCATED, false) },
	{ "tcp header past the datagram", edge_tcp_doff_over, .finished = true,
	  EDGE_SENT(TRUNCATED, false) },
	{ "gre", edge_gre, EDGE_SENT(POLICY, true) },
	{ "tcp with options", edge_tcp_opts, EDGE_SENT(POLICY, true) },
	{ "ethernet padding", edge_padded, EDGE_SENT(POLICY, true) },
	{ "IP length past the frame: malformed", edge_tot_len_over,
	  .finished = true, .ret = XDP_PASS, .action = SLUICE_ACT_PASS,
	  .reason = SLUICE_REASON_MALFORMED },
	{ "to another host's MAC", edge_not_for_us, .ret = XDP_PASS,
	  .action = SLUICE_ACT_PASS, .reason = SLUICE_REASON_NOT_FOR_US },
	{ "a port whose policy became drop", edge_tcp, .change = edge_drop,
	  .ret = XDP_DROP, .action = SLUICE_ACT_DROP,
	  .reason = SLUICE_REASON_POLICY },
	{ "v6 hop-by-hop header", edge_v6_hbh, .v6 = true,
	  EDGE_SENT(POLICY, false) },
	{ "v6 first fragment", edge_v6_first_fragment, .v6 = true,
	  EDGE_SENT(POLICY, false) },
	{ "v6 later fragment", edge_v6_later_fragment, .v6 = true,
	  EDGE_SENT(FRAGMENT, false) },
	{ "v6 udp cut short, padded", edge_v6_udp_short_padded, .v6 = true,
	  EDGE_SENT(TRUNCATED, false) },
	{ "v6 icmpv6 cut short, padded", edge_v6_icmp6_short_padded, .v6 = true,
	  EDGE_SENT(TRUNCATED, false) },
	{ "v6 carrying IPv4's icmp number, short", edge_v6_icmp4_short_padded,
	  .v6 = true, EDGE_SENT(POLICY, true) },
	{ "v6 udp with a flow label", edge_v6_flow_label, .finished = true,
	  .v6 = true, EDGE_SENT(POLICY, true) },
	{ "v6 payload length past the frame: malformed", edge_v6_plen_over,
	  .finished = true, .v6 = true, .ret = XDP_PASS,
	  .action = SLUICE_ACT_PASS, .reason = SLUICE_REASON_MALFORMED },
	{ "while a capture runs", edge_tcp, .change = edge_capture,
	  EDGE_SENT(POLICY, false) },
	{ "an egress gone from the devmap", edge_tcp, .change = edge_no_tx,
	  .ret = XDP_PASS, .action = SLUICE_ACT_PASS,
	  .reason = SLUICE_REASON_NO_EGRESS, .tc_ret = TC_ACT_REDIRECT,
	  .tc_action = SLUICE_ACT_FORWARD, .tc_reason = SLUICE_REASON_POLICY },
	{ "a rule drops it", edge_tcp, .config = C_TCP_DROP, .ret = XDP_DROP,
	  .action = SLUICE_ACT_DROP, .reason = SLUICE_REASON_RULE, .prio = 10,
	  .fast = true },
	{ "v6: a rule drops it", edge_tcp6, .v6 = true, .config = C_TCP_DROP,
	  .ret = XDP_DROP, .action = SLUICE_ACT_DROP,
	  .reason = SLUICE_REASON_RULE, .prio = 10, .fast = true },
	{ "a rule drops it, to another host's MAC", edge_tcp_not_for_us,
	  .config = C_TCP_DROP, .ret = XDP_DROP, .action = SLUICE_ACT_DROP,
	  .reason = SLUICE_REASON_RULE, .prio = 10, .fast = true },
	{ "a rule passes it", edge_tcp,
	  .config = "policy in0 forward\nrule add 10 proto tcp pass\n",
	  .ret = XDP_PASS, .action = SLUICE_ACT_PASS,
	  .reason = SLUICE_REASON_RULE, .prio = 10 },
	{ "a rule added since the flow was cached", edge_udp4,
	  .change = edge_rule_added, .ret = XDP_DROP, .action = SLUICE_ACT_DROP,
	  .reason = SLUICE_REASON_RULE, .prio = 10 },
	{ "v6: a rule added since the flow was cached", edge_udp6, .v6 = true,
	  .change = edge_rule_added, .ret = XDP_DROP, .action = SLUICE_ACT_DROP,
	  .reason = SLUICE_REASON_RULE, .prio = 10 },
	{ "the flow cache cold", edge_udp4, .config = C_FWD_POLICY_RULES,
	  .change = edge_cold, EDGE_SENT(POLICY, false) },
	{ "the flow cache cold, no rules", edge_udp4, .change = edge_cold,
	  .config = C_FWD_POLICY, EDGE_SENT(POLICY, true) },
};

static void run_edge_mode(const struct edge_case *e, enum sluice_hook hook,
			  const char *config, unsigned int mode);

static void edge_prime(struct sl_dp *dp, enum sluice_hook hook,
		       const struct edge_case *e, unsigned int slot)
{
	static uint8_t out[PKT_MAX + 256];
	__u32 retval, outsize;
	struct pkt p;

	if (e->change)
		e->change(dp, slot, false);
	edge_udp(&p, e->v6);
	assert_int_equal(pkt_finish(&p), 0);
	assert_int_equal(
		test_run(dp, hook, &p, out, sizeof(out), &retval, &outsize), 0);
	assert_int_equal(retval, hook == SLUICE_HOOK_XDP ? XDP_REDIRECT :
							   TC_ACT_REDIRECT);
	if (e->change)
		e->change(dp, slot, true);
}

/*
 * Every mode of the key, each reading other fields of the frame; with no
 * rule loaded and with one beside that matches nothing, where the fast
 * path makes the parser's key to ask the flow cache.
 */
static void run_edge(const struct edge_case *e, enum sluice_hook hook)
{
	static const char *const configs[] = { C_FWD_POLICY,
					       C_FWD_POLICY_RULES };
	unsigned int mode, i;

	for (i = 0; i < ARRAY_SIZE(configs); i++) {
		if (e->config && i)
			break;
		for (mode = 0; mode <= (SLUICE_FIBC_SRC | SLUICE_FIBC_L4);
		     mode++)
			run_edge_mode(e, hook,
				      e->config ? e->config : configs[i], mode);
	}
}

static void run_edge_mode(const struct edge_case *e, enum sluice_hook hook,
			  const char *config, unsigned int mode)
{
	static uint8_t out[2][PKT_MAX + 256];
	struct cnt_scope sc = { .prios = { e->prio }, .nprios = !!e->prio };
	bool tc_own = hook == SLUICE_HOOK_TC && e->tc_action;
	unsigned int action = tc_own ? e->tc_action : e->action;
	unsigned int reason = tc_own ? e->tc_reason : e->reason;
	struct cnt_snap before, after;
	struct sluice_trace t;
	__u32 retval, outsize[2];
	struct loaded *l;
	struct pkt in;
	int pass;

	l = load(config);
	edge_config = config;
	caches_fresh(l->dp, mode);
	defroute(false);
	sc.slot = port(l->dp, "in0", ifx.in0, true, true, false);
	sc.other = port(l->dp, "out0", ifx.out0, true, true, false);
	no_port(l->dp, ifx.out1);
	if (e->change)
		e->change(l->dp, sc.slot, true);
	e->build(&in);
	if (!e->finished)
		assert_int_equal(pkt_finish(&in), 0);

	/*
	 * The first run finds the cache empty (a new epoch): the pipeline
	 * judges it, and a frame it forwards fills the cache under the key
	 * the pipeline makes, which the fast path must make too.  For one it
	 * does not forward, a plain datagram to the same destination fills
	 * the cache instead: the fast path must not take the frame anyway.
	 */
	for (pass = 0; pass < 2; pass++) {
		if (pass && (e->action != SLUICE_ACT_FORWARD || e->change))
			edge_prime(l->dp, hook, e, sc.slot);
		cnt_take(l->dp, &sc, &before);
		cnt_trace_poison(l->dp);
		memset(out[pass], 0xa5, sizeof(out[pass]));
		assert_int_equal(test_run(l->dp, hook, &in, out[pass],
					  sizeof(out[pass]), &retval,
					  &outsize[pass]),
				 0);
		assert_int_equal(sl_dp_last_trace(l->dp, &t), 0);
		cnt_take(l->dp, &sc, &after);
		if (hook == SLUICE_HOOK_XDP)
			assert_int_equal(retval, e->ret);
		else if (tc_own)
			assert_int_equal(retval, e->tc_ret);
		else
			assert_int_equal(retval,
					 e->ret == XDP_PASS ? TC_ACT_OK :
					 e->ret == XDP_DROP ? TC_ACT_SHOT :
							      TC_ACT_REDIRECT);
		assert_string_equal(sl_action_name(t.action),
				    sl_action_name(action));
		assert_string_equal(sl_reason_name(t.reason),
				    sl_reason_name(reason));
		assert_int_equal(t.prio, e->prio);
		if (t.fast != (pass && e->fast && hook == SLUICE_HOOK_XDP))
			fail_msg("key mode %u, %s: judged by %s", mode,
				 strcmp(config, C_FWD_POLICY) ? "rules" :
								"no rules",
				 t.fast ? "the fast path" : "the pipeline");
		cnt_check(&sc, &before, &after, hook, action, reason, e->prio,
			  in.len);
	}
	assert_true(pkt_bytes_equal("second output", out[1], outsize[1], out[0],
				    outsize[0]));
	/* The data plane serves the next case as load() gave it. */
	if (e->change)
		e->change(l->dp, sc.slot, false);
}

static void run_edge_case(void **state)
{
	const struct edge_case *e = ((const void **)*state)[0];
	uintptr_t hook = (uintptr_t)((const void **)*state)[1];

	run_edge(e, hook);
}

struct inst {
	const struct fwd_case *c;
	enum sluice_hook hook;
	const char *config;
	unsigned int prio;
};

static void run_case(void **state)
{
	const struct inst *in = *state;

	run_one(in->c, in->hook, in->config, in->prio);
}

/* /sys shows the namespace it was mounted in: ask ip. */
#define LINK_MAC(dev) \
	"ip -o link show " dev " | sed 's/.*link\\/ether \\([^ ]*\\).*/\\1/'"

static int group_setup(void **state)
{
	static const char *const checks[][2] = {
		{ LINK_MAC("in0"), IN0_MAC },
		{ LINK_MAC("in0p"), IN0P_MAC },
		{ LINK_MAC("out0"), OUT0_MAC },
		{ "ip neigh show 10.0.2.2 dev out0",
		  "10.0.2.2 lladdr " GW4_MAC " PERMANENT" },
		{ "ip neigh show 2001:db8:2::2 dev out0",
		  "2001:db8:2::2 lladdr " GW6_MAC " PERMANENT" },
		{ "ip neigh show 10.0.2.4 dev out0; echo none", "none" },
		{ "ip -6 neigh show 2001:db8:2::4 dev out0; echo none",
		  "none" },
		{ "ip -o link show out1 | sed 's/.* mtu \\([0-9]*\\).*/\\1/'",
		  STR(OUT1_MTU) },
		{ "ip route show table local 10.0.2.255",
		  "broadcast 10.0.2.255 dev out0 proto kernel scope link src 10.0.2.1" },
	};
	unsigned int i;
	cpu_set_t one;

	if (unshare(CLONE_NEWNET)) {
		print_message("# unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	/* The flow cache is per CPU: run_one()'s second run must find it. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	if (sched_setaffinity(0, sizeof(one), &one)) {
		print_message("# sched_setaffinity: %s\n", strerror(errno));
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(net_setup); i++)
		if (sh(net_setup[i]))
			return -1;
	if (sysctl_write("/proc/sys/net/ipv4/ip_forward", "1") ||
	    sysctl_write("/proc/sys/net/ipv6/conf/all/forwarding", "1") ||
	    sysctl_write("/proc/sys/net/ipv6/conf/default/forwarding", "1"))
		return -1;
	for (i = 0; i < ARRAY_SIZE(checks); i++)
		if (expect_line(checks[i][0], checks[i][1]))
			return -1;
	ifx.in0 = if_nametoindex("in0");
	ifx.out0 = if_nametoindex("out0");
	ifx.out1 = if_nametoindex("out1");
	if (!ifx.in0 || !ifx.out0 || !ifx.out1)
		return -1;
	/* Not the loopback: a tc run that ignored the ifindex would show. */
	if (ifx.in0 <= 1)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	unsigned int i;

	for (i = 0; i < NCACHE; i++)
		loaded_free(&cache[i]);
	return 0;
}

static char *xasprintf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	return s;
}

int main(void)
{
	size_t max = SLUICE_HOOK__MAX *
		     (ARRAY_SIZE(variants) * ARRAY_SIZE(fwd_table) +
		      ARRAY_SIZE(port_table) + ARRAY_SIZE(edge_table));
	struct CMUnitTest *tests = calloc(max, sizeof(*tests));
	struct inst *insts = calloc(max, sizeof(*insts));
	const void *(*edges)[2] = calloc(max, sizeof(*edges));
	size_t v, i, n = 0;
	unsigned int h;

	if (!tests || !insts || !edges)
		return 1;
	snprintf(c_steer_last, sizeof(c_steer_last),
		 "policy in0 drop\nrule add 10 steer %d\n", sl_dp_ncpus() - 1);
	for (v = 0; v < ARRAY_SIZE(variants); v++) {
		for (i = 0; i < ARRAY_SIZE(fwd_table); i++) {
			for (h = 0; h < SLUICE_HOOK__MAX; h++) {
				struct CMUnitTest t = cmocka_unit_test_prestate(
					run_case, &insts[n]);

				insts[n] = (struct inst){ &fwd_table[i], h,
							  variants[v].config,
							  variants[v].prio };
				t.name = xasprintf("forward %s: %s [%s]",
						   variants[v].tag,
						   fwd_table[i].desc,
						   sl_hook_name(h));
				tests[n++] = t;
			}
		}
	}
	for (i = 0; i < ARRAY_SIZE(port_table); i++) {
		for (h = 0; h < SLUICE_HOOK__MAX; h++) {
			struct CMUnitTest t =
				cmocka_unit_test_prestate(run_case, &insts[n]);

			insts[n] = (struct inst){ &port_table[i], h,
						  port_table[i].config, PRIO };
			t.name = xasprintf("%s [%s]", port_table[i].desc,
					   sl_hook_name(h));
			tests[n++] = t;
		}
	}
	for (i = 0; i < ARRAY_SIZE(edge_table); i++) {
		for (h = 0; h < SLUICE_HOOK__MAX; h++) {
			struct CMUnitTest t = cmocka_unit_test_prestate(
				run_edge_case, edges[n]);

			edges[n][0] = &edge_table[i];
			edges[n][1] = (const void *)(uintptr_t)h;
			t.name = xasprintf("fast path edge: %s [%s]",
					   edge_table[i].desc, sl_hook_name(h));
			tests[n++] = t;
		}
	}
	return _cmocka_run_group_tests("test_forward", tests, n, group_setup,
				       group_teardown);
}
