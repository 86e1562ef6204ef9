/* idx_db's SQLite settings, as an import uses them.
 *
 * The statement journal: a write transaction of many small record
 * savepoints (some rolled back) and then one savepoint whose statement
 * journal outgrows the in-memory spill size, as the merge of an import's
 * full-text index does. SQLite 3.40 spills a journal by writing its chunk
 * in one call of at most 0x1ffff bytes, so a spill threshold of 131,200
 * bytes or more makes that write fail with SQLITE_FULL, and the whole
 * transaction is rolled back: this test fails if the threshold is raised
 * there.
 *
 * A load alone (idx_db_solo_begin/end): a rollback journal only while no
 * other connection has the database open; one that opens it meanwhile waits
 * for the load's transaction, or turns the log back on between two. Its
 * writeback (idx_wb) uses SQLite's own descriptor and leaves its locks. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../../index/idx_db.h"
#include "../../index/idx_wb.h"
#include "../tm_test.h"
#include "../tm_testdb.h"

#define NROWS 4000 /* x ~320 bytes: ~1.3 MB of pages, far past the spill size */

static int exec(idx_db *db, const char *sql)
{
    return sqlite3_exec(db->h, sql, NULL, NULL, NULL);
}

/* Open files of this process that are SQLite temporary files (a spilled
 * statement journal is one: "etilqs_...", unlinked while open). */
static int temp_files(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++) {
        char link[64], target[512];
        (void)snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t len = readlink(link, target, sizeof target - 1);
        if (len <= 0) continue;
        target[len] = '\0';
        n += strstr(target, "etilqs_") != NULL;
    }
    return n;
}

/* A savepoint's journal of ~100 KiB, past SQLite's 64 KiB default, stays in
 * memory: the setting idx_db makes is in force (an import's records would
 * otherwise each write to a temporary file). */
