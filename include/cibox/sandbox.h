/*
 * libcibox: a per-thread syscall sandbox for C programs.
 *
 * A program sets the sandbox up once, while it is still single-threaded, in one
 * mode. From then on each thread restricts itself to a policy (a set of syscall
 * groups and names). Threads inherit the policy of the thread that starts them,
 * and a later restriction can only take abilities away: the kernel runs every
 * filter a thread has collected and the strictest answer wins.
 *
 * Errors are values: functions return 0 or a negative errno, and fill a
 * cibox_error with one line the caller can show. Nothing here exits or prints,
 * except the log lines documented below, which go to the log sink.
 */
#ifndef CIBOX_SANDBOX_H
#define CIBOX_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CIBOX_VERSION "0.1.0"

/* The library is built with hidden visibility: what is marked so here is all
 * libcibox.so exports, and its internals cannot clash with a program's own
 * (git's strbuf_* and the like). */
#if defined(__GNUC__)
#define CIBOX_API __attribute__((visibility("default")))
#else
#define CIBOX_API
#endif

#define CIBOX_ERROR_MAX 512

/* One failure: a negative errno in code and a line of text in message. */
typedef struct cibox_error {
	int code;
	char message[CIBOX_ERROR_MAX];
} cibox_error;

enum cibox_mode {
	/* The syscall is not executed; the report is written; the program aborts. */
	CIBOX_MODE_LOG_AND_ABORT = 1,
	/* The kernel kills the whole process at once; nothing is executed or logged. */
	CIBOX_MODE_ABORT = 2,
	/* Report each unexpected syscall once per thread and let it run. Only for
	 * processes watched by a supervisor (`cibox sandbox`); the in-process library
	 * refuses it because a filter cannot let a call through after trapping it. */
	CIBOX_MODE_LOG = 3,
};

/* "log-and-abort", "abort", "log"; -EINVAL for anything else. */
CIBOX_API int cibox_mode_parse(const char *text, enum cibox_mode *mode, cibox_error *err);
CIBOX_API const char *cibox_mode_name(enum cibox_mode mode);

/*
 * A policy: which syscalls a thread or a command may make.
 *
 * Entries are applied in order:
 *   @group      every member of a group (see `cibox syscalls`)
 *   name        one syscall; where cibox restricts its arguments (clone, socket,
 *               ioctl, prctl, open, ...) only the safe form is allowed
 *   name(*)     the syscall with any arguments
 *   name(V, ...) the syscall when its argument is one of the values listed,
 *               for clone (flags), socket and socketpair (family), ioctl
 *               (request) and prctl (option): `ioctl(TCGETS, FIONREAD)`,
 *               `clone(CLONE_VM|CLONE_VFORK|SIGCHLD)`; a value is a name, a
 *               number (decimal or 0x hex) or, for clone, names joined by '|';
 *               the low 32 bits of the argument must equal it exactly. Values
 *               add to what earlier entries allow; `-ioctl` first for only them
 *   -name       take the syscall out again (all forms and values); -@group likewise
 */
typedef struct cibox_policy cibox_policy;

CIBOX_API cibox_policy *cibox_policy_new(void);
CIBOX_API void cibox_policy_free(cibox_policy *policy);
/* One entry, as above. */
CIBOX_API int cibox_policy_add(cibox_policy *policy, const char *entry, cibox_error *err);
/* Entries separated by commas and/or white space: "@default,@network futex";
 * a comma between parentheses belongs to the entry: "socket(AF_UNIX, AF_INET)". */
CIBOX_API int cibox_policy_add_list(cibox_policy *policy, const char *list, cibox_error *err);
/* The text of a *.policy file: one entry per line, '#' starts a comment.
 * Errors name origin (a file name), line and entry. */
CIBOX_API int cibox_policy_parse(cibox_policy *policy, const char *text, const char *origin,
				 cibox_error *err);
CIBOX_API int cibox_policy_load_file(cibox_policy *policy, const char *path, cibox_error *err);
/* Whether the policy allows the native syscall nr in some form. */
CIBOX_API bool cibox_policy_allows(const cibox_policy *policy, int nr);
/* Number of syscalls the policy allows in some form. */
CIBOX_API size_t cibox_policy_count(const cibox_policy *policy);

/*
 * Where log lines go. The default writes them to standard error. The sink is
 * also called from the SIGSYS handler when a violation is reported, so it must
 * be async-signal-safe: no malloc, no stdio, no locks. `line` ends without a
 * newline.
 */
typedef void (*cibox_log_fn)(const char *line, void *userdata);
CIBOX_API void cibox_sandbox_set_log(cibox_log_fn fn, void *userdata);

/*
 * Set the sandbox up for this process in `mode` (log-and-abort or abort).
 * Must be called once, before the process starts a second thread: a filter
 * covers only the thread that installs it and the threads that thread starts.
 * Installs the SIGSYS handler and a process-wide base filter that refuses
 * foreign-architecture syscalls, answers clone3 with ENOSYS and forbids
 * replacing or ignoring the SIGSYS handler. Logs one line naming the mode.
 * -EBUSY if the process already has more than one thread or was set up before.
 */
CIBOX_API int cibox_sandbox_setup(enum cibox_mode mode, cibox_error *err);

/*
 * Restrict the calling thread (and every thread it starts from now on) to
 * `policy`. Logs `Syscall filter installed for thread "<name>"`, with the name
 * set by pthread_setname_np or PR_SET_NAME. A thread may always narrow itself
 * again; it can never widen: what an earlier filter refuses stays refused.
 */
CIBOX_API int cibox_sandbox_restrict(const cibox_policy *policy, cibox_error *err);
/* The same, with the policy given as a list ("@default,@network"). */
CIBOX_API int cibox_sandbox_restrict_to(const char *list, cibox_error *err);

/* Make, on purpose, one syscall that no built-in group allows (the obsolete
 * uselib(NULL), harmless when it does run), to show the sandbox reacting in
 * tests and demos. Returns only if nothing stopped it. */
CIBOX_API void cibox_sandbox_test_violation(void);

/* The syscall that cibox_sandbox_test_violation() makes. */
CIBOX_API extern const char cibox_sandbox_test_syscall[];

#ifdef __cplusplus
}
#endif

#endif
