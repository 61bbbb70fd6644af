/* swarm/checker.c - the swarm's checker: it observes a run and never steers (TigerBeetle's
 * state_checker). Its own code and its own figures, not fault/recovery.c's: it keeps its own
 * ledger of the acknowledged writes (from the ends of the flows the bodies see), reads the
 * sites' serving state every `sample` of simulated time (a world event of its own, which
 * changes no node's state, stream or message), and at the end audits every acknowledged
 * write against the store that serves its tenant and compares its figures with the run's.
 *
 * Definitions (documented in scripts/README.md, "The swarm"):
 * - a tenant is served by a site when the site is up and says it serves it (serving_own for
 *   its own tenants, serving_peer for its peer's);
 * - a site holds a current copy when it is up, not awaiting ops's word after a crash, and
 *   resynchronised (it did not lose state, or its resync finished);
 * - reachable by ops: ops is up and the link between ops and the site is up;
 * - the bound: detect + 3 heartbeats + one sample (documented: detection, then two heartbeats
 *   to take the tenants; one more and the sampling as slack);
 * - an accepted failback completes when every tenant of its home is served by its home, within
 *   2 x detect + 4 heartbeats + 2 batches + 1 min, unless its home goes down meanwhile;
 * - stranded: unserved for 30 min up to the end of the run with both of its sites up and
 *   reachable by ops, although the scenario's operators asked both sites' promotion at 16:30,
 *   with force where a plain one was refused (after a double loss an operator must be able to
 *   restore service from the best copy);
 * - an acknowledged write (a code acquisition or replica registration whose `ok` reached its
 *   body) is held when the tenant's serving store (or, with nobody serving, either of its
 *   sites that is up) has the record: the swarm's workload only creates records, so presence
 *   is the version.
 *
 * Failures: a ledger or a table that cannot grow halts the run (domain_halt): a checker that
 * silently dropped an observation would pass what it did not see. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault/fault.h"
#include "platform/platform.h"
#include "sim_net.h"
#include "sim_time.h"
#include "swarm/swarm.h"

static const char *const INV_NAMES[SWARM_INVARIANTS] = {
    [SWARM_INV_ONE_SITE] = "one_site_serves",     [SWARM_INV_SERVED] = "served_when_current",
    [SWARM_INV_WRITES] = "writes_accounted",      [SWARM_INV_RPO_EXACT] = "rpo_exact",
    [SWARM_INV_FLOW_ONCE] = "flow_ends_once",     [SWARM_INV_FLOW_OUTCOME] = "flow_outcome",
    [SWARM_INV_FAILBACK] = "failback_completes",  [SWARM_INV_FIGURES] = "figures_match",
    [SWARM_INV_STRANDED] = "not_stranded",        [SWARM_INV_PLANTED] = "planted_pair",
};

const char *swarm_invariant_name(swarm_invariant i) { return i < SWARM_INVARIANTS ? INV_NAMES[i] : "?"; }

int swarm_invariant_of(const char *name)
{
    for (int i = 0; i < SWARM_INVARIANTS; i++)
        if (strcmp(name, INV_NAMES[i]) == 0) return i;
    return -EINVAL;
}

typedef struct acked_write {
    uint32_t tenant;            /* the body's node (= tenant id) */
    uint8_t code;               /* a code acquisition (else a replica registration) */
    uint64_t addressee;
    char record_id[24];
} acked_write;

typedef struct tenant_state {
    uint32_t tenant;
    sim_time_t unserved_since;  /* -1: served, or no current site could serve it */
    sim_time_t stranded_since;  /* -1: served, or not both its sites up and reachable */
} tenant_state;

typedef struct failback_ask {
    uint32_t home;
    sim_time_t asked;
    uint64_t abandoned;         /* the platform's abandoned failbacks when it was accepted */
    bool open;
} failback_ask;

