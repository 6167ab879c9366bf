/*
 * The `ns` engine: a whole run inside one rootless jail (one jail per run,
 * not per step). The work tree appears at its own path through overlayfs, so
 * steps build in place while the tree on disk never changes: what they write
 * stays in the run folder (run folder/tree). The run folder and the caches are
 * bound read-write, and a worktree's git folders outside the tree are
 * overlaid at their paths as the tree is; the network is loopback only
 * unless CI_NETWORK=host; the root is the host's or the image CI_IMAGE
 * names, writable in memory where the jail can map the ids that takes
 * (ns_plan_root), read-only otherwise.
 */
#ifndef CIBOX_CI_NS_H
#define CIBOX_CI_NS_H

#include <stdbool.h>
#include <sys/types.h>

#include <cibox/sandbox.h>

#include "ci/plan.h"
#include "jail/idmap.h"

/* The run's root and the ids its jail maps. */
struct ns_root {
	bool wide;     /* map holds more than the caller's ids */
	bool writable; /* steps may write the root; the writes stay in memory */
	struct idmap map;
	char why[320]; /* when an image stays read-only: what is missing */
};

/* Root writes need ids for root's files and a system's users: root's own
 * (every id), or a normal user's ranges with an image of those ids (the
 * host's files belong to ids such a user cannot map). */
int ns_plan_root(const struct ci_plan *plan, bool keep_uid, struct ns_root *root, cibox_error *err);

struct ns_options {
	bool in_place;             /* write through to the tree instead of an overlay */
	bool keep_uid;             /* the caller's uid inside instead of root */
	const char *export_dir;    /* made and bound, for ns_export */
	const char *write_through; /* a folder of the tree bound over the overlay, or NULL */
	const struct ns_root *root;
	struct jail_box **box; /* where the steps' box, started beside the runner, goes; or NULL */
};

/*
 * Moves the calling process into the run's jail: returns 0 inside it, where
 * the runner goes on; outside, cibox waits and exits with the run's status.
 * -EOPNOTSUPP (with how to fix it) when the machine cannot host the jail;
 * -EINVAL for a configuration error (a bad CI_IMAGE, a cache path).
 */
int ns_enter(const struct ci_plan *plan, const struct ns_options *options, cibox_error *err);

/* After step `index` passed, in the jail: when it ends the install steps of
 * a run that started without its root layer (ci/layer.h), keeps the root's
 * changes as that layer. 1 with the bytes kept in *bytes (0 when another run
 * kept it first), 0 when there is nothing to keep, or -errno. */
int ns_keep_layer(size_t index, long long *bytes, cibox_error *err);
/* The kept layer the run started from, or NULL. */
const char *ns_layer_in_use(void);
/* The step after which a layer will be kept, or NULL. */
const char *ns_layer_to_keep(const struct ci_plan *plan);

/* Copies what the steps changed in the tree (the overlay's upper layer, without
 * deletions) into `dir`. */
int ns_export(const struct ci_plan *plan, const char *dir, cibox_error *err);

/* The jail maps only the caller's uid and gid: a file of the tree owned by
 * other ids cannot be changed through the overlay (EOVERFLOW, "Value too
 * large for defined data type"). Returns how many there are; the first
 * (path in *first, to free) and its ids. */
int ns_unmapped_files(const struct ci_plan *plan, char **first, uid_t *uid, gid_t *gid);

#endif
