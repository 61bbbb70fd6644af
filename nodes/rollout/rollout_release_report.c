/* rollout/rollout_release_report.c - what releases and gates add to the schedule's report:
 * "releases" (each version planned and actual, how late, how much it changed), "gates" (who
 * passed, who is held, by what), "signals" (the readiness a project manager watches, per
 * prefecture and nationally on the as-of dates: each version taken up, vendors ready, gates
 * passed, phases the plan names), "what_if" (the plan against the plan with the what-ifs'
 * dates, planned durations both), "sensitivity" (how far each milestone moves when one
 * version alone comes late), "operator" (J-LIS: onboarding slots, upgrade nights), the same
 * in the printed summary, and the inputs Monte Carlo ranks (rework and gate days).
 *
 * "As of" a date means at the opening of its business day: a version taken up, a phase
 * finished on a business day before it. */
#include "rollout/rollout_internal.h"

#include <stdlib.h>
#include <string.h>

#include "sim_node.h"

static void add_sim_date(cJSON *o, const char *key, sim_date d)
{
    char buf[SIM_DATE_BUFSZ];
    sim_date_format(d, buf, sizeof buf);
    cJSON_AddStringToObject(o, key, buf);
}

/* The as-of dates: the declared ones, else each milestone's target. */
static int as_of_days(ro *r, int *days, sim_date *dates, int cap)
{
    int n = 0;
    if (r->nas_of) {
        for (int k = 0; k < r->nas_of && n < cap; k++) dates[n++] = r->as_of[k];
    } else {
        for (int k = 0; k < r->nms && n < cap; k++) {
            bool seen = false;
            for (int j = 0; j < n; j++) seen |= dates[j] == r->ms[k].target;
            if (!seen) dates[n++] = r->ms[k].target;
        }
    }
    for (int k = 0; k < n; k++) days[k] = rollout_day_of_date(r, dates[k]);
    return n;
}

enum { SIG_UPTAKE, SIG_VENDOR, SIG_GATE, SIG_PIA, SIG_PHASE };
static const char *const sig_kind[] = {"uptake", "vendor", "gate", "pia", "phase"};

typedef struct signal {
    int kind, index;              /* an event (uptake) or a phase */
    const char *name;
} signal;

static int signals_of(ro *r, signal *out, int cap)
{
    int n = 0;
    for (int e = 0; e < r->nevents && n < cap; e++)
        if (r->uptake_lag && r->events[e].release >= 0 && r->rels[r->events[e].release].has_uptake)
            out[n++] = (signal){SIG_UPTAKE, e, r->events[e].name};
    for (int p = 0; p < r->nphases && n < cap; p++) {
        const ro_phase *ph = &r->phases[p];
        bool named = false;
        for (int k = 0; k < r->nsignal_phases; k++) named |= strcmp(r->signal_phases[k], ph->name) == 0;
        int kind = ph->builds_on ? SIG_VENDOR : ph->ncases ? SIG_GATE : ph->pia ? SIG_PIA : named ? SIG_PHASE : -1;
        if (kind >= 0 && ph->scope == SCOPE_LG) out[n++] = (signal){kind, p, ph->name};
    }
    return n;
}

/* Whether member m shows the signal at the opening of day d. */
static bool shows(ro *r, const signal *s, int m, int d)
{
    if (s->kind == SIG_UPTAKE) {
        int lag = r->uptake_lag[(size_t)m * (size_t)r->nevents + (size_t)s->index];
        return lag >= 0 && r->events[s->index].day + lag <= d;
    }
    int i = r->phases[s->index].inst_of_member ? r->phases[s->index].inst_of_member[m] : -1;
    return i >= 0 && r->inst[i].state == ST_DONE && r->inst[i].finish <= d;
}

/* Members the signal applies to: all for uptake, a phase's members otherwise. */
static bool counts(ro *r, const signal *s, int m)
{
    if (s->kind == SIG_UPTAKE) return true;
    return r->phases[s->index].inst_of_member && r->phases[s->index].inst_of_member[m] >= 0;
}

static double share(int a, int b) { return b ? (double)(int)(1000.0 * a / b + 0.5) / 1000 : 0; }

enum { MAX_AS_OF = 16, MAX_SIGNALS = 512 };

