/*
 * A stage's configurations as a CI service's own file: a GitHub Actions
 * workflow or a GitLab CI pipeline with one job per configuration, each job
 * running `cibox run STAGE --env NAME` as it runs on a workstation. The
 * service spreads the jobs over its machines; cibox stays what each job runs.
 *
 * Every value taken from the project or the caller is written as a YAML
 * double-quoted string, and guarded against the service's own expansion
 * (GitHub's ${{ }} expressions, GitLab's $VARIABLES), so that a job sees the
 * bytes of the configuration's file name and nothing else. The job's shell
 * code is fixed text that reads those values from its environment.
 */
#ifndef CIBOX_CI_MATRIX_H
#define CIBOX_CI_MATRIX_H

#include <cibox/sandbox.h>
#include <stddef.h>

#include "util/strbuf.h"

enum matrix_format {
	MATRIX_GITHUB,
	MATRIX_GITLAB,
};

struct matrix_plan {
	enum matrix_format format;
	const char *stage;
	char *const *configs; /* the configurations' names, in order */
	size_t nconfigs;
	const char *image;         /* the jobs' image, or NULL for the runner's own */
	const char *const *labels; /* GitHub runs-on labels, GitLab runner tags */
	size_t nlabels;            /* 0: ubuntu-latest on GitHub, any runner on GitLab */
	const char *engine;        /* cibox's engine, or NULL to choose in the job */
	const char *cibox_git;     /* where a job without cibox builds it from, or NULL */
	const char *cibox_ref;     /* the branch, tag or commit of cibox_git, or NULL */
};

/* "github" or "gitlab"; anything else is -EINVAL naming the two. */
int matrix_format_parse(const char *name, enum matrix_format *format, cibox_error *err);

/* Appends the file for plan to out. -EINVAL when the plan cannot be written:
 * no configuration, more jobs than the service runs from one matrix, an
 * engine cibox does not know, or a value that is not UTF-8 (YAML is text). */
int matrix_write(const struct matrix_plan *plan, struct strbuf *out, cibox_error *err);

#endif
