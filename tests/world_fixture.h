/* world_fixture.h - a small linkage network built in C, without Lua, for the unit tests
 * of the NWS and the platform: the NWS and J-LIS, the platform sites east and west (with their
 * interface systems and the operations centre), two local governments that back each other
 * up across the pair (131016 at home in east, 271004 at home in west) and the pension service,
 * each local government's 住基ネット link to J-LIS (made with it, 10 ms), a permission table of
 * three procedures, and the state of the day before: residents with
 * their agency codes at the NWS and in both sites' code management, and their replicas.
 *
 * Residents (person: the global person index, addressee numbers per body):
 *   131016 (a): addressees 1..4 are persons 0..3; addressee 5 is person 4, a former resident.
 *   271004 (b): addressees 1..4 are persons 4..7; addressee 1 (person 4) moved in from a,
 *               where it was addressee 5. Person 4 has a code at both, and a's replicas.
 *   pension:    addressee person + 1 for every person, each with a code and a benefit record.
 * Every local-government addressee has two replicas: FX_ITEM_RESIDENT ("<code>-<a>-0") and
 * FX_ITEM_TAX ("<code>-<a>-1", taxable income 1000000 + 1000 x person).
 *
 * Every flow end and every flow message sent is recorded (fx->ends, fx->sent), so a test can
 * tell an answer from a timeout and see what each hop carried. All functions are static;
 * those a test may not use are marked unused. The world is driven only by the engine: no
 * wall clock. */
#ifndef RENKEI_TESTS_WORLD_FIXTURE_H
#define RENKEI_TESTS_WORLD_FIXTURE_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain/checker.h"
#include "domain/domain.h"
#include "fault/fault.h"
#include "kinds/kinds.h"
#include "platform/platform.h"
#include "sim_net.h"
#include "sim_world.h"

#define FX_UNUSED __attribute__((unused))
#define FX_INV_UNLINKABLE "no node but the NWS holds a resident-derived key and an agency code of one person"

enum { FX_RESIDENTS = 4, FX_PERSONS = 8 };
/* Indices in the fixture's permission table. */
enum { FX_ITEM_RESIDENT, FX_ITEM_TAX, FX_ITEM_PENSION };
enum {
    FX_PROC_CHILD_ALLOWANCE,    /* a local government asks another for local tax */
    FX_PROC_PENSION_CHECK,      /* a local government asks the pension service */
    FX_PROC_PENSION_INCOME,     /* the pension service asks a local government for local tax */
};

typedef struct fx_end {         /* a flow that ended, as its body saw it */
    uint64_t flow;
    uint32_t body;              /* node of the body that started it */
    flow_kind kind;
    flow_error error;
    bool answered;              /* an answer came (else: timeout, or the body went down) */
    uint64_t serial_no;
    uint32_t provider;
    sim_time_t at;
    int64_t latency;
    char payload[256];          /* the answer's payload (plaintext), cut to fit */
} fx_end;

typedef struct fx_sent {        /* a flow message as it left a node */
    uint32_t from, to;
    flow_kind kind;
    uint64_t flow, code, serial_no, addressee_no, person_key, resident_code, acquisition_no;
    uint32_t staff;
    uint8_t error;
    sim_time_t at;
} fx_sent;

typedef struct fixture fixture;
struct fixture {
    sim_world *w;
    domain *d;
    sim_node *nws, *jlis, *east, *west, *ops;
    sim_node *lg_a, *lg_b, *pension;
    body *a, *b, *agency;
    fx_end *ends;
    size_t nends, cap_ends;
    fx_sent *sent;
    size_t nsent, cap_sent;
    bool oom;                   /* a record could not be kept: the test's figures are void */
    /* Called at each flow end, after it is recorded (may be NULL). */
    void (*on_end)(fixture *fx, const fx_end *e);
    void *ud;
};

typedef struct fixture_options {
    uint64_t seed;              /* 0: 1 */
    const char *mirroring;    /* "sync" (NULL), "semisync" or "async" */
    int64_t batch;              /* asynchronous shipping interval; 0: the default (2 s) */
    bool faults;                /* fault_attach before anything is written (the ledger) */
} fixture_options;

/* ---- records --------------------------------------------------------------------------- */

