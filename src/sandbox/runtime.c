#include "sandbox/runtime.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* One entry point each runtime exports, whichever compiler built it. */
static const struct {
	unsigned bit;
	const char *symbol;
	const char *name;
} runtimes[] = {
	{ RUNTIME_ASAN, "__asan_init", "AddressSanitizer" },
	{ RUNTIME_LSAN, "__lsan_do_leak_check", "LeakSanitizer" },
	{ RUNTIME_TSAN, "__tsan_init", "ThreadSanitizer" },
	{ RUNTIME_MSAN, "__msan_init", "MemorySanitizer" },
	{ RUNTIME_UBSAN, "__ubsan_handle_add_overflow", "UndefinedBehaviorSanitizer" },
};

unsigned runtime_sanitizers(void)
{
	unsigned found = 0;
	for (size_t i = 0; i < sizeof runtimes / sizeof runtimes[0]; i++)
		if (dlsym(RTLD_DEFAULT, runtimes[i].symbol))
			found |= runtimes[i].bit;
	return found;
}

void runtime_sanitizer_names(unsigned sanitizers, char *buf, size_t size)
{
	size_t len = 0;
	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof runtimes / sizeof runtimes[0] && len < size; i++) {
		if (!(sanitizers & runtimes[i].bit))
			continue;
		int n = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", runtimes[i].name);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

/* The sanitizers' common interface, <sanitizer/common_interface_defs.h>. */
typedef void symbolize_pc_fn(void *pc, const char *format, char *out, size_t size);

void runtime_symbolizer_warm_up(void)
{
	symbolize_pc_fn *symbolize;
	void *entry = dlsym(RTLD_DEFAULT, "__sanitizer_symbolize_pc");
	if (!entry)
		return;
	memcpy(&symbolize, &entry, sizeof symbolize);
	char where[256];
	/* File and line: the debug information is what takes files to read. */
	symbolize((void *)(unsigned long)runtime_symbolizer_warm_up, "%F %L", where, sizeof where);
}

/* MemorySanitizer's interface, <sanitizer/msan_interface.h>. */
static void (*msan_checks_off)(void), (*msan_checks_on)(void);
static pthread_once_t msan_once = PTHREAD_ONCE_INIT;

static void msan_load(void)
{
	void *off = dlsym(RTLD_DEFAULT, "__msan_scoped_disable_interceptor_checks");
	void *on = dlsym(RTLD_DEFAULT, "__msan_scoped_enable_interceptor_checks");
	if (off && on) {
		memcpy(&msan_checks_off, &off, sizeof off);
		memcpy(&msan_checks_on, &on, sizeof on);
	}
}

void runtime_foreign_code(bool entering)
{
	pthread_once(&msan_once, msan_load);
	void (*toggle)(void) = entering ? msan_checks_off : msan_checks_on;
	if (toggle)
		toggle();
}

/* valgrind preloads its core (vgpreload_core-ARCH-linux.so) into every
 * dynamically linked program it runs. */
static int is_valgrind_preload(struct dl_phdr_info *info, size_t size, void *found)
{
	(void)size;
	if (info->dlpi_name && strstr(info->dlpi_name, "/vgpreload_"))
		*(bool *)found = true;
	return *(bool *)found;
}

bool runtime_under_valgrind(void)
{
	bool found = false;
	dl_iterate_phdr(is_valgrind_preload, &found);
	return found;
}
