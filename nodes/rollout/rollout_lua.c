/* rollout/rollout_lua.c - the rollout rehearsal's Lua API: calendar.* (holidays, business days,
 * fiscal years, operating hours), dist.* (durations), and the schedule's declarations:
 * schedule{}, wave{}, phase{}, external{}, capacity{}, milestone{}, with schedule_result()
 * and schedule_lg() to read the outcome. Documented in scripts/README.md.
 *
 * Declarations are checked as they are made (types, ranges, unknown options: a file:line
 * error at the call); what needs the whole plan (names used before they are declared,
 * cycles, wave members, capacities) is checked by rollout_prepare() once every script
 * has loaded, and its errors name the declaration at fault. The schedule's state is a Lua
 * userdata (freed by its __gc when the Lua state closes) that the world also points to. */
#include "rollout/rollout_internal.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_lua.h"

static const char RO_KEY = 'r';
static const char RO_MT[] = "renkei.rollout";


/* The schedule's slot among the world's extensions: it lives in Lua memory (freed by its
 * __gc when the Lua state closes, after the world), so it attaches without a free function. */
static const sim_world_ext_key rollout_key = {"rollout"};

ro *rollout_of_world(sim_world *w) { return sim_world_ext(w, &rollout_key); }

static int ro_gc(lua_State *L)
{
    ro *r = luaL_checkudata(L, 1, RO_MT);
    rollout_free(r);
    return 0;
}

/* The world's schedule state, made on first use. */
static ro *ro_get(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &RO_KEY) == LUA_TUSERDATA) {
        ro *r = lua_touserdata(L, -1);
        lua_pop(L, 1);
        return r;
    }
    lua_pop(L, 1);
    ro *r = lua_newuserdatauv(L, sizeof *r, 0);
    memset(r, 0, sizeof *r);
    r->w = sim_lua_world(L);
    r->slips_listed = 1000;
    sim_calendar_init(&r->cal);
    luaL_setmetatable(L, RO_MT);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &RO_KEY);
    if (sim_world_ext_attach(r->w, &rollout_key, r, NULL) < 0) luaL_error(L, "out of memory");
    return r;
}

static ro *ro_declare(lua_State *L, const char *what)
{
    ro *r = ro_get(L);
    if (r->prepared) luaL_error(L, "%s: the schedule is fixed once the run has started", what);
    r->declared = true;
    return r;
}

static char *xstrdup(lua_State *L, const char *s)
{
    char *c = strdup(s ? s : "");
    if (!c) luaL_error(L, "out of memory");
    return c;
}

static char *where_of(lua_State *L)
{
    luaL_where(L, 1);
    char *w = xstrdup(L, lua_tostring(L, -1));
    lua_pop(L, 1);
    return w;
}

/* ---- dates ----------------------------------------------------------------------------- */

/* A date: "YYYY-MM-DD", or a time (a time string or µs) taken as its JST date. */
static sim_date connect_check_date(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        sim_date d;
        const char *s = lua_tostring(L, idx);
        if (sim_date_parse(s, &d) == 0) return d;
        sim_time_t t;
        if (sim_time_parse(s, &t) == 0) return sim_date_of(t);
        luaL_error(L, "bad date '%s' (expected 'YYYY-MM-DD')", s);
    }
    if (lua_isinteger(L, idx)) return sim_date_of(lua_tointeger(L, idx));
    luaL_error(L, "expected a date ('YYYY-MM-DD'), got %s", luaL_typename(L, idx));
    return 0;
}

static void push_date(lua_State *L, sim_date d)
{
    char buf[SIM_DATE_BUFSZ];
    sim_date_format(d, buf, sizeof buf);
    lua_pushstring(L, buf);
}

static sim_calendar *cal(lua_State *L) { return &ro_get(L)->cal; }

static int range_error(lua_State *L, sim_date d)
{
    char buf[SIM_DATE_BUFSZ];
    sim_date_format(d, buf, sizeof buf);
    return luaL_error(L, "%s: holidays are known from %d to %d", buf, SIM_HOLIDAY_YEAR_MIN, SIM_HOLIDAY_YEAR_MAX);
}

/* calendar.is_holiday(date) -> false | name_ja, name_en, kind */
static int c_is_holiday(lua_State *L)
{
    sim_date d = connect_check_date(L, 1);
    sim_holiday h;
    int rc = sim_holiday_of(d, &h);
    if (rc < 0) return range_error(L, d);
    if (rc == 0) {
        lua_pushboolean(L, 0);
        return 1;
    }
    lua_pushstring(L, h.name_ja);
    lua_pushstring(L, h.name_en);
    lua_pushstring(L, sim_holiday_kind_name(h.kind));
    return 3;
}

