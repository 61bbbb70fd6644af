/* rollout/rollout.c - the schedule engine of rollout rehearsal: the planned pass and the live
 * pass, one business day at a time, milestones, the critical path and slips.
 *
 * The *planned pass* runs the plan with the planned durations, no redo and tests that always
 * pass, before the run. The *live pass* then runs in the world: one event per business day
 * at opening time (step()), and the connection tests are real inquiries through the twin,
 * whose outcomes arrive through the domain's flow-end listener. Slips are the differences
 * between the two passes, by cause: dependency (ready later than planned), capacity (waited
 * longer than planned for units or test slots), overrun (drawn longer than planned), outage
 * (a test day lost to a failed inquiry) and redo (work done again).
 *
 * The plan itself (names, members, instances, dependencies, pools, draws) is built by
 * rollout/rollout_plan.c. */
#include "rollout/rollout_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds/kinds.h"
#include "sim_world.h"

const char *const rollout_slip_names[SLIP_CAUSES] = {"dependency", "capacity", "redo", "outage", "overrun", "rework", "gate"};

/* ---- distributions --------------------------------------------------------------------- */

double rollout_dist_draw(const ro_dist *d, sim_rng *r)
{
    double u = sim_rng_uniform(r), v = sim_rng_uniform(r);
    switch (d->kind) {
    case DIST_TRIANGULAR: {
        double lo = d->a, mode = d->b, hi = d->c;
        if (hi <= lo) return lo;
        double f = (mode - lo) / (hi - lo);
        return u < f ? lo + sqrt(u * (hi - lo) * (mode - lo)) : hi - sqrt((1 - u) * (hi - lo) * (hi - mode));
    }
    case DIST_LOGNORMAL: {
        /* Box-Muller on u, v; 1 - u keeps the logarithm finite */
        double z = sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
        return exp(d->a + d->b * z);
    }
    case DIST_UNIFORM: return d->a + (d->b - d->a) * u;
    default: return d->a;
    }
}

double rollout_dist_plan(const ro_dist *d)
{
    switch (d->kind) {
    case DIST_TRIANGULAR: return d->b;
    case DIST_LOGNORMAL: return exp(d->a);
    case DIST_UNIFORM: return (d->a + d->b) / 2;
    default: return d->a;
    }
}

bool rollout_dist_random(const ro_dist *d)
{
    switch (d->kind) {
    case DIST_TRIANGULAR: return d->c > d->a;
    case DIST_LOGNORMAL: return d->b > 0;
    case DIST_UNIFORM: return d->b > d->a;
    default: return false;
    }
}

const char *rollout_scope_name(ro_scope s)
{
    static const char *const names[] = {"lg", "prefecture", "wave", "national", "site"};
    return s <= SCOPE_SITE ? names[s] : "?";
}

/* ---- days ------------------------------------------------------------------------------ */

static void grow_days(ro *r, int upto)
{
    while (r->ndays <= upto) {
        if (r->ndays == r->cap_days) {
            int cap = r->cap_days ? r->cap_days * 2 : 1024;
            sim_date *p = realloc(r->days, (size_t)cap * sizeof *p);
            if (!p) abort();   /* a few kilobytes; nothing sensible to do without them */
            r->days = p;
            r->cap_days = cap;
        }
        sim_date next = r->ndays ? r->days[r->ndays - 1] + 1 : r->start_date;
        r->days[r->ndays++] = sim_calendar_next_business_day(&r->cal, next);
    }
}

sim_date rollout_date_of_day(ro *r, int day)
{
    if (day < 0) day = 0;
    grow_days(r, day);
    return r->days[day];
}

