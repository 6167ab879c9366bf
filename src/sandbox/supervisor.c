#include "sandbox/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/filter.h"
#include "sandbox/policy.h"
#include "sandbox/policy_set.h"
#include "sandbox/report.h"
#include "sandbox/signal_scope.h"
#include "sandbox/syscall_table.h"
#include "util/error.h"
#include "util/proctree.h"

extern char **environ;

int supervisor_find_command(const char *root, const char *dirs, const char *command, char *path,
			    size_t size, cibox_error *err)
{
	char full[PATH_MAX];
	struct stat st;
	if (strchr(command, '/')) {
		snprintf(full, sizeof full, "%s%s", command[0] == '/' ? root : "", command);
		if (access(full, X_OK) < 0)
			return error_set(err, errno == ENOENT ? -ENOENT : -EACCES, "%s: %s",
					 command, strerror(errno));
		if (stat(full, &st) == 0 && !S_ISREG(st.st_mode))
			return error_set(err, -EACCES, "%s: not a regular file", command);
		snprintf(path, size, "%s", command);
		return 0;
	}
	if (!dirs)
		dirs = getenv("PATH");
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	bool denied = false;
	while (*dirs) {
		size_t len = strcspn(dirs, ":");
		snprintf(path, size, "%.*s%s%s", (int)len, dirs, len ? "/" : "", command);
		snprintf(full, sizeof full, "%s%s", path[0] == '/' ? root : "", path);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) {
			if (access(full, X_OK) == 0)
				return 0;
			denied = true;
		}
		dirs += len + (dirs[len] == ':');
	}
	if (denied)
		return error_set(err, -EACCES, "%s: permission denied", command);
	return error_set(err, -ENOENT, "%s: command not found", command);
}

/* (thread, syscall) pairs already reported in log mode: open addressing. */
struct seen {
	uint64_t *slots;
	size_t cap, used;
};

static bool seen_insert(struct seen *s, uint64_t key)
{
	key++; /* 0 marks an empty slot */
	if (2 * (s->used + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		uint64_t *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return true;
		for (size_t i = 0; i < s->cap; i++)
			for (size_t j = s->slots[i] % cap; s->slots[i]; j = (j + 1) % cap)
				if (!slots[j]) {
					slots[j] = s->slots[i];
					break;
				}
		free(s->slots);
		s->slots = slots;
		s->cap = cap;
	}
	for (size_t j = key % s->cap;; j = (j + 1) % s->cap) {
		if (s->slots[j] == key)
			return false;
		if (!s->slots[j]) {
			s->slots[j] = key;
			s->used++;
			return true;
		}
	}
}

struct supervisor {
	const struct supervisor_options *opt;
	pid_t child;
	int listener;
	bool started; /* the command's own execve has been let through */
	bool child_done;
	bool own_group;   /* the child leads a process group of its own */
	int early_signal; /* one that called the start off, or 0 */
	struct supervisor_result *result;
	struct seen seen;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	int execve_nr, execveat_nr;
	struct signal_scope scope;
	int status_fd;    /* a jail's init writes the command's status here; or -1 */
	bool status_read; /* and did: command_status holds it */
	int command_status;
};

/* What cibox passes on to the command (see pass_on); it blocks them and
 * reads them from a signalfd. */
static const int forwarded[] = { SIGCHLD, SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 };

static void thread_name(pid_t tid, char *name, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", (int)tid);
	snprintf(name, size, "unknown");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, name, size - 1);
	close(fd);
	if (n <= 0) {
		snprintf(name, size, "unknown");
		return;
	}
	name[n] = '\0';
	name[strcspn(name, "\n")] = '\0';
}

static void respond_continue(struct supervisor *s)
{
	memset(s->resp, 0, sizeof *s->resp);
	s->resp->id = s->req->id;
	s->resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	seccomp_notify_respond(s->listener, s->resp); /* fails only if the caller died */
}

static void respond_error(struct supervisor *s, int error)
{
	memset(s->resp, 0, sizeof *s->resp);
	s->resp->id = s->req->id;
	s->resp->error = -error;
	seccomp_notify_respond(s->listener, s->resp);
}

