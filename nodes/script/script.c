/* script/script.c - the domain's Lua API: table constructors for the NWS, J-LIS, platform sites,
 * local governments and agencies, the permission table, and the flows a script can start.
 * Documented in scripts/README.md. Every argument is checked (raising file:line errors)
 * before anything is created. */
#include "script/script.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "domain/domain.h"
#include "domain/checker.h"
#include "platform/platform.h"
#include "kinds/kinds.h"
#include "fault/fault.h"
#include "sim_lua.h"
#include "sim_net.h"


static void call_on_end(void *ud, const domain_flow_end *ev);

/* The world's domain, made on first use with what every script run has: the fault records
 * (so every acknowledged write is in the ledger from the first) and the listener that calls
 * the script's on_flow_end (added first: it may act, and acts before rollout and the
 * connection test hear of the same end). */
static const sim_world_ext_key script_key = {"domain scripts"};   /* marks it done */

static domain *dom(lua_State *L)
{
    sim_world *w = sim_lua_world(L);
    domain *d = domain_get(w);
    if (d && sim_world_ext(w, &script_key)) return d;
    if (!d || domain_listen(d, &(domain_flow_listener){.ended = call_on_end, .ud = L}) < 0 ||
        fault_attach(d) < 0 || sim_world_ext_attach(w, &script_key, L, NULL) < 0)
        luaL_error(L, "out of memory");
    return d;
}

static const char *field_string(lua_State *L, int idx, const char *key, const char *def)
{
    lua_getfield(L, idx, key);
    const char *s = lua_isnil(L, -1) ? def : lua_tostring(L, -1);
    if (!s && !lua_isnil(L, -1)) luaL_error(L, "'%s' must be a string", key);
    lua_pop(L, 1);   /* the string stays alive: it is referenced by the table */
    return s;
}

/* A link's parameters from the options table at `opts` (latency and jitter; an absent or
 * non-table one gives the default): up, 1 Gb/s, default_latency one way. */
static sim_link_params link_params(lua_State *L, int opts, const char *default_latency)
{
    sim_link_params p = {.up = true, .bandwidth = 1e9};
    sim_duration_parse(default_latency, &p.latency);
    if (opts && lua_istable(L, opts)) {
        if (lua_getfield(L, opts, "latency") != LUA_TNIL) p.latency = sim_lua_check_duration(L, -1);
        if (lua_getfield(L, opts, "jitter") != LUA_TNIL) p.jitter = sim_lua_check_duration(L, -1);
        lua_pop(L, 2);
    }
    return p;
}

static void check_new_name(lua_State *L, const char *what, const char *name)
{
    if (!name || !*name) luaL_error(L, "%s: 'name' (a string) is required", what);
    if (sim_world_find_node(sim_lua_world(L), name)) luaL_error(L, "%s %s: a node with that name exists", what, name);
}

static int l_nws(lua_State *L)
{
    static const char *const known[] = {"name", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "nws", known);
    const char *name = field_string(L, 1, "name", "nws");
    check_new_name(L, "nws", name);
    domain *d = dom(L);
    if (d->nws != UINT32_MAX) return luaL_error(L, "nws: there is already one");
    sim_node *n;
    int rc = node_nws_create(sim_lua_world(L), name, &n);
    if (rc < 0) return luaL_error(L, "nws: %s", strerror(-rc));
    sim_lua_push_node(L, n);
    return 1;
}

static int l_jlis(lua_State *L)
{
    static const char *const known[] = {"name", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "jlis", known);
    const char *name = field_string(L, 1, "name", "jlis");
    check_new_name(L, "jlis", name);
    if (dom(L)->jlis != UINT32_MAX) return luaL_error(L, "jlis: there is already one");
    sim_node *n;
    int rc = node_jlis_create(sim_lua_world(L), name, &n);
    if (rc < 0) return luaL_error(L, "jlis: %s", strerror(-rc));
    sim_lua_push_node(L, n);
    return 1;
}

/* site { name = "east", ifs_link = { latency = "1ms" }, ops_link = { latency = "3ms" } } --
 * also makes "east.ifs", and with the first site the platform's operations centre "ops"
 * (node_site_create_with_ifs) */
