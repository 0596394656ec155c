/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The ABI between the sluice data plane (bpf/) and its control plane
 * (user/): map keys and values, enums and limits.  Fixed-width types only;
 * nothing else crosses the boundary.  Changing a layout here changes the
 * layout of pinned maps: bump SLUICE_ABI_VERSION when you do.
 */
#ifndef __SLUICE_ABI_H
#define __SLUICE_ABI_H

#ifndef __VMLINUX_H__ /* BPF side: vmlinux.h has the types */
#include <linux/types.h>
#endif

#define SLUICE_ABI_VERSION 17

/* Limits. */
#define SLUICE_MAX_IFACES 256 /* attached interfaces (slots) */
/* ifindex -> slot is a direct array; larger ifindexes cannot attach. */
#define SLUICE_IFINDEX_MAX (1 << 20)
#define SLUICE_PRIO_MAX 65535 /* rule priorities are 1..65535 */
#define SLUICE_MAX_RULES 65536 /* compiled rules per generation, 0 unused */
/*
 * The classifier's index (see bpf/classify.h), per generation: list
 * entries of the pool, address intervals, anchored sets.
 */
#define SLUICE_POOL_ENTRIES (1 << 20)
#define SLUICE_PORTS 65536 /* the port index: one entry per port */
#define SLUICE_ADDR_ROOT_BITS 16
#define SLUICE_ADDR_ROOT (1 << SLUICE_ADDR_ROOT_BITS)
#define SLUICE_ADDR_IVS (1 << 18)
#define SLUICE_MAX_SET_ANCHORS 128
#define SLUICE_MAX_SETS 64 /* set ids 1..63; 0 means "no set" */
/*
 * A set id names the storage slot that holds its content now
 * (sl_set_slots); a load fills a spare slot and then repoints the id, so
 * every set can be replaced at once with slots to spare.
 */
#define SLUICE_SET_SLOTS (2 * SLUICE_MAX_SETS) /* slots 1..127; 0: none */
#define SLUICE_SET_MAX_PREFIXES (1 << 22) /* per family, all slots together */
#define SLUICE_SET_NAME_LEN 32
#define SLUICE_IFNAME_LEN 16
#define SLUICE_MAX_VLAN_DEPTH 2
#define SLUICE_MAX_EXTHDRS 8 /* IPv6 extension headers walked */
/* An IPv6 packet's length counts its 40-byte header: past 16 bits. */
#define SLUICE_IP_LEN_MAX (65535 + 40)

/*
 * IPv4 set membership (bpf/set.h, user/lib/sets.c).  Per set, a bitmap
 * of two bits per /24, side by side so one load reads both: "covered" (an
 * entry of length <= 24 covers the /24) at bit 2 * (net24 % 32) of word
 * net24 / 32, and "longer" (the /24 holds entries longer than 24 bits)
 * just above it.  A longer /24's 256 addresses are a bitmap in one 64-byte
 * bucket of sl_set4_long, an array used as an open-addressing hash shared
 * by all sets: the /24 sits in one of the SLUICE_SET4_PROBES buckets from
 * sluice_set4_hash() on, so a lookup mostly reads one cache line.  A /24
 * that finds none of them free is answered by the slot's trie in
 * sl_set4_tries (exact, but a walk of dozens of cache misses live).  A
 * million-prefix set fills the table to ~45%: 4 probes left 1.3% of its
 * /24s to the trie, 16 leave 0.003%, and a /24 is still mostly found in
 * its home bucket, the others being the next lines of the same page.  A
 * bucket's key, once deleted, stays SLUICE_SET4_DEAD until an RCU grace
 * period has passed: no packet still reads it when it is reused.
 */
#define SLUICE_SET4_BITMAP_WORDS (2 * (1 << 24) / 64)
#define SLUICE_SET4_LONG_BITS 21
#define SLUICE_SET4_LONG_BUCKETS (1 << SLUICE_SET4_LONG_BITS) /* 128 MB */
#define SLUICE_SET4_PROBES 16
/* The last home bucket's probes need no wrap-around. */
#define SLUICE_SET4_LONG_ENTRIES \
	(SLUICE_SET4_LONG_BUCKETS + SLUICE_SET4_PROBES - 1)
#define SLUICE_SET4_EMPTY 0 /* a key: slots start at 1 */
#define SLUICE_SET4_DEAD 0xffffffffU

