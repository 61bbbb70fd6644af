/* rollout/rollout_report.c - what a rollout rehearsal reports: "schedule" in summary.json (the
 * Gantt rows per wave and per prefecture, milestones, readiness per business day, the
 * critical path, every slip by cause, capacity use), the same as a Lua table for
 * expectations (r.schedule, schedule_result(), schedule_lg()), the printed summary, and one
 * run's record for Monte Carlo.
 *
 * Days in the output are ISO dates. A phase row's "end" is the last working day; an
 * instance's "finish" is the business day from which what depends on it may start. */
#include "rollout/rollout_internal.h"
#include "sim_node.h"

#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------------------- */

void rollout_json_date(ro *r, cJSON *o, const char *key, int day)
{
    if (day < 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    char buf[SIM_DATE_BUFSZ];
    sim_date_format(rollout_date_of_day(r, day), buf, sizeof buf);
    cJSON_AddStringToObject(o, key, buf);
}

static void add_sim_date(cJSON *o, const char *key, sim_date d)
{
    char buf[SIM_DATE_BUFSZ];
    sim_date_format(d, buf, sizeof buf);
    cJSON_AddStringToObject(o, key, buf);
}

/* The last working day of an instance that started on `start` and finished on `finish`. */
static int last_day(int start, int finish)
{
    if (start < 0 || finish < 0) return -1;
    return finish > start ? finish - 1 : start;
}

static const char *state_name(uint8_t s)
{
    static const char *const names[] = {"waiting", "queued", "active", "done"};
    return s <= ST_DONE ? names[s] : "?";
}

static void add_slips(cJSON *o, const char *key, const int s[SLIP_CAUSES])
{
    cJSON *slips = cJSON_AddObjectToObject(o, key);
    for (int c = 0; c < SLIP_CAUSES; c++) cJSON_AddNumberToObject(slips, rollout_slip_names[c], s[c]);
}

/* ---- Gantt rows ------------------------------------------------------------------------ */

typedef struct gantt_row {
    bool by_pref;
    int group;                    /* wave index (nwaves: national) or prefecture number */
    int phase;
    int start, finish, last;      /* earliest start, latest finish and last working day */
    int b_start, b_last;
    int members, started, done;
    int slips[SLIP_CAUSES];
    bool late;                    /* finished after the phase's deadline */
} gantt_row;

static gantt_row *build_rows(ro *r, int *nrows)
{
    int gw = r->nwaves + 1, gp = 48;
    int cells = r->nphases * (gw + gp);
    int *index = malloc((size_t)(cells ? cells : 1) * sizeof *index);
    gantt_row *rows = calloc((size_t)(cells ? cells : 1), sizeof *rows);
    *nrows = 0;
    if (!index || !rows) {
        free(index);
        free(rows);
        return NULL;
    }
    for (int k = 0; k < cells; k++) index[k] = -1;
    for (int i = 0; i < r->ninst; i++) {
        const ro_inst *in = &r->inst[i];
        const ro_phase *ph = &r->phases[in->phase];
        for (int by_pref = 0; by_pref < 2; by_pref++) {
            int g;
            if (ph->scope == SCOPE_LG) g = by_pref ? r->members[in->entity].pref : r->members[in->entity].wave;
            else if (ph->scope == SCOPE_PREF) g = by_pref ? in->entity : -1;
            else if (ph->scope == SCOPE_WAVE) g = by_pref ? -1 : in->entity;
            else g = by_pref ? -1 : r->nwaves;
            if (g < 0) continue;
            int cell = by_pref ? r->nphases * gw + in->phase * gp + g : in->phase * gw + g;
            if (index[cell] < 0) {
                index[cell] = (*nrows)++;
                rows[index[cell]] = (gantt_row){.by_pref = by_pref, .group = g, .phase = in->phase, .start = -1,
                                          .finish = -1, .last = -1, .b_start = -1, .b_last = -1};
            }
            gantt_row *rw = &rows[index[cell]];
            rw->members++;
            if (in->start >= 0) {
                rw->started++;
                if (rw->start < 0 || in->start < rw->start) rw->start = in->start;
            }
            if (in->state == ST_DONE) {
                rw->done++;
                if (in->finish > rw->finish) rw->finish = in->finish;
                int last = last_day(in->start, in->finish);
                if (last > rw->last) rw->last = last;
                if (ph->has_deadline && rollout_date_of_day(r, last) > ph->deadline) rw->late = true;
            }
            if (rw->b_start < 0 || in->b_start < rw->b_start) rw->b_start = in->b_start;
            int b_last = last_day(in->b_start, in->b_finish);
            if (b_last > rw->b_last) rw->b_last = b_last;
            int s[SLIP_CAUSES];
            rollout_inst_slips(r, in, s);
            for (int c = 0; c < SLIP_CAUSES; c++) rw->slips[c] += s[c];
        }
    }
    free(index);
    return rows;
}

static int row_cmp(const void *a, const void *b)
{
    const gantt_row *x = a, *y = b;
    if (x->by_pref != y->by_pref) return x->by_pref - y->by_pref;
    if (x->group != y->group) return x->group - y->group;
    return x->phase - y->phase;
}

static const char *group_name(ro *r, const gantt_row *rw, char buf[40])
{
    if (rw->by_pref) {
        rollout_pref_code(rw->group, buf);
        return buf;
    }
    return rw->group == r->nwaves ? "national" : r->waves[rw->group].name;
}

/* ---- pieces ---------------------------------------------------------------------------- */

static cJSON *inst_json(ro *r, const ro_inst *in)
{
    const ro_phase *ph = &r->phases[in->phase];
    cJSON *o = cJSON_CreateObject();
    char buf[40];
    cJSON_AddStringToObject(o, "phase", ph->name);
    cJSON_AddStringToObject(o, "scope", rollout_scope_name(ph->scope));
    const char *group = rollout_group_of(r, in, ph->scope == SCOPE_PREF, buf);
    cJSON_AddStringToObject(o, "group", group ? group : "");
    cJSON_AddStringToObject(o, "lg", rollout_entity_label(r, in, buf));
    rollout_json_date(r, o, "ready", in->ready);
    rollout_json_date(r, o, "start", in->start);
    rollout_json_date(r, o, "end", in->state == ST_DONE ? last_day(in->start, in->finish) : -1);
    rollout_json_date(r, o, "planned_start", in->b_start);
    rollout_json_date(r, o, "planned_end", last_day(in->b_start, in->b_finish));
    int s[SLIP_CAUSES];
    rollout_inst_slips(r, in, s);
    add_slips(o, "slips", s);
    return o;
}

/* The key of an instance on a critical path, for Monte Carlo's criticality counts. */
static void critical_key(ro *r, int elem, char *out, size_t n)
{
    if (elem < 0) {
        snprintf(out, n, "external:%s", r->events[-elem - 2].name);
        return;
    }
    const ro_inst *in = &r->inst[elem];
    char buf[40];
    const char *group = rollout_group_of(r, in, r->phases[in->phase].scope == SCOPE_PREF, buf);
    snprintf(out, n, "%s@%s", r->phases[in->phase].name, group ? group : "");
}

/* The instance (or -(event + 2)) a milestone's day was decided by, -1 if not reached. */
static int milestone_end(const ro_milestone *m)
{
    if (m->day < 0) return -1;
    if (m->at_inst >= 0) return m->at_inst;
    return m->at_event >= 0 ? -(m->at_event + 2) : -1;
}

static cJSON *path_json(ro *r, int end, const char **via_out)
{
    cJSON *arr = cJSON_CreateArray();
    *via_out = "start";
    int *path = NULL, n = 0;
    if (end >= 0) {
        n = rollout_critical_path(r, end, &path, via_out);
    } else if (end < -1) {
        path = malloc(sizeof *path);
        if (path) {
            path[0] = end;
            n = 1;
        }
        *via_out = "external";
    }
    for (int k = 0; k < n; k++) {
        if (path[k] >= 0) {
            cJSON_AddItemToArray(arr, inst_json(r, &r->inst[path[k]]));
            continue;
        }
        const ro_event *ev = &r->events[-path[k] - 2];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "external", ev->name);
        rollout_json_date(r, o, "date", ev->day);
        rollout_json_date(r, o, "planned", ev->plan_day);
        cJSON_AddNumberToObject(o, "late", ev->late_days);
        cJSON_AddItemToArray(arr, o);
    }
    free(path);
    return arr;
}

