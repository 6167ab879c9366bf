#include "jail/image.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/error.h"
#include "util/fs.h"
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
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

int image_path(const char *name, char *buf, size_t size, cibox_error *err)
{
	if (!valid_name(name))
		return error_set(err, -EINVAL,
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
		return error_set(err, -ENOENT, strchr(name_or_path, '/')
					       ? "root filesystem %s: not a folder"
					       : "no image '%s' (see cibox image ls)", name_or_path);
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

int image_build(const struct image_build_options *o, cibox_error *err)
{
	char final[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX + 16], mirror[400];
	int rc = image_path(o->name, final, sizeof final, err);
	if (rc < 0)
		return rc;
	if (access(final, F_OK) == 0)
		return error_set(err, -EEXIST, "image '%s' exists (cibox image rm %s first)", o->name,
				 o->name);
	if (geteuid() != 0)
		return error_set(err, -EOPNOTSUPP,
				 "building an image needs root: debootstrap creates device nodes and files of "
				 "other owners; run it as root (sudo cibox image build ...)");
	if (access("/usr/sbin/debootstrap", X_OK) < 0)
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

	char include[512] = "";
	if (o->include)
		snprintf(include, sizeof include, "--include=%s", o->include);
	char *argv[] = { "debootstrap", "--variant=minbase", include, (char *)o->suite, tmp, mirror,
			 NULL };
	if (!o->include)
		memmove(&argv[2], &argv[3], 4 * sizeof argv[0]);
	pid_t pid = fork();
	if (pid == 0) {
		execv("/usr/sbin/debootstrap", argv);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fs_remove_tree(tmp);
		return error_set(err, -EIO, "debootstrap failed to build '%s' (%s from %s)", o->name,
				 o->suite, mirror);
	}
	if (chmod(tmp, 0755) < 0 || rename(tmp, final) < 0) {
		rc = error_set(err, -errno, "%s: %s", final, strerror(errno));
		fs_remove_tree(tmp);
		return rc;
	}
	return 0;
}

int image_remove(const char *name, cibox_error *err)
{
	char path[PATH_MAX];
	int rc = image_path(name, path, sizeof path, err);
	if (rc < 0)
		return rc;
	if (access(path, F_OK) < 0)
		return error_set(err, -ENOENT, "no image '%s' (see cibox image ls)", name);
	if ((rc = fs_remove_tree(path)) < 0)
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
