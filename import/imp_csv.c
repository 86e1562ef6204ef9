#include "imp_csv.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"

#define CSV_CHUNK ((size_t)64 * 1024)

struct imp_csv {
    FILE *f;
    imp_csv_limits lim;
    unsigned char sep;  /* the separator, once known */
    unsigned char *buf; /* read buffer: buf[pos..len) not yet parsed */
    size_t pos, len;
    bool eof, ioerr, started;
    size_t line;     /* line of buf[pos] */
    bool quoted_cr;  /* a quoted field's text so far ends with '\r' at the end of buf */
    size_t rec_line; /* line where the current record starts */
    tm_buf data;     /* the record's fields, each followed by a NUL */
    size_t *off, *flen;
    size_t nf, capf;
    size_t fstart; /* offset in data of the field being read */
    bool bad;      /* the record is broken: read to its end, store nothing */
    size_t bad_col;
    char bad_msg[160];
};

imp_csv *imp_csv_open(FILE *f, const imp_csv_limits *lim)
{
    imp_csv *c = tm_xcalloc(1, sizeof *c);
    c->f = f;
    c->lim.field_max = lim && lim->field_max ? lim->field_max : IMP_CSV_FIELD_MAX;
    c->lim.cols_max = lim && lim->cols_max ? lim->cols_max : IMP_CSV_COLS_MAX;
    c->lim.sep = lim ? lim->sep : 0;
    c->sep = c->lim.sep == ';' || c->lim.sep == '\t' ? (unsigned char)c->lim.sep : ',';
    c->buf = tm_xmalloc(CSV_CHUNK);
    c->line = 1;
    c->bad_col = (size_t)-1;
    return c;
}

void imp_csv_free(imp_csv *c)
{
    if (!c) return;
    free(c->buf);
    tm_buf_free(&c->data);
    free(c->off);
    free(c->flen);
    free(c);
}

size_t imp_csv_line(const imp_csv *c)
{
    return c->rec_line;
}

size_t imp_csv_bad_column(const imp_csv *c)
{
    return c->bad_col;
}

size_t imp_csv_nfields(const imp_csv *c)
{
    return c->nf;
}

tm_str imp_csv_field(const imp_csv *c, size_t i)
{
    if (i >= c->nf) return (tm_str){"", 0};
    return (tm_str){c->data.p + c->off[i], c->flen[i]};
}

/* Makes buf[pos] readable; false at end of file or on a read error. */
static bool fill(imp_csv *c)
{
    if (c->pos < c->len) return true;
    if (c->eof) return false;
    c->pos = 0;
    c->len = fread(c->buf, 1, CSV_CHUNK, c->f);
    if (c->len == 0) {
        c->eof = true;
        c->ioerr = ferror(c->f) != 0;
        return false;
    }
    return true;
}

/* At the start: reads up to three bytes and skips a UTF-8 byte-order mark. */
static void skip_bom(imp_csv *c)
{
    while (c->len < 3 && !c->eof) {
        size_t n = fread(c->buf + c->len, 1, CSV_CHUNK - c->len, c->f);
        if (n == 0) {
            c->eof = true;
            c->ioerr = ferror(c->f) != 0;
        }
        c->len += n;
    }
    if (c->len >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0) c->pos = 3;
}

/* After the byte-order mark: reads what fits in the buffer and counts ',',
 * ';' and tab outside quotes up to the first line break. */
static void sniff(imp_csv *c)
{
    while (c->len < CSV_CHUNK && !c->eof) {
        size_t n = fread(c->buf + c->len, 1, CSV_CHUNK - c->len, c->f);
        if (n == 0) {
            c->eof = true;
            c->ioerr = ferror(c->f) != 0;
        }
        c->len += n;
    }
    size_t comma = 0, semi = 0, tab = 0;
    bool quoted = false;
    for (size_t i = c->pos; i < c->len; i++) {
        unsigned char ch = c->buf[i];
        if (ch == '"') quoted = !quoted;
        if (quoted) continue;
        if (ch == '\n' || ch == '\r') break;
        comma += ch == ',';
        semi += ch == ';';
        tab += ch == '\t';
    }
    c->sep = semi > comma && semi > tab ? ';' : tab > comma && tab > semi ? '\t' : ',';
}

static void set_bad(imp_csv *c, size_t col, const char *fmt, ...) TM_PRINTF(3, 4);

static void set_bad(imp_csv *c, size_t col, const char *fmt, ...)
{
    if (c->bad) return;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(c->bad_msg, sizeof c->bad_msg, fmt, ap); /* short; truncation harmless */
    va_end(ap);
    c->bad = true;
    c->bad_col = col;
}

static void field_begin(imp_csv *c)
{
    if (c->bad) return;
    if (c->nf >= c->lim.cols_max) {
        set_bad(c, (size_t)-1, "the record has more than %zu columns", c->lim.cols_max);
        return;
    }
    c->fstart = c->data.len;
}

