/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The daemon's set commands.  "set load" fills the set's new content
 * aside, a slice at a time between the loop's other work (a job of the
 * control server), and publishes it in one step: packets match the old
 * content, then the new, and a prefix in both matches throughout.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "ctl_server.h"
#include "daemon_int.h"

/* The work of one step of "set load": a few milliseconds. */
#define LOAD_SLICE_NS (5 * 1000 * 1000ULL)
#define LOAD_BATCH 256

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
static int open_set_fd(int fd, const char *name, FILE **out, char *err,
		       size_t errlen)
{
	struct stat st;
	FILE *f;
	int dfd;

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
	*out = f;
	return 0;
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

static void fail_msg(struct sl_ctl_result *res, const char *set, int ret)
{
	if (ret == -ENOSPC || ret == -E2BIG)
		sl_err(res->err, sizeof(res->err),
		       "set \"%s\": no room: the sets hold at most %d IPv4 and %d IPv6 prefixes together, and a load needs room for the old content and the new until it is done",
		       set, SLUICE_SET_MAX_PREFIXES, SLUICE_SET_MAX_PREFIXES);
	else
		sl_err(res->err, sizeof(res->err), "set \"%s\": %s", set,
		       strerror(-ret));
}

/* set add / del / flush: the change, counted from the set's content. */
static int set_change(struct sl_daemon *d, const struct sl_cmd *cmd,
		      struct sl_ctl_result *res)
{
	struct sluice_set_info before, after;
	long long delta;
	int id, ret;

	id = set_id(d, cmd->set, cmd->kind == SL_CMD_SET_ADD, res);
	if (id < 0)
		return id;
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
	default:
		ret = sl_dp_set_flush(d->dp, id);
	}
	if (ret)
		goto fail;
	if (sl_dp_set_info(d->dp, id, &after))
		after = before;
	res->data = set_json(cmd->set, &after);
	if (!res->data)
		return -ENOMEM;
	delta = (long long)after.count4 + after.count6 - before.count4 -
		before.count6;
	if (cmd->kind == SL_CMD_SET_ADD)
		sl_json_add_int(res->data, "added", delta);
	else
		sl_json_add_int(res->data, "removed", -delta);
	return 0;
fail:
	fail_msg(res, cmd->set, ret);
	return ret;
}

/* "set load": the file read and filled in aside, a slice per step. */
struct set_load {
	struct sl_ctl_job job;
	struct sl_daemon *d;
	FILE *f;
	struct sl_set_reader rd;
	struct sl_set_build *b;
	struct sl_prefix_list batch;
	struct json_object *reply; /* once published */
	unsigned int id;
	char set[SLUICE_SET_NAME_LEN];
	char path[PATH_MAX];
};

static void set_load_free(struct sl_ctl_job *job)
{
	struct set_load *l = (struct set_load *)job;

	/* Unfinished (the client went, or the daemon stops): nothing changed. */
	sl_dp_set_build_abort(l->b);
	if (l->f)
		fclose(l->f);
	sl_prefix_list_free(&l->batch);
	json_object_put(l->reply);
	free(l);
}

/* Publish: the reply is made now, and sent once the old slot is freed. */
static int set_load_publish(struct set_load *l, struct sl_ctl_result *res)
{
	struct sluice_set_info before, after;
	int ret;

	ret = sl_dp_set_info(l->d->dp, l->id, &before);
	if (!ret)
		ret = sl_dp_set_build_publish(l->b);
	l->b = NULL;
	if (!ret)
		ret = sl_dp_set_info(l->d->dp, l->id, &after);
	if (ret) {
		fail_msg(res, l->set, ret);
		return ret;
	}
	l->reply = set_json(l->set, &after);
	if (!l->reply)
		return -ENOMEM;
	sl_json_add_int(l->reply, "previous4", before.count4);
	sl_json_add_int(l->reply, "previous6", before.count6);
	return SL_CTL_JOB_MORE;
}

static int set_load_step(struct sl_ctl_job *job, struct sl_ctl_result *res)
{
	struct set_load *l = (struct set_load *)job;
	unsigned long long start = sl_ctl_now_ns();
	int ret;

	if (l->reply) {
		if (sl_dp_sets_reclaim(l->d->dp, LOAD_SLICE_NS) > 0)
			return SL_CTL_JOB_MORE;
		res->data = l->reply;
		l->reply = NULL;
		return 0;
	}
	do {
		l->batch.n = 0;
		ret = sl_set_reader_next(&l->rd, &l->batch, LOAD_BATCH,
					 res->err, sizeof(res->err));
		if (ret)
			return ret;
		ret = sl_dp_set_build_add(l->b, l->batch.v, l->batch.n);
		if (ret) {
			fail_msg(res, l->set, ret);
			return ret;
		}
		if (l->rd.eof)
			return set_load_publish(l, res);
	} while (sl_ctl_now_ns() - start < LOAD_SLICE_NS);
	return SL_CTL_JOB_MORE;
}

static int set_load(struct sl_daemon *d, const struct sl_cmd *cmd, int fd,
		    struct sl_ctl_result *res)
{
	struct set_load *l;
	int id, ret;

	if (fd < 0) {
		sl_err(res->err, sizeof(res->err),
		       "set load: the file must come as a descriptor (\"fd\": true)");
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->job.step = set_load_step;
	l->job.free = set_load_free;
	l->d = d;
	snprintf(l->set, sizeof(l->set), "%s", cmd->set);
	snprintf(l->path, sizeof(l->path), "%s", cmd->path);
	ret = open_set_fd(fd, l->path, &l->f, res->err, sizeof(res->err));
	if (ret)
		goto fail;
	sl_set_reader_init(&l->rd, l->f, l->path);
	ret = id = set_id(d, cmd->set, true, res);
	if (id < 0)
		goto fail;
	l->id = id;
	ret = sl_dp_set_build_start(d->dp, id, &l->b);
	if (ret) {
		fail_msg(res, cmd->set, ret);
		goto fail;
	}
	res->job = &l->job;
	return 0;
fail:
	set_load_free(&l->job);
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
	if (cmd->kind == SL_CMD_SET_LOAD)
		return set_load(d, cmd, fd, res);
	if (cmd->kind != SL_CMD_SET_LIST)
		return set_change(d, cmd, res);
	if (cmd->set[0])
		return set_list_one(d, cmd->set, res);
	res->data = sl_sets_json(d);
	return res->data ? 0 : -ENOMEM;
}
