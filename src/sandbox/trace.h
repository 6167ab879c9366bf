/*
 * Learning a policy: what a command's syscalls were, and the smallest policy
 * that allows them. The supervisor reports every syscall the base policy
 * does not already allow in the kernel; this module counts them by thread and
 * program and writes the result as a *.policy file, ready for
 * `cibox sandbox --policy`.
 */
#ifndef CIBOX_SANDBOX_TRACE_H
#define CIBOX_SANDBOX_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cibox/sandbox.h>

typedef struct trace trace;

/* `base` is the list the kernel allowed without asking ("@default"). With
 * record_args, the argument values of the syscalls cibox lists values of
 * (clone, socket, socketpair, ioctl, prctl) are recorded, and the learned
 * policy allows those syscalls with exactly the values seen. */
trace *trace_new(const char *base, bool record_args);
void trace_free(trace *t);

/* The policy the kernel applies while tracing, without asking: the base,
 * less the syscalls whose every call must be seen for their values. */
const char *trace_kernel_policy(const trace *t);

/* One call of syscall nr with these arguments by thread `thread` of program
 * `program`. A syscall cibox restricts is learned in its safe form as long as
 * every call fits it, or by its values when they are recorded. */
int trace_observe(trace *t, int nr, const uint64_t args[6], const char *thread, const char *program);

/* Writes the learned policy: the base, then whole groups where every member
 * was used, then single syscalls, each with a comment saying how often and by
 * which programs. `command` heads the file as a comment. With per_thread,
 * what every traced thread called comes first and the rest goes into a
 * [thread] section for each thread name. Recorded values come last, one
 * entry per value, after a `-name` that takes out the safe form the base or
 * a group allowed. */
int trace_write_policy(const trace *t, const char *command, bool per_thread, FILE *out);

#endif
