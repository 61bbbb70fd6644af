/* connect/connect_api.c - the external interface of the intermediate server for the tenant under
 * test (docs/connect-api.md): routing, the answers and their JSON, and what the operations
 * share (the tenant's state, the status of an operation). The operations themselves are in
 * connect/connect_write.c (those that change the tenant) and connect/connect_read.c (reads).
 * Independent of HTTP: connect/connect_http.c carries requests here from the listener,
 * connect/connect_replay.c from a session log. */
#include "connect/connect_internal.h"
#include "sim_json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[OP_COUNT] = {
    "code_acquisition", "replica_registration", "replica_update", "inquiry", "result_fetch",
    "provision_fetch", "bulk_inquiry", "bulk_replica", "bulk_result", "request_status",
    "replica_read", "addressee_new", "addressee_read", "code_lists", "fixtures", "session",
    "session_end", "conformance", "declaration", "cases", "layouts", "preview", "openapi", "unknown"};

const char *connect_op_name(connect_op op) { return op < OP_COUNT ? op_names[op] : "unknown"; }

/* ---- answers --------------------------------------------------------------------------- */

void connect_answer_error(connect_answer *a, int status, const char *code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sim_json_utf8_trim(msg);
    cJSON_Delete(a->json);
    a->status = status;
    a->json = cJSON_CreateObject();
    cJSON_AddNumberToObject(a->json, "status", status);
    cJSON_AddStringToObject(a->json, "code", code);
    cJSON_AddStringToObject(a->json, "error", msg);
}

void connect_answer_json(connect_answer *a, int status, cJSON *o)
{
    cJSON_Delete(a->json);
    a->status = status;
    a->json = o;
}

char *connect_answer_text(const connect_answer *a, size_t *len, const char **ctype)
{
    if (a->text) {
        *ctype = "application/x-ndjson; charset=utf-8";
        char *t = malloc(a->text_len + 1);
        if (t) {
            memcpy(t, a->text, a->text_len);
            t[a->text_len] = '\0';
            *len = a->text_len;
        }
        return t;
    }
    *ctype = "application/json; charset=utf-8";
    char *printed = a->json ? cJSON_PrintUnformatted(a->json) : NULL;
    char *t = printed ? strdup(printed) : NULL;
    cJSON_free(printed);
    *len = t ? strlen(t) : 0;
    return t;
}

void connect_answer_free(connect_answer *a)
{
    cJSON_Delete(a->json);
    free(a->text);
    a->json = NULL;
    a->text = NULL;
}

void connect_add_time(cJSON *o, const char *key, sim_time_t t)
{
    char buf[SIM_TIME_BUFSZ];
    sim_time_format_iso(t, buf, sizeof buf);
    cJSON_AddStringToObject(o, key, buf);
}

void connect_add_addressee(cJSON *o, const char *key, uint64_t a)
{
    char buf[ADDRESSEE_DIGITS + 1];
    connect_format_addressee(a, buf);
    cJSON_AddStringToObject(o, key, buf);
}

/* The payload as JSON when it is (replicas always are), else as text. */
void connect_add_payload(cJSON *o, const char *text, size_t len)
{
    cJSON *p = cJSON_ParseWithLength(text, len);
    if (p) cJSON_AddItemToObject(o, "payload", p);
    else cJSON_AddItemToObject(o, "payload", cJSON_CreateString(text));
}

