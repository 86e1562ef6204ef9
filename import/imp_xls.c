/* imp_xls: the BIFF8 row reader; see imp_xls.h. The container is imp_cfb's,
 * cell values become text in imp_xlsfmt. Record layouts: [MS-XLS] 2.4. */
#include "imp_xls.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_buf.h"
#include "imp_cfb.h"
#include "imp_xlsfmt.h"

enum {
    XR_FORMULA = 0x0006,
    XR_EOF = 0x000A,
    XR_DATEMODE = 0x0022,
    XR_FILEPASS = 0x002F,
    XR_CONTINUE = 0x003C,
    XR_BOUNDSHEET = 0x0085,
    XR_MULRK = 0x00BD,
    XR_RSTRING = 0x00D6,
    XR_XF = 0x00E0,
    XR_SST = 0x00FC,
    XR_LABELSST = 0x00FD,
    XR_NUMBER = 0x0203,
    XR_LABEL = 0x0204,
    XR_BOOLERR = 0x0205,
    XR_STRING = 0x0207,
    XR_ARRAY = 0x0221,
    XR_TABLE = 0x0236,
    XR_RK = 0x027E,
    XR_FORMAT = 0x041E,
    XR_SHRFMLA = 0x04BC,
    XR_BOF = 0x0809,
};

#define XLS_NOT_SUPPORTED "save it as .xls (Excel 97-2003) or CSV"

typedef struct xls_cell {
    uint16_t row, col;
    uint32_t seq; /* order in the file: the last of two cells at one place wins */
    uint32_t off, len;
} xls_cell;

struct imp_xls {
    imp_xls_limits lim;
    tm_buf text; /* every cell's text, each followed by a NUL */
    xls_cell *cells;
    size_t ncells, pos, width, line, bad_col;
    tm_str *fields;
};

/* What the parse of one workbook stream needs besides the reader. */
typedef struct xls_parse {
    const unsigned char *s;
    size_t n;
    imp_xls *x;
    tm_err *err;
    size_t cap;
    uint32_t *sst; /* off, len pairs into x->text */
    size_t nsst;
    uint16_t *xf; /* the format of each XF */
    size_t nxf, xfcap;
    unsigned char *kind; /* [65536]: imp_xlsfmt kind of each format index */
    bool d1904, pending; /* pending: a FORMULA's string result comes next */
    uint16_t prow, pcol;
} xls_parse;

/* A reader over a record's body and the CONTINUE records after it. */
typedef struct xls_cur {
    const unsigned char *s;
    size_t n, pos, end;
} xls_cur;

static unsigned xls_u16(const unsigned char *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t xls_u32(const unsigned char *p)
{
    return (uint32_t)xls_u16(p) | (uint32_t)xls_u16(p + 2) << 16;
}

static int xls_bad(xls_parse *ps, const char *fmt, ...) TM_PRINTF(2, 3);
static int xls_bad(xls_parse *ps, const char *fmt, ...)
{
    char msg[160];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap); /* truncation only shortens a message */
    va_end(ap);
    return tm_err_set(ps->err, TM_EINVAL, "file", "damaged .xls file: %s", msg);
}

/* Moves c into the next CONTINUE record when its segment is used up;
 * false when there is none. */
static bool xls_cur_more(xls_cur *c)
{
    while (c->pos == c->end) {
        if (c->n - c->end < 4 || xls_u16(c->s + c->end) != XR_CONTINUE) return false;
        size_t len = xls_u16(c->s + c->end + 2);
        if (len > c->n - c->end - 4) return false;
        c->pos = c->end + 4;
        c->end = c->pos + len;
    }
    return true;
}

static bool xls_cur_read(xls_cur *c, unsigned char *out, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        if (!xls_cur_more(c)) return false;
        out[i] = c->s[c->pos++];
    }
    return true;
}

static bool xls_cur_skip(xls_cur *c, size_t k)
{
    while (k > 0) {
        if (!xls_cur_more(c)) return false;
        size_t take = c->end - c->pos < k ? c->end - c->pos : k;
        c->pos += take;
        k -= take;
    }
    return true;
}

/* Appends cch characters as UTF-8: 1 byte each (Latin-1) or 2 (UTF-16LE)
 * by flags bit 0, and again by the flag byte that opens each CONTINUE the
 * characters run into. */
