/* SPDX-License-Identifier: GPL-2.0-only */
/* "stats" and "status": the daemon's view of counters and state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"
#include "stats.h"

/*
 * A counter summed over CPUs and, when asked, each CPU's share in
 * "per_cpu" (index = CPU), from one snapshot so that the parts add up.
 */
struct counter_src {
	const struct sl_stats *s;
	bool per_cpu;
	struct sluice_counter (*get)(const struct sl_stats *s, unsigned int a,
				     unsigned int b, unsigned int c, int cpu);
	unsigned int a, b;
};

static struct sluice_counter get_iface(const struct sl_stats *s,
				       unsigned int slot, unsigned int hook,
				       unsigned int k, int cpu)
{
	return sl_stats_iface(s, slot, hook, k, cpu);
}

static struct sluice_counter get_reason(const struct sl_stats *s,
					unsigned int slot, unsigned int hook,
					unsigned int k, int cpu)
{
	return sl_stats_reason(s, slot, hook, k, cpu);
}

static struct sluice_counter get_rule(const struct sl_stats *s,
				      unsigned int unused, unsigned int unused2,
				      unsigned int prio, int cpu)
{
	return sl_stats_rule(s, prio, cpu);
}

static struct sluice_counter get_rl_drop(const struct sl_stats *s,
					 unsigned int unused,
					 unsigned int unused2,
					 unsigned int prio, int cpu)
{
	return sl_stats_rl_drop(s, prio, cpu);
}

static struct json_object *counter(const struct counter_src *src,
				   unsigned int k)
{
	struct sluice_counter c = src->get(src->s, src->a, src->b, k, -1);
	struct json_object *o = sl_json_counter(c.packets, c.bytes), *arr;
	int cpu;

	if (!o || !src->per_cpu)
		return o;
	arr = json_object_new_array();
	if (!arr)
		return o;
	for (cpu = 0; cpu < src->s->ncpus; cpu++) {
		c = src->get(src->s, src->a, src->b, k, cpu);
		json_object_array_add(arr, sl_json_counter(c.packets, c.bytes));
	}
	json_object_object_add(o, "per_cpu", arr);
	return o;
}

static bool hook_counted(const struct sl_stats *s, unsigned int slot,
			 unsigned int hook)
{
	unsigned int k;

	for (k = 0; k < SLUICE_ACT__MAX; k++)
		if (sl_stats_iface(s, slot, hook, k, -1).packets)
			return true;
	for (k = 0; k < SLUICE_REASON__MAX; k++)
		if (sl_stats_reason(s, slot, hook, k, -1).packets)
			return true;
	return false;
}

static struct json_object *hook_stats(const struct sl_stats *s, bool per_cpu,
				      unsigned int slot, unsigned int hook)
{
	struct counter_src act = { s, per_cpu, get_iface, slot, hook };
	struct counter_src why = { s, per_cpu, get_reason, slot, hook };
	struct json_object *o, *acts, *reasons;
	unsigned int k;

	o = json_object_new_object();
	acts = json_object_new_object();
	reasons = json_object_new_object();
	if (!o || !acts || !reasons) {
		json_object_put(o);
		json_object_put(acts);
		json_object_put(reasons);
		return NULL;
	}
	for (k = 0; k < SLUICE_ACT__MAX; k++)
		json_object_object_add(acts, sl_action_name(k),
				       counter(&act, k));
	for (k = 0; k < SLUICE_REASON__MAX; k++)
		json_object_object_add(reasons, sl_reason_name(k),
				       counter(&why, k));
	sl_json_add_int(o, "slot", slot);
	sl_json_add_str(o, "hook", sl_hook_name(hook));
	json_object_object_add(o, "actions", acts);
	json_object_object_add(o, "reasons", reasons);
	return o;
}

/*
 * One snapshot in a few batch reads: the numbers of one reply belong
 * together, and only the slots in use and the rules there are get read.
 */
