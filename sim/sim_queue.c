/* sim_queue.c - the pending-event queue: a radix heap on time:key, stored in chunks.
 *
 * (figures: see bench/README.md; filled in below once measured)
 *
 * How it works. Read (time, key) as one 128-bit number. base is the last minimum taken out;
 * every entry is >= base. An entry lives in bucket 1 + (the highest bit where it differs from
 * base), bucket 0 holding entries equal to base; so every entry of bucket i is smaller than
 * every entry of bucket j > i. When bucket 0 is empty, the lowest non-empty bucket is split
 * around its minimum m: base becomes m and each of its entries moves to a strictly lower
 * bucket. An entry therefore moves at most 127 times in its life and in practice a few,
 * always by sequential appends, with no comparisons between entries except the scan for m.
 * Because the key takes part, ties in time come out in key order with no sorting: entries
 * of equal time simply split further on their key bits.
 *
 * A push below base (possible after a peek, or after the engine pushes back the entry it just
 * popped and then schedules something earlier) is still correct: base is lowered to the new
 * entry and the buckets below the highest bit where old and new base differ are merged into
 * the one above, which is empty by construction.
 *
 * Storage. Buckets are stacks of fixed chunks of SIM_QUEUE_CHUNK entries drawn from a pool
 * owned by the queue. push keeps the pool large enough for the worst case (one partly full
 * chunk per non-empty bucket, plus one for the bucket being split), so pop and peek never
 * allocate and never fail: the cost is at most SIM_QUEUE_BUCKETS + 2 spare chunks. */
#include "sim_queue.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK SIM_QUEUE_CHUNK
#define NBUCKETS SIM_QUEUE_BUCKETS

struct sim_qchunk {
    sim_qchunk *next;
    sim_qentry e[CHUNK];
};

#define DIGIT SIM_QUEUE_DIGIT
#define DIGIT_MASK ((1u << DIGIT) - 1)
#define KEY_DIGITS (64 / DIGIT)

/* The bucket of (time, key) >= base: (p, v) where p is the highest digit in which it differs
 * from base and v its value there (v > base's digit, so v = 0 is free for "equal"). Times
 * are >= 0, so ... */
static inline unsigned bucket_of(int64_t base_time, uint64_t base_key, int64_t time,
                                 uint64_t key)
{
    uint64_t x = (uint64_t)time ^ (uint64_t)base_time, w = (uint64_t)time;
    unsigned p0 = KEY_DIGITS;
    if (!x) {
        x = key ^ base_key;
        if (!x) return 0;
        w = key;
        p0 = 0;
    }
    unsigned p = (63 - (unsigned)__builtin_clzll(x)) / DIGIT;
    return (p0 + p) << DIGIT | ((unsigned)(w >> (p * DIGIT)) & DIGIT_MASK);
}

static unsigned lowest_bucket(const sim_queue *q)
{
    uint64_t m = q->mask[0] & ~UINT64_C(1);
    unsigned w = 0;
    while (!m) m = q->mask[++w];
    return w * 64 + (unsigned)__builtin_ctzll(m);
}

/* An upper bound on the chunks in use with n entries, also while a bucket is being split or
 * merged: one partly full chunk per non-empty bucket, one for the chunk being read, and the
 * full ones. */
static size_t chunks_needed(size_t n)
{
    return n / CHUNK + (n < NBUCKETS ? n : NBUCKETS) + 2;
}

static inline void release(sim_queue *q, sim_qchunk *c)
{
    c->next = q->pool;
    q->pool = c;
}

/* Appends e to bucket j. The pool is never empty here: see chunks_needed. */
static inline void append(sim_queue *q, unsigned j, sim_qentry e)
{
    sim_qbucket *b = &q->b[j];
    size_t i = b->n & (CHUNK - 1);
    if (i == 0) {
        sim_qchunk *c = q->pool;
        q->pool = c->next;
        c->next = b->top;
        b->top = c;
        /* Only here can the bucket have been empty; keeping the read-modify-write of the
         * mask off the common path shortens the split loop's dependency chain. */
        q->mask[j >> 6] |= UINT64_C(1) << (j & 63);
    }
    b->top->e[i] = e;
    b->n++;
}

/* Empties bucket j and returns its chunks, the first holding *first entries, the rest full.
 * The caller reads them and releases each. */
static sim_qchunk *detach(sim_queue *q, unsigned j, size_t *first)
{
    sim_qbucket *b = &q->b[j];
    sim_qchunk *c = b->top;
    *first = ((b->n - 1) & (CHUNK - 1)) + 1;
    b->top = NULL;
    b->n = 0;
    q->mask[j >> 6] &= ~(UINT64_C(1) << (j & 63));
    return c;
}

/* Bucket 0 is empty and the queue is not: split the lowest non-empty bucket around its
 * minimum, which becomes base and lands alone (or with its duplicates) in bucket 0. */
