/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's rule list: compiled into the data plane as one atomic
 * swap, and kept in source form in a pinned hash map (prio -> text and
 * origin, see daemon.h) so a restarted daemon knows the rules it runs.
 * The text is the grammar's own ("rule add 10 ..."), which stays stable
 * across versions where a struct layout would not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon_int.h"
#include "err.h"
#include "synproxy.h"

static int rent_cmp(const void *a, const void *b)
{
	const struct sl_rent *x = a, *y = b;

	return (int)x->rule.prio - (int)y->rule.prio;
}

static const char *origin_name(enum sl_origin o)
{
	return o == SL_ORIGIN_CONFIG ? "config" : "runtime";
}

static int store_check(int fd, const char *path, char *err, size_t errlen)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.type != BPF_MAP_TYPE_HASH || info.key_size != sizeof(__u32) ||
	    info.value_size != sizeof(struct sl_store_rec)) {
		sl_err(err, errlen,
		       "%s is not a rule store this sluiced reads: remove it",
		       path);
		return -EPROTO;
	}
	return 0;
}

static int store_open(struct sl_daemon *d, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	char path[PATH_MAX + 32];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", d->pin_dir, SL_STORE_NAME);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		ret = store_check(fd, path, err, errlen);
		if (ret) {
			close(fd);
			return ret;
		}
		d->store_fd = fd;
		return 0;
	}
	if (errno != ENOENT) {
		ret = -errno;
		sl_err(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, SL_STORE_NAME, sizeof(__u32),
			    sizeof(struct sl_store_rec), SLUICE_PRIO_MAX, &o);
	if (fd < 0) {
		ret = -errno;
		sl_err(err, errlen, "cannot create the rule store: %s",
		       strerror(-ret));
		return ret;
	}
	if (bpf_obj_pin(fd, path)) {
		ret = -errno;
		close(fd);
		sl_err(err, errlen, "cannot pin %s: %s", path, strerror(-ret));
		return ret;
	}
	d->store_fd = fd;
	return 0;
}

static int store_put(struct sl_daemon *d, const struct sl_rent *e)
{
	struct sl_store_rec rec;
	__u32 key = e->rule.prio;

	memset(&rec, 0, sizeof(rec));
	rec.origin = e->origin;
	sl_rule_format(&e->rule, rec.text, sizeof(rec.text));
	if (bpf_map_update_elem(d->store_fd, &key, &rec, BPF_ANY))
		return -errno;
	return 0;
}

static int store_del(struct sl_daemon *d, __u16 prio)
{
	__u32 key = prio;

	if (bpf_map_delete_elem(d->store_fd, &key) && errno != ENOENT)
		return -errno;
	return 0;
}