/* The key of a (slot, /24): slots are below 128, so it never is DEAD. */
static inline __u32 sluice_set4_key(__u32 slot, __u32 net24)
{
	return slot << 24 | (net24 & 0xffffff);
}

/* Fibonacci hashing: its top bits spread neighbouring /24s apart. */
static inline __u32 sluice_set4_hash(__u32 key)
{
	return (key * 0x9e3779b1U) >> (32 - SLUICE_SET4_LONG_BITS);
}

enum sluice_hook {
	SLUICE_HOOK_XDP,
	SLUICE_HOOK_TC,
	SLUICE_HOOK__MAX,
};

/* What a packet gets.  Also the per-interface counter index. */
enum sluice_action {
	SLUICE_ACT_PASS,
	SLUICE_ACT_DROP,
	SLUICE_ACT_FORWARD,
	SLUICE_ACT_REDIRECT,
	SLUICE_ACT_STEER,
	SLUICE_ACT_RATE_LIMIT,
	SLUICE_ACT_SYN_PROXY, /* counted per SYN answered with a cookie */
	SLUICE_ACT__MAX,
};

/* Why a packet got what it got. */
enum sluice_reason {
	SLUICE_REASON_RULE, /* a rule decided */
	SLUICE_REASON_POLICY, /* no rule matched: interface policy */
	SLUICE_REASON_FRAGMENT, /* later fragment, no rule matched */
	SLUICE_REASON_TRUNCATED, /* L4 header cut short, no rule matched */
	SLUICE_REASON_NOT_IP, /* neither IPv4 nor IPv6: to the kernel */
	SLUICE_REASON_MALFORMED, /* broken L2/L3 header: to the kernel */
	SLUICE_REASON_PARSE_LIMIT, /* past the parser's limits: to the kernel */
	SLUICE_REASON_UNSUPPORTED, /* action not available: to the kernel */
	SLUICE_REASON_TTL_EXCEEDED, /* forward: TTL or hop limit at 1 or 0 */
	SLUICE_REASON_NO_ROUTE, /* forward: blackhole, unreachable, prohibit */
	SLUICE_REASON_NOT_FORWARDED, /* forward: no route, local, not unicast */
	SLUICE_REASON_NO_NEIGH, /* forward on XDP: neighbour unresolved */
	SLUICE_REASON_FRAG_NEEDED, /* forward: larger than the egress MTU */
	SLUICE_REASON_NO_EGRESS, /* egress is not a port sluice knows */
	SLUICE_REASON_NOT_FOR_US, /* forward: dest MAC not the ingress port's */
	SLUICE_REASON_EGRESS_MTU, /* redirect: frame over the egress MTU */
	SLUICE_REASON_RATE_LIMIT, /* rate-limit: over the limit, dropped */
	SLUICE_REASON_SYNCOOKIE_SENT, /* syn-proxy: SYN answered, SYN-ACK sent */
	SLUICE_REASON_COOKIE_VALID, /* syn-proxy: cookie ACK to the kernel */
	SLUICE_REASON_COOKIE_INVALID, /* syn-proxy: ACK with a bad cookie */
	SLUICE_REASON_NO_LISTENER, /* syn-proxy: no socket: to the kernel */
	SLUICE_REASON_COOKIE_REFUSED, /* syn-proxy: listener took no cookie */
	SLUICE_REASON_EGRESS_DOWN, /* redirect, forward: egress link down */
	SLUICE_REASON__MAX,
};

/* What a parsed packet carries; a rule applies only if it has all it needs. */
enum sluice_has {
	SLUICE_HAS_VLAN = 1 << 0,
	SLUICE_HAS_IP = 1 << 1,
	SLUICE_HAS_PORTS = 1 << 2,
	SLUICE_HAS_TCP = 1 << 3,
	SLUICE_HAS_ICMP = 1 << 4,
	SLUICE_HAS_LEN = 1 << 5, /* always with SLUICE_HAS_IP */
};

/*
 * The fragment byte of the key: RFC 8955's fragment bitmask, bit for bit,
 * so a FlowSpec operand is a mask as it is.  IPv6 has no DF.
 */
enum sluice_frag {
	SLUICE_FRAG_DF = 1 << 0, /* IPv4 don't-fragment set */
	SLUICE_FRAG_IS = 1 << 1, /* fragment offset not 0 */
	SLUICE_FRAG_FIRST = 1 << 2, /* offset 0, more fragments */
	SLUICE_FRAG_LAST = 1 << 3, /* offset not 0, no more fragments */
};

