/*
 * libcibox's per-thread policies, run for real. Each scenario runs in a
 * forked child, because a sandbox cannot be undone and a violation ends the
 * process; the parent checks how the child ended and what it logged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <cmocka.h>

#include <cibox/sandbox.h>
#include "sandbox/runtime.h"
#include "sandbox/syscall_table.h"

static int log_fd = -1;

/* Called from the SIGSYS handler too: one write, nothing else. */
static void log_to_pipe(const char *line, void *userdata)
{
	(void)userdata;
	char buf[512];
	size_t len = strlen(line);
	if (len > sizeof buf - 1)
		len = sizeof buf - 1;
	memcpy(buf, line, len);
	buf[len++] = '\n';
	ssize_t unused = write(log_fd, buf, len);
	(void)unused;
}

static void note(const char *line)
{
	log_to_pipe(line, NULL);
}

struct outcome {
	int status;
	char log[8192];
};

static struct outcome run_isolated(int (*scenario)(void))
{
	struct outcome o = { 0 };
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		log_fd = fds[1];
		cibox_sandbox_set_log(log_to_pipe, NULL);
		_exit(scenario());
	}
	close(fds[1]);
	size_t got = 0;
	ssize_t n;
	while ((n = read(fds[0], o.log + got, sizeof o.log - 1 - got)) > 0)
		got += (size_t)n;
	o.log[got] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &o.status, 0), pid);
	return o;
}

static void expect_exit(const struct outcome *o, int code)
{
	if (!WIFEXITED(o->status) || WEXITSTATUS(o->status) != code)
		fail_msg("expected exit %d, got status %#x; log:\n%s", code, o->status, o->log);
}

static void expect_signal(const struct outcome *o, int sig)
{
	if (!WIFSIGNALED(o->status) || WTERMSIG(o->status) != sig)
		fail_msg("expected signal %d, got status %#x; log:\n%s", sig, o->status, o->log);
}

static void expect_log(const struct outcome *o, const char *text)
{
	if (!strstr(o->log, text))
		fail_msg("log lacks '%s':\n%s", text, o->log);
}

static int setup_laa(void)
{
	cibox_error err;
	if (cibox_sandbox_setup(CIBOX_MODE_LOG_AND_ABORT, &err) < 0) {
		note(err.message);
		return -1;
	}
	return 0;
}

static int restrict_to(const char *name, const char *list)
{
	cibox_error err;
	prctl(PR_SET_NAME, name, 0, 0, 0);
	if (cibox_sandbox_restrict_to(list, &err) < 0) {
		note(err.message);
		return -1;
	}
	return 0;
}

static int open_something(void)
{
	int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

/* --- set-up --- */

static void *park(void *arg)
{
	int fd = *(int *)arg;
	char c;
	ssize_t unused = read(fd, &c, 1);
	(void)unused;
	return NULL;
}

static int scenario_threaded_setup(void)
{
	/* Static: the thread may first read it after this returns, and must
	 * still be parked when the process exits, or ThreadSanitizer reports
	 * a finished thread nobody joined. */
	static int fds[2];
	pthread_t t;
	if (pipe(fds) < 0 || pthread_create(&t, NULL, park, &fds[0]) != 0)
		return 10;
	cibox_error err;
	int rc = cibox_sandbox_setup(CIBOX_MODE_LOG_AND_ABORT, &err);
	note(err.message);
	return rc == -EBUSY ? 0 : 11;
}

static void setup_refuses_a_process_with_threads(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_threaded_setup);
	expect_exit(&o, 0);
	/* ThreadSanitizer's own threads come and go with the program's. */
	expect_log(&o, runtime_sanitizers() & RUNTIME_TSAN
			       ? "set the syscall sandbox up before starting any"
			       : "the process already has 2 threads");
}

static int scenario_setup_rules(void)
{
	cibox_error err;
	if (cibox_sandbox_restrict_to("@default", &err) != -EINVAL)
		return 10;
	if (cibox_sandbox_setup(CIBOX_MODE_LOG, &err) != -EINVAL)
		return 11;
	if (cibox_sandbox_setup(CIBOX_MODE_LOG_AND_ABORT, &err) != 0)
		return 12;
	if (cibox_sandbox_setup(CIBOX_MODE_ABORT, &err) != -EBUSY)
		return 13;
	return 0;
}

