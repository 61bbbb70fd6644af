/* test_lua.c - the Lua side as a library: two worlds with their own Lua states in one
 * process, interleaved, give the same trace; script errors come back as file:line; a world
 * torn down with Lua timers and messages pending leaks nothing (ASan). */
#include "check.h"
#include "sim_lua.h"
#include "sim_world.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct twin {
    sim_world *w;
    sim_lua *sl;
} twin;

static int twin_open(twin *t, uint64_t seed, const char *script)
{
    if (sim_world_create(&(sim_world_config){.seed = seed, .trace_fd = -1}, &t->w) < 0) return -1;
    if (sim_lua_create(t->w, &(sim_lua_config){.quiet = true}, &t->sl) < 0) return -1;
    if (sim_lua_load_file(t->sl, script) < 0) {
        fprintf(stderr, "load: %s\n", sim_lua_error(t->sl));
        return -1;
    }
    return sim_world_start_nodes(t->w);
}

static void twin_close(twin *t)
{
    sim_world_destroy(t->w);
    sim_lua_destroy(t->sl);
}

static void hash_of(twin *t, char hex[65])
{
    CHECK_INT(sim_world_trace_hash(t->w, hex), 0);
}

static const char *write_script(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

int main(void)
{
    const char *demo = "topologies/demo.lua";
    const char *scenario = "scripts/demo.lua";
    sim_time_t end;

    /* alone */
    twin alone = {0};
    CHECK_INT(twin_open(&alone, 7, demo), 0);
    CHECK_INT(sim_lua_load_file(alone.sl, scenario), 0);
    CHECK(sim_lua_finish_time(alone.sl, &end));
    sim_world_run(alone.w, end, 0);
    char h_alone[65];
    hash_of(&alone, h_alone);
    uint64_t events_alone = sim_world_stats_get(alone.w)->events;
    CHECK(events_alone > 1000);
    CHECK_INT(sim_lua_check_expectations(alone.sl), 0);

    /* two at once, interleaved event by event, plus a third with another seed */
    twin a = {0}, b = {0}, other = {0};
    CHECK_INT(twin_open(&a, 7, demo), 0);
    CHECK_INT(twin_open(&b, 7, demo), 0);
    CHECK_INT(twin_open(&other, 8, demo), 0);
    CHECK_INT(sim_lua_load_file(a.sl, scenario), 0);
    CHECK_INT(sim_lua_load_file(b.sl, scenario), 0);
    CHECK_INT(sim_lua_load_file(other.sl, scenario), 0);
    for (bool more = true; more;) {
        more = sim_world_run(a.w, end, 1) + sim_world_run(b.w, end, 1) > 0;
        sim_world_run(other.w, end, 3);
    }
    sim_world_run(other.w, end, 0);
    char h_a[65], h_b[65], h_other[65];
    hash_of(&a, h_a);
    hash_of(&b, h_b);
    hash_of(&other, h_other);
    CHECK_STR(h_a, h_alone);
    CHECK_STR(h_b, h_alone);
    CHECK(strcmp(h_other, h_alone) != 0);
    CHECK_INT(sim_world_stats_get(a.w)->events, events_alone);
    twin_close(&a);
    twin_close(&b);
    twin_close(&other);
    twin_close(&alone);

    /* a runtime error inside a callback halts the world with file:line */
    const char *bad = write_script("/tmp/renkei_test_lua_bad.lua",
                                   "start '2017-11-13 09:00'\n"
                                   "after('1m', function()\n"
                                   "  error('boom')\n"
                                   "end)\n");
    CHECK(bad != NULL);
    twin t = {0};
    CHECK_INT(twin_open(&t, 1, bad), 0);
    sim_world_run(t.w, INT64_MAX, 0);
    const char *reason = NULL;
    CHECK_INT(sim_world_halted(t.w, &reason), 2);
    CHECK_STR(sim_lua_error(t.sl), "/tmp/renkei_test_lua_bad.lua:3: boom");
    CHECK(strstr(sim_lua_traceback(t.sl), "stack traceback") != NULL);
    twin_close(&t);

    /* json_decode is the strict reader: each refusal names the byte and the rule */
    const char *strict = write_script("/tmp/renkei_test_lua_json.lua",
                                      "local function refused(text, why)\n"
                                      "  local ok, err = pcall(json_decode, text)\n"
                                      "  assert(not ok and err:find(why, 1, true), text .. ' -> ' .. tostring(err))\n"
                                      "end\n"
                                      "refused('{\"a\":1,\"a\":2}', \"byte 7 (at a): duplicate key 'a'\")\n"
                                      "refused('{\"a\":{\"b\":[1e999]}}', 'byte 11 (at a.b[0]): 1e999 is not a finite number')\n"
                                      "refused('[1] 2', 'after the JSON value')\n"
                                      "refused('\"\\\\u0000\"', 'NUL')\n"
                                      "refused('\"\\255\"', 'invalid UTF-8')\n"
                                      "assert(json_decode('{\"a\":[1,\"x\"]}').a[2] == 'x')\n");
    CHECK(strict != NULL);
    CHECK_INT(twin_open(&t, 1, strict), 0);
    twin_close(&t);
    remove(strict);

    /* torn down with repeating timers, node timers and messages in flight: ASan checks */
    const char *busy = write_script("/tmp/renkei_test_lua_busy.lua",
                                    "node { name = 'a', on_start = function(self)\n"
                                    "  self:every('1s', function() self:send('b', 'x', { big = string.rep('y', 100) }) end)\n"
                                    "end }\n"
                                    "node { name = 'b' }\n"
                                    "link('a', 'b', { latency = '10s' })\n"
                                    "every('1m', function() end)\n");
    CHECK_INT(twin_open(&t, 1, busy), 0);
    sim_world_run(t.w, sim_world_start(t.w) + 30 * SIM_SEC, 0);
    CHECK(sim_world_pending(t.w) > 10);
    twin_close(&t);
    remove(bad);
    remove(busy);
    CHECK_DONE();
}
