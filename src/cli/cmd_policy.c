#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "sandbox/policy.h"
#include "sandbox/policy_lint.h"
#include "sandbox/policy_set.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: cibox policy check FILE\n"
		     "       cibox policy diff OLD NEW\n\n"
		     "check: unknown names, malformed entries and sections, and dangerous calls a\n"
		     "policy allows, each with its line; exit 1 when there is anything to say.\n"
		     "diff: what NEW allows that OLD does not (+), the reverse (-) and changes of\n"
		     "argument restrictions (~), for every thread and per [thread] section; exit 1\n"
		     "when they differ.\n");
}

static int check(const char *path)
{
	char *text;
	cibox_error err;
	if (policy_read_file(path, POLICY_FILE_MAX, &text, &err) < 0) {
		cli_error("policy: %s", err.message);
		return cli_status_for(&err, CLI_CHECKING);
	}
	int findings = policy_lint(text, path, stdout);
	/* What the lint does not look for but loading refuses (a second section
	 * for one thread, say) is a finding too: a policy check passes loads. */
	policy_set *set = NULL;
	if (findings == 0 && policy_set_parse(text, path, &set, &err) < 0) {
		printf("%s\n", err.message);
		findings++;
	}
	policy_set_free(set);
	free(text);
	return findings ? CLI_FAILED : CLI_OK;
}

static int diff(const char *old_path, const char *new_path)
{
	policy_set *a = NULL, *b = NULL;
	cibox_error err;
	if (policy_set_load(old_path, &a, &err) < 0 || policy_set_load(new_path, &b, &err) < 0) {
		policy_set_free(a);
		cli_error("policy: %s", err.message);
		return cli_status_for(&err, CLI_CHECKING);
	}
	int differences = policy_diff(a, b, stdout);
	policy_set_free(a);
	policy_set_free(b);
	return differences ? CLI_FAILED : CLI_OK;
}

static const struct option longopts[] = { CLI_OPTION_HELP, { 0 } };

int cmd_policy(int argc, char **argv)
{
	struct cli_options o = {
		.command = "policy", .shortopts = "h", .longopts = longopts, .usage = usage
	};
	int c;
	while ((c = cli_next_option(&o, argc, argv)) >= 0)
		;
	if (c == CLI_OPTIONS_STOP)
		return o.status;
	int operands = argc - o.next;
	char **args = argv + o.next;
	if (operands == 2 && strcmp(args[0], "check") == 0)
		return check(args[1]);
	if (operands == 3 && strcmp(args[0], "diff") == 0)
		return diff(args[1], args[2]);
	cli_error("policy: expected check FILE or diff OLD NEW (see cibox policy --help)");
	return CLI_USAGE;
}
