/* The host engine: the step runs directly on this machine, as the caller. */
#include "ci/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"

static int host_spawn(ci_engine *engine, const struct engine_command *cmd, pid_t *pid,
		      cibox_error *err)
{
	(void)engine;
	pid_t child = fork();
	if (child < 0)
		return error_set(err, -errno, "fork: %s", strerror(errno));
	if (child == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		setpgid(0, 0);
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(cmd->output_fd, 1) < 0 ||
		    dup2(cmd->output_fd, 2) < 0 || chdir(cmd->cwd) < 0)
			_exit(126);
		execvpe(cmd->argv[0], cmd->argv, cmd->envp);
		_exit(errno == ENOENT ? 127 : 126);
	}
	/* Also here, so that the group exists before the runner may signal it. */
	setpgid(child, child);
	*pid = child;
	return 0;
}

const struct engine_ops engine_host = { "host", host_spawn, false, false, NULL };
const struct engine_ops engine_ns = { "ns", host_spawn, true, false, NULL };
