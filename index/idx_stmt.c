#include "idx_stmt.h"

#include <stddef.h>

/* The search filters, bound by position in every search statement:
 * ?2 field, ?3 institution id, ?4 group, ?5 status (NULL: all but withdrawn),
 * ?6 trl_min, ?7 trl_max, ?8 licence name. A NULL parameter is no filter. */
#define SEARCH_FILTERS                                                                             \
    " (?2 IS NULL OR t.field = ?2)"                                                                \
    " AND (?3 IS NULL OR t.institution_id = ?3)"                                                   \
    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM institution_group g"                                \
    "      WHERE g.institution_id = t.institution_id AND g.grp = ?4))"                             \
    " AND (CASE WHEN ?5 IS NULL THEN t.status <> 'withdrawn' ELSE t.status = ?5 END)"              \
    " AND (?6 IS NULL OR t.trl >= ?6)"                                                             \
    " AND (?7 IS NULL OR t.trl <= ?7)"                                                             \
    " AND (?8 IS NULL OR"                                                                          \
    "      instr(char(10) || t.licence || char(10), char(10) || ?8 || char(10)) > 0)"

/* The export's filters: SEARCH_FILTERS, but ?5 = '*' takes every status,
 * withdrawn included. ?9 is the last id returned, ?10 the page size. */
#define EXPORT_FILTERS                                                                             \
    " (?2 IS NULL OR t.field = ?2)"                                                                \
    " AND (?3 IS NULL OR t.institution_id = ?3)"                                                   \
    " AND (?4 IS NULL OR EXISTS (SELECT 1 FROM institution_group g"                                \
    "      WHERE g.institution_id = t.institution_id AND g.grp = ?4))"                             \
    " AND (CASE WHEN ?5 IS NULL THEN t.status <> 'withdrawn' WHEN ?5 = '*' THEN 1"                 \
    "      ELSE t.status = ?5 END)"                                                                \
    " AND (?6 IS NULL OR t.trl >= ?6)"                                                             \
    " AND (?7 IS NULL OR t.trl <= ?7)"                                                             \
    " AND (?8 IS NULL OR"                                                                          \
    "      instr(char(10) || t.licence || char(10), char(10) || ?8 || char(10)) > 0)"

#define FTS_JOIN                                                                                   \
    " FROM technology_fts f JOIN technology t ON t.id = f.rowid WHERE technology_fts MATCH ?1 AND"
#define ALL_FROM " FROM technology t WHERE ?1 IS NULL AND"
#define FACET_COLS "SELECT t.field, t.status, t.trl, t.licence, t.institution_id"
#define PAGE " LIMIT ?9 OFFSET ?10"

/* technology_fts's columns, in order (also technology's column names). */
#define FTS_COLS                                                                                   \
    "title, title_en, keywords, summary, description, inst_names, inventors, ipc,"                 \
    " patent_numbers"
/* bm25 weights, in FTS5 column order; must equal idx_col_weight (idx_enum.c),
 * which a unit test checks. */
#define BM25 "bm25(technology_fts, 10.0, 8.0, 5.0, 2.0, 1.0, 2.0, 3.0, 3.0, 5.0)"

#define TECH_COLS                                                                                  \
    "external_id, title, title_en, summary, description, keywords, field, ipc, trl, licence, "     \
    "asking, status, inventors, contact, inst_names, patent_numbers, content_hash"

