#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sandbox/arg_value.h"
#include "sandbox/policy.h"
#include "sandbox/policy_set.h"
#include "sandbox/syscall_table.h"

static int nr(const char *name)
{
	int n = sctab_resolve(name);
	assert_true(n >= 0);
	return n;
}

static cibox_policy *from_list(const char *list)
{
	cibox_policy *p = cibox_policy_new();
	cibox_error err = { 0 };
	if (cibox_policy_add_list(p, list, &err) < 0)
		fail_msg("%s: %s", list, err.message);
	return p;
}

static void groups_expand_to_their_members(void **state)
{
	(void)state;
	cibox_policy *p = from_list("@default");
	assert_true(cibox_policy_allows(p, nr("read")));
	assert_true(cibox_policy_allows(p, nr("futex")));
	assert_false(cibox_policy_allows(p, nr("openat")));
	assert_false(cibox_policy_allows(p, nr("execve")));
	cibox_policy_free(p);
}

static void restricted_names_get_the_safe_form_unless_starred(void **state)
{
	(void)state;
	cibox_policy *p = from_list("clone, socket(*), read");
	assert_int_equal(policy_form(p, nr("clone")), POLICY_RESTRICTED);
	assert_int_equal(policy_form(p, nr("socket")), POLICY_ANY);
	assert_int_equal(policy_form(p, nr("read")), POLICY_ANY);
	cibox_policy_free(p);
	/* @file-read opens read-only, @file-write with any flags; the union is any. */
	p = from_list("@file-read @file-write");
	assert_int_equal(policy_form(p, nr("openat")), POLICY_ANY);
	cibox_policy_free(p);
}

static void removal_applies_in_order(void **state)
{
	(void)state;
	cibox_policy *p = from_list("@default,-write");
	assert_false(cibox_policy_allows(p, nr("write")));
	assert_true(cibox_policy_allows(p, nr("read")));
	cibox_policy_free(p);
	p = from_list("-write,@default");
	assert_true(cibox_policy_allows(p, nr("write")));
	cibox_policy_free(p);
	p = from_list("@default,@network,-@network");
	assert_false(cibox_policy_allows(p, nr("connect")));
	assert_true(cibox_policy_allows(p, nr("read")));
	cibox_policy_free(p);
}

static void expect_error(const char *list, const char *message)
{
	cibox_policy *p = cibox_policy_new();
	cibox_error err = { 0 };
	assert_int_equal(cibox_policy_add_list(p, list, &err), -EINVAL);
	if (!strstr(err.message, message))
		fail_msg("'%s' gave '%s', expected '%s'", list, err.message, message);
	cibox_policy_free(p);
}

static void bad_entries_are_named(void **state)
{
	(void)state;
	expect_error("@default,frobnicate", "unknown syscall 'frobnicate'");
	expect_error("@nope", "unknown group '@nope'");
	expect_error("socketcall", "does not exist on this architecture");
	expect_error("-read(*)", "malformed entry '-read(*)'");
	expect_error("re/ad", "malformed entry");
	expect_error("", "the policy is empty");
	expect_error(" , ,", "the policy is empty");
}

static void files_report_origin_and_line(void **state)
{
	(void)state;
	cibox_policy *p = cibox_policy_new();
	cibox_error err = { 0 };
	const char *text = "# a daemon's policy\n@default\n\n  futex   # again\nbogus_call\n";
	assert_int_equal(cibox_policy_parse(p, text, "net.policy", &err), -EINVAL);
	assert_string_equal(err.message, "net.policy:5: unknown syscall 'bogus_call'");
	cibox_policy_free(p);

	p = cibox_policy_new();
	assert_int_equal(cibox_policy_parse(p, "read write\n", "x.policy", &err), -EINVAL);
	assert_string_equal(err.message, "x.policy:1: one entry per line, found 'read write'");
	cibox_policy_free(p);

	p = cibox_policy_new();
	assert_int_equal(cibox_policy_parse(p, "# nothing\n\n", "empty.policy", &err), -EINVAL);
	assert_string_equal(err.message, "empty.policy: the policy is empty");
	cibox_policy_free(p);

	p = cibox_policy_new();
	assert_int_equal(cibox_policy_parse(p, "@default\n-write\nopenat(*)", "ok.policy", &err), 0);
	assert_false(cibox_policy_allows(p, nr("write")));
	assert_int_equal(policy_form(p, nr("openat")), POLICY_ANY);
	cibox_policy_free(p);
}