/*
 * The packet's fields as the classifier sees them, 48 bytes.  A rule is a
 * mask and a value over it (ports and the IP length aside: they are
 * ranges).  IPv4 addresses sit in the first four bytes of src/dst.
 */
struct sluice_key {
	__u8 dscp; /* the top 6 bits of the TOS / traffic class */
	__u8 frag; /* enum sluice_frag */
	__u8 family; /* 4 or 6, 0 when the rule does not care */
	__u8 proto;
	__u16 slot; /* ingress interface slot */
	__u16 vlan; /* outermost VLAN id */
	__u16 sport; /* host byte order */
	__u16 dport;
	__u8 tcp_flags;
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 pad1;
	__u8 src[16];
	__u8 dst[16];
};

#define SLUICE_KEY_WORDS (sizeof(struct sluice_key) / sizeof(__u64))
/* The classifier compares keys a word at a time, addresses 8 at a time. */
_Static_assert(sizeof(struct sluice_key) == 48, "sluice_key: 48 bytes");
_Static_assert(SLUICE_KEY_WORDS * sizeof(__u64) == sizeof(struct sluice_key),
	       "sluice_key: whole 64-bit words");
_Static_assert(__builtin_offsetof(struct sluice_key, src) % 8 == 0 &&
		       __builtin_offsetof(struct sluice_key, dst) % 8 == 0,
	       "sluice_key: addresses 64-bit aligned");

/*
 * A compiled rule: what a candidate the index found must also match.
 * Rules of a generation are numbered in priority order, so a lower index
 * is a better rule.  Two cache lines.
 */
struct sluice_crule {
	struct sluice_key mask; /* ports masked out: see the ranges */
	struct sluice_key value; /* already masked */
	__u16 sport_lo, sport_hi;
	__u16 dport_lo, dport_hi;
	__u32 needs; /* enum sluice_has */
	__u32 len_lo, len_hi; /* the IP length, with SLUICE_HAS_LEN */
	__u16 prio;
	__u8 action; /* enum sluice_action */
	__u8 src_set; /* 0, or a set the source must be in */
	__u8 dst_set;
	__u8 pad[3];
	__u32 arg; /* action argument */
};
_Static_assert(sizeof(struct sluice_crule) == 128, "sluice_crule: 2 lines");
_Static_assert(__builtin_offsetof(struct sluice_crule, value) % 8 == 0,
	       "sluice_crule: value in whole 64-bit words");

/*
 * Where a rule is indexed: the one field the compiler anchored it by.
 * Address anchors are prefixes, port anchors aligned blocks of the range;
 * the others an exact value.
 */
enum sluice_anchor {
	SLUICE_AN_ANY,
	SLUICE_AN_SLOT,
	SLUICE_AN_VLAN,
	SLUICE_AN_PROTO,
	SLUICE_AN_ICMP,
	SLUICE_AN_SPORT,
	SLUICE_AN_DPORT,
	SLUICE_AN_SRC4,
	SLUICE_AN_DST4,
	SLUICE_AN_SRC6,
	SLUICE_AN_DST6,
	SLUICE_AN_SRCSET,
	SLUICE_AN_DSTSET,
	SLUICE_AN__MAX,
};

/* Exact-value indexes share one array, per generation, at these offsets. */
#define SLUICE_SMALL_SLOT 0
#define SLUICE_SMALL_VLAN (SLUICE_SMALL_SLOT + SLUICE_MAX_IFACES)
#define SLUICE_SMALL_PROTO (SLUICE_SMALL_VLAN + 4096)
#define SLUICE_SMALL_ICMP (SLUICE_SMALL_PROTO + 256)
#define SLUICE_SMALL_ENTRIES (SLUICE_SMALL_ICMP + 256)

/* Address roots: src4, dst4, src6, dst6, indexed by the top 16 bits. */
enum sluice_addr_field {
	SLUICE_ADDR_SRC4,
	SLUICE_ADDR_DST4,
	SLUICE_ADDR_SRC6,
	SLUICE_ADDR_DST6,
	SLUICE_ADDR__MAX,
};

/* A root entry with this bit is a run of intervals, not a list. */
#define SLUICE_ROOT_RUN 0x80000000u
/* A root entry is one 64-bit word: a list offset or, with the bit, an iv. */
_Static_assert(2ULL * SLUICE_POOL_ENTRIES <= SLUICE_ROOT_RUN,
	       "root: list offsets below SLUICE_ROOT_RUN");
