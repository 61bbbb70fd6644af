/* fuzz/fuzz_lua.c - the Lua API surface (sim/sim_lua*.c and the domain's: nodes/script,
 * nodes/fault's fault.* / operator.* / nodes_where / failover_settings, workload, rollout,
 * captions) driven by a grammar: the fuzzer's bytes choose a script of calls with hostile
 * arguments (huge, negative, NaN and infinite numbers, integer limits, wrong types, cyclic and
 * deep tables, metatables whose methods raise or never return, a 1 MiB string, callbacks that
 * raise or loop), which is loaded after topologies/small.lua and run for at most SIM_HOURS
 * simulated hours and MAX_EVENTS events (with a tenth of small.lua's residents).
 *
 * Speed is what finds bugs here: a run is most of an input's cost, so it is short (two hours
 * hold every time the grammar writes: "10:00", "+30m", "1h"), and the trace, a fifth of a
 * run's cost, is formatted for one input in TRACE_ONE_IN (chosen by the input's last byte,
 * so an input always runs the same way) - its formatting of hostile strings stays covered.
 *
 * A refusal (the script stops with file:line, the run halts with a reason) is fine; a crash,
 * a sanitizer report, or a hang (libFuzzer's -timeout) is a finding. The budgets are the
 * normal mechanism with smaller numbers (LUA_BUDGET instructions per call, LUA_MEM_MIB), so a
 * runaway loop costs milliseconds rather than seconds per input. Each input gets a fresh
 * world; `build-fuzz/fuzz_lua -runs=0 FILE` with FUZZ_LUA_PRINT=1 prints the script it made. */
#include "fuzz.h"
#include "dash/dash.h"
#include "rollout/rollout.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* small.lua's residents, a tenth of its default: seeding them is most of a world's opening,
 * and the API under test does not need many (--set resident_scale=0.00005). */
static const char RESIDENT_SCALE[] = "0.00001";

enum { SIM_HOURS = 2, MAX_EVENTS = 20000, TRACE_ONE_IN = 8, LUA_BUDGET = 300000, LUA_MEM_MIB = 64, MAX_STATEMENTS = 24, MAX_DEPTH = 3 };

/* The bytes, read from the front; past the end every choice is 0. */
typedef struct bytes {
    const uint8_t *p;
    size_t n;
} bytes;

static unsigned pick(bytes *b, unsigned n)
{
    if (!b->n || n <= 1) return 0;
    unsigned v = *b->p++;
    b->n--;
    return v % n;
}

