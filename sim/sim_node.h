/* sim_node.h - node kinds and the API a node uses: the whole world as a node sees it.
 *
 * A node kind is a vtable; a node is a named instance with up/down state, its own random
 * stream (derived from the run seed and the node's name, so adding a node changes no other
 * node's draws) and the kind's private state. Nodes never see libuv: they send messages,
 * set timers, read the clock and draw random numbers through this header. */
#ifndef RENKEI_SIM_NODE_H
#define RENKEI_SIM_NODE_H

#include "sim_must.h"

#include "sim_msg.h"
#include "sim_rng.h"
#include "sim_world.h"

struct sim_node_kind {
    const char *name;
    /* Each callback may be NULL. receive() owns `m`: it must send it on or sim_msg_free() it. */
    void (*start)(sim_node *self);
    void (*receive)(sim_node *self, sim_msg *m);
    void (*timer)(sim_node *self, uint64_t tag, void *arg);
    void (*crash)(sim_node *self);      /* the node just went down; timers set before are void */
    void (*recover)(sim_node *self);    /* the node is up again */
    void (*destroy)(sim_node *self);    /* world teardown: free self->state */
};

struct sim_node {
    sim_world *world;
    const sim_node_kind *kind;
    void *state;            /* the kind's own state */
    char *name;
    uint32_t id;            /* index in the world, in creation order */
    uint32_t epoch;         /* bumped on every crash: timers of an older epoch never fire */
    bool up;
    sim_rng rng;
    uint64_t sent, received, dropped;
};

/* Fire n->kind->timer(n, tag, arg) after `delay` (>= 0), unless the node crashes first.
 * `tag` must fit in 32 bits (-ERANGE otherwise): the engine keeps the node's epoch beside it.
 * *id (may be NULL) receives a handle for sim_world_cancel(). */
SIM_MUST_CHECK int sim_node_after(sim_node *n, int64_t delay, uint64_t tag, void *arg, sim_event_id *id);
SIM_MUST_CHECK int sim_node_at(sim_node *n, sim_time_t at, uint64_t tag, void *arg, sim_event_id *id);

/* Send `m` from `self` to node `to` over their link. Always consumes m: a message that
 * cannot go (no link, link down, lost) is dropped, traced and freed, and the reason is
 * returned as -ENOLINK, -ENETDOWN, -EHOSTDOWN; a lost message returns 0 (the sender cannot
 * know). */
int sim_node_send(sim_node *self, uint32_t to, sim_msg *m);

/* Take the node down (timers void, deliveries dropped) or bring it back; both traced. */
int sim_node_crash(sim_node *n, const char *why);
int sim_node_recover(sim_node *n, const char *why);

static inline sim_time_t sim_node_now(const sim_node *n) { return sim_world_now(n->world); }

#endif
