/* idx_tok: the "techmart" FTS5 tokenizer (v1 fts5_tokenizer) over
 * idx_tok_scan, and idx_tok, an instance of FTS5's "porter techmart" usable
 * outside a MATCH. It also registers "porter" (FTS5's stems, computed
 * faster: below) and "techmart_token". */
#include "idx_tok.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "idx_tok_scan.h"

/* The tokenizer instance: it has no options, but FTS5 wants a non-NULL one. */
typedef struct tk_inst {
    int unused;
} tk_inst;

static void tk_delete(Fts5Tokenizer *p)
{
    sqlite3_free(p);
}

static int tk_create(void *ud, const char **argv, int argc, Fts5Tokenizer **out)
{
    int rc = SQLITE_OK;
    tk_inst *p = NULL;

    (void)ud;
    (void)argv;
    if (argc > 0) {
        rc = SQLITE_ERROR; /* "techmart" takes no options */
    } else if (!(p = sqlite3_malloc(sizeof *p))) {
        rc = SQLITE_NOMEM;
    } else {
        memset(p, 0, sizeof *p);
    }
    if (rc != SQLITE_OK) {
        tk_delete((Fts5Tokenizer *)p);
        p = NULL;
    }
    *out = (Fts5Tokenizer *)p;
    return rc;
}

static int tk_tokenize(Fts5Tokenizer *inst, void *ctx, int flags, const char *text, int ntext,
                       idx_tok_xtoken xtoken)
{
    const idx_tok_sink out = {xtoken, ctx, xtoken, ctx};

    (void)inst;
    (void)flags; /* documents and queries are tokenized alike */
    return idx_tok_scan(&out, text, ntext);
}

/* The fts5_api of db, or NULL when FTS5 is missing. */
static fts5_api *tk_api(sqlite3 *db)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL) == SQLITE_OK)
            (void)sqlite3_step(st); /* api stays NULL on failure */
    }
    sqlite3_finalize(st);
    return api;
}

/* ---- "porter", as techmart registers it --------------------------------
 *
 * The index's tokenizer is "porter techmart": FTS5's porter stemmer over
 * ours. Porter copies every token and runs its rules on it, although each
 * rule matches a suffix of ASCII letters, so it never changes a token that
 * ends in a non-ASCII byte, such as the Hangul bigrams that are most
 * tokens, nor a word that no rule's suffix ends. techmart registers its own
 * "porter" on each connection (a newer tokenizer of a name hides FTS5's):
 * over "techmart" it runs our tokenizer once, passes such tokens straight
 * on (CJK ones without even looking), and hands each other token, alone,
 * to FTS5's own porter (over "techmart_token", which emits its input as
 * one token), so every stem is still porter's. Its
 * output is FTS5's porter's, token for token (test_idx_tok_porter compares
 * them over the demo catalogue): an index written with either is the same.
 * Over any other tokenizer it is FTS5's porter itself. */

typedef struct {
    fts5_tokenizer porter; /* FTS5's own */
    void *porter_ud;
} stem_module;

typedef struct {
    const stem_module *m;
    Fts5Tokenizer *porter; /* FTS5's porter over "techmart_token", or over the
                              parent given when that is not "techmart" */
    int fast;              /* the parent is "techmart" */
} stem_inst;

typedef struct {
    const stem_inst *inst;
    void *ctx;
    idx_tok_xtoken xtoken;
    int flags;
    int tflags, start, end; /* the token porter is stemming */
} stem_ctx;

static int one_tokenize(Fts5Tokenizer *inst, void *ctx, int flags, const char *text, int ntext,
                        idx_tok_xtoken xtoken)
{
    (void)inst;
    (void)flags;
    return ntext > 0 ? xtoken(ctx, 0, text, ntext, 0, ntext) : SQLITE_OK;
}

static int stemmed_cb(void *pctx, int tflags, const char *tok, int ntok, int start, int end)
{
    const stem_ctx *c = pctx;
    (void)tflags; /* techmart_token's: the token's own are c->tflags */
    (void)start;
    (void)end;
    return c->xtoken(c->ctx, c->tflags, tok, ntok, c->start, c->end);
}

/* False when FTS5's porter surely leaves tok (3 or more bytes) as it is:
 * it changes a token only when one of its rules' suffixes ends it, and every
 * suffix ends in "s", "y" or "e", or in one of the pairs tested here (see
 * mkportersteps.tcl and fts5PorterCb in SQLite). */