static void files_that_cannot_be_read_are_named(void **state)
{
	(void)state;
	cibox_policy *p = cibox_policy_new();
	cibox_error err = { 0 };
	assert_int_equal(cibox_policy_load_file(p, "/nonexistent/x.policy", &err), -ENOENT);
	assert_string_equal(err.message, "/nonexistent/x.policy: No such file or directory");
	assert_int_equal(cibox_policy_load_file(p, "/", &err), -EINVAL);
	assert_non_null(strstr(err.message, "not a policy file"));

	char path[] = "/tmp/cibox-policy-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "@default\n", 9), 9);
	close(fd);
	assert_int_equal(cibox_policy_load_file(p, path, &err), 0);
	assert_true(cibox_policy_allows(p, nr("read")));
	unlink(path);
	cibox_policy_free(p);
}

/* A misspelt name in the table would silently allow less than documented. */
static void every_table_entry_is_a_real_syscall(void **state)
{
	(void)state;
	size_t count;
	const struct sctab_group *groups = sctab_groups(&count);
	assert_true(count >= 10);
	for (size_t g = 0; g < count; g++) {
		for (const char *const *e = groups[g].entries; *e; e++) {
			char name[64];
			snprintf(name, sizeof name, "%.*s", (int)strcspn(*e, "("), *e);
			if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
				fail_msg("%s lists '%s', which libseccomp does not know",
					 groups[g].name, *e);
		}
	}
}

static void dangerous_calls_are_in_no_group(void **state)
{
	(void)state;
	static const char *const dangerous[] = {
		"io_uring_setup",
		"io_uring_enter",
		"io_uring_register",
		"ptrace",
		"process_vm_readv",
		"process_vm_writev",
		"bpf",
		"perf_event_open",
		"userfaultfd",
		"mount",
		"umount2",
		"pivot_root",
		"unshare",
		"setns",
		"open_tree",
		"move_mount",
		"fsopen",
		"fsmount",
		"keyctl",
		"add_key",
		"request_key",
		"kexec_load",
		"kexec_file_load",
		"init_module",
		"finit_module",
		"delete_module",
		"reboot",
		"swapon",
		"swapoff",
		"seccomp",
		"clone3",
		"personality",
		"acct",
		"settimeofday",
		"clock_settime",
		"chroot",
		"open_by_handle_at",
		"uselib",
	};
	size_t count;
	const struct sctab_group *groups = sctab_groups(&count);
	for (size_t g = 0; g < count; g++) {
		/* The sanitizer runtimes' group is only ever added for them, and
		 * holds ptrace in the requests of LeakSanitizer's alone (below). */
		bool runtime = strcmp(groups[g].name, "@sanitizer") == 0;
		cibox_policy *p = from_list(groups[g].name);
		for (size_t i = 0; i < sizeof dangerous / sizeof dangerous[0]; i++) {
			int n = sctab_resolve(dangerous[i]);
			if (runtime && strcmp(dangerous[i], "ptrace") == 0)
				continue;
			if (n >= 0 && cibox_policy_allows(p, n))
				fail_msg("%s allows %s", groups[g].name, dangerous[i]);
		}
		cibox_policy_free(p);
	}
}

/* LeakSanitizer stops, reads the registers of and lets go the threads of its
 * own process: never the requests that read or write a tracee's memory,
 * change its registers or make the caller a tracee. */
