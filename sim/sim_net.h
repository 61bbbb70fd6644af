/* sim_net.h - links between nodes: latency, jitter, bandwidth, loss, up/down.
 *
 * A link joins two nodes in both directions; each direction keeps its own queue (a message
 * waits for the ones before it to be serialised at the link's bandwidth), its own random
 * stream (derived from the seed and "a->b") and delivers in order. Messages over a link that
 * goes down while they are in flight are lost, as on a real cut. */
#ifndef RENKEI_SIM_NET_H
#define RENKEI_SIM_NET_H

#include "sim_must.h"

#include <stdbool.h>
#include <stdint.h>

#include "sim_world.h"

typedef struct sim_link_params {
    int64_t latency;        /* µs, one way */
    int64_t jitter;         /* µs: each message gets extra delay uniform in [0, jitter] */
    double bandwidth;       /* bits per second; 0 = unlimited */
    double loss;            /* probability in [0, 1] that a message is lost */
    bool up;
    /* Message faults (0 = none), each a probability per message: delivered twice (types
     * with a copy callback), corrupted in flight (types with a corrupt callback), or held
     * back by up to reorder_delay so later messages overtake it. */
    double duplicate, corrupt, reorder;
    int64_t reorder_delay;  /* µs */
} sim_link_params;

/* Join a and b (both directions get the same parameters). -EEXIST if already joined,
 * -EINVAL for a == b or bad parameters, -ENOENT for an unknown node. */
int sim_link_add(sim_world *w, uint32_t a, uint32_t b, const sim_link_params *p);
/* Change both directions' parameters, or only a->b's with sim_link_set_dir(). */
SIM_MUST_CHECK int sim_link_set(sim_world *w, uint32_t a, uint32_t b, const sim_link_params *p);
int sim_link_get(const sim_world *w, uint32_t a, uint32_t b, sim_link_params *out);
/* Up/down on both directions; traced. Going down loses what is in flight. */
SIM_MUST_CHECK int sim_link_set_up(sim_world *w, uint32_t a, uint32_t b, bool up, const char *why);
uint32_t sim_link_count(const sim_world *w);   /* links (pairs), not directions */

#endif
