/*
 * escape CASE: one attempt to get out of a syscall sandbox, and what the
 * kernel answered.
 *
 * The same binary runs unsandboxed (the control, which shows that the attempt
 * is a real one and reaches the kernel) and under `cibox sandbox` (which must
 * stop it). So that neither run can pass by accident, the outcome is always
 * spelled out:
 *
 *   CASE: reached the kernel (errno N / result R)   exit 0
 *   CASE: ENOSYS                                     exit 38
 *
 * Reaching the kernel includes failing there: for an unprivileged user bpf
 * answers EPERM, which still means no filter stood in the way. A sandbox that
 * stops the attempt kills the process first, so it prints neither line.
 *
 * Every attempt is made with raw syscalls, so that no C library wrapper
 * substitutes another call or answers by itself, and none changes the
 * machine: the mount is refused for its arguments, the bpf program is empty,
 * the namespaces made belong to a process about to exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define X32_SYSCALL_BIT 0x40000000L
#define I386_NR_GETPID 20

extern char **environ;

static const char *case_name;

/* The verdict on one syscall return; never returns. */
static void verdict(long result, int error)
{
	if (result == -1 && error == ENOSYS) {
		printf("%s: ENOSYS\n", case_name);
		exit(ENOSYS);
	}
	printf("%s: reached the kernel (errno %d / result %ld)\n", case_name,
	       result == -1 ? error : 0, result);
	exit(0);
}

#define ATTEMPT(...)                                                                               \
	do {                                                                                       \
		errno = 0;                                                                         \
		long result_ = syscall(__VA_ARGS__);                                               \
		verdict(result_, errno);                                                           \
	} while (0)

/* A process made with fork semantics (no new stack) only has to go away;
 * the parent reports the call that made it. */
static void reap_child(long pid)
{
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
}

/* The 32-bit entry point: the kernel reads the i386 table, where 20 is getpid.
 * The registers the compat entry may not preserve are listed as clobbered. */
static void attempt_i386(void)
{
	long result;
	__asm__ volatile("int $0x80"
			 : "=a"(result)
			 : "a"((long)I386_NR_GETPID)
			 : "r8", "r9", "r10", "r11", "memory", "cc");
	/* Raw kernel convention: -4095..-1 is a negated errno. */
	if (result < 0 && result >= -4095)
		verdict(-1, (int)-result);
	verdict(result, 0);
}

static void attempt_clone_newuser(void)
{
	errno = 0;
	long pid =
		syscall(SYS_clone, (unsigned long)(CLONE_NEWUSER | SIGCHLD), NULL, NULL, NULL, NULL);
	int error = errno;
	reap_child(pid);
	verdict(pid, error);
}

static void attempt_clone3(void)
{
	struct clone_args args;
	memset(&args, 0, sizeof args);
	args.exit_signal = SIGCHLD;
	errno = 0;
	long pid = syscall(SYS_clone3, &args, sizeof args);
	int error = errno;
	reap_child(pid);
	verdict(pid, error);
}

static void attempt_mount(void)
{
	/* No target: the kernel fails the path lookup with EFAULT before it
	 * looks at anything else, for root and for everyone else. */
	ATTEMPT(SYS_mount, NULL, NULL, NULL, 0UL, NULL);
}

