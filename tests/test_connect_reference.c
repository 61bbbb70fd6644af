/* test_connect_reference.c - where an independent client found the connection-test API and its
 * reference (docs/connect-api.md) disagreeing (issue 17), each decided and pinned here, without
 * HTTP (connect_request_call) and without the wall clock:
 *   - the fixtures are in place before the first request: an inquiry made at the session's
 *     very first moment gets the fixture (tax year 2017), never the provider's ordinary record,
 *     and GET session says ready;
 *   - fixtures: new residents (POST addressees) count as residents, not as former ones;
 *   - code-lists say which agencies are in the network; the procedures other bodies ask are
 *     listed, so that procedure not_permitted can be triggered from the reference alone;
 *   - from past the end of the provision records is 422 range;
 *   - GET bulk/inquiries and GET replicas/partial are 405 (the paths exist), not ids;
 *   - a query parameter an operation does not take, or one given twice, is refused (422).
 * And the test-case catalogue (GET cases): declarations, pass, fail and not run with evidence;
 * the layouts per item and version (GET layouts); the other side (GET preview). */
#include "check.h"
#include "connect_twin.h"

#include <string.h>

static const char *str(const cJSON *o, const char *key) { return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key)); }

/* The answer's errors hold {field, rule}. */
static bool has_error(const cJSON *j, const char *field, const char *rule)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "errors"))
        if (strcmp(str(e, "field"), field) == 0 && strcmp(str(e, "rule"), rule) == 0) return true;
    return false;
}

static void first_request_sees_fixture(twin *t)
{
    cJSON *j;
    CHECK_INT(call(t, "GET", "/connect/v1/session", NULL, &j), 200);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(j, "ready")));
    cJSON_Delete(j);
    CHECK_INT(call(t, "GET", "/connect/v1/fixtures", NULL, &j), 200);
    const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "moved_in"), 0);
    char req[400];
    snprintf(req, sizeof req, "{\"addressee_no\":\"%s\",\"procedure\":\"%s\",\"item\":\"%s\",\"provider\":\"%s\",\"staff\":\"S-1\"}",
             str(m, "addressee_no"), str(m, "procedure"), str(m, "item"), str(m, "moved_from"));
    cJSON_Delete(j);
    CHECK_INT(sim_world_stats_get(t->w)->events, 0);   /* nothing has run yet */
    CHECK_INT(call(t, "POST", "/connect/v1/inquiries", req, NULL), 202);
    run_to(t, 60 * SIM_SEC);
    CHECK_INT(call(t, "GET", "/connect/v1/inquiries/Q00000001", NULL, &j), 200);
    CHECK_STR(str(j, "outcome"), "ok");
    const cJSON *p = cJSON_GetObjectItem(j, "payload");
    CHECK_STR(str(p, "note"), "接続試験用の副本");   /* the fixture (vendor_plain.lua) */
    CHECK_INT(cJSON_GetObjectItem(p, "tax_year")->valueint, 2017);
    cJSON_Delete(j);
}

static void fixtures_count_new_residents(twin *t)
{
    cJSON *j;
    CHECK_INT(call(t, "GET", "/connect/v1/fixtures", NULL, &j), 200);
    const cJSON *r = cJSON_GetObjectItem(j, "addressees");
    int residents = cJSON_GetObjectItem(r, "residents")->valueint, others = cJSON_GetObjectItem(r, "others")->valueint;
    CHECK(others > 0);
    cJSON_Delete(j);
    CHECK_INT(call(t, "POST", "/connect/v1/addressees", "{}", NULL), 201);
    CHECK_INT(call(t, "POST", "/connect/v1/addressees", "{}", NULL), 201);
    CHECK_INT(call(t, "GET", "/connect/v1/fixtures", NULL, &j), 200);
    r = cJSON_GetObjectItem(j, "addressees");
    CHECK_INT(cJSON_GetObjectItem(r, "residents")->valueint, residents + 2);
    CHECK_INT(cJSON_GetObjectItem(r, "others")->valueint, others);
    cJSON_Delete(j);
}

static const cJSON *named(const cJSON *list, const char *key, const char *value)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, list) if (str(x, key) && strcmp(str(x, key), value) == 0) return x;
    return NULL;
}

