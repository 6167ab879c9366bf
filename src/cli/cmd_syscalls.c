#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "sandbox/policy.h"
#include "sandbox/syscall_table.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cibox syscalls [@GROUP | NAME | --all]\n\n"
		"Without an argument, lists the groups. With @GROUP, its syscalls; with NAME, one\n"
		"syscall; with --all, every syscall this architecture has. Numbers are native.\n");
}

static void print_groups_of(const char *name)
{
	size_t count;
	const struct sctab_group *groups = sctab_groups(&count);
	const char *sep = "";
	for (size_t g = 0; g < count; g++)
		for (const char *const *e = groups[g].entries; *e; e++)
			if (strncmp(*e, name, strlen(name)) == 0 &&
			    ((*e)[strlen(name)] == '\0' || (*e)[strlen(name)] == '(')) {
				printf("%s%s", sep, groups[g].name);
				sep = ",";
				break;
			}
	if (!*sep)
		printf("-");
}

/* What a policy may list for the syscall by value, and the names it knows. */
static void print_values(const char *name)
{
	const struct sctab_argument *a = sctab_argument_find(name);
	if (!a)
		return;
	printf("%30s values: %s(V, ...) allows only the listed %s values (argument %u)%s;\n"
	       "%30s V is a number or one of:",
	       "", name, a->what, a->arg + 1, a->flags ? ", names joined by |" : "", "");
	int column = 80;
	for (size_t i = 0; i < a->symbol_count; i++) {
		int width = (int)strlen(a->symbols[i].name) + 2;
		if (i > 0)
			printf(",");
		if (column + width > 80) {
			printf("\n%31s", "");
			column = 31;
		} else if (i > 0) {
			printf(" ");
		}
		printf("%s", a->symbols[i].name);
		column += width;
	}
	printf("\n");
}

static void print_syscall(const char *entry, bool show_groups, bool detail)
{
	char name[64];
	size_t len = strcspn(entry, "(");
	snprintf(name, sizeof name, "%.*s", (int)len, entry);
	int nr = sctab_resolve(name);
	if (nr < 0)
		return;
	const struct sctab_restriction *r = sctab_restriction_find(name);
	bool any = entry[len] == '(';
	printf("%4d  %-24s", nr, name);
	if (show_groups) {
		print_groups_of(name);
		printf("  ");
	}
	if (r && !any)
		printf("only: %s", r->summary);
	printf("\n");
	if (!detail)
		return;
	const struct sctab_quiet *q = sctab_quiet_find(name);
	if (q)
		printf("%30s when refused, %s answers %s (%s)\n", "", q->call,
		       strerrorname_np(q->error), q->why);
	print_values(name);
}

enum { ALL = 256 };

static const struct option longopts[] = { CLI_OPTION_HELP, { "all", no_argument, NULL, ALL }, { 0 } };

int cmd_syscalls(int argc, char **argv)
{
	struct cli_options o = {
		.command = "syscalls", .shortopts = "h", .longopts = longopts, .usage = usage
	};
	bool all = false;
	int c;
	while ((c = cli_next_option(&o, argc, argv)) == ALL)
		all = true;
	if (c == CLI_OPTIONS_STOP)
		return o.status;
	if (argc - o.next + all > 1) {
		cli_error("syscalls: one argument at most (see cibox syscalls --help)");
		return CLI_USAGE;
	}
	size_t count;
	const struct sctab_group *groups = sctab_groups(&count);
	if (!all && o.next == argc) {
		for (size_t g = 0; g < count; g++) {
			cibox_policy *p = cibox_policy_new();
			cibox_policy_add(p, groups[g].name, NULL);
			printf("%-14s %3zu  %s\n", groups[g].name, cibox_policy_count(p),
			       groups[g].summary);
			cibox_policy_free(p);
		}
		printf("\nSyscalls outside every group (ptrace, bpf, mount, io_uring_setup, ...) must be\n"
		       "named one by one; `cibox syscalls --all` lists them all.\n");
		return CLI_OK;
	}
	if (all) {
		for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++)
			if (sctab_name(nr))
				print_syscall(sctab_name(nr), true, false);
		return CLI_OK;
	}
	const char *what = argv[o.next];
	if (what[0] == '@') {
		const struct sctab_group *group = sctab_group_find(what);
		if (!group) {
			cli_error("syscalls: unknown group '%s'", what);
			return CLI_USAGE;
		}
		printf("# %s: %s\n", group->name, group->summary);
		for (const char *const *e = group->entries; *e; e++)
			print_syscall(*e, false, false);
		return CLI_OK;
	}
	if (sctab_resolve(what) < 0) {
		cli_error("syscalls: unknown syscall '%s'", what);
		return CLI_USAGE;
	}
	print_syscall(what, true, true);
	return CLI_OK;
}
