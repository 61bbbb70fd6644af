/* kinds/bulk.c - bulk initial code acquisition (一括取得): before a local government goes
 * live, it acquires the agency code of every resident who has none, through the same Art.
 * 21-2 path as one acquisition (its intermediate server issues the acquisition numbers, the
 * resident-record codes leave through its 住基ネット connection to J-LIS, the NWS answers the
 * server through the interface systems: kinds/body.c, platform/site.c, kinds/jlis.c,
 * kinds/nws.c). What this file adds is the queue and the capacity.
 *
 * J-LIS and the NWS each process so many persons a business day (bulk_settings{}; ASSUMED
 * defaults below). The capacity is shared by every body that queued: first come, first served,
 * in the order the residents were queued, so a body queued behind a large city waits for it.
 * Capacities are persons of the real population; the twin's residents are residents{}'s
 * scale of it, so the twin processes the capacity times that scale a day (at least one) and a
 * body takes the business days its real population would.
 *
 * A processing day is a business day of the network's operating calendar (operating_hours{},
 * or weekdays 08:30-17:15 without national holidays and 12/29-1/3); within it the day's
 * capacity is spread over batches every `every` from opening to closing. A planned stop the
 * desks were told of (maintenance{}) sends no batch; one they were not told of answers the
 * batch planned_maintenance. An acquisition that ends unreachable, timed out, in maintenance
 * or out of hours (住基ネット link or J-LIS or the NWS down, a stop) goes back to the head of
 * the queue and gives its capacity back: the batch waits and resumes. A body whose own systems
 * are down sends nothing; its residents keep their place and the bodies behind it go on. Before
 * each acquisition
 * the body's integrated addressee system looks at its server's code management: a resident
 * who has a code (an answer that came after its flow had timed out) is counted acquired and
 * not asked again, so nothing is acquired twice; a resident who moved out is skipped. Any
 * other error is tried again up to three times, then counted failed.
 *
 * node_bulk_share is the capacity rule alone (no world): the rollout rehearsal plans its
 * code-acquisition phases with it. */
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

enum { MAX_TRIES = 3 };

int64_t node_bulk_share(int64_t capacity, const int64_t *want, int64_t *grant, size_t n)
{
    int64_t left = capacity > 0 ? capacity : 0;
    for (size_t i = 0; i < n; i++) {
        int64_t w = want[i] > 0 ? want[i] : 0;
        grant[i] = w < left ? w : left;
        left -= grant[i];
    }
    return (capacity > 0 ? capacity : 0) - left;
}

int64_t node_bulk_allowance(int64_t left, int64_t batches_left)
{
    if (left <= 0) return 0;
    if (batches_left <= 1) return left;
    return (left + batches_left - 1) / batches_left;
}

int64_t node_bulk_twin_per_day(int64_t per_day, double scale)
{
    double v = (double)per_day * scale;
    return v < 1 ? 1 : (int64_t)llround(v);
}

/* One queued acquisition: the body (index in bulk->bodies) and the addressee, packed. */
typedef uint64_t job;
static job job_of(uint32_t body_ix, uint32_t addressee) { return (uint64_t)(body_ix + 1) << 32 | addressee; }
static uint32_t job_body(job j) { return (uint32_t)(j >> 32) - 1; }
static uint32_t job_addressee(job j) { return (uint32_t)j; }

typedef struct bulk {
    domain *d;
    int64_t jlis_per_day, nws_per_day, every;
    sim_calendar cal;           /* without operating_hours{}: the government office's */
    node_bulk_progress *bodies; /* in the order first queued */
    size_t nbodies, cap_bodies;
    job *ring;                  /* the queue: a ring, retries pushed at its head */
    size_t head, len, cap;
    sim_map flows;              /* flow -> job (in flight) */
    sim_map tries;              /* job -> failed tries (errors other than outages) */
    sim_map queued;             /* job -> 1: queued or in flight (not queued twice) */
    sim_time_t from;            /* no batch before this (the latest bulk_acquire's from) */
    sim_date today;             /* the processing day of the last batch */
    int day;                    /* processing days so far (the first is 1) */
    int64_t left_today;         /* the day's capacity not used yet */
    bool tick_pending;
    sim_time_t last_batch;      /* when the last batch ran */
} bulk;