static bool notification_pending(void *context)
{
	struct supervisor *s = context;
	return seccomp_notify_id_valid(s->listener, s->req->id) == 0;
}

static void report(struct supervisor *s, enum report_level level, int nr, pid_t tid)
{
	char name[64], line[512];
	thread_name(tid, name, sizeof name);
	/* The name belongs to this call's thread only if the call is still pending. */
	if (seccomp_notify_id_valid(s->listener, s->req->id) != 0)
		snprintf(name, sizeof name, "unknown");
	size_t len = report_format(line, sizeof line - 1, level, sctab_name(nr), nr, name);
	line[len++] = '\n';
	ssize_t unused = write(s->opt->report_fd, line, len);
	(void)unused;
}

static void observe(struct supervisor *s, int nr, pid_t tid)
{
	char thread[64], exe[64], program[PATH_MAX];
	thread_name(tid, thread, sizeof thread);
	snprintf(exe, sizeof exe, "/proc/%d/exe", (int)tid);
	ssize_t n = readlink(exe, program, sizeof program - 1);
	program[n > 0 ? n : 0] = '\0';
	const char *base = strrchr(program, '/');
	s->opt->observe(s->opt->observe_context, nr, (const uint64_t *)s->req->data.args, thread,
			base    ? base + 1
			: n > 0 ? program
				: thread);
}

/* 0, or -errno when notifications cannot be received any more. */
static int handle_notification(struct supervisor *s)
{
	memset(s->req, 0, sizeof *s->req); /* the kernel refuses a used buffer */
	/* ioctl rather than libseccomp's receive, which hides why it failed. */
	if (ioctl(s->listener, SECCOMP_IOCTL_NOTIF_RECV, s->req) < 0)
		return errno == ENOENT || errno == EINTR ? 0 : -errno; /* the caller died */
	int nr = s->req->data.nr;
	pid_t tid = (pid_t)s->req->pid;
	bool exec = nr == s->execve_nr || nr == s->execveat_nr;

	/* Until the command is started only its process carries the filter, so
	 * the first execve is cibox's own start of it. */
	if (exec && !s->started) {
		s->started = true;
		respond_continue(s);
		return 0;
	}
	/* Calls some thread may make come here too: judge them by the caller's name. */
	const cibox_policy *policy = policy_set_common(s->opt->policies);
	if (policy_set_sections(s->opt->policies)) {
		char name[64];
		thread_name(tid, name, sizeof name);
		policy = policy_set_for(s->opt->policies, name);
	}
	const uint64_t *args = (const uint64_t *)s->req->data.args;
	bool allowed = policy_allows_call(policy, nr, args);
	/* A signal toward a process outside the command's tree is refused as a
	 * call the policy refuses would be, and never runs, not even in log
	 * mode, where refused calls run: no policy can allow it. */
	enum scope_verdict scope = SCOPE_CONTINUE;
	int error = 0;
	if (s->opt->confine_signals && sctab_signal_call_of(nr) &&
	    (allowed || (s->opt->mode == CIBOX_MODE_LOG && !s->opt->observe)))
		scope = signal_scope_judge(&s->scope, nr, args, tid, &error);
	if (allowed && scope != SCOPE_OUTSIDE) {
		if (scope == SCOPE_ANSWERED)
			respond_error(s, error);
		else
			respond_continue(s);
		return 0;
	}
	bool outside = scope == SCOPE_OUTSIDE;
	int quiet = outside ? 0 : policy_quiet_error(nr, args);
	if (quiet) {
		respond_error(s, quiet);
		return 0;
	}
	switch (s->opt->mode) {
	case CIBOX_MODE_LOG:
		if (s->opt->observe) {
			observe(s, nr, tid);
			respond_continue(s);
			return 0;
		}
		/* Numbers stay below 1 << 15: the bit above tells a refused
		 * signal apart from the same syscall let run. */
		if (seen_insert(&s->seen,
				(uint64_t)tid << 16 | (uint64_t)outside << 15 | (uint64_t)nr))
			report(s, outside ? REPORT_REFUSED : REPORT_WARNING, nr, tid);
		if (outside || scope == SCOPE_ANSWERED)
			respond_error(s, outside ? EPERM : error);
		else
			respond_continue(s);
		return 0;
	case CIBOX_MODE_LOG_AND_ABORT:
		report(s, REPORT_ERROR, nr, tid);
		s->result->violation = true;
		proctree_kill_descendants(getpid());
		return 0;
	case CIBOX_MODE_ABORT:
		/* Only execve, calls some other thread may make and signals
		 * judged by their target reach here; end the process as the
		 * kernel would. */
		s->result->violation = true;
		kill(proctree_thread_group(tid), SIGKILL);
		return 0;
	}
	return 0;
}