struct swarm_checker {
    domain *d;
    swarm_checker_config cfg;
    int64_t bound_served, bound_failback;
    uint32_t ops;               /* UINT32_MAX: none */
    sim_map ended;              /* flow -> 1: flows seen ending */
    uint64_t started[FLOW_KINDS], ended_n[FLOW_KINDS];
    acked_write *acked;
    size_t nacked, cap_acked;
    tenant_state *t;
    size_t nt, cap_t;
    sim_map tenant_index;       /* tenant + 1 -> index in t + 1 (the national topology has 1,788) */
    failback_ask *fb;
    size_t nfb, cap_fb;
    swarm_violation v[SWARM_INVARIANTS];
    size_t nv;
    bool seen[SWARM_INVARIANTS];
    bool finished;
    uint64_t (*now_ns)(void);
    uint64_t ns;
    /* served_when_current: the stretch that broke it, told in full once it ends */
    uint32_t unserved_tenant;
    sim_time_t unserved_from;
    bool unserved_open;
};

static const sim_world_ext_key checker_key = {"swarm checker"};

static uint64_t tick(const swarm_checker *c) { return c->now_ns ? c->now_ns() : 0; }
static void tock(swarm_checker *c, uint64_t t0) { if (c->now_ns) c->ns += c->now_ns() - t0; }

static void violation(swarm_checker *c, swarm_invariant inv, int64_t at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void violation(swarm_checker *c, swarm_invariant inv, int64_t at, const char *fmt, ...)
{
    if (c->seen[inv]) return;   /* the first of each: the shrinker keeps to one class */
    c->seen[inv] = true;
    swarm_violation *v = &c->v[c->nv++];
    v->inv = inv;
    v->at = at;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->detail, sizeof v->detail, fmt, ap);
    va_end(ap);
}

static void at_text(int64_t at, char out[SIM_TIME_BUFSZ])
{
    if (sim_time_format(at, out, SIM_TIME_BUFSZ) == 0) snprintf(out, SIM_TIME_BUFSZ, "%" PRId64, at);
}

/* ---- what a tenant looks like at a moment -------------------------------------------------- */

static void close_unserved(swarm_checker *c, sim_time_t at, const char *how);

static tenant_state *tenant_of(swarm_checker *c, uint32_t tenant)
{
    uint64_t i;
    if (sim_map_get(&c->tenant_index, (uint64_t)tenant + 1, &i)) return &c->t[i - 1];
    if (sim_map_put(&c->tenant_index, (uint64_t)tenant + 1, c->nt + 1) < 0) return NULL;
    if (c->nt == c->cap_t) {
        size_t cap = c->cap_t ? 2 * c->cap_t : 16;
        tenant_state *p = realloc(c->t, cap * sizeof *p);
        if (!p) return NULL;
        c->t = p;
        c->cap_t = cap;
    }
    c->t[c->nt] = (tenant_state){.tenant = tenant, .unserved_since = -1, .stranded_since = -1};
    return &c->t[c->nt++];
}

void swarm_checker_observe(swarm_checker *c, const swarm_observation *o)
{
    tenant_state *t = tenant_of(c, o->tenant);
    if (!t) {
        domain_halt(c->d, "swarm checker: out of memory for the tenants");
        return;
    }
    char when[SIM_TIME_BUFSZ];
    if (o->serving >= 2) {
        at_text(o->at, when);
        violation(c, SWARM_INV_ONE_SITE, o->at, "tenant %s served by %d sites at %s",
                  sim_world_node(c->d->w, o->tenant) ? sim_world_node(c->d->w, o->tenant)->name : "?", o->serving, when);
    }
    if (o->serving > 0 || !o->all_reachable) t->stranded_since = -1;
    else if (t->stranded_since < 0) t->stranded_since = o->at;
    if (o->serving > 0 || !o->current_reachable) {
        if (c->unserved_open && c->unserved_tenant == o->tenant) close_unserved(c, o->at, o->serving > 0 ? "served again" : "no current site reachable");
        t->unserved_since = -1;
        return;
    }
    if (t->unserved_since < 0) t->unserved_since = o->at;
    if (o->at - t->unserved_since > c->bound_served) {
        char since[SIM_TIME_BUFSZ];
        at_text(t->unserved_since, since);
        at_text(o->at, when);
        const sim_node *n = sim_world_node(c->d->w, o->tenant);
        if (!c->seen[SWARM_INV_SERVED]) {
            c->unserved_open = true;
            c->unserved_tenant = o->tenant;
            c->unserved_from = t->unserved_since;
        }
        violation(c, SWARM_INV_SERVED, o->at,
                  "tenant %s unserved from %s to at least %s while a site with a current copy was up and reachable by ops (bound %" PRId64 " s)",
                  n ? n->name : "?", since, when, c->bound_served / SIM_SEC);
    }
}

