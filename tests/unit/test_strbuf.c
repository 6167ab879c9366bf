#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/strbuf.h"

static void grows_and_stays_terminated(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	assert_string_equal(sb.buf, "");
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%d,", i % 10);
	assert_int_equal(sb.len, 2000);
	assert_int_equal(strlen(sb.buf), 2000);
	strbuf_reset(&sb);
	assert_string_equal(sb.buf, "");
	strbuf_addstr(&sb, "a");
	strbuf_addch(&sb, 'b');
	strbuf_add(&sb, "c\0d", 3);
	assert_int_equal(sb.len, 5);
	assert_memory_equal(sb.buf, "abc\0d", 6);
	strbuf_release(&sb);
}

static void detach_hands_over_the_string(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	char *empty = strbuf_detach(&sb);
	assert_string_equal(empty, "");
	free(empty);
	strbuf_addstr(&sb, "kept");
	char *s = strbuf_detach(&sb);
	assert_string_equal(s, "kept");
	assert_int_equal(sb.len, 0);
	free(s);
}

static void reads_a_whole_descriptor(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], "over\nthe pipe", 13), 13);
	close(fds[1]);
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(strbuf_read_fd(&sb, fds[0]), 0);
	close(fds[0]);
	assert_string_equal(sb.buf, "over\nthe pipe");
	strbuf_release(&sb);
}

static const char *utf8(const char *s, size_t len)
{
	static char out[256];
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_utf8(&sb, s, len);
	snprintf(out, sizeof out, "%s", sb.buf);
	strbuf_release(&sb);
	return out;
}

static const char *xml(const char *s, size_t len)
{
	static char out[256];
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_xml(&sb, s, len);
	snprintf(out, sizeof out, "%s", sb.buf);
	strbuf_release(&sb);
	return out;
}

#define S(lit) lit, sizeof lit - 1

static void utf8_is_kept_and_what_is_not_replaced(void **state)
{
	(void)state;
	assert_string_equal(utf8(S("plain \"quoted\"\n\x01")), "plain \"quoted\"\n\x01");
	assert_string_equal(utf8(S("\xc3\xbc \xe2\x9c\x93 \xf0\x9f\x98\x80")),
			    "\xc3\xbc \xe2\x9c\x93 \xf0\x9f\x98\x80");
	/* a stray byte, a truncated sequence, an overlong form, a surrogate */
	assert_string_equal(utf8(S("a\xff"
				   "b")),
			    "a\xef\xbf\xbd"
			    "b");
	assert_string_equal(utf8(S("\xe2\x9c")), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(utf8(S("\xc0\xaf")), "\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(utf8(S("\xed\xa0\x80")), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

static void xml_escapes_markup_and_drops_what_xml_cannot_hold(void **state)
{
	(void)state;
	assert_string_equal(xml(S("<a href=\"x\">&'</a>")),
			    "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
	assert_string_equal(xml(S("l1\nl2\t")), "l1&#10;l2&#9;");
	assert_string_equal(xml(S("\x01\x1b[31m")), "\xef\xbf\xbd\xef\xbf\xbd[31m");
	assert_string_equal(xml(S("\xef\xbf\xbe")), "\xef\xbf\xbd");
	assert_string_equal(xml(S("ok \xc3\xa9 \xff")), "ok \xc3\xa9 \xef\xbf\xbd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(grows_and_stays_terminated),
		cmocka_unit_test(detach_hands_over_the_string),
		cmocka_unit_test(reads_a_whole_descriptor),
		cmocka_unit_test(utf8_is_kept_and_what_is_not_replaced),
		cmocka_unit_test(xml_escapes_markup_and_drops_what_xml_cannot_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