static void fx_on_sent(void *ud, const sim_node *from, uint32_t to, flow_kind kind, const flow_msg *m)
{
    fixture *fx = ud;
    if (fx->nsent == fx->cap_sent) {
        size_t cap = fx->cap_sent ? fx->cap_sent * 2 : 256;
        fx_sent *p = realloc(fx->sent, cap * sizeof *p);
        if (!p) {
            fx->oom = true;
            return;
        }
        fx->sent = p;
        fx->cap_sent = cap;
    }
    fx->sent[fx->nsent++] = (fx_sent){.from = from->id, .to = to, .kind = kind, .flow = m->flow, .code = m->code,
                                      .serial_no = m->serial_no, .addressee_no = m->addressee_no,
                                      .person_key = m->person_key, .resident_code = m->resident_code,
                                      .acquisition_no = m->acquisition_no, .staff = m->staff, .error = m->error,
                                      .at = sim_world_now(from->world)};
}

static void fx_on_ended(void *ud, const domain_flow_end *ev)
{
    fixture *fx = ud;
    if (fx->nends == fx->cap_ends) {
        size_t cap = fx->cap_ends ? fx->cap_ends * 2 : 64;
        fx_end *p = realloc(fx->ends, cap * sizeof *p);
        if (!p) {
            fx->oom = true;
            return;
        }
        fx->ends = p;
        fx->cap_ends = cap;
    }
    fx_end *e = &fx->ends[fx->nends++];
    *e = (fx_end){.flow = ev->flow, .body = ev->b->node, .kind = ev->kind, .error = ev->error,
                  .answered = ev->m != NULL, .at = sim_world_now(fx->w), .latency = ev->latency};
    if (ev->m) {
        e->serial_no = ev->m->serial_no;
        e->provider = ev->m->provider;
        if (ev->m->data_len && !ev->m->sealed) {
            size_t n = ev->m->data_len < sizeof e->payload - 1 ? ev->m->data_len : sizeof e->payload - 1;
            memcpy(e->payload, ev->m->data, n);
            e->payload[n] = '\0';
        }
    }
    if (fx->on_end) fx->on_end(fx, e);
}

/* The end of `flow`, or NULL while it has not ended. */
static FX_UNUSED const fx_end *fx_end_of(const fixture *fx, uint64_t flow)
{
    for (size_t i = 0; i < fx->nends; i++)
        if (fx->ends[i].flow == flow) return &fx->ends[i];
    return NULL;
}

/* How many times `flow` ended (every flow must end exactly once). */
static FX_UNUSED int fx_end_count(const fixture *fx, uint64_t flow)
{
    int n = 0;
    for (size_t i = 0; i < fx->nends; i++) n += fx->ends[i].flow == flow;
    return n;
}

/* ---- set-up ---------------------------------------------------------------------------- */

static void fx_item(domain *d, const char *code, const char *name_en, int holder)
{
    item_def *it = &d->items[d->nitems++];
    snprintf(it->code, sizeof it->code, "%s", code);
    snprintf(it->name_en, sizeof it->name_en, "%s", name_en);
    it->holder_agency = holder;
}

static void fx_procedure(domain *d, const char *id, int inquirer, int provider, int item)
{
    permission *p = &d->procs[d->nprocs++];
    snprintf(p->id, sizeof p->id, "%s", id);
    snprintf(p->name_en, sizeof p->name_en, "%s", id);
    p->inquirer_agency = inquirer;
    p->provider_agency = provider;
    p->item = (uint16_t)item;
    p->weight = 1;
}

/* The permission table, as permissions{} fills it: agency 0 is "pension". */
static void fx_permissions(domain *d)
{
    snprintf(d->agencies[0], sizeof d->agencies[0], "pension");
    d->nagencies = 1;
    fx_item(d, "TM00000000000001", "resident record information", -1);
    fx_item(d, "TM00000000000002", "local tax information", -1);
    fx_item(d, "TM99000000000013", "pension benefit information", 0);
    fx_procedure(d, "child_allowance", -1, -1, FX_ITEM_TAX);
    fx_procedure(d, "pension_check", -1, 0, FX_ITEM_PENSION);
    fx_procedure(d, "pension_income", 0, -1, FX_ITEM_TAX);
}

static int fx_link(fixture *fx, sim_node *a, sim_node *b, int64_t latency)
{
    sim_link_params p = {.up = true, .bandwidth = 1e9, .latency = latency};
    return sim_link_add(fx->w, a->id, b->id, &p);
}

static uint64_t fx_person_key(const fixture *fx, uint32_t person)
{
    return node_jlis_person_key(fx->jlis, node_person_resident_code(sim_world_seed(fx->w), person));
}

