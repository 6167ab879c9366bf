#include "ci/engine_oci.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ci/layout.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/run_command.h"
#include "util/strbuf.h"

extern char **environ;

/* What differs between the engines' command lines. */
struct oci_flavour {
	const char *program;
	const char *install;  /* the Debian packages that bring it */
	const char *no_image; /* how `image inspect` says it lacks an image */
	/* The tree's overlay as one option: "%1$s" the tree, "%2$s" the upper
	 * folder, "%3$s" overlayfs's work folder. */
	const char *overlay_option;
	const char *overlay_format;
	/* podman starts the container itself, as the caller: runc sets the
	 * container's limits from inside it and may not raise them above the
	 * caller's, which podman's defaults (a million open files) are. */
	bool caller_limits;
	/* crun, podman's usual runtime, cannot create containers under the
	 * hybrid cgroup layout (cgroup v1 controllers beside the unified tree)
	 * some kernels boot with; runc can, so podman gets runc when installed. */
	bool prefer_runc;
	/* docker refuses a hostname of its own in the host's network. */
	bool hostname_in_host_network;
	/* `rm -f` gives podman's containers 10 s to stop; -t 0 kills at once. */
	bool rm_takes_time;
};

static const struct oci_flavour podman = {
	"podman",
	"podman runc",
	"image not known",
	"-v",
	"%1$s:%1$s:O,upperdir=%2$s,workdir=%3$s",
	true,
	true,
	true,
	true,
};

/* docker's daemon mounts a local volume of type overlay, the tree its lower
 * layer. */
static const struct oci_flavour docker = {
	"docker",
	"docker.io",
	"No such image",
	"--mount",
	"type=volume,dst=%1$s,volume-driver=local,volume-opt=type=overlay,volume-opt=device=overlay,"
	"\"volume-opt=o=lowerdir=%1$s,upperdir=%2$s,workdir=%3$s\"",
	false,
	false,
	false,
	false,
};

/* A growing argument vector, NULL-terminated; an allocation failure is kept
 * until the owner checks `oom`. */
struct words {
	char **v;
	size_t n, cap;
	bool oom;
};

static void words_add(struct words *w, const char *word)
{
	if (w->oom)
		return;
	if (w->n + 2 > w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 32;
		char **v = realloc(w->v, cap * sizeof *v);
		if (!v) {
			w->oom = true;
			return;
		}
		w->v = v;
		w->cap = cap;
	}
	if (!(w->v[w->n] = strdup(word))) {
		w->oom = true;
		return;
	}
	w->v[++w->n] = NULL;
}

__attribute__((format(printf, 2, 3))) static void words_addf(struct words *w, const char *fmt, ...)
{
	char *word;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&word, fmt, ap);
	va_end(ap);
	if (n < 0) {
		w->oom = true;
		return;
	}
	words_add(w, word);
	free(word);
}

static void words_free(struct words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	*w = (struct words){ 0 };
}

/* What every shell of a run starts with: program run FLAGS --name NAME
 * [--env NAME]... IMAGE. */
struct oci_run {
	const struct oci_flavour *flavour;
	char program[PATH_MAX];
	struct words flags;
	char *image;
	struct words names; /* of the containers started, each "<prefix><n>" */
	char prefix[64];
	struct words work_dirs; /* overlayfs's work folders */
	int guard;              /* to the guard (see start_guard), or -1 */
};

static int capture(char *const argv[], struct strbuf *out);

/* Removes the run's containers. -v: docker's overlay is an anonymous volume,
 * which --rm would have removed with the container. */
static void remove_containers(const struct oci_run *run, char *const names[], size_t count)
{
	for (size_t i = 0; i < count; i++) {
		struct strbuf ignored = STRBUF_INIT;
		char *argv[8];
		size_t n = 0;
		argv[n++] = (char *)run->program;
		argv[n++] = "rm";
		argv[n++] = "-f";
		argv[n++] = "-v";
		if (run->flavour->rm_takes_time) {
			argv[n++] = "-t";
			argv[n++] = "0";
		}
		argv[n++] = names[i];
		argv[n] = NULL;
		capture(argv, &ignored);
		strbuf_release(&ignored);
	}
}

/* A container whose shell was killed (the run interrupted) stays in the
 * engine's records, as running, once its monitor is gone too: it is removed
 * here. Others removed themselves (--rm) and are not found. */
