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

#include "ci/step_driver.h"
#include "util/beneath.h"
#include "util/error.h"
#include "util/proctree.h"
#include "util/strbuf.h"

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
	bool line_start; /* on a terminal: the cursor is at the start of a line */
	bool ticker;     /* on a terminal: the elapsed-time line is showing */
};

/* On a terminal, while a step is quiet at the start of a line, one line that
 * says which step runs and for how long; output replaces it. */
static void tick(struct output *out)
{
	if (out->o->quiet || !out->o->tty || !out->line_start)
		return;
	fprintf(out->o->out, "\r\033[K%s\xe2\x80\xa6 %s running for %.0f s%s",
		out->o->color ? "\033[2m" : "", out->step, now() - out->start,
		out->o->color ? "\033[0m" : "");
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
	/* A log followed as it grows, or matrix's live view, sees each chunk
	 * when the step wrote it, not when a buffer filled. */
	fflush(out->o->out);
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

static void say(const struct runner_options *o, const char *color, const char *fmt,
		const char *name, double seconds, int exit_status)
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

/* The run's shell and the pipes to it. */
struct shell {
	pid_t pid;
	int control; /* step paths go in */
	int done;    /* "0" comes out when a step returned */
	int output;  /* the steps' standard output and error */
	bool exited;
	int status;
	/* The shell's end of a pipe closed: polling it would return at once,
	 * again and again, until the engine's process is reaped. */
	bool done_hung_up, output_hung_up;
	bool ready;        /* it said "r": the engine started it */
	char *channels[3]; /* the named pipes, removed when the shell has ended */
	int state_fd;      /* the folder of the named pipes, which steps can write */
};

static const char *base_name(const char *path)
{
	return strrchr(path, '/') + 1;
}

static void remove_channels(struct shell *sh)
{
	for (size_t i = 0; i < 3; i++) {
		if (sh->channels[i])
			unlinkat(sh->state_fd, base_name(sh->channels[i]), 0);
		free(sh->channels[i]);
		sh->channels[i] = NULL;
	}
}

/* The shell's named pipes, made fresh for each shell of the run: `dir`/NN.steps,
 * `dir`/NN.done and `dir`/NN.output. A step of an earlier shell may still
 * run and plant anything at those names: what is there is removed (a link
 * as a link), and what is opened must be the pipe made here. */
static int make_channel(const struct shell *sh, const char *dir, size_t n, const char *what,
			char **path, cibox_error *err)
{
	if (asprintf(path, "%s/%02zu.%s", dir, n, what) < 0) {
		*path = NULL;
		return error_set(err, -ENOMEM, "out of memory");
	}
	unlinkat(sh->state_fd, base_name(*path), 0);
	if (mkfifoat(sh->state_fd, base_name(*path), 0600) < 0)
		return error_set(err, -errno, "%s: %s", *path, strerror(errno));
	return 0;
}

static int open_channel(const struct shell *sh, const char *path, int flags)
{
	int fd = beneath_open(sh->state_fd, base_name(path), flags, 0);
	struct stat st;
	if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))) {
		close(fd);
		return -EEXIST;
	}
	return fd;
}