int rollout_day_of_date(ro *r, sim_date d)
{
    grow_days(r, 0);
    if (d <= r->days[0]) return 0;
    while (r->days[r->ndays - 1] < d) grow_days(r, r->ndays * 2);
    int lo = 0, hi = r->ndays - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (r->days[mid] < d) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/* ---- the passes ------------------------------------------------------------------------ */

static void trace(ro *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace(ro *r, const char *fmt, ...)
{
    if (!r->live) return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sim_world_log(r->w, "rollout", text);
}

static void reset_pass(ro *r, bool live)
{
    r->live = live;
    r->today = 0;
    r->remaining = r->ninst;
    r->done = false;
    r->ntesting = 0;
    r->ntests = 0;
    r->nreadiness = 0;
    r->nact = r->ncand = r->nque = 0;
    r->busy = r->fresh = r->nlive = 0;
    for (int p = 0; p < r->npools; p++) {
        r->pools[p].used = r->pools[p].peak = 0;
        r->pools[p].wait_days = 0;
    }
    for (int c = 0; c < r->nlg_phases; c++) r->phase_active[c] = 0;
    for (int m = 0; m < r->nmembers; m++) {
        ro_member *mm = &r->members[m];
        mm->live_day = mm->nlg ? -1 : 0;
        mm->nlg_done = mm->nbusy = mm->nstarted = 0;
        if (mm->nlg) r->fresh++;
        else r->nlive++;
    }
    for (int k = 0; k < r->nms; k++) {
        r->ms[k].day = -1;
        r->ms[k].ndone = 0;
    }
    for (int i = 0; i < r->ninst; i++) {
        ro_inst *in = &r->inst[i];
        in->state = ST_WAITING;
        in->redone = false;
        in->left = in->ndeps;
        in->ready = in->start = in->finish = -1;
        in->progress = in->cap_wait = in->outage = in->redo_days = 0;
        in->test_day = -1;
        in->test_pending = in->test_failed = 0;
        in->ntest_days = 0;
        in->rework_days = 0;
        in->persons_left = in->persons;
    }
    for (int k = 0; k < r->ninst; k++)
        if (r->inst[r->topo[k]].ndeps == 0) r->cand[r->ncand++] = r->topo[k];
}

/* Days of work: drawn (live) or planned, with the rework of this pass, and in the live pass
 * the failed catalogue runs of a gate. */
static int need_of(const ro *r, const ro_inst *in)
{
    return (r->live ? in->need + in->gate_days : in->plan_need) + in->rework_days;
}

/* Readiness counters: an lg instance left WAITING (it is queued or active). */
static void left_waiting(ro *r, ro_inst *in)
{
    const ro_phase *ph = &r->phases[in->phase];
    if (ph->scope != SCOPE_LG) return;
    ro_member *m = &r->members[in->entity];
    r->phase_active[ph->column]++;
    if (m->nbusy++ == 0) r->busy++;
    if (m->nstarted++ == 0) r->fresh--;
}

static void finish(ro *r, int i, int d)
{
    ro_inst *in = &r->inst[i];
    ro_phase *ph = &r->phases[in->phase];
    in->state = ST_DONE;
    in->finish = d;
    r->remaining--;
    if (in->pool >= 0 && !r->caps[r->pools[in->pool].cap].daily) r->pools[in->pool].used -= ph->uses_units;
    if (r->live) rollout_release_finished(r, i);
    for (int k = 0; k < in->nusers; k++) {
        int u = in->users[k];
        if (--r->inst[u].left == 0) r->cand[r->ncand++] = u;
    }
    for (int k = 0; k < r->nms && k < 64; k++)
        if (in->ms_mask & (UINT64_C(1) << k)) r->ms[k].ndone++;
    char buf[40];
    if (ph->scope == SCOPE_LG) {
        ro_member *m = &r->members[in->entity];
        r->phase_active[ph->column]--;
        if (--m->nbusy == 0) r->busy--;
        if (++m->nlg_done == m->nlg) {
            m->live_day = d;
            r->nlive++;
            trace(r, "%s is ready for the live network", m->code);
        }
    }
    trace(r, "finish %s %s", ph->name, rollout_entity_label(r, in, buf));
}

static void start(ro *r, int i, int d)
{
    ro_inst *in = &r->inst[i];
    if (in->state == ST_WAITING) left_waiting(r, in);
    in->state = ST_ACTIVE;
    in->start = d;
    r->act[r->nact++] = i;
    char buf[40];
    trace(r, "start %s %s", r->phases[in->phase].name, rollout_entity_label(r, in, buf));
}

/* Its external events have happened, the body has taken up the version it builds on, and a
 * catalogue gate proven by an evidence bundle has reached the bundle's day. */
static bool events_done(const ro *r, const ro_inst *in, int d)
{
    for (int k = 0; k < in->nevs; k++) {
        const ro_event *ev = &r->events[in->evs[k]];
        if (rollout_event_day(r, ev) > d) return false;
    }
    const ro_phase *ph = &r->phases[in->phase];
    if (ph->builds_on) {
        const ro_event *base = &r->events[r->rels[ph->bo_release].events[ph->bo_version]];
        if (rollout_event_day(r, base) + (r->live ? in->uptake_lag : r->rels[ph->bo_release].plan_lag) > d) return false;
    }
    return !r->live || in->evidence < 0 || in->evidence <= d;
}

/* Capacity goes first to the instance ready (or started) longest ago, then in plan order. */
typedef struct sort_item {
    int key, pos, inst;
} sort_item;

static int item_cmp(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    if (x->key != y->key) return x->key - y->key;
    return x->pos - y->pos;
}

static void test_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node);

static void run_test(ro *r, int i, int d)
{
    ro_inst *in = &r->inst[i];
    in->test_day = d;
    in->test_failed = 0;
    in->test_pending = 0;
    r->testing[r->ntesting++] = i;
    if (!r->live) return;
    if (in->ntest_days == in->cap_test_days) {
        int cap = in->cap_test_days ? in->cap_test_days * 2 : 8;
        int *p = realloc(in->test_days, (size_t)cap * sizeof *p);
        if (!p) return;
        in->test_days = p;
        in->cap_test_days = cap;
    }
    in->test_days[in->ntest_days++] = d;
    in->test_pending = (uint16_t)r->phases[in->phase].inquiries;
    /* Tests spread over the day from half an hour after opening, a minute apart. */
    sim_time_t open = sim_date_time(r->days[d]) + r->cal.open;
    sim_time_t at = open + 30 * SIM_MIN + (int64_t)r->tests_today++ * SIM_MIN;
    if (at < sim_world_now(r->w)) at = sim_world_now(r->w);
    if (sim_world_schedule(r->w, at, test_event, r, (uint64_t)i, 0, NULL) < 0) in->test_failed = in->test_pending;
}

static void record_readiness(ro *r)
{
    int cols = r->nlg_phases + 3;
    if (r->nreadiness == r->cap_readiness) {
        int cap = r->cap_readiness ? r->cap_readiness * 2 : 256;
        int32_t *p = realloc(r->readiness, (size_t)cap * (size_t)cols * sizeof *p);
        if (!p) return;
        r->readiness = p;
        r->cap_readiness = cap;
    }
    int32_t *row = &r->readiness[(size_t)r->nreadiness++ * (size_t)cols];
    /* members in each lg phase (a member in two phases at once counts in both), members
     * that have not started, members between phases, members ready for the live network */
    for (int c = 0; c < r->nlg_phases; c++) row[c] = r->phase_active[c];
    row[r->nlg_phases] = r->fresh;
    row[r->nlg_phases + 1] = r->nmembers - r->nlive - r->busy - r->fresh;
    row[r->nlg_phases + 2] = r->nlive;
}

/* Bulk code acquisition: the day's capacity to the active instances with persons left, first
 * come (started earliest, then in plan order), first served (kinds/bulk.c's rule, as the twin
 * shares it). One that finishes its persons today has done its day of work (E counts it); one
 * with persons left after today waited for capacity. */
static void share_bulk(ro *r, sort_item *items)
{
    int nq = 0;
    for (int k = 0; k < r->nact; k++) {
        const ro_inst *in = &r->inst[r->act[k]];
        if (in->persons_left > 0) items[nq++] = (sort_item){in->start, in->pos, r->act[k]};
    }
    if (!nq) return;
    qsort(items, (size_t)nq, sizeof *items, item_cmp);
    int64_t want[64], grant[64];
    int64_t left = r->bulk_per_day;
    for (int q = 0; q < nq; q += 64) {   /* in chunks, the capacity carried over */
        int n = nq - q < 64 ? nq - q : 64;
        for (int k = 0; k < n; k++) want[k] = r->inst[items[q + k].inst].persons_left;
        left -= node_bulk_share(left, want, grant, (size_t)n);
        for (int k = 0; k < n; k++) {
            ro_inst *in = &r->inst[items[q + k].inst];
            in->persons_left -= grant[k];
            if (in->persons_left > 0) in->cap_wait++;   /* else: its day of work, counted below */
        }
    }
}

/* One business day: results of yesterday's tests, finishes, starts, capacity, today's tests,
 * today's work. Instances move between three worklists (candidates, queued, active), so a
 * day costs what is in progress, not the whole plan. */
static void step(ro *r)
{
    int d = r->today;
    r->tests_today = 0;
    /* A: yesterday's test days */
    for (int k = 0; k < r->ntests; k++) sim_map_del(&r->flows, r->tests[k].flow, NULL);   /* late: ignored */
    r->ntests = 0;
    for (int k = 0; k < r->ntesting; k++) {
        ro_inst *in = &r->inst[r->testing[k]];
        char buf[40];
        if (in->test_pending == 0 && in->test_failed == 0) {
            in->progress++;
        } else {
            in->outage++;
            trace(r, "test of %s %s failed (%d of %d inquiries): again on the next business day",
                  r->phases[in->phase].name, rollout_entity_label(r, in, buf), in->test_failed + in->test_pending,
                  r->phases[in->phase].inquiries);
        }
    }
    r->ntesting = 0;
    /* B: finish what is done (or do it again) */
    int kept = 0;
    for (int k = 0; k < r->nact; k++) {
        int i = r->act[k];
        ro_inst *in = &r->inst[i];
        if (in->progress >= need_of(r, in)) {
            if (r->live && in->redo && !in->redone) {
                in->redone = true;
                in->need += in->redo_need;
                in->redo_days = in->redo_need;
                char buf[40];
                trace(r, "redo %s %s: %d more business days", r->phases[in->phase].name,
                      rollout_entity_label(r, in, buf), in->redo_need);
            } else {
                finish(r, i, d);
                continue;
            }
        }
        r->act[kept++] = i;
    }
    r->nact = kept;
    rollout_release_rework(r, d);
    /* and start what is ready; what finishes at once releases more the same day */
    kept = 0;
    for (int k = 0; k < r->ncand; k++) {
        int i = r->cand[k];
        ro_inst *in = &r->inst[i];
        if (in->earliest > d || !events_done(r, in, d)) {
            r->cand[kept++] = i;
            continue;
        }
        in->ready = d;
        if (in->pool >= 0) {
            left_waiting(r, in);
            in->state = ST_QUEUED;
            r->que[r->nque++] = i;
            continue;
        }
        start(r, i, d);
        if (need_of(r, in) == 0) {
            finish(r, i, d);
            r->nact--;   /* it was the last one added */
        }
    }
    r->ncand = kept;
    /* C: units held for a whole phase, or a daily slot taken on the day it starts (J-LIS's
     * onboarding slots); the day's slots are free again */
    for (int p = 0; p < r->npools; p++)
        if (r->caps[r->pools[p].cap].daily) r->pools[p].used = 0;
    sort_item *items = r->scratch;
    int nq = 0;
    for (int k = 0; k < r->nque; k++) {
        const ro_inst *in = &r->inst[r->que[k]];
        items[nq++] = (sort_item){in->ready, in->pos, r->que[k]};
    }
    qsort(items, (size_t)nq, sizeof *items, item_cmp);
    r->nque = 0;
    for (int q = 0; q < nq; q++) {
        int i = items[q].inst;
        ro_inst *in = &r->inst[i];
        ro_pool *pool = &r->pools[in->pool];
        int units = r->phases[in->phase].uses_units;
        if (pool->used + units <= pool->units) {
            pool->used += units;
            if (pool->used > pool->peak) pool->peak = pool->used;
            start(r, i, d);
            if (need_of(r, in) == 0) {
                finish(r, i, d);   /* its dependents start tomorrow */
                r->nact--;
            }
        } else {
            in->cap_wait++;
            pool->wait_days++;
            r->que[r->nque++] = i;
        }
    }
    /* D: test slots of the day (what C left of them) */
    nq = 0;
    for (int k = 0; k < r->nact; k++) {
        const ro_inst *in = &r->inst[r->act[k]];
        if (r->phases[in->phase].tests && in->progress < need_of(r, in))
            items[nq++] = (sort_item){in->start, in->pos, r->act[k]};
    }
    qsort(items, (size_t)nq, sizeof *items, item_cmp);
    for (int q = 0; q < nq; q++) {
        int i = items[q].inst;
        ro_inst *in = &r->inst[i];
        if (in->slot_pool < 0) {
            run_test(r, i, d);
            continue;
        }
        ro_pool *pool = &r->pools[in->slot_pool];
        if (pool->used < pool->units) {
            pool->used++;
            if (pool->used > pool->peak) pool->peak = pool->used;
            run_test(r, i, d);
        } else {
            in->cap_wait++;
            pool->wait_days++;
        }
    }
    /* E: a day of work; bulk code acquisition by its share of the day's capacity */
    share_bulk(r, items);
    for (int k = 0; k < r->nact; k++) {
        ro_inst *in = &r->inst[r->act[k]];
        if (!r->phases[in->phase].tests && !in->persons_left) in->progress++;
    }
    if (r->live) record_readiness(r);
    r->today = d + 1;
    if (r->remaining == 0) r->done = true;
}

/* ---- the live pass in the world -------------------------------------------------------- */

static sim_time_t tick_time(ro *r, int day)
{
    sim_time_t t = sim_date_time(rollout_date_of_day(r, day)) + r->cal.open;
    return t < sim_world_start(r->w) ? sim_world_start(r->w) : t;
}

static void check_milestones(ro *r)
{
    for (int k = 0; k < r->nms; k++) {
        ro_milestone *m = &r->ms[k];
        if (m->day >= 0 || (k < 64 && m->ndone < m->need)) continue;
        if (rollout_milestone_eval(r, m, MS_LIVE) < 0) continue;
        char when[SIM_DATE_BUFSZ], target[SIM_DATE_BUFSZ];
        sim_date_format(rollout_date_of_day(r, m->day), when, sizeof when);
        sim_date_format(m->target, target, sizeof target);
        trace(r, "milestone '%s' reached on %s (target %s)", m->name, when, target);
    }
}

static void tick_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    ro *r = ptr;
    step(r);
    check_milestones(r);
    if (r->done) {
        trace(r, "the schedule is complete");
        return;
    }
    if (sim_world_schedule(w, tick_time(r, r->today), tick_event, r, 0, 0, NULL) < 0)
        sim_world_halt(w, DOMAIN_EXIT_INTERNAL, "rollout: the next day could not be scheduled (out of memory)");
}

