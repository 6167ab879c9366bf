#include "cli/run_all.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "ci/config.h"
#include "ci/engine.h"
#include "ci/report.h"
#include "ci/runall.h"
#include "ci/runall_report.h"
#include "ci/runner.h"
#include "ci/steps.h"
#include "cli/cli.h"
#include "util/error.h"

/* What the user sees while the configurations run. On a terminal, one line
 * per configuration, redrawn in place, and none of their output (it is in
 * their logs); elsewhere every line of theirs as it comes, prefixed with the
 * configuration (the runner prefixes the step). */
struct view {
	FILE *out;
	bool tty, color, quiet;
	size_t drawn; /* lines of the block on the terminal */
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void show_line(void *context, const struct runall_config *c, const char *line)
{
	struct view *v = context;
	/* A run's own table: the matrix's says it all at the end. */
	if (v->tty || v->quiet || (c->closing && strncmp(line, "cibox: ", 7) != 0))
		return;
	fprintf(v->out, "[%s] %s\n", c->name, line);
	fflush(v->out);
}

static const char *colour_of(enum runall_status status)
{
	switch (status) {
	case RUNALL_PASSED: return "\033[32m";
	case RUNALL_FAILED:
	case RUNALL_ERROR: return "\033[31m";
	case RUNALL_RUNNING: return "\033[1m";
	case RUNALL_WAITING:
	case RUNALL_NOT_RUN: return "\033[2m";
	default: return "\033[33m";
	}
}

static void describe(const struct runall_config *c, double t, char *buf, size_t size)
{
	const char *step = c->step ? c->step : "?";
	switch (c->status) {
	case RUNALL_RUNNING:
		if (c->step)
			snprintf(buf, size, "%s for %.0f s (%.0f s in all)", c->step,
				 t - c->step_started, t - c->started);
		else
			snprintf(buf, size, "starting (%.0f s)", t - c->started);
		break;
	case RUNALL_PASSED: snprintf(buf, size, "in %.2f s", c->seconds); break;
	case RUNALL_FAILED: snprintf(buf, size, "at %s after %.2f s", step, c->seconds); break;
	case RUNALL_ERROR:
		snprintf(buf, size, "could not run (exit status %d)", c->exit_status);
		break;
	case RUNALL_INTERRUPTED:
	case RUNALL_STOPPED: snprintf(buf, size, "at %s after %.2f s", step, c->seconds); break;
	default: buf[0] = '\0';
	}
}

/* Each configuration's line, the block redrawn over the last one: cut to
 * the terminal's width, since a line that wrapped would move the block. */
static void redraw(void *context, const struct runall_plan *plan)
{
	struct view *v = context;
	if (!v->tty || v->quiet)
		return;
	struct winsize ws;
	size_t columns =
		ioctl(fileno(v->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col : 80;
	int width = 4;
	for (size_t i = 0; i < plan->nconfigs; i++)
		if ((int)strlen(plan->configs[i].name) > width)
			width = (int)strlen(plan->configs[i].name);
	if (v->drawn)
		fprintf(v->out, "\033[%zuA", v->drawn);
	double t = now();
	for (size_t i = 0; i < plan->nconfigs; i++) {
		const struct runall_config *c = &plan->configs[i];
		char what[512], line[1024];
		describe(c, t, what, sizeof what);
		snprintf(line, sizeof line, "%-*s  %-11s  %s", width, c->name,
			 runall_status_name(c->status), what);
		size_t len = strlen(line);
		if (len > columns - 1) {
			len = columns - 1;
			while (len && (line[len] & 0xc0) == 0x80) /* not inside a character */
				len--;
		}
		fprintf(v->out, "\r\033[K%s%.*s%s\n", v->color ? colour_of(c->status) : "",
			(int)len, line, v->color ? "\033[0m" : "");
	}
	v->drawn = plan->nconfigs;
	fflush(v->out);
}

/* What went wrong, for each configuration that did not pass: its cibox's own
 * lines, which the view on a terminal (or -q) did not show. */
static void show_notes(const struct runall_plan *plan)
{
	for (size_t i = 0; i < plan->nconfigs; i++) {
		const struct runall_config *c = &plan->configs[i];
		if (c->status == RUNALL_PASSED || !c->notes.len)
			continue;
		for (const char *line = c->notes.buf; *line;) {
			const char *next = strchr(line, '\n');
			int n = next ? (int)(next - line) : (int)strlen(line);
			fprintf(stderr, "[%s] %.*s\n", c->name, n, line);
			line = next ? next + 1 : line + n;
		}
	}
}

/* The project, stage and steps (checked once here, rather than once per
 * configuration), the engine, the configurations, then the matrix folder. */
static int prepare(struct runall_plan *plan, const struct run_all_options *o, cibox_error *err)
{
	ci_engine *engine = NULL;
	int rc;
	if ((rc = config_find_project(&plan->stage, err)) < 0 ||
	    (rc = config_find_stage(&plan->stage, o->stage ? o->stage : "test", err)) < 0 ||
	    (rc = steps_find(&plan->stage, err)) < 0 ||
	    (rc = engine_open(o->engine ? o->engine : "ns", &engine, err)) < 0)
		return rc;
	plan->stage.engine = engine_name(engine);
	bool apart = engine_whole_run_in_jail(engine) || engine_in_container(engine);
	engine_close(engine);
	if (!apart)
		return error_set(err, -EINVAL,
				 "run: --all needs an engine that keeps each configuration's changes "
				 "to the tree to itself (ns, podman or docker); under --engine host "
				 "they would all write the one tree");
	if ((rc = runall_add_configs(plan, err)) < 0) {
		error_prefix(err, "run: ");
		return rc;
	}
	if (plan->jobs > plan->nconfigs)
		plan->jobs = (unsigned)plan->nconfigs;
	if (!(plan->stage.config = strdup("all")))
		return error_set(err, -ENOMEM, "out of memory");
	if ((rc = report_make_run_dir(&plan->stage, o->out, err)) < 0) {
		error_prefix(err, "run: ");
		return rc;
	}
	/* Held until cibox ends: `cibox runs --prune` passes the matrix by. */
	report_lock_run_dir(plan->stage.run_dir);
	return runall_place(plan, err);
}

int run_all(const struct run_all_options *o)
{
	/* Held back until the runs can be ended properly: an interrupt before
	 * would leave a matrix folder saying it runs. */
	sigset_t old_mask;
	runner_hold_interrupts(&old_mask);
	struct runall_plan plan = { .jobs = o->jobs ? o->jobs : runall_default_jobs(),
				    .fail_fast = o->fail_fast,
				    .child_args = o->child_args,
				    .nchild_args = o->nchild_args };
	cibox_error err = { 0 };
	int status;
	if (prepare(&plan, o, &err) < 0) {
		cli_error("%s", err.message[0] ? err.message : "out of memory");
		status = cli_status_for(&err, CLI_CHECKING);
		goto out;
	}
	if (runall_report_write(&plan, true, &err) < 0) {
		cli_error("run: %s", err.message);
		status = cli_status_for(&err, CLI_WORKING);
		goto out;
	}
	const char *no_color = getenv("NO_COLOR");
	struct view v = { .out = stdout, .tty = isatty(STDOUT_FILENO), .quiet = o->quiet };
	v.color = v.tty && !(no_color && *no_color);
	if (!o->quiet)
		printf("cibox: %s, stage %s, %zu configurations, at most %u at a time, engine %s\n"
		       "cibox: matrix folder %s\n",
		       plan.stage.project, plan.stage.stage, plan.nconfigs, plan.jobs,
		       plan.stage.engine, plan.stage.run_dir);
	fflush(stdout);
	struct runall_observer observer = { show_line, redraw, &v };
	status = CLI_OK;
	if (runall_run(&plan, &observer, &err) < 0) {
		cli_error("run: %s", err.message);
		status = cli_status_for(&err, CLI_WORKING);
	}
	runall_report_load(&plan);
	if (runall_report_write(&plan, false, &err) < 0) {
		cli_error("run: %s", err.message);
		status = cli_status_for(&err, CLI_WORKING);
	}
	if (v.tty || o->quiet)
		show_notes(&plan);
	if (plan.status == RUN_INTERRUPTED)
		cli_error("run: interrupted");
	if (!o->quiet)
		putchar('\n');
	runall_report_table(&plan, stdout, v.color);
	printf("cibox: %s in %.2f s, %zu of %zu configurations passed; report: %s/%s\n",
	       report_run_status_name(plan.status), plan.seconds,
	       runall_report_count(&plan, RUNALL_PASSED), plan.nconfigs, plan.stage.run_dir,
	       RUNALL_REPORT_NAME);
	if (status == CLI_OK)
		status = cli_status_of_run(plan.status);
out:
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	runall_plan_free(&plan);
	return status;
}
