/* dash/dash_flows.c - a few flows recorded hop by hop, for the trainer's sequence diagram.
 *
 * Every flow message a node sends passes the domain's observer; a flow is recorded from its
 * first hop out of the inquirer's own systems, in one of FLOWS_KEPT slots: the newest flows
 * replace the oldest, except those the page pinned (or asked to follow: the next inquiry of
 * a chosen body). Each hop keeps what crossed the wire at that point (numbers, codes, the
 * serial number, the payload in plain text or the first bytes of its ciphertext), and gets a
 * step name saying what happened there and why (web/i18n.js explains each). */
#include "dash/dash_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { MAX_PINNED = FLOWS_KEPT / 2 };

void dash_flows_init(dash_flows *f)
{
    memset(f, 0, sizeof *f);
    f->follow_body = f->followed_body = UINT32_MAX;
}

void dash_flows_follow(dash_flows *f, uint32_t node)
{
    f->follow_body = f->followed_body = node;
    f->followed = 0;
    f->changed++;
}

const dash_flow *dash_flows_find(const dash_flows *f, uint64_t flow)
{
    uint64_t slot;
    return flow && sim_map_get(&f->by_flow, flow, &slot) ? &f->slots[slot - 1] : NULL;
}

uint64_t dash_flows_newer(const dash_flows *f, uint64_t seq)
{
    const dash_flow *best = NULL;
    for (int i = 0; i < FLOWS_KEPT; i++) {
        const dash_flow *s = &f->slots[i];
        if (s->flow && (s->kind == FLOW_INQUIRY || s->kind == FLOW_CODE_REQUEST) && s->seq > seq && (!best || s->seq > best->seq)) best = s;
    }
    return best ? best->flow : 0;
}

void dash_flows_free(dash_flows *f) { sim_map_free(&f->by_flow); }

static dash_flow *take_slot(dash_flows *f, bool pin)
{
    dash_flow *best = NULL;
    unsigned pinned = 0;
    for (int i = 0; i < FLOWS_KEPT; i++) {
        dash_flow *s = &f->slots[i];
        pinned += s->flow && s->pinned;
        if (!s->flow) {
            best = s;
            break;
        }
        if (!s->pinned && (!best || s->seq < best->seq)) best = s;
    }
    if (!best || (pin && pinned >= MAX_PINNED)) return NULL;
    if (best->flow) sim_map_del(&f->by_flow, best->flow, NULL);
    memset(best, 0, sizeof *best);
    return best;
}

static void capture_data(dash_hop *h, const flow_msg *m)
{
    h->data_len = m->data_len;
    h->data[0] = '\0';
    if (!m->data_len) return;
    if (m->sealed) {
        static const char hex[] = "0123456789abcdef";
        uint32_t n = m->data_len < PAYLOAD_SHOWN / 2 / 2 ? m->data_len : PAYLOAD_SHOWN / 2 / 2;
        for (uint32_t i = 0; i < n; i++) {
            h->data[2 * i] = hex[m->data[i] >> 4];
            h->data[2 * i + 1] = hex[m->data[i] & 15];
        }
        h->data[2 * n] = '\0';
        return;
    }
    size_t n = m->data_len < PAYLOAD_SHOWN ? m->data_len : PAYLOAD_SHOWN;
    while (n < m->data_len && n > 0 && (m->data[n] & 0xC0) == 0x80) n--;   /* whole characters */
    memcpy(h->data, m->data, n);
    h->data[n] = '\0';
}

