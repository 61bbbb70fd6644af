/* rollout/rollout_mc.c - Monte Carlo over rollout runs: for each milestone the probability of
 * meeting its target (with its standard error), the P50 and P90 dates and the spread of
 * dates, which inputs matter most (the Pearson correlation over runs between each input a
 * run drew or suffered - mean drawn durations per phase and per wave, external events'
 * lateness, redo counts, outage and capacity days - and the milestone's day), and how often
 * each phase of each group lay on the milestone's critical path (its criticality).
 *
 * Runs are added in seed order (sim_runs.c sees to it), so the result never depends on
 * which worker finished first. A milestone not reached by the end of a run counts as missed
 * and later than any date; its day for correlations is the run's last day. */
#include "rollout/rollout.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct count {
    char *key;
    int n;
} count;

typedef struct mc_milestone {
    char *name;
    char target[16];
    int *day;                     /* per run; -1 not reached */
    char (*date)[16];             /* per run; "" not reached */
    double *xday;                 /* per run, for correlations */
    int met;
    count *crit;
    int ncrit;
} mc_milestone;

struct node_rollout_mc {
    int runs, cap;
    mc_milestone *ms;
    int nms;
    char **inputs;
    int ninputs;
    double **values;              /* [input][run] */
};

node_rollout_mc *rollout_mc_new(void) { return calloc(1, sizeof(node_rollout_mc)); }

void rollout_mc_free(node_rollout_mc *mc)
{
    if (!mc) return;
    for (int k = 0; k < mc->nms; k++) {
        mc_milestone *m = &mc->ms[k];
        free(m->name);
        free(m->day);
        free(m->date);
        free(m->xday);
        for (int c = 0; c < m->ncrit; c++) free(m->crit[c].key);
        free(m->crit);
    }
    free(mc->ms);
    for (int i = 0; i < mc->ninputs; i++) {
        free(mc->inputs[i]);
        free(mc->values[i]);
    }
    free(mc->inputs);
    free(mc->values);
    free(mc);
}

int rollout_mc_runs(const node_rollout_mc *mc) { return mc ? mc->runs : 0; }

static int grow(node_rollout_mc *mc)
{
    if (mc->runs < mc->cap) return 0;
    int cap = mc->cap ? mc->cap * 2 : 64;
    for (int k = 0; k < mc->nms; k++) {
        mc_milestone *m = &mc->ms[k];
        int *d = realloc(m->day, (size_t)cap * sizeof *d);
        if (d) m->day = d;
        char(*t)[16] = realloc(m->date, (size_t)cap * sizeof *t);
        if (t) m->date = t;
        double *x = realloc(m->xday, (size_t)cap * sizeof *x);
        if (x) m->xday = x;
        if (!d || !t || !x) return -1;
    }
    for (int i = 0; i < mc->ninputs; i++) {
        double *v = realloc(mc->values[i], (size_t)cap * sizeof *v);
        if (!v) return -1;
        mc->values[i] = v;
    }
    mc->cap = cap;
    return 0;
}

static int find_input(node_rollout_mc *mc, const char *name)
{
    for (int i = 0; i < mc->ninputs; i++)
        if (strcmp(mc->inputs[i], name) == 0) return i;
    char **p = realloc(mc->inputs, (size_t)(mc->ninputs + 1) * sizeof *p);
    if (!p) return -1;
    mc->inputs = p;
    double **v = realloc(mc->values, (size_t)(mc->ninputs + 1) * sizeof *v);
    if (!v) return -1;
    mc->values = v;
    double *col = calloc((size_t)(mc->cap ? mc->cap : 1), sizeof *col);   /* earlier runs: 0 */
    char *copy = strdup(name);
    if (!col || !copy) {
        free(col);
        free(copy);
        return -1;
    }
    mc->inputs[mc->ninputs] = copy;
    mc->values[mc->ninputs] = col;
    return mc->ninputs++;
}

static void bump(mc_milestone *m, const char *key)
{
    for (int c = 0; c < m->ncrit; c++)
        if (strcmp(m->crit[c].key, key) == 0) {
            m->crit[c].n++;
            return;
        }
    count *p = realloc(m->crit, (size_t)(m->ncrit + 1) * sizeof *p);
    if (!p) return;
    m->crit = p;
    if (!(p[m->ncrit].key = strdup(key))) return;
    p[m->ncrit++].n = 1;
}

