/* node_domain.c - what the domain's node kinds share: the registry of bodies, the permission
 * table, flow messages and their JSON form for the trace, and the flow statistics. */
#include "node_domain.h"
#include "node_fault.h"
#include "node_ha_msg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const error_names[FLOW_ERRORS] = {
    "ok", "no_code", "not_permitted", "unreachable", "timeout", "integrity", "not_found",
    "duplicate", "no_staff", "server_error"};
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

/* What each hop saw, for the trace and the trainer's screen, written straight into the trace
 * line: the national run traces about two million messages, and building cJSON trees for
 * them cost a fifth of the run. */
static void put_number(sim_buf *b, const char *key, uint64_t v)
{
    if (!v) return;
    sim_buf_puts(b, key);
    sim_buf_u64(b, v);
}

static void flow_write_json(const void *p, sim_buf *b)
{
    const flow_msg *m = p;
    sim_buf_puts(b, "{\"flow\":");
    sim_buf_u64(b, m->flow);
    put_number(b, ",\"serial_no\":", m->serial_no);
    if (m->code) {
        char text[CODE_TEXT_LEN + 1];
        code_text(m->code, text);
        sim_buf_puts(b, ",\"agency_code\":\"");
        sim_buf_puts(b, text);
        sim_buf_puts(b, "\"");
    }
    put_number(b, ",\"addressee_no\":", m->addressee_no);
    put_number(b, ",\"acquisition_no\":", m->acquisition_no);
    put_number(b, ",\"staff\":", m->staff);
    if (m->error) {
        sim_buf_puts(b, ",\"error\":\"");
        sim_buf_puts(b, flow_error_name(m->error));
        sim_buf_puts(b, "\"");
    }
    if (m->data_len && m->sealed) {
        char hex[2 * 24 + 1];
        sim_crypto_hex(m->data, m->data_len < 24 ? m->data_len : 24, hex);
        sim_buf_puts(b, ",\"ciphertext\":\"");
        sim_buf_puts(b, hex);
        sim_buf_puts(b, "\"");
        put_number(b, ",\"ciphertext_bytes\":", m->data_len);
    } else if (m->data_len) {
        char *text = strndup((const char *)m->data, m->data_len);
        if (text) {
            sim_buf_puts(b, ",\"payload\":");
            sim_buf_json_string(b, text);
        }
        free(text);
    }
    sim_buf_puts(b, "}");
}

static void *flow_copy_any(const void *p) { return flow_copy(p); }

/* A bit error in flight: in the payload when there is one (a sealed one then fails to open:
 * integrity), else in the agency code (which then matches no one: not found, no code), else
 * in the acquisition number. Serial numbers and flow ids are left alone: the transport's
 * framing carries them, and the records that reconcile on them are not what is tested. */
static void flow_corrupt(void *p, uint64_t r)
{
    flow_msg *m = p;
    if (m->data_len) m->data[(r >> 8) % m->data_len] ^= (uint8_t)(1u << (r & 7));
    else if (m->code) m->code ^= UINT64_C(1) << (r % 62);
    else if (m->acquisition_no) m->acquisition_no ^= UINT64_C(1) << (r % 39);
}

static const sim_msg_type msg_types[FLOW_KINDS] = {
    {"code_request", flow_msg_free, NULL, flow_write_json, flow_copy_any, flow_corrupt},
    {"code_response", flow_msg_free, NULL, flow_write_json, flow_copy_any, flow_corrupt},
    {"inquiry", flow_msg_free, NULL, flow_write_json, flow_copy_any, flow_corrupt},
    {"provision", flow_msg_free, NULL, flow_write_json, flow_copy_any, flow_corrupt},
    {"replica", flow_msg_free, NULL, flow_write_json, flow_copy_any, flow_corrupt},
    {"replica_ack", flow_msg_free, NULL, flow_write_json, flow_copy_any, flow_corrupt},
};

