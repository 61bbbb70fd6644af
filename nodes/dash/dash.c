/* dash/dash.c - the dashboard's lifecycle and its HTTP API (web/API.md): reads of the run's
 * state, topology, figures, checks, event log and recorded flows; the controls that drive
 * the sim_run (pause, resume, step, speed, run until, narration); and the live updates, one
 * batched event every TICK_MS of wall time to every browser (coalesced: a busy second of
 * simulation is ten messages, not thousands).
 *
 * Nothing here schedules into the world: figures are counted by the domain's observer and
 * the trace tap, and node states are read at each tick. Only a fault injected from the page
 * changes the run, as it would from a script (fault/fault.h). */
#include "dash/dash_internal.h"

#include "domain/checker.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault/fault.h"
#include "report/report.h"
#include "sim_lua.h"

enum {
    TICK_MS = 100,              /* live updates: ten a second at most */
    RATE_EVERY_MS = 1000,       /* run-rate samples for the charts */
    CHECKS_EVERY_MS = 3000,     /* invariants scan the stores: not on every tick */
    LOG_PER_TICK = 200,
    MAX_STEP = 100000,
    MAX_HOPS = 100,             /* POST /api/step {"hops": n} */
    MAX_HOP_EVENTS = 1000000,   /* a hop step gives up after this many events (a few seconds) */
    CHANNEL_LIVE = 0,
};

const sim_world_ext_key dash_ext_key = {"dashboard"};

node_dash *dash_of(sim_world *w) { return sim_world_ext(w, &dash_ext_key); }

/* ---- observers ------------------------------------------------------------------------- */

static void obs_sent(void *ud, const sim_node *from, uint32_t to, flow_kind kind, const flow_msg *m)
{
    node_dash *d = ud;
    /* only the page and a narrated run's handout (report.html) read them */
    if (d->http || d->caption_seq) dash_flows_sent(&d->flows, d->d, from, to, kind, m);
}

static void obs_started(void *ud, flow_kind kind)
{
    node_dash *d = ud;
    dash_series_started(&d->series, sim_world_now(d->w), kind);
}

static void obs_ended(void *ud, const domain_flow_end *ev)
{
    node_dash *d = ud;
    dash_series_ended(&d->series, sim_world_now(d->w), ev->kind, ev->error, ev->latency);
    d->last_ended = ev->flow;
}

static void trace_tap(void *ud, const char *line, size_t len)
{
    node_dash *d = ud;
    if (d->log.lines) dash_log_add(&d->log, line, len);
    dash_ops_add(&d->ops, line, len);
}

int dash_attach(sim_world *w, node_dash **out)
{
    node_dash *d = calloc(1, sizeof *d);
    if (!d) return -ENOMEM;
    d->w = w;
    dash_series_init(&d->series, sim_world_start(w));
    dash_flows_init(&d->flows);
    dash_ops_init(&d->ops);
    d->pause_at_captions = true;
    int rc = sim_world_ext_attach(w, &dash_ext_key, d, NULL);
    if (rc < 0) {
        dash_series_free(&d->series);
        dash_flows_free(&d->flows);
        free(d);
        return rc;
    }
    *out = d;
    return 0;
}

void dash_begin(node_dash *d)
{
    d->d = domain_find(d->w);
    dash_series_free(&d->series);
    dash_series_init(&d->series, sim_world_start(d->w));   /* the scripts may have moved the start */
    /* The dashboard only reads what it is told: a run served gives the trace of one that is not. */
    if (d->d && domain_listen(d->d, &(domain_flow_listener){.sent = obs_sent, .started = obs_started, .ended = obs_ended, .ud = d}) < 0)
        d->d = NULL;   /* no memory to listen: the page shows no flows rather than wrong ones */
}

/* ---- state ----------------------------------------------------------------------------- */

static const char *state_name(node_dash *d)
{
    if (!d->run) return "none";
    switch (sim_run_get_state(d->run)) {
    case SIM_RUN_IDLE: return "idle";
    case SIM_RUN_RUNNING: return "running";
    case SIM_RUN_PAUSED: return "paused";
    default: return "ended";
    }
}

static void add_time(cJSON *o, const char *key, sim_time_t t)
{
    char buf[SIM_TIME_BUFSZ];
    sim_time_format(t, buf, sizeof buf);
    cJSON_AddStringToObject(o, key, buf);
}

void dash_add_state(node_dash *d, cJSON *o)
{
    const sim_world_stats *st = sim_world_stats_get(d->w);
    cJSON_AddNumberToObject(o, "version", (double)d->version);
    cJSON_AddNumberToObject(o, "now_us", (double)sim_world_now(d->w));
    add_time(o, "now", sim_world_now(d->w));
    cJSON_AddNumberToObject(o, "start_us", (double)sim_world_start(d->w));
    if (d->run) cJSON_AddNumberToObject(o, "until_us", (double)sim_run_get_until(d->run));
    cJSON_AddStringToObject(o, "state", state_name(d));
    cJSON_AddNumberToObject(o, "speed", d->run ? sim_run_get_speed(d->run) : 0);
    cJSON_AddNumberToObject(o, "events", (double)st->events);
    cJSON_AddNumberToObject(o, "pending", (double)sim_world_pending(d->w));
    cJSON_AddNumberToObject(o, "messages_sent", (double)st->msgs_sent);
    cJSON_AddNumberToObject(o, "messages_dropped", (double)st->msgs_dropped);
    cJSON_AddNumberToObject(o, "events_per_s", round(d->eps));
    cJSON_AddNumberToObject(o, "sim_per_wall", round(d->ratio * 100) / 100);
    cJSON_AddBoolToObject(o, "pause_at_captions", d->pause_at_captions);
    cJSON_AddBoolToObject(o, "paused_by_script", d->paused_by_script);
    if (d->caption_seq) {
        cJSON *c = cJSON_AddObjectToObject(o, "caption");
        cJSON_AddNumberToObject(c, "seq", (double)d->caption_seq);
        cJSON_AddStringToObject(c, "ja", d->caption_ja ? d->caption_ja : "");
        cJSON_AddStringToObject(c, "en", d->caption_en ? d->caption_en : "");
        add_time(c, "at", d->caption_at);
    }
    if (d->ended) {
        cJSON_AddStringToObject(o, "end_reason", d->end_reason);
        cJSON_AddNumberToObject(o, "exit_status", d->exit_status);
    }
    if (d->d && d->flows.followed_body != UINT32_MAX) {
        sim_node *n = sim_world_node(d->w, d->flows.followed_body);
        body *b = domain_body(d->d, d->flows.followed_body);
        cJSON *f = cJSON_AddObjectToObject(o, "followed");
        cJSON_AddStringToObject(f, "body", n ? n->name : "?");
        cJSON_AddStringToObject(f, "name", b && b->name ? b->name : n ? n->name : "?");
        if (d->flows.followed) cJSON_AddNumberToObject(f, "flow", (double)d->flows.followed);
        else cJSON_AddNullToObject(f, "flow");
    }
    if (d->d) {
        cJSON *f = cJSON_AddObjectToObject(o, "inquiries");
        cJSON_AddNumberToObject(f, "started", (double)d->d->stats.started[FLOW_INQUIRY]);
        cJSON_AddNumberToObject(f, "ended", (double)d->d->stats.ended[FLOW_INQUIRY]);
        cJSON_AddNumberToObject(f, "ok", (double)d->d->stats.outcome[FLOW_INQUIRY][FLOW_OK]);
    }
    if (d->http) {
        const sim_http_stats *hs = sim_http_stats_get(d->http);
        cJSON *h = cJSON_AddObjectToObject(o, "server");
        cJSON_AddNumberToObject(h, "clients", sim_http_sse_clients(d->http, CHANNEL_LIVE));
        cJSON_AddNumberToObject(h, "updates_sent", (double)hs->sse_messages);
        cJSON_AddNumberToObject(h, "updates_dropped", (double)hs->sse_dropped);
    }
}

