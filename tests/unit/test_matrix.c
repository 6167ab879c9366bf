#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "ci/matrix.h"

static char *one[] = { "one" };

static int generate(struct matrix_plan *plan, struct strbuf *out, cibox_error *err)
{
	if (!plan->stage)
		plan->stage = "test";
	return matrix_write(plan, out, err);
}

static void formats_are_github_and_gitlab(void **state)
{
	(void)state;
	enum matrix_format f;
	cibox_error err = { 0 };
	assert_int_equal(matrix_format_parse("github", &f, &err), 0);
	assert_int_equal(f, MATRIX_GITHUB);
	assert_int_equal(matrix_format_parse("gitlab", &f, &err), 0);
	assert_int_equal(f, MATRIX_GITLAB);
	assert_int_equal(matrix_format_parse("GitHub", &f, &err), -EINVAL);
	assert_string_equal(err.message, "unknown format 'GitHub' (github or gitlab)");
}

static void values_are_quoted_and_disarmed(void **state)
{
	(void)state;
	char *names[] = { "a\"b\\c", "${{ x }}", "$HOME", "tab\tnl\n", "nel\xc2\x85", "\xc3\xbc" };
	struct matrix_plan plan = { .configs = names, .nconfigs = 6 };
	struct strbuf out = STRBUF_INIT;
	cibox_error err = { 0 };
	assert_int_equal(generate(&plan, &out, &err), 0);
	assert_non_null(strstr(out.buf, "- config: \"a\\\"b\\\\c\"\n"));
	assert_non_null(strstr(out.buf, "- config: \"${{ '${{' }} x }}\"\n"));
	assert_non_null(strstr(out.buf, "- config: \"$HOME\"\n"));
	assert_non_null(strstr(out.buf, "- config: \"tab\\u0009nl\\u000A\"\n"));
	assert_non_null(strstr(out.buf, "- config: \"nel\\u0085\"\n"));
	assert_non_null(strstr(out.buf, "- config: \"\xc3\xbc\"\n"));
	assert_non_null(strstr(out.buf, "artifact: \"cibox-test-tab%09nl%0A\"\n"));
	strbuf_reset(&out);
	plan.format = MATRIX_GITLAB;
	assert_int_equal(generate(&plan, &out, &err), 0);
	assert_non_null(strstr(out.buf, "- \"$$HOME\"\n"));
	assert_non_null(strstr(out.buf, "- \"$${{ x }}\"\n"));
	strbuf_release(&out);
}

static void what_yaml_cannot_carry_is_refused(void **state)
{
	(void)state;
	/* A stray continuation byte, an overlong '/', a surrogate. */
	char *bad[] = { "a\x80", "\xc0\xaf", "\xed\xa0\x80" };
	for (size_t i = 0; i < 3; i++) {
		struct matrix_plan plan = { .configs = &bad[i], .nconfigs = 1 };
		struct strbuf out = STRBUF_INIT;
		cibox_error err = { 0 };
		assert_int_equal(generate(&plan, &out, &err), -EINVAL);
		assert_string_equal(err.message,
				    "a configuration's name is not UTF-8, which YAML cannot carry");
		strbuf_release(&out);
	}
	struct matrix_plan plan = { .configs = one, .nconfigs = 1, .image = "img\xff" };
	struct strbuf out = STRBUF_INIT;
	cibox_error err = { 0 };
	assert_int_equal(generate(&plan, &out, &err), -EINVAL);
	assert_string_equal(err.message, "--image is not UTF-8, which YAML cannot carry");
	strbuf_release(&out);
}

static void plans_a_service_cannot_run_are_refused(void **state)
{
	(void)state;
	struct strbuf out = STRBUF_INIT;
	cibox_error err = { 0 };
	struct matrix_plan none = { .configs = one, .nconfigs = 0 };
	assert_int_equal(generate(&none, &out, &err), -EINVAL);
	assert_string_equal(err.message, "stage 'test' has no configurations to make jobs of");
	struct matrix_plan engine = { .configs = one, .nconfigs = 1, .engine = "chroot" };
	assert_int_equal(generate(&engine, &out, &err), -EINVAL);
	assert_string_equal(err.message, "unknown engine 'chroot' (ns, host, podman or docker)");
	char *many[201];
	for (size_t i = 0; i < 201; i++)
		many[i] = "same";
	struct matrix_plan gitlab = { .format = MATRIX_GITLAB, .configs = many, .nconfigs = 201 };
	assert_int_equal(generate(&gitlab, &out, &err), -EINVAL);
	assert_string_equal(
		err.message,
		"stage 'test' has 201 configurations; GitLab runs at most 200 jobs of one matrix");
	struct matrix_plan github = { .configs = many, .nconfigs = 201 };
	assert_int_equal(generate(&github, &out, &err), 0);
	strbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(formats_are_github_and_gitlab),
		cmocka_unit_test(values_are_quoted_and_disarmed),
		cmocka_unit_test(what_yaml_cannot_carry_is_refused),
		cmocka_unit_test(plans_a_service_cannot_run_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
