/* test_run.c - tests for the libuv driver (sim/sim_run.c) on a real uv_loop_t: fast mode's
 * end (until, drained), pause and step, run-until (also past the last event), paced mode
 * dispatching the same events at the same times as fast mode (with the clock never ahead of
 * the next event), stopping, halting and pausing from inside an event, stopping from the
 * loop, and two runs sharing one loop.
 *
 * Nothing here asserts on wall-clock time. Every test ends as libuv's own tests do: close the
 * run, let the loop process the closes, and check that uv_loop_close() finds no handle left.
 * A watchdog timer (unreferenced, so it never keeps the loop alive) stops a run that would
 * otherwise hang, and counts as a failure. */
#include "check.h"
#include "sim_rng.h"
#include "sim_run.h"
#include "sim_world.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define NONE UINT64_MAX

/* ---- a scenario: world events, optionally spawning more at random times ------------------- */

typedef struct scen {
    sim_world *w;
    sim_run *r;
    sim_time_t t0;
    sim_rng g;
    bool spawn;               /* each event schedules one or two more, while budget lasts */
    uint64_t budget;
    uint64_t stop_tag, halt_tag, pause_tag;
    sim_time_t *due;          /* the time each event (by tag) was scheduled for */
    size_t ndue, capdue;
    sim_time_t *at;           /* dispatches: when, and which */
    uint64_t *tag;
    size_t n, cap;
    size_t clock_errors;      /* an event ran at another time than its own, or time went back */
    sim_time_t clock_seen;    /* the clock as a loop-turn sampler last saw it (paced tests) */
    int done_calls;
    sim_run_end end_at_done;
    sim_run_end end_at_close;   /* sim_run_get_end() just before run_alone() closed the run */
} scen;

static void on_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node);

static void scen_at(scen *s, sim_time_t t)
{
    if (s->ndue == s->capdue) {
        s->capdue = s->capdue ? s->capdue * 2 : 64;
        s->due = realloc(s->due, s->capdue * sizeof *s->due);
        if (!s->due) abort();
    }
    s->due[s->ndue] = t;
    CHECK_INT(sim_world_schedule(s->w, t, on_event, s, s->ndue, 0, NULL), 0);
    s->ndue++;
}

static void on_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    scen *s = ptr;
    sim_time_t now = sim_world_now(w);
    if (now != s->due[tag] || (s->n && now < s->at[s->n - 1]) || now < s->clock_seen)
        s->clock_errors++;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->at = realloc(s->at, s->cap * sizeof *s->at);
        s->tag = realloc(s->tag, s->cap * sizeof *s->tag);
        if (!s->at || !s->tag) abort();
    }
    s->at[s->n] = now;
    s->tag[s->n] = tag;
    s->n++;
    if (s->spawn) {
        char text[32];
        snprintf(text, sizeof text, "e%llu", (unsigned long long)tag);
        sim_world_log(w, NULL, text);
        int kids = 1 + (sim_rng_below(&s->g, 4) == 0);
        for (int k = 0; k < kids && s->budget > 0; k++, s->budget--)
            scen_at(s, now + 1 + sim_rng_below(&s->g, 500 * SIM_MS));
    }
    if (tag == s->stop_tag) sim_run_stop(s->r);
    if (tag == s->halt_tag) sim_world_halt(w, 3, "halted by the test");
    if (tag == s->pause_tag) sim_run_pause(s->r);
}

/* A world with `ticks` events at t0, t0 + 10 ms, ... (tags 0, 1, ...). */
static void scen_ticks(scen *s, int ticks)
{
    *s = (scen){.stop_tag = NONE, .halt_tag = NONE, .pause_tag = NONE};
    CHECK_INT(sim_world_create(&(sim_world_config){.seed = 1, .trace_fd = -1}, &s->w), 0);
    if (!s->w) abort();
    s->t0 = sim_world_now(s->w);
    for (int k = 0; k < ticks; k++) scen_at(s, s->t0 + k * 10 * SIM_MS);
}

/* A world of `seeds` events in the first second, each spawning one or two more, 1 µs to
 * 500 ms later, until `budget` more have been scheduled. */
