/* test_runs.c - unit tests for sim/sim_runs: seeds dealt to worker processes come back in
 * seed order whatever the number of workers, a worker that dies is replaced and its seed
 * tried again, a seed that kills its worker every time is given up alone (the seeds after it
 * still run), and nothing is left behind (every worker is waited for). */
#define _GNU_SOURCE
#include "check.h"
#include "sim_runs.h"

#include <errno.h>
#include <fcntl.h>
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
    uint64_t lost_seed;
    int lost_status, nlost;
} got;

/* The record of a seed: its square, and the worker's pid to see several workers at work. */
static int square(uint64_t seed, void *ud, char **text)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%llu %ld", (unsigned long long)(seed * seed), (long)getpid());
    *text = strdup(buf);
    return 0;
}

/* Seed 13 takes its worker down before it reports, every time. */
static int unlucky(uint64_t seed, void *ud, char **text)
{
    if (seed == 13) abort();
    return square(seed, ud, text);
}

/* Seed 12's first worker is killed from outside (as by the OOM killer or a tester): the
 * first try creates the marker file and dies, the second finds it and runs. */
static int killed_once(uint64_t seed, void *ud, char **text)
{
    if (seed == 12) {
        int fd = open((const char *)ud, O_CREAT | O_EXCL | O_WRONLY, 0600);
        if (fd >= 0) {
            close(fd);
            raise(SIGKILL);
        }
    }
    return square(seed, NULL, text);
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

static void lost(uint64_t seed, int wait_status, void *ud)
{
    got *g = ud;
    g->nlost++;
    g->lost_seed = seed;
    g->lost_status = wait_status;
}

static int run_ud(uint64_t first, uint64_t count, int jobs, sim_runs_one_fn fn, void *one_ud, got *g)
{
    memset(g, 0, sizeof *g);
    sim_runs_config cfg = {.first_seed = first, .count = count, .jobs = jobs, .one = fn, .one_ud = one_ud,
                           .collect = collect, .lost = lost, .progress = progress, .collect_ud = g};
    fflush(stdout);
    return sim_runs(&cfg);
}

static int run(uint64_t first, uint64_t count, int jobs, sim_runs_one_fn fn, got *g)
{
    return run_ud(first, count, jobs, fn, NULL, g);
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
    /* seed 13 kills every worker that runs it: given up alone after two tries, with its
     * worker's status; every other seed of that worker's share still runs */
    CHECK_INT(run(10, 8, 2, unlucky, &g), 0);
    CHECK_INT(g.n, 7);
    for (int i = 0, k = 0; i < 8; i++) {
        uint64_t seed = 10 + (uint64_t)i;
        if (seed == 13) continue;
        CHECK_INT(g.seeds[k], seed);
        CHECK(g.texts[k][0] != '\0');
        k++;
    }
    CHECK_INT(g.nlost, 1);
    CHECK_INT(g.lost_seed, 13);
    CHECK(WIFSIGNALED(g.lost_status) && WTERMSIG(g.lost_status) == SIGABRT);
    CHECK_INT(g.progress, 8);
    /* a worker killed once from outside: replaced, its seed run again, nothing lost */
    char marker[] = "/tmp/test_runs_XXXXXX";
    int mfd = mkstemp(marker);
    CHECK(mfd >= 0);
    close(mfd);
    unlink(marker);
    CHECK_INT(run_ud(10, 8, 2, killed_once, marker, &g), 0);
    unlink(marker);
    CHECK_INT(g.n, 8);
    CHECK_INT(g.nlost, 0);
    for (int i = 0; i < g.n; i++) {
        unsigned long long sq;
        long pid;
        CHECK(sscanf(g.texts[i], "%llu %ld", &sq, &pid) == 2);
        CHECK_INT(sq, (10 + i) * (10 + i));
    }
    /* bad configuration */
    sim_runs_config bad = {.count = 1, .jobs = 0, .one = square, .collect = collect};
    CHECK_INT(sim_runs(&bad), -EINVAL);
    /* no worker left behind */
    CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
    CHECK_DONE();
}
