/* test_swarm.c - the swarm (nodes/swarm): the generator is deterministic and, over many
 * seeds, draws every fault kind and every mode; the rendering is the schedule; each check of
 * the checker fails on a planted violation fed as fake observations (and holds without it);
 * ddmin reduces a 30-fault planted schedule to exactly its fatal pair. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "domain/domain.h"
#include "sim_node.h"
#include "sim_time.h"
#include "sim_world.h"
#include "swarm/swarm.h"

static void test_generator(void)
{
    swarm_gen_config cfg = {.faults_max = 8};
    int kinds[SWARM_KINDS] = {0}, modes[SWARM_MODES] = {0};
    for (uint64_t seed = 1; seed <= 500; seed++) {
        swarm_schedule a, b;
        CHECK_INT(swarm_generate(seed, &cfg, &a), 0);
        CHECK_INT(swarm_generate(seed, &cfg, &b), 0);
        CHECK_INT(a.n, b.n);
        CHECK(a.n >= 1 && a.n <= 8);
        CHECK(a.mode == b.mode);
        CHECK(memcmp(a.faults, b.faults, a.n * sizeof *a.faults) == 0);
        modes[a.mode]++;
        for (size_t i = 0; i < a.n; i++) {
            kinds[a.faults[i].kind]++;
            CHECK(a.enabled[a.faults[i].kind]);
            CHECK(i == 0 || a.faults[i - 1].at <= a.faults[i].at);
            /* every fault starts in the day's core hours and ends before it does */
            CHECK(a.faults[i].at >= 9 * SIM_HOUR && a.faults[i].at + a.faults[i].duration <= 17 * SIM_HOUR + 15 * SIM_MIN);
        }
        /* the text is the schedule: one `at` per fault, the same text twice */
        swarm_render_opts ro = {0};
        char *t1 = swarm_render(&a, &ro), *t2 = swarm_render(&b, &ro);
        CHECK(t1 && t2 && strcmp(t1, t2) == 0);
        size_t ats = 0;
        for (const char *p = t1; p && (p = strstr(p, "\nat(")); p++) ats++;
        CHECK_INT(ats, a.n + 1);   /* and the operators' end-of-day promotions */
        free(t1);
        free(t2);
        swarm_schedule_free(&a);
        swarm_schedule_free(&b);
    }
    for (int k = 0; k < SWARM_KINDS; k++) {
        if (kinds[k] == 0) fprintf(stderr, "kind %s never drawn\n", swarm_kind_name((swarm_kind)k));
        CHECK(kinds[k] > 0);
    }
    for (int m = 0; m < SWARM_MODES; m++) CHECK(modes[m] > 50);
    /* a mode list: only those */
    cfg.modes = 1u << SWARM_ASYNC;
    for (uint64_t seed = 1; seed <= 50; seed++) {
        swarm_schedule s;
        CHECK_INT(swarm_generate(seed, &cfg, &s), 0);
        CHECK(s.mode == SWARM_ASYNC);
        swarm_schedule_free(&s);
    }
    CHECK_INT(swarm_mode_of("semisync"), SWARM_SEMISYNC);
    CHECK(swarm_mode_of("quorum") < 0);
}

/* ---- the checker, on fake observations ---------------------------------------------------- */

typedef struct bare {
    sim_world *w;
    domain *d;
    swarm_checker *c;
} bare;

static void bare_open(bare *b)
{
    sim_world_config wc = {.seed = 1, .trace_fd = -1, .trace_off = true};
    CHECK_INT(sim_world_create(&wc, &b->w), 0);
    b->d = domain_get(b->w);
    CHECK(b->d != NULL);
    swarm_checker_config cfg = {0};
    CHECK_INT(swarm_checker_attach(b->d, &cfg, &b->c), 0);
    swarm_checker *again;
    CHECK_INT(swarm_checker_attach(b->d, &cfg, &again), -EBUSY);
    CHECK(swarm_checker_find(b->w) == b->c);
}

/* The invariant of the only violation, or -1 when none. */
static int only_violation(const bare *b)
{
    const swarm_violation *v;
    size_t n = swarm_checker_violations(b->c, &v);
    if (n > 1) fprintf(stderr, "more than one violation: %s, %s\n", swarm_invariant_name(v[0].inv), swarm_invariant_name(v[1].inv));
    return n == 0 ? -1 : n == 1 ? (int)v[0].inv : -2;
}

