/* fault/recovery.c - what faults cost, measured rather than assumed.
 *
 * RPO: every write a site acknowledged (a replica registered or updated, a code stored) is in
 * a ledger with a digest of what was written; it counts once the body has the answer. When a
 * lost site's tenants are promoted, the ledger is checked against the promoted site's store:
 * an acknowledged write whose newest acknowledged version is not there is lost. The same
 * check runs after failback against the home site.
 * RTO: per fault and tenant, the first inquiry that tenant made and the first it answered as
 * a provider, among flows started after the fault began, both successful: the tenant serves
 * again. Flows that failed while the fault was active are counted by kind and error. */
#include "fault/fault.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault/fault_internal.h"
#include "domain/checker.h"
#include "kinds/kinds.h"

enum { LOST_LISTED = 20 };
static const int64_t RTO_WINDOW = SIM_DAY;   /* after the fault's end, unobserved is final */

/* ---- the ledger ------------------------------------------------------------------------ */

static void on_write_acked(void *ud, uint32_t site, uint64_t flow, uint32_t tenant, mirror_op op,
                           uint64_t addressee, const char *record_id, uint64_t digest)
{
    domain *d = ud;
    faults *fs = fault_records_find(d);
    if (!fs) return;
    if (fs->nledger == fs->cap_ledger) {
        size_t cap = fs->cap_ledger ? fs->cap_ledger * 2 : 4096;
        ledger_entry *p = realloc(fs->ledger, cap * sizeof *p);
        if (!p) {   /* a write missing from the ledger would make the RPO figure a lie */
            domain_halt(d, "the ledger of acknowledged writes cannot grow (out of memory)");
            return;
        }
        fs->ledger = p;
        fs->cap_ledger = cap;
    }
    ledger_entry *e = &fs->ledger[fs->nledger];
    *e = (ledger_entry){.flow = flow, .digest = digest, .addressee = addressee, .tenant = tenant, .site = site,
                        .op = (uint8_t)op};
    if (op == REC_REPLICA) snprintf(e->record_id, sizeof e->record_id, "%s", record_id);
    if (sim_map_put(&fs->ledger_by_flow, flow, fs->nledger + 1) == 0) fs->nledger++;
}