/* calendar.holidays(year) -> { { date, name, name_en, kind, substitute_for }, ... } */
static int c_holidays(lua_State *L)
{
    lua_Integer year = luaL_checkinteger(L, 1);
    if (year < SIM_HOLIDAY_YEAR_MIN || year > SIM_HOLIDAY_YEAR_MAX)
        return luaL_error(L, "calendar.holidays: holidays are known from %d to %d", SIM_HOLIDAY_YEAR_MIN, SIM_HOLIDAY_YEAR_MAX);
    sim_holiday h[40];
    int n = sim_holidays_in_year((int)year, h, 40);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n && i < 40; i++) {
        lua_createtable(L, 0, 5);
        push_date(L, h[i].date);
        lua_setfield(L, -2, "date");
        lua_pushstring(L, h[i].name_ja);
        lua_setfield(L, -2, "name");
        lua_pushstring(L, h[i].name_en);
        lua_setfield(L, -2, "name_en");
        lua_pushstring(L, sim_holiday_kind_name(h[i].kind));
        lua_setfield(L, -2, "kind");
        if (h[i].for_ja) {
            lua_pushstring(L, h[i].for_ja);
            lua_setfield(L, -2, "substitute_for");
        }
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int c_is_business_day(lua_State *L)
{
    lua_pushboolean(L, sim_calendar_is_business_day(cal(L), connect_check_date(L, 1)));
    return 1;
}

static int c_business_days(lua_State *L)
{
    sim_date a = connect_check_date(L, 1), b = connect_check_date(L, 2);
    lua_pushinteger(L, sim_calendar_business_days(cal(L), a, b));
    return 1;
}

static int c_add_business_days(lua_State *L)
{
    sim_date d = connect_check_date(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n > 100000 || n < -100000) return luaL_error(L, "calendar.add_business_days: %I is too many days", n);
    sim_date out = sim_calendar_add_business_days(cal(L), d, n);
    int y;
    sim_date_ymd(out, &y, NULL, NULL);
    if (y < 1970 || y > 9999) return luaL_error(L, "calendar.add_business_days: the result is out of range");
    push_date(L, out);
    return 1;
}

static int c_next_business_day(lua_State *L)
{
    push_date(L, sim_calendar_next_business_day(cal(L), connect_check_date(L, 1)));
    return 1;
}

static int c_fiscal_year(lua_State *L)
{
    lua_pushinteger(L, sim_fiscal_year(connect_check_date(L, 1)));
    return 1;
}

static int c_weekday(lua_State *L)
{
    lua_pushinteger(L, sim_date_weekday(connect_check_date(L, 1)));
    return 1;
}

static sim_time_t opt_time(lua_State *L, int idx)
{
    return lua_isnoneornil(L, idx) ? sim_world_now(sim_lua_world(L)) : sim_lua_check_time(L, idx);
}

/* calendar.date([time]) -> "YYYY-MM-DD", the JST date of a time (default now) */
static int c_date(lua_State *L)
{
    push_date(L, sim_date_of(opt_time(L, 1)));
    return 1;
}

static int c_is_open(lua_State *L)
{
    lua_pushboolean(L, sim_calendar_is_open(cal(L), opt_time(L, 1)));
    return 1;
}

static int c_next_open(lua_State *L)
{
    lua_pushinteger(L, sim_calendar_next_open(cal(L), opt_time(L, 1)));
    return 1;
}

static void date_list(lua_State *L, int idx, const char *key, sim_calendar *c, bool closed)
{
    if (lua_getfield(L, idx, key) == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, i);
        sim_date d = connect_check_date(L, -1);
        if ((closed ? sim_calendar_set_closed(c, d) : sim_calendar_set_open(c, d)) < 0) luaL_error(L, "out of memory");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* calendar.configure { weekend = { "saturday", "sunday" }, holidays = true, year_end = true,
 *                      closed = { dates }, open = { dates }, hours = { "08:30", "17:15" } } */
static int c_configure(lua_State *L)
{
    static const char *const known[] = {"weekend", "holidays", "year_end", "closed", "open", "hours", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "calendar.configure", known);
    ro *r = ro_get(L);
    if (r->prepared) return luaL_error(L, "calendar.configure: the schedule is fixed once the run has started");
    sim_calendar *c = &r->cal;
    if (lua_getfield(L, 1, "weekend") != LUA_TNIL) {
        luaL_checktype(L, -1, LUA_TTABLE);
        static const char *const days[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};
        uint8_t mask = 0;
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            const char *s = lua_tostring(L, -1);
            int k = 0;
            while (k < 7 && (!s || strcmp(s, days[k]) != 0)) k++;
            if (k == 7) return luaL_error(L, "calendar.configure: weekend days are 'saturday', 'sunday', ... (got '%s')", s ? s : "?");
            mask |= (uint8_t)(1u << k);
            lua_pop(L, 1);
        }
        c->closed_weekdays = mask;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "holidays") != LUA_TNIL) c->holidays_closed = lua_toboolean(L, -1);
    if (lua_getfield(L, 1, "year_end") != LUA_TNIL) c->year_end_closed = lua_toboolean(L, -1);
    lua_pop(L, 2);
    if (lua_getfield(L, 1, "hours") != LUA_TNIL) {
        luaL_checktype(L, -1, LUA_TTABLE);
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        const char *a = lua_tostring(L, -2), *z = lua_tostring(L, -1);
        int64_t open, close;
        if (!a || !z || sim_time_parse_clock(a, &open) < 0 || sim_time_parse_clock(z, &close) < 0 || close <= open)
            return luaL_error(L, "calendar.configure: hours must be { 'HH:MM', 'HH:MM' }, opening first");
        c->open = open;
        c->close = close;
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    date_list(L, 1, "closed", c, true);
    date_list(L, 1, "open", c, false);
    return 0;
}

static int c_today(lua_State *L)
{
    push_date(L, sim_date_of(sim_world_now(sim_lua_world(L))));
    return 1;
}

/* ---- distributions --------------------------------------------------------------------- */

static void push_dist(lua_State *L, const char *kind, const char *k1, double v1, const char *k2, double v2,
                      const char *k3, double v3)
{
    lua_createtable(L, 0, 4);
    lua_pushstring(L, kind);
    lua_setfield(L, -2, "kind");
    const char *keys[3] = {k1, k2, k3};
    double vals[3] = {v1, v2, v3};
    for (int i = 0; i < 3; i++)
        if (keys[i]) {
            lua_pushnumber(L, vals[i]);
            lua_setfield(L, -2, keys[i]);
        }
}

static double check_days(lua_State *L, int idx, const char *what)
{
    double v = luaL_checknumber(L, idx);
    if (!isfinite(v)) luaL_error(L, "%s: not a finite number", what);
    if (v < 0) luaL_error(L, "%s: a duration cannot be negative (%f)", what, v);
    return v;
}

static int d_fixed(lua_State *L)
{
    double v = check_days(L, 1, "dist.fixed");
    push_dist(L, "fixed", "value", v, NULL, 0, NULL, 0);
    return 1;
}

static int d_triangular(lua_State *L)
{
    double lo = check_days(L, 1, "dist.triangular"), mode = check_days(L, 2, "dist.triangular"),
           hi = check_days(L, 3, "dist.triangular");
    if (!(lo <= mode && mode <= hi)) return luaL_error(L, "dist.triangular: need lo <= mode <= hi (got %f, %f, %f)", lo, mode, hi);
    push_dist(L, "triangular", "lo", lo, "mode", mode, "hi", hi);
    return 1;
}

static int d_uniform(lua_State *L)
{
    double lo = check_days(L, 1, "dist.uniform"), hi = check_days(L, 2, "dist.uniform");
    if (!(lo <= hi)) return luaL_error(L, "dist.uniform: need lo <= hi (got %f, %f)", lo, hi);
    push_dist(L, "uniform", "lo", lo, "hi", hi, NULL, 0);
    return 1;
}

/* dist.lognormal { median = 10, p90 = 20 } or { mu = 2.3, sigma = 0.5 } (of the natural log) */
static int d_lognormal(lua_State *L)
{
    static const char *const known[] = {"median", "p90", "mu", "sigma", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "dist.lognormal", known);
    double mu, sigma;
    if (lua_getfield(L, 1, "median") != LUA_TNIL) {
        double median = luaL_checknumber(L, -1);
        lua_getfield(L, 1, "p90");
        double p90 = lua_isnil(L, -1) ? median : luaL_checknumber(L, -1);
        if (!(median > 0) || !(p90 >= median) || !isfinite(p90))
            return luaL_error(L, "dist.lognormal: need 0 < median <= p90 (got %f, %f)", median, p90);
        mu = log(median);
        sigma = log(p90 / median) / 1.2815515655446004;   /* the 90th percentile of N(0, 1) */
    } else {
        lua_getfield(L, 1, "mu");
        lua_getfield(L, 1, "sigma");
        if (lua_isnil(L, -2) || lua_isnil(L, -1))
            return luaL_error(L, "dist.lognormal: give { median = ..., p90 = ... } or { mu = ..., sigma = ... }");
        mu = luaL_checknumber(L, -2);
        sigma = luaL_checknumber(L, -1);
        if (!isfinite(mu) || !(sigma >= 0) || !isfinite(sigma))
            return luaL_error(L, "dist.lognormal: need a finite mu and sigma >= 0");
    }
    push_dist(L, "lognormal", "mu", mu, "sigma", sigma, NULL, 0);
    return 1;
}

static double num_field(lua_State *L, int idx, const char *key, const char *what)
{
    lua_getfield(L, idx, key);
    if (!lua_isnumber(L, -1)) luaL_error(L, "%s: the distribution lacks '%s'", what, key);
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return v;
}

/* A number of business days, or a table made by dist.*. */
static ro_dist check_dist(lua_State *L, int idx, const char *what)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double v = lua_tonumber(L, idx);
        if (!isfinite(v) || v < 0) luaL_error(L, "%s: a duration cannot be negative (%f)", what, v);
        return (ro_dist){.kind = DIST_FIXED, .a = v};
    }
    if (!lua_istable(L, idx)) luaL_error(L, "%s: expected a number of business days or a dist.*(...)", what);
    lua_getfield(L, idx, "kind");
    const char *kind = lua_tostring(L, -1);
    lua_pop(L, 1);
    ro_dist d = {0};
    if (kind && strcmp(kind, "fixed") == 0) {
        d = (ro_dist){.kind = DIST_FIXED, .a = num_field(L, idx, "value", what)};
    } else if (kind && strcmp(kind, "triangular") == 0) {
        d = (ro_dist){.kind = DIST_TRIANGULAR, .a = num_field(L, idx, "lo", what),
                      .b = num_field(L, idx, "mode", what), .c = num_field(L, idx, "hi", what)};
        if (!(d.a <= d.b && d.b <= d.c)) luaL_error(L, "%s: need lo <= mode <= hi", what);
    } else if (kind && strcmp(kind, "lognormal") == 0) {
        d = (ro_dist){.kind = DIST_LOGNORMAL, .a = num_field(L, idx, "mu", what), .b = num_field(L, idx, "sigma", what)};
        if (!(d.b >= 0)) luaL_error(L, "%s: sigma must not be negative", what);
    } else if (kind && strcmp(kind, "uniform") == 0) {
        d = (ro_dist){.kind = DIST_UNIFORM, .a = num_field(L, idx, "lo", what), .b = num_field(L, idx, "hi", what)};
        if (!(d.a <= d.b)) luaL_error(L, "%s: need lo <= hi", what);
    } else {
        luaL_error(L, "%s: unknown distribution '%s' (use dist.fixed, dist.triangular, dist.lognormal, dist.uniform)",
                   what, kind ? kind : "?");
    }
    if (d.kind != DIST_LOGNORMAL && (d.a < 0 || !isfinite(d.a) || !isfinite(d.b) || !isfinite(d.c)))
        luaL_error(L, "%s: a duration cannot be negative", what);
    return d;
}

/* ---- declarations ---------------------------------------------------------------------- */

static const char *opt_string(lua_State *L, int idx, const char *key, const char *what);