static bool pass_ok(flow_error e) { return e == FLOW_OK || e == FLOW_NOT_FOUND; }

static void test_event(sim_world *w, void *ptr, uint64_t tag, uint32_t unused)
{
    ro *r = ptr;
    int i = (int)tag;
    ro_inst *in = &r->inst[i];
    const ro_phase *ph = &r->phases[in->phase];
    const ro_member *m = &r->members[in->entity];
    sim_node *n = sim_world_node(w, m->node);
    domain *d = domain_find(w);
    body *b = d ? domain_body(d, m->node) : NULL;
    uint32_t partner = ph->partner_node;
    if (partner == UINT32_MAX) {
        char code[8];
        rollout_pref_code(m->pref, code);
        sim_node *p = sim_world_find_node(w, code);
        partner = p ? p->id : m->node;
    }
    for (int k = 0; k < ph->inquiries; k++) {
        uint64_t flow = 0;
        if (n && n->up && b && b->nresidents) {
            uint32_t addressee = 1 + (uint32_t)((unsigned)(in->test_day + k) % b->nresidents);
            flow = node_body_inquire(n, addressee, ph->proc_index, partner, 1);
        }
        r->inquiries++;
        if (!flow) {   /* its own systems are down: the test cannot even start */
            in->test_pending--;
            in->test_failed++;
            r->inquiries_failed++;
            continue;
        }
        if (r->ntests == r->cap_tests) {
            int cap = r->cap_tests ? r->cap_tests * 2 : 256;
            ro_test_flow *p = realloc(r->tests, (size_t)cap * sizeof *p);
            if (!p) abort();
            r->tests = p;
            r->cap_tests = cap;
        }
        r->tests[r->ntests] = (ro_test_flow){flow, i};
        if (sim_map_put(&r->flows, flow, (uint64_t)r->ntests + 1) < 0) abort();
        r->ntests++;
    }
}

