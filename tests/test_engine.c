/* test_engine.c - tests for the engine core (sim/sim_world.c, sim/sim_node.c): the order in
 * which the world dispatches events (time, then insertion order), scheduling errors,
 * cancellation (once, from callbacks, stale handles, compaction), sim_world_run's limit,
 * max_events and halt, node timers across crash and recovery, per-node RNG streams, two
 * worlds in one process, and the trace hash.
 *
 * Every scenario is deterministic (fixed seeds); the checks compare exact dispatch orders,
 * counts and times. A test that could abort the process (an engine assert) runs in a forked
 * child, so the abort shows up as one failed check and the other tests still run. */
#include "check.h"
#include "sim_msg.h"
#include "sim_net.h"
#include "sim_node.h"
#include "sim_rng.h"
#include "sim_world.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------------------- */

static sim_world *new_world(uint64_t seed)
{
    sim_world *w = NULL;
    int rc = sim_world_create(&(sim_world_config){.seed = seed, .trace_fd = -1}, &w);
    CHECK_INT(rc, 0);
    if (rc != 0) abort();
    return w;
}

/* A record of dispatches: one (time, tag) per event, in dispatch order. */
typedef struct rec {
    sim_time_t *time;
    uint64_t *tag;
    size_t n, cap;
} rec;

static void rec_push(rec *r, sim_time_t t, uint64_t tag)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->time = realloc(r->time, r->cap * sizeof *r->time);
        r->tag = realloc(r->tag, r->cap * sizeof *r->tag);
        if (!r->time || !r->tag) abort();
    }
    r->time[r->n] = t;
    r->tag[r->n] = tag;
    r->n++;
}

static void rec_free(rec *r)
{
    free(r->time);
    free(r->tag);
    *r = (rec){0};
}

/* The plain event callback: ptr is a rec, the tag identifies the event. */
static void on_record(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    rec_push(ptr, sim_world_now(w), tag);
}

/* (time, insertion index) pairs, sorted by time then index: a stable sort of the inserts. */
typedef struct tpair {
    sim_time_t time;
    uint64_t idx;
} tpair;

static int tpair_cmp(const void *a, const void *b)
{
    const tpair *x = a, *y = b;
    if (x->time != y->time) return x->time < y->time ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Checks that r holds exactly the events of want (already sorted), in that order. */
static void check_order(const rec *r, const tpair *want, size_t n, const char *what)
{
    CHECK_INT(r->n, n);
    size_t bad = 0;
    for (size_t i = 0; i < n && i < r->n; i++)
        if (r->tag[i] != want[i].idx || r->time[i] != want[i].time) bad++;
    if (bad) fprintf(stderr, "%s: %zu events out of order\n", what, bad);
    CHECK_INT(bad, 0);
}

static void shuffle_u32(sim_rng *g, uint32_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = sim_rng_below(g, (uint32_t)i);
        uint32_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* Runs fn in a child process and checks that it exits 0 (no failed check, no abort). */
static void in_child(void (*fn)(void), const char *name)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid < 0) return;
    if (pid == 0) {
        check_failures = 0;   /* count only the child's own */
        fn();
        fflush(stderr);
        _exit(check_failures ? 1 : 0);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fprintf(stderr, "%s: child %s %d\n", name,
                WIFEXITED(status) ? "exited" : "killed by signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- queue order ------------------------------------------------------------------------ */

static void test_order_random(void)
{
    enum { N = 10000 };
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    sim_rng g;
    sim_rng_seed(&g, 42);
    tpair *want = malloc(N * sizeof *want);
    rec r = {0};
    for (uint32_t i = 0; i < N; i++) {
        /* A narrow range, so that many times repeat and ties matter too. */
        want[i] = (tpair){t0 + sim_rng_below(&g, 3000), i};
        CHECK_INT(sim_world_schedule(w, want[i].time, on_record, &r, i, 0, NULL), 0);
    }
    CHECK_INT(sim_world_pending(w), N);
    qsort(want, N, sizeof *want, tpair_cmp);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), N);
    size_t backwards = 0;
    for (size_t i = 1; i < r.n; i++)
        if (r.time[i] < r.time[i - 1]) backwards++;
    CHECK_INT(backwards, 0);
    check_order(&r, want, N, "random times");
    CHECK_INT(sim_world_pending(w), 0);
    CHECK_INT(sim_world_stats_get(w)->events, N);
    CHECK_INT(sim_world_now(w), want[N - 1].time);
    rec_free(&r);
    free(want);
    sim_world_destroy(w);
}

static void test_order_ties(void)
{
    enum { N = 1000, TIMES = 5 };
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    sim_rng g;
    sim_rng_seed(&g, 7);
    /* 200 events at each of 5 times, inserted in shuffled order. */
    uint32_t slot[N];
    for (uint32_t i = 0; i < N; i++) slot[i] = i % TIMES;
    shuffle_u32(&g, slot, N);
    static const int64_t at[TIMES] = {500, 20, 20000, 7, 300};
    tpair want[N];
    rec r = {0};
    for (uint32_t i = 0; i < N; i++) {
        want[i] = (tpair){t0 + at[slot[i]], i};
        CHECK_INT(sim_world_schedule(w, want[i].time, on_record, &r, i, 0, NULL), 0);
    }
    qsort(want, N, sizeof *want, tpair_cmp);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), N);
    check_order(&r, want, N, "ties");
    rec_free(&r);
    sim_world_destroy(w);
}

