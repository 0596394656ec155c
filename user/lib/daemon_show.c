/* SPDX-License-Identifier: GPL-2.0-only */
/* "stats" and "status": the daemon's view of counters and state. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon_int.h"

static struct json_object *hook_stats(struct sl_daemon *d, unsigned int slot,
				      unsigned int hook, bool always)
{
	struct sluice_counter act[SLUICE_ACT__MAX], why[SLUICE_REASON__MAX];
	struct json_object *o, *acts, *reasons;
	bool any = false;
	unsigned int k;

	for (k = 0; k < SLUICE_ACT__MAX; k++) {
		if (sl_dp_iface_counter(d->dp, slot, hook, k, -1, &act[k]))
			memset(&act[k], 0, sizeof(act[k]));
		any |= act[k].packets != 0;
	}
	for (k = 0; k < SLUICE_REASON__MAX; k++) {
		if (sl_dp_reason_counter(d->dp, slot, hook, k, -1, &why[k]))
			memset(&why[k], 0, sizeof(why[k]));
		any |= why[k].packets != 0;
	}
	if (!any && !always)
		return NULL;
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
				       sl_json_counter(act[k].packets,
						       act[k].bytes));
	for (k = 0; k < SLUICE_REASON__MAX; k++)
		json_object_object_add(reasons, sl_reason_name(k),
				       sl_json_counter(why[k].packets,
						       why[k].bytes));
	sl_json_add_int(o, "slot", slot);
	sl_json_add_str(o, "hook", sl_hook_name(hook));
	json_object_object_add(o, "actions", acts);
	json_object_object_add(o, "reasons", reasons);
	return o;
}

int sl_show_stats(struct sl_daemon *d, const struct sl_cmd *cmd,
		  struct sl_ctl_result *res)
{
	struct json_object *data, *ifs, *rules, *o;
	struct sluice_counter c;
	struct sluice_iface i;
	bool known = false;
	unsigned int slot, hook;
	size_t k;

	data = json_object_new_object();
	ifs = json_object_new_array();
	rules = json_object_new_array();
	if (!data || !ifs || !rules) {
		json_object_put(data);
		json_object_put(ifs);
		json_object_put(rules);
		return -ENOMEM;
	}
	json_object_object_add(data, "time_ns",
			       json_object_new_uint64(sl_ctl_now_ns()));
	json_object_object_add(data, "interfaces", ifs);
	json_object_object_add(data, "rules", rules);
	for (slot = 0; slot < SLUICE_MAX_IFACES; slot++) {
		memset(&i, 0, sizeof(i));
		if (slot && (sl_dp_iface_get(d->dp, slot, &i) || !i.name[0]))
			continue;
		i.name[sizeof(i.name) - 1] = '\0';
		if (cmd->ifname[0] && (!slot || strcmp(i.name, cmd->ifname)))
			continue;
		known = true;
		for (hook = 0; hook < SLUICE_HOOK__MAX; hook++) {
			bool on = slot && (i.mode & SL_IFM_ATTACHED) &&
				  i.hook == hook;

			o = hook_stats(d, slot, hook, on);
			if (!o)
				continue;
			sl_json_add_str(o, "ifname", slot ? i.name : NULL);
			json_object_array_add(ifs, o);
		}
	}
	if (cmd->ifname[0] && !known) {
		json_object_put(data);
		sl_derr(res->err, sizeof(res->err), "%s: not known to sluiced",
			cmd->ifname);
		return -ENOENT;
	}
	for (k = 0; k < d->nrules; k++) {
		unsigned int prio = d->rules[k].rule.prio;

		if (sl_dp_rule_counter(d->dp, prio, -1, &c))
			memset(&c, 0, sizeof(c));
		o = sl_json_counter(c.packets, c.bytes);
		if (!o)
			continue;
		sl_json_add_int(o, "prio", prio);
		json_object_array_add(rules, o);
	}
	res->data = data;
	return 0;
}

/* The active rule set's size, as the data plane counts it. */
static void ruleset_fill(struct sl_daemon *d, struct json_object *o)
{
	struct bpf_object *obj = sl_dp_object(d->dp);
	struct sluice_ruleset rs = { 0 };
	struct sluice_state st = { 0 };
	__u32 zero = 0;
	int fd;

	fd = bpf_object__find_map_fd_by_name(obj, "sl_state");
	if (fd >= 0 && !bpf_map_lookup_elem(fd, &zero, &st)) {
		__u32 gen = st.active_gen & 1;

		fd = bpf_object__find_map_fd_by_name(obj, "sl_rulesets");
		if (fd >= 0)
			bpf_map_lookup_elem(fd, &gen, &rs);
	}
	sl_json_add_int(o, "count", d->nrules);
	sl_json_add_int(o, "tuples", rs.ntuples);
	sl_json_add_int(o, "tuples_max", SLUICE_MAX_TUPLES);
	sl_json_add_int(o, "entries", rs.nentries);
}

static void maps_fill(struct sl_daemon *d, struct json_object *o)
{
	struct sluice_set_info info;
	struct sluice_iface i;
	unsigned long long p4 = 0, p6 = 0;
	unsigned int k, slots = 0, sets = 0;

	for (k = 1; k < SLUICE_MAX_IFACES; k++)
		if (!sl_dp_iface_get(d->dp, k, &i) && i.name[0])
			slots++;
	for (k = 1; k < SLUICE_MAX_SETS; k++) {
		if (sl_dp_set_info(d->dp, k, &info) || !info.name[0])
			continue;
		sets++;
		p4 += info.count4;
		p6 += info.count6;
	}
	sl_json_add_int(o, "slots", slots);
	sl_json_add_int(o, "slots_max", SLUICE_MAX_IFACES - 1);
	sl_json_add_int(o, "sets", sets);
	sl_json_add_int(o, "sets_max", SLUICE_MAX_SETS - 1);
	sl_json_add_int(o, "prefixes4", p4);
	sl_json_add_int(o, "prefixes6", p6);
	sl_json_add_int(o, "prefixes_max", SLUICE_SET_MAX_PREFIXES);
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
	ruleset_fill(d, rules);
	json_object_object_add(data, "rules", rules);
	json_object_object_add(data, "sets", sl_sets_json(d));
	maps_fill(d, maps);
	json_object_object_add(data, "maps", maps);
	res->data = data;
	return 0;
}
