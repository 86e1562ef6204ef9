#include "idx_user.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/tm_alloc.h"
#include "../common/tm_log.h"
#include "idx_inst.h"
#include "idx_session.h"

static const char *const roles[] = {"company", "tto", "staff", "admin"};

void idx_user_clear(idx_user *u)
{
    if (!u) return;
    free(u->email);
    free(u->role);
    free(u->institution);
    free(u->created_at);
    free(u->updated_at);
    memset(u, 0, sizeof *u);
}

bool idx_user_role_valid(const char *role)
{
    for (size_t i = 0; role && i < sizeof roles / sizeof roles[0]; i++)
        if (!strcmp(role, roles[i])) return true;
    return false;
}

bool idx_user_role_needs_institution(const char *role)
{
    return role && (!strcmp(role, "company") || !strcmp(role, "tto"));
}

static bool is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool local_ok(const char *s, size_t n)
{
    if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.') return false;
    for (size_t i = 0; i < n; i++) {
        if (is_alnum(s[i]) || (s[i] && strchr("!#$%&'*+/=?^_`{|}~-", s[i]))) continue;
        if (s[i] == '.' && s[i + 1] != '.') continue;
        return false;
    }
    return true;
}

static bool domain_ok(const char *s, size_t n)
{
    size_t labels = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            if (!is_alnum(s[i]) && s[i] != '-') return false;
            continue;
        }
        size_t len = i - start;
        if (len == 0 || len > 63 || s[start] == '-' || s[i - 1] == '-') return false;
        labels++;
        start = i + 1;
    }
    return labels >= 2;
}

int idx_user_email_normalize(const char *in, char *out, size_t cap, tm_err *err)
{
    size_t n = in ? strlen(in) : 0;
    const char *at = in ? strchr(in, '@') : NULL;
    if (n == 0) return tm_err_set(err, TM_EINVAL, "email", "an email address is required");
    if (n > IDX_EMAIL_MAX || n >= cap)
        return tm_err_set(err, TM_EINVAL, "email", "an email address has at most %d bytes",
                          IDX_EMAIL_MAX);
    if (!at || strchr(at + 1, '@') || !local_ok(in, (size_t)(at - in)) ||
        !domain_ok(at + 1, n - (size_t)(at - in) - 1))
        return tm_err_set(err, TM_EINVAL, "email", "not an email address (name@example.com)");
    for (size_t i = 0; i <= n; i++)
        out[i] = in[i] >= 'A' && in[i] <= 'Z' ? (char)(in[i] - 'A' + 'a') : in[i];
    return TM_OK;
}

int idx_user_institution_resolve(idx_db *db, const char *name_or_id, int64_t *id, tm_err *err)
{
    int code = TM_OK;
    size_t n = strlen(name_or_id);
    *id = 0;
    /* A decimal id first; a name that happens to be digits still works. */
    if (n > 0 && n < 19 && strspn(name_or_id, "0123456789") == n) {
        sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_INST_GET, err);
        if (!s) return err ? err->code : TM_EINTERNAL;
        sqlite3_bind_int64(s, 1, strtoll(name_or_id, NULL, 10));
        int rc = sqlite3_step(s);
        if (rc == SQLITE_ROW)
            *id = sqlite3_column_int64(s, 0);
        else if (rc != SQLITE_DONE)
            code = idx_db_fail(db, rc, err);
        idx_db_stmt_done(s);
        if (code != TM_OK || *id) return code;
    }
    if ((code = idx_inst_find(db, name_or_id, id, err)) != TM_OK) return code;
    if (!*id)
        return tm_err_set(err, TM_ENOTFOUND, "institution",
                          "no institution named or numbered \"%.80s\"", name_or_id);
    return TM_OK;
}

/* Runs a mutation in its own write transaction unless the caller holds one. */
static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? tm_xstrdup((const char *)t) : NULL;
}

/* Columns 0-8 of USER_BY_EMAIL and USER_LIST. */
static void row_read(sqlite3_stmt *s, idx_user *u)
{
    u->id = sqlite3_column_int64(s, 0);
    u->email = col_dup(s, 1);
    u->role = col_dup(s, 2);
    u->institution_id = sqlite3_column_int64(s, 3);
    u->institution = col_dup(s, 4);
    u->disabled = sqlite3_column_int(s, 5) != 0;
    u->created_at = col_dup(s, 6);
    u->updated_at = col_dup(s, 7);
    u->version = sqlite3_column_int64(s, 8);
}

