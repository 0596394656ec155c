/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every map of the data plane.  User space finds them by these names, and
 * sluiced pins them under /sys/fs/bpf/sluice/ with the same names.
 */
#ifndef __SLUICE_MAPS_H
#define __SLUICE_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include <sluice/abi.h>

/* Which rule-set generation packets use. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_state);
} sl_state SEC(".maps");

/* Per generation: its header, see struct sluice_ruleset. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct sluice_ruleset);
} sl_rulesets SEC(".maps");

/*
 * The classifier (bpf/classify.h).  Every map holds both generations,
 * the second after the first; user space writes the idle one through
 * mmap and publishes it by flipping sl_state.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * SLUICE_MAX_RULES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sluice_crule);
} sl_crules SEC(".maps");

/*
 * Candidate lists: see SLUICE_LIST_HDR.  The index maps hold 64-bit
 * values because an mmapped array lays its elements out 8 bytes apart.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * SLUICE_POOL_ENTRIES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} sl_pool SEC(".maps");

/*
 * The flow cache (bpf/flowcache.h) and its epoch, which user space bumps
 * through mmap after each change to rules or sets.  The cache is one
 * array with a region of SLUICE_FLOWC_ENTRIES per possible CPU (user
 * space sizes it), not a per-CPU array: an entry's address is then
 * arithmetic, where a per-CPU array reads it from a table of pointers
 * first, one more miss; and mmapable, so entries start on a page and
 * each fills one cache line.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLUICE_FLOWC_ENTRIES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sluice_flowc_entry);
} sl_flowc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u32);
} sl_flowc_epoch SEC(".maps");

/* Per CPU, how the flow cache has been doing lately (flowcache.h). */
struct sl_flowc_luck {
	__u32 misses; /* lookups in a row that missed */
	__u32 skipped; /* packets passed by since the cache went cold */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_flowc_luck);
} sl_flowc_luck SEC(".maps");

/* Exact-value indexes (slot, VLAN, protocol, ICMP type) -> list. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * SLUICE_SMALL_ENTRIES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} sl_small_idx SEC(".maps");

/* Source and destination port -> list of the narrowest block. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * 2 * SLUICE_PORTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} sl_port_idx SEC(".maps");

/* Address roots: the top 16 bits -> a list, or a run of sl_addr_ivs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * SLUICE_ADDR__MAX * SLUICE_ADDR_ROOT);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} sl_addr_root SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * SLUICE_ADDR_IVS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sluice_iv);
} sl_addr_ivs SEC(".maps");

/* ifindex -> slot; 0 is "not ours". */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLUICE_IFINDEX_MAX);
	__type(key, __u32);
	__type(value, __u32);
} sl_ifslot SEC(".maps");

static __always_inline __u32 sl_slot(__u32 ifindex)
{
	__u32 *slot = bpf_map_lookup_elem(&sl_ifslot, &ifindex);

	return slot && *slot < SLUICE_MAX_IFACES ? *slot : 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLUICE_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct sluice_iface);
} sl_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLUICE_IFACE_COUNTERS);
	__type(key, __u32);
	__type(value, struct sluice_counter);
} sl_iface_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLUICE_REASON_COUNTERS);
	__type(key, __u32);
	__type(value, struct sluice_counter);
} sl_reason_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLUICE_PRIO_MAX + 1);
	__type(key, __u32);
	__type(value, struct sluice_counter);
} sl_rule_stats SEC(".maps");

/* Ports packets may leave by on XDP (forward, redirect): ifindex -> ifindex. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, SLUICE_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u32);
} sl_tx_ports SEC(".maps");

/* CPUs packets may be steered to; user space sizes it to the machine. */
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, SLUICE_STEER_MAX_CPUS);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} sl_cpus SEC(".maps");

