/* sim_lua.c - the Lua state of a world: sandbox, budgets, protected calls, errors, params.
 *
 * Sandbox as in Redis' scripting: only safe libraries, a deterministic math.random, no way to
 * load binary chunks. The instruction budget is a count hook; the memory cap is the allocator.
 * A memory error carries no position (Lua runs no message handler for it), so the hook also
 * samples the running line, and that is what the error names. */
#include "sim_lua_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <lualib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MEM_CAP ((size_t)512 << 20)
#define DEFAULT_BUDGET UINT64_C(200000000)

static const char REGISTRY_KEY = 'w';
static const char SORT_KEY = 's';   /* registry: Lua's table.sort, for pairs */
enum { ALLOC_BYTES_PER_INSTRUCTION = 16 };

sim_lua *sim_lua_from(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &REGISTRY_KEY);
    sim_lua *sl = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return sl;
}

static bool over_budget(const sim_lua *sl);
static void count_hook(lua_State *L, lua_Debug *unused);
static void sample_where(lua_State *L, sim_lua *sl);

static void *lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    sim_lua *sl = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        sl->mem -= old;
        return NULL;
    }
    if (nsize > old && sl->mem + (nsize - old) > sl->mem_cap) {
        sl->mem_exceeded = true;
        /* A memory error runs no message handler: name the line now (reading the stack
         * allocates nothing). */
        if (sl->depth > 0) sample_where(sl->L, sl);
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p) return NULL;
    sl->mem = sl->mem - old + nsize;
    /* Bytes made are work the count hook cannot see (string.rep, table.concat, gsub...): they
     * count against the budget. Past it, inside a call, the hook is set to run at the very
     * next instruction, which stops the call naming its line (the allocator itself cannot
     * raise; the one allocation is within the memory cap). */
    if (nsize > old) {
        sl->charged += (nsize - old) / ALLOC_BYTES_PER_INSTRUCTION;
        if (sl->depth > 0 && !sl->hook_soon && over_budget(sl)) {
            sl->hook_soon = true;
            lua_sethook(sl->L, count_hook, LUA_MASKCOUNT, 1);
        }
    }
    return p;
}

/* The innermost script line running (from the count hook, level 0 is it; from the allocator,
 * the C function allocating may be above it). */
static void sample_where(lua_State *L, sim_lua *sl)
{
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar); level++)
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            snprintf(sl->where, sizeof sl->where, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
}

static bool over_budget(const sim_lua *sl)
{
    return sl->ticks > sl->budget / LUA_HOOK_EVERY || sl->ticks * LUA_HOOK_EVERY + sl->charged > sl->budget;
}

static void count_hook(lua_State *L, lua_Debug *unused)
{
    sim_lua *sl = sim_lua_from(L);
    sample_where(L, sl);
    /* A call nested in this one failed (a handler called from C): stop this one too; the
     * first error is the one reported. */
    if (sl->error) {
        lua_pushstring(L, sl->error);
        lua_error(L);
    }
    ++sl->ticks;
    if (!over_budget(sl)) return;
    /* luaL_error would name the caller of the running function; name the running one. */
    lua_pushfstring(L, "%s: instruction budget exceeded (%I instructions in one call)",
                    sl->where, (lua_Integer)sl->budget);
    lua_error(L);
}

void sim_lua_charge(lua_State *L, uint64_t units)
{
    sim_lua *sl = sim_lua_from(L);
    sl->charged = units > UINT64_MAX - sl->charged ? UINT64_MAX : sl->charged + units;
    if (over_budget(sl))
        luaL_error(L, "instruction budget exceeded (%I instructions in one call)", (lua_Integer)sl->budget);
}

/* "file:line: " at the start of msg (Lua's own positions, and ours) */
static bool has_position(const char *msg)
{
    const char *c = strchr(msg, ':');
    if (!c || c == msg || c[1] < '0' || c[1] > '9') return false;
    for (c++; *c >= '0' && *c <= '9'; c++) {}
    return *c == ':';
}

/* Keeps the innermost script line on the stack (level 1 is what raised: error() or a C
 * function; the first Lua function from there is the script's line), for errors whose
 * message names none: error(nil), error(t), a C stack overflow, an error in the handler. */