static void on_flow_end(void *ud, const domain_flow_end *ev)
{
    ro *r = ud;
    flow_kind kind = ev->kind;
    uint64_t flow = ev->flow;
    flow_error e = ev->error;
    uint64_t idx;
    if (kind != FLOW_INQUIRY || !sim_map_del(&r->flows, flow, &idx)) return;
    ro_inst *in = &r->inst[r->tests[idx - 1].inst];
    if (in->test_pending) in->test_pending--;
    if (!pass_ok(e)) {
        in->test_failed++;
        r->inquiries_failed++;
    }
}

/* ---- milestones and the critical path -------------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static bool ms_covers(const ro *r, const ro_milestone *m, const ro_inst *in)
{
    if (m->wave_index < 0) return true;
    switch (r->phases[in->phase].scope) {
    case SCOPE_LG: return r->members[in->entity].wave == m->wave_index;
    case SCOPE_WAVE: return in->entity == m->wave_index;
    case SCOPE_NATIONAL: return true;
    default:
        for (int k = 0; k < in->nmembers; k++)
            if (r->members[in->members[k]].wave == m->wave_index) return true;
        return false;
    }
}

int rollout_milestone_eval(ro *r, ro_milestone *m, int mode)
{
    bool planned = mode == MS_PLANNED;
    int day = 0, at = -1, at_event = -1, n = 0;
    for (int a = 0; a < m->nafter; a++) {
        ro_ref *ref = &m->after[a];
        if (ref->is_event) {
            const ro_event *ev = &r->events[ref->index];
            int ed = planned ? ev->plan_day : mode == MS_PASS ? ev->pday : ev->day;
            if (mode == MS_LIVE && !r->done && ed >= r->today) return -1;   /* not happened yet */
            if (at_event < 0 || ed > day) {
                day = ed > day ? ed : day;
                at_event = ref->index;
            }
            continue;
        }
        const ro_phase *ph = &r->phases[ref->index];
        for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) n += ms_covers(r, m, &r->inst[i]);
    }
    if (n > 0) {
        int *f = malloc((size_t)n * sizeof *f), k = 0;
        if (!f) return -1;
        for (int a = 0; a < m->nafter; a++) {
            if (m->after[a].is_event) continue;
            const ro_phase *ph = &r->phases[m->after[a].index];
            for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) {
                const ro_inst *in = &r->inst[i];
                if (!ms_covers(r, m, in)) continue;
                int fin = planned ? in->b_finish : in->finish;
                f[k++] = fin < 0 ? INT32_MAX : fin;
            }
        }
        qsort(f, (size_t)n, sizeof *f, cmp_int);
        int need = (int)ceil(m->share * n - 1e-9);
        if (need < 1) need = 1;
        int q = f[need - 1];
        free(f);
        if (q == INT32_MAX) return -1;
        if (q >= day) {
            day = q;
            at_event = -1;
            for (int a = 0; a < m->nafter && at < 0; a++) {   /* the instance that finished then */
                if (m->after[a].is_event) continue;
                const ro_phase *ph = &r->phases[m->after[a].index];
                for (int i = ph->first_inst; i < ph->first_inst + ph->ninst && at < 0; i++)
                    if (ms_covers(r, m, &r->inst[i]) && (planned ? r->inst[i].b_finish : r->inst[i].finish) == q) at = i;
            }
        }
    }
    if (mode == MS_PASS) return day;
    if (planned) {
        m->plan_day = day;
    } else {
        m->day = day;
        m->at_inst = at;
        m->at_event = at_event;
    }
    return day;
}