TM_TEST(test_a_record_sized_statement_journal_stays_in_memory)
{
    idx_db *db = tm_testdb_open("db_spill_mem");
    tm_err err = {0};
    if (!db) return;
    CHECK(exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)") == SQLITE_OK);
    CHECK(exec(db, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 400) "
                   "INSERT INTO t SELECT x, randomblob(300) FROM c") == SQLITE_OK);
    int before = temp_files();
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(idx_db_savepoint(db, &err) == TM_OK);
    /* 300 rows of 300 bytes: ~25 of the table's ~32 pages, ~100 KiB of journal */
    CHECK(exec(db, "UPDATE t SET b = randomblob(301) WHERE id <= 300") == SQLITE_OK);
    CHECK(temp_files() == before);
    CHECK(idx_db_release(db, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    tm_testdb_drop(db);
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
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM t WHERE length(b) = 305") > 0);
    /* one savepoint that changes every existing page */
    CHECK(idx_db_savepoint(db, &err) == TM_OK);
    CHECK(exec(db, "UPDATE t SET b = randomblob(310)") == SQLITE_OK);
    CHECK(idx_db_release(db, &err) == TM_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);

    CHECK(tm_testdb_int(db, "SELECT count(*) FROM t WHERE length(b) = 310") == NROWS);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM t") == NROWS);
    tm_testdb_drop(db);
}

static const char *mode(idx_db *db)
{
    static char out[16];
    sqlite3_stmt *s = NULL;
    out[0] = 0;
    if (sqlite3_prepare_v2(db->h, "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        idx_db_col_text(s, 0, out, sizeof out);
    sqlite3_finalize(s);
    return out;
}

/* Bytes 18 and 19 of the file: 2 and 2 in WAL mode, 1 and 1 without. */
/* Read through one descriptor kept open until the connections are closed:
 * closing a descriptor of the file would drop every lock this process
 * holds on it, SQLite's included (POSIX advisory locks). */
static int header_fd = -1;

static int file_format(void)
{
    unsigned char h[20] = {0};
    if (header_fd < 0) header_fd = open(tm_testdb_path, O_RDONLY | O_CLOEXEC);
    if (header_fd < 0) return -1;
    ssize_t n = pread(header_fd, h, sizeof h, 0);
    return n == (ssize_t)sizeof h && h[18] == h[19] ? h[18] : -1;
}

static bool wal_file_exists(void)
{
    char p[sizeof tm_testdb_path + 8];
    (void)snprintf(p, sizeof p, "%s-wal", tm_testdb_path);
    return access(p, F_OK) == 0;
}

static int add_row(idx_db *db, int v)
{
    char sql[64];
    (void)snprintf(sql, sizeof sql, "INSERT INTO t (v) VALUES (%d)", v);
    return exec(db, sql);
}

typedef struct {
    idx_db *db;
    int code;
} opener;

static void *open_later(void *arg)
{
    opener *op = arg;
    tm_err err = {0};
    usleep(100 * 1000);
    op->code = idx_db_open(tm_testdb_path, &op->db, &err);
    return NULL;
}

TM_TEST(test_solo_load_only_when_alone)
{
    idx_db *db = tm_testdb_open("db_solo"), *other = NULL;
    tm_err err = {0};
    bool solo = true;
    if (!db) return;
    CHECK(exec(db, "CREATE TABLE t (v INTEGER)") == SQLITE_OK);
    CHECK(idx_db_open(tm_testdb_path, &other, &err) == TM_OK);

    /* another connection: the load shares the log, without waiting */
    CHECK(idx_db_solo_begin(db, &solo, &err) == TM_OK);
    CHECK(!solo);
    CHECK_STR(mode(db), "wal");
    idx_db_close(other);

    /* alone: a rollback journal, and the log's file is gone */
    CHECK(idx_db_solo_begin(db, &solo, &err) == TM_OK);
    CHECK(solo);
    CHECK_STR(mode(db), "delete");
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(add_row(db, 1) == SQLITE_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    CHECK(file_format() == 1);
    CHECK(!wal_file_exists());

    /* a connection opened between two transactions turns the log back on,
     * and the load's next transaction follows it */
    CHECK(idx_db_open(tm_testdb_path, &other, &err) == TM_OK);
    CHECK(file_format() == 2);
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(add_row(db, 2) == SQLITE_OK);
    CHECK(idx_db_commit(db, &err) == TM_OK);
    CHECK_STR(mode(db), "wal");
    CHECK(tm_testdb_int(other, "SELECT count(*) FROM t") == 2);
    idx_db_close(other);
    other = NULL;

    /* one opened during a transaction of the load waits for its end */
    CHECK(idx_db_solo_begin(db, &solo, &err) == TM_OK);
    CHECK(solo);
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(add_row(db, 3) == SQLITE_OK);
    opener op = {0};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, open_later, &op) == 0);
    usleep(300 * 1000); /* the opener is waiting by now, or will find it ended */
    CHECK(idx_db_commit(db, &err) == TM_OK);
    pthread_join(th, NULL);
    CHECK(op.code == TM_OK);
    CHECK(file_format() == 2);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM t") == 3);

    /* ... up to IDX_DB_BUSY_MS, then it says why */
    CHECK(idx_db_solo_begin(db, &solo, &err) == TM_OK);
    CHECK(!solo); /* op's connection is open */
    idx_db_close(op.db);
    CHECK(idx_db_solo_begin(db, &solo, &err) == TM_OK);
    CHECK(solo);
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    CHECK(add_row(db, 4) == SQLITE_OK);
    tm_err oerr = {0};
    CHECK(idx_db_open(tm_testdb_path, &other, &oerr) == TM_EBUSY);
    CHECK(other == NULL);
    CHECK(strstr(oerr.msg, "is busy: another process is writing to it") != NULL);
    CHECK(idx_db_commit(db, &err) == TM_OK);

    /* the end of the load turns the log back on */
    CHECK(idx_db_solo_end(db, &err) == TM_OK);
    CHECK_STR(mode(db), "wal");
    CHECK(file_format() == 2);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM t") == 4);
    tm_testdb_drop(db);
    if (header_fd >= 0) close(header_fd);
    header_fd = -1;
}

typedef struct {
    idx_db *db;
    int ms;
} committer;

static void *commit_later(void *arg)
{
    committer *c = arg;
    tm_err err = {0};
    usleep((useconds_t)c->ms * 1000);
    CHECK(idx_db_commit(c->db, &err) == TM_OK);
    return NULL;
}

/* Beside another connection, solo_begin tries without a busy wait, and
 * leaves the connection's wait as it was: a write then waits for the other
 * connection's write to end. */
TM_TEST(test_solo_begin_keeps_the_busy_wait)
{
    idx_db *db = tm_testdb_open("db_solo_wait"), *other = NULL;
    tm_err err = {0};
    bool solo = true;
    if (!db) return;
    CHECK(idx_db_open(tm_testdb_path, &other, &err) == TM_OK);
    if (!other) {
        tm_testdb_drop(db);
        return;
    }
    CHECK(idx_db_solo_begin(db, &solo, &err) == TM_OK);
    CHECK(!solo);
    CHECK(idx_db_begin_write(other, &err) == TM_OK);
    committer c = {other, 300};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, commit_later, &c) == 0);
    CHECK(idx_db_begin_write(db, &err) == TM_OK); /* waits ~300 ms */
    pthread_join(th, NULL);
    idx_db_rollback(db);
    idx_db_close(other);
    tm_testdb_drop(db);
}

