#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sandbox/policy.h"
#include "sandbox/policy_set.h"
#include "sandbox/syscall_table.h"
#include "sandbox/trace.h"

/* Arguments no restriction accepts: every call is outside the safe form. */
static const uint64_t any_args[6] = { ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL, ~0ULL };

static char *policy_text_of(const trace *t, const char *command, bool per_thread)
{
	char *text = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&text, &size);
	assert_non_null(out);
	assert_int_equal(trace_write_policy(t, command, per_thread, out), 0);
	fclose(out);
	return text;
}

static char *policy_text(const trace *t, const char *command)
{
	return policy_text_of(t, command, false);
}

static void observe_name(trace *t, const char *name, int times, const char *program)
{
	for (int i = 0; i < times; i++)
		assert_int_equal(trace_observe(t, sctab_resolve(name), any_args, "main", program), 0);
}

static void entries_say_how_often_and_by_whom(void **state)
{
	(void)state;
	trace *t = trace_new("@default");
	observe_name(t, "pipe2", 3, "dash");
	observe_name(t, "pipe2", 1, "make");
	observe_name(t, "execve", 1, "dash");
	char *text = policy_text(t, "sh -c 'a\nb'");
	assert_non_null(strstr(text, "# Learned by cibox trace from: sh -c 'a b'\n"));
	assert_non_null(strstr(text, "\n@default # "));
	assert_non_null(strstr(text, "\npipe2 # 4 calls by dash, make\n"));
	assert_non_null(strstr(text, "\nexecve # 1 call by dash\n"));
	free(text);
	trace_free(t);
}

static void restricted_calls_are_written_with_any_arguments(void **state)
{
	(void)state;
	trace *t = trace_new("@default");
	observe_name(t, "openat", 2, "cat");
	observe_name(t, "ioctl", 1, "vim");
	char *text = policy_text(t, "x");
	assert_non_null(strstr(text, "\nopenat(*) # 2 calls by cat\n"));
	assert_non_null(strstr(text, "\nioctl(*) # 1 call by vim\n"));
	free(text);
	trace_free(t);
}

static void a_fully_used_group_is_named_as_the_group(void **state)
{
	(void)state;
	trace *t = trace_new("@default");
	cibox_policy *time_group = cibox_policy_new(), *base = cibox_policy_new();
	assert_int_equal(cibox_policy_add(time_group, "@time", NULL), 0);
	assert_int_equal(cibox_policy_add(base, "@default", NULL), 0);
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++)
		if (cibox_policy_allows(time_group, nr) && !cibox_policy_allows(base, nr))
			assert_int_equal(trace_observe(t, nr, any_args, "main", "timer"), 0);
	char *text = policy_text(t, "x");
	assert_non_null(strstr(text, "\n@time # every member used"));
	assert_null(strstr(text, "\ntimer_create "));
	free(text);
	cibox_policy_free(time_group);
	cibox_policy_free(base);
	trace_free(t);
}

static void many_programs_are_summed_up(void **state)
{
	(void)state;
	trace *t = trace_new("@default");
	const char *programs[] = { "a", "b", "c", "d", "e", "f", "a" };
	for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
		observe_name(t, "mkdir", 1, programs[i]);
	char *text = policy_text(t, "x");
	assert_non_null(strstr(text, "\nmkdir # 7 calls by a, b, c, d and 2 more\n"));
	free(text);
	assert_int_equal(trace_observe(t, -1, any_args, "t", "p"), -22);
	trace_free(t);
}

static void the_written_policy_parses_back(void **state)
{
	(void)state;
	trace *t = trace_new("@default");
	observe_name(t, "pipe2", 1, "sh");
	observe_name(t, "clone", 2, "sh");
	char *text = policy_text(t, "sh");
	cibox_policy *p = cibox_policy_new();
	cibox_error err;
	assert_int_equal(cibox_policy_parse(p, text, "learned.policy", &err), 0);
	assert_true(cibox_policy_allows(p, sctab_resolve("pipe2")));
	assert_int_equal(policy_form(p, sctab_resolve("clone")), POLICY_ANY);
	assert_true(cibox_policy_allows(p, sctab_resolve("read")));
	cibox_policy_free(p);
	free(text);
	trace_free(t);
}

static void per_thread_sections_hold_what_only_some_threads_called(void **state)
{
	(void)state;
	trace *t = trace_new("@default");
	assert_int_equal(trace_observe(t, sctab_resolve("pipe2"), any_args, "net", "d"), 0);
	assert_int_equal(trace_observe(t, sctab_resolve("pipe2"), any_args, "disk", "d"), 0);
	assert_int_equal(trace_observe(t, sctab_resolve("connect"), any_args, "net", "d"), 0);
	assert_int_equal(trace_observe(t, sctab_resolve("mkdir"), any_args, "disk", "d"), 0);
	char *text = policy_text_of(t, "d", true);
	const char *net = strstr(text, "\n[net]\n"), *disk = strstr(text, "\n[disk]\n");
	assert_non_null(net);
	assert_non_null(disk);
	const char *pipe2 = strstr(text, "\npipe2 # 2 calls");
	assert_non_null(pipe2);
	assert_true(pipe2 < net && net < disk);
	assert_non_null(strstr(net, "\nconnect # "));
	assert_true(strstr(net, "\nconnect # ") < disk);
	assert_non_null(strstr(disk, "\nmkdir # 1 call"));

	policy_set *set;
	cibox_error err;
	assert_int_equal(policy_set_parse(text, "learned.policy", &set, &err), 0);
	assert_true(cibox_policy_allows(policy_set_for(set, "net"), sctab_resolve("connect")));
	assert_false(cibox_policy_allows(policy_set_for(set, "disk"), sctab_resolve("connect")));
	assert_false(cibox_policy_allows(policy_set_common(set), sctab_resolve("mkdir")));
	assert_true(cibox_policy_allows(policy_set_supervised(set), sctab_resolve("mkdir")));
	assert_true(cibox_policy_allows(policy_set_common(set), sctab_resolve("pipe2")));
	policy_set_free(set);
	free(text);
	trace_free(t);
}

static void restricted_calls_that_fit_stay_restricted(void **state)
{
	(void)state;
	trace *t = trace_new("@default");
	const uint64_t fork_flags[6] = { 0x1200011 /* CLONE_CHILD_SETTID|CLEARTID|SIGCHLD */ };
	assert_int_equal(trace_observe(t, sctab_resolve("clone"), fork_flags, "sh", "dash"), 0);
	char *text = policy_text(t, "x");
	assert_non_null(strstr(text, "\nclone # 1 call by dash\n"));
	free(text);
	const uint64_t user_ns[6] = { 0x10000000 | 17 };
	assert_int_equal(trace_observe(t, sctab_resolve("clone"), user_ns, "sh", "dash"), 0);
	text = policy_text(t, "x");
	assert_non_null(strstr(text, "\nclone(*) # 2 calls by dash\n"));
	free(text);
	trace_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(entries_say_how_often_and_by_whom),
		cmocka_unit_test(restricted_calls_are_written_with_any_arguments),
		cmocka_unit_test(a_fully_used_group_is_named_as_the_group),
		cmocka_unit_test(many_programs_are_summed_up),
		cmocka_unit_test(the_written_policy_parses_back),
		cmocka_unit_test(per_thread_sections_hold_what_only_some_threads_called),
		cmocka_unit_test(restricted_calls_that_fit_stay_restricted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
