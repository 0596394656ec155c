/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control protocol's request reader: what it takes, what it refuses,
 * and that nothing it lets through can make a reply that is not UTF-8 or
 * that changes an id on its way back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "ctl_request.h"
#include "err.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int parse(const char *line, struct sl_ctl_request *req, char *err)
{
	err[0] = '\0';
	return sl_ctl_request_parse(line, strlen(line), req, err, SL_ERR_LEN);
}

static void test_taken(void **state)
{
	static const struct {
		const char *line, *id; /* the id as the reply echoes it */
		int argc;
	} cases[] = {
		{ "{\"argv\":[\"status\"]}", NULL, 1 },
		{ "{\"id\":7,\"argv\":[\"rule\",\"list\"]}", "7", 2 },
		{ "{\"id\":-9007199254740991,\"argv\":[\"status\"]}",
		  "-9007199254740991", 1 },
		{ "{\"id\":9007199254740991,\"argv\":[\"status\"]}",
		  "9007199254740991", 1 },
		{ "{\"id\":\"caf\xc3\xa9\",\"argv\":[\"status\"]}",
		  "\"caf\xc3\xa9\"", 1 },
		/* json-c reads a lone escaped surrogate as U+FFFD: valid. */
		{ "{\"id\":\"\\udfff\",\"argv\":[\"\\ud800\"]}",
		  "\"\xef\xbf\xbd\"", 1 },
		/* Four bytes: U+1F600, and the escaped pair that makes it. */
		{ "{\"argv\":[\"set\",\"add\",\"\xf0\x9f\x98\x80\"]}", NULL,
		  3 },
		{ "{\"argv\":[\"\\ud83d\\ude00\"]}", NULL, 1 },
	};
	char err[SL_ERR_LEN];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sl_ctl_request req;

		assert_int_equal(parse(cases[i].line, &req, err), 0);
		assert_int_equal(req.argc, cases[i].argc);
		if (cases[i].id)
			assert_string_equal(json_object_to_json_string_ext(
						    req.id,
						    JSON_C_TO_STRING_PLAIN),
					    cases[i].id);
		else
			assert_null(req.id);
		sl_ctl_request_free(&req);
	}
}

static void test_refused(void **state)
{
	static const struct {
		const char *line, *err;
		bool keeps_id;
	} cases[] = {
		/* Overlong "/", an encoded surrogate, past U+10FFFF. */
		{ "{\"id\":1,\"argv\":[\"\xc0\xaf\"]}",
		  "\"argv\" word 1 is not valid UTF-8", true },
		{ "{\"id\":1,\"argv\":[\"status\",\"\xed\xa0\x80\"]}",
		  "\"argv\" word 2 is not valid UTF-8", true },
		{ "{\"id\":1,\"argv\":[\"\xf4\x90\x80\x80\"]}",
		  "\"argv\" word 1 is not valid UTF-8", true },
		{ "{\"id\":\"\xe0\x80\xaf\",\"argv\":[\"status\"]}",
		  "malformed request: \"id\" must be a string or an integer of at most 53 bits",
		  false },
		{ "{\"id\":123456789012345678901234567890,\"argv\":[\"status\"]}",
		  "malformed request: \"id\" must be a string or an integer of at most 53 bits",
		  false },
		{ "{\"id\":9007199254740992,\"argv\":[\"status\"]}",
		  "malformed request: \"id\" must be a string or an integer of at most 53 bits",
		  false },
		{ "{\"id\":1.5,\"argv\":[\"status\"]}",
		  "malformed request: \"id\" must be a string or an integer of at most 53 bits",
		  false },
		{ "{\"id\":true,\"argv\":[\"status\"]}",
		  "malformed request: \"id\" must be a string or an integer of at most 53 bits",
		  false },
		{ "{\"id\":[1],\"argv\":[\"status\"]}",
		  "malformed request: \"id\" must be a string or an integer of at most 53 bits",
		  false },
		{ "{\"argv\":[]}", "\"argv\" must hold 1 to 4096 words",
		  false },
		{ "{\"argv\":[1]}", "\"argv\" word 1 is not a string", false },
		{ "{\"argv\":[\"a\\u0000b\"]}", "\"argv\" word 1 holds a NUL",
		  false },
		{ "[\"status\"]", "malformed request: not a JSON object",
		  false },
	};
	char err[SL_ERR_LEN];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sl_ctl_request req;

		assert_int_equal(parse(cases[i].line, &req, err), -EINVAL);
		assert_string_equal(err, cases[i].err);
		if (cases[i].keeps_id)
			assert_non_null(req.id);
		else
			assert_null(req.id);
		sl_ctl_request_free(&req);
	}
}

/* NaN and Infinity are not JSON: refused as such, or as an id. */
static void test_not_json_numbers(void **state)
{
	static const char *const lines[] = {
		"{\"id\":NaN,\"argv\":[\"status\"]}",
		"{\"id\":Infinity,\"argv\":[\"status\"]}",
		"{\"id\":-Infinity,\"argv\":[\"status\"]}",
	};
	char err[SL_ERR_LEN];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		struct sl_ctl_request req;

		assert_int_equal(parse(lines[i], &req, err), -EINVAL);
		assert_true(!strncmp(err, "malformed request: ", 19));
		assert_null(req.id);
		sl_ctl_request_free(&req);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_taken),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_not_json_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
