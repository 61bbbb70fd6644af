/* report/report.h - the national flow's figures and invariants in the run's outputs.
 *
 * Failures: none of its own; an output that cannot be written is the caller's to report. */
#ifndef RENKEI_REPORT_REPORT_H
#define RENKEI_REPORT_REPORT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "sim_world.h"

/* Add "flows", "invariants" and "impact" to summary.json; nothing when the run has no domain nodes. */
void report_json(sim_world *w, cJSON *root);
/* Print the same for people. */
void report_print(sim_world *w, FILE *out);
/* How many invariants failed (they fail the run like expectations: exit status 1). */
int report_failed(sim_world *w);
/* The impact of the faults now (report/report_impact.c): summary.json's "impact", the
 * dashboard's impact strip; NULL when the run has no domain nodes (or no memory). */
cJSON *report_impact_json(sim_world *w);

/* Bulk initial code acquisition (kinds/bulk.c): the capacities and each body's progress,
 * summary.json's "bulk_acquisition" and GET /api/bulk; NULL when no body was queued. */
cJSON *report_bulk_json(sim_world *w);

#endif
