/* kinds/population.c - residents and the daily workload of the local governments.
 *
 * residents{ scale, moved, prefecture_share }: every municipality gets round(population x
 * scale) residents; a share `moved` of them moved in from another municipality (chosen in
 * proportion to population), which keeps them as former residents. A prefecture has no
 * residents of its own: its register holds a share `prefecture_share` of the people living in
 * its municipalities (the applicants of its programmes), each pointing at the municipality
 * they live in, which provides their local-tax record. The state of the day before the run is
 * set up directly, without messages: each resident's agency code at the NWS and in its
 * tenant's code management, and the replicas of resident-record and local-tax information.
 * Code acquisition for new residents during the run goes through the real flow.
 *
 * workload{ inquiries_per_day, business_hours }: who inquires follows the permission table:
 * each class of inquirer (municipalities, prefectures for the procedures marked
 * inquirer_lg_kind = "prefecture", each agency) gets the share of the day its procedures'
 * weights have in the table, and draws its own procedures by weight; municipalities in
 * proportion to their population, prefectures to their municipalities'. An inquiry to
 * another local government is about a resident who moved in from it (the most common real
 * case), to an agency about any resident; an agency asks about someone it holds a code for,
 * at the municipality they live in now (or at the agency that holds the item). */
#include "kinds/kinds.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform/platform.h"
#include "sim_calendar.h"
#include "sim_lua.h"



typedef struct workload {
    double per_day;
    double scale;               /* workload_scale(): the inquiry rate's factor (a month's shape) */
    double update_share;        /* nightly: share of residents whose local tax is re-registered */
    int64_t batch_at;           /* nightly batch, µs after midnight; < 0: none */
    double updates_per_day;     /* daytime partial updates of replicas, nationally */
    int64_t open, close;        /* µs after midnight JST */
    sim_calendar cal;           /* business days: weekends, national holidays and 12/29-1/3
                                 * closed (unless the scenario says otherwise) */
    /* Who inquires (the permission table's inquirer): municipalities, prefectures (procedures
     * marked inquirer_lg_kind = "prefecture") and each agency draw their own procedures by
     * weight; draws[0] municipalities, [1] prefectures, [2 + a] agency a. */
    struct proc_draw {
        double *cum;            /* cumulative weights */
        int *index;             /* procedure indices */
        int n;
        double weight;          /* the class's share of the table's weight */
    } draws[2 + 16];
    uint32_t *agency_body;      /* agency index -> node of a body of that agency */
    uint32_t *home_of, *addressee_of;   /* person -> the municipality they live in, and there */
    uint32_t npersons;
} workload;

enum { DRAW_MUNICIPALITY, DRAW_PREFECTURE, DRAW_AGENCY };


static struct proc_draw *draw_of(workload *wl, const body *b)
{
    return b->kind == BODY_AGENCY ? &wl->draws[DRAW_AGENCY + b->agency_index]
           : domain_is_prefecture(b)     ? &wl->draws[DRAW_PREFECTURE]
                                  : &wl->draws[DRAW_MUNICIPALITY];
}

/* The day before, both sites hold each tenant (mirroring had caught up). When every local
 * government pairs the same two sites, both stores are the same: the set-up writes one and
 * copies it (sim_store_copy) instead of writing both. */
typedef struct site_pair {
    uint32_t a, b;              /* a writes, b is copied from a; UINT32_MAX: write both */
} site_pair;

static site_pair common_pair(domain *d)
{
    site_pair p = {UINT32_MAX, UINT32_MAX};
    for (uint32_t i = 0; i < d->nbodies_cap; i++) {
        body *b = d->bodies[i];
        if (!b || b->kind != BODY_LG) continue;
        uint32_t lo = b->home < b->backup ? b->home : b->backup, hi = b->home < b->backup ? b->backup : b->home;
        if (lo == hi || (p.a != UINT32_MAX && (p.a != lo || p.b != hi))) return (site_pair){UINT32_MAX, UINT32_MAX};
        p = (site_pair){lo, hi};
    }
    return p;
}

/* The day before: person's agency code for b at the NWS and in b's code management, and -
 * for a municipality's own residents (provides) - the replicas of the items it provides about
 * them. restored: the rows are in the stores already (a snapshot, day_before.c): the same
 * draws, no writes. */
