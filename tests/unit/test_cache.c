#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "ci/cache.h"

static char scratch[] = "/tmp/cibox-cache-test-XXXXXX";
static char project[sizeof scratch + 16];

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(scratch))
		return -1;
	char cache[sizeof scratch + 16];
	snprintf(cache, sizeof cache, "%s/cache", scratch);
	snprintf(project, sizeof project, "%s/proj", scratch);
	mkdir(project, 0755);
	setenv("XDG_CACHE_HOME", cache, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
	return system(cmd);
}

static void write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", project, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *folder_for(envlist *env, const char *config)
{
	struct cache_mount *m;
	size_t n;
	cibox_error err;
	if (cache_prepare(project, config, env, &m, &n, &err) < 0)
		fail_msg("%s", err.message);
	assert_int_equal(n, 1);
	assert_string_equal(m[0].var, "DEPENDS_DIR");
	assert_string_equal(m[0].target, "/work/depends");
	struct stat st;
	assert_int_equal(stat(m[0].folder, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	char *folder = strdup(m[0].folder);
	cache_mounts_free(m, n);
	return folder;
}

static void one_folder_per_set_variable_keyed_by_content(void **state)
{
	(void)state;
	envlist env = ENVLIST_INIT;
	envlist_set(&env, "DEPENDS_DIR", "/work/depends");
	envlist_set(&env, "CCACHE_DIR", "");
	envlist_set(&env, "CI_CACHE_KEY", "packages/*.mk");
	mkdir(strcat(strcpy((char[256]){ 0 }, project), "/packages"), 0755);
	write_file("packages/zlib.mk", "version 1\n");

	char *first = folder_for(&env, "gcc");
	char *again = folder_for(&env, "gcc");
	assert_string_equal(first, again);
	assert_non_null(strstr(first, "/cibox/caches/proj-"));
	assert_non_null(strstr(first, "/gcc-"));
	char *other_config = folder_for(&env, "clang");
	assert_string_not_equal(first, other_config);

	write_file("packages/zlib.mk", "version 2\n");
	char *changed = folder_for(&env, "gcc");
	assert_string_not_equal(first, changed);
	write_file("packages/zlib.mk", "version 1\n");
	char *back = folder_for(&env, "gcc");
	assert_string_equal(first, back);
	free(first), free(again), free(other_config), free(changed), free(back);
	envlist_free(&env);
}

static void a_relative_cache_path_is_named(void **state)
{
	(void)state;
	envlist env = ENVLIST_INIT;
	envlist_set(&env, "CI_CACHE_DIRS", "MY_CACHE");
	envlist_set(&env, "MY_CACHE", "relative/dir");
	struct cache_mount *m;
	size_t n;
	cibox_error err;
	assert_int_equal(cache_prepare(project, "default", &env, &m, &n, &err), -EINVAL);
	assert_string_equal(err.message,
			    "CI_CACHE_DIRS: MY_CACHE must be an absolute path, not 'relative/dir'");
	envlist_free(&env);
}

static int listed;
static void count(const char *name, uint64_t bytes, time_t used, void *context)
{
	(void)bytes;
	(void)used;
	(void)context;
	assert_non_null(strstr(name, "proj-"));
	listed++;
}

static void list_and_clear(void **state)
{
	(void)state;
	cibox_error err;
	listed = 0;
	assert_int_equal(cache_list(count, NULL, &err), 0);
	assert_true(listed >= 3);
	char name[256];
	assert_int_equal(cache_project_name(project, name, sizeof name), 0);
	assert_int_equal(cache_clear("someone-else", &err), 0);
	assert_int_equal(cache_clear(name, &err), 1);
	listed = 0;
	assert_int_equal(cache_list(count, NULL, &err), 0);
	assert_int_equal(listed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_folder_per_set_variable_keyed_by_content),
		cmocka_unit_test(a_relative_cache_path_is_named),
		cmocka_unit_test(list_and_clear),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