static void test_checker(void)
{
    sim_time_t t0 = 0;
    bare b = {0};
    /* nothing wrong: served by one site; unserved with no current site; flows end once */
    bare_open(&b);
    t0 = sim_world_now(b.w);
    swarm_checker_observe(b.c, &(swarm_observation){.at = t0, .tenant = 7, .serving = 1, .current_reachable = true});
    swarm_checker_observe(b.c, &(swarm_observation){.at = t0 + SIM_SEC, .tenant = 7, .serving = 0});
    swarm_checker_observe(b.c, &(swarm_observation){.at = t0 + SIM_HOUR, .tenant = 7, .serving = 0});
    /* unserved with a current site, but within the bound (detect 30 s + 3 heartbeats + 1 s) */
    swarm_checker_observe(b.c, &(swarm_observation){.at = t0 + 2 * SIM_HOUR, .tenant = 7, .current_reachable = true});
    swarm_checker_observe(b.c, &(swarm_observation){.at = t0 + 2 * SIM_HOUR + 40 * SIM_SEC, .tenant = 7, .current_reachable = true});
    swarm_checker_observe(b.c, &(swarm_observation){.at = t0 + 2 * SIM_HOUR + 41 * SIM_SEC, .tenant = 7, .serving = 1});
    swarm_checker_observe_end(b.c, 1, FLOW_OK, t0);
    swarm_checker_observe_end(b.c, 2, FLOW_TIMEOUT, t0);
    swarm_checker_compare(b.c, 3, 3, 10, 8, 10, 8, 2);
    CHECK_INT(only_violation(&b), -1);
    sim_world_destroy(b.w);

    /* two sites serving one tenant */
    bare_open(&b);
    swarm_checker_observe(b.c, &(swarm_observation){.at = 5, .tenant = 7, .serving = 2});
    CHECK_INT(only_violation(&b), SWARM_INV_ONE_SITE);
    sim_world_destroy(b.w);

    /* unserved beyond the bound while a current site is up and reachable */
    bare_open(&b);
    swarm_checker_observe(b.c, &(swarm_observation){.at = 10 * SIM_SEC, .tenant = 7, .current_reachable = true});
    swarm_checker_observe(b.c, &(swarm_observation){.at = 60 * SIM_SEC, .tenant = 7, .current_reachable = true});
    CHECK_INT(only_violation(&b), SWARM_INV_SERVED);
    sim_world_destroy(b.w);

    /* an acknowledged write missing and not counted; a write counted that is there */
    bare_open(&b);
    swarm_checker_compare(b.c, 5, 4, 10, 10, 10, 10, 0);
    CHECK_INT(only_violation(&b), SWARM_INV_WRITES);
    sim_world_destroy(b.w);
    bare_open(&b);
    swarm_checker_compare(b.c, 0, 2, 10, 10, 10, 10, 0);
    CHECK_INT(only_violation(&b), SWARM_INV_RPO_EXACT);
    sim_world_destroy(b.w);

    /* a flow ended twice; a flow that vanished (neither ended nor waiting) */
    bare_open(&b);
    swarm_checker_observe_end(b.c, 9, FLOW_OK, 0);
    swarm_checker_observe_end(b.c, 9, FLOW_TIMEOUT, 0);
    CHECK_INT(only_violation(&b), SWARM_INV_FLOW_ONCE);
    sim_world_destroy(b.w);
    bare_open(&b);
    swarm_checker_compare(b.c, 0, 0, 10, 8, 10, 8, 1);
    CHECK_INT(only_violation(&b), SWARM_INV_FLOW_ONCE);
    sim_world_destroy(b.w);

    /* an end with no explicit outcome */
    bare_open(&b);
    swarm_checker_observe_end(b.c, 3, FLOW_ERRORS, 0);
    CHECK_INT(only_violation(&b), SWARM_INV_FLOW_OUTCOME);
    sim_world_destroy(b.w);

    /* the summary's figures differ from the checker's */
    bare_open(&b);
    swarm_checker_compare(b.c, 0, 0, 10, 10, 11, 10, 0);
    CHECK_INT(only_violation(&b), SWARM_INV_FIGURES);
    sim_world_destroy(b.w);

    /* stranded: unserved for 30 min to the end with both sites up and reachable */
    bare_open(&b);
    t0 = sim_world_now(b.w);
    swarm_checker_observe(b.c, &(swarm_observation){.at = t0, .tenant = 7, .all_reachable = true});
    sim_world_advance(b.w, t0 + 31 * SIM_MIN);
    swarm_checker_finish(b.c);
    CHECK_INT(only_violation(&b), SWARM_INV_STRANDED);
    sim_world_destroy(b.w);
    bare_open(&b);   /* served again before the end: not stranded */
    t0 = sim_world_now(b.w);
    swarm_checker_observe(b.c, &(swarm_observation){.at = t0, .tenant = 7, .all_reachable = true});
    swarm_checker_observe(b.c, &(swarm_observation){.at = t0 + SIM_MIN, .tenant = 7, .serving = 1, .all_reachable = true});
    sim_world_advance(b.w, t0 + 31 * SIM_MIN);
    swarm_checker_finish(b.c);
    CHECK_INT(only_violation(&b), -1);
    sim_world_destroy(b.w);
}

