/* sim_run.c - the libuv driver of a world (see sim_run.h).
 *
 * The wall clock is read here, and only here, to decide *when* to dispatch; simulation logic
 * never sees it. Handles are freed only from their close callbacks. */
#include "sim_run.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    FAST_SLICE_NS = 8 * 1000 * 1000,    /* wall time per idle turn before yielding to I/O */
    FAST_BATCH = 2048,                  /* events between wall-clock checks */
    PACED_BATCH = 4096,                 /* events per timer turn when behind */
    PACED_MAX_SLEEP_MS = 250,           /* wake at least this often to move the clock */
};

struct sim_run {
    sim_world *w;
    uv_loop_t *loop;
    uv_idle_t idle;
    uv_timer_t timer;
    sim_run_state state;
    sim_run_end end;
    sim_time_t until;           /* the run's end */
    sim_time_t pause_at;        /* run-until target; INT64_MAX when none */
    double speed;
    uint64_t anchor_wall_ns;    /* paced mode: this wall instant ... */
    sim_time_t anchor_sim;      /* ... corresponds to this simulated time */
    sim_run_done_cb done;
    void *done_arg;
    int open_handles;
    struct { void (*fn)(void *); void *arg; } watchers[SIM_RUN_WATCHERS];
    int nwatchers;
    void (*mark_fn)(void *arg);  /* sim_run_set_marks: called between events at each mark */
    void *mark_arg;
    sim_time_t mark_next, mark_every;
};

int sim_run_create(sim_world *w, uv_loop_t *loop, sim_time_t until, double speed, sim_run **out)
{
    if (!(speed >= 0) || !isfinite(speed)) return -EINVAL;
    sim_run *r = calloc(1, sizeof *r);
    if (!r) return -ENOMEM;
    *r = (sim_run){.w = w, .loop = loop, .until = until, .speed = speed, .pause_at = INT64_MAX};
    uv_idle_init(loop, &r->idle);
    uv_timer_init(loop, &r->timer);
    r->idle.data = r->timer.data = r;
    r->open_handles = 2;
    *out = r;
    return 0;
}

static void stop_handles(sim_run *r)
{
    uv_idle_stop(&r->idle);
    uv_timer_stop(&r->timer);
}

static void finish(sim_run *r, sim_run_end end)
{
    if (r->state == SIM_RUN_DONE) return;
    sim_world_yield(r->w);   /* when called from inside an event: dispatch nothing more */
    stop_handles(r);
    r->state = SIM_RUN_DONE;
    r->end = end;
    if (end == SIM_END_UNTIL || end == SIM_END_DRAINED) sim_world_advance(r->w, r->until);
    if (r->done) r->done(r, r->done_arg);
}

/* After dispatching: is the run over, or has it reached its pause point? */
static bool check_end(sim_run *r)
{
    if (sim_world_halted(r->w, NULL)) {
        finish(r, SIM_END_HALTED);
        return true;
    }
    sim_time_t next;
    bool have = sim_world_next_time(r->w, &next) == 0;
    if (r->pause_at < r->until && (!have || next > r->pause_at)) {
        sim_world_advance(r->w, r->pause_at);
        r->pause_at = INT64_MAX;
        sim_run_pause(r);
        return true;
    }
    if (!have || next > r->until) {
        finish(r, have ? SIM_END_UNTIL : SIM_END_DRAINED);
        return true;
    }
    return false;
}

static sim_time_t limit(const sim_run *r)
{
    sim_time_t l = r->pause_at < r->until ? r->pause_at : r->until;
    return r->mark_fn && r->mark_next < l ? r->mark_next : l;
}

/* Every event up to the next mark has run, and none after it: call the mark's function there,
 * between events, outside any. Marks with no event between them are one (nothing differs).
 * Returns true when the run is no longer running after it (the function paused it). */
