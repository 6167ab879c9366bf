#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "ci/cache.h"
#include "ci/config.h"
#include "ci/engine.h"
#include "ci/engine_oci.h"
#include "ci/ns.h"
#include "ci/report.h"
#include "ci/runner.h"
#include "ci/steps.h"
#include "cli/cli.h"
#include "cli/run_all.h"
#include "sandbox/policy.h"
#include "sandbox/policy_lint.h"
#include "sandbox/policy_set.h"
#include "util/error.h"
#include "util/fs.h"

extern char **environ;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cibox run [STAGE] [--env NAME|PATH] [--set VAR=VALUE]... [--out DIR]\n"
		"                 [--engine ns|podman|docker|host] [--in-place] [--keep-uid]\n"
		"                 [--export DIR] [--trace [--args] [--write]] [-q]\n"
		"       cibox run --all [STAGE] [-j N] [--fail-fast] [--set VAR=VALUE]... [--out DIR]\n"
		"                 [--engine ns|podman|docker] [--keep-uid] [--trace [--args]] [-q]\n\n"
		"Runs the steps of ci/STAGE/ (default: test) in name order, as CI runs them.\n\n"
		"  --env NAME|PATH  the configuration ci/STAGE/00_setup_env_NAME.sh, or a file;\n"
		"                   FILE_ENV in the environment does the same\n"
		"  --set VAR=VALUE  set a variable after every configuration file (repeatable)\n"
		"  --out DIR        the run folder (default: under $XDG_STATE_HOME/cibox/runs)\n"
		"  --engine NAME    where steps run: ns (default), a rootless jail around the whole\n"
		"                   run: the tree overlaid so it never changes, caches bound, loopback\n"
		"                   only unless CI_NETWORK=host, root CI_IMAGE or the host's read-only;\n"
		"                   podman, docker: the same in a container of CI_IMAGE_NAME_TAG;\n"
		"                   host, directly on this machine\n"
		"  --in-place       ns, podman, docker: steps write through to the tree instead of\n"
		"                   the run folder\n"
		"  --keep-uid       ns: keep your uid inside instead of becoming root there\n"
		"  --export DIR     ns, podman, docker: copy what the steps changed in the tree into\n"
		"                   DIR afterwards (not with --in-place)\n"
		"  --trace          learn the syscall policy the steps need (into the run folder) and\n"
		"                   show how it differs from ci/STAGE/sandbox.policy\n"
		"  --args           with --trace: learn clone, socket, ioctl and prctl by argument value\n"
		"  --write          with --trace: replace ci/STAGE/sandbox.policy with it\n"
		"  -q, --quiet      show only failures and the final table\n"
		"  --all            run every configuration of the stage, each in its own jail and\n"
		"                   run folder, in a matrix folder (--out DIR names it)\n"
		"  -j, --jobs N     with --all: at most N configurations at once (default: one per\n"
		"                   CPU this process may use)\n"
		"  --fail-fast      with --all: the first configuration that fails stops the others\n\n"
		"The environment: the caller's, then the configuration, then ci/STAGE/00_setup_env.sh,\n"
		"then each --set. CI_SANDBOX=MODE runs every step under ci/STAGE/sandbox.policy (or\n"
		"CI_SANDBOX_POLICY). Exit status: 0 all steps (with --all, all configurations)\n"
		"passed, 1 a step (a configuration) failed, 2 usage or\n"
		"configuration error, 3 this machine cannot host the jail or the engine, 130\n"
		"interrupted.\n");
}

struct run_args {
	const char *stage, *env, *out, *engine, *export_dir;
	bool in_place, keep_uid, trace, write, record_args;
	char **sets;
	size_t nsets;
	bool quiet;
	bool all, fail_fast;
	const char *jobs;
};

/* The upper bound of -j: far beyond any machine's worth of runs, low enough
 * that a typo does not start thousands. */
#define MAX_JOBS 1024

/* --all: the options every configuration's run gets, and the checks that
 * make sense only for a matrix. */
