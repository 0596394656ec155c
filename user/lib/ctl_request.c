/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control protocol's request reader: strict JSON, valid UTF-8, one
 * object with an "argv" array of strings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl.h"
#include "ctl_request.h"
#include "err.h"

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past
 * U+10FFFF.  json-c's own check lets such bytes through (and "\ud800"
 * escapes make them), and a reply that echoes them is not UTF-8.
 */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned int c = s[i], len, cp, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return false;
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += len;
	}
	return true;
}

static bool string_valid(struct json_object *o)
{
	return utf8_valid((const unsigned char *)json_object_get_string(o),
			  json_object_get_string_len(o));
}

/*
 * An id is echoed in the reply as it came: a string, or an integer that
 * every JSON reader keeps exact (|id| < 2^53).  Anything else, or a
 * number json-c clamped, is refused and not echoed.
 */
#define SL_CTL_ID_MAX ((1LL << 53) - 1)

static int id_check(struct sl_ctl_request *req, char *err, size_t errlen)
{
	struct json_object *id = req->id;
	long long v;

	if (!id)
		return 0;
	if (json_object_is_type(id, json_type_string) && string_valid(id))
		return 0;
	if (json_object_is_type(id, json_type_int)) {
		/* json-c clamps what it cannot hold: far out of range too. */
		v = json_object_get_int64(id);
		if (v >= -SL_CTL_ID_MAX && v <= SL_CTL_ID_MAX)
			return 0;
	}
	req->id = NULL;
	return sl_err(
		err, errlen,
		"malformed request: \"id\" must be a string or an integer of at most 53 bits");
}

/*
 * The words of argv as one allocation of NUL-terminated strings.  A word
 * with a NUL inside would be cut short without a word of warning: no.
 */
static int argv_from_json(struct json_object *arr, char ***argvp, int *argcp,
			  char *err, size_t errlen)
{
	size_t n = json_object_array_length(arr), i, bytes = 0;
	char **argv, *p;

	if (!n || n > SL_CTL_ARGV_MAX) {
		sl_err(err, errlen, "\"argv\" must hold 1 to %d words",
		       SL_CTL_ARGV_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		struct json_object *w = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(w, json_type_string)) {
			sl_err(err, errlen, "\"argv\" word %zu is not a string",
			       i + 1);
			return -EINVAL;
		}
		if (!string_valid(w)) {
			sl_err(err, errlen,
			       "\"argv\" word %zu is not valid UTF-8", i + 1);
			return -EINVAL;
		}
		if (strlen(json_object_get_string(w)) !=
		    (size_t)json_object_get_string_len(w)) {
			sl_err(err, errlen, "\"argv\" word %zu holds a NUL",
			       i + 1);
			return -EINVAL;
		}
		bytes += json_object_get_string_len(w) + 1;
	}
	argv = malloc((n + 1) * sizeof(*argv) + bytes);
	if (!argv) {
		sl_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	p = (char *)(argv + n + 1);
	for (i = 0; i < n; i++) {
		struct json_object *w = json_object_array_get_idx(arr, i);
		size_t len = json_object_get_string_len(w);

		argv[i] = p;
		memcpy(p, json_object_get_string(w), len + 1);
		p += len + 1;
	}
	argv[n] = NULL;
	*argvp = argv;
	*argcp = (int)n;
	return 0;
}

int sl_ctl_request_parse(const char *line, size_t len,
			 struct sl_ctl_request *req, char *err, size_t errlen)
{
	enum json_tokener_error je;
	struct json_tokener *tok;
	struct json_object *v;

	memset(req, 0, sizeof(*req));
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' ||
		       line[len - 1] == '\t'))
		len--;
	if (!len)
		return -ENODATA;
	tok = json_tokener_new_ex(32);
	if (!tok) {
		sl_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Replies echo request words: only valid UTF-8 gets that far. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	req->obj = json_tokener_parse_ex(tok, line, (int)len);
	je = json_tokener_get_error(tok);
	if (!req->obj || je != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		sl_err(err, errlen, "malformed request: %s",
		       je == json_tokener_continue ||
				       je == json_tokener_success ?
			       "incomplete or trailing text" :
			       json_tokener_error_desc(je));
		json_tokener_free(tok);
		return -EINVAL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(req->obj, json_type_object)) {
		sl_err(err, errlen, "malformed request: not a JSON object");
		return -EINVAL;
	}
	json_object_object_get_ex(req->obj, "id", &req->id);
	if (id_check(req, err, errlen))
		return -EINVAL;
	if (!json_object_object_get_ex(req->obj, "argv", &v) ||
	    !json_object_is_type(v, json_type_array)) {
		sl_err(err, errlen, "malformed request: no \"argv\" array");
		return -EINVAL;
	}
	if (argv_from_json(v, &req->argv, &req->argc, err, errlen))
		return -EINVAL;
	req->fd = json_object_object_get_ex(req->obj, "fd", &v) &&
		  json_object_get_boolean(v);
	return 0;
}

void sl_ctl_request_free(struct sl_ctl_request *req)
{
	free(req->argv);
	json_object_put(req->obj);
	memset(req, 0, sizeof(*req));
}
