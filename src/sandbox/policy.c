/*
 * A policy is an array indexed by native syscall number, so applying it to a
 * filter and asking it a question are both plain look-ups. Entries are parsed
 * and applied one at a time, which gives `-name` its meaning: it takes out
 * what the entries before it put in.
 */
#include "sandbox/policy.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/syscall_table.h"
#include "util/error.h"

#define ENTRY_MAX 128
#define FILE_MAX (1 << 20)

struct cibox_policy {
	uint8_t form[SCTAB_NR_LIMIT];
	size_t entries;
};

cibox_policy *cibox_policy_new(void)
{
	return calloc(1, sizeof(cibox_policy));
}

void cibox_policy_free(cibox_policy *policy)
{
	free(policy);
}

void policy_allow_everything(cibox_policy *policy)
{
	memset(policy->form, POLICY_ANY, sizeof policy->form);
	policy->entries++;
}

cibox_policy *policy_clone(const cibox_policy *policy)
{
	cibox_policy *copy = malloc(sizeof *copy);
	if (copy)
		memcpy(copy, policy, sizeof *copy);
	return copy;
}

enum policy_form policy_form(const cibox_policy *policy, int nr)
{
	return nr >= 0 && nr < SCTAB_NR_LIMIT ? policy->form[nr] : POLICY_REFUSED;
}

bool cibox_policy_allows(const cibox_policy *policy, int nr)
{
	return policy_form(policy, nr) != POLICY_REFUSED;
}

size_t cibox_policy_count(const cibox_policy *policy)
{
	size_t n = 0;
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++)
		n += policy->form[nr] != POLICY_REFUSED;
	return n;
}

static bool valid_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* One syscall entry, `name` or `name(*)`, table entries included. From the
 * table, a call this architecture lacks is skipped; from the user, refused. */
static int apply_syscall(cibox_policy *policy, const char *entry, bool remove,
			 bool from_table, cibox_error *err)
{
	char name[ENTRY_MAX];
	size_t len = strlen(entry);
	bool any = len > 3 && strcmp(entry + len - 3, "(*)") == 0;
	if (any)
		len -= 3;
	if (len >= sizeof name)
		return error_set(err, -EINVAL, "entry too long: '%s'", entry);
	memcpy(name, entry, len);
	name[len] = '\0';
	if (!valid_name(name) || (any && remove))
		return error_set(err, -EINVAL, "malformed entry '%s%s'", remove ? "-" : "", entry);

	int nr = sctab_resolve(name);
	if (nr < 0) {
		if (from_table)
			return 0;
		if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
			return error_set(err, -EINVAL, "unknown syscall '%s'", name);
		return error_set(err, -EINVAL, "syscall '%s' does not exist on this architecture", name);
	}
	if (remove) {
		policy->form[nr] = POLICY_REFUSED;
		return 0;
	}
	enum policy_form form = any || !sctab_restriction_find(name) ? POLICY_ANY : POLICY_RESTRICTED;
	if (form > policy->form[nr])
		policy->form[nr] = form;
	return 0;
}