_Static_assert(2ULL * SLUICE_ADDR_IVS <= SLUICE_ROOT_RUN,
	       "root: interval indexes below SLUICE_ROOT_RUN");

/*
 * One interval of an address run: from start (as a 128-bit big-endian
 * number, IPv4 in the top 32 bits) up to the next interval's start, the
 * list to probe.  A run's first interval holds the run's length in n.
 */
struct sluice_iv {
	__u64 hi;
	__u64 lo;
	__u32 list;
	__u32 n;
};
_Static_assert(sizeof(struct sluice_iv) == 24, "sluice_iv: 24 bytes");

struct sluice_set_anchor {
	__u8 dst; /* 0: the source must be in the set, 1: the destination */
	__u8 set;
	__u16 pad;
	__u32 list;
};

/* One generation of the rule set: the packets see one or the other. */
struct sluice_ruleset {
	__u32 nrules; /* compiled rules */
	__u32 anchors; /* 1 << enum sluice_anchor, for each index in use */
	__u32 any; /* the list every packet probes, or 0 */
	__u32 nsets;
	__u32 pool_used; /* list entries */
	__u32 ivs_used;
	__u32 unindexed; /* rules in the any list for want of room */
	__u32 pad;
	struct sluice_set_anchor sets[SLUICE_MAX_SET_ANCHORS];
};

/*
 * The classifier's flow cache (bpf/flowcache.h): per CPU, what a packet
 * key was last classified to (the best rule's priority, action and
 * argument, so that a hit reads no rule), tagged with the epoch of the
 * rules and sets it was classified under.  SLUICE_FLOWC_WAYS entries per
 * bucket; user space bumps the epoch after every change a packet could
 * see, which invalidates every entry at once.
 */
#define SLUICE_FLOWC_BITS 13
#define SLUICE_FLOWC_WAYS 2
#define SLUICE_FLOWC_ENTRIES ((1 << SLUICE_FLOWC_BITS) * SLUICE_FLOWC_WAYS)

struct sluice_flowc_entry {
	__u64 words[SLUICE_KEY_WORDS]; /* the packet's struct sluice_key */
	__u8 has; /* and its enum sluice_has */
	__u8 action; /* the best rule's enum sluice_action */
	__u16 prio; /* the best rule's priority; 0: no rule matched */
	__u32 len; /* and its IP length */
	__u32 arg; /* the best rule's action argument */
	__u32 epoch; /* 0: empty; user space clears the cache on wrapping */
};

_Static_assert(sizeof(struct sluice_flowc_entry) == 64,
	       "sluice_flowc_entry: one cache line");

struct sluice_state {
	__u32 active_gen; /* 0 or 1 */
	__u32 abi_version;
};

struct sluice_iface {
	__u32 ifindex; /* 0: slot free */
	__u8 policy; /* enum sluice_action for unmatched packets */
	__u8 hook; /* enum sluice_hook it is attached at */
	__u8 flags; /* user space's business */
	/*
	 * Not up or not running (no carrier), as sluiced last heard from
	 * netlink: the egress would drop what is sent to it, uncounted.
	 * 0, what older daemons left here, is "up".
	 */
	__u8 down;
	char name[SLUICE_IFNAME_LEN];
};

struct sluice_counter {
	__u64 packets;
	__u64 bytes;
};
/* Per-CPU values are 8-byte aligned: user space reads them at this stride. */
_Static_assert(sizeof(struct sluice_counter) % 8 == 0, "sluice_counter");

/*
 * Per-CPU counter arrays, indexed as below: per (slot, hook), a cell per
 * action and a cell per reason.  Room is kept for actions and reasons to
 * come, so that adding one keeps the layout of pinned maps.
 */
#define SLUICE_ACT_CELLS 8
#define SLUICE_REASON_CELLS 32
_Static_assert(SLUICE_ACT__MAX <= SLUICE_ACT_CELLS, "action cells");
_Static_assert(SLUICE_REASON__MAX <= SLUICE_REASON_CELLS, "reason cells");

static inline __u32 sluice_iface_counter_idx(__u32 slot, __u32 hook,
					     __u32 action)
{
	return (slot * SLUICE_HOOK__MAX + hook) * SLUICE_ACT_CELLS + action;
}

