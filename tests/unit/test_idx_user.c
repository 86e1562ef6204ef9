/* Accounts in the store: adding, finding, passwords, disabling, listing;
 * the audit row each change writes in its own transaction (never the hash);
 * the append-only audit log; migration 3 over a database holding data. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../index/idx_audit.h"
#include "../../index/idx_db.h"
#include "../../index/idx_inst.h"
#include "../../index/idx_user.h"
#include "../tm_test.h"
#include "../tm_testdb.h"

/* Hash strings of the crypto_pwhash_str shape: idx_user stores them as given. */
#define HASH1 "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA"
#define HASH2 "$argon2id$v=19$m=65536,t=2,p=1$b3RoZXJzYWx0c2FsdA$b3RoZXJoYXNob3RoZXI"

#define db_path tm_testdb_path

static idx_db *fresh_db(void)
{
    return tm_testdb_open("user");
}

static void drop_db(idx_db *db)
{
    tm_testdb_drop(db);
}

static int64_t add_inst(idx_db *db, const char *name, const char *name_en)
{
    idx_inst in = {0};
    int64_t id = 0;
    int created = 0;
    tm_err err = {0};
    in.name = (char *)name;
    in.name_en = (char *)name_en;
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_inst_upsert(db, &in, &id, &created, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    return id;
}

/* The text of column col of audit row id, copied into out ("" for NULL). */
static const char *audit_col(idx_db *db, int64_t id, const char *col, char *out, size_t cap)
{
    char sql[128];
    sqlite3_stmt *s = NULL;
    out[0] = '\0';
    (void)snprintf(sql, sizeof sql, "SELECT \"%s\" FROM audit_log WHERE id = %lld", col,
                   (long long)id);
    if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        (void)snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return out;
}

TM_TEST(a_new_database_is_at_schema_3_with_user_and_audit_tables)
{
    idx_db *db = fresh_db();
    CHECK(idx_db_schema_version() >= 3);
    CHECK(tm_testdb_int(db, "PRAGMA user_version") == idx_db_schema_version());
    CHECK(tm_testdb_int(
              db, "SELECT count(*) FROM sqlite_master WHERE name IN ('user', 'audit_log')") == 2);
    drop_db(db);
}

TM_TEST(an_added_user_is_found_by_email_in_any_case_with_its_fields)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    int64_t inst = add_inst(db, "고려대학교", "Korea University"), id = 0;
    CHECK(idx_user_add(db, NULL, "TTO@Korea.AC.kr", "tto", inst, HASH1, &id, &err) == TM_OK);
    CHECK(id > 0);

    idx_user u = {0};
    char *hash = NULL;
    CHECK(idx_user_find(db, "tto@KOREA.ac.KR", &u, &hash, &err) == TM_OK);
    CHECK(u.id == id);
    CHECK_STR(u.email, "tto@korea.ac.kr");
    CHECK_STR(u.role, "tto");
    CHECK(u.institution_id == inst);
    CHECK_STR(u.institution, "고려대학교");
    CHECK(!u.disabled);
    CHECK(u.version == 1);
    CHECK(u.created_at && strlen(u.created_at) == 20);
    CHECK_STR(hash, HASH1);
    free(hash);
    idx_user_clear(&u);

    CHECK(idx_user_find(db, "nobody@korea.ac.kr", &u, NULL, &err) == TM_ENOTFOUND);
    drop_db(db);
}

TM_TEST(adding_a_user_writes_one_audit_row_without_the_hash)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    int64_t id = 0;
    char buf[512];
    CHECK(idx_user_add(db, NULL, "admin@example.com", "admin", 0, HASH1, &id, &err) == TM_OK);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log") == 1);
    int64_t row = tm_testdb_int(db, "SELECT max(id) FROM audit_log");
    CHECK_STR(audit_col(db, row, "action", buf, sizeof buf), "user.add");
    CHECK_STR(audit_col(db, row, "object", buf, sizeof buf), "user");
    CHECK(tm_testdb_int(db, "SELECT object_id FROM audit_log") == id);
    CHECK(tm_testdb_int(db, "SELECT user_id IS NULL AND address IS NULL FROM audit_log") == 1);
    CHECK_STR(audit_col(db, row, "before", buf, sizeof buf), "");
    CHECK_STR(audit_col(db, row, "after", buf, sizeof buf),
              "{\"email\": \"admin@example.com\", \"role\": \"admin\", \"institution_id\": null, "
              "\"disabled\": false, \"version\": 1}");
    CHECK(tm_testdb_int(db, "SELECT json_valid(\"after\") FROM audit_log") == 1);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log WHERE \"after\" LIKE '%argon2%'"
                            " OR \"before\" LIKE '%argon2%'") == 0);
    drop_db(db);
}