static int read_snapshot(struct sl_daemon *d, struct sl_stats *s)
{
	struct sl_stats_sel sel = { 0 };
	unsigned int slots[SLUICE_MAX_IFACES];
	struct sluice_iface i;
	__u16 *prios;
	unsigned int slot;
	size_t k;
	int ret;

	prios = calloc(d->nrules + 1, sizeof(*prios));
	if (!prios)
		return -ENOMEM;
	for (k = 0; k < d->nrules; k++)
		prios[k] = d->rules[k].rule.prio;
	slots[sel.nslots++] = 0; /* interfaces sluice does not know */
	for (slot = 1; slot < SLUICE_MAX_IFACES; slot++)
		if (!sl_dp_iface_get(d->dp, slot, &i) && i.name[0])
			slots[sel.nslots++] = slot;
	sel.slots = slots;
	sel.prios = prios;
	sel.nprios = d->nrules;
	ret = sl_stats_read_sel(d->dp, &sel, s);
	free(prios);
	return ret;
}

int sl_show_stats(struct sl_daemon *d, const struct sl_cmd *cmd,
		  struct sl_ctl_result *res)
{
	struct json_object *data, *ifs, *rules, *o;
	struct counter_src rsrc = { .get = get_rule };
	char text[SL_RULE_FMT_LEN];
	struct sl_attachment a;
	struct sluice_iface i;
	struct sl_stats s;
	bool known = false, on;
	unsigned int slot, hook;
	size_t k;
	int ret;

	ret = read_snapshot(d, &s);
	if (ret) {
		sl_err(res->err, sizeof(res->err),
		       "cannot read the counters: %s", strerror(-ret));
		return ret;
	}
	rsrc.s = &s;
	rsrc.per_cpu = cmd->per_cpu;
	data = json_object_new_object();
	ifs = json_object_new_array();
	rules = json_object_new_array();
	if (!data || !ifs || !rules) {
		json_object_put(data);
		json_object_put(ifs);
		json_object_put(rules);
		sl_stats_free(&s);
		return -ENOMEM;
	}
	json_object_object_add(data, "time_ns",
			       json_object_new_uint64(sl_ctl_now_ns()));
	sl_json_add_int(data, "ncpus", s.ncpus);
	json_object_object_add(data, "interfaces", ifs);
	json_object_object_add(data, "rules", rules);
	json_object_object_add(data, "captures", sl_capture_json(d));
	for (slot = 0; slot < SLUICE_MAX_IFACES; slot++) {
		memset(&i, 0, sizeof(i));
		if (slot && (sl_dp_iface_get(d->dp, slot, &i) || !i.name[0]))
			continue;
		i.name[sizeof(i.name) - 1] = '\0';
		if (cmd->ifname[0] && (!slot || strcmp(i.name, cmd->ifname)))
			continue;
		known = true;
		on = slot && (i.flags & SL_IFF_ATTACHED);
		/* The mode obtained is the kernel's; the daemon caches it. */
		if (on && !sl_iface_attachment(d, slot, &i, &a))
			a.mode = SL_MODE_AUTO;
		for (hook = 0; hook < SLUICE_HOOK__MAX; hook++) {
			bool here = on && i.hook == hook;

			if (!here && !hook_counted(&s, slot, hook))
				continue;
			o = hook_stats(&s, cmd->per_cpu, slot, hook);
			if (!o)
				continue;
			sl_json_add_str(o, "ifname", slot ? i.name : NULL);
			sl_json_add_bool(o, "attached", here);
			sl_json_add_str(o, "mode",
					here && a.mode != SL_MODE_AUTO ?
						sl_mode_name(a.mode) :
						NULL);
			json_object_array_add(ifs, o);
		}
	}
	if (cmd->ifname[0] && !known) {
		sl_stats_free(&s);
		json_object_put(data);
		sl_err(res->err, sizeof(res->err), "%s: not known to sluiced",
		       cmd->ifname);
		return -ENOENT;
	}
	for (k = 0; k < d->nrules; k++) {
		const struct sl_rule *r = &d->rules[k].rule;

		o = counter(&rsrc, r->prio);
		if (!o)
			continue;
		sl_json_add_int(o, "prio", r->prio);
		sl_json_add_str(o, "rule", sl_rule_text(r, text, sizeof(text)));
		sl_json_add_str(o, "action", sl_action_name(r->action));
		if (r->action == SLUICE_ACT_RATE_LIMIT) {
			struct counter_src lsrc = rsrc;

			/* Of the rule's packets, those over the limit. */
			lsrc.get = get_rl_drop;
			json_object_object_add(o, "rate_limited",
					       counter(&lsrc, r->prio));
		}
		json_object_array_add(rules, o);
	}
	sl_stats_free(&s);
	res->data = data;
	return 0;
}

