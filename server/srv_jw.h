/* srv_jw: a streaming JSON writer into a tm_buf, for the hot replies
 * (search results, records) where building a Jansson tree and dumping it
 * cost more than the search itself. Commas are placed automatically;
 * strings are escaped per RFC 8259 (they are valid UTF-8 already: the
 * importer and the API validate text before it is stored). */
#ifndef SRV_JW_H
#define SRV_JW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/tm_buf.h"

#define SRV_JW_DEPTH 16

typedef struct srv_jw {
    tm_buf *out;
    int depth;
    bool need_comma[SRV_JW_DEPTH];
    bool after_key;
} srv_jw;

void srv_jw_init(srv_jw *w, tm_buf *out);
void srv_jw_obj(srv_jw *w);     /* { */
void srv_jw_obj_end(srv_jw *w); /* } */
void srv_jw_arr(srv_jw *w);     /* [ */
void srv_jw_arr_end(srv_jw *w); /* ] */
/* A member name; the next value is its value. */
void srv_jw_key(srv_jw *w, const char *key);
/* A member name that is a number ("17"), as facet keys are. */
void srv_jw_key_int(srv_jw *w, int64_t key);
/* s[0..n) as a string; NULL s writes null. */
void srv_jw_strn(srv_jw *w, const char *s, size_t n);
void srv_jw_str(srv_jw *w, const char *s);
void srv_jw_int(srv_jw *w, int64_t v);
void srv_jw_real(srv_jw *w, double v);
void srv_jw_bool(srv_jw *w, bool v);
void srv_jw_null(srv_jw *w);

#endif