/* The unserved stretch that broke served_when_current ended (or the run did): say how long. */
static void close_unserved(swarm_checker *c, sim_time_t at, const char *how)
{
    c->unserved_open = false;
    for (size_t i = 0; i < c->nv; i++) {
        if (c->v[i].inv != SWARM_INV_SERVED) continue;
        char from[SIM_TIME_BUFSZ], to[SIM_TIME_BUFSZ];
        at_text(c->unserved_from, from);
        at_text(at, to);
        const sim_node *n = sim_world_node(c->d->w, c->unserved_tenant);
        /* a detail cut at its size is still a true line: the return value says by how much */
        int len = snprintf(c->v[i].detail, sizeof c->v[i].detail,
                 "tenant %s unserved from %s to %s (%" PRId64 " s, %s) while a site with a current copy was up and reachable by ops (bound %" PRId64 " s)",
                 n ? n->name : "?", from, to, (at - c->unserved_from) / SIM_SEC, how, c->bound_served / SIM_SEC);
        (void)len;
    }
}

static bool reachable_by_ops(const swarm_checker *c, uint32_t site)
{
    const sim_node *ops = c->ops == UINT32_MAX ? NULL : sim_world_node(c->d->w, c->ops);
    sim_link_params p;
    return ops && ops->up && sim_link_get(c->d->w, site, c->ops, &p) == 0 && p.up;
}

static bool site_is(const sim_world *w, uint32_t id)
{
    const sim_node *n = sim_world_node(w, id);
    return n && n->kind == &platform_site_kind;
}

static bool serves(sim_world *w, uint32_t site, const body *b)
{
    sim_node *n = sim_world_node(w, site);
    return n && n->up && site_is(w, site) && platform_ha_serves(n, b);
}

static bool current(sim_world *w, uint32_t site)
{
    sim_node *n = sim_world_node(w, site);
    if (!n || !n->up || !site_is(w, site)) return false;
    const site_ha *h = platform_ha_of(n);
    return h->resynced && !h->awaiting_ops;
}

static void check_failbacks(swarm_checker *c, sim_time_t now)
{
    sim_world *w = c->d->w;
    for (size_t i = 0; i < c->nfb; i++) {
        failback_ask *f = &c->fb[i];
        if (!f->open) continue;
        const sim_node *home = sim_world_node(w, f->home);
        if (!home || !home->up) {   /* its home went down: it cannot complete, nor owe it */
            f->open = false;
            continue;
        }
        bool done = true;
        for (uint32_t id = 0; id < c->d->nbodies_cap && done; id++) {
            const body *b = c->d->bodies[id];
            if (b && b->kind == BODY_LG && b->home == f->home && !serves(w, f->home, b)) done = false;
        }
        const ha_stats *st = platform_ha_stats_find(c->d);
        if (done || (st && st->abandoned_failbacks > f->abandoned)) {   /* completed, or reported failed */
            f->open = false;
        } else if (now - f->asked > c->bound_failback) {
            char when[SIM_TIME_BUFSZ];
            at_text(f->asked, when);
            violation(c, SWARM_INV_FAILBACK, now,
                      "failback of %s accepted at %s neither completed within %" PRId64 " s nor reported failure",
                      home->name, when, c->bound_failback / SIM_SEC);
            f->open = false;
        }
    }
}

/* What a sample needs of a site, read once per sample (a few sites, many tenants). */
typedef struct site_view {
    uint32_t id;
    bool reachable, current;
} site_view;
enum { SITE_VIEWS = 8 };

