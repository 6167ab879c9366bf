#include "jail/jail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/keyctl.h>
#include <linux/openat2.h>
#include <linux/types.h>

#include "jail/idmap.h"
#include "util/beneath.h"
#include "util/error.h"
#include "util/fs.h"

/* The jail's init builds the new root here, inside a tmpfs of its own. */
#define NEWROOT "/newroot"
#define OLDROOT "/oldroot"

struct jail_op {
	enum jail_op_kind kind;
	char *src, *dst, *upper, *work;
};

struct jail_plan {
	struct jail_op *ops;
	size_t count, cap;
	char *rootfs;
	char *cwd;
	char *home;
	bool share_network;
	bool keep_uid;
	bool show_cwd;
	bool keep_keyring;
	bool writable_root;
	char *root_layer; /* a kept layer, the lowest writes of the root */
	bool wide_map;    /* idmap holds the ids, written from outside */
	struct idmap idmap;
	uid_t uid; /* the caller's, mapped into the jail */
	gid_t gid;
	int (*on_built)(void *context, cibox_error *err);
	void *on_built_context;
};

jail_plan *jail_plan_new(void)
{
	jail_plan *plan = calloc(1, sizeof(jail_plan));
	if (plan) {
		plan->uid = getuid();
		plan->gid = getgid();
	}
	return plan;
}

void jail_plan_free(jail_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->count; i++) {
		free(plan->ops[i].src);
		free(plan->ops[i].dst);
		free(plan->ops[i].upper);
		free(plan->ops[i].work);
	}
	free(plan->ops);
	free(plan->rootfs);
	free(plan->root_layer);
	free(plan->cwd);
	free(plan->home);
	free(plan);
}

static int absolute(const char *path, const char *what, cibox_error *err)
{
	if (!path || path[0] != '/')
		return error_set(err, -EINVAL, "%s must be an absolute path: '%s'", what,
				 path ? path : "");
	if (strlen(path) >= PATH_MAX - sizeof NEWROOT)
		return error_set(err, -ENAMETOOLONG, "%s is too long", what);
	return 0;
}

static struct jail_op *push(jail_plan *plan, cibox_error *err)
{
	if (plan->count == plan->cap) {
		size_t cap = plan->cap ? 2 * plan->cap : 8;
		struct jail_op *ops = realloc(plan->ops, cap * sizeof *ops);
		if (!ops) {
			error_set(err, -ENOMEM, "out of memory");
			return NULL;
		}
		plan->ops = ops;
		plan->cap = cap;
	}
	struct jail_op *op = &plan->ops[plan->count++];
	memset(op, 0, sizeof *op);
	return op;
}

