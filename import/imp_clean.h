/* imp_clean: how the validator (imp_rec) cleans every text value: control
 * characters out, white space trimmed, the length counted in characters.
 * Text is most of an import's bytes, so it is looked at eight bytes at a
 * time. Pure functions; any thread. */
#ifndef IMP_CLEAN_H
#define IMP_CLEAN_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/tm_buf.h"

/* Copies s[0..n) (valid UTF-8) into out (reset first; NUL-terminated)
 * without control characters (C0, DEL, C1) and without leading and
 * trailing white space. multiline keeps '\n' and '\t'; otherwise they
 * become a space. '\r' goes (CRLF -> LF). Returns the length in
 * characters. */
size_t imp_clean(const char *s, size_t n, bool multiline, tm_buf *out);

#endif
