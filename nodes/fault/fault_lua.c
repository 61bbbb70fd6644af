/* fault/fault_lua.c - the disaster API in Lua: fault.<kind>(...) for every fault of the
 * catalogue, fault.clear, fault.list, fault.nemesis (random faults from a weighted list at
 * a given rate, drawn from the run's seed), nodes_where{} to pick sets of nodes, failover_settings{}
 * and the operator's commands. Documented in scripts/README.md; every argument is checked
 * and a bad one raises an error naming the script's file and line. */
#include <errno.h>
#include <limits.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fault/fault.h"
#include "fault/fault_internal.h"
#include "kinds/kinds.h"
#include "sim_lua.h"

static domain *dom(lua_State *L)
{
    domain *d = domain_get(sim_lua_world(L));
    if (!d || !fault_records_get(d) || !platform_ha_settings_get(d)) luaL_error(L, "out of memory");
    return d;
}

/* ---- targets ---------------------------------------------------------------------------- */

/* A node, or a name: a node's, else a local government's or an agency's ("大阪市", as the JSON
 * API takes it, fault_find_target). Raises for an unknown name or one several bodies bear. */
static sim_node *check_target(lua_State *L, int idx)
{
    domain *d = domain_get(sim_lua_world(L));
    if (lua_type(L, idx) != LUA_TSTRING || !d) return sim_lua_check_node(L, idx);
    sim_node *n;
    char why[300];
    if (fault_find_target(d, lua_tostring(L, idx), &n, why, sizeof why) < 0)
        luaL_error(L, "%s", why);
    return n;
}

/* A node, a node's name, or a list of those, as an array in a userdata pushed on the stack
 * (Lua owns it, so a later raise leaks nothing; keep it on the stack while in use). Raises
 * on an unknown node or an empty list; *n receives the count. */
static uint32_t *check_targets(lua_State *L, int idx, const char *what, size_t *n)
{
    idx = lua_absindex(L, idx);
    bool list = lua_istable(L, idx) && lua_getfield(L, idx, "id") == LUA_TNIL;
    if (lua_istable(L, idx)) lua_pop(L, 1);
    size_t len = list ? (size_t)lua_rawlen(L, idx) : 1;
    if (len == 0) luaL_error(L, "%s: the target list is empty", what);
    uint32_t *ids = lua_newuserdatauv(L, len * sizeof *ids, 0);
    for (size_t i = 0; i < len; i++) {
        if (list) lua_rawgeti(L, idx, (lua_Integer)i + 1);
        ids[i] = check_target(L, list ? -1 : idx)->id;
        if (list) lua_pop(L, 1);
    }
    *n = len;
    return ids;
}

static int64_t opt_duration(lua_State *L, int idx, const char *key, const char *what)
{
    int64_t v = 0;
    if (lua_getfield(L, idx, key) != LUA_TNIL) {
        if (lua_isnumber(L, -1) && lua_tonumber(L, -1) < 0) luaL_error(L, "%s: '%s' must not be negative", what, key);
        if (lua_isstring(L, -1) && !lua_isnumber(L, -1) && lua_tostring(L, -1)[0] == '-')
            luaL_error(L, "%s: '%s' must not be negative", what, key);
        v = sim_lua_check_duration(L, -1);
        if (v < 0) luaL_error(L, "%s: '%s' must not be negative", what, key);
    }
    lua_pop(L, 1);
    return v;
}

