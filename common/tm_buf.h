/* tm_buf: a growing byte buffer, always NUL-terminated after `len` bytes.
 *
 * Owns `p`; free with tm_buf_free(). A zeroed tm_buf is a valid empty buffer
 * (p may be NULL until the first append; use tm_buf_cstr() for a C string).
 * Growth aborts on exhaustion (tm_alloc); callers bound input sizes first. */
#ifndef TM_BUF_H
#define TM_BUF_H

#include <stddef.h>

#include "tm_err.h"

typedef struct tm_buf {
    char *p;
    size_t len;
    size_t cap;
} tm_buf;

void tm_buf_reserve(tm_buf *b, size_t extra);
void tm_buf_append(tm_buf *b, const void *data, size_t n);
void tm_buf_puts(tm_buf *b, const char *s);
void tm_buf_putc(tm_buf *b, char c);
void tm_buf_printf(tm_buf *b, const char *fmt, ...) TM_PRINTF(2, 3);
/* Appends s with &<>"' escaped for HTML text and attribute values. */
void tm_buf_append_html(tm_buf *b, const char *s, size_t n);
/* Empties the buffer, keeping its memory. */
void tm_buf_reset(tm_buf *b);
/* The contents as a C string ("" when empty); valid until the next append. */
const char *tm_buf_cstr(tm_buf *b);
/* Hands the contents to the caller (free() them) and leaves b empty. */
char *tm_buf_steal(tm_buf *b);
void tm_buf_free(tm_buf *b);

#endif