static bool xls_cur_chars(xls_cur *c, size_t cch, unsigned flags, tm_buf *b)
{
    imp_xlsfmt_u16 u = {b, 0};
    unsigned hi = flags & 1;
    size_t got = 0;

    while (got < cch) {
        if (c->pos == c->end) {
            if (!xls_cur_more(c)) return false;
            hi = c->s[c->pos++] & 1;
            continue;
        }
        size_t avail = (c->end - c->pos) >> hi, take = cch - got < avail ? cch - got : avail;
        if (take == 0) c->pos = c->end; /* half a character: no writer does it */
        for (size_t i = 0; i < take; i++)
            imp_xlsfmt_u16_put(&u, hi ? xls_u16(c->s + c->pos + 2 * i) : c->s[c->pos + i]);
        c->pos += take << hi;
        got += take;
    }
    imp_xlsfmt_u16_end(&u);
    return true;
}

/* Reads an XLUnicodeString (cch, flags, [runs], [ext], chars, ...): the
 * text goes to x->text, NUL-terminated; *off and *len locate it. */
static bool xls_cur_string(xls_cur *c, imp_xls *x, bool rich_ok, uint32_t *off, uint32_t *len)
{
    unsigned char h[4];
    size_t runs = 0, ext = 0;
    if (!xls_cur_read(c, h, 3)) return false;
    unsigned cch = xls_u16(h), flags = h[2];
    if (rich_ok && (flags & 8)) {
        if (!xls_cur_read(c, h, 2)) return false;
        runs = xls_u16(h);
    }
    if (rich_ok && (flags & 4)) {
        if (!xls_cur_read(c, h, 4)) return false;
        ext = xls_u32(h);
    }
    size_t start = x->text.len;
    if (start > UINT32_MAX / 2 || !xls_cur_chars(c, cch, flags, &x->text)) return false;
    *off = (uint32_t)start;
    *len = (uint32_t)(x->text.len - start);
    tm_buf_putc(&x->text, '\0');
    return xls_cur_skip(c, 4 * runs) && xls_cur_skip(c, ext);
}

static int xls_cell_add(xls_parse *ps, unsigned row, unsigned col, uint32_t off, uint32_t len)
{
    imp_xls *x = ps->x;
    if (len == 0) return TM_OK;
    if (x->ncells >= IMP_XLS_CELLS_MAX)
        return tm_err_set(ps->err, TM_EINVAL, "file", "the sheet has more than %zu cells",
                          IMP_XLS_CELLS_MAX);
    if (x->ncells == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 1024;
        x->cells = tm_xreallocarray(x->cells, ps->cap, sizeof *x->cells);
    }
    x->cells[x->ncells] = (xls_cell){(uint16_t)row, (uint16_t)col, (uint32_t)x->ncells, off, len};
    x->ncells++;
    return TM_OK;
}

/* A number in the format of XF xf. */
static int xls_cell_num(xls_parse *ps, unsigned row, unsigned col, unsigned xf, double v)
{
    size_t start = ps->x->text.len;
    int kind = xf < ps->nxf ? ps->kind[ps->xf[xf]] : IMP_XLSFMT_NUMBER;
    if (start > UINT32_MAX / 2) return xls_bad(ps, "too much text");
    imp_xlsfmt_value(&ps->x->text, v, kind, ps->d1904);
    uint32_t len = (uint32_t)(ps->x->text.len - start);
    tm_buf_putc(&ps->x->text, '\0');
    return xls_cell_add(ps, row, col, (uint32_t)start, len);
}

static int xls_cell_text(xls_parse *ps, unsigned row, unsigned col, const char *s)
{
    size_t start = ps->x->text.len;
    if (start > UINT32_MAX / 2) return xls_bad(ps, "too much text");
    tm_buf_puts(&ps->x->text, s);
    tm_buf_putc(&ps->x->text, '\0');
    return xls_cell_add(ps, row, col, (uint32_t)start, (uint32_t)strlen(s));
}

/* The record at *pos: type, body, length; *pos moves past it. */
static int xls_rec(xls_parse *ps, size_t *pos, unsigned *type, const unsigned char **body,
                   size_t *len)
{
    if (ps->n - *pos < 4)
        return xls_bad(ps, "the workbook stream ends inside a record; truncated?");
    *type = xls_u16(ps->s + *pos);
    *len = xls_u16(ps->s + *pos + 2);
    if (*len > ps->n - *pos - 4)
        return xls_bad(ps, "record 0x%04X at %zu runs past the end of the stream", *type, *pos);
    *body = ps->s + *pos + 4;
    *pos += 4 + *len;
    return TM_OK;
}

