#include "sandbox/trace.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/arg_value.h"
#include "sandbox/policy.h"
#include "sandbox/policy_set.h"
#include "sandbox/syscall_table.h"

#define PROGRAMS_SHOWN 4
#define NAME_MAX_LEN 64

struct usage {
	uint64_t calls;
	bool outside_safe_form; /* a call did not fit cibox's restriction */
	char programs[PROGRAMS_SHOWN][NAME_MAX_LEN];
	unsigned program_count; /* distinct names; may exceed PROGRAMS_SHOWN */
	char threads[PROGRAMS_SHOWN][NAME_MAX_LEN];
	unsigned thread_count;
	/* The names past the shown ones, by hash: enough to count them apart
	 * ("and 7 more" programs, not 7 more calls) without keeping them. */
	uint64_t *more_programs, *more_threads;
};

/* One argument value of one syscall, with --args. */
struct value_usage {
	int nr;
	uint32_t value;
	struct usage u;
};

/* How often threads of one name called one recorded value. */
struct thread_value {
	size_t index; /* in trace.values */
	uint32_t calls;
};

/* The calls of the threads of one name, for per-thread sections. */
struct thread_usage {
	char name[NAME_MAX_LEN];
	uint32_t calls[SCTAB_NR_LIMIT];
	struct thread_value *values;
	size_t value_count;
};

struct trace {
	char *base;
	char *kernel; /* the base, less the syscalls whose values are recorded */
	bool record_args;
	struct usage used[SCTAB_NR_LIMIT];
	struct thread_usage *threads;
	size_t thread_count;
	struct value_usage *values;
	size_t value_count;
};

static void usage_free(struct usage *u)
{
	free(u->more_programs);
	free(u->more_threads);
}

trace *trace_new(const char *base, bool record_args)
{
	trace *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->record_args = record_args;
	size_t count;
	const struct sctab_argument *args = sctab_arguments(&count);
	size_t len = strlen(base) + 1;
	for (size_t i = 0; record_args && i < count; i++)
		len += strlen(args[i].syscall) + 2;
	t->base = strdup(base);
	t->kernel = malloc(len);
	if (!t->base || !t->kernel) {
		trace_free(t);
		return NULL;
	}
	strcpy(t->kernel, base);
	for (size_t i = 0; record_args && i < count; i++)
		strcat(strcat(t->kernel, ",-"), args[i].syscall);
	return t;
}

void trace_free(trace *t)
{
	if (t) {
		free(t->base);
		free(t->kernel);
		for (size_t i = 0; i < t->thread_count; i++)
			free(t->threads[i].values);
		free(t->threads);
		for (size_t i = 0; i < SCTAB_NR_LIMIT; i++)
			usage_free(&t->used[i]);
		for (size_t i = 0; i < t->value_count; i++)
			usage_free(&t->values[i].u);
		free(t->values);
	}
	free(t);
}

