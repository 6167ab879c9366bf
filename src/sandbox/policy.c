/*
 * A policy is an array indexed by native syscall number, so applying it to a
 * filter and asking it a question are both plain look-ups. Entries are parsed
 * and applied one at a time, which gives `-name` its meaning: it takes out
 * what the entries before it put in. Argument values sit in fixed arrays, one
 * per syscall of the argument table, so that a policy stays one block of
 * memory that a plain copy clones.
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

#include "sandbox/arg_value.h"
#include "sandbox/syscall_table.h"
#include "util/error.h"

struct value_list {
	unsigned count;
	uint32_t values[POLICY_VALUES_MAX]; /* ascending */
};

struct cibox_policy {
	uint8_t form[SCTAB_NR_LIMIT];
	struct value_list values[SCTAB_ARGUMENT_MAX]; /* as sctab_arguments() orders them */
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

/* The argument table's entry for syscall nr and its index, or NULL. */
static const struct sctab_argument *argument_of(int nr, size_t *index)
{
	const struct sctab_argument *a = sctab_argument_of(nr);
	if (a) {
		size_t count;
		*index = (size_t)(a - sctab_arguments(&count));
	}
	return a;
}

static struct value_list *values_of(const cibox_policy *policy, int nr)
{
	size_t index;
	return argument_of(nr, &index) ? (struct value_list *)&policy->values[index] : NULL;
}

const uint32_t *policy_values(const cibox_policy *policy, int nr, unsigned *count)
{
	const struct value_list *list = values_of(policy, nr);
	*count = list ? list->count : 0;
	return *count ? list->values : NULL;
}

void policy_set_values(cibox_policy *policy, int nr, const uint32_t *values, unsigned count)
{
	struct value_list *list = values_of(policy, nr);
	if (!list || count > POLICY_VALUES_MAX)
		return;
	list->count = count;
	memcpy(list->values, values, count * sizeof *values);
}

bool policy_has_value(const cibox_policy *policy, int nr, uint32_t value)
{
	unsigned count;
	const uint32_t *values = policy_values(policy, nr, &count);
	for (unsigned i = 0; i < count; i++)
		if (values[i] == value)
			return true;
	return false;
}

bool cibox_policy_allows(const cibox_policy *policy, int nr)
{
	unsigned count;
	return policy_form(policy, nr) != POLICY_REFUSED || policy_values(policy, nr, &count);
}

size_t cibox_policy_count(const cibox_policy *policy)
{
	size_t n = 0;
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++)
		n += cibox_policy_allows(policy, nr);
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

/* Adds one value, keeping the list sorted and without repeats. */
static int add_value(struct value_list *list, uint32_t value, const char *name, cibox_error *err)
{
	unsigned at = 0;
	while (at < list->count && list->values[at] < value)
		at++;
	if (at < list->count && list->values[at] == value)
		return 0;
	if (list->count == POLICY_VALUES_MAX)
		return error_set(err, -EINVAL,
				 "more than %d values for %s (each is a rule of the filter)",
				 POLICY_VALUES_MAX, name);
	memmove(&list->values[at + 1], &list->values[at], (list->count - at) * sizeof *list->values);
	list->values[at] = value;
	list->count++;
	return 0;
}

/* `name(V1, V2, ...)`: the text between the parentheses, value by value.
 * All values are read before any is added, so a bad entry changes nothing. */
static int apply_values(cibox_policy *policy, int nr, const char *name, const char *list,
			size_t len, cibox_error *err)
{
	size_t index;
	const struct sctab_argument *a = argument_of(nr, &index);
	if (!a) {
		size_t count;
		const struct sctab_argument *all = sctab_arguments(&count);
		char names[128] = "";
		for (size_t i = 0; i < count; i++)
			snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
				 i ? (i + 1 < count ? ", " : " and ") : "", all[i].syscall);
		return error_set(err, -EINVAL, "'%s' takes no argument values; only %s do", name,
				 names);
	}
	struct value_list added = policy->values[index];
	const char *end = list + len;
	while (true) {
		const char *comma = memchr(list, ',', (size_t)(end - list));
		size_t n = comma ? (size_t)(comma - list) : (size_t)(end - list);
		uint32_t value;
		int rc = argval_parse(a, list, n, &value, err);
		if (rc == 0)
			rc = add_value(&added, value, name, err);
		if (rc < 0)
			return rc;
		if (!comma)
			break;
		list = comma + 1;
	}
	if (policy->form[nr] != POLICY_ANY) /* any arguments already hold every value */
		policy->values[index] = added;
	return 0;
}

/* One syscall entry, `name`, `name(*)` or `name(values)`, table entries
 * included. From the table, a call this architecture lacks is skipped; from
 * the user, refused. */
