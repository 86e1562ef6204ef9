/* libFuzzer target for imp_norm (dates, patent numbers, IPC cells).
 *
 * Each input, cut at its first NUL, goes through every function. Properties:
 * a date is rejected with a message or is "" or a YYYY-MM-DD that reads back
 * as itself; a patent number is rejected with a message, or is none (empty),
 * or normalises to text that normalises to itself with the same kind, KIPO
 * numbers in their exact shape with country KR, others without white space
 * at the ends or twice in a row; the parts of a split cell are non-empty,
 * trimmed slices of it; IPC entries are non-empty, trimmed, distinct, and
 * reading them back (joined by '|') gives them again.
 *
 * Build and run from the repository root:
 *   make build/fuzz/fuzz_norm
 *   build/fuzz/fuzz_norm -max_total_time=60 build/fuzz/new_norm tests/fuzz/corpus/norm
 * `make test` replays tests/fuzz/corpus/norm with build/asan/fuzz/replay_norm. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_alloc.h"
#include "../../common/tm_buf.h"
#include "../../import/imp_norm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_norm: " __VA_ARGS__);                                                \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

static bool ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool shape(const char *s, const char *pat)
{
    for (; *pat; s++, pat++)
        if (*pat == '9' ? !(*s >= '0' && *s <= '9') : *s != *pat) return false;
    return *s == '\0';
}

static void check_date(const char *in)
{
    char out[11], again[11];
    tm_err err = {0};
    if (imp_norm_date(in, out, &err) != TM_OK) {
        if (err.code != TM_EINVAL || !err.msg[0] || out[0]) FAIL("date: a bad rejection");
        return;
    }
    if (!out[0]) return;
    if (!shape(out, "9999-99-99")) FAIL("date: [%s]", out);
    if (imp_norm_date(out, again, &err) != TM_OK || strcmp(out, again) != 0)
        FAIL("date: [%s] does not read back", out);
}

static void check_patent(const char *in, imp_norm_pnum_kind prefer)
{
    imp_norm_pnum p, q;
    tm_err err = {0};
    if (imp_norm_patent_as(in, prefer, &p, &err) != TM_OK) {
        if (err.code != TM_EINVAL || !err.msg[0]) FAIL("patent: a bad rejection");
        return;
    }
    size_t n = strlen(p.text);
    if (p.kind == IMP_NORM_PNUM_NONE) {
        if (n || p.country[0]) FAIL("patent: none with text");
        return;
    }
    if (!n || ws(p.text[0]) || ws(p.text[n - 1])) FAIL("patent: [%s] untrimmed", p.text);
    if (p.kind == IMP_NORM_PNUM_APPLICATION && !shape(p.text, "99-9999-9999999"))
        FAIL("patent: application [%s]", p.text);
    if (p.kind == IMP_NORM_PNUM_REGISTRATION && !shape(p.text, "99-9999999"))
        FAIL("patent: registration [%s]", p.text);
    if ((p.kind == IMP_NORM_PNUM_OTHER) != (p.country[0] == '\0')) FAIL("patent: country");
    for (size_t i = 0; i + 1 < n; i++)
        if (ws(p.text[i]) && ws(p.text[i + 1])) FAIL("patent: [%s] has two spaces", p.text);
    if (imp_norm_patent_as(p.text, prefer, &q, &err) != TM_OK || q.kind != p.kind ||
        strcmp(q.text, p.text) != 0)
        FAIL("patent: [%s] does not read back", p.text);
}

static void check_split(const char *in)
{
    tm_str parts[8];
    size_t n = imp_norm_split_patents(in, parts, 8), len = strlen(in);
    for (size_t i = 0; i < n && i < 8; i++) {
        tm_str s = parts[i];
        if (s.len == 0 || s.p < in || s.p + s.len > in + len || ws(s.p[0]) || ws(s.p[s.len - 1]))
            FAIL("split: part %zu", i);
    }
}

static void check_ipc(const char *in)
{
    idx_strv v = {0}, w = {0};
    tm_buf joined = {0};
    tm_err err = {0};
    if (imp_norm_ipc(in, &v, &err) != TM_OK) FAIL("ipc: rejected");
    for (size_t i = 0; i < v.n; i++) {
        size_t n = strlen(v.v[i]);
        if (!n || ws(v.v[i][0]) || ws(v.v[i][n - 1])) FAIL("ipc: entry [%s]", v.v[i]);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(v.v[i], v.v[j])) FAIL("ipc: [%s] twice", v.v[i]);
        if (i) tm_buf_putc(&joined, '|');
        tm_buf_puts(&joined, v.v[i]);
    }
    if (imp_norm_ipc(tm_buf_cstr(&joined), &w, &err) != TM_OK || w.n != v.n)
        FAIL("ipc: [%s] reads back as %zu entries, not %zu", tm_buf_cstr(&joined), w.n, v.n);
    for (size_t i = 0; i < v.n; i++)
        if (strcmp(v.v[i], w.v[i]) != 0) FAIL("ipc: [%s] reads back as [%s]", v.v[i], w.v[i]);
    idx_strv_clear(&v);
    idx_strv_clear(&w);
    tm_buf_free(&joined);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = tm_xmalloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    check_date(s);
    check_patent(s, IMP_NORM_PNUM_NONE);
    check_patent(s, IMP_NORM_PNUM_APPLICATION);
    check_split(s);
    check_ipc(s);
    (void)imp_norm_is_blank(s);
    free(s);
    return 0;
}
