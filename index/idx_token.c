#include "idx_token.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"

int idx_token_create(idx_db *db, const idx_actor *who, int64_t user_id,
                     const uint8_t token_hash[IDX_TOKEN_HASH], const char *name, int64_t now,
                     int64_t *id, tm_err *err)
{
    idx_audit_json after = {0};
    bool own = false;
    int code;
    sqlite3_stmt *s = NULL;

    *id = 0;
    size_t nlen = name ? strlen(name) : 0;
    if (nlen == 0 || nlen > IDX_TOKEN_NAME_MAX)
        return tm_err_set(err, TM_EINVAL, "name", "a token's name has 1 to %d bytes",
                          IDX_TOKEN_NAME_MAX);
    if ((code = idx_db_join_write(db, &own, err)) != TM_OK) return code;
    if (!(s = idx_db_stmt(db, IDX_STMT_TOKEN_INSERT, err))) {
        code = err ? err->code : TM_EINTERNAL;
        goto out;
    }
    sqlite3_bind_blob(s, 1, token_hash, IDX_TOKEN_HASH, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, user_id);
    sqlite3_bind_text(s, 3, name, (int)nlen, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        code = tm_err_set(err, TM_ENOTFOUND, "user", "no user with id %lld", (long long)user_id);
    else if (rc != SQLITE_DONE)
        code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    if (code != TM_OK) goto out;
    *id = sqlite3_last_insert_rowid(db->h);
    idx_audit_json_int(&after, "user_id", user_id);
    idx_audit_json_str(&after, "name", name);
    code = idx_audit_add(db, who, "token.create", "api_token", *id, NULL,
                         idx_audit_json_cstr(&after), err);
out:
    idx_audit_json_free(&after);
    code = idx_db_join_end(db, own, code, err);
    if (code != TM_OK) *id = 0;
    return code;
}

int idx_token_find(idx_db *db, const uint8_t token_hash[IDX_TOKEN_HASH], idx_token_auth *out,
                   tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_TOKEN_FIND, err);
    int code = TM_OK;
    memset(out, 0, sizeof *out);
    if (!s) return err ? err->code : TM_EINTERNAL;
    sqlite3_bind_blob(s, 1, token_hash, IDX_TOKEN_HASH, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const void *th = sqlite3_column_blob(s, 1);
        if (!th || sqlite3_column_bytes(s, 1) != IDX_TOKEN_HASH ||
            sodium_memcmp(th, token_hash, IDX_TOKEN_HASH) != 0) {
            code = tm_err_set(err, TM_ENOTFOUND, NULL, "no such token");
        } else {
            out->id = sqlite3_column_int64(s, 0);
            out->user_id = sqlite3_column_int64(s, 2);
            out->last_used = sqlite3_column_int64(s, 3);
            idx_db_col_text(s, 4, out->email, sizeof out->email);
            idx_db_col_text(s, 5, out->role, sizeof out->role);
            out->institution_id = sqlite3_column_int64(s, 6);
            out->user_disabled = sqlite3_column_int(s, 7) != 0;
        }
    } else if (rc == SQLITE_DONE) {
        code = tm_err_set(err, TM_ENOTFOUND, NULL, "no such token");
    } else {
        code = idx_db_fail(db, rc, err);
    }
    idx_db_stmt_done(s);
    if (code != TM_OK) memset(out, 0, sizeof *out);
    return code;
}

static void token_row(sqlite3_stmt *s, idx_token *t)
{
    t->id = sqlite3_column_int64(s, 0);
    t->user_id = sqlite3_column_int64(s, 1);
    idx_db_col_text(s, 2, t->name, sizeof t->name);
    t->created_at = sqlite3_column_int64(s, 3);
    t->last_used = sqlite3_column_int64(s, 4);
}

int idx_token_get(idx_db *db, int64_t id, idx_token *t, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_TOKEN_GET, err);
    int code = TM_OK;
    memset(t, 0, sizeof *t);
    if (!s) return err ? err->code : TM_EINTERNAL;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        token_row(s, t);
    else if (rc == SQLITE_DONE)
        code = tm_err_set(err, TM_ENOTFOUND, NULL, "no such token");
    else
        code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    return code;
}

int idx_token_list(idx_db *db, int64_t user_id, idx_token **out, size_t *n, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_TOKEN_LIST, err);
    idx_token *v = NULL;
    size_t len = 0, cap = 0;
    int code = TM_OK, rc;
    *out = NULL;
    *n = 0;
    if (!s) return err ? err->code : TM_EINTERNAL;
    sqlite3_bind_int64(s, 1, user_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (len == cap) {
            cap = cap ? cap * 2 : 8;
            v = tm_xrealloc(v, cap * sizeof *v);
        }
        memset(&v[len], 0, sizeof v[len]);
        token_row(s, &v[len++]);
    }
    if (rc != SQLITE_DONE) code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    if (code != TM_OK) {
        free(v);
        return code;
    }
    *out = v;
    *n = len;
    return TM_OK;
}

int idx_token_touch(idx_db *db, int64_t id, int64_t now, tm_err *err)
{
    return idx_db_update_one(db, IDX_STMT_TOKEN_TOUCH, id, now, "token", err);
}

int idx_token_revoke(idx_db *db, const idx_actor *who, int64_t id, int64_t now, tm_err *err)
{
    idx_audit_json before = {0}, after = {0};
    bool own = false;
    int code;
    if ((code = idx_db_join_write(db, &own, err)) != TM_OK) return code;
    if ((code = idx_db_update_one(db, IDX_STMT_TOKEN_REVOKE, id, now, "token", err)) != TM_OK)
        goto out;
    idx_audit_json_null(&before, "revoked_at");
    idx_audit_json_int(&after, "revoked_at", now);
    code = idx_audit_add(db, who, "token.revoke", "api_token", id, idx_audit_json_cstr(&before),
                         idx_audit_json_cstr(&after), err);
out:
    idx_audit_json_free(&before);
    idx_audit_json_free(&after);
    return idx_db_join_end(db, own, code, err);
}
