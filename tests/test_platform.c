/* test_platform.c - the platform sites driven through the C API and the engine, without
 * Lua: the tenant logic behind mirroring (a write reaches the other site before its OK in
 * synchronous mode, within the batch interval in asynchronous mode), the HA state machine
 * (a lost site is declared after the detection time and not before, its tenants promoted at
 * the backup by ops; a fenced or standing-by site refuses requests and counts them; failback
 * after recovery and resynchronisation; never two sites serving one tenant), and which
 * writes a site accepts while its peer is lost (sync refuses, semisync accepts alone). */
#include "check.h"
#include "world_fixture.h"

static const int64_t SEC = SIM_SEC;

/* A probe on one flow: what the stores held the moment its body got the answer. */
typedef struct probe {
    uint64_t flow;
    const char *record;         /* a replica's record id, or NULL: a code (addressee) */
    uint64_t addressee;
    bool ended, east_had, west_had;
    flow_error error;
} probe;

static bool holds(fixture *fx, sim_node *site, const body *b, const probe *p)
{
    return p->record ? fx_site_has_record(fx, site, b, p->record) : fx_site_code(fx, site, b, p->addressee) != 0;
}

static void on_end_probe(fixture *fx, const fx_end *e)
{
    probe *p = fx->ud;
    for (; p && p->flow; p++) {
        if (p->flow != e->flow) continue;
        const body *b = domain_body(fx->d, e->body);
        p->ended = true;
        p->error = e->error;
        p->east_had = holds(fx, fx->east, b, p);
        p->west_had = holds(fx, fx->west, b, p);
    }
}

/* Nobody serves a tenant from two sites at once (God's eye, now). */
static void one_site_serves(fixture *fx)
{
    const body *t[2] = {fx->a, fx->b};
    for (int i = 0; i < 2; i++) {
        int serving = (fx->east->up && platform_ha_serves(fx->east, t[i])) + (fx->west->up && platform_ha_serves(fx->west, t[i]));
        CHECK(serving <= 1);
    }
}

static int fault_site(fixture *fx, fault_kind kind, sim_node *site, bool lose_state)
{
    char why[200] = "";
    int id = fault_inject(fx->d, &(fault_spec){.kind = kind, .a = &site->id, .na = 1, .lose_state = lose_state}, why,
                          sizeof why);
    if (id < 0) fprintf(stderr, "fault_inject: %s\n", why);
    return id;
}

/* Synchronous mirroring: each write (replica, code) is in the other site's store before
 * its body has the OK, in both directions; the OK waits for the round trip between sites. */
static void test_sync_mirroring(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    CHECK_STR(platform_ha_mode_name(platform_ha_settings_find(fx.d)), "sync");
    fx_run_for(&fx, SEC);
    uint32_t fresh = node_body_new_resident(fx.d, fx.a);
    probe p[4] = {{.record = "A-sync-1"}, {.record = "B-sync-1"}, {.addressee = fresh}, {0}};
    fx.on_end = on_end_probe;
    fx.ud = p;
    p[0].flow = fx_register(&fx, fx.a, 1, "A-sync-1");   /* home east, backup west */
    p[1].flow = fx_register(&fx, fx.b, 1, "B-sync-1");   /* home west, backup east */
    p[2].flow = node_body_acquire_code(fx.lg_a, fresh);
    fx_run_for(&fx, SEC);
    for (int i = 0; i < 3; i++) {
        CHECK(p[i].ended && p[i].error == FLOW_OK);
        CHECK(p[i].east_had && p[i].west_had);   /* both copies before the OK */
    }
    const fx_end *e = fx_end_of(&fx, p[0].flow);
    CHECK(e && e->latency >= 2 * 8 * SIM_MS + 2 * 2 * SIM_MS);   /* body-east, east-west, back */
    const ha_stats *st = platform_ha_stats_find(fx.d);
    CHECK(st && st->shipped >= 3 && st->applied >= 3);
    site_ha *east = platform_ha_of(fx.east);
    CHECK_INT(east->out.acked, east->out.next_seq - 1);   /* all acknowledged by west */
    CHECK_INT(east->out.len, 0);
    CHECK_INT(east->nheld, 0);
    CHECK_INT(st->split_brain_seen, 0);
    fx_close(&fx);
}

