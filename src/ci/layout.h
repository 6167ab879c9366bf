/*
 * What a run shows its steps, whatever engine runs them, as data: the
 * mounts (the tree, a worktree's git folders, the run folder, the record of
 * the enforced policy, caches), the network and the hostname. The ns engine
 * turns the list into jail operations (ci/ns.c), podman and docker into
 * --mount and -v flags (ci/engine_oci.c); none of them works any of it out
 * again. The folders the list names are made here.
 */
#ifndef CIBOX_CI_LAYOUT_H
#define CIBOX_CI_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include <cibox/sandbox.h>

#include "ci/plan.h"

enum layout_kind {
	LAYOUT_OVERLAY, /* source seen at target, what is written there kept in upper */
	LAYOUT_BIND,    /* source read-write at target */
	LAYOUT_RO_BIND, /* source read-only at target */
};

struct layout_mount {
	enum layout_kind kind;
	char *source, *target;
	char *upper, *work; /* LAYOUT_OVERLAY */
	char *what;         /* for messages: "the work tree", "cache DEPENDS_DIR" */
};

struct run_layout {
	struct layout_mount *mounts; /* in the order they are made */
	size_t count;
	bool host_network; /* CI_NETWORK=host; loopback only otherwise */
	const char *hostname;
};

struct layout_options {
	bool in_place;             /* the tree and git folders bound, not overlaid */
	const char *write_through; /* a folder of the tree bound over its overlay, or NULL */
	const char *export_dir;    /* made, and bound for an engine that exports from inside */
};

/* Works out `plan`'s layout; -EINVAL (with what is wrong) for a bad
 * CI_NETWORK or a cache that would hide the run folder. */
int layout_plan(const struct ci_plan *plan, const struct layout_options *options,
		struct run_layout *out, cibox_error *err);
void layout_free(struct run_layout *layout);

/* The run folder's enforced.policy (CI_SANDBOX's record of the policy) into
 * buf, if the run has one. */
bool layout_enforced_policy(const struct ci_plan *plan, char *buf, size_t size);
/* What the steps changed in the tree: run folder/tree. */
int layout_upper_dir(const struct ci_plan *plan, char *buf, size_t size);

#endif
