/*
 * Whether a signal stays among the command's own processes.
 *
 * Without a jail's pid namespace, a process may signal any other process of
 * the same user: cibox itself, the script that started it, the user's
 * session. Under `cibox sandbox` the supervisor asks this module about each
 * call that signals another process or names a descriptor's owner (see
 * sctab_signal_call_of), and lets it reach only the command's tree: the
 * supervisor's descendants, which never leave it, since the supervisor is
 * their subreaper.
 *
 * The kernel runs an allowed call itself, after the supervisor has answered,
 * and finds its target again by number. A target is therefore judged while a
 * pidfd holds it, and counts only if it is still there afterwards: its pid
 * cannot have been handed to another process in between. What can happen
 * after the answer is that it ends, is reaped by its parent in the tree and
 * its number goes round the whole pid space to a new process before the
 * caller's call runs, microseconds later. pidfd_send_signal, whose target a
 * second thread could swap under the check by replacing the descriptor, is
 * sent by the supervisor itself, to the process it judged.
 */
#ifndef CIBOX_SANDBOX_SIGNAL_SCOPE_H
#define CIBOX_SANDBOX_SIGNAL_SCOPE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct signal_scope {
	pid_t root; /* the supervisor: the tree is its descendants */
	/*
	 * Signals the root passes on to the command when it gets them: a process
	 * group that holds the root as well as the command (a terminal's
	 * foreground job) may be sent these, and no others.
	 */
	sigset_t root_passes;
	/* Whether the call being judged still waits for its answer, so that
	 * what was read of its caller in /proc was the caller's. */
	bool (*pending)(void *context);
	void *context;
};

enum scope_verdict {
	SCOPE_CONTINUE, /* the kernel may run the call */
	SCOPE_ANSWERED, /* the call is done or failed: answer it with *error (0: success) */
	SCOPE_OUTSIDE,  /* it would reach outside the tree: a refused call */
};

/*
 * Judges a call of syscall `nr` by thread `caller` (as the notification names
 * it) that the policy allows. Calls that are no signal calls, and forms of
 * them that reach no one else, continue.
 */
enum scope_verdict signal_scope_judge(const struct signal_scope *scope, int nr,
				      const uint64_t args[6], pid_t caller, int *error);

#endif
