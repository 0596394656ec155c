/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The configuration loader.  Everything is parsed and checked into a
 * private struct sl_config first and handed out only when the whole file
 * (and every set file it loads) is good: the daemon applies a
 * configuration whole or not at all, so it must never see half of one.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

struct loader {
	const char *name; /* the file as given, for messages */
	char dir[PATH_MAX]; /* its directory, "" for the current one */
	struct sl_config cfg;
	unsigned long *rule_line; /* file line of each cfg.rules[i] */
	size_t rules_cap, lines_cap, sets_cap, ifaces_cap;
	bool policy_given[SLUICE_MAX_IFACES];
	uint64_t prio_used[(SLUICE_PRIO_MAX + 1) / 64];
};

/*
 * Make room for element n of an array of cap elements, doubling.  Returns
 * the array (moved or not), or NULL with the old one still valid.
 */
static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 16;
	if (ncap > SIZE_MAX / size)
		return NULL;
	v = realloc(v, ncap * size);
	if (v)
		*cap = ncap;
	return v;
}

/* Assigns only on success, so the old array is kept (and freed) on error. */
#define GROW(arr, cap, n)                                      \
	({                                                     \
		void *__p = grow(arr, cap, n, sizeof(*(arr))); \
		if (__p)                                       \
			arr = __p;                             \
		__p ? 0 : -ENOMEM;                             \
	})

static struct sl_set_def *find_set(const struct sl_config *cfg,
				   const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nsets; i++)
		if (!strcmp(cfg->sets[i].name, name))
			return &cfg->sets[i];
	return NULL;
}

static struct sl_iface_def *find_iface(const struct sl_config *cfg,
				       const char *ifname, size_t *idx)
{
	size_t i;

	for (i = 0; i < cfg->nifaces; i++) {
		if (!strcmp(cfg->ifaces[i].ifname, ifname)) {
			*idx = i;
			return &cfg->ifaces[i];
		}
	}
	return NULL;
}

const struct sl_set_def *sl_config_set(const struct sl_config *cfg,
				       const char *name)
{
	return find_set(cfg, name);
}

const struct sl_iface_def *sl_config_iface(const struct sl_config *cfg,
					   const char *ifname)
{
	size_t i;

	return find_iface(cfg, ifname, &i);
}

/* Slot 0 is for unknown interfaces, so SLUICE_MAX_IFACES - 1 can be named. */
#define MAX_CFG_IFACES (SLUICE_MAX_IFACES - 1)
/* Set id 0 means "no set". */
#define MAX_CFG_SETS (SLUICE_MAX_SETS - 1)

static int get_iface(struct loader *ld, const char *ifname,
		     struct sl_iface_def **out, size_t *idx, char *msg,
		     size_t msglen)
{
	struct sl_config *cfg = &ld->cfg;
	struct sl_iface_def *d = find_iface(cfg, ifname, idx);

	if (d) {
		*out = d;
		return 0;
	}
	if (cfg->nifaces >= MAX_CFG_IFACES)
		return sl_err(msg, msglen,
			      "%s: too many interfaces (at most %d)", ifname,
			      MAX_CFG_IFACES);
	if (GROW(cfg->ifaces, &ld->ifaces_cap, cfg->nifaces))
		return -ENOMEM;
	*idx = cfg->nifaces;
	d = &cfg->ifaces[cfg->nifaces++];
	memset(d, 0, sizeof(*d));
	strcpy(d->ifname, ifname);
	d->mode = SL_MODE_AUTO;
	d->policy = SLUICE_ACT_PASS;
	*out = d;
	return 0;
}

static int get_set(struct loader *ld, const char *name, struct sl_set_def **out,
		   char *msg, size_t msglen)
{
	struct sl_config *cfg = &ld->cfg;
	struct sl_set_def *s = find_set(cfg, name);

	if (s) {
		*out = s;
		return 0;
	}
	if (cfg->nsets >= MAX_CFG_SETS)
		return sl_err(msg, msglen, "too many sets (at most %d)",
			      MAX_CFG_SETS);
	if (GROW(cfg->sets, &ld->sets_cap, cfg->nsets))
		return -ENOMEM;
	s = &cfg->sets[cfg->nsets++];
	memset(s, 0, sizeof(*s));
	strcpy(s->name, name);
	*out = s;
	return 0;
}

