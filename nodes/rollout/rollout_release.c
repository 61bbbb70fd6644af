/* rollout/rollout_release.c - releases and gates in the rollout rehearsal: versioned releases
 * (documents, specs, software, tools) as chains of external events, the work that builds on
 * one version and is reworked when a later one lands while it is being done, bodies taking
 * each version up after a lag, the gates before a body connects (its protection assessment,
 * which the live NWS enforces, and the connection-test catalogue, proven by an evidence bundle
 * or simulated), J-LIS's upgrade nights on the platform sites, and the plan passes that
 * compare a what-if and each version's slip with the plan.
 *
 * Rules (documented in scripts/README.md, "Releases and gates"):
 * - a version never lands before the version it revises, nor before the events it is `after`:
 *   its day is raised to theirs (a slip propagates down the chain);
 * - rework: when version v of a release lands on day d while an instance that builds on an
 *   earlier version of it is active (started before d, not finished), the instance gets
 *   whole_days(rework x changed(v) x the days it has worked) more days of work: what was built
 *   against the old version and changed must be done again, so a later revision costs more
 *   (planned rework is part of the plan; the slip cause "rework" is the rework beyond the
 *   plan's). A version that lands before the work starts costs nothing (it is built on as it
 *   is), one that lands after it finished nothing here (what follows absorbs it);
 * - a catalogue gate with an evidence bundle opens on the bundle's finished_at date when every
 *   case it names passed in the bundle, and never otherwise; a simulated gate fails each run
 *   with probability `fail` and is run again (slip cause "gate"). */
#include "rollout/rollout_internal.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/kinds.h"
#include "sim_json.h"
#include "sim_node.h"
#include "sim_world.h"

/* A stream for (what, name, entity): independent of every other draw of the plan. */
static void stream(sim_rng *rng, uint64_t seed, const char *what, const char *name, const char *entity)
{
    char key[300];
    snprintf(key, sizeof key, "rollout:%s:%s", what, name);
    sim_rng base;
    sim_rng_derive(&base, seed, key);
    sim_rng_seed(rng, rollout_entity_seed(sim_rng_next(&base), entity));
}

static int find_event(const ro *r, const char *name)
{
    for (int e = 0; e < r->nevents; e++)
        if (strcmp(r->events[e].name, name) == 0) return e;
    return -1;
}

/* ---- the chain of events --------------------------------------------------------------- */

int rollout_propagate_events(const ro *r, int *day)
{
    for (int round = 0; round <= r->nevents; round++) {
        bool changed = false;
        for (int e = 0; e < r->nevents; e++) {
            const ro_event *ev = &r->events[e];
            int d = day[e];
            if (ev->release >= 0 && ev->version > 0) {
                int prev = r->rels[ev->release].events[ev->version - 1];
                if (day[prev] > d) d = day[prev];
            }
            for (int k = 0; k < ev->nafter; k++)
                if (ev->after_ev && day[ev->after_ev[k]] > d) d = day[ev->after_ev[k]];
            if (d != day[e]) {
                day[e] = d;
                changed = true;
            }
        }
        if (!changed) return 0;
    }
    return -ELOOP;
}

/* ---- prepare --------------------------------------------------------------------------- */

