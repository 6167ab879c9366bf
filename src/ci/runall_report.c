#include "ci/runall_report.h"

#include <errno.h>
#include <float.h>
#include <stdlib.h>
#include <string.h>

#include "ci/jsondoc.h"
#include "ci/report.h"
#include "util/error.h"

static const char *const step_statuses[] = { "passed", "failed", "interrupted", "not run", NULL };

static enum step_status step_status_named(const char *name)
{
	return strcmp(name, "passed") == 0        ? STEP_PASSED
	       : strcmp(name, "failed") == 0      ? STEP_FAILED
	       : strcmp(name, "interrupted") == 0 ? STEP_INTERRUPTED
						  : STEP_NOT_RUN;
}

/* One entry of summary.json's steps, as report.c writes it. */
static int load_step(const json_t *entry, struct runall_step *step, cibox_error *err)
{
	const char *name, *status;
	json_int_t exit_status = 0;
	if (!json_is_object(entry))
		return error_set(err, -EINVAL, "not an object");
	int rc = jsondoc_string_member(entry, "name", NULL, &name, err);
	if (rc == 0)
		rc = jsondoc_string_member(entry, "status", step_statuses, &status, err);
	if (rc < 0)
		return rc;
	step->status = step_status_named(status);
	if (step->status != STEP_NOT_RUN &&
	    ((rc = jsondoc_integer_member(entry, "exit_status", 0, 255, &exit_status, err)) < 0 ||
	     (rc = jsondoc_number_member(entry, "duration_s", 0, DBL_MAX, &step->seconds, err)) < 0))
		return rc;
	step->exit_status = (int)exit_status;
	step->name = strdup(name);
	return step->name ? 0 : error_set(err, -ENOMEM, "out of memory");
}

static int load_steps(const json_t *steps, struct runall_config *c, cibox_error *err)
{
	size_t n = json_array_size(steps);
	struct runall_step *list = calloc(n ? n : 1, sizeof *list);
	if (!list)
		return error_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		int rc = load_step(json_array_get(steps, i), &list[i], err);
		if (rc < 0) {
			error_prefix(err, "steps[%zu]: ", i);
			while (i--)
				free(list[i].name);
			free(list);
			return rc;
		}
	}
	c->steps = list;
	c->nsteps = n;
	return 0;
}

/* A configuration without summary.json never ran its steps. One whose
 * summary.json is no report cibox wrote (a step's, its run killed before
 * cibox wrote its own) is as good as without, and its notes say why. */
static void load_one(struct runall_config *c)
{
	cibox_error err = { 0 };
	json_t *doc = jsondoc_read(c->run_dir, "summary.json", &err);
	int rc = doc ? 0 : err.code;
	if (rc == 0) {
		const json_t *steps = jsondoc_member(doc, "steps", JSON_ARRAY, &err);
		rc = steps ? load_steps(steps, c, &err) : -EINVAL;
		if (rc < 0)
			error_prefix(&err, "%s/summary.json: ", c->run_dir);
	}
	json_decref(doc);
	if (rc < 0) {
		if (rc != -ENOENT)
			strbuf_addf(&c->notes, "cibox: %s\n", err.message);
		return;
	}
	c->reported = true;
	for (size_t i = 0; i < c->nsteps; i++) {
		if (c->steps[i].status != STEP_FAILED && c->steps[i].status != STEP_INTERRUPTED)
			continue;
		char *step = strdup(c->steps[i].name);
		if (step) {
			free(c->step);
			c->step = step;
		}
	}
}

void runall_report_load(struct runall_plan *plan)
{
	for (size_t i = 0; i < plan->nconfigs; i++)
		if (!plan->configs[i].reported && plan->configs[i].status != RUNALL_WAITING &&
		    plan->configs[i].status != RUNALL_RUNNING)
			load_one(&plan->configs[i]);
}

