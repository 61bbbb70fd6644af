/* test_runs.c - unit tests for sim/sim_runs: seeds dealt to worker processes come back in
 * seed order whatever the number of workers, a worker that dies loses only the seeds it had
 * not reported, and nothing is left behind (every worker is waited for). */
#include "check.h"
#include "sim_runs.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct got {
    uint64_t seeds[64];
    char texts[64][32];
    int n;
    uint64_t progress;
} got;

/* The record of a seed: its square, and the worker's pid to see several workers at work. */
static int square(uint64_t seed, void *ud, char **text)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%llu %ld", (unsigned long long)(seed * seed), (long)getpid());
    *text = strdup(buf);
    return 0;
}

/* Seed 13 takes its worker down before it reports. */
static int unlucky(uint64_t seed, void *ud, char **text)
{
    if (seed == 13) abort();
    return square(seed, ud, text);
}

static void collect(uint64_t seed, const char *text, void *ud)
{
    got *g = ud;
    if (g->n < 64) {
        g->seeds[g->n] = seed;
        snprintf(g->texts[g->n], sizeof g->texts[0], "%s", text);
        g->n++;
    }
}

static void progress(uint64_t done, uint64_t count, void *ud)
{
    got *g = ud;
    g->progress = done;
}

static int run(uint64_t first, uint64_t count, int jobs, sim_runs_one_fn fn, got *g)
{
    memset(g, 0, sizeof *g);
    sim_runs_config cfg = {.first_seed = first, .count = count, .jobs = jobs, .one = fn,
                           .collect = collect, .progress = progress, .collect_ud = g};
    fflush(stdout);
    return sim_runs(&cfg);
}

int main(void)
{
    got g;
    char pids[3][16];
    for (int jobs = 1; jobs <= 3; jobs++) {
        CHECK_INT(run(5, 20, jobs, square, &g), 0);
        CHECK_INT(g.n, 20);
        CHECK_INT(g.progress, 20);
        int distinct = 0;
        for (int i = 0; i < g.n; i++) {
            CHECK_INT(g.seeds[i], 5 + i);   /* in seed order */
            unsigned long long sq;
            long pid;
            CHECK(sscanf(g.texts[i], "%llu %ld", &sq, &pid) == 2);
            CHECK_INT(sq, (5 + i) * (5 + i));
            char p[16];
            snprintf(p, sizeof p, "%ld", pid);
            bool seen = false;
            for (int k = 0; k < distinct; k++) seen |= strcmp(pids[k], p) == 0;
            if (!seen && distinct < 3) snprintf(pids[distinct++], sizeof pids[0], "%s", p);
            CHECK(pid != (long)getpid());   /* the runs are not in this process */
        }
        CHECK_INT(distinct, jobs);
    }
    /* fewer runs than workers */
    CHECK_INT(run(1, 2, 8, square, &g), 0);
    CHECK_INT(g.n, 2);
    /* a worker dies at seed 13: its later seeds are lost, reported empty; the others stay */
    CHECK_INT(run(10, 8, 2, unlucky, &g), 0);
    CHECK_INT(g.n, 8);
    for (int i = 0; i < g.n; i++) {
        uint64_t seed = 10 + (uint64_t)i;
        bool lost = seed >= 13 && seed % 2 == 1;   /* worker 1 had 11, 13, 15, 17 */
        CHECK_INT(g.seeds[i], seed);
        CHECK_INT(g.texts[i][0] == '\0', lost);
    }
    /* bad configuration */
    sim_runs_config bad = {.count = 1, .jobs = 0, .one = square, .collect = collect};
    CHECK_INT(sim_runs(&bad), -EINVAL);
    /* no worker left behind */
    CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
    CHECK_DONE();
}