int jail_plan_add(jail_plan *plan, enum jail_op_kind kind, const char *src, const char *dst,
		  cibox_error *err)
{
	int rc = absolute(dst, "a jail path", err);
	if (rc == 0 && kind != JAIL_TMPFS)
		rc = absolute(src, "a host path", err);
	if (rc < 0)
		return rc;
	struct jail_op *op = push(plan, err);
	if (!op)
		return -ENOMEM;
	op->kind = kind;
	op->src = src ? strdup(src) : NULL;
	op->dst = strdup(dst);
	if ((src && !op->src) || !op->dst)
		return error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int jail_plan_add_overlay(jail_plan *plan, const char *lower, const char *upper, const char *work,
			  const char *dst, cibox_error *err)
{
	int rc = jail_plan_add(plan, JAIL_OVERLAY, lower, dst, err);
	if (rc == 0 && (rc = absolute(upper, "an overlay's upper folder", err)) == 0 &&
	    (rc = absolute(work, "an overlay's work folder", err)) == 0) {
		struct jail_op *op = &plan->ops[plan->count - 1];
		op->upper = strdup(upper);
		op->work = strdup(work);
		if (!op->upper || !op->work)
			rc = error_set(err, -ENOMEM, "out of memory");
	}
	return rc;
}

int jail_plan_add_spec(jail_plan *plan, enum jail_op_kind kind, const char *spec, cibox_error *err)
{
	char src[PATH_MAX];
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (len >= sizeof src)
		return error_set(err, -ENAMETOOLONG, "path too long: '%s'", spec);
	memcpy(src, spec, len);
	src[len] = '\0';
	char resolved[PATH_MAX];
	if (!realpath(src, resolved))
		return error_set(err, -errno, "%s: %s", src, strerror(errno));
	return jail_plan_add(plan, kind, resolved, colon ? colon + 1 : resolved, err);
}

int jail_plan_set_rootfs(jail_plan *plan, const char *path, cibox_error *err)
{
	char resolved[PATH_MAX];
	if (!realpath(path, resolved))
		return error_set(err, -errno, "root filesystem %s: %s", path, strerror(errno));
	free(plan->rootfs);
	if (!(plan->rootfs = strdup(resolved)))
		return error_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* Folders of the host's root that hold other people's files, secrets and the
 * sockets of daemons and agents: each is an empty tmpfs in the jail. */
static const char *const hidden[] = { "/home", "/root", "/run", "/var/run" };

static bool under(const char *path, const char *folder);

static bool under_hidden(const char *path)
{
	for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++)
		if (under(path, hidden[i]))
			return true;
	return false;
}

static bool under(const char *path, const char *folder)
{
	size_t n = strlen(folder);
	return strncmp(path, folder, n) == 0 && (path[n] == '/' || path[n] == '\0' || n == 1);
}

bool jail_plan_hides(const jail_plan *plan, const char *path)
{
	if (plan->rootfs || path[0] != '/')
		return false;
	for (size_t i = 0; i < plan->count; i++)
		if (under(path, plan->ops[i].dst))
			return false;
	if (plan->show_cwd && plan->cwd && under(path, plan->cwd))
		return false;
	return under_hidden(path) || under(path, "/tmp");
}

int jail_plan_share_network(jail_plan *plan, bool share, cibox_error *err)
{
	plan->share_network = share;
	/* The host's resolver configuration is often a link into /run (systemd's
	 * stub); sharing the network means sharing how names resolve. */
	char resolv[PATH_MAX];
	if (share && realpath("/etc/resolv.conf", resolv) && under_hidden(resolv))
		return jail_plan_add(plan, JAIL_RO_BIND, resolv, resolv, err);
	return 0;
}

void jail_plan_keep_uid(jail_plan *plan, bool keep)
{
	plan->keep_uid = keep;
}

void jail_plan_map_ids(jail_plan *plan, const struct idmap *map)
{
	plan->wide_map = map != NULL;
	if (map)
		plan->idmap = *map;
}

void jail_plan_writable_root(jail_plan *plan, bool writable)
{
	plan->writable_root = writable;
}

/* One of the plan's paths, absolute, replaced. */
static int set_path(char **slot, const char *path, const char *what, cibox_error *err)
{
	int rc = absolute(path, what, err);
	if (rc < 0)
		return rc;
	char *copy = strdup(path);
	if (!copy)
		return error_set(err, -ENOMEM, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

int jail_plan_root_layer(jail_plan *plan, const char *folder, cibox_error *err)
{
	return set_path(&plan->root_layer, folder, "a root layer", err);
}

/* The scratch tmpfs's /changes, held by the jail's processes: what the
 * root's overlays kept (N/path, N/upper). */
static int changes_fd = -1;

int jail_root_changes(void)
{
	return changes_fd;
}

int jail_plan_set_home(jail_plan *plan, const char *path, cibox_error *err)
{
	return set_path(&plan->home, path, "the home folder", err);
}

void jail_plan_keep_keyring(jail_plan *plan, bool keep)
{
	plan->keep_keyring = keep;
}

void jail_plan_show_cwd(jail_plan *plan, bool show)
{
	plan->show_cwd = show;
}

void jail_plan_on_built(jail_plan *plan, int (*hook)(void *context, cibox_error *err), void *context)
{
	plan->on_built = hook;
	plan->on_built_context = context;
}

int jail_plan_set_cwd(jail_plan *plan, const char *path, cibox_error *err)
{
	return set_path(&plan->cwd, path, "the working directory", err);
}

/* --- carried out inside the namespaces --- */

static int unavailable(cibox_error *err, const char *what, int saved_errno, const char *fix)
{
	return error_set(err, -EOPNOTSUPP, "%s: %s; %s", what, strerror(saved_errno), fix);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int rc = n == (ssize_t)strlen(text) ? 0 : -errno;
	close(fd);
	return rc;
}

static int map_ids(const jail_plan *plan, cibox_error *err)
{
	uid_t uid = plan->uid;
	gid_t gid = plan->gid;
	char line[64];
	int rc = write_file("/proc/self/setgroups", "deny");
	if (rc < 0 && rc != -ENOENT)
		return error_set(err, rc, "cannot write /proc/self/setgroups: %s", strerror(-rc));
	snprintf(line, sizeof line, "%u %u 1\n", plan->keep_uid ? uid : 0, uid);
	if ((rc = write_file("/proc/self/uid_map", line)) < 0)
		return error_set(err, rc, "cannot write the jail's uid map: %s", strerror(-rc));
	snprintf(line, sizeof line, "%u %u 1\n", plan->keep_uid ? gid : 0, gid);
	if ((rc = write_file("/proc/self/gid_map", line)) < 0)
		return error_set(err, rc, "cannot write the jail's gid map: %s", strerror(-rc));
	return 0;
}

/* `shown`: where the jail will see dst, for the message. */
static int mount_or_fail_as(const char *src, const char *dst, const char *shown, const char *type,
			    unsigned long flags, const char *data, cibox_error *err)
{
	if (mount(src, dst, type, flags, data) == 0)
		return 0;
	int saved = errno;
	if (type && strcmp(type, "overlay") == 0 && (saved == EPERM || saved == ENODEV))
		return unavailable(err, "cannot mount overlayfs in the jail", saved,
				   "overlayfs for unprivileged users needs Linux 5.11 or later "
				   "(or use --in-place)");
	if (type && strcmp(type, "proc") == 0 && saved == EPERM)
		return unavailable(err, "cannot mount a fresh /proc in the jail", saved,
				   "this machine hides parts of /proc (as container runtimes do); "
				   "run cibox on the host or in a privileged container");
	return error_set(err, -saved, "cannot mount %s on %s: %s", src ? src : type, shown,
			 strerror(saved));
}

static int mount_or_fail(const char *src, const char *dst, const char *type, unsigned long flags,
			 const char *data, cibox_error *err)
{
	bool in_new_root = strncmp(dst, NEWROOT, strlen(NEWROOT)) == 0;
	/* cppcheck-suppress pointerOutOfBounds ; only a dst that starts with NEWROOT is cut */
	return mount_or_fail_as(src, dst, in_new_root ? dst + strlen(NEWROOT) : dst, type, flags,
				data, err);
}

static int make_read_only(const char *path, cibox_error *err)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	if (mount_setattr(AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) == 0)
		return 0;
	if (errno == ENOSYS)
		return unavailable(err, "cannot make the jail's root read-only", errno,
				   "mount_setattr needs Linux 5.12 or later");
	return error_set(err, -errno, "cannot make %s read-only: %s", path + strlen(NEWROOT),
			 strerror(errno));
}

static void jail_path(char *out, const char *root, const char *path)
{
	snprintf(out, PATH_MAX, "%s%s", root, path);
}

/* Where a mount goes, found in the new root as the jail will see it: a
 * descriptor, and the path of it that mount(2) takes. */
struct target {
	int fd;
	char path[64];
};

/* `path` (as the jail sees it) under NEWROOT, every link on the way taken
 * as the jail would take it: inside the new root. A link a step left in a
 * kept layer, pointing at /oldroot, must not make this process create or
 * mount anything in the host's root, which is reachable here until the
 * root is entered. */
static int open_in_root(const char *path, int flags)
{
	int root = open(NEWROOT, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return -errno;
	struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT };
	while (*path == '/')
		path++;
	long fd = syscall(SYS_openat2, root, *path ? path : ".", &how, sizeof how);
	int saved = errno;
	close(root);
	return fd < 0 ? -saved : (int)fd;
}

/* `path` in the new root, made if missing (its folders first, each in the
 * one found before it): an O_PATH descriptor, or -errno. */
static int make_in_root(const char *path, bool directory)
{
	int fd = open_in_root(path, O_PATH);
	if (fd != -ENOENT)
		return fd;
	char parent[PATH_MAX];
	snprintf(parent, sizeof parent, "%s", path);
	char *name = strrchr(parent, '/');
	if (!name || !name[1])
		return -ENOENT;
	*name++ = '\0';
	int dir = make_in_root(*parent ? parent : "/", true);
	if (dir < 0)
		return dir;
	int made = directory ? mkdirat(dir, name, 0755) : mknodat(dir, name, S_IFREG | 0644, 0);
	int saved = errno;
	close(dir);
	return made < 0 ? -saved : open_in_root(path, O_PATH);
}

/* A mount needs something to mount on. Under a writable mount (the private
 * /tmp, an earlier bind, a writable root) it is made; in a read-only root it
 * must exist. */
static int ensure_target(const char *path, bool directory, struct target *t, cibox_error *err)
{
	int fd = make_in_root(path, directory);
	if (fd < 0)
		return error_set(err, -ENOENT, "cannot mount on %s: %s", path,
				 fd == -EROFS ? "it does not exist in the read-only root"
				 : fd == -EEXIST
					 ? "a link on the way leads to nothing in the jail's root "
					   "(a root layer that holds it goes with cibox cache clear)"
					 : strerror(-fd));
	t->fd = fd;
	snprintf(t->path, sizeof t->path, OLDROOT "/proc/self/fd/%d", fd);
	return 0;
}

static void close_target(struct target *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

/* make_read_only for what is now mounted at `path` in the new root. */
static int make_read_only_in_root(const char *path, cibox_error *err)
{
	int fd = open_in_root(path, O_PATH);
	if (fd < 0)
		return error_set(err, fd, "cannot make %s read-only: %s", path, strerror(-fd));
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
	int rc = mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) == 0
			 ? 0
			 : error_set(err, -errno, "cannot make %s read-only: %s", path,
				     strerror(errno));
	close(fd);
	return rc;
}

static int setup_dev(cibox_error *err)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom", "tty" };
	int rc = mount_or_fail("tmpfs", NEWROOT "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755",
			       err);
	for (size_t i = 0; rc == 0 && i < sizeof nodes / sizeof nodes[0]; i++) {
		char host[PATH_MAX], target[PATH_MAX];
		snprintf(host, sizeof host, OLDROOT "/dev/%s", nodes[i]);
		snprintf(target, sizeof target, NEWROOT "/dev/%s", nodes[i]);
		int fd = open(target, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
		if (fd >= 0)
			close(fd);
		rc = mount_or_fail(host, target, NULL, MS_BIND, NULL, err);
	}
	if (rc == 0 && (mkdir(NEWROOT "/dev/pts", 0755) < 0 || mkdir(NEWROOT "/dev/shm", 01777) < 0))
		rc = error_set(err, -errno, "cannot populate the jail's /dev: %s", strerror(errno));
	if (rc == 0)
		rc = mount_or_fail("devpts", NEWROOT "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
				   "newinstance,ptmxmode=0666,mode=620", err);
	if (rc == 0)
		rc = mount_or_fail("tmpfs", NEWROOT "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
				   "mode=1777", err);
	static const char *const links[][2] = { { "pts/ptmx", "ptmx" },
						{ "/proc/self/fd", "fd" },
						{ "/proc/self/fd/0", "stdin" },
						{ "/proc/self/fd/1", "stdout" },
						{ "/proc/self/fd/2", "stderr" } };
	for (size_t i = 0; rc == 0 && i < sizeof links / sizeof links[0]; i++) {
		char target[PATH_MAX];
		snprintf(target, sizeof target, NEWROOT "/dev/%s", links[i][1]);
		if (symlink(links[i][0], target) < 0)
			rc = error_set(err, -errno, "cannot create /dev/%s: %s", links[i][1],
				       strerror(errno));
	}
	return rc;
}

/* Where an operation mounts, and whether on a folder (else on a file). */
static bool op_target(const struct jail_op *op, char src[PATH_MAX], char dst[PATH_MAX])
{
	jail_path(dst, NEWROOT, op->dst);
	if (!op->src)
		return true;
	struct stat st;
	jail_path(src, OLDROOT, op->src);
	return stat(src, &st) < 0 || S_ISDIR(st.st_mode);
}

/* overlayfs splits its options at ',' and its lower layers at ':': a path
 * holding either (a folder a step made in a cache, a hostile .git file or
 * CI_IMAGE) would add layers or options of its own choosing, such as a
 * hidden folder as a lower layer. It takes a backslash as an escape. */
static int overlay_path(char *out, size_t size, const char *prefix, const char *path)
{
	size_t n = 0;
	for (const char *p = prefix; *p && n + 1 < size; p++)
		out[n++] = *p;
	for (const char *p = path; *p && n + 2 < size; p++) {
		if (*p == ',' || *p == ':' || *p == '\\')
			out[n++] = '\\';
		out[n++] = *p;
	}
	out[n] = '\0';
	return n + 2 < size ? 0 : -ENAMETOOLONG;
}

static int carry_out(const struct jail_op *op, cibox_error *err)
{
	/* cppcheck-suppress variableScope ; the cases share the buffers */
	char src[PATH_MAX], dst[PATH_MAX], opts[3 * PATH_MAX + 64];
	bool directory = op_target(op, src, dst);
	struct target t;
	int rc = ensure_target(op->dst, directory, &t, err);
	if (rc < 0)
		return rc;
	switch (op->kind) {
	case JAIL_TMPFS:
		rc = mount_or_fail_as("tmpfs", t.path, op->dst, "tmpfs", MS_NOSUID | MS_NODEV,
				      "mode=0755", err);
		break;
	case JAIL_BIND:
	case JAIL_RO_BIND:
		rc = mount_or_fail_as(src, t.path, op->dst, NULL, MS_BIND | MS_REC, NULL, err);
		if (rc == 0 && op->kind == JAIL_RO_BIND)
			rc = make_read_only_in_root(op->dst, err);
		break;
	case JAIL_OVERLAY: {
		/* volatile: unmounting an overlay otherwise syncs its upper layer's
		 * whole file system (everyone's dirty pages on it, and a disk
		 * flush), which was the longest wait of a run's end. Nothing
		 * needs a run's changes on disk then: a crash loses at most what
		 * the last runs changed in tree/, as the reports, not synced
		 * either; steps' fsync calls there return at once. */
		char lower[2 * PATH_MAX], upper[2 * PATH_MAX], work[2 * PATH_MAX];
		if (overlay_path(lower, sizeof lower, "", src) < 0 ||
		    overlay_path(upper, sizeof upper, OLDROOT, op->upper) < 0 ||
		    overlay_path(work, sizeof work, OLDROOT, op->work) < 0 ||
		    snprintf(opts, sizeof opts,
			     "lowerdir=%s,upperdir=%s,workdir=%s,userxattr,volatile", lower, upper,
			     work) >= (int)sizeof opts)
			rc = error_set(err, -ENAMETOOLONG, "the overlay's paths are too long");
		else
			rc = mount_or_fail_as("overlay", t.path, op->dst, "overlay", 0, opts, err);
		break;
	}
	default: rc = error_set(err, -EINVAL, "unknown jail operation");
	}
	close_target(&t);
	return rc;
}

/* Landlock's scope (Linux 6.12, ABI 6): no connecting to an abstract unix
 * socket made outside the jail. Abstract sockets belong to a network
 * namespace, so this matters where the host's network is shared: X11, D-Bus
 * and some daemons listen on one. Older kernels lack it; nothing else can
 * stop it there. Defined here since older headers lack the field. */
struct scope_ruleset_attr {
	__u64 handled_access_fs, handled_access_net, scoped;
};

static void scope_abstract_sockets(void)
{
	struct scope_ruleset_attr attr = { 0, 0, 1 /* LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET */ };
	long fd = syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
	if (fd < 0)
		return;
	syscall(SYS_landlock_restrict_self, (int)fd, 0);
	close((int)fd);
}

static void bring_loopback_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	struct ifreq ifr = { 0 };
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
}

/* A network namespace takes the kernel longer to make than all the jail's
 * other namespaces together (most of a millisecond: its devices, tables and
 * sysctls). A child of the init makes it, loopback up, while the init builds
 * the root; the init joins it before anything needs it (a sysfs of the
 * jail's network, the command). The child shares the init's descriptor
 * table, so the descriptor of its namespace it opens is the init's, and it
 * ends at once. */
struct net_maker {
	pid_t pid;
	int answer[2]; /* the child's: the descriptor, or the errno that stopped it */
	int proc;      /* the child's way to its namespace: the table is shared,
			* so nothing it uses is closed before it ends */
};

static void net_end(struct net_maker *net)
{
	if (net->pid > 0)
		while (waitpid(net->pid, NULL, 0) < 0 && errno == EINTR)
			;
	int fds[] = { net->answer[0], net->answer[1], net->proc };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	*net = (struct net_maker){ -1, { -1, -1 }, -1 };
}

static int net_start(struct net_maker *net, cibox_error *err)
{
	/* Opened here: once the init moves to the new root, a path from the
	 * child's root no longer leads to the host's /proc. */
	net->proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (net->proc < 0)
		return error_set(err, -errno, "cannot open /proc: %s", strerror(errno));
	if (pipe2(net->answer, O_CLOEXEC) < 0) {
		int rc = error_set(err, -errno, "pipe: %s", strerror(errno));
		net_end(net);
		return rc;
	}
#if defined(__s390__) || defined(__s390x__)
	net->pid = (pid_t)syscall(SYS_clone, NULL, CLONE_FILES | SIGCHLD, NULL, NULL, NULL);
#else
	net->pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, NULL, NULL, NULL, NULL);
#endif
	if (net->pid == 0) {
		int fd = -1, made = unshare(CLONE_NEWNET) == 0 ? 0 : errno;
		if (made == 0) {
			bring_loopback_up();
			fd = openat(net->proc, "thread-self/ns/net", O_RDONLY | O_CLOEXEC);
			made = fd < 0 ? errno : 0;
		}
		int said[2] = { fd, made };
		ssize_t unused = write(net->answer[1], said, sizeof said);
		(void)unused;
		_exit(0);
	}
	if (net->pid < 0) {
		int rc = error_set(err, -errno, "cannot start the jail's network: %s",
				   strerror(errno));
		net_end(net);
		return rc;
	}
	return 0;
}