static int seed_person(domain *d, body *b, uint64_t addressee, uint32_t person, site_pair pair, bool provides,
                       bool coded, bool restored)
{
    sim_world *w = d->w;
    sim_node *nws = sim_world_node(w, d->nws), *jlis = sim_world_node(w, d->jlis);
    uint64_t key = node_jlis_person_key(jlis, node_person_resident_code(sim_world_seed(w), person));
    uint64_t code;
    tenant_db *t = platform_node_db(d, pair.a != UINT32_MAX ? pair.a : b->server);   /* an agency is its own server */
    tenant_db *copy = pair.a == UINT32_MAX && b->backup != b->home ? platform_node_db(d, b->backup) : NULL;
    int rc = coded ? node_nws_seed_code(nws, key, b->node, &code) : 0;   /* else: bulk_acquire{} gets it */
    if (rc == 0 && coded && !restored) rc = platform_tenant_seed_code(t, b, addressee, code);
    if (rc == 0 && coded && copy && !restored) rc = platform_tenant_seed_code(copy, b, addressee, code);
    if (rc < 0 || !provides) return rc;
    /* Replicas of the two items every municipality holds for everyone (if the table has them). */
    static const char *const items[] = {"TM00000000000001", "TM00000000000002"};
    sim_rng *r = &sim_world_node(w, b->node)->rng;
    for (int k = 0; k < 2; k++) {
        int item = domain_item(d, items[k]);
        if (item < 0) continue;
        char record[24], payload[256];
        snprintf(record, sizeof record, "%s-%llu-%d", b->code, (unsigned long long)addressee, k);
        uint64_t income = 1000000 + sim_rng_below(r, 9000) * 1000;
        if (k == 0)
            snprintf(payload, sizeof payload,
                     "{\"item\":\"%s\",\"household_head\":%s,\"household_size\":%u,\"moved_in\":\"2016-04-01\"}",
                     items[k], sim_rng_below(r, 2) ? "true" : "false", 1 + sim_rng_below(r, 5));
        else
            snprintf(payload, sizeof payload,
                     "{\"item\":\"%s\",\"tax_year\":2016,\"taxable_income\":%llu,\"municipal_tax\":%llu,\"prefectural_tax\":%llu}",
                     items[k], (unsigned long long)income, (unsigned long long)(income * 6 / 100),
                     (unsigned long long)(income * 4 / 100));
        if (restored) continue;
        rc = platform_tenant_seed_replica(d, t, b, addressee, item, record, 0, INT64_MAX, payload);
        if (rc == 0 && copy) rc = platform_tenant_seed_replica(d, copy, b, addressee, item, record, 0, INT64_MAX, payload);
        if (rc < 0) return rc;
    }
    return 0;
}

static int seed_agency_person(domain *d, body *b, uint32_t person, int item, sim_rng *r, bool restored)
{
    sim_world *w = d->w;
    sim_node *nws = sim_world_node(w, d->nws), *jlis = sim_world_node(w, d->jlis);
    /* An agency knows the people it serves: 30% here, each with a benefit record. */
    if (item < 0 || sim_rng_below(r, 10) >= 3) return 0;
    uint64_t key = node_jlis_person_key(jlis, node_person_resident_code(sim_world_seed(w), person));
    uint64_t code;
    int rc = node_nws_seed_code(nws, key, b->node, &code);
    if (rc == 0 && !restored) rc = platform_tenant_seed_code(b->own_db, b, (uint64_t)person + 1, code);
    if (rc < 0) return rc;
    char record[24], payload[160];
    snprintf(record, sizeof record, "%s-%u", b->code, person + 1);
    snprintf(payload, sizeof payload, "{\"item\":\"%s\",\"benefit_monthly\":%u,\"since\":\"2010-04-01\"}",
             d->items[item].code, 50000 + sim_rng_below(r, 150000));
    if (restored) return 0;
    return platform_tenant_seed_replica(d, b->own_db, b, (uint64_t)person + 1, item, record, 0, INT64_MAX, payload);
}

/* A prefecture's register: each current resident of its municipalities with probability
 * share, numbered from 1 in the order met; not living at the prefecture (current false), the
 * entry points at the municipality where the person lives (prev_body, prev_addressee), which
 * the workload asks. */
static int prefecture_add(body *pref, uint32_t *cap, const body *m, uint32_t a)
{
    if (pref->nresidents == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        resident *all = realloc(pref->residents, *cap * sizeof *all);
        if (!all) return -ENOMEM;
        pref->residents = all;
    }
    pref->residents[pref->nresidents++] =
        (resident){.person = m->residents[a].person, .prev_body = m->node, .prev_addressee = a + 1, .current = false};
    return 0;
}

static int prefecture_register(domain *d, body *pref, body **lgs, uint32_t n, double share)
{
    sim_rng *r = &sim_world_node(d->w, pref->node)->rng;
    uint32_t cap = 0, met = 0;
    for (uint32_t i = 0; i < n; i++) {
        body *m = lgs[i];
        if (m == pref || domain_is_prefecture(m) || strncmp(m->code, pref->code, 2) != 0) continue;
        met += m->nresidents;
        for (uint32_t a = 0; a < m->nresidents; a++)
            if (sim_rng_uniform(r) < share && prefecture_add(pref, &cap, m, a) < 0) return -ENOMEM;
    }
    /* at least one person, as every municipality has at least one resident (a small scale
     * would otherwise leave a prefecture nobody to test or ask about) */
    if (pref->nresidents || !met || share <= 0) return 0;
    uint32_t k = sim_rng_below(r, met);
    for (uint32_t i = 0; i < n; i++) {
        body *m = lgs[i];
        if (m == pref || domain_is_prefecture(m) || strncmp(m->code, pref->code, 2) != 0) continue;
        if (k < m->nresidents) return prefecture_add(pref, &cap, m, k);
        k -= m->nresidents;
    }
    return 0;
}

static int day_before_gc(lua_State *L)
{
    node_day_before_free(lua_touserdata(L, 1));
    return 0;
}