static int l_site(lua_State *L)
{
    static const char *const known[] = {"name", "region", "ifs_link", "ops_link", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "site", known);
    const char *name = field_string(L, 1, "name", NULL);
    check_new_name(L, "site", name);
    sim_world *w = sim_lua_world(L);
    lua_getfield(L, 1, "ifs_link");
    sim_link_params ifs_link = link_params(L, lua_gettop(L), "1ms");
    node_site_spec spec = {.name = name, .ifs_link = &ifs_link};
    char why[256];
    if (node_site_check(w, &spec, why, sizeof why) < 0) return luaL_error(L, "%s", why);
    lua_getfield(L, 1, "ops_link");
    sim_link_params ops_link = link_params(L, lua_gettop(L), "3ms");
    spec.ops_link = &ops_link;
    sim_node *site;
    if (node_site_create_with_ifs(w, &spec, &site, why, sizeof why) < 0) return luaL_error(L, "%s", why);
    sim_lua_push_node(L, site);
    return 1;
}

static sim_node *check_site(lua_State *L, int idx, const char *what)
{
    sim_node *n = sim_lua_check_node(L, idx);
    if (n->kind != &platform_site_kind) luaL_error(L, "%s: '%s' is not a site", what, n->name);
    return n;
}

/* The largest population lg{} takes: above Japan's (about 125 million), below 2^32. */
enum { LG_POPULATION_MAX = 200000000 };

/* lg { code = "131016", name = "千代田区", home = east, backup = west, population = 66680,
 *      link = { latency = "2ms" } } (node_body_create_lg) */
static int l_lg(lua_State *L)
{
    static const char *const known[] = {"code", "name", "home", "backup", "population", "link",
                                        "kind", "pref", "pref_name", "region", "site", "kana",
                                        "population_source", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "lg", known);
    const char *code = field_string(L, 1, "code", NULL);
    int digit = node_lg_check_digit(code);
    if (digit < 0) return luaL_error(L, "lg: 'code' must be a 6-digit local-government code");
    if (digit != code[5] - '0') return luaL_error(L, "lg %s: wrong check digit (expected %d)", code, digit);
    check_new_name(L, "lg", code);
    const char *name = field_string(L, 1, "name", code);
    lua_getfield(L, 1, "home");
    if (lua_isnil(L, -1)) return luaL_error(L, "lg %s: 'home' (a site) is required", code);
    sim_node *home = check_site(L, -1, code);
    lua_getfield(L, 1, "backup");
    sim_node *backup = lua_isnil(L, -1) ? home : check_site(L, -1, code);
    lua_getfield(L, 1, "population");
    lua_Integer pop = lua_isnil(L, -1) ? 0 : luaL_checkinteger(L, -1);
    /* residents{} keeps a body's residents in 32 bits: 2^32 would wrap to none. A bound well
     * above Japan's whole population refuses that before any arithmetic. */
    if (pop < 0 || pop > LG_POPULATION_MAX)
        return luaL_error(L, "lg %s: population must be from 0 to %d", code, LG_POPULATION_MAX);
    lua_getfield(L, 1, "link");
    int opts = lua_gettop(L);

    dom(L);
    sim_world *w = sim_lua_world(L);
    node_lg_spec spec = {.code = code, .name = name, .home = home, .backup = backup, .population = (uint64_t)pop};
    char why[256];
    if (node_body_check_lg(w, &spec, why, sizeof why) < 0) return luaL_error(L, "%s", why);
    sim_link_params link = link_params(L, opts, "2ms");
    spec.link = &link;
    sim_node *n;
    if (node_body_create_lg(w, &spec, &n, why, sizeof why) < 0) return luaL_error(L, "%s", why);
    sim_lua_push_node(L, n);
    return 1;
}

/* agency { name = "pension", link = { latency = "1ms" } } -- also makes "pension.ifs"
 * (node_body_create_agency) */
