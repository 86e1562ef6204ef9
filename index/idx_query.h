/* idx_query: what a user types in the search box, parsed into a tree and
 * compiled to a safe FTS5 expression.
 *
 * Syntax: words (AND), "quoted phrases" (an unbalanced quote runs to the
 * end), OR between terms (binds tighter than AND: `a b OR c` is a AND (b OR
 * c)), -word / -"phrase" to exclude, word* for a prefix, and field:term /
 * field:"phrase" with field one of title, keywords, institution, inventor,
 * ipc (anything else before ':' is plain text). Control bytes are spaces.
 * Terms with no letter or digit ("*", "^", "-") are dropped.
 *
 * Limits: q longer than IDX_QUERY_MAX_BYTES, invalid UTF-8, more than
 * IDX_QUERY_MAX_TERMS terms, or only exclusions -> TM_EINVAL with field "q".
 * Whatever the input, the FTS5 expression is syntactically valid: every term
 * is a double-quoted string (quotes doubled), column names come from a fixed
 * table, and nothing else from the input reaches it.
 *
 * Ownership: idx_query_parse() returns a tree that owns all its nodes and
 * strings; free it with idx_query_free(). */
#ifndef IDX_QUERY_H
#define IDX_QUERY_H

#include <stdbool.h>
#include <stddef.h>

#include "../common/tm_buf.h"
#include "../common/tm_err.h"
#include "idx_tok.h"

#define IDX_QUERY_MAX_BYTES 1000
#define IDX_QUERY_MAX_TERMS 32

typedef enum { IDX_Q_TERM, IDX_Q_AND, IDX_Q_OR, IDX_Q_NOT } idx_qkind;

typedef struct idx_qnode idx_qnode;
struct idx_qnode {
    idx_qkind kind;
    /* IDX_Q_TERM */
    char *text;       /* the term as typed (UTF-8, no control bytes, NUL-terminated) */
    bool phrase;      /* came from "quotes" */
    bool prefix;      /* ended with '*': the last token is a prefix */
    unsigned colmask; /* bits (1u << IDX_COL_*); 0 means every column */
    char **toks;      /* filled by idx_query_tokenize(): the term's tokens */
    size_t ntoks;
    /* IDX_Q_AND / IDX_Q_OR: kids; IDX_Q_NOT: exactly one kid, and only ever
     * as a kid of an AND node that has at least one positive kid. */
    idx_qnode **kids;
    size_t nkids;
};

typedef struct idx_query {
    idx_qnode *root; /* NULL when there is nothing to search for */
} idx_query;

/* Parses q[0..len). On success *out owns a tree (root may be NULL for a
 * blank query). On failure returns TM_EINVAL (field "q"), *out is NULL. */
int idx_query_parse(const char *q, size_t len, idx_query **out, tm_err *err) TM_MUST_CHECK;

/* Runs tok (query mode) over every term, filling toks/ntoks, then drops
 * terms with no tokens and simplifies the tree (an AND/OR with one kid is
 * replaced by it; an AND left with only NOT kids is TM_EINVAL "q"). */
int idx_query_tokenize(idx_query *q, idx_tok *tok, tm_err *err) TM_MUST_CHECK;

/* Appends the FTS5 MATCH expression of q (root not NULL) to out. */
void idx_query_to_fts(const idx_query *q, tm_buf *out);

/* Loosens a conjunction of two or more positive terms into their
 * disjunction (exclusions stay), for a search whose strict form finds
 * too little. Returns true when q changed; q stays valid either way. */
bool idx_query_relax(idx_query *q);

void idx_query_free(idx_query *q);

#endif