/*
 * Say why a command that parses fine has no place in a file, before
 * parsing it, so "reload now" gets the real reason and not "unexpected".
 * Returns 0 when the words may be a configuration command.
 */
static int check_allowed(int argc, char **argv, char *msg, size_t msglen)
{
	static const char *const runtime[] = {
		"stats", "status", "metrics", "reload", "test-run", "capture",
	};
	const char *w = argv[0];
	size_t i;

	if (!strcmp(w, "detach"))
		return sl_err(msg, msglen,
			      "\"detach\" is not allowed in a configuration");
	for (i = 0; i < sizeof(runtime) / sizeof(runtime[0]); i++)
		if (!strcmp(w, runtime[i]))
			goto runtime;
	if (argc < 2)
		return 0;
	if (!strcmp(w, "rule") &&
	    (!strcmp(argv[1], "del") || !strcmp(argv[1], "list") ||
	     !strcmp(argv[1], "replace-range")))
		goto runtime2;
	if (!strcmp(w, "set") &&
	    (!strcmp(argv[1], "del") || !strcmp(argv[1], "flush") ||
	     !strcmp(argv[1], "list")))
		goto runtime2;
	return 0;
runtime:
	return sl_err(msg, msglen, "\"%s\" is not a configuration command", w);
runtime2:
	return sl_err(msg, msglen, "\"%s %s\" is not a configuration command",
		      w, argv[1]);
}

