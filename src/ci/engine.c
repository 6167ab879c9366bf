#include "ci/engine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

struct ci_engine {
	const struct engine_ops *ops;
};

static const struct engine_ops *const engines[] = { &engine_host };

int engine_open(const char *name, ci_engine **engine, cibox_error *err)
{
	for (size_t i = 0; i < sizeof engines / sizeof engines[0]; i++) {
		if (strcmp(name, engines[i]->name) != 0)
			continue;
		*engine = malloc(sizeof **engine);
		if (!*engine)
			return error_set(err, -ENOMEM, "out of memory");
		(*engine)->ops = engines[i];
		return 0;
	}
	return error_set(err, -EINVAL, "unknown engine '%s' (engines: host)", name);
}

const char *engine_name(const ci_engine *engine)
{
	return engine->ops->name;
}

int engine_spawn(ci_engine *engine, const struct engine_command *cmd, pid_t *pid, cibox_error *err)
{
	return engine->ops->spawn(cmd, pid, err);
}

void engine_close(ci_engine *engine)
{
	free(engine);
}
