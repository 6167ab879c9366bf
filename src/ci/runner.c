#include "ci/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/error.h"
#include "util/proctree.h"
#include "util/strbuf.h"

/* $0 is the step, $1 the state to start from ("" for the first step), $2
 * where to leave the state. After the step, bash's own variables are unset
 * (the shell is about to exit) so that one `declare -p` lists the step's.
 * bash prints each variable on one line, writing newlines and other control
 * characters as $'...', so the lines of the readonly variables, and of the
 * call-stack arrays bash will not unset, can be dropped by a line filter
 * whatever the values hold. The state file exists only once the step passed. */
static const char step_script[] =
	"__cibox_out=$2\n"
	"if [ -n \"$1\" ]; then builtin source \"$1\" || exit 125; fi\n"
	"set --\n"
	"set -eo pipefail\n"
	"builtin source \"$0\"\n"
	"set +eu +o pipefail\n"
	"exec 4>\"$__cibox_out\" || exit 125\n"
	"builtin printf 'builtin cd -- %q || exit 125\\n' \"$PWD\" >&4\n"
	"builtin unset __cibox_out BASH BASHPID BASH_ALIASES BASH_ARGV0 BASH_CMDS BASH_COMMAND"
	" BASH_EXECUTION_STRING BASH_LOADABLES_PATH BASH_SUBSHELL BASH_VERSION COMP_WORDBREAKS"
	" DIRSTACK EPOCHREALTIME EPOCHSECONDS FUNCNAME GROUPS HISTCMD HOSTTYPE IFS LINENO MACHTYPE"
	" OLDPWD OPTARG OPTERR OPTIND OSTYPE PIPESTATUS PWD RANDOM SECONDS SHLVL SRANDOM 2>/dev/null\n"
	"builtin declare -p | LC_ALL=C grep -avE"
	" '^declare -[a-zA-Z]*r[a-zA-Z]* |^declare -a BASH_(ARGC|ARGV|LINENO|SOURCE)=' >&4\n"
	"{ builtin declare -f; builtin declare -Fx; } >&4 || exit 125\n";

static int signal_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	char c = sig == SIGCHLD ? 'C' : 'I';
	ssize_t n = write(signal_pipe[1], &c, 1);
	(void)n;
	errno = saved;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct output {
	const struct runner_options *o;
	const char *step;
	int log_fd;
	struct strbuf partial; /* a line not yet ended, when prefixing */
	double start;
	bool line_start;       /* on a terminal: the cursor is at the start of a line */
	bool ticker;           /* on a terminal: the elapsed-time line is showing */
};

/* On a terminal, while a step is quiet at the start of a line, one line that
 * says which step runs and for how long; output replaces it. */
static void tick(struct output *out)
{
	if (out->o->quiet || !out->o->tty || !out->line_start)
		return;
	fprintf(out->o->out, "\r\033[K%s\xe2\x80\xa6 %s running for %.0f s%s", out->o->color ? "\033[2m" : "",
		out->step, now() - out->start, out->o->color ? "\033[0m" : "");
	fflush(out->o->out);
	out->ticker = true;
}

static void untick(struct output *out)
{
	if (out->ticker)
		fputs("\r\033[K", out->o->out);
	out->ticker = false;
}

static void show(struct output *out, const char *data, size_t len)
{
	if (out->o->quiet)
		return;
	if (out->o->tty) {
		untick(out);
		if (len)
			out->line_start = data[len - 1] == '\n';
		fwrite(data, 1, len, out->o->out);
		fflush(out->o->out);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		strbuf_addch(&out->partial, data[i]);
		if (data[i] == '\n') {
			fprintf(out->o->out, "[%s] %s", out->step, out->partial.buf);
			strbuf_reset(&out->partial);
		}
	}
}

static void show_end(struct output *out)
{
	untick(out);
	if (out->o->tty && !out->o->quiet && !out->line_start)
		fputc('\n', out->o->out);
	if (out->partial.len && !out->o->quiet && !out->o->tty)
		fprintf(out->o->out, "[%s] %s\n", out->step, out->partial.buf);
	strbuf_release(&out->partial);
	fflush(out->o->out);
}

