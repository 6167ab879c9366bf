#include "ci/layer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>

#include "ci/cache.h"
#include "util/beneath.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xdg.h"

void layer_plan_free(struct layer_plan *layer)
{
	free(layer->folder);
	free(layer->name);
	free(layer->project_dir);
	memset(layer, 0, sizeof *layer);
}

/* A field of the key, its length first: no two different lists of fields
 * hash alike by moving a boundary. */
static void add_field(struct sha256_ctx *ctx, const void *data, size_t len)
{
	uint64_t n = len;
	sha256_update(ctx, sizeof n, (const uint8_t *)&n);
	sha256_update(ctx, len, data);
}

static int add_file(struct sha256_ctx *ctx, const char *path, cibox_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, -errno, "%s: %s", path, strerror(errno));
	char buf[65536];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		sha256_update(ctx, (size_t)n, (const uint8_t *)buf);
	int saved = errno;
	close(fd);
	if (n < 0)
		return error_set(err, -saved, "%s: %s", path, strerror(saved));
	sha256_update(ctx, 1, (const uint8_t *)"");
	return 0;
}

/* Variables of the run's own: what the configuration set or changed, not
 * the caller's nor cibox's (the run folder differs every run). */
static bool configuration_variable(const struct ci_plan *plan, const char *entry)
{
	const char *eq = strchr(entry, '=');
	if (!eq || strncmp(entry, "CIBOX_", 6) == 0)
		return false;
	char name[256];
	size_t len = (size_t)(eq - entry);
	if (len >= sizeof name)
		return true;
	memcpy(name, entry, len);
	name[len] = '\0';
	const char *caller = envlist_get(&plan->caller, name);
	return !caller || strcmp(caller, eq + 1) != 0;
}

static int find_after(const struct ci_plan *plan, size_t *after, bool *wanted, cibox_error *err)
{
	const char *named = envlist_get(&plan->env, "CI_ROOT_LAYER_AFTER");
	*wanted = false;
	if (named && strcmp(named, "none") == 0)
		return 0;
	for (size_t i = 0; i < plan->nsteps; i++) {
		bool match = named && *named ? strcmp(plan->steps[i].name, named) == 0
					     : strstr(plan->steps[i].name, "install") != NULL;
		if (match) {
			*after = i;
			*wanted = true;
		}
	}
	if (named && *named && !*wanted)
		return error_set(err, -EINVAL, "CI_ROOT_LAYER_AFTER: no step %s in ci/%s", named,
				 plan->stage);
	return 0;
}

int layer_plan(const struct ci_plan *plan, const char *root_id, struct layer_plan *out,
	       cibox_error *err)
{
	memset(out, 0, sizeof *out);
	int rc = find_after(plan, &out->after, &out->wanted, err);
	if (rc < 0 || !out->wanted)
		return rc;
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	add_field(&ctx, root_id, strlen(root_id));
	for (size_t i = 0; plan->env.vars && plan->env.vars[i]; i++)
		if (configuration_variable(plan, plan->env.vars[i]))
			add_field(&ctx, plan->env.vars[i], strlen(plan->env.vars[i]));
	for (size_t i = 0; i <= out->after; i++) {
		add_field(&ctx, plan->steps[i].name, strlen(plan->steps[i].name));
		if ((rc = add_file(&ctx, plan->steps[i].path, err)) < 0)
			return rc;
	}
	uint8_t digest[SHA256_DIGEST_SIZE];
	sha256_digest(&ctx, sizeof digest, digest);
	char key[2 * SHA256_DIGEST_SIZE + 1], base[PATH_MAX], project[NAME_MAX];
	for (size_t i = 0; i < sizeof digest; i++)
		snprintf(key + 2 * i, 3, "%02x", digest[i]);
	if ((rc = xdg_path(XDG_CACHE, "layers", base, sizeof base)) < 0)
		return error_set(err, rc, "no folder for root layers: set HOME or XDG_CACHE_HOME");
	cache_project_name(plan->root, project, sizeof project);
	char dir[PATH_MAX], name[NAME_MAX], folder[PATH_MAX];
	if (snprintf(dir, sizeof dir, "%s/%s", base, project) >= (int)sizeof dir ||
	    snprintf(name, sizeof name, "%s-%.32s", plan->config, key) >= (int)sizeof name ||
	    snprintf(folder, sizeof folder, "%s/%s", dir, name) >= (int)sizeof folder)
		return error_set(err, -ENAMETOOLONG, "the root layer's path is too long");
	out->project_dir = strdup(dir);
	out->name = strdup(name);
	out->folder = strdup(folder);
	if (!out->project_dir || !out->name || !out->folder) {
		layer_plan_free(out);
		return error_set(err, -ENOMEM, "out of memory");
	}
	struct stat st;
	char whole[PATH_MAX + 8];
	snprintf(whole, sizeof whole, "%s/root", folder);
	out->exists = lstat(whole, &st) == 0 && S_ISDIR(st.st_mode);
	return 0;
}