static void attempt_bpf(void)
{
	/* prog_type 0 with no instructions: rejected as invalid. */
	union bpf_attr attr;
	memset(&attr, 0, sizeof attr);
	ATTEMPT(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
}

static void attempt_io_uring(void)
{
	struct io_uring_params params;
	memset(&params, 0, sizeof params);
	ATTEMPT(SYS_io_uring_setup, 1, &params);
}

static void attempt_process_vm_writev(void)
{
	static char target[8] = "before", source[8] = "after";
	struct iovec local = { source, sizeof source }, remote = { target, sizeof target };
	ATTEMPT(SYS_process_vm_writev, (long)getpid(), &local, 1UL, &remote, 1UL, 0UL);
}

/* The kernel's struct sigaction for rt_sigaction, not the C library's. */
struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

static void on_sigsys(int sig)
{
	(void)sig;
}

/* The signal travels in a 64-bit register of which the kernel reads only the
 * low 32 bits (it is an int): `high` sets the upper ones, which a filter
 * comparing all 64 would take for another signal. */
static void attempt_sigaction(void (*handler)(int), long high)
{
	struct kernel_sigaction act;
	memset(&act, 0, sizeof act);
	act.handler = handler;
	ATTEMPT(SYS_rt_sigaction, high | SIGSYS, &act, NULL, sizeof act.mask);
}

/* The child reports a failed execve through a pipe that a successful one
 * closes, so the control run can tell that /bin/true really ran. */
static void attempt_execve(void)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		perror("escape: pipe2");
		exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("escape: fork");
		exit(1);
	}
	if (pid == 0) {
		char *const argv[] = { "true", NULL };
		syscall(SYS_execve, "/bin/true", argv, environ);
		int error = errno;
		ssize_t unused = write(pipefd[1], &error, sizeof error);
		(void)unused;
		_exit(127);
	}
	close(pipefd[1]);
	int error = 0;
	ssize_t got = read(pipefd[0], &error, sizeof error);
	int status;
	waitpid(pid, &status, 0);
	if (got == sizeof error)
		verdict(-1, error);
	if (WIFSIGNALED(status)) {
		printf("%s: the child was killed by signal %d\n", case_name, WTERMSIG(status));
		exit(1);
	}
	verdict(WEXITSTATUS(status), 0);
}

static void attempt_x32(void)
{
	ATTEMPT(X32_SYSCALL_BIT | SYS_getpid);
}

static void attempt_ptrace(void)
{
	ATTEMPT(SYS_ptrace, PTRACE_TRACEME, 0L, NULL, NULL);
}

static void attempt_unshare(void)
{
	ATTEMPT(SYS_unshare, (long)CLONE_NEWUSER);
}

static void attempt_userfaultfd(void)
{
	ATTEMPT(SYS_userfaultfd, (long)O_CLOEXEC);
}

static void attempt_keyctl(void)
{
	/* A look-up only: with create 0 no keyring is made. */
	ATTEMPT(SYS_keyctl, (long)KEYCTL_GET_KEYRING_ID, (long)KEY_SPEC_SESSION_KEYRING, 0L);
}

static void attempt_sigsys_handler(void)
{
	attempt_sigaction(on_sigsys, 0);
}

static void attempt_sigsys_ignore(void)
{
	attempt_sigaction(SIG_IGN, 0);
}

static void attempt_sigsys_wide(void)
{
	attempt_sigaction(on_sigsys, 1L << 32);
}

static const struct escape_case {
	const char *name;
	void (*attempt)(void);
} cases[] = {
	{ "i386", attempt_i386 },
	{ "x32", attempt_x32 },
	{ "io_uring", attempt_io_uring },
	{ "ptrace", attempt_ptrace },
	{ "unshare", attempt_unshare },
	{ "clone-newuser", attempt_clone_newuser },
	{ "mount", attempt_mount },
	{ "bpf", attempt_bpf },
	{ "process_vm_writev", attempt_process_vm_writev },
	{ "userfaultfd", attempt_userfaultfd },
	{ "keyctl", attempt_keyctl },
	{ "execve", attempt_execve },
	{ "sigsys-handler", attempt_sigsys_handler },
	{ "sigsys-ignore", attempt_sigsys_ignore },
	{ "sigsys-wide", attempt_sigsys_wide },
	{ "clone3", attempt_clone3 },
};

int main(int argc, char **argv)
{
	/* Each line must be out before a sandbox can kill the process. */
	setvbuf(stdout, NULL, _IONBF, 0);
	for (size_t i = 0; argc == 2 && i < sizeof cases / sizeof cases[0]; i++) {
		if (strcmp(argv[1], cases[i].name) == 0) {
			case_name = cases[i].name;
			cases[i].attempt();
			return 1; /* every attempt ends in a verdict */
		}
	}
	fprintf(stderr, "usage: escape CASE, one of:");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		fprintf(stderr, " %s", cases[i].name);
	fprintf(stderr, "\n");
	return 2;
}