int rollout_critical_path(ro *r, int end, int **out, const char **via)
{
    int n = 0, cap = 16;
    int *path = malloc((size_t)cap * sizeof *path);
    *via = "start";
    if (!path) return -ENOMEM;
    for (int i = end, guard = 0; i >= 0 && guard <= r->ninst; guard++) {
        if (n == cap) {
            int *p = realloc(path, (size_t)(cap *= 2) * sizeof *p);
            if (!p) break;
            path = p;
        }
        path[n++] = i;
        const ro_inst *in = &r->inst[i];
        int best = -1, best_day = -1, best_event = -1;
        for (int k = 0; k < in->ndeps; k++) {
            const ro_inst *dep = &r->inst[in->deps[k]];
            if (dep->finish > best_day) {
                best_day = dep->finish;
                best = in->deps[k];
            }
        }
        for (int k = 0; k < in->nevs; k++)
            if (r->events[in->evs[k]].day > best_day) {
                best_day = r->events[in->evs[k]].day;
                best = -1;
                best_event = in->evs[k];
            }
        if (best_day < 0) {
            *via = in->earliest > 0 ? "not_before" : "start";
            break;
        }
        if (in->earliest > best_day) {
            *via = "not_before";
            break;
        }
        if (best < 0) {
            if (n == cap) {
                int *p = realloc(path, (size_t)(cap *= 2) * sizeof *p);
                if (!p) break;
                path = p;
            }
            path[n++] = -(best_event + 2);
            *via = "external";
            break;
        }
        i = best;
    }
    for (int a = 0, b = n - 1; a < b; a++, b--) {   /* from the start */
        int t = path[a];
        path[a] = path[b];
        path[b] = t;
    }
    *out = path;
    return n;
}

