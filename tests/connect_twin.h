/* connect_twin.h - a connection-test session without HTTP for the unit tests: the world of
 * topologies/small.lua with scripts/connect/vendor_plain.lua, Osaka (271004) under test, driven
 * by connect_request_call at simulated moments the test chooses (run_to). No wall clock. All
 * functions are static; those a test may not use are marked unused. */
#ifndef RENKEI_TESTS_CONNECT_TWIN_H
#define RENKEI_TESTS_CONNECT_TWIN_H

#include "check.h"
#include "connect/connect.h"
#include "script/script.h"
#include "sim_lua.h"
#include "sim_world.h"

#include <stdlib.h>

typedef struct twin {
    sim_world *w;
    sim_lua *sl;
    node_connect *c;
} twin;

/* The session with these scripts (NULL-terminated; NULL: small.lua and vendor_plain.lua). */
static __attribute__((unused)) int open_twin_with(twin *t, const char *const *scripts)
{
    *t = (twin){0};
    char why[300];
    if (sim_world_create(&(sim_world_config){.seed = 1, .trace_fd = -1}, &t->w) < 0 ||
        sim_lua_create(t->w, &(sim_lua_config){.quiet = true}, &t->sl) < 0 ||
        connect_attach(t->w, "271004", &t->c) < 0 || sim_lua_open_lib(t->sl, script_open_lua) < 0 ||
        sim_lua_open_lib(t->sl, connect_open_lua) < 0)
        return -1;
    static const char *const plain[] = {"topologies/small.lua", "scripts/connect/vendor_plain.lua", NULL};
    for (const char *const *f = scripts ? scripts : plain; *f; f++)
        if (sim_lua_load_file(t->sl, *f) < 0) {
            fprintf(stderr, "%s\n", sim_lua_error(t->sl));
            return -1;
        }
    if (connect_prepare(t->c, why, sizeof why) < 0) {
        fprintf(stderr, "%s\n", why);
        return -1;
    }
    if (sim_world_start_nodes(t->w) < 0 || sim_lua_begin_run(t->sl, sim_world_start(t->w) + SIM_DAY) < 0) return -1;
    return 0;
}

static __attribute__((unused)) void close_twin(twin *t)
{
    sim_world_destroy(t->w);
    sim_lua_destroy(t->sl);
    connect_destroy(t->c);
}

static __attribute__((unused)) void run_to(twin *t, int64_t after_start)
{
    sim_world_run(t->w, sim_world_start(t->w) + after_start, 0);
    sim_world_advance(t->w, sim_world_start(t->w) + after_start);
}

/* A request with a query (a JSON object as connect_call takes it, or NULL); its status, and its
 * answer parsed (caller deletes). */
static __attribute__((unused)) int call_query(twin *t, const char *method, const char *path, const char *query,
                                              const char *req, cJSON **answer)
{
    char *text = NULL;
    cJSON *q = query ? cJSON_Parse(query) : NULL;
    int status = connect_request_call(t->c, method, path, q, req, req ? strlen(req) : 0, &text);
    cJSON_Delete(q);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (answer) *answer = j;
    else cJSON_Delete(j);
    return status;
}

/* A request without a query. */
static __attribute__((unused)) int call(twin *t, const char *method, const char *path, const char *req, cJSON **answer)
{
    return call_query(t, method, path, NULL, req, answer);
}

static __attribute__((unused)) int open_twin(twin *t) { return open_twin_with(t, NULL); }

#endif
