/* libFuzzer target for the encoding layer (imp_enc).
 *
 * Each input is read through imp_enc_open() detected, forced utf-8 and
 * forced cp949, each with large, small and unbuffered (1-3 byte) reads:
 *   - opening fails only with field "encoding" and a UTF-16/UTF-32 message,
 *     and only for input that starts with such a BOM or holds a NUL byte;
 *   - utf-8 gives back the input exactly, less a leading UTF-8 BOM;
 *   - cp949 gives what a reference decoder written from imp_enc.h gives: one
 *     character at a time, each byte iconv cannot take as the start of a
 *     1- or 2-byte CP949 character passed through as it is;
 *   - detection picks utf-8 for valid UTF-8, and its output is that of the
 *     encoding it reports; every read size gives the same bytes.
 * Every 64th input is also read as cp949 behind ASCII padding that puts the
 * detection-prefix end and a 64 KiB block end inside it.
 *
 * Build and run from the repository root:
 *   make build/fuzz/fuzz_enc
 *   build/fuzz/fuzz_enc -max_total_time=60 build/fuzz/new_enc tests/fuzz/corpus/enc
 * `make test` replays tests/fuzz/corpus/enc with build/asan/fuzz/replay_enc. */
#include <iconv.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_alloc.h"
#include "../../common/tm_buf.h"
#include "../../common/tm_utf8.h"
#include "../../import/imp_enc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EZ_ASSERT(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_enc: check failed: " #cond ": " __VA_ARGS__);                    \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static iconv_t ref_cd = (iconv_t)-1;

/* Converts exactly p[0..n) from CP949 into out; false if iconv refuses. */
static bool ref_conv(const unsigned char *p, size_t n, tm_buf *out)
{
    char tmp[16], *ip = (char *)p, *op = tmp;
    size_t il = n, ol = sizeof tmp;
    (void)iconv(ref_cd, NULL, NULL, NULL, NULL); /* a fresh state each time */
    if (iconv(ref_cd, &ip, &il, &op, &ol) == (size_t)-1 || il != 0) return false;
    tm_buf_append(out, tmp, sizeof tmp - ol);
    return true;
}

/* The reference CP949 decoder: characters of one or two bytes, anything
 * else one raw byte. */
static void ref_cp949(const unsigned char *p, size_t n, tm_buf *out)
{
    for (size_t i = 0; i < n;) {
        if (p[i] < 0x80) { /* CP949's ASCII half */
            tm_buf_putc(out, (char)p[i++]);
        } else if (i + 1 < n && ref_conv(p + i, 2, out)) {
            i += 2;
        } else {
            if (!ref_conv(p + i, 1, out)) tm_buf_putc(out, (char)p[i]);
            i++;
        }
    }
}

/* Reads p[0..n) through imp_enc with forced (NULL: detect) and reads of
 * chunk bytes (< 4: unbuffered). Returns the stream's bytes in *out, or
 * false with *err when opening failed. */
static bool run(const uint8_t *p, size_t n, const char *forced, size_t chunk, imp_enc_info *info,
                tm_buf *out, tm_err *err)
{
    static char empty[1];
    FILE *in = fmemopen(n ? (void *)p : empty, n, "rb");
    EZ_ASSERT(in != NULL, "fmemopen");
    FILE *u = imp_enc_open(in, forced, info, err);
    if (!u) {
        fclose(in);
        return false;
    }
    if (chunk < 4) setvbuf(u, NULL, _IONBF, 0);
    char buf[8192];
    size_t k, want = chunk < sizeof buf ? chunk : sizeof buf;
    while ((k = fread(buf, 1, want, u)) > 0)
        tm_buf_append(out, buf, k);
    EZ_ASSERT(!ferror(u), "a read error on a memory stream");
    fclose(u);
    fclose(in);
    return true;
}

static bool looks_wide(const uint8_t *p, size_t n)
{
    return memchr(p, 0, n) ||
           (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)));
}

static bool same(const tm_buf *a, const void *p, size_t n)
{
    return a->len == n && (n == 0 || memcmp(a->p, p, n) == 0);
}