static int critical_milestone(ro *r)
{
    if (r->critical)
        for (int k = 0; k < r->nms; k++)
            if (strcmp(r->ms[k].name, r->critical) == 0) return k;
    return r->nms - 1;
}

/* The end of the schedule's critical path: the chosen milestone's, else the instance that
 * finished last. */
static int schedule_end(ro *r)
{
    int k = critical_milestone(r);
    if (k >= 0) return milestone_end(&r->ms[k]);
    int best = -1;
    for (int i = 0; i < r->ninst; i++)
        if (r->inst[i].state == ST_DONE && (best < 0 || r->inst[i].finish > r->inst[best].finish)) best = i;
    return best;
}

typedef struct slip_entry {
    int inst;                     /* or -(event + 2) */
    int cause, days;
} slip_entry;

static int slip_cmp(const void *a, const void *b)
{
    const slip_entry *x = a, *y = b;
    if (x->days != y->days) return y->days - x->days;
    if (x->inst != y->inst) return x->inst - y->inst;
    return x->cause - y->cause;
}

/* Every slip at its root: an instance's own capacity waits, outages, redo and overruns, and
 * each external event that came late (a dependency slip of everything after it). */
static slip_entry *root_slips(ro *r, int *n, int64_t totals[SLIP_CAUSES])
{
    memset(totals, 0, SLIP_CAUSES * sizeof *totals);
    int cap = r->nevents + 64, count = 0;
    slip_entry *v = malloc((size_t)cap * sizeof *v);
    if (!v) {
        *n = 0;
        return NULL;
    }
    for (int e = 0; e < r->nevents; e++)
        if (r->events[e].day > r->events[e].plan_day)
            v[count++] = (slip_entry){-(e + 2), SLIP_DEPENDENCY, r->events[e].day - r->events[e].plan_day};
    for (int i = 0; i < r->ninst; i++) {
        int s[SLIP_CAUSES];
        rollout_inst_slips(r, &r->inst[i], s);
        for (int c = 0; c < SLIP_CAUSES; c++) {
            totals[c] += s[c];
            if (c == SLIP_DEPENDENCY || s[c] <= 0) continue;
            if (count == cap) {
                slip_entry *p = realloc(v, (size_t)(cap *= 2) * sizeof *p);
                if (!p) break;
                v = p;
            }
            v[count++] = (slip_entry){i, c, s[c]};
        }
    }
    qsort(v, (size_t)count, sizeof *v, slip_cmp);
    *n = count;
    return v;
}

