/* node_connect_api.c - the external interface of the intermediate server for the tenant under
 * test (docs/connect-api.md): routing, the checks of each operation, the injection of what is
 * accepted into the simulation, and the reads. Independent of HTTP: node_connect_http.c
 * carries requests here from the listener, node_connect_replay.c from a session log.
 *
 * A request is checked whole against the tenant's state at the moment it enters (duplicate
 * record ids, codes held, operations in flight) and is either refused with every problem
 * listed, changing nothing, or accepted: an operation id is assigned, a "connect" record goes
 * to the trace, and the flow starts from the local government's node as if its existing
 * systems had sent it. An LG body's flows always leave through a link, so none ends before
 * its id is tracked here. */
#include "node_connect_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[OP_COUNT] = {
    "code_acquisition", "replica_registration", "replica_update", "inquiry", "result_fetch",
    "provision_fetch", "bulk_inquiry", "bulk_replica", "bulk_result", "request_status",
    "replica_read", "addressee_new", "addressee_read", "code_lists", "fixtures", "session",
    "session_end", "conformance", "unknown"};

const char *connect_op_name(connect_op op) { return op < OP_COUNT ? op_names[op] : "unknown"; }

static const char DIGITS[] = "0123456789";
static const char ID_CHARS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
static const char ID_CHARS_TEXT[] = "letters, digits, '.', '_' and '-'";

/* ---- answers --------------------------------------------------------------------------- */

void connect_answer_error(connect_answer *a, int status, const char *code, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cJSON_Delete(a->json);
    a->status = status;
    a->json = cJSON_CreateObject();
    cJSON_AddNumberToObject(a->json, "status", status);
    cJSON_AddStringToObject(a->json, "code", code);
    cJSON_AddStringToObject(a->json, "error", msg);
}

static void answer(connect_answer *a, int status, cJSON *o)
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

static void add_time(cJSON *o, const char *key, sim_time_t t)
{
    char buf[SIM_TIME_BUFSZ];
    sim_time_format_iso(t, buf, sizeof buf);
    cJSON_AddStringToObject(o, key, buf);
}

static void add_addressee(cJSON *o, const char *key, uint64_t a)
{
    char buf[ADDRESSEE_DIGITS + 1];
    format_addressee(a, buf);
    cJSON_AddStringToObject(o, key, buf);
}

/* The payload as JSON when it is (replicas always are), else as text. */
static void add_payload(cJSON *o, const char *text, size_t len)
{
    cJSON *p = cJSON_ParseWithLength(text, len);
    if (p) cJSON_AddItemToObject(o, "payload", p);
    else cJSON_AddItemToObject(o, "payload", cJSON_CreateString(text));
}

/* A trace record for what entered the simulation from outside. */
static void note(node_connect *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(node_connect *c, const char *fmt, ...)
{
    char text[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sim_world_note(c->w, "connect", c->lg_code, text);
}

/* ---- the tenant's state ---------------------------------------------------------------- */

static bool has_code(node_connect *c, uint64_t addressee)
{
    uint64_t code;
    tenant_db *t = connect_tenant_db(c);
    return t && sim_map_get(&t->code_by_addressee, ((uint64_t)c->b->tenant + 1) << 32 | addressee, &code);
}

static const connect_req *pending(node_connect *c, connect_op op, uint64_t addressee, const char *record_id)
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
static sqlite3_stmt *stored_record(node_connect *c, const char *record_id)
{
    tenant_db *t = connect_tenant_db(c);
    sqlite3_stmt *st = t ? sim_store_stmt(t->store, ST_CONNECT_REPLICA,
        "SELECT addressee_no, item, schema, pub_start, pub_end, payload FROM replica"
        " WHERE tenant = ?1 AND record_id = ?2") : NULL;
    if (!st) return NULL;
    sqlite3_bind_int64(st, 1, c->b->tenant);
    sqlite3_bind_text(st, 2, record_id, -1, SQLITE_TRANSIENT);
    if (sim_store_read(t->store, st) == 1) return st;
    return NULL;
}

static const char *body_label(const body *b) { return b ? b->code : "?"; }

/* ---- requests' bodies ------------------------------------------------------------------ */

/* The body as a JSON object, or NULL with a 400 answered. An empty body is {} when allowed. */
static cJSON *body_object(const connect_call *call, connect_answer *a, bool empty_ok)
{
    if (call->body_len == 0 && empty_ok) return cJSON_CreateObject();
    if (call->body_len == 0) {
        connect_answer_error(a, 400, "bad_json", "the body must be a JSON object (it is empty)");
        return NULL;
    }
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(call->body, call->body_len, &end, false);
    if (!j) {
        size_t at = end && end >= call->body ? (size_t)(end - call->body) : 0;
        connect_answer_error(a, 400, "bad_json", "the body is not valid JSON (at byte %zu)", at);
        return NULL;
    }
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        connect_answer_error(a, 400, "bad_json", "the body must be a JSON object");
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
    default: return "";
    }
}

static cJSON *request_json(node_connect *c, const connect_req *q)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "request_id", q->id);
    cJSON_AddStringToObject(o, "operation", connect_op_name(q->op));
    cJSON_AddStringToObject(o, "status", q->done ? "done" : "pending");
    if (q->bulk >= 0) {
        cJSON_AddStringToObject(o, "bulk_id", c->bulks[q->bulk].id);
        cJSON_AddNumberToObject(o, "line", (double)((size_t)(q - c->reqs) - c->bulks[q->bulk].first + 1));
    }
    if (q->addressee) add_addressee(o, "addressee_no", q->addressee);
    if (q->record_id[0]) cJSON_AddStringToObject(o, "record_id", q->record_id);
    if (q->procedure >= 0) cJSON_AddStringToObject(o, "procedure", c->d->procs[q->procedure].id);
    if (q->item >= 0) cJSON_AddStringToObject(o, "item", c->d->items[q->item].code);
    if (q->provider != UINT32_MAX) {
        body *p = domain_body(c->d, q->provider);
        cJSON_AddStringToObject(o, "provider", body_label(p));
        cJSON_AddStringToObject(o, "provider_name", p ? p->name : "?");
    }
    if (q->staff[0]) cJSON_AddStringToObject(o, "staff", q->staff);
    add_time(o, "accepted_at", q->accepted_at);
    if (!q->done) return o;
    add_time(o, "completed_at", q->ended_at);
    cJSON_AddNumberToObject(o, "latency_ms", (double)(q->ended_at - q->accepted_at) / 1e3);
    cJSON_AddStringToObject(o, "outcome", flow_error_name(q->outcome));
    cJSON_AddStringToObject(o, "message", outcome_message(q->op, q->outcome));
    if (q->serial_no) cJSON_AddNumberToObject(o, "serial_no", (double)q->serial_no);
    if (q->payload) add_payload(o, q->payload, strlen(q->payload));
    return o;
}

