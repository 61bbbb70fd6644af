/* test_disclosure.c - access records per Art. 23 and the citizen's view (マイナポータル): the
 * inquirer's server, the provider's and the NWS each keep the record with the person as their
 * own pseudonym, who asked whom, when, procedure, item, serial number, outcome and the 不開示
 * mark; the disclosure of a person equals the NWS's records of that person without the 不開示
 * ones, and holds every provision the provider made about them (an NWS outage in between);
 * 不開示 rows never reach the portal; bad input changes nothing; the invariant holds. */
#include "check.h"
#include "world_fixture.h"

static const sim_time_t SEC = SIM_SEC;

__attribute__((format(printf, 2, 0))) static long long count(sim_store *st, const char *fmt, long long a, long long b)
{
    char sql[320];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(sql, sizeof sql, fmt, a, b);
#pragma GCC diagnostic pop
    return fx_store_int(st, sql);
}

static bool has_serial(const node_disclosure_row *rows, size_t n, uint64_t serial)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].serial_no == serial) return true;
    return false;
}

static void test_disclosure(void)
{
    fixture fx;
    CHECK_INT(fx_open(&fx, &(fixture_options){0}), 0);
    sim_node *portal;
    char why[160];
    node_disclosure_row *rows;
    size_t n;
    CHECK_INT(node_mynaportal_disclose(fx.w, 4, &rows, &n, why, sizeof why), -ENODEV);   /* no portal yet */
    CHECK_INT(node_mynaportal_create(fx.w, "mynaportal", &portal), 0);
    fx_run_for(&fx, SEC);
    /* a day with an outage: inquiries about persons 0..7 from Osaka, Chiyoda and the pension
     * service, every third one marked 不開示, the NWS down for a while in the middle */
    sim_rng r;
    sim_rng_seed(&r, 13);
    int withheld = 0;
    for (int i = 0; i < 60; i++) {
        if (i == 20) CHECK_INT(sim_node_crash(fx.nws, "outage"), 0);
        if (i == 30) CHECK_INT(sim_node_recover(fx.nws, "back"), 0);
        bool mark = i % 3 == 0;
        withheld += mark;
        uint32_t which = sim_rng_below(&r, 3);
        if (which == 0)   /* Osaka asks Chiyoda about person 4, who moved */
            node_body_inquire_marked(fx.lg_b, 1, FX_PROC_CHILD_ALLOWANCE, fx.lg_a->id, 7, mark);
        else if (which == 1)   /* Chiyoda asks the pension service about one of its residents */
            node_body_inquire_marked(fx.lg_a, 1 + sim_rng_below(&r, FX_RESIDENTS), FX_PROC_PENSION_CHECK, fx.pension->id, 3, mark);
        else   /* the pension service asks Osaka about a person */
            node_body_inquire_marked(fx.pension, 1 + FX_RESIDENTS + sim_rng_below(&r, FX_RESIDENTS), FX_PROC_PENSION_INCOME,
                                     fx.lg_b->id, 5, mark);
        fx_run_for(&fx, 10 * SEC);
    }
    fx_run_for(&fx, 2 * SIM_MIN);
    sim_store *nws = node_nws_store(fx.nws);
    CHECK(node_nws_serials(fx.nws) > 20);
    CHECK(count(nws, "SELECT COUNT(*) FROM access_records WHERE withheld = 1 AND %lld = %lld", 1, 1) > 0);
    /* the three holders' records: person, who asked whom, when, procedure, item, serial, outcome, mark */
    tenant_db *west = platform_node_db(fx.d, fx.west->id), *east = platform_node_db(fx.d, fx.east->id);
    CHECK(count(west->store, "SELECT COUNT(*) FROM inquirer_records WHERE tenant = %lld AND person = 1 AND provider = %lld"
                             " AND serial_no > 0 AND outcome = 'ok'", fx.b->tenant, fx.a->node) > 0);
    CHECK(count(east->store, "SELECT COUNT(*) FROM provider_records WHERE tenant = %lld AND person = %lld AND outcome = 'ok'",
                fx.a->tenant, FX_RESIDENTS + 1) > 0);

    for (uint32_t person = 0; person < FX_PERSONS; person++) {
        CHECK_INT(node_mynaportal_disclose(fx.w, person, &rows, &n, why, sizeof why), 0);
        uint64_t key = fx_person_key(&fx, person);
        /* equals the NWS's records of the person, 不開示 left out */
        CHECK_INT((long long)n, count(nws, "SELECT COUNT(*) FROM access_records WHERE person = %lld AND withheld = %lld",
                                      (long long)key, 0));
        for (size_t i = 0; i < n; i++) {
            CHECK_INT(count(nws, "SELECT COUNT(*) FROM access_records WHERE serial_no = %lld AND person = %lld",
                            (long long)rows[i].serial_no, (long long)key), 1);
            CHECK(strcmp(rows[i].outcome, "forwarded") != 0 || rows[i].t > 0);
        }
        /* holds every provision a provider made about them, none marked 不開示 */
        for (uint32_t node = 0; node < sim_world_node_count(fx.w); node++) {
            tenant_db *t = platform_node_db(fx.d, node);
            body *bodies[3] = {fx.a, fx.b, fx.agency};
            for (int k = 0; t && k < 3; k++) {
                body *b = bodies[k];
                for (uint32_t a = 1; a <= b->nresidents + b->nextra; a++) {
                    uint32_t who = b->kind == BODY_AGENCY ? a - 1 : b->residents[a - 1].person;
                    if (who != person) continue;
                    char sql[200];
                    snprintf(sql, sizeof sql, "SELECT serial_no, withheld FROM provider_records WHERE tenant = %u AND person = %u"
                             " AND outcome = 'ok'", b->tenant, a);
                    sqlite3_stmt *st = NULL;
                    sqlite3_stmt *any = sim_store_stmt(t->store, SIM_STORE_SLOTS - 1, "SELECT 1");
                    if (!any || sqlite3_prepare_v2(sqlite3_db_handle(any), sql, -1, &st, NULL) != SQLITE_OK) {
                        CHECK(0);
                        continue;
                    }
                    while (sqlite3_step(st) == SQLITE_ROW) {
                        uint64_t serial = (uint64_t)sqlite3_column_int64(st, 0);
                        bool mark = sqlite3_column_int(st, 1) != 0;
                        CHECK(has_serial(rows, n, serial) == !mark);
                    }
                    sqlite3_finalize(st);
                }
            }
        }
        free(rows);
    }
    CHECK(withheld > 0);
    CHECK_INT(fx_invariant(&fx, "every provision appears in the person's disclosure unless marked 不開示", why, sizeof why), 1);

    /* bad input: an unknown person; nothing changes */
    uint64_t serials = node_nws_serials(fx.nws);
    CHECK_INT(node_mynaportal_disclose(fx.w, FX_PERSONS + 100, &rows, &n, why, sizeof why), -ENOENT);
    CHECK(strstr(why, "no person") != NULL);
    CHECK_INT(node_mynaportal_disclose(fx.w, -1, &rows, &n, why, sizeof why), -ENOENT);
    CHECK_INT(node_nws_serials(fx.nws), serials);

    /* the invariant can fail: a provision whose NWS record names someone else */
    CHECK_INT(sim_store_exec(nws, "UPDATE access_record SET person = 1 WHERE serial_no = (SELECT MIN(serial_no)"
                                  " FROM access_record WHERE withheld = 0 AND outcome = 'forwarded')"), 0);
    fx_run_for(&fx, SEC);   /* the checker caches by event count */
    node_body_inquire(fx.lg_b, 1, FX_PROC_CHILD_ALLOWANCE, fx.lg_a->id, 7);
    fx_run_for(&fx, SEC);
    CHECK_INT(fx_invariant(&fx, "every provision appears in the person's disclosure unless marked 不開示", why, sizeof why), 0);
    fx_close(&fx);
}

int main(void)
{
    test_disclosure();
    CHECK_DONE();
}