static cJSON *milestone_json(ro *r, ro_milestone *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", m->name);
    add_sim_date(o, "target", m->target);
    rollout_json_date(r, o, "date", m->day);
    bool met = m->day >= 0 && rollout_date_of_day(r, m->day) <= m->target;
    cJSON_AddBoolToObject(o, "met", met);
    cJSON_AddNumberToObject(o, "p_meet", met ? 1 : 0);
    rollout_json_date(r, o, "p50", m->day);
    rollout_json_date(r, o, "p90", m->day);
    rollout_json_date(r, o, "planned", m->plan_day);
    bool planned_met = m->plan_day >= 0 && rollout_date_of_day(r, m->plan_day) <= m->target;
    cJSON_AddBoolToObject(o, "planned_met", planned_met);
    if (m->day >= 0) {
        int target_day = rollout_day_of_date(r, m->target);
        cJSON_AddNumberToObject(o, "days_late", m->day - target_day);
    }
    cJSON_AddNumberToObject(o, "share", m->share);
    if (m->wave) cJSON_AddStringToObject(o, "wave", m->wave);
    const char *via;
    cJSON_AddItemToObject(o, "critical_path", path_json(r, milestone_end(m), &via));
    cJSON_AddStringToObject(o, "critical_from", via);
    return o;
}

static void readiness_json(ro *r, cJSON *root)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "readiness");
    int cols = r->nlg_phases + 3;
    for (int d = 0; d < r->nreadiness; d++) {
        const int32_t *row = &r->readiness[(size_t)d * (size_t)cols];
        cJSON *o = cJSON_CreateObject();
        rollout_json_date(r, o, "date", d);
        cJSON *counts = cJSON_AddObjectToObject(o, "counts");
        for (int c = 0; c < r->nlg_phases; c++) cJSON_AddNumberToObject(counts, r->phases[r->lg_phases[c]].name, row[c]);
        cJSON_AddNumberToObject(counts, "not_started", row[r->nlg_phases]);
        cJSON_AddNumberToObject(counts, "waiting", row[r->nlg_phases + 1]);
        cJSON_AddNumberToObject(counts, "live", row[r->nlg_phases + 2]);
        cJSON_AddItemToArray(arr, o);
    }
}

static int count_live(ro *r, int *last)
{
    int live = 0;
    *last = -1;
    for (int m = 0; m < r->nmembers; m++)
        if (r->members[m].live_day >= 0) {
            live++;
            if (r->members[m].live_day > *last) *last = r->members[m].live_day;
        }
    return live;
}