/* A fetch that saw the operation finished: how long the outside system waited, once. */
static void mark_seen(node_connect *c, connect_req *q)
{
    if (!q->done || q->seen) return;
    q->seen = true;
    report_seen(&c->rep, q, (double)(connect_wall_ns(c) - q->accepted_wall_ns) / 1e6);
}

/* ---- checks of whole requests ---------------------------------------------------------- */

typedef struct reg_fields {
    const char *record_id, *staff;
    uint64_t addressee;
    int item;
    sim_time_t pub_start, pub_end;
    char *payload;
} reg_fields;

typedef struct inq_fields {
    uint64_t addressee;
    int procedure, item;
    uint32_t provider;
    const char *staff;
} inq_fields;

static void check_schema(field_errors *fe, const cJSON *j)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "schema_version");
    if (!v || cJSON_IsNull(v))
        fe_add(fe, "schema_version", "required", "schema_version (the layout version of the payload) is required");
    else if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)
        fe_add(fe, "schema_version", "type", "schema_version must be a whole number");
    else if (v->valueint != 1)
        fe_add(fe, "schema_version", "code_list", "schema_version %d is not a published layout version (published: 1)",
               v->valueint);
}

static void check_registration(node_connect *c, field_errors *fe, const cJSON *j, reg_fields *r)
{
    static const char *const known[] = {"record_id", "addressee_no", "item", "schema_version", "pub_start",
                                        "pub_end", "payload", "staff", NULL};
    *r = (reg_fields){.item = -1, .pub_end = INT64_MAX};
    check_fields(fe, j, known, NULL);
    r->record_id = check_string(fe, j, "record_id", true, RECORD_ID_MAX, ID_CHARS, ID_CHARS_TEXT);
    if (r->record_id) {
        const connect_req *p = pending(c, OP_REPLICA_REGISTRATION, 0, r->record_id);
        sqlite3_stmt *st = p ? NULL : stored_record(c, r->record_id);
        if (st) sqlite3_reset(st);
        if (p)
            fe_add(fe, "record_id", "duplicate", "record %s is being registered (request %s)", r->record_id, p->id);
        else if (st)
            fe_add(fe, "record_id", "duplicate", "record %s is already registered (to change it: POST /connect/v1/replicas/partial)",
                   r->record_id);
    }
    if (check_addressee(c, fe, j, &r->addressee) && !has_code(c, r->addressee)) {
        char a[ADDRESSEE_DIGITS + 1];
        format_addressee(r->addressee, a);
        fe_add(fe, "addressee_no", "no_code", "%s has no agency code yet (符号が未取得): acquire it first (POST /connect/v1/codes)", a);
    }
    r->item = check_item(c, fe, j, true);
    check_schema(fe, j);
    sim_time_t end = 0;
    bool have_start, have_end;
    bool start_ok = check_date(fe, j, "pub_start", true, &r->pub_start, &have_start) && have_start;
    bool end_ok = check_date(fe, j, "pub_end", false, &end, &have_end) && have_end;
    if (end_ok) r->pub_end = end + SIM_DAY;   /* the last day published, inclusive */
    if (start_ok && end_ok && end < r->pub_start)
        fe_add(fe, "pub_end", "date_order", "pub_end must not be before pub_start");
    r->payload = check_payload(fe, j, false);
    check_staff(fe, j, false, &r->staff);
}

/* The official check digit of a local-government code (the sixth digit). */
static int lg_check_digit(const char *code)
{
    int sum = 0;
    for (int i = 0; i < 5; i++) sum += (code[i] - '0') * (6 - i);
    return (11 - sum % 11) % 10;
}

static body *check_provider(node_connect *c, field_errors *fe, const cJSON *j, int procedure)
{
    const char *s = check_string(fe, j, "provider", true, 23, NULL, NULL);
    if (!s) return NULL;
    bool lg_code = strlen(s) == 6 && strspn(s, DIGITS) == 6;
    if (lg_code && lg_check_digit(s) != s[5] - '0') {
        fe_add(fe, "provider", "check_digit", "%s has a wrong check digit (a local-government code %.5s ends in %d)", s, s,
               lg_check_digit(s));
        return NULL;
    }
    sim_node *n = sim_world_find_node(c->w, s);
    body *p = n ? domain_body(c->d, n->id) : NULL;
    if (!p || (lg_code && p->kind != BODY_LG) || (!lg_code && p->kind != BODY_AGENCY)) {
        if (lg_code) fe_add(fe, "provider", "unknown", "no local government %s in this network", s);
        else fe_add(fe, "provider", "unknown", "no agency called '%.30s' in this network (local governments are named by their 6-digit code)", s);
        return NULL;
    }
    if (p == c->b) {
        fe_add(fe, "provider", "self", "a local government does not inquire of itself");
        return NULL;
    }
    if (procedure < 0) return p;
    const permission *perm = &c->d->procs[procedure];
    if (perm->provider_agency < 0 && p->kind != BODY_LG) {
        fe_add(fe, "provider", "not_permitted", "procedure %s asks local governments, not %s", perm->id, s);
        return NULL;
    }
    if (perm->provider_agency >= 0 && (p->kind != BODY_AGENCY || p->agency_index != perm->provider_agency)) {
        fe_add(fe, "provider", "not_permitted", "procedure %s asks %s, not %s", perm->id,
               c->d->agencies[perm->provider_agency], s);
        return NULL;
    }
    return p;
}

