/* The filter programs, checked in a BPF simulator: what they answer for
 * each kind of call, and that number-only verdicts stay cacheable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/prctl.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "bpf_sim.h"
#include "sandbox/filter.h"
#include "sandbox/policy.h"
#include "sandbox/syscall_table.h"

#define RET_ENOSYS (SECCOMP_RET_ERRNO | ENOSYS)

struct compiled {
	struct filter_program prog;
	cibox_policy *policy;
};

static struct compiled compile(const char *list, uint32_t violation, bool notify_exec,
			       bool guard_sigsys)
{
	struct compiled c = { .policy = cibox_policy_new() };
	cibox_error err = { 0 };
	if (cibox_policy_add_list(c.policy, list, &err) < 0)
		fail_msg("%s", err.message);
	struct filter_spec spec = { violation, notify_exec, guard_sigsys, NULL, false };
	if (filter_build(c.policy, &spec, -1, &c.prog, &err) < 0)
		fail_msg("%s", err.message);
	return c;
}

static void release(struct compiled *c)
{
	filter_program_free(&c->prog);
	cibox_policy_free(c->policy);
}

static uint32_t ask_arch(const struct compiled *c, uint32_t arch, int nr, uint64_t a0, uint64_t a1,
			 uint64_t a2, uint64_t a3)
{
	struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0, a1, a2, a3 } };
	struct bpf_verdict v = bpf_run(c->prog.insns, c->prog.len, &d);
	assert_true(v.ok);
	return v.action;
}

static uint32_t ask(const struct compiled *c, const char *name, uint64_t a0, uint64_t a1,
		    uint64_t a2, uint64_t a3)
{
	return ask_arch(c, seccomp_arch_native(), sctab_resolve(name), a0, a1, a2, a3);
}

static void allowed_refused_and_newer_calls(void **state)
{
	(void)state;
	struct compiled c = compile("@default", SCMP_ACT_TRAP, false, false);
	assert_int_equal(ask(&c, "getppid", 0, 0, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "ptrace", 0, 0, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "execve", 0, 0, 0, 0), SECCOMP_RET_TRAP);
	/* Past the table: a newer C library's probe falls back instead of dying. */
	int newer = sctab_newest_known() + 1;
	assert_int_equal(ask_arch(&c, seccomp_arch_native(), newer, 0, 0, 0, 0), RET_ENOSYS);
	assert_int_equal(ask_arch(&c, seccomp_arch_native(), 1000, 0, 0, 0, 0), RET_ENOSYS);
	release(&c);
}

static void foreign_architectures_and_x32_are_killed(void **state)
{
	(void)state;
	/* As libcibox builds the program, and as the supervisor does, with the
	 * start's rule between the prefix and libseccomp's program. */
	for (int supervised = 0; supervised < 2; supervised++) {
		struct compiled c = compile("@default,@process", SCMP_ACT_TRAP, supervised, false);
		char *argv[] = { "command", NULL };
		uint64_t start = (uint64_t)(uintptr_t)argv;
		if (supervised)
			assert_int_equal(filter_mark_start(&c.prog, argv), 0);
		int execve_nr = sctab_resolve("execve");
		assert_int_equal(ask_arch(&c, AUDIT_ARCH_I386, 20, 0, 0, 0, 0),
				 SECCOMP_RET_KILL_PROCESS);
		assert_int_equal(ask_arch(&c, AUDIT_ARCH_I386, execve_nr, 0, start, 0, 0),
				 SECCOMP_RET_KILL_PROCESS);
		assert_int_equal(ask_arch(&c, AUDIT_ARCH_AARCH64, 172, 0, 0, 0, 0),
				 SECCOMP_RET_KILL_PROCESS);
		if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
			int getpid_nr = sctab_resolve("getpid");
			assert_int_equal(
				ask_arch(&c, AUDIT_ARCH_X86_64, 0x40000000 | getpid_nr, 0, 0, 0, 0),
				SECCOMP_RET_KILL_PROCESS);
			assert_int_equal(ask_arch(&c, AUDIT_ARCH_X86_64, 0x40000000 | execve_nr, 0,
						  start, 0, 0),
					 SECCOMP_RET_KILL_PROCESS);
		}
		assert_int_equal(ask_arch(&c, seccomp_arch_native(), 5000, 0, start, 0, 0),
				 RET_ENOSYS);
		release(&c);
	}
}

