/* idx_tok: techmart's FTS5 tokenizer, "techmart", and a way to run the very
 * same token stream outside FTS5 (queries, snippets, the in-memory engine).
 *
 * Rules (the same for documents and queries):
 *  - Runs of Hangul syllables/Jamo and CJK ideographs become overlapping
 *    bigrams ("기술을" -> "기술", "술을"); a run of one character stays a
 *    unigram. Positions advance by one per bigram, so a Korean word is a
 *    phrase of consecutive bigrams.
 *  - Runs of ASCII letters and digits (and other Unicode letters) become one
 *    token, case-folded to lower case ("A61B" -> "a61b"). The FTS5 table uses
 *    "porter techmart", so FTS5's porter stemmer wraps this tokenizer.
 *  - Digit groups joined by '-' are one token without the hyphens
 *    ("10-2019-0012345" -> "1020190012345"), so a patent number is found
 *    with or without hyphens.
 *  - Everything else (punctuation, spaces, control bytes, invalid UTF-8)
 *    separates tokens and is never emitted.
 * Every token carries the byte range [start, end) of the input it came from.
 *
 * Threads: registration is per connection. An idx_tok belongs to the
 * connection it was opened from and to that connection's thread. */
#ifndef IDX_TOK_H
#define IDX_TOK_H

#include <sqlite3.h>
#include <stddef.h>

#include "../common/tm_err.h"

/* Longest token emitted, in bytes; longer Latin runs are cut at a character
 * boundary (the rest continues as another token). */
#define IDX_TOK_MAX 64

/* Registers the "techmart" FTS5 tokenizer on db, and "porter", which hides
 * FTS5's and gives its very tokens, faster (Hangul skips the stemmer), with
 * "techmart_token" (its input as one token), which it uses. Returns an
 * SQLite code. */
int idx_tok_register(sqlite3 *db);

/* A tokenizer instance equivalent to the FTS5 table's "porter techmart". */
typedef struct idx_tok idx_tok;

/* Called once per token; return SQLITE_OK to continue, anything else stops
 * the run and is returned by idx_tok_run. tok is not NUL-terminated. */
typedef int (*idx_tok_cb)(void *ctx, const char *tok, int ntok, int start, int end);

/* Opens an instance from a connection on which idx_tok_register() ran.
 * On failure returns an error code, sets *out to NULL. Free with idx_tok_free(). */
int idx_tok_open(sqlite3 *db, idx_tok **out, tm_err *err) TM_MUST_CHECK;
void idx_tok_free(idx_tok *tok);

/* Tokenizes text[0..len) as a document (query == 0) or a query (query != 0),
 * calling cb per token in order. Returns SQLITE_OK or the first non-OK code. */
int idx_tok_run(idx_tok *tok, int query, const char *text, size_t len, idx_tok_cb cb, void *ctx);

/* A collected token list, for tests and callers that want all tokens. */
typedef struct idx_tok_list {
    char **tok; /* NUL-terminated copies */
    int *start;
    int *end;
    size_t n, cap;
} idx_tok_list;

/* Appends the tokens of text to *list. Returns SQLITE_OK or an error code. */
int idx_tok_collect(idx_tok *tok, int query, const char *text, size_t len, idx_tok_list *list);
void idx_tok_list_clear(idx_tok_list *list);

#endif