static inline __u32 sluice_reason_counter_idx(__u32 slot, __u32 hook,
					      __u32 reason)
{
	return (slot * SLUICE_HOOK__MAX + hook) * SLUICE_REASON_CELLS + reason;
}

#define SLUICE_IFACE_COUNTERS \
	(SLUICE_MAX_IFACES * SLUICE_HOOK__MAX * SLUICE_ACT_CELLS)
#define SLUICE_REASON_COUNTERS \
	(SLUICE_MAX_IFACES * SLUICE_HOOK__MAX * SLUICE_REASON_CELLS)

/*
 * steer: each rule set generation has up to SLUICE_MAX_STEER CPU lists;
 * a steer rule's argument is the index of its list.
 */
#define SLUICE_MAX_STEER 64
/* CPUs in a list, and CPU ids: the cpumap has an entry per CPU id. */
#define SLUICE_STEER_MAX_CPUS 64
#define SLUICE_CPUMAP_QSIZE 2048

struct sluice_steer {
	__u32 ncpus;
	__u32 cpus[SLUICE_STEER_MAX_CPUS];
};

/*
 * rate-limit (bpf/ratelimit.h).  A bucket is GCRA's one number, the
 * theoretical arrival time (TAT) of the next packet, in ticks of 1/16 ns
 * of the data plane's tick clock (bpf/clock.h: jiffies as nanoseconds,
 * which start up to 1.4 years ahead of uptime; 2^64 ticks are 36 years).
 * A packet costing c ticks is admitted when max(TAT, now) + c - now <=
 * tau, and then moves TAT there; tau is the burst's cost.  A
 * compare-and-swap moves it, so a bucket shared by CPUs stays exact (by
 * a quantum at a time, below); a packet over the limit only reads it.
 */
#define SLUICE_RL_TICK_SHIFT 4 /* ticks per ns: 1 << 4 */
/* Bytes past this count as this many: cost * len stays within 64 bits. */
#define SLUICE_RL_MAX_LEN (1 << 20)
/* Buckets of "per" rules, all rules together: a bound on memory. */
#define SLUICE_RL_KEYS (1 << 18)
/* The table of those is set-associative: a key can be in one of 4 slots. */
#define SLUICE_RL_WAYS 4

enum sluice_rl_flags {
	SLUICE_RL_BYTES = 1
			  << 0, /* cost per byte of the frame, not per packet */
	SLUICE_RL_PER_SRC = 1 << 1, /* a bucket per source prefix */
	SLUICE_RL_PER_DST = 1 << 2, /* a bucket per destination prefix */
};

/*
 * A rate-limit rule's parameters, per generation, indexed by
 * gen * (SLUICE_PRIO_MAX + 1) + prio.  A packet costs
 * (1 or its length) * cost >> shift ticks.
 */
struct sluice_rl_rule {
	__u64 cost;
	__u64 tau; /* the burst, in ticks */
	__u8 flags; /* enum sluice_rl_flags */
	__u8 per_len; /* prefix length of the key; past the family's width: all */
	__u8 shift;
	__u8 pad[5];
};
_Static_assert(sizeof(struct sluice_rl_rule) == 24, "sluice_rl_rule");

struct sluice_rl_bucket {
	__u64 tat; /* in ticks; 0: full */
};

/*
 * A compare-and-swap per admitted packet is most of what a limit costs
 * (8 to 10 ns, bpf_prog_test_run), and matters only where a limit admits
 * millions of packets a second.  So a CPU that moves a bucket's TAT moves
 * it by at least SLUICE_RL_QUANTUM ticks when the burst has room, and
 * spends what its packet did not cost, in this tick only, from a credit
 * of its own: a limit over 1 Mpps takes one compare-and-swap for many
 * packets; one under it (its packet costs more than a quantum) is
 * untouched.  A credit the tick ends before a packet spends is lost, so
 * a limit admits less by at most a quantum per CPU per tick (0.1 % per
 * CPU at HZ=1000).  Credits are per CPU, slots direct-mapped by bucket.
 */
#define SLUICE_RL_QUANTUM (1000ULL << SLUICE_RL_TICK_SHIFT) /* 1 us */
#define SLUICE_RL_CREDITS 256

struct sluice_rl_credit {
	__u64 tick; /* the tick it was drawn in: spent in no other */
	__u64 left; /* in ticks */
	__u32 bucket; /* sluice_rl_credit_bucket(); 0: none */
	__u32 pad;
};
_Static_assert(sizeof(struct sluice_rl_credit) == 24, "sluice_rl_credit");

