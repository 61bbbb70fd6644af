/* sim_msg.c - message types and the per-world message pool.
 *
 * Messages are carved from chunks and recycled through a free stack, so the steady state
 * sends without malloc; chunks are freed with the world. */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { MSG_CHUNK = 1024, MSG_TYPES_MAX = UINT16_MAX };

struct sim_msg_chunk {
    sim_msg_chunk *next;
    sim_msg msgs[MSG_CHUNK];
};

int sim_msg_type_register(sim_world *w, const sim_msg_type *t)
{
    if (!t || !t->name || !*t->name) return -EINVAL;
    int found = sim_msg_type_find(w, t->name);
    if (found >= 0) return found;
    if (w->nmsg_types == MSG_TYPES_MAX) return -ENOSPC;
    const sim_msg_type **types = realloc(w->msg_types, (w->nmsg_types + 1) * sizeof *types);
    if (!types) return -ENOMEM;
    types[w->nmsg_types] = t;
    w->msg_types = types;
    return (int)w->nmsg_types++;
}

int sim_msg_type_find(const sim_world *w, const char *name)
{
    for (uint32_t i = 0; i < w->nmsg_types; i++)
        if (strcmp(w->msg_types[i]->name, name) == 0) return (int)i;
    return -ENOENT;
}

const sim_msg_type *sim_msg_type_get(const sim_world *w, uint16_t type)
{
    return type < w->nmsg_types ? w->msg_types[type] : NULL;
}

static int pool_grow(sim_world *w)
{
    sim_msg_chunk *c = malloc(sizeof *c);
    sim_msg **stack = realloc(w->msg_free, (w->cap_msg_free + MSG_CHUNK) * sizeof *stack);
    if (stack) w->msg_free = stack;
    if (!c || !stack) {
        free(c);
        return -ENOMEM;
    }
    w->cap_msg_free += MSG_CHUNK;
    c->next = w->msg_chunks;
    w->msg_chunks = c;
    for (int i = MSG_CHUNK - 1; i >= 0; i--) w->msg_free[w->nmsg_free++] = &c->msgs[i];
    return 0;
}

sim_msg *sim_msg_new(sim_world *w, uint16_t type, void *payload, uint32_t size)
{
    const sim_msg_type *t = sim_msg_type_get(w, type);
    if (!t || (w->nmsg_free == 0 && pool_grow(w) < 0)) {
        if (t && t->free && payload) t->free(payload);
        return NULL;
    }
    sim_msg *m = w->msg_free[--w->nmsg_free];
    *m = (sim_msg){.id = w->next_msg_id++, .type = type, .payload = payload, .size = size,
                   .sent_at = w->now};
    return m;
}

void sim_msg_free(sim_world *w, sim_msg *m)
{
    if (!m) return;
    const sim_msg_type *t = sim_msg_type_get(w, m->type);
    if (t && t->free && m->payload) t->free(m->payload);
    m->payload = NULL;
    w->msg_free[w->nmsg_free++] = m;
}

void sim_msg_pool_free(sim_world *w)
{
    while (w->msg_chunks) {
        sim_msg_chunk *next = w->msg_chunks->next;
        free(w->msg_chunks);
        w->msg_chunks = next;
    }
    free(w->msg_free);
    w->msg_free = NULL;
    w->nmsg_free = w->cap_msg_free = 0;
}
