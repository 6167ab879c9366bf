/*
 * An environment as data: a NULL-terminated vector of "NAME=VALUE" strings,
 * ready for execve. The runner builds a run's environment in layers (the
 * caller's, what bash made of the configuration files, --set) and compares
 * them; a name appears at most once, in the order it was first set.
 */
#ifndef CIBOX_UTIL_ENVLIST_H
#define CIBOX_UTIL_ENVLIST_H

#include <stdbool.h>
#include <stddef.h>

typedef struct envlist {
	char **vars; /* NULL-terminated once anything is set; may be NULL when empty */
	size_t len;
	size_t cap;
} envlist;

#define ENVLIST_INIT                                                                               \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

void envlist_free(envlist *env);

/* True if name[0..len) is a shell variable name: [A-Za-z_][A-Za-z0-9_]*. */
bool env_name_valid(const char *name, size_t len);

/* Sets one "NAME=VALUE", replacing an earlier value of NAME. -EINVAL without
 * '=' or with an empty name, -ENOMEM. */
int envlist_put(envlist *env, const char *assignment);
int envlist_set(envlist *env, const char *name, const char *value);
int envlist_unset(envlist *env, const char *name);
/* The value of name, or NULL. */
const char *envlist_get(const envlist *env, const char *name);

/* Adds every entry of a NULL-terminated vector, such as environ. Entries
 * without '=' are skipped. */
int envlist_add_vector(envlist *env, char *const *vector);
/* Adds every entry of "A=1\0B=2\0", what `env -0` prints; the last entry may
 * lack its NUL. -EINVAL for an entry without '='. */
int envlist_add_nul(envlist *env, const char *block, size_t len);

/* The vector for execve; never NULL. */
char **envlist_vector(envlist *env);

#endif
