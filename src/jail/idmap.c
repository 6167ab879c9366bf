#include "jail/idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/error.h"
#include "util/fs.h"
#include "util/run_command.h"

/* The first range `file` gives the user (by name or by number). */
static bool find_range(const char *file, const char *name, uid_t uid, uint32_t *start, uint32_t *count)
{
	FILE *f = fopen(file, "re");
	if (!f)
		return false;
	char line[512], number[16];
	bool found = false;
	snprintf(number, sizeof number, "%u", (unsigned)uid);
	while (!found && fgets(line, sizeof line, f)) {
		char *first = strchr(line, ':');
		if (!first)
			continue;
		*first = '\0';
		if (strcmp(line, number) != 0 && (!name || strcmp(line, name) != 0))
			continue;
		char *end;
		errno = 0;
		unsigned long s = strtoul(first + 1, &end, 10);
		if (errno || *end != ':')
			continue;
		unsigned long c = strtoul(end + 1, &end, 10);
		if (errno || (*end != '\n' && *end != '\0') || c == 0 || s > UINT32_MAX ||
		    c > UINT32_MAX - s)
			continue;
		*start = (uint32_t)s;
		*count = (uint32_t)c;
		found = true;
	}
	fclose(f);
	return found;
}

/* The user's name from /etc/passwd: the binary is static, so no NSS
 * (newuidmap, which checks the ranges again, reads the same files). */
static bool user_name(uid_t uid, char *name, size_t size)
{
	FILE *f = fopen("/etc/passwd", "re");
	if (!f)
		return false;
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof line, f)) {
		char *first = strchr(line, ':');
		char *second = first ? strchr(first + 1, ':') : NULL;
		char *end;
		if (!second)
			continue;
		unsigned long id = strtoul(second + 1, &end, 10);
		if (*end != ':' || id != uid || (size_t)(first - line) >= size)
			continue;
		memcpy(name, line, (size_t)(first - line));
		name[first - line] = '\0';
		found = true;
	}
	fclose(f);
	return found;
}

static bool find_helper(const char *name, char *path, size_t size)
{
	/* Where Debian's uidmap puts them, whatever PATH the caller has. */
	static const char *const dirs[] = { "/usr/bin", "/bin", "/usr/sbin", "/sbin",
					    "/usr/local/bin" };
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(path, size, "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

int idmap_for_caller(struct idmap *map, const char *subuid, const char *subgid, char *why,
		     size_t size, cibox_error *err)
{
	return idmap_for_user(map, getuid(), getgid(), subuid, subgid, why, size, err);
}

int idmap_for_user(struct idmap *map, uid_t uid, gid_t gid, const char *subuid, const char *subgid,
		   char *why, size_t size, cibox_error *err)
{
	(void)err;
	memset(map, 0, sizeof *map);
	*why = '\0';
	if (uid == 0) {
		/* Every id to itself: the host's files keep their owners. */
		map->uid[0] = (struct idmap_range){ 0, 0, UINT32_MAX };
		map->gid[0] = (struct idmap_range){ 0, 0, UINT32_MAX };
		map->nuid = map->ngid = 1;
		return 1;
	}
	map->uid[0] = (struct idmap_range){ 0, uid, 1 };
	map->gid[0] = (struct idmap_range){ 0, gid, 1 };
	map->nuid = map->ngid = 1;
	char user[256];
	const char *name = user_name(uid, user, sizeof user) ? user : NULL;
	uint32_t ustart, ucount, gstart, gcount;
	char helper[PATH_MAX];
	if (!find_range(subuid ? subuid : "/etc/subuid", name, uid, &ustart, &ucount) ||
	    !find_range(subgid ? subgid : "/etc/subgid", name, uid, &gstart, &gcount)) {
		snprintf(why, size,
			 "%s has no ranges in /etc/subuid and /etc/subgid; add them with: "
			 "sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 %s",
			 name ? name : "this user", name ? name : "USER");
		return 0;
	}
	if (!find_helper("newuidmap", helper, sizeof helper) ||
	    !find_helper("newgidmap", helper, sizeof helper)) {
		snprintf(why, size,
			 "newuidmap and newgidmap are missing; install them with: "
			 "sudo apt-get install uidmap");
		return 0;
	}
	map->uid[1] = (struct idmap_range){ 1, ustart, ucount };
	map->gid[1] = (struct idmap_range){ 1, gstart, gcount };
	map->nuid = map->ngid = 2;
	map->helpers = true;
	return 1;
}

static int write_proc(pid_t pid, const char *file, const char *text)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int rc = n == (ssize_t)strlen(text) ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	return rc;
}

static void format_map(char *buf, size_t size, const struct idmap_range *r, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%u %u %u\n", r[i].inside,
					 r[i].outside, r[i].count);
}

