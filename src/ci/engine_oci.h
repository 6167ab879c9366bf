/*
 * The `podman` and `docker` engines: the run's shell starts in one container
 * of the image CI_IMAGE_NAME_TAG, through the engine's command line, with the
 * mounts of the ns engine: the work tree overlaid at its own path (what the
 * steps change stays in run folder/tree, as with ns), or bound with
 * --in-place; the run folder bound; each cache bound at the path its variable
 * holds; loopback only unless CI_NETWORK=host; hostname cibox. The two share
 * everything but a few words of their command lines, kept in one table.
 */
#ifndef CIBOX_CI_ENGINE_OCI_H
#define CIBOX_CI_ENGINE_OCI_H

#include <stdbool.h>

#include <cibox/sandbox.h>

#include "ci/engine.h"
#include "ci/plan.h"

struct oci_options {
	bool in_place; /* bind the tree instead of overlaying it */
	/* cibox itself, read-only at ENGINE_CIBOX_IN_CONTAINER, for the steps'
	 * sandbox or trace; only a statically linked cibox runs in any image. */
	bool carry_cibox;
};

/*
 * Checks that the engine is installed and can start a container of the image,
 * and sets up the command line every shell of the run starts with. Errors:
 * -EINVAL for the configuration's (no CI_IMAGE_NAME_TAG, an image the engine
 * does not have, a bad CI_NETWORK or cache path); -EOPNOTSUPP when this
 * machine cannot host the engine (not installed, or it fails to start a
 * container, or carry_cibox with a dynamically linked cibox), with what to do.
 */
int engine_oci_prepare(ci_engine *engine, const struct ci_plan *plan,
		       const struct oci_options *options, cibox_error *err);

#endif
