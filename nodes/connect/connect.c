/* connect/connect.c - connection-test mode's core (see connect/connect.h): the local government under
 * test, taken out of the workload; the operations the outside system started, numbered and
 * followed to their end by the domain's flow listener; the staff ids the flows carry; whether
 * the tenant can be reached now; Lua's connected().
 *
 * Operations are numbered in the order they were accepted, which the replay reproduces, so
 * an id means the same operation in a live session and in its replay. */
#include "connect/connect_internal.h"
#include "sim_tls.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"
#include "sim_lua.h"
#include "sim_net.h"

const sim_world_ext_key connect_ext_key = {"connection test"};

node_connect *connect_of(sim_world *w) { return sim_world_ext(w, &connect_ext_key); }

/* The wall clock, for the latency the outside system experienced: bookkeeping of the HTTP
 * layer, never an input to the simulation. */
uint64_t connect_wall_ns(const node_connect *c)
{
    (void)c;
    return sim_http_wall_ns();
}

int connect_attach(sim_world *w, const char *lg_code, node_connect **out)
{
    node_connect *c = calloc(1, sizeof *c);
    if (!c) return -ENOMEM;
    c->w = w;
    snprintf(c->lg_code, sizeof c->lg_code, "%s", lg_code);
    c->rate = 20;
    connect_report_init(&c->rep);
    int rc = connect_cases_create(c);
    if (rc == 0) rc = sim_world_ext_attach(w, &connect_ext_key, c, NULL);
    if (rc < 0) {
        connect_cases_free(c);
        connect_report_free(&c->rep);
        free(c);
        return rc;
    }
    *out = c;
    return 0;
}

static void remove_inflight(node_connect *c, size_t index)
{
    for (size_t i = 0; i < c->ninflight; i++) {
        if (c->inflight[i] != index) continue;
        c->inflight[i] = c->inflight[--c->ninflight];
        return;
    }
}

/* A flow the body under test started has ended: its operation's result. */
static void on_flow_end(void *ud, const domain_flow_end *ev)
{
    node_connect *c = ud;
    body *b = ev->b;
    flow_kind kind = ev->kind;
    uint64_t flow = ev->flow;
    flow_error e = ev->error;
    const flow_msg *m = ev->m;
    uint64_t slot;
    if (b != c->b || !sim_map_del(&c->by_flow, flow, &slot)) return;   /* not one of ours */
    connect_req *q = &c->reqs[slot - 1];
    q->done = true;
    q->outcome = e;
    q->ended_at = sim_world_now(c->w);
    q->ended_wall_ns = connect_wall_ns(c);
    if (m) q->serial_no = m->serial_no;
    if (m && kind == FLOW_INQUIRY && e == FLOW_OK && m->data_len && !m->sealed)
        q->payload = strndup((const char *)m->data, m->data_len);   /* decrypted by our side */
    remove_inflight(c, slot - 1);
    connect_report_completed(&c->rep, q, (double)(q->ended_at - q->accepted_at) / 1e3,
                     (double)(q->ended_wall_ns - q->accepted_wall_ns) / 1e6);
}

int connect_prepare(node_connect *c, char *why, size_t n)
{
    sim_node *node = sim_world_find_node(c->w, c->lg_code);
    domain *d = domain_find(c->w);
    body *b = node && d ? domain_body(d, node->id) : NULL;
    if (!b || b->kind != BODY_LG) {
        snprintf(why, n, "--connect %s: the topology has no local government with that code", c->lg_code);
        return -EINVAL;
    }
    if (!d->npersons || !b->nresidents) {
        snprintf(why, n, "--connect %s: it has no residents (the topology must set up residents{})", c->lg_code);
        return -EINVAL;
    }
    int rc = domain_listen(d, &(domain_flow_listener){.ended = on_flow_end, .ud = c});
    if (rc < 0) {
        snprintf(why, n, "--connect %s: %s", c->lg_code, strerror(-rc));
        return rc;
    }
    c->d = d;
    c->b = b;
    c->n = node;
    b->external = true;   /* its share of the workload is the outside system's now */
    return 0;
}

const char *connect_lg_name(const node_connect *c) { return c->b ? c->b->name : c->lg_code; }