static cJSON *checks_json(node_dash *d)
{
    cJSON *o = cJSON_CreateObject();
    add_time(o, "at", sim_world_now(d->w));
    cJSON *inv = cJSON_AddArrayToObject(o, "invariants");
    if (d->d) {
        invariant_result r[DOMAIN_INVARIANTS];
        int n = domain_invariants(d->d, r);
        for (int i = 0; i < n; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", r[i].name);
            cJSON_AddBoolToObject(x, "held", r[i].held);
            cJSON_AddStringToObject(x, "detail", r[i].detail);
            cJSON_AddItemToArray(inv, x);
        }
    }
    cJSON *ex = cJSON_AddArrayToObject(o, "expectations");
    sim_lua *sl = sim_lua_of_world(d->w);
    for (size_t i = 0; sl && i < sim_lua_expectation_count(sl); i++) {
        const sim_expectation *e = sim_lua_expectation(sl, i);
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", e->name);
        cJSON_AddStringToObject(x, "kind", e->always ? "always" : "end");
        if (e->evaluated) cJSON_AddBoolToObject(x, "passed", e->passed);
        else cJSON_AddNullToObject(x, "passed");
        if (e->message) cJSON_AddStringToObject(x, "message", e->message);
        if (e->evaluated && !e->passed) add_time(x, "failed_at", e->failed_at);
        cJSON_AddItemToArray(ex, x);
    }
    return o;
}

static void refresh_checks(node_dash *d)
{
    cJSON_Delete(d->checks);
    d->checks = checks_json(d);
    d->checks_wall_ns = sim_http_wall_ns();
    d->checks_events = sim_world_stats_get(d->w)->events;
}

/* The figures from bucket `from` on, with the mirroring lag when the sites mirror:
 * the highest lag seen in each bucket's minutes (platform/ha.c keeps it per simulated minute). */
static cJSON *figures_json(node_dash *d, uint32_t from, bool with_rates)
{
    cJSON *o = dash_series_window_json(&d->series, from, with_rates);
    const ha_stats *st = d->d ? platform_ha_stats_find(d->d) : NULL;   /* never create it */
    if (!o || !st || !st->nlag) return o;
    cJSON *lag = cJSON_AddArrayToObject(o, "mirror_lag_ms");
    uint64_t per = (uint64_t)(d->series.width / SIM_MIN);
    uint64_t skip = (uint64_t)((d->series.origin - sim_world_start(d->w)) / SIM_MIN);
    for (uint32_t i = from < d->series.n ? from : d->series.n; i < d->series.n; i++) {
        float most = 0;
        for (uint64_t m = skip + i * per; m < skip + (i + 1) * per && m < st->nlag; m++)
            if (st->lag_ms[m] > most) most = st->lag_ms[m];
        cJSON_AddItemToArray(lag, cJSON_CreateNumber(round((double)most * 10) / 10));
    }
    return o;
}

/* How many faults were injected and how many are active, to tell the page when to look. */
static void add_fault_counts(node_dash *d, cJSON *o)
{
    const faults *fs = d->d ? fault_records_find(d->d) : NULL;   /* read, never create */
    unsigned active = 0;
    for (size_t i = 0; fs && i < fs->n; i++) active += fs->list[i]->active;
    cJSON *x = cJSON_AddObjectToObject(o, "faults");
    cJSON_AddNumberToObject(x, "count", fs ? (double)fs->n : 0);
    cJSON_AddNumberToObject(x, "active", active);
}

/* ---- live updates ---------------------------------------------------------------------- */

static int ensure_views(node_dash *d)
{
    uint32_t n = sim_world_node_count(d->w);
    if (n <= d->nviews) return 0;
    node_view *v = realloc(d->views, n * sizeof *v);
    if (!v) return -ENOMEM;
    for (uint32_t i = d->nviews; i < n; i++) {
        sim_node *node = sim_world_node(d->w, i);
        v[i] = (node_view){.state = dash_topo_state(d, i), .received = node ? node->received : 0};
    }
    d->views = v;
    d->nviews = n;
    return 0;
}

static uint8_t load_level(uint64_t received)
{
    uint8_t level = 0;
    while (received && level < 9) {
        level++;
        received >>= 1;
    }
    return level;
}

/* Node states that changed, and every node's load, when any load changed. */
static void add_nodes(node_dash *d, cJSON *o)
{
    if (ensure_views(d) < 0) return;
    cJSON *changed = NULL, *loads = cJSON_CreateArray();
    bool load_changed = false;
    for (uint32_t i = 0; i < d->nviews; i++) {
        sim_node *n = sim_world_node(d->w, i);
        node_view *v = &d->views[i];
        uint8_t state = dash_topo_state(d, i);
        if (state != v->state) {
            if (!changed) changed = cJSON_AddArrayToObject(o, "node_states");
            cJSON *pair = cJSON_CreateArray();
            cJSON_AddItemToArray(pair, cJSON_CreateNumber(i));
            cJSON_AddItemToArray(pair, cJSON_CreateNumber(state));
            cJSON_AddItemToArray(changed, pair);
            v->state = state;
        }
        uint8_t load = load_level(n->received - v->received);
        v->received = n->received;
        load_changed |= load != v->load;
        v->load = load;
        cJSON_AddItemToArray(loads, cJSON_CreateNumber(load));
    }
    if (load_changed) cJSON_AddItemToObject(o, "loads", loads);
    else cJSON_Delete(loads);
}

