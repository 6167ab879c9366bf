#include "sandbox/arg_value.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

static bool parse_number(const char *s, size_t len, uint32_t *out)
{
	unsigned base = 10;
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		len -= 2;
	} else if (len > 1 && s[0] == '0') {
		return false; /* 010: C reads eight, a person may read ten */
	}
	uint64_t n = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];
		unsigned digit;
		if (isdigit(c))
			digit = (unsigned)(c - '0');
		else if (base == 16 && isxdigit(c))
			digit = (unsigned)(tolower(c) - 'a' + 10);
		else
			return false;
		n = n * base + digit;
		if (n > UINT32_MAX)
			return false;
	}
	*out = (uint32_t)n;
	return len > 0;
}

static const struct sctab_symbol *by_name(const struct sctab_argument *a, const char *s, size_t len)
{
	for (size_t i = 0; i < a->symbol_count; i++)
		if (strlen(a->symbols[i].name) == len && memcmp(a->symbols[i].name, s, len) == 0)
			return &a->symbols[i];
	return NULL;
}

static const char *by_value(const struct sctab_argument *a, uint32_t value)
{
	for (size_t i = 0; i < a->symbol_count; i++)
		if (a->symbols[i].value == value)
			return a->symbols[i].name;
	return NULL;
}

static void trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s))
		(*s)++, (*len)--;
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

/* One name or number: the whole value, or one of its '|' terms. */
static int parse_term(const struct sctab_argument *a, const char *s, size_t len, uint32_t *out,
		      cibox_error *err)
{
	trim(&s, &len);
	if (!len)
		return error_set(err, -EINVAL, "an empty %s in %s's values", a->what, a->syscall);
	if (isdigit((unsigned char)s[0])) {
		if (!parse_number(s, len, out))
			return error_set(err, -EINVAL,
					 "'%.*s' is not a number of 32 bits (decimal without a leading 0, "
					 "or 0x hexadecimal)",
					 (int)len, s);
		return 0;
	}
	if (s[0] == '-')
		return error_set(err, -EINVAL, "'%.*s': values are not negative", (int)len, s);
	const struct sctab_symbol *sym = by_name(a, s, len);
	if (!sym)
		return error_set(err, -EINVAL, "unknown %s '%.*s' for %s (a number is fine too)",
				 a->what, (int)len, s, a->syscall);
	*out = sym->value;
	return 0;
}

int argval_parse(const struct sctab_argument *a, const char *text, size_t len, uint32_t *value,
		 cibox_error *err)
{
	trim(&text, &len);
	const char *bar = memchr(text, '|', len);
	if (bar && !a->flags)
		return error_set(err, -EINVAL, "'|' joins flags, but %s's %s is one value: '%.*s'",
				 a->syscall, a->what, (int)len, text);
	*value = 0;
	while (true) {
		size_t term = bar ? (size_t)(bar - text) : len;
		uint32_t v = 0;
		int rc = parse_term(a, text, term, &v, err);
		if (rc < 0)
			return rc;
		*value |= v;
		if (!bar)
			return 0;
		text += term + 1;
		len -= term + 1;
		bar = memchr(text, '|', len);
	}
}

static int format_number(uint32_t value, char *buf, size_t size)
{
	return value > 255 ? snprintf(buf, size, "%#x", value) : snprintf(buf, size, "%u", value);
}

/* Flags: each named bit in table order, the unnamed ones as one number, then
 * the number the flags carry (clone's exit signal) by name where it has one. */
static int format_flags(const struct sctab_argument *a, uint32_t value, char *buf, size_t size)
{
	uint32_t flags = value & ~a->number_bits, number = value & a->number_bits;
	size_t len = 0;
	char term[32];
#define APPEND(text)                                                                               \
	len += (size_t)snprintf(buf + (len < size ? len : size), len < size ? size - len : 0,      \
				"%s%s", len ? "|" : "", (text))
	for (size_t i = 0; i < a->symbol_count && flags; i++) {
		uint32_t bit = a->symbols[i].value;
		if ((bit & a->number_bits) || (flags & bit) != bit)
			continue;
		APPEND(a->symbols[i].name);
		flags &= ~bit;
	}
	if (flags) {
		snprintf(term, sizeof term, "%#x", flags);
		APPEND(term);
	}
	if (number || !len) {
		const char *name = by_value(a, number);
		if (!name) {
			format_number(number, term, sizeof term);
			name = term;
		}
		APPEND(name);
	}
#undef APPEND
	return (int)len;
}

int argval_format(const struct sctab_argument *a, uint32_t value, char *buf, size_t size)
{
	if (a->flags)
		return format_flags(a, value, buf, size);
	const char *name = by_value(a, value);
	return name ? snprintf(buf, size, "%s", name) : format_number(value, buf, size);
}
