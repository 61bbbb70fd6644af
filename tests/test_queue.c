/* test_queue.c - tests for sim/sim_queue: the order of (time, key) against an independent
 * reference heap under random interleaved pushes and pops, ties in key order, peek, filter,
 * pushes below the queue's internal base (after a peek, a skipped stale entry, a push-back),
 * pushes in no order at all, empty queues, extreme values, the worst case for the chunk
 * reserve, a 10^6-entry run, memory held, and that free leaves nothing behind (run under
 * ASan/LSan). Seeds are fixed, so every run is the same. */
#include "check.h"
#include "sim_queue.h"

#include <errno.h>
#include <stdlib.h>

/* ---- helpers ---------------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t *rng, uint64_t n) { return splitmix(rng) % n; }

static int entry_less(const sim_qentry *a, const sim_qentry *b)
{
    return a->time < b->time || (a->time == b->time && a->key < b->key);
}

static int entry_cmp(const void *a, const void *b)
{
    const sim_qentry *x = a, *y = b;
    return entry_less(x, y) ? -1 : entry_less(y, x) ? 1 : 0;
}

/* The reference: a plain binary min-heap, nothing in common with the queue under test. */
typedef struct ref_heap {
    sim_qentry *v;
    size_t n, cap;
} ref_heap;