/* A trace record for what entered the simulation from outside. */
void connect_note(node_connect *c, const char *fmt, ...)
{
    char text[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sim_world_note(c->w, "connect", c->lg_code, text);
}

/* ---- the tenant's state ---------------------------------------------------------------- */

bool connect_has_code(node_connect *c, uint64_t addressee)
{
    uint64_t code;
    tenant_db *t = connect_tenant_db(c);
    return t && sim_map_get(&t->code_by_addressee, ((uint64_t)c->b->tenant + 1) << 32 | addressee, &code);
}

const connect_req *connect_pending(node_connect *c, connect_op op, uint64_t addressee, const char *record_id)
{
    for (size_t i = 0; i < c->ninflight; i++) {
        const connect_req *q = &c->reqs[c->inflight[i]];
        if (q->op != op) continue;
        if (record_id ? strcmp(q->record_id, record_id) == 0 : q->addressee == addressee) return q;
    }
    return NULL;
}

/* The stored record, the statement left on its row (columns: addressee_no, item, schema,
 * pub_start, pub_end, payload; the caller resets it), or NULL when there is none. */
sqlite3_stmt *connect_stored_record(node_connect *c, const char *record_id)
{
    tenant_db *t = connect_tenant_db(c);
    sqlite3_stmt *st = t ? sim_store_stmt(t->store, TENANT_ST_CONNECT_REPLICA,
        "SELECT addressee_no, item, schema, pub_start, pub_end, payload FROM replica"
        " WHERE tenant = ?1 AND record_id = ?2") : NULL;
    if (!st) return NULL;
    sqlite3_bind_int64(st, 1, c->b->tenant);
    sqlite3_bind_text(st, 2, record_id, -1, SQLITE_TRANSIENT);
    if (sim_store_read(t->store, st) == 1) return st;
    return NULL;
}

/* The layout version of a record: the flows and the provision database carry none (the
 * simulated store keeps 1), so the connection test remembers the version of each record
 * registered in the session, the latest registration that was not refused by the network. */
int connect_record_schema(node_connect *c, const char *record_id, int stored)
{
    for (size_t i = c->nreqs; i-- > 0;) {
        const connect_req *q = &c->reqs[i];
        if (q->op == OP_REPLICA_REGISTRATION && strcmp(q->record_id, record_id) == 0 && (!q->done || q->outcome == FLOW_OK))
            return q->schema;
    }
    return stored;
}

const char *connect_body_label(const body *b) { return b ? b->code : "?"; }

/* ---- requests' bodies ------------------------------------------------------------------ */

/* 400 bad_json, with the one problem as {field: "body", rule, message}. */
static void bad_json(connect_answer *a, const char *rule, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void bad_json(connect_answer *a, const char *rule, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    connect_answer_error(a, 400, "bad_json", "%s", msg);
    cJSON *errors = cJSON_AddArrayToObject(a->json, "errors");
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "field", "body");
    cJSON_AddStringToObject(e, "rule", rule);
    cJSON_AddStringToObject(e, "message", cJSON_GetObjectItem(a->json, "error")->valuestring);
    cJSON_AddItemToArray(errors, e);
}

/* The body as a JSON object, read by the strict reader (sim_json.h), or NULL with the refusal
 * answered: 400 bad_json naming the byte and the rule (empty, syntax, utf8, nul, number,
 * trailing, depth; type: not an object), or 422 duplicate_field naming the key's path (a key
 * twice in one object, at any depth). An empty body is {} when allowed. */
cJSON *connect_body_object(const connect_call *call, connect_answer *a, bool empty_ok)
{
    if (call->body_len == 0 && empty_ok) return cJSON_CreateObject();
    if (call->body_len == 0) {
        bad_json(a, "empty", "the body must be a JSON object (it is empty)");
        return NULL;
    }
    cJSON *j = NULL;
    sim_json_error e;
    int rc = sim_json_parse_ex(call->body, call->body_len, &j, &e);
    if (rc == -ENOMEM) {
        connect_answer_error(a, 500, "internal", "out of memory");
        return NULL;
    }
    if (rc < 0 && strcmp(e.rule, "duplicate_key") == 0) {
        field_errors fe;
        connect_fe_init(&fe);
        connect_fe_add(&fe, e.path, "duplicate_field", "%s is given twice in one object (%s)", e.path, e.why);
        connect_fe_answer(&fe, a, "request");
        connect_fe_free(&fe);
        return NULL;
    }
    if (rc < 0) {
        bad_json(a, e.rule, "the body is not valid JSON: %s", e.why);
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        bad_json(a, "type", "the body must be a JSON object");
        return NULL;
    }
    return j;
}

/* ---- answers about operations ---------------------------------------------------------- */

static const char *outcome_message(connect_op op, flow_error e)
{
    switch (e) {
    case FLOW_OK:
        return op == OP_CODE_ACQUISITION ? "the agency code is stored in code management (existing systems never see it)"
               : op == OP_REPLICA_REGISTRATION ? "registered in the provision database"
               : op == OP_REPLICA_UPDATE ? "the record was updated"
               : "provided";
    case FLOW_NO_CODE: return "符号が未取得: there is no agency code for this person at the inquirer or the provider";
    case FLOW_NOT_PERMITTED: return "the permission table does not allow this procedure, item and provider";
    case FLOW_UNREACHABLE: return "the provider or the intermediate server could not be reached, or refused the write";
    case FLOW_TIMEOUT: return "no answer within the timeout";
    case FLOW_INTEGRITY: return "the provision failed to decrypt or authenticate";
    case FLOW_NOT_FOUND:
        return op == OP_REPLICA_UPDATE ? "no record with that record id" : "the provider holds no replica of that item for this person";
    case FLOW_DUPLICATE: return op == OP_CODE_ACQUISITION ? "the addressee already has a code" : "the record id exists";
    case FLOW_NO_STAFF: return "the inquiry named no staff member";
    case FLOW_SERVER_ERROR: return "the intermediate server could not store it (disk full or I/O error)";
    case FLOW_UNKNOWN_ACQUISITION: return "the answer's acquisition number matched none the intermediate server issued: no code stored";
    default: return "";
    }
}

cJSON *connect_request_json(node_connect *c, const connect_req *q)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "request_id", q->id);
    cJSON_AddStringToObject(o, "operation", connect_op_name(q->op));
    cJSON_AddStringToObject(o, "status", q->done ? "done" : "pending");
    if (q->bulk >= 0) {
        cJSON_AddStringToObject(o, "bulk_id", c->bulks[q->bulk].id);
        cJSON_AddNumberToObject(o, "line", (double)((size_t)(q - c->reqs) - c->bulks[q->bulk].first + 1));
    }
    if (q->addressee) connect_add_addressee(o, "addressee_no", q->addressee);
    if (q->record_id[0]) cJSON_AddStringToObject(o, "record_id", q->record_id);
    if (q->procedure >= 0) cJSON_AddStringToObject(o, "procedure", c->d->procs[q->procedure].id);
    if (q->item >= 0) cJSON_AddStringToObject(o, "item", c->d->items[q->item].code);
    if (q->provider != UINT32_MAX) {
        body *p = domain_body(c->d, q->provider);
        cJSON_AddStringToObject(o, "provider", connect_body_label(p));
        cJSON_AddStringToObject(o, "provider_name", p ? p->name : "?");
    }
    if (q->staff[0]) cJSON_AddStringToObject(o, "staff", q->staff);
    connect_add_time(o, "accepted_at", q->accepted_at);
    if (!q->done) return o;
    connect_add_time(o, "completed_at", q->ended_at);
    cJSON_AddNumberToObject(o, "latency_ms", (double)(q->ended_at - q->accepted_at) / 1e3);
    cJSON_AddStringToObject(o, "outcome", domain_error_name(q->outcome));
    cJSON_AddStringToObject(o, "message", outcome_message(q->op, q->outcome));
    if (q->serial_no) cJSON_AddNumberToObject(o, "serial_no", (double)q->serial_no);
    if (q->payload) connect_add_payload(o, q->payload, strlen(q->payload));
    return o;
}

