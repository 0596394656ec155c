/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "dpbind.h"
#include "setprobe.h"

struct setprobe sp;
static uint64_t rng_state;

uint64_t sp_seed(void)
{
	const char *seed = getenv("SL_SEED");

	rng_state = seed ? strtoull(seed, NULL, 0) : (uint64_t)time(NULL);
	rng_state |= 1;
	return rng_state;
}

uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

unsigned int rnd_below(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

void push(struct plist *l, const struct sl_prefix *p)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 1024;
		l->v = realloc(l->v, l->cap * sizeof(*l->v));
		if (!l->v)
			abort();
	}
	l->v[l->n++] = *p;
}

static bool same(const struct sl_prefix *x, const struct sl_prefix *y)
{
	return x->family == y->family && x->len == y->len &&
	       !memcmp(x->addr, y->addr, x->family == 4 ? 4 : 16);
}

bool ref_has(const struct sl_prefix *p)
{
	size_t i;

	for (i = 0; i < sp.ref.n; i++)
		if (same(&sp.ref.v[i], p))
			return true;
	return false;
}

static void ref_remove(const struct sl_prefix *p)
{
	size_t i;

	for (i = 0; i < sp.ref.n; i++)
		if (same(&sp.ref.v[i], p)) {
			sp.ref.v[i] = sp.ref.v[--sp.ref.n];
			return;
		}
}

void sp_open(const char *name, const char *config)
{
	struct sl_dp_opts opts = {};
	char err[SL_ERR_LEN] = "";

	if (sl_config_load_buf(name, config, &sp.cfg, err, sizeof(err)))
		fail_msg("configuration: %s", err);
	if (sl_dp_open(&opts, &sp.dp, err, sizeof(err)))
		fail_msg("sl_dp_open: %s", err);
	if (sl_apply_config(sp.dp, &sp.cfg, err, sizeof(err)))
		fail_msg("sl_apply_config: %s", err);
	assert_true(dp_bind_slot(sp.dp, "eth0", TESTRUN_IFINDEX) >= 0);
	sp.set_id = sl_dp_set_id(sp.dp, "s", false);
	assert_true(sp.set_id > 0);
	sp.prog_fd = sl_dp_prog_fd(sp.dp, SLUICE_HOOK_XDP);
}

void sp_close(void)
{
	sl_dp_close(sp.dp);
	sl_config_free(&sp.cfg);
	free(sp.ref.v);
	free(sp.gone.v);
}

void add_list(const struct plist *l)
{
	size_t i;

	assert_int_equal(sl_dp_set_add(sp.dp, sp.set_id, l->v, l->n), 0);
	for (i = 0; i < l->n; i++)
		if (!ref_has(&l->v[i]))
			push(&sp.ref, &l->v[i]);
}

void del_list(const struct plist *l)
{
	size_t i;

	assert_int_equal(sl_dp_set_del(sp.dp, sp.set_id, l->v, l->n), 0);
	for (i = 0; i < l->n; i++) {
		ref_remove(&l->v[i]);
		push(&sp.gone, &l->v[i]);
	}
}

void del_some(unsigned int every)
{
	struct plist l = {};
	size_t i;

	for (i = 0; i < sp.ref.n; i++)
		if (!rnd_below(every))
			push(&l, &sp.ref.v[i]);
	for (i = 0; i < l.n; i++) {
		struct plist one = { &l.v[i], 1, 1 };

		del_list(&one);
	}
	free(l.v);
}

void sp_replace(const struct plist *want)
{
	size_t i;

	assert_int_equal(sl_dp_set_replace(sp.dp, sp.set_id, want->v, want->n),
			 0);
	for (i = 0; i < sp.ref.n; i++)
		push(&sp.gone, &sp.ref.v[i]);
	sp.ref.n = 0;
	for (i = 0; i < want->n; i++)
		if (!ref_has(&want->v[i]))
			push(&sp.ref, &want->v[i]);
}

void sp_flush(void)
{
	size_t i;

	assert_int_equal(sl_dp_set_flush(sp.dp, sp.set_id), 0);
	for (i = 0; i < sp.ref.n; i++)
		push(&sp.gone, &sp.ref.v[i]);
	sp.ref.n = 0;
}