static int start_all(struct run_args *a)
{
	struct run_all_options o = { a->stage, a->out, a->engine, 0, a->fail_fast, a->quiet, NULL, 0 };
	if (a->jobs) {
		char *end;
		errno = 0;
		long n = strtol(a->jobs, &end, 10);
		if (!*a->jobs || *end || errno || n < 1 || n > MAX_JOBS) {
			cli_error("run: -j needs how many configurations may run at once (1 to %d), not '%s'",
				  MAX_JOBS, a->jobs);
			return CLI_USAGE;
		}
		o.jobs = (unsigned)n;
	}
	if (a->env || a->export_dir || a->in_place || a->write) {
		cli_error("run: --all runs every configuration, each with its own run and tree: "
			  "%s is for one configuration",
			  a->env          ? "--env"
			  : a->export_dir ? "--export"
			  : a->in_place   ? "--in-place"
					  : "--write");
		return CLI_USAGE;
	}
	if (a->record_args && !a->trace) {
		cli_error("run: --args is how --trace learns; give both");
		return CLI_USAGE;
	}
	/* At most --engine E, --keep-uid, --trace, --args, and the --set pairs. */
	char **args = calloc(6 + 2 * a->nsets, sizeof *args);
	if (!args) {
		cli_error("run: out of memory");
		return CLI_FAILED;
	}
	size_t n = 0;
	if (a->engine) {
		args[n++] = "--engine";
		args[n++] = (char *)a->engine;
	}
	if (a->keep_uid)
		args[n++] = "--keep-uid";
	if (a->trace)
		args[n++] = "--trace";
	if (a->record_args)
		args[n++] = "--args";
	for (size_t i = 0; i < a->nsets; i++) {
		args[n++] = "--set";
		args[n++] = a->sets[i];
	}
	o.child_args = args;
	o.nchild_args = n;
	int status = run_all(&o);
	free(args);
	return status;
}

enum {
	ALL = 256,
	FAIL_FAST,
	IN_PLACE,
	KEEP_UID,
	TRACE,
	WRITE,
	ARGS,
	ENV,
	OUT,
	ENGINE,
	EXPORT,
	SET
};

static const struct option longopts[] = {
	CLI_OPTION_HELP,
	{ "quiet", no_argument, NULL, 'q' },
	{ "jobs", required_argument, NULL, 'j' },
	{ "all", no_argument, NULL, ALL },
	{ "fail-fast", no_argument, NULL, FAIL_FAST },
	{ "in-place", no_argument, NULL, IN_PLACE },
	{ "keep-uid", no_argument, NULL, KEEP_UID },
	{ "trace", no_argument, NULL, TRACE },
	{ "write", no_argument, NULL, WRITE },
	{ "args", no_argument, NULL, ARGS },
	{ "env", required_argument, NULL, ENV },
	{ "out", required_argument, NULL, OUT },
	{ "engine", required_argument, NULL, ENGINE },
	{ "export", required_argument, NULL, EXPORT },
	{ "set", required_argument, NULL, SET },
	{ 0 },
};

/* CLI_CONTINUE, or the exit status after the usage or what was wrong. */
static int parse(int argc, char **argv, struct run_args *a)
{
	struct cli_options o = {
		.command = "run", .shortopts = "hqj:", .longopts = longopts, .usage = usage
	};
	int c;
	while ((c = cli_next_option(&o, argc, argv)) >= 0) {
		const char *v = o.value, *eq;
		switch (c) {
		case 'q': a->quiet = true; break;
		case 'j': a->jobs = v; break;
		case ALL: a->all = true; break;
		case FAIL_FAST: a->fail_fast = true; break;
		case IN_PLACE: a->in_place = true; break;
		case KEEP_UID: a->keep_uid = true; break;
		case TRACE: a->trace = true; break;
		case WRITE: a->write = true; break;
		case ARGS: a->record_args = true; break;
		case ENV: a->env = v; break;
		case OUT: a->out = v; break;
		case ENGINE: a->engine = v; break;
		case EXPORT: a->export_dir = v; break;
		default:
			eq = strchr(v, '=');
			if (!eq || !env_name_valid(v, (size_t)(eq - v))) {
				cli_error("run: --set '%s': expected VAR=VALUE with VAR a variable name",
					  v);
				return CLI_USAGE;
			}
			a->sets[a->nsets++] = (char *)v;
		}
	}
	if (c == CLI_OPTIONS_STOP)
		return o.status;
	if (o.next < argc)
		a->stage = argv[o.next];
	if (o.next + 1 < argc) {
		cli_error("run: one stage at a time: '%s' after '%s'", argv[o.next + 1], a->stage);
		return CLI_USAGE;
	}
	return CLI_CONTINUE;
}

