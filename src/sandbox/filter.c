#include "sandbox/filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/policy.h"
#include "sandbox/runtime.h"
#include "sandbox/syscall_table.h"
#include "util/error.h"

/* Syscall numbers with this bit are x32's; libseccomp's program refuses them. */
#define X32_SYSCALL_BIT 0x40000000u
#define PREFIX_LEN 6
/* With notify_exec, after the prefix: the command's start (see filter_mark_start). */
#define START_LEN 6
#define START_LO (PREFIX_LEN + 2) /* the instructions that hold the marker's halves */
#define START_HI (PREFIX_LEN + 4)

static uint32_t arg_offset(int arg, bool high)
{
	bool first = (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__) != high;
	return (uint32_t)(offsetof(struct seccomp_data, args) + (size_t)arg * 8 + (first ? 0 : 4));
}

/* The arguments of the one call a quiet refusal answers (its conditions are
 * all equalities), to ask the policy whether it allows that call. */
static bool policy_allows_quiet_call(const cibox_policy *policy, int nr, const struct sctab_quiet *q)
{
	uint64_t args[6] = { 0 };
	for (unsigned c = 0; c < q->when.count; c++)
		args[q->when.cond[c].arg] = q->when.cond[c].datum_a;
	return policy_allows_call(policy, nr, args);
}

/* A syscall allowed in some forms only: cibox's safe form where `restricted`,
 * one rule per listed value, and the quiet refusal where the policy leaves
 * that call out. A value is an int to the kernel: only the low 32 bits are
 * compared, so that the upper ones, which the kernel ignores, can neither
 * smuggle another value in nor fail a call that passes this one. */
static int add_forms(scmp_filter_ctx ctx, const cibox_policy *policy, int nr, bool restricted)
{
	int rc = 0;
	const struct sctab_restriction *r = restricted ? sctab_restriction_of(nr) : NULL;
	for (unsigned i = 0; r && i < r->count && rc == 0; i++)
		rc = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, nr, r->alt[i].count,
						  r->alt[i].cond);
	unsigned count;
	const uint32_t *values = policy_values(policy, nr, &count);
	const struct sctab_argument *a = count ? sctab_argument_of(nr) : NULL;
	for (unsigned i = 0; a && i < count && rc == 0; i++) {
		struct scmp_arg_cmp cond = { a->arg, SCMP_CMP_MASKED_EQ, UINT32_MAX, values[i] };
		rc = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cond);
	}
	const struct sctab_quiet *q = sctab_quiet_of(nr);
	if (rc == 0 && q && !policy_allows_quiet_call(policy, nr, q))
		rc = seccomp_rule_add_exact_array(ctx, SCMP_ACT_ERRNO((uint32_t)q->error), nr,
						  q->when.count, q->when.cond);
	return rc;
}

/* A signal call the policy allows goes to the supervisor: every call, or
 * (fcntl) the forms beyond its safe form, which stays in the kernel. Where
 * the violation action is the supervisor's, calls that match no rule reach
 * it anyway, and libseccomp refuses a rule that repeats that action. */
static int add_signal_rules(scmp_filter_ctx ctx, const cibox_policy *policy, int nr,
			    enum policy_form form, const struct sctab_restriction *forms,
			    uint32_t violation)
{
	int rc = 0;
	if (forms->count)
		rc = add_forms(ctx, policy, nr, true);
	if (violation == SCMP_ACT_NOTIFY || (forms->count && form != POLICY_ANY))
		return rc;
	if (!forms->count)
		return seccomp_rule_add_exact(ctx, SCMP_ACT_NOTIFY, nr, 0);
	for (unsigned i = 0; i < forms->count && rc == 0; i++)
		rc = seccomp_rule_add_exact_array(ctx, SCMP_ACT_NOTIFY, nr, forms->alt[i].count,
						  forms->alt[i].cond);
	return rc;
}

/* Rules go by number: naming every number would ask libseccomp for each,
 * a scan of its whole table every time, a third of a sandbox's start. A
 * policy holds only numbers libseccomp named. */
/* Sets *highest to the highest number given a rule. */
static int add_rules(scmp_filter_ctx ctx, const cibox_policy *policy,
		     const struct filter_spec *spec, int *highest, cibox_error *err)
{
	int clone3 = sctab_resolve("clone3"), execve = sctab_resolve("execve"),
	    execveat = sctab_resolve("execveat"), sigaction = sctab_resolve("rt_sigaction");
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++) {
		enum policy_form form = policy_form(policy, nr);
		bool supervised = spec->supervised && cibox_policy_allows(spec->supervised, nr);
		bool exec = spec->notify_exec && (nr == execve || nr == execveat);
		unsigned count;
		if (nr != clone3 && !exec && !supervised && form == POLICY_REFUSED &&
		    !policy_values(policy, nr, &count) && !sctab_quiet_of(nr))
			continue;
		const struct sctab_restriction *signal =
			spec->judge_signals && form != POLICY_REFUSED ? sctab_signal_call_of(nr)
								      : NULL;
		int rc = 0;
		*highest = nr;
		if (nr == clone3) {
			/* Its flags sit in memory the filter cannot read; the C library
			 * falls back to clone, whose flags it can. */
			rc = seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
		} else if (exec && form != POLICY_ANY) {
			/* The supervisor lets the command's start through and judges
			 * the rest. libseccomp refuses a rule that repeats the
			 * default action. */
			if (spec->violation != SCMP_ACT_NOTIFY)
				rc = seccomp_rule_add_exact(ctx, SCMP_ACT_NOTIFY, nr, 0);
		} else if (supervised) {
			if (spec->violation != SCMP_ACT_NOTIFY)
				rc = seccomp_rule_add_exact(ctx, SCMP_ACT_NOTIFY, nr, 0);
		} else if (signal) {
			rc = add_signal_rules(ctx, policy, nr, form, signal, spec->violation);
		} else if (form == POLICY_ANY && !(spec->guard_sigsys && nr == sigaction)) {
			rc = seccomp_rule_add_exact(ctx, SCMP_ACT_ALLOW, nr, 0);
		} else {
			rc = add_forms(ctx, policy, nr, form != POLICY_REFUSED);
		}
		if (rc < 0)
			return error_set(err, rc, "cannot add a rule for syscall '%s': %s",
					 sctab_name(nr), strerror(-rc));
	}
	return 0;
}