/* ---- scheduling errors and scheduling at now ---------------------------------------------- */

typedef struct now_ctx {
    rec r;
    int rc;
} now_ctx;

static void on_schedule_now(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    now_ctx *c = ptr;
    rec_push(&c->r, sim_world_now(w), tag);
    c->rc = sim_world_schedule(w, sim_world_now(w), on_record, &c->r, 99, 0, NULL);
}

static void test_schedule_past_and_now(void)
{
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    now_ctx c = {.rc = 1};
    CHECK_INT(sim_world_schedule(w, t0 + 10, on_schedule_now, &c, 1, 0, NULL), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 10, on_record, &c.r, 2, 0, NULL), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 11, on_record, &c.r, 3, 0, NULL), 0);
    CHECK_INT(sim_world_schedule(w, t0 - 1, on_record, &c.r, 4, 0, NULL), -EINVAL);
    CHECK_INT(sim_world_pending(w), 3);

    /* One run: 1, then 2 (scheduled before 99 at the same time), 99 at t0 + 10, then 3. */
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 4);
    CHECK_INT(c.rc, 0);
    CHECK_INT(c.r.n, 4);
    static const uint64_t tags[] = {1, 2, 99, 3};
    static const int64_t times[] = {10, 10, 10, 11};
    for (size_t i = 0; i < 4 && i < c.r.n; i++) {
        CHECK_INT(c.r.tag[i], tags[i]);
        CHECK_INT(c.r.time[i] - t0, times[i]);
    }
    /* The clock moved: t0 + 10 is now in the past. */
    CHECK_INT(sim_world_now(w), t0 + 11);
    CHECK_INT(sim_world_schedule(w, t0 + 10, on_record, &c.r, 5, 0, NULL), -EINVAL);
    CHECK_INT(sim_world_schedule(w, t0 + 11, on_record, &c.r, 6, 0, NULL), 0);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 1);
    CHECK_INT(c.r.n, 5);
    rec_free(&c.r);
    sim_world_destroy(w);
}

/* ---- cancel --------------------------------------------------------------------------- */

static void test_cancel_basic(void)
{
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    rec r = {0};
    sim_event_id a = 0, b = 0;
    CHECK_INT(sim_world_schedule(w, t0 + 5, on_record, &r, 1, 0, &a), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 6, on_record, &r, 2, 0, &b), 0);
    CHECK(a != 0 && b != 0 && a != b);
    CHECK_INT(sim_world_cancel(w, a), 0);
    CHECK_INT(sim_world_cancel(w, a), -ENOENT);
    CHECK_INT(sim_world_cancel(w, 0), -ENOENT);
    CHECK_INT(sim_world_pending(w), 1);
    sim_time_t next = 0;
    CHECK_INT(sim_world_next_time(w, &next), 0);
    CHECK_INT(next - t0, 6);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 1);
    CHECK_INT(r.n, 1);
    CHECK_INT(r.n ? r.tag[0] : 0, 2);
    /* b has fired: its handle is stale now. */
    CHECK_INT(sim_world_cancel(w, b), -ENOENT);
    CHECK_INT(sim_world_stats_get(w)->cancelled, 1);
    CHECK_INT(sim_world_stats_get(w)->events, 1);
    CHECK_INT(sim_world_next_time(w, &next), -ENOENT);
    rec_free(&r);
    sim_world_destroy(w);
}

typedef struct cancel_ctx {
    rec r;
    sim_event_id victim, self;
    int rc_victim, rc_self;
} cancel_ctx;

static void on_cancel_other(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    cancel_ctx *c = ptr;
    rec_push(&c->r, sim_world_now(w), tag);
    c->rc_victim = sim_world_cancel(w, c->victim);
    c->rc_self = sim_world_cancel(w, c->self);
}

