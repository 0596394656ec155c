// SPDX-License-Identifier: GPL-2.0-only
/*
 * The set file reader, for the configuration, "sluice set load" and the
 * daemon's "set load" alike.  Millions of lines are normal (blocklists),
 * so one getline buffer serves every line and the only allocation is the
 * list's geometric growth.
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

int sl_set_file_read(FILE *f, const char *name, struct sl_prefix_list *l,
		     char *err, size_t errlen)
{
	char msg[SL_ERR_LEN], *line = NULL;
	unsigned long lineno = 0;
	size_t n0 = l->n, cap = 0;
	struct sl_prefix p;
	ssize_t n;
	int ret = 0;

	errno = 0;
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		ret = parse_line(line, line + n, &p, msg, sizeof(msg));
		if (ret > 0) {
			ret = 0;
			continue;
		}
		if (!ret && l->n - n0 >= SL_SET_FILE_MAX_PREFIXES) {
			snprintf(msg, sizeof(msg), "more than %lu prefixes",
				 SL_SET_FILE_MAX_PREFIXES);
			ret = -E2BIG;
		}
		if (!ret && sl_prefix_list_push(l, &p)) {
			snprintf(msg, sizeof(msg), "out of memory");
			ret = -ENOMEM;
		}
		if (ret) {
			sl_err(err, errlen, "%s:%lu: %s", name, lineno, msg);
			goto out;
		}
	}
	/* getline() also stops on ENOMEM, without setting the error flag. */
	if (!feof(f)) {
		int e = errno ? errno : EIO;

		ret = e == ENOMEM ? -ENOMEM : -EIO;
		sl_err(err, errlen, "%s: cannot read: %s", name,
		       sl_strerror(e, msg, sizeof(msg)));
	}
out:
	free(line);
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
