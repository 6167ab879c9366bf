#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "cli/cli.h"

static int status(int code, enum cli_stage stage)
{
	cibox_error err = { .code = code };
	return cli_status_for(&err, stage);
}

static void what_the_machine_lacks_is_3_wherever_it_shows(void **state)
{
	(void)state;
	for (enum cli_stage s = CLI_CHECKING; s <= CLI_STARTING; s++) {
		assert_int_equal(status(-EOPNOTSUPP, s), CLI_ENVIRONMENT);
		assert_int_equal(status(-ENOSYS, s), CLI_ENVIRONMENT);
		assert_int_equal(status(-EPERM, s), CLI_ENVIRONMENT);
		assert_int_equal(status(-EINTR, s), CLI_INTERRUPTED);
		assert_int_equal(status(-ENOMEM, s), CLI_FAILED);
		assert_int_equal(status(-EIO, s), CLI_FAILED);
	}
}

static void other_errors_are_the_users_until_the_work_begins(void **state)
{
	(void)state;
	assert_int_equal(status(-EINVAL, CLI_CHECKING), CLI_USAGE);
	assert_int_equal(status(-ENOENT, CLI_CHECKING), CLI_USAGE);
	assert_int_equal(status(-EEXIST, CLI_CHECKING), CLI_USAGE);
	assert_int_equal(status(-EEXIST, CLI_WORKING), CLI_FAILED);
	assert_int_equal(status(-ENOSPC, CLI_WORKING), CLI_FAILED);
	assert_int_equal(status(-ENOENT, CLI_STARTING), CLI_NOT_FOUND);
	assert_int_equal(status(-EACCES, CLI_STARTING), CLI_CANNOT_RUN);
}

static void a_command_ends_as_a_shell_reports_it(void **state)
{
	(void)state;
	assert_int_equal(cli_status_of_wait(W_EXITCODE(42, 0)), 42);
	assert_int_equal(cli_status_of_wait(W_EXITCODE(0, SIGTERM)), 128 + SIGTERM);
	assert_int_equal(cli_status_of_run(RUN_PASSED), CLI_OK);
	assert_int_equal(cli_status_of_run(RUN_FAILED), CLI_FAILED);
	assert_int_equal(cli_status_of_run(RUN_INTERRUPTED), CLI_INTERRUPTED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(what_the_machine_lacks_is_3_wherever_it_shows),
		cmocka_unit_test(other_errors_are_the_users_until_the_work_begins),
		cmocka_unit_test(a_command_ends_as_a_shell_reports_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
