/* imp: bulk import of technologies (and institutions) from files.
 *
 * Formats by extension: .jsonl (one JSON object a line), .json (an array of
 * objects), .csv (RFC 4180, separator ',' or the one its header shows: ';'
 * or tab), .tsv/.tab (tab-separated), .xls (Excel 97-2003, its first
 * worksheet: import/imp_xls.h; .xlsx is refused with a message); a header
 * row of field names, mapped by imp_map (Korean and English synonyms, --map
 * rules). Text formats are read through imp_enc (UTF-8, with or without BOM,
 * or CP949, detected unless imp_opts.encoding says; UTF-16 is a file-level
 * error on field "encoding"). Each file is one
 * write transaction; each record runs in a savepoint, so a bad record is
 * reported (file, line, field, reason) and skipped while the others are
 * imported. Readers stream: memory does not grow with file size.
 *
 * Ownership: an imp_report owns its issues and names; imp_report_free(). */
#ifndef IMP_H
#define IMP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/tm_err.h"
#include "../index/idx_db.h"
#include "imp_map.h"

typedef enum { IMP_FMT_JSONL, IMP_FMT_JSON, IMP_FMT_CSV, IMP_FMT_TSV, IMP_FMT_XLS } imp_format;

/* Keep at most this many issues in a report (all are counted). */
#define IMP_MAX_ISSUES 1000

typedef struct imp_issue {
    char *file;
    size_t line; /* 1-based line where the record starts; 0 for the whole file */
    char field[64];
    char msg[192];
    bool warning; /* nothing was rejected (an unknown field ignored, an empty file) */
} imp_issue;

/* Start from a zeroed report; several files may be imported into one. Every
 * rejected record has one issue, and so has every warning: rejected + warnings
 * issues exist, of which the first IMP_MAX_ISSUES are kept. */
typedef struct imp_report {
    size_t added, updated, unchanged, rejected;
    size_t warnings;
    imp_issue *issues;
    size_t nissues;
    char **new_institutions; /* names created because they were unknown */
    size_t nnew_institutions;
    /* The text encoding of the last file read that was not UTF-8 ("cp949"),
     * else "": imp_report_print says "encoding: cp949 (detected)". */
    char encoding[16];
    bool encoding_detected; /* false: forced by imp_opts.encoding */
    /* Files rolled back whole because imp_opts.strict met a rejection: their
     * rejections and warnings stay, their added/updated/unchanged do not. */
    size_t aborted;
} imp_report;

/* A record that changes (or, on a dry run, would change) the catalogue,
 * for imp_opts.on_change. Its pointers live for the call only. */
typedef struct imp_change {
    const char *file; /* base name, as in issues */
    size_t line;
    bool added; /* else an update of technology id */
    int64_t id; /* the technology's id (a dry run's new ones too, rolled back) */
    const char *title;
    unsigned fields; /* an update's changed parts: bits 1u << IDX_TECH_F_* (idx_tech.h) */
} imp_change;

typedef struct imp_opts {
    bool dry_run;           /* validate and count, then roll back */
    int64_t institution_id; /* 0, or force every record to this institution */
    const imp_map *map;     /* --map rules (imp_map.h), or NULL */
    /* Text files' encoding (--encoding): NULL to detect, else utf-8, cp949
     * or euc-kr (import/imp_enc.h); .xls files are Unicode and ignore it. */
    const char *encoding;
    /* Called inside the file's write transaction just before it commits
     * (not on a dry run), with the report so far: an audit row written here
     * commits or rolls back with the records. An error ends the file. */
    int (*before_commit)(void *arg, idx_db *db, const imp_report *rep, tm_err *err);
    void *commit_arg;
    /* Any rejected record rolls the whole file back (rep->aborted). */
    bool strict;
    /* Called on the caller's thread for each added or updated technology,
     * when set (each update then costs one more read). */
    void (*on_change)(void *arg, const imp_change *c);
    /* Called on the caller's thread after every batch of records written:
     * records so far (rejected ones too) and bytes read of the file (-1
     * when unknown). Keep it cheap: it runs inside the write transaction. */
    void (*progress)(void *arg, size_t records, int64_t bytes);
    void *hook_arg; /* for on_change and progress */
} imp_opts;

/* Format from path's extension; TM_EINVAL (field "file") when unknown. */
int imp_format_of(const char *path, imp_format *fmt, tm_err *err) TM_MUST_CHECK;

/* Imports one file. Returns TM_OK when the file was read through (even with
 * rejected records: see rep->rejected); an error when it could not be read
 * or written at all (nothing of it is then stored). */
int imp_file(idx_db *db, const char *path, const imp_opts *opts, imp_report *rep,
             tm_err *err) TM_MUST_CHECK;

/* The same from an open stream; name is used in issues. A text format is
 * read through imp_enc (opts->encoding; rep->encoding says a non-UTF-8
 * one); IMP_FMT_XLS reads the whole stream into memory first (at most
 * IMP_XLS_FILE_MAX bytes) and imports the first worksheet. */
int imp_stream(idx_db *db, FILE *f, const char *name, imp_format fmt, const imp_opts *opts,
               imp_report *rep, tm_err *err) TM_MUST_CHECK;

/* Imports institutions (JSONL of {name, name_en, kind, groups}). */
int imp_institutions(idx_db *db, FILE *f, const char *name, imp_report *rep,
                     tm_err *err) TM_MUST_CHECK;

/* "file:line: field: message" per issue, then the summary line, prefixed
 * with "label: " when label is not NULL, to out. */
void imp_report_print(const imp_report *rep, const char *label, FILE *out);
void imp_report_free(imp_report *rep);

#endif