static void the_sanitizer_group_allows_only_stopping_the_world(void **state)
{
	(void)state;
	cibox_policy *p = from_list("@sanitizer");
	int ptrace = nr("ptrace");
	assert_int_equal(policy_form(p, ptrace), POLICY_REFUSED);
	static const long refused[] = { PTRACE_TRACEME,   PTRACE_PEEKDATA,   PTRACE_POKEDATA,
					PTRACE_POKETEXT,  PTRACE_POKEUSER,   PTRACE_SEIZE,
					PTRACE_SETREGSET, PTRACE_SETOPTIONS, PTRACE_SYSCALL };
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
		assert_false(policy_has_value(p, ptrace, (uint32_t)refused[i]));
	assert_true(policy_has_value(p, ptrace, PTRACE_ATTACH));
	assert_true(policy_has_value(p, ptrace, PTRACE_DETACH));
	/* its tracer: a task sharing the memory, with no exit signal */
	assert_true(policy_has_value(p, nr("clone"),
				     CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_UNTRACED));
	assert_true(policy_has_value(p, nr("prctl"), PR_SET_PTRACER));
	uint64_t write_open[6] = { 0, O_WRONLY | O_CREAT };
	assert_false(policy_allows_call(p, nr("open"), write_open));
	cibox_policy_free(p);
}

static void argument_values_by_name_and_number(void **state)
{
	(void)state;
	cibox_policy *p = from_list("-ioctl, ioctl(TCGETS, 0x541B), ioctl( 21523 ),socket(AF_UNIX),"
				    "clone(CLONE_VM|CLONE_VFORK|SIGCHLD, 0x1200011)");
	unsigned count;
	const uint32_t *v = policy_values(p, nr("ioctl"), &count);
	assert_int_equal(count, 3);
	assert_int_equal(v[0], 0x5401); /* TCGETS */
	assert_int_equal(v[1], 0x5413); /* TIOCGWINSZ, as a decimal number */
	assert_int_equal(v[2], 0x541B); /* FIONREAD */
	assert_int_equal(policy_form(p, nr("ioctl")), POLICY_REFUSED);
	assert_true(cibox_policy_allows(p, nr("ioctl")));
	assert_true(policy_has_value(p, nr("socket"), 1));
	v = policy_values(p, nr("clone"), &count);
	assert_int_equal(count, 2);
	assert_int_equal(v[0], 0x4111);
	assert_int_equal(v[1], 0x1200011);
	assert_int_equal(cibox_policy_count(p), 3);
	/* Again is no second value; removal takes values with the form. */
	cibox_error err;
	assert_int_equal(cibox_policy_add(p, "ioctl(FIONREAD)", &err), 0);
	policy_values(p, nr("ioctl"), &count);
	assert_int_equal(count, 3);
	assert_int_equal(cibox_policy_add(p, "-ioctl", &err), 0);
	assert_false(cibox_policy_allows(p, nr("ioctl")));
	/* Any arguments hold every value. */
	assert_int_equal(cibox_policy_add(p, "socket(*)", &err), 0);
	assert_int_equal(cibox_policy_add(p, "socket(AF_INET)", &err), 0);
	assert_null(policy_values(p, nr("socket"), &count));
	cibox_policy_free(p);
}

static void argument_values_are_written_as_they_are_read(void **state)
{
	(void)state;
	size_t count;
	const struct sctab_argument *args = sctab_arguments(&count);
	char text[ARGVAL_TEXT_MAX];
	cibox_error err;
	for (size_t a = 0; a < count; a++) {
		for (size_t i = 0; i < args[a].symbol_count; i++) {
			uint32_t value = args[a].symbols[i].value, back;
			argval_format(&args[a], value, text, sizeof text);
			if (!args[a].flags || value > 0xff)
				assert_string_equal(text, args[a].symbols[i].name);
			assert_int_equal(argval_parse(&args[a], text, strlen(text), &back, &err), 0);
			assert_int_equal(back, value);
		}
	}
	const struct sctab_argument *clone = sctab_argument_find("clone");
	argval_format(clone, 0x1200011, text, sizeof text);
	assert_string_equal(text, "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD");
	argval_format(clone, 0x3d0f00, text, sizeof text);
	assert_string_equal(text,
			    "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|"
			    "CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID");
	argval_format(clone, 0, text, sizeof text);
	assert_string_equal(text, "0");
	argval_format(clone, 0x100 | 40, text, sizeof text);
	assert_string_equal(text, "CLONE_VM|40");
	argval_format(sctab_argument_find("ioctl"), 0xc0045877, text, sizeof text);
	assert_string_equal(text, "0xc0045877");
	argval_format(sctab_argument_find("socket"), 38, text, sizeof text);
	assert_string_equal(text, "AF_ALG");
	argval_format(sctab_argument_find("socket"), 44, text, sizeof text);
	assert_string_equal(text, "AF_XDP");
	argval_format(sctab_argument_find("socket"), 3, text, sizeof text);
	assert_string_equal(text, "3");
}

