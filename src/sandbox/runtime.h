/*
 * The checking tools that can run inside a process and do their own work
 * there, which a syscall policy written for the program knows nothing of:
 * the sanitizer runtimes (AddressSanitizer with LeakSanitizer, the
 * standalone LeakSanitizer, ThreadSanitizer, MemorySanitizer, UBSan), which
 * are recognised by the entry points they export, and valgrind, which runs
 * the program on a CPU of its own and does not implement seccomp.
 *
 * libcibox asks once, at set-up: a runtime is loaded with the program (or
 * preloaded), never later.
 */
#ifndef CIBOX_SANDBOX_RUNTIME_H
#define CIBOX_SANDBOX_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

enum runtime_sanitizer {
	RUNTIME_ASAN = 1u << 0,
	RUNTIME_LSAN = 1u << 1,
	RUNTIME_TSAN = 1u << 2,
	RUNTIME_MSAN = 1u << 3,
	RUNTIME_UBSAN = 1u << 4,
};

/* The sanitizer runtimes loaded in this process, as RUNTIME_* bits. */
unsigned runtime_sanitizers(void);

/* Their names, "AddressSanitizer, LeakSanitizer", into buf. */
void runtime_sanitizer_names(unsigned sanitizers, char *buf, size_t size);

/*
 * Has the runtime's symbolizer find its files (and, with clang's runtimes,
 * start its helper process) now, while the process may still open files and
 * start processes, so that a report made later under a narrow policy only
 * reads the symbols already loaded. Does nothing without a runtime.
 */
void runtime_symbolizer_warm_up(void);

/*
 * Around a call into a library not built with the program's sanitizer
 * (libseccomp, as distributions ship it): MemorySanitizer takes what such
 * code writes for uninitialised, so its interceptors stop checking until
 * the call returns. Nothing without MemorySanitizer.
 */
void runtime_foreign_code(bool entering);

/* Whether this process runs under valgrind. */
bool runtime_under_valgrind(void);

#endif
