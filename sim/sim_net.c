/* sim_net.c - links, sending and delivery of messages, and the drops on the way.
 *
 * Send time: a message waits for the link's sender side to finish serialising what went
 * before (bandwidth), then travels for latency + jitter; arrivals stay in sending order.
 * Delivery time: the message is lost if the link went down meanwhile (its epoch moved) or
 * the receiver is down. Every send, delivery and drop is in the trace. */
#include "sim_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t link_key(uint32_t a, uint32_t b) { return (uint64_t)a << 32 | b; }

static uint32_t link_slot(const sim_world *w, uint64_t key)
{
    uint64_t h = key * UINT64_C(0x9e3779b97f4a7c15);
    return (uint32_t)(h >> 32) & (w->link_cap - 1);
}

static sim_dlink *dlink_find(const sim_world *w, uint32_t a, uint32_t b)
{
    if (!w->link_cap) return NULL;
    uint64_t key = link_key(a, b);
    for (uint32_t i = link_slot(w, key); w->link_index[i] != UINT32_MAX;
         i = (i + 1) & (w->link_cap - 1)) {
        sim_dlink *d = &w->dlinks[w->link_index[i]];
        if (d->from == a && d->to == b) return d;
    }
    return NULL;
}

static int link_index_grow(sim_world *w)
{
    uint32_t cap = w->link_cap ? w->link_cap * 2 : 256;
    uint32_t *index = malloc(cap * sizeof *index);
    if (!index) return -ENOMEM;
    memset(index, 0xff, cap * sizeof *index);
    uint32_t *old = w->link_index;
    w->link_index = index;
    w->link_cap = cap;
    for (uint32_t d = 0; d < w->ndlinks; d++) {
        uint32_t i = link_slot(w, link_key(w->dlinks[d].from, w->dlinks[d].to));
        while (index[i] != UINT32_MAX) i = (i + 1) & (cap - 1);
        index[i] = d;
    }
    free(old);
    return 0;
}

static int params_valid(const sim_link_params *p)
{
    return p->latency >= 0 && p->jitter >= 0 && p->bandwidth >= 0 && isfinite(p->bandwidth) &&
           p->loss >= 0 && p->loss <= 1 && p->duplicate >= 0 && p->duplicate <= 1 &&
           p->corrupt >= 0 && p->corrupt <= 1 && p->reorder >= 0 && p->reorder <= 1 &&
           p->reorder_delay >= 0;
}

static int dlink_add(sim_world *w, uint32_t a, uint32_t b, const sim_link_params *p)
{
    if ((w->ndlinks + 1) * 2 > w->link_cap && link_index_grow(w) < 0) return -ENOMEM;
    if (w->ndlinks == w->cap_dlinks) {
        uint32_t cap = w->cap_dlinks ? w->cap_dlinks * 2 : 64;
        sim_dlink *d = realloc(w->dlinks, cap * sizeof *d);
        if (!d) return -ENOMEM;
        w->dlinks = d;
        w->cap_dlinks = cap;
    }
    sim_dlink *d = &w->dlinks[w->ndlinks];
    *d = (sim_dlink){.from = a, .to = b, .p = *p};
    char name[64];
    snprintf(name, sizeof name, "link:%u->%u", a, b);
    /* Streams are named by node ids, which follow creation order, not by names: a link's
     * stream must not change when an unrelated node is added later, and ids guarantee that. */
    sim_rng_derive(&d->rng, w->seed, name);
    uint32_t i = link_slot(w, link_key(a, b));
    while (w->link_index[i] != UINT32_MAX) i = (i + 1) & (w->link_cap - 1);
    w->link_index[i] = w->ndlinks++;
    return 0;
}

int sim_link_add(sim_world *w, uint32_t a, uint32_t b, const sim_link_params *p)
{
    if (a >= w->nnodes || b >= w->nnodes) return -ENOENT;
    if (a == b || !params_valid(p)) return -EINVAL;
    if (dlink_find(w, a, b)) return -EEXIST;
    int rc = dlink_add(w, a, b, p);
    if (rc == 0) rc = dlink_add(w, b, a, p);
    return rc;
}

int sim_link_set(sim_world *w, uint32_t a, uint32_t b, const sim_link_params *p)
{
    sim_dlink *ab = dlink_find(w, a, b), *ba = dlink_find(w, b, a);
    if (!ab || !ba) return -ENOENT;
    if (!params_valid(p)) return -EINVAL;
    bool up = ab->p.up;
    ab->p = ba->p = *p;
    ab->p.up = ba->p.up = up;   /* up/down goes through sim_link_set_up, which traces */
    return p->up == up ? 0 : sim_link_set_up(w, a, b, p->up, "set");
}

