/* libFuzzer target for the "techmart" tokenizer and the snippet builder.
 *
 * Each input is tokenized by idx_tok in document and query mode (every
 * token must be non-empty valid UTF-8 of at most IDX_TOK_MAX bytes with an
 * ordered byte range inside the input), inserted into a real FTS5 table
 * using tokenize='porter techmart' (whose token stream, read back through
 * fts5vocab, must equal idx_tok's), searched with MATCH as a quoted phrase,
 * and given to idx_snip_html with a query made of its first bytes (the
 * output must be valid UTF-8 whose only markup is balanced <mark> tags).
 * Any broken invariant aborts, so libFuzzer reports it as a crash.
 *
 * Build and run (from the repository root):
 *   clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -fno-sanitize-recover=all tests/fuzz/fuzz_tok.c index/idx_tok.c \
 *     index/idx_snip.c common/tm_utf8.c common/tm_buf.c common/tm_alloc.c \
 *     common/tm_err.c -lsqlite3 -o build/fuzz/fuzz_tok
 *   build/fuzz/fuzz_tok -max_total_time=60 tests/fuzz/corpus/tok/  */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_buf.h"
#include "../../common/tm_utf8.h"
#include "../../index/idx_snip.h"
#include "../../index/idx_tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs past this are cut: longer ones find nothing new and run slowly. */
#define FUZZ_MAX_INPUT 65536

static sqlite3 *g_db;
static idx_tok *g_tok;
static sqlite3_stmt *g_insert, *g_vocab, *g_match, *g_clear;

static void fuzz_fail(const char *what)
{
    fprintf(stderr, "fuzz_tok: %s\n", what);
    abort();
}

static void fuzz_close(void)
{
    sqlite3_finalize(g_insert);
    sqlite3_finalize(g_vocab);
    sqlite3_finalize(g_match);
    sqlite3_finalize(g_clear);
    idx_tok_free(g_tok);
    sqlite3_close(g_db);
}