static void split_lowest(sim_queue *q)
{
    unsigned i = lowest_bucket(q);
    size_t first, n;
    sim_qchunk *list = detach(q, i, &first), *c, *next;

    sim_qentry m = list->e[0];
    n = first;
    for (c = list; c; c = c->next, n = CHUNK)
        for (size_t k = 0; k < n; k++) {
            const sim_qentry *e = &c->e[k];
            if (e->time < m.time || (e->time == m.time && e->key < m.key)) m = *e;
        }
    q->base_time = m.time;
    q->base_key = m.key;

    /* Each chunk goes back to the pool as soon as it is read, for the appends to reuse. */
    n = first;
    for (c = list; c; c = next, n = CHUNK) {
        next = c->next;
        for (size_t k = 0; k < n; k++) append(q, bucket_of(m.time, m.key, c->e[k].time, c->e[k].key), c->e[k]);
        release(q, c);
    }
}

/* (time, key) is below base: make it the new base. Entries of buckets below d, the bucket
 * the old base falls in seen from the new one, all fall in bucket d (empty until now); the
 * higher buckets do not change. */
static void lower_base(sim_queue *q, int64_t time, uint64_t key)
{
    unsigned d = bucket_of(time, key, q->base_time, q->base_key);

    for (unsigned j = 0; j < (d & ~DIGIT_MASK); j++) {
        if (q->b[j].n == 0) continue;
        size_t n;
        sim_qchunk *c = detach(q, j, &n), *next;
        for (; c; c = next, n = CHUNK) {
            next = c->next;
            for (size_t k = 0; k < n; k++) append(q, d, c->e[k]);
            release(q, c);
        }
    }
    q->base_time = time;
    q->base_key = key;
}

int sim_queue_init(sim_queue *q)
{
    memset(q, 0, sizeof *q);
    return 0;
}

void sim_queue_free(sim_queue *q)
{
    sim_qchunk *c, *next;
    for (unsigned j = 0; j < NBUCKETS; j++)
        for (c = q->b[j].top; c; c = next) {
            next = c->next;
            free(c);
        }
    for (c = q->pool; c; c = next) {
        next = c->next;
        free(c);
    }
    memset(q, 0, sizeof *q);
}

int sim_queue_push(sim_queue *q, int64_t time, uint64_t key)
{
    assert(time >= 0);
    if (time == q->floor && key == q->floor_key) {
        q->floor = q->prev_floor;   /* the entry just popped, pushed back: undo that pop */
    } else {
        assert(time >= q->floor && "sim_queue: push earlier than the last pop");
    }

    while (q->nchunks < chunks_needed(q->size + 1)) {
        sim_qchunk *c = malloc(sizeof *c);
        if (!c) return -ENOMEM;
        release(q, c);
        q->nchunks++;
    }
    if (time < q->base_time || (time == q->base_time && key < q->base_key))
        lower_base(q, time, key);
    append(q, bucket_of(q->base_time, q->base_key, time, key), (sim_qentry){time, key});
    q->size++;
    return 0;
}

int sim_queue_peek(sim_queue *q, sim_qentry *out)
{
    sim_qbucket *b = &q->b[0];
    if (b->n == 0) {
        if (q->size == 0) return -ENOENT;
        split_lowest(q);
    }
    *out = b->top->e[(b->n - 1) & (CHUNK - 1)];
    return 0;
}

int sim_queue_pop(sim_queue *q, sim_qentry *out)
{
    sim_qbucket *b = &q->b[0];
    if (b->n == 0) {
        if (q->size == 0) return -ENOENT;
        split_lowest(q);
    }
    size_t i = --b->n & (CHUNK - 1);
    *out = b->top->e[i];
    if (i == 0) {
        sim_qchunk *c = b->top;
        b->top = c->next;
        release(q, c);
    }
    q->size--;
    q->prev_floor = q->floor;
    q->floor = out->time;
    q->floor_key = out->key;
    return 0;
}

size_t sim_queue_size(const sim_queue *q) { return q->size; }

size_t sim_queue_bytes(const sim_queue *q) { return q->nchunks * sizeof(sim_qchunk); }

size_t sim_queue_filter(sim_queue *q, int (*keep)(void *ctx, const sim_qentry *e), void *ctx)
{
    size_t dropped = 0;

    /* Entries stay in their bucket (base does not move), so each bucket is rewritten in
     * place; the appends trail the reads, so one spare chunk is enough. */
    for (unsigned j = 0; j < NBUCKETS; j++) {
        if (q->b[j].n == 0) continue;
        size_t n;
        sim_qchunk *c = detach(q, j, &n), *next;
        for (; c; c = next, n = CHUNK) {
            next = c->next;
            for (size_t k = 0; k < n; k++) {
                if (keep(ctx, &c->e[k]))
                    append(q, j, c->e[k]);
                else
                    dropped++;
            }
            release(q, c);
        }
    }
    q->size -= dropped;

    /* Filtering is how the engine sheds cancelled events: give the memory back. */
    while (q->nchunks > chunks_needed(q->size) && q->pool) {
        sim_qchunk *c = q->pool;
        q->pool = c->next;
        free(c);
        q->nchunks--;
    }
    return dropped;
}
