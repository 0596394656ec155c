// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prefix sets.  A set id points to a slot (sl_set_slots); each slot has an
 * LPM trie per family (sl_set4_tries, sl_set6_tries), each entry's value
 * its prefix length, so whatever is done to one set walks that set only.
 * For IPv4 the data plane reads a derived form instead (see bpf/maps.h),
 * kept here in step with the slot's trie:
 *   covered[/24]  an entry of length <= 24 covers this /24
 *   longer[/24]   entries longer than 24 bits: a bucket of sl_set4_long,
 *                 or, when its buckets are full, the trie itself
 * Loads and flushes fill a spare slot and repoint the id (see
 * dataplane.h); the prefix counts are counted from the tries at open and
 * kept in step here, never stored: a crash cannot make them wrong.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "dataplane_int.h"

#define SET4_MAP_BYTES (SLUICE_SET4_BITMAP_WORDS * sizeof(__u64))

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
#define SET6_COVER_BYTES (SLUICE_SET6_COVER_WORDS * sizeof(__u64))

static int name_get(const struct sl_dp *dp, unsigned int id,
		    struct sluice_set_name *n)
{
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.sl_sets), &id, n))
		return -errno;
	n->name[sizeof(n->name) - 1] = '\0';
	return 0;
}

static int name_put(struct sl_dp *dp, unsigned int id,
		    const struct sluice_set_name *n)
{
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_sets), &id, n,
				BPF_ANY))
		return -errno;
	return 0;
}

static __u64 slot_of(const struct sl_dp *dp, unsigned int id)
{
	return __atomic_load_n(&dp->set_slots[id], __ATOMIC_ACQUIRE);
}

/* The slot of a named set, or an error. */
static int set_slot(const struct sl_dp *dp, unsigned int id,
		    struct sl_set_slot **out)
{
	struct sluice_set_name n;
	__u32 s;
	int ret;

	if (id < 1 || id >= SLUICE_MAX_SETS)
		return -EINVAL;
	ret = name_get(dp, id, &n);
	if (ret)
		return ret;
	s = slot_of(dp, id);
	if (!n.name[0] || s < 1 || s >= SLUICE_SET_SLOTS || !dp->slot[s].used)
		return -ENOENT;
	*out = (struct sl_set_slot *)&dp->slot[s];
	return s;
}

int sl_dp_set_info(const struct sl_dp *dp, unsigned int id,
		   struct sluice_set_info *info)
{
	struct sluice_set_name n;
	struct sl_set_slot *sl;
	int ret;

	if (id < 1 || id >= SLUICE_MAX_SETS)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	ret = name_get(dp, id, &n);
	if (ret || !n.name[0])
		return ret;
	memcpy(info->name, n.name, sizeof(info->name));
	if (set_slot(dp, id, &sl) > 0) {
		info->count4 = sl->count4;
		info->count6 = sl->count6;
	}
	return 0;
}

int sl_dp_set_slot(const struct sl_dp *dp, unsigned int id)
{
	struct sl_set_slot *sl;

	return set_slot(dp, id, &sl);
}

unsigned int sl_dp_sets_reclaimed(const struct sl_dp *dp)
{
	return dp->slots_reclaimed;
}

/* --- slots: their inner maps, made, adopted, counted and freed --- */

/* The inner map outer holds at slot s, as a new fd, or -ENOENT. */
static int inner_fd(int outer, __u32 s)
{
	__u32 inner_id;
	int fd;

	if (bpf_map_lookup_elem(outer, &s, &inner_id))
		return -ENOENT;
	fd = bpf_map_get_fd_by_id(inner_id);
	return fd < 0 ? -errno : fd;
}

static int inner_put(int outer, __u32 s, int fd)
{
	if (bpf_map_update_elem(outer, &s, &fd, BPF_ANY))
		return -errno;
	return 0;
}

static int bitmap_create(const char *name, __u32 words)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32),
				sizeof(__u64), words, &opts);

	return fd < 0 ? -errno : fd;
}

static int trie_create(const char *name, size_t key_size)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);
	int fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, name, key_size,
				sizeof(__u32), SLUICE_SET_MAX_PREFIXES, &opts);

	return fd < 0 ? -errno : fd;
}

