/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's set commands.  "set load" replaces the set's content with
 * sl_dp_set_replace(), which changes only what differs: a prefix in both
 * the old and the new content matches throughout (a flush and a refill
 * would let a blocklisted source through in between).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "daemon_int.h"

static int collect(const struct sl_prefix *p, void *arg)
{
	return sl_prefix_list_push(arg, p);
}

/* The set's prefixes now, sorted. */
static int set_content(struct sl_daemon *d, unsigned int id,
		       struct sl_prefix_list *l)
{
	int ret;

	memset(l, 0, sizeof(*l));
	ret = sl_dp_set_walk(d->dp, id, collect, l);
	if (ret) {
		sl_prefix_list_free(l);
		return ret;
	}
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), sl_prefix_cmp);
	return 0;
}

/*
 * A set file from a descriptor the client opened, errors naming it as the
 * client gave it.  Only regular files: reading a pipe could block the
 * daemon for as long as the writer likes.
 */
static int read_set_fd(int fd, const char *name, struct sl_prefix_list *l,
		       char *err, size_t errlen)
{
	struct stat st;
	FILE *f;
	int dfd, ret;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return sl_err(err, errlen, "%s: not a regular file", name);
	dfd = dup(fd);
	if (dfd < 0)
		return -errno;
	f = fdopen(dfd, "r");
	if (!f) {
		close(dfd);
		return -errno;
	}
	rewind(f);
	ret = sl_set_file_read(f, name, l, err, errlen);
	fclose(f);
	return ret;
}

static struct json_object *set_json(const char *name,
				    const struct sluice_set_info *info)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	sl_json_add_str(o, "set", name);
	sl_json_add_int(o, "entries4", info->count4);
	sl_json_add_int(o, "entries6", info->count6);
	return o;
}

static const char *set_errstr(int ret)
{
	if (ret == -ENOSPC || ret == -E2BIG)
		return "the set maps are full";
	return strerror(-ret);
}

static int set_id(struct sl_daemon *d, const char *name, bool create,
		  struct sl_ctl_result *res)
{
	int id = sl_dp_set_id(d->dp, name, create);

	if (id == -ENOENT)
		sl_err(res->err, sizeof(res->err), "set \"%s\" does not exist",
		       name);
	else if (id == -ENOSPC)
		sl_err(res->err, sizeof(res->err),
		       "set \"%s\": too many sets (at most %d)", name,
		       SLUICE_MAX_SETS - 1);
	else if (id < 0)
		sl_err(res->err, sizeof(res->err), "set \"%s\": %s", name,
		       strerror(-id));
	return id;
}

/* set add / del / flush / load: the change, counted from the set's info. */
static int set_change(struct sl_daemon *d, const struct sl_cmd *cmd, int fd,
		      struct sl_ctl_result *res)
{
	struct sluice_set_info before, after;
	struct sl_prefix_list l = { 0 };
	long long delta;
	int id, ret;

	if (cmd->kind == SL_CMD_SET_LOAD) {
		if (fd < 0) {
			sl_err(res->err, sizeof(res->err),
			       "set load: the file must come as a descriptor (\"fd\": true)");
			return -EINVAL;
		}
		ret = read_set_fd(fd, cmd->path, &l, res->err,
				  sizeof(res->err));
		if (ret)
			goto out;
	}
	id = set_id(d, cmd->set,
		    cmd->kind == SL_CMD_SET_ADD || cmd->kind == SL_CMD_SET_LOAD,
		    res);
	if (id < 0) {
		ret = id;
		goto out;
	}
	ret = sl_dp_set_info(d->dp, id, &before);
	if (ret)
		goto fail;
	switch (cmd->kind) {
	case SL_CMD_SET_ADD:
		ret = sl_dp_set_add(d->dp, id, cmd->prefixes.v,
				    cmd->prefixes.n);
		break;
	case SL_CMD_SET_DEL:
		ret = sl_dp_set_del(d->dp, id, cmd->prefixes.v,
				    cmd->prefixes.n);
		break;
	case SL_CMD_SET_FLUSH:
		ret = sl_dp_set_flush(d->dp, id);
		break;
	default:
		ret = sl_dp_set_replace(d->dp, id, l.v, l.n);
	}
	/* The info is right even after a partial failure: report that. */
	if (sl_dp_set_info(d->dp, id, &after))
		after = before;
	if (ret)
		goto fail;
	res->data = set_json(cmd->set, &after);
	if (!res->data) {
		ret = -ENOMEM;
		goto out;
	}
	delta = (long long)after.count4 + after.count6 - before.count4 -
		before.count6;
	switch (cmd->kind) {
	case SL_CMD_SET_ADD:
		sl_json_add_int(res->data, "added", delta);
		break;
	case SL_CMD_SET_LOAD:
		/* The replace reports no counts: before and after tell enough. */
		sl_json_add_int(res->data, "previous4", before.count4);
		sl_json_add_int(res->data, "previous6", before.count6);
		break;
	default:
		sl_json_add_int(res->data, "removed", -delta);
	}
	goto out;
fail:
	sl_err(res->err, sizeof(res->err), "set \"%s\": %s", cmd->set,
	       set_errstr(ret));
out:
	sl_prefix_list_free(&l);
	return ret;
}

