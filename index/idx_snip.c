/* idx_snip: the snippet builder.
 *
 * Each column is tokenized in document mode (the same stream as the index);
 * a token equal to a token of a positive query term (or, for the last token
 * of a prefix term, starting with it) is a hit. Hits that overlap or touch
 * (Korean bigrams overlap) are merged. The window of IDX_SNIP_CHARS
 * characters that holds the most distinct terms, then the most hits, wins,
 * across all columns; a third of the room the hits leave goes before them,
 * and each cut moves to a nearby space. Output is escaped piece by piece, so
 * <mark> can only come from here. Control bytes are dropped, except TAB, LF
 * and CR which become a space (they separate words); invalid UTF-8 becomes
 * U+FFFD. */
#include "idx_snip.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/tm_alloc.h"
#include "../common/tm_utf8.h"

/* Hits kept per column: the first ones are plenty to place a window, and a
 * huge description full of a common word costs no more than this. */
#define SNIP_MAX_HITS 4096
/* How far (in bytes) a cut may move back or forward to land on a space. */
#define SNIP_TRIM_BYTES 48

#define SNIP_ELLIPSIS "\xE2\x80\xA6"

/* One query token to look for. */
typedef struct snip_term {
    const char *p;
    size_t len;
    bool prefix;
    uint64_t bit; /* which query term it belongs to */
} snip_term;

typedef struct snip_terms {
    snip_term *v;
    size_t n, cap;
    size_t nterms; /* TERM nodes seen */
} snip_terms;

/* A merged run of hit bytes [start, end), characters [cs, ce). */
typedef struct snip_hit {
    size_t start, end;
    size_t cs, ce;
    uint64_t mask;
} snip_hit;

typedef struct snip_hits {
    snip_hit *v;
    size_t n, cap;
} snip_hits;

typedef struct snip_ctx {
    const snip_terms *terms;
    snip_hits *hits;
} snip_ctx;

static void snip_terms_add_node(snip_terms *t, const idx_qnode *node)
{
    if (!node) return;
    if (node->kind == IDX_Q_NOT) return; /* excluded terms are never highlighted */
    if (node->kind != IDX_Q_TERM) {
        for (size_t i = 0; i < node->nkids; i++)
            snip_terms_add_node(t, node->kids[i]);
        return;
    }
    if (!node->toks || node->ntoks == 0) return;
    for (size_t i = 0; i < node->ntoks; i++) {
        if (!node->toks[i] || !node->toks[i][0]) continue;
        if (t->n == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 16;
            t->v = tm_xreallocarray(t->v, t->cap, sizeof *t->v);
        }
        t->v[t->n++] =
            (snip_term){node->toks[i], strlen(node->toks[i]), node->prefix && i + 1 == node->ntoks,
                        (uint64_t)1 << (t->nterms % 64)};
    }
    t->nterms++;
}

static uint64_t snip_match(const snip_terms *t, const char *tok, size_t n)
{
    uint64_t mask = 0;
    for (size_t i = 0; i < t->n; i++) {
        const snip_term *q = &t->v[i];
        if (q->prefix ? (n >= q->len && memcmp(tok, q->p, q->len) == 0)
                      : (n == q->len && memcmp(tok, q->p, n) == 0))
            mask |= q->bit;
    }
    return mask;
}

/* Token callback (inside SQLite: no aborting allocation here). */
static int snip_on_token(void *ctx, const char *tok, int ntok, int start, int end)
{
    snip_ctx *c = ctx;
    snip_hits *h = c->hits;
    uint64_t mask;

    if (ntok <= 0 || start < 0 || end < start) return SQLITE_OK;
    if (!(mask = snip_match(c->terms, tok, (size_t)ntok))) return SQLITE_OK;
    if (h->n > 0 && (size_t)start <= h->v[h->n - 1].end) {
        snip_hit *last = &h->v[h->n - 1];
        if ((size_t)end > last->end) last->end = (size_t)end;
        last->mask |= mask;
        return SQLITE_OK;
    }
    if (h->n == SNIP_MAX_HITS) return SQLITE_DONE; /* enough: stop tokenizing this column */
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 32;
        snip_hit *v = realloc(h->v, cap * sizeof *v);
        if (!v) return SQLITE_NOMEM;
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = (snip_hit){(size_t)start, (size_t)end, 0, 0, mask};
    return SQLITE_OK;
}