static bool digits_have_known_no(const domain *d, const char *text, size_t len)
{
    size_t run = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && text[i] >= '0' && text[i] <= '9') {
            run++;
            continue;
        }
        if (run >= 12) {   /* any 12-digit window of a longer run, too */
            for (size_t start = i - run; start + 12 <= i; start++) {
                uint64_t v = 0;
                for (size_t k = start; k < start + 12; k++) v = v * 10 + (uint64_t)(text[k] - '0');
                if (sim_map_get(&d->individual_nos, v, NULL)) return true;
            }
        }
        run = 0;
    }
    return false;
}

bool flow_msg_has_individual_no(const domain *d, const flow_msg *m)
{
    if (!sim_map_len(&d->individual_nos)) return false;
    const uint64_t numbers[] = {m->addressee_no, m->acquisition_no, m->person_key, m->resident_code,
                                m->serial_no, m->flow, m->code};
    for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)   /* 12 digits or none */
        if (numbers[i] >= UINT64_C(100000000000) && numbers[i] < UINT64_C(1000000000000) &&
            sim_map_get(&d->individual_nos, numbers[i], NULL))
            return true;
    return digits_have_known_no(d, m->record_id, strlen(m->record_id)) ||
           (!m->sealed && m->data_len && digits_have_known_no(d, (const char *)m->data, m->data_len));
}

int flow_send(sim_node *from, uint32_t to, flow_kind kind, flow_msg *m, uint32_t size)
{
    domain *d = domain_get(from->world);
    if (flow_msg_has_individual_no(d, m)) d->stats.individual_no_seen++;
    if (d->observer.sent) d->observer.sent(d->observer.ud, from, to, kind, m);
    sim_msg *msg = sim_msg_new(from->world, (uint16_t)d->msg_type[kind], m, size + m->data_len);
    if (!msg) return -ENOMEM;
    return sim_node_send(from, to, msg);
}

/* ---- registry -------------------------------------------------------------------------- */