static int shell_start(struct ci_plan *plan, ci_engine *engine, char **envp, const char *state_in,
		       const char *state_out, const char *dir, size_t n, struct shell *sh,
		       cibox_error *err)
{
	char *steps = NULL, *done = NULL, *output_path = NULL;
	int output[2] = { -1, -1 };
	int rc = make_channel(sh, dir, n, "steps", &steps, err);
	if (rc == 0)
		rc = make_channel(sh, dir, n, "done", &done, err);
	if (rc == 0)
		rc = make_channel(sh, dir, n, "output", &output_path, err);
	/* Read and write: opening cannot wait for the shell, and the steps pipe
	 * ends when this end closes. Reading "done" without blocking sees no
	 * hang-up before the shell has opened it. */
	sh->control = sh->done = -1;
	if (rc == 0 && (sh->control = open_channel(sh, steps, O_RDWR)) < 0)
		rc = error_set(err, sh->control, "%s: %s", steps, beneath_strerror(sh->control));
	if (rc == 0 && (sh->done = open_channel(sh, done, O_RDONLY | O_NONBLOCK)) < 0)
		rc = error_set(err, sh->done, "%s: %s", done, beneath_strerror(sh->done));
	/* The reading end first, so that opening the writing end does not wait. */
	if (rc == 0 && (output[0] = open_channel(sh, output_path, O_RDONLY | O_NONBLOCK)) < 0)
		rc = error_set(err, output[0], "%s: %s", output_path, beneath_strerror(output[0]));
	if (rc == 0 && (output[1] = open_channel(sh, output_path, O_WRONLY)) < 0)
		rc = error_set(err, output[1], "%s: %s", output_path, beneath_strerror(output[1]));
	enum { FIXED_ARGS = 11 };
	char **argv = calloc(FIXED_ARGS + plan->nsteps + 1, sizeof *argv);
	if (argv) {
		char *fixed[FIXED_ARGS] = { "bash",
					    "--noprofile",
					    "--norc",
					    "-c",
					    (char *)step_driver_script,
					    "cibox",
					    (char *)state_out,
					    (char *)state_in,
					    steps,
					    done,
					    output_path };
		memcpy(argv, fixed, sizeof fixed);
		for (size_t i = 0; i < plan->nsteps; i++)
			argv[FIXED_ARGS + i] = plan->steps[i].path;
	} else if (rc == 0) {
		rc = error_set(err, -ENOMEM, "out of memory");
	}
	struct engine_command cmd = { argv, envp, plan->root, output[1] };
	if (rc == 0)
		rc = engine_spawn(engine, &cmd, &sh->pid, err);
	free(argv);
	if (output[1] >= 0)
		close(output[1]);
	sh->channels[0] = steps, sh->channels[1] = done, sh->channels[2] = output_path;
	if (rc < 0) {
		remove_channels(sh);
		if (output[0] >= 0)
			close(output[0]);
		if (sh->control >= 0)
			close(sh->control);
		if (sh->done >= 0)
			close(sh->done);
		sh->control = sh->done = -1;
		return rc;
	}
	sh->output = output[0];
	sh->exited = false;
	sh->done_hung_up = sh->output_hung_up = sh->ready = false;
	return 0;
}

static void shell_stop(struct shell *sh)
{
	if (sh->control >= 0)
		close(sh->control);
	if (sh->done >= 0)
		close(sh->done);
	if (sh->output >= 0)
		close(sh->output);
	sh->control = sh->done = sh->output = -1;
	while (!sh->exited)
		sh->exited = reap(sh->pid, &sh->status) ||
			     waitpid(sh->pid, &sh->status, 0) == sh->pid || errno == ECHILD;
	remove_channels(sh);
}

/* Kills the shell with all its group and reaps it, before its other
 * descendants are ended: the ns engine's shell is this process's child in a
 * pid namespace whose init, once killed, waits until every process of the
 * namespace is reaped, the shell too. */
static void end_shell(struct shell *sh)
{
	kill(-sh->pid, SIGKILL);
	while (!sh->exited)
		sh->exited = waitpid(sh->pid, &sh->status, 0) == sh->pid || errno != EINTR;
}

/* Runs one step in the shell; returns 0 with its outcome recorded, or a
 * negative errno. The shell may end (the step failed, or called exit). */
