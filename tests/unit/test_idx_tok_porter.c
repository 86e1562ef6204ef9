/* techmart's own "porter" (idx_tok.c) must give FTS5's porter's tokens,
 * token for token: indexes written before it, by other programs or on
 * connections without it hold those. Both run over every text of the demo
 * catalogue and hand-made edge cases, as documents and as queries, and
 * their streams (flags, token, byte range) are compared. */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../index/idx_tok.h"
#include "../tm_test.h"

#define DEMO "data/demo/technologies.jsonl"

static fts5_api *api_of(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL) == SQLITE_OK)
        (void)sqlite3_step(st);
    sqlite3_finalize(st);
    return api;
}

typedef struct {
    char *p;
    size_t n, cap;
    size_t ntok;
} stream;

static int collect(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
    stream *s = ctx;
    char head[48];
    int h = snprintf(head, sizeof head, "%d|%d|%d|", tflags, start, end);
    size_t need = (size_t)h + (size_t)ntok + 1;
    if (s->n + need > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        while (cap < s->n + need)
            cap *= 2;
        char *p = realloc(s->p, cap);
        if (!p) return SQLITE_NOMEM;
        s->p = p;
        s->cap = cap;
    }
    memcpy(s->p + s->n, head, (size_t)h);
    memcpy(s->p + s->n + h, tok, (size_t)ntok);
    s->n += need;
    s->p[s->n - 1] = '\n';
    s->ntok++;
    return SQLITE_OK;
}

typedef struct {
    fts5_tokenizer mod;
    void *ud;
    Fts5Tokenizer *inst;
} tokenizer;

typedef struct {
    tokenizer fts5, ours;
    size_t texts, tokens, differ;
} pair;

static const int flag_sets[] = {FTS5_TOKENIZE_DOCUMENT, FTS5_TOKENIZE_QUERY,
                                FTS5_TOKENIZE_QUERY | FTS5_TOKENIZE_PREFIX};

/* Runs both over text with each flag set; counts the texts that differ. */
static void compare(pair *p, const char *text, size_t len)
{
    for (size_t f = 0; f < sizeof flag_sets / sizeof flag_sets[0]; f++) {
        stream a = {0}, b = {0};
        int ra = p->fts5.mod.xTokenize(p->fts5.inst, &a, flag_sets[f], text, (int)len, collect);
        int rb = p->ours.mod.xTokenize(p->ours.inst, &b, flag_sets[f], text, (int)len, collect);
        if (ra != rb || a.n != b.n || (a.n && memcmp(a.p, b.p, a.n) != 0)) {
            if (p->differ++ < 3)
                fprintf(stderr, "  differs (flags %d): \"%.*s\"\n", flag_sets[f],
                        (int)(len > 80 ? 80 : len), text);
        }
        p->tokens += a.ntok;
        free(a.p);
        free(b.p);
    }
    p->texts++;
}

static bool make(fts5_api *api, sqlite3 *db, tokenizer *t, const char *parent)
{
    const char *args[] = {parent};
    (void)db;
    return api->xFindTokenizer(api, "porter", &t->ud, &t->mod) == SQLITE_OK &&
           t->mod.xCreate(t->ud, args, 1, &t->inst) == SQLITE_OK;
}

/* p->fts5 is FTS5's porter (found before idx_tok_register hides it), p->ours
 * techmart's; both over parent. */
static sqlite3 *open_pair(pair *p, const char *parent)
{
    sqlite3 *db = NULL;
    memset(p, 0, sizeof *p);
    CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    fts5_api *api = api_of(db);
    CHECK(api != NULL);
    if (!api) return db;
    /* FTS5's porter resolves its parent when an instance is made: find it
     * first, make the instance after "techmart" exists */
    CHECK(api->xFindTokenizer(api, "porter", &p->fts5.ud, &p->fts5.mod) == SQLITE_OK);
    CHECK(idx_tok_register(db) == SQLITE_OK);
    const char *args[] = {parent};
    CHECK(p->fts5.mod.xCreate(p->fts5.ud, args, 1, &p->fts5.inst) == SQLITE_OK);
    CHECK(make(api, db, &p->ours, parent));
    CHECK(p->ours.mod.xCreate != p->fts5.mod.xCreate);
    return db;
}

static void close_pair(pair *p, sqlite3 *db)
{
    if (p->fts5.inst) p->fts5.mod.xDelete(p->fts5.inst);
    if (p->ours.inst) p->ours.mod.xDelete(p->ours.inst);
    sqlite3_close(db);
}

static const char *const edge[] = {
    "",
    "a",
    "ab",
    "running runs ran ies sses caresses ponies ties caress cats feed agreed plastered "
    "motoring sing conflated troubled sized hopping tanned falling hissing fizzed failing "
    "filing happy sky relational conditional rational valenci hesitanci digitizer "
    "conformabli radicalli differentli vileli analogousli vietnamization predication operator "
    "feudalism decisiveness hopefulness callousness formaliti sensitiviti sensibiliti "
    "triplicate formative formalize electriciti electrical hopeful goodness revival allowance "
    "inference airliner gyroscopic adjustable defensible irritant replacement adjustment "
    "dependent adoption homologou communism activate angulariti homologous effective bowdlerize "
    "probate rate cease controll roll",
    "CAFÉS naïves Ünïcödé façade résumés Ελληνικά бегущий собаки ＡＢＣ fullwidth",
    "기술을 이용한 반도체 장치technology 및 방법methods 10-2019-0012345 KR10-1234567 A61B5/00",
    "日本語のテキスト 中文文本 漢字 かな カナ",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaing",
    "éééééééééééééééééééééééééééééééééééééééééééééééééééés",
    "x1y2 3d 4ing 5s y ys yy 2019년 3개 abc가나 가나abc",
    "\x01\x7f\xff\xfe broken \xc3 utf8 \xed\xa0\x80 surrogate",
};

