/* sim_queue.h - the engine's queue of pending events, ordered by (time, key).
 *
 * An entry is 16 bytes: the event's time and key = seq << 24 | slot, where seq is the run's
 * insertion counter. Entries come out by time, and by key among equal times, so events due at
 * the same moment run in the order they were scheduled. The engine cancels lazily (stale
 * entries are skipped when they surface, or dropped in bulk by sim_queue_filter), so there is
 * no delete or decrease-key.
 *
 * The queue is a radix heap on the 128-bit number time:key (see sim_queue.c for why and for
 * the measurements). It is correct for any sequence of pushes, but fast only when they are
 * monotone, as the engine's are: a push is never earlier than the last pop. Debug builds
 * assert that; pushing back the entry just popped is allowed and undoes that pop.
 *
 * The struct is public so that the engine can embed it; its fields are private. */
#ifndef RENKEI_SIM_QUEUE_H
#define RENKEI_SIM_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_qentry {
    int64_t time;   /* >= 0 */
    uint64_t key;
} sim_qentry;

/* Entries per chunk: bucket storage comes in chunks of this many entries (a power of two). */
#ifndef SIM_QUEUE_CHUNK
#define SIM_QUEUE_CHUNK 16
#endif
/* The radix: buckets split on digits of this many bits (1, 2, 4 or 8). */
#ifndef SIM_QUEUE_DIGIT
#define SIM_QUEUE_DIGIT 4
#endif
#define SIM_QUEUE_BUCKETS ((128 / SIM_QUEUE_DIGIT) << SIM_QUEUE_DIGIT)

typedef struct sim_qchunk sim_qchunk;

typedef struct sim_qbucket {
    sim_qchunk *top;    /* the chunk being filled; the ones below it are full */
    size_t n;
} sim_qbucket;

typedef struct sim_queue {
    int64_t base_time;          /* the last minimum taken out: every entry is >= it */
    uint64_t base_key;
    uint64_t mask[SIM_QUEUE_BUCKETS / 64]; /* bit j: bucket j is not empty (bit 0 means nothing) */
    size_t size;
    size_t nchunks;             /* chunks allocated, in buckets or in the pool */
    sim_qchunk *pool;           /* spare chunks, linked through their next pointers */
    int64_t floor, prev_floor;  /* the monotonicity check: time of the last pop, and before */
    uint64_t floor_key;
    sim_qbucket b[SIM_QUEUE_BUCKETS];
} sim_queue;

/* 0 or -ENOMEM. An initialised queue holds no memory until the first push. */
int sim_queue_init(sim_queue *q);
/* Frees everything; the queue may be initialised again. */
void sim_queue_free(sim_queue *q);
/* 0 or -ENOMEM (the queue is then unchanged). Times are >= 0. */
int sim_queue_push(sim_queue *q, int64_t time, uint64_t key);
/* Takes the least entry out: 0, or -ENOENT when empty. Never allocates, never fails else. */
int sim_queue_pop(sim_queue *q, sim_qentry *out);
/* The least entry without taking it out: 0, or -ENOENT when empty. May reorganise. */
int sim_queue_peek(sim_queue *q, sim_qentry *out);
size_t sim_queue_size(const sim_queue *q);
/* Drops every entry for which keep() returns 0 and returns how many it dropped; O(n). keep
 * must not touch the queue. The remaining entries keep their order. */
size_t sim_queue_filter(sim_queue *q, int (*keep)(void *ctx, const sim_qentry *e), void *ctx);
/* Heap memory the queue currently holds. */
size_t sim_queue_bytes(const sim_queue *q);

#endif
