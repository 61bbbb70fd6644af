/* node_domain.c - what the domain's node kinds share: the registry of bodies, the permission
 * table, flow messages and their JSON form for the trace, and the flow statistics. */
#include "node_domain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const error_names[FLOW_ERRORS] = {
    "ok", "no_code", "not_permitted", "unreachable", "timeout", "integrity", "not_found",
    "duplicate", "no_staff"};
static const char *const kind_names[FLOW_KINDS] = {"code_request", "code_response", "inquiry",
                                                   "provision", "replica", "replica_ack"};

const char *flow_error_name(flow_error e) { return e < FLOW_ERRORS ? error_names[e] : "?"; }

/* ---- messages -------------------------------------------------------------------------- */

flow_msg *flow_msg_new(void) { return calloc(1, sizeof(flow_msg)); }

void flow_msg_free(void *p)
{
    flow_msg *m = p;
    if (!m) return;
    free(m->data);
    free(m);
}

flow_msg *flow_copy(const flow_msg *m)
{
    flow_msg *c = malloc(sizeof *c);
    if (!c) return NULL;
    *c = *m;
    c->data = NULL;
    if (m->data_len) {
        c->data = malloc(m->data_len);
        if (!c->data) {
            free(c);
            return NULL;
        }
        memcpy(c->data, m->data, m->data_len);
    }
    return c;
}

/* What each hop saw, for the trace and the trainer's screen. */
static cJSON *flow_json(const void *p)
{
    const flow_msg *m = p;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "flow", (double)m->flow);
    if (m->serial_no) cJSON_AddNumberToObject(j, "serial_no", (double)m->serial_no);
    if (m->code[0]) cJSON_AddStringToObject(j, "agency_code", m->code);
    if (m->addressee_no) cJSON_AddNumberToObject(j, "addressee_no", (double)m->addressee_no);
    if (m->acquisition_no) cJSON_AddNumberToObject(j, "acquisition_no", (double)m->acquisition_no);
    if (m->staff) cJSON_AddNumberToObject(j, "staff", m->staff);
    if (m->error) cJSON_AddStringToObject(j, "error", flow_error_name(m->error));
    if (m->data_len) {
        if (m->sealed) {
            char hex[2 * 24 + 1];
            size_t n = m->data_len < 24 ? m->data_len : 24;
            sim_crypto_hex(m->data, n, hex);
            cJSON_AddStringToObject(j, "ciphertext", hex);
            cJSON_AddNumberToObject(j, "ciphertext_bytes", m->data_len);
        } else {
            char *text = strndup((const char *)m->data, m->data_len);
            if (text) cJSON_AddStringToObject(j, "payload", text);
            free(text);
        }
    }
    return j;
}

static const sim_msg_type msg_types[FLOW_KINDS] = {
    {"code_request", flow_msg_free, flow_json},
    {"code_response", flow_msg_free, flow_json},
    {"inquiry", flow_msg_free, flow_json},
    {"provision", flow_msg_free, flow_json},
    {"replica", flow_msg_free, flow_json},
    {"replica_ack", flow_msg_free, flow_json},
};

int flow_send(sim_node *from, uint32_t to, flow_kind kind, flow_msg *m, uint32_t size)
{
    domain *d = domain_get(from->world);
    sim_msg *msg = sim_msg_new(from->world, (uint16_t)d->msg_type[kind], m, size + m->data_len);
    if (!msg) return -ENOMEM;
    return sim_node_send(from, to, msg);
}

/* ---- registry -------------------------------------------------------------------------- */

static void domain_free(domain *d)
{
    free(d->bodies);   /* the bodies themselves belong to their nodes */
    if (d->workload) d->workload_free(d->workload);
    for (int k = 0; k < FLOW_KINDS; k++) free(d->stats.latency[k]);
    sim_crypto_destroy(d->crypto);
    free(d->db_dir);
    free(d);
}

static void domain_destroy_node(sim_node *n) { domain_free(n->state); }

/* The registry lives in the state of a hidden node, so the world frees it with its nodes. */
static const sim_node_kind registry_kind = {.name = "domain", .destroy = domain_destroy_node};