static void check_inquiry(node_connect *c, field_errors *fe, const cJSON *j, inq_fields *q)
{
    static const char *const known[] = {"addressee_no", "procedure", "item", "provider", "staff", NULL};
    *q = (inq_fields){.procedure = -1, .item = -1, .provider = UINT32_MAX};
    check_fields(fe, j, known, NULL);
    if (check_addressee(c, fe, j, &q->addressee) && !has_code(c, q->addressee)) {
        char a[ADDRESSEE_DIGITS + 1];
        format_addressee(q->addressee, a);
        fe_add(fe, "addressee_no", "no_code", "%s has no agency code yet (符号が未取得): acquire it first (POST /connect/v1/codes)", a);
    }
    const char *proc = check_string(fe, j, "procedure", true, 47, "abcdefghijklmnopqrstuvwxyz0123456789_",
                                    "lower-case letters, digits and '_'");
    if (proc) {
        int p = domain_procedure(c->d, proc);
        if (p < 0)
            fe_add(fe, "procedure", "code_list", "%s is not a procedure of the permission table (the list: GET /connect/v1/code-lists)", proc);
        else if (c->d->procs[p].inquirer_agency >= 0)
            fe_add(fe, "procedure", "not_permitted", "procedure %s is asked by %s, not by local governments", proc,
                   c->d->agencies[c->d->procs[p].inquirer_agency]);
        else
            q->procedure = p;
    }
    q->item = check_item(c, fe, j, false);
    if (q->procedure >= 0 && q->item >= 0 && c->d->procs[q->procedure].item != q->item)
        fe_add(fe, "item", "not_permitted", "procedure %s may ask for %s only, not %s", c->d->procs[q->procedure].id,
               c->d->items[c->d->procs[q->procedure].item].code, c->d->items[q->item].code);
    body *p = check_provider(c, fe, j, q->procedure);
    if (p) q->provider = p->node;
    check_staff(fe, j, true, &q->staff);
}

/* ---- starting operations (after every check passed) ------------------------------------ */

static connect_req *start_registration(node_connect *c, const reg_fields *r)
{
    connect_req *q = connect_new_req(c, OP_REPLICA_REGISTRATION, r->staff);
    if (!q) return NULL;
    q->addressee = r->addressee;
    q->item = r->item;
    q->pub_start = r->pub_start;
    snprintf(q->record_id, sizeof q->record_id, "%s", r->record_id);
    connect_staff_number(c, r->staff);
    note(c, "%s replica registration accepted: record %s, addressee %llu, %s", q->id, q->record_id,
         (unsigned long long)q->addressee, c->d->items[q->item].code);
    connect_track_flow(c, q, body_register_replica(c->n, r->addressee, r->item, r->record_id, r->pub_start,
                                                   r->pub_end, r->payload));
    return q;
}

static connect_req *start_inquiry(node_connect *c, const inq_fields *f)
{
    connect_req *q = connect_new_req(c, OP_INQUIRY, f->staff);
    if (!q) return NULL;
    q->addressee = f->addressee;
    q->procedure = f->procedure;
    q->item = f->item;
    q->provider = f->provider;
    uint32_t staff = connect_staff_number(c, f->staff);
    note(c, "%s inquiry accepted: addressee %llu, %s, provider %s, staff %u", q->id, (unsigned long long)q->addressee,
         c->d->procs[q->procedure].id, body_label(domain_body(c->d, q->provider)), staff);
    connect_track_flow(c, q, body_inquire(c->n, f->addressee, f->procedure, f->provider, staff));
    return q;
}

/* ---- the operations -------------------------------------------------------------------- */

static void op_code(node_connect *c, const connect_call *call, connect_answer *a)
{
    cJSON *j = body_object(call, a, false);
    if (!j) return;
    static const char *const known[] = {"addressee_no", "staff", NULL};
    field_errors fe;
    fe_init(&fe);
    check_fields(&fe, j, known, NULL);
    uint64_t addressee = 0;
    const char *staff;
    if (check_addressee(c, &fe, j, &addressee)) {
        const connect_req *p = pending(c, OP_CODE_ACQUISITION, addressee, NULL);
        if (has_code(c, addressee))
            fe_add(&fe, "addressee_no", "already_acquired", "this addressee already has an agency code: it is never acquired twice");
        else if (p)
            fe_add(&fe, "addressee_no", "in_progress", "the code of this addressee is being acquired (request %s)", p->id);
    }
    check_staff(&fe, j, false, &staff);
    if (fe.n) {
        fe_answer(&fe, a, "code acquisition");
    } else {
        connect_req *q = connect_new_req(c, OP_CODE_ACQUISITION, staff);
        if (!q) {
            connect_answer_error(a, 500, "internal", "out of memory");
        } else {
            q->addressee = addressee;
            connect_staff_number(c, staff);
            note(c, "%s code acquisition accepted: addressee %llu", q->id, (unsigned long long)addressee);
            connect_track_flow(c, q, body_acquire_code(c->n, addressee));
            report_accepted(&c->rep, OP_CODE_ACQUISITION, 1);
            answer(a, 202, request_json(c, q));
        }
    }
    fe_free(&fe);
    cJSON_Delete(j);
}

static void op_register(node_connect *c, const connect_call *call, connect_answer *a)
{
    cJSON *j = body_object(call, a, false);
    if (!j) return;
    field_errors fe;
    fe_init(&fe);
    reg_fields r;
    check_registration(c, &fe, j, &r);
    if (fe.n) {
        fe_answer(&fe, a, "replica registration");
    } else {
        connect_req *q = start_registration(c, &r);
        if (!q) {
            connect_answer_error(a, 500, "internal", "out of memory");
        } else {
            report_accepted(&c->rep, OP_REPLICA_REGISTRATION, 1);
            answer(a, 202, request_json(c, q));
        }
    }
    cJSON_free(r.payload);
    fe_free(&fe);
    cJSON_Delete(j);
}