void rollout_release_resolve(lua_State *L, ro *r)
{
    for (int e = 0; e < r->nevents; e++) {
        ro_event *ev = &r->events[e];
        if (!ev->nafter) continue;
        ev->after_ev = calloc((size_t)ev->nafter, sizeof *ev->after_ev);
        if (!ev->after_ev) luaL_error(L, "out of memory");
        for (int k = 0; k < ev->nafter; k++) {
            int j = find_event(r, ev->after[k]);
            if (j < 0) rollout_raise(L, ev->where, "release version '%s': unknown external event '%s' in 'after'", ev->name, ev->after[k]);
            ev->after_ev[k] = j;
        }
    }
    int *probe = calloc((size_t)(r->nevents ? r->nevents : 1), sizeof *probe);
    if (!probe) luaL_error(L, "out of memory");
    int rc = rollout_propagate_events(r, probe);
    free(probe);
    if (rc < 0) {
        for (int e = 0; e < r->nevents; e++)
            if (r->events[e].nafter) rollout_raise(L, r->events[e].where, "release version '%s': its 'after' goes round in a circle", r->events[e].name);
    }
    for (int k = 0; k < r->nsignal_phases; k++) {
        bool found = false;
        for (int p = 0; p < r->nphases && !found; p++)
            found = strcmp(r->phases[p].name, r->signal_phases[k]) == 0 && r->phases[p].scope == SCOPE_LG;
        if (!found) rollout_raise(L, r->where, "schedule: signal '%s' is not a phase of each body (scope \"lg\")", r->signal_phases[k]);
    }
    for (int k = 0; k < r->nrels; k++)
        for (int s = 0; s < r->rels[k].nupgrade_sites; s++) {
            sim_node *n = sim_world_find_node(r->w, r->rels[k].upgrade_sites[s]);
            if (!n || strcmp(n->kind->name, "site") != 0)
                rollout_raise(L, r->rels[k].where, "release '%s': upgrade site '%s' is not a platform site", r->rels[k].name, r->rels[k].upgrade_sites[s]);
        }
    for (int p = 0; p < r->nphases; p++) {
        ro_phase *ph = &r->phases[p];
        if (ph->builds_on) {
            int e = find_event(r, ph->builds_on);
            if (e < 0 || r->events[e].release < 0) {
                for (int k = 0; k < r->nrels; k++) {
                    size_t n = strlen(r->rels[k].name);
                    if (strncmp(ph->builds_on, r->rels[k].name, n) == 0 && ph->builds_on[n] == ' ')
                        rollout_raise(L, ph->where, "phase '%s': release '%s' has no version '%s'", ph->name, r->rels[k].name,
                              ph->builds_on + n + 1);
                }
                rollout_raise(L, ph->where, "phase '%s': 'builds_on' names no release version ('%s'; write \"<release> <version>\")",
                      ph->name, ph->builds_on);
            }
            if (ph->scope != SCOPE_LG) rollout_raise(L, ph->where, "phase '%s': 'builds_on' is for each body's work (scope \"lg\")", ph->name);
            ph->bo_release = r->events[e].release;
            ph->bo_version = r->events[e].version;
            /* it waits for that version: an external event of its `after` */
            ro_ref *after = realloc(ph->after, (size_t)(ph->nafter + 1) * sizeof *after);
            if (!after) luaL_error(L, "out of memory");
            ph->after = after;
            char *name = strdup(ph->builds_on);
            if (!name) luaL_error(L, "out of memory");
            ph->after[ph->nafter++] = (ro_ref){.name = name, .is_event = true, .index = e};
        }
        for (int c = 0; c < ph->ncases; c++) {
            bool known = false;
            for (int k = 0; k < r->ncatalogue && !known; k++) known = strcmp(r->catalogue[k], ph->cases[c]) == 0;
            if (!r->catalogue) rollout_raise(L, ph->where, "phase '%s': gate on catalogue case '%s', but no connection_catalogue{} is declared", ph->name, ph->cases[c]);
            char at[512];   /* "file:line: " without its colon */
            snprintf(at, sizeof at, "%s", r->catalogue_where);
            while (*at && (at[strlen(at) - 1] == ' ' || at[strlen(at) - 1] == ':')) at[strlen(at) - 1] = '\0';
            if (!known)
                rollout_raise(L, ph->where, "phase '%s': gate on an unknown catalogue case '%s' (not in the connection_catalogue of %s)", ph->name,
                      ph->cases[c], at);
        }
    }
}

/* "2015-09-30T17:00:00+09:00" or a date: its business day on the schedule. */
static int bundle_day(ro *r, const char *s, int *out)
{
    sim_date d;
    sim_time_t t;
    if (sim_date_parse(s, &d) == 0) {
    } else if (sim_time_parse(s, &t) == 0) {
        d = sim_date_of(t);
    } else {
        return -EINVAL;
    }
    *out = rollout_day_of_date(r, d);
    return 0;
}

