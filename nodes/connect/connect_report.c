/* connect/connect_report.c - the conformance report of a connection test: for each operation the
 * outside system used, how many requests it made, how many were answered or refused, how many
 * operations succeeded and how the others ended; every error it triggered, grouped by cause
 * (status, code, field, rule); the required operations it never exercised or never saw
 * succeed; the latency it experienced, at the HTTP layer (wall clock) and in the simulation.
 * Written to summary.json ("connection_test"), to the summary on stdout, and as a section of
 * report.html, which is drawn from the summary so that `renkei report` draws it again. */
#include "connect/connect_internal.h"
#include "sim_json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- accounting ------------------------------------------------------------------------ */

void connect_report_init(connect_report *r) { *r = (connect_report){0}; }

void connect_report_free(connect_report *r)
{
    for (int i = 0; i < OP_COUNT; i++) {
        free(r->ops[i].http_ms.v);
        free(r->ops[i].done_sim_ms.v);
        free(r->ops[i].done_wall_ms.v);
        free(r->ops[i].seen_wall_ms.v);
    }
    free(r->errors);
}

static void lat_add(latency_set *s, double v)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        double *p = realloc(s->v, cap * sizeof *p);
        if (!p) return;   /* a figure lost, never the run */
        s->v = p;
        s->cap = cap;
    }
    s->v[s->n++] = v;
}

/* Error groups are bounded: past ERROR_GROUPS_MAX, a new field joins the group of its status,
 * code and rule under the field "*" (the fields of unknown_field problems are the client's to
 * choose, and a report must not grow with them). Every error is still counted. */