static const char *check_name(lua_State *L, int idx, const char *what)
{
    lua_getfield(L, idx, "name");
    const char *name = lua_tostring(L, -1);
    if (!name || !*name || lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: 'name' (a string) is required", what);
    if (strlen(name) > 100) luaL_error(L, "%s: the name is too long", what);
    lua_pop(L, 1);   /* the table keeps the string alive */
    return name;
}

/* A string or a list of strings at field key -> malloc'd array of copies. */
static char **string_list(lua_State *L, int idx, const char *key, int *n, const char *what)
{
    *n = 0;
    int t = lua_getfield(L, idx, key);
    if (t == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    if (t == LUA_TSTRING || t == LUA_TNUMBER) {
        char **v = malloc(sizeof *v);
        if (!v || !(v[0] = strdup(lua_tostring(L, -1)))) {
            free(v);
            luaL_error(L, "out of memory");
        }
        *n = 1;
        lua_pop(L, 1);
        return v;
    }
    if (t != LUA_TTABLE) luaL_error(L, "%s: '%s' must be a name or a list of names", what, key);
    lua_Integer len = (lua_Integer)lua_rawlen(L, -1);
    for (lua_Integer i = 1; i <= len; i++) {   /* check everything before allocating */
        int e = lua_rawgeti(L, -1, i);
        if (e != LUA_TSTRING && e != LUA_TNUMBER) luaL_error(L, "%s: '%s' must be a list of names", what, key);
        lua_pop(L, 1);
    }
    char **v = calloc((size_t)(len ? len : 1), sizeof *v);
    if (!v) luaL_error(L, "out of memory");
    for (lua_Integer i = 1; i <= len; i++) {
        lua_rawgeti(L, -1, i);
        v[i - 1] = strdup(lua_tostring(L, -1));
        lua_pop(L, 1);
        if (!v[i - 1]) {
            for (lua_Integer k = 0; k < i - 1; k++) free(v[k]);
            free(v);
            luaL_error(L, "out of memory");
        }
    }
    *n = (int)len;
    lua_pop(L, 1);
    return v;
}

static void free_list(char **v, int n)
{
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

static ro_ref *refs_of(char **names, int n)
{
    ro_ref *refs = calloc((size_t)(n ? n : 1), sizeof *refs);
    if (!refs) return NULL;
    for (int i = 0; i < n; i++) refs[i] = (ro_ref){.name = names[i], .index = -1};
    free(names);
    return refs;
}

static bool phase_or_event_named(const ro *r, const char *name)
{
    for (int i = 0; i < r->nphases; i++)
        if (strcmp(r->phases[i].name, name) == 0) return true;
    for (int i = 0; i < r->nevents; i++)
        if (strcmp(r->events[i].name, name) == 0) return true;
    return false;
}

static int kind_of(lua_State *L, int idx, const char *what)
{
    lua_getfield(L, idx, "kind");
    const char *k = lua_tostring(L, -1);
    int kind = KIND_ANY;
    if (k && strcmp(k, "municipality") == 0) kind = KIND_MUNICIPALITY;
    else if (k && strcmp(k, "prefecture") == 0) kind = KIND_PREFECTURE;
    else if (k) luaL_error(L, "%s: 'kind' is \"municipality\" or \"prefecture\" (got '%s')", what, k);
    lua_pop(L, 1);
    return kind;
}

static bool opt_date(lua_State *L, int idx, const char *key, sim_date *out)
{
    bool has = lua_getfield(L, idx, key) != LUA_TNIL;
    if (has) *out = connect_check_date(L, -1);
    lua_pop(L, 1);
    return has;
}

/* A copy of the declaring table at index 1, kept in the registry for revise(). */
static int keep_table(lua_State *L)
{
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* A declaration was appended at index n of an array of `size`-byte entries; when it revises
 * the entry at `replace`, swap them and let the caller free the old one (now at n). Returns
 * the index to free, or -1. */
_Static_assert(sizeof(ro_phase) <= 512 && sizeof(ro_event) <= 512 && sizeof(ro_wave) <= 512 &&
               sizeof(ro_capacity) <= 512 && sizeof(ro_milestone) <= 512, "place() swaps through 512 bytes");

static int place(void *array, size_t size, int n, int replace)
{
    if (replace < 0 || replace == n) return -1;
    char tmp[512], *a = array;
    if (size > sizeof tmp) abort();
    memcpy(tmp, a + (size_t)replace * size, size);
    memcpy(a + (size_t)replace * size, a + (size_t)n * size, size);
    memcpy(a + (size_t)n * size, tmp, size);
    return n;
}

/* schedule { start = "2016-01-04", critical = "full operation", slips = 1000 } */
static int l_schedule(lua_State *L)
{
    static const char *const known[] = {"start", "critical", "slips", "as_of", "sensitivity", "operator", "signals", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "schedule", known);
    ro *r = ro_declare(L, "schedule");
    if (lua_getfield(L, 1, "sensitivity") != LUA_TNIL) {
        lua_Integer sens = luaL_checkinteger(L, -1);
        if (sens < 0 || sens > 1000) return luaL_error(L, "schedule: 'sensitivity' is 0 to 1000 business days");
        r->sensitivity = (int)sens;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "operator") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TSTRING) return luaL_error(L, "schedule: 'operator' is a name");
        free(r->operator_name);
        r->operator_name = xstrdup(L, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
    lua_getfield(L, 1, "signals");
    int tsig = lua_type(L, -1);
    lua_pop(L, 1);
    if (tsig != LUA_TNIL) {
        if (tsig != LUA_TTABLE && tsig != LUA_TSTRING) return luaL_error(L, "schedule: 'signals' is a list of phase names");
        for (int k = 0; k < r->nsignal_phases; k++) free(r->signal_phases[k]);
        free(r->signal_phases);
        r->signal_phases = NULL;
        r->nsignal_phases = 0;
        r->signal_phases = string_list(L, 1, "signals", &r->nsignal_phases, "schedule");
    }
    if (lua_getfield(L, 1, "as_of") != LUA_TNIL) {
        if (!lua_istable(L, -1)) return luaL_error(L, "schedule: 'as_of' is a list of dates");
        int n = (int)lua_rawlen(L, -1);
        sim_date *dates = calloc((size_t)(n ? n : 1), sizeof *dates);
        if (!dates) return luaL_error(L, "out of memory");
        for (int k = 1; k <= n; k++) {
            lua_rawgeti(L, -1, k);
            sim_date d;
            if (lua_type(L, -1) != LUA_TSTRING || sim_date_parse(lua_tostring(L, -1), &d) < 0 || (k > 1 && d <= dates[k - 2])) {
                free(dates);
                return luaL_error(L, "schedule: 'as_of' is a list of dates 'YYYY-MM-DD' in increasing order");
            }
            dates[k - 1] = d;
            lua_pop(L, 1);
        }
        free(r->as_of);
        r->as_of = dates;
        r->nas_of = n;
    }
    lua_pop(L, 1);
    sim_date start;
    bool has_start = opt_date(L, 1, "start", &start);
    lua_getfield(L, 1, "critical");
    const char *critical = lua_tostring(L, -1);
    lua_getfield(L, 1, "slips");
    lua_Integer slips = lua_isnil(L, -1) ? r->slips_listed : luaL_checkinteger(L, -1);
    if (slips < 0 || slips > 10000000) return luaL_error(L, "schedule: 'slips' must be 0 or more");
    char *where = where_of(L), *crit = critical ? strdup(critical) : NULL;
    if (critical && !crit) {
        free(where);
        return luaL_error(L, "out of memory");
    }
    free(r->where);
    free(r->critical);
    r->where = where;
    r->critical = crit;
    r->slips_listed = (int)slips;
    if (has_start) {
        r->start_date = start;
        r->has_start = true;
    }
    return 0;
}

static int parse_pref_arg(const char *s)
{
    size_t n = strlen(s);
    if (n == 1 && s[0] >= '1' && s[0] <= '9') return s[0] - '0';
    if ((n != 2 && n != 6) || strspn(s, "0123456789") != n) return -1;
    int p = (s[0] - '0') * 10 + (s[1] - '0');
    if (p < 1 || p > 47) return -1;
    if (n == 6) {
        char code[8];
        rollout_pref_code(p, code);
        if (strcmp(code, s) != 0) return -1;
    }
    return p;
}

/* wave { name = "tokyo", prefectures = { "13" }, population = { min = 100000 },
 *        kind = "municipality", codes = { "131016", ... }, start = "2016-04-01" } */
static int declare_wave(lua_State *L, int replace)
{
    static const char *const known[] = {"name", "prefectures", "codes", "population", "kind", "start", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "wave", known);
    ro *r = ro_declare(L, "wave");
    const char *name = check_name(L, 1, "wave");
    for (int i = 0; i < r->nwaves; i++)
        if (i != replace && strcmp(r->waves[i].name, name) == 0) return luaL_error(L, "wave '%s' is declared twice", name);
    char what[160];
    snprintf(what, sizeof what, "wave '%s'", name);
    int kind = kind_of(L, 1, what);
    int64_t pop_min = -1, pop_max = -1;
    if (lua_getfield(L, 1, "population") != LUA_TNIL) {
        static const char *const pk[] = {"min", "max", NULL};
        sim_lua_check_options(L, lua_gettop(L), what, pk);
        if (lua_getfield(L, -1, "min") != LUA_TNIL) pop_min = luaL_checkinteger(L, -1);
        if (lua_getfield(L, -2, "max") != LUA_TNIL) pop_max = luaL_checkinteger(L, -1);
        if (pop_min < -1 || pop_max < -1 || (pop_max >= 0 && pop_min > pop_max))
            return luaL_error(L, "%s: population needs 0 <= min <= max", what);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    sim_date start = 0;
    bool has_start = opt_date(L, 1, "start", &start);
    /* validate the lists on the Lua side before copying them */
    int tp = lua_getfield(L, 1, "prefectures");
    if (tp == LUA_TTABLE) {
        lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            const char *s = lua_tostring(L, -1);
            if (!s || parse_pref_arg(s) < 0) return luaL_error(L, "%s: unknown prefecture '%s' (1 to 47, or a code like \"130001\")", what, s ? s : "?");
            lua_pop(L, 1);
        }
    } else if (tp == LUA_TSTRING || tp == LUA_TNUMBER) {
        const char *s = lua_tostring(L, -1);
        if (parse_pref_arg(s) < 0) return luaL_error(L, "%s: unknown prefecture '%s' (1 to 47, or a code like \"130001\")", what, s);
    } else if (tp != LUA_TNIL) {
        return luaL_error(L, "%s: 'prefectures' is a list of prefecture numbers or codes", what);
    }
    lua_getfield(L, 1, "codes");
    bool has_codes = !lua_isnil(L, -1);
    if (has_codes && (!lua_istable(L, -1) || lua_rawlen(L, -1) == 0))
        return luaL_error(L, "%s: 'codes' is a non-empty list of local-government codes", what);
    lua_pop(L, 2);
    lua_getfield(L, 1, "prefectures");
    lua_getfield(L, 1, "population");
    if (has_codes && (!lua_isnil(L, -1) || !lua_isnil(L, -2) || kind != KIND_ANY))
        return luaL_error(L, "%s: give either 'codes' or filters (prefectures, population, kind), not both", what);
    lua_pop(L, 2);
    ro_wave *p = realloc(r->waves, (size_t)(r->nwaves + 1) * sizeof *p);
    if (!p) return luaL_error(L, "out of memory");
    r->waves = p;
    ro_wave *wv = &r->waves[r->nwaves];
    *wv = (ro_wave){.pop_min = pop_min, .pop_max = pop_max, .kind = kind, .start = start, .has_start = has_start};
    wv->name = xstrdup(L, name);
    r->nwaves++;   /* from here on rollout_free owns what the wave holds */
    wv->where = where_of(L);
    wv->codes = string_list(L, 1, "codes", &wv->ncodes, what);
    wv->prefs = string_list(L, 1, "prefectures", &wv->nprefs, what);
    for (int i = 0; i < wv->nprefs; i++) {   /* normalise to "13" */
        int pref = parse_pref_arg(wv->prefs[i]);
        char *c = malloc(3);
        if (!c) return luaL_error(L, "out of memory");
        snprintf(c, 3, "%02d", pref);
        free(wv->prefs[i]);
        wv->prefs[i] = c;
    }
    wv->ref = keep_table(L);
    int old = place(r->waves, sizeof *r->waves, r->nwaves - 1, replace);
    if (old >= 0) {
        luaL_unref(L, LUA_REGISTRYINDEX, r->waves[old].ref);
        rollout_free_wave(&r->waves[old]);
        r->nwaves--;
    }
    return 0;
}

static int l_wave(lua_State *L) { return declare_wave(L, -1); }

/* external { name = "layout_2016", date = "2016-07-29", late = dist.triangular(0, 0, 20),
 *            actual = "2016-09-30" } -- date is the plan; actual (a what-if) what happened */
static int declare_external(lua_State *L, int replace)
{
    static const char *const known[] = {"name", "date", "late", "actual", "slip", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "external", known);
    ro *r = ro_declare(L, "external");
    const char *name = check_name(L, 1, "external");
    if (replace < 0 && phase_or_event_named(r, name))
        return luaL_error(L, "external '%s': a phase or external event has that name", name);
    char what[160];
    snprintf(what, sizeof what, "external '%s'", name);
    sim_date date;
    if (!opt_date(L, 1, "date", &date)) return luaL_error(L, "%s: 'date' is required", what);
    ro_dist late = {.kind = DIST_FIXED};
    if (lua_getfield(L, 1, "late") != LUA_TNIL) late = check_dist(L, -1, what);
    lua_pop(L, 1);
    sim_date actual = 0;
    bool has_actual = opt_date(L, 1, "actual", &actual);
    lua_Integer slip = 0;
    bool has_slip = lua_getfield(L, 1, "slip") != LUA_TNIL;
    if (has_slip) {
        slip = luaL_checkinteger(L, -1);
        if (slip < -10000 || slip > 10000) return luaL_error(L, "%s: 'slip' is a number of business days (-10000 to 10000)", what);
        if (has_actual) return luaL_error(L, "%s: give 'actual' or 'slip', not both", what);
    }
    lua_pop(L, 1);
    ro_event *p = realloc(r->events, (size_t)(r->nevents + 1) * sizeof *p);
    if (!p) return luaL_error(L, "out of memory");
    r->events = p;
    ro_event *ev = &r->events[r->nevents];
    *ev = (ro_event){.date = date, .late = late, .actual = actual, .has_actual = has_actual, .slip = (int)slip,
                     .has_slip = has_slip, .release = -1, .version = -1};
    ev->name = xstrdup(L, name);
    r->nevents++;
    ev->where = where_of(L);
    ev->ref = keep_table(L);
    int old = place(r->events, sizeof *r->events, r->nevents - 1, replace);
    if (old >= 0) {   /* a revised release version stays that version, after the same events */
        ro_event *now = &r->events[replace], *was = &r->events[old];
        now->release = was->release;
        now->version = was->version;
        now->after = was->after;
        now->nafter = was->nafter;
        was->after = NULL;
        was->nafter = 0;
        luaL_unref(L, LUA_REGISTRYINDEX, r->events[old].ref);
        rollout_free_event(&r->events[old]);
        r->nevents--;
    }
    return 0;
}

static int l_external(lua_State *L) { return declare_external(L, -1); }

/* The directory of the script that called (for files beside it), "." if unknown. */
static void caller_dir(lua_State *L, char *dir, size_t n)
{
    lua_Debug ar;
    snprintf(dir, n, ".");
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "S", &ar) || ar.source[0] != '@') continue;
        const char *src = ar.source + 1, *slash = strrchr(src, '/');
        if (slash) snprintf(dir, n, "%.*s", (int)(slash - src), src);
        return;
    }
}

/* catalogue.evidence { [code] = file }: a path beside the script (no "..") or absolute, in
 * the order of the codes (lua_next's is not deterministic). */
static void evidence_list(lua_State *L, int idx, ro_phase *ph)
{
    int count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        count++;
        lua_pop(L, 1);
    }
    ph->ev_codes = calloc((size_t)(count ? count : 1), sizeof *ph->ev_codes);
    ph->ev_files = calloc((size_t)(count ? count : 1), sizeof *ph->ev_files);
    if (!ph->ev_codes || !ph->ev_files) luaL_error(L, "out of memory");
    char dir[512];
    caller_dir(L, dir, sizeof dir);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *code = lua_tostring(L, -2), *file = lua_tostring(L, -1);
        if (strstr(file, ".."))
            luaL_error(L, "phase '%s': evidence bundle '%s': a path beside the script or an absolute one, without '..'", ph->name, file);
        char path[1024];
        snprintf(path, sizeof path, "%s%s%s", file[0] == '/' ? "" : dir, file[0] == '/' ? "" : "/", file);
        int k = ph->nevidence;
        while (k > 0 && strcmp(ph->ev_codes[k - 1], code) > 0) {
            ph->ev_codes[k] = ph->ev_codes[k - 1];
            ph->ev_files[k] = ph->ev_files[k - 1];
            k--;
        }
        ph->ev_codes[k] = strdup(code);
        ph->ev_files[k] = strdup(path);
        ph->nevidence++;
        if (!ph->ev_codes[k] || !ph->ev_files[k]) luaL_error(L, "out of memory");
        lua_pop(L, 1);
    }
}

