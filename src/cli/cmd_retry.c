#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/envlist.h"
#include "util/run_command.h"

extern char **environ;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cibox retry [--tries N] [--sleep S | --min S --max S] [--fail CMD] [-v]\n"
		"                   -- COMMAND [ARG...]\n\n"
		"Runs COMMAND until it succeeds, at most N times (default 10). Between tries it\n"
		"waits --min seconds (default 0.3), doubling up to --max (default 60), or always\n"
		"--sleep seconds. The try's number is in RETRY_ATTEMPT. Exit status 127 (command\n"
		"not found) is not retried. --fail CMD runs through sh after the last failure.\n"
		"  -v  say on stderr which try failed and how long the wait is\n\n"
		"Exit status: the command's last; 2 bad usage.\n");
}

struct retry_args {
	long tries;
	double sleep, min, max;
	bool constant, ranged, verbose;
	const char *fail;
	char **command;
};

static int parse_seconds(const char *name, const char *v, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (!*v || *end || errno || !isfinite(d) || d < 0) {
		cli_error("retry: %s needs a number of seconds, not '%s'", name, v);
		return -1;
	}
	*out = d;
	return 0;
}

enum { TRIES = 256, SLEEP, MIN, MAX, FAIL };

static const struct option longopts[] = {
	CLI_OPTION_HELP,
	{ "verbose", no_argument, NULL, 'v' },
	{ "tries", required_argument, NULL, TRIES },
	{ "sleep", required_argument, NULL, SLEEP },
	{ "min", required_argument, NULL, MIN },
	{ "max", required_argument, NULL, MAX },
	{ "fail", required_argument, NULL, FAIL },
	{ 0 },
};

/* CLI_CONTINUE, or the exit status after the usage or what was wrong. */
static int parse(int argc, char **argv, struct retry_args *a)
{
	struct cli_options o = {
		.command = "retry", .shortopts = "+hv", .longopts = longopts, .usage = usage
	};
	int c;
	while ((c = cli_next_option(&o, argc, argv)) >= 0) {
		const char *v = o.value;
		char *end;
		switch (c) {
		case 'v': a->verbose = true; break;
		case TRIES:
			a->tries = strtol(v, &end, 10);
			if (*end || a->tries < 1) {
				cli_error("retry: --tries needs a number of at least 1, not '%s'", v);
				return CLI_USAGE;
			}
			break;
		case SLEEP:
			a->constant = true;
			if (parse_seconds("--sleep", v, &a->sleep) < 0)
				return CLI_USAGE;
			break;
		case MIN:
		case MAX:
			a->ranged = true;
			if (parse_seconds(c == MIN ? "--min" : "--max", v,
					  c == MIN ? &a->min : &a->max) < 0)
				return CLI_USAGE;
			break;
		default: a->fail = v;
		}
	}
	if (c == CLI_OPTIONS_STOP)
		return o.status;
	if (a->constant && a->ranged) {
		cli_error("retry: give either --sleep or --min/--max, not both");
		return CLI_USAGE;
	}
	if (a->min > a->max) {
		cli_error("retry: --min %g is more than --max %g", a->min, a->max);
		return CLI_USAGE;
	}
	if (o.next >= argc) {
		cli_error("retry: no command to run (cibox retry [OPTIONS] -- COMMAND)");
		return CLI_USAGE;
	}
	a->command = argv + o.next;
	return CLI_CONTINUE;
}

/* The exit status as a shell reports it. */
static int run_once(char **argv, long attempt)
{
	/* runcmd looks the command up as the shells do: a PATH folder the
	 * caller may not search is not where it is (execvp would answer
	 * EACCES, to be retried as a failure instead of stopping as 127). */
	char n[32];
	cibox_error err;
	snprintf(n, sizeof n, "%ld", attempt);
	envlist env = ENVLIST_INIT;
	struct runcmd cmd = RUNCMD_INIT;
	cmd.argv = argv;
	int rc = envlist_add_vector(&env, environ);
	if (rc == 0)
		rc = envlist_set(&env, "RETRY_ATTEMPT", n);
	int status;
	if (rc == 0) {
		cmd.env = envlist_vector(&env);
		rc = runcmd_run(&cmd, &status, &err);
	}
	envlist_free(&env);
	if (rc == -ENOENT) {
		cli_error("retry: %s: command not found", argv[0]);
		return 127;
	}
	if (rc < 0) {
		cli_error("retry: %s: %s", argv[0], strerror(-rc));
		return 126;
	}
	return runcmd_exit_code(status);
}

static void pause_for(double seconds)
{
	struct timespec ts = { (time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9) };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cmd_retry(int argc, char **argv)
{
	struct retry_args a = { .tries = 10, .min = 0.3, .max = 60 };
	int status = parse(argc, argv, &a);
	if (status != CLI_CONTINUE)
		return status;
	double delay = a.constant ? a.sleep : a.min;
	for (long attempt = 1;; attempt++) {
		status = run_once(a.command, attempt);
		if (status == 0)
			return 0;
		/* Not found will not be found next time; a Ctrl-C means stop. */
		bool hopeless = status == 127 || status == 128 + SIGINT;
		if (hopeless || attempt >= a.tries) {
			if (a.verbose)
				cli_error("retry: '%s' failed with exit status %d (try %ld of %ld)%s",
					  a.command[0], status, attempt, a.tries,
					  hopeless && attempt < a.tries ? "; not retrying" : "");
			break;
		}
		if (a.verbose)
			cli_error("retry: '%s' failed with exit status %d (try %ld of %ld); next try in %.3g s",
				  a.command[0], status, attempt, a.tries, delay);
		pause_for(delay);
		if (!a.constant)
			delay = delay * 2 > a.max ? a.max : delay * 2;
	}
	if (a.fail && status != 128 + SIGINT) {
		char *fail[] = { "sh", "-c", (char *)a.fail, NULL };
		struct runcmd cmd = RUNCMD_INIT;
		cmd.argv = fail;
		cmd.program = "/bin/sh";
		int ignored;
		runcmd_run(&cmd, &ignored, NULL);
	}
	return status;
}
