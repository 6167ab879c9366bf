/*
 * The one way cibox starts a program, after git's run-command: the caller
 * fills a struct runcmd with what the child gets (arguments, environment,
 * folder, standard streams, process group, a parent-death signal) and
 * starts it, then waits for it with its wait status.
 *
 * What every child gets whatever the caller set: an empty signal mask, the
 * default action for every signal cibox catches and for those it ignores
 * for itself (SIGPIPE, SIGINT, SIGTERM, SIGCHLD), and none of cibox's
 * descriptors but its three streams: cibox opens all its own close-on-exec,
 * pipes made here too. Other signals the caller of cibox ignored stay
 * ignored (nohup), and descriptors it passed down stay open (a make
 * jobserver's), as a shell would leave them.
 *
 * The child borrows the caller's memory until it execs, as posix_spawn's
 * does, instead of copying it: a fork's copy of the page tables, thrown away
 * at exec, was most of a start. So a failed exec is known when runcmd_start
 * returns: a command that is not there is -ENOENT to the caller, not an
 * exit status 127 to tell apart from the command's own.
 */
#ifndef CIBOX_UTIL_RUN_COMMAND_H
#define CIBOX_UTIL_RUN_COMMAND_H

#include <stdbool.h>
#include <sys/types.h>

#include <cibox/sandbox.h>

struct strbuf;

enum runcmd_how {
	RUNCMD_INHERIT, /* the caller's own */
	RUNCMD_NULL,    /* /dev/null */
	RUNCMD_PIPE,    /* a pipe whose other end runcmd_start leaves in `fd` */
	RUNCMD_FD,      /* the descriptor `fd`, which stays the caller's */
	RUNCMD_STDOUT,  /* standard error only: wherever standard output goes */
};

struct runcmd_stream {
	enum runcmd_how how;
	int fd;
};

#define RUNCMD_TO_FD(d) ((struct runcmd_stream){ RUNCMD_FD, (d) })

struct runcmd {
	char *const *argv;
	/* The program to run; NULL: argv[0], looked up in the caller's PATH
	 * when it holds no '/', as execvp does. */
	const char *program;
	char *const *env; /* NULL: the caller's environment */
	const char *dir;  /* NULL: the caller's working folder */
	struct runcmd_stream in, out, err;
	bool new_pgroup; /* lead a process group of its own */
	/* Sent to the child when the thread that started it ends; 0: none. */
	int pdeath_signal;
	pid_t pid; /* once started */
};

/* Every stream inherited, no process group, no signal. */
#define RUNCMD_INIT                                                                                \
	{                                                                                          \
		0                                                                                  \
	}

/* Starts the command. The error names the command and what failed (exec,
 * the folder); its code is the negative errno: -ENOENT for a program that
 * is not there, -EACCES for one that may not run. The caller closes the
 * pipes' ends left in in.fd, out.fd, err.fd. */
int runcmd_start(struct runcmd *cmd, cibox_error *err);

/* Waits for the started command; its wait status in *status. */
int runcmd_finish(struct runcmd *cmd, int *status, cibox_error *err);

/* Both. */
int runcmd_run(struct runcmd *cmd, int *status, cibox_error *err);

/* Runs the command with its standard output into `out` (standard error as
 * cmd->err says: RUNCMD_STDOUT for both) and waits for it. */
int runcmd_capture(struct runcmd *cmd, struct strbuf *out, int *status, cibox_error *err);

/* A wait status as a shell reports it: the exit status, or 128 + N for
 * signal N. */
int runcmd_exit_code(int status);

#endif
