/*
 * What a seccomp filter costs per system call, cibox's against the filters
 * people would write instead, measured side by side in one run.
 *
 * Two kinds of call are timed. getppid is decided by its number alone, so the
 * kernel's per-filter action cache (Linux 5.11 and later) can answer it
 * without running any filter; the question is whether cibox's filter keeps
 * that cache working, i.e. costs no more than the cheapest filter there is.
 * prctl(PR_GET_DUMPABLE) is allowed only for some options, so an allowlist
 * runs on every such call; the question is whether the binary tree cibox asks
 * libseccomp for does at least as well as libseccomp's default layout.
 *
 * A filter cannot be removed once installed, so every measurement is a short
 * slice of calls in a freshly forked child that installs the configuration's
 * filter first. Every round visits every configuration, so changes in
 * machine load fall on all of them alike; each cost is taken relative to the
 * same round's run without a filter, and only ratios of the medians are
 * printed: absolute times say more about the machine than about the filters.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cibox/sandbox.h>

#include "sandbox/filter.h"
#include "sandbox/policy.h"
#include "sandbox/syscall_table.h"

#define ROUNDS 101
#define WARMUP_CALLS 5000L
/* What the timed loops of one run may take altogether, in seconds. */
#define BUDGET_SECONDS 20.0
#define MIN_CALLS 50000L
#define MAX_CALLS 1000000L
#define X32_SYSCALL_BIT 0x40000000u

enum target { GETPPID, PRCTL };

struct config {
	const char *label;
	enum target target;
	struct filter_program prog; /* len 0: no filter */
	double ns[ROUNDS];
	double rel[ROUNDS]; /* each round's cost over that round's no-filter cost */
	double median;      /* of rel */
};

enum {
	C_NONE,
	C_ALLOW,
	C_CIBOX,
	C_LINEAR,
	C_LINEAR_NOCACHE,
	A_NONE,
	A_ALLOW,
	A_CIBOX,
	A_LIBSECCOMP,
	A_LINEAR,
	N_CONFIGS
};

static void die(const char *what, const char *why)
{
	fprintf(stderr, "syscall_cost: %s: %s\n", what, why);
	exit(1);
}

/* A growing BPF program. */
struct prog {
	struct sock_filter *insns;
	size_t len, cap;
};

static void emit(struct prog *p, struct sock_filter insn)
{
	if (p->len == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->insns = realloc(p->insns, p->cap * sizeof *p->insns);
		if (!p->insns)
			die("building a filter", strerror(ENOMEM));
	}
	p->insns[p->len++] = insn;
}

static void append(struct prog *p, const struct prog *tail)
{
	for (size_t i = 0; i < tail->len; i++)
		emit(p, tail->insns[i]);
}

static struct filter_program finish(struct prog *p)
{
	if (p->len > BPF_MAXINSNS)
		die("building a filter", "more instructions than the kernel accepts");
	return (struct filter_program){ .insns = p->insns, .len = (unsigned short)p->len };
}

static uint32_t arg_word(unsigned arg, int high)
{
	uint32_t base = (uint32_t)(offsetof(struct seccomp_data, args) + 8 * arg);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return base + (high ? 4 : 0);
#else
	return base + (high ? 0 : 4);
#endif
}

#define STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))
#define LD(off) STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(action) STMT(BPF_RET | BPF_K, (action))
#define JEQ(k, jt, jf) JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))

static void arch_check(struct prog *p)
{
	emit(p, LD(offsetof(struct seccomp_data, arch)));
	emit(p, JEQ(seccomp_arch_native(), 1, 0));
	emit(p, RET(SECCOMP_RET_KILL_PROCESS));
}

static struct filter_program build_allow_all(void)
{
	struct prog p = { 0 };
	arch_check(&p);
	emit(&p, RET(SECCOMP_RET_ALLOW));
	return finish(&p);
}

static unsigned cond_len(const struct scmp_arg_cmp *c)
{
	switch (c->op) {
	case SCMP_CMP_EQ:
	case SCMP_CMP_NE: return 4;
	case SCMP_CMP_MASKED_EQ: return 6;
	default:
		die("building the linear chain", "a restriction uses a comparison it does not know");
	}
	return 0;
}

