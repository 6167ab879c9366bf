#include "jail/box.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail/idmap.h"
#include "jail/jail.h"
#include "util/error.h"
#include "util/proctree.h"

struct jail_box {
	pid_t holder; /* pid 1 of the box */
	int report;   /* pid 1's report, until the box is ready; then -1 */
	int userns, mntns, pidns;
	int own_pidns; /* the caller's, for its children after the box's */
	int failed;    /* why the box could not be made, negative; 0 */
	char why[sizeof((cibox_error *)0)->message];
};

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Tells the box's maker how setting up went: 0, or the errno and what failed. */
struct holder_report {
	int error;
	char what[48];
};

/* Into a user namespace of the caller's own, where its uid and gid map to
 * themselves, with a copy of its mount namespace: the kernel locks every
 * mount copied into the less privileged namespace, flags and all. Its own
 * /proc files are writable only while it is dumpable. */
static int lock_mounts(uid_t uid, gid_t gid, char *what, size_t size)
{
	char line[64];
	int rc = 0;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		snprintf(what, size, "its user namespace");
		return -1;
	}
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	snprintf(line, sizeof line, "%u %u 1\n", uid, uid);
	if (write_text("/proc/self/uid_map", line) < 0) {
		snprintf(what, size, "its uid map");
		rc = -1;
	}
	snprintf(line, sizeof line, "%u %u 1\n", gid, gid);
	write_text("/proc/self/setgroups", "deny");
	if (rc == 0 && write_text("/proc/self/gid_map", line) < 0) {
		snprintf(what, size, "its gid map");
		rc = -1;
	}
	int saved = errno;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	errno = saved;
	return rc;
}

int jail_lock_mounts(cibox_error *err)
{
	char what[48];
	if (lock_mounts(geteuid(), getegid(), what, sizeof what) < 0)
		return error_set(err, -errno, "cannot lock the jail's mounts: %s: %s", what,
				 strerror(errno));
	return 0;
}

/* pid 1 of the box. It is born in the box's pid and mount namespaces but in
 * the jail's user namespace, so that the pid namespace belongs to the jail:
 * no step may mount a /proc of it. It mounts the box's /proc with what root
 * of the host could change sealed, then moves into a user namespace of its
 * own, which locks that /proc too: a step cannot unmount it to see the
 * jail's, nor mount a fresh one (the kernel refuses a /proc that would show
 * more than the locked ones). It says so, waits for its namespaces to be
 * opened, and then only reaps what its namespace orphans until the maker
 * dies. It keeps no descriptor of the maker's, so a step that takes it over
 * gains nothing. */
static _Noreturn void holder(int report_fd)
{
	struct holder_report report = { 0, "" };
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (dup2(report_fd, 3) < 0)
		_exit(1);
	close_range(4, ~0U, 0);
	cibox_error ignored;
	/* Held open so that moving on to the locked copy does not tear this
	 * mount namespace down meanwhile (every mount, and a wait for an RCU
	 * grace period): that waits for the box's end, which nothing waits
	 * for. It gives nothing to a step that takes this process over: only
	 * root of the jail may enter it. */
	int first_mntns = open("/proc/self/ns/mnt", O_RDONLY);
	(void)first_mntns;
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
	    jail_seal_proc("/proc", &ignored) < 0) {
		report.error = errno;
		snprintf(report.what, sizeof report.what, "its /proc");
	} else if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		report.error = errno;
		snprintf(report.what, sizeof report.what, "its user namespace");
	}
	/* The maker maps its ids (all the jail's: more than one only a
	 * process with rights in the jail's namespace may map) and opens its
	 * namespaces while it is dumpable; then no step, the same user, may
	 * reach into pid 1. */
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	ssize_t unused = write(3, &report, sizeof report);
	(void)unused;
	if (report.error)
		_exit(1);
	char done;
	while (read(3, &done, 1) < 0 && errno == EINTR)
		;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	close(3);
	sigset_t children;
	sigemptyset(&children);
	sigaddset(&children, SIGCHLD);
	sigprocmask(SIG_BLOCK, &children, NULL);
	for (;;) {
		int sig;
		sigwait(&children, &sig);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

static int open_ns(pid_t pid, const char *name, cibox_error *err)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	/* cppcheck-suppress resourceLeak ; fd is returned */
	return fd < 0 ? error_set(err, -errno, "%s: %s", path, strerror(errno)) : fd;
}

