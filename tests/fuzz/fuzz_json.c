/* libFuzzer target for the JSON readers (imp_json: JSON Lines and arrays)
 * and JSON imports.
 *
 * The first byte chooses: bit 0 a JSON array (.json) rather than JSON Lines
 * (.jsonl), bit 1 a dry run, bit 2 a forced institution; the rest is the
 * file. It is read by imp_json and, side by side, by a small reference
 * reader written from imp_json.h alone (over the whole input at once, with
 * Jansson parsing each record as imp_json does): both must agree on every
 * record's kind, starting line and object; lines are non-decreasing; the
 * end repeats; JSON Lines are read to the last byte. The comparison runs
 * with the default record limit and a small one, on the input and on the
 * input behind a padding record that puts imp_json's 64 KiB read boundary
 * inside it (JSON Lines: after 1, half and all but one of its bytes; an
 * array, for half of the inputs by size: after half of them, as the array
 * reader takes the padding one byte at a time, which is slow).
 *
 * Then the input is imported as "fuzz.jsonl" or "fuzz.json" with
 * imp_stream() (see imp_fuzz.h): the file fails as a whole exactly when the
 * reader fails, and otherwise every record is counted once, the valid ones
 * (by imp_rec_tech) stored and the others rejected with an issue on their
 * line, without any SQLite error.
 *
 * Build and run from the repository root:
 *   make build/fuzz/fuzz_json
 *   build/fuzz/fuzz_json -max_total_time=150 -rss_limit_mb=2048 \
 *       build/fuzz/new_json tests/fuzz/corpus/json
 * `make test` replays tests/fuzz/corpus/json with build/asan/fuzz/replay_json. */
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../import/imp_json.h"
#include "../../import/imp_map.h"
#include "imp_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* imp_json.c reads its file in chunks of this size. */
#define FZ_CHUNK ((size_t)64 * 1024)

/* ---- the reference reader ---- */

enum { A_START, A_ELEM, A_AFTER_ELEM, A_AFTER_ARRAY, A_DONE };

typedef struct ref_json {
    const unsigned char *p;
    size_t n, pos, line, max, rec_line;
    bool array;
    int st;
} ref_json;

/* A reader of p[0..n); an array reader starts at byte pos, in the array
 * when pos > 0 (after a padding element and its comma). */
static void ref_open(ref_json *r, const unsigned char *p, size_t n, bool array, size_t max,
                     size_t pos)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->n = n;
    r->array = array;
    r->max = max;
    r->line = 1;
    r->pos = pos;
    r->st = pos ? A_ELEM : A_START;
}

static imp_json_kind ref_parse(const unsigned char *p, size_t n, json_t **obj)
{
    json_error_t je;
    json_t *v = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (v && json_is_object(v)) {
        *obj = v;
        return IMP_JSON_RECORD;
    }
    json_decref(v);
    return IMP_JSON_BAD;
}

/* The JSON Lines rules restated from imp_json.h, by index rather than by
 * pointer so that it is not the reader's own code: a line is up to '\n';
 * the file's BOM (first line only) and a line's final CR are not content;
 * a line of only spaces, tabs and CRs is skipped. */
static imp_json_kind ref_lines_next(ref_json *r, json_t **obj)
{
    while (r->pos < r->n) {
        size_t start = r->pos, end = start;
        while (end < r->n && r->p[end] != '\n')
            end++;
        r->rec_line = r->line++;
        r->pos = end < r->n ? end + 1 : end;
        if (end - start > r->max) return IMP_JSON_BAD;
        if (r->rec_line == 1 && end - start >= 3 && r->p[start] == 0xEF &&
            r->p[start + 1] == 0xBB && r->p[start + 2] == 0xBF)
            start += 3;
        if (end > start && r->p[end - 1] == '\r') end--;
        bool blank = true;
        for (size_t i = start; i < end && blank; i++)
            blank = r->p[i] == ' ' || r->p[i] == '\t' || r->p[i] == '\r';
        if (!blank) return ref_parse(r->p + start, end - start, obj);
    }
    return IMP_JSON_END;
}