void rollout_inst_slips(ro *r, const ro_inst *in, int out[SLIP_CAUSES])
{
    memset(out, 0, SLIP_CAUSES * sizeof *out);
    if (in->ready >= 0) out[SLIP_DEPENDENCY] = in->ready > in->b_ready ? in->ready - in->b_ready : 0;
    else if (r->today > in->b_ready) out[SLIP_DEPENDENCY] = r->today - in->b_ready;
    out[SLIP_CAPACITY] = in->cap_wait > in->b_wait ? in->cap_wait - in->b_wait : 0;
    out[SLIP_REDO] = in->redo_days;
    out[SLIP_OUTAGE] = in->outage;
    int drawn = in->need - in->redo_days;
    if (in->start >= 0 && drawn > in->plan_need) out[SLIP_OVERRUN] = drawn - in->plan_need;
    out[SLIP_REWORK] = in->rework_days > in->b_rework ? in->rework_days - in->b_rework : 0;
    if (in->start >= 0) out[SLIP_GATE] = in->gate_days;
}

/* ---- entry points for prepare (rollout/rollout_plan.c) ------------------------------------ */

int rollout_index(ro *r)
{
    size_t n = (size_t)(r->ninst ? r->ninst : 1);
    r->act = calloc(n, sizeof *r->act);
    r->cand = calloc(n, sizeof *r->cand);
    r->que = calloc(n, sizeof *r->que);
    r->scratch = calloc(n, sizeof(sort_item));
    r->testing = calloc(n, sizeof *r->testing);
    r->phase_active = calloc((size_t)(r->nphases ? r->nphases : 1), sizeof *r->phase_active);
    if (!r->act || !r->cand || !r->que || !r->scratch || !r->testing || !r->phase_active) return -ENOMEM;
    for (int p = 0; p < r->nphases; p++) r->phases[p].column = -1;
    for (int c = 0; c < r->nlg_phases; c++) r->phases[r->lg_phases[c]].column = c;
    for (int k = 0; k < r->ninst; k++) r->inst[r->topo[k]].pos = k;
    for (int k = 0; k < r->nms; k++) {   /* which instances each milestone counts */
        ro_milestone *m = &r->ms[k];
        m->nrel = 0;
        for (int a = 0; a < m->nafter; a++) {
            if (m->after[a].is_event) continue;
            const ro_phase *ph = &r->phases[m->after[a].index];
            for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++)
                if (ms_covers(r, m, &r->inst[i])) {
                    m->nrel++;
                    if (k < 64) r->inst[i].ms_mask |= UINT64_C(1) << k;
                }
        }
        m->need = m->nrel ? (int)ceil(m->share * m->nrel - 1e-9) : 0;
        if (m->nrel && m->need < 1) m->need = 1;
    }
    return 0;
}