static void code_lists_say_what_is_here(twin *t)
{
    cJSON *j;
    CHECK_INT(call(t, "GET", "/connect/v1/code-lists", NULL, &j), 200);
    const cJSON *agencies = cJSON_GetObjectItem(j, "agencies");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(named(agencies, "name", "pension"), "in_network")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(named(agencies, "name", "employment"), "in_network")));
    CHECK(cJSON_IsFalse(cJSON_GetObjectItem(named(cJSON_GetObjectItem(j, "items"), "holder", "employment"), "in_network")));
    const cJSON *x;
    int absent = 0;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(j, "procedures")) {
        CHECK(str(x, "inquirer") != NULL);
        bool here = strcmp(str(x, "provider"), "employment") != 0 && strcmp(str(x, "provider"), "health_insurance") != 0;
        CHECK(cJSON_IsBool(cJSON_GetObjectItem(x, "in_network")) && cJSON_IsTrue(cJSON_GetObjectItem(x, "in_network")) == here);
        absent += !here;
    }
    CHECK(absent > 0);
    /* the procedures of others, as listed, are refused with procedure not_permitted */
    const cJSON *other = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "procedures_of_others"), 0);
    CHECK(other && str(other, "inquirer") && strcmp(str(other, "inquirer"), "lg") != 0);
    char req[400];
    snprintf(req, sizeof req, "{\"addressee_no\":\"000000000000006\",\"procedure\":\"%s\",\"item\":\"TM00000000000002\","
             "\"provider\":\"401307\",\"staff\":\"S-1\"}", str(other, "id"));
    cJSON_Delete(j);
    CHECK_INT(call(t, "POST", "/connect/v1/inquiries", req, &j), 422);
    CHECK(has_error(j, "procedure", "not_permitted"));
    cJSON_Delete(j);
}

static void provisions_from_range(twin *t)
{
    cJSON *j;
    CHECK_INT(call_query(t, "GET", "/connect/v1/provisions", "{\"limit\":\"1000\"}", NULL, &j), 200);
    int next = cJSON_GetObjectItem(j, "next")->valueint;
    CHECK(next > 0);
    cJSON_Delete(j);
    char q[64];
    snprintf(q, sizeof q, "{\"from\":\"%d\"}", next);   /* the end: nothing new, not an error */
    CHECK_INT(call_query(t, "GET", "/connect/v1/provisions", q, NULL, &j), 200);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "provisions")), 0);
    cJSON_Delete(j);
    snprintf(q, sizeof q, "{\"from\":\"%d\"}", next + 1);
    CHECK_INT(call_query(t, "GET", "/connect/v1/provisions", q, NULL, &j), 422);
    CHECK(has_error(j, "from", "range"));
    cJSON_Delete(j);
}

static void paths_of_their_own(twin *t)
{
    static const char *const paths[] = {"/connect/v1/bulk/inquiries", "/connect/v1/bulk/replicas", "/connect/v1/replicas/partial"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        cJSON *j;
        CHECK_INT(call(t, "GET", paths[i], NULL, &j), 405);
        CHECK_STR(str(j, "code"), "method_not_allowed");
        CHECK(strstr(str(j, "error"), "allowed: POST") != NULL);
        cJSON_Delete(j);
    }
    CHECK_INT(call(t, "GET", "/connect/v1/bulk/B00000099", NULL, NULL), 404);
    CHECK_INT(call(t, "GET", "/connect/v1/replicas/271004-1-0", NULL, NULL), 200);
}

static void query_parameters(twin *t)
{
    cJSON *j;
    CHECK_INT(call_query(t, "GET", "/connect/v1/provisions", "{\"from\":\"0\",\"colour\":\"blue\"}", NULL, &j), 422);
    CHECK(has_error(j, "colour", "unknown_field"));
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "errors")), 1);
    cJSON_Delete(j);
    CHECK_INT(call_query(t, "GET", "/connect/v1/provisions", "{\"from\":[\"0\",\"1\"]}", NULL, &j), 422);
    CHECK(has_error(j, "from", "duplicate_field"));
    cJSON_Delete(j);
    CHECK_INT(call_query(t, "GET", "/connect/v1/fixtures", "{\"x\":\"1\"}", NULL, &j), 422);
    CHECK(has_error(j, "x", "unknown_field"));
    cJSON_Delete(j);
    CHECK_INT(call_query(t, "POST", "/connect/v1/addressees", "{\"dry_run\":\"1\"}", "{}", NULL), 422);
    CHECK_INT(call_query(t, "GET", "/connect/v1/provisions", "{\"from\":\"0\",\"limit\":\"2\"}", NULL, NULL), 200);
}

