/* imp_map_int: what the files of imp_map share, private to import/imp_map*.c
 * (the public API is imp_map.h): imp_map.c (header names, --map rules, the
 * record builder), imp_map_val.c (the lenient value rules: list cells,
 * applicants, status, titles) and imp_map_tab.c (the word tables: header
 * synonyms, ignored columns, field words). */
#ifndef IMP_MAP_INT_H
#define IMP_MAP_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../common/tm_err.h"
#include "imp_map.h"

static inline bool ascii_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static inline bool ascii_alpha(char c)
{
    return ascii_upper(c) || (c >= 'a' && c <= 'z');
}

static inline bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* s[0..len) trimmed in *b, *e. */
static inline void trim(const char *s, size_t len, size_t *b, size_t *e)
{
    *b = 0;
    *e = len;
    while (*b < *e && space(s[*b]))
        (*b)++;
    while (*e > *b && space(s[*e - 1]))
        (*e)--;
}

typedef struct syn {
    const char *name; /* normalised */
    const char *target;
} syn;

/* Header names of real files and their synonyms (imp_map_tab.c). */
extern const syn imp_map_synonyms[];
extern const size_t imp_map_nsynonyms;
/* Known columns dropped on purpose, NULL-terminated (imp_map_tab.c). */
extern const char *const imp_map_ignored[];

/* The lenient rules of one value (imp_map.h) into r. TM_EINVAL (field =
 * target) when the value cannot be read. */
int imp_map_put_lenient(imp_map_rec *r, const char *target, const json_t *v,
                        tm_err *err) TM_MUST_CHECK;
/* Decides r->status (set): the listing's status or the patent's. */
void imp_map_decide_status(imp_map_rec *r);
/* "한국어 제목(ENGLISH TITLE)" in obj: title_en from the tail, or the tail dropped. */
void imp_map_split_title(json_t *obj);

#endif