static void publish(node_dash *d, bool force_checks)
{
    if (!d->http) return;
    d->version++;
    unsigned clients = sim_http_sse_clients(d->http, CHANNEL_LIVE);
    if (!clients) {   /* nobody to tell: keep the bookkeeping current, build nothing */
        d->log.published = d->log.total;
        d->series.dirty_from = d->series.n;
        ensure_views(d);
        for (uint32_t i = 0; i < d->nviews; i++) {
            d->views[i].state = dash_topo_state(d, i);
            d->views[i].received = sim_world_node(d->w, i)->received;
            d->views[i].load = 0;
        }
        return;
    }
    cJSON *o = cJSON_CreateObject();
    dash_add_state(d, o);
    add_nodes(d, o);
    if (d->series.dirty_from < d->series.n || d->series.dirty_from == 0)
        cJSON_AddItemToObject(o, "series", figures_json(d, d->series.dirty_from, false));
    d->series.dirty_from = d->series.n ? d->series.n - 1 : 0;   /* the last one keeps filling */
    uint64_t skipped;
    cJSON_AddItemToObject(o, "log", dash_log_take_new(&d->log, LOG_PER_TICK, &skipped));
    if (skipped) cJSON_AddNumberToObject(o, "log_skipped", (double)skipped);
    cJSON_AddNumberToObject(o, "flows_version", (double)d->flows.changed);
    add_fault_counts(d, o);
    cJSON_AddNumberToObject(o, "timeline", (double)(d->ops.n + d->ops.forgotten));
    cJSON *impact = report_impact_json(d->w);
    if (impact) cJSON_AddItemToObject(o, "impact", impact);
    uint64_t now_ns = sim_http_wall_ns();
    uint64_t events = sim_world_stats_get(d->w)->events;
    if (force_checks || !d->checks ||
        (events != d->checks_events && now_ns - d->checks_wall_ns > (uint64_t)CHECKS_EVERY_MS * 1000000)) {
        refresh_checks(d);
        cJSON_AddItemToObject(o, "checks", cJSON_Duplicate(d->checks, 1));
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (text) sim_http_sse_broadcast(d->http, CHANNEL_LIVE, "tick", text, strlen(text));
    cJSON_free(text);
}

static void on_tick(void *ud)
{
    node_dash *d = ud;
    uint64_t now_ns = sim_http_wall_ns();
    uint64_t events = sim_world_stats_get(d->w)->events;
    sim_time_t sim = sim_world_now(d->w);
    double dt = (double)(now_ns - d->last_wall_ns) / 1e9;
    if (dt * 1000 >= RATE_EVERY_MS) {
        d->eps = (double)(events - d->last_events) / dt;
        d->ratio = (double)(sim - d->last_sim) / 1e6 / dt;
        if (d->run && sim_run_get_state(d->run) == SIM_RUN_RUNNING) dash_series_rate(&d->series, sim, d->eps, d->ratio);
        d->last_wall_ns = now_ns;
        d->last_events = events;
        d->last_sim = sim;
    }
    publish(d, false);
}

/* ---- handlers: reads ------------------------------------------------------------------- */

static void h_state(sim_http_req *r, void *ud)
{
    cJSON *o = cJSON_CreateObject();
    dash_add_state(ud, o);
    sim_http_respond_json(r, 200, o);
}

static void h_topology(sim_http_req *r, void *ud) { sim_http_respond_json(r, 200, dash_topo_json(ud)); }

static bool query_u64(sim_http_req *r, const char *name, uint64_t *out, bool *bad)
{
    char buf[32];
    int rc = sim_http_req_query(r, name, buf, sizeof buf);
    if (rc == -ENOENT || (rc == 0 && !buf[0])) return false;
    char *end;
    errno = 0;
    unsigned long long v = rc == 0 && buf[0] != '-' ? strtoull(buf, &end, 10) : 0;
    if (rc < 0 || buf[0] == '-' || errno || *end) {
        sim_http_respond_error(r, 400, "'%s' must be a non-negative integer", name);
        *bad = true;
        return false;
    }
    *out = v;
    return true;
}

static void h_series(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    uint64_t from = 0;
    bool bad = false;
    query_u64(r, "from", &from, &bad);
    if (bad) return;
    sim_http_respond_json(r, 200, figures_json(d, from > d->series.n ? d->series.n : (uint32_t)from, true));
}

static void h_checks(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    if (!d->checks || d->checks_events != sim_world_stats_get(d->w)->events) refresh_checks(d);
    sim_http_respond_json(r, 200, cJSON_Duplicate(d->checks, 1));
}

/* A local government or agency by its node name (its code) or its name (大阪市); NULL if none. */
static body *find_body(node_dash *d, const char *text)
{
    sim_node *n = sim_world_find_node(d->w, text);
    body *b = n && d->d ? domain_body(d->d, n->id) : NULL;
    for (uint32_t i = 0; !b && d->d && i < d->d->nbodies_cap; i++)
        if (d->d->bodies[i] && d->d->bodies[i]->name && strcmp(d->d->bodies[i]->name, text) == 0) b = d->d->bodies[i];
    return b;
}

/* GET /api/disclosure?person=N (or ?lg=CODE|NAME&addressee=N, the resident's person): what the
 * person sees in マイナポータル (kinds/mynaportal.c): who asked whom, when and why; 不開示 rows
 * withheld. Reading it changes nothing in the run. */
static void h_disclosure(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    uint64_t person = 0, addressee = 0;
    bool bad = false;
    char lg[96] = "";
    if (sim_http_req_query(r, "lg", lg, sizeof lg) == -ENOSPC) {
        sim_http_respond_error(r, 400, "'lg' is too long");
        return;
    }
    bool by_person = query_u64(r, "person", &person, &bad);
    if (bad) return;
    bool by_addressee = query_u64(r, "addressee", &addressee, &bad);
    if (bad) return;
    if (by_person == (lg[0] || by_addressee) || (!by_person && !(lg[0] && by_addressee))) {
        sim_http_respond_error(r, 400, "give 'person' (a person number: resident(lg, addressee).person), or 'lg' and 'addressee'");
        return;
    }
    const body *who = NULL;
    if (!by_person) {
        who = find_body(d, lg);
        if (!who || who->kind != BODY_LG) {
            sim_http_respond_error(r, 404, "'%s' is not a local government", lg);
            return;
        }
        if (addressee < 1 || addressee > (uint64_t)who->nresidents + who->nextra || !who->residents) {
            sim_http_respond_error(r, 404, "%s has no addressee number %llu (it has %u)", who->code,
                                   (unsigned long long)addressee, who->residents ? who->nresidents + who->nextra : 0);
            return;
        }
        person = who->residents[addressee - 1].person;
    }
    node_disclosure_row *rows;
    size_t nrows;
    char why[160];
    int rc = node_mynaportal_disclose(d->w, person > INT64_MAX ? -1 : (int64_t)person, &rows, &nrows, why, sizeof why);
    if (rc < 0) {
        sim_http_respond_error(r, rc == -ENOENT ? 404 : rc == -ENODEV ? 409 : 500, "%s", why);
        return;
    }
    domain *dom = domain_find(d->w);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "person", (double)person);
    if (who) {
        cJSON_AddStringToObject(o, "lg", who->code);
        cJSON_AddStringToObject(o, "lg_name", who->name ? who->name : who->code);
        cJSON_AddNumberToObject(o, "addressee_no", (double)addressee);
    }
    cJSON *list = cJSON_AddArrayToObject(o, "rows");
    for (size_t i = 0; list && i < nrows; i++) {
        const node_disclosure_row *x = &rows[i];
        cJSON *row = cJSON_CreateObject();
        char at[40];
        sim_time_format_iso(x->t, at, sizeof at);
        cJSON_AddNumberToObject(row, "serial_no", (double)x->serial_no);
        cJSON_AddStringToObject(row, "time", at);
        const uint32_t party[2] = {x->inquirer, x->provider};
        static const char *const key[2] = {"inquirer", "provider"}, *const key_name[2] = {"inquirer_name", "provider_name"};
        for (int k = 0; k < 2; k++) {
            sim_node *n = sim_world_node(d->w, party[k]);
            body *b = domain_body(dom, party[k]);
            cJSON_AddStringToObject(row, key[k], n ? n->name : "?");
            cJSON_AddStringToObject(row, key_name[k], b && b->name ? b->name : n ? n->name : "?");
        }
        if (x->procedure >= 0 && x->procedure < dom->nprocs) {
            cJSON_AddStringToObject(row, "procedure", dom->procs[x->procedure].id);
            cJSON_AddStringToObject(row, "procedure_ja", dom->procs[x->procedure].name_ja);
            cJSON_AddStringToObject(row, "procedure_en", dom->procs[x->procedure].name_en);
        }
        if (x->item >= 0 && x->item < dom->nitems) {
            cJSON_AddStringToObject(row, "item", dom->items[x->item].code);
            cJSON_AddStringToObject(row, "item_ja", dom->items[x->item].name_ja);
            cJSON_AddStringToObject(row, "item_en", dom->items[x->item].name_en);
        }
        cJSON_AddStringToObject(row, "outcome", x->outcome);
        cJSON_AddItemToArray(list, row);
    }
    free(rows);
    sim_http_respond_json(r, 200, o);
}

