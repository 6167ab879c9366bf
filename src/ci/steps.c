#include "ci/steps.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ci/config.h"
#include "util/error.h"

bool steps_is_step_name(const char *name)
{
	size_t n = strlen(name);
	return n > 6 && name[0] == '0' && name[1] >= '1' && name[1] <= '9' && name[2] == '_' &&
	       strcmp(name + n - 3, ".sh") == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct ci_step *)a)->name, ((const struct ci_step *)b)->name);
}

int steps_find(struct ci_plan *plan, cibox_error *err)
{
	DIR *d = opendir(plan->stage_dir);
	if (!d)
		return error_set(err, -EINVAL, "%s: %s", config_display_path(plan, plan->stage_dir),
				 strerror(errno));
	size_t cap = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		if (!steps_is_step_name(e->d_name))
			continue;
		if (plan->nsteps == cap) {
			cap = cap ? cap * 2 : 16;
			struct ci_step *grown = realloc(plan->steps, cap * sizeof *grown);
			if (!grown) {
				rc = error_set(err, -ENOMEM, "out of memory");
				break;
			}
			plan->steps = grown;
		}
		struct ci_step *s = &plan->steps[plan->nsteps];
		*s = (struct ci_step){ .name = strdup(e->d_name) };
		if (s->name && asprintf(&s->path, "%s/%s", plan->stage_dir, e->d_name) < 0)
			s->path = NULL;
		plan->nsteps++;
		if (!s->name || !s->path) {
			rc = error_set(err, -ENOMEM, "out of memory");
			break;
		}
	}
	closedir(d);
	if (rc < 0)
		return rc;
	if (plan->nsteps == 0)
		return error_set(err, -EINVAL, "%s: no steps (files 0n_*.sh with n from 1 to 9)",
				 config_display_path(plan, plan->stage_dir));
	qsort(plan->steps, plan->nsteps, sizeof *plan->steps, by_name);
	for (size_t i = 0; i < plan->nsteps; i++) {
		struct stat st;
		int fd = open(plan->steps[i].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return error_set(err, -EINVAL, "%s: %s",
					 config_display_path(plan, plan->steps[i].path),
					 strerror(errno));
		int is_dir = fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
		close(fd);
		if (is_dir)
			return error_set(err, -EINVAL, "%s: is a directory, not a step",
					 config_display_path(plan, plan->steps[i].path));
	}
	return 0;
}