static void scen_spawning(scen *s, uint64_t seed, int seeds, uint64_t budget)
{
    scen_ticks(s, 0);
    sim_rng_seed(&s->g, seed);
    s->spawn = true;
    s->budget = budget;
    for (int i = 0; i < seeds; i++) scen_at(s, s->t0 + sim_rng_below(&s->g, SIM_SEC));
}

/* Dense: about 5000 events in 4 s, more than one fast batch. */
static void scen_random(scen *s, uint64_t seed) { scen_spawning(s, seed, 100, 5000); }

static void scen_free(scen *s)
{
    sim_world_destroy(s->w);
    free(s->due);
    free(s->at);
    free(s->tag);
}

static bool scen_same(scen *a, scen *b)
{
    char ha[65], hb[65];
    bool same = a->n == b->n && memcmp(a->at, b->at, a->n * sizeof *a->at) == 0 &&
                memcmp(a->tag, b->tag, a->n * sizeof *a->tag) == 0 &&
                sim_world_pending(a->w) == sim_world_pending(b->w) &&
                sim_world_now(a->w) == sim_world_now(b->w);
    CHECK_INT(sim_world_trace_hash(a->w, ha), 0);
    CHECK_INT(sim_world_trace_hash(b->w, hb), 0);
    return same && strcmp(ha, hb) == 0;
}

/* Names the case after its failed checks, if any (the checks print only file:line). */
static void note_case(int failures_before, const char *what, double speed)
{
    if (check_failures > failures_before)
        fprintf(stderr, "  ^ %d failed check(s) in: %s, speed %g%s\n",
                check_failures - failures_before, what, speed, speed == 0 ? " (fast)" : " (paced)");
}

/* ---- loop plumbing ----------------------------------------------------------------------- */

static void on_done(sim_run *r, void *arg)
{
    scen *s = arg;
    s->done_calls++;
    s->end_at_done = sim_run_get_end(r);
}

static void on_watchdog(uv_timer_t *h)
{
    fprintf(stderr, "watchdog: the loop ran for 20 s; stopping it\n");
    check_failures++;
    uv_stop(h->loop);
}

/* A loop with a watchdog that never keeps it alive. */
static void loop_open(uv_loop_t *loop, uv_timer_t *wd)
{
    CHECK_INT(uv_loop_init(loop), 0);
    CHECK_INT(uv_timer_init(loop, wd), 0);
    CHECK_INT(uv_timer_start(wd, on_watchdog, 20000, 0), 0);
    uv_unref((uv_handle_t *)wd);
}

static sim_run *run_new(scen *s, uv_loop_t *loop, sim_time_t until, double speed)
{
    CHECK_INT(sim_run_create(s->w, loop, until, speed, &s->r), 0);
    if (!s->r) abort();
    return s->r;
}

/* Closes the runs and the watchdog, lets the loop process the closes, checks it is empty. */
static void loop_close(uv_loop_t *loop, uv_timer_t *wd, sim_run *r1, sim_run *r2)
{
    if (r1) sim_run_close(r1);
    if (r2) sim_run_close(r2);
    uv_close((uv_handle_t *)wd, NULL);
    CHECK_INT(uv_run(loop, UV_RUN_DEFAULT), 0);
    CHECK(uv_loop_close(loop) == 0);
}

/* Turns the loop while the run is running. A paused run keeps the loop alive (its keepalive
 * timer is due in an hour), so this never blocks: UV_RUN_ONCE could sleep in the poll after
 * the turn that paused. */
static void spin_while_running(uv_loop_t *loop, sim_run *r)
{
    uint64_t t0 = uv_hrtime();
    while (sim_run_get_state(r) == SIM_RUN_RUNNING && uv_hrtime() - t0 < UINT64_C(20000000000))
        uv_run(loop, UV_RUN_NOWAIT);
    CHECK(sim_run_get_state(r) != SIM_RUN_RUNNING);
}

