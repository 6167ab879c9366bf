#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sandbox/supervisor.h"
#include "sandbox/trace.h"
#include "util/fs.h"

/* Calls every program needs are allowed in the kernel without asking: a
 * trace stops only on the rest, which keeps a traced build fast. */
static const char base_policy[] = "@default";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cibox trace [-o FILE] [--args] [--per-thread] [--title TEXT] -- COMMAND [ARG...]\n\n"
		"Runs COMMAND and everything it starts, and writes the policy it needed (to FILE\n"
		"or standard output), ready for `cibox sandbox --policy FILE` or a stage's\n"
		"sandbox.policy. With --args, the argument values of clone, socket, socketpair,\n"
		"ioctl and prctl are recorded and the policy allows exactly those values, as in\n"
		"ioctl(TCGETS). With --per-thread, what only some threads called goes into a\n"
		"[thread] section per thread name (as the kernel reports it). --title names\n"
		"what was traced in the policy's first line, instead of the command.\n"
		"Exit status: the command's; 2 bad usage; 3 this machine cannot supervise\n"
		"seccomp filters; 126/127 command not runnable/found.\n");
}

static void observe(void *context, int nr, const uint64_t args[6], const char *thread,
		    const char *program)
{
	trace_observe(context, nr, args, thread, program);
}

/* The policy is never seen half written. */
static int write_policy(const trace *t, const char *command, bool per_thread, const char *path)
{
	if (!path)
		return trace_write_policy(t, command, per_thread, stdout);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return -errno;
	int rc = trace_write_policy(t, command, per_thread, out);
	if (fclose(out) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc == 0)
		rc = fs_write_atomically(path, text, len, 0644, FS_DURABLE);
	free(text);
	return rc;
}

enum { ARGS = 256, PER_THREAD, TITLE };

static const struct option longopts[] = {
	CLI_OPTION_HELP,
	{ "args", no_argument, NULL, ARGS },
	{ "per-thread", no_argument, NULL, PER_THREAD },
	{ "title", required_argument, NULL, TITLE },
	{ 0 },
};

int cmd_trace(int argc, char **argv)
{
	const char *output = NULL;
	bool per_thread = false, record_args = false;
	const char *title = NULL;
	struct cli_options o = {
		.command = "trace", .shortopts = "+ho:", .longopts = longopts, .usage = usage
	};
	int c;
	while ((c = cli_next_option(&o, argc, argv)) >= 0) {
		switch (c) {
		case 'o': output = o.value; break;
		case ARGS: record_args = true; break;
		case PER_THREAD: per_thread = true; break;
		default: title = o.value;
		}
	}
	if (c == CLI_OPTIONS_STOP)
		return o.status;
	if (!o.dashdash && o.next < argc) {
		cli_error("trace: missing '--' before the command '%s'", argv[o.next]);
		return CLI_USAGE;
	}
	if (o.next >= argc) {
		cli_error("trace: missing '--' and the command to run");
		return CLI_USAGE;
	}
	char **command = argv + o.next;

	cibox_error err = { 0 };
	char path[PATH_MAX];
	int rc = supervisor_find_command("", NULL, command[0], path, sizeof path, &err);
	if (rc < 0) {
		cli_error("trace: %s", err.message);
		return cli_status_for(&err, CLI_STARTING);
	}
	policy_set *policies = NULL;
	trace *t = trace_new(base_policy, record_args);
	if (!t || policy_set_from_list(trace_kernel_policy(t), &policies, &err) < 0) {
		trace_free(t);
		cli_error("trace: out of memory");
		return CLI_FAILED;
	}
	struct supervisor_options options = {
		.policies = policies,
		.mode = CIBOX_MODE_LOG,
		.report_fd = STDERR_FILENO,
		.observe = observe,
		.observe_context = t,
	};
	struct supervisor_result result;
	rc = supervisor_run(&options, path, command, &result, &err);
	policy_set_free(policies);
	if (rc < 0) {
		trace_free(t);
		cli_error("trace: %s", err.message);
		return cli_status_for(&err, CLI_CHECKING);
	}
	char line[1024] = "";
	for (char **a = command; *a; a++)
		snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s",
			 a == command ? "" : " ", *a);
	rc = write_policy(t, title ? title : line, per_thread, output);
	trace_free(t);
	if (rc < 0) {
		cli_error("trace: cannot write %s: %s", output ? output : "the policy",
			  strerror(-rc));
		return CLI_FAILED;
	}
	return cli_status_of_wait(result.wait_status);
}