/* The whole "schedule" object, with at most `listed` entries in "slips". */
static cJSON *schedule_json(ro *r, int listed)
{
    cJSON *s = cJSON_CreateObject();
    add_sim_date(s, "start", r->start_date);
    rollout_json_date(r, s, "today", r->today > 0 ? r->today - 1 : -1);
    cJSON_AddBoolToObject(s, "complete", r->done);
    cJSON_AddNumberToObject(s, "members", r->nmembers);
    int last;
    cJSON_AddNumberToObject(s, "live", count_live(r, &last));
    rollout_json_date(r, s, "last_live", last);
    cJSON *waves = cJSON_AddArrayToObject(s, "waves");
    for (int w = 0; w < r->nwaves; w++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", r->waves[w].name);
        cJSON_AddNumberToObject(o, "members", r->waves[w].nmembers);
        cJSON_AddItemToArray(waves, o);
    }
    cJSON *tests = cJSON_AddObjectToObject(s, "test_inquiries");
    cJSON_AddNumberToObject(tests, "sent", (double)r->inquiries);
    cJSON_AddNumberToObject(tests, "failed", (double)r->inquiries_failed);

    int nrows;
    gantt_row *rows = build_rows(r, &nrows);
    if (rows) qsort(rows, (size_t)nrows, sizeof *rows, row_cmp);
    cJSON *phases = cJSON_AddArrayToObject(s, "phases");
    for (int k = 0; rows && k < nrows; k++) {
        const gantt_row *rw = &rows[k];
        const ro_phase *ph = &r->phases[rw->phase];
        cJSON *o = cJSON_CreateObject();
        char buf[40];
        cJSON_AddStringToObject(o, "group", group_name(r, rw, buf));
        cJSON_AddStringToObject(o, "by", rw->by_pref ? "prefecture" : "wave");
        cJSON_AddStringToObject(o, "phase", ph->name);
        cJSON_AddStringToObject(o, "scope", rollout_scope_name(ph->scope));
        rollout_json_date(r, o, "start", rw->start);
        rollout_json_date(r, o, "end", rw->done == rw->members ? rw->last : -1);
        cJSON_AddNumberToObject(o, "members", rw->members);
        cJSON_AddNumberToObject(o, "started", rw->started);
        cJSON_AddNumberToObject(o, "done", rw->done);
        rollout_json_date(r, o, "planned_start", rw->b_start);
        rollout_json_date(r, o, "planned_end", rw->b_last);
        if (ph->has_deadline) {
            add_sim_date(o, "deadline", ph->deadline);
            cJSON_AddBoolToObject(o, "late", rw->late);
        }
        add_slips(o, "slips", rw->slips);
        cJSON_AddItemToArray(phases, o);
    }
    free(rows);

    cJSON *ms = cJSON_AddArrayToObject(s, "milestones");
    for (int k = 0; k < r->nms; k++) cJSON_AddItemToArray(ms, milestone_json(r, &r->ms[k]));
    readiness_json(r, s);
    const char *via;
    cJSON_AddItemToObject(s, "critical_path", path_json(r, schedule_end(r), &via));
    cJSON_AddStringToObject(s, "critical_from", via);
    int k = critical_milestone(r);
    if (k >= 0) cJSON_AddStringToObject(s, "critical_to", r->ms[k].name);

    int n;
    int64_t totals[SLIP_CAUSES];
    slip_entry *slips = root_slips(r, &n, totals);
    cJSON *days = cJSON_AddObjectToObject(s, "slip_days");
    for (int c = 0; c < SLIP_CAUSES; c++) cJSON_AddNumberToObject(days, rollout_slip_names[c], (double)totals[c]);
    cJSON *arr = cJSON_AddArrayToObject(s, "slips");
    for (int i = 0; slips && i < n && i < listed; i++) {
        cJSON *o = cJSON_CreateObject();
        char buf[40];
        if (slips[i].inst < 0) {
            cJSON_AddStringToObject(o, "lg", "external");
            cJSON_AddStringToObject(o, "phase", r->events[-slips[i].inst - 2].name);
        } else {
            const ro_inst *in = &r->inst[slips[i].inst];
            cJSON_AddStringToObject(o, "lg", rollout_entity_label(r, in, buf));
            cJSON_AddStringToObject(o, "phase", r->phases[in->phase].name);
        }
        cJSON_AddStringToObject(o, "cause", rollout_slip_names[slips[i].cause]);
        cJSON_AddNumberToObject(o, "days", slips[i].days);
        cJSON_AddItemToArray(arr, o);
    }
    cJSON_AddNumberToObject(s, "slips_total", n);
    free(slips);

    cJSON *caps = cJSON_AddArrayToObject(s, "capacity");
    for (int c = 0; c < r->ncaps; c++) {
        const ro_capacity *cap = &r->caps[c];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", cap->name);
        cJSON_AddStringToObject(o, "per", rollout_scope_name(cap->per));
        cJSON_AddBoolToObject(o, "daily", cap->daily);
        bool exceeded = false;
        cJSON *pools = cJSON_AddArrayToObject(o, "pools");
        for (int p = cap->first_pool; p < cap->first_pool + cap->npools; p++) {
            const ro_pool *pool = &r->pools[p];
            cJSON *po = cJSON_CreateObject();
            cJSON_AddStringToObject(po, "key", pool->key);
            cJSON_AddNumberToObject(po, "units", pool->units);
            cJSON_AddNumberToObject(po, "peak", pool->peak);
            cJSON_AddNumberToObject(po, "wait_days", (double)pool->wait_days);
            exceeded |= pool->peak > pool->units;
            cJSON_AddItemToArray(pools, po);
        }
        cJSON_AddBoolToObject(o, "exceeded", exceeded);
        cJSON_AddItemToArray(caps, o);
    }
    cJSON *evs = cJSON_AddArrayToObject(s, "external");
    for (int e = 0; e < r->nevents; e++) {
        const ro_event *ev = &r->events[e];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", ev->name);
        rollout_json_date(r, o, "planned", ev->plan_day);
        rollout_json_date(r, o, "date", ev->day);
        cJSON_AddNumberToObject(o, "late", ev->late_days);
        cJSON_AddItemToArray(evs, o);
    }
    rollout_release_json(r, s);
    return s;
}