static bool ref_ws(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Skips white space; the next byte or -1. */
static int ref_skip(ref_json *r)
{
    for (; r->pos < r->n; r->pos++) {
        if (!ref_ws(r->p[r->pos])) return r->p[r->pos];
        r->line += r->p[r->pos] == '\n';
    }
    return -1;
}

static void ref_take(ref_json *r)
{
    r->line += r->p[r->pos++] == '\n';
}

/* One element: a string, an object or an array ends where its text does,
 * anything else at ',', ']' or white space. */
static imp_json_kind ref_elem(ref_json *r, json_t **obj)
{
    size_t start = r->pos, depth = 0;
    int c0 = r->p[start];
    bool bare = c0 != '{' && c0 != '[' && c0 != '"', in_str = false, esc = false;

    r->rec_line = r->line;
    r->st = A_AFTER_ELEM;
    for (;;) {
        if (r->pos >= r->n) {
            r->st = A_DONE;
            return IMP_JSON_BAD;
        }
        int c = r->p[r->pos];
        if (bare && (c == ',' || c == ']' || ref_ws(c))) break;
        ref_take(r);
        if (bare) continue;
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            if (!in_str && depth == 0) break;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            break;
        }
    }
    if (r->pos - start > r->max) return IMP_JSON_BAD;
    return ref_parse(r->p + start, r->pos - start, obj);
}

static imp_json_kind ref_array_next(ref_json *r, json_t **obj)
{
    int c;
    for (;;) {
        switch (r->st) {
        case A_START:
            if (r->n >= 3 && memcmp(r->p, "\xEF\xBB\xBF", 3) == 0) r->pos = 3;
            c = ref_skip(r);
            r->st = A_DONE;
            if (c < 0) return IMP_JSON_END;
            if (c != '[') return IMP_JSON_FAIL;
            ref_take(r);
            r->st = A_ELEM;
            break;
        case A_ELEM:
            c = ref_skip(r);
            if (c == ']') {
                ref_take(r);
                r->st = A_AFTER_ARRAY;
                break;
            }
            if (c >= 0) return ref_elem(r, obj);
            r->rec_line = r->line;
            r->st = A_DONE;
            return IMP_JSON_BAD;
        case A_AFTER_ELEM:
            c = ref_skip(r);
            if (c == ',' || c == ']') {
                ref_take(r);
                r->st = c == ',' ? A_ELEM : A_AFTER_ARRAY;
                break;
            }
            r->rec_line = r->line;
            r->st = A_DONE;
            return IMP_JSON_BAD;
        case A_AFTER_ARRAY:
            c = ref_skip(r);
            r->st = A_DONE;
            if (c < 0) return IMP_JSON_END;
            r->rec_line = r->line;
            return IMP_JSON_BAD;
        default:
            return IMP_JSON_END;
        }
    }
}

static imp_json_kind ref_next(ref_json *r, json_t **obj)
{
    *obj = NULL;
    return r->array ? ref_array_next(r, obj) : ref_lines_next(r, obj);
}

/* ---- imp_json against the reference ---- */

/* Reads p[0..n) with both readers and compares them record by record. An
 * array's first pad bytes are "[", a padding element and ",", which the
 * reference skips (JSON Lines' padding is a line it reads). With e (default
 * limit only), also writes down what an import must report. */