static void reap(struct supervisor *s)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == s->child) {
			s->result->wait_status = status;
			s->child_done = true;
		}
	}
}

/* What the child tells the supervisor: that the filter is in place, with its
 * listener (SCM_RIGHTS), or why it could not get that far. */
struct handoff {
	int code;
	char message[CIBOX_ERROR_MAX];
};

static void send_handoff(int sock, const struct handoff *h, int listener)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control = { 0 };
	struct iovec iov = { .iov_base = (void *)h, .iov_len = sizeof *h };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (listener >= 0) {
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof control.buf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &listener, sizeof listener);
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

static void send_failure(int sock, int code, const char *message)
{
	struct handoff h = { .code = code };
	snprintf(h.message, sizeof h.message, "%s", message);
	send_handoff(sock, &h, -1);
}

/* Returns the listener, or -1 with h->code and h->message set. */
static int receive_handoff(int sock, struct handoff *h)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = h, .iov_len = sizeof *h };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control.buf,
			      .msg_controllen = sizeof control.buf };
	ssize_t got;
	while ((got = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	int listener = -1;
	struct cmsghdr *c = got > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&listener, CMSG_DATA(c), sizeof listener);
	if (got != (ssize_t)sizeof *h) {
		h->code = -ECHILD;
		snprintf(h->message, sizeof h->message, "the command could not be started");
	} else if (h->code == 0 && listener < 0) {
		/* The kernel drops a passed descriptor the receiver has no room for. */
		h->code = (msg.msg_flags & MSG_CTRUNC) ? -EMFILE : -EPROTO;
		snprintf(h->message, sizeof h->message,
			 "cannot receive the seccomp filter's listener from the command: %s",
			 strerror(-h->code));
	}
	if (h->code < 0 && listener >= 0) {
		close(listener);
		listener = -1;
	}
	return h->code < 0 ? -1 : listener;
}

/*
 * The command starts in a second thread of the child, which installs the
 * filter and execs. The filter binds only that thread, so the first one,
 * unbound, can still hand the listener to the supervisor whatever the policy
 * refuses. The execve waits for the supervisor (it is the command's start, see
 * filter_mark_start), so the listener is out before exec would close it, and
 * the exec then ends the first thread. No ptrace-like access (pidfd_getfd) is
 * needed, which hardened machines and container profiles refuse.
 */
struct starter {
	const struct filter_program *prog;
	const char *path;
	char *const *argv;
	atomic_int result; /* the listener, or -errno */
	atomic_bool installed;
};

static void *start_command(void *arg)
{
	struct starter *st = arg;
	/* Per thread, and not inherited by one: the exec keeps this thread's. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Without CAP_SYS_PTRACE (root of a jail has it), the command cannot
	 * reach into the memory of the supervisor, which is not dumpable, and
	 * change what it enforces. Only root may drop it; others never had it. */
	prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0);
	cibox_error err;
	/* Once cibox has read a call, a signal may no longer cut the call's
	 * wait short: without this (Linux 5.19), a handler without SA_RESTART
	 * made a fork that waited for cibox fail with EINTR, which no program
	 * sees unsandboxed. Older kernels refuse the flag and go without. */
	int listener = filter_install(
		st->prog, SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
		&err);
	if (listener == -EINVAL)
		listener = filter_install(st->prog, SECCOMP_FILTER_FLAG_NEW_LISTENER, &err);
	atomic_store(&st->result, listener);
	atomic_store(&st->installed, true);
	if (listener < 0)
		for (;;)
			pause(); /* the first thread reports it and ends the process */
	execve(st->path, st->argv, environ);
	_exit(errno == ENOENT ? 127 : 126);
}

