/* bench_queue.c - chooses the engine's event queue by measurement.
 *
 * Runs PHOLD-style hold models in integer microseconds (pop the earliest entry at t, push one
 * at t + 100 ms + Exp(1 s)) against several priority queues in one process, so their ratios
 * are fair, and prints for each: pops/s, ns per pop (its pushes and random draws included),
 * the ratio to a 4-ary heap on (time, key), and peak heap bytes per pending entry, counted
 * from the queue's own allocations. Times are medians of RUNS runs, interleaved. Every queue
 * must pop the same (time, key) sequence as the reference heap: a hash of it is checked.
 *
 * Only the winner lives in sim/ (sim_queue, linked from sim/sim_queue.c); the others stay
 * here so that the choice can be measured again. bench/README.md has the figures.
 *
 *     gcc -std=c11 -O2 -march=x86-64-v2 -Isim bench/bench_queue.c sim/sim_queue.c -lm \
 *         -o /tmp/bench_queue && /tmp/bench_queue [RUNS=3] [CANDIDATE] [WORKLOAD]
 */
#define _POSIX_C_SOURCE 200809L
#include "sim_queue.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef sim_qentry qent;

#define SLOT_BITS 24

static void die(const char *what)
{
    fprintf(stderr, "bench_queue: %s\n", what);
    exit(1);
}

/* ---- random draws: xoshiro256** seeded by splitmix64 ------------------------------------ */

typedef struct rng { uint64_t s[4]; } rng;

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static void rng_seed(rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        r->s[i] = z ^ (z >> 31);
    }
}

static inline uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

static inline uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

static inline double rng_exp(rng *r, double mean)
{
    return -mean * log1p(-(double)(rng_next(r) >> 11) * 0x1.0p-53);
}

/* ---- workloads -------------------------------------------------------------------------- */

typedef struct workload {
    const char *name;
    uint32_t procs, per_proc;   /* entries pending at the start = procs * per_proc */
    int64_t end;                /* stop at the first pop later than this (us) */
    int kind;
} workload;

enum {
    HOLD,       /* one push per pop, 100 ms + Exp(1 s) later: the PHOLD reference */
    COARSE,     /* the same rounded to whole seconds: thousands of entries share a time */
    MIXED,      /* 0, 1 or 2 pushes per pop (1/16, 7/8, 1/16), a quarter of them 5 ms hops */
};

static const workload workloads[] = {
    {"phold 1800x16", 1800, 16, INT64_C(400000000), HOLD},
    {"phold 1800x160", 1800, 160, INT64_C(40000000), HOLD},
    {"ties 1800x16 (1 s grain)", 1800, 16, INT64_C(400000000), COARSE},
    {"mixed 1800x16 (0-2 pushes, 5 ms hops)", 1800, 16, INT64_C(400000000), MIXED},
};

/* Delay after an event, in us: 100 ms lookahead + Exp(mean 1 s), as PHOLD. Coarse rounds it
 * to whole seconds, so a third of the pushes land at the current time and the rest pile up
 * by the thousand on the next few seconds. */
static inline int64_t draw_delay(rng *r, int kind)
{
    double d = 100000.0 + rng_exp(r, 1e6);
    if (kind == COARSE) return (int64_t)(d / 1e6 + 0.5) * 1000000;
    return (int64_t)(d + 0.5);
}

/* How many entries to push after a pop, and whether they are short hops (MIXED only). */
static inline int draw_fanout(rng *r, int kind, int *hop)
{
    if (kind != MIXED) return 1;
    uint64_t u = rng_next(r);
    *hop = (u >> 8 & 3) == 0;
    return (u & 15) == 0 ? 0 : (u & 15) == 1 ? 2 : 1;
}

static inline int64_t draw_hop(rng *r) { return 5000 + (int64_t)(rng_exp(r, 1000.0) + 0.5); }

typedef struct result {
    double secs;
    uint64_t pops, hash;
    size_t peak_bytes, peak_pending;    /* from the tracking pass */
} result;

static double now_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline uint64_t mix(uint64_t h, const qent *e)
{
    h ^= (uint64_t)e->time * 0x9e3779b97f4a7c15ULL ^ e->key;
    return h * 0xff51afd7ed558ccdULL + 1;
}

/* The hold loop, stamped out once per candidate so that each gets its own inlined copy.
 * With `track` set it also samples the queue's heap bytes after every pop and its pushes:
 * that pass is not timed. */
