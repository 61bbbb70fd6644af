/* connect/connect_http.c - the connection test's listener, on sim_http. Every request under
 * /connect/v1/ (whatever its method) passes, in this order: the rate limit (per client
 * address, by the wall clock: 429 with the wait), the access token (401 without, 403 wrong),
 * the session still open (503 after its end), a query that decodes (400 bad_query); then it
 * enters the simulation at the paced run's present and goes to connect/connect_api.c. A
 * misbehaving client costs the loop a little time and nothing else: refusals never reach the
 * world, and sim_http bounds sizes, connections (32, 16 from one address; a connection that
 * has not yet made a request with the token has 5 s for each, and makes room for a newcomer
 * when the listener is full) and slow senders.
 *
 * Each request that reached this handler is a line of the session log: when it entered
 * (simulated time and the count of events dispatched before it), what it was, and a digest
 * of the answer; refusals are logged too, for the report, and are not replayed. */
#include "connect/connect_internal.h"
#include "sim_json.h"
#include "sim_tls.h"

#include <errno.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    TICK_MS = 20,               /* how soon a requested end takes effect */
    MAX_BODY = 1 << 20,         /* bulk files: 1,000 lines of about 1 KiB */
    MAX_CONNS = 32,
    MAX_CONNS_PER_ADDR = 16,
    REQUEST_TIMEOUT_MS = 10 * 1000,
    UNAUTH_TIMEOUT_MS = 5 * 1000,   /* for connections that have not yet sent the token */
};

void connect_digest(const char *text, size_t len, char out[33])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_Digest(text, len, md, &n, EVP_sha256(), NULL) != 1) n = 0;
    for (unsigned i = 0; i < 16; i++) snprintf(out + 2 * i, 3, "%02x", i < n ? md[i] : 0);
}

enum { PARAM_NAME_MAX = 64, PARAM_VALUE_MAX = 256 };

/* The query as connect_call takes it: {name: value}, a name given twice an array of its
 * values, a value too long to keep null. NULL when out of memory. */
static cJSON *query_object(sim_http_req *r)
{
    cJSON *q = cJSON_CreateObject();
    char name[PARAM_NAME_MAX], val[PARAM_VALUE_MAX];
    for (size_t i = 0; q; i++) {
        int rc = sim_http_req_query_at(r, i, name, sizeof name, val, sizeof val);
        if (rc == -ENOENT) break;
        if (rc == -ENOSPC && sim_http_req_query_at(r, i, name, sizeof name, val, 1) == -ENOSPC)
            snprintf(name, sizeof name, "(a name longer than %d bytes)", PARAM_NAME_MAX - 1);
        cJSON *v = rc == 0 ? cJSON_CreateString(val) : cJSON_CreateNull();
        cJSON *had = cJSON_GetObjectItemCaseSensitive(q, name);
        if (!had) {
            cJSON_AddItemToObject(q, name, v);
        } else if (cJSON_IsArray(had)) {
            cJSON_AddItemToArray(had, v);
        } else {
            cJSON *list = cJSON_CreateArray();
            cJSON_AddItemToArray(list, cJSON_Duplicate(had, true));
            cJSON_AddItemToArray(list, v);
            cJSON_ReplaceItemInObjectCaseSensitive(q, name, list);
        }
    }
    return q;
}

/* A token bucket per client address: `rate` a second, bursts of twice that. Refused requests
 * take nothing from it, so a flood cannot lock a client out for longer than it lasts. */
static bool rate_allow(node_connect *c, const char *addr, uint64_t now, double *retry_ms)
{
    if (!(c->rate > 0)) return true;
    double burst = 2 * c->rate;
    rate_client *slot = NULL, *oldest = &c->clients[0];
    for (int i = 0; i < RATE_CLIENTS && !slot; i++) {
        if (c->clients[i].last_ns && strcmp(c->clients[i].addr, addr) == 0) slot = &c->clients[i];
        else if (c->clients[i].last_ns < oldest->last_ns) oldest = &c->clients[i];
    }
    if (!slot) {
        slot = oldest;
        *slot = (rate_client){.tokens = burst, .last_ns = now};
        snprintf(slot->addr, sizeof slot->addr, "%s", addr);
    }
    slot->tokens = fmin(burst, slot->tokens + (double)(now - slot->last_ns) / 1e9 * c->rate);
    slot->last_ns = now;
    if (slot->tokens >= 1) {
        slot->tokens -= 1;
        return true;
    }
    *retry_ms = (1 - slot->tokens) / c->rate * 1000;
    return false;
}