/* The local governments whose residents have no agency code the day before
 * (residents{ without_codes = { lg, ... } or true }): a bitmap by node id, Lua-owned; NULL
 * when every resident has one. */
static uint8_t *read_without_codes(lua_State *L, domain *d, uint32_t cap)
{
    int t = lua_getfield(L, 1, "without_codes");
    if (t == LUA_TNIL || (t == LUA_TBOOLEAN && !lua_toboolean(L, -1))) return NULL;
    uint8_t *none = lua_newuserdatauv(L, cap + 1, 0);   /* on the stack until residents{} returns */
    memset(none, 0, cap + 1);
    if (t == LUA_TBOOLEAN) {
        memset(none, 1, cap + 1);
        return none;
    }
    if (t != LUA_TTABLE) luaL_error(L, "residents: without_codes must be true or a list of local governments");
    int len = (int)luaL_len(L, -2);
    for (int i = 1; i <= len; i++) {
        lua_rawgeti(L, -2, i);
        sim_node *n = sim_lua_check_node(L, -1);
        body *b = domain_body(d, n->id);
        if (!b || b->kind != BODY_LG) luaL_error(L, "residents: without_codes: '%s' is not a local government", n->name);
        none[n->id] = 1;
        lua_pop(L, 1);
    }
    return none;
}

