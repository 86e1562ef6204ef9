/* imp_json: streaming readers of JSON records from a FILE.
 *
 * Two layouts: JSON Lines (one object a line; blank lines skipped; CRLF
 * accepted) and a JSON array of objects, read element by element. Neither
 * holds more than one record in memory: a line or element longer than the
 * record limit is skipped (and reported) without being stored. A UTF-8
 * byte-order mark at the start is skipped.
 *
 * A record that is not valid JSON, or not an object, comes back as
 * IMP_JSON_BAD with Jansson's message and the column, and the reader goes on
 * with the next line or element. In an array, text that breaks the array
 * itself (a missing ',' or ']', the file ending inside an element) is
 * reported once as IMP_JSON_BAD and ends the reading; a file that does not
 * start with '[' is IMP_JSON_FAIL.
 *
 * Ownership: imp_json_open() allocates, imp_json_free() frees (NULL is a
 * no-op); each object returned is the caller's (json_decref). The FILE stays
 * the caller's. One thread at a time. */
#ifndef IMP_JSON_H
#define IMP_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "../common/tm_err.h"

/* Bytes in one line or array element. */
#define IMP_JSON_RECORD_MAX ((size_t)1 << 20)

typedef enum {
    IMP_JSON_RECORD, /* *obj is a JSON object */
    IMP_JSON_BAD,    /* a broken record, skipped: *err says why */
    IMP_JSON_END,    /* no more records */
    IMP_JSON_FAIL,   /* the file cannot be read as records: *err says why */
} imp_json_kind;

typedef struct imp_json imp_json;

/* A reader of f: JSON Lines, or a JSON array when array is true. record_max
 * 0 means IMP_JSON_RECORD_MAX. Never fails. */
imp_json *imp_json_open(FILE *f, bool array, size_t record_max);
void imp_json_free(imp_json *r);

/* Reads the next record into *obj (NULL unless IMP_JSON_RECORD). */
imp_json_kind imp_json_next(imp_json *r, json_t **obj, tm_err *err) TM_MUST_CHECK;

/* The line (1-based) where the last record read (or reported) starts. */
size_t imp_json_line(const imp_json *r);

#endif
