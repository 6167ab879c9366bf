#include "sandbox/signal_scope.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/syscall_table.h"
#include "util/proctree.h"

/* Linux 6.9's, which older headers lack; older kernels refuse them. */
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef PIDFD_SIGNAL_PROCESS_GROUP
#define PIDFD_SIGNAL_PROCESS_GROUP (1U << 2)
#endif

/* A group's signal that is not known when it is judged (a descriptor's
 * owner is sent whatever F_SETSIG later says). */
#define ANY_SIGNAL (-1)

static int pidfd_open_(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_signal(int pidfd, int sig, unsigned flags)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags);
}

/* Whether the process a pidfd holds has not been reaped: until then its pid
 * is its own. A zombie can still be signalled, in vain. */
static bool still_there(int pidfd)
{
	return pidfd_signal(pidfd, 0, 0) == 0 || errno == EPERM;
}

/* Process (or thread) `pid`, which `pidfd` holds: inside the tree or not. */
static enum scope_verdict judge_held(const struct signal_scope *scope, pid_t pid, int pidfd,
				     int *error)
{
	int inside = proctree_descends(scope->root, pid);
	if (inside < 0 || !still_there(pidfd)) {
		*error = ESRCH;
		return SCOPE_ANSWERED;
	}
	return inside ? SCOPE_CONTINUE : SCOPE_OUTSIDE;
}

/* A signal to process (or thread) `pid`, which the kernel finds by number. */
static enum scope_verdict judge_process(const struct signal_scope *scope, pid_t pid, pid_t caller,
					int *error)
{
	if (pid == caller)
		return SCOPE_CONTINUE;
	pid_t process = proctree_thread_group(pid);
	int pidfd = process > 0 ? pidfd_open_(process, 0) : -1;
	if (pidfd < 0) {
		*error = ESRCH;
		return SCOPE_ANSWERED;
	}
	enum scope_verdict v = judge_held(scope, process, pidfd, error);
	close(pidfd);
	return v;
}

/* A signal to every process of group `pgrp`: each must be in the tree, or be
 * the root when the signal is one it passes on. */
static enum scope_verdict judge_group(const struct signal_scope *scope, pid_t pgrp, int sig,
				      int *error)
{
	DIR *dir = opendir("/proc");
	if (!dir)
		return SCOPE_OUTSIDE;
	enum scope_verdict v = SCOPE_CONTINUE;
	unsigned members = 0;
	struct dirent *d;
	while (v == SCOPE_CONTINUE && (d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		pid_t pid = (pid_t)atoi(d->d_name);
		if (proctree_group(pid) != pgrp)
			continue;
		members++;
		if (pid == scope->root) {
			if (sig != 0 && (sig == ANY_SIGNAL || !sigismember(&scope->root_passes, sig)))
				v = SCOPE_OUTSIDE;
		} else if (proctree_descends(scope->root, pid) == 0) {
			v = SCOPE_OUTSIDE;
		}
	}
	closedir(dir);
	if (v == SCOPE_CONTINUE && members == 0) {
		*error = ESRCH;
		return SCOPE_ANSWERED;
	}
	return v;
}

/* kill's and F_SETOWN's target: a process, a group (negative), the caller's
 * group (0), or every process the caller may signal (-1). */
static enum scope_verdict judge_kill_target(const struct signal_scope *scope, pid_t target, int sig,
					    pid_t caller, int *error)
{
	if (target > 0)
		return judge_process(scope, target, caller, error);
	if (target == -1)
		return SCOPE_OUTSIDE;
	if (target == INT_MIN) {
		*error = ESRCH;
		return SCOPE_ANSWERED;
	}
	pid_t pgrp = target == 0 ? proctree_group(caller) : -target;
	return judge_group(scope, pgrp, sig, error);
}

/* The process a pidfd of the caller's refers to, and whether it is a
 * thread's: from /proc/TID/fdinfo/FD. 0 when the descriptor is no pidfd. */
static pid_t pidfd_target(pid_t caller, int fd, bool *thread)
{
	char path[64], line[128];
	snprintf(path, sizeof path, "/proc/%d/fdinfo/%d", (int)caller, fd);
	FILE *f = fopen(path, "re");
	int pid = 0;
	unsigned flags = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "Pid: %d", &pid) != 1)
			sscanf(line, "flags: %o", &flags);
	if (f)
		fclose(f);
	*thread = (flags & PIDFD_THREAD) != 0;
	return pid;
}

