/* SPDX-License-Identifier: GPL-2.0-only */
/* The CLI's human output; see output.h. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "output.h"

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
	/* A daemon older than the link flag does not say: print nothing. */
	if (flag(i, "present") && get(i, "link_up"))
		fprintf(out, ", link %s", flag(i, "link_up") ? "up" : "down");
	if (flag(i, "attached")) {
		fprintf(out, ", attached, hook %s", hook);
		if (strcmp(hook, "tc"))
			fprintf(out, ", mode %s", txt(i, "mode"));
		fprintf(out, ", prog id %" PRIu64, u64(i, "prog_id"));
	} else if (get(i, "held_by")) {
		fprintf(out,
			", hook held by prog id %" PRIu64
			" (%s), not taken back",
			u64(i, "held_by"), txt(i, "held_by_name"));
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
	if (str(i, "warning"))
		fprintf(out, "        warning: %s\n", txt(i, "warning"));
}

/* Routes "status" names, busiest first; -j gives them all. */
#define SL_CLI_TOP_ROUTES 10

static int by_packets_desc(const void *a, const void *b)
{
	uint64_t x = u64(*(struct json_object *const *)a, "packets");
	uint64_t y = u64(*(struct json_object *const *)b, "packets");

	return x < y ? 1 : x > y ? -1 : 0;
}

/* What "sluice flowspec" reported: counts, then the busiest routes. */
static void flowspec_lines(struct json_object *fs, FILE *out)
{
	struct json_object *reasons = get(fs, "refused_by_reason"),
			   *routes = get(fs, "routes"), **top;
	size_t i, n = routes ? json_object_array_length(routes) : 0;
	const char *sep = " (";

	fprintf(out,
		"flowspec: %" PRIu64 " routes received, %" PRIu64
		" installed, %" PRIu64 " refused",
		u64(fs, "received"), u64(fs, "installed"), u64(fs, "refused"));
	if (reasons) {
		json_object_object_foreach(reasons, reason, v) {
			if (!json_object_get_uint64(v))
				continue;
			fprintf(out, "%s%s %" PRIu64, sep, reason,
				json_object_get_uint64(v));
			sep = ", ";
		}
	}
	fprintf(out,
		"%s; range %s, %" PRIu64 "/%" PRIu64
		" sessions up, reported %" PRIu64 " s ago\n",
		strcmp(sep, ", ") ? "" : ")", txt(fs, "range"),
		u64(fs, "peers_up"), u64(fs, "peers"),
		u64(fs, "reported_s_ago"));
	top = n ? calloc(n, sizeof(*top)) : NULL;
	if (!top)
		return;
	for (i = 0; i < n; i++)
		top[i] = json_object_array_get_idx(routes, i);
	qsort(top, n, sizeof(*top), by_packets_desc);
	for (i = 0; i < n && i < SL_CLI_TOP_ROUTES && u64(top[i], "packets");
	     i++)
		fprintf(out,
			"    route at %" PRIu64 ": %" PRIu64
			" packets, %" PRIu64 " bytes\n",
			u64(top[i], "prio"), u64(top[i], "packets"),
			u64(top[i], "bytes"));
	free(top);
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
		"rules: %" PRIu64 ", index entries %" PRIu64 "/%" PRIu64
		", unindexed %" PRIu64 "\n",
		u64(rules, "count"), u64(rules, "index_entries"),
		u64(rules, "index_entries_max"), u64(rules, "unindexed"));
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
	fprintf(out,
		"rate-limit buckets: %" PRIu64 "/%" PRIu64 ", evicted %" PRIu64
		"\n",
		u64(maps, "rl_buckets"), u64(maps, "rl_buckets_max"),
		u64(maps, "rl_evictions"));
	if (get(d, "flowspec"))
		flowspec_lines(get(d, "flowspec"), out);
}

/* Rules "stats" shows, busiest first; -j gives them all. */
#define SL_CLI_TOP_RULES 10

/*
 * A rate, to three significant digits with an SI prefix: operators read
 * "14.9M" at a glance, and -j has the exact number.
 */
