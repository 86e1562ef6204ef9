/* imp_csv: a streaming RFC 4180 reader.
 *
 * Reads one record (row) at a time from a FILE into memory it reuses, so
 * memory does not grow with the file. The separator is ',' unless the
 * limits name another (';', tab) or ask for it to be sniffed. Quoted fields may hold commas, line
 * breaks and "" (one quote); records end at CRLF, LF or a lone CR; a UTF-8
 * byte-order mark at the start is skipped; lines that are entirely empty are
 * skipped. A quote inside an unquoted field is kept as a character.
 *
 * Each record knows the line it starts on. A record that breaks a limit
 * (bytes in a field, fields in a record), has text after a closing quote, or
 * ends inside a quoted field at end of file comes back as IMP_CSV_BAD with a
 * message; the reader then goes on with the next record.
 *
 * Ownership: imp_csv_open() allocates, imp_csv_free() frees (NULL is a no-op).
 * Fields are valid until the next imp_csv_next(). The FILE stays the
 * caller's. One thread at a time. */
#ifndef IMP_CSV_H
#define IMP_CSV_H

#include <stdio.h>

#include "../common/tm_err.h"
#include "../common/tm_str.h"

#define IMP_CSV_FIELD_MAX ((size_t)1 << 20) /* bytes in one field */
#define IMP_CSV_COLS_MAX ((size_t)256)      /* fields in one record */

/* imp_csv_limits.sep: choose from the first record: the most frequent of
 * ',', ';' and tab outside quotes (a tie, or none, is ','). */
#define IMP_CSV_SEP_SNIFF (-1)

typedef struct imp_csv_limits {
    size_t field_max;
    size_t cols_max;
    int sep; /* ',' (also 0), ';', '\t', or IMP_CSV_SEP_SNIFF */
} imp_csv_limits;

typedef enum {
    IMP_CSV_ROW,  /* a record: imp_csv_nfields() and imp_csv_field() */
    IMP_CSV_BAD,  /* a broken record, skipped: *err says why */
    IMP_CSV_END,  /* no more records */
    IMP_CSV_FAIL, /* the file could not be read: *err says why */
} imp_csv_kind;

typedef struct imp_csv imp_csv;

/* A reader of f with lim (NULL: the defaults above). Never fails. */
imp_csv *imp_csv_open(FILE *f, const imp_csv_limits *lim);
void imp_csv_free(imp_csv *c);

/* Reads the next record. For IMP_CSV_BAD and IMP_CSV_FAIL, *err is set. */
imp_csv_kind imp_csv_next(imp_csv *c, tm_err *err) TM_MUST_CHECK;

/* The line (1-based) where the last record read starts. */
size_t imp_csv_line(const imp_csv *c);
/* The 0-based column a bad record's message is about, or (size_t)-1. */
size_t imp_csv_bad_column(const imp_csv *c);

/* The fields of the last IMP_CSV_ROW; field i is NUL-terminated at p[len]
 * (it may also contain NUL bytes of its own). */
size_t imp_csv_nfields(const imp_csv *c);
tm_str imp_csv_field(const imp_csv *c, size_t i);

#endif