TM_TEST(ours_gives_fts5_porters_tokens_over_the_demo_catalogue_and_edge_cases)
{
    pair p;
    sqlite3 *db = open_pair(&p, "techmart");
    if (!p.fts5.inst || !p.ours.inst) {
        close_pair(&p, db);
        return;
    }
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        compare(&p, edge[i], strlen(edge[i]));

    FILE *f = fopen(DEMO, "rb");
    CHECK(f != NULL);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (f && (n = getline(&line, &cap, f)) > 0) {
        json_t *rec = json_loadb(line, (size_t)n, 0, NULL);
        const char *key;
        json_t *v;
        json_object_foreach(rec, key, v)
        {
            if (json_is_string(v)) {
                compare(&p, json_string_value(v), json_string_length(v));
            } else if (json_is_array(v)) {
                size_t k;
                json_t *e;
                json_array_foreach(v, k, e)
                {
                    if (json_is_string(e)) compare(&p, json_string_value(e), json_string_length(e));
                }
            }
        }
        json_decref(rec);
    }
    free(line);
    if (f) fclose(f);
    CHECK(p.differ == 0);
    CHECK(p.texts > 20000);    /* the catalogue was read */
    CHECK(p.tokens > 1000000); /* ...and tokenized */
    close_pair(&p, db);
}

/* Ours skips porter for words no rule's suffix can end, judged by their
 * last two bytes: every ending of two letters or digits, and of three
 * letters, after stems of different measures, must stem as FTS5's does. */
TM_TEST(ours_gives_fts5_porters_tokens_for_every_short_ending)
{
    static const char abc[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    static const char *const stems[] = {"", "b", "ra", "tre", "conv", "hopef", "relat", "sensib"};
    pair p;
    sqlite3 *db = open_pair(&p, "techmart");
    if (!p.fts5.inst || !p.ours.inst) {
        close_pair(&p, db);
        return;
    }
    for (size_t s = 0; s < sizeof stems / sizeof stems[0]; s++) {
        char text[36 * 36 * 10];
        size_t n = 0;
        for (size_t a = 0; a < 36; a++)
            for (size_t b = 0; b < 36; b++)
                n += (size_t)snprintf(text + n, sizeof text - n, "%s%c%c ", stems[s], abc[a],
                                      abc[b]);
        compare(&p, text, n);
        for (size_t a = 0; a < 26 && s < 3; a++) {
            n = 0;
            for (size_t b = 0; b < 26; b++)
                for (size_t c = 0; c < 26; c++)
                    n += (size_t)snprintf(text + n, sizeof text - n, "%s%c%c%c ", stems[s], abc[a],
                                          abc[b], abc[c]);
            compare(&p, text, n);
        }
    }
    CHECK(p.differ == 0);
    CHECK(p.tokens > 3 * 8 * 36 * 36);
    close_pair(&p, db);
}

TM_TEST(over_another_tokenizer_ours_is_fts5_porter)
{
    pair p;
    sqlite3 *db = open_pair(&p, "unicode61");
    if (!p.fts5.inst || !p.ours.inst) {
        close_pair(&p, db);
        return;
    }
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        compare(&p, edge[i], strlen(edge[i]));
    CHECK(p.differ == 0);
    CHECK(p.tokens > 100);
    close_pair(&p, db);
}

TM_TEST(registering_twice_keeps_one_porter_that_still_stems)
{
    sqlite3 *db = NULL;
    idx_tok *tok = NULL;
    tm_err err;
    idx_tok_list l = {0};
    CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK);
    CHECK(idx_tok_register(db) == SQLITE_OK);
    CHECK(idx_tok_register(db) == SQLITE_OK);
    CHECK(idx_tok_open(db, &tok, &err) == TM_OK);
    if (tok) {
        const char *text = "running 기술을";
        CHECK(idx_tok_collect(tok, 0, text, strlen(text), &l) == SQLITE_OK);
        CHECK(l.n == 3);
        if (l.n == 3) {
            CHECK_STR(l.tok[0], "run");
            CHECK_STR(l.tok[1], "기술");
            CHECK_STR(l.tok[2], "술을");
            CHECK(l.start[0] == 0 && l.end[0] == 7);
        }
        idx_tok_list_clear(&l);
    }
    /* a table over it finds a stemmed word */
    CHECK(sqlite3_exec(db,
                       "CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter techmart');"
                       "INSERT INTO t VALUES ('the runners were running');",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_stmt *s = NULL;
    CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH 'runs'", -1, &s, NULL) ==
          SQLITE_OK);
    CHECK(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == 1);
    sqlite3_finalize(s);
    idx_tok_free(tok);
    sqlite3_close(db);
}

TM_TEST_MAIN()