/* The evidence bundle of one body for a gate: its day, or INT32_MAX when some case of the gate
 * did not pass in it. Raises on a file that cannot be read or has neither shape it takes:
 * the connection test's own connect_evidence.json ({"test_cases": {"cases": [{"id",
 * "status"}]}, "end"}: the session's end is the bundle's day), or the short form
 * {"cases":[{"id","result":"pass"|"fail"|"not_run","at"}], "finished_at"}. */
static int read_bundle(lua_State *L, ro *r, const ro_phase *ph, const char *file, char *missing, size_t nmissing)
{
    cJSON *j = NULL;
    char why[512];
    int rc = sim_json_read_file(file, 16u << 20, &j, why, sizeof why);
    if (rc < 0) rollout_raise(L, ph->where, "phase '%s': evidence bundle %s: %s", ph->name, file, rc == -EINVAL ? why : strerror(-rc));
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(j, "cases"), *fin = cJSON_GetObjectItemCaseSensitive(j, "finished_at");
    const char *result_key = "result";
    const cJSON *tc = cJSON_GetObjectItemCaseSensitive(j, "test_cases");
    if (cJSON_IsObject(tc)) {   /* connect_evidence.json as the connection test writes it */
        cases = cJSON_GetObjectItemCaseSensitive(tc, "cases");
        fin = cJSON_GetObjectItemCaseSensitive(j, "end");
        result_key = "status";
    }
    int day;
    if (!cJSON_IsArray(cases) || !cJSON_IsString(fin) || bundle_day(r, fin->valuestring, &day) < 0) {
        cJSON_Delete(j);
        rollout_raise(L, ph->where, "phase '%s': evidence bundle %s: expected {\"cases\": [{\"id\", \"result\", \"at\"}], \"finished_at\": \"<ISO time>\"}",
              ph->name, file);
    }
    for (const cJSON *c = cases->child; c; c = c->next) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id"), *res = cJSON_GetObjectItemCaseSensitive(c, result_key);
        if (!cJSON_IsString(id) || !cJSON_IsString(res) ||
            (strcmp(res->valuestring, "pass") && strcmp(res->valuestring, "fail") && strcmp(res->valuestring, "not_run") &&
             strcmp(res->valuestring, "not_applicable"))) {
            cJSON_Delete(j);
            rollout_raise(L, ph->where, "phase '%s': evidence bundle %s: each case is {\"id\": \"...\", \"result\" (or \"status\"): \"pass\" | \"fail\" | \"not_run\" | \"not_applicable\"}",
                  ph->name, file);
        }
    }
    missing[0] = '\0';
    for (int k = 0; k < ph->ncases && !missing[0]; k++) {
        bool passed = false;
        for (const cJSON *c = cases->child; c && !passed; c = c->next)
            passed = strcmp(cJSON_GetObjectItemCaseSensitive(c, "id")->valuestring, ph->cases[k]) == 0 &&
                     strcmp(cJSON_GetObjectItemCaseSensitive(c, result_key)->valuestring, "pass") == 0;
        if (!passed) snprintf(missing, nmissing, "%s", ph->cases[k]);
    }
    cJSON_Delete(j);
    return missing[0] ? INT32_MAX : day;
}

