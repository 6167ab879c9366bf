/*
 * The violation report, the one line users see when the sandbox stops a
 * syscall. It is formatted inside a SIGSYS handler, so this module uses no
 * allocation, no stdio and no locale: only stores into the caller's buffer.
 */
#ifndef CIBOX_SANDBOX_REPORT_H
#define CIBOX_SANDBOX_REPORT_H

#include <stddef.h>

enum report_level {
	REPORT_ERROR,   /* the program is being terminated */
	REPORT_WARNING, /* mode log: the call was allowed to run */
	REPORT_REFUSED, /* mode log: the call reached outside the command's processes */
};

/*
 * Writes the report for syscall `nr` named `name` (NULL if unknown) made by
 * thread `thread`, without a newline, always NUL-terminated and truncated to
 * fit. Returns its length.
 */
size_t report_format(char *buf, size_t size, enum report_level level, const char *name, long nr,
		     const char *thread);

#endif