static uint64_t mix(uint64_t x)
{
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static uint64_t key_of(const ledger_entry *e)
{
    uint64_t h = mix((uint64_t)e->tenant << 8 | e->op);
    if (e->op == REC_CODE) return mix(h ^ e->addressee) | 1;
    for (const char *p = e->record_id; *p; p++) h = (h ^ (unsigned char)*p) * UINT64_C(0x100000001b3);
    return mix(h) | 1;
}

/* What the store holds for the entry's key: its digest, or 0 when missing; *written is what
 * the row was written as (a damaged row: they differ). */
static uint64_t stored_digest(tenant_db *t, const ledger_entry *e, uint64_t *written)
{
    uint64_t v = 0;
    if (e->op == REC_CODE) {
        if (!sim_map_get(&t->code_by_addressee, ((uint64_t)e->tenant + 1) << 32 | e->addressee, &v)) v = 0;
        *written = v;
        return v;
    }
    *written = 0;
    return platform_tenant_replica_digest(t, e->tenant, e->record_id, &v, written) == 0 ? v : 0;
}

/* The fault that lost write e: the first loss of the site that acknowledged it after it was
 * acknowledged (its unshipped tail, or its state, went with that loss), else the fault that
 * took the tenants' home out of service (fallback). */
static bool touches(const fault *f, uint32_t n);
static bool is_link_fault(fault_kind k);

/* The first fault that took down the site that acknowledged e after it did, or NULL. */
static fault *downed_after(domain *d, const ledger_entry *e)
{
    faults *fs = fault_records_find(d);
    for (size_t i = 0; fs && i < fs->n; i++) {
        fault *f = fs->list[i];
        if (f->start < e->acked_at) continue;
        for (size_t k = 0; k < f->ndowned; k++)
            if (f->downed[k] == e->site) return f;
    }
    return NULL;
}

static fault *loser_of(domain *d, const ledger_entry *e, fault *fallback)
{
    faults *fs = fault_records_find(d);
    fault *f = downed_after(d, e);
    if (f || !fs) return f;
    /* No loss of that site: it was cut off (a partition fenced it and its tenants were served
     * elsewhere): the newest link fault on its links; else the fault that took the tenants'
     * home out of service; else the newest. A lost write is always charged to some fault. */
    for (size_t i = fs->n; i-- > 0;)
        if (is_link_fault(fs->list[i]->kind) && touches(fs->list[i], e->site)) return fs->list[i];
    if (fallback) return fallback;
    return fs->n ? fs->list[fs->n - 1] : NULL;
}

/* The fault that took `home` out of service last (promoted: the one whose failover it is). */
static fault *site_fault(domain *d, uint32_t home, bool promoted)
{
    faults *fs = fault_records_get(d);
    for (size_t i = fs ? fs->n : 0; i-- > 0;)
        if (fs->list[i]->home_lost == home && (!promoted || fs->list[i]->promoted_at)) return fs->list[i];
    return NULL;
}

static void audit(domain *d, uint32_t home, uint32_t site, const char *when)
{
    faults *fs = fault_records_get(d);
    sim_node *n = sim_world_node(d->w, site);
    if (!fs || !n || n->kind != &platform_site_kind) return;
    tenant_db *t = platform_node_db(d, n->id);
    bool failback = strcmp(when, "failback") == 0;
    fault *f = site_fault(d, home, failback);
    /* At failback, what was lost at the promotion is known: check what was written since. */
    sim_time_t since = failback && f ? f->promoted_at : 0;
    sim_map decided = {0};
    uint64_t lost = 0, checked = 0;
    /* The unit is the acknowledged write (one registration, update or code acquisition), as
     * for the unshipped tail. Newest first, per record: a write is held when the store holds
     * its version or a later one; so the writes lost are those newer than what the store
     * holds. decided: 1 = a held version was found (every older write is held), 2 = lost so
     * far. */
    for (size_t i = fs->nledger; i-- > 0;) {
        ledger_entry *e = &fs->ledger[i];
        body *b = domain_body(d, e->tenant);
        if (!b || b->home != home) continue;
        uint64_t k = key_of(e), state = 0;
        if (sim_map_get(&decided, k, &state) && state == 1) continue;
        uint64_t written, now = stored_digest(t, e, &written);
        if (now == e->digest || written == e->digest) {   /* there (damaged or not) */
            if (sim_map_put(&decided, k, 1) < 0) goto out_of_memory;
            checked++;
            if (now != e->digest && f) f->damaged_at_audit++;
            continue;
        }
        if (!e->acked_at) continue;   /* never acknowledged: nobody was promised it */
        if (!state && sim_map_put(&decided, k, 2) < 0) goto out_of_memory;
        checked++;
        /* Counted once: overlapping losses audit the same tenants more than once. */
        if (e->acked_at < since || e->lost) continue;
        e->lost = true;
        lost++;
        /* At a failback, a write lost with the loss of the site that acknowledged it (the
         * holder was lost and home took its tenants back) is that loss's RPO; one gone for no
         * loss at all must not happen. */
        fault *c = failback ? downed_after(d, e) : loser_of(d, e, f);
        if (failback && !c) {
            if (f) f->failback_lost++;
            continue;
        }
        if (!c) continue;
        c->rpo_writes++;
        if (c->nlost < LOST_LISTED) {
            lost_write *l = realloc(c->lost, (c->nlost + 1) * sizeof *l);
            if (l) {
                c->lost = l;
                l[c->nlost++] = (lost_write){.tenant = e->tenant, .op = e->op, .addressee = e->addressee,
                                             .acked_at = e->acked_at};
                memcpy(l[c->nlost - 1].record_id, e->record_id, sizeof e->record_id);
            }
        }
        if (c->start - e->acked_at > c->rpo_time) c->rpo_time = c->start - e->acked_at;
    }
    sim_map_free(&decided);
    char text[200];
    snprintf(text, sizeof text, "audit at %s: %llu acknowledged writes of %s's tenants checked at %s, %llu lost",
             when, (unsigned long long)checked, sim_world_node(d->w, home)->name, n->name, (unsigned long long)lost);
    sim_world_note(d->w, "audit", n->name, text);
    return;
out_of_memory:   /* a partial audit would under-count the loss */
    sim_map_free(&decided);
    domain_halt(d, "the audit at %s of %s's tenants could not complete (out of memory)", when,
                sim_world_node(d->w, home)->name);
}

/* ---- per fault --------------------------------------------------------------------------- */

static int add_tenant(fault *f, uint32_t tenant)
{
    if (sim_map_get(&f->tenant_index, (uint64_t)tenant + 1, NULL)) return 0;
    if ((f->ntenants & (f->ntenants - 1)) == 0) {   /* grow at powers of two */
        size_t cap = f->ntenants ? f->ntenants * 2 : 8;
        uint32_t *t = realloc(f->tenants, cap * sizeof *t);
        if (t) f->tenants = t;
        sim_time_t *a = realloc(f->first_inquiry, cap * sizeof *a);
        if (a) f->first_inquiry = a;
        sim_time_t *p = realloc(f->first_provision, cap * sizeof *p);
        if (p) f->first_provision = p;
        if (!t || !a || !p) return -ENOMEM;
    }
    f->tenants[f->ntenants] = tenant;
    f->first_inquiry[f->ntenants] = f->first_provision[f->ntenants] = 0;
    f->ntenants++;
    f->measuring = true;
    return sim_map_put(&f->tenant_index, (uint64_t)tenant + 1, f->ntenants);
}

static bool is_site_node(domain *d, uint32_t id)
{
    sim_node *n = sim_world_node(d->w, id);
    return n && n->kind == &platform_site_kind;
}

void fault_recovery_fault_started(domain *d, fault *f)
{
    bool site_loss = f->kind == FAULT_SITE_DOWN || (f->kind == FAULT_CRASH && f->spec.na == 1 && is_site_node(d, f->spec.a[0]));
    if (!site_loss) {
        /* A crash of a body's own systems cuts that body off, whether or not a flow of it
         * was under way; other faults cut off the tenants whose flows they fail
         * (on_flow_ended). */
        for (size_t i = 0; f->kind == FAULT_CRASH && i < f->spec.na; i++) {
            uint64_t idx;
            if (!domain_body(d, f->spec.a[i]) || !sim_world_node(d->w, f->spec.a[i])->up) continue;
            if (add_tenant(f, f->spec.a[i]) < 0) {
                domain_halt(d, "the tenants cut off by fault %d cannot be kept (out of memory)", f->id);
                return;
            }
            if (sim_map_get(&f->tenant_index, (uint64_t)f->spec.a[i] + 1, &idx)) f->first_provision[idx - 1] = f->start;
        }
        return;
    }
    sim_node *site = sim_world_node(d->w, f->spec.a[0]);
    if (!site->up) return;
    /* A site loss cuts off every tenant the site serves now: its own, and its peer's if it
     * had taken them over. */
    for (uint32_t k = 0; k < d->nbodies_cap; k++)
        if (d->bodies[k] && d->bodies[k]->kind == BODY_LG && d->bodies[k]->server == site->id && add_tenant(f, k) < 0) {
            domain_halt(d, "the tenants cut off by fault %d cannot be kept (out of memory)", f->id);
            return;
        }
    if (!platform_ha_of(site)->serving_own) return;   /* standing by: nothing of its own fails over */
    f->home_lost = site->id;
    /* Acknowledged writes still waiting for the backup: what an asynchronous loss loses. An
     * answer still held for the backup (synchronous mode) was never given: not counted. */
    faults *fs = fault_records_get(d);
    const site_ha *h = platform_ha_of(site);
    const mirror_stream *out = &h->out;
    for (size_t i = 0; i < out->len; i++) {
        const mirror_rec *r = &out->recs[(out->head + i) % out->cap];
        uint64_t idx;
        if ((r->op != REC_CODE && r->op != REC_REPLICA) || !r->flow || !sim_map_get(&fs->ledger_by_flow, r->flow, &idx))
            continue;
        bool held = false;
        for (size_t k = 0; k < h->nheld && !held; k++) held = h->held[k].m && h->held[k].m->flow == r->flow;
        if (!held) f->unshipped_acked++;
    }
}

static void on_promoted(void *ud, uint32_t home, sim_time_t at, bool failback)
{
    domain *d = ud;
    fault *f = site_fault(d, home, failback);
    if (!f) return;
    if (failback && !f->failed_back_at) f->failed_back_at = at;
    if (!failback && !f->promoted_at) f->promoted_at = at;
}

/* ---- charging failures to their cause ---------------------------------------------------- */

static bool holds_node(const fault *f, uint32_t n)
{
    for (size_t i = 0; i < f->ndowned; i++)
        if (f->downed[i] == n) return true;
    return false;
}

static bool holds_link(const fault *f, uint32_t a, uint32_t b)
{
    uint64_t x = (uint64_t)a << 32 | b, y = (uint64_t)b << 32 | a;
    for (size_t i = 0; i < f->nlinks; i++)
        if (f->links[i] == x || f->links[i] == y) return true;
    return false;
}

static bool touches(const fault *f, uint32_t n)   /* a link fault on a link of node n */
{
    for (size_t i = 0; i < f->nlinks; i++)
        if ((uint32_t)(f->links[i] >> 32) == n || (uint32_t)f->links[i] == n) return true;
    return false;
}

static bool targets(const fault *f, uint32_t n)
{
    for (size_t i = 0; i < f->spec.na; i++)
        if (f->spec.a[i] == n) return true;
    return false;
}

static bool is_link_fault(fault_kind k)
{
    return k == FAULT_LINK_CUT || k == FAULT_PARTITION || k == FAULT_FLAP || k == FAULT_DEGRADE;
}

/* The fault whose effect the cause is, now (newest first), or NULL: nothing injected explains
 * it (a timeout too short for the topology, a link the topology lacks). */
static fault *culprit(domain *d, const flow_blame *w)
{
    faults *fs = fault_records_find(d);
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = fs ? fs->n : 0; i-- > 0;) {
            fault *f = fs->list[i];
            bool hit = false;
            switch (w->cause) {
            case CAUSE_NODE_DOWN: hit = f->active && holds_node(f, w->a); break;
            case CAUSE_LINK_DOWN:
            case CAUSE_LOSS: hit = f->active && is_link_fault(f->kind) && holds_link(f, w->a, w->b); break;
            case CAUSE_CORRUPT: hit = f->active && f->kind == FAULT_CORRUPT && holds_link(f, w->a, w->b); break;
            case CAUSE_NOT_SERVING:
                /* the loss of the tenants' home whose failover or failback is under way; else
                 * what cut the refusing site off (a link fault on its links) */
                hit = pass == 0 ? f->home_lost == w->b && (f->active || !f->failed_back_at)
                                : f->active && ((is_link_fault(f->kind) && touches(f, w->a)) || holds_node(f, w->b));
                break;
            case CAUSE_NO_BACKUP:
                hit = pass == 0 ? f->active && holds_node(f, w->b) : f->home_lost == w->b && !f->failed_back_at;
                break;
            case CAUSE_DISK:
                hit = f->active && (f->kind == FAULT_DISK_FULL || f->kind == FAULT_DISK_SLOW) && targets(f, w->a);
                break;
            case CAUSE_KEY:   /* the keys of either end: the opener a, the sealer b */
                hit = (targets(f, w->a) || targets(f, w->b)) && ((f->active && (f->kind == FAULT_KEY_EXPIRY || f->kind == FAULT_WRONG_KEY)) ||
                                           f->kind == FAULT_KEY_ROTATION);
                break;
            case CAUSE_SLOW:   /* a slowed NWS, or a degraded or reordering link a - b */
                hit = f->active && ((f->kind == FAULT_NWS_SLOW && targets(f, w->a)) ||
                                    ((f->kind == FAULT_DEGRADE || f->kind == FAULT_REORDER) && holds_link(f, w->a, w->b)));
                break;
            case CAUSE_DAMAGED_ROW: hit = f->kind == FAULT_CORRUPT_REPLICA && targets(f, w->a); break;
            default: break;
            }
            if (hit) return f;
        }
    return NULL;
}

