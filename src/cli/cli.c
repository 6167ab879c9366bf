#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>

void cli_error(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "cibox: %s\n", line);
}

int cli_status_for(const cibox_error *err, enum cli_stage stage)
{
	switch (-err->code) {
	case EOPNOTSUPP:
	case ENOSYS:
	case EPERM: return CLI_ENVIRONMENT;
	case EINTR: return CLI_INTERRUPTED;
	case ENOMEM:
	case EIO: return CLI_FAILED;
	}
	switch (stage) {
	case CLI_CHECKING: return CLI_USAGE;
	case CLI_STARTING: return err->code == -ENOENT ? CLI_NOT_FOUND : CLI_CANNOT_RUN;
	default: return CLI_FAILED;
	}
}

int cli_status_of_wait(int wait_status)
{
	return WIFSIGNALED(wait_status) ? 128 + WTERMSIG(wait_status) : WEXITSTATUS(wait_status);
}

int cli_status_of_run(enum run_status status)
{
	switch (status) {
	case RUN_PASSED: return CLI_OK;
	case RUN_FAILED: return CLI_FAILED;
	default: return CLI_INTERRUPTED;
	}
}

__attribute__((format(printf, 2, 3))) static int say(struct cli_options *o, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (o->command)
		cli_error("%s: %s", o->command, line);
	else
		cli_error("%s", line);
	o->status = CLI_USAGE;
	return CLI_OPTIONS_STOP;
}

static int unknown(struct cli_options *o, const char *given)
{
	return say(o, "unknown option '%s' (see cibox%s%s --help)", given, o->command ? " " : "",
		   o->command ? o->command : "");
}

/* getopt_long names a bad option by its character, or by 0 for a long
 * option it does not know; `given` is the argument it was reading, unless
 * that was a cluster of short options. */
static int bad_option(struct cli_options *o, int c, const char *given)
{
	bool is_long = strncmp(given, "--", 2) == 0;
	size_t len = strcspn(given + (is_long ? 2 : 0), "=");
	if (c == ':' && is_long)
		return say(o, "%s needs a value", given);
	if (c == ':')
		return say(o, "-%c needs a value", optopt);
	if (!optopt)
		return unknown(o, given);
	char name[8];
	for (const struct option *l = o->longopts; is_long && l->name; l++)
		if (l->val == optopt && l->has_arg == no_argument && strlen(l->name) == len &&
		    strncmp(l->name, given + 2, len) == 0 && given[2 + len] == '=')
			return say(o, "--%s takes no value", l->name);
	snprintf(name, sizeof name, "-%c", optopt);
	return unknown(o, name);
}

int cli_next_option(struct cli_options *o, int argc, char **argv)
{
	char shortopts[64];
	bool in_order = o->shortopts[0] == '+';
	/* A leading ':' tells a missing value from an unknown option. */
	snprintf(shortopts, sizeof shortopts, "%s:%s", in_order ? "+" : "", o->shortopts + in_order);
	if (!o->started) {
		optind = 0; /* a fresh scan: cibox lint hands its arguments to cibox run */
		opterr = 0;
		o->started = true;
	}
	int index = -1;
	int c = getopt_long(argc, argv, shortopts, o->longopts, &index);
	o->value = optarg;
	if (c == -1) {
		o->next = optind;
		o->dashdash = optind > 1 && strcmp(argv[optind - 1], "--") == 0;
		return CLI_OPTIONS_END;
	}
	if (c == '?' || c == ':')
		return bad_option(o, c, argv[optind - 1]);
	/* Where the option was: before its value when that is the next argument. */
	const char *given =
		optarg && optarg == argv[optind - 1] ? argv[optind - 2] : argv[optind - 1];
	if (index >= 0) {
		size_t len = strlen(o->longopts[index].name);
		if (strncmp(given + 2, o->longopts[index].name, len) != 0 ||
		    (given[2 + len] != '\0' && given[2 + len] != '='))
			return unknown(o, given);
	}
	if (c == 'h') {
		o->usage(stdout);
		o->status = CLI_OK;
		return CLI_OPTIONS_STOP;
	}
	/* "--" right after an option ends the options rather than being its value. */
	if (optarg && (!*optarg || strcmp(optarg, "--") == 0))
		return index >= 0 ? say(o, "--%s needs a value", o->longopts[index].name)
				  : say(o, "-%c needs a value", c);
	return c;
}

bool cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	return false;
}