/* Per generation, the CPU lists of steer rules. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * SLUICE_MAX_STEER);
	__type(key, __u32);
	__type(value, struct sluice_steer);
} sl_steer_cpus SEC(".maps");

/* syn-proxy: what SYN-ACKs promise (see struct sluice_synproxy_cfg). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_synproxy_cfg);
} sl_synproxy_cfg SEC(".maps");

/*
 * syn-proxy's socket tuple: off the stack, whose deepest chain (the
 * pipeline, syn-proxy, its option parser) sits at the verifier's limit.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_sock_tuple);
} sl_sp_tuple SEC(".maps");

/*
 * syn-proxy under a flood (synproxy.h): per CPU, the SYNs of this window
 * and the last, and the destinations whose listener a lookup found lately.
 */
#define SL_SP_DEST_BITS 4
#define SL_SP_DESTS (1 << SL_SP_DEST_BITS)

struct sl_sp_dest {
	__u64 addr[2];
	__u64 found_ns;
	__u32 port_family; /* dport << 8 | family; 0: empty */
	__u32 pad;
};

struct sl_sp_flood {
	__u64 window;
	__u32 syns, last;
	struct sl_sp_dest dest[SL_SP_DESTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_sp_flood);
} sl_sp_flood SEC(".maps");

/*
 * Sets: an id's name, the slot holding its content now, and per slot a
 * trie per family.  A load fills a spare slot and then repoints the id
 * with one store (user space writes sl_set_slots through mmap), so
 * packets see the old content or the new, never a mix.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLUICE_MAX_SETS);
	__type(key, __u32);
	__type(value, struct sluice_set_name);
} sl_sets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLUICE_MAX_SETS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64); /* array values sit 8 bytes apart when mapped */
} sl_set_slots SEC(".maps");

struct sl_set4_trie {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SLUICE_SET_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	/* Sizes, not types: clang leaves a type only pointed to undefined. */
	__uint(key_size, sizeof(struct sluice_set4_key));
	__uint(value_size, sizeof(__u32));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SLUICE_SET_SLOTS);
	__type(key, __u32);
	__array(values, struct sl_set4_trie);
} sl_set4_tries SEC(".maps");

struct sl_set6_trie {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, SLUICE_SET_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	/* Sizes, not types: clang leaves a type only pointed to undefined. */
	__uint(key_size, sizeof(struct sluice_set6_key));
	__uint(value_size, sizeof(__u32));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SLUICE_SET_SLOTS);
	__type(key, __u32);
	__array(values, struct sl_set6_trie);
} sl_set6_tries SEC(".maps");

/*
 * The IPv4 fast path (see headers/sluice/abi.h), derived from a slot's
 * trie by user space: a walk of the trie costs ~100 ns at a million prefixes on
 * this kernel, a bitmap word and a bucket one cache miss each.
 */
struct sl_set4_bitmap {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLUICE_SET4_BITMAP_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SLUICE_SET_SLOTS);
	__type(key, __u32);
	__array(values, struct sl_set4_bitmap);
} sl_set4_bits SEC(".maps");

/* Shared by all slots; user space writes it through mmap. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLUICE_SET4_LONG_ENTRIES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sluice_set4_long);
} sl_set4_long SEC(".maps");

/*
 * Never read by the programs: user space replaces its one slot to make
 * the kernel wait out an RCU grace period (maps-of-maps updates do), after
 * which no packet still runs on an old rule-set generation.
 */
struct sl_sync_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct sl_sync_inner);
} sl_sync SEC(".maps");

/* The last decision, written only when loaded with sl_trace set. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sluice_trace);
} sl_last SEC(".maps");

/*
 * --- IPv6 set membership (see headers/sluice/abi.h), derived from a
 * slot's trie by user space: a bitmap per slot, created with its first
 * IPv6 prefix, and the leaves of every slot. ---
 */
struct sl_set6_bitmap {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLUICE_SET6_COVER_WORDS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SLUICE_SET_SLOTS);
	__type(key, __u32);
	__array(values, struct sl_set6_bitmap);
} sl_set6_bits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SLUICE_SET6_MAX_LEAVES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct sluice_set6_leaf_key);
	__type(value, struct sluice_set6_leaf);
} sl_set6_leaves SEC(".maps");
/* --- end of IPv6 set membership --- */