static void note_error_where(lua_State *L, sim_lua *sl)
{
    lua_Debug ar;
    if (sl->err_where[0]) return;
    for (int level = 1; lua_getstack(L, level, &ar); level++)
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            snprintf(sl->err_where, sizeof sl->err_where, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
}

static int tostring_protected(lua_State *L)
{
    luaL_tolstring(L, 1, NULL);
    return 1;
}

static int message_handler(lua_State *L)
{
    sim_lua *sl = sim_lua_from(L);
    note_error_where(L, sl);
    const char *msg = lua_tostring(L, 1);
    if (!msg && luaL_getmetafield(L, 1, "__tostring") != LUA_TNIL) {
        /* __tostring is the script's: it may raise or recurse, so it runs protected */
        lua_pop(L, 1);
        lua_pushcfunction(L, tostring_protected);
        lua_pushvalue(L, 1);
        if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) msg = lua_tostring(L, -1);
    }
    if (!msg) msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* The first error is kept: a nested call's error, not what it caused in its callers. */
static void set_error(sim_lua *sl, const char *traceback)
{
    if (sl->error) return;
    free(sl->traceback);
    sl->traceback = strdup(traceback);
    size_t line = strcspn(traceback, "\n");
    sl->error = strndup(traceback, line);
}

int sim_lua_pcall(sim_lua *sl, int nargs, int nresults)
{
    lua_State *L = sl->L;
    if (sl->error) {
        /* a script error stopped the run: nothing more runs in this state */
        lua_pop(L, nargs + 1);
        return -EINVAL;
    }
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, message_handler);
    lua_insert(L, base);
    if (sl->depth++ == 0) {
        /* the budget is per call from C; calls nested in it share it */
        sl->ticks = sl->charged = 0;
        sl->mem_exceeded = false;
        if (sl->hook_soon) {
            sl->hook_soon = false;
            lua_sethook(L, count_hook, LUA_MASKCOUNT, LUA_HOOK_EVERY);
        }
        sl->err_where[0] = '\0';
    }
    int rc = lua_pcall(L, nargs, nresults, base);
    sl->depth--;
    lua_remove(L, base);
    if (rc == LUA_OK) return 0;
    char text[512];
    if (sl->mem_exceeded) {   /* LUA_ERRMEM, or the same error passed on by pcall */
        snprintf(text, sizeof text, "%s: memory cap exceeded (%zu MiB)",
                 sl->where[0] ? sl->where : "script", sl->mem_cap >> 20);
        set_error(sl, text);
    } else {
        const char *msg = lua_tostring(L, -1);
        if (!msg) msg = "error";
        const char *where = sl->err_where[0] ? sl->err_where : sl->where[0] ? sl->where : "script";
        size_t n = strlen(where) + strlen(msg) + 3;
        char *named = has_position(msg) ? NULL : malloc(n);
        if (named) snprintf(named, n, "%s: %s", where, msg);
        set_error(sl, named ? named : msg);
        free(named);
    }
    lua_pop(L, 1);
    lua_gc(L, LUA_GCCOLLECT);
    sim_world_halt(sl->w, 2, sl->error);
    return -EINVAL;
}

/* ---- sandbox --------------------------------------------------------------------------- */

static int lua_random(lua_State *L)
{
    sim_lua *sl = sim_lua_from(L);
    int n = lua_gettop(L);
    if (n == 0) {
        lua_pushnumber(L, sim_rng_uniform(&sl->rng));
        return 1;
    }
    lua_Integer lo = 1, hi;
    if (n == 1) {
        hi = luaL_checkinteger(L, 1);
    } else {
        lo = luaL_checkinteger(L, 1);
        hi = luaL_checkinteger(L, 2);
    }
    luaL_argcheck(L, lo <= hi, n, "interval is empty");
    lua_Unsigned span = (lua_Unsigned)hi - (lua_Unsigned)lo;
    /* Same multiply-shift as sim_rng_below, on 64 bits. */
    __extension__ unsigned __int128 prod =
        (unsigned __int128)sim_rng_next(&sl->rng) * ((unsigned __int128)span + 1);
    lua_pushinteger(L, (lua_Integer)((lua_Unsigned)lo + (lua_Unsigned)(prod >> 64)));
    return 1;
}

