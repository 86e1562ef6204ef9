/* imp_clean: the validator's text cleaning (imp_clean.h). */
#include "imp_clean.h"

#include <stdint.h>
#include <string.h>

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Text is most of an import's bytes, so imp_clean() looks at it eight bytes at
 * a time (each step: one load and a few word operations). */
#define BYTES(b) (0x0101010101010101ULL * (b))

/* Continuation bytes (10xxxxxx) among the eight bytes of x, without a
 * popcount (a libgcc call on baseline x86-64, no -mpopcnt): one bit a
 * continuation byte, moved to the byte's low bit; the multiply sums the
 * eight bytes (at most 8) into the top one. */
static size_t cont8(uint64_t x)
{
    uint64_t c = (x & ~(x << 1) & BYTES(0x80)) >> 7;
    return (size_t)((c * BYTES(1)) >> 56);
}

/* Bytes from the start of u[0..n) that imp_clean() copies as they are: up to
 * the first C0 control, DEL or 0xC2 (the lead byte of the C1 controls). Adds
 * the continuation bytes among them to *cont, so that the characters are
 * counted in the same pass. */
static size_t plain_run(const unsigned char *u, size_t n, size_t *cont)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, u + i, 8);
        uint64_t del = x ^ BYTES(0x7F), c2 = x ^ BYTES(0xC2);
        /* a byte below 0x20, a zero byte in del or c2: its high bit set */
        uint64_t stop =
            ((x - BYTES(0x20)) & ~x) | ((del - BYTES(1)) & ~del) | ((c2 - BYTES(1)) & ~c2);
        if (stop & BYTES(0x80)) break;
        *cont += cont8(x);
    }
    for (; i < n && u[i] >= 0x20 && u[i] != 0x7f && u[i] != 0xC2; i++)
        *cont += (u[i] & 0xC0) == 0x80;
    return i;
}

size_t imp_clean(const char *s, size_t n, bool multiline, tm_buf *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, cont = 0; /* continuation bytes copied to out */

    tm_buf_reset(out);
    tm_buf_reserve(out, n);
    while (i < n) {
        size_t j = i + plain_run(u + i, n - i, &cont);
        if (j > i) {
            tm_buf_append(out, s + i, j - i);
            i = j;
            continue;
        }
        unsigned char c = u[i];
        if (c == 0xC2) {
            bool c1 = i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F;
            if (!c1 && i + 1 < n) cont += (u[i + 1] & 0xC0) == 0x80;
            if (!c1) tm_buf_append(out, s + i, i + 1 < n ? 2 : 1);
            i += i + 1 < n ? 2 : 1;
            continue;
        }
        if (c == '\n' || c == '\t') tm_buf_putc(out, multiline ? (char)c : ' ');
        i++;
    }
    size_t b = 0, e = out->len;
    while (b < e && is_space(out->p[b]))
        b++;
    while (e > b && is_space(out->p[e - 1]))
        e--;
    if (b) memmove(out->p, out->p + b, e - b);
    out->len = e - b;
    if (out->p) out->p[out->len] = '\0';
    /* The trimmed white space is ASCII: no continuation byte went. */
    return out->len - cont;
}
