/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The harness of the set tests: the production data plane with a rule
 * "src @s drop" bound to the test-run loopback, the set s changed with the
 * data plane's own calls, and a reference list of what it should hold.
 */
#ifndef __SELFTESTS_SETPROBE_H
#define __SELFTESTS_SETPROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dataplane.h"
#include "grammar.h"

struct plist {
	struct sl_prefix *v;
	size_t n, cap;
};

struct setprobe {
	struct sl_dp *dp;
	struct sl_config cfg;
	int set_id, prog_fd;
	struct plist ref; /* what the set should hold */
	struct plist gone; /* deleted once: their edges are probed too */
};

extern struct setprobe sp;

/* xorshift64*: seeded from $SL_SEED or the time; returns the seed. */
uint64_t sp_seed(void);
uint64_t rnd(void);
unsigned int rnd_below(unsigned int n);

void push(struct plist *l, const struct sl_prefix *p);
/* Load config (named name in errors), open, apply, bind, find set s. */
void sp_open(const char *name, const char *config);
void sp_close(void);
/* Whether the reference holds p (the same address and length). */
bool ref_has(const struct sl_prefix *p);
/* The set and the reference change alike; "gone" keeps what left. */
void add_list(const struct plist *l);
void del_list(const struct plist *l);
/* Delete about one in every `every` prefixes, one call per prefix. */
void del_some(unsigned int every);
/* The set's new content is want, as "set load" does it. */
void sp_replace(const struct plist *want);
void sp_flush(void);

#endif /* __SELFTESTS_SETPROBE_H */