static void clone3_answers_enosys_even_when_allowed(void **state)
{
	(void)state;
	struct compiled c = compile("@process,clone3", SCMP_ACT_KILL_PROCESS, false, false);
	assert_int_equal(ask(&c, "clone3", 0, 0, 0, 0), RET_ENOSYS);
	release(&c);
}

static void clone_without_namespace_flags_only(void **state)
{
	(void)state;
	struct compiled c = compile("@process", SCMP_ACT_TRAP, false, false);
	uint64_t thread_flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
				CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
				CLONE_CHILD_CLEARTID;
	assert_int_equal(ask(&c, "clone", SIGCHLD, 0, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "clone", thread_flags, 0, 0, 0), SECCOMP_RET_ALLOW);
	static const uint64_t ns[] = { CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWPID,   CLONE_NEWNET,
				       CLONE_NEWIPC,  CLONE_NEWUTS, CLONE_NEWCGROUP };
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++)
		assert_int_equal(ask(&c, "clone", SIGCHLD | ns[i], 0, 0, 0), SECCOMP_RET_TRAP);
	release(&c);
}

static void socket_families_and_ioctl_requests(void **state)
{
	(void)state;
	struct compiled c = compile("@default,@network", SCMP_ACT_TRAP, false, false);
	assert_int_equal(ask(&c, "socket", AF_INET, SOCK_STREAM, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "socket", AF_UNIX, SOCK_STREAM, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "socket", AF_PACKET, SOCK_RAW, 0, 0), SECCOMP_RET_TRAP);
	/* High bits the kernel would drop must not smuggle a family through. */
	assert_int_equal(ask(&c, "socket", (1ULL << 32) | AF_PACKET, SOCK_RAW, 0, 0),
			 SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "ioctl", 1, TCGETS, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "ioctl", 1, TIOCSTI, 0, 0), SECCOMP_RET_TRAP);
	release(&c);
}

/* F_SETOWN, F_SETSIG and O_ASYNC make the kernel signal a descriptor's owner,
 * any process of the user: @signal's, not @default's. */
static void fcntl_and_ioctl_arrange_no_signal_by_default(void **state)
{
	(void)state;
	struct compiled c = compile("@default", SCMP_ACT_TRAP, false, false);
	static const uint64_t allowed[] = { F_DUPFD,      F_GETFD,     F_SETFD,     F_GETFL,
					    F_GETLK,      F_SETLK,     F_SETLKW,    F_GETOWN,
					    F_GETSIG,     F_GETOWN_EX, F_OFD_GETLK, F_OFD_SETLK,
					    F_OFD_SETLKW, F_SETLEASE,  F_NOTIFY,    F_DUPFD_CLOEXEC,
					    F_SETPIPE_SZ, F_ADD_SEALS, F_GET_SEALS };
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (ask(&c, "fcntl", 1, allowed[i], 0, 0) != SECCOMP_RET_ALLOW)
			fail_msg("fcntl command %llu refused", (unsigned long long)allowed[i]);
	assert_int_equal(ask(&c, "fcntl", 1, F_SETFL, O_NONBLOCK | O_APPEND, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "fcntl", 1, F_SETFL, O_NONBLOCK | O_ASYNC, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "fcntl", 1, F_SETOWN, 1234, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "fcntl", 1, F_SETOWN_EX, 0x7fff0000, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "fcntl", 1, F_SETSIG, SIGKILL, 0), SECCOMP_RET_TRAP);
	/* The kernel reads the command's low 32 bits, and F_SETFL's flags'. */
	assert_int_equal(ask(&c, "fcntl", 1, (1ULL << 32) | F_SETOWN, 1234, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "fcntl", 1, (1ULL << 32) | F_GETFL, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "fcntl", 1, F_SETFL, (1ULL << 32) | O_ASYNC, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "ioctl", 1, FIOASYNC, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "ioctl", 1, FIOSETOWN, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "ioctl", 1, SIOCSPGRP, 0, 0), SECCOMP_RET_TRAP);
	release(&c);

	c = compile("@default,@signal", SCMP_ACT_TRAP, false, false);
	assert_int_equal(ask(&c, "fcntl", 1, F_SETOWN, 1234, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "fcntl", 1, F_SETSIG, SIGKILL, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "fcntl", 1, F_SETFL, O_ASYNC, 0), SECCOMP_RET_ALLOW);
	release(&c);
}

