#include "sandbox/trace.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/policy.h"
#include "sandbox/syscall_table.h"

#define PROGRAMS_SHOWN 4
#define NAME_MAX_LEN 64

struct usage {
	uint64_t calls;
	bool outside_safe_form; /* a call did not fit cibox's restriction */
	char programs[PROGRAMS_SHOWN][NAME_MAX_LEN];
	unsigned program_count; /* may exceed PROGRAMS_SHOWN */
	char threads[PROGRAMS_SHOWN][NAME_MAX_LEN];
	unsigned thread_count;
};

/* The calls of the threads of one name, for per-thread sections. */
struct thread_usage {
	char name[NAME_MAX_LEN];
	uint32_t calls[SCTAB_NR_LIMIT];
};

struct trace {
	char *base;
	struct usage used[SCTAB_NR_LIMIT];
	struct thread_usage *threads;
	size_t thread_count;
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
	if (t) {
		free(t->base);
		free(t->threads);
	}
	free(t);
}

static struct thread_usage *thread_usage(trace *t, const char *name)
{
	for (size_t i = 0; i < t->thread_count; i++)
		if (strcmp(t->threads[i].name, name) == 0)
			return &t->threads[i];
	struct thread_usage *grown = realloc(t->threads, (t->thread_count + 1) * sizeof *grown);
	if (!grown)
		return NULL;
	t->threads = grown;
	struct thread_usage *u = &t->threads[t->thread_count++];
	memset(u, 0, sizeof *u);
	snprintf(u->name, sizeof u->name, "%s", name);
	return u;
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

int trace_observe(trace *t, int nr, const uint64_t args[6], const char *thread,
		  const char *program)
{
	if (nr < 0 || nr >= SCTAB_NR_LIMIT)
		return -EINVAL;
	struct usage *u = &t->used[nr];
	u->calls++;
	if (!policy_fits_restriction(nr, args))
		u->outside_safe_form = true;
	remember(u->programs, &u->program_count, program);
	remember(u->threads, &u->thread_count, thread);
	struct thread_usage *per_thread = thread_usage(t, thread);
	if (!per_thread)
		return -ENOMEM;
	per_thread->calls[nr]++;
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

static void write_header(const trace *t, const char *command, FILE *out)
{
	fprintf(out, "# Learned by cibox trace from: ");
	for (const char *c = command; *c; c++) /* one comment line, whatever the command */
		fputc((unsigned char)*c < ' ' ? ' ' : *c, out);
	fprintf(out, "\n# Each entry says how often it was called and by which programs.\n");
	fprintf(out, "%s # what every program needs, allowed without asking\n", t->base);
}

/* A call's entry: the name, with (*) where cibox restricts arguments and a
 * call did not fit the restriction. */
static void write_entry(FILE *out, int nr, const struct usage *u, uint32_t calls)
{
	const char *name = sctab_name(nr);
	bool any = sctab_restriction_find(name) && u->outside_safe_form;
	fprintf(out, "%s%s # ", name, any ? "(*)" : "");
	struct usage shown = *u;
	if (calls)
		shown.calls = calls;
	write_usage(out, &shown);
	fprintf(out, "\n");
}

static int write_per_thread(const trace *t, FILE *out)
{
	/* What every traced thread called is for all; the rest goes in sections. */
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++) {
		bool everyone = t->thread_count > 0 && sctab_name(nr);
		for (size_t i = 0; everyone && i < t->thread_count; i++)
			everyone = t->threads[i].calls[nr] > 0;
		if (everyone)
			write_entry(out, nr, &t->used[nr], 0);
	}
	for (size_t i = 0; i < t->thread_count; i++) {
		const struct thread_usage *th = &t->threads[i];
		fprintf(out, "\n[%.15s]\n", th->name);
		for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++) {
			bool everyone = true;
			for (size_t j = 0; everyone && j < t->thread_count; j++)
				everyone = t->threads[j].calls[nr] > 0;
			if (th->calls[nr] && !everyone && sctab_name(nr))
				write_entry(out, nr, &t->used[nr], th->calls[nr]);
		}
	}
	return ferror(out) ? -EIO : 0;
}

int trace_write_policy(const trace *t, const char *command, bool per_thread, FILE *out)
{
	write_header(t, command, out);
	if (per_thread)
		return write_per_thread(t, out);

	cibox_policy *base = cibox_policy_new();
	cibox_policy *covered = cibox_policy_new();
	if (!base || !covered || cibox_policy_add_list(base, t->base, NULL) < 0 ||
	    cibox_policy_add_list(covered, t->base, NULL) < 0) {
		cibox_policy_free(base);
		cibox_policy_free(covered);
		return -ENOMEM;
	}
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
		/* A restricted form the base or a group allows is not enough for a
		 * call outside it: the trace saw that call because the kernel asked. */
		if (cibox_policy_allows(covered, nr) &&
		    !(u->outside_safe_form && policy_form(covered, nr) != POLICY_ANY))
			continue;
		write_entry(out, nr, u, 0);
	}
	cibox_policy_free(base);
	cibox_policy_free(covered);
	return ferror(out) ? -EIO : 0;
}