/* A bucket's name in the credits: a rule's own, or a slot of the table. */
static inline __u32 sluice_rl_credit_bucket(__u32 idx, int keyed)
{
	return keyed ? idx | 1U << 31 : idx + 1;
}

static inline __u32 sluice_rl_credit_slot(__u32 bucket)
{
	return (bucket * 0x9e3779b9U) >> 24;
}
_Static_assert(SLUICE_RL_CREDITS == 1 << 8, "sluice_rl_credit_slot");

/* The key of a "per" bucket: the rule and the masked address. */
struct sluice_rl_key {
	__u16 prio;
	__u8 family; /* 4, 6, or 0 for packets without addresses */
	__u8 len; /* the prefix length applied */
	__u32 pad;
	__u8 addr[16];
};
_Static_assert(sizeof(struct sluice_rl_key) == 24, "sluice_rl_key");

/* A slot of the "per" table: a bucket and whose it is; tat 0: unused. */
struct sluice_rl_slot {
	struct sluice_rl_key key;
	__u64 tat;
	__u64 seen; /* the tick a packet last found it: what LRU goes by */
};
_Static_assert(sizeof(struct sluice_rl_slot) == 40, "sluice_rl_slot");

/*
 * syn-proxy (bpf/synproxy.h): what the SYN-ACK may promise, so that the
 * kernel rebuilds from the cookie ACK the connection the client was
 * told about.  User space fills it from the netns's TCP sysctls.
 */
enum sluice_synproxy_flags {
	/* tcp_timestamps=2: no per-connection offset, options in TSval */
	SLUICE_SYNPROXY_TS = 1 << 0,
	SLUICE_SYNPROXY_SACK = 1 << 1, /* tcp_sack */
	SLUICE_SYNPROXY_WSCALE = 1 << 2, /* tcp_window_scaling */
};

struct sluice_synproxy_cfg {
	__u8 flags; /* enum sluice_synproxy_flags */
	__u8 wscale; /* the window scale the kernel will pick */
	__u16 window; /* the SYN-ACK's window, bytes */
	__u32 pad;
};

/* Set maps: each slot has tries of its own, keyed by these. */
struct sluice_set4_key {
	__u32 prefixlen;
	__u32 addr; /* network byte order */
};

struct sluice_set6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* A bucket of sl_set4_long: one cache line. */
struct sluice_set4_long {
	__u32 key; /* sluice_set4_key(), SLUICE_SET4_EMPTY or _DEAD */
	__u32 pad;
	__u64 bits[4]; /* one bit per address of the /24 */
	__u64 spare[3];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct sluice_set4_long) == 64,
	       "sluice_set4_long: one cache line");
_Static_assert(sizeof(((struct sluice_set4_long *)0)->bits) * 8 == 256,
	       "sluice_set4_long: a bit per address of a /24");

/*
 * A set id's name (empty: the id is free).  Its content is the slot
 * sl_set_slots gives it; how many prefixes it holds is counted from that
 * slot's tries, never stored beside them.
 */
struct sluice_set_name {
	char name[SLUICE_SET_NAME_LEN];
};

/*
 * --- IPv6 set membership (bpf/set.h, user/lib/sets.c) ---
 * Each set with IPv6 prefixes has a bitmap of two bits per /24 (the first
 * 24 address bits), side by side so one load reads both: "covered" (a
 * prefix of /24 or shorter covers it) and "leaves" (a /32 block in it has
 * a leaf).  /25 to /31 mark every /32 block they cover "full".
 * Longer ones are listed in leaves of a hash, one leaf per (slot, block):
 * a /32 block first; a leaf whose block holds more prefixes than it can
 * list splits, keeping its own lengths (level to level + stride - 1) and
 * handing longer ones to leaves of the next level, 16 bits deeper.  A
 * leaf that cannot list all its own prefixes says so, and the trie
 * answers for its block.
 */
#define SLUICE_SET6_COVER_WORDS (2 * (1 << 24) / 64)
#define SLUICE_SET6_LEVEL0 32
#define SLUICE_SET6_STRIDE 16
#define SLUICE_SET6_LEVELS 6 /* blocks of 32, 48, ... 112 bits */
#define SLUICE_SET6_LEAF_PREFIXES 4
#define SLUICE_SET6_MAX_LEAVES (1 << 22)

