/* node_site.c - a platform site (自治体中間サーバー・プラットフォーム) and the tenant logic of
 * an intermediate server (自治体中間サーバー), which agencies reuse for their own server.
 *
 * Per tenant, in the site's SQLite store: code management (addressee number <-> agency code),
 * the provision database of replicas, and the inquiry and provision logs with serial numbers.
 * Inquiries from the body's existing systems are converted to its code and sent through the
 * interface system; inquiries from the NWS are answered automatically from replicas. */
#include "node_domain.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    ST_CODE_PUT, ST_REPLICA_PUT, ST_REPLICA_GET,
    ST_INQUIRY_LOG, ST_PROVISION_LOG, ST_RECEIPT_LOG, ST_REPLICA_BY_RECORD, ST_REPLICA_UPDATE,
};

static const char SCHEMA[] =
    "CREATE TABLE code_mgmt (tenant INTEGER, addressee_no INTEGER, code INTEGER,"
    "  PRIMARY KEY (tenant, addressee_no)) WITHOUT ROWID;"
    /* Keyed the way inquiries read it (one search finds the newest publication); the
     * unique index on the record id refuses duplicates at registration. */
    "CREATE TABLE replica (tenant INTEGER, addressee_no INTEGER, item TEXT, pub_start INTEGER,"
    "  record_id TEXT, schema INTEGER, pub_end INTEGER, payload TEXT,"
    "  PRIMARY KEY (tenant, addressee_no, item, pub_start, record_id)) WITHOUT ROWID;"
    /* The logs are appended to during the run and read once at its end (reconciliation):
     * plain rowid tables, so an insert is an append rather than a search. */
    "CREATE TABLE inquiry_log (tenant INTEGER, flow INTEGER, t INTEGER, procedure INTEGER,"
    "  item INTEGER, staff INTEGER);"
    "CREATE TABLE provision_log (tenant INTEGER, serial_no INTEGER, t INTEGER, inquirer INTEGER,"
    "  item INTEGER, outcome TEXT);"
    "CREATE TABLE receipt_log (tenant INTEGER, serial_no INTEGER, flow INTEGER, t INTEGER,"
    "  outcome TEXT);";

/* The secondary indexes are built once the day-before state is loaded: sorting them in one
 * go is several times faster than growing them row by row (tenant_db_index). */
static const char INDEXES[] =
    "CREATE UNIQUE INDEX IF NOT EXISTS code_mgmt_code ON code_mgmt (tenant, code);"
    "CREATE UNIQUE INDEX IF NOT EXISTS replica_record ON replica (tenant, record_id);";

int tenant_db_index(tenant_db *t)
{
    if (t->indexed) return 0;
    int rc = sim_store_exec(t->store, INDEXES);
    t->indexed = rc == 0;
    return rc;
}

int tenant_db_open(domain *d, tenant_db *t, const char *name)
{
    *t = (tenant_db){0};
    int rc = sim_store_open(d->db_dir, name, &t->store);
    if (rc == 0) rc = sim_store_exec(t->store, SCHEMA);
    return rc;
}

void tenant_db_close(tenant_db *t)
{
    sim_store_close(t->store);
    sim_map_free(&t->code_by_addressee);
    sim_map_free(&t->addressee_by_code);
    sim_map_free(&t->pending);
}

int tenant_seed_code(tenant_db *t, body *b, uint64_t addressee_no, uint64_t code)
{
    sqlite3_stmt *st = sim_store_stmt(t->store, ST_CODE_PUT,
                                      "INSERT INTO code_mgmt VALUES (?1, ?2, ?3)");
    if (!st) return -EIO;
    sqlite3_bind_int64(st, 1, b->tenant);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)addressee_no);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)code);
    int rc = sim_store_write(t->store, st);
    if (rc < 0) return rc;
    /* Code management is in SQLite; the maps index it in memory for the lookups every
     * inquiry makes, written through here (the only way codes enter). */
    uint64_t key = ((uint64_t)b->tenant + 1) << 32 | addressee_no;
    if (sim_map_put(&t->code_by_addressee, key, code) < 0 || sim_map_put(&t->addressee_by_code, code, key) < 0)
        return -ENOMEM;
    return 0;
}

