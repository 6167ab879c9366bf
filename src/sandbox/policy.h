/*
 * What the filter builder needs to know of a policy: for each native syscall
 * number, whether it is refused, allowed in its restricted form, or allowed
 * with any arguments.
 */
#ifndef CIBOX_SANDBOX_POLICY_H
#define CIBOX_SANDBOX_POLICY_H

#include <stdint.h>

#include <cibox/sandbox.h>

enum policy_form {
	POLICY_REFUSED = 0,
	POLICY_RESTRICTED = 1, /* only the alternatives of its sctab_restriction */
	POLICY_ANY = 2,
};

enum policy_form policy_form(const cibox_policy *policy, int nr);
void policy_set_form(cibox_policy *policy, int nr, enum policy_form form);

/* Whether a call with these arguments is allowed: checked in user space, by
 * the supervisor, the way the kernel's filter would check it. */
bool policy_allows_call(const cibox_policy *policy, int nr, const uint64_t args[6]);
/* Whether the call fits the form cibox restricts its syscall to (false when
 * cibox does not restrict it). */
bool policy_fits_restriction(int nr, const uint64_t args[6]);

/* The errno that answers this call when the policy refuses it, because the
 * C library only probes with it (see struct sctab_quiet); 0 for a violation. */
int policy_quiet_error(int nr, const uint64_t args[6]);

/* Walks a policy text line by line: the next line, without its comment and
 * surrounding blanks (possibly empty), and its number. False at the end. */
bool policy_next_line(const char **cursor, unsigned *line_no, const char **start, size_t *len);

/* A policy file's text (a regular text file up to `max` bytes), malloc'd. */
int policy_read_file(const char *path, size_t max, char **text, cibox_error *err);

/* Every syscall with any arguments: the base a process starts from. */
void policy_allow_everything(cibox_policy *policy);
/* A copy that can be changed without touching the original. */
cibox_policy *policy_clone(const cibox_policy *policy);

#endif