enum sluice_set6_flags {
	SLUICE_SET6_FULL = 1 << 0, /* a /25../31 of the set covers the block */
	SLUICE_SET6_SPLIT = 1 << 1, /* longer prefixes in next-level leaves */
	SLUICE_SET6_OVERFLOW = 1 << 2, /* own prefixes not all listed */
};

struct sluice_set6_leaf_key {
	__u32 set; /* the slot */
	__u32 level; /* block length in bits */
	__u64 block[2]; /* address bytes, network order, masked to level */
};

struct sluice_set6_leaf {
	__u8 flags; /* enum sluice_set6_flags */
	__u8 n; /* prefixes listed */
	__u8 len[SLUICE_SET6_LEAF_PREFIXES];
	__u16 pad;
	__u64 addr[SLUICE_SET6_LEAF_PREFIXES][2]; /* as block[] */
};
/* --- end of IPv6 set membership --- */

/*
 * The next-hop cache of forward (bpf/fibcache.h, user/lib/fibcache.c):
 * what bpf_fib_lookup() answered for a key, valid while its epoch is the
 * current one.  sluiced bumps the epoch on every routing, rule,
 * neighbour, link, address or netconf notification: that drops every
 * entry at once.  The low byte of an epoch says which inputs of the
 * lookup the keys carry (SLUICE_FIBC_*); the destination, the ingress
 * port and the TOS or traffic class always.  Epoch 0 is "cache off", and
 * so is a lease gone by: a sluiced that stops renewing it (killed,
 * stuck) stops the cache within SLUICE_FIBC_LEASE_NS.
 */
#define SLUICE_FIBC_BITS 13 /* sets per CPU */
#define SLUICE_FIBC_WAYS 2
#define SLUICE_FIBC_ENTRIES ((1 << SLUICE_FIBC_BITS) * SLUICE_FIBC_WAYS)
#define SLUICE_FIBC_LEASE_NS 3000000000ULL
#define SLUICE_FIBC_KEY_MASK 0xffULL

enum sluice_fibc_key {
	SLUICE_FIBC_SRC = 1, /* source address, IPv6 flow label */
	SLUICE_FIBC_L4 = 2, /* protocol and ports */
};

struct sluice_fibc_state {
	__u64 epoch; /* generation << 8 | SLUICE_FIBC_* bits; 0: off */
	__u64 lease_ns; /* CLOCK_MONOTONIC_COARSE; the cache is off after */
};

struct sluice_fibc4_key {
	__u32 ifindex; /* ingress */
	__be32 daddr;
	__be32 saddr;
	__u16 sport, dport; /* host order, as the lookup got them */
	__u8 proto;
	__u8 tos;
	__u16 pad;
};

struct sluice_fibc6_key {
	__u32 ifindex;
	__be32 flowinfo; /* traffic class; with SLUICE_FIBC_SRC the label */
	__u16 sport, dport;
	__u8 proto;
	__u8 pad[3];
	__u8 saddr[16];
	__u8 daddr[16];
};

/* bpf_fib_lookup()'s answer: family and addr are the next hop's. */
struct sluice_fibc_nh {
	__u64 epoch; /* 0: an empty way */
	__u32 ifindex; /* egress */
	__u16 mtu; /* the route's: a larger packet takes the full lookup */
	__u8 family; /* AF_INET or AF_INET6 */
	__u8 pad;
	__u8 dmac[6];
	__u8 smac[6];
	__u8 addr[16];
	__u32 pad2;
};

#define SLUICE_FIBC_KEY_WORDS (sizeof(struct sluice_fibc6_key) / sizeof(__u64))

/*
 * A way of the cache: a key (the IPv4 one zero-padded), its family (4 or
 * 6) and the answer.  Two cache lines; sl_fibc holds SLUICE_FIBC_ENTRIES
 * of them for each possible CPU, SLUICE_FIBC_WAYS to a set.
 */
struct sluice_fibc_entry {
	union {
		struct sluice_fibc4_key k4;
		struct sluice_fibc6_key k6;
		__u64 key[SLUICE_FIBC_KEY_WORDS];
	};
	__u32 family;
	__u32 pad;
	struct sluice_fibc_nh nh;
	__u8 pad2[24];
};

