/*
 * Turns a policy into a seccomp program and installs it.
 *
 * libseccomp builds the program (a binary tree over syscall numbers, so the
 * kernel's per-syscall action cache covers every call decided by number
 * alone). cibox puts six instructions in front of it for the one rule
 * libseccomp cannot express, a range: numbers newer than any call cibox knows
 * answer ENOSYS, so a newer C library probing a new call falls back instead of
 * being killed. Everything else the program refuses meets the violation action.
 */
#ifndef CIBOX_SANDBOX_FILTER_H
#define CIBOX_SANDBOX_FILTER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>

#include <cibox/sandbox.h>

struct filter_spec {
	uint32_t violation; /* SCMP_ACT_TRAP, SCMP_ACT_KILL_PROCESS or SCMP_ACT_NOTIFY */
	/* The command's start (see filter_mark_start) goes to the supervisor,
	 * and so do execve and execveat when the policy refuses them. */
	bool notify_exec;
	bool guard_sigsys; /* never let rt_sigaction replace the SIGSYS handler */
	/* Syscalls whose every call goes to the supervisor, whatever the policy
	 * says (what only some threads may do), or NULL. */
	const cibox_policy *supervised;
	/* Calls that signal another process (sctab_signal_call_of), where the
	 * policy allows them, go to the supervisor, which judges their target. */
	bool judge_signals;
};

struct filter_program {
	struct sock_filter *insns;
	unsigned short len;
};

/*
 * Compiles `policy`. libseccomp hands its program over through a file
 * descriptor: `scratch_fd` is a memfd the caller owns (reused under the
 * caller's lock), or -1 to make a private one.
 */
int filter_build(const cibox_policy *policy, const struct filter_spec *spec, int scratch_fd,
		 struct filter_program *out, cibox_error *err);
void filter_program_free(struct filter_program *program);

/*
 * For a program built with notify_exec: the execve that starts the command is
 * the one whose argument vector is at `argv` (in the child, a copy of the
 * supervisor's memory, the same address). That call goes to the supervisor
 * even when the policy allows execve, which holds the child until the
 * supervisor has taken the filter's listener (exec closes it); later execve
 * calls the policy allows never leave the kernel. -EINVAL for a program
 * without that rule.
 */
int filter_mark_start(struct filter_program *program, const void *argv);

/*
 * Sets no_new_privs and installs the program on the calling thread. With
 * SECCOMP_FILTER_FLAG_NEW_LISTENER in flags, returns the listener fd;
 * otherwise 0.
 */
int filter_install(const struct filter_program *program, unsigned int flags, cibox_error *err);

#endif
