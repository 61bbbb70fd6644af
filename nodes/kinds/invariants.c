/* kinds/invariants.c - the invariants about the node kinds, registered with the checker
 * (domain/checker.h): the serial numbers of every provision reconcile across the NWS, the
 * provider and the inquirer; an agency code is never shared by two bodies for one person. */
#include "kinds/kinds.h"

#include <errno.h>
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

/* The person (global index) a provider's pseudonym stands for: a local government's addressee
 * number, or an agency's (person + 1); UINT32_MAX when unknown. */
static uint32_t person_at(const body *b, int64_t addressee)
{
    if (!b || addressee < 1 || addressee > (int64_t)b->nresidents + b->nextra) return UINT32_MAX;
    return b->kind == BODY_AGENCY ? (uint32_t)(addressee - 1) : b->residents[addressee - 1].person;
}

/* Every serial number a provider answered (ok, not withheld, within the retention period)
 * is in the disclosure of the person it was about: the NWS's record of it names that person
 * (its person key) and is not withheld, which is what the portal shows (mynaportal.c). */
static int check_disclosed(domain *d, void *ud, char *detail, size_t n)
{
    (void)ud;
    if (d->nws == UINT32_MAX || d->jlis == UINT32_MAX) return DOMAIN_CHECK_NOT_APPLICABLE;
    sim_node *nws = sim_world_node(d->w, d->nws), *jlis = sim_world_node(d->w, d->jlis);
    uint64_t issued = node_nws_serials(nws) + 1;
    uint64_t *person = calloc(issued, sizeof *person);   /* serial -> person key, 0: not disclosed */
    uint8_t *seen = calloc((issued + 7) / 8, 1);
    if (!person || !seen) {
        free(person);
        free(seen);
        return -ENOMEM;
    }
    sim_time_t since = sim_world_now(d->w) - d->retention;
    sim_store *ns = node_nws_store(nws);
    sqlite3_stmt *q = sim_store_stmt(ns, NWS_ST_DISCLOSED_ALL,
        "SELECT serial_no, person FROM access_record WHERE withheld = 0 AND t >= ?1");
    if (q) sqlite3_bind_int64(q, 1, since);
    while (q && sim_store_read(ns, q) == 1) {
        uint64_t serial = (uint64_t)sqlite3_column_int64(q, 0);
        if (serial < issued) person[serial] = (uint64_t)sqlite3_column_int64(q, 1);
    }
    uint64_t provided = 0, missing = 0, withheld = 0;
    for (uint32_t i = 0; q && i < sim_world_node_count(d->w); i++) {
        tenant_db *t = platform_node_db(d, i);
        if (!t) continue;
        sqlite3_stmt *p = sim_store_stmt(t->store, TENANT_ST_PROVIDER_RECORDS,
            "SELECT serial_no, tenant, addressee_no, withheld FROM provision_log WHERE outcome = 'ok' AND t >= ?1");
        if (!p) continue;
        sqlite3_bind_int64(p, 1, since);
        while (sim_store_read(t->store, p) == 1) {
            uint64_t serial = (uint64_t)sqlite3_column_int64(p, 0);
            if (serial >= issued || seen[serial / 8] & (1u << (serial % 8))) continue;   /* both sites log it */
            seen[serial / 8] |= (uint8_t)(1u << (serial % 8));
            if (sqlite3_column_int64(p, 3)) {
                withheld++;
                continue;
            }
            provided++;
            uint32_t who = person_at(domain_body(d, (uint32_t)sqlite3_column_int64(p, 1)), sqlite3_column_int64(p, 2));
            uint64_t key = who == UINT32_MAX ? 0
                : node_jlis_person_key(jlis, node_person_resident_code(sim_world_seed(d->w), who));
            missing += !key || person[serial] != key;
        }
    }
    free(person);
    free(seen);
    if (!q) return -EIO;
    snprintf(detail, n, "%llu provision(s) disclosed to their person, %llu withheld (不開示), %llu missing",
             (unsigned long long)provided - missing, (unsigned long long)withheld, (unsigned long long)missing);
    return missing == 0;
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
    if (rc == 0)
        rc = domain_check_register(d, DOMAIN_INV_DISCLOSED,
                                   "every provision appears in the person's disclosure unless marked 不開示",
                                   check_disclosed, NULL);
    return rc;
}
