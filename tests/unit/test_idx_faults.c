/* Every accounts and listings write path under a full disk and a held write
 * lock (STYLE §6, as SQLite's fts5fault tests): the call answers TM_EBUSY
 * (which the server sends as 503 with Retry-After), neither the change nor
 * its audit row is left behind, the connection is not left inside a
 * transaction, and the same call succeeds once room or the lock is back.
 *
 * A full disk is PRAGMA max_page_count pinned to the current size on the
 * connection under test: then the calls go on succeeding while the pages
 * they touch have room, and the first one that needs a new page fails. The
 * test runs calls until one fails, so the failure lands wherever the page
 * runs out first (the change, an index, the full-text index or the audit
 * row), and checks that exactly the earlier calls are stored. A disk that
 * fills under the write-ahead log fails the COMMIT instead: a VFS whose
 * -wal writes answer SQLITE_FULL. A held lock is a second connection in
 * BEGIN IMMEDIATE. The listing writes are the transactions of
 * server/api_listing.c (and POST /api/v1/users joins idx_user_add to its
 * own), made of the same idx_ calls. */
#include <stdio.h>
#include <string.h>

#include "../../common/tm_alloc.h"
#include "../../index/idx_audit.h"
#include "../../index/idx_db.h"
#include "../../index/idx_enum.h"
#include "../../index/idx_inst.h"
#include "../../index/idx_session.h"
#include "../../index/idx_tech.h"
#include "../../index/idx_token.h"
#include "../../index/idx_user.h"
#include "../tm_test.h"
#include "../tm_testdb.h"

/* Calls tried before the pinned database must have run out of room (a
 * 4 KiB page holds a few dozen audit rows), and objects made beforehand. */
#define NCALLS 300

#define HASH_FMT "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNo%04d"

static int64_t g_inst;        /* an institution */
static int64_t g_user;        /* a staff user owning the sessions and tokens */
static int64_t g_ids[NCALLS]; /* the objects a setup made */

static int64_t scalar(idx_db *db, const char *sql, const char *arg)
{
    sqlite3_stmt *s = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) == SQLITE_OK) {
        if (arg) sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW) n = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return n;
}

static int64_t audit_rows(idx_db *db, const char *action)
{
    return scalar(db, "SELECT count(*) FROM audit_log WHERE action = ?1", action);
}

static bool fts_intact(idx_db *db)
{
    return sqlite3_exec(
               db->h,
               "INSERT INTO technology_fts (technology_fts, rank) VALUES ('integrity-check', 1)",
               NULL, NULL, NULL) == SQLITE_OK;
}

/* The database cannot grow by a page on this connection. */
static void disk_full(idx_db *db)
{
    char sql[64];
    int64_t pages = scalar(db, "PRAGMA page_count", NULL);
    CHECK(pages > 0);
    (void)snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld", (long long)pages);
    CHECK(sqlite3_exec(db->h, sql, NULL, NULL, NULL) == SQLITE_OK);
    CHECK(scalar(db, "PRAGMA max_page_count", NULL) == pages);
}

static void disk_freed(idx_db *db)
{
    CHECK(sqlite3_exec(db->h, "PRAGMA max_page_count = 1073741823", NULL, NULL, NULL) == SQLITE_OK);
}

static void fill_hash(uint8_t h[32], int kind, int i)
{
    memset(h, 0, 32);
    h[0] = (uint8_t)kind;
    h[1] = (uint8_t)(i >> 8);
    h[2] = (uint8_t)i;
}

static void make_tech(idx_tech *t, int i)
{
    char title[64];
    idx_tech_init(t);
    (void)snprintf(title, sizeof title, "심박 측정 장치 %d heart rate sensor", i);
    t->title = tm_xstrdup(title);
    t->summary = tm_xstrdup("광학 센서로 심박을 측정하는 웨어러블 장치와 그 방법");
    t->institution_id = g_inst;
    t->field = IDX_FIELD_BIO_MEDICAL;
    t->trl = 4;
    t->licence = 1u << IDX_LICENCE_NON_EXCLUSIVE;
    idx_strv_push(&t->keywords, "의료기기");
    idx_strv_push(&t->ipc, "A61B 5/00");
}