static const site_view *view_of(swarm_checker *c, site_view *v, size_t *n, uint32_t site)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i].id == site) return &v[i];
    static const site_view none = {.id = UINT32_MAX};
    if (*n == SITE_VIEWS) return &none;   /* more sites than the platform has: seen as down */
    const sim_node *node = sim_world_node(c->d->w, site);
    v[*n] = (site_view){.id = site, .reachable = node && node->up && reachable_by_ops(c, site),
                        .current = current(c->d->w, site)};
    return &v[(*n)++];
}

static void sample(swarm_checker *c)
{
    sim_world *w = c->d->w;
    sim_time_t now = sim_world_now(w);
    site_view views[SITE_VIEWS];
    size_t nviews = 0;
    for (uint32_t id = 0; id < c->d->nbodies_cap; id++) {
        const body *b = c->d->bodies[id];
        if (!b || b->kind != BODY_LG) continue;
        swarm_observation o = {.at = now, .tenant = b->tenant};
        o.serving = serves(w, b->home, b) + serves(w, b->backup, b);
        const site_view *home = view_of(c, views, &nviews, b->home), *backup = view_of(c, views, &nviews, b->backup);
        o.current_reachable = (home->current && home->reachable) || (backup->current && backup->reachable);
        o.all_reachable = home->reachable && backup->reachable;
        swarm_checker_observe(c, &o);
    }
    if (c->nfb) check_failbacks(c, now);
}

static void sample_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    (void)tag, (void)node;
    swarm_checker *c = ptr;
    uint64_t t0 = tick(c);
    if (!c->finished) sample(c);
    /* the next sample; the run's end leaves it pending, which is harmless */
    if (!c->finished && sim_world_schedule(w, sim_world_now(w) + c->cfg.sample, sample_event, c, 0, 0, NULL) < 0)
        domain_halt(c->d, "swarm checker: cannot schedule its next sample");
    tock(c, t0);
}

/* ---- flows ------------------------------------------------------------------------------------- */

void swarm_checker_observe_end(swarm_checker *c, uint64_t flow, int outcome, int64_t at)
{
    char when[SIM_TIME_BUFSZ];
    if (sim_map_get(&c->ended, flow, NULL)) {
        at_text(at, when);
        violation(c, SWARM_INV_FLOW_ONCE, at, "flow %" PRIu64 " ended a second time at %s", flow, when);
    } else if (sim_map_put(&c->ended, flow, 1) < 0) {
        domain_halt(c->d, "swarm checker: out of memory for the flows");
    }
    if (outcome < 0 || outcome >= FLOW_ERRORS) {
        at_text(at, when);
        violation(c, SWARM_INV_FLOW_OUTCOME, at, "flow %" PRIu64 " ended at %s with no explicit outcome (%d)", flow, when, outcome);
    }
}

static void on_started(void *ud, flow_kind kind)
{
    swarm_checker *c = ud;
    if (kind < FLOW_KINDS) c->started[kind]++;
}

static void on_ended(void *ud, const domain_flow_end *ev)
{
    swarm_checker *c = ud;
    uint64_t t0 = tick(c);
    if (ev->kind < FLOW_KINDS) c->ended_n[ev->kind]++;
    swarm_checker_observe_end(c, ev->flow, (int)ev->error, sim_world_now(c->d->w));
    bool write = ev->kind == FLOW_CODE_REQUEST || ev->kind == FLOW_REPLICA;
    if (write && ev->error == FLOW_OK && ev->m && ev->b && ev->b->kind == BODY_LG) {
        if (c->nacked == c->cap_acked) {
            size_t cap = c->cap_acked ? 2 * c->cap_acked : 256;
            acked_write *p = realloc(c->acked, cap * sizeof *p);
            if (!p) {
                domain_halt(c->d, "swarm checker: out of memory for the acknowledged writes");
                tock(c, t0);
                return;
            }
            c->acked = p;
            c->cap_acked = cap;
        }
        acked_write *a = &c->acked[c->nacked++];
        *a = (acked_write){.tenant = ev->b->tenant, .code = ev->kind == FLOW_CODE_REQUEST, .addressee = ev->m->addressee_no};
        memcpy(a->record_id, ev->m->record_id, sizeof a->record_id);
        a->record_id[sizeof a->record_id - 1] = '\0';
    }
    tock(c, t0);
}

