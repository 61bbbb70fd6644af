/* kinds/staff_lua.c - staff{} in Lua: the staff accounts of a body's intermediate server and
 * the procedures each may use (domain/staff.c keeps them; the server checks every inquiry
 * against them). Declaring one account for a body makes its server refuse every staff member
 * without one, with the outcome staff_not_permitted. */
#include "kinds/kinds.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <string.h>

#include "sim_lua.h"

/* staff { body = "131016", id = 7, procedures = { "child_allowance", ... } } */
static int l_staff(lua_State *L)
{
    static const char *const known[] = {"body", "id", "procedures", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "staff", known);
    domain *d = domain_get(sim_lua_world(L));
    if (!d) return luaL_error(L, "out of memory");
    lua_getfield(L, 1, "body");
    if (lua_isnil(L, -1)) return luaL_error(L, "staff: 'body' (a local government or an agency) is required");
    sim_node *n = sim_lua_check_node(L, -1);
    body *b = domain_body(d, n->id);
    if (!b) return luaL_error(L, "staff: '%s' is not a local government or an agency", n->name);
    lua_getfield(L, 1, "id");
    lua_Integer id = lua_isinteger(L, -1) ? lua_tointeger(L, -1) : -1;
    if (id < 1 || id > UINT32_MAX) return luaL_error(L, "staff: 'id' must be an integer from 1 to 4294967295");
    if (lua_getfield(L, 1, "procedures") != LUA_TTABLE || luaL_len(L, -1) < 1)
        return luaL_error(L, "staff: 'procedures' must be a list of procedure ids");
    lua_Integer count = luaL_len(L, -1);
    int procs[MAX_PROCEDURES];
    if (count > MAX_PROCEDURES) return luaL_error(L, "staff: more than %d procedures", MAX_PROCEDURES);
    for (lua_Integer i = 1; i <= count; i++) {   /* all checked before any is added */
        lua_rawgeti(L, -1, i);
        const char *proc = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        int k = proc ? domain_procedure(d, proc) : -1;
        if (k < 0)
            return luaL_error(L, "staff: procedure %s is not in the permission table", proc ? proc : "(not a string)");
        procs[i - 1] = k;
        lua_pop(L, 1);
    }
    for (lua_Integer i = 0; i < count; i++) {
        int rc = domain_staff_add(b, (uint32_t)id, procs[i]);
        if (rc < 0) return luaL_error(L, "staff: %s", strerror(-rc));
    }
    return 0;
}

int node_staff_open_lua(lua_State *L)
{
    lua_register(L, "staff", l_staff);
    return 0;
}
