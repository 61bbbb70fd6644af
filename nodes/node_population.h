/* node_population.h - residents and the daily workload (node_population.c), for Lua. */
#ifndef RENKEI_NODE_POPULATION_H
#define RENKEI_NODE_POPULATION_H

typedef struct lua_State lua_State;
int node_population_open_lua(lua_State *L);

#endif