static void ref_push(ref_heap *h, int64_t time, uint64_t key)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 64;
        h->v = realloc(h->v, h->cap * sizeof *h->v);
        if (!h->v) abort();
    }
    size_t i = h->n++;
    sim_qentry e = {time, key};
    while (i > 0 && entry_less(&e, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = e;
}

static sim_qentry ref_pop(ref_heap *h)
{
    sim_qentry top = h->v[0], e = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && entry_less(&h->v[c + 1], &h->v[c])) c++;
        if (!entry_less(&h->v[c], &e)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = e;
    return top;
}

/* Pops one from each and says whether they agree; reports only the first disagreement. */
static int pop_both(sim_queue *q, ref_heap *r, int *reported, sim_qentry *out)
{
    sim_qentry got = {-1, 0}, want = ref_pop(r);
    int rc = sim_queue_pop(q, &got);
    if (out) *out = got;
    if (rc == 0 && got.time == want.time && got.key == want.key) return 1;
    if (!*reported) {
        fprintf(stderr, "pop: rc %d got (%lld, %llu) want (%lld, %llu)\n", rc,
                (long long)got.time, (unsigned long long)got.key, (long long)want.time,
                (unsigned long long)want.key);
        *reported = 1;
    }
    return 0;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_empty(void)
{
    sim_queue q;
    sim_qentry e;
    CHECK_INT(sim_queue_init(&q), 0);
    CHECK_INT(sim_queue_size(&q), 0);
    CHECK_INT(sim_queue_bytes(&q), 0);
    CHECK_INT(sim_queue_pop(&q, &e), -ENOENT);
    CHECK_INT(sim_queue_peek(&q, &e), -ENOENT);

    CHECK_INT(sim_queue_push(&q, 7, 1), 0);
    CHECK_INT(sim_queue_size(&q), 1);
    CHECK(sim_queue_bytes(&q) > 0);
    CHECK_INT(sim_queue_pop(&q, &e), 0);
    CHECK_INT(e.time, 7);
    CHECK_INT(e.key, 1);
    CHECK_INT(sim_queue_pop(&q, &e), -ENOENT);
    CHECK_INT(sim_queue_peek(&q, &e), -ENOENT);
    CHECK_INT(sim_queue_size(&q), 0);
    sim_queue_free(&q);
    CHECK_INT(sim_queue_bytes(&q), 0);
    CHECK_INT(sim_queue_size(&q), 0);
}

/* Delays at every scale, so entries land on every digit of time, plus zero delays. */
static int64_t random_delay(uint64_t *rng)
{
    switch (below(rng, 8)) {
    case 0: return 0;
    case 1: return (int64_t)below(rng, 4);
    case 2: return (int64_t)below(rng, 1000);
    case 3: return (int64_t)below(rng, 1000000);
    case 4: return (int64_t)(splitmix(rng) >> (18 + below(rng, 46)));   /* up to 2^46 */
    default: return 100000 + (int64_t)below(rng, 2000000);
    }
}

/* Random pushes and pops, monotone as the engine's, checked pop by pop; a peek (which may
 * split) sometimes comes before, and pushes between the last pop and the peeked minimum
 * then exercise the lowering of base. Keys are a growing seq over a random slot, as the
 * engine's, or fully random when `random_keys`; with `anywhere` pushes ignore the clock. */
static void run_random(uint64_t seed, size_t ops, size_t target, int random_keys, int anywhere)
{
    uint64_t rng = seed, seq = 1;
    int64_t now = 0;
    sim_queue q;
    ref_heap r = {0};
    int reported = 0, peeks_ok = 1, sizes_ok = 1;
    size_t pushes = 0, pops = 0;

    CHECK_INT(sim_queue_init(&q), 0);
    for (size_t i = 0; i < ops; i++) {
        /* Drift the size around `target`: push more when below, pop more when above. */
        int push = r.n == 0 || below(&rng, 2 * target) >= r.n;
        if (push) {
            int64_t t = anywhere ? (int64_t)below(&rng, UINT64_C(1) << (1 + below(&rng, 40)))
                                 : now + random_delay(&rng);
            uint64_t key = random_keys ? splitmix(&rng) : seq++ << 24 | below(&rng, 1u << 24);
            if (sim_queue_push(&q, t, key) != 0) {
                CHECK(!"push failed");
                break;
            }
            ref_push(&r, t, key);
            pushes++;
        } else {
            if (below(&rng, 4) == 0) {
                sim_qentry p;
                int rc = sim_queue_peek(&q, &p);
                if (rc != 0 || p.time != r.v[0].time || p.key != r.v[0].key) peeks_ok = 0;
                /* Between the last pop and the minimum just peeked: below base. */
                if (below(&rng, 2) == 0 && p.time > now) {
                    int64_t t = now + (int64_t)below(&rng, (uint64_t)(p.time - now));
                    uint64_t key = random_keys ? splitmix(&rng) : seq++ << 24;
                    CHECK_INT(sim_queue_push(&q, t, key), 0);
                    ref_push(&r, t, key);
                    pushes++;
                }
            }
            sim_qentry e;
            if (!pop_both(&q, &r, &reported, &e)) break;
            now = e.time;
            pops++;
        }
        if (sim_queue_size(&q) != r.n) sizes_ok = 0;
    }
    CHECK(peeks_ok);
    CHECK(sizes_ok);
    CHECK(pushes > ops / 3 && pops > ops / 3);
    while (r.n && pop_both(&q, &r, &reported, NULL)) {}
    CHECK_INT(r.n, 0);
    CHECK(!reported);
    sim_qentry e;
    CHECK_INT(sim_queue_pop(&q, &e), -ENOENT);
    sim_queue_free(&q);
    free(r.v);
}

static void test_random(void)
{
    run_random(1, 200000, 50, 0, 0);
    run_random(2, 200000, 3000, 0, 0);
    run_random(3, 200000, 1000, 1, 0);
    run_random(4, 20000, 3, 0, 0);
    /* Not monotone at all: slower, still right. */
    run_random(5, 100000, 1000, 1, 1);
    run_random(6, 100000, 20, 0, 1);
}

/* Thousands of entries on few distinct times, keys pushed in increasing order, with pushes
 * at the current time while it drains: every time comes out in key order. */
static void test_ties(void)
{
    sim_queue q;
    ref_heap r = {0};
    uint64_t rng = 5, seq = 1;
    int reported = 0;

    CHECK_INT(sim_queue_init(&q), 0);
    for (int i = 0; i < 20000; i++) {
        int64_t t = 1000000 * (int64_t)below(&rng, 5);
        uint64_t key = seq++ << 24 | below(&rng, 1800);
        CHECK_INT(sim_queue_push(&q, t, key), 0);
        ref_push(&r, t, key);
    }
    int64_t prev_time = -1;
    uint64_t prev_key = 0;
    int ordered = 1;
    for (int i = 0; i < 40000 && r.n; i++) {
        sim_qentry e;
        if (!pop_both(&q, &r, &reported, &e)) break;
        int64_t t = e.time;
        if (t == prev_time && e.key <= prev_key) ordered = 0;
        prev_time = t;
        prev_key = e.key;
        /* A third of the time, schedule another event at this very time. */
        if (i < 20000 && below(&rng, 3) == 0) {
            uint64_t key = seq++ << 24;
            CHECK_INT(sim_queue_push(&q, t, key), 0);
            ref_push(&r, t, key);
        }
    }
    CHECK(ordered);
    CHECK(!reported);
    CHECK_INT(r.n, 0);
    CHECK_INT(sim_queue_size(&q), 0);
    sim_queue_free(&q);
    free(r.v);

    /* Equal times with keys pushed in decreasing order still come out increasing. */
    CHECK_INT(sim_queue_init(&q), 0);
    for (uint64_t k = 1000; k > 0; k--) CHECK_INT(sim_queue_push(&q, 42, k), 0);
    for (uint64_t k = 1; k <= 1000; k++) {
        sim_qentry e;
        CHECK_INT(sim_queue_pop(&q, &e), 0);
        if (e.key != k || e.time != 42) {
            CHECK_INT(e.key, k);
            break;
        }
    }
    sim_queue_free(&q);
}

static void test_peek(void)
{
    sim_queue q;
    sim_qentry p, e;
    uint64_t rng = 6;
    int same = 1;

    CHECK_INT(sim_queue_init(&q), 0);
    for (int i = 0; i < 5000; i++)
        CHECK_INT(sim_queue_push(&q, (int64_t)below(&rng, 100000), (uint64_t)i), 0);
    while (sim_queue_size(&q)) {
        size_t n = sim_queue_size(&q);
        CHECK_INT(sim_queue_peek(&q, &p), 0);
        CHECK_INT(sim_queue_peek(&q, &e), 0);   /* twice: nothing changes */
        if (sim_queue_size(&q) != n || p.time != e.time || p.key != e.key) same = 0;
        CHECK_INT(sim_queue_pop(&q, &e), 0);
        if (p.time != e.time || p.key != e.key) same = 0;
    }
    CHECK(same);
    sim_queue_free(&q);
}

/* Pushes below the queue's base, as the engine does them: after a peek split ahead, after
 * popping a stale entry beyond its clock, and after pushing back an entry popped past a run's
 * limit; each followed by a schedule at its clock, earlier than the last pop. */
static void test_below_base(void)
{
    sim_queue q;
    sim_qentry e;

    CHECK_INT(sim_queue_init(&q), 0);
    CHECK_INT(sim_queue_push(&q, 5, 1), 0);
    CHECK_INT(sim_queue_push(&q, 1000, 2), 0);
    CHECK_INT(sim_queue_push(&q, 1 << 20, 3), 0);
    CHECK_INT(sim_queue_pop(&q, &e), 0);
    CHECK_INT(e.time, 5);
    CHECK_INT(sim_queue_peek(&q, &e), 0);   /* splits: base moves to 1000 */
    CHECK_INT(e.time, 1000);
    CHECK_INT(sim_queue_push(&q, 6, 4), 0);
    CHECK_INT(sim_queue_push(&q, 1000, 0), 0);   /* same time, smaller key than the peeked */
    CHECK_INT(sim_queue_push(&q, 5, 9), 0);      /* at the time of the last pop */
    static const int64_t want_t[] = {5, 6, 1000, 1000, 1 << 20};
    static const uint64_t want_k[] = {9, 4, 0, 2, 3};
    for (int i = 0; i < 5; i++) {
        CHECK_INT(sim_queue_pop(&q, &e), 0);
        CHECK_INT(e.time, want_t[i]);
        CHECK_INT(e.key, want_k[i]);
    }

    /* The engine runs up to a limit: it pops the first event past it, pushes it back, and
     * later schedules at its own clock, earlier than that event. */
    CHECK_INT(sim_queue_push(&q, 2000000, 10), 0);
    CHECK_INT(sim_queue_push(&q, 3000000, 11), 0);
    CHECK_INT(sim_queue_pop(&q, &e), 0);
    CHECK_INT(e.time, 2000000);
    CHECK_INT(sim_queue_push(&q, e.time, e.key), 0);
    CHECK_INT(sim_queue_push(&q, 1500000, 12), 0);
    CHECK_INT(sim_queue_push(&q, 2000000, 13), 0);
    static const int64_t want_t2[] = {1500000, 2000000, 2000000, 3000000};
    static const uint64_t want_k2[] = {12, 10, 13, 11};
    for (int i = 0; i < 4; i++) {
        CHECK_INT(sim_queue_pop(&q, &e), 0);
        CHECK_INT(e.time, want_t2[i]);
        CHECK_INT(e.key, want_k2[i]);
    }

    /* A cancelled event at 2.5 s surfaces and is skipped; the clock stays at 2.1 s. */
    CHECK_INT(sim_queue_push(&q, 2100000, 20), 0);
    CHECK_INT(sim_queue_push(&q, 2500000, 21), 0);
    CHECK_INT(sim_queue_push(&q, 2500000 + (1 << 16), 22), 0);
    CHECK_INT(sim_queue_push(&q, 4000000, 23), 0);
    CHECK_INT(sim_queue_pop(&q, &e), 0);
    CHECK_INT(e.key, 20);
    CHECK_INT(sim_queue_pop(&q, &e), 0);
    CHECK_INT(e.key, 21);
    CHECK_INT(sim_queue_push(&q, 2100000, 24), 0);
    CHECK_INT(sim_queue_push(&q, 2500000 + (1 << 16), 25), 0);
    static const uint64_t want_k3[] = {24, 22, 25, 23};
    for (int i = 0; i < 4; i++) {
        CHECK_INT(sim_queue_pop(&q, &e), 0);
        CHECK_INT(e.key, want_k3[i]);
    }
    CHECK_INT(sim_queue_pop(&q, &e), -ENOENT);
    sim_queue_free(&q);
}

static int keep_not_multiple_of_3(void *ctx, const sim_qentry *e)
{
    size_t *calls = ctx;
    (*calls)++;
    return (e->key >> 24) % 3 != 0;
}

static int keep_none(void *ctx, const sim_qentry *e)
{
    (void)ctx;
    (void)e;
    return 0;
}

/* Filter drops exactly the rejected entries, the rest still come out in order, and the
 * queue goes on working (pushes, pops, peeks) afterwards. */
static void test_filter(void)
{
    sim_queue q;
    ref_heap r = {0};
    uint64_t rng = 7, seq = 1;
    int64_t now = 0;
    int reported = 0;

    CHECK_INT(sim_queue_init(&q), 0);
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 30000; i++) {
            int64_t t = now + random_delay(&rng);
            uint64_t key = seq++ << 24 | below(&rng, 1000);
            CHECK_INT(sim_queue_push(&q, t, key), 0);
            if ((key >> 24) % 3 != 0) ref_push(&r, t, key);   /* what filter will keep */
        }
        /* Pop some first so that base is not at zero; the reference holds only survivors. */
        for (int i = 0; i < 5000; i++) {
            sim_qentry e;
            CHECK_INT(sim_queue_pop(&q, &e), 0);
            if ((e.key >> 24) % 3 != 0) {
                sim_qentry want = ref_pop(&r);
                if (want.time != e.time || want.key != e.key) reported = 1;
            }
            now = e.time;
        }
        size_t before = sim_queue_size(&q), calls = 0;
        size_t dropped = sim_queue_filter(&q, keep_not_multiple_of_3, &calls);
        CHECK_INT(calls, before);
        CHECK_INT(dropped, before - r.n);
        CHECK_INT(sim_queue_size(&q), r.n);
        CHECK(sim_queue_bytes(&q) <= 24 * sim_queue_size(&q) + 200000);
        sim_qentry e = {now, 0};
        for (size_t i = r.n / 2; i > 0; i--)
            if (!pop_both(&q, &r, &reported, &e)) break;
        now = e.time;
    }
    sim_qentry e = {now, 0};
    while (r.n && pop_both(&q, &r, &reported, &e)) {}
    now = e.time;
    CHECK(!reported);
    CHECK_INT(sim_queue_size(&q), 0);

    /* Filtering everything away leaves an empty, working queue with little memory. */
    for (int i = 0; i < 10000; i++) CHECK_INT(sim_queue_push(&q, now + i, (uint64_t)i), 0);
    CHECK_INT(sim_queue_filter(&q, keep_none, NULL), 10000);
    CHECK_INT(sim_queue_size(&q), 0);
    CHECK(sim_queue_bytes(&q) < 10000);
    CHECK_INT(sim_queue_pop(&q, &e), -ENOENT);
    CHECK_INT(sim_queue_push(&q, now + 5, 1), 0);
    CHECK_INT(sim_queue_pop(&q, &e), 0);
    CHECK_INT(e.time, now + 5);
    CHECK_INT(sim_queue_filter(&q, keep_none, NULL), 0);
    sim_queue_free(&q);
    free(r.v);
}

