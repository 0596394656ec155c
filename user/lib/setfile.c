// SPDX-License-Identifier: GPL-2.0-only
/*
 * The set file reader, for the configuration, "sluice set load" and the
 * daemon's "set load" alike.  Millions of lines are normal (blocklists):
 * one line buffer of SL_SET_LINE_MAX serves every line, and the only
 * allocation is the list's geometric growth.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

/* One line: 0 and *p, 1 for a blank or comment line, or an error. */
static int parse_line(char *s, char *end, struct sl_prefix *p, char *msg,
		      size_t msglen)
{
	char *w;

	while (s < end && is_blank(*s))
		s++;
	if (s == end || *s == '#')
		return 1;
	if (memchr(s, '\0', end - s))
		return sl_err(msg, msglen, "line has a NUL byte");
	w = s;
	while (s < end && !is_blank(*s))
		s++;
	if (s < end)
		*s++ = '\0';
	while (s < end && is_blank(*s))
		s++;
	if (s < end && *s != '#') {
		char *e = s;

		while (e < end && !is_blank(*e))
			e++;
		*e = '\0';
		return sl_err(msg, msglen, "unexpected \"%s\"", s);
	}
	return sl_prefix_parse(w, p, msg, msglen) ? -EINVAL : 0;
}

void sl_set_reader_init(struct sl_set_reader *r, FILE *f, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->name = name;
}

/*
 * One line into buf (without its newline): its length, -1 at the end of
 * the file, or -E2BIG for a line longer than SL_SET_LINE_MAX, read no
 * further than that.
 */
static ssize_t read_line(FILE *f, char *buf)
{
	ssize_t n = 0;
	int c;

	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (n == SL_SET_LINE_MAX)
			return -E2BIG;
		buf[n++] = (char)c;
	}
	if (c == EOF && !n)
		return -1;
	buf[n] = '\0';
	return n;
}

int sl_set_reader_next(struct sl_set_reader *r, struct sl_prefix_list *l,
		       size_t max, char *err, size_t errlen)
{
	char msg[SL_ERR_LEN], line[SL_SET_LINE_MAX + 1];
	size_t n0 = l->n;
	struct sl_prefix p;
	ssize_t n;
	int ret = 0;

	errno = 0;
	while (l->n - n0 < max && (n = read_line(r->f, line)) != -1) {
		r->lineno++;
		if (n < 0) {
			snprintf(
				msg, sizeof(msg),
				"line longer than %d bytes (a prefix takes at most 50)",
				SL_SET_LINE_MAX);
			ret = -E2BIG;
		} else {
			ret = parse_line(line, line + n, &p, msg, sizeof(msg));
		}
		if (ret > 0) {
			ret = 0;
			continue;
		}
		if (!ret && r->n >= SL_SET_FILE_MAX_PREFIXES) {
			snprintf(msg, sizeof(msg), "more than %lu prefixes",
				 SL_SET_FILE_MAX_PREFIXES);
			ret = -E2BIG;
		}
		if (!ret && sl_prefix_list_push(l, &p)) {
			snprintf(msg, sizeof(msg), "out of memory");
			ret = -ENOMEM;
		}
		if (ret) {
			sl_err(err, errlen, "%s:%lu: %s", r->name, r->lineno,
			       msg);
			return ret;
		}
		r->n++;
	}
	if (l->n - n0 < max) {
		if (ferror(r->f)) {
			int e = errno ? errno : EIO;

			sl_err(err, errlen, "%s: cannot read: %s", r->name,
			       sl_strerror(e, msg, sizeof(msg)));
			return -e;
		}
		r->eof = true;
	}
	return 0;
}

int sl_set_file_read(FILE *f, const char *name, struct sl_prefix_list *l,
		     char *err, size_t errlen)
{
	struct sl_set_reader r;
	size_t n0 = l->n;
	int ret;

	sl_set_reader_init(&r, f, name);
	ret = sl_set_reader_next(&r, l, (size_t)-1, err, errlen);
	if (ret)
		l->n = n0;
	return ret;
}

int sl_set_file_load(const char *path, struct sl_prefix_list *l, char *err,
		     size_t errlen)
{
	char msg[SL_ERR_LEN];
	FILE *f;
	int ret;

	f = fopen(path, "re");
	if (!f) {
		ret = -errno;
		sl_err(err, errlen, "cannot open \"%s\": %s", path,
		       sl_strerror(errno, msg, sizeof(msg)));
		return ret;
	}
	ret = sl_set_file_read(f, path, l, err, errlen);
	fclose(f);
	return ret;
}