static int resolve(const struct loader *ld, const char *path, char *out,
		   size_t len)
{
	int n;

	if (path[0] == '/' || !ld->dir[0])
		n = snprintf(out, len, "%s", path);
	else
		n = snprintf(out, len, "%s%s%s", ld->dir,
			     ld->dir[strlen(ld->dir) - 1] == '/' ? "" : "/",
			     path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int apply_set_load(struct loader *ld, const struct sl_cmd *cmd,
			  char *msg, size_t msglen, char *err, size_t errlen,
			  bool *located)
{
	char path[PATH_MAX], why[SL_ERR_LEN];
	struct sl_set_def *s;
	FILE *f;
	int ret;

	if (resolve(ld, cmd->path, path, sizeof(path)))
		return sl_err(msg, msglen, "path \"%s\" too long", cmd->path);
	ret = get_set(ld, cmd->set, &s, msg, msglen);
	if (ret)
		return ret;
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		sl_err(msg, msglen, "cannot open \"%s\": %s", path,
		       sl_strerror(errno, why, sizeof(why)));
		return ret;
	}
	/*
	 * Errors inside the set file name the set file's line, not ours; one
	 * reading it at all (a directory, say) is this line's.
	 */
	ret = sl_set_file_read(f, path, &s->prefixes, err, errlen);
	fclose(f);
	if (ret == -EINVAL || ret == -E2BIG)
		*located = true;
	else if (ret)
		snprintf(msg, msglen, "%s", err);
	return ret;
}

static int apply(struct loader *ld, unsigned long lineno, struct sl_cmd *cmd,
		 char *msg, size_t msglen, char *err, size_t errlen,
		 bool *located)
{
	struct sl_config *cfg = &ld->cfg;
	struct sl_iface_def *d;
	struct sl_set_def *s;
	uint16_t prio;
	size_t i;
	int ret;

	switch (cmd->kind) {
	case SL_CMD_NONE:
		return 0;
	case SL_CMD_ATTACH:
		ret = get_iface(ld, cmd->ifname, &d, &i, msg, msglen);
		if (ret)
			return ret;
		if (d->attach)
			return sl_err(msg, msglen,
				      "interface \"%s\" already attached",
				      cmd->ifname);
		d->attach = true;
		d->mode = cmd->mode;
		return 0;
	case SL_CMD_POLICY:
		ret = get_iface(ld, cmd->ifname, &d, &i, msg, msglen);
		if (ret)
			return ret;
		if (ld->policy_given[i])
			return sl_err(msg, msglen,
				      "policy of \"%s\" already given",
				      cmd->ifname);
		ld->policy_given[i] = true;
		d->policy = cmd->policy;
		return 0;
	case SL_CMD_RULE_ADD:
		prio = cmd->rule.prio;
		if (ld->prio_used[prio / 64] & (1ULL << (prio % 64)))
			return sl_err(msg, msglen, "rule %u already exists",
				      prio);
		if (GROW(cfg->rules, &ld->rules_cap, cfg->nrules))
			return -ENOMEM;
		if (GROW(ld->rule_line, &ld->lines_cap, cfg->nrules))
			return -ENOMEM;
		ld->prio_used[prio / 64] |= 1ULL << (prio % 64);
		ld->rule_line[cfg->nrules] = lineno;
		cfg->rules[cfg->nrules++] = cmd->rule;
		return 0;
	case SL_CMD_SET_ADD:
		ret = get_set(ld, cmd->set, &s, msg, msglen);
		if (ret)
			return ret;
		for (i = 0; i < cmd->prefixes.n; i++)
			if (sl_prefix_list_push(&s->prefixes,
						&cmd->prefixes.v[i]))
				return -ENOMEM;
		return 0;
	case SL_CMD_SET_LOAD:
		return apply_set_load(ld, cmd, msg, msglen, err, errlen,
				      located);
	default:
		/* check_allowed() turned the rest away before parsing. */
		return sl_err(msg, msglen, "not a configuration command");
	}
}

static int load_line(struct loader *ld, unsigned long lineno, const char *line,
		     size_t len, char *err, size_t errlen)
{
	char msg[SL_ERR_LEN] = "";
	bool located = false;
	struct sl_cmd cmd;
	char **argv;
	int argc, ret;

	if (memchr(line, '\0', len)) {
		ret = sl_err(msg, sizeof(msg), "line has a NUL byte");
		goto out;
	}
	argc = sl_line_split(line, len, &argv);
	if (argc <= 0) {
		free(argv);
		ret = argc;
		goto out;
	}
	ret = check_allowed(argc, argv, msg, sizeof(msg));
	if (!ret)
		ret = sl_cmd_parse(argc, argv, &cmd, msg, sizeof(msg));
	free(argv);
	if (ret)
		goto out;
	ret = apply(ld, lineno, &cmd, msg, sizeof(msg), err, errlen, &located);
	sl_cmd_free(&cmd);
out:
	if (ret == -ENOMEM && !msg[0])
		snprintf(msg, sizeof(msg), "out of memory");
	if (ret && !located)
		sl_err(err, errlen, "%s:%lu: %s", ld->name, lineno, msg);
	return ret;
}

static int rule_cmp(const void *a, const void *b)
{
	const struct sl_rule *x = a, *y = b;

	return (int)x->prio - (int)y->prio;
}

struct rule_at {
	struct sl_rule rule;
	unsigned long line;
};

static int rule_at_cmp(const void *a, const void *b)
{
	return rule_cmp(&((const struct rule_at *)a)->rule,
			&((const struct rule_at *)b)->rule);
}

/* Rules in priority order, each keeping its line for later errors. */
static int sort_rules(struct loader *ld, char *err, size_t errlen)
{
	struct sl_config *cfg = &ld->cfg;
	struct rule_at *v;
	size_t i;

	cfg->name = strdup(ld->name);
	cfg->rule_lines = calloc(cfg->nrules + 1, sizeof(*cfg->rule_lines));
	v = calloc(cfg->nrules + 1, sizeof(*v));
	if (!cfg->name || !cfg->rule_lines || !v) {
		free(v);
		sl_err(err, errlen, "%s: out of memory", ld->name);
		return -ENOMEM;
	}
	for (i = 0; i < cfg->nrules; i++)
		v[i] = (struct rule_at){ cfg->rules[i], ld->rule_line[i] };
	qsort(v, cfg->nrules, sizeof(*v), rule_at_cmp);
	for (i = 0; i < cfg->nrules; i++) {
		cfg->rules[i] = v[i].rule;
		cfg->rule_lines[i] = v[i].line;
	}
	free(v);
	return 0;
}

void sl_config_rule_where(const struct sl_config *cfg, unsigned int prio,
			  char *buf, size_t len)
{
	size_t lo = 0, hi = cfg->nrules;

	buf[0] = '\0';
	while (cfg->rule_lines && lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cfg->rules[mid].prio < prio) {
			lo = mid + 1;
		} else if (cfg->rules[mid].prio > prio) {
			hi = mid;
		} else {
			snprintf(buf, len, "%s:%lu", cfg->name,
				 cfg->rule_lines[mid]);
			return;
		}
	}
}

