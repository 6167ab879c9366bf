/*
 * Opening, creating and removing inside a folder that something else may
 * write at the same time: a run folder, its tree/, a cache, an export folder,
 * all of which a step can write. Every path is relative to a folder held
 * open and never leaves it, and no symbolic link is followed on the way: a
 * step that plants a link where cibox will open or remove something makes
 * that call fail instead of reaching what the link names.
 */
#ifndef CIBOX_UTIL_BENEATH_H
#define CIBOX_UTIL_BENEATH_H

#include <sys/types.h>

/*
 * openat of `path` (relative, no "..") beneath the folder `dirfd`, refusing
 * a symbolic link in any component, the last one included (-ELOOP). flags
 * are open's; O_CLOEXEC is always added. Returns the fd or -errno.
 */
int beneath_open(int dirfd, const char *path, int flags, mode_t mode);

/*
 * Opens `path` beneath `dirfd` for writing, emptied: created when missing,
 * and otherwise only when it is a plain file with no other name (no hard
 * link to a file elsewhere). Anything else in its place is refused with
 * -EEXIST, a symbolic link with -ELOOP. Returns the fd or -errno.
 */
int beneath_create(int dirfd, const char *path, mode_t mode);

/*
 * rm -rf of the entry `name` of `dirfd`, never following a link: a link is
 * removed, not what it names, and a folder swapped for a link while the
 * walk goes on is removed as a link. Folders it may not enter (mode 0, as
 * overlayfs and Go's module cache leave them) are opened up first. 0 when
 * everything is gone (or was never there), or the first -errno.
 */
int beneath_remove(int dirfd, const char *name);

/*
 * Gives the folder `path` beneath `dirfd` u+rwx, so that its owner can empty
 * and remove it, never through a link (-ELOOP, or -ENOTDIR for anything but
 * a folder). 0 or -errno.
 */
int beneath_open_up(int dirfd, const char *path);

/* What a refusal of this module means, for error lines, or strerror's. */
const char *beneath_strerror(int rc);

#endif
