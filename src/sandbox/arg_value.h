/*
 * Argument values as a policy writes them: `TCGETS`, `0x5401`, `21505`,
 * `CLONE_VM|CLONE_FS|SIGCHLD`. One value is a name from the syscall's table
 * (see struct sctab_argument) or a number, decimal or 0x hexadecimal; where
 * the argument is flags, several joined by '|'. Reading and writing live
 * together so that what cibox writes is always what it reads back.
 */
#ifndef CIBOX_SANDBOX_ARG_VALUE_H
#define CIBOX_SANDBOX_ARG_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include <cibox/sandbox.h>

#include "sandbox/syscall_table.h"

/* Room for the longest value argval_format writes (every clone flag). */
#define ARGVAL_TEXT_MAX 640

/* The value in text[0..len), without surrounding blanks; -EINVAL with a line
 * naming the value otherwise. */
int argval_parse(const struct sctab_argument *a, const char *text, size_t len, uint32_t *value,
		 cibox_error *err);

/* The value as a policy writes it: names where the table has them, numbers
 * for the rest (hexadecimal above 255). Returns what snprintf would. */
int argval_format(const struct sctab_argument *a, uint32_t value, char *buf, size_t size);

#endif
