/*
 * The run folder and what the user keeps from a run: the folder itself
 * (under $XDG_STATE_HOME/cibox/runs, never in the work tree), summary.json
 * for machines, junit.xml for CI services, and the table and failure excerpt
 * shown at the end. Reports are written to a temporary file in the folder and
 * renamed into place, so a reader never sees half of one.
 */
#ifndef CIBOX_CI_REPORT_H
#define CIBOX_CI_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <cibox/sandbox.h>

#include "ci/plan.h"
#include "util/strbuf.h"

/* $XDG_STATE_HOME/cibox/runs, or ~/.local/state/cibox/runs, into `dir`. */
int report_runs_dir(struct strbuf *dir, cibox_error *err);

/* Creates plan->run_dir: `out` if given, else
 * <runs dir>/<project>-<stage>-<config>-<YYYYmmdd-HHMMSS>[-N]. */
int report_make_run_dir(struct ci_plan *plan, const char *out, cibox_error *err);

/* A run holds its folder locked (flock) while it lasts, so that pruning passes
 * it by; the lock goes with the process, however it ends. Returns the lock's
 * descriptor, or -errno. */
int report_lock_run_dir(const char *run_dir);
/* Whether a run holds the folder now. */
bool report_run_dir_busy(const char *run_dir);

void report_summary_json(const struct ci_plan *plan, struct strbuf *sb);
void report_junit_xml(const struct ci_plan *plan, struct strbuf *sb);

/* Writes both reports into plan->run_dir. */
int report_write(const struct ci_plan *plan, cibox_error *err);
/* sb as dir/name, through a temporary file renamed into place, beneath the
 * folder and through no link: reports in folders that steps can write. */
int report_write_file(const char *dir, const char *name, const struct strbuf *sb, cibox_error *err);

/* The last `lines` lines of a file (of its last 64 KiB). */
void report_tail(const char *path, size_t lines, struct strbuf *sb);

/* The table of steps, status and duration. */
void report_table(const struct ci_plan *plan, FILE *out, bool color);

const char *report_step_status_name(enum step_status status);
const char *report_run_status_name(enum run_status status);

#endif
