#include "ci/runall_report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ci/report.h"
#include "util/error.h"
#include "util/fs.h"

/* Reads a JSON string at *p (past its opening quote is *p + 1) into `out`,
 * as report.c writes them; *p ends past the closing quote. */
static bool json_string(const char **p, struct strbuf *out)
{
	const char *s = *p;
	if (*s++ != '"')
		return false;
	for (; *s && *s != '"'; s++) {
		if (*s != '\\') {
			strbuf_addch(out, *s);
			continue;
		}
		switch (*++s) {
		case 'n': strbuf_addch(out, '\n'); break;
		case 't': strbuf_addch(out, '\t'); break;
		case 'r': strbuf_addch(out, '\r'); break;
		case 'u': {
			unsigned cp = 0;
			for (int i = 0; i < 4; i++) {
				char c = s[1];
				if (!c)
					return false;
				cp = cp * 16 + (unsigned)(c >= 'a' ? c - 'a' + 10 : c >= 'A' ? c - 'A' + 10 : c - '0');
				s++;
			}
			/* report.c escapes only controls this way. */
			strbuf_addch(out, cp < 0x80 ? (char)cp : '?');
			break;
		}
		case '\0': return false;
		default: strbuf_addch(out, *s);
		}
	}
	if (*s != '"')
		return false;
	*p = s + 1;
	return true;
}

static enum step_status step_status_named(const char *name)
{
	return strcmp(name, "passed") == 0	  ? STEP_PASSED
	       : strcmp(name, "failed") == 0	  ? STEP_FAILED
	       : strcmp(name, "interrupted") == 0 ? STEP_INTERRUPTED
						  : STEP_NOT_RUN;
}

/* One step's line of summary.json:
 *     {"name": "...", "status": "...", "exit_status": N|null, "duration_s": X|null, ... */
static bool parse_step(const char *line, struct runall_step *step)
{
	struct strbuf name = STRBUF_INIT, status = STRBUF_INIT;
	const char *p = line + strlen("{\"name\": ");
	bool ok = json_string(&p, &name) && strncmp(p, ", \"status\": ", 12) == 0 &&
		  (p += 12, json_string(&p, &status)) && strncmp(p, ", \"exit_status\": ", 16) == 0;
	if (ok) {
		p += 16;
		step->exit_status = (int)strtol(p, NULL, 10);
		const char *d = strstr(p, "\"duration_s\": ");
		step->seconds = d ? strtod(d + 14, NULL) : 0;
		step->status = step_status_named(status.buf ? status.buf : "");
		step->name = strbuf_detach(&name);
		ok = step->name != NULL;
	}
	strbuf_release(&name);
	strbuf_release(&status);
	return ok;
}

static void load_one(struct runall_config *c)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/summary.json", c->run_dir);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	struct strbuf json = STRBUF_INIT;
	strbuf_read_fd(&json, fd);
	close(fd);
	for (char *line = json.buf; line && *line;) {
		char *next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		while (*line == ' ')
			line++;
		if (strncmp(line, "{\"name\": ", 9) == 0) {
			struct runall_step *grown = realloc(c->steps, (c->nsteps + 1) * sizeof *grown);
			if (!grown)
				break;
			c->steps = grown;
			if (parse_step(line, &c->steps[c->nsteps]))
				c->nsteps++;
		}
		line = next;
	}
	strbuf_release(&json);
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

