/* phold/phold.c - the PHOLD node kind and benchmark driver (see phold/phold.h).
 *
 * PHOLD's events carry no payload, so an event is a node timer set on the destination
 * process, as ns-3's and the bare C reference's events are plain callbacks. */
#include "phold/phold.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "sim_node.h"

typedef struct phold {
    sim_world *w;
    uint32_t lps;
    int64_t lookahead_us;
    uint64_t *counts;          /* per-process state: events processed */
} phold;

static int64_t phold_delay(sim_node *n, const phold *p)
{
    return p->lookahead_us + (int64_t)(sim_rng_exponential(&n->rng, 1.0) * 1e6);
}

static void phold_timer(sim_node *self, uint64_t tag, void *arg)
{
    phold *p = arg;
    p->counts[self->id]++;
    /* Draw order as in the reference: destination, then delay. */
    sim_node *dst = sim_world_node(p->w, sim_rng_below(&self->rng, p->lps));
    if (sim_node_after(dst, phold_delay(self, p), 0, p, NULL) < 0)   /* the benchmark would miscount */
        sim_world_halt(p->w, 3, "phold: an event could not be scheduled (out of memory)");
}

static const sim_node_kind phold_kind = {.name = "phold", .timer = phold_timer};

int phold_bench(const node_phold_config *cfg, node_phold_result *out)
{
    if (cfg->lps == 0 || !(cfg->end > 0) || !(cfg->lookahead >= 0)) return -EINVAL;
    uint64_t t0 = uv_hrtime();
    sim_world *w;
    int rc = sim_world_create(&(sim_world_config){.seed = cfg->seed, .trace_fd = -1, .trace_off = true}, &w);
    if (rc < 0) return rc;
    phold p = {.w = w, .lps = cfg->lps, .lookahead_us = (int64_t)(cfg->lookahead * 1e6)};
    p.counts = calloc(cfg->lps, sizeof *p.counts);
    if (!p.counts) rc = -ENOMEM;
    if (rc == 0) rc = sim_world_register_kind(w, &phold_kind);
    for (uint32_t i = 0; rc == 0 && i < cfg->lps; i++) {
        char name[32];
        snprintf(name, sizeof name, "lp%u", i);
        sim_node *n;
        rc = sim_world_add_node(w, &phold_kind, name, NULL, &n);
        for (uint32_t j = 0; rc == 0 && j < cfg->events_per_lp; j++)
            rc = sim_node_after(n, phold_delay(n, &p), 0, &p, NULL);
    }
    if (rc == 0) {
        sim_time_t end = sim_world_start(w) + (sim_time_t)(cfg->end * 1e6);
        uint64_t t1 = uv_hrtime();
        sim_world_run(w, end, 0);
        uint64_t t2 = uv_hrtime();
        *out = (node_phold_result){
            .events = sim_world_stats_get(w)->events,
            .pending = sim_world_pending(w),
            .wall_s = (double)(t2 - t1) / 1e9,
            .setup_s = (double)(t1 - t0) / 1e9,
            .event_bytes = sim_world_event_bytes(w),
        };
    }
    sim_world_destroy(w);
    free(p.counts);
    return rc;
}
