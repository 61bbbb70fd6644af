/* sim_lua_api.c - the global functions scripts call: calendar, links, logging, parameters,
 * expectations. Documented for users in scripts/README.md.
 *
 * Rule for every function here: check all arguments (which may raise) before touching C
 * state, so a script error never leaves half-made objects or leaks behind. */
#include "sim_lua_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_net.h"

static const char TIMER_MT[] = "renkei.timer";
static const char LINK_MT[] = "renkei.link";
static const char RESULTS_MT[] = "renkei.results";

/* Raise on keys of an options table that the function does not know: typos fail loudly. */
void sim_lua_check_options(lua_State *L, int idx, const char *what, const char *const known[])
{
    if (lua_isnoneornil(L, idx)) return;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: option keys must be names", what);
        const char *key = lua_tostring(L, -1);
        const char *const *k = known;
        while (*k && strcmp(*k, key) != 0) k++;
        if (!*k) luaL_error(L, "%s: unknown option '%s'", what, key);
    }
}

/* ---- time ------------------------------------------------------------------------------ */

static int l_start(lua_State *L)
{
    sim_lua *sl = sim_lua_from(L);
    sim_time_t t = sim_lua_check_time(L, 1);
    int rc = sim_world_set_start(sl->w, t);
    if (rc == -ERANGE) return luaL_error(L, "start() must be 1970-01-01 09:00 JST or later (the engine's time 0)");
    if (rc < 0) return luaL_error(L, "start() must come before anything is scheduled or run");
    return 0;
}

static int l_finish(lua_State *L)
{
    sim_lua *sl = sim_lua_from(L);
    sim_time_t t;
    /* (lua_tostring would turn a number into a string in place: only look at strings) */
    const char *s = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
    int64_t d;
    if (s && sim_duration_parse(s, &d) == 0)
        t = sim_lua_time_add(L, sim_world_start(sl->w), sim_lua_check_duration(L, 1), "finish");
    else
        t = sim_lua_check_time(L, 1);
    if (t < sim_world_now(sl->w)) return luaL_error(L, "finish() is before the current time");
    sl->finish = t;
    sl->finish_set = true;
    return 0;
}

static int l_now(lua_State *L)
{
    lua_pushinteger(L, sim_world_now(sim_lua_from(L)->w));
    return 1;
}

static int l_clock(lua_State *L)
{
    char buf[SIM_TIME_BUFSZ];
    sim_time_format(sim_world_now(sim_lua_from(L)->w), buf, sizeof buf);
    lua_pushstring(L, buf);
    return 1;
}

static int l_time(lua_State *L)
{
    lua_pushinteger(L, sim_lua_check_time(L, 1));
    return 1;
}

static int l_duration(lua_State *L)
{
    lua_pushinteger(L, sim_lua_check_duration(L, 1));
    return 1;
}

static int l_fmt_time(lua_State *L)
{
    char buf[SIM_TIME_BUFSZ];
    sim_time_format(luaL_checkinteger(L, 1), buf, sizeof buf);
    lua_pushstring(L, buf);
    return 1;
}

static int l_fmt_duration(lua_State *L)
{
    char buf[64];
    sim_duration_format(luaL_checkinteger(L, 1), buf, sizeof buf);
    lua_pushstring(L, buf);
    return 1;
}

/* ---- calendar callbacks ---------------------------------------------------------------- */

typedef struct lua_timer {
    sim_event_id id;
    int64_t interval;         /* 0: one shot */
    lua_Integer left;         /* firings left; -1 = unlimited */
    int fn_ref, self_ref;     /* held while the timer may still fire */
    bool active;
    uint32_t node;            /* UINT32_MAX: a world timer, else a node's (void on crash) */
} lua_timer;

static void timer_release(lua_State *L, lua_timer *t)
{
    if (t->self_ref == LUA_NOREF) return;
    luaL_unref(L, LUA_REGISTRYINDEX, t->fn_ref);
    int self = t->self_ref;
    t->fn_ref = t->self_ref = LUA_NOREF;
    luaL_unref(L, LUA_REGISTRYINDEX, self);   /* t may be collected from here on */
}