static const sim_world_ext_key bulk_key = {"bulk code acquisition"};

static void bulk_free(void *p)
{
    bulk *q = p;
    sim_calendar_free(&q->cal);
    free(q->bodies);
    free(q->ring);
    sim_map_free(&q->flows);
    sim_map_free(&q->tries);
    sim_map_free(&q->queued);
    free(q);
}

static void on_end(void *ud, const domain_flow_end *ev);

static bulk *bulk_of(sim_world *w, bool create)
{
    bulk *q = sim_world_ext(w, &bulk_key);
    if (q || !create) return q;
    domain *d = domain_get(w);
    if (!d || !(q = calloc(1, sizeof *q))) return NULL;
    q->d = d;
    q->jlis_per_day = NODE_BULK_JLIS_PER_DAY;
    q->nws_per_day = NODE_BULK_NWS_PER_DAY;
    q->every = NODE_BULK_EVERY;
    sim_calendar_init(&q->cal);
    q->from = INT64_MIN;
    q->last_batch = INT64_MIN;
    q->today = INT32_MIN;
    if (domain_listen(d, &(domain_flow_listener){.ended = on_end, .ud = q}) < 0) {
        bulk_free(q);
        return NULL;
    }
    if (sim_world_ext_attach(w, &bulk_key, q, bulk_free) < 0) {   /* told nothing yet: let go */
        domain_unlisten(d, q);
        bulk_free(q);
        return NULL;
    }
    return q;
}

static sim_calendar *calendar(bulk *q) { return q->d->hours ? q->d->hours : &q->cal; }

static int64_t per_day(const bulk *q)
{
    int64_t c = q->jlis_per_day < q->nws_per_day ? q->jlis_per_day : q->nws_per_day;
    return node_bulk_twin_per_day(c, q->d->resident_scale > 0 ? q->d->resident_scale : 1);
}

static int push(bulk *q, job j, bool front)
{
    if (q->len == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        job *r = malloc(cap * sizeof *r);
        if (!r) return -ENOMEM;
        for (size_t i = 0; i < q->len; i++) r[i] = q->ring[(q->head + i) % q->cap];
        free(q->ring);
        q->ring = r;
        q->head = 0;
        q->cap = cap;
    }
    if (front) {
        q->head = (q->head + q->cap - 1) % q->cap;
        q->ring[q->head] = j;
    } else {
        q->ring[(q->head + q->len) % q->cap] = j;
    }
    q->len++;
    return 0;
}

static job pop(bulk *q)
{
    job j = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return j;
}

/* The next batch time after `t` (strictly, unless `at_or_after`): one of opening + k x every
 * on a business day, before closing. */
static sim_time_t next_batch(bulk *q, sim_time_t t, bool at_or_after)
{
    sim_calendar *c = calendar(q);
    for (int guard = 0; guard < 4000; guard++) {
        sim_date day = sim_date_of(t);
        sim_time_t open = sim_date_time(day) + c->open, close = sim_date_time(day) + c->close;
        if (sim_calendar_is_business_day(c, day) && t < close) {
            if (t < open) return open;
            int64_t k = (t - open) / q->every;
            sim_time_t at = open + k * q->every;
            if (at < t || (at == t && !at_or_after)) at += q->every;
            if (at < close) return at;
        }
        t = sim_date_time(day) + SIM_DAY;
        at_or_after = true;
    }
    return INT64_MAX;
}

static void tick(sim_world *w, void *ptr, uint64_t tag, uint32_t node);

