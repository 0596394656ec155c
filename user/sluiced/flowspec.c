// SPDX-License-Identifier: GPL-2.0-only
/*
 * "flowspec report": what "sluice flowspec" holds (routes received,
 * installed, refused by reason, and which rules each installed route
 * became), kept for "status" and /metrics.  The rules are the daemon's
 * already; only the report says which of them make one route, and how
 * many routes never became rules.  It lives in memory only: the process
 * sends it again after every change and every SL_FS_REPORT_EVERY_S
 * seconds, so a restarted daemon has it back soon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_int.h"
#include "flowspec.h"
#include "stats.h"

/* A report larger than this is not one "sluice flowspec" writes. */
#define REPORT_MAX (8u << 20)

struct sl_fs_report {
	struct sl_metrics_flowspec m;
	unsigned long long *refused; /* per sl_fs_reasons[] */
	struct sl_metrics_fs_route *routes;
	unsigned long long at_ms;
	unsigned int lo, hi;
};

static size_t nreasons(void)
{
	size_t n = 0;

	while (sl_fs_reasons[n])
		n++;
	return n;
}

void sl_flowspec_free(struct sl_daemon *d)
{
	if (!d->fs)
		return;
	free(d->fs->refused);
	free(d->fs->routes);
	free(d->fs);
	d->fs = NULL;
}

static struct json_object *read_json_fd(int fd, char *err, size_t errlen)
{
	struct json_object *o = NULL;
	struct stat st;
	char *buf;
	ssize_t got;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    st.st_size > REPORT_MAX) {
		sl_err(err, errlen,
		       "flowspec report: not a regular file of at most %u bytes",
		       REPORT_MAX);
		return NULL;
	}
	buf = malloc(st.st_size + 1);
	if (!buf)
		return NULL;
	got = pread(fd, buf, st.st_size, 0);
	if (got == st.st_size) {
		buf[got] = '\0';
		o = json_tokener_parse(buf);
	}
	free(buf);
	if (!o)
		sl_err(err, errlen, "flowspec report: not JSON");
	return o;
}

static unsigned long long num(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	return json_object_get_uint64(v);
}

/*
 * {"lo", "hi", "received", "installed", "updates", "peers", "peers_up",
 *  "refused": {REASON: N}, "routes": [[PRIO, RULES]...]}: reasons not in
 * sl_fs_reasons and routes outside lo..hi are refused, so that the
 * labels stay bounded.
 */
static int report_parse(struct json_object *o, struct sl_fs_report *r,
			char *err, size_t errlen)
{
	struct json_object *refused, *routes;
	size_t i, n;

	r->lo = num(o, "lo");
	r->hi = num(o, "hi");
	if (!r->lo || r->lo > r->hi || r->hi > SLUICE_PRIO_MAX)
		return sl_err(err, errlen, "flowspec report: bad lo, hi"),
		       -EINVAL;
	r->m.received = num(o, "received");
	r->m.installed = num(o, "installed");
	r->m.updates = num(o, "updates");
	r->m.peers = num(o, "peers");
	r->m.peers_up = num(o, "peers_up");
	r->refused = calloc(nreasons() + 1, sizeof(*r->refused));
	if (!r->refused)
		return -ENOMEM;
	if (json_object_object_get_ex(o, "refused", &refused) &&
	    json_object_is_type(refused, json_type_object)) {
		json_object_object_foreach(refused, reason, v) {
			for (i = 0; sl_fs_reasons[i]; i++)
				if (!strcmp(sl_fs_reasons[i], reason))
					break;
			if (!sl_fs_reasons[i])
				return sl_err(err, errlen,
					      "flowspec report: unknown reason \"%s\"",
					      reason),
				       -EINVAL;
			r->refused[i] = json_object_get_uint64(v);
			r->m.refused += r->refused[i];
		}
	}
	r->m.refused_by = r->refused;
	if (!json_object_object_get_ex(o, "routes", &routes) ||
	    !json_object_is_type(routes, json_type_array))
		return sl_err(err, errlen, "flowspec report: no routes"),
		       -EINVAL;
	n = json_object_array_length(routes);
	if (n > r->hi - r->lo + 1)
		return sl_err(err, errlen,
			      "flowspec report: more routes than the range holds"),
		       -EINVAL;
	r->routes = calloc(n + 1, sizeof(*r->routes));
	if (!r->routes)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(routes, i);
		unsigned long long prio, rules;

		if (!json_object_is_type(e, json_type_array) ||
		    json_object_array_length(e) != 2)
			return sl_err(err, errlen,
				      "flowspec report: route %zu is not [PRIO, RULES]",
				      i),
			       -EINVAL;
		prio = json_object_get_uint64(json_object_array_get_idx(e, 0));
		rules = json_object_get_uint64(json_object_array_get_idx(e, 1));
		if (prio < r->lo || !rules || prio + rules - 1 > r->hi)
			return sl_err(err, errlen,
				      "flowspec report: route %zu is outside %u-%u",
				      i, r->lo, r->hi),
			       -EINVAL;
		r->routes[i].prio = prio;
		r->routes[i].nrules = rules;
	}
	r->m.routes = r->routes;
	r->m.nroutes = n;
	return 0;
}

