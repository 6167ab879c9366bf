/*
 * A stage's steps: its files 0n_*.sh with n from 1 to 9, in byte order of
 * their names, so 06_script_a.sh runs before 06_script_b.sh whatever the
 * locale. 00_* files are configurations, not steps.
 */
#ifndef CIBOX_CI_STEPS_H
#define CIBOX_CI_STEPS_H

#include <stdbool.h>

#include <cibox/sandbox.h>

#include "ci/plan.h"

bool steps_is_step_name(const char *name);

/* Fills plan->steps from plan->stage_dir. A stage without steps, or a step
 * that cannot be read, is an error naming it. */
int steps_find(struct ci_plan *plan, cibox_error *err);

#endif
