/* A run's summary.json and a matrix's reading of it, written and read back
 * through jansson: the schema users and tests read, and the refusal of a
 * report that is not one cibox wrote. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "ci/jsondoc.h"
#include "ci/report.h"
#include "ci/runall_report.h"

static char dir[] = "/tmp/cibox-test-run-report-XXXXXX";

static int make_dir(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static void put_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* A failed run: a step passed, one failed, one not run; the configuration set
 * HOST, changed MODE and kept what the caller had in HOME. */
static struct ci_step steps[] = {
	{ .name = "01_ok.sh", .status = STEP_PASSED, .seconds = 1.2345, .log = "/r/01_ok.log" },
	{ .name = "02_b\xff"
		  "d.sh",
	  .status = STEP_FAILED,
	  .exit_status = 5,
	  .seconds = 0.0004,
	  .log = "/r/02_bad.log" },
	{ .name = "03_never.sh", .status = STEP_NOT_RUN },
};

static void make_plan(struct ci_plan *plan)
{
	*plan = (struct ci_plan){
		.root = "/src/proj",
		.project = "proj",
		.stage = "test",
		.config = "arm",
		.config_file = "/src/proj/ci/test/00_setup_env_arm.sh",
		.engine = "ns",
		.run_dir = dir,
		.steps = steps,
		.nsteps = 3,
		.status = RUN_FAILED,
		.started = 1764547200,
		.seconds = 2.5,
	};
	assert_int_equal(envlist_put(&plan->caller, "HOME=/home/me"), 0);
	assert_int_equal(envlist_put(&plan->caller, "MODE=old"), 0);
	assert_int_equal(envlist_put(&plan->env, "HOME=/home/me"), 0);
	assert_int_equal(envlist_put(&plan->env, "MODE=a \"quoted\"\nvalue\x01"), 0);
	assert_int_equal(envlist_put(&plan->env, "HOST=arm-\xc3\xbc-\xfe"), 0);
}