static void world_timer_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node);

static int timer_schedule(sim_lua *sl, lua_timer *t, sim_time_t at)
{
    if (t->node == UINT32_MAX)
        return sim_world_schedule(sl->w, at, world_timer_event, t, 0, 0, &t->id);
    return sim_node_at(sim_world_node(sl->w, t->node), at, 0, t, &t->id);
}

/* Fire a timer: reschedule a repeating one first, so cancel() inside the callback works. */
void sim_lua_timer_fire(sim_lua *sl, void *ptr)
{
    lua_State *L = sl->L;
    lua_timer *t = ptr;
    if (t->left > 0) t->left--;
    bool again = t->interval > 0 && t->left != 0;
    sim_time_t next;
    /* a next firing past the supported times would never come: the timer ends */
    if (again && (sim_time_add(sim_world_now(sl->w), t->interval, &next) < 0 || timer_schedule(sl, t, next) < 0))
        again = false;
    t->active = again;
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->fn_ref);
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->self_ref);   /* keeps t alive during the call */
    sim_lua_pcall(sl, 1, 0);
    if (!t->active) timer_release(L, t);
}

static void world_timer_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    sim_lua_timer_fire(sim_world_ext(w, &sim_lua_ext_key), ptr);
}

/* Create a timer for the function at fn_idx; first firing at `at`. */
int sim_lua_new_timer(lua_State *L, int fn_idx, sim_time_t at, int64_t interval,
                      lua_Integer count, uint32_t node)
{
    sim_lua *sl = sim_lua_from(L);
    luaL_checktype(L, fn_idx, LUA_TFUNCTION);
    if (at < sim_world_now(sl->w)) {
        char buf[SIM_TIME_BUFSZ];
        sim_time_format(at, buf, sizeof buf);
        return luaL_error(L, "cannot schedule at %s: that is in the past", buf);
    }
    lua_timer *t = lua_newuserdatauv(L, sizeof *t, 0);
    *t = (lua_timer){.interval = interval, .left = count, .node = node,
                     .fn_ref = LUA_NOREF, .self_ref = LUA_NOREF};
    luaL_setmetatable(L, TIMER_MT);
    if (timer_schedule(sl, t, at) < 0) return luaL_error(L, "cannot schedule: event queue full");
    lua_pushvalue(L, fn_idx);
    t->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, -1);
    t->self_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    t->active = true;
    return 1;
}

static int l_at(lua_State *L)
{
    sim_time_t t = sim_lua_check_time(L, 1);
    return sim_lua_new_timer(L, 2, t, 0, 1, UINT32_MAX);
}

static int l_after(lua_State *L)
{
    int64_t d = sim_lua_check_duration(L, 1);
    return sim_lua_new_timer(L, 2, sim_lua_time_add(L, sim_world_now(sim_lua_from(L)->w), d, "after"), 0, 1,
                             UINT32_MAX);
}

/* every(interval, fn [, {first = time or duration, count = n}]) */
int sim_lua_every(lua_State *L, uint32_t node)
{
    static const char *const known[] = {"first", "count", NULL};
    sim_lua *sl = sim_lua_from(L);
    int64_t interval = sim_lua_check_duration(L, 1);
    if (interval <= 0) return luaL_error(L, "every(): the interval must be positive");
    sim_lua_check_options(L, 3, "every", known);
    sim_time_t first = sim_lua_time_add(L, sim_world_now(sl->w), interval, "every");
    lua_Integer count = -1;
    if (lua_istable(L, 3)) {
        if (lua_getfield(L, 3, "first") != LUA_TNIL) {
            /* (lua_tostring would turn a number into a string in place: only look at strings) */
            const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
            int64_t d;
            first = s && sim_duration_parse(s, &d) == 0
                        ? sim_lua_time_add(L, sim_world_now(sl->w), sim_lua_check_duration(L, -1), "every")
                        : sim_lua_check_time(L, -1);
        }
        if (lua_getfield(L, 3, "count") != LUA_TNIL) {
            count = luaL_checkinteger(L, -1);
            if (count <= 0) return luaL_error(L, "every(): count must be positive");
        }
        lua_pop(L, 2);
    }
    return sim_lua_new_timer(L, 2, first, interval, count, node);
}

