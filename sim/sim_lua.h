/* sim_lua.h - the scripting side of a world: a sandboxed Lua 5.4 state and its API.
 *
 * Scripts describe (nodes, links, calendar callbacks, expectations); C executes. The sandbox
 * has only base (no dofile/loadfile; load takes text only), string, table, math and utf8;
 * math.random draws from the run's seeded stream. Every call into Lua is protected and runs
 * under an instruction budget and a memory cap; an error stops the run and is reported as one
 * line naming the script's file and line. */
#ifndef RENKEI_SIM_LUA_H
#define RENKEI_SIM_LUA_H

#include <stdbool.h>
#include <stddef.h>

#include "sim_world.h"

typedef struct sim_lua sim_lua;

typedef struct sim_lua_config {
    size_t mem_cap;          /* bytes; 0 = 512 MiB */
    uint64_t budget;         /* instructions per call into Lua; 0 = 200 million */
    bool quiet;              /* log() goes to the trace only, not to stdout */
} sim_lua_config;

typedef struct sim_expectation {
    char *name;
    bool always;             /* checked during the run, not only at its end */
    bool evaluated, passed;
    char *message;           /* what the check returned as its second value: why it failed, or
                              * the figure it passed with (or NULL) */
    sim_time_t failed_at;    /* for always-conditions: the first failing check */
    int64_t every;           /* always-conditions: check interval */
    sim_time_t until;        /* always-conditions: last check */
} sim_expectation;

int  sim_lua_create(sim_world *w, const sim_lua_config *cfg, sim_lua **out);

/* Extensions (the domain's node kinds) add their own globals: open() runs protected in the
 * world's Lua state before any script. Their functions use the helpers below, which raise a
 * Lua error naming the script's file and line on bad input. */
typedef struct lua_State lua_State;
int sim_lua_open_lib(sim_lua *sl, int (*open)(lua_State *L));
sim_world *sim_lua_world(lua_State *L);
/* The Lua side of a world, or NULL. */
sim_lua *sim_lua_of_world(const sim_world *w);
/* Call the function below nargs arguments, protected, under the budget; a script error halts
 * the world (exit 2) and returns -EINVAL. */
int sim_lua_call(lua_State *L, int nargs, int nresults);
sim_node *sim_lua_check_node(lua_State *L, int idx);     /* a node object or a node name */
void sim_lua_push_node(lua_State *L, sim_node *n);
/* A time or a duration argument, refused (raising) outside the supported range (sim_time.h). */
sim_time_t sim_lua_check_time(lua_State *L, int idx);
int64_t sim_lua_check_duration(lua_State *L, int idx);
/* t + d, raising "what: ... is out of range (supported: ...)" past the supported times. */
sim_time_t sim_lua_time_add(lua_State *L, sim_time_t t, int64_t d, const char *what);
/* Count `units` of C work done for the running call (a scan, a conversion: what the count hook
 * cannot see) against its instruction budget, as that many instructions; raises past it. */
void sim_lua_charge(lua_State *L, uint64_t units);
/* Raise on keys of the options table at idx that are not in known (NULL-terminated). */
void sim_lua_check_options(lua_State *L, int idx, const char *what, const char *const known[]);
/* Read link options (latency, jitter, bandwidth, loss, up and the message faults) from the
 * table at idx into p, raising "what: ..." on a bad one. */
struct sim_link_params;
void sim_lua_read_link_options(lua_State *L, int idx, const char *what, struct sim_link_params *p);
/* Add fields to the results table that expectations receive: fn pushes nothing, it sets
 * fields on the table at the top of the stack. */
int sim_lua_add_results(lua_State *L, void (*fn)(lua_State *L, void *ud), void *ud);
void sim_lua_destroy(sim_lua *sl);

/* A command-line parameter (--set key=value), read by scripts with param(). */
int sim_lua_set_param(sim_lua *sl, const char *key, const char *value);
/* Load and run one script's top level. -EINVAL on a script error: see sim_lua_error(). */
int sim_lua_load_file(sim_lua *sl, const char *path);
/* Parameters given on the command line that no script read: a likely typo. */
const char *sim_lua_unused_param(const sim_lua *sl);

/* Called when the run begins: schedules the always-checks. */
int sim_lua_begin_run(sim_lua *sl, sim_time_t until);
/* Evaluate end-of-run expectations (always-conditions get their last check). Returns the
 * number that failed, or -EINVAL on a script error inside one. */
int sim_lua_check_expectations(sim_lua *sl);

const char *sim_lua_error(const sim_lua *sl);        /* one line: "file:line: message" */
const char *sim_lua_traceback(const sim_lua *sl);    /* the whole traceback */
/* End time set by a script's finish(); false when none did. */
bool sim_lua_finish_time(const sim_lua *sl, sim_time_t *out);
size_t sim_lua_expectation_count(const sim_lua *sl);
const sim_expectation *sim_lua_expectation(const sim_lua *sl, size_t i);
size_t sim_lua_memory(const sim_lua *sl);

#endif
