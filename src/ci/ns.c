#include "ci/ns.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ci/cache.h"
#include "ci/gitdirs.h"
#include "jail/box.h"
#include "jail/image.h"
#include "jail/jail.h"
#include "util/beneath.h"
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
	for (size_t i = 0; rc == 0 && i < count; i++) {
		/* A cache over the run folder (DEPENDS_DIR=$CIBOX_RUN_DIR, or /)
		 * would take the logs and reports the runner writes there. */
		size_t n = strlen(mounts[i].target);
		while (n > 1 && mounts[i].target[n - 1] == '/')
			n--;
		if (strncmp(plan->run_dir, mounts[i].target, n) == 0 &&
		    (n == 1 || plan->run_dir[n] == '/' || plan->run_dir[n] == '\0'))
			rc = error_set(err, -EINVAL, "CI_CACHE_DIRS: %s=%s would hide the run folder %s",
				       mounts[i].var, mounts[i].target, plan->run_dir);
		else
			rc = jail_plan_add(jail, JAIL_BIND, mounts[i].folder, mounts[i].target, err);
	}
	cache_mounts_free(mounts, count);
	return rc;
}

/* A worktree's or a submodule's git folders outside the tree, at their
 * paths: through an overlay whose upper layer is the run's (run folder/git/N),
 * so that what git in a step writes there never reaches the repository;
 * written through with --in-place, as the tree is. */
static int add_git_folders(jail_plan *jail, const struct ci_plan *plan, bool in_place,
			   cibox_error *err)
{
	char **dirs;
	size_t count;
	int rc = gitdirs_outside(plan->root, &dirs, &count, err);
	for (size_t i = 0; rc == 0 && i < count; i++) {
		char upper[PATH_MAX], work[PATH_MAX];
		if (in_place) {
			rc = jail_plan_add(jail, JAIL_BIND, dirs[i], dirs[i], err);
			continue;
		}
		snprintf(upper, sizeof upper, "%s/git/%zu/upper", plan->run_dir, i);
		snprintf(work, sizeof work, "%s/git/%zu/work", plan->run_dir, i);
		fs_remove_tree(work);
		if ((rc = make_dir(upper, err)) == 0 && (rc = make_dir(work, err)) == 0)
			rc = jail_plan_add_overlay(jail, dirs[i], upper, work, dirs[i], err);
	}
	gitdirs_free(dirs, count);
	return rc;
}

/* nftw has no context argument. */
static struct {
	uid_t uid;
	gid_t gid;
	size_t count;
	char *first;
	struct stat first_st;
} unmapped;

static int note_unmapped(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)flag;
	(void)ftw;
	if (st->st_uid == unmapped.uid && st->st_gid == unmapped.gid)
		return 0;
	if (unmapped.count++ == 0) {
		unmapped.first = strdup(path);
		unmapped.first_st = *st;
	}
	return 0;
}

int ns_unmapped_files(const struct ci_plan *plan, char **first, uid_t *uid, gid_t *gid)
{
	unmapped.uid = getuid();
	unmapped.gid = getgid();
	unmapped.count = 0;
	unmapped.first = NULL;
	nftw(plan->root, note_unmapped, 32, FTW_PHYS | FTW_MOUNT);
	*first = unmapped.first;
	*uid = unmapped.first_st.st_uid;
	*gid = unmapped.first_st.st_gid;
	return unmapped.first ? (int)unmapped.count : 0;
}

/* In the jail's init: the box is made while the runner, forked next,
 * starts. A box that cannot be made says so at the first step. */
static int start_box(void *box, cibox_error *err)
{
	return jail_box_start(box, err);
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
		/* A work folder a run left when cibox was killed holds overlayfs's
		 * mark of a volatile mount, which refuses to be mounted again. */
		if (rc == 0)
			fs_remove_tree(work);
		if (rc == 0 && (rc = make_dir(upper, err)) == 0 && (rc = make_dir(work, err)) == 0)
			rc = jail_plan_add_overlay(jail, plan->root, upper, work, plan->root, err);
	}
	if (rc == 0)
		rc = add_git_folders(jail, plan, options->in_place, err);
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
	if (rc == 0 && options->box)
		jail_plan_on_built(jail, start_box, options->box);
	if (rc == 0)
		rc = jail_enter(jail, err);
	jail_plan_free(jail);
	return rc;
}

