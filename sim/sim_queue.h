/* sim_queue.h - the engine's queue of pending events, ordered by (time, key).
 *
 * An entry is 16 bytes: the event's time and key = seq << 24 | slot, where seq is the run's
 * insertion counter. Entries come out by time, and by key among equal times, so events due at
 * the same moment run in the order they were scheduled. The engine cancels lazily (stale
 * entries are skipped when they surface, or dropped in bulk by sim_queue_filter), so there is
 * no delete or decrease-key.
 *
 * The queue is a radix heap on the 128-bit number time:key (sim_queue.c says how and why,
 * with the measurements). It orders any sequence of pushes correctly, and is fast when they
 * are mostly monotone, as the engine's are: a push is below the last pop only after the
 * engine popped (and skipped) stale entries past its clock, or pushed back the entry it
 * popped past a run's limit, and then scheduled at its clock. Such a push costs one merge
 * of the low buckets. There is therefore no monotonicity assert; times must be >= 0.
 *
 * The struct is public so that the engine can embed it (about 8 KiB); its fields are
 * private. Nothing is inline: measured, inlining push and pop gained nothing. */
#ifndef RENKEI_SIM_QUEUE_H
#define RENKEI_SIM_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct sim_qentry {
    int64_t time;   /* >= 0 */
    uint64_t key;
} sim_qentry;

/* Tuning, chosen by bench/bench_queue.c; overriding them is for that bench only, and every
 * file that includes this header must then see the same values. */
#ifndef SIM_QUEUE_DIGIT
#define SIM_QUEUE_DIGIT 4       /* buckets split on digits of this many bits: 1, 2, 4 or 8 */
#endif
#ifndef SIM_QUEUE_CHUNK
#define SIM_QUEUE_CHUNK 16      /* entries per storage chunk, a power of two */
#endif
#define SIM_QUEUE_BUCKETS ((128 / SIM_QUEUE_DIGIT) << SIM_QUEUE_DIGIT)

typedef struct sim_qchunk sim_qchunk;

typedef struct sim_qbucket {
    sim_qchunk *top;    /* the chunk being filled; those below it are full */
    size_t n;
} sim_qbucket;

typedef struct sim_queue {
    int64_t base_time;          /* the last minimum split out: no entry is below it */
    uint64_t base_key;
    size_t size;
    size_t nchunks;             /* chunks allocated, in buckets or in the pool */
    sim_qchunk *pool;           /* spare chunks, linked through their next pointers */
    uint64_t mask[SIM_QUEUE_BUCKETS / 64];  /* bit j: bucket j >= 1 is not empty */
    sim_qbucket b[SIM_QUEUE_BUCKETS];
} sim_queue;

/* 0 or -ENOMEM. Holds no memory until the first push. */
int sim_queue_init(sim_queue *q);
/* Frees everything; the queue is then empty and may be used again. */
void sim_queue_free(sim_queue *q);
/* 0 or -ENOMEM, and then the queue is unchanged. time >= 0. */
int sim_queue_push(sim_queue *q, int64_t time, uint64_t key);
/* Takes the least entry out: 0, or -ENOENT when empty. Never allocates. */
int sim_queue_pop(sim_queue *q, sim_qentry *out);
/* The least entry, left in: 0, or -ENOENT when empty. May reorganise; never allocates. */
int sim_queue_peek(sim_queue *q, sim_qentry *out);
size_t sim_queue_size(const sim_queue *q);
/* Drops the entries keep() returns 0 for and returns how many; O(n). The others keep their
 * order. keep must not call into the queue. Gives spare memory back. */
size_t sim_queue_filter(sim_queue *q, int (*keep)(void *ctx, const sim_qentry *e), void *ctx);
/* Heap memory held now, in bytes. */
size_t sim_queue_bytes(const sim_queue *q);

#endif