/* A resident of b: a new addressee number for `person` (who may live elsewhere too). */
static FX_UNUSED uint32_t fx_add_resident(fixture *fx, body *b, uint32_t person, bool current, uint32_t prev_body,
                                          uint32_t prev_addressee)
{
    resident *all = realloc(b->residents, ((size_t)b->nresidents + b->nextra + 1) * sizeof *all);
    if (!all) return 0;
    b->residents = all;
    all[b->nresidents + b->nextra++] = (resident){.person = person, .prev_body = prev_body,
                                                  .prev_addressee = prev_addressee, .current = current};
    (void)fx;
    return b->nresidents + b->nextra;
}

/* The day before: the person's code at the NWS and in both sites' code management (an
 * agency: in its own server), and the replicas. */
static int fx_seed(fixture *fx, body *b, uint32_t addressee, uint32_t person)
{
    domain *d = fx->d;
    uint64_t code;
    int rc = node_nws_seed_code(fx->nws, fx_person_key(fx, person), b->node, &code);
    tenant_db *dbs[2] = {platform_node_db(d, b->home), b->backup != b->home ? platform_node_db(d, b->backup) : NULL};
    for (int i = 0; rc == 0 && i < 2; i++) {
        if (!dbs[i]) continue;
        rc = platform_tenant_seed_code(dbs[i], b, addressee, code);
        char record[24], payload[200];
        if (b->kind == BODY_AGENCY) {
            snprintf(record, sizeof record, "%s-%u", b->code, addressee);
            snprintf(payload, sizeof payload, "{\"item\":\"TM99000000000013\",\"benefit_monthly\":%u}", 60000 + person);
            if (rc == 0) rc = platform_tenant_seed_replica(d, dbs[i], b, addressee, FX_ITEM_PENSION, record, 0, INT64_MAX, payload);
            continue;
        }
        snprintf(record, sizeof record, "%s-%u-0", b->code, addressee);
        snprintf(payload, sizeof payload, "{\"item\":\"TM00000000000001\",\"household_size\":%u}", 1 + person % 4);
        if (rc == 0) rc = platform_tenant_seed_replica(d, dbs[i], b, addressee, FX_ITEM_RESIDENT, record, 0, INT64_MAX, payload);
        snprintf(record, sizeof record, "%s-%u-1", b->code, addressee);
        snprintf(payload, sizeof payload, "{\"item\":\"TM00000000000002\",\"tax_year\":2016,\"taxable_income\":%u}",
                 1000000 + 1000 * person);
        if (rc == 0) rc = platform_tenant_seed_replica(d, dbs[i], b, addressee, FX_ITEM_TAX, record, 0, INT64_MAX, payload);
    }
    return rc;
}

static int fx_residents(fixture *fx)
{
    domain *d = fx->d;
    body *a = fx->a, *b = fx->b, *p = fx->agency;
    a->nresidents = b->nresidents = FX_RESIDENTS;
    a->nextra = b->nextra = 0;
    a->residents = calloc(FX_RESIDENTS + 1, sizeof *a->residents);
    b->residents = calloc(FX_RESIDENTS, sizeof *b->residents);
    p->residents = calloc(FX_PERSONS, sizeof *p->residents);
    if (!a->residents || !b->residents || !p->residents) return -ENOMEM;
    for (uint32_t i = 0; i < FX_RESIDENTS; i++) {
        a->residents[i] = (resident){.person = i, .prev_body = UINT32_MAX, .current = true};
        b->residents[i] = (resident){.person = FX_RESIDENTS + i, .prev_body = UINT32_MAX, .current = true};
    }
    /* person 4 moved from a (where it stays, a former resident) to b */
    a->residents[FX_RESIDENTS] = (resident){.person = FX_RESIDENTS, .prev_body = UINT32_MAX};
    a->nextra = 1;
    b->residents[0].prev_body = a->node;
    b->residents[0].prev_addressee = FX_RESIDENTS + 1;
    p->nresidents = FX_PERSONS;
    for (uint32_t i = 0; i < FX_PERSONS; i++) p->residents[i] = (resident){.person = i, .prev_body = UINT32_MAX, .current = true};
    d->npersons = FX_PERSONS;
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < FX_PERSONS; i++)
        rc = sim_map_put(&d->individual_nos, node_person_individual_no(sim_world_seed(fx->w), i), (uint64_t)i + 1);
    for (uint32_t i = 0; rc == 0 && i < a->nresidents + a->nextra; i++) rc = fx_seed(fx, a, i + 1, a->residents[i].person);
    for (uint32_t i = 0; rc == 0 && i < b->nresidents; i++) rc = fx_seed(fx, b, i + 1, b->residents[i].person);
    for (uint32_t i = 0; rc == 0 && i < FX_PERSONS; i++) rc = fx_seed(fx, p, i + 1, i);
    if (rc == 0) rc = node_nws_index(fx->nws);
    for (uint32_t i = 0; rc == 0 && i < sim_world_node_count(fx->w); i++) {
        tenant_db *t = platform_node_db(d, i);
        if (t) rc = platform_tenant_db_index(t);
    }
    return rc;
}