static int xls_sst(xls_parse *ps, const unsigned char *body, size_t len)
{
    if (len < 8) return xls_bad(ps, "the shared string table is too short");
    size_t want = xls_u32(body + 4);
    xls_cur c = {ps->s, ps->n, (size_t)(body - ps->s) + 8, (size_t)(body - ps->s) + len};
    /* Each string takes 3 bytes at least. */
    if (ps->sst || want > (ps->n - c.pos) / 3 + 1)
        return xls_bad(ps, "the shared string table claims %zu strings", want);
    ps->sst = tm_xreallocarray(NULL, want + 1, 2 * sizeof *ps->sst);
    for (size_t i = 0; i < want; i++) {
        if (!xls_cur_string(&c, ps->x, true, &ps->sst[2 * i], &ps->sst[2 * i + 1]))
            return xls_bad(ps, "the shared string table ends at string %zu of %zu", i, want);
        ps->nsst++;
    }
    return TM_OK;
}

/* Reads the globals substream up to its EOF; picks the sheet. */
static int xls_globals(xls_parse *ps, const char *sheet, size_t *sheet_pos)
{
    size_t pos = 0, len;
    unsigned type;
    const unsigned char *b;
    bool found = false;
    int rc;

    if ((rc = xls_rec(ps, &pos, &type, &b, &len)) != TM_OK) return rc;
    if (type == 0x0009 || type == 0x0209 || type == 0x0409 ||
        (type == XR_BOF && len >= 2 && xls_u16(b) < 0x0600))
        return tm_err_set(ps->err, TM_EINVAL, "file",
                          "an Excel 95 or older workbook (BIFF5 or earlier) is not supported: %s",
                          XLS_NOT_SUPPORTED);
    if (type != XR_BOF || len < 4 || xls_u16(b) != 0x0600)
        return xls_bad(ps, "the workbook stream does not start with a BIFF8 BOF record");
    for (;;) {
        if ((rc = xls_rec(ps, &pos, &type, &b, &len)) != TM_OK) return rc;
        if (type == XR_EOF) break;
        if (type == XR_FILEPASS)
            return tm_err_set(ps->err, TM_EINVAL, "file",
                              "the workbook is password-protected (encrypted): remove the "
                              "password in Excel, or save it as CSV");
        if (type == XR_DATEMODE && len >= 2) ps->d1904 = xls_u16(b) == 1;
        if (type == XR_XF && len >= 4 && ps->nxf < 65536) {
            if (ps->nxf == ps->xfcap) {
                ps->xfcap = ps->xfcap ? 2 * ps->xfcap : 64;
                ps->xf = tm_xreallocarray(ps->xf, ps->xfcap, sizeof *ps->xf);
            }
            ps->xf[ps->nxf++] = (uint16_t)xls_u16(b + 2);
        }
        if (type == XR_FORMAT && len >= 5) {
            xls_cur c = {ps->s, ps->n, (size_t)(b - ps->s) + 2, (size_t)(b - ps->s) + len};
            uint32_t off, flen;
            size_t mark = ps->x->text.len;
            if (!xls_cur_string(&c, ps->x, false, &off, &flen))
                return xls_bad(ps, "a FORMAT record is cut short");
            ps->kind[xls_u16(b)] = (unsigned char)imp_xlsfmt_kind(ps->x->text.p + off, flen);
            ps->x->text.len = mark; /* only the kind is kept */
        }
        if (type == XR_SST && (rc = xls_sst(ps, b, len)) != TM_OK) return rc;
        if (type == XR_BOUNDSHEET && len >= 8 && b[5] == 0 && !found) {
            /* A worksheet: offset, state, type, then cch, flags, name. */
            xls_cur c = {ps->s, ps->n, (size_t)(b - ps->s) + 6, (size_t)(b - ps->s) + len};
            unsigned char h[2];
            size_t mark = ps->x->text.len;
            if (!xls_cur_read(&c, h, 2) || !xls_cur_chars(&c, h[0], h[1], &ps->x->text))
                return xls_bad(ps, "a sheet name is cut short");
            found = !sheet || (ps->x->text.len - mark == strlen(sheet) &&
                               memcmp(ps->x->text.p + mark, sheet, strlen(sheet)) == 0);
            ps->x->text.len = mark;
            *sheet_pos = xls_u32(b);
        }
    }
    if (!found && sheet)
        return tm_err_set(ps->err, TM_EINVAL, "file", "the workbook has no worksheet named \"%s\"",
                          sheet);
    if (!found) return tm_err_set(ps->err, TM_EINVAL, "file", "the workbook has no worksheet");
    return TM_OK;
}

