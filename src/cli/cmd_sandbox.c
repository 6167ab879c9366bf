#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/builtin_policy.h"
#include "cli/cli.h"
#include "jail/box.h"
#include "jail/image.h"
#include "jail/jail.h"
#include "sandbox/supervisor.h"
#include "sandbox/syscall_table.h"
#include "util/error.h"
#include "util/strbuf.h"

/* Without --policy or --allow; --isolate --network asks for the network too,
 * which the built-in policy leaves out. */
static const char default_policy[] = BUILTIN_POLICY;
static const char default_network_policy[] = BUILTIN_POLICY ",@network";

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cibox sandbox [--mode MODE] [--policy FILE | --allow LIST]\n"
		"                     [--isolate [--network] [--keep-uid] [--rootfs IMAGE] [--bind SRC[:DST]]...\n"
		"                                [--ro-bind SRC[:DST]]...]\n"
		"                     -- COMMAND [ARG...]\n\n"
		"Runs COMMAND, and everything it starts, under a syscall policy.\n\n"
		"  --mode MODE    log-and-abort (default): report the refused syscall, end the command\n"
		"                 abort: the kernel kills the offending process, no report\n"
		"                 log: report each refused syscall once per thread, let it run\n"
		"  --policy FILE  a policy file: one entry per line (@group, name, name(*), -name),\n"
		"                 and [thread] sections for what only threads of that name may do\n"
		"  --allow LIST   the policy as a comma-separated list: --allow @default,@file-read\n"
		"  --isolate      also in a rootless jail: new user, mount, pid, ipc, uts and net\n"
		"                 namespaces; the host's root read-only, private /tmp, minimal /dev,\n"
		"                 own /proc, hostname cibox, loopback only\n"
		"  --network      with --isolate: share the host's network (and, without a policy,\n"
		"                 allow @network)\n"
		"  --keep-uid     with --isolate: keep your uid inside instead of becoming root there\n"
		"  --rootfs IMAGE with --isolate: the root filesystem is an image (cibox image) or folder\n"
		"  --bind SRC[:DST], --ro-bind SRC[:DST]\n"
		"                 with --isolate: show host folder SRC at DST, writable or read-only\n\n"
		"Without a policy: %s.\n"
		"Exit status: the command's; 159 when the sandbox stopped it; 2 bad usage or policy;\n"
		"3 this machine cannot host the sandbox; 126/127 command not runnable/found.\n",
		default_policy);
}

struct sandbox_args {
	const char *mode, *policy_file, *allow, *rootfs;
	bool isolate, network, keep_uid;
	jail_plan *jail;   /* the binds, collected as they come */
	bool jail_options; /* an option that only means something with --isolate */
	char **command;
};

enum { MODE = 256, POLICY, ALLOW, ISOLATE, NETWORK, KEEP_UID, ROOTFS, BIND, RO_BIND };

static const struct option longopts[] = {
	CLI_OPTION_HELP,
	{ "mode", required_argument, NULL, MODE },
	{ "policy", required_argument, NULL, POLICY },
	{ "allow", required_argument, NULL, ALLOW },
	{ "isolate", no_argument, NULL, ISOLATE },
	{ "network", no_argument, NULL, NETWORK },
	{ "keep-uid", no_argument, NULL, KEEP_UID },
	{ "rootfs", required_argument, NULL, ROOTFS },
	{ "bind", required_argument, NULL, BIND },
	{ "ro-bind", required_argument, NULL, RO_BIND },
	{ 0 },
};

/* CLI_CONTINUE, or the exit status after the usage or what was wrong. */
static int parse(int argc, char **argv, struct sandbox_args *a)
{
	struct cli_options o = {
		.command = "sandbox", .shortopts = "+h", .longopts = longopts, .usage = usage
	};
	cibox_error err;
	int c;
	while ((c = cli_next_option(&o, argc, argv)) >= 0) {
		switch (c) {
		case MODE: a->mode = o.value; break;
		case POLICY: a->policy_file = o.value; break;
		case ALLOW: a->allow = o.value; break;
		case ISOLATE: a->isolate = true; break;
		case NETWORK: a->network = a->jail_options = true; break;
		case KEEP_UID: a->keep_uid = a->jail_options = true; break;
		case ROOTFS:
			a->rootfs = o.value;
			a->jail_options = true;
			break;
		default:
			a->jail_options = true;
			if (jail_plan_add_spec(a->jail, c == BIND ? JAIL_BIND : JAIL_RO_BIND,
					       o.value, &err) < 0) {
				cli_error("sandbox: %s", err.message);
				return cli_status_for(&err, CLI_CHECKING);
			}
		}
	}
	if (c == CLI_OPTIONS_STOP)
		return o.status;
	if (!o.dashdash) {
		if (o.next < argc)
			cli_error("sandbox: missing '--' before the command '%s'", argv[o.next]);
		else
			cli_error("sandbox: missing '--' and the command to run");
		return CLI_USAGE;
	}
	if (o.next >= argc) {
		cli_error("sandbox: no command after '--'");
		return CLI_USAGE;
	}
	if (a->policy_file && a->allow) {
		cli_error("sandbox: give either --policy or --allow, not both");
		return CLI_USAGE;
	}
	if (a->jail_options && !a->isolate) {
		cli_error("sandbox: --network, --keep-uid, --rootfs, --bind and --ro-bind need --isolate");
		return CLI_USAGE;
	}
	a->command = argv + o.next;
	return CLI_CONTINUE;
}

struct jail_context {
	jail_plan *plan;
	bool lock_mounts;
};

static pid_t spawn_jail(void *context, cibox_error *err)
{
	(void)context;
	return jail_spawn(err);
}