static int begin(idx_db *db, tm_err *err)
{
    return idx_db_begin_write(db, err);
}

/* Commits when code is TM_OK, else rolls back; the handlers' shape. */
static int finish(idx_db *db, int code, tm_err *err)
{
    if (code == TM_OK) code = idx_db_commit(db, err);
    if (code != TM_OK) idx_db_rollback(db);
    return code;
}

/* ---- the write paths, each as its caller runs it: run(db, i) is call i */

enum {
    OP_USER_ADD,
    OP_USER_ADD_JOINED,
    OP_USER_PASSWD,
    OP_USER_DISABLE,
    OP_SESSION_OPEN,
    OP_SESSION_CLOSE,
    OP_TOKEN_CREATE,
    OP_TOKEN_REVOKE,
    OP_TECH_CREATE,
    OP_TECH_PATCH,
    OP_TECH_WITHDRAW,
    OP_INST_ADD,
    OP__COUNT
};

static const char *g_actions[OP__COUNT] = {
    [OP_USER_ADD] = "user.add",
    [OP_USER_ADD_JOINED] = "user.add",
    [OP_USER_PASSWD] = "user.passwd",
    [OP_USER_DISABLE] = "user.disable",
    [OP_SESSION_OPEN] = "session.open",
    [OP_SESSION_CLOSE] = "session.close",
    [OP_TOKEN_CREATE] = "token.create",
    [OP_TOKEN_REVOKE] = "token.revoke",
    [OP_TECH_CREATE] = "technology.create",
    [OP_TECH_PATCH] = "technology.update",
    [OP_TECH_WITHDRAW] = "technology.withdraw",
    [OP_INST_ADD] = "institution.add",
};

static void email_of(char *out, size_t cap, const char *kind, int i)
{
    (void)snprintf(out, cap, "%s%d@example.org", kind, i);
}

/* The objects call i of op works on, made before the fault: users to
 * change, sessions and tokens to revoke, technologies to edit. */
static void setup(idx_db *db, int op)
{
    tm_err err = {0};
    char mail[64], hash[128];
    int code = begin(db, &err);

    idx_inst in = {.name = "고려대학교", .kind = IDX_KIND_UNIVERSITY};
    int created = 0;
    if (code == TM_OK) code = idx_inst_upsert(db, &in, &g_inst, &created, &err);
    (void)snprintf(hash, sizeof hash, HASH_FMT, 0);
    if (code == TM_OK)
        code = idx_user_add(db, NULL, "staff@example.org", "staff", 0, hash, &g_user, &err);
    for (int i = 0; code == TM_OK && i < NCALLS; i++) {
        uint8_t h[32], c[32];
        idx_tech t;
        g_ids[i] = 0;
        switch (op) {
        case OP_USER_PASSWD:
        case OP_USER_DISABLE:
            email_of(mail, sizeof mail, "old", i);
            code = idx_user_add(db, NULL, mail, "tto", g_inst, hash, &g_ids[i], &err);
            if (code == TM_OK && op == OP_USER_PASSWD) { /* a login the change revokes */
                int64_t sid = 0;
                fill_hash(h, 5, i);
                fill_hash(c, 6, i);
                code = idx_session_create(db, NULL, g_ids[i], h, c, 1000, 9000, &sid, &err);
            }
            break;
        case OP_SESSION_CLOSE:
            fill_hash(h, 1, i);
            fill_hash(c, 2, i);
            code = idx_session_create(db, NULL, g_user, h, c, 1000, 9000, &g_ids[i], &err);
            break;
        case OP_TOKEN_REVOKE:
            fill_hash(h, 1, i);
            code = idx_token_create(db, NULL, g_user, h, "setup", 1000, &g_ids[i], &err);
            break;
        case OP_TECH_PATCH:
        case OP_TECH_WITHDRAW:
            make_tech(&t, i);
            code = idx_tech_insert(db, &t, &g_ids[i], &err);
            idx_tech_clear(&t);
            break;
        default:
            i = NCALLS; /* nothing to make */
        }
    }
    code = finish(db, code, &err);
    if (code != TM_OK) fprintf(stderr, "  setup of %s: %s\n", g_actions[op], err.msg);
    CHECK(code == TM_OK);
}

