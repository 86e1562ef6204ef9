#include "idx_session.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

int idx_session_create(idx_db *db, const idx_actor *who, int64_t user_id,
                       const uint8_t token_hash[IDX_SESSION_HASH],
                       const uint8_t csrf_hash[IDX_SESSION_HASH], int64_t now, int64_t expires_at,
                       int64_t *id, tm_err *err)
{
    idx_audit_json after = {0};
    bool own = false;
    int code;
    sqlite3_stmt *s = NULL;

    *id = 0;
    if ((code = idx_db_join_write(db, &own, err)) != TM_OK) return code;
    if (!(s = idx_db_stmt(db, IDX_STMT_SESSION_INSERT, err))) {
        code = err ? err->code : TM_EINTERNAL;
        goto out;
    }
    sqlite3_bind_blob(s, 1, token_hash, IDX_SESSION_HASH, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, csrf_hash, IDX_SESSION_HASH, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, user_id);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_bind_int64(s, 5, expires_at);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        code = tm_err_set(err, TM_ENOTFOUND, "user", "no user with id %lld", (long long)user_id);
    else if (rc != SQLITE_DONE)
        code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    if (code != TM_OK) goto out;
    *id = sqlite3_last_insert_rowid(db->h);
    idx_audit_json_int(&after, "user_id", user_id);
    idx_audit_json_int(&after, "expires_at", expires_at);
    code = idx_audit_add(db, who, "session.open", "session", *id, NULL, idx_audit_json_cstr(&after),
                         err);
out:
    idx_audit_json_free(&after);
    code = idx_db_join_end(db, own, code, err);
    if (code != TM_OK) *id = 0;
    return code;
}

int idx_session_find(idx_db *db, const uint8_t token_hash[IDX_SESSION_HASH], idx_session *out,
                     tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_SESSION_FIND, err);
    int code = TM_OK;
    memset(out, 0, sizeof *out);
    if (!s) return err ? err->code : TM_EINTERNAL;
    sqlite3_bind_blob(s, 1, token_hash, IDX_SESSION_HASH, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const void *th = sqlite3_column_blob(s, 1);
        const void *ch = sqlite3_column_blob(s, 2);
        if (!th || !ch || sqlite3_column_bytes(s, 1) != IDX_SESSION_HASH ||
            sqlite3_column_bytes(s, 2) != IDX_SESSION_HASH ||
            sodium_memcmp(th, token_hash, IDX_SESSION_HASH) != 0) {
            code = tm_err_set(err, TM_ENOTFOUND, NULL, "no such session");
        } else {
            out->id = sqlite3_column_int64(s, 0);
            memcpy(out->token_hash, th, IDX_SESSION_HASH);
            memcpy(out->csrf_hash, ch, IDX_SESSION_HASH);
            out->user_id = sqlite3_column_int64(s, 3);
            out->created_at = sqlite3_column_int64(s, 4);
            out->last_seen = sqlite3_column_int64(s, 5);
            out->expires_at = sqlite3_column_int64(s, 6);
            idx_db_col_text(s, 7, out->email, sizeof out->email);
            idx_db_col_text(s, 8, out->role, sizeof out->role);
            out->institution_id = sqlite3_column_int64(s, 9);
            out->user_disabled = sqlite3_column_int(s, 10) != 0;
        }
    } else if (rc == SQLITE_DONE) {
        code = tm_err_set(err, TM_ENOTFOUND, NULL, "no such session");
    } else {
        code = idx_db_fail(db, rc, err);
    }
    idx_db_stmt_done(s);
    if (code != TM_OK) memset(out, 0, sizeof *out);
    return code;
}

int idx_session_touch(idx_db *db, int64_t id, int64_t now, tm_err *err)
{
    return idx_db_update_one(db, IDX_STMT_SESSION_TOUCH, id, now, "session", err);
}

int idx_session_revoke(idx_db *db, const idx_actor *who, int64_t id, int64_t now,
                       const char *reason, tm_err *err)
{
    idx_audit_json before = {0}, after = {0};
    bool own = false;
    int code;
    if ((code = idx_db_join_write(db, &own, err)) != TM_OK) return code;
    if ((code = idx_db_update_one(db, IDX_STMT_SESSION_REVOKE, id, now, "session", err)) != TM_OK)
        goto out;
    idx_audit_json_null(&before, "revoked_at");
    idx_audit_json_int(&after, "revoked_at", now);
    idx_audit_json_str(&after, "reason", reason);
    code = idx_audit_add(db, who, "session.close", "session", id, idx_audit_json_cstr(&before),
                         idx_audit_json_cstr(&after), err);
out:
    idx_audit_json_free(&before);
    idx_audit_json_free(&after);
    return idx_db_join_end(db, own, code, err);
}

int idx_session_revoke_user(idx_db *db, const idx_actor *who, int64_t user_id, int64_t keep,
                            int64_t now, const char *reason, int *n, tm_err *err)
{
    idx_audit_json after = {0};
    bool own = false;
    int code, count = 0;
    sqlite3_stmt *s = NULL;
    if ((code = idx_db_join_write(db, &own, err)) != TM_OK) return code;
    if (!(s = idx_db_stmt(db, IDX_STMT_SESSION_REVOKE_USER, err))) {
        code = err ? err->code : TM_EINTERNAL;
        goto out;
    }
    sqlite3_bind_int64(s, 1, user_id);
    sqlite3_bind_int64(s, 2, now);
    sqlite3_bind_int64(s, 3, keep);
    int rc = sqlite3_step(s);
    code = rc == SQLITE_DONE ? TM_OK : idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    if (code != TM_OK) goto out;
    count = sqlite3_changes(db->h);
    if (count == 0) goto out;
    idx_audit_json_int(&after, "sessions_closed", count);
    idx_audit_json_str(&after, "reason", reason);
    code = idx_audit_add(db, who, "session.close_all", "user", user_id, NULL,
                         idx_audit_json_cstr(&after), err);
out:
    idx_audit_json_free(&after);
    code = idx_db_join_end(db, own, code, err);
    if (n) *n = code == TM_OK ? count : 0;
    return code;
}
