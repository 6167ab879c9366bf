#include "ci/runall.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ci/config.h"
#include "util/error.h"
#include "util/run_command.h"

/* A configuration's line without a newline after this many bytes is handed
 * on as it is: the observer gets lines, and memory stays bounded. */
#define LINE_MAX_BYTES 65536

const char *runall_status_name(enum runall_status status)
{
	switch (status) {
	case RUNALL_WAITING: return "waiting";
	case RUNALL_RUNNING: return "running";
	case RUNALL_PASSED: return "passed";
	case RUNALL_FAILED: return "failed";
	case RUNALL_ERROR: return "error";
	case RUNALL_INTERRUPTED: return "interrupted";
	case RUNALL_STOPPED: return "stopped";
	default: return "not run";
	}
}

unsigned runall_default_jobs(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The folder of a configuration in the matrix folder: its name made safe for
 * a file name; one that is "." or "..", or that another configuration's
 * already took ("a b" and "a_b"), gets its number after it. */
static char *folder_name(const struct runall_plan *plan, size_t index)
{
	struct strbuf sb = STRBUF_INIT;
	for (const char *s = plan->configs[index].name; *s; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
		strbuf_addch(&sb, ok ? c : '_');
	}
	const char *name = sb.buf ? sb.buf : "";
	bool taken = strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
	for (size_t i = 0; i < index && !taken; i++)
		taken = strcmp(plan->configs[i].folder, name) == 0;
	if (taken)
		strbuf_addf(&sb, "-%zu", index + 1);
	return strbuf_detach(&sb);
}

int runall_add_configs(struct runall_plan *plan, cibox_error *err)
{
	char **names;
	size_t count;
	int rc = config_list(plan->stage.stage_dir, &names, &count, err);
	if (rc < 0)
		return rc;
	if (count == 0) {
		free(names);
		return error_set(err, -EINVAL,
				 "ci/%s has no configurations (00_setup_env_NAME.sh) to run with --all",
				 plan->stage.stage);
	}
	if (!(plan->configs = calloc(count, sizeof *plan->configs)))
		rc = error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < count; i++) {
		if (rc < 0) {
			free(names[i]);
			continue;
		}
		struct runall_config *c = &plan->configs[plan->nconfigs++];
		*c = (struct runall_config){ .name = names[i], .pid = -1, .output = -1 };
		if (!(c->folder = folder_name(plan, i)))
			rc = error_set(err, -ENOMEM, "out of memory");
	}
	free(names);
	return rc;
}

int runall_place(struct runall_plan *plan, cibox_error *err)
{
	for (size_t i = 0; i < plan->nconfigs; i++) {
		struct runall_config *c = &plan->configs[i];
		if (asprintf(&c->run_dir, "%s/%s", plan->stage.run_dir, c->folder) < 0) {
			c->run_dir = NULL;
			return error_set(err, -ENOMEM, "out of memory");
		}
	}
	return 0;
}

void runall_plan_free(struct runall_plan *plan)
{
	for (size_t i = 0; i < plan->nconfigs; i++) {
		struct runall_config *c = &plan->configs[i];
		free(c->name);
		free(c->folder);
		free(c->run_dir);
		free(c->step);
		strbuf_release(&c->notes);
		strbuf_release(&c->partial);
		for (size_t j = 0; j < c->nsteps; j++)
			free(c->steps[j].name);
		free(c->steps);
		if (c->output >= 0)
			close(c->output);
	}
	free(plan->configs);
	plan_free(&plan->stage);
	plan->configs = NULL;
	plan->nconfigs = 0;
}

static int signal_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	char c = sig == SIGCHLD ? 'C' : 'I';
	ssize_t n = write(signal_pipe[1], &c, 1);
	(void)n;
	errno = saved;
}

static const int handled[] = { SIGINT, SIGTERM, SIGCHLD };
#define NHANDLED (sizeof handled / sizeof handled[0])

static int install_signals(struct sigaction old[NHANDLED], cibox_error *err)
{
	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return error_set(err, -errno, "pipe: %s", strerror(errno));
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART | SA_NOCLDSTOP };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NHANDLED; i++)
		sigaction(handled[i], &sa, &old[i]);
	/* A caller may have held them back until they could be handled. */
	sigset_t interrupts;
	sigemptyset(&interrupts);
	sigaddset(&interrupts, SIGINT);
	sigaddset(&interrupts, SIGTERM);
	sigprocmask(SIG_UNBLOCK, &interrupts, NULL);
	return 0;
}

static void restore_signals(struct sigaction old[NHANDLED])
{
	for (size_t i = 0; i < NHANDLED; i++)
		sigaction(handled[i], &old[i], NULL);
	close(signal_pipe[0]);
	close(signal_pipe[1]);
	signal_pipe[0] = signal_pipe[1] = -1;
}

