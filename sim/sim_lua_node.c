/* sim_lua_node.c - nodes seen from Lua: the "script" node kind whose behaviour is Lua
 * functions, node objects and their methods, and messages as Lua tables.
 *
 * A script node is the table given to node{...}: its on_* fields are its handlers and any
 * other field is the script's own state (self.count = self.count + 1). Message bodies cross
 * into C as cJSON trees; converting a Lua value never raises, so no tree is leaked. */
#include "sim_lua_internal.h"
#include "sim_json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char NODE_MT[] = "renkei.node";
static const char NODES_KEY = 'n';      /* registry: node id + 1 -> node object */


/* ---- node objects ---------------------------------------------------------------------- */

static void push_nodes_table(lua_State *L)
{
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &NODES_KEY) == LUA_TTABLE) return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &NODES_KEY);
}

void sim_lua_push_node(lua_State *L, sim_node *n)
{
    push_nodes_table(L);
    if (lua_rawgeti(L, -1, (lua_Integer)n->id + 1) != LUA_TTABLE) {
        /* A node made in C (a domain kind): give it a handle with the same methods. */
        lua_pop(L, 1);
        lua_createtable(L, 0, 2);
        lua_pushstring(L, n->name);
        lua_setfield(L, -2, "name");
        lua_pushinteger(L, n->id);
        lua_setfield(L, -2, "id");
        luaL_setmetatable(L, NODE_MT);
        lua_pushvalue(L, -1);
        lua_rawseti(L, -3, (lua_Integer)n->id + 1);
    }
    lua_remove(L, -2);
}

sim_node *sim_lua_check_node(lua_State *L, int idx)
{
    sim_world *w = sim_lua_from(L)->w;
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *name = lua_tostring(L, idx);
        sim_node *n = sim_world_find_node(w, name);
        if (!n) luaL_error(L, "unknown node '%s'", name);
        return n;
    }
    if (lua_istable(L, idx)) {
        lua_getfield(L, idx, "id");
        lua_getfield(L, idx, "name");
        sim_node *n = lua_isinteger(L, -2) ? sim_world_node(w, (uint32_t)lua_tointeger(L, -2)) : NULL;
        const char *name = lua_tostring(L, -1);
        if (n && name && strcmp(n->name, name) == 0) {
            lua_pop(L, 2);
            return n;
        }
        luaL_error(L, "unknown node '%s'", name ? name : "?");
    }
    luaL_error(L, "expected a node or a node name, got %s", luaL_typename(L, idx));
    return NULL;
}

/* ---- messages: Lua <-> cJSON ----------------------------------------------------------- */

enum { BODY_MAX_DEPTH = 32, SCRIPT_MSG_TYPES_MAX = 1024 };

/* What a conversion has built so far, to refuse a cycle (a table inside itself) and a tree
 * bigger than the script may still allocate: shared subtables are copied each time they
 * appear, so a small table can stand for a huge tree. The tree is C memory the memory cap
 * cannot see, so it is counted against what is left under the cap. */
typedef struct body_ctx {
    const void *path[BODY_MAX_DEPTH];   /* the tables being converted, outermost first */
    size_t bytes, limit;
    uint64_t values;
} body_ctx;

static void body_ctx_init(lua_State *L, body_ctx *c)
{
    sim_lua *sl = sim_lua_from(L);
    c->bytes = 0;
    c->values = 0;
    c->limit = sl->mem_cap > sl->mem ? sl->mem_cap - sl->mem : 0;
}