static bool reach_mark(sim_run *r)
{
    sim_time_t next;
    if (!r->mark_fn || sim_world_next_time(r->w, &next) < 0 || next <= r->mark_next) return false;
    while (r->mark_next < next && r->mark_next < INT64_MAX - r->mark_every) r->mark_next += r->mark_every;
    if (r->mark_next < next) r->mark_next = INT64_MAX;
    r->mark_fn(r->mark_arg);
    return r->state != SIM_RUN_RUNNING;
}

static void on_idle(uv_idle_t *h)
{
    sim_run *r = h->data;
    uint64_t t0 = uv_hrtime();
    do {
        sim_world_run(r->w, limit(r), FAST_BATCH);
        if (r->state != SIM_RUN_RUNNING || check_end(r)) return;   /* paused or stopped inside */
        if (reach_mark(r)) return;
    } while (uv_hrtime() - t0 < FAST_SLICE_NS);
}

static void anchor(sim_run *r)
{
    r->anchor_wall_ns = uv_hrtime();
    r->anchor_sim = sim_world_now(r->w);
}

static void arm_paced(sim_run *r);

static void on_timer(uv_timer_t *h)
{
    sim_run *r = h->data;
    double elapsed_us = (double)(uv_hrtime() - r->anchor_wall_ns) / 1e3;
    sim_time_t target = r->anchor_sim + (sim_time_t)(elapsed_us * r->speed);
    sim_time_t lim = limit(r);
    if (target > lim) target = lim;
    uint64_t n = sim_world_run(r->w, target, PACED_BATCH);
    if (r->state != SIM_RUN_RUNNING || check_end(r)) return;   /* paused or stopped inside */
    if (reach_mark(r)) return;
    if (n < PACED_BATCH) sim_world_advance(r->w, target);
    arm_paced(r);
}

static void arm_paced(sim_run *r)
{
    sim_time_t next;
    if (sim_world_next_time(r->w, &next) < 0) next = r->until;
    if (next > limit(r)) next = limit(r);
    double due_ns = (double)(next - r->anchor_sim) / r->speed * 1e3;
    double wait_ns = due_ns - (double)(uv_hrtime() - r->anchor_wall_ns);
    uint64_t ms = wait_ns <= 0 ? 0 : (uint64_t)ceil(wait_ns / 1e6);
    if (ms > PACED_MAX_SLEEP_MS) ms = PACED_MAX_SLEEP_MS;
    uv_timer_start(&r->timer, on_timer, ms, 0);
}

static void go(sim_run *r)
{
    r->state = SIM_RUN_RUNNING;
    if (check_end(r)) return;
    if (r->speed == 0) {
        uv_idle_start(&r->idle, on_idle);
    } else {
        anchor(r);
        arm_paced(r);
    }
}

int sim_run_start(sim_run *r, sim_run_done_cb done, void *arg)
{
    if (r->state != SIM_RUN_IDLE) return -EALREADY;
    r->done = done;
    r->done_arg = arg;
    go(r);
    return 0;
}

/* A paused run keeps the loop alive (the dashboard will resume it), but does nothing. */
static void on_keepalive(uv_timer_t *h) { (void)h; }

void sim_run_pause(sim_run *r)
{
    if (r->state != SIM_RUN_RUNNING && r->state != SIM_RUN_IDLE) return;
    sim_world_yield(r->w);
    stop_handles(r);
    r->state = SIM_RUN_PAUSED;
    uv_timer_start(&r->timer, on_keepalive, 3600 * 1000, 3600 * 1000);
}

void sim_run_resume(sim_run *r)
{
    if (r->state != SIM_RUN_PAUSED) return;
    stop_handles(r);
    go(r);
}

int sim_run_step(sim_run *r)
{
    if (r->state == SIM_RUN_DONE) return 0;
    if (r->state != SIM_RUN_PAUSED) sim_run_pause(r);
    uint64_t n = sim_world_run(r->w, r->until, 1);
    if (sim_world_halted(r->w, NULL)) {
        finish(r, SIM_END_HALTED);
    } else {
        sim_time_t next;
        if (sim_world_next_time(r->w, &next) < 0)
            finish(r, SIM_END_DRAINED);
        else if (next > r->until)
            finish(r, SIM_END_UNTIL);
    }
    return (int)n;
}