/* The point where a request enters: the world's clock brought to the paced run's present,
 * never past a pending event (which then runs after the request, as it would have). */
static void catch_up(node_connect *c)
{
    sim_time_t t = sim_run_paced_now(c->run), next;
    if (sim_world_next_time(c->w, &next) == 0 && next < t) t = next;
    sim_world_advance(c->w, t);
}

static void log_line(node_connect *c, cJSON *o)
{
    char *text = cJSON_PrintUnformatted(o);
    if (text) {
        fputs(text, c->log);
        fputc('\n', c->log);
        fflush(c->log);   /* a session cut short still replays up to its last request */
    }
    cJSON_free(text);
}

/* The body exactly as it came: text, or hex when it holds NUL bytes or is not UTF-8 (the log
 * is read back by the strict reader). */
static void add_body(cJSON *o, const char *req_body, size_t len)
{
    if (!len) return;
    if (!memchr(req_body, 0, len) && sim_json_utf8_valid(req_body, len) == len) {
        cJSON_AddStringToObject(o, "body", req_body);
        return;
    }
    char *hex = malloc(2 * len + 1);
    if (!hex) return;
    for (size_t i = 0; i < len; i++) snprintf(hex + 2 * i, 3, "%02x", (unsigned char)req_body[i]);
    cJSON_AddStringToObject(o, "body_hex", hex);
    free(hex);
}

static void count_unlogged(node_connect *c, connect_op op, int status, const char *code)
{
    for (size_t i = 0; i < c->nunlogged; i++) {
        refusal_count *k = &c->unlogged[i];
        if (k->op == op && k->status == status && strcmp(k->code, code) == 0) {
            k->count++;
            return;
        }
    }
    if (c->nunlogged == REFUSAL_KINDS) return;   /* every op x status x code fits: cannot happen */
    refusal_count *k = &c->unlogged[c->nunlogged++];
    *k = (refusal_count){.op = op, .status = status, .count = 1};
    snprintf(k->code, sizeof k->code, "%s", code);
}