/* ---- operations in flight -------------------------------------------------------------- */

static char id_prefix(connect_op op)
{
    switch (op) {
    case OP_CODE_ACQUISITION: return 'C';
    case OP_REPLICA_REGISTRATION: return 'R';
    case OP_REPLICA_UPDATE: return 'U';
    default: return 'Q';
    }
}

connect_req *connect_new_req(node_connect *c, connect_op op, const char *staff)
{
    if (c->nreqs == c->cap_reqs) {
        size_t cap = c->cap_reqs ? c->cap_reqs * 2 : 64;
        connect_req *p = realloc(c->reqs, cap * sizeof *p);
        if (!p) return NULL;
        c->reqs = p;
        c->cap_reqs = cap;
    }
    if (c->ninflight == c->cap_inflight) {
        size_t cap = c->cap_inflight ? c->cap_inflight * 2 : 64;
        size_t *p = realloc(c->inflight, cap * sizeof *p);
        if (!p) return NULL;
        c->inflight = p;
        c->cap_inflight = cap;
    }
    connect_req *q = &c->reqs[c->nreqs];
    *q = (connect_req){.op = op, .bulk = -1, .procedure = -1, .item = -1, .provider = UINT32_MAX,
                       .accepted_at = sim_world_now(c->w), .accepted_wall_ns = connect_wall_ns(c)};
    snprintf(q->id, sizeof q->id, "%c%08zu", id_prefix(op), c->nreqs + 1);
    if (staff) snprintf(q->staff, sizeof q->staff, "%s", staff);
    c->inflight[c->ninflight++] = c->nreqs++;
    return q;
}

int connect_track_flow(node_connect *c, connect_req *q, uint64_t flow)
{
    q->flow = flow;
    if (!flow) {   /* could not start (out of memory): it ends now, explicitly */
        q->done = true;
        q->outcome = FLOW_SERVER_ERROR;
        q->ended_at = q->accepted_at;
        remove_inflight(c, (size_t)(q - c->reqs));
        return -ENOMEM;
    }
    return sim_map_put(&c->by_flow, flow, (uint64_t)(q - c->reqs) + 1);
}

connect_req *connect_find_req(node_connect *c, const char *id)
{
    if (!id || strlen(id) != 9 || strspn(id + 1, "0123456789") != 8) return NULL;
    size_t k = (size_t)strtoull(id + 1, NULL, 10);
    if (k == 0 || k > c->nreqs || strcmp(c->reqs[k - 1].id, id) != 0) return NULL;
    return &c->reqs[k - 1];
}

uint32_t connect_staff_number(node_connect *c, const char *staff)
{
    if (!staff || !*staff) return 0;
    for (size_t i = 0; i < c->nstaff; i++)
        if (strcmp(c->staff[i], staff) == 0) return (uint32_t)i + 1;
    if (c->nstaff == c->cap_staff) {
        size_t cap = c->cap_staff ? c->cap_staff * 2 : 16;
        char(*p)[STAFF_MAX + 1] = realloc(c->staff, cap * sizeof *p);
        if (!p) return 0;
        c->staff = p;
        c->cap_staff = cap;
    }
    snprintf(c->staff[c->nstaff], sizeof c->staff[0], "%s", staff);
    return (uint32_t)++c->nstaff;
}

/* ---- the tenant ------------------------------------------------------------------------ */

tenant_db *connect_tenant_db(node_connect *c) { return platform_node_db(c->d, c->b->server); }

/* Can the outside system reach its intermediate server now? Its own line (the body's node and
 * its link), the site serving the tenant up and serving it (not fenced, not failing over). */
bool connect_tenant_available(node_connect *c, char *why, size_t n)
{
    sim_node *server = sim_world_node(c->w, c->b->server);
    sim_link_params p;
    if (!c->n->up) {
        snprintf(why, n, "the local government's own systems are cut off from the network");
        return false;
    }
    if (!server || !server->up) {
        snprintf(why, n, "the intermediate server at site %s is down", server ? server->name : "?");
        return false;
    }
    if (sim_link_get(c->w, c->n->id, server->id, &p) == 0 && !p.up) {
        snprintf(why, n, "the line to site %s is down", server->name);
        return false;
    }
    if (server->kind == &platform_site_kind && !platform_ha_serves(server, c->b)) {
        snprintf(why, n, "site %s does not serve this tenant now (a failover is in progress)", server->name);
        return false;
    }
    return true;
}