int rollout_mc_add(node_rollout_mc *mc, const cJSON *rec)
{
    const cJSON *ms = cJSON_GetObjectItem(rec, "milestones");
    if (!cJSON_IsArray(ms)) return -1;
    if (mc->runs == 0 && mc->nms == 0) {
        int n = cJSON_GetArraySize(ms);
        mc->ms = calloc((size_t)(n ? n : 1), sizeof *mc->ms);
        if (!mc->ms) return -1;
        for (const cJSON *m = ms->child; m; m = m->next) {
            mc_milestone *mm = &mc->ms[mc->nms];
            const cJSON *name = cJSON_GetObjectItem(m, "name"), *target = cJSON_GetObjectItem(m, "target");
            if (!cJSON_IsString(name) || !cJSON_IsString(target) || !(mm->name = strdup(name->valuestring))) return -1;
            snprintf(mm->target, sizeof mm->target, "%s", target->valuestring);
            mc->nms++;
        }
    }
    if (grow(mc) < 0) return -1;
    int run = mc->runs;
    double today = cJSON_GetNumberValue(cJSON_GetObjectItem(rec, "today"));
    for (int k = 0; k < mc->nms; k++) {
        mc_milestone *mm = &mc->ms[k];
        mm->day[run] = -1;
        mm->date[run][0] = '\0';
        mm->xday[run] = isnan(today) ? 0 : today;
        for (const cJSON *m = ms->child; m; m = m->next) {
            const cJSON *name = cJSON_GetObjectItem(m, "name");
            if (!cJSON_IsString(name) || strcmp(name->valuestring, mm->name) != 0) continue;
            const cJSON *day = cJSON_GetObjectItem(m, "day"), *date = cJSON_GetObjectItem(m, "date");
            if (cJSON_IsNumber(day) && cJSON_IsString(date)) {
                mm->day[run] = (int)day->valuedouble;
                mm->xday[run] = day->valuedouble;
                snprintf(mm->date[run], sizeof mm->date[run], "%s", date->valuestring);
                if (strcmp(mm->date[run], mm->target) <= 0) mm->met++;
            }
            const cJSON *crit = cJSON_GetObjectItem(m, "critical");
            /* each key once per run: a criticality is a share of runs */
            for (const cJSON *c = crit ? crit->child : NULL; c; c = c->next) {
                if (!cJSON_IsString(c)) continue;
                bool seen = false;
                for (const cJSON *e = crit->child; e != c && !seen; e = e->next)
                    seen = cJSON_IsString(e) && strcmp(e->valuestring, c->valuestring) == 0;
                if (!seen) bump(mm, c->valuestring);
            }
            break;
        }
    }
    for (int i = 0; i < mc->ninputs; i++) mc->values[i][run] = 0;
    const cJSON *inputs = cJSON_GetObjectItem(rec, "inputs");
    for (const cJSON *in = inputs ? inputs->child : NULL; in; in = in->next) {
        int i = find_input(mc, in->string);
        if (i >= 0 && cJSON_IsNumber(in)) mc->values[i][run] = in->valuedouble;
    }
    mc->runs++;
    return 0;
}

/* ---- statistics ------------------------------------------------------------------------ */

typedef struct run_day {
    int day, run;
} run_day;

static int cmp_run_day(const void *a, const void *b)
{
    const run_day *x = a, *y = b;
    if (x->day != y->day) return x->day < y->day ? -1 : 1;
    return x->run - y->run;
}

/* The run whose date is the q-quantile (nearest rank; not reached counts as the latest);
 * order[] gets every run by date, unreached last, ties in seed order. */
static int quantile_run(const mc_milestone *m, int runs, double q, int *order)
{
    run_day *v = malloc((size_t)runs * sizeof *v);
    for (int i = 0; i < runs; i++) {
        if (v) v[i] = (run_day){m->day[i] < 0 ? INT32_MAX : m->day[i], i};
        order[i] = i;
    }
    if (v) {
        qsort(v, (size_t)runs, sizeof *v, cmp_run_day);
        for (int i = 0; i < runs; i++) order[i] = v[i].run;
        free(v);
    }
    int rank = (int)ceil(q * runs - 1e-9);
    if (rank < 1) rank = 1;
    return order[rank - 1];
}

