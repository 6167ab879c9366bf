#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "ci/steps.h"

static void steps_are_0n_files_with_n_from_1_to_9(void **state)
{
	(void)state;
	assert_true(steps_is_step_name("01_base_install.sh"));
	assert_true(steps_is_step_name("06_script_a.sh"));
	assert_true(steps_is_step_name("09_x.sh"));
	assert_true(steps_is_step_name("01_.sh.sh"));
}

static void configurations_and_other_files_are_not(void **state)
{
	(void)state;
	assert_false(steps_is_step_name("00_setup_env.sh"));
	assert_false(steps_is_step_name("00_setup_env_arm.sh"));
	assert_false(steps_is_step_name("10_late.sh"));
	assert_false(steps_is_step_name("6_short.sh"));
	assert_false(steps_is_step_name("06script.sh"));
	assert_false(steps_is_step_name("06_script.bash"));
	assert_false(steps_is_step_name("06_.sh"));
	assert_false(steps_is_step_name("sandbox.policy"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(steps_are_0n_files_with_n_from_1_to_9),
		cmocka_unit_test(configurations_and_other_files_are_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
