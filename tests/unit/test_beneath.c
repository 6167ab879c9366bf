#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/beneath.h"

static char scratch[] = "/tmp/cibox-beneath-test-XXXXXX";
static int dir = -1;

static void put(const char *name, const char *text)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void assert_content(const char *name, const char *text)
{
	char buf[64] = "";
	int fd = openat(dir, name, O_RDONLY);
	assert_true(fd >= 0);
	assert_true(read(fd, buf, sizeof buf - 1) >= 0);
	close(fd);
	assert_string_equal(buf, text);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(scratch))
		return -1;
	dir = open(scratch, O_RDONLY | O_DIRECTORY);
	/* "run" is the folder a step writes; "victim" is outside it. */
	mkdirat(dir, "run", 0755);
	mkdirat(dir, "victim", 0755);
	return dir < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s'; rm -rf '%s'", scratch, scratch);
	close(dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void open_refuses_links_anywhere_and_leaving(void **state)
{
	(void)state;
	int run = openat(dir, "run", O_RDONLY | O_DIRECTORY);
	put("victim/file", "precious");
	assert_int_equal(symlinkat("../victim", run, "up"), 0);
	assert_int_equal(symlinkat("../victim/file", run, "file"), 0);
	assert_int_equal(beneath_open(run, "up/file", O_RDONLY, 0), -ELOOP);
	assert_int_equal(beneath_open(run, "file", O_WRONLY | O_CREAT, 0644), -ELOOP);
	assert_true(beneath_open(run, "../victim/file", O_RDONLY, 0) < 0);
	assert_true(beneath_open(run, "/etc/passwd", O_RDONLY, 0) < 0);
	mkdirat(run, "sub", 0755);
	int fd = beneath_open(run, "sub/new", O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_content("victim/file", "precious");
	close(run);
}

static void create_takes_only_a_plain_file_of_one_name(void **state)
{
	(void)state;
	int run = openat(dir, "run", O_RDONLY | O_DIRECTORY);
	put("victim/hard", "precious");
	assert_int_equal(linkat(dir, "victim/hard", run, "hard.log", 0), 0);
	assert_int_equal(beneath_create(run, "hard.log", 0644), -EEXIST);
	assert_content("victim/hard", "precious");
	assert_int_equal(mkfifoat(run, "fifo.log", 0600), 0);
	assert_int_equal(beneath_create(run, "fifo.log", 0644), -EEXIST);
	mkdirat(run, "dir.log", 0755);
	assert_int_equal(beneath_create(run, "dir.log", 0644), -EISDIR);
	put("run/old.log", "old text");
	int fd = beneath_create(run, "old.log", 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_content("run/old.log", "");
	close(run);
}

static void remove_never_follows_a_link(void **state)
{
	(void)state;
	put("victim/kept", "precious");
	mkdirat(dir, "tree", 0755);
	mkdirat(dir, "tree/a", 0755);
	mkdirat(dir, "tree/a/locked", 0755);
	symlinkat("../../victim", dir, "tree/a/link");
	symlinkat("../../../victim", dir, "tree/a/locked/link");
	put("tree/a/locked/f", "x");
	fchmodat(dir, "tree/a/locked", 0, 0);
	assert_int_equal(beneath_remove(dir, "tree"), 0);
	assert_int_equal(faccessat(dir, "tree", F_OK, AT_SYMLINK_NOFOLLOW), -1);
	assert_content("victim/kept", "precious");
	/* A link at the top goes, not the folder it names. */
	symlinkat("victim", dir, "top");
	assert_int_equal(beneath_remove(dir, "top"), 0);
	assert_content("victim/kept", "precious");
	assert_int_equal(beneath_remove(dir, "never-there"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_refuses_links_anywhere_and_leaving),
		cmocka_unit_test(create_takes_only_a_plain_file_of_one_name),
		cmocka_unit_test(remove_never_follows_a_link),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
