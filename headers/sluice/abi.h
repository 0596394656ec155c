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

#define SLUICE_ABI_VERSION 2

/* Limits. */
#define SLUICE_MAX_IFACES 256 /* attached interfaces (slots) */
#define SLUICE_PRIO_MAX 65535 /* rule priorities are 1..65535 */
#define SLUICE_MAX_TUPLES 64 /* distinct rule shapes per rule set */
/*
 * Classifier entries live in a table of buckets, one half per generation;
 * entries that find their bucket full go to a hash map, and the bucket
 * says so.  2^15 buckets of 4 slots: 128K entries per generation.
 */
#define SLUICE_TABLE_SHIFT 15
#define SLUICE_BUCKET_SLOTS 4
#define SLUICE_GEN_SLOTS ((1 << SLUICE_TABLE_SHIFT) * SLUICE_BUCKET_SLOTS)
#define SLUICE_TABLE_SLOTS (2 * SLUICE_GEN_SLOTS)
#define SLUICE_MAX_OVERFLOW (1 << 16)
#define SLUICE_MAX_SETS 64 /* set ids 1..63; 0 means "no set" */
#define SLUICE_SET_MAX_PREFIXES (1 << 22) /* per family, all sets together */
#define SLUICE_SET_NAME_LEN 32
#define SLUICE_IFNAME_LEN 16
#define SLUICE_MAX_VLAN_DEPTH 2
#define SLUICE_MAX_EXTHDRS 8 /* IPv6 extension headers walked */

/*
 * IPv4 set membership is answered by two bitmaps per set over the /24
 * space (1 << 24 bits each): "covered" (an entry of length <= 24 covers
 * the /24) and "longer" (the /24 holds entries longer than 24 bits, which
 * live in a hash of 256-bit bitmaps).  Both live in one inner array.
 */
#define SLUICE_SET4_WORDS ((1 << 24) / 64)
#define SLUICE_SET4_BITMAP_WORDS (2 * SLUICE_SET4_WORDS)

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
	SLUICE_REASON__MAX,
};

/* What a parsed packet carries; a tuple applies only if it has all it needs. */
enum sluice_has {
	SLUICE_HAS_VLAN = 1 << 0,
	SLUICE_HAS_IP = 1 << 1,
	SLUICE_HAS_PORTS = 1 << 2,
	SLUICE_HAS_TCP = 1 << 3,
	SLUICE_HAS_ICMP = 1 << 4,
};

/*
 * The classifier key: every field a rule can match, 48 bytes.  A packet
 * fills it once; each tuple masks it, stamps its generation and tuple
 * number, and looks the result up.  IPv4 addresses sit in the first four
 * bytes of src/dst.
 */
struct sluice_key {
	__u8 gen;
	__u8 tuple;
	__u8 family; /* 4 or 6, 0 when the rule does not care */
	__u8 proto;
	__u16 slot; /* ingress interface slot */
	__u16 vlan; /* outermost VLAN id */
	__u16 sport; /* host byte order */
	__u16 dport;
	__u8 tcp_flags;
	__u8 icmp_type;
	__u16 pad;
	__u8 src[16];
	__u8 dst[16];
};

#define SLUICE_KEY_WORDS (sizeof(struct sluice_key) / sizeof(__u64))

/* One rule shape: the mask, what it needs, and the sets it consults. */
struct sluice_tuple {
	struct sluice_key mask;
	__u32 needs; /* enum sluice_has */
	__u16 min_prio; /* best rule in the tuple, for early exit */
	__u8 src_set; /* 0, or a set the source must be in */
	__u8 dst_set;
};

/* What a classifier entry decides. */
struct sluice_verdict {
	__u16 prio; /* 0: an empty slot */
	__u8 action; /* enum sluice_action */
	__u8 pad;
	__u32 arg; /* action argument (later actions) */
};

/* One slot of the classifier table: a cache line. */
struct sluice_slot {
	struct sluice_key key;
	struct sluice_verdict verdict;
	__u32 overflow; /* last slot of a bucket: look in sl_rules too */
	__u32 pad;
};

/* One generation of the rule set: the packets see one or the other. */
struct sluice_ruleset {
	__u32 ntuples;
	__u32 nentries;
};

struct sluice_state {
	__u32 active_gen; /* 0 or 1 */
	__u32 abi_version;
};

struct sluice_iface {
	__u32 ifindex; /* 0: slot free */
	__u8 policy; /* enum sluice_action for unmatched packets */
	__u8 hook; /* enum sluice_hook it is attached at */
	__u8 mode; /* attach mode, user space's business */
	__u8 pad;
	char name[SLUICE_IFNAME_LEN];
};

struct sluice_counter {
	__u64 packets;
	__u64 bytes;
};

/*
 * Per-CPU counter arrays, indexed as below.  Room is kept for actions and
 * reasons to come, so that adding one keeps the layout of pinned maps.
 */