void dash_flows_sent(dash_flows *f, domain *d, const sim_node *from, uint32_t to, flow_kind kind, const flow_msg *m)
{
    if (!m->flow) return;
    uint64_t slot;
    dash_flow *fl;
    if (sim_map_get(&f->by_flow, m->flow, &slot)) {
        fl = &f->slots[slot - 1];
    } else {
        /* A flow is recorded from its first hop out of the inquirer's own systems. */
        if (from->id != m->inquirer || (kind != FLOW_INQUIRY && kind != FLOW_CODE_REQUEST && kind != FLOW_REPLICA))
            return;
        bool follow = kind == FLOW_INQUIRY && f->follow_body == m->inquirer;
        fl = take_slot(f, follow);
        if (!fl) return;
        if (sim_map_put(&f->by_flow, m->flow, (uint64_t)(fl - f->slots) + 1) < 0) return;
        *fl = (dash_flow){.flow = m->flow, .kind = (uint8_t)kind, .pinned = follow,
                          .inquirer = m->inquirer, .provider = m->provider, .procedure = m->procedure,
                          .item = m->item, .started = m->started, .seq = ++f->next_seq};
        if (follow) {
            f->follow_body = UINT32_MAX;
            f->followed = m->flow;
        }
    }
    f->changed++;
    if (fl->nhops == HOPS_KEPT) {
        fl->lost_hops++;
    } else {
        dash_hop *h = &fl->hops[fl->nhops++];
        *h = (dash_hop){.t = sim_world_now(from->world), .from = from->id, .to = to, .kind = (uint8_t)kind,
                        .error = m->error, .sealed = m->sealed, .serial_no = m->serial_no, .code = m->code,
                        .addressee_no = m->addressee_no, .acquisition_no = m->acquisition_no,
                        .person_key = m->person_key, .resident_code = m->resident_code, .staff = m->staff};
        capture_data(h, m);
    }
    if (m->provider && !fl->provider) fl->provider = m->provider;
    bool answer = kind == FLOW_PROVISION || kind == FLOW_CODE_RESPONSE || kind == FLOW_REPLICA_ACK;
    if (answer && to == fl->inquirer && !fl->ended) {
        fl->ended = true;
        fl->outcome = m->error;
        fl->ended_at = sim_world_now(from->world);
    }
}

/* ---- lanes and steps ------------------------------------------------------------------- */

typedef enum side { INQUIRER_SIDE, PROVIDER_SIDE } side;

/* The lane of `node` in the sequence diagram, written to lane (at least 32 bytes). */
static const char *lane_of(domain *d, const dash_flow *fl, uint32_t node, side s, char *lane)
{
    if (node == d->nws) return "nws";
    if (node == d->jlis) return "jlis";
    const body *b = domain_body(d, s == INQUIRER_SIDE ? fl->inquirer : fl->provider);
    const body *other = domain_body(d, s == INQUIRER_SIDE ? fl->provider : fl->inquirer);
    for (int pass = 0; pass < 2; pass++, b = other, s = !s) {   /* the expected side first */
        if (!b) continue;
        bool own_server = b->server == b->node;
        const char *prefix = s == INQUIRER_SIDE ? "inquirer" : "provider";
        if (node == b->node) snprintf(lane, 32, "%s_%s", prefix, own_server ? "server" : "system");
        else if (node == b->server) snprintf(lane, 32, "%s_server", prefix);
        else if (node == b->ifs) snprintf(lane, 32, "%s_ifs", prefix);
        else continue;
        return lane;
    }
    return "other";
}

/* What happened at this hop (see the header comment); the page explains each step. */
static const char *step_of(domain *d, const dash_flow *fl, const dash_hop *h, bool after_nws)
{
    const body *inq = domain_body(d, fl->inquirer), *prov = domain_body(d, fl->provider);
    switch ((flow_kind)h->kind) {
    case FLOW_INQUIRY:
        if (h->from == fl->inquirer && inq && inq->server != inq->node) return "inquiry_request";
        if (h->to == d->nws) return "inquiry_to_nws";
        if (h->from == d->nws) return "inquiry_nws_converted";
        if (inq && h->to == inq->ifs && !after_nws) return "inquiry_converted";
        if (prov && h->from == prov->ifs) return "inquiry_to_provider";
        return "inquiry";
    case FLOW_PROVISION:
        if (h->from == d->nws) return h->serial_no ? (h->error ? "provision_nws_error" : "provision_nws_relay") : "provision_nws_refused";
        if (h->to == d->nws) return h->sealed ? "provision_sealed" : "provision_error_to_nws";
        if (!after_nws && prov && h->to == prov->ifs) return h->error ? "provision_not_found" : "provision_answer";
        if (inq && h->from == inq->ifs) return h->error == FLOW_INTEGRITY ? "provision_integrity" : "provision_opened";
        if (h->to == fl->inquirer) return h->error ? "provision_error" : "provision_delivered";
        return "provision";
    case FLOW_CODE_REQUEST:   /* Art. 21-2: server -> body -> J-LIS (住基ネット) -> NWS */
        if (h->to == d->jlis) return "code_to_jlis";
        if (h->to == d->nws) return "code_to_nws";
        if (h->to == fl->inquirer) return h->error ? "code_error" : "code_acquisition_no";
        return "code_request";
    case FLOW_CODE_RESPONSE:   /* NWS -> interface system -> server -> body */
        if (h->from == d->nws) return "code_issued";
        if (inq && h->from == inq->ifs) return "code_via_ifs";
        if (h->from == d->jlis) return "code_response";   /* never, by the unlinkability invariant */
        return h->error ? "code_error" : "code_stored";
    case FLOW_REPLICA: return "replica_register";
    case FLOW_REPLICA_ACK: return h->error ? "replica_refused" : "replica_stored";
    default: return "?";
    }
}

