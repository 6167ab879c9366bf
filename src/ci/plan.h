/*
 * A stage run as data. The command line and the ci/ folder become a plan
 * (config.c and steps.c fill it in), runner.c carries it out and records each
 * step's outcome in it, report.c writes that down. Nothing here acts.
 */
#ifndef CIBOX_CI_PLAN_H
#define CIBOX_CI_PLAN_H

#include <stdbool.h>
#include <time.h>

#include "util/envlist.h"

enum step_status {
	STEP_NOT_RUN,
	STEP_PASSED,
	STEP_FAILED,
	STEP_INTERRUPTED,
};

struct ci_step {
	char *name; /* "06_script_a.sh" */
	char *path; /* absolute */
	enum step_status status;
	int exit_status; /* as a shell reports it: 128 + N for signal N */
	double seconds;
	char *log; /* absolute path of its log in the run folder */
};

enum run_status {
	RUN_PASSED,
	RUN_FAILED,
	RUN_INTERRUPTED,
};

struct ci_plan {
	char *root;          /* the project: the folder holding ci/ */
	char *project;       /* its base name */
	char *stage;         /* "test" */
	char *stage_dir;     /* root/ci/test */
	char *config;        /* "arm", or "default" without a configuration file */
	char *config_file;   /* absolute, or NULL */
	char *defaults_file; /* stage_dir/00_setup_env.sh, or NULL if absent */
	envlist caller;      /* the caller's environment */
	envlist env;         /* the resolved environment of the first step */
	struct ci_step *steps;
	size_t nsteps;
	const char *engine;   /* engine name */
	char *config_unboxed; /* why the configuration was read without a jail, or NULL */
	char *run_dir;

	/* Filled in by the runner. */
	enum run_status status;
	time_t started;
	double seconds;
};

void plan_free(struct ci_plan *plan);

#endif