static void setup_once_before_restricting_and_never_in_log_mode(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_setup_rules);
	expect_exit(&o, 0);
	expect_log(&o, "Syscall sandbox set up in mode log-and-abort");
}

/* --- install and violation reports --- */

static int scenario_install_line(void)
{
	if (setup_laa() < 0 || restrict_to("worker", "@default") < 0)
		return 10;
	return 0;
}

static void each_install_names_its_thread(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_install_line);
	expect_exit(&o, 0);
	expect_log(&o, "Syscall filter installed for thread \"worker\"\n");
}

static int scenario_violation(void)
{
	if (setup_laa() < 0 || restrict_to("msghand", "@default") < 0)
		return 10;
	cibox_sandbox_test_violation();
	return 11;
}

static void log_and_abort_reports_then_aborts(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_violation);
	expect_signal(&o, SIGABRT);
	char line[256];
	snprintf(line, sizeof line,
		 "ERROR: The syscall \"%s\" (syscall number %d) is not allowed by the syscall "
		 "sandbox in thread \"msghand\". Please report.\n",
		 cibox_sandbox_test_syscall, sctab_resolve(cibox_sandbox_test_syscall));
	expect_log(&o, line);
}

static int scenario_violation_default_log(void)
{
	dup2(log_fd, STDERR_FILENO);
	cibox_sandbox_set_log(NULL, NULL);
	return scenario_violation();
}

static void the_default_log_is_standard_error(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_violation_default_log);
	expect_signal(&o, SIGABRT);
	expect_log(&o, "Syscall filter installed for thread \"msghand\"\n");
	expect_log(&o, "in thread \"msghand\". Please report.\n");
}

static int scenario_abort_mode(void)
{
	cibox_error err;
	if (cibox_sandbox_setup(CIBOX_MODE_ABORT, &err) < 0 || restrict_to("quiet", "@default") < 0)
		return 10;
	cibox_sandbox_test_violation();
	return 11;
}

static void abort_mode_is_killed_by_the_kernel_silently(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_abort_mode);
	expect_signal(&o, SIGSYS);
	assert_null(strstr(o.log, "ERROR"));
}

/* Listed values, in the loaded filter: the kernel compares the low 32 bits,
 * as it reads the request, so upper garbage passes a listed value; a value in
 * cibox's safe form but not listed kills. */
static int scenario_values(void)
{
	cibox_error err;
	int fds[2];
	if (pipe(fds) < 0 || cibox_sandbox_setup(CIBOX_MODE_ABORT, &err) < 0 ||
	    restrict_to("values", "@default,-ioctl,ioctl(FIONREAD)") < 0)
		return 10;
	int unread = -1;
	if (syscall(SYS_ioctl, fds[0], (unsigned long)FIONREAD | (0xdeadUL << 32), &unread) != 0 ||
	    unread != 0)
		return 11;
	note("FIONREAD passed");
	/* not TCGETS, which a sanitizer runtime's @sanitizer allows */
	struct winsize size;
	syscall(SYS_ioctl, fds[0], (unsigned long)TIOCGWINSZ, &size);
	return 12;
}

static void listed_values_hold_in_the_kernel(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_values);
	expect_signal(&o, SIGSYS);
	expect_log(&o, "FIONREAD passed");
}

/* --- per-thread policies --- */

struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stage;
};
static struct gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };

static void gate_set(int stage)
{
	pthread_mutex_lock(&gate.lock);
	gate.stage = stage;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
}

static void gate_wait(int stage)
{
	pthread_mutex_lock(&gate.lock);
	while (gate.stage < stage)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
}

static void *narrow_thread(void *arg)
{
	(void)arg;
	if (restrict_to("narrow", "@default") < 0)
		_exit(20);
	gate_set(1);
	gate_wait(2);
	open_something();
	_exit(21);
}

static int scenario_siblings(void)
{
	if (setup_laa() < 0)
		return 10;
	pthread_t t;
	if (pthread_create(&t, NULL, narrow_thread, NULL) != 0)
		return 11;
	gate_wait(1);
	if (!open_something())
		return 12;
	note("sibling opened a file");
	gate_set(2);
	pthread_join(t, NULL);
	return 13;
}