static void group_add(connect_report *r, connect_op op, int status, const char *code, const char *field,
                      const char *rule, const char *example)
{
    bool folded = false;
again:
    for (size_t i = 0; i < r->nerrors; i++) {
        error_group *g = &r->errors[i];
        if (g->status == status && strcmp(g->code, code) == 0 && strcmp(g->field, field) == 0 && strcmp(g->rule, rule) == 0) {
            g->count++;
            g->ops |= 1u << op;
            return;
        }
    }
    if (r->nerrors >= ERROR_GROUPS_MAX && !folded) {
        field = "*";
        folded = true;
        goto again;
    }
    if (r->nerrors == r->cap_errors) {
        size_t cap = r->cap_errors ? r->cap_errors * 2 : 16;
        error_group *p = realloc(r->errors, cap * sizeof *p);
        if (!p) return;
        r->errors = p;
        r->cap_errors = cap;
    }
    error_group *g = &r->errors[r->nerrors++];
    *g = (error_group){.status = status, .count = 1, .ops = 1u << op};
    snprintf(g->code, sizeof g->code, "%s", code);
    snprintf(g->field, sizeof g->field, "%s", field);
    snprintf(g->rule, sizeof g->rule, "%s", rule);
    snprintf(g->example, sizeof g->example, "%s", example);
    sim_json_utf8_trim(g->code);   /* cut short in the middle of a character: cut before it */
    sim_json_utf8_trim(g->field);
    sim_json_utf8_trim(g->rule);
    sim_json_utf8_trim(g->example);
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

void connect_report_request(connect_report *r, connect_op op, int status, const cJSON *answer, double http_ms)
{
    op_stats *s = &r->ops[op];
    r->requests++;
    s->requests++;
    if (status < 400) s->answered++;
    else s->rejected++;
    if (status >= 400 && status < 500) r->own_4xx++;
    if (http_ms >= 0) lat_add(&s->http_ms, http_ms);
    if (status < 400) return;
    const char *code = str_of(answer, "code");
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(answer, "errors");
    if (!cJSON_IsArray(errors) || !errors->child) {
        group_add(r, op, status, code, "", "", str_of(answer, "error"));
        return;
    }
    for (const cJSON *e = errors->child; e; e = e->next)
        group_add(r, op, status, code, str_of(e, "field"), str_of(e, "rule"), str_of(e, "message"));
}

void connect_report_accepted(connect_report *r, connect_op op, uint64_t items)
{
    r->ops[op].accepted += items;
    if (op == OP_BULK_INQUIRY || op == OP_BULK_REPLICA) r->ops[op].lines += items;
}

/* Lines of bulk files count under their file's operation. */
static connect_op stat_op(const connect_req *q)
{
    if (q->bulk < 0) return q->op;
    return q->op == OP_INQUIRY ? OP_BULK_INQUIRY : OP_BULK_REPLICA;
}

void connect_report_completed(connect_report *r, const connect_req *q, double sim_ms, double wall_ms)
{
    op_stats *s = &r->ops[stat_op(q)];
    s->completed++;
    s->outcome[q->outcome]++;
    if (q->outcome == FLOW_OK) s->completed_ok++;
    lat_add(&s->done_sim_ms, sim_ms);
    lat_add(&s->done_wall_ms, wall_ms);
}

void connect_report_seen(connect_report *r, const connect_req *q, double wall_ms) { lat_add(&r->ops[stat_op(q)].seen_wall_ms, wall_ms); }
void connect_report_bulk_fetched(connect_report *r) { r->bulk_file_fetched = true; }

/* ---- what was required ----------------------------------------------------------------- */

enum { REQ_CODE, REQ_REGISTRATION, REQ_UPDATE, REQ_INQUIRY, REQ_RESULT, REQ_PROVISIONS, REQ_BULK, REQUIRED };
static const char *const required_names[REQUIRED] = {
    "code_acquisition", "replica_registration", "replica_update", "inquiry", "result_fetch", "provision_fetch", "bulk"};

static void required_state(const connect_report *r, int k, bool *exercised, bool *succeeded)
{
    static const connect_op writes[] = {[REQ_CODE] = OP_CODE_ACQUISITION, [REQ_REGISTRATION] = OP_REPLICA_REGISTRATION,
                                        [REQ_UPDATE] = OP_REPLICA_UPDATE, [REQ_INQUIRY] = OP_INQUIRY};
    const op_stats *o = r->ops;
    switch (k) {
    case REQ_RESULT:
        *exercised = o[OP_RESULT_FETCH].answered > 0;
        *succeeded = o[OP_RESULT_FETCH].done_fetches > 0;
        break;
    case REQ_PROVISIONS:
        *exercised = *succeeded = o[OP_PROVISION_FETCH].answered > 0;
        break;
    case REQ_BULK:
        *exercised = o[OP_BULK_INQUIRY].accepted + o[OP_BULK_REPLICA].accepted > 0;
        *succeeded = r->bulk_file_fetched && o[OP_BULK_INQUIRY].completed_ok + o[OP_BULK_REPLICA].completed_ok > 0;
        break;
    default:
        *exercised = o[writes[k]].accepted > 0;
        *succeeded = o[writes[k]].completed_ok > 0;
    }
}

/* ---- JSON ------------------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double round2(double v) { return round(v * 100) / 100; }

static cJSON *latency_json(const latency_set *s)
{
    if (!s->n) return NULL;
    double *v = malloc(s->n * sizeof *v);
    if (!v) return NULL;
    memcpy(v, s->v, s->n * sizeof *v);
    qsort(v, s->n, sizeof *v, cmp_double);
    size_t p95 = (size_t)ceil(0.95 * (double)s->n);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "n", (double)s->n);
    cJSON_AddNumberToObject(o, "p50", round2(v[(s->n - 1) / 2]));
    cJSON_AddNumberToObject(o, "p95", round2(v[p95 ? p95 - 1 : 0]));
    cJSON_AddNumberToObject(o, "max", round2(v[s->n - 1]));
    free(v);
    return o;
}

static void add_latency(cJSON *o, const char *key, const latency_set *s)
{
    cJSON *l = latency_json(s);
    if (l) cJSON_AddItemToObject(o, key, l);
}

static bool is_async(connect_op op)
{
    return op == OP_CODE_ACQUISITION || op == OP_REPLICA_REGISTRATION || op == OP_REPLICA_UPDATE ||
           op == OP_INQUIRY || op == OP_BULK_INQUIRY || op == OP_BULK_REPLICA;
}

static cJSON *op_json(const op_stats *s, connect_op op, bool wall)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "requests", (double)s->requests);
    cJSON_AddNumberToObject(o, "answered", (double)s->answered);
    cJSON_AddNumberToObject(o, "rejected", (double)s->rejected);
    if (is_async(op)) {
        if (op == OP_BULK_INQUIRY || op == OP_BULK_REPLICA) cJSON_AddNumberToObject(o, "lines", (double)s->lines);
        cJSON_AddNumberToObject(o, "accepted", (double)s->accepted);
        cJSON_AddNumberToObject(o, "completed", (double)s->completed);
        cJSON_AddNumberToObject(o, "succeeded", (double)s->completed_ok);
        cJSON *outcomes = cJSON_AddObjectToObject(o, "outcomes");
        for (int e = 0; e < FLOW_ERRORS; e++)
            if (s->outcome[e]) cJSON_AddNumberToObject(outcomes, domain_error_name((flow_error)e), (double)s->outcome[e]);
    } else {
        cJSON_AddNumberToObject(o, "succeeded", (double)s->answered);
    }
    if (op == OP_RESULT_FETCH || op == OP_REQUEST_STATUS || op == OP_BULK_RESULT)
        cJSON_AddNumberToObject(o, "finished_results", (double)s->done_fetches);
    cJSON *lat = cJSON_AddObjectToObject(o, "latency_ms");
    if (wall) add_latency(lat, "http_wall", &s->http_ms);
    add_latency(lat, "sim", &s->done_sim_ms);
    if (wall) {
        add_latency(lat, "result_wall", &s->done_wall_ms);
        add_latency(lat, "seen_wall", &s->seen_wall_ms);
    }
    return o;
}

static const char *outcome_meaning(flow_error e)
{
    switch (e) {
    case FLOW_NO_CODE: return "no agency code for the person (符号が未取得)";
    case FLOW_NOT_PERMITTED: return "refused by the permission table";
    case FLOW_UNREACHABLE: return "a server could not be reached, or refused a write it could not mirror";
    case FLOW_TIMEOUT: return "no answer within the timeout";
    case FLOW_INTEGRITY: return "the provision failed to decrypt or authenticate (a key fault)";
    case FLOW_NOT_FOUND: return "no replica (or record) for that person and item";
    case FLOW_DUPLICATE: return "the record or code exists";
    case FLOW_NO_STAFF: return "no staff member named";
    case FLOW_SERVER_ERROR: return "the server could not store it";
    default: return "";
    }
}

cJSON *connect_report_json(node_connect *c)
{
    const connect_report *r = &c->rep;
    bool wall = !c->replaying;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "lg", c->lg_code);
    cJSON_AddStringToObject(o, "name", connect_lg_name(c));
    cJSON_AddStringToObject(o, "mode", c->replaying ? "replay" : "live");
    cJSON_AddNumberToObject(o, "requests", (double)r->requests);
    cJSON_AddNumberToObject(o, "operations_accepted", (double)c->nreqs);
    cJSON *staff = cJSON_AddArrayToObject(o, "staff");
    for (size_t i = 0; i < c->nstaff; i++) cJSON_AddItemToArray(staff, cJSON_CreateString(c->staff[i]));
    cJSON *ops = cJSON_AddObjectToObject(o, "operations");
    for (int k = 0; k < OP_COUNT; k++)
        if (r->ops[k].requests) cJSON_AddItemToObject(ops, connect_op_name((connect_op)k), op_json(&r->ops[k], (connect_op)k, wall));
    cJSON *req = cJSON_AddArrayToObject(o, "required");
    cJSON *never = cJSON_AddArrayToObject(o, "never_exercised");
    cJSON *failed = cJSON_AddArrayToObject(o, "never_succeeded");
    for (int k = 0; k < REQUIRED; k++) {
        bool ex, ok;
        required_state(r, k, &ex, &ok);
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "operation", required_names[k]);
        cJSON_AddBoolToObject(x, "exercised", ex);
        cJSON_AddBoolToObject(x, "succeeded", ok);
        cJSON_AddItemToArray(req, x);
        if (!ex) cJSON_AddItemToArray(never, cJSON_CreateString(required_names[k]));
        else if (!ok) cJSON_AddItemToArray(failed, cJSON_CreateString(required_names[k]));
    }
    cJSON_AddStringToObject(o, "verdict", cJSON_GetArraySize(never) || cJSON_GetArraySize(failed) ? "incomplete" : "complete");
    cJSON_AddItemToObject(o, "test_cases", connect_cases_json(c, false));
    cJSON *errors = cJSON_AddArrayToObject(o, "errors");
    for (size_t i = 0; i < r->nerrors; i++) {
        const error_group *g = &r->errors[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "status", g->status);
        cJSON_AddStringToObject(x, "code", g->code);
        if (g->field[0]) cJSON_AddStringToObject(x, "field", g->field);
        if (g->rule[0]) cJSON_AddStringToObject(x, "rule", g->rule);
        cJSON_AddNumberToObject(x, "count", (double)g->count);
        cJSON *in = cJSON_AddArrayToObject(x, "operations");
        for (int k = 0; k < OP_COUNT; k++)
            if (g->ops & (1u << k)) cJSON_AddItemToArray(in, cJSON_CreateString(connect_op_name((connect_op)k)));
        cJSON_AddStringToObject(x, "example", g->example);
        cJSON_AddItemToArray(errors, x);
    }
    cJSON *flow_errors = cJSON_AddArrayToObject(o, "flow_errors");
    for (int k = 0; k < OP_COUNT; k++) {
        for (int e = 1; e < FLOW_ERRORS; e++) {
            if (!r->ops[k].outcome[e]) continue;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "operation", connect_op_name((connect_op)k));
            cJSON_AddStringToObject(x, "outcome", domain_error_name((flow_error)e));
            cJSON_AddNumberToObject(x, "count", (double)r->ops[k].outcome[e]);
            cJSON_AddStringToObject(x, "meaning", outcome_meaning((flow_error)e));
            cJSON_AddItemToArray(flow_errors, x);
        }
    }
    if (wall) {
        cJSON *h = cJSON_AddObjectToObject(o, "http_layer");
        const sim_http_stats *st = c->http ? sim_http_stats_get(c->http) : NULL;
        uint64_t e4 = st ? st->errors_4xx : r->http_4xx;
        cJSON_AddNumberToObject(h, "connections", (double)(st ? st->accepted : r->http_accepted));
        cJSON_AddNumberToObject(h, "refused_connections", (double)(st ? st->refused : r->http_refused));
        /* token-less connections closed to make room for newcomers */
        cJSON_AddNumberToObject(h, "evicted_connections", (double)(st ? st->evicted : r->http_evicted));
        cJSON_AddNumberToObject(h, "requests", (double)(st ? st->requests : r->http_requests));
        /* malformed HTTP, heads or bodies too large, requests that never arrived whole */
        cJSON_AddNumberToObject(h, "transport_errors_4xx", (double)(e4 > r->own_4xx ? e4 - r->own_4xx : 0));
        if (r->tls) {   /* the transport: TLS handshakes, refused ones (a client certificate not accepted) */
            cJSON *t = cJSON_AddObjectToObject(o, "tls");
            cJSON_AddBoolToObject(t, "client_certificates_required", r->tls_mutual);
            cJSON_AddNumberToObject(t, "handshakes", (double)(st ? st->tls_handshakes : r->tls_handshakes));
            cJSON_AddNumberToObject(t, "refused_handshakes", (double)(st ? st->tls_refused : r->tls_refused));
            const char *last = st ? st->tls_last_refusal : r->tls_last_refusal;
            if (*last) cJSON_AddStringToObject(t, "last_refusal", last);
        }
        cJSON *certs = cJSON_AddArrayToObject(o, "client_certificates");   /* mutual TLS: who drove the tenant */
        for (size_t i = 0; i < r->ncerts; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "subject", r->certs[i].subject);
            cJSON_AddNumberToObject(x, "requests", (double)r->certs[i].requests);
            cJSON_AddItemToArray(certs, x);
        }
    }
    if (c->replaying) {
        cJSON *x = cJSON_AddObjectToObject(o, "replay");
        cJSON_AddNumberToObject(x, "requests", (double)r->replayed);
        cJSON_AddNumberToObject(x, "same_answers", (double)(r->replayed - r->diverged));
        cJSON_AddNumberToObject(x, "different_answers", (double)r->diverged);
        if (r->diverged) cJSON_AddStringToObject(x, "first_difference", r->first_divergence);
    }
    return o;
}