/* Extreme values: time 0 and the largest time, key 0 and the largest key, duplicates. */
static void test_extremes(void)
{
    sim_queue q;
    sim_qentry e;
    static const sim_qentry in[] = {
        {INT64_MAX, UINT64_MAX}, {0, UINT64_MAX}, {INT64_MAX, 0}, {0, 0},
        {1, 1},                  {0, 0},          {INT64_MAX - 1, UINT64_MAX},
    };
    sim_qentry want[sizeof in / sizeof in[0]];
    size_t n = sizeof in / sizeof in[0];

    CHECK_INT(sim_queue_init(&q), 0);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(sim_queue_push(&q, in[i].time, in[i].key), 0);
        want[i] = in[i];
    }
    qsort(want, n, sizeof want[0], entry_cmp);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(sim_queue_pop(&q, &e), 0);
        CHECK_INT(e.time, want[i].time);
        CHECK(e.key == want[i].key);
    }
    CHECK_INT(sim_queue_pop(&q, &e), -ENOENT);
    sim_queue_free(&q);
}

/* The worst case for the chunk reserve: one split that scatters a bucket over hundreds of
 * buckets, each left with 17 entries (one full chunk and one barely started), first on time
 * digits, then, for equal times, on key digits. Pops must still never allocate. */
static void test_scatter(void)
{
    enum { PER = 17 };
    sim_queue q;
    sim_qentry *all = malloc(8000 * sizeof *all), e;
    size_t n = 0;
    const int64_t t0 = INT64_C(1) << 56, t1 = INT64_C(1) << 57;

    if (!all) abort();
    all[n++] = (sim_qentry){t0, 0};
    for (int p = 2; p < 14; p++)
        for (int64_t v = 1; v < 16; v++)
            for (int64_t r = 0; r < PER; r++) all[n++] = (sim_qentry){t0 + (v << 4 * p) + r, 0};
    all[n++] = (sim_qentry){t1, 0};
    for (int p = 2; p < 16; p++)
        for (uint64_t v = 1; v < 16; v++)
            for (uint64_t r = 0; r < PER; r++) all[n++] = (sim_qentry){t1, (v << 4 * p) + r};

    CHECK_INT(sim_queue_init(&q), 0);
    for (size_t i = n; i-- > 0;) CHECK_INT(sim_queue_push(&q, all[i].time, all[i].key), 0);
    qsort(all, n, sizeof *all, entry_cmp);
    size_t bytes = sim_queue_bytes(&q);
    int ordered = 1, grew = 0;
    for (size_t i = 0; i < n; i++) {
        if (sim_queue_pop(&q, &e) != 0 || e.time != all[i].time || e.key != all[i].key) {
            ordered = 0;
            break;
        }
        if (sim_queue_bytes(&q) > bytes) grew = 1;
        bytes = sim_queue_bytes(&q);
    }
    CHECK(ordered);
    CHECK(!grew);
    sim_queue_free(&q);
    free(all);
}