/* Asynchronous mirroring: the OK comes at once, the copy with the next batch. */
static void test_async_mirroring(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){.mirroring = "async"}), 0);
    sim_time_t start = fx_now(&fx);
    const ha_settings *hs = platform_ha_settings_find(fx.d);
    CHECK(hs && !hs->sync && hs->batch == 2 * SEC);
    probe p[2] = {{.record = "A-async-1"}, {0}};
    fx.on_end = on_end_probe;
    fx.ud = p;
    fx_run_until(&fx, start + 2500 * SIM_MS);   /* between the batches at +2 s and +4 s */
    p[0].flow = fx_register(&fx, fx.a, 1, "A-async-1");
    fx_run_for(&fx, 100 * SIM_MS);
    const fx_end *e = fx_end_of(&fx, p[0].flow);
    CHECK(p[0].ended && p[0].error == FLOW_OK);
    CHECK(p[0].east_had && !p[0].west_had);   /* acknowledged before any copy */
    CHECK(e && e->latency < 10 * SIM_MS);
    CHECK_INT(platform_ha_of(fx.east)->out.len, 1);   /* waiting for the batch */
    fx_run_until(&fx, start + 3990 * SIM_MS);
    CHECK(!fx_site_has_record(&fx, fx.west, fx.a, "A-async-1"));
    fx_run_until(&fx, start + 4020 * SIM_MS);   /* the batch at +4 s, 8 ms to west */
    CHECK(fx_site_has_record(&fx, fx.west, fx.a, "A-async-1"));
    CHECK_INT(platform_ha_of(fx.east)->out.len, 0);    /* acknowledged: trimmed */
    const ha_stats *st = platform_ha_stats_find(fx.d);
    CHECK(st->max_lag_ms > 1400 && st->max_lag_ms < hs->batch / 1000.0 + 50);
    fx_close(&fx);
}

/* A whole-site loss: detected after the detection time (silence since the last heartbeat)
 * and not before, promoted at the backup by ops; served there; the returning site stands by,
 * resynchronises, and fails back when the operator says so. */
