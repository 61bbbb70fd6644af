/* test_bulk.c - bulk initial code acquisition (kinds/bulk.c): the capacity rule alone (first
 * come, first served; a day's capacity spread over its batches; the twin's share at the
 * residents' scale), and the queue through the engine on the fixture's network: N residents
 * at C a business day take ceil(N/C) days, through the real Art. 21-2 path; a resident who has
 * a code by the time of its turn is not asked again; one who moved out is skipped; bad input
 * is refused and queues nothing. */
#include "check.h"
#include "world_fixture.h"

/* The days on which bodies queued together with want[i] persons finish at `per_day`, by the
 * rule the twin and the rollout rehearsal share (day 1 is the first). */
static void finish_days(int64_t per_day, const int64_t *want, int *day, size_t n)
{
    int64_t left[8], grant[8];
    for (size_t i = 0; i < n; i++) {
        left[i] = want[i];
        day[i] = 0;
    }
    for (int d = 1; d < 1000; d++) {
        node_bulk_share(per_day, left, grant, n);
        bool all = true;
        for (size_t i = 0; i < n; i++) {
            left[i] -= grant[i];
            if (left[i] == 0 && day[i] == 0) day[i] = d;
            all = all && day[i];
        }
        if (all) return;
    }
}

static void test_share(void)
{
    int64_t grant[3];
    CHECK_INT(node_bulk_share(10, (int64_t[]){25, 15}, grant, 2), 10);
    CHECK_INT(grant[0], 10);
    CHECK_INT(grant[1], 0);
    CHECK_INT(node_bulk_share(10, (int64_t[]){3, 15, 4}, grant, 3), 10);
    CHECK(grant[0] == 3 && grant[1] == 7 && grant[2] == 0);
    CHECK_INT(node_bulk_share(10, (int64_t[]){2, 0, 3}, grant, 3), 5);   /* less wanted than there is */
    CHECK(grant[0] == 2 && grant[1] == 0 && grant[2] == 3);
    CHECK_INT(node_bulk_share(0, (int64_t[]){5}, grant, 1), 0);
    CHECK_INT(grant[0], 0);
    CHECK_INT(node_bulk_share(-3, (int64_t[]){5}, grant, 1), 0);
    CHECK_INT(node_bulk_share(5, (int64_t[]){-4, 7}, grant, 2), 5);   /* a negative want is none */
    CHECK(grant[0] == 0 && grant[1] == 5);

    int day[2];
    finish_days(10, (int64_t[]){25}, day, 1);
    CHECK_INT(day[0], 3);                                  /* ceil(25 / 10) */
    finish_days(10, (int64_t[]){25, 15}, day, 2);
    CHECK(day[0] == 3 && day[1] == 4);                     /* the second: ceil(40 / 10) */
    finish_days(10, (int64_t[]){15, 25}, day, 2);
    CHECK(day[0] == 2 && day[1] == 4);                     /* the order decides who waits */
    finish_days(7, (int64_t[]){7, 7}, day, 2);
    CHECK(day[0] == 1 && day[1] == 2);
}

static void test_allowance(void)
{
    CHECK_INT(node_bulk_allowance(10, 35), 1);   /* 10 a day over 35 quarter hours */
    CHECK_INT(node_bulk_allowance(35, 35), 1);
    CHECK_INT(node_bulk_allowance(36, 35), 2);
    CHECK_INT(node_bulk_allowance(10, 1), 10);   /* the last batch takes what is left */
    CHECK_INT(node_bulk_allowance(10, 0), 10);
    CHECK_INT(node_bulk_allowance(0, 5), 0);
    CHECK_INT(node_bulk_allowance(-2, 5), 0);
    /* spread over a day, the batches use exactly the day's capacity */
    int64_t left = 1000, used = 0;
    for (int64_t b = 35; b >= 1; b--) {
        int64_t a = node_bulk_allowance(left, b);
        left -= a;
        used += a;
    }
    CHECK_INT(used, 1000);
    CHECK_INT(node_bulk_twin_per_day(20000, 0.0005), 10);
    CHECK_INT(node_bulk_twin_per_day(1000, 0.0005), 1);    /* at least one a day */
    CHECK_INT(node_bulk_twin_per_day(1000000, 1), 1000000);
}

static uint32_t count_ok_codes(const fixture *fx, uint32_t who)
{
    uint32_t n = 0;
    for (size_t i = 0; i < fx->nends; i++)
        n += fx->ends[i].kind == FLOW_CODE_REQUEST && fx->ends[i].body == who && fx->ends[i].error == FLOW_OK;
    return n;
}