/* GET /api/impact: the impact strip (report/report_impact.c). */
static void h_impact(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    cJSON *o = report_impact_json(d->w);
    if (!o) sim_http_respond_error(r, 409, "this run has no domain nodes: nothing to break");
    else sim_http_respond_json(r, 200, o);
}

/* GET /api/bulk: bulk initial code acquisition, each body's progress (report_bulk_json). */
static void h_bulk(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    cJSON *o = report_bulk_json(d->w);
    if (!o) sim_http_respond_error(r, 409, "no body was queued for bulk code acquisition (bulk_acquire{})");
    else sim_http_respond_json(r, 200, o);
}

static void h_events(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    char node[96] = "", kind[32] = "";
    log_filter f = {0};
    bool bad = false;
    if (sim_http_req_query(r, "node", node, sizeof node) == -ENOSPC ||
        sim_http_req_query(r, "kind", kind, sizeof kind) == -ENOSPC) {
        sim_http_respond_error(r, 400, "a filter is too long");
        return;
    }
    if (strpbrk(node, "\"\\") || strpbrk(kind, "\"\\")) {
        sim_http_respond_error(r, 400, "a filter may not contain quotes or backslashes");
        return;
    }
    f.node = node;
    f.kind = kind;
    uint64_t limit = 200;
    query_u64(r, "msg", &f.msg, &bad);
    if (!bad) query_u64(r, "flow", &f.flow, &bad);
    if (!bad) query_u64(r, "limit", &limit, &bad);
    uint64_t quiet = 0;
    if (!bad) query_u64(r, "quiet", &quiet, &bad);
    if (bad) return;
    f.quiet = quiet != 0;
    if (limit == 0 || limit > 500) {
        sim_http_respond_error(r, 400, "'limit' must be between 1 and 500");
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "total", (double)d->log.total);
    cJSON_AddNumberToObject(o, "kept", (double)(d->log.total < LOG_LINES ? d->log.total : LOG_LINES));
    cJSON_AddItemToObject(o, "events", dash_log_json(&d->log, &f, (uint32_t)limit));
    sim_http_respond_json(r, 200, o);
}

/* GET /api/timeline?q=&category=&limit=: the operations timeline (dash/dash_ops.c). */
static void h_timeline(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    char q[256] = "", cats[160] = "";
    if (sim_http_req_query(r, "q", q, sizeof q) == -ENOSPC || sim_http_req_query(r, "category", cats, sizeof cats) == -ENOSPC) {
        sim_http_respond_error(r, 400, "'q' may be at most 255 bytes and 'category' 159");
        return;
    }
    uint64_t limit = 300;
    bool bad = false;
    query_u64(r, "limit", &limit, &bad);
    if (bad) return;
    if (limit == 0 || limit > 2000) {
        sim_http_respond_error(r, 400, "'limit' must be between 1 and 2000");
        return;
    }
    sim_http_respond_json(r, 200, dash_ops_json(&d->ops, q, cats, (uint32_t)limit));
}