/* One 64-bit comparison as two 32-bit ones, the way hand-written filters
 * spell it; `fail` is the distance from the comparison's first instruction
 * to where the alternative is given up. */
static void emit_cond(struct prog *p, const struct scmp_arg_cmp *c, unsigned fail)
{
	uint32_t a_hi = (uint32_t)(c->datum_a >> 32), a_lo = (uint32_t)c->datum_a;
	uint32_t b_hi = (uint32_t)(c->datum_b >> 32), b_lo = (uint32_t)c->datum_b;
	switch (c->op) {
	case SCMP_CMP_EQ:
		emit(p, LD(arg_word(c->arg, 1)));
		emit(p, JEQ(a_hi, 0, (uint8_t)(fail - 2)));
		emit(p, LD(arg_word(c->arg, 0)));
		emit(p, JEQ(a_lo, 0, (uint8_t)(fail - 4)));
		break;
	case SCMP_CMP_NE:
		emit(p, LD(arg_word(c->arg, 1)));
		emit(p, JEQ(a_hi, 0, 2));
		emit(p, LD(arg_word(c->arg, 0)));
		emit(p, JEQ(a_lo, (uint8_t)(fail - 4), 0));
		break;
	default: /* SCMP_CMP_MASKED_EQ: datum_a is the mask, datum_b the value */
		emit(p, LD(arg_word(c->arg, 1)));
		emit(p, STMT(BPF_ALU | BPF_AND | BPF_K, a_hi));
		emit(p, JEQ(b_hi, 0, (uint8_t)(fail - 3)));
		emit(p, LD(arg_word(c->arg, 0)));
		emit(p, STMT(BPF_ALU | BPF_AND | BPF_K, a_lo));
		emit(p, JEQ(b_lo, 0, (uint8_t)(fail - 6)));
		break;
	}
}

/* One allowlist entry: the number, then for a restricted syscall each
 * alternative in turn, killing if none matches. */
static void emit_entry(struct prog *p, const cibox_policy *policy, int nr)
{
	const struct sctab_restriction *r = NULL;
	if (policy_form(policy, nr) == POLICY_RESTRICTED)
		r = sctab_restriction_find(sctab_name(nr));
	if (!r) {
		emit(p, JEQ((uint32_t)nr, 0, 1));
		emit(p, RET(SECCOMP_RET_ALLOW));
		return;
	}
	struct prog block = { 0 };
	for (unsigned i = 0; i < r->count; i++) {
		const struct sctab_alternative *alt = &r->alt[i];
		unsigned len = 1;
		for (unsigned j = 0; j < alt->count; j++)
			len += cond_len(&alt->cond[j]);
		unsigned at = 0;
		for (unsigned j = 0; j < alt->count; j++) {
			emit_cond(&block, &alt->cond[j], len - at);
			at += cond_len(&alt->cond[j]);
		}
		emit(&block, RET(SECCOMP_RET_ALLOW));
	}
	emit(&block, RET(SECCOMP_RET_KILL_PROCESS));
	if (block.len > 255)
		die("building the linear chain", "a restriction is too long for one jump");
	emit(p, JEQ((uint32_t)nr, 0, (uint8_t)block.len));
	append(p, &block);
	free(block.insns);
}

/*
 * The design of hand-written sandboxes: check the architecture, refuse x32
 * numbers, then compare the number against each allowed syscall in turn. The
 * target goes last, the worst case such a chain has. With `defeat_cache` the
 * chain starts by loading an argument it never uses, which makes the kernel
 * run the chain for every call as kernels before 5.11 did.
 */
static struct filter_program build_linear(const cibox_policy *policy, int target, int defeat_cache)
{
	struct prog p = { 0 };
	if (defeat_cache)
		emit(&p, LD(arg_word(0, 0)));
	arch_check(&p);
	emit(&p, LD(offsetof(struct seccomp_data, nr)));
	emit(&p, JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 0, 1));
	emit(&p, RET(SECCOMP_RET_KILL_PROCESS));
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++)
		if (nr != target && cibox_policy_allows(policy, nr))
			emit_entry(&p, policy, nr);
	emit_entry(&p, policy, target);
	emit(&p, RET(SECCOMP_RET_KILL_PROCESS));
	return finish(&p);
}