static void fuzz_init(void)
{
    tm_err err;

    if (g_db) return;
    if (sqlite3_open(":memory:", &g_db) != SQLITE_OK || idx_tok_register(g_db) != SQLITE_OK ||
        idx_tok_open(g_db, &g_tok, &err) != TM_OK)
        fuzz_fail("cannot set up the tokenizer");
    if (sqlite3_exec(g_db,
                     "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter techmart');"
                     "CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(g_db, "INSERT INTO t(rowid, x) VALUES (1, ?1)", -1, &g_insert, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(g_db, "SELECT term FROM v WHERE doc = 1 ORDER BY offset", -1, &g_vocab,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(g_db, "SELECT rowid FROM t WHERE t MATCH ?1", -1, &g_match, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v2(g_db, "DELETE FROM t", -1, &g_clear, NULL) != SQLITE_OK)
        fuzz_fail(sqlite3_errmsg(g_db));
    atexit(fuzz_close);
}

static void check_tokens(const idx_tok_list *l, size_t len)
{
    for (size_t i = 0; i < l->n; i++) {
        size_t n = strlen(l->tok[i]);
        if (n == 0 || n > IDX_TOK_MAX) fuzz_fail("token length out of range");
        if (!tm_utf8_valid(l->tok[i], n)) fuzz_fail("token is not valid UTF-8");
        if (l->start[i] < 0 || l->start[i] >= l->end[i] || (size_t)l->end[i] > len)
            fuzz_fail("token byte range out of the input");
        if (i > 0 && l->start[i] < l->start[i - 1]) fuzz_fail("tokens out of order");
    }
}

/* The FTS5 table's tokens for the input must be idx_tok's document tokens. */
static void check_fts5(const char *text, size_t len, const idx_tok_list *doc)
{
    size_t i = 0;
    int rc;

    sqlite3_bind_text(g_insert, 1, text, (int)len, SQLITE_STATIC);
    rc = sqlite3_step(g_insert);
    sqlite3_reset(g_insert);
    if (rc != SQLITE_DONE) fuzz_fail(sqlite3_errmsg(g_db));
    while ((rc = sqlite3_step(g_vocab)) == SQLITE_ROW) {
        const char *term = (const char *)sqlite3_column_text(g_vocab, 0);
        if (i >= doc->n || !term || strcmp(term, doc->tok[i]) != 0)
            fuzz_fail("FTS5 token stream differs from idx_tok");
        i++;
    }
    sqlite3_reset(g_vocab);
    if (rc != SQLITE_DONE || i != doc->n) fuzz_fail("FTS5 token count differs from idx_tok");
}

/* MATCH with the input as one quoted phrase: must not fail, and a phrase
 * with tokens must find the row it came from. */
static void check_match(const char *text, size_t len, size_t ntoks)
{
    tm_buf expr = {0};
    bool found = false;
    int rc;

    tm_buf_putc(&expr, '"');
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '"') tm_buf_putc(&expr, '"');
        if (text[i] != '\0') /* a NUL would end the MATCH string */
            tm_buf_putc(&expr, text[i]);
    }
    tm_buf_putc(&expr, '"');
    sqlite3_bind_text(g_match, 1, expr.p, (int)expr.len, SQLITE_STATIC);
    while ((rc = sqlite3_step(g_match)) == SQLITE_ROW)
        found = true;
    sqlite3_reset(g_match);
    if (rc != SQLITE_DONE) fuzz_fail(sqlite3_errmsg(g_db));
    /* Dropping NULs can join tokens, so only NUL-free inputs must be found. */
    if (ntoks > 0 && !found && !memchr(text, '\0', len))
        fuzz_fail("a document does not match its own text as a phrase");
    tm_buf_free(&expr);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

/* A snippet of the input for a query made of its first bytes. */
static void check_snippet(const char *text, size_t len)
{
    idx_qnode term = {0}, *kids[1] = {&term}, root = {0};
    idx_query q = {&root};
    idx_tok_list qt = {0};
    tm_buf out = {0};
    tm_str col = {text, len};
    size_t qlen = len < 16 ? len : 16;

    if (idx_tok_collect(g_tok, 1, text, qlen, &qt) != SQLITE_OK)
        fuzz_fail("query tokenization failed");
    term.kind = IDX_Q_TERM;
    term.toks = qt.tok;
    term.ntoks = qt.n;
    term.prefix = len > 0 && (text[0] & 1);
    root.kind = IDX_Q_OR;
    root.kids = kids;
    root.nkids = 1;
    if (idx_snip_html(g_tok, &q, &col, 1, &out) != SQLITE_OK) fuzz_fail("idx_snip_html failed");
    if (!tm_utf8_valid(out.p ? out.p : "", out.len)) fuzz_fail("snippet is not valid UTF-8");
    if (out.len > 0 &&
        (strlen(out.p) != out.len || count(out.p, "<mark>") != count(out.p, "</mark>") ||
         count(out.p, "<") != 2 * count(out.p, "<mark>")))
        fuzz_fail("snippet markup is not only balanced <mark> tags");
    tm_buf_free(&out);
    idx_tok_list_clear(&qt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    idx_tok_list doc = {0}, query = {0};

    fuzz_init();
    if (size > FUZZ_MAX_INPUT) size = FUZZ_MAX_INPUT;
    if (idx_tok_collect(g_tok, 0, text, size, &doc) != SQLITE_OK ||
        idx_tok_collect(g_tok, 1, text, size, &query) != SQLITE_OK)
        fuzz_fail("tokenization failed");
    check_tokens(&doc, size);
    check_tokens(&query, size);
    if (doc.n != query.n) fuzz_fail("document and query modes differ");
    for (size_t i = 0; i < doc.n; i++)
        if (strcmp(doc.tok[i], query.tok[i]) != 0) fuzz_fail("document and query modes differ");
    check_fts5(text, size, &doc);
    check_match(text, size, doc.n);
    check_snippet(text, size);
    if (sqlite3_step(g_clear) != SQLITE_DONE) fuzz_fail(sqlite3_errmsg(g_db));
    sqlite3_reset(g_clear);
    idx_tok_list_clear(&doc);
    idx_tok_list_clear(&query);
    return 0;
}