static void h_flows(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    if (!d->d) {
        sim_http_respond_json(r, 200, cJSON_CreateArray());
        return;
    }
    const char *rest = sim_http_req_path(r) + strlen("/api/flows");
    if (!*rest || strcmp(rest, "/") == 0) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "version", (double)d->flows.changed);
        cJSON_AddItemToObject(o, "flows", dash_flows_list_json(&d->flows, d->d));
        sim_http_respond_json(r, 200, o);
        return;
    }
    uint64_t id = 0;
    if (strcmp(rest, "/pick") == 0) {
        id = dash_flows_pick(&d->flows);
        if (!id) {
            sim_http_respond_error(r, 404, "no inquiry has been recorded yet: run the simulation a little");
            return;
        }
    } else {
        char *end;
        errno = 0;
        id = rest[0] == '/' && rest[1] >= '0' && rest[1] <= '9' ? strtoull(rest + 1, &end, 10) : 0;
        if (!id || errno || *end) {
            sim_http_respond_error(r, 400, "expected /api/flows/ID or /api/flows/pick");
            return;
        }
    }
    cJSON *o = dash_flows_one_json(&d->flows, d->d, id);
    if (!o) sim_http_respond_error(r, 404, "flow %llu is not recorded (only the latest %d and pinned ones are)",
                                   (unsigned long long)id, FLOWS_KEPT);
    else sim_http_respond_json(r, 200, o);
}

static void h_stream(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    if (sim_http_sse_open(r, CHANNEL_LIVE) == 0) {
        d->series.dirty_from = 0;   /* the newcomer is sent everything at the next tick */
        cJSON_Delete(d->checks);
        d->checks = NULL;
    }
}

/* ---- handlers: controls ---------------------------------------------------------------- */

static void respond_state(sim_http_req *r, node_dash *d, cJSON *extra)
{
    publish(d, false);
    cJSON *o = extra ? extra : cJSON_CreateObject();
    dash_add_state(d, o);
    sim_http_respond_json(r, 200, o);
}

/* The body as a JSON object with only the named fields; NULL (and a 400 sent) otherwise. An
 * empty body is an empty object. */
static cJSON *body_object(sim_http_req *r, const char *const known[])
{
    size_t len;
    sim_http_req_body(r, &len);
    cJSON *j = len ? sim_http_req_json(r) : cJSON_CreateObject();
    if (!j) return NULL;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        sim_http_respond_error(r, 400, "the body must be a JSON object");
        return NULL;
    }
    for (cJSON *f = j->child; f; f = f->next) {
        bool ok = false;
        for (int i = 0; known[i] && !ok; i++) ok = strcmp(f->string, known[i]) == 0;
        if (!ok) {
            sim_http_respond_error(r, 400, "unknown field '%s'", f->string);
            cJSON_Delete(j);
            return NULL;
        }
    }
    return j;
}

static bool run_over(sim_http_req *r, node_dash *d)
{
    if (d->run && sim_run_get_state(d->run) != SIM_RUN_DONE) return false;
    sim_http_respond_error(r, 409, "the run has ended (%s): nothing to control", d->ended ? d->end_reason : "done");
    return true;
}

static void h_pause(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    static const char *const known[] = {NULL};
    cJSON *j = body_object(r, known);
    if (!j) return;
    cJSON_Delete(j);
    if (run_over(r, d)) return;
    sim_run_pause(d->run);
    respond_state(r, d, NULL);
}

static void h_resume(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    static const char *const known[] = {NULL};
    cJSON *j = body_object(r, known);
    if (!j) return;
    cJSON_Delete(j);
    if (run_over(r, d)) return;
    d->paused_by_script = false;
    sim_run_resume(d->run);
    respond_state(r, d, NULL);
}

/* One hop of a flow: run events until the recorded flow `flow` gains a hop or ends, or, with
 * no flow (or one that has ended), until the next inquiry or code acquisition is recorded (the
 * followed body's inquiry, when one is followed) with its first hop. Returns the flow that moved (0: none did within
 * MAX_HOP_EVENTS events or before the run ended); *events counts the events run. The flow
 * is pinned while it is stepped, so that newer flows cannot push it out. */
static uint64_t step_one_hop(node_dash *d, uint64_t flow, uint64_t *events)
{
    dash_flows *f = &d->flows;
    const dash_flow *fl = dash_flows_find(f, flow);
    if (fl && fl->ended) fl = NULL;
    uint32_t hops = fl ? fl->nhops : 0;
    bool was_pinned = fl && fl->pinned;
    if (fl && !was_pinned && dash_flows_pin(f, flow, true) < 0) was_pinned = true;   /* full: step unpinned */
    uint64_t seq = f->next_seq, moved = 0;
    bool following = !fl && f->follow_body != UINT32_MAX;
    for (uint64_t n = 0; n < MAX_HOP_EVENTS && sim_run_get_state(d->run) != SIM_RUN_DONE && !moved; n++) {
        if (!sim_run_step(d->run)) break;
        ++*events;
        if (fl) {
            const dash_flow *now = dash_flows_find(f, flow);
            if (!now || now->nhops != hops || now->ended) moved = now ? flow : 0;
            if (!now) break;
        } else if (following) {
            if (f->followed && f->follow_body == UINT32_MAX) moved = f->followed;
        } else {
            moved = dash_flows_newer(f, seq);
        }
    }
    /* The answer's last hop is recorded as it is sent; the flow ends (and the script hears of
     * it: on_flow_end, its caption) when the inquirer receives it: run on to there. */
    const dash_flow *m = moved ? dash_flows_find(f, moved) : NULL;
    for (uint64_t n = 0; m && m->ended && d->last_ended != moved && n < MAX_HOP_EVENTS &&
                         sim_run_get_state(d->run) != SIM_RUN_DONE; n++) {
        if (!sim_run_step(d->run)) break;
        ++*events;
    }
    if (fl && !was_pinned && dash_flows_find(f, flow)) dash_flows_pin(f, flow, false);
    return moved;
}