/* Everything before the first step: any error here is the user's to fix. */
static int prepare(struct ci_plan *plan, struct run_args *a, ci_engine **engine, cibox_error *err)
{
	int rc;
	if ((rc = envlist_add_vector(&plan->caller, environ)) < 0)
		return rc;
	const char *env = a->env ? a->env : envlist_get(&plan->caller, "FILE_ENV");
	if ((rc = config_find_project(plan, err)) < 0 ||
	    (rc = config_find_stage(plan, a->stage ? a->stage : "test", err)) < 0 ||
	    (rc = steps_find(plan, err)) < 0 || (rc = config_pick(plan, env, err)) < 0 ||
	    (rc = engine_open(a->engine ? a->engine : "ns", engine, err)) < 0)
		return rc;
	plan->engine = engine_name(*engine);
	/* The run folder first, so that configurations can put build outputs
	 * there; a configuration that fails leaves no folder behind. */
	if ((rc = report_make_run_dir(plan, a->out, err)) < 0)
		return rc;
	/* Held until cibox ends, however it ends: `cibox runs --prune` passes
	 * a folder whose run is still going. */
	report_lock_run_dir(plan->run_dir);
	if ((rc = envlist_set(&plan->caller, "CIBOX_RUN_DIR", plan->run_dir)) < 0 ||
	    (rc = envlist_set(&plan->caller, "CIBOX_STAGE", plan->stage)) < 0 ||
	    (rc = envlist_set(&plan->caller, "CIBOX_CONFIG", plan->config)) < 0)
		return rc;
	if ((rc = config_resolve(plan, a->sets, a->nsets, err)) < 0 && !a->out)
		rmdir(plan->run_dir);
	return rc;
}

/* The text in a memfd sealed against any change, inherited by the run's
 * shells (not close-on-exec); its path for them, /proc/self/fd/N, into path. */
static int sealed_copy(const char *text, char *path, size_t size)
{
	int fd = memfd_create("enforced.policy", MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		int rc = errno ? -errno : -EIO;
		close(fd);
		return rc;
	}
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return 0;
}

/* CI_SANDBOX=MODE: every step under the stage's policy, checked before any runs. */
static int prepare_sandbox(const struct ci_plan *plan, ci_engine *engine, cibox_error *err)
{
	const char *mode_text = envlist_get(&plan->env, "CI_SANDBOX");
	if (!mode_text || !*mode_text)
		return 0;
	enum cibox_mode mode;
	int rc = cibox_mode_parse(mode_text, &mode, err);
	if (rc < 0) {
		error_prefix(err, "CI_SANDBOX: ");
		return rc;
	}
	const char *given = envlist_get(&plan->env, "CI_SANDBOX_POLICY");
	char path[PATH_MAX];
	if (given && *given)
		snprintf(path, sizeof path, "%s%s%s", given[0] == '/' ? "" : plan->root,
			 given[0] == '/' ? "" : "/", given);
	else
		snprintf(path, sizeof path, "%s/sandbox.policy", plan->stage_dir);
	/* Read once: checked here, then kept. A copy in the run folder tells
	 * later what the run was held to; a container's shells read it there,
	 * bound read-only (a policy outside the tree is not in an image). The
	 * other engines' shells read a sealed copy in memory, which no step can
	 * change or replace. */
	char *text = NULL, copy[PATH_MAX];
	policy_set *policies;
	if ((rc = policy_read_file(path, POLICY_FILE_MAX, &text, err)) < 0 ||
	    (rc = policy_set_parse(text, path, &policies, err)) < 0) {
		free(text);
		error_prefix(err, "CI_SANDBOX=%s: ", mode_text);
		return rc;
	}
	policy_set_free(policies);
	snprintf(copy, sizeof copy, "%s/enforced.policy", plan->run_dir);
	rc = fs_write_atomically(copy, text, strlen(text), 0644, FS_VOLATILE);
	if (rc < 0)
		error_set(err, rc, "cannot write %s: %s", copy, strerror(-rc));
	else if (!engine_in_container(engine) && (rc = sealed_copy(text, copy, sizeof copy)) < 0)
		error_set(err, rc, "cannot keep the policy in memory: %s", strerror(-rc));
	free(text);
	if (rc < 0)
		return rc;
	return engine_set_sandbox(engine, mode_text, copy, err);
}