/* Read the stored rules; one that no longer parses is dropped, loudly. */
static int store_load(struct sl_daemon *d)
{
	__u32 key, next, *prev = NULL;
	struct sl_store_rec rec;
	char msg[SL_ERR_LEN];
	struct sl_rent *v = NULL, *nv;
	size_t n = 0, cap = 0;
	struct sl_cmd cmd;

	while (!bpf_map_get_next_key(d->store_fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(d->store_fd, &key, &rec))
			continue;
		rec.text[sizeof(rec.text) - 1] = '\0';
		if (sl_cmd_parse_line(rec.text, &cmd, msg, sizeof(msg))) {
			sl_dlog(d, LOG_ERR, "stored rule %u dropped: %s", key,
				msg);
			continue;
		}
		if (cmd.kind != SL_CMD_RULE_ADD || cmd.rule.prio != key) {
			sl_cmd_free(&cmd);
			sl_dlog(d, LOG_ERR, "stored rule %u dropped: \"%s\"",
				key, rec.text);
			continue;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				sl_cmd_free(&cmd);
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		v[n].rule = cmd.rule;
		v[n++].origin = rec.origin == SL_ORIGIN_CONFIG ?
					SL_ORIGIN_CONFIG :
					SL_ORIGIN_RUNTIME;
		sl_cmd_free(&cmd);
	}
	if (n)
		qsort(v, n, sizeof(*v), rent_cmp);
	d->rules = v;
	d->nrules = n;
	return 0;
}

int sl_rules_open(struct sl_daemon *d, char *err, size_t errlen)
{
	int ret;

	ret = store_open(d, err, errlen);
	if (ret)
		return ret;
	ret = store_load(d);
	if (ret)
		sl_err(err, errlen, "cannot read the rule store: %s",
		       strerror(-ret));
	else if (d->nrules)
		sl_dlog(d, LOG_INFO, "adopted %zu rules", d->nrules);
	return ret;
}

void sl_rules_close(struct sl_daemon *d)
{
	if (d->store_fd >= 0)
		close(d->store_fd);
	d->store_fd = -1;
}

static bool rent_same(const struct sl_rent *a, const struct sl_rent *b)
{
	/* Parsed rules are zeroed whole, padding too: memcmp is exact. */
	return a->origin == b->origin &&
	       !memcmp(&a->rule, &b->rule, sizeof(a->rule));
}

/* Bring the store in line with the new list: both sorted by prio. */
static int store_sync(struct sl_daemon *d, const struct sl_rent *old,
		      size_t nold, const struct sl_rent *new, size_t nnew)
{
	size_t i = 0, j = 0;
	int ret = 0, r;

	while (i < nold || j < nnew) {
		if (j == nnew ||
		    (i < nold && old[i].rule.prio < new[j].rule.prio)) {
			r = store_del(d, old[i++].rule.prio);
		} else if (i == nold || new[j].rule.prio < old[i].rule.prio) {
			r = store_put(d, &new[j++]);
		} else {
			r = rent_same(&old[i], &new[j]) ? 0 :
							  store_put(d, &new[j]);
			i++;
			j++;
		}
		if (r && !ret)
			ret = r;
	}
	return ret;
}

int sl_rules_of(struct sl_rent *list, size_t n, struct sl_rule **out, char *err,
		size_t errlen)
{
	struct sl_rule *rules;
	size_t i;

	if (n)
		qsort(list, n, sizeof(*list), rent_cmp);
	for (i = 1; i < n; i++) {
		if (list[i].rule.prio == list[i - 1].rule.prio) {
			sl_err(err, errlen, "rule %u given twice",
			       list[i].rule.prio);
			return -EEXIST;
		}
	}
	rules = calloc(n + 1, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		rules[i] = list[i].rule;
	*out = rules;
	return 0;
}

/*
 * syn-proxy's cookies are taken by the kernel only with tcp_syncookies=2
 * (see bpf/synproxy.h): set it in our namespace while such rules exist.
 */
static void synproxy_sysctls(struct sl_daemon *d, const struct sl_rent *list,
			     size_t n)
{
	char err[SL_ERR_LEN];
	bool changed;
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i].rule.action == SLUICE_ACT_SYN_PROXY)
			break;
	if (i == n)
		return;
	if (sl_synproxy_sysctls(NULL, &changed, err, sizeof(err)))
		sl_dlog(d, LOG_ERR, "syn-proxy: %s", err);
	else if (changed)
		sl_dlog(d, LOG_INFO,
			"syn-proxy: set net.ipv4.tcp_syncookies=2 (cookies for every SYN)");
}

void sl_rules_published(struct sl_daemon *d, struct sl_rent *list, size_t n)
{
	synproxy_sysctls(d, list, n);
	/*
	 * The data plane has the new rules; a store that lags behind is
	 * only wrong until the next change, so say so and carry on.
	 */
	if (store_sync(d, d->rules, d->nrules, list, n))
		sl_dlog(d, LOG_ERR, "cannot update the rule store %s/%s",
			d->pin_dir, SL_STORE_NAME);
	free(d->rules);
	d->rules = list;
	d->nrules = n;
	/* Rules may have made slots ("in", "redirect") for interfaces here. */
	sl_ifaces_resolve(d);
}

/* Make list (n entries, any order; taken over on success) the rule set. */
static int rules_apply(struct sl_daemon *d, struct sl_rent *list, size_t n,
		       char *err, size_t errlen)
{
	struct sl_rule *rules;
	int ret;

	ret = sl_rules_of(list, n, &rules, err, errlen);
	if (ret)
		return ret;
	ret = sl_dp_rules_replace(d->dp, rules, n, err, errlen);
	free(rules);
	if (!ret)
		sl_rules_published(d, list, n);
	return ret;
}

void sl_rules_rename_iface(struct sl_daemon *d, const char *old,
			   const char *new)
{
	size_t i;

	for (i = 0; i < d->nrules; i++) {
		struct sl_rent *e = &d->rules[i];

		if (strcmp(e->rule.in, old))
			continue;
		snprintf(e->rule.in, sizeof(e->rule.in), "%s", new);
		if (store_put(d, e))
			sl_dlog(d, LOG_ERR, "cannot store rule %u",
				e->rule.prio);
		sl_dlog(d, LOG_INFO, "rule %u: now \"in %s\"", e->rule.prio,
			new);
	}
}