static void oci_release(void *state)
{
	struct oci_run *run = state;
	if (!run)
		return;
	remove_containers(run, run->names.v, run->names.n);
	/* The work folders' contents are overlayfs's, left without permissions. */
	for (size_t i = 0; i < run->work_dirs.n; i++)
		fs_remove_tree(run->work_dirs.v[i]);
	if (run->guard >= 0) {
		send(run->guard, "q", 1, MSG_NOSIGNAL);
		close(run->guard);
	}
	words_free(&run->names);
	words_free(&run->flags);
	words_free(&run->work_dirs);
	free(run->image);
	free(run);
}

/*
 * The guard: a process of its own session, outside cibox's process tree,
 * that outlives cibox. The engine's monitor, not cibox, is a container's
 * parent, so a cibox killed outright (SIGKILL) would leave its container
 * running the step. The guard waits on a socket only cibox holds: told "q"
 * it leaves; at end of file, cibox is gone without cleaning up, and the guard
 * removes every container of the run (their names share a prefix) and
 * overlayfs's work folder.
 */
/* Removes the containers whose names carry the run's prefix; how many. */
static size_t remove_listed(const struct oci_run *run)
{
	struct strbuf ids = STRBUF_INIT;
	char filter[96];
	snprintf(filter, sizeof filter, "name=%s", run->prefix);
	char *list[] = { (char *)run->program, "ps", "-aq", "--filter", filter, NULL };
	size_t count = 0;
	if (capture(list, &ids) == 0 && !ids.oom) {
		char *found[64], *rest;
		for (char *id = strtok_r(ids.buf, "\n", &rest); id && count < 64;
		     id = strtok_r(NULL, "\n", &rest))
			found[count++] = id;
		remove_containers(run, found, count);
	}
	strbuf_release(&ids);
	return count;
}

static _Noreturn void guard_main(const struct oci_run *run, int sock)
{
	char c;
	ssize_t n;
	while ((n = read(sock, &c, 1)) < 0 && errno == EINTR)
		;
	if (n == 1)
		_exit(0);
	/* A second apart, until a look after the first finds nothing (ten at
	 * most): an engine client cibox had just started may still be creating
	 * its container. */
	for (int round = 0; round < 10; round++) {
		if (round)
			sleep(1);
		if (remove_listed(run) == 0 && round > 0)
			break;
	}
	for (size_t i = 0; i < run->work_dirs.n; i++)
		fs_remove_tree(run->work_dirs.v[i]);
	_exit(0);
}

static int start_guard(struct oci_run *run, cibox_error *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return error_set(err, -errno, "socketpair: %s", strerror(errno));
	pid_t child = fork();
	if (child < 0) {
		int rc = -errno;
		close(sv[0]), close(sv[1]);
		return error_set(err, rc, "fork: %s", strerror(-rc));
	}
	if (child == 0) {
		/* Fork again, so that the guard is nobody's child here, and in a
		 * session of its own: what ends cibox's process group or session
		 * (Ctrl-C, a hang-up, a CI job's timeout) does not reach it. */
		if (fork() != 0)
			_exit(0);
		setsid();
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		int null = open("/dev/null", O_RDWR);
		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
		    dup2(sv[1], 3) < 0)
			_exit(1);
		/* Nothing of cibox's stays open: an output pipe held here would keep
		 * whoever reads cibox's output waiting. */
		close_range(4, ~0U, 0);
		guard_main(run, 3);
	}
	close(sv[1]);
	while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
		;
	run->guard = sv[0];
	return 0;
}

static bool find_program(const char *name, const char *extra_dirs, char *buf, size_t size)
{
	const char *path = getenv("PATH");
	struct strbuf dirs = STRBUF_INIT;
	strbuf_addf(&dirs, "%s:%s", path && *path ? path : "/usr/bin:/bin", extra_dirs);
	bool found = false;
	for (char *dir = dirs.buf, *next; !dirs.oom && dir && !found; dir = next) {
		next = strchr(dir, ':');
		if (next)
			*next++ = '\0';
		found = *dir && snprintf(buf, size, "%s/%s", dir, name) < (int)size &&
			access(buf, X_OK) == 0;
	}
	strbuf_release(&dirs);
	return found;
}

/* Runs argv, both its output streams into `out`; its exit status, 128 + N
 * for signal N, or a negative errno. */
static int capture(char *const argv[], struct strbuf *out)
{
	struct runcmd cmd = RUNCMD_INIT;
	cmd.argv = argv;
	cmd.in.how = RUNCMD_NULL;
	cmd.err.how = RUNCMD_STDOUT;
	int status;
	int rc = runcmd_capture(&cmd, out, &status, NULL);
	return rc < 0 ? rc : runcmd_exit_code(status);
}