/* The script being written. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if (t->len + (size_t)k + 1 > t->cap) {
        size_t cap = (t->len + (size_t)k + 1) * 2;
        char *s = realloc(t->s, cap);
        if (!s) return;
        t->s = s;
        t->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)k;
}

static const char *const NUMBERS[] = {
    "0", "1", "-1", "2", "0.5", "-0.0", "1e308", "-1e308", "0/0", "1/0", "-1/0", "math.maxinteger",
    "math.mininteger", "2^31-1", "2^31", "2^32", "2^32+1", "2^53", "2^63", "-2^63", "2^64", "1e-320",
    "86400", "3600", "1000000", "16", "65535", "100000"};
static const char *const STRINGS[] = {
    "\"\"", "\"east\"", "\"west\"", "\"nws\"", "\"271004\"", "\"131016\"", "\"141003\"", "\"401307\"", "\"000000\"",
    "\"1h\"", "\"10m\"", "\"1s\"", "\"1ms\"", "\"0s\"", "\"-1s\"", "\"1e9h\"", "\"9999999999h\"", "\"+30m\"",
    "\"09:00\"", "\"2017-11-13 10:00\"", "\"9999-12-31\"", "\"0000-01-01 00:00\"", "\"2017-02-30\"",
    "\"TM00000000000001\"", "\"TM00000000000002\"", "\"child_allowance\"", "\"local_tax_assessment\"",
    "\"site_down\"", "\"lg\"", "\"site\"", "\"agency\"", "\"ifs\"", "\"auto\"", "\"manual\"", "\"123456789018\"",
    "\"\\0\"", "\"\\xff\\xfe\"", "\"%s%n%s\"", "\"../../etc/passwd\"", "BIG", "string.rep('a', 300)", "\"S-0001\""};
static const char *const KEYS[] = {
    "target", "peer", "duration", "every", "at", "kind", "count", "rate", "loss", "delay", "jitter", "[\"until\"]",
    "name", "code", "home", "backup", "population", "timeout", "retries", "per_hour", "scale", "staff", "item",
    "procedure", "provider", "probability", "faults", "min", "max", "mode", "sites", "lease", "heartbeat",
    "detect", "promote_after", "failback", "prefecture", "ja", "en", "start", "day_scale", "inquiries",
    "registrations", "bodies", "lg", "sync", "lag", "bandwidth", "fraction", "seed", "records", 
    "1", "[1]", "[0/0 == 0/0 and 1 or 2]"};
static const char *const FUNCS[] = {
    "function() end", "function() error('boom') end", "function() error(nil) end", "function() error(MT) end",
    "function() while true do end end", "function() return true end", "function() return false end",
    "function() return nil end", "function(...) return ... end", "function() return string.rep('y', 1 << 16) end",
    "function() local t = {} for i = 1, 1e7 do t[i] = i end end", "function() return CYC end",
    "function() coroutine.wrap(function() coroutine.yield() end)() end", "function() return pcall(error) end"};

static void gen_value(bytes *b, text *t, int depth);
static void gen_statement(bytes *b, text *t, int depth);

static void gen_table(bytes *b, text *t, int depth)
{
    put(t, "{");
    unsigned n = pick(b, 5);
    for (unsigned i = 0; i < n; i++) {
        const char *k = KEYS[pick(b, sizeof KEYS / sizeof KEYS[0])];
        if (k[0] == '[') put(t, "%s = ", k);
        else if (k[0] >= '0' && k[0] <= '9') put(t, "[%s] = ", k);
        else put(t, "%s = ", k);
        gen_value(b, t, depth + 1);
        put(t, ", ");
    }
    put(t, "}");
}

static void gen_func(bytes *b, text *t, int depth)
{
    unsigned k = pick(b, sizeof FUNCS / sizeof FUNCS[0] + 2);
    if (k < sizeof FUNCS / sizeof FUNCS[0]) {
        put(t, "%s", FUNCS[k]);
    } else if (depth < MAX_DEPTH) {   /* a callback that makes calls of its own */
        put(t, "function() ");
        gen_statement(b, t, depth + 1);
        put(t, " end");
    } else {
        put(t, "function() end");
    }
}

static void gen_value(bytes *b, text *t, int depth)
{
    if (depth >= MAX_DEPTH) {
        put(t, "%s", NUMBERS[pick(b, sizeof NUMBERS / sizeof NUMBERS[0])]);
        return;
    }
    switch (pick(b, 12)) {
    case 0: case 1: put(t, "%s", NUMBERS[pick(b, sizeof NUMBERS / sizeof NUMBERS[0])]); break;
    case 2: case 3: put(t, "%s", STRINGS[pick(b, sizeof STRINGS / sizeof STRINGS[0])]); break;
    case 4: case 5: gen_table(b, t, depth); break;
    case 6: gen_func(b, t, depth); break;
    case 7:
        /* a finalizer is refused for the whole script (it cannot be caught), so it comes rarely */
        put(t, "%s", (const char *[]){"nil", "true", "false", "CYC", "MT", "DEEP", "nil", "CYC", "MT", "DEEP", "nil",
                                      "CYC", "MT", "DEEP", "nil",
                                      "setmetatable({}, {__gc = function() while true do end end})"}[pick(b, 16)]);
        break;
    case 8: put(t, "find(%s)", STRINGS[pick(b, 8)]); break;
    case 9: put(t, "{%s, %s}", STRINGS[pick(b, 8)], STRINGS[pick(b, 8)]); break;
    case 10: put(t, "%u", pick(b, 256) * 1000u); break;
    default: put(t, "-%u", pick(b, 256)); break;
    }
}

