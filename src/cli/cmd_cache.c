#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ci/cache.h"
#include "ci/config.h"
#include "ci/plan.h"
#include "cli/cli.h"
#include "util/xdg.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cibox cache ls\n"
		"       cibox cache clear [--all]\n\n"
		"The caches of stages (CI_CACHE_DIRS), under $XDG_CACHE_HOME/cibox/caches: ls lists\n"
		"them with size and last use; clear removes those of the project holding the\n"
		"current folder, or with --all every project's.\n");
}

static void print_cache(const char *name, uint64_t bytes, time_t used, void *context)
{
	++*(unsigned *)context;
	char when[32] = "-";
	struct tm tm;
	if (used && localtime_r(&used, &tm))
		strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
	printf("%-60s %9.1f MiB  %s\n", name, (double)bytes / (1024.0 * 1024.0), when);
}

enum { ALL = 256 };

static const struct option longopts[] = { CLI_OPTION_HELP, { "all", no_argument, NULL, ALL }, { 0 } };

int cmd_cache(int argc, char **argv)
{
	struct cli_options o = {
		.command = "cache", .shortopts = "h", .longopts = longopts, .usage = usage
	};
	bool all = false;
	int c;
	while ((c = cli_next_option(&o, argc, argv)) == ALL)
		all = true;
	if (c == CLI_OPTIONS_STOP)
		return o.status;
	const char *verb = o.next + 1 == argc ? argv[o.next] : "";
	cibox_error err;
	if (strcmp(verb, "ls") == 0 && !all) {
		unsigned count = 0;
		if (cache_list(print_cache, &count, &err) < 0) {
			cli_error("cache: %s", err.message);
			return cli_status_for(&err, CLI_CHECKING);
		}
		/* An empty listing would leave the user wondering whether it worked. */
		if (!count) {
			char dir[PATH_MAX];
			printf("no caches in %s: cibox run makes one for each CI_CACHE_DIRS variable a "
			       "configuration sets\n",
			       xdg_path(XDG_CACHE, "caches", dir, sizeof dir) < 0
				       ? "$XDG_CACHE_HOME/cibox/caches"
				       : dir);
		}
		return CLI_OK;
	}
	if (strcmp(verb, "clear") == 0) {
		char project[256];
		if (!all) {
			struct ci_plan plan = { 0 };
			if (config_find_project(&plan, &err) < 0) {
				cli_error("cache: %s (or clear --all)", err.message);
				return cli_status_for(&err, CLI_CHECKING);
			}
			cache_project_name(plan.root, project, sizeof project);
			plan_free(&plan);
		}
		int removed = cache_clear(all ? NULL : project, &err);
		if (removed < 0) {
			cli_error("cache: %s", err.message);
			return cli_status_for(&err, CLI_WORKING);
		}
		printf("removed the caches of %d project%s\n", removed, removed == 1 ? "" : "s");
		return CLI_OK;
	}
	cli_error("cache: expected ls or clear [--all] (see cibox cache --help)");
	return CLI_USAGE;
}