static bool stem_may_change(const char *tok, int ntok)
{
    char last = tok[ntok - 1], prev = tok[ntok - 2];

    switch (last) {
    case 's': /* 1a: s; 2, 3, 4: ...ness, ...ous */
    case 'y': /* 1c */
    case 'e': /* 5a; 3, 4: ...ate, ...ive, ...ize, ...ance, ...able */
        return true;
    case 'd': /* 1b: (e)ed */
        return prev == 'e';
    case 'g': /* 1b: ing */
        return prev == 'n';
    case 'c': /* 4: ic */
        return prev == 'i';
    case 'i': /* 2, 3, 4: enci anci logi bli alli entli eli ousli aliti iviti iciti iti */
        return prev == 'c' || prev == 'g' || prev == 'l' || prev == 't';
    case 'l': /* 2, 3, 4: ational tional ical ful al; 5b: ll */
        return prev == 'a' || prev == 'u' || prev == 'l';
    case 'm': /* 2, 4: alism ism */
        return prev == 's';
    case 'n': /* 2, 4: ization ation ion */
        return prev == 'o';
    case 'r': /* 2, 4: izer ator er */
        return prev == 'e' || prev == 'o';
    case 't': /* 4: ant ement ment ent */
        return prev == 'n';
    case 'u': /* 4: ou */
        return prev == 'o';
    default:
        return false;
    }
}

static int stem_cb(void *pctx, int tflags, const char *tok, int ntok, int start, int end)
{
    stem_ctx *c = pctx;
    /* Porter leaves a token of under 3 bytes as it is. */
    if (ntok < 3 || !stem_may_change(tok, ntok))
        return c->xtoken(c->ctx, tflags, tok, ntok, start, end);
    c->tflags = tflags;
    c->start = start;
    c->end = end;
    return c->inst->m->porter.xTokenize(c->inst->porter, c, c->flags, tok, ntok, stemmed_cb);
}

static void stem_delete(Fts5Tokenizer *p)
{
    stem_inst *inst = (stem_inst *)p;
    if (!inst) return;
    if (inst->porter) inst->m->porter.xDelete(inst->porter);
    sqlite3_free(inst);
}

static int stem_create(void *ud, const char **argv, int argc, Fts5Tokenizer **out)
{
    const stem_module *m = ud;
    stem_inst *inst = sqlite3_malloc(sizeof *inst);
    int rc = SQLITE_OK;

    *out = NULL;
    if (!inst) return SQLITE_NOMEM;
    memset(inst, 0, sizeof *inst);
    inst->m = m;
    inst->fast = argc == 1 && sqlite3_stricmp(argv[0], "techmart") == 0; /* as FTS5 names */
    if (inst->fast) {
        const char *one[] = {"techmart_token"};
        rc = m->porter.xCreate(m->porter_ud, one, 1, &inst->porter);
    } else {
        rc = m->porter.xCreate(m->porter_ud, argv, argc, &inst->porter);
    }
    if (rc != SQLITE_OK) {
        inst->porter = NULL;
        stem_delete((Fts5Tokenizer *)inst);
        return rc;
    }
    *out = (Fts5Tokenizer *)inst;
    return SQLITE_OK;
}

static int stem_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int ntext,
                         idx_tok_xtoken xtoken)
{
    const stem_inst *inst = (const stem_inst *)p;
    if (!inst->fast)
        return inst->m->porter.xTokenize(inst->porter, ctx, flags, text, ntext, xtoken);
    stem_ctx c = {.inst = inst, .ctx = ctx, .xtoken = xtoken, .flags = flags};
    const idx_tok_sink out = {xtoken, ctx, stem_cb, &c};
    return idx_tok_scan(&out, text, ntext);
}

int idx_tok_register(sqlite3 *db)
{
    fts5_tokenizer module = {tk_create, tk_delete, tk_tokenize}; /* FTS5 copies it */
    fts5_tokenizer one = {tk_create, tk_delete, one_tokenize};
    fts5_tokenizer stem = {stem_create, stem_delete, stem_tokenize};
    fts5_api *api = tk_api(db);
    stem_module *m = NULL;
    int rc;

    if (!api || api->iVersion < 2) return SQLITE_ERROR;
    if ((rc = api->xCreateTokenizer(api, "techmart", NULL, &module, NULL)) != SQLITE_OK ||
        (rc = api->xCreateTokenizer(api, "techmart_token", NULL, &one, NULL)) != SQLITE_OK)
        return rc;
    if (!(m = sqlite3_malloc(sizeof *m))) return SQLITE_NOMEM;
    rc = api->xFindTokenizer(api, "porter", &m->porter_ud, &m->porter);
    if (rc == SQLITE_OK && m->porter.xCreate == stem_create) {
        sqlite3_free(m); /* registered already: porter is ours */
        return SQLITE_OK;
    }
    if (rc != SQLITE_OK) {
        sqlite3_free(m);
        return rc;
    }
    /* FTS5 frees m when the connection closes. If this fails (out of
     * memory), SQLite 3.40 leaves m to us but later versions may free it:
     * m is left alone, a few bytes at worst. */
    return api->xCreateTokenizer(api, "porter", m, &stem, sqlite3_free);
}

