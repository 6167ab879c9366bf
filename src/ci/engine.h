/*
 * Where a step runs. The runner hands an engine a command, its environment,
 * its working directory and where its output goes; the engine starts it and
 * returns its pid, which the runner waits for. Everything that differs
 * between engines (the host, a rootless jail, podman or docker) stays behind
 * this interface. Started processes lead their own process group, so that the
 * runner can signal a step together with everything it started.
 */
#ifndef CIBOX_CI_ENGINE_H
#define CIBOX_CI_ENGINE_H

#include <stdbool.h>
#include <sys/types.h>

#include <cibox/sandbox.h>

struct engine_command {
	char *const *argv; /* argv[0] looked up in the environment's PATH */
	char *const *envp;
	const char *cwd;
	int output_fd; /* standard output and error; standard input is /dev/null */
};

typedef struct ci_engine ci_engine;

struct engine_ops {
	const char *name;
	int (*spawn)(ci_engine *engine, const struct engine_command *cmd, pid_t *pid,
		     cibox_error *err);
	/* The whole run moves into a jail first (ci/ns.h); steps then start as on
	 * the host, inside it. */
	bool whole_run_in_jail;
	/* The run's shell starts in a container of image CI_IMAGE_NAME_TAG, set up
	 * first by engine_oci_prepare (ci/engine_oci.h). */
	bool container;
	/* Sends SIGINT to the running step and all it started, not to the shell;
	 * NULL: to the process group `pid` leads. */
	void (*interrupt)(ci_engine *engine, pid_t pid);
	/* The run's last shell has ended: lets go of what the engine keeps for
	 * the steps' processes, before the runner ends those left. NULL: nothing. */
	void (*end_run)(ci_engine *engine);
};

/* "ns", "podman", "docker" or "host"; an unknown name is -EINVAL naming the
 * engines there are. */
int engine_open(const char *name, ci_engine **engine, cibox_error *err);
const char *engine_name(const ci_engine *engine);
bool engine_whole_run_in_jail(const ci_engine *engine);
bool engine_in_container(const ci_engine *engine);
/* What an engine keeps between spawns, released by engine_close. */
void engine_set_state(ci_engine *engine, void *state, void (*release)(void *state));
void *engine_state(const ci_engine *engine);
/* Where the podman and docker engines show cibox inside their containers. */
#define ENGINE_CIBOX_IN_CONTAINER "/run/cibox/cibox"

/* Every step under the syscall sandbox: `cibox sandbox --mode MODE --policy
 * POLICY -- step`. */
int engine_set_sandbox(ci_engine *engine, const char *mode, const char *policy, cibox_error *err);
/* Every step traced: `cibox trace -o POLICY_OUT --title TITLE [--args] -- step`. */
int engine_set_trace(ci_engine *engine, const char *policy_out, const char *title, bool record_args,
		     cibox_error *err);
int engine_spawn(ci_engine *engine, const struct engine_command *cmd, pid_t *pid, cibox_error *err);
/* Interrupts what the shell `pid`, which engine_spawn started, is running. */
void engine_interrupt(ci_engine *engine, pid_t pid);
void engine_end_run(ci_engine *engine);
void engine_close(ci_engine *engine);

/* Starts cmd->argv (found in the caller's PATH) as the leader of a process
 * group of its own, with standard input /dev/null, output to cmd->output_fd
 * and default signal handling: how every engine starts its process. */
int engine_start_process(const struct engine_command *cmd, pid_t *pid, cibox_error *err);

/* The ns engine's steps start in this box (jail/box.h) instead of one it
 * makes at the first step. */
struct jail_box;
void engine_ns_use_box(ci_engine *engine, struct jail_box *box);

extern const struct engine_ops engine_host;
extern const struct engine_ops engine_ns;
extern const struct engine_ops engine_podman;
extern const struct engine_ops engine_docker;

#endif
