/* sim_msgq.c - a ring of held-back messages, in arrival order. */
#include "sim_msgq.h"

#include <errno.h>
#include <stdlib.h>

int sim_msgq_push(sim_world *w, sim_msgq *q, sim_msg *m)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 64;
        sim_msg **p = malloc(cap * sizeof *p);
        if (!p) {
            sim_msg_free(w, m);
            return -ENOMEM;
        }
        for (size_t i = 0; i < q->len; i++) p[i] = q->q[(q->head + i) % q->cap];
        free(q->q);
        q->q = p;
        q->cap = cap;
        q->head = 0;
    }
    q->q[(q->head + q->len++) % q->cap] = m;
    return 0;
}

sim_msg *sim_msgq_pop(sim_msgq *q)
{
    if (!q->len) return NULL;
    sim_msg *m = q->q[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return m;
}

void sim_msgq_clear(sim_world *w, sim_msgq *q)
{
    sim_msg *m;
    while ((m = sim_msgq_pop(q))) sim_msg_free(w, m);
    q->head = 0;
    q->last_release = 0;   /* the timers died with what they were set for */
}

sim_time_t sim_msgq_release_at(sim_msgq *q, sim_time_t now, int64_t delay)
{
    sim_time_t at = now + (delay > 0 ? delay : 0);
    if (at < q->last_release) at = q->last_release;
    q->last_release = at;
    return at;
}

void sim_msgq_free(sim_world *w, sim_msgq *q)
{
    sim_msgq_clear(w, q);
    free(q->q);
    q->q = NULL;
    q->cap = 0;
}