/* PATCH /api/v1/technologies/{id} and DELETE: read, change, update at the
 * version read, audit, commit (api_tech_patch, api_tech_delete). */
static int tech_change(idx_db *db, int64_t id, bool withdraw, int i, tm_err *err)
{
    idx_tech cur;
    idx_audit_json before = {0}, after = {0};
    char title[64];
    idx_tech_init(&cur);
    int code = begin(db, err);
    if (code != TM_OK) return code;
    if ((code = idx_tech_get(db, id, &cur, err)) != TM_OK) goto out;
    if (withdraw) {
        idx_audit_json_str(&before, "status", "available");
        idx_audit_json_str(&after, "status", "withdrawn");
        cur.status = IDX_STATUS_WITHDRAWN;
    } else {
        idx_audit_json_str(&before, "title", cur.title);
        (void)snprintf(title, sizeof title, "개선된 심박 측정 장치 %d improved", i);
        free(cur.title);
        cur.title = tm_xstrdup(title);
        idx_audit_json_str(&after, "title", cur.title);
    }
    if ((code = idx_tech_update_if(db, id, cur.version, &cur, err)) == TM_OK)
        code = idx_audit_add(db, NULL, withdraw ? "technology.withdraw" : "technology.update",
                             "technology", id, idx_audit_json_cstr(&before),
                             idx_audit_json_cstr(&after), err);
out:
    idx_audit_json_free(&before);
    idx_audit_json_free(&after);
    idx_tech_clear(&cur);
    return finish(db, code, err);
}

static int run(idx_db *db, int op, int i, tm_err *err)
{
    char mail[64], hash[128];
    uint8_t h[32], c[32];
    int64_t id = -1;
    int code;
    idx_tech t;

    (void)snprintf(hash, sizeof hash, HASH_FMT, i + 1);
    switch (op) {
    case OP_USER_ADD:
        email_of(mail, sizeof mail, "new", i);
        code = idx_user_add(db, NULL, mail, "company", g_inst, hash, &id, err);
        if (code != TM_OK) CHECK(id == 0);
        return code;
    case OP_USER_ADD_JOINED: /* POST /api/v1/users: the caller's transaction */
        email_of(mail, sizeof mail, "new", i);
        if ((code = begin(db, err)) != TM_OK) return code;
        code = idx_user_add(db, NULL, mail, "company", g_inst, hash, &id, err);
        return finish(db, code, err);
    case OP_USER_PASSWD:
        email_of(mail, sizeof mail, "old", i);
        return idx_user_set_password(db, NULL, mail, hash, err);
    case OP_USER_DISABLE: {
        bool changed = true;
        email_of(mail, sizeof mail, "old", i);
        code = idx_user_set_disabled(db, NULL, mail, true, &changed, err);
        CHECK(changed == (code == TM_OK));
        return code;
    }
    case OP_SESSION_OPEN:
        fill_hash(h, 3, i);
        fill_hash(c, 4, i);
        code = idx_session_create(db, NULL, g_user, h, c, 2000, 9000, &id, err);
        if (code != TM_OK) CHECK(id == 0);
        return code;
    case OP_SESSION_CLOSE:
        return idx_session_revoke(db, NULL, g_ids[i], 3000, "logout", err);
    case OP_TOKEN_CREATE:
        fill_hash(h, 3, i);
        return idx_token_create(db, NULL, g_user, h, "script", 2000, &id, err);
    case OP_TOKEN_REVOKE:
        return idx_token_revoke(db, NULL, g_ids[i], 3000, err);
    case OP_TECH_CREATE: /* POST /api/v1/technologies */
        make_tech(&t, 1000 + i);
        if ((code = begin(db, err)) == TM_OK) {
            if ((code = idx_tech_insert(db, &t, &id, err)) == TM_OK)
                code = idx_audit_add(db, NULL, "technology.create", "technology", id, NULL,
                                     "{\"title\":\"심박\"}", err);
            code = finish(db, code, err);
        }
        idx_tech_clear(&t);
        return code;
    case OP_TECH_PATCH:
        return tech_change(db, g_ids[i], false, i, err);
    case OP_TECH_WITHDRAW:
        return tech_change(db, g_ids[i], true, i, err);
    case OP_INST_ADD: { /* POST /api/v1/institutions */
        char name[64], name_en[64];
        idx_inst in = {.name = name, .name_en = name_en, .kind = IDX_KIND_RESEARCH_INSTITUTE};
        (void)snprintf(name, sizeof name, "신규 연구원 %d", i);
        (void)snprintf(name_en, sizeof name_en, "New Institute %d", i);
        idx_strv_push(&in.groups, "hongneung");
        code = idx_inst_add(db, NULL, &in, &id, err);
        idx_strv_clear(&in.groups);
        return code;
    }
    }
    return TM_EINTERNAL;
}

