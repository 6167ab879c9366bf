/*
 * A classic-BPF interpreter for seccomp programs, so tests can ask a filter
 * what it answers for a syscall without loading it (a loaded filter that
 * kills would kill the test runner). It also answers the question the
 * kernel's action cache asks: does the verdict for this syscall number
 * depend on anything but the number and the architecture?
 */
#ifndef CIBOX_TEST_BPF_SIM_H
#define CIBOX_TEST_BPF_SIM_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct bpf_verdict {
	uint32_t action; /* the returned value */
	bool reads_args; /* an instruction on the way loaded beyond nr and arch */
	bool ok;         /* false: the program misbehaved (bad jump, bad load) */
};

static inline struct bpf_verdict bpf_run(const struct sock_filter *prog, unsigned len,
					 const struct seccomp_data *data)
{
	struct bpf_verdict v = { 0 };
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	const uint8_t *bytes = (const uint8_t *)data;
	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *i = &prog[pc];
		uint32_t src = BPF_SRC(i->code) == BPF_X ? x : i->k;
		switch (BPF_CLASS(i->code)) {
		case BPF_LD:
			if (BPF_MODE(i->code) == BPF_ABS) {
				if (i->k + 4 > sizeof *data || i->k % 4)
					return v;
				if (i->k != offsetof(struct seccomp_data, nr) &&
				    i->k != offsetof(struct seccomp_data, arch))
					v.reads_args = true;
				memcpy(&a, bytes + i->k, 4);
			} else if (BPF_MODE(i->code) == BPF_IMM) {
				a = i->k;
			} else if (BPF_MODE(i->code) == BPF_MEM && i->k < BPF_MEMWORDS) {
				a = mem[i->k];
			} else {
				return v;
			}
			break;
		case BPF_LDX:
			if (BPF_MODE(i->code) == BPF_IMM)
				x = i->k;
			else if (BPF_MODE(i->code) == BPF_MEM && i->k < BPF_MEMWORDS)
				x = mem[i->k];
			else
				return v;
			break;
		case BPF_ST:
			if (i->k >= BPF_MEMWORDS)
				return v;
			mem[i->k] = a;
			break;
		case BPF_STX:
			if (i->k >= BPF_MEMWORDS)
				return v;
			mem[i->k] = x;
			break;
		case BPF_ALU:
			switch (BPF_OP(i->code)) {
			case BPF_ADD: a += src; break;
			case BPF_SUB: a -= src; break;
			case BPF_MUL: a *= src; break;
			case BPF_DIV:
				if (!src)
					return v;
				a /= src;
				break;
			case BPF_AND: a &= src; break;
			case BPF_OR: a |= src; break;
			case BPF_XOR: a ^= src; break;
			case BPF_LSH: a <<= src & 31; break;
			case BPF_RSH: a >>= src & 31; break;
			case BPF_NEG: a = -a; break;
			default: return v;
			}
			break;
		case BPF_JMP: {
			bool taken;
			switch (BPF_OP(i->code)) {
			case BPF_JA: pc += i->k; continue;
			case BPF_JEQ: taken = a == src; break;
			case BPF_JGT: taken = a > src; break;
			case BPF_JGE: taken = a >= src; break;
			case BPF_JSET: taken = (a & src) != 0; break;
			default: return v;
			}
			pc += taken ? i->jt : i->jf;
			break;
		}
		case BPF_RET:
			v.action = BPF_RVAL(i->code) == BPF_A ? a : i->k;
			v.ok = true;
			return v;
		case BPF_MISC:
			if (BPF_MISCOP(i->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default: return v;
		}
	}
	return v; /* fell off the end: the kernel's verifier would refuse it */
}

#endif