static const node_bulk_progress *progress(fixture *fx, uint32_t node)
{
    const node_bulk_progress *all;
    size_t n = node_bulk_bodies(fx->w, &all);
    for (size_t i = 0; i < n; i++)
        if (all[i].node == node) return &all[i];
    return NULL;
}

/* 12 newborns at 5 a day from Monday 2017-11-13: Monday, Tuesday, Wednesday. */
static void test_days(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    uint32_t first = 0;
    for (int i = 0; i < 12; i++) {
        uint32_t a = node_body_new_resident(fx.d, fx.a);
        if (!first) first = a;
    }
    CHECK_INT(node_bulk_configure(fx.w, 5, 8, 15 * SIM_MIN), 0);
    uint64_t queued = 0;
    CHECK_INT(node_bulk_queue(fx.w, fx.a, sim_world_now(fx.w), &queued), 0);
    CHECK_INT(queued, 12);   /* the fixture's residents have their codes: only the newborns */
    CHECK_INT(node_bulk_queue(fx.w, fx.a, sim_world_now(fx.w), &queued), 0);
    CHECK_INT(queued, 0);    /* queued already: not twice */
    sim_time_t tuesday = sim_world_now(fx.w) + SIM_DAY;
    fx_run_until(&fx, tuesday);
    const node_bulk_progress *p = progress(&fx, fx.a->node);
    CHECK(p && p->acquired == 5 && p->in_flight == 0 && p->finished < 0);
    fx_run_until(&fx, tuesday + 3 * SIM_DAY);
    p = progress(&fx, fx.a->node);
    CHECK(p && p->acquired == 12 && p->failed == 0 && p->attempts == 12 && p->finished >= 0);
    CHECK_INT(node_bulk_days(p), 3);
    CHECK_INT(count_ok_codes(&fx, fx.a->node), 12);
    for (uint32_t a = first; a < first + 12; a++) {   /* each has its code, at the NWS and the server */
        uint64_t code = fx_nws_code(&fx, fx.a->residents[a - 1].person, fx.a->node);
        CHECK(code != 0 && fx_site_code(&fx, fx.east, fx.a, a) == code);
    }
    CHECK_INT(fx_invariant(&fx, FX_INV_UNLINKABLE, NULL, 0), 1);
    fx_close(&fx);
}

/* One acquired by hand before its turn (not asked again), one moved out (skipped). */
static void test_not_twice(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    uint32_t a[6];
    for (int i = 0; i < 6; i++) a[i] = node_body_new_resident(fx.d, fx.a);
    CHECK_INT(node_bulk_configure(fx.w, 3, 3, 15 * SIM_MIN), 0);
    uint64_t queued = 0;
    CHECK_INT(node_bulk_queue(fx.w, fx.a, sim_world_now(fx.w), &queued), 0);
    CHECK_INT(queued, 6);
    uint64_t by_hand = node_body_acquire_code(fx.lg_a, a[5]);
    fx.a->residents[a[4] - 1].current = false;   /* moved out before its turn */
    fx_run_for(&fx, 5 * SIM_DAY);
    CHECK(fx_end_of(&fx, by_hand) && fx_end_of(&fx, by_hand)->error == FLOW_OK);
    const node_bulk_progress *p = progress(&fx, fx.a->node);
    CHECK(p && p->acquired == 5 && p->skipped == 1 && p->attempts == 4 && p->finished >= 0);
    CHECK_INT(count_ok_codes(&fx, fx.a->node), 5);   /* four by the batches, one by hand */
    CHECK_INT(node_bulk_days(p), 2);
    fx_close(&fx);
}

static void test_bad_input(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    CHECK_INT(node_bulk_configure(fx.w, 0, 5, SIM_MIN), -EINVAL);
    CHECK_INT(node_bulk_configure(fx.w, 5, -1, SIM_MIN), -EINVAL);
    CHECK_INT(node_bulk_configure(fx.w, 5, 5, 0), -EINVAL);
    uint64_t queued = 7;
    CHECK_INT(node_bulk_queue(fx.w, fx.agency, sim_world_now(fx.w), &queued), -EINVAL);
    CHECK_INT(queued, 7);
    const node_bulk_progress *all;
    CHECK_INT(node_bulk_bodies(fx.w, &all), 0);
    char why[200];
    CHECK_INT(node_bulk_check(fx.w, fx.agency, why, sizeof why), -EINVAL);
    CHECK(strstr(why, "agency") != NULL);
    fx_close(&fx);
}

int main(void)
{
    test_share();
    test_allowance();
    test_days();
    test_not_twice();
    test_bad_input();
    CHECK_DONE();
}