/* Whether a value fits cibox's safe form must be a question about the value
 * alone, and a value must be written one way only. */
static void argument_tables_are_consistent(void **state)
{
	(void)state;
	size_t count;
	const struct sctab_argument *args = sctab_arguments(&count);
	assert_true(count <= SCTAB_ARGUMENT_MAX);
	for (size_t a = 0; a < count; a++) {
		assert_true(sctab_resolve(args[a].syscall) >= 0);
		/* ptrace has values but no safe form: no group allows it whole. */
		const struct sctab_restriction *r = sctab_restriction_find(args[a].syscall);
		for (unsigned i = 0; r && i < r->count; i++)
			for (unsigned c = 0; c < r->alt[i].count; c++)
				assert_int_equal(r->alt[i].cond[c].arg, args[a].arg);
		for (size_t i = 0; i < args[a].symbol_count; i++)
			for (size_t j = i + 1; j < args[a].symbol_count; j++) {
				if (args[a].symbols[i].value == args[a].symbols[j].value ||
				    !strcmp(args[a].symbols[i].name, args[a].symbols[j].name))
					fail_msg("%s: %s and %s", args[a].syscall,
						 args[a].symbols[i].name, args[a].symbols[j].name);
			}
	}
	assert_true(policy_value_fits_restriction(nr("ioctl"), 0x5401));
	assert_false(policy_value_fits_restriction(nr("ioctl"), 0x5412));     /* TIOCSTI */
	assert_false(policy_value_fits_restriction(nr("clone"), 0x10000011)); /* CLONE_NEWUSER */
	assert_false(policy_value_fits_restriction(nr("read"), 0));
}

