/*
 * Which host ids a jail's user namespace maps, and writing those maps from
 * outside it.
 *
 * A jail that maps only its caller's uid and gid cannot hold a system: apt's
 * _apt user, dpkg's chowns and setgroups need more ids. Root maps every id to
 * itself. A normal user maps root of the jail to itself and ids 1 and up to
 * the range /etc/subuid and /etc/subgid give it (what useradd gives on
 * Debian), written by the setuid helpers newuidmap and newgidmap, as podman
 * and mmdebstrap do. Without ranges, only the caller's ids.
 */
#ifndef CIBOX_JAIL_IDMAP_H
#define CIBOX_JAIL_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cibox/sandbox.h>

struct idmap_range {
	uint32_t inside, outside, count;
};

struct idmap {
	struct idmap_range uid[2], gid[2];
	size_t nuid, ngid;
	bool helpers; /* a normal user's ranges: newuidmap and newgidmap write them */
};

/*
 * The widest map the caller can have: 1 when it maps more than the caller's
 * own ids, 0 when it cannot (then `why` says what is missing and how to add
 * it), negative on error. `subuid` and `subgid` are the files to read (NULL:
 * /etc/subuid and /etc/subgid).
 */
int idmap_for_caller(struct idmap *map, const char *subuid, const char *subgid, char *why,
		     size_t size, cibox_error *err);

/* The same for another user: root's or `uid`'s ranges. */
int idmap_for_user(struct idmap *map, uid_t uid, gid_t gid, const char *subuid, const char *subgid,
		   char *why, size_t size, cibox_error *err);

/* Writes `map` as the user namespace of process `pid` (which must be
 * dumpable while this runs). */
int idmap_write(pid_t pid, const struct idmap *map, cibox_error *err);

/* Gives the user namespace of `pid`, a child of the caller's, the same ids
 * as the caller's, each mapped to itself, and the caller's setgroups. */
int idmap_mirror(pid_t pid, cibox_error *err);

/* Calls fn(arg) in a child process that is root of a user namespace with
 * `map`: to remove files a jail of those ids made. Returns fn's result (a
 * negative errno, clipped) or -errno. */
int idmap_call(const struct idmap *map, int (*fn)(void *), void *arg, cibox_error *err);

/* rm -rf (fs_remove_tree) of what a jail of the caller's ranges made, files
 * of its subuids too: those go in a user namespace of those ids. */
int idmap_remove_tree(const char *path);

#endif