static json_t *summary(void)
{
	struct ci_plan plan;
	make_plan(&plan);
	struct strbuf sb = STRBUF_INIT;
	report_summary_json(&plan, &sb);
	assert_false(sb.oom);
	json_error_t jerr;
	json_t *doc = json_loadb(sb.buf, sb.len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		fail_msg("summary.json does not parse: %s\n%s", jerr.text, sb.buf);
	strbuf_release(&sb);
	envlist_free(&plan.caller);
	envlist_free(&plan.env);
	return doc;
}

static void summary_keys_come_in_their_order(void **state)
{
	(void)state;
	static const char *const keys[] = {
		"status", "duration_s", "exit_status",   "project",
		"root",   "stage",      "configuration", "configuration_file",
		"engine", "started",    "run_folder",    "variables",
		"steps"
	};
	json_t *doc = summary();
	assert_int_equal(json_object_size(doc), sizeof keys / sizeof *keys);
	size_t i = 0;
	const char *key;
	json_t *value;
	json_object_foreach(doc, key, value) assert_string_equal(key, keys[i++]);
	json_decref(doc);
}

static void summary_holds_the_run(void **state)
{
	(void)state;
	json_t *doc = summary();
	assert_string_equal(json_string_value(json_object_get(doc, "status")), "failed");
	assert_int_equal(json_integer_value(json_object_get(doc, "exit_status")), 1);
	assert_true(json_real_value(json_object_get(doc, "duration_s")) == 2.5);
	assert_string_equal(json_string_value(json_object_get(doc, "configuration")), "arm");
	assert_string_equal(json_string_value(json_object_get(doc, "started")),
			    "2025-12-01T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(doc, "run_folder")), dir);
	json_decref(doc);
}

static void summary_publishes_changed_variables_only_as_utf8(void **state)
{
	(void)state;
	json_t *doc = summary();
	json_t *vars = json_object_get(doc, "variables");
	assert_int_equal(json_object_size(vars), 2);
	assert_null(json_object_get(vars, "HOME"));
	assert_string_equal(json_string_value(json_object_get(vars, "MODE")),
			    "a \"quoted\"\nvalue\x01");
	assert_string_equal(json_string_value(json_object_get(vars, "HOST")),
			    "arm-\xc3\xbc-\xef\xbf\xbd");
	json_decref(doc);
}

static void summary_steps_say_status_exit_duration_and_log(void **state)
{
	(void)state;
	json_t *doc = summary();
	json_t *list = json_object_get(doc, "steps");
	assert_int_equal(json_array_size(list), 3);
	json_t *ok = json_array_get(list, 0), *bad = json_array_get(list, 1),
	       *never = json_array_get(list, 2);
	assert_string_equal(json_string_value(json_object_get(ok, "status")), "passed");
	assert_true(json_real_value(json_object_get(ok, "duration_s")) == 1.235);
	assert_string_equal(json_string_value(json_object_get(ok, "log")), "/r/01_ok.log");
	assert_string_equal(json_string_value(json_object_get(bad, "name")), "02_b\xef\xbf\xbd"
									     "d.sh");
	assert_int_equal(json_integer_value(json_object_get(bad, "exit_status")), 5);
	assert_true(json_real_value(json_object_get(bad, "duration_s")) == 0.0);
	assert_string_equal(json_string_value(json_object_get(never, "status")), "not run");
	assert_true(json_is_null(json_object_get(never, "exit_status")));
	assert_true(json_is_null(json_object_get(never, "duration_s")));
	assert_true(json_is_null(json_object_get(never, "log")));
	json_decref(doc);
}

/* What a matrix reads of a run is what the run wrote, and nothing else is
 * left in its folder: the temporary file was renamed. */
static void a_written_summary_reads_back_whole(void **state)
{
	(void)state;
	struct ci_plan plan;
	make_plan(&plan);
	cibox_error err = { 0 };
	assert_int_equal(report_write(&plan, &err), 0);
	envlist_free(&plan.caller);
	envlist_free(&plan.env);
	json_t *doc = jsondoc_read(dir, "summary.json", &err);
	assert_non_null(doc);
	json_decref(doc);

	struct runall_config config = { .run_dir = dir, .status = RUNALL_FAILED, .output = -1 };
	struct runall_plan matrix = { .configs = &config, .nconfigs = 1 };
	runall_report_load(&matrix);
	assert_true(config.reported);
	assert_int_equal(config.nsteps, 3);
	assert_int_equal(config.steps[1].exit_status, 5);
	assert_int_equal(config.steps[2].status, STEP_NOT_RUN);
	assert_string_equal(config.step, "02_b\xef\xbf\xbd"
					 "d.sh");
	for (size_t i = 0; i < config.nsteps; i++)
		free(config.steps[i].name);
	free(config.steps);
	free(config.step);

	char cmd[160];
	snprintf(cmd, sizeof cmd, "test \"$(ls -A %s | tr '\\n' ' ')\" = 'junit.xml summary.json '",
		 dir);
	assert_int_equal(system(cmd), 0);
}

static void read_error(const char *name, const char *message)
{
	cibox_error err = { 0 };
	assert_null(jsondoc_read(dir, name, &err));
	char *at = strchr(err.message, ':');
	assert_non_null(at);
	assert_string_equal(at + 2, message);
}

static void what_is_not_a_report_is_refused_in_one_line(void **state)
{
	(void)state;
	put_file("cut.json", "{\"status\": \"pass");
	read_error("cut.json",
		   "not valid JSON: line 1, column 16: premature end of input near '\"pass'");
	put_file("twice.json", "{\"status\": \"passed\", \"status\": \"failed\"}");
	read_error("twice.json",
		   "not valid JSON: line 1, column 29: duplicate object key near '\"status\"'");
	/* jansson quotes the token: a terminal escape must not reach the line. */
	put_file("escape.json", "{\"status\": \x1b[2J}");
	read_error("escape.json", "not valid JSON: line 1, column 12: invalid token near '?'");
	put_file("list.json", "[1, 2]");
	read_error("list.json", "not a report: a JSON object was expected");

	char path[256];
	snprintf(path, sizeof path, "%s/fifo.json", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	read_error("fifo.json", "not a plain file, refused");
	snprintf(path, sizeof path, "%s/link.json", dir);
	assert_int_equal(symlink("list.json", path), 0);
	read_error("link.json", "a symbolic link is in its place, refused");

	cibox_error err = { 0 };
	assert_null(jsondoc_read(dir, "none.json", &err));
	assert_int_equal(err.code, -ENOENT);
}

static void members_are_checked_by_name(void **state)
{
	(void)state;
	static const char *const statuses[] = { "passed", "failed", NULL };
	json_t *doc = json_pack("{s:s, s:s, s:f, s:i}", "status", "\x1b[2J", "name", "x",
				"duration_s", -1.0, "count", 3);
	const char *s;
	double d;
	json_int_t n;
	cibox_error err = { 0 };
	assert_int_equal(jsondoc_string_member(doc, "status", statuses, &s, &err), -EINVAL);
	assert_string_equal(err.message, "\"status\" is none of passed, failed");
	assert_int_equal(jsondoc_string_member(doc, "missing", NULL, &s, &err), -EINVAL);
	assert_string_equal(err.message, "\"missing\" is missing");
	assert_int_equal(jsondoc_number_member(doc, "name", 0, 1, &d, &err), -EINVAL);
	assert_string_equal(err.message, "\"name\" is not a number");
	assert_int_equal(jsondoc_number_member(doc, "duration_s", 0, 1e9, &d, &err), -EINVAL);
	assert_string_equal(err.message, "\"duration_s\" is out of range (0 to 1e+09)");
	assert_int_equal(jsondoc_integer_member(doc, "duration_s", 0, 9, &n, &err), -EINVAL);
	assert_string_equal(err.message, "\"duration_s\" is not a whole number");
	assert_int_equal(jsondoc_integer_member(doc, "count", 0, 9, &n, &err), 0);
	assert_int_equal(n, 3);
	json_decref(doc);
}

/* A summary a step rewrote leaves its configuration unreported, and says so
 * among the lines shown for it. */
static void a_matrix_notes_a_summary_it_cannot_read(void **state)
{
	(void)state;
	put_file("summary.json", "{\"steps\": [{\"name\": \"01_a.sh\", \"status\": \"bogus\"}]}");
	struct runall_config config = { .run_dir = dir, .status = RUNALL_FAILED, .output = -1 };
	struct runall_plan matrix = { .configs = &config, .nconfigs = 1 };
	runall_report_load(&matrix);
	assert_false(config.reported);
	assert_int_equal(config.nsteps, 0);
	char expected[256];
	snprintf(expected, sizeof expected,
		 "cibox: %s/summary.json: steps[0]: \"status\" is none of passed, failed, interrupted, not run\n",
		 dir);
	assert_string_equal(config.notes.buf, expected);
	strbuf_release(&config.notes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(summary_keys_come_in_their_order),
		cmocka_unit_test(summary_holds_the_run),
		cmocka_unit_test(summary_publishes_changed_variables_only_as_utf8),
		cmocka_unit_test(summary_steps_say_status_exit_duration_and_log),
		cmocka_unit_test(a_written_summary_reads_back_whole),
		cmocka_unit_test(what_is_not_a_report_is_refused_in_one_line),
		cmocka_unit_test(members_are_checked_by_name),
		cmocka_unit_test(a_matrix_notes_a_summary_it_cannot_read),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
