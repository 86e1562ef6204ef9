/* imp: bulk import of technologies (and institutions) from files.
 *
 * Formats by extension: .jsonl (one JSON object a line), .json (an array of
 * objects), .csv (RFC 4180, separator ',' or the one its header shows: ';'
 * or tab), .tsv/.tab (tab-separated); a header row of field names, mapped
 * by imp_map (Korean and English synonyms, --map rules). Each file is one
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

typedef enum { IMP_FMT_JSONL, IMP_FMT_JSON, IMP_FMT_CSV, IMP_FMT_TSV } imp_format;

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
} imp_report;

typedef struct imp_opts {
    bool dry_run;           /* validate and count, then roll back */
    int64_t institution_id; /* 0, or force every record to this institution */
    const imp_map *map;     /* --map rules (imp_map.h), or NULL */
    /* Called inside the file's write transaction just before it commits
     * (not on a dry run), with the report so far: an audit row written here
     * commits or rolls back with the records. An error ends the file. */
    int (*before_commit)(void *arg, idx_db *db, const imp_report *rep, tm_err *err);
    void *commit_arg;
} imp_opts;

/* Format from path's extension; TM_EINVAL (field "file") when unknown. */
int imp_format_of(const char *path, imp_format *fmt, tm_err *err) TM_MUST_CHECK;

/* Imports one file. Returns TM_OK when the file was read through (even with
 * rejected records: see rep->rejected); an error when it could not be read
 * or written at all (nothing of it is then stored). */
int imp_file(idx_db *db, const char *path, const imp_opts *opts, imp_report *rep,
             tm_err *err) TM_MUST_CHECK;

/* The same from an open stream; name is used in issues. */
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
