#include "srv_jw.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void srv_jw_init(srv_jw *w, tm_buf *out)
{
    memset(w, 0, sizeof *w);
    w->out = out;
}

/* Before any value or key: the comma that separates it from the last. */
static void sep(srv_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->need_comma[w->depth]) tm_buf_putc(w->out, ',');
    w->need_comma[w->depth] = true;
}

static void jw_open(srv_jw *w, char c)
{
    sep(w);
    tm_buf_putc(w->out, c);
    /* Deeper than the writer tracks is a programming error; stay valid JSON
     * by sharing the last level's comma state. */
    if (w->depth < SRV_JW_DEPTH - 1) w->depth++;
    w->need_comma[w->depth] = false;
}

static void jw_close(srv_jw *w, char c)
{
    tm_buf_putc(w->out, c);
    if (w->depth > 0) w->depth--;
}

void srv_jw_obj(srv_jw *w)
{
    jw_open(w, '{');
}

void srv_jw_obj_end(srv_jw *w)
{
    jw_close(w, '}');
}

void srv_jw_arr(srv_jw *w)
{
    jw_open(w, '[');
}

void srv_jw_arr_end(srv_jw *w)
{
    jw_close(w, ']');
}

static void put_string(tm_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    tm_buf_reserve(b, n + 2);
    tm_buf_putc(b, '"');
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        tm_buf_append(b, s + start, i - start);
        start = i + 1;
        switch (c) {
        case '"':
            tm_buf_puts(b, "\\\"");
            break;
        case '\\':
            tm_buf_puts(b, "\\\\");
            break;
        case '\n':
            tm_buf_puts(b, "\\n");
            break;
        case '\r':
            tm_buf_puts(b, "\\r");
            break;
        case '\t':
            tm_buf_puts(b, "\\t");
            break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            tm_buf_append(b, u, sizeof u);
        }
        }
    }
    tm_buf_append(b, s + start, n - start);
    tm_buf_putc(b, '"');
}

void srv_jw_key(srv_jw *w, const char *key)
{
    sep(w);
    put_string(w->out, key, strlen(key));
    tm_buf_putc(w->out, ':');
    w->after_key = true;
}

void srv_jw_strn(srv_jw *w, const char *s, size_t n)
{
    if (!s) {
        srv_jw_null(w);
        return;
    }
    sep(w);
    put_string(w->out, s, n);
}

void srv_jw_str(srv_jw *w, const char *s)
{
    srv_jw_strn(w, s, s ? strlen(s) : 0);
}

/* v in decimal, by hand: printf's machinery was 7% of a search reply. */
static void put_int(tm_buf *b, int64_t v)
{
    char digits[24];
    size_t n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) digits[sizeof digits - 1 - n++] = '-';
    tm_buf_append(b, digits + sizeof digits - n, n);
}

void srv_jw_int(srv_jw *w, int64_t v)
{
    sep(w);
    put_int(w->out, v);
}

void srv_jw_key_int(srv_jw *w, int64_t key)
{
    sep(w);
    tm_buf_putc(w->out, '"');
    put_int(w->out, key);
    tm_buf_puts(w->out, "\":");
    w->after_key = true;
}

void srv_jw_real(srv_jw *w, double v)
{
    char num[32];
    sep(w);
    if (!isfinite(v)) v = 0; /* JSON has no NaN or infinity */
    /* 17 significant digits round-trip a double, as Jansson writes them; a
     * fraction or exponent keeps it a real for readers that care. */
    int n = snprintf(num, sizeof num, "%.17g", v);
    tm_buf_append(w->out, num, n > 0 && (size_t)n < sizeof num ? (size_t)n : 0);
    if (!strpbrk(num, ".e")) tm_buf_puts(w->out, ".0");
}

void srv_jw_bool(srv_jw *w, bool v)
{
    sep(w);
    tm_buf_puts(w->out, v ? "true" : "false");
}

void srv_jw_null(srv_jw *w)
{
    sep(w);
    tm_buf_puts(w->out, "null");
}
