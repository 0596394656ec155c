/* SPDX-License-Identifier: GPL-2.0-only */
/* sluiced's core: start, reload, and the commands of the control socket. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sys/stat.h>

#include <bpf/bpf.h>

#include "apply.h"
#include "daemon_int.h"
#include "fibcache.h"

void sl_dlog(struct sl_daemon *d, int prio, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!d->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d->log(d->log_arg, prio, msg);
}

void sl_json_add_str(struct json_object *obj, const char *key, const char *s)
{
	json_object_object_add(obj, key, s ? json_object_new_string(s) : NULL);
}

void sl_json_add_int(struct json_object *obj, const char *key, long long v)
{
	json_object_object_add(obj, key, json_object_new_int64(v));
}

void sl_json_add_bool(struct json_object *obj, const char *key, bool v)
{
	json_object_object_add(obj, key, json_object_new_boolean(v));
}

struct json_object *sl_json_counter(unsigned long long packets,
				    unsigned long long bytes)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	/* uint64 so that counters past 2^63 stay right. */
	json_object_object_add(o, "packets", json_object_new_uint64(packets));
	json_object_object_add(o, "bytes", json_object_new_uint64(bytes));
	return o;
}

static int prog_ids(struct sl_daemon *d, char *err, size_t errlen)
{
	struct bpf_prog_info info;
	__u32 len;
	int hook, fd;

	for (hook = 0; hook < SLUICE_HOOK__MAX; hook++) {
		fd = sl_dp_prog_fd(d->dp, hook);
		len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
			sl_err(err, errlen, "cannot query the %s program",
			       sl_hook_name(hook));
			return -EIO;
		}
		d->prog_id[hook] = info.id;
		snprintf(d->prog_name[hook], sizeof(d->prog_name[hook]), "%s",
			 info.name);
	}
	return 0;
}