static void test_cancel_from_callback(void)
{
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    cancel_ctx c = {.rc_victim = 1, .rc_self = 1};
    /* The canceller at t0+10, a victim at the same time (scheduled after it), one later. */
    CHECK_INT(sim_world_schedule(w, t0 + 10, on_cancel_other, &c, 1, 0, &c.self), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 10, on_record, &c.r, 2, 0, &c.victim), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 20, on_record, &c.r, 3, 0, NULL), 0);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 2);
    CHECK_INT(c.rc_victim, 0);
    CHECK_INT(c.rc_self, -ENOENT);   /* it is running: it has already fired */
    CHECK_INT(c.r.n, 2);
    if (c.r.n == 2) {
        CHECK_INT(c.r.tag[0], 1);
        CHECK_INT(c.r.tag[1], 3);
    }
    CHECK_INT(sim_world_stats_get(w)->cancelled, 1);
    CHECK_INT(sim_world_pending(w), 0);

    /* A later victim, cancelled from a callback that runs before it. */
    rec_free(&c.r);
    c.rc_victim = c.rc_self = 1;
    CHECK_INT(sim_world_schedule(w, t0 + 30, on_cancel_other, &c, 4, 0, &c.self), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 40, on_record, &c.r, 5, 0, &c.victim), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 50, on_record, &c.r, 6, 0, NULL), 0);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 2);
    CHECK_INT(c.rc_victim, 0);
    CHECK_INT(c.rc_self, -ENOENT);
    CHECK_INT(c.r.n, 2);
    if (c.r.n == 2) {
        CHECK_INT(c.r.tag[0], 4);
        CHECK_INT(c.r.tag[1], 6);
    }
    CHECK_INT(sim_world_now(w), t0 + 50);
    rec_free(&c.r);
    sim_world_destroy(w);
}

static void test_cancel_stale_handles(void)
{
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    rec r = {0};
    sim_event_id x = 0, y = 0, z = 0;
    /* Cancelled, then its slot is reused. */
    CHECK_INT(sim_world_schedule(w, t0 + 5, on_record, &r, 1, 0, &x), 0);
    CHECK_INT(sim_world_cancel(w, x), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 5, on_record, &r, 2, 0, &y), 0);
    CHECK(x != y);
    CHECK_INT(x & 0xffffff, y & 0xffffff);   /* same slot, or the check below is vacuous */
    CHECK_INT(sim_world_cancel(w, x), -ENOENT);
    CHECK_INT(sim_world_pending(w), 1);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 1);
    CHECK_INT(r.n ? r.tag[0] : 0, 2);

    /* Fired, then its slot is reused. */
    CHECK_INT(sim_world_schedule(w, t0 + 9, on_record, &r, 3, 0, &z), 0);
    CHECK_INT(y & 0xffffff, z & 0xffffff);
    CHECK_INT(sim_world_cancel(w, y), -ENOENT);
    CHECK_INT(sim_world_cancel(w, x), -ENOENT);
    CHECK_INT(sim_world_pending(w), 1);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 1);
    CHECK_INT(r.n, 2);
    CHECK_INT(r.n == 2 ? r.tag[1] : 0, 3);
    CHECK_INT(sim_world_stats_get(w)->cancelled, 1);
    rec_free(&r);
    sim_world_destroy(w);
}

/* Schedules n events at random times from t0 with tags base.., recording (time, tag). */
static void schedule_random(sim_world *w, sim_rng *g, rec *r, sim_time_t t0, uint32_t base,
                            uint32_t n, tpair *ev, sim_event_id *ids)
{
    for (uint32_t k = base; k < base + n; k++) {
        ev[k] = (tpair){t0 + sim_rng_below(g, 100000), k};
        CHECK_INT(sim_world_schedule(w, ev[k].time, on_record, r, k, 0, &ids[k]), 0);
    }
}

static void test_cancel_compaction(void)
{
    enum { N1 = 5000, N2 = 3000, N = N1 + N2 };
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    sim_rng g;
    sim_rng_seed(&g, 99);
    tpair *ev = malloc(N * sizeof *ev);
    sim_event_id *ids = malloc(N * sizeof *ids);
    bool *dead = calloc(N, sizeof *dead);
    uint32_t *order = malloc(N * sizeof *order);
    rec r = {0};
    size_t live = 0, cancels = 0, pending_wrong = 0;

    schedule_random(w, &g, &r, t0, 0, N1, ev, ids);
    live = N1;
    size_t bytes_full = sim_world_event_bytes(w);
    /* Cancel 4000 of the first 5000 in random order: far more than 1024 stale entries. */
    for (uint32_t i = 0; i < N1; i++) order[i] = i;
    shuffle_u32(&g, order, N1);
    for (uint32_t i = 0; i < 4000; i++) {
        CHECK_INT(sim_world_cancel(w, ids[order[i]]), 0);
        dead[order[i]] = true;
        live--;
        cancels++;
        if (sim_world_pending(w) != live) pending_wrong++;
    }
    CHECK_INT(pending_wrong, 0);
    CHECK_INT(sim_world_pending(w), 1000);
    CHECK(sim_world_event_bytes(w) < bytes_full);   /* the queue was compacted */
    /* Cancelling again is harmless, before and after compaction. */
    CHECK_INT(sim_world_cancel(w, ids[order[0]]), -ENOENT);
    CHECK_INT(sim_world_cancel(w, ids[order[3999]]), -ENOENT);

    /* More events (reusing the freed slots), and a second wave of cancels over both sets. */
    schedule_random(w, &g, &r, t0, N1, N2, ev, ids);
    live += N2;
    for (uint32_t i = 0; i < N; i++) order[i] = i;
    shuffle_u32(&g, order, N);
    for (uint32_t i = 0; i < N && cancels < 6000; i++) {
        int rc = sim_world_cancel(w, ids[order[i]]);
        CHECK_INT(rc, dead[order[i]] ? -ENOENT : 0);
        if (rc == 0) {
            dead[order[i]] = true;
            live--;
            cancels++;
        }
        if (sim_world_pending(w) != live) pending_wrong++;
    }
    CHECK_INT(pending_wrong, 0);
    CHECK_INT(sim_world_pending(w), live);
    CHECK_INT(sim_world_stats_get(w)->cancelled, cancels);

    /* The survivors come out in (time, insertion) order; no cancelled event runs. */
    tpair *want = malloc(N * sizeof *want);
    size_t nwant = 0;
    for (uint32_t i = 0; i < N; i++)
        if (!dead[i]) want[nwant++] = ev[i];
    qsort(want, nwant, sizeof *want, tpair_cmp);
    CHECK_INT(nwant, live);
    size_t first_half = 0;
    while (first_half < nwant && want[first_half].time <= t0 + 50000) first_half++;
    CHECK_INT(sim_world_run(w, t0 + 50000, 0), first_half);
    CHECK_INT(sim_world_pending(w), live - first_half);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), live - first_half);
    check_order(&r, want, nwant, "after compaction");
    CHECK_INT(sim_world_pending(w), 0);
    rec_free(&r);
    free(want);
    free(order);
    free(dead);
    free(ids);
    free(ev);
    sim_world_destroy(w);
}

