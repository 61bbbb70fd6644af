/* phold/phold.h - the PHOLD benchmark node kind and its driver: the engine's yardstick.
 *
 * N logical processes each start with M events at L + Exp(1); each processed event at time t
 * schedules one event at a uniformly random process at t + L + Exp(1); events with time <= T
 * are counted. Times are in seconds of simulated time (1 s = 1,000,000 µs in the engine).
 * Every event goes through the real engine: the event queue, node dispatch through the kind's
 * vtable, and the processing node's own random stream. */
#ifndef RENKEI_PHOLD_PHOLD_H
#define RENKEI_PHOLD_PHOLD_H

#include <stddef.h>
#include <stdint.h>

typedef struct node_phold_config {
    uint32_t lps, events_per_lp;
    double end, lookahead;
    uint64_t seed;
} node_phold_config;

typedef struct node_phold_result {
    uint64_t events;           /* events processed with time <= end */
    uint64_t pending;          /* events left in the queue */
    double wall_s;             /* the event loop only, set-up excluded */
    double setup_s;
    size_t event_bytes;        /* engine memory for events (slab + queue) at the end */
} node_phold_result;

int phold_bench(const node_phold_config *cfg, node_phold_result *out);

#endif
