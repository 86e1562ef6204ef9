#include "tm_alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tm_oom(size_t n)
{
    fprintf(stderr, "techmart: out of memory allocating %zu bytes\n", n);
    abort();
}

void *tm_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) tm_oom(n);
    return p;
}

void *tm_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) tm_oom(count * size);
    return p;
}

void *tm_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) tm_oom(n);
    return q;
}

void *tm_xreallocarray(void *p, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size) tm_oom(SIZE_MAX);
    return tm_xrealloc(p, count * size);
}

char *tm_xstrdup(const char *s)
{
    return tm_xstrndup(s, strlen(s));
}

char *tm_xstrndup(const char *s, size_t n)
{
    char *p = tm_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