/* Whether SIGINT or SIGTERM came since the last look. */
static bool interrupt_pending(void)
{
	char sigs[64];
	ssize_t n;
	bool pending = false;
	while ((n = read(signal_pipe[0], sigs, sizeof sigs)) > 0)
		pending = pending || memchr(sigs, 'I', (size_t)n);
	return pending;
}

/* Starts cibox on one configuration, its output into a pipe read here, in a
 * process group of its own, ended (SIGTERM, which ends its run as
 * interrupted, with its report) with this process however it ends. */
static int start(struct runall_plan *plan, struct runall_config *c, cibox_error *err)
{
	size_t n = 0;
	char **argv = calloc(8 + plan->nchild_args, sizeof *argv);
	if (!argv)
		return error_set(err, -ENOMEM, "out of memory");
	argv[n++] = "cibox";
	argv[n++] = "run";
	argv[n++] = plan->stage.stage;
	argv[n++] = "--env";
	argv[n++] = c->name;
	argv[n++] = "--out";
	argv[n++] = c->run_dir;
	for (size_t i = 0; i < plan->nchild_args; i++)
		argv[n++] = plan->child_args[i];
	struct runcmd cmd = RUNCMD_INIT;
	cmd.argv = argv;
	cmd.program = "/proc/self/exe";
	cmd.in.how = RUNCMD_NULL;
	cmd.out.how = RUNCMD_PIPE;
	cmd.err.how = RUNCMD_STDOUT;
	cmd.new_pgroup = true;
	cmd.pdeath_signal = SIGTERM;
	int rc = runcmd_start(&cmd, err);
	free(argv);
	if (rc < 0) {
		error_prefix(err, "cannot start configuration %s: ", c->name);
		return rc;
	}
	fcntl(cmd.out.fd, F_SETFL, O_NONBLOCK);
	c->pid = cmd.pid;
	c->output = cmd.out.fd;
	c->status = RUNALL_RUNNING;
	c->started = c->step_started = now();
	return 0;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void set_step(struct runall_config *c, const char *name, size_t len)
{
	char *step = strndup(name, len);
	if (step) {
		free(c->step);
		c->step = step;
	}
}

/* What a line of the configuration's run says: a step starting or ending,
 * or one of cibox's own lines worth keeping for the end (what went wrong
 * and a failing step's last lines; not its header, nor its closing line). */
static bool take_line(struct runall_config *c, const char *line)
{
	/* Steps' lines all start with "[STEP] ": a blank one is cibox's own,
	 * before its table. */
	if (!*line)
		c->closing = true;
	if (starts_with(line, "==> ")) {
		const char *name = line + 4;
		const char *end = NULL, *p;
		static const char *const endings[] = { " passed in ", " failed in ",
						       " interrupted after " };
		for (size_t i = 0; i < 3; i++)
			for (p = name; (p = strstr(p, endings[i])); p++)
				end = p;
		if (!end) {
			set_step(c, name, strlen(name));
			c->step_started = now();
		}
		return true;
	}
	if (starts_with(line, "  | ") ||
	    (starts_with(line, "cibox: ") && !starts_with(line, "cibox: run folder ") &&
	     !strstr(line, "; report: ") &&
	     !(strstr(line, ", stage ") && strstr(line, ", engine ")))) {
		strbuf_addstr(&c->notes, line);
		strbuf_addch(&c->notes, '\n');
	}
	return false;
}

static void hand_on(const struct runall_observer *o, struct runall_config *c, bool *changed)
{
	if (take_line(c, c->partial.buf ? c->partial.buf : ""))
		*changed = true;
	if (o && o->line)
		o->line(o->context, c, c->partial.buf ? c->partial.buf : "");
	strbuf_reset(&c->partial);
}

/* Reads what the configuration's run printed so far, a line at a time. */
static void pump(const struct runall_observer *o, struct runall_config *c, bool *changed)
{
	char buf[16384];
	while (c->output >= 0) {
		ssize_t n = read(c->output, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(c->output);
			c->output = -1;
			break;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || c->partial.len >= LINE_MAX_BYTES) {
				hand_on(o, c, changed);
				if (buf[i] == '\n')
					continue;
			}
			strbuf_addch(&c->partial, buf[i]);
		}
	}
	if (c->partial.len)
		hand_on(o, c, changed);
}

/* The configuration's run ended: what it left in the pipe, then how it ended.
 * A process it left may hold the pipe open, so no waiting for its end. */
static void finish(const struct runall_observer *o, struct runall_config *c, int wait_status,
		   bool stopped, bool *changed)
{
	pump(o, c, changed);
	if (c->partial.len)
		hand_on(o, c, changed);
	if (c->output >= 0)
		close(c->output);
	c->output = -1;
	c->pid = -1;
	c->seconds = now() - c->started;
	c->exit_status =
		WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
	switch (c->exit_status) {
	case 0: c->status = RUNALL_PASSED; break;
	case 1: c->status = RUNALL_FAILED; break;
	case 130: c->status = stopped ? RUNALL_STOPPED : RUNALL_INTERRUPTED; break;
	default: c->status = RUNALL_ERROR;
	}
	*changed = true;
}