/* Version numbers compare as decimals: 1.1 < 1.11 < 1.2 (the seed's order). */
static bool version_ok(const char *v, double *out)
{
    char *end;
    *out = strtod(v, &end);
    return *v && *end == '\0' && isfinite(*out) && *out >= 0 && strspn(v, "0123456789.") == strlen(v);
}

/* release { name = "if_spec", title = "...", uptake = dist..., upgrade = { sites = { "east", "west" },
 *           at = "22:00", duration = "6h" },
 *           versions = { { "1.0", "2014-10-31", changed = 1, late = dist..., after = "nws_spec 3.0",
 *                          actual = "..." }, ... } }
 * Each version is an external event "<name> <version>". Versions come in order: each number
 * above the last and each date on or after the last, or a file:line error. */
static int l_release(lua_State *L)
{
    static const char *const known[] = {"name", "title", "versions", "uptake", "upgrade", NULL};
    static const char *const vk[] = {"version", "date", "changed", "late", "after", "actual", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "release", known);
    ro *r = ro_declare(L, "release");
    const char *name = check_name(L, 1, "release");
    for (int i = 0; i < r->nrels; i++)
        if (strcmp(r->rels[i].name, name) == 0) return luaL_error(L, "release '%s' is declared twice", name);
    char what[160];
    snprintf(what, sizeof what, "release '%s'", name);
    const char *title = opt_string(L, 1, "title", what);
    ro_release rel = {0};
    if (lua_getfield(L, 1, "uptake") != LUA_TNIL) {
        rel.uptake = check_dist(L, -1, what);
        rel.has_uptake = true;
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "upgrade") != LUA_TNIL) {
        static const char *const uk[] = {"sites", "at", "duration", NULL};
        if (!lua_istable(L, -1)) return luaL_error(L, "%s: 'upgrade' is { sites = { ... }, at = \"22:00\", duration = \"6h\" }", what);
        sim_lua_check_options(L, lua_gettop(L), what, uk);
        rel.upgrade_at = 22 * SIM_HOUR;
        if (lua_getfield(L, -1, "at") != LUA_TNIL) {
            const char *at = lua_tostring(L, -1);
            if (!at || sim_time_parse_clock(at, &rel.upgrade_at) < 0) return luaL_error(L, "%s: upgrade.at is a time of day like \"22:00\"", what);
        }
        lua_pop(L, 1);
        rel.upgrade_for = 6 * SIM_HOUR;
        if (lua_getfield(L, -1, "duration") != LUA_TNIL) rel.upgrade_for = sim_lua_check_duration(L, -1);
        lua_pop(L, 1);
        if (lua_getfield(L, -1, "sites") != LUA_TTABLE || lua_rawlen(L, -1) == 0)
            return luaL_error(L, "%s: upgrade.sites is a non-empty list of platform sites", what);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "versions") != LUA_TTABLE || lua_rawlen(L, -1) == 0)
        return luaL_error(L, "%s: 'versions' is a non-empty list of { version, date, ... }", what);
    int nv = (int)lua_rawlen(L, -1);
    if (nv > 200) return luaL_error(L, "%s: at most 200 versions", what);
    lua_pop(L, 1);
    /* check every version before making anything */
    double last_num = -1;
    sim_date last_date = 0;
    const char *last_v = NULL;
    lua_getfield(L, 1, "versions");
    int vs = lua_gettop(L);
    for (int k = 1; k <= nv; k++) {
        if (lua_rawgeti(L, vs, k) != LUA_TTABLE) return luaL_error(L, "%s: version %d is not a table { version, date, ... }", what, k);
        int vt = lua_gettop(L);
        lua_pushnil(L);   /* { "1.2", "2015-05-29", changed = ... }: two positional fields, then options */
        while (lua_next(L, vt)) {
            lua_pop(L, 1);
            if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1 && lua_tointeger(L, -1) <= 2) continue;
            const char *key = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
            int known_key = 0;
            for (int i = 0; key && vk[i]; i++) known_key |= strcmp(vk[i], key) == 0;
            if (!known_key) return luaL_error(L, "%s: version %d: unknown option '%s'", what, k, key ? key : luaL_typename(L, -1));
        }
        if (lua_getfield(L, vt, "version") == LUA_TNIL) {
            lua_pop(L, 1);
            lua_rawgeti(L, vt, 1);
        }
        if (lua_getfield(L, vt, "date") == LUA_TNIL) {
            lua_pop(L, 1);
            lua_rawgeti(L, vt, 2);
        }
        const char *v = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
        double num;
        if (!v || !version_ok(v, &num)) return luaL_error(L, "%s: version %d: 'version' is a string like \"1.2\"", what, k);
        if (lua_isnil(L, -1)) return luaL_error(L, "%s: version %s: 'date' is required", what, v);
        sim_date date = connect_check_date(L, -1);
        if (last_v && num <= last_num)
            return luaL_error(L, "%s: releases in the wrong order: version %s comes after %s", what, v, last_v);
        if (last_v && date < last_date) {
            char a[SIM_DATE_BUFSZ], b[SIM_DATE_BUFSZ];
            sim_date_format(date, a, sizeof a);
            sim_date_format(last_date, b, sizeof b);
            return luaL_error(L, "%s: releases in the wrong order: version %s (%s) is dated before %s (%s)", what, v, a, last_v, b);
        }
        if (lua_getfield(L, vt, "changed") != LUA_TNIL) {
            double c = luaL_checknumber(L, -1);
            if (!(c >= 0 && c <= 1)) return luaL_error(L, "%s: version %s: 'changed' is a share of the release, 0 to 1", what, v);
        }
        lua_pop(L, 1);
        if (lua_getfield(L, vt, "late") != LUA_TNIL) (void)check_dist(L, -1, what);
        lua_pop(L, 1);
        if (lua_getfield(L, vt, "actual") != LUA_TNIL) (void)connect_check_date(L, -1);
        int ta = lua_getfield(L, vt, "after");
        if (ta != LUA_TNIL && ta != LUA_TSTRING && ta != LUA_TTABLE) return luaL_error(L, "%s: version %s: 'after' is a name or a list of names", what, v);
        lua_pop(L, 2);
        last_num = num;
        last_date = date;
        last_v = v;
        lua_settop(L, vs);
    }
    /* make it: the release, then one external event per version */
    ro_release *p = realloc(r->rels, (size_t)(r->nrels + 1) * sizeof *p);
    if (!p) return luaL_error(L, "out of memory");
    r->rels = p;
    ro_release *nr = &r->rels[r->nrels];
    *nr = rel;
    nr->name = xstrdup(L, name);
    r->nrels++;   /* rollout_free owns the rest */
    int ri = r->nrels - 1;
    nr->where = where_of(L);
    nr->title = xstrdup(L, title ? title : name);
    nr->events = calloc((size_t)nv, sizeof *nr->events);
    nr->versions = calloc((size_t)nv, sizeof *nr->versions);
    nr->changed = calloc((size_t)nv, sizeof *nr->changed);
    if (!nr->events || !nr->versions || !nr->changed) return luaL_error(L, "out of memory");
    if (lua_getfield(L, 1, "upgrade") == LUA_TTABLE)
        nr->upgrade_sites = string_list(L, lua_gettop(L), "sites", &nr->nupgrade_sites, what);
    lua_pop(L, 1);
    lua_pushvalue(L, 1);
    int release_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    for (int k = 1; k <= nv; k++) {
        lua_settop(L, 0);
        lua_rawgeti(L, LUA_REGISTRYINDEX, release_ref);
        lua_getfield(L, 1, "versions");
        lua_rawgeti(L, 2, k);
        int vt = 3;
        if (lua_getfield(L, vt, "version") == LUA_TNIL) {
            lua_pop(L, 1);
            lua_rawgeti(L, vt, 1);
        }
        const char *v = lua_tostring(L, -1);
        nr = &r->rels[ri];
        nr->versions[k - 1] = xstrdup(L, v);
        nr->nversions = k;
        nr->changed[k - 1] = 1;
        if (lua_getfield(L, vt, "changed") != LUA_TNIL) nr->changed[k - 1] = lua_tonumber(L, -1);
        lua_pop(L, 1);
        /* the event's own table: { name, date, late, actual } */
        lua_createtable(L, 0, 4);
        int et = lua_gettop(L);
        lua_pushfstring(L, "%s %s", name, v);
        lua_setfield(L, et, "name");
        if (lua_getfield(L, vt, "date") == LUA_TNIL) {
            lua_pop(L, 1);
            lua_rawgeti(L, vt, 2);
        }
        lua_setfield(L, et, "date");
        lua_getfield(L, vt, "late");
        lua_setfield(L, et, "late");
        lua_getfield(L, vt, "actual");
        lua_setfield(L, et, "actual");
        lua_getfield(L, et, "name");
        if (phase_or_event_named(r, lua_tostring(L, -1)))
            return luaL_error(L, "%s: a phase or external event is named '%s'", what, lua_tostring(L, -1));
        lua_pop(L, 1);
        int n;
        char **after = string_list(L, vt, "after", &n, what);
        lua_replace(L, 1);   /* the event's table at 1, where declare_external reads it */
        lua_settop(L, 1);
        declare_external(L, -1);   /* checked above: it does not raise but for memory */
        ro_event *ev = &r->events[r->nevents - 1];
        ev->release = ri;
        ev->version = k - 1;
        ev->after = after;
        ev->nafter = n;
        r->rels[ri].events[k - 1] = r->nevents - 1;
    }
    luaL_unref(L, LUA_REGISTRYINDEX, release_ref);
    return 0;
}

