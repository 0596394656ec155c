/* SPDX-License-Identifier: GPL-2.0-only */
/* The CLI's human output; see cli_show.h. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cli_show.h"

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (o && json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, key, &v);
	return v;
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v = get(o, key);

	return v && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) :
		       NULL;
}

/* For printing: a missing string prints as "?", never as "(null)". */
static const char *txt(struct json_object *o, const char *key)
{
	const char *s = str(o, key);

	return s ? s : "?";
}

static uint64_t u64(struct json_object *o, const char *key)
{
	return json_object_get_uint64(get(o, key));
}

static bool flag(struct json_object *o, const char *key)
{
	return json_object_get_boolean(get(o, key));
}

/* A counter or a rate: rates are doubles, totals 64-bit integers. */
static void num(FILE *out, struct json_object *v, int width)
{
	if (v && json_object_is_type(v, json_type_double))
		fprintf(out, "%*.0f", width, json_object_get_double(v));
	else
		fprintf(out, "%*" PRIu64, width, json_object_get_uint64(v));
}

static void show_attach(struct json_object *d, FILE *out)
{
	const char *mode = txt(d, "mode");

	fprintf(out, "%s: %s, hook %s, mode %s, prog id %" PRIu64 "%s\n",
		txt(d, "ifname"),
		flag(d, "already") ? "already attached" : "attached",
		txt(d, "hook"), mode, u64(d, "prog_id"),
		flag(d, "multiprog") ? ", behind the libxdp dispatcher" : "");
}

static void show_rules(struct json_object *d, FILE *out)
{
	size_t i, n = json_object_array_length(d);

	for (i = 0; i < n; i++)
		fprintf(out, "%s\n",
			txt(json_object_array_get_idx(d, i), "rule"));
}

static void set_line(struct json_object *s, FILE *out)
{
	fprintf(out, "%s: %" PRIu64 " IPv4, %" PRIu64 " IPv6\n", txt(s, "set"),
		u64(s, "entries4"), u64(s, "entries6"));
}

static void show_sets(const struct sl_cmd *cmd, struct json_object *d,
		      FILE *out)
{
	struct json_object *p;
	size_t i, n;

	if (!cmd->set[0]) {
		n = json_object_array_length(d);
		for (i = 0; i < n; i++)
			set_line(json_object_array_get_idx(d, i), out);
		return;
	}
	p = get(d, "prefixes");
	n = p ? json_object_array_length(p) : 0;
	for (i = 0; i < n; i++)
		fprintf(out, "%s\n",
			json_object_get_string(
				json_object_array_get_idx(p, i)));
}

static void show_load(struct json_object *d, FILE *out)
{
	fprintf(out,
		"set %s: %" PRIu64 " IPv4 and %" PRIu64
		" IPv6 prefixes (were %" PRIu64 " and %" PRIu64 ")\n",
		txt(d, "set"), u64(d, "entries4"), u64(d, "entries6"),
		u64(d, "previous4"), u64(d, "previous6"));
}

static void show_reload(struct json_object *d, FILE *out)
{
	struct json_object *notes = get(d, "notes");
	size_t i, n = notes ? json_object_array_length(notes) : 0;

	fprintf(out,
		"reloaded %s: rules %" PRIu64 ", sets %" PRIu64
		", interfaces %" PRIu64 "\n",
		txt(d, "config"), u64(d, "rules"), u64(d, "sets"),
		u64(d, "interfaces"));
	for (i = 0; i < n; i++)
		fprintf(out, "note: %s\n",
			json_object_get_string(
				json_object_array_get_idx(notes, i)));
}

static void duration(uint64_t s, FILE *out)
{
	if (s >= 86400)
		fprintf(out, "%" PRIu64 "d", s / 86400);
	if (s >= 3600)
		fprintf(out, "%" PRIu64 "h", s % 86400 / 3600);
	if (s >= 60)
		fprintf(out, "%" PRIu64 "m", s % 3600 / 60);
	fprintf(out, "%" PRIu64 "s", s % 60);
}

