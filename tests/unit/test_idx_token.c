/* API tokens in the store: created and found by hash with their user,
 * listed per user without hashes, touched, revoked (then found by nothing),
 * each create and revoke written to the audit log in the same transaction;
 * a rolled-back caller transaction leaves neither. */
#include <stdlib.h>
#include <string.h>

#include "../../index/idx_db.h"
#include "../../index/idx_token.h"
#include "../../index/idx_user.h"
#include "../tm_test.h"
#include "../tm_testdb.h"

#define HASH1 "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"

static int64_t add(idx_db *db, const char *email)
{
    int64_t id = 0;
    tm_err err = {0};
    CHECK(idx_user_add(db, NULL, email, "staff", 0, HASH1, &id, &err) == TM_OK);
    return id;
}

static void fill(uint8_t h[IDX_TOKEN_HASH], uint8_t v)
{
    memset(h, v, IDX_TOKEN_HASH);
}

TM_TEST(a_created_token_is_found_by_its_hash_with_its_user_and_audited)
{
    idx_db *db = tm_testdb_open("token");
    int64_t uid = add(db, "Ops@Example.org"), id = 0;
    uint8_t th[IDX_TOKEN_HASH], other[IDX_TOKEN_HASH];
    fill(th, 1);
    fill(other, 2);
    tm_err err = {0};
    idx_actor who = {.user_id = uid, .address = "10.0.0.1"};
    CHECK(idx_token_create(db, &who, uid, th, "deploy", 1000, &id, &err) == TM_OK && id > 0);
    idx_token_auth t;
    CHECK(idx_token_find(db, th, &t, &err) == TM_OK);
    CHECK(t.id == id && t.user_id == uid && t.last_used == 0);
    CHECK_STR(t.email, "ops@example.org");
    CHECK_STR(t.role, "staff");
    CHECK(t.institution_id == 0 && !t.user_disabled);
    CHECK(idx_token_find(db, other, &t, &err) == TM_ENOTFOUND && t.id == 0);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'token.create'"
                            " AND object = 'api_token' AND address = '10.0.0.1'"
                            " AND \"after\" LIKE '%deploy%'") == 1);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log WHERE \"after\" LIKE '%token_hash%'") ==
          0);
    tm_testdb_drop(db);
}

TM_TEST(the_list_holds_only_the_users_unrevoked_tokens_in_creation_order)
{
    idx_db *db = tm_testdb_open("token");
    int64_t a = add(db, "a@example.org"), b = add(db, "b@example.org"), id1, id2, id3, idb;
    uint8_t h[IDX_TOKEN_HASH];
    tm_err err = {0};
    fill(h, 1);
    CHECK(idx_token_create(db, NULL, a, h, "one", 10, &id1, &err) == TM_OK);
    fill(h, 2);
    CHECK(idx_token_create(db, NULL, a, h, "two", 20, &id2, &err) == TM_OK);
    fill(h, 3);
    CHECK(idx_token_create(db, NULL, a, h, "three", 30, &id3, &err) == TM_OK);
    fill(h, 4);
    CHECK(idx_token_create(db, NULL, b, h, "b's", 40, &idb, &err) == TM_OK);
    CHECK(idx_token_revoke(db, NULL, id2, 50, &err) == TM_OK);
    idx_token *v = NULL;
    size_t n = 0;
    CHECK(idx_token_list(db, a, &v, &n, &err) == TM_OK && n == 2);
    if (n == 2) {
        CHECK(v[0].id == id1 && v[1].id == id3);
        CHECK_STR(v[0].name, "one");
        CHECK(v[0].created_at == 10 && v[0].user_id == a && v[0].last_used == 0);
    }
    free(v);
    idx_token t;
    CHECK(idx_token_get(db, idb, &t, &err) == TM_OK && t.user_id == b);
    CHECK_STR(t.name, "b's");
    CHECK(idx_token_get(db, id2, &t, &err) == TM_ENOTFOUND);
    CHECK(idx_token_list(db, 999, &v, &n, &err) == TM_OK && n == 0);
    free(v);
    tm_testdb_drop(db);
}

