#include "imp_enc.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "../common/tm_alloc.h"
#include "../common/tm_utf8.h"

/* Bytes of the prefix looked at for the NUL pattern of UTF-16/UTF-32. */
#define ENC_NUL_SCAN ((size_t)4096)
/* A prefix stays utf-8 with this many valid multi-byte characters per
 * invalid byte (CP949 text has about one valid one per ten invalid). */
#define ENC_UTF8_RATIO 4

typedef struct imp_enc {
    FILE *in;
    iconv_t cd;         /* (iconv_t)-1 for utf-8 */
    unsigned char *raw; /* input not yet handed out: raw[pos..len) */
    size_t pos, len, cap;
    bool eof;     /* `in` has nothing more */
    char pend[8]; /* converted bytes that did not fit the caller's buffer */
    size_t ppos, plen;
} imp_enc;

static void enc_free(imp_enc *e)
{
    if (!e) return;
    if (e->cd != (iconv_t)-1) iconv_close(e->cd);
    free(e->raw);
    free(e);
}

/* Reads from `in` into raw[len..cap) until full or end of file; false on a
 * read error. */
static bool enc_fill(imp_enc *e)
{
    size_t want = e->cap - e->len;
    size_t got = fread(e->raw + e->len, 1, want, e->in);
    e->len += got;
    if (got < want) {
        if (ferror(e->in)) return false;
        e->eof = true;
    }
    return true;
}

/* The length of a UTF-8 sequence from its lead byte; 0 if it cannot lead. */
static size_t utf8_lead_len(unsigned char c)
{
    if (c >= 0xC2 && c <= 0xDF) return 2;
    if (c >= 0xE0 && c <= 0xEF) return 3;
    if (c >= 0xF0 && c <= 0xF4) return 4;
    return 0;
}

/* Counts valid multi-byte characters (*ok) and invalid bytes (*bad) of
 * p[0..n); a sequence cut by the end of p counts as neither. */
static void utf8_count(const unsigned char *p, size_t n, size_t *ok, size_t *bad)
{
    size_t i = 0;
    *ok = *bad = 0;
    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t k = tm_utf8_decode(p + i, n - i, &cp);
        if (k) {
            (*ok)++;
            i += k;
            continue;
        }
        size_t want = utf8_lead_len(p[i]), j = 1;
        while (j < n - i && (p[i + j] & 0xC0) == 0x80)
            j++;
        if (want && j == n - i && j < want) return; /* cut by the end */
        (*bad)++;
        i++;
    }
}

/* True when p[0..n) is valid CP949, a character cut at the end allowed. */
static bool cp949_valid(iconv_t cd, const unsigned char *p, size_t n)
{
    char out[4096];
    char *ip = (char *)p;
    size_t il = n;
    bool ok = true;

    while (il > 0) {
        char *op = out;
        size_t ol = sizeof out;
        if (iconv(cd, &ip, &il, &op, &ol) != (size_t)-1) break;
        if (errno == E2BIG) continue;
        ok = errno == EINVAL; /* incomplete at the end: cut, not wrong */
        break;
    }
    (void)iconv(cd, NULL, NULL, NULL, NULL); /* back to the initial state */
    return ok;
}

