/* libFuzzer target for idx_query.
 *
 * Property: any bytes either fail to parse with TM_EINVAL "q", or parse to a
 * well-formed tree (see check_node) whose FTS5 expression, before and after
 * idx_query_tokenize(), runs as `t MATCH ?` on a real FTS5 table tokenized
 * by "porter techmart" without an SQLite error. Any SQLite error (above all
 * "fts5: syntax error") aborts.
 *
 * Build and run from the repository root:
 *   mkdir -p build/fuzz
 *   clang -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer \
 *       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *       tests/fuzz/fuzz_query.c index/idx_query.c index/idx_tok.c index/idx_enum.c \
 *       common/tm_alloc.c common/tm_buf.c common/tm_err.c common/tm_utf8.c \
 *       -lsqlite3 -o build/fuzz/fuzz_query
 *   build/fuzz/fuzz_query -max_total_time=120 -max_len=1100 \
 *       build/fuzz/corpus-query tests/fuzz/corpus/query
 * New inputs go to the first directory. Replay the seeds once, as a test:
 *   build/fuzz/fuzz_query -runs=0 tests/fuzz/corpus/query */
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_buf.h"
#include "../../common/tm_err.h"
#include "../../common/tm_utf8.h"
#include "../../index/idx_enum.h"
#include "../../index/idx_query.h"
#include "../../index/idx_tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;
static sqlite3_stmt *count_stmt;
static idx_tok *tok;

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_query: " __VA_ARGS__);                                               \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

static void setup(void)
{
    tm_err err = {0};
    if (sqlite3_open(":memory:", &db) != SQLITE_OK || idx_tok_register(db) != SQLITE_OK)
        FAIL("cannot open an in-memory database with the techmart tokenizer");
    if (sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE t USING fts5(title, title_en, keywords, summary,"
                     " description, inst_names, inventors, ipc, patent_numbers,"
                     " tokenize='porter techmart');"
                     "INSERT INTO t VALUES ('페로브스카이트 태양전지', 'Perovskite solar cell',"
                     " 'energy, photovoltaic', 'A tandem cell', 'solar cells and modules',"
                     " 'KAIST', 'Kim Minsu', 'H01L 31/04', '10-2019-0012345');"
                     "INSERT INTO t VALUES ('리튬 배터리 전극', 'Battery electrode coating',"
                     " 'battery, lithium', '기술을 이용한 전극', 'or and not near',"
                     " 'Korea University', 'Lee Jiho', 'H01M 4/04', '10-2020-0000001');",
                     NULL, NULL, NULL) != SQLITE_OK)
        FAIL("setup: %s", sqlite3_errmsg(db));
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?", -1, &count_stmt, NULL) !=
        SQLITE_OK)
        FAIL("prepare: %s", sqlite3_errmsg(db));
    if (idx_tok_open(db, &tok, &err) != TM_OK) FAIL("idx_tok_open: %s", err.msg);
}

static void check_term(const idx_qnode *t, bool tokenized)
{
    const unsigned unknown_cols = ~((1u << IDX_COL__COUNT) - 1u);
    if (!t->text) FAIL("term without text");
    size_t n = strlen(t->text);
    if (!tm_utf8_valid(t->text, n)) FAIL("term text is not valid UTF-8");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t->text[i];
        if (c < 0x20 || c == 0x7F || c == '"') FAIL("term text holds byte 0x%02x", c);
    }
    if (t->nkids || t->kids) FAIL("term with kids");
    if (t->colmask & unknown_cols) FAIL("term with unknown column bits %#x", t->colmask);
    if (tokenized ? t->ntoks == 0 || !t->toks : t->ntoks != 0)
        FAIL("term [%s] has %zu tokens (tokenized: %d)", t->text, t->ntoks, tokenized);
    for (size_t i = 0; i < t->ntoks; i++)
        if (!t->toks[i] || !t->toks[i][0]) FAIL("term [%s] has an empty token", t->text);
}

/* The shapes idx_query.h promises: the root is a TERM, an OR of TERMs, or
 * an AND of TERM/OR/NOT kids with at least one positive one; a NOT holds
 * one TERM; nodes with operators have at least two kids. */
