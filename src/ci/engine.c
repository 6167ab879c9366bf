#include "ci/engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

struct ci_engine {
	const struct engine_ops *ops;
	char *sandbox_mode;
	char *sandbox_policy;
};

static const struct engine_ops *const engines[] = { &engine_ns, &engine_host };

int engine_open(const char *name, ci_engine **engine, cibox_error *err)
{
	for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++) {
		if (strcmp(name, engines[i]->name) != 0)
			continue;
		*engine = calloc(1, sizeof **engine);
		if (!*engine)
			return error_set(err, -ENOMEM, "out of memory");
		(*engine)->ops = engines[i];
		return 0;
	}
	return error_set(err, -EINVAL, "unknown engine '%s' (engines: ns, host)", name);
}

const char *engine_name(const ci_engine *engine)
{
	return engine->ops->name;
}

bool engine_whole_run_in_jail(const ci_engine *engine)
{
	return engine->ops->whole_run_in_jail;
}

int engine_set_sandbox(ci_engine *engine, const char *mode, const char *policy, cibox_error *err)
{
	free(engine->sandbox_mode);
	free(engine->sandbox_policy);
	engine->sandbox_mode = strdup(mode);
	engine->sandbox_policy = strdup(policy);
	if (!engine->sandbox_mode || !engine->sandbox_policy)
		return error_set(err, -ENOMEM, "out of memory");
	return 0;
}

int engine_spawn(ci_engine *engine, const struct engine_command *cmd, pid_t *pid, cibox_error *err)
{
	if (!engine->sandbox_mode)
		return engine->ops->spawn(cmd, pid, err);
	/* cibox itself puts the step under its policy: the same binary, whose
	 * supervisor reports a violation into the step's output. */
	size_t n = 0;
	while (cmd->argv[n])
		n++;
	char **argv = calloc(n + 8, sizeof *argv);
	if (!argv)
		return error_set(err, -ENOMEM, "out of memory");
	char *prefix[] = { "/proc/self/exe", "sandbox", "--mode", engine->sandbox_mode,
			   "--policy", engine->sandbox_policy, "--" };
	memcpy(argv, prefix, sizeof prefix);
	memcpy(argv + 7, cmd->argv, n * sizeof *argv);
	struct engine_command wrapped = *cmd;
	wrapped.argv = argv;
	int rc = engine->ops->spawn(&wrapped, pid, err);
	free(argv);
	return rc;
}

void engine_close(ci_engine *engine)
{
	if (engine) {
		free(engine->sandbox_mode);
		free(engine->sandbox_policy);
	}
	free(engine);
}