TM_TEST(a_duplicate_email_in_any_case_is_a_conflict_and_writes_nothing)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    int64_t id = 0;
    CHECK(idx_user_add(db, NULL, "staff@example.com", "staff", 0, HASH1, &id, &err) == TM_OK);
    CHECK(idx_user_add(db, NULL, "Staff@Example.com", "admin", 0, HASH2, &id, &err) ==
          TM_ECONFLICT);
    CHECK_STR(err.field, "email");
    CHECK(strstr(err.msg, "already exists") != NULL);
    CHECK(id == 0);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM \"user\"") == 1);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log") == 1);
    drop_db(db);
}

TM_TEST(bad_emails_roles_institutions_and_hashes_are_refused)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    int64_t id = 0;
    static const char *const bad[] = {
        "",           "plain",         "a@b",         "@example.com", "a@@example.com",
        "a@.example", "a@example..kr", "a b@x.kr",    "a\"b@x.kr",    ".a@x.kr",
        "a.@x.kr",    "a..b@x.kr",     "a@-x.kr",     "a@x-.kr",      "a@x.kr\n",
        "한@x.kr",    "a@x_y.kr",      "a@x.kr@y.kr",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(idx_user_add(db, NULL, bad[i], "staff", 0, HASH1, &id, &err) == TM_EINVAL);
        CHECK_STR(err.field, "email");
    }
    CHECK(idx_user_add(db, NULL, "a@x.kr", "root", 0, HASH1, &id, &err) == TM_EINVAL);
    CHECK_STR(err.field, "role");
    CHECK(idx_user_add(db, NULL, "a@x.kr", "tto", 0, HASH1, &id, &err) == TM_EINVAL);
    CHECK_STR(err.field, "institution");
    CHECK(idx_user_add(db, NULL, "a@x.kr", "company", 0, HASH1, &id, &err) == TM_EINVAL);
    CHECK(idx_user_add(db, NULL, "a@x.kr", "company", 999, HASH1, &id, &err) == TM_ENOTFOUND);
    CHECK_STR(err.field, "institution");
    /* A plain password is never stored by mistake. */
    CHECK(idx_user_add(db, NULL, "a@x.kr", "staff", 0, "correct horse battery", &id, &err) ==
          TM_EINVAL);
    CHECK(strstr(err.msg, "correct") == NULL);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM \"user\"") == 0);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log") == 0);

    char out[IDX_EMAIL_MAX + 1];
    CHECK(idx_user_email_normalize("First.Last+tag@Sub.Example-1.CO.KR", out, sizeof out, &err) ==
          TM_OK);
    CHECK_STR(out, "first.last+tag@sub.example-1.co.kr");
    drop_db(db);
}

TM_TEST(an_institution_is_resolved_by_korean_or_english_name_or_id)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    int64_t inst = add_inst(db, "한국과학기술연구원", "KIST"), got = 0;
    char idtext[32];
    (void)snprintf(idtext, sizeof idtext, "%lld", (long long)inst);
    CHECK(idx_user_institution_resolve(db, "한국과학기술연구원", &got, &err) == TM_OK);
    CHECK(got == inst);
    CHECK(idx_user_institution_resolve(db, "kist", &got, &err) == TM_OK);
    CHECK(got == inst);
    CHECK(idx_user_institution_resolve(db, idtext, &got, &err) == TM_OK);
    CHECK(got == inst);
    CHECK(idx_user_institution_resolve(db, "4242", &got, &err) == TM_ENOTFOUND);
    CHECK(idx_user_institution_resolve(db, "Nowhere University", &got, &err) == TM_ENOTFOUND);
    CHECK_STR(err.field, "institution");
    CHECK(got == 0);
    drop_db(db);
}

