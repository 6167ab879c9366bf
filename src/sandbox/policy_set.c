#include "sandbox/policy_set.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/policy.h"
#include "sandbox/syscall_table.h"
#include "util/error.h"

#define THREAD_NAME_MAX 15

struct section {
	char name[THREAD_NAME_MAX + 1];
	cibox_policy *policy;
};

struct policy_set {
	cibox_policy *unnamed;    /* threads without a section of their own */
	cibox_policy *common;     /* what every thread may do */
	cibox_policy *supervised; /* what only some may do; NULL without sections */
	struct section *sections;
	size_t count;
};

void policy_set_free(policy_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->count; i++)
		cibox_policy_free(set->sections[i].policy);
	free(set->sections);
	cibox_policy_free(set->unnamed);
	if (set->common != set->unnamed)
		cibox_policy_free(set->common);
	cibox_policy_free(set->supervised);
	free(set);
}

const cibox_policy *policy_set_common(const policy_set *set)
{
	return set->common;
}

const cibox_policy *policy_set_supervised(const policy_set *set)
{
	return set->supervised;
}

size_t policy_set_sections(const policy_set *set)
{
	return set->count;
}

const char *policy_set_section(const policy_set *set, size_t i)
{
	return i < set->count ? set->sections[i].name : NULL;
}

const cibox_policy *policy_set_unnamed(const policy_set *set)
{
	return set->unnamed;
}

const cibox_policy *policy_set_for(const policy_set *set, const char *thread)
{
	for (size_t i = 0; i < set->count; i++)
		if (strcmp(set->sections[i].name, thread) == 0)
			return set->sections[i].policy;
	return set->unnamed;
}

/* The values every one of the policies lists for nr, in common. */
static unsigned common_values(const cibox_policy *const *policies, size_t count, int nr, uint32_t *out)
{
	unsigned n, kept = 0;
	const uint32_t *values = policy_values(policies[0], nr, &n);
	for (unsigned v = 0; v < n; v++) {
		bool everywhere = true;
		for (size_t i = 1; everywhere && i < count; i++)
			everywhere = policy_has_value(policies[i], nr, values[v]);
		if (everywhere)
			out[kept++] = values[v];
	}
	return kept;
}

/* The kernel's part is each syscall in the weakest form any thread has it,
 * with the values every thread lists; the supervisor's is every syscall some
 * thread has in another form or with other values. */
static int split(policy_set *set)
{
	if (!set->count) {
		set->common = set->unnamed;
		return 0;
	}
	set->common = policy_clone(set->unnamed);
	set->supervised = cibox_policy_new();
	const cibox_policy **all = calloc(set->count + 1, sizeof *all);
	if (!set->common || !set->supervised || !all) {
		free(all);
		return -ENOMEM;
	}
	all[0] = set->unnamed;
	for (size_t i = 0; i < set->count; i++)
		all[i + 1] = set->sections[i].policy;
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++) {
		enum policy_form least = policy_form(set->unnamed, nr), most = least;
		unsigned count;
		policy_values(set->unnamed, nr, &count);
		uint32_t common[POLICY_VALUES_MAX];
		unsigned kept = common_values(all, set->count + 1, nr, common);
		bool other_values = false;
		for (size_t i = 0; i < set->count; i++) {
			enum policy_form f = policy_form(set->sections[i].policy, nr);
			unsigned n;
			policy_values(set->sections[i].policy, nr, &n);
			least = f < least ? f : least;
			most = f > most ? f : most;
			other_values = other_values || n != kept;
		}
		policy_set_form(set->common, nr, least);
		policy_set_values(set->common, nr, common, kept);
		bool differ = most > least || other_values || count != kept;
		policy_set_form(set->supervised, nr, differ ? POLICY_ANY : POLICY_REFUSED);
	}
	free(all);
	return 0;
}

struct line {
	const char *text;
	size_t len;
	unsigned number;
};

static int apply(cibox_policy *policy, const struct line *line, const char *origin, cibox_error *err)
{
	char entry[POLICY_ENTRY_MAX];
	if (line->len >= sizeof entry)
		return error_set(err, -EINVAL, "%s:%u: entry too long", origin, line->number);
	memcpy(entry, line->text, line->len);
	entry[line->len] = '\0';
	if (policy_entry_span(entry, line->len) != line->len)
		return error_set(err, -EINVAL, "%s:%u: one entry per line, found '%s'", origin,
				 line->number, entry);
	int rc = cibox_policy_add(policy, entry, err);
	if (rc < 0)
		error_prefix(err, "%s:%u: ", origin, line->number);
	return rc;
}

