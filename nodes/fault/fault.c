/* fault/fault.c - the fault catalogue: checking a fault's specification, applying it to the
 * world, undoing it at its end, and the JSON form the dashboard uses. Every injection and
 * every end is a "fault" record in the trace. Overlapping faults compose: a link held down by
 * two faults comes up when the last one ends; a crash recovers only the nodes it took down. */
#include "fault/fault.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault/fault_internal.h"
#include "kinds/kinds.h"
#include "sim_json.h"


enum { ARITY_NONE, ARITY_ONE, ARITY_PAIR };
enum { ON_ANY, ON_SITE, ON_IFS, ON_NWS };

typedef struct fault_def {
    const char *name;
    int arity;          /* nws kinds take no target; link kinds take two sets */
    int on;             /* what the targets must be */
    bool one_shot;      /* happens at once; no duration */
    const char *options;
    const char *en, *ja;
} fault_def;

static const fault_def DEFS[FAULT_KINDS] = {
    [FAULT_CRASH] = {"crash", ARITY_ONE, ON_ANY, false, "duration lose_state",
                     "node crash, restarted at the end", "ノード停止（終了時に再起動）"},
    [FAULT_SITE_DOWN] = {"site_down", ARITY_ONE, ON_SITE, false, "duration lose_state",
                         "whole-site loss (power, disaster)", "拠点全体の喪失（電源・災害）"},
    [FAULT_LINK_CUT] = {"link_cut", ARITY_PAIR, ON_ANY, false, "duration",
                        "link cut", "回線断"},
    [FAULT_PARTITION] = {"partition", ARITY_PAIR, ON_ANY, false, "duration",
                         "partition between two sets of nodes", "ノード群間のネットワーク分断"},
    [FAULT_DEGRADE] = {"degrade", ARITY_PAIR, ON_ANY, false, "duration latency jitter loss bandwidth",
                       "degraded link (added latency, jitter, loss, bandwidth cap)", "回線品質の劣化"},
    [FAULT_FLAP] = {"flap", ARITY_PAIR, ON_ANY, false, "duration period",
                    "flapping link (down and up every half period)", "回線の断続"},
    [FAULT_NWS_DOWN] = {"nws_down", ARITY_NONE, ON_NWS, false, "duration",
                        "NWS outage", "情報提供ネットワークシステムの停止"},
    [FAULT_NWS_SLOW] = {"nws_slow", ARITY_NONE, ON_NWS, false, "duration delay",
                        "NWS slowdown (each message waits)", "情報提供ネットワークシステムの遅延"},
    [FAULT_IFS_DOWN] = {"ifs_down", ARITY_ONE, ON_IFS, false, "duration",
                        "interface-system outage", "インターフェイスシステムの停止"},
    [FAULT_KEY_EXPIRY] = {"key_expiry", ARITY_ONE, ON_IFS, false, "duration",
                          "certificate expiry (no sessions until renewed)", "証明書の期限切れ"},
    [FAULT_KEY_ROTATION] = {"key_rotation", ARITY_ONE, ON_IFS, true, "grace",
                            "key rotation mid-flight", "鍵の更新（処理中）"},
    [FAULT_WRONG_KEY] = {"wrong_key", ARITY_ONE, ON_IFS, false, "duration",
                         "wrong private key (decryption fails)", "誤った秘密鍵（復号失敗）"},
    [FAULT_DISK_SLOW] = {"disk_slow", ARITY_ONE, ON_SITE, false, "duration delay",
                         "slow disk at a site (each request waits)", "拠点のディスク遅延"},
    [FAULT_CORRUPT_REPLICA] = {"corrupt_replica", ARITY_ONE, ON_SITE, true, "count lg",
                               "corrupted replica rows at a site", "副本データの破損"},
    [FAULT_DISK_FULL] = {"disk_full", ARITY_ONE, ON_SITE, false, "duration",
                         "disk full at a site (writes fail)", "拠点のディスク容量不足"},
    [FAULT_DUPLICATE] = {"duplicate", ARITY_PAIR, ON_ANY, false, "duration rate",
                         "duplicated messages", "メッセージの重複"},
    [FAULT_REORDER] = {"reorder", ARITY_PAIR, ON_ANY, false, "duration rate delay",
                       "reordered messages", "メッセージの順序入れ替わり"},
    [FAULT_CORRUPT] = {"corrupt", ARITY_PAIR, ON_ANY, false, "duration rate",
                       "corrupted payloads", "メッセージの破損"},
};

const char *fault_kind_name(fault_kind k) { return k < FAULT_KINDS ? DEFS[k].name : "?"; }

int fault_kind_of(const char *name)
{
    for (int k = 0; k < FAULT_KINDS; k++)
        if (strcmp(DEFS[k].name, name) == 0) return k;
    return -1;
}

