/* idx_snip: the highlighted snippet shown with each search result.
 *
 * Output is HTML: the text is HTML-escaped and every run of bytes covered by
 * a token matching a positive query term is wrapped in <mark>...</mark>;
 * nothing else is markup, so a document can never inject any. Control bytes
 * are dropped; invalid UTF-8 becomes U+FFFD. */
#ifndef IDX_SNIP_H
#define IDX_SNIP_H

#include <stddef.h>

#include "../common/tm_buf.h"
#include "../common/tm_str.h"
#include "idx_query.h"
#include "idx_tok.h"

/* Longest snippet, in characters of text (before escaping), ellipses aside. */
#define IDX_SNIP_CHARS 160

/* Picks, among cols[0..ncols) (e.g. summary, description, title), the
 * column and window with the most query hits and appends its HTML snippet to
 * out ("…" marks a cut). With no hit (or q NULL / root NULL) it uses the
 * first non-empty column's start. Returns SQLITE_OK or an SQLite error. */
int idx_snip_html(idx_tok *tok, const idx_query *q, const tm_str *cols, size_t ncols, tm_buf *out);

#endif
