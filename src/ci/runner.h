/*
 * Carries out a plan: the steps are sourced one after the other into one bash
 * for the run, so each sees what the steps before it left (variables exported
 * or not, functions, the working directory, readonly variables) exactly as in
 * a script that sources them all, and no state has to travel between
 * processes. The runner hands the shell one step at a time and learns on a
 * pipe when the step returned, so that each step has its own log, status and
 * duration. A step that calls `exit` ends the shell; its state is then left in
 * a file in the run folder, from which a new shell goes on.
 *
 * Each step runs with errexit and pipefail, its output going to its log and,
 * live, to the user. The first failing step ends the run. SIGINT or SIGTERM
 * ends the running step and everything it started, and the run stops there.
 */
#ifndef CIBOX_CI_RUNNER_H
#define CIBOX_CI_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include <cibox/sandbox.h>

#include "ci/engine.h"
#include "ci/plan.h"

struct runner_options {
	FILE *out; /* live progress and output */
	bool tty;  /* out is a terminal: raw output; else lines prefixed with the step */
	bool color;
	bool quiet; /* no live output */
	/* Called after each step that passed, before the next starts. */
	void (*after_step)(void *context, const struct ci_plan *plan, size_t index);
	void *context;
};

/* Holds SIGINT and SIGTERM back until runner_run can handle them (it lets
 * them through itself), for work before a run that should not be cut short,
 * such as preparing an engine; the mask before goes to `old`. */
void runner_hold_interrupts(sigset_t *old);

/* Runs plan->steps in plan->run_dir, which must exist, recording each step's
 * outcome and the run's in the plan. Returns 0 when the run could be carried
 * out, whatever the steps did; a negative errno when it could not. */
int runner_run(struct ci_plan *plan, ci_engine *engine, const struct runner_options *options,
	       cibox_error *err);

#endif