/* ---- the summary's lines --------------------------------------------------------------- */

static double pct(const latency_set *s, double q)
{
    if (!s->n) return 0;
    double *v = malloc(s->n * sizeof *v);
    if (!v) return 0;
    memcpy(v, s->v, s->n * sizeof *v);
    qsort(v, s->n, sizeof *v, cmp_double);
    size_t k = (size_t)ceil(q * (double)s->n);
    double x = v[k ? k - 1 : 0];
    free(v);
    return x;
}

void connect_print(node_connect *c, FILE *f)
{
    const connect_report *r = &c->rep;
    fprintf(f, "  connection test of %s %s (%s): %llu requests, %zu operations accepted\n", c->lg_code,
            connect_lg_name(c), c->replaying ? "replay" : "live", (unsigned long long)r->requests, c->nreqs);
    fprintf(f, "    %-22s %8s %8s %8s %9s  %s\n", "operation", "requests", "answered", "rejected", "succeeded",
            "latency p50/p95 ms (simulated)");
    for (int k = 0; k < OP_COUNT; k++) {
        const op_stats *s = &r->ops[k];
        if (!s->requests) continue;
        char lat[48] = "";
        if (s->done_sim_ms.n) snprintf(lat, sizeof lat, "%.1f/%.1f", pct(&s->done_sim_ms, 0.5), pct(&s->done_sim_ms, 0.95));
        fprintf(f, "    %-22s %8llu %8llu %8llu %9llu  %s\n", connect_op_name((connect_op)k), (unsigned long long)s->requests,
                (unsigned long long)s->answered, (unsigned long long)s->rejected,
                (unsigned long long)(is_async((connect_op)k) ? s->completed_ok : s->answered), lat);
    }
    char never[200] = "", failed[200] = "";
    for (int k = 0; k < REQUIRED; k++) {
        bool ex, ok;
        required_state(r, k, &ex, &ok);
        char *list = !ex ? never : !ok ? failed : NULL;
        if (list) snprintf(list + strlen(list), 200 - strlen(list), "%s%s", *list ? ", " : "", required_names[k]);
    }
    fprintf(f, "    required operations: %s%s%s%s\n", *never || *failed ? "" : "all exercised and seen to succeed",
            *never ? "never exercised: " : "", never, *failed ? (*never ? "; never succeeded: " : "never succeeded: ") : "");
    if (*failed) fprintf(f, "      %s\n", failed);
    for (size_t i = 0; i < r->nerrors; i++) {
        const error_group *g = &r->errors[i];
        fprintf(f, "    error %d %s%s%s%s%s x%llu\n", g->status, g->code, g->field[0] ? " " : "", g->field,
                g->rule[0] ? "/" : "", g->rule, (unsigned long long)g->count);
    }
    if (c->replaying)
        fprintf(f, "    replay: %llu requests, %llu answered differently%s%s\n", (unsigned long long)r->replayed,
                (unsigned long long)r->diverged, r->diverged ? ": " : "", r->diverged ? r->first_divergence : "");
}