/* A flow message crossing a degraded or reordering link is slowed by that fault: if its flow
 * times out, that is why (unless something later explains it better). */
static void on_sent(void *ud, const sim_node *from, uint32_t to, flow_kind kind, const flow_msg *m)
{
    (void)kind;
    domain *d = ud;
    faults *fs = fault_records_find(d);
    if (!fs || !sim_map_len(&fs->slow_links)) return;
    uint64_t k = from->id < to ? (uint64_t)from->id << 32 | to : (uint64_t)to << 32 | from->id;
    if (sim_map_get(&fs->slow_links, k, NULL)) domain_flow_blame(d, m->inquirer, m->flow, CAUSE_SLOW, from->id, to);
}

static void on_blamed(void *ud, uint64_t flow, const flow_blame *why)
{
    domain *d = ud;
    faults *fs = fault_records_find(d);
    if (!fs) return;
    fault *f = culprit(d, why);
    if (!f) {
        sim_map_del(&fs->charged, flow, NULL);   /* its latest cause is no fault's */
        return;
    }
    if (sim_map_put(&fs->charged, flow, (uint64_t)f->id) < 0)
        domain_halt(d, "the fault charged with flow %llu cannot be kept (out of memory)", (unsigned long long)flow);
}

static void on_flow_ended(void *ud, const domain_flow_end *ev)
{
    domain *d = ud;
    body *b = ev->b;
    flow_kind kind = ev->kind;
    uint64_t flow = ev->flow;
    flow_error e = ev->error;
    const flow_msg *m = ev->m;
    faults *fs = fault_records_find(d);
    if (!fs) return;
    sim_time_t now = sim_world_now(d->w);
    uint64_t idx, id = 0;
    if (e == FLOW_OK && (kind == FLOW_REPLICA || kind == FLOW_CODE_REQUEST) && sim_map_get(&fs->ledger_by_flow, flow, &idx))
        fs->ledger[idx - 1].acked_at = now;
    sim_map_del(&fs->charged, flow, &id);
    /* Service failures only: not_found, duplicate and the like are the system answering. */
    if (domain_error_is_failure(e)) {
        fault *f = id ? fault_find(d, (int)id) : NULL;
        if (!f) {
            fs->uncharged[kind][e]++;
            return;
        }
        f->failed[kind][e]++;
        if (f->home_lost || f->kind == FAULT_SITE_DOWN) return;   /* a site loss cut off its site's tenants */
        /* This tenant is cut off by f until a flow it starts from now on succeeds. */
        if (add_tenant(f, b->node) < 0) {
            domain_halt(d, "the tenants cut off by fault %d cannot be kept (out of memory)", f->id);
            return;
        }
        if (sim_map_get(&f->tenant_index, (uint64_t)b->node + 1, &idx)) {
            f->first_inquiry[idx - 1] = 0;
            f->first_provision[idx - 1] = now;   /* non-site faults: its last failure */
        }
        return;
    }
    if (e != FLOW_OK || !m) return;
    for (size_t i = 0; i < fs->n; i++) {
        fault *f = fs->list[i];
        if (!f->measuring || m->started < f->start) continue;
        if (!f->active && now - f->end > RTO_WINDOW) {
            f->measuring = false;
            continue;
        }
        bool site_loss = f->home_lost || f->kind == FAULT_SITE_DOWN;
        if (!site_loss) {   /* a success of a flow started after the tenant's last failure */
            if (sim_map_get(&f->tenant_index, (uint64_t)b->node + 1, &idx) && !f->first_inquiry[idx - 1] &&
                m->started >= f->first_provision[idx - 1])
                f->first_inquiry[idx - 1] = now;
            continue;
        }
        if (kind != FLOW_INQUIRY) continue;
        if (sim_map_get(&f->tenant_index, (uint64_t)b->node + 1, &idx) && !f->first_inquiry[idx - 1])
            f->first_inquiry[idx - 1] = now;
        if (sim_map_get(&f->tenant_index, (uint64_t)m->provider + 1, &idx) && !f->first_provision[idx - 1])
            f->first_provision[idx - 1] = now;
    }
}

