#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "jail/idmap.h"

static char scratch[] = "/tmp/cibox-idmap-test-XXXXXX";
static char subuid[sizeof scratch + 16], subgid[sizeof scratch + 16];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(scratch))
		return -1;
	snprintf(subuid, sizeof subuid, "%s/subuid", scratch);
	snprintf(subgid, sizeof subgid, "%s/subgid", scratch);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(subuid);
	unlink(subgid);
	return rmdir(scratch);
}

static bool have_helpers(void)
{
	return access("/usr/bin/newuidmap", X_OK) == 0 && access("/usr/bin/newgidmap", X_OK) == 0;
}

static void root_maps_every_id_to_itself(void **state)
{
	(void)state;
	struct idmap map;
	char why[256];
	cibox_error err = { 0 };
	assert_int_equal(idmap_for_user(&map, 0, 0, subuid, subgid, why, sizeof why, &err), 1);
	assert_int_equal(map.nuid, 1);
	assert_int_equal(map.uid[0].inside, 0);
	assert_int_equal(map.uid[0].outside, 0);
	assert_int_equal(map.uid[0].count, UINT32_MAX);
	assert_false(map.helpers);
}

static void a_user_by_number_gets_the_first_range_that_is_its_own(void **state)
{
	(void)state;
	if (!have_helpers())
		skip();
	write_file(subuid, "other:1000:10\n54321:nonsense:5\n54321:200000:65536\n54321:900000:5\n");
	write_file(subgid, "54321:300000:1000\n");
	struct idmap map;
	char why[256];
	cibox_error err = { 0 };
	assert_int_equal(idmap_for_user(&map, 54321, 54322, subuid, subgid, why, sizeof why, &err),
			 1);
	assert_true(map.helpers);
	assert_int_equal(map.nuid, 2);
	assert_int_equal(map.uid[0].outside, 54321);
	assert_int_equal(map.uid[0].count, 1);
	assert_int_equal(map.uid[1].inside, 1);
	assert_int_equal(map.uid[1].outside, 200000);
	assert_int_equal(map.uid[1].count, 65536);
	assert_int_equal(map.gid[0].outside, 54322);
	assert_int_equal(map.gid[1].outside, 300000);
	assert_int_equal(map.gid[1].count, 1000);
}

static void without_both_ranges_only_the_own_ids_and_why(void **state)
{
	(void)state;
	write_file(subuid, "54321:200000:65536\n");
	write_file(subgid, "someone:300000:1000\n");
	struct idmap map;
	char why[256];
	cibox_error err = { 0 };
	assert_int_equal(idmap_for_user(&map, 54321, 54321, subuid, subgid, why, sizeof why, &err),
			 0);
	assert_int_equal(map.nuid, 1);
	assert_int_equal(map.uid[0].count, 1);
	assert_false(map.helpers);
	assert_non_null(strstr(why, "usermod --add-subuids"));
}

static void a_range_that_overflows_is_no_range(void **state)
{
	(void)state;
	write_file(subuid, "54321:4294967000:65536\n");
	write_file(subgid, "54321:300000:1000\n");
	struct idmap map;
	char why[256];
	cibox_error err = { 0 };
	assert_int_equal(idmap_for_user(&map, 54321, 54321, subuid, subgid, why, sizeof why, &err),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_maps_every_id_to_itself),
		cmocka_unit_test(a_user_by_number_gets_the_first_range_that_is_its_own),
		cmocka_unit_test(without_both_ranges_only_the_own_ids_and_why),
		cmocka_unit_test(a_range_that_overflows_is_no_range),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