/* Sets *err when p[0..n), the start of the file, is UTF-16 or UTF-32. */
static int check_wide(const unsigned char *p, size_t n, tm_err *err)
{
    const char *what = NULL;
    size_t z[4] = {0}, c[4] = {0};

    if (n >= 4 && (memcmp(p, "\xFF\xFE\0\0", 4) == 0 || memcmp(p, "\0\0\xFE\xFF", 4) == 0))
        what = "UTF-32";
    else if (n >= 2 && (memcmp(p, "\xFF\xFE", 2) == 0 || memcmp(p, "\xFE\xFF", 2) == 0))
        what = "UTF-16";
    if (n > ENC_NUL_SCAN) n = ENC_NUL_SCAN;
    for (size_t i = 0; i < n; i++) {
        c[i & 3]++;
        z[i & 3] += p[i] == 0;
    }
    size_t zodd = z[1] + z[3], zeven = z[0] + z[2];
    if (what || n < 2) {
        /* a BOM said it, or too little to tell */
    } else if (z[2] + z[3] > 0 && (z[2] + z[3]) * 10 >= (c[2] + c[3]) * 9 && z[0] * 2 < c[0]) {
        what = "UTF-32"; /* little-endian: the two high bytes are 0 */
    } else if (z[0] + z[1] > 0 && (z[0] + z[1]) * 10 >= (c[0] + c[1]) * 9 && z[3] * 2 < c[3]) {
        what = "UTF-32";
    } else if ((zodd > 0 && zodd * 8 >= c[1] + c[3] && zeven * 16 <= zodd) ||
               (zeven > 0 && zeven * 8 >= c[0] + c[2] && zodd * 16 <= zeven)) {
        what = "UTF-16"; /* ASCII characters have a 0 byte, on one side */
    }
    if (!what) return TM_OK;
    return tm_err_set(err, TM_EINVAL, "encoding", "the file is %s; save it as UTF-8 or CP949 CSV",
                      what);
}

/* Emits one byte after what was converted: to buf[*n] when there is room
 * and nothing is pending, else to the pending bytes. */
static void enc_emit(imp_enc *e, char *buf, size_t size, size_t *n, unsigned char b)
{
    if (*n < size && e->plen == 0)
        buf[(*n)++] = (char)b;
    else if (e->plen < sizeof e->pend)
        e->pend[e->plen++] = (char)b;
}

static ssize_t enc_read_utf8(void *cookie, char *buf, size_t size)
{
    imp_enc *e = cookie;

    if (e->pos < e->len) {
        size_t k = e->len - e->pos < size ? e->len - e->pos : size;
        memcpy(buf, e->raw + e->pos, k);
        e->pos += k;
        return (ssize_t)k;
    }
    if (e->eof) return 0;
    size_t got = fread(buf, 1, size, e->in);
    if (got < size) {
        if (ferror(e->in) && got == 0) return -1;
        e->eof = feof(e->in) != 0;
    }
    return (ssize_t)got;
}

static ssize_t enc_read_cp949(void *cookie, char *buf, size_t size)
{
    imp_enc *e = cookie;
    size_t n = 0;

    for (;;) {
        while (n < size && e->ppos < e->plen)
            buf[n++] = e->pend[e->ppos++];
        if (e->ppos == e->plen) e->ppos = e->plen = 0;
        if (n == size) return (ssize_t)n;
        if (e->pos == e->len) {
            if (n > 0 || e->eof) return (ssize_t)n;
            e->pos = e->len = 0;
            if (!enc_fill(e)) return -1;
            if (e->len == 0) return 0;
        }
        /* Convert into buf, or into pend when buf has no room for a
         * character (so a tiny read still makes progress). */
        bool to_pend = size - n < sizeof e->pend;
        char *ip = (char *)e->raw + e->pos, *op = to_pend ? e->pend : buf + n;
        /* (pend keeps a byte free for a byte passed through after it) */
        size_t il = e->len - e->pos, ol = to_pend ? sizeof e->pend - 1 : size - n;
        size_t r = iconv(e->cd, &ip, &il, &op, &ol);
        int why = r == (size_t)-1 ? errno : 0;
        e->pos = (size_t)((unsigned char *)ip - e->raw);
        if (to_pend)
            e->plen = sizeof e->pend - 1 - ol;
        else
            n = size - ol;
        if (why == EILSEQ || (why == EINVAL && e->eof)) {
            /* Not CP949 (or cut by the end of the file): pass it through. */
            enc_emit(e, buf, size, &n, e->raw[e->pos++]);
        } else if (why == EINVAL) {
            /* A character cut by the end of the block: read on behind it. */
            size_t left = e->len - e->pos;
            memmove(e->raw, e->raw + e->pos, left);
            e->pos = 0;
            e->len = left;
            if (!enc_fill(e)) return n > 0 ? (ssize_t)n : -1;
        } else if (why != 0 && why != E2BIG) {
            return n > 0 ? (ssize_t)n : -1;
        }
    }
}

