/* rollout/rollout.h - rollout rehearsal: the onboarding schedule of the local governments
 * (phases, waves, capacities, external events, milestones), run on the business-day calendar
 * with real connection-test inquiries in the twin, and its Monte Carlo odds. What main.c and
 * report/report.c call; the pieces share rollout/rollout_internal.h. The Lua API is documented in
 * scripts/README.md ("Rollout rehearsal").
 *
 * Failures: a bad plan raises a file:line error before the run; a day that cannot be
 * scheduled halts the run (exit 3). Monte Carlo workers that die are reported as failed runs. */
#ifndef RENKEI_ROLLOUT_ROLLOUT_H
#define RENKEI_ROLLOUT_ROLLOUT_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

#include "sim_world.h"

typedef struct lua_State lua_State;

/* Opens calendar.*, dist.* and the schedule constructors (rollout/rollout_lua.c). */
int rollout_open_lua(lua_State *L);
/* After every script has loaded: resolve names, check the plan (cycles, unknown members,
 * capacities, partners), draw the durations, compute the planned schedule and schedule the
 * first business day. Raises a file:line error naming the declaration at fault. Does nothing
 * when no script declared a schedule. */
int rollout_prepare(lua_State *L);

/* "schedule" in summary.json; the schedule part of the printed summary. Nothing when the run
 * has no schedule (rollout/rollout_report.c). */
void rollout_json(sim_world *w, cJSON *root);
void rollout_print(sim_world *w, FILE *out);
/* One run's figures for Monte Carlo: milestone dates, the inputs drawn, the critical path.
 * NULL when the run has no schedule. */
cJSON *rollout_record(sim_world *w);

/* Monte Carlo over many runs' records (rollout/rollout_mc.c). */
typedef struct node_rollout_mc node_rollout_mc;
node_rollout_mc *rollout_mc_new(void);
void rollout_mc_free(node_rollout_mc *mc);
/* Add one run's record (from rollout_record, possibly through JSON text). */
int rollout_mc_add(node_rollout_mc *mc, const cJSON *record);
int rollout_mc_runs(const node_rollout_mc *mc);
/* "monte_carlo" in summary.json, and p_meet/p50/p90 into "schedule"."milestones". */
void rollout_mc_json(node_rollout_mc *mc, cJSON *root);
void rollout_mc_print(node_rollout_mc *mc, FILE *out);

#endif