/* The program, over a stream socket: its length, then its instructions. The
 * socket's buffer holds the largest program whole, so the sender never waits
 * for the child; a child that died already costs no SIGPIPE. */
static int send_program(int fd, const struct filter_program *prog)
{
	size_t bytes = prog->len * sizeof *prog->insns;
	struct iovec parts[2] = { { (void *)&prog->len, sizeof prog->len }, { prog->insns, bytes } };
	struct msghdr msg = { .msg_iov = parts, .msg_iovlen = 2 };
	ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	return n == (ssize_t)(sizeof prog->len + bytes) ? 0 : n < 0 ? -errno : -EIO;
}

static bool read_all(int fd, void *buf, size_t size)
{
	for (size_t got = 0; got < size;) {
		ssize_t n = read(fd, (char *)buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

static bool receive_program(int fd, struct filter_program *prog)
{
	if (!read_all(fd, &prog->len, sizeof prog->len) || prog->len == 0 || prog->len > BPF_MAXINSNS)
		return false;
	prog->insns = calloc(prog->len, sizeof *prog->insns);
	return prog->insns && read_all(fd, prog->insns, prog->len * sizeof *prog->insns);
}

/* The child: get where the command runs, take the program the supervisor
 * compiled meanwhile, then start the command as above. */
static _Noreturn void child_main(const struct supervisor_options *opt, const char *path,
				 char *const argv[], int program_fd, int sock, int status_fd,
				 bool own_group, const sigset_t *old_mask)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	/* kill(0, ...) reaches the caller's process group, which outside a
	 * terminal's job control may hold the script that started cibox. */
	if (own_group)
		setpgid(0, 0);
	cibox_error err = { 0 };
	if (opt->prepare && opt->prepare(opt->prepare_context, status_fd, &err) < 0) {
		send_failure(sock, err.code, err.message);
		_exit(127);
	}
	struct filter_program prog;
	if (!receive_program(program_fd, &prog))
		_exit(127); /* the supervisor could not build it, and says why */
	close(program_fd);
	struct starter st = { .prog = &prog, .path = path, .argv = argv };
	pthread_t thread;
	int rc = pthread_create(&thread, NULL, start_command, &st);
	if (rc != 0) {
		snprintf(err.message, sizeof err.message, "cannot start the command's thread: %s",
			 strerror(rc));
		send_failure(sock, -rc, err.message);
		_exit(127);
	}
	/* The thread makes no call it need not once its filter is in, so it
	 * cannot wake this one. A short sleep rather than sched_yield: on a
	 * busy machine, yielding hands the CPU to whatever else runs there
	 * for a whole time slice, while a sleeper is woken ahead of it. */
	while (!atomic_load(&st.installed)) {
		struct timespec moment = { 0, 20 * 1000 };
		nanosleep(&moment, NULL);
	}
	int listener = atomic_load(&st.result);
	if (listener < 0) {
		snprintf(err.message, sizeof err.message, "cannot install the seccomp filter: %s",
			 strerror(-listener));
		send_failure(sock, listener, err.message);
		_exit(127);
	}
	struct handoff h = { 0 };
	send_handoff(sock, &h, listener);
	/* This thread alone ends, so that the exec has no thread left to wait
	 * for; the process lives on in the command's. */
	for (;;)
		syscall(SYS_exit, 0);
}

/*
 * Signals for the command. In a terminal's foreground the command shares
 * cibox's process group: the terminal's own signals (Ctrl-C, Ctrl-\) reach it
 * by themselves, and what another process sends cibox is passed to the child.
 * Elsewhere the child leads a group of its own, and every signal goes to that
 * whole group, as the kernel would have delivered one sent to cibox's group.
 * Before the command has started (a jail's init, which ignores what it has no
 * handler for, may be all there is), any of them calls the start off.
 */
static bool in_terminal_foreground(void)
{
	int tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (tty < 0)
		return false;
	pid_t group = tcgetpgrp(tty);
	bool foreground = group > 0 && group == getpgrp();
	close(tty);
	return foreground;
}

static void pass_on(struct supervisor *s, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;
	if (sig == SIGCHLD)
		return;
	if (!s->started) {
		s->early_signal = sig;
		kill(s->own_group ? -s->child : s->child, SIGKILL);
	} else if (!s->own_group) {
		if ((sig == SIGINT || sig == SIGQUIT) && si->ssi_code == SI_KERNEL)
			return;
		kill(s->child, sig);
	} else {
		kill(-s->child, sig);
	}
}

/*
 * The command of a jail has ended once its init has written how; the
 * init then exits, and the kernel tears the jail's namespaces down (its
 * mounts, with a wait for an RCU grace period, its network) before the
 * init is a zombie. Nothing anyone can see depends on that part: every
 * process of the jail is killed here and has begun to exit, so none runs
 * its own code again, and cibox returns without waiting for the rest.
 */
static bool command_ended(struct supervisor *s)
{
	ssize_t n;
	while ((n = read(s->status_fd, &s->command_status, sizeof s->command_status)) < 0 &&
	       errno == EINTR)
		;
	s->status_read = n == sizeof s->command_status;
	if (!s->status_read)
		return false; /* the init ended first: its own wait status says how */
	proctree_kill_descendants(getpid());
	reap(s);
	return true;
}

static int supervise(struct supervisor *s, int sigfd)
{
	struct pollfd fds[3] = { { .fd = sigfd, .events = POLLIN },
				 { .fd = s->listener, .events = POLLIN },
				 { .fd = s->status_fd, .events = POLLIN } };
	while (!s->child_done) {
		int n = poll(fds, 3, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (fds[1].revents & POLLIN) {
			int rc = handle_notification(s);
			if (rc < 0) {
				/* Unsupervised, the command would hang or run unchecked. */
				proctree_kill_descendants(getpid());
				while (waitpid(-1, NULL, 0) > 0)
					;
				return rc;
			}
		} else if (fds[1].revents & (POLLHUP | POLLERR))
			fds[1].fd = -1; /* no process holds the filter any more */
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sigfd, &si, sizeof si) == sizeof si)
				pass_on(s, &si);
			reap(s);
		}
		if (fds[2].revents & (POLLIN | POLLHUP)) {
			if (command_ended(s))
				return 0;
			fds[2].fd = -1;
		}
	}
	/* The command is done: whatever it left running ends with it. As a
	 * subreaper, cibox has children as long as it has any descendants. */
	if (waitpid(-1, NULL, WNOHANG) == 0)
		proctree_kill_descendants(getpid());
	while (waitpid(-1, NULL, 0) > 0)
		;
	return 0;
}

