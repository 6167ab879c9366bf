/*
 * The `ns` engine: a whole run inside one rootless jail (one jail per run,
 * not per step). The work tree appears at its own path through overlayfs, so
 * steps build in place while the tree on disk never changes: what they write
 * stays in the run folder (run folder/tree). The run folder and the caches are
 * bound read-write, and a worktree's git folders outside the tree are
 * overlaid at their paths as the tree is; the network is loopback only
 * unless CI_NETWORK=host; the root is the host's, read-only, or the image
 * CI_IMAGE names.
 */
#ifndef CIBOX_CI_NS_H
#define CIBOX_CI_NS_H

#include <stdbool.h>
#include <sys/types.h>

#include <cibox/sandbox.h>

#include "ci/plan.h"

struct ns_options {
	bool in_place;     /* write through to the tree instead of an overlay */
	bool keep_uid;     /* the caller's uid inside instead of root */
	const char *export_dir; /* made and bound, for ns_export */
	const char *write_through; /* a folder of the tree bound over the overlay, or NULL */
	struct jail_box **box; /* where the steps' box, started beside the runner, goes; or NULL */
};

/*
 * Moves the calling process into the run's jail: returns 0 inside it, where
 * the runner goes on; outside, cibox waits and exits with the run's status.
 * -EOPNOTSUPP (with how to fix it) when the machine cannot host the jail;
 * -EINVAL for a configuration error (a bad CI_IMAGE, a cache path).
 */
int ns_enter(const struct ci_plan *plan, const struct ns_options *options, cibox_error *err);

/* The run folder's enforced.policy (CI_SANDBOX's record of the policy) into
 * buf, if the run has one: engines show it read-only to the steps. */
bool ns_enforced_policy(const struct ci_plan *plan, char *buf, size_t size);

/* Copies what the steps changed in the tree (the overlay's upper layer, without
 * deletions) into `dir`. */
int ns_export(const struct ci_plan *plan, const char *dir, cibox_error *err);

/* The jail maps only the caller's uid and gid: a file of the tree owned by
 * other ids cannot be changed through the overlay (EOVERFLOW, "Value too
 * large for defined data type"). Returns how many there are; the first
 * (path in *first, to free) and its ids. */
int ns_unmapped_files(const struct ci_plan *plan, char **first, uid_t *uid, gid_t *gid);

/* The folder holding what the steps changed in the tree: run folder/tree. */
int ns_upper_dir(const struct ci_plan *plan, char *buf, size_t size);

#endif