static int replica_put(tenant_db *t, body *b, uint64_t addressee_no, const char *item_code,
                       const char *record_id, int schema, sim_time_t pub_start, sim_time_t pub_end,
                       const char *payload, size_t payload_len)
{
    sqlite3_stmt *st = sim_store_stmt(t->store, ST_REPLICA_PUT,
        "INSERT INTO replica (tenant, record_id, addressee_no, item, schema, pub_start, pub_end, payload)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!st) return -EIO;
    sqlite3_bind_int64(st, 1, b->tenant);
    sqlite3_bind_text(st, 2, record_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)addressee_no);
    sqlite3_bind_text(st, 4, item_code, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, schema);
    sqlite3_bind_int64(st, 6, pub_start);
    sqlite3_bind_int64(st, 7, pub_end);
    sqlite3_bind_text(st, 8, payload, (int)payload_len, SQLITE_STATIC);
    return sim_store_write(t->store, st);
}

int tenant_seed_replica(domain *d, tenant_db *t, body *b, uint64_t addressee_no, int item,
                        const char *record_id, sim_time_t pub_start, sim_time_t pub_end,
                        const char *payload)
{
    if (item < 0 || item >= d->nitems) return -EINVAL;
    return replica_put(t, b, addressee_no, d->items[item].code, record_id, 1, pub_start, pub_end,
                       payload, strlen(payload));
}

static bool code_of(tenant_db *t, body *b, uint64_t addressee_no, uint64_t *out)
{
    return sim_map_get(&t->code_by_addressee, ((uint64_t)b->tenant + 1) << 32 | addressee_no, out);
}

static bool addressee_of(tenant_db *t, body *b, uint64_t code, uint64_t *out)
{
    uint64_t key;
    if (!sim_map_get(&t->addressee_by_code, code, &key) || key >> 32 != (uint64_t)b->tenant + 1) return false;
    *out = key & UINT32_MAX;
    return true;
}

/* Reply to the body's own systems with the same flow id and an outcome. */
static void reply_to_body(sim_node *server, body *b, flow_kind kind, flow_msg *m, flow_error e)
{
    m->error = (uint8_t)e;
    if (b->node == server->id) {   /* an agency is its own server: handled by node_body.c */
        sim_msg *msg = sim_msg_new(server->world, (uint16_t)domain_get(server->world)->msg_type[kind], m, 256);
        if (!msg) return;
        msg->src = msg->dst = server->id;
        server->kind->receive(server, msg);
        return;
    }
    flow_send(server, b->node, kind, m, 256);
}

/* Merge the update's fields into the stored record; not_found if there is none, duplicate
 * never. Both payloads must be JSON objects (else the update is refused as malformed). */
static flow_error replica_update(tenant_db *t, body *b, flow_msg *m)
{
    sqlite3_stmt *get = sim_store_stmt(t->store, ST_REPLICA_BY_RECORD,
        "SELECT payload, pub_end FROM replica WHERE tenant = ?1 AND record_id = ?2");
    if (!get) return FLOW_UNREACHABLE;
    sqlite3_bind_int64(get, 1, b->tenant);
    sqlite3_bind_text(get, 2, m->record_id, -1, SQLITE_STATIC);
    if (sim_store_read(t->store, get) != 1) return FLOW_NOT_FOUND;
    cJSON *stored = cJSON_Parse((const char *)sqlite3_column_text(get, 0));
    sim_time_t pub_end = m->pub_end > 0 ? m->pub_end : sqlite3_column_int64(get, 1);
    sqlite3_reset(get);
    cJSON *update = cJSON_ParseWithLength((const char *)m->data, m->data_len);
    flow_error e = FLOW_UNREACHABLE;
    char *merged = NULL;
    if (cJSON_IsObject(stored) && cJSON_IsObject(update)) {
        for (cJSON *f = update->child; f; f = f->next) {
            cJSON *copy = cJSON_Duplicate(f, 1);
            if (!copy) break;
            if (cJSON_HasObjectItem(stored, f->string))
                cJSON_ReplaceItemInObjectCaseSensitive(stored, f->string, copy);
            else
                cJSON_AddItemToObject(stored, f->string, copy);
        }
        merged = cJSON_PrintUnformatted(stored);
    }
    sqlite3_stmt *put = merged ? sim_store_stmt(t->store, ST_REPLICA_UPDATE,
        "UPDATE replica SET payload = ?3, pub_end = ?4 WHERE tenant = ?1 AND record_id = ?2") : NULL;
    if (put) {
        sqlite3_bind_int64(put, 1, b->tenant);
        sqlite3_bind_text(put, 2, m->record_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(put, 3, merged, -1, SQLITE_STATIC);
        sqlite3_bind_int64(put, 4, pub_end);
        if (sim_store_write(t->store, put) == 0) e = FLOW_OK;
    }
    cJSON_free(merged);
    cJSON_Delete(stored);
    cJSON_Delete(update);
    return e;
}

static void replica_register(sim_node *server, tenant_db *t, body *b, flow_msg *m)
{
    domain *d = domain_get(server->world);
    if (m->partial) {
        flow_error e = replica_update(t, b, m);
        free(m->data);
        m->data = NULL;
        m->data_len = 0;
        reply_to_body(server, b, FLOW_REPLICA_ACK, m, e);
        return;
    }
    int rc = m->item < d->nitems
                 ? replica_put(t, b, m->addressee_no, d->items[m->item].code, m->record_id, m->schema,
                               m->pub_start, m->pub_end, (const char *)m->data, m->data_len)
                 : -EINVAL;
    free(m->data);
    m->data = NULL;
    m->data_len = 0;
    reply_to_body(server, b, FLOW_REPLICA_ACK, m,
                  rc == 0 ? FLOW_OK : rc == -EEXIST ? FLOW_DUPLICATE : FLOW_UNREACHABLE);
}

/* An inquiry from the body's existing systems: convert to the body's code, log, send on. */
static void inquiry_out(sim_node *server, tenant_db *t, body *b, flow_msg *m)
{
    if (!code_of(t, b, m->addressee_no, &m->code)) {
        reply_to_body(server, b, FLOW_PROVISION, m, FLOW_NO_CODE);
        return;
    }
    sqlite3_stmt *st = sim_store_stmt(t->store, ST_INQUIRY_LOG,
        "INSERT INTO inquiry_log VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (st) {
        sqlite3_bind_int64(st, 1, b->tenant);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)m->flow);
        sqlite3_bind_int64(st, 3, sim_node_now(server));
        sqlite3_bind_int(st, 4, m->procedure);
        sqlite3_bind_int(st, 5, m->item);
        sqlite3_bind_int64(st, 6, m->staff);
        sim_store_write(t->store, st);
    }
    m->addressee_no = 0;   /* the addressee number stays inside the body */
    flow_send(server, b->ifs, FLOW_INQUIRY, m, 512);
}