static void signals_json(ro *r, cJSON *s)
{
    int days[MAX_AS_OF];
    sim_date dates[MAX_AS_OF];
    int nd = as_of_days(r, days, dates, MAX_AS_OF);
    signal *sig = malloc(MAX_SIGNALS * sizeof *sig);
    if (!sig) return;
    int ns = signals_of(r, sig, MAX_SIGNALS);
    cJSON *o = cJSON_AddObjectToObject(s, "signals");
    cJSON *as_of = cJSON_AddArrayToObject(o, "as_of");
    for (int k = 0; k < nd; k++) {
        char buf[SIM_DATE_BUFSZ];
        sim_date_format(dates[k], buf, sizeof buf);
        cJSON_AddItemToArray(as_of, cJSON_CreateString(buf));
    }
    cJSON *rows = cJSON_AddArrayToObject(o, "rows");
    for (int k = 0; k < ns; k++) {
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "signal", sig[k].name);
        cJSON_AddStringToObject(row, "kind", sig_kind[sig[k].kind]);
        cJSON *nat = cJSON_AddArrayToObject(row, "national");
        cJSON *prefs = cJSON_AddObjectToObject(row, "prefectures");
        int yes[48][MAX_AS_OF] = {{0}}, all[48] = {0};
        for (int m = 0; m < r->nmembers; m++) {
            if (!counts(r, &sig[k], m)) continue;
            int p = r->members[m].pref;
            all[p]++;
            for (int d = 0; d < nd; d++) yes[p][d] += shows(r, &sig[k], m, days[d]);
        }
        int tot = 0;
        for (int p = 1; p <= 47; p++) tot += all[p];
        for (int d = 0; d < nd; d++) {
            int sum = 0;
            for (int p = 1; p <= 47; p++) sum += yes[p][d];
            cJSON_AddItemToArray(nat, cJSON_CreateNumber(share(sum, tot)));
        }
        for (int p = 1; p <= 47; p++) {
            if (!all[p]) continue;
            char code[8];
            rollout_pref_code(p, code);
            cJSON *v = cJSON_AddArrayToObject(prefs, code);
            for (int d = 0; d < nd; d++) cJSON_AddItemToArray(v, cJSON_CreateNumber(share(yes[p][d], all[p])));
        }
        cJSON_AddItemToArray(rows, row);
    }
    free(sig);
}

static void releases_json(ro *r, cJSON *s)
{
    cJSON *arr = cJSON_AddArrayToObject(s, "releases");
    for (int k = 0; k < r->nrels; k++) {
        const ro_release *rel = &r->rels[k];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", rel->name);
        cJSON_AddStringToObject(o, "title", rel->title);
        cJSON *vs = cJSON_AddArrayToObject(o, "versions");
        for (int v = 0; v < rel->nversions; v++) {
            const ro_event *ev = &r->events[rel->events[v]];
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "version", rel->versions[v]);
            cJSON_AddStringToObject(e, "event", ev->name);
            rollout_json_date(r, e, "planned", ev->plan_day);
            rollout_json_date(r, e, "date", ev->day);
            cJSON_AddNumberToObject(e, "late", ev->late_days);
            cJSON_AddNumberToObject(e, "changed", rel->changed[v]);
            cJSON_AddItemToArray(vs, e);
        }
        cJSON_AddItemToArray(arr, o);
    }
}