TM_TEST(a_password_change_stores_the_new_hash_bumps_version_and_audits_only_the_fact)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    int64_t id = 0;
    char buf[512];
    CHECK(idx_user_add(db, NULL, "staff@example.com", "staff", 0, HASH1, &id, &err) == TM_OK);
    CHECK(idx_user_set_password(db, NULL, "STAFF@example.com", HASH2, &err) == TM_OK);
    idx_user u = {0};
    char *hash = NULL;
    CHECK(idx_user_find(db, "staff@example.com", &u, &hash, &err) == TM_OK);
    CHECK_STR(hash, HASH2);
    CHECK(u.version == 2);
    free(hash);
    idx_user_clear(&u);

    int64_t row = tm_testdb_int(db, "SELECT max(id) FROM audit_log");
    CHECK_STR(audit_col(db, row, "action", buf, sizeof buf), "user.passwd");
    CHECK(tm_testdb_int(
              db, "SELECT object_id FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)") ==
          id);
    CHECK_STR(audit_col(db, row, "before", buf, sizeof buf), "{\"version\": 1}");
    CHECK_STR(audit_col(db, row, "after", buf, sizeof buf),
              "{\"password_changed\": true, \"version\": 2}");
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log WHERE \"after\" LIKE '%argon2%'"
                            " OR \"before\" LIKE '%argon2%'") == 0);

    CHECK(idx_user_set_password(db, NULL, "nobody@example.com", HASH1, &err) == TM_ENOTFOUND);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log") == 2);
    drop_db(db);
}

TM_TEST(disabling_is_audited_once_and_a_second_disable_changes_nothing)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    int64_t id = 0;
    bool changed = false;
    char buf[512];
    CHECK(idx_user_add(db, NULL, "admin@example.com", "admin", 0, HASH1, &id, &err) == TM_OK);
    CHECK(idx_user_set_disabled(db, NULL, "admin@example.com", true, &changed, &err) == TM_OK);
    CHECK(changed);
    int64_t row = tm_testdb_int(db, "SELECT max(id) FROM audit_log");
    CHECK_STR(audit_col(db, row, "action", buf, sizeof buf), "user.disable");
    CHECK_STR(audit_col(db, row, "before", buf, sizeof buf),
              "{\"disabled\": false, \"version\": 1}");
    CHECK_STR(audit_col(db, row, "after", buf, sizeof buf), "{\"disabled\": true, \"version\": 2}");

    CHECK(idx_user_set_disabled(db, NULL, "admin@example.com", true, &changed, &err) == TM_OK);
    CHECK(!changed);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log") == 2);
    idx_user u = {0};
    CHECK(idx_user_find(db, "admin@example.com", &u, NULL, &err) == TM_OK);
    CHECK(u.disabled && u.version == 2);
    idx_user_clear(&u);
    CHECK(idx_user_set_disabled(db, NULL, "x@example.com", true, &changed, &err) == TM_ENOTFOUND);
    drop_db(db);
}

TM_TEST(the_list_is_by_email_with_institution_names)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    int64_t inst = add_inst(db, "경희대학교", "Kyung Hee University"), id = 0;
    CHECK(idx_user_add(db, NULL, "z@example.com", "admin", 0, HASH1, &id, &err) == TM_OK);
    CHECK(idx_user_add(db, NULL, "b@khu.ac.kr", "tto", inst, HASH1, &id, &err) == TM_OK);
    CHECK(idx_user_add(db, NULL, "m@corp.kr", "company", inst, HASH1, &id, &err) == TM_OK);
    idx_user *v = NULL;
    size_t n = 0;
    CHECK(idx_user_list(db, &v, &n, &err) == TM_OK);
    CHECK(n == 3);
    if (n == 3) {
        CHECK_STR(v[0].email, "b@khu.ac.kr");
        CHECK_STR(v[0].institution, "경희대학교");
        CHECK_STR(v[1].email, "m@corp.kr");
        CHECK_STR(v[1].role, "company");
        CHECK_STR(v[2].email, "z@example.com");
        CHECK(v[2].institution == NULL && v[2].institution_id == 0);
    }
    for (size_t i = 0; i < n; i++)
        idx_user_clear(&v[i]);
    free(v);
    drop_db(db);
}