static int lua_randomseed(lua_State *L)
{
    return luaL_error(L, "math.randomseed is not available: the run's --seed decides");
}

/* load() restricted to text chunks; the original load is upvalue 1. */
static int lua_load_text(lua_State *L)
{
    int top = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    if (top >= 2)
        lua_pushvalue(L, 2);
    else
        lua_pushnil(L);
    lua_pushliteral(L, "t");
    if (top >= 4) lua_pushvalue(L, 4);   /* a nil here would mean "no environment" */
    lua_call(L, top >= 4 ? 4 : 3, LUA_MULTRET);
    return lua_gettop(L) - top;
}

/* Canonical key order for pairs() and next(): numbers ascending, then strings by bytes, then
 * false, true. Lua's own order depends on a per-process random string-hash seed, which would
 * make any script that iterates a table with pairs() differ from run to run. Keys of other
 * types have no stable order, so iterating over them is an error rather than a silent
 * nondeterminism. */
static int key_rank(lua_State *L, int idx)
{
    switch (lua_type(L, idx)) {
    case LUA_TNUMBER: return 0;
    case LUA_TSTRING: return 1;
    case LUA_TBOOLEAN: return 2;
    default:
        return luaL_error(L, "pairs/next: a table with %s keys has no deterministic order "
                             "(key it by name or number)", luaL_typename(L, idx));
    }
}

static bool key_less(lua_State *L, int a, int b)
{
    int ra = key_rank(L, a), rb = key_rank(L, b);
    if (ra != rb) return ra < rb;
    if (ra == 0) return lua_compare(L, a, b, LUA_OPLT);
    if (ra == 2) return !lua_toboolean(L, a) && lua_toboolean(L, b);
    size_t la, lb;
    const char *sa = lua_tolstring(L, a, &la), *sb = lua_tolstring(L, b, &lb);
    int c = memcmp(sa, sb, la < lb ? la : lb);
    return c < 0 || (c == 0 && la < lb);
}

static int l_key_less(lua_State *L)
{
    lua_pushboolean(L, key_less(L, 1, 2));
    return 1;
}

/* next(t [, k]): the key after k in canonical order; a linear scan, so use pairs() in loops. */
static int l_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    bool have = false;               /* best candidate at index 3 (key) */
    uint64_t scanned = 0;
    lua_pushnil(L);                  /* 3: best key */
    lua_pushnil(L);                  /* 4: iteration key */
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        scanned++;
        if ((lua_isnil(L, 2) || key_less(L, 2, 4)) && (!have || key_less(L, 4, 3))) {
            lua_pushvalue(L, 4);
            lua_replace(L, 3);
            have = true;
        } else {
            key_rank(L, 4);          /* unorderable keys raise even when not the answer */
        }
    }
    sim_lua_charge(L, scanned);      /* a next() loop is quadratic: the budget sees it */
    if (!have) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushvalue(L, 3);
    lua_pushvalue(L, 3);
    lua_rawget(L, 1);
    return 2;
}

static int pairs_iter(lua_State *L)
{
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(2)) + 1;
    if (lua_rawgeti(L, lua_upvalueindex(1), i) == LUA_TNIL) return 1;
    lua_pushinteger(L, i);
    lua_replace(L, lua_upvalueindex(2));
    lua_pushvalue(L, -1);
    lua_gettable(L, 1);
    return 2;
}