/* The last line that says something, for a one-line error. */
static const char *last_line(struct strbuf *text)
{
	while (text->len && (text->buf[text->len - 1] == '\n' || text->buf[text->len - 1] == ' '))
		text->buf[--text->len] = '\0';
	char *line = strrchr(text->buf, '\n');
	return line ? line + 1 : text->len ? text->buf : "(it printed nothing)";
}

/* Commas and colons separate the fields of a mount option. */
static int check_path(const char *what, const char *path, cibox_error *err)
{
	if (strpbrk(path, ",:\""))
		return error_set(err, -EINVAL,
				 "%s %s holds ',', ':' or '\"', which a container mount cannot",
				 what, path);
	return 0;
}

static void add_bind(struct words *w, const char *source, const char *target)
{
	words_add(w, "--mount");
	words_addf(w, "type=bind,source=%s,destination=%s", source, target);
}

/* A program with an interpreter (the dynamic loader) finds it, and the
 * libraries, only where it was built: not in an image. */
static bool linked_statically(void)
{
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
	size_t count = getauxval(AT_PHNUM);
	for (size_t i = 0; ph && i < count; i++)
		if (ph[i].p_type == PT_INTERP)
			return false;
	return ph != NULL;
}

static int add_cibox(struct words *w, cibox_error *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return error_set(err, -errno, "cannot find cibox's own program: %s", strerror(errno));
	self[n] = '\0';
	if (!linked_statically())
		return error_set(
			err, -EOPNOTSUPP,
			"--trace and CI_SANDBOX run cibox inside the container, and %s is linked "
			"dynamically (as make check-asan builds it), which an image cannot run; "
			"use the statically linked build",
			self);
	int rc = check_path("cibox's program", self, err);
	if (rc < 0)
		return rc;
	words_add(w, "--mount");
	words_addf(w, "type=bind,source=%s,destination=" ENGINE_CIBOX_IN_CONTAINER ",readonly", self);
	return 0;
}

/* The caller's limits, the process limit no higher than the kernel's number
 * of process ids: podman lowers its own to that. */
static void add_limits(struct words *w)
{
	struct rlimit files, procs;
	if (getrlimit(RLIMIT_NOFILE, &files) == 0) {
		words_add(w, "--ulimit");
		words_addf(w, "nofile=%llu:%llu", (unsigned long long)files.rlim_cur,
			   (unsigned long long)files.rlim_max);
	}
	unsigned long long pid_max = 32768;
	FILE *f = fopen("/proc/sys/kernel/pid_max", "re");
	if (f) {
		if (fscanf(f, "%llu", &pid_max) != 1)
			pid_max = 32768;
		fclose(f);
	}
	if (getrlimit(RLIMIT_NPROC, &procs) == 0) {
		unsigned long long cur = procs.rlim_cur, max = procs.rlim_max;
		if (procs.rlim_cur == RLIM_INFINITY || cur > pid_max)
			cur = pid_max;
		if (procs.rlim_max == RLIM_INFINITY || max > pid_max)
			max = pid_max;
		words_add(w, "--ulimit");
		words_addf(w, "nproc=%llu:%llu", cur, max);
	}
}

/* The run's layout (ci/layout.h) as the engine's flags, in its order. */
static int add_mounts(struct oci_run *run, const struct run_layout *layout,
		      const struct oci_options *options, cibox_error *err)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < layout->count; i++) {
		const struct layout_mount *m = &layout->mounts[i];
		if ((rc = check_path(m->what, m->source, err)) < 0 ||
		    (rc = check_path(m->what, m->target, err)) < 0)
			break;
		switch (m->kind) {
		case LAYOUT_OVERLAY:
			if ((rc = check_path(m->what, m->upper, err)) < 0)
				break;
			words_add(&run->flags, run->flavour->overlay_option);
			words_addf(&run->flags, run->flavour->overlay_format, m->source, m->upper,
				   m->work);
			words_add(&run->work_dirs, m->work);
			break;
		case LAYOUT_BIND: add_bind(&run->flags, m->source, m->target); break;
		case LAYOUT_RO_BIND:
			words_add(&run->flags, "--mount");
			words_addf(&run->flags, "type=bind,source=%s,destination=%s,readonly",
				   m->source, m->target);
			break;
		}
	}
	if (rc == 0 && options->carry_cibox)
		rc = add_cibox(&run->flags, err);
	return rc;
}

