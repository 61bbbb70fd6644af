/* sim_run.h - drives a world on a libuv loop: fast or paced, pause, step, run-until, speed.
 *
 * Fast mode drains events in batches from an idle handle, a few milliseconds of wall time per
 * turn, so the loop keeps serving I/O (the web dashboard) between batches. Paced mode sleeps
 * on a timer until the wall-clock moment of the next event at `speed` simulated seconds per
 * wall second. Pacing changes when events run, never which or in what order: the trace is
 * the same in both modes. These are the engine calls a dashboard drives. */
#ifndef RENKEI_SIM_RUN_H
#define RENKEI_SIM_RUN_H

#include <uv.h>

#include "sim_world.h"

typedef struct sim_run sim_run;

typedef enum sim_run_state {
    SIM_RUN_IDLE,        /* created, not started */
    SIM_RUN_RUNNING,
    SIM_RUN_PAUSED,
    SIM_RUN_DONE,        /* reached the end, ran out of events, halted or stopped */
} sim_run_state;

typedef enum sim_run_end {
    SIM_END_NONE,
    SIM_END_UNTIL,       /* reached the end time */
    SIM_END_DRAINED,     /* no events left before the end time */
    SIM_END_HALTED,      /* sim_world_halt(): a script error or the like */
    SIM_END_STOPPED,     /* sim_run_stop(): Ctrl-C, the dashboard */
} sim_run_end;

typedef void (*sim_run_done_cb)(sim_run *r, void *arg);

/* speed 0 is fast mode; otherwise simulated seconds per wall second (1 = real time). */
int  sim_run_create(sim_world *w, uv_loop_t *loop, sim_time_t until, double speed, sim_run **out);
int  sim_run_start(sim_run *r, sim_run_done_cb done, void *arg);
void sim_run_pause(sim_run *r);
void sim_run_resume(sim_run *r);
/* Dispatch exactly one event and stay paused; returns 1 if one ran, 0 if none was due. */
int  sim_run_step(sim_run *r);
/* Run (at the current pacing) until simulated time t, then pause there. */
int  sim_run_until(sim_run *r, sim_time_t t);
int  sim_run_set_speed(sim_run *r, double speed);
/* Call fn(arg) every `every` of simulated time from now, between events, from the loop (never
 * inside an event): when every event up to the mark has run and none after it (a rewind's
 * checkpoint: the process is copied there). -EINVAL for every <= 0. */
int  sim_run_set_marks(sim_run *r, sim_time_t every, void (*fn)(void *arg), void *arg);
/* Pause here and forget any run-until target (a process resumed from a checkpoint). */
void sim_run_hold(sim_run *r);
void sim_run_stop(sim_run *r);
/* Close the handles; r is freed in the last close callback (after uv_run returns). First the
 * watchers registered with sim_run_on_close are called, newest first. */
void sim_run_close(sim_run *r);
/* Call fn(arg) when r is closed, before it goes: for what drives the run from the same loop
 * (a dashboard's server, whose timer would otherwise read r after it is freed and whose
 * listener would keep the loop from ending) to close itself. At most SIM_RUN_WATCHERS:
 * -ENOSPC. sim_run_off_close forgets one (fn and arg as given), for a watcher closed first. */
enum { SIM_RUN_WATCHERS = 4 };
int  sim_run_on_close(sim_run *r, void (*fn)(void *arg), void *arg);
void sim_run_off_close(sim_run *r, void (*fn)(void *arg), void *arg);

sim_run_state sim_run_get_state(const sim_run *r);
sim_run_end   sim_run_get_end(const sim_run *r);
sim_time_t    sim_run_get_until(const sim_run *r);
double        sim_run_get_speed(const sim_run *r);
sim_world    *sim_run_world(const sim_run *r);
/* Paced and running: the simulated time the pacing has reached at this wall instant (the
 * world's clock lags it by up to one timer turn); otherwise the world's clock. For drivers
 * outside the simulation that must say *when* something from outside enters it (connection
 * tests); simulation logic never calls it. */
sim_time_t    sim_run_paced_now(const sim_run *r);

#endif