static void ensure_tick(bulk *q)
{
    if (q->tick_pending || q->len == 0) return;
    sim_time_t now = sim_world_now(q->d->w), t = now > q->from ? now : q->from;
    sim_time_t at = next_batch(q, t, t > q->last_batch);   /* never twice at one time */
    if (at == INT64_MAX) return;   /* no business day in ten years: nothing to do */
    if (sim_world_schedule(q->d->w, at, tick, q, 0, 0, NULL) < 0) {
        domain_halt(q->d, "bulk code acquisition: the next batch could not be scheduled (out of memory)");
        return;
    }
    q->tick_pending = true;
}

static node_bulk_progress *progress_of(bulk *q, uint32_t node)
{
    for (size_t i = 0; i < q->nbodies; i++)
        if (q->bodies[i].node == node) return &q->bodies[i];
    return NULL;
}

/* The body's server (or its backup, serving after a failover) holds a code for it. */
static bool has_code(bulk *q, const body *b, uint32_t addressee)
{
    uint32_t stores[2] = {b->home, b->backup};
    for (int i = 0; i < 2; i++) {
        tenant_db *t = platform_node_db(q->d, stores[i]);
        if (t && sim_map_get(&t->code_by_addressee, ((uint64_t)b->tenant + 1) << 32 | addressee, NULL)) return true;
    }
    return false;
}

static void settled(bulk *q, node_bulk_progress *p, job j)
{
    sim_map_del(&q->queued, j, NULL);
    sim_map_del(&q->tries, j, NULL);
    if (p->acquired + p->failed + p->skipped < p->queued) return;
    p->finished = sim_world_now(q->d->w);
    p->last_day = q->day;
    char text[160];
    snprintf(text, sizeof text, "bulk code acquisition done: %llu acquired, %llu failed, %llu skipped in %d business days",
             (unsigned long long)p->acquired, (unsigned long long)p->failed, (unsigned long long)p->skipped,
             p->last_day - p->first_day + 1);
    sim_world_note(q->d->w, "bulk", sim_world_node(q->d->w, p->node)->name, text);
}

/* One batch: today's share of the capacity, from the head of the queue. */
static void tick(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    (void)tag;
    (void)node;
    bulk *q = ptr;
    q->tick_pending = false;
    sim_time_t now = sim_world_now(w);
    q->last_batch = now;
    sim_calendar *c = calendar(q);
    sim_date day = sim_date_of(now);
    if (!sim_calendar_is_open(c, now) || now < q->from) {   /* the calendar changed meanwhile */
        ensure_tick(q);
        return;
    }
    if (day != q->today) {   /* a new processing day: its capacity */
        q->today = day;
        q->day++;
        q->left_today = per_day(q);
    }
    for (size_t i = 0; i < q->nbodies; i++) {   /* bodies with work waiting count today */
        node_bulk_progress *p = &q->bodies[i];
        if (p->acquired + p->failed + p->skipped >= p->queued) continue;
        if (!p->first_day) p->first_day = q->day;
        p->last_day = q->day;
    }
    const domain_stop *stop = domain_stop_at(q->d, now);
    if (!(stop && stop->known)) {   /* an announced stop: the batch waits for its end */
        sim_time_t close = sim_date_time(day) + c->close;
        int64_t batches = (close - now + q->every - 1) / q->every;
        int64_t allow = node_bulk_allowance(q->left_today, batches);
        job *held = NULL;   /* residents of bodies whose systems are down, back at the head after */
        size_t held_n = 0, held_cap = 0;
        for (int64_t k = 0; k < allow && q->len; k++) {
            job j = pop(q);
            node_bulk_progress *p = &q->bodies[job_body(j)];
            body *b = domain_body(q->d, p->node);
            uint32_t a = job_addressee(j);
            if (a > b->nresidents + b->nextra || !b->residents[a - 1].current) {   /* moved out meanwhile */
                p->skipped++;
                settled(q, p, j);
                k--;
                continue;
            }
            if (has_code(q, b, a)) {   /* acquired already (its answer came late): not asked twice */
                p->acquired++;
                settled(q, p, j);
                k--;
                continue;
            }
            sim_node *n = sim_world_node(w, b->node);
            if (!n->up) {   /* its own systems are down: its residents wait, the bodies behind go on */
                if (held_n == held_cap) {
                    size_t cap = held_cap ? held_cap * 2 : 16;
                    job *h = realloc(held, cap * sizeof *h);
                    if (!h) break;
                    held = h;
                    held_cap = cap;
                }
                held[held_n++] = j;
                k--;
                continue;
            }
            uint64_t flow = node_body_acquire_code(n, a);
            if (!flow || sim_map_put(&q->flows, flow, j) < 0) {
                domain_halt(q->d, "bulk code acquisition: out of memory");
                break;
            }
            p->in_flight++;
            p->attempts++;
            q->left_today--;
        }
        while (held_n)   /* in their order, at the head */
            if (push(q, held[--held_n], true) < 0) {
                domain_halt(q->d, "bulk code acquisition: out of memory");
                break;
            }
        free(held);
    }
    ensure_tick(q);
}

