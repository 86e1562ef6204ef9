/* tm_alloc: allocation that never returns NULL.
 *
 * Like redis zmalloc and h2o_mem_alloc, these abort on exhaustion: every size
 * that comes from input meets a limit before it gets here, so running out is
 * a fault of the machine, not of a request. SQLite callbacks (the tokenizer)
 * use sqlite3_malloc and return SQLITE_NOMEM instead. */
#ifndef TM_ALLOC_H
#define TM_ALLOC_H

#include <stddef.h>

void *tm_xmalloc(size_t n);
void *tm_xcalloc(size_t count, size_t size);
void *tm_xrealloc(void *p, size_t n);
/* Array growth with an overflow check: returns p resized to count*size. */
void *tm_xreallocarray(void *p, size_t count, size_t size);
char *tm_xstrdup(const char *s);
char *tm_xstrndup(const char *s, size_t n);

#endif
