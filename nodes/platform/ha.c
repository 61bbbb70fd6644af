/* platform/ha.c - heartbeats, serving leases, promotion and failback of the platform sites, and
 * the operations centre ("ops") that arbitrates them. See platform/platform.h for the model.
 *
 * Why no split brain: a site serves only while it has heard ops or its peer within the lease;
 * ops grants a promotion only when it has not heard the home site for the detection time,
 * which is longer than the lease, so by then the home site has fenced itself if it is alive
 * at all. A promotion or failback that would break this is refused and counted. */
#include "platform/platform_internal.h"

#include "domain/checker.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TAG_HEARTBEAT = 1, TAG_SHIP, TAG_OPERATOR, TAG_SLOW_DISK, TAG_FAILBACK = 10 };
enum { MAX_SITES = 16 };

/* ---- messages -------------------------------------------------------------------------- */

/* The message types' names, written into ha_types as literals: an element of a const array
 * is not a constant expression in C (gcc folds it; clang, which builds the fuzzers, refuses). */
#define HA_OP_NAMES(X)                                                                          \
    X("heartbeat") X("heartbeat_ack") X("mirror") X("mirror_ack") X("promote")            \
    X("promote_reply") X("release") X("released") X("serve") X("resync") X("snapshot")          \
    X("repair") X("repaired")

ha_msg *platform_ha_msg_new(uint8_t op)
{
    ha_msg *m = calloc(1, sizeof *m);
    if (m) m->op = op;
    return m;
}

void platform_ha_msg_free(void *p)
{
    ha_msg *m = p;
    if (!m) return;
    for (uint32_t i = 0; i < m->nrecs; i++) platform_mirror_rec_clear(&m->recs[i]);
    free(m->recs);
    free(m);
}

static void ha_write_json(const void *p, sim_buf *b)
{
    const ha_msg *m = p;
    sim_buf_puts(b, "{\"gen\":");
    sim_buf_u64(b, m->gen);
    if (m->nrecs) {
        sim_buf_puts(b, ",\"records\":");
        sim_buf_u64(b, m->nrecs);
        sim_buf_puts(b, ",\"first\":");
        sim_buf_u64(b, m->recs[0].seq);
    }
    if (m->seq) {
        sim_buf_puts(b, ",\"seq\":");
        sim_buf_u64(b, m->seq);
    }
    if (m->flag) sim_buf_puts(b, ",\"flag\":true");
    if (m->peer_lost) sim_buf_puts(b, ",\"peer_lost\":true");
    if (m->force) sim_buf_puts(b, ",\"force\":true");
    if (m->why[0]) {
        sim_buf_puts(b, ",\"why\":");
        sim_buf_json_string(b, m->why);
    }
    sim_buf_puts(b, "}");
}

static const sim_msg_type ha_types[HA_OPS] = {
#define T(s) {.name = s, .free = platform_ha_msg_free, .write_json = ha_write_json},
    HA_OP_NAMES(T)
#undef T
};

static void ha_world_free(void *p)
{
    ha_world *h = p;
    free(h->st.lag_ms);
    free(h);
}

/* The invariant the platform is about (domain/checker.h). */
static int check_one_site_serves(domain *d, void *ud, char *detail, size_t n)
{
    const ha_stats *st = &((ha_world *)ud)->st;
    snprintf(detail, n, "%llu moment(s) of two sites serving; %llu promotion(s) refused",
             (unsigned long long)st->split_brain_seen, (unsigned long long)st->refused_promotions);
    return st->split_brain_seen == 0;
}

static const sim_world_ext_key ha_key = {"platform"};

ha_world *platform_ha_world_find(const domain *d) { return sim_world_ext(d->w, &ha_key); }

ha_world *platform_ha_world_get(domain *d)
{
    ha_world *h = sim_world_ext(d->w, &ha_key);
    if (h) return h;
    h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->s = (ha_settings){.sync = true, .heartbeat = 5 * SIM_SEC, .lease = 15 * SIM_SEC,
                         .detect = 30 * SIM_SEC, .batch = 2 * SIM_SEC, .promote = HA_PROMOTE_AUTO,
                         .operator_delay = 30 * SIM_MIN, .auto_failback = false,
                         .failback_delay = SIM_HOUR, .retransmit = SIM_SEC};
    h->ops = UINT32_MAX;
    h->types_consecutive = true;
    if (domain_check_register(d, DOMAIN_INV_ONE_SITE_SERVES, "no tenant served by two sites at once",
                              check_one_site_serves, h) < 0 ||
        sim_world_ext_attach(d->w, &ha_key, h, ha_world_free) < 0) {
        ha_world_free(h);
        return NULL;
    }
    for (int i = 0; i < HA_OPS; i++) {
        h->type[i] = sim_msg_type_register(d->w, &ha_types[i]);
        if (i && h->type[i] != h->type[i - 1] + 1) h->types_consecutive = false;
    }
    return h;
}

/* The listener is an extension of its own, so that listening creates no platform in a world
 * that has no sites. */
static const sim_world_ext_key listener_key = {"platform listener"};

int platform_listen(domain *d, const platform_listener *l)
{
    if (sim_world_ext(d->w, &listener_key)) return -EBUSY;
    platform_listener *copy = malloc(sizeof *copy);
    if (!copy) return -ENOMEM;
    *copy = *l;
    int rc = sim_world_ext_attach(d->w, &listener_key, copy, free);
    if (rc < 0) free(copy);
    return rc;
}

void platform_tell_promoted(domain *d, uint32_t home, sim_time_t at, bool failback)
{
    const platform_listener *l = sim_world_ext(d->w, &listener_key);
    if (l && l->promoted) l->promoted(l->ud, home, at, failback);
}

void platform_tell_audit(domain *d, uint32_t home, uint32_t site, const char *when)
{
    const platform_listener *l = sim_world_ext(d->w, &listener_key);
    if (l && l->audit) l->audit(l->ud, home, site, when);
}

void platform_tell_write_acked(domain *d, uint32_t site, uint64_t flow, uint32_t tenant, mirror_op op,
                               uint64_t addressee, const char *record_id, uint64_t digest)
{
    const platform_listener *l = sim_world_ext(d->w, &listener_key);
    if (l && l->write_acked) l->write_acked(l->ud, site, flow, tenant, op, addressee, record_id, digest);
}

ha_settings *platform_ha_settings_get(domain *d)
{
    ha_world *h = platform_ha_world_get(d);
    return h ? &h->s : NULL;
}