size_t runall_report_count(const struct runall_plan *plan, enum runall_status status)
{
	size_t n = 0;
	for (size_t i = 0; i < plan->nconfigs; i++)
		n += plan->configs[i].status == status;
	return n;
}

/* The steps a configuration ran, or the stage's, none run, when it never said. */
static size_t steps_of(const struct runall_plan *plan, const struct runall_config *c)
{
	return c->reported ? c->nsteps : plan->stage.nsteps;
}

static const char *step_name(const struct runall_plan *plan, const struct runall_config *c, size_t i)
{
	return c->reported ? c->steps[i].name : plan->stage.steps[i].name;
}

static json_t *step_json(const struct runall_plan *plan, const struct runall_config *c, size_t i)
{
	const struct runall_step *s = c->reported ? &c->steps[i] : NULL;
	bool ran = s && s->status != STEP_NOT_RUN;
	return json_pack("{s:o, s:s, s:o, s:o}", "name", jsondoc_string(step_name(plan, c, i)),
			 "status", report_step_status_name(s ? s->status : STEP_NOT_RUN),
			 "exit_status", ran ? json_integer(s->exit_status) : json_null(),
			 "duration_s", ran ? jsondoc_seconds(s->seconds) : json_null());
}

static json_t *config_json(const struct runall_plan *plan, const struct runall_config *c)
{
	bool ended = c->status != RUNALL_WAITING && c->status != RUNALL_RUNNING &&
		     c->status != RUNALL_NOT_RUN;
	json_t *steps = json_array();
	for (size_t j = 0; steps && j < steps_of(plan, c); j++) {
		if (json_array_append_new(steps, step_json(plan, c, j)) < 0) {
			json_decref(steps);
			steps = NULL;
		}
	}
	return json_pack("{s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "name", jsondoc_string(c->name),
			 "status", runall_status_name(c->status), "failing_step",
			 jsondoc_string(c->status == RUNALL_FAILED ? c->step : NULL), "exit_status",
			 ended ? json_integer(c->exit_status) : json_null(), "duration_s",
			 ended ? jsondoc_seconds(c->seconds) : json_null(), "run_folder",
			 jsondoc_string(c->run_dir), "steps", steps);
}

void runall_report_json(const struct runall_plan *plan, bool running, struct strbuf *sb)
{
	char started[32];
	strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&plan->started));
	json_t *configs = json_array();
	for (size_t i = 0; configs && i < plan->nconfigs; i++) {
		if (json_array_append_new(configs, config_json(plan, &plan->configs[i])) < 0) {
			json_decref(configs);
			configs = NULL;
		}
	}
	size_t passed = runall_report_count(plan, RUNALL_PASSED);
	int exit_status = plan->status == RUN_PASSED ? 0 : plan->status == RUN_FAILED ? 1 : 130;
	json_t *doc = json_pack(
		"{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:b, s:s, s:o, s:I, s:I, s:o}", "status",
		running ? "running" : report_run_status_name(plan->status), "duration_s",
		jsondoc_seconds(plan->seconds), "exit_status",
		running ? json_null() : json_integer(exit_status), "project",
		jsondoc_string(plan->stage.project), "root", jsondoc_string(plan->stage.root),
		"stage", jsondoc_string(plan->stage.stage), "engine",
		jsondoc_string(plan->stage.engine), "jobs", (int)plan->jobs, "fail_fast",
		(int)plan->fail_fast, "started", started, "run_folder",
		jsondoc_string(plan->stage.run_dir), "passed", (json_int_t)passed, "failed",
		(json_int_t)(plan->nconfigs - passed), "configurations", configs);
	if (doc)
		jsondoc_dump(doc, sb);
	else
		sb->oom = true;
	json_decref(doc);
}

/* The log runner.c writes for a step: the run folder's NAME.log for NAME.sh. */
static void step_log(const struct runall_config *c, const char *step, char *buf, size_t size)
{
	size_t n = strlen(step);
	snprintf(buf, size, "%s/%.*s.log", c->run_dir, (int)(n > 3 ? n - 3 : n), step);
}

