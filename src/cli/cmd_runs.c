#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ci/report.h"
#include "ci/runall_report.h"
#include "cli/cli.h"
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
		     "Exit status: 0; 1 when a folder could not be removed; 2 bad usage.\n");
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

/* The value after "key": in summary.json, which report.c writes with these
 * keys first, one per line. */
static void field(const char *json, const char *key, char *out, size_t size)
{
	char pattern[64];
	snprintf(pattern, sizeof pattern, "\"%s\": ", key);
	const char *p = strstr(json, pattern);
	snprintf(out, size, "?");
	if (!p)
		return;
	p += strlen(pattern);
	if (*p == '"')
		p++;
	size_t n = strcspn(p, "\",\n");
	snprintf(out, size, "%.*s", (int)n, p);
}

/* A run's line: status, duration, what it changed in the tree, folder. */
static void show_run(const char *path, const char *indent)
{
	char file[4096 + 16], status[32] = "incomplete", seconds[32] = "-";
	snprintf(file, sizeof file, "%s/summary.json", path);
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		struct strbuf json = STRBUF_INIT;
		strbuf_read_fd(&json, fd);
		close(fd);
		field(json.buf, "status", status, sizeof status);
		field(json.buf, "duration_s", seconds, sizeof seconds);
		strbuf_release(&json);
		strncat(seconds, " s", sizeof seconds - strlen(seconds) - 1);
	}
	char changes[64] = "-";
	struct stat st;
	snprintf(file, sizeof file, "%s/tree", path);
	if (stat(file, &st) == 0 && S_ISDIR(st.st_mode)) {
		struct fs_usage size;
		fs_tree_usage(file, &size);
		snprintf(changes, sizeof changes, "%llu file%s, %.1f MiB", (unsigned long long)size.files,
			 size.files == 1 ? "" : "s", (double)size.bytes / (1024.0 * 1024.0));
	}
	printf("%s%-*s  %9s  %-20s  %s\n", indent, 11 - (int)strlen(indent), status, seconds, changes,
	       path);
}

static int folders_only(const struct dirent *d)
{
	return d->d_name[0] != '.' && d->d_type == DT_DIR;
}

/* A matrix folder (cibox run --all): one line for the matrix, how many of
 * its configurations passed, then a line for each configuration's run.
 * False when `path` is no matrix folder. */
static bool show_matrix(const char *path)
{
	char file[4096 + 16];
	snprintf(file, sizeof file, "%s/" RUNALL_REPORT_NAME, path);
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct strbuf json = STRBUF_INIT;
	strbuf_read_fd(&json, fd);
	close(fd);
	char status[32], seconds[32], passed[32], failed[32], configs[64];
	field(json.buf, "status", status, sizeof status);
	field(json.buf, "duration_s", seconds, sizeof seconds);
	field(json.buf, "passed", passed, sizeof passed);
	field(json.buf, "failed", failed, sizeof failed);
	strbuf_release(&json);
	bool running = strcmp(status, "running") == 0;
	/* Its cibox was killed outright before it could say how it ended. */
	if (running && !report_run_dir_busy(path))
		snprintf(status, sizeof status, "incomplete");
	if (running)
		snprintf(seconds, sizeof seconds, "-");
	else
		strncat(seconds, " s", sizeof seconds - strlen(seconds) - 1);
	snprintf(configs, sizeof configs, "matrix: %ld/%ld passed", strtol(passed, NULL, 10),
		 strtol(passed, NULL, 10) + strtol(failed, NULL, 10));
	printf("%-11s  %9s  %-20s  %s\n", status, seconds, configs, path);
	struct dirent **entries;
	int count = scandir(path, &entries, folders_only, alphasort);
	for (int i = 0; i < count; i++) {
		char run[4096 + 256];
		snprintf(run, sizeof run, "%s/%s", path, entries[i]->d_name);
		show_run(run, "  ");
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
		    (access(summary, F_OK) < 0 && access(matrix, F_OK) < 0 && now - runs[i].mtime < 60)) {
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
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return CLI_OK;
	}
	long count = 10, keep = -1;
	for (int i = 1; i < argc; i++) {
		char *end;
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			count = strtol(argv[++i], &end, 10);
			if (*end || count <= 0) {
				cli_error("runs: -n needs a positive number, not '%s'", argv[i]);
				return CLI_USAGE;
			}
		} else if (strcmp(argv[i], "--prune") == 0 && i + 1 < argc) {
			keep = strtol(argv[++i], &end, 10);
			if (*end || !*argv[i] || keep < 0) {
				cli_error("runs: --prune needs how many runs to keep (0 or more), not '%s'",
					  argv[i]);
				return CLI_USAGE;
			}
		} else {
			cli_error("runs: unknown argument '%s' (see cibox runs --help)", argv[i]);
			return CLI_USAGE;
		}
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
		if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, 0) < 0 || !S_ISDIR(st.st_mode))
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
		printf("%-11s  %9s  %-20s  %s\n", "status", "duration", "changes in tree/", "run folder");
	for (size_t i = 0; i < n; i++) {
		if ((long)i < count) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", dir.buf, runs[i].name);
			if (!show_matrix(path))
				show_run(path, "");
		}
		free(runs[i].name);
	}
	free(runs);
	strbuf_release(&dir);
	return CLI_OK;
}
