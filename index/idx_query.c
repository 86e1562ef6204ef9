/* idx_query: the search-box lexer and tree builder, the tokenizer pass and
 * the FTS5 compiler. The contract (syntax, limits, ownership) is in
 * idx_query.h; the choices it leaves open are written down here.
 *
 *  - Whitespace is every byte < 0x21, DEL, the C1 controls, NBSP and the
 *    Unicode spaces (U+2000..U+200B, U+3000, ...). Inside a phrase each of
 *    them becomes one ASCII space, so a term's text never holds a control
 *    byte.
 *  - A word runs to whitespace or '"'. "title:" directly followed by '"'
 *    filters the phrase; "-" directly followed by '"' excludes it. Field
 *    names are ASCII case-insensitive ("Title:"); OR is upper case only.
 *  - "title:" with nothing after it, a lone "-" and a term with no letter or
 *    digit are nothing: they are skipped and do not count as terms.
 *  - OR joins two positive terms. Next to an exclusion ("a OR -b") it has
 *    nothing to join and is ignored, as are leading, trailing and repeated
 *    ORs. */
#include "idx_query.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_utf8.h"
#include "idx_enum.h"

/* ---- Characters --------------------------------------------------------- */

static bool cp_is_space(uint32_t cp)
{
    return cp <= 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

/* Blocks (or parts of them) that hold punctuation, symbols, marks and
 * emoji but no letter or digit. Everything else at or past U+0080 counts as
 * a letter: a term the tokenizer then finds empty is dropped by
 * idx_query_tokenize(), so erring this way loses nothing. */
static const struct {
    uint32_t lo, hi;
} nonword_ranges[] = {
    {0x0080, 0x00A9},   {0x00AB, 0x00B4}, {0x00B6, 0x00B9}, {0x00BB, 0x00BF}, {0x00D7, 0x00D7},
    {0x00F7, 0x00F7},   {0x0300, 0x036F}, {0x2000, 0x206F}, {0x20A0, 0x20FF}, {0x2190, 0x245F},
    {0x2500, 0x2BFF},   {0x2E00, 0x2E7F}, {0x3000, 0x3004}, {0x3008, 0x3020}, {0x3030, 0x3030},
    {0x303D, 0x303F},   {0xFE00, 0xFE1F}, {0xFE30, 0xFE6F}, {0xFEFF, 0xFEFF}, {0xFF01, 0xFF0F},
    {0xFF1A, 0xFF20},   {0xFF3B, 0xFF40}, {0xFF5B, 0xFF65}, {0xFFE0, 0xFFFF}, {0x1F000, 0x1FAFF},
    {0xE0000, 0xE0FFF},
};

static bool cp_is_wordy(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    for (size_t i = 0; i < sizeof nonword_ranges / sizeof nonword_ranges[0]; i++)
        if (cp >= nonword_ranges[i].lo && cp <= nonword_ranges[i].hi) return false;
    return true;
}

/* Decodes the code point at s[i..n), i < n. The query was validated as
 * UTF-8 before lexing; the fallback of one byte only keeps loops finite. */
static size_t cp_at(const char *s, size_t n, size_t i, uint32_t *cp)
{
    size_t k = tm_utf8_decode((const unsigned char *)s + i, n - i, cp);
    return k ? k : 1;
}

static bool has_wordy(const char *s, size_t n)
{
    uint32_t cp;
    for (size_t i = 0; i < n;) {
        i += cp_at(s, n, i, &cp);
        if (cp_is_wordy(cp)) return true;
    }
    return false;
}

/* Length of the whitespace character at s[i], or 0 if it is not one. */
static size_t space_len(const char *s, size_t n, size_t i)
{
    uint32_t cp;
    size_t k = cp_at(s, n, i, &cp);
    return cp_is_space(cp) ? k : 0;
}

/* A copy of s[0..n) with every whitespace character turned into ' '. */
static char *text_dup(const char *s, size_t n)
{
    char *t = tm_xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t k = space_len(s, n, i);
        if (k) {
            t[o++] = ' ';
            i += k;
        } else {
            t[o++] = s[i++];
        }
    }
    t[o] = '\0';
    return t;
}

/* ---- Lexer -------------------------------------------------------------- */

static const struct {
    const char *name;
    unsigned mask;
} query_fields[] = {
    {"title", (1u << IDX_COL_TITLE) | (1u << IDX_COL_TITLE_EN)},
    {"keywords", 1u << IDX_COL_KEYWORDS},
    {"institution", 1u << IDX_COL_INSTITUTION},
    {"inventor", 1u << IDX_COL_INVENTORS},
    {"inventors", 1u << IDX_COL_INVENTORS},
    {"ipc", 1u << IDX_COL_IPC},
};

