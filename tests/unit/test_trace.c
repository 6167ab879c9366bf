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
	trace *t = trace_new("@default", false);
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
	trace *t = trace_new("@default", false);
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
	trace *t = trace_new("@default", false);
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
	trace *t = trace_new("@default", false);
	/* "more" counts programs, not their calls: e and f call again and again. */
	const char *programs[] = { "a", "b", "c", "d", "e", "f", "a", "e", "f", "e", "f", "e" };
	for (size_t i = 0; i < sizeof programs / sizeof programs[0]; i++)
		observe_name(t, "mkdir", 1, programs[i]);
	char *text = policy_text(t, "x");
	assert_non_null(strstr(text, "\nmkdir # 12 calls by a, b, c, d and 2 more\n"));
	free(text);
	assert_int_equal(trace_observe(t, -1, any_args, "t", "p"), -22);
	trace_free(t);
}

static void the_written_policy_parses_back(void **state)
{
	(void)state;
	trace *t = trace_new("@default", false);
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
	trace *t = trace_new("@default", false);
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

static void names_the_traced_program_chose_cannot_add_entries(void **state)
{
	(void)state;
	trace *t = trace_new("@default", false);
	/* A program file and a thread named to smuggle lines into the policy. */
	assert_int_equal(
		trace_observe(t, sctab_resolve("pipe2"), any_args, "a#b", "x\nptrace\n@file-write"),
		0);
	assert_int_equal(trace_observe(t, sctab_resolve("mkdir"), any_args, "ok", "y"), 0);
	for (int per_thread = 0; per_thread < 2; per_thread++) {
		char *text = policy_text_of(t, "cmd\nbpf", per_thread);
		assert_null(strstr(text, "\nptrace"));
		assert_null(strstr(text, "\n@file-write"));
		assert_null(strstr(text, "\nbpf"));
		assert_non_null(strstr(text, "from: cmd bpf\n"));
		assert_non_null(strstr(text, "x?ptrace?@file-write"));
		/* "[a#b]" would read back as "[a": no sections then, and why. */
		assert_null(strstr(text, "\n["));
		if (per_thread)
			assert_non_null(strstr(
				text,
				"# No sections: thread 'a#b' has a name a section cannot hold."));
		cibox_error err = { 0 };
		policy_set *set = NULL;
		assert_int_equal(policy_set_parse(text, "learned.policy", &set, &err), 0);
		assert_false(cibox_policy_allows(policy_set_common(set), sctab_resolve("ptrace")));
		policy_set_free(set);
		free(text);
	}
	trace_free(t);
}

static void restricted_calls_that_fit_stay_restricted(void **state)
{
	(void)state;
	trace *t = trace_new("@default", false);
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

static void observe_value(trace *t, const char *name, uint64_t value, const char *thread,
			  const char *program)
{
	uint64_t args[6] = { 0 };
	args[sctab_argument_find(name)->arg] = value;
	assert_int_equal(trace_observe(t, sctab_resolve(name), args, thread, program), 0);
}

static void with_args_the_kernel_asks_for_every_call_with_values(void **state)
{
	(void)state;
	trace *t = trace_new("@default", true);
	assert_string_equal(trace_kernel_policy(t),
			    "@default,-clone,-socket,-socketpair,-ioctl,-prctl,-ptrace");
	trace_free(t);
	t = trace_new("@default", false);
	assert_string_equal(trace_kernel_policy(t), "@default");
	trace_free(t);
}

static void with_args_each_value_is_an_entry(void **state)
{
	(void)state;
	trace *t = trace_new("@default", true);
	observe_value(t, "ioctl", 0x5413, "sh", "ls");                /* TIOCGWINSZ */
	observe_value(t, "ioctl", (7ULL << 32) | 0x5401, "sh", "ls"); /* TCGETS, upper bits aside */
	observe_value(t, "ioctl", 0x5401, "sh", "cat");
	observe_value(t, "ioctl", 0x5412, "sh", "vim"); /* TIOCSTI */
	observe_value(t, "clone", 0x1200011, "sh", "dash");
	observe_name(t, "pipe2", 1, "dash");
	char *text = policy_text(t, "x");
	assert_non_null(strstr(text, "\npipe2 # 1 call by dash\n"));
	assert_non_null(strstr(
		text, "\nclone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD) # 1 call by dash\n"));
	const char *minus = strstr(text, "\n-ioctl # only the values below");
	const char *tcgets = strstr(text, "\nioctl(TCGETS) # 2 calls by ls, cat\n");
	const char *tiocsti =
		strstr(text, "\nioctl(TIOCSTI) # 1 call by vim; beyond cibox's safe form\n");
	const char *winsz = strstr(text, "\nioctl(TIOCGWINSZ) # 1 call by ls\n");
	assert_non_null(minus);
	assert_true(minus && tcgets && tiocsti && winsz && minus < tcgets && tcgets < tiocsti &&
		    tiocsti < winsz);
	assert_non_null(strstr(text, "\n-prctl # never called"));
	assert_null(strstr(text, "\nioctl # "));
	assert_null(strstr(text, "\n-clone"));

	/* Read back, it allows exactly the values seen. */
	cibox_policy *p = cibox_policy_new();
	cibox_error err;
	assert_int_equal(cibox_policy_parse(p, text, "learned.policy", &err), 0);
	int ioctl_nr = sctab_resolve("ioctl"), prctl_nr = sctab_resolve("prctl");
	uint64_t args[6] = { 1, 0x5401 };
	assert_true(policy_allows_call(p, ioctl_nr, args));
	args[1] = 0x541B; /* FIONREAD: in cibox's safe form, but never called */
	assert_false(policy_allows_call(p, ioctl_nr, args));
	args[0] = 15; /* PR_SET_NAME */
	assert_false(policy_allows_call(p, prctl_nr, args));
	args[0] = 0x1200011;
	assert_true(policy_allows_call(p, sctab_resolve("clone"), args));
	args[0] = 0x11;
	assert_false(policy_allows_call(p, sctab_resolve("clone"), args));
	cibox_policy_free(p);
	free(text);
	trace_free(t);
}

static void with_args_per_thread_values_go_to_sections(void **state)
{
	(void)state;
	trace *t = trace_new("@default", true);
	observe_value(t, "prctl", 15, "net", "d");
	observe_value(t, "prctl", 15, "disk", "d");
	observe_value(t, "socket", 1, "net", "d");
	observe_value(t, "ioctl", 0x541B, "disk", "d");
	char *text = policy_text_of(t, "d", true);
	const char *net = strstr(text, "\n[net]\n"), *disk = strstr(text, "\n[disk]\n");
	assert_true(net && disk && net < disk);
	const char *name = strstr(text, "\nprctl(PR_SET_NAME) # 2 calls");
	assert_true(name && name < net);
	assert_true(strstr(text, "\n-ioctl # ") < net);
	assert_non_null(strstr(net, "\nsocket(AF_UNIX) # 1 call"));
	assert_true(strstr(net, "\nsocket(AF_UNIX)") < disk);
	assert_non_null(strstr(disk, "\nioctl(FIONREAD) # 1 call"));

	policy_set *set;
	cibox_error err;
	assert_int_equal(policy_set_parse(text, "learned.policy", &set, &err), 0);
	int socket_nr = sctab_resolve("socket"), ioctl_nr = sctab_resolve("ioctl");
	uint64_t args[6] = { 1, 0x541B };
	assert_true(policy_allows_call(policy_set_for(set, "net"), socket_nr, args));
	assert_false(policy_allows_call(policy_set_for(set, "disk"), socket_nr, args));
	assert_true(policy_allows_call(policy_set_for(set, "disk"), ioctl_nr, args));
	assert_false(policy_allows_call(policy_set_common(set), ioctl_nr, args));
	/* What threads list differently is the supervisor's to decide. */
	assert_true(cibox_policy_allows(policy_set_supervised(set), ioctl_nr));
	assert_true(cibox_policy_allows(policy_set_supervised(set), socket_nr));
	assert_false(cibox_policy_allows(policy_set_supervised(set), sctab_resolve("prctl")));
	policy_set_free(set);
	free(text);
	trace_free(t);
}

static void with_args_too_many_values_fall_back_to_any(void **state)
{
	(void)state;
	trace *t = trace_new("@default", true);
	for (unsigned v = 0; v <= POLICY_VALUES_MAX; v++)
		observe_value(t, "ioctl", 0x1000 + v, "main", "fuzz");
	char *text = policy_text(t, "x");
	assert_non_null(strstr(text, "\n-ioctl # only the values below"));
	assert_non_null(strstr(
		text, "\nioctl(*) # 129 values, more than a policy lists; 129 calls by fuzz\n"));
	assert_null(strstr(text, "\nioctl(0x1000)"));
	cibox_policy *p = cibox_policy_new();
	cibox_error err;
	assert_int_equal(cibox_policy_parse(p, text, "learned.policy", &err), 0);
	assert_int_equal(policy_form(p, sctab_resolve("ioctl")), POLICY_ANY);
	cibox_policy_free(p);
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
		cmocka_unit_test(names_the_traced_program_chose_cannot_add_entries),
		cmocka_unit_test(restricted_calls_that_fit_stay_restricted),
		cmocka_unit_test(with_args_the_kernel_asks_for_every_call_with_values),
		cmocka_unit_test(with_args_each_value_is_an_entry),
		cmocka_unit_test(with_args_per_thread_values_go_to_sections),
		cmocka_unit_test(with_args_too_many_values_fall_back_to_any),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
