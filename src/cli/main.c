#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run a CI stage's steps: cibox run [STAGE] [--env NAME]" },
	{ "configs", cmd_configs, "list a stage's configurations and what each sets" },
	{ "matrix", cmd_matrix, "write a GitHub or GitLab CI file running each configuration" },
	{ "runs", cmd_runs, "list recent runs and their run folders" },
	{ "lint", cmd_lint, "run the lint stage (cibox run lint)" },
	{ "retry", cmd_retry, "run a flaky command again with back-off" },
	{ "sandbox", cmd_sandbox, "run a command under a syscall policy" },
	{ "syscalls", cmd_syscalls, "list syscall groups, names and numbers" },
	{ "trace", cmd_trace, "run a command and write the syscall policy it needed" },
	{ "policy", cmd_policy, "check a policy file, or compare two" },
	{ "image", cmd_image, "build, list and remove root filesystems for the jail" },
	{ "cache", cmd_cache, "list or clear the caches stages keep between runs" },
};

void cli_error(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "cibox: %s\n", line);
}

int cli_status_for(const cibox_error *err)
{
	switch (-err->code) {
	case ENOSYS:
	case EOPNOTSUPP:
	case EPERM:
		return CLI_ENVIRONMENT;
	case ENOMEM:
	case EIO:
		return CLI_FAILED;
	default:
		return CLI_USAGE;
	}
}

const char *cli_option_value(int argc, char **argv, int *i, const char *name, const char *command)
{
	size_t len = strlen(name);
	const char *value = "";
	if (strncmp(argv[*i], name, len) == 0 && argv[*i][len] == '=')
		value = argv[*i] + len + 1;
	else if (strcmp(argv[*i], name) != 0)
		return NULL;
	else if (*i + 1 < argc && strcmp(argv[*i + 1], "--") != 0)
		value = argv[++*i];
	if (!*value)
		cli_error("%s: %s needs a value", command, name);
	return value;
}

int cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return 1;
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: cibox <command> [options]\n\n"
		     "Runs a project's CI stages locally, boxed by a seccomp syscall sandbox.\n\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n`cibox <command> --help` describes one command; the manual is cibox(1).\n"
		     "exit status: 0 ok, 1 failed, 2 usage or configuration error,\n"
		     "3 this machine cannot host the sandbox, 159 stopped by the syscall sandbox.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("cibox %s\n", CIBOX_VERSION);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	cli_error("unknown command '%s' (see cibox --help)", argv[1]);
	return CLI_USAGE;
}