static void check_node(const idx_qnode *nd, idx_qkind parent, bool root, bool tokenized,
                       size_t *nterms)
{
    size_t npos = 0;
    switch (nd->kind) {
    case IDX_Q_TERM:
        check_term(nd, tokenized);
        ++*nterms;
        return;
    case IDX_Q_AND:
        if (!root) FAIL("AND below the root");
        break;
    case IDX_Q_OR:
        if (!root && parent != IDX_Q_AND) FAIL("OR below a non-AND");
        break;
    case IDX_Q_NOT:
        if (root || parent != IDX_Q_AND || nd->nkids != 1 || nd->kids[0]->kind != IDX_Q_TERM)
            FAIL("misplaced or malformed NOT");
        check_node(nd->kids[0], nd->kind, false, tokenized, nterms);
        return;
    default:
        FAIL("unknown node kind %d", (int)nd->kind);
    }
    if (nd->nkids < 2) FAIL("%s with %zu kids", nd->kind == IDX_Q_AND ? "AND" : "OR", nd->nkids);
    for (size_t i = 0; i < nd->nkids; i++) {
        const idx_qnode *kid = nd->kids[i];
        if (nd->kind == IDX_Q_OR && kid->kind != IDX_Q_TERM) FAIL("OR with a non-term kid");
        npos += kid->kind != IDX_Q_NOT;
        check_node(kid, nd->kind, false, tokenized, nterms);
    }
    if (npos == 0) FAIL("AND with only exclusions");
}

static void check_tree(const idx_query *q, bool tokenized)
{
    size_t nterms = 0;
    if (!q->root) return;
    check_node(q->root, IDX_Q_AND, true, tokenized, &nterms);
    if (nterms > IDX_QUERY_MAX_TERMS) FAIL("%zu terms", nterms);
}

static void check_einval(int rc, const tm_err *err, const char *what)
{
    if (rc != TM_EINVAL || err->code != TM_EINVAL || strcmp(err->field, "q") != 0 || !err->msg[0])
        FAIL("%s failed with code %d field [%s] message [%s]", what, rc, err->field, err->msg);
}

/* Compiles q and runs it; aborts on any SQLite error. */
static void check_match(const idx_query *q)
{
    tm_buf fts = {0};
    if (!q->root) return;
    idx_query_to_fts(q, &fts);
    const char *expr = tm_buf_cstr(&fts);
    if (strlen(expr) != fts.len || !tm_utf8_valid(expr, fts.len))
        FAIL("FTS5 expression with a NUL byte or invalid UTF-8");
    if (sqlite3_bind_text(count_stmt, 1, expr, (int)fts.len, SQLITE_STATIC) != SQLITE_OK)
        FAIL("bind: %s", sqlite3_errmsg(db));
    int rc = sqlite3_step(count_stmt);
    if (rc != SQLITE_ROW) FAIL("MATCH [%s]: %s", expr, sqlite3_errmsg(db));
    (void)sqlite3_reset(count_stmt); /* the step succeeded, so reset does too */
    (void)sqlite3_clear_bindings(count_stmt);
    tm_buf_free(&fts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    idx_query *q = NULL;
    tm_err err = {0};

    if (!db) setup();
    int rc = idx_query_parse((const char *)data, size, &q, &err);
    if (rc != TM_OK) {
        check_einval(rc, &err, "parse");
        if (q) FAIL("failed parse left a tree");
        return 0;
    }
    if (!q) FAIL("parse succeeded without a tree");
    if (size > IDX_QUERY_MAX_BYTES || !tm_utf8_valid((const char *)data, size))
        FAIL("accepted an input that is too long or not UTF-8");
    check_tree(q, false);
    check_match(q);

    rc = idx_query_tokenize(q, tok, &err);
    if (rc != TM_OK) {
        check_einval(rc, &err, "tokenize");
    } else {
        check_tree(q, true);
        check_match(q);
    }
    idx_query_free(q);
    return 0;
}