static int enc_close(void *cookie)
{
    enc_free(cookie);
    return 0;
}

static int parse_forced(const char *forced, imp_enc_kind *kind, tm_err *err)
{
    if (strcasecmp(forced, "utf-8") == 0 || strcasecmp(forced, "utf8") == 0) {
        *kind = IMP_ENC_UTF8;
        return TM_OK;
    }
    if (strcasecmp(forced, "cp949") == 0 || strcasecmp(forced, "euc-kr") == 0 ||
        strcasecmp(forced, "euckr") == 0) {
        *kind = IMP_ENC_CP949;
        return TM_OK;
    }
    return tm_err_set(err, TM_EINVAL, "encoding",
                      "unknown encoding \"%.40s\": use utf-8 (or utf8), cp949, euc-kr (or euckr)",
                      forced);
}

FILE *imp_enc_open(FILE *in, const char *forced, imp_enc_info *info, tm_err *err)
{
    imp_enc *e = NULL;
    FILE *out = NULL;
    imp_enc_kind kind = IMP_ENC_UTF8;
    bool bom = false;
    int rc = TM_OK;

    if (forced && (rc = parse_forced(forced, &kind, err)) != TM_OK) goto out;
    e = tm_xcalloc(1, sizeof *e);
    e->in = in;
    e->cd = (iconv_t)-1;
    /* The prefix, in a buffer grown from one block (small files stay small). */
    bool read_ok;
    e->cap = IMP_ENC_BLOCK;
    e->raw = tm_xmalloc(e->cap);
    while ((read_ok = enc_fill(e)) && !e->eof && e->cap < IMP_ENC_PREFIX) {
        e->cap = e->cap * 4 < IMP_ENC_PREFIX ? e->cap * 4 : IMP_ENC_PREFIX;
        e->raw = tm_xrealloc(e->raw, e->cap);
    }
    if (!read_ok) {
        rc = tm_err_set(err, TM_EINVAL, "file", "read error");
        goto out;
    }
    if ((rc = check_wide(e->raw, e->len, err)) != TM_OK) goto out;
    bom = e->len >= 3 && memcmp(e->raw, "\xEF\xBB\xBF", 3) == 0;
    e->pos = bom ? 3 : 0;
    if (forced ? kind == IMP_ENC_CP949 : !bom) {
        e->cd = iconv_open("UTF-8", "CP949");
        if (e->cd == (iconv_t)-1) {
            rc = tm_err_set(err, TM_EINTERNAL, "encoding", "CP949 is not available: %s",
                            strerror(errno));
            goto out;
        }
    }
    if (!forced && !bom) {
        size_t ok, bad;
        utf8_count(e->raw, e->len, &ok, &bad);
        if (bad > 0 && ok < bad * ENC_UTF8_RATIO && cp949_valid(e->cd, e->raw, e->len))
            kind = IMP_ENC_CP949;
    }
    if (kind == IMP_ENC_UTF8 && e->cd != (iconv_t)-1) {
        iconv_close(e->cd);
        e->cd = (iconv_t)-1;
    }
    cookie_io_functions_t io = {
        .read = kind == IMP_ENC_UTF8 ? enc_read_utf8 : enc_read_cp949,
        .close = enc_close,
    };
    if (!(out = fopencookie(e, "r", io))) {
        rc = tm_err_set(err, TM_EINTERNAL, "file", "cannot create the stream: %s", strerror(errno));
        goto out;
    }
    /* After the prefix, read the input a block at a time. */
    e->cap = IMP_ENC_BLOCK;
    if (info) {
        info->kind = kind;
        info->name = kind == IMP_ENC_UTF8 ? "utf-8" : "cp949";
        info->detected = forced == NULL;
        info->bom = bom;
    }
out:
    if (rc != TM_OK) {
        enc_free(e);
        return NULL;
    }
    return out;
}
