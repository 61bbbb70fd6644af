/* platform/mirror.c - the mirroring log between the two platform sites.
 *
 * Each site keeps one stream to its peer: every write of a tenant it serves (code management,
 * replicas, the three logs) is a record with a sequence number. Records stay in the stream
 * until the peer acknowledges them, so a batch lost on a cut link is sent again; the peer
 * applies a batch only if it continues exactly where it left off (records are idempotent
 * upserts and appends, applied once each). A site that lost its state, or whose tenants
 * were served elsewhere while it was away, asks its peer for a snapshot: every row of the
 * tenants the two share; the peer restarts its stream in a new epoch after it.
 * A corrupt replica row is fetched back from the peer (repair). */
#include "platform/platform_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void platform_mirror_rec_clear(mirror_rec *r)
{
    free(r->text);
    r->text = NULL;
}

void platform_mirror_init(mirror_stream *s, uint32_t to)
{
    *s = (mirror_stream){.to = to, .epoch = 1, .next_seq = 1, .applied_epoch = 1};
}

void platform_mirror_free(mirror_stream *s)
{
    for (size_t i = 0; i < s->len; i++) platform_mirror_rec_clear(&s->recs[(s->head + i) % s->cap]);
    free(s->recs);
    s->recs = NULL;
    s->len = s->cap = s->head = 0;
}

static mirror_rec *rec_at(mirror_stream *s, size_t i) { return &s->recs[(s->head + i) % s->cap]; }

static int grow(mirror_stream *s)
{
    size_t cap = s->cap ? s->cap * 2 : 256;
    mirror_rec *r = malloc(cap * sizeof *r);
    if (!r) return -ENOMEM;
    for (size_t i = 0; i < s->len; i++) r[i] = *rec_at(s, i);
    free(s->recs);
    s->recs = r;
    s->cap = cap;
    s->head = 0;
    return 0;
}

uint64_t platform_mirror_append(sim_node *site, mirror_stream *s, mirror_rec *rec, bool ship_now)
{
    if (s->len == s->cap && grow(s) < 0) {
        platform_mirror_rec_clear(rec);
        return 0;
    }
    rec->seq = s->next_seq++;
    rec->written = sim_node_now(site);
    *rec_at(s, s->len++) = *rec;
    rec->text = NULL;
    if (ship_now) platform_mirror_ship(site, s);
    return s->next_seq - 1;
}

/* Send every record after `shipped` in one batch (the peer must be up to receive it). */
void platform_mirror_ship(sim_node *site, mirror_stream *s)
{
    if (s->to == UINT32_MAX || s->len == 0) return;
    uint64_t first = rec_at(s, 0)->seq;
    if (s->shipped + 1 < first) s->shipped = first - 1;
    size_t from = (size_t)(s->shipped + 1 - first);
    if (from >= s->len) return;
    ha_msg *m = platform_ha_msg_new(HA_MIRROR);
    uint32_t n = (uint32_t)(s->len - from);
    if (m) m->recs = calloc(n, sizeof *m->recs);   /* nrecs counts only what is filled */
    uint32_t size = 64;
    for (uint32_t i = 0; m && m->recs && i < n; i++, m->nrecs++) {
        const mirror_rec *r = rec_at(s, from + i);
        m->recs[i] = *r;
        m->recs[i].text = r->text ? strdup(r->text) : NULL;
        if (r->text && !m->recs[i].text) break;
        size += 96 + (r->text ? (uint32_t)strlen(r->text) : 0);
    }
    if (!m || m->nrecs < n) {   /* a batch that cannot be built would stall the stream unseen */
        platform_ha_msg_free(m);
        domain_halt(domain_get(site->world), "%s could not build a mirroring batch (out of memory)", site->name);
        return;
    }
    m->epoch = s->epoch;
    m->seq = m->recs[m->nrecs - 1].seq;
    s->shipped = m->seq;
    s->last_ship = sim_node_now(site);
    platform_ha_world_get(domain_get(site->world))->st.shipped += m->nrecs;
    platform_ha_send(site, s->to, m, size);
}

void platform_mirror_restart(mirror_stream *s)
{
    for (size_t i = 0; i < s->len; i++) platform_mirror_rec_clear(rec_at(s, i));
    s->len = s->head = 0;
    s->epoch++;
    s->next_seq = 1;
    s->shipped = s->acked = 0;
}

uint64_t platform_mirror_acked(sim_node *site, mirror_stream *s, uint64_t epoch, uint64_t seq)
{
    if (epoch != s->epoch || seq <= s->acked) return s->acked;
    domain *d = domain_get(site->world);
    sim_time_t written = 0;
    while (s->len && rec_at(s, 0)->seq <= seq) {
        written = rec_at(s, 0)->written;
        platform_mirror_rec_clear(rec_at(s, 0));
        s->head = (s->head + 1) % s->cap;
        s->len--;
    }
    s->acked = seq;
    if (s->shipped < seq) s->shipped = seq;
    if (written) platform_ha_note_lag(d, sim_node_now(site), sim_node_now(site) - written);
    return seq;
}