/* connection_catalogue { "CT-01", ... }: the case ids of the connection-test
 * catalogue that catalogue gates may name (issue 17's catalogue, by id). */
static int l_connection_catalogue(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    ro *r = ro_declare(L, "connection_catalogue");
    if (r->catalogue) return luaL_error(L, "connection_catalogue: declared twice");
    lua_Unsigned len = lua_rawlen(L, 1);
    if (len == 0 || len > 100000) return luaL_error(L, "connection_catalogue: a non-empty list of case ids");
    int n = (int)len;
    for (int k = 1; k <= n; k++) {
        if (lua_rawgeti(L, 1, k) != LUA_TSTRING) return luaL_error(L, "connection_catalogue: case %d is not a string", k);
        lua_pop(L, 1);
    }
    r->catalogue = calloc((size_t)n, sizeof *r->catalogue);
    if (!r->catalogue) return luaL_error(L, "out of memory");
    r->catalogue_where = where_of(L);
    for (int k = 1; k <= n; k++) {
        lua_rawgeti(L, 1, k);
        r->catalogue[k - 1] = xstrdup(L, lua_tostring(L, -1));
        r->ncatalogue = k;
        lua_pop(L, 1);
    }
    return 0;
}

static int units_cmp(const void *a, const void *b)
{
    return strcmp(((const ro_units *)a)->key, ((const ro_units *)b)->key);
}

