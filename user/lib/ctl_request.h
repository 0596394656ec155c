/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * One request line of the control protocol (see ctl.h) read into its
 * words: what the daemon runs, apart from the socket it came on.
 */
#ifndef __SLUICE_CTL_REQUEST_H
#define __SLUICE_CTL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

struct sl_ctl_request {
	struct json_object *obj; /* the request; owns id */
	struct json_object *id; /* its "id", NULL when absent */
	char **argv; /* one allocation, NULL-terminated */
	int argc;
	bool fd; /* "fd": a descriptor comes with the request */
};

/*
 * Read the len bytes of line (without its '\n'; trailing '\r', blanks
 * and tabs are dropped).  0: *req holds the request.  -ENODATA: a blank
 * line, to be ignored.  -EINVAL: err says what is wrong, and req->id is
 * the request's id when it got that far, for the reply.  -ENOMEM.
 * sl_ctl_request_free() in every case.
 */
int sl_ctl_request_parse(const char *line, size_t len,
			 struct sl_ctl_request *req, char *err, size_t errlen);
void sl_ctl_request_free(struct sl_ctl_request *req);

#endif /* __SLUICE_CTL_REQUEST_H */
