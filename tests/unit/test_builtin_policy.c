/* The built-in policy's programs, compiled at build time, are exactly what
 * cibox would compile at start: a build that drifts from the code fails. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli/builtin_policy.h"
#include "sandbox/policy_set.h"
#include "sandbox/supervisor.h"

static void every_mode_and_scope_is_built_in(void **state)
{
	(void)state;
	assert_int_equal(builtin_filter_count, 6);
	const enum cibox_mode modes[] = { CIBOX_MODE_LOG_AND_ABORT, CIBOX_MODE_ABORT, CIBOX_MODE_LOG };
	for (unsigned i = 0; i < 6; i++)
		assert_non_null(builtin_filter_find(modes[i / 2], i % 2));
}

static void built_in_programs_equal_a_fresh_compile(void **state)
{
	(void)state;
	cibox_error err;
	policy_set *policies;
	assert_int_equal(policy_set_from_list(BUILTIN_POLICY, &policies, &err), 0);
	for (unsigned i = 0; i < builtin_filter_count; i++) {
		const struct builtin_filter *b = &builtin_filters[i];
		struct supervisor_options options = { .policies = policies,
						      .mode = b->mode,
						      .confine_signals = b->confine_signals };
		struct filter_program fresh;
		assert_int_equal(supervisor_compile(&options, &fresh, &err), 0);
		assert_int_equal(fresh.len, b->program.len);
		assert_memory_equal(fresh.insns, b->program.insns, fresh.len * sizeof *fresh.insns);
		filter_program_free(&fresh);
	}
	policy_set_free(policies);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_mode_and_scope_is_built_in),
		cmocka_unit_test(built_in_programs_equal_a_fresh_compile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