/* newuidmap PID inside outside count...: its complaint, if any, in `said`. */
static int run_helper(const char *name, pid_t pid, const struct idmap_range *r, size_t n,
		      char *said, size_t size)
{
	char path[PATH_MAX], args[2 + 1 + 3 * 2][16];
	char *argv[2 + 3 * 2 + 1];
	size_t k = 0;
	if (!find_helper(name, path, sizeof path))
		return -ENOENT;
	argv[k++] = path;
	snprintf(args[0], sizeof args[0], "%d", (int)pid);
	argv[k++] = args[0];
	for (size_t i = 0; i < n && i < 2; i++) {
		snprintf(args[1 + 3 * i], sizeof args[0], "%u", r[i].inside);
		snprintf(args[2 + 3 * i], sizeof args[0], "%u", r[i].outside);
		snprintf(args[3 + 3 * i], sizeof args[0], "%u", r[i].count);
		argv[k++] = args[1 + 3 * i];
		argv[k++] = args[2 + 3 * i];
		argv[k++] = args[3 + 3 * i];
	}
	argv[k] = NULL;
	struct runcmd cmd = RUNCMD_INIT;
	cmd.argv = argv;
	cmd.out.how = RUNCMD_NULL;
	cmd.err.how = RUNCMD_PIPE;
	int rc = runcmd_start(&cmd, NULL);
	if (rc < 0)
		return rc;
	size_t got = 0;
	ssize_t r2;
	while (got + 1 < size && (r2 = read(cmd.err.fd, said + got, size - 1 - got)) != 0) {
		if (r2 < 0 && errno == EINTR)
			continue;
		if (r2 < 0)
			break;
		got += (size_t)r2;
	}
	said[got] = '\0';
	char *nl = strchr(said, '\n');
	if (nl)
		*nl = '\0';
	close(cmd.err.fd);
	int status;
	if ((rc = runcmd_finish(&cmd, &status, NULL)) < 0)
		return rc;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

int idmap_write(pid_t pid, const struct idmap *map, cibox_error *err)
{
	char text[256], said[256] = "";
	int rc;
	if (map->helpers) {
		if ((rc = run_helper("newuidmap", pid, map->uid, map->nuid, said, sizeof said)) < 0)
			return error_set(err, rc, "newuidmap could not map the jail's ids: %s",
					 *said ? said : strerror(-rc));
		if ((rc = run_helper("newgidmap", pid, map->gid, map->ngid, said, sizeof said)) < 0)
			return error_set(err, rc, "newgidmap could not map the jail's groups: %s",
					 *said ? said : strerror(-rc));
		return 0;
	}
	/* One id, the caller's own: the kernel allows that only with
	 * setgroups denied. */
	if (map->ngid == 1 && map->gid[0].count == 1 && getuid() != 0 &&
	    (rc = write_proc(pid, "setgroups", "deny")) < 0 && rc != -ENOENT)
		return error_set(err, rc, "cannot write the jail's setgroups: %s", strerror(-rc));
	format_map(text, sizeof text, map->uid, map->nuid);
	if ((rc = write_proc(pid, "uid_map", text)) < 0)
		return error_set(err, rc, "cannot write the jail's uid map: %s", strerror(-rc));
	format_map(text, sizeof text, map->gid, map->ngid);
	if ((rc = write_proc(pid, "gid_map", text)) < 0)
		return error_set(err, rc, "cannot write the jail's gid map: %s", strerror(-rc));
	return 0;
}

/* The ranges `file` (this process's uid_map or gid_map) shows, as their
 * own ids on both sides. */
static int mirror_file(const char *file, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/self/%s", file);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t used = 0;
	unsigned long inside, outside, count;
	buf[0] = '\0';
	while (fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3 && used < size)
		used += (size_t)snprintf(buf + used, size - used, "%lu %lu %lu\n", inside, inside,
					 count);
	fclose(f);
	return used > 0 && used < size ? 0 : -EINVAL;
}

int idmap_mirror(pid_t pid, cibox_error *err)
{
	char text[1024], setgroups[16] = "";
	int rc;
	FILE *f = fopen("/proc/self/setgroups", "re");
	if (f) {
		if (!fgets(setgroups, sizeof setgroups, f))
			setgroups[0] = '\0';
		fclose(f);
	}
	if (strncmp(setgroups, "deny", 4) == 0 && (rc = write_proc(pid, "setgroups", "deny")) < 0)
		return error_set(err, rc, "its setgroups: %s", strerror(-rc));
	if ((rc = mirror_file("uid_map", text, sizeof text)) < 0 ||
	    (rc = write_proc(pid, "uid_map", text)) < 0)
		return error_set(err, rc, "its uid map: %s", strerror(-rc));
	if ((rc = mirror_file("gid_map", text, sizeof text)) < 0 ||
	    (rc = write_proc(pid, "gid_map", text)) < 0)
		return error_set(err, rc, "its gid map: %s", strerror(-rc));
	return 0;
}

int idmap_call(const struct idmap *map, int (*fn)(void *), void *arg, cibox_error *err)
{
	int sync[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0)
		return error_set(err, -errno, "socketpair: %s", strerror(errno));
	pid_t child = fork();
	if (child == 0) {
		close(sync[0]);
		char c = 'r';
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(120);
		/* newuidmap checks that the process is its caller's: dumpable. */
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		if (write(sync[1], &c, 1) != 1 || read(sync[1], &c, 1) != 1 || c != 'm')
			_exit(121);
		int rc = fn(arg);
		_exit(rc < 0 ? (-rc > 119 ? 119 : -rc) : 0);
	}
	int saved = errno;
	close(sync[1]);
	if (child < 0) {
		close(sync[0]);
		return error_set(err, -saved, "fork: %s", strerror(saved));
	}
	char c;
	int rc = read(sync[0], &c, 1) == 1 ? idmap_write(child, map, err)
					   : error_set(err, -EPERM, "cannot make a user namespace");
	c = rc == 0 ? 'm' : 'x';
	ssize_t unused = write(sync[0], &c, 1);
	(void)unused;
	close(sync[0]);
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return error_set(err, -errno, "waitpid: %s", strerror(errno));
	if (rc < 0)
		return rc;
	if (!WIFEXITED(status) || WEXITSTATUS(status) >= 120)
		return error_set(err, -EPERM, "cannot work as the jail's ids");
	return -WEXITSTATUS(status);
}

static int remove_tree(void *path)
{
	return fs_remove_tree(path);
}

int idmap_remove_tree(const char *path)
{
	int rc = fs_remove_tree(path);
	struct idmap map;
	char why[256];
	cibox_error ignored;
	if (rc < 0 && getuid() != 0 &&
	    idmap_for_caller(&map, NULL, NULL, why, sizeof why, &ignored) > 0)
		rc = idmap_call(&map, remove_tree, (void *)path, &ignored);
	return rc;
}