/* The layouts (GET layouts): a payload that breaks its item's layout is refused naming each
 * field and rule; version 2 is a layout change (new required fields); the replicas of the day
 * before and the fixture pass the layouts they were made in. */
static void layouts(twin *t)
{
    static const char *const head = "{\"record_id\":\"L-1\",\"addressee_no\":\"000000000000012\",\"item\":\"TM00000000000002\","
                                    "\"pub_start\":\"2017-11-13\",";
    char req[600];
    cJSON *j;
    snprintf(req, sizeof req, "%s\"schema_version\":1,\"payload\":{\"tax_year\":\"2017\",\"municipal_tax\":-1,\"item\":\"TM00000000000001\"}}", head);
    CHECK_INT(call(t, "POST", "/connect/v1/replicas", req, &j), 422);
    CHECK(has_error(j, "payload.tax_year", "type"));
    CHECK(has_error(j, "payload.municipal_tax", "range"));
    CHECK(has_error(j, "payload.item", "code_list"));
    CHECK(has_error(j, "payload.taxable_income", "required"));
    cJSON_Delete(j);
    snprintf(req, sizeof req, "%s\"schema_version\":2,\"payload\":{\"tax_year\":2017,\"taxable_income\":1}}", head);
    CHECK_INT(call(t, "POST", "/connect/v1/replicas", req, &j), 422);
    CHECK(has_error(j, "payload.income_category", "required"));
    CHECK(has_error(j, "payload.data_as_of", "required"));
    cJSON_Delete(j);
    snprintf(req, sizeof req, "%s\"schema_version\":2,\"payload\":{\"tax_year\":2017,\"taxable_income\":1,"
             "\"income_category\":\"salary\",\"data_as_of\":\"2017-11-13\"}}", head);
    CHECK_INT(call(t, "POST", "/connect/v1/replicas", req, NULL), 202);
    CHECK_INT(call(t, "POST", "/connect/v1/replicas/partial", "{\"record_id\":\"L-1\",\"payload\":{\"income_category\":\"lottery\"}}", &j), 422);
    CHECK(has_error(j, "payload.income_category", "code_list"));
    cJSON_Delete(j);
    /* a v1 record updated with a v2 field: not in its layout */
    CHECK_INT(call(t, "POST", "/connect/v1/replicas/partial", "{\"record_id\":\"271004-12-1\",\"payload\":{\"income_category\":\"salary\"}}", &j), 422);
    CHECK(has_error(j, "payload.income_category", "unknown_field"));
    cJSON_Delete(j);
    /* the replicas of the day before are registrable as they are: copies are accepted */
    for (int n = 1; n <= 5; n++)
        for (int k = 0; k < 2; k++) {
            char path[64];
            snprintf(path, sizeof path, "/connect/v1/replicas/271004-%d-%d", n, k);
            CHECK_INT(call(t, "GET", path, NULL, &j), 200);
            char *payload = cJSON_PrintUnformatted(cJSON_GetObjectItem(j, "payload"));
            snprintf(req, sizeof req, "{\"record_id\":\"COPY-%d-%d\",\"addressee_no\":\"%s\",\"item\":\"%s\",\"schema_version\":1,"
                     "\"pub_start\":\"2017-11-13\",\"payload\":%s}", n, k, str(j, "addressee_no"), str(j, "item"), payload);
            cJSON_free(payload);
            cJSON_Delete(j);
            CHECK_INT(call(t, "POST", "/connect/v1/replicas", req, &j), 202);
            cJSON_Delete(j);
        }
    CHECK_INT(call(t, "GET", "/connect/v1/layouts", NULL, &j), 200);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "versions")), 2);
    cJSON_Delete(j);
}