/* --- the copy, inside the jail --- */

struct keep {
	long long bytes;
	int failed;
};

static void copy_xattrs(int from, int to)
{
	char names[4096];
	ssize_t len = flistxattr(from, names, sizeof names);
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(names + i) + 1) {
		/* overlayfs's marks (opaque folders, redirects) are user.overlay.*
		 * in a user namespace; security.* and the like are not ours to copy. */
		if (strncmp(names + i, "user.", 5) != 0)
			continue;
		char value[4096];
		ssize_t n = fgetxattr(from, names + i, value, sizeof value);
		if (n >= 0)
			fsetxattr(to, names + i, value, (size_t)n, 0);
	}
}

static void keep_attributes(int fd, const struct stat *st)
{
	fchown(fd, st->st_uid, st->st_gid);
	fchmod(fd, st->st_mode & 07777);
	struct timespec times[2] = { st->st_atim, st->st_mtim };
	futimens(fd, times);
}

static int copy_data(int from_dir, int to_dir, const char *name, const struct stat *st,
		     struct keep *k)
{
	/* Swapped for a fifo since it was looked at, it would stall the copy:
	 * opened without blocking, and only a plain file is read. */
	int in = openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (in < 0)
		return -errno;
	struct stat now;
	if (fstat(in, &now) < 0 || !S_ISREG(now.st_mode)) {
		close(in);
		return -EINVAL;
	}
	int out = openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0) {
		int rc = -errno;
		close(in);
		return rc;
	}
	/* Only the data: a sparse file the steps made for nothing (truncate
	 * -s 100T) would otherwise fill the disk with its zeros. No more than
	 * the file held when looked at: a process the install steps left
	 * running may go on writing it. */
	char buf[1 << 16];
	int rc = 0;
	off_t end = st->st_size, at = 0;
	while (rc == 0 && at < end) {
		off_t data = lseek(in, at, SEEK_DATA);
		if (data < 0 || data >= end)
			break; /* the rest is a hole (or the file shrank) */
		off_t hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0 || hole > end)
			hole = end;
		if (lseek(in, data, SEEK_SET) < 0 || lseek(out, data, SEEK_SET) < 0) {
			rc = -errno;
			break;
		}
		for (at = data; at < hole;) {
			ssize_t n = read(in, buf,
					 hole - at < (off_t)sizeof buf ? (size_t)(hole - at)
								       : sizeof buf);
			if (n <= 0) {
				at = hole;
				break;
			}
			if (write(out, buf, (size_t)n) != n) {
				rc = -EIO;
				break;
			}
			at += n;
		}
	}
	if (rc == 0 && ftruncate(out, end) < 0)
		rc = -errno;
	k->bytes += (long long)st->st_blocks * 512;
	copy_xattrs(in, out);
	keep_attributes(out, st);
	close(in);
	if (close(out) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

static void copy_tree(int from, int to, struct keep *k);

static int copy_entry(int from, int to, const char *name, struct keep *k)
{
	struct stat st;
	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(to, name, 0700) < 0 && errno != EEXIST)
			return -errno;
		int sub_from = openat(from, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int sub_to = openat(to, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int rc = sub_from < 0 || sub_to < 0 ? -errno : 0;
		if (rc == 0) {
			copy_tree(sub_from, sub_to, k);
			copy_xattrs(sub_from, sub_to);
			keep_attributes(sub_to, &st);
		}
		if (sub_from >= 0)
			close(sub_from);
		if (sub_to >= 0)
			close(sub_to);
		return rc;
	}
	if (S_ISLNK(st.st_mode)) {
		char link[PATH_MAX];
		ssize_t n = readlinkat(from, name, link, sizeof link - 1);
		if (n < 0)
			return -errno;
		link[n] = '\0';
		if (symlinkat(link, to, name) < 0)
			return -errno;
		fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
		return 0;
	}
	if (S_ISREG(st.st_mode))
		return copy_data(from, to, name, &st, k);
	/* A deletion (overlayfs's whiteout, a 0:0 character device), a
	 * device, a fifo or a socket a step made: kept as such. */
	if (mknodat(to, name, st.st_mode, st.st_rdev) < 0)
		return -errno;
	fchownat(to, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
	return 0;
}

static void copy_tree(int from, int to, struct keep *k)
{
	int fd = dup(from);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		k->failed = k->failed ? k->failed : -errno;
		return;
	}
	for (struct dirent *e; (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		int rc = copy_entry(from, to, e->d_name, k);
		if (rc < 0 && !k->failed)
			k->failed = rc;
	}
	closedir(d);
}

/* Makes the folders of `path` (absolute in the root) under `to`. */
static int open_path(int to, const char *path)
{
	int fd = dup(to);
	char copy[PATH_MAX];
	snprintf(copy, sizeof copy, "%s", path);
	for (char *save = NULL, *part = strtok_r(copy, "/", &save); fd >= 0 && part;
	     part = strtok_r(NULL, "/", &save)) {
		if (mkdirat(fd, part, 0755) < 0 && errno != EEXIST) {
			close(fd);
			return -errno;
		}
		int next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd < 0 ? -errno : fd;
}

static int copy_changes(int changes, int root, struct keep *k)
{
	int fd = openat(changes, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	for (struct dirent *e; !k->failed && (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char where[PATH_MAX + 16], path[PATH_MAX];
		snprintf(where, sizeof where, "%s/path", e->d_name);
		int p = openat(changes, where, O_RDONLY | O_CLOEXEC);
		ssize_t n = p < 0 ? -1 : read(p, path, sizeof path - 1);
		if (p >= 0)
			close(p);
		if (n <= 0)
			continue;
		path[n] = '\0';
		snprintf(where, sizeof where, "%s/upper", e->d_name);
		int upper = openat(changes, where, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int target = upper < 0 ? -1 : open_path(root, path);
		if (upper >= 0 && target >= 0) {
			copy_tree(upper, target, k);
			copy_xattrs(upper, target);
		} else if (!k->failed) {
			k->failed = upper < 0 ? -errno : target;
		}
		if (upper >= 0)
			close(upper);
		if (target >= 0)
			close(target);
	}
	closedir(d);
	return k->failed;
}

long long layer_keep(int changes, int project_fd, const char *name, cibox_error *err)
{
	char tmp[NAME_MAX + 16];
	int rc;
	/* Unique among runs (a run's pid in its jail is not): the time. */
	for (int attempt = 0;; attempt++) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		snprintf(tmp, sizeof tmp, ".%s-%lx%02x", name, (unsigned long)now.tv_nsec, attempt);
		if (mkdirat(project_fd, tmp, 0700) == 0)
			break;
		if (errno != EEXIST || attempt > 16)
			return error_set(err, -errno, "cannot keep the root layer: %s",
					 strerror(errno));
	}
	int dir = beneath_open(project_fd, tmp, O_RDONLY | O_DIRECTORY, 0);
	int root = dir < 0 ? dir
			   : (mkdirat(dir, "root", 0755) == 0
				      ? beneath_open(dir, "root", O_RDONLY | O_DIRECTORY, 0)
				      : -errno);
	struct keep k = { 0, 0 };
	rc = root < 0 ? root : copy_changes(changes, root, &k);
	if (root >= 0)
		close(root);
	if (dir >= 0)
		close(dir);
	if (rc == 0 && renameat(project_fd, tmp, project_fd, name) < 0) {
		rc = errno == EEXIST || errno == ENOTEMPTY ? 1 : -errno;
	}
	if (rc != 0)
		beneath_remove(project_fd, tmp);
	if (rc < 0)
		return error_set(err, rc, "cannot keep the root layer: %s", strerror(-rc));
	return rc == 1 ? 0 : k.bytes;
}
