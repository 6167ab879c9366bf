#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "jail/image.h"
#include "util/xdg.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cibox image build NAME [--suite SUITE] [--mirror URL] [--include PKG,...]\n"
		"       cibox image ls\n"
		"       cibox image rm NAME\n\n"
		"Root filesystems for the jail (CI_IMAGE=NAME, cibox sandbox --isolate --rootfs NAME),\n"
		"built from Debian's archive with debootstrap (as root) and kept under\n"
		"$XDG_DATA_HOME/cibox/images. SUITE defaults to bookworm; the mirror to this machine's.\n");
}

static void print_image(const char *name, uint64_t bytes, void *context)
{
	++*(unsigned *)context;
	printf("%-24s %8.1f MiB\n", name, (double)bytes / (1024.0 * 1024.0));
}

/* `names`: the operands after the verb "build". */
static int build(const struct image_build_options *given, int count, char **names)
{
	struct image_build_options o = *given;
	if (count > 1) {
		cli_error("image: one image name, not '%s' too", names[1]);
		return CLI_USAGE;
	}
	if (count < 1) {
		cli_error("image: build needs a NAME");
		return CLI_USAGE;
	}
	o.name = names[0];
	cibox_error err;
	if (image_build(&o, &err) < 0) {
		cli_error("image: %s", err.message);
		return cli_status_for(&err, CLI_CHECKING);
	}
	char path[4096];
	image_path(o.name, path, sizeof path, &err);
	printf("image %s: %s\n", o.name, path);
	return CLI_OK;
}

enum { SUITE = 256, MIRROR, INCLUDE };

static const struct option longopts[] = {
	CLI_OPTION_HELP,
	{ "suite", required_argument, NULL, SUITE },
	{ "mirror", required_argument, NULL, MIRROR },
	{ "include", required_argument, NULL, INCLUDE },
	{ 0 },
};

int cmd_image(int argc, char **argv)
{
	struct image_build_options build_options = { .suite = "bookworm" };
	bool build_only = false;
	struct cli_options o = {
		.command = "image", .shortopts = "h", .longopts = longopts, .usage = usage
	};
	int c;
	while ((c = cli_next_option(&o, argc, argv)) >= 0) {
		build_only = true;
		switch (c) {
		case SUITE: build_options.suite = o.value; break;
		case MIRROR: build_options.mirror = o.value; break;
		default: build_options.include = o.value;
		}
	}
	if (c == CLI_OPTIONS_STOP)
		return o.status;
	cibox_error err;
	int operands = argc - o.next;
	const char *verb = operands > 0 ? argv[o.next] : "";
	if (strcmp(verb, "build") == 0)
		return build(&build_options, operands - 1, argv + o.next + 1);
	if (build_only) {
		cli_error("image: --suite, --mirror and --include are for build");
		return CLI_USAGE;
	}
	if (strcmp(verb, "ls") == 0 && operands == 1) {
		unsigned count = 0;
		if (image_list(print_image, &count, &err) < 0) {
			cli_error("image: %s", err.message);
			return cli_status_for(&err, CLI_CHECKING);
		}
		/* An empty listing would leave the user wondering whether it worked. */
		if (!count) {
			char dir[PATH_MAX];
			printf("no images in %s: cibox image build NAME makes one\n",
			       xdg_path(XDG_DATA, "images", dir, sizeof dir) < 0
				       ? "$XDG_DATA_HOME/cibox/images"
				       : dir);
		}
		return CLI_OK;
	}
	if (strcmp(verb, "rm") == 0 && operands == 2) {
		if (image_remove(argv[o.next + 1], &err) < 0) {
			cli_error("image: %s", err.message);
			return cli_status_for(&err, CLI_CHECKING);
		}
		return CLI_OK;
	}
	cli_error("image: expected build NAME, ls or rm NAME (see cibox image --help)");
	return CLI_USAGE;
}
