#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ci/config.h"
#include "ci/matrix.h"
#include "cli/cli.h"
#include "util/fs.h"
#include "util/strbuf.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cibox matrix [STAGE] --format github|gitlab [-o FILE] [--image IMAGE]\n"
		"                    [--runs-on LABEL]... [--engine ns|host|podman|docker]\n"
		"                    [--cibox-git URL [--cibox-ref REF]]\n\n"
		"Prints a CI file with one job for each configuration of ci/STAGE/ (default: test),\n"
		"each running `cibox run STAGE --env NAME` on the service's runners.\n\n"
		"  --format NAME     github: a GitHub Actions workflow (a strategy.matrix);\n"
		"                    gitlab: a GitLab CI pipeline (parallel:matrix)\n"
		"  -o, --output FILE write FILE instead of standard output\n"
		"  --image IMAGE     run the jobs in IMAGE (GitHub: the job's container); default:\n"
		"                    the runner's machine, or the GitLab runner's default image\n"
		"  --runs-on LABEL   GitHub: a runs-on label (default ubuntu-latest); GitLab: a\n"
		"                    runner tag (default: none); repeatable\n"
		"  --engine NAME     the engine every job uses; default: each job uses ns where its\n"
		"                    machine can make the jail (with sudo, lifting Ubuntu's AppArmor\n"
		"                    restriction), else host, and says which in its log\n"
		"  --cibox-git URL   a job whose runner has no cibox on PATH builds it from this git\n"
		"                    repository; without it such a job fails, saying so\n"
		"  --cibox-ref REF   the branch, tag or commit of --cibox-git (default: its HEAD)\n\n"
		"Exit status: 0 written, 1 the file could not be written, 2 usage error, unknown\n"
		"stage, or a stage without configurations.\n");
}

struct matrix_args {
	const char *stage, *format, *output;
	struct matrix_plan plan;
	const char **labels;
};

enum { FORMAT = 256, IMAGE, RUNS_ON, ENGINE, CIBOX_GIT, CIBOX_REF };

static const struct option longopts[] = {
	CLI_OPTION_HELP,
	{ "format", required_argument, NULL, FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "image", required_argument, NULL, IMAGE },
	{ "runs-on", required_argument, NULL, RUNS_ON },
	{ "engine", required_argument, NULL, ENGINE },
	{ "cibox-git", required_argument, NULL, CIBOX_GIT },
	{ "cibox-ref", required_argument, NULL, CIBOX_REF },
	{ 0 },
};

/* CLI_CONTINUE, or the exit status after the usage or what was wrong. */
static int parse(int argc, char **argv, struct matrix_args *a)
{
	a->labels = calloc((size_t)argc, sizeof *a->labels);
	if (!a->labels) {
		cli_error("matrix: out of memory");
		return CLI_FAILED;
	}
	a->plan.labels = a->labels;
	struct cli_options o = {
		.command = "matrix", .shortopts = "ho:", .longopts = longopts, .usage = usage
	};
	int c;
	while ((c = cli_next_option(&o, argc, argv)) >= 0) {
		switch (c) {
		case FORMAT: a->format = o.value; break;
		case 'o': a->output = o.value; break;
		case IMAGE: a->plan.image = o.value; break;
		case RUNS_ON: a->labels[a->plan.nlabels++] = o.value; break;
		case ENGINE: a->plan.engine = o.value; break;
		case CIBOX_GIT: a->plan.cibox_git = o.value; break;
		default: a->plan.cibox_ref = o.value;
		}
	}
	if (c == CLI_OPTIONS_STOP)
		return o.status;
	if (o.next + 1 < argc) {
		cli_error("matrix: expected one stage, got '%s' and '%s'", argv[o.next],
			  argv[o.next + 1]);
		return CLI_USAGE;
	}
	a->stage = o.next < argc ? argv[o.next] : NULL;
	if (!a->format) {
		cli_error("matrix: --format github or --format gitlab is needed");
		return CLI_USAGE;
	}
	if (a->plan.cibox_ref && !a->plan.cibox_git) {
		cli_error("matrix: --cibox-ref needs --cibox-git");
		return CLI_USAGE;
	}
	return CLI_CONTINUE;
}

static int write_out(const char *output, const struct strbuf *text)
{
	if (output) {
		int rc = fs_write_atomically(output, text->buf, text->len, 0644, FS_DURABLE);
		if (rc < 0) {
			cli_error("matrix: cannot write %s: %s", output, strerror(-rc));
			return CLI_FAILED;
		}
		return CLI_OK;
	}
	if (fwrite(text->buf, 1, text->len, stdout) != text->len || fflush(stdout) != 0) {
		cli_error("matrix: cannot write the standard output: %s", strerror(errno));
		return CLI_FAILED;
	}
	return CLI_OK;
}

int cmd_matrix(int argc, char **argv)
{
	struct matrix_args a = { 0 };
	struct ci_plan plan = { 0 };
	struct strbuf text = STRBUF_INIT;
	cibox_error err = { 0 };
	char **names = NULL;
	size_t n = 0;
	int status = parse(argc, argv, &a);
	if (status != CLI_CONTINUE)
		goto out;
	a.plan.stage = a.stage ? a.stage : "test";
	if (matrix_format_parse(a.format, &a.plan.format, &err) < 0 ||
	    config_find_project(&plan, &err) < 0 || config_find_stage(&plan, a.plan.stage, &err) < 0 ||
	    config_list(plan.stage_dir, &names, &n, &err) < 0) {
		cli_error("matrix: %s", err.message);
		status = cli_status_for(&err, CLI_CHECKING);
		goto out;
	}
	a.plan.configs = names;
	a.plan.nconfigs = n;
	if (matrix_write(&a.plan, &text, &err) < 0) {
		cli_error("matrix: %s", err.message);
		status = cli_status_for(&err, CLI_CHECKING);
		goto out;
	}
	status = write_out(a.output, &text);
out:
	strbuf_release(&text);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(a.labels);
	plan_free(&plan);
	return status;
}
