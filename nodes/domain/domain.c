/* domain/domain.c - what the domain's subsystems share: the registry of bodies, the
 * permission table, flow messages and their JSON form for the trace, the flow statistics and
 * the flow listeners. */
#include "domain/domain.h"
#include "domain/checker.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const error_names[FLOW_ERRORS] = {
    "ok", "no_code", "not_permitted", "unreachable", "timeout", "integrity", "not_found",
    "duplicate", "no_staff", "server_error", "unknown_acquisition_no",
    "staff_not_permitted", "outside_operating_hours", "planned_maintenance", "no_assessment"};
static const char *const kind_names[FLOW_KINDS] = {"code_request", "code_response", "inquiry",
                                                   "provision", "replica", "replica_ack"};

const char *domain_error_name(flow_error e) { return e < FLOW_ERRORS ? error_names[e] : "?"; }

/* ---- messages -------------------------------------------------------------------------- */

flow_msg *domain_msg_new(void) { return calloc(1, sizeof(flow_msg)); }

void domain_msg_free(void *p)
{
    flow_msg *m = p;
    if (!m) return;
    free(m->data);
    free(m);
}

flow_msg *domain_msg_copy(const flow_msg *m)
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
        domain_code_text(m->code, text);
        sim_buf_puts(b, ",\"agency_code\":\"");
        sim_buf_puts(b, text);
        sim_buf_puts(b, "\"");
    }
    put_number(b, ",\"addressee_no\":", m->addressee_no);
    put_number(b, ",\"acquisition_no\":", m->acquisition_no);
    put_number(b, ",\"resident_code\":", m->resident_code);   /* code acquisition: body -> J-LIS */
    put_number(b, ",\"person_key\":", m->person_key);         /* J-LIS -> NWS */
    put_number(b, ",\"staff\":", m->staff);
    if (m->staff_checked) sim_buf_puts(b, ",\"staff_checked\":true");
    if (m->withheld) sim_buf_puts(b, ",\"withheld\":true");
    if (m->error) {
        sim_buf_puts(b, ",\"error\":\"");
        sim_buf_puts(b, domain_error_name(m->error));
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

static void *flow_copy_any(const void *p) { return domain_msg_copy(p); }

/* A bit error in flight: in the payload when there is one, else in the agency code, else in
 * the acquisition number; and the damage mark. Every real link is integrity-protected, so the
 * next receiver's transport check finds it and discards the message
 * (domain_msg_discard_damaged): nothing damaged is stored or answered on. The bits are
 * flipped too so that the trace shows what arrived. */
static void flow_corrupt(void *p, uint64_t r)
{
    flow_msg *m = p;
    if (m->data_len) m->data[(r >> 8) % m->data_len] ^= (uint8_t)(1u << (r & 7));
    else if (m->code) m->code ^= UINT64_C(1) << (r % 62);
    else if (m->acquisition_no) m->acquisition_no ^= UINT64_C(1) << (r % 39);
    m->damaged = 1;   /* what the transport's checksum will find at the next receiver */
}

static const sim_msg_type msg_types[FLOW_KINDS] = {
    {"code_request", domain_msg_free, NULL, flow_write_json, flow_copy_any, flow_corrupt, domain_msg_dropped},
    {"code_response", domain_msg_free, NULL, flow_write_json, flow_copy_any, flow_corrupt, domain_msg_dropped},
    {"inquiry", domain_msg_free, NULL, flow_write_json, flow_copy_any, flow_corrupt, domain_msg_dropped},
    {"provision", domain_msg_free, NULL, flow_write_json, flow_copy_any, flow_corrupt, domain_msg_dropped},
    {"replica", domain_msg_free, NULL, flow_write_json, flow_copy_any, flow_corrupt, domain_msg_dropped},
    {"replica_ack", domain_msg_free, NULL, flow_write_json, flow_copy_any, flow_corrupt, domain_msg_dropped},
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

bool domain_msg_has_individual_no(const domain *d, const flow_msg *m)
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

int domain_send(sim_node *from, uint32_t to, flow_kind kind, flow_msg *m, uint32_t size)
{
    domain *d = domain_get(from->world);
    if (domain_msg_has_individual_no(d, m)) d->stats.individual_no_seen++;
    for (size_t i = 0; i < d->nlisteners; i++)
        if (d->listeners[i].sent) d->listeners[i].sent(d->listeners[i].ud, from, to, kind, m);
    sim_msg *msg = sim_msg_new(from->world, (uint16_t)d->msg_type[kind], m, size + m->data_len);
    if (!msg) {   /* sim_msg_new freed m */
        domain_halt(d, "%s could not send a %s message (out of memory)", from->name, domain_kind_name(kind));
        return -ENOMEM;
    }
    return sim_node_send(from, to, msg);
}

/* ---- registry -------------------------------------------------------------------------- */

static void domain_free(void *p)
{
    domain *d = p;
    free(d->bodies);   /* the bodies themselves belong to their nodes */
    sim_map_free(&d->individual_nos);
    sim_map_free(&d->blame);
    for (int k = 0; k < FLOW_KINDS; k++) free(d->stats.latency[k]);
    free(d->listeners);
    if (d->hours) sim_calendar_free(d->hours);
    free(d->hours);
    free(d->stops);
    domain_checker_free(d);
    sim_crypto_destroy(d->crypto);
    free(d->db_dir);
    free(d);
}

/* The domain is one of the world's extensions: freed with it, after its nodes. */
static const sim_world_ext_key domain_key = {"domain"};

void domain_halt(domain *d, const char *fmt, ...)
{
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    sim_world_halt(d->w, DOMAIN_EXIT_INTERNAL, reason);
}

int domain_timer_at(sim_node *n, sim_time_t at, uint64_t tag, void *arg)
{
    int rc = sim_node_at(n, at, tag, arg, NULL);
    if (rc < 0) {
        domain *d = domain_find(n->world);
        if (d) domain_halt(d, "%s could not schedule its timer %llu: %s", n->name, (unsigned long long)tag, strerror(-rc));
        else sim_world_halt(n->world, DOMAIN_EXIT_INTERNAL, "a node could not schedule a timer");
    }
    return rc;
}

int domain_timer_after(sim_node *n, int64_t delay, uint64_t tag, void *arg)
{
    return domain_timer_at(n, sim_world_now(n->world) + delay, tag, arg);
}

domain *domain_find(const sim_world *w) { return sim_world_ext(w, &domain_key); }

domain *domain_get(sim_world *w)
{
    domain *d = sim_world_ext(w, &domain_key);
    if (d) return d;
    d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->w = w;
    d->nws = d->jlis = d->mynaportal = UINT32_MAX;
    d->timeout = 60 * SIM_SEC;
    d->key_rotation = SIM_DAY;
    d->retention = 7 * 365 * SIM_DAY;   /* seven years (an assumption, as 番号法施行令 has it) */
    d->next_flow = 1;
    if (sim_crypto_create(&d->crypto) < 0 || domain_checker_init(d) < 0 ||
        sim_world_ext_attach(w, &domain_key, d, domain_free) < 0) {
        domain_free(d);
        return NULL;
    }
    for (int k = 0; k < FLOW_KINDS; k++) d->msg_type[k] = sim_msg_type_register(w, &msg_types[k]);
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

int domain_listen(domain *d, const domain_flow_listener *l)
{
    if (d->nlisteners == d->cap_listeners) {
        size_t cap = d->cap_listeners ? d->cap_listeners * 2 : 4;
        domain_flow_listener *p = realloc(d->listeners, cap * sizeof *p);
        if (!p) return -ENOMEM;
        d->listeners = p;
        d->cap_listeners = cap;
    }
    d->listeners[d->nlisteners++] = *l;
    return 0;
}

void domain_unlisten(domain *d, void *ud)
{
    for (size_t i = 0; i < d->nlisteners; i++) {
        if (d->listeners[i].ud != ud) continue;
        memmove(&d->listeners[i], &d->listeners[i + 1], (d->nlisteners - i - 1) * sizeof *d->listeners);
        d->nlisteners--;
        i--;
    }
}

bool domain_is_prefecture(const body *b)
{
    return b->kind == BODY_LG && b->code[2] == '0' && b->code[3] == '0' && b->code[4] == '0';
}

const domain_stop *domain_stop_at(const domain *d, sim_time_t t)
{
    for (size_t i = 0; i < d->nstops && d->stops[i].from <= t; i++)   /* few: a list */
        if (t < d->stops[i].until) return &d->stops[i];
    return NULL;
}

int domain_add_stop(domain *d, sim_time_t from, sim_time_t until, sim_time_t announced, int64_t notice)
{
    if (until <= from || announced > from || notice < 0) return -EINVAL;
    size_t at = 0;
    while (at < d->nstops && d->stops[at].from < from) at++;
    if ((at > 0 && d->stops[at - 1].until > from) || (at < d->nstops && d->stops[at].from < until)) return -EEXIST;
    domain_stop *all = realloc(d->stops, (d->nstops + 1) * sizeof *all);
    if (!all) return -ENOMEM;
    d->stops = all;
    memmove(&all[at + 1], &all[at], (d->nstops - at) * sizeof *all);
    all[at] = (domain_stop){.from = from, .until = until, .announced = announced,
                            .known = from - announced >= notice};
    d->nstops++;
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

void domain_flow_started(domain *d, flow_kind k)
{
    d->stats.started[k]++;
    for (size_t i = 0; i < d->nlisteners; i++)
        if (d->listeners[i].started) d->listeners[i].started(d->listeners[i].ud, k);
}

/* Latencies are kept one per answered flow, for the percentiles. */
static void note_latency(domain *d, flow_stats *s, flow_kind k, int64_t latency)
{
    if (s->nlatency[k] == s->cap_latency[k]) {
        size_t cap = s->cap_latency[k] ? s->cap_latency[k] * 2 : 1024;
        int64_t *p = realloc(s->latency[k], cap * sizeof *p);
        if (!p) {   /* percentiles over part of the flows would be wrong without saying so */
            domain_halt(d, "the latencies of %s flows cannot grow (out of memory)", domain_kind_name(k));
            return;
        }
        s->latency[k] = p;
        s->cap_latency[k] = cap;
    }
    s->latency[k][s->nlatency[k]++] = latency;
}

void domain_flow_ended(domain *d, const domain_flow_end *ended)
{
    domain_flow_end e = *ended, *ev = &e;
    e.cause = domain_flow_take_blame(d, e.flow);
    flow_stats *s = &d->stats;
    s->ended[ev->kind]++;
    s->outcome[ev->kind][ev->error]++;
    if (domain_error_is_failure(ev->error)) s->failed_by_cause[ev->cause.cause]++;
    if (ev->latency >= 0) note_latency(d, s, ev->kind, ev->latency);   /* answered flows only */
    for (size_t i = 0; i < d->nlisteners; i++)
        if (d->listeners[i].ended) d->listeners[i].ended(d->listeners[i].ud, ev);
}

/* ---- identifiers ----------------------------------------------------------------------- */

uint64_t domain_new_code(sim_rng *r)
{
    uint64_t c;
    do c = sim_rng_next(r) >> 1; while (c == 0);
    return c;
}

void domain_code_text(uint64_t code, char out[CODE_TEXT_LEN + 1])
{
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";   /* Crockford's */
    for (int i = CODE_TEXT_LEN - 1; i >= 0; i--, code >>= 5) out[i] = alphabet[code & 31];
    out[CODE_TEXT_LEN] = '\0';
}

/* 個人番号の検査用数字 (総務省令): weights Qn = n + 1 for n = 1..6, n - 5 for n = 7..11, over
 * the digits Pn counted from the right of the first eleven; r = sum mod 11; check = 0 when
 * r <= 1, else 11 - r. */
int domain_individual_no_check_digit(uint64_t first11)
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


const char *domain_kind_name(flow_kind k) { return k < FLOW_KINDS ? kind_names[k] : "?"; }

flow_kind domain_kind_of(const domain *d, uint16_t msg_type)
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