static double pearson(const double *x, const double *y, int n)
{
    double mx = 0, my = 0;
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (int i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    if (sxx <= 1e-12 || syy <= 1e-12) return NAN;
    return sxy / sqrt(sxx * syy);
}

typedef struct ranked {
    int index;
    double score;
} ranked;

static int by_score(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    double ax = fabs(x->score), ay = fabs(y->score);
    if (ax != ay) return ax < ay ? 1 : -1;
    return x->index - y->index;
}

/* Inputs by |r| against the milestone's day, the strongest first; returns how many. */
static int rank_inputs(node_rollout_mc *mc, mc_milestone *m, ranked *out)
{
    int n = 0;
    for (int i = 0; i < mc->ninputs; i++) {
        double r = pearson(mc->values[i], m->xday, mc->runs);
        if (!isnan(r)) out[n++] = (ranked){i, r};
    }
    qsort(out, (size_t)n, sizeof *out, by_score);
    return n;
}

static int by_count(const void *a, const void *b)
{
    const count *x = a, *y = b;
    if (x->n != y->n) return y->n - x->n;
    return strcmp(x->key, y->key);
}

enum { TOP = 5 };

/* The |r| that the largest of k inputs unrelated to the milestone would exceed by chance one
 * time in twenty over n runs: z(1 - 0.025 / k) / sqrt(n) (two-sided, Bonferroni; r is about
 * normal with standard deviation 1/sqrt(n) under independence). z by bisection on erfc. */
static double noise(int runs, int inputs)
{
    if (runs < 4) return 1;
    double tail = 0.025 / (inputs > 0 ? inputs : 1), lo = 0, hi = 10;
    for (int i = 0; i < 60; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(mid / sqrt(2.0)) > tail) lo = mid; else hi = mid;
    }
    return lo / sqrt((double)runs);
}

void rollout_mc_json(node_rollout_mc *mc, cJSON *root)
{
    if (!mc || mc->runs == 0) return;
    cJSON *o = cJSON_AddObjectToObject(root, "monte_carlo");
    cJSON_AddNumberToObject(o, "runs", mc->runs);
    cJSON *arr = cJSON_AddArrayToObject(o, "milestones");
    int *order = malloc((size_t)mc->runs * sizeof *order);
    ranked *rk = malloc((size_t)(mc->ninputs ? mc->ninputs : 1) * sizeof *rk);
    if (!order || !rk) {
        free(order);
        free(rk);
        return;
    }
    cJSON *sched = cJSON_GetObjectItem(root, "schedule");
    cJSON *sms = sched ? cJSON_GetObjectItem(sched, "milestones") : NULL;
    for (int k = 0; k < mc->nms; k++) {
        mc_milestone *m = &mc->ms[k];
        cJSON *e = cJSON_CreateObject();
        double p = (double)m->met / mc->runs;
        cJSON_AddStringToObject(e, "name", m->name);
        cJSON_AddStringToObject(e, "target", m->target);
        cJSON_AddNumberToObject(e, "p_meet", p);
        cJSON_AddNumberToObject(e, "p_meet_se", sqrt(p * (1 - p) / mc->runs));
        int reached = 0;
        for (int i = 0; i < mc->runs; i++) reached += m->day[i] >= 0;
        cJSON_AddNumberToObject(e, "reached", reached);
        const char *q[2] = {"p50", "p90"};
        const double qv[2] = {0.5, 0.9};
        char qdate[2][16];
        for (int j = 0; j < 2; j++) {
            int run = quantile_run(m, mc->runs, qv[j], order);
            snprintf(qdate[j], sizeof qdate[j], "%s", m->date[run]);
            if (qdate[j][0]) cJSON_AddStringToObject(e, q[j], qdate[j]);
            else cJSON_AddNullToObject(e, q[j]);
        }
        /* the spread of dates: runs per date, in date order */
        quantile_run(m, mc->runs, 1, order);
        cJSON *dist = cJSON_AddArrayToObject(e, "dates");
        for (int i = 0; i < mc->runs;) {
            int j = i;
            while (j < mc->runs && strcmp(m->date[order[j]], m->date[order[i]]) == 0) j++;
            cJSON *d = cJSON_CreateObject();
            if (m->date[order[i]][0]) cJSON_AddStringToObject(d, "date", m->date[order[i]]);
            else cJSON_AddNullToObject(d, "date");
            cJSON_AddNumberToObject(d, "runs", j - i);
            cJSON_AddItemToArray(dist, d);
            i = j;
        }
        int n = rank_inputs(mc, m, rk);
        cJSON_AddNumberToObject(e, "noise", round(noise(mc->runs, n) * 1000) / 1000);
        cJSON *inputs = cJSON_AddArrayToObject(e, "inputs");
        for (int i = 0; i < n && i < TOP; i++) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "input", mc->inputs[rk[i].index]);
            cJSON_AddNumberToObject(d, "correlation", round(rk[i].score * 1000) / 1000);
            cJSON_AddBoolToObject(d, "significant", fabs(rk[i].score) >= noise(mc->runs, n));
            cJSON_AddItemToArray(inputs, d);
        }
        qsort(m->crit, (size_t)m->ncrit, sizeof *m->crit, by_count);
        cJSON *crit = cJSON_AddArrayToObject(e, "critical");
        for (int i = 0; i < m->ncrit && i < TOP * 2; i++) {
            cJSON *d = cJSON_CreateObject();
            cJSON_AddStringToObject(d, "key", m->crit[i].key);
            cJSON_AddNumberToObject(d, "share", (double)m->crit[i].n / mc->runs);
            cJSON_AddItemToArray(crit, d);
        }
        cJSON_AddItemToArray(arr, e);
        /* and into schedule.milestones, replacing the single run's values */
        for (cJSON *sm = sms ? sms->child : NULL; sm; sm = sm->next) {
            cJSON *name = cJSON_GetObjectItem(sm, "name");
            if (!cJSON_IsString(name) || strcmp(name->valuestring, m->name) != 0) continue;
            cJSON_ReplaceItemInObject(sm, "p_meet", cJSON_CreateNumber(p));
            for (int j = 0; j < 2; j++)
                cJSON_ReplaceItemInObject(sm, q[j], qdate[j][0] ? cJSON_CreateString(qdate[j]) : cJSON_CreateNull());
            cJSON_AddNumberToObject(sm, "runs", mc->runs);
        }
    }
    free(order);
    free(rk);
}