/* A call: its template's letters say what each argument is (v any value, t a node name, d a
 * time or duration, f a function, o an options table, s a string). */
static const char *const CALLS[] = {
    "fault.site_down(t, o)", "fault.crash(t, o)", "fault.link_cut(t, t, o)", "fault.partition(v, v, o)",
    "fault.degrade(t, o)", "fault.flap(t, o)", "fault.duplicate(t, o)", "fault.reorder(t, o)",
    "fault.corrupt(t, o)", "fault.corrupt_replica(t, o)", "fault.disk_full(t, o)", "fault.disk_slow(t, o)",
    "fault.ifs_down(t, o)", "fault.nws_down(o)", "fault.nws_slow(o)", "fault.key_expiry(t, o)",
    "fault.key_rotation(t, o)", "fault.wrong_key(t, o)", "fault.clear(v)", "fault.list()", "fault.nemesis(o)",
    "operator.promote(t)", "operator.failback(t)", "at(d, f)", "after(d, f)", "every(d, f)", "workload(o)",
    "failover_settings(o)", "flow_settings(o)", "expect(s, f)", "always(s, f)", "param(s, v)", "data(s)",
    "json_encode(v)", "json_decode(s)", "nodes_where(o)", "find(v)", "link(t, t, o)", "acquire_code(v, v)",
    "inquire(o)", "register_replica(v, o)", "update_replica(v, o)", "seed_replica(v, o)", "resident(v)",
    "individual_no(v)", "new_resident(o)", "fmt_time(v)", "fmt_duration(v)", "duration(v)", "time(v)",
    "now()", "clock()", "calendar.date(v)", "calendar.add_business_days(v, v)", "calendar.is_business_day(v)",
    "calendar.next_open(v, v)", "calendar.weekday(v)", "calendar.fiscal_year(v)", "dist.uniform(v, v)",
    "dist.triangular(v, v, v)", "dist.fixed(v)", "log(v)", "caption(o)", "pause_here()", "serving(t)",
    "link_of(t, t)", "on_flow_end(f)", "lg(o)", "site(o)", "permissions(o)", "finish(d)", "start(d)",
    "revise(o)", "schedule_lg(v, o)", "setmetatable(v, {__index = f})", "tostring(v)", "tostring(#v)",
    "operator.promote(t, {force = true})", "operator.promote(t, o)", "mynaportal(o)", "disclose(v)", "staff(o)",
    "operating_hours(o)", "phase(o)", "milestone(o)", "wave(o)", "fault.clear(fault.site_down(t, o))"};

static void gen_arg(bytes *b, text *t, char kind, int depth)
{
    bool hostile = pick(b, 4) == 0;   /* a quarter of the arguments: anything at all */
    if (hostile) kind = 'v';
    switch (kind) {
    case 't': put(t, "%s", STRINGS[1 + pick(b, 8)]); break;
    case 'd':   /* a time or a duration: as text, or as a number (seconds, or microseconds) */
        if (pick(b, 2)) put(t, "%s", STRINGS[9 + pick(b, 14)]);
        else put(t, "%s", NUMBERS[pick(b, sizeof NUMBERS / sizeof NUMBERS[0])]);
        break;
    case 'f': gen_func(b, t, depth); break;
    case 'o': gen_table(b, t, depth); break;
    case 's': put(t, "%s", STRINGS[pick(b, sizeof STRINGS / sizeof STRINGS[0])]); break;
    default: gen_value(b, t, depth); break;
    }
}