/* A fetch that saw the operation finished: how long the outside system waited, once. */
void connect_mark_seen(node_connect *c, connect_req *q)
{
    if (!q->done || q->seen) return;
    q->seen = true;
    connect_report_seen(&c->rep, q, (double)(connect_wall_ns(c) - q->accepted_wall_ns) / 1e6);
}

/* ---- routing --------------------------------------------------------------------------- */

static const struct route {
    const char *pattern;        /* after /connect/v1/; '*' is one path segment */
    unsigned method;
    connect_op op;
} ROUTES[] = {
    {"session", SIM_HTTP_GET, OP_SESSION},
    {"session/end", SIM_HTTP_POST, OP_SESSION_END},
    {"conformance", SIM_HTTP_GET, OP_CONFORMANCE},
    {"declaration", SIM_HTTP_POST, OP_DECLARATION},
    {"cases", SIM_HTTP_GET, OP_CASES},
    {"layouts", SIM_HTTP_GET, OP_LAYOUTS},
    {"preview", SIM_HTTP_GET, OP_PREVIEW},
    {"openapi.json", SIM_HTTP_GET, OP_OPENAPI},
    {"code-lists", SIM_HTTP_GET, OP_CODE_LISTS},
    {"fixtures", SIM_HTTP_GET, OP_FIXTURES},
    {"addressees", SIM_HTTP_POST, OP_ADDRESSEE_NEW},
    {"addressees/*", SIM_HTTP_GET, OP_ADDRESSEE_READ},
    {"codes", SIM_HTTP_POST, OP_CODE_ACQUISITION},
    {"replicas", SIM_HTTP_POST, OP_REPLICA_REGISTRATION},
    {"replicas/partial", SIM_HTTP_POST, OP_REPLICA_UPDATE},
    {"replicas/*", SIM_HTTP_GET, OP_REPLICA_READ},
    {"inquiries", SIM_HTTP_POST, OP_INQUIRY},
    {"inquiries/*", SIM_HTTP_GET, OP_RESULT_FETCH},
    {"requests/*", SIM_HTTP_GET, OP_REQUEST_STATUS},
    {"provisions", SIM_HTTP_GET, OP_PROVISION_FETCH},
    {"bulk/inquiries", SIM_HTTP_POST, OP_BULK_INQUIRY},
    {"bulk/replicas", SIM_HTTP_POST, OP_BULK_REPLICA},
    {"bulk/*", SIM_HTTP_GET, OP_BULK_RESULT},
};