bool fault_kind_takes(fault_kind k, const char *option)
{
    const char *o = DEFS[k].options;
    size_t n = strlen(option);
    for (const char *p = strstr(o, option); p; p = strstr(p + 1, option))
        if ((p == o || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0')) return true;
    return false;
}

int fault_kind_arity(fault_kind k) { return DEFS[k].arity; }

static void fault_free(fault *f)
{
    free(f->spec.a);
    free(f->spec.b);
    free(f->downed);
    free(f->links);
    free(f->saved);
    free(f->tenants);
    free(f->first_inquiry);
    free(f->first_provision);
    sim_map_free(&f->tenant_index);
    free(f->lost);
    free(f);
}

static void faults_free(void *p)
{
    faults *fs = p;
    for (size_t i = 0; i < fs->n; i++) fault_free(fs->list[i]);
    free(fs->list);
    sim_map_free(&fs->link_cuts);
    sim_map_free(&fs->slow_links);
    free(fs->ledger);
    sim_map_free(&fs->ledger_by_flow);
    sim_map_free(&fs->charged);
    fault_nemesis_free_all(fs);
    free(fs);
}

static const sim_world_ext_key faults_key = {"faults"};

faults *fault_records_find(const domain *d) { return sim_world_ext(d->w, &faults_key); }

faults *fault_records_get(domain *d)
{
    faults *fs = sim_world_ext(d->w, &faults_key);
    if (fs) return fs;
    fs = calloc(1, sizeof *fs);
    if (!fs) return NULL;
    sim_rng_derive(&fs->nemesis_rng, sim_world_seed(d->w), "faults");
    if (sim_world_ext_attach(d->w, &faults_key, fs, faults_free) < 0) {
        faults_free(fs);
        return NULL;
    }
    if (fault_recovery_attach(d) < 0) return NULL;   /* the world frees fs */
    return fs;
}

int fault_attach(domain *d) { return fault_records_get(d) ? 0 : -ENOMEM; }

fault *fault_find(domain *d, int id)
{
    faults *fs = fault_records_get(d);
    return fs && id > 0 && (size_t)id <= fs->n ? fs->list[id - 1] : NULL;
}

/* ---- checking -------------------------------------------------------------------------- */

static sim_node *ifs_of(sim_world *w, const sim_node *n)
{
    if (n->kind == &node_ifs_kind) return (sim_node *)n;
    char name[128];
    snprintf(name, sizeof name, "%s.ifs", n->name);
    return sim_world_find_node(w, name);
}

static bool has_link(sim_world *w, uint32_t a, uint32_t b)
{
    sim_link_params p;
    return sim_link_get(w, a, b, &p) == 0;
}

/* One line saying what is wrong, or 0. Targets of the ifs kinds may name the site or agency
 * whose interface system is meant; they are resolved here. */
static int check_spec(domain *d, fault_spec *s, char *why, size_t n)
{
    const fault_def *def = &DEFS[s->kind];
    sim_world *w = d->w;
    if (s->duration < 0) return snprintf(why, n, "%s: duration must not be negative", def->name), -EINVAL;
    if (def->arity != ARITY_NONE && s->na == 0) return snprintf(why, n, "%s: no target", def->name), -EINVAL;
    if (def->arity == ARITY_PAIR && s->nb == 0)
        return snprintf(why, n, "%s: needs two sides (a, b)", def->name), -EINVAL;
    if (s->delay < 0 || s->period < 0 || s->grace < 0 || s->count < 0)
        return snprintf(why, n, "%s: negative delay, period, grace or count", def->name), -EINVAL;
    const struct { const char *key; int64_t v; } spans[] = {
        {"duration", s->duration}, {"delay", s->delay}, {"period", s->period},
        {"grace", s->grace}, {"latency", s->link.latency}, {"jitter", s->link.jitter}};
    for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
        if (spans[i].v < 0 || spans[i].v > SIM_DURATION_MAX)
            return snprintf(why, n, "%s: '%s' out of range (supported: " SIM_DURATION_RANGE ")", def->name,
                            spans[i].key), -ERANGE;
    sim_time_t end;
    if (sim_time_add(sim_world_now(w), s->duration, &end) < 0)
        return snprintf(why, n, "%s: its end is out of range (supported: " SIM_TIME_RANGE ")", def->name), -ERANGE;
    if (!(s->rate >= 0 && s->rate <= 1)) return snprintf(why, n, "%s: rate must be within [0, 1]", def->name), -EINVAL;
    if ((s->kind == FAULT_NWS_SLOW || s->kind == FAULT_DISK_SLOW) && s->delay <= 0)
        return snprintf(why, n, "%s: 'delay' (a positive duration) is required", def->name), -EINVAL;
    if (s->kind == FAULT_FLAP && s->period <= 0)
        return snprintf(why, n, "flap: 'period' (a positive duration) is required"), -EINVAL;
    if ((s->kind == FAULT_DUPLICATE || s->kind == FAULT_CORRUPT || s->kind == FAULT_REORDER) && !(s->rate > 0))
        return snprintf(why, n, "%s: 'rate' (a probability > 0) is required", def->name), -EINVAL;
    if (def->on == ON_NWS) {
        if (d->nws == UINT32_MAX) return snprintf(why, n, "%s: there is no NWS", def->name), -ENOENT;
        free(s->a);
        s->a = malloc(sizeof *s->a);
        if (!s->a) return -ENOMEM;
        s->a[0] = d->nws;
        s->na = 1;
    }
    for (size_t i = 0; i < s->na; i++) {
        sim_node *t = sim_world_node(w, s->a[i]);
        if (!t) return snprintf(why, n, "%s: unknown node %u", def->name, s->a[i]), -ENOENT;
        if (def->on == ON_SITE && t->kind != &platform_site_kind)
            return snprintf(why, n, "%s: '%s' is not a site", def->name, t->name), -EINVAL;
        if (def->on == ON_IFS) {
            sim_node *ifs = ifs_of(w, t);
            if (!ifs) return snprintf(why, n, "%s: '%s' has no interface system", def->name, t->name), -EINVAL;
            s->a[i] = ifs->id;
        }
        if (s->lose_state && t->kind != &platform_site_kind)
            return snprintf(why, n, "%s: lose_state applies to sites only ('%s' is not one)", def->name, t->name), -EINVAL;
    }
    if (def->arity == ARITY_PAIR) {
        bool any = false;
        for (size_t i = 0; i < s->na && !any; i++)
            for (size_t j = 0; j < s->nb && !any; j++) any = has_link(w, s->a[i], s->b[j]);
        if (!any) {
            sim_node *x = sim_world_node(w, s->a[0]), *y = sim_world_node(w, s->b[0]);
            return snprintf(why, n, "%s: no link between %s%s and %s%s", def->name, x ? x->name : "?",
                            s->na > 1 ? " (and the rest of its set)" : "", y ? y->name : "?",
                            s->nb > 1 ? " (and the rest of its set)" : ""), -ENOENT;
        }
    }
    return 0;
}

/* ---- applying and undoing ------------------------------------------------------------- */

static void describe(domain *d, fault *f)
{
    sim_world *w = d->w;
    char *p = f->target;
    size_t left = sizeof f->target;
    const fault_spec *s = &f->spec;
    for (int side = 0; side < 2; side++) {
        const uint32_t *ids = side ? s->b : s->a;
        size_t cnt = side ? s->nb : s->na;
        if (!cnt) continue;
        int k = snprintf(p, left, "%s%s", side ? " | " : "", sim_world_node(w, ids[0])->name);
        if (cnt > 1 && k >= 0 && (size_t)k < left) k += snprintf(p + k, left - (size_t)k, " +%zu", cnt - 1);
        if (k < 0 || (size_t)k >= left) break;
        p += k;
        left -= (size_t)k;
    }
}

static void note(domain *d, fault *f, const char *what)
{
    char text[256];
    snprintf(text, sizeof text, "fault %d %s %s: %s", f->id, DEFS[f->kind].name, what, f->target);
    sim_world_note(d->w, "fault", NULL, text);
}

static uint64_t pair_key(uint32_t a, uint32_t b) { return a < b ? (uint64_t)a << 32 | b : (uint64_t)b << 32 | a; }

static void link_hold_down(domain *d, uint32_t a, uint32_t b, int delta, const char *why)
{
    faults *fs = fault_records_get(d);
    uint64_t k = pair_key(a, b), held = 0;
    sim_map_get(&fs->link_cuts, k, &held);
    if (delta < 0 && held == 0) return;
    held = (uint64_t)((int64_t)held + delta);
    if (held && sim_map_put(&fs->link_cuts, k, held) < 0) {   /* the count of faults holding it down */
        domain_halt(d, "a fault could not count the faults holding a link down (out of memory)");
        return;
    }
    if (!held) sim_map_del(&fs->link_cuts, k, NULL);
    /* the pair came from an existing link, so setting it cannot fail but for a bug */
    if (((delta > 0 && held == 1) || (delta < 0 && held == 0)) && sim_link_set_up(d->w, a, b, delta < 0, why) < 0)
        domain_halt(d, "a fault could not take the link %u-%u %s", a, b, delta < 0 ? "up" : "down");
}

/* A degraded or reordering link delays what crosses it: the newest such fault on it is the one
 * a flow that timed out after crossing it is charged to (fault/recovery.c). */
static void mark_slow(domain *d, fault *f, uint64_t k, bool on)
{
    faults *fs = fault_records_get(d);
    uint64_t id = 0;
    if (!on) {
        if (!sim_map_get(&fs->slow_links, k, &id) || id != (uint64_t)f->id) return;
        sim_map_del(&fs->slow_links, k, NULL);
        id = 0;
        for (size_t i = fs->n; i-- > 0 && !id;) {   /* another still slows it: the newest */
            const fault *g = fs->list[i];
            if (g == f || !g->active || (g->kind != FAULT_DEGRADE && g->kind != FAULT_REORDER)) continue;
            for (size_t j = 0; j < g->nlinks && !id; j++)
                if (pair_key((uint32_t)(g->links[j] >> 32), (uint32_t)g->links[j]) == k) id = (uint64_t)g->id;
        }
        if (!id) return;
    } else {
        id = (uint64_t)f->id;
    }
    if (sim_map_put(&fs->slow_links, k, id) < 0)
        domain_halt(d, "a fault could not record the links it slows (out of memory)");
}

/* The pairs of a x b that have a link, and their parameters now. */
static int collect_links(domain *d, fault *f)
{
    const fault_spec *s = &f->spec;
    f->links = calloc(s->na * s->nb, sizeof *f->links);
    f->saved = calloc(s->na * s->nb, sizeof *f->saved);
    if (!f->links || !f->saved) return -ENOMEM;
    for (size_t i = 0; i < s->na; i++)
        for (size_t j = 0; j < s->nb; j++) {
            if (s->a[i] == s->b[j] || sim_link_get(d->w, s->a[i], s->b[j], &f->saved[f->nlinks]) < 0) continue;
            f->links[f->nlinks++] = (uint64_t)s->a[i] << 32 | s->b[j];
        }
    return 0;
}

static void crash_nodes(domain *d, fault *f, const uint32_t *ids, size_t n)
{
    char why[64];
    snprintf(why, sizeof why, "fault %d", f->id);
    for (size_t i = 0; i < n; i++) {
        sim_node *t = sim_world_node(d->w, ids[i]);
        if (!t || !t->up) continue;
        if (t->kind == &platform_site_kind && f->spec.lose_state) platform_ha_of(t)->lose_state = true;
        if (sim_node_crash(t, why) == 0) f->downed[f->ndowned++] = t->id;
    }
}

/* Damage `count` replica rows of the site (of one tenant with lg = ...), chosen uniformly by
 * reservoir sampling in one pass over the table, from the faults' own random stream. */
static void corrupt_rows(domain *d, fault *f, sim_node *site)
{
    faults *fs = fault_records_get(d);
    tenant_db *t = platform_node_db(d, site->id);
    size_t want = f->spec.count > 0 ? (size_t)f->spec.count : 1, seen = 0, n = 0;
    sqlite3_stmt *scan = sim_store_stmt(t->store, TENANT_ST_FAULT_SCAN, "SELECT tenant, record_id FROM replica WHERE ?1 = 0 OR tenant = ?1");
    sqlite3_stmt *spoil = sim_store_stmt(t->store, TENANT_ST_FAULT_SPOIL,
        "UPDATE replica SET payload = substr(payload, 1, length(payload) - 1) || '#' WHERE tenant = ?1 AND record_id = ?2");
    typedef struct { int64_t tenant; char id[24]; } row;
    /* The picks grow as rows are found: a count far past the table's rows (up to INT_MAX)
     * costs no more than the rows there are. Slots fill in order: slot <= cap always. */
    row *pick = NULL;
    size_t cap = 0;
    if (!scan || !spoil) return;
    sqlite3_bind_int64(scan, 1, f->spec.nb ? f->spec.b[0] : 0);
    while (sim_store_read(t->store, scan) == 1) {
        size_t slot = seen < want ? seen : (size_t)(sim_rng_uniform(&fs->nemesis_rng) * (double)(seen + 1));
        seen++;
        if (slot >= want) continue;
        if (slot == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            if (ncap > want) ncap = want;
            row *p = realloc(pick, ncap * sizeof *p);
            if (p) {
                pick = p;
                cap = ncap;
            }
        }
        if (slot >= cap) continue;   /* out of memory: fewer rows are damaged */
        pick[slot].tenant = sqlite3_column_int64(scan, 0);
        snprintf(pick[slot].id, sizeof pick[slot].id, "%s", (const char *)sqlite3_column_text(scan, 1));
        if (slot >= n) n = slot + 1;
    }
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(spoil, 1, pick[i].tenant);
        sqlite3_bind_text(spoil, 2, pick[i].id, -1, SQLITE_TRANSIENT);
        if (sim_store_write(t->store, spoil) < 0) continue;   /* benign: the full store keeps the row whole */
    }
    free(pick);
}

static void set_links(domain *d, fault *f, bool on)
{
    const fault_spec *s = &f->spec;
    for (size_t i = 0; i < f->nlinks; i++) {
        uint32_t a = (uint32_t)(f->links[i] >> 32), b = (uint32_t)f->links[i];
        sim_link_params p = f->saved[i];
        sim_link_params cur;
        sim_link_get(d->w, a, b, &cur);
        p.up = cur.up;   /* up/down belongs to the cut faults */
        if (on) {
            switch (f->kind) {
            case FAULT_DEGRADE:
                /* degradations stack; each is a supported duration, the sum is kept one too */
                p.latency = p.latency > SIM_DURATION_MAX - s->link.latency ? SIM_DURATION_MAX : p.latency + s->link.latency;
                p.jitter = p.jitter > SIM_DURATION_MAX - s->link.jitter ? SIM_DURATION_MAX : p.jitter + s->link.jitter;
                if (s->link.loss > p.loss) p.loss = s->link.loss;
                if (s->link.bandwidth > 0 && (p.bandwidth == 0 || s->link.bandwidth < p.bandwidth)) p.bandwidth = s->link.bandwidth;
                break;
            case FAULT_DUPLICATE: p.duplicate = s->rate; break;
            case FAULT_CORRUPT: p.corrupt = s->rate; break;
            case FAULT_REORDER:
                p.reorder = s->rate;
                p.reorder_delay = s->delay > 0 ? s->delay : 50 * SIM_MS;
                break;
            default: break;
            }
        }
        if (sim_link_set(d->w, a, b, &p) < 0)   /* the pair came from an existing link */
            domain_halt(d, "a fault could not change the link %u-%u", a, b);
        if (f->kind == FAULT_DEGRADE || f->kind == FAULT_REORDER) mark_slow(d, f, pair_key(a, b), on);
    }
}

static void flap_event(sim_world *w, void *ptr, uint64_t id, uint32_t node);

static int apply(domain *d, fault *f)
{
    const fault_spec *s = &f->spec;
    char why[48];
    snprintf(why, sizeof why, "fault %d", f->id);
    switch (f->kind) {
    case FAULT_CRASH:
    case FAULT_NWS_DOWN:
    case FAULT_IFS_DOWN:
        f->downed = calloc(s->na, sizeof *f->downed);
        if (!f->downed) return -ENOMEM;
        crash_nodes(d, f, s->a, s->na);
        break;
    case FAULT_SITE_DOWN: {
        f->downed = calloc(s->na * 2, sizeof *f->downed);
        uint32_t *both = calloc(s->na * 2, sizeof *both);
        if (!f->downed || !both) {
            free(both);
            return -ENOMEM;
        }
        size_t k = 0;
        for (size_t i = 0; i < s->na; i++) {
            sim_node *ifs = ifs_of(d->w, sim_world_node(d->w, s->a[i]));
            both[k++] = s->a[i];
            if (ifs) both[k++] = ifs->id;
        }
        crash_nodes(d, f, both, k);
        free(both);
        break;
    }
    case FAULT_LINK_CUT:
    case FAULT_PARTITION:
    case FAULT_FLAP:
        if (collect_links(d, f) < 0) return -ENOMEM;
        for (size_t i = 0; i < f->nlinks; i++) link_hold_down(d, (uint32_t)(f->links[i] >> 32), (uint32_t)f->links[i], 1, why);
        f->flap_down = true;
        if (f->kind == FAULT_FLAP &&
            sim_world_schedule(d->w, sim_world_now(d->w) + s->period / 2, flap_event, d, (uint64_t)f->id, 0, &f->flap_event) < 0)
            return -ENOMEM;
        break;
    case FAULT_DEGRADE:
    case FAULT_DUPLICATE:
    case FAULT_CORRUPT:
    case FAULT_REORDER:
        if (collect_links(d, f) < 0) return -ENOMEM;
        set_links(d, f, true);
        break;
    case FAULT_NWS_SLOW: node_nws_set_delay(sim_world_node(d->w, s->a[0]), s->delay); break;
    case FAULT_KEY_EXPIRY:
    case FAULT_KEY_ROTATION:
    case FAULT_WRONG_KEY:
        for (size_t i = 0; i < s->na; i++)
            node_ifs_key_event_apply(sim_world_node(d->w, s->a[i]),
                                     f->kind == FAULT_KEY_EXPIRY     ? NODE_IFS_CERT_EXPIRED
                                     : f->kind == FAULT_KEY_ROTATION ? NODE_IFS_ROTATE
                                                                     : NODE_IFS_WRONG_KEY,
                                     s->grace);
        break;
    case FAULT_DISK_SLOW:
        for (size_t i = 0; i < s->na; i++) platform_ha_of(sim_world_node(d->w, s->a[i]))->disk_delay = s->delay;
        break;
    case FAULT_CORRUPT_REPLICA:
        for (size_t i = 0; i < s->na; i++) corrupt_rows(d, f, sim_world_node(d->w, s->a[i]));
        break;
    case FAULT_DISK_FULL:
        for (size_t i = 0; i < s->na; i++) sim_store_set_fault(platform_node_db(d, s->a[i])->store, SIM_STORE_FAULT_FULL);
        break;
    default: return -EINVAL;
    }
    return 0;
}

static void undo(domain *d, fault *f)
{
    const fault_spec *s = &f->spec;
    char why[48];
    snprintf(why, sizeof why, "fault %d ended", f->id);
    switch (f->kind) {
    case FAULT_CRASH:
    case FAULT_SITE_DOWN:
    case FAULT_NWS_DOWN:
    case FAULT_IFS_DOWN:
        for (size_t i = 0; i < f->ndowned; i++) sim_node_recover(sim_world_node(d->w, f->downed[i]), why);
        break;
    case FAULT_LINK_CUT:
    case FAULT_PARTITION:
    case FAULT_FLAP:
        sim_world_cancel(d->w, f->flap_event);
        if (f->flap_down)
            for (size_t i = 0; i < f->nlinks; i++)
                link_hold_down(d, (uint32_t)(f->links[i] >> 32), (uint32_t)f->links[i], -1, why);
        f->flap_down = false;
        break;
    case FAULT_DEGRADE:
    case FAULT_DUPLICATE:
    case FAULT_CORRUPT:
    case FAULT_REORDER: set_links(d, f, false); break;
    case FAULT_NWS_SLOW: node_nws_set_delay(sim_world_node(d->w, s->a[0]), 0); break;
    case FAULT_KEY_EXPIRY:
    case FAULT_WRONG_KEY:
        for (size_t i = 0; i < s->na; i++)
            node_ifs_key_event_apply(sim_world_node(d->w, s->a[i]),
                                     f->kind == FAULT_KEY_EXPIRY ? NODE_IFS_CERT_RENEWED : NODE_IFS_RIGHT_KEY, 0);
        break;
    case FAULT_DISK_SLOW:
        for (size_t i = 0; i < s->na; i++) platform_ha_of(sim_world_node(d->w, s->a[i]))->disk_delay = 0;
        break;
    case FAULT_DISK_FULL:
        for (size_t i = 0; i < s->na; i++) sim_store_set_fault(platform_node_db(d, s->a[i])->store, SIM_STORE_FAULT_NONE);
        break;
    default: break;
    }
}

static void end_fault(domain *d, fault *f)
{
    if (!f->active) return;
    f->active = false;
    f->end = sim_world_now(d->w);
    sim_world_cancel(d->w, f->end_event);
    undo(d, f);
    note(d, f, "ended");
}

static void end_event(sim_world *w, void *ptr, uint64_t id, uint32_t node)
{
    (void)w;
    (void)node;
    domain *d = ptr;
    fault *f = fault_find(d, (int)id);
    if (f) {
        f->end_event = 0;
        end_fault(d, f);
    }
}

static void flap_event(sim_world *w, void *ptr, uint64_t id, uint32_t node)
{
    (void)node;
    domain *d = ptr;
    fault *f = fault_find(d, (int)id);
    if (!f || !f->active) return;
    char why[48];
    snprintf(why, sizeof why, "fault %d flaps", f->id);
    f->flap_down = !f->flap_down;
    for (size_t i = 0; i < f->nlinks; i++)
        link_hold_down(d, (uint32_t)(f->links[i] >> 32), (uint32_t)f->links[i], f->flap_down ? 1 : -1, why);
    if (sim_world_schedule(w, sim_world_now(w) + f->spec.period / 2, flap_event, d, id, 0, &f->flap_event) < 0)
        domain_halt(d, "fault %d could not schedule its next flap (out of memory)", f->id);
}

static uint32_t *copy_ids(const uint32_t *ids, size_t n)
{
    if (!n) return NULL;
    uint32_t *c = malloc(n * sizeof *c);
    if (c) memcpy(c, ids, n * sizeof *c);
    return c;
}

int fault_inject(domain *d, const fault_spec *spec, char *why, size_t n)
{
    faults *fs = fault_records_get(d);
    if (!fs || spec->kind >= FAULT_KINDS) return snprintf(why, n, "unknown fault kind"), -EINVAL;
    /* Every fault is kept to the end with its figures; the number is what bounds them. */
    if (fs->n >= FAULTS_MAX)
        return snprintf(why, n, "%s: refused: a run keeps at most %d faults (the limit is reached)", DEFS[spec->kind].name, FAULTS_MAX),
               -ENOSPC;
    fault *f = calloc(1, sizeof *f);
    if (!f) return -ENOMEM;
    f->spec = *spec;
    f->spec.a = copy_ids(spec->a, spec->na);
    f->spec.b = copy_ids(spec->b, spec->nb);
    f->kind = spec->kind;
    int rc = (spec->na && !f->spec.a) || (spec->nb && !f->spec.b) ? -ENOMEM : check_spec(d, &f->spec, why, n);
    if (rc == 0 && fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 16;
        fault **l = realloc(fs->list, cap * sizeof *l);
        if (l) {
            fs->list = l;
            fs->cap = cap;
        } else {
            rc = -ENOMEM;
        }
    }
    if (rc < 0) {
        if (rc == -ENOMEM) snprintf(why, n, "out of memory");
        fault_free(f);
        return rc;
    }
    fs->list[fs->n++] = f;
    f->id = (int)fs->n;
    f->start = sim_world_now(d->w);
    f->active = true;
    describe(d, f);
    note(d, f, DEFS[f->kind].one_shot ? "injected (at once)" : "injected");
    fault_recovery_fault_started(d, f);   /* before the damage: it counts what is in flight */
    rc = apply(d, f);
    if (rc < 0) {
        snprintf(why, n, "%s: %s", DEFS[f->kind].name, strerror(-rc));
        end_fault(d, f);
        return rc;
    }
    sim_time_t end = 0;
    if (DEFS[f->kind].one_shot)
        end_fault(d, f);
    else if (spec->duration > 0 &&
             (sim_time_add(f->start, spec->duration, &end) < 0 ||   /* check_spec made sure it fits */
              sim_world_schedule(d->w, end, end_event, d, (uint64_t)f->id, 0, &f->end_event) < 0))
        domain_halt(d, "fault %d could not schedule its end (out of memory)", f->id);   /* it would never end */
    return f->id;
}

int fault_clear(domain *d, int id, char *why, size_t n)
{
    fault *f = fault_find(d, id);
    if (!f) return snprintf(why, n, "no fault %d", id), -ENOENT;
    if (!f->active) return snprintf(why, n, "fault %d has ended already", id), -EALREADY;
    end_fault(d, f);
    return 0;
}

/* ---- JSON, for the dashboard ----------------------------------------------------------- */

int fault_find_target(domain *d, const char *name, sim_node **out, char *why, size_t n)
{
    *out = sim_world_find_node(d->w, name);
    if (*out) return 0;
    size_t found = 0, len = 0;
    why[0] = '\0';
    for (uint32_t b = 0; b < d->nbodies_cap; b++) {   /* a body by its name: 大阪市 */
        const body *x = d->bodies[b];
        if (!x || !x->name || strcmp(x->name, name) != 0) continue;
        if (found++ == 0) *out = sim_world_node(d->w, x->node);
        if (len < n) len += (size_t)snprintf(why + len, n - len, "%s%s", found > 1 ? ", " : "", x->code);
    }
    if (found == 1) return 0;
    *out = NULL;
    if (found == 0) return snprintf(why, n, "unknown node '%s'", name), -ENOENT;
    char codes[200];
    snprintf(codes, sizeof codes, "%s", why);
    snprintf(why, n, "'%s' names %zu local governments or agencies (%s): give the code", name, found, codes);
    return -EEXIST;
}

static int json_targets(domain *d, cJSON *v, uint32_t **out, size_t *n, char *why, size_t wn, const char *key)
{
    *out = NULL;
    *n = 0;
    if (!v) return 0;
    int count = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 1;
    *out = calloc((size_t)count + 1, sizeof **out);
    if (!*out) return -ENOMEM;
    for (int i = 0; i < count; i++) {
        cJSON *item = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, i) : v;
        sim_node *t = NULL;
        char what[300];
        int rc = cJSON_IsString(item) ? fault_find_target(d, item->valuestring, &t, what, sizeof what) : -ENOENT;
        if (rc == -EEXIST) {
            snprintf(why, wn, "'%s': %s", key, what);
            return rc;
        }
        if (!t) {
            snprintf(why, wn, "'%s': unknown node %s", key, cJSON_IsString(item) ? item->valuestring : "(not a name)");
            return -ENOENT;
        }
        (*out)[(*n)++] = t->id;
    }
    return 0;
}