static void gen_call(bytes *b, text *t, int depth)
{
    const char *c = CALLS[pick(b, sizeof CALLS / sizeof CALLS[0])];
    for (const char *p = c; *p; p++) {
        bool slot = (*p == 'v' || *p == 't' || *p == 'd' || *p == 'f' || *p == 'o' || *p == 's') &&
                    (p[1] == ',' || p[1] == ')' || p[1] == '}') && (p[-1] == '(' || p[-1] == ' ' || p[-1] == '#');
        if (slot) gen_arg(b, t, *p, depth);
        else put(t, "%c", *p);
    }
}

static void gen_statement(bytes *b, text *t, int depth)
{
    /* most calls protected, so one refusal does not end the script before the next call */
    if (pick(b, 8)) {
        put(t, "pcall(function() return ");
        gen_call(b, t, depth);
        put(t, " end)");
    } else {
        gen_call(b, t, depth);
    }
}

static const char PRELUDE[] =
    "local CYC = {} CYC.self = CYC CYC[1] = CYC\n"
    "local MT = setmetatable({}, {__index = function() error('index') end, __tostring = function() error('tostring') end,\n"
    "  __len = function() return -1 end, __eq = function() return true end, __lt = function() error('lt') end,\n"
    "  __concat = function() return MT end, __call = function() return MT end, __name = 'MT'})\n"
    "local DEEP = {} do local d = DEEP for i = 1, 300 do d[1] = {} d = d[1] end end\n"
    "local BIG = string.rep('x', 1 << 20)\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bytes b = {data, size};
    text t = {0};
    put(&t, "%s", PRELUDE);
    unsigned n = 1 + pick(&b, MAX_STATEMENTS);
    for (unsigned i = 0; i < n && t.s; i++) {
        gen_statement(&b, &t, 0);
        put(&t, "\n");
    }
    if (!t.s) return 0;
    if (getenv("FUZZ_LUA_PRINT")) fputs(t.s, stderr);
    static char path[128];
    if (fuzz_write_file(path, sizeof path, "script.lua", (const uint8_t *)t.s, t.len) < 0) {
        free(t.s);
        return 0;
    }
    free(t.s);

    sim_world *w = NULL;
    sim_lua *sl = NULL;
    node_dash *d = NULL;
    bool traced = size > 0 && data[size - 1] % TRACE_ONE_IN == 0;
    if (sim_world_create(&(sim_world_config){.seed = 1, .trace_fd = -1, .trace_off = !traced}, &w) < 0 ||
        sim_lua_create(w, &(sim_lua_config){.quiet = true, .budget = LUA_BUDGET, .mem_cap = (size_t)LUA_MEM_MIB << 20}, &sl) < 0 ||
        dash_attach(w, &d) < 0 || sim_lua_open_lib(sl, script_open_lua) < 0 || sim_lua_open_lib(sl, rollout_open_lua) < 0 ||
        sim_lua_open_lib(sl, dash_open_lua) < 0 || sim_lua_set_param(sl, "resident_scale", RESIDENT_SCALE) < 0 ||
        sim_lua_load_file(sl, "topologies/small.lua") < 0) {
        fprintf(stderr, "fuzz_lua: cannot open the world (run from the source tree)\n");
        abort();
    }
    sim_time_t until = sim_world_start(w) + SIM_HOURS * SIM_HOUR;
    int loaded = sim_lua_load_file(sl, path);
    if (loaded < 0 && getenv("FUZZ_LUA_PRINT")) fprintf(stderr, "fuzz_lua: refused: %s\n", sim_lua_error(sl));
    if (loaded == 0 && sim_lua_open_lib(sl, rollout_prepare) == 0) {
        dash_begin(d);
        sim_time_t end;
        if (sim_lua_finish_time(sl, &end) && end < until) until = end;
        if (sim_world_start_nodes(w) == 0 && sim_lua_begin_run(sl, until) == 0) {
            sim_world_run(w, until, MAX_EVENTS);
            sim_lua_check_expectations(sl);
        }
    }
    dash_destroy(d);
    sim_world_destroy(w);   /* before the Lua side: its messages use the Lua side's types */
    sim_lua_destroy(sl);
    return 0;
}