/* An event that cancels thousands of later ones from inside the run (compaction mid-run). */
typedef struct mass_ctx {
    rec r;
    sim_event_id *ids;
    uint32_t n;
    int failures;
} mass_ctx;

static void on_mass_cancel(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    mass_ctx *c = ptr;
    rec_push(&c->r, sim_world_now(w), tag);
    for (uint32_t i = 0; i < c->n; i++)   /* keep every fourth */
        if (i % 4 != 0 && sim_world_cancel(w, c->ids[i]) != 0) c->failures++;
}

static void test_cancel_mass_in_callback(void)
{
    enum { N = 4000 };
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    sim_rng g;
    sim_rng_seed(&g, 5);
    mass_ctx c = {.n = N, .ids = malloc(N * sizeof(sim_event_id))};
    tpair *ev = malloc(N * sizeof *ev);
    CHECK_INT(sim_world_schedule(w, t0, on_mass_cancel, &c, N, 0, NULL), 0);
    schedule_random(w, &g, &c.r, t0 + 1, 0, N, ev, c.ids);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 1 + N / 4);
    CHECK_INT(c.failures, 0);
    CHECK_INT(sim_world_stats_get(w)->cancelled, N - N / 4);
    size_t nwant = 0;
    tpair *want = malloc((N / 4 + 1) * sizeof *want);
    want[nwant++] = (tpair){t0, N};
    for (uint32_t i = 0; i < N; i += 4) want[nwant++] = ev[i];
    qsort(want, nwant, sizeof *want, tpair_cmp);
    check_order(&c.r, want, nwant, "mass cancel in callback");
    CHECK_INT(sim_world_pending(w), 0);
    rec_free(&c.r);
    free(want);
    free(ev);
    free(c.ids);
    sim_world_destroy(w);
}

/* ---- sim_world_run: limit, max_events, halt ---------------------------------------------- */

static void test_run_limit_and_cap(void)
{
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    rec r = {0};
    for (uint64_t k = 1; k <= 3; k++)
        CHECK_INT(sim_world_schedule(w, t0 + 10 * (int64_t)k, on_record, &r, k, 0, NULL), 0);
    CHECK_INT(sim_world_run(w, t0 + 25, 0), 2);
    CHECK_INT(r.n, 2);
    CHECK_INT(sim_world_pending(w), 1);
    CHECK_INT(sim_world_now(w), t0 + 20);   /* the last event's time; advancing is the caller's */
    sim_time_t next = 0;
    CHECK_INT(sim_world_next_time(w, &next), 0);
    CHECK_INT(next, t0 + 30);
    /* The limit is inclusive. */
    CHECK_INT(sim_world_run(w, t0 + 29, 0), 0);
    CHECK_INT(sim_world_run(w, t0 + 30, 0), 1);
    CHECK_INT(r.n, 3);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 0);

    /* max_events */
    for (uint64_t k = 0; k < 10; k++)
        CHECK_INT(sim_world_schedule(w, t0 + 100, on_record, &r, 10 + k, 0, NULL), 0);
    CHECK_INT(sim_world_run(w, INT64_MAX, 3), 3);
    CHECK_INT(sim_world_pending(w), 7);
    CHECK_INT(sim_world_run(w, INT64_MAX, 1), 1);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 6);
    CHECK_INT(r.n, 13);
    for (size_t i = 3; i < r.n; i++) CHECK_INT(r.tag[i], 10 + (i - 3));
    CHECK_INT(sim_world_stats_get(w)->events, 13);
    rec_free(&r);
    sim_world_destroy(w);
}

