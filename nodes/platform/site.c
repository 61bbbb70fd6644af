/* platform/site.c - a platform site (自治体中間サーバー・プラットフォーム) and the tenant logic of
 * an intermediate server (自治体中間サーバー), which agencies reuse for their own server.
 *
 * Per tenant, in the site's SQLite store: code management (addressee number <-> agency code),
 * the provision database of replicas, and the inquiry and provision logs with serial numbers.
 * Code acquisition (Art. 21-2): the server issues the one-time acquisition number and matches
 * the NWS's answer on it. Inquiries from the body's existing systems are converted to its code
 * and sent through the interface system; inquiries from the NWS are answered automatically from replicas.
 * Every write is also recorded for mirroring to the tenant's other site (platform/ha.c), and a
 * site answers only for the tenants it serves now. Replica rows carry a checksum: a row that
 * fails it is fetched back from the other site before the inquiry is answered. */
#include "domain/domain.h"
#include "platform/platform_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SCHEMA[] =
    "CREATE TABLE code_mgmt (tenant INTEGER, addressee_no INTEGER, code INTEGER,"
    "  PRIMARY KEY (tenant, addressee_no)) WITHOUT ROWID;"
    /* Keyed the way inquiries read it (one search finds the newest publication); the
     * unique index on the record id refuses duplicates at registration. */
    "CREATE TABLE replica (tenant INTEGER, addressee_no INTEGER, item TEXT, pub_start INTEGER,"
    "  record_id TEXT, schema INTEGER, pub_end INTEGER, payload TEXT, digest INTEGER,"
    "  PRIMARY KEY (tenant, addressee_no, item, pub_start, record_id)) WITHOUT ROWID;"
    /* The logs are appended to during the run and read once at its end (reconciliation):
     * plain rowid tables, so an insert is an append rather than a search. */
    /* With the receipts, they are the servers' access records (情報提供等記録, Art. 23): the
     * person as this holder's own pseudonym (its addressee number), who asked whom, when,
     * under which procedure, for which item, the serial number, the outcome, and the 不開示
     * mark (withheld). */
    "CREATE TABLE inquiry_log (tenant INTEGER, flow INTEGER, t INTEGER, procedure INTEGER,"
    "  item INTEGER, staff INTEGER, addressee_no INTEGER, provider INTEGER, withheld INTEGER);"
    "CREATE TABLE provision_log (tenant INTEGER, serial_no INTEGER, t INTEGER, inquirer INTEGER,"
    "  item INTEGER, outcome TEXT, addressee_no INTEGER, procedure INTEGER, withheld INTEGER);"
    "CREATE TABLE receipt_log (tenant INTEGER, serial_no INTEGER, flow INTEGER, t INTEGER,"
    "  outcome TEXT);"
    "CREATE VIEW inquirer_records AS SELECT i.tenant, r.serial_no, i.t, i.addressee_no AS person,"
    "  i.provider, i.procedure, i.item, i.staff, coalesce(r.outcome, 'pending') AS outcome, i.withheld"
    "  FROM inquiry_log i LEFT JOIN receipt_log r ON r.tenant = i.tenant AND r.flow = i.flow;"
    "CREATE VIEW provider_records AS SELECT tenant, serial_no, t, addressee_no AS person, inquirer,"
    "  procedure, item, outcome, withheld FROM provision_log;";

/* The secondary indexes are built once the day-before state is loaded: sorting them in one
 * go is several times faster than growing them row by row (platform_tenant_db_index). */
static const char INDEXES[] =
    "CREATE UNIQUE INDEX IF NOT EXISTS code_mgmt_code ON code_mgmt (tenant, code);"
    "CREATE UNIQUE INDEX IF NOT EXISTS replica_record ON replica (tenant, record_id);";

int platform_tenant_db_index(tenant_db *t)
{
    if (t->indexed) return 0;
    int rc = sim_store_exec(t->store, INDEXES);
    t->indexed = rc == 0;
    return rc;
}

int platform_tenant_db_open(domain *d, tenant_db *t, const char *name)
{
    *t = (tenant_db){0};
    int rc = sim_store_open(d->db_dir, name, &t->store);
    if (rc == 0) rc = sim_store_exec(t->store, SCHEMA);
    return rc;
}

void platform_tenant_db_close(tenant_db *t)
{
    sim_store_close(t->store);
    sim_map_free(&t->code_by_addressee);
    sim_map_free(&t->addressee_by_code);
    sim_map_free(&t->pending);
}