/* Charges the budget (sim_lua_charge) under lua_pcall, so the caller can free first. */
static int charge_protected(lua_State *L)
{
    sim_lua_charge(L, (uint64_t)lua_tointeger(L, 1));
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Convert the value at idx; never raises. Returns 0, or -1 with *err set; either way *out is
 * what was built (NULL or a tree for the caller to free): every item made is in it. */
static int to_json(lua_State *L, int idx, int depth, body_ctx *c, cJSON **out, const char **err)
{
    idx = lua_absindex(L, idx);
    size_t len_str = 0;
    if (lua_type(L, idx) == LUA_TSTRING) lua_tolstring(L, idx, &len_str);
    c->values++;
    c->bytes += sizeof(cJSON) + len_str + 1;
    if (c->bytes > c->limit) {
        *err = "message body: bigger than the memory cap leaves room for";
        return -1;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL: *out = cJSON_CreateNull(); break;
    case LUA_TBOOLEAN: *out = cJSON_CreateBool(lua_toboolean(L, idx)); break;
    case LUA_TNUMBER: {
        double v = lua_tonumber(L, idx);
        if (!isfinite(v)) {
            *err = "message body: numbers must be finite";
            return -1;
        }
        *out = cJSON_CreateNumber(v);
        break;
    }
    case LUA_TSTRING: *out = cJSON_CreateString(lua_tostring(L, idx)); break;
    case LUA_TTABLE: {
        const void *self = lua_topointer(L, idx);
        for (int i = 0; i < depth; i++)
            if (c->path[i] == self) {
                *err = "message body: a table contains itself (a cycle)";
                return -1;
            }
        if (depth >= BODY_MAX_DEPTH || !lua_checkstack(L, 3)) {
            *err = "message body: nested too deeply";
            return -1;
        }
        c->path[depth] = self;
        lua_Unsigned len = lua_rawlen(L, idx);
        size_t keys = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            keys++;
            lua_pop(L, 1);
        }
        c->values += keys;   /* the counting pass is work too */
        bool array = len > 0 && keys == len;
        cJSON *node = array ? cJSON_CreateArray() : cJSON_CreateObject();
        if (!node) break;
        *out = node;
        if (array) {
            for (lua_Unsigned i = 1; i <= len; i++) {
                lua_rawgeti(L, idx, (lua_Integer)i);
                cJSON *item = NULL;
                int rc = to_json(L, -1, depth + 1, c, &item, err);
                lua_pop(L, 1);
                if (item) cJSON_AddItemToArray(node, item);   /* freed with the tree, even on failure */
                if (rc < 0) return -1;
            }
            return 0;
        }
        /* Keys in byte order: the trace must not depend on Lua's per-process hash seed. */
        const char **names = malloc((keys ? keys : 1) * sizeof *names);
        if (!names) {
            *err = "message body: out of memory";
            return -1;
        }
        size_t count = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) != LUA_TSTRING) {
                lua_pop(L, 1);
                free(names);
                *err = "message body: table keys must be strings (or a list 1..n)";
                return -1;
            }
            names[count++] = lua_tostring(L, -1);   /* anchored by the table itself */
        }
        qsort(names, count, sizeof *names, compare_names);
        for (size_t k = 0; k < count; k++) {
            c->bytes += strlen(names[k]) + 1;
            lua_pushstring(L, names[k]);
            lua_rawget(L, idx);
            cJSON *item = NULL;
            int rc = to_json(L, -1, depth + 1, c, &item, err);
            lua_pop(L, 1);
            if (item) cJSON_AddItemToObject(node, names[k], item);
            if (rc < 0) {
                free(names);
                return -1;
            }
        }
        free(names);
        return 0;
    }
    default:
        *err = "message body: only nil, booleans, numbers, strings and tables can be sent";
        return -1;
    }
    if (!*out) {
        *err = "message body: out of memory";
        return -1;
    }
    return 0;
}

static void push_json(lua_State *L, const cJSON *j)
{
    luaL_checkstack(L, 4, "message body too deep");
    if (cJSON_IsNull(j)) {
        lua_pushnil(L);
    } else if (cJSON_IsBool(j)) {
        lua_pushboolean(L, cJSON_IsTrue(j));
    } else if (cJSON_IsNumber(j)) {
        double v = j->valuedouble;
        if (v == floor(v) && fabs(v) < 9007199254740992.0)
            lua_pushinteger(L, (lua_Integer)v);
        else
            lua_pushnumber(L, v);
    } else if (cJSON_IsString(j)) {
        lua_pushstring(L, j->valuestring);
    } else if (cJSON_IsArray(j)) {
        lua_createtable(L, cJSON_GetArraySize(j), 0);
        lua_Integer i = 1;
        for (const cJSON *c = j->child; c; c = c->next) {
            push_json(L, c);
            lua_rawseti(L, -2, i++);
        }
    } else {
        lua_newtable(L);
        for (const cJSON *c = j->child; c; c = c->next) {
            push_json(L, c);
            lua_setfield(L, -2, c->string);
        }
    }
}

static void body_free(void *p) { cJSON_Delete(p); }
static cJSON *body_json(const void *p) { return cJSON_Duplicate(p, 1); }

typedef struct lua_msg_type {
    sim_msg_type t;
    char name[64];
} lua_msg_type;