/* Where the supervisor judges signals by their target, the calls that signal
 * go to it, in every mode, and fcntl's safe form stays in the kernel. */
static void the_supervisor_judges_the_calls_that_signal(void **state)
{
	(void)state;
	static const uint32_t violations[] = { SCMP_ACT_NOTIFY, SCMP_ACT_KILL_PROCESS };
	for (size_t m = 0; m < 2; m++) {
		uint32_t refused = violations[m] == SCMP_ACT_NOTIFY ? SECCOMP_RET_USER_NOTIF
								    : SECCOMP_RET_KILL_PROCESS;
		cibox_error err;
		struct compiled c = { .policy = cibox_policy_new() };
		assert_int_equal(cibox_policy_add_list(c.policy, "@default,@signal", &err), 0);
		struct filter_spec spec = { violations[m], true, false, NULL, true };
		assert_int_equal(filter_build(c.policy, &spec, -1, &c.prog, &err), 0);
		static const char *const signalling[] = { "kill",
							  "tkill",
							  "tgkill",
							  "rt_sigqueueinfo",
							  "rt_tgsigqueueinfo",
							  "pidfd_send_signal" };
		for (size_t i = 0; i < sizeof signalling / sizeof signalling[0]; i++)
			if (ask(&c, signalling[i], 1, 2, 3, 0) != SECCOMP_RET_USER_NOTIF)
				fail_msg("%s does not go to the supervisor", signalling[i]);
		assert_int_equal(ask(&c, "fcntl", 1, F_SETOWN, 1234, 0), SECCOMP_RET_USER_NOTIF);
		assert_int_equal(ask(&c, "fcntl", 1, F_SETOWN_EX, 0, 0), SECCOMP_RET_USER_NOTIF);
		assert_int_equal(ask(&c, "fcntl", 1, F_SETSIG, SIGKILL, 0), SECCOMP_RET_USER_NOTIF);
		assert_int_equal(ask(&c, "fcntl", 1, F_SETFL, O_ASYNC, 0), SECCOMP_RET_USER_NOTIF);
		assert_int_equal(ask(&c, "fcntl", 1, F_SETFL, O_NONBLOCK, 0), SECCOMP_RET_ALLOW);
		assert_int_equal(ask(&c, "fcntl", 1, F_GETFL, 0, 0), SECCOMP_RET_ALLOW);
		assert_int_equal(ask(&c, "rt_sigprocmask", 0, 0, 0, 0), SECCOMP_RET_ALLOW);
		assert_int_equal(ask(&c, "ptrace", 0, 0, 0, 0), refused);
		release(&c);

		/* Without @signal: tgkill (raise, abort) is @default's, kill is
		 * refused, and so are fcntl's forms beyond its safe form. */
		c = (struct compiled){ .policy = cibox_policy_new() };
		assert_int_equal(cibox_policy_add_list(c.policy, "@default", &err), 0);
		assert_int_equal(filter_build(c.policy, &spec, -1, &c.prog, &err), 0);
		assert_int_equal(ask(&c, "tgkill", 1, 2, 3, 0), SECCOMP_RET_USER_NOTIF);
		assert_int_equal(ask(&c, "kill", 1, 9, 0, 0), refused);
		assert_int_equal(ask(&c, "fcntl", 1, F_SETOWN, 1234, 0), refused);
		assert_int_equal(ask(&c, "fcntl", 1, F_GETFD, 0, 0), SECCOMP_RET_ALLOW);
		release(&c);
	}
	/* libcibox and jails: tgkill stays in the kernel. */
	struct compiled c = compile("@default", SCMP_ACT_KILL_PROCESS, true, false);
	assert_int_equal(ask(&c, "tgkill", 1, 2, 3, 0), SECCOMP_RET_ALLOW);
	release(&c);
}

