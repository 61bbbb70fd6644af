/* sim_node.c - node timers, crash and recovery.
 *
 * A node timer remembers the node's epoch when it was set; a crash bumps the epoch, so timers
 * of a crashed node never fire, even after it recovers (its memory of them is gone). */
#include "sim_internal.h"

#include <errno.h>

static void node_timer_event(sim_world *w, void *arg, uint64_t tag, uint32_t node)
{
    sim_node *n = w->nodes[node];
    /* The epoch rides in the upper half of the slot's tag copy: see sim_node_at(). */
    if (!n->up || n->epoch != (uint32_t)(tag >> 32)) return;
    n->kind->timer(n, tag & UINT32_MAX, arg);
}

int sim_node_at(sim_node *n, sim_time_t at, uint64_t tag, void *arg, sim_event_id *id)
{
    if (!n->kind->timer) return -ENOTSUP;
    if (tag > UINT32_MAX) return -ERANGE;
    return sim_world_schedule(n->world, at, node_timer_event, arg, (uint64_t)n->epoch << 32 | tag,
                              n->id, id);
}

int sim_node_after(sim_node *n, int64_t delay, uint64_t tag, void *arg, sim_event_id *id)
{
    if (delay < 0) return -EINVAL;
    return sim_node_at(n, sim_world_now(n->world) + delay, tag, arg, id);
}

static void trace_node(sim_node *n, const char *kind, const char *why)
{
    sim_trace *t = &n->world->trace;
    if (!sim_trace_begin(t, n->world->now, kind)) return;
    sim_trace_field_str(t, "node", n->name);
    if (why) sim_trace_field_str(t, "detail", why);
    sim_trace_end(t);
}

int sim_node_crash(sim_node *n, const char *why)
{
    if (!n->up) return -EALREADY;
    n->up = false;
    n->epoch++;
    trace_node(n, "node_down", why);
    if (n->kind->crash) n->kind->crash(n);
    return 0;
}

int sim_node_recover(sim_node *n, const char *why)
{
    if (n->up) return -EALREADY;
    n->up = true;
    trace_node(n, "node_up", why);
    if (n->kind->recover) n->kind->recover(n);
    return 0;
}