/* --trace: how the learned policy differs from the stage's, and with --write
 * the stage's replaced by it (through a temporary file, renamed). */
static int show_learned(const struct ci_plan *plan, const char *learned, bool replace)
{
	char current[PATH_MAX];
	snprintf(current, sizeof current, "%s/sandbox.policy", plan->stage_dir);
	cibox_error err;
	policy_set *now = NULL, *then = NULL;
	if (policy_set_load(learned, &now, &err) < 0) {
		cli_error("run: %s", err.message);
		return -1;
	}
	bool exists = access(current, F_OK) == 0;
	if (exists && policy_set_load(current, &then, &err) < 0)
		cli_error("run: %s (it will be replaced with --write)", err.message);
	printf("cibox: learned policy %s\n", learned);
	if (then) {
		printf("cibox: against %s:\n", current);
		if (policy_diff(then, now, stdout) == 0)
			printf("(no difference)\n");
	}
	policy_set_free(now);
	policy_set_free(then);
	if (!replace) {
		if (!exists || then)
			printf("cibox: --write puts it in %s\n", current);
		return 0;
	}
	char *text;
	int rc = policy_read_file(learned, POLICY_FILE_MAX, &text, &err);
	if (rc == 0) {
		rc = fs_write_atomically(current, text, strlen(text), 0644, FS_DURABLE);
		free(text);
		if (rc < 0)
			error_set(&err, rc, "cannot write %s: %s", current, strerror(-rc));
	}
	if (rc < 0) {
		cli_error("run: %s", err.message);
		return -1;
	}
	printf("cibox: wrote %s\n", current);
	return 0;
}

static void show_failure(const struct ci_plan *plan)
{
	for (size_t i = 0; i < plan->nsteps; i++) {
		const struct ci_step *s = &plan->steps[i];
		if (s->status != STEP_FAILED)
			continue;
		struct strbuf tail = STRBUF_INIT;
		report_tail(s->log, 10, &tail);
		cli_error("run: step %s failed with exit status %d%s", s->name, s->exit_status,
			  tail.len ? "; its last lines:" : " and printed nothing");
		for (char *line = tail.buf; tail.len && line;) {
			char *next = strchr(line, '\n');
			fprintf(stderr, "  | %.*s\n", next ? (int)(next - line) : (int)strlen(line),
				line);
			line = next ? next + 1 : NULL;
		}
		strbuf_release(&tail);
	}
}

/* Holds the configuration's caches (see cache_lock) for the whole run. A run
 * of the same configuration holding them already is waited for, saying so;
 * SIGINT or SIGTERM while waiting ends this run before its first step. */
