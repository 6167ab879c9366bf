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

/* `base` is the list the kernel allowed without asking ("@default"). */
trace *trace_new(const char *base);
void trace_free(trace *t);

/* One call of syscall nr with these arguments by thread `thread` of program
 * `program`. A syscall cibox restricts is learned in its safe form as long as
 * every call fits it. */
int trace_observe(trace *t, int nr, const uint64_t args[6], const char *thread,
		  const char *program);

/* Writes the learned policy: the base, then whole groups where every member
 * was used, then single syscalls, each with a comment saying how often and by
 * which programs. `command` heads the file as a comment. With per_thread,
 * what every traced thread called comes first and the rest goes into a
 * [thread] section for each thread name. */
int trace_write_policy(const trace *t, const char *command, bool per_thread, FILE *out);

#endif
