/* connect/connect_read.c - the reads of the connection-test API (docs/connect-api.md): an
 * operation's status and an inquiry's result, the provision records, a bulk file's result
 * file, a stored replica, an addressee, the code lists, the test data, the session. Reads
 * change nothing in the world (only the report's note that a result was seen). */
#include "connect/connect_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char DIGITS[] = "0123456789";

void connect_op_request(node_connect *c, const char *id, bool inquiries_only, connect_answer *a)
{
    connect_req *q = connect_find_req(c, id);
    if (!q || (inquiries_only && q->op != OP_INQUIRY)) {
        connect_answer_error(a, 404, "not_found", "no %s %.20s", inquiries_only ? "inquiry" : "request", id);
        return;
    }
    if (q->done) c->rep.ops[a->op].done_fetches++;
    connect_mark_seen(c, q);
    connect_answer_json(a, 200, connect_request_json(c, q));
}

/* Query parameter `name` as a whole number within [lo, hi]; *out keeps its default if absent.
 * (A name given twice was refused before: connect_api.c.) */
static void param_number(const connect_call *call, field_errors *fe, const char *name, uint64_t lo, uint64_t hi,
                         uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(call->query, name);
    if (!v) return;
    const char *buf = cJSON_GetStringValue(v);
    size_t len = buf ? strlen(buf) : 0;
    if (len == 0 || len > 12 || strspn(buf, DIGITS) != len) {
        connect_fe_add(fe, name, "type", "%s must be a whole number", name);
        return;
    }
    uint64_t v64 = strtoull(buf, NULL, 10);
    if (v64 < lo || v64 > hi) {
        connect_fe_add(fe, name, "range", "%s must be from %llu to %llu", name, (unsigned long long)lo, (unsigned long long)hi);
        return;
    }
    *out = v64;
}

void connect_op_provisions(node_connect *c, const connect_call *call, connect_answer *a)
{
    uint64_t from = 0, limit = 100;
    field_errors fe;
    connect_fe_init(&fe);
    param_number(call, &fe, "from", 0, UINT32_MAX, &from);
    param_number(call, &fe, "limit", 1, PAGE_MAX, &limit);
    if (fe.n) {
        connect_fe_answer(&fe, a, "provision records");
        connect_fe_free(&fe);
        return;
    }
    connect_fe_free(&fe);
    tenant_db *t = connect_tenant_db(c);
    sqlite3_stmt *st = t ? sim_store_stmt(t->store, TENANT_ST_CONNECT_PROVISIONS,
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
        connect_add_time(p, "provided_at", sqlite3_column_int64(st, 1));
        body *inq = domain_body(c->d, (uint32_t)sqlite3_column_int64(st, 2));
        cJSON_AddStringToObject(p, "inquirer", connect_body_label(inq));
        cJSON_AddStringToObject(p, "inquirer_name", inq ? inq->name : "?");
        int item = sqlite3_column_int(st, 3);
        cJSON_AddStringToObject(p, "item", item >= 0 && item < c->d->nitems ? c->d->items[item].code : "?");
        cJSON_AddStringToObject(p, "outcome", (const char *)sqlite3_column_text(st, 4));
        cJSON_AddItemToArray(list, p);
        n++;
    }
    if (n == 0 && from > 0) {
        /* from may be the end (nothing new since), never past it */
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 2, 1);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)from - 1);
        bool at_end = sim_store_read(t->store, st) == 1;
        sqlite3_reset(st);
        if (!at_end) {
            cJSON_Delete(o);
            connect_fe_init(&fe);
            connect_fe_add(&fe, "from", "range", "from %llu is past the end of the provision records (from may be at most the "
                           "number of records so far: the last page's next)", (unsigned long long)from);
            connect_fe_answer(&fe, a, "provision records");
            connect_fe_free(&fe);
            return;
        }
    }
    cJSON_AddNumberToObject(o, "from", (double)from);
    cJSON_AddNumberToObject(o, "next", (double)(from + n));
    cJSON_AddBoolToObject(o, "more", more);
    connect_answer_json(a, 200, o);
}

void connect_op_bulk_result(node_connect *c, const char *id, connect_answer *a)
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
        connect_answer_json(a, 202, o);
        return;
    }
    /* The result file: one JSON object a line, in the order of the file sent. */
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < bk->n; i++) {
        connect_req *q = &c->reqs[bk->first + i];
        connect_mark_seen(c, q);
        cJSON *o = connect_request_json(c, q);
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
    connect_report_bulk_fetched(&c->rep);
    cJSON_Delete(a->json);
    a->json = NULL;
    a->status = 200;
    a->text = text;
    a->text_len = len;
}

