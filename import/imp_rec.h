/* imp_rec: the one validator of imported records.
 *
 * Every format becomes a JSON object first (JSON Lines and arrays as parsed,
 * a CSV row through imp_rec_from_row()), and this code alone decides whether
 * it is a valid technology (issue 2's canonical record) and turns it into an
 * idx_tech. So a rule, a limit and a message are the same whatever the file.
 *
 * Rules: title and institution are required (institution may be left to the
 * importer); null is absent; strings are trimmed, control characters removed
 * (newline and tab kept in summary and description; elsewhere a newline or
 * tab becomes a space); lengths are counted in characters; list entries that
 * end up empty are dropped. An error names the field and quotes the value as
 * JSON ("\"ten\" is not an integer 1-9"); the first error of a record is the
 * one reported. Unknown keys are not errors: each is passed to a callback.
 *
 * Pure functions: no I/O, no database; any thread. */
#ifndef IMP_REC_H
#define IMP_REC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/tm_buf.h"
#include "../common/tm_err.h"
#include "../common/tm_str.h"
#include "../index/idx_inst.h"
#include "../index/idx_tech.h"
#include "imp_map.h"

/* Limits, in characters (code points). */
#define IMP_REC_TITLE_MAX 500
#define IMP_REC_TEXT_MAX 20000 /* summary, description */
#define IMP_REC_EXTERNAL_ID_MAX 100
#define IMP_REC_NAME_MAX 200  /* institution, asking */
#define IMP_REC_OTHER_MAX 500 /* title_en, contact */
#define IMP_REC_LIST_MAX 50   /* entries of keywords, ipc, inventors, licence */
#define IMP_REC_ENTRY_MAX 200 /* characters of one entry */
#define IMP_REC_PATENTS_MAX 50
#define IMP_REC_PATENT_STR_MAX 100

typedef struct imp_rec_opts {
    bool institution_optional; /* the importer sets the institution itself */
    /* Called once per unknown key of a record, in the record's order (for a
     * patent, "patents.<key>"); may be NULL. */
    void (*unknown)(void *arg, const char *name);
    /* Called for a value kept but worth a look (an ipc entry that is no IPC
     * code), with the field and a message; may be NULL. */
    void (*warn)(void *arg, const char *field, const char *msg);
    void *arg;
    /* A buffer for cleaned text that the caller keeps from one record to
     * the next (what it holds after a call is of no use), so that a record
     * costs no allocation but its own; may be NULL. */
    tm_buf *scratch;
} imp_rec_opts;

/* Checks obj and fills *t (initialized here). Returns TM_OK, or TM_EINVAL
 * with err->field and err->msg set and *t cleared. */
int imp_rec_tech(const json_t *obj, const imp_rec_opts *o, idx_tech *t, tm_err *err) TM_MUST_CHECK;

/* The same for an institution: {"name", "name_en", "kind", "groups"}. *in
 * is zeroed here; kind is -1 when absent. Free with idx_inst_clear(). */
int imp_rec_inst(const json_t *obj, const imp_rec_opts *o, idx_inst *in, tm_err *err) TM_MUST_CHECK;

/* How the columns of a CSV file (or of any table: rows of tm_str cells)
 * become the keys of a record. Each header name goes through imp_map (see
 * imp_map.h: synonyms in Korean and English, --map rules, columns ignored
 * on purpose). When every name is canonical the file is read as before:
 * keywords, ipc, licence and inventors are split at ';' (a cell holding a
 * JSON array of strings is that list); "patents" holds a JSON array; or the
 * columns patent_number, patent_country, patent_kind, patent_status,
 * patent_filed, patent_registered and patent_registration_number describe
 * one patent. Once a name had to be mapped, imp_map's value rules apply to
 * every cell (lenient). Columns with an empty name are skipped; when they
 * follow the last named column and that is a text (summary, description,
 * title, title_en), a row's text in them is that text's spill at unquoted
 * commas, joined back with ',' (raw/inu_kipris_patents.csv). Free with
 * imp_rec_cols_free(). */
typedef struct imp_rec_cols {
    size_t n;
    char **names;        /* trimmed header names */
    unsigned char *kind; /* private */
    const char **target; /* private: each column's field, NULL when unknown */
    bool lenient;        /* some name was mapped: imp_map's value rules apply */
    char *ignored;       /* "대표도면, 대리인": columns ignored on purpose, or NULL */
    size_t spill_from;   /* the first unnamed column taking a text's spill, or n */
    size_t spill_into;   /* the named column it belongs to, or n */
    imp_map_notes notes; /* where value warnings go: the caller's to set */
} imp_rec_cols;

/* Reads a header row. TM_EINVAL (field "header") when a name is not valid
 * UTF-8 or appears twice, or a required column (title; institution unless
 * institution_optional) is missing; *cols is then empty. m (--map rules)
 * may be NULL. */
int imp_rec_cols_map(imp_rec_cols *cols, const tm_str *names, size_t n, const imp_map *m,
                     bool institution_optional, tm_err *err) TM_MUST_CHECK;
/* imp_rec_cols_map() without rules. */
int imp_rec_cols_init(imp_rec_cols *cols, const tm_str *names, size_t n, bool institution_optional,
                      tm_err *err) TM_MUST_CHECK;
void imp_rec_cols_free(imp_rec_cols *cols);

/* The header name of the column that feeds field (a record's key, or
 * "patents[0].<key>" for a patent_* column), or NULL. */
const char *imp_rec_cols_column(const imp_rec_cols *cols, const char *field);

/* Whether a row of n cells fits the header: n columns, or any number past
 * the spill column when the header has unnamed trailing columns. */
bool imp_rec_cols_width_ok(const imp_rec_cols *cols, size_t n);

/* A CSV row as a record: empty cells are absent. TM_EINVAL (field = the
 * column) for a cell that is not valid UTF-8 or a "patents" cell that is not
 * JSON. *out is the caller's (json_decref). */
int imp_rec_from_row(const imp_rec_cols *cols, const tm_str *cells, size_t n, json_t **out,
                     tm_err *err) TM_MUST_CHECK;

#endif
