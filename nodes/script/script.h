/* script/script.h - the domain's Lua API (script/script.c), opened into a world's Lua state:
 * the topology's constructors (nws{}, site{}, lg{}, agency{}, permissions{}), the flows a
 * script starts, on_flow_end, and (opened with it) the fault, residents and workload APIs.
 *
 * Failures: a bad argument raises a file:line error before anything is created (exit 2);
 * running out of memory raises "out of memory". */
#ifndef RENKEI_SCRIPT_SCRIPT_H
#define RENKEI_SCRIPT_SCRIPT_H

typedef struct lua_State lua_State;
int script_open_lua(lua_State *L);

#endif