/* After the last line: what only the whole file can tell. */
static int finish(struct loader *ld, char *err, size_t errlen)
{
	struct sl_config *cfg = &ld->cfg;
	size_t i;

	/* A set may be defined below the rule that uses it. */
	for (i = 0; i < cfg->nrules; i++) {
		const struct sl_rule *r = &cfg->rules[i];
		const char *missing = NULL;

		if (r->src.kind == SL_ADDR_SET && !find_set(cfg, r->src.set))
			missing = r->src.set;
		else if (r->dst.kind == SL_ADDR_SET &&
			 !find_set(cfg, r->dst.set))
			missing = r->dst.set;
		if (missing)
			return sl_err(err, errlen,
				      "%s:%lu: set \"%s\" is not defined",
				      ld->name, ld->rule_line[i], missing);
	}
	for (i = 0; i < cfg->nsets; i++)
		sl_prefix_list_uniq(&cfg->sets[i].prefixes);
	return sort_rules(ld, err, errlen);
}

static void loader_init(struct loader *ld, const char *name)
{
	const char *slash = strrchr(name, '/');
	size_t n;

	memset(ld, 0, sizeof(*ld));
	ld->name = name;
	if (slash) {
		n = slash - name;
		if (!n)
			n = 1; /* "/x.conf": the root */
		if (n >= sizeof(ld->dir))
			n = sizeof(ld->dir) - 1;
		memcpy(ld->dir, name, n);
		ld->dir[n] = '\0';
	}
}

static int load_text(const char *name, const char *text, size_t len,
		     struct sl_config *cfg, char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	unsigned long lineno = 0;
	struct loader *ld;
	int ret = 0;

	memset(cfg, 0, sizeof(*cfg));
	/* Big (PATH_MAX and a priority bitmap): keep it off the stack. */
	ld = malloc(sizeof(*ld));
	if (!ld) {
		sl_err(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	loader_init(ld, name);
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		ret = load_line(ld, ++lineno, p, n, err, errlen);
		if (ret)
			break;
		p += n + (nl != NULL);
	}
	if (!ret)
		ret = finish(ld, err, errlen);
	free(ld->rule_line);
	if (ret)
		sl_config_free(&ld->cfg);
	else
		*cfg = ld->cfg;
	free(ld);
	return ret;
}

int sl_config_load_buf(const char *name, const char *text,
		       struct sl_config *cfg, char *err, size_t errlen)
{
	return load_text(name, text, strlen(text), cfg, err, errlen);
}

int sl_config_load(const char *path, struct sl_config *cfg, char *err,
		   size_t errlen)
{
	char why[SL_ERR_LEN], *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		sl_err(err, errlen, "cannot open \"%s\": %s", path,
		       sl_strerror(errno, why, sizeof(why)));
		return ret;
	}
	/* Read to the end rather than trust st_size: pipes and /proc too. */
	do {
		if (len == cap) {
			char *nb = cap < SIZE_MAX / 2 ?
					   realloc(buf, cap * 2 + 4096) :
					   NULL;

			if (!nb) {
				ret = -ENOMEM;
				sl_err(err, errlen, "%s: out of memory", path);
				goto out;
			}
			buf = nb;
			cap = cap * 2 + 4096;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	if (ferror(f)) {
		ret = -EIO;
		sl_err(err, errlen, "%s: cannot read: %s", path,
		       sl_strerror(errno ? errno : EIO, why, sizeof(why)));
		goto out;
	}
	ret = load_text(path, buf, len, cfg, err, errlen);
out:
	free(buf);
	fclose(f);
	return ret;
}

void sl_config_free(struct sl_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nsets; i++)
		sl_prefix_list_free(&cfg->sets[i].prefixes);
	free(cfg->sets);
	free(cfg->rules);
	free(cfg->rule_lines);
	free(cfg->name);
	free(cfg->ifaces);
	memset(cfg, 0, sizeof(*cfg));
}