#define DEFINE_HOLD(NAME, Q, INIT, PUSH, POP, FREE, BYTES)                                  \
    static void NAME##_hold(const workload *w, int track, result *res)                      \
    {                                                                                       \
        Q q;                                                                                \
        rng r;                                                                              \
        qent e;                                                                             \
        uint64_t seq = 1, pops = 0, hash = 0;                                               \
        size_t peak = 0, pending = (size_t)w->procs * w->per_proc, peak_pending = pending;  \
        rng_seed(&r, 1);                                                                    \
        if (INIT(&q) < 0) die("init");                                                      \
        for (uint32_t i = 0; i < w->procs * w->per_proc; i++) {                             \
            int64_t t = draw_delay(&r, w->kind);                                            \
            if (PUSH(&q, t, seq++ << SLOT_BITS | (i % w->procs)) < 0) die("push");          \
        }                                                                                   \
        if (track) peak = BYTES(&q);                                                        \
        double t0 = now_secs();                                                             \
        for (;;) {                                                                          \
            if (POP(&q, &e) < 0) die("pop");                                                \
            if (e.time > w->end) break;                                                     \
            pops++;                                                                         \
            hash = mix(hash, &e);                                                           \
            int hop = 0, fanout = draw_fanout(&r, w->kind, &hop);                           \
            for (int k = 0; k < fanout; k++) {                                              \
                uint32_t dst = rng_below(&r, w->procs);                                     \
                int64_t t = e.time + (hop ? draw_hop(&r) : draw_delay(&r, w->kind));        \
                if (PUSH(&q, t, seq++ << SLOT_BITS | dst) < 0) die("push");                 \
            }                                                                               \
            if (track) {                                                                    \
                size_t b = BYTES(&q);                                                       \
                pending = pending + (size_t)fanout - 1;                                     \
                if (b > peak) peak = b;                                                     \
                if (pending > peak_pending) peak_pending = pending;                         \
            }                                                                               \
        }                                                                                   \
        res->secs = now_secs() - t0;                                                        \
        res->pops = pops;                                                                   \
        res->hash = hash;                                                                   \
        res->peak_bytes = peak;                                                             \
        res->peak_pending = peak_pending;                                                   \
        FREE(&q);                                                                           \
    }

/* ---- reference: 4-ary heap as shared/bench/cref/heap4.h, but ordered on (time, key) ---- */

static inline int entry_lt(const qent *a, const qent *b)
{
    return a->time < b->time || (a->time == b->time && a->key < b->key);
}

typedef struct heap4 {
    qent *v;
    size_t n, cap;
} heap4;

static int heap4_init(heap4 *h)
{
    *h = (heap4){0};
    return 0;
}

static void heap4_free(heap4 *h)
{
    free(h->v);
    *h = (heap4){0};
}

static size_t heap4_bytes(const heap4 *h) { return h->cap * sizeof(qent); }

/* Grows by half: at most 24 bytes per entry right after a growth, 16 in steady state. */
static int heap4_grow(heap4 *h)
{
    size_t cap = h->cap < 16 ? 16 : h->cap + h->cap / 2;
    qent *v = realloc(h->v, cap * sizeof *v);
    if (!v) return -ENOMEM;
    h->v = v;
    h->cap = cap;
    return 0;
}

static inline int heap4_push(heap4 *h, int64_t time, uint64_t key)
{
    if (h->n == h->cap && heap4_grow(h) < 0) return -ENOMEM;
    qent e = {time, key}, *v = h->v;
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (!entry_lt(&e, &v[p])) break;
        v[i] = v[p];
        i = p;
    }
    v[i] = e;
    return 0;
}

static inline int heap4_pop(heap4 *h, qent *out)
{
    if (h->n == 0) return -ENOENT;
    qent *v = h->v, last = v[--h->n];
    size_t n = h->n, i = 0;
    *out = v[0];
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) break;
        size_t m = c, end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (entry_lt(&v[k], &v[m])) m = k;
        if (!entry_lt(&v[m], &last)) break;
        v[i] = v[m];
        i = m;
    }
    if (n) v[i] = last;
    return 0;
}

DEFINE_HOLD(heap4, heap4, heap4_init, heap4_push, heap4_pop, heap4_free, heap4_bytes)

