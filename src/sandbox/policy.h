/*
 * What the filter builder needs to know of a policy: for each native syscall
 * number, whether it is refused, allowed in its restricted form, or allowed
 * with any arguments; and for the few syscalls whose argument a policy may
 * list value by value (struct sctab_argument), the values listed. A call is
 * allowed when its form allows it or its value is listed: values only ever
 * add to the form, as every entry adds to the entries before it.
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

/* The longest entry a policy reads, a long list of values included. */
#define POLICY_ENTRY_MAX 4096
/* Values one syscall may list: each is a rule of the kernel's filter. */
#define POLICY_VALUES_MAX 128

enum policy_form policy_form(const cibox_policy *policy, int nr);
void policy_set_form(cibox_policy *policy, int nr, enum policy_form form);

/* The values listed for syscall nr, in ascending order; NULL when none. */
const uint32_t *policy_values(const cibox_policy *policy, int nr, unsigned *count);
/* Replaces them (at most POLICY_VALUES_MAX, sorted, no repeats). */
void policy_set_values(cibox_policy *policy, int nr, const uint32_t *values, unsigned count);
bool policy_has_value(const cibox_policy *policy, int nr, uint32_t value);
/* Whether this value of the listed argument fits cibox's restricted form. */
bool policy_value_fits_restriction(int nr, uint32_t value);

/* The length of the entry text starts with: up to a blank or a comma, where
 * neither is between parentheses (`socket(AF_UNIX, AF_INET)` is one entry). */
size_t policy_entry_span(const char *text, size_t len);

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

/* The largest policy file cibox reads. */
#define POLICY_FILE_MAX (1 << 20)

/* A policy file's text (a regular text file up to `max` bytes), malloc'd. */
int policy_read_file(const char *path, size_t max, char **text, cibox_error *err);

/* Every syscall with any arguments: the base a process starts from. */
void policy_allow_everything(cibox_policy *policy);
/* A copy that can be changed without touching the original. */
cibox_policy *policy_clone(const cibox_policy *policy);

#endif
