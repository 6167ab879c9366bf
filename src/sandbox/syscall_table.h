/*
 * The data cibox adds to libseccomp: named groups of syscalls and the argument
 * restrictions that make a dangerous syscall safe to allow (clone without
 * namespace flags, socket for a few families, ...). Everything here is a
 * table; the code only looks things up. Syscall numbers always come from
 * libseccomp, so a group is written once, by name, for every architecture.
 */
#ifndef CIBOX_SANDBOX_SYSCALL_TABLE_H
#define CIBOX_SANDBOX_SYSCALL_TABLE_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Native syscall numbers at or above this are never named by libseccomp. */
#define SCTAB_NR_LIMIT 1024
#define SCTAB_MAX_ALTERNATIVES 24

/* One way the arguments may look: every condition holds (at most 2). */
struct sctab_alternative {
	unsigned count;
	struct scmp_arg_cmp cond[2];
};

/* A syscall that plain `name` allows only when one alternative matches. */
struct sctab_restriction {
	const char *syscall;
	const char *summary;
	unsigned count;
	struct sctab_alternative alt[SCTAB_MAX_ALTERNATIVES];
};

struct sctab_group {
	const char *name; /* with the '@' */
	const char *summary;
	const char *const *entries; /* policy entries, NULL-terminated */
};

/*
 * A call the C library makes only to probe for an optional service, and
 * falls back from when it fails. When a policy does not allow this call
 * (refuses its syscall, or lists values without its own), the filter answers
 * it with `error` instead of a violation, so that a policy without @network
 * can still look up a user name.
 */
struct sctab_quiet {
	const char *syscall;
	const char *call; /* the call as strace would show it */
	int error;
	struct sctab_alternative when;
	const char *why;
};

const struct sctab_quiet *sctab_quiet_find(const char *syscall);
const struct sctab_quiet *sctab_quiet_of(int nr); /* by native number */

/* A constant's name, for argument values in policies. */
struct sctab_symbol {
	const char *name;
	uint32_t value;
};

/*
 * A syscall whose restricted argument a policy may also list value by value:
 * `ioctl(TCGETS, FIONREAD)`, `clone(CLONE_VM|...|SIGCHLD)`. The kernel reads
 * each of these arguments as an int, so a value is 32 bits and is compared
 * with the low half of the register only. The restriction of the same
 * syscall reads no other argument, so whether a value fits cibox's safe form
 * is a question about the value alone.
 */
struct sctab_argument {
	const char *syscall;
	unsigned arg;         /* which argument, from 0 */
	const char *what;     /* what a value is, for messages: "request" */
	bool flags;           /* a value is names joined by '|' (clone's flags) */
	uint32_t number_bits; /* of flags, the bits that hold a number (clone's exit signal) */
	const struct sctab_symbol *symbols; /* one name per value */
	size_t symbol_count;
};

/* At most this many syscalls take argument values (a policy keeps room for each). */
#define SCTAB_ARGUMENT_MAX 8

const struct sctab_argument *sctab_arguments(size_t *count);
const struct sctab_argument *sctab_argument_find(const char *syscall);
const struct sctab_argument *sctab_argument_of(int nr); /* by native number */

/* A syscall no default group holds, and why: what `cibox policy check` warns of.
 * `form` is "" for the call itself or "(*)" for its unrestricted form. */
struct sctab_danger {
	const char *syscall;
	const char *form;
	const char *why;
};

const struct sctab_danger *sctab_dangers(size_t *count);

const struct sctab_group *sctab_groups(size_t *count);
const struct sctab_group *sctab_group_find(const char *name);
const struct sctab_restriction *sctab_restriction_find(const char *syscall);
const struct sctab_restriction *sctab_restriction_of(int nr); /* by native number */

/*
 * A call that signals another process, or has the kernel do so later (a
 * descriptor's owner), by native number, or NULL. Without a jail's pid
 * namespace, cibox's supervisor lets such a call reach only the command's
 * own processes. `count` 0: every call; otherwise the calls of these forms,
 * which lie beyond the syscall's restriction. `summary` says where the
 * supervisor lets it reach.
 */
const struct sctab_restriction *sctab_signal_call_of(int nr);

/* The native number of a syscall name, or -1 if this architecture lacks it. */
int sctab_resolve(const char *name);
/* The name of a native syscall number (static storage), or NULL. */
const char *sctab_name(int nr);
/* The highest native number of the calls of the latest kernels cibox
 * knows, as far as libseccomp names them. */
int sctab_newest_known(void);
/* Looks every name up now, so that sctab_name never allocates later (as in
 * a signal handler). */
void sctab_names_load(void);
/* A hash of the restriction, signal and quiet tables, which shape every compiled filter. */
uint64_t sctab_digest(void);

#endif
