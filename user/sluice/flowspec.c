/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * sluice flowspec: run by ExaBGP as a process ("encoder json"), it reads
 * one JSON message a line on stdin and keeps the rules of the FlowSpec
 * range (default 50000-59999) equal to the routes received, in the order
 * of RFC 8955 5.1.  Every change goes as one "rule replace-range": the
 * whole range in one publish, so each UPDATE lands whole, and a restart
 * of anything ends with exactly the announced set.
 *
 * Nothing goes to stdout: ExaBGP reads a process's stdout as commands.
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/mman.h>

#include <json-c/json.h>

#include "ctl.h"
#include "flowspec.h"
#include "grammar.h"
#include "flowspec_cli.h"

/* Quiet time before a batch goes out, and the longest a batch waits. */
#define SETTLE_MS 50
#define BATCH_MAX_MS 500
/*
 * After a replace of the range, the next waits this many times as long
 * as the last took: a stream of updates (10,000 routes come from ExaBGP
 * as some 40 lines over 2 s, with pauses longer than SETTLE_MS between
 * them) then costs at most a third of the time in replaces of a growing
 * range, instead of one every pause.  A lone withdrawal after a replace
 * of 10,000 rules (some 300 ms) still lands well within a second.
 */
#define REPLACE_GAP_FACTOR 2
#define RETRY_MS 1000
/* The report goes again this often, for a sluiced that restarted. */
#define REPORT_EVERY_MS 10000

struct entry {
	char *peer;
	struct sl_fs_route route;
	unsigned long long stale_until; /* ms; 0: fresh */
	unsigned int prio; /* first rule's prio, 0 when none */
	const char *refused; /* the route's, or "range-full" */
	/*
	 * Its rules as replace-range takes them, without the prio: one
	 * line each, made once (a third of a replace's time otherwise).
	 */
	char *text;
};

struct peer {
	char *addr;
	bool up, synced;
};

struct fs {
	const char *sock, *status;
	unsigned int lo, hi;
	unsigned long long grace_ms, hold_ms, start_ms;
	struct entry *v;
	size_t n, cap;
	struct json_object *index; /* "peer nlri" -> position in v */
	struct peer *peers;
	size_t npeers;
	bool started, dirty, failing;
	bool peers_changed; /* a session went up or down: status and report */
	bool report_failing; /* logged once, not every REPORT_EVERY_MS */
	unsigned long long dirty_since, last_input, retry_at, reported_at;
	unsigned long long next_flush; /* ms: the last replace's cost after it */
	unsigned long long received, updates, applied_batches;
	char last_error[SL_CTL_ERR_LEN];
};

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	stop = 1;
}

/* The options, for the completion and the manual's test. */
static const char *const fs_opts[] = { "--range", "--grace", "--hold",
				       "--status" };

int sl_flowspec_words(const char *context, FILE *f)
{
	size_t i;

	if (strcmp(context, "flowspec"))
		return -ENOENT;
	for (i = 0; i < sizeof(fs_opts) / sizeof(fs_opts[0]); i++)
		fprintf(f, "%s\n", fs_opts[i]);
	return 0;
}

void sl_flowspec_synopsis(FILE *f)
{
	fputs("flowspec [--range LO-HI] [--grace SECONDS] [--hold SECONDS] [--status FILE]",
	      f);
}