static void op_update(node_connect *c, const connect_call *call, connect_answer *a)
{
    cJSON *j = body_object(call, a, false);
    if (!j) return;
    static const char *const known[] = {"record_id", "payload", "pub_end", "staff", NULL};
    static const char *const fixed[] = {"addressee_no", "item", "schema_version", "pub_start", NULL};
    field_errors fe;
    fe_init(&fe);
    check_fields(&fe, j, known, fixed);
    const char *record = check_string(&fe, j, "record_id", true, RECORD_ID_MAX, ID_CHARS, ID_CHARS_TEXT);
    bool known_record = false;
    sim_time_t pub_start = 0;
    if (record) {
        const connect_req *p = pending(c, OP_REPLICA_REGISTRATION, 0, record);
        sqlite3_stmt *st = p ? NULL : stored_record(c, record);
        known_record = p || st;
        if (p) pub_start = p->pub_start;
        if (st) {
            pub_start = sqlite3_column_int64(st, 3);
            sqlite3_reset(st);
        }
        if (!known_record)
            fe_add(&fe, "record_id", "unknown", "no record %s in this tenant's provision database", record);
    }
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(j, "payload");
    bool payload_given = given && !cJSON_IsNull(given);
    char *payload = check_payload(&fe, j, true);
    sim_time_t end = 0;
    bool have_end;
    bool end_ok = check_date(&fe, j, "pub_end", false, &end, &have_end) && have_end;
    if (end_ok && known_record && end < pub_start)
        fe_add(&fe, "pub_end", "date_order", "pub_end must not be before the record's pub_start");
    if (!payload_given && !have_end)
        fe_add(&fe, "payload", "empty", "a partial update changes at least one thing: payload fields or pub_end");
    const char *staff;
    check_staff(&fe, j, false, &staff);
    if (fe.n) {
        fe_answer(&fe, a, "partial update");
    } else {
        connect_req *q = connect_new_req(c, OP_REPLICA_UPDATE, staff);
        if (!q) {
            connect_answer_error(a, 500, "internal", "out of memory");
        } else {
            snprintf(q->record_id, sizeof q->record_id, "%s", record);
            connect_staff_number(c, staff);
            note(c, "%s partial update accepted: record %s", q->id, record);
            connect_track_flow(c, q, body_update_replica(c->n, record, payload ? payload : "{}", end_ok ? end + SIM_DAY : 0));
            report_accepted(&c->rep, OP_REPLICA_UPDATE, 1);
            answer(a, 202, request_json(c, q));
        }
    }
    cJSON_free(payload);
    fe_free(&fe);
    cJSON_Delete(j);
}

static void op_inquire(node_connect *c, const connect_call *call, connect_answer *a)
{
    cJSON *j = body_object(call, a, false);
    if (!j) return;
    field_errors fe;
    fe_init(&fe);
    inq_fields f;
    check_inquiry(c, &fe, j, &f);
    if (fe.n) {
        fe_answer(&fe, a, "inquiry");
    } else {
        connect_req *q = start_inquiry(c, &f);
        if (!q) {
            connect_answer_error(a, 500, "internal", "out of memory");
        } else {
            report_accepted(&c->rep, OP_INQUIRY, 1);
            answer(a, 202, request_json(c, q));
        }
    }
    fe_free(&fe);
    cJSON_Delete(j);
}

static void op_request(node_connect *c, const char *id, bool inquiries_only, connect_answer *a)
{
    connect_req *q = connect_find_req(c, id);
    if (!q || (inquiries_only && q->op != OP_INQUIRY)) {
        connect_answer_error(a, 404, "not_found", "no %s %.20s", inquiries_only ? "inquiry" : "request", id);
        return;
    }
    if (q->done) c->rep.ops[a->op].done_fetches++;
    mark_seen(c, q);
    answer(a, 200, request_json(c, q));
}

/* Query parameter `name` as a whole number within [lo, hi]; *out keeps its default if absent. */
static void param_number(const connect_call *call, field_errors *fe, const char *name, uint64_t lo, uint64_t hi,
                         uint64_t *out)
{
    char buf[32];
    int rc = call->param ? call->param(call->param_ctx, name, buf, sizeof buf) : -ENOENT;
    if (rc == -ENOENT) return;
    if (call->params_used) {
        if (rc == 0) cJSON_AddStringToObject(call->params_used, name, buf);
        else cJSON_AddNullToObject(call->params_used, name);
    }
    size_t len = rc == 0 ? strlen(buf) : 0;
    if (rc < 0 || len == 0 || len > 12 || strspn(buf, DIGITS) != len) {
        fe_add(fe, name, "type", "%s must be a whole number", name);
        return;
    }
    uint64_t v = strtoull(buf, NULL, 10);
    if (v < lo || v > hi) {
        fe_add(fe, name, "range", "%s must be from %llu to %llu", name, (unsigned long long)lo, (unsigned long long)hi);
        return;
    }
    *out = v;
}