/*
 * --- rate-limit (bpf/ratelimit.h) ---
 * Per generation, each rate-limit rule's parameters, by priority.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * (SLUICE_PRIO_MAX + 1));
	__type(key, __u32);
	__type(value, struct sluice_rl_rule);
} sl_rl_params SEC(".maps");

/* The one bucket of each rule without "per", by priority. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLUICE_PRIO_MAX + 1);
	__type(key, __u32);
	__type(value, struct sluice_rl_bucket);
} sl_rl_rule_bkt SEC(".maps");

/*
 * The buckets of "per" rules: sets of SLUICE_RL_WAYS slots, a key's set
 * by a hash of it (see bpf/ratelimit.h).  An array: a flood from any
 * number of sources cannot grow it, and finding a bucket costs a hash
 * and a few compares, no hash map's look-up.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLUICE_RL_KEYS);
	__type(key, __u32);
	__type(value, struct sluice_rl_slot);
} sl_rl_key_bkt SEC(".maps");

/* The secret of the "per" table's hash (ratelimit.h); 0: not drawn yet. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} sl_rl_secret SEC(".maps");

/* What this CPU drew from a bucket and did not yet spend (abi.h). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLUICE_RL_CREDITS);
	__type(key, __u32);
	__type(value, struct sluice_rl_credit);
} sl_rl_credits SEC(".maps");

/* Packets and bytes each rule dropped over its limit, by priority. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLUICE_PRIO_MAX + 1);
	__type(key, __u32);
	__type(value, struct sluice_counter);
} sl_rl_drops SEC(".maps");

/*
 * Entry 0: buckets created in sl_rl_key_bkt; entry 1: those that took a
 * slot never used before.  A slot once used stays used, so entry 1 is
 * the table's fill, and evictions are entry 0 less entry 1.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} sl_rl_inserts SEC(".maps");
/* --- end of rate-limit --- */

/* --- Capture (see headers/sluice/abi.h) --- */
/* Entry 0: a bit per active capture slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} sl_cap_on SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLUICE_CAP_SLOTS);
	__type(key, __u32);
	__type(value, struct sluice_capture);
} sl_cap_filters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SLUICE_CAP_SLOTS);
	__type(key, __u32);
	__type(value, struct sluice_cap_counters);
} sl_cap_stats SEC(".maps");

/* Each capture's own ring, so that captures never see each other's. */
struct sl_cap_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, SLUICE_CAP_RING_BYTES);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, SLUICE_CAP_SLOTS);
	__type(key, __u32);
	__array(values, struct sl_cap_ring);
} sl_cap_rings SEC(".maps");

/* A record is put together here: too big for the stack. */
struct sl_cap_buf {
	struct sluice_cap_rec rec;
	__u8 data[SLUICE_CAP_SNAP_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_cap_buf);
} sl_cap_scratch SEC(".maps");
/* --- end of capture --- */

/* The next-hop cache of forward, see struct sluice_fibc_state. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sluice_fibc_state);
} sl_fibc_state SEC(".maps");

/*
 * The cache itself: a region of SLUICE_FIBC_ENTRIES per possible CPU
 * (user space sizes it), as sl_flowc is, for the same reasons: an
 * entry's address is arithmetic, each starts a cache line, and a CPU
 * only ever writes its own region, so no reader sees half an entry.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SLUICE_FIBC_ENTRIES);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct sluice_fibc_entry);
} sl_fibc SEC(".maps");

/*
 * Per CPU: where a key is kept for the lookup (the stack has no room
 * left), and the tick the lease was last checked at, with its answer.
 */
struct sl_fibc_scratch {
	__u64 key[SLUICE_FIBC_KEY_WORDS];
	__u64 lease_tick;
	__u64 leased;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sl_fibc_scratch);
} sl_fibc_scratch SEC(".maps");

#endif /* __SLUICE_MAPS_H */