void rollout_release_draw(lua_State *L, ro *r)
{
    uint64_t seed = sim_world_seed(r->w);
    int n = r->nevents ? r->nevents : 1;
    int *plan = calloc((size_t)n, sizeof *plan), *live = calloc((size_t)n, sizeof *live);
    if (!plan || !live) {
        free(plan);
        free(live);
        luaL_error(L, "out of memory");
    }
    for (int e = 0; e < r->nevents; e++) {
        plan[e] = r->events[e].plan_day;
        live[e] = r->events[e].day;
    }
    /* checked acyclic by resolve: these settle */
    (void)rollout_propagate_events(r, plan);
    (void)rollout_propagate_events(r, live);
    for (int e = 0; e < r->nevents; e++) {
        ro_event *ev = &r->events[e];
        ev->plan_day = ev->pday = plan[e];
        ev->day = live[e];
        ev->late_days = ev->day - ev->plan_day;
    }
    free(plan);
    free(live);
    for (int k = 0; k < r->nrels; k++) {
        ro_release *rel = &r->rels[k];
        rel->plan_lag = rel->has_uptake ? rollout_whole_days(rollout_dist_plan(&rel->uptake)) : 0;
    }
    /* uptake: each body takes each version up some business days after it lands */
    bool any = false;
    for (int k = 0; k < r->nrels; k++) any |= r->rels[k].has_uptake;
    if (any && r->nmembers) {
        r->uptake_lag = malloc((size_t)r->nmembers * (size_t)r->nevents * sizeof *r->uptake_lag);
        if (!r->uptake_lag) luaL_error(L, "out of memory");
        for (int m = 0; m < r->nmembers; m++)
            for (int e = 0; e < r->nevents; e++) {
                const ro_event *ev = &r->events[e];
                int *lag = &r->uptake_lag[(size_t)m * (size_t)r->nevents + (size_t)e];
                *lag = -1;
                if (ev->release < 0 || !r->rels[ev->release].has_uptake) continue;
                sim_rng rng;
                stream(&rng, seed, "uptake", ev->name, r->members[m].code);
                *lag = rollout_whole_days(rollout_dist_draw(&r->rels[ev->release].uptake, &rng));
            }
    }
    for (int m = 0; m < r->nmembers; m++) r->members[m].pia_inst = -1;
    for (int p = 0; p < r->nphases; p++) {
        ro_phase *ph = &r->phases[p];
        for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) {
            ro_inst *in = &r->inst[i];
            in->evidence = -1;
            if (ph->pia) r->members[in->entity].pia_inst = i;
            if (ph->builds_on) {
                int lag = r->uptake_lag ? r->uptake_lag[(size_t)in->entity * (size_t)r->nevents +
                                                        (size_t)r->rels[ph->bo_release].events[ph->bo_version]] : 0;
                in->uptake_lag = lag > 0 ? lag : 0;
            }
            if (!ph->ncases) continue;
            const char *code = r->members[in->entity].code;
            int ev = -1;
            for (int k = 0; k < ph->nevidence && ev < 0; k++)
                if (strcmp(ph->ev_codes[k], code) == 0) ev = k;
            if (ev >= 0) {
                char missing[128];
                in->evidence = read_bundle(L, r, ph, ph->ev_files[ev], missing, sizeof missing);
                in->need = 0;   /* the bundle is the proof: the gate opens on its day */
                continue;
            }
            sim_rng rng;
            stream(&rng, seed, "gate", ph->name, code);
            in->gate_fails = in->gate_days = 0;
            while (in->gate_fails < 20 && sim_rng_bernoulli(&rng, ph->gate_fail)) {
                in->gate_fails++;
                in->gate_days += rollout_whole_days(rollout_dist_draw(&ph->dur, &rng));
            }
        }
        for (int k = 0; k < ph->nevidence; k++) {   /* a bundle for someone who is not in the phase */
            bool member = false;
            for (int i = ph->first_inst; i < ph->first_inst + ph->ninst && !member; i++)
                member = strcmp(r->members[r->inst[i].entity].code, ph->ev_codes[k]) == 0;
            if (!member) rollout_raise(L, ph->where, "phase '%s': evidence for '%s', which does not take part in this phase", ph->name, ph->ev_codes[k]);
        }
    }
}

/* ---- the passes ------------------------------------------------------------------------ */

