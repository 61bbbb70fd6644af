/* sim_lua_internal.h - what the Lua binding's files (sim_lua*.c) share. */
#ifndef RENKEI_SIM_LUA_INTERNAL_H
#define RENKEI_SIM_LUA_INTERNAL_H

#include <lauxlib.h>
#include <lua.h>

#include "sim_lua.h"
#include "sim_node.h"

typedef struct lua_param {
    char *key, *value;
    bool used;
} lua_param;

struct sim_lua {
    lua_State *L;
    sim_world *w;
    size_t mem, mem_cap;
    bool mem_exceeded;
    bool hook_soon;                   /* past the budget: the count hook runs at every instruction */
    uint64_t budget, ticks;           /* ticks: count-hook calls in the current call */
    uint64_t charged;                 /* C work done for the current call, in instructions */
    int depth;                        /* calls into Lua under way (Lua -> C -> Lua nests them) */
    char where[256];                  /* last sampled "file:line", for memory errors */
    char err_where[256];              /* the innermost script line of the error being raised */
    char *error, *traceback;
    bool quiet;
    bool finish_set;
    sim_time_t finish;
    lua_param *params;
    size_t nparams;
    sim_expectation *expects;
    int *expect_refs;                 /* the expectation functions, in the registry */
    size_t nexpects;
    bool run_begun;                   /* expectations are declared before it (their table is fixed) */
    int script_msg_type;              /* message type of Lua messages, -1 until first send */
    sim_rng rng;                      /* math.random */
    struct { void (*fn)(lua_State *L, void *ud); void *ud; } results[4];
    int nresults;
};

enum { LUA_HOOK_EVERY = 1000 };

/* The Lua side's slot among the world's extensions. */
extern const sim_world_ext_key sim_lua_ext_key;

/* sim_lua.c */
sim_lua *sim_lua_from(lua_State *L);
/* Protected call of the function below nargs arguments; on error keeps the message, halts the
 * world with status 2 and returns -EINVAL. */
int sim_lua_pcall(sim_lua *sl, int nargs, int nresults);

/* sim_lua_api.c: the globals scripts call */
void sim_lua_open_api(lua_State *L);
/* Calendar timers (at/after/every, and node-owned ones when node != UINT32_MAX). */
int  sim_lua_new_timer(lua_State *L, int fn_idx, sim_time_t at, int64_t interval,
                       lua_Integer count, uint32_t node);
int  sim_lua_every(lua_State *L, uint32_t node);   /* every(interval, fn, opts) at index 1 */
void sim_lua_timer_fire(sim_lua *sl, void *timer);
/* log(): arguments from idx joined as print() would; a trace line, stdout unless quiet. */
void sim_lua_join_args(lua_State *L, int idx, luaL_Buffer *b);
void sim_lua_log(sim_lua *sl, const sim_node *n, const char *text);
/* sim_lua_pattern.c: string.find/match/gmatch/gsub counted against the budget */
void sim_lua_open_patterns(lua_State *L);
/* sim_lua_node.c: the "script" node kind, messages as Lua tables, node objects */
void sim_lua_open_nodes(lua_State *L);
int  sim_lua_register_script_kind(sim_world *w);
void sim_lua_push_node_stats(lua_State *L, const sim_node *n);   /* {sent, received, dropped, up} */

#endif
