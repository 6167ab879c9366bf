#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "sandbox/supervisor.h"

/* Without --policy or --allow: everything a build or test needs, no network.
 * Beyond the groups: make's posix_spawn sets the effective ids back to the
 * real ones, and bash, started by anything but another bash, asks with
 * getpeername whether its standard input is a network connection (a question
 * about an open descriptor). */
static const char default_policy[] =
	"@default,@file-read,@file-write,@process,@signal,@thread,@time,@ipc,@system-info,"
	"setresuid,setresgid,getpeername";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cibox sandbox [--mode MODE] [--policy FILE | --allow LIST] -- COMMAND [ARG...]\n\n"
		"Runs COMMAND, and everything it starts, under a syscall policy.\n\n"
		"  --mode MODE    log-and-abort (default): report the refused syscall, end the command\n"
		"                 abort: the kernel kills the offending process, no report\n"
		"                 log: report each refused syscall once per thread, let it run\n"
		"  --policy FILE  a policy file: one entry per line (@group, name, name(*), -name)\n"
		"  --allow LIST   the policy as a comma-separated list: --allow @default,@file-read\n\n"
		"Without a policy: %s.\n"
		"Exit status: the command's; 159 when the sandbox stopped it; 2 bad usage or policy;\n"
		"3 this machine cannot supervise seccomp filters; 126/127 command not runnable/found.\n",
		default_policy);
}

/* The value of option `name` at argv[*i], or NULL if argv[*i] is another
 * option. A missing or empty value is "", already reported; a "--" right after
 * the option is the end of the options, not its value. */
static const char *option_value(int argc, char **argv, int *i, const char *name)
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
		cli_error("sandbox: %s needs a value", name);
	return value;
}

int cmd_sandbox(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return CLI_OK;
	}
	const char *mode_text = "log-and-abort", *policy_file = NULL, *allow = NULL;
	int i = 1;
	for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *value;
		if ((value = option_value(argc, argv, &i, "--mode")))
			mode_text = value;
		else if ((value = option_value(argc, argv, &i, "--policy")))
			policy_file = value;
		else if ((value = option_value(argc, argv, &i, "--allow")))
			allow = value;
		else if (argv[i][0] == '-') {
			cli_error("sandbox: unknown option '%s' (see cibox sandbox --help)", argv[i]);
			return CLI_USAGE;
		} else {
			cli_error("sandbox: missing '--' before the command '%s'", argv[i]);
			return CLI_USAGE;
		}
		if (!*value)
			return CLI_USAGE;
	}
	if (i >= argc) {
		cli_error("sandbox: missing '--' and the command to run");
		return CLI_USAGE;
	}
	if (i + 1 >= argc) {
		cli_error("sandbox: no command after '--'");
		return CLI_USAGE;
	}
	if (policy_file && allow) {
		cli_error("sandbox: give either --policy or --allow, not both");
		return CLI_USAGE;
	}

	cibox_error err = { 0 };
	struct supervisor_options options = { .report_fd = STDERR_FILENO };
	if (cibox_mode_parse(mode_text, &options.mode, &err) < 0) {
		cli_error("sandbox: %s", err.message);
		return CLI_USAGE;
	}
	cibox_policy *policy = cibox_policy_new();
	if (!policy) {
		cli_error("sandbox: out of memory");
		return CLI_FAILED;
	}
	int rc = policy_file ? cibox_policy_load_file(policy, policy_file, &err)
			     : cibox_policy_add_list(policy, allow ? allow : default_policy, &err);
	if (rc < 0) {
		cibox_policy_free(policy);
		cli_error("sandbox: %s", err.message);
		return CLI_USAGE;
	}
	options.policy = policy;

	struct supervisor_result result;
	rc = supervisor_run(&options, argv + i + 1, &result, &err);
	cibox_policy_free(policy);
	if (rc < 0) {
		cli_error("sandbox: %s", err.message);
		if (rc == -ENOENT)
			return 127;
		if (rc == -EACCES)
			return 126;
		return cli_status_for(&err);
	}
	int status = result.wait_status;
	if (result.violation || (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)) {
		cli_error("sandbox: the syscall sandbox stopped '%s' (mode %s)", argv[i + 1],
			  cibox_mode_name(options.mode));
		return CLI_VIOLATION;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
