/* imp_xls: a row reader for Excel 97-2003 .xls workbooks (BIFF8), with the
 * shape of imp_csv. Our own reader: no library.
 *
 * The whole file is read into memory first, at most IMP_XLS_FILE_MAX bytes
 * (64 MiB; a .xls sheet has at most 65,536 rows x 256 columns, and real
 * exports are a few MiB). imp_cfb takes the "Workbook" (or "Book") stream
 * out of the OLE2 container; imp_xls_open() then parses the whole chosen
 * worksheet into a table of cells (text stored once: shared strings are not
 * copied per cell) and frees the file. Every record length, string length,
 * index and count is checked against the bytes present.
 *
 * Read: SST (with CONTINUE records, the fresh flag byte at each one,
 * rich-text runs and phonetic data skipped, empty strings), LABELSST, LABEL,
 * RSTRING, NUMBER, RK, MULRK, BOOLERR, FORMULA with its cached result (a
 * string one from the STRING record after it), BLANK, MULBLANK, XF, FORMAT,
 * DATEMODE (1904), BOUNDSHEET8, embedded chart substreams (skipped).
 * Strings are UTF-16LE or "compressed" Latin-1; they become UTF-8, a lone
 * surrogate U+FFFD. Refused with a message: .xlsx (a zip), encrypted
 * workbooks (FILEPASS, or an encrypted .xlsx), BIFF5 (Excel 95) and older.
 *
 * Rows: imp_xls_next() returns the sheet's rows top to bottom. Every row has
 * the same number of fields: the sheet's width (its last column holding a
 * non-empty cell, + 1, at most cols_max), so a row is never shorter than the
 * header. Rows without a non-empty cell are skipped (as imp_csv skips empty
 * lines). The "line" is the 1-based row number Excel shows. Cells become:
 *   text          as is (UTF-8; may hold line breaks);
 *   numbers       integral values below 2^63 in decimal without ".0"
 *                 (1020190012345, not 1.02e12); others the shortest %.*g
 *                 form that reads back to the same double (0.1, 1.5e+300);
 *   dates         when the cell's format (XF -> built-in or FORMAT) is a
 *                 date or time one: 2019-01-23, 2019-01-23T12:00:00 or
 *                 18:00:00, from the 1900 date system (or 1904 by DATEMODE);
 *   booleans      TRUE / FALSE; errors #DIV/0!, #N/A, ...
 *   formulas      their cached result, formatted as above;
 *   empty cells   empty fields.
 * A row with a cell over field_max bytes, or a non-empty cell at column
 * cols_max or beyond, comes back as IMP_XLS_BAD; the reader goes on.
 *
 * Failure: imp_xls_open() fails (TM_EINVAL, field "file") when the file is
 * not a readable .xls workbook: empty, an .xlsx, CSV or random bytes, a
 * truncated or malformed container or record, encrypted, BIFF5, no such
 * sheet, or more than IMP_XLS_CELLS_MAX non-empty cells. imp_xls_next()
 * never fails once the file is open (IMP_XLS_FAIL is kept for the shape).
 *
 * Use (imp_prod.c is the importer's user): the importer picks this reader
 * by the extension .xls and reads the stream into memory for
 * imp_xls_open_mem() (uploads are in memory anyway). The loop, as for
 * imp_csv:
 *
 *     imp_xls *x = NULL;
 *     if ((rc = imp_xls_open(path, NULL, NULL, &x, err)) != TM_OK) goto out;
 *     for (;;) {
 *         imp_xls_kind k = imp_xls_next(x, &row_err);
 *         if (k == IMP_XLS_END) break;
 *         if (k == IMP_XLS_FAIL) { rc = row_err.code; *err = row_err; break; }
 *         // the first row is the header; imp_xls_line(x) for issues;
 *         // IMP_XLS_BAD: reject line imp_xls_line(x), column
 *         // imp_xls_bad_column(x), message row_err.msg;
 *         // IMP_XLS_ROW: imp_xls_field(x, i) for i < imp_xls_nfields(x)
 *     }
 *     imp_xls_free(x);
 *
 * --encoding does not apply (BIFF8 text is Unicode).
 *
 * Ownership: imp_xls_open() allocates, imp_xls_free() frees (NULL is a
 * no-op). Fields are valid until the next imp_xls_next(). One thread at a
 * time per reader; readers in different threads are independent. */
#ifndef IMP_XLS_H
#define IMP_XLS_H

#include <stddef.h>

#include "../common/tm_err.h"
#include "../common/tm_str.h"

#define IMP_XLS_FIELD_MAX ((size_t)1 << 20) /* bytes in one cell */
#define IMP_XLS_COLS_MAX ((size_t)256)      /* fields in one row */
#define IMP_XLS_FILE_MAX ((size_t)64 << 20) /* bytes in the file */
#define IMP_XLS_CELLS_MAX ((size_t)4 << 20) /* non-empty cells in the sheet */

typedef struct imp_xls_limits {
    size_t field_max;
    size_t cols_max;
} imp_xls_limits;

typedef enum {
    IMP_XLS_ROW,  /* a row: imp_xls_nfields() and imp_xls_field() */
    IMP_XLS_BAD,  /* a row over a limit, skipped: *err says why */
    IMP_XLS_END,  /* no more rows */
    IMP_XLS_FAIL, /* the sheet could not be read: *err says why (not returned today) */
} imp_xls_kind;

typedef struct imp_xls imp_xls;

/* Opens the workbook at path and selects the worksheet named sheet (UTF-8,
 * exact), or the first worksheet when sheet is NULL; lim NULL means the
 * defaults above. On success *out is a reader; on failure *out is NULL,
 * *err says why (TM_EINVAL, field "file") and nothing is left open. */
int imp_xls_open(const char *path, const char *sheet, const imp_xls_limits *lim, imp_xls **out,
                 tm_err *err) TM_MUST_CHECK;
/* The same for a file already in memory, p[0..n) (used only during the
 * call: the reader keeps no pointer into it). */
int imp_xls_open_mem(const void *p, size_t n, const char *sheet, const imp_xls_limits *lim,
                     imp_xls **out, tm_err *err) TM_MUST_CHECK;
void imp_xls_free(imp_xls *x);

/* Reads the next row. For IMP_XLS_BAD and IMP_XLS_FAIL, *err is set. */
imp_xls_kind imp_xls_next(imp_xls *x, tm_err *err) TM_MUST_CHECK;

/* The 1-based row number of the last row read. */
size_t imp_xls_line(const imp_xls *x);
/* The 0-based column a bad row's message is about, or (size_t)-1. */
size_t imp_xls_bad_column(const imp_xls *x);

/* The number of fields of every row (the sheet's width), and field i of the
 * last IMP_XLS_ROW, NUL-terminated at p[len] (it may hold NUL bytes of its
 * own, as Excel allows U+0000); past the last field, "". */
size_t imp_xls_nfields(const imp_xls *x);
tm_str imp_xls_field(const imp_xls *x, size_t i);

#endif