static void on_halt_twice(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    rec_push(ptr, sim_world_now(w), tag);
    sim_world_halt(w, 7, "first");
    sim_world_halt(w, 9, "second");
}

static void test_run_halt(void)
{
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    rec r = {0};
    const char *reason = NULL;
    CHECK_INT(sim_world_halted(w, &reason), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 1, on_record, &r, 1, 0, NULL), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 2, on_halt_twice, &r, 2, 0, NULL), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 2, on_record, &r, 3, 0, NULL), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 3, on_record, &r, 4, 0, NULL), 0);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 2);
    CHECK_INT(r.n, 2);
    CHECK_INT(sim_world_pending(w), 2);
    CHECK_INT(sim_world_halted(w, &reason), 7);
    CHECK_STR(reason, "first");
    sim_world_halt(w, 11, "third");
    CHECK_INT(sim_world_halted(w, &reason), 7);
    CHECK_STR(reason, "first");
    /* A halted world stays halted. */
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 0);
    CHECK_INT(r.n, 2);
    CHECK_INT(sim_world_now(w), t0 + 2);
    rec_free(&r);
    sim_world_destroy(w);
}

/* A cancelled event beyond the run's limit is skipped (popped) while looking for the next
 * event; scheduling at now afterwards is legal (now <= at) and must keep the order. */
static void stale_beyond_limit_run(void)
{
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    rec r = {0};
    sim_event_id b = 0;
    CHECK_INT(sim_world_schedule(w, t0 + 10, on_record, &r, 1, 0, NULL), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 100, on_record, &r, 2, 0, &b), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 200, on_record, &r, 3, 0, NULL), 0);
    CHECK_INT(sim_world_cancel(w, b), 0);
    CHECK_INT(sim_world_run(w, t0 + 50, 0), 1);
    CHECK_INT(sim_world_now(w), t0 + 10);
    CHECK_INT(sim_world_schedule(w, t0 + 20, on_record, &r, 4, 0, NULL), 0);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 2);
    CHECK_INT(r.n, 3);
    if (r.n == 3) {
        CHECK_INT(r.tag[1], 4);
        CHECK_INT(r.tag[2], 3);
    }
    rec_free(&r);
    sim_world_destroy(w);
}

/* The same through sim_world_next_time (what sim_run does after each batch). */
static void stale_beyond_next_time(void)
{
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    rec r = {0};
    sim_event_id b = 0;
    CHECK_INT(sim_world_schedule(w, t0 + 100, on_record, &r, 2, 0, &b), 0);
    CHECK_INT(sim_world_schedule(w, t0 + 200, on_record, &r, 3, 0, NULL), 0);
    CHECK_INT(sim_world_cancel(w, b), 0);
    sim_time_t next = 0;
    CHECK_INT(sim_world_next_time(w, &next), 0);
    CHECK_INT(next, t0 + 200);
    CHECK_INT(sim_world_schedule(w, t0 + 50, on_record, &r, 4, 0, NULL), 0);
    CHECK_INT(sim_world_next_time(w, &next), 0);
    CHECK_INT(next, t0 + 50);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 2);
    CHECK_INT(r.n, 2);
    if (r.n == 2) {
        CHECK_INT(r.tag[0], 4);
        CHECK_INT(r.tag[1], 3);
    }
    rec_free(&r);
    sim_world_destroy(w);
}

static void test_schedule_after_stale_skip(void)
{
    in_child(stale_beyond_limit_run, "schedule after a stale entry past the limit");
    in_child(stale_beyond_next_time, "schedule after next_time skipped a stale entry");
}

/* ---- node timers, crash and recovery ------------------------------------------------------ */

typedef struct probe {
    rec fired;              /* (time, tag) of every timer */
    void *args[16];
    int crashes, recovers;
} probe;

static void probe_timer(sim_node *self, uint64_t tag, void *arg)
{
    probe *p = self->state;
    if (p->fired.n < 16) p->args[p->fired.n] = arg;
    rec_push(&p->fired, sim_node_now(self), tag);
}

static void probe_crash(sim_node *self) { ((probe *)self->state)->crashes++; }
static void probe_recover(sim_node *self) { ((probe *)self->state)->recovers++; }

static const sim_node_kind probe_kind = {
    .name = "probe", .timer = probe_timer, .crash = probe_crash, .recover = probe_recover};
static const sim_node_kind mute_kind = {.name = "mute"};