int platform_tenant_seed_code(tenant_db *t, body *b, uint64_t addressee_no, uint64_t code)
{
    sqlite3_stmt *st = sim_store_stmt(t->store, TENANT_ST_CODE_PUT,
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
    sqlite3_stmt *st = sim_store_stmt(t->store, TENANT_ST_REPLICA_PUT,
        "INSERT INTO replica (tenant, record_id, addressee_no, item, schema, pub_start, pub_end, payload, digest)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!st) return -EIO;
    sqlite3_bind_int64(st, 1, b->tenant);
    sqlite3_bind_text(st, 2, record_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)addressee_no);
    sqlite3_bind_text(st, 4, item_code, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, schema);
    sqlite3_bind_int64(st, 6, pub_start);
    sqlite3_bind_int64(st, 7, pub_end);
    sqlite3_bind_text(st, 8, payload, (int)payload_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)platform_replica_digest(payload, payload_len, pub_end));
    return sim_store_write(t->store, st);
}

/* FNV-1a over the payload and the end of publication: the row's checksum, and what the
 * recovery audit compares between sites. */
uint64_t platform_replica_digest(const char *payload, size_t len, int64_t pub_end)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)payload[i]) * UINT64_C(0x100000001b3);
    for (int i = 0; i < 8; i++) h = (h ^ ((uint64_t)pub_end >> (8 * i) & 0xff)) * UINT64_C(0x100000001b3);
    return h >> 1;   /* fits SQLite's signed integers */
}

/* The digest of the row as stored now (payload and end), or -ENOENT; *written (may be NULL)
 * gets the checksum it was written with: they differ when the row was damaged since. */