int rollout_plain_pass(ro *r)
{
    reset_pass(r, false);
    while (!r->done) {
        if (r->today > 50000) return -ERANGE;
        step(r);
    }
    return 0;
}

int rollout_planned_pass(ro *r)
{
    for (int e = 0; e < r->nevents; e++) r->events[e].pday = r->events[e].plan_day;
    int rc = rollout_plain_pass(r);
    if (rc < 0) return rc;
    for (int i = 0; i < r->ninst; i++) {
        ro_inst *in = &r->inst[i];
        in->b_ready = in->ready;
        in->b_start = in->start;
        in->b_finish = in->finish;
        in->b_wait = in->cap_wait;
        in->b_rework = in->rework_days;
    }
    for (int k = 0; k < r->nms; k++) rollout_milestone_eval(r, &r->ms[k], MS_PLANNED);
    return 0;
}

int rollout_start_live(ro *r)
{
    reset_pass(r, true);
    domain *d = domain_find(r->w);
    int rc = d ? domain_listen(d, &(domain_flow_listener){.ended = on_flow_end, .ud = r}) : 0;
    if (rc < 0) return rc;
    if ((rc = rollout_release_start_live(r)) < 0) return rc;
    return sim_world_schedule(r->w, tick_time(r, 0), tick_event, r, 0, 0, NULL);
}
