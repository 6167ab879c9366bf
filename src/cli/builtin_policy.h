/*
 * The policy `cibox sandbox` applies without --policy or --allow: everything a
 * build or test needs, no network. Beyond the groups: make's posix_spawn sets
 * the effective ids back to the real ones, and bash, started by anything but
 * another bash, asks with getpeername whether its standard input is a network
 * connection (a question about an open descriptor).
 *
 * Its filter programs are compiled when cibox is built (tools/
 * builtin_filters.c) and are part of the binary: no start pays for compiling
 * them, and no file a sandboxed command could rewrite stands in for them.
 */
#ifndef CIBOX_CLI_BUILTIN_POLICY_H
#define CIBOX_CLI_BUILTIN_POLICY_H

#include <stdbool.h>

#include "sandbox/filter.h"

#define BUILTIN_POLICY                                                                             \
	"@default,@file-read,@file-write,@process,@signal,@thread,@time,@ipc,@system-info,"        \
	"setresuid,setresgid,getpeername"

struct builtin_filter {
	enum cibox_mode mode;
	bool confine_signals;
	struct filter_program program;
};

/* What the build produced: none where it could not compile them (a build
 * machine without seccomp), and the programs are then compiled at start. */
extern const struct builtin_filter builtin_filters[];
extern const unsigned builtin_filter_count;

/* The built-in policy's program for these options, or NULL. */
const struct filter_program *builtin_filter_find(enum cibox_mode mode, bool confine_signals);

#endif