/* The export: the run's tree/ copied into a folder a step could write as
 * well (it is bound into the jail), so every entry is reached from the
 * folder above it, held open, and nothing found there is followed. */
struct export {
	char where[PATH_MAX]; /* the entry being copied, relative to both roots */
	int failed;           /* the first error, negative */
	char failed_at[PATH_MAX];
};

static void export_failed(struct export *x, int rc)
{
	if (x->failed == 0) {
		x->failed = rc == -ENOTDIR ? -EEXIST : rc;
		snprintf(x->failed_at, sizeof x->failed_at, "%s", x->where);
	}
}

static int copy_file(int from, int to, const char *name, mode_t mode)
{
	int in = openat(from, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -errno;
	int out = beneath_create(to, name, mode & 07777);
	int rc = out < 0 ? out : 0;
	char buf[65536];
	ssize_t n;
	while (rc == 0 && (n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0 || write(out, buf, (size_t)n) != n)
			rc = n < 0 || errno ? -errno : -EIO;
	}
	close(in);
	if (out >= 0 && close(out) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

static int copy_link(int from, int to, const char *name)
{
	char link[PATH_MAX];
	ssize_t n = readlinkat(from, name, link, sizeof link - 1);
	if (n < 0)
		return -errno;
	link[n] = '\0';
	/* Whatever is at the name but a folder goes: a link as a link. */
	if (unlinkat(to, name, 0) < 0 && errno != ENOENT)
		return errno == EISDIR ? -EEXIST : -errno;
	return symlinkat(link, to, name) < 0 ? -errno : 0;
}

static void copy_folder(int from, int to, struct export *x)
{
	int fd = dup(from);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		export_failed(x, -errno);
		if (fd >= 0)
			close(fd);
		return;
	}
	size_t len = strlen(x->where);
	for (struct dirent *e; (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(x->where + len, sizeof x->where - len, "/%s", e->d_name);
		struct stat st;
		int rc = 0;
		if (fstatat(from, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = -errno;
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdirat(to, e->d_name, st.st_mode & 07777) < 0 && errno != EEXIST)
				rc = -errno;
			int sub_to = rc < 0 ? rc : beneath_open(to, e->d_name, O_RDONLY | O_DIRECTORY, 0);
			int sub_from = sub_to < 0 ? -1 : openat(from, e->d_name,
						O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = sub_to < 0 ? sub_to : sub_from < 0 ? -errno : 0;
			if (rc == 0)
				copy_folder(sub_from, sub_to, x);
			if (sub_from >= 0)
				close(sub_from);
			if (sub_to >= 0)
				close(sub_to);
		} else if (S_ISLNK(st.st_mode)) {
			rc = copy_link(from, to, e->d_name);
		} else if (S_ISREG(st.st_mode)) {
			rc = copy_file(from, to, e->d_name, st.st_mode);
		}
		/* Anything else (character devices 0:0 are overlayfs's deletions)
		 * has nothing to copy. */
		if (rc < 0)
			export_failed(x, rc);
		x->where[len] = '\0';
	}
	closedir(d);
}

int ns_export(const struct ci_plan *plan, const char *dir, cibox_error *err)
{
	char upper[PATH_MAX];
	if (ns_upper_dir(plan, upper, sizeof upper) < 0)
		return error_set(err, -ENAMETOOLONG, "run folder path too long");
	int rc = make_dir(dir, err);
	if (rc < 0)
		return rc;
	int from = open(upper, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (from < 0)
		return error_set(err, -errno, "cannot read %s: %s", upper, strerror(errno));
	int to = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (to < 0) {
		rc = error_set(err, -errno, "cannot export to %s: %s", dir, strerror(errno));
		close(from);
		return rc;
	}
	struct export x = { .where = "", .failed = 0 };
	copy_folder(from, to, &x);
	close(from);
	close(to);
	if (x.failed)
		return error_set(err, x.failed, "cannot export to %s: %s: %s", dir, x.failed_at + 1,
				 beneath_strerror(x.failed));
	return 0;
}
