/* tm_utf8: strict UTF-8 decoding (no overlongs, surrogates or values past
 * U+10FFFF), shared by the tokenizer, the query parser, the snippet builder
 * and the importers so that all agree on what a valid string is. */
#ifndef TM_UTF8_H
#define TM_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one code point at s[0..n). Returns its length in bytes (1-4) and
 * stores it in *cp; returns 0 for an invalid or truncated sequence (then *cp
 * is U+FFFD and the caller should skip one byte). n must be > 0. */
/* Inline: the tokenizer and snippets call it once per character. */
static inline size_t tm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    uint32_t v;
    size_t len;
    uint32_t min;

    *cp = 0xFFFD;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        v = c & 0x1F;
        len = 2;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        v = c & 0x0F;
        len = 3;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        v = c & 0x07;
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

/* True when s[0..n) is entirely valid UTF-8. */
bool tm_utf8_valid(const char *s, size_t n);

/* Writes cp as UTF-8 into out (4 bytes room); returns the length, 0 if cp
 * is not a scalar value. */
size_t tm_utf8_encode(uint32_t cp, char *out);

#endif