/* How many calls of op are stored (the changes only, not the audit). */
static int64_t stored(idx_db *db, int op)
{
    switch (op) {
    case OP_USER_ADD:
    case OP_USER_ADD_JOINED:
        return scalar(db, "SELECT count(*) FROM \"user\" WHERE email LIKE 'new%'", NULL);
    case OP_USER_PASSWD:
        return scalar(db, "SELECT count(*) FROM \"user\" WHERE version > 1", NULL);
    case OP_USER_DISABLE:
        return scalar(db, "SELECT count(*) FROM \"user\" WHERE disabled = 1", NULL);
    case OP_SESSION_OPEN:
        return scalar(db, "SELECT count(*) FROM session", NULL);
    case OP_SESSION_CLOSE:
        return scalar(db, "SELECT count(*) FROM session WHERE revoked_at IS NOT NULL", NULL);
    case OP_TOKEN_CREATE:
        return scalar(db, "SELECT count(*) FROM api_token", NULL);
    case OP_TOKEN_REVOKE:
        return scalar(db, "SELECT count(*) FROM api_token WHERE revoked_at IS NOT NULL", NULL);
    case OP_TECH_CREATE:
        return scalar(db, "SELECT count(*) FROM technology", NULL);
    case OP_TECH_PATCH:
        return scalar(db, "SELECT count(*) FROM technology WHERE title LIKE '개선된%'", NULL);
    case OP_TECH_WITHDRAW:
        return scalar(db, "SELECT count(*) FROM technology WHERE status = 'withdrawn'", NULL);
    case OP_INST_ADD:
        return scalar(db, "SELECT count(*) FROM institution WHERE name_en LIKE 'New Institute%'",
                      NULL);
    }
    return -1;
}

/* A password change revokes the user's login (one each here) in the same
 * transaction: a session is revoked exactly when its user's password
 * changed, with one "session.close_all" row each. */
static bool sessions_match_passwords(idx_db *db)
{
    int64_t revoked = scalar(db, "SELECT count(*) FROM session WHERE revoked_at IS NOT NULL", NULL);
    int64_t changed = scalar(db,
                             "SELECT count(*) FROM session JOIN \"user\" u ON u.id = user_id"
                             " WHERE u.version > 1 AND revoked_at IS NOT NULL",
                             NULL);
    return revoked == changed && revoked == audit_rows(db, "session.close_all") &&
           revoked == scalar(db, "SELECT count(*) FROM \"user\" WHERE version > 1", NULL);
}

/* An institution and its group are one write. */
static bool groups_match(idx_db *db)
{
    return scalar(db,
                  "SELECT count(*) FROM institution i JOIN institution_group g"
                  " ON g.institution_id = i.id WHERE i.name_en LIKE 'New Institute%'",
                  NULL) == stored(db, OP_INST_ADD);
}

/* A tech write that failed must leave the full-text index as the table. */
static bool is_tech(int op)
{
    return op == OP_TECH_CREATE || op == OP_TECH_PATCH || op == OP_TECH_WITHDRAW;
}