static void test_failover_and_failback(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){.faults = true}), 0);
    const ha_settings *hs = platform_ha_settings_find(fx.d);
    const ha_stats *st = platform_ha_stats_find(fx.d);
    sim_time_t start = fx_now(&fx);
    char why[200] = "";
    fx_run_until(&fx, start + 62 * SEC);
    /* ops refuses to promote a site it hears: that would be split brain */
    CHECK_INT(platform_ha_operator_promote(fx.d, fx.east, false, why, sizeof why), -EBUSY);
    CHECK(strstr(why, "is alive") != NULL);
    CHECK_INT(st->refused_promotions, 1);

    int id = fault_site(&fx, FAULT_SITE_DOWN, fx.east, false);
    CHECK(id > 0 && !fx.east->up && !sim_world_find_node(fx.w, "east.ifs")->up);
    sim_time_t heard = platform_ha_of(fx.west)->heard_peer;   /* east's last heartbeat at west */
    CHECK(heard > start + 55 * SEC && heard <= start + 62 * SEC);
    fx_run_until(&fx, heard + hs->detect);
    CHECK_INT(st->promotions, 0);   /* not before the detection time */
    CHECK(!platform_ha_of(fx.west)->peer_lost && !platform_ha_of(fx.west)->serving_peer);
    CHECK_INT(fx.a->server, fx.east->id);
    fx_run_until(&fx, heard + hs->detect + hs->heartbeat + SEC);
    CHECK_INT(st->promotions, 1);   /* at the first heartbeat tick after it */
    CHECK(platform_ha_of(fx.west)->peer_lost && platform_ha_of(fx.west)->serving_peer && platform_ha_of(fx.west)->serving_own);
    CHECK_INT(fx.a->server, fx.west->id);
    CHECK_INT(fx.a->ifs, sim_world_find_node(fx.w, "west.ifs")->id);
    CHECK_INT(fx.b->server, fx.west->id);
    fault *f = fault_find(fx.d, id);
    CHECK(f && f->home_lost == fx.east->id);
    CHECK(f && f->promoted_at > heard + hs->detect && f->promoted_at <= heard + hs->detect + hs->heartbeat + 100 * SIM_MS);
    one_site_serves(&fx);

    /* west answers for a's tenant now; strict sync refuses writes without a copy */
    uint64_t q = node_body_inquire(fx.lg_b, 1, FX_PROC_CHILD_ALLOWANCE, fx.lg_a->id, 5);
    CHECK(!platform_ha_write_allowed(fx.west, fx.a) && !platform_ha_write_allowed(fx.west, fx.b));
    uint64_t w = fx_register(&fx, fx.a, 1, "A-outage-1");
    fx_run_for(&fx, SEC);
    CHECK(fx_end_of(&fx, q) && fx_end_of(&fx, q)->error == FLOW_OK);
    CHECK(fx_end_of(&fx, w) && fx_end_of(&fx, w)->error == FLOW_UNREACHABLE);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM provision_log WHERE tenant = %u AND outcome = 'ok'", fx.a->tenant);
    CHECK_INT(fx_store_int(platform_node_db(fx.d, fx.west->id)->store, sql), 1);

    /* east returns: it is not back for ops until it is heard, then stands by and resyncs */
    fx_run_until(&fx, start + 300 * SEC);
    CHECK_INT(fault_clear(fx.d, id, why, sizeof why), 0);
    CHECK(fx.east->up);
    CHECK_INT(platform_ha_operator_failback(fx.d, fx.east, why, sizeof why), -EHOSTDOWN);
    CHECK_INT(st->refused_failbacks, 1);
    fx_run_for(&fx, 10 * SEC);
    site_ha *e = platform_ha_of(fx.east);
    CHECK(e->standby && e->resynced && !e->serving_own && !e->serving_peer);
    CHECK(!platform_ha_of(fx.west)->peer_lost);
    CHECK(st->snapshots >= 1 && st->snapshot_rows > 0);
    one_site_serves(&fx);
    /* writes are accepted again, and reach the standing-by east */
    uint64_t w2 = fx_register(&fx, fx.a, 1, "A-back-1");
    fx_run_for(&fx, SEC);
    CHECK(fx_end_of(&fx, w2) && fx_end_of(&fx, w2)->error == FLOW_OK);
    CHECK(fx_site_has_record(&fx, fx.east, fx.a, "A-back-1"));

    CHECK_INT(platform_ha_operator_failback(fx.d, fx.east, why, sizeof why), 0);
    fx_run_for(&fx, SEC);
    CHECK_INT(st->failbacks, 1);
    CHECK(e->serving_own && !e->standby && !platform_ha_of(fx.west)->serving_peer);
    CHECK_INT(fx.a->server, fx.east->id);
    CHECK_INT(fx.a->ifs, sim_world_find_node(fx.w, "east.ifs")->id);
    CHECK_INT(fx.b->server, fx.west->id);
    CHECK(f && f->failed_back_at > 0);
    CHECK_INT(platform_ha_operator_failback(fx.d, fx.east, why, sizeof why), -EALREADY);
    uint64_t q2 = node_body_inquire(fx.lg_b, 1, FX_PROC_CHILD_ALLOWANCE, fx.lg_a->id, 5);
    fx_run_for(&fx, SEC);
    CHECK(fx_end_of(&fx, q2) && fx_end_of(&fx, q2)->error == FLOW_OK);
    CHECK(fx_site_has_record(&fx, fx.east, fx.a, "A-back-1"));
    one_site_serves(&fx);
    CHECK_INT(st->split_brain_seen, 0);
    CHECK_INT(st->refused_requests, 0);
    CHECK_INT(fx_invariant(&fx, "no tenant served by two sites at once", NULL, 0), 1);
    CHECK_INT(fx_invariant(&fx, "acknowledged writes survive a failover", NULL, 0), 1);
    fx_close(&fx);
}

/* A site cut off from ops and its peer fences itself after the lease: it refuses (and
 * counts) what still reaches it; its tenants are promoted at the peer after the detection
 * time; never two sites serving; healed, it stands by. */
