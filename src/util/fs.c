#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int fs_write_atomically(const char *path, const void *data, size_t len, mode_t mode,
			enum fs_durability durability)
{
	char tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (snprintf(tmp, sizeof tmp, "%.*s.%s.XXXXXX", slash ? (int)(slash - path + 1) : 0, path,
		     slash ? slash + 1 : path) >= (int)sizeof tmp)
		return -ENAMETOOLONG;
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
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
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static int open_up(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if ((flag == FTW_D || flag == FTW_DNR) && (st->st_mode & S_IRWXU) != S_IRWXU)
		chmod(path, (st->st_mode & 07777) | S_IRWXU);
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int fs_remove_tree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		chmod(path, (st.st_mode & 07777) | S_IRWXU); /* nftw must enter it to open the rest */
		nftw(path, open_up, 32, FTW_PHYS);
	}
	return nftw(path, remove_entry, 32, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT ? -errno : 0;
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