/* Length of the character at s[i..n) as the snippet counts characters:
 * an invalid byte is one character. */
static size_t snip_char_len(const char *s, size_t i, size_t n)
{
    uint32_t cp;
    size_t k = tm_utf8_decode((const unsigned char *)s + i, n - i, &cp);
    return k ? k : 1;
}

/* Fills cs/ce of every hit and returns the column's length in characters. */
static size_t snip_char_positions(const char *s, size_t n, snip_hits *h)
{
    size_t pos = 0, ci = 0;
    for (size_t i = 0; i < h->n; i++) {
        while (pos < h->v[i].start && pos < n) {
            pos += snip_char_len(s, pos, n);
            ci++;
        }
        h->v[i].cs = ci;
        while (pos < h->v[i].end && pos < n) {
            pos += snip_char_len(s, pos, n);
            ci++;
        }
        h->v[i].ce = ci;
    }
    while (pos < n) {
        pos += snip_char_len(s, pos, n);
        ci++;
    }
    return ci;
}

/* The best window of a column: hits first..last. */
typedef struct snip_best {
    bool found;
    size_t col;
    size_t first, last;
    int distinct;
    size_t count;
} snip_best;

static int snip_popcount_add(unsigned cnt[64], uint64_t mask, int delta)
{
    int change = 0;
    for (int b = 0; b < 64; b++) {
        if (!(mask & ((uint64_t)1 << b))) continue;
        if (delta > 0 && cnt[b]++ == 0)
            change++;
        else if (delta < 0 && --cnt[b] == 0)
            change--;
    }
    return change;
}

/* Slides a window of IDX_SNIP_CHARS characters over the hits of column col
 * (each window starting at a hit) and updates *best when one beats it. */
static void snip_best_window(const snip_hits *h, size_t col, snip_best *best)
{
    unsigned cnt[64] = {0};
    int distinct = 0;
    size_t j = 0;

    for (size_t i = 0; i < h->n; i++) {
        while (j < h->n && (j == i || h->v[j].ce <= h->v[i].cs + IDX_SNIP_CHARS)) {
            distinct += snip_popcount_add(cnt, h->v[j].mask, 1);
            j++;
        }
        if (!best->found || distinct > best->distinct ||
            (distinct == best->distinct && j - i > best->count)) {
            *best = (snip_best){true, col, i, j - 1, distinct, j - i};
        }
        distinct += snip_popcount_add(cnt, h->v[i].mask, -1);
    }
}

/* Byte offset of character ci of s[0..n). */
static size_t snip_byte_at(const char *s, size_t n, size_t ci)
{
    size_t pos = 0;
    while (ci > 0 && pos < n) {
        pos += snip_char_len(s, pos, n);
        ci--;
    }
    return pos < n ? pos : n;
}

static bool snip_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Appends s[0..n) HTML-escaped, dropping control characters (TAB, LF, CR
 * become a space) and turning invalid UTF-8 into U+FFFD. */
static void snip_put_text(tm_buf *out, const char *s, size_t n)
{
    size_t run = 0, i = 0;

    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        size_t k;

        if (c >= 0x20 && c != 0x7F && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0x80) {
            k = tm_utf8_decode((const unsigned char *)s + i, n - i, &cp);
            if (k && cp >= 0xA0) {
                i += k;
                continue;
            }
        } else {
            k = 1;
        }
        tm_buf_append_html(out, s + run, i - run);
        if (k == 0) {
            tm_buf_puts(out, "\xEF\xBF\xBD");
            k = 1;
        } else if (snip_is_space((char)c)) {
            tm_buf_putc(out, ' ');
        } /* else a C0/C1 control or DEL: dropped */
        i += k;
        run = i;
    }
    tm_buf_append_html(out, s + run, n - run);
}

