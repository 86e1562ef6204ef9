/* tm_arena: a bump allocator for one thread's many small, short-lived
 * allocations, behind malloc/free-shaped hooks.
 *
 * The import's producer thread builds a Jansson tree for every record and
 * frees it a moment later: about 85 malloc/free pairs a record, a fifth of
 * the thread's instructions. tm_arena_malloc()/tm_arena_free() are meant to
 * be Jansson's allocation functions (json_set_alloc_funcs(), process-wide,
 * set once in main before any thread starts; an arena is idle otherwise).
 * On a thread that has entered an arena,
 * tm_arena_malloc() takes small blocks from it; everywhere else, and for
 * large blocks, both are tm_xmalloc() and free(). tm_arena_free() tells the
 * arena's blocks from others by address and only counts them.
 *
 * Ownership. The memory belongs to the arena: a block is never given back
 * one by one. tm_arena_rewind() reuses it once every block taken since the
 * last rewind has been freed (a live count), so no block in use is ever
 * handed out twice, whatever a caller keeps: a block that outlives its record
 * only delays the reuse. The one rule: a block taken on a thread is freed on
 * that thread, while it is in the arena (between tm_arena_enter() and
 * tm_arena_leave()); free() elsewhere would be handed an address inside a
 * chunk. The producer keeps its Jansson values to itself (imp_int.h).
 *
 * A block freed twice is caught by ASan; without it, only when no block
 * is live (an abort), otherwise the count goes wrong and a later rewind
 * may hand out a block still in use. Jansson's reference counts are what
 * keeps that from happening.
 *
 * Under AddressSanitizer, free space and a red zone after each block are
 * poisoned, so an overrun or a read after a rewind is reported; a block read
 * after its own free, before the rewind, is not (the arena does not know its
 * size). Tests that do not install the hooks keep ASan's full view.
 *
 * Not thread-safe: an arena belongs to the thread that entered it. */
#ifndef TM_ARENA_H
#define TM_ARENA_H

#include <stdbool.h>
#include <stddef.h>

/* Blocks larger than this go to tm_xmalloc(): a text of 20,000 characters
 * would otherwise make every chunk large. */
#define TM_ARENA_BLOCK_MAX 16384

typedef struct tm_arena_chunk tm_arena_chunk;

typedef struct tm_arena {
    char *base, *cur, *end; /* the chunk being filled: [base, end) */
    tm_arena_chunk *full;   /* chunks filled since the last rewind, newest first */
    size_t live;            /* blocks taken and not yet freed */
    size_t round;           /* bytes of chunks used since the last rewind */
} tm_arena;

/* An empty arena (no memory until the first block). */
void tm_arena_init(tm_arena *a);
/* Frees a's memory; a must not be the calling thread's arena. Blocks still
 * live (a leak, a bug) keep their chunk, which is then leaked on purpose so
 * that no pointer into it dangles. */
void tm_arena_destroy(tm_arena *a);

/* Makes a the calling thread's arena until tm_arena_leave(). */
void tm_arena_enter(tm_arena *a);
/* The calling thread has no arena again. Every block of its arena must have
 * been freed by now (see above). */
void tm_arena_leave(void);

/* Reuses a's memory when no block of it is live and returns true; else
 * does nothing and returns false (a block outlived its unit of work: a
 * bug, after which memory grows until a block-free rewind). Cheap: call it
 * after each unit of work. */
bool tm_arena_rewind(tm_arena *a);

/* malloc and free for json_set_alloc_funcs(): tm_arena_malloc() never
 * returns NULL (tm_xmalloc() aborts on exhaustion); tm_arena_free(NULL) is a
 * no-op. */
void *tm_arena_malloc(size_t n);
void tm_arena_free(void *p);

#endif