static const char *const idx_sql[IDX_STMT__COUNT] = {
    [IDX_STMT_META_GEN] = "SELECT value FROM meta WHERE key = 'catalogue_gen'",
    [IDX_STMT_INST_FIND] = "SELECT id FROM institution WHERE name = ?1"
                           " UNION ALL SELECT id FROM institution WHERE name_en = ?1 COLLATE NOCASE"
                           " LIMIT 1",
    [IDX_STMT_INST_INSERT] = "INSERT INTO institution (name, name_en, kind, created_at, updated_at)"
                             " VALUES (?1, ?2, ?3, ?4, ?4)",
    [IDX_STMT_INST_UPDATE] = "UPDATE institution SET name_en = ?2, kind = ?3, updated_at = ?4,"
                             " version = version + 1"
                             " WHERE id = ?1 AND (name_en IS NOT ?2 OR kind IS NOT ?3)",
    [IDX_STMT_INST_GROUP_CLEAR] = "DELETE FROM institution_group WHERE institution_id = ?1",
    [IDX_STMT_INST_GROUP_ADD] = "INSERT OR IGNORE INTO institution_group (institution_id, grp)"
                                " VALUES (?1, ?2)",
    [IDX_STMT_INST_LIST] = "SELECT i.id, i.name, i.name_en, i.kind,"
                           " (SELECT count(*) FROM technology t WHERE t.institution_id = i.id"
                           "  AND t.status <> 'withdrawn')"
                           " FROM institution i ORDER BY i.name",
    [IDX_STMT_INST_GROUPS] = "SELECT institution_id, grp FROM institution_group"
                             " ORDER BY institution_id, grp",
    [IDX_STMT_INST_GET] = "SELECT id, name, name_en, kind FROM institution WHERE id = ?1",
    [IDX_STMT_TECH_BY_EXT] =
        "SELECT id, content_hash, version FROM technology WHERE external_id = ?1",
    [IDX_STMT_TECH_BY_PATENT] =
        "SELECT t.id, t.content_hash, t.version FROM patent p JOIN technology t"
        " ON t.id = p.technology_id"
        " WHERE p.number_key = ?2 AND p.ord = 0 AND t.institution_id = ?1"
        " AND t.external_id IS NULL LIMIT 1",
    [IDX_STMT_TECH_INSERT] =
        "INSERT INTO technology (institution_id, " TECH_COLS ", created_at, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
        " ?19, ?19)",
    [IDX_STMT_TECH_UPDATE] =
        "UPDATE technology SET institution_id = ?1, external_id = ?2, title = ?3, title_en = ?4,"
        " summary = ?5, description = ?6, keywords = ?7, field = ?8, ipc = ?9, trl = ?10,"
        " licence = ?11, asking = ?12, status = ?13, inventors = ?14, contact = ?15,"
        " inst_names = ?16, patent_numbers = ?17, content_hash = ?18, updated_at = ?19,"
        " version = version + 1 WHERE id = ?20",
    [IDX_STMT_TECH_UPDATE_IF] =
        "UPDATE technology SET institution_id = ?1, external_id = ?2, title = ?3, title_en = ?4,"
        " summary = ?5, description = ?6, keywords = ?7, field = ?8, ipc = ?9, trl = ?10,"
        " licence = ?11, asking = ?12, status = ?13, inventors = ?14, contact = ?15,"
        " inst_names = ?16, patent_numbers = ?17, content_hash = ?18, updated_at = ?19,"
        " version = version + 1 WHERE id = ?20 AND version = ?21",
    [IDX_STMT_EXPORT_ALL] = "SELECT t.id FROM technology t WHERE t.id > ?9 AND" EXPORT_FILTERS
                            " ORDER BY t.id LIMIT ?10",
    [IDX_STMT_EXPORT_MATCH] =
        "SELECT t.id FROM technology_fts f JOIN technology t ON t.id = f.rowid"
        " WHERE technology_fts MATCH ?1 AND f.rowid > ?9 AND" EXPORT_FILTERS
        " ORDER BY f.rowid LIMIT ?10",
    [IDX_STMT_TECH_GET] =
        "SELECT t.id, t.institution_id, i.name, t.external_id, t.title, t.title_en, t.summary,"
        " t.description, t.keywords, t.field, t.ipc, t.trl, t.licence, t.asking, t.status,"
        " t.inventors, t.contact, t.created_at, t.updated_at, t.version"
        " FROM technology t JOIN institution i ON i.id = t.institution_id WHERE t.id = ?1",
    [IDX_STMT_TECH_COUNT] = "SELECT count(*) FROM technology",
    [IDX_STMT_PATENT_CLEAR] = "DELETE FROM patent WHERE technology_id = ?1",
    [IDX_STMT_PATENT_INSERT] =
        "INSERT INTO patent (technology_id, ord, number, number_key, country, kind, status,"
        " filed, registered, registration_number) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [IDX_STMT_PATENT_LIST] =
        "SELECT number, country, kind, status, filed, registered, registration_number"
        " FROM patent WHERE technology_id = ?1 ORDER BY ord",
    [IDX_STMT_MEM_TECHS] =
        "SELECT id, institution_id, field, status, trl, licence, created_at,"
        " title, title_en, keywords, summary, description, inst_names, inventors, ipc,"
        " patent_numbers, external_id FROM technology ORDER BY id",
    [IDX_STMT_SEARCH_MATCH_RANK] =
        "SELECT t.id, " BM25 " AS score" FTS_JOIN SEARCH_FILTERS " ORDER BY score, t.id DESC" PAGE,
    [IDX_STMT_SEARCH_MATCH_NEWEST] = "SELECT t.id, " BM25 " AS score" FTS_JOIN SEARCH_FILTERS
                                     " ORDER BY t.created_at DESC, t.id DESC" PAGE,
    [IDX_STMT_SEARCH_MATCH_TRL] = "SELECT t.id, " BM25 " AS score" FTS_JOIN SEARCH_FILTERS
                                  " ORDER BY t.trl IS NULL, t.trl DESC, score, t.id DESC" PAGE,
    [IDX_STMT_SEARCH_MATCH_FACETS] = FACET_COLS FTS_JOIN SEARCH_FILTERS,
    [IDX_STMT_SEARCH_ALL_NEWEST] =
        "SELECT t.id, 0.0" ALL_FROM SEARCH_FILTERS " ORDER BY t.created_at DESC, t.id DESC" PAGE,
    [IDX_STMT_SEARCH_ALL_TRL] =
        "SELECT t.id, 0.0" ALL_FROM SEARCH_FILTERS
        " ORDER BY t.trl IS NULL, t.trl DESC, t.created_at DESC, t.id DESC" PAGE,
    [IDX_STMT_SEARCH_ALL_FACETS] = FACET_COLS ALL_FROM SEARCH_FILTERS,
    [IDX_STMT_FTS_REBUILD] = "INSERT INTO technology_fts (technology_fts) VALUES ('rebuild')",
    [IDX_STMT_BULK_BEGIN] =
        "UPDATE meta SET value = (SELECT coalesce(max(id), 0) + 1 FROM technology)"
        " WHERE key = 'fts_deferred' RETURNING value",
    [IDX_STMT_BULK_FTS] =
        "INSERT INTO technology_fts (rowid, " FTS_COLS ") SELECT id, " FTS_COLS " FROM technology"
        " WHERE id >= (SELECT value FROM meta WHERE key = 'fts_deferred')"
        " AND (SELECT value FROM meta WHERE key = 'fts_deferred') > 0",
    [IDX_STMT_BULK_END] = "UPDATE meta SET value = CASE key WHEN 'fts_deferred' THEN 0"
                          " ELSE value + (?1 > 0) END"
                          " WHERE key IN ('fts_deferred', 'catalogue_gen')",
    [IDX_STMT_FTS_CONFIG] = "INSERT INTO technology_fts (technology_fts, rank) VALUES (?1, ?2)",
    [IDX_STMT_SAVEPOINT] = "SAVEPOINT rec",
    [IDX_STMT_RELEASE] = "RELEASE rec",
    [IDX_STMT_ROLLBACK_TO] = "ROLLBACK TO rec",
    [IDX_STMT_FTS_INSERT] = "INSERT INTO technology_fts (rowid, " FTS_COLS ")"
                            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [IDX_STMT_FTS_DELETE] = "INSERT INTO technology_fts (technology_fts, rowid, " FTS_COLS ")"
                            " VALUES ('delete', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [IDX_STMT_TECH_FTS_COLS] = "SELECT " FTS_COLS " FROM technology WHERE id = ?1",
    [IDX_STMT_FTS_DATA_GET] = "SELECT block FROM technology_fts_data WHERE id = ?1",
    [IDX_STMT_FTS_DATA_SET] = "UPDATE technology_fts_data SET block = ?2 WHERE id = ?1",
    [IDX_STMT_FTS_DATA_ADD] = "INSERT INTO technology_fts_data (id, block) VALUES (?1, ?2)",
    [IDX_STMT_FTS_DATA_PAGES] =
        "SELECT id, block FROM technology_fts_data WHERE id >= ?1 ORDER BY id",
    [IDX_STMT_FTS_IDX_ALL] = "SELECT segid, term, pgno FROM technology_fts_idx",
    [IDX_STMT_FTS_IDX_ADD] =
        "INSERT INTO technology_fts_idx (segid, term, pgno) VALUES (?1, ?2, ?3)",
    [IDX_STMT_FTS_DOCSIZE_ALL] = "SELECT id, sz FROM technology_fts_docsize",
    [IDX_STMT_BULK_LATER_CREATE] = "CREATE TABLE bulk_later (seq INTEGER PRIMARY KEY,"
                                   " id INTEGER NOT NULL, del INTEGER NOT NULL, " FTS_COLS ")",
    [IDX_STMT_BULK_LATER_ADD] = "INSERT INTO bulk_later (id, del, " FTS_COLS ")"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    /* A row's insert followed by its delete cancel out (the delete carries
     * the values just inserted): a row changed twice would otherwise make
     * FTS5 write a segment at its second delete. */
    [IDX_STMT_BULK_LATER_ALL] =
        "SELECT id, del, " FTS_COLS " FROM (SELECT seq, id, del, " FTS_COLS ","
        " lead(del) OVER w AS next_del, lag(del) OVER w AS prev_del FROM bulk_later"
        " WINDOW w AS (PARTITION BY id ORDER BY seq))"
        " WHERE NOT (del = 0 AND coalesce(next_del, 0) = 1)"
        " AND NOT (del = 1 AND coalesce(prev_del, 1) = 0) ORDER BY id, seq",
    [IDX_STMT_FTS_MERGE] = "INSERT INTO technology_fts (technology_fts, rank) VALUES ('merge', ?1)",
    [IDX_STMT_FTS_DOCSIZE_PUT] =
        "INSERT OR REPLACE INTO technology_fts_docsize (id, sz) VALUES (?1, ?2)",
    [IDX_STMT_USER_INSERT] =
        "INSERT INTO \"user\" (email, role, institution_id, password_hash, created_at, updated_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
    [IDX_STMT_USER_BY_EMAIL] = "SELECT u.id, u.email, u.role, u.institution_id, i.name, u.disabled,"
                               " u.created_at, u.updated_at, u.version, u.password_hash"
                               " FROM \"user\" u LEFT JOIN institution i ON i.id = u.institution_id"
                               " WHERE u.email = ?1",
    [IDX_STMT_USER_SET_PASSWORD] = "UPDATE \"user\" SET password_hash = ?2, updated_at = ?3,"
                                   " version = version + 1 WHERE id = ?1 AND version = ?4",
    [IDX_STMT_USER_SET_DISABLED] = "UPDATE \"user\" SET disabled = ?2, updated_at = ?3,"
                                   " version = version + 1 WHERE id = ?1 AND version = ?4",
    [IDX_STMT_USER_LIST] = "SELECT u.id, u.email, u.role, u.institution_id, i.name, u.disabled,"
                           " u.created_at, u.updated_at, u.version"
                           " FROM \"user\" u LEFT JOIN institution i ON i.id = u.institution_id"
                           " ORDER BY u.email",
    [IDX_STMT_AUDIT_INSERT] =
        "INSERT INTO audit_log (at, user_id, address, action, object, object_id,"
        " \"before\", \"after\") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    /* Each filter is off when its parameter is NULL. Rows come by id
     * (the primary key, newest first) from below ?7, always bound (INT64_MAX
     * for the first page) so that it is a range on the key: a page reads
     * from its cursor on and stops after ?8 matches. */
    [IDX_STMT_AUDIT_LIST] =
        "SELECT a.id, a.at, a.user_id, u.email, a.address, a.action, a.object, a.object_id,"
        " a.\"before\", a.\"after\""
        " FROM audit_log a LEFT JOIN \"user\" u ON u.id = a.user_id"
        " WHERE (?1 IS NULL OR a.object = ?1) AND (?2 IS NULL OR a.object_id = ?2)"
        " AND (?3 IS NULL OR a.user_id = ?3) AND (?4 IS NULL OR a.action = ?4)"
        " AND (?5 IS NULL OR a.at >= ?5) AND (?6 IS NULL OR a.at <= ?6)"
        " AND a.id < ?7"
        " ORDER BY a.id DESC LIMIT ?8",
    [IDX_STMT_SESSION_INSERT] =
        "INSERT INTO session (token_hash, csrf_hash, user_id, created_at, last_seen, expires_at)"
        " VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
    [IDX_STMT_SESSION_FIND] =
        "SELECT s.id, s.token_hash, s.csrf_hash, s.user_id, s.created_at, s.last_seen,"
        " s.expires_at, u.email, u.role, u.institution_id, u.disabled"
        " FROM session s JOIN \"user\" u ON u.id = s.user_id"
        " WHERE s.token_hash = ?1 AND s.revoked_at IS NULL",
    [IDX_STMT_SESSION_TOUCH] =
        "UPDATE session SET last_seen = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    [IDX_STMT_SESSION_REVOKE] =
        "UPDATE session SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    [IDX_STMT_SESSION_REVOKE_USER] = "UPDATE session SET revoked_at = ?2"
                                     " WHERE user_id = ?1 AND revoked_at IS NULL AND id <> ?3",
    [IDX_STMT_TOKEN_INSERT] = "INSERT INTO api_token (token_hash, user_id, name, created_at)"
                              " VALUES (?1, ?2, ?3, ?4)",
    [IDX_STMT_TOKEN_FIND] = "SELECT t.id, t.token_hash, t.user_id, t.last_used, u.email, u.role,"
                            " u.institution_id, u.disabled"
                            " FROM api_token t JOIN \"user\" u ON u.id = t.user_id"
                            " WHERE t.token_hash = ?1 AND t.revoked_at IS NULL",
    [IDX_STMT_TOKEN_GET] = "SELECT id, user_id, name, created_at, last_used FROM api_token"
                           " WHERE id = ?1 AND revoked_at IS NULL",
    [IDX_STMT_TOKEN_LIST] = "SELECT id, user_id, name, created_at, last_used FROM api_token"
                            " WHERE user_id = ?1 AND revoked_at IS NULL ORDER BY id",
    [IDX_STMT_TOKEN_TOUCH] =
        "UPDATE api_token SET last_used = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    [IDX_STMT_TOKEN_REVOKE] =
        "UPDATE api_token SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
};

const char *idx_stmt_sql(idx_stmt id)
{
    return (unsigned)id < IDX_STMT__COUNT ? idx_sql[id] : NULL;
}