static void test_node_timers(void)
{
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    probe p = {0};
    sim_node *n = NULL, *m = NULL;
    int x = 0, y = 0;
    CHECK_INT(sim_world_register_kind(w, &probe_kind), 0);
    CHECK_INT(sim_world_add_node(w, &probe_kind, "n", &p, &n), 0);
    CHECK_INT(sim_world_add_node(w, &mute_kind, "m", NULL, &m), 0);

    CHECK_INT(sim_node_after(n, 5000, 42, &x, NULL), 0);
    CHECK_INT(sim_node_after(n, 7000, UINT32_MAX, &y, NULL), 0);
    CHECK_INT(sim_node_after(n, 1, UINT64_C(1) << 32, &x, NULL), -ERANGE);
    CHECK_INT(sim_node_after(n, 1, UINT64_MAX, &x, NULL), -ERANGE);
    CHECK_INT(sim_node_after(n, -1, 1, &x, NULL), -EINVAL);
    CHECK_INT(sim_node_after(m, 1, 1, NULL, NULL), -ENOTSUP);   /* no timer callback */
    CHECK_INT(sim_world_pending(w), 2);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 2);
    CHECK_INT(p.fired.n, 2);
    if (p.fired.n == 2) {
        CHECK_INT(p.fired.time[0] - t0, 5000);
        CHECK_INT(p.fired.tag[0], 42);
        CHECK(p.args[0] == &x);
        CHECK_INT(p.fired.time[1] - t0, 7000);
        CHECK_INT(p.fired.tag[1], UINT32_MAX);
        CHECK(p.args[1] == &y);
    }

    /* sim_node_at with an absolute time, and a cancelled node timer. */
    sim_event_id id = 0;
    CHECK_INT(sim_node_at(n, t0 + 8000, 7, NULL, NULL), 0);
    CHECK_INT(sim_node_at(n, t0 + 8500, 8, NULL, &id), 0);
    CHECK_INT(sim_node_at(n, t0 + 6999, 9, NULL, NULL), -EINVAL);
    CHECK_INT(sim_world_cancel(w, id), 0);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 1);
    CHECK_INT(p.fired.n, 3);
    CHECK_INT(p.fired.n == 3 ? p.fired.tag[2] : 0, 7);
    rec_free(&p.fired);
    sim_world_destroy(w);
}

static void test_node_crash_voids_timers(void)
{
    sim_world *w = new_world(1);
    sim_time_t t0 = sim_world_now(w);
    probe p = {0};
    sim_node *n = NULL;
    CHECK_INT(sim_world_add_node(w, &probe_kind, "n", &p, &n), 0);
    CHECK_INT(sim_node_after(n, 10, 1, NULL, NULL), 0);
    CHECK_INT(sim_node_after(n, 30, 2, NULL, NULL), 0);
    CHECK_INT(sim_node_after(n, 100, 3, NULL, NULL), 0);

    sim_world_advance(w, t0 + 5);
    CHECK_INT(sim_node_crash(n, "test"), 0);
    CHECK_INT(sim_node_crash(n, "again"), -EALREADY);
    CHECK(!n->up);
    CHECK_INT(p.crashes, 1);
    CHECK_INT(sim_world_run(w, t0 + 20, 0), 1);   /* timer 1 is due but void */
    CHECK_INT(p.fired.n, 0);

    sim_world_advance(w, t0 + 20);
    CHECK_INT(sim_node_recover(n, "test"), 0);
    CHECK_INT(sim_node_recover(n, "again"), -EALREADY);
    CHECK(n->up);
    CHECK_INT(p.recovers, 1);
    /* Set after the recovery: fires. Timers 2 and 3 were set before the crash: void. */
    CHECK_INT(sim_node_after(n, 20, 4, NULL, NULL), 0);    /* t0 + 40 */
    CHECK_INT(sim_node_after(n, 200, 5, NULL, NULL), 0);   /* t0 + 220 */
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 4);
    CHECK_INT(p.fired.n, 2);
    if (p.fired.n == 2) {
        CHECK_INT(p.fired.tag[0], 4);
        CHECK_INT(p.fired.time[0] - t0, 40);
        CHECK_INT(p.fired.tag[1], 5);
        CHECK_INT(p.fired.time[1] - t0, 220);
    }

    /* A second crash voids the timers of the second life too. */
    CHECK_INT(sim_node_after(n, 10, 6, NULL, NULL), 0);
    CHECK_INT(sim_node_crash(n, NULL), 0);
    CHECK_INT(sim_node_recover(n, NULL), 0);
    CHECK_INT(sim_world_run(w, INT64_MAX, 0), 1);
    CHECK_INT(p.fired.n, 2);
    CHECK_INT(p.crashes, 2);
    CHECK_INT(p.recovers, 2);
    rec_free(&p.fired);
    sim_world_destroy(w);
}

/* ---- RNG streams ------------------------------------------------------------------------- */

static void first_draws(sim_world *w, const char *name, uint64_t out[4])
{
    sim_node *n = sim_world_find_node(w, name);
    CHECK(n != NULL);
    for (int i = 0; i < 4; i++) out[i] = n ? sim_rng_next(&n->rng) : 0;
}