static int l_agency(lua_State *L)
{
    static const char *const known[] = {"name", "name_ja", "link", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "agency", known);
    const char *name = field_string(L, 1, "name", NULL);
    check_new_name(L, "agency", name);
    dom(L);
    sim_world *w = sim_lua_world(L);
    node_agency_spec spec = {.name = name};
    char why[256];
    if (node_body_check_agency(w, &spec, why, sizeof why) < 0) return luaL_error(L, "%s", why);
    lua_getfield(L, 1, "link");
    int opts = lua_gettop(L);
    spec.name_ja = field_string(L, 1, "name_ja", name);
    sim_link_params link = link_params(L, opts, "1ms");
    spec.link = &link;
    sim_node *n;
    if (node_body_create_agency(w, &spec, &n, why, sizeof why) < 0) return luaL_error(L, "%s", why);
    sim_lua_push_node(L, n);
    return 1;
}

/* The agency's index (added on first sight), or -1 for "lg" (local governments); raises
 * when the table names more agencies than the domain holds, or a name it cannot hold. */
static int agency_index(lua_State *L, domain *d, const char *name)
{
    if (strcmp(name, "lg") == 0) return -1;
    for (int i = 0; i < d->nagencies; i++)
        if (strcmp(d->agencies[i], name) == 0) return i;
    int max = (int)(sizeof d->agencies / sizeof d->agencies[0]);
    if (strlen(name) >= sizeof d->agencies[0])
        luaL_error(L, "permissions: agency '%s': the name is too long (at most %d bytes)", name,
                   (int)sizeof d->agencies[0] - 1);
    if (d->nagencies == max)
        luaL_error(L, "permissions: more than %d agencies (the %dth would be '%s')", max, max + 1, name);
    snprintf(d->agencies[d->nagencies], sizeof d->agencies[0], "%s", name);
    return d->nagencies++;
}

static void copy_field(lua_State *L, int idx, const char *key, char *out, size_t n, bool required)
{
    const char *s = field_string(L, idx, key, NULL);
    if (!s && required) luaL_error(L, "permissions: an entry lacks '%s'", key);
    snprintf(out, n, "%s", s ? s : "");
    /* a name too long is cut at a character, never inside one (UTF-8 continuation bytes) */
    size_t len = strlen(out);
    if (s && len < strlen(s))
        while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80) out[--len] = '\0';
}