/* pairs(t): __pairs if the table has one, else every key in canonical order. */
static int l_pairs(lua_State *L)
{
    luaL_checkany(L, 1);
    if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 3);
        return 3;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_newtable(L);                 /* the keys */
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        key_rank(L, -1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, ++n);
    }
    /* collecting and sorting the keys: about n log n comparisons the count hook cannot see */
    uint64_t log2n = 1;
    while (log2n < 64 && ((uint64_t)1 << log2n) < (uint64_t)n) log2n++;
    sim_lua_charge(L, (uint64_t)n * (log2n + 1));
    /* Lua's own sort, kept aside: a script's table.sort = ... must not change pairs' order */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &SORT_KEY);
    lua_pushvalue(L, -2);
    lua_pushcfunction(L, l_key_less);
    lua_call(L, 2, 0);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, pairs_iter, 2);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* table.sort(t [, cmp]) charging its n log n comparisons (the count hook sees only a Lua
 * comparator's own instructions); the original is upvalue 1. */
static int l_sort(lua_State *L)
{
    lua_Integer n = luaL_len(L, 1);
    uint64_t log2n = 1;
    while (log2n < 64 && n > 0 && ((uint64_t)1 << log2n) < (uint64_t)n) log2n++;
    sim_lua_charge(L, n > 0 ? (uint64_t)n * (log2n + 1) : 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 0);
    return 0;
}

static int lua_collectgarbage_count(lua_State *L)
{
    const char *opt = luaL_optstring(L, 1, "collect");
    if (strcmp(opt, "count") == 0) {
        lua_pushnumber(L, (lua_Number)lua_gc(L, LUA_GCCOUNT) + lua_gc(L, LUA_GCCOUNTB) / 1024.0);
        return 1;
    }
    if (strcmp(opt, "collect") == 0) {
        lua_gc(L, LUA_GCCOLLECT);
        lua_pushinteger(L, 0);
        return 1;
    }
    return luaL_error(L, "collectgarbage('%s') is not available in scripts", opt);
}

/* pcall and xpcall that do not catch what stops the run: the instruction budget, the memory
 * cap, and a script error already reported (a nested call's). A script catching those would
 * go on past them: `while true do pcall(f) end` would never end. The original is upvalue 1. */
static int l_pcall(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    sim_lua *sl = sim_lua_from(L);
    if (!lua_toboolean(L, 1) && (over_budget(sl) || sl->mem_exceeded || sl->error)) {
        lua_settop(L, 2);
        return lua_error(L);
    }
    return lua_gettop(L);
}

/* setmetatable(t, mt) without finalizers: Lua runs __gc with hooks off, so a finalizer would
 * run outside the instruction budget (one that never returns would hang the run). Lua marks
 * an object for finalization only when its metatable has __gc as it is set, so refusing it
 * here is enough; the original setmetatable is upvalue 1. */
static int l_setmetatable(lua_State *L)
{
    if (lua_istable(L, 2)) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc finalizers are not available in scripts "
                                 "(they would run outside the instruction budget)");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static void open_sandbox(lua_State *L)
{
    static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base},     {LUA_STRLIBNAME, luaopen_string},
                                    {LUA_TABLIBNAME, luaopen_table}, {LUA_MATHLIBNAME, luaopen_math},
                                    {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL}};
    for (const luaL_Reg *lib = libs; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);
        lua_pop(L, 1);
    }
    static const char *removed[] = {"dofile", "loadfile", "print", NULL};
    for (const char **name = removed; *name; name++) {
        lua_pushnil(L);
        lua_setglobal(L, *name);
    }
    lua_getglobal(L, "load");
    lua_pushcclosure(L, lua_load_text, 1);
    lua_setglobal(L, "load");
    lua_pushcfunction(L, lua_collectgarbage_count);
    lua_setglobal(L, "collectgarbage");
    lua_pushcfunction(L, l_pairs);
    lua_setglobal(L, "pairs");
    lua_pushcfunction(L, l_next);
    lua_setglobal(L, "next");
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, l_setmetatable, 1);
    lua_setglobal(L, "setmetatable");
    lua_getglobal(L, "pcall");
    lua_pushcclosure(L, l_pcall, 1);
    lua_setglobal(L, "pcall");
    lua_getglobal(L, "xpcall");
    lua_pushcclosure(L, l_pcall, 1);
    lua_setglobal(L, "xpcall");
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    sim_lua_open_patterns(L);   /* Lua's matcher backtracks outside the budget */
    lua_getglobal(L, "table");
    lua_getfield(L, -1, "sort");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &SORT_KEY);
    lua_pushcclosure(L, l_sort, 1);
    lua_setfield(L, -2, "sort");
    lua_pop(L, 1);
    lua_getglobal(L, "math");
    lua_pushcfunction(L, lua_random);
    lua_setfield(L, -2, "random");
    lua_pushcfunction(L, lua_randomseed);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
}

/* The metatables made in C (registry["renkei.*"]) are hidden from scripts, which could
 * otherwise give them a __gc for every object made after. */