static bool pattern_match(const char *pattern, const char *rest, const char **arg)
{
    const char *star = strchr(pattern, '*');
    if (!star) return strcmp(pattern, rest) == 0;
    size_t pre = (size_t)(star - pattern);
    if (strncmp(pattern, rest, pre) != 0) return false;
    const char *a = rest + pre;
    if (!*a || strchr(a, '/')) return false;
    *arg = a;
    return true;
}

/* The operation of method and path; OP_UNKNOWN with *allowed the methods the path takes
 * (0: no such path). */
static connect_op route(unsigned method, const char *path, const char **arg, unsigned *allowed)
{
    static const char base[] = "/connect/v1/";
    *arg = NULL;
    *allowed = 0;
    if (strncmp(path, base, sizeof base - 1) != 0) return OP_UNKNOWN;
    const char *rest = path + sizeof base - 1;
    /* a path of its own (bulk/inquiries, replicas/partial) is never an id of a '*' one */
    bool literal = false;
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0] && !literal; i++)
        literal = !strchr(ROUTES[i].pattern, '*') && strcmp(ROUTES[i].pattern, rest) == 0;
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        const char *a = NULL;
        if (literal && strchr(ROUTES[i].pattern, '*')) continue;
        if (!pattern_match(ROUTES[i].pattern, rest, &a)) continue;
        if (ROUTES[i].method == method) {
            *arg = a;
            return ROUTES[i].op;
        }
        *allowed |= ROUTES[i].method;
    }
    return OP_UNKNOWN;
}

connect_op connect_route_op(unsigned method, const char *path)
{
    const char *arg;
    unsigned allowed;
    return route(method, path, &arg, &allowed);
}

const char *connect_method_name(unsigned m)
{
    return m == SIM_HTTP_GET ? "GET" : m == SIM_HTTP_POST ? "POST" : m == SIM_HTTP_DELETE ? "DELETE"
         : m == SIM_HTTP_PUT ? "PUT" : m == SIM_HTTP_PATCH ? "PATCH" : m == SIM_HTTP_HEAD ? "HEAD"
         : m == SIM_HTTP_OPTIONS ? "OPTIONS" : "OTHER";
}

unsigned connect_method_of(const char *name)
{
    static const unsigned bits[] = {SIM_HTTP_GET, SIM_HTTP_POST, SIM_HTTP_DELETE, SIM_HTTP_PUT, SIM_HTTP_PATCH,
                                    SIM_HTTP_HEAD, SIM_HTTP_OPTIONS};
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (strcmp(name, connect_method_name(bits[i])) == 0) return bits[i];
    return SIM_HTTP_OTHER;
}

/* The query parameters an operation takes: every other one, and one given twice, is refused
 * (422: unknown_field, duplicate_field, the parameter's name as the field) before anything is
 * read. False with the answer made. */
static bool query_allowed(connect_op op, const connect_call *call, connect_answer *a)
{
    static const char *const provisions[] = {"from", "limit", NULL};
    static const char *const preview[] = {"addressee_no", "item", NULL};
    static const char *const none[] = {NULL};
    const char *const *takes = op == OP_PROVISION_FETCH ? provisions : op == OP_PREVIEW ? preview : none;
    if (!call->query || !call->query->child) return true;
    char list[64] = "";
    size_t n = 0;
    for (size_t i = 0; takes[i]; i++) n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", takes[i]);
    field_errors fe;
    connect_fe_init(&fe);
    for (const cJSON *p = call->query->child; p; p = p->next) {
        bool known = false;
        for (size_t i = 0; takes[i] && !known; i++) known = strcmp(takes[i], p->string) == 0;
        if (!known)
            connect_fe_add(&fe, p->string, "unknown_field", "query parameter '%.60s' is not one of %s %.60s (it takes %s)", p->string,
                           connect_method_name(call->method), call->path, n ? list : "none");
        else if (cJSON_IsArray(p))
            connect_fe_add(&fe, p->string, "duplicate_field", "query parameter '%s' is given %d times (once at most)", p->string,
                           cJSON_GetArraySize(p));
    }
    if (!fe.n) {
        connect_fe_free(&fe);
        return true;
    }
    connect_fe_answer(&fe, a, "query");
    connect_fe_free(&fe);
    return false;
}