static void si(FILE *out, double v, int width)
{
	static const char *const pfx[] = { "", "k", "M", "G", "T", "P" };
	char buf[32];
	unsigned int i = 0;

	while (v >= 999.5 && i < sizeof(pfx) / sizeof(pfx[0]) - 1) {
		v /= 1000;
		i++;
	}
	if (!i)
		snprintf(buf, sizeof(buf), "%.0f", v);
	else
		snprintf(buf, sizeof(buf), "%.*f%s",
			 v < 9.995 ? 2 :
			 v < 99.95 ? 1 :
				     0,
			 v, pfx[i]);
	fprintf(out, "%*s", width, buf);
}

/* Totals are exact integers; rates (doubles) are scaled. */
static void value(FILE *out, struct json_object *c, bool rates, bool second)
{
	if (rates)
		si(out,
		   json_object_get_double(get(c, second ? "bits" : "packets")),
		   15);
	else
		fprintf(out, "%15" PRIu64,
			u64(c, second ? "bytes" : "packets"));
}

static bool zero(struct json_object *c)
{
	return json_object_get_double(get(c, "packets")) == 0;
}

static void row(FILE *out, const char *name, struct json_object *c, bool rates)
{
	struct json_object *cpus = get(c, "per_cpu");
	size_t i, n = cpus ? json_object_array_length(cpus) : 0;
	char label[32];

	fprintf(out, "    %-14s ", name);
	value(out, c, rates, false);
	fputc(' ', out);
	value(out, c, rates, true);
	fputc('\n', out);
	/* --per-cpu: each CPU's share, those that saw the packets. */
	for (i = 0; i < n && !zero(c); i++) {
		struct json_object *p = json_object_array_get_idx(cpus, i);

		if (zero(p))
			continue;
		snprintf(label, sizeof(label), "cpu%zu", i);
		fprintf(out, "      %-12s ", label);
		value(out, p, rates, false);
		fputc(' ', out);
		value(out, p, rates, true);
		fputc('\n', out);
	}
}

static void header(FILE *out, const char *title, bool rates)
{
	fprintf(out, "    %-14s %15s %15s\n", title,
		rates ? "packets/s" : "packets", rates ? "bits/s" : "bytes");
}

static void iface_stats(struct json_object *e, bool rates, FILE *out)
{
	struct json_object *acts = get(e, "actions"), *why = get(e, "reasons");
	const char *name = str(e, "ifname");
	bool any = false;

	fprintf(out, "%s: hook %s", name ? name : "(unknown interfaces)",
		txt(e, "hook"));
	if (str(e, "mode") && strcmp(txt(e, "mode"), "tc"))
		fprintf(out, ", mode %s", txt(e, "mode"));
	if (name && !flag(e, "attached"))
		fprintf(out, ", not attached now");
	fputs(":\n", out);
	header(out, "action", rates);
	json_object_object_foreach(acts, an, ac) {
		/* Never a verdict of its own: shown only should it count. */
		if (!strcmp(an, "rate-limit") && zero(ac))
			continue;
		row(out, an, ac, rates);
	}
	/* How the verdicts came about; zero reasons are noise. */
	json_object_object_foreach(why, wn, wc) {
		if (zero(wc))
			continue;
		if (!any)
			header(out, "reason", rates);
		any = true;
		row(out, wn, wc, rates);
	}
}

static int busier(const void *a, const void *b)
{
	struct json_object *x = *(struct json_object *const *)a;
	struct json_object *y = *(struct json_object *const *)b;
	double px = json_object_get_double(get(x, "packets"));
	double py = json_object_get_double(get(y, "packets"));

	if (px != py)
		return px < py ? 1 : -1;
	return u64(x, "prio") < u64(y, "prio") ? -1 : 1;
}

/* The rule's text without its priority, which has a column already. */
static const char *rule_body(struct json_object *r)
{
	const char *t = txt(r, "rule");
	char prio[24];
	size_t n;

	n = snprintf(prio, sizeof(prio), "%" PRIu64 " ", u64(r, "prio"));
	return strncmp(t, prio, n) ? t : t + n;
}