const char *trace_kernel_policy(const trace *t)
{
	return t->kernel;
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

static uint64_t name_hash(const char *name)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */
	/* As far as names are kept: a longer name is the same program. */
	for (size_t i = 0; i < NAME_MAX_LEN - 1 && name[i]; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ULL;
	return h;
}

/* Counts name once, however often it comes; -ENOMEM if out of memory. */
static int remember(char names[][NAME_MAX_LEN], unsigned *count, uint64_t **more, const char *name)
{
	unsigned shown = *count < PROGRAMS_SHOWN ? *count : PROGRAMS_SHOWN;
	/* cppcheck-suppress knownConditionTrueFalse ; it takes the count for 0: it grows */
	for (unsigned i = 0; i < shown; i++)
		if (strncmp(names[i], name, NAME_MAX_LEN - 1) == 0)
			return 0;
	if (*count < PROGRAMS_SHOWN) {
		snprintf(names[(*count)++], NAME_MAX_LEN, "%s", name);
		return 0;
	}
	uint64_t h = name_hash(name);
	unsigned others = *count - PROGRAMS_SHOWN;
	for (unsigned i = 0; i < others; i++)
		if ((*more)[i] == h)
			return 0;
	uint64_t *grown = realloc(*more, (others + 1) * sizeof *grown);
	if (!grown)
		return -ENOMEM;
	grown[others] = h;
	*more = grown;
	(*count)++;
	return 0;
}

/* The index of the record of (nr, value), made on first sight; -1 if out of memory. */
static ssize_t value_usage(trace *t, int nr, uint32_t value)
{
	for (size_t i = 0; i < t->value_count; i++)
		if (t->values[i].nr == nr && t->values[i].value == value)
			return (ssize_t)i;
	struct value_usage *grown = realloc(t->values, (t->value_count + 1) * sizeof *grown);
	if (!grown)
		return -1;
	t->values = grown;
	memset(&grown[t->value_count], 0, sizeof *grown);
	grown[t->value_count].nr = nr;
	grown[t->value_count].value = value;
	return (ssize_t)t->value_count++;
}

static int count_thread_value(struct thread_usage *th, size_t index)
{
	for (size_t i = 0; i < th->value_count; i++)
		if (th->values[i].index == index) {
			th->values[i].calls++;
			return 0;
		}
	struct thread_value *grown = realloc(th->values, (th->value_count + 1) * sizeof *grown);
	if (!grown)
		return -ENOMEM;
	th->values = grown;
	th->values[th->value_count++] = (struct thread_value){ index, 1 };
	return 0;
}

/* The argument table's entry for nr when its values are recorded. */
static const struct sctab_argument *recorded(const trace *t, int nr)
{
	const char *name = sctab_name(nr);
	return t->record_args && name ? sctab_argument_find(name) : NULL;
}

int trace_observe(trace *t, int nr, const uint64_t args[6], const char *thread, const char *program)
{
	if (nr < 0 || nr >= SCTAB_NR_LIMIT)
		return -EINVAL;
	struct usage *u = &t->used[nr];
	u->calls++;
	if (!policy_fits_restriction(nr, args))
		u->outside_safe_form = true;
	if (remember(u->programs, &u->program_count, &u->more_programs, program) < 0 ||
	    remember(u->threads, &u->thread_count, &u->more_threads, thread) < 0)
		return -ENOMEM;
	struct thread_usage *per_thread = thread_usage(t, thread);
	if (!per_thread)
		return -ENOMEM;
	per_thread->calls[nr]++;
	const struct sctab_argument *a = recorded(t, nr);
	if (!a)
		return 0;
	/* The kernel reads the low 32 bits, and so does the policy. */
	ssize_t index = value_usage(t, nr, (uint32_t)args[a->arg]);
	if (index < 0)
		return -ENOMEM;
	struct usage *v = &t->values[index].u;
	v->calls++;
	if (remember(v->programs, &v->program_count, &v->more_programs, program) < 0 ||
	    remember(v->threads, &v->thread_count, &v->more_threads, thread) < 0)
		return -ENOMEM;
	return count_thread_value(per_thread, (size_t)index);
}

/* Text the traced programs chose (their file and thread names) inside a
 * comment: a newline there would end the comment and start an entry. */
static void write_comment_text(FILE *out, const char *text, char instead)
{
	for (const unsigned char *c = (const unsigned char *)text; *c; c++)
		fputc(*c < ' ' || *c == 0x7f ? instead : *c, out);
}

static void write_names(FILE *out, char names[][NAME_MAX_LEN], unsigned count)
{
	unsigned shown = count < PROGRAMS_SHOWN ? count : PROGRAMS_SHOWN;
	/* cppcheck-suppress knownConditionTrueFalse ; as in remember() */
	for (unsigned i = 0; i < shown; i++) {
		fputs(i ? ", " : "", out);
		write_comment_text(out, names[i], '?');
	}
	/* cppcheck-suppress knownConditionTrueFalse ; as above */
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
	write_comment_text(out, command, ' '); /* a script's lines on one line */
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

static uint32_t thread_value_calls(const struct thread_usage *th, size_t index)
{
	/* cppcheck-suppress ctunullpointer ; called with a thread, for VALUES_THREAD only */
	for (size_t i = 0; i < th->value_count; i++)
		if (th->values[i].index == index)
			return th->values[i].calls;
	return 0;
}

static bool every_thread_called_value(const trace *t, size_t index)
{
	for (size_t i = 0; i < t->thread_count; i++)
		if (!thread_value_calls(&t->threads[i], index))
			return false;
	return t->thread_count > 0;
}

/* The recorded values of nr, by value, as indexes into t->values. */
static size_t values_of(const trace *t, int nr, size_t *out)
{
	size_t n = 0;
	for (size_t i = 0; i < t->value_count; i++) {
		if (t->values[i].nr != nr)
			continue;
		size_t at = n++;
		while (at > 0 && t->values[out[at - 1]].value > t->values[i].value) {
			out[at] = out[at - 1];
			at--;
		}
		out[at] = i;
	}
	return n;
}

static void write_value_entry(FILE *out, const struct sctab_argument *a,
			      const struct value_usage *v, uint32_t calls)
{
	char text[ARGVAL_TEXT_MAX];
	argval_format(a, v->value, text, sizeof text);
	fprintf(out, "%s(%s) # ", a->syscall, text);
	struct usage shown = v->u;
	if (calls)
		shown.calls = calls;
	write_usage(out, &shown);
	if (!policy_value_fits_restriction(v->nr, v->value))
		fprintf(out, "; beyond cibox's safe form");
	fprintf(out, "\n");
}

enum values_part {
	VALUES_ALL,    /* every value: a policy without sections */
	VALUES_COMMON, /* what every thread called: the part before the sections */
	VALUES_THREAD, /* the rest of what one thread called: its section */
};

/*
 * The recorded values of every syscall with values. The part without
 * sections first takes out what `covered` (the base and the groups written)
 * allows of these syscalls, so that only the values seen remain. A syscall
 * with more values than a policy lists falls back to any arguments.
 */
static int write_values(const trace *t, const cibox_policy *covered, enum values_part part,
			const struct thread_usage *thread, FILE *out)
{
	size_t count;
	const struct sctab_argument *args = sctab_arguments(&count);
	size_t *order = malloc((t->value_count + 1) * sizeof *order);
	if (!order)
		return -ENOMEM;
	for (size_t a = 0; a < count; a++) {
		int nr = sctab_resolve(args[a].syscall);
		if (nr < 0)
			continue;
		size_t n = values_of(t, nr, order);
		if (part != VALUES_THREAD && cibox_policy_allows(covered, nr))
			fprintf(out, "-%s # %s\n", args[a].syscall,
				n ? "only the values below, traced with --args"
				  : "never called, traced with --args");
		if (n > POLICY_VALUES_MAX) {
			if (part != VALUES_THREAD) {
				fprintf(out, "%s(*) # %zu values, more than a policy lists; ",
					args[a].syscall, n);
				write_usage(out, &t->used[nr]);
				fprintf(out, "\n");
			}
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			const struct value_usage *v = &t->values[order[i]];
			bool everyone = every_thread_called_value(t, order[i]);
			uint32_t calls =
				part == VALUES_THREAD ? thread_value_calls(thread, order[i]) : 0;
			if (part == VALUES_ALL || (part == VALUES_COMMON && everyone) ||
			    (part == VALUES_THREAD && calls && !everyone))
				write_value_entry(out, &args[a], v, calls);
		}
	}
	free(order);
	return 0;
}

static int write_per_thread(const trace *t, FILE *out)
{
	/* What every traced thread called is for all; the rest goes in sections. */
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++) {
		bool everyone = t->thread_count > 0 && sctab_name(nr) && !recorded(t, nr);
		for (size_t i = 0; everyone && i < t->thread_count; i++)
			everyone = t->threads[i].calls[nr] > 0;
		if (everyone)
			write_entry(out, nr, &t->used[nr], 0);
	}
	cibox_policy *base = cibox_policy_new();
	int rc = base && cibox_policy_add_list(base, t->base, NULL) == 0 ? 0 : -ENOMEM;
	if (rc == 0 && t->record_args)
		rc = write_values(t, base, VALUES_COMMON, NULL, out);
	cibox_policy_free(base);
	for (size_t i = 0; i < t->thread_count && rc == 0; i++) {
		const struct thread_usage *th = &t->threads[i];
		fprintf(out, "\n[%.15s]\n", th->name);
		for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++) {
			bool everyone = true;
			for (size_t j = 0; everyone && j < t->thread_count; j++)
				everyone = t->threads[j].calls[nr] > 0;
			if (th->calls[nr] && !everyone && sctab_name(nr) && !recorded(t, nr))
				write_entry(out, nr, &t->used[nr], th->calls[nr]);
		}
		if (t->record_args)
			rc = write_values(t, NULL, VALUES_THREAD, th, out);
	}
	return rc < 0 ? rc : ferror(out) ? -EIO : 0;
}

int trace_write_policy(const trace *t, const char *command, bool per_thread, FILE *out)
{
	write_header(t, command, out);
	for (size_t i = 0; per_thread && i < t->thread_count; i++)
		if (!policy_set_can_name(t->threads[i].name)) {
			fprintf(out, "# No sections: thread '");
			write_comment_text(out, t->threads[i].name, '?');
			fprintf(out, "' has a name a section cannot hold.\n");
			per_thread = false;
		}
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
		if (!u->calls || !name || recorded(t, nr))
			continue;
		/* A restricted form the base or a group allows is not enough for a
		 * call outside it: the trace saw that call because the kernel asked.
		 * Nor are the values a group lists (@sanitizer's clone), which
		 * calls of the safe form need not be. */
		enum policy_form form = policy_form(covered, nr);
		if (form == POLICY_ANY || (form == POLICY_RESTRICTED && !u->outside_safe_form))
			continue;
		write_entry(out, nr, u, 0);
	}
	int rc = t->record_args ? write_values(t, covered, VALUES_ALL, NULL, out) : 0;
	cibox_policy_free(base);
	cibox_policy_free(covered);
	return rc < 0 ? rc : ferror(out) ? -EIO : 0;
}
