// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prefix sets.  The LPM tries (sl_set4, sl_set6) hold every set; each
 * entry's value is its prefix length.  For IPv4 the data plane reads a
 * derived form instead (see bpf/maps.h), kept here in step with the trie:
 *   covered[/24]  an entry of length <= 24 covers this /24
 *   longer[/24]   entries longer than 24 bits: a bucket of sl_set4_long,
 *                 or, when its buckets are full, the trie itself
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dataplane.h"
#include "dataplane_int.h"

#define SET4_MAP_BYTES (SLUICE_SET4_BITMAP_WORDS * sizeof(__u64))

static int info_get(const struct sl_dp *dp, unsigned int id,
		    struct sluice_set_info *info)
{
	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.sl_sets), &id, info))
		return -errno;
	return 0;
}

static int info_put(struct sl_dp *dp, unsigned int id,
		    const struct sluice_set_info *info)
{
	if (bpf_map_update_elem(bpf_map__fd(dp->skel->maps.sl_sets), &id, info,
				BPF_ANY))
		return -errno;
	return 0;
}

int sl_dp_set_info(const struct sl_dp *dp, unsigned int id,
		   struct sluice_set_info *info)
{
	if (id < 1 || id >= SLUICE_MAX_SETS)
		return -EINVAL;
	return info_get(dp, id, info);
}

/*
 * Map the mmapable array of `words` __u64 that outer holds for set id,
 * creating and inserting one if create.
 */
