/* kinds/day_before.c - the state of the day before (residents{}: codes at the NWS and in code
 * management, replicas) from a snapshot when an earlier run built it from the same inputs
 * (sim_snapshot.h). Building it is most of a national day's start; reading it back is a copy.
 *
 * The set-up runs either way: it draws the same random numbers and fills the same in-memory
 * caches, so everything after it is the same with or without the snapshot; only the rows are
 * not written again (node_nws_seed_restoring, and population.c skips the tenants' writes). */
#include "kinds/kinds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"
#include "sim_buf.h"
#include "sim_node.h"
#include "sim_snapshot.h"

/* Small states build faster than their files are read (and every seed of a swarm would
 * leave one behind). */
enum { MIN_PERSONS = 10000 };

static void add(sim_buf *b, const void *p, size_t n) { sim_buf_append(b, p, n); }

/* What the state is built from, beyond the scripts and the seed the key has already. */
static void describe(domain *d, double scale, double moved, sim_buf *b)
{
    sim_world *w = d->w;
    add(b, &scale, sizeof scale);
    add(b, &moved, sizeof moved);
    add(b, &d->nws, sizeof d->nws);
    add(b, &d->jlis, sizeof d->jlis);
    add(b, &d->nitems, sizeof d->nitems);
    for (int i = 0; i < d->nitems; i++) {
        add(b, d->items[i].code, sizeof d->items[i].code);
        add(b, &d->items[i].holder_agency, sizeof d->items[i].holder_agency);
    }
    uint32_t cap = sim_world_node_count(w);
    add(b, &cap, sizeof cap);
    for (uint32_t i = 0; i < cap; i++) {
        body *x = domain_body(d, i);
        sim_node *n = sim_world_node(w, i);
        add(b, &n->rng, sizeof n->rng);   /* the draws the set-up makes start here */
        if (!x) continue;
        uint32_t v[] = {x->kind, x->node, x->server, x->home, x->backup, x->ifs, x->tenant, (uint32_t)x->agency_index};
        add(b, v, sizeof v);
        add(b, x->code, sizeof x->code);
        add(b, &x->population, sizeof x->population);
    }
}

static int add_store(node_day_before *db, sim_store *s, const char *name)
{
    for (size_t i = 0; i < db->n; i++)
        if (db->stores[i] == s) return 0;
    char *copy = strdup(name);
    if (!copy) return -ENOMEM;
    db->stores[db->n] = s;
    db->names[db->n++] = copy;
    return 0;
}

int node_day_before_open(domain *d, double scale, double moved, uint32_t copy_from, uint32_t copy_to,
                         node_day_before *db)
{
    *db = (node_day_before){0};
    sim_world *w = d->w;
    if (d->npersons < MIN_PERSONS) return 0;
    sim_buf b = {0};
    describe(d, scale, moved, &b);
    int rc = sim_buf_failed(&b) ? -ENOMEM : sim_snapshot_key(w, b.data, b.len, db->key);
    sim_buf_free(&b);
    if (rc == -EINVAL) return 0;   /* snapshots are off */
    if (rc < 0) return rc;
    uint32_t cap = sim_world_node_count(w);
    db->stores = calloc((size_t)cap + 1, sizeof *db->stores);
    db->names = calloc((size_t)cap + 1, sizeof *db->names);
    if (!db->stores || !db->names) return -ENOMEM;
    rc = add_store(db, node_nws_store(sim_world_node(w, d->nws)), "nws");
    if (copy_from != UINT32_MAX && platform_node_db(d, copy_from) && platform_node_db(d, copy_to)) {
        db->copy_from = platform_node_db(d, copy_from)->store;
        db->copy_to = platform_node_db(d, copy_to)->store;
    }
    for (uint32_t i = 0; rc == 0 && i < cap; i++) {
        tenant_db *t = platform_node_db(d, i);
        if (t && t->store != db->copy_to) rc = add_store(db, t->store, sim_world_node(w, i)->name);
    }
    if (rc < 0) return rc;
    char why[600] = "";
    rc = sim_snapshot_load(w, db->key, db->stores, (const char *const *)db->names, db->n, why, sizeof why);
    if (rc == -EBADMSG) {
        fprintf(stderr, "renkei: the snapshot of the day before is damaged (%s): building it again\n", why);
        return 0;
    }
    if (rc < 0) {
        fprintf(stderr, "renkei: the snapshot of the day before could not be read: %s\n", why);
        return rc;
    }
    db->restored = rc == 1;
    if (db->restored) node_nws_seed_restoring(sim_world_node(w, d->nws), true);
    return 0;
}

int node_day_before_close(domain *d, node_day_before *db)
{
    if (!db->stores) return 0;
    sim_world *w = d->w;
    if (db->restored) {
        node_nws_seed_restoring(sim_world_node(w, d->nws), false);
        int rc = node_nws_index(sim_world_node(w, d->nws));   /* in the snapshot: only marked */
        if (rc == 0 && db->copy_to) rc = sim_store_copy(db->copy_to, db->copy_from);
        uint32_t cap = sim_world_node_count(w);
        tenant_db *from = NULL;   /* the copy's code index is the original's: copied, not read */
        for (uint32_t i = 0; i < cap && db->copy_to; i++) {
            tenant_db *t = platform_node_db(d, i);
            if (t && t->store == db->copy_from) from = t;
        }
        if (rc == 0 && from && !from->indexed) {
            rc = platform_tenant_reload_index(from);
            if (rc == 0) rc = platform_tenant_db_index(from);
        }
        for (uint32_t i = 0; rc == 0 && i < cap; i++) {
            tenant_db *t = platform_node_db(d, i);
            if (!t || t->indexed) continue;
            rc = from && t->store == db->copy_to ? platform_tenant_copy_index(t, from) : platform_tenant_reload_index(t);
            if (rc == 0) rc = platform_tenant_db_index(t);
        }
        return rc;
    }
    char why[600] = "";
    if (sim_snapshot_save(w, db->key, db->stores, (const char *const *)db->names, db->n, why, sizeof why) < 0)
        fprintf(stderr, "renkei: the snapshot of the day before was not kept: %s\n", why);
    return 0;
}

void node_day_before_free(node_day_before *db)
{
    for (size_t i = 0; db->names && i < db->n; i++) free((char *)db->names[i]);
    free(db->names);
    free(db->stores);
    *db = (node_day_before){0};
}
