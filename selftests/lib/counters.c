// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "counters.h"
#include "grammar.h"

void cnt_scope_prio(struct cnt_scope *sc, unsigned int prio)
{
	unsigned int i;

	for (i = 0; i < sc->nprios; i++)
		if (sc->prios[i] == prio)
			return;
	assert_true(sc->nprios < CNT_MAX_PRIOS);
	sc->prios[sc->nprios++] = prio;
}

void cnt_take(const struct sl_dp *dp, const struct cnt_scope *sc,
	      struct cnt_snap *s)
{
	const unsigned int slots[2] = { sc->slot, sc->other };
	unsigned int sl, h, i;

	for (sl = 0; sl < 2; sl++) {
		for (h = 0; h < SLUICE_HOOK__MAX; h++) {
			for (i = 0; i < SLUICE_ACT__MAX; i++)
				assert_int_equal(sl_dp_iface_counter(
							 dp, slots[sl], h, i,
							 -1, &s->act[sl][h][i]),
						 0);
			for (i = 0; i < SLUICE_REASON__MAX; i++)
				assert_int_equal(sl_dp_reason_counter(
							 dp, slots[sl], h, i,
							 -1, &s->why[sl][h][i]),
						 0);
		}
	}
	for (i = 0; i < sc->nprios; i++)
		assert_int_equal(sl_dp_rule_counter(dp, sc->prios[i], -1,
						    &s->rule[i]),
				 0);
}

static bool delta_ok(const char *what, unsigned int slot, const char *name,
		     unsigned int hook, const struct sluice_counter *before,
		     const struct sluice_counter *after, bool moved, size_t len)
{
	uint64_t dp = after->packets - before->packets;
	uint64_t db = after->bytes - before->bytes;
	uint64_t wp = moved ? 1 : 0, wb = moved ? len : 0;

	if (dp == wp && db == wb)
		return true;
	print_message(
		"# counter slot %u %s %s [%s]: +%llu packets +%llu bytes, want +%llu +%llu\n",
		slot, what, name, sl_hook_name(hook), (unsigned long long)dp,
		(unsigned long long)db, (unsigned long long)wp,
		(unsigned long long)wb);
	return false;
}

void cnt_check(const struct cnt_scope *sc, const struct cnt_snap *b,
	       const struct cnt_snap *a, enum sluice_hook hook,
	       unsigned int action, unsigned int reason, unsigned int prio,
	       size_t len)
{
	const unsigned int slots[2] = { sc->slot, sc->other };
	char name[16];
	unsigned int sl, h, i;
	bool ok = true;

	for (sl = 0; sl < 2; sl++) {
		for (h = 0; h < SLUICE_HOOK__MAX; h++) {
			for (i = 0; i < SLUICE_ACT__MAX; i++)
				ok &= delta_ok(
					"action", slots[sl], sl_action_name(i),
					h, &b->act[sl][h][i], &a->act[sl][h][i],
					!sl && h == hook && i == action, len);
			for (i = 0; i < SLUICE_REASON__MAX; i++)
				ok &= delta_ok(
					"reason", slots[sl], sl_reason_name(i),
					h, &b->why[sl][h][i], &a->why[sl][h][i],
					!sl && h == hook && i == reason, len);
		}
	}
	for (i = 0; i < sc->nprios; i++) {
		snprintf(name, sizeof(name), "%u", sc->prios[i]);
		ok &= delta_ok("rule", sc->slot, name, hook, &b->rule[i],
			       &a->rule[i], sc->prios[i] == prio, len);
	}
	assert_true(ok);
}

void cnt_trace_poison(const struct sl_dp *dp)
{
	struct sluice_trace t = { 0xdead, 0xdead, 0xdead, 0xdead };
	int fd = bpf_object__find_map_fd_by_name(sl_dp_object(dp), "sl_last");
	__u32 zero = 0;

	assert_true(fd >= 0);
	assert_int_equal(bpf_map_update_elem(fd, &zero, &t, BPF_ANY), 0);
}
