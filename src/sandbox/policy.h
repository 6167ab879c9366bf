/*
 * What the filter builder needs to know of a policy: for each native syscall
 * number, whether it is refused, allowed in its restricted form, or allowed
 * with any arguments.
 */
#ifndef CIBOX_SANDBOX_POLICY_H
#define CIBOX_SANDBOX_POLICY_H

#include <cibox/sandbox.h>

enum policy_form {
	POLICY_REFUSED = 0,
	POLICY_RESTRICTED = 1, /* only the alternatives of its sctab_restriction */
	POLICY_ANY = 2,
};

enum policy_form policy_form(const cibox_policy *policy, int nr);
/* Every syscall with any arguments: the base a process starts from. */
void policy_allow_everything(cibox_policy *policy);
/* A copy that can be changed without touching the original. */
cibox_policy *policy_clone(const cibox_policy *policy);

#endif
