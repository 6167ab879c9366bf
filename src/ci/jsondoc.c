#include "ci/jsondoc.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/beneath.h"
#include "util/error.h"

/* Far more than any report holds (a summary with thousands of steps and
 * variables is a few hundred KiB), and little enough to parse in memory. */
#define JSONDOC_MAX (16 << 20)

json_t *jsondoc_string(const char *s)
{
	if (!s)
		return json_null();
	struct strbuf utf8 = STRBUF_INIT;
	strbuf_add_utf8(&utf8, s, strlen(s));
	json_t *value = utf8.oom ? NULL : json_stringn(utf8.buf, utf8.len);
	strbuf_release(&utf8);
	return value;
}

json_t *jsondoc_seconds(double seconds)
{
	/* Durations are never negative: adding half rounds them. */
	return json_real((double)(long long)(seconds * 1000 + 0.5) / 1000);
}

static int add_to_strbuf(const char *text, size_t len, void *data)
{
	struct strbuf *sb = data;
	strbuf_add(sb, text, len);
	return sb->oom ? -1 : 0;
}

void jsondoc_dump(const json_t *doc, struct strbuf *sb)
{
	/* 15 significant digits print a millisecond as written (2.501, not
	 * 2.5009999999999999) for any duration short of thirty thousand years. */
	if (json_dump_callback(doc, add_to_strbuf, sb, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) < 0)
		sb->oom = true;
	strbuf_addch(sb, '\n');
}

/* At most `max` + 1 bytes of fd: one more than allowed tells it is too big. */
static int read_bounded(int fd, struct strbuf *sb, size_t max)
{
	while (sb->len <= max) {
		if (!strbuf_grow(sb, 65536))
			return -ENOMEM;
		size_t room = sb->alloc - sb->len - 1;
		if (room > max + 1 - sb->len)
			room = max + 1 - sb->len;
		ssize_t n = read(fd, sb->buf + sb->len, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
	}
	return 0;
}

/* jansson quotes the text near a syntax error: from a file a step wrote,
 * that may be terminal escapes. Printable ASCII alone reaches the line. */
static void printable(char *text)
{
	for (; *text; text++)
		if (*text < 0x20 || *text > 0x7e)
			*text = '?';
}

static json_t *parse(const char *path, const struct strbuf *text, cibox_error *err)
{
	json_error_t jerr;
	/* Duplicate keys would let a reader and jq each see another value. */
	json_t *doc = json_loadb(text->buf, text->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc) {
		printable(jerr.text);
		error_set(err, -EINVAL, "%s: not valid JSON: line %d, column %d: %s", path,
			  jerr.line, jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		error_set(err, -EINVAL, "%s: not a report: a JSON object was expected", path);
		return NULL;
	}
	return doc;
}

json_t *jsondoc_read(const char *dir, const char *name, cibox_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	/* Not blocking: a named pipe in its place would wait for a writer. */
	int fd = dirfd < 0 ? -errno : beneath_open(dirfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (dirfd >= 0)
		close(dirfd);
	if (fd < 0) {
		error_set(err, fd, "%s: %s", path, beneath_strerror(fd));
		return NULL;
	}
	struct stat st;
	struct strbuf text = STRBUF_INIT;
	json_t *doc = NULL;
	int rc;
	if (fstat(fd, &st) < 0)
		error_set(err, -errno, "%s: %s", path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		error_set(err, -EINVAL, "%s: not a plain file, refused", path);
	else if ((rc = read_bounded(fd, &text, JSONDOC_MAX)) < 0)
		error_set(err, rc, "%s: %s", path, strerror(-rc));
	else if (text.len > JSONDOC_MAX)
		error_set(err, -EFBIG, "%s: larger than %d MiB, more than any report, refused",
			  path, JSONDOC_MAX >> 20);
	else
		doc = parse(path, &text, err);
	close(fd);
	strbuf_release(&text);
	return doc;
}

static const char *type_name(json_type type)
{
	switch (type) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "a whole number";
	case JSON_REAL: return "a number";
	case JSON_NULL: return "null";
	default: return "true or false";
	}
}

json_t *jsondoc_member(const json_t *obj, const char *key, json_type type, cibox_error *err)
{
	json_t *value = json_object_get(obj, key);
	if (!value)
		error_set(err, -EINVAL, "\"%s\" is missing", key);
	else if (json_typeof(value) != type)
		error_set(err, -EINVAL, "\"%s\" is not %s", key, type_name(type));
	else
		return value;
	return NULL;
}

int jsondoc_string_member(const json_t *obj, const char *key, const char *const *allowed,
			  const char **value, cibox_error *err)
{
	const json_t *member = jsondoc_member(obj, key, JSON_STRING, err);
	if (!member)
		return -EINVAL;
	*value = json_string_value(member);
	if (!allowed)
		return 0;
	struct strbuf list = STRBUF_INIT;
	for (size_t i = 0; allowed[i]; i++) {
		if (strcmp(*value, allowed[i]) == 0) {
			strbuf_release(&list);
			return 0;
		}
		strbuf_addf(&list, "%s%s", i ? ", " : "", allowed[i]);
	}
	/* The value itself stays out of the line: it may be anything. */
	error_set(err, -EINVAL, "\"%s\" is none of %s", key, list.buf);
	strbuf_release(&list);
	return -EINVAL;
}

int jsondoc_number_member(const json_t *obj, const char *key, double min, double max, double *value,
			  cibox_error *err)
{
	const json_t *member = json_object_get(obj, key);
	if (!member)
		return error_set(err, -EINVAL, "\"%s\" is missing", key);
	if (!json_is_number(member))
		return error_set(err, -EINVAL, "\"%s\" is not a number", key);
	*value = json_number_value(member);
	if (!(*value >= min && *value <= max))
		return error_set(err, -EINVAL, "\"%s\" is out of range (%g to %g)", key, min, max);
	return 0;
}

int jsondoc_integer_member(const json_t *obj, const char *key, json_int_t min, json_int_t max,
			   json_int_t *value, cibox_error *err)
{
	const json_t *member = jsondoc_member(obj, key, JSON_INTEGER, err);
	if (!member)
		return -EINVAL;
	*value = json_integer_value(member);
	if (*value < min || *value > max)
		return error_set(err, -EINVAL,
				 "\"%s\" is out of range (%" JSON_INTEGER_FORMAT
				 " to %" JSON_INTEGER_FORMAT ")",
				 key, min, max);
	return 0;
}
