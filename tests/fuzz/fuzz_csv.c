/* libFuzzer target for the CSV reader (imp_csv) and CSV imports.
 *
 * Each input is read by imp_csv and, side by side, by a small reference
 * reader written from imp_csv.h alone (one byte at a time over the whole
 * input): both must agree on every record's kind, starting line, fields
 * (bytes and count) and the column a broken record is blamed for. Fields
 * must be NUL-terminated, within the limits, and lines non-decreasing; after
 * the end the whole input is consumed and the end repeats. The comparison
 * runs with the default limits and with small ones, on the input and on the
 * input behind a long record that puts imp_csv's 64 KiB read boundary inside
 * it (after 1, half and all but one of its bytes).
 *
 * Then the input is imported as "fuzz.csv" with imp_stream() (see
 * imp_fuzz.h): the file fails as a whole exactly when its header is broken,
 * and otherwise every record is counted once, the valid ones (by
 * imp_rec_from_row and imp_rec_tech) stored and the others rejected with an
 * issue on their line, without any SQLite error. size % 4 == 1 imports with
 * a forced institution, size % 8 == 3 as a dry run.
 *
 * Build and run from the repository root:
 *   make build/fuzz/fuzz_csv
 *   build/fuzz/fuzz_csv -max_total_time=150 -rss_limit_mb=2048 \
 *       build/fuzz/new_csv tests/fuzz/corpus/csv
 * `make test` replays tests/fuzz/corpus/csv with build/asan/fuzz/replay_csv. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_buf.h"
#include "../../import/imp_csv.h"
#include "imp_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* imp_csv.c reads its file in chunks of this size. */
#define FZ_CHUNK ((size_t)64 * 1024)

/* ---- the reference reader ---- */

typedef struct ref_csv {
    const unsigned char *p;
    size_t n, pos, line;
    imp_csv_limits lim;
    tm_buf data; /* the fields, each followed by a NUL */
    size_t *off, *len;
    size_t nf, cap, fstart;
    bool bad;
    size_t bad_col, rec_line;
    unsigned char sep;
} ref_csv;

/* A reader of p[0..n) that starts on line line (1: at the start of the file,
 * where a byte-order mark is skipped). */
static void ref_open(ref_csv *r, const unsigned char *p, size_t n, size_t line,
                     const imp_csv_limits *lim)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->n = n;
    r->line = line;
    r->lim = *lim;
    if (line == 1 && n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) r->pos = 3;
    r->sep = lim->sep == ';' || lim->sep == '\t' ? (unsigned char)lim->sep : ',';
    if (lim->sep == IMP_CSV_SEP_SNIFF) {
        /* The most frequent of , ; tab outside quotes on the first line,
         * within imp_csv's first read; a tie is ','. */
        size_t comma = 0, semi = 0, tab = 0;
        bool quoted = false;
        for (size_t i = r->pos; i < n && i < FZ_CHUNK; i++) {
            if (p[i] == '"') quoted = !quoted;
            if (quoted) continue;
            if (p[i] == '\n' || p[i] == '\r') break;
            comma += p[i] == ',';
            semi += p[i] == ';';
            tab += p[i] == '\t';
        }
        r->sep = semi > comma && semi > tab ? ';' : tab > comma && tab > semi ? '\t' : ',';
    }
}

static void ref_free(ref_csv *r)
{
    tm_buf_free(&r->data);
    free(r->off);
    free(r->len);
}

static void ref_bad(ref_csv *r, size_t col)
{
    if (r->bad) return;
    r->bad = true;
    r->bad_col = col;
}

static void ref_begin(ref_csv *r)
{
    if (r->nf >= r->lim.cols_max) ref_bad(r, (size_t)-1);
    r->fstart = r->data.len;
}

static void ref_add(ref_csv *r, unsigned char ch)
{
    if (r->bad) return;
    if (r->data.len - r->fstart + 1 > r->lim.field_max) {
        ref_bad(r, r->nf);
        return;
    }
    tm_buf_putc(&r->data, (char)ch);
}

static void ref_end(ref_csv *r)
{
    if (r->bad) return;
    if (r->nf == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->off = tm_xreallocarray(r->off, r->cap, sizeof *r->off);
        r->len = tm_xreallocarray(r->len, r->cap, sizeof *r->len);
    }
    r->off[r->nf] = r->fstart;
    r->len[r->nf] = r->data.len - r->fstart;
    r->nf++;
    tm_buf_putc(&r->data, '\0');
}

