#include "ci/report.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ci/jsondoc.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xdg.h"

const char *report_step_status_name(enum step_status status)
{
	switch (status) {
	case STEP_PASSED: return "passed";
	case STEP_FAILED: return "failed";
	case STEP_INTERRUPTED: return "interrupted";
	default: return "not run";
	}
}

const char *report_run_status_name(enum run_status status)
{
	switch (status) {
	case RUN_PASSED: return "passed";
	case RUN_FAILED: return "failed";
	default: return "interrupted";
	}
}

int report_runs_dir(struct strbuf *dir, cibox_error *err)
{
	char path[PATH_MAX];
	int rc = xdg_path(XDG_STATE, "runs", path, sizeof path);
	if (rc == -ENOENT)
		return error_set(err, -EINVAL,
				 "neither XDG_STATE_HOME nor HOME is set: give --out DIR");
	if (rc < 0)
		return error_set(err, rc, "the run folder's path is too long: give --out DIR");
	strbuf_addstr(dir, path);
	return dir->oom ? error_set(err, -ENOMEM, "out of memory") : 0;
}

static int mkdirs(char *path, cibox_error *err)
{
	int rc = fs_make_folders(path, 0755);
	return rc < 0 ? error_set(err, -EINVAL, "%s: cannot create the run folder: %s", path,
				  strerror(-rc))
		      : 0;
}

/* File names keep to letters, digits and -._ whatever the project's name is. */
static void add_name(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		char c = *s;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
		strbuf_addch(sb, ok ? c : '_');
	}
}

int report_make_run_dir(struct ci_plan *plan, const char *out, cibox_error *err)
{
	struct strbuf dir = STRBUF_INIT;
	int rc;
	if (out) {
		if (out[0] != '/') {
			char cwd[PATH_MAX];
			if (getcwd(cwd, sizeof cwd))
				strbuf_addf(&dir, "%s/", cwd);
		}
		strbuf_addstr(&dir, out);
		if (!dir.oom && (rc = mkdirs(dir.buf, err)) < 0)
			goto out;
	} else {
		if ((rc = report_runs_dir(&dir, err)) < 0 || (rc = mkdirs(dir.buf, err)) < 0)
			goto out;
		char stamp[32];
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now.tv_sec));
		strbuf_addch(&dir, '/');
		add_name(&dir, plan->project);
		strbuf_addch(&dir, '-');
		add_name(&dir, plan->stage);
		strbuf_addch(&dir, '-');
		add_name(&dir, plan->config);
		strbuf_addf(&dir, "-%s", stamp);
		size_t base = dir.len;
		/* Runs in the same second, as scripts make them: the microsecond
		 * first, so that a burst of runs does not try every number in turn. */
		for (int n = 1; !dir.oom && mkdir(dir.buf, 0755) < 0; n++) {
			if (errno != EEXIST || n > 1000) {
				rc = error_set(err, -EINVAL, "%s: cannot create the run folder: %s",
					       dir.buf, strerror(errno));
				goto out;
			}
			dir.len = base;
			if (n == 1)
				strbuf_addf(&dir, ".%06ld", now.tv_nsec / 1000);
			else
				strbuf_addf(&dir, ".%06ld-%d", now.tv_nsec / 1000, n);
		}
	}
	if (dir.oom) {
		rc = error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	plan->run_dir = strbuf_detach(&dir);
	rc = plan->run_dir ? 0 : error_set(err, -ENOMEM, "out of memory");
out:
	strbuf_release(&dir);
	return rc;
}