static void h_api(sim_http_req *r, void *ud)
{
    node_connect *c = ud;
    uint64_t t0 = sim_http_wall_ns();
    char client[48] = "?";
    sim_http_req_peer(r, client, sizeof client);
    unsigned method = sim_http_req_method(r);
    const char *path = sim_http_req_path(r);
    size_t body_len;
    const char *req_body = sim_http_req_body(r, &body_len);
    connect_answer a = {.op = connect_route_op(method, path), .compare = true};
    const char *refused = NULL;
    double retry_ms = 0;
    int token = sim_http_req_token(r);
    sim_time_t entered = 0;
    uint64_t events = 0;
    cJSON *query = NULL;
    char bad_param[64], why[300];
    double wall_ms = round((double)(t0 - c->rep.wall_start_ns) / 1e4) / 100;   /* as the log has it */
    if (!rate_allow(c, client, t0, &retry_ms)) {
        connect_answer_error(&a, 429, "rate_limited", "more than %g requests a second from %s: retry after %.0f ms",
                             c->rate, client, ceil(retry_ms));
        cJSON_AddNumberToObject(a.json, "retry_after_ms", ceil(retry_ms));
        refused = "rate_limited";
    } else if (token != 1) {
        if (token == 0)
            connect_answer_error(&a, 401, "unauthorized",
                                 "every request needs the access token printed at the start (header Authorization: Bearer TOKEN)");
        else
            connect_answer_error(&a, 403, "forbidden", "wrong access token");
        refused = token == 0 ? "unauthorized" : "forbidden";
    } else if (c->end_requested || sim_run_get_state(c->run) == SIM_RUN_DONE) {
        connect_answer_error(&a, 503, "session_ended", "the session has ended: its report is being written");
        refused = "session_ended";
    } else if (sim_http_req_query_check(r, bad_param, sizeof bad_param, why, sizeof why) < 0) {
        connect_answer_error(&a, 400, "bad_query", "%s", why);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "field", bad_param[0] ? bad_param : "(unnamed)");
        cJSON_AddStringToObject(e, "rule", "escape");
        cJSON_AddStringToObject(e, "message", why);
        cJSON_AddItemToArray(cJSON_AddArrayToObject(a.json, "errors"), e);
        refused = "bad_query";
    } else {
        catch_up(c);
        entered = sim_world_now(c->w);
        events = sim_world_stats_get(c->w)->events;
        query = query_object(r);
        connect_call call = {.method = method, .path = path, .body = req_body, .body_len = body_len, .query = query,
                             .client = client, .wall_ms = wall_ms};
        connect_api_handle(c, &call, &a);
    }
    size_t len = 0;
    const char *ctype = "application/json";
    char *text = connect_answer_text(&a, &len, &ctype);
    if (a.status == 405 && a.allow[0]) sim_http_req_add_header(r, "Allow", a.allow);
    if (text) sim_http_respond(r, a.status, ctype, text, len);
    else sim_http_respond_error(r, 500, "out of memory");
    connect_report_request(&c->rep, a.op, a.status, a.json, (double)(sim_http_wall_ns() - t0) / 1e6);
    if (refused) connect_cases_refused(c, client, wall_ms, a.status, ceil(retry_ms));
    const char *cert = sim_http_req_client_cert(r);   /* mutual TLS: whose system it is */
    if (*cert) {
        size_t i = 0;
        while (i < c->rep.ncerts && strcmp(c->rep.certs[i].subject, cert) != 0) i++;
        if (i == c->rep.ncerts && i < sizeof c->rep.certs / sizeof c->rep.certs[0])
            snprintf(c->rep.certs[c->rep.ncerts++].subject, sizeof c->rep.certs[0].subject, "%s", cert);
        if (i < c->rep.ncerts) c->rep.certs[i].requests++;
    }
    if (c->log && refused && c->refusals_logged >= REFUSALS_LOGGED) {
        count_unlogged(c, a.op, a.status, refused);
    } else if (c->log) {
        if (refused) c->refusals_logged++;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "seq", (double)++c->log_seq);
        if (!refused) {
            char at[SIM_TIME_BUFSZ];
            sim_time_format_iso(entered, at, sizeof at);
            char us[24];   /* as digits: a double would round 16-digit microseconds */
            snprintf(us, sizeof us, "%lld", (long long)entered);
            cJSON_AddStringToObject(o, "t_us", us);
            cJSON_AddStringToObject(o, "t", at);
            cJSON_AddNumberToObject(o, "events", (double)events);
        }
        cJSON_AddNumberToObject(o, "wall_ms", wall_ms);
        cJSON_AddStringToObject(o, "client", client);
        cJSON_AddStringToObject(o, "method", connect_method_name(method));
        cJSON_AddStringToObject(o, "path", path);
        if (query && query->child) {
            cJSON_AddItemToObject(o, "query", query);
            query = NULL;
        }
        if (!refused) add_body(o, req_body, body_len);
        cJSON_AddNumberToObject(o, "status", a.status);
        cJSON_AddStringToObject(o, "op", connect_op_name(a.op));
        if (refused) {
            cJSON_AddStringToObject(o, "refused", refused);
            if (a.status == 429) cJSON_AddNumberToObject(o, "retry_after_ms", ceil(retry_ms));
        } else {
            char digest[33];
            connect_digest(text ? text : "", text ? len : 0, digest);
            cJSON_AddStringToObject(o, "answer", digest);
            cJSON_AddBoolToObject(o, "compare", a.compare);
        }
        log_line(c, o);
        cJSON_Delete(o);
    }
    cJSON_Delete(query);
    free(text);
    connect_answer_free(&a);
}

/* The session's end was asked for: stop the run (paused since), outside any handler. */
static void on_tick(void *ud)
{
    node_connect *c = ud;
    if (!c->end_requested || !c->run || sim_run_get_state(c->run) == SIM_RUN_DONE) return;
    c->ended_by_session = true;
    sim_run_stop(c->run);
}

static const sim_http_route routes[] = {
    {SIM_HTTP_ANY, "/connect/v1/*", false, h_api},   /* the API answers every method itself (405 with Allow) */
};

