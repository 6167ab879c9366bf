/*
 * The box: namespaces inside the jail for what the jail's first process
 * starts. A CI run's runner lives in the jail; its steps must not be able to
 * undo the jail (remount the root writable, unmount the tree's overlay) or
 * end the runner (`kill -9 -1`). So the steps run one level further in: a
 * user namespace of their own, whose mount namespace is a copy of the
 * jail's, and a pid namespace of their own. The kernel locks every mount
 * copied into a less privileged namespace together with its flags, so root
 * of the box can mount anew but cannot change or remove any mount the jail
 * made; and from the box's pid namespace no process outside it can be seen
 * or signalled. One box serves every command of a run, so what one step
 * leaves running is there for the next, as in one shell.
 */
#ifndef CIBOX_JAIL_BOX_H
#define CIBOX_JAIL_BOX_H

#include <sys/types.h>

#include <cibox/sandbox.h>

typedef struct jail_box jail_box;

struct box_command {
	char *const *argv; /* argv[0] looked up in the caller's PATH */
	char *const *envp;
	const char *cwd;
	int output_fd; /* standard output and error; standard input is /dev/null */
};

/* Makes the box: the caller's uid and gid are mapped to themselves, and a
 * fresh /proc shows the box's processes only. */
int jail_box_open(jail_box **box, cibox_error *err);

/* Starts making the box and returns while its pid 1 sets it up: the first
 * jail_box_spawn finishes, and says why if the box could not be made. Its
 * pid 1 is the caller's child; a process forked from the caller afterwards
 * may use the box in its place (the jail's init starts the box this way,
 * so that the box is made while the runner starts). */
int jail_box_start(jail_box **box, cibox_error *err);

/* Starts a command in the box, as the leader of a session of its own
 * and with default signal handling; it is the caller's child. */
int jail_box_spawn(jail_box *box, const struct box_command *cmd, pid_t *pid, cibox_error *err);

/* The calling process moves into a user namespace of its own (its uid and
 * gid mapped to themselves) with a copy of its mount namespace, where the
 * kernel locks every mount it had: for a command that must not undo the
 * jail it runs in, such as a configuration's bash. */
int jail_lock_mounts(cibox_error *err);

/* Ends every process of the box: its pid 1 is sent SIGKILL, which takes
 * the others with it, and the box's namespaces go once they have ended.
 * The caller waits for them (they are its descendants). */
void jail_box_close(jail_box *box);

#endif