/* ---- not a candidate: shared/bench/cref/heap4.h itself, ordered on time alone --------
 * The yardstick of DESIGN.md section 6 compares time alone, so ties come out in no
 * particular order: the engine cannot use it, but it shows how far the engine's queue is
 * from the figure the engine as a whole must beat. */

static inline int heap4t_push(heap4 *h, int64_t time, uint64_t key)
{
    if (h->n == h->cap && heap4_grow(h) < 0) return -ENOMEM;
    qent e = {time, key}, *v = h->v;
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (v[p].time <= e.time) break;
        v[i] = v[p];
        i = p;
    }
    v[i] = e;
    return 0;
}

static inline int heap4t_pop(heap4 *h, qent *out)
{
    if (h->n == 0) return -ENOENT;
    qent *v = h->v, last = v[--h->n];
    size_t n = h->n, i = 0;
    *out = v[0];
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) break;
        size_t m = c, end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (v[k].time < v[m].time) m = k;
        if (v[m].time >= last.time) break;
        v[i] = v[m];
        i = m;
    }
    if (n) v[i] = last;
    return 0;
}

DEFINE_HOLD(heap4t, heap4, heap4_init, heap4t_push, heap4t_pop, heap4_free, heap4_bytes)

/* ---- candidate: 4-ary heap, bottom-up pop ------------------------------------------------
 * The element moved from the end to the root almost always belongs near the bottom again, so
 * comparing it on the way down is wasted: walk the hole down along the smaller children to a
 * leaf, then sift the element up from there (usually zero or one step). */

static inline size_t heap4_min_child(const qent *v, size_t c, size_t n)
{
    if (c + 4 <= n) {
        size_t a = entry_lt(&v[c + 1], &v[c]) ? c + 1 : c;
        size_t b = entry_lt(&v[c + 3], &v[c + 2]) ? c + 3 : c + 2;
        return entry_lt(&v[b], &v[a]) ? b : a;
    }
    size_t m = c;
    for (size_t k = c + 1; k < n; k++)
        if (entry_lt(&v[k], &v[m])) m = k;
    return m;
}

/* Fills the hole at i with e, keeping the heap order of v[0..n). */
static inline void heap4_fill_hole(qent *v, size_t n, size_t i, qent e)
{
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) break;
        size_t m = heap4_min_child(v, c, n);
        v[i] = v[m];
        i = m;
    }
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (!entry_lt(&e, &v[p])) break;
        v[i] = v[p];
        i = p;
    }
    v[i] = e;
}

static inline int heap4bu_pop(heap4 *h, qent *out)
{
    if (h->n == 0) return -ENOENT;
    *out = h->v[0];
    if (--h->n) heap4_fill_hole(h->v, h->n, 0, h->v[h->n]);
    return 0;
}

DEFINE_HOLD(heap4bu, heap4, heap4_init, heap4_push, heap4bu_pop, heap4_free, heap4_bytes)

/* ---- candidate: 4-ary heap, bottom-up, pop leaves the root empty -------------------------
 * pop takes the root and leaves a hole; a push that follows drops its entry into the hole
 * (one walk down instead of a walk down plus a walk up), any other call first fills the hole
 * with the last entry. */

typedef struct heap4h {
    heap4 h;
    int hole;
} heap4h;

static int heap4h_init(heap4h *q)
{
    q->hole = 0;
    return heap4_init(&q->h);
}

static void heap4h_free(heap4h *q) { heap4_free(&q->h); }

static size_t heap4h_bytes(const heap4h *q) { return heap4_bytes(&q->h); }

static inline void heap4h_settle(heap4h *q)
{
    heap4 *h = &q->h;
    q->hole = 0;
    if (--h->n) heap4_fill_hole(h->v, h->n, 0, h->v[h->n]);
}

static inline int heap4h_push(heap4h *q, int64_t time, uint64_t key)
{
    if (q->hole) {
        q->hole = 0;
        heap4_fill_hole(q->h.v, q->h.n, 0, (qent){time, key});
        return 0;
    }
    return heap4_push(&q->h, time, key);
}

static inline int heap4h_pop(heap4h *q, qent *out)
{
    if (q->hole) heap4h_settle(q);
    if (q->h.n == 0) return -ENOENT;
    *out = q->h.v[0];
    q->hole = 1;
    return 0;
}

DEFINE_HOLD(heap4h, heap4h, heap4h_init, heap4h_push, heap4h_pop, heap4h_free, heap4h_bytes)

