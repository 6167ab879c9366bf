#include "jail/image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail/idmap.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/run_command.h"
#include "util/xdg.h"

#define DEFAULT_MIRROR "http://deb.debian.org/debian"

static int images_dir(char *buf, size_t size, cibox_error *err)
{
	int rc = xdg_path(XDG_DATA, "images", buf, size);
	if (rc < 0)
		return error_set(err, rc, "no folder for images: set HOME or XDG_DATA_HOME");
	return 0;
}

static bool valid_name(const char *name)
{
	if (!*name || name[0] == '.' || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

int image_path(const char *name, char *buf, size_t size, cibox_error *err)
{
	if (!valid_name(name))
		return error_set(
			err, -EINVAL,
			"bad image name '%s' (letters, digits, '.', '-', '_'; not starting with '.')",
			name);
	char dir[PATH_MAX];
	int rc = images_dir(dir, sizeof dir, err);
	if (rc < 0)
		return rc;
	if (snprintf(buf, size, "%s/%s", dir, name) >= (int)size)
		return error_set(err, -ENAMETOOLONG, "image path too long");
	return 0;
}

int image_resolve(const char *name_or_path, char *buf, size_t size, cibox_error *err)
{
	char path[PATH_MAX];
	if (strchr(name_or_path, '/')) {
		snprintf(path, sizeof path, "%s", name_or_path);
	} else {
		int rc = image_path(name_or_path, path, sizeof path, err);
		if (rc < 0)
			return rc;
	}
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return error_set(err, -ENOENT,
				 strchr(name_or_path, '/')
					 ? "root filesystem %s: not a folder"
					 : "no image '%s'; build it with: cibox image build %s",
				 name_or_path, name_or_path);
	if (!realpath(path, buf) || strlen(buf) >= size)
		return error_set(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

/* The first Debian archive named in apt's sources, so an image comes from
 * the mirror this machine already uses. */
static void machine_mirror(char *buf, size_t size)
{
	static const char *const files[] = { "/etc/apt/sources.list.d/debian.sources",
					     "/etc/apt/sources.list" };
	snprintf(buf, size, "%s", DEFAULT_MIRROR);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		FILE *f = fopen(files[i], "re");
		char line[512], uri[400];
		while (f && fgets(line, sizeof line, f)) {
			if ((sscanf(line, "URIs: %399s", uri) == 1 ||
			     sscanf(line, "deb %399s", uri) == 1 ||
			     sscanf(line, "deb [%*[^]]] %399s", uri) == 1) &&
			    strstr(uri, "/debian") && !strstr(uri, "security")) {
				snprintf(buf, size, "%s", uri);
				fclose(f);
				return;
			}
		}
		if (f)
			fclose(f);
	}
}

/* In a user namespace of the caller's ranges, as root there: unpacks the
 * root mmdebstrap streams as a tarball, so that every file gets the id the
 * jail will show it as (root's files the caller's own). Device nodes are
 * left out: no user namespace may make them, and the jail has its own /dev. */
struct unpack {
	int in;
	const char *dir;
};

static int unpack(void *arg)
{
	const struct unpack *u = arg;
	char *argv[] = { "tar", "-x",           "--numeric-owner",   "-p",
			 "-C",  (char *)u->dir, "--exclude=./dev/*", NULL };
	struct runcmd tar = RUNCMD_INIT;
	tar.argv = argv;
	tar.program = "/bin/tar";
	tar.in = RUNCMD_TO_FD(u->in);
	int status;
	int rc = runcmd_run(&tar, &status, NULL);
	if (rc < 0)
		return rc;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/* A normal user's image: mmdebstrap's unshare mode, which builds in a user
 * namespace of the user's subuid ranges. Its progress goes to the caller's
 * stderr and into `log`. */
static int unshared_ready(struct idmap *map, cibox_error *err)
{
	char why[320];
	if (idmap_for_caller(map, NULL, NULL, why, sizeof why, err) <= 0)
		return error_set(err, -EOPNOTSUPP,
				 "building an image as a normal user takes subuid ranges: %s", why);
	if (access("/usr/bin/mmdebstrap", X_OK) < 0)
		return error_set(err, -EOPNOTSUPP,
				 "mmdebstrap is not installed: sudo apt-get install mmdebstrap");
	return 0;
}

static int build_unshared(const struct image_build_options *o, const struct idmap *map,
			  const char *tmp, const char *mirror, const char *log, cibox_error *err)
{
	int stream[2], talk[2];
	if (pipe2(stream, O_CLOEXEC) < 0)
		return error_set(err, -errno, "pipe: %s", strerror(errno));
	if (pipe2(talk, O_CLOEXEC) < 0) {
		close(stream[0]);
		close(stream[1]);
		return error_set(err, -errno, "pipe: %s", strerror(errno));
	}
	char include[512] = "";
	if (o->include)
		snprintf(include, sizeof include, "--include=%s", o->include);
	char *argv[] = { "mmdebstrap",
			 "--mode=unshare",
			 "--variant=minbase",
			 "--format=tar",
			 include,
			 (char *)o->suite,
			 "-",
			 (char *)mirror,
			 NULL };
	if (!o->include)
		memmove(&argv[4], &argv[5], 4 * sizeof argv[0]);
	struct runcmd builder = RUNCMD_INIT;
	builder.argv = argv;
	builder.program = "/usr/bin/mmdebstrap";
	builder.out = RUNCMD_TO_FD(stream[1]);
	builder.err = RUNCMD_TO_FD(talk[1]);
	int started = runcmd_start(&builder, err);
	close(stream[1]);
	close(talk[1]);
	pid_t unpacker = started < 0 ? -1 : fork();
	if (unpacker == 0) {
		close(talk[0]);
		struct unpack u = { stream[0], tmp };
		cibox_error ignored;
		_exit(idmap_call(map, unpack, &u, &ignored) == 0 ? 0 : 1);
	}
	close(stream[0]);
	int logfd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	char buf[4096];
	ssize_t n;
	while ((n = read(talk[0], buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		ssize_t unused = write(2, buf, (size_t)n);
		if (logfd >= 0)
			unused = write(logfd, buf, (size_t)n);
		(void)unused;
	}
	close(talk[0]);
	if (logfd >= 0)
		close(logfd);
	int built = 1, unpacked = 1;
	int waited = started < 0 ? started : runcmd_finish(&builder, &built, err);
	if (unpacker > 0)
		while (waitpid(unpacker, &unpacked, 0) < 0 && errno == EINTR)
			;
	if (waited < 0)
		return waited;
	if (unpacker < 0)
		return error_set(err, -EAGAIN, "cannot start mmdebstrap's unpacker: %s",
				 strerror(errno));
	if (!WIFEXITED(built) || WEXITSTATUS(built) || !WIFEXITED(unpacked) || WEXITSTATUS(unpacked))
		return error_set(err, -EIO,
				 "mmdebstrap failed to build '%s' (%s from %s); its log: %s",
				 o->name, o->suite, mirror, log);
	return 0;
}

/* A whole image, renamed into place. */
static int finish(const char *tmp, const char *final, cibox_error *err)
{
	if (chmod(tmp, 0755) < 0 || rename(tmp, final) < 0) {
		int rc = error_set(err, -errno, "%s: %s", final, strerror(errno));
		idmap_remove_tree(tmp);
		return rc;
	}
	return 0;
}

int image_build(const struct image_build_options *o, cibox_error *err)
{
	char final[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX + 16], mirror[400];
	int rc = image_path(o->name, final, sizeof final, err);
	if (rc < 0)
		return rc;
	if (access(final, F_OK) == 0)
		return error_set(err, -EEXIST, "image '%s' exists (cibox image rm %s first)",
				 o->name, o->name);
	struct idmap map;
	if (geteuid() != 0 && (rc = unshared_ready(&map, err)) < 0)
		return rc;
	if (geteuid() == 0 && access("/usr/sbin/debootstrap", X_OK) < 0)
		return error_set(err, -EOPNOTSUPP,
				 "debootstrap is not installed: apt-get install debootstrap");
	images_dir(dir, sizeof dir, err);
	if ((rc = fs_make_folders(dir, 0755)) < 0)
		return error_set(err, rc, "%s: %s", dir, strerror(-rc));
	snprintf(tmp, sizeof tmp, "%s/.%s-XXXXXX", dir, o->name);
	if (!mkdtemp(tmp))
		return error_set(err, -errno, "%s: %s", dir, strerror(errno));
	if (o->mirror)
		snprintf(mirror, sizeof mirror, "%s", o->mirror);
	else
		machine_mirror(mirror, sizeof mirror);
	if (geteuid() != 0) {
		char log[PATH_MAX + 16];
		snprintf(log, sizeof log, "%s/.%s.log", dir, o->name);
		if ((rc = build_unshared(o, &map, tmp, mirror, log, err)) < 0) {
			idmap_remove_tree(tmp);
			return rc;
		}
		return finish(tmp, final, err);
	}

	char include[512] = "";
	if (o->include)
		snprintf(include, sizeof include, "--include=%s", o->include);
	char *argv[] = { "debootstrap", "--variant=minbase", include, (char *)o->suite, tmp, mirror,
			 NULL };
	if (!o->include)
		memmove(&argv[2], &argv[3], 4 * sizeof argv[0]);
	struct runcmd debootstrap = RUNCMD_INIT;
	debootstrap.argv = argv;
	debootstrap.program = "/usr/sbin/debootstrap";
	int status = 0;
	if (runcmd_run(&debootstrap, &status, NULL) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fs_remove_tree(tmp);
		return error_set(err, -EIO, "debootstrap failed to build '%s' (%s from %s)",
				 o->name, o->suite, mirror);
	}
	return finish(tmp, final, err);
}

int image_remove(const char *name, cibox_error *err)
{
	char path[PATH_MAX];
	int rc = image_path(name, path, sizeof path, err);
	if (rc < 0)
		return rc;
	if (access(path, F_OK) < 0)
		return error_set(err, -ENOENT, "no image '%s' (see cibox image ls)", name);
	if ((rc = idmap_remove_tree(path)) < 0)
		return error_set(err, rc, "cannot remove %s: %s", path, strerror(-rc));
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int is_image(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

int image_list(image_visit_fn visit, void *context, cibox_error *err)
{
	char dir[PATH_MAX];
	int rc = images_dir(dir, sizeof dir, err);
	if (rc < 0)
		return rc;
	struct dirent **entries;
	int n = scandir(dir, &entries, is_image, by_name);
	if (n < 0)
		return errno == ENOENT ? 0 : error_set(err, -errno, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX + 256];
		snprintf(path, sizeof path, "%s/%s", dir, entries[i]->d_name);
		struct fs_usage usage;
		fs_tree_usage(path, &usage);
		visit(entries[i]->d_name, usage.bytes, context);
		free(entries[i]);
	}
	free(entries);
	return 0;
}