/* Appends col[bs..be) with the hits in it marked. */
static void snip_render(tm_buf *out, tm_str col, size_t bs, size_t be, const snip_hits *h)
{
    size_t pos = bs;

    if (bs > 0) tm_buf_puts(out, SNIP_ELLIPSIS);
    for (size_t i = 0; i < h->n && pos < be; i++) {
        size_t hs = h->v[i].start > pos ? h->v[i].start : pos;
        size_t he = h->v[i].end < be ? h->v[i].end : be;
        if (he <= hs) continue;
        snip_put_text(out, col.p + pos, hs - pos);
        tm_buf_puts(out, "<mark>");
        snip_put_text(out, col.p + hs, he - hs);
        tm_buf_puts(out, "</mark>");
        pos = he;
    }
    if (pos < be) snip_put_text(out, col.p + pos, be - pos);
    if (be < col.len) tm_buf_puts(out, SNIP_ELLIPSIS);
}

/* Moves the cuts [*bs, *be) onto spaces when one is close and no hit is in
 * the way: the start forward to just after a space, the end back to one. */
static void snip_trim_to_spaces(tm_str col, size_t *bs, size_t *be, size_t first_hit,
                                size_t last_hit_end)
{
    if (*bs > 0 && !snip_is_space(col.p[*bs - 1])) {
        for (size_t i = *bs; i < *be && i < first_hit && i < *bs + SNIP_TRIM_BYTES; i++) {
            if (snip_is_space(col.p[i])) {
                *bs = i + 1;
                break;
            }
        }
    }
    if (*be < col.len && !snip_is_space(col.p[*be])) {
        for (size_t i = *be; i > *bs && i > last_hit_end && i + SNIP_TRIM_BYTES > *be; i--) {
            if (snip_is_space(col.p[i - 1])) {
                *be = i - 1;
                break;
            }
        }
    }
}

/* How the query's tokens can be found without the tokenizer. Hangul
 * syllables appear in the text byte for byte (neither folded nor stemmed),
 * so with only Hangul tokens a column that contains none of them has no
 * hit (SNIP_VERBATIM); and when every token is a bigram (two syllables),
 * each place the text holds those bytes is exactly such a token, since
 * the tokenizer emits every adjacent pair of a syllable run (SNIP_BIGRAMS). */
enum { SNIP_TOKENIZE, SNIP_VERBATIM, SNIP_BIGRAMS };

static int snip_terms_kind(const snip_terms *t)
{
    int kind = SNIP_BIGRAMS;
    for (size_t i = 0; i < t->n; i++) {
        const unsigned char *p = (const unsigned char *)t->v[i].p;
        size_t n = t->v[i].len, k = 0, chars = 0;
        while (k < n) {
            uint32_t cp;
            size_t len = tm_utf8_decode(p + k, n - k, &cp);
            if (!len || cp < 0xAC00 || cp > 0xD7A3) return SNIP_TOKENIZE;
            k += len;
            chars++;
        }
        if (chars != 2) kind = SNIP_VERBATIM;
    }
    return kind;
}

static bool snip_may_hit(const snip_terms *t, int kind, tm_str col)
{
    if (!col.p || col.len == 0) return false;
    if (kind == SNIP_TOKENIZE) return true;
    for (size_t i = 0; i < t->n; i++)
        if (memmem(col.p, col.len, t->v[i].p, t->v[i].len)) return true;
    return false;
}

static int snip_cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The hits of a column for SNIP_BIGRAMS terms, found with memmem and fed
 * in text order to the same merging as tokenizer hits. */
