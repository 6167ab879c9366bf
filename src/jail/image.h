/*
 * Root filesystems for the jail ("images"): folders made from Debian's
 * archive with debootstrap, kept under the user's data folder
 * ($XDG_DATA_HOME/cibox/images/NAME). An image is built into a temporary
 * folder and renamed into place, so a failed build leaves nothing behind.
 */
#ifndef CIBOX_JAIL_IMAGE_H
#define CIBOX_JAIL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <cibox/sandbox.h>

struct image_build_options {
	const char *name;
	const char *suite;   /* e.g. bookworm */
	const char *mirror;  /* NULL: the machine's own Debian mirror */
	const char *include; /* extra packages, comma-separated, or NULL */
};

/* The folder of image NAME (which need not exist); -EINVAL for a bad name. */
int image_path(const char *name, char *buf, size_t size, cibox_error *err);
/* NAME of a built image, or a path to a folder: the root to use. */
int image_resolve(const char *name_or_path, char *buf, size_t size, cibox_error *err);
/* Runs debootstrap, its output going to the caller's stdout and stderr. */
int image_build(const struct image_build_options *options, cibox_error *err);
int image_remove(const char *name, cibox_error *err);

typedef void (*image_visit_fn)(const char *name, uint64_t bytes, void *context);
/* Calls visit for each image, in name order. */
int image_list(image_visit_fn visit, void *context, cibox_error *err);

#endif