void runall_report_json(const struct runall_plan *plan, bool running, struct strbuf *sb)
{
	char started[32];
	strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&plan->started));
	/* The first keys are those of a run's summary.json, which `cibox runs`
	 * reads; keep them first. */
	strbuf_addstr(sb, "{\n  \"status\": ");
	strbuf_add_json_or_null(sb, running ? "running" : report_run_status_name(plan->status));
	strbuf_addf(sb, ",\n  \"duration_s\": %.3f,\n  \"exit_status\": ", plan->seconds);
	if (running)
		strbuf_addstr(sb, "null");
	else
		strbuf_addf(sb, "%d", plan->status == RUN_PASSED ? 0 : plan->status == RUN_FAILED ? 1 : 130);
	strbuf_addstr(sb, ",\n  \"project\": ");
	strbuf_add_json_or_null(sb, plan->stage.project);
	strbuf_addstr(sb, ",\n  \"root\": ");
	strbuf_add_json_or_null(sb, plan->stage.root);
	strbuf_addstr(sb, ",\n  \"stage\": ");
	strbuf_add_json_or_null(sb, plan->stage.stage);
	strbuf_addstr(sb, ",\n  \"engine\": ");
	strbuf_add_json_or_null(sb, plan->stage.engine);
	strbuf_addf(sb, ",\n  \"jobs\": %u,\n  \"fail_fast\": %s,\n  \"started\": \"%s\",\n  \"run_folder\": ",
		    plan->jobs, plan->fail_fast ? "true" : "false", started);
	strbuf_add_json_or_null(sb, plan->stage.run_dir);
	strbuf_addf(sb, ",\n  \"passed\": %zu,\n  \"failed\": %zu,\n  \"configurations\": [",
		    runall_report_count(plan, RUNALL_PASSED),
		    plan->nconfigs - runall_report_count(plan, RUNALL_PASSED));
	for (size_t i = 0; i < plan->nconfigs; i++) {
		const struct runall_config *c = &plan->configs[i];
		bool ended = c->status != RUNALL_WAITING && c->status != RUNALL_RUNNING &&
			     c->status != RUNALL_NOT_RUN;
		strbuf_addstr(sb, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
		strbuf_add_json_or_null(sb, c->name);
		strbuf_addstr(sb, ", \"status\": ");
		strbuf_add_json_or_null(sb, runall_status_name(c->status));
		strbuf_addstr(sb, ", \"failing_step\": ");
		strbuf_add_json_or_null(sb, c->status == RUNALL_FAILED ? c->step : NULL);
		if (ended)
			strbuf_addf(sb, ", \"exit_status\": %d, \"duration_s\": %.3f", c->exit_status,
				    c->seconds);
		else
			strbuf_addstr(sb, ", \"exit_status\": null, \"duration_s\": null");
		strbuf_addstr(sb, ", \"run_folder\": ");
		strbuf_add_json_or_null(sb, c->run_dir);
		strbuf_addstr(sb, ",\n     \"steps\": [");
		for (size_t j = 0; j < steps_of(plan, c); j++) {
			strbuf_addstr(sb, j ? ", {\"name\": " : "{\"name\": ");
			strbuf_add_json_or_null(sb, step_name(plan, c, j));
			const struct runall_step *s = c->reported ? &c->steps[j] : NULL;
			strbuf_addstr(sb, ", \"status\": ");
			strbuf_add_json_or_null(sb, report_step_status_name(s ? s->status : STEP_NOT_RUN));
			if (s && s->status != STEP_NOT_RUN)
				strbuf_addf(sb, ", \"exit_status\": %d, \"duration_s\": %.3f}", s->exit_status,
					    s->seconds);
			else
				strbuf_addstr(sb, ", \"exit_status\": null, \"duration_s\": null}");
		}
		strbuf_addstr(sb, "]}");
	}
	strbuf_addstr(sb, plan->nconfigs ? "\n  ]\n}\n" : "]\n}\n");
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
	strbuf_addf(sb, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
		    n, failures, errors + error, skipped, total);
	if (error) {
		strbuf_addstr(sb, "    <testcase classname=\"");
		strbuf_add_xml(sb, suite.buf ? suite.buf : "", suite.len);
		strbuf_addf(sb, "\" name=\"configuration\" time=\"0\">\n"
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
			const char *why = c->reported ? "not run: an earlier step did not pass" : not_run_reason(c);
			strbuf_add_xml(sb, why, strlen(why));
			strbuf_addstr(sb, "\"/>\n");
		} else {
			char log[4096];
			struct strbuf tail = STRBUF_INIT;
			step_log(c, name, log, sizeof log);
			report_tail(log, 50, &tail);
			if (st == STEP_FAILED)
				strbuf_addf(sb, "      <failure message=\"exit status %d\" type=\"exit\">",
					    s->exit_status);
			else
				strbuf_addf(sb, "      <error message=\"%s\" type=\"interrupt\">",
					    c->status == RUNALL_STOPPED ? "stopped: another configuration failed"
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
	static const char *const keys[4] = { " tests=\"", " failures=\"", " errors=\"", " skipped=\"" };
	for (const char *p = suites.buf; p && (p = strstr(p, "  <testsuite ")); p++)
		for (size_t k = 0; k < 4; k++)
			totals[k] += strtoul(strstr(p, keys[k]) + strlen(keys[k]), NULL, 10);
	strbuf_addstr(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"");
	struct strbuf name = STRBUF_INIT;
	strbuf_addf(&name, "cibox %s/%s --all", plan->stage.project, plan->stage.stage);
	strbuf_add_xml(sb, name.buf ? name.buf : "", name.len);
	strbuf_release(&name);
	strbuf_addf(sb, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\">\n",
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
			on = c->status == RUNALL_PASSED				? "\033[32m"
			     : c->status == RUNALL_FAILED || c->status == RUNALL_ERROR ? "\033[31m"
			     : c->status == RUNALL_NOT_RUN				? "\033[2m"
											: "\033[33m";
			off = "\033[0m";
		}
		fprintf(out, "%-*s  %s%-11s%s  %-*s", width, c->name, on, runall_status_name(c->status), off,
			step_width, c->status == RUNALL_FAILED && c->step ? c->step : "-");
		if (c->status == RUNALL_NOT_RUN || c->status == RUNALL_WAITING)
			fprintf(out, "  %9s\n", "-");
		else
			fprintf(out, "  %7.2f s\n", c->seconds);
	}
	fflush(out);
}