/* The other side: what an inquirer would be provided now, without an inquiry. */
static void preview(twin *t)
{
    cJSON *j, *stored;
    CHECK_INT(call_query(t, "GET", "/connect/v1/preview", "{\"addressee_no\":\"000000000000012\",\"item\":\"TM00000000000002\"}", NULL, &j), 200);
    CHECK_STR(str(j, "outcome"), "ok");
    CHECK_STR(str(j, "record_id"), "271004-12-1");
    CHECK_INT(call(t, "GET", "/connect/v1/replicas/271004-12-1", NULL, &stored), 200);
    CHECK(cJSON_Compare(cJSON_GetObjectItem(j, "payload"), cJSON_GetObjectItem(stored, "payload"), true));
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(j, "procedures")) > 0);   /* local_tax_assessment, ... */
    cJSON_Delete(stored);
    cJSON_Delete(j);
    /* a newer publication is what is provided from its first day */
    CHECK_INT(call(t, "POST", "/connect/v1/replicas", "{\"record_id\":\"P-1\",\"addressee_no\":\"000000000000012\","
                   "\"item\":\"TM00000000000002\",\"schema_version\":1,\"pub_start\":\"2017-11-13\","
                   "\"payload\":{\"tax_year\":2017,\"taxable_income\":42}}", NULL), 202);
    run_to(t, 240 * SIM_SEC);
    CHECK_INT(call_query(t, "GET", "/connect/v1/preview", "{\"addressee_no\":\"000000000000012\",\"item\":\"TM00000000000002\"}", NULL, &j), 200);
    CHECK_STR(str(j, "record_id"), "P-1");
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "payload"), "taxable_income")->valueint, 42);
    cJSON_Delete(j);
    CHECK_INT(call_query(t, "GET", "/connect/v1/preview", "{\"addressee_no\":\"000000000000012\",\"item\":\"TM99000000000005\"}", NULL, &j), 200);
    CHECK_STR(str(j, "outcome"), "not_found");
    cJSON_Delete(j);
    char who[32], q[128];
    CHECK_INT(call(t, "POST", "/connect/v1/addressees", "{}", &j), 201);
    snprintf(who, sizeof who, "%s", str(j, "addressee_no"));
    cJSON_Delete(j);
    snprintf(q, sizeof q, "{\"addressee_no\":\"%s\",\"item\":\"TM00000000000001\"}", who);
    CHECK_INT(call_query(t, "GET", "/connect/v1/preview", q, NULL, &j), 200);
    CHECK_STR(str(j, "outcome"), "no_code");
    cJSON_Delete(j);
    CHECK_INT(call_query(t, "GET", "/connect/v1/preview", "{\"addressee_no\":\"12\"}", NULL, &j), 422);
    CHECK(has_error(j, "addressee_no", "length"));
    CHECK(has_error(j, "item", "required"));
    cJSON_Delete(j);
    char ha[65], hb[65];   /* previews change nothing, not even the trace */
    CHECK_INT(sim_world_trace_hash(t->w, ha), 0);
    CHECK_INT(call_query(t, "GET", "/connect/v1/preview", "{\"addressee_no\":\"000000000000012\",\"item\":\"TM00000000000002\"}", NULL, NULL), 200);
    CHECK_INT(sim_world_trace_hash(t->w, hb), 0);
    CHECK_STR(ha, hb);
}

/* The case of this id in GET cases, or NULL. */
static const cJSON *case_named(const cJSON *cases, const char *id) { return named(cJSON_GetObjectItem(cases, "cases"), "id", id); }

/* The test-case catalogue: bad declarations refused with their field and rule; a declared
 * item whose registration was refused fails with that request as its evidence, one never
 * tried is not run, one done passes with the request and the fetch that saw it done. */