void connect_op_replica_read(node_connect *c, const char *id, connect_answer *a)
{
    if (strlen(id) > RECORD_ID_MAX || strspn(id, CONNECT_ID_CHARS) != strlen(id)) {
        connect_answer_error(a, 404, "not_found", "no record %.40s (record ids are 1 to %d %s)", id, RECORD_ID_MAX,
                             CONNECT_ID_CHARS_TEXT);
        return;
    }
    sqlite3_stmt *st = connect_stored_record(c, id);
    if (!st) {
        const connect_req *p = connect_pending(c, OP_REPLICA_REGISTRATION, 0, id);
        if (p) connect_answer_error(a, 404, "not_found", "record %s is not registered yet: request %s is in progress", id, p->id);
        else connect_answer_error(a, 404, "not_found", "no record %s in this tenant's provision database", id);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "record_id", id);
    connect_add_addressee(o, "addressee_no", (uint64_t)sqlite3_column_int64(st, 0));
    cJSON_AddStringToObject(o, "item", (const char *)sqlite3_column_text(st, 1));
    cJSON_AddNumberToObject(o, "schema_version", connect_record_schema(c, id, sqlite3_column_int(st, 2)));
    char day[16];
    connect_format_date(sqlite3_column_int64(st, 3), day);
    cJSON_AddStringToObject(o, "pub_start", day);
    sim_time_t end = sqlite3_column_int64(st, 4);
    if (end == INT64_MAX) {
        cJSON_AddNullToObject(o, "pub_end");
    } else {
        connect_format_date(end - SIM_DAY, day);
        cJSON_AddStringToObject(o, "pub_end", day);
    }
    connect_add_payload(o, (const char *)sqlite3_column_text(st, 5), (size_t)sqlite3_column_bytes(st, 5));
    sqlite3_reset(st);
    connect_answer_json(a, 200, o);
}

void connect_op_addressee_read(node_connect *c, const char *arg, connect_answer *a)
{
    field_errors fe;
    connect_fe_init(&fe);
    cJSON *probe = cJSON_CreateObject();
    cJSON_AddStringToObject(probe, "addressee_no", arg);
    uint64_t addressee = 0;
    bool ok = connect_check_addressee(c, &fe, probe, &addressee);
    cJSON_Delete(probe);
    if (!ok) {
        const cJSON *e = cJSON_GetArrayItem(fe.list, 0);
        if (e && strcmp(cJSON_GetObjectItem(e, "rule")->valuestring, "unknown") == 0)
            connect_answer_error(a, 404, "not_found", "%s", cJSON_GetObjectItem(e, "message")->valuestring);
        else
            connect_fe_answer(&fe, a, "addressee lookup");
        connect_fe_free(&fe);
        return;
    }
    connect_fe_free(&fe);
    const resident *r = &c->b->residents[addressee - 1];
    cJSON *o = cJSON_CreateObject();
    connect_add_addressee(o, "addressee_no", addressee);
    cJSON_AddBoolToObject(o, "current", r->current);
    cJSON_AddBoolToObject(o, "code_acquired", connect_has_code(c, addressee));
    const connect_req *p = connect_pending(c, OP_CODE_ACQUISITION, addressee, NULL);
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
    sqlite3_stmt *st = t ? sim_store_stmt(t->store, TENANT_ST_CONNECT_REPLICAS_OF,
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
            connect_format_date(sqlite3_column_int64(st, 2), day);
            cJSON_AddStringToObject(x, "pub_start", day);
            sim_time_t end = sqlite3_column_int64(st, 3);
            if (end == INT64_MAX) {
                cJSON_AddNullToObject(x, "pub_end");
            } else {
                connect_format_date(end - SIM_DAY, day);
                cJSON_AddStringToObject(x, "pub_end", day);
            }
            cJSON_AddItemToArray(list, x);
        }
    }
    connect_answer_json(a, 200, o);
}

static const char *holder_name(const domain *d, int agency) { return agency < 0 ? "lg" : d->agencies[agency]; }

/* Is the agency (index in the permission table) a body of this network? Local governments
 * (-1) always are. */
static bool agency_in_network(const node_connect *c, int agency)
{
    if (agency < 0) return true;
    for (uint32_t i = 0; i < c->d->nbodies_cap; i++) {
        const body *b = c->d->bodies[i];
        if (b && b->kind == BODY_AGENCY && b->agency_index == agency) return true;
    }
    return false;
}