static int bitmap_mmap(int fd, __u32 words, __u64 **out)
{
	void *p = mmap(NULL, words * sizeof(__u64), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

static void slot_unmap(struct sl_set_slot *sl)
{
	if (sl->bits4)
		munmap(sl->bits4, SET4_MAP_BYTES);
	if (sl->bits6)
		munmap(sl->bits6, SET6_COVER_BYTES);
	if (sl->trie4_fd > 0)
		close(sl->trie4_fd);
	if (sl->trie6_fd > 0)
		close(sl->trie6_fd);
	memset(sl, 0, sizeof(*sl));
}

/*
 * Take hold of whatever slot s has (all of it for a slot in use; a
 * reclaimed one may have been cut short while being made).
 */
static int slot_adopt(struct sl_dp *dp, __u32 s, bool whole)
{
	struct sl_set_slot *sl = &dp->slot[s];
	int fd, ret = 0;

	fd = inner_fd(bpf_map__fd(dp->skel->maps.sl_set4_bits), s);
	if (fd >= 0) {
		ret = bitmap_mmap(fd, SLUICE_SET4_BITMAP_WORDS, &sl->bits4);
		close(fd);
	} else if (fd != -ENOENT || whole) {
		ret = fd;
	}
	fd = inner_fd(bpf_map__fd(dp->skel->maps.sl_set6_bits), s);
	if (!ret && fd >= 0) {
		ret = bitmap_mmap(fd, SLUICE_SET6_COVER_WORDS, &sl->bits6);
		close(fd);
	} else if (fd >= 0) {
		close(fd);
	}
	fd = inner_fd(bpf_map__fd(dp->skel->maps.sl_set4_tries), s);
	if (fd >= 0)
		sl->trie4_fd = fd;
	else if (!ret && (fd != -ENOENT || whole))
		ret = fd;
	fd = inner_fd(bpf_map__fd(dp->skel->maps.sl_set6_tries), s);
	if (fd >= 0)
		sl->trie6_fd = fd;
	else if (!ret && (fd != -ENOENT || whole))
		ret = fd;
	if (ret)
		slot_unmap(sl);
	return ret;
}

/* A free slot with empty maps of its own, not yet pointed to by any set. */
static int slot_create(struct sl_dp *dp, __u32 *out)
{
	struct sl_set_slot *sl;
	int fd = -1, ret;
	__u32 s;

	for (s = 1; s < SLUICE_SET_SLOTS && dp->slot[s].used; s++)
		;
	if (s == SLUICE_SET_SLOTS)
		return -ENOSPC;
	sl = &dp->slot[s];
	memset(sl, 0, sizeof(*sl));
	ret = fd = bitmap_create("sl_set4_bitmap", SLUICE_SET4_BITMAP_WORDS);
	if (fd >= 0)
		ret = bitmap_mmap(fd, SLUICE_SET4_BITMAP_WORDS, &sl->bits4);
	if (!ret)
		ret = inner_put(bpf_map__fd(dp->skel->maps.sl_set4_bits), s,
				fd);
	if (fd >= 0)
		close(fd);
	if (!ret)
		ret = sl->trie4_fd = trie_create(
			"sl_set4_trie", sizeof(struct sluice_set4_key));
	if (ret >= 0)
		ret = inner_put(bpf_map__fd(dp->skel->maps.sl_set4_tries), s,
				sl->trie4_fd);
	if (!ret)
		ret = sl->trie6_fd = trie_create(
			"sl_set6_trie", sizeof(struct sluice_set6_key));
	if (ret >= 0)
		ret = inner_put(bpf_map__fd(dp->skel->maps.sl_set6_tries), s,
				sl->trie6_fd);
	if (ret < 0) {
		/* Never pointed to: what is in the outer maps is harmless. */
		slot_unmap(sl);
		return ret;
	}
	sl->used = true;
	*out = s;
	return 0;
}

/* Calls fn for every prefix of a slot's trie of that family. */
static int walk_trie(int fd, int family,
		     int (*fn)(const struct sl_prefix *p, void *arg), void *arg)
{
	union {
		struct sluice_set4_key k4;
		struct sluice_set6_key k6;
	} key, next;
	size_t key_size = family == 4 ? sizeof(key.k4) : sizeof(key.k6);
	void *prev = NULL;
	int ret;

	if (fd <= 0)
		return 0;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct sl_prefix p = { .family = family };

		memcpy(&key, &next, key_size);
		prev = &key;
		p.len = key.k4.prefixlen;
		if (family == 4)
			memcpy(p.addr, &key.k4.addr, 4);
		else
			memcpy(p.addr, key.k6.addr, 16);
		ret = fn(&p, arg);
		if (ret)
			return ret;
	}
	return 0;
}

static int slot_walk(const struct sl_set_slot *sl,
		     int (*fn)(const struct sl_prefix *p, void *arg), void *arg)
{
	int ret = walk_trie(sl->trie4_fd, 4, fn, arg);

	return ret ? ret : walk_trie(sl->trie6_fd, 6, fn, arg);
}

static int count_one(const struct sl_prefix *p, void *arg)
{
	struct sl_set_slot *sl = arg;

	if (p->family == 4)
		sl->count4++;
	else
		sl->count6++;
	return 0;
}

static void count_add(struct sl_dp *dp, struct sl_set_slot *sl, int family,
		      int delta)
{
	if (family == 4) {
		sl->count4 += delta;
		dp->prefixes4 += delta;
	} else {
		sl->count6 += delta;
		dp->prefixes6 += delta;
	}
}

/* --- IPv4: the bitmap and the buckets derived from the trie --- */

static void bits_set(__u64 *w, __u32 first, __u32 last)
{
	__u32 i;

	for (i = first; i <= last; i++) {
		if (!(i & 63) && i + 63 <= last) {
			__atomic_store_n(&w[i >> 6], ~0ULL, __ATOMIC_RELAXED);
			i += 63;
			continue;
		}
		__atomic_fetch_or(&w[i >> 6], 1ULL << (i & 63),
				  __ATOMIC_RELAXED);
	}
}

static void bit_clear(__u64 *w, __u32 i)
{
	__atomic_fetch_and(&w[i >> 6], ~(1ULL << (i & 63)), __ATOMIC_RELAXED);
}

static __u32 v4_host(const struct sl_prefix *p)
{
	__u32 a;

	memcpy(&a, p->addr, 4);
	return ntohl(a);
}

/* One batch of IPv4 changes to a slot. */
struct set4_ctx {
	struct sl_dp *dp;
	__u32 s;
	struct sl_set_slot *sl;
	__u64 *bits;
};

#define SET4_LONG_BYTES \
	((size_t)SLUICE_SET4_LONG_ENTRIES * sizeof(struct sluice_set4_long))
#define SET4_COVER_WORD 0x5555555555555555ULL /* every "covered" bit */

static void set4_ctx_init(struct set4_ctx *c, struct sl_dp *dp, __u32 s)
{
	c->dp = dp;
	c->s = s;
	c->sl = &dp->slot[s];
	c->bits = c->sl->bits4;
}

/* The longest entry of the slot covering addr/len, or -1. */
static int set4_match(struct set4_ctx *c, __u32 addr, unsigned int len)
{
	struct sluice_set4_key k = { .prefixlen = len, .addr = htonl(addr) };
	__u32 plen;

	if (bpf_map_lookup_elem(c->sl->trie4_fd, &k, &plen))
		return -1;
	return plen;
}

/*
 * The SLUICE_SET4_PROBES buckets from key's home.  The table is mapped
 * once, for as long as the data plane is open: mapping 128 MB costs
 * milliseconds (every page is mapped at once).
 */
static int set4_window(struct set4_ctx *c, __u32 key,
		       struct sluice_set4_long **w)
{
	int fd = bpf_map__fd(c->dp->skel->maps.sl_set4_long);
	void *p;

	if (!c->dp->set4_long) {
		p = mmap(NULL, SET4_LONG_BYTES, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			return -errno;
		c->dp->set4_long = p;
	}
	*w = c->dp->set4_long + sluice_set4_hash(key);
	return 0;
}

/* Bit 2 * (net24 % 32) of word net24 / 32: "covered"; the next: "longer". */
static void cover4_set(__u64 *w, __u32 first, __u32 last)
{
	__u32 b;

	for (b = first;; b++) {
		if (!(b & 31) && b + 31 <= last) {
			__atomic_fetch_or(&w[b >> 5], SET4_COVER_WORD,
					  __ATOMIC_RELAXED);
			b += 31;
		} else {
			__atomic_fetch_or(&w[b >> 5], 1ULL << 2 * (b & 31),
					  __ATOMIC_RELAXED);
		}
		if (b == last)
			break;
	}
}

static void cover4_clear(__u64 *w, __u32 b)
{
	__atomic_fetch_and(&w[b >> 5], ~(1ULL << 2 * (b & 31)),
			   __ATOMIC_RELAXED);
}

static bool longer4_test(const __u64 *w, __u32 b)
{
	return (__atomic_load_n(&w[b >> 5], __ATOMIC_RELAXED) >>
		(2 * (b & 31) + 1)) &
	       1;
}

static void longer4_set(__u64 *w, __u32 b, bool on)
{
	__u64 bit = 1ULL << (2 * (b & 31) + 1);

	if (on)
		__atomic_fetch_or(&w[b >> 5], bit, __ATOMIC_SEQ_CST);
	else
		__atomic_fetch_and(&w[b >> 5], ~bit, __ATOMIC_SEQ_CST);
}

/* The bucket of window w holding key, or NULL. */
static struct sluice_set4_long *long4_find(struct sluice_set4_long *w,
					   __u32 key)
{
	int i;

	for (i = 0; i < SLUICE_SET4_PROBES; i++)
		if (__atomic_load_n(&w[i].key, __ATOMIC_RELAXED) == key)
			return &w[i];
	return NULL;
}

/*
 * A free bucket among key's, or NULL when all hold other /24s.  Buckets
 * deleted (DEAD) become free only after a grace period: a packet may
 * have read the old key and not yet its bits.  One grace period frees
 * every bucket deleted before it, so a million adds wait for one, not a
 * million.
 */
static struct sluice_set4_long *long4_alloc(struct set4_ctx *c,
					    struct sluice_set4_long *l)
{
	unsigned long marked = c->dp->dead_marked;
	bool dead = false;
	int i;

	for (i = 0; i < SLUICE_SET4_PROBES; i++) {
		if (l[i].key == SLUICE_SET4_EMPTY)
			return &l[i];
		dead |= l[i].key == SLUICE_SET4_DEAD;
	}
	if (!dead)
		return NULL;
	if (c->dp->dead_synced != marked) {
		if (sl_dp_sync(c->dp))
			return NULL;
		c->dp->dead_synced = marked;
	}
	for (i = 0; i < SLUICE_SET4_PROBES; i++) {
		if (l[i].key != SLUICE_SET4_DEAD)
			continue;
		memset(l[i].bits, 0, sizeof(l[i].bits));
		__atomic_store_n(&l[i].key, SLUICE_SET4_EMPTY,
				 __ATOMIC_RELEASE);
	}
	for (i = 0; i < SLUICE_SET4_PROBES; i++)
		if (l[i].key == SLUICE_SET4_EMPTY)
			return &l[i];
	return NULL;
}

static void long4_bits(__u64 *bits, __u32 lo, __u32 hi, bool on)
{
	__u32 i;

	for (i = lo; i <= hi; i++) {
		if (on)
			__atomic_fetch_or(&bits[i >> 6], 1ULL << (i & 63),
					  __ATOMIC_RELAXED);
		else
			__atomic_fetch_and(&bits[i >> 6], ~(1ULL << (i & 63)),
					   __ATOMIC_RELAXED);
	}
}

/*
 * Addresses lo..hi of a /24 join the set.  A new bucket is written whole
 * before its key, and its key before the /24's "longer" bit: a packet
 * reaches it only complete.  A /24 whose buckets are all taken keeps only
 * the "longer" bit, and packets ask the trie.
 */
static int long4_add(struct set4_ctx *c, __u32 net24, __u32 lo, __u32 hi)
{
	__u32 key = sluice_set4_key(c->s, net24);
	struct sluice_set4_long *w, *l;
	int ret = set4_window(c, key, &w);

	if (ret)
		return ret;
	l = long4_find(w, key);
	if (l) {
		long4_bits(l->bits, lo, hi, true);
		return 0;
	}
	if (longer4_test(c->bits, net24))
		return 0; /* overflowed: the trie answers */
	l = long4_alloc(c, w);
	if (l) {
		memset(l->bits, 0, sizeof(l->bits));
		long4_bits(l->bits, lo, hi, true);
		__atomic_store_n(&l->key, key, __ATOMIC_RELEASE);
	}
	longer4_set(c->bits, net24, true);
	return 0;
}

/*
 * Recompute addresses lo..hi of a /24 from the trie: only an address no
 * longer in the set loses its bit.  The last one gone clears the /24's
 * "longer" bit before its bucket is let go.
 */
static int long4_del(struct set4_ctx *c, __u32 net24, __u32 lo, __u32 hi)
{
	__u32 key = sluice_set4_key(c->s, net24), i;
	struct sluice_set4_long *w, *l;
	int ret = set4_window(c, key, &w);

	if (ret)
		return ret;
	l = long4_find(w, key);
	if (!l) {
		/* Overflowed: is any longer entry left in the /24? */
		for (i = 0; i < 256; i++)
			if (set4_match(c, net24 << 8 | i, 32) > 24)
				return 0;
		longer4_set(c->bits, net24, false);
		return 0;
	}
	for (i = lo; i <= hi; i++)
		if (set4_match(c, net24 << 8 | i, 32) <= 24)
			long4_bits(l->bits, i, i, false);
	for (i = 0; i < 4; i++)
		if (l->bits[i])
			return 0;
	longer4_set(c->bits, net24, false);
	__atomic_store_n(&l->key, SLUICE_SET4_DEAD, __ATOMIC_RELEASE);
	c->dp->dead_marked++;
	return 0;
}

static int set4_add(struct set4_ctx *c, const struct sl_prefix *p, bool *added)
{
	struct sluice_set4_key k = { .prefixlen = p->len };
	__u32 a = v4_host(p), plen = p->len, first, last, lo;

	memcpy(&k.addr, p->addr, 4);
	*added = false;
	if (bpf_map_update_elem(c->sl->trie4_fd, &k, &plen, BPF_NOEXIST))
		return errno == EEXIST ? 0 : errno == E2BIG ? -ENOSPC : -errno;
	*added = true;
	if (p->len > 24) {
		lo = a & 0xff;
		return long4_add(c, a >> 8, lo, lo + (1U << (32 - p->len)) - 1);
	}
	first = a >> 8;
	last = first + ((1U << (24 - p->len)) - 1);
	cover4_set(c->bits, first, last);
	return 0;
}

struct recover_state {
	__u32 first, last;
	__u8 *cov; /* one byte per /24 of first..last: still covered */
};

static int recover_one(const struct sl_prefix *p, void *arg)
{
	struct recover_state *r = arg;
	__u32 first, last;

	if (p->len > 24)
		return 0;
	first = v4_host(p) >> 8;
	last = first + ((1U << (24 - p->len)) - 1);
	if (last < r->first || first > r->last)
		return 0;
	first = first > r->first ? first : r->first;
	last = last < r->last ? last : r->last;
	memset(r->cov + (first - r->first), 1, last - first + 1);
	return 0;
}

/* Clear the covered bits of first..last that no entry covers any more. */
static int set4_recover(struct set4_ctx *c, __u32 first, __u32 last)
{
	struct recover_state r = { first, last };
	__u32 b;
	int ret;

	r.cov = calloc(last - first + 1, 1);
	if (!r.cov)
		return -ENOMEM;
	ret = walk_trie(c->sl->trie4_fd, 4, recover_one, &r);
	for (b = first; !ret; b++) {
		if (!r.cov[b - first])
			cover4_clear(c->bits, b);
		if (b == last)
			break;
	}
	free(r.cov);
	return ret;
}

/*
 * Below /8 a /24-by-/24 recomputation makes millions of lookups: walking
 * the set's own entries is cheaper.
 */
#define SET4_WALK_MIN (1U << 16)

static int set4_del(struct set4_ctx *c, const struct sl_prefix *p,
		    bool *removed)
{
	struct sluice_set4_key k = { .prefixlen = p->len };
	__u32 a = v4_host(p), first, last, b, lo;

	memcpy(&k.addr, p->addr, 4);
	*removed = false;
	if (bpf_map_delete_elem(c->sl->trie4_fd, &k))
		return errno == ENOENT ? 0 : -errno;
	*removed = true;
	if (p->len > 24) {
		lo = a & 0xff;
		return long4_del(c, a >> 8, lo, lo + (1U << (32 - p->len)) - 1);
	}
	/* Still covered by a shorter entry?  Then nothing changes. */
	if (p->len && set4_match(c, a, p->len) >= 0)
		return 0;
	first = a >> 8;
	last = first + ((1U << (24 - p->len)) - 1);
	if (last - first >= SET4_WALK_MIN)
		return set4_recover(c, first, last);
	for (b = first;; b++) {
		if (set4_match(c, b << 8, 24) < 0)
			cover4_clear(c->bits, b);
		if (b == last)
			break;
	}
	return 0;
}

/*
 * Empty a slot's buckets, found from its own "longer" bits.  Only once
 * no packet can reach the slot any more: so they are free at once, with
 * no grace period of their own (DEAD is for buckets of a live slot).
 */
#define FREE4_WORDS 4096 /* bitmap words between two looks at the clock */

static int set4_free(struct sl_dp *dp, __u32 s, unsigned long long deadline)
{
	struct sl_set_slot *sl = &dp->slot[s];
	struct set4_ctx c;
	__u32 w;
	int ret = 0;

	set4_ctx_init(&c, dp, s);
	if (!c.bits)
		return 0;
	for (w = sl->free_word; !ret && w < SLUICE_SET4_BITMAP_WORDS; w++) {
		if (!(w % FREE4_WORDS) && w != sl->free_word &&
		    now_ns() > deadline) {
			sl->free_word = w;
			return 1;
		}
		__u64 x = c.bits[w] & ~SET4_COVER_WORD;

		for (; !ret && x; x &= x - 1) {
			__u32 key = sluice_set4_key(
				s, w << 5 | __builtin_ctzll(x) >> 1);
			struct sluice_set4_long *win, *l;

			ret = set4_window(&c, key, &win);
			l = ret ? NULL : long4_find(win, key);
			if (l) {
				memset(l->bits, 0, sizeof(l->bits));
				__atomic_store_n(&l->key, SLUICE_SET4_EMPTY,
						 __ATOMIC_RELEASE);
			}
		}
	}
	sl->free_word = SLUICE_SET4_BITMAP_WORDS;
	return ret;
}
/*
 * IPv6: the derived form of headers/sluice/abi.h.  Leaves list their
 * prefixes themselves, so a change edits the leaf on its path and needs
 * no enumeration of the trie; only the covered bitmap and the "full"
 * marks (both from prefixes of /31 or shorter) are recomputed from the
 * trie's longest match, as for IPv4.  Each leaf is replaced whole by one
 * update, and a leaf's new children are written before the leaf that
 * points to them, so a packet sees every prefix not being changed.
 */
struct set6_ctx {
	struct sl_dp *dp;
	__u32 s;
	struct sl_set_slot *sl;
	int trie_fd, leaves_fd;
	__u64 *cover; /* the slot's bitmap, mapped; NULL: none yet */
	__u32 *maybe; /* /24s that lost a /32 leaf: clear "leaves"? */
	size_t nmaybe, capmaybe;
};

#define SET6_K SLUICE_SET6_LEAF_PREFIXES

struct pfx6 {
	unsigned int len;
	__u8 addr[16];
};

static void set6_ctx_init(struct set6_ctx *c, struct sl_dp *dp, __u32 s)
{
	c->dp = dp;
	c->s = s;
	c->sl = &dp->slot[s];
	c->trie_fd = c->sl->trie6_fd;
	c->leaves_fd = bpf_map__fd(dp->skel->maps.sl_set6_leaves);
	c->cover = c->sl->bits6;
	c->maybe = NULL;
	c->nmaybe = c->capmaybe = 0;
}

/* The two bits of a /24: "covered" at 2 * net24, "leaves" just above. */
static void cover_set(struct set6_ctx *c, __u32 first, __u32 last)
{
	__u32 t;

	for (t = first;; t++) {
		bits_set(c->cover, 2 * t, 2 * t);
		if (t == last)
			break;
	}
}

static int set6_leaves_sweep(struct set6_ctx *c);

static int set6_ctx_done(struct set6_ctx *c)
{
	int ret = 0;

	if (c->cover && c->nmaybe)
		ret = set6_leaves_sweep(c);
	free(c->maybe);
	c->maybe = NULL;
	return ret;
}

/* The slot's covered bitmap, made with its first IPv6 prefix. */
static int set6_cover(struct set6_ctx *c, bool create)
{
	int fd, ret;

	if (c->cover)
		return 0;
	if (!create)
		return -ENOENT;
	fd = bitmap_create("sl_set6_bitmap", SLUICE_SET6_COVER_WORDS);
	if (fd < 0)
		return fd;
	ret = bitmap_mmap(fd, SLUICE_SET6_COVER_WORDS, &c->sl->bits6);
	/* Mapped before it is published: packets find it once complete. */
	if (!ret)
		ret = inner_put(bpf_map__fd(c->dp->skel->maps.sl_set6_bits),
				c->s, fd);
	close(fd);
	if (ret && c->sl->bits6) {
		munmap(c->sl->bits6, SET6_COVER_BYTES);
		c->sl->bits6 = NULL;
	}
	c->cover = c->sl->bits6;
	return ret;
}

static void addr_mask(__u8 *out, const __u8 *in, unsigned int bits)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		unsigned int b = i * 8;

		out[i] = bits >= b + 8 ? in[i] :
			 bits <= b     ? 0 :
					 in[i] & (__u8)(0xff00 >> (bits - b));
	}
}

