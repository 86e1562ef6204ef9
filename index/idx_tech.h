/* idx_tech: technologies (and their patents) in the store.
 *
 * An idx_tech owns every string and array in it; idx_tech_clear() frees them
 * and leaves a zeroed record. Lists (keywords, ipc, inventors) are arrays of
 * NUL-terminated strings without newlines. Text is valid UTF-8 (the
 * importer and the API validate before calling in). */
#ifndef IDX_TECH_H
#define IDX_TECH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tm_err.h"
#include "idx_db.h"

typedef struct idx_strv {
    char **v;
    size_t n;
} idx_strv;

typedef struct idx_patent {
    char *number; /* "10-2019-0012345" */
    char *country;
    char *kind;
    char *status;
    char *filed;      /* YYYY-MM-DD */
    char *registered; /* YYYY-MM-DD */
    char *registration_number;
} idx_patent;

typedef struct idx_tech {
    int64_t id; /* 0 before it is stored */
    char *external_id;
    char *title;
    char *title_en;
    char *summary;
    char *description;
    idx_strv keywords;
    int field; /* idx_field, -1 when absent */
    idx_strv ipc;
    int trl;          /* 1-9, 0 when absent */
    unsigned licence; /* mask of 1u << idx_licence */
    char *asking;
    int status;        /* idx_status */
    char *institution; /* name as given (import) or stored name (read) */
    int64_t institution_id;
    idx_strv inventors;
    char *contact;
    idx_patent *patents;
    size_t npatents;
    /* set by reads only */
    char *created_at;
    char *updated_at;
    int64_t version;
} idx_tech;

/* A fresh record: field -1, status available, everything else empty. */
void idx_tech_init(idx_tech *t);
void idx_tech_clear(idx_tech *t);
/* Appends a copy of s to v. */
void idx_strv_push(idx_strv *v, const char *s);
void idx_strv_clear(idx_strv *v);

typedef enum { IDX_UPSERT_ADDED, IDX_UPSERT_UPDATED, IDX_UPSERT_UNCHANGED } idx_upsert_kind;

typedef struct idx_upsert_res {
    idx_upsert_kind kind;
    int64_t id;
    int64_t version;
    bool institution_created; /* t->institution was unknown and was added */
    unsigned changed;         /* idx_tech_upsert_diff, IDX_UPSERT_UPDATED: IDX_TECH_F_* bits */
} idx_upsert_res;

/* The parts of a technology idx_tech_upsert_diff tells apart, as bit numbers
 * of idx_upsert_res.changed (1u << IDX_TECH_F_TITLE). */
typedef enum {
    IDX_TECH_F_INSTITUTION,
    IDX_TECH_F_EXTERNAL_ID,
    IDX_TECH_F_TITLE,
    IDX_TECH_F_TITLE_EN,
    IDX_TECH_F_SUMMARY,
    IDX_TECH_F_DESCRIPTION,
    IDX_TECH_F_KEYWORDS,
    IDX_TECH_F_FIELD,
    IDX_TECH_F_IPC,
    IDX_TECH_F_TRL,
    IDX_TECH_F_LICENCE,
    IDX_TECH_F_ASKING,
    IDX_TECH_F_STATUS,
    IDX_TECH_F_INVENTORS,
    IDX_TECH_F_CONTACT,
    IDX_TECH_F_PATENTS,
    IDX_TECH_F__COUNT
} idx_tech_f;

/* The import field name of part f ("title", "patents"); NULL out of range. */
const char *idx_tech_f_name(int f);

/* Adds t, or updates the technology with the same external_id (or, without
 * one, the same institution and first patent number), bumping its version;
 * a record identical to the stored one changes nothing. The institution is
 * t->institution_id when set, else found by name (Korean or English) and
 * created (kind "other") when unknown. Must run inside a write transaction
 * (idx_db_begin_write); on error the caller rolls back or skips the row via
 * a savepoint. */
int idx_tech_upsert(idx_db *db, const idx_tech *t, idx_upsert_res *res, tm_err *err) TM_MUST_CHECK;

/* idx_tech_upsert that also sets res->changed, for an update, to the parts
 * in which t differs from the stored technology (one more read per updated
 * record: for dry runs and reports, not bulk loads). */
int idx_tech_upsert_diff(idx_db *db, const idx_tech *t, idx_upsert_res *res,
                         tm_err *err) TM_MUST_CHECK;

/* Adds t as a new technology of institution t->institution_id (required;
 * an unknown one is TM_EINVAL naming "institution"), never merging it with a
 * stored one as idx_tech_upsert does; *id is the new id (0 on error). A
 * duplicate external_id is TM_ECONFLICT naming "external_id". Inside a write
 * transaction; on error the caller rolls back. */
int idx_tech_insert(idx_db *db, const idx_tech *t, int64_t *id, tm_err *err) TM_MUST_CHECK;

/* Replaces technology id by t (institution t->institution_id, required) and
 * bumps its version, only while its version is still version: one
 * UPDATE ... WHERE id = ? AND version = ?; TM_ESTALE (field "If-Match") when
 * it is not, or the technology is gone. Errors as idx_tech_insert. Inside a
 * write transaction; on error the caller rolls back. */
int idx_tech_update_if(idx_db *db, int64_t id, int64_t version, const idx_tech *t,
                       tm_err *err) TM_MUST_CHECK;

/* Reads technology id with its patents into *t (initialized by the call).
 * TM_ENOTFOUND when there is none. */
int idx_tech_get(idx_db *db, int64_t id, idx_tech *t, tm_err *err) TM_MUST_CHECK;

/* The same without patents (search results). */
int idx_tech_get_brief(idx_db *db, int64_t id, idx_tech *t, tm_err *err) TM_MUST_CHECK;

/* Number of technologies stored. */
int idx_tech_count(idx_db *db, int64_t *n, tm_err *err) TM_MUST_CHECK;

/* The BLAKE2b-128 of t's stored fields with institution inst_id (the one
 * technology.content_hash holds): equal for records that store alike. */
void idx_tech_content_hash(const idx_tech *t, int64_t inst_id, unsigned char out[16]);
/* A 64-bit hash of the same fields (institution aside), several times
 * cheaper: for telling records apart within one run, never stored. */
uint64_t idx_tech_body_hash64(const idx_tech *t);

#endif