static ro_units *units_table(lua_State *L, int idx, int *def, int *n, const char *what)
{
    *n = 0;
    if (lua_type(L, idx) == LUA_TNUMBER) {
        if (!lua_isinteger(L, idx)) luaL_error(L, "%s: units must be a whole number", what);
        lua_Integer u = lua_tointeger(L, idx);
        if (u < 1 || u > 1000000) luaL_error(L, "%s: units must be at least 1", what);
        *def = (int)u;
        return NULL;
    }
    if (!lua_istable(L, idx)) luaL_error(L, "%s: 'units' is a number or { default = n, [key] = n }", what);
    int count = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING || !lua_isinteger(L, -1))
            luaL_error(L, "%s: 'units' is a number or { default = n, [key] = n } with whole numbers", what);
        lua_Integer u = lua_tointeger(L, -1);
        if (u < 1 || u > 1000000) luaL_error(L, "%s: units must be at least 1 (%s has %I)", what, lua_tostring(L, -2), u);
        count++;
        lua_pop(L, 1);
    }
    lua_getfield(L, idx, "default");
    if (lua_isnil(L, -1)) luaL_error(L, "%s: 'units' needs a default", what);
    *def = (int)lua_tointeger(L, -1);
    lua_pop(L, 1);
    ro_units *v = calloc((size_t)(count ? count : 1), sizeof *v);
    if (!v) luaL_error(L, "out of memory");
    bool oom = false;
    lua_pushnil(L);
    while (lua_next(L, idx)) {   /* keys and values were checked above: nothing raises here */
        const char *key = lua_tostring(L, -2);
        if (strcmp(key, "default") != 0 && *n < count && !oom) {
            v[*n].units = (int)lua_tointeger(L, -1);
            if ((v[*n].key = strdup(key))) (*n)++;
            else oom = true;
        }
        lua_pop(L, 1);
    }
    if (oom) {
        for (int i = 0; i < *n; i++) free(v[i].key);
        free(v);
        luaL_error(L, "out of memory");
    }
    qsort(v, (size_t)*n, sizeof *v, units_cmp);   /* lua_next's order is not deterministic */
    return v;
}

/* capacity { name = "test_slots", per = "site", units = 20 or { default = 20, east = 30 },
 *            daily = true } */
static int declare_capacity(lua_State *L, int replace)
{
    static const char *const known[] = {"name", "per", "units", "daily", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "capacity", known);
    ro *r = ro_declare(L, "capacity");
    const char *name = check_name(L, 1, "capacity");
    for (int i = 0; i < r->ncaps; i++)
        if (i != replace && strcmp(r->caps[i].name, name) == 0) return luaL_error(L, "capacity '%s' is declared twice", name);
    char what[160];
    snprintf(what, sizeof what, "capacity '%s'", name);
    lua_getfield(L, 1, "per");
    const char *per = lua_tostring(L, -1);
    ro_scope scope;
    if (!per || strcmp(per, "national") == 0) scope = SCOPE_NATIONAL;
    else if (strcmp(per, "site") == 0) scope = SCOPE_SITE;
    else if (strcmp(per, "prefecture") == 0) scope = SCOPE_PREF;
    else if (strcmp(per, "wave") == 0) scope = SCOPE_WAVE;
    else return luaL_error(L, "%s: 'per' is \"site\", \"prefecture\", \"wave\" or \"national\" (got '%s')", what, per);
    lua_getfield(L, 1, "daily");
    bool daily = lua_toboolean(L, -1);
    lua_getfield(L, 1, "units");
    if (lua_isnil(L, -1)) return luaL_error(L, "%s: 'units' is required", what);
    ro_capacity *p = realloc(r->caps, (size_t)(r->ncaps + 1) * sizeof *p);
    if (!p) return luaL_error(L, "out of memory");
    r->caps = p;
    ro_capacity *c = &r->caps[r->ncaps];
    *c = (ro_capacity){.per = scope, .daily = daily};
    c->name = xstrdup(L, name);
    r->ncaps++;
    c->where = where_of(L);
    c->over = units_table(L, lua_gettop(L), &c->units, &c->nover, what);
    c->ref = keep_table(L);
    int old = place(r->caps, sizeof *r->caps, r->ncaps - 1, replace);
    if (old >= 0) {
        luaL_unref(L, LUA_REGISTRYINDEX, r->caps[old].ref);
        rollout_free_capacity(&r->caps[old]);
        r->ncaps--;
    }
    return 0;
}

static int l_capacity(lua_State *L) { return declare_capacity(L, -1); }

/* milestone { name = "trial operation", target = "2017-07-18", after = { ... }, share = 1,
 *             wave = "w1" } */
static int declare_milestone(lua_State *L, int replace)
{
    static const char *const known[] = {"name", "target", "after", "share", "wave", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "milestone", known);
    ro *r = ro_declare(L, "milestone");
    const char *name = check_name(L, 1, "milestone");
    for (int i = 0; i < r->nms; i++)
        if (i != replace && strcmp(r->ms[i].name, name) == 0) return luaL_error(L, "milestone '%s' is declared twice", name);
    char what[160];
    snprintf(what, sizeof what, "milestone '%s'", name);
    sim_date target;
    if (!opt_date(L, 1, "target", &target)) return luaL_error(L, "%s: 'target' (a date) is required", what);
    lua_getfield(L, 1, "share");
    double share = lua_isnil(L, -1) ? 1.0 : luaL_checknumber(L, -1);
    if (!(share > 0 && share <= 1)) return luaL_error(L, "%s: 'share' must be within (0, 1]", what);
    lua_getfield(L, 1, "wave");
    const char *wave = lua_tostring(L, -1);
    lua_getfield(L, 1, "after");
    if (lua_isnil(L, -1)) return luaL_error(L, "%s: 'after' (the phases it waits for) is required", what);
    lua_pop(L, 3);
    ro_milestone *p = realloc(r->ms, (size_t)(r->nms + 1) * sizeof *p);
    if (!p) return luaL_error(L, "out of memory");
    r->ms = p;
    ro_milestone *m = &r->ms[r->nms];
    *m = (ro_milestone){.target = target, .share = share, .wave_index = -1, .plan_day = -1, .day = -1,
                        .at_inst = -1, .at_event = -1};
    m->name = xstrdup(L, name);
    r->nms++;
    m->where = where_of(L);
    if (wave) m->wave = xstrdup(L, wave);
    int n;
    char **names = string_list(L, 1, "after", &n, what);
    if (n == 0) {
        free_list(names, n);
        return luaL_error(L, "%s: 'after' is empty", what);
    }
    if (!(m->after = refs_of(names, n))) {
        free_list(names, n);
        return luaL_error(L, "out of memory");
    }
    m->nafter = n;
    m->ref = keep_table(L);
    int old = place(r->ms, sizeof *r->ms, r->nms - 1, replace);
    if (old >= 0) {
        luaL_unref(L, LUA_REGISTRYINDEX, r->ms[old].ref);
        rollout_free_milestone(&r->ms[old]);
        r->nms--;
    }
    return 0;
}

static int l_milestone(lua_State *L) { return declare_milestone(L, -1); }

static const char *opt_string(lua_State *L, int idx, const char *key, const char *what)
{
    lua_getfield(L, idx, key);
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "%s: '%s' must be a string", what, key);
    const char *s = lua_tostring(L, -1);
    lua_pop(L, 1);
    return s;
}

/* phase { name = "connection_test", scope = "lg", duration = dist.triangular(3, 5, 10),
 *         plan = 5, after = { "preparation", "vendor_env" }, not_before = date,
 *         deadline = date, window = { from, to }, uses = "support" or { support = 2 },
 *         tests = true or { inquiries = 1, partner = "pension", procedure = "...", slots = "..." },
 *         risk = { redo = 0.1, duration = dist... }, waves = { ... }, kind = "municipality" } */
