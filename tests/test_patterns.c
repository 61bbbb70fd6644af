/* test_patterns.c - the sandbox's string patterns (sim/sim_lua_pattern.c, counted against the
 * budget) give exactly what Lua 5.4's own string library gives: tests/lua/pattern_cases.lua
 * runs in a plain Lua state and in a world's sandbox, each line it emits compared. Then a
 * pattern that backtracks without end stops at the budget, naming its line. */
#define _GNU_SOURCE   /* mkstemps */
#include "check.h"
#include "sim_lua.h"
#include "sim_world.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char CASES[] = "tests/lua/pattern_cases.lua";

/* emit(...): the arguments, tab-separated, as a line of the FILE in the upvalue */
static int l_emit(lua_State *L)
{
    FILE *out = lua_touserdata(L, lua_upvalueindex(1));
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        fwrite(s, 1, len, out);
        fputc(i < n ? '\t' : '\n', out);
        lua_pop(L, 1);
    }
    return 0;
}

static void add_emit(lua_State *L, FILE *out)
{
    lua_pushlightuserdata(L, out);
    lua_pushcclosure(L, l_emit, 1);
    lua_setglobal(L, "emit");
}

/* The world's sandbox has no way to hand a pointer to an opener: it goes through here. */
static FILE *sandbox_out;
static int open_emit(lua_State *L)
{
    add_emit(L, sandbox_out);
    return 0;
}

static char *run_reference(size_t *len)
{
    char *text = NULL;
    FILE *out = open_memstream(&text, len);
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    add_emit(L, out);
    if (luaL_dofile(L, CASES) != LUA_OK) fprintf(stderr, "reference: %s\n", lua_tostring(L, -1));
    lua_close(L);
    fclose(out);
    return text;
}

static char *run_sandbox(size_t *len)
{
    char *text = NULL;
    sandbox_out = open_memstream(&text, len);
    sim_world *w = NULL;
    sim_lua *sl = NULL;
    CHECK(sim_world_create(&(sim_world_config){.seed = 1, .trace_fd = -1}, &w) == 0);
    CHECK(sim_lua_create(w, &(sim_lua_config){.quiet = true}, &sl) == 0);
    CHECK(sim_lua_open_lib(sl, open_emit) == 0);
    if (sim_lua_load_file(sl, CASES) < 0) fprintf(stderr, "sandbox: %s\n", sim_lua_error(sl));
    sim_world_destroy(w);
    sim_lua_destroy(sl);
    fclose(sandbox_out);
    sandbox_out = NULL;
    return text;
}

static void test_same_as_lua(void)
{
    size_t la = 0, lb = 0;
    char *a = run_reference(&la), *b = run_sandbox(&lb);
    CHECK(la > 100000);   /* the cases ran to their end */
    CHECK_INT(lb, la);
    size_t i = 0, line = 1;
    while (i < la && i < lb && a[i] == b[i]) line += a[i++] == '\n';
    if (i < la || i < lb) {
        fprintf(stderr, "line %zu differs:\n  lua:     %.200s\n  sandbox: %.200s\n", line, a + i, b + i);
        check_failures++;
    }
    free(a);
    free(b);
}

static void test_budget(void)
{
    char path[] = "/tmp/renkei_patterns_XXXXXX.lua";
    int fd = mkstemps(path, 4);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    CHECK(f != NULL);
    if (!f) return;
    fputs("local s = string.rep(\"a\", 100000)\nlocal ok = pcall(string.find, s, \"a*a*a*b\")\n", f);
    fclose(f);
    sim_world *w = NULL;
    sim_lua *sl = NULL;
    CHECK(sim_world_create(&(sim_world_config){.seed = 1, .trace_fd = -1}, &w) == 0);
    CHECK(sim_lua_create(w, &(sim_lua_config){.quiet = true, .budget = 1000000}, &sl) == 0);
    CHECK(sim_lua_load_file(sl, path) < 0);
    const char *err = sim_lua_error(sl);
    CHECK(err && strncmp(err, path, strlen(path)) == 0 && strstr(err, ".lua:2: instruction budget exceeded"));
    sim_world_destroy(w);
    sim_lua_destroy(sl);
    remove(path);
}

int main(void)
{
    test_same_as_lua();
    test_budget();
    CHECK_DONE();
}