static void a_narrow_policy_does_not_leak_to_siblings(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_siblings);
	expect_signal(&o, SIGABRT);
	expect_log(&o, "sibling opened a file\n");
	expect_log(&o, "The syscall \"openat\"");
	expect_log(&o, "in thread \"narrow\"");
}

static void *child_thread(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "child", 0, 0, 0);
	open_something();
	_exit(21);
}

static int scenario_inherit(void)
{
	if (setup_laa() < 0 || restrict_to("parent", "@default,@thread") < 0)
		return 10;
	pthread_t t;
	if (pthread_create(&t, NULL, child_thread, NULL) != 0)
		return 11;
	pthread_join(t, NULL);
	return 12;
}

static void a_thread_inherits_its_starters_policy(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_inherit);
	expect_signal(&o, SIGABRT);
	expect_log(&o, "The syscall \"openat\"");
	expect_log(&o, "in thread \"child\"");
}

static int scenario_shrink(void)
{
	if (setup_laa() < 0 || restrict_to("shrinking", "@default,@file-read") < 0)
		return 10;
	if (!open_something())
		return 11;
	note("opened before shrinking");
	if (restrict_to("shrinking", "@default") < 0)
		return 12;
	open_something();
	return 13;
}

static void a_thread_can_shrink_its_policy(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_shrink);
	expect_signal(&o, SIGABRT);
	expect_log(&o, "opened before shrinking\n");
	expect_log(&o, "The syscall \"openat\"");
}

static int scenario_widen(void)
{
	if (setup_laa() < 0 || restrict_to("widening", "@default") < 0)
		return 10;
	if (restrict_to("widening", "@default,@file-read") < 0)
		return 11;
	note("second policy installed");
	open_something();
	return 12;
}

static void a_thread_can_never_widen_its_policy(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_widen);
	expect_signal(&o, SIGABRT);
	expect_log(&o, "second policy installed\n");
	expect_log(&o, "The syscall \"openat\"");
}

/* --- what every filter holds --- */

static void on_sigsys(int sig)
{
	(void)sig;
}

static int scenario_replace_handler(void)
{
	if (setup_laa() < 0)
		return 10;
	struct sigaction old;
	if (sigaction(SIGSYS, NULL, &old) < 0 || old.sa_handler == SIG_DFL)
		return 11;
	note("queried the handler");
	prctl(PR_SET_NAME, "replacer", 0, 0, 0);
	struct sigaction sa = { .sa_handler = on_sigsys };
	sigaction(SIGSYS, &sa, NULL);
	return 12;
}

/* ThreadSanitizer and MemorySanitizer keep the program's handlers in a table
 * of their own, behind the one they install: changing one is no syscall. */
static bool handlers_in_a_table(void)
{
	return runtime_sanitizers() & (RUNTIME_TSAN | RUNTIME_MSAN);
}

static void the_sigsys_handler_cannot_be_replaced(void **state)
{
	(void)state;
	if (handlers_in_a_table())
		skip();
	struct outcome o = run_isolated(scenario_replace_handler);
	expect_signal(&o, SIGABRT);
	expect_log(&o, "queried the handler\n");
	expect_log(&o, "The syscall \"rt_sigaction\"");
	expect_log(&o, "in thread \"replacer\"");
}

static int scenario_ignore_sigsys(void)
{
	if (setup_laa() < 0)
		return 10;
	signal(SIGSYS, SIG_IGN);
	return 12;
}

static void sigsys_cannot_be_ignored(void **state)
{
	(void)state;
	if (handlers_in_a_table())
		skip();
	struct outcome o = run_isolated(scenario_ignore_sigsys);
	expect_signal(&o, SIGABRT);
	expect_log(&o, "The syscall \"rt_sigaction\"");
}

static void *nothing(void *arg)
{
	return arg;
}

