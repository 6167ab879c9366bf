/*
 * A policy file with a section per thread name, for programs that were not
 * written for cibox:
 *
 *     @default            # every thread
 *     @file-read
 *     [net]               # threads named "net": the above, and
 *     @network
 *
 * What every thread may do is decided in the kernel; what only some threads
 * may do goes to the supervisor, which decides by the calling thread's name
 * (as the kernel reports it, 15 characters at most). A thread can rename
 * itself, so sections keep well-behaved threads apart; against a hostile one
 * only the part common to every thread holds.
 */
#ifndef CIBOX_SANDBOX_POLICY_SET_H
#define CIBOX_SANDBOX_POLICY_SET_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <cibox/sandbox.h>

typedef struct policy_set policy_set;

int policy_set_parse(const char *text, const char *origin, policy_set **out, cibox_error *err);
int policy_set_load(const char *path, policy_set **out, cibox_error *err);
/* One policy for every thread, from a list ("@default,@network"). */
int policy_set_from_list(const char *list, policy_set **out, cibox_error *err);
void policy_set_free(policy_set *set);

/* What every thread may do, whatever its name: the kernel's part. */
const cibox_policy *policy_set_common(const policy_set *set);
/* What some thread may do beyond that (NULL without sections): the supervisor's. */
const cibox_policy *policy_set_supervised(const policy_set *set);
/* The policy of a thread with this name: its section's, or that of unnamed threads. */
const cibox_policy *policy_set_for(const policy_set *set, const char *thread);
size_t policy_set_sections(const policy_set *set);
/* The thread name of section i (0 <= i < policy_set_sections). */
const char *policy_set_section(const policy_set *set, size_t i);
/* Whether "[thread]" written in a policy file reads back as the section of
 * exactly that thread (a kernel thread name may hold what a section cannot). */
bool policy_set_can_name(const char *thread);
/* The policy of threads without a section of their own. */
const cibox_policy *policy_set_unnamed(const policy_set *set);

#endif