static int l_every(lua_State *L) { return sim_lua_every(L, UINT32_MAX); }

static int timer_cancel(lua_State *L)
{
    lua_timer *t = luaL_checkudata(L, 1, TIMER_MT);
    bool was = t->active;
    if (was) {
        sim_world_cancel(sim_lua_from(L)->w, t->id);
        t->active = false;
        timer_release(L, t);
    }
    lua_pushboolean(L, was);
    return 1;
}

static int timer_active(lua_State *L)
{
    lua_timer *t = luaL_checkudata(L, 1, TIMER_MT);
    lua_pushboolean(L, t->active);
    return 1;
}

/* ---- links ----------------------------------------------------------------------------- */

static double check_bandwidth(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double v = lua_tonumber(L, idx);
        if (!(v >= 0) || !isfinite(v)) luaL_error(L, "link: bad bandwidth");
        return v;
    }
    const char *s = luaL_checkstring(L, idx);
    char *end;
    double v = strtod(s, &end);
    static const struct { const char *unit; double scale; } units[] = {
        {"bps", 1}, {"kbps", 1e3}, {"Kbps", 1e3}, {"Mbps", 1e6}, {"Gbps", 1e9}, {"Tbps", 1e12}};
    if (end != s && v >= 0 && isfinite(v))
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strcmp(end, units[i].unit) == 0) return v * units[i].scale;
    luaL_error(L, "link: bad bandwidth '%s' (expected e.g. '100Mbps', '10Gbps')", s);
    return 0;
}

static double check_probability(lua_State *L, int idx, const char *what, const char *key)
{
    double v = luaL_checknumber(L, idx);
    if (!(v >= 0 && v <= 1)) luaL_error(L, "%s: %s must be within [0, 1]", what, key);
    return v;
}

void sim_lua_read_link_options(lua_State *L, int idx, const char *what, sim_link_params *p)
{
    static const char *const known[] = {"latency", "jitter", "bandwidth", "loss", "up", "duplicate",
                                        "corrupt", "reorder", "reorder_delay", NULL};
    sim_lua_check_options(L, idx, what, known);
    if (!lua_istable(L, idx)) return;
    if (lua_getfield(L, idx, "latency") != LUA_TNIL) p->latency = sim_lua_check_duration(L, -1);
    if (lua_getfield(L, idx, "jitter") != LUA_TNIL) p->jitter = sim_lua_check_duration(L, -1);
    if (lua_getfield(L, idx, "bandwidth") != LUA_TNIL) p->bandwidth = check_bandwidth(L, -1);
    if (lua_getfield(L, idx, "loss") != LUA_TNIL) p->loss = check_probability(L, -1, what, "loss");
    if (lua_getfield(L, idx, "up") != LUA_TNIL) p->up = lua_toboolean(L, -1);
    if (lua_getfield(L, idx, "duplicate") != LUA_TNIL) p->duplicate = check_probability(L, -1, what, "duplicate");
    if (lua_getfield(L, idx, "corrupt") != LUA_TNIL) p->corrupt = check_probability(L, -1, what, "corrupt");
    if (lua_getfield(L, idx, "reorder") != LUA_TNIL) p->reorder = check_probability(L, -1, what, "reorder");
    if (lua_getfield(L, idx, "reorder_delay") != LUA_TNIL) p->reorder_delay = sim_lua_check_duration(L, -1);
    lua_pop(L, 9);
}

static void push_link(lua_State *L, sim_node *a, sim_node *b)
{
    lua_createtable(L, 0, 2);
    lua_pushstring(L, a->name);
    lua_setfield(L, -2, "a");
    lua_pushstring(L, b->name);
    lua_setfield(L, -2, "b");
    luaL_setmetatable(L, LINK_MT);
}