static void domain_free(domain *d)
{
    free(d->bodies);   /* the bodies themselves belong to their nodes */
    sim_map_free(&d->individual_nos);
    if (d->workload) d->workload_free(d->workload);
    faults_free(d);
    ha_world_free(d);
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

int domain_add_flow_listener(domain *d, domain_flow_end_fn fn, void *ud)
{
    if (d->nlisteners == (int)(sizeof d->listeners / sizeof d->listeners[0])) return -ENOSPC;
    d->listeners[d->nlisteners].fn = fn;
    d->listeners[d->nlisteners++].ud = ud;
    return 0;
}

void domain_flow_ended(domain *d, body *b, flow_kind kind, uint64_t flow, flow_error e, const flow_msg *m)
{
    if (d->on_end) d->on_end(d->on_end_ud, b, kind, flow, e, m);
    for (int i = 0; i < d->nlisteners; i++) d->listeners[i].fn(d->listeners[i].ud, b, kind, flow, e, m);
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

void flow_started(domain *d, flow_kind k)
{
    d->stats.started[k]++;
    if (d->observer.started) d->observer.started(d->observer.ud, k);
}

void flow_ended(domain *d, flow_kind k, flow_error e, int64_t latency)
{
    flow_stats *s = &d->stats;
    s->ended[k]++;
    s->outcome[k][e]++;
    if (d->observer.ended) d->observer.ended(d->observer.ud, k, e, latency);
    if (latency < 0) return;   /* no answer (timeout, crash): no latency to count */
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

uint64_t domain_new_code(sim_rng *r)
{
    uint64_t c;
    do c = sim_rng_next(r) >> 1; while (c == 0);
    return c;
}

void code_text(uint64_t code, char out[CODE_TEXT_LEN + 1])
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";   /* Crockford's */
    for (int i = CODE_TEXT_LEN - 1; i >= 0; i--, code >>= 5) out[i] = alphabet[code & 31];
    out[CODE_TEXT_LEN] = '\0';
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


const char *flow_kind_name(flow_kind k) { return k < FLOW_KINDS ? kind_names[k] : "?"; }

flow_kind flow_kind_of(const domain *d, uint16_t msg_type)
{
    for (int k = 0; k < FLOW_KINDS; k++)
        if (d->msg_type[k] == msg_type) return (flow_kind)k;
    return FLOW_KINDS;
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

void domain_latency(domain *d, flow_kind k, double *p50, double *p95, double *p99)
{
    flow_stats *s = &d->stats;
    *p50 = *p95 = *p99 = 0;
    size_t n = s->nlatency[k];
    if (!n) return;
    if (s->sorted[k] != n) qsort(s->latency[k], n, sizeof *s->latency[k], compare_i64);
    s->sorted[k] = n;
    *p50 = (double)s->latency[k][(n - 1) * 50 / 100] / 1e3;
    *p95 = (double)s->latency[k][(n - 1) * 95 / 100] / 1e3;
    *p99 = (double)s->latency[k][(n - 1) * 99 / 100] / 1e3;
}

sim_store *node_nws_store(sim_node *n);
uint64_t node_nws_serials(sim_node *n);

/* Mark the serial numbers a query returns in a bitmap of n bits; the rest are ignored. */
static void collect(sim_store *st, int slot, const char *sql, uint8_t *bits, uint64_t n, uint64_t *count)
{
    sqlite3_stmt *q = sim_store_stmt(st, slot, sql);
    while (q && sim_store_read(st, q) == 1) {
        uint64_t serial = (uint64_t)sqlite3_column_int64(q, 0);
        if (serial >= n || bits[serial / 8] & (1u << (serial % 8))) continue;
        bits[serial / 8] |= (uint8_t)(1u << (serial % 8));
        (*count)++;
    }
}

/* The three records of every provision: the NWS's access record says "provided", the
 * provider logged the answer, the inquirer logged the receipt. Answers can be in flight at the
 * end of a run (and an integrity failure is received as such), so the sets nest:
 * received (ok) within provided within answered (ok). Serial numbers are dense (the NWS
 * counts them from 1), so the sets are bitmaps. */
static bool reconcile_serials(domain *d, char *why, size_t n)
{
    uint64_t issued = d->nws != UINT32_MAX ? node_nws_serials(sim_world_node(d->w, d->nws)) + 1 : 1;
    size_t bytes = (size_t)(issued + 7) / 8;
    uint8_t *nws = calloc(bytes, 1), *answered = calloc(bytes, 1), *received = calloc(bytes, 1);
    uint64_t n_nws = 0, n_answered = 0, n_received = 0;
    bool ok = nws && answered && received;
    if (ok && d->nws != UINT32_MAX)
        collect(node_nws_store(sim_world_node(d->w, d->nws)), 61,
                "SELECT serial_no FROM access_outcome WHERE outcome = 'provided'", nws, issued, &n_nws);
    for (uint32_t i = 0; ok && i < sim_world_node_count(d->w); i++) {
        tenant_db *t = domain_node_db(d, i);
        if (!t) continue;
        collect(t->store, 62, "SELECT serial_no FROM provision_log WHERE outcome = 'ok'", answered, issued, &n_answered);
        collect(t->store, 63, "SELECT serial_no FROM receipt_log WHERE outcome = 'ok'", received, issued, &n_received);
    }
    for (size_t i = 0; ok && i < bytes; i++)   /* received within nws within answered */
        ok = !(received[i] & ~nws[i]) && !(nws[i] & ~answered[i]);
    snprintf(why, n, "providers answered %llu, the NWS passed %llu, inquirers received %llu%s",
             (unsigned long long)n_answered, (unsigned long long)n_nws, (unsigned long long)n_received,
             ok ? "" : ": a serial number is missing from an earlier record");
    free(nws);
    free(answered);
    free(received);
    return ok;
}

static int compute_invariants(domain *d, invariant_result out[8]);

int domain_invariants(domain *d, invariant_result out[8])
{
    uint64_t events = sim_world_stats_get(d->w)->events;
    if (!d->ninv_cache || d->inv_cache_events != events) {
        d->ninv_cache = compute_invariants(d, d->inv_cache);
        d->inv_cache_events = events;
    }
    memcpy(out, d->inv_cache, (size_t)d->ninv_cache * sizeof *out);
    return d->ninv_cache;
}

static int compute_invariants(domain *d, invariant_result out[8])
{
    flow_stats *s = &d->stats;
    int n = 0;
    out[n] = (invariant_result){"no individual number on the network", s->individual_no_seen == 0, ""};
    snprintf(out[n++].detail, sizeof out[0].detail, "%llu message(s) carried one",
             (unsigned long long)s->individual_no_seen);
    uint64_t started = 0, ended = 0;
    for (int k = 0; k < FLOW_KINDS; k++) {
        started += s->started[k];
        ended += s->ended[k];
    }
    /* Each flow ends once by construction (its pending entry goes at the first end); what can
     * go wrong is silence: a flow neither ended nor waiting on a live timeout. */
    uint64_t open = 0;
    for (uint32_t i = 0; i < d->nbodies_cap; i++)
        if (d->bodies[i]) open += sim_map_len(&d->bodies[i]->pending);
    out[n] = (invariant_result){"every flow ends exactly once", started == ended + open, ""};
    snprintf(out[n++].detail, sizeof out[0].detail,
             "%llu started, %llu ended, %llu waiting for an answer or their timeout, %llu late answers ignored",
             (unsigned long long)started, (unsigned long long)ended, (unsigned long long)open,
             (unsigned long long)s->late_answers);
    out[n] = (invariant_result){"every inquiry names a staff member", s->unnamed_staff == 0, ""};
    snprintf(out[n++].detail, sizeof out[0].detail, "%llu inquiries named none", (unsigned long long)s->unnamed_staff);
    char why[160];
    bool reconcile = reconcile_serials(d, why, sizeof why);
    out[n] = (invariant_result){"serial numbers reconcile (inquirer within NWS within provider)", reconcile, ""};
    snprintf(out[n++].detail, sizeof out[0].detail, "%s", why);
    if (d->nws != UINT32_MAX) {
        sim_store *st = node_nws_store(sim_world_node(d->w, d->nws));
        sqlite3_stmt *q = sim_store_stmt(st, 60,
            "SELECT COUNT(*) FROM (SELECT person FROM codes GROUP BY person"
            " HAVING COUNT(DISTINCT code) < COUNT(*))");
        long long bad = q && sim_store_read(st, q) == 1 ? sqlite3_column_int64(q, 0) : -1;
        if (q) sqlite3_reset(q);
        out[n] = (invariant_result){"codes differ across bodies for the same person", bad == 0, ""};
        snprintf(out[n++].detail, sizeof out[0].detail, "%lld person(s) share a code between bodies", bad);
    }
    if (d->ha) {
        const ha_stats *st = &d->ha->st;
        out[n] = (invariant_result){"no tenant served by two sites at once", st->split_brain_seen == 0, ""};
        snprintf(out[n++].detail, sizeof out[0].detail, "%llu moment(s) of two sites serving; %llu promotion(s) refused",
                 (unsigned long long)st->split_brain_seen, (unsigned long long)st->refused_promotions);
        uint64_t lost = 0, at_failback = 0;
        for (size_t i = 0; d->faults && i < d->faults->n; i++) {
            lost += d->faults->list[i]->rpo_writes;
            at_failback += d->faults->list[i]->failback_lost;
        }
        bool sync = d->ha->s.sync && !d->ha->s.degrade;
        out[n] = (invariant_result){"acknowledged writes survive a failover", (!sync || lost == 0) && at_failback == 0, ""};
        snprintf(out[n++].detail, sizeof out[0].detail,
                 "%llu acknowledged write(s) lost at promotion (%s), %llu at failback",
                 (unsigned long long)lost, sync ? "synchronous replication" : "not synchronous: measured, allowed",
                 (unsigned long long)at_failback);
    }
    return n;
}