/* Copies what is readable now from the step's output; false at end of file. */
static bool pump(int fd, struct output *out)
{
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 && errno == EAGAIN;
		size_t off = 0;
		while (off < (size_t)n) {
			ssize_t w = write(out->log_fd, buf + off, (size_t)n - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		show(out, buf, (size_t)n);
	}
}

/* Reaps every exited child (a subreaper adopts orphans); true once `pid` is. */
static bool reap(pid_t pid, int *status)
{
	bool done = false;
	int st;
	pid_t got;
	while ((got = waitpid(-1, &st, WNOHANG)) > 0)
		if (got == pid) {
			*status = st;
			done = true;
		}
	return done;
}

static void say(const struct runner_options *o, const char *color, const char *fmt, const char *name,
		double seconds, int exit_status)
{
	if (o->quiet)
		return;
	if (o->color)
		fputs(color, o->out);
	fprintf(o->out, fmt, name, seconds, exit_status);
	if (o->color)
		fputs("\033[0m", o->out);
	fputc('\n', o->out);
	fflush(o->out);
}

/* Runs one step; returns 0 with its outcome recorded, or a negative errno. */
static int run_step(struct ci_plan *plan, ci_engine *engine, struct ci_step *step, char **envp,
		    const char *state_in, const char *state_out, const struct runner_options *o,
		    bool *interrupted, cibox_error *err)
{
	int log_fd = open(step->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log_fd < 0)
		return error_set(err, -errno, "%s: %s", step->log, strerror(errno));
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		close(log_fd);
		return error_set(err, -errno, "pipe: %s", strerror(errno));
	}
	char *argv[] = { "bash", "--noprofile", "--norc", "-c", (char *)step_script, step->path,
			 (char *)state_in, (char *)state_out, NULL };
	struct engine_command cmd = { argv, envp, plan->root, pipefd[1] };
	pid_t pid;
	double start = now();
	if (o->tty)
		say(o, "\033[1m", "\xe2\x96\xb6 %s", step->name, 0, 0);
	else
		say(o, "", "==> %s", step->name, 0, 0);
	int rc = engine_spawn(engine, &cmd, &pid, err);
	close(pipefd[1]);
	if (rc < 0) {
		close(pipefd[0]);
		close(log_fd);
		return rc;
	}
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);

	struct output out = { o, step->name, log_fd, STRBUF_INIT, start, true, false };
	double next_tick = start + 1;
	bool open_pipe = true, exited = false;
	int status = 0;
	double deadline = 0;
	while (!exited) {
		struct pollfd fds[2] = { { signal_pipe[0], POLLIN, 0 }, { pipefd[0], POLLIN, 0 } };
		int timeout = deadline > 0 ? (int)((deadline - now()) * 1000) + 1 : -1;
		if (deadline > 0 && timeout <= 0) {
			/* It ignored SIGINT: it and everything it started go now. */
			kill(-pid, SIGKILL);
			proctree_kill_descendants(getpid());
			deadline = 0;
			timeout = -1;
		}
		if (o->tty && !o->quiet) {
			int to_tick = (int)((next_tick - now()) * 1000) + 1;
			if (to_tick < 0)
				to_tick = 0;
			if (timeout < 0 || to_tick < timeout)
				timeout = to_tick;
		}
		if (poll(fds, open_pipe ? 2 : 1, timeout) < 0 && errno != EINTR) {
			rc = error_set(err, -errno, "poll: %s", strerror(errno));
			break;
		}
		if (fds[0].revents & POLLIN) {
			char sigs[64];
			ssize_t n = read(signal_pipe[0], sigs, sizeof sigs);
			for (ssize_t i = 0; i < n; i++)
				if (sigs[i] == 'I' && !*interrupted) {
					*interrupted = true;
					kill(-pid, SIGINT);
					deadline = now() + 2;
				}
		}
		if (open_pipe && (fds[1].revents & (POLLIN | POLLHUP)))
			open_pipe = pump(pipefd[0], &out);
		exited = reap(pid, &status);
		if (!exited && now() >= next_tick) {
			tick(&out);
			next_tick += 1;
		}
	}
	/* What the step wrote before it ended; a process it left running in the
	 * background may hold the pipe open, so no waiting for end of file. */
	if (open_pipe)
		pump(pipefd[0], &out);
	show_end(&out);
	close(pipefd[0]);
	close(log_fd);
	if (rc < 0)
		return rc;
	if (*interrupted)
		proctree_kill_descendants(getpid());

	step->seconds = now() - start;
	step->exit_status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	if (*interrupted)
		step->status = STEP_INTERRUPTED;
	else
		step->status = step->exit_status == 0 ? STEP_PASSED : STEP_FAILED;
	switch (step->status) {
	case STEP_PASSED:
		say(o, "\033[32m", o->tty ? "\xe2\x9c\x94 %s passed in %.2f s" : "==> %s passed in %.2f s",
		    step->name, step->seconds, 0);
		break;
	case STEP_FAILED:
		say(o, "\033[31m",
		    o->tty ? "\xe2\x9c\x98 %s failed in %.2f s (exit status %d)"
			   : "==> %s failed in %.2f s (exit status %d)",
		    step->name, step->seconds, step->exit_status);
		break;
	default:
		say(o, "\033[33m", o->tty ? "\xe2\x9c\x98 %s interrupted after %.2f s" : "==> %s interrupted after %.2f s",
		    step->name, step->seconds, 0);
	}
	return 0;
}

