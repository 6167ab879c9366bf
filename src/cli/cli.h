/*
 * The command-line layer: one file per subcommand, each entry point
 * cmd_<name>(argc, argv) with argv[0] the subcommand's name. Subcommands turn
 * their arguments into a plan for the library and map its outcome to an exit
 * status; they do no work of their own. What they share lives here: the one
 * way to read options and the one way from an outcome to an exit status.
 */
#ifndef CIBOX_CLI_H
#define CIBOX_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

#include <cibox/sandbox.h>

#include "ci/plan.h"

/* Exit statuses, the same for every subcommand (README, "Exit status"). */
enum {
	CLI_CONTINUE = -1, /* no exit status: the command goes on */
	CLI_OK = 0,
	CLI_FAILED = 1,      /* a step, a configuration or the sandboxed command failed */
	CLI_USAGE = 2,       /* bad arguments, policy or configuration */
	CLI_ENVIRONMENT = 3, /* this machine cannot host the jail, the sandbox or the engine */
	CLI_CANNOT_RUN = 126,
	CLI_NOT_FOUND = 127,
	CLI_INTERRUPTED = 130,
	CLI_VIOLATION = 159, /* 128 + SIGSYS: the syscall sandbox stopped the command */
};

/* "cibox: <message>" on stderr, one line. */
__attribute__((format(printf, 1, 2))) void cli_error(const char *fmt, ...);

/* How far a command had got when an error stopped it: the errors the
 * library reports as errnos mean one thing while it checks what it was
 * given, another once the work has begun. */
enum cli_stage {
	CLI_CHECKING, /* reading options, configuration, policy; setting up */
	CLI_WORKING,  /* the steps, the build, the files the command writes */
	CLI_STARTING, /* finding the command a sandbox or trace is to run */
};

/* The exit status for a library error. What this machine lacks (EOPNOTSUPP,
 * ENOSYS, EPERM) is CLI_ENVIRONMENT and EINTR CLI_INTERRUPTED wherever they
 * arise; ENOMEM and EIO (a tool that failed) are CLI_FAILED. Any other error
 * is CLI_USAGE while checking, CLI_FAILED while working, and CLI_NOT_FOUND
 * (ENOENT) or CLI_CANNOT_RUN when starting a command. */
int cli_status_for(const cibox_error *err, enum cli_stage stage);

/* A command's wait status as a shell reports it: 128 + N for signal N. */
int cli_status_of_wait(int wait_status);

/* How a run (one configuration, or a matrix of them) ended. */
int cli_status_of_run(enum run_status status);

/*
 * Every subcommand reads its options through getopt_long: "--name VALUE" and
 * "--name=VALUE", "-x VALUE" and "-xVALUE", "--" ending the options. Long
 * options are taken as spelled, never abbreviated, so a new option cannot
 * change what a script's abbreviation meant. A shortopts starting with "+"
 * stops at the first operand: the command after it keeps its own options.
 * Every command lists CLI_OPTION_HELP and 'h', which show `usage`.
 */
struct cli_options {
	const char *command;   /* the subcommand, naming it in messages; NULL for cibox's own */
	const char *shortopts; /* as getopt's, without the ':' */
	const struct option *longopts;
	void (*usage)(FILE *out); /* for -h and --help */
	const char *value;        /* the value of the option just read */
	int next;                 /* after the options: the index of the first operand */
	bool dashdash;            /* the options ended with "--" */
	int status;               /* the exit status after CLI_OPTIONS_STOP */
	bool started;
};

#define CLI_OPTION_HELP                                                                            \
	{                                                                                          \
		"help", no_argument, NULL, 'h'                                                     \
	}

enum {
	CLI_OPTIONS_END = -1,  /* no more options; see next and dashdash */
	CLI_OPTIONS_STOP = -2, /* the usage was shown, or what was wrong said: end with status */
};

/* The next option's val (its value, never empty, in o->value), or one of the
 * above. An unknown option, or one without its value, or with a value it
 * does not take, is said in one line and ends with CLI_USAGE. */
int cli_next_option(struct cli_options *o, int argc, char **argv);

/* True if argv holds -h or --help before any "--": for a command that hands
 * its options on rather than reading them. */
bool cli_wants_help(int argc, char **argv);

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