/* permissions(data("data/permissions.lua")) */
static int l_permissions(lua_State *L)
{
    domain *d = dom(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    if (lua_getfield(L, 1, "items") != LUA_TTABLE) return luaL_error(L, "permissions: 'items' (a list) is required");
    int items = lua_gettop(L);
    if (lua_getfield(L, 1, "procedures") != LUA_TTABLE) return luaL_error(L, "permissions: 'procedures' (a list) is required");
    int procs = lua_gettop(L);
    lua_Integer ni = (lua_Integer)lua_rawlen(L, items), np = (lua_Integer)lua_rawlen(L, procs);
    if (ni > MAX_ITEMS || np > MAX_PROCEDURES) return luaL_error(L, "permissions: too many items or procedures");
    d->nitems = d->nprocs = 0;
    for (lua_Integer i = 1; i <= ni; i++) {
        lua_rawgeti(L, items, i);
        item_def *it = &d->items[d->nitems];
        copy_field(L, -1, "code", it->code, sizeof it->code, true);
        copy_field(L, -1, "name_ja", it->name_ja, sizeof it->name_ja, false);
        copy_field(L, -1, "name_en", it->name_en, sizeof it->name_en, false);
        it->holder_agency = agency_index(L, d, field_string(L, -1, "holder", "lg"));
        if (domain_item(d, it->code) >= 0) return luaL_error(L, "permissions: item %s twice", it->code);
        d->nitems++;
        lua_pop(L, 1);
    }
    for (lua_Integer i = 1; i <= np; i++) {
        lua_rawgeti(L, procs, i);
        permission *p = &d->procs[d->nprocs];
        copy_field(L, -1, "id", p->id, sizeof p->id, true);
        copy_field(L, -1, "name_ja", p->name_ja, sizeof p->name_ja, false);
        copy_field(L, -1, "name_en", p->name_en, sizeof p->name_en, false);
        p->inquirer_agency = agency_index(L, d, field_string(L, -1, "inquirer", "lg"));
        p->provider_agency = agency_index(L, d, field_string(L, -1, "provider", "lg"));
        const char *lg_kind = field_string(L, -1, "inquirer_lg_kind", "municipality");
        if (strcmp(lg_kind, "municipality") != 0 && strcmp(lg_kind, "prefecture") != 0)
            return luaL_error(L, "permissions: procedure %s: inquirer_lg_kind must be \"municipality\" or \"prefecture\"", p->id);
        p->inquirer_prefecture = p->inquirer_agency < 0 && strcmp(lg_kind, "prefecture") == 0;
        const char *item = field_string(L, -1, "item", "");
        int it = domain_item(d, item);
        if (it < 0) return luaL_error(L, "permissions: procedure %s names an unknown item '%s'", p->id, item);
        if (domain_procedure(d, p->id) >= 0) return luaL_error(L, "permissions: procedure %s twice", p->id);
        p->item = (uint16_t)it;
        lua_getfield(L, -1, "weight");
        p->weight = lua_isnil(L, -1) ? 1 : luaL_checknumber(L, -1);
        if (!(p->weight > 0)) return luaL_error(L, "permissions: procedure %s: weight must be positive", p->id);
        lua_pop(L, 2);
        d->nprocs++;
    }
    lua_pushinteger(L, d->nprocs);
    return 1;
}

/* flow_settings { timeout = "60s", key_rotation = "1d", retention = "2555d" } */
static int l_flow_settings(lua_State *L)
{
    static const char *const known[] = {"timeout", "key_rotation", "retention", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "flow_settings", known);
    domain *d = dom(L);
    if (lua_getfield(L, 1, "timeout") != LUA_TNIL) d->timeout = sim_lua_check_duration(L, -1);
    if (lua_getfield(L, 1, "key_rotation") != LUA_TNIL) d->key_rotation = sim_lua_check_duration(L, -1);
    if (lua_getfield(L, 1, "retention") != LUA_TNIL) d->retention = sim_lua_check_duration(L, -1);
    if (d->timeout <= 0 || d->key_rotation <= 0 || d->retention <= 0)
        return luaL_error(L, "flow_settings: durations must be positive");
    return 0;
}

/* operating_hours { open = "08:30", close = "17:15", weekends = false, holidays = false,
 *                   year_end = false }: when the network takes inquiries; the flags say
 * whether it is open on weekends, national holidays and 12/29-1/3. Not called: always open. */
static int l_operating_hours(lua_State *L)
{
    static const char *const known[] = {"open", "close", "weekends", "holidays", "year_end", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "operating_hours", known);
    domain *d = dom(L);
    sim_calendar c;
    sim_calendar_init(&c);
    const char *open = field_string(L, 1, "open", "08:30"), *close = field_string(L, 1, "close", "17:15");
    if (sim_time_parse_clock(open, &c.open) < 0 || sim_time_parse_clock(close, &c.close) < 0 || c.close <= c.open)
        return luaL_error(L, "operating_hours: open and close must be times of day 'HH:MM', open first");
    static const char *const flags[] = {"weekends", "holidays", "year_end"};
    bool open_on[3] = {false, false, false};
    for (int i = 0; i < 3; i++) {
        if (lua_getfield(L, 1, flags[i]) != LUA_TNIL) {
            if (!lua_isboolean(L, -1)) return luaL_error(L, "operating_hours: %s must be true (open) or false", flags[i]);
            open_on[i] = lua_toboolean(L, -1);
        }
        lua_pop(L, 1);
    }
    c.closed_weekdays = open_on[0] ? 0 : (uint8_t)(1u << 0 | 1u << 6);
    c.holidays_closed = !open_on[1];
    c.year_end_closed = !open_on[2];
    if (d->hours)   /* operating_hours{} again: the last one wins */
        sim_calendar_free(d->hours);
    else if (!(d->hours = malloc(sizeof *d->hours)))
        return luaL_error(L, "out of memory");
    *d->hours = c;
    return 0;
}

/* maintenance { from = "2017-11-18 22:00", duration = "6h", announced = "2017-11-10 10:00",
 *               notice = "1d" }: a planned stop of the network. The bodies' intermediate
 * servers answer inquiries and code acquisitions in it at once with planned_maintenance;
 * a stop announced at least `notice` before it starts (announced defaults to long before:
 * the run's start minus notice) is known to the desks, whose workload sends nothing in it. */
static int l_maintenance(lua_State *L)
{
    static const char *const known[] = {"from", "duration", "announced", "notice", NULL};
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "maintenance", known);
    domain *d = dom(L);
    if (lua_getfield(L, 1, "from") == LUA_TNIL || lua_getfield(L, 1, "duration") == LUA_TNIL)
        return luaL_error(L, "maintenance: needs from (a time) and duration");
    sim_time_t from = sim_lua_check_time(L, -2);
    int64_t duration = sim_lua_check_duration(L, -1);
    int64_t notice = SIM_DAY;
    if (lua_getfield(L, 1, "notice") != LUA_TNIL) notice = sim_lua_check_duration(L, -1);
    sim_time_t until, announced;
    if (duration <= 0 || notice < 0 || sim_time_add(from, duration, &until) < 0)
        return luaL_error(L, "maintenance: duration must be positive and notice not negative, within supported times");
    if (lua_getfield(L, 1, "announced") != LUA_TNIL) announced = sim_lua_check_time(L, -1);
    else if (sim_time_add(sim_world_start(sim_lua_world(L)) < from ? sim_world_start(sim_lua_world(L)) : from,
                          -notice, &announced) < 0)
        announced = INT64_MIN / 4;   /* long before anything: known */
    int rc = domain_add_stop(d, from, until, announced, notice);
    if (rc == -EINVAL) return luaL_error(L, "maintenance: announced after the stop starts");
    if (rc == -EEXIST) return luaL_error(L, "maintenance: overlaps another planned stop");
    if (rc < 0) return luaL_error(L, "out of memory");
    return 0;
}

