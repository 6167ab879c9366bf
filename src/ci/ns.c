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

#include "ci/layer.h"
#include "ci/layout.h"
#include "jail/box.h"
#include "jail/image.h"
#include "jail/jail.h"
#include "util/beneath.h"
#include "util/error.h"
#include "util/fs.h"

static int make_dir(const char *path, cibox_error *err)
{
	int rc = fs_make_folders(path, 0755);
	return rc < 0 ? error_set(err, rc, "%s: %s", path, strerror(-rc)) : 0;
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

int ns_plan_root(const struct ci_plan *plan, bool keep_uid, struct ns_root *root, cibox_error *err)
{
	memset(root, 0, sizeof *root);
	if (keep_uid)
		return 0;
	char why[256];
	int rc = idmap_for_caller(&root->map, NULL, NULL, why, sizeof why, err);
	if (rc < 0)
		return rc;
	const char *image = envlist_get(&plan->env, "CI_IMAGE");
	bool has_image = image && *image;
	root->wide = rc > 0;
	root->writable = root->wide && (getuid() == 0 || has_image);
	if (has_image && !root->wide)
		snprintf(root->why, sizeof root->why, "the image's root is read-only: %s", why);
	return 0;
}

/* The run's root layer, to keep after its install steps: opened before
 * the jail hides the folder. */
static struct {
	struct layer_plan plan;
	int project_fd;
} layer = { .project_fd = -1 };

const char *ns_layer_in_use(void)
{
	return layer.plan.exists ? layer.plan.folder : NULL;
}

const char *ns_layer_to_keep(const struct ci_plan *plan)
{
	return layer.project_fd >= 0 ? plan->steps[layer.plan.after].name : NULL;
}

int ns_keep_layer(size_t index, long long *bytes, cibox_error *err)
{
	int changes = jail_root_changes();
	if (layer.project_fd < 0 || !layer.plan.wanted || index != layer.plan.after || changes < 0)
		return 0;
	long long kept = layer_keep(changes, layer.project_fd, layer.plan.name, err);
	close(layer.project_fd);
	layer.project_fd = -1;
	if (kept < 0)
		return (int)kept;
	*bytes = kept;
	return 1;
}

/* A writable root starts from its kept layer, or keeps one for next time. */
static int use_layer(jail_plan *jail, const struct ci_plan *plan, const char *image, cibox_error *err)
{
	/* The root as it is now: a rebuilt image is a new folder; the host's
	 * installs all touch dpkg's status. */
	char id[PATH_MAX + 64];
	struct stat st;
	const char *what = image ? image : "/var/lib/dpkg/status";
	if (stat(what, &st) < 0)
		memset(&st, 0, sizeof st);
	snprintf(id, sizeof id, "%s %llu %lld.%09ld %lld", image ? image : "host",
		 (unsigned long long)st.st_ino, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		 (long long)st.st_size);
	int rc = layer_plan(plan, id, &layer.plan, err);
	if (rc < 0 || !layer.plan.wanted)
		return rc;
	if (layer.plan.exists)
		return jail_plan_root_layer(jail, layer.plan.folder, err);
	/* Owners and modes are kept, setuid bits too, as any container
	 * engine's layers keep them: no one else may reach them. */
	if ((rc = fs_make_folders(layer.plan.project_dir, 0700)) < 0)
		return error_set(err, rc, "%s: %s", layer.plan.project_dir, strerror(-rc));
	layer.project_fd =
		open(layer.plan.project_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (layer.project_fd < 0)
		return error_set(err, -errno, "%s: %s", layer.plan.project_dir, strerror(errno));
	return 0;
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
	struct layout_options lo = { options->in_place, options->write_through, options->export_dir };
	struct run_layout layout;
	int rc = layout_plan(plan, &lo, &layout, err);
	if (rc < 0) {
		jail_plan_free(jail);
		return rc;
	}
	char root[PATH_MAX];
	const char *image = envlist_get(&plan->env, "CI_IMAGE");
	if (image && *image &&
	    ((rc = image_resolve(image, root, sizeof root, err)) < 0 ||
	     (rc = jail_plan_set_rootfs(jail, root, err)) < 0))
		error_prefix(err, "CI_IMAGE: ");
	if (rc == 0)
		rc = jail_plan_share_network(jail, layout.host_network, err);
	const char *home = envlist_get(&plan->env, "HOME");
	if (rc == 0 && home && *home == '/')
		rc = jail_plan_set_home(jail, home, err);
	jail_plan_keep_uid(jail, options->keep_uid);
	if (options->root && options->root->wide)
		jail_plan_map_ids(jail, &options->root->map);
	jail_plan_writable_root(jail, options->root && options->root->writable);
	if (rc == 0 && options->root && options->root->writable)
		rc = use_layer(jail, plan, image && *image ? root : NULL, err);

	for (size_t i = 0; rc == 0 && i < layout.count; i++) {
		const struct layout_mount *m = &layout.mounts[i];
		rc = m->kind == LAYOUT_OVERLAY
			     ? jail_plan_add_overlay(jail, m->source, m->upper, m->work, m->target,
						     err)
			     : jail_plan_add(jail, m->kind == LAYOUT_BIND ? JAIL_BIND : JAIL_RO_BIND,
					     m->source, m->target, err);
	}
	layout_free(&layout);
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
struct export
{
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
			int sub_to =
				rc < 0 ? rc : beneath_open(to, e->d_name, O_RDONLY | O_DIRECTORY, 0);
			int sub_from =
				sub_to < 0 ? -1
					   : openat(from, e->d_name,
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
	if (layout_upper_dir(plan, upper, sizeof upper) < 0)
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