void rollout_release_rework(ro *r, int d)
{
    for (int e = 0; e < r->nevents; e++) {
        const ro_event *ev = &r->events[e];
        /* versions pushed onto the same day each count: each changed its own share */
        if (ev->release < 0 || ev->version == 0 || rollout_event_day(r, ev) != d) continue;
        double changed = r->rels[ev->release].changed[ev->version];
        for (int k = 0; k < r->nact; k++) {
            ro_inst *in = &r->inst[r->act[k]];
            const ro_phase *ph = &r->phases[in->phase];
            if (!ph->builds_on || ph->bo_release != ev->release || ph->bo_version >= ev->version || in->start >= d) continue;
            int days = rollout_whole_days(ph->rework * changed * in->progress);
            if (!days) continue;
            in->rework_days += days;
            if (r->live) {
                char text[256];
                snprintf(text, sizeof text, "rework %s %s: %s landed, %d more business days", ph->name, r->members[in->entity].code,
                         ev->name, days);
                sim_world_log(r->w, "rollout", text);
            }
        }
    }
}

static int pass_with(ro *r, int *day)
{
    if (rollout_propagate_events(r, day) < 0) return -ELOOP;
    for (int e = 0; e < r->nevents; e++) r->events[e].pday = day[e];
    return rollout_plain_pass(r);
}

int rollout_release_passes(ro *r)
{
    int n = r->nevents ? r->nevents : 1;
    int *day = calloc((size_t)n, sizeof *day);
    if (!day) return -ENOMEM;
    int rc = 0;
    r->whatif = false;
    for (int e = 0; e < r->nevents; e++) r->whatif |= r->events[e].has_actual || r->events[e].has_slip;
    for (int k = 0; k < r->nms; k++) r->ms[k].whatif_day = r->ms[k].plan_day;
    if (r->whatif) {   /* the plan, but for the events a what-if fixed */
        for (int e = 0; e < r->nevents; e++)
            day[e] = r->events[e].has_actual ? rollout_day_of_date(r, r->events[e].actual)
                     : r->events[e].has_slip ? (r->events[e].plan_day + r->events[e].slip > 0 ? r->events[e].plan_day + r->events[e].slip : 0)
                                             : r->events[e].plan_day;
        if ((rc = pass_with(r, day)) < 0) goto out;
        for (int k = 0; k < r->nms; k++) r->ms[k].whatif_day = rollout_milestone_eval(r, &r->ms[k], MS_PASS);
    }
    free(r->sens_days);
    r->sens_days = NULL;
    /* Each version late by `sensitivity`, alone: a pass each, the same whatever the seed, and
     * only reported: a run without a trace (a Monte Carlo worker) skips them. Asking for the
     * hash so far is how a world says whether it traces (it finalises a copy). */
    char hex[65];
    bool traced = sim_world_trace_hash(r->w, hex) != -EINVAL;
    if (r->sensitivity > 0 && r->nrels && r->nms && traced) {
        r->sens_days = malloc((size_t)r->nevents * (size_t)r->nms * sizeof *r->sens_days);
        if (!r->sens_days) {
            rc = -ENOMEM;
            goto out;
        }
        for (int e = 0; e < r->nevents; e++) {
            int *row = &r->sens_days[(size_t)e * (size_t)r->nms];
            for (int k = 0; k < r->nms; k++) row[k] = 0;
            if (r->events[e].release < 0) continue;
            for (int j = 0; j < r->nevents; j++) day[j] = r->events[j].plan_day;
            day[e] += r->sensitivity;
            if ((rc = pass_with(r, day)) < 0) goto out;
            for (int k = 0; k < r->nms; k++) {
                int got = rollout_milestone_eval(r, &r->ms[k], MS_PASS);
                row[k] = got < 0 ? INT32_MAX : got - r->ms[k].plan_day;
            }
        }
    }
out:
    for (int e = 0; e < r->nevents; e++) r->events[e].pday = r->events[e].plan_day;
    free(day);
    return rc;
}

/* ---- the live network: assessments and upgrade nights ----------------------------------- */

static body *member_body(ro *r, int m)
{
    domain *d = domain_find(r->w);
    return d ? domain_body(d, r->members[m].node) : NULL;
}

static void set_assessment(ro *r, int m)
{
    body *b = member_body(r, m);
    if (!b) return;
    const ro_member *mm = &r->members[m];
    bool pending = mm->pia_inst >= 0 && r->inst[mm->pia_inst].state != ST_DONE;
    b->assessment_lapsed = pending || mm->lapses > 0;
}