struct idx_tok {
    fts5_tokenizer porter;
    Fts5Tokenizer *inst;
};

int idx_tok_open(sqlite3 *db, idx_tok **out, tm_err *err)
{
    const char *args[] = {"techmart"};
    idx_tok *tok = NULL;
    fts5_api *api = NULL;
    void *ud = NULL;
    int src;
    int rc = TM_OK;

    *out = NULL;
    if (!(api = tk_api(db))) {
        rc = tm_err_set(err, TM_EINTERNAL, NULL, "FTS5 is not available");
        goto out;
    }
    tok = tm_xcalloc(1, sizeof *tok);
    if ((src = api->xFindTokenizer(api, "porter", &ud, &tok->porter)) != SQLITE_OK) {
        rc = tm_err_set(err, TM_EINTERNAL, NULL, "porter tokenizer: %s", sqlite3_errstr(src));
        goto out;
    }
    if ((src = tok->porter.xCreate(ud, args, 1, &tok->inst)) != SQLITE_OK) {
        tok->inst = NULL;
        rc = tm_err_set(err, TM_EINTERNAL, NULL, "porter techmart tokenizer (registered?): %s",
                        sqlite3_errstr(src));
        goto out;
    }
    *out = tok;
    tok = NULL;
out:
    idx_tok_free(tok);
    return rc;
}

void idx_tok_free(idx_tok *tok)
{
    if (!tok) return;
    if (tok->inst) tok->porter.xDelete(tok->inst);
    free(tok);
}

typedef struct tk_run_ctx {
    idx_tok_cb cb;
    void *ctx;
} tk_run_ctx;

static int tk_run_cb(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
    const tk_run_ctx *r = ctx;
    (void)tflags;
    return r->cb(r->ctx, tok, ntok, start, end);
}

int idx_tok_run(idx_tok *tok, int query, const char *text, size_t len, idx_tok_cb cb, void *ctx)
{
    tk_run_ctx r = {cb, ctx};

    if (!tok || !cb || (!text && len > 0)) return SQLITE_MISUSE;
    if (len > INT_MAX) return SQLITE_TOOBIG;
    if (len == 0) return SQLITE_OK;
    return tok->porter.xTokenize(tok->inst, &r,
                                 query ? FTS5_TOKENIZE_QUERY : FTS5_TOKENIZE_DOCUMENT, text,
                                 (int)len, tk_run_cb);
}

/* Appends one token; the list is unchanged on failure. */
static int tk_collect_cb(void *ctx, const char *tok, int ntok, int start, int end)
{
    idx_tok_list *l = ctx;
    char *copy;

    if (ntok < 0) return SQLITE_MISUSE;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **t;
        int *s, *e;
        if (cap > SIZE_MAX / sizeof(char *)) return SQLITE_NOMEM;
        /* Each array is reallocated on its own; one that succeeds stays
         * valid (larger) even if a later one fails. */
        if (!(t = realloc(l->tok, cap * sizeof *t))) return SQLITE_NOMEM;
        l->tok = t;
        if (!(s = realloc(l->start, cap * sizeof *s))) return SQLITE_NOMEM;
        l->start = s;
        if (!(e = realloc(l->end, cap * sizeof *e))) return SQLITE_NOMEM;
        l->end = e;
        l->cap = cap;
    }
    if (!(copy = malloc((size_t)ntok + 1))) return SQLITE_NOMEM;
    memcpy(copy, tok, (size_t)ntok);
    copy[ntok] = '\0';
    l->tok[l->n] = copy;
    l->start[l->n] = start;
    l->end[l->n] = end;
    l->n++;
    return SQLITE_OK;
}

int idx_tok_collect(idx_tok *tok, int query, const char *text, size_t len, idx_tok_list *list)
{
    size_t n0 = list->n;
    int rc = idx_tok_run(tok, query, text, len, tk_collect_cb, list);

    if (rc != SQLITE_OK) { /* leave the list as it was */
        while (list->n > n0)
            free(list->tok[--list->n]);
    }
    return rc;
}

void idx_tok_list_clear(idx_tok_list *list)
{
    if (!list) return;
    for (size_t i = 0; i < list->n; i++)
        free(list->tok[i]);
    free(list->tok);
    free(list->start);
    free(list->end);
    memset(list, 0, sizeof *list);
}