static int l_link(lua_State *L)
{
    sim_lua *sl = sim_lua_from(L);
    sim_node *a = sim_lua_check_node(L, 1), *b = sim_lua_check_node(L, 2);
    sim_link_params p = {.up = true};
    sim_lua_read_link_options(L, 3, "link", &p);
    int rc = sim_link_add(sl->w, a->id, b->id, &p);
    if (rc == -EEXIST) return luaL_error(L, "link %s - %s: already exists", a->name, b->name);
    if (rc == -EINVAL) return luaL_error(L, "link %s - %s: a node cannot link to itself", a->name, b->name);
    if (rc < 0) return luaL_error(L, "link %s - %s: %s", a->name, b->name, strerror(-rc));
    push_link(L, a, b);
    return 1;
}

/* link_of(a, b): the existing link between two nodes, to cut or change it. */
static int l_link_of(lua_State *L)
{
    sim_node *a = sim_lua_check_node(L, 1), *b = sim_lua_check_node(L, 2);
    sim_link_params p;
    if (sim_link_get(sim_lua_from(L)->w, a->id, b->id, &p) < 0)
        return luaL_error(L, "no link between %s and %s", a->name, b->name);
    push_link(L, a, b);
    return 1;
}

static void check_link(lua_State *L, sim_node **a, sim_node **b)
{
    bool ok = lua_istable(L, 1) && lua_getmetatable(L, 1);
    if (ok) {
        luaL_getmetatable(L, LINK_MT);
        ok = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
    }
    if (!ok) luaL_error(L, "expected a link (from link{...}) as the first argument");
    lua_getfield(L, 1, "a");
    lua_getfield(L, 1, "b");
    *a = sim_lua_check_node(L, -2);
    *b = sim_lua_check_node(L, -1);
    lua_pop(L, 2);
}

static int link_set_up(lua_State *L, bool up)
{
    sim_node *a, *b;
    check_link(L, &a, &b);
    const char *why = luaL_optstring(L, 2, "script");
    int rc = sim_link_set_up(sim_lua_from(L)->w, a->id, b->id, up, why);
    if (rc < 0) return luaL_error(L, "link: %s", strerror(-rc));
    return 0;
}

static int link_up(lua_State *L) { return link_set_up(L, true); }
static int link_down(lua_State *L) { return link_set_up(L, false); }

static int link_set(lua_State *L)
{
    sim_node *a, *b;
    check_link(L, &a, &b);
    sim_world *w = sim_lua_from(L)->w;
    sim_link_params p;
    sim_link_get(w, a->id, b->id, &p);
    sim_lua_read_link_options(L, 2, "link", &p);
    int rc = sim_link_set(w, a->id, b->id, &p);
    if (rc < 0) return luaL_error(L, "link: %s", strerror(-rc));
    return 0;
}

static int link_params(lua_State *L)
{
    sim_node *a, *b;
    check_link(L, &a, &b);
    sim_link_params p;
    sim_link_get(sim_lua_from(L)->w, a->id, b->id, &p);
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, p.latency);
    lua_setfield(L, -2, "latency");
    lua_pushinteger(L, p.jitter);
    lua_setfield(L, -2, "jitter");
    lua_pushnumber(L, p.bandwidth);
    lua_setfield(L, -2, "bandwidth");
    lua_pushnumber(L, p.loss);
    lua_setfield(L, -2, "loss");
    lua_pushboolean(L, p.up);
    lua_setfield(L, -2, "up");
    lua_pushnumber(L, p.duplicate);
    lua_setfield(L, -2, "duplicate");
    lua_pushnumber(L, p.corrupt);
    lua_setfield(L, -2, "corrupt");
    lua_pushnumber(L, p.reorder);
    lua_setfield(L, -2, "reorder");
    lua_pushinteger(L, p.reorder_delay);
    lua_setfield(L, -2, "reorder_delay");
    return 1;
}

/* ---- logging and parameters ------------------------------------------------------------ */

