/*
 * The command-line layer: one file per subcommand, each entry point
 * cmd_<name>(argc, argv) with argv[0] the subcommand's name. Subcommands turn
 * their arguments into a plan for the library and map its outcome to an exit
 * status; they do no work of their own.
 */
#ifndef CIBOX_CLI_H
#define CIBOX_CLI_H

#include <cibox/sandbox.h>

/* Exit statuses, the same for every subcommand (see cibox(1)). */
enum {
	CLI_OK = 0,
	CLI_FAILED = 1,      /* a step or the sandboxed command failed */
	CLI_USAGE = 2,       /* bad arguments, policy or configuration */
	CLI_ENVIRONMENT = 3, /* this machine cannot host the sandbox */
	CLI_VIOLATION = 159, /* 128 + SIGSYS: the syscall sandbox stopped the command */
};

/* "cibox: <message>" on stderr, one line. */
__attribute__((format(printf, 1, 2)))
void cli_error(const char *fmt, ...);

/* Exit status for a library error: input problems are usage errors, missing
 * kernel features are environment errors. */
int cli_status_for(const cibox_error *err);

/* The value of option `name` at argv[*i], as --name VALUE or --name=VALUE;
 * NULL if argv[*i] is something else. A missing or empty value is "", already
 * reported as "<command>: --name needs a value"; a "--" right after the
 * option ends the options rather than being its value. */
const char *cli_option_value(int argc, char **argv, int *i, const char *name, const char *command);

/* True if argv holds -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);

int cmd_configs(int argc, char **argv);
int cmd_lint(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_retry(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_sandbox(int argc, char **argv);
int cmd_syscalls(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_trace(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_cache(int argc, char **argv);

#endif