static void top_rules(struct json_object *rules, bool rates, FILE *out)
{
	size_t i, n = rules ? json_object_array_length(rules) : 0, shown = 0;
	struct json_object **v;

	if (!n)
		return;
	v = calloc(n, sizeof(*v));
	if (!v)
		return;
	for (i = 0; i < n; i++) {
		v[i] = json_object_array_get_idx(rules, i);
		if (!zero(v[i]))
			shown++;
	}
	qsort(v, n, sizeof(*v), busier);
	if (shown > SL_CLI_TOP_RULES)
		shown = SL_CLI_TOP_RULES;
	if (!shown) {
		fprintf(out, "rules: %zu, none matched%s\n", n,
			rates ? " in the interval" : " yet");
		free(v);
		return;
	}
	fprintf(out, "rules, busiest first (%zu of %zu):\n", shown, n);
	fprintf(out, "    %-6s %15s %15s  %s\n", "prio",
		rates ? "packets/s" : "packets", rates ? "bits/s" : "bytes",
		"rule");
	for (i = 0; i < shown; i++) {
		struct json_object *r = v[i], *cpus = get(r, "per_cpu");
		size_t c, nc = cpus ? json_object_array_length(cpus) : 0;

		fprintf(out, "    %-6" PRIu64 " ", u64(r, "prio"));
		value(out, r, rates, false);
		fputc(' ', out);
		value(out, r, rates, true);
		fprintf(out, "  %s\n", rule_body(r));
		if (get(r, "rate_limited")) {
			fprintf(out, "    %-6s ", "");
			value(out, get(r, "rate_limited"), rates, false);
			fputc(' ', out);
			value(out, get(r, "rate_limited"), rates, true);
			fprintf(out, "  of them over the limit, dropped\n");
		}
		for (c = 0; c < nc; c++) {
			struct json_object *p =
				json_object_array_get_idx(cpus, c);

			if (zero(p))
				continue;
			fprintf(out, "      cpu%-3zu ", c);
			value(out, p, rates, false);
			fputc(' ', out);
			value(out, p, rates, true);
			fputc('\n', out);
		}
	}
	free(v);
}

void sl_output_stats(struct json_object *d, bool rates, FILE *out)
{
	struct json_object *ifs = get(d, "interfaces");
	size_t i, n = ifs ? json_object_array_length(ifs) : 0;

	if (rates)
		fprintf(out, "per second, over the last %.2f s\n",
			json_object_get_double(get(d, "interval_s")));
	if (!n)
		fprintf(out, "interfaces: none\n");
	for (i = 0; i < n; i++)
		iface_stats(json_object_array_get_idx(ifs, i), rates, out);
	top_rules(get(d, "rules"), rates, out);
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
	struct json_object *o = json_object_new_object(), *cpus, *pcpus, *arr;
	double bytes = delta(cur, prev, "bytes") / dt;
	size_t i, n;

	if (!o)
		return NULL;
	json_object_object_add(
		o, "packets",
		json_object_new_double(delta(cur, prev, "packets") / dt));
	json_object_object_add(o, "bytes", json_object_new_double(bytes));
	json_object_object_add(o, "bits", json_object_new_double(bytes * 8));
	cpus = get(cur, "per_cpu");
	pcpus = get(prev, "per_cpu");
	if (!cpus || !json_object_is_type(cpus, json_type_array))
		return o;
	arr = json_object_new_array();
	if (!arr)
		return o;
	n = json_object_array_length(cpus);
	for (i = 0; i < n; i++)
		json_object_array_add(
			arr, rate_counter(json_object_array_get_idx(cpus, i),
					  pcpus ? json_object_array_get_idx(
							  pcpus, i) :
						  NULL,
					  dt));
	json_object_object_add(o, "per_cpu", arr);
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
	json_object_object_add(out, "ncpus",
			       json_object_get(get(cur, "ncpus")));
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
		json_object_object_add(o, "attached",
				       json_object_get(get(e, "attached")));
		json_object_object_add(o, "mode",
				       json_object_get(get(e, "mode")));
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
		json_object_object_add(o, "rule",
				       json_object_get(get(r, "rule")));
		json_object_object_add(o, "action",
				       json_object_get(get(r, "action")));
		if (get(r, "rate_limited"))
			json_object_object_add(
				o, "rate_limited",
				rate_counter(get(r, "rate_limited"),
					     get(find_rule(get(prev, "rules"),
							   u64(r, "prio")),
						 "rate_limited"),
					     dt));
		json_object_array_add(rules, o);
	}
	return out;
}

void sl_output_reply(const struct sl_cmd *cmd, struct json_object *data,
		     FILE *out)
{
	/* Done, but not as well as it could be: said apart from the output. */
	if (str(data, "warning"))
		fprintf(stderr, "warning: %s\n", txt(data, "warning"));
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
		sl_output_stats(data, false, out);
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