/* Join the arguments from idx on with spaces, as print() would. */
void sim_lua_join_args(lua_State *L, int idx, luaL_Buffer *b)
{
    int top = lua_gettop(L);
    luaL_buffinit(L, b);
    for (int i = idx; i <= top; i++) {
        if (i > idx) luaL_addchar(b, ' ');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(b);
    }
}

void sim_lua_log(sim_lua *sl, const sim_node *n, const char *text)
{
    sim_world *w = sl->w;
    sim_world_log(w, n ? n->name : NULL, text);
    if (sl->quiet) return;
    char buf[SIM_TIME_BUFSZ];
    sim_time_format(sim_world_now(w), buf, sizeof buf);
    if (n)
        printf("[%s] %s: %s\n", buf, n->name, text);
    else
        printf("[%s] %s\n", buf, text);
}

static int l_log(lua_State *L)
{
    luaL_Buffer b;
    sim_lua_join_args(L, 1, &b);
    luaL_pushresult(&b);
    sim_lua_log(sim_lua_from(L), NULL, lua_tostring(L, -1));
    return 0;
}

static int l_param(lua_State *L)
{
    sim_lua *sl = sim_lua_from(L);
    const char *key = luaL_checkstring(L, 1);
    lua_param *p = NULL;
    for (size_t i = 0; i < sl->nparams && !p; i++)
        if (strcmp(sl->params[i].key, key) == 0) p = &sl->params[i];
    if (!p) {
        if (lua_isnoneornil(L, 2))
            return luaL_error(L, "parameter '%s' is required (give --set %s=...)", key, key);
        lua_settop(L, 2);
        return 1;
    }
    p->used = true;
    switch (lua_type(L, 2)) {
    case LUA_TNUMBER: {
        if (lua_stringtonumber(L, p->value) == 0)
            return luaL_error(L, "--set %s=%s: not a number", key, p->value);
        return 1;
    }
    case LUA_TBOOLEAN:
        if (strcmp(p->value, "true") == 0 || strcmp(p->value, "1") == 0)
            lua_pushboolean(L, 1);
        else if (strcmp(p->value, "false") == 0 || strcmp(p->value, "0") == 0)
            lua_pushboolean(L, 0);
        else
            return luaL_error(L, "--set %s=%s: expected true or false", key, p->value);
        return 1;
    default:
        lua_pushstring(L, p->value);
        return 1;
    }
}

/* data("data/x.lua"): a data file beside the calling script, run with an empty environment
 * (no globals, no functions to call: pure data) and returned. Paths may not climb ("..") or
 * be absolute, so a script reads only what ships beside it. */
static int l_data(lua_State *L)
{
    const char *rel = luaL_checkstring(L, 1);
    size_t n = strlen(rel);
    if (rel[0] == '/' || strstr(rel, "..") || n < 5 || strcmp(rel + n - 4, ".lua") != 0)
        return luaL_error(L, "data('%s'): expected a relative path to a .lua file, without '..'", rel);
    lua_Debug ar;
    char dir[512] = ".";
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar) && ar.source[0] == '@') {
        const char *src = ar.source + 1, *slash = strrchr(src, '/');
        if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash - src), src);
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, dir);
    luaL_addchar(&b, '/');
    luaL_addstring(&b, rel);
    luaL_pushresult(&b);
    const char *path = lua_tostring(L, -1);
    /* Lua's message ("cannot open ./x.lua: ...", a syntax error) names no line of the caller */
    if (luaL_loadfilex(L, path, "t") != LUA_OK) return luaL_error(L, "data('%s'): %s", rel, lua_tostring(L, -1));
    lua_newtable(L);                       /* the empty environment */
    lua_setupvalue(L, -2, 1);
    lua_call(L, 0, 1);
    return 1;
}

static int l_find(lua_State *L)
{
    sim_node *n = sim_world_find_node(sim_lua_from(L)->w, luaL_checkstring(L, 1));
    if (n)
        sim_lua_push_node(L, n);
    else
        lua_pushnil(L);
    return 1;
}

/* ---- expectations ---------------------------------------------------------------------- */

