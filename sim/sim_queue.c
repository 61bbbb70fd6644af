/* sim_queue.c - the pending-event queue: a 16-way radix heap on time:key, stored in chunks.
 *
 * Why this one (bench/bench_queue.c, bench/README.md; one run, medians of 3, ns per pop with
 * its push and random draws, and peak bytes per pending entry):
 *
 *                                    phold 28,800     phold 288,000    ties (1 s grain)
 *     4-ary heap on (time, key)      157.1 ns  19.5   229.0 ns  22.2   155.7 ns  19.5
 *     binary radix heap, arrays       86.0 ns 186.7   102.6 ns 133.7    83.0 ns 207.8
 *     this queue                      76.5 ns  21.2    89.8 ns  17.0    82.1 ns  21.2
 *
 * i.e. 13.1 M pops/s against the heap's 6.4 M at 28,800 pending (2.05x; 2.03-2.25x over three
 * runs), 2.55x at 288,000, 1.90x when ~27,000 entries share each second, 1.90x with 0-2
 * pushes per pop and short hops. Heap variants (bottom-up, deferred hole, 128-bit compares)
 * gained nothing beyond the noise: a heap pays a dependent, cache-missing walk of log4(n)
 * levels per pop. The textbook radix heap is nearly as fast, but its per-bucket arrays hold
 * ~190 bytes per entry and make pop allocate. Here an entry is moved ~4.5 times in its life,
 * by sequential appends.
 *
 * How it works. Read (time, key) as one 128-bit number and cut it into 4-bit digits. base is
 * the last minimum split out, and no entry is below it. An entry greater than base lives in
 * bucket (p, v): p is the highest digit in which it differs from base, v its value there
 * (v > base's digit, so v = 0 never occurs and bucket 0 holds the entries equal to base).
 * Buckets numbered p * 16 + v are then in order: every entry of a bucket is less than every
 * entry of a higher one. When bucket 0 is empty, the lowest non-empty bucket is split around
 * its minimum m: base becomes m, and each entry, which shares digit p with m, moves to a
 * bucket of a lower digit. So an entry moves at most 31 times and in practice four or five
 * (the hold model moves it 4.5 times), each time by an append, with no comparisons except
 * the scan for m. Because the key takes part, ties in time come out in key order without
 * sorting anything: equal times just split further on key digits.
 *
 * A push below base is still ordered right: base drops to the new entry, the old base falls
 * in some bucket (P, V) of the new one, the entries of digits below P (and those equal to the
 * old base) all fall in (P, V), which was empty, and every other bucket stays as it is. The
 * engine does this after a peek has split ahead, after it popped stale (cancelled) entries
 * beyond its clock, or after pushing back an entry popped past a run's limit: its pushes are
 * never before its clock, but can be before the last pop. That is why this file asserts no
 * monotonicity: the first engine tests to skip a stale entry tripped such an assert.
 *
 * Storage. A bucket is a stack of chunks of SIM_QUEUE_CHUNK entries from a pool the queue
 * owns. push keeps the pool big enough for the worst case (a partly filled chunk in every
 * non-empty bucket, plus the chunk being read during a split), so pop and peek never allocate
 * and cannot fail. The price is SIM_QUEUE_BUCKETS + 2 chunks beyond the full ones (132 KiB
 * once the queue holds 512 entries): 21.2 bytes per entry at 28,800, 17.0 at 288,000. Digits
 * of 1 or 2 bits took 17-58% longer; 8-bit digits were no faster and need 4,096 buckets (54
 * bytes per entry at 28,800); 32-entry chunks were a little faster but cost 25.5 bytes. */
#include "sim_queue.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK SIM_QUEUE_CHUNK
#define NBUCKETS SIM_QUEUE_BUCKETS
#define DIGIT SIM_QUEUE_DIGIT
#define DIGIT_MASK ((1u << DIGIT) - 1)
#define KEY_DIGITS (64 / DIGIT)

struct sim_qchunk {
    sim_qchunk *next;
    sim_qentry e[CHUNK];
};

/* The bucket of (time, key) >= (base_time, base_key). Time digits rank above key digits;
 * times are >= 0, so the highest index is NBUCKETS - 1. */
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

/* An upper bound on the chunks in use with n entries, also in the middle of a split: the
 * full ones, one partly filled per non-empty bucket, and the one being read. */
static size_t chunks_needed(size_t n)
{
    return n / CHUNK + (n < NBUCKETS ? n : NBUCKETS) + 2;
}