/* At '\r' or '\n': one line break (CRLF is one). */
static void ref_eol(ref_csv *r)
{
    if (r->p[r->pos++] == '\r' && r->pos < r->n && r->p[r->pos] == '\n') r->pos++;
    r->line++;
}

static imp_csv_kind ref_next(ref_csv *r)
{
    enum { START, UNQUOTED, QUOTED, QUOTE_SEEN } st = START;

    tm_buf_reset(&r->data);
    r->nf = 0;
    r->bad = false;
    r->bad_col = (size_t)-1;
    while (r->pos < r->n && (r->p[r->pos] == '\r' || r->p[r->pos] == '\n'))
        ref_eol(r);
    if (r->pos >= r->n) return IMP_CSV_END;
    r->rec_line = r->line;
    ref_begin(r);
    for (;;) {
        if (r->pos >= r->n) {
            if (st == QUOTED) ref_bad(r, r->nf);
            ref_end(r);
            break;
        }
        unsigned char ch = r->p[r->pos];
        bool delim = ch == r->sep || ch == '\r' || ch == '\n';
        if (st == START) {
            st = ch == '"' ? QUOTED : UNQUOTED;
            r->pos += ch == '"';
            continue;
        }
        if (st == QUOTED) {
            r->pos++;
            if (ch == '"') {
                st = QUOTE_SEEN;
                continue;
            }
            ref_add(r, ch);
            /* A line break inside quotes is one too: CR, LF or CRLF. */
            if (ch == '\r' && r->pos < r->n && r->p[r->pos] == '\n') ref_add(r, r->p[r->pos++]);
            if (ch == '\r' || ch == '\n') r->line++;
            continue;
        }
        if (st == QUOTE_SEEN && ch == '"') {
            ref_add(r, ch);
            r->pos++;
            st = QUOTED;
            continue;
        }
        if (!delim) {
            if (st == QUOTE_SEEN) ref_bad(r, r->nf);
            st = UNQUOTED;
            ref_add(r, ch);
            r->pos++;
            continue;
        }
        if (ch == r->sep) {
            r->pos++;
            ref_end(r);
            ref_begin(r);
            st = START;
            continue;
        }
        ref_eol(r);
        ref_end(r);
        break;
    }
    return r->bad ? IMP_CSV_BAD : IMP_CSV_ROW;
}

/* ---- imp_csv against the reference ---- */

/* Reads p[0..n) with both readers and compares them record by record. The
 * first pad bytes are one record, a quoted field, that the reference skips.
 * With e (default limits only), also writes down what an import must
 * report. */