static int net_join(struct net_maker *net, cibox_error *err)
{
	if (net->pid < 0)
		return 0;
	int said[2] = { -1, EIO }, rc = 0;
	ssize_t n;
	while ((n = read(net->answer[0], said, sizeof said)) < 0 && errno == EINTR)
		;
	if (n != sizeof said)
		said[1] = EIO;
	if (said[1] != 0)
		rc = unavailable(err, "cannot create the jail's network namespace", said[1],
				 "this kernel or machine refuses network namespaces (CI_NETWORK=host "
				 "shares the host's)");
	else if (setns(said[0], CLONE_NEWNET) < 0)
		rc = error_set(err, -errno, "cannot join the jail's network namespace: %s",
			       strerror(errno));
	if (said[0] >= 0)
		close(said[0]);
	net_end(net);
	return rc;
}

/* overlayfs's lowerdir for the root's folder `path`, seen at `host` in this
 * namespace: a kept layer's copy of that folder above it, when there is one. */
static int layered_lower(char *out, size_t size, const jail_plan *plan, const char *path,
			 const char *host)
{
	char kept[2 * PATH_MAX], escaped[2 * PATH_MAX];
	struct stat st;
	if (overlay_path(escaped, sizeof escaped, "", host) < 0)
		return -ENAMETOOLONG;
	if (plan->root_layer &&
	    snprintf(kept, sizeof kept, "%s%s/root%s", OLDROOT, plan->root_layer,
		     strcmp(path, "/") ? path : "") < (int)sizeof kept &&
	    lstat(kept, &st) == 0 && S_ISDIR(st.st_mode)) {
		char layer[2 * PATH_MAX];
		if (overlay_path(layer, sizeof layer, "", kept) < 0)
			return -ENAMETOOLONG;
		return snprintf(out, size, "%s:%s", layer, escaped) < (int)size ? 0 : -ENAMETOOLONG;
	}
	return snprintf(out, size, "%s", escaped) < (int)size ? 0 : -ENAMETOOLONG;
}