void platform_mirror_receive_batch(sim_node *site, mirror_stream *in, ha_msg *m, uint32_t from)
{
    domain *d = domain_get(site->world);
    tenant_db *t = platform_site_db(site);
    if (m->epoch > in->applied_epoch) {   /* the sender restarted its stream */
        in->applied_epoch = m->epoch;
        in->applied = 0;
    }
    if (m->epoch == in->applied_epoch) {
        for (uint32_t i = 0; i < m->nrecs; i++) {
            const mirror_rec *r = &m->recs[i];
            if (r->seq <= in->applied) continue;    /* a retransmission we have */
            if (r->seq != in->applied + 1) break;   /* a gap: wait for the resend */
            const body *owner = domain_body(d, r->tenant);
            if (owner && platform_ha_serves(site, owner)) {
                /* A write of a tenant we serve now, from the peer: it wrote it while it served
                 * them, and it reached us only now (a link that came back before the peer
                 * learnt it had lost them). It diverged when they moved here (the promotion's
                 * or take-back's audit counted it lost); applied late it could overwrite newer
                 * writes: acknowledged, and dropped. */
                in->applied = r->seq;
                continue;
            }
            /* A write that cannot be applied (our disk is full) is not acknowledged: the
             * sender keeps it and sends it again. */
            int rc = platform_tenant_apply(t, r, d);
            if (rc == -ENOSPC || rc == -EIO || rc == -ENOMEM) {
                /* The writes whose answers wait for this backup (synchronous mode) will time
                 * out for our disk, unless it recovers first. */
                for (uint32_t k = i; k < m->nrecs; k++)
                    if (m->recs[k].flow)
                        domain_flow_blame(d, m->recs[k].tenant, m->recs[k].flow, CAUSE_DISK, site->id, UINT32_MAX);
                break;
            }
            in->applied = r->seq;
            platform_ha_world_get(d)->st.applied++;
        }
    }
    ha_msg *ack = platform_ha_msg_new(HA_MIRROR_ACK);
    if (!ack) return;
    ack->epoch = in->applied_epoch;
    ack->seq = in->applied;
    platform_ha_send(site, from, ack, 64);
}

/* ---- snapshots and repair ------------------------------------------------------------- */

static int push_rec(ha_msg *m, size_t *cap, const mirror_rec *r)
{
    if (m->nrecs == *cap) {
        size_t n = *cap ? *cap * 2 : 1024;
        mirror_rec *p = realloc(m->recs, n * sizeof *p);
        if (!p) return -ENOMEM;
        m->recs = p;
        *cap = n;
    }
    m->recs[m->nrecs++] = *r;
    return 0;
}

ha_msg *platform_mirror_snapshot(sim_node *site, uint32_t peer)
{
    domain *d = domain_get(site->world);
    tenant_db *t = platform_site_db(site);
    ha_msg *m = platform_ha_msg_new(HA_SNAPSHOT);
    if (!m) return NULL;
    size_t cap = 0;
    sqlite3_stmt *codes = sim_store_stmt(t->store, TENANT_ST_SNAPSHOT_CODES, "SELECT addressee_no, code FROM code_mgmt WHERE tenant = ?1");
    sqlite3_stmt *reps = sim_store_stmt(t->store, TENANT_ST_SNAPSHOT_REPLICAS,
        "SELECT addressee_no, item, schema, pub_start, pub_end, record_id, payload, digest FROM replica WHERE tenant = ?1");
    for (uint32_t i = 0; codes && reps && i < d->nbodies_cap; i++) {
        body *b = d->bodies[i];
        if (!b || b->kind != BODY_LG || b->home == b->backup) continue;
        if (!((b->home == site->id && b->backup == peer) || (b->home == peer && b->backup == site->id))) continue;
        sqlite3_bind_int64(codes, 1, b->tenant);
        while (sim_store_read(t->store, codes) == 1) {
            mirror_rec r = {.op = REC_CODE, .tenant = b->tenant,
                          .v = {sqlite3_column_int64(codes, 0), sqlite3_column_int64(codes, 1)}};
            if (push_rec(m, &cap, &r) < 0) goto fail;
        }
        sqlite3_bind_int64(reps, 1, b->tenant);
        while (sim_store_read(t->store, reps) == 1) {
            int item = domain_item(d, (const char *)sqlite3_column_text(reps, 1));
            mirror_rec r = {.op = REC_REPLICA, .tenant = b->tenant,
                          .v = {sqlite3_column_int64(reps, 0), item, sqlite3_column_int64(reps, 2),
                                sqlite3_column_int64(reps, 3), sqlite3_column_int64(reps, 4)}};
            snprintf(r.record_id, sizeof r.record_id, "%s", (const char *)sqlite3_column_text(reps, 5));
            r.text = strdup((const char *)sqlite3_column_text(reps, 6));
            r.digest = (uint64_t)sqlite3_column_int64(reps, 7);   /* damage travels as damage */
            if (!r.text || push_rec(m, &cap, &r) < 0) {
                free(r.text);
                goto fail;
            }
        }
    }
    platform_ha_world_get(d)->st.snapshots++;
    platform_ha_world_get(d)->st.snapshot_rows += m->nrecs;
    return m;
fail:
    if (codes) sqlite3_reset(codes);
    if (reps) sqlite3_reset(reps);
    platform_ha_msg_free(m);
    return NULL;
}

