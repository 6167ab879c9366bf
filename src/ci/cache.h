/*
 * Caches that outlive runs. Each variable named in CI_CACHE_DIRS (default
 * DEPENDS_DIR CCACHE_DIR PREVIOUS_RELEASES_DIR) that a configuration sets is
 * a folder under the user's cache folder, mounted read-write at the path the
 * variable holds. A cache belongs to one project (by path) and one
 * configuration, and to the content of the files CI_CACHE_KEY names (globs
 * relative to the project): changing them starts a fresh cache.
 *
 *   $XDG_CACHE_HOME/cibox/caches/<project>-<path hash>/<config>-<key hash>/<VAR>
 */
#ifndef CIBOX_CI_CACHE_H
#define CIBOX_CI_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cibox/sandbox.h>

#include "util/envlist.h"

#define CACHE_DEFAULT_DIRS "DEPENDS_DIR CCACHE_DIR PREVIOUS_RELEASES_DIR"

struct cache_mount {
	char *var;    /* DEPENDS_DIR */
	char *target; /* its value: where the steps see the cache */
	char *folder; /* the cache on the host, created */
};

/* The caches of a run of project `root` in configuration `config`, made if
 * missing. A variable that is unset or empty has none; one that is not an
 * absolute path is an error naming it. */
int cache_prepare(const char *root, const char *config, const envlist *env,
		  struct cache_mount **mounts, size_t *count, cibox_error *err);
/* Two runs of one configuration at once (two `cibox run --env NAME`) would
 * share its caches and write them together: a run holds them locked (flock)
 * while it lasts. Locks the configuration's cache folder, made if missing,
 * into *fd (-1 when the configuration sets no cache variable) and names it in
 * *folder (to free). Without `wait`, -EWOULDBLOCK when another run holds it,
 * set in no error, so that the caller can say it waits before waiting. The
 * lock goes with the process, however it ends. */
int cache_lock(const char *root, const char *config, const envlist *env, bool wait, int *fd,
	       char **folder, cibox_error *err);
void cache_mounts_free(struct cache_mount *mounts, size_t count);

/* The folder of a project's caches ("<project>-<path hash>"), for clearing. */
int cache_project_name(const char *root, char *buf, size_t size);

typedef void (*cache_visit_fn)(const char *name, uint64_t bytes, time_t used, void *context);
/* Every cache ("<project>/<config>"), in name order. */
int cache_list(cache_visit_fn visit, void *context, cibox_error *err);
/* Removes the caches of one project (its cache_project_name), or all (NULL).
 * Returns how many were removed. */
int cache_clear(const char *project, cibox_error *err);

#endif
