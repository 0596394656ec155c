/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Forward's next-hop cache, its control side; see fibcache.h and struct
 * sluice_fibc_state.
 *
 * bpf_fib_lookup() answers from the destination, the ingress port and
 * the TOS (the keys always carry them), and from whatever else the rules
 * and routes select by: the source (ip rule from, IPv6 source routes),
 * protocol and ports (ip rule ipproto/sport/dport), and, for a multipath
 * route, the flow hash's inputs.  The key bits follow them: rules are
 * dumped again on every rule notification; a multipath, nexthop-object
 * or source route seen switches its bits on, and a dump on the next tick
 * after one goes away decides whether they can go off.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <bpf/libbpf.h>
#include <libmnl/libmnl.h>

#include <sluice/abi.h>

#include "fibcache.h"
#include "netlink.h"

#define ALL_BITS (SLUICE_FIBC_SRC | SLUICE_FIBC_L4)

const unsigned int sl_fibcache_groups[SL_FIBCACHE_NGROUPS] = {
	RTNLGRP_LINK,	      RTNLGRP_NEIGH,	  RTNLGRP_IPV4_IFADDR,
	RTNLGRP_IPV6_IFADDR,  RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
	RTNLGRP_IPV4_RULE,    RTNLGRP_IPV6_RULE,  RTNLGRP_IPV4_NETCONF,
	RTNLGRP_IPV6_NETCONF, RTNLGRP_NEXTHOP,
};

struct sl_fibcache {
	struct sluice_fibc_state *state; /* mmapped sl_fibc_state */
	size_t len;
	unsigned long long gen;
	unsigned int rule_bits, route_bits;
	bool started, recheck;
	unsigned long flushes;
};

static unsigned long long coarse_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void renew(struct sl_fibcache *fc)
{
	__atomic_store_n(&fc->state->lease_ns,
			 coarse_ns() + SLUICE_FIBC_LEASE_NS, __ATOMIC_RELEASE);
}

/* A new epoch: no entry filled before this returns is used again. */
static void flush(struct sl_fibcache *fc)
{
	unsigned long long epoch;

	if (!fc->started)
		return;
	epoch = ++fc->gen << 8 | fc->rule_bits | fc->route_bits;
	__atomic_store_n(&fc->state->epoch, epoch, __ATOMIC_RELEASE);
	fc->flushes++;
}

/* What a rule selects by beyond the keys' fixed part. */
static unsigned int rule_bits(const struct nlmsghdr *nlh)
{
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	unsigned int bits = 0;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*frh))
		return ALL_BITS;
	if (frh->src_len)
		bits |= SLUICE_FIBC_SRC;
	mnl_attr_for_each(a, nlh, sizeof(*frh)) {
		switch (mnl_attr_get_type(a)) {
		/* Keyed, or the same for every forwarded packet (mark 0). */
		case FRA_DST:
		case FRA_IIFNAME:
		case FRA_OIFNAME:
		case FRA_PRIORITY:
		case FRA_FWMARK:
		case FRA_FWMASK:
		case FRA_FLOW:
		case FRA_TUN_ID:
		case FRA_SUPPRESS_IFGROUP:
		case FRA_SUPPRESS_PREFIXLEN:
		case FRA_TABLE:
		case FRA_GOTO:
		case FRA_PAD:
		case FRA_L3MDEV:
		case FRA_UID_RANGE:
		case FRA_PROTOCOL:
			break;
		case FRA_SRC:
			bits |= SLUICE_FIBC_SRC;
			break;
		case FRA_IP_PROTO:
		case FRA_SPORT_RANGE:
		case FRA_DPORT_RANGE:
			bits |= SLUICE_FIBC_L4;
			break;
		default:
			/* newer than us (flow label, DSCP...): key by all */
			bits |= ALL_BITS;
		}
	}
	return bits;
}

static int rules_cb(const struct nlmsghdr *nlh, void *data)
{
	unsigned int *bits = data;

	if (nlh->nlmsg_type == RTM_NEWRULE)
		*bits |= rule_bits(nlh);
	return 0;
}

/* What a route makes the answer depend on beyond the destination. */
static unsigned int route_bits(const struct nlmsghdr *nlh)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	unsigned int bits = 0;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return 0;
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return 0;
	if (rtm->rtm_src_len)
		bits |= SLUICE_FIBC_SRC;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		/* A nexthop object may be a group: take it for one. */
		if (mnl_attr_get_type(a) == RTA_MULTIPATH ||
		    mnl_attr_get_type(a) == RTA_NH_ID)
			bits |= ALL_BITS;
	}
	return bits;
}