/* ---- figures ----------------------------------------------------------------------------- */

/* RTO over the tenants a fault cut off: those seen serving again (observed) and those not
 * by the end of the run (never: then the maximum is "never" too). */
typedef struct rto_figures {
    size_t observed, never;
    int64_t max, p50, p90;      /* over the observed; max -1 when some never recovered */
    int64_t restored;           /* promotion after the fault: the site's tenants are served again */
} rto_figures;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The RTO of the i-th tenant f cut off, or -1: never seen serving again. A site loss cut
 * off every role of its tenants: serving again is seen as the first successful inquiry and
 * provision since the fault (the later of the two; one alone when the tenant was seen only in
 * that role). Another fault cut off the tenant whose flow it failed: serving again is the
 * first success of a flow it started after its last such failure. */
static int64_t tenant_rto(const fault *f, size_t i)
{
    bool site_loss = f->home_lost || f->kind == FAULT_SITE_DOWN;
    sim_time_t a = f->first_inquiry[i], p = site_loss ? f->first_provision[i] : 0;
    if (!a && !p) return -1;
    return (a > p ? a : p) - f->start;
}

static rto_figures rto_of(const fault *f)
{
    rto_figures r = {.restored = f->promoted_at ? f->promoted_at - f->start : -1};
    int64_t *v = malloc((f->ntenants + 1) * sizeof *v);
    for (size_t i = 0; v && i < f->ntenants; i++) {
        int64_t x = tenant_rto(f, i);
        if (x >= 0) v[r.observed++] = x;
        else r.never++;
    }
    if (v && r.observed) {
        qsort(v, r.observed, sizeof *v, cmp_i64);
        r.max = r.never ? -1 : v[r.observed - 1];
        r.p50 = v[(r.observed - 1) / 2];
        r.p90 = v[(r.observed - 1) * 9 / 10];
    }
    free(v);
    return r;
}

