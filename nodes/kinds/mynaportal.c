/* kinds/mynaportal.c - マイナポータル (情報提供等記録開示システム): the citizen's view of who asked
 * for their data (My Number Act Art. 23). The portal knows each person only by its own
 * disclosure code, which the NWS derives and alone links back to the person; for a code it
 * gets the NWS's access records of that person, 不開示 (withheld) rows left out, within the
 * retention period. Logging in with the マイナンバーカード is not modelled: the portal is handed
 * the person's disclosure code as if the card had been read. A disclosure changes nothing the
 * run does (no message, no random draw, nothing traced), so the dashboard may ask at any time. */
#include "kinds/kinds.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_lua.h"

static void portal_receive(sim_node *self, sim_msg *msg)
{
    domain_msg_free(msg->payload);   /* the portal takes no flow messages */
    msg->payload = NULL;
    sim_msg_free(self->world, msg);
}

const sim_node_kind node_mynaportal_kind = {.name = "mynaportal", .receive = portal_receive};

int node_mynaportal_create(sim_world *w, const char *name, sim_node **out)
{
    domain *d = domain_get(w);
    if (!d) return -ENOMEM;
    if (d->mynaportal != UINT32_MAX) return -EEXIST;
    int rc = node_kinds_check_register(d);
    if (rc == 0) rc = sim_world_add_node(w, &node_mynaportal_kind, name, NULL, out);
    if (rc == 0) d->mynaportal = (*out)->id;
    return rc;
}

int node_mynaportal_disclose(sim_world *w, int64_t person, node_disclosure_row **rows, size_t *nrows,
                             char *why, size_t n)
{
    *rows = NULL;
    *nrows = 0;
    domain *d = domain_find(w);
    if (!d || d->mynaportal == UINT32_MAX || d->nws == UINT32_MAX || d->jlis == UINT32_MAX) {
        snprintf(why, n, "there is no マイナポータル in this run (declare mynaportal{}, with the nws and jlis)");
        return -ENODEV;
    }
    if (person < 0 || person >= (int64_t)d->npersons) {
        snprintf(why, n, "no person %lld (persons are 0 to %lld: resident(lg, addressee).person)", (long long)person,
                 (long long)d->npersons - 1);
        return -ENOENT;
    }
    sim_node *nws = sim_world_node(w, d->nws), *jlis = sim_world_node(w, d->jlis);
    uint64_t key = node_jlis_person_key(jlis, node_person_resident_code(sim_world_seed(w), (uint32_t)person));
    uint64_t code = node_nws_portal_code(nws, key, d->mynaportal);
    if (!code) return snprintf(why, n, "out of memory"), -ENOMEM;
    sim_time_t since = sim_world_now(w) - d->retention;
    int rc = node_nws_disclose(nws, d->mynaportal, code, since, rows, nrows);
    if (rc < 0) snprintf(why, n, "the NWS could not answer: %s", strerror(-rc));
    return rc;
}

/* ---- Lua ------------------------------------------------------------------------------- */

/* mynaportal { name = "mynaportal" } */
static int l_mynaportal(lua_State *L)
{
    static const char *const known[] = {"name", NULL};
    if (lua_isnoneornil(L, 1)) lua_newtable(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    sim_lua_check_options(L, 1, "mynaportal", known);
    lua_getfield(L, 1, "name");
    const char *name = lua_isnil(L, -1) ? "mynaportal" : luaL_checkstring(L, -1);
    sim_world *w = sim_lua_world(L);
    if (sim_world_find_node(w, name)) return luaL_error(L, "mynaportal: a node named '%s' exists", name);
    sim_node *n;
    int rc = node_mynaportal_create(w, name, &n);
    if (rc == -EEXIST) return luaL_error(L, "mynaportal: there is already one");
    if (rc < 0) return luaL_error(L, "mynaportal: %s", strerror(-rc));
    return 0;
}

/* Build the Lua table of the rows (arguments: the rows and their count, light userdata and
 * integer): run under lua_pcall, so that the C rows are freed whatever it raises. */
static int push_rows(lua_State *L)
{
    const node_disclosure_row *rows = lua_touserdata(L, 1);
    size_t nrows = (size_t)lua_tointeger(L, 2);
    sim_world *w = sim_lua_world(L);
    domain *d = domain_find(w);
    lua_createtable(L, nrows > INT32_MAX ? INT32_MAX : (int)nrows, 0);
    for (size_t i = 0; i < nrows; i++) {
        const node_disclosure_row *r = &rows[i];
        lua_createtable(L, 0, 10);
        lua_pushinteger(L, (lua_Integer)r->serial_no);
        lua_setfield(L, -2, "serial_no");
        lua_pushinteger(L, r->t);
        lua_setfield(L, -2, "time");
        const uint32_t who[2] = {r->inquirer, r->provider};
        static const char *const key[2] = {"inquirer", "provider"}, *const key_name[2] = {"inquirer_name", "provider_name"};
        for (int k = 0; k < 2; k++) {
            sim_node *n = sim_world_node(w, who[k]);
            body *b = domain_body(d, who[k]);
            lua_pushstring(L, n ? n->name : "?");
            lua_setfield(L, -2, key[k]);
            lua_pushstring(L, b && b->name ? b->name : n ? n->name : "?");
            lua_setfield(L, -2, key_name[k]);
        }
        if (r->procedure >= 0 && r->procedure < d->nprocs) {
            lua_pushstring(L, d->procs[r->procedure].id);
            lua_setfield(L, -2, "procedure");
            lua_pushstring(L, d->procs[r->procedure].name_ja);
            lua_setfield(L, -2, "procedure_ja");
        }
        if (r->item >= 0 && r->item < d->nitems) {
            lua_pushstring(L, d->items[r->item].code);
            lua_setfield(L, -2, "item");
        }
        lua_pushstring(L, r->outcome);
        lua_setfield(L, -2, "outcome");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* disclose(person) -> { { serial_no, time, inquirer, inquirer_name, provider, provider_name,
 *                         procedure, procedure_ja, item, outcome }, ... }, 不開示 rows left out */
static int l_disclose(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TNUMBER || !lua_isinteger(L, 1)) {
        const char *what = lua_type(L, 1) == LUA_TSTRING ? "a name (a body has no disclosure: only a person has)"
                                                         : luaL_typename(L, 1);
        return luaL_error(L, "disclose: give a person (an integer: resident(lg, addressee).person), not %s", what);
    }
    node_disclosure_row *rows;
    size_t nrows;
    char why[160];
    if (node_mynaportal_disclose(sim_lua_world(L), lua_tointeger(L, 1), &rows, &nrows, why, sizeof why) < 0)
        return luaL_error(L, "disclose: %s", why);
    lua_pushcfunction(L, push_rows);
    lua_pushlightuserdata(L, rows);
    lua_pushinteger(L, (lua_Integer)nrows);
    int rc = lua_pcall(L, 2, 1, 0);
    free(rows);
    if (rc != LUA_OK) return lua_error(L);
    return 1;
}

int node_mynaportal_open_lua(lua_State *L)
{
    lua_register(L, "mynaportal", l_mynaportal);
    lua_register(L, "disclose", l_disclose);
    return 0;
}