/* Build the world and start its nodes at the default start (2017-11-13 00:00 JST). 0, or a
 * negative errno with the reason printed; fx_close frees what was made either way. */
static int fx_open(fixture *fx, const fixture_options *o)
{
    *fx = (fixture){0};
    char why[256] = "";
    int rc = sim_world_create(&(sim_world_config){.seed = o->seed ? o->seed : 1, .trace_fd = -1, .trace_off = true},
                              &fx->w);
    if (rc < 0) return rc;
    domain *d = fx->d = domain_get(fx->w);
    if (!d) return -ENOMEM;
    if (o->faults && (rc = fault_attach(d)) < 0) return rc;
    fx_permissions(d);
    if ((rc = node_nws_create(fx->w, "nws", &fx->nws)) < 0 || (rc = node_jlis_create(fx->w, "jlis", &fx->jlis)) < 0)
        return rc;
    if ((rc = node_site_create_with_ifs(fx->w, &(node_site_spec){.name = "east"}, &fx->east, why, sizeof why)) < 0 ||
        (rc = node_site_create_with_ifs(fx->w, &(node_site_spec){.name = "west"}, &fx->west, why, sizeof why)) < 0 ||
        (rc = node_body_create_lg(fx->w, &(node_lg_spec){.code = "131016", .name = "Chiyoda", .home = fx->east,
                                                          .backup = fx->west, .population = 66680},
                                  &fx->lg_a, why, sizeof why)) < 0 ||
        (rc = node_body_create_lg(fx->w, &(node_lg_spec){.code = "271004", .name = "Osaka", .home = fx->west,
                                                          .backup = fx->east, .population = 2752412},
                                  &fx->lg_b, why, sizeof why)) < 0 ||
        (rc = node_body_create_agency(fx->w, &(node_agency_spec){.name = "pension"}, &fx->pension, why, sizeof why)) < 0) {
        fprintf(stderr, "fixture: %s\n", why);
        return rc;
    }
    fx->ops = sim_world_find_node(fx->w, "ops");
    fx->a = domain_body(d, fx->lg_a->id);
    fx->b = domain_body(d, fx->lg_b->id);
    fx->agency = domain_body(d, fx->pension->id);
    sim_node *east_ifs = sim_world_find_node(fx->w, "east.ifs"), *west_ifs = sim_world_find_node(fx->w, "west.ifs");
    sim_node *pension_ifs = sim_world_find_node(fx->w, "pension.ifs");
    if (!fx->ops || !east_ifs || !west_ifs || !pension_ifs) return -ENOENT;
    if ((rc = fx_link(fx, fx->jlis, fx->nws, 5 * SIM_MS)) < 0 || (rc = fx_link(fx, east_ifs, fx->nws, 4 * SIM_MS)) < 0 ||
        (rc = fx_link(fx, west_ifs, fx->nws, 7 * SIM_MS)) < 0 || (rc = fx_link(fx, fx->east, fx->west, 8 * SIM_MS)) < 0 ||
        (rc = fx_link(fx, pension_ifs, fx->nws, 3 * SIM_MS)) < 0)
        return rc;
    if ((rc = fx_residents(fx)) < 0) {
        fprintf(stderr, "fixture: seeding the day before failed: %s\n", strerror(-rc));
        return rc;
    }
    ha_settings *hs = platform_ha_settings_get(d);
    if (!hs) return -ENOMEM;
    const char *mode = o->mirroring ? o->mirroring : "sync";
    hs->sync = strcmp(mode, "async") != 0;
    hs->degrade = strcmp(mode, "semisync") == 0;
    if (o->batch > 0) hs->batch = o->batch;
    rc = domain_listen(d, &(domain_flow_listener){.sent = fx_on_sent, .ended = fx_on_ended, .ud = fx});
    if (rc == 0) rc = sim_world_start_nodes(fx->w);
    return rc;
}