static struct filter_program build_cibox(const cibox_policy *policy)
{
	/* What the library installs in abort mode. */
	struct filter_spec spec = { .violation = SCMP_ACT_KILL_PROCESS, .guard_sigsys = true };
	struct filter_program prog;
	cibox_error err;
	if (filter_build(policy, &spec, -1, &prog, &err) < 0)
		die("building cibox's filter", err.message);
	return prog;
}

static void check_scmp(int rc, const char *what)
{
	if (rc < 0)
		die(what, strerror(-rc));
}

/* The rules filter_build hands libseccomp (clone3 answering ENOSYS, the
 * SIGSYS handler guarded), built with libseccomp's attributes left as they
 * come, which gives its linear layout, and without cibox's prefix. */
static struct filter_program build_libseccomp_default(const cibox_policy *policy)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		die("building libseccomp's filter", strerror(ENOMEM));
	check_scmp(seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS),
		   "building libseccomp's filter");
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++) {
		const char *name = sctab_name(nr);
		if (!name)
			continue;
		enum policy_form form = policy_form(policy, nr);
		if (strcmp(name, "clone3") == 0) {
			check_scmp(seccomp_rule_add_exact(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0), name);
		} else if (form == POLICY_ANY && strcmp(name, "rt_sigaction") != 0) {
			check_scmp(seccomp_rule_add_exact(ctx, SCMP_ACT_ALLOW, nr, 0), name);
		} else if (form != POLICY_REFUSED) {
			const struct sctab_restriction *r = sctab_restriction_find(name);
			for (unsigned i = 0; r && i < r->count; i++)
				check_scmp(seccomp_rule_add_exact_array(ctx, SCMP_ACT_ALLOW, nr,
									r->alt[i].count,
									r->alt[i].cond),
					   name);
		}
	}
	int fd = memfd_create("syscall-cost", MFD_CLOEXEC);
	if (fd < 0)
		die("memfd_create", strerror(errno));
	check_scmp(seccomp_export_bpf(ctx, fd), "exporting libseccomp's filter");
	seccomp_release(ctx);
	off_t bytes = lseek(fd, 0, SEEK_END);
	if (bytes <= 0)
		die("reading libseccomp's filter back", strerror(errno));
	struct prog p = { 0 };
	p.cap = p.len = (size_t)bytes / sizeof(struct sock_filter);
	p.insns = malloc((size_t)bytes);
	if (!p.insns)
		die("reading libseccomp's filter back", strerror(ENOMEM));
	if (pread(fd, p.insns, (size_t)bytes, 0) != bytes)
		die("reading libseccomp's filter back", "short read");
	close(fd);
	return finish(&p);
}

struct sample {
	double ns_per_call;
	long sum;
};

