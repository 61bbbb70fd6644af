/* sim_msg.h - messages: small C structs with a typed payload, pooled per world.
 *
 * A message type says how to free its payload and how to show it as JSON; JSON is only for
 * the edges (trace, web, external systems). Messages come from a per-world free list, so
 * sending one costs no malloc in the steady state. */
#ifndef RENKEI_SIM_MSG_H
#define RENKEI_SIM_MSG_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "sim_buf.h"
#include "sim_world.h"

/* Why the network dropped a message (sim_net.c). */
typedef enum sim_drop_reason {
    SIM_DROP_SENDER_DOWN, SIM_DROP_NO_LINK, SIM_DROP_LINK_DOWN, SIM_DROP_LOSS, SIM_DROP_NODE_DOWN
} sim_drop_reason;

struct sim_msg;

typedef struct sim_msg_type {
    const char *name;
    void (*free)(void *payload);                 /* NULL: the payload is not owned */
    cJSON *(*to_json)(const void *payload);      /* NULL: the trace shows no body */
    /* Optional and faster for busy types: append the body as one JSON value to out. The
     * trace uses it in preference to to_json. */
    void (*write_json)(const void *payload, sim_buf *out);
    /* Optional, for the links' message faults: a deep copy (NULL on ENOMEM), and damage in
     * place driven by the random word `r` (what a bit error does to this payload). */
    void *(*copy)(const void *payload);
    void (*corrupt)(void *payload, uint64_t r);
    /* Optional: told of every message of the type the network drops, before it is freed
     * (so that a failure can be charged to its cause). Reads; must not send or schedule. */
    void (*dropped)(sim_world *w, const struct sim_msg *m, sim_drop_reason why);
} sim_msg_type;

typedef struct sim_msg {
    uint64_t id;            /* run-unique, in creation order */
    sim_time_t sent_at;
    uint32_t src, dst;
    uint32_t size;          /* bytes on the wire, for bandwidth */
    uint16_t type;
    uint16_t link_epoch;    /* the link's epoch when sent: a cut in flight loses it */
    void *payload;
} sim_msg;

/* Register a message type; returns its id (>= 0) or a negative errno. Registering the same
 * name again returns the existing id. The struct must outlive the world. */
int sim_msg_type_register(sim_world *w, const sim_msg_type *t);
int sim_msg_type_find(const sim_world *w, const char *name);
const sim_msg_type *sim_msg_type_get(const sim_world *w, uint16_t type);

/* A new message owning `payload` (freed with the type's free). NULL on ENOMEM, and then the
 * payload has been freed too, so callers never leak on the error path. */
sim_msg *sim_msg_new(sim_world *w, uint16_t type, void *payload, uint32_t size);
void     sim_msg_free(sim_world *w, sim_msg *m);

#endif