/* An inquiry from the NWS: answer from the replicas, automatically. */
static void inquiry_in(sim_node *server, tenant_db *t, body *b, flow_msg *m)
{
    domain *d = domain_get(server->world);
    flow_error e = FLOW_NOT_FOUND;
    uint64_t addressee;
    if (addressee_of(t, b, m->code, &addressee)) {
        sqlite3_stmt *st = sim_store_stmt(t->store, ST_REPLICA_GET,
            "SELECT payload FROM replica WHERE tenant = ?1 AND addressee_no = ?2 AND item = ?3"
            " AND pub_start <= ?4 AND ?4 < pub_end ORDER BY pub_start DESC LIMIT 1");
        if (st && m->item < d->nitems) {
            sqlite3_bind_int64(st, 1, b->tenant);
            sqlite3_bind_int64(st, 2, (sqlite3_int64)addressee);
            sqlite3_bind_text(st, 3, d->items[m->item].code, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 4, sim_node_now(server));
            if (sim_store_read(t->store, st) == 1) {
                int n = sqlite3_column_bytes(st, 0);
                m->data = malloc((size_t)n + 1);
                if (m->data) {
                    memcpy(m->data, sqlite3_column_text(st, 0), (size_t)n);
                    m->data_len = (uint32_t)n;
                    e = FLOW_OK;
                }
            }
        }
    }
    sqlite3_stmt *log = sim_store_stmt(t->store, ST_PROVISION_LOG,
        "INSERT INTO provision_log VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    if (log) {
        sqlite3_bind_int64(log, 1, b->tenant);
        sqlite3_bind_int64(log, 2, (sqlite3_int64)m->serial_no);
        sqlite3_bind_int64(log, 3, sim_node_now(server));
        sqlite3_bind_int64(log, 4, m->inquirer);
        sqlite3_bind_int(log, 5, m->item);
        sqlite3_bind_text(log, 6, flow_error_name(e), -1, SQLITE_STATIC);
        sim_store_write(t->store, log);
    }
    m->code = 0;   /* the provider's code is not the inquirer's business */
    m->error = (uint8_t)e;
    flow_send(server, b->ifs, FLOW_PROVISION, m, 512);
}