static body *check_body(lua_State *L, int idx)
{
    sim_node *n = sim_lua_check_node(L, idx);
    body *b = domain_body(dom(L), n->id);
    if (!b) luaL_error(L, "'%s' is not a local government or an agency", n->name);
    return b;
}

static uint64_t check_addressee(lua_State *L, int idx, body *b)
{
    lua_Integer a = luaL_checkinteger(L, idx);
    if (a < 1 || (uint64_t)a > (uint64_t)b->nresidents + b->nextra)
        luaL_error(L, "%s has no addressee number %I (it has %d)", b->code, a, (int)(b->nresidents + b->nextra));
    return (uint64_t)a;
}

static int push_flow(lua_State *L, uint64_t flow)
{
    if (!flow) return luaL_error(L, "could not start the flow (out of memory)");
    lua_pushinteger(L, (lua_Integer)flow);
    return 1;
}

/* acquire_code(lg, addressee_no) -> flow id */
static int l_acquire_code(lua_State *L)
{
    body *b = check_body(L, 1);
    if (b->kind != BODY_LG)
        return luaL_error(L, "acquire_code: '%s' is an agency: agencies' codes are set up with them, "
                             "only local governments acquire codes through J-LIS", b->code);
    uint64_t a = check_addressee(L, 2, b);
    return push_flow(L, node_body_acquire_code(sim_world_node(sim_lua_world(L), b->node), a));
}

/* register_replica(lg, { addressee = n, item = "TM…", record_id = "R1", payload = {...} or "…",
 *                       from = time, to = time, schema = 1 }) -> flow id */
/* The options of a replica given to register_replica and seed_replica, checked (raising
 * "<fn>: ..." errors); the payload stays on the Lua stack until the caller returns. */
typedef struct replica_args {
    uint64_t addressee;
    int item;
    const char *record_id, *payload;
    sim_time_t from, to;
} replica_args;

