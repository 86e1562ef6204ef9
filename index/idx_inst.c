#include "idx_inst.h"

#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_log.h"
#include "idx_bulk.h"
#include "idx_enum.h"

void idx_inst_clear(idx_inst *in)
{
    if (!in) return;
    free(in->name);
    free(in->name_en);
    idx_strv_clear(&in->groups);
    memset(in, 0, sizeof *in);
}

static int step_done(idx_db *db, sqlite3_stmt *s, tm_err *err)
{
    int rc = sqlite3_step(s);
    int code = rc == SQLITE_DONE ? TM_OK : idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    return code;
}

int idx_inst_find(idx_db *db, const char *name, int64_t *id, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_INST_FIND, err);
    if (!s) return err->code;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int code = TM_OK;
    *id = 0;
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    else if (rc != SQLITE_DONE)
        code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    return code;
}

int idx_inst_upsert(idx_db *db, const idx_inst *in, int64_t *id, int *created, tm_err *err)
{
    char now[21];
    const char *kind = idx_kind_name(in->kind) ? idx_kind_name(in->kind) : "other";
    int code = idx_inst_find(db, in->name, id, err);
    sqlite3_stmt *s;

    *created = 0;
    if (code != TM_OK) return code;
    tm_time_iso(now);
    if (!*id) {
        if (!(s = idx_db_stmt(db, IDX_STMT_INST_INSERT, err))) return err->code;
        sqlite3_bind_text(s, 1, in->name, -1, SQLITE_STATIC);
        if (in->name_en) sqlite3_bind_text(s, 2, in->name_en, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, now, -1, SQLITE_STATIC);
        if ((code = step_done(db, s, err)) != TM_OK) return code;
        *id = sqlite3_last_insert_rowid(db->h);
        *created = 1;
    } else {
        if ((code = idx_bulk_inst_update(db, *id, in->name_en, err)) != TM_OK) return code;
        if (!(s = idx_db_stmt(db, IDX_STMT_INST_UPDATE, err))) return err->code;
        sqlite3_bind_int64(s, 1, *id);
        if (in->name_en) sqlite3_bind_text(s, 2, in->name_en, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, now, -1, SQLITE_STATIC);
        if ((code = step_done(db, s, err)) != TM_OK) return code;
        if (!(s = idx_db_stmt(db, IDX_STMT_INST_GROUP_CLEAR, err))) return err->code;
        sqlite3_bind_int64(s, 1, *id);
        if ((code = step_done(db, s, err)) != TM_OK) return code;
    }
    for (size_t i = 0; code == TM_OK && i < in->groups.n; i++) {
        if (!(s = idx_db_stmt(db, IDX_STMT_INST_GROUP_ADD, err))) return err->code;
        sqlite3_bind_int64(s, 1, *id);
        sqlite3_bind_text(s, 2, in->groups.v[i], -1, SQLITE_STATIC);
        code = step_done(db, s, err);
    }
    return code;
}

/* A taken name is a conflict naming field. */
static int name_free(idx_db *db, const char *name, const char *field, tm_err *err)
{
    int64_t id = 0;
    int code = idx_inst_find(db, name, &id, err);
    if (code == TM_OK && id)
        code = tm_err_set(err, TM_ECONFLICT, field, "an institution of this name exists (id %lld)",
                          (long long)id);
    return code;
}

int idx_inst_add(idx_db *db, const idx_actor *who, const idx_inst *in, int64_t *id, tm_err *err)
{
    idx_audit_json after = {0};
    bool own = false;
    int created = 0;
    *id = 0;
    int code = idx_db_join_write(db, &own, err);
    if (code != TM_OK) return code;
    code = name_free(db, in->name, "name", err);
    if (code == TM_OK && in->name_en) code = name_free(db, in->name_en, "name_en", err);
    if (code == TM_OK) code = idx_inst_upsert(db, in, id, &created, err);
    if (code == TM_OK) {
        idx_audit_json_str(&after, "name", in->name);
        idx_audit_json_str(&after, "name_en", in->name_en);
        idx_audit_json_str(&after, "kind",
                           idx_kind_name(in->kind) ? idx_kind_name(in->kind) : "other");
        if (in->groups.n) {
            tm_buf g = {0};
            for (size_t i = 0; i < in->groups.n; i++) {
                if (i) tm_buf_puts(&g, ", ");
                tm_buf_puts(&g, in->groups.v[i]);
            }
            idx_audit_json_str(&after, "groups", tm_buf_cstr(&g));
            tm_buf_free(&g);
        }
        code = idx_audit_add(db, who, "institution.add", "institution", *id, NULL,
                             idx_audit_json_cstr(&after), err);
    }
    idx_audit_json_free(&after);
    code = idx_db_join_end(db, own, code, err);
    if (code != TM_OK) *id = 0;
    return code;
}

int idx_inst_list(idx_db *db, idx_inst **out, size_t *n, tm_err *err)
{
    idx_inst *v = NULL;
    size_t len = 0;
    int rc, code = TM_OK;
    sqlite3_stmt *s;

    *out = NULL;
    *n = 0;
    if ((code = idx_db_begin_read(db, err)) != TM_OK) return code;
    if (!(s = idx_db_stmt(db, IDX_STMT_INST_LIST, err))) {
        code = err->code;
        goto out;
    }
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = tm_xreallocarray(v, len + 1, sizeof *v);
        idx_inst *in = &v[len++];
        memset(in, 0, sizeof *in);
        in->id = sqlite3_column_int64(s, 0);
        in->name = tm_xstrdup((const char *)sqlite3_column_text(s, 1));
        if (sqlite3_column_type(s, 2) != SQLITE_NULL)
            in->name_en = tm_xstrdup((const char *)sqlite3_column_text(s, 2));
        in->kind = idx_kind_parse((const char *)sqlite3_column_text(s, 3));
        if (in->kind < 0) in->kind = IDX_KIND_OTHER;
        in->technologies = sqlite3_column_int64(s, 4);
    }
    if (rc != SQLITE_DONE) code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    if (code != TM_OK) goto out;
    if (!(s = idx_db_stmt(db, IDX_STMT_INST_GROUPS, err))) {
        code = err->code;
        goto out;
    }
    /* Both lists are small (hundreds); match groups to institutions by id. */
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t iid = sqlite3_column_int64(s, 0);
        for (size_t i = 0; i < len; i++)
            if (v[i].id == iid) {
                idx_strv_push(&v[i].groups, (const char *)sqlite3_column_text(s, 1));
                break;
            }
    }
    if (rc != SQLITE_DONE) code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
out:
    idx_db_rollback(db); /* ends the read transaction */
    if (code != TM_OK) {
        for (size_t i = 0; i < len; i++)
            idx_inst_clear(&v[i]);
        free(v);
        return code;
    }
    *out = v;
    *n = len;
    return TM_OK;
}