/* ---- candidate: 4-ary heap, bottom-up, 128-bit comparisons -----------------------------
 * The same heap with (time, key) compared as one 128-bit number: the compiler emits cmp/sbb
 * and conditional moves instead of two dependent branches, which the 4-way minimum needs. */

__extension__ typedef unsigned __int128 u128;

static inline u128 entry_u128(const qent *e) { return (u128)(uint64_t)e->time << 64 | e->key; }

static inline size_t heap4w_min_child(const qent *v, size_t c, size_t n)
{
    if (c + 4 <= n) {
        u128 k0 = entry_u128(&v[c]), k1 = entry_u128(&v[c + 1]);
        u128 k2 = entry_u128(&v[c + 2]), k3 = entry_u128(&v[c + 3]);
        size_t a = k1 < k0 ? c + 1 : c, b = k3 < k2 ? c + 3 : c + 2;
        u128 ka = k1 < k0 ? k1 : k0, kb = k3 < k2 ? k3 : k2;
        return kb < ka ? b : a;
    }
    size_t m = c;
    for (size_t k = c + 1; k < n; k++)
        if (entry_u128(&v[k]) < entry_u128(&v[m])) m = k;
    return m;
}

static inline int heap4w_pop(heap4 *h, qent *out)
{
    if (h->n == 0) return -ENOENT;
    *out = h->v[0];
    if (--h->n == 0) return 0;
    qent *v = h->v, e = v[h->n];
    size_t n = h->n, i = 0;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) break;
        size_t m = heap4w_min_child(v, c, n);
        v[i] = v[m];
        i = m;
    }
    u128 ke = entry_u128(&e);
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (ke >= entry_u128(&v[p])) break;
        v[i] = v[p];
        i = p;
    }
    v[i] = e;
    return 0;
}

static inline int heap4w_push(heap4 *h, int64_t time, uint64_t key)
{
    if (h->n == h->cap && heap4_grow(h) < 0) return -ENOMEM;
    qent e = {time, key}, *v = h->v;
    u128 ke = entry_u128(&e);
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (ke >= entry_u128(&v[p])) break;
        v[i] = v[p];
        i = p;
    }
    v[i] = e;
    return 0;
}

DEFINE_HOLD(heap4w, heap4, heap4_init, heap4w_push, heap4w_pop, heap4_free, heap4_bytes)

/* ---- candidate: binary radix heap on time, one growable array per bucket ---------------
 * The textbook radix heap. Bucket 0 holds the entries whose time equals base (the last
 * minimum), kept sorted by key so that ties come out in key order; an entry with time t >
 * base sits in bucket 64 - clz(t ^ base). When bucket 0 runs dry, the lowest non-empty bucket
 * is split around its minimum time: every entry moves to a strictly lower bucket, and those
 * equal to the new base are sorted by key (the moves do not keep key order: a bucket mixes
 * entries pushed directly with older ones moved down from above). Times are >= 0, so 64
 * buckets suffice. Two flaws rule it out: pop allocates (a bucket may need to grow during a
 * split), and each array keeps its high-water mark, about 190 bytes per pending entry in
 * all. The bench never pushes below base, which this variant does not handle. */

typedef struct rbucket {
    qent *v;
    size_t n, cap;
} rbucket;

typedef struct radix {
    uint64_t base;
    uint64_t mask;          /* bit i: bucket i (i >= 1) is not empty */
    size_t size, head;      /* head: next entry of bucket 0 to pop */
    size_t bytes;
    rbucket b[64];
} radix;

static int radix_init(radix *q)
{
    memset(q, 0, sizeof *q);
    return 0;
}

static void radix_free(radix *q)
{
    for (int i = 0; i < 64; i++) free(q->b[i].v);
    memset(q, 0, sizeof *q);
}

static size_t radix_bytes(const radix *q) { return q->bytes; }

static int rbucket_grow(radix *q, rbucket *b)
{
    size_t cap = b->cap < 16 ? 16 : b->cap + b->cap / 2;
    qent *v = realloc(b->v, cap * sizeof *v);
    if (!v) return -ENOMEM;
    q->bytes += (cap - b->cap) * sizeof *v;
    b->v = v;
    b->cap = cap;
    return 0;
}

static inline int radix_bucket(uint64_t t, uint64_t base)
{
    return t == base ? 0 : 64 - __builtin_clzll(t ^ base);
}