TM_TEST(a_change_inside_the_callers_transaction_rolls_back_with_its_audit_row)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    int64_t id = 0;
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_user_add(db, NULL, "a@example.com", "staff", 0, HASH1, &id, &err) == TM_OK);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log") == 1);
    idx_db_rollback(db);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM \"user\"") == 0);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log") == 0);
    drop_db(db);
}

TM_TEST(the_audit_log_refuses_update_and_delete)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    int64_t id = 0;
    CHECK(idx_user_add(db, NULL, "a@example.com", "staff", 0, HASH1, &id, &err) == TM_OK);
    int rc = sqlite3_exec(db->h, "UPDATE audit_log SET action = 'forged'", NULL, NULL, NULL);
    CHECK((rc & 0xff) == SQLITE_CONSTRAINT);
    CHECK(strstr(sqlite3_errmsg(db->h), "append-only") != NULL);
    rc = sqlite3_exec(db->h, "DELETE FROM audit_log", NULL, NULL, NULL);
    CHECK((rc & 0xff) == SQLITE_CONSTRAINT);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log WHERE action = 'user.add'") == 1);
    drop_db(db);
}

TM_TEST(audit_json_escapes_quotes_backslashes_and_control_bytes)
{
    idx_audit_json j = {0};
    CHECK(idx_audit_json_cstr(&j) == NULL);
    idx_audit_json_str(&j, "t", "a\"b\\c\nd\x01");
    idx_audit_json_int(&j, "n", -5);
    idx_audit_json_str(&j, "k", NULL);
    CHECK_STR(idx_audit_json_cstr(&j),
              "{\"t\": \"a\\\"b\\\\c\\u000ad\\u0001\", \"n\": -5, \"k\": null}");
    /* Reading it twice gives the same text; adding after reading goes on. */
    CHECK_STR(idx_audit_json_cstr(&j),
              "{\"t\": \"a\\\"b\\\\c\\u000ad\\u0001\", \"n\": -5, \"k\": null}");
    idx_audit_json_bool(&j, "b", true);
    CHECK(strstr(idx_audit_json_cstr(&j), ", \"b\": true}") != NULL);
    idx_audit_json_free(&j);
}

/* A database made before migration 3 (schema 2, with a catalogue) gains the
 * accounts tables on open and keeps its data. It is made by opening a new
 * database and taking migration 3 back out, as an older techmart left it. */
TM_TEST(migration_3_applies_to_a_schema_2_database_holding_data)
{
    idx_db *db = fresh_db();
    tm_err err = {0};
    int64_t inst = add_inst(db, "서울대학교", "Seoul National University");
    /* Later migrations' tables go too (session refers to user). */
    CHECK(sqlite3_exec(db->h,
                       "DROP TABLE api_token; DROP TABLE session; DROP TABLE audit_log;"
                       " DROP TABLE \"user\";"
                       " PRAGMA user_version = 2;",
                       NULL, NULL, NULL) == SQLITE_OK);
    CHECK(tm_testdb_int(
              db, "SELECT count(*) FROM sqlite_master WHERE name IN ('user', 'audit_log')") == 0);
    idx_db_close(db);

    db = NULL;
    CHECK(idx_db_open(db_path, &db, &err) == TM_OK);
    if (!db) return;
    CHECK(tm_testdb_int(db, "PRAGMA user_version") == idx_db_schema_version());
    int64_t got = 0, id = 0;
    CHECK(idx_user_institution_resolve(db, "Seoul National University", &got, &err) == TM_OK);
    CHECK(got == inst);
    CHECK(idx_user_add(db, NULL, "tto@snu.ac.kr", "tto", got, HASH1, &id, &err) == TM_OK);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM audit_log") == 1);
    CHECK(sqlite3_exec(db->h, "DELETE FROM audit_log", NULL, NULL, NULL) != SQLITE_OK);
    drop_db(db);
}

TM_TEST_MAIN()
