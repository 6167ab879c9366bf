/*
 * A growable string, NUL-terminated at every step, after git's strbuf: the
 * runner builds reports, shell snippets and log tails with it. An allocation
 * failure is sticky instead of returned by every call: the buffer stops
 * growing, `oom` is set, and the owner checks it once before using the text.
 */
#ifndef CIBOX_UTIL_STRBUF_H
#define CIBOX_UTIL_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf; /* never NULL: "" until something is added */
	size_t len;
	size_t alloc;
	bool oom;
};

extern char strbuf_empty[];
#define STRBUF_INIT                                                                                \
	{                                                                                          \
		strbuf_empty, 0, 0, false                                                          \
	}

void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
/* Hands the string to the caller (free() it); NULL after an allocation failure. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
bool strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
__attribute__((format(printf, 2, 3))) void strbuf_addf(struct strbuf *sb, const char *fmt, ...);

/* Appends everything readable from fd until end of file; negative errno on a
 * read error. */
int strbuf_read_fd(struct strbuf *sb, int fd);

/* `s` as valid UTF-8, each byte that is not part of a well-formed sequence
 * as U+FFFD: file names and variables are any bytes, JSON text is UTF-8. */
void strbuf_add_utf8(struct strbuf *sb, const char *s, size_t len);
/* `s` as XML 1.0 character data or attribute value: markup characters as
 * entities, characters XML cannot carry at all (most C0 controls, invalid
 * UTF-8) as U+FFFD. */
void strbuf_add_xml(struct strbuf *sb, const char *s, size_t len);

#endif