static int add_flags(struct oci_run *run, const struct ci_plan *plan,
		     const struct oci_options *options, cibox_error *err)
{
	const struct oci_flavour *f = run->flavour;
	struct layout_options lo = { options->in_place, NULL, NULL };
	struct run_layout layout;
	int rc = layout_plan(plan, &lo, &layout, err);
	if (rc < 0)
		return rc;
	bool host_network = layout.host_network;
	/* The image is never pulled: only what the engine already has runs. */
	const char *always[] = { "--rm", "--pull", "never", "--network",
				 host_network ? "host" : "none" };
	for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
		words_add(&run->flags, always[i]);
	if (!host_network || f->hostname_in_host_network) {
		words_add(&run->flags, "--hostname");
		words_add(&run->flags, layout.hostname);
	}
	char runc[PATH_MAX];
	if (f->prefer_runc &&
	    find_program("runc", "/usr/sbin:/sbin:/usr/local/sbin", runc, sizeof runc)) {
		words_add(&run->flags, "--runtime");
		words_add(&run->flags, runc);
	}
	if (f->caller_limits)
		add_limits(&run->flags);
	words_add(&run->flags, "--workdir");
	words_add(&run->flags, plan->root);
	rc = add_mounts(run, &layout, options, err);
	layout_free(&layout);
	return rc;
}

/* The image is there, and a container of it starts and has bash. */
static int check_engine(const struct oci_run *run, const char *image, cibox_error *err)
{
	const char *name = run->flavour->program;
	struct strbuf out = STRBUF_INIT;
	char *inspect[] = { (char *)run->program, "image", "inspect", "--format", "{{.Id}}",
			    (char *)image,        NULL };
	int rc = capture(inspect, &out);
	if (rc != 0) {
		const char *line = last_line(&out);
		rc = rc > 0 && strstr(out.buf, run->flavour->no_image)
			     ? error_set(err, -EINVAL,
					 "CI_IMAGE_NAME_TAG: %s has no image '%s' (see %s images; the README's "
					 "Engines section tells how to import one)",
					 name, image, name)
			     : error_set(err, -EOPNOTSUPP, "engine %s does not work here: %s", name,
					 line);
		strbuf_release(&out);
		return rc;
	}
	strbuf_reset(&out);
	struct words argv = { 0 };
	words_add(&argv, run->program);
	words_add(&argv, "run");
	for (size_t i = 0; i < run->flags.n; i++)
		words_add(&argv, run->flags.v[i]);
	const char *probe[] = { image, "bash", "-c", "true" };
	for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++)
		words_add(&argv, probe[i]);
	rc = argv.oom ? -ENOMEM : capture(argv.v, &out);
	words_free(&argv);
	if (rc == 127 && strstr(out.buf, "bash"))
		rc = error_set(err, -EINVAL,
			       "CI_IMAGE_NAME_TAG: image '%s' has no bash, which runs the steps",
			       image);
	else if (rc != 0 && rc != -ENOMEM) {
		bool ids = strstr(out.buf, "subuid") || strstr(out.buf, "newuidmap") ||
			   strstr(out.buf, "insufficient UIDs");
		rc = error_set(err, -EOPNOTSUPP, "engine %s cannot start a container here: %s%s",
			       name, last_line(&out),
			       ids ? " (rootless: the user needs ranges in /etc/subuid and /etc/subgid)"
				   : " (try the ns engine)");
	}
	strbuf_release(&out);
	return rc == -ENOMEM ? error_set(err, rc, "out of memory") : rc;
}

