#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* `cibox lint [OPTIONS]` is `cibox run lint [OPTIONS]`. */
int cmd_lint(int argc, char **argv)
{
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