static void op_provisions(node_connect *c, const connect_call *call, connect_answer *a)
{
    uint64_t from = 0, limit = 100;
    field_errors fe;
    fe_init(&fe);
    param_number(call, &fe, "from", 0, UINT32_MAX, &from);
    param_number(call, &fe, "limit", 1, PAGE_MAX, &limit);
    if (fe.n) {
        fe_answer(&fe, a, "provision records");
        fe_free(&fe);
        return;
    }
    fe_free(&fe);
    tenant_db *t = connect_tenant_db(c);
    sqlite3_stmt *st = t ? sim_store_stmt(t->store, ST_CONNECT_PROVISIONS,
        "SELECT serial_no, t, inquirer, item, outcome FROM provision_log WHERE tenant = ?1"
        " ORDER BY t, serial_no LIMIT ?2 OFFSET ?3") : NULL;
    if (!st) {
        connect_answer_error(a, 500, "internal", "the provision log cannot be read");
        return;
    }
    sqlite3_bind_int64(st, 1, c->b->tenant);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit + 1);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)from);
    cJSON *o = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(o, "provisions");
    uint64_t n = 0;
    bool more = false;
    while (sim_store_read(t->store, st) == 1) {
        if (n == limit) {
            more = true;
            sqlite3_reset(st);
            break;
        }
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "serial_no", (double)sqlite3_column_int64(st, 0));
        add_time(p, "provided_at", sqlite3_column_int64(st, 1));
        body *inq = domain_body(c->d, (uint32_t)sqlite3_column_int64(st, 2));
        cJSON_AddStringToObject(p, "inquirer", body_label(inq));
        cJSON_AddStringToObject(p, "inquirer_name", inq ? inq->name : "?");
        int item = sqlite3_column_int(st, 3);
        cJSON_AddStringToObject(p, "item", item >= 0 && item < c->d->nitems ? c->d->items[item].code : "?");
        cJSON_AddStringToObject(p, "outcome", (const char *)sqlite3_column_text(st, 4));
        cJSON_AddItemToArray(list, p);
        n++;
    }
    cJSON_AddNumberToObject(o, "from", (double)from);
    cJSON_AddNumberToObject(o, "next", (double)(from + n));
    cJSON_AddBoolToObject(o, "more", more);
    answer(a, 200, o);
}

/* The lines of a bulk file, at most max (beyond: *too_many). A last newline ends the last
 * line rather than starting an empty one. */
typedef struct line_span {
    const char *p;
    size_t len;
} line_span;

static size_t split_lines(const char *text, size_t len, line_span *out, size_t max, bool *too_many)
{
    size_t n = 0;
    *too_many = false;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t l = nl ? (size_t)(nl - (text + i)) : len - i;
        if (n == max) {
            *too_many = true;
            return n;
        }
        size_t trimmed = l && text[i + l - 1] == '\r' ? l - 1 : l;
        out[n++] = (line_span){text + i, trimmed};
        i += l + 1;
    }
    return n;
}

static void op_bulk(node_connect *c, const connect_call *call, connect_answer *a, bool inquiries)
{
    field_errors fe;
    fe_init(&fe);
    line_span *lines = calloc(BULK_MAX_LINES, sizeof *lines);
    cJSON **objs = calloc(BULK_MAX_LINES, sizeof *objs);
    reg_fields *regs = inquiries ? NULL : calloc(BULK_MAX_LINES, sizeof *regs);
    inq_fields *inqs = inquiries ? calloc(BULK_MAX_LINES, sizeof *inqs) : NULL;
    bool ready = lines && objs && (regs || inqs), too_many = false;
    size_t n = ready ? split_lines(call->body, call->body_len, lines, BULK_MAX_LINES, &too_many) : 0;
    if (!ready) {
        connect_answer_error(a, 500, "internal", "out of memory");
        goto out;
    }
    if (too_many)
        fe_add(&fe, "body", "too_many_lines", "a bulk file has at most %d lines", BULK_MAX_LINES);
    else if (n == 0)
        fe_add(&fe, "body", "empty", "the bulk file has no lines (one JSON object a line)");
    for (size_t i = 0; i < n && !too_many; i++) {
        fe.line = (int)i + 1;
        if (lines[i].len == 0) {
            fe_add(&fe, "line", "empty", "line %zu is empty", i + 1);
            continue;
        }
        const char *end = NULL;
        objs[i] = cJSON_ParseWithLengthOpts(lines[i].p, lines[i].len, &end, false);
        if (!objs[i]) {
            fe_add(&fe, "line", "json", "line %zu is not valid JSON (at byte %zu)", i + 1,
                   end && end >= lines[i].p ? (size_t)(end - lines[i].p) : 0);
            continue;
        }
        if (!cJSON_IsObject(objs[i])) {
            fe_add(&fe, "line", "type", "line %zu must be a JSON object", i + 1);
            continue;
        }
        if (inquiries) {
            check_inquiry(c, &fe, objs[i], &inqs[i]);
            continue;
        }
        check_registration(c, &fe, objs[i], &regs[i]);
        for (size_t k = 0; k < i && regs[i].record_id; k++) {
            if (regs[k].record_id && strcmp(regs[k].record_id, regs[i].record_id) == 0) {
                fe_add(&fe, "record_id", "duplicate", "record %s is also on line %zu of this file", regs[i].record_id, k + 1);
                break;
            }
        }
    }
    fe.line = 0;
    if (fe.n) {
        fe_answer(&fe, a, inquiries ? "inquiry file" : "replica file");
        goto out;
    }
    if (c->nbulks == c->cap_bulks) {
        size_t cap = c->cap_bulks ? c->cap_bulks * 2 : 8;
        connect_bulk *p = realloc(c->bulks, cap * sizeof *p);
        if (!p) {
            connect_answer_error(a, 500, "internal", "out of memory");
            goto out;
        }
        c->bulks = p;
        c->cap_bulks = cap;
    }
    connect_bulk *bk = &c->bulks[c->nbulks];
    *bk = (connect_bulk){.op = inquiries ? OP_BULK_INQUIRY : OP_BULK_REPLICA, .first = c->nreqs, .n = n};
    snprintf(bk->id, sizeof bk->id, "B%08zu", c->nbulks + 1);
    int index = (int)c->nbulks++;
    note(c, "%s %s file accepted: %zu lines", bk->id, inquiries ? "inquiry" : "replica", n);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "bulk_id", bk->id);
    cJSON_AddStringToObject(o, "operation", connect_op_name(bk->op));
    cJSON_AddStringToObject(o, "status", "pending");
    cJSON_AddNumberToObject(o, "lines", (double)n);
    add_time(o, "accepted_at", sim_world_now(c->w));
    cJSON *ids = cJSON_AddArrayToObject(o, "request_ids");
    for (size_t i = 0; i < n; i++) {
        connect_req *q = inquiries ? start_inquiry(c, &inqs[i]) : start_registration(c, &regs[i]);
        if (!q) break;
        q->bulk = index;
        cJSON_AddItemToArray(ids, cJSON_CreateString(q->id));
    }
    report_accepted(&c->rep, bk->op, n);
    answer(a, 202, o);