/* fcntl's safe form, checked by the supervisor in user space, answers as the
 * kernel's filter does, for every command there is and then some. */
static void user_space_agrees_on_fcntl(void **state)
{
	(void)state;
	struct compiled c = compile("@default", SCMP_ACT_TRAP, false, false);
	int nr = sctab_resolve("fcntl");
	static const uint64_t high[] = { 0, 1ULL << 32 };
	static const uint64_t flags[] = { 0, O_NONBLOCK, O_ASYNC, O_ASYNC | O_APPEND };
	for (uint64_t cmd = 0; cmd < 2200; cmd++)
		for (size_t h = 0; h < 2; h++)
			for (size_t f = 0; f < sizeof flags / sizeof flags[0]; f++) {
				uint64_t args[6] = { 1, cmd | high[h], flags[f] | high[h], 0, 0, 0 };
				struct seccomp_data d = { .nr = nr, .arch = seccomp_arch_native() };
				memcpy(d.args, args, sizeof d.args);
				struct bpf_verdict v = bpf_run(c.prog.insns, c.prog.len, &d);
				assert_true(v.ok);
				bool kernel = v.action == SECCOMP_RET_ALLOW;
				if (kernel != policy_allows_call(c.policy, nr, args))
					fail_msg("fcntl(%#llx, %#llx): the filter says %s",
						 (unsigned long long)args[1],
						 (unsigned long long)args[2],
						 kernel ? "allow" : "refuse");
				bool signals = cmd == F_SETOWN || cmd == F_SETOWN_EX ||
					       cmd == F_SETSIG ||
					       (cmd == F_SETFL && (flags[f] & O_ASYNC));
				if (signals && kernel)
					fail_msg("fcntl(%llu, %#llx) allowed",
						 (unsigned long long)cmd,
						 (unsigned long long)flags[f]);
			}
	release(&c);
}

static void listed_values_allow_exactly_those(void **state)
{
	(void)state;
	struct compiled c =
		compile("@default,-ioctl,ioctl(TCGETS, FIONREAD)", SCMP_ACT_TRAP, false, false);
	assert_int_equal(ask(&c, "ioctl", 1, TCGETS, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "ioctl", 1, FIONREAD, 0, 0), SECCOMP_RET_ALLOW);
	/* In cibox's safe form, but not listed. */
	assert_int_equal(ask(&c, "ioctl", 1, TIOCGWINSZ, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "ioctl", 1, TIOCSTI, 0, 0), SECCOMP_RET_TRAP);
	/* The kernel reads the low 32 bits: upper ones neither pass nor fail a call. */
	assert_int_equal(ask(&c, "ioctl", 1, (0xdeadULL << 32) | TCGETS, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "ioctl", 1, (0xdeadULL << 32) | TIOCSTI, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "ioctl", 1, (uint64_t)TCGETS << 32, 0, 0), SECCOMP_RET_TRAP);
	release(&c);

	/* clone's flags are one exact value each, not a mask. */
	const uint64_t fork_flags = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD;
	c = compile("@default,clone(CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID|SIGCHLD)",
		    SCMP_ACT_TRAP, false, false);
	assert_int_equal(ask(&c, "clone", fork_flags, 0, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "clone", (1ULL << 40) | fork_flags, 0, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "clone", SIGCHLD, 0, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "clone", fork_flags | CLONE_NEWUSER, 0, 0, 0), SECCOMP_RET_TRAP);
	release(&c);
}

static void values_add_to_the_safe_form(void **state)
{
	(void)state;
	struct compiled c =
		compile("@default,ioctl(TIOCSTI),prctl(PR_SET_MM)", SCMP_ACT_TRAP, false, false);
	assert_int_equal(ask(&c, "ioctl", 1, TCGETS, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "ioctl", 1, TIOCSTI, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "ioctl", 1, TIOCLINUX, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "prctl", PR_SET_NAME, 0, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "prctl", PR_SET_MM, 0, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "prctl", PR_SET_SECCOMP, 0, 0, 0), SECCOMP_RET_TRAP);
	release(&c);
}

