/*
 * The few file-system chores several modules share: making a path of folders,
 * writing a file that is never seen half written, removing a tree (also one with folders of mode 0, as overlayfs and Go's
 * module cache leave them), and adding up a tree's size.
 */
#ifndef CIBOX_UTIL_FS_H
#define CIBOX_UTIL_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* mkdir -p: 0 or -errno. */
int fs_make_folders(const char *path, mode_t mode);

enum fs_durability {
	FS_VOLATILE, /* after a crash the file may be missing or empty: reports, caches */
	FS_DURABLE,  /* flushed to disk before it replaces the old one: the user's files */
};

/* Writes a whole file through a temporary one in the same folder, renamed
 * into place, so that no reader ever sees it half written: 0 or -errno. */
int fs_write_atomically(const char *path, const void *data, size_t len, mode_t mode,
			enum fs_durability durability);
/* The same for the entry `name` of the folder `dirfd`, for folders something
 * else may write: nothing planted there is written through. */
int fs_write_atomically_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode,
			   enum fs_durability durability);

/* rm -rf, opening folders it may not enter first, following no link in the
 * tree (see beneath_remove): 0 or -errno. */
int fs_remove_tree(const char *path);

struct fs_usage {
	uint64_t bytes; /* on disk */
	uint64_t files; /* everything but folders */
	time_t newest;  /* the newest modification time */
};

/* What a tree holds; zeros when it does not exist. */
void fs_tree_usage(const char *path, struct fs_usage *usage);

#endif