out:
    for (size_t i = 0; i < n; i++) {
        cJSON_Delete(objs[i]);
        if (regs) cJSON_free(regs[i].payload);
    }
    free(lines);
    free(objs);
    free(regs);
    free(inqs);
    fe_free(&fe);
}

static void op_bulk_result(node_connect *c, const char *id, connect_answer *a)
{
    size_t k = strlen(id) == 9 && id[0] == 'B' && strspn(id + 1, DIGITS) == 8 ? (size_t)strtoull(id + 1, NULL, 10) : 0;
    if (k == 0 || k > c->nbulks) {
        connect_answer_error(a, 404, "not_found", "no bulk file %.20s", id);
        return;
    }
    connect_bulk *bk = &c->bulks[k - 1];
    size_t done = 0;
    for (size_t i = 0; i < bk->n; i++) done += c->reqs[bk->first + i].done;
    if (done < bk->n) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "bulk_id", bk->id);
        cJSON_AddStringToObject(o, "status", "pending");
        cJSON_AddNumberToObject(o, "lines", (double)bk->n);
        cJSON_AddNumberToObject(o, "done", (double)done);
        answer(a, 202, o);
        return;
    }
    /* The result file: one JSON object a line, in the order of the file sent. */
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < bk->n; i++) {
        connect_req *q = &c->reqs[bk->first + i];
        mark_seen(c, q);
        cJSON *o = request_json(c, q);
        char *line = o ? cJSON_PrintUnformatted(o) : NULL;
        cJSON_Delete(o);
        size_t l = line ? strlen(line) : 0;
        if (len + l + 2 > cap) {
            cap = (len + l + 2) * 2;
            char *p = realloc(text, cap);
            if (!p) {
                cJSON_free(line);
                free(text);
                connect_answer_error(a, 500, "internal", "out of memory");
                return;
            }
            text = p;
        }
        if (line) memcpy(text + len, line, l);
        len += l;
        text[len++] = '\n';
        cJSON_free(line);
    }
    c->rep.ops[OP_BULK_RESULT].done_fetches++;
    report_bulk_fetched(&c->rep);
    cJSON_Delete(a->json);
    a->json = NULL;
    a->status = 200;
    a->text = text;
    a->text_len = len;
}

static void op_replica_read(node_connect *c, const char *id, connect_answer *a)
{
    if (strlen(id) > RECORD_ID_MAX || strspn(id, ID_CHARS) != strlen(id)) {
        connect_answer_error(a, 404, "not_found", "no record %.40s (record ids are 1 to %d %s)", id, RECORD_ID_MAX,
                             ID_CHARS_TEXT);
        return;
    }
    sqlite3_stmt *st = stored_record(c, id);
    if (!st) {
        const connect_req *p = pending(c, OP_REPLICA_REGISTRATION, 0, id);
        if (p) connect_answer_error(a, 404, "not_found", "record %s is not registered yet: request %s is in progress", id, p->id);
        else connect_answer_error(a, 404, "not_found", "no record %s in this tenant's provision database", id);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "record_id", id);
    add_addressee(o, "addressee_no", (uint64_t)sqlite3_column_int64(st, 0));
    cJSON_AddStringToObject(o, "item", (const char *)sqlite3_column_text(st, 1));
    cJSON_AddNumberToObject(o, "schema_version", sqlite3_column_int(st, 2));
    char day[16];
    format_date(sqlite3_column_int64(st, 3), day);
    cJSON_AddStringToObject(o, "pub_start", day);
    sim_time_t end = sqlite3_column_int64(st, 4);
    if (end == INT64_MAX) {
        cJSON_AddNullToObject(o, "pub_end");
    } else {
        format_date(end - SIM_DAY, day);
        cJSON_AddStringToObject(o, "pub_end", day);
    }
    add_payload(o, (const char *)sqlite3_column_text(st, 5), (size_t)sqlite3_column_bytes(st, 5));
    sqlite3_reset(st);
    answer(a, 200, o);
}

static void op_addressee_new(node_connect *c, const connect_call *call, connect_answer *a)
{
    cJSON *j = body_object(call, a, true);
    if (!j) return;
    static const char *const known[] = {"staff", NULL};
    field_errors fe;
    fe_init(&fe);
    const char *staff;
    check_fields(&fe, j, known, NULL);
    check_staff(&fe, j, false, &staff);
    if (fe.n) {
        fe_answer(&fe, a, "new addressee");
    } else {
        uint32_t addressee = body_new_resident(c->d, c->b);
        if (!addressee) {
            connect_answer_error(a, 500, "internal", "out of memory");
        } else {
            note(c, "new addressee %u (born, or moved in from abroad: no code yet)", addressee);
            cJSON *o = cJSON_CreateObject();
            add_addressee(o, "addressee_no", addressee);
            cJSON_AddBoolToObject(o, "current", true);
            cJSON_AddBoolToObject(o, "code_acquired", false);
            answer(a, 201, o);
        }
    }
    fe_free(&fe);
    cJSON_Delete(j);
}