/* Every non-empty line without its comment, in order. */
static size_t split_lines(const char *text, struct line **out)
{
	size_t count = 0, cap = 0;
	struct line *lines = NULL;
	unsigned number = 0;
	const char *start;
	size_t len;
	while (policy_next_line(&text, &number, &start, &len)) {
		if (!len)
			continue;
		if (count == cap) {
			cap = cap ? 2 * cap : 64;
			struct line *grown = realloc(lines, cap * sizeof *lines);
			if (!grown)
				break;
			lines = grown;
		}
		lines[count++] = (struct line){ start, len, number };
	}
	*out = lines;
	return count;
}

static bool is_section(const struct line *l)
{
	return l->len >= 2 && l->text[0] == '[' && l->text[l->len - 1] == ']';
}

static bool section_name_fits(const char *name, size_t len)
{
	return len > 0 && len <= THREAD_NAME_MAX && !memchr(name, '[', len) &&
	       !memchr(name, ']', len);
}

bool policy_set_can_name(const char *thread)
{
	size_t len = strlen(thread);
	if (!section_name_fits(thread, len) || isspace((unsigned char)thread[0]) ||
	    isspace((unsigned char)thread[len - 1]))
		return false; /* the line reader would trim the blanks */
	for (const unsigned char *c = (const unsigned char *)thread; *c; c++)
		if (*c < ' ' || *c == 0x7f || *c == '#') /* '#' starts a comment */
			return false;
	return true;
}

int policy_set_parse(const char *text, const char *origin, policy_set **out, cibox_error *err)
{
	policy_set *set = calloc(1, sizeof *set);
	struct line *lines = NULL;
	size_t count = split_lines(text, &lines);
	int rc = 0;
	if (!set || !(set->unnamed = cibox_policy_new())) {
		rc = error_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	size_t first_section = 0;
	while (first_section < count && !is_section(&lines[first_section]))
		first_section++;
	for (size_t i = 0; i < first_section && rc == 0; i++)
		rc = apply(set->unnamed, &lines[i], origin, err);
	for (size_t i = first_section; i < count && rc == 0; i++) {
		if (!is_section(&lines[i]))
			continue;
		size_t len = lines[i].len - 2;
		if (!section_name_fits(lines[i].text + 1, len)) {
			rc = error_set(err, -EINVAL,
				       "%s:%u: a section names a thread of 1 to %d characters: '%.*s'",
				       origin, lines[i].number, THREAD_NAME_MAX, (int)lines[i].len,
				       lines[i].text);
			break;
		}
		struct section *grown = realloc(set->sections, (set->count + 1) * sizeof *grown);
		if (!grown) {
			rc = error_set(err, -ENOMEM, "out of memory");
			break;
		}
		set->sections = grown;
		struct section *s = &set->sections[set->count];
		memcpy(s->name, lines[i].text + 1, len);
		s->name[len] = '\0';
		if (policy_set_for(set, s->name) != set->unnamed) {
			rc = error_set(err, -EINVAL, "%s:%u: a second section for thread '%s'",
				       origin, lines[i].number, s->name);
			break;
		}
		if (!(s->policy = policy_clone(set->unnamed))) {
			rc = error_set(err, -ENOMEM, "out of memory");
			break;
		}
		set->count++;
		for (size_t j = i + 1; j < count && !is_section(&lines[j]) && rc == 0; j++)
			rc = apply(s->policy, &lines[j], origin, err);
	}
	if (rc == 0 && count == 0)
		rc = error_set(err, -EINVAL, "%s: the policy is empty", origin);
	if (rc == 0 && split(set) < 0)
		rc = error_set(err, -ENOMEM, "out of memory");
out:
	free(lines);
	if (rc < 0) {
		policy_set_free(set);
		set = NULL;
	}
	*out = set;
	return rc;
}

int policy_set_from_list(const char *list, policy_set **out, cibox_error *err)
{
	policy_set *set = calloc(1, sizeof *set);
	int rc = set && (set->unnamed = cibox_policy_new())
			 ? 0
			 : error_set(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = cibox_policy_add_list(set->unnamed, list, err);
	if (rc == 0)
		set->common = set->unnamed;
	if (rc < 0) {
		policy_set_free(set);
		set = NULL;
	}
	*out = set;
	return rc;
}

int policy_set_load(const char *path, policy_set **out, cibox_error *err)
{
	*out = NULL;
	char *text;
	int rc = policy_read_file(path, POLICY_FILE_MAX, &text, err);
	if (rc < 0)
		return rc;
	rc = policy_set_parse(text, path, out, err);
	free(text);
	return rc;
}
