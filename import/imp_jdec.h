/* imp_jdec: a fast decoder of one JSON text into Jansson values.
 *
 * The importer parses every record of a JSON Lines or JSON array file;
 * Jansson's own json_loadb() reads its input a character at a time through
 * a stream and spends most of an import's parsing time there. imp_jdec()
 * scans the byte buffer directly and builds the same tree with Jansson's
 * constructors. It is a drop-in for
 *     json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je)
 * (Jansson 2.14): where that succeeds, imp_jdec() returns an equal value
 * with the same types (integer vs real; object keys in the same order), and
 * it returns NULL where that fails. It gives no message: a caller that needs
 * one (imp_json.c) calls json_loadb() on the NULL path, which is rare.
 *
 * Holds no state between calls: any thread may call it. */
#ifndef IMP_JDEC_H
#define IMP_JDEC_H

#include <jansson.h>
#include <stddef.h>

/* Decodes p[0..n) (which need not be NUL-terminated) as one JSON value
 * followed by nothing but white space. Returns a new reference (the
 * caller's: json_decref), or NULL for an input json_loadb() rejects: bad
 * syntax or UTF-8, \u0000, a duplicate key, an integer outside int64, a real
 * that overflows, nesting deeper than JSON_PARSER_MAX_DEPTH. */
json_t *imp_jdec(const char *p, size_t n);

#endif