static int write_header(node_connect *c, const node_connect_serve_config *cfg)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "session", "renkei connection test");
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "lg", c->lg_code);
    cJSON_AddStringToObject(o, "name", c->b->name);
    cJSON_AddNumberToObject(o, "seed", (double)cfg->info.seed);
    cJSON *scripts = cJSON_AddArrayToObject(o, "scripts");
    for (int i = 0; i < cfg->info.nscripts; i++) cJSON_AddItemToArray(scripts, cJSON_CreateString(cfg->info.scripts[i]));
    cJSON *sets = cJSON_AddArrayToObject(o, "sets");
    for (int i = 0; i < cfg->info.nsets; i++) cJSON_AddItemToArray(sets, cJSON_CreateString(cfg->info.sets[i]));
    if (cfg->info.until) cJSON_AddStringToObject(o, "until", cfg->info.until);
    else cJSON_AddNullToObject(o, "until");
    cJSON_AddNumberToObject(o, "rate", cfg->rate);
    char at[SIM_TIME_BUFSZ];
    sim_time_format_iso(sim_world_now(c->w), at, sizeof at);
    cJSON_AddStringToObject(o, "start", at);
    log_line(c, o);
    cJSON_Delete(o);
    return ferror(c->log) ? -EIO : 0;
}

int connect_serve(node_connect *c, sim_run *run, uv_loop_t *loop, const node_connect_serve_config *cfg, char *why,
                  size_t n)
{
    if (!c->b) return -EINVAL;
    if (c->http) return -EALREADY;
    if (cfg->tls_cert) {
        char reason[400];
        int rc = sim_tls_ctx_create(cfg->tls_cert, cfg->tls_key, cfg->tls_client_ca, &c->tls, reason, sizeof reason);
        if (rc < 0) {
            snprintf(why, n, "TLS: %s", reason);
            return -EPROTO;
        }
        c->rep.tls = true;
        c->rep.tls_mutual = sim_tls_ctx_mutual(c->tls);
    }
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1) return -EIO;
    for (int i = 0; i < 16; i++) snprintf(c->token + 2 * i, 3, "%02x", raw[i]);
    c->run = run;
    c->rate = cfg->rate;
    c->rep.wall_start_ns = sim_http_wall_ns();
    if (cfg->session_log) {
        c->log = fopen(cfg->session_log, "w");
        if (!c->log) return -errno;
        if (write_header(c, cfg) < 0) return -EIO;
    }
    sim_http_config hc = {.host = cfg->host, .port = cfg->port,
                          .limits = {.max_body_bytes = MAX_BODY, .max_conns = MAX_CONNS,
                                     .max_conns_per_addr = MAX_CONNS_PER_ADDR, .request_timeout_ms = REQUEST_TIMEOUT_MS,
                                     .unauth_timeout_ms = UNAUTH_TIMEOUT_MS},
                          .token = c->token, .loopback_hosts_only = cfg->loopback, .handlers_check_query = true,
                          .routes = routes,
                          .nroutes = sizeof routes / sizeof routes[0], .ud = c, .tick_ms = TICK_MS, .tick = on_tick,
                          .tls = c->tls};
    return sim_http_create(loop, &hc, &c->http);
}

int connect_port(const node_connect *c) { return c->http ? sim_http_port(c->http) : -1; }
const char *connect_token(const node_connect *c) { return c->token; }

void connect_close(node_connect *c)
{
    if (!c || !c->http) return;
    const sim_http_stats *st = sim_http_stats_get(c->http);
    c->rep.http_accepted = st->accepted;
    c->rep.http_refused = st->refused;
    c->rep.http_evicted = st->evicted;
    c->rep.http_requests = st->requests;
    c->rep.http_4xx = st->errors_4xx;
    c->rep.tls_handshakes = st->tls_handshakes;
    c->rep.tls_refused = st->tls_refused;
    snprintf(c->rep.tls_last_refusal, sizeof c->rep.tls_last_refusal, "%s", st->tls_last_refusal);
    sim_http_close(c->http, NULL, NULL);
    c->http = NULL;
}

int connect_parse_listen(const char *spec, char *host, size_t n, int *port)
{
    snprintf(host, n, "127.0.0.1");
    const char *port_text = spec;
    const char *colon = strrchr(spec, ':');
    if (colon) {
        size_t len = (size_t)(colon - spec);
        if (len >= 2 && spec[0] == '[' && spec[len - 1] == ']') {   /* [::1]:8080 */
            spec++;
            len -= 2;
        }
        if (len == 0 || len >= n) return -EINVAL;
        memcpy(host, spec, len);
        host[len] = '\0';
        port_text = colon + 1;
    }
    if (strcmp(host, "localhost") == 0) snprintf(host, n, "127.0.0.1");
    char *end;
    errno = 0;
    unsigned long v = strtoul(port_text, &end, 10);
    if (!*port_text || *end || errno || v > 65535 || port_text[0] == '-') return -EINVAL;
    *port = (int)v;
    return 0;
}