static void check_full(int op)
{
    idx_db *db = tm_testdb_open("faults");
    tm_err err = {0};
    int code = TM_OK, i = 0;

    setup(db, op);
    int64_t done0 = stored(db, op), audit0 = audit_rows(db, g_actions[op]);
    disk_full(db);
    for (i = 0; i < NCALLS && (code = run(db, op, i, &err)) == TM_OK; i++)
        ;
    if (code != TM_EBUSY)
        fprintf(stderr, "  %s: call %d answered %s: %s\n", g_actions[op], i, tm_code_name(code),
                err.msg);
    CHECK(i < NCALLS);
    CHECK(code == TM_EBUSY);
    CHECK(strstr(err.msg, "full") != NULL);
    CHECK(sqlite3_get_autocommit(db->h)); /* no transaction left open */
    /* Every call before the failing one, each with its audit row; of the
     * failing one, neither. */
    CHECK(stored(db, op) == done0 + i);
    CHECK(audit_rows(db, g_actions[op]) == audit0 + i);
    if (is_tech(op)) CHECK(fts_intact(db));
    if (op == OP_USER_PASSWD) CHECK(sessions_match_passwords(db));
    if (op == OP_INST_ADD) CHECK(groups_match(db));

    disk_freed(db);
    tm_err_clear(&err);
    code = run(db, op, i, &err);
    if (code != TM_OK) fprintf(stderr, "  %s again: %s\n", g_actions[op], err.msg);
    CHECK(code == TM_OK);
    CHECK(stored(db, op) == done0 + i + 1);
    CHECK(audit_rows(db, g_actions[op]) == audit0 + i + 1);
    if (is_tech(op)) CHECK(fts_intact(db));
    if (op == OP_USER_PASSWD) CHECK(sessions_match_passwords(db));
    if (op == OP_INST_ADD) CHECK(groups_match(db));
    tm_testdb_drop(db);
}

/* A disk that fills up under the write-ahead log: a VFS over the default
 * one whose writes to -wal files fail with SQLITE_FULL (what the unix VFS
 * answers on ENOSPC) while g_wal_full is set. A transaction then runs every
 * statement and fails only at COMMIT, when its pages go to the log. */
static sqlite3_vfs g_vfs, *g_real_vfs;
static sqlite3_io_methods g_io;
static const sqlite3_io_methods *g_real_io;
static bool g_wal_full;
static int g_wal_refused; /* writes failed so far */

static int wal_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    if (g_wal_full) {
        g_wal_refused++;
        return SQLITE_FULL;
    }
    return g_real_io->xWrite(f, buf, n, off);
}

static int wal_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    (void)vfs;
    int rc = g_real_vfs->xOpen(g_real_vfs, name, f, flags, out);
    /* The real file is ours with its method table swapped for one whose
     * xWrite can fail; files with another table are left alone. */
    if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) && f->pMethods &&
        (!g_real_io || f->pMethods == g_real_io)) {
        if (!g_real_io) {
            g_real_io = f->pMethods;
            g_io = *g_real_io;
            g_io.xWrite = wal_write;
        }
        f->pMethods = &g_io;
    }
    return rc;
}

static void wal_vfs_install(void)
{
    if (g_real_vfs) return;
    g_real_vfs = sqlite3_vfs_find(NULL);
    g_vfs = *g_real_vfs;
    g_vfs.zName = "tm_walfull";
    g_vfs.xOpen = wal_open;
    CHECK(sqlite3_vfs_register(&g_vfs, 1) == SQLITE_OK);
}

static void check_full_at_commit(int op)
{
    wal_vfs_install();
    idx_db *db = tm_testdb_open("faults");
    tm_err err = {0};

    setup(db, op);
    int64_t done0 = stored(db, op), audit0 = audit_rows(db, g_actions[op]);
    int refused = g_wal_refused;
    g_wal_full = true;
    int code = run(db, op, 0, &err);
    g_wal_full = false;
    CHECK(g_wal_refused > refused); /* the failure was the log's */
    if (code != TM_EBUSY)
        fprintf(stderr, "  %s at commit answered %s: %s\n", g_actions[op], tm_code_name(code),
                err.msg);
    CHECK(code == TM_EBUSY);
    CHECK(strstr(err.msg, "full") != NULL);
    CHECK(sqlite3_get_autocommit(db->h));
    CHECK(stored(db, op) == done0);
    CHECK(audit_rows(db, g_actions[op]) == audit0);
    if (is_tech(op)) CHECK(fts_intact(db));
    if (op == OP_USER_PASSWD) CHECK(sessions_match_passwords(db));
    if (op == OP_INST_ADD) CHECK(groups_match(db));

    tm_err_clear(&err);
    code = run(db, op, 0, &err);
    if (code != TM_OK) fprintf(stderr, "  %s after room: %s\n", g_actions[op], err.msg);
    CHECK(code == TM_OK);
    CHECK(stored(db, op) == done0 + 1);
    CHECK(audit_rows(db, g_actions[op]) == audit0 + 1);
    if (is_tech(op)) CHECK(fts_intact(db));
    tm_testdb_drop(db);
}