static struct sl_rent *find(struct sl_daemon *d, __u16 prio)
{
	struct sl_rent key = { .rule.prio = prio };

	if (!d->nrules)
		return NULL;
	return bsearch(&key, d->rules, d->nrules, sizeof(*d->rules), rent_cmp);
}

const char *sl_rule_text(const struct sl_rule *r, char *buf, size_t len)
{
	static const char head[] = "rule add ";

	sl_rule_format(r, buf, len);
	return strncmp(buf, head, sizeof(head) - 1) ? buf :
						      buf + sizeof(head) - 1;
}

static int rule_add(struct sl_daemon *d, const struct sl_rule *r,
		    struct sl_ctl_result *res)
{
	char text[SL_RULE_FMT_LEN];
	struct sl_rent *list;
	int ret;

	if (find(d, r->prio)) {
		sl_err(res->err, sizeof(res->err), "rule %u already exists",
		       r->prio);
		return -EEXIST;
	}
	list = calloc(d->nrules + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	if (d->nrules)
		memcpy(list, d->rules, d->nrules * sizeof(*list));
	list[d->nrules].rule = *r;
	list[d->nrules].origin = SL_ORIGIN_RUNTIME;
	ret = rules_apply(d, list, d->nrules + 1, res->err, sizeof(res->err));
	if (ret) {
		free(list);
		return ret;
	}
	res->data = json_object_new_object();
	if (!res->data)
		return -ENOMEM;
	sl_json_add_int(res->data, "prio", r->prio);
	sl_json_add_str(res->data, "rule", sl_rule_text(r, text, sizeof(text)));
	return 0;
}

static int rule_del(struct sl_daemon *d, __u16 prio, struct sl_ctl_result *res)
{
	struct sl_rent *e = find(d, prio), *list;
	size_t at, n = d->nrules;
	int ret;

	if (!e) {
		sl_err(res->err, sizeof(res->err), "rule %u does not exist",
		       prio);
		return -ENOENT;
	}
	at = e - d->rules;
	list = calloc(n, sizeof(*list));
	if (!list)
		return -ENOMEM;
	memcpy(list, d->rules, at * sizeof(*list));
	memcpy(list + at, d->rules + at + 1, (n - at - 1) * sizeof(*list));
	ret = rules_apply(d, list, n - 1, res->err, sizeof(res->err));
	if (ret) {
		free(list);
		return ret;
	}
	res->data = json_object_new_object();
	if (!res->data)
		return -ENOMEM;
	sl_json_add_int(res->data, "prio", prio);
	return 0;
}

static int rule_list(struct sl_daemon *d, struct sl_ctl_result *res)
{
	char text[SL_RULE_FMT_LEN];
	struct sluice_counter c;
	struct json_object *arr, *o;
	size_t i;

	arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < d->nrules; i++) {
		const struct sl_rent *e = &d->rules[i];

		o = json_object_new_object();
		if (!o) {
			json_object_put(arr);
			return -ENOMEM;
		}
		if (sl_dp_rule_counter(d->dp, e->rule.prio, -1, &c))
			memset(&c, 0, sizeof(c));
		sl_json_add_int(o, "prio", e->rule.prio);
		sl_json_add_str(o, "rule",
				sl_rule_text(&e->rule, text, sizeof(text)));
		sl_json_add_str(o, "action", sl_action_name(e->rule.action));
		sl_json_add_str(o, "origin", origin_name(e->origin));
		json_object_object_add(o, "packets",
				       json_object_new_uint64(c.packets));
		json_object_object_add(o, "bytes",
				       json_object_new_uint64(c.bytes));
		json_object_array_add(arr, o);
	}
	res->data = arr;
	return 0;
}

int sl_rules_cmd(struct sl_daemon *d, const struct sl_cmd *cmd,
		 struct sl_ctl_result *res)
{
	switch (cmd->kind) {
	case SL_CMD_RULE_ADD:
		return rule_add(d, &cmd->rule, res);
	case SL_CMD_RULE_DEL:
		return rule_del(d, cmd->rule.prio, res);
	default:
		return rule_list(d, res);
	}
}