static int scenario_clone3(void)
{
	if (setup_laa() < 0 || restrict_to("starter", "@default,@thread") < 0)
		return 10;
	errno = 0;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 11;
	pthread_t t;
	if (pthread_create(&t, NULL, nothing, NULL) != 0)
		return 12;
	pthread_join(t, NULL);
	errno = 0;
	if (syscall(sctab_newest_known() + 1) != -1 || errno != ENOSYS)
		return 13;
	return 0;
}

static void clone3_and_newer_calls_answer_enosys(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_clone3);
	expect_exit(&o, 0);
}

static void *churn_heap(void *arg)
{
	(void)arg;
	if (restrict_to("churn", "@default") < 0)
		_exit(20);
	for (int round = 0; round < 4; round++) {
		void *blocks[16];
		for (int i = 0; i < 16; i++)
			blocks[i] = calloc(1, 60 * 1024);
		for (int i = 15; i >= 0; i--)
			free(blocks[i]);
	}
	return NULL;
}

static int scenario_heap(void)
{
	if (setup_laa() < 0)
		return 10;
	pthread_t t;
	if (pthread_create(&t, NULL, churn_heap, NULL) != 0)
		return 11;
	pthread_join(t, NULL);
	return 0;
}

/* glibc's first heap shrink in a thread's arena reads a /proc file. */
static void a_thread_without_file_access_can_free_memory(void **state)
{
	(void)state;
	struct outcome o = run_isolated(scenario_heap);
	expect_exit(&o, 0);
}

/* --- in a sanitizer build (make check-asan) --- */

static void *volatile lost;

/* The runtime's own work at exit (LeakSanitizer's check, its report) under
 * the narrowest policy a thread may hold, with a leak planted for it. */
static int scenario_leak_at_exit(void)
{
	dup2(log_fd, STDERR_FILENO);
	if (setup_laa() < 0 || restrict_to("leaky", "exit_group") < 0)
		return 10;
	lost = malloc(48);
	lost = NULL;
	exit(0); /* not _exit: the leak check runs at exit */
}

static bool leak_check_off(void)
{
	const char *vars[] = { "ASAN_OPTIONS", "LSAN_OPTIONS" };
	for (size_t i = 0; i < 2; i++) {
		const char *v = getenv(vars[i]);
		if (v && strstr(v, "detect_leaks=0"))
			return true;
	}
	return false;
}

static void a_sanitizer_runtime_does_its_work_under_any_policy(void **state)
{
	(void)state;
	unsigned sanitizers = runtime_sanitizers();
	if (!sanitizers)
		skip(); /* not a sanitizer build */
	struct outcome o = run_isolated(scenario_leak_at_exit);
	expect_log(&o, "every thread allowed @sanitizer for the runtime of ");
	if (strstr(o.log, "Please report."))
		fail_msg("the runtime's work was refused:\n%s", o.log);
	if (!(sanitizers & RUNTIME_LSAN) || leak_check_off()) {
		expect_exit(&o, 0);
		return;
	}
	expect_log(&o, "LeakSanitizer: detected memory leaks");
	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) == 0)
		fail_msg("expected the leak check's exit status, got %#x; log:\n%s", o.status, o.log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(setup_refuses_a_process_with_threads),
		cmocka_unit_test(setup_once_before_restricting_and_never_in_log_mode),
		cmocka_unit_test(each_install_names_its_thread),
		cmocka_unit_test(log_and_abort_reports_then_aborts),
		cmocka_unit_test(the_default_log_is_standard_error),
		cmocka_unit_test(abort_mode_is_killed_by_the_kernel_silently),
		cmocka_unit_test(listed_values_hold_in_the_kernel),
		cmocka_unit_test(a_narrow_policy_does_not_leak_to_siblings),
		cmocka_unit_test(a_thread_inherits_its_starters_policy),
		cmocka_unit_test(a_thread_can_shrink_its_policy),
		cmocka_unit_test(a_thread_can_never_widen_its_policy),
		cmocka_unit_test(the_sigsys_handler_cannot_be_replaced),
		cmocka_unit_test(sigsys_cannot_be_ignored),
		cmocka_unit_test(clone3_and_newer_calls_answer_enosys),
		cmocka_unit_test(a_thread_without_file_access_can_free_memory),
		cmocka_unit_test(a_sanitizer_runtime_does_its_work_under_any_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