static void iface_line(struct json_object *i, FILE *out)
{
	const char *hook = txt(i, "hook"), *req = txt(i, "requested_mode");

	fprintf(out, "    %s: ", txt(i, "ifname"));
	if (flag(i, "present"))
		fprintf(out, "ifindex %" PRIu64, u64(i, "ifindex"));
	else
		fprintf(out, "absent");
	if (flag(i, "attached")) {
		fprintf(out, ", attached, hook %s", hook);
		if (strcmp(hook, "tc"))
			fprintf(out, ", mode %s", txt(i, "mode"));
		fprintf(out, ", prog id %" PRIu64, u64(i, "prog_id"));
	} else if (flag(i, "wanted")) {
		fprintf(out, ", waiting to attach (mode %s)", req);
	} else {
		fprintf(out, ", not attached");
	}
	fprintf(out, ", policy %s", txt(i, "policy"));
	if (!strcmp(txt(i, "origin"), "config"))
		fprintf(out, ", from the configuration");
	fprintf(out, "\n");
	if (str(i, "error"))
		fprintf(out, "        last error: %s\n", txt(i, "error"));
}

static void show_status(struct json_object *d, FILE *out)
{
	struct json_object *ifs = get(d, "interfaces"), *sets = get(d, "sets");
	struct json_object *progs = get(d, "programs"),
			   *rules = get(d, "rules");
	struct json_object *maps = get(d, "maps");
	uint64_t clients = u64(d, "clients");
	size_t i, n;

	fprintf(out, "sluiced %s: up ", txt(d, "version"));
	duration(u64(d, "uptime_s"), out);
	fprintf(out, ", %" PRIu64 " client%s\n", clients,
		clients == 1 ? "" : "s");
	fprintf(out, "config %s, pins %s\n", txt(d, "config"),
		txt(d, "pin_dir"));
	fprintf(out, "programs: xdp id %" PRIu64 ", tc id %" PRIu64 "\n",
		u64(progs, "xdp"), u64(progs, "tc"));
	n = ifs ? json_object_array_length(ifs) : 0;
	fprintf(out, "interfaces:%s\n", n ? "" : " none");
	for (i = 0; i < n; i++)
		iface_line(json_object_array_get_idx(ifs, i), out);
	fprintf(out,
		"rules: %" PRIu64 ", tuples %" PRIu64 "/%" PRIu64
		", entries %" PRIu64 "\n",
		u64(rules, "count"), u64(rules, "tuples"),
		u64(rules, "tuples_max"), u64(rules, "entries"));
	n = sets ? json_object_array_length(sets) : 0;
	fprintf(out, "sets:%s\n", n ? "" : " none");
	for (i = 0; i < n; i++) {
		fprintf(out, "    ");
		set_line(json_object_array_get_idx(sets, i), out);
	}
	fprintf(out,
		"maps: slots %" PRIu64 "/%" PRIu64 ", sets %" PRIu64 "/%" PRIu64
		", prefixes IPv4 %" PRIu64 "/%" PRIu64 ", IPv6 %" PRIu64
		"/%" PRIu64 "\n",
		u64(maps, "slots"), u64(maps, "slots_max"), u64(maps, "sets"),
		u64(maps, "sets_max"), u64(maps, "prefixes4"),
		u64(maps, "prefixes_max"), u64(maps, "prefixes6"),
		u64(maps, "prefixes_max"));
}

static void counter_rows(struct json_object *group, const char *title,
			 bool rates, bool all, FILE *out)
{
	fprintf(out, "    %-12s %15s %15s\n", title,
		rates ? "packets/s" : "packets", rates ? "bytes/s" : "bytes");
	json_object_object_foreach(group, name, c) {
		struct json_object *p = get(c, "packets");

		/* Zero reasons are noise; every action is always shown. */
		if (!all && !json_object_get_double(p))
			continue;
		fprintf(out, "    %-12s ", name);
		num(out, p, 15);
		fputc(' ', out);
		num(out, get(c, "bytes"), 15);
		fputc('\n', out);
	}
}

void sl_cli_show_stats(struct json_object *d, bool rates, FILE *out)
{
	struct json_object *ifs = get(d, "interfaces"),
			   *rules = get(d, "rules");
	size_t i, n;

	n = ifs ? json_object_array_length(ifs) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(ifs, i);
		const char *name = str(e, "ifname");

		fprintf(out, "%s (%s):\n", name ? name : "(unknown interfaces)",
			txt(e, "hook"));
		counter_rows(get(e, "actions"), "action", rates, true, out);
		counter_rows(get(e, "reasons"), "reason", rates, false, out);
	}
	n = rules ? json_object_array_length(rules) : 0;
	if (!n)
		return;
	fprintf(out, "rules:\n    %-12s %15s %15s\n", "prio",
		rates ? "packets/s" : "packets", rates ? "bytes/s" : "bytes");
	for (i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(rules, i);

		fprintf(out, "    %-12" PRIu64 " ", u64(r, "prio"));
		num(out, get(r, "packets"), 15);
		fputc(' ', out);
		num(out, get(r, "bytes"), 15);
		fputc('\n', out);
	}
}