/* Inserts into bucket 0 in key order; keys usually arrive increasing, so this appends. */
static int radix_insert0(radix *q, qent e)
{
    rbucket *b = &q->b[0];
    if (b->n == b->cap && rbucket_grow(q, b) < 0) return -ENOMEM;
    size_t i = b->n++;
    while (i > q->head && b->v[i - 1].key > e.key) {
        b->v[i] = b->v[i - 1];
        i--;
    }
    b->v[i] = e;
    return 0;
}

static void sort_keys(qent *v, size_t n);

/* All of buckets 0..i-1 are empty here: bucket i is the lowest non-empty one. */
static void radix_refill(radix *q)
{
    int i = __builtin_ctzll(q->mask);
    rbucket *src = &q->b[i];
    uint64_t m = UINT64_MAX;
    for (size_t k = 0; k < src->n; k++)
        if ((uint64_t)src->v[k].time < m) m = (uint64_t)src->v[k].time;
    q->base = m;
    for (size_t k = 0; k < src->n; k++) {
        int j = radix_bucket((uint64_t)src->v[k].time, m);
        rbucket *d = &q->b[j];
        if (d->n == d->cap && rbucket_grow(q, d) < 0) die("radix2: out of memory in pop");
        d->v[d->n++] = src->v[k];
        q->mask |= UINT64_C(1) << j;
    }
    src->n = 0;
    q->mask &= ~(UINT64_C(1) << i) & ~UINT64_C(1);
    q->head = 0;
    sort_keys(q->b[0].v, q->b[0].n);
}

static inline int radix_push(radix *q, int64_t time, uint64_t key)
{
    uint64_t t = (uint64_t)time;
    if (t < q->base) die("radix2: push below base");
    int j = radix_bucket(t, q->base);
    if (j == 0) {
        if (radix_insert0(q, (qent){time, key}) < 0) return -ENOMEM;
    } else {
        rbucket *b = &q->b[j];
        if (b->n == b->cap && rbucket_grow(q, b) < 0) return -ENOMEM;
        b->v[b->n++] = (qent){time, key};
        q->mask |= UINT64_C(1) << j;
    }
    q->size++;
    return 0;
}

static inline int radix_pop(radix *q, qent *out)
{
    rbucket *b0 = &q->b[0];
    if (q->head == b0->n) {
        if (q->mask == 0) return -ENOENT;
        radix_refill(q);
    }
    *out = b0->v[q->head++];
    if (q->head == b0->n) q->head = b0->n = 0;
    q->size--;
    return 0;
}

DEFINE_HOLD(radix, radix, radix_init, radix_push, radix_pop, radix_free, radix_bytes)

/* Key order for bucket 0: insertion sort for the usual handful, heapsort (no memory, no
 * quadratic case) when thousands of entries share a time. */
static void sift_keys(qent *v, size_t i, size_t n)
{
    qent e = v[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && v[c + 1].key > v[c].key) c++;
        if (v[c].key <= e.key) break;
        v[i] = v[c];
        i = c;
    }
    v[i] = e;
}

static void sort_keys(qent *v, size_t n)
{
    if (n <= 16) {
        for (size_t i = 1; i < n; i++) {
            qent e = v[i];
            size_t j = i;
            while (j > 0 && v[j - 1].key > e.key) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = e;
        }
        return;
    }
    for (size_t i = n / 2; i-- > 0;) sift_keys(v, i, n);
    for (size_t k = n - 1; k > 0; k--) {
        qent t = v[0];
        v[0] = v[k];
        v[k] = t;
        sift_keys(v, 0, k);
    }
}

/* ---- candidate: sim_queue, the 16-way radix heap on time:key of sim/sim_queue.c -------
 * Called through the library, not inlined, as the engine calls it. */

DEFINE_HOLD(lib, sim_queue, sim_queue_init, sim_queue_push, sim_queue_pop, sim_queue_free,
            sim_queue_bytes)

/* ---- draws alone: how much of ns/pop is not the queue ----------------------------------- */

typedef struct noq { qent last; } noq;

static int noq_init(noq *q)
{
    q->last = (qent){0, 0};
    return 0;
}

static void noq_free(noq *q) { (void)q; }

static size_t noq_bytes(const noq *q) { return sizeof *q; }

/* Keeps the pushed values alive so the draws are not optimised away. */
static inline int noq_push(noq *q, int64_t time, uint64_t key)
{
    q->last.key ^= key ^ (uint64_t)time;
    return 0;
}

