/* test_hardening.c - what input from outside can make the engine do: sim_time_add refuses what
 * would leave the supported range (and never overflows); message bodies and json_encode free
 * what they built when a table is cyclic or too big; nested calls into Lua share one budget. */
#include "check.h"
#include "sim_lua.h"
#include "sim_time.h"
#include "sim_world.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* cJSON's allocations, counted through its hooks: what is still allocated. */
static long cjson_live;
static void *count_malloc(size_t n)
{
    void *p = malloc(n);
    if (p) cjson_live++;
    return p;
}
static void count_free(void *p)
{
    if (p) cjson_live--;
    free(p);
}

/* Runs the script text in a world of its own: 0, or -EINVAL with the error in err. */
static int run_script(const char *text, size_t mem_mib, uint64_t budget, char *err, size_t n)
{
    const char *path = "test_hardening.lua";
    FILE *f = fopen(path, "w");
    if (!f) return -EIO;
    fputs(text, f);
    fclose(f);
    sim_world *w;
    sim_lua *sl;
    if (sim_world_create(&(sim_world_config){.seed = 1, .trace_fd = -1}, &w) < 0) return -ENOMEM;
    if (sim_lua_create(w, &(sim_lua_config){.quiet = true, .mem_cap = mem_mib << 20, .budget = budget}, &sl) < 0)
        return -ENOMEM;
    int rc = sim_lua_load_file(sl, path);
    if (rc == 0 && sim_world_start_nodes(w) == 0) {
        sim_world_run(w, sim_world_start(w) + SIM_HOUR, 0);
        if (sim_world_halted(w, NULL)) rc = -EINVAL;
    }
    snprintf(err, n, "%s", sim_lua_error(sl) ? sim_lua_error(sl) : "");
    sim_world_destroy(w);
    sim_lua_destroy(sl);
    remove(path);
    return rc;
}

/* json_encode and send of a cyclic table: refused as a cycle, and the part of the tree
 * built before the cycle was seen is freed (it grew without bound through pcall). */
static void test_cycles_free_what_they_built(void)
{
    char err[512];
    cJSON_InitHooks(&(cJSON_Hooks){.malloc_fn = count_malloc, .free_fn = count_free});
    CHECK_INT(run_script("local t = { a = 1, b = { 1, 2, 3 }, s = string.rep('x', 1000) }\n"
                         "t.z = t\n"
                         "for i = 1, 200 do\n"
                         "  local ok, e = pcall(json_encode, t)\n"
                         "  assert(not ok and e:find('a table contains itself'), e)\n"
                         "end\n"
                         "local l = { 1, 2 }\n"
                         "l[3] = { l }\n"
                         "for i = 1, 200 do assert(not pcall(json_encode, l)) end\n"
                         "start '2017-11-13 08:30'\n"
                         "node { name = 'b' }\n"
                         "node { name = 'a', on_start = function(self)\n"
                         "  for i = 1, 200 do assert(not pcall(self.send, self, 'b', 'x', t)) end\n"
                         "end }\n",
                         16, 0, err, sizeof err), 0);
    if (err[0]) fprintf(stderr, "%s\n", err);
    CHECK_INT(cjson_live, 0);
    /* a shared subtable is not a cycle: { s, s } encodes */
    CHECK_INT(run_script("local s = { 1 }\nassert(json_encode({ s, s }) == '[[1],[1]]')\n", 16, 0, err, sizeof err), 0);
    CHECK_INT(cjson_live, 0);
    /* ... but a small table standing for a huge tree is refused at the memory cap */
    CHECK_INT(run_script("local t = { 'x' }\nfor i = 1, 30 do t = { t, t } end\nlocal j = json_encode(t)\n",
                         16, 0, err, sizeof err), -EINVAL);
    CHECK(strstr(err, "test_hardening.lua:3: json_encode: bigger than the memory cap leaves room for") != NULL);
    CHECK_INT(cjson_live, 0);
    cJSON_InitHooks(NULL);
}

/* A call into Lua from C inside a call into Lua (a node's on_crash run by n:crash()) shares
 * the outer call's budget: the outer loop cannot reset it by calling a handler. */