domain *domain_get(sim_world *w)
{
    domain *d = sim_world_userdata(w, SIM_UD_DOMAIN);
    if (d) return d;
    d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->w = w;
    d->nws = d->jlis = UINT32_MAX;
    d->timeout = 60 * SIM_SEC;
    d->key_rotation = SIM_DAY;
    d->next_flow = 1;
    if (sim_crypto_create(&d->crypto) < 0 ||
        sim_world_add_node(w, &registry_kind, "(domain)", d, NULL) < 0) {
        domain_free(d);
        return NULL;
    }
    for (int k = 0; k < FLOW_KINDS; k++) d->msg_type[k] = sim_msg_type_register(w, &msg_types[k]);
    sim_world_set_userdata(w, SIM_UD_DOMAIN, d);
    return d;
}

body *domain_body(domain *d, uint32_t node) { return node < d->nbodies_cap ? d->bodies[node] : NULL; }

int domain_add_body(domain *d, body *b)
{
    if (b->node >= d->nbodies_cap) {
        uint32_t cap = d->nbodies_cap ? d->nbodies_cap : 256;
        while (cap <= b->node) cap *= 2;
        body **p = realloc(d->bodies, cap * sizeof *p);
        if (!p) return -ENOMEM;
        memset(p + d->nbodies_cap, 0, (cap - d->nbodies_cap) * sizeof *p);
        d->bodies = p;
        d->nbodies_cap = cap;
    }
    d->bodies[b->node] = b;
    return 0;
}

int domain_item(const domain *d, const char *code)
{
    for (int i = 0; i < d->nitems; i++)
        if (strcmp(d->items[i].code, code) == 0) return i;
    return -1;
}

int domain_procedure(const domain *d, const char *id)
{
    for (int i = 0; i < d->nprocs; i++)
        if (strcmp(d->procs[i].id, id) == 0) return i;
    return -1;
}

/* ---- statistics ------------------------------------------------------------------------ */

void flow_started(domain *d, flow_kind k) { d->stats.started[k]++; }

void flow_ended(domain *d, flow_kind k, flow_error e, int64_t latency)
{
    flow_stats *s = &d->stats;
    s->ended[k]++;
    s->outcome[k][e]++;
    if (s->nlatency[k] == s->cap_latency[k]) {
        size_t cap = s->cap_latency[k] ? s->cap_latency[k] * 2 : 1024;
        int64_t *p = realloc(s->latency[k], cap * sizeof *p);
        if (!p) return;
        s->latency[k] = p;
        s->cap_latency[k] = cap;
    }
    s->latency[k][s->nlatency[k]++] = latency;
}

/* ---- identifiers ----------------------------------------------------------------------- */

void domain_new_code(sim_rng *r, char out[CODE_LEN + 1])
{
    static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    for (int i = 0; i < CODE_LEN; i++) out[i] = alphabet[sim_rng_below(r, sizeof alphabet - 1)];
    out[CODE_LEN] = '\0';
}

/* 個人番号の検査用数字 (総務省令): weights Qn = n + 1 for n = 1..6, n - 5 for n = 7..11, over
 * the digits Pn counted from the right of the first eleven; r = sum mod 11; check = 0 when
 * r <= 1, else 11 - r. */
int individual_no_check_digit(uint64_t first11)
{
    unsigned sum = 0;
    for (unsigned n = 1; n <= 11; n++) {
        unsigned p = (unsigned)(first11 % 10);
        first11 /= 10;
        sum += p * (n <= 6 ? n + 1 : n - 5);
    }
    unsigned r = sum % 11;
    return r <= 1 ? 0 : (int)(11 - r);
}

bool individual_no_valid(uint64_t n)
{
    return n < UINT64_C(1000000000000) && (int)(n % 10) == individual_no_check_digit(n / 10);
}

bool text_has_individual_no(const char *text, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] >= '0' && text[i] <= '9') {
            run++;
            continue;
        }
        if (run == 12) {
            uint64_t v = 0;
            for (size_t k = i - 12; k < i; k++) v = v * 10 + (uint64_t)(text[k] - '0');
            if (individual_no_valid(v)) return true;
        }
        run = 0;
    }
    return false;
}

const char *flow_kind_name(flow_kind k) { return k < FLOW_KINDS ? kind_names[k] : "?"; }