static int apply_syscall(cibox_policy *policy, const char *entry, bool remove, bool from_table,
			 cibox_error *err)
{
	char name[64];
	size_t len = strlen(entry);
	const char *open = strchr(entry, '(');
	bool any = len > 3 && strcmp(entry + len - 3, "(*)") == 0;
	size_t name_len = open ? (size_t)(open - entry) : len;
	if (name_len >= sizeof name)
		return error_set(err, -EINVAL, "malformed entry '%s%s'", remove ? "-" : "", entry);
	memcpy(name, entry, name_len);
	name[name_len] = '\0';
	if (open && !remove && valid_name(name) && entry[len - 1] != ')')
		return error_set(err, -EINVAL, "missing ')' at the end of '%s'", entry);
	if (open && remove && !any)
		return error_set(err, -EINVAL,
				 "'-' takes out a whole syscall, without values: '-%s'", entry);
	if (!valid_name(name) || (open && remove) || (open && strchr(open + 1, '(')))
		return error_set(err, -EINVAL, "malformed entry '%s%s'", remove ? "-" : "", entry);

	int nr = sctab_resolve(name);
	if (nr < 0) {
		if (from_table)
			return 0;
		if (seccomp_syscall_resolve_name(name) == __NR_SCMP_ERROR)
			return error_set(err, -EINVAL, "unknown syscall '%s'", name);
		return error_set(err, -EINVAL, "syscall '%s' does not exist on this architecture",
				 name);
	}
	struct value_list *values = values_of(policy, nr);
	if (remove) {
		policy->form[nr] = POLICY_REFUSED;
		if (values)
			values->count = 0;
		return 0;
	}
	if (open && !any) {
		const char *list = open + 1;
		size_t list_len = len - name_len - 2;
		size_t blank = strspn(list, " \t");
		if (blank >= list_len)
			return error_set(err, -EINVAL,
					 "no values in '%s': name them, or write %s(*) for any",
					 entry, name);
		return apply_values(policy, nr, name, list, list_len, err);
	}
	enum policy_form form = any || !sctab_restriction_of(nr) ? POLICY_ANY : POLICY_RESTRICTED;
	if (form > policy->form[nr])
		policy->form[nr] = form;
	if (form == POLICY_ANY && values)
		values->count = 0;
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

size_t policy_entry_span(const char *text, size_t len)
{
	bool inside = false;
	size_t i = 0;
	for (; i < len; i++) {
		char c = text[i];
		if (c == '(')
			inside = true;
		else if (c == ')')
			inside = false;
		else if (!inside && (c == ',' || isspace((unsigned char)c)))
			break;
	}
	return i;
}

int cibox_policy_add_list(cibox_policy *policy, const char *list, cibox_error *err)
{
	size_t before = policy->entries;
	const char *p = list;
	for (;;) {
		p += strspn(p, ", \t\n");
		if (!*p)
			break;
		size_t len = policy_entry_span(p, strlen(p));
		char entry[POLICY_ENTRY_MAX];
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

int cibox_policy_parse(cibox_policy *policy, const char *text, const char *origin, cibox_error *err)
{
	size_t before = policy->entries;
	unsigned line_no = 0;
	const char *line;
	size_t len;
	while (policy_next_line(&text, &line_no, &line, &len)) {
		if (!len)
			continue;
		char entry[POLICY_ENTRY_MAX];
		if (len >= sizeof entry)
			return error_set(err, -EINVAL, "%s:%u: entry too long", origin, line_no);
		memcpy(entry, line, len);
		entry[len] = '\0';
		if (policy_entry_span(entry, len) != len)
			return error_set(err, -EINVAL, "%s:%u: one entry per line, found '%s'",
					 origin, line_no, entry);
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
		return error_set(err, -EINVAL, "%s: not a policy file (a regular file up to 1 MiB)",
				 path);
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
	int rc = policy_read_file(path, POLICY_FILE_MAX, &text, err);
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

/* Mirrors the kernel's filter: a listed value matches the low 32 bits of its
 * argument, the part the kernel reads. */
bool policy_allows_call(const cibox_policy *policy, int nr, const uint64_t args[6])
{
	enum policy_form form = policy_form(policy, nr);
	if (form == POLICY_ANY || (form == POLICY_RESTRICTED && policy_fits_restriction(nr, args)))
		return true;
	size_t index;
	const struct sctab_argument *a = argument_of(nr, &index);
	return a && policy_has_value(policy, nr, (uint32_t)args[a->arg]);
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
	const struct sctab_restriction *r = sctab_restriction_of(nr);
	for (unsigned i = 0; r && i < r->count; i++)
		if (alternative_holds(&r->alt[i], args))
			return true;
	return false;
}

bool policy_value_fits_restriction(int nr, uint32_t value)
{
	size_t index;
	const struct sctab_argument *a = argument_of(nr, &index);
	uint64_t args[6] = { 0 };
	if (!a)
		return false;
	args[a->arg] = value;
	return policy_fits_restriction(nr, args);
}

int policy_quiet_error(int nr, const uint64_t args[6])
{
	const char *name = sctab_name(nr);
	const struct sctab_quiet *q = name ? sctab_quiet_find(name) : NULL;
	return q && alternative_holds(&q->when, args) ? q->error : 0;
}
