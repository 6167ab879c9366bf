/*
 * Where cibox keeps things of the user's: the XDG base directories, with the
 * specification's fallbacks under $HOME. Nothing is created here.
 */
#ifndef CIBOX_UTIL_XDG_H
#define CIBOX_UTIL_XDG_H

#include <stddef.h>

enum xdg_kind {
	XDG_CACHE, /* $XDG_CACHE_HOME or ~/.cache: caches of stages */
	XDG_STATE, /* $XDG_STATE_HOME or ~/.local/state: run folders */
	XDG_DATA,  /* $XDG_DATA_HOME or ~/.local/share: images */
};

/* "<base>/cibox/<sub>" into buf; -ENOENT when neither variable nor HOME is
 * set (or not absolute), -ENAMETOOLONG when it does not fit. */
int xdg_path(enum xdg_kind kind, const char *sub, char *buf, size_t size);

#endif
