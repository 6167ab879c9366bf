#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "sandbox/report.h"

static void error_line_is_exact(void **state)
{
	(void)state;
	char buf[256];
	size_t len = report_format(buf, sizeof buf, REPORT_ERROR, "execve", 59, "msghand");
	assert_string_equal(buf, "ERROR: The syscall \"execve\" (syscall number 59) is not allowed "
				 "by the syscall sandbox in thread \"msghand\". Please report.");
	assert_int_equal(len, strlen(buf));
}

static void warning_says_the_call_ran(void **state)
{
	(void)state;
	char buf[256];
	report_format(buf, sizeof buf, REPORT_WARNING, "openat", 257, "sh");
	assert_string_equal(
		buf, "WARNING: The syscall \"openat\" (syscall number 257) is not allowed "
		     "by the syscall sandbox in thread \"sh\". It was allowed to run (mode log).");
}

static void refused_warning_says_the_call_did_not_run(void **state)
{
	(void)state;
	char buf[256];
	report_format(buf, sizeof buf, REPORT_REFUSED, "kill", 62, "sh");
	assert_string_equal(buf, "WARNING: The syscall \"kill\" (syscall number 62) is not allowed "
				 "by the syscall sandbox in thread \"sh\". It was refused: it reaches "
				 "outside the command's processes (mode log).");
}

static void unknown_name_and_thread_are_named_unknown(void **state)
{
	(void)state;
	char buf[256];
	report_format(buf, sizeof buf, REPORT_ERROR, NULL, 1000, "");
	assert_non_null(strstr(buf, "\"unknown\" (syscall number 1000)"));
	assert_non_null(strstr(buf, "in thread \"unknown\""));
}

static void numbers_print_in_full(void **state)
{
	(void)state;
	char buf[256];
	report_format(buf, sizeof buf, REPORT_ERROR, "x", 0, "t");
	assert_non_null(strstr(buf, "(syscall number 0)"));
	report_format(buf, sizeof buf, REPORT_ERROR, "x", -1, "t");
	assert_non_null(strstr(buf, "(syscall number -1)"));
	report_format(buf, sizeof buf, REPORT_ERROR, "x", 1073741863, "t");
	assert_non_null(strstr(buf, "(syscall number 1073741863)"));
}

static void a_small_buffer_truncates_and_terminates(void **state)
{
	(void)state;
	char buf[16];
	memset(buf, 'z', sizeof buf);
	size_t len = report_format(buf, sizeof buf, REPORT_ERROR, "execve", 59, "msghand");
	assert_int_equal(len, sizeof buf - 1);
	assert_int_equal(buf[sizeof buf - 1], '\0');
	assert_memory_equal(buf, "ERROR: The sysc", 15);
	assert_int_equal(report_format(buf, 0, REPORT_ERROR, "a", 1, "b"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(error_line_is_exact),
		cmocka_unit_test(warning_says_the_call_ran),
		cmocka_unit_test(refused_warning_says_the_call_did_not_run),
		cmocka_unit_test(unknown_name_and_thread_are_named_unknown),
		cmocka_unit_test(numbers_print_in_full),
		cmocka_unit_test(a_small_buffer_truncates_and_terminates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
