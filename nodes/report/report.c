/* report/report.c - per-flow counts, outcomes and latency percentiles, and the invariants, for
 * summary.json and the end-of-run summary. */
#include "report/report.h"

#include "domain/domain.h"
#include "domain/checker.h"
#include "fault/fault.h"
#include "kinds/kinds.h"

void report_json(sim_world *w, cJSON *root)
{
    domain *d = domain_find(w);
    if (!d) return;
    cJSON *flows = cJSON_AddObjectToObject(root, "flows");
    for (int k = 0; k < FLOW_KINDS; k++) {
        if (!d->stats.started[k]) continue;
        cJSON *f = cJSON_AddObjectToObject(flows, domain_kind_name((flow_kind)k));
        cJSON_AddNumberToObject(f, "started", (double)d->stats.started[k]);
        cJSON_AddNumberToObject(f, "ended", (double)d->stats.ended[k]);
        cJSON *out = cJSON_AddObjectToObject(f, "outcomes");
        for (int e = 0; e < FLOW_ERRORS; e++)
            if (d->stats.outcome[k][e])
                cJSON_AddNumberToObject(out, domain_error_name((flow_error)e), (double)d->stats.outcome[k][e]);
        double p50, p95, p99;
        domain_latency(d, (flow_kind)k, &p50, &p95, &p99);
        cJSON *lat = cJSON_AddObjectToObject(f, "latency_ms");   /* of answered flows */
        cJSON_AddNumberToObject(lat, "p50", p50);
        cJSON_AddNumberToObject(lat, "p95", p95);
        cJSON_AddNumberToObject(lat, "p99", p99);
    }
    invariant_result inv[DOMAIN_INVARIANTS];
    int n = domain_invariants(d, inv);
    cJSON *arr = cJSON_AddArrayToObject(root, "invariants");
    for (int i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", inv[i].name);
        cJSON_AddBoolToObject(o, "held", inv[i].held);
        cJSON_AddStringToObject(o, "detail", inv[i].detail);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddNumberToObject(root, "persons", d->npersons);
    fault_recovery_report_json(d, root);
    cJSON *impact = report_impact_json(w);
    if (impact) cJSON_AddItemToObject(root, "impact", impact);
    cJSON *bulk = report_bulk_json(w);
    if (bulk) cJSON_AddItemToObject(root, "bulk_acquisition", bulk);
}

static void add_time(cJSON *o, const char *key, sim_time_t t)
{
    char text[32];
    if (t < 0) cJSON_AddNullToObject(o, key);
    else {
        sim_time_format(t, text, sizeof text);
        cJSON_AddStringToObject(o, key, text);
    }
}

cJSON *report_bulk_json(sim_world *w)
{
    const node_bulk_progress *all;
    size_t n = node_bulk_bodies(w, &all);
    domain *d = domain_find(w);
    if (!n || !d) return NULL;
    cJSON *o = cJSON_CreateObject();
    int64_t jlis, nws;
    node_bulk_capacity(w, &jlis, &nws);
    cJSON_AddNumberToObject(o, "jlis_per_day", (double)jlis);
    cJSON_AddNumberToObject(o, "nws_per_day", (double)nws);
    cJSON_AddNumberToObject(o, "twin_per_day",   /* the twin's residents a day, at residents{}'s scale */
                            (double)node_bulk_twin_per_day(jlis < nws ? jlis : nws, d->resident_scale > 0 ? d->resident_scale : 1));
    cJSON *bodies = cJSON_AddArrayToObject(o, "bodies");
    for (size_t i = 0; i < n; i++) {
        const node_bulk_progress *p = &all[i];
        body *b = domain_body(d, p->node);
        cJSON *r = cJSON_CreateObject();
        cJSON_AddStringToObject(r, "body", b->code);
        cJSON_AddStringToObject(r, "name", b->name ? b->name : b->code);
        cJSON_AddNumberToObject(r, "population", (double)b->population);
        const struct { const char *k; uint64_t v; } f[] = {
            {"queued", p->queued}, {"acquired", p->acquired}, {"failed", p->failed}, {"skipped", p->skipped},
            {"in_flight", p->in_flight}, {"waiting", p->queued - p->acquired - p->failed - p->skipped - p->in_flight},
            {"attempts", p->attempts}, {"retried", p->retried}};
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) cJSON_AddNumberToObject(r, f[k].k, (double)f[k].v);
        cJSON_AddNumberToObject(r, "days", node_bulk_days(p));
        cJSON_AddBoolToObject(r, "done", p->finished >= 0);
        add_time(r, "queued_at", p->queued_at);
        add_time(r, "finished", p->finished);
        cJSON_AddItemToArray(bodies, r);
    }
    return o;
}

int report_failed(sim_world *w)
{
    domain *d = domain_find(w);
    if (!d) return 0;
    return domain_invariants_broken(d);
}

void report_print(sim_world *w, FILE *out)
{
    domain *d = domain_find(w);
    if (!d) return;
    for (int k = 0; k < FLOW_KINDS; k++) {
        if (!d->stats.started[k]) continue;
        double p50, p95, p99;
        domain_latency(d, (flow_kind)k, &p50, &p95, &p99);
        fprintf(out, "  %-14s %llu started, %llu ended:", domain_kind_name((flow_kind)k),
                (unsigned long long)d->stats.started[k], (unsigned long long)d->stats.ended[k]);
        for (int e = 0; e < FLOW_ERRORS; e++)
            if (d->stats.outcome[k][e])
                fprintf(out, " %s %llu", domain_error_name((flow_error)e), (unsigned long long)d->stats.outcome[k][e]);
        fprintf(out, "; latency p50 %.1f ms, p95 %.1f, p99 %.1f\n", p50, p95, p99);
    }
    invariant_result inv[DOMAIN_INVARIANTS];
    int n = domain_invariants(d, inv);
    fprintf(out, "  invariants\n");
    for (int i = 0; i < n; i++)
        fprintf(out, "  %s %s: %s\n", inv[i].held ? "  ok " : "  FAIL", inv[i].name, inv[i].detail);
    fault_recovery_report_print(d, out);
}
