/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control protocol's request reader: any bytes as one request line,
 * as sluiced reads them from a client.  A request that reads must hand
 * over argc NUL-free words, each a whole JSON string of the request.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "ctl_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sl_ctl_request req;
	char err[SL_CTL_ERR_LEN];
	int i, ret;

	if (size > SL_CTL_LINE_MAX)
		return 0;
	ret = sl_ctl_request_parse((const char *)data, size, &req, err,
				   sizeof(err));
	if (!ret) {
		if (req.argc < 1 || req.argc > SL_CTL_ARGV_MAX ||
		    req.argv[req.argc])
			abort();
		for (i = 0; i < req.argc; i++)
			if (strlen(req.argv[i]) > size)
				abort();
	} else if (ret != -EINVAL && ret != -ENODATA && ret != -ENOMEM) {
		abort();
	}
	sl_ctl_request_free(&req);
	return 0;
}
