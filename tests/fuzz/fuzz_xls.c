/* libFuzzer target for the .xls row reader (imp_xls, imp_cfb, imp_xlsfmt).
 *
 * Each input is opened from memory (imp_xls_open_mem) with the default
 * limits, with small ones, and by sheet name. Either the open fails with
 * TM_EINVAL, field "file", a printable UTF-8 message and no reader, or every
 * row comes back in order: lines strictly increasing and at most 65,536,
 * ROW rows with the sheet's field count (within cols_max), fields
 * NUL-terminated, within field_max and valid UTF-8, never a row of empty
 * fields; BAD rows with a message and a column inside the limits; the END
 * repeats. With the default limits nothing may be BAD unless a cell is past
 * column 256 or over 1 MiB. (The importer's .xls path, imp_prod.c, is
 * fuzzed through this reader.)
 *
 * So that mutations reach the BIFF records and not only the container, each
 * input is also wrapped, as is, as the Workbook stream of a sound compound
 * file (fx_wrap), and read the same way; the stream_*.bin seeds are bare
 * streams (make_xls.py --stream).
 *
 * Build and run from the repository root:
 *   make build/fuzz/fuzz_xls
 *   build/fuzz/fuzz_xls -max_total_time=150 -max_len=4096 -rss_limit_mb=2048 \
 *       build/fuzz/new_xls tests/fuzz/corpus/xls
 * `make test` replays tests/fuzz/corpus/xls with build/asan/fuzz/replay_xls.
 * The seeds come from tests/data/make_xls.py --mini (under 4 KB: the stream
 * lives in the mini stream) and crafted containers. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_utf8.h"
#include "../../import/imp_xls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FX_ASSERT(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_xls: " __VA_ARGS__);                                             \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void fx_check_msg(const tm_err *err)
{
    size_t n = strlen(err->msg);
    FX_ASSERT(err->code == TM_EINVAL && n > 0, "code %d, message [%s]", (int)err->code, err->msg);
    FX_ASSERT(tm_utf8_valid(err->msg, n), "message [%s] is not UTF-8", err->msg);
}

/* Reads the input whole; returns the number of ROW rows (or -1: no open). */
static long fx_read(const uint8_t *data, size_t size, const char *sheet, const imp_xls_limits *lim)
{
    imp_xls *x = (imp_xls *)1;
    tm_err err = {0};
    size_t prev = 0, nf = 0;
    long rows = 0;
    imp_xls_kind kind;

    if (imp_xls_open_mem(data, size, sheet, lim, &x, &err) != TM_OK) {
        FX_ASSERT(x == NULL, "a failed open left a reader");
        FX_ASSERT(strcmp(err.field, "file") == 0, "open failed on field [%s]", err.field);
        fx_check_msg(&err);
        return -1;
    }
    nf = imp_xls_nfields(x);
    FX_ASSERT(nf <= lim->cols_max, "%zu fields, limit %zu", nf, lim->cols_max);
    while ((kind = imp_xls_next(x, &err)) != IMP_XLS_END && kind != IMP_XLS_FAIL) {
        size_t line = imp_xls_line(x);
        FX_ASSERT(line > prev && line <= 65536, "line %zu after %zu", line, prev);
        prev = line;
        if (kind == IMP_XLS_BAD) {
            fx_check_msg(&err);
            size_t col = imp_xls_bad_column(x);
            FX_ASSERT(col == (size_t)-1 || col < lim->cols_max, "line %zu blames column %zu", line,
                      col);
            FX_ASSERT(lim->cols_max < IMP_XLS_COLS_MAX || lim->field_max < IMP_XLS_FIELD_MAX ||
                          col == (size_t)-1,
                      "line %zu: a cell over 1 MiB", line);
            continue;
        }
        FX_ASSERT(kind == IMP_XLS_ROW, "kind %d", (int)kind);
        FX_ASSERT(imp_xls_nfields(x) == nf, "line %zu: %zu fields, not %zu", line,
                  imp_xls_nfields(x), nf);
        bool empty = true;
        for (size_t i = 0; i < nf; i++) {
            tm_str s = imp_xls_field(x, i);
            FX_ASSERT(s.len <= lim->field_max && s.p[s.len] == '\0', "line %zu field %zu", line, i);
            FX_ASSERT(tm_utf8_valid(s.p, s.len), "line %zu field %zu is not UTF-8", line, i);
            empty = empty && s.len == 0;
        }
        FX_ASSERT(!empty, "line %zu: an empty row", line);
        FX_ASSERT(imp_xls_field(x, nf).len == 0, "a field past the last");
        rows++;
    }
    if (kind == IMP_XLS_FAIL)
        fx_check_msg(&err);
    else
        FX_ASSERT(imp_xls_next(x, &err) == IMP_XLS_END, "a row after the end");
    imp_xls_free(x);
    return rows;
}

