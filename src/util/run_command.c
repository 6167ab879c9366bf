#include "util/run_command.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/error.h"
#include "util/strbuf.h"

extern char **environ;

/* Signals cibox itself ignores or handles in ways no child should inherit,
 * ignored or not. */
static const int defaulted[] = { SIGPIPE, SIGINT, SIGTERM, SIGCHLD };

/* What the child could not do, for the parent's message. */
enum start_stage { STARTED, IN_GROUP, IN_PARENT_DEATH, IN_STREAMS, IN_DIR, IN_EXEC };

/* Shared by the parent and the child, which runs in the parent's memory
 * until it execs: the child writes only `stage` and `error`. */
struct start {
	const struct runcmd *cmd;
	int ends[3];      /* the child's end of each stream's pipe, or -1 */
	const char *path; /* the caller's PATH */
	char *const *env;
	pid_t parent;
	enum start_stage stage;
	int error;
};

/* The descriptor stream `i` becomes, or -1 with errno set. Descriptors
 * opened here are close-on-exec: only the dup2 copies reach the program. */
static int stream_source(const struct start *s, const struct runcmd_stream *st, int i)
{
	switch (st->how) {
	case RUNCMD_NULL: return open("/dev/null", (i ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	case RUNCMD_PIPE: return s->ends[i];
	case RUNCMD_FD: return st->fd;
	default: errno = EINVAL; return -1;
	}
}

static int set_streams(const struct start *s)
{
	const struct runcmd_stream *st[3] = { &s->cmd->in, &s->cmd->out, &s->cmd->err };
	int src[3];
	for (int i = 0; i < 3; i++) {
		src[i] = -1;
		if (st[i]->how == RUNCMD_INHERIT || (i == 2 && st[i]->how == RUNCMD_STDOUT))
			continue;
		if ((src[i] = stream_source(s, st[i], i)) < 0)
			return -1;
		/* A source among 0..2 that another stream is about to replace
		 * moves out of the way first. */
		if (src[i] < 3 && src[i] != i && (src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3)) < 0)
			return -1;
	}
	for (int i = 0; i < 3; i++) {
		if (src[i] < 0)
			continue;
		/* dup2 onto itself would leave close-on-exec set. */
		if (src[i] == i ? fcntl(i, F_SETFD, 0) < 0 : dup2(src[i], i) < 0)
			return -1;
	}
	if (st[2]->how == RUNCMD_STDOUT && dup2(1, 2) < 0)
		return -1;
	return 0;
}

/* While every signal is blocked: no handler of the parent's may run in
 * its memory, and the program starts with the default actions. */
static void reset_signals(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	for (size_t i = 0; i < sizeof defaulted / sizeof defaulted[0]; i++)
		sigaction(defaulted[i], &dfl, NULL);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
		    sa.sa_handler != SIG_IGN)
			sigaction(sig, &dfl, NULL);
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* execvp's search, without its allocation: the child may not touch the
 * parent's heap. The first error that is not "not here" wins, then
 * EACCES, then ENOENT. Unlike execvp's, EACCES is only for a file there
 * that may not run: a folder of PATH the caller may not search, or a
 * folder named like the command, is "not here", as a shell says. */
static void exec_searching(const char *name, char *const *argv, char *const *env, const char *path)
{
	size_t nlen = strlen(name);
	bool denied = false;
	char file[PATH_MAX];
	for (const char *dir = path;; dir++) {
		const char *end = strchr(dir, ':');
		size_t dlen = end ? (size_t)(end - dir) : strlen(dir);
		if (dlen + 1 + nlen < sizeof file) {
			memcpy(file, dir, dlen);
			/* An empty entry is the working folder. */
			if (dlen)
				file[dlen++] = '/';
			memcpy(file + dlen, name, nlen + 1);
			execve(file, argv, env);
			struct stat st;
			if (errno == EACCES)
				denied = denied || (stat(file, &st) == 0 && S_ISREG(st.st_mode));
			else if (errno != ENOENT && errno != ENOTDIR && errno != ESTALE &&
				 errno != ENODEV && errno != ETIMEDOUT)
				return;
		}
		if (!end)
			break;
		dir = end;
	}
	errno = denied ? EACCES : ENOENT;
}

static int child(void *arg)
{
	struct start *s = arg;
	const struct runcmd *cmd = s->cmd;
	if (cmd->new_pgroup && setpgid(0, 0) < 0) {
		s->stage = IN_GROUP;
	} else if (cmd->pdeath_signal && prctl(PR_SET_PDEATHSIG, cmd->pdeath_signal) < 0) {
		s->stage = IN_PARENT_DEATH;
	} else if (cmd->pdeath_signal && getppid() != s->parent) {
		/* Gone before the prctl, the parent will never send it. */
		s->stage = IN_PARENT_DEATH;
		errno = ESRCH;
	} else if (set_streams(s) < 0) {
		s->stage = IN_STREAMS;
	} else if (cmd->dir && chdir(cmd->dir) < 0) {
		s->stage = IN_DIR;
	} else {
		reset_signals();
		s->stage = IN_EXEC;
		const char *program = cmd->program ? cmd->program : cmd->argv[0];
		if (cmd->program || strchr(program, '/'))
			execve(program, cmd->argv, s->env);
		else
			exec_searching(program, cmd->argv, s->env, s->path);
	}
	s->error = errno ? errno : EIO;
	_exit(127);
}

/* The child's stack while it shares the caller's memory: the search's path
 * and the calls before exec need little, a sanitizer's frames more. */
#define START_STACK (256 * 1024)

static void close_ends(int ends[3][2], int side)
{
	for (int i = 0; i < 3; i++)
		if (ends[i][side] >= 0) {
			close(ends[i][side]);
			ends[i][side] = -1;
		}
}

static int start_failed(const struct runcmd *cmd, const struct start *s, cibox_error *err)
{
	const char *name = cmd->argv[0];
	int e = s->error;
	switch (s->stage) {
	case IN_GROUP:
		return error_set(err, -e, "cannot start '%s' in a process group of its own: %s",
				 name, strerror(e));
	case IN_PARENT_DEATH:
		return error_set(err, -e, "cannot start '%s' to end with its parent: %s", name,
				 strerror(e));
	case IN_STREAMS:
		return error_set(err, -e, "cannot give '%s' its standard streams: %s", name,
				 strerror(e));
	case IN_DIR:
		return error_set(err, -e, "cannot start '%s' in %s: %s", name, cmd->dir, strerror(e));
	default: return error_set(err, -e, "cannot start '%s': %s", name, strerror(e));
	}
}

int runcmd_start(struct runcmd *cmd, cibox_error *err)
{
	struct runcmd_stream *streams[3] = { &cmd->in, &cmd->out, &cmd->err };
	int ends[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } }; /* child's, caller's */
	cmd->pid = -1;
	for (int i = 0; i < 3; i++) {
		int fds[2];
		if (streams[i]->how != RUNCMD_PIPE)
			continue;
		if (pipe2(fds, O_CLOEXEC) < 0) {
			int rc = error_set(err, -errno, "cannot start '%s': pipe: %s", cmd->argv[0],
					   strerror(errno));
			close_ends(ends, 0);
			close_ends(ends, 1);
			return rc;
		}
		ends[i][0] = i == 0 ? fds[0] : fds[1];
		ends[i][1] = i == 0 ? fds[1] : fds[0];
	}
	char *stack = mmap(NULL, START_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED) {
		int rc = error_set(err, -errno, "cannot start '%s': %s", cmd->argv[0],
				   strerror(errno));
		close_ends(ends, 0);
		close_ends(ends, 1);
		return rc;
	}
	const char *path = getenv("PATH");
	struct start s = { cmd,
			   { ends[0][0], ends[1][0], ends[2][0] },
			   path ? path : "/bin:/usr/bin",
			   cmd->env ? cmd->env : environ,
			   getpid(),
			   STARTED,
			   0 };
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid_t pid = clone(child, stack + START_STACK, CLONE_VM | CLONE_VFORK | SIGCHLD, &s);
	int saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	munmap(stack, START_STACK);
	close_ends(ends, 0);
	if (pid < 0 || s.error) {
		close_ends(ends, 1);
		if (pid < 0)
			return error_set(err, -saved, "cannot start '%s': %s", cmd->argv[0],
					 strerror(saved));
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return start_failed(cmd, &s, err);
	}
	for (int i = 0; i < 3; i++)
		if (streams[i]->how == RUNCMD_PIPE)
			streams[i]->fd = ends[i][1];
	cmd->pid = pid;
	return 0;
}

int runcmd_finish(struct runcmd *cmd, int *status, cibox_error *err)
{
	while (waitpid(cmd->pid, status, 0) < 0)
		if (errno != EINTR)
			return error_set(err, -errno, "cannot wait for '%s': %s", cmd->argv[0],
					 strerror(errno));
	return 0;
}

int runcmd_run(struct runcmd *cmd, int *status, cibox_error *err)
{
	int rc = runcmd_start(cmd, err);
	return rc < 0 ? rc : runcmd_finish(cmd, status, err);
}

int runcmd_capture(struct runcmd *cmd, struct strbuf *out, int *status, cibox_error *err)
{
	cmd->out.how = RUNCMD_PIPE;
	int rc = runcmd_start(cmd, err);
	if (rc < 0)
		return rc;
	int read_rc = strbuf_read_fd(out, cmd->out.fd);
	close(cmd->out.fd);
	cmd->out.fd = -1;
	rc = runcmd_finish(cmd, status, err);
	if (rc == 0 && read_rc < 0)
		rc = error_set(err, read_rc, "cannot read what '%s' printed: %s", cmd->argv[0],
			       strerror(-read_rc));
	return rc;
}

int runcmd_exit_code(int status)
{
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