/* A BOOLERR value: a boolean (err false) or an error code. */
static int xls_cell_boolerr(xls_parse *ps, unsigned row, unsigned col, unsigned v, bool err)
{
    static const struct {
        unsigned code;
        const char *text;
    } errs[] = {{0x00, "#NULL!"}, {0x07, "#DIV/0!"}, {0x0F, "#VALUE!"}, {0x17, "#REF!"},
                {0x1D, "#NAME?"}, {0x24, "#NUM!"},   {0x2A, "#N/A"},    {0x2B, "#GETTING_DATA"}};
    if (!err) return xls_cell_text(ps, row, col, v ? "TRUE" : "FALSE");
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++)
        if (errs[i].code == v) return xls_cell_text(ps, row, col, errs[i].text);
    return xls_cell_text(ps, row, col, "#ERROR!");
}

/* One cell record of the sheet, b[0..len) with len >= 6. */
static int xls_sheet_cell(xls_parse *ps, unsigned type, const unsigned char *b, size_t len)
{
    unsigned row = xls_u16(b), col = xls_u16(b + 2), xf = xls_u16(b + 4);
    uint32_t off, slen;
    int rc = TM_OK;

    if (type == XR_NUMBER && len >= 14)
        return xls_cell_num(ps, row, col, xf, imp_xlsfmt_f64(b + 6));
    if (type == XR_RK && len >= 10)
        return xls_cell_num(ps, row, col, xf, imp_xlsfmt_rk(xls_u32(b + 6)));
    if (type == XR_MULRK) {
        /* row, first column, (xf, rk) per cell, last column */
        if (len < 6 || (len - 6) % 6 != 0) return xls_bad(ps, "a MULRK record of %zu bytes", len);
        for (size_t i = 0; rc == TM_OK && i < (len - 6) / 6 && col + i <= 0xFFFF; i++)
            rc = xls_cell_num(ps, row, (unsigned)(col + i), xls_u16(b + 4 + 6 * i),
                              imp_xlsfmt_rk(xls_u32(b + 6 + 6 * i)));
        return rc;
    }
    if (type == XR_LABELSST && len >= 10) {
        uint32_t i = xls_u32(b + 6);
        if (i >= ps->nsst)
            return xls_bad(ps, "a cell refers to shared string %lu of %zu", (unsigned long)i,
                           ps->nsst);
        return xls_cell_add(ps, row, col, ps->sst[2 * i], ps->sst[2 * i + 1]);
    }
    if ((type == XR_LABEL || type == XR_RSTRING) && len >= 9) {
        xls_cur c = {ps->s, ps->n, (size_t)(b - ps->s) + 6, (size_t)(b - ps->s) + len};
        if (!xls_cur_string(&c, ps->x, false, &off, &slen))
            return xls_bad(ps, "a LABEL record is cut short");
        return xls_cell_add(ps, row, col, off, slen);
    }
    if (type == XR_BOOLERR && len >= 8) return xls_cell_boolerr(ps, row, col, b[6], b[7] != 0);
    if (type == XR_FORMULA && len >= 20) {
        /* The cached result: a double, or a tagged value when its top bytes are FFFF. */
        if (b[12] != 0xFF || b[13] != 0xFF)
            return xls_cell_num(ps, row, col, xf, imp_xlsfmt_f64(b + 6));
        if (b[6] == 0) {
            ps->pending = true; /* a string: in the STRING record that follows */
            ps->prow = (uint16_t)row;
            ps->pcol = (uint16_t)col;
        }
        if (b[6] == 1 || b[6] == 2) return xls_cell_boolerr(ps, row, col, b[8], b[6] == 2);
    }
    return TM_OK;
}

