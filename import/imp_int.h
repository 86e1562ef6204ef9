/* imp_int: what the import driver's files share, private to import/imp*.c
 * (the public API is imp.h): imp.c (formats, the writer, the file entry
 * points), imp_prod.c (the producer thread: readers, row sources, the
 * repeated-id table) and imp_queue.c (the bounded batch queue between them
 * and the producer thread's start and stop). */
#ifndef IMP_INT_H
#define IMP_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "../common/tm_buf.h"
#include "../common/tm_err.h"
#include "../index/idx_inst.h"
#include "../index/idx_tech.h"
#include "imp.h"
#include "imp_rec.h"

/* ---- the pipeline ----
 *
 * A file is read by two threads. The producer reads the file, parses each
 * record and validates it (imp_rec: pure, any thread); the writer (the
 * caller's thread) does everything that touches the database or the report.
 * The producer sends, in line order, items that are either a validated
 * record or a ready issue (a rejection or a warning), in batches through a
 * bounded queue, so memory does not grow with the file and the writer meets
 * the issues in the order a single thread would. */

/* Items a batch holds, batches the queue holds: at most (QUEUE_BATCHES + 2)
 * * BATCH_ITEMS records are in flight (queued, being filled, being written). */
#define BATCH_ITEMS 64
#define QUEUE_BATCHES 8

typedef enum { ITEM_TECH, ITEM_INST, ITEM_REJECT, ITEM_WARN } item_kind;

typedef struct imp_item {
    item_kind kind;
    size_t line; /* where the record starts (0: the whole file) */
    union {
        idx_tech tech;
        idx_inst inst;
        tm_err issue; /* field and message of a rejection or warning */
    } u;
} imp_item;

typedef struct imp_batch {
    size_t n;
    imp_item items[BATCH_ITEMS];
} imp_batch;

/* Shared by the two threads: every field under mu. */
typedef struct imp_queue {
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    imp_batch *slot[QUEUE_BATCHES];
    size_t head, count;
    bool stop; /* the writer wants no more */
    bool done; /* the producer has ended; then: */
    int end_code;
    tm_err end_err;
    size_t records; /* records met, rejected ones included */
} imp_queue;

/* The producer's own state: only its thread touches it while it runs. */
typedef struct imp_prod {
    imp_queue *q;
    FILE *f;
    imp_format fmt;
    bool inst;                 /* institutions rather than technologies */
    bool institution_optional; /* an institution is forced */
    size_t line;               /* where the current record starts */
    size_t records;
    char **unknown; /* names already warned about */
    size_t nunknown;
    const imp_map *map;       /* --map rules, or NULL */
    const imp_rec_cols *cols; /* a table's header while its rows are read, or NULL */
    char **noted;             /* imp_map warnings already given (by key) */
    size_t nnoted;
    imp_batch *cur; /* being filled */
    bool stopped;   /* the writer said stop: read no further */
    /* external ids met (open addressing), for repeats */
    struct imp_seen *seen;
    size_t nseen, seen_cap;
    bool seen_full; /* SEEN_MAX reached: said once */
    /* The thread's arena for Jansson's blocks (tm_arena.h): each record's
     * tree is freed on this thread before the next record is read, and no
     * Jansson value goes to the writer (an item holds copies, never a
     * pointer into a tree). */
    struct tm_arena *arena;
    bool arena_held; /* a rewind found a block still live: said once */
    tm_buf scratch;  /* imp_rec's text buffer (imp_rec_opts), kept between records */
} imp_prod;

/* Frees what the item owns (a record); the item itself is the caller's. */
void imp_item_clear(imp_item *it);
/* Frees b and its items; NULL is a no-op. */
void imp_batch_free(imp_batch *b);
/* Hands the batch being filled to the writer, waiting for room (producer). */
void imp_prod_flush(imp_prod *p);
/* The next batch, or NULL when the producer has ended and all is taken (writer). */
imp_batch *imp_queue_pop(imp_queue *q);
/* Starts a producer of f into q (both initialized here). */
int imp_pipe_start(imp_queue *q, imp_prod *p, pthread_t *tid, FILE *f, imp_format fmt, bool inst,
                   bool institution_optional, const imp_map *map, tm_err *err) TM_MUST_CHECK;
/* Stops the producer (when it has not ended), waits for it, frees what it
 * sent that was not taken. */
void imp_pipe_stop(imp_queue *q, pthread_t tid);
/* The producer thread (imp_prod.c): reads the whole file, then ends the
 * queue with how the reading ended. */
void *imp_prod_main(void *arg);

#endif