/* Why a configuration that never reported has no steps run. */
static const char *not_run_reason(const struct runall_config *c)
{
	switch (c->status) {
	case RUNALL_STOPPED: return "not run: another configuration failed (--fail-fast)";
	case RUNALL_ERROR: return "not run: the configuration could not run";
	case RUNALL_INTERRUPTED: return "not run: interrupted";
	default: return "not run: the matrix ended before its turn";
	}
}

static void junit_suite(const struct runall_plan *plan, const struct runall_config *c,
			struct strbuf *sb)
{
	size_t n = steps_of(plan, c), failures = 0, errors = 0, skipped = 0;
	double total = 0;
	for (size_t j = 0; j < n; j++) {
		enum step_status st = c->reported ? c->steps[j].status : STEP_NOT_RUN;
		failures += st == STEP_FAILED;
		errors += st == STEP_INTERRUPTED;
		skipped += st == STEP_NOT_RUN;
		total += c->reported && st != STEP_NOT_RUN ? c->steps[j].seconds : 0;
	}
	/* A configuration that could not run at all shows as one error. */
	bool error = c->status == RUNALL_ERROR && failures == 0 && errors == 0;
	struct strbuf suite = STRBUF_INIT;
	strbuf_addf(&suite, "%s/%s/%s", plan->stage.project, plan->stage.stage, c->name);
	strbuf_addstr(sb, "  <testsuite name=\"");
	strbuf_add_xml(sb, suite.buf ? suite.buf : "", suite.len);
	strbuf_addf(sb,
		    "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
		    n, failures, errors + error, skipped, total);
	if (error) {
		strbuf_addstr(sb, "    <testcase classname=\"");
		strbuf_add_xml(sb, suite.buf ? suite.buf : "", suite.len);
		strbuf_addf(sb,
			    "\" name=\"configuration\" time=\"0\">\n"
			    "      <error message=\"could not run (exit status %d)\" type=\"error\">",
			    c->exit_status);
		strbuf_add_xml(sb, c->notes.buf ? c->notes.buf : "", c->notes.len);
		strbuf_addstr(sb, "</error>\n    </testcase>\n");
	}
	for (size_t j = 0; j < n; j++) {
		const struct runall_step *s = c->reported ? &c->steps[j] : NULL;
		enum step_status st = s ? s->status : STEP_NOT_RUN;
		const char *name = step_name(plan, c, j);
		strbuf_addstr(sb, "    <testcase classname=\"");
		strbuf_add_xml(sb, suite.buf ? suite.buf : "", suite.len);
		strbuf_addstr(sb, "\" name=\"");
		strbuf_add_xml(sb, name, strlen(name));
		strbuf_addf(sb, "\" time=\"%.3f\"", s && st != STEP_NOT_RUN ? s->seconds : 0.0);
		if (st == STEP_PASSED) {
			strbuf_addstr(sb, "/>\n");
			continue;
		}
		strbuf_addstr(sb, ">\n");
		if (st == STEP_NOT_RUN) {
			strbuf_addstr(sb, "      <skipped message=\"");
			const char *why = c->reported ? "not run: an earlier step did not pass"
						      : not_run_reason(c);
			strbuf_add_xml(sb, why, strlen(why));
			strbuf_addstr(sb, "\"/>\n");
		} else {
			char log[4096];
			struct strbuf tail = STRBUF_INIT;
			step_log(c, name, log, sizeof log);
			report_tail(log, 50, &tail);
			if (st == STEP_FAILED)
				strbuf_addf(sb,
					    "      <failure message=\"exit status %d\" type=\"exit\">",
					    s->exit_status);
			else
				strbuf_addf(sb, "      <error message=\"%s\" type=\"interrupt\">",
					    c->status == RUNALL_STOPPED
						    ? "stopped: another configuration failed"
						    : "interrupted");
			strbuf_add_xml(sb, tail.buf ? tail.buf : "", tail.len);
			strbuf_addstr(sb, st == STEP_FAILED ? "</failure>\n" : "</error>\n");
			strbuf_release(&tail);
		}
		strbuf_addstr(sb, "    </testcase>\n");
	}
	strbuf_addstr(sb, "  </testsuite>\n");
	strbuf_release(&suite);
}

