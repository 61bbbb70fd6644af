/* connect/connect_write.c - the operations of the connection-test API that change the tenant:
 * code acquisition, replica registration (full and partial), inquiry, the bulk files, a new
 * addressee, the session's end (docs/connect-api.md).
 *
 * A request is checked whole against the tenant's state at the moment it enters (duplicate
 * record ids, codes held, operations in flight) and is either refused with every problem
 * listed, changing nothing, or accepted: an operation id is assigned, a "connect" record goes
 * to the trace, and the flow starts from the local government's node as if its existing
 * systems had sent it. An LG body's flows always leave through a link, so none ends before
 * its id is tracked here. */
#include "connect/connect_internal.h"
#include "sim_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char DIGITS[] = "0123456789";

/* ---- checks of whole requests ---------------------------------------------------------- */

typedef struct reg_fields {
    const char *record_id, *staff;
    uint64_t addressee;
    int item;
    sim_time_t pub_start, pub_end;
    int schema;                 /* 0: not valid */
    char *payload;
} reg_fields;

typedef struct inq_fields {
    uint64_t addressee;
    int procedure, item;
    uint32_t provider;
    const char *staff;
} inq_fields;

/* The layout version, or 0 with the problem added. */
static int check_schema(field_errors *fe, const cJSON *j)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "schema_version");
    if (!v || cJSON_IsNull(v))
        connect_fe_add(fe, "schema_version", "required", "schema_version (the layout version of the payload) is required");
    else if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)
        connect_fe_add(fe, "schema_version", "type", "schema_version must be a whole number");
    else if (!connect_layout_version_published(v->valueint))
        connect_fe_add(fe, "schema_version", "code_list", "schema_version %d is not a published layout version (published: 1, 2)",
               v->valueint);
    else
        return v->valueint;
    return 0;
}

static void check_registration(node_connect *c, field_errors *fe, const cJSON *j, reg_fields *r)
{
    static const char *const known[] = {"record_id", "addressee_no", "item", "schema_version", "pub_start",
                                        "pub_end", "payload", "staff", NULL};
    *r = (reg_fields){.item = -1, .pub_end = INT64_MAX};
    connect_check_fields(fe, j, known, NULL);
    r->record_id = connect_check_string(fe, j, "record_id", true, RECORD_ID_MAX, CONNECT_ID_CHARS, CONNECT_ID_CHARS_TEXT);
    if (r->record_id) {
        const connect_req *p = connect_pending(c, OP_REPLICA_REGISTRATION, 0, r->record_id);
        sqlite3_stmt *st = p ? NULL : connect_stored_record(c, r->record_id);
        if (st) sqlite3_reset(st);
        if (p)
            connect_fe_add(fe, "record_id", "duplicate", "record %s is being registered (request %s)", r->record_id, p->id);
        else if (st)
            connect_fe_add(fe, "record_id", "duplicate", "record %s is already registered (to change it: POST /connect/v1/replicas/partial)",
                   r->record_id);
    }
    if (connect_check_addressee(c, fe, j, &r->addressee) && !connect_has_code(c, r->addressee)) {
        char a[ADDRESSEE_DIGITS + 1];
        connect_format_addressee(r->addressee, a);
        connect_fe_add(fe, "addressee_no", "no_code", "%s has no agency code yet (符号が未取得): acquire it first (POST /connect/v1/codes)", a);
    }
    r->item = connect_check_item(c, fe, j, true);
    r->schema = check_schema(fe, j);
    sim_time_t end = 0;
    bool have_start, have_end;
    bool start_ok = connect_check_date(fe, j, "pub_start", true, &r->pub_start, &have_start) && have_start;
    bool end_ok = connect_check_date(fe, j, "pub_end", false, &end, &have_end) && have_end;
    if (end_ok) r->pub_end = end + SIM_DAY;   /* the last day published, inclusive */
    if (start_ok && end_ok && end < r->pub_start)
        connect_fe_add(fe, "pub_end", "date_order", "pub_end must not be before pub_start");
    r->payload = connect_check_payload(fe, j, false);
    connect_check_staff(fe, j, false, &r->staff);
    connect_check_individual_nos(c, fe, j);
    if (r->payload && r->item >= 0 && r->schema)   /* the payload against its item's layout of that version */
        connect_layout_check(fe, c->d->items[r->item].code, r->schema, cJSON_GetObjectItemCaseSensitive(j, "payload"), false);
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
    const char *s = connect_check_string(fe, j, "provider", true, 23, NULL, NULL);
    if (!s) return NULL;
    bool lg_code = strlen(s) == 6 && strspn(s, DIGITS) == 6;
    if (lg_code && lg_check_digit(s) != s[5] - '0') {
        connect_fe_add(fe, "provider", "check_digit", "%s has a wrong check digit (a local-government code %.5s ends in %d)", s, s,
               lg_check_digit(s));
        return NULL;
    }
    sim_node *n = sim_world_find_node(c->w, s);
    body *p = n ? domain_body(c->d, n->id) : NULL;
    if (!p || (lg_code && p->kind != BODY_LG) || (!lg_code && p->kind != BODY_AGENCY)) {
        if (lg_code) connect_fe_add(fe, "provider", "unknown", "no local government %s in this network", s);
        else connect_fe_add(fe, "provider", "unknown", "no agency called '%.30s' in this network (local governments are named by their 6-digit code)", s);
        return NULL;
    }
    if (p == c->b) {
        connect_fe_add(fe, "provider", "self", "a local government does not inquire of itself");
        return NULL;
    }
    if (procedure < 0) return p;
    const permission *perm = &c->d->procs[procedure];
    if (perm->provider_agency < 0 && p->kind != BODY_LG) {
        connect_fe_add(fe, "provider", "not_permitted", "procedure %s asks local governments, not %s", perm->id, s);
        return NULL;
    }
    if (perm->provider_agency >= 0 && (p->kind != BODY_AGENCY || p->agency_index != perm->provider_agency)) {
        connect_fe_add(fe, "provider", "not_permitted", "procedure %s asks %s, not %s", perm->id,
               c->d->agencies[perm->provider_agency], s);
        return NULL;
    }
    return p;
}

