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

static void usage(FILE *out)
{
	fprintf(out, "usage: cibox <command> [options]\n\n"
		     "Runs a project's CI stages locally, boxed by a seccomp syscall sandbox.\n\n"
		     "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n`cibox <command> --help` describes one command; the manual is cibox(1).\n"
		     "exit status: 0 ok, 1 failed, 2 usage or configuration error, 3 this machine\n"
		     "cannot host the jail, the sandbox or the engine, 130 interrupted, 159 stopped\n"
		     "by the syscall sandbox; a command cibox runs for you ends with its own.\n");
}

enum { VERSION = 256 };

int main(int argc, char **argv)
{
	static const struct option longopts[] = { CLI_OPTION_HELP,
						  { "version", no_argument, NULL, VERSION },
						  { 0 } };
	struct cli_options o = { .shortopts = "+h", .longopts = longopts, .usage = usage };
	bool version = false;
	int c;
	while ((c = cli_next_option(&o, argc, argv)) == VERSION)
		version = true;
	if (c == CLI_OPTIONS_STOP)
		return o.status;
	if (version) {
		printf("cibox %s\n", CIBOX_VERSION);
		return CLI_OK;
	}
	if (o.next >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	const char *name = argv[o.next];
	if (strcmp(name, "help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].run(argc - o.next, argv + o.next);
	cli_error("unknown command '%s' (see cibox --help)", name);
	return CLI_USAGE;
}