int idx_user_find(idx_db *db, const char *email, idx_user *u, char **password_hash, tm_err *err)
{
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_USER_BY_EMAIL, err);
    int code = TM_OK;
    memset(u, 0, sizeof *u);
    if (password_hash) *password_hash = NULL;
    if (!s) return err ? err->code : TM_EINTERNAL;
    sqlite3_bind_text(s, 1, email, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        row_read(s, u);
        if (password_hash) *password_hash = col_dup(s, 9);
    } else if (rc == SQLITE_DONE) {
        code = tm_err_set(err, TM_ENOTFOUND, "email", "no such user");
    } else {
        code = idx_db_fail(db, rc, err);
    }
    idx_db_stmt_done(s);
    return code;
}

/* A crypto_pwhash_str string, so a plain password can never be stored by
 * mistake. */
static int hash_check(const char *h, tm_err *err)
{
    if (!h || strncmp(h, "$argon2", 7) != 0 || strlen(h) >= 128)
        return tm_err_set(err, TM_EINVAL, "password", "not a password hash");
    return TM_OK;
}

int idx_user_add(idx_db *db, const idx_actor *who, const char *email, const char *role,
                 int64_t institution_id, const char *password_hash, int64_t *id, tm_err *err)
{
    char mail[IDX_EMAIL_MAX + 1], now[21];
    idx_audit_json after = {0};
    sqlite3_stmt *s = NULL;
    bool own = false;
    int code;

    *id = 0;
    if ((code = idx_user_email_normalize(email, mail, sizeof mail, err)) != TM_OK) return code;
    if (!idx_user_role_valid(role))
        return tm_err_set(err, TM_EINVAL, "role", "role must be company, tto, staff or admin");
    if (!institution_id && idx_user_role_needs_institution(role))
        return tm_err_set(err, TM_EINVAL, "institution", "a %s user needs an institution", role);
    if ((code = hash_check(password_hash, err)) != TM_OK) return code;
    if ((code = idx_db_join_write(db, &own, err)) != TM_OK) return code;

    if (!(s = idx_db_stmt(db, IDX_STMT_USER_INSERT, err))) {
        code = err ? err->code : TM_EINTERNAL;
        goto out;
    }
    tm_time_iso(now);
    sqlite3_bind_text(s, 1, mail, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, role, -1, SQLITE_STATIC);
    if (institution_id) sqlite3_bind_int64(s, 3, institution_id);
    sqlite3_bind_text(s, 4, password_hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, now, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_CONSTRAINT_UNIQUE)
        code = tm_err_set(err, TM_ECONFLICT, "email", "a user with this email already exists");
    else if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        code = tm_err_set(err, TM_ENOTFOUND, "institution", "no institution with id %lld",
                          (long long)institution_id);
    else if (rc != SQLITE_DONE)
        code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    if (code != TM_OK) goto out;
    *id = sqlite3_last_insert_rowid(db->h);

    idx_audit_json_str(&after, "email", mail);
    idx_audit_json_str(&after, "role", role);
    if (institution_id)
        idx_audit_json_int(&after, "institution_id", institution_id);
    else
        idx_audit_json_null(&after, "institution_id");
    idx_audit_json_bool(&after, "disabled", false);
    idx_audit_json_int(&after, "version", 1);
    code = idx_audit_add(db, who, "user.add", "user", *id, NULL, idx_audit_json_cstr(&after), err);
out:
    idx_audit_json_free(&after);
    code = idx_db_join_end(db, own, code, err);
    if (code != TM_OK) *id = 0;
    return code;
}

/* Runs an UPDATE that bumps version, guarded by the version read in the same
 * transaction: ?1 id, ?2 the new value (text or int), ?3 now, ?4 version. */