/* The supervisor judges per-thread calls in user space: it must answer
 * exactly what the kernel's filter answers. */
static void user_space_agrees_with_the_filter(void **state)
{
	(void)state;
	struct compiled c = compile("@default,@network,-ioctl,ioctl(TCGETS, 0x5413),-socket,"
				    "socket(AF_INET6, AF_NETLINK),prctl(PR_SET_VMA),"
				    "clone(CLONE_VM|CLONE_VFORK|SIGCHLD)",
				    SCMP_ACT_TRAP, false, false);
	static const char *const names[] = { "ioctl", "socket", "prctl", "clone" };
	static const uint64_t values[] = { TCGETS,     TIOCGWINSZ, TIOCSTI,
					   AF_UNIX,    AF_INET,    AF_INET6,
					   AF_NETLINK, AF_PACKET,  PR_SET_NAME,
					   PR_SET_VMA, PR_SET_MM,  CLONE_VM | CLONE_VFORK | SIGCHLD,
					   SIGCHLD,    0 };
	static const uint64_t high[] = { 0, 1ULL << 32, 0xffffffff00000000ULL };
	for (size_t n = 0; n < sizeof names / sizeof names[0]; n++) {
		int nr = sctab_resolve(names[n]);
		unsigned arg = sctab_argument_find(names[n])->arg;
		for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
			for (size_t h = 0; h < sizeof high / sizeof high[0]; h++) {
				uint64_t args[6] = { 1, 1, 1, 0, 0, 0 };
				args[arg] = values[v] | high[h];
				struct seccomp_data d = { .nr = nr, .arch = seccomp_arch_native() };
				memcpy(d.args, args, sizeof d.args);
				struct bpf_verdict verdict = bpf_run(c.prog.insns, c.prog.len, &d);
				assert_true(verdict.ok);
				bool kernel = verdict.action == SECCOMP_RET_ALLOW;
				if (kernel != policy_allows_call(c.policy, nr, args))
					fail_msg("%s(%#llx): the filter says %s", names[n],
						 (unsigned long long)args[arg],
						 kernel ? "allow" : "refuse");
			}
		}
	}
	release(&c);
}

/* Every syscall with values at the most a policy may list still fits the
 * kernel's limit of 4096 instructions, on top of every group. */
static void the_most_values_fit_in_a_filter(void **state)
{
	(void)state;
	char list[16384] = "@default,@file-read,@file-write,@network,@process,@signal,@thread,"
			   "@time,@ipc,@system-info";
	size_t count;
	const struct sctab_argument *args = sctab_arguments(&count);
	for (size_t a = 0; a < count; a++) {
		snprintf(list + strlen(list), sizeof list - strlen(list), ",%s(", args[a].syscall);
		for (unsigned v = 0; v < POLICY_VALUES_MAX; v++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%#x",
				 v ? "," : "", 0x1000u + 0x10u * v);
		snprintf(list + strlen(list), sizeof list - strlen(list), ")");
	}
	struct compiled c = compile(list, SCMP_ACT_TRAP, false, true);
	assert_true(c.prog.len <= BPF_MAXINSNS);
	assert_int_equal(ask(&c, "ioctl", 1, 0x1000 + 0x10 * (POLICY_VALUES_MAX - 1), 0, 0),
			 SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "ioctl", 1, 0x1008, 0, 0), SECCOMP_RET_TRAP);
	release(&c);
}