static unsigned int level_bits(int i)
{
	return SLUICE_SET6_LEVEL0 + i * SLUICE_SET6_STRIDE;
}

static void leaf_key(struct sluice_set6_leaf_key *k, __u32 s, int i,
		     const __u8 *addr)
{
	memset(k, 0, sizeof(*k));
	k->set = s;
	k->level = level_bits(i);
	addr_mask((__u8 *)k->block, addr, k->level);
}

/* The longest prefix of the set covering addr/len in the trie, or -1. */
static int set6_match(struct set6_ctx *c, const __u8 *addr, unsigned int len)
{
	struct sluice_set6_key k = { .prefixlen = len };
	__u32 plen;

	addr_mask(k.addr, addr, len);
	if (bpf_map_lookup_elem(c->trie_fd, &k, &plen))
		return -1;
	return plen;
}

static int leaf_get(struct set6_ctx *c, const struct sluice_set6_leaf_key *k,
		    struct sluice_set6_leaf *l)
{
	if (!bpf_map_lookup_elem(c->leaves_fd, k, l))
		return 0;
	if (errno != ENOENT)
		return -errno;
	memset(l, 0, sizeof(*l));
	return -ENOENT;
}

static __u32 top24(const __u8 *a)
{
	return (__u32)a[0] << 16 | (__u32)a[1] << 8 | a[2];
}