static void add_u64(cJSON *o, const char *key, uint64_t v)
{
    if (v) cJSON_AddNumberToObject(o, key, (double)v);
}

static void add_time(cJSON *o, const char *key, sim_time_t t)
{
    char buf[SIM_TIME_BUFSZ];
    sim_time_format(t, buf, sizeof buf);
    cJSON_AddStringToObject(o, key, buf);
}

static void add_body(cJSON *o, const char *key, domain *d, uint32_t node)
{
    const body *b = domain_body(d, node);
    if (!b) return;
    cJSON *x = cJSON_AddObjectToObject(o, key);
    cJSON_AddNumberToObject(x, "id", node);
    cJSON_AddStringToObject(x, "code", b->code);
    cJSON_AddStringToObject(x, "name", b->name ? b->name : b->code);
    cJSON_AddStringToObject(x, "kind", b->kind == BODY_AGENCY ? "agency" : "lg");
}

static cJSON *summary_json(const dash_flow *fl, domain *d)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "flow", (double)fl->flow);
    cJSON_AddStringToObject(o, "kind", domain_kind_name((flow_kind)fl->kind));
    add_body(o, "inquirer", d, fl->inquirer);
    if (fl->kind == FLOW_INQUIRY) {
        add_body(o, "provider", d, fl->provider);
        if (fl->procedure < d->nprocs) {
            const permission *p = &d->procs[fl->procedure];
            cJSON *x = cJSON_AddObjectToObject(o, "procedure");
            cJSON_AddStringToObject(x, "id", p->id);
            cJSON_AddStringToObject(x, "ja", p->name_ja);
            cJSON_AddStringToObject(x, "en", p->name_en);
        }
        if (fl->item < d->nitems) {
            const item_def *it = &d->items[fl->item];
            cJSON *x = cJSON_AddObjectToObject(o, "item");
            cJSON_AddStringToObject(x, "code", it->code);
            cJSON_AddStringToObject(x, "ja", it->name_ja);
            cJSON_AddStringToObject(x, "en", it->name_en);
        }
    }
    cJSON_AddNumberToObject(o, "started_us", (double)fl->started);
    add_time(o, "started", fl->started);
    cJSON_AddBoolToObject(o, "ended", fl->ended);
    if (fl->ended) {
        cJSON_AddStringToObject(o, "outcome", domain_error_name((flow_error)fl->outcome));
        cJSON_AddNumberToObject(o, "latency_ms", (double)(fl->ended_at - fl->started) / 1e3);
    } else if (sim_world_now(d->w) > fl->started + d->timeout) {
        cJSON_AddBoolToObject(o, "overdue", true);   /* no answer within the timeout */
    }
    cJSON_AddBoolToObject(o, "pinned", fl->pinned);
    cJSON_AddNumberToObject(o, "hops", fl->nhops);
    return o;
}

cJSON *dash_flows_list_json(dash_flows *f, domain *d)
{
    const dash_flow *order[FLOWS_KEPT];
    int n = 0;
    for (int i = 0; i < FLOWS_KEPT; i++)
        if (f->slots[i].flow) order[n++] = &f->slots[i];
    for (int i = 1; i < n; i++)   /* newest first */
        for (int j = i; j > 0 && order[j]->seq > order[j - 1]->seq; j--) {
            const dash_flow *t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, summary_json(order[i], d));
    return a;
}