static int install_signals(struct sigaction old[3], cibox_error *err)
{
	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return error_set(err, -errno, "pipe: %s", strerror(errno));
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGINT, &sa, &old[0]);
	sigaction(SIGTERM, &sa, &old[1]);
	sigaction(SIGCHLD, &sa, &old[2]);
	return 0;
}

static void restore_signals(struct sigaction old[3])
{
	sigaction(SIGINT, &old[0], NULL);
	sigaction(SIGTERM, &old[1], NULL);
	sigaction(SIGCHLD, &old[2], NULL);
	close(signal_pipe[0]);
	close(signal_pipe[1]);
	signal_pipe[0] = signal_pipe[1] = -1;
}

int runner_run(struct ci_plan *plan, ci_engine *engine, const struct runner_options *o,
	       cibox_error *err)
{
	struct strbuf dir = STRBUF_INIT;
	strbuf_addf(&dir, "%s/state", plan->run_dir);
	if (dir.oom)
		return error_set(err, -ENOMEM, "out of memory");
	if (mkdir(dir.buf, 0700) < 0 && errno != EEXIST) {
		int rc = error_set(err, -errno, "%s: %s", dir.buf, strerror(errno));
		strbuf_release(&dir);
		return rc;
	}
	for (size_t i = 0; i < plan->nsteps; i++) {
		struct ci_step *s = &plan->steps[i];
		size_t n = strlen(s->name) - 3;
		if (asprintf(&s->log, "%s/%.*s.log", plan->run_dir, (int)n, s->name) < 0) {
			s->log = NULL;
			strbuf_release(&dir);
			return error_set(err, -ENOMEM, "out of memory");
		}
	}

	struct sigaction old[3];
	int rc = install_signals(old, err);
	if (rc < 0) {
		strbuf_release(&dir);
		return rc;
	}
	/* Processes a step leaves behind stay ours, to be ended with the run. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	plan->started = time(NULL);
	double start = now();
	bool interrupted = false;
	char *state_in = strdup(""), *state_out = NULL;
	/* Later steps start from an empty environment: the state file holds
	 * every variable, exported or not, and what a step unset stays unset. */
	char *no_env[] = { NULL };
	plan->status = RUN_PASSED;
	for (size_t i = 0; i < plan->nsteps && rc == 0; i++) {
		free(state_out);
		if (asprintf(&state_out, "%s/%02zu.sh", dir.buf, i + 1) < 0) {
			state_out = NULL;
			rc = error_set(err, -ENOMEM, "out of memory");
			break;
		}
		struct ci_step *s = &plan->steps[i];
		rc = run_step(plan, engine, s, i == 0 || !*state_in ? envlist_vector(&plan->env) : no_env,
			      state_in, state_out, o, &interrupted, err);
		if (rc < 0)
			break;
		if (s->status == STEP_INTERRUPTED) {
			plan->status = RUN_INTERRUPTED;
			break;
		}
		if (s->status == STEP_FAILED) {
			plan->status = RUN_FAILED;
			break;
		}
		/* A step that ended with `exit 0` left no state: the next one
		 * starts from what the step before it left. */
		if (access(state_out, F_OK) == 0) {
			free(state_in);
			state_in = state_out;
			state_out = NULL;
		}
		if (interrupted) {
			plan->status = RUN_INTERRUPTED;
			break;
		}
	}
	free(state_in);
	free(state_out);
	proctree_kill_descendants(getpid());
	int ignored;
	reap(-1, &ignored);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	restore_signals(old);
	plan->seconds = now() - start;
	strbuf_release(&dir);
	return rc;
}