/* Kept, for every spawn to report. */
__attribute__((format(printf, 3, 4))) static void box_failed(jail_box *box, int code,
							     const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	box->failed = code;
	vsnprintf(box->why, sizeof box->why, fmt, ap);
	va_end(ap);
}

int jail_box_start(jail_box **out, cibox_error *err)
{
	jail_box *box = calloc(1, sizeof *box);
	int report_sock[2];
	if (!box)
		return error_set(err, -ENOMEM, "out of memory");
	box->report = box->userns = box->mntns = box->pidns = box->own_pidns = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, report_sock) < 0) {
		free(box);
		return error_set(err, -errno, "socketpair: %s", strerror(errno));
	}
	box->holder = jail_clone(CLONE_NEWNS | CLONE_NEWPID);
	if (box->holder == 0)
		holder(report_sock[1]);
	int saved = errno;
	close(report_sock[1]);
	box->report = report_sock[0];
	if (box->holder < 0)
		box_failed(box, -saved, "cannot make the steps' namespaces: %s", strerror(saved));
	*out = box;
	return 0;
}

/* Once pid 1 of the box has said how setting up went: opens its
 * namespaces and tells it so. */
static int box_ready(jail_box *box, cibox_error *err)
{
	struct holder_report report = { 0, "" };
	ssize_t n = 0;
	while (!box->failed && (n = read(box->report, &report, sizeof report)) < 0 && errno == EINTR)
		;
	if (!box->failed && n != sizeof report)
		box_failed(box, -EIO, "the steps' namespaces ended while being made");
	else if (!box->failed && report.error)
		box_failed(box, -report.error, "cannot set up the steps' namespaces: %s: %s",
			   report.what, strerror(report.error));
	int rc = 0;
	if (!box->failed && (rc = idmap_mirror(box->holder, err)) < 0)
		box_failed(box, rc, "cannot set up the steps' namespaces: %s", err->message);
	if (box->failed)
		rc = error_set(err, box->failed, "%s", box->why);
	else if ((box->userns = rc = open_ns(box->holder, "user", err)) < 0 ||
		 (box->mntns = rc = open_ns(box->holder, "mnt", err)) < 0 ||
		 (box->pidns = rc = open_ns(box->holder, "pid", err)) < 0 ||
		 (box->own_pidns = rc = open_ns(getpid(), "pid", err)) < 0)
		box_failed(box, rc, "%s", err->message);
	else
		rc = 0;
	/* Pid 1 turns undumpable again on this byte (or the end of the
	 * socket): from then on no step can reach into it. */
	if (rc == 0) {
		ssize_t unused = write(box->report, "", 1);
		(void)unused;
	}
	close(box->report);
	box->report = -1;
	return rc;
}

int jail_box_open(jail_box **out, cibox_error *err)
{
	jail_box *box;
	int rc = jail_box_start(&box, err);
	if (rc == 0 && (rc = box_ready(box, err)) < 0)
		jail_box_close(box);
	if (rc == 0)
		*out = box;
	return rc;
}

/* In the command's process, in the box's namespaces: set up as
 * engine_start_process sets a process up, and exec. It shares the caller's
 * memory until then, so no handler of the caller's may run in it: every
 * caught signal goes back to its default while all are still blocked.
 * Returns only on failure, with errno set. */
static const int defaulted[] = { SIGPIPE, SIGINT, SIGTERM, SIGCHLD,
				 SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2 };