cJSON *dash_flows_one_json(dash_flows *f, domain *d, uint64_t flow)
{
    uint64_t slot;
    if (!flow || !sim_map_get(&f->by_flow, flow, &slot)) return NULL;
    const dash_flow *fl = &f->slots[slot - 1];
    cJSON *o = summary_json(fl, d);
    cJSON *hops = cJSON_AddArrayToObject(o, "hop_list");
    bool inquiry_passed_nws = false, provision_passed_nws = false;
    for (uint32_t i = 0; i < fl->nhops; i++) {
        const dash_hop *h = &fl->hops[i];
        cJSON *x = cJSON_CreateObject();
        bool provision = h->kind == FLOW_PROVISION;
        bool after = provision ? provision_passed_nws : inquiry_passed_nws;
        side from_side, to_side;
        if (fl->kind != FLOW_INQUIRY) {
            from_side = to_side = INQUIRER_SIDE;
        } else if (!provision) {
            from_side = after ? PROVIDER_SIDE : INQUIRER_SIDE;
            to_side = h->from == d->nws || after ? PROVIDER_SIDE : INQUIRER_SIDE;
        } else {
            /* answers start on the provider's side unless the NWS or the inquirer's own
             * server refused before the inquiry reached a provider */
            side start = inquiry_passed_nws ? PROVIDER_SIDE : INQUIRER_SIDE;
            from_side = after ? INQUIRER_SIDE : start;
            to_side = h->from == d->nws || after ? INQUIRER_SIDE : start;
        }
        cJSON_AddNumberToObject(x, "t_us", (double)h->t);
        add_time(x, "time", h->t);
        cJSON_AddNumberToObject(x, "at_ms", (double)(h->t - fl->started) / 1e3);
        cJSON_AddNumberToObject(x, "from", h->from);
        cJSON_AddNumberToObject(x, "to", h->to);
        char lane[32];
        cJSON_AddStringToObject(x, "from_lane", lane_of(d, fl, h->from, from_side, lane));
        cJSON_AddStringToObject(x, "to_lane", lane_of(d, fl, h->to, to_side, lane));
        cJSON_AddStringToObject(x, "kind", domain_kind_name((flow_kind)h->kind));
        cJSON_AddStringToObject(x, "step", step_of(d, fl, h, after));
        cJSON *seen = cJSON_AddObjectToObject(x, "seen");
        add_u64(seen, "addressee_no", h->addressee_no);
        if (h->code) {
            char text[CODE_TEXT_LEN + 1];
            domain_code_text(h->code, text);
            cJSON_AddStringToObject(seen, "agency_code", text);
        }
        add_u64(seen, "serial_no", h->serial_no);
        add_u64(seen, "staff", h->staff);
        add_u64(seen, "acquisition_no", h->acquisition_no);
        add_u64(seen, "resident_code", h->resident_code);
        if (h->person_key) cJSON_AddStringToObject(seen, "person_key", "(J-LIS)");
        if (h->error) cJSON_AddStringToObject(seen, "error", domain_error_name((flow_error)h->error));
        if (h->data_len && h->sealed) {
            cJSON_AddStringToObject(seen, "ciphertext", h->data);
            cJSON_AddNumberToObject(seen, "ciphertext_bytes", h->data_len);
        } else if (h->data_len) {
            cJSON_AddStringToObject(seen, "payload", h->data);
            if (h->data_len > PAYLOAD_SHOWN) cJSON_AddNumberToObject(seen, "payload_bytes", h->data_len);
        }
        cJSON_AddItemToArray(hops, x);
        if (h->from == d->nws || h->to == d->nws) {
            if (provision && h->from == d->nws) provision_passed_nws = true;
            if (!provision && h->from == d->nws) inquiry_passed_nws = true;
        }
    }
    if (fl->lost_hops) cJSON_AddNumberToObject(o, "hops_not_kept", fl->lost_hops);
    return o;
}

uint64_t dash_flows_pick(const dash_flows *f)
{
    const dash_flow *best = NULL, *any = NULL;
    for (int i = 0; i < FLOWS_KEPT; i++) {
        const dash_flow *s = &f->slots[i];
        if (!s->flow || s->kind != FLOW_INQUIRY) continue;
        if (!any || s->seq > any->seq) any = s;
        if (s->ended && s->outcome == FLOW_OK && (!best || s->seq > best->seq)) best = s;
    }
    return best ? best->flow : any ? any->flow : 0;
}

int dash_flows_pin(dash_flows *f, uint64_t flow, bool pinned)
{
    uint64_t slot;
    if (!flow || !sim_map_get(&f->by_flow, flow, &slot)) return -ENOENT;
    dash_flow *fl = &f->slots[slot - 1];
    if (pinned && !fl->pinned) {
        unsigned n = 0;
        for (int i = 0; i < FLOWS_KEPT; i++) n += f->slots[i].flow && f->slots[i].pinned;
        if (n >= MAX_PINNED) return -ENOSPC;
    }
    fl->pinned = pinned;
    f->changed++;
    return 0;
}
