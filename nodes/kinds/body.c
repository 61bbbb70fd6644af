/* kinds/body.c - a body's own systems: a local government's existing systems and integrated
 * addressee system (既存システム / 団体内統合宛名システム), or a national agency's. They hold
 * the residents (individual number, resident-record code, integrated addressee number) and
 * start flows: code acquisition, replica registration, inquiry; each flow ends exactly once,
 * with an answer, an explicit error, or the body's own timeout. An agency is also its own
 * intermediate server: messages from its interface system go to the shared tenant logic. */
#include "kinds/kinds.h"

#include "platform/platform.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

/* 11 digits; unique per person in practice (a collision only merges two synthetic people). */
uint64_t node_person_resident_code(uint64_t seed, uint32_t person)
{
    return 10000000000ull + mix(seed ^ mix(person)) % 90000000000ull;
}

uint64_t node_person_individual_no(uint64_t seed, uint32_t person)
{
    uint64_t first11 = 10000000000ull + mix(~seed ^ mix(person + 0x5bd1e995u)) % 90000000000ull;
    return first11 * 10 + (uint64_t)domain_individual_no_check_digit(first11);
}

static body *self_body(sim_node *n) { return n->state; }
static void end_flow(sim_node *n, flow_kind started_as, uint64_t flow, flow_error e, const flow_msg *m);

static uint64_t start_flow(sim_node *n, flow_kind kind, flow_msg *m)
{
    domain *d = domain_get(n->world);
    body *b = self_body(n);
    m->flow = d->next_flow++ << 3 | (uint64_t)kind;   /* the kind rides in the low bits */
    m->started = sim_node_now(n);
    m->inquirer = n->id;
    sim_event_id timeout = 0;
    /* The flow's id rides in the timer's argument: flows are numbered from 1, below 2^63. */
    if (sim_node_after(n, d->timeout, (uint32_t)kind, (void *)(uintptr_t)m->flow, &timeout) < 0 ||
        sim_map_put(&b->pending, m->flow, timeout) < 0) {
        domain_msg_free(m);
        return 0;
    }
    domain_flow_started(d, kind);
    uint64_t flow = m->flow;
    if (b->own_db)
        platform_tenant_receive(n, b->own_db, b, kind, m);
    else
        domain_send(n, b->server, kind, m, kind == FLOW_REPLICA ? 512 + m->data_len : 512);
    return flow;
}

uint64_t node_body_acquire_code(sim_node *n, uint64_t addressee_no)
{
    body *b = self_body(n);
    if (addressee_no == 0 || addressee_no > (uint64_t)b->nresidents + b->nextra) return 0;
    flow_msg *m = domain_msg_new();
    if (!m) return 0;
    m->addressee_no = addressee_no;   /* the server issues the acquisition number for it */
    return start_flow(n, FLOW_CODE_REQUEST, m);
}

/* Code acquisition, step 2 (Art. 21-2): the intermediate server issued the acquisition number
 * for one of our addressees; the integrated addressee system sends it with the person's
 * resident-record code through the body's own 住基ネット connection to J-LIS. The addressee
 * number stays here. A connection that is down is known at once: the flow ends unreachable. */
static void code_to_jlis(sim_node *n, body *b, flow_msg *m)
{
    domain *d = domain_get(n->world);
    if (!sim_map_get(&b->pending, m->flow, NULL) || m->addressee_no == 0 ||
        m->addressee_no > (uint64_t)b->nresidents + b->nextra) {
        domain_msg_free(m);   /* the flow already ended (timeout): nothing to send */
        return;
    }
    m->resident_code = node_person_resident_code(sim_world_seed(n->world), b->residents[m->addressee_no - 1].person);
    m->addressee_no = 0;
    uint64_t flow = m->flow;
    flow_msg *copy = domain_msg_copy(m);   /* to end the flow with, should it not leave */
    int rc = d->jlis == UINT32_MAX ? -ENOLINK : domain_send(n, d->jlis, FLOW_CODE_REQUEST, m, 256);
    if (d->jlis == UINT32_MAX) domain_msg_free(m);
    if (rc == -ENETDOWN || rc == -ENOLINK || rc == -EHOSTDOWN) {
        if (copy) {
            copy->resident_code = 0;
            copy->error = FLOW_UNREACHABLE;
        }
        end_flow(n, FLOW_CODE_REQUEST, flow, FLOW_UNREACHABLE, copy);
    }
    domain_msg_free(copy);
}

/* A replica message for record_id carrying payload (copied); NULL on ENOMEM. */
static flow_msg *replica_msg(const char *record_id, const char *payload, sim_time_t pub_end)
{
    flow_msg *m = domain_msg_new();
    if (!m) return NULL;
    m->pub_end = pub_end;
    snprintf(m->record_id, sizeof m->record_id, "%s", record_id);
    m->data_len = (uint32_t)strlen(payload);
    m->data = (uint8_t *)strdup(payload);
    if (!m->data) {
        domain_msg_free(m);
        return NULL;
    }
    return m;
}

uint64_t node_body_register_replica(sim_node *n, uint64_t addressee_no, int item, const char *record_id,
                               sim_time_t pub_start, sim_time_t pub_end, const char *payload)
{
    flow_msg *m = replica_msg(record_id, payload, pub_end);
    if (!m) return 0;
    m->addressee_no = addressee_no;
    m->item = (uint16_t)item;
    m->schema = 1;
    m->pub_start = pub_start;
    return start_flow(n, FLOW_REPLICA, m);
}