int supervisor_compile(const struct supervisor_options *options, struct filter_program *out,
		       cibox_error *err)
{
	struct filter_spec spec = {
		.violation =
			options->mode == CIBOX_MODE_ABORT ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_NOTIFY,
		.notify_exec = true,
		.supervised = policy_set_supervised(options->policies),
		.judge_signals = options->confine_signals,
	};
	return filter_build(policy_set_common(options->policies), &spec, -1, out, err);
}

/* A copy the start's marker can be written into. */
static int copy_program(const struct filter_program *from, struct filter_program *to, cibox_error *err)
{
	to->insns = malloc(from->len * sizeof *from->insns);
	if (!to->insns)
		return error_set(err, -ENOMEM, "out of memory");
	memcpy(to->insns, from->insns, from->len * sizeof *from->insns);
	to->len = from->len;
	return 0;
}

int supervisor_run(const struct supervisor_options *options, const char *path, char *const argv[],
		   struct supervisor_result *result, cibox_error *err)
{
	int rc;
	if (seccomp_api_get() < 6)
		return error_set(
			err, -ENOSYS,
			"this kernel lacks seccomp user notification with continue (Linux 5.5 or later is needed)");

	struct filter_program prog = { NULL, 0 };
	struct supervisor s = { .opt = options,
				.listener = -1,
				.result = result,
				.execve_nr = sctab_resolve("execve"),
				.execveat_nr = sctab_resolve("execveat"),
				.status_fd = -1,
				.scope = { .root = getpid(), .pending = notification_pending } };
	s.scope.context = &s;
	*result = (struct supervisor_result){ 0 };
	int sigfd = -1, sock[2] = { -1, -1 }, status_pipe[2] = { -1, -1 }, program[2] = { -1, -1 };
	sigset_t mask, old_mask;
	sigemptyset(&mask);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&mask, forwarded[i]);
	s.scope.root_passes = mask;
	sigprocmask(SIG_BLOCK, &mask, &old_mask);

	/* Not dumpable: a process of the same user (the command) may not open
	 * this one's memory or take its descriptors, which would let it rewrite
	 * the policy or answer its own notifications. */
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (seccomp_notify_alloc(&s.req, &s.resp) < 0) {
		rc = error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sigfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, program) < 0 ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0 ||
	    (options->prepare && pipe2(status_pipe, O_CLOEXEC) < 0)) {
		rc = error_set(err, -errno, "cannot prepare the supervisor: %s", strerror(errno));
		goto out;
	}
	/* In a terminal's foreground the shell made this job a group of its
	 * own, and the command stays in it to use the terminal; elsewhere it
	 * gets a group of its own (see pass_on). */
	s.own_group = !in_terminal_foreground();
	s.child = options->spawn ? options->spawn(options->prepare_context, err) : fork();
	if (s.child < 0) {
		rc = options->spawn ? s.child : error_set(err, -errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (s.child == 0) {
		close(sock[0]);
		close(program[1]);
		if (status_pipe[0] >= 0)
			close(status_pipe[0]);
		child_main(options, path, argv, program[0], sock[1], status_pipe[1], s.own_group,
			   &old_mask);
	}
	close(sock[1]);
	sock[1] = -1;
	close(program[0]);
	program[0] = -1;
	/* Compiled while the child builds the jail, on another core. */
	rc = options->compiled ? copy_program(options->compiled, &prog, err)
			       : supervisor_compile(options, &prog, err);
	if (rc == 0 && (rc = filter_mark_start(&prog, argv)) < 0)
		error_set(err, rc, "the seccomp program lacks the rule for the command's start");
	if (rc == 0) {
		/* A child that ended already (its jail failed) says why below. */
		int sent = send_program(program[1], &prog);
		if (sent < 0 && sent != -EPIPE)
			rc = error_set(err, sent, "cannot hand the seccomp program over: %s",
				       strerror(-sent));
	}
	if (rc < 0) {
		kill(s.child, SIGKILL);
		proctree_kill_descendants(getpid());
		while (waitpid(-1, NULL, 0) > 0)
			;
		goto out;
	}
	if (status_pipe[1] >= 0) {
		close(status_pipe[1]);
		status_pipe[1] = -1;
	}
	s.status_fd = status_pipe[0];

	struct handoff h;
	s.listener = receive_handoff(sock[0], &h);
	if (s.listener < 0) {
		rc = error_set(err, h.code, "%s", h.message);
		kill(s.child, SIGKILL);
		proctree_kill_descendants(getpid());
		while (waitpid(-1, NULL, 0) > 0)
			;
		goto out;
	}
	rc = supervise(&s, sigfd);
	if (rc < 0)
		error_set(err, rc, "supervising the command failed: %s", strerror(-rc));
	int command_status;
	if (rc == 0 && s.status_read)
		result->wait_status = s.command_status;
	else if (rc == 0 && status_pipe[0] >= 0 &&
		 read(status_pipe[0], &command_status, sizeof command_status) == sizeof command_status)
		result->wait_status = command_status;
	else if (rc == 0 && s.early_signal && WIFSIGNALED(result->wait_status))
		result->wait_status = s.early_signal; /* as if that signal had ended it */
out:
	if (s.listener >= 0)
		close(s.listener);
	if (sigfd >= 0)
		close(sigfd);
	for (int i = 0; i < 2; i++) {
		if (sock[i] >= 0)
			close(sock[i]);
		if (status_pipe[i] >= 0)
			close(status_pipe[i]);
		if (program[i] >= 0)
			close(program[i]);
	}
	free(s.seen.slots);
	seccomp_notify_free(s.req, s.resp);
	filter_program_free(&prog);
	prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
	if (dumpable > 0)
		prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return rc;
}