static bool prio_in(const struct sl_config *cfg, __u16 prio)
{
	size_t lo = 0, hi = cfg->nrules, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cfg->rules[mid].prio == prio)
			return true;
		if (cfg->rules[mid].prio < prio)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void sl_dnote(struct json_object *notes, struct sl_daemon *d, const char *fmt,
	      ...)
{
	char msg[SL_CTL_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_array_add(notes, json_object_new_string(msg));
	sl_dlog(d, LOG_NOTICE, "%s", msg);
}

/* The file's rules, then the run-time rules whose prio it leaves free. */
static int merge_rules(struct sl_daemon *d, const struct sl_config *cfg,
		       struct sl_rent **out, size_t *n,
		       struct json_object *notes)
{
	struct sl_rent *list;
	size_t i, k = 0;

	list = calloc(cfg->nrules + d->nrules + 1, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (i = 0; i < cfg->nrules; i++) {
		list[k].rule = cfg->rules[i];
		list[k++].origin = SL_ORIGIN_CONFIG;
	}
	for (i = 0; i < d->nrules; i++) {
		if (d->rules[i].origin != SL_ORIGIN_RUNTIME)
			continue;
		if (prio_in(cfg, d->rules[i].rule.prio)) {
			sl_dnote(
				notes, d,
				"rule %u added at run time is replaced by the configuration's",
				d->rules[i].rule.prio);
			continue;
		}
		list[k++] = d->rules[i];
	}
	*out = list;
	*n = k;
	return 0;
}

/* What the daemon adds to the library's steps of applying a file. */
struct reload {
	struct sl_daemon *d;
	struct sl_rent *list; /* the rules, until the data plane runs them */
	size_t n;
	struct json_object *notes;
};

static void reload_set_filled(void *arg, const char *name,
			      const struct sluice_set_info *before,
			      const struct sluice_set_info *after)
{
	struct reload *r = arg;

	if (memcmp(before, after, sizeof(*before)))
		sl_dlog(r->d, LOG_INFO,
			"set %s: %u IPv4 and %u IPv6 prefixes (were %u and %u)",
			name, after->count4, after->count6, before->count4,
			before->count6);
}

static void reload_rules_published(void *arg)
{
	struct reload *r = arg;

	sl_rules_published(r->d, r->list, r->n);
	r->list = NULL;
}

static void reload_ifaces(void *arg, const struct sl_config *cfg)
{
	struct reload *r = arg;

	sl_ifaces_apply_config(r->d, cfg, r->notes);
}

int sl_daemon_reload(struct sl_daemon *d, struct sl_ctl_result *res)
{
	struct reload r = { .d = d };
	struct sl_apply_hooks h = {
		.own_rules = true,
		.set_filled = reload_set_filled,
		.rules_published = reload_rules_published,
		.ifaces = reload_ifaces,
		.arg = &r,
	};
	struct json_object *data = NULL;
	struct sl_rule *rules = NULL;
	struct sl_config cfg;
	struct stat st;
	int ret;

	memset(&cfg, 0, sizeof(cfg));
	r.notes = json_object_new_array();
	if (!r.notes)
		return -ENOMEM;
	/* Only the file itself missing is an empty configuration. */
	if (stat(d->config, &st) && errno == ENOENT) {
		sl_dnote(r.notes, d,
			 "%s does not exist: an empty configuration",
			 d->config);
	} else {
		ret = sl_config_load(d->config, &cfg, res->err,
				     sizeof(res->err));
		if (ret)
			goto out;
	}
	ret = merge_rules(d, &cfg, &r.list, &r.n, r.notes);
	if (!ret)
		ret = sl_rules_of(r.list, r.n, &rules, res->err,
				  sizeof(res->err));
	if (ret)
		goto out;
	h.rules = rules;
	h.nrules = r.n;
	ret = sl_apply(d->dp, &cfg, &h, res->err, sizeof(res->err));
	if (ret) {
		if (h.partial)
			sl_dlog(d, LOG_ERR, "reload of %s %s", d->config,
				res->err);
		goto out;
	}

	data = json_object_new_object();
	if (!data) {
		ret = -ENOMEM;
		goto out;
	}
	sl_json_add_str(data, "config", d->config);
	sl_json_add_int(data, "rules", d->nrules);
	sl_json_add_int(data, "sets", cfg.nsets);
	sl_json_add_int(data, "interfaces", cfg.nifaces);
	json_object_object_add(data, "notes", r.notes);
	r.notes = NULL;
	res->data = data;
	sl_dlog(d, LOG_INFO, "loaded %s: %zu rules, %zu sets, %zu interfaces",
		d->config, d->nrules, cfg.nsets, cfg.nifaces);
out:
	free(rules);
	free(r.list);
	json_object_put(r.notes);
	sl_config_free(&cfg);
	return ret;
}

int sl_daemon_exec(void *arg, int argc, char **argv, int fd,
		   struct sl_ctl_result *res)
{
	struct sl_daemon *d = arg;
	struct sl_cmd cmd;
	int ret;

	if (argc > 0 && !strcmp(argv[0], "test-run")) {
		sl_err(res->err, sizeof(res->err),
		       "test-run runs offline, in the sluice CLI");
		return -EINVAL;
	}
	/* The CLI's own command, but its report comes to the daemon. */
	if (argc > 0 && !strcmp(argv[0], "flowspec"))
		return sl_flowspec_cmd(d, argc, argv, fd, res);
	ret = sl_cmd_parse(argc, argv, &cmd, res->err, sizeof(res->err));
	if (ret)
		return ret;
	if (fd >= 0 && cmd.kind != SL_CMD_SET_LOAD &&
	    cmd.kind != SL_CMD_RULE_REPLACE) {
		sl_err(res->err, sizeof(res->err),
		       "only \"set load\" and \"rule replace-range\" take a descriptor");
		ret = -EINVAL;
		goto out;
	}
	switch (cmd.kind) {
	case SL_CMD_ATTACH:
	case SL_CMD_DETACH:
	case SL_CMD_POLICY:
		ret = sl_ifaces_cmd(d, &cmd, res);
		break;
	case SL_CMD_RULE_ADD:
	case SL_CMD_RULE_DEL:
	case SL_CMD_RULE_LIST:
		ret = sl_rules_cmd(d, &cmd, res);
		if (!ret && cmd.kind != SL_CMD_RULE_LIST)
			sl_ifaces_repick(d);
		break;
	case SL_CMD_RULE_REPLACE:
		ret = sl_rules_replace(d, &cmd, fd, res);
		if (!ret)
			sl_ifaces_repick(d);
		break;
	case SL_CMD_SET_ADD:
	case SL_CMD_SET_DEL:
	case SL_CMD_SET_LOAD:
	case SL_CMD_SET_FLUSH:
	case SL_CMD_SET_LIST:
		ret = sl_sets_cmd(d, &cmd, fd, res);
		break;
	case SL_CMD_STATS:
		ret = sl_show_stats(d, &cmd, res);
		break;
	case SL_CMD_STATUS:
		ret = sl_show_status(d, res);
		break;
	case SL_CMD_METRICS:
		ret = sl_show_metrics(d, &cmd, res);
		break;
	case SL_CMD_RELOAD:
		ret = sl_daemon_reload(d, res);
		break;
	case SL_CMD_CAPTURE:
		ret = sl_capture_cmd(d, &cmd, res);
		break;
	default:
		sl_err(res->err, sizeof(res->err), "empty command");
		ret = -EINVAL;
	}
out:
	sl_cmd_free(&cmd);
	return ret;
}

int sl_daemon_link_fd(const struct sl_daemon *d)
{
	return sl_linkmon_fd(d->lm);
}

void sl_daemon_link_read(struct sl_daemon *d)
{
	int ret = sl_linkmon_read(d->lm);

	if (ret < 0)
		sl_dlog(d, LOG_WARNING, "link monitor: %s", strerror(-ret));
}

/*
 * Pins removed behind our back (rm -rf of the pin directory) are put
 * back: the maps live on in us, and a restart must find them.  Returns
 * how many were put back, or -errno.
 */
int sl_daemon_repin(struct sl_daemon *d)
{
	char path[PATH_MAX + 32];
	int n;

	n = sl_dp_repin(d->dp);
	if (n < 0 || d->store_fd < 0)
		return n;
	snprintf(path, sizeof(path), "%s/%s", d->pin_dir, SL_STORE_NAME);
	if (access(path, F_OK)) {
		if (bpf_obj_pin(d->store_fd, path))
			return -errno;
		n++;
	}
	return n;
}

static void check_pins(struct sl_daemon *d)
{
	int n = sl_daemon_repin(d);

	if (n > 0) {
		sl_dlog(d, LOG_WARNING,
			"%s: %d pins were gone (removed behind sluiced's back); pinned again",
			d->pin_dir, n);
		d->pin_err[0] = '\0';
	} else if (n < 0 && !d->pin_err[0]) {
		snprintf(d->pin_err, sizeof(d->pin_err), "cannot pin: %s",
			 strerror(-n));
		sl_dlog(d, LOG_ERR, "%s: %s; a restart would begin empty",
			d->pin_dir, d->pin_err);
	} else if (!n) {
		d->pin_err[0] = '\0';
	}
}

const char *sl_daemon_pin_error(struct sl_daemon *d)
{
	check_pins(d);
	return d->pin_err[0] ? d->pin_err : NULL;
}

void sl_daemon_tick(struct sl_daemon *d)
{
	check_pins(d);
	sl_ifaces_watch(d);
	sl_ifaces_retry(d);
	sl_ifaces_link_sync(d);
	/* Rules and policies that came before the attachment (adoption). */
	sl_ifaces_repick(d);
	sl_fibcache_tick(d->fc);
}

int sl_daemon_open(const struct sl_daemon_opts *opts, struct sl_daemon **out,
		   char *err, size_t errlen)
{
	struct sl_dp_opts dpo = { .pin_dir = opts->pin_dir };
	struct sl_ctl_result res = { 0 };
	struct sl_daemon *d;
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->store_fd = -1;
	d->log = opts->log;
	d->log_arg = opts->log_arg;
	d->nclients = opts->nclients;
	d->nclients_arg = opts->nclients_arg;
	d->started_ms = sl_ctl_now_ms();
	snprintf(d->config, sizeof(d->config), "%s",
		 opts->config ? opts->config : SL_CONFIG_DEFAULT);
	snprintf(d->pin_dir, sizeof(d->pin_dir), "%s",
		 opts->pin_dir ? opts->pin_dir : SLUICE_PIN_DIR);
	dpo.pin_dir = d->pin_dir;

	ret = sl_dp_open(&dpo, &d->dp, err, errlen);
	if (ret)
		goto fail;
	if (sl_dp_sets_reclaimed(d->dp))
		sl_dlog(d, LOG_NOTICE,
			"freed %u set slot(s) no set points to (loads or flushes left unfinished): each set holds one whole content",
			sl_dp_sets_reclaimed(d->dp));
	ret = prog_ids(d, err, errlen);
	if (ret)
		goto fail;
	ret = sl_capture_open(d, err, errlen);
	if (ret)
		goto fail;
	ret = sl_rules_open(d, err, errlen);
	if (ret)
		goto fail;
	ret = sl_ifaces_adopt(d);
	if (ret) {
		sl_err(err, errlen, "cannot adopt the attachments: %s",
		       strerror(-ret));
		goto fail;
	}
	d->lm = sl_linkmon_open(sl_ifaces_on_link, d, &ret);
	if (!d->lm) {
		sl_err(err, errlen, "cannot open the link monitor: %s",
		       strerror(-ret));
		goto fail;
	}
	/*
	 * Forward's next-hop cache hears of every routing change on the
	 * monitor's socket.  It starts after the dump below: a change before
	 * that finds it off, and the start reads the state afresh.
	 */
	ret = sl_fibcache_open(sl_dp_object(d->dp), &d->fc);
	if (!ret)
		ret = sl_linkmon_watch(d->lm, sl_fibcache_groups,
				       SL_FIBCACHE_NGROUPS, sl_fibcache_notify,
				       d->fc);
	if (ret) {
		sl_err(err, errlen, "cannot watch the routing state: %s",
		       strerror(-ret));
		goto fail;
	}
	/* The links there now: renames and comebacks while we were away. */
	ret = sl_linkmon_dump(d->lm);
	if (ret) {
		sl_err(err, errlen, "cannot list the links: %s",
		       strerror(-ret));
		goto fail;
	}
	ret = sl_daemon_reload(d, &res);
	json_object_put(res.data);
	if (ret) {
		sl_err(err, errlen, "%s", res.err);
		goto fail;
	}
	sl_fibcache_start(d->fc);
	*out = d;
	return 0;
fail:
	sl_daemon_close(d);
	return ret;
}

void sl_daemon_close(struct sl_daemon *d)
{
	if (!d)
		return;
	sl_linkmon_close(d->lm);
	sl_fibcache_close(d->fc);
	sl_rules_close(d);
	sl_flowspec_free(d);
	/* Closing the object leaves pins and attachments where they are. */
	sl_dp_close(d->dp);
	free(d->rules);
	free(d);
}
