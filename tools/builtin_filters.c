/*
 * Writes, as C, the filter programs of cibox sandbox's built-in policy for
 * every mode and both kinds of signal scope, exactly as the supervisor
 * compiles them: the build links them into cibox. Where this machine cannot
 * compile them, it writes an empty table, and cibox compiles at start.
 */
#include <stdio.h>

#include "cli/builtin_policy.h"
#include "sandbox/policy_set.h"
#include "sandbox/supervisor.h"

static const enum cibox_mode modes[] = { CIBOX_MODE_LOG_AND_ABORT, CIBOX_MODE_ABORT, CIBOX_MODE_LOG };

int main(void)
{
	struct filter_program programs[2 * sizeof modes / sizeof modes[0]];
	unsigned count = 0;
	cibox_error err;
	policy_set *policies = NULL;
	int rc = policy_set_from_list(BUILTIN_POLICY, &policies, &err);
	for (unsigned i = 0; rc == 0 && i < 2 * sizeof modes / sizeof modes[0]; i++) {
		struct supervisor_options options = { .policies = policies,
						      .mode = modes[i / 2],
						      .confine_signals = i % 2 };
		rc = supervisor_compile(&options, &programs[i], &err);
		count = rc == 0 ? i + 1 : 0;
	}
	printf("/* Written by tools/builtin_filters at build time. */\n"
	       "#include \"cli/builtin_policy.h\"\n\n");
	if (rc < 0)
		printf("/* Not compiled here: %s */\n", err.message);
	for (unsigned i = 0; i < count; i++) {
		printf("static struct sock_filter program%u[] = {\n", i);
		for (unsigned k = 0; k < programs[i].len; k++) {
			const struct sock_filter *f = &programs[i].insns[k];
			printf("\t{ 0x%x, %u, %u, 0x%x },\n", f->code, f->jt, f->jf, f->k);
		}
		printf("};\n");
	}
	printf("\nconst struct builtin_filter builtin_filters[] = {\n");
	for (unsigned i = 0; i < count; i++)
		printf("\t{ %d, %s, { program%u, %u } },\n", (int)modes[i / 2],
		       i % 2 ? "true" : "false", i, programs[i].len);
	printf("\t{ 0, false, { NULL, 0 } },\n};\nconst unsigned builtin_filter_count = %u;\n",
	       count);
	for (unsigned i = 0; i < count; i++)
		filter_program_free(&programs[i]);
	policy_set_free(policies);
	return ferror(stdout) ? 1 : 0;
}
