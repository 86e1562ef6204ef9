#include "idx_audit.h"

#include <stdio.h>

#include "../common/tm_log.h"

static void json_escaped(tm_buf *b, const char *s)
{
    tm_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            tm_buf_putc(b, '\\');
            tm_buf_putc(b, (char)*p);
        } else if (*p < 0x20 || *p == 0x7f) {
            tm_buf_printf(b, "\\u%04x", (unsigned)*p);
        } else {
            tm_buf_putc(b, (char)*p);
        }
    }
    tm_buf_putc(b, '"');
}

static void json_key(idx_audit_json *j, const char *key)
{
    if (j->members.len) tm_buf_puts(&j->members, ", ");
    json_escaped(&j->members, key);
    tm_buf_puts(&j->members, ": ");
}

void idx_audit_json_str(idx_audit_json *j, const char *key, const char *s)
{
    json_key(j, key);
    if (s)
        json_escaped(&j->members, s);
    else
        tm_buf_puts(&j->members, "null");
}

void idx_audit_json_int(idx_audit_json *j, const char *key, int64_t v)
{
    json_key(j, key);
    tm_buf_printf(&j->members, "%lld", (long long)v);
}

void idx_audit_json_bool(idx_audit_json *j, const char *key, bool v)
{
    json_key(j, key);
    tm_buf_puts(&j->members, v ? "true" : "false");
}

void idx_audit_json_null(idx_audit_json *j, const char *key)
{
    json_key(j, key);
    tm_buf_puts(&j->members, "null");
}

const char *idx_audit_json_cstr(idx_audit_json *j)
{
    if (!j->members.len) return NULL;
    tm_buf_reset(&j->out);
    tm_buf_putc(&j->out, '{');
    tm_buf_append(&j->out, j->members.p, j->members.len);
    tm_buf_putc(&j->out, '}');
    return tm_buf_cstr(&j->out);
}

void idx_audit_json_free(idx_audit_json *j)
{
    tm_buf_free(&j->members);
    tm_buf_free(&j->out);
}

int idx_audit_add(idx_db *db, const idx_actor *who, const char *action, const char *object,
                  int64_t object_id, const char *before, const char *after, tm_err *err)
{
    char now[21];
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_AUDIT_INSERT, err);
    if (!s) return err ? err->code : TM_EINTERNAL;
    tm_time_iso(now);
    sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
    if (who && who->user_id) sqlite3_bind_int64(s, 2, who->user_id);
    if (who && who->address) sqlite3_bind_text(s, 3, who->address, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, object, -1, SQLITE_STATIC);
    if (object_id) sqlite3_bind_int64(s, 6, object_id);
    if (before) sqlite3_bind_text(s, 7, before, -1, SQLITE_STATIC);
    if (after) sqlite3_bind_text(s, 8, after, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    int code = rc == SQLITE_DONE ? TM_OK : idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    return code;
}
