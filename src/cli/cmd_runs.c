#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ci/jsondoc.h"
#include "ci/report.h"
#include "ci/runall_report.h"
#include "cli/cli.h"
#include "util/error.h"
#include "util/fs.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: cibox runs [-n COUNT]\n"
		     "       cibox runs --prune KEEP\n\n"
		     "Lists the most recent runs (default 10), newest first: status, duration,\n"
		     "what the steps changed in the tree (the overlay's upper layer, kept in the\n"
		     "run folder's tree/; '-' when the run wrote to the tree or had no jail) and\n"
		     "run folder. Runs given --out DIR are not listed. A matrix (cibox run --all)\n"
		     "is one entry, how many of its configurations passed, with their runs below.\n\n"
		     "--prune KEEP removes the run folders but the KEEP newest, and says how much\n"
		     "that freed; a run still going, or just started, is left alone.\n"
		     "Exit status: 0; 1 when a report could not be read (a line says why) or a\n"
		     "folder could not be removed; 2 bad usage.\n");
}

struct run_entry {
	char *name;
	time_t mtime;
};

static int newest_first(const void *a, const void *b)
{
	const struct run_entry *x = a, *y = b;
	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? 1 : -1;
	return strcmp(y->name, x->name);
}

static const char *const run_statuses[] = { "passed", "failed", "interrupted", NULL };
static const char *const matrix_statuses[] = { "running", "passed", "failed", "interrupted", NULL };

/* The report `name` in the folder `path`, with its status and duration; NULL
 * when there is none yet, or when it is no report cibox wrote (a step can
 * write its run folder): then one line says why and *bad is set. */
static json_t *load_report(const char *path, const char *name, const char *const *statuses,
			   const char **status, double *seconds, bool *bad)
{
	cibox_error err = { 0 };
	const char *said;
	json_t *doc = jsondoc_read(path, name, &err);
	if (doc && (jsondoc_string_member(doc, "status", statuses, &said, &err) < 0 ||
		    jsondoc_number_member(doc, "duration_s", 0, DBL_MAX, seconds, &err) < 0)) {
		error_prefix(&err, "%s/%s: ", path, name);
		json_decref(doc);
		doc = NULL;
	}
	if (doc)
		*status = said;
	else if (err.code != -ENOENT) {
		cli_error("runs: %s", err.message);
		*bad = true;
	}
	return doc;
}

/* A run's line: status, duration, what it changed in the tree, folder. */
static void show_run(const char *path, const char *indent, bool *bad)
{
	char seconds[32] = "-";
	const char *status = "incomplete";
	bool unreadable = false;
	double duration = 0;
	json_t *doc =
		load_report(path, "summary.json", run_statuses, &status, &duration, &unreadable);
	if (doc)
		snprintf(seconds, sizeof seconds, "%.3f s", duration);
	else if (unreadable)
		status = "unreadable";
	char changes[64] = "-", file[4096 + 16];
	struct stat st;
	snprintf(file, sizeof file, "%s/tree", path);
	/* A link a step left in its place names someone else's files. */
	if (lstat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
		struct fs_usage size;
		fs_tree_usage(file, &size);
		snprintf(changes, sizeof changes, "%llu file%s, %.1f MiB",
			 (unsigned long long)size.files, size.files == 1 ? "" : "s",
			 (double)size.bytes / (1024.0 * 1024.0));
	}
	printf("%s%-*s  %9s  %-20s  %s\n", indent, 11 - (int)strlen(indent), status, seconds,
	       changes, path);
	json_decref(doc);
	*bad |= unreadable;
}

static int folders_only(const struct dirent *d)
{
	return d->d_name[0] != '.' && d->d_type == DT_DIR;
}

/* A matrix folder (cibox run --all): one line for the matrix, how many of
 * its configurations passed, then a line for each configuration's run.
 * False when `path` is no matrix folder. */
static bool show_matrix(const char *path, bool *bad)
{
	char seconds[32] = "-", configs[64] = "-";
	const char *status = "unreadable";
	bool unreadable = false;
	double duration = 0;
	json_t *doc = load_report(path, RUNALL_REPORT_NAME, matrix_statuses, &status, &duration,
				  &unreadable);
	if (!doc && !unreadable)
		return false;
	json_int_t passed, failed;
	cibox_error err = { 0 };
	if (doc && (jsondoc_integer_member(doc, "passed", 0, INT_MAX, &passed, &err) < 0 ||
		    jsondoc_integer_member(doc, "failed", 0, INT_MAX, &failed, &err) < 0)) {
		cli_error("runs: %s/%s: %s", path, RUNALL_REPORT_NAME, err.message);
		unreadable = true;
		status = "unreadable";
	} else if (doc) {
		snprintf(configs, sizeof configs, "matrix: %lld/%lld passed", (long long)passed,
			 (long long)(passed + failed));
		if (strcmp(status, "running") != 0)
			snprintf(seconds, sizeof seconds, "%.3f s", duration);
		/* Its cibox was killed outright before it could say how it ended. */
		else if (!report_run_dir_busy(path))
			status = "incomplete";
	}
	printf("%-11s  %9s  %-20s  %s\n", status, seconds, configs, path);
	json_decref(doc);
	*bad |= unreadable;
	struct dirent **entries;
	int count = scandir(path, &entries, folders_only, alphasort);
	for (int i = 0; i < count; i++) {
		char run[4096 + 256];
		snprintf(run, sizeof run, "%s/%s", path, entries[i]->d_name);
		show_run(run, "  ", bad);
		free(entries[i]);
	}
	if (count >= 0)
		free(entries);
	return true;
}

