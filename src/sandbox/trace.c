#include "sandbox/trace.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/policy.h"
#include "sandbox/syscall_table.h"

#define PROGRAMS_SHOWN 4
#define NAME_MAX_LEN 64

struct usage {
	uint64_t calls;
	char programs[PROGRAMS_SHOWN][NAME_MAX_LEN];
	unsigned program_count; /* may exceed PROGRAMS_SHOWN */
	char threads[PROGRAMS_SHOWN][NAME_MAX_LEN];
	unsigned thread_count;
};

struct trace {
	char *base;
	struct usage used[SCTAB_NR_LIMIT];
};

trace *trace_new(const char *base)
{
	trace *t = calloc(1, sizeof *t);
	if (t && !(t->base = strdup(base))) {
		free(t);
		t = NULL;
	}
	return t;
}

void trace_free(trace *t)
{
	if (t)
		free(t->base);
	free(t);
}

static void remember(char names[][NAME_MAX_LEN], unsigned *count, const char *name)
{
	unsigned shown = *count < PROGRAMS_SHOWN ? *count : PROGRAMS_SHOWN;
	for (unsigned i = 0; i < shown; i++)
		if (strcmp(names[i], name) == 0)
			return;
	if (*count < PROGRAMS_SHOWN)
		snprintf(names[*count], NAME_MAX_LEN, "%s", name);
	(*count)++;
}

int trace_observe(trace *t, int nr, const char *thread, const char *program)
{
	if (nr < 0 || nr >= SCTAB_NR_LIMIT)
		return -EINVAL;
	struct usage *u = &t->used[nr];
	u->calls++;
	remember(u->programs, &u->program_count, program);
	remember(u->threads, &u->thread_count, thread);
	return 0;
}

static void write_names(FILE *out, char names[][NAME_MAX_LEN], unsigned count)
{
	unsigned shown = count < PROGRAMS_SHOWN ? count : PROGRAMS_SHOWN;
	for (unsigned i = 0; i < shown; i++)
		fprintf(out, "%s%s", i ? ", " : "", names[i]);
	if (count > shown)
		fprintf(out, " and %u more", count - shown);
}

static void write_usage(FILE *out, const struct usage *u)
{
	fprintf(out, "%llu call%s by ", (unsigned long long)u->calls, u->calls == 1 ? "" : "s");
	write_names(out, (char(*)[NAME_MAX_LEN])u->programs, u->program_count);
}

/* A group is worth naming when every member this architecture has was used
 * or was in the base anyway. */
static bool group_fully_used(const trace *t, const cibox_policy *base, const char *group,
			     uint64_t *calls)
{
	cibox_policy *members = cibox_policy_new();
	bool full = members && cibox_policy_add(members, group, NULL) == 0;
	bool any_used = false;
	*calls = 0;
	for (int nr = 0; full && nr < SCTAB_NR_LIMIT; nr++) {
		if (!cibox_policy_allows(members, nr) || cibox_policy_allows(base, nr))
			continue;
		if (!t->used[nr].calls)
			full = false;
		any_used = true;
		*calls += t->used[nr].calls;
	}
	cibox_policy_free(members);
	return full && any_used;
}

int trace_write_policy(const trace *t, const char *command, FILE *out)
{
	cibox_policy *base = cibox_policy_new();
	cibox_policy *covered = cibox_policy_new();
	if (!base || !covered || cibox_policy_add_list(base, t->base, NULL) < 0 ||
	    cibox_policy_add_list(covered, t->base, NULL) < 0) {
		cibox_policy_free(base);
		cibox_policy_free(covered);
		return -ENOMEM;
	}
	fprintf(out, "# Learned by cibox trace from: ");
	for (const char *c = command; *c; c++) /* one comment line, whatever the command */
		fputc((unsigned char)*c < ' ' ? ' ' : *c, out);
	fprintf(out, "\n");
	fprintf(out, "# Each entry says how often it was called and by which programs.\n");
	fprintf(out, "%s # what every program needs, allowed without asking\n", t->base);

	size_t group_count;
	const struct sctab_group *groups = sctab_groups(&group_count);
	for (size_t g = 0; g < group_count; g++) {
		uint64_t calls;
		if (strcmp(groups[g].name, t->base) == 0 ||
		    !group_fully_used(t, base, groups[g].name, &calls))
			continue;
		fprintf(out, "%s # every member used, %llu calls\n", groups[g].name,
			(unsigned long long)calls);
		cibox_policy_add(covered, groups[g].name, NULL);
	}
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++) {
		const struct usage *u = &t->used[nr];
		const char *name = sctab_name(nr);
		if (!u->calls || !name)
			continue;
		/* A restricted form the base or a group allows may not be the form
		 * that was called: the trace saw it because the kernel asked. */
		bool restricted = sctab_restriction_find(name) != NULL;
		if (!restricted && cibox_policy_allows(covered, nr))
			continue;
		fprintf(out, "%s%s # ", name, restricted ? "(*)" : "");
		write_usage(out, u);
		fprintf(out, "\n");
	}
	cibox_policy_free(base);
	cibox_policy_free(covered);
	return ferror(out) ? -EIO : 0;
}