static int report(struct sl_daemon *d, int fd, struct sl_ctl_result *res)
{
	struct sl_fs_report *r;
	struct json_object *o;
	int ret;

	if (fd < 0) {
		sl_err(res->err, sizeof(res->err),
		       "flowspec report: the report must come as a descriptor (\"fd\": true)");
		return -EINVAL;
	}
	o = read_json_fd(fd, res->err, sizeof(res->err));
	if (!o)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	ret = r ? report_parse(o, r, res->err, sizeof(res->err)) : -ENOMEM;
	json_object_put(o);
	if (ret) {
		if (r) {
			free(r->refused);
			free(r->routes);
			free(r);
		}
		return ret;
	}
	r->at_ms = sl_ctl_now_ms();
	sl_flowspec_free(d);
	d->fs = r;
	res->data = json_object_new_object();
	if (!res->data)
		return -ENOMEM;
	sl_json_add_int(res->data, "routes", r->m.nroutes);
	return 0;
}

int sl_flowspec_cmd(struct sl_daemon *d, int argc, char **argv, int fd,
		    struct sl_ctl_result *res)
{
	if (argc == 2 && !strcmp(argv[1], "report"))
		return report(d, fd, res);
	sl_err(res->err, sizeof(res->err),
	       "\"flowspec\" runs in the sluice CLI, beside the BGP speaker; the daemon takes only \"flowspec report\" from it");
	return -EINVAL;
}

const struct sl_metrics_flowspec *sl_flowspec_metrics(struct sl_daemon *d)
{
	return d->fs ? &d->fs->m : NULL;
}

/* A route's counter: the sum of its rules'. */
static struct sluice_counter route_counter(const struct sl_stats *s,
					   const struct sl_metrics_fs_route *rt)
{
	struct sluice_counter sum = { 0 }, c;
	unsigned int k;

	for (k = 0; k < rt->nrules; k++) {
		c = sl_stats_rule(s, rt->prio + k, -1);
		sum.packets += c.packets;
		sum.bytes += c.bytes;
	}
	return sum;
}

struct json_object *sl_flowspec_json(struct sl_daemon *d)
{
	struct sl_fs_report *r = d->fs;
	struct json_object *o, *reasons, *routes;
	struct sl_stats_sel sel = { 0 };
	struct sl_stats s;
	__u16 *prios;
	bool counted;
	size_t i, n = 0;
	char range[16];

	if (!r)
		return NULL;
	o = json_object_new_object();
	reasons = json_object_new_object();
	routes = json_object_new_array();
	prios = calloc(r->hi - r->lo + 2, sizeof(*prios));
	if (!o || !reasons || !routes || !prios) {
		json_object_put(o);
		json_object_put(reasons);
		json_object_put(routes);
		free(prios);
		return NULL;
	}
	for (i = 0; i < r->m.nroutes; i++) {
		unsigned int k;

		for (k = 0; k < r->routes[i].nrules; k++)
			prios[n++] = r->routes[i].prio + k;
	}
	sel.prios = prios;
	sel.nprios = n;
	counted = !sl_stats_read_sel(d->dp, &sel, &s);
	snprintf(range, sizeof(range), "%u-%u", r->lo, r->hi);
	sl_json_add_str(o, "range", range);
	sl_json_add_int(o, "received", r->m.received);
	sl_json_add_int(o, "installed", r->m.installed);
	sl_json_add_int(o, "refused", r->m.refused);
	for (i = 0; sl_fs_reasons[i]; i++)
		sl_json_add_int(reasons, sl_fs_reasons[i], r->refused[i]);
	json_object_object_add(o, "refused_by_reason", reasons);
	sl_json_add_int(o, "updates", r->m.updates);
	sl_json_add_int(o, "peers", r->m.peers);
	sl_json_add_int(o, "peers_up", r->m.peers_up);
	sl_json_add_int(o, "reported_s_ago",
			(sl_ctl_now_ms() - r->at_ms) / 1000);
	for (i = 0; i < r->m.nroutes; i++) {
		struct json_object *e = json_object_new_object();
		struct sluice_counter c = { 0 };

		if (!e)
			break;
		if (counted)
			c = route_counter(&s, &r->routes[i]);
		sl_json_add_int(e, "prio", r->routes[i].prio);
		sl_json_add_int(e, "rules", r->routes[i].nrules);
		sl_json_add_int(e, "packets", c.packets);
		sl_json_add_int(e, "bytes", c.bytes);
		json_object_array_add(routes, e);
	}
	json_object_object_add(o, "routes", routes);
	if (counted)
		sl_stats_free(&s);
	free(prios);
	return o;
}
