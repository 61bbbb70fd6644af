/* test_rollout.c - the rollout schedule as a library: two worlds with their own schedules in
 * one process, stepped in turns, give the same trace and the same schedule as each other (no
 * process state: what Monte Carlo with threads would need); the schedule's outputs exist;
 * a world torn down mid-schedule leaks nothing (ASan). */
#include "check.h"
#include "script/script.h"
#include "rollout/rollout.h"
#include "sim_lua.h"
#include "sim_world.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct twin {
    sim_world *w;
    sim_lua *sl;
    sim_time_t end;
} twin;

static int twin_open(twin *t, uint64_t seed)
{
    if (sim_world_create(&(sim_world_config){.seed = seed, .trace_fd = -1}, &t->w) < 0) return -1;
    if (sim_lua_create(t->w, &(sim_lua_config){.quiet = true}, &t->sl) < 0) return -1;
    if (sim_lua_open_lib(t->sl, script_open_lua) < 0 || sim_lua_open_lib(t->sl, rollout_open_lua) < 0) return -1;
    const char *files[] = {"topologies/small.lua", "tests/lua/rollout_known.lua", "tests/lua/rollout_invariants.lua"};
    for (int i = 0; i < 3; i++)
        if (sim_lua_load_file(t->sl, files[i]) < 0) {
            fprintf(stderr, "load: %s\n", sim_lua_error(t->sl));
            return -1;
        }
    if (sim_lua_open_lib(t->sl, rollout_prepare) < 0) {
        fprintf(stderr, "prepare: %s\n", sim_lua_error(t->sl));
        return -1;
    }
    if (!sim_lua_finish_time(t->sl, &t->end)) return -1;
    if (sim_world_start_nodes(t->w) < 0 || sim_lua_begin_run(t->sl, t->end) < 0) return -1;
    return 0;
}

static void twin_close(twin *t)
{
    sim_world_destroy(t->w);
    sim_lua_destroy(t->sl);
}

static char *schedule_text(twin *t)
{
    cJSON *root = cJSON_CreateObject();
    rollout_json(t->w, root);
    char *text = cJSON_PrintUnformatted(cJSON_GetObjectItem(root, "schedule"));
    cJSON_Delete(root);
    return text;
}

int main(void)
{
    twin a = {0}, b = {0};
    CHECK_INT(twin_open(&a, 3), 0);
    CHECK_INT(twin_open(&b, 3), 0);
    /* step the two worlds in turns, a day of simulated time at a time */
    for (sim_time_t t = sim_world_start(a.w); t <= a.end; t += SIM_DAY) {
        sim_world_run(a.w, t, 0);
        sim_world_run(b.w, t, 0);
    }
    sim_world_run(a.w, a.end, 0);
    sim_world_run(b.w, b.end, 0);
    CHECK(!sim_world_halted(a.w, NULL));
    CHECK_INT(sim_lua_check_expectations(a.sl), 0);
    CHECK_INT(sim_lua_check_expectations(b.sl), 0);
    char ha[65], hb[65];
    CHECK_INT(sim_world_trace_hash(a.w, ha), 0);
    CHECK_INT(sim_world_trace_hash(b.w, hb), 0);
    CHECK_STR(ha, hb);
    char *sa = schedule_text(&a), *sb = schedule_text(&b);
    CHECK(sa && sb);
    if (sa && sb) CHECK_STR(sa, sb);
    CHECK(sa && strstr(sa, "\"milestones\":[{\"name\":\"ready\",\"target\":\"2017-05-12\",\"date\":\"2017-05-12\",\"met\":true"));
    cJSON_free(sa);
    cJSON_free(sb);
    /* the record Monte Carlo folds */
    cJSON *rec = rollout_record(a.w);
    CHECK(rec && cJSON_GetArraySize(cJSON_GetObjectItem(rec, "milestones")) == 3);
    node_rollout_mc *mc = rollout_mc_new();
    CHECK_INT(rollout_mc_add(mc, rec), 0);
    CHECK_INT(rollout_mc_runs(mc), 1);
    rollout_mc_free(mc);
    cJSON_Delete(rec);
    twin_close(&a);
    twin_close(&b);

    /* torn down half-way: test inquiries in flight, a schedule still open */
    twin c = {0};
    CHECK_INT(twin_open(&c, 4), 0);
    sim_time_t mid;
    sim_time_parse("2017-05-08 09:00:00.5", &mid);
    sim_world_run(c.w, mid, 0);
    twin_close(&c);
    CHECK_DONE();
}