static bool outage(flow_error e)
{
    return e == FLOW_UNREACHABLE || e == FLOW_TIMEOUT || e == FLOW_MAINTENANCE || e == FLOW_OUT_OF_HOURS;
}

static void on_end(void *ud, const domain_flow_end *ev)
{
    bulk *q = ud;
    uint64_t v;
    if (ev->kind != FLOW_CODE_REQUEST || !sim_map_del(&q->flows, ev->flow, &v)) return;
    job j = v;
    node_bulk_progress *p = &q->bodies[job_body(j)];
    p->in_flight--;
    if (ev->error == FLOW_OK) {
        p->acquired++;
        settled(q, p, j);
        return;
    }
    uint64_t tries = 0;
    if (!outage(ev->error)) {
        sim_map_get(&q->tries, j, &tries);
        if (++tries >= MAX_TRIES) {
            p->failed++;
            settled(q, p, j);
            return;
        }
        if (sim_map_put(&q->tries, j, tries) < 0) domain_halt(q->d, "bulk code acquisition: out of memory");
    }
    p->retried++;
    if (sim_date_of(sim_world_now(q->d->w)) == q->today) q->left_today++;   /* not processed: capacity back */
    if (push(q, j, true) < 0) {
        domain_halt(q->d, "bulk code acquisition: out of memory");
        return;
    }
    ensure_tick(q);
}

int node_bulk_configure(sim_world *w, int64_t jlis_per_day, int64_t nws_per_day, int64_t every)
{
    if (jlis_per_day <= 0 || nws_per_day <= 0 || every <= 0 || every > SIM_DAY) return -EINVAL;
    bulk *q = bulk_of(w, true);
    if (!q) return -ENOMEM;
    q->jlis_per_day = jlis_per_day;
    q->nws_per_day = nws_per_day;
    q->every = every;
    return 0;
}

void node_bulk_capacity(sim_world *w, int64_t *jlis_per_day, int64_t *nws_per_day)
{
    bulk *q = bulk_of(w, false);
    *jlis_per_day = q ? q->jlis_per_day : NODE_BULK_JLIS_PER_DAY;
    *nws_per_day = q ? q->nws_per_day : NODE_BULK_NWS_PER_DAY;
}

int node_bulk_check(sim_world *w, const body *b, char *why, size_t n)
{
    domain *d = domain_find(w);
    if (!d || !d->npersons) return snprintf(why, n, "set up residents{} first"), -ENOENT;
    if (!b || b->kind != BODY_LG)
        return snprintf(why, n, "'%s' is an agency: agencies' codes are set up with them, only local governments acquire codes through J-LIS",
                        b ? b->code : "?"), -EINVAL;
    return 0;
}

