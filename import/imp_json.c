#include "imp_json.h"

#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"
#include "imp_jdec.h"

#define JSON_CHUNK ((size_t)64 * 1024)

/* Where an array reader is. */
enum { A_START, A_ELEM, A_AFTER_ELEM, A_AFTER_ARRAY, A_DONE };

struct imp_json {
    FILE *f;
    bool array;
    size_t max;
    unsigned char *buf; /* unread input: buf[beg..end) */
    size_t cap, beg, end;
    size_t scan; /* JSON Lines: no '\n' in buf[beg..scan) */
    bool eof, ioerr;
    size_t line;     /* line of buf[beg] */
    size_t col;      /* array: characters before buf[beg] on its line */
    size_t rec_line; /* line where the last record starts */
    int astate;
    tm_buf elem; /* array: the element being read */
};

imp_json *imp_json_open(FILE *f, bool array, size_t record_max)
{
    imp_json *r = tm_xcalloc(1, sizeof *r);
    r->f = f;
    r->array = array;
    r->max = record_max ? record_max : IMP_JSON_RECORD_MAX;
    r->cap = JSON_CHUNK;
    r->buf = tm_xmalloc(r->cap);
    r->line = 1;
    r->astate = A_START;
    return r;
}

void imp_json_free(imp_json *r)
{
    if (!r) return;
    free(r->buf);
    tm_buf_free(&r->elem);
    free(r);
}

size_t imp_json_line(const imp_json *r)
{
    return r->rec_line;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* Jansson's message, in words a user can act on for the errors a broken or
 * hostile file gives (its own text quotes the undecodable bytes, which would
 * make the message itself invalid UTF-8). */
static const char *parse_reason(const json_error_t *je)
{
    switch (json_error_code(je)) {
    case json_error_invalid_utf8:
        return "the text is not valid UTF-8 (save the file as UTF-8)";
    case json_error_stack_overflow:
        return "arrays or objects are nested too deeply (more than 2048 levels)";
    case json_error_null_character:
        return "a string holds a NUL character (\\u0000)";
    case json_error_null_byte_in_key:
        return "a key holds a NUL character (\\u0000)";
    default:
        return je->text;
    }
}

/* Parses one record of n bytes that starts on line line0 after col0
 * characters of that line. */
static imp_json_kind parse(const char *p, size_t n, size_t line0, size_t col0, json_t **obj,
                           tm_err *err)
{
    json_error_t je;
    /* imp_jdec builds what json_loadb would, several times faster; it fails
     * exactly where Jansson does, which then says why. */
    json_t *v = imp_jdec(p, n);
    if (!v) v = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!v) {
        if (je.line > 1)
            tm_err_set(err, TM_EINVAL, NULL, "invalid JSON at line %zu, column %d: %s",
                       line0 + (size_t)je.line - 1, je.column, parse_reason(&je));
        else
            tm_err_set(err, TM_EINVAL, NULL, "invalid JSON at column %zu: %s",
                       col0 + (size_t)(je.column > 0 ? je.column : 1), parse_reason(&je));
        return IMP_JSON_BAD;
    }
    if (!json_is_object(v)) {
        tm_err_set(err, TM_EINVAL, NULL, "expected a JSON object, found %s", type_name(v));
        json_decref(v);
        return IMP_JSON_BAD;
    }
    *obj = v;
    return IMP_JSON_RECORD;
}

/* ---- JSON Lines ---- */

/* The next line without its '\n' in *p, *n; *p NULL when it was longer than
 * the limit (and skipped). Returns 1, 0 at the end, -1 on a read error. */
