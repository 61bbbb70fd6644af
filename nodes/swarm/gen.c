/* swarm/gen.c - a compound fault schedule from a seed, in the spirit of TigerBeetle's VOPR
 * and swarm testing (Groce et al., ISSTA 2012): the seed first draws which fault kinds are on
 * and their weights, then the number of faults, then each fault (kind by weight, site, time,
 * duration, options). Switching kinds off per seed is what makes rare combinations (two site
 * losses and nothing else) as likely as the everything-at-once soup a fixed mix gives.
 *
 * Only the seed decides: the stream is derived from it under its own name ("swarm"), so the
 * schedule does not depend on anything else the run draws. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim_rng.h"
#include "sim_time.h"
#include "swarm/swarm.h"

static const char *const KIND_NAMES[SWARM_KINDS] = {
    [SWARM_SITE_DOWN] = "site_down",         [SWARM_SITE_LOSS] = "site_loss",
    [SWARM_OPS_DOWN] = "ops_down",           [SWARM_PARTITION_SITES] = "partition_sites",
    [SWARM_PARTITION_OPS] = "partition_ops", [SWARM_FLAP] = "flap",
    [SWARM_NWS_DOWN] = "nws_down",           [SWARM_NWS_SLOW] = "nws_slow",
    [SWARM_JLIS_DOWN] = "jlis_down",         [SWARM_JLIS_CORRUPT] = "jlis_corrupt",
    [SWARM_KEY_ROTATION] = "key_rotation",   [SWARM_CORRUPT] = "corrupt",
    [SWARM_DUPLICATE] = "duplicate",         [SWARM_CORRUPT_REPLICA] = "corrupt_replica",
    [SWARM_PROMOTE] = "promote",             [SWARM_FAILBACK] = "failback",
};
static const char *const MODE_NAMES[SWARM_MODES] = {"sync", "semisync", "async"};

const char *swarm_kind_name(swarm_kind k) { return k < SWARM_KINDS ? KIND_NAMES[k] : "?"; }
const char *swarm_mode_name(swarm_mode m) { return m < SWARM_MODES ? MODE_NAMES[m] : "?"; }

int swarm_mode_of(const char *name)
{
    for (int m = 0; m < SWARM_MODES; m++)
        if (strcmp(name, MODE_NAMES[m]) == 0) return m;
    return -EINVAL;
}

int swarm_kind_of(const char *name)
{
    for (int k = 0; k < SWARM_KINDS; k++)
        if (strcmp(name, KIND_NAMES[k]) == 0) return k;
    return -EINVAL;
}

/* The window faults start in: the business day's core hours, so that every fault meets
 * traffic and the longest ones still end before the day does (17:15). */
enum { WINDOW_FROM_MIN = 9 * 60, WINDOW_TO_MIN = 15 * 60 + 30 };

static int64_t minutes(sim_rng *r, int lo, int hi)
{
    return (int64_t)(lo + (int)sim_rng_below(r, (uint32_t)(hi - lo + 1))) * SIM_MIN;
}

static swarm_kind draw_kind(sim_rng *r, const swarm_schedule *s)
{
    double total = 0;
    for (int k = 0; k < SWARM_KINDS; k++) total += s->enabled[k] ? s->weight[k] : 0;
    double x = sim_rng_uniform(r) * total;
    int last = 0;
    for (int k = 0; k < SWARM_KINDS; k++) {
        if (!s->enabled[k]) continue;
        last = k;
        if (x < s->weight[k]) return (swarm_kind)k;
        x -= s->weight[k];
    }
    return (swarm_kind)last;   /* rounding at the top end */
}

