/* test_mirror.c - the mirroring log of a site (platform/mirror.c), as a
 * ring of records: sequence numbers from 1 in order, the acknowledged prefix trimmed (and
 * nothing else), acknowledgements of another epoch or of what was acknowledged already
 * ignored, a restart dropping everything unacknowledged into a new epoch, and growth past the
 * initial capacity with the ring wrapped keeping the order. The stream here has no
 * destination, so nothing is shipped: only the ring is under test. */
#include "check.h"
#include "platform/platform_internal.h"

#include <stdio.h>
#include <stdlib.h>

static mirror_rec *rec_at(mirror_stream *s, size_t i) { return &s->recs[(s->head + i) % s->cap]; }

static uint64_t append(sim_node *site, mirror_stream *s, uint32_t tenant, int n)
{
    char text[32];
    snprintf(text, sizeof text, "payload-%d", n);
    mirror_rec r = {.op = REC_REPLICA, .tenant = tenant, .v = {n}, .text = strdup(text)};
    snprintf(r.record_id, sizeof r.record_id, "R%d", n);
    uint64_t seq = platform_mirror_append(site, s, &r, false);
    CHECK(r.text == NULL);   /* moved into the stream */
    return seq;
}

/* The records in the ring are seq first..first+len-1, in order, each with its own payload. */
static void in_order(mirror_stream *s, uint64_t first, size_t len)
{
    CHECK_INT(s->len, len);
    for (size_t i = 0; i < s->len; i++) {
        mirror_rec *r = rec_at(s, i);
        char text[32];
        snprintf(text, sizeof text, "payload-%d", (int)r->v[0]);
        if (r->seq != first + i || !r->text || strcmp(r->text, text) != 0) {
            fprintf(stderr, "record %zu: seq %llu (expected %llu), text %s\n", i, (unsigned long long)r->seq,
                    (unsigned long long)(first + i), r->text ? r->text : "(null)");
            CHECK(!"the ring keeps its records in order");
            return;
        }
    }
}

int main(void)
{
    sim_world *w;
    CHECK_INT(sim_world_create(&(sim_world_config){.seed = 3, .trace_fd = -1, .trace_off = true}, &w), 0);
    sim_node *site;
    CHECK_INT(platform_site_create(w, "east", &site), 0);
    domain *d = domain_get(w);

    mirror_stream s;
    platform_mirror_init(&s, UINT32_MAX);
    CHECK_INT(s.epoch, 1);
    CHECK_INT(s.next_seq, 1);
    CHECK_INT(s.len, 0);

    /* sequence numbers from 1, in order; the clock stamps each record */
    for (int i = 1; i <= 5; i++) CHECK_INT(append(site, &s, 7, i), i);
    CHECK_INT(s.next_seq, 6);
    in_order(&s, 1, 5);
    CHECK_INT(rec_at(&s, 0)->written, sim_world_now(w));
    CHECK_INT(rec_at(&s, 4)->tenant, 7);
    CHECK_STR(rec_at(&s, 4)->record_id, "R5");

    /* acknowledged up to 3: 1..3 trimmed; the lag is measured from the oldest trimmed */
    sim_world_advance(w, sim_world_now(w) + 1500 * SIM_MS);
    CHECK_INT(platform_mirror_acked(site, &s, 1, 3), 3);
    CHECK_INT(s.acked, 3);
    CHECK_INT(s.shipped, 3);
    in_order(&s, 4, 2);
    const ha_stats *st = platform_ha_stats_find(d);
    CHECK(st != NULL);
    if (st) CHECK_NEAR(st->max_lag_ms, 1500.0, 1e-6);
    /* another epoch's, or an old one: ignored */
    CHECK_INT(platform_mirror_acked(site, &s, 2, 5), 3);
    CHECK_INT(platform_mirror_acked(site, &s, 0, 5), 3);
    CHECK_INT(platform_mirror_acked(site, &s, 1, 2), 3);
    CHECK_INT(platform_mirror_acked(site, &s, 1, 3), 3);
    in_order(&s, 4, 2);
    /* all of it */
    CHECK_INT(platform_mirror_acked(site, &s, 1, 5), 5);
    CHECK_INT(s.len, 0);
    CHECK_INT(append(site, &s, 7, 6), 6);   /* numbering goes on */
    in_order(&s, 6, 1);

    /* a restart (lost state, resync): the unacknowledged are dropped, a new epoch from 1 */
    CHECK_INT(append(site, &s, 7, 7), 7);
    platform_mirror_restart(&s);
    CHECK_INT(s.epoch, 2);
    CHECK_INT(s.len, 0);
    CHECK_INT(s.next_seq, 1);
    CHECK_INT(s.acked, 0);
    CHECK_INT(s.shipped, 0);
    CHECK_INT(platform_mirror_acked(site, &s, 1, 7), 0);   /* the old epoch's acknowledgement: stale */
    CHECK_INT(append(site, &s, 7, 1), 1);
    CHECK_INT(platform_mirror_acked(site, &s, 2, 1), 1);
    CHECK_INT(s.len, 0);

    /* growth: 200 in, 150 acknowledged (the ring's head moves), 300 more: past the first
     * capacity with the ring wrapped, and still in order */
    for (int i = 2; i <= 201; i++) append(site, &s, 8, i);
    size_t cap = s.cap;
    CHECK(cap >= 200);
    CHECK_INT(platform_mirror_acked(site, &s, 2, 151), 151);
    CHECK_INT(s.head, 151 % cap);   /* seq 1 of this epoch took slot 0 */
    in_order(&s, 152, 50);
    for (int i = 202; i <= 501; i++) CHECK_INT(append(site, &s, 8, i), i);
    CHECK(s.cap > cap);
    in_order(&s, 152, 350);
    CHECK_INT(platform_mirror_acked(site, &s, 2, 400), 400);
    in_order(&s, 401, 101);
    for (int i = 502; i <= 1200; i++) append(site, &s, 8, i);
    in_order(&s, 401, 800);
    /* freed with the stream: the texts of the records still in it (ASan checks) */
    platform_mirror_free(&s);
    CHECK_INT(s.len, 0);
    CHECK(s.recs == NULL);

    /* the site's own stream is the same ring, and starts the same way */
    site_ha *h = platform_ha_of(site);
    CHECK_INT(h->out.epoch, 1);
    CHECK_INT(h->out.next_seq, 1);
    CHECK_INT(h->peer, UINT32_MAX);
    sim_world_destroy(w);
    CHECK_DONE();
}
