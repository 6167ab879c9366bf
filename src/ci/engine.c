#include "ci/engine.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

struct ci_engine {
	const struct engine_ops *ops;
	char *wrapper[8]; /* cibox itself around the run's shell: sandbox or trace */
	size_t wrapper_len;
	void *state;
	void (*release)(void *state);
};

static const struct engine_ops *const engines[] = { &engine_ns, &engine_podman, &engine_docker,
						    &engine_host };

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
	return error_set(err, -EINVAL, "unknown engine '%s' (engines: ns, podman, docker, host)",
			 name);
}

const char *engine_name(const ci_engine *engine)
{
	return engine->ops->name;
}

bool engine_whole_run_in_jail(const ci_engine *engine)
{
	return engine->ops->whole_run_in_jail;
}

bool engine_in_container(const ci_engine *engine)
{
	return engine->ops->container;
}

void engine_set_state(ci_engine *engine, void *state, void (*release)(void *state))
{
	if (engine->release)
		engine->release(engine->state);
	engine->state = state;
	engine->release = release;
}

void *engine_state(const ci_engine *engine)
{
	return engine->state;
}

static int set_wrapper(ci_engine *engine, const char *const *words, size_t n, cibox_error *err)
{
	for (size_t i = 0; i < engine->wrapper_len; i++)
		free(engine->wrapper[i]);
	engine->wrapper_len = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(engine->wrapper[i] = strdup(words[i])))
			return error_set(err, -ENOMEM, "out of memory");
		engine->wrapper_len++;
	}
	return 0;
}

/* The same binary: /proc/self/exe, whatever path it was started by, or the
 * container's copy. */
static const char *self(const ci_engine *engine)
{
	return engine->ops->container ? ENGINE_CIBOX_IN_CONTAINER : "/proc/self/exe";
}

int engine_set_sandbox(ci_engine *engine, const char *mode, const char *policy, cibox_error *err)
{
	const char *words[] = { self(engine), "sandbox", "--mode", mode, "--policy", policy, "--" };
	return set_wrapper(engine, words, sizeof words / sizeof words[0], err);
}

int engine_set_trace(ci_engine *engine, const char *policy_out, const char *title, bool record_args,
		     cibox_error *err)
{
	const char *words[] = { self(engine), "trace", "-o", policy_out, "--title", title, "--" };
	const char *with_args[] = { self(engine), "trace",   "--args", "-o",
				    policy_out,   "--title", title,    "--" };
	return record_args
		       ? set_wrapper(engine, with_args, sizeof with_args / sizeof with_args[0], err)
		       : set_wrapper(engine, words, sizeof words / sizeof words[0], err);
}

int engine_spawn(ci_engine *engine, const struct engine_command *cmd, pid_t *pid, cibox_error *err)
{
	if (!engine->wrapper_len)
		return engine->ops->spawn(engine, cmd, pid, err);
	size_t n = 0;
	while (cmd->argv[n])
		n++;
	char **argv = calloc(n + engine->wrapper_len + 1, sizeof *argv);
	if (!argv)
		return error_set(err, -ENOMEM, "out of memory");
	memcpy(argv, engine->wrapper, engine->wrapper_len * sizeof *argv);
	memcpy(argv + engine->wrapper_len, cmd->argv, n * sizeof *argv);
	struct engine_command wrapped = *cmd;
	wrapped.argv = argv;
	int rc = engine->ops->spawn(engine, &wrapped, pid, err);
	free(argv);
	return rc;
}

void engine_interrupt(ci_engine *engine, pid_t pid)
{
	if (engine->ops->interrupt)
		engine->ops->interrupt(engine, pid);
	else
		kill(-pid, SIGINT);
}

void engine_end_run(ci_engine *engine)
{
	if (engine->ops->end_run)
		engine->ops->end_run(engine);
}

void engine_close(ci_engine *engine)
{
	if (!engine)
		return;
	for (size_t i = 0; i < engine->wrapper_len; i++)
		free(engine->wrapper[i]);
	engine_set_state(engine, NULL, NULL);
	free(engine);
}