/* Column mask of the field name s[0..n) (ASCII case-insensitive), 0 if none. */
static unsigned field_mask(const char *s, size_t n)
{
    for (size_t f = 0; f < sizeof query_fields / sizeof query_fields[0]; f++) {
        const char *name = query_fields[f].name;
        if (strlen(name) != n) continue;
        size_t i = 0;
        while (i < n && (s[i] | 0x20) == name[i])
            i++;
        if (i == n) return query_fields[f].mask;
    }
    return 0;
}

typedef enum { LEX_END, LEX_OR, LEX_TERM } lex_kind;

typedef struct lex_item {
    bool neg, phrase, prefix;
    unsigned colmask;
    const char *text; /* a slice of the query, before text_dup() */
    size_t len;
} lex_item;

typedef struct lexer {
    const char *s;
    size_t n, i;
} lexer;

/* Reads the next OR or term into *it, skipping whitespace and whatever is
 * nothing (see the top of this file). */
static lex_kind lex_next(lexer *lx, lex_item *it)
{
    const char *s = lx->s;
    size_t n = lx->n;
    size_t i = lx->i, k;

    for (;;) {
        while (i < n && (k = space_len(s, n, i)) != 0)
            i += k;
        if (i >= n) break;
        memset(it, 0, sizeof *it);
        if (s[i] == '-') {
            it->neg = true;
            i++;
        }
        size_t w = i;
        uint32_t cp;
        while (i < n && s[i] != '"' && !space_len(s, n, i))
            i += cp_at(s, n, i, &cp);

        /* '"' after nothing, or after "field:", opens a phrase. '"' is ASCII,
         * so a byte scan cannot stop inside a multi-byte character. */
        if (i < n && s[i] == '"' &&
            (i == w || (s[i - 1] == ':' && (it->colmask = field_mask(s + w, i - 1 - w)) != 0))) {
            size_t p = ++i;
            while (i < n && s[i] != '"')
                i++;
            it->phrase = true;
            it->text = s + p;
            it->len = i - p;
            if (i < n) {
                i++;
                while (i < n && s[i] == '*') {
                    it->prefix = true;
                    i++;
                }
            }
            if (has_wordy(it->text, it->len)) {
                lx->i = i;
                return LEX_TERM;
            }
            continue;
        }

        it->colmask = 0;
        if (!it->neg && i - w == 2 && s[w] == 'O' && s[w + 1] == 'R') {
            lx->i = i;
            return LEX_OR;
        }
        const char *colon = memchr(s + w, ':', i - w);
        if (colon && (it->colmask = field_mask(s + w, (size_t)(colon - (s + w)))) != 0)
            w = (size_t)(colon - s) + 1;
        size_t e = i;
        while (e > w && s[e - 1] == '*') {
            it->prefix = true;
            e--;
        }
        it->text = s + w;
        it->len = e - w;
        if (has_wordy(it->text, it->len)) {
            lx->i = i;
            return LEX_TERM;
        }
    }
    lx->i = i;
    return LEX_END;
}

/* ---- Tree --------------------------------------------------------------- */

static idx_qnode *node_new(idx_qkind kind)
{
    idx_qnode *nd = tm_xcalloc(1, sizeof *nd);
    nd->kind = kind;
    return nd;
}

static void node_add(idx_qnode *parent, idx_qnode *kid)
{
    parent->kids = tm_xreallocarray(parent->kids, parent->nkids + 1, sizeof *parent->kids);
    parent->kids[parent->nkids++] = kid;
}

static idx_qnode *node_wrap(idx_qkind kind, idx_qnode *kid)
{
    idx_qnode *nd = node_new(kind);
    node_add(nd, kid);
    return nd;
}

static void toks_free(idx_qnode *nd)
{
    for (size_t i = 0; i < nd->ntoks; i++)
        free(nd->toks[i]);
    free(nd->toks);
    nd->toks = NULL;
    nd->ntoks = 0;
}

/* Frees nd and its subtree. Depth is at most 3 (AND > NOT/OR > TERM). */
static void node_free(idx_qnode *nd)
{
    if (!nd) return;
    for (size_t i = 0; i < nd->nkids; i++)
        node_free(nd->kids[i]);
    free(nd->kids);
    toks_free(nd);
    free(nd->text);
    free(nd);
}

/* Frees the shell of nd (not its kids) and returns its only kid. */
static idx_qnode *node_unwrap(idx_qnode *nd)
{
    idx_qnode *kid = nd->kids[0];
    nd->nkids = 0;
    node_free(nd);
    return kid;
}