/*
 * Write the leaf, or delete it when it says nothing.  A /32 leaf turns
 * its /24's "leaves" bit on once it is there to be found; the bit goes
 * off at the end of the change, if no /32 leaf of the /24 is left.
 */
static int leaf_put(struct set6_ctx *c, const struct sluice_set6_leaf_key *k,
		    const struct sluice_set6_leaf *l)
{
	__u32 t = top24((const __u8 *)k->block);

	if (!l->n && !l->flags) {
		if (bpf_map_delete_elem(c->leaves_fd, k)) {
			if (errno != ENOENT)
				return -errno;
			return 0;
		}
		if (k->level != SLUICE_SET6_LEVEL0)
			return 0;
		if (c->nmaybe == c->capmaybe) {
			size_t cap = c->capmaybe ? 2 * c->capmaybe : 256;
			__u32 *v = realloc(c->maybe, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			c->maybe = v;
			c->capmaybe = cap;
		}
		c->maybe[c->nmaybe++] = t;
		return 0;
	}
	if (bpf_map_update_elem(c->leaves_fd, k, l, BPF_ANY))
		return errno == E2BIG ? -ENOSPC : -errno;
	if (k->level == SLUICE_SET6_LEVEL0)
		bits_set(c->cover, 2 * t + 1, 2 * t + 1);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* A /24 keeps its "leaves" bit while a /25 or longer of it is left. */
static int sweep_live(const struct sl_prefix *p, void *arg)
{
	__u64 *live = arg;
	__u32 t;

	if (p->len < 25)
		return 0;
	t = top24(p->addr);
	live[t >> 6] |= 1ULL << (t & 63);
	return 0;
}

/*
 * Turn off the "leaves" bit of each /24 that lost its last /32 leaf: a
 * few /24s by looking up their 256 blocks, many by one pass over the
 * slot's own trie, so a million deletions cost one pass, not 256 million
 * lookups.
 */
#define SWEEP_LOOKUP_MAX 64
static int set6_leaves_sweep(struct set6_ctx *c)
{
	struct sluice_set6_leaf_key k;
	struct sluice_set6_leaf l;
	size_t i, n = 0;
	__u64 *live = NULL;
	__u8 a[16] = {};
	__u32 b, t;
	int ret;

	qsort(c->maybe, c->nmaybe, sizeof(*c->maybe), cmp_u32);
	for (i = 0; i < c->nmaybe; i++)
		if (!n || c->maybe[n - 1] != c->maybe[i])
			c->maybe[n++] = c->maybe[i];
	if (n > SWEEP_LOOKUP_MAX) {
		live = calloc(SLUICE_SET6_COVER_WORDS / 2, sizeof(*live));
		if (!live)
			return -ENOMEM;
		ret = walk_trie(c->trie_fd, 6, sweep_live, live);
		if (ret) {
			free(live);
			return ret;
		}
	}
	for (i = 0; i < n; i++) {
		bool any = false;

		t = c->maybe[i];
		if (live) {
			any = (live[t >> 6] >> (t & 63)) & 1;
		} else {
			a[0] = t >> 16;
			a[1] = t >> 8;
			a[2] = t;
			for (b = 0; b < 256 && !any; b++) {
				a[3] = b;
				leaf_key(&k, c->s, 0, a);
				any = !bpf_map_lookup_elem(c->leaves_fd, &k,
							   &l);
			}
		}
		if (!any)
			bit_clear(c->cover, 2 * t + 1);
	}
	free(live);
	return 0;
}

static void leaf_list(struct sluice_set6_leaf *l, const struct pfx6 *p)
{
	if (l->n == SET6_K) {
		l->flags |= SLUICE_SET6_OVERFLOW;
		return;
	}
	l->len[l->n] = p->len;
	memcpy(l->addr[l->n], p->addr, 16);
	l->n++;
}

static bool own_len(int i, unsigned int len)
{
	return i == SLUICE_SET6_LEVELS - 1 ||
	       len < level_bits(i) + SLUICE_SET6_STRIDE;
}

/* List p (of /32 or longer) in the leaf of its block, from level i down. */
static int leaf_add(struct set6_ctx *c, int i, const struct pfx6 *p)
{
	struct sluice_set6_leaf_key k;
	struct sluice_set6_leaf l, nl;
	struct pfx6 all[SET6_K + 1];
	int j, ret;

	for (; i < SLUICE_SET6_LEVELS; i++) {
		leaf_key(&k, c->s, i, p->addr);
		ret = leaf_get(c, &k, &l);
		if (ret && ret != -ENOENT)
			return ret;
		if ((l.flags & SLUICE_SET6_SPLIT) && !own_len(i, p->len))
			continue;
		if ((l.flags & SLUICE_SET6_SPLIT) || l.n < SET6_K ||
		    i == SLUICE_SET6_LEVELS - 1) {
			leaf_list(&l, p);
			return leaf_put(c, &k, &l);
		}
		/* Full and compact: split, the children first. */
		for (j = 0; j < l.n; j++) {
			all[j].len = l.len[j];
			memcpy(all[j].addr, l.addr[j], 16);
		}
		all[j++] = *p;
		memset(&nl, 0, sizeof(nl));
		nl.flags = l.flags | SLUICE_SET6_SPLIT;
		while (j--) {
			if (own_len(i, all[j].len)) {
				leaf_list(&nl, &all[j]);
				continue;
			}
			ret = leaf_add(c, i + 1, &all[j]);
			if (ret)
				return ret;
		}
		return leaf_put(c, &k, &nl);
	}
	return 0;
}

/* Unlist p from the leaf that lists it (an unlisted one needs nothing). */
static int leaf_del(struct set6_ctx *c, const struct pfx6 *p)
{
	struct sluice_set6_leaf_key k;
	struct sluice_set6_leaf l;
	int i, j, ret;

	for (i = 0; i < SLUICE_SET6_LEVELS; i++) {
		leaf_key(&k, c->s, i, p->addr);
		ret = leaf_get(c, &k, &l);
		if (ret)
			return ret == -ENOENT ? 0 : ret;
		if ((l.flags & SLUICE_SET6_SPLIT) && !own_len(i, p->len))
			continue;
		for (j = 0; j < l.n; j++)
			if (l.len[j] == p->len &&
			    !memcmp(l.addr[j], p->addr, 16))
				break;
		if (j == l.n)
			return 0;
		for (; j + 1 < l.n; j++) {
			l.len[j] = l.len[j + 1];
			memcpy(l.addr[j], l.addr[j + 1], 16);
		}
		l.n--;
		l.len[l.n] = 0;
		memset(l.addr[l.n], 0, 16);
		return leaf_put(c, &k, &l);
	}
	return 0;
}

/* Mark or unmark the /32 blocks a /25../31 covers, as the trie says now. */
static int set6_full(struct set6_ctx *c, const struct pfx6 *p, bool add)
{
	__u32 first, n = 1U << (32 - p->len), b, be;
	struct sluice_set6_leaf_key k;
	struct sluice_set6_leaf l;
	__u8 a[16] = {};
	int ret;

	memcpy(&be, p->addr, 4);
	first = ntohl(be);
	for (b = 0; b < n; b++) {
		be = htonl(first + b);
		memcpy(a, &be, 4);
		leaf_key(&k, c->s, 0, a);
		ret = leaf_get(c, &k, &l);
		if (ret && ret != -ENOENT)
			return ret;
		if (add || set6_match(c, a, 31) >= 25)
			l.flags |= SLUICE_SET6_FULL;
		else
			l.flags &= ~SLUICE_SET6_FULL;
		ret = leaf_put(c, &k, &l);
		if (ret)
			return ret;
	}
	return 0;
}

struct recover6_state {
	struct set6_ctx *c;
	__u32 first, last;
};

static int recover6_one(const struct sl_prefix *p, void *arg)
{
	struct recover6_state *r = arg;
	__u32 first, last;

	if (p->len > 24)
		return 0;
	first = top24(p->addr);
	last = first + ((1U << (24 - p->len)) - 1);
	if (last < r->first || first > r->last)
		return 0;
	cover_set(r->c, first > r->first ? first : r->first,
		  last < r->last ? last : r->last);
	return 0;
}

/* Recompute the covered bits of a /len (<= 24) just deleted. */
static int set6_uncover(struct set6_ctx *c, const struct pfx6 *p)
{
	__u32 first = top24(p->addr), last, b;
	__u8 a[16] = {};

	if (p->len && set6_match(c, p->addr, p->len) >= 0)
		return 0;
	last = first + ((1U << (24 - p->len)) - 1);
	if (last - first >= SET4_WALK_MIN) {
		struct recover6_state r = { c, first, last };

		for (b = first;; b++) {
			bit_clear(c->cover, 2 * b);
			if (b == last)
				break;
		}
		return walk_trie(c->trie_fd, 6, recover6_one, &r);
	}
	for (b = first;; b++) {
		a[0] = b >> 16;
		a[1] = b >> 8;
		a[2] = b;
		if (set6_match(c, a, 24) < 0)
			bit_clear(c->cover, 2 * b);
		if (b == last)
			break;
	}
	return 0;
}

static int set6_op(struct set6_ctx *c, const struct sl_prefix *sp, bool add,
		   bool *changed)
{
	struct sluice_set6_key k = { .prefixlen = sp->len };
	__u32 plen = sp->len;
	struct pfx6 p = { .len = sp->len };
	int ret;

	*changed = false;
	memcpy(p.addr, sp->addr, 16);
	memcpy(k.addr, sp->addr, 16);
	/* The bitmap first: leaves are not found without it. */
	ret = set6_cover(c, add);
	if (ret && (add || ret != -ENOENT))
		return ret;
	ret = add ? bpf_map_update_elem(c->trie_fd, &k, &plen, BPF_NOEXIST) :
		    bpf_map_delete_elem(c->trie_fd, &k);
	*changed = !ret;
	if (ret)
		return errno == (add ? EEXIST : ENOENT) ? 0 :
		       errno == E2BIG			? -ENOSPC :
							  -errno;
	if (p.len >= SLUICE_SET6_LEVEL0)
		return add ? leaf_add(c, 0, &p) : leaf_del(c, &p);
	if (p.len > 24)
		return set6_full(c, &p, add);
	if (!add)
		return c->cover ? set6_uncover(c, &p) : 0;
	cover_set(c, top24(p.addr), top24(p.addr) + ((1U << (24 - p.len)) - 1));
	return 0;
}

struct free6_state {
	struct sl_dp *dp;
	__u32 s;
	int leaves_fd;
};

/* Delete every leaf a prefix of the slot may have put on its path. */
static int free6_one(const struct sl_prefix *p, void *arg)
{
	struct free6_state *f = arg;
	struct sluice_set6_leaf_key k;
	__u32 first, b, be;
	__u8 a[16] = {};
	int i;

	if (p->len >= SLUICE_SET6_LEVEL0) {
		for (i = 0; i < SLUICE_SET6_LEVELS; i++) {
			leaf_key(&k, f->s, i, p->addr);
			bpf_map_delete_elem(f->leaves_fd, &k);
		}
		return 0;
	}
	if (p->len <= 24)
		return 0;
	memcpy(&be, p->addr, 4);
	first = ntohl(be);
	for (b = 0; b < 1U << (32 - p->len); b++) {
		be = htonl(first + b);
		memcpy(a, &be, 4);
		leaf_key(&k, f->s, 0, a);
		bpf_map_delete_elem(f->leaves_fd, &k);
	}
	return 0;
}

/*
 * Delete the slot's leaves, found from its own trie's prefixes: only
 * once no packet can reach the slot any more.
 */
#define FREE6_PREFIXES 256 /* prefixes between two looks at the clock */

static int set6_free(struct sl_dp *dp, __u32 s, unsigned long long deadline)
{
	struct free6_state f = { dp, s,
				 bpf_map__fd(dp->skel->maps.sl_set6_leaves) };
	struct sl_set_slot *sl = &dp->slot[s];
	struct sluice_set6_key next;
	unsigned int n = 0;

	if (sl->trie6_fd <= 0)
		return 0;
	/* The trie itself is not changed: the walk goes on where it was. */
	while (!bpf_map_get_next_key(sl->trie6_fd,
				     sl->free6_started ? &sl->free6_key : NULL,
				     &next)) {
		struct sl_prefix p = { .family = 6, .len = next.prefixlen };

		memcpy(p.addr, next.addr, 16);
		free6_one(&p, &f);
		sl->free6_key = next;
		sl->free6_started = true;
		if (!(++n % FREE6_PREFIXES) && now_ns() > deadline)
			return 1;
	}
	return 0;
}

/* --- changes to a slot, and the slot's end --- */

/*
 * Add or delete p[0..n) in slot s.  Additions first check the room left
 * for all slots together (the tries are each as big as the whole cap).
 */
static int slot_change(struct sl_dp *dp, __u32 s, const struct sl_prefix *p,
		       size_t n, bool add)
{
	struct sl_set_slot *sl = &dp->slot[s];
	struct set4_ctx c4;
	struct set6_ctx c6;
	size_t i;
	int ret = 0;

	set4_ctx_init(&c4, dp, s);
	set6_ctx_init(&c6, dp, s);
	for (i = 0; !ret && i < n; i++) {
		bool changed = false;

		if (add && (p[i].family == 4 ? dp->prefixes4 : dp->prefixes6) >=
				   SLUICE_SET_MAX_PREFIXES) {
			ret = -ENOSPC;
			break;
		}
		if (p[i].family == 4)
			ret = add ? set4_add(&c4, &p[i], &changed) :
				    set4_del(&c4, &p[i], &changed);
		else
			ret = set6_op(&c6, &p[i], add, &changed);
		/* Counts follow what really changed, even when it failed. */
		if (changed)
			count_add(dp, sl, p[i].family, add ? 1 : -1);
	}
	if (!ret)
		ret = set6_ctx_done(&c6);
	else
		set6_ctx_done(&c6);
	return ret;
}

/*
 * Free slot s, which no set points to.  Its buckets and leaves are found
 * from its own bitmap and trie; then its maps go from the outer maps (the
 * kernel frees each once no packet holds it).
 */
static int slot_free_until(struct sl_dp *dp, __u32 s,
			   unsigned long long deadline)
{
	struct sl_set_slot *sl = &dp->slot[s];
	const struct bpf_map *outer[] = { dp->skel->maps.sl_set4_bits,
					  dp->skel->maps.sl_set6_bits,
					  dp->skel->maps.sl_set4_tries,
					  dp->skel->maps.sl_set6_tries };
	size_t i;

	if (set4_free(dp, s, deadline) > 0 || set6_free(dp, s, deadline) > 0)
		return 1;
	for (i = 0; i < sizeof(outer) / sizeof(outer[0]); i++)
		bpf_map_delete_elem(bpf_map__fd(outer[i]), &s);
	dp->prefixes4 -= sl->count4;
	dp->prefixes6 -= sl->count6;
	slot_unmap(sl);
	return 0;
}

static void slot_free(struct sl_dp *dp, __u32 s)
{
	slot_free_until(dp, s, ~0ULL);
}

int sl_dp_sets_reclaim(struct sl_dp *dp, unsigned long long budget_ns)
{
	unsigned long long deadline = budget_ns ? now_ns() + budget_ns : ~0ULL;
	__u32 s;

	for (s = 1; s < SLUICE_SET_SLOTS; s++)
		if (dp->slot[s].freeing && slot_free_until(dp, s, deadline))
			return 1;
	return 0;
}

/* --- the API --- */

int sl_dp_set_id(struct sl_dp *dp, const char *name, bool create)
{
	struct sluice_set_name n;
	unsigned int id, free_id = 0;
	__u32 s;
	int ret;

	for (id = 1; id < SLUICE_MAX_SETS; id++) {
		if (name_get(dp, id, &n))
			return -EIO;
		if (!n.name[0]) {
			if (!free_id)
				free_id = id;
			continue;
		}
		if (!strncmp(n.name, name, sizeof(n.name)))
			return id;
	}
	if (!create)
		return -ENOENT;
	if (!free_id)
		return -ENOSPC;
	/* The slot before the name: a named set always has one. */
	ret = slot_create(dp, &s);
	if (ret)
		return ret;
	__atomic_store_n(&dp->set_slots[free_id], s, __ATOMIC_RELEASE);
	memset(&n, 0, sizeof(n));
	snprintf(n.name, sizeof(n.name), "%s", name);
	ret = name_put(dp, free_id, &n);
	return ret ? ret : (int)free_id;
}

int sl_dp_set_add(struct sl_dp *dp, unsigned int id, const struct sl_prefix *p,
		  size_t n)
{
	struct sl_set_slot *sl;
	int s = set_slot(dp, id, &sl), ret;

	if (s < 0)
		return s;
	/* Even a change cut short has changed what packets see. */
	ret = slot_change(dp, s, p, n, true);
	sl_dp_flowc_flush(dp);
	return ret;
}

int sl_dp_set_del(struct sl_dp *dp, unsigned int id, const struct sl_prefix *p,
		  size_t n)
{
	struct sl_set_slot *sl;
	int s = set_slot(dp, id, &sl), ret;

	if (s < 0)
		return s;
	/* Even a change cut short has changed what packets see. */
	ret = slot_change(dp, s, p, n, false);
	sl_dp_flowc_flush(dp);
	return ret;
}

int sl_dp_set_walk(const struct sl_dp *dp, unsigned int id,
		   int (*fn)(const struct sl_prefix *p, void *arg), void *arg)
{
	struct sl_set_slot *sl;
	int s = set_slot(dp, id, &sl);

	return s < 0 ? s : slot_walk(sl, fn, arg);
}

struct sl_set_build {
	struct sl_dp *dp;
	unsigned int id;
	__u32 s;
};

int sl_dp_set_build_start(struct sl_dp *dp, unsigned int id,
			  struct sl_set_build **out)
{
	struct sl_set_build *b;
	struct sl_set_slot *sl;
	int ret = set_slot(dp, id, &sl);

	if (ret < 0)
		return ret;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->dp = dp;
	b->id = id;
	ret = slot_create(dp, &b->s);
	if (ret) {
		free(b);
		return ret;
	}
	*out = b;
	return 0;
}

int sl_dp_set_build_add(struct sl_set_build *b, const struct sl_prefix *p,
			size_t n)
{
	return slot_change(b->dp, b->s, p, n, true);
}

void sl_dp_set_build_abort(struct sl_set_build *b)
{
	if (!b)
		return;
	/* Never published: no packet can be reading it. */
	slot_free(b->dp, b->s);
	free(b);
}

/*
 * One store repoints the set; once no packet runs on the old slot any
 * more, it is freed.  A crash after the store leaves the old slot to be
 * dropped at the next open, one before it the new.
 */
int sl_dp_set_build_publish(struct sl_set_build *b)
{
	struct sl_dp *dp = b->dp;
	struct sl_set_slot *sl;
	int old = set_slot(dp, b->id, &sl), ret;

	if (old < 0) {
		sl_dp_set_build_abort(b);
		return old;
	}
	__atomic_store_n(&dp->set_slots[b->id], b->s, __ATOMIC_SEQ_CST);
	sl_dp_flowc_flush(dp);
	free(b);
	ret = sl_dp_sync(dp);
	/* Without a grace period the old slot stays, to be dropped at open. */
	if (!ret)
		dp->slot[old].freeing = true;
	return ret;
}

int sl_dp_set_flush(struct sl_dp *dp, unsigned int id)
{
	struct sl_set_build *b;
	int ret = sl_dp_set_build_start(dp, id, &b);

	if (!ret)
		ret = sl_dp_set_build_publish(b);
	if (!ret)
		ret = sl_dp_sets_reclaim(dp, 0);
	return ret;
}

struct same_state {
	const struct sl_prefix *v;
	size_t n;
};

static int same_one(const struct sl_prefix *p, void *arg)
{
	struct same_state *st = arg;

	return bsearch(p, st->v, st->n, sizeof(*p), sl_prefix_cmp) ? 0 : 1;
}

/* Does slot sl hold exactly p[0..n)? */
static int slot_holds(struct sl_set_slot *sl, const struct sl_prefix *p,
		      size_t n, bool *same)
{
	struct same_state st = { NULL, 0 };
	struct sl_prefix *v;
	size_t i, n4 = 0;
	int ret;

	*same = false;
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memcpy(v, p, n * sizeof(*v));
	if (n)
		qsort(v, n, sizeof(*v), sl_prefix_cmp);
	for (i = 0; i < n; i++) {
		if (st.n && !sl_prefix_cmp(&v[st.n - 1], &v[i]))
			continue;
		v[st.n++] = v[i];
		n4 += v[i].family == 4;
	}
	st.v = v;
	ret = 0;
	if (n4 == sl->count4 && st.n - n4 == sl->count6) {
		ret = slot_walk(sl, same_one, &st);
		*same = !ret;
		ret = ret > 0 ? 0 : ret;
	}
	free(v);
	return ret;
}

int sl_dp_set_replace(struct sl_dp *dp, unsigned int id,
		      const struct sl_prefix *p, size_t n)
{
	struct sl_set_build *b;
	struct sl_set_slot *sl;
	bool same;
	int ret = set_slot(dp, id, &sl);

	if (ret < 0)
		return ret;
	ret = slot_holds(sl, p, n, &same);
	if (ret || same)
		return ret;
	ret = sl_dp_set_build_start(dp, id, &b);
	if (ret)
		return ret;
	ret = sl_dp_set_build_add(b, p, n);
	if (ret) {
		sl_dp_set_build_abort(b);
		return ret;
	}
	ret = sl_dp_set_build_publish(b);
	return ret ? ret : sl_dp_sets_reclaim(dp, 0);
}

/* --- open and close --- */

static bool slot_exists(struct sl_dp *dp, __u32 s)
{
	const struct bpf_map *outer[] = { dp->skel->maps.sl_set4_bits,
					  dp->skel->maps.sl_set6_bits,
					  dp->skel->maps.sl_set4_tries,
					  dp->skel->maps.sl_set6_tries };
	__u32 inner_id;
	size_t i;

	for (i = 0; i < sizeof(outer) / sizeof(outer[0]); i++)
		if (!bpf_map_lookup_elem(bpf_map__fd(outer[i]), &s, &inner_id))
			return true;
	return false;
}

int sl_dp_sets_open(struct sl_dp *dp)
{
	bool pointed[SLUICE_SET_SLOTS] = {};
	struct sluice_set_name n;
	struct sl_set_slot *sl;
	unsigned int id;
	__u64 v;
	__u32 s;
	void *p;
	int ret;

	p = mmap(NULL, SLUICE_MAX_SETS * sizeof(__u64), PROT_READ | PROT_WRITE,
		 MAP_SHARED, bpf_map__fd(dp->skel->maps.sl_set_slots), 0);
	if (p == MAP_FAILED)
		return -errno;
	dp->set_slots = p;
	for (id = 1; id < SLUICE_MAX_SETS; id++) {
		ret = name_get(dp, id, &n);
		if (ret)
			return ret;
		v = dp->set_slots[id];
		if (!n.name[0] || v >= SLUICE_SET_SLOTS || pointed[v]) {
			/* Cut short while being made: no set, no slot. */
			dp->set_slots[id] = 0;
			continue;
		}
		if (v)
			pointed[v] = true;
	}
	/*
	 * Unpointed slots first: they are the room the others need.  One
	 * that was published just before a crash may still have had packets
	 * on it: wait them out before its buckets are emptied.
	 */
	for (s = 1; s < SLUICE_SET_SLOTS; s++) {
		if (pointed[s] || !slot_exists(dp, s))
			continue;
		if (!dp->slots_reclaimed) {
			ret = sl_dp_sync(dp);
			if (ret)
				return ret;
		}
		ret = slot_adopt(dp, s, false);
		if (ret)
			return ret;
		dp->slots_reclaimed++;
		slot_free(dp, s);
	}
	for (s = 1; s < SLUICE_SET_SLOTS; s++) {
		if (!pointed[s])
			continue;
		ret = slot_adopt(dp, s, true);
		if (ret)
			return ret;
		sl = &dp->slot[s];
		sl->used = true;
		ret = slot_walk(sl, count_one, sl);
		if (ret)
			return ret;
		dp->prefixes4 += sl->count4;
		dp->prefixes6 += sl->count6;
	}
	/* Buckets a run before deleted: free after the next grace period. */
	dp->dead_marked = 1;
	dp->dead_synced = 0;
	/* A named set whose slot never came: an empty one. */
	for (id = 1; id < SLUICE_MAX_SETS; id++) {
		if (name_get(dp, id, &n) || !n.name[0] || dp->set_slots[id])
			continue;
		ret = slot_create(dp, &s);
		if (ret)
			return ret;
		__atomic_store_n(&dp->set_slots[id], s, __ATOMIC_RELEASE);
	}
	return 0;
}

void sl_dp_sets_close(struct sl_dp *dp)
{
	__u32 s;

	for (s = 1; s < SLUICE_SET_SLOTS; s++)
		slot_unmap(&dp->slot[s]);
	if (dp->set_slots)
		munmap(dp->set_slots, SLUICE_MAX_SETS * sizeof(__u64));
	if (dp->set4_long)
		munmap(dp->set4_long, SET4_LONG_BYTES);
}
