#include "ci/gitdirs.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/error.h"

/* The first line of a small file, without its newline. */
static bool first_line(const char *path, char *line, size_t size)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool ok = fgets(line, (int)size, f) != NULL;
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	return ok && *line;
}

/* `path` as the kernel finds it, relative paths taken from `base`. */
static bool resolve(const char *base, const char *path, char out[PATH_MAX])
{
	char joined[PATH_MAX];
	int n = snprintf(joined, sizeof joined, "%s%s%s", path[0] == '/' ? "" : base,
			 path[0] == '/' ? "" : "/", path);
	return n > 0 && (size_t)n < sizeof joined && realpath(joined, out) != NULL;
}

static bool within(const char *path, const char *folder)
{
	size_t n = strlen(folder);
	return strncmp(path, folder, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static bool exists(const char *folder, const char *name, mode_t type)
{
	char path[PATH_MAX + 32];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", folder, name);
	return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == type;
}

/* The tree's .git file is not git's alone to write (an --in-place run's
 * step, an unpacked archive): one naming any folder would have it shown to
 * the steps, ~/.ssh or /root included. Only a git folder is taken: HEAD,
 * and objects/ or a commondir file; a worktree's (it has a commondir) must
 * also name this tree back in its gitdir file, as git writes it. */
static bool git_folder(const char *dir, const char *dotgit)
{
	if (!exists(dir, "HEAD", S_IFREG))
		return false;
	if (!exists(dir, "commondir", S_IFREG))
		return exists(dir, "objects", S_IFDIR);
	char back[PATH_MAX + 16], line[PATH_MAX + 16], resolved[PATH_MAX], ours[PATH_MAX];
	snprintf(back, sizeof back, "%s/gitdir", dir);
	return first_line(back, line, sizeof line) && resolve(dir, line, resolved) &&
	       realpath(dotgit, ours) && strcmp(resolved, ours) == 0;
}

int gitdirs_outside(const char *tree, char ***dirs, size_t *count, cibox_error *err)
{
	*dirs = NULL;
	*count = 0;
	char dotgit[PATH_MAX + 8], line[PATH_MAX + 16], gitdir[PATH_MAX], common[PATH_MAX];
	struct stat st;
	snprintf(dotgit, sizeof dotgit, "%s/.git", tree);
	if (lstat(dotgit, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !first_line(dotgit, line, sizeof line) || strncmp(line, "gitdir: ", 8) != 0 ||
	    !resolve(tree, line + 8, gitdir) || !git_folder(gitdir, dotgit))
		return 0;
	char commondir[PATH_MAX + 16];
	snprintf(commondir, sizeof commondir, "%s/commondir", gitdir);
	const char *found[2] = { gitdir, NULL };
	if (first_line(commondir, line, sizeof line) && resolve(gitdir, line, common) &&
	    exists(common, "HEAD", S_IFREG) && exists(common, "objects", S_IFDIR)) {
		/* The worktree's own folder lies in the common one, as a rule. */
		if (within(gitdir, common))
			found[0] = common;
		else if (!within(common, gitdir))
			found[1] = common;
	}
	char **out = calloc(2, sizeof *out);
	if (!out)
		return error_set(err, -ENOMEM, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < 2; i++) {
		if (!found[i] || within(found[i], tree))
			continue;
		if (!(out[n++] = strdup(found[i]))) {
			gitdirs_free(out, n - 1);
			return error_set(err, -ENOMEM, "out of memory");
		}
	}
	*dirs = out;
	*count = n;
	return 0;
}

void gitdirs_free(char **dirs, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(dirs[i]);
	free(dirs);
}
