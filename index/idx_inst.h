/* idx_inst: institutions (universities, research institutes, companies,
 * agencies) and the groups they belong to (forum, dongbuk4, hongneung). */
#ifndef IDX_INST_H
#define IDX_INST_H

#include <stddef.h>
#include <stdint.h>

#include "../common/tm_err.h"
#include "idx_audit.h"
#include "idx_db.h"
#include "idx_tech.h"

typedef struct idx_inst {
    int64_t id;
    char *name;
    char *name_en; /* NULL when unknown */
    int kind;      /* idx_inst_kind */
    idx_strv groups;
    int64_t technologies; /* listed (not withdrawn); set by idx_inst_list */
} idx_inst;

void idx_inst_clear(idx_inst *in);

/* Finds an institution by its Korean or English name (English ignoring
 * case). *id is 0 when there is none. */
int idx_inst_find(idx_db *db, const char *name, int64_t *id, tm_err *err) TM_MUST_CHECK;

/* Adds or updates (by name) an institution with its groups (replacing the
 * stored set). *created tells which. Inside a write transaction. */
int idx_inst_upsert(idx_db *db, const idx_inst *in, int64_t *id, int *created,
                    tm_err *err) TM_MUST_CHECK;

/* Adds a new institution (in->kind -1 is other); *id gets its id.
 * TM_ECONFLICT (field "name" or "name_en") when either name is taken by an
 * institution (names are compared as idx_inst_find does). Audit:
 * "institution.add" with its fields. Inside the caller's write transaction,
 * or its own. */
int idx_inst_add(idx_db *db, const idx_actor *who, const idx_inst *in, int64_t *id,
                 tm_err *err) TM_MUST_CHECK;

/* Every institution, by name, with groups and technology counts. The caller
 * frees each with idx_inst_clear() and the array with free(). */
int idx_inst_list(idx_db *db, idx_inst **out, size_t *n, tm_err *err) TM_MUST_CHECK;

#endif
