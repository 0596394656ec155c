/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "verdictjson.h"

void check_verdict_obj(json_object *o, int num, const char *verdict, int rule,
		       const char *reason, const char *error)
{
	json_object *v;

	assert_true(json_object_is_type(o, json_type_object));
	assert_int_equal(json_object_object_length(o), error ? 5 : 4);
	assert_true(json_object_object_get_ex(o, "packet", &v));
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int(v), num);
	assert_true(json_object_object_get_ex(o, "verdict", &v));
	assert_string_equal(json_object_get_string(v), verdict);
	assert_true(json_object_object_get_ex(o, "rule", &v));
	if (rule) {
		assert_true(json_object_is_type(v, json_type_int));
		assert_int_equal(json_object_get_int(v), rule);
	} else {
		assert_null(v);
	}
	assert_true(json_object_object_get_ex(o, "reason", &v));
	assert_string_equal(json_object_get_string(v), reason);
	if (error) {
		assert_true(json_object_object_get_ex(o, "error", &v));
		assert_string_equal(json_object_get_string(v), error);
	}
}