static void test_partition_refusals(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){.faults = true}), 0);
    const ha_settings *hs = platform_ha_settings_find(fx.d);
    const ha_stats *st = platform_ha_stats_find(fx.d);
    sim_time_t start = fx_now(&fx);
    fx_run_until(&fx, start + 62 * SEC);
    uint32_t others[2] = {fx.west->id, fx.ops->id};
    char why[200] = "";
    int id = fault_inject(fx.d, &(fault_spec){.kind = FAULT_PARTITION, .a = &fx.east->id, .na = 1, .b = others, .nb = 2},
                          why, sizeof why);
    CHECK(id > 0);
    sim_time_t heard = platform_ha_of(fx.east)->heard_ops > platform_ha_of(fx.east)->heard_peer ? platform_ha_of(fx.east)->heard_ops
                                                                               : platform_ha_of(fx.east)->heard_peer;
    fx_run_until(&fx, heard + hs->lease);
    CHECK(platform_ha_of(fx.east)->serving_own);   /* within its lease */
    fx_run_until(&fx, heard + hs->lease + hs->heartbeat);
    CHECK(!platform_ha_of(fx.east)->serving_own);  /* fenced */
    CHECK(!platform_ha_of(fx.west)->serving_peer); /* not promoted yet: nobody serves a's tenant */
    one_site_serves(&fx);
    CHECK_INT(st->refused_requests, 0);

    uint64_t w = fx_register(&fx, fx.a, 1, "A-fenced-1");                            /* from a itself */
    uint64_t q = node_body_inquire(fx.lg_b, 1, FX_PROC_CHILD_ALLOWANCE, fx.lg_a->id, 5);  /* through the NWS */
    fx_run_for(&fx, SEC);
    const fx_end *ew = fx_end_of(&fx, w), *eq = fx_end_of(&fx, q);
    CHECK(ew && ew->error == FLOW_UNREACHABLE && ew->answered);
    CHECK(eq && eq->error == FLOW_UNREACHABLE && eq->answered && eq->serial_no > 0);
    CHECK_INT(st->refused_requests, 2);
    CHECK_INT(platform_ha_of(fx.east)->refused, 2);
    CHECK(!fx_site_has_record(&fx, fx.east, fx.a, "A-fenced-1"));

    fx_run_until(&fx, start + 100 * SEC);
    CHECK_INT(st->promotions, 1);
    CHECK(platform_ha_of(fx.west)->serving_peer && !platform_ha_of(fx.east)->serving_own);
    one_site_serves(&fx);
    uint64_t q2 = node_body_inquire(fx.lg_b, 1, FX_PROC_CHILD_ALLOWANCE, fx.lg_a->id, 5);
    fx_run_for(&fx, SEC);
    CHECK(fx_end_of(&fx, q2) && fx_end_of(&fx, q2)->error == FLOW_OK);

    /* healed: ops tells east its tenants are served by west; it stands by, serving nothing */
    CHECK_INT(fault_clear(fx.d, id, why, sizeof why), 0);
    fx_run_for(&fx, 10 * SEC);
    CHECK(platform_ha_of(fx.east)->standby && !platform_ha_of(fx.east)->serving_own && platform_ha_of(fx.west)->serving_peer);
    one_site_serves(&fx);
    CHECK_INT(st->split_brain_seen, 0);
    CHECK_INT(fx_invariant(&fx, "no tenant served by two sites at once", NULL, 0), 1);
    fx_close(&fx);
}

/* While the backup is lost: strict sync never acknowledges a write without its copy (one in
 * flight is not answered, the body times out; new ones are refused); semisync acknowledges
 * them alone once the peer is declared lost; async acknowledges at once. */
static void test_write_allowed(void)
{
    static const char *const modes[] = {"sync", "semisync", "async"};
    for (int m = 0; m < 3; m++) {
        fixture fx;
        CHECK_INT(fx_open(&fx, &(fixture_options){.mirroring = modes[m], .faults = true}), 0);
        CHECK_STR(platform_ha_mode_name(platform_ha_settings_find(fx.d)), modes[m]);
        const ha_settings *hs = platform_ha_settings_find(fx.d);
        sim_time_t start = fx_now(&fx);
        fx_run_until(&fx, start + 62 * SEC);
        CHECK(platform_ha_write_allowed(fx.east, fx.a));
        CHECK(fault_site(&fx, FAULT_SITE_DOWN, fx.west, false) > 0);
        sim_time_t heard = platform_ha_of(fx.east)->heard_peer;
        fx_run_for(&fx, SEC);
        uint64_t before = fx_register(&fx, fx.a, 1, "A-before-1");   /* west down, not yet declared lost */
        fx_run_for(&fx, SEC);
        const fx_end *e = fx_end_of(&fx, before);
        if (m == 2) CHECK(e && e->error == FLOW_OK);   /* async: at once */
        else CHECK(!e);                                 /* waiting for a copy */
        CHECK(platform_ha_write_allowed(fx.east, fx.a));
        fx_run_until(&fx, heard + hs->detect + hs->heartbeat + SEC);
        CHECK(platform_ha_of(fx.east)->peer_lost);
        CHECK_INT(platform_ha_write_allowed(fx.east, fx.a), m != 0);
        CHECK_INT(platform_ha_write_allowed(fx.east, fx.b), m != 0);   /* b's tenant, promoted at east */
        CHECK(platform_ha_of(fx.east)->serving_peer);
        e = fx_end_of(&fx, before);
        if (m == 1) CHECK(e && e->error == FLOW_OK && e->latency > 25 * SEC);   /* released at detection */
        if (m == 0) CHECK(!e);                                                   /* dropped: never acknowledged */
        uint64_t after = fx_register(&fx, fx.a, 1, "A-after-1");
        fx_run_for(&fx, SIM_MIN);
        const fx_end *a = fx_end_of(&fx, after);
        CHECK(a && a->error == (m == 0 ? FLOW_UNREACHABLE : FLOW_OK));
        CHECK_INT(fx_site_has_record(&fx, fx.east, fx.a, "A-after-1"), m != 0);
        e = fx_end_of(&fx, before);
        if (m == 0) CHECK(e && e->error == FLOW_TIMEOUT && !e->answered);   /* an end, not silence */
        CHECK_INT(platform_ha_of(fx.east)->nheld, 0);
        CHECK_INT(platform_ha_stats_find(fx.d)->split_brain_seen, 0);
        fx_close(&fx);
    }
}