static int json_duration(cJSON *o, const char *key, int64_t *out, char *why, size_t n)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return 0;
    /* Checked before the conversion: a double past int64 has no defined conversion. */
    if (cJSON_IsNumber(v)) {
        double us = v->valuedouble * 1e6;   /* seconds */
        if (!(us >= -(double)SIM_DURATION_MAX && us <= (double)SIM_DURATION_MAX)) goto range;
        *out = (int64_t)us;
        return 0;
    }
    int rc = cJSON_IsString(v) ? sim_duration_parse(v->valuestring, out) : -EINVAL;
    if (rc == -ERANGE || (rc == 0 && *out > SIM_DURATION_MAX)) goto range;
    if (rc == 0) return 0;
    snprintf(why, n, "'%s': expected a duration like \"3h\" or seconds", key);
    return -EINVAL;
range:
    snprintf(why, n, "'%s': out of range (supported: " SIM_DURATION_RANGE ")", key);
    return -ERANGE;
}

int fault_inject_json(sim_world *w, const char *json, char *err, size_t errlen)
{
    domain *d = domain_get(w);
    cJSON *o = NULL;
    char why[300];
    int rc = sim_json_parse(json, strlen(json), &o, why, sizeof why);   /* the strict reader */
    fault_spec s = {0};
    if (rc < 0) {
        snprintf(err, errlen, "expected a JSON object: %s", why);
        return rc;
    }
    if (!d || !cJSON_IsObject(o)) {
        snprintf(err, errlen, "expected a JSON object");
        cJSON_Delete(o);
        return -EINVAL;
    }
    static const char *const known[] = {"kind", "target", "peer", "duration", "lose_state", "delay", "period",
                                        "grace", "rate", "count", "lg", "latency", "jitter", "loss", "bandwidth", NULL};
    for (cJSON *f = o->child; f && rc == 0; f = f->next) {
        bool ok = false;
        for (int i = 0; known[i]; i++) ok = ok || strcmp(known[i], f->string) == 0;
        if (!ok) rc = (snprintf(err, errlen, "unknown field '%s'", f->string), -EINVAL);
    }
    cJSON *kind = cJSON_GetObjectItemCaseSensitive(o, "kind");
    int k = cJSON_IsString(kind) ? fault_kind_of(kind->valuestring) : -1;
    if (rc == 0 && k < 0) rc = (snprintf(err, errlen, "unknown fault kind '%s'", cJSON_IsString(kind) ? kind->valuestring : ""), -EINVAL);
    if (rc == 0) {
        s.kind = (fault_kind)k;
        for (cJSON *f = o->child; f && rc == 0; f = f->next) {
            bool structural = !strcmp(f->string, "kind") || !strcmp(f->string, "target") || !strcmp(f->string, "peer");
            if (!structural && !fault_kind_takes(s.kind, f->string))
                rc = (snprintf(err, errlen, "%s does not take '%s'", DEFS[k].name, f->string), -EINVAL);
        }
    }
    if (rc == 0) rc = json_targets(d, cJSON_GetObjectItemCaseSensitive(o, "target"), &s.a, &s.na, err, errlen, "target");
    if (rc == 0 && s.kind == FAULT_CORRUPT_REPLICA)
        rc = json_targets(d, cJSON_GetObjectItemCaseSensitive(o, "lg"), &s.b, &s.nb, err, errlen, "lg");
    else if (rc == 0)
        rc = json_targets(d, cJSON_GetObjectItemCaseSensitive(o, "peer"), &s.b, &s.nb, err, errlen, "peer");
    if (rc == 0) rc = json_duration(o, "duration", &s.duration, err, errlen);
    if (rc == 0) rc = json_duration(o, "delay", &s.delay, err, errlen);
    if (rc == 0) rc = json_duration(o, "period", &s.period, err, errlen);
    if (rc == 0) rc = json_duration(o, "grace", &s.grace, err, errlen);
    if (rc == 0) rc = json_duration(o, "latency", &s.link.latency, err, errlen);
    if (rc == 0) rc = json_duration(o, "jitter", &s.link.jitter, err, errlen);
    cJSON *v;
    if (rc == 0 && (v = cJSON_GetObjectItemCaseSensitive(o, "lose_state"))) s.lose_state = cJSON_IsTrue(v);
    if (rc == 0 && (v = cJSON_GetObjectItemCaseSensitive(o, "rate"))) s.rate = cJSON_IsNumber(v) ? v->valuedouble : -1;
    if (rc == 0 && (v = cJSON_GetObjectItemCaseSensitive(o, "loss"))) s.link.loss = cJSON_IsNumber(v) ? v->valuedouble : -1;
    if (rc == 0 && (v = cJSON_GetObjectItemCaseSensitive(o, "count"))) {
        /* checked before it is narrowed: cJSON's valueint saturates, and 2.5 is no count */
        if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= INT_MAX && v->valuedouble == floor(v->valuedouble))
            s.count = (int)v->valuedouble;
        else
            rc = (snprintf(err, errlen, "'count' must be an integer from 0 to %d", INT_MAX), -EINVAL);
    }
    if (rc == 0 && (v = cJSON_GetObjectItemCaseSensitive(o, "bandwidth"))) s.link.bandwidth = cJSON_IsNumber(v) ? v->valuedouble : -1;
    if (rc == 0 && (s.link.loss < 0 || s.link.loss > 1 || s.link.bandwidth < 0))
        rc = (snprintf(err, errlen, "loss must be within [0, 1] and bandwidth (bits/s) not negative"), -EINVAL);
    if (rc == 0) rc = fault_inject(d, &s, err, errlen);
    free(s.a);
    free(s.b);
    cJSON_Delete(o);
    return rc;
}