static void test_nested_calls_share_the_budget(void)
{
    char err[512];
    int rc = run_script("start '2017-11-13 08:30'\n"
                        "node { name = 'b', on_crash = function(self) end, on_recover = function(self) end }\n"
                        "node { name = 'a', on_start = function(self)\n"
                        "  local b = find('b')\n"
                        "  while true do b:crash(); b:recover() end\n"
                        "end }\n",
                        16, 1000000, err, sizeof err);
    CHECK_INT(rc, -EINVAL);
    CHECK(strstr(err, "test_hardening.lua:") && strstr(err, "instruction budget exceeded"));
}

static void test_time_add(void)
{
    sim_time_t t = 12345;
    CHECK_INT(sim_time_add(0, SIM_DAY, &t), 0);
    CHECK_INT(t, SIM_DAY);
    CHECK_INT(sim_time_add(SIM_TIME_MIN, 0, &t), 0);
    CHECK_INT(t, SIM_TIME_MIN);
    CHECK_INT(sim_time_add(SIM_TIME_MAX, 0, &t), 0);
    CHECK_INT(t, SIM_TIME_MAX);
    CHECK_INT(sim_time_add(SIM_TIME_MIN, SIM_TIME_MAX - SIM_TIME_MIN, &t), 0);
    CHECK_INT(t, SIM_TIME_MAX);
    CHECK_INT(sim_time_add(SIM_TIME_MAX, SIM_TIME_MIN - SIM_TIME_MAX, &t), 0);
    CHECK_INT(t, SIM_TIME_MIN);
    /* a refused sum leaves *out alone */
    t = 12345;
    CHECK_INT(sim_time_add(SIM_TIME_MAX, 1, &t), -ERANGE);
    CHECK_INT(sim_time_add(SIM_TIME_MIN, -1, &t), -ERANGE);
    CHECK_INT(sim_time_add(SIM_TIME_MAX + 1, -1, &t), -ERANGE);   /* t itself outside */
    CHECK_INT(sim_time_add(SIM_TIME_MIN - 1, 1, &t), -ERANGE);
    /* the int64 edges: no overflow, just a refusal (UBSan would abort on one) */
    CHECK_INT(sim_time_add(0, INT64_MAX, &t), -ERANGE);
    CHECK_INT(sim_time_add(0, INT64_MIN, &t), -ERANGE);
    CHECK_INT(sim_time_add(INT64_MAX, INT64_MAX, &t), -ERANGE);
    CHECK_INT(sim_time_add(INT64_MIN, INT64_MIN, &t), -ERANGE);
    CHECK_INT(sim_time_add(INT64_MIN, INT64_MAX, &t), -ERANGE);
    CHECK_INT(sim_time_add(SIM_TIME_MAX, INT64_MIN, &t), -ERANGE);
    CHECK_INT(t, 12345);
    /* the range is what the parser takes */
    CHECK_INT(sim_time_parse("1970-01-01 00:00", &t), 0);
    CHECK_INT(t, SIM_TIME_MIN);
    CHECK_INT(sim_time_parse("9999-12-31 23:59:59.999999", &t), 0);
    CHECK_INT(t, SIM_TIME_MAX);
    /* a supported time plus a few supported durations is far from overflow */
    CHECK(SIM_TIME_MAX <= INT64_MAX / 8 && SIM_DURATION_MAX <= INT64_MAX / 8);
    CHECK(SIM_DURATION_MAX <= SIM_TIME_MAX - SIM_TIME_MIN);
}

/* A start in the supported range but before the engine's time 0 (the queue orders times >= 0)
 * is refused, and the world is as it was (fuzz_lua: the nodes' start tripped the queue). */
static void test_start_before_time_zero(void)
{
    sim_world *w = NULL;
    CHECK_INT(sim_world_create(&(sim_world_config){.seed = 1, .trace_fd = -1}, &w), 0);
    if (!w) return;
    sim_time_t before = sim_world_start(w);
    CHECK_INT(sim_world_set_start(w, -175), -ERANGE);
    CHECK_INT(sim_world_set_start(w, SIM_TIME_MIN), -ERANGE);
    CHECK_INT(sim_world_start(w), before);
    CHECK_INT(sim_world_set_start(w, 0), 0);
    CHECK_INT(sim_world_now(w), 0);
    sim_world_destroy(w);
}

int main(void)
{
    test_time_add();
    test_start_before_time_zero();
    test_cycles_free_what_they_built();
    test_nested_calls_share_the_budget();
    CHECK_DONE();
}