static void test_cases(twin *t)
{
    cJSON *j;
    CHECK_INT(call(t, "POST", "/connect/v1/declaration", "{\"items\":[\"TM99000000000013\",\"TM00000000000001\",\"TM00000000000001\"],"
                   "\"procedures\":[\"no_such\",\"pension_contribution_exemption\",\"nhi_enrolment\"]}", &j), 422);
    CHECK(has_error(j, "items[0]", "not_held"));
    CHECK(has_error(j, "items[2]", "duplicate"));
    CHECK(has_error(j, "procedures[0]", "code_list"));
    CHECK(has_error(j, "procedures[1]", "not_permitted"));
    CHECK(has_error(j, "procedures[2]", "unknown"));   /* health_insurance is not in small.lua */
    cJSON_Delete(j);
    CHECK_INT(call(t, "POST", "/connect/v1/declaration", "{\"procedures\":[]}", &j), 422);
    CHECK(has_error(j, "items", "required"));
    cJSON_Delete(j);
    CHECK_INT(call(t, "GET", "/connect/v1/cases", NULL, &j), 200);
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "declaration")));
    CHECK_STR(str(case_named(j, "CT-00"), "status"), "fail");   /* the refused declarations */
    cJSON_Delete(j);
    CHECK_INT(call(t, "POST", "/connect/v1/declaration", "{\"items\":[\"TM00000000000001\",\"TM00000000000002\"],"
                   "\"procedures\":[\"child_allowance\"]}", NULL), 200);
    CHECK_INT(call(t, "POST", "/connect/v1/declaration", "{\"items\":[\"TM00000000000001\"]}", &j), 422);
    CHECK(has_error(j, "body", "already_declared"));
    cJSON_Delete(j);
    CHECK_INT(call(t, "POST", "/connect/v1/replicas", "{\"record_id\":\"CASE-1\",\"addressee_no\":\"000000000000012\","
                   "\"item\":\"TM00000000000001\",\"schema_version\":1,\"pub_start\":\"2017-11-13\",\"payload\":{\"household_size\":1}}", &j), 202);
    char rid[16];
    snprintf(rid, sizeof rid, "%s", str(j, "request_id"));
    cJSON_Delete(j);
    CHECK_INT(call(t, "POST", "/connect/v1/replicas", "{\"record_id\":\"CASE-2\",\"addressee_no\":\"000000000000012\","
                   "\"item\":\"TM00000000000002\",\"schema_version\":1,\"pub_start\":\"2017-02-30\",\"payload\":{\"a\":1}}", NULL), 422);
    run_to(t, 180 * SIM_SEC);
    char path[64];
    snprintf(path, sizeof path, "/connect/v1/requests/%s", rid);
    CHECK_INT(call(t, "GET", path, NULL, NULL), 200);
    CHECK_INT(call(t, "GET", "/connect/v1/cases", NULL, &j), 200);
    CHECK_STR(str(case_named(j, "CT-00"), "status"), "pass");
    const cJSON *ok = case_named(j, "CT-03.TM00000000000001"), *bad = case_named(j, "CT-03.TM00000000000002");
    CHECK_STR(str(ok, "status"), "pass");
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(ok, "evidence")), 2);   /* accepted, then seen done */
    const cJSON *seen = cJSON_GetArrayItem(cJSON_GetObjectItem(ok, "evidence"), 1);
    CHECK_STR(str(cJSON_GetObjectItem(seen, "request"), "path"), path);
    CHECK(strstr(str(cJSON_GetObjectItem(seen, "answer"), "body"), "\"outcome\":\"ok\"") != NULL);
    CHECK(str(seen, "at") != NULL);
    CHECK_STR(str(bad, "status"), "fail");
    const cJSON *why = cJSON_GetArrayItem(cJSON_GetObjectItem(bad, "evidence"), 0);
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(why, "answer"), "status")->valueint, 422);
    CHECK(strstr(str(cJSON_GetObjectItem(why, "request"), "body"), "CASE-2") != NULL);
    CHECK_STR(str(case_named(j, "CT-05.child_allowance"), "status"), "not_run");
    CHECK_STR(str(case_named(j, "CT-11"), "status"), "not_applicable");
    CHECK(case_named(j, "CT-05.local_tax_assessment") == NULL);   /* not declared */
    CHECK(str(case_named(j, "CT-01"), "purpose_ja") != NULL);
    CHECK_STR(str(j, "verdict"), "not_passed");
    cJSON_Delete(j);
}

int main(void)
{
    twin t;
    if (open_twin(&t) < 0) return 1;
    first_request_sees_fixture(&t);
    fixtures_count_new_residents(&t);
    code_lists_say_what_is_here(&t);
    provisions_from_range(&t);
    paths_of_their_own(&t);
    query_parameters(&t);
    close_twin(&t);
    if (open_twin(&t) < 0) return 1;
    test_cases(&t);
    layouts(&t);
    preview(&t);
    close_twin(&t);
    CHECK_DONE();
}