int sim_run_until(sim_run *r, sim_time_t t)
{
    if (r->state == SIM_RUN_DONE) return -EALREADY;
    if (t < sim_world_now(r->w)) return -EINVAL;
    r->pause_at = t;
    if (r->state == SIM_RUN_PAUSED || r->state == SIM_RUN_IDLE) {
        stop_handles(r);
        go(r);
    }
    return 0;
}

int sim_run_set_marks(sim_run *r, sim_time_t every, void (*fn)(void *arg), void *arg)
{
    if (every <= 0) return -EINVAL;
    r->mark_fn = fn;
    r->mark_arg = arg;
    r->mark_every = every;
    sim_time_t now = sim_world_now(r->w);
    r->mark_next = now > INT64_MAX - every ? INT64_MAX : now + every;
    return 0;
}

void sim_run_hold(sim_run *r)
{
    if (r->state == SIM_RUN_DONE) return;
    r->pause_at = INT64_MAX;
    r->state = SIM_RUN_RUNNING;   /* whatever it was where the process was copied: paused now */
    sim_run_pause(r);
}

int sim_run_set_speed(sim_run *r, double speed)
{
    if (!(speed >= 0) || !isfinite(speed)) return -EINVAL;
    r->speed = speed;
    if (r->state == SIM_RUN_RUNNING) {
        stop_handles(r);
        go(r);
    }
    return 0;
}

void sim_run_stop(sim_run *r)
{
    if (r->state == SIM_RUN_DONE) return;
    finish(r, SIM_END_STOPPED);
}

static void on_close(uv_handle_t *h)
{
    sim_run *r = h->data;
    if (--r->open_handles == 0) free(r);
}

int sim_run_on_close(sim_run *r, void (*fn)(void *arg), void *arg)
{
    if (r->nwatchers == SIM_RUN_WATCHERS) return -ENOSPC;
    r->watchers[r->nwatchers].fn = fn;
    r->watchers[r->nwatchers].arg = arg;
    r->nwatchers++;
    return 0;
}

void sim_run_off_close(sim_run *r, void (*fn)(void *arg), void *arg)
{
    for (int i = 0; i < r->nwatchers; i++) {
        if (r->watchers[i].fn != fn || r->watchers[i].arg != arg) continue;
        memmove(&r->watchers[i], &r->watchers[i + 1], (size_t)(r->nwatchers - i - 1) * sizeof r->watchers[0]);
        r->nwatchers--;
        return;
    }
}

void sim_run_close(sim_run *r)
{
    while (r->nwatchers > 0) {   /* each is forgotten before it is called: it may call off_close */
        r->nwatchers--;
        r->watchers[r->nwatchers].fn(r->watchers[r->nwatchers].arg);
    }
    stop_handles(r);
    uv_close((uv_handle_t *)&r->idle, on_close);
    uv_close((uv_handle_t *)&r->timer, on_close);
}

sim_run_state sim_run_get_state(const sim_run *r) { return r->state; }
sim_run_end sim_run_get_end(const sim_run *r) { return r->end; }
sim_time_t sim_run_get_until(const sim_run *r) { return r->until; }
double sim_run_get_speed(const sim_run *r) { return r->speed; }
sim_world *sim_run_world(const sim_run *r) { return r->w; }

sim_time_t sim_run_paced_now(const sim_run *r)
{
    sim_time_t now = sim_world_now(r->w);
    if (r->state != SIM_RUN_RUNNING || r->speed == 0) return now;
    double elapsed_us = (double)(uv_hrtime() - r->anchor_wall_ns) / 1e3;
    sim_time_t t = r->anchor_sim + (sim_time_t)(elapsed_us * r->speed);
    if (t > limit(r)) t = limit(r);
    return t > now ? t : now;
}