static int snip_scan_bigrams(const snip_terms *terms, tm_str col, snip_hits *h)
{
    snip_ctx ctx = {terms, h};
    size_t *at = NULL, n = 0, cap = 0;
    int rc = SQLITE_OK;

    for (size_t i = 0; i < terms->n; i++) {
        const char *p = col.p, *end = col.p + col.len, *hit;
        while (n < SNIP_MAX_HITS && p < end &&
               (hit = memmem(p, (size_t)(end - p), terms->v[i].p, terms->v[i].len))) {
            if (n == cap) {
                cap = cap ? cap * 2 : 32;
                size_t *v = realloc(at, cap * sizeof *v);
                if (!v) {
                    free(at);
                    return SQLITE_NOMEM;
                }
                at = v;
            }
            at[n++] = (size_t)(hit - col.p);
            p = hit + 3; /* the next syllable: bigrams overlap */
        }
    }
    qsort(at, n, sizeof *at, snip_cmp_size);
    for (size_t k = 0; rc == SQLITE_OK && k < n; k++)
        rc = snip_on_token(&ctx, col.p + at[k], 6, (int)at[k], (int)at[k] + 6);
    free(at);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Tokenizes one column into h (emptied first). */
static int snip_scan(idx_tok *tok, const snip_terms *terms, int kind, tm_str col, snip_hits *h)
{
    snip_ctx ctx = {terms, h};
    int rc;

    h->n = 0;
    if (terms->n == 0 || col.len == 0) return SQLITE_OK;
    if (kind == SNIP_BIGRAMS && col.len <= INT32_MAX) return snip_scan_bigrams(terms, col, h);
    rc = idx_tok_run(tok, 0, col.p, col.len, snip_on_token, &ctx);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int idx_snip_html(idx_tok *tok, const idx_query *q, const tm_str *cols, size_t ncols, tm_buf *out)
{
    snip_terms terms = {0};
    snip_hits hits = {0}, scratch = {0};
    snip_best best = {0};
    size_t col = ncols, nchars, ws, we, bs, be;
    int rc = SQLITE_OK;
    tm_str c;

    if (q) snip_terms_add_node(&terms, q->root);
    int kind = snip_terms_kind(&terms);
    /* The best column's hits stay in hits; the others are scanned into
     * scratch, and the two swap when a column takes the lead. */
    for (size_t i = 0; rc == SQLITE_OK && i < ncols && terms.n > 0; i++) {
        if (!snip_may_hit(&terms, kind, cols[i])) continue;
        if ((rc = snip_scan(tok, &terms, kind, cols[i], &scratch)) != SQLITE_OK) goto done;
        (void)snip_char_positions(cols[i].p, cols[i].len, &scratch);
        bool led = best.found;
        size_t led_col = best.col;
        snip_best_window(&scratch, i, &best);
        if (best.found && (!led || best.col != led_col)) {
            snip_hits t = hits;
            hits = scratch;
            scratch = t;
        }
    }
    if (best.found) {
        col = best.col;
    } else {
        for (size_t i = 0; i < ncols && col == ncols; i++)
            if (cols[i].len > 0) col = i;
    }
    if (col == ncols) goto done; /* nothing to show */
    c = cols[col];

    if (!best.found) hits.n = 0; /* no hit: the column's start, unmarked */
    nchars = snip_char_positions(c.p, c.len, &hits);
    if (best.found) {
        size_t cs = hits.v[best.first].cs;
        size_t span = hits.v[best.last].ce - cs;
        size_t lead = span < IDX_SNIP_CHARS ? (IDX_SNIP_CHARS - span) / 3 : 0;
        ws = cs > lead ? cs - lead : 0;
    } else {
        ws = 0;
    }
    we = ws + IDX_SNIP_CHARS;
    if (we > nchars) {
        we = nchars;
        ws = nchars > IDX_SNIP_CHARS ? nchars - IDX_SNIP_CHARS : 0;
    }
    bs = snip_byte_at(c.p, c.len, ws);
    be = snip_byte_at(c.p, c.len, we);
    if (best.found)
        snip_trim_to_spaces(c, &bs, &be, hits.v[best.first].start, hits.v[best.last].end);
    else
        snip_trim_to_spaces(c, &bs, &be, 0, 0);
    snip_render(out, c, bs, be, &hits);
done:
    free(hits.v);
    free(scratch.v);
    free(terms.v);
    return rc;
}