void rollout_json(sim_world *w, cJSON *root)
{
    ro *r = rollout_of_world(w);
    if (!r || !r->prepared) return;
    cJSON_AddItemToObject(root, "schedule", schedule_json(r, r->slips_listed));
}

/* ---- Lua ------------------------------------------------------------------------------- */

static void push_json(lua_State *L, const cJSON *j)
{
    if (cJSON_IsBool(j)) {
        lua_pushboolean(L, cJSON_IsTrue(j));
    } else if (cJSON_IsNumber(j)) {
        double v = j->valuedouble;
        if (v == floor(v) && fabs(v) < 9e15) lua_pushinteger(L, (lua_Integer)v);
        else lua_pushnumber(L, v);
    } else if (cJSON_IsString(j)) {
        lua_pushstring(L, j->valuestring);
    } else if (cJSON_IsArray(j)) {
        lua_createtable(L, cJSON_GetArraySize(j), 0);
        int i = 0;
        for (const cJSON *e = j->child; e; e = e->next) {
            push_json(L, e);
            lua_rawseti(L, -2, ++i);
        }
    } else if (cJSON_IsObject(j)) {
        lua_createtable(L, 0, 8);
        for (const cJSON *e = j->child; e; e = e->next) {
            if (cJSON_IsNull(e)) continue;
            push_json(L, e);
            lua_setfield(L, -2, e->string);
        }
    } else {
        lua_pushnil(L);
    }
}

static int push_json_protected(lua_State *L)
{
    lua_checkstack(L, 64);
    push_json(L, lua_touserdata(L, 1));
    return 1;
}

/* Push a cJSON tree as Lua tables and free it. Building the tables may raise (memory): it
 * runs protected so the tree is freed either way, then the error goes on. */
static void push_and_free(lua_State *L, cJSON *tree)
{
    lua_pushcfunction(L, push_json_protected);
    lua_pushlightuserdata(L, tree);
    int rc = lua_pcall(L, 1, 1, 0);
    cJSON_Delete(tree);
    if (rc != LUA_OK) lua_error(L);
}

/* r.schedule: summary.json's "schedule", with milestones keyed by name and every slip. */
void rollout_push_result(lua_State *L, ro *r)
{
    cJSON *s = schedule_json(r, INT32_MAX);
    cJSON *ms = cJSON_DetachItemFromObject(s, "milestones");
    cJSON *byname = cJSON_AddObjectToObject(s, "milestones");
    while (ms && ms->child) {
        cJSON *m = cJSON_DetachItemFromArray(ms, 0);
        cJSON_AddItemToObject(byname, cJSON_GetObjectItem(m, "name")->valuestring, m);
    }
    cJSON_Delete(ms);
    push_and_free(L, s);
}

