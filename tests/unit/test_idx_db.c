/* idx_db's SQLite settings, as an import uses them: a write transaction of
 * many small record savepoints (some rolled back) and then one savepoint
 * whose statement journal outgrows the in-memory spill size, as the merge
 * of an import's full-text index does. With SQLite 3.40 a spill threshold
 * of 131,200 bytes or more makes that spill fail with SQLITE_FULL, and the
 * whole transaction is rolled back: this test fails if the threshold is
 * raised there. */
#include <stdio.h>
#include <string.h>

#include "../../index/idx_db.h"
#include "../tm_test.h"
#include "../tm_testdb.h"

#define NROWS 4000 /* x ~320 bytes: ~1.3 MB of pages, far past the spill size */

static int exec(idx_db *db, const char *sql)
{
    return sqlite3_exec(db->h, sql, NULL, NULL, NULL);
}

static int64_t scalar(idx_db *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

TM_TEST(test_statement_journal_spills_past_record_savepoints)
{
    idx_db *db = tm_testdb_open("db_spill");
    tm_err err = {0};
    char sql[160];
    if (!db) return;
    CHECK(exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)") == SQLITE_OK);
    (void)snprintf(sql, sizeof sql,
                   "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < %d) "
                   "INSERT INTO t SELECT x, randomblob(300) FROM c",
                   NROWS);
    CHECK(exec(db, sql) == SQLITE_OK);

    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    int kept = 0;
    for (int i = 0; i < 300; i++) { /* records: three scattered rows each */
        CHECK(idx_db_savepoint(db, &err) == TM_OK);
        (void)snprintf(sql, sizeof sql, "UPDATE t SET b = randomblob(305) WHERE id IN (%d, %d, %d)",
                       i * 7 + 1, (i * 97) % NROWS + 1, (i * 53 + 3) % NROWS + 1);
        CHECK(exec(db, sql) == SQLITE_OK);
        if (i % 3 == 0) {
            idx_db_rollback_to(db);
        } else {
            CHECK(idx_db_release(db, &err) == TM_OK);
            kept++;
        }
    }
    CHECK(kept == 200);
    CHECK(scalar(db, "SELECT count(*) FROM t WHERE length(b) = 305") > 0);
    /* one savepoint that changes every existing page */
    CHECK(idx_db_savepoint(db, &err) == TM_OK);
    CHECK(exec(db, "UPDATE t SET b = randomblob(310)") == SQLITE_OK);
    CHECK(idx_db_release(db, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);

    CHECK(scalar(db, "SELECT count(*) FROM t WHERE length(b) = 310") == NROWS);
    CHECK(scalar(db, "SELECT count(*) FROM t") == NROWS);
    tm_testdb_drop(db);
}

TM_TEST_MAIN()