static void op_addressee_read(node_connect *c, const char *arg, connect_answer *a)
{
    field_errors fe;
    fe_init(&fe);
    cJSON *probe = cJSON_CreateObject();
    cJSON_AddStringToObject(probe, "addressee_no", arg);
    uint64_t addressee = 0;
    bool ok = check_addressee(c, &fe, probe, &addressee);
    cJSON_Delete(probe);
    if (!ok) {
        const cJSON *e = cJSON_GetArrayItem(fe.list, 0);
        if (e && strcmp(cJSON_GetObjectItem(e, "rule")->valuestring, "unknown") == 0)
            connect_answer_error(a, 404, "not_found", "%s", cJSON_GetObjectItem(e, "message")->valuestring);
        else
            fe_answer(&fe, a, "addressee lookup");
        fe_free(&fe);
        return;
    }
    fe_free(&fe);
    const resident *r = &c->b->residents[addressee - 1];
    cJSON *o = cJSON_CreateObject();
    add_addressee(o, "addressee_no", addressee);
    cJSON_AddBoolToObject(o, "current", r->current);
    cJSON_AddBoolToObject(o, "code_acquired", has_code(c, addressee));
    const connect_req *p = pending(c, OP_CODE_ACQUISITION, addressee, NULL);
    if (p) cJSON_AddStringToObject(o, "acquisition", p->id);
    body *from = r->prev_body != UINT32_MAX ? domain_body(c->d, r->prev_body) : NULL;
    if (from) {
        cJSON_AddStringToObject(o, "moved_from", from->code);
        cJSON_AddStringToObject(o, "moved_from_name", from->name);
    } else {
        cJSON_AddNullToObject(o, "moved_from");
    }
    cJSON *list = cJSON_AddArrayToObject(o, "replicas");
    tenant_db *t = connect_tenant_db(c);
    sqlite3_stmt *st = t ? sim_store_stmt(t->store, ST_CONNECT_REPLICAS_OF,
        "SELECT record_id, item, pub_start, pub_end FROM replica WHERE tenant = ?1 AND addressee_no = ?2"
        " ORDER BY item, pub_start, record_id") : NULL;
    if (st) {
        sqlite3_bind_int64(st, 1, c->b->tenant);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)addressee);
        while (sim_store_read(t->store, st) == 1) {
            cJSON *x = cJSON_CreateObject();
            char day[16];
            cJSON_AddStringToObject(x, "record_id", (const char *)sqlite3_column_text(st, 0));
            cJSON_AddStringToObject(x, "item", (const char *)sqlite3_column_text(st, 1));
            format_date(sqlite3_column_int64(st, 2), day);
            cJSON_AddStringToObject(x, "pub_start", day);
            sim_time_t end = sqlite3_column_int64(st, 3);
            if (end == INT64_MAX) {
                cJSON_AddNullToObject(x, "pub_end");
            } else {
                format_date(end - SIM_DAY, day);
                cJSON_AddStringToObject(x, "pub_end", day);
            }
            cJSON_AddItemToArray(list, x);
        }
    }
    answer(a, 200, o);
}

static const char *holder_name(const domain *d, int agency) { return agency < 0 ? "lg" : d->agencies[agency]; }

static void op_code_lists(node_connect *c, connect_answer *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(o, "items");
    for (int i = 0; i < c->d->nitems; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "code", c->d->items[i].code);
        cJSON_AddStringToObject(x, "name_ja", c->d->items[i].name_ja);
        cJSON_AddStringToObject(x, "name_en", c->d->items[i].name_en);
        cJSON_AddStringToObject(x, "holder", holder_name(c->d, c->d->items[i].holder_agency));
        cJSON_AddItemToArray(items, x);
    }
    cJSON *procs = cJSON_AddArrayToObject(o, "procedures");
    for (int i = 0; i < c->d->nprocs; i++) {
        const permission *p = &c->d->procs[i];
        if (p->inquirer_agency >= 0) continue;   /* asked by agencies: not this tenant's business */
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "id", p->id);
        cJSON_AddStringToObject(x, "name_ja", p->name_ja);
        cJSON_AddStringToObject(x, "name_en", p->name_en);
        cJSON_AddStringToObject(x, "item", c->d->items[p->item].code);
        cJSON_AddStringToObject(x, "provider", holder_name(c->d, p->provider_agency));
        cJSON_AddItemToArray(procs, x);
    }
    cJSON *versions = cJSON_AddArrayToObject(o, "schema_versions");
    cJSON_AddItemToArray(versions, cJSON_CreateNumber(1));
    cJSON *outcomes = cJSON_AddArrayToObject(o, "outcomes");
    for (int e = 0; e < FLOW_ERRORS; e++) cJSON_AddItemToArray(outcomes, cJSON_CreateString(flow_error_name((flow_error)e)));
    answer(a, 200, o);
}

enum { FIXTURES_LISTED = 10 };

static void op_fixtures(node_connect *c, connect_answer *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "lg", c->b->code);
    cJSON_AddStringToObject(o, "name", c->b->name);
    uint64_t last = (uint64_t)c->b->nresidents + c->b->nextra;
    cJSON *range = cJSON_AddObjectToObject(o, "addressees");
    add_addressee(range, "first", 1);
    add_addressee(range, "last", last);
    cJSON_AddNumberToObject(range, "residents", c->b->nresidents);
    cJSON_AddNumberToObject(range, "others", (double)(last - c->b->nresidents));
    /* a procedure a local government asks another about, for people who moved in */
    int proc = -1;
    for (int i = 0; i < c->d->nprocs && proc < 0; i++)
        if (c->d->procs[i].inquirer_agency < 0 && c->d->procs[i].provider_agency < 0) proc = i;
    cJSON *moved = cJSON_AddArrayToObject(o, "moved_in");
    for (uint32_t i = 0; i < c->b->nresidents && cJSON_GetArraySize(moved) < FIXTURES_LISTED; i++) {
        const resident *r = &c->b->residents[i];
        body *from = r->prev_body != UINT32_MAX ? domain_body(c->d, r->prev_body) : NULL;
        if (!r->current || !from || !has_code(c, i + 1)) continue;
        cJSON *x = cJSON_CreateObject();
        add_addressee(x, "addressee_no", i + 1);
        cJSON_AddStringToObject(x, "moved_from", from->code);
        cJSON_AddStringToObject(x, "moved_from_name", from->name);
        if (proc >= 0) {
            cJSON_AddStringToObject(x, "procedure", c->d->procs[proc].id);
            cJSON_AddStringToObject(x, "item", c->d->items[c->d->procs[proc].item].code);
        }
        cJSON_AddItemToArray(moved, x);
    }
    cJSON *nocode = cJSON_AddArrayToObject(o, "without_code");
    for (uint64_t i = 1; i <= last && cJSON_GetArraySize(nocode) < FIXTURES_LISTED; i++) {
        if (has_code(c, i) || pending(c, OP_CODE_ACQUISITION, i, NULL)) continue;
        char s[ADDRESSEE_DIGITS + 1];
        format_addressee(i, s);
        cJSON_AddItemToArray(nocode, cJSON_CreateString(s));
    }
    answer(a, 200, o);
}