static void check_replica_args(lua_State *L, domain *d, body *b, const char *fn, replica_args *r)
{
    static const char *const known[] = {"addressee", "item", "record_id", "payload", "from", "to", "schema", NULL};
    luaL_checktype(L, 2, LUA_TTABLE);
    sim_lua_check_options(L, 2, fn, known);
    lua_getfield(L, 2, "addressee");
    r->addressee = check_addressee(L, -1, b);
    const char *item = field_string(L, 2, "item", "");
    r->item = domain_item(d, item);
    if (r->item < 0) luaL_error(L, "%s: unknown item '%s'", fn, item);
    r->record_id = field_string(L, 2, "record_id", NULL);
    if (!r->record_id || !*r->record_id || strlen(r->record_id) >= sizeof ((flow_msg *)0)->record_id)
        luaL_error(L, "%s: 'record_id' must be a string of 1 to 23 characters", fn);
    r->from = sim_world_now(sim_lua_world(L));
    r->to = INT64_MAX;
    if (lua_getfield(L, 2, "from") != LUA_TNIL) r->from = sim_lua_check_time(L, -1);
    if (lua_getfield(L, 2, "to") != LUA_TNIL) r->to = sim_lua_check_time(L, -1);
    if (r->to <= r->from) luaL_error(L, "%s: 'to' must be after 'from'", fn);
    lua_getfield(L, 2, "payload");
    if (lua_istable(L, -1)) {
        lua_getglobal(L, "json_encode");
        lua_pushvalue(L, -2);
        lua_call(L, 1, 1);
    }
    r->payload = lua_tostring(L, -1);
    if (!r->payload) luaL_error(L, "%s: 'payload' must be a string or a table", fn);
}

/* register_replica(lg, { addressee, item, record_id, payload, from, to }) -> flow id */
static int l_register_replica(lua_State *L)
{
    domain *d = dom(L);
    body *b = check_body(L, 1);
    replica_args r;
    check_replica_args(L, d, b, "register_replica", &r);
    return push_flow(L, node_body_register_replica(sim_world_node(sim_lua_world(L), b->node), r.addressee, r.item,
                                              r.record_id, r.from, r.to, r.payload));
}

/* seed_replica(lg, { the options of register_replica }): a replica of the state of the day
 * before, written straight into the body's intermediate server (both sites of a local
 * government, as mirroring had caught up), with no flow and nothing traced; so it is in
 * place before the first event, and before a connection test's listener opens. */
static int l_seed_replica(lua_State *L)
{
    domain *d = dom(L);
    body *b = check_body(L, 1);
    replica_args r;
    check_replica_args(L, d, b, "seed_replica", &r);
    if (sim_world_stats_get(d->w)->events > 0)
        return luaL_error(L, "seed_replica: the state of the day before is set before the run starts (during the run: register_replica)");
    uint32_t stores[2] = {b->server, b->kind == BODY_LG && b->backup != b->home ? b->backup : UINT32_MAX};
    for (int i = 0; i < 2 && stores[i] != UINT32_MAX; i++) {
        tenant_db *t = platform_node_db(d, stores[i]);
        int rc = t ? platform_tenant_seed_replica(d, t, b, r.addressee, r.item, r.record_id, r.from, r.to, r.payload) : -ENOENT;
        if (rc == -EEXIST) return luaL_error(L, "seed_replica: %s already holds a record '%s'", b->code, r.record_id);
        if (rc < 0) return luaL_error(L, "seed_replica: %s: %s", b->code, strerror(-rc));
    }
    return 0;
}

/* update_replica(lg, { record_id = "R1", payload = { field = value }, to = time }) -> flow id:
 * a partial update; the payload's fields replace or add to the stored record's. */