static void test_rng_streams(void)
{
    static const char *const layouts[][4] = {
        {"a", NULL},
        {"x", "y", "a", NULL},
        {"a", "z", "zz", NULL},
        {"b", "a", "c", NULL},
    };
    uint64_t ref[4], got[4];
    sim_rng d;
    sim_rng_derive(&d, 1, "a");
    for (int i = 0; i < 4; i++) ref[i] = sim_rng_next(&d);
    for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++) {
        sim_world *w = new_world(1);
        for (int i = 0; layouts[l][i]; i++)
            CHECK_INT(sim_world_add_node(w, &probe_kind, layouts[l][i], NULL, NULL), 0);
        first_draws(w, "a", got);
        for (int i = 0; i < 4; i++) CHECK(got[i] == ref[i]);
        if (l == 1) {
            uint64_t other[4];
            first_draws(w, "x", other);
            CHECK(other[0] != ref[0] && other[1] != ref[1]);
        }
        sim_world_destroy(w);
    }
    /* Another seed, another stream for the same name. */
    sim_world *w = new_world(2);
    CHECK_INT(sim_world_add_node(w, &probe_kind, "a", NULL, NULL), 0);
    first_draws(w, "a", got);
    CHECK(got[0] != ref[0] && got[1] != ref[1]);
    sim_world_destroy(w);
}

/* ---- a stochastic scenario: nodes exchanging timers and messages -------------------------- */

enum { CHAT_NODES = 5, CHAT_ROUNDS = 40 };

typedef struct chat_entry {   /* 24 bytes, no padding: compared with memcmp */
    int64_t time;
    uint32_t node;
    uint32_t what;            /* 'T' timer, 'R' receive */
    uint64_t value;
} chat_entry;

typedef struct chat {
    sim_world *w;
    int msg_type;
    chat_entry *log;
    size_t n, cap;
} chat;

static void chat_log(chat *c, sim_node *n, uint32_t what, uint64_t value)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->log = realloc(c->log, c->cap * sizeof *c->log);
        if (!c->log) abort();
    }
    c->log[c->n++] = (chat_entry){sim_node_now(n), n->id, what, value};
}

static void chat_start(sim_node *self)
{
    CHECK_INT(sim_node_after(self, 1 + sim_rng_below(&self->rng, 5000), 0, NULL, NULL), 0);
}

static void chat_timer(sim_node *self, uint64_t tag, void *arg)
{
    chat *c = self->state;
    chat_log(c, self, 'T', tag);
    if (tag >= CHAT_ROUNDS) return;
    uint32_t to = (self->id + 1 + sim_rng_below(&self->rng, CHAT_NODES - 1)) % CHAT_NODES;
    uint32_t size = 100 + sim_rng_below(&self->rng, 1000);
    sim_msg *m = sim_msg_new(c->w, (uint16_t)c->msg_type, NULL, size);
    sim_node_send(self, to, m);
    CHECK_INT(sim_node_after(self, 1 + sim_rng_below(&self->rng, 5000), tag + 1, NULL, NULL), 0);
}

static void chat_receive(sim_node *self, sim_msg *m)
{
    chat *c = self->state;
    chat_log(c, self, 'R', (uint64_t)m->src << 32 | m->size);
    sim_msg_free(c->w, m);
}

static const sim_node_kind chat_kind = {
    .name = "chat", .start = chat_start, .timer = chat_timer, .receive = chat_receive};
static const sim_msg_type chat_msg = {.name = "chat"};

/* Builds the scenario in c (c->w is the new world), with every node started. */
static void chat_build(chat *c, uint64_t seed)
{
    *c = (chat){.w = new_world(seed)};
    c->msg_type = sim_msg_type_register(c->w, &chat_msg);
    CHECK(c->msg_type >= 0);
    for (int i = 0; i < CHAT_NODES; i++) {
        char name[16];
        snprintf(name, sizeof name, "node%d", i);
        CHECK_INT(sim_world_add_node(c->w, &chat_kind, name, c, NULL), 0);
    }
    sim_link_params p = {.latency = 300, .jitter = 200, .bandwidth = 1e8, .loss = 0.1, .up = true};
    for (uint32_t a = 0; a < CHAT_NODES; a++)
        for (uint32_t b = a + 1; b < CHAT_NODES; b++) CHECK_INT(sim_link_add(c->w, a, b, &p), 0);
    CHECK_INT(sim_world_start_nodes(c->w), 0);
}

static void chat_free(chat *c)
{
    sim_world_destroy(c->w);
    free(c->log);
    *c = (chat){0};
}

static bool chat_same(const chat *a, const chat *b)
{
    return a->n == b->n && memcmp(a->log, b->log, a->n * sizeof *a->log) == 0 &&
           sim_world_stats_get(a->w)->events == sim_world_stats_get(b->w)->events;
}