static void logf_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void logf_(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("sluice flowspec: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static struct peer *peer_get(struct fs *s, const char *addr)
{
	struct peer *np;
	size_t i;

	for (i = 0; i < s->npeers; i++)
		if (!strcmp(s->peers[i].addr, addr))
			return &s->peers[i];
	np = realloc(s->peers, (s->npeers + 1) * sizeof(*np));
	if (!np)
		return NULL;
	s->peers = np;
	np += s->npeers;
	memset(np, 0, sizeof(*np));
	np->addr = strdup(addr);
	if (!np->addr)
		return NULL;
	s->npeers++;
	return np;
}

static char *key_of(const char *peer, const char *nlri)
{
	char *k;

	return asprintf(&k, "%s %s", peer, nlri) < 0 ? NULL : k;
}

static void entry_remove(struct fs *s, size_t i)
{
	char *k = key_of(s->v[i].peer, s->v[i].route.nlri);

	if (k)
		json_object_object_del(s->index, k);
	free(k);
	free(s->v[i].peer);
	free(s->v[i].text);
	sl_fs_route_free(&s->v[i].route);
	if (i + 1 < s->n) {
		s->v[i] = s->v[s->n - 1];
		k = key_of(s->v[i].peer, s->v[i].route.nlri);
		if (k)
			json_object_object_add(s->index, k,
					       json_object_new_int64(i));
		free(k);
	}
	s->n--;
	s->dirty = true;
}

static long entry_find(struct fs *s, const char *peer, const char *nlri)
{
	struct json_object *pos;
	char *k = key_of(peer, nlri);
	bool found = k && json_object_object_get_ex(s->index, k, &pos);

	free(k);
	return found ? (long)json_object_get_int64(pos) : -1;
}

static int entry_put(struct fs *s, const char *peer, struct sl_fs_route *r)
{
	long at = entry_find(s, peer, r->nlri);
	struct entry *nv;
	char *k;

	s->dirty = true;
	if (at >= 0) {
		sl_fs_route_free(&s->v[at].route);
		free(s->v[at].text);
		s->v[at].text = NULL;
		s->v[at].route = *r;
		s->v[at].stale_until = 0;
		return 0;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		nv = realloc(s->v, s->cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
	}
	k = key_of(peer, r->nlri);
	if (!k)
		return -ENOMEM;
	memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
	s->v[s->n].peer = strdup(peer);
	s->v[s->n].route = *r;
	json_object_object_add(s->index, k, json_object_new_int64(s->n));
	free(k);
	s->n++;
	return 0;
}

static void announce(struct fs *s, const char *peer, struct json_object *ann,
		     struct json_object *attrs)
{
	json_object_object_foreach(ann, family, byhop) {
		json_object_object_foreach(byhop, hop, flows) {
			size_t i, n = json_object_array_length(flows);

			(void)hop;
			for (i = 0; i < n; i++) {
				struct sl_fs_route r;

				if (sl_fs_route_parse(
					    json_object_array_get_idx(flows, i),
					    family, attrs, &r))
					continue;
				s->received++;
				if (r.refused)
					logf_("refused (%s) from %s: %s: %s",
					      r.refused, peer, r.nlri,
					      r.detail);
				if (entry_put(s, peer, &r))
					sl_fs_route_free(&r);
			}
		}
	}
}

static void withdraw(struct fs *s, const char *peer, struct json_object *wd)
{
	json_object_object_foreach(wd, family, flows) {
		size_t i, n = json_object_array_length(flows);

		(void)family;
		for (i = 0; i < n; i++) {
			struct json_object *o = json_object_array_get_idx(flows,
									  i),
					   *str;
			long at;

			if (!json_object_object_get_ex(o, "string", &str))
				continue;
			at = entry_find(s, peer, json_object_get_string(str));
			if (at >= 0)
				entry_remove(s, at);
		}
	}
}

/* Routes of a peer that did not come back in time, or not after its EOR. */
static void drop_stale(struct fs *s, const char *peer, unsigned long long now)
{
	size_t i = 0;

	while (i < s->n) {
		struct entry *e = &s->v[i];

		if (e->stale_until &&
		    (peer ? !strcmp(e->peer, peer) : e->stale_until <= now))
			entry_remove(s, i);
		else
			i++;
	}
}

static void peer_down(struct fs *s, const char *peer, unsigned long long now)
{
	size_t i = 0;

	while (i < s->n) {
		if (strcmp(s->v[i].peer, peer)) {
			i++;
		} else if (s->grace_ms) {
			if (!s->v[i].stale_until)
				s->v[i].stale_until = now + s->grace_ms;
			i++;
		} else {
			entry_remove(s, i);
		}
	}
}

static void message(struct fs *s, const char *line, unsigned long long now)
{
	struct json_object *m = json_tokener_parse(line), *nb, *addr, *peer_o,
			   *type, *msg, *upd, *o, *attrs = NULL;
	const char *peer;
	struct peer *p;

	if (!m) {
		logf_("not JSON: %.80s", line);
		return;
	}
	if (!json_object_object_get_ex(m, "type", &type) ||
	    !json_object_object_get_ex(m, "neighbor", &nb) ||
	    !json_object_object_get_ex(nb, "address", &addr) ||
	    !json_object_object_get_ex(addr, "peer", &peer_o))
		goto out;
	peer = json_object_get_string(peer_o);
	p = peer_get(s, peer);
	if (!p)
		goto out;
	if (!strcmp(json_object_get_string(type), "state")) {
		if (!json_object_object_get_ex(nb, "state", &o))
			goto out;
		if (!strcmp(json_object_get_string(o), "up")) {
			p->up = true;
			p->synced = false;
			s->peers_changed = true;
		} else if (!strcmp(json_object_get_string(o), "down")) {
			struct json_object *why = NULL;
			const char *reason = "";

			if (json_object_object_get_ex(nb, "reason", &why))
				reason = json_object_get_string(why);
			p->up = false;
			/*
			 * ExaBGP going away closes every session first: its
			 * routes stay until it is back and has sent them again.
			 */
			if (strstr(reason, "shutting down")) {
				stop = 1;
				goto out;
			}
			logf_("session with %s down: %s", peer, reason);
			peer_down(s, peer, now);
			s->peers_changed = true;
		}
		goto out;
	}
	if (strcmp(json_object_get_string(type), "update") ||
	    !json_object_object_get_ex(nb, "message", &msg))
		goto out;
	if (json_object_object_get_ex(msg, "eor", &o)) {
		/* The peer has sent all it has: what it did not resend is gone. */
		p->synced = true;
		drop_stale(s, peer, now);
		s->dirty = true;
		goto out;
	}
	if (!json_object_object_get_ex(msg, "update", &upd))
		goto out;
	s->updates++;
	json_object_object_get_ex(upd, "attribute", &attrs);
	if (json_object_object_get_ex(upd, "withdraw", &o))
		withdraw(s, peer, o);
	if (json_object_object_get_ex(upd, "announce", &o))
		announce(s, peer, o, attrs);
out:
	json_object_put(m);
}

static int order_cmp(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;
	int c = sl_fs_route_cmp(&x->route, &y->route);

	return c ? c : strcmp(x->peer, y->peer);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t k = write(fd, buf, len);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += k;
		len -= k;
	}
	return 0;
}

static void write_status(struct fs *s);

static int send_memfd(struct fs *s, char **argv, int argc, const char *buf,
		      size_t len)
{
	struct json_object *data = NULL;
	int mfd, fd, ret;

	mfd = memfd_create("sluice-flowspec", MFD_CLOEXEC);
	ret = mfd < 0 ? -errno : write_all(mfd, buf, len);
	if (ret) {
		snprintf(s->last_error, sizeof(s->last_error), "memfd: %s",
			 strerror(-ret));
		goto out;
	}
	fd = sl_ctl_connect(s->sock, s->last_error, sizeof(s->last_error));
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	ret = sl_ctl_call(fd, argc, argv, mfd, &data, s->last_error,
			  sizeof(s->last_error));
	close(fd);
	json_object_put(data);
out:
	if (mfd >= 0)
		close(mfd);
	return ret;
}

/*
 * What sluiced shows in "status" and /metrics: the counts, and which
 * rules make each installed route (its per-route counters).
 */
static void report(struct fs *s)
{
	char *argv[] = { "flowspec", "report", NULL };
	size_t i, k = 0, installed = 0, peers_up = 0, *refused;
	char *buf = NULL, err[SL_CTL_ERR_LEN];
	size_t len = 0;
	FILE *f;

	for (i = 0; sl_fs_reasons[i]; i++)
		;
	refused = calloc(i + 1, sizeof(*refused));
	f = refused ? open_memstream(&buf, &len) : NULL;
	if (!f) {
		free(refused);
		return;
	}
	for (i = 0; i < s->npeers; i++)
		peers_up += s->peers[i].up;
	fprintf(f,
		"{\"lo\":%u,\"hi\":%u,\"updates\":%llu,\"peers\":%zu,\"peers_up\":%zu,\"routes\":[",
		s->lo, s->hi, s->updates, s->npeers, peers_up);
	for (i = 0; i < s->n; i++) {
		const struct entry *e = &s->v[i];
		size_t r;

		if (e->refused) {
			for (r = 0; sl_fs_reasons[r]; r++)
				if (!strcmp(sl_fs_reasons[r], e->refused))
					refused[r]++;
			continue;
		}
		if (!e->prio)
			continue; /* a route of no rule (none so far) */
		installed++;
		fprintf(f, "%s[%u,%zu]", k++ ? "," : "", e->prio,
			e->route.nrules);
	}
	fprintf(f, "],\"received\":%zu,\"installed\":%zu,\"refused\":{", s->n,
		installed);
	for (i = k = 0; sl_fs_reasons[i]; i++)
		if (refused[i])
			fprintf(f, "%s\"%s\":%zu", k++ ? "," : "",
				sl_fs_reasons[i], refused[i]);
	fputs("}}\n", f);
	free(refused);
	if (fclose(f)) {
		free(buf);
		return;
	}
	/* A failed report costs the status its counts, not the rules. */
	memcpy(err, s->last_error, sizeof(err));
	if (send_memfd(s, argv, 2, buf, len)) {
		if (!s->report_failing)
			logf_("cannot report to sluiced: %s", s->last_error);
		s->report_failing = true;
	} else {
		s->report_failing = false;
	}
	memcpy(s->last_error, err, sizeof(err));
	s->reported_at = sl_ctl_now_ms();
	free(buf);
}

/* e->text from its rules; -ENOMEM. */
static int entry_text(struct entry *e)
{
	char text[SL_RULE_FMT_LEN], *buf = NULL;
	size_t j, len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return -ENOMEM;
	for (j = 0; j < e->route.nrules; j++) {
		const char *p = text + strlen("rule add ");

		sl_rule_format(&e->route.rules[j], text, sizeof(text));
		p += strspn(p, "0123456789 ");
		fprintf(f, "%s\n", p);
	}
	if (fclose(f)) {
		free(buf);
		return -ENOMEM;
	}
	e->text = buf;
	return 0;
}

/* The whole range from the table, in one request. */
static int flush(struct fs *s)
{
	struct entry **order = calloc(s->n + 1, sizeof(*order));
	char lo[8], hi[8], range[16], *p, *nl;
	char *argv[] = { "rule", "replace-range", lo, hi, "flowspec", NULL };
	unsigned int prio = s->lo;
	size_t i, n = 0;
	FILE *f;
	char *buf = NULL;
	size_t len = 0;
	unsigned long long t_build = sl_ctl_now_ms(), t_send;
	int ret;

	if (!order)
		return -ENOMEM;
	for (i = 0; i < s->n; i++) {
		s->v[i].prio = 0;
		s->v[i].refused = s->v[i].route.refused;
		if (!s->v[i].refused)
			order[n++] = &s->v[i];
	}
	qsort(order, n, sizeof(*order), order_cmp);
	f = open_memstream(&buf, &len);
	if (!f) {
		free(order);
		return -ENOMEM;
	}
	fprintf(f,
		"# sluice flowspec: %zu routes in the order of RFC 8955 5.1\n",
		n);
	for (i = 0; i < n; i++) {
		struct entry *e = order[i];

		if (prio + e->route.nrules - 1 > s->hi) {
			e->refused = "range-full";
			continue;
		}
		if (!e->text && entry_text(e)) {
			fclose(f);
			free(buf);
			free(order);
			return -ENOMEM;
		}
		e->prio = e->route.nrules ? prio : 0;
		for (p = e->text; *p; p = nl + 1) {
			nl = strchr(p, '\n');
			fprintf(f, "%u ", prio++);
			fwrite(p, 1, nl - p + 1, f);
		}
	}
	fclose(f);
	free(order);
	snprintf(lo, sizeof(lo), "%u", s->lo);
	snprintf(hi, sizeof(hi), "%u", s->hi);
	snprintf(range, sizeof(range), "%u-%u", s->lo, s->hi);
	t_send = sl_ctl_now_ms();
	ret = send_memfd(s, argv, 5, buf, len);
	free(buf);
	if (!ret) {
		unsigned long long now = sl_ctl_now_ms();

		/*
		 * One line a batch: how long its first change waited, and
		 * what of it went to our text and to sluiced's replace.
		 */
		logf_("range %s: %zu routes installed, %llu ms after the first change (text %llu ms, sluiced %llu ms)",
		      range, n, now - s->dirty_since, t_send - t_build,
		      now - t_send);
		s->applied_batches++;
		s->last_error[0] = '\0';
	}
	if (ret && !s->failing)
		logf_("cannot install the range %s: %s (retrying)", range,
		      s->last_error);
	else if (!ret && s->failing)
		logf_("range %s installed again", range);
	s->failing = ret != 0;
	s->peers_changed = false;
	write_status(s);
	if (!ret)
		report(s);
	return ret;
}

static void write_status(struct fs *s)
{
	struct json_object *st = json_object_new_object(), *reasons, *routes,
			   *peers, *o;
	size_t i, installed = 0, refused = 0, rules = 0;
	char tmp[4200];
	FILE *f;

	if (!s->status || !st)
		goto out;
	reasons = json_object_new_object();
	for (i = 0; sl_fs_reasons[i]; i++)
		json_object_object_add(reasons, sl_fs_reasons[i],
				       json_object_new_int(0));
	routes = json_object_new_array();
	for (i = 0; i < s->n; i++) {
		struct entry *e = &s->v[i];

		o = json_object_new_object();
		json_object_object_add(o, "peer",
				       json_object_new_string(e->peer));
		json_object_object_add(o, "route",
				       json_object_new_string(e->route.nlri));
		if (e->refused) {
			struct json_object *c;

			refused++;
			json_object_object_get_ex(reasons, e->refused, &c);
			json_object_object_add(
				reasons, e->refused,
				json_object_new_int(
					c ? json_object_get_int(c) + 1 : 1));
			json_object_object_add(
				o, "refused",
				json_object_new_string(e->refused));
			json_object_object_add(
				o, "detail",
				json_object_new_string(
					e->route.refused ?
						e->route.detail :
						"no room left in the range"));
		} else {
			installed++;
			rules += e->route.nrules;
			json_object_object_add(o, "prio",
					       json_object_new_int(e->prio));
			json_object_object_add(
				o, "rules",
				json_object_new_int(e->route.nrules));
		}
		json_object_object_add(o, "stale",
				       json_object_new_boolean(e->stale_until));
		json_object_array_add(routes, o);
	}
	peers = json_object_new_array();
	for (i = 0; i < s->npeers; i++) {
		o = json_object_new_object();
		json_object_object_add(
			o, "peer", json_object_new_string(s->peers[i].addr));
		json_object_object_add(o, "up",
				       json_object_new_boolean(s->peers[i].up));
		json_object_array_add(peers, o);
	}
	json_object_object_add(st, "range", json_object_new_string(""));
	snprintf(tmp, sizeof(tmp), "%u-%u", s->lo, s->hi);
	json_object_object_add(st, "range", json_object_new_string(tmp));
	json_object_object_add(st, "received", json_object_new_uint64(s->n));
	json_object_object_add(st, "announcements",
			       json_object_new_uint64(s->received));
	json_object_object_add(st, "updates",
			       json_object_new_uint64(s->updates));
	json_object_object_add(st, "routes", json_object_new_uint64(s->n));
	json_object_object_add(st, "installed",
			       json_object_new_uint64(installed));
	json_object_object_add(st, "refused", json_object_new_uint64(refused));
	json_object_object_add(st, "rules", json_object_new_uint64(rules));
	json_object_object_add(st, "refused_by_reason", reasons);
	json_object_object_add(st, "applied",
			       json_object_new_uint64(s->applied_batches));
	json_object_object_add(st, "in_sync",
			       json_object_new_boolean(!s->failing));
	json_object_object_add(st, "error",
			       json_object_new_string(s->last_error));
	json_object_object_add(st, "peers", peers);
	json_object_object_add(st, "list", routes);
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->status);
	f = fopen(tmp, "w");
	if (!f)
		goto out;
	fprintf(f, "%s\n",
		json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN));
	if (fclose(f) == 0)
		rename(tmp, s->status);
out:
	json_object_put(st);
}