static void fx_close(fixture *fx)
{
    sim_world_destroy(fx->w);
    free(fx->ends);
    free(fx->sent);
    *fx = (fixture){0};
}

/* ---- driving and reading --------------------------------------------------------------- */

/* Run every event up to t and leave the clock at t. */
static FX_UNUSED void fx_run_until(fixture *fx, sim_time_t t)
{
    sim_world_run(fx->w, t, 0);
    sim_world_advance(fx->w, t);
}

static FX_UNUSED void fx_run_for(fixture *fx, int64_t dt) { fx_run_until(fx, sim_world_now(fx->w) + dt); }

static FX_UNUSED sim_time_t fx_now(const fixture *fx) { return sim_world_now(fx->w); }

/* The first column of the first row of a query on a store (-1: no row, -2: an error). For
 * ad-hoc reads: the statement is prepared on the store's connection and finalised here, so
 * it takes none of the store's slots, and it sees the batch's uncommitted writes. */
static FX_UNUSED long long fx_store_int(sim_store *s, const char *sql)
{
    sqlite3_stmt *any = sim_store_stmt(s, SIM_STORE_SLOTS - 1, "SELECT 1");
    sqlite3_stmt *st = NULL;
    if (!any || sqlite3_prepare_v2(sqlite3_db_handle(any), sql, -1, &st, NULL) != SQLITE_OK) {
        sqlite3_finalize(st);
        return -2;
    }
    int rc = sqlite3_step(st);
    long long v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : rc == SQLITE_DONE ? -1 : -2;
    sqlite3_finalize(st);
    return v;
}

/* The agency code the NWS issued to `person` at `body_node`, or 0. */
static FX_UNUSED uint64_t fx_nws_code(const fixture *fx, uint32_t person, uint32_t body_node)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT code FROM codes WHERE person = %lld AND body = %u",
             (long long)fx_person_key(fx, person), body_node);
    long long v = fx_store_int(node_nws_store(fx->nws), sql);
    return v > 0 ? (uint64_t)v : 0;
}

/* The code `site` (or an agency's own server) holds for b's addressee, or 0. */
static FX_UNUSED uint64_t fx_site_code(const fixture *fx, const sim_node *server, const body *b, uint64_t addressee)
{
    tenant_db *t = platform_node_db(fx->d, server->id);
    uint64_t code = 0;
    if (!t || !sim_map_get(&t->code_by_addressee, ((uint64_t)b->tenant + 1) << 32 | addressee, &code)) return 0;
    return code;
}

/* Whether `site`'s store holds b's replica `record_id`. */
static FX_UNUSED bool fx_site_has_record(const fixture *fx, const sim_node *site, const body *b, const char *record_id)
{
    tenant_db *t = platform_node_db(fx->d, site->id);
    uint64_t digest;
    return t && platform_tenant_replica_digest(t, b->tenant, record_id, &digest, NULL) == 0;
}

/* Register a local-tax replica for b's addressee under record_id: the flow id, or 0. */
static FX_UNUSED uint64_t fx_register(fixture *fx, const body *b, uint64_t addressee, const char *record_id)
{
    char payload[128];
    snprintf(payload, sizeof payload, "{\"item\":\"TM00000000000002\",\"tax_year\":2017,\"record\":\"%s\"}", record_id);
    return node_body_register_replica(sim_world_node(fx->w, b->node), addressee, FX_ITEM_TAX, record_id, fx_now(fx),
                                 INT64_MAX, payload);
}

/* Whether the invariant named `name` (as domain/checker.h's registrants name it) holds now: 1,
 * 0, or -1 when it is not shown (not applicable, or no such name). detail may be NULL. */
static FX_UNUSED int fx_invariant(fixture *fx, const char *name, char *detail, size_t n)
{
    invariant_result r[DOMAIN_INVARIANTS];
    int count = domain_invariants(fx->d, r);
    for (int i = 0; i < count; i++) {
        if (!r[i].name || strcmp(r[i].name, name) != 0) continue;
        if (detail) snprintf(detail, n, "%s", r[i].detail);
        return r[i].held;
    }
    return -1;
}

#endif