const ha_settings *platform_ha_settings_find(const domain *d)
{
    const ha_world *h = platform_ha_world_find(d);
    return h ? &h->s : NULL;
}

const char *platform_ha_mode_name(const ha_settings *s) { return !s->sync ? "async" : s->degrade ? "semisync" : "sync"; }

ha_stats *platform_ha_stats_get(domain *d)
{
    ha_world *h = platform_ha_world_get(d);
    return h ? &h->st : NULL;
}

const ha_stats *platform_ha_stats_find(const domain *d)
{
    const ha_world *h = platform_ha_world_find(d);
    return h ? &h->st : NULL;
}

int platform_ha_send(sim_node *from, uint32_t to, ha_msg *m, uint32_t size)
{
    domain *d = domain_get(from->world);
    ha_world *h = d ? platform_ha_world_get(d) : NULL;
    sim_msg *msg = h ? sim_msg_new(from->world, (uint16_t)h->type[m->op], m, size) : NULL;
    if (!msg) {   /* a lost heartbeat or mirroring batch would fake a failure: halt instead */
        if (!h) platform_ha_msg_free(m);
        if (d) domain_halt(d, "%s could not send an HA message (out of memory)", from->name);
        return -ENOMEM;
    }
    return sim_node_send(from, to, msg);
}

void platform_ha_note_lag(domain *d, sim_time_t now, int64_t lag)
{
    ha_stats *st = platform_ha_stats_get(d);
    double ms = (double)lag / 1e3;
    if (ms > st->max_lag_ms) st->max_lag_ms = ms;
    size_t minute = (size_t)((now - sim_world_start(d->w)) / SIM_MIN);
    if (minute >= st->nlag) {
        size_t n = minute + 1 > st->nlag * 2 ? minute + 1 : st->nlag * 2;
        float *p = realloc(st->lag_ms, n * sizeof *p);
        if (!p) return;
        memset(p + st->nlag, 0, (n - st->nlag) * sizeof *p);
        st->lag_ms = p;
        st->nlag = n;
    }
    if (ms > st->lag_ms[minute]) st->lag_ms[minute] = (float)ms;
}

/* ---- the operations centre ------------------------------------------------------------ */

typedef struct ops {
    sim_time_t heard[MAX_SITES];
    uint32_t site[MAX_SITES];      /* node ids; index = slot */
    uint32_t served_by[MAX_SITES]; /* who serves the tenants whose home is site[i] */
    uint64_t gen[MAX_SITES];
    bool synced[MAX_SITES];        /* the site reported its resync done */
    bool peer_lost[MAX_SITES];     /* the site reported it has not heard its peer for `detect` */
    bool peer_fenced[MAX_SITES];   /* ... or that its peer says it serves nothing */
    bool failback_due[MAX_SITES];
    int nsites;
} ops;

/* The slot of a site at the operations centre, made on first mention. A site is taken as
 * heard at the start of the run: until it has been silent for `detect` since, promoting its
 * peer is refused as for a live site (at load time too, before any heartbeat). */
static int ops_slot(sim_node *self, uint32_t site)
{
    ops *o = self->state;
    for (int i = 0; i < o->nsites; i++)
        if (o->site[i] == site) return i;
    if (o->nsites == MAX_SITES) return -1;
    o->site[o->nsites] = o->served_by[o->nsites] = site;
    o->gen[o->nsites] = 1;
    o->synced[o->nsites] = true;   /* every site starts current */
    o->heard[o->nsites] = sim_world_start(self->world);
    return o->nsites++;
}

static sim_node *ops_node(domain *d)
{
    ha_world *h = platform_ha_world_get(d);
    return h && h->ops != UINT32_MAX ? sim_world_node(d->w, h->ops) : NULL;
}