/* A returning site does not claim a current copy until ops has told it who served its
 * tenants meanwhile: an operator failback in the window after its first heartbeat is refused
 * (it once passed, and the home site then served a stale copy, and the snapshot that followed
 * wiped a write acknowledged in between). Once resynchronised, the failback goes through and
 * a write acknowledged in the window is at home. */
static void test_failback_before_resync(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){.faults = true}), 0);
    sim_time_t start = fx_now(&fx);
    char why[200] = "";
    fx_run_until(&fx, start + 62 * SEC);
    int id = fault_site(&fx, FAULT_SITE_DOWN, fx.east, false);
    fx_run_until(&fx, start + 300 * SEC);
    CHECK_INT(platform_ha_stats_find(fx.d)->promotions, 1);
    CHECK_INT(fault_clear(fx.d, id, why, sizeof why), 0);
    fx_run_for(&fx, 4 * SIM_MS);   /* ops has east's first heartbeat; east has no answer yet */
    int rc = platform_ha_operator_failback(fx.d, fx.east, why, sizeof why);
    CHECK_INT(rc, -EAGAIN);
    CHECK(strstr(why, "resynchron") != NULL);
    fx_run_for(&fx, 10 * SIM_MS);
    CHECK(!platform_ha_of(fx.east)->serving_own);
    uint64_t w = fx_register(&fx, fx.a, 2, "A-window-1");
    fx_run_for(&fx, 20 * SEC);   /* the snapshot is in, and heartbeats say so */
    const fx_end *e = fx_end_of(&fx, w);
    CHECK(e && e->error == FLOW_OK);
    CHECK(platform_ha_of(fx.east)->resynced);
    CHECK_INT(platform_ha_operator_failback(fx.d, fx.east, why, sizeof why), 0);
    fx_run_for(&fx, 10 * SEC);
    CHECK(platform_ha_of(fx.east)->serving_own);
    CHECK(fx_site_has_record(&fx, fx.west, fx.a, "A-window-1"));
    CHECK(fx_site_has_record(&fx, fx.east, fx.a, "A-window-1"));   /* acknowledged, and at home */
    CHECK_INT(platform_ha_stats_find(fx.d)->split_brain_seen, 0);
    fx_close(&fx);
}

/* The same failback with the state lost in the crash: the first heartbeat says "not
 * resynchronised", and ops refuses the failback until the snapshot is in. */
static void test_failback_waits_for_resync(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){.faults = true}), 0);
    sim_time_t start = fx_now(&fx);
    char why[200] = "";
    fx_run_until(&fx, start + 62 * SEC);
    int id = fault_site(&fx, FAULT_SITE_DOWN, fx.east, true);
    fx_run_until(&fx, start + 300 * SEC);
    CHECK_INT(fault_clear(fx.d, id, why, sizeof why), 0);
    CHECK(!platform_ha_of(fx.east)->resynced);
    fx_run_for(&fx, 4 * SIM_MS);
    CHECK_INT(platform_ha_operator_failback(fx.d, fx.east, why, sizeof why), -EAGAIN);
    CHECK(strstr(why, "has not finished its resynchronisation") != NULL);
    CHECK_INT(platform_ha_stats_find(fx.d)->refused_failbacks, 1);
    fx_run_for(&fx, 10 * SEC);   /* resynchronised, and ops has heard so */
    CHECK(platform_ha_of(fx.east)->resynced && !platform_ha_of(fx.east)->serving_own);
    CHECK_INT(platform_ha_operator_failback(fx.d, fx.east, why, sizeof why), 0);
    fx_run_for(&fx, SEC);
    CHECK(platform_ha_of(fx.east)->serving_own && platform_ha_of(fx.east)->resynced);
    CHECK_INT(platform_ha_stats_find(fx.d)->failbacks, 1);
    fx_close(&fx);
}