/* 10^6 entries in, all out in sorted order; then the hold model for 10^6 more events with
 * the memory bound checked: pops never allocate and the queue stays under 24 bytes an
 * entry at this size. */
static void test_large(void)
{
    enum { N = 1000000 };
    sim_queue q;
    sim_qentry *all = malloc(N * sizeof *all), e;
    uint64_t rng = 8;
    int ordered = 1;

    if (!all) abort();
    CHECK_INT(sim_queue_init(&q), 0);
    for (size_t i = 0; i < N; i++) {
        all[i] = (sim_qentry){(int64_t)below(&rng, UINT64_C(1) << 40), (i + 1) << 24};
        CHECK_INT(sim_queue_push(&q, all[i].time, all[i].key), 0);
    }
    CHECK_INT(sim_queue_size(&q), N);
    CHECK(sim_queue_bytes(&q) <= 24 * (size_t)N);
    qsort(all, N, sizeof *all, entry_cmp);
    size_t bytes = sim_queue_bytes(&q);
    int grew = 0;
    for (size_t i = 0; i < N; i++) {
        if (sim_queue_pop(&q, &e) != 0 || e.time != all[i].time || e.key != all[i].key) {
            ordered = 0;
            break;
        }
        if (sim_queue_bytes(&q) > bytes) grew = 1;   /* pop never allocates */
        bytes = sim_queue_bytes(&q);
    }
    CHECK(ordered);
    CHECK(!grew);
    /* Spare chunks go back as the queue drains: what is left is about the reserve that lets
     * pop never allocate (~135 KiB), not the 16 MiB the queue held at its peak. */
    CHECK(sim_queue_bytes(&q) < 300000);
    CHECK_INT(sim_queue_pop(&q, &e), -ENOENT);

    /* Hold: 28,800 pending, each pop schedules one 0.1 s + up to 2 s later. */
    uint64_t seq = 1;
    int64_t last = all[N - 1].time;
    for (int i = 0; i < 28800; i++)
        CHECK_INT(sim_queue_push(&q, last + (int64_t)below(&rng, 2000000), seq++ << 24), 0);
    ordered = 1;
    for (int i = 0; i < N; i++) {
        if (sim_queue_pop(&q, &e) != 0 || e.time < last) {
            ordered = 0;
            break;
        }
        last = e.time;
        if (sim_queue_push(&q, e.time + 100000 + (int64_t)below(&rng, 2000000), seq++ << 24)) {
            ordered = 0;
            break;
        }
    }
    CHECK(ordered);
    CHECK(sim_queue_bytes(&q) <= 24 * 28800);
    sim_queue_free(&q);
    CHECK_INT(sim_queue_bytes(&q), 0);
    free(all);
}

/* free releases everything (LeakSanitizer checks at exit) and the queue can be used again. */
static void test_free_reuse(void)
{
    sim_queue q;
    sim_qentry e;
    CHECK_INT(sim_queue_init(&q), 0);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 5000; i++) CHECK_INT(sim_queue_push(&q, i * 37 % 1000, (uint64_t)i), 0);
        for (int i = 0; i < 2500; i++) CHECK_INT(sim_queue_pop(&q, &e), 0);
        sim_queue_free(&q);
        CHECK_INT(sim_queue_size(&q), 0);
        CHECK_INT(sim_queue_bytes(&q), 0);
        CHECK_INT(sim_queue_pop(&q, &e), -ENOENT);
    }
    sim_queue_free(&q);   /* twice is harmless */
}

int main(void)
{
    test_empty();
    test_random();
    test_ties();
    test_peek();
    test_below_base();
    test_filter();
    test_extremes();
    test_scatter();
    test_large();
    test_free_reuse();
    CHECK_DONE();
}