bool idx_query_relax(idx_query *q)
{
    idx_qnode *root = q ? q->root : NULL;
    size_t npos = 0;
    if (!root || root->kind != IDX_Q_AND) return false;
    for (size_t i = 0; i < root->nkids; i++)
        if (root->kids[i]->kind != IDX_Q_NOT) npos++;
    if (npos < 2) return false;
    /* Positive kids (terms, or ORs of terms) become one flat OR of terms. */
    idx_qnode * or = tm_xcalloc(1, sizeof * or);
    or->kind = IDX_Q_OR;
    size_t keep = 0;
    for (size_t i = 0; i < root->nkids; i++) {
        idx_qnode *kid = root->kids[i];
        if (kid->kind == IDX_Q_NOT) {
            root->kids[keep++] = kid;
            continue;
        }
        size_t add = kid->kind == IDX_Q_OR ? kid->nkids : 1;
        or->kids = tm_xreallocarray(or->kids, or->nkids + add, sizeof * or->kids);
        if (kid->kind == IDX_Q_OR) {
            for (size_t k = 0; k < kid->nkids; k++)
                or->kids[or->nkids++] = kid->kids[k];
            kid->nkids = 0;
            node_free(kid);
        } else {
            or->kids[or->nkids++] = kid;
        }
    }
    if (keep == 0) {
        free(root->kids);
        free(root);
        q->root = or ;
    } else {
        root->kids[keep++] = or ;
        root->nkids = keep;
    }
    return true;
}

void idx_query_free(idx_query *q)
{
    if (!q) return;
    node_free(q->root);
    free(q);
}

/* ---- Parse -------------------------------------------------------------- */

int idx_query_parse(const char *q, size_t len, idx_query **out, tm_err *err)
{
    idx_qnode *and = NULL;
    size_t nterms = 0, npos = 0;
    bool or_pending = false;
    int rc = TM_OK;

    *out = NULL;
    if (len > IDX_QUERY_MAX_BYTES) {
        rc = tm_err_set(err, TM_EINVAL, "q", "the search is too long (at most %d bytes)",
                        IDX_QUERY_MAX_BYTES);
        goto out;
    }
    if ((!q && len) || !tm_utf8_valid(q, len)) {
        rc = tm_err_set(err, TM_EINVAL, "q", "the search is not valid UTF-8 text");
        goto out;
    }

    and = node_new(IDX_Q_AND);
    lexer lx = {q, len, 0};
    lex_item it;
    lex_kind kind;
    while ((kind = lex_next(&lx, &it)) != LEX_END) {
        if (kind == LEX_OR) {
            or_pending = and->nkids > 0 && and->kids[ and->nkids - 1]->kind != IDX_Q_NOT;
            continue;
        }
        if (++nterms > IDX_QUERY_MAX_TERMS) {
            rc = tm_err_set(err, TM_EINVAL, "q", "the search has too many words (at most %d)",
                            IDX_QUERY_MAX_TERMS);
            goto out;
        }
        idx_qnode *t = node_new(IDX_Q_TERM);
        t->text = text_dup(it.text, it.len);
        t->phrase = it.phrase;
        t->prefix = it.prefix;
        t->colmask = it.colmask;
        if (it.neg) {
            node_add(and, node_wrap(IDX_Q_NOT, t));
        } else if (or_pending) {
            idx_qnode **last = &and->kids[ and->nkids - 1];
            if ((*last)->kind != IDX_Q_OR) *last = node_wrap(IDX_Q_OR, *last);
            node_add(*last, t);
        } else {
            node_add(and, t);
            npos++;
        }
        or_pending = false;
    }
    if (and->nkids > 0 && npos == 0) {
        rc = tm_err_set(err, TM_EINVAL, "q",
                        "the search needs at least one word that is not excluded with '-'");
        goto out;
    }

    *out = tm_xcalloc(1, sizeof **out);
    if (and->nkids == 1)
        (*out)->root = node_unwrap(and);
    else if (and->nkids > 1)
        (*out)->root = and;
    else
        node_free(and);
    and = NULL;
out:
    node_free(and);
    return rc;
}

/* ---- Tokenize ----------------------------------------------------------- */

static int tokenize_term(idx_qnode *t, idx_tok *tok, tm_err *err)
{
    idx_tok_list list = {0};
    int rc = TM_OK;

    toks_free(t);
    int src = idx_tok_collect(tok, 1, t->text, strlen(t->text), &list);
    if (src != SQLITE_OK) {
        rc = tm_err_set(err, TM_EINTERNAL, "q", "the search could not be tokenized (%s)",
                        sqlite3_errstr(src));
        goto out;
    }
    if (list.n) {
        t->toks = tm_xcalloc(list.n, sizeof *t->toks);
        for (size_t i = 0; i < list.n; i++)
            t->toks[i] = tm_xstrdup(list.tok[i]);
        t->ntoks = list.n;
    }
out:
    idx_tok_list_clear(&list);
    return rc;
}

