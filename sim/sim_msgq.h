/* sim_msgq.h - a FIFO of messages a node holds back before handling them (a slow disk, a slow
 * server): the node pushes what arrives and pops one per timer, in arrival order. */
#ifndef RENKEI_SIM_MSGQ_H
#define RENKEI_SIM_MSGQ_H

#include <stddef.h>

#include "sim_msg.h"

typedef struct sim_msgq {
    sim_msg **q;
    size_t head, len, cap;
} sim_msgq;

/* 0, or -ENOMEM (and then m is freed: the caller never leaks). */
int sim_msgq_push(sim_world *w, sim_msgq *q, sim_msg *m);
sim_msg *sim_msgq_pop(sim_msgq *q);   /* NULL when empty */
/* Free every message held (a crash, the end of the run); the queue stays usable. */
void sim_msgq_clear(sim_world *w, sim_msgq *q);
void sim_msgq_free(sim_world *w, sim_msgq *q);

#endif
