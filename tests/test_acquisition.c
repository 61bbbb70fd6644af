/* test_acquisition.c - code acquisition as the My Number Act runs it (Art. 21-2), through the
 * C API and the engine: the intermediate server issues the one-time acquisition number and
 * matches the answer on it; the resident-record code leaves by the body's own 住基ネット link
 * to J-LIS; the NWS answers the server through the interface systems. The unlinkability
 * invariant (no node but the NWS holds a resident-derived key and an agency code of one person)
 * holds on every message, and breaks when a planted leak routes a code through J-LIS. The
 * faults of the flow: the 住基ネット link down, J-LIS down, an answer whose acquisition number
 * matches nothing, a resident who moves out mid-flight. Each flow ends exactly once, never in
 * silence. */
#include "check.h"
#include "world_fixture.h"

static const sim_time_t SEC = SIM_SEC;

static const fx_sent *sent_of(const fixture *fx, uint64_t flow, flow_kind kind, uint32_t from, uint32_t to)
{
    for (size_t i = 0; i < fx->nsent; i++) {
        const fx_sent *s = &fx->sent[i];
        if (s->flow == flow && s->kind == kind && (from == UINT32_MAX || s->from == from) && (to == UINT32_MAX || s->to == to))
            return s;
    }
    return NULL;
}

static uint32_t node_id(const fixture *fx, const char *name) { return sim_world_find_node(fx->w, name)->id; }

/* A newborn at a, ready for its code: the addressee number. */
static uint32_t newborn(fixture *fx) { return node_body_new_resident(fx->d, fx->a); }

/* The invariant holds on a normal acquisition, and a code sent out of J-LIS, which has just
 * seen the same person's resident-record code, breaks it: the check is not vacuous. */
static void test_planted_leak(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    fx_run_for(&fx, SEC);
    uint32_t at_a = newborn(&fx);
    uint32_t person = fx.d->npersons - 1;
    uint64_t f = node_body_acquire_code(fx.lg_a, at_a);
    CHECK(f != 0);
    fx_run_for(&fx, SEC);
    const fx_end *e = fx_end_of(&fx, f);
    CHECK(e && e->error == FLOW_OK);
    uint64_t code = fx_nws_code(&fx, person, fx.a->node);
    CHECK(code != 0);
    /* inquiries of the day carry codes of the same people past every other node */
    uint64_t q = node_body_inquire(fx.lg_b, 1, FX_PROC_CHILD_ALLOWANCE, fx.lg_a->id, 7);
    fx_run_for(&fx, SEC);
    CHECK(fx_end_of(&fx, q) && fx_end_of(&fx, q)->error == FLOW_OK);
    char detail[160];
    CHECK_INT(fx_invariant(&fx, FX_INV_UNLINKABLE, detail, sizeof detail), 1);

    /* the planted leak: J-LIS forwards the person's agency code (the old, wrong path) */
    flow_msg *m = domain_msg_new();
    CHECK(m != NULL);
    if (m) {
        m->flow = f;
        m->inquirer = fx.lg_a->id;
        m->code = code;
        (void)domain_send(fx.jlis, fx.east->id, FLOW_CODE_RESPONSE, m, 256);
    }
    fx_run_for(&fx, SEC);
    CHECK_INT(fx_invariant(&fx, FX_INV_UNLINKABLE, detail, sizeof detail), 0);
    CHECK(strstr(detail, "jlis") != NULL);
    CHECK(!fx.oom);
    fx_close(&fx);
}

/* The 住基ネット link down: the body knows at once, and the flow ends unreachable, long before
 * its timeout; nothing reached J-LIS or the NWS, no code was issued. */
static void test_juki_link_down(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    fx_run_for(&fx, SEC);
    uint32_t at_a = newborn(&fx);
    uint32_t person = fx.d->npersons - 1;
    CHECK_INT(sim_link_set_up(fx.w, fx.lg_a->id, fx.jlis->id, false, "住基ネット down"), 0);
    uint64_t f = node_body_acquire_code(fx.lg_a, at_a);
    fx_run_for(&fx, SEC);
    const fx_end *e = fx_end_of(&fx, f);
    CHECK(e && e->error == FLOW_UNREACHABLE && e->answered);
    if (e) CHECK(e->latency < SEC);
    CHECK(sent_of(&fx, f, FLOW_CODE_REQUEST, fx.jlis->id, fx.nws->id) == NULL);
    CHECK_INT(fx_nws_code(&fx, person, fx.a->node), 0);
    CHECK_INT(fx_site_code(&fx, fx.east, fx.a, at_a), 0);
    /* back up: the next acquisition goes through */
    CHECK_INT(sim_link_set_up(fx.w, fx.lg_a->id, fx.jlis->id, true, "住基ネット up"), 0);
    uint64_t g = node_body_acquire_code(fx.lg_a, at_a);
    fx_run_for(&fx, SEC);
    CHECK(fx_end_of(&fx, g) && fx_end_of(&fx, g)->error == FLOW_OK);
    CHECK(fx_site_code(&fx, fx.east, fx.a, at_a) == fx_nws_code(&fx, person, fx.a->node));
    CHECK_INT(fx_invariant(&fx, "every flow ends exactly once", NULL, 0), 1);
    fx_close(&fx);
}