static void check_inquiry(node_connect *c, field_errors *fe, const cJSON *j, inq_fields *q)
{
    static const char *const known[] = {"addressee_no", "procedure", "item", "provider", "staff", NULL};
    *q = (inq_fields){.procedure = -1, .item = -1, .provider = UINT32_MAX};
    connect_check_fields(fe, j, known, NULL);
    if (connect_check_addressee(c, fe, j, &q->addressee) && !connect_has_code(c, q->addressee)) {
        char a[ADDRESSEE_DIGITS + 1];
        connect_format_addressee(q->addressee, a);
        connect_fe_add(fe, "addressee_no", "no_code", "%s has no agency code yet (符号が未取得): acquire it first (POST /connect/v1/codes)", a);
    }
    const char *proc = connect_check_string(fe, j, "procedure", true, 47, "abcdefghijklmnopqrstuvwxyz0123456789_",
                                    "lower-case letters, digits and '_'");
    if (proc) {
        int p = domain_procedure(c->d, proc);
        if (p < 0)
            connect_fe_add(fe, "procedure", "code_list", "%s is not a procedure of the permission table (the list: GET /connect/v1/code-lists)", proc);
        else if (c->d->procs[p].inquirer_agency >= 0)
            connect_fe_add(fe, "procedure", "not_permitted", "procedure %s is asked by %s, not by local governments", proc,
                   c->d->agencies[c->d->procs[p].inquirer_agency]);
        else
            q->procedure = p;
    }
    q->item = connect_check_item(c, fe, j, false);
    if (q->procedure >= 0 && q->item >= 0 && c->d->procs[q->procedure].item != q->item)
        connect_fe_add(fe, "item", "not_permitted", "procedure %s may ask for %s only, not %s", c->d->procs[q->procedure].id,
               c->d->items[c->d->procs[q->procedure].item].code, c->d->items[q->item].code);
    body *p = check_provider(c, fe, j, q->procedure);
    if (p) q->provider = p->node;
    connect_check_staff(fe, j, true, &q->staff);
    connect_check_individual_nos(c, fe, j);
}

/* ---- starting operations (after every check passed) ------------------------------------ */