static void gates_json(ro *r, cJSON *s)
{
    cJSON *arr = cJSON_AddArrayToObject(s, "gates");
    for (int p = 0; p < r->nphases; p++) {
        const ro_phase *ph = &r->phases[p];
        if (!ph->pia && !ph->ncases) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "phase", ph->name);
        cJSON_AddStringToObject(o, "kind", ph->pia ? "pia" : "catalogue");
        if (ph->ncases) {
            cJSON *cases = cJSON_AddArrayToObject(o, "cases");
            for (int c = 0; c < ph->ncases; c++) cJSON_AddItemToArray(cases, cJSON_CreateString(ph->cases[c]));
            cJSON_AddNumberToObject(o, "fail", ph->gate_fail);
        }
        int passed = 0, runs_failed = 0;
        cJSON *held = cJSON_CreateArray(), *evidence = cJSON_CreateArray();
        for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) {
            const ro_inst *in = &r->inst[i];
            const char *code = r->members[in->entity].code;
            if (in->state == ST_DONE) passed++;
            else cJSON_AddItemToArray(held, cJSON_CreateString(code));
            if (in->start >= 0) runs_failed += in->gate_fails;
            if (in->evidence >= 0) {
                cJSON *e = cJSON_CreateObject();
                cJSON_AddStringToObject(e, "lg", code);
                cJSON_AddBoolToObject(e, "passes", in->evidence != INT32_MAX);
                rollout_json_date(r, e, "opens", in->evidence == INT32_MAX ? -1 : in->evidence);
                cJSON_AddItemToArray(evidence, e);
            }
        }
        cJSON_AddNumberToObject(o, "members", ph->ninst);
        cJSON_AddNumberToObject(o, "passed", passed);
        cJSON_AddNumberToObject(o, "failed_runs", runs_failed);
        cJSON_AddItemToObject(o, "held", held);
        cJSON_AddItemToObject(o, "evidence", evidence);
        cJSON_AddItemToArray(arr, o);
    }
}

static void whatif_json(ro *r, cJSON *s)
{
    if (!r->whatif) return;
    cJSON *o = cJSON_AddObjectToObject(s, "what_if");
    cJSON *ch = cJSON_AddArrayToObject(o, "changes");
    for (int e = 0; e < r->nevents; e++) {
        const ro_event *ev = &r->events[e];
        if (!ev->has_actual && !ev->has_slip) continue;
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "event", ev->name);
        rollout_json_date(r, c, "planned", ev->plan_day);
        if (ev->has_actual) add_sim_date(c, "actual", ev->actual);
        else rollout_json_date(r, c, "actual", ev->plan_day + ev->slip > 0 ? ev->plan_day + ev->slip : 0);
        cJSON_AddItemToArray(ch, c);
    }
    cJSON *ms = cJSON_AddArrayToObject(o, "milestones");
    for (int k = 0; k < r->nms; k++) {
        const ro_milestone *m = &r->ms[k];
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "name", m->name);
        add_sim_date(c, "target", m->target);
        rollout_json_date(r, c, "plan", m->plan_day);
        rollout_json_date(r, c, "what_if", m->whatif_day);
        if (m->plan_day >= 0 && m->whatif_day >= 0) cJSON_AddNumberToObject(c, "days", m->whatif_day - m->plan_day);
        cJSON_AddBoolToObject(c, "what_if_met", m->whatif_day >= 0 && rollout_date_of_day(r, m->whatif_day) <= m->target);
        cJSON_AddItemToArray(ms, c);
    }
}

/* The largest move of any milestone when version e comes late alone. */
static int sens_max(const ro *r, int e)
{
    int best = 0;
    for (int k = 0; k < r->nms; k++) {
        int v = r->sens_days[(size_t)e * (size_t)r->nms + (size_t)k];
        if (v > best) best = v;
    }
    return best;
}

/* Events of releases, the most moving first, then in declaration order (an insertion sort:
 * a plan has tens of versions). */
static int sens_order(ro *r, int *order)
{
    int n = 0;
    for (int e = 0; e < r->nevents; e++) {
        if (r->events[e].release < 0) continue;
        int k = n++, s = sens_max(r, e);
        while (k > 0 && sens_max(r, order[k - 1]) < s) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = e;
    }
    return n;
}

static void sensitivity_json(ro *r, cJSON *s)
{
    if (!r->sens_days) return;
    int *order = malloc((size_t)(r->nevents ? r->nevents : 1) * sizeof *order);
    if (!order) return;
    int n = sens_order(r, order);
    cJSON *o = cJSON_AddObjectToObject(s, "sensitivity");
    cJSON_AddNumberToObject(o, "shift", r->sensitivity);
    cJSON *arr = cJSON_AddArrayToObject(o, "versions");
    for (int k = 0; k < n; k++) {
        int e = order[k];
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "event", r->events[e].name);
        cJSON *ms = cJSON_AddObjectToObject(v, "milestones");
        for (int j = 0; j < r->nms; j++) {
            int d = r->sens_days[(size_t)e * (size_t)r->nms + (size_t)j];
            if (d == INT32_MAX) cJSON_AddNullToObject(ms, r->ms[j].name);
            else cJSON_AddNumberToObject(ms, r->ms[j].name, d);
        }
        cJSON_AddNumberToObject(v, "max", sens_max(r, e));
        cJSON_AddItemToArray(arr, v);
    }
    free(order);
}