/* An image need not hold the folders the jail mounts on (the work tree's path,
 * the run folder, caches): it is seen through an overlay whose upper layer is
 * in the jail's scratch tmpfs, where they are made before the root turns
 * read-only. The image itself is never written. */
static int mount_image(const jail_plan *plan, const char *image, cibox_error *err)
{
	char opts[5 * PATH_MAX], lower[4 * PATH_MAX + 2];
	if (fs_make_folders("/changes/0/upper", 0755) < 0 || mkdir("/changes/0/work", 0755) < 0 ||
	    fs_write_atomically("/changes/0/path", "/", 1, 0644, FS_VOLATILE) < 0)
		return error_set(err, -errno, "cannot prepare the image's overlay: %s",
				 strerror(errno));
	if (layered_lower(lower, sizeof lower, plan, "/", image) < 0 ||
	    snprintf(opts, sizeof opts,
		     "lowerdir=%s,upperdir=/changes/0/upper,workdir=/changes/0/work,userxattr",
		     lower) >= (int)sizeof opts)
		return error_set(err, -ENAMETOOLONG, "the image's path is too long");
	int rc = mount_or_fail("overlay", NEWROOT, "overlay", 0, opts, err);
	static const char *const fixed[] = { "/proc", "/dev", "/tmp", "/sys" };
	struct target t;
	for (size_t i = 0; rc == 0 && i < sizeof fixed / sizeof fixed[0]; i++)
		if ((rc = ensure_target(fixed[i], true, &t, err)) == 0)
			close_target(&t);
	for (size_t i = 0; rc == 0 && i < plan->count; i++) {
		char src[PATH_MAX], dst[PATH_MAX];
		bool directory = op_target(&plan->ops[i], src, dst);
		if ((rc = ensure_target(plan->ops[i].dst, directory, &t, err)) == 0)
			close_target(&t);
	}
	return rc;
}

/* Filesystems of the kernel's own, not files: the jail makes its own
 * /proc, /sys and /dev, and the others have nothing to install into. */
static bool pseudo_filesystem(const char *type)
{
	static const char *const types[] = { "proc",      "sysfs",      "devtmpfs", "devpts",
					     "cgroup",    "cgroup2",    "mqueue",   "debugfs",
					     "tracefs",   "securityfs", "bpf",      "fusectl",
					     "configfs",  "pstore",     "autofs",   "binfmt_misc",
					     "hugetlbfs", "efivarfs",   "nsfs" };
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcmp(type, types[i]) == 0)
			return true;
	return false;
}

