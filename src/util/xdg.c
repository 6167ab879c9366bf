#include "util/xdg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int xdg_path(enum xdg_kind kind, const char *sub, char *buf, size_t size)
{
	static const char *const variables[] = { "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME" };
	static const char *const fallbacks[] = { ".cache", ".local/state", ".local/share" };
	const char *base = getenv(variables[kind]);
	int n;
	if (base && base[0] == '/') {
		n = snprintf(buf, size, "%s/cibox/%s", base, sub);
	} else {
		const char *home = getenv("HOME");
		if (!home || home[0] != '/')
			return -ENOENT;
		n = snprintf(buf, size, "%s/%s/cibox/%s", home, fallbacks[kind], sub);
	}
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}