static void add_time(cJSON *o, const char *key, sim_time_t t)
{
    char buf[SIM_TIME_BUFSZ];
    sim_time_format_iso(t, buf, sizeof buf);
    cJSON_AddStringToObject(o, key, buf);
}

static void add_seconds_or_null(cJSON *o, const char *key, int64_t us)
{
    if (us >= 0) cJSON_AddNumberToObject(o, key, (double)us / 1e6);
    else cJSON_AddNullToObject(o, key);
}

static const char *const OP_NAMES[] = {"code", "replica", "inquiry_log", "provision_log", "receipt_log"};

void fault_recovery_report_json(domain *d, cJSON *root)
{
    faults *fs = fault_records_find(d);
    const ha_settings *hs = platform_ha_settings_find(d);
    const ha_stats *hst = platform_ha_stats_find(d);
    cJSON *list = cJSON_AddArrayToObject(root, "faults");
    for (size_t i = 0; fs && i < fs->n; i++) {
        const fault *f = fs->list[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", f->id);
        cJSON_AddStringToObject(o, "kind", fault_kind_name(f->kind));
        cJSON_AddStringToObject(o, "target", f->target);
        add_time(o, "start", f->start);
        if (f->active) cJSON_AddNullToObject(o, "end");
        else add_time(o, "end", f->end);
        cJSON_AddBoolToObject(o, "nemesis", f->spec.from_nemesis);
        cJSON *failed = cJSON_AddObjectToObject(o, "failed");
        for (int k = 0; k < FLOW_KINDS; k++)
            for (int e = 1; e < FLOW_ERRORS; e++) {
                if (!f->failed[k][e]) continue;
                cJSON *byk = cJSON_GetObjectItemCaseSensitive(failed, domain_kind_name((flow_kind)k));
                if (!byk) byk = cJSON_AddObjectToObject(failed, domain_kind_name((flow_kind)k));
                cJSON_AddNumberToObject(byk, domain_error_name((flow_error)e), (double)f->failed[k][e]);
            }
        rto_figures r = rto_of(f);
        cJSON *rto = cJSON_AddObjectToObject(o, "rto");
        cJSON_AddNumberToObject(rto, "tenants", (double)f->ntenants);
        cJSON_AddNumberToObject(rto, "observed", (double)r.observed);
        cJSON_AddNumberToObject(rto, "never", (double)r.never);
        /* null: no tenant was cut off (max, p50, p90), or some never served again (max) */
        add_seconds_or_null(rto, "max_s", r.observed && !r.never ? r.max : -1);
        add_seconds_or_null(rto, "p50_s", r.observed ? r.p50 : -1);
        add_seconds_or_null(rto, "p90_s", r.observed ? r.p90 : -1);
        cJSON *per = cJSON_AddObjectToObject(rto, "per_tenant_s");
        for (size_t t = 0; t < f->ntenants; t++) {
            body *b = domain_body(d, f->tenants[t]);
            if (b) add_seconds_or_null(per, b->code, tenant_rto(f, t));
        }
        if (f->home_lost) {
            cJSON_AddStringToObject(o, "site", sim_world_node(d->w, f->home_lost)->name);
            if (f->promoted_at) {
                add_time(o, "promoted_at", f->promoted_at);
                cJSON_AddNumberToObject(rto, "restored_s", (double)r.restored / 1e6);
            }
            if (f->failed_back_at) add_time(o, "failed_back_at", f->failed_back_at);
            cJSON *rpo = cJSON_AddObjectToObject(o, "rpo");
            cJSON_AddNumberToObject(rpo, "writes_lost", (double)f->rpo_writes);
            cJSON_AddNumberToObject(rpo, "time_s", (double)f->rpo_time / 1e6);
            cJSON_AddNumberToObject(rpo, "unshipped_at_loss", (double)f->unshipped_acked);
            cJSON_AddNumberToObject(rpo, "lost_at_failback", (double)f->failback_lost);
            cJSON_AddNumberToObject(rpo, "damaged_rows", (double)f->damaged_at_audit);
            cJSON *lost = cJSON_AddArrayToObject(rpo, "lost");
            for (size_t k = 0; k < f->nlost; k++) {
                const lost_write *l = &f->lost[k];
                body *b = domain_body(d, l->tenant);
                cJSON *w = cJSON_CreateObject();
                cJSON_AddStringToObject(w, "tenant", b ? b->code : "?");
                cJSON_AddStringToObject(w, "write", OP_NAMES[l->op]);
                if (l->op == REC_CODE) cJSON_AddNumberToObject(w, "addressee_no", (double)l->addressee);
                else cJSON_AddStringToObject(w, "record_id", l->record_id);
                add_time(w, "acknowledged", l->acked_at);
                cJSON_AddItemToArray(lost, w);
            }
        }
        cJSON_AddItemToArray(list, o);
    }
    /* Every service failure, by the cause it ended with; and those no fault explains. */
    cJSON_AddNumberToObject(root, "damaged_discarded", (double)d->stats.damaged_discarded);
    cJSON *causes = cJSON_AddObjectToObject(root, "failures_by_cause");
    for (int c = 0; c < CAUSES; c++)
        if (d->stats.failed_by_cause[c])
            cJSON_AddNumberToObject(causes, domain_cause_name((flow_cause)c), (double)d->stats.failed_by_cause[c]);
    if (fs) {
        cJSON *un = cJSON_AddObjectToObject(root, "failures_uncharged");
        for (int k = 0; k < FLOW_KINDS; k++)
            for (int e = 1; e < FLOW_ERRORS; e++) {
                if (!fs->uncharged[k][e]) continue;
                cJSON *byk = cJSON_GetObjectItemCaseSensitive(un, domain_kind_name((flow_kind)k));
                if (!byk) byk = cJSON_AddObjectToObject(un, domain_kind_name((flow_kind)k));
                cJSON_AddNumberToObject(byk, domain_error_name((flow_error)e), (double)fs->uncharged[k][e]);
            }
    }
    if (!hs) return;
    cJSON *fo = cJSON_AddObjectToObject(root, "failover");
    const ha_stats *st = hst;
    cJSON_AddStringToObject(fo, "mirroring", platform_ha_mode_name(hs));
    cJSON_AddStringToObject(fo, "promote", hs->promote == HA_PROMOTE_AUTO ? "auto" : hs->promote == HA_PROMOTE_OPERATOR ? "operator" : "manual");
    cJSON_AddNumberToObject(fo, "promotions", (double)st->promotions);
    cJSON_AddNumberToObject(fo, "forced_promotions", (double)st->forced);
    cJSON_AddNumberToObject(fo, "failbacks", (double)st->failbacks);
    cJSON_AddNumberToObject(fo, "refused_promotions", (double)st->refused_promotions);
    cJSON_AddNumberToObject(fo, "refused_failbacks", (double)st->refused_failbacks);
    cJSON_AddNumberToObject(fo, "abandoned_failbacks", (double)st->abandoned_failbacks);
    cJSON_AddNumberToObject(fo, "refused_requests", (double)st->refused_requests);
    cJSON_AddNumberToObject(fo, "split_brain_seen", (double)st->split_brain_seen);
    cJSON_AddNumberToObject(fo, "records_shipped", (double)st->shipped);
    cJSON_AddNumberToObject(fo, "records_applied", (double)st->applied);
    cJSON_AddNumberToObject(fo, "resyncs", (double)st->snapshots);
    cJSON_AddNumberToObject(fo, "resync_rows", (double)st->snapshot_rows);
    cJSON_AddNumberToObject(fo, "repairs_detected", (double)st->repairs_detected);
    cJSON_AddNumberToObject(fo, "repairs_done", (double)st->repairs_done);
    cJSON_AddNumberToObject(fo, "max_lag_ms", st->max_lag_ms);
    cJSON *lag = cJSON_AddArrayToObject(fo, "lag_ms_per_minute");
    for (size_t i = 0; i < st->nlag; i++) cJSON_AddItemToArray(lag, cJSON_CreateNumber(round((double)st->lag_ms[i] * 1000) / 1000));
}

void fault_recovery_report_print(domain *d, FILE *out)
{
    faults *fs = fault_records_find(d);
    const ha_settings *hs = platform_ha_settings_find(d);
    const ha_stats *hst = platform_ha_stats_find(d);
    if (hs && (hst->promotions || hst->refused_promotions || hst->refused_requests || (fs && fs->n)))
        fprintf(out, "  failover   %s mirroring; %llu promotion(s), %llu failback(s), %llu refused promotion(s), "
                     "%llu request(s) refused by a site not serving, split brain seen %llu, max lag %.1f ms\n",
                platform_ha_mode_name(hs), (unsigned long long)hst->promotions, (unsigned long long)hst->failbacks,
                (unsigned long long)hst->refused_promotions, (unsigned long long)hst->refused_requests,
                (unsigned long long)hst->split_brain_seen, hst->max_lag_ms);
    if (!fs || !fs->n) return;
    fprintf(out, "  faults     %zu injected\n", fs->n);
    size_t shown = 0;
    for (size_t i = 0; i < fs->n; i++) {
        const fault *f = fs->list[i];
        if (f->spec.from_nemesis && fs->n > 12 && shown >= 8) continue;
        shown++;
        char at[SIM_TIME_BUFSZ], span[32] = "ongoing";
        sim_time_format(f->start, at, sizeof at);
        if (!f->active) sim_duration_format(f->end - f->start, span, sizeof span);
        uint64_t failed = 0;
        for (int k = 0; k < FLOW_KINDS; k++)
            for (int e = 1; e < FLOW_ERRORS; e++) failed += f->failed[k][e];
        rto_figures r = rto_of(f);
        char p50[48] = "-", max[48] = "never";
        if (r.observed) sim_duration_format(r.p50 / SIM_SEC * SIM_SEC, p50, sizeof p50);
        if (r.observed && !r.never) sim_duration_format(r.max / SIM_SEC * SIM_SEC, max, sizeof max);
        fprintf(out, "    #%-3d %-15s %-20.20s at %s for %s: %llu flow(s) failed", f->id, fault_kind_name(f->kind),
                f->target, at, span, (unsigned long long)failed);
        if (f->ntenants)
            fprintf(out, ", RTO p50 %s max %s (%zu of %zu tenants cut off serving again)", p50, max, r.observed,
                    f->ntenants);
        else
            fprintf(out, ", cut off no tenant");
        if (f->home_lost) {
            char restored[32] = "never";
            if (f->promoted_at) sim_duration_format((f->promoted_at - f->start) / SIM_MS * SIM_MS, restored, sizeof restored);
            fprintf(out, ", promoted after %s, RPO %llu write(s) lost", restored, (unsigned long long)f->rpo_writes);
        }
        fprintf(out, "\n");
    }
    if (shown < fs->n) fprintf(out, "    ... and %zu more (summary.json lists all)\n", fs->n - shown);
}

void fault_recovery_push_fault_head(lua_State *L, const fault *f)
{
    lua_pushinteger(L, f->id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, fault_kind_name(f->kind));
    lua_setfield(L, -2, "kind");
    lua_pushstring(L, f->target);
    lua_setfield(L, -2, "target");
    lua_pushinteger(L, f->start);
    lua_setfield(L, -2, "start");
    if (!f->active) {
        lua_pushinteger(L, f->end);
        lua_setfield(L, -2, "end");
    }
    lua_pushboolean(L, f->active);
    lua_setfield(L, -2, "active");
}

/* r.faults[i] = { id, kind, target, start, ["end"], rto_max, rto_p50, restored, rpo_writes,
 * unshipped, failed = n, failed_by = { inquiry = { timeout = n } } }; r.failover = {...};
 * r.rpo_writes, r.rto_max, r.split_brain over all faults. */
void fault_recovery_push_results(lua_State *L, domain *d)
{
    faults *fs = fault_records_find(d);
    uint64_t rpo = 0;
    int64_t rto_max = 0, restored_max = 0;
    bool never = false;
    lua_createtable(L, fs ? (int)fs->n : 0, 0);
    for (size_t i = 0; fs && i < fs->n; i++) {
        const fault *f = fs->list[i];
        rto_figures r = rto_of(f);
        lua_createtable(L, 0, 17);
        fault_recovery_push_fault_head(L, f);
        if (r.observed && !r.never) {   /* nil: none cut off, or some never served again */
            lua_pushinteger(L, r.max);
            lua_setfield(L, -2, "rto_max");
        }
        if (r.observed) {
            lua_pushinteger(L, r.p50);
            lua_setfield(L, -2, "rto_p50");
        }
        lua_pushinteger(L, (lua_Integer)r.observed);
        lua_setfield(L, -2, "rto_observed");
        lua_pushinteger(L, (lua_Integer)r.never);
        lua_setfield(L, -2, "rto_never");
        lua_pushinteger(L, (lua_Integer)f->ntenants);
        lua_setfield(L, -2, "tenants");
        if (r.restored >= 0) {
            lua_pushinteger(L, r.restored);
            lua_setfield(L, -2, "restored");
            if (r.restored > restored_max) restored_max = r.restored;
        }
        if (f->failed_back_at) {
            lua_pushinteger(L, f->failed_back_at - f->start);
            lua_setfield(L, -2, "failed_back");
        }
        lua_pushinteger(L, (lua_Integer)f->rpo_writes);
        lua_setfield(L, -2, "rpo_writes");
        lua_pushinteger(L, (lua_Integer)f->unshipped_acked);
        lua_setfield(L, -2, "unshipped");
        lua_pushinteger(L, (lua_Integer)f->failback_lost);
        lua_setfield(L, -2, "failback_lost");
        lua_pushinteger(L, f->rpo_time);
        lua_setfield(L, -2, "rpo_time");
        uint64_t failed = 0;
        lua_createtable(L, 0, FLOW_KINDS);
        for (int k = 0; k < FLOW_KINDS; k++) {
            lua_createtable(L, 0, 4);
            for (int e = 1; e < FLOW_ERRORS; e++) {
                if (!f->failed[k][e]) continue;
                failed += f->failed[k][e];
                lua_pushinteger(L, (lua_Integer)f->failed[k][e]);
                lua_setfield(L, -2, domain_error_name((flow_error)e));
            }
            lua_setfield(L, -2, domain_kind_name((flow_kind)k));
        }
        lua_setfield(L, -2, "failed_by");
        lua_pushinteger(L, (lua_Integer)failed);
        lua_setfield(L, -2, "failed");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
        rpo += f->rpo_writes;
        if (r.never) never = true;
        else if (r.max > rto_max) rto_max = r.max;
    }
    lua_setfield(L, -2, "faults");
    lua_pushinteger(L, (lua_Integer)d->stats.damaged_discarded);
    lua_setfield(L, -2, "damaged_discarded");
    lua_pushinteger(L, (lua_Integer)rpo);
    lua_setfield(L, -2, "rpo_writes");
    if (!never) {   /* nil when some tenant cut off by some fault never served again */
        lua_pushinteger(L, rto_max);
        lua_setfield(L, -2, "rto_max");
    }
    lua_pushinteger(L, restored_max);
    lua_setfield(L, -2, "restored_max");
    const ha_settings *hs = platform_ha_settings_find(d);
    const ha_stats *hst = platform_ha_stats_find(d);
    if (!hs) return;
    lua_pushinteger(L, (lua_Integer)hst->split_brain_seen);
    lua_setfield(L, -2, "split_brain");
    lua_createtable(L, 0, 10);
    const struct { const char *k; uint64_t v; } f[] = {
        {"promotions", hst->promotions}, {"forced_promotions", hst->forced}, {"failbacks", hst->failbacks},
        {"refused_promotions", hst->refused_promotions}, {"refused_failbacks", hst->refused_failbacks},
        {"abandoned_failbacks", hst->abandoned_failbacks},
        {"refused_requests", hst->refused_requests}, {"split_brain_seen", hst->split_brain_seen},
        {"resyncs", hst->snapshots}, {"repairs_detected", hst->repairs_detected},
        {"repairs_done", hst->repairs_done}, {"records_shipped", hst->shipped}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        lua_pushinteger(L, (lua_Integer)f[i].v);
        lua_setfield(L, -2, f[i].k);
    }
    lua_pushnumber(L, hst->max_lag_ms);
    lua_setfield(L, -2, "max_lag_ms");
    lua_setfield(L, -2, "failover");
}

/* ---- attaching ------------------------------------------------------------------------- */

static void on_audit(void *ud, uint32_t home, uint32_t site, const char *when) { audit(ud, home, site, when); }

/* The invariant about lost writes (domain/checker.h): shown once there is a platform. */
static int check_writes_survive(domain *d, void *ud, char *detail, size_t n)
{
    const ha_settings *hs = platform_ha_settings_find(d);
    if (!hs) return DOMAIN_CHECK_NOT_APPLICABLE;
    const faults *fs = fault_records_find(d);
    uint64_t lost = 0, at_failback = 0;
    for (size_t i = 0; fs && i < fs->n; i++) {
        lost += fs->list[i]->rpo_writes;
        at_failback += fs->list[i]->failback_lost;
    }
    bool sync = hs->sync && !hs->degrade;
    snprintf(detail, n, "%llu acknowledged write(s) lost at promotion (%s), %llu at failback",
             (unsigned long long)lost, sync ? "synchronous mirroring" : "not synchronous: measured, allowed",
             (unsigned long long)at_failback);
    return (!sync || lost == 0) && at_failback == 0;
}

int fault_recovery_attach(domain *d)
{
    int rc = platform_listen(d, &(platform_listener){on_write_acked, on_promoted, on_audit, d});
    if (rc == 0) rc = domain_listen(d, &(domain_flow_listener){.sent = on_sent, .ended = on_flow_ended, .blamed = on_blamed, .ud = d});
    if (rc == 0)
        rc = domain_check_register(d, DOMAIN_INV_WRITES_SURVIVE, "acknowledged writes survive a failover",
                                   check_writes_survive, NULL);
    return rc;
}