/*
 * Read the rules of a replace-range file: lines as "rule list" prints
 * them ("PRIO [MATCH...] ACTION"), '#' comments; each prio in lo..hi.
 */
static int read_range_fd(int fd, const struct sl_cmd *cmd, struct sl_rent **out,
			 size_t *nout, char *err, size_t errlen)
{
	struct sl_rent *v = NULL, *nv;
	size_t n = 0, cap = 0, lineno = 0, len = 0;
	char *line = NULL, *full = NULL, msg[SL_ERR_LEN];
	struct sl_cmd rc;
	struct stat st;
	ssize_t got;
	FILE *f;
	int dfd, ret = 0;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		return sl_err(err, errlen, "%s: not a regular file", cmd->path),
		       -EINVAL;
	dfd = dup(fd);
	f = dfd < 0 ? NULL : fdopen(dfd, "r");
	if (!f) {
		if (dfd >= 0)
			close(dfd);
		return -errno;
	}
	rewind(f);
	while ((got = getline(&line, &len, f)) >= 0) {
		const char *p = line + strspn(line, " \t\r\n");

		lineno++;
		if (!*p || *p == '#')
			continue;
		free(full);
		if (asprintf(&full, "rule add %s", line) < 0) {
			full = NULL;
			ret = -ENOMEM;
			break;
		}
		ret = sl_cmd_parse_line(full, &rc, msg, sizeof(msg));
		if (ret) {
			sl_err(err, errlen, "%s:%zu: %s", cmd->path, lineno,
			       msg);
			break;
		}
		sl_cmd_free(&rc);
		if (rc.rule.prio < cmd->prio_lo ||
		    rc.rule.prio > cmd->prio_hi) {
			ret = sl_err(err, errlen,
				     "%s:%zu: rule %u is outside %u-%u",
				     cmd->path, lineno, rc.rule.prio,
				     cmd->prio_lo, cmd->prio_hi);
			break;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				ret = -ENOMEM;
				break;
			}
			v = nv;
		}
		v[n].rule = rc.rule;
		v[n++].origin = SL_ORIGIN_RUNTIME;
	}
	free(full);
	free(line);
	fclose(f);
	if (ret) {
		free(v);
		return ret;
	}
	*out = v;
	*nout = n;
	return 0;
}

int sl_rules_replace(struct sl_daemon *d, const struct sl_cmd *cmd, int fd,
		     struct sl_ctl_result *res)
{
	struct sl_rent *add = NULL, *list;
	size_t nadd = 0, n = 0, i, removed = 0;
	int ret;

	if (fd < 0) {
		sl_err(res->err, sizeof(res->err),
		       "rule replace-range: the file must come as a descriptor (\"fd\": true)");
		return -EINVAL;
	}
	for (i = 0; i < d->nrules; i++) {
		const struct sl_rent *e = &d->rules[i];

		if (e->rule.prio < cmd->prio_lo || e->rule.prio > cmd->prio_hi)
			continue;
		/* A reload would bring it back: the range is not ours. */
		if (e->origin == SL_ORIGIN_CONFIG) {
			sl_err(res->err, sizeof(res->err),
			       "rule %u of the configuration is in %u-%u",
			       e->rule.prio, cmd->prio_lo, cmd->prio_hi);
			return -EEXIST;
		}
	}
	ret = read_range_fd(fd, cmd, &add, &nadd, res->err, sizeof(res->err));
	if (ret)
		return ret;
	list = calloc(d->nrules + nadd + 1, sizeof(*list));
	if (!list) {
		free(add);
		return -ENOMEM;
	}
	for (i = 0; i < d->nrules; i++) {
		if (d->rules[i].rule.prio >= cmd->prio_lo &&
		    d->rules[i].rule.prio <= cmd->prio_hi) {
			removed++;
			continue;
		}
		list[n++] = d->rules[i];
	}
	if (nadd)
		memcpy(list + n, add, nadd * sizeof(*add));
	free(add);
	/* One list, one publish: the packets see the old range or the new. */
	ret = rules_apply(d, list, n + nadd, res->err, sizeof(res->err));
	if (ret) {
		free(list);
		return ret;
	}
	res->data = json_object_new_object();
	if (!res->data)
		return -ENOMEM;
	sl_json_add_int(res->data, "lo", cmd->prio_lo);
	sl_json_add_int(res->data, "hi", cmd->prio_hi);
	sl_json_add_int(res->data, "rules", nadd);
	sl_json_add_int(res->data, "previous", removed);
	return 0;
}
