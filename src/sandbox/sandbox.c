/*
 * libcibox's in-process sandbox: one SIGSYS handler for the process, one
 * stack of seccomp filters per thread.
 *
 * In log-and-abort mode a refused syscall raises SIGSYS in the thread that
 * made it; the handler formats the report from data prepared beforehand
 * (syscall names at set-up, the thread's name when its policy is installed)
 * and aborts. The handler cannot be replaced: every filter refuses
 * rt_sigaction on SIGSYS, and the process-wide base filter installed at
 * set-up holds this for threads that never restrict themselves.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/filter.h"
#include "sandbox/policy.h"
#include "sandbox/report.h"
#include "sandbox/runtime.h"
#include "sandbox/syscall_table.h"
#include "util/error.h"

#define THREAD_NAME_MAX 16

/* What the library itself does after a thread is restricted: narrow it again
 * (build, export and install a filter) and report a violation, then abort. */
static const char library_needs[] =
	"write lseek pread64 mmap munmap brk mremap madvise futex rt_sigreturn "
	"rt_sigprocmask tgkill getpid gettid exit_group prctl seccomp";

/* What a sanitizer runtime does on its own (see the group in the table),
 * added to every thread's policy when one is loaded. */
static const char runtime_needs[] = "@sanitizer";

static struct {
	enum cibox_mode mode;
	bool ready;
	unsigned sanitizers;
	int scratch_fd;
	pthread_mutex_t lock;
	cibox_log_fn log;
	void *log_data;
} state = { .scratch_fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

/* initial-exec: reading it from the signal handler must not allocate. */
static __thread char thread_name[THREAD_NAME_MAX] __attribute__((tls_model("initial-exec")));

static void log_to_stderr(const char *line, void *userdata)
{
	(void)userdata;
	char buf[512];
	size_t len = strlen(line);
	if (len > sizeof buf - 1)
		len = sizeof buf - 1;
	memcpy(buf, line, len);
	buf[len++] = '\n';
	ssize_t unused = write(STDERR_FILENO, buf, len);
	(void)unused;
}

static void log_line(const char *line)
{
	if (state.log)
		state.log(line, state.log_data);
	else
		log_to_stderr(line, NULL);
}

void cibox_sandbox_set_log(cibox_log_fn fn, void *userdata)
{
	state.log = fn;
	state.log_data = userdata;
}

static void on_sigsys(int sig, siginfo_t *info, void *context)
{
	(void)sig;
	(void)context;
	if (!thread_name[0])
		prctl(PR_GET_NAME, thread_name, 0, 0, 0);
	char line[256];
	report_format(line, sizeof line, REPORT_ERROR, sctab_name(info->si_syscall),
		      info->si_syscall, thread_name);
	log_line(line);
	abort();
}

static int count_threads(cibox_error *err)
{
	FILE *status = fopen("/proc/self/status", "re");
	if (!status)
		return error_set(err, -errno,
				 "cannot count this process's threads: /proc/self/status: %s",
				 strerror(errno));
	char line[256];
	int threads = -1;
	while (fgets(line, sizeof line, status))
		if (sscanf(line, "Threads: %d", &threads) == 1)
			break;
	fclose(status);
	if (threads < 1)
		return error_set(err, -EIO, "cannot count this process's threads");
	return threads;
}

/* glibc reads /proc/sys/vm/overcommit_memory the first time the heap of a
 * thread's arena shrinks, which a thread restricted to a policy without file
 * access would die of. Have it happen now, in a thread of its own, while files
 * may still be read. */
static void *shrink_a_heap(void *unused)
{
	enum {
		BLOCKS = 8,
		BLOCK = 60 * 1024
	}; /* under the mmap threshold, over the trim one in all */
	void *blocks[BLOCKS];
	for (int i = 0; i < BLOCKS; i++) {
		blocks[i] = malloc(BLOCK);
		if (blocks[i])
			memset(blocks[i], 0, BLOCK);
	}
	for (int i = BLOCKS - 1; i >= 0; i--)
		free(blocks[i]);
	return unused;
}

static int warm_up_libc(cibox_error *err)
{
	pthread_t thread;
	int rc = pthread_create(&thread, NULL, shrink_a_heap, NULL);
	if (rc != 0)
		return error_set(err, -rc, "cannot start a thread: %s", strerror(rc));
	pthread_join(thread, NULL);
	return 0;
}

static uint32_t violation_action(enum cibox_mode mode)
{
	return mode == CIBOX_MODE_ABORT ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_TRAP;
}

static int install(const cibox_policy *policy, cibox_error *err)
{
	struct filter_spec spec = {
		.violation = violation_action(state.mode),
		.guard_sigsys = true,
	};
	struct filter_program program;
	pthread_mutex_lock(&state.lock);
	int rc = filter_build(policy, &spec, state.scratch_fd, &program, err);
	pthread_mutex_unlock(&state.lock);
	if (rc < 0)
		return rc;
	rc = filter_install(&program, 0, err);
	filter_program_free(&program);
	return rc < 0 ? rc : 0;
}

int cibox_sandbox_setup(enum cibox_mode mode, cibox_error *err)
{
	if (mode == CIBOX_MODE_LOG)
		return error_set(
			err, -EINVAL,
			"mode log needs a supervisor outside the process; use `cibox sandbox --mode log`");
	if (mode != CIBOX_MODE_LOG_AND_ABORT && mode != CIBOX_MODE_ABORT)
		return error_set(err, -EINVAL, "unknown sandbox mode %d", (int)mode);
	if (state.ready)
		return error_set(err, -EBUSY, "the syscall sandbox is already set up");
	/* Asked before seccomp is, which valgrind would answer with a warning of
	 * its own and ENOSYS, a kernel's answer. */
	if (runtime_under_valgrind())
		return error_set(
			err, -EOPNOTSUPP,
			"the syscall sandbox cannot run under valgrind, which does not implement seccomp; "
			"go on without it there, or check the sandbox in a sanitizer build");
	unsigned sanitizers = runtime_sanitizers();
	/* ThreadSanitizer starts a thread of its own with the program's first
	 * (and again in a forked child): the runtime's, not the program's. */
	int own = sanitizers & RUNTIME_TSAN ? 1 : 0;
	int threads = count_threads(err);
	if (threads < 0)
		return threads;
	threads -= own;
	if (threads > 1)
		return error_set(
			err, -EBUSY,
			"the process already has %d threads; set the syscall sandbox up before starting any",
			threads);
	if (warm_up_libc(err) < 0)
		return err ? err->code : -EAGAIN;
	if (seccomp_api_get() < 3)
		return error_set(err, -ENOSYS, "this kernel or libseccomp lacks seccomp filters");
	sctab_names_load(); /* the handler's names, while allocation is safe */
	state.sanitizers = sanitizers;
	if (state.sanitizers)
		runtime_symbolizer_warm_up();

	state.scratch_fd = memfd_create("cibox-filter", MFD_CLOEXEC);
	if (state.scratch_fd < 0)
		return error_set(err, -errno, "memfd_create: %s", strerror(errno));
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	sigset_t sigsys;
	sigemptyset(&sigsys);
	sigaddset(&sigsys, SIGSYS);
	if (sigaction(SIGSYS, &sa, NULL) < 0 || sigprocmask(SIG_UNBLOCK, &sigsys, NULL) < 0) {
		int code = -errno;
		close(state.scratch_fd);
		state.scratch_fd = -1;
		return error_set(err, code, "cannot install the SIGSYS handler: %s", strerror(-code));
	}

	state.mode = mode;
	cibox_policy *everything = cibox_policy_new();
	if (!everything)
		return error_set(err, -ENOMEM, "out of memory");
	policy_allow_everything(everything);
	int rc = install(everything, err);
	cibox_policy_free(everything);
	if (rc < 0) {
		close(state.scratch_fd);
		state.scratch_fd = -1;
		return rc;
	}
	state.ready = true;
	char line[384], runtimes[160] = "";
	if (state.sanitizers) {
		char names[96];
		runtime_sanitizer_names(state.sanitizers, names, sizeof names);
		snprintf(runtimes, sizeof runtimes,
			 ", every thread allowed %s for the runtime of %s", runtime_needs, names);
	}
	snprintf(line, sizeof line,
		 "Syscall sandbox set up in mode %s%s: the program terminates if a thread makes a syscall its policy does not allow",
		 cibox_mode_name(mode), runtimes);
	log_line(line);
	return 0;
}

int cibox_sandbox_restrict(const cibox_policy *policy, cibox_error *err)
{
	if (!state.ready)
		return error_set(err, -EINVAL,
				 "call cibox_sandbox_setup() before restricting a thread");
	cibox_policy *effective = policy_clone(policy);
	if (!effective)
		return error_set(err, -ENOMEM, "out of memory");
	int rc = cibox_policy_add_list(effective, library_needs, err);
	if (rc == 0 && state.sanitizers)
		rc = cibox_policy_add_list(effective, runtime_needs, err);
	if (rc == 0) {
		char name[THREAD_NAME_MAX] = "";
		prctl(PR_GET_NAME, name, 0, 0, 0);
		memcpy(thread_name, name, sizeof name);
		rc = install(effective, err);
		if (rc == 0) {
			char line[128];
			snprintf(line, sizeof line, "Syscall filter installed for thread \"%s\"",
				 name);
			log_line(line);
		}
	}
	cibox_policy_free(effective);
	return rc;
}

int cibox_sandbox_restrict_to(const char *list, cibox_error *err)
{
	cibox_policy *policy = cibox_policy_new();
	if (!policy)
		return error_set(err, -ENOMEM, "out of memory");
	int rc = cibox_policy_add_list(policy, list, err);
	if (rc == 0)
		rc = cibox_sandbox_restrict(policy, err);
	cibox_policy_free(policy);
	return rc;
}

const char cibox_sandbox_test_syscall[] = "uselib";

void cibox_sandbox_test_violation(void)
{
	syscall(SYS_uselib, NULL);
}

int cibox_mode_parse(const char *text, enum cibox_mode *mode, cibox_error *err)
{
	static const enum cibox_mode modes[] = { CIBOX_MODE_LOG_AND_ABORT, CIBOX_MODE_ABORT,
						 CIBOX_MODE_LOG };
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		if (strcmp(text, cibox_mode_name(modes[i])) == 0) {
			*mode = modes[i];
			return 0;
		}
	}
	return error_set(err, -EINVAL, "unknown sandbox mode '%s' (log-and-abort, abort or log)",
			 text);
}

const char *cibox_mode_name(enum cibox_mode mode)
{
	switch (mode) {
	case CIBOX_MODE_LOG_AND_ABORT: return "log-and-abort";
	case CIBOX_MODE_ABORT: return "abort";
	case CIBOX_MODE_LOG: return "log";
	}
	return "unknown";
}