static int add_expectation(lua_State *L, bool always)
{
    static const char *const known[] = {"every", NULL};
    sim_lua *sl = sim_lua_from(L);
    /* During the run an 'always' would never be scheduled, and one declared by a check would
     * move the table under the check that is running (found by fuzz_lua). */
    if (sl->run_begun)
        return luaL_error(L, "%s(): expectations are declared while the script loads, not during the run", always ? "always" : "expect");
    const char *name = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    int64_t every = SIM_MIN;
    if (always) {
        sim_lua_check_options(L, 3, "always", known);
        if (lua_istable(L, 3) && lua_getfield(L, 3, "every") != LUA_TNIL) {
            every = sim_lua_check_duration(L, -1);
            if (every <= 0) return luaL_error(L, "always(): 'every' must be positive");
        }
    }
    size_t n = sl->nexpects;
    sim_expectation *e = realloc(sl->expects, (n + 1) * sizeof *e);
    if (!e) return luaL_error(L, "out of memory");
    sl->expects = e;
    int *refs = realloc(sl->expect_refs, (n + 1) * sizeof *refs);
    if (!refs) return luaL_error(L, "out of memory");
    sl->expect_refs = refs;
    char *copy = strdup(name);
    if (!copy) return luaL_error(L, "out of memory");
    lua_pushvalue(L, 2);
    refs[n] = luaL_ref(L, LUA_REGISTRYINDEX);
    e[n] = (sim_expectation){.name = copy, .always = always, .every = every};
    sl->nexpects++;
    return 0;
}

static int l_expect(lua_State *L) { return add_expectation(L, false); }
static int l_always(lua_State *L) { return add_expectation(L, true); }

static int results_index(lua_State *L)
{
    /* r.nodes is built on first use: large topologies would pay for it on every check. */
    if (strcmp(luaL_checkstring(L, 2), "nodes") != 0) return 0;
    sim_world *w = sim_lua_from(L)->w;
    uint32_t count = sim_world_node_count(w);
    lua_createtable(L, 0, (int)count);
    for (uint32_t i = 0; i < count; i++) {
        sim_node *n = sim_world_node(w, i);
        sim_lua_push_node_stats(L, n);
        lua_setfield(L, -2, n->name);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, 1, "nodes");
    return 1;
}

static void set_int(lua_State *L, const char *key, uint64_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, key);
}

static int push_results(lua_State *L)
{
    sim_world *w = sim_lua_from(L)->w;
    const sim_world_stats *s = sim_world_stats_get(w);
    lua_createtable(L, 0, 12);
    set_int(L, "events", s->events);
    set_int(L, "now", (uint64_t)sim_world_now(w));
    set_int(L, "start", (uint64_t)sim_world_start(w));
    set_int(L, "elapsed", (uint64_t)(sim_world_now(w) - sim_world_start(w)));
    set_int(L, "sent", s->msgs_sent);
    set_int(L, "delivered", s->msgs_delivered);
    set_int(L, "dropped", s->msgs_dropped);
    set_int(L, "pending", sim_world_pending(w));
    lua_createtable(L, 0, 5);
    set_int(L, "no_link", s->drops_no_link);
    set_int(L, "link_down", s->drops_link_down);
    set_int(L, "loss", s->drops_loss);
    set_int(L, "node_down", s->drops_node_down);
    set_int(L, "sender_down", s->drops_sender_down);
    lua_setfield(L, -2, "drops");
    sim_lua *sl = sim_lua_from(L);
    for (int i = 0; i < sl->nresults; i++) sl->results[i].fn(L, sl->results[i].ud);
    luaL_setmetatable(L, RESULTS_MT);
    return 1;
}

int sim_lua_add_results(lua_State *L, void (*fn)(lua_State *L, void *ud), void *ud)
{
    sim_lua *sl = sim_lua_from(L);
    if (sl->nresults == (int)(sizeof sl->results / sizeof sl->results[0])) return -ENOSPC;
    sl->results[sl->nresults].fn = fn;
    sl->results[sl->nresults++].ud = ud;
    return 0;
}