static void operator_json(ro *r, cJSON *s)
{
    if (!r->operator_name) return;
    cJSON *o = cJSON_AddObjectToObject(s, "operator");
    cJSON_AddStringToObject(o, "name", r->operator_name);
    /* the platform's operations centre is the node that arbitrates the sites */
    cJSON_AddStringToObject(o, "operations_centre", sim_world_find_node(r->w, "ops") ? "ops" : "");
    cJSON *slots = cJSON_AddArrayToObject(o, "onboarding");
    for (int p = 0; p < r->nphases; p++)
        if (r->phases[p].uses_cap >= 0 && r->caps[r->phases[p].uses_cap].daily) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "phase", r->phases[p].name);
            cJSON_AddStringToObject(e, "capacity", r->caps[r->phases[p].uses_cap].name);
            cJSON_AddItemToArray(slots, e);
        }
    cJSON *nights = cJSON_AddArrayToObject(o, "upgrade_nights");
    for (int k = 0; k < r->nrels; k++) {
        const ro_release *rel = &r->rels[k];
        for (int v = 0; v < rel->nversions && rel->nupgrade_sites; v++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "event", r->events[rel->events[v]].name);
            rollout_json_date(r, e, "date", r->events[rel->events[v]].day);
            cJSON_AddNumberToObject(e, "hours", (double)rel->upgrade_for / SIM_HOUR);
            cJSON *sites = cJSON_AddArrayToObject(e, "sites");
            for (int j = 0; j < rel->nupgrade_sites; j++) cJSON_AddItemToArray(sites, cJSON_CreateString(rel->upgrade_sites[j]));
            cJSON_AddItemToArray(nights, e);
        }
    }
}

void rollout_release_json(ro *r, cJSON *s)
{
    if (r->nrels) releases_json(r, s);
    gates_json(r, s);
    signals_json(r, s);
    whatif_json(r, s);
    sensitivity_json(r, s);
    operator_json(r, s);
}

/* ---- printed summary ------------------------------------------------------------------- */

static void date_of(ro *r, int day, char *buf, size_t n)
{
    if (day < 0) snprintf(buf, n, "not reached");
    else sim_date_format(rollout_date_of_day(r, day), buf, n);
}

