/* The host engine: the step runs directly on this machine, as the caller. */
#include "ci/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"

int engine_start_process(const struct engine_command *cmd, pid_t *pid, cibox_error *err)
{
	/* posix_spawn rather than fork: the child shares cibox's memory until it
	 * execs, so no page tables are copied for a process that lives a moment. */
	posix_spawn_file_actions_t actions;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	sigemptyset(&none);
	sigemptyset(&defaults);
	sigaddset(&defaults, SIGPIPE);
	sigaddset(&defaults, SIGINT);
	sigaddset(&defaults, SIGTERM);
	sigaddset(&defaults, SIGCHLD);
	int rc = posix_spawn_file_actions_init(&actions);
	if (rc)
		return error_set(err, -rc, "cannot start '%s': %s", cmd->argv[0], strerror(rc));
	if ((rc = posix_spawnattr_init(&attr))) {
		posix_spawn_file_actions_destroy(&actions);
		return error_set(err, -rc, "cannot start '%s': %s", cmd->argv[0], strerror(rc));
	}
	/* A new process group, so that the runner can signal a step together
	 * with everything it started. */
	if (!(rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
							   POSIX_SPAWN_SETSIGDEF)) &&
	    !(rc = posix_spawnattr_setpgroup(&attr, 0)) &&
	    !(rc = posix_spawnattr_setsigmask(&attr, &none)) &&
	    !(rc = posix_spawnattr_setsigdefault(&attr, &defaults)) &&
	    !(rc = posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)) &&
	    !(rc = posix_spawn_file_actions_adddup2(&actions, cmd->output_fd, 1)) &&
	    !(rc = posix_spawn_file_actions_adddup2(&actions, cmd->output_fd, 2)) &&
	    !(rc = posix_spawn_file_actions_addchdir_np(&actions, cmd->cwd)))
		rc = posix_spawnp(pid, cmd->argv[0], &actions, &attr, cmd->argv, cmd->envp);
	posix_spawn_file_actions_destroy(&actions);
	posix_spawnattr_destroy(&attr);
	if (rc)
		return error_set(err, -rc, "cannot start '%s': %s", cmd->argv[0], strerror(rc));
	return 0;
}

static int host_spawn(ci_engine *engine, const struct engine_command *cmd, pid_t *pid,
		      cibox_error *err)
{
	(void)engine;
	return engine_start_process(cmd, pid, err);
}

const struct engine_ops engine_host = { "host", host_spawn, false, false, NULL, NULL };