static inline void release(sim_queue *q, sim_qchunk *c)
{
    c->next = q->pool;
    q->pool = c;
}

/* Appends e to bucket j. The pool cannot be empty here: see chunks_needed. */
static inline void append(sim_queue *q, unsigned j, sim_qentry e)
{
    sim_qbucket *b = &q->b[j];
    size_t i = b->n & (CHUNK - 1);
    if (i == 0) {
        sim_qchunk *c = q->pool;
        q->pool = c->next;
        c->next = b->top;
        b->top = c;
        /* Only here can the bucket have been empty. Setting the bit on every append would
         * chain each append of a split to the last through the mask word (~10% slower). */
        q->mask[j >> 6] |= UINT64_C(1) << (j & 63);
    }
    b->top->e[i] = e;
    b->n++;
}

/* Empties bucket j and hands over its chunks: the first holds *first entries, the rest are
 * full. The caller reads them and releases each. */
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

static unsigned lowest_bucket(const sim_queue *q)
{
    uint64_t m = q->mask[0] & ~UINT64_C(1);
    unsigned w = 0;
    while (!m) m = q->mask[++w];
    return w * 64 + (unsigned)__builtin_ctzll(m);
}

/* Moves every entry of bucket `from` to bucket_of(new base) or, if to != 0, to bucket to. */
static void move_all(sim_queue *q, unsigned from, unsigned to)
{
    size_t n;
    sim_qchunk *c = detach(q, from, &n), *next;
    /* Each chunk goes back to the pool as soon as it is read, for the appends to reuse. */
    for (; c; c = next, n = CHUNK) {
        next = c->next;
        for (size_t k = 0; k < n; k++) {
            const sim_qentry *e = &c->e[k];
            append(q, to ? to : bucket_of(q->base_time, q->base_key, e->time, e->key), *e);
        }
        release(q, c);
    }
}

/* Bucket 0 is empty and the queue is not: split the lowest non-empty bucket around its
 * minimum, which becomes base and so lands in bucket 0. */
static void split_lowest(sim_queue *q)
{
    unsigned i = lowest_bucket(q);
    size_t n = ((q->b[i].n - 1) & (CHUNK - 1)) + 1;
    sim_qchunk *c = q->b[i].top;
    sim_qentry m = c->e[0];

    for (; c; c = c->next, n = CHUNK)
        for (size_t k = 0; k < n; k++) {
            const sim_qentry *e = &c->e[k];
            if (e->time < m.time || (e->time == m.time && e->key < m.key)) m = *e;
        }
    q->base_time = m.time;
    q->base_key = m.key;
    move_all(q, i, 0);
}

/* (time, key) is below base: make it base (see the top of the file). */
static void lower_base(sim_queue *q, int64_t time, uint64_t key)
{
    unsigned d = bucket_of(time, key, q->base_time, q->base_key);
    unsigned below = d & ~DIGIT_MASK;   /* buckets of digits below d's, 0 excepted */

    if (q->b[0].n) move_all(q, 0, d);
    for (unsigned j = 1; j < below; j++)
        if (q->b[j].n) move_all(q, j, d);
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
    assert(time >= 0 && "sim_queue: times are >= 0, or they would sort after all others");

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
    /* Bucket 0 holds copies of base only, so any of them will do: take the top one. */
    size_t i = --b->n & (CHUNK - 1);
    *out = b->top->e[i];
    q->size--;
    if (i == 0) {
        sim_qchunk *c = b->top;
        b->top = c->next;
        /* Give memory back as the queue drains, with slack so a steady state never frees. */
        if (q->nchunks > 2 * chunks_needed(q->size)) {
            free(c);
            q->nchunks--;
        } else {
            release(q, c);
        }
    }
    return 0;
}

size_t sim_queue_size(const sim_queue *q) { return q->size; }

size_t sim_queue_bytes(const sim_queue *q) { return q->nchunks * sizeof(sim_qchunk); }

size_t sim_queue_filter(sim_queue *q, int (*keep)(void *ctx, const sim_qentry *e), void *ctx)
{
    size_t dropped = 0;

    /* base stays, so every kept entry stays in its bucket: rewrite each bucket through the
     * pool. The appends trail the reads, so they need at most one spare chunk. */
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

    /* The engine filters to shed cancelled events: hand back what the pool no longer needs. */
    while (q->nchunks > chunks_needed(q->size) && q->pool) {
        sim_qchunk *c = q->pool;
        q->pool = c->next;
        free(c);
        q->nchunks--;
    }
    return dropped;
}