static int routes_cb(const struct nlmsghdr *nlh, void *data)
{
	unsigned int *bits = data;

	if (nlh->nlmsg_type == RTM_NEWROUTE)
		*bits |= route_bits(nlh);
	return 0;
}

static int dump(int type, sl_nldump_fn cb, unsigned int *bits)
{
	int ret, tries;

	for (tries = 0; tries < 8; tries++) {
		*bits = 0;
		ret = sl_nl_dump(type, AF_UNSPEC, cb, bits);
		if (ret != -EINTR)
			break;
	}
	/* Not known: key by everything until a dump succeeds. */
	if (ret)
		*bits = ALL_BITS;
	return ret;
}

static int rescan(struct sl_fibcache *fc)
{
	int r1 = dump(RTM_GETRULE, rules_cb, &fc->rule_bits);
	int r2 = dump(RTM_GETROUTE, routes_cb, &fc->route_bits);

	fc->recheck = r1 || r2;
	return r1 ? r1 : r2;
}

void sl_fibcache_notify(void *arg, const struct nlmsghdr *nlh)
{
	struct sl_fibcache *fc = arg;
	unsigned int bits;

	if (!nlh) {
		/* Lost notifications: anything may have changed. */
		fc->route_bits = ALL_BITS;
		fc->recheck = true;
		flush(fc);
		return;
	}
	switch (nlh->nlmsg_type) {
	case RTM_NEWRULE:
	case RTM_DELRULE:
		if (dump(RTM_GETRULE, rules_cb, &fc->rule_bits))
			fc->recheck = true;
		break;
	case RTM_NEWROUTE:
		fc->route_bits |= route_bits(nlh);
		break;
	case RTM_DELROUTE:
		bits = route_bits(nlh);
		if (bits && (fc->route_bits & bits))
			fc->recheck = true;
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
	case RTM_NEWADDR:
	case RTM_DELADDR:
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
	case RTM_NEWNETCONF:
	case RTM_DELNETCONF:
	case RTM_NEWNEXTHOP:
	case RTM_DELNEXTHOP:
		break;
	default:
		return;
	}
	flush(fc);
}

void sl_fibcache_flush(struct sl_fibcache *fc)
{
	if (fc)
		flush(fc);
}

void sl_fibcache_tick(struct sl_fibcache *fc)
{
	if (!fc || !fc->started)
		return;
	if (fc->recheck) {
		unsigned int before = fc->rule_bits | fc->route_bits;

		rescan(fc);
		if ((fc->rule_bits | fc->route_bits) != before)
			flush(fc);
	}
	renew(fc);
}

int sl_fibcache_open(struct bpf_object *obj, struct sl_fibcache **out)
{
	struct sl_fibcache *fc;
	struct bpf_map *map;
	size_t page = 4096;

	map = bpf_object__find_map_by_name(obj, "sl_fibc_state");
	if (!map)
		return -ENOENT;
	fc = calloc(1, sizeof(*fc));
	if (!fc)
		return -ENOMEM;
	fc->len = (sizeof(*fc->state) + page - 1) / page * page;
	fc->state = mmap(NULL, fc->len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 bpf_map__fd(map), 0);
	if (fc->state == MAP_FAILED) {
		int ret = -errno;

		free(fc);
		return ret;
	}
	*out = fc;
	return 0;
}

int sl_fibcache_start(struct sl_fibcache *fc)
{
	unsigned long long epoch =
		__atomic_load_n(&fc->state->epoch, __ATOMIC_ACQUIRE);

	/*
	 * Entries of an earlier daemon's epochs may still be in the pinned
	 * cache: go on past them.
	 */
	fc->gen = epoch >> 8;
	if (!fc->gen)
		fc->gen = (unsigned long long)time(NULL) << 16;
	rescan(fc);
	renew(fc);
	fc->started = true;
	flush(fc);
	return 0;
}

void sl_fibcache_close(struct sl_fibcache *fc)
{
	if (!fc)
		return;
	/* Off, but the generation stays for the next daemon to go past. */
	__atomic_store_n(&fc->state->lease_ns, 0, __ATOMIC_RELEASE);
	munmap(fc->state, fc->len);
	free(fc);
}

unsigned long sl_fibcache_flushes(const struct sl_fibcache *fc)
{
	return fc ? fc->flushes : 0;
}

unsigned int sl_fibcache_key_bits(const struct sl_fibcache *fc)
{
	return fc ? fc->rule_bits | fc->route_bits : 0;
}
