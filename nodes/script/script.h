/* script/script.h - the domain's Lua API (script/script.c), opened into a world's Lua state. */
#ifndef RENKEI_NODE_LUA_H
#define RENKEI_NODE_LUA_H

typedef struct lua_State lua_State;
int node_domain_open_lua(lua_State *L);

#endif