static int lock_caches(const struct ci_plan *plan, cibox_error *err)
{
	int fd;
	char *folder;
	int rc = cache_lock(plan->root, plan->config, &plan->env, false, &fd, &folder, err);
	if (rc != -EWOULDBLOCK) {
		free(folder);
		return rc;
	}
	printf("cibox: waiting for the caches %s, which another run of configuration %s is using\n",
	       folder, plan->config);
	fflush(stdout);
	free(folder);
	sigset_t interrupts, old;
	sigemptyset(&interrupts);
	sigaddset(&interrupts, SIGINT);
	sigaddset(&interrupts, SIGTERM);
	sigprocmask(SIG_BLOCK, &interrupts, &old);
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	while ((rc = cache_lock(plan->root, plan->config, &plan->env, false, &fd, &folder, err)) ==
	       -EWOULDBLOCK) {
		free(folder);
		folder = NULL;
		if (sigtimedwait(&interrupts, NULL, &pause) > 0) {
			rc = error_set(err, -EINTR, "interrupted while waiting for the caches");
			break;
		}
	}
	free(folder);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void warn_unmapped(const struct ci_plan *plan)
{
	char *first;
	uid_t uid;
	gid_t gid;
	int count = ns_unmapped_files(plan, &first, &uid, &gid);
	if (count == 0)
		return;
	cli_error("run: %d file%s of the tree belong%s to ids the jail cannot map (it maps only "
		  "%u:%u), the first %s (%u:%u); a step that changes one fails with \"Value too "
		  "large for defined data type\": chown -R %u:%u the tree, or use --in-place",
		  count, count == 1 ? "" : "s", count == 1 ? "s" : "", (unsigned)getuid(),
		  (unsigned)getgid(), config_display_path(plan, first), (unsigned)uid,
		  (unsigned)gid, (unsigned)getuid(), (unsigned)getgid());
	free(first);
}

/* The engine made ready for the run: podman's or docker's container
 * prepared, or the ns engine's jail entered (this process goes on inside
 * it; cibox outside waits and ends as the run does). 0, or the exit status
 * after saying what went wrong. */
static int prepare_engine(struct ci_plan *plan, const struct run_args *args, ci_engine *engine,
			  cibox_error *err)
{
	bool jail = engine_whole_run_in_jail(engine), container = engine_in_container(engine);
	if (container) {
		/* Preparing takes a probe container's time: SIGINT or SIGTERM then
		 * waits for the runner, which ends the run as interrupted, with its
		 * report, instead of leaving half a run folder. */
		sigset_t old_mask;
		runner_hold_interrupts(&old_mask);
		/* The syscall sandbox and the tracer are this cibox around the
		 * shell: the container is given it. */
		const char *sandbox = envlist_get(&plan->env, "CI_SANDBOX");
		struct oci_options oci = { args->in_place, args->trace || (sandbox && *sandbox) };
		if (engine_oci_prepare(engine, plan, &oci, err) < 0) {
			sigprocmask(SIG_SETMASK, &old_mask, NULL);
			cli_error("run: %s", err->message);
			/* Nothing ran: no run folder to show for it. */
			if (!args->out)
				fs_remove_tree(plan->run_dir);
			return cli_status_for(err, CLI_CHECKING);
		}
	}
	if (jail) {
		struct ns_root root;
		struct jail_box *box = NULL;
		struct ns_options ns = { args->in_place,
					 args->keep_uid,
					 args->export_dir,
					 args->write ? plan->stage_dir : NULL,
					 &root,
					 &box };
		if (ns_plan_root(plan, args->keep_uid, &root, err) < 0) {
			cli_error("run: %s", err->message);
			return cli_status_for(err, CLI_WORKING);
		}
		if (*root.why)
			cli_error("run: %s", root.why);
		/* Root's wide map holds every id. */
		if (!args->in_place && !(root.wide && getuid() == 0))
			warn_unmapped(plan);
		if (ns_enter(plan, &ns, err) < 0) {
			cli_error("run: %s", err->message);
			return cli_status_for(err, CLI_CHECKING);
		}
		if (box)
			engine_ns_use_box(engine, box);
	}
	return 0;
}

/* After the install steps, in the jail: their changes to the root become
 * the configuration's layer. Failing to keep it fails no run. */
static void keep_layer(void *context, const struct ci_plan *plan, size_t index)
{
	const struct run_args *args = context;
	cibox_error err = { 0 };
	long long bytes = 0;
	int rc = ns_keep_layer(index, &bytes, &err);
	if (rc < 0)
		cli_error("run: %s", err.message);
	else if (rc > 0 && !args->quiet)
		printf("cibox: kept the root's changes after %s as a layer (%.1f MiB)\n",
		       plan->steps[index].name, (double)bytes / (1024.0 * 1024.0));
	fflush(stdout);
}

int cmd_run(int argc, char **argv)
{
	struct run_args args = { .sets = calloc((size_t)argc, sizeof(char *)) };
	if (!args.sets) {
		cli_error("run: out of memory");
		return CLI_FAILED;
	}
	int status = parse(argc, argv, &args);
	if (status == CLI_CONTINUE && !args.all && (args.jobs || args.fail_fast)) {
		cli_error("run: %s is for --all", args.jobs ? "-j" : "--fail-fast");
		status = CLI_USAGE;
	}
	if (status == CLI_CONTINUE && args.in_place && args.export_dir) {
		/* --in-place leaves no changes in the run folder to export. */
		cli_error("run: --export copies the changes the overlay kept, and --in-place keeps none: "
			  "give one of them");
		status = CLI_USAGE;
	}
	if (status == CLI_CONTINUE && args.all)
		status = start_all(&args);
	if (status != CLI_CONTINUE) {
		free(args.sets);
		return status;
	}
	struct ci_plan plan = { 0 };
	ci_engine *engine = NULL;
	int rc;
	cibox_error err = { 0 };
	/* Not dumpable: the steps, the same user, must not reach into the
	 * runner's memory (it is bound by no filter) and change what it does. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (prepare(&plan, &args, &engine, &err) < 0) {
		cli_error("%s", err.message[0] ? err.message : "out of memory");
		status = cli_status_for(&err, CLI_CHECKING);
		goto out;
	}

	if (plan.config_unboxed)
		cli_error("run: the configuration was read without a jail, which this machine cannot make: %s",
			  plan.config_unboxed);
	if ((args.write || args.record_args) && !args.trace) {
		cli_error("run: %s", args.write ? "--write keeps what --trace learned; give both"
						: "--args is how --trace learns; give both");
		status = CLI_USAGE;
		goto out;
	}
	char learned[PATH_MAX], title[256];
	snprintf(learned, sizeof learned, "%s/sandbox.policy", plan.run_dir);
	snprintf(title, sizeof title, "the steps of ci/%s, configuration %s", plan.stage,
		 plan.config);
	if (args.trace ? engine_set_trace(engine, learned, title, args.record_args, &err) < 0
		       : prepare_sandbox(&plan, engine, &err) < 0) {
		cli_error("run: %s", err.message);
		status = cli_status_for(&err, CLI_CHECKING);
		goto out;
	}
	bool jail = engine_whole_run_in_jail(engine), container = engine_in_container(engine);
	if (((args.in_place || args.export_dir) && !jail && !container) || (args.keep_uid && !jail)) {
		cli_error("run: --in-place and --export are for the ns, podman and docker engines, "
			  "--keep-uid for ns");
		status = CLI_USAGE;
		goto out;
	}
	if ((jail || container) && (rc = lock_caches(&plan, &err)) < 0) {
		cli_error("run: %s", err.message);
		status = cli_status_for(&err, CLI_WORKING);
		if (!args.out)
			fs_remove_tree(plan.run_dir);
		goto out;
	}
	if ((status = prepare_engine(&plan, &args, engine, &err)) != 0)
		goto out;
	const char *no_color = getenv("NO_COLOR");
	struct runner_options options = { .out = stdout,
					  .tty = isatty(STDOUT_FILENO),
					  .quiet = args.quiet };
	options.color = options.tty && !(no_color && *no_color);
	if (!args.quiet)
		printf("cibox: %s, stage %s, configuration %s, engine %s\ncibox: run folder %s\n",
		       plan.project, plan.stage, plan.config, plan.engine, plan.run_dir);
	if (jail && !args.quiet && ns_layer_in_use())
		printf("cibox: root layer %s (what the install steps left last time)\n",
		       ns_layer_in_use());
	else if (jail && !args.quiet && ns_layer_to_keep(&plan))
		printf("cibox: the root's changes will be kept as a layer after %s\n",
		       ns_layer_to_keep(&plan));
	if (jail) {
		options.after_step = keep_layer;
		options.context = &args;
	}
	if (runner_run(&plan, engine, &options, &err) < 0) {
		cli_error("run: %s", err.message);
		status = cli_status_for(&err, CLI_WORKING);
		goto out;
	}
	if (report_write(&plan, &err) < 0)
		cli_error("run: %s", err.message);
	if (args.export_dir && ns_export(&plan, args.export_dir, &err) < 0) {
		cli_error("run: %s", err.message);
		status = cli_status_for(&err, CLI_WORKING);
	}
	if (args.trace && plan.status == RUN_PASSED && show_learned(&plan, learned, args.write) < 0)
		status = CLI_FAILED;
	if (plan.status == RUN_FAILED)
		show_failure(&plan);
	else if (plan.status == RUN_INTERRUPTED)
		cli_error("run: interrupted");
	if (!options.quiet)
		putchar('\n');
	report_table(&plan, stdout, options.color);
	printf("cibox: %s in %.2f s; report: %s/summary.json\n",
	       report_run_status_name(plan.status), plan.seconds, plan.run_dir);
	if (status == CLI_OK)
		status = cli_status_of_run(plan.status);
out:
	if (engine)
		engine_close(engine);
	plan_free(&plan);
	free(args.sets);
	return status;
}
