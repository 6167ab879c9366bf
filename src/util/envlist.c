#include "util/envlist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *empty_vector[] = { NULL };

void envlist_free(envlist *env)
{
	for (size_t i = 0; i < env->len; i++)
		free(env->vars[i]);
	free(env->vars);
	*env = (envlist)ENVLIST_INIT;
}

bool env_name_valid(const char *name, size_t len)
{
	if (len == 0 || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9')))
			return false;
	}
	return true;
}

static ssize_t find(const envlist *env, const char *name, size_t len)
{
	for (size_t i = 0; i < env->len; i++)
		if (strncmp(env->vars[i], name, len) == 0 && env->vars[i][len] == '=')
			return (ssize_t)i;
	return -1;
}

/* Takes ownership of `entry`. */
static int put_owned(envlist *env, char *entry)
{
	size_t name_len = strcspn(entry, "=");
	ssize_t at = find(env, entry, name_len);
	if (at >= 0) {
		free(env->vars[at]);
		env->vars[at] = entry;
		return 0;
	}
	if (env->len + 1 >= env->cap) {
		size_t cap = env->cap ? env->cap * 2 : 32;
		char **vars = realloc(env->vars, cap * sizeof *vars);
		if (!vars) {
			free(entry);
			return -ENOMEM;
		}
		env->vars = vars;
		env->cap = cap;
	}
	env->vars[env->len++] = entry;
	env->vars[env->len] = NULL;
	return 0;
}

int envlist_put(envlist *env, const char *assignment)
{
	const char *eq = strchr(assignment, '=');
	if (!eq || eq == assignment)
		return -EINVAL;
	char *entry = strdup(assignment);
	if (!entry)
		return -ENOMEM;
	return put_owned(env, entry);
}

int envlist_set(envlist *env, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	if (nlen == 0 || strchr(name, '='))
		return -EINVAL;
	char *entry = malloc(nlen + vlen + 2);
	if (!entry)
		return -ENOMEM;
	memcpy(entry, name, nlen);
	entry[nlen] = '=';
	memcpy(entry + nlen + 1, value, vlen + 1);
	return put_owned(env, entry);
}

int envlist_unset(envlist *env, const char *name)
{
	ssize_t at = find(env, name, strlen(name));
	if (at < 0)
		return 0;
	free(env->vars[at]);
	memmove(env->vars + at, env->vars + at + 1, (env->len - (size_t)at) * sizeof *env->vars);
	env->len--;
	return 0;
}

const char *envlist_get(const envlist *env, const char *name)
{
	ssize_t at = find(env, name, strlen(name));
	return at < 0 ? NULL : env->vars[at] + strlen(name) + 1;
}

int envlist_add_vector(envlist *env, char *const *vector)
{
	for (; vector && *vector; vector++) {
		int rc = envlist_put(env, *vector);
		if (rc == -ENOMEM)
			return rc;
	}
	return 0;
}

int envlist_add_nul(envlist *env, const char *block, size_t len)
{
	size_t i = 0;
	while (i < len) {
		const char *end = memchr(block + i, '\0', len - i);
		size_t n = end ? (size_t)(end - (block + i)) : len - i;
		char *entry = strndup(block + i, n);
		if (!entry)
			return -ENOMEM;
		if (!strchr(entry, '=') || entry[0] == '=') {
			free(entry);
			return -EINVAL;
		}
		int rc = put_owned(env, entry);
		if (rc < 0)
			return rc;
		i += n + 1;
	}
	return 0;
}

char **envlist_vector(envlist *env)
{
	return env->vars ? env->vars : empty_vector;
}