static int parse_range(const char *w, unsigned int *lo, unsigned int *hi)
{
	char *end;

	*lo = strtoul(w, &end, 10);
	if (*end != '-')
		return -EINVAL;
	*hi = strtoul(end + 1, &end, 10);
	if (*end || !*lo || *lo > *hi || *hi > SLUICE_PRIO_MAX)
		return -EINVAL;
	return 0;
}

static bool all_synced(struct fs *s)
{
	size_t i;

	for (i = 0; i < s->npeers; i++)
		if (s->peers[i].up && !s->peers[i].synced)
			return false;
	return s->npeers > 0;
}

int sl_flowspec_main(int argc, char **argv, const char *sock)
{
	struct fs s = {
		.sock = sock, .lo = 50000, .hi = 59999, .hold_ms = 30000
	};
	static char in[1 << 20];
	size_t inlen = 0;
	int i;
	for (i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (i + 1 == argc)
			goto usage;
		if (!strcmp(o, "--range")) {
			if (parse_range(argv[++i], &s.lo, &s.hi))
				goto usage;
		} else if (!strcmp(o, "--grace")) {
			s.grace_ms = strtoull(argv[++i], NULL, 10) * 1000;
		} else if (!strcmp(o, "--hold")) {
			s.hold_ms = strtoull(argv[++i], NULL, 10) * 1000;
		} else if (!strcmp(o, "--status")) {
			s.status = argv[++i];
		} else {
			goto usage;
		}
	}
	s.index = json_object_new_object();
	if (!s.index)
		return 1;
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGPIPE, SIG_IGN);
	s.start_ms = sl_ctl_now_ms();
	logf_("range %u-%u, grace %llus, hold %llus", s.lo, s.hi,
	      s.grace_ms / 1000, s.hold_ms / 1000);
	while (!stop) {
		unsigned long long now = sl_ctl_now_ms();
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int timeout = 200;
		ssize_t r;

		if (s.dirty && s.started && now >= s.retry_at &&
		    now >= s.next_flush) {
			if (now - s.last_input >= SETTLE_MS ||
			    now - s.dirty_since >= BATCH_MAX_MS) {
				s.dirty = false;
				if (flush(&s)) {
					s.dirty = true;
					s.retry_at = now + RETRY_MS;
				}
				s.next_flush = sl_ctl_now_ms() +
					       REPLACE_GAP_FACTOR *
						       (sl_ctl_now_ms() - now);
				continue;
			}
			timeout = SETTLE_MS;
		} else if (s.dirty && s.started && now < s.next_flush) {
			timeout = s.next_flush - now;
		}
		if (!s.started &&
		    (all_synced(&s) || now - s.start_ms >= s.hold_ms)) {
			/* Until then the range keeps what the last run left. */
			s.started = true;
			s.dirty = true;
			s.dirty_since = now;
			continue;
		}
		if (s.peers_changed && !s.dirty) {
			/* With a grace time, a lost session changes no rule. */
			s.peers_changed = false;
			write_status(&s);
			if (s.started && !s.failing)
				report(&s);
		}
		if (s.started && !s.dirty && !s.failing &&
		    now - s.reported_at >= REPORT_EVERY_MS)
			report(&s);
		if (s.grace_ms) {
			size_t before = s.n;

			drop_stale(&s, NULL, now);
			if (s.n != before)
				logf_("%zu routes dropped after the grace time",
				      before - s.n);
		}
		r = poll(&pfd, 1, timeout);
		if (r < 0 && errno != EINTR)
			break;
		if (r <= 0)
			continue;
		r = read(STDIN_FILENO, in + inlen, sizeof(in) - 1 - inlen);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* The speaker left: its routes stay until it is back. */
			break;
		}
		inlen += r;
		in[inlen] = '\0';
		now = sl_ctl_now_ms();
		{
			char *p = in, *nl;
			bool was = s.dirty;

			while ((nl = strchr(p, '\n'))) {
				*nl = '\0';
				message(&s, p, now);
				p = nl + 1;
			}
			inlen -= p - in;
			memmove(in, p, inlen);
			if (inlen == sizeof(in) - 1) {
				logf_("a line longer than %zu bytes: dropped",
				      sizeof(in));
				inlen = 0;
			}
			s.last_input = now;
			if (s.dirty && !was)
				s.dirty_since = now;
		}
	}
	/* Nothing more goes out: the next run replaces the whole range. */
	return 0;
usage:
	fputs("usage: sluice [-s SOCKET] ", stderr);
	sl_flowspec_synopsis(stderr);
	fputc('\n', stderr);
	return 2;
}