int node_bulk_queue(sim_world *w, body *b, sim_time_t from, uint64_t *queued)
{
    char why[200];
    int rc = node_bulk_check(w, b, why, sizeof why);
    if (rc < 0) return rc;
    bulk *q = bulk_of(w, true);
    if (!q) return -ENOMEM;
    node_bulk_progress *p = progress_of(q, b->node);
    if (!p) {
        if (q->nbodies == q->cap_bodies) {
            size_t cap = q->cap_bodies ? q->cap_bodies * 2 : 8;
            node_bulk_progress *all = realloc(q->bodies, cap * sizeof *all);
            if (!all) return -ENOMEM;
            q->bodies = all;
            q->cap_bodies = cap;
        }
        p = &q->bodies[q->nbodies++];
        *p = (node_bulk_progress){.node = b->node, .queued_at = sim_world_now(w), .finished = -1};
    }
    uint32_t ix = (uint32_t)(p - q->bodies);
    uint64_t added = 0;
    for (uint32_t a = 1; a <= b->nresidents + b->nextra; a++) {
        job j = job_of(ix, a);
        if (!b->residents[a - 1].current || has_code(q, b, a) || sim_map_get(&q->queued, j, NULL)) continue;
        if (sim_map_put(&q->queued, j, 1) < 0 || push(q, j, false) < 0) return -ENOMEM;
        added++;
    }
    if (added) {
        if (p->acquired + p->failed + p->skipped >= p->queued) {   /* idle until now: counts its days again */
            p->first_day = 0;
            p->finished = -1;
        }
        p->queued += added;
    }
    if (from > q->from) q->from = from;
    *queued = added;
    ensure_tick(q);
    return 0;
}

size_t node_bulk_bodies(sim_world *w, const node_bulk_progress **out)
{
    bulk *q = bulk_of(w, false);
    *out = q ? q->bodies : NULL;
    return q ? q->nbodies : 0;
}

int node_bulk_days(const node_bulk_progress *p) { return p->first_day ? p->last_day - p->first_day + 1 : 0; }

/* ---- Lua ------------------------------------------------------------------------------- */

/* bulk_settings { jlis_per_day = 1000000, nws_per_day = 1000000, every = "15m" } */
static int l_bulk_settings(lua_State *L)
{
    static const char *const known[] = {"jlis_per_day", "nws_per_day", "every", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "bulk_settings", known);
    sim_world *w = sim_lua_world(L);
    int64_t jlis, nws;
    node_bulk_capacity(w, &jlis, &nws);
    bulk *q = bulk_of(w, false);
    int64_t every = q ? q->every : NODE_BULK_EVERY;
    static const char *const caps[] = {"jlis_per_day", "nws_per_day"};
    int64_t *vals[] = {&jlis, &nws};
    for (int i = 0; i < 2; i++) {
        if (lua_getfield(L, 1, caps[i]) == LUA_TNIL) continue;
        int isint = 0;
        lua_Integer v = lua_tointegerx(L, -1, &isint);
        if (!isint || v <= 0)
            return luaL_error(L, "bulk_settings: '%s' must be a whole number of persons per day above 0, not %s", caps[i],
                              luaL_tolstring(L, -1, NULL));
        *vals[i] = (int64_t)v;
    }
    if (lua_getfield(L, 1, "every") != LUA_TNIL) every = sim_lua_check_duration(L, -1);
    if (every <= 0 || every > SIM_DAY) return luaL_error(L, "bulk_settings: 'every' must be a duration above 0, at most a day");
    if (node_bulk_configure(w, jlis, nws, every) < 0) return luaL_error(L, "out of memory");
    return 0;
}

static body *lua_lg(lua_State *L, int idx)
{
    sim_node *n = sim_lua_check_node(L, idx);
    body *b = domain_body(domain_get(sim_lua_world(L)), n->id);
    if (!b) luaL_error(L, "bulk_acquire: '%s' is not a local government", n->name);
    char why[200];
    if (node_bulk_check(sim_lua_world(L), b, why, sizeof why) < 0) luaL_error(L, "bulk_acquire: %s", why);
    return b;
}