struct json_object *sl_sets_json(struct sl_daemon *d)
{
	struct sluice_set_info info;
	struct json_object *arr = json_object_new_array(), *o;
	unsigned int id;

	if (!arr)
		return NULL;
	for (id = 1; id < SLUICE_MAX_SETS; id++) {
		if (sl_dp_set_info(d->dp, id, &info) || !info.name[0])
			continue;
		info.name[sizeof(info.name) - 1] = '\0';
		o = set_json(info.name, &info);
		if (o)
			json_object_array_add(arr, o);
	}
	return arr;
}

struct buf {
	char *p;
	size_t len, cap;
};

static int buf_put(struct buf *b, const char *s, size_t n)
{
	char *np;

	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/*
 * One set with its prefixes.  Built as text, not as json-c objects: a
 * blocklist of millions would cost a hundred bytes an entry as objects
 * and a score as text.  Prefixes need no JSON escaping.
 */
static int set_list_one(struct sl_daemon *d, const char *name,
			struct sl_ctl_result *res)
{
	char pfx[SL_PREFIX_FMT_LEN + 4];
	struct sluice_set_info info;
	struct sl_prefix_list l;
	struct json_object *head;
	struct buf b = { 0 };
	const char *h;
	size_t i, n;
	int id, ret;

	id = set_id(d, name, false, res);
	if (id < 0)
		return id;
	ret = sl_dp_set_info(d->dp, id, &info);
	if (!ret)
		ret = set_content(d, id, &l);
	if (ret) {
		sl_err(res->err, sizeof(res->err), "set \"%s\": %s", name,
		       strerror(-ret));
		return ret;
	}
	head = set_json(name, &info);
	h = head ? json_object_to_json_string_ext(head,
						  JSON_C_TO_STRING_PLAIN) :
		   NULL;
	if (!h) {
		ret = -ENOMEM;
		goto out;
	}
	/* {"set":..,"entries6":N} -> {"set":..,"entries6":N,"prefixes":[..]} */
	ret = buf_put(&b, h, strlen(h) - 1);
	if (!ret)
		ret = buf_put(&b, ",\"prefixes\":[", 13);
	for (i = 0; !ret && i < l.n; i++) {
		pfx[0] = ',';
		pfx[1] = '"';
		sl_prefix_format(&l.v[i], pfx + 2, SL_PREFIX_FMT_LEN);
		n = strlen(pfx);
		pfx[n++] = '"';
		/* The first one without the comma. */
		ret = buf_put(&b, pfx + !i, n - !i);
	}
	if (!ret)
		ret = buf_put(&b, "]}", 2);
	if (ret)
		goto out;
	res->raw = b.p;
	res->rawlen = b.len;
	b.p = NULL;
out:
	free(b.p);
	json_object_put(head);
	sl_prefix_list_free(&l);
	return ret;
}

int sl_sets_cmd(struct sl_daemon *d, const struct sl_cmd *cmd, int fd,
		struct sl_ctl_result *res)
{
	if (cmd->kind != SL_CMD_SET_LIST)
		return set_change(d, cmd, fd, res);
	if (cmd->set[0])
		return set_list_one(d, cmd->set, res);
	res->data = sl_sets_json(d);
	return res->data ? 0 : -ENOMEM;
}