static void bad_argument_values_are_named(void **state)
{
	(void)state;
	expect_error("ioctl(TCGETZ)", "unknown request 'TCGETZ' for ioctl (a number is fine too)");
	expect_error("socket(AF_UNIX|AF_INET)", "'|' joins flags, but socket's family is one value");
	expect_error("clone(CLONE_VM|)", "an empty flag in clone's values");
	expect_error("ioctl(TCGETS,,FIONREAD)", "an empty request in ioctl's values");
	expect_error("ioctl(0x1ffffffff)", "'0x1ffffffff' is not a number of 32 bits");
	expect_error("ioctl(12ab)", "'12ab' is not a number");
	expect_error("ioctl(010)", "'010' is not a number of 32 bits (decimal without a leading 0");
	expect_error("socket(-1)", "'-1': values are not negative");
	expect_error(
		"read(1)",
		"'read' takes no argument values; only clone, socket, socketpair, ioctl, prctl and ptrace do");
	expect_error("ioctl()", "no values in 'ioctl()'");
	expect_error("ioctl(TCGETS", "missing ')' at the end of 'ioctl(TCGETS'");
	expect_error("-ioctl(TCGETS)",
		     "'-' takes out a whole syscall, without values: '-ioctl(TCGETS)'");
	expect_error("ioctl(TCGETS)(1)", "malformed entry");
	expect_error("prctl(PR_SET_NAME,TCGETS)", "unknown option 'TCGETS' for prctl");

	char list[8192] = "ioctl(";
	for (unsigned v = 0; v <= POLICY_VALUES_MAX; v++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%u", v ? "," : "", v);
	strcat(list, ")");
	expect_error(list, "more than 128 values for ioctl");

	/* A bad value changes nothing. */
	cibox_policy *p = from_list("ioctl(TCGETS)");
	cibox_error err;
	assert_int_equal(cibox_policy_add(p, "ioctl(FIONREAD, nope)", &err), -EINVAL);
	unsigned count;
	policy_values(p, nr("ioctl"), &count);
	assert_int_equal(count, 1);
	cibox_policy_free(p);
}

static void files_take_argument_values_with_blanks(void **state)
{
	(void)state;
	cibox_policy *p = cibox_policy_new();
	cibox_error err = { 0 };
	const char *text = "@default\n-ioctl\nioctl(TCGETS, FIONREAD)  # a comment\n"
			   "socket( AF_UNIX ,AF_INET6 )\n";
	assert_int_equal(cibox_policy_parse(p, text, "v.policy", &err), 0);
	assert_true(policy_has_value(p, nr("ioctl"), 0x541B));
	assert_true(policy_has_value(p, nr("socket"), 10));
	cibox_policy_free(p);

	p = cibox_policy_new();
	assert_int_equal(cibox_policy_parse(p, "@default\nioctl(TCGETS) read\n", "v.policy", &err),
			 -EINVAL);
	assert_string_equal(err.message,
			    "v.policy:2: one entry per line, found 'ioctl(TCGETS) read'");
	cibox_policy_free(p);

	p = cibox_policy_new();
	assert_int_equal(cibox_policy_parse(p, "@default\n\nprctl(PR_SET_NAME, PR_NOPE)\n",
					    "v.policy", &err),
			 -EINVAL);
	assert_string_equal(err.message,
			    "v.policy:3: unknown option 'PR_NOPE' for prctl (a number is fine too)");
	cibox_policy_free(p);
}

static void counts_and_clones(void **state)
{
	(void)state;
	cibox_policy *p = from_list("read,write");
	assert_int_equal(cibox_policy_count(p), 2);
	cibox_policy *copy = policy_clone(p);
	cibox_error err;
	assert_int_equal(cibox_policy_add(copy, "close", &err), 0);
	assert_int_equal(cibox_policy_count(copy), 3);
	assert_int_equal(cibox_policy_count(p), 2);
	cibox_policy_free(copy);
	cibox_policy_free(p);
}

/* A thread name is written as a section only where it reads back as itself. */
static void thread_names_a_section_can_hold(void **state)
{
	(void)state;
	static const char *const fit[] = { "net", "a b", "x", "123456789012345", "msghand" };
	static const char *const unfit[] = {
		"", "1234567890123456", "a#b", "[a", "a]", " net", "net ", "a\tb", "a\nb"
	};
	for (size_t i = 0; i < sizeof fit / sizeof fit[0]; i++) {
		assert_true(policy_set_can_name(fit[i]));
		char text[64];
		snprintf(text, sizeof text, "@default\n[%s]\n@network\n", fit[i]);
		policy_set *set = NULL;
		cibox_error err = { 0 };
		assert_int_equal(policy_set_parse(text, "t.policy", &set, &err), 0);
		assert_string_equal(policy_set_section(set, 0), fit[i]);
		policy_set_free(set);
	}
	for (size_t i = 0; i < sizeof unfit / sizeof unfit[0]; i++)
		assert_false(policy_set_can_name(unfit[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(groups_expand_to_their_members),
		cmocka_unit_test(restricted_names_get_the_safe_form_unless_starred),
		cmocka_unit_test(removal_applies_in_order),
		cmocka_unit_test(bad_entries_are_named),
		cmocka_unit_test(files_report_origin_and_line),
		cmocka_unit_test(files_that_cannot_be_read_are_named),
		cmocka_unit_test(every_table_entry_is_a_real_syscall),
		cmocka_unit_test(dangerous_calls_are_in_no_group),
		cmocka_unit_test(the_sanitizer_group_allows_only_stopping_the_world),
		cmocka_unit_test(argument_values_by_name_and_number),
		cmocka_unit_test(argument_values_are_written_as_they_are_read),
		cmocka_unit_test(argument_tables_are_consistent),
		cmocka_unit_test(bad_argument_values_are_named),
		cmocka_unit_test(files_take_argument_values_with_blanks),
		cmocka_unit_test(counts_and_clones),
		cmocka_unit_test(thread_names_a_section_can_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
