/* dash/dash_series.c - the run's figures by simulated time, counted as flows start and end:
 * flows started and ended, inquiry outcomes by kind, inquiry latency as a log-spaced
 * histogram per bucket (so percentiles per minute cost no sorting), and the run rates
 * sampled by the server. Buckets are a simulated minute wide; when a long run fills
 * SERIES_MAX_BUCKETS, neighbours merge and the width doubles, so memory stays bounded. */
#include "dash/dash_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LATENCY_BASE_US 1000.0      /* bin 0 ends at 1 ms */
#define LATENCY_FACTOR 1.3          /* each bin 30% wider than the last */

void dash_series_init(dash_series *s, sim_time_t origin)
{
    memset(s, 0, sizeof *s);
    s->origin = origin;
    s->width = SIM_MIN;
}

void dash_series_free(dash_series *s)
{
    free(s->b);
    s->b = NULL;
    s->n = s->cap = 0;
}

static void merge_pairs(dash_series *s)
{
    s->dirty_from = 0;   /* every bucket changed: the page takes the whole series again */
    if (!s->n) {         /* nothing counted yet (a long run's first flow): only wider */
        s->width *= 2;
        return;
    }
    uint32_t half = (s->n + 1) / 2;
    for (uint32_t i = 0; i < half; i++) {
        series_bucket m = s->b[2 * i];
        if (2 * i + 1 < s->n) {
            const series_bucket *o = &s->b[2 * i + 1];
            for (int k = 0; k < FLOW_KINDS; k++) {
                m.started[k] += o->started[k];
                m.ended[k] += o->ended[k];
            }
            for (int e = 0; e < FLOW_ERRORS; e++) m.outcome[e] += o->outcome[e];
            for (int j = 0; j < LATENCY_BINS; j++) m.latency[j] += o->latency[j];
        }
        s->b[i] = m;
    }
    memset(s->b + half, 0, (s->n - half) * sizeof *s->b);
    s->n = half;
    s->width *= 2;
}

/* The bucket of time `now`, created (with those before it) if need be; NULL on ENOMEM. */
static series_bucket *bucket_at(dash_series *s, sim_time_t now)
{
    if (now < s->origin) now = s->origin;
    uint64_t i = (uint64_t)((now - s->origin) / s->width);
    while (i >= SERIES_MAX_BUCKETS) {
        merge_pairs(s);
        i = (uint64_t)((now - s->origin) / s->width);
    }
    if (i >= s->n) {
        if (i >= s->cap) {
            uint32_t cap = s->cap ? s->cap : 256;
            while (cap <= i) cap *= 2;
            series_bucket *b = realloc(s->b, cap * sizeof *b);
            if (!b) return NULL;
            memset(b + s->cap, 0, (cap - s->cap) * sizeof *b);
            s->b = b;
            s->cap = cap;
        }
        if (s->n < s->dirty_from) s->dirty_from = s->n;
        s->n = (uint32_t)i + 1;
    }
    if (i < s->dirty_from) s->dirty_from = (uint32_t)i;
    return &s->b[i];
}

void dash_series_started(dash_series *s, sim_time_t now, flow_kind k)
{
    series_bucket *b = bucket_at(s, now);
    if (b) b->started[k]++;
}

static int latency_bin(int64_t us)
{
    if (us <= LATENCY_BASE_US) return 0;
    int bin = 1 + (int)floor(log((double)us / LATENCY_BASE_US) / log(LATENCY_FACTOR));
    return bin >= LATENCY_BINS ? LATENCY_BINS - 1 : bin;
}

/* The middle of a bin, in milliseconds. */
static double bin_ms(int bin)
{
    if (bin == 0) return LATENCY_BASE_US / 2e3;
    double lo = LATENCY_BASE_US * pow(LATENCY_FACTOR, bin - 1), hi = lo * LATENCY_FACTOR;
    return sqrt(lo * hi) / 1e3;
}

void dash_series_ended(dash_series *s, sim_time_t now, flow_kind k, flow_error e, int64_t latency)
{
    series_bucket *b = bucket_at(s, now);
    if (!b) return;
    b->ended[k]++;
    if (k != FLOW_INQUIRY) return;
    b->outcome[e]++;
    if (latency >= 0) b->latency[latency_bin(latency)]++;
}

void dash_series_rate(dash_series *s, sim_time_t now, double eps, double ratio)
{
    uint32_t cap = sizeof s->rates / sizeof s->rates[0];
    uint32_t at = (s->rates_head + s->nrates) % cap;
    s->rates[at] = (struct rate_sample){.t = now, .eps = (float)eps, .ratio = (float)ratio};
    if (s->nrates < cap) s->nrates++;
    else s->rates_head = (s->rates_head + 1) % cap;
}

