/*
 * The rootless jail: new user, mount, pid, ipc, uts and (unless the network is
 * shared) net namespaces around a command, without setuid and without a
 * daemon.
 *
 * As in bubblewrap, what the jail looks like is decided first, as a list of
 * operations (a plan); jail_enter then carries the list out in order inside
 * the new namespaces. The root is the host's, bound read-only (or an image
 * folder; either may take writes that stay in memory), with a private /tmp, a minimal /dev, a fresh /proc, a /sys of the
 * jail's network, the host's /home, /root and /run hidden under empty
 * tmpfs, an empty $HOME, and whatever the plan binds or overlays on top.
 */
#ifndef CIBOX_JAIL_JAIL_H
#define CIBOX_JAIL_JAIL_H

#include <stdbool.h>
#include <sys/types.h>

#include <cibox/sandbox.h>

typedef struct jail_plan jail_plan;

enum jail_op_kind {
	JAIL_BIND,    /* src read-write at dst */
	JAIL_RO_BIND, /* src read-only at dst */
	JAIL_TMPFS,   /* an empty tmpfs at dst */
	JAIL_OVERLAY, /* src seen at dst, writes going to upper (work is overlayfs's) */
};

jail_plan *jail_plan_new(void);
void jail_plan_free(jail_plan *plan);

/* Add one operation; paths are absolute on the host (src) and in the jail (dst). */
int jail_plan_add(jail_plan *plan, enum jail_op_kind kind, const char *src, const char *dst,
		  cibox_error *err);
int jail_plan_add_overlay(jail_plan *plan, const char *lower, const char *upper, const char *work,
			  const char *dst, cibox_error *err);
/* "SRC" or "SRC:DST", as the command line gives it. */
int jail_plan_add_spec(jail_plan *plan, enum jail_op_kind kind, const char *spec, cibox_error *err);
/* The root: the host's "/" (the default) or an image folder. */
int jail_plan_set_rootfs(jail_plan *plan, const char *path, cibox_error *err);
/* Shares the host's network, and with it the host's resolver configuration
 * where that lives in a folder the jail hides. */
int jail_plan_share_network(jail_plan *plan, bool share, cibox_error *err);
/* The caller's $HOME: an empty folder of the command's own in the jail. */
int jail_plan_set_home(jail_plan *plan, const char *path, cibox_error *err);
/* Keep the caller's uid and gid inside instead of becoming root there. */
void jail_plan_keep_uid(jail_plan *plan, bool keep);
/* The ids the jail maps (jail/idmap.h), written from outside by the
 * process that makes it; without, only the caller's own, which the jail
 * writes itself. Only jail_enter makes such a jail. */
struct idmap;
void jail_plan_map_ids(jail_plan *plan, const struct idmap *map);
/* A root that takes writes: the host's or the image's files seen through
 * overlays whose upper layers are in the jail's memory, gone with it. */
void jail_plan_writable_root(jail_plan *plan, bool writable);
/* A kept layer (layer.h's folder holding root/...) under the writable
 * root's changes: the root starts as it left it. */
int jail_plan_root_layer(jail_plan *plan, const char *folder, cibox_error *err);
/* In the jail's processes, a writable root's changes so far (a folder of
 * N/path and N/upper), or -1. */
int jail_root_changes(void);
/* Keep the caller's session keyring instead of a new, empty one: for a
 * command whose syscall policy cannot reach keyrings anyway. */
void jail_plan_keep_keyring(jail_plan *plan, bool keep);
/* A working directory in a folder the jail hides is shown read-only, before
 * the plan's own operations. */
void jail_plan_show_cwd(jail_plan *plan, bool show);
/* Whether the jail hides the host's `path` (a home folder, /run, /tmp) with
 * nothing of the plan's showing it again. */
bool jail_plan_hides(const jail_plan *plan, const char *path);
/* Where the command starts; the default is the caller's working directory. */
int jail_plan_set_cwd(jail_plan *plan, const char *path, cibox_error *err);
/* Called in the jail's init once the jail is built, just before the command
 * is forked from it, which inherits what it leaves in memory: for what the
 * command needs and can be made while the command starts. Failing, it stops
 * the jail. */
void jail_plan_on_built(jail_plan *plan, int (*hook)(void *context, cibox_error *err), void *context);

/* Makes what root of the host could change for the whole machine under the
 * proc mounted at `proc` read-only (sysctls, sysrq, IRQs). The jail does so
 * when its caller is root of the host: only the host's uid 0 passes those
 * files' owner checks from a user namespace. */
int jail_seal_proc(const char *proc, cibox_error *err);

/* fork into the new namespaces `flags` name (CLONE_NEW*): the pid in the
 * caller, 0 in the child, -1 with errno. */
pid_t jail_clone(long flags);

/*
 * Creates the jail's init, as fork does: returns its pid in the caller and 0
 * in the init, which goes on with jail_init. The init is pid 1 of new user,
 * mount, pid, ipc and uts namespaces; jail_init adds the network's (unless
 * the plan shares the host's).
 * -EOPNOTSUPP when the machine cannot host a jail; the message says what is
 * missing and how to enable it.
 */
pid_t jail_spawn(cibox_error *err);

/*
 * In the process jail_spawn returned 0 in: builds the jail and forks. Returns
 * 0 in the new, innermost process, where the caller goes on to start the
 * command. The calling process stays the jail's init: it reaps orphans,
 * passes signals on and, when the command ends, writes the command's wait
 * status (an int) to status_fd and exits; the kernel then ends every process
 * left in the jail. The command and the init die with their parents
 * (PR_SET_PDEATHSIG).
 */
int jail_init(const jail_plan *plan, int status_fd, cibox_error *err);

/*
 * Both, for a caller that goes on inside the jail: returns 0 in the
 * innermost process, while the calling process waits outside every
 * namespace, removes overlayfs's scratch folders and exits as the command
 * did.
 */
int jail_enter(const jail_plan *plan, cibox_error *err);

#endif