/* A provision (or an error) for one of our inquiries: log the serial number, hand it over. */
static void provision_in(sim_node *server, tenant_db *t, body *b, flow_msg *m)
{
    sqlite3_stmt *st = sim_store_stmt(t->store, ST_RECEIPT_LOG,
        "INSERT INTO receipt_log VALUES (?1, ?2, ?3, ?4, ?5)");
    if (st && m->serial_no) {
        sqlite3_bind_int64(st, 1, b->tenant);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)m->serial_no);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)m->flow);
        sqlite3_bind_int64(st, 4, sim_node_now(server));
        sqlite3_bind_text(st, 5, flow_error_name(m->error), -1, SQLITE_STATIC);
        sim_store_write(t->store, st);
    }
    m->code = 0;
    reply_to_body(server, b, FLOW_PROVISION, m, (flow_error)m->error);
}

static void code_request_out(sim_node *server, tenant_db *t, body *b, flow_msg *m)
{
    domain *d = domain_get(server->world);
    if (sim_map_put(&t->pending, m->flow, m->addressee_no) < 0 || d->jlis == UINT32_MAX) {
        reply_to_body(server, b, FLOW_CODE_RESPONSE, m, FLOW_UNREACHABLE);
        return;
    }
    m->addressee_no = 0;
    flow_send(server, d->jlis, FLOW_CODE_REQUEST, m, 256);
}

static void code_response_in(sim_node *server, tenant_db *t, body *b, flow_msg *m)
{
    uint64_t addressee;
    if (!sim_map_del(&t->pending, m->flow, &addressee)) {
        flow_msg_free(m);   /* an answer to nothing we asked: ignore */
        return;
    }
    flow_error e = m->error;
    if (e == FLOW_OK && tenant_seed_code(t, b, addressee, m->code) < 0) e = FLOW_DUPLICATE;
    m->addressee_no = addressee;
    m->acquisition_no = 0;   /* nobody keeps the acquisition number */
    m->code = 0;       /* the existing systems never see the code */
    reply_to_body(server, b, FLOW_CODE_RESPONSE, m, e);
}

void tenant_receive(sim_node *server, tenant_db *t, body *b, flow_kind kind, flow_msg *m)
{
    tenant_db_index(t);   /* the run has begun: lookups and duplicate checks need them */
    bool from_body = m->addressee_no != 0 || kind == FLOW_REPLICA;
    switch (kind) {
    case FLOW_REPLICA: replica_register(server, t, b, m); break;
    case FLOW_CODE_REQUEST: code_request_out(server, t, b, m); break;
    case FLOW_CODE_RESPONSE: code_response_in(server, t, b, m); break;
    case FLOW_INQUIRY:
        if (from_body)
            inquiry_out(server, t, b, m);
        else
            inquiry_in(server, t, b, m);
        break;
    case FLOW_PROVISION: provision_in(server, t, b, m); break;
    default: flow_msg_free(m);
    }
}

/* ---- the site node --------------------------------------------------------------------- */

typedef struct site {
    tenant_db db;
} site;

static void site_receive(sim_node *self, sim_msg *msg)
{
    domain *d = domain_get(self->world);
    flow_msg *m = msg->payload;
    flow_kind kind = flow_kind_of(d, msg->type);
    /* Which tenant: the sender if it is a body; else the inquirer (answers) or provider. */
    body *b = domain_body(d, msg->src);
    if (!b) b = domain_body(d, kind == FLOW_INQUIRY ? m->provider : m->inquirer);
    msg->payload = NULL;
    sim_msg_free(self->world, msg);
    if (!b || kind == FLOW_KINDS) {
        flow_msg_free(m);
        return;
    }
    tenant_receive(self, &((site *)self->state)->db, b, kind, m);
}

static void site_destroy(sim_node *self)
{
    site *s = self->state;
    if (!s) return;
    tenant_db_close(&s->db);
    free(s);
}

const sim_node_kind node_site_kind = {.name = "site", .receive = site_receive, .destroy = site_destroy};

/* Used by the Lua constructor: a site with its store. */
int node_site_create(sim_world *w, const char *name, sim_node **out);
int node_site_create(sim_world *w, const char *name, sim_node **out)
{
    domain *d = domain_get(w);
    site *s = calloc(1, sizeof *s);
    if (!d || !s) {
        free(s);
        return -ENOMEM;
    }
    int rc = tenant_db_open(d, &s->db, name);
    if (rc == 0) rc = sim_world_add_node(w, &node_site_kind, name, s, out);
    if (rc < 0) {
        tenant_db_close(&s->db);
        free(s);
    }
    return rc;
}

tenant_db *domain_node_db(domain *d, uint32_t node)
{
    sim_node *n = sim_world_node(d->w, node);
    if (n && n->kind == &node_site_kind) return &((site *)n->state)->db;
    body *b = domain_body(d, node);
    return b ? b->own_db : NULL;
}
