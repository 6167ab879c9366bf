/*
 * `cibox run --all`: cmd_run.c parses the command line, this shows the
 * matrix's progress and outcome (src/ci/runall.c runs it, runall_report.c
 * writes its reports).
 */
#ifndef CIBOX_CLI_RUN_ALL_H
#define CIBOX_CLI_RUN_ALL_H

#include <stdbool.h>
#include <stddef.h>

struct run_all_options {
	const char *stage, *out, *engine;
	unsigned jobs; /* 0: the default, one per CPU */
	bool fail_fast, quiet;
	char **child_args; /* passed on to every configuration's `cibox run` */
	size_t nchild_args;
};

/* Returns cibox's exit status. */
int run_all(const struct run_all_options *options);

#endif
