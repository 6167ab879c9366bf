/* The host engine: the step runs directly on this machine, as the caller. */
#include "ci/engine.h"

#include "util/run_command.h"

int engine_start_process(const struct engine_command *cmd, pid_t *pid, cibox_error *err)
{
	struct runcmd child = RUNCMD_INIT;
	child.argv = cmd->argv;
	child.env = cmd->envp;
	child.dir = cmd->cwd;
	child.in.how = RUNCMD_NULL;
	child.out = RUNCMD_TO_FD(cmd->output_fd);
	child.err = RUNCMD_TO_FD(cmd->output_fd);
	/* So that the runner can signal a step together with everything it
	 * started. */
	child.new_pgroup = true;
	int rc = runcmd_start(&child, err);
	if (rc == 0)
		*pid = child.pid;
	return rc;
}

static int host_spawn(ci_engine *engine, const struct engine_command *cmd, pid_t *pid,
		      cibox_error *err)
{
	(void)engine;
	return engine_start_process(cmd, pid, err);
}

const struct engine_ops engine_host = { "host", host_spawn, false, false, NULL, NULL };