/* Message type for a Lua type name, registered on first use (types outlive the world's
 * messages because sim_lua is destroyed after the world). Names already used are found in a
 * table of the registry; a run's scripts use at most SCRIPT_MSG_TYPES_MAX names, so the
 * world's list of types (searched one by one) stays short. */
static const char MSG_TYPES_KEY = 't';   /* registry: name -> type, for the script's types */

static int msg_type_for(lua_State *L, const char *name)
{
    sim_lua *sl = sim_lua_from(L);
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &MSG_TYPES_KEY) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &MSG_TYPES_KEY);
    }
    int known = lua_gettop(L);
    if (lua_getfield(L, known, name) == LUA_TNUMBER && lua_tointeger(L, -1) >= 0) {
        int type = (int)lua_tointeger(L, -1);
        lua_pop(L, 2);
        return type;
    }
    lua_pop(L, 1);
    int type = sim_msg_type_find(sl->w, name);
    if (type >= 0 && sim_msg_type_get(sl->w, (uint16_t)type)->free != body_free)
        luaL_error(L, "send: message type '%s' belongs to a node kind written in C; choose another name", name);
    if (type >= 0) {   /* another Lua state's, in this world */
        lua_pop(L, 1);
        return type;
    }
    if (strlen(name) >= sizeof((lua_msg_type *)0)->name)
        luaL_error(L, "send: message type '%s' is too long", name);
    lua_Integer used = (lua_Integer)lua_rawlen(L, known);   /* the names so far, as a list too */
    if (used >= SCRIPT_MSG_TYPES_MAX)
        luaL_error(L, "send: more than %d message types in one run", SCRIPT_MSG_TYPES_MAX);
    /* Kept as full userdata in the registry: freed with the Lua state, after the world. */
    lua_msg_type *mt = lua_newuserdatauv(L, sizeof *mt, 0);
    memset(mt, 0, sizeof *mt);
    strcpy(mt->name, name);
    mt->t = (sim_msg_type){.name = mt->name, .free = body_free, .to_json = body_json};
    /* Everything that may raise (allocate) comes before the registration. */
    luaL_ref(L, LUA_REGISTRYINDEX);   /* anchors mt */
    lua_pushstring(L, name);
    lua_rawseti(L, known, used + 1);
    lua_pushinteger(L, -1);
    lua_setfield(L, known, name);     /* the slot exists: setting it again cannot raise */
    type = sim_msg_type_register(sl->w, &mt->t);
    if (type < 0) luaL_error(L, "send: too many message types");
    lua_pushinteger(L, type);
    lua_setfield(L, known, name);
    lua_pop(L, 1);
    return type;
}

/* self:send(to, type, body [, {size = bytes}]) */
static int node_send(lua_State *L)
{
    sim_lua *sl = sim_lua_from(L);
    sim_node *self = sim_lua_check_node(L, 1);
    sim_node *to = sim_lua_check_node(L, 2);
    const char *type_name = luaL_checkstring(L, 3);
    lua_Integer size = 512;
    if (!lua_isnoneornil(L, 5)) {
        luaL_checktype(L, 5, LUA_TTABLE);
        if (lua_getfield(L, 5, "size") != LUA_TNIL) size = luaL_checkinteger(L, -1);
        lua_pop(L, 1);
        if (size < 0 || size > UINT32_MAX) return luaL_error(L, "send: bad size %I", size);
    }
    int type = msg_type_for(L, type_name);
    cJSON *body = NULL;
    const char *err = NULL;
    body_ctx c;
    body_ctx_init(L, &c);
    if (!lua_isnoneornil(L, 4) && to_json(L, 4, 0, &c, &body, &err) < 0) {
        cJSON_Delete(body);
        return luaL_error(L, "%s", err);
    }
    lua_pushcfunction(L, charge_protected);   /* the conversion's work, against the budget */
    lua_pushinteger(L, (lua_Integer)c.values);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        cJSON_Delete(body);
        return lua_error(L);
    }
    /* From here on nothing raises until the message is handed over. */
    sim_msg *m = sim_msg_new(sl->w, (uint16_t)type, body, (uint32_t)size);
    int rc = m ? sim_node_send(self, to->id, m) : -ENOMEM;
    if (rc == -ENOMEM) return luaL_error(L, "send: out of memory");
    lua_pushboolean(L, rc == 0);
    return 1;
}

