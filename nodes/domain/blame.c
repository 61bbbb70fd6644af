/* domain/blame.c - why a flow failed: the cause each failure point gives a pending flow (a
 * message the network dropped, one damaged in flight and discarded, a refusal, a failed
 * check), kept until the flow ends and told to the listeners at once, so that the fault
 * records charge a failure to the fault that caused it (fault/recovery.c) and the run counts
 * failures by cause. The domain knows no faults: a cause names the node or link that failed
 * the flow, not a fault. */
#include "domain/domain.h"

#include <stdio.h>
#include <stdlib.h>

static const char *const cause_names[CAUSES] = {
    "none", "node_down", "link_down", "loss", "no_link", "corrupt", "not_serving", "no_backup", "disk",
    "key", "slow", "damaged_row"};

_Static_assert(CAUSES <= 16, "a cause is packed in 4 bits");

const char *domain_cause_name(flow_cause c) { return c < CAUSES ? cause_names[c] : "?"; }

/* Packed in one map value: the cause in the top 4 bits, then a and b in 30 bits each (node
 * ids are far below 2^30; a larger one is kept as all ones, "unknown"). */
enum { NODE_BITS = 30 };
static const uint64_t NODE_MASK = (UINT64_C(1) << NODE_BITS) - 1;

static uint64_t pack(flow_cause c, uint32_t a, uint32_t b)
{
    uint64_t x = a <= NODE_MASK ? a : NODE_MASK, y = b <= NODE_MASK ? b : NODE_MASK;
    return (uint64_t)c << 2 * NODE_BITS | x << NODE_BITS | y;
}

static flow_blame unpack(uint64_t v)
{
    uint32_t a = (uint32_t)(v >> NODE_BITS & NODE_MASK), b = (uint32_t)(v & NODE_MASK);
    return (flow_blame){(flow_cause)(v >> 2 * NODE_BITS), a == NODE_MASK ? UINT32_MAX : a,
                        b == NODE_MASK ? UINT32_MAX : b};
}

void domain_flow_blame(domain *d, uint32_t starter, uint64_t flow, flow_cause c, uint32_t a, uint32_t b)
{
    const body *s = domain_body(d, starter);
    /* Only a flow still waiting: a late message's cause would be kept for nothing. */
    if (!s || !flow || c == CAUSE_NONE || c >= CAUSES || !sim_map_get(&s->pending, flow, NULL)) return;
    if (sim_map_put(&d->blame, flow, pack(c, a, b)) < 0) {
        /* A failure charged to nothing would be a figure that lies: halt rather than guess. */
        domain_halt(d, "the cause of flow %llu cannot be kept (out of memory)", (unsigned long long)flow);
        return;
    }
    flow_blame why = {c, a, b};
    for (size_t i = 0; i < d->nlisteners; i++)
        if (d->listeners[i].blamed) d->listeners[i].blamed(d->listeners[i].ud, flow, &why);
}

flow_blame domain_flow_take_blame(domain *d, uint64_t flow)
{
    uint64_t v;
    return sim_map_del(&d->blame, flow, &v) ? unpack(v) : (flow_blame){CAUSE_NONE, UINT32_MAX, UINT32_MAX};
}

void domain_msg_dropped(sim_world *w, const sim_msg *msg, sim_drop_reason why)
{
    domain *d = domain_find(w);
    const flow_msg *m = msg->payload;
    if (!d || !m) return;
    switch (why) {
    case SIM_DROP_SENDER_DOWN: domain_flow_blame(d, m->inquirer, m->flow, CAUSE_NODE_DOWN, msg->src, UINT32_MAX); break;
    case SIM_DROP_NODE_DOWN: domain_flow_blame(d, m->inquirer, m->flow, CAUSE_NODE_DOWN, msg->dst, UINT32_MAX); break;
    case SIM_DROP_LINK_DOWN: domain_flow_blame(d, m->inquirer, m->flow, CAUSE_LINK_DOWN, msg->src, msg->dst); break;
    case SIM_DROP_LOSS: domain_flow_blame(d, m->inquirer, m->flow, CAUSE_LOSS, msg->src, msg->dst); break;
    case SIM_DROP_NO_LINK: domain_flow_blame(d, m->inquirer, m->flow, CAUSE_NO_LINK, msg->src, msg->dst); break;
    }
}

bool domain_msg_discard_damaged(sim_node *self, sim_msg *msg)
{
    domain *d = domain_find(self->world);
    if (!d || domain_kind_of(d, msg->type) == FLOW_KINDS) return false;
    const flow_msg *m = msg->payload;
    if (!m || !m->damaged) return false;
    d->stats.damaged_discarded++;
    char text[160];
    snprintf(text, sizeof text, "a %s message of flow %llu from %s failed the transport's integrity check: discarded",
             domain_kind_name(domain_kind_of(d, msg->type)), (unsigned long long)m->flow,
             sim_world_node(self->world, msg->src)->name);
    sim_world_log(self->world, self->name, text);
    domain_flow_blame(d, m->inquirer, m->flow, CAUSE_CORRUPT, msg->src, self->id);
    sim_msg_free(self->world, msg);
    return true;
}