static int declare_phase(lua_State *L, int replace)
{
    static const char *const known[] = {"name", "scope", "duration", "plan", "after", "not_before", "deadline",
                                        "window", "uses", "tests", "risk", "waves", "kind", "builds_on",
                                        "rework", "pia", "catalogue", "bulk_acquisition", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "phase", known);
    ro *r = ro_declare(L, "phase");
    const char *name = check_name(L, 1, "phase");
    if (replace < 0 && phase_or_event_named(r, name))
        return luaL_error(L, "phase '%s': a phase or external event has that name", name);
    char what[160];
    snprintf(what, sizeof what, "phase '%s'", name);
    ro_phase ph = {.kind = kind_of(L, 1, what), .inquiries = 1, .uses_units = 1};
    lua_getfield(L, 1, "scope");
    const char *scope = lua_tostring(L, -1);
    if (!scope || strcmp(scope, "lg") == 0) ph.scope = SCOPE_LG;
    else if (strcmp(scope, "prefecture") == 0) ph.scope = SCOPE_PREF;
    else if (strcmp(scope, "wave") == 0) ph.scope = SCOPE_WAVE;
    else if (strcmp(scope, "national") == 0) ph.scope = SCOPE_NATIONAL;
    else return luaL_error(L, "%s: 'scope' is \"lg\", \"prefecture\", \"wave\" or \"national\" (got '%s')", what, scope);
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "bulk_acquisition") != LUA_TNIL && !lua_isboolean(L, -1))
        return luaL_error(L, "%s: 'bulk_acquisition' is true or false", what);
    ph.bulk = lua_toboolean(L, -1);
    lua_pop(L, 1);
    int dur_t = lua_getfield(L, 1, "duration");
    if (ph.bulk) {   /* the capacity gives its days: one of work, the rest waiting for capacity */
        if (dur_t != LUA_TNIL || ph.scope != SCOPE_LG)
            return luaL_error(L, "%s: a bulk_acquisition phase is each body's (scope \"lg\") and takes no 'duration' "
                                 "(its days come from the population and the shared capacity, bulk_settings{})", what);
        lua_pushinteger(L, 1);
        lua_replace(L, -2);
    } else if (dur_t == LUA_TNIL) {
        return luaL_error(L, "%s: 'duration' is required", what);
    }
    ph.dur = check_dist(L, -1, what);
    ph.plan = rollout_dist_plan(&ph.dur);
    ph.redo = ph.dur;
    if (lua_getfield(L, 1, "plan") != LUA_TNIL) ph.plan = check_days(L, -1, what);
    lua_pop(L, 2);
    ph.has_not_before = opt_date(L, 1, "not_before", &ph.not_before);
    ph.has_deadline = opt_date(L, 1, "deadline", &ph.deadline);
    if (lua_getfield(L, 1, "window") != LUA_TNIL) {
        if (!lua_istable(L, -1)) return luaL_error(L, "%s: 'window' is { from, to }", what);
        lua_rawgeti(L, -1, 1);
        lua_rawgeti(L, -2, 2);
        ph.not_before = connect_check_date(L, -2);
        ph.deadline = connect_check_date(L, -1);
        ph.has_not_before = ph.has_deadline = true;
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    if (ph.has_not_before && ph.has_deadline && ph.deadline < ph.not_before) {
        char a[SIM_DATE_BUFSZ], b[SIM_DATE_BUFSZ];
        sim_date_format(ph.not_before, a, sizeof a);
        sim_date_format(ph.deadline, b, sizeof b);
        return luaL_error(L, "%s: the window ends (%s) before it starts (%s)", what, b, a);
    }
    const char *uses = NULL;
    int t = lua_getfield(L, 1, "uses");
    if (t == LUA_TSTRING) {
        uses = lua_tostring(L, -1);
    } else if (t == LUA_TTABLE) {
        lua_pushnil(L);
        int count = 0;
        while (lua_next(L, -2)) {
            if (lua_type(L, -2) != LUA_TSTRING || !lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1)
                return luaL_error(L, "%s: 'uses' is a capacity's name or { name = units }", what);
            uses = lua_tostring(L, -2);
            ph.uses_units = (int)lua_tointeger(L, -1);
            count++;
            lua_pop(L, 1);
        }
        if (count != 1) return luaL_error(L, "%s: 'uses' names exactly one capacity", what);
    } else if (t != LUA_TNIL) {
        return luaL_error(L, "%s: 'uses' is a capacity's name or { name = units }", what);
    }
    const char *partner = NULL, *procedure = NULL, *slots = NULL;
    t = lua_getfield(L, 1, "tests");
    if (t == LUA_TTABLE) {
        static const char *const tk[] = {"inquiries", "partner", "procedure", "slots", NULL};
        sim_lua_check_options(L, lua_gettop(L), what, tk);
        ph.tests = true;
        if (lua_getfield(L, -1, "inquiries") != LUA_TNIL) {
            lua_Integer n = luaL_checkinteger(L, -1);
            if (n < 1 || n > 1000) return luaL_error(L, "%s: tests.inquiries must be 1 to 1000", what);
            ph.inquiries = (int)n;
        }
        lua_pop(L, 1);
        int tests = lua_gettop(L);
        partner = opt_string(L, tests, "partner", what);
        procedure = opt_string(L, tests, "procedure", what);
        slots = opt_string(L, tests, "slots", what);
    } else if (t == LUA_TBOOLEAN) {
        ph.tests = lua_toboolean(L, -1);
    } else if (t != LUA_TNIL) {
        return luaL_error(L, "%s: 'tests' is true or { inquiries, partner, procedure, slots }", what);
    }
    if (ph.bulk && (ph.tests || uses)) return luaL_error(L, "%s: a bulk_acquisition phase has no tests and uses no capacity{}", what);
    if (lua_getfield(L, 1, "risk") != LUA_TNIL) {
        static const char *const rk[] = {"redo", "duration", NULL};
        sim_lua_check_options(L, lua_gettop(L), what, rk);
        if (lua_getfield(L, -1, "redo") != LUA_TNIL) {
            ph.redo_p = luaL_checknumber(L, -1);
            if (!(ph.redo_p >= 0 && ph.redo_p <= 1)) return luaL_error(L, "%s: risk.redo is a probability (0 to 1)", what);
        }
        if (lua_getfield(L, -2, "duration") != LUA_TNIL) ph.redo = check_dist(L, -1, what);
        lua_pop(L, 2);
    }
    lua_pop(L, 1);
    const char *builds_on = opt_string(L, 1, "builds_on", what);
    ph.rework = 1;
    if (lua_getfield(L, 1, "rework") != LUA_TNIL) {
        ph.rework = luaL_checknumber(L, -1);
        if (!(ph.rework >= 0 && ph.rework <= 100)) return luaL_error(L, "%s: 'rework' must be 0 to 100", what);
        if (!builds_on) return luaL_error(L, "%s: 'rework' is for a phase that builds_on a release's version", what);
    }
    lua_pop(L, 1);
    lua_getfield(L, 1, "pia");
    ph.pia = lua_toboolean(L, -1);
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1)) return luaL_error(L, "%s: 'pia' is true or false", what);
    lua_pop(L, 1);
    if (ph.pia && ph.scope != SCOPE_LG) return luaL_error(L, "%s: a protection assessment ('pia') is each body's (scope \"lg\")", what);
    int catalogue_t = lua_getfield(L, 1, "catalogue");
    if (catalogue_t != LUA_TNIL) {
        static const char *const ck[] = {"cases", "fail", "evidence", NULL};
        if (catalogue_t != LUA_TTABLE) return luaL_error(L, "%s: 'catalogue' is { cases = { ... }, fail = p, evidence = { [code] = file } }", what);
        sim_lua_check_options(L, lua_gettop(L), what, ck);
        if (ph.scope != SCOPE_LG) return luaL_error(L, "%s: a catalogue gate is each body's (scope \"lg\")", what);
        if (lua_getfield(L, -1, "fail") != LUA_TNIL) {
            ph.gate_fail = luaL_checknumber(L, -1);
            if (!(ph.gate_fail >= 0 && ph.gate_fail < 1)) return luaL_error(L, "%s: catalogue.fail is a probability below 1", what);
        }
        lua_pop(L, 1);
        if (lua_getfield(L, -1, "cases") != LUA_TTABLE || lua_rawlen(L, -1) == 0)
            return luaL_error(L, "%s: catalogue.cases is a non-empty list of catalogue case ids", what);
        lua_pop(L, 1);
        if (lua_getfield(L, -1, "evidence") != LUA_TNIL) {
            if (!lua_istable(L, -1)) return luaL_error(L, "%s: catalogue.evidence is { [\"<body code>\"] = \"<bundle.json>\" }", what);
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
                    return luaL_error(L, "%s: catalogue.evidence is { [\"<body code>\"] = \"<bundle.json>\" }", what);
                lua_pop(L, 1);
            }
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    lua_getfield(L, 1, "after");
    lua_getfield(L, 1, "waves");
    int t_after = lua_type(L, -2), t_waves = lua_type(L, -1);
    lua_pop(L, 2);
    if ((t_after != LUA_TNIL && t_after != LUA_TSTRING && t_after != LUA_TTABLE) ||
        (t_waves != LUA_TNIL && t_waves != LUA_TSTRING && t_waves != LUA_TTABLE))
        return luaL_error(L, "%s: 'after' and 'waves' are a name or a list of names", what);

    /* every check passed: make it */
    ro_phase *p = realloc(r->phases, (size_t)(r->nphases + 1) * sizeof *p);
    if (!p) return luaL_error(L, "out of memory");
    r->phases = p;
    ro_phase *np = &r->phases[r->nphases];
    *np = ph;
    np->name = xstrdup(L, name);
    r->nphases++;   /* rollout_free owns the rest */
    np->where = where_of(L);
    if (uses) np->uses = xstrdup(L, uses);
    if (partner) np->partner = xstrdup(L, partner);
    if (procedure) np->procedure = xstrdup(L, procedure);
    if (slots) np->slots = xstrdup(L, slots);
    if (builds_on) np->builds_on = xstrdup(L, builds_on);
    if (catalogue_t == LUA_TTABLE) {
        lua_getfield(L, 1, "catalogue");
        np->cases = string_list(L, lua_gettop(L), "cases", &np->ncases, what);
        if (lua_getfield(L, -1, "evidence") == LUA_TTABLE) evidence_list(L, lua_gettop(L), np);
        lua_pop(L, 2);
    }
    np->waves = string_list(L, 1, "waves", &np->nwaves, what);
    int n;
    char **names = string_list(L, 1, "after", &n, what);
    if (!(np->after = refs_of(names, n))) {
        free_list(names, n);
        return luaL_error(L, "out of memory");
    }
    np->nafter = n;
    np->ref = keep_table(L);
    int old = place(r->phases, sizeof *r->phases, r->nphases - 1, replace);
    if (old >= 0) {
        luaL_unref(L, LUA_REGISTRYINDEX, r->phases[old].ref);
        rollout_free_phase(&r->phases[old]);
        r->nphases--;
    }
    ro_phase *fresh = &r->phases[replace >= 0 ? replace : r->nphases - 1];
    for (int i = 0; i < fresh->nafter; i++)
        if (strcmp(fresh->after[i].name, fresh->name) == 0)
            return luaL_error(L, "%s: cyclic dependency (it comes after itself)", what);
    return 0;
}

