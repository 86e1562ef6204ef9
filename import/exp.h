/* exp: the catalogue written out as CSV, JSON Lines or a JSON array, in the
 * importer's own format, so that `techmart import` of an export gives the
 * same technologies back, field for field. Shared by `techmart export` and
 * GET /api/v1/technologies/export.
 *
 * A file is exp_begin(), then exp_tech() per technology, then exp_end();
 * each appends to a tm_buf the caller flushes when it likes (per page), so
 * memory holds one page, never the catalogue.
 *
 * Records carry every field of the canonical record (README, "Data
 * formats"), absent ones left out (JSON) or empty (CSV); the institution by
 * its stored (Korean) name; status always. CSV: RFC 4180 with CRLF line
 * ends, a header row of the canonical names, a cell quoted when it holds a
 * comma, quote, CR or LF (quotes doubled); lists (keywords, ipc, licence,
 * inventors) joined by "; ", or written as a JSON array when an entry holds
 * a ';' or the cell would begin with '[' (the importer reads both);
 * patents as a JSON array in the "patents" column. All output is UTF-8;
 * with bom, it begins with a UTF-8 byte order mark (for spreadsheets).
 *
 * Pure functions: no I/O, no database; any thread. */
#ifndef EXP_H
#define EXP_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/tm_buf.h"
#include "../common/tm_err.h"
#include "../index/idx_tech.h"

typedef enum { EXP_FMT_CSV, EXP_FMT_JSONL, EXP_FMT_JSON } exp_format;

/* "csv", "jsonl" or "json" into *fmt; TM_EINVAL (field "format") else. */
int exp_format_parse(const char *s, exp_format *fmt, tm_err *err) TM_MUST_CHECK;
/* "csv", "jsonl", "json": also the file name extension. */
const char *exp_format_name(exp_format fmt);
/* The HTTP Content-Type of a file of fmt. */
const char *exp_content_type(exp_format fmt);

typedef struct exp_writer {
    exp_format fmt;
    size_t n; /* records written so far */
} exp_writer;

/* Starts a file: the BOM when asked, then the CSV header row or the JSON
 * array's opening. */
void exp_begin(exp_writer *w, exp_format fmt, bool bom, tm_buf *out);
/* Appends one technology (t->institution is its name). */
void exp_tech(exp_writer *w, const idx_tech *t, tm_buf *out);
/* Ends the file (closes the JSON array; nothing for CSV and JSONL). */
void exp_end(exp_writer *w, tm_buf *out);

/* One CSV cell s[0..n), quoted when it must be. */
void exp_csv_cell(const char *s, size_t n, tm_buf *out);

#endif
