#include "imp_jdec.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"

/* Each rule below restates one of Jansson 2.14's (src/load.c, src/utf.c,
 * src/strconv.c), including one quirk: its stream drops a NUL byte that the
 * lexer reads and puts back, which happens right after a number or a
 * literal, so json_loadb() reads "1\0" as 1 and "[true\0]" as [true]. */

/* A buffer for the text of a string with escapes (or a long real): on the
 * stack while small, then on the heap, reused for the whole call. */
typedef struct jd_scratch {
    char *p;
    size_t cap;
    char small[256];
} jd_scratch;

typedef struct jdec {
    jd_scratch key, val; /* a pending key, a string value or number */
    json_t **stack;      /* open containers, innermost last */
    size_t depth, cap;
    json_t *small_stack[64];
    json_t *root;
    const char *key_p; /* the key of the next member of stack[depth - 1] */
    size_t key_len;
} jdec;

/* ASCII bytes that end a fast scan of a string: '"', '\\' and control
 * characters. */
/* clang-format off */
static const unsigned char str_stop[128] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};
/* clang-format on */

/* The second byte of a 3-byte sequence by its lead byte's low nibble: E0
 * must not be overlong (A0..BF), ED must not be a surrogate (80..9F), the
 * others take any continuation byte. */
static const unsigned char lead3_lo[16] = {0xA0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                           0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
static const unsigned char lead3_span[16] = {0x1F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,
                                             0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x1F, 0x3F, 0x3F};

#define JD_WS(c) ((c) == ' ' || (c) == '\n' || (c) == '\r' || (c) == '\t')
#define JD_DIGIT(c) ((unsigned)((c) - '0') < 10u)

static const unsigned char *skip_ws(const unsigned char *s, const unsigned char *end)
{
    while (s < end && JD_WS(*s))
        s++;
    return s;
}

/* Room for n bytes in b (its contents are not kept). */
static char *scratch_reserve(jd_scratch *b, size_t n)
{
    if (n > b->cap) {
        size_t cap = b->cap * 2 > n ? b->cap * 2 : n;
        if (b->p != b->small) free(b->p);
        b->p = tm_xmalloc(cap);
        b->cap = cap;
    }
    return b->p;
}

static void scratch_init(jd_scratch *b)
{
    b->p = b->small;
    b->cap = sizeof b->small;
}

static void scratch_free(jd_scratch *b)
{
    if (b->p != b->small) free(b->p);
}

/* The length of the valid UTF-8 sequence (2 to 4 bytes: no overlong form,
 * no surrogate, nothing past U+10FFFF) that starts at s, s[0] >= 0x80, or 0. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t left = (size_t)(end - s);

    if (c < 0xC2) return 0; /* a continuation byte, or an overlong ASCII */
    if (c < 0xE0) return left >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (left < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* U+D800..U+DFFF */
        return 3;
    }
    if (c < 0xF5) {
        if (left < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0; /* past U+10FFFF */
        return 4;
    }
    return 0;
}

/* The value of the 4 hex digits at s, or -1. */
static int32_t hex4(const unsigned char *s)
{
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = s[i];
        v <<= 4;
        if (JD_DIGIT(c))
            v += (int32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v += (int32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v += (int32_t)(c - 'A' + 10);
        else
            return -1;
    }
    return v;
}

/* Decodes a string with escapes: its text is start[0..q) (q at the closing
 * quote), the first escape at s. Returns its bytes in sc, or NULL. */
static const char *string_unescape(const unsigned char *start, const unsigned char *s,
                                   const unsigned char *q, jd_scratch *sc, size_t *len)
{
    /* No escape decodes to more bytes than it takes in the input. */
    char *out = scratch_reserve(sc, (size_t)(q - start));
    char *t = out + (s - start);

    memcpy(out, start, (size_t)(s - start));
    while (s < q) {
        unsigned c = *s;
        if (c >= 0x80) {
            size_t k = utf8_seq(s, q);
            if (!k) return NULL;
            memcpy(t, s, k);
            t += k;
            s += k;
            continue;
        }
        if (c < 0x20) return NULL;
        if (c != '\\') {
            *t++ = (char)c;
            s++;
            continue;
        }
        if (q - s < 2) return NULL;
        switch (s[1]) {
        case '"':
        case '\\':
        case '/':
            *t++ = (char)s[1];
            break;
        case 'b':
            *t++ = '\b';
            break;
        case 'f':
            *t++ = '\f';
            break;
        case 'n':
            *t++ = '\n';
            break;
        case 'r':
            *t++ = '\r';
            break;
        case 't':
            *t++ = '\t';
            break;
        case 'u': {
            if (q - s < 6) return NULL;
            int32_t v = hex4(s + 2);
            if (v <= 0) return NULL; /* bad hex, or \u0000 (Jansson: no NUL) */
            s += 6;
            if (v >= 0xDC00 && v <= 0xDFFF) return NULL; /* a lone low surrogate */
            if (v >= 0xD800 && v <= 0xDBFF) {
                if (q - s < 6 || s[0] != '\\' || s[1] != 'u') return NULL;
                int32_t lo = hex4(s + 2);
                if (lo < 0xDC00 || lo > 0xDFFF) return NULL;
                s += 6;
                v = ((v - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
            }
            if (v < 0x80) {
                *t++ = (char)v;
            } else if (v < 0x800) {
                *t++ = (char)(0xC0 | (v >> 6));
                *t++ = (char)(0x80 | (v & 0x3F));
            } else if (v < 0x10000) {
                *t++ = (char)(0xE0 | (v >> 12));
                *t++ = (char)(0x80 | ((v >> 6) & 0x3F));
                *t++ = (char)(0x80 | (v & 0x3F));
            } else {
                *t++ = (char)(0xF0 | (v >> 18));
                *t++ = (char)(0x80 | ((v >> 12) & 0x3F));
                *t++ = (char)(0x80 | ((v >> 6) & 0x3F));
                *t++ = (char)(0x80 | (v & 0x3F));
            }
            continue;
        }
        default:
            return NULL;
        }
        s += 2;
    }
    *len = (size_t)(t - out);
    return out;
}

/* Scans the string whose opening quote is at *ps. Returns its bytes (in the
 * input, or in sc when it holds escapes) and moves *ps past the closing
 * quote, or returns NULL. */
static const char *scan_string(const unsigned char **ps, const unsigned char *end, jd_scratch *sc,
                               size_t *len)
{
    const unsigned char *start = *ps + 1, *s = start, *q;

    /* Text without escapes, most of a record: ASCII, and the 3-byte
     * sequences of Hangul and CJK checked inline. */
    while (s < end) {
        unsigned c = *s;
        if (c < 0x80) {
            if (str_stop[c]) break;
            s++;
        } else if ((c & 0xF0) == 0xE0 && end - s >= 3) {
            if ((unsigned)(s[1] - lead3_lo[c & 0x0F]) > lead3_span[c & 0x0F] ||
                (s[2] & 0xC0) != 0x80)
                return NULL; /* as utf8_seq() */
            s += 3;
        } else {
            size_t k = utf8_seq(s, end);
            if (!k) return NULL;
            s += k;
        }
    }
    if (s >= end) return NULL;
    if (*s == '"') {
        *ps = s + 1;
        *len = (size_t)(s - start);
        return (const char *)start;
    }
    if (*s != '\\') return NULL; /* a control character */
    /* An escape: find the closing quote, then decode up to it. */
    for (q = s; q < end && *q != '"'; q++)
        if (*q == '\\' && end - q >= 2) q++;
    if (q >= end) return NULL;
    const char *out = string_unescape(start, s, q, sc, len);
    if (out) *ps = q + 1;
    return out;
}

/* Scans the number at *ps (a '-' or a digit): JSON's grammar, an integer
 * when it has no fraction or exponent. Returns a new value or NULL. */
static json_t *scan_number(const unsigned char **ps, const unsigned char *end, jd_scratch *sc)
{
    const unsigned char *start = *ps, *s = start, *digits;
    bool neg = *s == '-', real = false;

    if (neg) s++;
    digits = s;
    if (s >= end || !JD_DIGIT(*s)) return NULL;
    if (*s == '0') {
        s++;
        if (s < end && JD_DIGIT(*s)) return NULL; /* a leading zero */
    } else {
        while (s < end && JD_DIGIT(*s))
            s++;
    }
    const unsigned char *int_end = s;
    if (s < end && *s == '.') {
        real = true;
        s++;
        if (s >= end || !JD_DIGIT(*s)) return NULL;
        while (s < end && JD_DIGIT(*s))
            s++;
    }
    if (s < end && (*s == 'e' || *s == 'E')) {
        real = true;
        s++;
        if (s < end && (*s == '+' || *s == '-')) s++;
        if (s >= end || !JD_DIGIT(*s)) return NULL;
        while (s < end && JD_DIGIT(*s))
            s++;
    }
    *ps = s;

    if (!real) {
        /* strtoll's range: ERANGE is Jansson's "too big integer". */
        uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, u = 0;
        for (const unsigned char *d = digits; d < int_end; d++) {
            unsigned dg = (unsigned)(*d - '0');
            if (u > (limit - dg) / 10) return NULL;
            u = u * 10 + dg;
        }
        json_int_t v;
        if (!neg)
            v = (json_int_t)u;
        else if (u == (uint64_t)INT64_MAX + 1)
            v = INT64_MIN;
        else
            v = -(json_int_t)u;
        return json_integer(v);
    }

    /* strtod wants a NUL-terminated copy. */
    size_t n = (size_t)(s - start);
    char *text = scratch_reserve(sc, n + 1), *stop;
    memcpy(text, start, n);
    text[n] = '\0';
    errno = 0;
    double d = strtod(text, &stop);
    /* A locale whose decimal point is not '.' (techmart sets none) would
     * stop early: refuse, and the caller asks Jansson. */
    if (stop != text + n) return NULL;
    if ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE) return NULL; /* overflow */
    return json_real(d);
}

/* Adds v (stolen) to the innermost open container, or makes it the root.
 * False on a duplicate key or an allocation failure. */
static bool jd_attach(jdec *d, json_t *v)
{
    if (!v) return false;
    if (d->depth == 0) {
        d->root = v;
        return true;
    }
    json_t *top = d->stack[d->depth - 1];
    if (json_is_array(top)) return json_array_append_new(top, v) == 0;
    size_t before = json_object_size(top);
    if (json_object_setn_new_nocheck(top, d->key_p, d->key_len, v)) return false;
    return json_object_size(top) > before; /* else it replaced a duplicate */
}

static void jd_push(jdec *d, json_t *v)
{
    if (d->depth == d->cap) {
        size_t cap = d->cap * 2;
        json_t **st =
            tm_xreallocarray(d->stack == d->small_stack ? NULL : d->stack, cap, sizeof *st);
        if (d->stack == d->small_stack) memcpy(st, d->small_stack, sizeof d->small_stack);
        d->stack = st;
        d->cap = cap;
    }
    d->stack[d->depth++] = v;
}

json_t *imp_jdec(const char *p, size_t n)
{
    const unsigned char *s = (const unsigned char *)p, *end = s + n;
    jdec d;
    json_t *v, *top;
    const char *str;
    size_t len;
    bool ok = false;

    if (!p) return NULL;
    d.stack = d.small_stack;
    d.cap = sizeof d.small_stack / sizeof d.small_stack[0];
    d.depth = 0;
    d.root = NULL;
    d.key_p = NULL;
    d.key_len = 0;
    scratch_init(&d.key);
    scratch_init(&d.val);

value:
    s = skip_ws(s, end);
    if (s >= end) goto out;
    /* Jansson counts every value, a scalar too, against its depth limit. */
    if (d.depth >= JSON_PARSER_MAX_DEPTH) goto out;
    switch (*s) {
    case '{':
    case '[':
        v = *s == '{' ? json_object() : json_array();
        if (!jd_attach(&d, v)) goto out;
        jd_push(&d, v);
        s = skip_ws(s + 1, end);
        if (s < end && *s == (json_is_object(v) ? '}' : ']')) {
            s++;
            d.depth--;
            goto after;
        }
        if (json_is_object(v)) goto key;
        goto value;
    case '"':
        if (!(str = scan_string(&s, end, &d.val, &len))) goto out;
        if (!jd_attach(&d, json_stringn_nocheck(str, len))) goto out;
        goto after;
    case 't':
        if (end - s < 4 || memcmp(s, "true", 4) != 0) goto out;
        s += 4;
        v = json_true();
        break;
    case 'f':
        if (end - s < 5 || memcmp(s, "false", 5) != 0) goto out;
        s += 5;
        v = json_false();
        break;
    case 'n':
        if (end - s < 4 || memcmp(s, "null", 4) != 0) goto out;
        s += 4;
        v = json_null();
        break;
    default:
        if (*s != '-' && !JD_DIGIT(*s)) goto out;
        if (!(v = scan_number(&s, end, &d.val))) goto out;
        break;
    }
    /* A number or a literal: Jansson's stream drops a NUL right after it. */
    if (!jd_attach(&d, v)) goto out;
    if (s < end && *s == '\0') s++;

after:
    s = skip_ws(s, end);
    if (d.depth == 0) {
        ok = s == end;
        goto out;
    }
    if (s >= end) goto out;
    top = d.stack[d.depth - 1];
    if (*s == ',') {
        s = skip_ws(s + 1, end);
        if (json_is_array(top)) goto value;
        goto key;
    }
    if (*s != (json_is_array(top) ? ']' : '}')) goto out;
    s++;
    d.depth--;
    goto after;

key:
    if (s >= end || *s != '"') goto out;
    if (!(d.key_p = scan_string(&s, end, &d.key, &d.key_len))) goto out;
    s = skip_ws(s, end);
    if (s >= end || *s != ':') goto out;
    s++;
    goto value;

out:
    if (d.stack != d.small_stack) free(d.stack);
    scratch_free(&d.key);
    scratch_free(&d.val);
    if (!ok) {
        json_decref(d.root);
        return NULL;
    }
    return d.root;
}