static void compare(const unsigned char *p, size_t n, size_t pad, const imp_csv_limits *lim,
                    fz_expect *e, bool forced)
{
    FILE *f = fmemopen((void *)p, n, "rb");
    FZ_ASSERT(f != NULL, "fmemopen");
    imp_csv *c = imp_csv_open(f, lim);
    ref_csv r;
    imp_rec_cols cols = {0};
    tm_str *cells = NULL;
    size_t nrec = 0, prev_line = 1;
    imp_csv_kind kind;

    ref_open(&r, p + pad, n - pad, pad ? 2 : 1, lim);
    if (pad) {
        tm_err err = {0};
        bool fits = pad - 3 <= lim->field_max;
        kind = imp_csv_next(c, &err);
        FZ_ASSERT(kind == (fits ? IMP_CSV_ROW : IMP_CSV_BAD) && imp_csv_line(c) == 1,
                  "the padding record: kind %d, line %zu", (int)kind, imp_csv_line(c));
        FZ_ASSERT(!fits || (imp_csv_nfields(c) == 1 && imp_csv_field(c, 0).len == pad - 3),
                  "the padding record's field");
    }
    do {
        tm_err err = {0};
        kind = imp_csv_next(c, &err);
        imp_csv_kind want = ref_next(&r);
        FZ_ASSERT(kind == want, "record %zu: kind %d, the reference says %d (line %zu) [%s]", nrec,
                  (int)kind, (int)want, r.rec_line, err.msg);
        if (kind == IMP_CSV_END) break;
        size_t line = imp_csv_line(c);
        FZ_ASSERT(line == r.rec_line, "record %zu starts on line %zu, the reference says %zu", nrec,
                  line, r.rec_line);
        FZ_ASSERT(line >= prev_line, "line %zu after line %zu", line, prev_line);
        prev_line = line;
        if (kind == IMP_CSV_BAD) {
            FZ_ASSERT(err.code == TM_EINVAL && err.msg[0], "a bad record without a message");
            FZ_ASSERT(imp_csv_bad_column(c) == r.bad_col, "line %zu: blames column %zu, not %zu",
                      line, imp_csv_bad_column(c), r.bad_col);
        } else {
            size_t nf = imp_csv_nfields(c);
            FZ_ASSERT(nf == r.nf, "line %zu: %zu fields, the reference has %zu", line, nf, r.nf);
            FZ_ASSERT(nf >= 1 && nf <= lim->cols_max, "line %zu: %zu fields", line, nf);
            cells = tm_xreallocarray(cells, nf, sizeof *cells);
            for (size_t i = 0; i < nf; i++) {
                tm_str s = imp_csv_field(c, i);
                FZ_ASSERT(s.len <= lim->field_max && s.p[s.len] == '\0',
                          "line %zu field %zu: %zu bytes", line, i, s.len);
                FZ_ASSERT(s.len == r.len[i] && memcmp(s.p, r.data.p + r.off[i], s.len) == 0,
                          "line %zu field %zu differs from the reference", line, i);
                cells[i] = s;
            }
            FZ_ASSERT(imp_csv_field(c, nf).len == 0, "a field past the last");
        }
        if (e && nrec == 0) {
            /* The header: the file fails when it is broken. */
            e->header_line = line;
            tm_err herr = {0};
            if (kind == IMP_CSV_BAD ||
                imp_rec_cols_init(&cols, cells, imp_csv_nfields(c), forced, &herr) != TM_OK) {
                e->fails = true;
                e->fail_field = "header";
            }
        } else if (e && !e->fails) {
            size_t nf = imp_csv_nfields(c);
            bool empty = kind == IMP_CSV_ROW;
            for (size_t i = 0; i < nf && empty; i++)
                empty = cells[i].len == 0;
            json_t *obj = NULL;
            tm_err rerr = {0};
            bool stored = kind == IMP_CSV_ROW && imp_rec_cols_width_ok(&cols, nf) &&
                          imp_rec_from_row(&cols, cells, nf, &obj, &rerr) == TM_OK &&
                          fz_would_store(obj, forced);
            json_decref(obj);
            if (!empty) fz_expect_record(e, line, stored);
        }
        nrec++;
    } while (kind != IMP_CSV_END);
    tm_err err = {0};
    FZ_ASSERT(imp_csv_next(c, &err) == IMP_CSV_END, "a record after the end");
    FZ_ASSERT(ftell(f) == (long)n, "stopped at byte %ld of %zu", ftell(f), n);
    free(cells);
    imp_rec_cols_free(&cols);
    ref_free(&r);
    imp_csv_free(c);
    fclose(f);
}

/* The input behind a record long enough that imp_csv's first read ends after
 * the input's first k bytes. */
static void compare_split(const uint8_t *data, size_t size, size_t k, const imp_csv_limits *small)
{
    /* The long first record has no separator: a sniff would find ','. */
    static const imp_csv_limits dflt = {IMP_CSV_FIELD_MAX, IMP_CSV_COLS_MAX, ','};
    size_t pad = FZ_CHUNK - k;
    unsigned char *buf = tm_xmalloc(pad + size);
    memset(buf, 'x', pad);
    buf[0] = buf[pad - 2] = '"';
    buf[pad - 1] = '\n';
    memcpy(buf + pad, data, size);
    compare(buf, pad + size, pad, &dflt, NULL, false);
    compare(buf, pad + size, pad, small, NULL, false);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The import sniffs a .csv's separator; the small limits keep ','. */
    static const imp_csv_limits dflt = {IMP_CSV_FIELD_MAX, IMP_CSV_COLS_MAX, IMP_CSV_SEP_SNIFF};
    imp_csv_limits small = {1 + size % 13, 1 + size % 7, ','};
    bool forced = size % 4 == 1, dry_run = size % 8 == 3;
    fz_expect e = {0};

    fz_setup("fuzz_csv");
    /* The import reads the input after imp_enc, which removes a BOM. */
    size_t skip = fz_enc_skip(data, size);
    if (skip) compare(data + skip, size - skip, 0, &dflt, &e, forced);
    compare(data, size, 0, &dflt, skip ? NULL : &e, forced);
    compare(data, size, 0, &small, NULL, false);
    if (size >= 2 && size < FZ_CHUNK) {
        size_t ks[3] = {1, size / 2, size - 1};
        for (size_t i = 0; i < 3; i++)
            if (i == 0 || ks[i] != ks[i - 1]) compare_split(data, size, ks[i], &small);
    }
    fz_import(data, size, "fuzz.csv", IMP_FMT_CSV, dry_run, forced, &e);
    fz_expect_free(&e);
    return 0;
}