void runall_report_junit(const struct runall_plan *plan, struct strbuf *sb)
{
	struct strbuf suites = STRBUF_INIT;
	for (size_t i = 0; i < plan->nconfigs; i++)
		junit_suite(plan, &plan->configs[i], &suites);
	/* The totals over the suites, read back from their opening tags. */
	size_t totals[4] = { 0 };
	static const char *const keys[4] = { " tests=\"", " failures=\"", " errors=\"",
					     " skipped=\"" };
	for (const char *p = suites.buf; p && (p = strstr(p, "  <testsuite ")); p++)
		for (size_t k = 0; k < 4; k++)
			totals[k] += strtoul(strstr(p, keys[k]) + strlen(keys[k]), NULL, 10);
	strbuf_addstr(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"");
	struct strbuf name = STRBUF_INIT;
	strbuf_addf(&name, "cibox %s/%s --all", plan->stage.project, plan->stage.stage);
	strbuf_add_xml(sb, name.buf ? name.buf : "", name.len);
	strbuf_release(&name);
	strbuf_addf(sb,
		    "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
		    totals[0], totals[1], totals[2], totals[3], plan->seconds);
	strbuf_add(sb, suites.buf ? suites.buf : "", suites.len);
	strbuf_addstr(sb, "</testsuites>\n");
	if (suites.oom)
		sb->oom = true;
	strbuf_release(&suites);
}

int runall_report_write(const struct runall_plan *plan, bool running, cibox_error *err)
{
	struct strbuf json = STRBUF_INIT, xml = STRBUF_INIT;
	runall_report_json(plan, running, &json);
	int rc = report_write_file(plan->stage.run_dir, RUNALL_REPORT_NAME, &json, err);
	if (rc == 0 && !running) {
		runall_report_junit(plan, &xml);
		rc = report_write_file(plan->stage.run_dir, "junit.xml", &xml, err);
	}
	strbuf_release(&json);
	strbuf_release(&xml);
	return rc;
}

void runall_report_table(const struct runall_plan *plan, FILE *out, bool color)
{
	int width = (int)strlen("configuration"), step_width = (int)strlen("failing step");
	for (size_t i = 0; i < plan->nconfigs; i++) {
		const struct runall_config *c = &plan->configs[i];
		if ((int)strlen(c->name) > width)
			width = (int)strlen(c->name);
		if (c->status == RUNALL_FAILED && c->step && (int)strlen(c->step) > step_width)
			step_width = (int)strlen(c->step);
	}
	fprintf(out, "%-*s  %-11s  %-*s  %9s\n", width, "configuration", "status", step_width,
		"failing step", "duration");
	for (size_t i = 0; i < plan->nconfigs; i++) {
		const struct runall_config *c = &plan->configs[i];
		const char *on = "", *off = "";
		if (color) {
			on = c->status == RUNALL_PASSED                                ? "\033[32m"
			     : c->status == RUNALL_FAILED || c->status == RUNALL_ERROR ? "\033[31m"
			     : c->status == RUNALL_NOT_RUN                             ? "\033[2m"
										       : "\033[33m";
			off = "\033[0m";
		}
		fprintf(out, "%-*s  %s%-11s%s  %-*s", width, c->name, on,
			runall_status_name(c->status), off, step_width,
			c->status == RUNALL_FAILED && c->step ? c->step : "-");
		if (c->status == RUNALL_NOT_RUN || c->status == RUNALL_WAITING)
			fprintf(out, "  %9s\n", "-");
		else
			fprintf(out, "  %7.2f s\n", c->seconds);
	}
	fflush(out);
}