/* The permission table is national; the network simulated may hold only some of its agencies:
 * each agency, item and procedure says whether it is here (in_network), so that a client
 * never names a provider the network does not have. Procedures other bodies ask are listed
 * apart: an inquiry under one of them is refused (procedure not_permitted). */
void connect_op_code_lists(node_connect *c, connect_answer *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *agencies = cJSON_AddArrayToObject(o, "agencies");
    for (int i = 0; i < c->d->nagencies; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", c->d->agencies[i]);
        cJSON_AddBoolToObject(x, "in_network", agency_in_network(c, i));
        cJSON_AddItemToArray(agencies, x);
    }
    cJSON *items = cJSON_AddArrayToObject(o, "items");
    for (int i = 0; i < c->d->nitems; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "code", c->d->items[i].code);
        cJSON_AddStringToObject(x, "name_ja", c->d->items[i].name_ja);
        cJSON_AddStringToObject(x, "name_en", c->d->items[i].name_en);
        cJSON_AddStringToObject(x, "holder", holder_name(c->d, c->d->items[i].holder_agency));
        cJSON_AddBoolToObject(x, "in_network", agency_in_network(c, c->d->items[i].holder_agency));
        cJSON_AddItemToArray(items, x);
    }
    cJSON *procs = cJSON_AddArrayToObject(o, "procedures");
    cJSON *others = cJSON_AddArrayToObject(o, "procedures_of_others");
    for (int i = 0; i < c->d->nprocs; i++) {
        const permission *p = &c->d->procs[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "id", p->id);
        cJSON_AddStringToObject(x, "name_ja", p->name_ja);
        cJSON_AddStringToObject(x, "name_en", p->name_en);
        if (p->inquirer_agency >= 0) {   /* asked by an agency: not this tenant's */
            cJSON_AddStringToObject(x, "inquirer", c->d->agencies[p->inquirer_agency]);
            cJSON_AddItemToArray(others, x);
            continue;
        }
        cJSON_AddStringToObject(x, "inquirer", p->inquirer_prefecture ? "prefecture" : "lg");
        cJSON_AddStringToObject(x, "item", c->d->items[p->item].code);
        cJSON_AddStringToObject(x, "provider", holder_name(c->d, p->provider_agency));
        cJSON_AddBoolToObject(x, "in_network", agency_in_network(c, p->provider_agency));
        cJSON_AddItemToArray(procs, x);
    }
    cJSON *versions = cJSON_AddArrayToObject(o, "schema_versions");
    for (int v = 1; v <= CONNECT_LAYOUT_VERSIONS; v++) cJSON_AddItemToArray(versions, cJSON_CreateNumber(v));
    cJSON *outcomes = cJSON_AddArrayToObject(o, "outcomes");
    for (int e = 0; e < FLOW_ERRORS; e++) cJSON_AddItemToArray(outcomes, cJSON_CreateString(domain_error_name((flow_error)e)));
    connect_answer_json(a, 200, o);
}

enum { FIXTURES_LISTED = 10 };

void connect_op_fixtures(node_connect *c, connect_answer *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "lg", c->b->code);
    cJSON_AddStringToObject(o, "name", c->b->name);
    uint64_t last = (uint64_t)c->b->nresidents + c->b->nextra;
    cJSON *range = cJSON_AddObjectToObject(o, "addressees");
    connect_add_addressee(range, "first", 1);
    connect_add_addressee(range, "last", last);
    uint64_t current = 0;
    for (uint64_t i = 0; i < last; i++) current += c->b->residents[i].current;
    cJSON_AddNumberToObject(range, "residents", (double)current);   /* new ones (POST addressees) too */
    cJSON_AddNumberToObject(range, "others", (double)(last - current));   /* former residents */
    /* a procedure a local government asks another about, for people who moved in */
    int proc = -1;
    for (int i = 0; i < c->d->nprocs && proc < 0; i++)
        if (c->d->procs[i].inquirer_agency < 0 && c->d->procs[i].provider_agency < 0) proc = i;
    cJSON *moved = cJSON_AddArrayToObject(o, "moved_in");
    for (uint32_t i = 0; i < c->b->nresidents && cJSON_GetArraySize(moved) < FIXTURES_LISTED; i++) {
        const resident *r = &c->b->residents[i];
        body *from = r->prev_body != UINT32_MAX ? domain_body(c->d, r->prev_body) : NULL;
        if (!r->current || !from || !connect_has_code(c, i + 1)) continue;
        cJSON *x = cJSON_CreateObject();
        connect_add_addressee(x, "addressee_no", i + 1);
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
        if (connect_has_code(c, i) || connect_pending(c, OP_CODE_ACQUISITION, i, NULL)) continue;
        char s[ADDRESSEE_DIGITS + 1];
        connect_format_addressee(i, s);
        cJSON_AddItemToArray(nocode, cJSON_CreateString(s));
    }
    connect_answer_json(a, 200, o);
}