static void the_name_service_probe_is_refused_quietly(void **state)
{
	(void)state;
	const uint64_t nscd = SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK;
	struct compiled c = compile("@default,@file-read", SCMP_ACT_TRAP, false, false);
	assert_int_equal(ask(&c, "socket", AF_UNIX, nscd, 0, 0), SECCOMP_RET_ERRNO | EACCES);
	/* Any other socket is still a violation. */
	assert_int_equal(ask(&c, "socket", AF_UNIX, SOCK_STREAM, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "socket", AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, 0),
			 SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "socket", AF_INET, nscd, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "socket", (1ULL << 32) | AF_UNIX, nscd, 0, 0), SECCOMP_RET_TRAP);
	release(&c);

	/* A policy that allows the socket lets the probe reach nscd. */
	struct compiled n = compile("@default,@network", SCMP_ACT_TRAP, false, false);
	assert_int_equal(ask(&n, "socket", AF_UNIX, nscd, 0, 0), SECCOMP_RET_ALLOW);
	release(&n);
	/* So do listed values with AF_UNIX; without it, the probe stays quiet. */
	n = compile("@default,socket(AF_UNIX)", SCMP_ACT_TRAP, false, false);
	assert_int_equal(ask(&n, "socket", AF_UNIX, nscd, 0, 0), SECCOMP_RET_ALLOW);
	release(&n);
	n = compile("@default,socket(AF_INET)", SCMP_ACT_TRAP, false, false);
	assert_int_equal(ask(&n, "socket", AF_UNIX, nscd, 0, 0), SECCOMP_RET_ERRNO | EACCES);
	assert_int_equal(ask(&n, "socket", AF_INET, SOCK_STREAM, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&n, "socket", AF_UNIX, SOCK_STREAM, 0, 0), SECCOMP_RET_TRAP);
	release(&n);

	uint64_t args[6] = { AF_UNIX, nscd, 0, 0, 0, 0 };
	assert_int_equal(policy_quiet_error(sctab_resolve("socket"), args), EACCES);
	args[1] = SOCK_STREAM;
	assert_int_equal(policy_quiet_error(sctab_resolve("socket"), args), 0);
	assert_int_equal(policy_quiet_error(sctab_resolve("connect"), args), 0);
}

static void file_read_opens_read_only(void **state)
{
	(void)state;
	struct compiled r = compile("@file-read", SCMP_ACT_TRAP, false, false);
	assert_int_equal(ask(&r, "openat", AT_FDCWD, 0, O_RDONLY | O_CLOEXEC, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&r, "openat", AT_FDCWD, 0, O_WRONLY | O_CREAT, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&r, "openat", AT_FDCWD, 0, O_RDWR, 0), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&r, "openat", AT_FDCWD, 0, O_RDONLY | O_TRUNC, 0), SECCOMP_RET_TRAP);
	release(&r);
	struct compiled w = compile("@file-read,@file-write", SCMP_ACT_TRAP, false, false);
	assert_int_equal(ask(&w, "openat", AT_FDCWD, 0, O_WRONLY | O_CREAT, 0), SECCOMP_RET_ALLOW);
	release(&w);
}

static void the_sigsys_handler_cannot_be_replaced(void **state)
{
	(void)state;
	struct compiled c = compile("@default,rt_sigaction(*)", SCMP_ACT_TRAP, false, true);
	assert_int_equal(ask(&c, "rt_sigaction", SIGSYS, 0x1000, 0, 8), SECCOMP_RET_TRAP);
	assert_int_equal(ask(&c, "rt_sigaction", SIGSYS, 0, 0x1000, 8), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "rt_sigaction", SIGINT, 0x1000, 0, 8), SECCOMP_RET_ALLOW);
	release(&c);
}

