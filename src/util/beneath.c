#include "util/beneath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Kernels before 5.6 lack openat2: one component at a time, each refused
 * when it is a link. Slower, and as strict for what this module opens. */
static int open_walk(int dirfd, const char *path, int flags, mode_t mode)
{
	char copy[PATH_MAX];
	if (snprintf(copy, sizeof copy, "%s", path) >= (int)sizeof copy)
		return -ENAMETOOLONG;
	if (copy[0] == '/')
		return -EXDEV;
	int at = dirfd, rc = 0;
	char *save = NULL, *part = strtok_r(copy, "/", &save);
	while (part && rc >= 0) {
		char *next = strtok_r(NULL, "/", &save);
		int fd;
		if (strcmp(part, "..") == 0)
			fd = -1, errno = EXDEV;
		else if (next)
			fd = openat(at, part, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		else
			fd = openat(at, part, flags | O_NOFOLLOW | O_CLOEXEC, mode);
		rc = fd < 0 ? -errno : fd;
		if (at != dirfd)
			close(at);
		at = fd;
		part = next;
	}
	return rc;
}

int beneath_open(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_NOFOLLOW | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
	if (fd >= 0)
		return (int)fd;
	return errno == ENOSYS ? open_walk(dirfd, path, flags, mode) : -errno;
}

int beneath_create(int dirfd, const char *path, mode_t mode)
{
	/* Not blocking: a named pipe in its place would wait for a reader. */
	int fd = beneath_open(dirfd, path, O_WRONLY | O_CREAT | O_NOCTTY | O_NONBLOCK, mode);
	if (fd < 0)
		return fd == -ENXIO ? -EEXIST : fd;
	struct stat st;
	int rc = 0;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
		rc = -EEXIST;
	else if (ftruncate(fd, 0) < 0 || fcntl(fd, F_SETFL, 0) < 0)
		rc = -errno;
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* u+rwx for the folder `name` held open as `path`: through the descriptor,
 * not the name, which a link may have taken over since. */
static int open_up(int path)
{
	struct stat st;
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", path);
	if (fstat(path, &st) < 0 || chmod(proc, (st.st_mode & 07777) | S_IRWXU) < 0)
		return -errno;
	return 0;
}

int beneath_open_up(int dirfd, const char *path)
{
	int fd = beneath_open(dirfd, path, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	int rc = open_up(fd);
	close(fd);
	return rc;
}
/* A folder cibox must enter to empty, opened up if need be. */
static int open_folder(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES)
		/* cppcheck-suppress resourceLeak ; fd is returned */
		return fd < 0 ? -errno : fd;
	int path = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (path < 0)
		return -errno;
	open_up(path);
	fd = openat(path, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd < 0 ? -errno : fd;
	close(path);
	/* cppcheck-suppress resourceLeak ; fd is returned, as rc */
	return rc;
}

int beneath_remove(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR)
		return -errno;
	int fd = open_folder(dirfd, name);
	if (fd == -ENOTDIR || fd == -ELOOP) /* no longer a folder: a link took its place */
		return unlinkat(dirfd, name, 0) == 0 || errno == ENOENT ? 0 : -errno;
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	DIR *d = fdopendir(fd);
	if (!d) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	int rc = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		int gone = beneath_remove(fd, e->d_name);
		if (rc == 0)
			rc = gone;
	}
	closedir(d);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && rc == 0)
		rc = -errno;
	return rc;
}

const char *beneath_strerror(int rc)
{
	switch (rc) {
	case -ELOOP: return "a symbolic link is in its place, refused";
	case -EEXIST: return "something cibox did not make is in its place, refused";
	case -EXDEV: return "it leads out of its folder, refused";
	default: return strerror(-rc);
	}
}
