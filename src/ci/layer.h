/*
 * Root layers: what a configuration's install steps changed in the jail's
 * writable root, kept, so that the next run starts with it and its installs
 * have nothing left to do.
 *
 * The install steps are those whose names contain "install" (the seed's
 * 01_base_install.sh and 04_install.sh), up to the last of them, or up to
 * the step CI_ROOT_LAYER_AFTER names (none: no layer). A layer belongs to one
 * project (by path) and configuration, and is keyed by a SHA-256 of the root
 * (the image, or the host's), the configuration's variables and the content
 * of the install steps: a change to any starts fresh.
 *
 *   $XDG_CACHE_HOME/cibox/layers/<project>-<path hash>/<config>-<key>/root/...
 *
 * A layer is written into a temporary folder beside it and renamed into
 * place, whole or not at all; of two runs writing one at once, the first
 * rename wins and the other's copy is dropped.
 */
#ifndef CIBOX_CI_LAYER_H
#define CIBOX_CI_LAYER_H

#include <stdbool.h>
#include <stddef.h>

#include <cibox/sandbox.h>

#include "ci/plan.h"

struct layer_plan {
	bool wanted;       /* the stage has install steps */
	size_t after;      /* index of the last install step */
	char *folder;      /* the layer: <layers>/<project>/<config>-<key> */
	char *name;        /* "<config>-<key>", its name in the project's folder */
	char *project_dir; /* <layers>/<project>, where it is renamed into */
	bool exists;       /* a whole layer is there: the run starts from it */
};

/* Works out the run's layer. `root_id` names the root (an image's path, or
 * "host"). -EINVAL for a CI_ROOT_LAYER_AFTER that names no step. */
int layer_plan(const struct ci_plan *plan, const char *root_id, struct layer_plan *out,
	       cibox_error *err);
void layer_plan_free(struct layer_plan *layer);

/*
 * Copies the changes overlayfs kept for each folder of the root (the upper
 * folders, whiteouts and opaque folders as overlayfs marks them) from
 * `changes` (a folder holding N/path, the root path of change N, and
 * N/upper) into a new folder under `project_fd` named `name`. Runs inside
 * the jail, where every owner of those files maps. Returns the bytes kept,
 * 0 when another run kept the same layer first, or -errno.
 */
long long layer_keep(int changes, int project_fd, const char *name, cibox_error *err);

#endif