static void draw_fault(sim_rng *r, swarm_kind k, swarm_fault *f)
{
    *f = (swarm_fault){.kind = k, .site = (int)sim_rng_below(r, 2)};
    f->at = (int64_t)WINDOW_FROM_MIN * SIM_MIN +
            (int64_t)sim_rng_below(r, (uint32_t)(WINDOW_TO_MIN - WINDOW_FROM_MIN) * 60) * SIM_SEC;
    switch (k) {
    case SWARM_SITE_DOWN: case SWARM_SITE_LOSS: f->duration = minutes(r, 2, 90); break;
    case SWARM_OPS_DOWN: f->duration = minutes(r, 1, 20); break;
    case SWARM_PARTITION_SITES: case SWARM_PARTITION_OPS: f->duration = minutes(r, 1, 40); break;
    case SWARM_FLAP:
        f->duration = minutes(r, 5, 30);
        f->param = (int64_t)(20 + sim_rng_below(r, 280)) * SIM_SEC;
        break;
    case SWARM_NWS_DOWN: f->duration = minutes(r, 2, 60); break;
    case SWARM_NWS_SLOW:
        f->duration = minutes(r, 5, 60);
        f->param = (int64_t)(1 + sim_rng_below(r, 20)) * SIM_SEC;
        break;
    case SWARM_JLIS_DOWN: f->duration = minutes(r, 2, 30); break;
    case SWARM_JLIS_CORRUPT:
        f->duration = minutes(r, 5, 60);
        f->rate = 0.05 + 0.45 * sim_rng_uniform(r);
        break;
    case SWARM_KEY_ROTATION: f->param = (int64_t)sim_rng_below(r, 121) * SIM_SEC; break;
    case SWARM_CORRUPT:
        f->duration = minutes(r, 5, 30);
        f->rate = 0.01 + 0.19 * sim_rng_uniform(r);
        break;
    case SWARM_DUPLICATE:
        f->duration = minutes(r, 5, 30);
        f->rate = 0.05 + 0.45 * sim_rng_uniform(r);
        break;
    case SWARM_CORRUPT_REPLICA: f->param = 1 + (int64_t)sim_rng_below(r, 50); break;
    case SWARM_PROMOTE: case SWARM_FAILBACK: case SWARM_KINDS: break;
    }
    /* rates are rounded so the Lua text says exactly what ran */
    f->rate = (double)(int)(f->rate * 1000 + 0.5) / 1000;
}

static int by_time(const void *a, const void *b)
{
    const swarm_fault *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at ? 1 : (int)x->kind - (int)y->kind;
}

int swarm_generate(uint64_t seed, const swarm_gen_config *cfg, swarm_schedule *out)
{
    *out = (swarm_schedule){.seed = seed};
    sim_rng r;
    sim_rng_derive(&r, seed, "swarm");
    uint32_t modes = cfg->modes & ((1u << SWARM_MODES) - 1);
    if (!modes) modes = (1u << SWARM_MODES) - 1;
    int nmodes = __builtin_popcount(modes), pick = (int)sim_rng_below(&r, (uint32_t)nmodes);
    for (int m = 0; m < SWARM_MODES; m++)
        if (modes & (1u << m) && pick-- == 0) out->mode = (swarm_mode)m;
    out->auto_failback = sim_rng_bernoulli(&r, 0.3);
    int on = 0;
    for (int k = 0; k < SWARM_KINDS; k++) {
        out->enabled[k] = sim_rng_bernoulli(&r, 0.5);
        out->weight[k] = 0.2 + sim_rng_uniform(&r);
        on += out->enabled[k];
    }
    uint32_t allowed = cfg->kinds & ((1u << SWARM_KINDS) - 1);
    if (!allowed) allowed = (1u << SWARM_KINDS) - 1;
    if (cfg->plant) allowed &= ~(1u << SWARM_NWS_SLOW | 1u << SWARM_KEY_ROTATION);
    on = 0;
    for (int k = 0; k < SWARM_KINDS; k++) {
        out->enabled[k] = out->enabled[k] && allowed & (1u << k);
        on += out->enabled[k];
    }
    if (on == 0 && allowed) {   /* none drawn on: one of the allowed, drawn */
        int one = (int)sim_rng_below(&r, (uint32_t)__builtin_popcount(allowed));
        for (int k = 0; k < SWARM_KINDS; k++)
            if (allowed & (1u << k) && one-- == 0) out->enabled[k] = true;
    } else if (on == 0) {
        out->enabled[SWARM_SITE_DOWN] = true;   /* --plant with only the pair allowed */
    }
    int max = cfg->faults_max > 0 ? cfg->faults_max : 1;
    size_t n = cfg->plant ? (size_t)(max < 2 ? 2 : max) : 1 + sim_rng_below(&r, (uint32_t)max);
    out->faults = calloc(n, sizeof *out->faults);
    if (!out->faults) return -ENOMEM;
    out->n = n;
    for (size_t i = 0; i < n; i++) draw_fault(&r, draw_kind(&r, out), &out->faults[i]);
    if (cfg->plant) {   /* the pair at two distinct places of the list, before sorting */
        size_t a = sim_rng_below(&r, (uint32_t)n), b = sim_rng_below(&r, (uint32_t)n - 1);
        if (b >= a) b++;
        draw_fault(&r, SWARM_NWS_SLOW, &out->faults[a]);
        draw_fault(&r, SWARM_KEY_ROTATION, &out->faults[b]);
        out->enabled[SWARM_NWS_SLOW] = out->enabled[SWARM_KEY_ROTATION] = true;
    }
    qsort(out->faults, n, sizeof *out->faults, by_time);
    return 0;
}

void swarm_schedule_free(swarm_schedule *s)
{
    free(s->faults);
    s->faults = NULL;
    s->n = 0;
}
