/*
 * signal_escape CASE [PID]: one way for a sandboxed command to signal a
 * process that is not its own (PID, a victim of the same user), or, for the
 * cases that must keep working, its own processes.
 *
 * An attack prints what its last call answered and exits 0; whether it got
 * through is for the test to see: the victim is gone. The sandbox may also
 * end the helper before it prints anything.
 *
 *   owner PID       pipe: F_SETOWN PID, F_SETSIG SIGKILL, O_ASYNC, write
 *   fioasync PID    pipe: FIOASYNC on, F_SETOWN PID, write (SIGIO)
 *   owner-group PID pipe: F_SETOWN -(PID's group), O_ASYNC, write (SIGIO)
 *   kill PID, tkill PID, tgkill PID, sigqueue PID, tgsigqueue PID,
 *   pidfd PID, proc-pidfd PID     SIGKILL to PID through that call
 *   own             each of the above toward a child of its own, which
 *                   must end by it; prints "own: N signalled"
 *   abort           abort()
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *case_name;

static void answered(long result)
{
	printf("%s: result %ld errno %d\n", case_name, result, result < 0 ? errno : 0);
	fflush(stdout);
}

static siginfo_t queued(int sig)
{
	siginfo_t info;
	memset(&info, 0, sizeof info);
	info.si_signo = sig;
	info.si_code = SI_QUEUE;
	info.si_pid = getpid();
	info.si_uid = getuid();
	return info;
}

/* Arranges for the kernel to signal `owner` (fcntl's sense: a pid, or a
 * group when negative) on I/O, and makes some. */
static long signal_by_io(pid_t owner, int sig, bool by_ioctl)
{
	int p[2], on = 1;
	if (pipe(p) < 0)
		return -1;
	if (by_ioctl && ioctl(p[0], FIOASYNC, &on) < 0)
		return -1;
	if (syscall(SYS_fcntl, p[0], F_SETOWN, owner) < 0)
		return -1;
	if (sig && syscall(SYS_fcntl, p[0], F_SETSIG, sig) < 0)
		return -1;
	if (!by_ioctl && syscall(SYS_fcntl, p[0], F_SETFL, O_ASYNC) < 0)
		return -1;
	return write(p[1], "x", 1);
}

/* SIGKILL, or sig, to pid through the call `how` names. */
static long send_by(const char *how, pid_t pid, int sig)
{
	siginfo_t info = queued(sig);
	if (strcmp(how, "owner") == 0)
		return signal_by_io(pid, sig, false);
	if (strcmp(how, "fioasync") == 0)
		return signal_by_io(pid, 0, true);
	if (strcmp(how, "owner-group") == 0)
		return signal_by_io(-getpgid(pid), 0, false);
	if (strcmp(how, "kill") == 0)
		return syscall(SYS_kill, pid, sig);
	if (strcmp(how, "tkill") == 0)
		return syscall(SYS_tkill, pid, sig);
	if (strcmp(how, "tgkill") == 0)
		return syscall(SYS_tgkill, pid, pid, sig);
	if (strcmp(how, "sigqueue") == 0)
		return syscall(SYS_rt_sigqueueinfo, pid, sig, &info);
	if (strcmp(how, "tgsigqueue") == 0)
		return syscall(SYS_rt_tgsigqueueinfo, pid, pid, sig, &info);
	if (strcmp(how, "pidfd") == 0 || strcmp(how, "proc-pidfd") == 0) {
		char path[64];
		snprintf(path, sizeof path, "/proc/%d", (int)pid);
		long fd = strcmp(how, "pidfd") == 0 ? syscall(SYS_pidfd_open, pid, 0)
						    : open(path, O_RDONLY | O_DIRECTORY);
		return fd < 0 ? fd : syscall(SYS_pidfd_send_signal, (int)fd, sig, NULL, 0);
	}
	fprintf(stderr, "signal_escape: no such case: %s\n", how);
	exit(2);
}

static const char *const ways[] = { "owner",  "owner-group", "kill",       "tkill",
				    "tgkill", "sigqueue",    "tgsigqueue", "pidfd" };

/* Each way toward a child of its own: the child must end by the signal. */
static int own(void)
{
	int signalled = 0;
	for (size_t i = 0; i < sizeof ways / sizeof ways[0]; i++) {
		/* The child says when it is in its own group and waiting, so
		 * that the signal finds it there, not still starting. */
		int ready[2];
		char c;
		if (pipe(ready) < 0)
			return 1;
		pid_t child = fork();
		if (child == 0) {
			setpgid(0, 0); /* a group of its own, for owner-group */
			if (write(ready[1], "r", 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		close(ready[1]);
		if (read(ready[0], &c, 1) != 1)
			return 1;
		close(ready[0]);
		int status;
		long r = send_by(ways[i], child, SIGTERM);
		if (waitpid(child, &status, 0) == child && WIFSIGNALED(status) &&
		    WTERMSIG(status) == (strcmp(ways[i], "owner-group") == 0 ? SIGIO : SIGTERM))
			signalled++;
		else
			printf("own: %s did not reach the child (result %ld, errno %d)\n", ways[i],
			       r, errno);
	}
	printf("own: %d signalled\n", signalled);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: signal_escape CASE [PID]\n");
		return 2;
	}
	case_name = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(case_name, "own") == 0)
		return own();
	if (strcmp(case_name, "abort") == 0)
		abort();
	if (argc < 3) {
		fprintf(stderr, "usage: signal_escape CASE PID\n");
		return 2;
	}
	answered(send_by(case_name, (pid_t)atoi(argv[2]), SIGKILL));
	return 0;
}