static int bitmap_map(int outer, __u32 id, const char *name, __u32 words,
		      bool create, void **out)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_MMAPABLE);
	__u32 inner_id;
	void *p;
	int fd;

	if (!bpf_map_lookup_elem(outer, &id, &inner_id)) {
		fd = bpf_map_get_fd_by_id(inner_id);
	} else if (create) {
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32),
				    sizeof(__u64), words, &opts);
		if (fd >= 0 && bpf_map_update_elem(outer, &id, &fd, BPF_ANY)) {
			close(fd);
			return -errno;
		}
	} else {
		return -ENOENT;
	}
	if (fd < 0)
		return -errno;
	p = mmap(NULL, words * sizeof(__u64), PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

/* Map the set's IPv4 bitmaps, creating them for a new set. */
static int set4_bits(struct sl_dp *dp, unsigned int id, bool create)
{
	void *p;
	int ret;

	if (dp->set4_bits[id])
		return 0;
	ret = bitmap_map(bpf_map__fd(dp->skel->maps.sl_set4_bits), id,
			 "sl_set4_bitmap", SLUICE_SET4_BITMAP_WORDS, create,
			 &p);
	if (!ret)
		dp->set4_bits[id] = p;
	return ret;
}

int sl_dp_set_id(struct sl_dp *dp, const char *name, bool create)
{
	struct sluice_set_info info;
	unsigned int id, free_id = 0;
	int ret;

	for (id = 1; id < SLUICE_MAX_SETS; id++) {
		if (info_get(dp, id, &info))
			return -EIO;
		if (!info.name[0]) {
			if (!free_id)
				free_id = id;
			continue;
		}
		if (!strncmp(info.name, name, sizeof(info.name)))
			return id;
	}
	if (!create)
		return -ENOENT;
	if (!free_id)
		return -ENOSPC;
	ret = set4_bits(dp, free_id, true);
	if (ret)
		return ret;
	memset(&info, 0, sizeof(info));
	snprintf(info.name, sizeof(info.name), "%s", name);
	ret = info_put(dp, free_id, &info);
	return ret ? ret : (int)free_id;
}

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

/* The longest entry of set id covering addr/len, or -1. */
static int set4_match(struct sl_dp *dp, unsigned int id, __u32 addr,
		      unsigned int len)
{
	struct sluice_set4_key k = { .prefixlen = 32 + len,
				     .set = id,
				     .addr = htonl(addr) };
	__u32 plen;

	if (bpf_map_lookup_elem(bpf_map__fd(dp->skel->maps.sl_set4), &k, &plen))
		return -1;
	return plen;
}

/*
 * One batch of IPv4 changes to a set: its bitmap, and the buckets of
 * sl_set4_long, mapped for the batch once one is needed.
 */
struct set4_ctx {
	struct sl_dp *dp;
	unsigned int id;
	__u64 *bits;
	bool whole; /* map all of sl_set4_long: a big batch */
	struct sluice_set4_long *tab;
	void *win; /* else the pages of one /24's buckets */
	size_t win_off, win_len;
};

#define SET4_LONG_BYTES \
	((size_t)SLUICE_SET4_LONG_ENTRIES * sizeof(struct sluice_set4_long))
#define SET4_COVER_WORD 0x5555555555555555ULL /* every "covered" bit */
/* Mapping 128 MB costs milliseconds (every page is mapped at once). */
#define SET4_WHOLE_MIN 4096

static int set4_ctx_init(struct set4_ctx *c, struct sl_dp *dp, unsigned int id,
			 bool whole)
{
	memset(c, 0, sizeof(*c));
	c->dp = dp;
	c->id = id;
	c->whole = whole;
	if (set4_bits(dp, id, false))
		return -ENOENT;
	c->bits = dp->set4_bits[id];
	return 0;
}

/* Map the SLUICE_SET4_PROBES buckets from key's home into *w. */
static int set4_window(struct set4_ctx *c, __u32 key,
		       struct sluice_set4_long **w)
{
	int fd = bpf_map__fd(c->dp->skel->maps.sl_set4_long);
	size_t h = sluice_set4_hash(key), pg = getpagesize(), off, start, len;
	void *p;

	if (c->whole) {
		if (!c->tab) {
			p = mmap(NULL, SET4_LONG_BYTES, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
			if (p == MAP_FAILED)
				return -errno;
			c->tab = p;
		}
		*w = c->tab + h;
		return 0;
	}
	off = h * sizeof(**w);
	start = off & ~(pg - 1);
	len = (off + SLUICE_SET4_PROBES * sizeof(**w) - start + pg - 1) &
	      ~(pg - 1);
	if (!c->win || c->win_off != start || c->win_len != len) {
		if (c->win)
			munmap(c->win, c->win_len);
		c->win = NULL;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 start);
		if (p == MAP_FAILED)
			return -errno;
		c->win = p;
		c->win_off = start;
		c->win_len = len;
	}
	*w = (struct sluice_set4_long *)((char *)c->win + (off - start));
	return 0;
}

static void set4_ctx_done(struct set4_ctx *c)
{
	if (c->tab)
		munmap(c->tab, SET4_LONG_BYTES);
	if (c->win)
		munmap(c->win, c->win_len);
	c->tab = NULL;
	c->win = NULL;
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
 * have read the old key and not yet its bits.
 */
static struct sluice_set4_long *long4_alloc(struct set4_ctx *c,
					    struct sluice_set4_long *l)
{
	bool dead = false;
	int i;

	for (i = 0; i < SLUICE_SET4_PROBES; i++) {
		if (l[i].key == SLUICE_SET4_EMPTY)
			return &l[i];
		dead |= l[i].key == SLUICE_SET4_DEAD;
	}
	if (!dead || sl_dp_sync(c->dp))
		return NULL;
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
	__u32 key = sluice_set4_key(c->id, net24);
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
	__u32 key = sluice_set4_key(c->id, net24), i;
	struct sluice_set4_long *w, *l;
	int ret = set4_window(c, key, &w);

	if (ret)
		return ret;
	l = long4_find(w, key);
	if (!l) {
		/* Overflowed: is any longer entry left in the /24? */
		for (i = 0; i < 256; i++)
			if (set4_match(c->dp, c->id, net24 << 8 | i, 32) > 24)
				return 0;
		longer4_set(c->bits, net24, false);
		return 0;
	}
	for (i = lo; i <= hi; i++)
		if (set4_match(c->dp, c->id, net24 << 8 | i, 32) <= 24)
			long4_bits(l->bits, i, i, false);
	for (i = 0; i < 4; i++)
		if (l->bits[i])
			return 0;
	longer4_set(c->bits, net24, false);
	__atomic_store_n(&l->key, SLUICE_SET4_DEAD, __ATOMIC_RELEASE);
	return 0;
}

static int set4_add(struct set4_ctx *c, const struct sl_prefix *p, bool *added)
{
	struct sluice_set4_key k = { .prefixlen = 32 + p->len, .set = c->id };
	__u32 a = v4_host(p), plen = p->len, first, last, lo;

	memcpy(&k.addr, p->addr, 4);
	*added = false;
	if (bpf_map_update_elem(bpf_map__fd(c->dp->skel->maps.sl_set4), &k,
				&plen, BPF_NOEXIST))
		return errno == EEXIST ? 0 : -errno;
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

/*
 * Below /8 a /24-by-/24 recomputation makes millions of lookups: walking
 * the set's own entries is cheaper.
 */
#define SET4_WALK_MIN (1U << 16)
static int set4_recover(struct set4_ctx *c, __u32 first, __u32 last);

static int set4_del(struct set4_ctx *c, const struct sl_prefix *p,
		    bool *removed)
{
	struct sluice_set4_key k = { .prefixlen = 32 + p->len, .set = c->id };
	__u32 a = v4_host(p), first, last, b, lo;

	memcpy(&k.addr, p->addr, 4);
	*removed = false;
	if (bpf_map_delete_elem(bpf_map__fd(c->dp->skel->maps.sl_set4), &k))
		return errno == ENOENT ? 0 : -errno;
	*removed = true;
	if (p->len > 24) {
		lo = a & 0xff;
		return long4_del(c, a >> 8, lo, lo + (1U << (32 - p->len)) - 1);
	}
	/* Still covered by a shorter entry?  Then nothing changes. */
	if (p->len && set4_match(c->dp, c->id, a, p->len) >= 0)
		return 0;
	first = a >> 8;
	last = first + ((1U << (24 - p->len)) - 1);
	if (last - first >= SET4_WALK_MIN)
		return set4_recover(c, first, last);
	for (b = first;; b++) {
		if (set4_match(c->dp, c->id, b << 8, 24) < 0)
			cover4_clear(c->bits, b);
		if (b == last)
			break;
	}
	return 0;
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
static int walk_trie(int fd, size_t key_size, unsigned int id, int family,
		     int (*fn)(const struct sl_prefix *p, void *arg),
		     void *arg);

struct set6_ctx {
	struct sl_dp *dp;
	unsigned int id;
	int trie_fd, leaves_fd;
	__u64 *cover; /* the set's bitmap, mapped; NULL: none yet */
	__u32 *maybe; /* /24s that lost a /32 leaf: clear "leaves"? */
	size_t nmaybe, capmaybe;
};

#define SET6_COVER_BYTES (SLUICE_SET6_COVER_WORDS * sizeof(__u64))
#define SET6_K SLUICE_SET6_LEAF_PREFIXES

struct pfx6 {
	unsigned int len;
	__u8 addr[16];
};

static void set6_ctx_init(struct set6_ctx *c, struct sl_dp *dp, unsigned int id)
{
	c->dp = dp;
	c->id = id;
	c->trie_fd = bpf_map__fd(dp->skel->maps.sl_set6);
	c->leaves_fd = bpf_map__fd(dp->skel->maps.sl_set6_leaves);
	c->cover = NULL;
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
	if (c->cover)
		munmap(c->cover, SET6_COVER_BYTES);
	c->cover = NULL;
	free(c->maybe);
	c->maybe = NULL;
	return ret;
}

/* Map the set's covered bitmap, creating it if create. */
static int set6_cover(struct set6_ctx *c, bool create)
{
	void *p;
	int ret;

	if (c->cover)
		return 0;
	ret = bitmap_map(bpf_map__fd(c->dp->skel->maps.sl_set6_bits), c->id,
			 "sl_set6_bitmap", SLUICE_SET6_COVER_WORDS, create, &p);
	if (!ret)
		c->cover = p;
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

static void leaf_key(struct sluice_set6_leaf_key *k, unsigned int id, int i,
		     const __u8 *addr)
{
	memset(k, 0, sizeof(*k));
	k->set = id;
	k->level = level_bits(i);
	addr_mask((__u8 *)k->block, addr, k->level);
}

/* The longest prefix of the set covering addr/len in the trie, or -1. */
static int set6_match(struct set6_ctx *c, const __u8 *addr, unsigned int len)
{
	struct sluice_set6_key k = { .prefixlen = 32 + len, .set = c->id };
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

/*
 * Turn off the "leaves" bit of each /24 that lost its last /32 leaf: a
 * few /24s by looking up their 256 blocks, many by one pass over all
 * leaves, so a million deletions cost one pass, not 256 million lookups.
 */
#define SWEEP_LOOKUP_MAX 64
static int set6_leaves_sweep(struct set6_ctx *c)
{
	struct sluice_set6_leaf_key k, next;
	struct sluice_set6_leaf l;
	size_t i, n = 0;
	__u64 *live = NULL;
	void *prev = NULL;
	__u8 a[16] = {};
	__u32 b, t;

	qsort(c->maybe, c->nmaybe, sizeof(*c->maybe), cmp_u32);
	for (i = 0; i < c->nmaybe; i++)
		if (!n || c->maybe[n - 1] != c->maybe[i])
			c->maybe[n++] = c->maybe[i];
	if (n > SWEEP_LOOKUP_MAX) {
		live = calloc(SLUICE_SET6_COVER_WORDS / 2, sizeof(*live));
		if (!live)
			return -ENOMEM;
		while (!bpf_map_get_next_key(c->leaves_fd, prev, &next)) {
			k = next;
			prev = &k;
			if (k.set != c->id || k.level != SLUICE_SET6_LEVEL0)
				continue;
			t = top24((const __u8 *)k.block);
			live[t >> 6] |= 1ULL << (t & 63);
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
				leaf_key(&k, c->id, 0, a);
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
		leaf_key(&k, c->id, i, p->addr);
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
		leaf_key(&k, c->id, i, p->addr);
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
		leaf_key(&k, c->id, 0, a);
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

	if (p->family != 6 || p->len > 24)
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
		return walk_trie(c->trie_fd, sizeof(struct sluice_set6_key),
				 c->id, 6, recover6_one, &r);
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
	struct sluice_set6_key k = { .prefixlen = 32 + sp->len, .set = c->id };
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
		return errno == (add ? EEXIST : ENOENT) ? 0 : -errno;
	if (p.len >= SLUICE_SET6_LEVEL0)
		return add ? leaf_add(c, 0, &p) : leaf_del(c, &p);
	if (p.len > 24)
		return set6_full(c, &p, add);
	if (!add)
		return c->cover ? set6_uncover(c, &p) : 0;
	cover_set(c, top24(p.addr), top24(p.addr) + ((1U << (24 - p.len)) - 1));
	return 0;
}

/* Drop the set's IPv6 derived form: its leaves and its covered bitmap. */
static int set6_flush(struct sl_dp *dp, unsigned int id)
{
	int fd = bpf_map__fd(dp->skel->maps.sl_set6_leaves);
	struct sluice_set6_leaf_key key, next, *v = NULL;
	size_t n = 0, cap = 0, i;
	void *prev = NULL;
	__u32 sid = id;

	if (bpf_map_delete_elem(bpf_map__fd(dp->skel->maps.sl_set6_bits),
				&sid) &&
	    errno != ENOENT)
		return -errno;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (key.set != id)
			continue;
		if (n == cap) {
			struct sluice_set6_leaf_key *nv;

			cap = cap ? 2 * cap : 1024;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n++] = key;
	}
	for (i = 0; i < n; i++)
		bpf_map_delete_elem(fd, &v[i]);
	free(v);
	return 0;
}

static int set_change(struct sl_dp *dp, unsigned int id,
		      const struct sl_prefix *p, size_t n, bool add)
{
	struct sluice_set_info info;
	struct set4_ctx c4 = {};
	struct set6_ctx c6;
	size_t i;
	int ret;

	if (id < 1 || id >= SLUICE_MAX_SETS)
		return -EINVAL;
	set6_ctx_init(&c6, dp, id);
	ret = info_get(dp, id, &info);
	if (!ret && !info.name[0])
		ret = -ENOENT;
	if (!ret)
		ret = set4_ctx_init(&c4, dp, id, n >= SET4_WHOLE_MIN);
	for (i = 0; !ret && i < n; i++) {
		bool changed;

		if (p[i].family == 4) {
			ret = add ? set4_add(&c4, &p[i], &changed) :
				    set4_del(&c4, &p[i], &changed);
			if (changed)
				info.count4 += add ? 1 : -1;
		} else {
			ret = set6_op(&c6, &p[i], add, &changed);
			if (changed)
				info.count6 += add ? 1 : -1;
		}
	}
	set4_ctx_done(&c4);
	if (!ret)
		ret = set6_ctx_done(&c6);
	else
		set6_ctx_done(&c6);
	/* Counts follow what really changed, even when a later one failed. */
	if (info.name[0]) {
		int r = info_put(dp, id, &info);

		if (!ret)
			ret = r;
	}
	return ret;
}

int sl_dp_set_add(struct sl_dp *dp, unsigned int id, const struct sl_prefix *p,
		  size_t n)
{
	return set_change(dp, id, p, n, true);
}

int sl_dp_set_del(struct sl_dp *dp, unsigned int id, const struct sl_prefix *p,
		  size_t n)
{
	return set_change(dp, id, p, n, false);
}

struct walk_state {
	unsigned int id;
	int (*fn)(const struct sl_prefix *p, void *arg);
	void *arg;
};

static int walk_trie(int fd, size_t key_size, unsigned int id, int family,
		     int (*fn)(const struct sl_prefix *p, void *arg), void *arg)
{
	union {
		struct sluice_set4_key k4;
		struct sluice_set6_key k6;
	} key, next;
	void *prev = NULL;
	int ret;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct sl_prefix p = { .family = family };

		memcpy(&key, &next, key_size);
		prev = &key;
		if (key.k4.set != id)
			continue;
		p.len = key.k4.prefixlen - 32;
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

int sl_dp_set_walk(const struct sl_dp *dp, unsigned int id,
		   int (*fn)(const struct sl_prefix *p, void *arg), void *arg)
{
	int ret;

	if (id < 1 || id >= SLUICE_MAX_SETS)
		return -EINVAL;
	ret = walk_trie(bpf_map__fd(dp->skel->maps.sl_set4),
			sizeof(struct sluice_set4_key), id, 4, fn, arg);
	if (!ret)
		ret = walk_trie(bpf_map__fd(dp->skel->maps.sl_set6),
				sizeof(struct sluice_set6_key), id, 6, fn, arg);
	return ret;
}

struct recover_state {
	__u32 first, last;
	__u8 *cov; /* one byte per /24 of first..last: still covered */
};

static int recover_one(const struct sl_prefix *p, void *arg)
{
	struct recover_state *r = arg;
	__u32 first, last;

	if (p->family != 4 || p->len > 24)
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
	ret = walk_trie(bpf_map__fd(c->dp->skel->maps.sl_set4),
			sizeof(struct sluice_set4_key), c->id, 4, recover_one,
			&r);
	for (b = first; !ret; b++) {
		if (!r.cov[b - first])
			cover4_clear(c->bits, b);
		if (b == last)
			break;
	}
	free(r.cov);
	return ret;
}

struct prefix_vec {
	struct sl_prefix *v;
	size_t n, cap;
};

static int collect(const struct sl_prefix *p, void *arg)
{
	struct prefix_vec *pv = arg;

	if (pv->n == pv->cap) {
		size_t cap = pv->cap ? 2 * pv->cap : 1024;
		struct sl_prefix *v = realloc(pv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		pv->v = v;
		pv->cap = cap;
	}
	pv->v[pv->n++] = *p;
	return 0;
}

/*
 * Make the set hold exactly p[0..n): add what is new before deleting what
 * went, so no address the old and the new set share is ever uncovered.
 */
int sl_dp_set_replace(struct sl_dp *dp, unsigned int id,
		      const struct sl_prefix *p, size_t n)
{
	struct prefix_vec have = {}, want = {}, add = {}, del = {};
	size_t i = 0, j = 0;
	int ret;

	ret = sl_dp_set_walk(dp, id, collect, &have);
	for (i = 0; !ret && i < n; i++)
		ret = collect(&p[i], &want);
	if (ret)
		goto out;
	if (have.n)
		qsort(have.v, have.n, sizeof(*have.v), sl_prefix_cmp);
	if (want.n)
		qsort(want.v, want.n, sizeof(*want.v), sl_prefix_cmp);
	i = 0;
	while (!ret && (i < have.n || j < want.n)) {
		int c = i == have.n ? 1 :
			j == want.n ? -1 :
				      sl_prefix_cmp(&have.v[i], &want.v[j]);

		if (c < 0)
			ret = collect(&have.v[i++], &del);
		else if (c > 0)
			ret = collect(&want.v[j++], &add);
		else
			i++, j++;
	}
	if (!ret)
		ret = sl_dp_set_add(dp, id, add.v, add.n);
	if (!ret)
		ret = sl_dp_set_del(dp, id, del.v, del.n);
out:
	free(have.v);
	free(want.v);
	free(add.v);
	free(del.v);
	return ret;
}

/*
 * Drop the set's IPv4 derived form: the "longer" bits go with the bitmap
 * first, then the buckets they pointed to.
 */
static int set4_flush(struct set4_ctx *c)
{
	__u32 *v = NULL, *nv, n = 0, w, i;
	int ret = 0;

	for (w = 0; w < SLUICE_SET4_BITMAP_WORDS; w++) {
		__u64 x = c->bits[w] & ~SET4_COVER_WORD;

		if (!x)
			continue;
		nv = realloc(v, (n + 32) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		for (; x; x &= x - 1)
			v[n++] = w << 5 | __builtin_ctzll(x) >> 1;
	}
	memset(c->bits, 0, SET4_MAP_BYTES);
	c->whole = n >= SET4_WHOLE_MIN;
	for (i = 0; !ret && i < n; i++) {
		__u32 key = sluice_set4_key(c->id, v[i]);
		struct sluice_set4_long *win, *l;

		ret = set4_window(c, key, &win);
		l = ret ? NULL : long4_find(win, key);
		if (l)
			__atomic_store_n(&l->key, SLUICE_SET4_DEAD,
					 __ATOMIC_RELEASE);
	}
	free(v);
	return ret;
}

int sl_dp_set_flush(struct sl_dp *dp, unsigned int id)
{
	struct sluice_set_info info;
	struct prefix_vec pv = {};
	struct set4_ctx c4 = {};
	size_t i;
	int ret;

	ret = sl_dp_set_info(dp, id, &info);
	if (!ret && !info.name[0])
		ret = -ENOENT;
	if (!ret)
		ret = set4_ctx_init(&c4, dp, id, false);
	/* Collect first: deleting while walking a trie restarts the walk. */
	if (!ret)
		ret = sl_dp_set_walk(dp, id, collect, &pv);
	if (ret)
		goto out;
	/* The whole set goes, so no entry's coverage needs recomputing. */
	ret = set4_flush(&c4);
	set4_ctx_done(&c4);
	if (!ret)
		ret = set6_flush(dp, id);
	for (i = 0; !ret && i < pv.n; i++) {
		const struct sl_prefix *p = &pv.v[i];
		union {
			struct sluice_set4_key k4;
			struct sluice_set6_key k6;
		} k = { .k4 = { .prefixlen = 32 + p->len, .set = id } };
		int fd;

		if (p->family == 4) {
			memcpy(&k.k4.addr, p->addr, 4);
			fd = bpf_map__fd(dp->skel->maps.sl_set4);
		} else {
			memcpy(k.k6.addr, p->addr, 16);
			fd = bpf_map__fd(dp->skel->maps.sl_set6);
		}
		if (bpf_map_delete_elem(fd, &k) && errno != ENOENT)
			ret = -errno;
	}
	info.count4 = 0;
	info.count6 = 0;
	if (!ret)
		ret = info_put(dp, id, &info);
out:
	free(pv.v);
	return ret;
}
