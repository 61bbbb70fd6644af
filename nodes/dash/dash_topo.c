/* dash/dash_topo.c - the topology as the page draws it: every node with its kind, and for
 * local governments their prefecture (the first two digits of the official code), whether
 * they are a prefecture or a municipality, their home and backup sites and the site serving
 * them now; and each node's state (up, down, failed over, its site down). */
#include "dash/dash_internal.h"

#include <stdlib.h>
#include <string.h>

enum { STATE_UP = 0, STATE_DOWN = 1, STATE_FAILED_OVER = 2, STATE_SITE_DOWN = 3, STATE_AWAITING_FAILBACK = 4 };

uint8_t dash_topo_state(node_dash *d, uint32_t id)
{
    sim_node *n = sim_world_node(d->w, id);
    if (!n) return STATE_DOWN;
    if (!n->up) return STATE_DOWN;
    body *b = d->d ? domain_body(d->d, id) : NULL;
    if (!b || b->kind != BODY_LG) return STATE_UP;
    sim_node *server = sim_world_node(d->w, b->server);
    if (server && !server->up) return STATE_SITE_DOWN;   /* its tenant cannot answer */
    if (b->server == b->home) return STATE_UP;
    sim_node *home = sim_world_node(d->w, b->home);   /* back, resynchronising: until the failback */
    return home && home->up ? STATE_AWAITING_FAILBACK : STATE_FAILED_OVER;
}

/* The eight-region division by prefecture code, as topologies/data assigns it (Mie in kinki,
 * Okinawa in kyushu). */
static const char *region_of(int pref)
{
    if (pref == 1) return "hokkaido";
    if (pref <= 7) return "tohoku";
    if (pref <= 14) return "kanto";
    if (pref <= 23) return "chubu";
    if (pref <= 30) return "kinki";
    if (pref <= 35) return "chugoku";
    if (pref <= 39) return "shikoku";
    return "kyushu";
}

static const char *kind_of(node_dash *d, const sim_node *n, const body **out)
{
    *out = d->d ? domain_body(d->d, n->id) : NULL;
    if (*out) return (*out)->kind == BODY_AGENCY ? "agency" : "lg";
    return n->kind->name;   /* nws, jlis, site, ifs, script, ... */
}

static void add_name(cJSON *o, const char *key, sim_world *w, uint32_t id)
{
    sim_node *n = sim_world_node(w, id);
    if (n) cJSON_AddStringToObject(o, key, n->name);
}

cJSON *dash_topo_json(node_dash *d)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *nodes = cJSON_AddArrayToObject(root, "nodes");
    unsigned lgs = 0, prefectures = 0;
    for (uint32_t i = 0; i < sim_world_node_count(d->w); i++) {
        sim_node *n = sim_world_node(d->w, i);
        if (strcmp(n->kind->name, "domain") == 0) continue;   /* the registry, not a system */
        const body *b;
        const char *kind = kind_of(d, n, &b);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", i);
        cJSON_AddStringToObject(o, "name", n->name);
        cJSON_AddStringToObject(o, "kind", kind);
        cJSON_AddNumberToObject(o, "state", dash_topo_state(d, i));
        if (b) {
            cJSON_AddStringToObject(o, "label", b->name ? b->name : b->code);
            cJSON_AddNumberToObject(o, "population", (double)b->population);
        }
        if (b && b->kind == BODY_LG) {
            lgs++;
            char pref[3] = {b->code[0], b->code[1], '\0'};
            bool is_pref = strncmp(b->code + 2, "000", 3) == 0;
            prefectures += is_pref;
            cJSON_AddStringToObject(o, "code", b->code);
            cJSON_AddStringToObject(o, "pref", pref);
            cJSON_AddStringToObject(o, "region", region_of(atoi(pref)));
            cJSON_AddStringToObject(o, "lg_kind", is_pref ? "prefecture" : "municipality");
            add_name(o, "home", d->w, b->home);
            add_name(o, "backup", d->w, b->backup);
            add_name(o, "server", d->w, b->server);
        } else if (b) {
            add_name(o, "ifs", d->w, b->ifs);
        }
        cJSON_AddItemToArray(nodes, o);
    }
    cJSON *counts = cJSON_AddObjectToObject(root, "counts");
    cJSON_AddNumberToObject(counts, "local_governments", lgs);
    cJSON_AddNumberToObject(counts, "prefectures", prefectures);
    cJSON_AddNumberToObject(counts, "municipalities", lgs - prefectures);
    cJSON_AddNumberToObject(counts, "nodes", cJSON_GetArraySize(nodes));
    return root;
}
