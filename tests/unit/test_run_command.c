#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/run_command.h"
#include "util/strbuf.h"

/* What `sh -c script` prints on standard output, standard error with it;
 * its exit status as a shell gives it. */
static int sh_output(struct runcmd *cmd, const char *script, struct strbuf *out)
{
	char *argv[] = { "sh", "-c", (char *)script, NULL };
	cmd->argv = argv;
	cmd->err.how = RUNCMD_STDOUT;
	int status;
	cibox_error err = { 0 };
	assert_int_equal(runcmd_capture(cmd, out, &status, &err), 0);
	return runcmd_exit_code(status);
}

static void exit_status_and_signals_come_back_as_a_shell_gives_them(void **state)
{
	(void)state;
	struct runcmd cmd = RUNCMD_INIT;
	struct strbuf out = STRBUF_INIT;
	assert_int_equal(sh_output(&cmd, "exit 3", &out), 3);
	struct runcmd killed = RUNCMD_INIT;
	assert_int_equal(sh_output(&killed, "kill -TERM $$", &out), 128 + SIGTERM);
	strbuf_release(&out);
}

static void a_missing_program_is_enoent_to_the_caller(void **state)
{
	(void)state;
	char *argv[] = { "cibox-no-such-program", NULL };
	struct runcmd cmd = RUNCMD_INIT;
	cmd.argv = argv;
	cibox_error err = { 0 };
	assert_int_equal(runcmd_start(&cmd, &err), -ENOENT);
	assert_int_equal(cmd.pid, -1);
	assert_non_null(strstr(err.message, "'cibox-no-such-program'"));
	cmd.program = "/nonexistent/cibox";
	assert_int_equal(runcmd_start(&cmd, &err), -ENOENT);
	/* A folder named like the command is not it (execvp says EACCES). */
	char dir[] = "/tmp/cibox-runcmd-XXXXXX", shadow[64];
	assert_non_null(mkdtemp(dir));
	snprintf(shadow, sizeof shadow, "%s/cibox-no-such-program", dir);
	assert_int_equal(mkdir(shadow, 0755), 0);
	char *path = getenv("PATH"), *saved = path ? strdup(path) : NULL;
	setenv("PATH", dir, 1);
	cmd.program = NULL;
	int rc = runcmd_start(&cmd, &err);
	if (saved)
		setenv("PATH", saved, 1);
	free(saved);
	rmdir(shadow);
	rmdir(dir);
	assert_int_equal(rc, -ENOENT);
	/* No child is left behind to reap. */
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void a_program_that_may_not_run_is_eacces(void **state)
{
	(void)state;
	char dir[] = "/tmp/cibox-runcmd-XXXXXX", file[64];
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof file, "%s/prog", dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	char *argv[] = { file, NULL };
	struct runcmd cmd = RUNCMD_INIT;
	cmd.argv = argv;
	cibox_error err = { 0 };
	/* Root may read anything, but runs only what has an x bit. */
	assert_int_equal(runcmd_start(&cmd, &err), -EACCES);
	unlink(file);
	rmdir(dir);
}

static void streams_go_where_they_are_told(void **state)
{
	(void)state;
	char *cat[] = { "cat", NULL };
	struct runcmd cmd = RUNCMD_INIT;
	cmd.argv = cat;
	cmd.in.how = RUNCMD_PIPE;
	cmd.out.how = RUNCMD_PIPE;
	cibox_error err = { 0 };
	assert_int_equal(runcmd_start(&cmd, &err), 0);
	assert_int_equal(write(cmd.in.fd, "hello\n", 6), 6);
	close(cmd.in.fd);
	struct strbuf out = STRBUF_INIT;
	assert_int_equal(strbuf_read_fd(&out, cmd.out.fd), 0);
	close(cmd.out.fd);
	int status;
	assert_int_equal(runcmd_finish(&cmd, &status, &err), 0);
	assert_int_equal(runcmd_exit_code(status), 0);
	assert_string_equal(out.buf, "hello\n");

	/* /dev/null reads empty; a given descriptor takes standard error. */
	int fds[2];
	assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
	struct runcmd quiet = RUNCMD_INIT;
	quiet.in.how = RUNCMD_NULL;
	quiet.err = RUNCMD_TO_FD(fds[1]);
	strbuf_reset(&out);
	char *argv[] = { "sh", "-c", "cat; echo to-err >&2", NULL };
	quiet.argv = argv;
	assert_int_equal(runcmd_capture(&quiet, &out, &status, &err), 0);
	close(fds[1]);
	assert_string_equal(out.buf, "");
	strbuf_reset(&out);
	assert_int_equal(strbuf_read_fd(&out, fds[0]), 0);
	close(fds[0]);
	assert_string_equal(out.buf, "to-err\n");
	strbuf_release(&out);
}

static void streams_given_as_each_others_numbers_are_swapped(void **state)
{
	(void)state;
	int saved_out = dup(1), saved_err = dup(2);
	int a[2], b[2];
	assert_int_equal(pipe2(a, O_CLOEXEC), 0);
	assert_int_equal(pipe2(b, O_CLOEXEC), 0);
	/* This process's output into pipe a, its errors into pipe b; the
	 * child's the other way round. */
	assert_int_equal(dup2(a[1], 1), 1);
	assert_int_equal(dup2(b[1], 2), 2);
	close(a[1]);
	close(b[1]);
	struct runcmd cmd = RUNCMD_INIT;
	char *argv[] = { "sh", "-c", "echo out; echo err >&2", NULL };
	cmd.argv = argv;
	cmd.out = RUNCMD_TO_FD(2);
	cmd.err = RUNCMD_TO_FD(1);
	int status;
	cibox_error err = { 0 };
	int rc = runcmd_run(&cmd, &status, &err);
	dup2(saved_out, 1);
	dup2(saved_err, 2);
	close(saved_out);
	close(saved_err);
	assert_int_equal(rc, 0);
	struct strbuf out = STRBUF_INIT, errors = STRBUF_INIT;
	assert_int_equal(strbuf_read_fd(&out, b[0]), 0);
	assert_int_equal(strbuf_read_fd(&errors, a[0]), 0);
	close(a[0]);
	close(b[0]);
	assert_string_equal(out.buf, "out\n");
	assert_string_equal(errors.buf, "err\n");
	strbuf_release(&out);
	strbuf_release(&errors);
}

static void none_of_the_callers_close_on_exec_descriptors_reach_the_child(void **state)
{
	(void)state;
	int kept = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(kept >= 0);
	char script[128];
	snprintf(script, sizeof script, "if [ -e /dev/fd/%d ]; then echo leaked; fi", kept);
	struct runcmd cmd = RUNCMD_INIT;
	struct strbuf out = STRBUF_INIT;
	assert_int_equal(sh_output(&cmd, script, &out), 0);
	assert_string_equal(out.buf, "");
	close(kept);
	strbuf_release(&out);
}

static void environment_and_folder_are_the_ones_given(void **state)
{
	(void)state;
	char *env[] = { "CIBOX_TEST=value", NULL };
	struct runcmd cmd = RUNCMD_INIT;
	cmd.env = env;
	cmd.dir = "/";
	struct strbuf out = STRBUF_INIT;
	/* argv[0] is still found in the caller's PATH. */
	assert_int_equal(sh_output(&cmd, "echo \"$CIBOX_TEST ${PATH-unset} $(pwd)\"", &out), 0);
	assert_non_null(strstr(out.buf, "value "));
	assert_non_null(strstr(out.buf, " /\n"));

	struct runcmd nowhere = RUNCMD_INIT;
	char *argv[] = { "true", NULL };
	nowhere.argv = argv;
	nowhere.dir = "/nonexistent";
	cibox_error err = { 0 };
	assert_int_equal(runcmd_start(&nowhere, &err), -ENOENT);
	assert_non_null(strstr(err.message, "/nonexistent"));
	strbuf_release(&out);
}

/* The mask in /proc/PID/status's line `field`, as a number. */
static unsigned long long status_mask(const char *text, const char *field)
{
	const char *line = strstr(text, field);
	assert_non_null(line);
	return strtoull(line + strlen(field), NULL, 16);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void signals_start_from_their_defaults(void **state)
{
	(void)state;
	struct sigaction ign = { .sa_handler = SIG_IGN }, caught = { .sa_handler = on_usr1 }, old[4];
	sigaction(SIGPIPE, &ign, &old[0]);
	sigaction(SIGINT, &ign, &old[1]);
	sigaction(SIGHUP, &ign, &old[2]);
	sigaction(SIGUSR1, &caught, &old[3]);
	sigset_t term, mask;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &mask);

	char *argv[] = { "cat", "/proc/self/status", NULL };
	struct runcmd cmd = RUNCMD_INIT;
	cmd.argv = argv;
	struct strbuf out = STRBUF_INIT;
	int status;
	cibox_error err = { 0 };
	int rc = runcmd_capture(&cmd, &out, &status, &err);

	sigprocmask(SIG_SETMASK, &mask, NULL);
	sigaction(SIGPIPE, &old[0], NULL);
	sigaction(SIGINT, &old[1], NULL);
	sigaction(SIGHUP, &old[2], NULL);
	sigaction(SIGUSR1, &old[3], NULL);
	assert_int_equal(rc, 0);
	assert_int_equal(status_mask(out.buf, "SigBlk:"), 0);
	assert_int_equal(status_mask(out.buf, "SigCgt:"), 0);
	unsigned long long ignored = status_mask(out.buf, "SigIgn:");
	assert_false(ignored & (1ULL << (SIGPIPE - 1)));
	assert_false(ignored & (1ULL << (SIGINT - 1)));
	/* What cibox's own caller ignored stays so (nohup). */
	assert_true(ignored & (1ULL << (SIGHUP - 1)));
	strbuf_release(&out);
}

static void a_new_process_group_is_there_once_started(void **state)
{
	(void)state;
	char *cat[] = { "cat", NULL };
	struct runcmd cmd = RUNCMD_INIT;
	cmd.argv = cat;
	cmd.in.how = RUNCMD_PIPE;
	cmd.new_pgroup = true;
	cibox_error err = { 0 };
	assert_int_equal(runcmd_start(&cmd, &err), 0);
	assert_int_equal(getpgid(cmd.pid), cmd.pid);
	close(cmd.in.fd);
	int status;
	assert_int_equal(runcmd_finish(&cmd, &status, &err), 0);
	assert_int_equal(runcmd_exit_code(status), 0);
}

static void *start_and_leave(void *arg)
{
	struct runcmd *cmd = arg;
	cibox_error err = { 0 };
	assert_int_equal(runcmd_start(cmd, &err), 0);
	return NULL;
}

static void the_parent_death_signal_comes_when_the_starter_ends(void **state)
{
	(void)state;
	char *argv[] = { "sleep", "30", NULL };
	struct runcmd cmd = RUNCMD_INIT;
	cmd.argv = argv;
	cmd.pdeath_signal = SIGTERM;
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, start_and_leave, &cmd), 0);
	pthread_join(thread, NULL);
	int status;
	cibox_error err = { 0 };
	assert_int_equal(runcmd_finish(&cmd, &status, &err), 0);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_status_and_signals_come_back_as_a_shell_gives_them),
		cmocka_unit_test(a_missing_program_is_enoent_to_the_caller),
		cmocka_unit_test(a_program_that_may_not_run_is_eacces),
		cmocka_unit_test(streams_go_where_they_are_told),
		cmocka_unit_test(streams_given_as_each_others_numbers_are_swapped),
		cmocka_unit_test(none_of_the_callers_close_on_exec_descriptors_reach_the_child),
		cmocka_unit_test(environment_and_folder_are_the_ones_given),
		cmocka_unit_test(signals_start_from_their_defaults),
		cmocka_unit_test(a_new_process_group_is_there_once_started),
		cmocka_unit_test(the_parent_death_signal_comes_when_the_starter_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