/* The input behind ASCII padding, with the input again where the first
 * 64 KiB block after the prefix ends: read as cp949, it must decode like
 * the reference. */
static void check_split(const uint8_t *data, size_t size)
{
    size_t k = 1 + size / 2, pad1 = IMP_ENC_PREFIX - k;
    size_t total = IMP_ENC_PREFIX + IMP_ENC_BLOCK - k + size;
    unsigned char *p = tm_xmalloc(total);
    memset(p, 'x', total);
    memcpy(p + pad1, data, size);
    memcpy(p + total - size, data, size);
    tm_buf got = {0}, want = {0};
    tm_err err = {0};
    if (run(p, total, "cp949", 65536, NULL, &got, &err)) {
        ref_cp949(p, total, &want);
        EZ_ASSERT(same(&got, want.p, want.len), "cp949 behind padding differs");
    }
    tm_buf_free(&got);
    tm_buf_free(&want);
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const forced[3] = {NULL, "utf-8", "cp949"};
    static const size_t chunks[3] = {65536, 7, 1};
    tm_buf out[3][3] = {{{0}}};
    imp_enc_info info[3] = {{0}};
    bool opened[3] = {false};
    bool bom = size >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0;

    if (ref_cd == (iconv_t)-1) ref_cd = iconv_open("UTF-8", "CP949");
    EZ_ASSERT(ref_cd != (iconv_t)-1, "iconv_open CP949");
    for (size_t f = 0; f < 3; f++) {
        for (size_t c = 0; c < 3; c++) {
            tm_err err = {0};
            bool ok = run(data, size, forced[f], chunks[c], &info[f], &out[f][c], &err);
            EZ_ASSERT(c == 0 || ok == opened[f], "opens with one read size only");
            opened[f] = ok;
            if (!ok) {
                EZ_ASSERT(err.code == TM_EINVAL && strcmp(err.field, "encoding") == 0 &&
                              (strstr(err.msg, "UTF-16") || strstr(err.msg, "UTF-32")),
                          "unexpected error: %s: %s", err.field, err.msg);
                EZ_ASSERT(looks_wide(data, size), "%s for input without NUL or BOM", err.msg);
                break;
            }
            EZ_ASSERT(same(&out[f][c], out[f][0].p, out[f][0].len), "read size %zu differs",
                      chunks[c]);
        }
    }
    /* The wide check comes before any encoding, forced or not. */
    EZ_ASSERT(opened[0] == opened[1] && opened[1] == opened[2], "forced changes the wide check");
    if (opened[0]) {
        const uint8_t *body = data + (bom ? 3 : 0);
        size_t blen = size - (bom ? 3 : 0);
        EZ_ASSERT(same(&out[1][0], body, blen), "utf-8 is not a pass-through");
        EZ_ASSERT(info[1].kind == IMP_ENC_UTF8 && !info[1].detected && info[1].bom == bom,
                  "forced utf-8 info");
        EZ_ASSERT(info[2].kind == IMP_ENC_CP949 && !info[2].detected && info[2].bom == bom,
                  "forced cp949 info");
        tm_buf want = {0};
        ref_cp949(body, blen, &want);
        EZ_ASSERT(same(&out[2][0], want.p, want.len), "cp949 differs from the reference");
        tm_buf_free(&want);
        EZ_ASSERT(info[0].detected && info[0].bom == bom, "detected info");
        if (bom || tm_utf8_valid((const char *)data, size))
            EZ_ASSERT(info[0].kind == IMP_ENC_UTF8, "valid UTF-8 detected as %s", info[0].name);
        size_t g = info[0].kind == IMP_ENC_UTF8 ? 1 : 2;
        EZ_ASSERT(same(&out[0][0], out[g][0].p, out[g][0].len), "detected %s differs from forced",
                  info[0].name);
    }
    if (size > 0 && size % 64 == 0) check_split(data, size);
    for (size_t f = 0; f < 3; f++)
        for (size_t c = 0; c < 3; c++)
            tm_buf_free(&out[f][c]);
    return 0;
}
