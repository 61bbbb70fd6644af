/* report/report.c - per-flow counts, outcomes and latency percentiles, and the invariants, for
 * summary.json and the end-of-run summary. */
#include "report/report.h"

#include "domain/domain.h"
#include "domain/checker.h"
#include "fault/fault.h"

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
