/* swarm/checker_lua.c - the checker's Lua side, for the scenarios the swarm writes:
 *
 *   swarm_checker { plant = false, sample = "1s" }    attach the checker (once, at load)
 *   swarm_operator("failback", site, ok, why)         tell it what an operator call answered;
 *                                                     returns ok, why unchanged
 *   swarm_verdict()                                   true, or false and "invariant: detail"
 *
 * The scenario's expectation calls swarm_verdict, so a plain `renkei run` of a written
 * scenario fails (exit 1) on the same violation the swarm saw. Every argument is checked and
 * a bad one raises an error naming the script's file and line. */
#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>

#include "sim_lua.h"
#include "swarm/swarm.h"

static swarm_checker *checker(lua_State *L)
{
    swarm_checker *c = swarm_checker_find(sim_lua_world(L));
    if (!c) luaL_error(L, "no swarm checker: call swarm_checker{} first");
    return c;
}

static int l_swarm_checker(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    static const char *const known[] = {"plant", "sample", NULL};
    sim_lua_check_options(L, 1, "swarm_checker", known);
    swarm_checker_config cfg = {0};
    lua_getfield(L, 1, "plant");
    cfg.plant = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "sample") != LUA_TNIL) {
        cfg.sample = sim_lua_check_duration(L, -1);
        if (cfg.sample <= 0) luaL_error(L, "swarm_checker: sample must be a positive duration");
    }
    lua_pop(L, 1);
    domain *d = domain_get(sim_lua_world(L));
    if (!d) return luaL_error(L, "out of memory");
    swarm_checker *c;
    int rc = swarm_checker_attach(d, &cfg, &c);
    if (rc == -EBUSY) return luaL_error(L, "swarm_checker: a checker is attached already");
    if (rc < 0) return luaL_error(L, "swarm_checker: %s", strerror(-rc));
    return 0;
}

static int l_swarm_operator(lua_State *L)
{
    const char *kind = luaL_checkstring(L, 1);
    bool failback = strcmp(kind, "failback") == 0;
    if (!failback && strcmp(kind, "promote") != 0) return luaL_error(L, "swarm_operator: 'promote' or 'failback', got '%s'", kind);
    sim_node *site = sim_lua_check_node(L, 2);
    swarm_checker_operator(checker(L), failback, site->id, lua_toboolean(L, 3));
    lua_settop(L, 4);
    lua_pushvalue(L, 3);
    lua_pushvalue(L, 4);
    return 2;
}

static int l_swarm_verdict(lua_State *L)
{
    swarm_checker *c = checker(L);
    swarm_checker_finish(c);
    const swarm_violation *v;
    size_t n = swarm_checker_violations(c, &v);
    if (n == 0) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushboolean(L, 0);
    lua_pushfstring(L, "%s: %s", swarm_invariant_name(v[0].inv), v[0].detail);
    return 2;
}

int swarm_open_lua(lua_State *L)
{
    lua_register(L, "swarm_checker", l_swarm_checker);
    lua_register(L, "swarm_operator", l_swarm_operator);
    lua_register(L, "swarm_verdict", l_swarm_verdict);
    return 0;
}