/* Tool operations answer whatever the tenant's state; the tenant's own need it reachable. */
static bool needs_tenant(connect_op op)
{
    return op != OP_SESSION && op != OP_SESSION_END && op != OP_CONFORMANCE && op != OP_CODE_LISTS &&
           op != OP_FIXTURES && op != OP_DECLARATION && op != OP_CASES && op != OP_LAYOUTS && op != OP_OPENAPI;
}

static void dispatch(node_connect *c, connect_call *call, connect_answer *a, const char **argp)
{
    const char *arg;
    unsigned allowed;
    connect_op op = route(call->method, call->path, &arg, &allowed);
    *argp = arg;
    a->op = op;
    a->compare = op != OP_CONFORMANCE && op != OP_CASES;   /* wall-clock latencies, and times of 429s */
    char why[160];
    if (op == OP_UNKNOWN) {
        if (allowed) {
            size_t n = 0;
            a->allow[0] = '\0';
            static const unsigned order[] = {SIM_HTTP_GET, SIM_HTTP_POST, SIM_HTTP_DELETE};
            for (size_t i = 0; i < 3; i++)
                if (allowed & order[i])
                    n += (size_t)snprintf(a->allow + n, sizeof a->allow - n, "%s%s", n ? ", " : "", connect_method_name(order[i]));
            connect_answer_error(a, 405, "method_not_allowed", "%s is not allowed on %.100s (allowed: %s)",
                                 connect_method_name(call->method), call->path, a->allow);
        } else
            connect_answer_error(a, 404, "not_found", "no such operation: %.100s (the reference: docs/connect-api.md)", call->path);
        return;
    }
    if (!query_allowed(op, call, a)) return;
    if (needs_tenant(op) && !connect_tenant_available(c, why, sizeof why)) {
        connect_answer_error(a, 503, "tenant_unavailable", "the intermediate server cannot be reached: %s", why);
        return;
    }
    switch (op) {
    case OP_CODE_ACQUISITION: connect_op_code(c, call, a); break;
    case OP_REPLICA_REGISTRATION: connect_op_register(c, call, a); break;
    case OP_REPLICA_UPDATE: connect_op_update(c, call, a); break;
    case OP_INQUIRY: connect_op_inquire(c, call, a); break;
    case OP_RESULT_FETCH: connect_op_request(c, arg, true, a); break;
    case OP_REQUEST_STATUS: connect_op_request(c, arg, false, a); break;
    case OP_PROVISION_FETCH: connect_op_provisions(c, call, a); break;
    case OP_BULK_INQUIRY: connect_op_bulk(c, call, a, true); break;
    case OP_BULK_REPLICA: connect_op_bulk(c, call, a, false); break;
    case OP_BULK_RESULT: connect_op_bulk_result(c, arg, a); break;
    case OP_REPLICA_READ: connect_op_replica_read(c, arg, a); break;
    case OP_ADDRESSEE_NEW: connect_op_addressee_new(c, call, a); break;
    case OP_ADDRESSEE_READ: connect_op_addressee_read(c, arg, a); break;
    case OP_CODE_LISTS: connect_op_code_lists(c, a); break;
    case OP_FIXTURES: connect_op_fixtures(c, a); break;
    case OP_SESSION: connect_op_session(c, a); break;
    case OP_SESSION_END: connect_op_session_end(c, call, a); break;
    case OP_CONFORMANCE: connect_answer_json(a, 200, connect_report_json(c)); break;
    case OP_DECLARATION: connect_op_declare(c, call, a); break;
    case OP_CASES: connect_answer_json(a, 200, connect_cases_json(c, true)); break;
    case OP_LAYOUTS: connect_answer_json(a, 200, connect_layouts_json()); break;
    case OP_PREVIEW: connect_op_preview(c, call, a); break;
    case OP_OPENAPI: connect_answer_json(a, 200, cJSON_ParseWithLength((const char *)connect_openapi_json, connect_openapi_json_len)); break;
    default: connect_answer_error(a, 404, "not_found", "no such operation"); break;
    }
    if (!a->json && !a->text) connect_answer_error(a, 500, "internal", "out of memory");
}

void connect_api_handle(node_connect *c, connect_call *call, connect_answer *a)
{
    const char *arg = NULL;
    dispatch(c, call, a, &arg);
    connect_cases_observe(c, call, arg, a);   /* the test cases see every answer */
}
