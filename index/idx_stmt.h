/* idx_stmt: every SQL statement techmart runs, by id. The text lives in one
 * table in idx_stmt.c; values are always bound, never glued in. */
#ifndef IDX_STMT_H
#define IDX_STMT_H

typedef enum {
    IDX_STMT_META_GEN,
    IDX_STMT_INST_FIND,
    IDX_STMT_INST_INSERT,
    IDX_STMT_INST_UPDATE,
    IDX_STMT_INST_GROUP_CLEAR,
    IDX_STMT_INST_GROUP_ADD,
    IDX_STMT_INST_LIST,
    IDX_STMT_INST_GROUPS,
    IDX_STMT_INST_GET,
    IDX_STMT_TECH_BY_EXT,
    IDX_STMT_TECH_BY_PATENT,
    IDX_STMT_TECH_INSERT,
    IDX_STMT_TECH_UPDATE,
    IDX_STMT_TECH_GET,
    IDX_STMT_TECH_COUNT,
    IDX_STMT_PATENT_CLEAR,
    IDX_STMT_PATENT_INSERT,
    IDX_STMT_PATENT_LIST,
    IDX_STMT_MEM_TECHS,         /* every technology: attributes and text, by id */
    IDX_STMT_SEARCH_MATCH_RANK, /* FTS path: MATCH + filters, by weighted bm25 */
    IDX_STMT_SEARCH_MATCH_NEWEST,
    IDX_STMT_SEARCH_MATCH_TRL,
    IDX_STMT_SEARCH_MATCH_FACETS, /* every match's facet attributes */
    IDX_STMT_SEARCH_ALL_NEWEST,   /* no query: filters only */
    IDX_STMT_SEARCH_ALL_TRL,
    IDX_STMT_SEARCH_ALL_FACETS,
    IDX_STMT_FTS_REBUILD,
    IDX_STMT_BULK_BEGIN, /* defer index entries of ids from max(id) + 1, returned */
    IDX_STMT_BULK_FTS,   /* index the deferred rows in one statement */
    IDX_STMT_BULK_END,
    IDX_STMT_USER_INSERT,
    IDX_STMT_USER_BY_EMAIL, /* with the password hash */
    IDX_STMT_USER_SET_PASSWORD,
    IDX_STMT_USER_SET_DISABLED,
    IDX_STMT_USER_LIST, /* with the institution's name; never the hash */
    IDX_STMT_AUDIT_INSERT,
    IDX_STMT_AUDIT_LIST, /* filtered, newest first, keyset on id; with the user's email */
    IDX_STMT_SESSION_INSERT,
    IDX_STMT_SESSION_FIND, /* with the user's fields */
    IDX_STMT_SESSION_TOUCH,
    IDX_STMT_SESSION_REVOKE,
    IDX_STMT_SESSION_REVOKE_USER, /* every open one of a user but one */
    IDX_STMT_TOKEN_INSERT,
    IDX_STMT_TOKEN_FIND, /* by hash, with the user's fields */
    IDX_STMT_TOKEN_GET,  /* by id, unrevoked */
    IDX_STMT_TOKEN_LIST, /* a user's unrevoked tokens, by id */
    IDX_STMT_TOKEN_TOUCH,
    IDX_STMT_TOKEN_REVOKE,
    IDX_STMT_TECH_UPDATE_IF, /* IDX_STMT_TECH_UPDATE only at the expected version (?21) */
    IDX_STMT_EXPORT_ALL,     /* export: ids after ?9 matching the filters, by id (idx_export) */
    IDX_STMT_EXPORT_MATCH,   /* the same with an FTS5 MATCH ?1 */
    IDX_STMT_FTS_CONFIG,     /* sets FTS5 option ?1 to ?2 (hashsize, automerge) */
    IDX_STMT_SAVEPOINT,      /* idx_db_savepoint: "rec" */
    IDX_STMT_RELEASE,
    IDX_STMT_ROLLBACK_TO,
    /* idx_bulk: a private index's rows, and their copy into the store's */
    IDX_STMT_FTS_INSERT,     /* one row's entries (rowid ?1, columns ?2..?10) */
    IDX_STMT_FTS_DELETE,     /* the same, taken out (the values it was indexed with) */
    IDX_STMT_TECH_FTS_COLS,  /* technology ?1's indexed columns, in FTS5's order */
    IDX_STMT_FTS_DATA_GET,   /* %_data block ?1 (the structure and averages records) */
    IDX_STMT_FTS_DATA_SET,   /* replaces block ?1 by ?2 */
    IDX_STMT_FTS_DATA_ADD,   /* a new block (fails on a taken id) */
    IDX_STMT_FTS_DATA_PAGES, /* every segment page (ids from ?1), by id */
    IDX_STMT_FTS_IDX_ALL,    /* %_idx: segid, term, pgno */
    IDX_STMT_FTS_IDX_ADD,
    IDX_STMT_FTS_DOCSIZE_ALL,   /* %_docsize: id, sz */
    IDX_STMT_BULK_LATER_CREATE, /* idx_bulk's private table of changes indexed at the end */
    IDX_STMT_BULK_LATER_ADD,
    IDX_STMT_BULK_LATER_ALL,  /* by id, then as added; cancelled pairs left out */
    IDX_STMT_FTS_MERGE,       /* FTS5 merge work, ?1 pages at most */
    IDX_STMT_FTS_DOCSIZE_PUT, /* a row's sizes, replacing those of its old version */
    IDX_STMT__COUNT
} idx_stmt;

/* The SQL text of id (static storage). */
const char *idx_stmt_sql(idx_stmt id);

#endif