static void op_session(node_connect *c, connect_answer *a)
{
    cJSON *o = cJSON_CreateObject();
    char why[160];
    bool up = connect_tenant_available(c, why, sizeof why);
    cJSON_AddStringToObject(o, "lg", c->b->code);
    cJSON_AddStringToObject(o, "name", c->b->name);
    add_time(o, "now", sim_world_now(c->w));
    cJSON_AddBoolToObject(o, "available", up);
    if (!up) cJSON_AddStringToObject(o, "unavailable_because", why);
    sim_node *server = sim_world_node(c->w, c->b->server), *home = sim_world_node(c->w, c->b->home),
             *backup = sim_world_node(c->w, c->b->backup);
    cJSON_AddStringToObject(o, "serving_site", server ? server->name : "?");
    cJSON_AddStringToObject(o, "home_site", home ? home->name : "?");
    cJSON_AddStringToObject(o, "backup_site", backup ? backup->name : "?");
    cJSON_AddNumberToObject(o, "accepted", (double)c->nreqs);
    cJSON_AddNumberToObject(o, "in_flight", (double)c->ninflight);
    cJSON_AddBoolToObject(o, "ending", c->end_requested);
    answer(a, 200, o);
}

static void op_session_end(node_connect *c, const connect_call *call, connect_answer *a)
{
    cJSON *j = body_object(call, a, true);
    if (!j) return;
    field_errors fe;
    fe_init(&fe);
    static const char *const none[] = {NULL};
    check_fields(&fe, j, none, NULL);
    cJSON_Delete(j);
    if (fe.n) {
        fe_answer(&fe, a, "session end");
        fe_free(&fe);
        return;
    }
    fe_free(&fe);
    if (!c->end_requested) {
        c->end_requested = true;
        /* No event runs between this answer and the end (the listener's tick stops the run). */
        if (!c->replaying && c->run) sim_run_pause(c->run);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ended", true);
    add_time(o, "at", sim_world_now(c->w));
    cJSON_AddNumberToObject(o, "accepted", (double)c->nreqs);
    cJSON_AddNumberToObject(o, "in_flight", (double)c->ninflight);
    answer(a, 200, o);
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

static connect_op route(unsigned method, const char *path, const char **arg, bool *other_method)
{
    static const char base[] = "/connect/v1/";
    *arg = NULL;
    *other_method = false;
    if (strncmp(path, base, sizeof base - 1) != 0) return OP_UNKNOWN;
    const char *rest = path + sizeof base - 1;
    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        const char *a = NULL;
        if (!pattern_match(ROUTES[i].pattern, rest, &a)) continue;
        if (ROUTES[i].method == method) {
            *arg = a;
            return ROUTES[i].op;
        }
        *other_method = true;
    }
    return OP_UNKNOWN;
}

connect_op connect_route_op(unsigned method, const char *path)
{
    const char *arg;
    bool other;
    return route(method, path, &arg, &other);
}

/* Tool operations answer whatever the tenant's state; the tenant's own need it reachable. */
static bool needs_tenant(connect_op op)
{
    return op != OP_SESSION && op != OP_SESSION_END && op != OP_CONFORMANCE && op != OP_CODE_LISTS &&
           op != OP_FIXTURES;
}

void connect_api_handle(node_connect *c, connect_call *call, connect_answer *a)
{
    const char *arg;
    bool other_method;
    connect_op op = route(call->method, call->path, &arg, &other_method);
    a->op = op;
    a->compare = op != OP_CONFORMANCE;   /* the report holds wall-clock latencies */
    char why[160];
    if (op == OP_UNKNOWN) {
        if (other_method)
            connect_answer_error(a, 405, "method_not_allowed", "this method is not allowed on %.100s", call->path);
        else
            connect_answer_error(a, 404, "not_found", "no such operation: %.100s (the reference: docs/connect-api.md)", call->path);
        return;
    }
    if (needs_tenant(op) && !connect_tenant_available(c, why, sizeof why)) {
        connect_answer_error(a, 503, "tenant_unavailable", "the intermediate server cannot be reached: %s", why);
        return;
    }
    switch (op) {
    case OP_CODE_ACQUISITION: op_code(c, call, a); break;
    case OP_REPLICA_REGISTRATION: op_register(c, call, a); break;
    case OP_REPLICA_UPDATE: op_update(c, call, a); break;
    case OP_INQUIRY: op_inquire(c, call, a); break;
    case OP_RESULT_FETCH: op_request(c, arg, true, a); break;
    case OP_REQUEST_STATUS: op_request(c, arg, false, a); break;
    case OP_PROVISION_FETCH: op_provisions(c, call, a); break;
    case OP_BULK_INQUIRY: op_bulk(c, call, a, true); break;
    case OP_BULK_REPLICA: op_bulk(c, call, a, false); break;
    case OP_BULK_RESULT: op_bulk_result(c, arg, a); break;
    case OP_REPLICA_READ: op_replica_read(c, arg, a); break;
    case OP_ADDRESSEE_NEW: op_addressee_new(c, call, a); break;
    case OP_ADDRESSEE_READ: op_addressee_read(c, arg, a); break;
    case OP_CODE_LISTS: op_code_lists(c, a); break;
    case OP_FIXTURES: op_fixtures(c, a); break;
    case OP_SESSION: op_session(c, a); break;
    case OP_SESSION_END: op_session_end(c, call, a); break;
    case OP_CONFORMANCE: answer(a, 200, node_connect_report_json(c)); break;
    default: connect_answer_error(a, 404, "not_found", "no such operation"); break;
    }
    if (!a->json && !a->text) connect_answer_error(a, 500, "internal", "out of memory");
}
