/* kinds/invariants.c - the invariants about the node kinds, registered with the checker
 * (domain/checker.h): the serial numbers of every provision reconcile across the NWS, the
 * provider and the inquirer; an agency code is never shared by two bodies for one person. */
#include "kinds/kinds.h"

#include <stdio.h>
#include <stdlib.h>

#include "domain/checker.h"
#include "platform/platform.h"

/* Mark the serial numbers a query returns in a bitmap of n bits; the rest are ignored. */
static void collect(sim_store *st, int slot, const char *sql, uint8_t *bits, uint64_t n, uint64_t *count)
{
    sqlite3_stmt *q = sim_store_stmt(st, slot, sql);
    while (q && sim_store_read(st, q) == 1) {
        uint64_t serial = (uint64_t)sqlite3_column_int64(q, 0);
        if (serial >= n || bits[serial / 8] & (1u << (serial % 8))) continue;
        bits[serial / 8] |= (uint8_t)(1u << (serial % 8));
        (*count)++;
    }
}

/* The three records of every provision: the NWS's access record says "provided", the
 * provider logged the answer, the inquirer logged the receipt. Answers can be in flight at the
 * end of a run (and an integrity failure is received as such), so the sets nest:
 * received (ok) within provided within answered (ok). Serial numbers are dense (the NWS
 * counts them from 1), so the sets are bitmaps. */
static bool reconcile_serials(domain *d, char *why, size_t n)
{
    uint64_t issued = d->nws != UINT32_MAX ? node_nws_serials(sim_world_node(d->w, d->nws)) + 1 : 1;
    size_t bytes = (size_t)(issued + 7) / 8;
    uint8_t *nws = calloc(bytes, 1), *answered = calloc(bytes, 1), *received = calloc(bytes, 1);
    uint64_t n_nws = 0, n_answered = 0, n_received = 0;
    bool ok = nws && answered && received;
    if (ok && d->nws != UINT32_MAX)
        collect(node_nws_store(sim_world_node(d->w, d->nws)), NWS_ST_SERIALS_PROVIDED,
                "SELECT serial_no FROM access_outcome WHERE outcome = 'provided'", nws, issued, &n_nws);
    for (uint32_t i = 0; ok && i < sim_world_node_count(d->w); i++) {
        tenant_db *t = platform_node_db(d, i);
        if (!t) continue;
        collect(t->store, TENANT_ST_SERIALS_ANSWERED, "SELECT serial_no FROM provision_log WHERE outcome = 'ok'", answered, issued, &n_answered);
        collect(t->store, TENANT_ST_SERIALS_RECEIVED, "SELECT serial_no FROM receipt_log WHERE outcome = 'ok'", received, issued, &n_received);
    }
    for (size_t i = 0; ok && i < bytes; i++)   /* received within nws within answered */
        ok = !(received[i] & ~nws[i]) && !(nws[i] & ~answered[i]);
    snprintf(why, n, "providers answered %llu, the NWS passed %llu, inquirers received %llu%s",
             (unsigned long long)n_answered, (unsigned long long)n_nws, (unsigned long long)n_received,
             ok ? "" : ": a serial number is missing from an earlier record");
    free(nws);
    free(answered);
    free(received);
    return ok;
}

static int check_serials(domain *d, void *ud, char *detail, size_t n)
{
    return reconcile_serials(d, detail, n) ? 1 : 0;
}

static int check_codes_differ(domain *d, void *ud, char *detail, size_t n)
{
    if (d->nws == UINT32_MAX) return DOMAIN_CHECK_NOT_APPLICABLE;
    sim_store *st = node_nws_store(sim_world_node(d->w, d->nws));
    sqlite3_stmt *q = sim_store_stmt(st, NWS_ST_SHARED_CODES,
        "SELECT COUNT(*) FROM (SELECT person FROM codes GROUP BY person"
        " HAVING COUNT(DISTINCT code) < COUNT(*))");
    long long bad = q && sim_store_read(st, q) == 1 ? sqlite3_column_int64(q, 0) : -1;
    if (q) sqlite3_reset(q);
    snprintf(detail, n, "%lld person(s) share a code between bodies", bad);
    return bad == 0;
}

int node_kinds_check_register(domain *d)
{
    int rc = domain_check_register(d, DOMAIN_INV_SERIALS_RECONCILE,
                                   "serial numbers reconcile (inquirer within NWS within provider)",
                                   check_serials, NULL);
    if (rc == 0)
        rc = domain_check_register(d, DOMAIN_INV_CODES_DIFFER, "codes differ across bodies for the same person",
                                   check_codes_differ, NULL);
    if (rc == 0) rc = node_unlinkable_register(d);   /* unlinkable.c */
    return rc;
}
