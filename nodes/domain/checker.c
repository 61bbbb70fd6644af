/* domain/checker.c - the registry of invariant checks and their evaluation (checker.h), and
 * the domain's own three invariants: no individual number on the network, every flow ends
 * exactly once, every inquiry names a staff member. */
#include "domain/checker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct domain_checker {
    struct {
        const char *name;
        domain_check_fn fn;
        void *ud;
    } checks[DOMAIN_INVARIANTS];
    invariant_result cache[DOMAIN_INVARIANTS];
    int ncache;                 /* 0: nothing cached */
    uint64_t cache_events;      /* the world's event count when cached */
} domain_checker;

int domain_check_register(domain *d, domain_invariant inv, const char *name, domain_check_fn fn, void *ud)
{
    if ((unsigned)inv >= DOMAIN_INVARIANTS || !fn) return -EINVAL;
    if (!d->checker && !(d->checker = calloc(1, sizeof *d->checker))) return -ENOMEM;
    d->checker->checks[inv].name = name;
    d->checker->checks[inv].fn = fn;
    d->checker->checks[inv].ud = ud;
    d->checker->ncache = 0;
    return 0;
}

static int evaluate(domain *d, invariant_result out[DOMAIN_INVARIANTS])
{
    int n = 0;
    for (int i = 0; d->checker && i < DOMAIN_INVARIANTS; i++) {
        if (!d->checker->checks[i].fn) continue;
        invariant_result *r = &out[n];
        *r = (invariant_result){.name = d->checker->checks[i].name};
        int rc = d->checker->checks[i].fn(d, d->checker->checks[i].ud, r->detail, sizeof r->detail);
        if (rc == DOMAIN_CHECK_NOT_APPLICABLE) continue;
        if (rc < 0) snprintf(r->detail, sizeof r->detail, "could not be checked: %s", strerror(-rc));
        r->held = rc == 1;
        n++;
    }
    return n;
}

int domain_invariants(domain *d, invariant_result out[DOMAIN_INVARIANTS])
{
    if (!d->checker) return 0;
    domain_checker *c = d->checker;
    uint64_t events = sim_world_stats_get(d->w)->events;
    if (!c->ncache || c->cache_events != events) {
        c->ncache = evaluate(d, c->cache);
        c->cache_events = events;
    }
    memcpy(out, c->cache, (size_t)c->ncache * sizeof *out);
    return c->ncache;
}

int domain_invariants_broken(domain *d)
{
    invariant_result inv[DOMAIN_INVARIANTS];
    int n = domain_invariants(d, inv), broken = 0;
    for (int i = 0; i < n; i++) broken += !inv[i].held;
    return broken;
}

void domain_checker_free(domain *d)
{
    free(d->checker);
    d->checker = NULL;
}

/* ---- the domain's own invariants ------------------------------------------------------- */

static int check_no_individual_no(domain *d, void *ud, char *detail, size_t n)
{
    snprintf(detail, n, "%llu message(s) carried one", (unsigned long long)d->stats.individual_no_seen);
    return d->stats.individual_no_seen == 0;
}

/* Each flow ends once by construction (its pending entry goes at the first end); what can go
 * wrong is silence: a flow neither ended nor waiting on a live timeout. */
static int check_flows_end_once(domain *d, void *ud, char *detail, size_t n)
{
    const flow_stats *s = &d->stats;
    uint64_t started = 0, ended = 0, open = 0;
    for (int k = 0; k < FLOW_KINDS; k++) {
        started += s->started[k];
        ended += s->ended[k];
    }
    for (uint32_t i = 0; i < d->nbodies_cap; i++)
        if (d->bodies[i]) open += sim_map_len(&d->bodies[i]->pending);
    snprintf(detail, n, "%llu started, %llu ended, %llu waiting for an answer or their timeout, %llu late answers ignored",
             (unsigned long long)started, (unsigned long long)ended, (unsigned long long)open,
             (unsigned long long)s->late_answers);
    return started == ended + open;
}

static int check_staff_named(domain *d, void *ud, char *detail, size_t n)
{
    snprintf(detail, n, "%llu inquiries named none", (unsigned long long)d->stats.unnamed_staff);
    return d->stats.unnamed_staff == 0;
}

int domain_checker_init(domain *d)
{
    int rc = domain_check_register(d, DOMAIN_INV_NO_INDIVIDUAL_NO, "no individual number on the network",
                                   check_no_individual_no, NULL);
    if (rc == 0)
        rc = domain_check_register(d, DOMAIN_INV_FLOWS_END_ONCE, "every flow ends exactly once",
                                   check_flows_end_once, NULL);
    if (rc == 0)
        rc = domain_check_register(d, DOMAIN_INV_STAFF_NAMED, "every inquiry names a staff member",
                                   check_staff_named, NULL);
    return rc;
}