static void compare(const unsigned char *p, size_t n, bool array, size_t max, size_t pad,
                    fz_expect *e, bool forced)
{
    FILE *f = fmemopen((void *)p, n, "rb");
    FZ_ASSERT(f != NULL, "fmemopen");
    imp_json *rd = imp_json_open(f, array, max);
    ref_json r;
    size_t nrec = 0, prev_line = 1;
    imp_json_kind kind;

    ref_open(&r, p, n, array, max, array ? pad : 0);
    if (array && pad) {
        json_t *obj = NULL;
        tm_err err = {0};
        kind = imp_json_next(rd, &obj, &err);
        FZ_ASSERT(kind == IMP_JSON_BAD && !obj && imp_json_line(rd) == 1,
                  "the padding element: kind %d, line %zu", (int)kind, imp_json_line(rd));
    }
    for (;; nrec++) {
        json_t *obj = NULL, *want_obj = NULL;
        tm_err err = {0};
        kind = imp_json_next(rd, &obj, &err);
        imp_json_kind want = ref_next(&r, &want_obj);
        FZ_ASSERT(kind == want, "record %zu: kind %d, the reference says %d (line %zu) [%s]", nrec,
                  (int)kind, (int)want, r.rec_line, err.msg);
        FZ_ASSERT((obj != NULL) == (kind == IMP_JSON_RECORD), "an object with kind %d", (int)kind);
        if (kind == IMP_JSON_END) break;
        if (kind == IMP_JSON_FAIL) {
            FZ_ASSERT(err.code == TM_EINVAL && strcmp(err.field, "file") == 0 && err.msg[0],
                      "a failure without a message");
            if (e) {
                e->fails = true;
                e->fail_field = "file";
            }
            break;
        }
        size_t line = imp_json_line(rd);
        FZ_ASSERT(line == r.rec_line, "record %zu starts on line %zu, the reference says %zu", nrec,
                  line, r.rec_line);
        FZ_ASSERT(line >= prev_line, "line %zu after line %zu", line, prev_line);
        prev_line = line;
        if (kind == IMP_JSON_BAD) {
            FZ_ASSERT(err.code == TM_EINVAL && err.msg[0], "a bad record without a message");
        } else {
            FZ_ASSERT(json_is_object(obj) && json_equal(obj, want_obj),
                      "line %zu: the object differs from the reference", line);
        }
        if (e) {
            /* The importer maps a record's keys (imp_map) before validating it. */
            json_t *rec = NULL;
            tm_err merr = {0};
            bool stored = kind == IMP_JSON_RECORD &&
                          imp_map_json(NULL, obj, NULL, &rec, &merr) == TM_OK &&
                          fz_would_store(rec, forced);
            json_decref(rec);
            fz_expect_record(e, line, stored);
        }
        json_decref(obj);
        json_decref(want_obj);
    }
    if (kind == IMP_JSON_END) {
        json_t *obj = NULL;
        tm_err err = {0};
        FZ_ASSERT(imp_json_next(rd, &obj, &err) == IMP_JSON_END && !obj, "a record after the end");
        if (!array) FZ_ASSERT(ftell(f) == (long)n, "stopped at byte %ld of %zu", ftell(f), n);
    }
    FZ_ASSERT(ftell(f) <= (long)n, "read past the end");
    imp_json_free(rd);
    fclose(f);
}

/* The input behind a padding record long enough that imp_json's first read
 * ends after the input's first k bytes. In an array the padding is a
 * string element: "[" + it + "," replaces the input's own "[" if any. */
static void compare_split(const uint8_t *data, size_t size, bool array, size_t k, size_t max)
{
    size_t skip = 0;
    if (array) {
        while (skip < size && ref_ws(data[skip]))
            skip++;
        skip = skip < size && data[skip] == '[' ? skip + 1 : 0;
        if (k <= skip) return;
    }
    size_t pad = FZ_CHUNK - (k - skip);
    unsigned char *buf = tm_xmalloc(pad + size - skip);
    /* ']' stops Jansson at once (a run of letters is read to its end). */
    memset(buf, array ? 'x' : ']', pad);
    if (array) {
        memcpy(buf, "[\"", 2);
        memcpy(buf + pad - 2, "\",", 2);
    } else {
        buf[pad - 1] = '\n';
    }
    memcpy(buf + pad, data + skip, size - skip);
    compare(buf, pad + size - skip, array, max, pad, NULL, false);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    bool array = data[0] & 1, dry_run = data[0] & 2, forced = data[0] & 4;
    size_t small = 8 + size % 57;
    fz_expect e = {0};

    fz_setup("fuzz_json");
    data++;
    size--;
    /* The import reads the input after imp_enc, which removes a BOM. */
    size_t skip = fz_enc_skip(data, size);
    if (skip) compare(data + skip, size - skip, array, IMP_JSON_RECORD_MAX, 0, &e, forced);
    compare(data, size, array, IMP_JSON_RECORD_MAX, 0, skip ? NULL : &e, forced);
    compare(data, size, array, small, 0, NULL, false);
    if (size >= 2 && size < FZ_CHUNK && !array) {
        size_t ks[3] = {size / 2, 1, size - 1};
        for (size_t i = 0; i < 3; i++) {
            if (i > 0 && ks[i] == ks[i - 1]) continue;
            compare_split(data, size, false, ks[i], IMP_JSON_RECORD_MAX);
            compare_split(data, size, false, ks[i], small);
        }
    } else if (size >= 2 && size < FZ_CHUNK && size % 4 < 2) {
        /* The array reader takes its padding a byte at a time: slow. */
        compare_split(data, size, true, size / 2, size % 4 ? small : IMP_JSON_RECORD_MAX);
    }
    fz_import(data, size, array ? "fuzz.json" : "fuzz.jsonl", array ? IMP_FMT_JSON : IMP_FMT_JSONL,
              dry_run, forced, &e);
    fz_expect_free(&e);
    return 0;
}
