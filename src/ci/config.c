#include "ci/config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail/box.h"
#include "jail/jail.h"
#include "util/error.h"
#include "util/strbuf.h"

#define SETUP_PREFIX "00_setup_env"

int config_find_project(struct ci_plan *plan, cibox_error *err)
{
	char dir[PATH_MAX];
	if (!getcwd(dir, sizeof dir))
		return error_set(err, -errno, "cannot tell the current directory: %s",
				 strerror(errno));
	char start[PATH_MAX];
	memcpy(start, dir, sizeof start);
	for (;;) {
		char ci[PATH_MAX + 4];
		struct stat st;
		snprintf(ci, sizeof ci, "%s/ci", strcmp(dir, "/") == 0 ? "" : dir);
		if (stat(ci, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (access(ci, R_OK | X_OK) != 0)
				return error_set(err, -EINVAL, "%s: %s", ci, strerror(errno));
			break;
		}
		char *slash = strrchr(dir, '/');
		if (!slash || strcmp(dir, "/") == 0)
			return error_set(err, -EINVAL, "no ci/ folder in %s or any folder above it",
					 start);
		slash[slash == dir] = '\0';
	}
	plan->root = strdup(dir);
	const char *base = strcmp(dir, "/") == 0 ? "root" : strrchr(dir, '/') + 1;
	plan->project = strdup(base);
	if (!plan->root || !plan->project)
		return error_set(err, -ENOMEM, "out of memory");
	return 0;
}

const char *config_display_path(const struct ci_plan *plan, const char *path)
{
	size_t n = strlen(plan->root);
	if (strncmp(path, plan->root, n) == 0 && path[n] == '/')
		return path + n + 1;
	return path;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir for which keep() is true, sorted byte-wise so that the
 * order does not depend on the locale. */
static int list_dir(const char *dir, bool (*keep)(const char *, const char *), char ***out,
		    size_t *count, cibox_error *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return error_set(err, -EINVAL, "%s: %s", dir, strerror(errno));
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !keep(dir, e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **grown = realloc(names, cap * sizeof *names);
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			names = grown;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = -ENOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc < 0) {
		while (n)
			free(names[--n]);
		free(names);
		return error_set(err, rc, "out of memory");
	}
	if (n)
		qsort(names, n, sizeof *names, compare_names);
	*out = names;
	*count = n;
	return 0;
}

static bool is_dir_entry(const char *dir, const char *name)
{
	char path[2 * PATH_MAX];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int config_find_stage(struct ci_plan *plan, const char *stage, cibox_error *err)
{
	char ci[PATH_MAX];
	snprintf(ci, sizeof ci, "%s/ci", plan->root);
	if (!*stage || strchr(stage, '/') || strcmp(stage, ".") == 0 || strcmp(stage, "..") == 0)
		return error_set(err, -EINVAL, "'%s' is not a stage name", stage);
	char path[2 * PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", ci, stage);
	if (!is_dir_entry(ci, stage)) {
		char **names;
		size_t n;
		int rc = list_dir(ci, is_dir_entry, &names, &n, err);
		if (rc < 0)
			return rc;
		struct strbuf known = STRBUF_INIT;
		for (size_t i = 0; i < n; i++) {
			strbuf_addf(&known, "%s%s", i ? ", " : "", names[i]);
			free(names[i]);
		}
		free(names);
		rc = error_set(err, -EINVAL, "no stage '%s' in %s (stages: %s)", stage,
			       config_display_path(plan, ci), n ? known.buf : "none");
		strbuf_release(&known);
		return rc;
	}
	if (access(path, R_OK | X_OK) != 0)
		return error_set(err, -EINVAL, "%s: %s", config_display_path(plan, path),
				 strerror(errno));
	plan->stage = strdup(stage);
	plan->stage_dir = strdup(path);
	if (!plan->stage || !plan->stage_dir)
		return error_set(err, -ENOMEM, "out of memory");
	return 0;
}

static bool is_config_file(const char *dir, const char *name)
{
	(void)dir;
	size_t n = strlen(name), p = strlen(SETUP_PREFIX "_");
	return n > p + 3 && strncmp(name, SETUP_PREFIX "_", p) == 0 &&
	       strcmp(name + n - 3, ".sh") == 0;
}

int config_list(const char *stage_dir, char ***names, size_t *count, cibox_error *err)
{
	int rc = list_dir(stage_dir, is_config_file, names, count, err);
	if (rc < 0)
		return rc;
	size_t p = strlen(SETUP_PREFIX "_");
	for (size_t i = 0; i < *count; i++) {
		char *name = (*names)[i];
		size_t n = strlen(name) - p - 3;
		memmove(name, name + p, n);
		name[n] = '\0';
	}
	return 0;
}

int config_pick(struct ci_plan *plan, const char *name_or_path, cibox_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/" SETUP_PREFIX ".sh", plan->stage_dir);
	if (access(path, F_OK) == 0 && !(plan->defaults_file = strdup(path)))
		return error_set(err, -ENOMEM, "out of memory");
	if (!name_or_path || !*name_or_path) {
		plan->config = strdup("default");
		return plan->config ? 0 : error_set(err, -ENOMEM, "out of memory");
	}
	if (strchr(name_or_path, '/')) {
		/* A path, as CI scripts give FILE_ENV: relative to where cibox runs. */
		char *abs = realpath(name_or_path, NULL);
		if (!abs)
			return error_set(err, -EINVAL, "%s: no such configuration (%s)",
					 name_or_path, strerror(errno));
		plan->config_file = abs;
		const char *base = strrchr(abs, '/') + 1;
		size_t p = strlen(SETUP_PREFIX "_"), n = strlen(base);
		if (is_config_file(NULL, base))
			plan->config = strndup(base + p, n - p - 3);
		else
			plan->config =
				strndup(base, n > 3 && strcmp(base + n - 3, ".sh") == 0 ? n - 3 : n);
	} else {
		snprintf(path, sizeof path, "%s/" SETUP_PREFIX "_%s.sh", plan->stage_dir,
			 name_or_path);
		if (access(path, F_OK) != 0)
			return error_set(err, -EINVAL,
					 "%s: no such configuration '%s' (see cibox configs %s)",
					 config_display_path(plan, path), name_or_path, plan->stage);
		plan->config_file = strdup(path);
		plan->config = strdup(name_or_path);
	}
	if (!plan->config || !plan->config_file)
		return error_set(err, -ENOMEM, "out of memory");
	if (access(plan->config_file, R_OK) != 0)
		return error_set(err, -EINVAL, "%s: %s",
				 config_display_path(plan, plan->config_file), strerror(errno));
	return 0;
}

/* Sources each file in order under errexit. Before each file it records
 * "B<file>" on fd 3; a failing command records "E" with the file, line, status
 * and command, so the error can name them. At exit, on success, the exported
 * environment goes to fd 4, written by the env program $1 names. The files'
 * own output goes to stderr, kept for the error message. */
static const char eval_script[] =
	"__cibox_env=$1\n"
	"builtin shift\n"
	"trap '__cibox_rc=$?; [ $__cibox_rc -ne 0 ] || \"$__cibox_env\" -0 >&4; exit $__cibox_rc' EXIT\n"
	"trap 'printf \"E%s\\0%s\\0%s\\0%s\\0\" \"${BASH_SOURCE[0]}\" \"$LINENO\" \"$?\" "
	"\"$BASH_COMMAND\" >&3; exit 2' ERR\n"
	"set -e\n"
	"for __cibox_f; do\n"
	"  printf 'B%s\\0' \"$__cibox_f\" >&3\n"
	"  builtin source \"$__cibox_f\"\n"
	"done\n"
	"unset __cibox_f\n";

static int temp_fd(cibox_error *err)
{
	FILE *f = tmpfile();
	if (!f)
		return error_set(err, -errno, "cannot create a temporary file: %s", strerror(errno));
	/* Only the copies made for bash (dup2 to 1 to 4) reach it; above
	 * those, so that none of them is overwritten by another. */
	int fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 10);
	fclose(f);
	return fd < 0 ? error_set(err, -errno, "dup: %s", strerror(errno)) : fd;
}

static int read_back(int fd, struct strbuf *sb)
{
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return strbuf_read_fd(sb, fd);
}

/* Turns what bash left on fd 3 and stderr into one line. */
static int explain_failure(const struct ci_plan *plan, int status, const struct strbuf *record,
			   const struct strbuf *stderr_text, cibox_error *err)
{
	const char *current = NULL, *file = NULL, *line = NULL, *rc = NULL, *command = NULL;
	for (const char *p = record->buf; p < record->buf + record->len; p += strlen(p) + 1) {
		if (*p == 'B') {
			current = p + 1;
		} else if (*p == 'E') {
			file = p + 1;
			line = file + strlen(file) + 1;
			rc = line + strlen(line) + 1;
			command = rc + strlen(rc) + 1;
			if (command >= record->buf + record->len)
				file = NULL;
			break;
		}
	}
	if (file && current && strcmp(file, current) == 0)
		return error_set(err, -EINVAL, "%s:%s: '%s' failed with exit status %s",
				 config_display_path(plan, file), line, command, rc);
	/* bash's own diagnostics read "FILE: line N: MESSAGE". */
	if (current) {
		size_t flen = strlen(current);
		for (const char *p = stderr_text->buf; *p;
		     p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
			unsigned n;
			int used = 0;
			if (strncmp(p, current, flen) == 0 &&
			    sscanf(p + flen, ": line %u: %n", &n, &used) == 1 && used > 0) {
				const char *msg = p + flen + used;
				int mlen = (int)strcspn(msg, "\n");
				return error_set(err, -EINVAL, "%s:%u: %.*s",
						 config_display_path(plan, current), n, mlen, msg);
			}
		}
	}
	const char *what = current ? config_display_path(plan, current) : "configuration";
	const char *last = stderr_text->buf;
	/* The last line bash or the file printed, for a hint. */
	size_t end = stderr_text->len;
	while (end && stderr_text->buf[end - 1] == '\n')
		end--;
	size_t start = end;
	while (start && stderr_text->buf[start - 1] != '\n')
		start--;
	last += start;
	if (WIFSIGNALED(status))
		return error_set(err, -EINVAL, "%s: killed by signal %d", what, WTERMSIG(status));
	if (end > start)
		return error_set(err, -EINVAL, "%s: failed with exit status %d: %.*s", what,
				 WEXITSTATUS(status), (int)(end - start), last);
	return error_set(err, -EINVAL, "%s: failed with exit status %d", what, WEXITSTATUS(status));
}

static bool inside(const char *path, const char *folder)
{
	size_t n = strlen(folder);
	return strncmp(path, folder, n) == 0 && path[n] == '/';
}

/* The program `name` as the environment's PATH finds it, resolved. */
static bool find_program(const envlist *env, const char *name, char found[PATH_MAX])
{
	const char *dirs = envlist_get((envlist *)env, "PATH");
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	while (*dirs) {
		size_t len = strcspn(dirs, ":");
		char candidate[PATH_MAX];
		struct stat st;
		if (snprintf(candidate, sizeof candidate, "%.*s/%s", (int)len, dirs, name) <
			    (int)sizeof candidate &&
		    len > 0 && access(candidate, X_OK) == 0 && stat(candidate, &st) == 0 &&
		    S_ISREG(st.st_mode) && realpath(candidate, found))
			return true;
		dirs += len + (dirs[len] == ':');
	}
	return false;
}

/* A configuration is a pull request's code like any step: bash reads it in a
 * jail with no network, where the project and the files read are shown
 * read-only and nothing of the host is writable. The programs cibox runs it
 * with are shown too, wherever PATH found them. Returns 0 in the jail. */
static int enter_jail(const struct ci_plan *plan, const envlist *env, const char *const *files,
		      size_t nfiles, const char *const programs[2], cibox_error *err)
{
	jail_plan *jail = jail_plan_new();
	if (!jail)
		return error_set(err, -ENOMEM, "out of memory");
	const char *home = envlist_get((envlist *)env, "HOME");
	int rc = jail_plan_add(jail, JAIL_RO_BIND, plan->root, plan->root, err);
	for (size_t i = 0; rc == 0 && i < nfiles; i++)
		if (!inside(files[i], plan->root))
			rc = jail_plan_add(jail, JAIL_RO_BIND, files[i], files[i], err);
	for (size_t i = 0; rc == 0 && i < 2; i++)
		if (jail_plan_hides(jail, programs[i]))
			rc = jail_plan_add(jail, JAIL_RO_BIND, programs[i], programs[i], err);
	if (rc == 0 && home && *home == '/')
		rc = jail_plan_set_home(jail, home, err);
	if (rc == 0)
		rc = jail_plan_set_cwd(jail, plan->root, err);
	if (rc == 0)
		rc = jail_enter(jail, err);
	jail_plan_free(jail);
	return rc;
}

/* The child: bash over the files, in a jail unless told otherwise. A jail
 * that cannot be made is recorded in fds[3], which bash never has, as "X",
 * its error code and its message, for the parent to decide: a configuration
 * that wrote that record itself would be read again without a jail. */
static _Noreturn void run_bash(const struct ci_plan *plan, const envlist *env,
			       const char *const *argv, const char *const *files, size_t nfiles,
			       const char *const programs[2], const int fds[4], bool boxed)
{
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(fds[0], 2) < 0 || dup2(fds[0], 1) < 0 ||
	    dup2(fds[1], 3) < 0 || dup2(fds[2], 4) < 0)
		_exit(126);
	cibox_error err = { 0 };
	int rc = boxed ? enter_jail(plan, env, files, nfiles, programs, &err) : 0;
	/* bash is root of the jail, whose mounts it could undo (remount the
	 * project writable): it goes one level further in, where they are
	 * locked. */
	if (rc == 0 && boxed)
		rc = jail_lock_mounts(&err);
	if (rc < 0) {
		dprintf(fds[3], "X%d%c%s%c", rc, 0, err.message, 0);
		_exit(125);
	}
	/* No controlling terminal: no pushing input into the caller's. */
	setsid();
	if (chdir(plan->root) < 0)
		_exit(126);
	signal(SIGPIPE, SIG_DFL);
	execve(programs[0], (char **)argv, envlist_vector((envlist *)env));
	_exit(127);
}

/* Runs bash over `files` with environment `base`, in the project root. */
static int evaluate(const struct ci_plan *plan, const envlist *base, const char *const *files,
		    size_t nfiles, envlist *out, char **unboxed, cibox_error *err)
{
	int fds[4] = { -1, -1, -1, -1 }; /* stderr, record, env, the jail's failure */
	int rc = 0;
	bool boxed = !(unboxed && *unboxed); /* the machine made no jail before */
	struct strbuf errtext = STRBUF_INIT, record = STRBUF_INIT, envtext = STRBUF_INIT;
	struct strbuf failure = STRBUF_INIT;
	for (int i = 0; i < 4; i++)
		if ((fds[i] = rc = temp_fd(err)) < 0)
			goto out;
	char bash[PATH_MAX], env[PATH_MAX];
	if (!find_program(base, "bash", bash) || !find_program(base, "env", env)) {
		rc = error_set(err, -EINVAL, "cannot run bash to read the configuration");
		goto out;
	}
	const char *const programs[2] = { bash, env };
	/* bash and its options, env, then at most two files: configuration, defaults. */
	const char *argv[7 + 2 + 1] = { "bash",      "--noprofile",  "--norc", "-c",
					eval_script, "cibox-config", env };
	size_t argc = 7;
	for (size_t i = 0; i < nfiles; i++)
		argv[argc++] = files[i];
	argv[argc] = NULL;

again:;
	pid_t pid = fork();
	if (pid < 0) {
		rc = error_set(err, -errno, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		run_bash(plan, base, argv, files, nfiles, programs, fds, boxed);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			rc = error_set(err, -errno, "waitpid: %s", strerror(errno));
			goto out;
		}
	read_back(fds[0], &errtext);
	read_back(fds[1], &record);
	read_back(fds[2], &envtext);
	read_back(fds[3], &failure);
	if (errtext.oom || record.oom || envtext.oom || failure.oom) {
		rc = error_set(err, -ENOMEM, "out of memory");
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 125 && failure.len > 1 &&
		   failure.buf[0] == 'X') {
		/* The jail could not be made. Where the machine refuses one (the
		 * host and docker engines may run there), the configuration is
		 * read as before, and the caller is told. */
		int code = atoi(failure.buf + 1);
		const char *message = failure.buf + strlen(failure.buf) + 1;
		if (code != -EOPNOTSUPP || !unboxed) {
			rc = error_set(err, code, "cannot read the configuration in a jail: %s",
				       message);
		} else if (!(*unboxed = strdup(message))) {
			rc = error_set(err, -ENOMEM, "out of memory");
		} else {
			boxed = false;
			rc = 0;
			strbuf_reset(&errtext);
			strbuf_reset(&record);
			strbuf_reset(&envtext);
			strbuf_reset(&failure);
			for (int i = 0; i < 4; i++)
				if (ftruncate(fds[i], 0) < 0 || lseek(fds[i], 0, SEEK_SET) < 0)
					rc = error_set(err, -errno,
						       "cannot reuse a temporary file: %s",
						       strerror(errno));
			if (rc == 0)
				goto again;
		}
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && record.len == 0) {
		rc = error_set(err, -EINVAL, "cannot run bash to read the configuration");
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = explain_failure(plan, status, &record, &errtext, err);
	} else {
		rc = envlist_add_nul(out, envtext.buf, envtext.len);
		if (rc < 0)
			error_set(err, rc, "cannot read the environment back from bash");
		/* bash's bookkeeping, not the configuration's. */
		envlist_unset(out, "_");
		envlist_unset(out, "SHLVL");
		const char *shlvl = envlist_get(base, "SHLVL");
		if (rc == 0 && shlvl)
			rc = envlist_set(out, "SHLVL", shlvl);
	}
out:
	strbuf_release(&errtext);
	strbuf_release(&record);
	strbuf_release(&envtext);
	strbuf_release(&failure);
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return rc;
}

int config_evaluate(const struct ci_plan *plan, const envlist *base, const char *file, envlist *out,
		    char **unboxed, cibox_error *err)
{
	return evaluate(plan, base, &file, 1, out, unboxed, err);
}

int config_resolve(struct ci_plan *plan, char *const *sets, size_t nsets, cibox_error *err)
{
	const char *files[2];
	size_t n = 0;
	if (plan->config_file)
		files[n++] = plan->config_file;
	if (plan->defaults_file)
		files[n++] = plan->defaults_file;
	int rc;
	if (n > 0) {
		rc = evaluate(plan, &plan->caller, files, n, &plan->env, &plan->config_unboxed, err);
	} else {
		/* Nothing to source: bash would hand the caller's environment back. */
		rc = envlist_add_vector(&plan->env, envlist_vector((envlist *)&plan->caller));
		if (rc < 0)
			error_set(err, rc, "out of memory");
		envlist_unset(&plan->env, "_");
	}
	for (size_t i = 0; rc == 0 && i < nsets; i++) {
		rc = envlist_put(&plan->env, sets[i]);
		if (rc < 0)
			error_set(err, rc, "--set %s: cannot set it", sets[i]);
	}
	return rc;
}
