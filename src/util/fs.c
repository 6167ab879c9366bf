#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/beneath.h"

int fs_make_folders(const char *path, mode_t mode)
{
	char copy[PATH_MAX];
	if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy)
		return -ENAMETOOLONG;
	for (char *slash = copy + 1; (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return -errno;
		*slash = '/';
	}
	return mkdir(copy, mode) < 0 && errno != EEXIST ? -errno : 0;
}

int fs_write_atomically_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			   enum fs_durability durability)
{
	char tmp[NAME_MAX + 1];
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	int fd = -1;
	/* A fresh name each try, created where nothing was: O_EXCL follows no
	 * link planted at it. */
	for (unsigned n = 0; fd < 0 && n < 100; n++) {
		if (snprintf(tmp, sizeof tmp, ".%.200s.%ld.%lx", name, (long)getpid(),
			     (unsigned long)t.tv_nsec + n) >= (int)sizeof tmp)
			return -ENAMETOOLONG;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	const char *p = data;
	size_t off = 0;
	int rc = 0;
	while (off < len && rc == 0) {
		ssize_t n = write(fd, p + off, len - off);
		if (n < 0 && errno != EINTR)
			rc = -errno;
		else if (n > 0)
			off += (size_t)n;
	}
	if (rc == 0 && (fchmod(fd, mode) < 0 || (durability == FS_DURABLE && fsync(fd) < 0)))
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	/* rename replaces a link at `name`; it never writes where one leads. */
	if (rc == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (rc < 0)
		unlinkat(dirfd, tmp, 0);
	return rc;
}

int fs_write_atomically(const char *path, const void *data, size_t len, mode_t mode,
			enum fs_durability durability)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return -ENAMETOOLONG;
	char *slash = strrchr(dir, '/');
	const char *name = slash ? slash + 1 : dir;
	if (slash)
		*slash = '\0';
	int dirfd = open(!slash         ? "."
			 : slash == dir ? "/"
					: dir,
			 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	int rc = fs_write_atomically_at(dirfd, name, data, len, mode, durability);
	close(dirfd);
	return rc;
}

int fs_remove_tree(const char *path)
{
	char parent[PATH_MAX];
	if (snprintf(parent, sizeof parent, "%s", path) >= (int)sizeof parent)
		return -ENAMETOOLONG;
	char *slash = strrchr(parent, '/');
	const char *name = slash ? slash + 1 : parent;
	if (slash)
		*slash = '\0';
	int dirfd = open(!slash            ? "."
			 : slash == parent ? "/"
					   : parent,
			 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? 0 : -errno;
	int rc = beneath_remove(dirfd, name);
	close(dirfd);
	return rc;
}

/* nftw has no context argument. */
static struct fs_usage usage_sum;

static int add_usage(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path;
	(void)ftw;
	usage_sum.bytes += (uint64_t)st->st_blocks * 512;
	if (flag != FTW_D && flag != FTW_DNR)
		usage_sum.files++;
	if (st->st_mtime > usage_sum.newest)
		usage_sum.newest = st->st_mtime;
	return 0;
}

void fs_tree_usage(const char *path, struct fs_usage *usage)
{
	memset(&usage_sum, 0, sizeof usage_sum);
	nftw(path, add_usage, 32, FTW_PHYS);
	*usage = usage_sum;
}