int platform_tenant_replica_digest(tenant_db *t, uint32_t tenant, const char *record_id, uint64_t *out, uint64_t *written)
{
    sqlite3_stmt *st = sim_store_stmt(t->store, TENANT_ST_REPLICA_DIGEST,
        "SELECT payload, pub_end, digest FROM replica WHERE tenant = ?1 AND record_id = ?2");
    if (!st) return -EIO;
    sqlite3_bind_int64(st, 1, tenant);
    sqlite3_bind_text(st, 2, record_id, -1, SQLITE_TRANSIENT);
    if (sim_store_read(t->store, st) != 1) return -ENOENT;
    *out = platform_replica_digest((const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                          sqlite3_column_int64(st, 1));
    if (written) *written = (uint64_t)sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    return 0;
}

/* Apply one mirrored record (platform/mirror.c): upserts and appends, each applied once. */
int platform_tenant_apply(tenant_db *t, const mirror_rec *r, const domain *d)
{
    static const char *const log_sql[] = {
        [REC_INQUIRY_LOG] = "INSERT INTO inquiry_log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        [REC_PROVISION_LOG] = "INSERT INTO provision_log VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        [REC_RECEIPT_LOG] = "INSERT INTO receipt_log VALUES (?1, ?2, ?3, ?4, ?5)"};
    static const int log_slot[] = {[REC_INQUIRY_LOG] = TENANT_ST_INQUIRY_LOG, [REC_PROVISION_LOG] = TENANT_ST_PROVISION_LOG,
                                   [REC_RECEIPT_LOG] = TENANT_ST_RECEIPT_LOG};
    if (r->op == REC_CODE) {
        body b = {.tenant = r->tenant};
        uint64_t key = ((uint64_t)r->tenant + 1) << 32 | (uint64_t)r->v[0], old;
        if (sim_map_get(&t->code_by_addressee, key, &old)) return old == (uint64_t)r->v[1] ? 0 : -EEXIST;
        return platform_tenant_seed_code(t, &b, (uint64_t)r->v[0], (uint64_t)r->v[1]);
    }
    if (r->op == REC_REPLICA) {
        if (r->v[1] < 0 || r->v[1] >= d->nitems || !r->text) return -EINVAL;
        sqlite3_stmt *st = sim_store_stmt(t->store, TENANT_ST_REPLICA_UPSERT,
            "INSERT OR REPLACE INTO replica (tenant, record_id, addressee_no, item, schema, pub_start, pub_end,"
            " payload, digest) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
        if (!st) return -EIO;
        size_t len = strlen(r->text);
        sqlite3_bind_int64(st, 1, r->tenant);
        sqlite3_bind_text(st, 2, r->record_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, r->v[0]);
        sqlite3_bind_text(st, 4, d->items[r->v[1]].code, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, r->v[2]);
        sqlite3_bind_int64(st, 6, r->v[3]);
        sqlite3_bind_int64(st, 7, r->v[4]);
        sqlite3_bind_text(st, 8, r->text, (int)len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 9, (sqlite3_int64)(r->digest ? r->digest : platform_replica_digest(r->text, len, r->v[4])));
        return sim_store_write(t->store, st);
    }
    if (r->op > REC_RECEIPT_LOG) return -EINVAL;
    sqlite3_stmt *st = sim_store_stmt(t->store, log_slot[r->op], log_sql[r->op]);
    if (!st) return -EIO;
    sqlite3_bind_int64(st, 1, r->tenant);
    /* inquiry log: flow, t, procedure, item, staff, addressee, provider, withheld;
     * provision log: serial, t, inquirer, item, outcome, addressee, procedure, withheld;
     * receipt log: serial, flow, t, outcome */
    int n = r->op == REC_RECEIPT_LOG ? 3 : r->op == REC_PROVISION_LOG ? 4 : 8;
    for (int i = 0; i < n; i++) sqlite3_bind_int64(st, 2 + i, r->v[i]);
    /* the outcome rides as a number (no string to copy per log record) */
    if (r->op != REC_INQUIRY_LOG) sqlite3_bind_text(st, 2 + n, domain_error_name((flow_error)r->v[n]), -1, SQLITE_STATIC);
    if (r->op == REC_PROVISION_LOG)
        for (int i = 5; i < 8; i++) sqlite3_bind_int64(st, 2 + i, r->v[i]);
    return sim_store_write(t->store, st);
}

/* Rebuild the in-memory code index from SQLite (after a resynchronisation replaced rows). */
int platform_tenant_reload_index(tenant_db *t)
{
    sim_map_free(&t->code_by_addressee);
    sim_map_free(&t->addressee_by_code);
    sqlite3_stmt *st = sim_store_stmt(t->store, TENANT_ST_CODES_ALL, "SELECT tenant, addressee_no, code FROM code_mgmt");
    if (!st) return -EIO;
    while (sim_store_read(t->store, st) == 1) {
        uint64_t key = ((uint64_t)sqlite3_column_int64(st, 0) + 1) << 32 | (uint64_t)sqlite3_column_int64(st, 1);
        uint64_t code = (uint64_t)sqlite3_column_int64(st, 2);
        if (sim_map_put(&t->code_by_addressee, key, code) < 0 || sim_map_put(&t->addressee_by_code, code, key) < 0) {
            sqlite3_reset(st);
            return -ENOMEM;
        }
    }
    return 0;
}

int platform_tenant_copy_index(tenant_db *dst, const tenant_db *src)
{
    int rc = sim_map_copy(&dst->code_by_addressee, &src->code_by_addressee);
    if (rc == 0) rc = sim_map_copy(&dst->addressee_by_code, &src->addressee_by_code);
    return rc;
}

int platform_tenant_seed_replica(domain *d, tenant_db *t, body *b, uint64_t addressee_no, int item,
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
void platform_site_reply_to_body(sim_node *server, body *b, flow_kind kind, flow_msg *m, flow_error e)
{
    m->error = (uint8_t)e;
    if (b->node == server->id) {   /* an agency is its own server: handled by kinds/body.c */
        sim_msg *msg = sim_msg_new(server->world, (uint16_t)domain_get(server->world)->msg_type[kind], m, 256);
        if (!msg) return;
        msg->src = msg->dst = server->id;
        server->kind->receive(server, msg);
        return;
    }
    domain_send(server, b->node, kind, m, 256);
}

static bool is_site(const sim_node *n) { return n->kind == &platform_site_kind; }

/* This server's store refused a write of m's flow (disk full, I/O): the cause it fails with.
 * Only where the store failed: a server relaying an error from elsewhere names no cause. */
static void store_failed(sim_node *server, const flow_msg *m)
{
    domain_flow_blame(domain_get(server->world), m->inquirer, m->flow, CAUSE_DISK, server->id, UINT32_MAX);
}

/* A write for mirroring to the tenant's other site (sites only: an agency has no backup). */
static void mirror_write(sim_node *server, const body *b, mirror_rec rec)
{
    if (is_site(server)) platform_ha_record(server, b, &rec);
    else free(rec.text);
}

/* The answer to a write: on success it is in the recovery ledger, and in synchronous mode it
 * leaves only once the other site has the write. */
static void reply_write(sim_node *server, body *b, flow_kind kind, flow_msg *m, flow_error e,
                        mirror_op op, uint64_t addressee, uint64_t digest)
{
    domain *d = domain_get(server->world);
    if (e == FLOW_SERVER_ERROR) store_failed(server, m);
    if (e == FLOW_OK) platform_tell_write_acked(d, server->id, m->flow, b->tenant, op, addressee, m->record_id, digest);
    if (is_site(server))
        platform_ha_reply(server, b, kind, m, e, platform_site_reply_to_body);
    else
        platform_site_reply_to_body(server, b, kind, m, e);
}

static flow_error store_error(int rc) { return rc == -EEXIST ? FLOW_DUPLICATE : FLOW_SERVER_ERROR; }

/* Merge the update's fields into the stored record; not_found if there is none, duplicate
 * never. Both payloads must be JSON objects (else the update is refused as malformed). On
 * success *rec is the record's new image, for mirroring. */
static flow_error replica_update(tenant_db *t, body *b, flow_msg *m, domain *d, mirror_rec *rec)
{
    sqlite3_stmt *get = sim_store_stmt(t->store, TENANT_ST_REPLICA_BY_RECORD,
        "SELECT payload, pub_end, addressee_no, item, schema, pub_start FROM replica"
        " WHERE tenant = ?1 AND record_id = ?2");
    if (!get) return FLOW_SERVER_ERROR;
    sqlite3_bind_int64(get, 1, b->tenant);
    sqlite3_bind_text(get, 2, m->record_id, -1, SQLITE_STATIC);
    if (sim_store_read(t->store, get) != 1) return FLOW_NOT_FOUND;
    cJSON *stored = cJSON_Parse((const char *)sqlite3_column_text(get, 0));
    sim_time_t pub_end = m->pub_end > 0 ? m->pub_end : sqlite3_column_int64(get, 1);
    *rec = (mirror_rec){.op = REC_REPLICA, .flow = m->flow,
                      .v = {sqlite3_column_int64(get, 2), domain_item(d, (const char *)sqlite3_column_text(get, 3)),
                            sqlite3_column_int64(get, 4), sqlite3_column_int64(get, 5), pub_end}};
    snprintf(rec->record_id, sizeof rec->record_id, "%s", m->record_id);
    /* the row's primary key, so the update below finds it in one search, not two (the
     * record-id index, then the table) */
    char item[40];
    snprintf(item, sizeof item, "%s", (const char *)sqlite3_column_text(get, 3));
    sqlite3_reset(get);
    cJSON *update = cJSON_ParseWithLength((const char *)m->data, m->data_len);
    flow_error e = FLOW_SERVER_ERROR;
    char *merged = NULL;
    if (!cJSON_IsObject(stored) && cJSON_IsObject(update)) {
        /* The stored row is damaged (corrupt_replica): merging into it would store garbage. */
        e = FLOW_INTEGRITY;
        domain_flow_blame(d, m->inquirer, m->flow, CAUSE_DAMAGED_ROW, b->server, UINT32_MAX);
    }
    if (cJSON_IsObject(stored) && cJSON_IsObject(update)) {
        for (cJSON *f = update->child; f; f = f->next) {
            cJSON *copy = cJSON_Duplicate(f, 1);
            if (!copy) break;
            if (cJSON_GetObjectItemCaseSensitive(stored, f->string))
                cJSON_ReplaceItemInObjectCaseSensitive(stored, f->string, copy);
            else
                cJSON_AddItemToObject(stored, f->string, copy);
        }
        merged = cJSON_PrintUnformatted(stored);
    }
    sqlite3_stmt *put = merged ? sim_store_stmt(t->store, TENANT_ST_REPLICA_UPDATE,
        "UPDATE replica SET payload = ?3, pub_end = ?4, digest = ?5 WHERE tenant = ?1 AND addressee_no = ?6"
        " AND item = ?7 AND pub_start = ?8 AND record_id = ?2") : NULL;
    if (put) {
        sqlite3_bind_int64(put, 1, b->tenant);
        sqlite3_bind_text(put, 2, m->record_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(put, 6, rec->v[0]);
        sqlite3_bind_text(put, 7, item, -1, SQLITE_STATIC);
        sqlite3_bind_int64(put, 8, rec->v[3]);
        sqlite3_bind_text(put, 3, merged, -1, SQLITE_STATIC);
        sqlite3_bind_int64(put, 4, pub_end);
        sqlite3_bind_int64(put, 5, (sqlite3_int64)platform_replica_digest(merged, strlen(merged), pub_end));
        int rc = sim_store_write(t->store, put);
        if (rc == 0) {
            e = FLOW_OK;
            rec->text = merged;
            merged = NULL;
        } else {
            e = store_error(rc);
        }
    }
    cJSON_free(merged);
    cJSON_Delete(stored);
    cJSON_Delete(update);
    return e;
}

static void replica_register(sim_node *server, tenant_db *t, body *b, flow_msg *m)
{
    domain *d = domain_get(server->world);
    mirror_rec rec = {0};
    flow_error e;
    if (is_site(server) && !platform_ha_write_allowed(server, b)) {
        domain_flow_blame(d, m->inquirer, m->flow, CAUSE_NO_BACKUP, server->id, platform_ha_of(server)->peer);
        free(m->data);
        m->data = NULL;
        m->data_len = 0;
        platform_site_reply_to_body(server, b, FLOW_REPLICA_ACK, m, FLOW_UNREACHABLE);
        return;
    }
    if (m->partial) {
        e = replica_update(t, b, m, d, &rec);
    } else {
        int rc = m->item < d->nitems
                     ? replica_put(t, b, m->addressee_no, d->items[m->item].code, m->record_id, m->schema,
                                   m->pub_start, m->pub_end, (const char *)m->data, m->data_len)
                     : -EINVAL;
        e = rc == 0 ? FLOW_OK : store_error(rc);
        if (rc == 0) {
            rec = (mirror_rec){.op = REC_REPLICA, .flow = m->flow,
                             .v = {(int64_t)m->addressee_no, m->item, m->schema, m->pub_start, m->pub_end},
                             .text = strndup((const char *)m->data, m->data_len)};
            snprintf(rec.record_id, sizeof rec.record_id, "%s", m->record_id);
        }
    }
    uint64_t digest = rec.text ? platform_replica_digest(rec.text, strlen(rec.text), rec.v[4]) : 0;
    uint64_t addressee = (uint64_t)rec.v[0];
    if (e == FLOW_OK) mirror_write(server, b, rec);
    else free(rec.text);
    free(m->data);
    m->data = NULL;
    m->data_len = 0;
    reply_write(server, b, FLOW_REPLICA_ACK, m, e, REC_REPLICA, addressee, digest);
}

/* A log row, mirrored like any write. The logs are the access records' other halves: a
 * server that cannot write one does not act on the flow (-ENOSPC and the like). */
static int log_write(sim_node *server, tenant_db *t, const body *b, mirror_rec rec)
{
    rec.tenant = b->tenant;
    int rc = platform_tenant_apply(t, &rec, domain_get(server->world));
    if (rc == 0) mirror_write(server, b, rec);
    else free(rec.text);
    return rc;
}

/* An inquiry from the body's existing systems: identify and authorise the staff member (the
 * inquirer's duty, seed slide 14: refused here, never at the NWS), convert to the body's code,
 * log with the staff member, send on without the staff id. */
static void inquiry_out(sim_node *server, tenant_db *t, body *b, flow_msg *m)
{
    domain *d = domain_get(server->world);
    if (d->hours && !sim_calendar_is_open(d->hours, sim_node_now(server))) {   /* an answer, not silence */
        platform_site_reply_to_body(server, b, FLOW_PROVISION, m, FLOW_OUT_OF_HOURS);
        return;
    }
    if (domain_stop_at(d, sim_node_now(server))) {   /* a planned stop: the same */
        platform_site_reply_to_body(server, b, FLOW_PROVISION, m, FLOW_MAINTENANCE);
        return;
    }
    flow_error staff = domain_staff_check(b, m->staff, m->procedure);
    if (staff != FLOW_OK) {
        platform_site_reply_to_body(server, b, FLOW_PROVISION, m, staff);
        return;
    }
    if (!code_of(t, b, m->addressee_no, &m->code)) {
        platform_site_reply_to_body(server, b, FLOW_PROVISION, m, FLOW_NO_CODE);
        return;
    }
    if (log_write(server, t, b, (mirror_rec){.op = REC_INQUIRY_LOG,
                         .v = {(int64_t)m->flow, sim_node_now(server), m->procedure, m->item, m->staff,
                               (int64_t)m->addressee_no, m->provider, m->withheld}}) < 0) {
        store_failed(server, m);
        platform_site_reply_to_body(server, b, FLOW_PROVISION, m, FLOW_SERVER_ERROR);
        return;
    }
    m->addressee_no = 0;   /* the addressee number stays inside the body */
    m->staff = 0;          /* so does the staff member: the inquiry log above holds it */
    m->staff_checked = 1;
    domain_send(server, b->ifs, FLOW_INQUIRY, m, 512);
}

/* Answer an inquiry from the NWS from the replicas. A row failing its checksum is repaired
 * from the other site first when `repair` allows (once), else it is an integrity error. */
static void answer_inquiry(sim_node *server, tenant_db *t, body *b, flow_msg *m, bool repair)
{
    domain *d = domain_get(server->world);
    flow_error e = FLOW_NOT_FOUND;
    uint64_t addressee = 0;
    bool found = addressee_of(t, b, m->code, &addressee);
    if (found) {
        sqlite3_stmt *st = sim_store_stmt(t->store, TENANT_ST_REPLICA_GET,
            "SELECT payload, pub_end, digest, record_id FROM replica WHERE tenant = ?1 AND addressee_no = ?2"
            " AND item = ?3 AND pub_start <= ?4 AND ?4 < pub_end ORDER BY pub_start DESC LIMIT 1");
        if (st && m->item < d->nitems) {
            sqlite3_bind_int64(st, 1, b->tenant);
            sqlite3_bind_int64(st, 2, (sqlite3_int64)addressee);
            sqlite3_bind_text(st, 3, d->items[m->item].code, -1, SQLITE_STATIC);
            sqlite3_bind_int64(st, 4, sim_node_now(server));
            if (sim_store_read(t->store, st) == 1) {
                int n = sqlite3_column_bytes(st, 0);
                const char *payload = (const char *)sqlite3_column_text(st, 0);
                bool intact = platform_replica_digest(payload, (size_t)n, sqlite3_column_int64(st, 1)) ==
                              (uint64_t)sqlite3_column_int64(st, 2);
                if (!intact && repair && is_site(server)) {
                    char record_id[24];
                    snprintf(record_id, sizeof record_id, "%s", (const char *)sqlite3_column_text(st, 3));
                    sqlite3_reset(st);
                    platform_ha_repair(server, b, m, record_id);
                    return;
                }
                m->data = intact ? malloc((size_t)n + 1) : NULL;
                if (m->data) {
                    memcpy(m->data, payload, (size_t)n);
                    m->data_len = (uint32_t)n;
                    e = FLOW_OK;
                } else {
                    e = intact ? FLOW_SERVER_ERROR : FLOW_INTEGRITY;
                }
                sqlite3_reset(st);
            }
        }
    }
    if (log_write(server, t, b, (mirror_rec){.op = REC_PROVISION_LOG,
                         .v = {(int64_t)m->serial_no, sim_node_now(server), m->inquirer, m->item, e,
                               found ? (int64_t)addressee : 0, m->procedure, m->withheld}}) < 0) {
        free(m->data);   /* unrecorded, so not provided */
        m->data = NULL;
        m->data_len = 0;
        e = FLOW_SERVER_ERROR;
    }
    if (e == FLOW_INTEGRITY || e == FLOW_SERVER_ERROR)
        domain_flow_blame(domain_get(server->world), m->inquirer, m->flow,
                          e == FLOW_INTEGRITY ? CAUSE_DAMAGED_ROW : CAUSE_DISK, server->id, UINT32_MAX);
    m->code = 0;   /* the provider's code is not the inquirer's business */
    m->error = (uint8_t)e;
    domain_send(server, b->ifs, FLOW_PROVISION, m, 512);
}

void platform_site_answer_inquiry(sim_node *site, body *b, flow_msg *m)
{
    answer_inquiry(site, platform_site_db(site), b, m, false);
}

/* A provision (or an error) for one of our inquiries: log the serial number, hand it over. */
static void provision_in(sim_node *server, tenant_db *t, body *b, flow_msg *m)
{
    if (m->serial_no &&
        log_write(server, t, b, (mirror_rec){.op = REC_RECEIPT_LOG,
                             .v = {(int64_t)m->serial_no, (int64_t)m->flow, sim_node_now(server), m->error}}) < 0) {
        free(m->data);   /* not recorded as received: not handed over either */
        m->data = NULL;
        m->data_len = 0;
        m->error = FLOW_SERVER_ERROR;
        store_failed(server, m);
    }
    m->code = 0;
    platform_site_reply_to_body(server, b, FLOW_PROVISION, m, (flow_error)m->error);
}

/* Code acquisition, step 1 (Art. 21-2): the body asks for a code for an addressee. The server
 * issues a one-time acquisition number (取得番号), remembers which addressee it stands for, and
 * hands it back to the body's integrated addressee system, which sends it with the
 * resident-record code through its own 住基ネット connection to J-LIS: the resident-record code
 * never passes through the intermediate server, and the addressee number never leaves it. */
static void code_request_out(sim_node *server, tenant_db *t, body *b, flow_msg *m)
{
    if (domain_stop_at(domain_get(server->world), sim_node_now(server))) {   /* the NWS is stopped as planned */
        platform_site_reply_to_body(server, b, FLOW_CODE_RESPONSE, m, FLOW_MAINTENANCE);
        return;
    }
    uint64_t acq = 0;
    for (int attempt = 0; attempt < 8 && !acq; attempt++) {   /* one-time: never one still waiting */
        acq = 1 + sim_rng_next(&server->rng) % 999999999999ull;
        if (sim_map_get(&t->pending, acq, NULL)) acq = 0;
    }
    if (!acq || sim_map_put(&t->pending, acq, m->addressee_no) < 0) {
        platform_site_reply_to_body(server, b, FLOW_CODE_RESPONSE, m, FLOW_SERVER_ERROR);
        return;
    }
    m->acquisition_no = acq;
    platform_site_reply_to_body(server, b, FLOW_CODE_REQUEST, m, FLOW_OK);
}

/* Code acquisition, last step: the NWS's answer arrives through the interface system with the
 * acquisition number. It is matched on that number alone, which is then forgotten; an answer
 * that matches nothing is counted and answered explicitly (the body's flow ends with it). */
static void code_response_in(sim_node *server, tenant_db *t, body *b, flow_msg *m)
{
    domain *d = domain_get(server->world);
    uint64_t addressee;
    if (!m->acquisition_no || !sim_map_del(&t->pending, m->acquisition_no, &addressee)) {
        d->stats.unknown_acquisitions++;
        m->code = 0;   /* a code for no addressee of ours: not kept, not passed on */
        m->acquisition_no = 0;
        platform_site_reply_to_body(server, b, FLOW_CODE_RESPONSE, m, FLOW_UNKNOWN_ACQUISITION);
        return;
    }
    flow_error e = m->error;
    uint64_t code = m->code;
    if (e == FLOW_OK && is_site(server) && !platform_ha_write_allowed(server, b)) {
        e = FLOW_UNREACHABLE;
        domain_flow_blame(domain_get(server->world), m->inquirer, m->flow, CAUSE_NO_BACKUP, server->id,
                          platform_ha_of(server)->peer);
    }
    if (e == FLOW_OK) {
        int rc = platform_tenant_seed_code(t, b, addressee, code);
        e = rc == 0 ? FLOW_OK : store_error(rc);
        if (rc == 0) mirror_write(server, b, (mirror_rec){.op = REC_CODE, .flow = m->flow, .v = {(int64_t)addressee, (int64_t)code}});
    }
    m->addressee_no = addressee;
    m->acquisition_no = 0;   /* matched: forgotten */
    m->code = 0;       /* the existing systems never see the code */
    reply_write(server, b, FLOW_CODE_RESPONSE, m, e, REC_CODE, addressee, code);
}

void platform_tenant_receive(sim_node *server, tenant_db *t, body *b, flow_kind kind, flow_msg *m)
{
    platform_tenant_db_index(t);   /* the run has begun: lookups and duplicate checks need them */
    bool from_body = m->addressee_no != 0 || kind == FLOW_REPLICA;
    switch (kind) {
    case FLOW_REPLICA: replica_register(server, t, b, m); break;
    case FLOW_CODE_REQUEST: code_request_out(server, t, b, m); break;
    case FLOW_CODE_RESPONSE: code_response_in(server, t, b, m); break;
    case FLOW_INQUIRY:
        if (from_body)
            inquiry_out(server, t, b, m);
        else
            answer_inquiry(server, t, b, m, true);
        break;
    case FLOW_PROVISION: provision_in(server, t, b, m); break;
    default: domain_msg_free(m);
    }
}

/* ---- the site node --------------------------------------------------------------------- */

typedef struct site_state {
    tenant_db db;
    site_ha ha;
} site_state;

site_ha *platform_ha_of(sim_node *site) { return &((site_state *)site->state)->ha; }
tenant_db *platform_site_db(sim_node *site) { return &((site_state *)site->state)->db; }

/* A request for a tenant this site does not serve now (it failed over, or this site is
 * fenced): refused with an explicit error, never silently dropped, and counted. Answers to
 * our own inquiries still pass (they write nothing but the receipt log). */
static bool refuse(sim_node *self, body *b, flow_kind kind, flow_msg *m, bool from_body)
{
    domain *d = domain_get(self->world);
    if (kind == FLOW_PROVISION || platform_ha_serves(self, b)) return false;
    domain_flow_blame(d, m->inquirer, m->flow, CAUSE_NOT_SERVING, self->id, b->home);
    platform_ha_of(self)->refused++;
    platform_ha_stats_get(d)->refused_requests++;
    if (kind == FLOW_INQUIRY && !from_body) {   /* from the NWS: answer through our ifs */
        m->code = 0;
        m->error = FLOW_UNREACHABLE;
        domain_send(self, platform_ha_of(self)->ifs, FLOW_PROVISION, m, 256);
        return true;
    }
    if (kind == FLOW_CODE_RESPONSE) {   /* its acquisition number is spent either way */
        if (!m->acquisition_no || !sim_map_del(&platform_site_db(self)->pending, m->acquisition_no, &m->addressee_no))
            m->addressee_no = 0;
        m->acquisition_no = 0;
    }
    static const flow_kind answer[FLOW_KINDS] = {[FLOW_CODE_REQUEST] = FLOW_CODE_RESPONSE,
                                                 [FLOW_CODE_RESPONSE] = FLOW_CODE_RESPONSE,
                                                 [FLOW_INQUIRY] = FLOW_PROVISION, [FLOW_REPLICA] = FLOW_REPLICA_ACK};
    if (kind == FLOW_REPLICA_ACK) {   /* never sent to a site */
        domain_msg_free(m);
        return true;
    }
    free(m->data);
    m->data = NULL;
    m->data_len = 0;
    m->code = 0;
    platform_site_reply_to_body(self, b, answer[kind], m, FLOW_UNREACHABLE);
    return true;
}

void platform_site_process(sim_node *self, sim_msg *msg)
{
    domain *d = domain_get(self->world);
    flow_msg *m = msg->payload;
    flow_kind kind = domain_kind_of(d, msg->type);
    /* Which tenant: the sender if it is a body; else the inquirer (answers) or provider. */
    body *b = domain_body(d, msg->src);
    bool from_body = b != NULL;
    if (!b) b = domain_body(d, kind == FLOW_INQUIRY ? m->provider : m->inquirer);
    msg->payload = NULL;
    sim_msg_free(self->world, msg);
    if (!b || kind == FLOW_KINDS) {
        domain_msg_free(m);
        return;
    }
    if (refuse(self, b, kind, m, from_body)) return;
    platform_tenant_receive(self, platform_site_db(self), b, kind, m);
}

static void site_receive(sim_node *self, sim_msg *msg)
{
    if (platform_ha_site_receive(self, msg)) return;
    if (domain_msg_discard_damaged(self, msg)) return;
    site_ha *h = platform_ha_of(self);
    if (h->disk_delay > 0 || h->slow.len) {   /* the slow-disk fault: in order, later */
        const flow_msg *m = msg->payload;
        domain *d = domain_get(self->world);
        if (m && domain_kind_of(d, msg->type) != FLOW_KINDS)
            domain_flow_blame(d, m->inquirer, m->flow, CAUSE_DISK, self->id, UINT32_MAX);
        platform_ha_site_defer(self, msg);
        return;
    }
    platform_site_process(self, msg);
}

static void site_destroy(sim_node *self)
{
    site_state *s = self->state;
    if (!s) return;
    platform_ha_site_free(self->world, &s->ha);
    platform_tenant_db_close(&s->db);
    free(s);
}

const sim_node_kind platform_site_kind = {.name = "site", .start = platform_ha_site_start, .receive = site_receive,
                                      .timer = platform_ha_site_timer, .crash = platform_ha_site_crash,
                                      .recover = platform_ha_site_recover, .destroy = site_destroy};

/* Used by the Lua constructor: a site with its store. */
int platform_site_create(sim_world *w, const char *name, sim_node **out)
{
    domain *d = domain_get(w);
    site_state *s = calloc(1, sizeof *s);
    if (!d || !s) {
        free(s);
        return -ENOMEM;
    }
    int rc = platform_tenant_db_open(d, &s->db, name);
    if (rc == 0) rc = sim_world_add_node(w, &platform_site_kind, name, s, out);
    if (rc == 0) platform_ha_site_init(*out, &s->ha);
    if (rc < 0) {
        platform_tenant_db_close(&s->db);
        free(s);
    }
    return rc;
}

tenant_db *platform_node_db(domain *d, uint32_t node)
{
    sim_node *n = sim_world_node(d->w, node);
    if (n && n->kind == &platform_site_kind) return &((site_state *)n->state)->db;
    body *b = domain_body(d, node);
    return b ? b->own_db : NULL;
}