/* Every configuration not started yet will not be. */
static void cancel_waiting(struct runall_plan *plan)
{
	for (size_t i = 0; i < plan->nconfigs; i++)
		if (plan->configs[i].status == RUNALL_WAITING)
			plan->configs[i].status = RUNALL_NOT_RUN;
}

static void interrupt_running(struct runall_plan *plan)
{
	for (size_t i = 0; i < plan->nconfigs; i++)
		if (plan->configs[i].status == RUNALL_RUNNING && plan->configs[i].pid > 0)
			kill(plan->configs[i].pid, SIGINT);
}

int runall_run(struct runall_plan *plan, const struct runall_observer *o, cibox_error *err)
{
	struct sigaction old[NHANDLED];
	int rc = install_signals(old, err);
	if (rc < 0)
		return rc;
	struct pollfd *fds = calloc(plan->nconfigs + 1, sizeof *fds);
	size_t *which = calloc(plan->nconfigs + 1, sizeof *which);
	if (!fds || !which) {
		free(fds);
		free(which);
		restore_signals(old);
		return error_set(err, -ENOMEM, "out of memory");
	}
	plan->started = time(NULL);
	double begin = now(), next_tick = begin;
	bool interrupted = false, stopping = false;
	size_t next = 0, running = 0;
	plan->status = RUN_PASSED;
	for (;;) {
		bool changed = false;
		if (interrupt_pending() && !interrupted) {
			interrupted = true;
			interrupt_running(plan);
			cancel_waiting(plan);
			changed = true;
		}
		while (!interrupted && !stopping && running < plan->jobs && next < plan->nconfigs) {
			struct runall_config *c = &plan->configs[next++];
			if (start(plan, c, err) < 0) {
				/* Out of processes or memory, for now: this one is
				 * an error, and the next may have better luck. */
				strbuf_addf(&c->notes, "cibox: %s\n", err->message);
				c->status = RUNALL_ERROR;
				err->code = 0;
			} else {
				running++;
			}
			changed = true;
		}
		if (running == 0 && (next == plan->nconfigs || interrupted || stopping))
			break;
		size_t nfds = 1;
		fds[0] = (struct pollfd){ signal_pipe[0], POLLIN, 0 };
		for (size_t i = 0; i < plan->nconfigs; i++)
			if (plan->configs[i].output >= 0) {
				fds[nfds] = (struct pollfd){ plan->configs[i].output, POLLIN, 0 };
				which[nfds++] = i;
			}
		int timeout = (int)((next_tick - now()) * 1000) + 1;
		if (poll(fds, nfds, timeout < 0 ? 0 : timeout) < 0 && errno != EINTR) {
			rc = error_set(err, -errno, "poll: %s", strerror(errno));
			interrupt_running(plan);
			interrupted = true;
		}
		if ((fds[0].revents & POLLIN) && interrupt_pending()) {
			/* Every time: a second Ctrl-C reaches the runs again. */
			interrupted = true;
			interrupt_running(plan);
			cancel_waiting(plan);
			changed = true;
		}
		for (size_t k = 1; k < nfds; k++)
			if (fds[k].revents & (POLLIN | POLLHUP))
				pump(o, &plan->configs[which[k]], &changed);
		for (size_t i = 0; i < plan->nconfigs; i++) {
			struct runall_config *c = &plan->configs[i];
			int status;
			if (c->status != RUNALL_RUNNING || waitpid(c->pid, &status, WNOHANG) != c->pid)
				continue;
			finish(o, c, status, stopping && !interrupted, &changed);
			running--;
			if (c->status != RUNALL_PASSED && c->status != RUNALL_INTERRUPTED &&
			    c->status != RUNALL_STOPPED && plan->fail_fast && !stopping &&
			    !interrupted) {
				stopping = true;
				interrupt_running(plan);
				cancel_waiting(plan);
			}
		}
		if (now() >= next_tick) {
			changed = true;
			next_tick = now() + 1;
		}
		if (changed && o && o->changed)
			o->changed(o->context, plan);
	}
	free(fds);
	free(which);
	restore_signals(old);
	plan->seconds = now() - begin;
	bool all_passed = true;
	for (size_t i = 0; i < plan->nconfigs; i++)
		all_passed = all_passed && plan->configs[i].status == RUNALL_PASSED;
	plan->status = interrupted ? RUN_INTERRUPTED : all_passed ? RUN_PASSED : RUN_FAILED;
	if (o && o->changed)
		o->changed(o->context, plan);
	return rc;
}