/* ---- Lua ------------------------------------------------------------------------------- */

/* connected() -> the local government under test, or nil when the run is not a connection test */
static int l_connected(lua_State *L)
{
    sim_world *w = sim_lua_world(L);
    node_connect *c = connect_of(w);
    sim_node *n = c ? sim_world_find_node(w, c->lg_code) : NULL;
    if (n) sim_lua_push_node(L, n);
    else lua_pushnil(L);
    return 1;
}

int connect_open_lua(lua_State *L)
{
    lua_pushcfunction(L, l_connected);
    lua_setglobal(L, "connected");
    lua_pushcfunction(L, connect_lua_layout_example);
    lua_setglobal(L, "layout_example");
    return 0;
}

/* ---- the end --------------------------------------------------------------------------- */

bool connect_ended_run(const node_connect *c) { return c && c->ended_by_session; }
int connect_failed(const node_connect *c) { return c ? (int)c->rep.diverged : 0; }

int connect_finish(node_connect *c, const char *end)
{
    if (!c || !c->log) return 0;
    char at[SIM_TIME_BUFSZ];
    sim_time_format_iso(sim_world_now(c->w), at, sizeof at);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "end", end);
    char us[24];   /* as digits: a double would round 16-digit microseconds */
    snprintf(us, sizeof us, "%lld", (long long)sim_world_now(c->w));
    cJSON_AddStringToObject(o, "t_us", us);
    cJSON_AddStringToObject(o, "t", at);
    cJSON_AddNumberToObject(o, "events", (double)sim_world_stats_get(c->w)->events);
    cJSON *h = cJSON_AddObjectToObject(o, "http");
    cJSON_AddNumberToObject(h, "connections", (double)c->rep.http_accepted);
    cJSON_AddNumberToObject(h, "refused_connections", (double)c->rep.http_refused);
    cJSON_AddNumberToObject(h, "evicted_connections", (double)c->rep.http_evicted);
    cJSON_AddNumberToObject(h, "requests", (double)c->rep.http_requests);
    cJSON_AddNumberToObject(h, "errors_4xx", (double)c->rep.http_4xx);
    cJSON_AddNumberToObject(h, "own_4xx", (double)c->rep.own_4xx);
    if (c->nunlogged) {
        cJSON *list = cJSON_AddArrayToObject(o, "refusals_not_logged");
        for (size_t i = 0; i < c->nunlogged; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "op", connect_op_name(c->unlogged[i].op));
            cJSON_AddNumberToObject(x, "status", c->unlogged[i].status);
            cJSON_AddStringToObject(x, "refused", c->unlogged[i].code);
            cJSON_AddNumberToObject(x, "count", (double)c->unlogged[i].count);
            cJSON_AddItemToArray(list, x);
        }
    }
    char *text = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    int rc = text && fprintf(c->log, "%s\n", text) >= 0 ? 0 : text ? -EIO : -ENOMEM;
    cJSON_free(text);
    if (ferror(c->log) && rc == 0) rc = -EIO;   /* an earlier line was lost */
    if (fclose(c->log) != 0 && rc == 0) rc = errno ? -errno : -EIO;
    c->log = NULL;
    return rc;
}

void connect_destroy(node_connect *c)
{
    if (!c) return;
    if (c->log) fclose(c->log);
    for (size_t i = 0; i < c->nreqs; i++) {
        free(c->reqs[i].payload);
        cJSON_Delete(c->reqs[i].step);
    }
    for (size_t i = 0; i < c->nbulks; i++) cJSON_Delete(c->bulks[i].step);
    connect_cases_free(c);
    sim_tls_ctx_free(c->tls);
    free(c->reqs);
    free(c->inflight);
    free(c->bulks);
    free(c->staff);
    sim_map_free(&c->by_flow);
    connect_report_free(&c->rep);
    free(c);
}
