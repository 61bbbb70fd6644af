/* domain/checker.h - the invariants of a run, checked by a checker that observes and never
 * steers (TigerBeetle's state_checker): the list of invariants is named here, in the order
 * they are shown; the subsystem that holds what an invariant is about registers the check for
 * it (the domain its own three, the node kinds the serial numbers, codes, unlinkability and
 * disclosure, the platform and the fault records theirs), so the checker knows none of them.
 * A new invariant goes at the end (the order is what summary.json shows). A check reads; it must never
 * change the world. */
#ifndef RENKEI_DOMAIN_CHECKER_H
#define RENKEI_DOMAIN_CHECKER_H

#include <stdbool.h>
#include <stddef.h>

#include "domain/domain.h"

/* The invariants, in the order the summary, summary.json and the dashboard show them. */
typedef enum domain_invariant {
    DOMAIN_INV_NO_INDIVIDUAL_NO,    /* domain: no individual number on the network */
    DOMAIN_INV_FLOWS_END_ONCE,      /* domain: every flow ends exactly once */
    DOMAIN_INV_STAFF_NAMED,         /* domain: every inquiry names a staff member */
    DOMAIN_INV_SERIALS_RECONCILE,   /* kinds: inquirer within NWS within provider */
    DOMAIN_INV_CODES_DIFFER,        /* kinds: codes differ across bodies for a person */
    DOMAIN_INV_ONE_SITE_SERVES,     /* platform: no tenant served by two sites at once */
    DOMAIN_INV_WRITES_SURVIVE,      /* fault: acknowledged writes survive a failover */
    DOMAIN_INV_UNLINKABLE,          /* kinds: no node but the NWS holds a resident-derived key
                                     * and an agency code of one person */
    DOMAIN_INV_DISCLOSED,           /* kinds: every provision is in the person's disclosure
                                     * unless marked 不開示 */
    DOMAIN_INVARIANTS
} domain_invariant;

typedef struct invariant_result {
    const char *name;
    bool held;
    char detail[160];
} invariant_result;

/* A check: 1 held, 0 broken, DOMAIN_CHECK_NOT_APPLICABLE (the world has nothing it is about:
 * it is left out), or a negative errno (it could not be computed: reported as broken, with
 * the reason). detail gets a line for people either way. */
enum { DOMAIN_CHECK_NOT_APPLICABLE = 2 };
typedef int (*domain_check_fn)(domain *d, void *ud, char *detail, size_t n);

/* Register the check of invariant `inv`; registering it again replaces it (idempotent for
 * subsystems created lazily). 0, -EINVAL for an unknown invariant, -ENOMEM. */
int domain_check_register(domain *d, domain_invariant inv, const char *name, domain_check_fn fn, void *ud);
/* Evaluate every registered invariant (cached while the world's event count is unchanged:
 * the summary, summary.json and the expectations all ask at the end, and the reconciliation
 * scans every log). Fills out[] in the enum's order and returns how many. */
int domain_invariants(domain *d, invariant_result out[DOMAIN_INVARIANTS]);
/* How many invariants are broken now. */
int domain_invariants_broken(domain *d);
void domain_checker_free(domain *d);
/* Register the domain's own three (domain_get does). */
int domain_checker_init(domain *d);

#endif
