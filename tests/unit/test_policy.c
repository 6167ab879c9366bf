#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "sandbox/policy.h"
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
				fail_msg("%s lists '%s', which libseccomp does not know", groups[g].name, *e);
		}
	}
}

static void dangerous_calls_are_in_no_group(void **state)
{
	(void)state;
	static const char *const dangerous[] = {
		"io_uring_setup", "io_uring_enter", "io_uring_register", "ptrace",
		"process_vm_readv", "process_vm_writev", "bpf", "perf_event_open", "userfaultfd",
		"mount", "umount2", "pivot_root", "unshare", "setns", "open_tree", "move_mount",
		"fsopen", "fsmount", "keyctl", "add_key", "request_key", "kexec_load",
		"kexec_file_load", "init_module", "finit_module", "delete_module", "reboot",
		"swapon", "swapoff", "seccomp", "clone3", "personality", "acct",
		"settimeofday", "clock_settime", "chroot", "open_by_handle_at", "uselib",
	};
	size_t count;
	const struct sctab_group *groups = sctab_groups(&count);
	for (size_t g = 0; g < count; g++) {
		cibox_policy *p = from_list(groups[g].name);
		for (size_t i = 0; i < sizeof dangerous / sizeof dangerous[0]; i++) {
			int n = sctab_resolve(dangerous[i]);
			if (n >= 0 && cibox_policy_allows(p, n))
				fail_msg("%s allows %s", groups[g].name, dangerous[i]);
		}
		cibox_policy_free(p);
	}
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
		cmocka_unit_test(counts_and_clones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
