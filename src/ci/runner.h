/*
 * Carries out a plan: each step in its own bash, one after the other, as if
 * all were sourced into one shell. Between steps the state travels through a
 * file in the run folder: after a step succeeds its bash writes `declare -p`
 * of its variables (exported or not, readonly and bash's own left alone),
 * `declare -f` of its functions with their export marks, and its working
 * directory; the next step's bash sources that file before the step. bash
 * does all the quoting, so any byte in a value survives.
 *
 * Each step runs with errexit and pipefail, its output going to its log and,
 * live, to the user. The first failing step ends the run. SIGINT or SIGTERM
 * ends the running step and everything it started, and the run stops there.
 */
#ifndef CIBOX_CI_RUNNER_H
#define CIBOX_CI_RUNNER_H

#include <stdbool.h>
#include <stdio.h>

#include <cibox/sandbox.h>

#include "ci/engine.h"
#include "ci/plan.h"

struct runner_options {
	FILE *out;   /* live progress and output */
	bool tty;    /* out is a terminal: raw output; else lines prefixed with the step */
	bool color;
	bool quiet;  /* no live output */
};

/* Runs plan->steps in plan->run_dir, which must exist, recording each step's
 * outcome and the run's in the plan. Returns 0 when the run could be carried
 * out, whatever the steps did; a negative errno when it could not. */
int runner_run(struct ci_plan *plan, ci_engine *engine, const struct runner_options *options,
	       cibox_error *err);

#endif