/* Runs s alone from start to end on a fresh loop. */
static void run_alone(scen *s, sim_time_t until, double speed)
{
    uv_loop_t loop;
    uv_timer_t wd;
    loop_open(&loop, &wd);
    sim_run *r = run_new(s, &loop, until, speed);
    CHECK_INT(sim_run_start(r, on_done, s), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(s->done_calls, 1);
    CHECK_INT(sim_run_get_state(r), SIM_RUN_DONE);
    s->end_at_close = sim_run_get_end(r);
    loop_close(&loop, &wd, r, NULL);
    s->r = NULL;   /* freed by its close callbacks */
}

/* ---- fast mode ---------------------------------------------------------------------------- */

static void test_fast_until(void)
{
    scen s;
    scen_ticks(&s, 10);   /* t0 .. t0 + 90 ms */
    sim_time_t until = s.t0 + 55 * SIM_MS;
    run_alone(&s, until, 0);
    CHECK_INT(s.end_at_done, SIM_END_UNTIL);
    CHECK_INT(s.end_at_close, SIM_END_UNTIL);
    CHECK_INT(s.n, 6);   /* t0 .. t0 + 50 ms */
    for (size_t i = 0; i < s.n; i++) CHECK_INT(s.tag[i], i);
    CHECK_INT(sim_world_now(s.w), until);
    CHECK_INT(sim_world_pending(s.w), 4);
    CHECK_INT(sim_world_stats_get(s.w)->events, 6);
    CHECK_INT(s.clock_errors, 0);
    scen_free(&s);

    /* until exactly on an event: that event runs. */
    scen_ticks(&s, 10);
    until = s.t0 + 50 * SIM_MS;
    run_alone(&s, until, 0);
    CHECK_INT(s.end_at_done, SIM_END_UNTIL);
    CHECK_INT(s.n, 6);
    CHECK_INT(sim_world_now(s.w), until);
    CHECK_INT(sim_world_pending(s.w), 4);
    scen_free(&s);
}

static void test_fast_drained(void)
{
    scen s;
    scen_ticks(&s, 4);   /* t0 .. t0 + 30 ms */
    sim_time_t until = s.t0 + 50 * SIM_MS;
    run_alone(&s, until, 0);
    CHECK_INT(s.end_at_done, SIM_END_DRAINED);
    CHECK_INT(s.n, 4);
    CHECK_INT(sim_world_now(s.w), until);
    CHECK_INT(sim_world_pending(s.w), 0);
    scen_free(&s);

    /* No events at all. */
    scen_ticks(&s, 0);
    run_alone(&s, until, 0);
    CHECK_INT(s.end_at_done, SIM_END_DRAINED);
    CHECK_INT(s.n, 0);
    CHECK_INT(sim_world_now(s.w), until);
    scen_free(&s);
}

/* ---- pause and step ---------------------------------------------------------------------- */

static void test_pause_step(void)
{
    uv_loop_t loop;
    uv_timer_t wd;
    loop_open(&loop, &wd);
    scen s;
    scen_ticks(&s, 10);
    sim_time_t until = s.t0 + 50 * SIM_MS;
    sim_run *r = run_new(&s, &loop, until, 0);
    CHECK_INT(sim_run_start(r, on_done, &s), 0);
    sim_run_pause(r);
    CHECK_INT(sim_run_get_state(r), SIM_RUN_PAUSED);
    /* A paused run dispatches nothing, however long the loop turns. */
    for (int i = 0; i < 10; i++) uv_run(&loop, UV_RUN_NOWAIT);
    CHECK_INT(s.n, 0);
    for (size_t k = 0; k < 6; k++) {
        CHECK_INT(sim_run_step(r), 1);
        CHECK_INT(s.n, k + 1);
        CHECK_INT(sim_world_now(s.w), s.t0 + (sim_time_t)k * 10 * SIM_MS);
        CHECK_INT(sim_world_pending(s.w), 9 - k);
        CHECK_INT(sim_run_get_state(r), k < 5 ? SIM_RUN_PAUSED : SIM_RUN_DONE);
    }
    /* The sixth step reached the end: the next event is after until. */
    CHECK_INT(s.done_calls, 1);
    CHECK_INT(s.end_at_done, SIM_END_UNTIL);
    CHECK_INT(sim_run_step(r), 0);
    CHECK_INT(s.n, 6);
    CHECK_INT(sim_world_now(s.w), until);
    loop_close(&loop, &wd, r, NULL);
    scen_free(&s);

    /* Step twice, then resume: the rest runs as if never paused. */
    loop_open(&loop, &wd);
    scen_ticks(&s, 10);
    r = run_new(&s, &loop, until, 0);
    sim_run_pause(r);   /* before the start: the run starts paused */
    CHECK_INT(sim_run_get_state(r), SIM_RUN_PAUSED);
    CHECK_INT(sim_run_step(r), 1);
    CHECK_INT(sim_run_step(r), 1);
    CHECK_INT(sim_world_now(s.w), s.t0 + 10 * SIM_MS);
    sim_run_resume(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(sim_run_get_state(r), SIM_RUN_DONE);
    CHECK_INT(sim_run_get_end(r), SIM_END_UNTIL);
    CHECK_INT(s.n, 6);
    CHECK_INT(sim_world_now(s.w), until);
    loop_close(&loop, &wd, r, NULL);
    scen_free(&s);
}

/* ---- run-until ----------------------------------------------------------------------------- */

static void run_until_case(double speed)
{
    int failures_before = check_failures;
    uv_loop_t loop;
    uv_timer_t wd;
    loop_open(&loop, &wd);
    scen s;
    scen_ticks(&s, 10);   /* t0 .. t0 + 90 ms */
    sim_time_t until = s.t0 + 100 * SIM_MS;
    sim_run *r = run_new(&s, &loop, until, speed);
    CHECK_INT(sim_run_start(r, on_done, &s), 0);
    CHECK_INT(sim_run_until(r, s.t0 + 35 * SIM_MS), 0);
    spin_while_running(&loop, r);
    CHECK_INT(sim_run_get_state(r), SIM_RUN_PAUSED);
    CHECK_INT(s.n, 4);
    CHECK_INT(sim_world_now(s.w), s.t0 + 35 * SIM_MS);
    CHECK_INT(sim_world_pending(s.w), 6);
    CHECK_INT(s.done_calls, 0);

    CHECK_INT(sim_run_until(r, s.t0 + 34 * SIM_MS), -EINVAL);   /* in the past */
    CHECK_INT(sim_run_until(r, s.t0 + 70 * SIM_MS), 0);         /* inclusive */
    spin_while_running(&loop, r);
    CHECK_INT(sim_run_get_state(r), SIM_RUN_PAUSED);
    CHECK_INT(s.n, 8);
    CHECK_INT(sim_world_now(s.w), s.t0 + 70 * SIM_MS);
    CHECK_INT(sim_world_pending(s.w), 2);

    sim_run_resume(r);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(s.done_calls, 1);
    CHECK_INT(s.end_at_done, SIM_END_DRAINED);
    CHECK_INT(s.n, 10);
    for (size_t i = 0; i < s.n; i++) CHECK_INT(s.tag[i], i);
    CHECK_INT(sim_world_now(s.w), until);
    CHECK_INT(s.clock_errors, 0);
    CHECK_INT(sim_run_until(r, until + 1), -EALREADY);
    loop_close(&loop, &wd, r, NULL);
    scen_free(&s);
    note_case(failures_before, "sim_run_until", speed);
}

/* Run-until past the last pending event: the run pauses at t all the same (sim_run.h: "run
 * until simulated time t, then pause there"), rather than ending drained at until. */
static void run_until_past_last_case(double speed)
{
    int failures_before = check_failures;
    uv_loop_t loop;
    uv_timer_t wd;
    loop_open(&loop, &wd);
    scen s;
    scen_ticks(&s, 3);   /* t0 .. t0 + 20 ms */
    sim_time_t until = s.t0 + 100 * SIM_MS;
    sim_run *r = run_new(&s, &loop, until, speed);
    CHECK_INT(sim_run_start(r, on_done, &s), 0);
    CHECK_INT(sim_run_until(r, s.t0 + 50 * SIM_MS), 0);
    spin_while_running(&loop, r);
    CHECK_INT(s.n, 3);
    CHECK_INT(sim_run_get_state(r), SIM_RUN_PAUSED);
    CHECK_INT(s.done_calls, 0);
    CHECK_INT(sim_world_now(s.w), s.t0 + 50 * SIM_MS);
    if (sim_run_get_state(r) == SIM_RUN_PAUSED) {
        sim_run_resume(r);
        spin_while_running(&loop, r);
    }
    CHECK_INT(s.done_calls, 1);
    CHECK_INT(s.end_at_done, SIM_END_DRAINED);
    CHECK_INT(sim_world_now(s.w), until);
    loop_close(&loop, &wd, r, NULL);
    scen_free(&s);
    note_case(failures_before, "sim_run_until past the last event", speed);
}

static void test_run_until(void)
{
    run_until_case(0);
    run_until_case(1e6);
    run_until_case(1e3);
    run_until_past_last_case(0);
    run_until_past_last_case(1e6);
}

/* ---- paced mode ------------------------------------------------------------------------------ */

/* Samples the world on every loop turn: the clock must never pass the next pending event,
 * and no event may run at a time earlier than the clock was seen at (see on_event). */
typedef struct sampler {
    uv_check_t h;
    scen *s;
    size_t samples, ahead;
} sampler;

static void on_sample(uv_check_t *h)
{
    sampler *sm = h->data;
    sim_time_t next, now = sim_world_now(sm->s->w);
    sm->samples++;
    sm->s->clock_seen = now;
    if (sim_world_next_time(sm->s->w, &next) == 0 && now > next) sm->ahead++;
}

static void run_sampled(scen *s, sim_time_t until, double speed, sampler *sm)
{
    uv_loop_t loop;
    uv_timer_t wd;
    loop_open(&loop, &wd);
    *sm = (sampler){.s = s};
    CHECK_INT(uv_check_init(&loop, &sm->h), 0);
    sm->h.data = sm;
    CHECK_INT(uv_check_start(&sm->h, on_sample), 0);
    uv_unref((uv_handle_t *)&sm->h);
    sim_run *r = run_new(s, &loop, until, speed);
    CHECK_INT(sim_run_start(r, on_done, s), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(s->done_calls, 1);
    uv_close((uv_handle_t *)&sm->h, NULL);
    loop_close(&loop, &wd, r, NULL);
}

/* The scenario run fast, then paced at each speed: the same dispatches at the same times,
 * the same trace. */
static void paced_case(int seeds, uint64_t budget, sim_run_end want, const double *speeds,
                       size_t nspeeds)
{
    int failures_before = check_failures;
    scen fast, paced;
    sampler sm;
    scen_spawning(&fast, 77, seeds, budget);
    sim_time_t until = fast.t0 + 3 * SIM_SEC;
    run_sampled(&fast, until, 0, &sm);
    CHECK_INT(fast.end_at_done, want);
    CHECK(fast.n > budget / 5);
    CHECK(want == SIM_END_UNTIL ? sim_world_pending(fast.w) > 0 : sim_world_pending(fast.w) == 0);
    CHECK_INT(fast.clock_errors, 0);
    CHECK_INT(sm.ahead, 0);
    note_case(failures_before, "paced vs fast: the fast run", 0);

    for (size_t i = 0; i < nspeeds; i++) {
        failures_before = check_failures;
        scen_spawning(&paced, 77, seeds, budget);
        run_sampled(&paced, until, speeds[i], &sm);
        CHECK_INT(paced.end_at_done, want);
        CHECK(scen_same(&fast, &paced));
        CHECK_INT(paced.clock_errors, 0);
        CHECK(sm.samples > 0);
        CHECK_INT(sm.ahead, 0);
        scen_free(&paced);
        note_case(failures_before, "paced vs fast", speeds[i]);
    }
    scen_free(&fast);
}

static void test_paced_same_as_fast(void)
{
    /* Dense (5000 events in 4 s): many events per timer turn. */
    static const double dense[] = {1e6, 1e3};
    paced_case(100, 5000, SIM_END_UNTIL, dense, 2);
    /* Sparse (100 events, drained before the end; some 30 ms of wall time at speed 100): the
     * timer sleeps between events and the clock moves between them. */
    static const double sparse[] = {1e3, 1e2};
    paced_case(10, 90, SIM_END_DRAINED, sparse, 2);
}

/* ---- stop, halt and pause from inside an event ---------------------------------------------- */

static void stop_case(double speed, bool halt)
{
    int failures_before = check_failures;
    scen s;
    scen_ticks(&s, 10);
    if (halt)
        s.halt_tag = 3;
    else
        s.stop_tag = 3;
    sim_time_t until = s.t0 + 100 * SIM_MS;
    run_alone(&s, until, speed);
    CHECK_INT(s.end_at_done, halt ? SIM_END_HALTED : SIM_END_STOPPED);
    CHECK_INT(s.end_at_close, halt ? SIM_END_HALTED : SIM_END_STOPPED);
    CHECK_INT(s.n, 4);   /* t0 .. t0 + 30 ms */
    CHECK_INT(sim_world_pending(s.w), 6);
    CHECK_INT(sim_world_now(s.w), s.t0 + 30 * SIM_MS);
    CHECK_INT(sim_world_halted(s.w, NULL), halt ? 3 : 0);
    scen_free(&s);
    note_case(failures_before,
              halt ? "sim_world_halt inside an event" : "sim_run_stop inside an event", speed);
}

static void test_stop_in_callback(void)
{
    stop_case(0, false);
    stop_case(1e6, false);
}

static void test_halt_in_callback(void)
{
    stop_case(0, true);
    stop_case(1e6, true);
}

/* sim_run_pause from inside an event: the run pauses after that event, as from outside. */
static void pause_case(double speed)
{
    int failures_before = check_failures;
    uv_loop_t loop;
    uv_timer_t wd;
    loop_open(&loop, &wd);
    scen s;
    scen_ticks(&s, 10);
    s.pause_tag = 3;
    sim_time_t until = s.t0 + 100 * SIM_MS;
    sim_run *r = run_new(&s, &loop, until, speed);
    CHECK_INT(sim_run_start(r, on_done, &s), 0);
    spin_while_running(&loop, r);
    CHECK_INT(sim_run_get_state(r), SIM_RUN_PAUSED);
    CHECK_INT(s.done_calls, 0);
    CHECK_INT(s.n, 4);
    CHECK_INT(sim_world_pending(s.w), 6);
    CHECK_INT(sim_world_now(s.w), s.t0 + 30 * SIM_MS);
    if (sim_run_get_state(r) == SIM_RUN_PAUSED) {
        sim_run_resume(r);
        spin_while_running(&loop, r);
    }
    CHECK_INT(s.done_calls, 1);
    CHECK_INT(s.end_at_done, SIM_END_DRAINED);
    CHECK_INT(s.n, 10);
    loop_close(&loop, &wd, r, NULL);
    scen_free(&s);
    note_case(failures_before, "sim_run_pause inside an event", speed);
}

static void test_pause_in_callback(void)
{
    pause_case(0);
    pause_case(1e6);
}

/* sim_run_stop from outside any event (Ctrl-C, the dashboard): stops at once. */
static void on_stop_timer(uv_timer_t *h)
{
    scen *s = h->data;
    sim_run_stop(s->r);
}

static void test_stop_from_loop(void)
{
    uv_loop_t loop;
    uv_timer_t wd, stopper;
    loop_open(&loop, &wd);
    scen s;
    scen_ticks(&s, 10);
    sim_time_t until = s.t0 + 100 * SIM_MS;
    sim_run *r = run_new(&s, &loop, until, 0);
    CHECK_INT(sim_run_start(r, on_done, &s), 0);
    sim_run_pause(r);
    CHECK_INT(sim_run_step(r), 1);
    CHECK_INT(uv_timer_init(&loop, &stopper), 0);
    stopper.data = &s;
    CHECK_INT(uv_timer_start(&stopper, on_stop_timer, 0, 0), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(s.done_calls, 1);
    CHECK_INT(s.end_at_done, SIM_END_STOPPED);
    CHECK_INT(s.n, 1);
    CHECK_INT(sim_world_pending(s.w), 9);
    CHECK_INT(sim_world_now(s.w), s.t0);
    sim_run_stop(r);   /* a second stop changes nothing */
    CHECK_INT(s.done_calls, 1);
    uv_close((uv_handle_t *)&stopper, NULL);
    loop_close(&loop, &wd, r, NULL);
    scen_free(&s);
}

/* ---- watchers of the close ------------------------------------------------------------------ */

static void count_close(void *arg) { (*(int *)arg)++; }

/* A server on the same loop is told when the run closes, once, even when the run never started
 * (another listener failed to open); one that closed first and said so is not. */
static void test_close_watchers(void)
{
    uv_loop_t loop;
    uv_timer_t wd;
    loop_open(&loop, &wd);
    scen s;
    scen_ticks(&s, 10);
    sim_run *r = run_new(&s, &loop, s.t0 + SIM_SEC, 0);
    int a = 0, b = 0, c = 0, d = 0, e = 0;
    CHECK_INT(sim_run_on_close(r, count_close, &a), 0);
    CHECK_INT(sim_run_on_close(r, count_close, &b), 0);
    CHECK_INT(sim_run_on_close(r, count_close, &c), 0);
    sim_run_off_close(r, count_close, &b);
    CHECK_INT(sim_run_on_close(r, count_close, &b), 0);
    CHECK_INT(sim_run_on_close(r, count_close, &d), 0);
    CHECK_INT(sim_run_on_close(r, count_close, &e), -ENOSPC);   /* SIM_RUN_WATCHERS */
    sim_run_off_close(r, count_close, &b);
    CHECK_INT(a + b + c + d + e, 0);
    loop_close(&loop, &wd, r, NULL);
    CHECK_INT(a, 1);
    CHECK_INT(b, 0);
    CHECK_INT(c, 1);
    CHECK_INT(d, 1);
    CHECK_INT(e, 0);
    scen_free(&s);
}

/* ---- two runs on one loop ------------------------------------------------------------------- */

static void two_runs_case(double speed_a, double speed_b)
{
    int failures_before = check_failures;
    scen a1, b1, a2, b2;
    scen_random(&a1, 101);
    scen_random(&b1, 202);
    sim_time_t until = a1.t0 + 4 * SIM_SEC;
    run_alone(&a1, until, 0);
    run_alone(&b1, until, 0);
    CHECK(!scen_same(&a1, &b1));   /* different seeds, different runs: a useful comparison */

    uv_loop_t loop;
    uv_timer_t wd;
    loop_open(&loop, &wd);
    scen_random(&a2, 101);
    scen_random(&b2, 202);
    sim_run *ra = run_new(&a2, &loop, until, speed_a);
    sim_run *rb = run_new(&b2, &loop, until, speed_b);
    CHECK_INT(sim_run_start(ra, on_done, &a2), 0);
    CHECK_INT(sim_run_start(rb, on_done, &b2), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(a2.done_calls, 1);
    CHECK_INT(b2.done_calls, 1);
    CHECK_INT(a2.end_at_done, a1.end_at_done);
    CHECK_INT(b2.end_at_done, b1.end_at_done);
    CHECK(scen_same(&a1, &a2));
    CHECK(scen_same(&b1, &b2));
    CHECK_INT(a2.clock_errors + b2.clock_errors, 0);
    loop_close(&loop, &wd, ra, rb);
    scen_free(&a1);
    scen_free(&b1);
    scen_free(&a2);
    scen_free(&b2);
    note_case(failures_before, "two runs on one loop", speed_b);
}

static void test_two_runs_one_loop(void)
{
    two_runs_case(0, 0);
    two_runs_case(0, 1e4);
}

int main(void)
{
    test_fast_until();
    test_fast_drained();
    test_pause_step();
    test_run_until();
    test_paced_same_as_fast();
    test_stop_in_callback();
    test_halt_in_callback();
    test_pause_in_callback();
    test_stop_from_loop();
    test_two_runs_one_loop();
    test_close_watchers();
    CHECK_DONE();
}