static double delta(struct json_object *cur, struct json_object *prev,
		    const char *key)
{
	uint64_t a = u64(cur, key), b = u64(prev, key);

	/* Counters only grow; a smaller one is new maps: count from zero. */
	return a >= b ? (double)(a - b) : (double)a;
}

static struct json_object *rate_counter(struct json_object *cur,
					struct json_object *prev, double dt)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(
		o, "packets",
		json_object_new_double(delta(cur, prev, "packets") / dt));
	json_object_object_add(
		o, "bytes",
		json_object_new_double(delta(cur, prev, "bytes") / dt));
	return o;
}

static struct json_object *rate_group(struct json_object *cur,
				      struct json_object *prev, double dt)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_foreach(cur, name, c) {
		json_object_object_add(o, name,
				       rate_counter(c, get(prev, name), dt));
	}
	return o;
}

static struct json_object *find_iface(struct json_object *ifs, uint64_t slot,
				      const char *hook)
{
	size_t i, n = ifs ? json_object_array_length(ifs) : 0;

	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(ifs, i);

		if (u64(e, "slot") == slot && !strcmp(txt(e, "hook"), hook))
			return e;
	}
	return NULL;
}

static struct json_object *find_rule(struct json_object *rules, uint64_t prio)
{
	size_t i, n = rules ? json_object_array_length(rules) : 0;

	for (i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(rules, i);

		if (u64(r, "prio") == prio)
			return r;
	}
	return NULL;
}

struct json_object *sl_cli_rates(struct json_object *prev,
				 struct json_object *cur)
{
	struct json_object *out, *ifs, *rules, *cifs, *crules, *o, *p;
	double dt = (double)(u64(cur, "time_ns") - u64(prev, "time_ns")) / 1e9;
	size_t i, n;

	if (dt <= 0)
		dt = 1;
	out = json_object_new_object();
	ifs = json_object_new_array();
	rules = json_object_new_array();
	if (!out || !ifs || !rules) {
		json_object_put(out);
		json_object_put(ifs);
		json_object_put(rules);
		return NULL;
	}
	json_object_object_add(out, "time_ns",
			       json_object_new_uint64(u64(cur, "time_ns")));
	json_object_object_add(out, "interval_s", json_object_new_double(dt));
	json_object_object_add(out, "interfaces", ifs);
	json_object_object_add(out, "rules", rules);

	cifs = get(cur, "interfaces");
	n = cifs ? json_object_array_length(cifs) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(cifs, i);

		p = find_iface(get(prev, "interfaces"), u64(e, "slot"),
			       txt(e, "hook"));
		o = json_object_new_object();
		if (!o)
			continue;
		json_object_object_add(o, "ifname",
				       json_object_get(get(e, "ifname")));
		json_object_object_add(o, "slot",
				       json_object_get(get(e, "slot")));
		json_object_object_add(o, "hook",
				       json_object_get(get(e, "hook")));
		json_object_object_add(o, "actions",
				       rate_group(get(e, "actions"),
						  get(p, "actions"), dt));
		json_object_object_add(o, "reasons",
				       rate_group(get(e, "reasons"),
						  get(p, "reasons"), dt));
		json_object_array_add(ifs, o);
	}
	crules = get(cur, "rules");
	n = crules ? json_object_array_length(crules) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(crules, i);

		o = rate_counter(
			r, find_rule(get(prev, "rules"), u64(r, "prio")), dt);
		if (!o)
			continue;
		json_object_object_add(o, "prio",
				       json_object_get(get(r, "prio")));
		json_object_array_add(rules, o);
	}
	return out;
}

void sl_cli_show(const struct sl_cmd *cmd, struct json_object *data, FILE *out)
{
	switch (cmd->kind) {
	case SL_CMD_ATTACH:
		show_attach(data, out);
		break;
	case SL_CMD_RULE_LIST:
		show_rules(data, out);
		break;
	case SL_CMD_SET_LIST:
		show_sets(cmd, data, out);
		break;
	case SL_CMD_SET_LOAD:
		show_load(data, out);
		break;
	case SL_CMD_STATS:
		sl_cli_show_stats(data, false, out);
		break;
	case SL_CMD_STATUS:
		show_status(data, out);
		break;
	case SL_CMD_METRICS:
		if (json_object_is_type(data, json_type_string))
			fputs(json_object_get_string(data), out);
		break;
	case SL_CMD_RELOAD:
		show_reload(data, out);
		break;
	default:
		/* detach, policy, rule add/del, set add/del/flush: quiet */
		break;
	}
}