_Static_assert(sizeof(struct sluice_fibc6_key) == 48 &&
		       sizeof(struct sluice_fibc4_key) <=
			       sizeof(struct sluice_fibc6_key),
	       "sluice_fibc keys: six words");
_Static_assert(sizeof(struct sluice_fibc_entry) == 128,
	       "sluice_fibc_entry: two cache lines");

/* What the last packet got, written only by programs loaded to trace. */
struct sluice_trace {
	__u32 action;
	__u32 reason;
	__u32 prio; /* 0: no rule */
	__u32 fast; /* 1: forward's fast path judged it (bpf/fastfwd.h) */
};

/*
 * A list in the pool: a header, next << 32 | len, then len rule indexes
 * in ascending (priority) order; next is the list of the next shorter
 * prefix or wider block holding rules (0: none).  Offsets are absolute;
 * 0 is "no list" (entry 0 of generation 0 is never used).
 */
#define SLUICE_LIST_HDR 1
/* A header is one 64-bit pool entry: 32 bits each for next and len. */
_Static_assert(2ULL * SLUICE_POOL_ENTRIES <= 0x100000000ULL,
	       "list header: next in 32 bits");

static inline __u64 sluice_list_hdr(__u32 len, __u32 next)
{
	return (__u64)next << 32 | len;
}

static inline __u32 sluice_pool_base(__u32 gen)
{
	return gen * SLUICE_POOL_ENTRIES;
}

static inline __u32 sluice_root_idx(__u32 gen, __u32 field, __u32 top)
{
	return (gen * SLUICE_ADDR__MAX + field) * SLUICE_ADDR_ROOT + top;
}

static inline __u32 sluice_port_idx(__u32 gen, __u32 dport, __u32 port)
{
	return (gen * 2 + dport) * SLUICE_PORTS + port;
}

/*
 * --- Capture (bpf/capture.h, user/sluiced/capture.c) ---
 * Up to SLUICE_CAP_SLOTS captures run at once, each in a slot of its
 * own: a filter (struct sluice_capture), a ring buffer (an inner map of
 * sl_cap_rings, made by sluiced for the capture and handed to its client)
 * and counters.  sl_cap_on holds a bit per active slot: the one word the
 * data path reads when nobody captures.
 */
#define SLUICE_CAP_SLOTS 8
#define SLUICE_CAP_RING_BYTES (4u << 20)
#define SLUICE_CAP_SNAP_MAX 4096 /* bytes of a packet a record holds */
#define SLUICE_CAP_RATE_DEFAULT 1000 /* records per second */

struct sluice_capture {
	__u64 slots[SLUICE_MAX_IFACES / 64]; /* interface slots; none: all */
	__u32 actions; /* 1 << enum sluice_action; 0: all */
	__u32 reasons; /* 1 << enum sluice_reason; 0: all */
	__u32 prio; /* the deciding rule; 0: any */
	__u32 snaplen; /* 1..SLUICE_CAP_SNAP_MAX */
	__u64 interval_ns; /* 1 s / the rate */
	__u64 burst_ns; /* how far ahead of now tat may run: the burst */
	__u64 tat; /* the rate cap's clock (GCRA), the data path's */
};

enum sluice_cap_counter {
	SLUICE_CAP_CAPTURED, /* written to the ring */
	SLUICE_CAP_SUPPRESSED, /* chosen, but over the rate */
	SLUICE_CAP_LOST, /* chosen and within the rate, but the ring was full */
	SLUICE_CAP__MAX,
};

/* Per slot, per CPU: a packet count per enum sluice_cap_counter. */
struct sluice_cap_counters {
	__u64 n[SLUICE_CAP__MAX];
};

/* A record of the ring: this header, then caplen bytes of the frame. */
struct sluice_cap_rec {
	__u64 time_ns; /* CLOCK_MONOTONIC */
	__u32 ifindex;
	__u32 len; /* the frame's length on the wire */
	__u32 caplen;
	__u16 prio; /* the deciding rule, 0 for none */
	__u8 hook; /* enum sluice_hook */
	__u8 action; /* enum sluice_action */
	__u8 reason; /* enum sluice_reason */
	__u8 has_vlan; /* tc: the stack took this outer tag off the frame */
	__u16 vlan_tci;
	__u16 vlan_proto; /* network byte order */
	__u16 pad;
};
_Static_assert(sizeof(struct sluice_cap_rec) == 32, "sluice_cap_rec");
/* --- end of capture --- */

#endif /* __SLUICE_ABI_H */
