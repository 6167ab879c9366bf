#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: cibox lint [OPTIONS]\n\n"
		     "Runs the stage ci/lint/: the same as cibox run lint [OPTIONS], which takes\n"
		     "the options of one run (see cibox run --help). Exit status as cibox run's.\n");
}

/* `cibox lint [OPTIONS]` is `cibox run lint [OPTIONS]`. */
int cmd_lint(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return CLI_OK;
	}
	char **args = calloc((size_t)argc + 2, sizeof *args);
	if (!args) {
		cli_error("lint: out of memory");
		return CLI_FAILED;
	}
	args[0] = "run";
	args[1] = "lint";
	memcpy(args + 2, argv + 1, (size_t)(argc - 1) * sizeof *args);
	int status = cmd_run(argc + 1, args);
	free(args);
	return status;
}
