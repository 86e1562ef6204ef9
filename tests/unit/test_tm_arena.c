/* tm_arena: blocks, rewinds, large blocks, foreign pointers, threads without
 * an arena, and Jansson behind its hooks. The import through the hooks is in
 * test_imp.c. */
#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/tm_alloc.h"
#include "../../common/tm_arena.h"
#include "../tm_test.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISONED(p) __asan_address_is_poisoned(p)
#else
#define POISONED(p) true
#endif

/* Whether p lies in the chunk a is filling. */
static bool in_chunk(const tm_arena *a, const void *p)
{
    return (uintptr_t)p >= (uintptr_t)a->base && (uintptr_t)p < (uintptr_t)a->end;
}

TM_TEST(without_an_arena_the_hooks_are_malloc_and_free)
{
    char *p = tm_arena_malloc(10);
    memcpy(p, "123456789", 10);
    CHECK_STR(p, "123456789");
    tm_arena_free(p); /* ASan reports it if this were not malloc's block */
    tm_arena_free(NULL);
}

TM_TEST(blocks_come_from_the_arena_aligned_and_a_rewind_reuses_them)
{
    tm_arena a;
    tm_arena_init(&a);
    tm_arena_enter(&a);
    char *p = tm_arena_malloc(10), *q = tm_arena_malloc(1);
    CHECK(in_chunk(&a, p) && in_chunk(&a, q) && p != q);
    CHECK((uintptr_t)p % _Alignof(max_align_t) == 0 && (uintptr_t)q % _Alignof(max_align_t) == 0);
    CHECK(a.live == 2);
    memset(p, 'x', 10);
    tm_arena_free(p);
    tm_arena_free(q);
    CHECK(a.live == 0);
    CHECK(tm_arena_rewind(&a));
    CHECK(POISONED(p)); /* a read after the rewind is reported */
    char *r = tm_arena_malloc(10);
    CHECK(r == p);
    tm_arena_free(r);
    tm_arena_leave();
    tm_arena_destroy(&a);
}

TM_TEST(a_rewind_with_a_block_live_keeps_every_block)
{
    tm_arena a;
    tm_arena_init(&a);
    tm_arena_enter(&a);
    char *kept = tm_arena_malloc(16), *gone = tm_arena_malloc(16);
    memcpy(kept, "still here", 11);
    tm_arena_free(gone);
    CHECK(!tm_arena_rewind(&a)); /* kept is live: nothing is reused */
    char *next = tm_arena_malloc(16);
    CHECK(next != kept && next != gone);
    CHECK_STR(kept, "still here");
    tm_arena_free(kept);
    tm_arena_free(next);
    CHECK(tm_arena_rewind(&a));
    char *r = tm_arena_malloc(16);
    CHECK(r == kept);
    tm_arena_free(r);
    tm_arena_leave();
    tm_arena_destroy(&a);
}

TM_TEST(large_blocks_and_foreign_pointers_go_to_malloc_and_free)
{
    char *before = tm_xmalloc(32); /* taken before the arena */
    tm_arena a;
    tm_arena_init(&a);
    tm_arena_enter(&a);
    char *big = tm_arena_malloc(TM_ARENA_BLOCK_MAX + 1);
    CHECK(!in_chunk(&a, big) && a.live == 0);
    memset(big, 0, TM_ARENA_BLOCK_MAX + 1);
    tm_arena_free(big);
    tm_arena_free(before);
    CHECK(a.live == 0);
    tm_arena_leave();
    tm_arena_destroy(&a);
}

TM_TEST(a_round_past_one_chunk_keeps_every_block_then_takes_one_chunk)
{
    enum { N = 2000, SIZE = 200 }; /* 400 KB: several chunks */
    char **v = tm_xcalloc(N, sizeof *v);
    tm_arena a;
    tm_arena_init(&a);
    tm_arena_enter(&a);
    for (int i = 0; i < N; i++) {
        v[i] = tm_arena_malloc(SIZE);
        memset(v[i], i & 0xFF, SIZE);
    }
    CHECK(a.full != NULL && a.live == N);
    bool intact = true;
    for (int i = 0; i < N; i++)
        intact &=
            (unsigned char)v[i][0] == (i & 0xFF) && (unsigned char)v[i][SIZE - 1] == (i & 0xFF);
    CHECK(intact);
    for (int i = 0; i < N; i++)
        tm_arena_free(v[i]); /* blocks of the older chunks are known too */
    CHECK(a.live == 0);
    tm_arena_rewind(&a);
    CHECK(a.full == NULL && a.cur == a.base);
    for (int i = 0; i < N; i++)
        v[i] = tm_arena_malloc(SIZE);
    CHECK(a.full == NULL); /* the next round fits in the one chunk */
    for (int i = 0; i < N; i++)
        tm_arena_free(v[i]);
    tm_arena_leave();
    tm_arena_destroy(&a);
    free(v);
}

static void *other_thread(void *arg)
{
    const tm_arena *a = arg;
    char *p = tm_arena_malloc(24);
    bool malloced = !in_chunk(a, p);
    tm_arena_free(p); /* ASan reports it if this were not malloc's block */
    return malloced ? arg : NULL;
}

TM_TEST(another_thread_does_not_use_this_threads_arena)
{
    tm_arena a;
    pthread_t t;
    void *got = NULL;
    tm_arena_init(&a);
    tm_arena_enter(&a);
    char *p = tm_arena_malloc(24);
    CHECK(pthread_create(&t, NULL, other_thread, &a) == 0);
    CHECK(pthread_join(t, &got) == 0);
    CHECK(got != NULL && a.live == 1);
    tm_arena_free(p);
    tm_arena_leave();
    tm_arena_destroy(&a);
}

TM_TEST(jansson_behind_the_hooks_builds_and_frees_a_tree_in_the_arena)
{
    json_set_alloc_funcs(tm_arena_malloc, tm_arena_free);
    tm_arena a;
    tm_arena_init(&a);
    tm_arena_enter(&a);
    for (int round = 0; round < 3; round++) {
        json_t *v =
            json_loads("{\"title\": \"기술\", \"keywords\": [\"a\", \"b\"], \"trl\": 4}", 0, NULL);
        CHECK(v && in_chunk(&a, v) && a.live > 5);
        CHECK_STR(json_string_value(json_object_get(v, "title")), "기술");
        char buf[64];
        size_t n = json_dumpb(json_object_get(v, "keywords"), buf, sizeof buf, JSON_COMPACT);
        CHECK(n == 9 && memcmp(buf, "[\"a\",\"b\"]", 9) == 0);
        json_decref(v);
        CHECK(a.live == 0);
        tm_arena_rewind(&a);
    }
    tm_arena_leave();
    tm_arena_destroy(&a);
    json_set_alloc_funcs(malloc, free);
}

TM_TEST_MAIN()