static int lock_metatables(lua_State *L)
{
    lua_pushnil(L);
    while (lua_next(L, LUA_REGISTRYINDEX)) {
        if (lua_type(L, -2) == LUA_TSTRING && strncmp(lua_tostring(L, -2), "renkei.", 7) == 0 &&
            lua_istable(L, -1)) {
            lua_pushliteral(L, "__metatable");
            lua_pushboolean(L, 0);
            lua_rawset(L, -3);
        }
        lua_pop(L, 1);
    }
    return 0;
}

static int open_all(lua_State *L)
{
    open_sandbox(L);
    sim_lua_open_api(L);
    sim_lua_open_nodes(L);
    return lock_metatables(L);
}

/* ---- lifecycle ------------------------------------------------------------------------- */

int sim_lua_create(sim_world *w, const sim_lua_config *cfg, sim_lua **out)
{
    sim_lua *sl = calloc(1, sizeof *sl);
    if (!sl) return -ENOMEM;
    sl->w = w;
    sl->mem_cap = cfg && cfg->mem_cap ? cfg->mem_cap : DEFAULT_MEM_CAP;
    sl->budget = cfg && cfg->budget ? cfg->budget : DEFAULT_BUDGET;
    sl->quiet = cfg && cfg->quiet;
    sl->script_msg_type = -1;
    sim_rng_derive(&sl->rng, sim_world_seed(w), "lua:math.random");
    lua_State *L = lua_newstate(lua_alloc, sl);
    if (!L) {
        free(sl);
        return -ENOMEM;
    }
    sl->L = L;
    lua_pushlightuserdata(L, sl);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &REGISTRY_KEY);
    /* Opening the libraries can only fail for memory; do it protected all the same. */
    lua_pushcfunction(L, open_all);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        lua_close(L);
        free(sl);
        return -ENOMEM;
    }
    int rc = sim_lua_register_script_kind(w);
    if (rc < 0 && rc != -EEXIST) {
        lua_close(L);
        free(sl);
        return rc;
    }
    lua_sethook(L, count_hook, LUA_MASKCOUNT, LUA_HOOK_EVERY);
    rc = sim_world_ext_attach(w, &sim_lua_ext_key, sl, NULL);   /* destroyed by its owner */
    if (rc < 0) {
        lua_close(L);
        free(sl);
        return rc;
    }
    *out = sl;
    return 0;
}

const sim_world_ext_key sim_lua_ext_key = {"lua"};

void sim_lua_destroy(sim_lua *sl)
{
    if (!sl) return;
    lua_close(sl->L);
    for (size_t i = 0; i < sl->nparams; i++) {
        free(sl->params[i].key);
        free(sl->params[i].value);
    }
    free(sl->params);
    for (size_t i = 0; i < sl->nexpects; i++) {
        free(sl->expects[i].name);
        free(sl->expects[i].message);
    }
    free(sl->expects);
    free(sl->expect_refs);
    free(sl->error);
    free(sl->traceback);
    free(sl);
}

int sim_lua_set_param(sim_lua *sl, const char *key, const char *value)
{
    if (!*key) return -EINVAL;
    for (size_t i = 0; i < sl->nparams; i++) {
        if (strcmp(sl->params[i].key, key) != 0) continue;
        char *v = strdup(value);
        if (!v) return -ENOMEM;
        free(sl->params[i].value);
        sl->params[i].value = v;
        return 0;
    }
    lua_param *p = realloc(sl->params, (sl->nparams + 1) * sizeof *p);
    if (!p) return -ENOMEM;
    sl->params = p;
    p[sl->nparams] = (lua_param){.key = strdup(key), .value = strdup(value)};
    if (!p[sl->nparams].key || !p[sl->nparams].value) {
        free(p[sl->nparams].key);
        free(p[sl->nparams].value);
        return -ENOMEM;
    }
    sl->nparams++;
    return 0;
}

const char *sim_lua_unused_param(const sim_lua *sl)
{
    for (size_t i = 0; i < sl->nparams; i++)
        if (!sl->params[i].used) return sl->params[i].key;
    return NULL;
}

