/*
 * Runs a command, and everything it starts, under a policy, with cibox outside
 * the sandbox as its supervisor (seccomp user notification).
 *
 * The command is started even when the policy lacks execve: the filter sends
 * cibox's own start of the command (told apart by the address of its argument
 * vector) to the supervisor, which lets it through, and every other execve
 * only when the policy refuses it. The policy holds from the command's first
 * instruction.
 *
 * In log-and-abort mode the supervisor writes the report, with the thread's
 * name, and ends the whole process tree; in log mode it reports each refused
 * syscall once per thread and lets it run. Neither can be blocked or silenced
 * from inside: the supervisor is not under the filter. In abort mode the kernel
 * kills the offending process itself.
 */
#ifndef CIBOX_SANDBOX_SUPERVISOR_H
#define CIBOX_SANDBOX_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cibox/sandbox.h>

#include "sandbox/filter.h"
#include "sandbox/policy_set.h"

struct supervisor_options {
	const policy_set *policies; /* per thread name, or one for all */
	enum cibox_mode mode;
	int report_fd; /* where reports are written, one line each */
	/*
	 * Optional: creates the child in place of fork (a jail's init); returns
	 * as fork does, or <0 with err set.
	 */
	pid_t (*spawn)(void *context, cibox_error *err);
	/*
	 * Optional: called in the child before the filter is installed, to move
	 * it somewhere (a jail). It may fork; the process it returns 0 in starts
	 * the command. A process it leaves behind as the command's parent writes
	 * the command's wait status (an int) to status_fd before it ends; that
	 * is the status reported. A failure is reported as supervisor_run's own.
	 */
	int (*prepare)(void *context, int status_fd, cibox_error *err);
	void *prepare_context; /* for spawn and prepare */
	/*
	 * The command may signal only its own processes (see signal_scope.h):
	 * for a command that shares cibox's pid namespace. A jail's own pid
	 * namespace already keeps everything else out of reach.
	 */
	bool confine_signals;
	/*
	 * Optional: the program supervisor_compile gives for these options,
	 * compiled beforehand (as cibox's built-in policy is, at build time).
	 */
	const struct filter_program *compiled;
	/*
	 * Optional, mode log only: instead of a report once per thread, every
	 * refused call is passed here (and then allowed to run), with the name
	 * of the calling thread and of its program.
	 */
	void (*observe)(void *context, int nr, const uint64_t args[6], const char *thread,
			const char *program);
	void *observe_context;
};

struct supervisor_result {
	int wait_status; /* of the command, as waitpid gives it */
	bool violation;  /* the sandbox stopped a process of the tree */
};

/*
 * Runs the program at `path` (see supervisor_find_command) with argv and
 * `environ`. Returns 0 once the command has ended and every process it
 * started has been ended too; -ENOSYS or -EPERM when this machine cannot
 * supervise seccomp filters; the prepare hook's error when it failed.
 */
int supervisor_run(const struct supervisor_options *options, const char *path, char *const argv[],
		   struct supervisor_result *result, cibox_error *err);

/* The filter program supervisor_run installs for `options`. */
int supervisor_compile(const struct supervisor_options *options, struct filter_program *out,
		       cibox_error *err);

/* The path execve would run for `command`, via `dirs` (a PATH; NULL: the
 * caller's), inside the root folder `root` ("" for the host's);
 * -ENOENT/-EACCES if none. */
int supervisor_find_command(const char *root, const char *dirs, const char *command, char *path,
			    size_t size, cibox_error *err);

#endif