/* Evaluate expectation i; 0 when it ran (passed or not), -EINVAL on a script error. */
static int evaluate(sim_lua *sl, size_t i)
{
    lua_State *L = sl->L;
    sim_expectation *e = &sl->expects[i];
    lua_rawgeti(L, LUA_REGISTRYINDEX, sl->expect_refs[i]);
    lua_pushcfunction(L, push_results);
    if (sim_lua_pcall(sl, 0, 1) < 0) {
        lua_pop(L, 1);
        return -EINVAL;
    }
    if (sim_lua_pcall(sl, 1, 2) < 0) return -EINVAL;
    bool passed = lua_toboolean(L, -2);
    const char *why = lua_tostring(L, -1);
    /* The first failure stays; until then the latest check's figure (its second value) is
     * kept, passing too, so that a passing expectation shows what it measured. */
    if (!e->evaluated || e->passed) {
        free(e->message);
        e->message = why ? strdup(why) : passed ? NULL : strdup("the condition was false");
        e->passed = passed;
        if (!passed) e->failed_at = sim_world_now(sl->w);
    }
    e->evaluated = true;
    lua_pop(L, 2);
    return 0;
}

static void always_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    sim_lua *sl = sim_world_ext(w, &sim_lua_ext_key);
    sim_expectation *e = &sl->expects[tag];
    if (evaluate(sl, tag) < 0) return;
    if (!e->passed) return;   /* the first failure is what matters; stop checking */
    sim_time_t next;
    if (sim_time_add(sim_world_now(w), e->every, &next) == 0 && next <= e->until &&
        sim_world_schedule(w, next, always_event, NULL, tag, 0, NULL) < 0)
        sim_world_halt(w, SIM_HALT_INTERNAL, "an 'always' expectation could not be scheduled again (out of memory)");
}

int sim_lua_begin_run(sim_lua *sl, sim_time_t until)
{
    sl->run_begun = true;
    for (size_t i = 0; i < sl->nexpects; i++) {
        sim_expectation *e = &sl->expects[i];
        if (!e->always) continue;
        e->until = until;
        int rc = sim_world_schedule(sl->w, sim_world_start(sl->w), always_event, NULL, i, 0, NULL);
        if (rc < 0) return rc;
    }
    return 0;
}

int sim_lua_check_expectations(sim_lua *sl)
{
    int failed = 0;
    for (size_t i = 0; i < sl->nexpects; i++) {
        sim_expectation *e = &sl->expects[i];
        if (!(e->always && e->evaluated && !e->passed) && evaluate(sl, i) < 0) return -EINVAL;
        if (!e->passed) failed++;
    }
    return failed;
}

/* ---- registration ---------------------------------------------------------------------- */

void sim_lua_open_api(lua_State *L)
{
    static const luaL_Reg globals[] = {
        {"start", l_start},         {"finish", l_finish},   {"now", l_now},
        {"clock", l_clock},         {"time", l_time},       {"duration", l_duration},
        {"fmt_time", l_fmt_time},   {"fmt_duration", l_fmt_duration},
        {"at", l_at},               {"after", l_after},     {"every", l_every},
        {"link", l_link},           {"log", l_log},         {"param", l_param},
        {"find", l_find},           {"expect", l_expect},   {"always", l_always},
        {"data", l_data},           {"link_of", l_link_of},
        {NULL, NULL}};
    lua_pushglobaltable(L);
    luaL_setfuncs(L, globals, 0);
    lua_pop(L, 1);

    static const luaL_Reg timer_methods[] = {{"cancel", timer_cancel}, {"active", timer_active},
                                             {NULL, NULL}};
    luaL_newmetatable(L, TIMER_MT);
    luaL_newlib(L, timer_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    static const luaL_Reg link_methods[] = {{"up", link_up}, {"down", link_down},
                                            {"set", link_set}, {"params", link_params},
                                            {NULL, NULL}};
    luaL_newmetatable(L, LINK_MT);
    luaL_newlib(L, link_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    luaL_newmetatable(L, RESULTS_MT);
    lua_pushcfunction(L, results_index);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}
