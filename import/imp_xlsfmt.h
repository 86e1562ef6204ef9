/* imp_xlsfmt: how imp_xls turns BIFF8 cell values into text: UTF-16 to
 * UTF-8, RK and IEEE doubles, number formats (date or not), numbers and
 * Excel serial dates as text, cell names (B7). Pure functions over their
 * arguments; any thread. */
#ifndef IMP_XLSFMT_H
#define IMP_XLSFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tm_buf.h"

/* What a number format shows: the kinds imp_xlsfmt_value() knows. */
enum {
    IMP_XLSFMT_NUMBER,
    IMP_XLSFMT_DATE,     /* 2019-01-23 */
    IMP_XLSFMT_TIME,     /* 18:00:00 (a value of a day or more: as DATETIME) */
    IMP_XLSFMT_DATETIME, /* 2019-01-23T12:00:00 */
    IMP_XLSFMT_AUTO,     /* a locale's built-in date format: by the value */
};

/* A UTF-16 to UTF-8 decoder that carries a high surrogate between calls:
 * a surrogate without its partner becomes U+FFFD. Start with {b, 0}. */
typedef struct imp_xlsfmt_u16 {
    tm_buf *b;
    unsigned hi;
} imp_xlsfmt_u16;

void imp_xlsfmt_u16_put(imp_xlsfmt_u16 *u, unsigned unit);
/* Ends the string: a pending high surrogate becomes U+FFFD. */
void imp_xlsfmt_u16_end(imp_xlsfmt_u16 *u);

/* The little-endian IEEE double at p[0..8). */
double imp_xlsfmt_f64(const unsigned char *p);
/* The number an RK value stands for. */
double imp_xlsfmt_rk(uint32_t rk);

/* The kind of a number format string f[0..n) (UTF-8): its first section's
 * date and time codes outside quotes, escapes and [brackets]. */
int imp_xlsfmt_kind(const char *f, size_t n);
/* Fills kind[65536] with the kinds of the built-in formats (0-163). */
void imp_xlsfmt_builtin(unsigned char *kind);

/* Appends v as the text of a cell of format kind: an integral value below
 * 2^63 in decimal, other numbers as the shortest %.*g that reads back the
 * same, dates ISO 8601 in the 1900 date system (1904 when d1904); a date
 * outside 1900-01-01..9999-12-31 (or Excel's fictitious 1900-02-29) as a
 * number. */
void imp_xlsfmt_value(tm_buf *b, double v, int kind, bool d1904);

/* Writes the cell's Excel name (A1, IV65536) to buf[cap], cap >= 12. */
void imp_xlsfmt_cell_name(char *buf, size_t cap, unsigned row, unsigned col);

#endif