void rollout_release_finished(ro *r, int inst)
{
    const ro_inst *in = &r->inst[inst];
    const ro_phase *ph = &r->phases[in->phase];
    if (ph->pia) set_assessment(r, in->entity);
    if (ph->ncases && in->gate_fails) {
        char text[200];
        snprintf(text, sizeof text, "catalogue gate %s %s passed after %d failed run(s)", ph->name, r->members[in->entity].code,
                 in->gate_fails);
        sim_world_log(r->w, "rollout", text);
    }
}

enum { UPGRADE_DOWN = 1, LAPSE_OVER = 2 };

static void upgrade_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    ro *r = ptr;
    sim_node *n = sim_world_node(w, node);
    int rel = (int)(tag >> 32), v = (int)((tag >> 8) & 0xffff);
    char why[200];
    snprintf(why, sizeof why, "%s upgrade night: %s", r->operator_name ? r->operator_name : "J-LIS",
             rel >= 0 && rel < r->nrels && v < r->rels[rel].nversions ? r->events[r->rels[rel].events[v]].name : "software");
    if (!n) return;
    if (tag & UPGRADE_DOWN) {
        if (n->up) (void)sim_node_crash(n, why);
    } else if (!n->up) {
        (void)sim_node_recover(n, why);
    }
}

static void lapse_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    ro *r = ptr;
    (void)w;
    (void)node;
    int m = (int)tag;
    if (m < 0 || m >= r->nmembers || r->members[m].lapses == 0) return;
    r->members[m].lapses--;
    set_assessment(r, m);
}

int rollout_assessment_lapse(ro *r, const char *code, int64_t dur)
{
    for (int m = 0; m < r->nmembers; m++) {
        if (strcmp(r->members[m].code, code) != 0) continue;
        r->members[m].lapses++;
        set_assessment(r, m);
        char text[160];
        snprintf(text, sizeof text, "the protection assessment of %s lapses%s", code, dur >= 0 ? " for a while" : "");
        sim_world_log(r->w, "rollout", text);
        if (dur < 0) return 0;
        return sim_world_schedule(r->w, sim_world_now(r->w) + dur, lapse_event, r, (uint64_t)m, 0, NULL) < 0 ? -ENOMEM : 0;
    }
    return -ENOENT;
}

int rollout_release_start_live(ro *r)
{
    for (int m = 0; m < r->nmembers; m++) {
        r->members[m].lapses = 0;
        set_assessment(r, m);
    }
    sim_time_t from = sim_world_start(r->w);
    for (int k = 0; k < r->nrels; k++) {
        const ro_release *rel = &r->rels[k];
        for (int v = 0; v < rel->nversions && rel->nupgrade_sites; v++) {
            const ro_event *ev = &r->events[rel->events[v]];
            sim_time_t down = sim_date_time(rollout_date_of_day(r, ev->day)) + rel->upgrade_at;
            if (down < from) continue;
            for (int s = 0; s < rel->nupgrade_sites; s++) {
                sim_node *n = sim_world_find_node(r->w, rel->upgrade_sites[s]);
                if (!n) continue;
                uint64_t tag = (uint64_t)k << 32 | (uint64_t)v << 8;
                if (sim_world_schedule(r->w, down, upgrade_event, r, tag | UPGRADE_DOWN, n->id, NULL) < 0 ||
                    sim_world_schedule(r->w, down + rel->upgrade_for, upgrade_event, r, tag, n->id, NULL) < 0)
                    return -ENOMEM;
            }
        }
    }
    return 0;
}

void rollout_free_release(ro_release *rel)
{
    free(rel->name);
    free(rel->where);
    free(rel->title);
    free(rel->events);
    for (int v = 0; v < rel->nversions; v++) free(rel->versions[v]);
    free(rel->versions);
    free(rel->changed);
    for (int s = 0; s < rel->nupgrade_sites; s++) free(rel->upgrade_sites[s]);
    free(rel->upgrade_sites);
}
