#include "ci/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail/idmap.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xdg.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * FNV_PRIME;
	return h;
}

/* The folders of caches or root layers ("caches", "layers") under
 * $XDG_CACHE_HOME/cibox. */
static int base_dir(const char *which, char *buf, size_t size, cibox_error *err)
{
	int rc = xdg_path(XDG_CACHE, which, buf, size);
	return rc < 0 ? error_set(err, rc, "no folder for caches: set HOME or XDG_CACHE_HOME") : 0;
}

int cache_project_name(const char *root, char *buf, size_t size)
{
	const char *base = strrchr(root, '/');
	base = base && base[1] ? base + 1 : root;
	uint64_t h = fnv(FNV_OFFSET, root, strlen(root));
	int n = snprintf(buf, size, "%s-%08llx", base, (unsigned long long)(h & 0xffffffffULL));
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The content of every file the globs match, in a fixed order, and their names. */
static int key_hash(const char *root, const char *globs, uint64_t *out, cibox_error *err)
{
	uint64_t h = FNV_OFFSET;
	char *copy = strdup(globs ? globs : "");
	if (!copy)
		return error_set(err, -ENOMEM, "out of memory");
	for (char *save = NULL, *pattern = strtok_r(copy, " \t\n", &save); pattern;
	     pattern = strtok_r(NULL, " \t\n", &save)) {
		char full[PATH_MAX];
		snprintf(full, sizeof full, "%s%s%s", pattern[0] == '/' ? "" : root,
			 pattern[0] == '/' ? "" : "/", pattern);
		glob_t g;
		int grc = glob(full, 0, NULL, &g);
		if (grc == GLOB_NOMATCH) {
			h = fnv(h, pattern, strlen(pattern) + 1); /* "matched nothing" is a state too */
			continue;
		}
		if (grc != 0) {
			free(copy);
			return error_set(err, -EINVAL, "CI_CACHE_KEY: cannot expand '%s'", pattern);
		}
		for (size_t i = 0; i < g.gl_pathc; i++) {
			h = fnv(h, g.gl_pathv[i], strlen(g.gl_pathv[i]) + 1);
			int fd = open(g.gl_pathv[i], O_RDONLY | O_CLOEXEC);
			char buf[65536];
			ssize_t n;
			while (fd >= 0 && (n = read(fd, buf, sizeof buf)) > 0)
				h = fnv(h, buf, (size_t)n);
			if (fd >= 0)
				close(fd);
		}
		globfree(&g);
	}
	free(copy);
	*out = h;
	return 0;
}

/* The folder of a configuration's caches, <caches>/<project>/<config>-<key>. */
static int config_folder(const char *root, const char *config, const envlist *env, char *buf,
			 size_t size, cibox_error *err)
{
	uint64_t key = 0;
	int rc = key_hash(root, envlist_get(env, "CI_CACHE_KEY"), &key, err);
	if (rc < 0)
		return rc;
	char base[PATH_MAX], project[NAME_MAX];
	if ((rc = base_dir("caches", base, sizeof base, err)) < 0)
		return rc;
	cache_project_name(root, project, sizeof project);
	if (snprintf(buf, size, "%s/%s/%s-%016llx", base, project, config,
		     (unsigned long long)key) >= (int)size)
		return error_set(err, -ENAMETOOLONG, "the cache folder's path is too long");
	return 0;
}

static bool uses_caches(const envlist *env)
{
	const char *dirs = envlist_get(env, "CI_CACHE_DIRS");
	char *copy = strdup(dirs ? dirs : CACHE_DEFAULT_DIRS);
	bool any = false;
	for (char *save = NULL, *var = copy ? strtok_r(copy, " \t\n,", &save) : NULL; var && !any;
	     var = strtok_r(NULL, " \t\n,", &save)) {
		const char *target = envlist_get(env, var);
		any = target && *target;
	}
	free(copy);
	return any;
}

int cache_lock(const char *root, const char *config, const envlist *env, bool wait, int *fd,
	       char **folder, cibox_error *err)
{
	*fd = -1;
	*folder = NULL;
	if (!uses_caches(env))
		return 0;
	char set[PATH_MAX];
	int rc = config_folder(root, config, env, set, sizeof set, err);
	if (rc < 0)
		return rc;
	if (!(*folder = strdup(set)))
		return error_set(err, -ENOMEM, "out of memory");
	if ((rc = fs_make_folders(set, 0755)) < 0)
		return error_set(err, rc, "cannot make the cache %s: %s", set, strerror(-rc));
	int lock = open(set, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lock < 0)
		return error_set(err, -errno, "%s: %s", set, strerror(errno));
	while ((rc = flock(lock, LOCK_EX | (wait ? 0 : LOCK_NB))) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		rc = -errno;
		close(lock);
		return rc == -EWOULDBLOCK ? rc : error_set(err, rc, "%s: %s", set, strerror(-rc));
	}
	*fd = lock;
	return 0;
}

void cache_mounts_free(struct cache_mount *mounts, size_t count)
{
	for (size_t i = 0; mounts && i < count; i++) {
		free(mounts[i].var);
		free(mounts[i].target);
		free(mounts[i].folder);
	}
	free(mounts);
}

int cache_prepare(const char *root, const char *config, const envlist *env,
		  struct cache_mount **mounts, size_t *count, cibox_error *err)
{
	*mounts = NULL;
	*count = 0;
	const char *dirs = envlist_get(env, "CI_CACHE_DIRS");
	if (!dirs)
		dirs = CACHE_DEFAULT_DIRS;
	char set[PATH_MAX];
	int rc = config_folder(root, config, env, set, sizeof set, err);
	if (rc < 0)
		return rc;

	char *copy = strdup(dirs);
	if (!copy)
		return error_set(err, -ENOMEM, "out of memory");
	for (char *save = NULL, *var = strtok_r(copy, " \t\n,", &save); var && rc == 0;
	     var = strtok_r(NULL, " \t\n,", &save)) {
		const char *target = envlist_get(env, var);
		if (!target || !*target)
			continue;
		if (target[0] != '/') {
			rc = error_set(err, -EINVAL,
				       "CI_CACHE_DIRS: %s must be an absolute path, not '%s'", var,
				       target);
			break;
		}
		char folder[PATH_MAX];
		if (snprintf(folder, sizeof folder, "%s/%s", set, var) >= (int)sizeof folder) {
			rc = error_set(err, -ENAMETOOLONG, "cache path too long for %s", var);
			break;
		}
		if ((rc = fs_make_folders(folder, 0755)) < 0) {
			rc = error_set(err, rc, "cannot make the cache %s: %s", folder,
				       strerror(-rc));
			break;
		}
		struct cache_mount *grown = realloc(*mounts, (*count + 1) * sizeof *grown);
		if (!grown) {
			rc = error_set(err, -ENOMEM, "out of memory");
			break;
		}
		*mounts = grown;
		grown[*count] = (struct cache_mount){ strdup(var), strdup(target), strdup(folder) };
		(*count)++;
		if (!grown[*count - 1].var || !grown[*count - 1].target || !grown[*count - 1].folder) {
			rc = error_set(err, -ENOMEM, "out of memory");
			break;
		}
	}
	free(copy);
	if (rc < 0) {
		cache_mounts_free(*mounts, *count);
		*mounts = NULL;
		*count = 0;
	}
	return rc;
}

static int visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int list_base(const char *which, cache_visit_fn visit, void *context, cibox_error *err)
{
	char base[PATH_MAX];
	int rc = base_dir(which, base, sizeof base, err);
	if (rc < 0)
		return rc;
	bool layers = strcmp(which, "layers") == 0;
	struct dirent **projects;
	int np = scandir(base, &projects, visible, by_name);
	if (np < 0)
		return errno == ENOENT ? 0 : error_set(err, -errno, "%s: %s", base, strerror(errno));
	for (int i = 0; i < np; i++) {
		char dir[PATH_MAX + 256];
		snprintf(dir, sizeof dir, "%s/%s", base, projects[i]->d_name);
		struct dirent **configs;
		int nc = scandir(dir, &configs, visible, by_name);
		for (int j = 0; j < nc; j++) {
			char path[PATH_MAX + 512], name[600];
			snprintf(path, sizeof path, "%s/%s", dir, configs[j]->d_name);
			/* A layer's key is long; its first 16 digits tell it apart. */
			snprintf(name, sizeof name, layers ? "%s/%.*s (root layer)" : "%s/%.*s",
				 projects[i]->d_name,
				 layers ? (int)(strlen(configs[j]->d_name) - 16)
					: (int)strlen(configs[j]->d_name),
				 configs[j]->d_name);
			struct fs_usage usage;
			fs_tree_usage(path, &usage);
			visit(name, usage.bytes, usage.newest, context);
			free(configs[j]);
		}
		if (nc >= 0)
			free(configs);
		free(projects[i]);
	}
	free(projects);
	return 0;
}

int cache_list(cache_visit_fn visit, void *context, cibox_error *err)
{
	int rc = list_base("caches", visit, context, err);
	return rc < 0 ? rc : list_base("layers", visit, context, err);
}

static int clear_base(const char *which, const char *project, cibox_error *err)
{
	char base[PATH_MAX];
	int rc = base_dir(which, base, sizeof base, err);
	if (rc < 0)
		return rc;
	struct dirent **projects;
	int np = scandir(base, &projects, visible, by_name);
	if (np < 0)
		return errno == ENOENT ? 0 : error_set(err, -errno, "%s: %s", base, strerror(errno));
	int removed = 0;
	for (int i = 0; i < np; i++) {
		if (!project || strcmp(project, projects[i]->d_name) == 0) {
			char path[PATH_MAX + 256];
			snprintf(path, sizeof path, "%s/%s", base, projects[i]->d_name);
			int gone = idmap_remove_tree(path);
			if (gone < 0 && rc == 0)
				rc = error_set(err, gone, "cannot remove %s: %s", path,
					       strerror(-gone));
			else if (gone == 0)
				removed++;
		}
		free(projects[i]);
	}
	free(projects);
	return rc < 0 ? rc : removed;
}

int cache_clear(const char *project, cibox_error *err)
{
	int caches = clear_base("caches", project, err);
	if (caches < 0)
		return caches;
	int layers = clear_base("layers", project, err);
	if (layers < 0)
		return layers;
	return caches > layers ? caches : layers;
}