int rollout_push_member(lua_State *L, ro *r, int mi)
{
    const ro_member *m = &r->members[mi];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "code", m->code);
    cJSON_AddStringToObject(o, "wave", r->waves[m->wave].name);
    char pref[8];
    rollout_pref_code(m->pref, pref);
    cJSON_AddStringToObject(o, "prefecture", pref);
    cJSON_AddStringToObject(o, "site", sim_world_node(r->w, m->site)->name);
    rollout_json_date(r, o, "live", m->live_day);
    cJSON *phases = cJSON_AddObjectToObject(o, "phases");
    for (int p = 0; p < r->nphases; p++) {
        int i = r->phases[p].inst_of_member ? r->phases[p].inst_of_member[mi] : -1;
        if (i < 0) continue;
        const ro_inst *in = &r->inst[i];
        cJSON *e = inst_json(r, in);
        cJSON_AddStringToObject(e, "state", state_name(in->state));
        rollout_json_date(r, e, "finish", in->state == ST_DONE ? in->finish : -1);
        rollout_json_date(r, e, "planned_finish", in->b_finish);
        cJSON_AddNumberToObject(e, "days", in->need);
        cJSON_AddNumberToObject(e, "planned_days", in->plan_need);
        if (in->pool >= 0) {
            cJSON_AddStringToObject(e, "uses", r->caps[r->pools[in->pool].cap].name);
            cJSON_AddNumberToObject(e, "units", r->phases[p].uses_units);
            cJSON_AddStringToObject(e, "pool", r->pools[in->pool].key);
        }
        if (in->slot_pool >= 0) {
            cJSON_AddStringToObject(e, "slots", r->caps[r->pools[in->slot_pool].cap].name);
            cJSON_AddStringToObject(e, "slot_pool", r->pools[in->slot_pool].key);
        }
        rollout_json_date(r, e, "earliest", in->earliest);
        if (r->phases[p].bulk) {   /* bulk code acquisition: persons, and what is left of them */
            cJSON_AddNumberToObject(e, "persons", (double)in->persons);
            cJSON_AddNumberToObject(e, "persons_left", (double)in->persons_left);
            cJSON_AddNumberToObject(e, "persons_per_day", (double)r->bulk_per_day);
        }
        if (r->phases[p].tests) {
            cJSON_AddNumberToObject(e, "inquiries", r->phases[p].inquiries);
            cJSON *days = cJSON_AddArrayToObject(e, "test_days");
            for (int k = 0; k < in->ntest_days; k++) {
                char buf[SIM_DATE_BUFSZ];
                sim_date_format(rollout_date_of_day(r, in->test_days[k]), buf, sizeof buf);
                cJSON_AddItemToArray(days, cJSON_CreateString(buf));
            }
        }
        cJSON *deps = cJSON_AddArrayToObject(e, "after");
        for (int k = 0; k < in->ndeps; k++) {
            char buf[40];
            const ro_inst *dep = &r->inst[in->deps[k]];
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "phase", r->phases[dep->phase].name);
            cJSON_AddStringToObject(d, "lg", rollout_entity_label(r, dep, buf));
            rollout_json_date(r, d, "finish", dep->state == ST_DONE ? dep->finish : -1);
            cJSON_AddItemToArray(deps, d);
        }
        for (int k = 0; k < in->nevs; k++) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "external", r->events[in->evs[k]].name);
            rollout_json_date(r, d, "finish", r->events[in->evs[k]].day);
            cJSON_AddItemToArray(deps, d);
        }
        cJSON_AddItemToObject(phases, r->phases[p].name, e);
    }
    push_and_free(L, o);
    return 1;
}

/* ---- printed summary ------------------------------------------------------------------- */

static void thousands(char *buf, size_t n, int64_t v)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
    size_t j = 0;
    if (v < 0 && j + 1 < n) buf[j++] = '-';
    for (int i = 0; i < len && j + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0) buf[j++] = ',';
        buf[j++] = digits[i];
    }
    buf[j] = '\0';
}

static void print_readiness_row(ro *r, FILE *out, int d)
{
    int cols = r->nlg_phases + 3;
    const int32_t *row = &r->readiness[(size_t)d * (size_t)cols];
    char date[SIM_DATE_BUFSZ], num[32];
    sim_date_format(rollout_date_of_day(r, d), date, sizeof date);
    fprintf(out, "    %s ", date);
    for (int c = 0; c < r->nlg_phases; c++) {
        if (!row[c]) continue;
        thousands(num, sizeof num, row[c]);
        fprintf(out, " %s %s,", r->phases[r->lg_phases[c]].name, num);
    }
    if (row[r->nlg_phases]) {
        thousands(num, sizeof num, row[r->nlg_phases]);
        fprintf(out, " not started %s,", num);
    }
    thousands(num, sizeof num, row[r->nlg_phases + 1]);
    fprintf(out, " waiting %s,", num);
    thousands(num, sizeof num, row[r->nlg_phases + 2]);
    fprintf(out, " live %s\n", num);
}