static int user_update(idx_db *db, idx_stmt id, const idx_user *u, const char *text, int num,
                       tm_err *err)
{
    char now[21];
    sqlite3_stmt *s = idx_db_stmt(db, id, err);
    if (!s) return err ? err->code : TM_EINTERNAL;
    tm_time_iso(now);
    sqlite3_bind_int64(s, 1, u->id);
    if (text)
        sqlite3_bind_text(s, 2, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int(s, 2, num);
    sqlite3_bind_text(s, 3, now, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, u->version);
    int rc = sqlite3_step(s);
    int code = rc == SQLITE_DONE ? TM_OK : idx_db_fail(db, rc, err);
    if (code == TM_OK && sqlite3_changes(db->h) != 1)
        code = tm_err_set(err, TM_ESTALE, NULL, "the user changed meanwhile; try again");
    idx_db_stmt_done(s);
    return code;
}

int idx_user_set_password(idx_db *db, const idx_actor *who, const char *email,
                          const char *password_hash, tm_err *err)
{
    return idx_user_change_password(db, who, email, password_hash, 0, 0, err);
}

int idx_user_change_password(idx_db *db, const idx_actor *who, const char *email,
                             const char *password_hash, int64_t keep_session,
                             int64_t expect_version, tm_err *err)
{
    idx_user u = {0};
    idx_audit_json before = {0}, after = {0};
    bool own = false;
    int code;

    if ((code = hash_check(password_hash, err)) != TM_OK) return code;
    if ((code = idx_db_join_write(db, &own, err)) != TM_OK) return code;
    if ((code = idx_user_find(db, email, &u, NULL, err)) != TM_OK) goto out;
    if (expect_version && u.version != expect_version) {
        code = tm_err_set(err, TM_ECONFLICT, NULL,
                          "the account changed meanwhile (another password change?); try again");
        goto out;
    }
    if ((code = user_update(db, IDX_STMT_USER_SET_PASSWORD, &u, password_hash, 0, err)) != TM_OK)
        goto out;
    /* The fact of the change, never the hash. */
    idx_audit_json_int(&before, "version", u.version);
    idx_audit_json_bool(&after, "password_changed", true);
    idx_audit_json_int(&after, "version", u.version + 1);
    code = idx_audit_add(db, who, "user.passwd", "user", u.id, idx_audit_json_cstr(&before),
                         idx_audit_json_cstr(&after), err);
    if (code == TM_OK)
        code = idx_session_revoke_user(db, who, u.id, keep_session, (int64_t)time(NULL),
                                       "password changed", NULL, err);
out:
    idx_audit_json_free(&before);
    idx_audit_json_free(&after);
    idx_user_clear(&u);
    return idx_db_join_end(db, own, code, err);
}

int idx_user_set_disabled(idx_db *db, const idx_actor *who, const char *email, bool disabled,
                          bool *changed, tm_err *err)
{
    idx_user u = {0};
    idx_audit_json before = {0}, after = {0};
    bool own = false;
    int code;

    if (changed) *changed = false;
    if ((code = idx_db_join_write(db, &own, err)) != TM_OK) return code;
    if ((code = idx_user_find(db, email, &u, NULL, err)) != TM_OK) goto out;
    if (u.disabled == disabled) goto out;
    if ((code = user_update(db, IDX_STMT_USER_SET_DISABLED, &u, NULL, disabled, err)) != TM_OK)
        goto out;
    idx_audit_json_bool(&before, "disabled", u.disabled);
    idx_audit_json_int(&before, "version", u.version);
    idx_audit_json_bool(&after, "disabled", disabled);
    idx_audit_json_int(&after, "version", u.version + 1);
    code = idx_audit_add(db, who, disabled ? "user.disable" : "user.enable", "user", u.id,
                         idx_audit_json_cstr(&before), idx_audit_json_cstr(&after), err);
    if (code == TM_OK && changed) *changed = true;
out:
    idx_audit_json_free(&before);
    idx_audit_json_free(&after);
    idx_user_clear(&u);
    code = idx_db_join_end(db, own, code, err);
    if (code != TM_OK && changed) *changed = false;
    return code;
}

int idx_user_list(idx_db *db, idx_user **out, size_t *n, tm_err *err)
{
    idx_user *v = NULL;
    size_t len = 0;
    int rc, code = TM_OK;
    sqlite3_stmt *s = idx_db_stmt(db, IDX_STMT_USER_LIST, err);

    *out = NULL;
    *n = 0;
    if (!s) return err ? err->code : TM_EINTERNAL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        v = tm_xreallocarray(v, len + 1, sizeof *v);
        memset(&v[len], 0, sizeof v[len]);
        row_read(s, &v[len++]);
    }
    if (rc != SQLITE_DONE) code = idx_db_fail(db, rc, err);
    idx_db_stmt_done(s);
    if (code != TM_OK) {
        for (size_t i = 0; i < len; i++)
            idx_user_clear(&v[i]);
        free(v);
        return code;
    }
    *out = v;
    *n = len;
    return TM_OK;
}
