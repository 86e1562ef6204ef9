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
size_t tm_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* True when s[0..n) is entirely valid UTF-8. */
bool tm_utf8_valid(const char *s, size_t n);

/* Writes cp as UTF-8 into out (4 bytes room); returns the length, 0 if cp
 * is not a scalar value. */
size_t tm_utf8_encode(uint32_t cp, char *out);

#endif
