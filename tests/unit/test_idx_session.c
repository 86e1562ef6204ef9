/* Login sessions in the store: created and found by token hash with their
 * user, touched, revoked (then not found), each open and close written to
 * the audit log in the same transaction; a rolled-back caller transaction
 * leaves neither. */
#include <string.h>

#include "../../index/idx_db.h"
#include "../../index/idx_session.h"
#include "../../index/idx_user.h"
#include "../tm_test.h"
#include "../tm_testdb.h"

#define HASH1 "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"

static int64_t staff_user(idx_db *db)
{
    int64_t id = 0;
    tm_err err = {0};
    CHECK(idx_user_add(db, NULL, "Staff@Example.org", "staff", 0, HASH1, &id, &err) == TM_OK);
    return id;
}

static void fill(uint8_t h[IDX_SESSION_HASH], uint8_t v)
{
    memset(h, v, IDX_SESSION_HASH);
}

TM_TEST(a_created_session_is_found_by_its_token_hash_with_its_user)
{
    idx_db *db = tm_testdb_open("session");
    int64_t uid = staff_user(db), id = 0;
    uint8_t th[IDX_SESSION_HASH], ch[IDX_SESSION_HASH], other[IDX_SESSION_HASH];
    fill(th, 1);
    fill(ch, 2);
    fill(other, 3);
    tm_err err = {0};
    idx_actor who = {.user_id = uid, .address = "127.0.0.1"};
    CHECK(idx_session_create(db, &who, uid, th, ch, 1000, 1000 + 3600, &id, &err) == TM_OK);
    CHECK(id > 0);
    idx_session s;
    CHECK(idx_session_find(db, th, &s, &err) == TM_OK);
    CHECK(s.id == id && s.user_id == uid);
    CHECK(s.created_at == 1000 && s.last_seen == 1000 && s.expires_at == 4600);
    CHECK(!memcmp(s.csrf_hash, ch, IDX_SESSION_HASH));
    CHECK_STR(s.email, "staff@example.org");
    CHECK_STR(s.role, "staff");
    CHECK(s.institution_id == 0 && !s.user_disabled);
    CHECK(idx_session_find(db, other, &s, &err) == TM_ENOTFOUND);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'session.open'"
                            " AND user_id = 1 AND address = '127.0.0.1'") == 1);
    tm_testdb_drop(db);
}

TM_TEST(touch_moves_last_seen_and_revoke_hides_the_session_and_is_audited)
{
    idx_db *db = tm_testdb_open("session");
    int64_t uid = staff_user(db), id = 0;
    uint8_t th[IDX_SESSION_HASH], ch[IDX_SESSION_HASH];
    fill(th, 7);
    fill(ch, 8);
    tm_err err = {0};
    CHECK(idx_session_create(db, NULL, uid, th, ch, 1000, 9000, &id, &err) == TM_OK);
    CHECK(idx_session_touch(db, id, 1500, &err) == TM_OK);
    idx_session s;
    CHECK(idx_session_find(db, th, &s, &err) == TM_OK && s.last_seen == 1500);
    CHECK(idx_session_revoke(db, NULL, id, 1600, "logout", &err) == TM_OK);
    CHECK(idx_session_find(db, th, &s, &err) == TM_ENOTFOUND);
    CHECK(idx_session_revoke(db, NULL, id, 1700, "logout", &err) == TM_ENOTFOUND);
    CHECK(idx_session_touch(db, id, 1800, &err) == TM_ENOTFOUND);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'session.close'"
                            " AND object_id = 1 AND \"after\" LIKE '%logout%'") == 1);
    CHECK(tm_testdb_int(db, "SELECT revoked_at FROM session WHERE id = 1") == 1600);
    tm_testdb_drop(db);
}

TM_TEST(a_session_of_an_unknown_user_is_refused_and_leaves_no_audit_row)
{
    idx_db *db = tm_testdb_open("session");
    uint8_t th[IDX_SESSION_HASH], ch[IDX_SESSION_HASH];
    fill(th, 4);
    fill(ch, 5);
    int64_t id = 1;
    tm_err err = {0};
    CHECK(idx_session_create(db, NULL, 42, th, ch, 1, 2, &id, &err) == TM_ENOTFOUND);
    CHECK(id == 0);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log") == 0);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM session") == 0);
    tm_testdb_drop(db);
}

TM_TEST(inside_a_rolled_back_transaction_neither_session_nor_audit_row_remains)
{
    idx_db *db = tm_testdb_open("session");
    int64_t uid = staff_user(db), id = 0;
    uint8_t th[IDX_SESSION_HASH], ch[IDX_SESSION_HASH];
    fill(th, 9);
    fill(ch, 10);
    tm_err err = {0};
    int64_t audits = tm_testdb_int(db, "SELECT count(*) FROM audit_log");
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_session_create(db, NULL, uid, th, ch, 1, 2, &id, &err) == TM_OK);
    idx_db_rollback(db);
    idx_session s;
    CHECK(idx_session_find(db, th, &s, &err) == TM_ENOTFOUND);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log") == audits);
    tm_testdb_drop(db);
}

TM_TEST_MAIN()
