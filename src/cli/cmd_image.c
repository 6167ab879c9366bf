#include <errno.h>
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

static int build(int argc, char **argv)
{
	struct image_build_options o = { .suite = "bookworm" };
	for (int i = 2; i < argc; i++) {
		const char **slot = strcmp(argv[i], "--suite") == 0	? &o.suite
				    : strcmp(argv[i], "--mirror") == 0	? &o.mirror
				    : strcmp(argv[i], "--include") == 0 ? &o.include
									: NULL;
		if (slot && i + 1 < argc) {
			*slot = argv[++i];
		} else if (slot || argv[i][0] == '-') {
			cli_error("image: %s %s", argv[i], slot ? "needs a value" : "is not an option");
			return CLI_USAGE;
		} else if (!o.name) {
			o.name = argv[i];
		} else {
			cli_error("image: one image name, not '%s' too", argv[i]);
			return CLI_USAGE;
		}
	}
	if (!o.name) {
		cli_error("image: build needs a NAME");
		return CLI_USAGE;
	}
	cibox_error err;
	if (image_build(&o, &err) < 0) {
		cli_error("image: %s", err.message);
		return err.code == -EIO ? CLI_FAILED : cli_status_for(&err);
	}
	char path[4096];
	image_path(o.name, path, sizeof path, &err);
	printf("image %s: %s\n", o.name, path);
	return CLI_OK;
}

int cmd_image(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return CLI_OK;
	}
	cibox_error err;
	const char *verb = argc > 1 ? argv[1] : "";
	if (strcmp(verb, "build") == 0)
		return build(argc, argv);
	if (strcmp(verb, "ls") == 0 && argc == 2) {
		unsigned count = 0;
		if (image_list(print_image, &count, &err) < 0) {
			cli_error("image: %s", err.message);
			return cli_status_for(&err);
		}
		/* An empty listing would leave the user wondering whether it worked. */
		if (!count) {
			char dir[PATH_MAX];
			printf("no images in %s: cibox image build NAME makes one\n",
			       xdg_path(XDG_DATA, "images", dir, sizeof dir) < 0 ? "$XDG_DATA_HOME/cibox/images" : dir);
		}
		return CLI_OK;
	}
	if (strcmp(verb, "rm") == 0 && argc == 3) {
		if (image_remove(argv[2], &err) < 0) {
			cli_error("image: %s", err.message);
			return cli_status_for(&err);
		}
		return CLI_OK;
	}
	cli_error("image: expected build NAME, ls or rm NAME (see cibox image --help)");
	return CLI_USAGE;
}