int platform_mirror_apply_snapshot(sim_node *site, ha_msg *m)
{
    domain *d = domain_get(site->world);
    tenant_db *t = platform_site_db(site);
    uint32_t peer = m->by;
    sqlite3_stmt *del_codes = sim_store_stmt(t->store, TENANT_ST_DROP_CODES, "DELETE FROM code_mgmt WHERE tenant = ?1");
    sqlite3_stmt *del_reps = sim_store_stmt(t->store, TENANT_ST_DROP_REPLICAS, "DELETE FROM replica WHERE tenant = ?1");
    if (!del_codes || !del_reps) return -EIO;
    for (uint32_t i = 0; i < d->nbodies_cap; i++) {
        body *b = d->bodies[i];
        if (!b || b->kind != BODY_LG || b->home == b->backup) continue;
        if (!((b->home == site->id && b->backup == peer) || (b->home == peer && b->backup == site->id))) continue;
        sqlite3_bind_int64(del_codes, 1, b->tenant);
        int rc = sim_store_write(t->store, del_codes);
        sqlite3_bind_int64(del_reps, 1, b->tenant);
        if (rc == 0) rc = sim_store_write(t->store, del_reps);
        if (rc < 0) return rc;   /* a snapshot half applied is no copy: the caller refuses it */
    }
    int rc = platform_tenant_reload_index(t);
    for (uint32_t i = 0; rc == 0 && i < m->nrecs; i++) rc = platform_tenant_apply(t, &m->recs[i], d);
    return rc;
}

void platform_mirror_serve_repair(sim_node *site, ha_msg *req, uint32_t from)
{
    domain *d = domain_get(site->world);
    tenant_db *t = platform_site_db(site);
    ha_msg *m = platform_ha_msg_new(HA_REPAIRED);
    if (!m) return;
    m->id = req->id;
    m->site = req->site;
    sqlite3_stmt *q = sim_store_stmt(t->store, TENANT_ST_REPAIR_GET,
        "SELECT addressee_no, item, schema, pub_start, pub_end, payload, digest FROM replica WHERE tenant = ?1 AND record_id = ?2");
    const mirror_rec *want = req->nrecs ? &req->recs[0] : NULL;
    if (q && want) {
        sqlite3_bind_int64(q, 1, want->tenant);
        sqlite3_bind_text(q, 2, want->record_id, -1, SQLITE_TRANSIENT);
        /* Only an intact row repairs: a damaged one here too means the record is lost. */
        bool intact = sim_store_read(t->store, q) == 1 &&
                      platform_replica_digest((const char *)sqlite3_column_text(q, 5), (size_t)sqlite3_column_bytes(q, 5),
                                     sqlite3_column_int64(q, 4)) == (uint64_t)sqlite3_column_int64(q, 6);
        if (intact) {
            m->recs = calloc(1, sizeof *m->recs);
            if (m->recs) {
                mirror_rec *r = m->recs;
                *r = (mirror_rec){.op = REC_REPLICA, .tenant = want->tenant,
                                .v = {sqlite3_column_int64(q, 0), domain_item(d, (const char *)sqlite3_column_text(q, 1)),
                                      sqlite3_column_int64(q, 2), sqlite3_column_int64(q, 3), sqlite3_column_int64(q, 4)}};
                memcpy(r->record_id, want->record_id, sizeof r->record_id);
                r->text = strdup((const char *)sqlite3_column_text(q, 5));
                m->nrecs = 1;
                m->flag = r->text != NULL;
            }
        }
        sqlite3_reset(q);
    }
    platform_ha_send(site, from, m, 128 + (m->nrecs && m->recs[0].text ? (uint32_t)strlen(m->recs[0].text) : 0));
}

void platform_mirror_repaired(sim_node *site, ha_msg *m)
{
    domain *d = domain_get(site->world);
    site_ha *h = platform_ha_of(site);
    uint64_t held;
    if (!sim_map_del(&h->repairs, m->id, &held)) return;
    flow_msg *inq = (flow_msg *)(uintptr_t)held;
    body *b = domain_body(d, m->site);
    if (m->flag && m->nrecs && platform_tenant_apply(platform_site_db(site), &m->recs[0], d) == 0) {
        platform_ha_world_get(d)->st.repairs_done++;
        sim_world_log(site->world, site->name, "replica row repaired from the peer site");
    }
    if (b) platform_site_answer_inquiry(site, b, inq);   /* from the repaired row, or not found */
    else domain_msg_free(inq);
}