/* Tokenizes the subtree at *slot and simplifies it in place: *slot becomes
 * NULL when nothing is left of it, or its only kid. The tree stays valid to
 * free whatever happens. */
static int tokenize_node(idx_qnode **slot, idx_tok *tok, tm_err *err)
{
    idx_qnode *nd = *slot;
    size_t kept = 0, npos = 0;
    int rc = TM_OK;

    if (nd->kind == IDX_Q_TERM) {
        if ((rc = tokenize_term(nd, tok, err)) == TM_OK && nd->ntoks == 0) {
            node_free(nd);
            *slot = NULL;
        }
        return rc;
    }
    for (size_t i = 0; i < nd->nkids; i++) {
        if (rc == TM_OK) rc = tokenize_node(&nd->kids[i], tok, err);
        if (nd->kids[i]) {
            nd->kids[kept++] = nd->kids[i];
            npos += nd->kids[i]->kind != IDX_Q_NOT;
        }
    }
    nd->nkids = kept;
    if (rc != TM_OK) return rc;
    if (kept == 0) {
        node_free(nd);
        *slot = NULL;
    } else if (nd->kind == IDX_Q_AND && npos == 0) {
        rc = tm_err_set(err, TM_EINVAL, "q",
                        "the search needs at least one word that is not excluded with '-'");
    } else if (kept == 1 && nd->kind != IDX_Q_NOT) {
        *slot = node_unwrap(nd);
    }
    return rc;
}

int idx_query_tokenize(idx_query *q, idx_tok *tok, tm_err *err)
{
    if (!q->root) return TM_OK;
    return tokenize_node(&q->root, tok, err);
}

/* ---- FTS5 --------------------------------------------------------------- */

/* The FTS5 string of a term: an optional column filter from the fixed
 * column table, then the text double-quoted with '"' doubled. */
static void fts_term(const idx_qnode *t, tm_buf *out)
{
    bool cols = false;
    for (int c = 0; c < IDX_COL__COUNT; c++) {
        if (!(t->colmask & (1u << c))) continue;
        tm_buf_puts(out, cols ? " " : "{");
        tm_buf_puts(out, idx_col_name(c));
        cols = true;
    }
    if (cols) tm_buf_puts(out, "} : ");
    tm_buf_putc(out, '"');
    for (const char *p = t->text ? t->text : ""; *p; p++) {
        if (*p == '"') tm_buf_putc(out, '"');
        tm_buf_putc(out, *p);
    }
    tm_buf_putc(out, '"');
    if (t->prefix) tm_buf_puts(out, " *");
}

/* Appends nd; nested puts parentheses around anything made of operators.
 * Shapes the contract rules out (an empty AND/OR, an AND without positive
 * kids, a NOT outside an AND) become "", which is valid and matches
 * nothing, rather than an invalid expression. */
static void fts_node(const idx_qnode *nd, tm_buf *out, bool nested)
{
    size_t npos = 0, nneg = 0;

    if (nd->kind == IDX_Q_TERM) {
        fts_term(nd, out);
        return;
    }
    for (size_t i = 0; i < nd->nkids; i++) {
        if (nd->kids[i]->kind != IDX_Q_NOT)
            npos++;
        else if (nd->kids[i]->nkids > 0)
            nneg++;
    }
    if (nd->kind == IDX_Q_NOT || npos == 0) {
        tm_buf_puts(out, "\"\"");
        return;
    }
    /* NOT binds tighter than AND, AND tighter than OR: the positive kids go in
     * parentheses before the first NOT, every excluded kid in its own. */
    bool wrap_all = nested && (npos > 1 || nneg > 0);
    bool wrap_pos = nneg > 0;
    bool kid_nested = npos > 1 || (nested && !wrap_all && !wrap_pos);
    if (wrap_all) tm_buf_putc(out, '(');
    if (wrap_pos) tm_buf_putc(out, '(');
    const char *op = nd->kind == IDX_Q_AND ? " AND " : " OR ";
    size_t done = 0;
    for (size_t i = 0; i < nd->nkids; i++) {
        if (nd->kids[i]->kind == IDX_Q_NOT) continue;
        if (done++) tm_buf_puts(out, op);
        fts_node(nd->kids[i], out, kid_nested);
    }
    if (wrap_pos) tm_buf_putc(out, ')');
    for (size_t i = 0; i < nd->nkids; i++) {
        if (nd->kids[i]->kind != IDX_Q_NOT || nd->kids[i]->nkids == 0) continue;
        tm_buf_puts(out, " NOT (");
        fts_node(nd->kids[i]->kids[0], out, false);
        tm_buf_putc(out, ')');
    }
    if (wrap_all) tm_buf_putc(out, ')');
}

void idx_query_to_fts(const idx_query *q, tm_buf *out)
{
    if (q->root) fts_node(q->root, out, false);
}
