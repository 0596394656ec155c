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
		snprintf(err, errlen, "\"argv\" must hold 1 to %d words",
			 SL_CTL_ARGV_MAX);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		struct json_object *w = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(w, json_type_string)) {
			snprintf(err, errlen,
				 "\"argv\" word %zu is not a string", i + 1);
			return -EINVAL;
		}
		if (strlen(json_object_get_string(w)) !=
		    (size_t)json_object_get_string_len(w)) {
			snprintf(err, errlen, "\"argv\" word %zu holds a NUL",
				 i + 1);
			return -EINVAL;
		}
		bytes += json_object_get_string_len(w) + 1;
	}
	argv = malloc((n + 1) * sizeof(*argv) + bytes);
	if (!argv) {
		snprintf(err, errlen, "out of memory");
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
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* Replies echo request words: only valid UTF-8 gets that far. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	req->obj = json_tokener_parse_ex(tok, line, (int)len);
	je = json_tokener_get_error(tok);
	if (!req->obj || je != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		snprintf(err, errlen, "malformed request: %s",
			 je == json_tokener_continue ||
					 je == json_tokener_success ?
				 "incomplete or trailing text" :
				 json_tokener_error_desc(je));
		json_tokener_free(tok);
		return -EINVAL;
	}
	json_tokener_free(tok);
	if (!json_object_is_type(req->obj, json_type_object)) {
		snprintf(err, errlen, "malformed request: not a JSON object");
		return -EINVAL;
	}
	json_object_object_get_ex(req->obj, "id", &req->id);
	if (!json_object_object_get_ex(req->obj, "argv", &v) ||
	    !json_object_is_type(v, json_type_array)) {
		snprintf(err, errlen, "malformed request: no \"argv\" array");
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