static int l_update_replica(lua_State *L)
{
    static const char *const known[] = {"record_id", "payload", "to", NULL};
    body *b = check_body(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    sim_lua_check_options(L, 2, "update_replica", known);
    const char *record = field_string(L, 2, "record_id", NULL);
    if (!record || !*record || strlen(record) >= sizeof ((flow_msg *)0)->record_id)
        return luaL_error(L, "update_replica: 'record_id' must be a string of 1 to 23 characters");
    sim_time_t to = 0;
    if (lua_getfield(L, 2, "to") != LUA_TNIL) to = sim_lua_check_time(L, -1);
    if (lua_getfield(L, 2, "payload") != LUA_TTABLE)
        return luaL_error(L, "update_replica: 'payload' must be a table of the fields to change");
    lua_getglobal(L, "json_encode");
    lua_pushvalue(L, -2);
    lua_call(L, 1, 1);
    return push_flow(L, node_body_update_replica(sim_world_node(sim_lua_world(L), b->node), record,
                                            lua_tostring(L, -1), to));
}

/* inquire { from = lg, addressee = n, procedure = "child_allowance", provider = lg or agency,
 *           staff = 17, withheld = false } -> flow id */
static int l_inquire(lua_State *L)
{
    static const char *const known[] = {"from", "addressee", "procedure", "provider", "staff", "withheld", NULL};
    domain *d = dom(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "inquire", known);
    if (lua_getfield(L, 1, "withheld") != LUA_TNIL && !lua_isboolean(L, -1))
        return luaL_error(L, "inquire: 'withheld' (不開示) must be true or false");
    bool withheld = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, 1, "from");
    body *b = check_body(L, -1);
    lua_getfield(L, 1, "addressee");
    uint64_t a = check_addressee(L, -1, b);
    const char *proc = field_string(L, 1, "procedure", "");
    int p = domain_procedure(d, proc);
    if (p < 0) return luaL_error(L, "inquire: unknown procedure '%s'", proc);
    lua_getfield(L, 1, "provider");
    body *prov = check_body(L, -1);
    lua_getfield(L, 1, "staff");
    int isint = 1;
    lua_Integer staff = lua_isnil(L, -1) ? 0 : lua_type(L, -1) == LUA_TNUMBER ? lua_tointegerx(L, -1, &isint) : -1;
    if (!isint || staff < 0 || staff > UINT32_MAX)
        return luaL_error(L, "inquire: 'staff' must be a staff number (an integer from 0 to %I), not %s",
                          (lua_Integer)UINT32_MAX, luaL_tolstring(L, -1, NULL));
    return push_flow(L, node_body_inquire_marked(sim_world_node(sim_lua_world(L), b->node), a, p, prov->node,
                                                (uint32_t)staff, withheld));
}

/* on_flow_end(function(ev) ... end): ev = { flow, body, kind, outcome, payload, serial_no, latency } */
static const char ON_END_KEY = 'e';

static void call_on_end(void *ud, const domain_flow_end *ev)
{
    lua_State *L = ud;
    body *b = ev->b;
    flow_kind kind = ev->kind;
    flow_error e = ev->error;
    const flow_msg *m = ev->m;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ON_END_KEY) != LUA_TFUNCTION) {
        lua_pop(L, 1);
        return;
    }
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, (lua_Integer)ev->flow);
    lua_setfield(L, -2, "flow");
    lua_pushstring(L, b->code);
    lua_setfield(L, -2, "body");
    lua_pushstring(L, domain_kind_name(kind));
    lua_setfield(L, -2, "kind");
    lua_pushstring(L, domain_error_name(e));
    lua_setfield(L, -2, "outcome");
    if (m && m->data_len && !m->sealed) {
        lua_pushlstring(L, (const char *)m->data, m->data_len);
        lua_setfield(L, -2, "payload");
    }
    if (m && m->serial_no) {
        lua_pushinteger(L, (lua_Integer)m->serial_no);
        lua_setfield(L, -2, "serial_no");
    }
    body *p = m && kind == FLOW_INQUIRY ? domain_body(domain_find(sim_lua_world(L)), m->provider) : NULL;
    if (p) {
        lua_pushstring(L, p->code);
        lua_setfield(L, -2, "provider");
    }
    lua_pushinteger(L, m ? sim_world_now(sim_lua_world(L)) - m->started : domain_find(sim_lua_world(L))->timeout);
    lua_setfield(L, -2, "latency");
    sim_lua_call(L, 1, 0);
}

static int l_on_flow_end(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ON_END_KEY);
    dom(L);   /* its listener calls the function */
    return 0;
}

