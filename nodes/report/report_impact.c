/* report/report_impact.c - the impact of a run's faults at a glance, the way a status page
 * says it: what is down, how many local governments are served by their backup site (and
 * which site; those whose home site is back await failback), how many inquiries failed for
 * want of the network (unreachable, timed out, integrity, server error; business answers such
 * as "nothing held" are not failures), how many writes were refused and how many
 * acknowledged writes were lost, and the RTO so far: for each site lost, the time until its
 * tenants were served again by the backup (promotion), or, while they are not yet, the time
 * since the loss. The same object is the dashboard's impact strip (GET /api/impact), the
 * "impact" of summary.json and the strip in report.html. */
#include "report/report.h"

#include "domain/domain.h"
#include "fault/fault.h"

#include <string.h>

static bool infrastructure_failure(flow_error e)
{
    return e == FLOW_UNREACHABLE || e == FLOW_TIMEOUT || e == FLOW_INTEGRITY || e == FLOW_SERVER_ERROR;
}

static void add_iso(cJSON *o, const char *key, sim_time_t t)
{
    char buf[SIM_TIME_BUFSZ];
    sim_time_format_iso(t, buf, sizeof buf);
    cJSON_AddStringToObject(o, key, buf);
}

/* Nodes that are not local governments and are down (sites, the NWS, interface systems,
 * agencies...), by name; local governments down or cut off (their serving site down) counted. */
static void add_down(cJSON *o, sim_world *w, domain *d)
{
    cJSON *down = cJSON_AddArrayToObject(o, "down");
    unsigned lgs_down = 0, lgs_cut_off = 0;
    for (uint32_t i = 0; i < sim_world_node_count(w); i++) {
        sim_node *n = sim_world_node(w, i);
        if (!n || strcmp(n->kind->name, "domain") == 0 || strcmp(n->kind->name, "script") == 0) continue;
        body *b = domain_body(d, i);
        if (b && b->kind == BODY_LG) {
            sim_node *server = sim_world_node(w, b->server);
            if (!n->up) lgs_down++;
            else if (server && !server->up) lgs_cut_off++;
            continue;
        }
        if (n->up) continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", n->name);
        cJSON_AddStringToObject(x, "kind", b ? "agency" : n->kind->name);
        if (b && b->name) cJSON_AddStringToObject(x, "label", b->name);
        cJSON_AddItemToArray(down, x);
    }
    cJSON_AddNumberToObject(o, "lgs_down", lgs_down);
    cJSON_AddNumberToObject(o, "lgs_cut_off", lgs_cut_off);
}

/* Local governments served by a site other than their home: how many, by the site serving
 * them, and how many of them have their home site up again (awaiting failback). */
static void add_failed_over(cJSON *o, sim_world *w, domain *d)
{
    cJSON *fo = cJSON_AddObjectToObject(o, "failed_over");
    cJSON *to = cJSON_CreateObject();
    unsigned count = 0, awaiting = 0;
    for (uint32_t i = 0; i < d->nbodies_cap; i++) {
        body *b = d->bodies[i];
        if (!b || b->kind != BODY_LG || b->server == b->home || b->server == b->node) continue;
        count++;
        sim_node *home = sim_world_node(w, b->home), *server = sim_world_node(w, b->server);
        awaiting += home && home->up;
        const char *name = server ? server->name : "?";
        cJSON *c = cJSON_GetObjectItemCaseSensitive(to, name);
        if (c) cJSON_SetNumberValue(c, c->valuedouble + 1);
        else cJSON_AddNumberToObject(to, name, 1);
    }
    cJSON_AddNumberToObject(fo, "count", count);
    cJSON_AddItemToObject(fo, "to", to);
    cJSON_AddNumberToObject(fo, "awaiting_failback", awaiting);
}

/* Failed inquiries and refused writes (replica registrations and code acquisitions), from the
 * flows' outcomes. */
static void add_failures(cJSON *o, domain *d)
{
    uint64_t inquiries = 0, writes = 0;
    for (int e = 1; e < FLOW_ERRORS; e++) {
        if (!infrastructure_failure((flow_error)e)) continue;
        inquiries += d->stats.outcome[FLOW_INQUIRY][e];
        writes += d->stats.outcome[FLOW_REPLICA][e] + d->stats.outcome[FLOW_CODE_REQUEST][e];
    }
    cJSON_AddNumberToObject(o, "inquiries_failed", (double)inquiries);
    cJSON_AddNumberToObject(o, "writes_refused", (double)writes);
}

/* Per site lost: its RTO (promotion at the backup) or the time since the loss while the
 * tenants wait; the largest of them is "rto_s", open when some are still waiting. */
static void add_rto(cJSON *o, sim_world *w, domain *d)
{
    faults *fs = fault_records_find(d);
    cJSON *sites = cJSON_AddArrayToObject(o, "sites_lost");
    uint64_t lost = 0;
    double rto = -1;
    bool open = false;
    sim_time_t now = sim_world_now(w);
    for (size_t i = 0; fs && i < fs->n; i++) {
        const fault *f = fs->list[i];
        lost += f->rpo_writes;
        if (!f->home_lost) continue;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "fault", f->id);
        cJSON_AddStringToObject(x, "site", sim_world_node(w, f->home_lost)->name);
        cJSON_AddNumberToObject(x, "tenants", (double)f->ntenants);
        add_iso(x, "lost_at", f->start);
        double s;
        if (f->promoted_at) {
            s = (double)(f->promoted_at - f->start) / 1e6;
            add_iso(x, "promoted_at", f->promoted_at);
        } else {
            s = (double)((f->active ? now : f->end) - f->start) / 1e6;
            cJSON_AddBoolToObject(x, "open", true);
            open |= f->active;
        }
        cJSON_AddNumberToObject(x, "rto_s", s);
        if (f->failed_back_at) add_iso(x, "failed_back_at", f->failed_back_at);
        cJSON_AddItemToArray(sites, x);
        if (s > rto) rto = s;
    }
    cJSON_AddNumberToObject(o, "writes_lost", (double)lost);
    if (rto >= 0) cJSON_AddNumberToObject(o, "rto_s", rto);
    else cJSON_AddNullToObject(o, "rto_s");
    cJSON_AddBoolToObject(o, "rto_open", open);
    unsigned active = 0;
    for (size_t i = 0; fs && i < fs->n; i++) active += fs->list[i]->active;
    cJSON_AddNumberToObject(o, "faults", fs ? (double)fs->n : 0);
    cJSON_AddNumberToObject(o, "faults_active", active);
}

cJSON *report_impact_json(sim_world *w)
{
    domain *d = domain_find(w);
    if (!d) return NULL;
    cJSON *o = cJSON_CreateObject();
    add_iso(o, "at", sim_world_now(w));
    add_down(o, w, d);
    add_failed_over(o, w, d);
    add_failures(o, d);
    add_rto(o, w, d);
    return o;
}