static void h_step(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    static const char *const known[] = {"events", "hops", "flow", NULL};
    cJSON *j = body_object(r, known);
    if (!j) return;
    cJSON *ev = cJSON_GetObjectItem(j, "events"), *hp = cJSON_GetObjectItem(j, "hops"), *fj = cJSON_GetObjectItem(j, "flow");
    double n = ev ? (cJSON_IsNumber(ev) ? ev->valuedouble : -1) : 1;
    double hops = hp ? (cJSON_IsNumber(hp) ? hp->valuedouble : -1) : 0;
    double flow = fj ? (cJSON_IsNumber(fj) ? fj->valuedouble : -1) : 0;
    cJSON_Delete(j);
    if (ev && hp) {
        sim_http_respond_error(r, 400, "give 'events' or 'hops', not both");
        return;
    }
    if (!(n >= 1 && n <= MAX_STEP && n == floor(n))) {
        sim_http_respond_error(r, 400, "'events' must be a whole number from 1 to %d", MAX_STEP);
        return;
    }
    if (hp && !(hops >= 1 && hops <= MAX_HOPS && hops == floor(hops))) {
        sim_http_respond_error(r, 400, "'hops' must be a whole number from 1 to %d", MAX_HOPS);
        return;
    }
    if (fj && (!hp || !(flow >= 1 && flow == floor(flow) && flow < 9007199254740992.0))) {
        sim_http_respond_error(r, 400, "'flow' must be a flow id, with 'hops'");
        return;
    }
    if (hp && !d->d) {
        sim_http_respond_error(r, 409, "this run has no flows to step through");
        return;
    }
    if (fj && !dash_flows_find(&d->flows, (uint64_t)flow)) {
        sim_http_respond_error(r, 404, "flow %.0f is not recorded (only the latest %d and pinned ones are)", flow, FLOWS_KEPT);
        return;
    }
    if (run_over(r, d)) return;
    d->paused_by_script = false;
    uint64_t stepped = 0, moved = (uint64_t)flow;
    cJSON *o = cJSON_CreateObject();
    if (hp) {
        for (int i = 0; i < (int)hops && moved != UINT64_MAX; i++) {
            uint64_t m = step_one_hop(d, moved, &stepped);
            moved = m ? m : UINT64_MAX;
        }
        if (moved != UINT64_MAX) cJSON_AddNumberToObject(o, "flow", (double)moved);
        else cJSON_AddNullToObject(o, "flow");
        const dash_flow *fl = moved != UINT64_MAX ? dash_flows_find(&d->flows, moved) : NULL;
        if (fl) cJSON_AddNumberToObject(o, "hops", fl->nhops);
    } else {
        for (int i = 0; i < (int)n && sim_run_get_state(d->run) != SIM_RUN_DONE; i++) stepped += (uint64_t)sim_run_step(d->run);
    }
    cJSON_AddNumberToObject(o, "stepped", (double)stepped);
    respond_state(r, d, o);
}

static void h_speed(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    static const char *const known[] = {"speed", NULL};
    cJSON *j = body_object(r, known);
    if (!j) return;
    cJSON *sp = cJSON_GetObjectItem(j, "speed");
    double speed = cJSON_IsNumber(sp) ? sp->valuedouble : -1;
    cJSON_Delete(j);
    if (!(speed >= 0) || !isfinite(speed) || speed > 1e9) {
        sim_http_respond_error(r, 400, "'speed' must be a number: simulated seconds per second (1 = real time), or 0 for as fast as possible");
        return;
    }
    if (run_over(r, d)) return;
    sim_run_set_speed(d->run, speed);
    respond_state(r, d, NULL);
}

static void h_until(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    static const char *const known[] = {"time", NULL};
    cJSON *j = body_object(r, known);
    if (!j) return;
    cJSON *tm = cJSON_GetObjectItem(j, "time");
    char text[64] = "";
    if (cJSON_IsString(tm)) snprintf(text, sizeof text, "%s", tm->valuestring);
    cJSON_Delete(j);
    sim_time_t now = sim_world_now(d->w), t;
    int64_t dur, of_day;
    const char *rel = text[0] == '+' ? text + 1 : text;
    int range = 0;
    if (sim_time_parse(text, &t) == 0) {
    } else if (sim_duration_parse(rel, &dur) == 0) {
        range = dur > SIM_DURATION_MAX ? -ERANGE : sim_time_add(now, dur, &t);
    } else if (sim_time_parse_clock(text, &of_day) == 0) {
        range = sim_time_add(sim_time_day_start(now), of_day, &t);
    } else {
        sim_http_respond_error(r, 400, "'time' must be a time ('2017-11-13 10:00', '10:00') or a duration from now ('+30m')");
        return;
    }
    if (range < 0) {
        sim_http_respond_error(r, 400, "'time' out of range (supported: " SIM_TIME_RANGE ")");
        return;
    }
    if (run_over(r, d)) return;
    if (t <= now) {
        sim_http_respond_error(r, 400, "'time' must be after the simulated clock");
        return;
    }
    d->paused_by_script = false;
    if (sim_run_until(d->run, t) < 0) {
        sim_http_respond_error(r, 400, "cannot run until that time");
        return;
    }
    respond_state(r, d, NULL);
}

static void h_narration(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    static const char *const known[] = {"pause_at_captions", NULL};
    cJSON *j = body_object(r, known);
    if (!j) return;
    cJSON *p = cJSON_GetObjectItem(j, "pause_at_captions");
    if (!cJSON_IsBool(p)) {
        cJSON_Delete(j);
        sim_http_respond_error(r, 400, "'pause_at_captions' must be true or false");
        return;
    }
    d->pause_at_captions = cJSON_IsTrue(p);
    cJSON_Delete(j);
    respond_state(r, d, NULL);
}

static void h_follow(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    static const char *const known[] = {"body", "flow", "pinned", NULL};
    cJSON *j = body_object(r, known);
    if (!j) return;
    cJSON *body_field = cJSON_GetObjectItem(j, "body"), *flow = cJSON_GetObjectItem(j, "flow"),
          *pinned = cJSON_GetObjectItem(j, "pinned");
    if (!d->d) {
        cJSON_Delete(j);
        sim_http_respond_error(r, 409, "this run has no flows to follow");
        return;
    }
    if (cJSON_IsString(body_field) && !flow) {
        body *b = find_body(d, body_field->valuestring);
        sim_node *n = b ? sim_world_node(d->w, b->node) : NULL;
        if (!b || !n) {
            sim_http_respond_error(r, 400, "'%s' is not a local government or an agency", body_field->valuestring);
            cJSON_Delete(j);
            return;
        }
        dash_flows_follow(&d->flows, n->id);
        cJSON_Delete(j);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "following", n->name);
        respond_state(r, d, o);
        return;
    }
    if (!cJSON_IsNumber(flow) || body_field || (pinned && !cJSON_IsBool(pinned))) {
        cJSON_Delete(j);
        sim_http_respond_error(r, 400, "expected {\"body\": NAME} or {\"flow\": ID, \"pinned\": true|false}");
        return;
    }
    int rc = dash_flows_pin(&d->flows, (uint64_t)flow->valuedouble, !pinned || cJSON_IsTrue(pinned));
    cJSON_Delete(j);
    if (rc == -ENOENT) sim_http_respond_error(r, 404, "that flow is not recorded");
    else if (rc == -ENOSPC) sim_http_respond_error(r, 409, "too many pinned flows: unpin one first");
    else respond_state(r, d, NULL);
}

/* ---- handlers: faults (fault/fault.h) ---------------------------------------------------- */

static void h_fault_catalogue(sim_http_req *r, void *ud) { sim_http_respond_json(r, 200, fault_catalogue_json()); }

