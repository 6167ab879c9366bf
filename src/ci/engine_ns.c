/* The ns engine: the run lives in a rootless jail (ci/ns.h); its shells start
 * in a box inside it (jail/box.h), out of reach of the jail's mounts and of
 * the runner. */
#include "ci/engine.h"

#include "jail/box.h"

static void close_box(void *box)
{
	jail_box_close(box);
}

static int ns_spawn(ci_engine *engine, const struct engine_command *cmd, pid_t *pid, cibox_error *err)
{
	jail_box *box = engine_state(engine);
	if (!box) {
		int rc = jail_box_open(&box, err);
		if (rc < 0)
			return rc;
		engine_set_state(engine, box, close_box);
	}
	struct box_command in_box = { cmd->argv, cmd->envp, cmd->cwd, cmd->output_fd };
	return jail_box_spawn(box, &in_box, pid, err);
}

void engine_ns_use_box(ci_engine *engine, jail_box *box)
{
	engine_set_state(engine, box, close_box);
}

/* The box's namespaces go with its processes, and what it takes to tear
 * them down is done while the runner writes its reports, not after. */
static void ns_end_run(ci_engine *engine)
{
	engine_set_state(engine, NULL, NULL);
}

const struct engine_ops engine_ns = { "ns", ns_spawn, true, false, NULL, ns_end_run };
