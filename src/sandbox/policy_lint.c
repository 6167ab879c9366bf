#include "sandbox/policy_lint.h"

#include <stdbool.h>
#include <string.h>

#include "sandbox/policy.h"
#include "sandbox/syscall_table.h"

#define ENTRY_MAX 128

/* The dangers an entry brings in, given the policy before and after it. */
static int report_dangers(const cibox_policy *before, const cibox_policy *after,
			  const char *entry, const char *origin, unsigned line, FILE *out)
{
	size_t count;
	const struct sctab_danger *dangers = sctab_dangers(&count);
	int findings = 0;
	for (size_t i = 0; i < count; i++) {
		int nr = sctab_resolve(dangers[i].syscall);
		if (nr < 0)
			continue;
		bool any = dangers[i].form[0] != '\0';
		bool now = any ? policy_form(after, nr) == POLICY_ANY : cibox_policy_allows(after, nr);
		bool then = any ? policy_form(before, nr) == POLICY_ANY : cibox_policy_allows(before, nr);
		if (!now || then)
			continue;
		fprintf(out, "%s:%u: '%s' allows %s%s: %s\n", origin, line, entry, dangers[i].syscall,
			dangers[i].form, dangers[i].why);
		findings++;
	}
	return findings;
}

int policy_lint(const char *text, const char *origin, FILE *out)
{
	int findings = 0;
	unsigned line_no = 0;
	bool any_entry = false;
	cibox_policy *before = cibox_policy_new(), *after = cibox_policy_new(), *unnamed = NULL;
	if (!before || !after) {
		cibox_policy_free(before);
		cibox_policy_free(after);
		return -1;
	}
	const char *p;
	size_t len;
	while (policy_next_line(&text, &line_no, &p, &len)) {
		char entry[ENTRY_MAX];
		if (len >= sizeof entry) {
			fprintf(out, "%s:%u: entry too long\n", origin, line_no);
			findings++;
		} else if (len) {
			memcpy(entry, p, len);
			entry[len] = '\0';
			cibox_error err;
			if (entry[0] == '[') {
				if (entry[len - 1] != ']' || len < 3 || len > 17) {
					fprintf(out, "%s:%u: a section names a thread of 1 to 15 characters: '%s'\n",
						origin, line_no, entry);
					findings++;
				}
				/* A section starts from what threads without one have. */
				if (!unnamed)
					unnamed = policy_clone(after);
				cibox_policy_free(before);
				cibox_policy_free(after);
				before = unnamed ? policy_clone(unnamed) : NULL;
				after = unnamed ? policy_clone(unnamed) : NULL;
				if (!before || !after)
					break;
			} else if (strpbrk(entry, " \t")) {
				fprintf(out, "%s:%u: one entry per line, found '%s'\n", origin, line_no, entry);
				findings++;
			} else if (cibox_policy_add(after, entry, &err) < 0) {
				fprintf(out, "%s:%u: %s\n", origin, line_no, err.message);
				findings++;
			} else {
				any_entry = true;
				findings += report_dangers(before, after, entry, origin, line_no, out);
				cibox_policy_add(before, entry, NULL);
			}
		}
	}
	if (!any_entry) {
		fprintf(out, "%s: the policy is empty\n", origin);
		findings++;
	}
	cibox_policy_free(before);
	cibox_policy_free(after);
	cibox_policy_free(unnamed);
	return findings;
}

static const char *form_text(const char *name, enum policy_form form)
{
	const struct sctab_restriction *r = sctab_restriction_find(name);
	if (form == POLICY_ANY)
		return r ? "any arguments" : "";
	return r ? r->summary : "";
}

/* a and b; for a section, a_base and b_base are the parts without sections,
 * whose differences were shown already. */
static int diff_part(const cibox_policy *a, const cibox_policy *b, const cibox_policy *a_base,
		     const cibox_policy *b_base, const char *header, FILE *out)
{
	int differences = 0;
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++) {
		enum policy_form fa = policy_form(a, nr), fb = policy_form(b, nr);
		const char *name = sctab_name(nr);
		if (fa == fb || !name)
			continue;
		if (a_base && fa == policy_form(a_base, nr) && fb == policy_form(b_base, nr))
			continue;
		if (!differences++ && header)
			fprintf(out, "%s\n", header);
		if (fa == POLICY_REFUSED || fb == POLICY_REFUSED) {
			enum policy_form f = fa == POLICY_REFUSED ? fb : fa;
			const char *text = form_text(name, f);
			fprintf(out, "%c %s%s%s%s\n", fa == POLICY_REFUSED ? '+' : '-', name,
				*text ? " (" : "", text, *text ? ")" : "");
		} else {
			fprintf(out, "~ %s: %s -> %s\n", name, form_text(name, fa), form_text(name, fb));
		}
	}
	return differences;
}

int policy_diff(const policy_set *a, const policy_set *b, FILE *out)
{
	const cibox_policy *a_base = policy_set_unnamed(a), *b_base = policy_set_unnamed(b);
	int differences = diff_part(a_base, b_base, NULL, NULL, NULL, out);
	const policy_set *sets[2] = { a, b };
	for (int s = 0; s < 2; s++) {
		for (size_t i = 0; i < policy_set_sections(sets[s]); i++) {
			const char *name = policy_set_section(sets[s], i);
			bool seen_in_a = false;
			for (size_t j = 0; s == 1 && j < policy_set_sections(a); j++)
				seen_in_a = seen_in_a || strcmp(policy_set_section(a, j), name) == 0;
			if (seen_in_a)
				continue; /* already compared from a's side */
			char header[32];
			snprintf(header, sizeof header, "[%s]", name);
			differences += diff_part(policy_set_for(a, name), policy_set_for(b, name), a_base,
						 b_base, header, out);
		}
	}
	return differences;
}