static void field_add(imp_csv *c, const void *p, size_t n)
{
    if (c->bad || n == 0) return;
    if (n > c->lim.field_max - (c->data.len - c->fstart)) {
        set_bad(c, c->nf, "is longer than %zu bytes", c->lim.field_max);
        return;
    }
    tm_buf_append(&c->data, p, n);
}

static void field_end(imp_csv *c)
{
    if (c->bad) return;
    if (c->nf == c->capf) {
        c->capf = c->capf ? c->capf * 2 : 16;
        c->off = tm_xreallocarray(c->off, c->capf, sizeof *c->off);
        c->flen = tm_xreallocarray(c->flen, c->capf, sizeof *c->flen);
    }
    c->off[c->nf] = c->fstart;
    c->flen[c->nf] = c->data.len - c->fstart;
    c->nf++;
    tm_buf_putc(&c->data, '\0');
}

/* At '\r' or '\n': consumes one line break (CRLF counts as one). */
static void eat_eol(imp_csv *c)
{
    unsigned char ch = c->buf[c->pos++];
    if (ch == '\r' && fill(c) && c->buf[c->pos] == '\n') c->pos++;
    c->line++;
}

imp_csv_kind imp_csv_next(imp_csv *c, tm_err *err)
{
    enum { START, UNQUOTED, QUOTED, QUOTE_SEEN } st = START;
    size_t quote_line = 0;

    tm_buf_reset(&c->data);
    c->nf = 0;
    c->bad = false;
    c->bad_col = (size_t)-1;
    if (!c->started) {
        c->started = true;
        skip_bom(c);
        if (c->lim.sep == IMP_CSV_SEP_SNIFF) sniff(c);
    }
    /* Lines that are entirely empty separate nothing: skip them. */
    while (fill(c) && (c->buf[c->pos] == '\n' || c->buf[c->pos] == '\r'))
        eat_eol(c);
    if (c->pos >= c->len) {
        if (c->ioerr) {
            tm_err_set(err, TM_EINVAL, "file", "read error");
            return IMP_CSV_FAIL;
        }
        return IMP_CSV_END;
    }
    c->rec_line = c->line;
    field_begin(c);
    for (;;) {
        if (!fill(c)) {
            if (c->ioerr) {
                tm_err_set(err, TM_EINVAL, "file", "read error");
                return IMP_CSV_FAIL;
            }
            if (st == QUOTED)
                set_bad(c, c->nf,
                        "the quoted field opened on line %zu is not closed at the end "
                        "of the file",
                        quote_line);
            field_end(c);
            break;
        }
        const unsigned char *p = c->buf + c->pos, *e = c->buf + c->len;
        if (st == START) {
            if (*p == '"') {
                c->pos++;
                st = QUOTED;
                quote_line = c->line;
            } else {
                st = UNQUOTED;
            }
            continue;
        }
        if (st == UNQUOTED) {
            const unsigned char *q = p;
            while (q < e && *q != c->sep && *q != '\n' && *q != '\r')
                q++;
            field_add(c, p, (size_t)(q - p));
            c->pos += (size_t)(q - p);
            if (q == e) continue;
        } else if (st == QUOTED) {
            const unsigned char *q = memchr(p, '"', (size_t)(e - p));
            const unsigned char *stop = q ? q : e;
            /* Line breaks inside quotes count as outside: CR, LF or CRLF. */
            for (const unsigned char *b = p; (b = memchr(b, '\r', (size_t)(stop - b))); b++)
                c->line++;
            for (const unsigned char *b = p; (b = memchr(b, '\n', (size_t)(stop - b))); b++)
                if (!(b > p ? b[-1] == '\r' : c->quoted_cr)) c->line++;
            c->quoted_cr = !q && stop > p && stop[-1] == '\r';
            field_add(c, p, (size_t)(stop - p));
            c->pos += (size_t)(stop - p);
            if (q) {
                c->pos++;
                st = QUOTE_SEEN;
            }
            continue;
        } else { /* QUOTE_SEEN */
            if (*p == '"') {
                field_add(c, p, 1);
                c->pos++;
                st = QUOTED;
                continue;
            }
            if (*p != c->sep && *p != '\n' && *p != '\r') {
                /* Read on as unquoted text to find the end of the record. */
                set_bad(c, c->nf, "has text after its closing quote");
                st = UNQUOTED;
                continue;
            }
        }
        /* At a delimiter: the separator or a line break. */
        if (c->buf[c->pos] == c->sep) {
            c->pos++;
            field_end(c);
            field_begin(c);
            st = START;
            continue;
        }
        eat_eol(c);
        field_end(c);
        break;
    }
    if (c->bad) {
        tm_err_set(err, TM_EINVAL, NULL, "%s", c->bad_msg);
        return IMP_CSV_BAD;
    }
    return IMP_CSV_ROW;
}