/* bulk_acquire { body = lg or { lg, ... }, from = time } -> residents queued */
static int l_bulk_acquire(lua_State *L)
{
    static const char *const known[] = {"body", "from", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "bulk_acquire", known);
    sim_world *w = sim_lua_world(L);
    sim_time_t from = sim_world_now(w);
    if (lua_getfield(L, 1, "from") != LUA_TNIL) from = sim_lua_check_time(L, -1);
    lua_pop(L, 1);
    int t = lua_getfield(L, 1, "body");
    if (t == LUA_TNIL) return luaL_error(L, "bulk_acquire: needs body (a local government, or a list of them)");
    /* every body checked before any is queued: a bad one changes nothing */
    body *list[2048];
    int n = 0;
    if (t == LUA_TTABLE && !luaL_getmetafield(L, -1, "__name")) {
        int len = (int)luaL_len(L, -1);
        if (len < 1) return luaL_error(L, "bulk_acquire: 'body' is an empty list");
        if (len > (int)(sizeof list / sizeof list[0])) return luaL_error(L, "bulk_acquire: more than 2048 bodies in one call");
        for (int i = 1; i <= len; i++) {
            lua_rawgeti(L, -1, i);
            list[n++] = lua_lg(L, -1);
            lua_pop(L, 1);
        }
    } else {
        if (t == LUA_TTABLE) lua_pop(L, 1);   /* the metafield */
        list[n++] = lua_lg(L, -1);
    }
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        uint64_t added = 0;
        if (node_bulk_queue(w, list[i], from, &added) < 0) return luaL_error(L, "out of memory");
        total += added;
    }
    lua_pushinteger(L, (lua_Integer)total);
    return 1;
}

static void push_progress(lua_State *L, sim_world *w, const node_bulk_progress *p)
{
    lua_createtable(L, 0, 10);
    const struct { const char *k; uint64_t v; } f[] = {
        {"queued", p->queued},   {"acquired", p->acquired}, {"failed", p->failed},   {"skipped", p->skipped},
        {"in_flight", p->in_flight}, {"attempts", p->attempts}, {"retried", p->retried},
        {"waiting", p->queued - p->acquired - p->failed - p->skipped - p->in_flight}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        lua_pushinteger(L, (lua_Integer)f[i].v);
        lua_setfield(L, -2, f[i].k);
    }
    lua_pushinteger(L, node_bulk_days(p));
    lua_setfield(L, -2, "days");
    lua_pushboolean(L, p->finished >= 0);
    lua_setfield(L, -2, "done");
    (void)w;
}

/* bulk_progress(lg) -> { queued, acquired, failed, skipped, in_flight, waiting, attempts,
 * retried, days, done }; nil for a body never queued */
static int l_bulk_progress(lua_State *L)
{
    sim_node *n = sim_lua_check_node(L, 1);
    const node_bulk_progress *all;
    size_t nb = node_bulk_bodies(sim_lua_world(L), &all);
    for (size_t i = 0; i < nb; i++)
        if (all[i].node == n->id) {
            push_progress(L, sim_lua_world(L), &all[i]);
            return 1;
        }
    lua_pushnil(L);
    return 1;
}

/* r.bulk[code] = bulk_progress(code), for expectations */
static void push_results(lua_State *L, void *ud)
{
    (void)ud;
    sim_world *w = sim_lua_world(L);
    const node_bulk_progress *all;
    size_t nb = node_bulk_bodies(w, &all);
    if (!nb) return;
    domain *d = domain_find(w);
    lua_createtable(L, 0, (int)nb);
    for (size_t i = 0; i < nb; i++) {
        push_progress(L, w, &all[i]);
        lua_setfield(L, -2, domain_body(d, all[i].node)->code);
    }
    lua_setfield(L, -2, "bulk");
}

int node_bulk_open_lua(lua_State *L)
{
    lua_register(L, "bulk_settings", l_bulk_settings);
    lua_register(L, "bulk_acquire", l_bulk_acquire);
    lua_register(L, "bulk_progress", l_bulk_progress);
    return sim_lua_add_results(L, push_results, NULL);
}