void rollout_print(sim_world *w, FILE *out)
{
    ro *r = rollout_of_world(w);
    if (!r || !r->prepared) return;
    char a[32], b[32], c[32];
    int last;
    int live = count_live(r, &last);
    thousands(a, sizeof a, r->nmembers);
    thousands(b, sizeof b, r->ninst);
    const char *state = r->done ? "complete" : "not complete at the end of the run";
    if (r->nmembers == 0) {
        fprintf(out, "  schedule   %d phase(s), %s instance(s); %s\n", r->nphases, b, state);
    } else {
        fprintf(out, "  schedule   %s local governments in %d wave(s), %d phase(s), %s instances; %s\n", a,
                r->nwaves, r->nphases, b, state);
        thousands(a, sizeof a, live);
        thousands(b, sizeof b, (int64_t)r->inquiries);
        thousands(c, sizeof c, (int64_t)r->inquiries_failed);
        char when[SIM_DATE_BUFSZ] = "-";
        if (last >= 0) sim_date_format(rollout_date_of_day(r, last), when, sizeof when);
        fprintf(out, "             %s ready for the live network (the last on %s); %s test inquiries, %s failed\n", a,
                when, b, c);
    }
    if (r->nms) fprintf(out, "  milestones                          target      reached     planned\n");
    for (int k = 0; k < r->nms; k++) {
        ro_milestone *m = &r->ms[k];
        char target[SIM_DATE_BUFSZ], got[16] = "not reached", plan[SIM_DATE_BUFSZ] = "-";
        sim_date_format(m->target, target, sizeof target);
        if (m->day >= 0) sim_date_format(rollout_date_of_day(r, m->day), got, sizeof got);
        if (m->plan_day >= 0) sim_date_format(rollout_date_of_day(r, m->plan_day), plan, sizeof plan);
        bool met = m->day >= 0 && rollout_date_of_day(r, m->day) <= m->target;
        fprintf(out, "  %s %-30.30s %s  %-11s %s", met ? "  met " : "  LATE", m->name, target, got, plan);
        if (m->day >= 0 && !met)
            fprintf(out, "  (%d business days late)", m->day - rollout_day_of_date(r, m->target));
        fprintf(out, "\n");
    }
    if (r->nreadiness && r->nmembers) {
        fprintf(out, "  readiness  (local governments in each phase; a quarter apart, then the last day)\n");
        int shown = -1, prev_month = 0;
        for (int d = 0; d < r->nreadiness; d++) {
            int month;
            sim_date_ymd(rollout_date_of_day(r, d), NULL, &month, NULL);
            if (d == 0 || (month != prev_month && (month - 1) % 3 == 0)) {
                print_readiness_row(r, out, d);
                shown = d;
            }
            prev_month = month;
        }
        if (shown != r->nreadiness - 1) print_readiness_row(r, out, r->nreadiness - 1);
    }
    int end = schedule_end(r);
    int k = critical_milestone(r);
    if (end != -1) {
        int *path = NULL, n = 0;
        const char *via = "start";
        if (end >= 0) n = rollout_critical_path(r, end, &path, &via);
        const char *from = strcmp(via, "not_before") == 0 ? "a not-before date"
                           : strcmp(via, "external") == 0 ? "an external event" : "the start of the schedule";
        fprintf(out, "  critical path%s%s%s (it begins at %s)\n", k >= 0 ? " to '" : "", k >= 0 ? r->ms[k].name : "",
                k >= 0 ? "'" : "", from);
        if (end < -1) {
            const ro_event *ev = &r->events[-end - 2];
            sim_date_format(rollout_date_of_day(r, ev->day), a, sizeof a);
            fprintf(out, "    external %s on %s (%d business days late)\n", ev->name, a, ev->late_days);
        }
        for (int i = 0; i < n; i++) {
            if (path[i] < 0) {
                const ro_event *ev = &r->events[-path[i] - 2];
                sim_date_format(rollout_date_of_day(r, ev->day), a, sizeof a);
                fprintf(out, "    external %-24s on %s (%d business days late)\n", ev->name, a, ev->late_days);
                continue;
            }
            const ro_inst *in = &r->inst[path[i]];
            char buf[40], s1[SIM_DATE_BUFSZ] = "-", s2[SIM_DATE_BUFSZ] = "-";
            if (in->start >= 0) sim_date_format(rollout_date_of_day(r, in->start), s1, sizeof s1);
            if (in->state == ST_DONE) sim_date_format(rollout_date_of_day(r, last_day(in->start, in->finish)), s2, sizeof s2);
            int s[SLIP_CAUSES];
            rollout_inst_slips(r, in, s);
            fprintf(out, "    %-24s %-10s %s .. %s", r->phases[in->phase].name, rollout_entity_label(r, in, buf), s1, s2);
            bool any = false;
            for (int cidx = SLIP_CAPACITY; cidx < SLIP_CAUSES; cidx++)
                if (s[cidx]) {
                    fprintf(out, "%s%s %d", any ? ", " : "  (", rollout_slip_names[cidx], s[cidx]);
                    any = true;
                }
            fprintf(out, "%s\n", any ? ")" : "");
        }
        free(path);
    }
    int n;
    int64_t totals[SLIP_CAUSES];
    slip_entry *slips = root_slips(r, &n, totals);
    fprintf(out, "  slips      business days by cause:");
    for (int cidx = 0; cidx < SLIP_CAUSES; cidx++) {
        thousands(a, sizeof a, totals[cidx]);
        fprintf(out, "%s %s %s", cidx ? "," : "", rollout_slip_names[cidx], a);
    }
    fprintf(out, "\n");
    for (int cidx = 0; cidx < SLIP_CAUSES; cidx++) {   /* the largest of each cause (sorted: the first) */
        int i = 0;
        while (slips && i < n && slips[i].cause != cidx) i++;
        if (!slips || i == n) continue;
        char buf[40];
        const char *who, *what;
        if (slips[i].inst < 0) {
            who = "external";
            what = r->events[-slips[i].inst - 2].name;
        } else {
            who = rollout_entity_label(r, &r->inst[slips[i].inst], buf);
            what = r->phases[r->inst[slips[i].inst].phase].name;
        }
        int same = 0;
        for (int e = 0; e < n; e++) same += slips[e].cause == cidx;
        fprintf(out, "    largest %-10s %-10s %-24s %d business days (%d slip%s of this cause)\n", rollout_slip_names[cidx], who,
                what, slips[i].days, same, same == 1 ? "" : "s");
    }
    free(slips);
    for (int cidx = 0; cidx < r->ncaps; cidx++) {
        const ro_capacity *cap = &r->caps[cidx];
        int peak = 0, units = 0;
        int64_t wait = 0;
        for (int p = cap->first_pool; p < cap->first_pool + cap->npools; p++) {
            if (r->pools[p].peak * (units ? units : 1) >= peak * (r->pools[p].units ? r->pools[p].units : 1)) {
                peak = r->pools[p].peak;
                units = r->pools[p].units;
            }
            wait += r->pools[p].wait_days;
        }
        thousands(a, sizeof a, wait);
        fprintf(out, "  capacity   %-20s per %-10s busiest pool %d of %d %s, %s days waited\n", cap->name,
                rollout_scope_name(cap->per), peak, units, cap->daily ? "slots a day" : "units", a);
    }
    rollout_release_print(r, out);
}