int fault_clear_json(sim_world *w, int id, char *err, size_t errlen)
{
    domain *d = domain_get(w);
    return d ? fault_clear(d, id, err, errlen) : -ENOMEM;
}

cJSON *fault_catalogue_json(void)
{
    static const char *const targets[] = {[ON_ANY] = "any", [ON_SITE] = "site", [ON_IFS] = "ifs", [ON_NWS] = "nws"};
    static const char *const arity[] = {[ARITY_NONE] = "none", [ARITY_ONE] = "one", [ARITY_PAIR] = "pair"};
    cJSON *list = cJSON_CreateArray();
    for (int k = 0; list && k < FAULT_KINDS; k++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", DEFS[k].name);
        cJSON_AddStringToObject(o, "targets", arity[DEFS[k].arity]);
        cJSON_AddStringToObject(o, "on", targets[DEFS[k].on]);
        cJSON_AddBoolToObject(o, "one_shot", DEFS[k].one_shot);
        cJSON *opts = cJSON_AddArrayToObject(o, "options");
        char buf[96];
        snprintf(buf, sizeof buf, "%s", DEFS[k].options);
        for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
            cJSON_AddItemToArray(opts, cJSON_CreateString(t));
        cJSON_AddStringToObject(o, "en", DEFS[k].en);
        cJSON_AddStringToObject(o, "ja", DEFS[k].ja);
        cJSON_AddItemToArray(list, o);
    }
    return list;
}

cJSON *fault_list_json(sim_world *w)
{
    domain *d = domain_get(w);
    cJSON *root = cJSON_CreateObject();
    if (d && root) fault_recovery_report_json(d, root);
    cJSON *list = root ? cJSON_DetachItemFromObject(root, "faults") : NULL;
    cJSON_Delete(root);
    return list ? list : cJSON_CreateArray();
}
