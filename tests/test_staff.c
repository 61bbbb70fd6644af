/* test_staff.c - staff duty at the inquirer (seed slide 14): the inquirer's intermediate
 * server identifies and authorises the staff member against its staff accounts and the
 * procedures each may use; a refusal happens there, never at the NWS, and leaves no serial
 * number or access record; the staff id never leaves the inquirer's server (no message to the
 * NWS or the provider carries it); an inquiry that reaches the NWS without the server's check
 * is refused there and breaks the invariant. */
#include "check.h"
#include "world_fixture.h"

static const sim_time_t SEC = SIM_SEC;

static bool flow_left_server(const fixture *fx, uint64_t flow, uint32_t server)
{
    for (size_t i = 0; i < fx->nsent; i++)
        if (fx->sent[i].flow == flow && fx->sent[i].from == server && fx->sent[i].kind == FLOW_INQUIRY) return true;
    return false;
}

static void test_staff_accounts(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    /* Osaka (b): staff 7 may ask for child allowance, staff 8 only for the pension check */
    CHECK_INT(domain_staff_add(fx.b, 7, FX_PROC_CHILD_ALLOWANCE), 0);
    CHECK_INT(domain_staff_add(fx.b, 8, FX_PROC_PENSION_CHECK), 0);
    CHECK_INT(domain_staff_add(fx.b, 0, FX_PROC_PENSION_CHECK), -EINVAL);
    CHECK_INT(domain_staff_check(fx.b, 7, FX_PROC_CHILD_ALLOWANCE), FLOW_OK);
    CHECK_INT(domain_staff_check(fx.a, 99, FX_PROC_CHILD_ALLOWANCE), FLOW_OK);   /* no accounts: as before */
    fx_run_for(&fx, SEC);

    uint64_t ok = node_body_inquire(fx.lg_b, 1, FX_PROC_CHILD_ALLOWANCE, fx.lg_a->id, 7);
    uint64_t wrong_proc = node_body_inquire(fx.lg_b, 1, FX_PROC_CHILD_ALLOWANCE, fx.lg_a->id, 8);
    uint64_t no_account = node_body_inquire(fx.lg_b, 1, FX_PROC_CHILD_ALLOWANCE, fx.lg_a->id, 99);
    uint64_t unnamed = node_body_inquire(fx.lg_b, 1, FX_PROC_CHILD_ALLOWANCE, fx.lg_a->id, 0);
    uint64_t pension = node_body_inquire(fx.lg_b, 1, FX_PROC_PENSION_CHECK, fx.pension->id, 8);
    fx_run_for(&fx, SEC);

    const fx_end *e = fx_end_of(&fx, ok);
    CHECK(e && e->error == FLOW_OK);
    CHECK(fx_end_of(&fx, pension) && fx_end_of(&fx, pension)->error == FLOW_OK);
    uint64_t refused[] = {wrong_proc, no_account, unnamed};
    flow_error why[] = {FLOW_STAFF_NOT_PERMITTED, FLOW_STAFF_NOT_PERMITTED, FLOW_NO_STAFF};
    for (int i = 0; i < 3; i++) {
        const fx_end *r = fx_end_of(&fx, refused[i]);
        CHECK(r && r->error == why[i] && r->answered);
        if (r) CHECK_INT(r->serial_no, 0);
        CHECK(!flow_left_server(&fx, refused[i], fx.west->id));   /* refused at the inquirer's server */
    }
    CHECK_INT(node_nws_serials(fx.nws), 2);   /* only the two permitted ones were numbered */
    CHECK_INT(fx_store_int(node_nws_store(fx.nws), "SELECT COUNT(*) FROM access_records"), 2);

    /* the staff id: only between the body and its own server (the request, and a refusal
     * back); no message to an interface system, the NWS or a provider carries it */
    size_t with_staff = 0;
    for (size_t i = 0; i < fx.nsent; i++) {
        const fx_sent *s = &fx.sent[i];
        if (!s->staff) continue;
        with_staff++;
        CHECK((s->from == fx.lg_b->id && s->to == fx.west->id) || (s->from == fx.west->id && s->to == fx.lg_b->id));
    }
    CHECK_INT(with_staff, 4 + 2);   /* the four that named one, and the two refusals */
    CHECK_INT(fx.d->stats.unnamed_staff, 0);
    CHECK_INT(fx_invariant(&fx, "every inquiry names a staff member", NULL, 0), 1);

    /* an inquiry that bypasses the inquirer's server (no staff check) is refused at the NWS,
     * and the invariant breaks: it can fail */
    flow_msg *m = domain_msg_new();
    CHECK(m != NULL);
    if (m) {
        m->flow = 1u << 20;
        m->inquirer = fx.lg_b->id;
        m->provider = fx.lg_a->id;
        m->procedure = FX_PROC_CHILD_ALLOWANCE;
        m->item = FX_ITEM_TAX;
        m->code = fx_nws_code(&fx, 4, fx.b->node);
        (void)domain_send(sim_world_find_node(fx.w, "west.ifs"), fx.nws->id, FLOW_INQUIRY, m, 256);
    }
    fx_run_for(&fx, SEC);
    CHECK_INT(fx.d->stats.unnamed_staff, 1);
    CHECK_INT(fx_invariant(&fx, "every inquiry names a staff member", NULL, 0), 0);
    CHECK_INT(node_nws_serials(fx.nws), 2);
    fx_close(&fx);
}

/* The workload's desk picks a staff member who may use the procedure. */
static void test_staff_pick(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    CHECK_INT(domain_staff_add(fx.b, 11, FX_PROC_CHILD_ALLOWANCE), 0);
    CHECK_INT(domain_staff_add(fx.b, 12, FX_PROC_PENSION_CHECK), 0);
    CHECK_INT(domain_staff_add(fx.b, 13, FX_PROC_CHILD_ALLOWANCE), 0);
    sim_rng r;
    sim_rng_seed(&r, 5);
    for (int i = 0; i < 50; i++) {
        uint32_t s = domain_staff_pick(fx.b, FX_PROC_CHILD_ALLOWANCE, &r);
        CHECK(s == 11 || s == 13);
        CHECK_INT(domain_staff_pick(fx.b, FX_PROC_PENSION_CHECK, &r), 12);
    }
    CHECK_INT(domain_staff_pick(fx.b, FX_PROC_PENSION_INCOME, &r), 0);
    uint32_t any = domain_staff_pick(fx.a, FX_PROC_CHILD_ALLOWANCE, &r);
    CHECK(any >= 1 && any <= 40);
    fx_close(&fx);
}

int main(void)
{
    test_staff_accounts();
    test_staff_pick();
    CHECK_DONE();
}
