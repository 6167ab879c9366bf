#include "util/strbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char strbuf_empty[1];

void strbuf_init(struct strbuf *sb)
{
	*sb = (struct strbuf)STRBUF_INIT;
}

void strbuf_release(struct strbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb);
}

char *strbuf_detach(struct strbuf *sb)
{
	char *s = NULL;
	if (!sb->oom)
		s = sb->alloc ? sb->buf : strdup("");
	else if (sb->alloc)
		free(sb->buf);
	strbuf_init(sb);
	return s;
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
}

bool strbuf_grow(struct strbuf *sb, size_t extra)
{
	if (sb->oom)
		return false;
	if (sb->len + extra + 1 <= sb->alloc)
		return true;
	size_t want = sb->alloc ? sb->alloc : 64;
	while (want < sb->len + extra + 1) {
		if (want > SIZE_MAX / 2) {
			sb->oom = true;
			return false;
		}
		want *= 2;
	}
	char *p = realloc(sb->alloc ? sb->buf : NULL, want);
	if (!p) {
		sb->oom = true;
		return false;
	}
	if (!sb->alloc)
		p[0] = '\0';
	sb->buf = p;
	sb->alloc = want;
	return true;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	if (!strbuf_grow(sb, len))
		return;
	memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !strbuf_grow(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

int strbuf_read_fd(struct strbuf *sb, int fd)
{
	for (;;) {
		if (!strbuf_grow(sb, 8192))
			return -ENOMEM;
		ssize_t n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
	}
}

/* Length of the well-formed UTF-8 sequence at s (1 to 4), or 0 if the bytes
 * there are not one: overlong forms, surrogates and values past U+10FFFF
 * count as malformed, as RFC 3629 says. */
static size_t utf8_sequence(const unsigned char *s, size_t avail, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, v = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, v = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0;
	*cp = v;
	return n;
}

static const char replacement[] = "\xef\xbf\xbd";

/* Writes one code point escaped; false to copy it as it stands. */
typedef bool (*escape_fn)(struct strbuf *sb, uint32_t cp);

/* Walks s as UTF-8: each code point escaped or copied, each invalid byte
 * written as U+FFFD, so the result is always valid UTF-8. */
static void add_escaped(struct strbuf *sb, const char *s, size_t len, escape_fn escape)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_sequence(p + i, len - i, &cp);
		if (n == 0) {
			strbuf_addstr(sb, replacement);
			i++;
			continue;
		}
		if (!escape(sb, cp))
			strbuf_add(sb, p + i, n);
		i += n;
	}
}

/* Valid UTF-8 is copied as it stands. */
static bool escape_none(struct strbuf *sb, uint32_t cp)
{
	(void)sb;
	(void)cp;
	return false;
}

static bool escape_xml(struct strbuf *sb, uint32_t cp)
{
	switch (cp) {
	case '<': strbuf_addstr(sb, "&lt;"); return true;
	case '>': strbuf_addstr(sb, "&gt;"); return true;
	case '&': strbuf_addstr(sb, "&amp;"); return true;
	case '"': strbuf_addstr(sb, "&quot;"); return true;
	case '\'': strbuf_addstr(sb, "&apos;"); return true;
	case '\n': strbuf_addstr(sb, "&#10;"); return true;
	case '\t': strbuf_addstr(sb, "&#9;"); return true;
	case '\r': strbuf_addstr(sb, "&#13;"); return true;
	default:
		/* XML 1.0 has no way to write other C0 controls or U+FFFE/U+FFFF. */
		if (cp >= 0x20 && cp != 0xfffe && cp != 0xffff)
			return false;
		strbuf_addstr(sb, replacement);
		return true;
	}
}

void strbuf_add_utf8(struct strbuf *sb, const char *s, size_t len)
{
	add_escaped(sb, s, len, escape_none);
}

void strbuf_add_xml(struct strbuf *sb, const char *s, size_t len)
{
	add_escaped(sb, s, len, escape_xml);
}
