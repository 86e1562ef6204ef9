#include "tm_buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm_alloc.h"

void tm_buf_reserve(tm_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1) extra = SIZE_MAX; /* tm_xrealloc aborts below */
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->p = tm_xrealloc(b->p, cap);
    b->cap = cap;
}

void tm_buf_append(tm_buf *b, const void *data, size_t n)
{
    tm_buf_reserve(b, n);
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void tm_buf_puts(tm_buf *b, const char *s)
{
    tm_buf_append(b, s, strlen(s));
}

void tm_buf_putc(tm_buf *b, char c)
{
    tm_buf_append(b, &c, 1);
}

void tm_buf_printf(tm_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0) {
        tm_buf_reserve(b, (size_t)n);
        (void)vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
}

void tm_buf_append_html(tm_buf *b, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        tm_buf_append(b, s + start, i - start);
        tm_buf_puts(b, rep);
        start = i + 1;
    }
    tm_buf_append(b, s + start, n - start);
}

void tm_buf_reset(tm_buf *b)
{
    b->len = 0;
    if (b->p) b->p[0] = '\0';
}

const char *tm_buf_cstr(tm_buf *b)
{
    return b->p ? b->p : "";
}

char *tm_buf_steal(tm_buf *b)
{
    char *p = b->p ? b->p : tm_xstrdup("");
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void tm_buf_free(tm_buf *b)
{
    if (!b) return;
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}