static int node_after(lua_State *L)
{
    sim_node *self = sim_lua_check_node(L, 1);
    int64_t d = sim_lua_check_duration(L, 2);
    return sim_lua_new_timer(L, 3, sim_lua_time_add(L, sim_world_now(self->world), d, "after"), 0, 1, self->id);
}

static int node_every(lua_State *L)
{
    sim_node *self = sim_lua_check_node(L, 1);
    lua_remove(L, 1);
    return sim_lua_every(L, self->id);
}

static int node_crash(lua_State *L)
{
    sim_node *n = sim_lua_check_node(L, 1);
    lua_pushboolean(L, sim_node_crash(n, luaL_optstring(L, 2, "script")) == 0);
    return 1;
}

static int node_recover(lua_State *L)
{
    sim_node *n = sim_lua_check_node(L, 1);
    lua_pushboolean(L, sim_node_recover(n, luaL_optstring(L, 2, "script")) == 0);
    return 1;
}

static int node_is_up(lua_State *L)
{
    lua_pushboolean(L, sim_lua_check_node(L, 1)->up);
    return 1;
}

static int node_log(lua_State *L)
{
    sim_node *n = sim_lua_check_node(L, 1);
    luaL_Buffer b;
    sim_lua_join_args(L, 2, &b);
    luaL_pushresult(&b);
    sim_lua_log(sim_lua_from(L), n, lua_tostring(L, -1));
    return 0;
}

void sim_lua_push_node_stats(lua_State *L, const sim_node *n)
{
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, (lua_Integer)n->sent);
    lua_setfield(L, -2, "sent");
    lua_pushinteger(L, (lua_Integer)n->received);
    lua_setfield(L, -2, "received");
    lua_pushinteger(L, (lua_Integer)n->dropped);
    lua_setfield(L, -2, "dropped");
    lua_pushboolean(L, n->up);
    lua_setfield(L, -2, "up");
}

static int node_stats(lua_State *L)
{
    sim_lua_push_node_stats(L, sim_lua_check_node(L, 1));
    return 1;
}

/* Draws from the node's own stream (see sim_rng.h for the distributions). */
static int node_random(lua_State *L)
{
    sim_node *n = sim_lua_check_node(L, 1);
    if (lua_isnoneornil(L, 2)) {
        lua_pushnumber(L, sim_rng_uniform(&n->rng));
        return 1;
    }
    lua_Integer lo = 1, hi = luaL_checkinteger(L, 2);
    if (!lua_isnoneornil(L, 3)) {
        lo = hi;
        hi = luaL_checkinteger(L, 3);
    }
    luaL_argcheck(L, lo <= hi && hi - lo < UINT32_MAX, 2, "interval is empty or too wide");
    lua_pushinteger(L, lo + sim_rng_below(&n->rng, (uint32_t)(hi - lo + 1)));
    return 1;
}

static int node_exponential(lua_State *L)
{
    sim_node *n = sim_lua_check_node(L, 1);
    lua_pushnumber(L, sim_rng_exponential(&n->rng, luaL_checknumber(L, 2)));
    return 1;
}

static int node_normal(lua_State *L)
{
    sim_node *n = sim_lua_check_node(L, 1);
    lua_pushnumber(L, sim_rng_normal(&n->rng, luaL_checknumber(L, 2), luaL_checknumber(L, 3)));
    return 1;
}

static int node_lognormal(lua_State *L)
{
    sim_node *n = sim_lua_check_node(L, 1);
    lua_pushnumber(L, sim_rng_lognormal(&n->rng, luaL_checknumber(L, 2), luaL_checknumber(L, 3)));
    return 1;
}

static int node_triangular(lua_State *L)
{
    sim_node *n = sim_lua_check_node(L, 1);
    double lo = luaL_checknumber(L, 2), mode = luaL_checknumber(L, 3), hi = luaL_checknumber(L, 4);
    luaL_argcheck(L, lo <= mode && mode <= hi, 3, "need lo <= mode <= hi");
    lua_pushnumber(L, sim_rng_triangular(&n->rng, lo, mode, hi));
    return 1;
}

