/* sim_runs.h - many independent runs of a simulation over worker processes: Monte Carlo
 * over seeds. Domain-agnostic: a run is a function of its seed that returns one line of
 * text (the caller's record, e.g. JSON), and the caller folds the lines together.
 *
 * Worker processes rather than threads: each run builds a whole world (a national topology
 * is hundreds of megabytes), and a process returns all of it to the system when it ends,
 * keeps a crash or an abort in one run from taking the others down, and shares nothing by
 * accident (libc, SQLite, OpenSSL and stdio state stay per process). The records are small
 * and travel through a pipe per worker. Seeds are dealt round-robin; the lines are handed to
 * the caller in seed order whatever order the workers finish in, so the outcome never
 * depends on scheduling. */
#ifndef RENKEI_SIM_RUNS_H
#define RENKEI_SIM_RUNS_H

#include <stdint.h>

/* In a worker: run `seed`, and set *text to a malloc'd line (no newline; may be NULL when
 * there is nothing to say). The return value is ignored beyond logging; failures belong in
 * the text. */
typedef int (*sim_runs_one_fn)(uint64_t seed, void *ud, char **text);
/* In the calling process, once per finished run, in seed order; text is "" when the seed
 * could not be run (no worker could be started for it). */
typedef void (*sim_runs_collect_fn)(uint64_t seed, const char *text, void *ud);
/* In the calling process, in seed order with the others: a seed whose worker died running
 * it on each of its tries (a worker that dies is replaced and its seed tried again once);
 * wait_status is the last such worker's, as waitpid() gave it. When NULL, collect gets "". */
typedef void (*sim_runs_lost_fn)(uint64_t seed, int wait_status, void *ud);
/* Told how many runs have finished, as they finish (progress); may be NULL. */
typedef void (*sim_runs_progress_fn)(uint64_t done, uint64_t count, void *ud);

typedef struct sim_runs_config {
    uint64_t first_seed, count;
    int jobs;                     /* worker processes, at least 1 */
    sim_runs_one_fn one;
    void *one_ud;
    sim_runs_collect_fn collect;
    sim_runs_lost_fn lost;        /* may be NULL */
    sim_runs_progress_fn progress;
    void *collect_ud;
} sim_runs_config;

/* Runs seeds first_seed .. first_seed + count - 1. Returns 0; -EINTR when SIGINT arrived
 * (the workers are stopped and the runs that finished are still collected); or a negative
 * errno when the workers could not be started. stdout must be flushed before the call. */
int sim_runs(const sim_runs_config *cfg);

#endif
