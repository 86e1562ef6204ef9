/* tm_arena: a bump allocator behind malloc/free-shaped hooks (tm_arena.h). */
#include "tm_arena.h"

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tm_alloc.h"

#if defined(__SANITIZE_ADDRESS__)
#define TM_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TM_ARENA_ASAN 1
#endif
#endif

#ifdef TM_ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#define REDZONE 16 /* poisoned bytes after each block: an overrun is reported */
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#define REDZONE 0
#endif

/* What malloc guarantees: Jansson's values hold int64s and doubles. */
#define ALIGN alignof(max_align_t)
/* The first chunk: a record's tree takes a few KiB. */
#define CHUNK_MIN ((size_t)64 << 10)

struct tm_arena_chunk {
    tm_arena_chunk *next;
    size_t cap; /* bytes of data after the header */
};

/* The chunk header, rounded up so that data stays aligned. */
#define HDR ((sizeof(tm_arena_chunk) + ALIGN - 1) / ALIGN * ALIGN)

static _Thread_local tm_arena *tm_arena_tls;

static char *chunk_data(tm_arena_chunk *c)
{
    return (char *)c + HDR;
}

static tm_arena_chunk *chunk_of(char *data)
{
    return (tm_arena_chunk *)(data - HDR);
}

/* Whether p lies in [base, base + cap); compared as integers, since p may
 * point into any object. */
static bool within(const void *p, const char *base, size_t cap)
{
    return (uintptr_t)p - (uintptr_t)base < cap;
}

static size_t span(const char *from, const char *to)
{
    return (size_t)((uintptr_t)to - (uintptr_t)from);
}

/* Starts a new chunk of at least cap bytes; the one being filled, if any,
 * joins a->full. */
static void chunk_new(tm_arena *a, size_t cap)
{
    tm_arena_chunk *c = tm_xmalloc(HDR + cap);
    c->next = NULL;
    c->cap = cap;
    if (a->base) {
        tm_arena_chunk *old = chunk_of(a->base);
        old->next = a->full;
        a->full = old;
    }
    a->base = a->cur = chunk_data(c);
    a->end = a->base + cap;
    a->round += cap;
    POISON(a->base, cap);
}

static void chunks_free(tm_arena_chunk *c)
{
    while (c) {
        tm_arena_chunk *next = c->next;
        UNPOISON(chunk_data(c), c->cap);
        free(c);
        c = next;
    }
}

void tm_arena_init(tm_arena *a)
{
    memset(a, 0, sizeof *a);
}

void tm_arena_destroy(tm_arena *a)
{
    if (!a) return;
    /* With blocks live, their chunks are left allocated: a leak (which LSan
     * reports as the chunk's) rather than a pointer into freed memory. */
    if (a->live == 0) {
        chunks_free(a->full);
        if (a->base) chunks_free(chunk_of(a->base));
    }
    memset(a, 0, sizeof *a);
}

void tm_arena_enter(tm_arena *a)
{
    tm_arena_tls = a;
}

void tm_arena_leave(void)
{
    tm_arena_tls = NULL;
}

bool tm_arena_rewind(tm_arena *a)
{
    if (a->live) return false;
    if (!a->base) return true;
    if (a->full) {
        /* The last round took several chunks: one of their total size from
         * now on, so a block's owner is found in one comparison. */
        size_t cap = a->round;
        chunks_free(a->full);
        chunks_free(chunk_of(a->base));
        a->full = NULL;
        a->base = a->cur = a->end = NULL;
        a->round = 0;
        chunk_new(a, cap);
        return true;
    }
    POISON(a->base, span(a->base, a->cur));
    a->cur = a->base;
    return true;
}

void *tm_arena_malloc(size_t n)
{
    tm_arena *a = tm_arena_tls;
    if (!a || n > TM_ARENA_BLOCK_MAX) return tm_xmalloc(n);
    if (n == 0) n = 1; /* as tm_xmalloc: a block of its own */
    /* At least ALIGN bytes, so that tm_arena_free() may poison that many. */
    size_t step = (n + REDZONE + ALIGN - 1) / ALIGN * ALIGN;
    if (span(a->cur, a->end) < step) {
        size_t cap = a->base ? 2 * span(a->base, a->end) : CHUNK_MIN;
        chunk_new(a, cap);
    }
    char *p = a->cur;
    a->cur += step;
    a->live++;
    UNPOISON(p, n);
    return p;
}

static bool owns(const tm_arena *a, const void *p)
{
    if (within(p, a->base, span(a->base, a->end))) return true;
    for (tm_arena_chunk *c = a->full; c; c = c->next)
        if (within(p, chunk_data(c), c->cap)) return true;
    return false;
}

void tm_arena_free(void *p)
{
    tm_arena *a = tm_arena_tls;
    if (!p) return;
    if (!a || !owns(a, p)) {
        free(p);
        return;
    }
#ifdef TM_ARENA_ASAN
    /* The block's first ALIGN bytes (a json_t's type and refcount) are
     * poisoned once freed: a second free, or a use after this one, is
     * reported. */
    if (__asan_address_is_poisoned(p)) {
        fprintf(stderr, "techmart: tm_arena_free(%p): freed twice\n", p);
        abort();
    }
    POISON(p, ALIGN);
#endif
    if (a->live == 0) {
        fprintf(stderr, "techmart: tm_arena_free(%p): freed twice\n", p);
        abort();
    }
    a->live--;
}