static int export_program(scmp_filter_ctx ctx, const struct filter_spec *spec, int highest, int fd,
			  struct filter_program *out, cibox_error *err)
{
	size_t head = PREFIX_LEN + (spec->notify_exec ? START_LEN : 0);
	off_t start = lseek(fd, 0, SEEK_CUR);
	int rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0)
		return error_set(err, rc, "cannot export the seccomp program: %s", strerror(-rc));
	off_t end = lseek(fd, 0, SEEK_CUR);
	if (start < 0 || end < 0)
		return error_set(err, -errno, "cannot read the seccomp program back: %s",
				 strerror(errno));
	size_t bytes = (size_t)(end - start);
	size_t count = bytes / sizeof(struct sock_filter) + head;
	if (bytes % sizeof(struct sock_filter) || count > BPF_MAXINSNS)
		return error_set(err, -E2BIG,
				 "the seccomp program has %zu instructions, more than %d", count,
				 BPF_MAXINSNS);
	struct sock_filter *insns = calloc(count, sizeof *insns);
	if (!insns)
		return error_set(err, -ENOMEM, "out of memory");
	if (pread(fd, insns + head, bytes, start) != (ssize_t)bytes) {
		free(insns);
		return error_set(err, -EIO, "cannot read the seccomp program back");
	}
	lseek(fd, start, SEEK_SET);

	/* Foreign architectures and x32 numbers go straight to libseccomp's
	 * program, which kills; numbers newer than any call cibox knows (and
	 * than any the policy names) answer ENOSYS, so that the C library falls
	 * back to an older call, as on an older kernel. */
	int newest = sctab_newest_known();
	uint32_t max = (uint32_t)(highest > newest ? highest : newest);
	uint8_t past = (uint8_t)(head - PREFIX_LEN);
	struct sock_filter prefix[PREFIX_LEN] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 0, 4 + past),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 2 + past, 0),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, max, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	};
	memcpy(insns, prefix, sizeof prefix);
	/* The command's start: an execve whose argument vector is at the
	 * marker's address goes to the supervisor, whatever the policy says. Its
	 * halves are 0 until filter_mark_start sets them. */
	struct sock_filter hold[START_LEN] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)sctab_resolve("execve"), 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg_offset(1, false)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, arg_offset(1, true)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	};
	if (spec->notify_exec)
		memcpy(insns + PREFIX_LEN, hold, sizeof hold);
	out->insns = insns;
	out->len = (unsigned short)count;
	return 0;
}

static int build_program(const cibox_policy *policy, const struct filter_spec *spec, int scratch_fd,
			 struct filter_program *out, cibox_error *err)
{
	scmp_filter_ctx ctx = seccomp_init(spec->violation);
	if (!ctx)
		return error_set(err, -ENOMEM, "cannot create a seccomp filter");
	int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc < 0) {
		seccomp_release(ctx);
		return error_set(err, rc, "libseccomp refused a filter attribute: %s", strerror(-rc));
	}
	int highest = 0;
	rc = add_rules(ctx, policy, spec, &highest, err);
	if (rc == 0) {
		int fd = scratch_fd >= 0 ? scratch_fd : memfd_create("cibox-filter", MFD_CLOEXEC);
		if (fd < 0)
			rc = error_set(err, -errno, "memfd_create: %s", strerror(errno));
		else
			rc = export_program(ctx, spec, highest, fd, out, err);
		if (fd >= 0 && scratch_fd < 0)
			close(fd);
	}
	seccomp_release(ctx);
	return rc;
}

int filter_build(const cibox_policy *policy, const struct filter_spec *spec, int scratch_fd,
		 struct filter_program *out, cibox_error *err)
{
	/* libseccomp is rarely built with the program's sanitizer. */
	runtime_foreign_code(true);
	int rc = build_program(policy, spec, scratch_fd, out, err);
	runtime_foreign_code(false);
	return rc;
}

int filter_mark_start(struct filter_program *program, const void *argv)
{
	struct sock_filter *lo = &program->insns[START_LO], *hi = &program->insns[START_HI];
	uint32_t jeq = BPF_JMP | BPF_JEQ | BPF_K;
	if (program->len <= START_HI || lo->code != jeq || hi->code != jeq ||
	    program->insns[PREFIX_LEN].k != (uint32_t)sctab_resolve("execve"))
		return -EINVAL;
	uint64_t marker = (uint64_t)(uintptr_t)argv;
	lo->k = (uint32_t)marker;
	hi->k = (uint32_t)(marker >> 32);
	return 0;
}

void filter_program_free(struct filter_program *program)
{
	free(program->insns);
	program->insns = NULL;
	program->len = 0;
}

int filter_install(const struct filter_program *program, unsigned int flags, cibox_error *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return error_set(err, -errno, "cannot set no_new_privs: %s", strerror(errno));
	struct sock_fprog prog = { .len = program->len, .filter = program->insns };
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
	if (rc < 0)
		return error_set(err, -errno, "cannot install the seccomp filter: %s",
				 strerror(errno));
	return (int)rc;
}