static int run_step(ci_engine *engine, struct shell *sh, int run_fd, struct ci_step *step,
		    size_t number, const struct runner_options *o, bool *interrupted,
		    cibox_error *err)
{
	/* The run folder is the steps' to write: a link planted at this name
	 * must not make cibox write where it leads. */
	int log_fd = beneath_create(run_fd, base_name(step->log), 0644);
	if (log_fd < 0)
		return error_set(err, log_fd, "%s: %s", step->log, beneath_strerror(log_fd));
	double start = now();
	if (o->tty)
		say(o, "\033[1m", "\xe2\x96\xb6 %s", step->name, 0, 0);
	else
		say(o, "", "==> %s", step->name, 0, 0);
	struct strbuf line = STRBUF_INIT;
	strbuf_addf(&line, "%zu\n", number);
	ssize_t sent = line.oom ? -1 : write(sh->control, line.buf, line.len);
	strbuf_release(&line);

	struct output out = { o, step->name, log_fd, STRBUF_INIT, start, true, false };
	double next_tick = start + 1;
	bool returned = false;
	int rc = 0;
	double deadline = 0;
	while (sent > 0 && !returned && !sh->exited) {
		struct pollfd fds[3] = { { signal_pipe[0], POLLIN, 0 },
					 { sh->output_hung_up ? -1 : sh->output, POLLIN, 0 },
					 { sh->done_hung_up ? -1 : sh->done, POLLIN, 0 } };
		int timeout = deadline > 0 ? (int)((deadline - now()) * 1000) + 1 : -1;
		if (deadline > 0 && timeout <= 0) {
			/* It ignored SIGINT (bash does when the command it waits
			 * for exits normally): it and all it started go now. */
			end_shell(sh);
			proctree_kill_descendants(getpid());
			break;
		}
		if (o->tty && !o->quiet) {
			int to_tick = (int)((next_tick - now()) * 1000) + 1;
			if (to_tick < 0)
				to_tick = 0;
			if (timeout < 0 || to_tick < timeout)
				timeout = to_tick;
		}
		if (poll(fds, 3, timeout) < 0 && errno != EINTR) {
			rc = error_set(err, -errno, "poll: %s", strerror(errno));
			break;
		}
		if (fds[0].revents & POLLIN) {
			char sigs[64];
			ssize_t n = read(signal_pipe[0], sigs, sizeof sigs);
			for (ssize_t i = 0; i < n; i++)
				if (sigs[i] == 'I' && !*interrupted) {
					*interrupted = true;
					engine_interrupt(engine, sh->pid);
					deadline = now() + 2;
				}
		}
		if (fds[1].revents & (POLLIN | POLLHUP))
			sh->output_hung_up = !pump(sh->output, &out) && (fds[1].revents & POLLHUP);
		if (fds[2].revents & POLLIN) {
			char buf[16];
			ssize_t got = read(sh->done, buf, sizeof buf);
			sh->ready = sh->ready || (got > 0 && memchr(buf, 'r', (size_t)got));
			returned = got > 0 && memchr(buf, '0', (size_t)got);
		} else if (fds[2].revents & POLLHUP) {
			sh->done_hung_up = true;
		}
		sh->exited = sh->exited || reap(sh->pid, &sh->status);
		if (!returned && !sh->exited && now() >= next_tick) {
			tick(&out);
			next_tick += 1;
		}
	}
	/* What the step wrote before it returned or the shell ended; a process
	 * it left running may hold the pipe open, so no waiting for its end. */
	pump(sh->output, &out);
	show_end(&out);
	close(log_fd);
	if (rc < 0)
		return rc;
	if (sent <= 0 && !sh->exited)
		return error_set(err, -EPIPE, "the run's shell stopped reading steps");
	if (sh->exited && !sh->ready && !*interrupted)
		return error_set(err, -EOPNOTSUPP,
				 "engine %s could not start the run's shell (exit status %d); "
				 "what it said is above and in %s",
				 engine_name(engine),
				 WIFSIGNALED(sh->status) ? 128 + WTERMSIG(sh->status)
							 : WEXITSTATUS(sh->status),
				 step->log);
	if (*interrupted) {
		end_shell(sh);
		proctree_kill_descendants(getpid());
	}

	step->seconds = now() - start;
	int status = sh->status;
	step->exit_status = returned              ? 0
			    : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
						  : WEXITSTATUS(status);
	if (*interrupted)
		step->status = STEP_INTERRUPTED;
	else
		step->status = step->exit_status == 0 ? STEP_PASSED : STEP_FAILED;
	switch (step->status) {
	case STEP_PASSED:
		say(o, "\033[32m",
		    o->tty ? "\xe2\x9c\x94 %s passed in %.2f s" : "==> %s passed in %.2f s",
		    step->name, step->seconds, 0);
		break;
	case STEP_FAILED:
		say(o, "\033[31m",
		    o->tty ? "\xe2\x9c\x98 %s failed in %.2f s (exit status %d)"
			   : "==> %s failed in %.2f s (exit status %d)",
		    step->name, step->seconds, step->exit_status);
		break;
	default:
		say(o, "\033[33m",
		    o->tty ? "\xe2\x9c\x98 %s interrupted after %.2f s"
			   : "==> %s interrupted after %.2f s",
		    step->name, step->seconds, 0);
	}
	return 0;
}

/* Reaps children until none is left or `seconds` have passed. As a
 * subreaper, every descendant becomes a child once its parent has gone. */
static void wait_for_children(double seconds)
{
	double end = now() + seconds;
	while (now() < end) {
		int status;
		pid_t got = waitpid(-1, &status, WNOHANG);
		if (got < 0 && errno == ECHILD)
			return;
		if (got == 0) {
			struct timespec pause = { 0, 10 * 1000 * 1000 };
			nanosleep(&pause, NULL);
		}
	}
}

static sigset_t interrupt_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	return set;
}

void runner_hold_interrupts(sigset_t *old)
{
	sigset_t interrupts = interrupt_signals();
	sigprocmask(SIG_BLOCK, &interrupts, old);
}