/* The options table at idx into s, refusing options the kind does not take. */
static void read_options(lua_State *L, int idx, fault_spec *s, const char *what)
{
    if (lua_isnoneornil(L, idx)) return;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        const char *key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        if (!key || !fault_kind_takes(s->kind, key)) luaL_error(L, "%s: unknown option '%s'", what, key ? key : "?");
    }
    s->duration = opt_duration(L, idx, "duration", what);
    s->delay = opt_duration(L, idx, "delay", what);
    s->period = opt_duration(L, idx, "period", what);
    s->grace = opt_duration(L, idx, "grace", what);
    s->link.latency = opt_duration(L, idx, "latency", what);
    s->link.jitter = opt_duration(L, idx, "jitter", what);
    if (lua_getfield(L, idx, "lose_state") != LUA_TNIL) s->lose_state = lua_toboolean(L, -1);
    if (lua_getfield(L, idx, "rate") != LUA_TNIL) s->rate = luaL_checknumber(L, -1);
    if (lua_getfield(L, idx, "loss") != LUA_TNIL) s->link.loss = luaL_checknumber(L, -1);
    if (lua_getfield(L, idx, "count") != LUA_TNIL) {
        /* checked before it is narrowed to the spec's int */
        int isint;
        lua_Integer c = lua_tointegerx(L, -1, &isint);
        if (!isint || c < 0 || c > INT_MAX) luaL_error(L, "%s: 'count' must be an integer from 0 to %d", what, INT_MAX);
        s->count = (int)c;
    }
    lua_pop(L, 4);
    if (lua_getfield(L, idx, "bandwidth") != LUA_TNIL) {
        sim_link_params p = {0};
        lua_newtable(L);
        lua_pushvalue(L, -2);
        lua_setfield(L, -2, "bandwidth");
        sim_lua_read_link_options(L, lua_gettop(L), what, &p);
        s->link.bandwidth = p.bandwidth;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (!(s->link.loss >= 0 && s->link.loss <= 1)) luaL_error(L, "%s: 'loss' must be within [0, 1]", what);
    if (lua_getfield(L, idx, "lg") != LUA_TNIL) {
        s->b = check_targets(L, -1, what, &s->nb);   /* its userdata stays on the stack */
        lua_remove(L, -2);
    } else {
        lua_pop(L, 1);
    }
}

static void push_handle(lua_State *L, int id, fault_kind kind);

/* fault.<kind>(target [, other], opts): the upvalue is the kind. */
static int l_fault_kind(lua_State *L)
{
    domain *d = dom(L);
    fault_kind kind = (fault_kind)lua_tointeger(L, lua_upvalueindex(1));
    char what[48];
    snprintf(what, sizeof what, "fault.%s", fault_kind_name(kind));
    fault_spec s = {.kind = kind};
    int arity = fault_kind_arity(kind), opts = arity + 1;
    lua_settop(L, opts);
    if (arity >= 1 && lua_isnil(L, 1)) return luaL_error(L, "%s: a target is required", what);
    if (arity == 2 && lua_isnil(L, 2)) return luaL_error(L, "%s: two sides are required (a, b)", what);
    if (arity >= 1) s.a = check_targets(L, 1, what, &s.na);
    if (arity == 2) s.b = check_targets(L, 2, what, &s.nb);
    read_options(L, opts, &s, what);
    char why[200];
    int id = fault_inject(d, &s, why, sizeof why);
    if (id < 0) return luaL_error(L, "%s", why);
    push_handle(L, id, kind);
    return 1;
}

static const char HANDLE_MT[] = "renkei.fault";

/* A handle's or a number's fault id, as given (ids are 1..INT_MAX: callers check the range
 * before narrowing, so 2^32 + 1 is no fault rather than fault 1). */
static lua_Integer fault_id_of(lua_State *L, int idx)
{
    int isint;
    if (lua_type(L, idx) != LUA_TNUMBER) {
        luaL_checktype(L, idx, LUA_TTABLE);
        lua_getfield(L, idx, "id");
    } else {
        lua_pushvalue(L, idx);
    }
    lua_Integer id = lua_tointegerx(L, -1, &isint);
    if (!isint) luaL_error(L, "expected a fault (a handle or its id)");
    lua_pop(L, 1);
    return id;
}

/* h:clear() or fault.clear(h | id): true, or false and why (it ended already). */
static int l_fault_clear(lua_State *L)
{
    domain *d = dom(L);
    lua_Integer id = fault_id_of(L, 1);
    if (id < 1 || id > INT_MAX) return luaL_error(L, "fault.clear: no fault %I", id);
    char why[200];
    int rc = fault_clear(d, (int)id, why, sizeof why);
    if (rc == -ENOENT) return luaL_error(L, "fault.clear: %s", why);
    lua_pushboolean(L, rc == 0);
    if (rc == 0) return 1;
    lua_pushstring(L, why);
    return 2;
}

static int l_handle_active(lua_State *L)
{
    lua_Integer id = fault_id_of(L, 1);
    fault *f = id >= 1 && id <= INT_MAX ? fault_find(dom(L), (int)id) : NULL;
    lua_pushboolean(L, f && f->active);
    return 1;
}