int engine_oci_prepare(ci_engine *engine, const struct ci_plan *plan,
		       const struct oci_options *options, cibox_error *err)
{
	struct oci_run *run = calloc(1, sizeof *run);
	if (!run)
		return error_set(err, -ENOMEM, "out of memory");
	run->guard = -1;
	run->flavour = strcmp(engine_name(engine), "docker") == 0 ? &docker : &podman;
	/* Unique beyond this pid namespace: the engine's store may be shared. */
	uint32_t nonce = 0;
	if (getrandom(&nonce, sizeof nonce, 0) != sizeof nonce)
		nonce = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	snprintf(run->prefix, sizeof run->prefix, "cibox-%ld-%08x-", (long)getpid(), (unsigned)nonce);
	const char *name = run->flavour->program;
	const char *image = envlist_get(&plan->env, "CI_IMAGE_NAME_TAG");
	int rc = 0;
	if (!image || !*image)
		rc = error_set(
			err, -EINVAL,
			"engine %s: the configuration sets no CI_IMAGE_NAME_TAG, the image to run in",
			name);
	else if (!find_program(name, "", run->program, sizeof run->program))
		rc = error_set(
			err, -EOPNOTSUPP,
			"engine %s: no %s in PATH; install it (apt-get install %s) or use --engine ns",
			name, name, run->flavour->install);
	else if (!(run->image = strdup(image)))
		rc = error_set(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = add_flags(run, plan, options, err);
	if (rc == 0 && run->flags.oom)
		rc = error_set(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = check_engine(run, image, err);
	if (rc == 0)
		rc = start_guard(run, err);
	if (rc < 0) {
		oci_release(run);
		return rc;
	}
	engine_set_state(engine, run, oci_release);
	return 0;
}

/* The container gets the command's environment by name (--env NAME takes the
 * value from the engine's own environment, so values never show on a command
 * line); the engine itself runs in the caller's environment with the
 * command's over it. */
/* Variables podman and docker read for themselves: where their files, their
 * daemon and their helpers are. */
static bool steers_engine(const char *name, size_t len)
{
	static const char *const exact[] = { "PATH", "HOME", "TMPDIR", "USER", "LOGNAME" };
	static const char *const prefixes[] = { "XDG_",     "CONTAINERS_", "CONTAINER_",
						"DOCKER_",  "PODMAN_",     "REGISTRY_AUTH_FILE",
						"BUILDAH_", "STORAGE_" };
	for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++)
		if (strlen(exact[i]) == len && strncmp(name, exact[i], len) == 0)
			return true;
	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (len >= strlen(prefixes[i]) && strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static int oci_spawn(ci_engine *engine, const struct engine_command *cmd, pid_t *pid, cibox_error *err)
{
	struct oci_run *run = engine_state(engine);
	if (!run)
		return error_set(err, -EINVAL, "engine %s: not prepared", engine_name(engine));
	struct words argv = { 0 };
	envlist env = ENVLIST_INIT;
	words_add(&argv, run->program);
	words_add(&argv, "run");
	for (size_t i = 0; i < run->flags.n; i++)
		words_add(&argv, run->flags.v[i]);
	words_addf(&run->names, "%s%zu", run->prefix, run->names.n + 1);
	words_add(&argv, "--name");
	words_add(&argv, run->names.oom ? "" : run->names.v[run->names.n - 1]);
	int rc = run->names.oom ? -ENOMEM : envlist_add_vector(&env, environ);
	for (char *const *e = cmd->envp; rc == 0 && *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq)
			continue;
		words_add(&argv, "--env");
		/* What steers the engine's own client stays the caller's; the
		 * container gets the configuration's value on the command line. */
		if (steers_engine(*e, (size_t)(eq - *e))) {
			words_add(&argv, *e);
			continue;
		}
		/* Others travel by name through the client's environment, where
		 * no other process can read them. */
		if ((rc = envlist_put(&env, *e)) == 0)
			words_addf(&argv, "%.*s", (int)(eq - *e), *e);
	}
	words_add(&argv, run->image);
	for (char *const *a = cmd->argv; *a; a++)
		words_add(&argv, *a);
	char **envp = envlist_vector(&env);
	if (rc < 0 || argv.oom || !envp) {
		words_free(&argv);
		envlist_free(&env);
		return error_set(err, -ENOMEM, "out of memory");
	}
	struct engine_command started = { argv.v, envp, cmd->cwd, cmd->output_fd };
	rc = engine_start_process(&started, pid, err);
	words_free(&argv);
	envlist_free(&env);
	return rc;
}

/* The engine's process would pass SIGINT to the container's first process,
 * the shell, which as a namespace's init ignores it: instead every other
 * process in the container gets it, so the step ends as it would on the host,
 * and the shell with it (errexit). The container then ends by itself; ending
 * the engine's process instead could leave the engine's records locked. */
static void oci_interrupt(ci_engine *engine, pid_t pid)
{
	struct oci_run *run = engine_state(engine);
	if (!run || !run->names.n || run->names.oom) {
		kill(-pid, SIGINT);
		return;
	}
	char *argv[] = { run->program,   "exec", run->names.v[run->names.n - 1], "bash", "-c",
			 "kill -INT -1", NULL };
	/* Not waited for: the runner goes on reading the step's output and, if
	 * the step outlives its grace time, kills it whatever the engine does;
	 * the process is reaped with the run's others. */
	struct runcmd cmd = RUNCMD_INIT;
	cmd.argv = argv;
	cmd.in.how = cmd.out.how = cmd.err.how = RUNCMD_NULL;
	runcmd_start(&cmd, NULL);
}

const struct engine_ops engine_podman = { "podman", oci_spawn, false, true, oci_interrupt, NULL };
const struct engine_ops engine_docker = { "docker", oci_spawn, false, true, oci_interrupt, NULL };
