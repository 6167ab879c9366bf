/*
 * What `cibox run --all` leaves beside the configurations' run folders, in
 * the matrix folder: matrix.json (the matrix's status and each
 * configuration's, with its steps) and junit.xml (a test suite per
 * configuration, a test case per step), both written through a temporary
 * file renamed into place; and the table shown at the end. A configuration's
 * steps come from its run's summary.json; one that never reported (not run,
 * or it could not start) lists the stage's steps as not run.
 */
#ifndef CIBOX_CI_RUNALL_REPORT_H
#define CIBOX_CI_RUNALL_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <cibox/sandbox.h>

#include "ci/runall.h"
#include "util/strbuf.h"

/* The name of the report that marks a folder of runs as a matrix folder. */
#define RUNALL_REPORT_NAME "matrix.json"

/* Reads each ended configuration's summary.json into its steps, and the step
 * it failed or stopped at into its step. */
void runall_report_load(struct runall_plan *plan);

void runall_report_json(const struct runall_plan *plan, bool running, struct strbuf *sb);
void runall_report_junit(const struct runall_plan *plan, struct strbuf *sb);

/* Writes matrix.json (and, unless `running`, junit.xml) into the matrix
 * folder; `running`: the runs have not ended, and matrix.json says so. */
int runall_report_write(const struct runall_plan *plan, bool running, cibox_error *err);

/* Configuration, status, failing step and duration, one line each. */
void runall_report_table(const struct runall_plan *plan, FILE *out, bool color);

/* How many configurations ended with `status`. */
size_t runall_report_count(const struct runall_plan *plan, enum runall_status status);

#endif