static void exec_in_box(const struct box_command *cmd)
{
	for (size_t i = 0; i < sizeof defaulted / sizeof defaulted[0]; i++)
		signal(defaulted[i], SIG_DFL);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
		    sa.sa_handler != SIG_IGN)
			signal(sig, SIG_DFL);
	}
	sigset_t none;
	sigemptyset(&none);
	int null = open("/dev/null", O_RDONLY);
	/* A session of its own: no controlling terminal, so no step can push
	 * input into the caller's (TIOCSTI) or take its foreground. */
	if (setsid() < 0 || null < 0 || dup2(null, 0) < 0 || dup2(cmd->output_fd, 1) < 0 ||
	    dup2(cmd->output_fd, 2) < 0 || chdir(cmd->cwd) < 0)
		return;
	if (null > 2)
		close(null);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvpe(cmd->argv[0], cmd->argv, cmd->envp);
}

struct box_start {
	const jail_box *box;
	const struct box_command *cmd;
	int error; /* written by the child, read once it has exec'd or ended */
};

static int start_in_box(void *arg)
{
	struct box_start *start = arg;
	if (setns(start->box->userns, CLONE_NEWUSER) == 0 &&
	    setns(start->box->mntns, CLONE_NEWNS) == 0)
		exec_in_box(start->cmd);
	start->error = errno;
	_exit(127);
}

/* The child's stack while it shares the caller's memory: execvpe and the
 * calls before it need little. */
#define START_STACK (256 * 1024)

int jail_box_spawn(jail_box *box, const struct box_command *cmd, pid_t *pid, cibox_error *err)
{
	if (box->failed)
		return error_set(err, box->failed, "%s", box->why);
	int rc = box->report >= 0 ? box_ready(box, err) : 0;
	if (rc < 0)
		return rc;
	char *stack = mmap(NULL, START_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return error_set(err, -errno, "cannot start '%s': %s", cmd->argv[0], strerror(errno));
	/* The child is born in the box's pid namespace; the caller's other
	 * children (a sanitizer's tracer, say) stay beside it in its own. */
	if (setns(box->pidns, CLONE_NEWPID) < 0) {
		int saved = errno;
		munmap(stack, START_STACK);
		return error_set(err, -saved, "cannot enter the steps' pid namespace: %s",
				 strerror(saved));
	}
	/* No handler of the caller's may run in the child before exec. */
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	/* The child borrows this process's memory until it execs, as
	 * posix_spawn's does, instead of copying it: a fork's copy of the page
	 * tables, only to throw it away at exec, was most of a start. */
	struct box_start start = { box, cmd, 0 };
	pid_t child =
		clone(start_in_box, stack + START_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
	int saved = errno;
	setns(box->own_pidns, CLONE_NEWPID);
	sigprocmask(SIG_SETMASK, &old, NULL);
	munmap(stack, START_STACK);
	if (child < 0)
		return error_set(err, -saved, "cannot start '%s' in the steps' namespaces: %s",
				 cmd->argv[0], strerror(saved));
	if (start.error) {
		while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
			;
		return error_set(err, -start.error, "cannot start '%s': %s", cmd->argv[0],
				 strerror(start.error));
	}
	*pid = child;
	return 0;
}

void jail_box_close(jail_box *box)
{
	if (!box)
		return;
	/* What the steps left, before their pid 1: it need not be this
	 * process's child, and whoever reports after this must find them
	 * ended. Pid 1 runs no step's code; its end is the kernel's work. */
	if (box->holder > 0) {
		proctree_kill_descendants(box->holder);
		kill(box->holder, SIGKILL);
	}
	if (box->report >= 0)
		close(box->report);
	if (box->userns >= 0)
		close(box->userns);
	if (box->mntns >= 0)
		close(box->mntns);
	if (box->pidns >= 0)
		close(box->pidns);
	if (box->own_pidns >= 0)
		close(box->own_pidns);
	free(box);
}