void rollout_release_print(ro *r, FILE *out)
{
    if (r->nrels) {
        int nv = 0, late = 0, worst = -1;
        for (int e = 0; e < r->nevents; e++) {
            if (r->events[e].release < 0) continue;
            nv++;
            if (r->events[e].late_days > 0) late++;
            if (r->events[e].late_days > 0 && (worst < 0 || r->events[e].late_days > r->events[worst].late_days)) worst = e;
        }
        fprintf(out, "  releases   %d versions of %d releases, %d late", nv, r->nrels, late);
        if (worst >= 0) fprintf(out, " (the latest: %s, %d business days)", r->events[worst].name, r->events[worst].late_days);
        fprintf(out, "\n");
    }
    for (int p = 0; p < r->nphases; p++) {
        const ro_phase *ph = &r->phases[p];
        if (!ph->pia && !ph->ncases) continue;
        int passed = 0, held = 0, fails = 0;
        for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) {
            passed += r->inst[i].state == ST_DONE;
            held += r->inst[i].state != ST_DONE;
            if (r->inst[i].start >= 0) fails += r->inst[i].gate_fails;
        }
        fprintf(out, "  gate       %-24s %-9s %d passed, %d held", ph->name, ph->pia ? "pia" : "catalogue", passed, held);
        if (ph->ncases) fprintf(out, ", %d failed catalogue runs", fails);
        fprintf(out, "\n");
    }
    if (r->whatif) {
        fprintf(out, "  what-if    milestone                      target      plan        what-if      days\n");
        for (int k = 0; k < r->nms; k++) {
            const ro_milestone *m = &r->ms[k];
            char t[SIM_DATE_BUFSZ], a[SIM_DATE_BUFSZ], b[SIM_DATE_BUFSZ];
            sim_date_format(m->target, t, sizeof t);
            date_of(r, m->plan_day, a, sizeof a);
            date_of(r, m->whatif_day, b, sizeof b);
            fprintf(out, "             %-30.30s %s  %-11s %-11s %+5d\n", m->name, t, a, b,
                    m->plan_day >= 0 && m->whatif_day >= 0 ? m->whatif_day - m->plan_day : 0);
        }
    }
    if (r->sens_days) {
        int *order = malloc((size_t)(r->nevents ? r->nevents : 1) * sizeof *order);
        if (order) {
            int n = sens_order(r, order);
            fprintf(out, "  sensitivity  business days each milestone moves when one version alone is %d business days late\n",
                    r->sensitivity);
            for (int k = 0; k < n && k < 8; k++) {
                fprintf(out, "    %-28.28s", r->events[order[k]].name);
                for (int j = 0; j < r->nms; j++) {
                    int d = r->sens_days[(size_t)order[k] * (size_t)r->nms + (size_t)j];
                    if (d == INT32_MAX) fprintf(out, "  %s never", r->ms[j].name);
                    else fprintf(out, "  %s %+d", r->ms[j].name, d);
                }
                fprintf(out, "\n");
            }
            free(order);
        }
    }
    int days[MAX_AS_OF];
    sim_date dates[MAX_AS_OF];
    int nd = as_of_days(r, days, dates, MAX_AS_OF);
    signal *sig = malloc(MAX_SIGNALS * sizeof *sig);
    int ns = sig ? signals_of(r, sig, MAX_SIGNALS) : 0;
    if (ns && nd) {
        fprintf(out, "  signals    share of the bodies concerned (the lowest prefecture), at the opening of");
        for (int d = 0; d < nd; d++) {
            char buf[SIM_DATE_BUFSZ];
            sim_date_format(dates[d], buf, sizeof buf);
            fprintf(out, " %s", buf);
        }
        fprintf(out, "\n");
        for (int k = 0; k < ns; k++) {
            fprintf(out, "    %-7s %-28.28s", sig_kind[sig[k].kind], sig[k].name);
            for (int d = 0; d < nd; d++) {
                int yes[48] = {0}, all[48] = {0}, sum = 0, tot = 0;
                for (int m = 0; m < r->nmembers; m++) {
                    if (!counts(r, &sig[k], m)) continue;
                    all[r->members[m].pref]++;
                    yes[r->members[m].pref] += shows(r, &sig[k], m, days[d]);
                }
                int low = 0;
                for (int p = 1; p <= 47; p++) {
                    sum += yes[p];
                    tot += all[p];
                    if (all[p] && (!low || yes[p] * all[low] < yes[low] * all[p])) low = p;
                }
                char code[8] = "-";
                if (low) rollout_pref_code(low, code);
                fprintf(out, "  %5.1f%% (%s %.0f%%)", 100 * share(sum, tot), code, low ? 100 * share(yes[low], all[low]) : 0);
            }
            fprintf(out, "\n");
        }
    }
    free(sig);
    if (r->operator_name) {
        int nights = 0;
        for (int k = 0; k < r->nrels; k++) nights += r->rels[k].nupgrade_sites ? r->rels[k].nversions : 0;
        fprintf(out, "  operator   %s runs the platform sites and their operations centre: %d upgrade night(s)\n", r->operator_name, nights);
    }
}

void rollout_release_record(ro *r, cJSON *inputs)
{
    char key[256];
    for (int p = 0; p < r->nphases; p++) {
        const ro_phase *ph = &r->phases[p];
        if (!ph->builds_on && !ph->ncases) continue;
        int rework = 0, gate = 0;
        for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) {
            int s[SLIP_CAUSES];
            rollout_inst_slips(r, &r->inst[i], s);
            rework += s[SLIP_REWORK];
            gate += s[SLIP_GATE];
        }
        if (ph->builds_on) {
            snprintf(key, sizeof key, "rework:%s", ph->name);
            cJSON_AddNumberToObject(inputs, key, rework);
        }
        if (ph->ncases) {
            snprintf(key, sizeof key, "gate:%s", ph->name);
            cJSON_AddNumberToObject(inputs, key, gate);
        }
    }
}