/* Descriptors of this process open on the test database file. */
static int db_fds(void)
{
    struct stat want, got;
    int n = 0;
    if (stat(tm_testdb_path, &want) != 0) return -1;
    for (int fd = 0; fd < 1024; fd++)
        n += fstat(fd, &got) == 0 && got.st_dev == want.st_dev && got.st_ino == want.st_ino;
    return n;
}

/* POSIX locks this process holds on the test database file, as the kernel
 * lists them (/proc/locks: "1: POSIX ADVISORY WRITE pid maj:min:inode ..."). */
static int db_locks(void)
{
    struct stat want;
    if (stat(tm_testdb_path, &want) != 0) return -1;
    char id[64];
    (void)snprintf(id, sizeof id, " %d %02x:%02x:%lu ", (int)getpid(), major(want.st_dev),
                   minor(want.st_dev), (unsigned long)want.st_ino);
    FILE *f = fopen("/proc/locks", "r");
    if (!f) return -1;
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += strstr(line, "POSIX") && strstr(line, id);
    fclose(f);
    return n;
}

TM_TEST(test_writeback_keeps_sqlites_locks)
{
    idx_db *db = tm_testdb_open("db_wb"), *mem = NULL;
    tm_err err = {0};
    bool solo = false;
    if (!db) return;
    CHECK(exec(db, "CREATE TABLE t (v INTEGER)") == SQLITE_OK);
    int fds = db_fds();
    CHECK(fds >= 1);
    CHECK(idx_db_solo_begin(db, &solo, &err) == TM_OK);
    CHECK(solo);
    CHECK(db->wb != NULL);
    CHECK(db_fds() == fds); /* no descriptor of its own */
    CHECK(idx_db_begin_write(db, &err) == TM_OK);
    for (int i = 0; i < 2000; i++)
        CHECK(add_row(db, i) == SQLITE_OK);
    for (int i = 0; i < 5; i++)
        idx_db_writeback(db);
    usleep(50 * 1000);
    CHECK(db_locks() > 0); /* the load's locks held throughout */
    CHECK(idx_db_commit(db, &err) == TM_OK);
    CHECK(idx_db_solo_end(db, &err) == TM_OK);
    CHECK(db->wb == NULL);
    CHECK(db_fds() == fds);
    CHECK(tm_testdb_int(db, "SELECT count(*) FROM t") == 2000);
    idx_db_writeback(db); /* not loading alone: nothing to do */

    /* no file, no writeback */
    CHECK(idx_db_open_scratch(&mem, &err) == TM_OK);
    if (mem) CHECK(idx_wb_start(mem->h) == NULL);
    idx_db_close(mem);
    tm_testdb_drop(db);
}

TM_TEST_MAIN()