/* ---- report.html ----------------------------------------------------------------------- */

void connect_put_escaped(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void cell(FILE *f, const char *tag, const char *text)
{
    fprintf(f, "<%s>", tag);
    connect_put_escaped(f, text);
    fprintf(f, "</%s>", tag);
}

static void cell_num(FILE *f, const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (cJSON_IsNumber(v)) fprintf(f, "<td>%.15g</td>", v->valuedouble);
    else fputs("<td></td>", f);
}

static void cell_latency(FILE *f, const cJSON *lat, const char *key)
{
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(lat, key);
    if (!l) {
        fputs("<td></td>", f);
        return;
    }
    /* a hand-written summary.json may lack a figure: an empty place, not a NULL read */
    const cJSON *p50 = cJSON_GetObjectItem(l, "p50"), *p95 = cJSON_GetObjectItem(l, "p95"), *max = cJSON_GetObjectItem(l, "max");
    fprintf(f, "<td>%.15g / %.15g / %.15g</td>", p50 ? p50->valuedouble : 0, p95 ? p95->valuedouble : 0,
            max ? max->valuedouble : 0);
}

int connect_report_html(FILE *f, const cJSON *summary)
{
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(summary, "connection_test");
    if (!cJSON_IsObject(ct)) return 0;
    fputs("<section id=\"connection-test\" style=\"max-width:1100px;margin:0 auto;padding:0 24px 48px\">\n<h2>", f);
    fputs("Connection test / 接続試験: ", f);
    connect_put_escaped(f, str_of(ct, "lg"));
    fputc(' ', f);
    connect_put_escaped(f, str_of(ct, "name"));
    fputs("</h2>\n<p>", f);
    bool complete = strcmp(str_of(ct, "verdict"), "complete") == 0;
    fprintf(f, "<span class=\"badge %s\">%s</span> ", complete ? "ok" : "warn",
            complete ? "every required operation exercised and seen to succeed" : "incomplete");
    const cJSON *n = cJSON_GetObjectItem(ct, "requests");
    /* every string from summary.json is escaped: `renkei report` reads hand-written ones */
    fprintf(f, "%.15g requests (", cJSON_IsNumber(n) ? n->valuedouble : 0);
    connect_put_escaped(f, str_of(ct, "mode"));
    fputs(")</p>\n", f);

    fputs("<h3>Required operations</h3>\n<table><tr><th>operation</th><th>exercised</th><th>succeeded</th></tr>\n", f);
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(ct, "required"))
    {
        fputs("<tr>", f);
        cell(f, "td", str_of(x, "operation"));
        cell(f, "td", cJSON_IsTrue(cJSON_GetObjectItem(x, "exercised")) ? "yes" : "NO");
        cell(f, "td", cJSON_IsTrue(cJSON_GetObjectItem(x, "succeeded")) ? "yes" : "NO");
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    connect_cases_html(f, cJSON_GetObjectItem(ct, "test_cases"), false);
    fputs("<h3>Operations used</h3>\n<table><tr><th>operation</th><th>requests</th><th>answered</th>"
          "<th>rejected</th><th>accepted</th><th>succeeded</th><th>outcomes</th><th>simulated ms p50/p95/max</th>"
          "<th>result ready, wall ms</th><th>fetched, wall ms</th><th>HTTP handling, wall ms</th></tr>\n", f);
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(ct, "operations"))
    {
        fputs("<tr>", f);
        cell(f, "td", x->string);
        cell_num(f, x, "requests");
        cell_num(f, x, "answered");
        cell_num(f, x, "rejected");
        cell_num(f, x, "accepted");
        cell_num(f, x, "succeeded");
        fputs("<td>", f);
        const cJSON *oc;
        cJSON_ArrayForEach(oc, cJSON_GetObjectItem(x, "outcomes"))
        {
            connect_put_escaped(f, oc->string);
            fprintf(f, " %.15g ", oc->valuedouble);
        }
        fputs("</td>", f);
        const cJSON *lat = cJSON_GetObjectItem(x, "latency_ms");
        cell_latency(f, lat, "sim");
        cell_latency(f, lat, "result_wall");
        cell_latency(f, lat, "seen_wall");
        cell_latency(f, lat, "http_wall");
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<h3>Errors by cause</h3>\n<table><tr><th>status</th><th>code</th><th>field</th><th>rule</th>"
          "<th>count</th><th>in</th><th>example</th></tr>\n", f);
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(ct, "errors"))
    {
        fputs("<tr>", f);
        cell_num(f, x, "status");
        cell(f, "td", str_of(x, "code"));
        cell(f, "td", str_of(x, "field"));
        cell(f, "td", str_of(x, "rule"));
        cell_num(f, x, "count");
        fputs("<td>", f);
        const cJSON *op;
        cJSON_ArrayForEach(op, cJSON_GetObjectItem(x, "operations"))
        {
            connect_put_escaped(f, op->valuestring);
            fputc(' ', f);
        }
        fputs("</td>", f);
        cell(f, "td", str_of(x, "example"));
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<h3>Operations that ended in an error</h3>\n<table><tr><th>operation</th><th>outcome</th>"
          "<th>count</th><th>meaning</th></tr>\n", f);
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(ct, "flow_errors"))
    {
        fputs("<tr>", f);
        cell(f, "td", str_of(x, "operation"));
        cell(f, "td", str_of(x, "outcome"));
        cell_num(f, x, "count");
        cell(f, "td", str_of(x, "meaning"));
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    const cJSON *h = cJSON_GetObjectItem(ct, "http_layer");
    if (h) {
        fputs("<p><small>HTTP layer: ", f);
        cJSON_ArrayForEach(x, h)
        {
            connect_put_escaped(f, x->string);
            fprintf(f, " %.15g; ", x->valuedouble);
        }
        fputs("</small></p>\n", f);
    }
    const cJSON *rp = cJSON_GetObjectItem(ct, "replay");
    if (rp) {
        fputs("<p><small>Replay: ", f);
        cJSON_ArrayForEach(x, rp)
        {
            connect_put_escaped(f, x->string);
            fputc(' ', f);
            if (cJSON_IsNumber(x)) fprintf(f, "%.15g; ", x->valuedouble);
            else connect_put_escaped(f, cJSON_IsString(x) ? x->valuestring : "");
        }
        fputs("</small></p>\n", f);
    }
    fputs("</section>\n", f);
    return ferror(f) ? -EIO : 0;
}