/* The active rule set's size and the maps' fill, as the data plane counts. */
static void usage_fill(struct sl_daemon *d, struct json_object *rules,
		       struct json_object *maps)
{
	struct sl_dp_usage u;

	if (sl_dp_usage(d->dp, &u))
		memset(&u, 0, sizeof(u));
	sl_json_add_int(rules, "count", d->nrules);
	sl_json_add_int(rules, "index_entries", u.ruleset.pool_used);
	sl_json_add_int(rules, "index_entries_max", SLUICE_POOL_ENTRIES);
	sl_json_add_int(rules, "unindexed", u.ruleset.unindexed);
	sl_json_add_int(maps, "slots", u.ifaces);
	sl_json_add_int(maps, "slots_max", SLUICE_MAX_IFACES - 1);
	sl_json_add_int(maps, "sets", u.sets);
	sl_json_add_int(maps, "sets_max", SLUICE_MAX_SETS - 1);
	sl_json_add_int(maps, "prefixes4", u.prefixes4);
	sl_json_add_int(maps, "prefixes6", u.prefixes6);
	sl_json_add_int(maps, "prefixes_max", SLUICE_SET_MAX_PREFIXES);
	sl_json_add_int(maps, "rl_buckets", u.rl_buckets);
	sl_json_add_int(maps, "rl_buckets_max", u.rl_buckets_max);
	sl_json_add_int(maps, "rl_evictions", u.rl_evictions);
}

int sl_show_status(struct sl_daemon *d, struct sl_ctl_result *res)
{
	struct json_object *data, *progs, *rules, *maps;

	data = json_object_new_object();
	progs = json_object_new_object();
	rules = json_object_new_object();
	maps = json_object_new_object();
	if (!data || !progs || !rules || !maps) {
		json_object_put(data);
		json_object_put(progs);
		json_object_put(rules);
		json_object_put(maps);
		return -ENOMEM;
	}
	sl_json_add_str(data, "version", SLUICE_VERSION);
	sl_json_add_str(data, "config", d->config);
	sl_json_add_str(data, "pin_dir", d->pin_dir);
	sl_json_add_int(data, "uptime_s",
			(sl_ctl_now_ms() - d->started_ms) / 1000);
	sl_json_add_int(data, "clients",
			d->nclients ? d->nclients(d->nclients_arg) : 0);
	sl_json_add_int(progs, "xdp", d->prog_id[SLUICE_HOOK_XDP]);
	sl_json_add_int(progs, "tc", d->prog_id[SLUICE_HOOK_TC]);
	json_object_object_add(data, "programs", progs);
	json_object_object_add(data, "interfaces", sl_ifaces_json(d));
	usage_fill(d, rules, maps);
	json_object_object_add(data, "rules", rules);
	json_object_object_add(data, "sets", sl_sets_json(d));
	json_object_object_add(data, "maps", maps);
	if (d->fs)
		json_object_object_add(data, "flowspec", sl_flowspec_json(d));
	res->data = data;
	return 0;
}