TM_TEST(touch_sets_last_used_and_revoke_hides_the_token_once)
{
    idx_db *db = tm_testdb_open("token");
    int64_t uid = add(db, "c@example.org"), id = 0;
    uint8_t th[IDX_TOKEN_HASH];
    fill(th, 7);
    tm_err err = {0};
    CHECK(idx_token_create(db, NULL, uid, th, "ci", 1000, &id, &err) == TM_OK);
    CHECK(idx_token_touch(db, id, 1500, &err) == TM_OK);
    idx_token_auth t;
    CHECK(idx_token_find(db, th, &t, &err) == TM_OK && t.last_used == 1500);
    CHECK(idx_token_revoke(db, NULL, id, 1600, &err) == TM_OK);
    CHECK(idx_token_find(db, th, &t, &err) == TM_ENOTFOUND);
    CHECK(idx_token_revoke(db, NULL, id, 1700, &err) == TM_ENOTFOUND);
    CHECK(idx_token_touch(db, id, 1800, &err) == TM_ENOTFOUND);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'token.revoke'") == 1);
    CHECK(tm_testdb_int(db, "SELECT revoked_at FROM api_token WHERE id = 1") == 1600);
    tm_testdb_drop(db);
}

TM_TEST(a_disabled_users_token_is_found_marked_disabled)
{
    idx_db *db = tm_testdb_open("token");
    int64_t uid = add(db, "d@example.org"), id = 0;
    uint8_t th[IDX_TOKEN_HASH];
    fill(th, 8);
    tm_err err = {0};
    CHECK(idx_token_create(db, NULL, uid, th, "x", 1, &id, &err) == TM_OK);
    CHECK(idx_user_set_disabled(db, NULL, "d@example.org", true, NULL, &err) == TM_OK);
    idx_token_auth t;
    CHECK(idx_token_find(db, th, &t, &err) == TM_OK && t.user_disabled);
    tm_testdb_drop(db);
}

TM_TEST(bad_names_unknown_users_and_rolled_back_transactions_leave_nothing)
{
    idx_db *db = tm_testdb_open("token");
    int64_t uid = add(db, "e@example.org"), id = 5;
    uint8_t th[IDX_TOKEN_HASH];
    fill(th, 9);
    tm_err err = {0};
    char longname[IDX_TOKEN_NAME_MAX + 2];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK(idx_token_create(db, NULL, uid, th, "", 1, &id, &err) == TM_EINVAL && id == 0);
    CHECK_STR(err.field, "name");
    CHECK(idx_token_create(db, NULL, uid, th, longname, 1, &id, &err) == TM_EINVAL);
    CHECK(idx_token_create(db, NULL, 42, th, "x", 1, &id, &err) == TM_ENOTFOUND);
    int64_t audits = tm_testdb_int(db, "SELECT count(*) FROM audit_log");
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_token_create(db, NULL, uid, th, "x", 1, &id, &err) == TM_OK);
    idx_db_rollback(db);
    idx_token_auth t;
    CHECK(idx_token_find(db, th, &t, &err) == TM_ENOTFOUND);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log") == audits);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM api_token") == 0);
    tm_testdb_drop(db);
}

/* A database left by a techmart of schema 4 (with a user and a session)
 * gains the token table on open and keeps its accounts. */
TM_TEST(migration_5_applies_to_a_schema_4_database_holding_users)
{
    idx_db *db = tm_testdb_open("token");
    int64_t uid = add(db, "f@example.org"), id = 0;
    tm_err err = {0};
    CHECK(sqlite3_exec(db->h, "DROP TABLE api_token; PRAGMA user_version = 4;", NULL, NULL, NULL) ==
          SQLITE_OK);
    idx_db_close(db);
    db = NULL;
    CHECK(idx_db_open(tm_testdb_path, &db, &err) == TM_OK);
    if (!db) return;
    CHECK(tm_testdb_int(db, "PRAGMA user_version") == idx_db_schema_version());
    uint8_t th[IDX_TOKEN_HASH];
    fill(th, 6);
    CHECK(idx_token_create(db, NULL, uid, th, "after upgrade", 1, &id, &err) == TM_OK);
    idx_token_auth t;
    CHECK(idx_token_find(db, th, &t, &err) == TM_OK && t.user_id == uid);
    tm_testdb_drop(db);
}

TM_TEST_MAIN()