/* self:choose({w1, w2, ...}) -> an index with probability proportional to its weight. */
static int node_choose(lua_State *L)
{
    sim_node *n = sim_lua_check_node(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Unsigned count = lua_rawlen(L, 2);
    if (count == 0 || count > (1u << 20)) return luaL_error(L, "choose: expected a list of weights");
    double *w = lua_newuserdatauv(L, count * sizeof *w, 0);   /* Lua-owned: safe to raise */
    for (lua_Unsigned i = 0; i < count; i++) {
        lua_rawgeti(L, 2, (lua_Integer)i + 1);
        w[i] = luaL_checknumber(L, -1);
        lua_pop(L, 1);
    }
    size_t pick = sim_rng_weighted(&n->rng, w, count);
    if (pick == count) return luaL_error(L, "choose: no weight is positive");
    lua_pushinteger(L, (lua_Integer)pick + 1);
    return 1;
}

/* ---- the "script" node kind ------------------------------------------------------------ */

/* Push node n's handler `name`; false when it has none (nothing pushed). */
static bool push_handler(lua_State *L, sim_node *n, const char *name)
{
    sim_lua_push_node(L, n);
    if (lua_getfield(L, -1, name) != LUA_TFUNCTION) {
        lua_pop(L, 2);
        return false;
    }
    lua_insert(L, -2);   /* handler, self */
    return true;
}

static void call_handler(sim_node *n, const char *name)
{
    sim_lua *sl = sim_world_ext(n->world, &sim_lua_ext_key);
    if (push_handler(sl->L, n, name)) sim_lua_pcall(sl, 1, 0);
}

static void script_start(sim_node *n) { call_handler(n, "on_start"); }
static void script_crash(sim_node *n) { call_handler(n, "on_crash"); }
static void script_recover(sim_node *n) { call_handler(n, "on_recover"); }

static void script_timer(sim_node *n, uint64_t tag, void *arg)
{
    sim_lua_timer_fire(sim_world_ext(n->world, &sim_lua_ext_key), arg);
}

/* Build the message table; run protected so a memory error cannot leak the message. */
static int push_message(lua_State *L)
{
    sim_msg *m = lua_touserdata(L, 1);
    sim_world *w = sim_lua_from(L)->w;
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, (lua_Integer)m->id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, sim_msg_type_get(w, m->type)->name);
    lua_setfield(L, -2, "type");
    lua_pushstring(L, sim_world_node(w, m->src)->name);
    lua_setfield(L, -2, "from");
    lua_pushstring(L, sim_world_node(w, m->dst)->name);
    lua_setfield(L, -2, "to");
    lua_pushinteger(L, m->sent_at);
    lua_setfield(L, -2, "sent_at");
    lua_pushinteger(L, m->size);
    lua_setfield(L, -2, "size");
    const sim_msg_type *t = sim_msg_type_get(w, m->type);
    if (m->payload && t->free == body_free) {
        push_json(L, m->payload);
        lua_setfield(L, -2, "body");
    }
    return 1;
}

static void script_receive(sim_node *n, sim_msg *m)
{
    sim_lua *sl = sim_world_ext(n->world, &sim_lua_ext_key);
    lua_State *L = sl->L;
    if (!push_handler(L, n, "on_message")) {
        sim_msg_free(n->world, m);
        return;
    }
    lua_pushcfunction(L, push_message);
    lua_pushlightuserdata(L, m);
    int rc = sim_lua_pcall(sl, 1, 1);
    sim_msg_free(n->world, m);
    if (rc < 0) {
        lua_pop(L, 2);
        return;
    }
    sim_lua_pcall(sl, 2, 0);
}

static const sim_node_kind script_kind = {
    .name = "script",
    .start = script_start,
    .receive = script_receive,
    .timer = script_timer,
    .crash = script_crash,
    .recover = script_recover,
};

int sim_lua_register_script_kind(sim_world *w) { return sim_world_register_kind(w, &script_kind); }

