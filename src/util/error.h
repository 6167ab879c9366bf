/*
 * The one way library code reports a failure: fill the caller's cibox_error
 * and return the negative errno, so `return error_set(err, -EINVAL, ...)`
 * reads as one statement. A NULL err is allowed and only loses the text.
 */
#ifndef CIBOX_UTIL_ERROR_H
#define CIBOX_UTIL_ERROR_H

#include <cibox/sandbox.h>

__attribute__((format(printf, 3, 4))) int error_set(cibox_error *err, int code, const char *fmt, ...);

/* Prefix an existing message: "origin:3: " + message. */
__attribute__((format(printf, 2, 3))) void error_prefix(cibox_error *err, const char *fmt, ...);

#endif