/* Whether SIGINT or SIGTERM came while no step was running. */
static bool interrupt_pending(void)
{
	char sigs[64];
	ssize_t n;
	bool pending = false;
	while ((n = read(signal_pipe[0], sigs, sizeof sigs)) > 0)
		pending = pending || memchr(sigs, 'I', (size_t)n);
	return pending;
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
	/* A caller may have held them back until they could be handled. */
	sigset_t interrupts = interrupt_signals();
	sigprocmask(SIG_UNBLOCK, &interrupts, NULL);
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
	struct shell sh = { .control = -1, .done = -1, .output = -1, .exited = true, .state_fd = -1 };
	int run_fd = open(plan->run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = run_fd < 0 ? -errno : 0;
	if (rc == 0 && mkdirat(run_fd, "state", 0700) < 0 && errno != EEXIST)
		rc = -errno;
	if (rc == 0 && (sh.state_fd = beneath_open(run_fd, "state", O_RDONLY | O_DIRECTORY, 0)) < 0)
		rc = sh.state_fd;
	if (rc < 0) {
		error_set(err, rc, "%s: %s", dir.buf, beneath_strerror(rc));
		if (run_fd >= 0)
			close(run_fd);
		strbuf_release(&dir);
		return rc;
	}
	for (size_t i = 0; i < plan->nsteps; i++) {
		struct ci_step *s = &plan->steps[i];
		size_t n = strlen(s->name) - 3;
		if (rc == 0 && asprintf(&s->log, "%s/%.*s.log", plan->run_dir, (int)n, s->name) < 0) {
			s->log = NULL;
			rc = error_set(err, -ENOMEM, "out of memory");
		}
	}

	struct sigaction old[3];
	if (rc == 0)
		rc = install_signals(old, err);
	if (rc < 0) {
		close(sh.state_fd);
		close(run_fd);
		strbuf_release(&dir);
		return rc;
	}
	/* Processes a step leaves behind stay ours, to be ended with the run. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);

	plan->started = time(NULL);
	double start = now();
	bool interrupted = false;
	char *state_in = strdup(""), *state_out = NULL;
	if (!state_in)
		rc = error_set(err, -ENOMEM, "out of memory");
	/* A shell after one that ended in a step starts from an empty environment:
	 * the state file holds every variable, exported or not, and what a step
	 * unset stays unset. */
	char *no_env[] = { NULL };
	plan->status = RUN_PASSED;
	for (size_t i = 0; i < plan->nsteps && rc == 0; i++) {
		/* A signal held back while the engine was prepared, or one that came
		 * between steps: the next step does not start. */
		if (interrupt_pending()) {
			plan->status = RUN_INTERRUPTED;
			break;
		}
		if (sh.exited) {
			shell_stop(&sh);
			/* The shell before left its state (a step ended it with exit 0). */
			if (state_out && access(state_out, F_OK) == 0) {
				free(state_in);
				state_in = state_out;
				state_out = NULL;
			}
			free(state_out);
			if (asprintf(&state_out, "%s/%02zu.sh", dir.buf, i + 1) < 0) {
				state_out = NULL;
				rc = error_set(err, -ENOMEM, "out of memory");
				break;
			}
			rc = shell_start(plan, engine,
					 *state_in ? no_env : envlist_vector(&plan->env), state_in,
					 state_out, dir.buf, i + 1, &sh, err);
			if (rc < 0)
				break;
		}
		struct ci_step *s = &plan->steps[i];
		rc = run_step(engine, &sh, run_fd, s, i, o, &interrupted, err);
		if (rc < 0)
			break;
		if (s->status == STEP_INTERRUPTED || interrupted) {
			plan->status = RUN_INTERRUPTED;
			break;
		}
		if (s->status == STEP_FAILED) {
			plan->status = RUN_FAILED;
			break;
		}
		if (o->after_step)
			o->after_step(o->context, plan, i);
	}
	shell_stop(&sh);
	close(sh.state_fd);
	close(run_fd);
	free(state_in);
	free(state_out);
	/* A container engine's monitor removes the container's run-time state
	 * after the shell has ended: ending it first would leave that behind. */
	if (engine_in_container(engine))
		wait_for_children(5.0);
	engine_end_run(engine);
	proctree_kill_descendants(getpid());
	int ignored;
	reap(-1, &ignored);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	/* SIGINT or SIGTERM after the last step returned still ends the run as
	 * interrupted, as the caller asked. */
	if (rc == 0 && plan->status == RUN_PASSED && interrupt_pending())
		plan->status = RUN_INTERRUPTED;
	restore_signals(old);
	plan->seconds = now() - start;
	strbuf_release(&dir);
	return rc;
}