int sim_lua_load_file(sim_lua *sl, const char *path)
{
    lua_State *L = sl->L;
    int rc = luaL_loadfilex(L, path, "t");
    if (rc != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        /* "cannot open x.lua" from Lua already names the file; syntax errors name file:line. */
        set_error(sl, msg ? msg : "cannot load script");
        lua_pop(L, 1);
        return rc == LUA_ERRFILE ? -ENOENT : -EINVAL;
    }
    return sim_lua_pcall(sl, 0, 0);
}

int sim_lua_open_lib(sim_lua *sl, int (*open)(lua_State *L))
{
    lua_pushcfunction(sl->L, open);
    int rc = sim_lua_pcall(sl, 0, 0);
    if (rc < 0) return rc;
    lua_pushcfunction(sl->L, lock_metatables);   /* the ones the library made */
    return sim_lua_pcall(sl, 0, 0);
}

sim_world *sim_lua_world(lua_State *L) { return sim_lua_from(L)->w; }

sim_lua *sim_lua_of_world(const sim_world *w) { return sim_world_ext(w, &sim_lua_ext_key); }
int sim_lua_call(lua_State *L, int nargs, int nresults) { return sim_lua_pcall(sim_lua_from(L), nargs, nresults); }

const char *sim_lua_error(const sim_lua *sl) { return sl->error; }
const char *sim_lua_traceback(const sim_lua *sl) { return sl->traceback; }
size_t sim_lua_memory(const sim_lua *sl) { return sl->mem; }

bool sim_lua_finish_time(const sim_lua *sl, sim_time_t *out)
{
    if (sl->finish_set) *out = sl->finish;
    return sl->finish_set;
}

size_t sim_lua_expectation_count(const sim_lua *sl) { return sl->nexpects; }
const sim_expectation *sim_lua_expectation(const sim_lua *sl, size_t i)
{
    return i < sl->nexpects ? &sl->expects[i] : NULL;
}

/* ---- argument helpers ------------------------------------------------------------------ */

sim_time_t sim_lua_check_time(lua_State *L, int idx)
{
    sim_time_t t;
    if (lua_isinteger(L, idx)) {
        lua_Integer v = lua_tointeger(L, idx);
        if (sim_time_add(v, 0, &t) < 0)
            luaL_error(L, "time %I out of range (supported: " SIM_TIME_RANGE ")", v);
        return t;
    }
    const char *s = luaL_checkstring(L, idx);
    int rc = sim_time_parse(s, &t);
    if (rc == 0) return t;
    if (rc == -ERANGE) luaL_error(L, "time '%s' out of range (supported: " SIM_TIME_RANGE ")", s);
    int64_t of_day;
    if (sim_time_parse_clock(s, &of_day) == 0)
        return sim_lua_time_add(L, sim_time_day_start(sim_world_now(sim_lua_from(L)->w)), of_day, "time");
    luaL_error(L, "bad time '%s' (expected 'YYYY-MM-DD HH:MM[:SS]' or 'HH:MM[:SS]')", s);
    return 0;
}

int64_t sim_lua_check_duration(lua_State *L, int idx)
{
    if (lua_isinteger(L, idx)) {
        lua_Integer d = lua_tointeger(L, idx);
        if (d < 0) luaL_error(L, "bad duration %I (negative)", d);
        if (d > SIM_DURATION_MAX) luaL_error(L, "duration %I out of range (supported: " SIM_DURATION_RANGE ")", d);
        return d;
    }
    const char *s = luaL_checkstring(L, idx);
    int64_t d;
    int rc = sim_duration_parse(s, &d);
    if (rc == -ERANGE || (rc == 0 && d > SIM_DURATION_MAX))
        luaL_error(L, "duration '%s' out of range (supported: " SIM_DURATION_RANGE ")", s);
    if (rc < 0) luaL_error(L, "bad duration '%s' (expected e.g. '90s', '2h', '1h30m', '3d')", s);
    return d;
}

sim_time_t sim_lua_time_add(lua_State *L, sim_time_t t, int64_t d, const char *what)
{
    sim_time_t out;
    if (sim_time_add(t, d, &out) == 0) return out;
    char at[SIM_TIME_BUFSZ], span[SIM_TIME_BUFSZ];
    sim_time_format(t, at, sizeof at);
    sim_duration_format(d, span, sizeof span);
    luaL_error(L, "%s: %s after %s is out of range (supported: " SIM_TIME_RANGE ")", what, span, at);
    return 0;
}
