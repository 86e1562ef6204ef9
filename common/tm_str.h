/* tm_str: a borrowed slice of bytes {p, len}; owns nothing. */
#ifndef TM_STR_H
#define TM_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct tm_str {
    const char *p;
    size_t len;
} tm_str;

#define TM_STR_LIT(s) ((tm_str){(s), sizeof(s) - 1})

static inline tm_str tm_str_from(const char *s)
{
    return (tm_str){s, s ? strlen(s) : 0};
}

static inline bool tm_str_eq(tm_str a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && (n == 0 || memcmp(a.p, b, n) == 0);
}

#endif