/* A failback accepted for a home whose tenant is never served by it again. */
static const sim_node_kind plain_kind = {.name = "plain"};

static void test_failback(void)
{
    bare b = {0};
    bare_open(&b);
    sim_node *east, *body_node;
    CHECK_INT(sim_world_add_node(b.w, &plain_kind, "east", NULL, &east), 0);
    CHECK_INT(sim_world_add_node(b.w, &plain_kind, "131016", NULL, &body_node), 0);
    body lg = {.kind = BODY_LG, .node = body_node->id, .home = east->id, .backup = east->id, .tenant = body_node->id};
    CHECK_INT(domain_add_body(b.d, &lg), 0);
    CHECK_INT(sim_world_start_nodes(b.w), 0);
    swarm_checker_operator(b.c, true, east->id, true);
    sim_world_run(b.w, sim_world_now(b.w) + 10 * SIM_MIN, 0);   /* the checker's samples */
    CHECK_INT(only_violation(&b), SWARM_INV_FAILBACK);
    sim_world_destroy(b.w);
    /* refused: nothing is owed */
    bare_open(&b);
    CHECK_INT(sim_world_add_node(b.w, &plain_kind, "east", NULL, &east), 0);
    CHECK_INT(sim_world_add_node(b.w, &plain_kind, "131016", NULL, &body_node), 0);
    lg = (body){.kind = BODY_LG, .node = body_node->id, .home = east->id, .backup = east->id, .tenant = body_node->id};
    CHECK_INT(domain_add_body(b.d, &lg), 0);
    CHECK_INT(sim_world_start_nodes(b.w), 0);
    swarm_checker_operator(b.c, true, east->id, false);
    sim_world_run(b.w, sim_world_now(b.w) + 10 * SIM_MIN, 0);
    CHECK_INT(only_violation(&b), -1);
    sim_world_destroy(b.w);
}

/* ---- the shrinker: the planted pair --------------------------------------------------------- */

typedef struct pair_test {
    const swarm_schedule *s;
    int runs;
} pair_test;

/* The planted bug, as the checker's planted_pair sees it: fatal when both kinds are kept. */
static int planted(const bool *keep, size_t n, void *ud)
{
    pair_test *p = ud;
    p->runs++;
    bool slow = false, rotation = false;
    for (size_t i = 0; i < n; i++) {
        if (!keep[i]) continue;
        slow |= p->s->faults[i].kind == SWARM_NWS_SLOW;
        rotation |= p->s->faults[i].kind == SWARM_KEY_ROTATION;
    }
    return slow && rotation;
}

static void test_shrinker(void)
{
    for (uint64_t seed = 1; seed <= 40; seed++) {
        swarm_gen_config cfg = {.faults_max = 30, .plant = true};
        swarm_schedule s;
        CHECK_INT(swarm_generate(seed, &cfg, &s), 0);
        CHECK_INT(s.n, 30);
        int slow = 0, rotation = 0;
        for (size_t i = 0; i < s.n; i++) {
            slow += s.faults[i].kind == SWARM_NWS_SLOW;
            rotation += s.faults[i].kind == SWARM_KEY_ROTATION;
        }
        CHECK_INT(slow, 1);
        CHECK_INT(rotation, 1);
        bool keep[30];
        for (int i = 0; i < 30; i++) keep[i] = true;
        pair_test p = {.s = &s};
        int tests = swarm_ddmin(keep, s.n, planted, &p);
        CHECK(tests > 0 && tests == p.runs);
        size_t kept = 0;
        for (size_t i = 0; i < s.n; i++) {
            if (!keep[i]) continue;
            kept++;
            CHECK(s.faults[i].kind == SWARM_NWS_SLOW || s.faults[i].kind == SWARM_KEY_ROTATION);
        }
        CHECK_INT(kept, 2);
        swarm_schedule_free(&s);
    }
    /* a single fatal fault; and a failure that needs every fault (1-minimal is all of them) */
    bool keep[5] = {true, true, true, true, true};
    swarm_schedule one = {.n = 5, .faults = (swarm_fault[5]){{.kind = SWARM_NWS_SLOW}, {.kind = SWARM_KEY_ROTATION}}};
    pair_test p = {.s = &one};
    CHECK(swarm_ddmin(keep, 5, planted, &p) > 0);
    CHECK(keep[0] && keep[1] && !keep[2] && !keep[3] && !keep[4]);
}

int main(void)
{
    test_generator();
    test_checker();
    test_failback();
    test_shrinker();
    CHECK_DONE();
}
