#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci/config.h"
#include "cli/cli.h"

extern char **environ;

static void usage(FILE *out)
{
	fprintf(out, "usage: cibox configs [STAGE]\n\n"
		     "Lists the configurations of ci/STAGE/ (default: test), each with the variables\n"
		     "its file sets when evaluated on its own (over PATH and HOME only).\n");
}

/* A value as the shell would read it back: bare when that is safe, else $'...'. */
static void print_value(const char *v)
{
	bool plain = *v != '\0';
	for (const char *p = v; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,:/@%",
			    *p) &&
		    !((unsigned char)*p >= 0x80))
			plain = false;
	if (plain) {
		fputs(v, stdout);
		return;
	}
	fputs("$'", stdout);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p == '\n')
			fputs("\\n", stdout);
		else if (*p == '\t')
			fputs("\\t", stdout);
		else if (*p == '\'' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\x%02x", *p);
		else
			putchar(*p);
	}
	putchar('\'');
}

/* Prints one configuration; returns 0 or the exit status after reporting. */
static int show(const struct ci_plan *plan, const char *name, const char *file, const envlist *base,
		char **unboxed)
{
	envlist out = ENVLIST_INIT;
	cibox_error err = { 0 };
	printf("%-12s %s\n", name, config_display_path(plan, file));
	if (config_evaluate(plan, base, file, &out, unboxed, &err) < 0) {
		fflush(stdout);
		cli_error("%s", err.message);
		envlist_free(&out);
		return cli_status_for(&err, CLI_CHECKING);
	}
	for (size_t i = 0; i < out.len; i++) {
		const char *entry = out.vars[i];
		size_t n = strcspn(entry, "=");
		char *var = strndup(entry, n);
		const char *before = var ? envlist_get(base, var) : NULL;
		bool bash_own = var && (strcmp(var, "PWD") == 0 || strcmp(var, "OLDPWD") == 0);
		if (var && !bash_own && (!before || strcmp(before, entry + n + 1) != 0)) {
			printf("    %s=", var);
			print_value(entry + n + 1);
			putchar('\n');
		}
		free(var);
	}
	envlist_free(&out);
	return 0;
}

static const struct option longopts[] = { CLI_OPTION_HELP, { 0 } };

int cmd_configs(int argc, char **argv)
{
	struct cli_options o = {
		.command = "configs", .shortopts = "h", .longopts = longopts, .usage = usage
	};
	int c;
	while ((c = cli_next_option(&o, argc, argv)) >= 0)
		;
	if (c == CLI_OPTIONS_STOP)
		return o.status;
	if (o.next + 1 < argc) {
		cli_error("configs: expected at most a stage name (see cibox configs --help)");
		return CLI_USAGE;
	}
	const char *stage = o.next < argc ? argv[o.next] : "test";
	struct ci_plan plan = { 0 };
	cibox_error err = { 0 };
	envlist base = ENVLIST_INIT;
	char **names = NULL, *unboxed = NULL;
	size_t n = 0;
	int status = CLI_OK;
	for (const char *const *keep = (const char *const[]){ "PATH", "HOME", NULL }; *keep; keep++)
		if (getenv(*keep))
			envlist_set(&base, *keep, getenv(*keep));
	if (config_find_project(&plan, &err) < 0 || config_find_stage(&plan, stage, &err) < 0 ||
	    config_pick(&plan, NULL, &err) < 0 || config_list(plan.stage_dir, &names, &n, &err) < 0) {
		cli_error("%s", err.message);
		status = cli_status_for(&err, CLI_CHECKING);
		goto out;
	}
	if (plan.defaults_file)
		status = show(&plan, "default", plan.defaults_file, &base, &unboxed);
	else
		printf("%-12s (no %s/00_setup_env.sh)\n", "default",
		       config_display_path(&plan, plan.stage_dir));
	for (size_t i = 0; i < n; i++) {
		char *file;
		if (asprintf(&file, "%s/00_setup_env_%s.sh", plan.stage_dir, names[i]) < 0) {
			status = CLI_FAILED;
			break;
		}
		int shown = show(&plan, names[i], file, &base, &unboxed);
		if (shown)
			status = shown;
		free(file);
	}
	if (unboxed)
		cli_error("configs: read without a jail, which this machine cannot make: %s",
			  unboxed);
out:
	free(unboxed);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	envlist_free(&base);
	plan_free(&plan);
	return status;
}