/* ---- the end of the run ------------------------------------------------------------------------ */

static bool holds(domain *d, uint32_t site, const acked_write *a)
{
    tenant_db *t = platform_node_db(d, site);
    if (!t) return false;
    if (a->code) return sim_map_get(&t->code_by_addressee, ((uint64_t)a->tenant + 1) << 32 | a->addressee, NULL);
    uint64_t digest;
    return platform_tenant_replica_digest(t, a->tenant, a->record_id, &digest, NULL) == 0;
}

static uint64_t audit(swarm_checker *c)
{
    sim_world *w = c->d->w;
    uint64_t lost = 0;
    for (size_t i = 0; i < c->nacked; i++) {
        const acked_write *a = &c->acked[i];
        const body *b = domain_body(c->d, a->tenant);
        if (!b) continue;
        bool held;
        if (serves(w, b->home, b)) held = holds(c->d, b->home, a);
        else if (serves(w, b->backup, b)) held = holds(c->d, b->backup, a);
        else {   /* nobody serves it: the best copy that is up */
            const sim_node *h = sim_world_node(w, b->home), *k = sim_world_node(w, b->backup);
            held = (h && h->up && holds(c->d, b->home, a)) || (k && k->up && holds(c->d, b->backup, a));
        }
        lost += !held;
    }
    return lost;
}

void swarm_checker_compare(swarm_checker *c, uint64_t lost, uint64_t rpo, uint64_t started, uint64_t ended,
                           uint64_t summary_started, uint64_t summary_ended, uint64_t pending)
{
    int64_t now = sim_world_now(c->d->w);
    if (lost > rpo)
        violation(c, SWARM_INV_WRITES, now,
                  "%" PRIu64 " acknowledged write(s) missing from the serving store, the RPO counts %" PRIu64, lost, rpo);
    else if (rpo > lost)
        violation(c, SWARM_INV_RPO_EXACT, now,
                  "the RPO counts %" PRIu64 " write(s) lost, the serving stores miss %" PRIu64, rpo, lost);
    if (started - ended != pending)
        violation(c, SWARM_INV_FLOW_ONCE, now,
                  "%" PRIu64 " flow(s) started, %" PRIu64 " ended, but %" PRIu64 " still waiting: %" PRId64 " vanished",
                  started, ended, pending, (int64_t)(started - ended) - (int64_t)pending);
    if (started != summary_started || ended != summary_ended)
        violation(c, SWARM_INV_FIGURES, now,
                  "flows: the summary says %" PRIu64 " started and %" PRIu64 " ended, the checker saw %" PRIu64 " and %" PRIu64,
                  summary_started, summary_ended, started, ended);
}

void swarm_checker_finish(swarm_checker *c)
{
    if (c->finished) return;
    uint64_t t0 = tick(c);
    sim_world *w = c->d->w;
    check_failbacks(c, sim_world_now(w));
    if (c->unserved_open) close_unserved(c, sim_world_now(w), "the end of the run");
    c->finished = true;
    uint64_t rpo = 0;
    bool slow = false, rotation = false;
    const faults *fs = fault_records_find(c->d);
    for (size_t i = 0; fs && i < fs->n; i++) {
        rpo += fs->list[i]->rpo_writes;
        slow |= fs->list[i]->kind == FAULT_NWS_SLOW;
        rotation |= fs->list[i]->kind == FAULT_KEY_ROTATION;
    }
    uint64_t started = 0, ended = 0, s_started = 0, s_ended = 0, pending = 0;
    for (int k = 0; k < FLOW_KINDS; k++) {
        started += c->started[k];
        ended += c->ended_n[k];
        s_started += c->d->stats.started[k];
        s_ended += c->d->stats.ended[k];
    }
    for (uint32_t id = 0; id < c->d->nbodies_cap; id++)
        if (c->d->bodies[id]) pending += sim_map_len(&c->d->bodies[id]->pending);
    swarm_checker_compare(c, audit(c), rpo, started, ended, s_started, s_ended, pending);
    for (size_t i = 0; i < c->nt; i++) {
        const tenant_state *t = &c->t[i];
        if (t->stranded_since < 0 || sim_world_now(w) - t->stranded_since < 30 * SIM_MIN) continue;
        char since[SIM_TIME_BUFSZ];
        at_text(t->stranded_since, since);
        const sim_node *n = sim_world_node(w, t->tenant);
        violation(c, SWARM_INV_STRANDED, sim_world_now(w),
                  "tenant %s unserved from %s to the end with both its sites up and reachable by ops",
                  n ? n->name : "?", since);
    }
    if (c->cfg.plant && slow && rotation)
        violation(c, SWARM_INV_PLANTED, sim_world_now(w), "the planted pair (nws_slow and key_rotation) both happened");
    tock(c, t0);
}

