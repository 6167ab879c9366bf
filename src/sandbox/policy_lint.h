/*
 * Reading policies as a reviewer would: what in a policy file is wrong or
 * risky, and how two policies differ. Findings are written one line each to
 * the caller's stream, in the `file:line: ...` form editors understand.
 */
#ifndef CIBOX_SANDBOX_POLICY_LINT_H
#define CIBOX_SANDBOX_POLICY_LINT_H

#include <stdio.h>

#include "sandbox/policy_set.h"

/* Unknown names, malformed entries and sections, dangerous calls and the
 * entries that bring them in. Returns the number of findings. */
int policy_lint(const char *text, const char *origin, FILE *out);

/* What b allows that a does not (+), the reverse (-), and changes of form
 * (~), for every thread and then per section. Returns the number of
 * differences. */
int policy_diff(const policy_set *a, const policy_set *b, FILE *out);

#endif