static int l_phase(lua_State *L) { return declare_phase(L, -1); }

/* revise(name, { field = value, ... }): declare again the phase, external event, capacity,
 * wave or milestone of that name with these fields changed, the others as declared: a
 * what-if on a plan another script declared. "kind:name" picks one when names collide. */
static int l_revise(lua_State *L)
{
    const char *spec = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    ro *r = ro_declare(L, "revise");
    static const char *const kinds[] = {"phase", "external", "capacity", "wave", "milestone"};
    const char *colon = strchr(spec, ':'), *name = colon ? colon + 1 : spec;
    int want = -1;
    if (colon) {
        for (int k = 0; k < 5; k++)
            if ((size_t)(colon - spec) == strlen(kinds[k]) && strncmp(spec, kinds[k], strlen(kinds[k])) == 0) want = k;
        if (want < 0) return luaL_error(L, "revise: '%s': the kind is phase, external, capacity, wave or milestone", spec);
    }
    int found_kind = -1, found = -1, matches = 0, ref = 0;
    for (int k = 0; k < 5; k++) {
        if (want >= 0 && k != want) continue;
        int n = k == 0 ? r->nphases : k == 1 ? r->nevents : k == 2 ? r->ncaps : k == 3 ? r->nwaves : r->nms;
        for (int i = 0; i < n; i++) {
            const char *nm = k == 0 ? r->phases[i].name : k == 1 ? r->events[i].name : k == 2 ? r->caps[i].name
                           : k == 3 ? r->waves[i].name : r->ms[i].name;
            int rf = k == 0 ? r->phases[i].ref : k == 1 ? r->events[i].ref : k == 2 ? r->caps[i].ref
                   : k == 3 ? r->waves[i].ref : r->ms[i].ref;
            if (strcmp(nm, name) != 0) continue;
            if (matches++ == 0) {
                found_kind = k;
                found = i;
                ref = rf;
            }
        }
    }
    if (matches == 0) return luaL_error(L, "revise: nothing is declared with the name '%s'", name);
    if (matches > 1) return luaL_error(L, "revise: '%s' names more than one thing; write e.g. 'wave:%s'", name, name);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "name") == 0 &&
            (lua_type(L, -1) != LUA_TSTRING || strcmp(lua_tostring(L, -1), name) != 0))
            return luaL_error(L, "revise: '%s' cannot be renamed", name);
        lua_pop(L, 1);
    }
    /* the declared fields, then the changes */
    lua_newtable(L);
    int merged = lua_gettop(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, merged);
    }
    lua_pop(L, 1);
    lua_getfield(L, 2, "slip");
    lua_getfield(L, 2, "actual");
    if (!lua_isnil(L, -2) || !lua_isnil(L, -1)) {   /* a what-if's slip replaces an actual, and back */
        lua_pushnil(L);
        lua_setfield(L, merged, "slip");
        lua_pushnil(L);
        lua_setfield(L, merged, "actual");
    }
    lua_pop(L, 2);
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, merged);
    }
    lua_replace(L, 1);
    lua_settop(L, 1);
    switch (found_kind) {
    case 0: return declare_phase(L, found);
    case 1: return declare_external(L, found);
    case 2: return declare_capacity(L, found);
    case 3: return declare_wave(L, found);
    default: return declare_milestone(L, found);
    }
}

/* ---- results --------------------------------------------------------------------------- */

static ro *prepared(lua_State *L)
{
    ro *r = ro_get(L);
    if (!r->prepared) luaL_error(L, "the schedule runs once the scripts have loaded: ask in a callback or an expectation");
    return r;
}

/* r.schedule is built once per state of the world: every expectation asks for it at the end
 * of the run, and for the national plan it is a few megabytes of tables. */
static void push_cached_result(lua_State *L, ro *r)
{
    uint64_t events = sim_world_stats_get(r->w)->events;
    if (r->result_ref && r->result_events == events) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, r->result_ref);
        return;
    }
    rollout_push_result(L, r);
    lua_pushvalue(L, -1);
    if (r->result_ref) luaL_unref(L, LUA_REGISTRYINDEX, r->result_ref);
    r->result_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    r->result_events = events;
}

/* assessment_lapse(code [, duration]): the body's protection assessment lapses now (for that
 * long; without one, until the run ends): the live NWS refuses its inquiries (no_assessment). */
static int l_assessment_lapse(lua_State *L)
{
    ro *r = prepared(L);
    const char *code = luaL_checkstring(L, 1);
    int64_t dur = lua_isnoneornil(L, 2) ? -1 : sim_lua_check_duration(L, 2);
    int rc = rollout_assessment_lapse(r, code, dur);
    if (rc == -ENOENT) return luaL_error(L, "assessment_lapse: '%s' is not a local government of the network", code);
    if (rc < 0) return luaL_error(L, "assessment_lapse: %s", strerror(-rc));
    return 0;
}

static int l_schedule_result(lua_State *L)
{
    push_cached_result(L, prepared(L));
    return 1;
}

/* schedule_lg(code) -> { code, wave, prefecture, live, phases = { [name] = { ... } } } or nil */
static int l_schedule_lg(lua_State *L)
{
    ro *r = prepared(L);
    const char *code = luaL_checkstring(L, 1);
    for (int m = 0; m < r->nmembers; m++)
        if (strcmp(r->members[m].code, code) == 0) return rollout_push_member(L, r, m);
    lua_pushnil(L);
    return 1;
}

static void push_results(lua_State *L, void *ud)
{
    ro *r = rollout_of_world(sim_lua_world(L));
    if (!r || !r->prepared) return;
    push_cached_result(L, r);
    lua_setfield(L, -2, "schedule");
}

int rollout_prepare(lua_State *L)
{
    ro *r = rollout_of_world(sim_lua_world(L));
    if (!r || !r->declared) return 0;
    return rollout_plan_prepare(L, r);
}

int rollout_open_lua(lua_State *L)
{
    luaL_newmetatable(L, RO_MT);
    lua_pushcfunction(L, ro_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    static const luaL_Reg calendar[] = {
        {"is_holiday", c_is_holiday},           {"holidays", c_holidays},
        {"is_business_day", c_is_business_day}, {"business_days", c_business_days},
        {"add_business_days", c_add_business_days}, {"next_business_day", c_next_business_day},
        {"fiscal_year", c_fiscal_year},         {"weekday", c_weekday},
        {"date", c_date},                       {"today", c_today},
        {"is_open", c_is_open},                 {"next_open", c_next_open},
        {"configure", c_configure},             {NULL, NULL}};
    luaL_newlib(L, calendar);
    lua_setglobal(L, "calendar");
    static const luaL_Reg dist[] = {{"fixed", d_fixed}, {"triangular", d_triangular},
                                    {"lognormal", d_lognormal}, {"uniform", d_uniform}, {NULL, NULL}};
    luaL_newlib(L, dist);
    lua_setglobal(L, "dist");
    static const luaL_Reg globals[] = {
        {"schedule", l_schedule},   {"wave", l_wave},           {"phase", l_phase},
        {"external", l_external},   {"capacity", l_capacity},   {"milestone", l_milestone},
        {"schedule_result", l_schedule_result}, {"schedule_lg", l_schedule_lg},
        {"revise", l_revise},       {"release", l_release},     {"connection_catalogue", l_connection_catalogue},
        {"assessment_lapse", l_assessment_lapse},
        {NULL, NULL}};
    lua_pushglobaltable(L);
    luaL_setfuncs(L, globals, 0);
    lua_pop(L, 1);
    return sim_lua_add_results(L, push_results, NULL) < 0 ? luaL_error(L, "too many result providers") : 0;
}