static int next_line(imp_json *r, const unsigned char **p, size_t *n)
{
    bool skipping = false;
    for (;;) {
        unsigned char *nl =
            r->scan < r->end ? memchr(r->buf + r->scan, '\n', r->end - r->scan) : NULL;
        if (nl || (r->eof && (r->end > r->beg || skipping))) {
            size_t stop = nl ? (size_t)(nl - r->buf) : r->end;
            skipping = skipping || stop - r->beg > r->max;
            r->rec_line = r->line++;
            *p = skipping ? NULL : r->buf + r->beg;
            *n = skipping ? 0 : stop - r->beg;
            r->beg = r->scan = nl ? stop + 1 : stop;
            return 1;
        }
        if (r->eof) return 0;
        r->scan = r->end;
        if (r->end - r->beg > r->max) skipping = true;
        if (skipping) {
            r->beg = r->scan = r->end = 0;
        } else if (r->beg > 0) {
            memmove(r->buf, r->buf + r->beg, r->end - r->beg);
            r->end -= r->beg;
            r->scan -= r->beg;
            r->beg = 0;
        }
        /* A line may grow to max bytes: grow the buffer up to that. */
        if (r->cap - r->end < JSON_CHUNK / 2 && r->cap < r->max + JSON_CHUNK) {
            r->cap = r->cap * 2 < r->max + JSON_CHUNK ? r->cap * 2 : r->max + JSON_CHUNK;
            r->buf = tm_xrealloc(r->buf, r->cap);
        }
        size_t k = fread(r->buf + r->end, 1, r->cap - r->end, r->f);
        if (k == 0) {
            r->eof = true;
            if (ferror(r->f)) {
                r->ioerr = true;
                return -1;
            }
        }
        r->end += k;
    }
}

static imp_json_kind lines_next(imp_json *r, json_t **obj, tm_err *err)
{
    const unsigned char *p;
    size_t n;
    int rc;
    while ((rc = next_line(r, &p, &n)) == 1) {
        if (!p) {
            tm_err_set(err, TM_EINVAL, NULL, "the line is longer than %zu bytes", r->max);
            return IMP_JSON_BAD;
        }
        if (r->rec_line == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
            n -= 3;
        }
        if (n && p[n - 1] == '\r') n--;
        size_t i = 0;
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
            i++;
        if (i == n) continue; /* blank */
        return parse((const char *)p, n, r->rec_line, 0, obj, err);
    }
    if (rc < 0) {
        tm_err_set(err, TM_EINVAL, "file", "read error");
        return IMP_JSON_FAIL;
    }
    return IMP_JSON_END;
}

/* ---- JSON array ---- */

static bool afill(imp_json *r)
{
    if (r->beg < r->end) return true;
    if (r->eof) return false;
    r->beg = 0;
    r->end = fread(r->buf, 1, r->cap, r->f);
    if (r->end == 0) {
        r->eof = true;
        r->ioerr = ferror(r->f) != 0;
        return false;
    }
    return true;
}

/* The next byte without taking it, or -1 at the end. */
static int apeek(imp_json *r)
{
    return afill(r) ? r->buf[r->beg] : -1;
}

static void aadvance(imp_json *r)
{
    unsigned char c = r->buf[r->beg++];
    if (c == '\n') {
        r->line++;
        r->col = 0;
    } else if ((c & 0xC0) != 0x80) {
        r->col++;
    }
}

static bool is_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skips white space; returns the next byte or -1. */
static int askip(imp_json *r)
{
    int c;
    while ((c = apeek(r)) >= 0 && is_ws(c))
        aadvance(r);
    return c;
}

static imp_json_kind read_error(imp_json *r, tm_err *err)
{
    r->astate = A_DONE;
    tm_err_set(err, TM_EINVAL, "file", "read error");
    return IMP_JSON_FAIL;
}

/* Reads one element: finds where it ends by tracking strings and nesting,
 * then lets Jansson parse it. */