static void h_faults(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    if (sim_http_req_method(r) == SIM_HTTP_GET) {
        bool any = d->d && (fault_records_find(d->d) || platform_ha_stats_find(d->d));   /* reading must not create them */
        sim_http_respond_json(r, 200, any ? fault_list_json(d->w) : cJSON_CreateArray());
        return;
    }
    size_t len;
    const char *text_in = sim_http_req_body(r, &len);
    cJSON *j = sim_http_req_json(r);   /* a 400 unless it is JSON */
    if (!j) return;
    cJSON_Delete(j);
    if (!d->d) {
        sim_http_respond_error(r, 409, "this run has no domain nodes to break");
        return;
    }
    if (run_over(r, d)) return;
    char *text = strndup(text_in, len);
    char err[256] = "";
    int id = text ? fault_inject_json(d->w, text, err, sizeof err) : -ENOMEM;
    free(text);
    if (id < 0) {
        sim_http_respond_error(r, 400, "%s", err[0] ? err : "the fault was refused");
        return;
    }
    char *body_text = strndup(text_in, len);
    if (!body_text || dash_journal_add(d, DASH_JOURNAL_FAULT, body_text, id, false) < 0)
        fprintf(stderr, "renkei: out of memory: fault %d is not in the journal (a rewind past it would lose it)\n", id);
    free(body_text);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", id);
    respond_state(r, d, o);
}

/* DELETE /api/faults/ID: clear (end) an active fault. */
static void h_fault_clear(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    const char *rest = sim_http_req_path(r) + strlen("/api/faults/");
    char *end;
    errno = 0;
    long id = rest[0] >= '1' && rest[0] <= '9' ? strtol(rest, &end, 10) : 0;
    if (id <= 0 || id > INT32_MAX || errno || *end) {
        sim_http_respond_error(r, 400, "expected /api/faults/ID with a fault id");
        return;
    }
    if (!d->d || !fault_records_find(d->d)) {
        sim_http_respond_error(r, 404, "no fault %ld", id);
        return;
    }
    if (run_over(r, d)) return;
    char err[256] = "";
    int rc = fault_clear_json(d->w, (int)id, err, sizeof err);
    if (rc < 0) {
        sim_http_respond_error(r, rc == -ENOENT ? 404 : 400, "%s", err[0] ? err : "cannot clear that fault");
        return;
    }
    if (dash_journal_add(d, DASH_JOURNAL_CLEAR, NULL, (int)id, false) < 0)
        fprintf(stderr, "renkei: out of memory: the clearing of fault %ld is not in the journal\n", id);
    respond_state(r, d, NULL);
}

/* POST /api/operator {"action": "promote" | "failback", "site": NAME, "force": bool}: the
 * operator's commands, as operator.promote / operator.failback in Lua (platform/platform.h):
 * serve the tenants of a site at their backup now, or bring them home. A change to the run,
 * like a fault from the page (the operations centre logs it in the trace). */
static void h_operator(sim_http_req *r, void *ud)
{
    node_dash *d = ud;
    static const char *const known[] = {"action", "site", "force", NULL};
    cJSON *j = body_object(r, known);
    if (!j) return;
    const cJSON *action = cJSON_GetObjectItem(j, "action"), *site = cJSON_GetObjectItem(j, "site"), *force = cJSON_GetObjectItem(j, "force");
    bool promote = cJSON_IsString(action) && strcmp(action->valuestring, "promote") == 0;
    bool failback = cJSON_IsString(action) && strcmp(action->valuestring, "failback") == 0;
    sim_node *home = cJSON_IsString(site) ? sim_world_find_node(d->w, site->valuestring) : NULL;
    bool ok = (promote || failback) && cJSON_IsString(site) && (!force || (cJSON_IsBool(force) && promote));
    bool is_site = home && strcmp(home->kind->name, "site") == 0;
    char site_name[96];
    snprintf(site_name, sizeof site_name, "%s", cJSON_IsString(site) ? site->valuestring : "");
    bool forced = cJSON_IsTrue(force);
    cJSON_Delete(j);
    if (!ok) {
        sim_http_respond_error(r, 400, "expected {\"action\": \"promote\" | \"failback\", \"site\": NAME} (and \"force\": true|false with promote)");
        return;
    }
    if (!d->d || !platform_ha_settings_find(d->d)) {
        sim_http_respond_error(r, 409, "this run has no failover between sites (failover_settings{})");
        return;
    }
    if (!is_site) {
        sim_http_respond_error(r, 400, "'%s' is not a platform site", site_name);
        return;
    }
    if (run_over(r, d)) return;
    char why[256] = "";
    int rc = promote ? platform_ha_operator_promote(d->d, home, forced, why, sizeof why)
                     : platform_ha_operator_failback(d->d, home, why, sizeof why);
    if (rc < 0) {
        sim_http_respond_error(r, 409, "%s refused: %s", promote ? "promotion" : "failback", why[0] ? why : "the platform said no");
        return;
    }
    if (dash_journal_add(d, promote ? DASH_JOURNAL_PROMOTE : DASH_JOURNAL_FAILBACK, site_name, 0, forced) < 0)
        fprintf(stderr, "renkei: out of memory: the operator's %s is not in the journal\n", promote ? "promotion" : "failback");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "done", promote ? "promote" : "failback");
    respond_state(r, d, o);
}

static const sim_http_route routes[] = {
    {SIM_HTTP_GET, "/api/faults/catalogue", false, h_fault_catalogue},
    {SIM_HTTP_GET, "/api/faults", false, h_faults},
    {SIM_HTTP_POST, "/api/faults", true, h_faults},
    {SIM_HTTP_DELETE, "/api/faults/*", true, h_fault_clear},
    {SIM_HTTP_GET, "/api/state", false, h_state},
    {SIM_HTTP_GET, "/api/topology", false, h_topology},
    {SIM_HTTP_GET, "/api/series", false, h_series},
    {SIM_HTTP_GET, "/api/checks", false, h_checks},
    {SIM_HTTP_GET, "/api/disclosure", false, h_disclosure},
    {SIM_HTTP_GET, "/api/impact", false, h_impact},
    {SIM_HTTP_GET, "/api/bulk", false, h_bulk},
    {SIM_HTTP_GET, "/api/timeline", false, h_timeline},
    {SIM_HTTP_GET, "/api/events", false, h_events},
    {SIM_HTTP_GET, "/api/flows", false, h_flows},
    {SIM_HTTP_GET, "/api/flows/*", false, h_flows},
    {SIM_HTTP_GET, "/api/stream", false, h_stream},
    {SIM_HTTP_POST, "/api/pause", true, h_pause},
    {SIM_HTTP_POST, "/api/resume", true, h_resume},
    {SIM_HTTP_POST, "/api/step", true, h_step},
    {SIM_HTTP_POST, "/api/speed", true, h_speed},
    {SIM_HTTP_POST, "/api/until", true, h_until},
    {SIM_HTTP_POST, "/api/narration", true, h_narration},
    {SIM_HTTP_POST, "/api/follow", true, h_follow},
    {SIM_HTTP_POST, "/api/operator", true, h_operator},
    {SIM_HTTP_POST, "/api/rewind", true, dash_h_rewind},
};