void rollout_mc_print(node_rollout_mc *mc, FILE *out)
{
    if (!mc || mc->runs == 0) return;
    fprintf(out, "  monte carlo %d runs\n", mc->runs);
    if (mc->nms == 0) {
        fprintf(out, "    (no milestones)\n");
        return;
    }
    int *order = malloc((size_t)mc->runs * sizeof *order);
    ranked *rk = malloc((size_t)(mc->ninputs ? mc->ninputs : 1) * sizeof *rk);
    if (!order || !rk) {
        free(order);
        free(rk);
        return;
    }
    fprintf(out, "    milestone                      target      p(meet)         P50         P90\n");
    for (int k = 0; k < mc->nms; k++) {
        mc_milestone *m = &mc->ms[k];
        double p = (double)m->met / mc->runs;
        char q[2][16];
        const double qv[2] = {0.5, 0.9};
        for (int j = 0; j < 2; j++) {
            int run = quantile_run(m, mc->runs, qv[j], order);
            snprintf(q[j], sizeof q[j], "%s", m->date[run][0] ? m->date[run] : "not reached");
        }
        fprintf(out, "    %-30.30s %s  %.3f ± %.3f   %-11s %s\n", m->name, m->target, p,
                sqrt(p * (1 - p) / mc->runs), q[0], q[1]);
        int n = rank_inputs(mc, m, rk), shown = 0;
        for (int i = 0; i < n && shown < TOP; i++) {
            if (fabs(rk[i].score) < noise(mc->runs, n)) break;
            fprintf(out, "%s %s (r %+.2f)", shown++ ? "," : "      inputs that matter most:", mc->inputs[rk[i].index],
                    rk[i].score);
        }
        if (shown) fprintf(out, "\n");
        else if (n == 0 && mc->runs > 1) fprintf(out, "      the same date in every run\n");
        else if (n)
            fprintf(out, "      no input stands out of the noise (|r| < %.2f for %d inputs over %d runs)\n",
                    noise(mc->runs, n), n, mc->runs);
        qsort(m->crit, (size_t)m->ncrit, sizeof *m->crit, by_count);
        if (m->ncrit) {
            fprintf(out, "      on the critical path:");
            for (int i = 0; i < m->ncrit && i < TOP; i++)
                fprintf(out, "%s %s %.0f%%", i ? "," : "", m->crit[i].key, 100.0 * m->crit[i].n / mc->runs);
            fprintf(out, "\n");
        }
    }
    free(order);
    free(rk);
}