static imp_json_kind read_elem(imp_json *r, json_t **obj, tm_err *err)
{
    int c = apeek(r);
    bool bare = c != '{' && c != '[' && c != '"';
    bool in_str = false, esc = false, big = false;
    size_t depth = 0, col0 = r->col;

    tm_buf_reset(&r->elem);
    r->rec_line = r->line;
    r->astate = A_AFTER_ELEM;
    for (;;) {
        if ((c = apeek(r)) < 0) {
            if (r->ioerr) return read_error(r, err);
            r->astate = A_DONE;
            tm_err_set(err, TM_EINVAL, NULL, "the file ends inside this record");
            return IMP_JSON_BAD;
        }
        if (bare && (c == ',' || c == ']' || is_ws(c))) break;
        aadvance(r);
        if (!big && r->elem.len >= r->max) big = true;
        if (!big) tm_buf_putc(&r->elem, (char)c);
        if (bare) continue;
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            if (!in_str && depth == 0) break; /* the end of a string scalar */
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            break;
        }
    }
    if (big) {
        tm_err_set(err, TM_EINVAL, NULL, "the record is longer than %zu bytes", r->max);
        return IMP_JSON_BAD;
    }
    return parse(r->elem.p, r->elem.len, r->rec_line, col0, obj, err);
}

static imp_json_kind array_next(imp_json *r, json_t **obj, tm_err *err)
{
    int c;
    for (;;) {
        switch (r->astate) {
        case A_START:
            while (r->end < 3 && !r->eof) {
                size_t k = fread(r->buf + r->end, 1, r->cap - r->end, r->f);
                if (k == 0) {
                    r->eof = true;
                    r->ioerr = ferror(r->f) != 0;
                }
                r->end += k;
            }
            if (r->ioerr) return read_error(r, err);
            if (r->end >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) r->beg = 3;
            c = askip(r);
            if (c < 0) {
                r->astate = A_DONE;
                if (r->ioerr) return read_error(r, err);
                return IMP_JSON_END; /* an empty file */
            }
            if (c != '[') {
                r->astate = A_DONE;
                tm_err_set(err, TM_EINVAL, "file",
                           "line %zu: expected '[': a .json file holds an array of records",
                           r->line);
                return IMP_JSON_FAIL;
            }
            aadvance(r);
            r->astate = A_ELEM;
            break;
        case A_ELEM:
            c = askip(r);
            if (c == ']') { /* an empty array, or a trailing comma: both harmless */
                aadvance(r);
                r->astate = A_AFTER_ARRAY;
                break;
            }
            if (c < 0) {
                if (r->ioerr) return read_error(r, err);
                r->rec_line = r->line;
                r->astate = A_DONE;
                tm_err_set(err, TM_EINVAL, NULL, "the file ends before the array is closed");
                return IMP_JSON_BAD;
            }
            return read_elem(r, obj, err);
        case A_AFTER_ELEM:
            c = askip(r);
            if (c == ',') {
                aadvance(r);
                r->astate = A_ELEM;
                break;
            }
            if (c == ']') {
                aadvance(r);
                r->astate = A_AFTER_ARRAY;
                break;
            }
            if (c < 0 && r->ioerr) return read_error(r, err);
            r->astate = A_DONE;
            if (c < 0) {
                r->rec_line = r->line;
                tm_err_set(err, TM_EINVAL, NULL, "the file ends before the array is closed");
            } else {
                size_t after = r->rec_line;
                r->rec_line = r->line;
                tm_err_set(err, TM_EINVAL, NULL,
                           "column %zu: expected ',' or ']' after the record of line %zu; "
                           "the rest of the file is not read",
                           r->col + 1, after);
            }
            return IMP_JSON_BAD;
        case A_AFTER_ARRAY:
            c = askip(r);
            r->astate = A_DONE;
            if (c < 0) return r->ioerr ? read_error(r, err) : IMP_JSON_END;
            r->rec_line = r->line;
            tm_err_set(err, TM_EINVAL, NULL, "text after the closing ']' is not read");
            return IMP_JSON_BAD;
        default:
            return IMP_JSON_END;
        }
    }
}

imp_json_kind imp_json_next(imp_json *r, json_t **obj, tm_err *err)
{
    *obj = NULL;
    return r->array ? array_next(r, obj, err) : lines_next(r, obj, err);
}
