/* sim_msgq.h - a FIFO of messages a node holds back before handling them (a slow disk, a slow
 * server): the node pushes what arrives, sets one timer per message at its release time
 * (sim_msgq_release_at), and pops one per timer, in arrival order. */
#ifndef RENKEI_SIM_MSGQ_H
#define RENKEI_SIM_MSGQ_H

#include "sim_must.h"

#include <stddef.h>

#include "sim_msg.h"

typedef struct sim_msgq {
    sim_msg **q;
    size_t head, len, cap;
    sim_time_t last_release;    /* of the newest message pushed */
} sim_msgq;

/* When a message pushed now, to be held `delay`, is released: now + delay, but never before
 * the message ahead of it (the queue is in order), so each timer set at the returned time pops
 * the message it was set for even when the delay changed in between. */
sim_time_t sim_msgq_release_at(sim_msgq *q, sim_time_t now, int64_t delay);

/* 0, or -ENOMEM (and then m is freed: the caller never leaks). */
SIM_MUST_CHECK int sim_msgq_push(sim_world *w, sim_msgq *q, sim_msg *m);
sim_msg *sim_msgq_pop(sim_msgq *q);   /* NULL when empty */
/* Free every message held (a crash, the end of the run); the queue stays usable. */
void sim_msgq_clear(sim_world *w, sim_msgq *q);
void sim_msgq_free(sim_world *w, sim_msgq *q);

#endif
