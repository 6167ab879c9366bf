#include "sandbox/report.h"

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void put(struct out *o, const char *s)
{
	for (; *s && o->len + 1 < o->size; s++)
		o->buf[o->len++] = *s;
	o->buf[o->len] = '\0';
}

static void put_number(struct out *o, long n)
{
	char digits[24];
	size_t i = sizeof digits;
	unsigned long u = n < 0 ? 0UL - (unsigned long)n : (unsigned long)n;
	digits[--i] = '\0';
	do {
		digits[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (n < 0)
		digits[--i] = '-';
	put(o, digits + i);
}

size_t report_format(char *buf, size_t size, enum report_level level, const char *name, long nr,
		     const char *thread)
{
	if (size == 0)
		return 0;
	struct out o = { buf, size, 0 };
	buf[0] = '\0';
	put(&o, level == REPORT_ERROR ? "ERROR: " : "WARNING: ");
	put(&o, "The syscall \"");
	put(&o, name ? name : "unknown");
	put(&o, "\" (syscall number ");
	put_number(&o, nr);
	put(&o, ") is not allowed by the syscall sandbox in thread \"");
	put(&o, thread && *thread ? thread : "unknown");
	put(&o,
	    level == REPORT_ERROR ? "\". Please report."
	    : level == REPORT_WARNING
		    ? "\". It was allowed to run (mode log)."
		    : "\". It was refused: it reaches outside the command's processes (mode log).");
	return o.len;
}