/* ---- lifecycle ------------------------------------------------------------------------- */

/* The run is being closed (sim_run_on_close): the server goes with it, so that its timer never
 * reads the freed run and its listener does not keep the loop alive (a run closed before it
 * ended: another listener that failed to open, say). */
static void run_closing(void *arg)
{
    node_dash *d = arg;
    d->run_watched = false;
    dash_close(d);
    d->run = NULL;
}

int dash_serve(node_dash *d, sim_run *run, uv_loop_t *loop, const node_dash_serve_config *cfg)
{
    if (d->http) return -EALREADY;
    int rc = dash_log_init(&d->log);
    if (rc < 0) return rc;
    d->run = run;
    d->token = cfg->token ? strdup(cfg->token) : NULL;
    sim_http_config hc = {.host = cfg->host, .port = cfg->port, .static_root = cfg->web_root,
                          .token = cfg->token, .loopback_hosts_only = cfg->loopback,
                          .trust_any_request = true,   /* reads need no token: any request the page makes */
                          .routes = routes, .nroutes = sizeof routes / sizeof routes[0], .ud = d,
                          .tick_ms = TICK_MS, .tick = on_tick};
    rc = sim_http_create(loop, &hc, &d->http);
    if (rc < 0) {
        dash_log_free(&d->log);
        d->run = NULL;
        return rc;
    }
    if (sim_run_on_close(run, run_closing, d) == 0) d->run_watched = true;
    sim_world_set_trace_tap(d->w, trace_tap, d);
    d->last_wall_ns = sim_http_wall_ns();
    d->last_sim = sim_world_now(d->w);
    d->last_events = sim_world_stats_get(d->w)->events;
    return 0;
}

int dash_port(const node_dash *d) { return d->http ? sim_http_port(d->http) : -1; }

void dash_run_ended(node_dash *d, const char *end_reason, int exit_status)
{
    d->ended = true;
    snprintf(d->end_reason, sizeof d->end_reason, "%s", end_reason);
    d->exit_status = exit_status;
    if (!d->http) return;
    publish(d, true);
    char text[96];
    int n = snprintf(text, sizeof text, "{\"end_reason\":\"%s\",\"exit_status\":%d}", d->end_reason, exit_status);
    sim_http_sse_broadcast(d->http, CHANNEL_LIVE, "ended", text, (size_t)n);
}

void dash_close(node_dash *d)
{
    if (!d->http) return;
    if (d->run_watched) sim_run_off_close(d->run, run_closing, d);   /* the run is still there */
    d->run_watched = false;
    sim_world_set_trace_tap(d->w, NULL, NULL);
    sim_http_close(d->http, NULL, NULL);
    d->http = NULL;
}

void dash_destroy(node_dash *d)
{
    if (!d) return;
    dash_close(d);
    if (d->d) domain_unlisten(d->d, d);
    sim_world_ext_detach(d->w, &dash_ext_key);
    dash_series_free(&d->series);
    dash_flows_free(&d->flows);
    dash_log_free(&d->log);
    dash_ops_free(&d->ops);
    dash_journal_free(d);
    cJSON_Delete(d->checks);
    free(d->views);
    free(d->token);
    free(d->caption_ja);
    free(d->caption_en);
    for (size_t i = 0; i < d->ncaptions; i++) {
        free(d->captions[i].ja);
        free(d->captions[i].en);
    }
    free(d->captions);
    free(d);
}

enum { CAPTIONS_KEPT = 1000 };

/* The figures, and for a narrated run (a walkthrough) its captions and the flow it walked
 * through hop by hop (the followed or latest answered inquiry), for the trainer's handout. */
cJSON *dash_series_json(node_dash *d)
{
    cJSON *o = figures_json(d, 0, false);
    if (!o || !d->ncaptions) return o;
    cJSON *caps = cJSON_AddArrayToObject(o, "captions");
    for (size_t i = 0; i < d->ncaptions; i++) {
        cJSON *c = cJSON_CreateObject();
        char at[SIM_TIME_BUFSZ];
        sim_time_format_iso(d->captions[i].at, at, sizeof at);
        cJSON_AddStringToObject(c, "at", at);
        cJSON_AddStringToObject(c, "ja", d->captions[i].ja ? d->captions[i].ja : "");
        cJSON_AddStringToObject(c, "en", d->captions[i].en ? d->captions[i].en : "");
        cJSON_AddItemToArray(caps, c);
    }
    uint64_t id = d->d ? (d->flows.followed ? d->flows.followed : dash_flows_pick(&d->flows)) : 0;
    cJSON *f = id ? dash_flows_one_json(&d->flows, d->d, id) : NULL;
    if (f) cJSON_AddItemToObject(o, "walkthrough", f);
    return o;
}

/* ---- narration (from dash/dash_lua.c) -------------------------------------------------- */

void dash_caption(node_dash *d, const char *ja, const char *en)
{
    free(d->caption_ja);
    free(d->caption_en);
    d->caption_ja = ja ? strdup(ja) : NULL;
    d->caption_en = en ? strdup(en) : NULL;
    d->caption_seq++;
    d->caption_at = sim_world_now(d->w);
    if (d->ncaptions == CAPTIONS_KEPT) return;
    if (d->ncaptions == d->cap_captions) {
        size_t cap = d->cap_captions ? d->cap_captions * 2 : 16;
        struct dash_caption *v = realloc(d->captions, cap * sizeof *v);
        if (!v) return;   /* the handout lacks it; the page still shows it */
        d->captions = v;
        d->cap_captions = cap;
    }
    d->captions[d->ncaptions++] = (struct dash_caption){.at = d->caption_at, .ja = ja ? strdup(ja) : NULL, .en = en ? strdup(en) : NULL};
}

void dash_pause_here(node_dash *d)
{
    if (!d->run || !d->pause_at_captions || sim_run_get_state(d->run) != SIM_RUN_RUNNING) return;
    d->paused_by_script = true;
    sim_run_pause(d->run);   /* after the event running now: safe from inside it */
}