uint64_t node_body_update_replica(sim_node *n, const char *record_id, const char *payload, sim_time_t pub_end)
{
    flow_msg *m = replica_msg(record_id, payload, pub_end);
    if (!m) return 0;
    m->partial = 1;
    return start_flow(n, FLOW_REPLICA, m);
}

uint64_t node_body_inquire(sim_node *n, uint64_t addressee_no, int procedure, uint32_t provider,
                      uint32_t staff)
{
    return node_body_inquire_marked(n, addressee_no, procedure, provider, staff, false);
}

uint64_t node_body_inquire_marked(sim_node *n, uint64_t addressee_no, int procedure, uint32_t provider,
                                  uint32_t staff, bool withheld)
{
    domain *d = domain_get(n->world);
    if (procedure < 0 || procedure >= d->nprocs) return 0;
    flow_msg *m = domain_msg_new();
    if (!m) return 0;
    m->addressee_no = addressee_no;
    m->procedure = (uint16_t)procedure;
    m->item = d->procs[procedure].item;
    m->provider = provider;
    m->staff = staff;
    m->withheld = withheld;
    return start_flow(n, FLOW_INQUIRY, m);
}

/* The end of a flow this body started: exactly once, whichever comes first. */
static void end_flow(sim_node *n, flow_kind started_as, uint64_t flow, flow_error e, const flow_msg *m)
{
    domain *d = domain_get(n->world);
    body *b = self_body(n);
    uint64_t timer;
    if (!sim_map_del(&b->pending, flow, &timer)) {
        d->stats.late_answers++;   /* after its timeout: the flow already ended */
        return;
    }
    if (m) sim_world_cancel(n->world, timer);
    int64_t latency = m ? sim_node_now(n) - m->started : -1;   /* answered flows only */
    domain_flow_ended(d, &(domain_flow_end){.b = b, .kind = started_as, .flow = flow, .error = e, .m = m, .latency = latency});
}

static void body_timer(sim_node *self, uint64_t tag, void *arg)
{
    if (tag >= WORKLOAD_INQUIRY) {
        node_workload_fire(self, tag, arg);
        return;
    }
    end_flow(self, (flow_kind)tag, (uint64_t)(uintptr_t)arg, FLOW_TIMEOUT, NULL);
}

static void body_receive(sim_node *self, sim_msg *msg)
{
    if (domain_msg_discard_damaged(self, msg)) return;
    domain *d = domain_get(self->world);
    body *b = self_body(self);
    flow_msg *m = msg->payload;
    msg->payload = NULL;
    flow_kind kind = domain_kind_of(d, msg->type);
    uint32_t src = msg->src;
    sim_msg_free(self->world, msg);
    if (kind == FLOW_KINDS) {
        domain_msg_free(m);
        return;
    }
    if (b->own_db && src == b->ifs) {   /* an agency's own server at work */
        platform_tenant_receive(self, b->own_db, b, kind, m);
        return;
    }
    if (kind == FLOW_CODE_REQUEST) {   /* the acquisition number, from our server */
        code_to_jlis(self, b, m);
        return;
    }
    static const flow_kind started_as[FLOW_KINDS] = {
        [FLOW_CODE_RESPONSE] = FLOW_CODE_REQUEST, [FLOW_PROVISION] = FLOW_INQUIRY,
        [FLOW_REPLICA_ACK] = FLOW_REPLICA};
    if (kind == FLOW_CODE_RESPONSE || kind == FLOW_PROVISION || kind == FLOW_REPLICA_ACK)
        end_flow(self, started_as[kind], m->flow, (flow_error)m->error, m);
    domain_msg_free(m);
}

/* The body's own systems went down: the flows they were waiting for end now, explicitly,
 * rather than never (their timeouts died with the node). */
static void body_crash(sim_node *self)
{
    domain *d = domain_get(self->world);
    body *b = self_body(self);
    for (size_t i = 0; i < b->pending.cap; i++) {
        uint64_t flow = sim_map_key_at(&b->pending, i);
        if (!flow) continue;
        flow_kind kind = (flow_kind)(flow & 7);
        domain_flow_blame(d, self->id, flow, CAUSE_NODE_DOWN, self->id, UINT32_MAX);
        domain_flow_ended(d, &(domain_flow_end){.b = b, .kind = kind, .flow = flow, .error = FLOW_UNREACHABLE, .latency = -1});
    }
    sim_map_free(&b->pending);
}

/* Back up: the workload's timers died with the crash; start them again from now. */
static void body_recover(sim_node *self) { node_workload_resume(self); }

static void body_destroy(sim_node *self)
{
    body *b = self->state;
    if (!b) return;
    sim_map_free(&b->pending);
    if (b->own_db) {
        platform_tenant_db_close(b->own_db);
        free(b->own_db);
    }
    domain_staff_free(b);
    free(b->residents);
    free(b->name);
    free(b);
}

const sim_node_kind node_body_kind = {
    .name = "body", .receive = body_receive, .timer = body_timer, .crash = body_crash,
    .recover = body_recover, .destroy = body_destroy};
