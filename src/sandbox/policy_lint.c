#include "sandbox/policy_lint.h"

#include <stdbool.h>
#include <string.h>

#include "sandbox/arg_value.h"
#include "sandbox/policy.h"
#include "sandbox/syscall_table.h"

/* Why the unrestricted form of a syscall is dangerous, from the table; for
 * a syscall without a safe form (ptrace), why the call itself is. */
static const char *why_any_form(const char *syscall)
{
	size_t count;
	bool restricted = sctab_restriction_find(syscall) != NULL;
	const struct sctab_danger *dangers = sctab_dangers(&count);
	for (size_t i = 0; i < count; i++)
		if (strcmp(dangers[i].syscall, syscall) == 0 && (dangers[i].form[0] || !restricted))
			return dangers[i].why;
	return "outside what cibox allows by default";
}

/* Listed values are held to cibox's safe form as `name(*)` is: each one
 * beyond it is named, with what that form guards against. A value within a
 * safe form already allowed is named too: it adds nothing, and whoever wrote
 * it most likely meant to allow only the values listed. */
static int report_values(const cibox_policy *before, const cibox_policy *after, const char *origin,
			 unsigned line, FILE *out)
{
	size_t count;
	const struct sctab_argument *args = sctab_arguments(&count);
	int findings = 0;
	for (size_t a = 0; a < count; a++) {
		int nr = sctab_resolve(args[a].syscall);
		unsigned n;
		const uint32_t *values = nr < 0 ? NULL : policy_values(after, nr, &n);
		for (unsigned i = 0; values && i < n; i++) {
			bool fits = policy_value_fits_restriction(nr, values[i]);
			if (policy_has_value(before, nr, values[i]) ||
			    (fits && policy_form(after, nr) != POLICY_RESTRICTED))
				continue;
			char text[ARGVAL_TEXT_MAX];
			argval_format(&args[a], values[i], text, sizeof text);
			findings++;
			if (fits) {
				fprintf(out,
					"%s:%u: %s(%s) adds nothing to the safe form allowed before; "
					"write -%s before the values to allow only them\n",
					origin, line, args[a].syscall, text, args[a].syscall);
				continue;
			}
			const struct sctab_restriction *r = sctab_restriction_find(args[a].syscall);
			if (r)
				fprintf(out,
					"%s:%u: %s(%s) is beyond cibox's safe form of %s (%s): %s\n",
					origin, line, args[a].syscall, text, args[a].syscall,
					r->summary, why_any_form(args[a].syscall));
			else
				fprintf(out, "%s:%u: %s(%s) is in no default group: %s\n", origin,
					line, args[a].syscall, text, why_any_form(args[a].syscall));
		}
	}
	return findings;
}

/* The dangers an entry brings in, given the policy before and after it. */
static int report_dangers(const cibox_policy *before, const cibox_policy *after, const char *entry,
			  const char *origin, unsigned line, FILE *out)
{
	size_t count;
	const struct sctab_danger *dangers = sctab_dangers(&count);
	int findings = 0;
	for (size_t i = 0; i < count; i++) {
		int nr = sctab_resolve(dangers[i].syscall);
		if (nr < 0)
			continue;
		bool any = dangers[i].form[0] != '\0';
		bool now =
			any ? policy_form(after, nr) == POLICY_ANY : cibox_policy_allows(after, nr);
		bool then = any ? policy_form(before, nr) == POLICY_ANY
				: cibox_policy_allows(before, nr);
		if (!now || then)
			continue;
		fprintf(out, "%s:%u: '%s' allows %s%s: %s\n", origin, line, entry,
			dangers[i].syscall, dangers[i].form, dangers[i].why);
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
		char entry[POLICY_ENTRY_MAX];
		if (len >= sizeof entry) {
			fprintf(out, "%s:%u: entry too long\n", origin, line_no);
			findings++;
		} else if (len) {
			memcpy(entry, p, len);
			entry[len] = '\0';
			cibox_error err;
			if (entry[0] == '[') {
				if (entry[len - 1] != ']' || len < 3 || len > 17) {
					fprintf(out,
						"%s:%u: a section names a thread of 1 to 15 characters: '%s'\n",
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
			} else if (policy_entry_span(entry, len) != len) {
				fprintf(out, "%s:%u: one entry per line, found '%s'\n", origin,
					line_no, entry);
				findings++;
			} else if (cibox_policy_add(after, entry, &err) < 0) {
				fprintf(out, "%s:%u: %s\n", origin, line_no, err.message);
				findings++;
			} else {
				any_entry = true;
				findings +=
					report_dangers(before, after, entry, origin, line_no, out);
				findings += report_values(before, after, origin, line_no, out);
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

static void print_header(int *differences, const char *header, FILE *out)
{
	if (!(*differences)++ && header)
		fprintf(out, "%s\n", header);
}

/* Values one policy lists and the other not, one line each: `+ ioctl(TCGETS)`.
 * For a section, a difference its part without sections shows already is left out. */
static void diff_values(const cibox_policy *a, const cibox_policy *b, const cibox_policy *a_base,
			const cibox_policy *b_base, int nr, const char *header, int *differences,
			FILE *out)
{
	const char *name = sctab_name(nr);
	const struct sctab_argument *arg = sctab_argument_find(name);
	const cibox_policy *sides[2] = { a, b };
	for (int side = 0; arg && side < 2; side++) {
		unsigned n;
		const uint32_t *values = policy_values(sides[side], nr, &n);
		for (unsigned i = 0; i < n; i++) {
			bool in_a = policy_has_value(a, nr, values[i]);
			bool in_b = policy_has_value(b, nr, values[i]);
			if (in_a == in_b)
				continue;
			if (a_base && in_a == policy_has_value(a_base, nr, values[i]) &&
			    in_b == policy_has_value(b_base, nr, values[i]))
				continue;
			char text[ARGVAL_TEXT_MAX];
			argval_format(arg, values[i], text, sizeof text);
			print_header(differences, header, out);
			fprintf(out, "%c %s(%s)\n", in_b ? '+' : '-', name, text);
		}
	}
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
		if (!name)
			continue;
		diff_values(a, b, a_base, b_base, nr, header, &differences, out);
		if (fa == fb)
			continue;
		if (a_base && fa == policy_form(a_base, nr) && fb == policy_form(b_base, nr))
			continue;
		print_header(&differences, header, out);
		if (fa == POLICY_REFUSED || fb == POLICY_REFUSED) {
			enum policy_form f = fa == POLICY_REFUSED ? fb : fa;
			const char *text = form_text(name, f);
			fprintf(out, "%c %s%s%s%s\n", fa == POLICY_REFUSED ? '+' : '-', name,
				*text ? " (" : "", text, *text ? ")" : "");
		} else {
			fprintf(out, "~ %s: %s -> %s\n", name, form_text(name, fa),
				form_text(name, fb));
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
			differences += diff_part(policy_set_for(a, name), policy_set_for(b, name),
						 a_base, b_base, header, out);
		}
	}
	return differences;
}