#define SLUICE_ACT_SLOTS 8
#define SLUICE_REASON_SLOTS 32
_Static_assert(SLUICE_ACT__MAX <= SLUICE_ACT_SLOTS, "action slots");
_Static_assert(SLUICE_REASON__MAX <= SLUICE_REASON_SLOTS, "reason slots");

static inline __u32 sluice_iface_counter_idx(__u32 slot, __u32 hook,
					     __u32 action)
{
	return (slot * SLUICE_HOOK__MAX + hook) * SLUICE_ACT_SLOTS + action;
}

static inline __u32 sluice_reason_counter_idx(__u32 slot, __u32 hook,
					      __u32 reason)
{
	return (slot * SLUICE_HOOK__MAX + hook) * SLUICE_REASON_SLOTS + reason;
}

#define SLUICE_IFACE_COUNTERS \
	(SLUICE_MAX_IFACES * SLUICE_HOOK__MAX * SLUICE_ACT_SLOTS)
#define SLUICE_REASON_COUNTERS \
	(SLUICE_MAX_IFACES * SLUICE_HOOK__MAX * SLUICE_REASON_SLOTS)

/*
 * steer: each rule set generation has up to SLUICE_MAX_STEER CPU lists;
 * a steer rule's argument is the index of its list.
 */
#define SLUICE_MAX_STEER 64
#define SLUICE_STEER_MAX_CPUS 64
#define SLUICE_CPUMAP_QSIZE 2048

struct sluice_steer {
	__u32 ncpus;
	__u32 cpus[SLUICE_STEER_MAX_CPUS];
};

/* Set maps. */
struct sluice_set4_key {
	__u32 prefixlen; /* 32 (set) + prefix length */
	__u32 set; /* whole, so each set is its own subtree */
	__u32 addr; /* network byte order */
};

struct sluice_set6_key {
	__u32 prefixlen; /* 32 (set) + prefix length */
	__u32 set;
	__u8 addr[16];
};

struct sluice_set4_long_key {
	__u32 set;
	__u32 net24; /* host byte order, address >> 8 */
};

struct sluice_set4_long {
	__u64 bits[4]; /* one bit per address of the /24 */
};

struct sluice_set_info {
	char name[SLUICE_SET_NAME_LEN]; /* empty: id free */
	__u32 count4;
	__u32 count6;
};

/*
 * --- IPv6 set membership (bpf/set.h, user/lib/sets.c) ---
 * Each set with IPv6 prefixes has a bitmap of two bits per /24 (the first
 * 24 address bits), side by side so one load reads both: "covered" (a
 * prefix of /24 or shorter covers it) and "leaves" (a /32 block in it has
 * a leaf).  /25 to /31 mark every /32 block they cover "full".
 * Longer ones are listed in leaves of a hash, one leaf per (set, block):
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
	__u32 set;
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

/* What the last packet got, written only by programs loaded to trace. */
struct sluice_trace {
	__u32 action;
	__u32 reason;
	__u32 prio; /* 0: no rule */
	__u32 pad;
};

/*
 * The classifier's hash: both sides must compute it identically, the
 * data plane to find a key's bucket, user space to fill it.  The words
 * are multiplied independently and summed, so the CPU overlaps the
 * multiplies: a chained hash costs the data plane several nanoseconds
 * more per tuple.  A collision costs a compare, never a wrong verdict.
 */
static inline __u64 sluice_key_hash6(__u64 w0, __u64 w1, __u64 w2, __u64 w3,
				     __u64 w4, __u64 w5)
{
	__u64 h;

	h = (w0 ^ 0x736c756963650001ULL) * 0x9e3779b97f4a7c15ULL +
	    (w1 ^ 0x2545f4914f6cdd1dULL) * 0xbf58476d1ce4e5b9ULL +
	    (w2 ^ 0x94d049bb133111ebULL) * 0xd6e8feb86659fd93ULL +
	    (w3 ^ 0x2127599bf4325c37ULL) * 0xff51afd7ed558ccdULL +
	    (w4 ^ 0xc4ceb9fe1a85ec53ULL) * 0x9fb21c651e98df25ULL +
	    (w5 ^ 0x8cb92ba72f3d8dd7ULL) * 0xa0761d6478bd642fULL;
	h ^= h >> 31;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 29);
}

static inline __u64 sluice_key_hash(const __u64 *w)
{
	return sluice_key_hash6(w[0], w[1], w[2], w[3], w[4], w[5]);
}

/* gen and tuple, the first two bytes of a key, as its first word holds them. */
static inline __u64 sluice_key_stamp(__u32 gen, __u32 tuple)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (__u64)gen | (__u64)tuple << 8;
#else
	return (__u64)gen << 56 | (__u64)tuple << 48;
#endif
}

/* The first slot of a key's bucket in generation gen's half of the table. */
static inline __u32 sluice_bucket_slot(__u32 gen, __u64 hash)
{
	__u32 bucket = (__u32)(hash >> (64 - SLUICE_TABLE_SHIFT));

	return gen * SLUICE_GEN_SLOTS + bucket * SLUICE_BUCKET_SLOTS;
}

#endif /* __SLUICE_ABI_H */