/* The command is root of the jail, which owns the jail's mounts: where the
 * policy lets it make mount calls, it goes one level further in, where they
 * are locked and the host's root cannot be made writable again. */
static int enter_jail(void *context, int status_fd, cibox_error *err)
{
	struct jail_context *jail = context;
	int rc = jail_init(jail->plan, status_fd, err);
	return rc < 0 || !jail->lock_mounts ? rc : jail_lock_mounts(err);
}

/* Whether any thread of the command may make one of `calls`. */
static bool may_call(const policy_set *policies, const char *const *calls)
{
	const cibox_policy *common = policy_set_common(policies),
			   *supervised = policy_set_supervised(policies);
	for (; *calls; calls++) {
		int nr = sctab_resolve(*calls);
		if (nr >= 0 && (cibox_policy_allows(common, nr) ||
				(supervised && cibox_policy_allows(supervised, nr))))
			return true;
	}
	return false;
}

static const char *const mount_calls[] = { "mount",      "umount",    "umount2",    "mount_setattr",
					   "move_mount", "open_tree", "fsopen",     "fsconfig",
					   "fsmount",    "fspick",    "pivot_root", NULL };
static const char *const keyring_calls[] = { "keyctl", "add_key", "request_key", NULL };

/* The command as the jail's PATH finds it: folders the jail hides hold
 * nothing there. */
static int find_command(const struct sandbox_args *a, const char *root, char *path, size_t size,
			cibox_error *err)
{
	const char *given = getenv("PATH");
	if (!a->isolate || !given)
		return supervisor_find_command(root, NULL, a->command[0], path, size, err);
	struct strbuf seen = STRBUF_INIT;
	char *copy = strdup(given);
	if (!copy)
		return error_set(err, -ENOMEM, "out of memory");
	for (char *dir, *rest = copy; (dir = strsep(&rest, ":"));)
		if (!jail_plan_hides(a->jail, dir))
			strbuf_addf(&seen, "%s%s", seen.len ? ":" : "", dir);
	int rc = seen.oom ? error_set(err, -ENOMEM, "out of memory")
			  : supervisor_find_command(root, seen.len ? seen.buf : "", a->command[0],
						    path, size, err);
	strbuf_release(&seen);
	free(copy);
	return rc;
}

static int run(struct sandbox_args *a)
{
	cibox_error err = { 0 };
	struct supervisor_options options = { .report_fd = STDERR_FILENO };
	if (cibox_mode_parse(a->mode, &options.mode, &err) < 0) {
		cli_error("sandbox: %s", err.message);
		return cli_status_for(&err, CLI_CHECKING);
	}
	char root[PATH_MAX] = "";
	if (a->rootfs && (image_resolve(a->rootfs, root, sizeof root, &err) < 0 ||
			  jail_plan_set_rootfs(a->jail, root, &err) < 0)) {
		cli_error("sandbox: %s", err.message);
		return cli_status_for(&err, CLI_CHECKING);
	}
	options.confine_signals = !a->isolate;
	struct jail_context jail = { a->jail, false };
	if (a->isolate) {
		char cwd[PATH_MAX];
		const char *home = getenv("HOME");
		if (jail_plan_share_network(a->jail, a->network, &err) < 0 ||
		    (home && *home == '/' && jail_plan_set_home(a->jail, home, &err) < 0)) {
			cli_error("sandbox: %s", err.message);
			return cli_status_for(&err, CLI_CHECKING);
		}
		jail_plan_keep_uid(a->jail, a->keep_uid);
		jail_plan_show_cwd(a->jail, true);
		if (getcwd(cwd, sizeof cwd))
			jail_plan_set_cwd(a->jail, cwd, &err);
		options.spawn = spawn_jail;
		options.prepare = enter_jail;
		options.prepare_context = &jail;
	}
	policy_set *policies;
	bool builtin = !a->policy_file && !a->allow && !a->network;
	const char *list = a->allow     ? a->allow
			   : a->network ? default_network_policy
					: default_policy;
	int rc = a->policy_file ? policy_set_load(a->policy_file, &policies, &err)
				: policy_set_from_list(list, &policies, &err);
	if (rc < 0) {
		cli_error("sandbox: %s", err.message);
		return cli_status_for(&err, CLI_CHECKING);
	}
	options.policies = policies;
	jail.lock_mounts = may_call(policies, mount_calls);
	jail_plan_keep_keyring(a->jail, !may_call(policies, keyring_calls));
	if (builtin)
		options.compiled = builtin_filter_find(options.mode, options.confine_signals);

	char path[PATH_MAX];
	struct supervisor_result result;
	rc = find_command(a, root, path, sizeof path, &err);
	if (rc < 0) {
		policy_set_free(policies);
		cli_error("sandbox: %s", err.message);
		return cli_status_for(&err, CLI_STARTING);
	}
	rc = supervisor_run(&options, path, a->command, &result, &err);
	policy_set_free(policies);
	if (rc < 0) {
		cli_error("sandbox: %s", err.message);
		return cli_status_for(&err, CLI_CHECKING);
	}
	int status = result.wait_status;
	if (result.violation || (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)) {
		cli_error("sandbox: the syscall sandbox stopped '%s' (mode %s)", a->command[0],
			  cibox_mode_name(options.mode));
		return CLI_VIOLATION;
	}
	return cli_status_of_wait(status);
}

int cmd_sandbox(int argc, char **argv)
{
	struct sandbox_args args = { .mode = "log-and-abort", .jail = jail_plan_new() };
	if (!args.jail) {
		cli_error("sandbox: out of memory");
		return CLI_FAILED;
	}
	int status = parse(argc, argv, &args);
	if (status == CLI_CONTINUE)
		status = run(&args);
	jail_plan_free(args.jail);
	return status;
}