/* Reads the worksheet substream at pos into x->cells. */
static int xls_sheet(xls_parse *ps, size_t pos)
{
    size_t len, depth = 0;
    unsigned type;
    const unsigned char *b;
    int rc;

    if (pos >= ps->n) return xls_bad(ps, "the sheet's offset %zu is past the stream", pos);
    if ((rc = xls_rec(ps, &pos, &type, &b, &len)) != TM_OK) return rc;
    if (type != XR_BOF) return xls_bad(ps, "the sheet does not start with a BOF record");
    for (;;) {
        if ((rc = xls_rec(ps, &pos, &type, &b, &len)) != TM_OK) return rc;
        if (type == XR_BOF) depth++; /* an embedded chart, up to its EOF */
        if (type == XR_EOF && depth-- == 0) return TM_OK;
        if (depth > 0 || type == XR_CONTINUE) continue;
        if (type == XR_STRING && ps->pending) {
            xls_cur c = {ps->s, ps->n, (size_t)(b - ps->s), (size_t)(b - ps->s) + len};
            uint32_t off, slen;
            ps->pending = false;
            if (!xls_cur_string(&c, ps->x, false, &off, &slen))
                return xls_bad(ps, "a STRING record is cut short");
            if ((rc = xls_cell_add(ps, ps->prow, ps->pcol, off, slen)) != TM_OK) return rc;
            continue;
        }
        if (type != XR_SHRFMLA && type != XR_ARRAY && type != XR_TABLE) ps->pending = false;
        if (len >= 6 && (rc = xls_sheet_cell(ps, type, b, len)) != TM_OK) return rc;
    }
}

static int xls_cell_cmp(const void *a, const void *b)
{
    const xls_cell *p = a, *q = b;
    if (p->row != q->row) return p->row < q->row ? -1 : 1;
    if (p->col != q->col) return p->col < q->col ? -1 : 1;
    return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* Sorts the cells by row and column; of two at one place the later stays. */
static void xls_cells_finish(imp_xls *x)
{
    size_t k = 0, maxcol = 0;
    if (x->ncells) qsort(x->cells, x->ncells, sizeof *x->cells, xls_cell_cmp);
    for (size_t i = 0; i < x->ncells; i++) {
        if (k > 0 && x->cells[k - 1].row == x->cells[i].row &&
            x->cells[k - 1].col == x->cells[i].col)
            k--;
        x->cells[k++] = x->cells[i];
        if ((size_t)x->cells[i].col + 1 > maxcol) maxcol = (size_t)x->cells[i].col + 1;
    }
    x->ncells = k;
    x->width = maxcol < x->lim.cols_max ? maxcol : x->lim.cols_max;
    x->fields = tm_xreallocarray(NULL, x->width + 1, sizeof *x->fields);
    for (size_t i = 0; i <= x->width; i++)
        x->fields[i] = (tm_str){"", 0};
}

int imp_xls_open_mem(const void *p, size_t n, const char *sheet, const imp_xls_limits *lim,
                     imp_xls **out, tm_err *err)
{
    static const char *const names[] = {"Workbook", "Book", "EncryptedPackage", NULL};
    xls_parse ps = {0};
    unsigned char *stream = NULL;
    size_t slen = 0, sheet_pos = 0;
    int which = -1, rc = TM_OK;

    *out = NULL;
    ps.err = err;
    if (n == 0) {
        rc = tm_err_set(err, TM_EINVAL, "file", "the file is empty");
        goto out;
    }
    if (n >= 4 && memcmp(p, "PK\3\4", 4) == 0) {
        rc = tm_err_set(err, TM_EINVAL, "file",
                        "this is an .xlsx (Excel 2007+) workbook; .xlsx is not supported: %s",
                        XLS_NOT_SUPPORTED);
        goto out;
    }
    /* Many web sites' "Excel" downloads are HTML tables or XML named .xls. */
    size_t i = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < n && i < 64 && strchr(" \t\r\n", ((const char *)p)[i]) && ((const char *)p)[i])
        i++;
    if (i < n && ((const char *)p)[i] == '<') {
        rc = tm_err_set(err, TM_EINVAL, "file",
                        "this is a web page (HTML or XML) named .xls, not an Excel workbook: open "
                        "it in Excel and %s",
                        XLS_NOT_SUPPORTED);
        goto out;
    }
    if (!imp_cfb_is_cfb(p, n)) {
        rc =
            tm_err_set(err, TM_EINVAL, "file",
                       "not an Excel 97-2003 .xls file (no OLE2 signature): %s", XLS_NOT_SUPPORTED);
        goto out;
    }
    if ((rc = imp_cfb_stream(p, n, names, &stream, &slen, &which, err)) != TM_OK) goto out;
    if (which == 2) {
        rc = tm_err_set(err, TM_EINVAL, "file",
                        "an encrypted (password-protected) .xlsx workbook is not supported: %s",
                        XLS_NOT_SUPPORTED);
        goto out;
    }
    ps.s = stream;
    ps.n = slen;
    ps.x = tm_xcalloc(1, sizeof *ps.x);
    ps.x->lim = lim ? *lim : (imp_xls_limits){IMP_XLS_FIELD_MAX, IMP_XLS_COLS_MAX};
    ps.kind = tm_xmalloc(65536);
    imp_xlsfmt_builtin(ps.kind);
    if ((rc = xls_globals(&ps, sheet, &sheet_pos)) != TM_OK ||
        (rc = xls_sheet(&ps, sheet_pos)) != TM_OK)
        goto out;
    xls_cells_finish(ps.x);
    *out = ps.x;
    ps.x = NULL;
out:
    imp_xls_free(ps.x);
    free(ps.sst);
    free(ps.xf);
    free(ps.kind);
    free(stream);
    return rc;
}