/* residents { scale = 0.001, moved = 0.3, prefecture_share = 0.03, without_codes = { lg, ... } } */
static int l_residents(lua_State *L)
{
    static const char *const known[] = {"scale", "moved", "prefecture_share", "without_codes", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "residents", known);
    lua_getfield(L, 1, "scale");
    double scale = lua_isnil(L, -1) ? 0.001 : luaL_checknumber(L, -1);
    lua_getfield(L, 1, "moved");
    double moved = lua_isnil(L, -1) ? 0.3 : luaL_checknumber(L, -1);
    lua_getfield(L, 1, "prefecture_share");
    double pref_share = lua_isnil(L, -1) ? 0.03 : luaL_checknumber(L, -1);
    if (!(scale > 0 && scale <= 1) || !(moved >= 0 && moved <= 1))
        return luaL_error(L, "residents: need 0 < scale <= 1 and 0 <= moved <= 1");
    if (!(pref_share >= 0 && pref_share <= 1))
        return luaL_error(L, "residents: need 0 <= prefecture_share <= 1");
    sim_world *w = sim_lua_world(L);
    domain *d = domain_get(w);
    if (!d || d->nws == UINT32_MAX || d->jlis == UINT32_MAX)
        return luaL_error(L, "residents: declare the nws and jlis first");
    if (d->npersons) return luaL_error(L, "residents: already set up");
    uint8_t *uncoded = read_without_codes(L, d, sim_world_node_count(w));

    /* Local governments in creation order, and their cumulative populations. */
    uint32_t n = 0, cap = sim_world_node_count(w);
    body **lgs = lua_newuserdatauv(L, cap * sizeof *lgs, 0);          /* Lua-owned: may raise */
    double *cum = lua_newuserdatauv(L, cap * sizeof *cum, 0);
    double total = 0;
    for (uint32_t i = 0; i < cap; i++) {
        body *b = domain_body(d, i);
        if (!b || b->kind != BODY_LG) continue;
        total += (double)b->population;
        cum[n] = total;
        lgs[n++] = b;
    }
    if (n == 0 || total <= 0) return luaL_error(L, "residents: no local government has a population");
    uint32_t populated = 0;   /* municipalities with residents: movers need two */
    for (uint32_t i = 0; i < n; i++) populated += !domain_is_prefecture(lgs[i]) && lgs[i]->population > 0;
    /* Pass 1: how many residents, and where the movers came from. */
    for (uint32_t i = 0; i < n; i++) {
        body *b = lgs[i];
        b->nresidents = domain_is_prefecture(b) ? 0 : (uint32_t)fmax(1, llround((double)b->population * scale));
        b->nextra = 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        body *b = lgs[i];
        free(b->residents);
        b->residents = NULL;
        if (!b->nresidents) continue;   /* a prefecture: its register comes from its municipalities */
        b->residents = calloc(b->nresidents, sizeof *b->residents);
        if (!b->residents) return luaL_error(L, "residents: out of memory");
        sim_rng *r = &sim_world_node(w, b->node)->rng;
        for (uint32_t a = 0; a < b->nresidents; a++) {
            resident *res = &b->residents[a];
            res->person = d->npersons++;
            res->prev_body = UINT32_MAX;
            res->current = true;
            if (populated < 2 || !(sim_rng_uniform(r) < moved)) continue;
            double u = sim_rng_uniform(r) * total;
            uint32_t lo = 0, hi = n - 1;
            while (lo < hi) {
                uint32_t mid = (lo + hi) / 2;
                if (cum[mid] > u) hi = mid; else lo = mid + 1;
            }
            /* nobody moves in from where they live, nor from a prefecture (nobody lives there) */
            while (lgs[lo] == b || !lgs[lo]->nresidents || !lgs[lo]->population) lo = (lo + 1) % n;
            res->prev_body = lgs[lo]->node;
            res->prev_addressee = ++lgs[lo]->nextra;   /* after its residents: made absolute below */
        }
    }
    for (uint32_t p = 0; p < d->npersons; p++)
        if (sim_map_put(&d->individual_nos, node_person_individual_no(sim_world_seed(w), p), (uint64_t)p + 1) < 0)
            return luaL_error(L, "residents: out of memory");
    /* Pass 2: former residents, then the state of the day before. */
    for (uint32_t i = 0; i < n; i++) {
        body *b = lgs[i];
        resident *all = realloc(b->residents, ((size_t)b->nresidents + b->nextra) * sizeof *all);
        if (!all) return luaL_error(L, "residents: out of memory");
        b->residents = all;
    }
    for (uint32_t i = 0; i < n; i++) {
        body *b = lgs[i];
        for (uint32_t a = 0; a < b->nresidents; a++) {
            resident *res = &b->residents[a];
            if (res->prev_body == UINT32_MAX) continue;
            body *prev = domain_body(d, res->prev_body);
            res->prev_addressee += prev->nresidents;   /* now the addressee number there */
            prev->residents[res->prev_addressee - 1] = (resident){.person = res->person, .prev_body = UINT32_MAX};
        }
    }
    for (uint32_t i = 0; i < n; i++)
        if (domain_is_prefecture(lgs[i]) && prefecture_register(d, lgs[i], lgs, n, pref_share) < 0)
            return luaL_error(L, "residents: out of memory");
    site_pair pair = common_pair(d);
    /* Lua-owned, so that an error below frees what it holds */
    node_day_before *db = lua_newuserdatauv(L, sizeof *db, 0);
    *db = (node_day_before){0};
    lua_newtable(L);
    lua_pushcfunction(L, day_before_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    int src = node_day_before_open(d, scale, moved, pair.a, pair.b, db);
    if (src < 0) return luaL_error(L, "residents: the snapshot of the day before: %s", strerror(-src));
    for (uint32_t i = 0; i < n; i++) {
        body *b = lgs[i];
        for (uint32_t a = 0; a < b->nresidents + b->nextra; a++) {
            int rc = seed_person(d, b, a + 1, b->residents[a].person, pair, !domain_is_prefecture(b),
                                 !uncoded || !uncoded[b->node], db->restored);
            if (rc < 0) return luaL_error(L, "residents: setting up %s failed: %s", b->code, strerror(-rc));
        }
    }
    /* Agencies number people person + 1; they know (and hold records of) some of them. */
    for (uint32_t i = 0; i < cap; i++) {
        body *b = domain_body(d, i);
        if (!b || b->kind != BODY_AGENCY) continue;
        free(b->residents);
        b->nresidents = d->npersons;
        b->residents = calloc(d->npersons, sizeof *b->residents);
        if (!b->residents) return luaL_error(L, "residents: out of memory");
        int item = -1;
        for (int k = 0; k < d->nitems; k++)
            if (d->items[k].holder_agency == b->agency_index) item = k;
        sim_rng *r = &sim_world_node(w, b->node)->rng;
        for (uint32_t p = 0; p < d->npersons; p++) {
            b->residents[p] = (resident){.person = p, .prev_body = UINT32_MAX, .current = true};
            int rc = seed_agency_person(d, b, p, item, r, db->restored);
            if (rc < 0) return luaL_error(L, "residents: setting up %s failed: %s", b->code, strerror(-rc));
        }
    }
    d->resident_scale = scale;
    if (db->restored) {   /* the stores, their indexes and the copy are the snapshot's */
        if (node_day_before_close(d, db) < 0) return luaL_error(L, "residents: indexing the snapshot of the day before failed");
        lua_pushinteger(L, d->npersons);
        return 1;
    }
    if (node_nws_index(sim_world_node(w, d->nws)) < 0)
        return luaL_error(L, "residents: two agency codes clashed; try another --seed");
    for (uint32_t i = 0; i < cap; i++) {
        tenant_db *t = platform_node_db(d, i);
        if (t && (pair.a == UINT32_MAX || i != pair.b) && platform_tenant_db_index(t) < 0)
            return luaL_error(L, "residents: indexing %s failed", sim_world_node(w, i)->name);
    }
    if (pair.a != UINT32_MAX) {
        tenant_db *from = platform_node_db(d, pair.a), *to = platform_node_db(d, pair.b);
        if (sim_store_copy(to->store, from->store) < 0 || platform_tenant_reload_index(to) < 0)
            return luaL_error(L, "residents: copying %s's store failed", sim_world_node(w, pair.a)->name);
        to->indexed = true;
    }
    node_day_before_close(d, db);   /* keeps the snapshot; a failure is told, not fatal */
    lua_pushinteger(L, d->npersons);
    return 1;
}


/* ---- workload -------------------------------------------------------------------------- */

static bool is_business_day(workload *wl, sim_time_t t)
{
    return sim_calendar_is_business_day(&wl->cal, sim_date_of(t));
}

/* Advance `t` by `gap` µs of business time (business days, open..close JST). */
static sim_time_t business_after(workload *wl, sim_time_t t, int64_t gap)
{
    for (int guard = 0; guard < 10000; guard++) {
        sim_time_t day = sim_time_day_start(t);
        sim_time_t open = day + wl->open, close = day + wl->close;
        if (!is_business_day(wl, t) || t >= close) {
            t = day + SIM_DAY + wl->open;
            continue;
        }
        if (t < open) t = open;
        if (gap <= close - t) return t + gap;
        gap -= close - t;
        t = day + SIM_DAY + wl->open;
    }
    return INT64_MAX;
}

static workload *workload_of(domain *d);

/* The next event of a Poisson stream of `rate` per business second. */
static void schedule_next(sim_node *n, workload *wl, double rate, uint64_t tag)
{
    if (!(rate > 0)) return;
    int64_t gap = (int64_t)(sim_rng_exponential(&n->rng, 1.0 / rate) * 1e6);
    sim_time_t at = business_after(wl, sim_node_now(n), gap);
    if (at != INT64_MAX) domain_timer_at(n, at, (uint32_t)tag, wl);
}

static void schedule_batch(sim_node *n, workload *wl)
{
    if (wl->batch_at < 0) return;
    sim_time_t day = sim_time_day_start(sim_node_now(n)), at = day + wl->batch_at;
    if (at <= sim_node_now(n)) at += SIM_DAY;
    domain_timer_at(n, at, WORKLOAD_REPLICA_BATCH, wl);
}

static const char LOCAL_TAX[] = "TM00000000000002", RESIDENT_RECORD[] = "TM00000000000001";

/* A new resident: a code through J-LIS, and the resident-record replica. */
static void new_resident(sim_node *n, domain *d, body *b)
{
    uint32_t a = node_body_new_resident(d, b);
    int item = domain_item(d, RESIDENT_RECORD);
    if (!a) return;
    node_body_acquire_code(n, a);
    if (item < 0) return;
    char record[24], payload[128];
    snprintf(record, sizeof record, "%s-%u-new", b->code, a);
    snprintf(payload, sizeof payload, "{\"item\":\"%s\",\"household_head\":false,\"household_size\":1}", RESIDENT_RECORD);
    node_body_register_replica(n, a, item, record, sim_node_now(n), INT64_MAX, payload);
}

/* The nightly batch: this year's local-tax figures for a share of the residents, as new
 * replicas published from now (the newest publication is the one provided). */
static void replica_batch(sim_node *n, domain *d, body *b, workload *wl)
{
    /* the nightly batch runs in the night before a business day: none before a weekend day,
     * a national holiday or a day of the year-end closure */
    int item = is_business_day(wl, sim_node_now(n)) ? domain_item(d, LOCAL_TAX) : -1;
    struct sim_civil c;
    sim_time_split(sim_node_now(n), &c);
    for (uint32_t a = 1; item >= 0 && a <= b->nresidents; a++) {
        if (!(sim_rng_uniform(&n->rng) < wl->update_share)) continue;
        char record[24], payload[192];
        uint64_t income = 1000000 + sim_rng_below(&n->rng, 9000) * 1000;
        snprintf(record, sizeof record, "%s-%u-%04d%02d%02d", b->code, a, c.year, c.month, c.day);
        snprintf(payload, sizeof payload,
                 "{\"item\":\"%s\",\"tax_year\":%d,\"taxable_income\":%llu,\"municipal_tax\":%llu}",
                 LOCAL_TAX, c.year - 1, (unsigned long long)income, (unsigned long long)(income * 6 / 100));
        node_body_register_replica(n, a, item, record, sim_node_now(n), INT64_MAX, payload);
    }
    schedule_batch(n, wl);
}

/* One event of the daily workload, then the next one. Called by kinds/body.c's timer. */
void node_workload_fire(sim_node *n, uint64_t tag, void *arg)
{
    workload *wl = arg;
    domain *d = domain_get(n->world);
    body *b = domain_body(d, n->id);
    if (b->external) return;   /* driven from outside now: its streams end here */
    const domain_stop *stop = domain_stop_at(d, sim_node_now(n));
    bool told = stop && stop->known;   /* a planned stop the desk was told of: no code acquisition nor inquiry now */
    if (tag == WORKLOAD_NEW_RESIDENT) {
        schedule_next(n, wl, b->new_rate, WORKLOAD_NEW_RESIDENT);
        if (!told) new_resident(n, d, b);
        return;
    }
    if (tag == WORKLOAD_REPLICA_BATCH) {
        replica_batch(n, d, b, wl);
        return;
    }
    if (tag == WORKLOAD_REPLICA_UPDATE) {   /* a resident's local tax corrected during the day */
        schedule_next(n, wl, b->update_rate, WORKLOAD_REPLICA_UPDATE);
        if (!b->nresidents) return;
        char record[24], payload[96];
        uint32_t a = 1 + sim_rng_below(&n->rng, b->nresidents);
        snprintf(record, sizeof record, "%s-%u-1", b->code, a);
        snprintf(payload, sizeof payload, "{\"municipal_tax\":%llu,\"corrected\":true}",
                 (unsigned long long)(60000 + sim_rng_below(&n->rng, 540) * 1000));
        node_body_update_replica(n, record, payload, 0);
        return;
    }
    schedule_next(n, wl, b->rate * wl->scale, WORKLOAD_INQUIRY);
    struct proc_draw *draw = draw_of(wl, b);
    if (!draw->n || !b->nresidents) return;
    if (told) return;
    double u = sim_rng_uniform(&n->rng) * draw->cum[draw->n - 1];
    int k = 0;
    while (k < draw->n - 1 && draw->cum[k] <= u) k++;
    int proc = draw->index[k];
    const permission *p = &d->procs[proc];
    uint32_t addressee = 1 + sim_rng_below(&n->rng, b->nresidents);
    uint32_t provider;
    if (b->kind == BODY_AGENCY) {
        /* an agency asks about someone it knows (holds a code for), where they live now */
        uint64_t code;
        bool known = false;
        for (int tries = 0; tries < 16 && !known; tries++) {
            known = sim_map_get(&b->own_db->code_by_addressee, ((uint64_t)b->tenant + 1) << 32 | addressee, &code);
            if (!known) addressee = 1 + sim_rng_below(&n->rng, b->nresidents);
        }
        if (!known) return;   /* nobody it serves drawn this time */
        uint32_t person = addressee - 1;
        if (p->provider_agency >= 0)
            provider = wl->agency_body[p->provider_agency];
        else if (person < wl->npersons)
            provider = wl->home_of[person];
        else
            return;
        if (provider == UINT32_MAX || provider == b->node) return;
    } else if (p->provider_agency < 0) {
        /* ask the previous municipality of someone who moved in: look from a random start */
        uint32_t a = addressee - 1, tries = 0;
        while (b->residents[a].prev_body == UINT32_MAX && ++tries < b->nresidents) a = (a + 1) % b->nresidents;
        if (b->residents[a].prev_body == UINT32_MAX) return;   /* nobody moved in here */
        addressee = a + 1;
        provider = b->residents[a].prev_body;
    } else {
        provider = wl->agency_body[p->provider_agency];
        if (provider == UINT32_MAX) return;
    }
    node_body_inquire(n, addressee, proc, provider, domain_staff_pick(b, proc, &n->rng));
}

static void workload_free(void *p)
{
    workload *wl = p;
    sim_calendar_free(&wl->cal);
    for (size_t i = 0; i < sizeof wl->draws / sizeof wl->draws[0]; i++) {
        free(wl->draws[i].cum);
        free(wl->draws[i].index);
    }
    free(wl->agency_body);
    free(wl->home_of);
    free(wl->addressee_of);
    free(wl);
}

/* The workload is one of the world's extensions, freed with it. */
static const sim_world_ext_key workload_key = {"workload"};

static workload *workload_of(domain *d) { return sim_world_ext(d->w, &workload_key); }

/* workload_scale(f): from now on the inquiries come at f times the declared rate (each
 * body's next inquiry is drawn at the new rate; f > 0, so no body's stream stops). */
static int l_workload_scale(lua_State *L)
{
    double f = luaL_checknumber(L, 1);
    workload *wl = workload_of(domain_get(sim_lua_world(L)));
    if (!wl) return luaL_error(L, "workload_scale: declare workload{} first");
    if (!(f > 0 && f <= 1000)) return luaL_error(L, "workload_scale: expected a factor above 0 (up to 1000), got %f", f);
    wl->scale = f;
    return 0;
}

/* workload { inquiries_per_day = 125000, business_hours = { "08:30", "17:15" },
 *            new_residents_per_day = 16, replica_batch = "02:00", batch_share = 0.01,
 *            replica_updates_per_day = 0 } */
static int l_workload(lua_State *L)
{
    static const char *const known[] = {"inquiries_per_day", "business_hours", "new_residents_per_day",
                                        "replica_batch", "batch_share", "replica_updates_per_day",
                                        "holidays", "year_end_closure", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "workload", known);
    sim_world *w = sim_lua_world(L);
    domain *d = domain_get(w);
    if (!d || !d->npersons) return luaL_error(L, "workload: set up residents{} first");
    if (workload_of(d)) return luaL_error(L, "workload: already set");
    lua_getfield(L, 1, "inquiries_per_day");
    double per_day = lua_isnil(L, -1) ? 125000 : luaL_checknumber(L, -1);
    if (!(per_day >= 0)) return luaL_error(L, "workload: inquiries_per_day must not be negative");
    int64_t open = 8 * SIM_HOUR + 30 * SIM_MIN, close = 17 * SIM_HOUR + 15 * SIM_MIN;
    if (lua_getfield(L, 1, "business_hours") == LUA_TTABLE) {
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        const char *a = lua_tostring(L, -2), *z = lua_tostring(L, -1);
        if (!a || !z || sim_time_parse_clock(a, &open) < 0 || sim_time_parse_clock(z, &close) < 0 || close <= open)
            return luaL_error(L, "workload: business_hours must be { 'HH:MM', 'HH:MM' }, opening first");
    }
    lua_getfield(L, 1, "new_residents_per_day");
    double new_per_day = lua_isnil(L, -1) ? 16 : luaL_checknumber(L, -1);
    int64_t batch_at = 2 * SIM_HOUR;
    if (lua_getfield(L, 1, "replica_batch") == LUA_TBOOLEAN && !lua_toboolean(L, -1))
        batch_at = -1;
    else if (!lua_isnil(L, -1) && (!lua_isstring(L, -1) || sim_time_parse_clock(lua_tostring(L, -1), &batch_at) < 0))
        return luaL_error(L, "workload: replica_batch must be a time of day 'HH:MM' or false");
    lua_getfield(L, 1, "batch_share");
    double share = lua_isnil(L, -1) ? 0.01 : luaL_checknumber(L, -1);
    lua_getfield(L, 1, "replica_updates_per_day");
    double updates = lua_isnil(L, -1) ? 0 : luaL_checknumber(L, -1);
    if (!(new_per_day >= 0) || !(share >= 0 && share <= 1) || !(updates >= 0))
        return luaL_error(L, "workload: new_residents_per_day >= 0, replica_updates_per_day >= 0 and 0 <= batch_share <= 1");
    bool holidays = true, year_end = true;   /* closed on national holidays, and 12/29-1/3 */
    if (lua_getfield(L, 1, "holidays") != LUA_TNIL) {
        if (!lua_isboolean(L, -1)) return luaL_error(L, "workload: holidays must be true (closed) or false");
        holidays = lua_toboolean(L, -1);
    }
    if (lua_getfield(L, 1, "year_end_closure") != LUA_TNIL) {
        if (!lua_isboolean(L, -1)) return luaL_error(L, "workload: year_end_closure must be true (12/29-1/3 closed) or false");
        year_end = lua_toboolean(L, -1);
    }
    int nlg = 0;
    for (int i = 0; i < d->nprocs; i++) nlg += d->procs[i].inquirer_agency < 0;
    if (nlg == 0) return luaL_error(L, "workload: the permission table has no procedure local governments ask");
    workload *wl = calloc(1, sizeof *wl);
    if (!wl) return luaL_error(L, "out of memory");
    wl->per_day = per_day;
    wl->scale = 1;
    wl->update_share = share;
    wl->updates_per_day = updates;
    wl->batch_at = batch_at;
    wl->open = open;
    wl->close = close;
    sim_calendar_init(&wl->cal);
    wl->cal.open = open;
    wl->cal.close = close;
    wl->cal.holidays_closed = holidays;
    wl->cal.year_end_closed = year_end;
    bool ok = true;
    for (size_t i = 0; i < sizeof wl->draws / sizeof wl->draws[0]; i++) {
        wl->draws[i].cum = calloc((size_t)d->nprocs + 1, sizeof *wl->draws[i].cum);
        wl->draws[i].index = calloc((size_t)d->nprocs + 1, sizeof *wl->draws[i].index);
        ok = ok && wl->draws[i].cum && wl->draws[i].index;
    }
    wl->agency_body = malloc(sizeof *wl->agency_body * (size_t)(d->nagencies + 1));
    wl->npersons = d->npersons;
    wl->home_of = malloc(sizeof *wl->home_of * ((size_t)d->npersons + 1));
    wl->addressee_of = malloc(sizeof *wl->addressee_of * ((size_t)d->npersons + 1));
    if (!ok || !wl->agency_body || !wl->home_of || !wl->addressee_of) {
        workload_free(wl);
        return luaL_error(L, "out of memory");
    }
    workload *before = sim_world_ext_detach(w, &workload_key);   /* workload{} again: the last one wins */
    if (before) workload_free(before);
    if (sim_world_ext_attach(w, &workload_key, wl, workload_free) < 0) {
        workload_free(wl);
        return luaL_error(L, "out of memory");
    }
    /* Each class of inquirer gets the share of the day that its procedures' weights have in
     * the whole table (a class with no body in the topology asks nothing). */
    double table = 0;
    for (int i = 0; i < d->nprocs; i++) {
        const permission *p = &d->procs[i];
        struct proc_draw *dr = &wl->draws[p->inquirer_agency >= 0 ? DRAW_AGENCY + p->inquirer_agency
                                          : p->inquirer_prefecture ? DRAW_PREFECTURE : DRAW_MUNICIPALITY];
        dr->weight += p->weight;
        dr->cum[dr->n] = dr->weight;
        dr->index[dr->n++] = i;
        table += p->weight;
    }
    for (int a = 0; a <= d->nagencies; a++) wl->agency_body[a] = UINT32_MAX;
    for (uint32_t p = 0; p <= d->npersons; p++) wl->home_of[p] = wl->addressee_of[p] = UINT32_MAX;
    uint32_t count = sim_world_node_count(w);
    double total = 0, by_pref[100] = {0}, pref_total = 0;
    for (uint32_t i = 0; i < count; i++) {
        body *b = domain_body(d, i);
        if (b && b->kind == BODY_AGENCY && wl->agency_body[b->agency_index] == UINT32_MAX)
            wl->agency_body[b->agency_index] = b->node;
        if (!b || b->kind != BODY_LG) continue;
        for (uint32_t a = 0; a < b->nresidents; a++)
            if (b->residents[a].current && b->residents[a].person < d->npersons) {
                wl->home_of[b->residents[a].person] = b->node;
                wl->addressee_of[b->residents[a].person] = a + 1;
            }
        if (domain_is_prefecture(b)) continue;
        total += (double)b->population;
        by_pref[(b->code[0] - '0') * 10 + (b->code[1] - '0')] += (double)b->population;
    }
    for (uint32_t i = 0; i < count; i++) {
        body *b = domain_body(d, i);
        if (b && domain_is_prefecture(b)) pref_total += by_pref[(b->code[0] - '0') * 10 + (b->code[1] - '0')];
    }
    double business_seconds = (double)(close - open) / 1e6;
    for (uint32_t i = 0; i < count; i++) {
        body *b = domain_body(d, i);
        if (!b || table <= 0) continue;
        sim_node *n = sim_world_node(w, i);
        double part = draw_of(wl, b)->weight / table;
        if (b->kind == BODY_AGENCY) {
            b->rate = wl->agency_body[b->agency_index] == b->node ? per_day * part / business_seconds : 0;
        } else if (domain_is_prefecture(b)) {   /* by the population of its municipalities */
            double pop = by_pref[(b->code[0] - '0') * 10 + (b->code[1] - '0')];
            b->rate = pref_total > 0 ? per_day * part * pop / pref_total / business_seconds : 0;
        } else {
            b->rate = total > 0 ? per_day * part * (double)b->population / total / business_seconds : 0;
        }
        if (b->kind == BODY_LG && total > 0) {
            b->new_rate = new_per_day * (double)b->population / total / business_seconds;
            b->update_rate = updates * (double)b->population / total / business_seconds;
        }
        node_workload_resume(n);
    }
    return 0;
}

/* Start (or, after a crash voided its timers, restart) a body's share of the workload. */
void node_workload_resume(sim_node *n)
{
    domain *d = domain_get(n->world);
    workload *wl = d ? workload_of(d) : NULL;
    body *b = d ? domain_body(d, n->id) : NULL;
    if (!wl || !b || b->external) return;
    schedule_next(n, wl, b->rate, WORKLOAD_INQUIRY);
    if (b->kind != BODY_LG) return;   /* agencies: inquiries only */
    schedule_next(n, wl, b->new_rate, WORKLOAD_NEW_RESIDENT);
    schedule_next(n, wl, b->update_rate, WORKLOAD_REPLICA_UPDATE);
    schedule_batch(n, wl);
}

static body *check_lg(lua_State *L, int idx)
{
    sim_node *n = sim_lua_check_node(L, idx);
    body *b = domain_body(domain_get(sim_lua_world(L)), n->id);
    if (!b || b->kind != BODY_LG) luaL_error(L, "'%s' is not a local government", n->name);
    return b;
}

uint32_t node_body_new_resident(domain *d, body *b)
{
    resident *all = realloc(b->residents, ((size_t)b->nresidents + b->nextra + 1) * sizeof *all);
    if (!all) return 0;
    b->residents = all;
    uint32_t person = d->npersons;
    if (sim_map_put(&d->individual_nos, node_person_individual_no(sim_world_seed(d->w), person), (uint64_t)person + 1) < 0)
        return 0;
    d->npersons++;
    all[b->nresidents + b->nextra++] = (resident){.person = person, .prev_body = UINT32_MAX, .current = true};
    return b->nresidents + b->nextra;
}

/* new_resident(lg) -> addressee number of a new person (born or from abroad): no code yet */
static int l_new_resident(lua_State *L)
{
    body *b = check_lg(L, 1);
    domain *d = domain_get(sim_lua_world(L));
    if (!d->npersons) return luaL_error(L, "new_resident: set up residents{} first");
    uint32_t a = node_body_new_resident(d, b);
    if (!a) return luaL_error(L, "out of memory");
    lua_pushinteger(L, a);
    return 1;
}

/* individual_no(lg, addressee): for the body's own scripts only (it never goes on the wire) */
static int l_individual_no(lua_State *L)
{
    body *b = check_lg(L, 1);
    lua_Integer a = luaL_checkinteger(L, 2);
    if (a < 1 || a > (lua_Integer)b->nresidents + b->nextra) return luaL_error(L, "%s has no addressee %I", b->code, a);
    char text[16];
    snprintf(text, sizeof text, "%012llu",
             (unsigned long long)node_person_individual_no(sim_world_seed(sim_lua_world(L)), b->residents[a - 1].person));
    lua_pushstring(L, text);
    return 1;
}

/* tamper { count = 1 }: the NWS corrupts the next sealed provisions it forwards */
static int l_tamper(lua_State *L)
{
    static const char *const known[] = {"count", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "tamper", known);
    lua_getfield(L, 1, "count");
    lua_Integer count = lua_isnil(L, -1) ? 1 : luaL_checkinteger(L, -1);
    if (count < 0 || count > UINT32_MAX) return luaL_error(L, "tamper: bad count");
    domain_get(sim_lua_world(L))->tamper = (uint32_t)count;
    return 0;
}

int node_population_open_lua(lua_State *L)
{
    lua_register(L, "new_resident", l_new_resident);
    lua_register(L, "individual_no", l_individual_no);
    lua_register(L, "tamper", l_tamper);
    lua_register(L, "residents", l_residents);
    lua_register(L, "workload", l_workload);
    lua_register(L, "workload_scale", l_workload_scale);
    int rc = node_staff_open_lua(L);
    if (rc == 0) rc = node_bulk_open_lua(L);
    return rc == 0 ? node_mynaportal_open_lua(L) : rc;
}
