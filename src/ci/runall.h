/*
 * `cibox run --all`: every configuration of a stage, each in a run of its
 * own, at most `jobs` at a time. The ns engine moves the whole runner into
 * its jail, so each configuration is a child process, cibox itself started
 * as `cibox run STAGE --env NAME --out MATRIX/FOLDER ...`, with its own jail,
 * tree overlay, caches and run folder. Its output comes back through a pipe
 * and is handed to an observer a line at a time; the lines the runner prints
 * when its output is no terminal ("==> STEP", "==> STEP failed in ...") say
 * which step runs. The children run in process groups of their own, so a
 * terminal's Ctrl-C reaches this process alone, which passes it on to each.
 *
 * The command line and the stage's configurations become a runall_plan; the
 * scheduler carries it out and records each configuration's outcome in it;
 * runall_report.c writes it down.
 */
#ifndef CIBOX_CI_RUNALL_H
#define CIBOX_CI_RUNALL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include <cibox/sandbox.h>

#include "ci/plan.h"
#include "util/strbuf.h"

enum runall_status {
	RUNALL_WAITING, /* not started yet */
	RUNALL_RUNNING,
	RUNALL_PASSED,
	RUNALL_FAILED,      /* a step failed */
	RUNALL_ERROR,       /* it could not run: a configuration or engine error */
	RUNALL_INTERRUPTED, /* Ctrl-C or SIGTERM */
	RUNALL_STOPPED,     /* --fail-fast: another configuration failed */
	RUNALL_NOT_RUN,     /* never started: interrupted or stopped before its turn */
};

/* One step of a configuration's run, as its summary.json tells it. */
struct runall_step {
	char *name;
	enum step_status status;
	int exit_status;
	double seconds;
};

struct runall_config {
	char *name;    /* "gcc": ci/STAGE/00_setup_env_gcc.sh */
	char *folder;  /* its run folder's name in the matrix folder */
	char *run_dir; /* that run folder, once runall_place has set it */
	enum runall_status status;
	char *step;      /* the step running, or the one it failed or stopped at */
	int exit_status; /* cibox's for the configuration */
	double started;  /* monotonic seconds */
	double step_started;
	double seconds;
	struct strbuf notes; /* cibox's own lines (errors, a failure's last lines) */
	bool closing;        /* its run printed the blank line before its table */

	/* Filled in by runall_report_load from the run's summary.json. */
	struct runall_step *steps;
	size_t nsteps;
	bool reported;

	/* The scheduler's. */
	pid_t pid;
	int output;
	struct strbuf partial;
};

struct runall_plan {
	struct ci_plan stage; /* the project, stage and steps; run_dir: the matrix folder */
	struct runall_config *configs;
	size_t nconfigs;
	unsigned jobs;
	bool fail_fast;
	char **child_args; /* options every configuration's run gets (--engine, --set...) */
	size_t nchild_args;

	/* Filled in by the scheduler. */
	enum run_status status;
	time_t started;
	double seconds;
};

/* Told as the runs go. `line` is one line a configuration's run printed,
 * without its newline; `changed` comes when a configuration starts, changes
 * step or ends, and at least once a second while any runs. */
struct runall_observer {
	void (*line)(void *context, const struct runall_config *config, const char *line);
	void (*changed)(void *context, const struct runall_plan *plan);
	void *context;
};

/* The configurations of plan->stage (config_list), each with the name of its
 * run folder: its own, with any byte but letters, digits and -._ made '_'.
 * A stage without configurations is an error (-EINVAL) saying so. */
int runall_add_configs(struct runall_plan *plan, cibox_error *err);

/* Each configuration's run folder, in the matrix folder plan->stage.run_dir. */
int runall_place(struct runall_plan *plan, cibox_error *err);

/* Runs every configuration, at most plan->jobs at a time. SIGINT and SIGTERM
 * are let through once they can be handled (a caller may hold them back
 * until then, as runner_hold_interrupts does); either
 * is passed on to every run still going, each ending as interrupted with
 * its report; those not started are not run. With plan->fail_fast the first
 * configuration that fails interrupts the others (stopped). Returns 0 when
 * the runs could be carried out, whatever they did; a negative errno when
 * not. */
int runall_run(struct runall_plan *plan, const struct runall_observer *observer, cibox_error *err);

/* The number of CPUs this process may run on, at least 1. */
unsigned runall_default_jobs(void);

const char *runall_status_name(enum runall_status status);

void runall_plan_free(struct runall_plan *plan);

#endif