static double percentile(const series_bucket *b, double p)
{
    uint64_t total = 0;
    for (int j = 0; j < LATENCY_BINS; j++) total += b->latency[j];
    if (!total) return -1;   /* nothing answered in this bucket: a gap, not 0 ms */
    uint64_t rank = (uint64_t)ceil(p * (double)total), seen = 0;
    if (rank == 0) rank = 1;
    for (int j = 0; j < LATENCY_BINS; j++) {
        seen += b->latency[j];
        if (seen >= rank) return round(bin_ms(j) * 100) / 100;
    }
    return bin_ms(LATENCY_BINS - 1);
}

static cJSON *column(void)
{
    return cJSON_CreateArray();
}

static void push(cJSON *col, double v) { cJSON_AddItemToArray(col, cJSON_CreateNumber(v)); }

/* A latency figure, or null for a bucket in which nothing was answered. */
static void push_latency(cJSON *col, double v) { cJSON_AddItemToArray(col, v < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(v)); }

cJSON *dash_series_window_json(const dash_series *s, uint32_t from, bool with_rates)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    if (from > s->n) from = s->n;
    cJSON_AddNumberToObject(o, "origin_us", (double)s->origin);
    cJSON_AddNumberToObject(o, "width_us", (double)s->width);
    cJSON_AddNumberToObject(o, "from", from);
    cJSON_AddNumberToObject(o, "count", s->n);
    cJSON *t = column(), *started = column(), *ended = column(), *ok = column(), *p50 = column(),
          *p95 = column(), *p99 = column(), *all_started = column(), *all_ended = column();
    cJSON *errors = cJSON_CreateObject();
    bool any[FLOW_ERRORS] = {0};
    for (uint32_t i = 0; i < s->n; i++)
        for (int e = 1; e < FLOW_ERRORS; e++) any[e] |= s->b[i].outcome[e] != 0;
    cJSON *err_cols[FLOW_ERRORS] = {0};
    for (int e = 1; e < FLOW_ERRORS; e++)
        if (any[e]) cJSON_AddItemToObject(errors, domain_error_name((flow_error)e), err_cols[e] = column());
    for (uint32_t i = from; i < s->n; i++) {
        const series_bucket *b = &s->b[i];
        push(t, (double)(s->origin + (sim_time_t)i * s->width) / 1e3);   /* ms since the epoch */
        push(started, b->started[FLOW_INQUIRY]);
        push(ended, b->ended[FLOW_INQUIRY]);
        push(ok, b->outcome[FLOW_OK]);
        push_latency(p50, percentile(b, 0.50));
        push_latency(p95, percentile(b, 0.95));
        push_latency(p99, percentile(b, 0.99));
        uint64_t a = 0, z = 0;
        for (int k = 0; k < FLOW_KINDS; k++) {
            a += b->started[k];
            z += b->ended[k];
        }
        push(all_started, (double)a);
        push(all_ended, (double)z);
        for (int e = 1; e < FLOW_ERRORS; e++)
            if (err_cols[e]) push(err_cols[e], b->outcome[e]);
    }
    cJSON_AddItemToObject(o, "t", t);
    cJSON_AddItemToObject(o, "inquiries_started", started);
    cJSON_AddItemToObject(o, "inquiries_ended", ended);
    cJSON_AddItemToObject(o, "inquiries_ok", ok);
    cJSON_AddItemToObject(o, "errors", errors);
    cJSON_AddItemToObject(o, "latency_p50_ms", p50);
    cJSON_AddItemToObject(o, "latency_p95_ms", p95);
    cJSON_AddItemToObject(o, "latency_p99_ms", p99);
    cJSON_AddItemToObject(o, "flows_started", all_started);
    cJSON_AddItemToObject(o, "flows_ended", all_ended);
    if (with_rates) {
        cJSON *r = cJSON_AddObjectToObject(o, "rates");
        cJSON *rt = column(), *eps = column(), *ratio = column();
        uint32_t cap = sizeof s->rates / sizeof s->rates[0];
        for (uint32_t i = 0; i < s->nrates; i++) {
            const struct rate_sample *x = &s->rates[(s->rates_head + i) % cap];
            push(rt, (double)x->t / 1e3);
            push(eps, round(x->eps));
            push(ratio, round(x->ratio * 100) / 100);
        }
        cJSON_AddItemToObject(r, "t", rt);
        cJSON_AddItemToObject(r, "events_per_s", eps);
        cJSON_AddItemToObject(r, "sim_per_wall", ratio);
    }
    return o;
}