static connect_req *start_registration(node_connect *c, const reg_fields *r)
{
    connect_req *q = connect_new_req(c, OP_REPLICA_REGISTRATION, r->staff);
    if (!q) return NULL;
    q->addressee = r->addressee;
    q->item = r->item;
    q->pub_start = r->pub_start;
    q->schema = r->schema;
    snprintf(q->record_id, sizeof q->record_id, "%s", r->record_id);
    connect_staff_number(c, r->staff);
    connect_note(c, "%s replica registration accepted: record %s, addressee %llu, %s", q->id, q->record_id,
         (unsigned long long)q->addressee, c->d->items[q->item].code);
    connect_track_flow(c, q, node_body_register_replica(c->n, r->addressee, r->item, r->record_id, r->pub_start,
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
    connect_note(c, "%s inquiry accepted: addressee %llu, %s, provider %s, staff %u", q->id, (unsigned long long)q->addressee,
         c->d->procs[q->procedure].id, connect_body_label(domain_body(c->d, q->provider)), staff);
    connect_track_flow(c, q, node_body_inquire(c->n, f->addressee, f->procedure, f->provider, staff));
    return q;
}

/* ---- the operations -------------------------------------------------------------------- */

void connect_op_code(node_connect *c, const connect_call *call, connect_answer *a)
{
    cJSON *j = connect_body_object(call, a, false);
    if (!j) return;
    static const char *const known[] = {"addressee_no", "staff", NULL};
    field_errors fe;
    connect_fe_init(&fe);
    connect_check_fields(&fe, j, known, NULL);
    uint64_t addressee = 0;
    const char *staff;
    if (connect_check_addressee(c, &fe, j, &addressee)) {
        const connect_req *p = connect_pending(c, OP_CODE_ACQUISITION, addressee, NULL);
        if (connect_has_code(c, addressee))
            connect_fe_add(&fe, "addressee_no", "already_acquired", "this addressee already has an agency code: it is never acquired twice");
        else if (p)
            connect_fe_add(&fe, "addressee_no", "in_progress", "the code of this addressee is being acquired (request %s)", p->id);
    }
    connect_check_staff(&fe, j, false, &staff);
    connect_check_individual_nos(c, &fe, j);
    if (fe.n) {
        connect_fe_answer(&fe, a, "code acquisition");
    } else {
        connect_req *q = connect_new_req(c, OP_CODE_ACQUISITION, staff);
        if (!q) {
            connect_answer_error(a, 500, "internal", "out of memory");
        } else {
            q->addressee = addressee;
            connect_staff_number(c, staff);
            connect_note(c, "%s code acquisition accepted: addressee %llu", q->id, (unsigned long long)addressee);
            connect_track_flow(c, q, node_body_acquire_code(c->n, addressee));
            connect_report_accepted(&c->rep, OP_CODE_ACQUISITION, 1);
            connect_answer_json(a, 202, connect_request_json(c, q));
        }
    }
    connect_fe_free(&fe);
    cJSON_Delete(j);
}

void connect_op_register(node_connect *c, const connect_call *call, connect_answer *a)
{
    cJSON *j = connect_body_object(call, a, false);
    if (!j) return;
    field_errors fe;
    connect_fe_init(&fe);
    reg_fields r;
    check_registration(c, &fe, j, &r);
    if (fe.n) {
        connect_fe_answer(&fe, a, "replica registration");
    } else {
        connect_req *q = start_registration(c, &r);
        if (!q) {
            connect_answer_error(a, 500, "internal", "out of memory");
        } else {
            connect_report_accepted(&c->rep, OP_REPLICA_REGISTRATION, 1);
            connect_answer_json(a, 202, connect_request_json(c, q));
        }
    }
    cJSON_free(r.payload);
    connect_fe_free(&fe);
    cJSON_Delete(j);
}

void connect_op_update(node_connect *c, const connect_call *call, connect_answer *a)
{
    cJSON *j = connect_body_object(call, a, false);
    if (!j) return;
    static const char *const known[] = {"record_id", "payload", "pub_end", "staff", NULL};
    static const char *const fixed[] = {"addressee_no", "item", "schema_version", "pub_start", NULL};
    field_errors fe;
    connect_fe_init(&fe);
    connect_check_fields(&fe, j, known, fixed);
    const char *record = connect_check_string(&fe, j, "record_id", true, RECORD_ID_MAX, CONNECT_ID_CHARS, CONNECT_ID_CHARS_TEXT);
    bool known_record = false;
    sim_time_t pub_start = 0;
    char item[24] = "";
    int schema = 0;
    if (record) {
        const connect_req *p = connect_pending(c, OP_REPLICA_REGISTRATION, 0, record);
        sqlite3_stmt *st = p ? NULL : connect_stored_record(c, record);
        known_record = p || st;
        if (p) {
            pub_start = p->pub_start;
            snprintf(item, sizeof item, "%s", c->d->items[p->item].code);
            schema = p->schema;
        }
        if (st) {
            pub_start = sqlite3_column_int64(st, 3);
            snprintf(item, sizeof item, "%s", (const char *)sqlite3_column_text(st, 1));
            schema = connect_record_schema(c, record, sqlite3_column_int(st, 2));
            sqlite3_reset(st);
        }
        if (!known_record)
            connect_fe_add(&fe, "record_id", "unknown", "no record %s in this tenant's provision database", record);
    }
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(j, "payload");
    bool payload_given = given && !cJSON_IsNull(given);
    char *payload = connect_check_payload(&fe, j, true);
    sim_time_t end = 0;
    bool have_end;
    bool end_ok = connect_check_date(&fe, j, "pub_end", false, &end, &have_end) && have_end;
    if (end_ok && known_record && end < pub_start)
        connect_fe_add(&fe, "pub_end", "date_order", "pub_end must not be before the record's pub_start");
    if (!payload_given && !have_end)
        connect_fe_add(&fe, "payload", "empty", "a partial update changes at least one thing: payload fields or pub_end");
    const char *staff;
    connect_check_staff(&fe, j, false, &staff);
    connect_check_individual_nos(c, &fe, j);
    if (payload && schema)   /* the fields it changes, against the record's layout */
        connect_layout_check(&fe, item, schema, given, true);
    if (fe.n) {
        connect_fe_answer(&fe, a, "partial update");
    } else {
        connect_req *q = connect_new_req(c, OP_REPLICA_UPDATE, staff);
        if (!q) {
            connect_answer_error(a, 500, "internal", "out of memory");
        } else {
            snprintf(q->record_id, sizeof q->record_id, "%s", record);
            connect_staff_number(c, staff);
            connect_note(c, "%s partial update accepted: record %s", q->id, record);
            connect_track_flow(c, q, node_body_update_replica(c->n, record, payload ? payload : "{}", end_ok ? end + SIM_DAY : 0));
            connect_report_accepted(&c->rep, OP_REPLICA_UPDATE, 1);
            connect_answer_json(a, 202, connect_request_json(c, q));
        }
    }
    cJSON_free(payload);
    connect_fe_free(&fe);
    cJSON_Delete(j);
}

void connect_op_inquire(node_connect *c, const connect_call *call, connect_answer *a)
{
    cJSON *j = connect_body_object(call, a, false);
    if (!j) return;
    field_errors fe;
    connect_fe_init(&fe);
    inq_fields f;
    check_inquiry(c, &fe, j, &f);
    if (fe.n) {
        connect_fe_answer(&fe, a, "inquiry");
    } else {
        connect_req *q = start_inquiry(c, &f);
        if (!q) {
            connect_answer_error(a, 500, "internal", "out of memory");
        } else {
            connect_report_accepted(&c->rep, OP_INQUIRY, 1);
            connect_answer_json(a, 202, connect_request_json(c, q));
        }
    }
    connect_fe_free(&fe);
    cJSON_Delete(j);
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

void connect_op_bulk(node_connect *c, const connect_call *call, connect_answer *a, bool inquiries)
{
    field_errors fe;
    connect_fe_init(&fe);
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
        connect_fe_add(&fe, "body", "too_many_lines", "a bulk file has at most %d lines", BULK_MAX_LINES);
    else if (n == 0)
        connect_fe_add(&fe, "body", "empty", "the bulk file has no lines (one JSON object a line)");
    for (size_t i = 0; i < n && !too_many; i++) {
        fe.line = (int)i + 1;
        if (lines[i].len == 0) {
            connect_fe_add(&fe, "line", "empty", "line %zu is empty", i + 1);
            continue;
        }
        sim_json_error e;
        int rc = sim_json_parse_ex(lines[i].p, lines[i].len, &objs[i], &e);
        if (rc == -ENOMEM) {
            connect_answer_error(a, 500, "internal", "out of memory");
            goto out;
        }
        if (rc < 0 && strcmp(e.rule, "duplicate_key") == 0) {
            connect_fe_add(&fe, e.path, "duplicate_field", "line %zu: %s is given twice in one object (%s)", i + 1, e.path, e.why);
            continue;
        }
        if (rc < 0) {
            connect_fe_add(&fe, "line", "json", "line %zu is not valid JSON (rule %s): %s", i + 1, e.rule, e.why);
            continue;
        }
        if (!cJSON_IsObject(objs[i])) {
            connect_fe_add(&fe, "line", "type", "line %zu must be a JSON object", i + 1);
            continue;
        }
        if (inquiries) {
            check_inquiry(c, &fe, objs[i], &inqs[i]);
            continue;
        }
        check_registration(c, &fe, objs[i], &regs[i]);
        for (size_t k = 0; k < i && regs[i].record_id; k++) {
            if (regs[k].record_id && strcmp(regs[k].record_id, regs[i].record_id) == 0) {
                connect_fe_add(&fe, "record_id", "duplicate", "record %s is also on line %zu of this file", regs[i].record_id, k + 1);
                break;
            }
        }
    }
    fe.line = 0;
    if (fe.n) {
        connect_fe_answer(&fe, a, inquiries ? "inquiry file" : "replica file");
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
    connect_note(c, "%s %s file accepted: %zu lines", bk->id, inquiries ? "inquiry" : "replica", n);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "bulk_id", bk->id);
    cJSON_AddStringToObject(o, "operation", connect_op_name(bk->op));
    cJSON_AddStringToObject(o, "status", "pending");
    cJSON_AddNumberToObject(o, "lines", (double)n);
    connect_add_time(o, "accepted_at", sim_world_now(c->w));
    cJSON *ids = cJSON_AddArrayToObject(o, "request_ids");
    for (size_t i = 0; i < n; i++) {
        connect_req *q = inquiries ? start_inquiry(c, &inqs[i]) : start_registration(c, &regs[i]);
        if (!q) break;
        q->bulk = index;
        cJSON_AddItemToArray(ids, cJSON_CreateString(q->id));
    }
    connect_report_accepted(&c->rep, bk->op, n);
    connect_answer_json(a, 202, o);
out:
    for (size_t i = 0; i < n; i++) {
        cJSON_Delete(objs[i]);
        if (regs) cJSON_free(regs[i].payload);
    }
    free(lines);
    free(objs);
    free(regs);
    free(inqs);
    connect_fe_free(&fe);
}

void connect_op_addressee_new(node_connect *c, const connect_call *call, connect_answer *a)
{
    cJSON *j = connect_body_object(call, a, true);
    if (!j) return;
    static const char *const known[] = {"staff", NULL};
    field_errors fe;
    connect_fe_init(&fe);
    const char *staff;
    connect_check_fields(&fe, j, known, NULL);
    connect_check_staff(&fe, j, false, &staff);
    connect_check_individual_nos(c, &fe, j);
    if (fe.n) {
        connect_fe_answer(&fe, a, "new addressee");
    } else {
        uint32_t addressee = node_body_new_resident(c->d, c->b);
        if (!addressee) {
            connect_answer_error(a, 500, "internal", "out of memory");
        } else {
            connect_note(c, "new addressee %u (born, or moved in from abroad: no code yet)", addressee);
            cJSON *o = cJSON_CreateObject();
            connect_add_addressee(o, "addressee_no", addressee);
            cJSON_AddBoolToObject(o, "current", true);
            cJSON_AddBoolToObject(o, "code_acquired", false);
            connect_answer_json(a, 201, o);
        }
    }
    connect_fe_free(&fe);
    cJSON_Delete(j);
}

void connect_op_session_end(node_connect *c, const connect_call *call, connect_answer *a)
{
    cJSON *j = connect_body_object(call, a, true);
    if (!j) return;
    field_errors fe;
    connect_fe_init(&fe);
    static const char *const none[] = {NULL};
    connect_check_fields(&fe, j, none, NULL);
    connect_check_individual_nos(c, &fe, j);
    cJSON_Delete(j);
    if (fe.n) {
        connect_fe_answer(&fe, a, "session end");
        connect_fe_free(&fe);
        return;
    }
    connect_fe_free(&fe);
    if (!c->end_requested) {
        c->end_requested = true;
        /* No event runs between this answer and the end (the listener's tick stops the run). */
        if (!c->replaying && c->run) sim_run_pause(c->run);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ended", true);
    connect_add_time(o, "at", sim_world_now(c->w));
    cJSON_AddNumberToObject(o, "accepted", (double)c->nreqs);
    cJSON_AddNumberToObject(o, "in_flight", (double)c->ninflight);
    connect_answer_json(a, 200, o);
}