/* resident(lg, addressee) -> { person, moved_from, moved_from_addressee, current }; at a
 * prefecture (whose register points at where each person lives): lives_in, lives_in_addressee */
static int l_resident(lua_State *L)
{
    body *b = check_body(L, 1);
    uint64_t a = check_addressee(L, 2, b);
    const resident *r = &b->residents[a - 1];
    bool pref = domain_is_prefecture(b);
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, r->person);
    lua_setfield(L, -2, "person");
    if (r->prev_body != UINT32_MAX) {
        sim_lua_push_node(L, sim_world_node(sim_lua_world(L), r->prev_body));
        lua_setfield(L, -2, pref ? "lives_in" : "moved_from");
        lua_pushinteger(L, r->prev_addressee);
        lua_setfield(L, -2, pref ? "lives_in_addressee" : "moved_from_addressee");
    }
    lua_pushboolean(L, r->current);
    lua_setfield(L, -2, "current");
    return 1;
}

/* r.flows[kind] = { started, ended, ok, <error> = n, p50_ms, p95_ms, p99_ms } and
 * r.invariants[name] = true/false, for expectations. */
static void push_results(lua_State *L, void *ud)
{
    domain *d = domain_find(sim_lua_world(L));
    if (!d) return;   /* no domain nodes in this run */
    lua_createtable(L, 0, FLOW_KINDS);
    for (int k = 0; k < FLOW_KINDS; k++) {
        lua_createtable(L, 0, FLOW_ERRORS + 5);
        lua_pushinteger(L, (lua_Integer)d->stats.started[k]);
        lua_setfield(L, -2, "started");
        lua_pushinteger(L, (lua_Integer)d->stats.ended[k]);
        lua_setfield(L, -2, "ended");
        for (int e = 0; e < FLOW_ERRORS; e++) {
            lua_pushinteger(L, (lua_Integer)d->stats.outcome[k][e]);
            lua_setfield(L, -2, domain_error_name((flow_error)e));
        }
        double p50, p95, p99;
        domain_latency(d, (flow_kind)k, &p50, &p95, &p99);
        lua_pushnumber(L, p50);
        lua_setfield(L, -2, "p50_ms");
        lua_pushnumber(L, p95);
        lua_setfield(L, -2, "p95_ms");
        lua_pushnumber(L, p99);
        lua_setfield(L, -2, "p99_ms");
        lua_setfield(L, -2, domain_kind_name((flow_kind)k));
    }
    lua_setfield(L, -2, "flows");
    lua_pushinteger(L, (lua_Integer)d->stats.late_answers);
    lua_setfield(L, -2, "late_answers");   /* answers after the flow ended (duplicates, timeouts) */
    lua_pushinteger(L, (lua_Integer)d->stats.unknown_acquisitions);
    lua_setfield(L, -2, "unknown_acquisitions");   /* code answers matching no acquisition number */
    invariant_result inv[DOMAIN_INVARIANTS];
    int n = domain_invariants(d, inv);
    lua_createtable(L, 0, n);
    for (int i = 0; i < n; i++) {
        lua_pushboolean(L, inv[i].held);
        lua_setfield(L, -2, inv[i].name);
    }
    lua_setfield(L, -2, "invariants");
}

int script_open_lua(lua_State *L)
{
    sim_lua_add_results(L, push_results, NULL);
    static const luaL_Reg globals[] = {
        {"nws", l_nws},          {"jlis", l_jlis},          {"operating_hours", l_operating_hours}, {"maintenance", l_maintenance},
        {"site", l_site},        {"lg", l_lg},
        {"agency", l_agency},    {"permissions", l_permissions},
        {"flow_settings", l_flow_settings},
        {"acquire_code", l_acquire_code}, {"register_replica", l_register_replica},
        {"seed_replica", l_seed_replica},
        {"update_replica", l_update_replica},
        {"inquire", l_inquire},  {"on_flow_end", l_on_flow_end},
        {"resident", l_resident},
        {NULL, NULL}};
    lua_pushglobaltable(L);
    luaL_setfuncs(L, globals, 0);
    lua_pop(L, 1);
    fault_open_lua(L);
    return node_population_open_lua(L);
}
