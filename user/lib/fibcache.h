/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control side of forward's next-hop cache (bpf/fibcache.h): it
 * drops every entry whenever the kernel says its routing state changed,
 * and picks which lookup inputs the keys must carry.
 *
 *	sl_fibcache_open(obj, &fc);
 *	sl_linkmon_watch(lm, sl_fibcache_groups, SL_FIBCACHE_NGROUPS,
 *			 sl_fibcache_notify, fc);
 *	sl_fibcache_start(fc);		// the cache is on from here
 *	... every tick: sl_fibcache_tick(fc);
 *	sl_fibcache_close(fc);		// off again
 *
 * The cache is on only while its lease is renewed by the tick: a daemon
 * that stops ticking (killed, stuck) turns it off on its own.
 */
#ifndef __SLUICE_FIBCACHE_H
#define __SLUICE_FIBCACHE_H

#include <stddef.h>

struct bpf_object;
struct nlmsghdr;
struct sl_fibcache;

#define SL_FIBCACHE_NGROUPS 11
extern const unsigned int sl_fibcache_groups[SL_FIBCACHE_NGROUPS];

/* 0 or -errno. */
int sl_fibcache_open(struct bpf_object *obj, struct sl_fibcache **out);
int sl_fibcache_start(struct sl_fibcache *fc);
void sl_fibcache_close(struct sl_fibcache *fc);

/* A notification (see sl_linkmon_watch); NULL: some were lost. */
void sl_fibcache_notify(void *fc, const struct nlmsghdr *nlh);
void sl_fibcache_tick(struct sl_fibcache *fc);
/* Empty it: something its answers were checked against changed. */
void sl_fibcache_flush(struct sl_fibcache *fc);

/* Times the cache was emptied; the SLUICE_FIBC_* bits keys carry. */
unsigned long sl_fibcache_flushes(const struct sl_fibcache *fc);
unsigned int sl_fibcache_key_bits(const struct sl_fibcache *fc);

#endif /* __SLUICE_FIBCACHE_H */
