/*
 * The JSON reports cibox writes and reads back (a run's summary.json, a
 * matrix's matrix.json) go through jansson rather than by hand: a parser
 * escapes what it writes by the rules it reads by, and a report is read
 * whole, so one a step rewrote (a run folder is the steps' to write) is
 * either JSON of the expected shape or refused with one line saying why,
 * never read in part. Strings cibox holds are any bytes (file names,
 * variables); they are written as UTF-8, each byte that is not as U+FFFD.
 * The command line's alone: libcibox writes no JSON.
 */
#ifndef CIBOX_CI_JSONDOC_H
#define CIBOX_CI_JSONDOC_H

#include <stdbool.h>

#include <jansson.h>

#include <cibox/sandbox.h>

#include "util/strbuf.h"

/* `s` as a JSON string, null for NULL; NULL when out of memory. */
json_t *jsondoc_string(const char *s);
/* A duration as reports give it, to the millisecond. */
json_t *jsondoc_seconds(double seconds);
/* doc as cibox writes its reports (two-space indent, members in the order
 * they were set, a final newline) at the end of sb; sb->oom when it cannot. */
void jsondoc_dump(const json_t *doc, struct strbuf *sb);

/* The JSON object in the file `name` of the folder `dir`, which a step may
 * have written: a plain file of at most 16 MiB, reached through no link.
 * NULL with err set to one line, "DIR/NAME: why" (err->code -ENOENT when
 * there is no such file). json_decref() it. */
json_t *jsondoc_read(const char *dir, const char *name, cibox_error *err);

/* obj's member `key` when it is of `type`; NULL with err naming the member
 * when it is missing or of another type. */
json_t *jsondoc_member(const json_t *obj, const char *key, json_type type, cibox_error *err);
/* The string member `key`, which must be one of `allowed` (NULL-terminated)
 * when given. 0, or -EINVAL with err. */
int jsondoc_string_member(const json_t *obj, const char *key, const char *const *allowed,
			  const char **value, cibox_error *err);
/* The number member `key`, from `min` to `max`. 0, or -EINVAL with err. */
int jsondoc_number_member(const json_t *obj, const char *key, double min, double max, double *value,
			  cibox_error *err);
/* The whole-number member `key`, from `min` to `max`. 0, or -EINVAL with err. */
int jsondoc_integer_member(const json_t *obj, const char *key, json_int_t min, json_int_t max,
			   json_int_t *value, cibox_error *err);

#endif