/* J-LIS down: the request is lost at J-LIS; the flow ends by its timeout, once. */
static void test_jlis_down(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    fx_run_for(&fx, SEC);
    uint32_t at_a = newborn(&fx);
    uint32_t person = fx.d->npersons - 1;
    CHECK_INT(sim_node_crash(fx.jlis, "test"), 0);
    uint64_t f = node_body_acquire_code(fx.lg_a, at_a);
    fx_run_for(&fx, 2 * SIM_MIN);
    const fx_end *e = fx_end_of(&fx, f);
    CHECK(e && (e->error == FLOW_TIMEOUT || e->error == FLOW_UNREACHABLE));
    CHECK_INT(fx_end_count(&fx, f), 1);
    CHECK_INT(fx_nws_code(&fx, person, fx.a->node), 0);
    CHECK(sent_of(&fx, f, FLOW_CODE_REQUEST, fx.jlis->id, fx.nws->id) == NULL);
    CHECK_INT(fx_invariant(&fx, "every flow ends exactly once", NULL, 0), 1);
    fx_close(&fx);
}

/* An answer whose acquisition number matches nothing the server waits for (here: the server
 * lost it mid-flight): counted, not stored, and the body's flow ends with an explicit error. */
static void test_unknown_acquisition_no(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    fx_run_for(&fx, SEC);
    uint32_t at_a = newborn(&fx);
    uint32_t person = fx.d->npersons - 1;
    uint64_t f = node_body_acquire_code(fx.lg_a, at_a);
    const fx_sent *issued = NULL;
    for (int i = 0; i < 100 && !issued; i++) {
        fx_run_for(&fx, SIM_MS);
        issued = sent_of(&fx, f, FLOW_CODE_REQUEST, fx.east->id, fx.lg_a->id);
    }
    CHECK(issued != NULL);
    tenant_db *t = platform_node_db(fx.d, fx.east->id);
    uint64_t acq = issued ? issued->acquisition_no : 0, addressee = 0;
    CHECK(sim_map_del(&t->pending, acq, &addressee));
    CHECK_INT(addressee, at_a);
    fx_run_for(&fx, SEC);
    const fx_end *e = fx_end_of(&fx, f);
    CHECK(e && e->error == FLOW_UNKNOWN_ACQUISITION && e->answered);
    CHECK_INT(fx.d->stats.unknown_acquisitions, 1);
    CHECK(fx_nws_code(&fx, person, fx.a->node) != 0);   /* the NWS issued it ... */
    CHECK_INT(fx_site_code(&fx, fx.east, fx.a, at_a), 0);   /* ... the server kept none */
    const fx_sent *in = sent_of(&fx, f, FLOW_CODE_RESPONSE, node_id(&fx, "east.ifs"), fx.east->id);
    CHECK(in && in->acquisition_no == acq);
    const fx_sent *out = sent_of(&fx, f, FLOW_CODE_RESPONSE, fx.east->id, fx.lg_a->id);
    CHECK(out && out->code == 0 && out->error == FLOW_UNKNOWN_ACQUISITION);
    CHECK_INT(fx_invariant(&fx, "every flow ends exactly once", NULL, 0), 1);
    CHECK_INT(fx_invariant(&fx, FX_INV_UNLINKABLE, NULL, 0), 1);
    fx_close(&fx);
}

/* One-time: two acquisitions of one addressee get two numbers, and nothing waits afterwards. */
static void test_one_time(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    fx_run_for(&fx, SEC);
    uint32_t at_a = newborn(&fx);
    uint64_t f1 = node_body_acquire_code(fx.lg_a, at_a), f2 = node_body_acquire_code(fx.lg_a, at_a);
    fx_run_for(&fx, SEC);
    const fx_sent *i1 = sent_of(&fx, f1, FLOW_CODE_REQUEST, fx.east->id, fx.lg_a->id);
    const fx_sent *i2 = sent_of(&fx, f2, FLOW_CODE_REQUEST, fx.east->id, fx.lg_a->id);
    CHECK(i1 && i2 && i1->acquisition_no != i2->acquisition_no);
    CHECK_INT(sim_map_len(&platform_node_db(fx.d, fx.east->id)->pending), 0);
    CHECK(fx_end_of(&fx, f1) && fx_end_of(&fx, f2));
    fx_close(&fx);
}

/* A resident who moves out while the acquisition is in flight: the acquisition was asked for
 * while they lived here, and a former resident keeps its code (the next municipality asks
 * about them with it), so the answer is matched and stored as usual, exactly once. */
static void test_moved_out_mid_flight(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    fx_run_for(&fx, SEC);
    uint32_t at_a = newborn(&fx);
    uint32_t person = fx.d->npersons - 1;
    uint64_t f = node_body_acquire_code(fx.lg_a, at_a);
    fx_run_for(&fx, 6 * SIM_MS);   /* the resident-record code is on its way to J-LIS */
    CHECK(sent_of(&fx, f, FLOW_CODE_REQUEST, fx.lg_a->id, fx.jlis->id) != NULL);
    CHECK(fx_end_of(&fx, f) == NULL);
    fx.a->residents[at_a - 1].current = false;   /* moved out */
    uint32_t at_b = fx_add_resident(&fx, fx.b, person, true, fx.a->node, at_a);
    CHECK(at_b != 0);
    fx_run_for(&fx, SEC);
    const fx_end *e = fx_end_of(&fx, f);
    CHECK(e && e->error == FLOW_OK);
    CHECK_INT(fx_end_count(&fx, f), 1);
    uint64_t code = fx_nws_code(&fx, person, fx.a->node);
    CHECK(code != 0 && fx_site_code(&fx, fx.east, fx.a, at_a) == code);
    CHECK_INT(sim_map_len(&platform_node_db(fx.d, fx.east->id)->pending), 0);
    CHECK_INT(fx_invariant(&fx, FX_INV_UNLINKABLE, NULL, 0), 1);
    fx_close(&fx);
}

int main(void)
{
    test_moved_out_mid_flight();
    test_planted_leak();
    test_juki_link_down();
    test_jlis_down();
    test_unknown_acquisition_no();
    test_one_time();
    CHECK_DONE();
}
