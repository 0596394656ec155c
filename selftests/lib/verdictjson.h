/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The shape of one "sluice -j test-run" verdict object, checked once for
 * every test that reads them.
 */
#ifndef __SELFTESTS_VERDICTJSON_H
#define __SELFTESTS_VERDICTJSON_H

#include <json-c/json.h>

/*
 * o holds exactly packet num, verdict, rule (0: null), reason and, when
 * error is not NULL, error.
 */
void check_verdict_obj(json_object *o, int num, const char *verdict, int rule,
		       const char *reason, const char *error);

#endif /* __SELFTESTS_VERDICTJSON_H */