int sim_link_get(const sim_world *w, uint32_t a, uint32_t b, sim_link_params *out)
{
    const sim_dlink *d = dlink_find(w, a, b);
    if (!d) return -ENOENT;
    *out = d->p;
    return 0;
}

int sim_link_set_up(sim_world *w, uint32_t a, uint32_t b, bool up, const char *why)
{
    sim_dlink *ab = dlink_find(w, a, b), *ba = dlink_find(w, b, a);
    if (!ab || !ba) return -ENOENT;
    if (ab->p.up == up) return 0;
    ab->p.up = ba->p.up = up;
    if (!up) {
        ab->epoch++;
        ba->epoch++;
    }
    if (sim_trace_begin(&w->trace, w->now, up ? "link_up" : "link_down")) {
        sim_trace_field_str(&w->trace, "node", w->nodes[a]->name);
        sim_trace_field_str(&w->trace, "peer", w->nodes[b]->name);
        if (why) sim_trace_field_str(&w->trace, "detail", why);
        sim_trace_end(&w->trace);
    }
    return 0;
}

uint32_t sim_link_count(const sim_world *w) { return w->ndlinks / 2; }

void sim_net_free(sim_world *w)
{
    free(w->dlinks);
    free(w->link_index);
    w->dlinks = NULL;
    w->link_index = NULL;
}

static void trace_msg(sim_world *w, const char *kind, const sim_msg *m, const char *reason)
{
    sim_trace *t = &w->trace;
    if (!sim_trace_begin(t, w->now, kind)) return;
    sim_trace_field_str(t, "node", w->nodes[m->src]->name);
    sim_trace_field_str(t, "peer", w->nodes[m->dst]->name);
    sim_trace_field_u64(t, "msg", m->id);
    if (strcmp(kind, "recv") == 0) {   /* the send line, same msg id, has the detail */
        sim_trace_end(t);
        return;
    }
    const sim_msg_type *type = sim_msg_type_get(w, m->type);
    sim_buf *b = sim_trace_field_open(t, "detail");
    sim_buf_puts(b, "{\"type\":");
    sim_buf_json_string(b, type ? type->name : "?");
    sim_buf_puts(b, ",\"size\":");
    sim_buf_u64(b, m->size);
    if (reason) {
        sim_buf_puts(b, ",\"reason\":");
        sim_buf_json_string(b, reason);
    }
    bool send = t->bodies && !reason && strcmp(kind, "send") == 0 && type && m->payload;
    if (send && type->write_json) {
        sim_buf_puts(b, ",\"body\":");
        type->write_json(m->payload, b);
    } else if (send && type->to_json) {
        cJSON *body = type->to_json(m->payload);
        char *text = body ? cJSON_PrintUnformatted(body) : NULL;
        if (text) {
            sim_buf_puts(b, ",\"body\":");
            sim_buf_puts(b, text);
        }
        cJSON_free(text);
        cJSON_Delete(body);
    }
    sim_buf_puts(b, "}");
    sim_trace_end(t);
}

/* A message fault on a link: a "fault" line naming the message and what happened to it. */
static void fault_note(sim_world *w, const sim_msg *m, const char *what)
{
    sim_trace *t = &w->trace;
    if (!sim_trace_begin(t, w->now, "msg_fault")) return;
    sim_trace_field_str(t, "node", w->nodes[m->src]->name);
    sim_trace_field_str(t, "peer", w->nodes[m->dst]->name);
    sim_trace_field_u64(t, "msg", m->id);
    sim_trace_field_str(t, "detail", what);
    sim_trace_end(t);
}

static void drop(sim_world *w, sim_msg *m, sim_drop_reason why, uint64_t *counter)
{
    static const char *const reasons[] = {"sender_down", "no_link", "link_down", "loss", "node_down"};
    w->stats.msgs_dropped++;
    (*counter)++;
    w->nodes[m->src]->dropped++;
    trace_msg(w, "drop", m, reasons[why]);
    const sim_msg_type *type = sim_msg_type_get(w, m->type);
    if (type && type->dropped) type->dropped(w, m, why);
    sim_msg_free(w, m);
}