static void the_supervisor_sees_the_start_and_the_execve_calls_the_policy_refuses(void **state)
{
	(void)state;
	/* @process allows execve: only the command's start, told apart by the
	 * address of its argument vector, goes to the supervisor. */
	struct compiled c = compile("@default,@process", SCMP_ACT_KILL_PROCESS, true, false);
	char *argv[] = { "command", NULL };
	assert_int_equal(filter_mark_start(&c.prog, argv), 0);
	uint64_t start = (uint64_t)(uintptr_t)argv;
	assert_int_equal(ask(&c, "execve", 0x1000, start, 0, 0), SECCOMP_RET_USER_NOTIF);
	assert_int_equal(ask(&c, "execve", 0x1000, start + 8, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "execve", 0x1000, start ^ (1ULL << 40), 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "execveat", 3, start, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(ask(&c, "ptrace", 0, 0, 0, 0), SECCOMP_RET_KILL_PROCESS);
	assert_int_equal(ask(&c, "getppid", 0, start, 0, 0), SECCOMP_RET_ALLOW);
	release(&c);
	/* Refused by the policy: every execve goes to the supervisor, which
	 * lets the start through and judges the rest. */
	c = compile("@default", SCMP_ACT_KILL_PROCESS, true, false);
	assert_int_equal(filter_mark_start(&c.prog, argv), 0);
	assert_int_equal(ask(&c, "execve", 0x1000, start, 0, 0), SECCOMP_RET_USER_NOTIF);
	assert_int_equal(ask(&c, "execve", 0x1000, 0, 0, 0), SECCOMP_RET_USER_NOTIF);
	assert_int_equal(ask(&c, "execveat", 0, 0, 0, 0), SECCOMP_RET_USER_NOTIF);
	release(&c);
	c = compile("@default", SCMP_ACT_NOTIFY, true, false);
	assert_int_equal(ask(&c, "execve", 0, 0, 0, 0), SECCOMP_RET_USER_NOTIF);
	assert_int_equal(ask(&c, "getppid", 0, 0, 0, 0), SECCOMP_RET_ALLOW);
	release(&c);
	/* A program built without the rule cannot be marked. */
	c = compile("@default", SCMP_ACT_KILL_PROCESS, false, false);
	assert_int_equal(filter_mark_start(&c.prog, argv), -EINVAL);
	release(&c);
}

/* The kernel caches "allow" per syscall number only when the verdict reads
 * nothing but number and architecture; every plain allow must qualify. */
static void number_only_verdicts_never_read_arguments(void **state)
{
	(void)state;
	/* As libcibox builds them, and as the supervisor does: there only the
	 * start's rule reads execve's arguments. */
	for (int supervised = 0; supervised < 2; supervised++) {
		struct compiled c = compile("@default,@file-read,@file-write,@network,@process,"
					    "@signal,@thread,@time,@ipc,@system-info",
					    supervised ? SCMP_ACT_NOTIFY : SCMP_ACT_TRAP,
					    supervised, !supervised);
		int checked = 0;
		for (int n = 0; n <= sctab_newest_known(); n++) {
			if (policy_form(c.policy, n) != POLICY_ANY ||
			    !strcmp(sctab_name(n), supervised ? "execve" : "rt_sigaction"))
				continue;
			struct seccomp_data d = { .nr = n, .arch = seccomp_arch_native() };
			struct bpf_verdict v = bpf_run(c.prog.insns, c.prog.len, &d);
			assert_true(v.ok);
			if (v.action != SECCOMP_RET_ALLOW && v.action != RET_ENOSYS)
				fail_msg("%s: action %#x", sctab_name(n), v.action);
			if (v.reads_args)
				fail_msg("%s: verdict reads arguments", sctab_name(n));
			checked++;
		}
		assert_true(checked > 150);
		release(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(allowed_refused_and_newer_calls),
		cmocka_unit_test(foreign_architectures_and_x32_are_killed),
		cmocka_unit_test(clone3_answers_enosys_even_when_allowed),
		cmocka_unit_test(clone_without_namespace_flags_only),
		cmocka_unit_test(socket_families_and_ioctl_requests),
		cmocka_unit_test(fcntl_and_ioctl_arrange_no_signal_by_default),
		cmocka_unit_test(the_supervisor_judges_the_calls_that_signal),
		cmocka_unit_test(user_space_agrees_on_fcntl),
		cmocka_unit_test(listed_values_allow_exactly_those),
		cmocka_unit_test(values_add_to_the_safe_form),
		cmocka_unit_test(user_space_agrees_with_the_filter),
		cmocka_unit_test(the_most_values_fit_in_a_filter),
		cmocka_unit_test(the_name_service_probe_is_refused_quietly),
		cmocka_unit_test(file_read_opens_read_only),
		cmocka_unit_test(the_sigsys_handler_cannot_be_replaced),
		cmocka_unit_test(the_supervisor_sees_the_start_and_the_execve_calls_the_policy_refuses),
		cmocka_unit_test(number_only_verdicts_never_read_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
