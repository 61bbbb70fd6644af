/* dash/dash_lua.c - training narration for Lua scripts (scripts/README.md, "Training"):
 *   caption { ja = "...", en = "..." }   -- show a caption on the dashboard (and trace it)
 *   pause_here()                         -- pause the run here when a dashboard is watching
 * A caption is a trace line whether or not the run is served, and pause_here() only decides
 * when the next event runs, never which: the trace is the same either way. */
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dash/dash_internal.h"
#include "sim_lua.h"

static const char *opt_text(lua_State *L, int idx, const char *key)
{
    lua_getfield(L, idx, key);
    const char *s = lua_isnil(L, -1) ? NULL : lua_tostring(L, -1);
    if (!s && !lua_isnil(L, -1)) luaL_error(L, "caption: '%s' must be a string", key);
    lua_pop(L, 1);   /* the string stays alive: the table holds it */
    if (s && strlen(s) > 2000) luaL_error(L, "caption: '%s' is longer than 2000 bytes", key);
    return s;
}

/* caption "text" or caption { ja = ..., en = ... } */
static int l_caption(lua_State *L)
{
    const char *ja = NULL, *en = NULL;
    if (lua_type(L, 1) == LUA_TSTRING) {
        ja = en = lua_tostring(L, 1);
    } else {
        static const char *const known[] = {"ja", "en", NULL};
        luaL_checktype(L, 1, LUA_TTABLE);
        sim_lua_check_options(L, 1, "caption", known);
        ja = opt_text(L, 1, "ja");
        en = opt_text(L, 1, "en");
        if (!ja && !en) return luaL_error(L, "caption: give 'ja', 'en' or both");
        if (!ja) ja = en;
        if (!en) en = ja;
    }
    sim_world *w = sim_lua_world(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "caption: ");
    luaL_addstring(&b, en);
    if (strcmp(ja, en) != 0) {
        luaL_addstring(&b, " / ");
        luaL_addstring(&b, ja);
    }
    luaL_pushresult(&b);
    sim_world_log(w, NULL, lua_tostring(L, -1));
    node_dash *d = dash_of(w);
    if (d) dash_caption(d, ja, en);
    return 0;
}

static int l_pause_here(lua_State *L)
{
    node_dash *d = dash_of(sim_lua_world(L));
    if (d) dash_pause_here(d);
    return 0;
}

int dash_open_lua(lua_State *L)
{
    static const luaL_Reg globals[] = {{"caption", l_caption}, {"pause_here", l_pause_here}, {NULL, NULL}};
    lua_pushglobaltable(L);
    luaL_setfuncs(L, globals, 0);
    lua_pop(L, 1);
    return 0;
}