static void check_busy(int op)
{
    idx_db *db = tm_testdb_open("faults");
    sqlite3 *other = NULL;
    tm_err err = {0};

    setup(db, op);
    int64_t done0 = stored(db, op), audit0 = audit_rows(db, g_actions[op]);
    CHECK(sqlite3_open_v2(tm_testdb_path, &other, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    CHECK(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
    /* idx_db waits 5 s for a lock; the wait is the same at 20 ms. */
    sqlite3_busy_timeout(db->h, 20);
    int code = run(db, op, 0, &err);
    if (code != TM_EBUSY)
        fprintf(stderr, "  %s under a lock answered %s: %s\n", g_actions[op], tm_code_name(code),
                err.msg);
    CHECK(code == TM_EBUSY);
    CHECK(strstr(err.msg, "busy") != NULL);
    CHECK(sqlite3_get_autocommit(db->h));
    CHECK(stored(db, op) == done0);
    CHECK(audit_rows(db, g_actions[op]) == audit0);

    CHECK(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
    tm_err_clear(&err);
    code = run(db, op, 0, &err);
    if (code != TM_OK) fprintf(stderr, "  %s after the lock: %s\n", g_actions[op], err.msg);
    CHECK(code == TM_OK);
    CHECK(stored(db, op) == done0 + 1);
    CHECK(audit_rows(db, g_actions[op]) == audit0 + 1);
    sqlite3_close(other);
    tm_testdb_drop(db);
}

/* ---- FULL */

TM_TEST(user_add_on_a_full_disk_is_busy_and_leaves_no_user_nor_audit)
{
    check_full(OP_USER_ADD);
}

TM_TEST(user_add_in_the_callers_transaction_on_a_full_disk_leaves_nothing)
{
    check_full(OP_USER_ADD_JOINED);
}

TM_TEST(password_change_on_a_full_disk_keeps_the_old_hash_and_no_audit)
{
    check_full(OP_USER_PASSWD);
}

TM_TEST(disable_on_a_full_disk_leaves_the_user_enabled_and_no_audit)
{
    check_full(OP_USER_DISABLE);
}

TM_TEST(session_open_on_a_full_disk_leaves_no_session_nor_audit)
{
    check_full(OP_SESSION_OPEN);
}

TM_TEST(session_close_on_a_full_disk_leaves_the_session_open_and_no_audit)
{
    check_full(OP_SESSION_CLOSE);
}

TM_TEST(token_create_on_a_full_disk_leaves_no_token_nor_audit)
{
    check_full(OP_TOKEN_CREATE);
}

TM_TEST(token_revoke_on_a_full_disk_leaves_the_token_valid_and_no_audit)
{
    check_full(OP_TOKEN_REVOKE);
}

TM_TEST(listing_create_on_a_full_disk_leaves_no_technology_index_entry_nor_audit)
{
    check_full(OP_TECH_CREATE);
}

TM_TEST(listing_patch_on_a_full_disk_keeps_the_old_record_index_and_no_audit)
{
    check_full(OP_TECH_PATCH);
}

TM_TEST(listing_withdraw_on_a_full_disk_keeps_it_listed_and_no_audit)
{
    check_full(OP_TECH_WITHDRAW);
}

TM_TEST(every_write_path_failing_at_commit_on_a_full_disk_leaves_nothing_then_succeeds)
{
    for (int op = 0; op < OP__COUNT; op++)
        check_full_at_commit(op);
}

/* ---- BUSY */

TM_TEST(every_write_path_under_a_held_write_lock_is_busy_then_succeeds)
{
    for (int op = 0; op < OP__COUNT; op++)
        check_busy(op);
}

TM_TEST_MAIN()
