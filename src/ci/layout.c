#include "ci/layout.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ci/cache.h"
#include "ci/gitdirs.h"
#include "util/error.h"
#include "util/fs.h"

void layout_free(struct run_layout *layout)
{
	for (size_t i = 0; i < layout->count; i++) {
		struct layout_mount *m = &layout->mounts[i];
		free(m->source);
		free(m->target);
		free(m->upper);
		free(m->work);
		free(m->what);
	}
	free(layout->mounts);
	memset(layout, 0, sizeof *layout);
}

static int make_dir(const char *path, cibox_error *err)
{
	int rc = fs_make_folders(path, 0755);
	return rc < 0 ? error_set(err, rc, "%s: %s", path, strerror(-rc)) : 0;
}

static int add(struct run_layout *l, enum layout_kind kind, const char *source, const char *target,
	       const char *upper, const char *work, const char *what, cibox_error *err)
{
	struct layout_mount *grown = realloc(l->mounts, (l->count + 1) * sizeof *grown);
	if (!grown)
		return error_set(err, -ENOMEM, "out of memory");
	l->mounts = grown;
	struct layout_mount *m = &grown[l->count];
	*m = (struct layout_mount){ kind,
				    strdup(source),
				    strdup(target),
				    upper ? strdup(upper) : NULL,
				    work ? strdup(work) : NULL,
				    strdup(what) };
	l->count++;
	if (!m->source || !m->target || !m->what || (upper && !m->upper) || (work && !m->work))
		return error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* `source` seen at its own path with the run's changes in the run folder's
 * `upper` (overlayfs's scratch in `work`), or bound through with in_place. */
static int add_overlay(struct run_layout *l, const struct ci_plan *plan, bool in_place,
		       const char *source, const char *upper_name, const char *work_name,
		       const char *what, cibox_error *err)
{
	if (in_place)
		return add(l, LAYOUT_BIND, source, source, NULL, NULL, what, err);
	char upper[PATH_MAX], work[PATH_MAX];
	if (snprintf(upper, sizeof upper, "%s/%s", plan->run_dir, upper_name) >= (int)sizeof upper ||
	    snprintf(work, sizeof work, "%s/%s", plan->run_dir, work_name) >= (int)sizeof work)
		return error_set(err, -ENAMETOOLONG, "run folder path too long");
	/* A work folder a run left when cibox was killed holds overlayfs's
	 * mark of a volatile mount, which refuses to be mounted again. */
	fs_remove_tree(work);
	int rc = make_dir(upper, err);
	if (rc == 0 && (rc = make_dir(work, err)) == 0)
		rc = add(l, LAYOUT_OVERLAY, source, source, upper, work, what, err);
	return rc;
}

/* A worktree's or a submodule's git folders outside the tree, at their
 * paths, as the tree is: what git in a step writes there stays in the run
 * (run folder/git/N). */
static int add_git_folders(struct run_layout *l, const struct ci_plan *plan, bool in_place,
			   cibox_error *err)
{
	char **dirs;
	size_t count;
	int rc = gitdirs_outside(plan->root, &dirs, &count, err);
	for (size_t i = 0; rc == 0 && i < count; i++) {
		char upper[32], work[32];
		snprintf(upper, sizeof upper, "git/%zu/upper", i);
		snprintf(work, sizeof work, "git/%zu/work", i);
		rc = add_overlay(l, plan, in_place, dirs[i], upper, work, "a git folder", err);
	}
	gitdirs_free(dirs, count);
	return rc;
}

static int add_caches(struct run_layout *l, const struct ci_plan *plan, cibox_error *err)
{
	struct cache_mount *mounts;
	size_t count;
	int rc = cache_prepare(plan->root, plan->config, &plan->env, &mounts, &count, err);
	for (size_t i = 0; rc == 0 && i < count; i++) {
		/* A cache over the run folder (DEPENDS_DIR=$CIBOX_RUN_DIR, or /)
		 * would take the logs and reports the runner writes there. */
		size_t n = strlen(mounts[i].target);
		while (n > 1 && mounts[i].target[n - 1] == '/')
			n--;
		char what[128];
		snprintf(what, sizeof what, "cache %s", mounts[i].var);
		if (strncmp(plan->run_dir, mounts[i].target, n) == 0 &&
		    (n == 1 || plan->run_dir[n] == '/' || plan->run_dir[n] == '\0'))
			rc = error_set(err, -EINVAL,
				       "CI_CACHE_DIRS: %s=%s would hide the run folder %s",
				       mounts[i].var, mounts[i].target, plan->run_dir);
		else
			rc = add(l, LAYOUT_BIND, mounts[i].folder, mounts[i].target, NULL, NULL,
				 what, err);
	}
	cache_mounts_free(mounts, count);
	return rc;
}

int layout_plan(const struct ci_plan *plan, const struct layout_options *o, struct run_layout *out,
		cibox_error *err)
{
	memset(out, 0, sizeof *out);
	out->hostname = "cibox";
	const char *network = envlist_get(&plan->env, "CI_NETWORK");
	if (network && *network && strcmp(network, "host") != 0 && strcmp(network, "none") != 0)
		return error_set(err, -EINVAL, "CI_NETWORK: '%s' is neither host nor none", network);
	out->host_network = network && strcmp(network, "host") == 0;

	/* The tree, then what lies inside it or beside it. */
	int rc = add_overlay(out, plan, o->in_place, plan->root, "tree", "overlay-work",
			     "the work tree", err);
	if (rc == 0)
		rc = add_git_folders(out, plan, o->in_place, err);
	if (rc == 0 && o->write_through && !o->in_place)
		rc = add(out, LAYOUT_BIND, o->write_through, o->write_through, NULL, NULL,
			 "the stage folder", err);
	if (rc == 0)
		rc = add(out, LAYOUT_BIND, plan->run_dir, plan->run_dir, NULL, NULL,
			 "the run folder", err);
	/* The record of the policy the run is held to (its shells read a
	 * sealed copy in memory): no step may change it. */
	char policy[PATH_MAX];
	if (rc == 0 && layout_enforced_policy(plan, policy, sizeof policy))
		rc = add(out, LAYOUT_RO_BIND, policy, policy, NULL, NULL, "the enforced policy", err);
	if (rc == 0 && o->export_dir && (rc = make_dir(o->export_dir, err)) == 0) {
		char dir[PATH_MAX];
		if (!realpath(o->export_dir, dir))
			rc = error_set(err, -errno, "%s: %s", o->export_dir, strerror(errno));
		else
			rc = add(out, LAYOUT_BIND, dir, dir, NULL, NULL, "the export folder", err);
	}
	if (rc == 0)
		rc = add_caches(out, plan, err);
	if (rc < 0)
		layout_free(out);
	return rc;
}

bool layout_enforced_policy(const struct ci_plan *plan, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/enforced.policy", plan->run_dir);
	return n > 0 && (size_t)n < size && access(buf, F_OK) == 0;
}

int layout_upper_dir(const struct ci_plan *plan, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/tree", plan->run_dir);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