static void test_two_worlds(void)
{
    chat a, b, alone, other;
    chat_build(&a, 11);
    chat_build(&b, 11);
    /* Interleave the two worlds one event at a time. */
    uint64_t na = 0, nb = 0, over_cap = 0;
    for (;;) {
        uint64_t da = sim_world_run(a.w, INT64_MAX, 1);
        uint64_t db = sim_world_run(b.w, INT64_MAX, 1);
        if (da > 1 || db > 1) over_cap++;   /* a cap of 1 is a cap of 1 */
        na += da;
        nb += db;
        if (!da && !db) break;
    }
    CHECK_INT(over_cap, 0);
    CHECK_INT(na, nb);
    CHECK_INT(na, sim_world_stats_get(a.w)->events);
    chat_build(&alone, 11);
    CHECK_INT(sim_world_run(alone.w, INT64_MAX, 0), na);
    CHECK(a.n > CHAT_NODES * CHAT_ROUNDS);   /* the scenario did run: timers and messages */
    CHECK(sim_world_stats_get(a.w)->msgs_delivered > 100);
    CHECK(sim_world_stats_get(a.w)->drops_loss > 0);
    CHECK(chat_same(&a, &b));
    CHECK(chat_same(&a, &alone));
    CHECK_INT(sim_world_pending(a.w), 0);

    char ha[65], hb[65], hc[65], hd[65];
    CHECK_INT(sim_world_trace_hash(a.w, ha), 0);
    CHECK_INT(sim_world_trace_hash(b.w, hb), 0);
    CHECK_INT(sim_world_trace_hash(alone.w, hc), 0);
    CHECK_STR(ha, hb);
    CHECK_STR(ha, hc);

    chat_build(&other, 12);
    sim_world_run(other.w, INT64_MAX, 0);
    CHECK(!chat_same(&a, &other));
    CHECK_INT(sim_world_trace_hash(other.w, hd), 0);
    CHECK(strcmp(ha, hd) != 0);
    chat_free(&a);
    chat_free(&b);
    chat_free(&alone);
    chat_free(&other);
}

/* ---- trace hash --------------------------------------------------------------------------- */

static void chat_hash(uint64_t seed, const char *log_text, char hex[65], uint64_t *records)
{
    chat c;
    chat_build(&c, seed);
    sim_world_run(c.w, INT64_MAX, 0);
    /* One line per send, and one per delivery or drop. */
    const sim_world_stats *st = sim_world_stats_get(c.w);
    CHECK(st->msgs_delivered > 0 && st->drops_loss > 0);
    CHECK_INT(sim_world_trace_records(c.w), st->msgs_sent + st->msgs_delivered + st->msgs_dropped);
    if (log_text) sim_world_log(c.w, NULL, log_text);
    CHECK_INT(sim_world_trace_hash(c.w, hex), 0);
    CHECK_INT(strlen(hex), 64);
    *records = sim_world_trace_records(c.w);
    chat_free(&c);
}

static void test_trace_hash(void)
{
    char h1[65], h2[65], h3[65], h4[65], h5[65];
    uint64_t r1, r2, r3, r4, r5;
    chat_hash(21, NULL, h1, &r1);
    chat_hash(21, NULL, h2, &r2);
    chat_hash(22, NULL, h3, &r3);
    chat_hash(21, "hello", h4, &r4);
    chat_hash(21, "hellp", h5, &r5);
    CHECK(r1 >= 2 * CHAT_NODES * CHAT_ROUNDS);
    CHECK_STR(h1, h2);
    CHECK_INT(r1, r2);
    CHECK(strcmp(h1, h3) != 0);
    CHECK(strcmp(h1, h4) != 0);
    CHECK_INT(r4, r1 + 1);
    CHECK(strcmp(h4, h5) != 0);

    /* The hash so far can be read mid-run and the trace keeps growing. */
    sim_world *w = new_world(21);
    char a[65], b[65];
    CHECK_INT(sim_world_trace_hash(w, a), 0);
    sim_world_log(w, "n", "x");
    CHECK_INT(sim_world_trace_hash(w, b), 0);
    CHECK(strcmp(a, b) != 0);
    CHECK_INT(sim_world_trace_records(w), 1);
    sim_world_destroy(w);

    sim_world *off = NULL;
    sim_world_config cfg = {.seed = 1, .trace_fd = -1, .trace_off = true};
    CHECK_INT(sim_world_create(&cfg, &off), 0);
    if (off) {
        sim_world_log(off, NULL, "x");
        CHECK_INT(sim_world_trace_hash(off, a), -EINVAL);
        CHECK_INT(sim_world_trace_records(off), 0);
        sim_world_destroy(off);
    }
}

int main(void)
{
    test_order_random();
    test_order_ties();
    test_schedule_past_and_now();
    test_cancel_basic();
    test_cancel_from_callback();
    test_cancel_stale_handles();
    test_cancel_compaction();
    test_cancel_mass_in_callback();
    test_run_limit_and_cap();
    test_run_halt();
    test_schedule_after_stale_skip();
    test_node_timers();
    test_node_crash_voids_timers();
    test_rng_streams();
    test_two_worlds();
    test_trace_hash();
    CHECK_DONE();
}
