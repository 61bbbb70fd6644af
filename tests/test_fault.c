/* test_fault.c - the fault catalogue's JSON entry points (what the dashboard calls): every
 * bad request is refused with a one-line reason and changes nothing; a good one takes effect
 * on the world and its clearing undoes it; the catalogue lists every kind in both languages.
 * The JSON is read by the strict reader (sim_json.h): a key given twice, a number beyond a
 * double, a second value, NUL or invalid UTF-8 are refused naming the byte. */
#include "check.h"
#include "fault/fault.h"
#include "script/script.h"
#include "sim_lua.h"
#include "sim_net.h"
#include "sim_world.h"

#include <errno.h>
#include <stdlib.h>

static int fault_count(sim_world *w)
{
    cJSON *list = fault_list_json(w);
    int n = cJSON_GetArraySize(list);
    cJSON_Delete(list);
    return n;
}

static void refused(sim_world *w, const char *json, const char *why)
{
    char err[200] = "";
    int before = fault_count(w);
    int rc = fault_inject_json(w, json, err, sizeof err);
    CHECK(rc < 0);
    if (!strstr(err, why)) {
        fprintf(stderr, "for %s: expected '%s' in '%s'\n", json, why, err);
        CHECK(!"the reason names the problem");
    }
    CHECK(!strchr(err, '\n'));
    CHECK_INT(fault_count(w), before);
}

int main(void)
{
    sim_world *w;
    sim_lua *sl;
    CHECK_INT(sim_world_create(&(sim_world_config){.seed = 5, .trace_fd = -1}, &w), 0);
    CHECK_INT(sim_lua_create(w, &(sim_lua_config){.quiet = true}, &sl), 0);
    CHECK_INT(sim_lua_open_lib(sl, script_open_lua), 0);
    if (sim_lua_load_file(sl, "topologies/small.lua") < 0) {
        fprintf(stderr, "%s\n", sim_lua_error(sl));
        return 1;
    }
    CHECK_INT(sim_world_start_nodes(w), 0);

    cJSON *cat = fault_catalogue_json();
    CHECK_INT(cJSON_GetArraySize(cat), FAULT_KINDS);
    for (cJSON *k = cat ? cat->child : NULL; k; k = k->next) {
        CHECK(cJSON_IsString(cJSON_GetObjectItem(k, "en")));
        CHECK(cJSON_IsString(cJSON_GetObjectItem(k, "ja")));
        CHECK(cJSON_IsArray(cJSON_GetObjectItem(k, "options")));
    }
    cJSON_Delete(cat);

    refused(w, "not json", "expected a JSON object");
    refused(w, "[1,2]", "expected a JSON object");
    refused(w, "{\"kind\":\"meteor\",\"target\":\"east\"}", "unknown fault kind 'meteor'");
    refused(w, "{\"kind\":\"crash\",\"target\":\"nowhere\"}", "unknown node nowhere");
    refused(w, "{\"kind\":\"crash\",\"target\":\"east\",\"colour\":1}", "unknown field 'colour'");
    refused(w, "{\"kind\":\"crash\",\"target\":\"east\",\"rate\":0.5}", "crash does not take 'rate'");
    refused(w, "{\"kind\":\"crash\",\"target\":\"east\",\"duration\":\"soon\"}", "'duration': expected a duration");
    refused(w, "{\"kind\":\"crash\",\"target\":\"east\",\"duration\":-5}", "duration must not be negative");
    refused(w, "{\"kind\":\"site_down\",\"target\":\"131016\"}", "'131016' is not a site");
    refused(w, "{\"kind\":\"link_cut\",\"target\":\"east\"}", "needs two sides");
    refused(w, "{\"kind\":\"link_cut\",\"target\":\"131016\",\"peer\":\"401307\"}", "no link between");
    refused(w, "{\"kind\":\"duplicate\",\"target\":\"east\",\"peer\":\"west\",\"rate\":2}", "rate must be within");
    refused(w, "{\"kind\":\"crash\"}", "no target");
    /* the strict reader: one value, no key twice, finite numbers, UTF-8, no NUL */
    refused(w, "{\"kind\":\"crash\",\"target\":\"east\",\"kind\":\"site_down\"}", "byte 32 (at kind): duplicate key 'kind'");
    refused(w, "{\"kind\":\"crash\",\"target\":\"east\",\"duration\":1e999}", "(at duration): 1e999 is not a finite number");
    refused(w, "{\"kind\":\"crash\",\"target\":\"east\"} {}", "after the JSON value");
    refused(w, "{\"kind\":\"crash\",\"target\":\"ea\\u0000st\"}", "\\u0000 (NUL) is not allowed");
    refused(w, "{\"kind\":\"crash\",\"target\":\"\xe9\"}", "invalid UTF-8");

    sim_node *east = sim_world_find_node(w, "east"), *ifs = sim_world_find_node(w, "east.ifs");
    char err[200];
    int id = fault_inject_json(w, "{\"kind\":\"site_down\",\"target\":\"east\",\"duration\":\"1h\"}", err, sizeof err);
    CHECK_INT(id, 1);
    CHECK(!east->up && !ifs->up);
    cJSON *list = fault_list_json(w);
    cJSON *f = cJSON_GetArrayItem(list, 0);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(f, "kind")), "site_down");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(f, "end")));
    cJSON_Delete(list);
    CHECK_INT(fault_clear_json(w, id, err, sizeof err), 0);
    CHECK(east->up && ifs->up);
    CHECK_INT(fault_clear_json(w, id, err, sizeof err), -EALREADY);
    CHECK_INT(fault_clear_json(w, 99, err, sizeof err), -ENOENT);

    /* two faults hold one link: it comes up only when both have ended */
    sim_node *west = sim_world_find_node(w, "west");
    sim_link_params p;
    int a = fault_inject_json(w, "{\"kind\":\"link_cut\",\"target\":\"east\",\"peer\":\"west\"}", err, sizeof err);
    int b = fault_inject_json(w, "{\"kind\":\"partition\",\"target\":[\"east\"],\"peer\":[\"west\",\"ops\"]}", err, sizeof err);
    CHECK(a > 0 && b > 0);
    sim_link_get(w, east->id, west->id, &p);
    CHECK(!p.up);
    fault_clear_json(w, a, err, sizeof err);
    sim_link_get(w, east->id, west->id, &p);
    CHECK(!p.up);
    fault_clear_json(w, b, err, sizeof err);
    sim_link_get(w, east->id, west->id, &p);
    CHECK(p.up);

    /* a degraded link gets its parameters back at the end */
    sim_link_params before;
    sim_link_get(w, east->id, west->id, &before);
    int c = fault_inject_json(w, "{\"kind\":\"degrade\",\"target\":\"east\",\"peer\":\"west\",\"latency\":\"200ms\",\"loss\":0.1}",
                                   err, sizeof err);
    CHECK(c > 0);
    sim_link_get(w, east->id, west->id, &p);
    CHECK_INT(p.latency, before.latency + 200000);
    CHECK(p.loss == 0.1);
    fault_clear_json(w, c, err, sizeof err);
    sim_link_get(w, east->id, west->id, &p);
    CHECK_INT(p.latency, before.latency);
    CHECK(p.loss == before.loss);

    sim_world_destroy(w);
    sim_lua_destroy(sl);
    CHECK_DONE();
}
