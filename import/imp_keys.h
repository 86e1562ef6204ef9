/* imp_keys: finding a record's key among a short list of known ones. Every
 * key of every record is looked up, and records mostly list their keys in
 * the list's order, so a search starts where the last one ended (*hint)
 * and usually stops at its first step. Used by imp_map (canonical keys as
 * written) and imp_rec (a record's fields in one pass). */
#ifndef IMP_KEYS_H
#define IMP_KEYS_H

#include <stddef.h>
#include <string.h>

/* The index of key[0..len) in keys[0..n), or n. A key holds no NUL byte
 * (Jansson refuses one). *hint (< n, 0 to start) is where to look first;
 * it is left after the key found. */
static inline size_t imp_keys_find(const char *const *keys, size_t n, const char *key, size_t len,
                                   size_t *hint)
{
    size_t i = *hint;
    if (len == 0) return n;
    for (size_t step = 0; step < n; step++, i = i + 1 < n ? i + 1 : 0)
        if (keys[i][0] == key[0] && strncmp(keys[i], key, len) == 0 && keys[i][len] == '\0') {
            *hint = i + 1 < n ? i + 1 : 0;
            return i;
        }
    return n;
}

#endif