static void push_handle(lua_State *L, int id, fault_kind kind)
{
    lua_createtable(L, 0, 2);
    lua_pushinteger(L, id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, fault_kind_name(kind));
    lua_setfield(L, -2, "kind");
    luaL_setmetatable(L, HANDLE_MT);
}

/* fault.list() -> { { id, kind, target, start, ["end"], active }, ... } */
static int l_fault_list(lua_State *L)
{
    faults *fs = fault_records_get(dom(L));
    lua_createtable(L, (int)fs->n, 0);
    for (size_t i = 0; i < fs->n; i++) {
        lua_createtable(L, 0, 6);
        fault_recovery_push_fault_head(L, fs->list[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* ---- nemesis ------------------------------------------------------------------------------ */

enum { NEMESIS_MAX_ENTRIES = 1000 };

typedef struct nemesis_entry {
    fault_spec spec;
    double weight;
} nemesis_entry;

typedef struct nemesis {
    domain *d;
    nemesis_entry *e;
    int n;
    double total;
    int64_t mean;               /* mean time between faults */
    sim_time_t until;
    uint64_t fired;
} nemesis;

void fault_nemesis_free_all(faults *fs)
{
    for (size_t i = 0; i < fs->nnemeses; i++) {
        nemesis *m = fs->nemeses[i];
        for (int k = 0; k < m->n; k++) {
            free(m->e[k].spec.a);
            free(m->e[k].spec.b);
        }
        free(m->e);
        free(m);
    }
    free(fs->nemeses);
}

static void nemesis_fire(sim_world *w, void *ptr, uint64_t tag, uint32_t node);

static void nemesis_next(nemesis *m, size_t index)
{
    faults *fs = fault_records_get(m->d);
    double draw = sim_rng_exponential(&fs->nemesis_rng, (double)m->mean);
    /* a gap past the supported times (or no number at all) means no next fault */
    if (!(draw < (double)SIM_DURATION_MAX)) return;
    int64_t gap = (int64_t)draw;
    sim_time_t at;
    if (sim_time_add(sim_world_now(m->d->w), gap > 0 ? gap : 1, &at) == 0 && at < m->until &&
        sim_world_schedule(m->d->w, at, nemesis_fire, m, index, 0, NULL) < 0)
        domain_halt(m->d, "the nemesis could not schedule its next fault (out of memory)");
}

static void nemesis_fire(sim_world *w, void *ptr, uint64_t index, uint32_t node)
{
    (void)node;
    nemesis *m = ptr;
    faults *fs = fault_records_get(m->d);
    double u = sim_rng_uniform(&fs->nemesis_rng) * m->total;
    int k = 0;
    while (k < m->n - 1 && u >= m->e[k].weight) u -= m->e[k++].weight;
    const fault_spec *t = &m->e[k].spec;
    fault_spec s = *t;
    uint32_t a = 0, b = 0;
    /* One target of the set; for links, one linked pair (a few random tries, then a scan). */
    if (t->na) {
        a = t->a[sim_rng_below(&fs->nemesis_rng, (uint32_t)t->na)];
        s.a = &a;
        s.na = 1;
    }
    if (t->nb && s.kind != FAULT_CORRUPT_REPLICA) {
        sim_link_params p;
        bool found = false;
        for (int tries = 0; tries < 16 && !found; tries++) {
            a = t->a[sim_rng_below(&fs->nemesis_rng, (uint32_t)t->na)];
            b = t->b[sim_rng_below(&fs->nemesis_rng, (uint32_t)t->nb)];
            found = a != b && sim_link_get(w, a, b, &p) == 0;
        }
        for (size_t i = 0; i < t->na && !found; i++)
            for (size_t j = 0; j < t->nb && !found; j++)
                if (t->a[i] != t->b[j] && sim_link_get(w, t->a[i], t->b[j], &p) == 0) {
                    a = t->a[i];
                    b = t->b[j];
                    found = true;
                }
        s.b = &b;
        s.nb = 1;
    }
    s.from_nemesis = true;
    char why[200];
    m->fired++;
    int rc = fault_inject(m->d, &s, why, sizeof why);
    if (rc < 0) {
        char text[256];
        snprintf(text, sizeof text, rc == -ENOSPC ? "nemesis stopped: %s" : "nemesis: %s", why);
        sim_world_note(w, "fault", NULL, text);
    }
    if (rc != -ENOSPC) nemesis_next(m, index);
}

/* fault.nemesis{ every = "1h", duration = "7d", faults = { { kind = "crash", target = ...,
 * weight = 3, duration = "10m" }, { kind = "link_cut", a = ..., b = ..., ... } } } */
static int l_nemesis(lua_State *L)
{
    domain *d = dom(L);
    faults *fs = fault_records_get(d);
    static const char *const known[] = {"every", "duration", "faults", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "fault.nemesis", known);
    int64_t every = opt_duration(L, 1, "every", "fault.nemesis");
    int64_t span = opt_duration(L, 1, "duration", "fault.nemesis");
    if (every <= 0) return luaL_error(L, "fault.nemesis: 'every' (the mean time between faults) is required");
    if (lua_getfield(L, 1, "faults") != LUA_TTABLE || lua_rawlen(L, -1) == 0)
        return luaL_error(L, "fault.nemesis: 'faults' (a list of fault specifications) is required");
    int list = lua_gettop(L);
    if (lua_rawlen(L, list) > NEMESIS_MAX_ENTRIES)
        return luaL_error(L, "fault.nemesis: more than %d entries in 'faults'", NEMESIS_MAX_ENTRIES);
    int n = (int)lua_rawlen(L, list);
    nemesis m = {.d = d, .mean = every,
                 .until = span > 0 ? sim_lua_time_add(L, sim_world_now(d->w), span, "fault.nemesis") : INT64_MAX};
    nemesis_entry *entries = lua_newuserdatauv(L, (size_t)n * sizeof *entries, 0);
    memset(entries, 0, (size_t)n * sizeof *entries);
    lua_newtable(L);   /* keeps the target arrays alive until they are copied */
    int anchor = lua_gettop(L), anchored = 0;
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, list, i + 1);
        int e = lua_gettop(L);
        if (!lua_istable(L, e)) return luaL_error(L, "fault.nemesis: faults[%d] is not a table", i + 1);
        lua_getfield(L, e, "kind");
        const char *name = lua_tostring(L, -1);
        int kind = name ? fault_kind_of(name) : -1;
        if (kind < 0) return luaL_error(L, "fault.nemesis: faults[%d]: unknown fault kind '%s'", i + 1, name ? name : "?");
        lua_pop(L, 1);
        char what[64];
        snprintf(what, sizeof what, "fault.nemesis: faults[%d] (%s)", i + 1, name);
        fault_spec s = {.kind = (fault_kind)kind};
        /* The entry's own keys first; the rest are the kind's options. */
        lua_createtable(L, 0, 8);
        int opts = lua_gettop(L);
        double weight = 1;
        lua_pushnil(L);
        while (lua_next(L, e)) {
            const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
            if (!strcmp(key, "weight") && !(lua_isnumber(L, -1) && isfinite(lua_tonumber(L, -1))))
                return luaL_error(L, "%s: 'weight' must be a positive number", what);
            if (!strcmp(key, "weight")) weight = lua_tonumber(L, -1);
            else if (strcmp(key, "kind") && strcmp(key, "target") && strcmp(key, "a") && strcmp(key, "b")) {
                lua_pushvalue(L, -2);
                lua_pushvalue(L, -2);
                lua_settable(L, opts);
            }
            lua_pop(L, 1);
        }
        if (!(weight > 0)) return luaL_error(L, "%s: 'weight' must be positive", what);
        int arity = fault_kind_arity(s.kind);
        if (arity == 1) {
            if (lua_getfield(L, e, "target") == LUA_TNIL) return luaL_error(L, "%s: 'target' is required", what);
            s.a = check_targets(L, -1, what, &s.na);
        } else if (arity == 2) {
            lua_getfield(L, e, "a");
            lua_getfield(L, e, "b");
            if (lua_isnil(L, -1) || lua_isnil(L, -2)) return luaL_error(L, "%s: 'a' and 'b' are required", what);
            s.a = check_targets(L, -2, what, &s.na);
            s.b = check_targets(L, -2, what, &s.nb);
        }
        read_options(L, opts, &s, what);
        if (s.duration <= 0 && !(s.kind == FAULT_KEY_ROTATION || s.kind == FAULT_CORRUPT_REPLICA))
            return luaL_error(L, "%s: a positive 'duration' is required", what);
        while (lua_gettop(L) > opts) {   /* the target arrays' userdata: keep them */
            if (lua_type(L, -1) == LUA_TUSERDATA) lua_rawseti(L, anchor, ++anchored);
            else lua_pop(L, 1);
        }
        entries[i] = (nemesis_entry){.spec = s, .weight = weight};
        m.total += weight;
        lua_settop(L, e - 1);
    }
    /* Checked: copy into C memory owned by the faults registry (nothing raises after this
     * but out of memory). */
    nemesis *own = malloc(sizeof *own);
    nemesis **l = own ? realloc(fs->nemeses, (fs->nnemeses + 1) * sizeof *l) : NULL;
    nemesis_entry *own_e = l ? calloc((size_t)n, sizeof *own_e) : NULL;
    if (l) fs->nemeses = l;
    if (!own_e) {
        free(own);
        return luaL_error(L, "out of memory");
    }
    *own = m;
    own->e = own_e;
    own->n = n;
    fs->nemeses[fs->nnemeses++] = own;
    for (int i = 0; i < n; i++) {
        fault_spec *s = &own_e[i].spec;
        *s = entries[i].spec;
        own_e[i].weight = entries[i].weight;
        uint32_t *a = s->na ? malloc(s->na * sizeof *a) : NULL, *b = s->nb ? malloc(s->nb * sizeof *b) : NULL;
        if (a) memcpy(a, s->a, s->na * sizeof *a);
        if (b) memcpy(b, s->b, s->nb * sizeof *b);
        s->a = a;
        s->b = b;
        if ((s->na && !a) || (s->nb && !b)) return luaL_error(L, "out of memory");
    }
    nemesis_next(own, fs->nnemeses - 1);
    return 0;
}

/* ---- nodes_where{} --------------------------------------------------------------------------- */

static bool prefecture_matches(domain *d, const body *b, const char *want)
{
    if (b->kind != BODY_LG) return false;
    if (strlen(want) == 2 && want[0] >= '0' && want[0] <= '9') return strncmp(b->code, want, 2) == 0;
    /* by name: the prefecture is the body whose code is pp000x */
    for (uint32_t i = 0; i < d->nbodies_cap; i++) {
        body *p = d->bodies[i];
        if (p && p->kind == BODY_LG && strncmp(p->code + 2, "000", 3) == 0 && strcmp(p->name, want) == 0)
            return strncmp(b->code, p->code, 2) == 0;
    }
    return false;
}

/* nodes_where{ kind = "lg"|"prefecture"|"municipality"|"agency"|"site"|"ifs"|..., prefecture = "13"
 * or "東京都", home = site, served_by = site } -> a list of nodes, in creation order. */
static int l_select(lua_State *L)
{
    domain *d = dom(L);
    sim_world *w = d->w;
    static const char *const known[] = {"kind", "prefecture", "home", "served_by", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "nodes_where", known);
    lua_getfield(L, 1, "kind");
    const char *kind = luaL_optstring(L, -1, NULL);
    lua_getfield(L, 1, "prefecture");
    const char *pref = luaL_optstring(L, -1, NULL);
    lua_getfield(L, 1, "home");
    uint32_t home = lua_isnil(L, -1) ? UINT32_MAX : sim_lua_check_node(L, -1)->id;
    lua_getfield(L, 1, "served_by");
    uint32_t served = lua_isnil(L, -1) ? UINT32_MAX : sim_lua_check_node(L, -1)->id;
    lua_pop(L, 4);
    static const char *const kinds[] = {"lg", "prefecture", "municipality", "agency", NULL};
    bool of_body = false;
    for (int i = 0; kind && kinds[i]; i++) of_body = of_body || strcmp(kind, kinds[i]) == 0;
    bool known_kind = of_body || !kind;
    for (uint32_t i = 0; !known_kind && i < sim_world_node_count(w); i++)
        known_kind = strcmp(sim_world_node(w, i)->kind->name, kind) == 0;
    if (!known_kind)
        return luaL_error(L, "nodes_where: unknown kind '%s' (lg, prefecture, municipality, agency, or a node kind: "
                             "site, ifs, nws, jlis, ops, body)", kind);
    lua_newtable(L);
    lua_Integer k = 0;
    for (uint32_t i = 0; i < sim_world_node_count(w); i++) {
        sim_node *n = sim_world_node(w, i);
        body *b = domain_body(d, i);
        if (kind && of_body) {
            if (!b) continue;
            bool is_pref = b->kind == BODY_LG && strncmp(b->code + 2, "000", 3) == 0;
            if (!strcmp(kind, "lg") && b->kind != BODY_LG) continue;
            if (!strcmp(kind, "agency") && b->kind != BODY_AGENCY) continue;
            if (!strcmp(kind, "prefecture") && !is_pref) continue;
            if (!strcmp(kind, "municipality") && (b->kind != BODY_LG || is_pref)) continue;
        } else if (kind && strcmp(n->kind->name, kind) != 0) {
            continue;
        }
        if (pref && (!b || !prefecture_matches(d, b, pref))) continue;
        if (home != UINT32_MAX && (!b || b->home != home)) continue;
        if (served != UINT32_MAX && (!b || b->server != served)) continue;
        if (!strcmp(n->kind->name, "domain")) continue;
        sim_lua_push_node(L, n);
        lua_rawseti(L, -2, ++k);
    }
    if (k == 0 && pref) return luaL_error(L, "nodes_where: no local government in prefecture '%s'", pref);
    return 1;
}

/* ---- failover settings and the operator ---------------------------------------------- */

static int l_failover_settings(lua_State *L)
{
    domain *d = dom(L);
    ha_settings *s = platform_ha_settings_get(d);
    static const char *const known[] = {"mirroring", "heartbeat", "lease", "detect", "batch", "promote",
                                        "operator_delay", "failback", "failback_delay", "retransmit", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    /* renamed so that "replica" means only 副本 (issue 13): say so rather than "unknown" */
    if (lua_getfield(L, 1, "replication") != LUA_TNIL)
        return luaL_error(L, "failover_settings: 'replication' is now called 'mirroring' (the sites' copy stream; "
                             "a replica is a 副本)");
    lua_pop(L, 1);
    sim_lua_check_options(L, 1, "failover_settings", known);
    ha_settings n = *s;
    if (lua_getfield(L, 1, "mirroring") != LUA_TNIL) {
        const char *m = luaL_checkstring(L, -1);
        if (strcmp(m, "sync") && strcmp(m, "semisync") && strcmp(m, "async"))
            return luaL_error(L, "failover_settings: mirroring must be \"sync\", \"semisync\" or \"async\", not '%s'", m);
        n.sync = strcmp(m, "async") != 0;
        n.degrade = strcmp(m, "semisync") == 0;
    }
    if (lua_getfield(L, 1, "promote") != LUA_TNIL) {
        const char *m = luaL_checkstring(L, -1);
        if (!strcmp(m, "auto")) n.promote = HA_PROMOTE_AUTO;
        else if (!strcmp(m, "operator")) n.promote = HA_PROMOTE_OPERATOR;
        else if (!strcmp(m, "manual")) n.promote = HA_PROMOTE_MANUAL;
        else return luaL_error(L, "failover_settings: promote must be \"auto\", \"operator\" or \"manual\", not '%s'", m);
    }
    if (lua_getfield(L, 1, "failback") != LUA_TNIL) {
        const char *m = luaL_checkstring(L, -1);
        if (strcmp(m, "auto") && strcmp(m, "manual"))
            return luaL_error(L, "failover_settings: failback must be \"auto\" or \"manual\", not '%s'", m);
        n.auto_failback = strcmp(m, "auto") == 0;
    }
    lua_pop(L, 3);
    const struct { const char *k; int64_t *v; } durations[] = {
        {"heartbeat", &n.heartbeat}, {"lease", &n.lease}, {"detect", &n.detect}, {"batch", &n.batch},
        {"operator_delay", &n.operator_delay}, {"failback_delay", &n.failback_delay}, {"retransmit", &n.retransmit}};
    for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
        if (lua_getfield(L, 1, durations[i].k) != LUA_TNIL) {
            *durations[i].v = sim_lua_check_duration(L, -1);
            if (*durations[i].v <= 0) return luaL_error(L, "failover_settings: '%s' must be positive", durations[i].k);
        }
        lua_pop(L, 1);
    }
    if (!(n.heartbeat < n.lease && n.lease < n.detect))
        return luaL_error(L, "failover_settings: need heartbeat < lease < detect (a site must fence itself before "
                             "its peer may be promoted)");
    *s = n;
    return 0;
}

static sim_node *check_site(lua_State *L, int idx, const char *what)
{
    sim_node *n = sim_lua_check_node(L, idx);
    if (n->kind != &platform_site_kind) luaL_error(L, "%s: '%s' is not a site", what, n->name);
    return n;
}

/* operator.promote(home [, {force = true}]) / operator.failback(home): true, or false and why
 * (refused). */
static int l_operator(lua_State *L, bool failback)
{
    domain *d = dom(L);
    const char *what = failback ? "operator.failback" : "operator.promote";
    sim_node *home = check_site(L, 1, what);
    bool force = false;
    if (!failback && !lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
            if (!key || strcmp(key, "force") != 0) return luaL_error(L, "%s: unknown option '%s'", what, key ? key : "?");
            if (!lua_isboolean(L, -1)) return luaL_error(L, "%s: force must be true or false", what);
            force = lua_toboolean(L, -1);
            lua_pop(L, 1);
        }
    } else if (failback && !lua_isnoneornil(L, 2)) {
        return luaL_error(L, "%s takes one argument, the site", what);
    }
    char why[200];
    int rc = failback ? platform_ha_operator_failback(d, home, why, sizeof why)
                      : platform_ha_operator_promote(d, home, force, why, sizeof why);
    lua_pushboolean(L, rc == 0);
    if (rc == 0) return 1;
    lua_pushstring(L, why);
    return 2;
}

static int l_operator_promote(lua_State *L) { return l_operator(L, false); }
static int l_operator_failback(lua_State *L) { return l_operator(L, true); }

/* serving(lg) -> the site serving that local government's tenant now */
static int l_serving(lua_State *L)
{
    domain *d = dom(L);
    sim_node *n = sim_lua_check_node(L, 1);
    body *b = domain_body(d, n->id);
    if (!b || b->kind != BODY_LG) return luaL_error(L, "serving: '%s' is not a local government", n->name);
    sim_lua_push_node(L, sim_world_node(d->w, b->server));
    return 1;
}

static void push_recovery(lua_State *L, void *ud)
{
    (void)ud;
    domain *d = domain_find(sim_lua_world(L));
    if (d) fault_recovery_push_results(L, d);
}

int fault_open_lua(lua_State *L)
{
    sim_lua_add_results(L, push_recovery, NULL);
    luaL_newmetatable(L, HANDLE_MT);
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, l_fault_clear);
    lua_setfield(L, -2, "clear");
    lua_pushcfunction(L, l_handle_active);
    lua_setfield(L, -2, "active");
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    lua_createtable(L, 0, FAULT_KINDS + 4);
    for (int k = 0; k < FAULT_KINDS; k++) {
        lua_pushinteger(L, k);
        lua_pushcclosure(L, l_fault_kind, 1);
        lua_setfield(L, -2, fault_kind_name((fault_kind)k));
    }
    lua_pushcfunction(L, l_fault_clear);
    lua_setfield(L, -2, "clear");
    lua_pushcfunction(L, l_fault_list);
    lua_setfield(L, -2, "list");
    lua_pushcfunction(L, l_nemesis);
    lua_setfield(L, -2, "nemesis");
    lua_setglobal(L, "fault");
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, l_operator_promote);
    lua_setfield(L, -2, "promote");
    lua_pushcfunction(L, l_operator_failback);
    lua_setfield(L, -2, "failback");
    lua_setglobal(L, "operator");
    lua_pushcfunction(L, l_select);
    lua_setglobal(L, "nodes_where");
    lua_pushcfunction(L, l_failover_settings);
    lua_setglobal(L, "failover_settings");
    lua_pushcfunction(L, l_serving);
    lua_setglobal(L, "serving");
    return 0;
}