/* node { name = "a", on_start = f, on_message = f, on_crash = f, on_recover = f, ... } */
static int l_node(lua_State *L)
{
    static const char *const handlers[] = {"on_start", "on_message", "on_crash", "on_recover", NULL};
    sim_lua *sl = sim_lua_from(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    if (lua_getfield(L, 1, "name") != LUA_TSTRING) return luaL_error(L, "node: 'name' (a string) is required");
    const char *name = lua_tostring(L, -1);
    if (!*name) return luaL_error(L, "node: 'name' must not be empty");
    if (lua_getfield(L, 1, "kind") != LUA_TNIL) {
        const char *kind = lua_tostring(L, -1);
        if (!kind || strcmp(kind, "script") != 0)
            return luaL_error(L, "node %s: unknown kind '%s' (scripts make 'script' nodes)", name,
                              kind ? kind : luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "id") != LUA_TNIL) return luaL_error(L, "node %s: 'id' is set by renkei", name);
    lua_pop(L, 1);
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if (lua_type(L, -2) == LUA_TSTRING && strncmp(lua_tostring(L, -2), "on_", 3) == 0) {
            const char *key = lua_tostring(L, -2);
            const char *const *h = handlers;
            while (*h && strcmp(*h, key) != 0) h++;
            if (!*h) return luaL_error(L, "node %s: unknown handler '%s'", name, key);
            if (!lua_isfunction(L, -1)) return luaL_error(L, "node %s: '%s' must be a function", name, key);
        }
        lua_pop(L, 1);
    }
    if (sim_world_find_node(sl->w, name)) return luaL_error(L, "node %s: a node with that name exists", name);
    push_nodes_table(L);   /* may raise: before the node exists */
    sim_node *n;
    int rc = sim_world_add_node(sl->w, &script_kind, name, NULL, &n);
    if (rc < 0) return luaL_error(L, "node %s: %s", name, strerror(-rc));
    lua_pushinteger(L, n->id);
    lua_setfield(L, 1, "id");
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, (lua_Integer)n->id + 1);
    lua_settop(L, 1);
    luaL_setmetatable(L, NODE_MT);
    return 1;
}

static int push_text_protected(lua_State *L)
{
    lua_pushstring(L, lua_touserdata(L, 1));
    return 1;
}

/* json_encode(value) -> text, keys sorted; json_decode(text) -> value */
static int l_json_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    cJSON *j = NULL;
    const char *err = NULL;
    body_ctx c;
    body_ctx_init(L, &c);
    if (to_json(L, 1, 0, &c, &j, &err) < 0) {
        cJSON_Delete(j);
        return luaL_error(L, "json_encode: %s", err + strlen("message body: "));
    }
    char *text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!text) return luaL_error(L, "json_encode: out of memory");
    lua_pushcfunction(L, charge_protected);   /* the conversion and the text, against the budget */
    lua_pushinteger(L, (lua_Integer)(c.values + strlen(text) / 16));
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        cJSON_free(text);
        return lua_error(L);
    }
    lua_pushcfunction(L, push_text_protected);
    lua_pushlightuserdata(L, text);
    int rc = lua_pcall(L, 1, 1, 0);   /* pushing can fail for memory: free text either way */
    cJSON_free(text);
    if (rc != LUA_OK) return lua_error(L);
    return 1;
}

static int push_json_protected(lua_State *L)
{
    push_json(L, lua_touserdata(L, 1));
    return 1;
}

static int l_json_decode(lua_State *L)
{
    size_t n;
    const char *text = luaL_checklstring(L, 1, &n);
    cJSON *j = NULL;
    char why[300];
    sim_lua_charge(L, n / 16 + 1);   /* parsing is work the count hook cannot see */
    if (sim_json_parse(text, n, &j, why, sizeof why) < 0) return luaL_error(L, "json_decode: %s", why);   /* strict */
    lua_pushcfunction(L, push_json_protected);
    lua_pushlightuserdata(L, j);
    int rc = lua_pcall(L, 1, 1, 0);
    cJSON_Delete(j);
    if (rc != LUA_OK) return lua_error(L);
    return 1;
}

static int l_nodes(lua_State *L)
{
    sim_world *w = sim_lua_from(L)->w;
    uint32_t count = sim_world_node_count(w);
    lua_createtable(L, (int)count, 0);
    for (uint32_t i = 0; i < count; i++) {
        sim_lua_push_node(L, sim_world_node(w, i));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static int node_tostring(lua_State *L)
{
    lua_getfield(L, 1, "name");
    lua_pushfstring(L, "node %s", lua_tostring(L, -1));
    return 1;
}

void sim_lua_open_nodes(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"send", node_send},         {"after", node_after},       {"every", node_every},
        {"crash", node_crash},       {"recover", node_recover},   {"is_up", node_is_up},
        {"log", node_log},           {"stats", node_stats},       {"random", node_random},
        {"exponential", node_exponential}, {"normal", node_normal}, {"lognormal", node_lognormal},
        {"triangular", node_triangular}, {"choose", node_choose}, {NULL, NULL}};
    luaL_newmetatable(L, NODE_MT);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, node_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    lua_register(L, "node", l_node);
    lua_register(L, "nodes", l_nodes);
    lua_register(L, "json_encode", l_json_encode);
    lua_register(L, "json_decode", l_json_decode);
}