/* The slow disk holds writes in order (as the slow NWS, test_nws.c): a write sent after the
 * fault was cleared, behind one still held, goes right behind it and does not release it
 * early. */
static void test_slow_disk_cleared(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){.faults = true}), 0);
    fx_run_for(&fx, SEC);
    char why[200] = "";
    int id = fault_inject(fx.d, &(fault_spec){.kind = FAULT_DISK_SLOW, .a = &fx.east->id, .na = 1, .delay = 40 * SEC},
                          why, sizeof why);
    CHECK(id > 0);
    CHECK_INT(platform_ha_of(fx.east)->disk_delay, 40 * SEC);
    uint64_t w1 = fx_register(&fx, fx.a, 1, "A-slow-1");
    fx_run_for(&fx, SEC);
    CHECK_INT(fault_clear(fx.d, id, why, sizeof why), 0);
    CHECK_INT(platform_ha_of(fx.east)->disk_delay, 0);
    fx_run_for(&fx, SEC);
    uint64_t w2 = fx_register(&fx, fx.a, 1, "A-slow-2");
    fx_run_for(&fx, 2 * SIM_MIN);
    const fx_end *e1 = fx_end_of(&fx, w1), *e2 = fx_end_of(&fx, w2);
    CHECK(e1 && e1->error == FLOW_OK && e2 && e2->error == FLOW_OK);
    if (e1 && e2) {
        CHECK(e1->latency >= 40 * SEC);                /* held its whole delay */
        CHECK(e2->at >= e1->at - SEC && e2->at <= e1->at + SEC);   /* right behind it, in order */
    }
    fx_close(&fx);
}

/* Issue 12, defect 1: east is lost and returns current; at the moment the operator fails it
 * back, west (which serves east's tenants) is lost too. East, up and current, takes its own
 * tenants back once ops and east have not heard west for the detection time (not before: west
 * might still be serving), and the failback is counted; west's tenants are promoted at east.
 * It used to leave east's tenants with the dead west (unserved) until west came back. */
static void test_holder_lost_during_failback(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){.faults = true}), 0);
    sim_time_t start = fx_now(&fx);
    char why[200] = "";
    fx_run_until(&fx, start + 62 * SEC);
    int id = fault_site(&fx, FAULT_SITE_DOWN, fx.east, false);
    fx_run_until(&fx, start + 300 * SEC);
    CHECK_INT(fault_clear(fx.d, id, why, sizeof why), 0);
    fx_run_until(&fx, start + 400 * SEC);   /* back, resynchronised */
    CHECK(platform_ha_of(fx.east)->resynced && !platform_ha_of(fx.east)->serving_own);
    sim_time_t lost_at = fx_now(&fx);
    CHECK_INT(platform_ha_operator_failback(fx.d, fx.east, why, sizeof why), 0);
    int west_down = fault_site(&fx, FAULT_SITE_DOWN, fx.west, false);
    CHECK(west_down > 0);
    fx_run_until(&fx, lost_at + 25 * SEC);   /* within the detection time: still west's */
    CHECK(!platform_ha_of(fx.east)->serving_own);
    fx_run_until(&fx, lost_at + 41 * SEC);   /* detection + two heartbeats (east declares, then tells ops) */
    CHECK(platform_ha_of(fx.east)->serving_own);
    CHECK(platform_ha_of(fx.east)->serving_peer);
    CHECK_INT(platform_ha_stats_find(fx.d)->failbacks, 1);
    CHECK_INT(platform_ha_stats_find(fx.d)->split_brain_seen, 0);
    uint64_t w = fx_register(&fx, fx.a, 2, "A-after-1");   /* east's own tenant writes again */
    fx_run_for(&fx, 2 * SEC);
    const fx_end *e = fx_end_of(&fx, w);
    CHECK(e && e->error == FLOW_UNREACHABLE);   /* strict sync: no backup, no acknowledgement */
    fx_close(&fx);
}

int main(void)
{
    test_sync_mirroring();
    test_holder_lost_during_failback();
    test_async_mirroring();
    test_failover_and_failback();
    test_partition_refusals();
    test_write_allowed();
    test_failback_before_resync();
    test_failback_waits_for_resync();
    test_slow_disk_cleared();
    CHECK_DONE();
}
