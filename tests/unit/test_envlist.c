#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "util/envlist.h"

static void set_replaces_in_place_and_keeps_order(void **state)
{
	(void)state;
	envlist env = ENVLIST_INIT;
	assert_int_equal(envlist_put(&env, "A=1"), 0);
	assert_int_equal(envlist_set(&env, "B", "2"), 0);
	assert_int_equal(envlist_put(&env, "A=3=4"), 0);
	char **v = envlist_vector(&env);
	assert_string_equal(v[0], "A=3=4");
	assert_string_equal(v[1], "B=2");
	assert_null(v[2]);
	assert_string_equal(envlist_get(&env, "A"), "3=4");
	assert_null(envlist_get(&env, "AB"));
	assert_null(envlist_get(&env, ""));
	envlist_free(&env);
}

static void names_that_are_prefixes_do_not_match(void **state)
{
	(void)state;
	envlist env = ENVLIST_INIT;
	envlist_put(&env, "PATHX=1");
	envlist_put(&env, "PATH=2");
	assert_string_equal(envlist_get(&env, "PATH"), "2");
	assert_string_equal(envlist_get(&env, "PATHX"), "1");
	assert_int_equal(env.len, 2);
	envlist_free(&env);
}

static void put_refuses_what_is_not_an_assignment(void **state)
{
	(void)state;
	envlist env = ENVLIST_INIT;
	assert_int_equal(envlist_put(&env, "NOEQUALS"), -EINVAL);
	assert_int_equal(envlist_put(&env, "=value"), -EINVAL);
	assert_int_equal(envlist_set(&env, "", "x"), -EINVAL);
	assert_int_equal(env.len, 0);
	assert_null(envlist_vector(&env)[0]);
	envlist_free(&env);
}

static void unset_removes_one(void **state)
{
	(void)state;
	envlist env = ENVLIST_INIT;
	envlist_put(&env, "A=1");
	envlist_put(&env, "B=2");
	envlist_put(&env, "C=3");
	envlist_unset(&env, "B");
	envlist_unset(&env, "missing");
	assert_int_equal(env.len, 2);
	assert_string_equal(env.vars[1], "C=3");
	assert_null(env.vars[2]);
	envlist_free(&env);
}

static void nul_separated_blocks_keep_any_byte(void **state)
{
	(void)state;
	envlist env = ENVLIST_INIT;
	static const char block[] = "A=line1\nline2\0B=\"q\" 'u' \xe2\x9c\x93\0EMPTY=\0LAST=no-nul";
	assert_int_equal(envlist_add_nul(&env, block, sizeof block - 1), 0);
	assert_int_equal(env.len, 4);
	assert_string_equal(envlist_get(&env, "A"), "line1\nline2");
	assert_string_equal(envlist_get(&env, "B"), "\"q\" 'u' \xe2\x9c\x93");
	assert_string_equal(envlist_get(&env, "EMPTY"), "");
	assert_string_equal(envlist_get(&env, "LAST"), "no-nul");
	envlist_free(&env);
	static const char bad[] = "A=1\0junk\0";
	assert_int_equal(envlist_add_nul(&env, bad, sizeof bad - 1), -EINVAL);
	envlist_free(&env);
}

static void shell_names(void **state)
{
	(void)state;
	assert_true(env_name_valid("_", 1));
	assert_true(env_name_valid("MAKEJOBS", 8));
	assert_true(env_name_valid("a1_b", 4));
	assert_false(env_name_valid("1A", 2));
	assert_false(env_name_valid("A-B", 3));
	assert_false(env_name_valid("", 0));
	assert_true(env_name_valid("AB=c", 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(set_replaces_in_place_and_keeps_order),
		cmocka_unit_test(names_that_are_prefixes_do_not_match),
		cmocka_unit_test(put_refuses_what_is_not_an_assignment),
		cmocka_unit_test(unset_removes_one),
		cmocka_unit_test(nul_separated_blocks_keep_any_byte),
		cmocka_unit_test(shell_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