/* Removes every run folder after the `keep` newest but those a run holds, and
 * those without a report yet that are less than a minute old: a run between
 * creating its folder and locking it. */
static int prune(const char *dir, const struct run_entry *runs, size_t n, size_t keep)
{
	size_t removed = 0, kept_busy = 0;
	uint64_t freed = 0;
	int status = CLI_OK;
	time_t now = time(NULL);
	for (size_t i = keep; i < n; i++) {
		char path[4096], summary[4096 + 16];
		snprintf(path, sizeof path, "%s/%s", dir, runs[i].name);
		snprintf(summary, sizeof summary, "%s/summary.json", path);
		char matrix[4096 + 16];
		snprintf(matrix, sizeof matrix, "%s/" RUNALL_REPORT_NAME, path);
		/* A matrix folder is one run: its cibox holds it locked. */
		if (report_run_dir_busy(path) ||
		    (access(summary, F_OK) < 0 && access(matrix, F_OK) < 0 &&
		     now - runs[i].mtime < 60)) {
			kept_busy++;
			continue;
		}
		struct fs_usage size;
		fs_tree_usage(path, &size);
		int rc = fs_remove_tree(path);
		if (rc < 0) {
			cli_error("runs: cannot remove %s: %s", path, strerror(-rc));
			status = CLI_FAILED;
			continue;
		}
		removed++;
		freed += size.bytes;
	}
	printf("removed %zu run folder%s, %.1f MiB freed", removed, removed == 1 ? "" : "s",
	       (double)freed / (1024.0 * 1024.0));
	if (kept_busy)
		printf("; %zu still going left alone", kept_busy);
	printf("\n");
	return status;
}

int cmd_runs(int argc, char **argv)
{
	static const struct option longopts[] = { CLI_OPTION_HELP,
						  { "prune", required_argument, NULL, 'p' },
						  { 0 } };
	struct cli_options o = {
		.command = "runs", .shortopts = "hn:", .longopts = longopts, .usage = usage
	};
	long count = 10, keep = -1;
	int c;
	while ((c = cli_next_option(&o, argc, argv)) >= 0) {
		char *end;
		if (c == 'n') {
			count = strtol(o.value, &end, 10);
			if (*end || count <= 0) {
				cli_error("runs: -n needs a positive number, not '%s'", o.value);
				return CLI_USAGE;
			}
		} else {
			keep = strtol(o.value, &end, 10);
			if (*end || keep < 0) {
				cli_error("runs: --prune needs how many runs to keep (0 or more), not '%s'",
					  o.value);
				return CLI_USAGE;
			}
		}
	}
	if (c == CLI_OPTIONS_STOP)
		return o.status;
	if (o.next < argc) {
		cli_error("runs: unknown argument '%s' (see cibox runs --help)", argv[o.next]);
		return CLI_USAGE;
	}
	struct strbuf dir = STRBUF_INIT;
	cibox_error err = { 0 };
	int rc = report_runs_dir(&dir, &err);
	if (rc < 0) {
		cli_error("runs: %s", err.message);
		strbuf_release(&dir);
		return CLI_USAGE;
	}
	DIR *d = opendir(dir.buf);
	if (!d) {
		if (errno == ENOENT)
			printf("no runs yet (%s does not exist)\n", dir.buf);
		else
			cli_error("runs: %s: %s", dir.buf, strerror(errno));
		strbuf_release(&dir);
		return errno == ENOENT ? CLI_OK : CLI_USAGE;
	}
	struct run_entry *runs = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat st;
		if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, 0) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct run_entry *grown = realloc(runs, cap * sizeof *grown);
			if (!grown)
				break;
			runs = grown;
		}
		if (!(runs[n].name = strdup(e->d_name)))
			break;
		runs[n++].mtime = st.st_mtime;
	}
	closedir(d);
	if (n)
		qsort(runs, n, sizeof *runs, newest_first);
	if (keep >= 0) {
		int status = prune(dir.buf, runs, n, (size_t)keep);
		for (size_t i = 0; i < n; i++)
			free(runs[i].name);
		free(runs);
		strbuf_release(&dir);
		return status;
	}
	if (n == 0)
		printf("no runs yet in %s\n", dir.buf);
	else
		printf("%-11s  %9s  %-20s  %s\n", "status", "duration", "changes in tree/",
		       "run folder");
	bool bad = false;
	for (size_t i = 0; i < n; i++) {
		if ((long)i < count) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", dir.buf, runs[i].name);
			if (!show_matrix(path, &bad))
				show_run(path, "", &bad);
		}
		free(runs[i].name);
	}
	free(runs);
	strbuf_release(&dir);
	return bad ? CLI_FAILED : CLI_OK;
}