/* ---- life ------------------------------------------------------------------------------------- */

static void checker_free(void *p)
{
    swarm_checker *c = p;
    sim_map_free(&c->ended);
    sim_map_free(&c->tenant_index);
    free(c->acked);
    free(c->t);
    free(c->fb);
    free(c);
}

int swarm_checker_attach(domain *d, const swarm_checker_config *cfg, swarm_checker **out)
{
    if (sim_world_ext(d->w, &checker_key)) return -EBUSY;
    swarm_checker *c = calloc(1, sizeof *c);
    if (!c) return -ENOMEM;
    c->d = d;
    c->cfg = *cfg;
    if (c->cfg.sample <= 0) c->cfg.sample = SIM_SEC;
    const ha_settings *s = platform_ha_settings_find(d);
    int64_t detect = s ? s->detect : 30 * SIM_SEC, hb = s ? s->heartbeat : 5 * SIM_SEC, batch = s ? s->batch : 2 * SIM_SEC;
    c->bound_served = detect + 3 * hb + c->cfg.sample;
    c->bound_failback = 2 * detect + 4 * hb + 2 * batch + SIM_MIN;
    const sim_node *ops = sim_world_find_node(d->w, "ops");
    c->ops = ops && ops->kind == &platform_ops_kind ? ops->id : UINT32_MAX;
    domain_flow_listener l = {.started = on_started, .ended = on_ended, .ud = c};
    int rc = domain_listen(d, &l);
    if (rc < 0) {
        free(c);
        return rc;
    }
    rc = sim_world_ext_attach(d->w, &checker_key, c, checker_free);
    if (rc < 0) {
        domain_unlisten(d, c);
        free(c);
        return rc;
    }
    rc = sim_world_schedule(d->w, sim_world_now(d->w) + c->cfg.sample, sample_event, c, 0, 0, NULL);
    if (rc < 0) return rc;   /* attached: freed with the world */
    *out = c;
    return 0;
}

swarm_checker *swarm_checker_find(const sim_world *w) { return sim_world_ext(w, &checker_key); }

void swarm_checker_operator(swarm_checker *c, bool failback, uint32_t site, bool accepted)
{
    if (!failback || !accepted) return;
    if (c->nfb == c->cap_fb) {
        size_t cap = c->cap_fb ? 2 * c->cap_fb : 8;
        failback_ask *p = realloc(c->fb, cap * sizeof *p);
        if (!p) {
            domain_halt(c->d, "swarm checker: out of memory for the failbacks");
            return;
        }
        c->fb = p;
        c->cap_fb = cap;
    }
    const ha_stats *st = platform_ha_stats_find(c->d);
    c->fb[c->nfb++] = (failback_ask){.home = site, .asked = sim_world_now(c->d->w),
                                     .abandoned = st ? st->abandoned_failbacks : 0, .open = true};
}

size_t swarm_checker_violations(const swarm_checker *c, const swarm_violation **out)
{
    *out = c->v;
    return c->nv;
}

void swarm_checker_set_clock(swarm_checker *c, uint64_t (*now_ns)(void)) { c->now_ns = now_ns; }
uint64_t swarm_checker_ns(const swarm_checker *c) { return c->ns; }
