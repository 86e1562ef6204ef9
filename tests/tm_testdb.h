/* tm_testdb: a database file of the test process's own under /tmp, created
 * fresh by tm_testdb_open() and removed (with its WAL) by tm_testdb_drop().
 * tm_testdb_path holds its name, for tests that open it again. */
#ifndef TM_TESTDB_H
#define TM_TESTDB_H

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "../index/idx_db.h"
#include "tm_test.h"

static char tm_testdb_path[96];

static void tm_testdb_remove(void)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        char p[sizeof tm_testdb_path + 8];
        (void)snprintf(p, sizeof p, "%s%s", tm_testdb_path, suffix[i]);
        unlink(p);
    }
}

/* A new, migrated database named after tag and the process. */
static idx_db *tm_testdb_open(const char *tag)
{
    idx_db *db = NULL;
    tm_err err = {0};
    (void)snprintf(tm_testdb_path, sizeof tm_testdb_path, "/tmp/tm_test_%s_%d.db", tag,
                   (int)getpid());
    tm_testdb_remove();
    CHECK(idx_db_open(tm_testdb_path, &db, &err) == TM_OK);
    return db;
}

/* One integer from a query, -1 when it fails (tests only: the code's SQL
 * lives in idx_stmt.c). */
static inline int64_t tm_testdb_int(idx_db *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return n;
}

static void tm_testdb_drop(idx_db *db)
{
    idx_db_close(db);
    tm_testdb_remove();
}

#endif