void sim_net_deliver_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    sim_msg *m = ptr;
    sim_node *to = w->nodes[m->dst];
    const sim_dlink *d = dlink_find(w, m->src, m->dst);
    if (!d->p.up || d->epoch != m->link_epoch) {
        drop(w, m, SIM_DROP_LINK_DOWN, &w->stats.drops_link_down);
        return;
    }
    if (!to->up) {
        drop(w, m, SIM_DROP_NODE_DOWN, &w->stats.drops_node_down);
        return;
    }
    w->stats.msgs_delivered++;
    to->received++;
    trace_msg(w, "recv", m, NULL);
    if (to->kind->receive)
        to->kind->receive(to, m);
    else
        sim_msg_free(w, m);
}

int sim_node_send(sim_node *self, uint32_t to, sim_msg *m)
{
    sim_world *w = self->world;
    if (!m) return -ENOMEM;
    if (to >= w->nnodes) {
        sim_msg_free(w, m);
        return -ENOENT;
    }
    m->src = self->id;
    m->dst = to;
    m->sent_at = w->now;
    w->stats.msgs_sent++;
    self->sent++;
    sim_dlink *d = dlink_find(w, self->id, to);
    if (!self->up) {
        drop(w, m, SIM_DROP_SENDER_DOWN, &w->stats.drops_sender_down);
        return -EHOSTDOWN;
    }
    if (!d) {
        drop(w, m, SIM_DROP_NO_LINK, &w->stats.drops_no_link);
        return -ENOLINK;
    }
    if (!d->p.up) {
        drop(w, m, SIM_DROP_LINK_DOWN, &w->stats.drops_link_down);
        return -ENETDOWN;
    }
    trace_msg(w, "send", m, NULL);
    if (d->p.loss > 0 && sim_rng_uniform(&d->rng) < d->p.loss) {
        drop(w, m, SIM_DROP_LOSS, &w->stats.drops_loss);
        return 0;
    }
    sim_time_t start = d->busy_until > w->now ? d->busy_until : w->now;
    /* A link busy past the supported times stays busy to their end; a transmission time is at
     * most a supported duration (a bandwidth of 1e-300 bps would be past any int64): so the
     * sums below stay far from overflow (sim_time.h). */
    if (start > SIM_TIME_MAX) start = SIM_TIME_MAX;
    int64_t tx = 0;
    if (d->p.bandwidth > 0) {
        double t = ceil((double)m->size * 8e6 / d->p.bandwidth);
        tx = t < (double)SIM_DURATION_MAX ? (int64_t)t : SIM_DURATION_MAX;
    }
    d->busy_until = start + tx;
    int64_t jitter = d->p.jitter > 0 ? (int64_t)sim_rng_below(&d->rng, (uint32_t)(d->p.jitter > UINT32_MAX - 1 ? UINT32_MAX - 1 : d->p.jitter) + 1) : 0;
    sim_time_t arrive = start + tx + d->p.latency + jitter;
    /* The message faults draw only when they are set, so a link without them keeps the
     * same stream of draws (and the same trace) as before they existed. */
    bool held_back = d->p.reorder > 0 && sim_rng_uniform(&d->rng) < d->p.reorder;
    if (held_back) {
        arrive += d->p.reorder_delay > 0 ? (int64_t)(sim_rng_uniform(&d->rng) * (double)d->p.reorder_delay) : 0;
        fault_note(w, m, "reordered");
    } else {
        if (arrive < d->last_arrival) arrive = d->last_arrival;
        d->last_arrival = arrive;
    }
    m->link_epoch = d->epoch;
    const sim_msg_type *type = sim_msg_type_get(w, m->type);
    if (d->p.corrupt > 0 && sim_rng_uniform(&d->rng) < d->p.corrupt && type && type->corrupt && m->payload) {
        type->corrupt(m->payload, sim_rng_next(&d->rng));
        fault_note(w, m, "corrupted");
    }
    if (d->p.duplicate > 0 && sim_rng_uniform(&d->rng) < d->p.duplicate && type && type->copy && m->payload) {
        void *copy = type->copy(m->payload);
        sim_msg *twin = copy ? sim_msg_new(w, m->type, copy, m->size) : NULL;
        if (twin) {
            twin->src = m->src;
            twin->dst = m->dst;
            twin->sent_at = m->sent_at;
            twin->link_epoch = m->link_epoch;
            fault_note(w, twin, "duplicated");
            if (sim_world_schedule(w, arrive, sim_net_deliver_event, twin, 0, to, NULL) < 0) sim_msg_free(w, twin);
        }
    }
    int rc = sim_world_schedule(w, arrive, sim_net_deliver_event, m, 0, to, NULL);
    if (rc < 0) {
        w->stats.msgs_dropped++;
        sim_msg_free(w, m);
    }
    return rc;
}