int imp_xls_open(const char *path, const char *sheet, const imp_xls_limits *lim, imp_xls **out,
                 tm_err *err)
{
    FILE *f = NULL;
    tm_buf b = {0};
    int rc = TM_OK;

    *out = NULL;
    if (!(f = fopen(path, "rb"))) {
        rc = tm_err_set(err, TM_EINVAL, "file", "cannot open file");
        goto out;
    }
    for (;;) {
        tm_buf_reserve(&b, 1 << 16);
        size_t got = fread(b.p + b.len, 1, b.cap - b.len - 1, f);
        b.len += got;
        if (b.len > IMP_XLS_FILE_MAX) {
            rc = tm_err_set(err, TM_EINVAL, "file",
                            "the file is larger than %zu MiB, more than any .xls can hold",
                            IMP_XLS_FILE_MAX >> 20);
            goto out;
        }
        if (got == 0) break;
    }
    if (ferror(f)) {
        rc = tm_err_set(err, TM_EINVAL, "file", "cannot read file");
        goto out;
    }
    rc = imp_xls_open_mem(b.p ? b.p : "", b.len, sheet, lim, out, err);
out:
    tm_buf_free(&b);
    if (f) fclose(f);
    return rc;
}

void imp_xls_free(imp_xls *x)
{
    if (!x) return;
    tm_buf_free(&x->text);
    free(x->cells);
    free(x->fields);
    free(x);
}

imp_xls_kind imp_xls_next(imp_xls *x, tm_err *err)
{
    char name[16];
    bool bad = false;

    if (x->pos >= x->ncells) return IMP_XLS_END;
    unsigned row = x->cells[x->pos].row;
    x->line = (size_t)row + 1;
    x->bad_col = (size_t)-1;
    for (size_t i = 0; i < x->width; i++)
        x->fields[i] = (tm_str){"", 0};
    for (; x->pos < x->ncells && x->cells[x->pos].row == row; x->pos++) {
        const xls_cell *c = &x->cells[x->pos];
        if (bad) continue;
        imp_xlsfmt_cell_name(name, sizeof name, row, c->col);
        if (c->col >= x->lim.cols_max) {
            bad = true;
            (void)tm_err_set(err, TM_EINVAL, NULL, "cell %s: the row has more than %zu columns",
                             name, x->lim.cols_max);
        } else if (c->len > x->lim.field_max) {
            bad = true;
            x->bad_col = c->col;
            (void)tm_err_set(err, TM_EINVAL, NULL, "cell %s is longer than %zu bytes", name,
                             x->lim.field_max);
        } else {
            x->fields[c->col] = (tm_str){x->text.p + c->off, c->len};
        }
    }
    return bad ? IMP_XLS_BAD : IMP_XLS_ROW;
}

size_t imp_xls_line(const imp_xls *x)
{
    return x->line;
}

size_t imp_xls_bad_column(const imp_xls *x)
{
    return x->bad_col;
}

size_t imp_xls_nfields(const imp_xls *x)
{
    return x->width;
}

tm_str imp_xls_field(const imp_xls *x, size_t i)
{
    return i < x->width ? x->fields[i] : (tm_str){"", 0};
}