static int apply_entry(cibox_policy *policy, const char *entry, cibox_error *err)
{
	bool remove = entry[0] == '-';
	const char *body = entry + remove;
	if (body[0] != '@')
		return apply_syscall(policy, body, remove, false, err);

	const struct sctab_group *group = sctab_group_find(body);
	if (!group)
		return error_set(err, -EINVAL, "unknown group '%s' (see `cibox syscalls`)", body);
	for (const char *const *member = group->entries; *member; member++) {
		int rc = apply_syscall(policy, *member, remove, true, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int cibox_policy_add(cibox_policy *policy, const char *entry, cibox_error *err)
{
	if (!*entry)
		return error_set(err, -EINVAL, "empty policy entry");
	int rc = apply_entry(policy, entry, err);
	if (rc == 0)
		policy->entries++;
	return rc;
}

int cibox_policy_add_list(cibox_policy *policy, const char *list, cibox_error *err)
{
	size_t before = policy->entries;
	const char *p = list;
	for (;;) {
		p += strspn(p, ", \t\n");
		if (!*p)
			break;
		size_t len = strcspn(p, ", \t\n");
		char entry[ENTRY_MAX];
		if (len >= sizeof entry)
			return error_set(err, -EINVAL, "entry too long: '%.*s'", (int)len, p);
		memcpy(entry, p, len);
		entry[len] = '\0';
		int rc = cibox_policy_add(policy, entry, err);
		if (rc < 0)
			return rc;
		p += len;
	}
	if (policy->entries == before)
		return error_set(err, -EINVAL, "the policy is empty");
	return 0;
}

bool policy_next_line(const char **cursor, unsigned *line_no, const char **start, size_t *len)
{
	const char *line = *cursor;
	if (!*line)
		return false;
	(*line_no)++;
	size_t n = strcspn(line, "\n");
	*cursor = line + n + (line[n] == '\n');
	const char *hash = memchr(line, '#', n);
	if (hash)
		n = (size_t)(hash - line);
	while (n && isspace((unsigned char)*line))
		line++, n--;
	while (n && isspace((unsigned char)line[n - 1]))
		n--;
	*start = line;
	*len = n;
	return true;
}

int cibox_policy_parse(cibox_policy *policy, const char *text, const char *origin,
		       cibox_error *err)
{
	size_t before = policy->entries;
	unsigned line_no = 0;
	const char *line;
	size_t len;
	while (policy_next_line(&text, &line_no, &line, &len)) {
		if (!len)
			continue;
		char entry[ENTRY_MAX];
		if (len >= sizeof entry)
			return error_set(err, -EINVAL, "%s:%u: entry too long", origin, line_no);
		memcpy(entry, line, len);
		entry[len] = '\0';
		if (strpbrk(entry, " \t"))
			return error_set(err, -EINVAL, "%s:%u: one entry per line, found '%s'", origin,
					 line_no, entry);
		int rc = cibox_policy_add(policy, entry, err);
		if (rc < 0) {
			error_prefix(err, "%s:%u: ", origin, line_no);
			return rc;
		}
	}
	if (policy->entries == before)
		return error_set(err, -EINVAL, "%s: the policy is empty", origin);
	return 0;
}

int policy_read_file(const char *path, size_t max, char **out, cibox_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(err, -errno, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int code = -errno;
		close(fd);
		return error_set(err, code, "%s: %s", path, strerror(-code));
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return error_set(err, -EINVAL, "%s: not a policy file (a regular file up to 1 MiB)", path);
	}
	char *text = malloc((size_t)st.st_size + 1);
	if (!text) {
		close(fd);
		return error_set(err, -ENOMEM, "%s: out of memory", path);
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int code = n < 0 ? -errno : -EIO;
			free(text);
			close(fd);
			return error_set(err, code, "%s: %s", path, strerror(-code));
		}
		got += (size_t)n;
	}
	close(fd);
	text[got] = '\0';
	if (strlen(text) != got) {
		free(text);
		return error_set(err, -EINVAL, "%s: not a text file", path);
	}
	*out = text;
	return 0;
}

int cibox_policy_load_file(cibox_policy *policy, const char *path, cibox_error *err)
{
	char *text;
	int rc = policy_read_file(path, FILE_MAX, &text, err);
	if (rc < 0)
		return rc;
	rc = cibox_policy_parse(policy, text, path, err);
	free(text);
	return rc;
}

void policy_set_form(cibox_policy *policy, int nr, enum policy_form form)
{
	if (nr >= 0 && nr < SCTAB_NR_LIMIT)
		policy->form[nr] = (uint8_t)form;
}

static bool condition_holds(const struct scmp_arg_cmp *c, const uint64_t args[6])
{
	uint64_t a = args[c->arg];
	switch (c->op) {
	case SCMP_CMP_NE: return a != c->datum_a;
	case SCMP_CMP_LT: return a < c->datum_a;
	case SCMP_CMP_LE: return a <= c->datum_a;
	case SCMP_CMP_EQ: return a == c->datum_a;
	case SCMP_CMP_GE: return a >= c->datum_a;
	case SCMP_CMP_GT: return a > c->datum_a;
	case SCMP_CMP_MASKED_EQ: return (a & c->datum_a) == c->datum_b;
	default: return false;
	}
}

bool policy_allows_call(const cibox_policy *policy, int nr, const uint64_t args[6])
{
	enum policy_form form = policy_form(policy, nr);
	if (form != POLICY_RESTRICTED)
		return form == POLICY_ANY;
	return policy_fits_restriction(nr, args);
}

static bool alternative_holds(const struct sctab_alternative *alt, const uint64_t args[6])
{
	for (unsigned c = 0; c < alt->count; c++)
		if (!condition_holds(&alt->cond[c], args))
			return false;
	return true;
}

bool policy_fits_restriction(int nr, const uint64_t args[6])
{
	const char *name = sctab_name(nr);
	const struct sctab_restriction *r = name ? sctab_restriction_find(name) : NULL;
	for (unsigned i = 0; r && i < r->count; i++)
		if (alternative_holds(&r->alt[i], args))
			return true;
	return false;
}

int policy_quiet_error(int nr, const uint64_t args[6])
{
	const char *name = sctab_name(nr);
	const struct sctab_quiet *q = name ? sctab_quiet_find(name) : NULL;
	return q && alternative_holds(&q->when, args) ? q->error : 0;
}
