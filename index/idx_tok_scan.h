/* idx_tok_scan: techmart's tokenizer itself, the rules idx_tok.h states, as
 * one pass over a text that hands each token to a sink. It owns nothing and
 * knows neither FTS5's registration nor porter: idx_tok builds the
 * "techmart" and "porter" tokenizers on it. Any thread may call it. */
#ifndef IDX_TOK_SCAN_H
#define IDX_TOK_SCAN_H

/* FTS5's xToken: tok[0..ntok) (not NUL-terminated) from the input's bytes
 * [start, end). Returning anything but SQLITE_OK stops the scan. */
typedef int (*idx_tok_xtoken)(void *ctx, int tflags, const char *tok, int ntok, int start, int end);

/* Where tokens go. CJK tokens (bigrams and one-character runs) go to
 * xtoken, all others (words) to xword; the two may be the same. Under
 * "porter techmart" only words need the stemmer: a CJK token ends in a
 * non-ASCII byte, which porter never changes, and CJK tokens are most. */
typedef struct idx_tok_sink {
    idx_tok_xtoken xtoken;
    void *ctx;
    idx_tok_xtoken xword;
    void *word_ctx;
} idx_tok_sink;

/* Tokenizes text[0..ntext) (nothing when text is NULL or ntext <= 0),
 * calling out's callbacks in order with tflags 0. Returns SQLITE_OK, or the
 * first other code a callback returned. */
int idx_tok_scan(const idx_tok_sink *out, const char *text, int ntext);

#endif