static void fx_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> 8 * i);
}

static void fx_dir_entry(uint8_t *e, const char *name, uint8_t type, uint32_t child, uint32_t start,
                         uint32_t size)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < n; i++)
        e[2 * i] = (uint8_t)name[i];
    e[64] = (uint8_t)(2 * (n + 1));
    e[66] = type;
    fx_put32(e + 68, 0xFFFFFFFF);
    fx_put32(e + 72, 0xFFFFFFFF);
    fx_put32(e + 76, child);
    fx_put32(e + 116, start);
    fx_put32(e + 120, size);
}

/* s[0..n) as the Workbook stream of a version-3 compound file: the header,
 * the FAT in sector 0, the stream (zero-padded to the 4,096-byte cutoff) in
 * sectors 1.., the directory last. NULL when the FAT cannot hold it. */
static uint8_t *fx_wrap(const uint8_t *s, size_t n, size_t *out_n)
{
    size_t len = n < 4096 ? 4096 : n, nsec = (len + 511) / 512;
    if (nsec + 2 > 128) return NULL;
    uint8_t *f = calloc(512 * (nsec + 3), 1), *fat = f + 512, *dir = f + 512 * (nsec + 2);
    memcpy(f, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
    f[24] = 0x3E, f[26] = 3, f[28] = 0xFE, f[29] = 0xFF, f[30] = 9, f[32] = 6;
    fx_put32(f + 44, 1);
    fx_put32(f + 48, (uint32_t)nsec + 1);
    fx_put32(f + 56, 4096);
    fx_put32(f + 60, 0xFFFFFFFE);
    fx_put32(f + 68, 0xFFFFFFFE);
    memset(f + 76, 0xFF, 512 - 76);
    fx_put32(f + 76, 0);
    memset(fat, 0xFF, 512);
    fx_put32(fat, 0xFFFFFFFD);
    for (size_t i = 1; i < nsec; i++)
        fx_put32(fat + 4 * i, (uint32_t)i + 1);
    fx_put32(fat + 4 * nsec, 0xFFFFFFFE);
    fx_put32(fat + 4 * (nsec + 1), 0xFFFFFFFE);
    memcpy(f + 1024, s, n);
    fx_dir_entry(dir, "Root Entry", 5, 1, 0xFFFFFFFE, 0);
    fx_dir_entry(dir + 128, "Workbook", 2, 0xFFFFFFFF, 1, (uint32_t)len);
    *out_n = 512 * (nsec + 3);
    return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const imp_xls_limits dflt = {IMP_XLS_FIELD_MAX, IMP_XLS_COLS_MAX};
    imp_xls_limits small = {1 + size % 13, 1 + size % 7};

    long a = fx_read(data, size, NULL, &dflt);
    long b = fx_read(data, size, NULL, &small);
    FX_ASSERT((a < 0) == (b < 0), "the limits changed whether the file opens");
    /* The seeds' sheet, by name (found or not, the same checks). */
    (void)fx_read(data, size, "국가연구개발성과", &dflt);

    size_t wn = 0;
    uint8_t *w = fx_wrap(data, size, &wn);
    if (w) {
        a = fx_read(w, wn, NULL, &dflt);
        b = fx_read(w, wn, NULL, &small);
        FX_ASSERT((a < 0) == (b < 0), "the limits changed whether the stream opens");
        free(w);
    }
    return 0;
}