/* mountinfo writes space, tab, newline and backslash as \ooo. */
static void unescape_mountinfo(char *s)
{
	char *out = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*out++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*out++ = *p;
		}
	}
	*out = '\0';
}

/* The host's mount points below its root, as host paths. */
struct host_mounts {
	char **paths;
	char **types;
	size_t count;
};

static void host_mounts_free(struct host_mounts *m)
{
	for (size_t i = 0; i < m->count; i++) {
		free(m->paths[i]);
		free(m->types[i]);
	}
	free(m->paths);
	free(m->types);
}

static int host_mounts_load(struct host_mounts *m, cibox_error *err)
{
	memset(m, 0, sizeof *m);
	FILE *f = fopen(OLDROOT "/proc/self/mountinfo", "re");
	if (!f)
		return error_set(err, -errno, "cannot read the host's mounts: %s", strerror(errno));
	char *line = NULL;
	size_t cap = 0, room = 0;
	int rc = 0;
	while (rc == 0 && getline(&line, &cap, f) > 0) {
		char *fields[5], *save = NULL, *p = line, *sep = strstr(line, " - ");
		char type[64];
		size_t n = 0;
		if (!sep || sscanf(sep + 3, "%63s", type) != 1)
			continue;
		*sep = '\0';
		for (char *tok; n < 5 && (tok = strtok_r(p, " ", &save)); p = NULL)
			fields[n++] = tok;
		if (n < 5)
			continue;
		unescape_mountinfo(fields[4]);
		if (!under(fields[4], OLDROOT) || strcmp(fields[4], OLDROOT) == 0)
			continue;
		if (m->count == room) {
			room = room ? 2 * room : 32;
			char **paths = realloc(m->paths, room * sizeof *paths);
			if (paths)
				m->paths = paths;
			char **types = paths ? realloc(m->types, room * sizeof *types) : NULL;
			if (types)
				m->types = types;
			if (!paths || !types) {
				rc = error_set(err, -ENOMEM, "out of memory");
				break;
			}
		}
		m->paths[m->count] = strdup(fields[4] + strlen(OLDROOT));
		m->types[m->count] = strdup(type);
		if (!m->paths[m->count] || !m->types[m->count]) {
			free(m->paths[m->count]);
			free(m->types[m->count]);
			rc = error_set(err, -ENOMEM, "out of memory");
			break;
		}
		m->count++;
	}
	free(line);
	fclose(f);
	if (rc < 0)
		host_mounts_free(m);
	return rc;
}

/* Whether a filesystem is mounted below `path` (not at it). */
static bool holds_mounts(const struct host_mounts *m, const char *path)
{
	for (size_t i = 0; i < m->count; i++)
		if (strcmp(m->paths[i], path) != 0 && under(m->paths[i], path))
			return true;
	return false;
}

static const char *mount_type(const struct host_mounts *m, const char *path)
{
	const char *type = NULL;
	for (size_t i = 0; i < m->count; i++)
		if (strcmp(m->paths[i], path) == 0)
			type = m->types[i]; /* the last one mounted there is on top */
	return type;
}

static int show_read_only(const char *host, const char *target, cibox_error *err)
{
	if (mount(host, target, NULL, MS_BIND | MS_REC, NULL) < 0)
		return 0; /* what the caller cannot see, the jail does not show */
	return make_read_only(target, err);
}

static int overlay_host_folder(const jail_plan *plan, const struct host_mounts *m, const char *path,
			       unsigned *layer, cibox_error *err);

/* One overlay's upper and work folders in the scratch tmpfs, and the root's
 * folder it covers, for keeping a layer. Nothing else can reach the scratch
 * while the root is built: the writes need no care beyond their count, a
 * run's start being made of them. */
static int make_layer_dir(const char *dir, const char *path)
{
	char sub[48];
	if (mkdir(dir, 0755) < 0)
		return -errno;
	snprintf(sub, sizeof sub, "%s/upper", dir);
	if (mkdir(sub, 0755) < 0)
		return -errno;
	snprintf(sub, sizeof sub, "%s/work", dir);
	if (mkdir(sub, 0755) < 0)
		return -errno;
	snprintf(sub, sizeof sub, "%s/path", dir);
	int fd = open(sub, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	size_t len = strlen(path);
	int rc = write(fd, path, len) == (ssize_t)len ? 0 : -EIO;
	close(fd);
	return rc;
}

/* Each entry of a host folder that holds mounts, made again in the jail's
 * writable root: folders in turn, links as links, other files shown
 * read-only. */
static int overlay_host_entries(const jail_plan *plan, const struct host_mounts *m,
				const char *path, unsigned *layer, cibox_error *err)
{
	char host[PATH_MAX];
	jail_path(host, OLDROOT, path);
	DIR *d = opendir(host);
	if (!d)
		return 0;
	int rc = 0;
	for (struct dirent *e; rc == 0 && (e = readdir(d));) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		/* Room for NEWROOT or OLDROOT in front. */
		char child[PATH_MAX - 16], from[PATH_MAX], to[PATH_MAX], link[PATH_MAX];
		struct stat st;
		if (snprintf(child, sizeof child, "%s/%s", strcmp(path, "/") ? path : "",
			     e->d_name) >= (int)sizeof child)
			continue;
		jail_path(from, OLDROOT, child);
		jail_path(to, NEWROOT, child);
		if (lstat(from, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (mkdir(to, st.st_mode & 07777) < 0 && errno != EEXIST)
				return error_set(err, -errno, "cannot make %s in the jail: %s",
						 child, strerror(errno));
			/* Made root's; an owner the jail cannot map stays root's. */
			if (st.st_uid != 0 || st.st_gid != 0) {
				int unused = lchown(to, st.st_uid, st.st_gid);
				(void)unused;
			}
			rc = overlay_host_folder(plan, m, child, layer, err);
		} else if (S_ISLNK(st.st_mode)) {
			ssize_t n = readlink(from, link, sizeof link - 1);
			if (n > 0 && (link[n] = '\0', symlink(link, to) < 0) && errno != EEXIST)
				rc = error_set(err, -errno, "cannot make %s in the jail: %s", child,
					       strerror(errno));
		} else {
			int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
			if (fd >= 0) {
				close(fd);
				rc = show_read_only(from, to, err);
			}
		}
	}
	closedir(d);
	return rc;
}

/* A host folder seen writable in the new root: one overlay whose upper
 * layer is in the jail's scratch tmpfs. overlayfs cannot take as its lower
 * layer a folder below which mounts are locked (every mount the jail
 * inherited is), so such a folder is made again entry by entry, down to the
 * mounts, each overlaid on its own. What the jail replaces anyway (/proc,
 * /sys, /dev, /tmp, home folders, /run) stays an empty folder here. */
static int overlay_host_folder(const jail_plan *plan, const struct host_mounts *m, const char *path,
			       unsigned *layer, cibox_error *err)
{
	char host[PATH_MAX], target[PATH_MAX], layer_dir[32];
	char lower[4 * PATH_MAX + 2], opts[4 * PATH_MAX + 160];
	if (under(path, "/proc") || under(path, "/sys") || under(path, "/dev") ||
	    under(path, "/tmp") || under_hidden(path))
		return 0;
	jail_path(host, OLDROOT, path);
	jail_path(target, NEWROOT, path);
	const char *type = mount_type(m, path);
	if (type && pseudo_filesystem(type))
		return show_read_only(host, target, err);
	if (holds_mounts(m, path))
		return overlay_host_entries(plan, m, path, layer, err);
	snprintf(layer_dir, sizeof layer_dir, "/changes/%u", (*layer)++);
	if (make_layer_dir(layer_dir, path) == 0 &&
	    layered_lower(lower, sizeof lower, plan, path, host) == 0 &&
	    snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work,userxattr",
		     lower, layer_dir, layer_dir) < (int)sizeof opts &&
	    mount("overlay", target, "overlay", 0, opts) == 0)
		return 0;
	return show_read_only(host, target, err);
}