/* Pops 35 us apart, the mean gap of the 28,800-entry hold model. */
static inline int noq_pop(noq *q, qent *out)
{
    q->last.time += 35;
    *out = q->last;
    return 0;
}

DEFINE_HOLD(noq, noq, noq_init, noq_push, noq_pop, noq_free, noq_bytes)

/* ---- driver ----------------------------------------------------------------------------- */

typedef struct candidate {
    const char *name;
    void (*hold)(const workload *w, int track, result *res);
    int is_reference;   /* the 4-ary heap on (time, key) the others are compared with */
    int time_only;      /* orders on time alone: ties may differ from the reference */
} candidate;

static const candidate candidates[] = {
    {"heap4 (reference)", heap4_hold, 1, 0},
    {"heap4 bottom-up", heap4bu_hold, 0, 0},
    {"heap4 bottom-up + hole", heap4h_hold, 0, 0},
    {"heap4 bottom-up u128", heap4w_hold, 0, 0},
    {"radix2 arrays", radix_hold, 0, 0},
    {"sim_queue", lib_hold, 0, 0},
    {"cref heap4, time only", heap4t_hold, 0, 1},
};

#define NCAND (sizeof candidates / sizeof candidates[0])
#define NWORK (sizeof workloads / sizeof workloads[0])
#define MAX_RUNS 15

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* usage: bench_queue [RUNS=3] [CANDIDATE] [WORKLOAD]; the last two pick by substring (the
 * reference always runs, since the ratios are to it). */
int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 3;
    const char *only_c = argc > 2 && *argv[2] ? argv[2] : NULL;
    const char *only_w = argc > 3 && *argv[3] ? argv[3] : NULL;
    int use[NCAND];

    if (runs < 1 || runs > MAX_RUNS) die("RUNS must be 1..15");
    for (size_t c = 0; c < NCAND; c++)
        use[c] = candidates[c].is_reference || !only_c || strstr(candidates[c].name, only_c);
    printf("sim_queue: %d-bit digits, %d buckets, %d-entry chunks; median of %d runs\n",
           SIM_QUEUE_DIGIT, SIM_QUEUE_BUCKETS, SIM_QUEUE_CHUNK, runs);

    for (size_t wi = 0; wi < NWORK; wi++) {
        const workload *w = &workloads[wi];
        double secs[NCAND][MAX_RUNS], med[NCAND], ref = 0;
        result track[NCAND], r, draws;

        if (only_w && !strstr(w->name, only_w)) continue;
        /* A tracking pass first: memory, and the popped sequence every timed run must repeat. */
        for (size_t c = 0; c < NCAND; c++)
            if (use[c]) candidates[c].hold(w, 1, &track[c]);
        /* Then the timed runs, interleaved so that a noisy neighbour hurts all alike. */
        for (int k = 0; k < runs; k++)
            for (size_t c = 0; c < NCAND; c++) {
                if (!use[c]) continue;
                candidates[c].hold(w, 0, &r);
                if (r.hash != track[c].hash || r.pops != track[c].pops) die("runs differ");
                secs[c][k] = r.secs;
            }
        for (size_t c = 0; c < NCAND; c++) {
            if (!use[c]) continue;
            qsort(secs[c], (size_t)runs, sizeof(double), cmp_double);
            med[c] = secs[c][runs / 2];
            if (candidates[c].is_reference) ref = med[c];
        }
        noq_hold(w, 0, &draws);

        printf("\n%s: %u pending at start, %llu pops; the draws alone take %.1f ns/pop\n",
               w->name, w->procs * w->per_proc, (unsigned long long)track[0].pops,
               1e9 * draws.secs / (double)draws.pops);
        printf("  %-24s %11s %9s %9s %12s  %s\n", "candidate", "pops/s", "ns/pop", "vs heap4",
               "bytes/entry", "order");
        for (size_t c = 0; c < NCAND; c++) {
            if (!use[c]) continue;
            const result *t = &track[c];
            const char *order = t->hash == track[0].hash && t->pops == track[0].pops ? "ok"
                                : candidates[c].time_only ? "ties unordered"
                                                          : "WRONG";
            printf("  %-24s %11.0f %9.1f %8.2fx %12.1f  %s\n", candidates[c].name,
                   (double)t->pops / med[c], 1e9 * med[c] / (double)t->pops, ref / med[c],
                   (double)t->peak_bytes / (double)t->peak_pending, order);
        }
        fflush(stdout);
    }
    return 0;
}