int report_lock_run_dir(const char *run_dir)
{
	int fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

bool report_run_dir_busy(const char *run_dir)
{
	int fd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool busy = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

static void iso_time(time_t t, char *buf, size_t size)
{
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

/* Only what the configuration and --set changed: the caller's own
 * environment may hold secrets and is not the run's to publish. */
static json_t *changed_variables(const struct ci_plan *plan)
{
	json_t *vars = json_object();
	for (size_t i = 0; vars && i < plan->env.len; i++) {
		const char *entry = plan->env.vars[i];
		size_t nlen = strcspn(entry, "=");
		struct strbuf name = STRBUF_INIT;
		strbuf_add(&name, entry, nlen);
		const char *before = name.oom ? NULL : envlist_get(&plan->caller, name.buf);
		if (!before || strcmp(before, entry + nlen + 1) != 0) {
			struct strbuf key = STRBUF_INIT;
			strbuf_add_utf8(&key, name.buf, name.len);
			if (name.oom || key.oom ||
			    json_object_set_new(vars, key.buf, jsondoc_string(entry + nlen + 1)) < 0) {
				json_decref(vars);
				vars = NULL;
			}
			strbuf_release(&key);
		}
		strbuf_release(&name);
	}
	return vars;
}

static json_t *step_json(const struct ci_step *s)
{
	bool ran = s->status != STEP_NOT_RUN;
	return json_pack("{s:o, s:s, s:o, s:o, s:o}", "name", jsondoc_string(s->name), "status",
			 report_step_status_name(s->status), "exit_status",
			 ran ? json_integer(s->exit_status) : json_null(), "duration_s",
			 ran ? jsondoc_seconds(s->seconds) : json_null(), "log",
			 jsondoc_string(ran ? s->log : NULL));
}

void report_summary_json(const struct ci_plan *plan, struct strbuf *sb)
{
	char started[32];
	iso_time(plan->started, started, sizeof started);
	json_t *steps = json_array();
	for (size_t i = 0; steps && i < plan->nsteps; i++) {
		if (json_array_append_new(steps, step_json(&plan->steps[i])) < 0) {
			json_decref(steps);
			steps = NULL;
		}
	}
	json_t *doc =
		json_pack("{s:s, s:o, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o}",
			  "status", report_run_status_name(plan->status), "duration_s",
			  jsondoc_seconds(plan->seconds), "exit_status",
			  plan->status == RUN_PASSED   ? 0
			  : plan->status == RUN_FAILED ? 1
						       : 130,
			  "project", jsondoc_string(plan->project), "root",
			  jsondoc_string(plan->root), "stage", jsondoc_string(plan->stage),
			  "configuration", jsondoc_string(plan->config), "configuration_file",
			  jsondoc_string(plan->config_file), "engine", jsondoc_string(plan->engine),
			  "started", started, "run_folder", jsondoc_string(plan->run_dir),
			  "variables", changed_variables(plan), "steps", steps);
	if (doc)
		jsondoc_dump(doc, sb);
	else
		sb->oom = true;
	json_decref(doc);
}

void report_tail(const char *path, size_t lines, struct strbuf *sb)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > 65536 ? size - 65536 : 0;
	struct strbuf all = STRBUF_INIT;
	if (size >= 0 && lseek(fd, from, SEEK_SET) >= 0)
		strbuf_read_fd(&all, fd);
	close(fd);
	size_t end = all.len;
	while (end && all.buf[end - 1] == '\n')
		end--;
	size_t start = end;
	for (size_t n = 0; start > 0; start--)
		if (all.buf[start - 1] == '\n' && ++n == lines)
			break;
	strbuf_add(sb, all.buf + start, end - start);
	strbuf_release(&all);
}

static void xml_str(struct strbuf *sb, const char *s)
{
	strbuf_add_xml(sb, s, strlen(s));
}

void report_junit_xml(const struct ci_plan *plan, struct strbuf *sb)
{
	size_t failures = 0, skipped = 0, errors = 0;
	for (size_t i = 0; i < plan->nsteps; i++) {
		failures += plan->steps[i].status == STEP_FAILED;
		errors += plan->steps[i].status == STEP_INTERRUPTED;
		skipped += plan->steps[i].status == STEP_NOT_RUN;
	}
	char started[32];
	iso_time(plan->started, started, sizeof started);
	struct strbuf suite = STRBUF_INIT;
	strbuf_addf(&suite, "%s/%s/%s", plan->project, plan->stage, plan->config);
	strbuf_addstr(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cibox\"");
	strbuf_addf(sb,
		    " tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
		    plan->nsteps, failures, errors, skipped, plan->seconds);
	strbuf_addstr(sb, "  <testsuite name=\"");
	xml_str(sb, suite.buf);
	strbuf_addf(sb,
		    "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\""
		    " timestamp=\"%s\">\n",
		    plan->nsteps, failures, errors, skipped, plan->seconds, started);
	for (size_t i = 0; i < plan->nsteps; i++) {
		const struct ci_step *s = &plan->steps[i];
		strbuf_addstr(sb, "    <testcase classname=\"");
		xml_str(sb, suite.buf);
		strbuf_addstr(sb, "\" name=\"");
		xml_str(sb, s->name);
		strbuf_addf(sb, "\" time=\"%.3f\"", s->status == STEP_NOT_RUN ? 0.0 : s->seconds);
		if (s->status == STEP_PASSED) {
			strbuf_addstr(sb, "/>\n");
			continue;
		}
		strbuf_addstr(sb, ">\n");
		if (s->status == STEP_NOT_RUN) {
			strbuf_addstr(
				sb,
				"      <skipped message=\"not run: an earlier step did not pass\"/>\n");
		} else {
			struct strbuf tail = STRBUF_INIT;
			report_tail(s->log, 50, &tail);
			const char *tag = s->status == STEP_FAILED ? "failure" : "error";
			if (s->status == STEP_FAILED)
				strbuf_addf(sb,
					    "      <failure message=\"exit status %d\" type=\"exit\">",
					    s->exit_status);
			else
				strbuf_addstr(
					sb,
					"      <error message=\"interrupted\" type=\"interrupt\">");
			strbuf_add_xml(sb, tail.buf, tail.len);
			strbuf_addf(sb, "</%s>\n", tag);
			strbuf_release(&tail);
		}
		strbuf_addstr(sb, "    </testcase>\n");
	}
	strbuf_addstr(sb, "  </testsuite>\n</testsuites>\n");
	strbuf_release(&suite);
}

int report_write_file(const char *dir, const char *name, const struct strbuf *sb, cibox_error *err)
{
	if (sb->oom)
		return error_set(err, -ENOMEM, "out of memory");
	/* Steps write in run folders: the folder itself, not a link a step put
	 * in its place, and nothing planted at the name is written through. */
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int rc = dirfd < 0
			 ? -errno
			 : fs_write_atomically_at(dirfd, name, sb->buf, sb->len, 0644, FS_VOLATILE);
	if (dirfd >= 0)
		close(dirfd);
	return rc < 0 ? error_set(err, rc, "%s/%s: %s", dir, name, strerror(-rc)) : 0;
}

int report_write(const struct ci_plan *plan, cibox_error *err)
{
	struct strbuf json = STRBUF_INIT, xml = STRBUF_INIT;
	report_summary_json(plan, &json);
	report_junit_xml(plan, &xml);
	int rc = report_write_file(plan->run_dir, "summary.json", &json, err);
	if (rc == 0)
		rc = report_write_file(plan->run_dir, "junit.xml", &xml, err);
	strbuf_release(&json);
	strbuf_release(&xml);
	return rc;
}

void report_table(const struct ci_plan *plan, FILE *out, bool color)
{
	int width = 4;
	for (size_t i = 0; i < plan->nsteps; i++)
		if ((int)strlen(plan->steps[i].name) > width)
			width = (int)strlen(plan->steps[i].name);
	fprintf(out, "%-*s  %-11s  %9s\n", width, "step", "status", "duration");
	for (size_t i = 0; i < plan->nsteps; i++) {
		const struct ci_step *s = &plan->steps[i];
		const char *on = "", *off = "";
		if (color) {
			on = s->status == STEP_PASSED        ? "\033[32m"
			     : s->status == STEP_FAILED      ? "\033[31m"
			     : s->status == STEP_INTERRUPTED ? "\033[33m"
							     : "\033[2m";
			off = "\033[0m";
		}
		fprintf(out, "%-*s  %s%-11s%s", width, s->name, on,
			report_step_status_name(s->status), off);
		if (s->status == STEP_NOT_RUN)
			fprintf(out, "  %9s\n", "-");
		else if (s->status == STEP_FAILED)
			fprintf(out, "  %7.2f s  exit status %d\n", s->seconds, s->exit_status);
		else
			fprintf(out, "  %7.2f s\n", s->seconds);
	}
	fflush(out);
}