/*
 * pidfd_send_signal: the caller's descriptor can be replaced by another
 * thread between any check and the kernel's own reading of it, so the
 * supervisor sends the signal itself, through a pidfd of its own, to the
 * process it judged. The receiver sees cibox as the sender. A siginfo of the
 * caller's sits in memory the supervisor does not read: refused.
 */
static enum scope_verdict judge_pidfd(const struct signal_scope *scope, const uint64_t args[6],
				      pid_t caller, int *error)
{
	bool thread;
	pid_t pid = pidfd_target(caller, (int)args[0], &thread);
	int sig = (int)args[1];
	unsigned flags = (unsigned)args[3];
	if (!scope->pending(scope->context))
		return SCOPE_CONTINUE; /* the caller is gone: nothing runs */
	if (pid == 0 || args[2] != 0)
		return SCOPE_OUTSIDE;
	int pidfd = pid > 0 ? pidfd_open_(pid, thread ? PIDFD_THREAD : 0) : -1;
	if (pidfd < 0) {
		*error = ESRCH;
		return SCOPE_ANSWERED;
	}
	pid_t process = proctree_thread_group(pid);
	enum scope_verdict v = (flags & PIDFD_SIGNAL_PROCESS_GROUP)
				       ? judge_group(scope, proctree_group(process), sig, error)
				       : judge_held(scope, process, pidfd, error);
	if (v == SCOPE_CONTINUE) {
		*error = pidfd_signal(pidfd, sig, flags) == 0 ? 0 : errno;
		v = SCOPE_ANSWERED;
	}
	close(pidfd);
	return v;
}

enum scope_verdict signal_scope_judge(const struct signal_scope *scope, int nr,
				      const uint64_t args[6], pid_t caller, int *error)
{
	const char *name = sctab_name(nr);
	if (!name)
		return SCOPE_CONTINUE;
	enum scope_verdict v = SCOPE_CONTINUE;
	/* The kernel reads pids, signals and fcntl's commands as ints. */
	int a0 = (int)args[0], a1 = (int)args[1], a2 = (int)args[2];
	if (strcmp(name, "pidfd_send_signal") == 0)
		return judge_pidfd(scope, args, caller, error);
	if (strcmp(name, "kill") == 0)
		v = a1 == 0 ? SCOPE_CONTINUE : judge_kill_target(scope, a0, a1, caller, error);
	else if (strcmp(name, "tkill") == 0 || strcmp(name, "rt_sigqueueinfo") == 0)
		v = a1 == 0 ? SCOPE_CONTINUE : judge_process(scope, a0, caller, error);
	else if (strcmp(name, "tgkill") == 0 || strcmp(name, "rt_tgsigqueueinfo") == 0)
		/* The kernel sends only when thread a1 belongs to process a0. */
		v = a2 == 0 || a1 == caller ? SCOPE_CONTINUE
					    : judge_process(scope, a0, caller, error);
	else if (strcmp(name, "fcntl") == 0 && a1 == F_SETOWN)
		v = a2 == 0 ? SCOPE_CONTINUE
			    : judge_kill_target(scope, a2, ANY_SIGNAL, caller, error);
	else if (strcmp(name, "fcntl") == 0 && a1 == F_SETOWN_EX)
		v = SCOPE_OUTSIDE; /* its owner sits in memory the supervisor does not read */
	/* What was read of the caller was the caller's only if it still waits. */
	if (v != SCOPE_CONTINUE && !scope->pending(scope->context))
		return SCOPE_CONTINUE;
	return v;
}