/* ---- Monte Carlo record ---------------------------------------------------------------- */

static void add_input(cJSON *inputs, const char *kind, const char *name, const char *wave, double v)
{
    char key[256];
    snprintf(key, sizeof key, "%s:%s%s%s", kind, name, wave ? "@" : "", wave ? wave : "");
    cJSON_AddNumberToObject(inputs, key, v);
}

cJSON *rollout_record(sim_world *w)
{
    ro *r = rollout_of_world(w);
    if (!r || !r->prepared) return NULL;
    cJSON *rec = cJSON_CreateObject();
    cJSON *ms = cJSON_AddArrayToObject(rec, "milestones");
    for (int k = 0; k < r->nms; k++) {
        ro_milestone *m = &r->ms[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", m->name);
        add_sim_date(o, "target", m->target);
        cJSON_AddNumberToObject(o, "target_day", rollout_day_of_date(r, m->target));
        if (m->day >= 0) cJSON_AddNumberToObject(o, "day", m->day);
        else cJSON_AddNullToObject(o, "day");
        rollout_json_date(r, o, "date", m->day);
        rollout_json_date(r, o, "planned", m->plan_day);
        cJSON *crit = cJSON_AddArrayToObject(o, "critical");
        int end = milestone_end(m);
        int *path = NULL, n = 0;
        const char *via;
        if (end >= 0) n = rollout_critical_path(r, end, &path, &via);
        else if (end < -1) {
            char key[160];
            critical_key(r, end, key, sizeof key);
            cJSON_AddItemToArray(crit, cJSON_CreateString(key));
        }
        for (int i = 0; i < n; i++) {
            char key[160];
            critical_key(r, path[i], key, sizeof key);
            cJSON_AddItemToArray(crit, cJSON_CreateString(key));
        }
        free(path);
        cJSON_AddItemToArray(ms, o);
    }
    cJSON_AddNumberToObject(rec, "today", r->today);
    cJSON *inputs = cJSON_AddObjectToObject(rec, "inputs");
    for (int p = 0; p < r->nphases; p++) {
        const ro_phase *ph = &r->phases[p];
        if (ph->ninst && rollout_dist_random(&ph->dur)) {
            add_input(inputs, "duration", ph->name, NULL, ph->sum_draw / ph->ninst);
            double longest = 0;   /* "every body done" milestones follow the tail, not the mean */
            for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++)
                if (r->inst[i].draw > longest) longest = r->inst[i].draw;
            if (ph->ninst > 1) add_input(inputs, "longest", ph->name, NULL, longest);
            if (ph->scope == SCOPE_LG && r->nwaves > 1)
                for (int wv = 0; wv < r->nwaves; wv++) {
                    double sum = 0;
                    int cnt = 0;
                    for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++)
                        if (r->members[r->inst[i].entity].wave == wv) {
                            sum += r->inst[i].draw;
                            cnt++;
                        }
                    if (cnt) add_input(inputs, "duration", ph->name, r->waves[wv].name, sum / cnt);
                }
        }
        if (ph->ninst && ph->redo_p > 0) {
            int redone = 0;
            for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) redone += r->inst[i].redone;
            add_input(inputs, "redo", ph->name, NULL, redone);
        }
        if (ph->ninst && ph->tests) {
            int outage = 0;
            for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) outage += r->inst[i].outage;
            add_input(inputs, "outage", ph->name, NULL, outage);
        }
    }
    for (int e = 0; e < r->nevents; e++)
        if (rollout_dist_random(&r->events[e].late)) add_input(inputs, "late", r->events[e].name, NULL, r->events[e].late_days);
    for (int c = 0; c < r->ncaps; c++) {
        int64_t wait = 0;
        for (int p = r->caps[c].first_pool; p < r->caps[c].first_pool + r->caps[c].npools; p++) wait += r->pools[p].wait_days;
        add_input(inputs, "capacity", r->caps[c].name, NULL, (double)wait);
    }
    rollout_release_record(r, inputs);
    return rec;
}