static long call(enum target t)
{
	if (t == GETPPID)
		return syscall(SYS_getppid);
	return syscall(SYS_prctl, (long)PR_GET_DUMPABLE, 0L, 0L, 0L, 0L);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The timed loop, run in the child after its filter is in place. The sum of
 * the results goes back with the time, so the calls cannot be left out. */
static struct sample time_calls(enum target t, long calls)
{
	struct sample s = { 0, 0 };
	for (long i = 0; i < WARMUP_CALLS; i++)
		s.sum += call(t);
	s.sum = 0;
	double start = now_ns();
	for (long i = 0; i < calls; i++)
		s.sum += call(t);
	s.ns_per_call = (now_ns() - start) / (double)calls;
	return s;
}

static void measuring_child(const struct config *c, long calls, int reply, pid_t parent)
{
	/* Should the parent die, nothing else would end the child. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(1);
	if (c->prog.len) {
		cibox_error err;
		if (filter_install(&c->prog, 0, &err) < 0)
			die(c->label, err.message);
	}
	struct sample s = time_calls(c->target, calls);
	_exit(write(reply, &s, sizeof s) == (ssize_t)sizeof s ? 0 : 1);
}

/* One slice of calls in a fresh child carrying the configuration's filter. */
static struct sample measure(const struct config *c, long calls)
{
	int fds[2];
	pid_t parent = getpid();
	if (pipe(fds) < 0)
		die("pipe", strerror(errno));
	pid_t pid = fork();
	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		measuring_child(c, calls, fds[1], parent);
	}
	close(fds[1]);
	struct sample s;
	ssize_t got = read(fds[0], &s, sizeof s);
	close(fds[0]);
	int status;
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid", strerror(errno));
	if (WIFSIGNALED(status))
		die(c->label, strsignal(WTERMSIG(status)));
	if (got != (ssize_t)sizeof s || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die(c->label, "the measuring process failed");
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, size_t n)
{
	double sorted[ROUNDS];
	memcpy(sorted, v, n * sizeof *v);
	qsort(sorted, n, sizeof *sorted, cmp_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/* The calls per child that keep the whole run near the budget. */
static long pick_calls(void)
{
	struct sample s = time_calls(GETPPID, MIN_CALLS);
	/* Filters add to the bare cost; assume half again for the run as a whole. */
	double per_call = s.ns_per_call * 1.5;
	double calls = BUDGET_SECONDS * 1e9 / (per_call * ROUNDS * N_CONFIGS);
	long rounded = (long)(calls / 10000) * 10000;
	return rounded < MIN_CALLS ? MIN_CALLS : rounded > MAX_CALLS ? MAX_CALLS : rounded;
}

/*
 * Steps through a program for one call, with the instructions these programs
 * use. Explains the ratios rather than measuring anything: how many
 * instructions run, and whether the kernel's action cache can answer the call
 * (Linux 5.11 and later cache an allow whose path looks at nothing but the
 * number and the architecture, through the instructions followed here).
 */
struct walk {
	unsigned steps;
	int cacheable;
};

static struct walk walk(const struct filter_program *prog, const struct seccomp_data *d)
{
	struct walk w = { 0, 1 };
	uint32_t a = 0;
	for (unsigned pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *i = &prog->insns[pc];
		w.steps++;
		if (i->code == (BPF_LD | BPF_W | BPF_ABS) && i->k + 4 <= sizeof *d) {
			memcpy(&a, (const char *)d + i->k, 4);
			if (i->k != offsetof(struct seccomp_data, nr) &&
			    i->k != offsetof(struct seccomp_data, arch))
				w.cacheable = 0;
		} else if (i->code == (BPF_ALU | BPF_AND | BPF_K)) {
			a &= i->k;
		} else if (i->code == (BPF_JMP | BPF_JA)) {
			pc += i->k;
		} else if (BPF_CLASS(i->code) == BPF_JMP && BPF_SRC(i->code) == BPF_K) {
			int taken = BPF_OP(i->code) == BPF_JEQ   ? a == i->k
				    : BPF_OP(i->code) == BPF_JGT ? a > i->k
				    : BPF_OP(i->code) == BPF_JGE ? a >= i->k
								 : (a & i->k) != 0;
			pc += taken ? i->jt : i->jf;
		} else {
			w.cacheable = w.cacheable && i->code == (BPF_RET | BPF_K) &&
				      i->k == SECCOMP_RET_ALLOW;
			return w;
		}
	}
	w.cacheable = 0;
	return w;
}

/* How many of the syscalls `policy` allows with any arguments the kernel can
 * answer from its cache under `prog`; the names of the others go to `missed`. */
static int count_cacheable(const struct filter_program *prog, const cibox_policy *policy,
			   int *total, char *missed, size_t size)
{
	int n = 0;
	size_t used = 0;
	*total = 0;
	missed[0] = '\0';
	for (int nr = 0; nr < SCTAB_NR_LIMIT; nr++) {
		if (policy_form(policy, nr) != POLICY_ANY)
			continue;
		struct seccomp_data d = { .nr = nr, .arch = seccomp_arch_native() };
		(*total)++;
		if (walk(prog, &d).cacheable) {
			n++;
		} else if (used < size) {
			int w = snprintf(missed + used, size - used, "%s%s", used ? ", " : "",
					 sctab_name(nr));
			used += w > 0 ? (size_t)w : 0;
		}
	}
	return n;
}

static double overhead_ratio(double x, double base)
{
	return (x - 1) / (base - 1);
}

#define RESAMPLES 1000

/*
 * How far the noise moves a ratio: the same ratio computed over rounds drawn
 * again at random (a bootstrap), keeping the configurations of a round
 * together since they ran moments apart; the middle 90% of the results.
 */
static void interval(const struct config *cfg, int x, int base, double *lo, double *hi)
{
	static double results[RESAMPLES];
	uint32_t state = 2463534242u;
	for (int b = 0; b < RESAMPLES; b++) {
		double vx[ROUNDS], vb[ROUNDS];
		for (int r = 0; r < ROUNDS; r++) {
			state ^= state << 13;
			state ^= state >> 17;
			state ^= state << 5;
			int pick = (int)(state % ROUNDS);
			vx[r] = cfg[x].rel[pick];
			vb[r] = cfg[base].rel[pick];
		}
		results[b] = overhead_ratio(median(vx, ROUNDS), median(vb, ROUNDS));
	}
	qsort(results, RESAMPLES, sizeof *results, cmp_double);
	*lo = results[RESAMPLES / 20];
	*hi = results[RESAMPLES - 1 - RESAMPLES / 20];
}

struct ratio {
	double value, lo, hi;
};

/* One line of a table: cost against no filter, then overhead against `base`,
 * with the interval the noise allows. */
static struct ratio row(const struct config *cfg, int x, int none, int base,
			const struct seccomp_data *d)
{
	printf("  %-44s", cfg[x].label);
	if (cfg[x].prog.len)
		printf(" %5u", walk(&cfg[x].prog, d).steps);
	else
		printf(" %5s", "0");
	printf(" %8.3f", cfg[x].median);
	struct ratio r = { 1, 1, 1 };
	if (x == none || x == base) {
		printf(" %7s\n", x == none ? "-" : "1");
		return r;
	}
	r.value = overhead_ratio(cfg[x].median, cfg[base].median);
	interval(cfg, x, base, &r.lo, &r.hi);
	printf(" %7.2f  %.2f-%.2f\n", r.value, r.lo, r.hi);
	return r;
}

static void target(const char *what, struct ratio r, double limit)
{
	printf("  %s <= %.2f: %.2f (%.2f-%.2f), %s\n", what, limit, r.value, r.lo, r.hi,
	       r.value <= limit ? "met" : "MISSED");
}

static void header(const char *title, const char *base)
{
	printf("\n%s\n", title);
	printf("  %-44s %5s %8s %7s\n", "", "insns", "cost", "overhead vs");
	printf("  %-44s %5s %8s %7s  %s\n", "", "run", "vs none", base, "90% interval");
}

int main(void)
{
	cibox_policy *policy = cibox_policy_new();
	cibox_error err;
	if (!policy)
		die("policy", strerror(ENOMEM));
	if (cibox_policy_add(policy, "@default", &err) < 0)
		die("@default", err.message);
	int nr_getppid = sctab_resolve("getppid"), nr_prctl = sctab_resolve("prctl");
	if (!cibox_policy_allows(policy, nr_getppid) ||
	    policy_form(policy, nr_prctl) != POLICY_RESTRICTED)
		die("@default", "no longer allows getppid by number and prctl by argument");

	struct config cfg[N_CONFIGS] = {
		[C_NONE] = { .label = "no filter", .target = GETPPID },
		[C_ALLOW] = { .label = "allow-all: arch check, ret ALLOW (the floor)",
			      .target = GETPPID,
			      .prog = build_allow_all() },
		[C_CIBOX] = { .label = "cibox @default",
			      .target = GETPPID,
			      .prog = build_cibox(policy) },
		[C_LINEAR] = { .label = "linear chain of @default, getppid last",
			       .target = GETPPID,
			       .prog = build_linear(policy, nr_getppid, 0) },
		[C_LINEAR_NOCACHE] = { .label = "the same chain, uncached",
				       .target = GETPPID,
				       .prog = build_linear(policy, nr_getppid, 1) },
		[A_NONE] = { .label = "no filter", .target = PRCTL },
		[A_ALLOW] = { .label = "allow-all: arch check, ret ALLOW",
			      .target = PRCTL,
			      .prog = build_allow_all() },
		[A_CIBOX] = { .label = "cibox @default (binary tree)",
			      .target = PRCTL,
			      .prog = build_cibox(policy) },
		[A_LIBSECCOMP] = { .label = "libseccomp default build of the same rules",
				   .target = PRCTL,
				   .prog = build_libseccomp_default(policy) },
		[A_LINEAR] = { .label = "linear chain of @default, prctl last",
			       .target = PRCTL,
			       .prog = build_linear(policy, nr_prctl, 0) },
	};

	long calls = pick_calls();
	struct utsname u;
	uname(&u);
	printf("Per-syscall cost under seccomp filters, %s %s %s.\n"
	       "%d rounds of %ld calls per configuration, each in a fresh process, configurations\n"
	       "alternating; medians of each round's cost relative to no filter in that round.\n",
	       u.sysname, u.release, u.machine, ROUNDS, calls);
	fflush(stdout);

	long expect_ppid = (long)getpid();
	long expect_dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	for (int round = 0; round < ROUNDS; round++) {
		/* A different starting point each round, so no configuration always
		 * runs right after the same neighbour. A fresh process each time,
		 * so where the kernel happens to put one process's filter and
		 * stack does not colour every round of that configuration. */
		for (int k = 0; k < N_CONFIGS; k++) {
			int i = (k + round * 3) % N_CONFIGS;
			struct sample s = measure(&cfg[i], calls);
			long expect = cfg[i].target == GETPPID ? expect_ppid : expect_dumpable;
			if (s.sum != expect * calls)
				die(cfg[i].label, "the syscall returned something unexpected");
			cfg[i].ns[round] = s.ns_per_call;
		}
	}
	/* Load on a shared machine comes and goes in phases longer than a round;
	 * relative to its own round, a configuration's cost barely feels them. */
	for (int i = 0; i < N_CONFIGS; i++) {
		int none = cfg[i].target == GETPPID ? C_NONE : A_NONE;
		for (int r = 0; r < ROUNDS; r++)
			cfg[i].rel[r] = cfg[i].ns[r] / cfg[none].ns[r];
		cfg[i].median = median(cfg[i].rel, ROUNDS);
	}

	struct seccomp_data d = { .nr = nr_getppid, .arch = seccomp_arch_native() };
	header("getppid: decided by number alone, so the kernel's action cache can answer it",
	       "allow-all");
	row(cfg, C_NONE, C_NONE, C_ALLOW, &d);
	row(cfg, C_ALLOW, C_NONE, C_ALLOW, &d);
	struct ratio cibox_number = row(cfg, C_CIBOX, C_NONE, C_ALLOW, &d);
	row(cfg, C_LINEAR, C_NONE, C_ALLOW, &d);
	row(cfg, C_LINEAR_NOCACHE, C_NONE, C_ALLOW, &d);
	char missed[256];
	int total,
		cached = count_cacheable(&cfg[C_CIBOX].prog, policy, &total, missed, sizeof missed);
	printf("  insns run: what the filter would run for the call; a cached call runs none.\n"
	       "  uncached: an unused argument load on top keeps it out of the cache, as before 5.11.\n"
	       "  cached: cibox's filter leaves %d of the %d syscalls @default allows with any\n"
	       "  arguments to the cache%s%s%s.\n",
	       cached, total, missed[0] ? " (not: " : "", missed, missed[0] ? ")" : "");

	d = (struct seccomp_data){ .nr = nr_prctl,
				   .arch = seccomp_arch_native(),
				   .args = { PR_GET_DUMPABLE } };
	header("prctl(PR_GET_DUMPABLE): decided by argument, so allowlists run on every call",
	       "libsecc.");
	row(cfg, A_NONE, A_NONE, A_LIBSECCOMP, &d);
	row(cfg, A_ALLOW, A_NONE, A_LIBSECCOMP, &d);
	struct ratio cibox_arg = row(cfg, A_CIBOX, A_NONE, A_LIBSECCOMP, &d);
	row(cfg, A_LIBSECCOMP, A_NONE, A_LIBSECCOMP, &d);
	row(cfg, A_LINEAR, A_NONE, A_LIBSECCOMP, &d);

	printf("\nTargets\n");
	target("getppid: cibox's overhead / allow-all's", cibox_number, 1.05);
	target("prctl: cibox's overhead / libseccomp default's", cibox_arg, 1.00);

	for (int i = 0; i < N_CONFIGS; i++)
		filter_program_free(&cfg[i].prog);
	cibox_policy_free(policy);
	return 0;
}