void connect_op_session(node_connect *c, connect_answer *a)
{
    cJSON *o = cJSON_CreateObject();
    char why[160];
    bool up = connect_tenant_available(c, why, sizeof why);
    cJSON_AddStringToObject(o, "lg", c->b->code);
    cJSON_AddStringToObject(o, "name", c->b->name);
    connect_add_time(o, "now", sim_world_now(c->w));
    cJSON_AddBoolToObject(o, "ready", true);   /* the fixtures are seeded before the listener opens */
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
    connect_answer_json(a, 200, o);
}

/* What an inquirer would be provided now for this addressee and item (the other side): the
 * provider's answer as the serving site would make it (platform/site.c, answer_inquiry), read
 * without an inquiry: no serial number, no provision record, nothing changes. */
void connect_op_preview(node_connect *c, const connect_call *call, connect_answer *a)
{
    field_errors fe;
    connect_fe_init(&fe);
    cJSON *probe = cJSON_CreateObject();
    static const char *const names[] = {"addressee_no", "item"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(call->query, names[i]);
        if (cJSON_IsString(v)) cJSON_AddStringToObject(probe, names[i], v->valuestring);
        else if (v) cJSON_AddNumberToObject(probe, names[i], 0);   /* unreadable: a type problem */
    }
    uint64_t addressee = 0;
    bool ok = connect_check_addressee(c, &fe, probe, &addressee);
    int item = connect_check_item(c, &fe, probe, true);
    cJSON_Delete(probe);
    if (!ok || item < 0 || fe.n) {
        connect_fe_answer(&fe, a, "preview");
        connect_fe_free(&fe);
        return;
    }
    connect_fe_free(&fe);
    sim_time_t now = sim_world_now(c->w);
    cJSON *o = cJSON_CreateObject();
    connect_add_addressee(o, "addressee_no", addressee);
    cJSON_AddStringToObject(o, "item", c->d->items[item].code);
    connect_add_time(o, "at", now);
    cJSON *procs = cJSON_AddArrayToObject(o, "procedures");   /* who may ask for it */
    for (int i = 0; i < c->d->nprocs; i++)
        if (c->d->procs[i].item == item) cJSON_AddItemToArray(procs, cJSON_CreateString(c->d->procs[i].id));
    tenant_db *t = connect_tenant_db(c);
    sqlite3_stmt *st = t ? sim_store_stmt(t->store, TENANT_ST_REPLICA_GET,   /* the provider's own statement */
        "SELECT payload, pub_end, digest, record_id FROM replica WHERE tenant = ?1 AND addressee_no = ?2"
        " AND item = ?3 AND pub_start <= ?4 AND ?4 < pub_end ORDER BY pub_start DESC LIMIT 1") : NULL;
    if (!st) {
        cJSON_Delete(o);
        connect_answer_error(a, 500, "internal", "the provision database cannot be read");
        return;
    }
    const char *outcome = "not_found";
    if (!connect_has_code(c, addressee)) {
        outcome = "no_code";   /* the NWS cannot convert to this tenant's code: the inquiry ends no_code */
    } else {
        sqlite3_bind_int64(st, 1, c->b->tenant);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)addressee);
        sqlite3_bind_text(st, 3, c->d->items[item].code, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, now);
        if (sim_store_read(t->store, st) == 1) {
            const char *payload = (const char *)sqlite3_column_text(st, 0);
            int n = sqlite3_column_bytes(st, 0);
            bool intact = platform_replica_digest(payload, (size_t)n, sqlite3_column_int64(st, 1)) ==
                          (uint64_t)sqlite3_column_int64(st, 2);
            outcome = intact ? "ok" : "integrity";
            cJSON_AddStringToObject(o, "record_id", (const char *)sqlite3_column_text(st, 3));
            if (intact) connect_add_payload(o, payload, (size_t)n);
            sqlite3_reset(st);
        }
    }
    cJSON_AddStringToObject(o, "outcome", outcome);
    cJSON_AddStringToObject(o, "message", strcmp(outcome, "ok") == 0 ? "an inquiry now would be provided this payload"
                                          : strcmp(outcome, "no_code") == 0 ? "the addressee has no code: an inquiry would end no_code"
                                          : strcmp(outcome, "integrity") == 0 ? "the record fails its checksum: an inquiry would end integrity"
                                          : "no record of this item is published now: an inquiry would end not_found");
    connect_answer_json(a, 200, o);
}
