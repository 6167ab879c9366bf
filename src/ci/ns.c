#include "ci/ns.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ci/cache.h"
#include "jail/image.h"
#include "jail/jail.h"
#include "util/error.h"
#include "util/fs.h"

bool ns_enforced_policy(const struct ci_plan *plan, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/enforced.policy", plan->run_dir);
	return n > 0 && (size_t)n < size && access(buf, F_OK) == 0;
}

int ns_upper_dir(const struct ci_plan *plan, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/tree", plan->run_dir);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int make_dir(const char *path, cibox_error *err)
{
	int rc = fs_make_folders(path, 0755);
	return rc < 0 ? error_set(err, rc, "%s: %s", path, strerror(-rc)) : 0;
}

static int add_caches(jail_plan *jail, const struct ci_plan *plan, cibox_error *err)
{
	struct cache_mount *mounts;
	size_t count;
	int rc = cache_prepare(plan->root, plan->config, &plan->env, &mounts, &count, err);
	for (size_t i = 0; rc == 0 && i < count; i++)
		rc = jail_plan_add(jail, JAIL_BIND, mounts[i].folder, mounts[i].target, err);
	cache_mounts_free(mounts, count);
	return rc;
}

int ns_enter(const struct ci_plan *plan, const struct ns_options *options, cibox_error *err)
{
	jail_plan *jail = jail_plan_new();
	if (!jail)
		return error_set(err, -ENOMEM, "out of memory");
	char upper[PATH_MAX], work[PATH_MAX], root[PATH_MAX];
	int rc = 0;
	const char *image = envlist_get(&plan->env, "CI_IMAGE");
	if (image && *image && ((rc = image_resolve(image, root, sizeof root, err)) < 0 ||
				(rc = jail_plan_set_rootfs(jail, root, err)) < 0))
		error_prefix(err, "CI_IMAGE: ");
	const char *network = envlist_get(&plan->env, "CI_NETWORK");
	if (rc == 0 && network && *network && strcmp(network, "host") != 0 &&
	    strcmp(network, "none") != 0)
		rc = error_set(err, -EINVAL, "CI_NETWORK: '%s' is neither host nor none", network);
	if (rc == 0)
		rc = jail_plan_share_network(jail, network && strcmp(network, "host") == 0, err);
	const char *home = envlist_get(&plan->env, "HOME");
	if (rc == 0 && home && *home == '/')
		rc = jail_plan_set_home(jail, home, err);
	jail_plan_keep_uid(jail, options->keep_uid);

	/* The order of the mounts: the tree, then what lies inside it or beside it. */
	if (rc == 0 && options->in_place) {
		rc = jail_plan_add(jail, JAIL_BIND, plan->root, plan->root, err);
	} else if (rc == 0) {
		snprintf(work, sizeof work, "%s/overlay-work", plan->run_dir);
		if (ns_upper_dir(plan, upper, sizeof upper) < 0)
			rc = error_set(err, -ENAMETOOLONG, "run folder path too long");
		if (rc == 0 && (rc = make_dir(upper, err)) == 0 && (rc = make_dir(work, err)) == 0)
			rc = jail_plan_add_overlay(jail, plan->root, upper, work, plan->root, err);
	}
	if (rc == 0 && options->write_through && !options->in_place)
		rc = jail_plan_add(jail, JAIL_BIND, options->write_through, options->write_through, err);
	if (rc == 0)
		rc = jail_plan_add(jail, JAIL_BIND, plan->run_dir, plan->run_dir, err);
	/* The record of the policy the run is held to (its shells read a
	 * sealed copy in memory): no step may change it. */
	char policy[PATH_MAX];
	if (rc == 0 && ns_enforced_policy(plan, policy, sizeof policy))
		rc = jail_plan_add(jail, JAIL_RO_BIND, policy, policy, err);
	if (rc == 0 && options->export_dir && (rc = make_dir(options->export_dir, err)) == 0) {
		char dir[PATH_MAX];
		if (!realpath(options->export_dir, dir))
			rc = error_set(err, -errno, "%s: %s", options->export_dir, strerror(errno));
		else
			rc = jail_plan_add(jail, JAIL_BIND, dir, dir, err);
	}
	if (rc == 0)
		rc = add_caches(jail, plan, err);
	/* Steps call cibox (cibox retry); a copy under /tmp or a home folder
	 * would be hidden. */
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (rc == 0 && n > 0 && (self[n] = '\0', jail_plan_hides(jail, self)))
		rc = jail_plan_add(jail, JAIL_RO_BIND, self, self, err);
	if (rc == 0)
		rc = jail_plan_set_cwd(jail, plan->root, err);
	if (rc == 0)
		rc = jail_enter(jail, err);
	jail_plan_free(jail);
	return rc;
}

/* nftw has no context argument: the copy's two roots live here. */
static struct {
	const char *from;
	const char *to;
	int failed;
} copy;

static int copy_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	char target[PATH_MAX];
	if (snprintf(target, sizeof target, "%s%s", copy.to, path + strlen(copy.from)) >=
	    (int)sizeof target)
		return copy.failed = ENAMETOOLONG, 0;
	if (flag == FTW_D) {
		if (mkdir(target, st->st_mode & 07777) < 0 && errno != EEXIST)
			copy.failed = errno;
	} else if (flag == FTW_SL) {
		char link[PATH_MAX];
		ssize_t n = readlink(path, link, sizeof link - 1);
		if (n >= 0) {
			link[n] = '\0';
			unlink(target);
			if (symlink(link, target) < 0)
				copy.failed = errno;
		}
	} else if (flag == FTW_F && S_ISREG(st->st_mode)) {
		/* Character devices 0:0 are overlayfs's deletions: nothing to copy. */
		int in = open(path, O_RDONLY | O_CLOEXEC);
		int out = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st->st_mode & 07777);
		char buf[65536];
		ssize_t n;
		while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
			if (write(out, buf, (size_t)n) != n) {
				copy.failed = errno ? errno : EIO;
				break;
			}
		if (in < 0 || out < 0)
			copy.failed = errno;
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
	}
	return 0;
}

int ns_export(const struct ci_plan *plan, const char *dir, cibox_error *err)
{
	char upper[PATH_MAX];
	if (ns_upper_dir(plan, upper, sizeof upper) < 0)
		return error_set(err, -ENAMETOOLONG, "run folder path too long");
	int rc = make_dir(dir, err);
	if (rc < 0)
		return rc;
	copy.from = upper;
	copy.to = dir;
	copy.failed = 0;
	if (nftw(upper, copy_entry, 32, FTW_PHYS) < 0)
		return error_set(err, -errno, "cannot read %s: %s", upper, strerror(errno));
	if (copy.failed)
		return error_set(err, -copy.failed, "cannot export to %s: %s", dir, strerror(copy.failed));
	return 0;
}