static void ops_log(sim_node *self, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ops_log(sim_node *self, const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sim_world_log(self->world, self->name, text);
}

static const char *name_of(domain *d, uint32_t node)
{
    sim_node *n = sim_world_node(d->w, node);
    return n ? n->name : "?";
}

/* A promotion of home's tenants at `to`: refused unless ops has not heard home for the
 * detection time (it may be alive and serving: that would be split brain). */
static int ops_promote(sim_node *self, uint32_t home, uint32_t to, char *why, size_t n)
{
    domain *d = domain_get(self->world);
    ha_world *h = platform_ha_world_get(d);
    ops *o = self->state;
    int i = ops_slot(self, home);
    if (i < 0) return -ENOSPC;
    sim_time_t silent = sim_node_now(self) - o->heard[i];
    if (o->served_by[i] != home) {
        snprintf(why, n, "the tenants of %s are already served by %s", name_of(d, home), name_of(d, o->served_by[i]));
        return -EALREADY;
    }
    if (silent < h->s.detect) {
        char ago[32];
        sim_duration_format(silent, ago, sizeof ago);
        snprintf(why, n, "%s is alive (ops heard it %s ago): promoting %s would be split brain",
                 name_of(d, home), ago, name_of(d, to));
        h->st.refused_promotions++;
        return -EBUSY;
    }
    o->served_by[i] = to;
    o->gen[i]++;
    o->synced[i] = false;
    h->st.promotions++;
    ops_log(self, "granted: the tenants of %s are served by %s (generation %" PRIu64 ")", name_of(d, home),
            name_of(d, to), o->gen[i]);
    return 0;
}

static void ops_reply_promote(sim_node *self, uint32_t home, uint32_t to, int rc, const char *why, bool force)
{
    ops *o = self->state;
    ha_msg *r = platform_ha_msg_new(HA_PROMOTE_REPLY);
    if (!r) return;
    r->force = force;
    int i = ops_slot(self, home);
    r->site = home;
    r->by = to;
    r->flag = rc == 0;
    r->gen = i >= 0 ? o->gen[i] : 0;
    if (rc < 0) snprintf(r->why, sizeof r->why, "%s", why);
    platform_ha_send(self, to, r, 96);
}

static int ops_failback(sim_node *self, uint32_t home, char *why, size_t n)
{
    domain *d = domain_get(self->world);
    ha_world *h = platform_ha_world_get(d);
    ops *o = self->state;
    int i = ops_slot(self, home);
    if (i < 0) return -ENOSPC;
    if (o->served_by[i] == home) {
        snprintf(why, n, "the tenants of %s are served at home already", name_of(d, home));
        return -EALREADY;
    }
    if (sim_node_now(self) - o->heard[i] >= h->s.lease) {
        snprintf(why, n, "%s is not back (ops has not heard it)", name_of(d, home));
        h->st.refused_failbacks++;
        return -EHOSTDOWN;
    }
    if (!o->synced[i]) {
        snprintf(why, n, "%s has not finished its resynchronisation", name_of(d, home));
        h->st.refused_failbacks++;
        return -EAGAIN;
    }
    int holder = ops_slot(self, o->served_by[i]);
    if (o->peer_lost[i] || (holder >= 0 && o->peer_lost[holder])) {
        /* The holder could not ship home what it wrote: the release would never complete and
         * the tenants would wait unserved. */
        snprintf(why, n, "%s and %s cannot reach each other", name_of(d, home), name_of(d, o->served_by[i]));
        h->st.refused_failbacks++;
        return -ENETUNREACH;
    }
    ha_msg *r = platform_ha_msg_new(HA_RELEASE);
    if (!r) return -ENOMEM;
    r->site = home;
    r->gen = o->gen[i];
    ops_log(self, "failback of the tenants of %s: asking %s to release them", name_of(d, home),
            name_of(d, o->served_by[i]));
    platform_ha_send(self, o->served_by[i], r, 64);
    return 0;
}

/* The tenants of o->site[i] are served at home again (generation bumped): a failback that
 * completed, or their holder was lost while home is current. */
static void ops_return_home(sim_node *self, int i, const char *how, bool force, bool holder_lost)
{
    domain *d = domain_get(self->world);
    ha_world *h = platform_ha_world_get(d);
    ops *o = self->state;
    uint32_t home = o->site[i];
    o->served_by[i] = home;
    o->gen[i]++;
    h->st.failbacks++;
    ops_log(self, "failback: the tenants of %s are served at home again (generation %" PRIu64 ")%s",
            name_of(d, home), o->gen[i], how);
    ha_msg *r = platform_ha_msg_new(HA_SERVE);
    if (!r) {
        domain_halt(d, "ops could not tell %s to serve its tenants (out of memory)", name_of(d, home));
        return;
    }
    r->site = home;
    r->gen = o->gen[i];
    r->force = force;
    r->flag = holder_lost;   /* not a failback the holder agreed to: what it had not shipped is lost */
    platform_ha_send(self, home, r, 64);
}

static void ops_receive(sim_node *self, sim_msg *msg)
{
    domain *d = domain_get(self->world);
    ha_world *h = platform_ha_world_get(d);
    ops *o = self->state;
    ha_msg *m = msg->payload;
    uint32_t from = msg->src;
    msg->payload = NULL;
    sim_msg_free(self->world, msg);
    int i = ops_slot(self, from);
    char why[160] = "";
    if (m->op == HA_HEARTBEAT && i >= 0) {
        o->heard[i] = sim_node_now(self);
        o->synced[i] = m->flag;
        o->peer_lost[i] = m->peer_lost;
        o->peer_fenced[i] = m->peer_fenced;
        ha_msg *r = platform_ha_msg_new(HA_HEARTBEAT_ACK);
        if (r) {
            r->site = from;
            r->by = o->served_by[i];
            r->gen = o->gen[i];
            int p = m->site != from && m->site != UINT32_MAX ? ops_slot(self, m->site) : -1;
            if (p >= 0) {   /* does the sender serve its peer's tenants, as of which generation */
                r->flag = o->served_by[p] == from;
                r->epoch = o->gen[p];
            }
            platform_ha_send(self, from, r, 64);
        }
        /* A current home whose tenants' holder is lost (ops has not heard it for the detection
         * time, and neither has the home: so its lease has run out) takes them back now:
         * waiting for a failback that the lost holder can never release would leave them
         * unserved while a current copy is up. */
        int holder = o->served_by[i] != from ? ops_slot(self, o->served_by[i]) : -1;
        int peer = m->site != from && m->site != UINT32_MAX ? ops_slot(self, m->site) : -1;
        /* "Cut off from its peer": lost, or alive but fenced (it serves again only when ops
         * says so, and ops cannot reach it). */
        bool peer_out = m->peer_lost || m->peer_fenced;
        if (holder >= 0 && m->flag && peer_out && sim_node_now(self) - o->heard[holder] >= h->s.detect)
            ops_return_home(self, i, ": the site serving them is lost", false, true);
        else if (h->s.promote == HA_PROMOTE_AUTO && peer >= 0 && m->flag && peer_out &&
                 o->served_by[peer] == o->site[peer] && sim_node_now(self) - o->heard[peer] >= h->s.detect) {
            /* The sender has lost its peer, which ops has not heard for the detection time
             * either: the same two silences a promotion asks for, so grant it now rather than
             * wait for the sender to ask again (it asks once per detection time). */
            char why2[160];
            if (ops_promote(self, o->site[peer], from, why2, sizeof why2) == 0)
                ops_reply_promote(self, o->site[peer], from, 0, "", false);
        }
        else if (h->s.auto_failback && o->served_by[i] != from && m->flag && !o->failback_due[i]) {
            o->failback_due[i] = true;
            domain_timer_after(self, h->s.failback_delay, TAG_FAILBACK + (uint64_t)i, NULL);
        }
    } else if (m->op == HA_PROMOTE) {
        int rc = ops_promote(self, m->site, from, why, sizeof why);
        if (rc < 0) ops_log(self, "refused: %s", why);
        ops_reply_promote(self, m->site, from, rc, why, false);
    } else if (m->op == HA_RELEASED) {
        int k = ops_slot(self, m->site);
        if (k >= 0 && o->served_by[k] == from) ops_return_home(self, k, "", false, false);
    }
    platform_ha_msg_free(m);
}

static void ops_timer(sim_node *self, uint64_t tag, void *arg)
{
    (void)arg;
    ops *o = self->state;
    int i = (int)(tag - TAG_FAILBACK);
    if (i < 0 || i >= o->nsites) return;
    o->failback_due[i] = false;
    char why[160];
    if (ops_failback(self, o->site[i], why, sizeof why) < 0) ops_log(self, "automatic failback deferred: %s", why);
}

static void ops_crash(sim_node *self)
{
    ops *o = self->state;
    for (int i = 0; i < o->nsites; i++) o->failback_due[i] = false;
}

static void ops_destroy(sim_node *self) { free(self->state); }

const sim_node_kind platform_ops_kind = {.name = "ops", .receive = ops_receive, .timer = ops_timer,
                                     .crash = ops_crash, .destroy = ops_destroy};

int platform_ops_create(sim_world *w, sim_node **out)
{
    domain *d = domain_get(w);
    ha_world *h = d ? platform_ha_world_get(d) : NULL;
    ops *o = calloc(1, sizeof *o);
    if (!h || !o) {
        free(o);
        return -ENOMEM;
    }
    int rc = sim_world_add_node(w, &platform_ops_kind, "ops", o, out);
    if (rc < 0) {
        free(o);
        return rc;
    }
    h->ops = (*out)->id;
    return 0;
}

/* A forced promotion: the holder of home's tenants is lost and no current copy is up, so the
 * operator serves them from the copy the pair still has (home's, or else its backup's), and
 * accepts the loss of what it lacks. The chosen site is the only candidate: the other one of
 * the pair is the lost holder. */
static int ops_force(sim_node *self, uint32_t home, uint32_t backup, char *why, size_t n)
{
    domain *d = domain_get(self->world);
    ha_world *h = platform_ha_world_get(d);
    ops *o = self->state;
    int i = ops_slot(self, home), holder = i >= 0 ? ops_slot(self, o->served_by[i]) : -1;
    int b = ops_slot(self, backup);
    if (i < 0 || holder < 0 || b < 0) return -ENOSPC;
    sim_time_t now = sim_node_now(self);
    uint32_t to = UINT32_MAX;
    if (now - o->heard[holder] < h->s.detect) {
        /* The holder is alive: forcing means letting it serve from its own copy, which is
         * not current (it came back from a loss of state and nobody can resynchronise it). */
        if (o->synced[holder] || now - o->heard[holder] >= h->s.lease) {
            snprintf(why, n, "the tenants of %s are served by %s, which is alive%s: nothing to force", name_of(d, home),
                     name_of(d, o->served_by[i]), o->synced[holder] ? " and current" : "");
            h->st.refused_promotions++;
            return -EBUSY;
        }
        to = o->served_by[i];
    } else {
        /* The one to serve them: up, heard by ops, and itself no longer hearing the lost
         * holder (else the holder may still serve under the lease that site renews). */
        bool home_ready = now - o->heard[i] < h->s.lease && (o->peer_lost[i] || o->peer_fenced[i]);
        bool backup_ready = now - o->heard[b] < h->s.lease && (o->peer_lost[b] || o->peer_fenced[b]);
        to = o->served_by[i] != home && home_ready ? home : o->served_by[i] != backup && backup_ready ? backup : UINT32_MAX;
    }
    if (to == UINT32_MAX) {
        snprintf(why, n, "no site holding a copy of the tenants of %s is up, heard by ops and cut off from %s",
                 name_of(d, home), name_of(d, o->served_by[i]));
        h->st.refused_promotions++;
        return -EHOSTDOWN;
    }
    h->st.forced++;
    int t = ops_slot(self, to);
    ops_log(self, "forced by the operator: the tenants of %s are served from the copy at %s%s", name_of(d, home),
            name_of(d, to), o->synced[t] ? "" : ", which was not current");
    o->synced[t] = true;   /* the reference now, by decree (its next heartbeat will say so) */
    if (to == home) {
        ops_return_home(self, i, ": forced by the operator", true, false);
        return 0;
    }
    if (o->served_by[i] != to) {
        o->served_by[i] = to;
        o->synced[i] = false;
        h->st.promotions++;
    }
    o->gen[i]++;
    ops_reply_promote(self, home, to, 0, "", true);
    return 0;
}

int platform_ha_operator_promote(domain *d, sim_node *home, bool force, char *why, size_t n)
{
    sim_node *o = ops_node(d);
    if (!o || !o->up) {
        snprintf(why, n, "the operations centre is down or missing: no promotion without it");
        if (o) platform_ha_stats_get(d)->refused_promotions++;
        return -EHOSTDOWN;
    }
    uint32_t backup = platform_ha_of(home)->peer;
    if (backup == UINT32_MAX) {
        snprintf(why, n, "%s has no backup site", home->name);
        return -ENOENT;
    }
    ops *st = o->state;
    int b = ops_slot(o, backup), i = ops_slot(o, home->id);
    sim_time_t now = sim_node_now(o);
    const ha_settings *hs = platform_ha_settings_get(d);
    /* (a live home, or tenants served elsewhere already: ops_promote refuses, and says why) */
    bool home_silent = i >= 0 && st->served_by[i] == home->id && now - st->heard[i] >= hs->detect;
    int rc;
    if (force) {
        rc = ops_force(o, home->id, backup, why, n);
    } else if (home_silent && b >= 0 && !(now - st->heard[b] < hs->lease && (st->peer_lost[b] || st->peer_fenced[b]))) {
        /* Ops's silence alone is not enough: a site cut off from ops but not from its peer
         * still serves under the lease its peer renews. Only when the site to serve them has
         * lost the peer too is the peer fenced. */
        snprintf(why, n, "%s still hears %s, or ops does not hear %s: promoting there could make two sites serve",
                 name_of(d, backup), home->name, name_of(d, backup));
        platform_ha_stats_get(d)->refused_promotions++;
        rc = -EBUSY;
    } else if (b >= 0 && !st->synced[b]) {
        /* Serving a stale copy loses writes: only when the operator says so (force). */
        snprintf(why, n, "the copy at %s is not current: promote with force = true to serve from it and lose "
                         "what it lacks", name_of(d, backup));
        platform_ha_stats_get(d)->refused_promotions++;
        rc = -ESTALE;
    } else {
        rc = ops_promote(o, home->id, backup, why, n);
        if (rc == 0) ops_reply_promote(o, home->id, backup, 0, "", false);
    }
    if (rc < 0) ops_log(o, "operator promotion refused: %s", why);
    return rc;
}

int platform_ha_operator_failback(domain *d, sim_node *home, char *why, size_t n)
{
    sim_node *o = ops_node(d);
    if (!o || !o->up) {
        snprintf(why, n, "the operations centre is down or missing");
        return -EHOSTDOWN;
    }
    int rc = ops_failback(o, home->id, why, n);
    if (rc < 0) ops_log(o, "operator failback refused: %s", why);
    return rc;
}

/* ---- a site's side ------------------------------------------------------------------- */

static sim_node *ifs_of_site(sim_world *w, const sim_node *site)
{
    char name[128];
    snprintf(name, sizeof name, "%s.ifs", site->name);
    return sim_world_find_node(w, name);
}

/* Point the existing systems and the NWS at `to` for the tenants whose home is `home`. */
static void reroute(sim_node *to, uint32_t home)
{
    domain *d = domain_get(to->world);
    sim_node *ifs = ifs_of_site(to->world, to);
    for (uint32_t i = 0; ifs && i < d->nbodies_cap; i++) {
        body *b = d->bodies[i];
        if (!b || b->kind != BODY_LG || b->home != home || (b->backup != to->id && b->home != to->id)) continue;
        b->server = to->id;
        b->ifs = ifs->id;
    }
}

static site_ha *peer_ha(sim_node *site)
{
    site_ha *h = platform_ha_of(site);
    sim_node *p = h->peer != UINT32_MAX ? sim_world_node(site->world, h->peer) : NULL;
    return p && p->up ? platform_ha_of(p) : NULL;
}

/* God's eye: a moment where this site and its peer both serve the same tenants. */
static void check_split_brain(sim_node *site)
{
    site_ha *h = platform_ha_of(site), *p = peer_ha(site);
    if (p && ((h->serving_own && p->serving_peer) || (h->serving_peer && p->serving_own)))
        platform_ha_stats_get(domain_get(site->world))->split_brain_seen++;
}

static void site_log(sim_node *site, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void site_log(sim_node *site, const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sim_world_log(site->world, site->name, text);
}

void platform_ha_site_init(sim_node *site, site_ha *h)
{
    *h = (site_ha){.peer = UINT32_MAX, .ifs = UINT32_MAX, .serving_own = true, .resynced = true, .releasing = UINT32_MAX};
    platform_mirror_init(&h->out, UINT32_MAX);
    (void)site;
}

static void release_held(sim_node *site, site_ha *h, uint64_t upto)
{
    size_t keep = 0;
    for (size_t i = 0; i < h->nheld; i++) {
        held_ack *a = &h->held[i];
        if (a->seq <= upto) {
            body *b = domain_body(domain_get(site->world), a->body);
            if (b) platform_site_reply_to_body(site, b, (flow_kind)a->kind, a->m, FLOW_OK);
            else domain_msg_free(a->m);
        } else {
            h->held[keep++] = *a;
        }
    }
    h->nheld = keep;
}

/* Answers held for the backup that will never be given: those writes were not acknowledged.
 * Their flows end by their timeouts, with this cause. */
static void drop_held(sim_node *site, site_ha *h, flow_cause c, uint32_t b)
{
    domain *d = domain_find(site->world);
    for (size_t i = 0; i < h->nheld; i++) {
        if (d) domain_flow_blame(d, h->held[i].m->inquirer, h->held[i].m->flow, c, site->id, b);
        domain_msg_free(h->held[i].m);
    }
    h->nheld = 0;
}

/* The world is going: nothing to tell. */
static void free_held(site_ha *h)
{
    for (size_t i = 0; i < h->nheld; i++) domain_msg_free(h->held[i].m);
    h->nheld = 0;
}

static void drop_repairs(site_ha *h)
{
    for (size_t i = 0; i < h->repairs.cap; i++)
        if (h->repairs.slots[i].key) domain_msg_free((flow_msg *)(uintptr_t)h->repairs.slots[i].val);
    sim_map_free(&h->repairs);
}

void platform_ha_site_free(sim_world *w, site_ha *h)
{
    free_held(h);
    free(h->held);
    sim_msgq_free(w, &h->slow);
    drop_repairs(h);
    platform_mirror_free(&h->out);
}

static void send_heartbeats(sim_node *site)
{
    domain *d = domain_get(site->world);
    ha_world *hw = platform_ha_world_get(d);
    site_ha *h = platform_ha_of(site);
    /* Current only when known to be: a site back from a crash does not know yet whether its
     * tenants were written elsewhere meanwhile (a failback granted on its word would serve a
     * stale copy). */
    bool current = h->resynced && !h->awaiting_ops;
    if (hw->ops != UINT32_MAX) {
        ha_msg *m = platform_ha_msg_new(HA_HEARTBEAT);
        if (!m) {   /* a lost heartbeat fakes a site loss */
            domain_halt(d, "%s could not send a heartbeat (out of memory)", site->name);
            return;
        }
        m->flag = current;
        m->peer_lost = h->peer_lost;
        m->peer_fenced = !h->peer_lost && h->peer_fenced;
        m->gen = h->gen;
        m->site = h->peer;
        platform_ha_send(site, hw->ops, m, 64);
    }
    if (h->peer != UINT32_MAX) {
        ha_msg *m = platform_ha_msg_new(HA_HEARTBEAT);
        if (!m) {
            domain_halt(d, "%s could not send a heartbeat (out of memory)", site->name);
            return;
        }
        m->epoch = h->out.applied_epoch;   /* what we applied of the peer's stream */
        m->seq = h->out.applied;
        m->flag = current;
        m->serving = h->serving_own || h->serving_peer;
        platform_ha_send(site, h->peer, m, 64);
    }
}

static void ask_promotion(sim_node *site)
{
    ha_world *hw = platform_ha_world_get(domain_get(site->world));
    site_ha *h = platform_ha_of(site);
    ha_msg *m = platform_ha_msg_new(HA_PROMOTE);
    if (!m || hw->ops == UINT32_MAX) {
        platform_ha_msg_free(m);
        return;
    }
    if (!h->resynced) {   /* a stale copy must not be served: better unavailable than wrong */
        platform_ha_msg_free(m);
        site_log(site, "cannot take over the tenants of %s: our copy is not current (waiting for a resync)",
                 sim_world_node(site->world, h->peer)->name);
        return;
    }
    m->site = h->peer;
    h->promote_asked = true;
    site_log(site, "asking ops to promote the tenants of %s here", sim_world_node(site->world, h->peer)->name);
    platform_ha_send(site, hw->ops, m, 64);
}

static void heartbeat_tick(sim_node *site)
{
    domain *d = domain_get(site->world);
    ha_world *hw = platform_ha_world_get(d);
    site_ha *h = platform_ha_of(site);
    sim_time_t now = sim_node_now(site);
    send_heartbeats(site);
    sim_time_t heard = h->heard_ops > h->heard_peer ? h->heard_ops : h->heard_peer;
    if ((h->serving_own || h->serving_peer) && now - heard > hw->s.lease) {
        h->serving_own = h->serving_peer = false;
        /* Answers waiting for the backup will not be given: those writes were never
         * acknowledged (and may be lost if the peer takes over). */
        drop_held(site, h, CAUSE_NOT_SERVING, site->id);
        h->peer_gen = 0;
        site_log(site, "fenced: heard neither ops nor the peer site for the lease; serving nothing");
    }
    if (h->peer != UINT32_MAX && !h->peer_lost && now - h->heard_peer > hw->s.detect) {
        h->peer_lost = true;
        bool strict = hw->s.sync && !hw->s.degrade;
        site_log(site, "peer site %s lost (no heartbeat); %s", sim_world_node(site->world, h->peer)->name,
                 strict ? "writes are refused until it is back (synchronous)"
                        : hw->s.sync ? "writes are acknowledged without a copy until it is back (semisync)"
                                     : "mirroring to it is suspended");
        if (h->releasing != UINT32_MAX && h->peer_gen && !h->serving_peer) {
            /* A failback under way cannot complete without the peer: keep serving its tenants
             * (ops's table still names us until we say we released them). */
            h->releasing = UINT32_MAX;
            h->serving_peer = true;
            reroute(site, h->peer);
            platform_ha_stats_get(d)->abandoned_failbacks++;
            site_log(site, "failback of the tenants of %s abandoned: the peer was lost before it had everything; "
                           "serving them again", sim_world_node(site->world, h->peer)->name);
            check_split_brain(site);
        }
        if (strict) {
            drop_held(site, h, CAUSE_NO_BACKUP, h->peer);   /* never acknowledged */
        } else {
            release_held(site, h, UINT64_MAX);
        }
        if (hw->s.promote == HA_PROMOTE_AUTO) ask_promotion(site);
        else if (hw->s.promote == HA_PROMOTE_OPERATOR) domain_timer_after(site, hw->s.operator_delay, TAG_OPERATOR, NULL);
        else site_log(site, "awaiting the operator's decision to promote");
    } else if (h->peer_lost && h->promote_asked && !h->serving_peer && now - h->heard_peer > hw->s.detect) {
        /* refused before (ops still heard the peer): ask again once per detection time */
        if ((now - h->heard_peer) / hw->s.detect != (now - hw->s.heartbeat - h->heard_peer) / hw->s.detect)
            ask_promotion(site);
    }
    /* Resend what the peer has not acknowledged (a batch lost on a cut link). */
    mirror_stream *s = &h->out;
    if (!h->peer_lost && s->shipped > s->acked && now - s->last_ship >= hw->s.retransmit) {
        s->shipped = s->acked;
        platform_mirror_ship(site, s);
    }
    domain_timer_after(site, hw->s.heartbeat, TAG_HEARTBEAT, NULL);
}

void platform_ha_site_start(sim_node *site)
{
    domain *d = domain_get(site->world);
    ha_world *hw = platform_ha_world_get(d);
    site_ha *h = platform_ha_of(site);
    h->heard_ops = h->heard_peer = sim_node_now(site);
    h->out.to = h->peer;
    domain_timer_after(site, hw->s.heartbeat, TAG_HEARTBEAT, NULL);
    if (h->peer != UINT32_MAX) domain_timer_after(site, hw->s.batch, TAG_SHIP, NULL);
}

static void slow_disk_next(sim_node *site);

void platform_ha_site_timer(sim_node *site, uint64_t tag, void *arg)
{
    (void)arg;
    domain *d = domain_get(site->world);
    ha_world *hw = platform_ha_world_get(d);
    site_ha *h = platform_ha_of(site);
    char why[160];
    switch (tag) {
    case TAG_HEARTBEAT: heartbeat_tick(site); break;
    case TAG_SHIP:
        if (!h->peer_lost) platform_mirror_ship(site, &h->out);
        domain_timer_after(site, hw->s.batch, TAG_SHIP, NULL);
        break;
    case TAG_OPERATOR:
        if (h->peer_lost && !h->serving_peer && h->peer != UINT32_MAX &&
            platform_ha_operator_promote(d, sim_world_node(site->world, h->peer), false, why, sizeof why) < 0)
            site_log(site, "the operator could not promote: %s", why);
        break;
    case TAG_SLOW_DISK: slow_disk_next(site); break;
    default: break;
    }
}

void platform_ha_site_crash(sim_node *site)
{
    site_ha *h = platform_ha_of(site);
    /* Answers not yet sent die with the connections; the writes stay (or not: lose_state). */
    drop_held(site, h, CAUSE_NODE_DOWN, UINT32_MAX);
    sim_msgq_clear(site->world, &h->slow);
    drop_repairs(h);
    h->serving_own = h->serving_peer = false;
    h->promote_asked = false;
    h->releasing = UINT32_MAX;
    h->resync_asked = 0;
    h->peer_gen = 0;   /* what we knew died with us: ops's table decides */
    h->awaiting_ops = true;
    if (h->lose_state) {
        platform_mirror_restart(&h->out);         /* the unshipped tail is gone */
        h->resynced = false;
        h->lose_state = false;
        h->audit_on_serve = h->audit_peer_on_serve = true;
    }
}

void platform_ha_site_recover(sim_node *site)
{
    site_ha *h = platform_ha_of(site);
    /* Serve nothing until ops says what is ours (heartbeat ack). */
    h->heard_ops = h->heard_peer = sim_node_now(site);
    h->peer_lost = false;
    platform_ha_site_start(site);
    send_heartbeats(site);
}

bool platform_ha_write_allowed(sim_node *site, const body *b)
{
    site_ha *h = platform_ha_of(site);
    bool mirrored = b->kind == BODY_LG && b->home != b->backup && h->peer != UINT32_MAX;
    const ha_settings *s = platform_ha_settings_get(domain_get(site->world));
    return !mirrored || !s->sync || s->degrade || !h->peer_lost;
}

bool platform_ha_serves(sim_node *site, const body *b)
{
    site_ha *h = platform_ha_of(site);
    if (b->home == site->id) return h->serving_own;
    if (b->backup == site->id) return h->serving_peer;
    return false;
}

static void ask_resync(sim_node *site, uint32_t from)
{
    site_ha *h = platform_ha_of(site);
    sim_time_t now = sim_node_now(site);
    if (from == UINT32_MAX || (h->resync_asked && now - h->resync_asked < platform_ha_settings_get(domain_get(site->world))->detect))
        return;
    ha_msg *m = platform_ha_msg_new(HA_RESYNC);
    if (!m) return;
    if (!h->resync_asked)   /* asked again every detection time until answered: say it once */
        site_log(site, "asking %s for a resynchronisation", sim_world_node(site->world, from)->name);
    h->resync_asked = now;
    platform_ha_send(site, from, m, 64);
}

static void heartbeat_ack(sim_node *site, ha_msg *m)
{
    site_ha *h = platform_ha_of(site);
    h->heard_ops = sim_node_now(site);
    h->gen = m->gen;
    h->awaiting_ops = false;   /* ops's answer settles whether our copy is current (below) */
    /* Ops's table says whether we serve the peer's tenants (after a crash or a fence we
     * remember nothing of it ourselves), at a generation: an ack older than what we were
     * told since (a promotion, a release) is stale and ignored. */
    if (m->epoch > h->peer_gen) {
        h->peer_gen = m->epoch;
        if (m->flag && !h->serving_peer && h->resynced) {
            h->serving_peer = true;
            reroute(site, h->peer);
            site_log(site, "serving the tenants of %s again (ops's table)", sim_world_node(site->world, h->peer)->name);
            check_split_brain(site);
            if (h->audit_peer_on_serve) {   /* back from lost state: what did the peer's tenants keep? */
                h->audit_peer_on_serve = false;
                platform_tell_audit(domain_get(site->world), h->peer, site->id, "restart");
            }
        } else if (!m->flag && h->serving_peer) {
            h->serving_peer = false;
        }
    }
    if (m->by == site->id) {
        h->standby = false;
        if (!h->resynced) {
            ask_resync(site, h->peer);   /* lost state: the peer holds our tenants' copy */
        } else if (!h->serving_own) {
            h->serving_own = true;
            reroute(site, site->id);
            site_log(site, "serving its own tenants (generation %" PRIu64 ")", m->gen);
            check_split_brain(site);
            if (h->audit_on_serve) {   /* back from lost state: what did its tenants keep? */
                h->audit_on_serve = false;
                platform_tell_audit(domain_get(site->world), site->id, site->id, "restart");
            }
        }
        return;
    }
    if (!h->standby) {
        h->standby = true;
        h->resynced = false;   /* they were written elsewhere meanwhile */
        /* What we wrote that the peer never applied is the divergent tail: the tenants moved
         * on without it (it is what an asynchronous loss loses). Never ship it late. */
        size_t tail = h->out.len;
        platform_mirror_restart(&h->out);
        drop_held(site, h, CAUSE_NOT_SERVING, site->id);
        site_log(site, "its tenants are served by %s: standing by (%zu unmirrored records discarded)",
                 sim_world_node(site->world, m->by)->name, tail);
    }
    h->serving_own = false;
    if (!h->resynced) ask_resync(site, m->by);
}

/* A forced promotion made our copy the pair's reference: it is current by decree (what it
 * lacks is lost, and audited), so we serve it and resynchronise the peer from it. */
static void become_reference(sim_node *site)
{
    site_ha *h = platform_ha_of(site);
    h->awaiting_ops = false;
    h->standby = false;
    h->audit_on_serve = h->audit_peer_on_serve = false;   /* the forced audit covers it */
    if (h->resynced) return;
    h->resynced = true;
    h->said_not_current = false;
    h->peer_gen = 0;   /* current now: ops's next word on the peer's tenants counts, same generation or not */
    site_log(site, "forced: our copy becomes the reference of the pair");
}

/* Failback: tell ops we released home's tenants once the peer has applied all we wrote. */
static void maybe_released(sim_node *site)
{
    site_ha *h = platform_ha_of(site);
    ha_world *hw = platform_ha_world_get(domain_get(site->world));
    if (h->releasing == UINT32_MAX || h->out.acked < h->release_seq) return;
    ha_msg *r = platform_ha_msg_new(HA_RELEASED);
    if (!r) return;
    r->site = h->releasing;
    h->releasing = UINT32_MAX;
    platform_ha_send(site, hw->ops, r, 64);
}

static void peer_heartbeat(sim_node *site, ha_msg *m)
{
    site_ha *h = platform_ha_of(site);
    h->heard_peer = sim_node_now(site);
    h->peer_fenced = !m->serving;
    if (h->peer_lost) {
        h->peer_lost = false;
        h->promote_asked = false;
        site_log(site, "peer site %s is back", sim_world_node(site->world, h->peer)->name);
    }
    /* The peer's applied position acknowledges our stream, and shows what to resend. */
    platform_mirror_acked(site, &h->out, m->epoch, m->seq);
    release_held(site, h, h->out.acked);
    maybe_released(site);
}

bool platform_ha_site_receive(sim_node *site, sim_msg *msg)
{
    domain *d = domain_get(site->world);
    ha_world *hw = platform_ha_world_get(d);
    /* The HA types are registered together, so their ids are normally consecutive: one
     * subtraction tells a flow message (the common case) from an HA one. A script that took
     * one of the names first breaks the run of ids: then look them up. */
    int op = (int)msg->type - hw->type[0];
    if (!hw->types_consecutive)
        for (op = HA_OPS - 1; op >= 0 && hw->type[op] != msg->type; op--) {}
    if (op < 0 || op >= HA_OPS || hw->type[op] != msg->type) return false;
    site_ha *h = platform_ha_of(site);
    ha_msg *m = msg->payload;
    uint32_t from = msg->src;
    msg->payload = NULL;
    sim_msg_free(site->world, msg);
    switch (op) {
    case HA_HEARTBEAT:
        if (from == h->peer) peer_heartbeat(site, m);
        break;
    case HA_HEARTBEAT_ACK: heartbeat_ack(site, m); break;
    case HA_MIRROR:
        if (from == h->peer) platform_mirror_receive_batch(site, &h->out, m, from);
        break;
    case HA_MIRROR_ACK:
        platform_mirror_acked(site, &h->out, m->epoch, m->seq);
        release_held(site, h, h->out.acked);
        maybe_released(site);
        break;
    case HA_PROMOTE_REPLY:
        h->promote_asked = m->flag ? false : h->promote_asked;
        if (m->flag) {
            h->serving_peer = true;
            h->peer_gen = m->gen;
            if (m->force) become_reference(site);
            reroute(site, m->site);
            site_log(site, "promoted: serving the tenants of %s (generation %" PRIu64 ")",
                     sim_world_node(site->world, m->site)->name, m->gen);
            check_split_brain(site);
            platform_tell_promoted(d, m->site, sim_node_now(site), false);
            platform_tell_audit(d, m->site, site->id, m->force ? "forced" : "promotion");
        } else {
            site_log(site, "promotion refused: %s", m->why);
        }
        break;
    case HA_RELEASE:
        if (h->serving_peer) {
            h->serving_peer = false;
            site_log(site, "releasing the tenants of %s for failback", sim_world_node(site->world, m->site)->name);
        }
        h->releasing = m->site;
        h->peer_gen = m->gen;
        h->release_seq = h->out.next_seq - 1;
        platform_mirror_ship(site, &h->out);
        maybe_released(site);
        break;
    case HA_SERVE:
        h->serving_own = true;
        h->standby = false;
        h->gen = m->gen;
        if (m->force) become_reference(site);
        reroute(site, site->id);
        site_log(site, "failed back: serving its own tenants again (generation %" PRIu64 ")", m->gen);
        check_split_brain(site);
        platform_tell_promoted(d, site->id, sim_node_now(site), true);
        /* the holder lost ("takeback") or forced: what is missing is the RPO of a loss; a
         * failback the holder released has nothing missing ("failback": must find none) */
        platform_tell_audit(d, site->id, site->id, m->force ? "forced" : m->flag ? "takeback" : "failback");
        break;
    case HA_RESYNC: {
        if (!h->resynced) {   /* our own copy is stale: sending it would spread the loss */
            if (!h->said_not_current)   /* asked every detection time: say it once */
                site_log(site, "cannot resynchronise %s: our copy is not current either (an operator can force a "
                               "promotion from the best copy)", sim_world_node(site->world, from)->name);
            h->said_not_current = true;
            break;
        }
        ha_msg *snap = platform_mirror_snapshot(site, from);
        if (snap) {
            platform_mirror_restart(&h->out);         /* the snapshot covers all that was queued */
            snap->epoch = h->out.epoch;
            snap->by = site->id;
            site_log(site, "sending a resynchronisation of %u rows to %s", snap->nrecs,
                     sim_world_node(site->world, from)->name);
            platform_ha_send(site, from, snap, 64 + snap->nrecs * 128);
        }
        break;
    }
    case HA_SNAPSHOT:
    {
        int rc = platform_mirror_apply_snapshot(site, m);
        if (rc == 0) {
            h->out.applied_epoch = m->epoch;
            h->out.applied = 0;
            h->resynced = true;
            h->said_not_current = false;
            h->peer_gen = 0;   /* current now: ops's next word on the peer's tenants counts */
            site_log(site, "resynchronised from %s: %u rows", sim_world_node(site->world, from)->name, m->nrecs);
        } else {   /* not resynced: it stays so (failback is refused) and asks again later */
            site_log(site, "resynchronisation from %s failed: %s", sim_world_node(site->world, from)->name, strerror(-rc));
        }
        break;
    }
    case HA_REPAIR: platform_mirror_serve_repair(site, m, from); break;
    case HA_REPAIRED: platform_mirror_repaired(site, m); break;
    default: break;
    }
    platform_ha_msg_free(m);
    return true;
}

void platform_ha_record(sim_node *site, const body *b, mirror_rec *rec)
{
    domain *d = domain_get(site->world);
    site_ha *h = platform_ha_of(site);
    if (b->kind != BODY_LG || b->home == b->backup || h->peer == UINT32_MAX) {
        platform_mirror_rec_clear(rec);
        return;
    }
    rec->tenant = b->tenant;
    bool write = rec->op == REC_CODE || rec->op == REC_REPLICA;
    platform_mirror_append(site, &h->out, rec, write && platform_ha_world_get(d)->s.sync && !h->peer_lost);
}

void platform_ha_reply(sim_node *site, body *b, flow_kind kind, flow_msg *m, flow_error e,
              void (*send)(sim_node *, body *, flow_kind, flow_msg *, flow_error))
{
    domain *d = domain_get(site->world);
    site_ha *h = platform_ha_of(site);
    bool mirrored = b->kind == BODY_LG && b->home != b->backup && h->peer != UINT32_MAX;
    if (e != FLOW_OK || !mirrored || !platform_ha_world_get(d)->s.sync || h->peer_lost || h->out.acked + 1 >= h->out.next_seq) {
        send(site, b, kind, m, e);
        return;
    }
    if (h->nheld == h->cap_held) {
        size_t cap = h->cap_held ? h->cap_held * 2 : 64;
        held_ack *p = realloc(h->held, cap * sizeof *p);
        if (!p) {
            send(site, b, kind, m, FLOW_SERVER_ERROR);
            return;
        }
        h->held = p;
        h->cap_held = cap;
    }
    m->error = FLOW_OK;
    h->held[h->nheld++] = (held_ack){.seq = h->out.next_seq - 1, .body = b->node, .kind = (uint8_t)kind, .m = m};
}

void platform_ha_repair(sim_node *site, body *b, flow_msg *m, const char *record_id)
{
    domain *d = domain_get(site->world);
    site_ha *h = platform_ha_of(site);
    platform_ha_stats_get(d)->repairs_detected++;
    site_log(site, "replica row %s failed its checksum: fetching it from the peer site", record_id);
    uint64_t id = ++h->next_repair;
    ha_msg *r = h->peer != UINT32_MAX ? platform_ha_msg_new(HA_REPAIR) : NULL;
    if (r) r->recs = calloc(1, sizeof *r->recs);
    if (!r || !r->recs || sim_map_put(&h->repairs, id, (uint64_t)(uintptr_t)m) < 0) {
        platform_ha_msg_free(r);
        platform_site_answer_inquiry(site, b, m);   /* answered as it stands: an integrity error */
        return;
    }
    r->nrecs = 1;
    r->recs[0].tenant = b->tenant;
    snprintf(r->recs[0].record_id, sizeof r->recs[0].record_id, "%s", record_id);
    r->id = id;
    r->site = b->node;
    platform_ha_send(site, h->peer, r, 128);
}

/* ---- the slow-disk fault -------------------------------------------------------------- */

void platform_ha_site_defer(sim_node *site, sim_msg *msg)
{
    site_ha *h = platform_ha_of(site);
    if (sim_msgq_push(site->world, &h->slow, msg) == 0)
        domain_timer_at(site, sim_msgq_release_at(&h->slow, sim_node_now(site), h->disk_delay), TAG_SLOW_DISK, NULL);
}

static void slow_disk_next(sim_node *site)
{
    sim_msg *msg = sim_msgq_pop(&platform_ha_of(site)->slow);
    if (msg) platform_site_process(site, msg);
}