/* The host's root, writable for the run, on a tmpfs of its own: steps
 * install packages while the host's files never change. */
static int overlay_host_root(const jail_plan *plan, cibox_error *err)
{
	struct host_mounts m;
	unsigned layer = 0;
	int rc = mount_or_fail("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", err);
	if (rc == 0 && mkdir("/changes", 0755) < 0)
		rc = error_set(err, -errno, "cannot make the root's scratch: %s", strerror(errno));
	if (rc == 0 && (rc = host_mounts_load(&m, err)) == 0) {
		rc = overlay_host_entries(plan, &m, "/", &layer, err);
		host_mounts_free(&m);
	}
	return rc;
}

static int hide_host_folders(cibox_error *err)
{
	for (size_t i = 0; i < sizeof hidden / sizeof hidden[0]; i++) {
		char host[PATH_MAX], target[PATH_MAX];
		struct stat st;
		jail_path(host, OLDROOT, hidden[i]);
		jail_path(target, NEWROOT, hidden[i]);
		/* /var/run is most often a link to /run, hidden already. */
		if (lstat(host, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		int rc = mount_or_fail("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755",
				       err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* $HOME is a fresh folder of the command's own, whatever the host's held. A
 * home that cannot be made in the read-only root (nobody's /nonexistent)
 * stays missing, as on the host. */
static int make_home(const jail_plan *plan, cibox_error *err)
{
	char opts[64];
	/* The private /tmp hides a home there already, and stays empty; root's
	 * own, /root, is one of the empty folders already. */
	if (!plan->home || strcmp(plan->home, "/") == 0 || strncmp(plan->home, "/tmp/", 5) == 0 ||
	    (!plan->rootfs && !plan->keep_uid && strcmp(plan->home, "/root") == 0))
		return 0;
	cibox_error ignored;
	struct target t;
	if (ensure_target(plan->home, true, &t, &ignored) < 0)
		return 0;
	snprintf(opts, sizeof opts, "mode=0700,uid=%u,gid=%u", plan->keep_uid ? plan->uid : 0,
		 plan->keep_uid ? plan->gid : 0);
	int rc = mount_or_fail_as("tmpfs", t.path, plan->home, "tmpfs", MS_NOSUID | MS_NODEV, opts,
				  err);
	close_target(&t);
	return rc;
}

/* The host's /sys describes the host's network devices; a jail with a
 * network of its own gets a sysfs of that network, or none where the
 * machine refuses one (an empty folder then). */
static int setup_sys(const jail_plan *plan, cibox_error *err)
{
	struct stat st;
	/* A writable root made the host's folders again, /sys empty. */
	if (plan->share_network && plan->writable_root && !plan->rootfs)
		return show_read_only(OLDROOT "/sys", NEWROOT "/sys", err);
	if (plan->share_network || stat(NEWROOT "/sys", &st) < 0)
		return 0;
	if (mount("sysfs", NEWROOT "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
		  NULL) == 0)
		return 0;
	return mount_or_fail("tmpfs", NEWROOT "/sys", "tmpfs",
			     MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "mode=0555", err);
}

int jail_seal_proc(const char *proc, cibox_error *err)
{
	/* What root of the host could change for the whole machine through any
	 * /proc: sysctls (kernel.core_pattern runs a program as root), IRQ
	 * affinities, sysrq. A process whose uid is the host's root passes
	 * their owner checks in any user namespace. */
	static const char *const sealed[] = { "sys", "sysrq-trigger", "irq", "bus", "fs", "acpi" };
	for (size_t i = 0; i < sizeof sealed / sizeof sealed[0]; i++) {
		char path[PATH_MAX];
		struct stat st;
		snprintf(path, sizeof path, "%s/%s", proc, sealed[i]);
		if (lstat(path, &st) < 0)
			continue;
		if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, path, NULL,
			  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0)
			return error_set(err, -errno, "cannot make %s read-only: %s", path,
					 strerror(errno));
	}
	return 0;
}

/* Build the new root under NEWROOT with the host's root at OLDROOT, then make
 * it the root. Runs in the jail's init, inside every new namespace. */
static int build_root(const jail_plan *plan, struct net_maker *net, cibox_error *err)
{
	int rc = 0;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return error_set(err, -errno, "cannot make the jail's mounts private: %s",
				 strerror(errno));
	/* A tmpfs over /tmp becomes the root for a moment: the host's / moves to
	 * OLDROOT, where every host path (also under /tmp) stays reachable. */
	if ((rc = mount_or_fail("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", err)) < 0)
		return rc;
	if (chdir("/tmp") < 0 || mkdir("." NEWROOT, 0755) < 0 || mkdir("." OLDROOT, 0755) < 0 ||
	    syscall(SYS_pivot_root, ".", "." OLDROOT) < 0 || chdir("/") < 0)
		return error_set(err, -errno, "cannot prepare the jail's root: %s", strerror(errno));

	char root[PATH_MAX];
	jail_path(root, OLDROOT, plan->rootfs ? plan->rootfs : "");
	if (plan->rootfs)
		rc = mount_image(plan, root, err);
	else if (plan->writable_root)
		rc = overlay_host_root(plan, err);
	else
		rc = mount_or_fail(root, NEWROOT, NULL, MS_BIND | MS_REC, NULL, err);
	if (rc < 0 || (!plan->writable_root && (rc = make_read_only(NEWROOT, err)) < 0) ||
	    (rc = mount_or_fail("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
				NULL, err)) < 0 ||
	    (plan->uid == 0 && (rc = jail_seal_proc(NEWROOT "/proc", err)) < 0) ||
	    (rc = setup_dev(err)) < 0 ||
	    (rc = mount_or_fail("tmpfs", NEWROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777",
				err)) < 0)
		return rc;
	if ((!plan->rootfs && (rc = hide_host_folders(err)) < 0) || (rc = make_home(plan, err)) < 0 ||
	    (rc = net_join(net, err)) < 0 || (rc = setup_sys(plan, err)) < 0)
		return rc;
	if (!plan->rootfs && plan->show_cwd && plan->cwd && under_hidden(plan->cwd)) {
		struct jail_op cwd = { .kind = JAIL_RO_BIND, .src = plan->cwd, .dst = plan->cwd };
		if ((rc = carry_out(&cwd, err)) < 0)
			return rc;
	}
	for (size_t i = 0; i < plan->count; i++)
		if ((rc = carry_out(&plan->ops[i], err)) < 0)
			return rc;

	/* What the root's overlays keep stays reachable to the jail's own
	 * processes (a layer is kept from it), never to the steps. */
	if (plan->writable_root &&
	    (changes_fd = open("/changes", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return error_set(err, -errno, "cannot hold the root's changes: %s", strerror(errno));
	/* pivot_root(".", ".") stacks the old root on the new one; detach it. */
	if (chdir(NEWROOT) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return error_set(err, -errno, "cannot enter the jail's root: %s", strerror(errno));
	if (plan->cwd && chdir(plan->cwd) < 0 && chdir("/") < 0)
		return error_set(err, -errno, "cannot change to %s: %s", plan->cwd, strerror(errno));
	return 0;
}

/* --- the processes that hold the jail together --- */

static volatile pid_t forward_to;

/* Signals a terminal sends reach the whole process group by themselves. */
static void forward_signal(int sig, siginfo_t *info, void *context)
{
	(void)context;
	if (info->si_code != SI_KERNEL && forward_to > 0)
		kill(forward_to, sig);
}

static const int forwarded[] = { SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2 };

/* Adds (sigaddset) or takes out (sigdelset) every signal passed on. */
static void with_forwarded(sigset_t *set, int (*op)(sigset_t *, int))
{
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		op(set, forwarded[i]);
}

static void forward_signals(pid_t to)
{
	forward_to = to;
	struct sigaction sa = { .sa_sigaction = forward_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaction(forwarded[i], &sa, NULL);
}

/* End this process the way `status` says another one ended. */
static _Noreturn void exit_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		signal(sig, SIG_DFL);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* no second core dump */
		kill(getpid(), sig);
		_exit(128 + sig);
	}
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/* The jail's pid 1: reap every orphan; when the command ends, report how.
 * Signals held back while the jail was built are passed on now, when passing
 * on is the init's job (mask given). */
static _Noreturn void run_init(pid_t command, int status_fd, const sigset_t *mask)
{
	if (mask) {
		/* Held ones first, a terminal's too: the command did not exist
		 * when the kernel sent them to the group. */
		sigset_t held;
		sigemptyset(&held);
		with_forwarded(&held, sigaddset);
		struct timespec now = { 0, 0 };
		int sig;
		while ((sig = sigtimedwait(&held, NULL, &now)) > 0)
			kill(command, sig);
		forward_signals(command);
		sigprocmask(SIG_SETMASK, mask, NULL);
	}
	for (;;) {
		int status;
		pid_t pid = wait(&status);
		if (pid == command) {
			ssize_t unused = write(status_fd, &status, sizeof status);
			(void)unused;
			_exit(0); /* the kernel ends every other process of the jail */
		}
		if (pid < 0 && errno == ECHILD)
			_exit(1);
	}
}

/* overlayfs leaves folders of mode 0 in its work folder, on a volatile mount
 * one inside another (work/incompat/volatile/dirty): a run folder only root
 * could remove. Opening them up is a call each; emptying them, a journal update
 * per folder, took longer than the rest of a run's end. */
static void open_up_overlay_work(const jail_plan *plan)
{
	for (size_t i = 0; i < plan->count; i++) {
		if (plan->ops[i].kind != JAIL_OVERLAY || !plan->ops[i].work)
			continue;
		/* A folder of the run folder, which steps write: no link. */
		int fd = open(plan->ops[i].work, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		static const char *const nested[] = { "work", "work/incompat",
						      "work/incompat/volatile" };
		for (size_t j = 0; j < sizeof nested / sizeof nested[0]; j++)
			if (beneath_open_up(fd, nested[j]) < 0)
				break;
		close(fd);
	}
}

static int user_namespace_refused(int saved, cibox_error *err)
{
	if (saved == ENOSPC)
		return unavailable(err, "cannot create a user namespace", saved,
				   "raise the limit: sysctl -w user.max_user_namespaces=15000");
	if (saved == EINVAL)
		return unavailable(err, "cannot create a user namespace", saved,
				   "the kernel lacks user namespaces (CONFIG_USER_NS)");
	return unavailable(err, "cannot create a user namespace", saved,
			   "enable them for normal users: sysctl -w kernel.unprivileged_userns_clone=1 "
			   "(and on Ubuntu kernel.apparmor_restrict_unprivileged_userns=0)");
}

/* clone asked for every namespace at once; a child finds out which one the
 * machine refuses, so that the message can say how to allow it. */
static int spawn_refused(int saved, cibox_error *err)
{
	pid_t probe = fork();
	if (probe == 0)
		_exit(unshare(CLONE_NEWUSER) == 0 ? 0 : errno);
	int status;
	if (probe > 0 && waitpid(probe, &status, 0) == probe && WIFEXITED(status) &&
	    WEXITSTATUS(status) != 0)
		return user_namespace_refused(WEXITSTATUS(status), err);
	return unavailable(err, "cannot create the jail's namespaces", saved,
			   "this kernel or machine refuses mount, pid, ipc, uts or net namespaces");
}

pid_t jail_clone(long flags)
{
	/* The raw system call: glibc offers no fork that takes namespace flags,
	 * and unshare would leave the caller outside the new pid namespace. */
#if defined(__s390__) || defined(__s390x__)
	return (pid_t)syscall(SYS_clone, NULL, flags | SIGCHLD, NULL, NULL, NULL);
#else
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
#endif
}

pid_t jail_spawn(cibox_error *err)
{
	/* The network namespace comes later, made beside the root (net_start). */
	long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
	pid_t pid = jail_clone(flags);
	if (pid < 0 && (errno == EAGAIN || errno == ENOMEM))
		return error_set(err, -errno, "cannot start the jail's init: %s", strerror(errno));
	if (pid < 0)
		return spawn_refused(errno, err);
	return pid;
}

/* The ids a wide map holds are written from outside, by the process that
 * made the init (newuidmap checks that the init is its caller's, which it
 * is only while dumpable): the init says it is ready, and waits. */
static int await_map(int sync_fd, cibox_error *err)
{
	char c = 'r';
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	ssize_t n = write(sync_fd, &c, 1);
	while (n == 1 && (n = read(sync_fd, &c, 1)) < 0 && errno == EINTR)
		;
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	close(sync_fd);
	/* The maker reports what went wrong; an init of no use just ends. */
	if (n != 1 || c != 'm')
		_exit(125);
	(void)err;
	return 0;
}

static int init_jail(const jail_plan *plan, int status_fd, int sync_fd, cibox_error *err)
{
	/* An init that leads its own process group is signalled with the whole
	 * group, command and all (as cibox's supervisor does outside a
	 * terminal). Otherwise it passes signals on; pid 1 ignores a signal it has
	 * no handler for, so until its handlers are in place, they wait. */
	bool pass_on = getpgrp() != getpid();
	sigset_t hold, mask;
	sigemptyset(&hold);
	with_forwarded(&hold, sigaddset);
	sigprocmask(SIG_BLOCK, pass_on ? &hold : NULL, &mask);
	/* The command starts with them deliverable, whoever held them before. */
	with_forwarded(&mask, sigdelset);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	/* Writing its own id maps needs its /proc files, which are root's while
	 * the process is not dumpable (cibox's supervisor and runner are not).
	 * Then not dumpable again: pid 1 is bound by no filter, and the command,
	 * the same user, must not reach into its memory. */
	int rc;
	if (sync_fd >= 0) {
		rc = await_map(sync_fd, err);
	} else {
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		rc = map_ids(plan, err);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	}
	struct net_maker net = { -1, { -1, -1 }, -1 };
	if (rc == 0 && !plan->share_network)
		rc = net_start(&net, err);
	if (rc == 0)
		rc = build_root(plan, &net, err);
	net_end(&net);
	if (rc < 0)
		return rc;
	if (sethostname("cibox", 5) < 0)
		return error_set(err, -errno, "sethostname: %s", strerror(errno));
	if (plan->share_network)
		scope_abstract_sockets();
	/* The caller's session keyring (an ssh login's, with its keys) would be
	 * the command's too: a new, empty one. */
	if (!plan->keep_keyring)
		syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
	if (plan->on_built && (rc = plan->on_built(plan->on_built_context, err)) < 0)
		return rc;
	pid_t command = fork();
	if (command < 0)
		return error_set(err, -errno, "fork: %s", strerror(errno));
	if (command > 0)
		run_init(command, status_fd, pass_on ? &mask : NULL);
	close(status_fd);
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	return 0;
}

int jail_init(const jail_plan *plan, int status_fd, cibox_error *err)
{
	return init_jail(plan, status_fd, -1, err);
}

/* Writes the init's wide id map once it is ready for it; on failure the
 * init is told, and ends. */
static int map_from_outside(const jail_plan *plan, pid_t init, int sync_fd, cibox_error *err)
{
	char c;
	ssize_t n;
	while ((n = read(sync_fd, &c, 1)) < 0 && errno == EINTR)
		;
	int rc = n == 1 ? idmap_write(init, &plan->idmap, err)
			: error_set(err, -EIO, "the jail's init ended before its ids were mapped");
	c = rc == 0 ? 'm' : 'x';
	if (write(sync_fd, &c, 1) != 1 && rc == 0)
		rc = error_set(err, -EIO, "the jail's init ended before its ids were mapped");
	close(sync_fd);
	return rc;
}

int jail_enter(const jail_plan *plan, cibox_error *err)
{
	int status_pipe[2], sync[2] = { -1, -1 }, failed[2];
	if (pipe2(status_pipe, O_CLOEXEC) < 0)
		return error_set(err, -errno, "pipe: %s", strerror(errno));
	/* A jail that cannot be built says why to this process, which goes on
	 * as the caller expects of an error: only processes the jail holds
	 * end inside it. */
	if (pipe2(failed, O_CLOEXEC) < 0) {
		int rc = error_set(err, -errno, "pipe: %s", strerror(errno));
		close(status_pipe[0]);
		close(status_pipe[1]);
		return rc;
	}
	if (plan->wide_map && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0) {
		int rc = error_set(err, -errno, "socketpair: %s", strerror(errno));
		close(status_pipe[0]);
		close(status_pipe[1]);
		close(failed[0]);
		close(failed[1]);
		return rc;
	}
	/* Held from before the clone until this process passes them on, so
	 * that none ends it while the init has no way to learn of it yet. */
	sigset_t hold, mask;
	sigemptyset(&hold);
	with_forwarded(&hold, sigaddset);
	sigprocmask(SIG_BLOCK, &hold, &mask);
	pid_t init = jail_spawn(err);
	if (init < 0) {
		sigprocmask(SIG_SETMASK, &mask, NULL);
		close(status_pipe[0]);
		close(status_pipe[1]);
		close(failed[0]);
		close(failed[1]);
		if (sync[0] >= 0) {
			close(sync[0]);
			close(sync[1]);
		}
		return init;
	}
	if (init == 0) {
		close(status_pipe[0]);
		close(failed[0]);
		if (sync[0] >= 0)
			close(sync[0]);
		int rc = init_jail(plan, status_pipe[1], sync[1], err);
		if (rc < 0) {
			ssize_t unused = write(failed[1], err, sizeof *err);
			(void)unused;
			_exit(125);
		}
		close(failed[1]);
		return rc;
	}
	close(status_pipe[1]);
	close(failed[1]);
	if (sync[0] >= 0) {
		close(sync[1]);
		int rc = map_from_outside(plan, init, sync[0], err);
		if (rc < 0) {
			while (waitpid(init, NULL, 0) < 0 && errno == EINTR)
				;
			sigprocmask(SIG_SETMASK, &mask, NULL);
			close(status_pipe[0]);
			close(failed[0]);
			return rc;
		}
	}
	/* Outside every namespace: wait for the jail, leave overlayfs's work
	 * folders removable and end as the command did. */
	forward_signals(init);
	sigprocmask(SIG_SETMASK, &mask, NULL);
	int status;
	while (waitpid(init, &status, 0) < 0 && errno == EINTR)
		;
	open_up_overlay_work(plan);
	cibox_error why;
	if (read(failed[0], &why, sizeof why) == sizeof why) {
		forward_to = 0;
		close(failed[0]);
		close(status_pipe[0]);
		*err = why;
		return why.code < 0 ? why.code : -EIO;
	}
	int command_status;
	if (read(status_pipe[0], &command_status, sizeof command_status) == sizeof command_status)
		exit_like(command_status);
	exit_like(status);
}
