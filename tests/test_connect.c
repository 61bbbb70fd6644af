/* test_connect.c - the connection test's API driven without HTTP (connect_request_call), in two
 * worlds at once. Both get the same good requests at the same simulated moments; one also gets
 * every kind of bad request, and reads, in between. Refusals and reads change nothing, not even
 * the trace: both end with the same trace hash. Accepted operations run their flows to the
 * outcome the simulation gives, refusals name the field and the rule, and the conformance
 * report counts what was done. Also: --listen's [HOST:]PORT.
 *
 * Hostile requests (issue 15), to one world only, change nothing either: bodies the strict
 * reader refuses (400 bad_json naming the rule, or 422 duplicate_field naming the path, at any
 * depth); an individual number anywhere in a body (record id, payload key, number, any string;
 * every one listed), so none ever reaches the network (its own scan counts none); methods a
 * path does not take (405 naming what it takes); a body of 80,000 members, in linear time. */
#include "check.h"
#include "connect_twin.h"
#include "domain/domain.h"

#include <stdlib.h>
#include <time.h>

/* The same good request to both worlds: the same status. */
static void both(twin *a, twin *b, const char *method, const char *path, const char *req, int status)
{
    CHECK_INT(call(a, method, path, req, NULL), status);
    CHECK_INT(call(b, method, path, req, NULL), status);
}

/* A bad request, to one world only: the status and, when given, the first error's field/rule. */
static void bad(twin *t, const char *method, const char *path, const char *req, int status, const char *field,
                const char *rule)
{
    cJSON *j;
    int got = call(t, method, path, req, &j);
    if (got != status) fprintf(stderr, "%s %s %s\n", method, path, req ? req : "");
    CHECK_INT(got, status);
    cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "errors"), 0);
    if (field) {
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e, "field")), field);
        CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e, "rule")), rule);
        CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(e, "message")) != NULL);
    }
    CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(j, "code")) != NULL);
    cJSON_Delete(j);
}

static const char *answer_string(twin *t, const char *method, const char *path, const char *req, const char *key,
                                 char *out, size_t n)
{
    cJSON *j;
    call(t, method, path, req, &j);
    snprintf(out, n, "%s", cJSON_GetStringValue(cJSON_GetObjectItem(j, key)) ? cJSON_GetStringValue(cJSON_GetObjectItem(j, key)) : "");
    cJSON_Delete(j);
    return out;
}

static void every_bad_request(twin *t)
{
    static const char *const I = "\"procedure\":\"child_allowance\",\"item\":\"TM00000000000002\",\"provider\":\"131016\",\"staff\":\"S1\"";
    char req[600];
    bad(t, "POST", "/connect/v1/codes", "", 400, NULL, NULL);
    bad(t, "POST", "/connect/v1/codes", "{x", 400, NULL, NULL);
    bad(t, "POST", "/connect/v1/codes", "{}", 422, "addressee_no", "required");
    bad(t, "POST", "/connect/v1/codes", "{\"addressee_no\":7}", 422, "addressee_no", "type");
    bad(t, "POST", "/connect/v1/codes", "{\"addressee_no\":\"7\"}", 422, "addressee_no", "length");
    bad(t, "POST", "/connect/v1/codes", "{\"addressee_no\":\"00000000000000a\"}", 422, "addressee_no", "format");
    bad(t, "POST", "/connect/v1/codes", "{\"addressee_no\":\"000000000000000\"}", 422, "addressee_no", "unknown");
    bad(t, "POST", "/connect/v1/codes", "{\"addressee_no\":\"000000000000001\"}", 409, "addressee_no", "already_acquired");
    bad(t, "POST", "/connect/v1/codes", "{\"addressee_no\":\"000000000000001\",\"x\":1}", 422, "x", "unknown_field");
    snprintf(req, sizeof req, "{\"addressee_no\":\"000000000000012\",%s,\"provider\":\"131016\"}", I);
    bad(t, "POST", "/connect/v1/inquiries", req, 422, "provider", "duplicate_field");
    snprintf(req, sizeof req, "{\"addressee_no\":\"000000000000012\",\"procedure\":\"child_allowance\",\"item\":\"TM00000000000002\",\"provider\":\"131016\"}");
    bad(t, "POST", "/connect/v1/inquiries", req, 422, "staff", "required");
    snprintf(req, sizeof req, "{\"addressee_no\":\"000000000000012\",\"procedure\":\"pension_contribution_exemption\",\"item\":\"TM00000000000002\",\"provider\":\"131016\",\"staff\":\"S1\"}");
    bad(t, "POST", "/connect/v1/inquiries", req, 422, "procedure", "not_permitted");
    snprintf(req, sizeof req, "{\"addressee_no\":\"000000000000012\",\"procedure\":\"child_allowance\",\"item\":\"TM00000000000002\",\"provider\":\"271004\",\"staff\":\"S1\"}");
    bad(t, "POST", "/connect/v1/inquiries", req, 422, "provider", "self");
    static const char *const R = "\"addressee_no\":\"000000000000012\",\"item\":\"TM00000000000001\",\"schema_version\":1";
    snprintf(req, sizeof req, "{\"record_id\":\"271004-12-0\",%s,\"pub_start\":\"2017-11-13\",\"payload\":{\"household_size\":1}}", R);
    bad(t, "POST", "/connect/v1/replicas", req, 409, "record_id", "duplicate");
    snprintf(req, sizeof req, "{\"record_id\":\"T-9\",%s,\"pub_start\":\"2017-11-31\",\"payload\":{\"household_size\":1}}", R);
    bad(t, "POST", "/connect/v1/replicas", req, 422, "pub_start", "date");
    snprintf(req, sizeof req, "{\"record_id\":\"T-9\",%s,\"pub_start\":\"2017-11-13\",\"pub_end\":\"2017-11-12\",\"payload\":{\"household_size\":1}}", R);
    bad(t, "POST", "/connect/v1/replicas", req, 422, "pub_end", "date_order");
    snprintf(req, sizeof req, "{\"record_id\":\"T-9\",%s,\"pub_start\":\"2017-11-13\",\"payload\":{\"n\":123456789018}}", R);
    bad(t, "POST", "/connect/v1/replicas", req, 422, "payload.n", "individual_no");
    bad(t, "POST", "/connect/v1/replicas/partial", "{\"record_id\":\"T-9\",\"payload\":{\"a\":1}}", 422, "record_id", "unknown");
    bad(t, "POST", "/connect/v1/replicas/partial", "{\"record_id\":\"271004-12-0\",\"pub_start\":\"2017-01-01\"}", 422, "pub_start", "not_updatable");
    snprintf(req, sizeof req, "{\"record_id\":\"T-8\",%s,\"pub_start\":\"2017-11-13\",\"payload\":{\"household_size\":1}}\n[]\n", R);
    bad(t, "POST", "/connect/v1/bulk/replicas", req, 422, "line", "type");
    CHECK_INT(call(t, "GET", "/connect/v1/provisions", NULL, NULL), 200);
    bad(t, "GET", "/connect/v1/codes", NULL, 405, NULL, NULL);
    bad(t, "DELETE", "/connect/v1/session", NULL, 405, NULL, NULL);
    bad(t, "GET", "/connect/v1/nothing", NULL, 404, NULL, NULL);
    bad(t, "GET", "/connect/v1/inquiries/Q00000099", NULL, 404, NULL, NULL);
    bad(t, "GET", "/connect/v1/replicas/none", NULL, 404, NULL, NULL);
    bad(t, "GET", "/connect/v1/bulk/B00000009", NULL, 404, NULL, NULL);
    bad(t, "GET", "/connect/v1/addressees/000000000999999", NULL, 404, NULL, NULL);
    /* reads change nothing either */
    CHECK_INT(call(t, "GET", "/connect/v1/session", NULL, NULL), 200);
    CHECK_INT(call(t, "GET", "/connect/v1/fixtures", NULL, NULL), 200);
    CHECK_INT(call(t, "GET", "/connect/v1/code-lists", NULL, NULL), 200);
    CHECK_INT(call(t, "GET", "/connect/v1/addressees/000000000000012", NULL, NULL), 200);
    CHECK_INT(call(t, "GET", "/connect/v1/replicas/271004-12-0", NULL, NULL), 200);
    CHECK_INT(call(t, "GET", "/connect/v1/conformance", NULL, NULL), 200);
}

static int count_errors(const cJSON *j, const char *rule)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "errors")) n += strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "rule")), rule) == 0;
    return n;
}

static bool has_error(const cJSON *j, const char *field, const char *rule)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "errors"))
        if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "field")), field) == 0 &&
            strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "rule")), rule) == 0)
            return true;
    return false;
}

static void hostile_requests(twin *t)
{
    static const char *const R = "\"addressee_no\":\"000000000000012\",\"item\":\"TM00000000000001\",\"schema_version\":1,"
                                  "\"pub_start\":\"2017-11-13\"";
    static const char *const I = "\"addressee_no\":\"000000000000012\",\"procedure\":\"child_allowance\","
                                  "\"item\":\"TM00000000000002\",\"provider\":\"131016\"";
    char req[800];
    cJSON *j;
    /* the strict reader */
    bad(t, "POST", "/connect/v1/codes", "{\"addressee_no\":\"000000000000012\"} x", 400, "body", "trailing");
    bad(t, "POST", "/connect/v1/codes", "[]", 400, "body", "type");
    snprintf(req, sizeof req, "{%s,\"staff\":\"S\\u00001\"}", I);
    bad(t, "POST", "/connect/v1/inquiries", req, 400, "body", "nul");
    snprintf(req, sizeof req, "{%s,\"staff\":\"S\xff\"}", I);
    bad(t, "POST", "/connect/v1/inquiries", req, 400, "body", "utf8");
    snprintf(req, sizeof req, "{\"record_id\":\"H-1\",%s,\"payload\":{\"n\":1e999}}", R);
    bad(t, "POST", "/connect/v1/replicas", req, 400, "body", "number");
    CHECK_INT(call(t, "POST", "/connect/v1/replicas", req, &j), 400);
    CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(j, "error")), "(at payload.n)") != NULL);
    cJSON_Delete(j);
    snprintf(req, sizeof req, "{\"record_id\":\"H-2\",%s,\"payload\":{\"a\":1,\"b\":{\"c\":1,\"c\":2}}}", R);
    bad(t, "POST", "/connect/v1/replicas", req, 422, "payload.b.c", "duplicate_field");
    snprintf(req, sizeof req, "{\"record_id\":\"H-3\",%s,\"payload\":{\"a\":1,\"a\":1}}\n", R);
    bad(t, "POST", "/connect/v1/bulk/replicas", req, 422, "payload.a", "duplicate_field");
    snprintf(req, sizeof req, "{\"record_id\":\"H-4\",%s,\"payload\":{\"a\":\"\\u0000\"}}\n", R);
    bad(t, "POST", "/connect/v1/bulk/replicas", req, 422, "line", "json");
    /* an individual number, wherever it is */
    snprintf(req, sizeof req, "{\"record_id\":\"123456789018\",%s,\"payload\":{\"household_size\":1}}", R);
    bad(t, "POST", "/connect/v1/replicas", req, 422, "record_id", "individual_no");
    snprintf(req, sizeof req, "{\"record_id\":\"H-5\",%s,\"payload\":{\"123456789018\":1}}", R);
    bad(t, "POST", "/connect/v1/replicas", req, 422, "payload.123456789018", "individual_no");
    snprintf(req, sizeof req, "{\"record_id\":\"H-6\",%s,\"payload\":{\"n\":-123456789018}}", R);
    bad(t, "POST", "/connect/v1/replicas", req, 422, "payload.n", "individual_no");
    snprintf(req, sizeof req, "{\"record_id\":\"H-7\",%s,\"payload\":{\"n\":1.23456789018e11,\"m\":123456789018.5}}", R);
    CHECK_INT(call(t, "POST", "/connect/v1/replicas", req, &j), 422);
    CHECK(has_error(j, "payload.n", "individual_no") && has_error(j, "payload.m", "individual_no"));
    cJSON_Delete(j);
    snprintf(req, sizeof req, "{%s,\"staff\":\"123456789018\"}", I);
    bad(t, "POST", "/connect/v1/inquiries", req, 422, "staff", "individual_no");
    bad(t, "POST", "/connect/v1/replicas/partial", "{\"record_id\":\"T-1\",\"payload\":{\"note\":\"no 123456789018\"}}", 422,
        "payload.note", "individual_no");
    /* every one, not only the first */
    snprintf(req, sizeof req, "{\"record_id\":\"123456789018\",%s,\"payload\":{\"a\":\"123456789018\","
             "\"b\":[\"x\",\"1 123456789018 2 123456789018\"]}}", R);
    CHECK_INT(call(t, "POST", "/connect/v1/replicas", req, &j), 422);
    CHECK_INT(count_errors(j, "individual_no"), 4);
    CHECK(has_error(j, "record_id", "individual_no") && has_error(j, "payload.a", "individual_no") &&
          has_error(j, "payload.b[1]", "individual_no"));
    cJSON_Delete(j);
    /* a resident's number inside a longer run of digits (what the network's scan finds) */
    const domain *d = domain_get(t->w);
    uint64_t known = 0;
    for (size_t i = 0; i < d->individual_nos.cap && !known; i++) known = sim_map_key_at(&d->individual_nos, i);
    CHECK(known >= UINT64_C(100000000000));
    snprintf(req, sizeof req, "{\"record_id\":\"H-8\",%s,\"payload\":{\"memo\":\"9%llu7\"}}", R, (unsigned long long)known);
    bad(t, "POST", "/connect/v1/replicas", req, 422, "payload.memo", "individual_no");
    snprintf(req, sizeof req, "{\"record_id\":\"H-9\",%s,\"payload\":{\"n\":9%llu}}", R, (unsigned long long)known);
    bad(t, "POST", "/connect/v1/replicas", req, 422, "payload.n", "individual_no");
    /* methods a path does not take */
    CHECK_INT(call(t, "PUT", "/connect/v1/replicas", "{}", &j), 405);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "code")), "method_not_allowed");
    CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(j, "error")), "PUT is not allowed on /connect/v1/replicas (allowed: POST)") != NULL);
    cJSON_Delete(j);
    CHECK_INT(call(t, "PATCH", "/connect/v1/replicas/T-1", "{}", &j), 405);
    CHECK(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(j, "error")), "(allowed: GET)") != NULL);
    cJSON_Delete(j);
    /* a req with 80,000 members: each one refused, in linear time; at most 1,000 listed */
    enum { MEMBERS = 80000 };
    char *big = malloc(MEMBERS * 16 + 8);
    size_t n = 0;
    big[n++] = '{';
    for (int i = 0; i < MEMBERS; i++) n += (size_t)sprintf(big + n, "%s\"k%06d\":0", i ? "," : "", i);
    big[n++] = '}';
    big[n] = '\0';
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_INT(call(t, "POST", "/connect/v1/codes", big, &j), 422);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("a body of 80,000 members (%zu bytes) refused in %.3f s\n", n, s);
    CHECK(s < 5.0);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "errors")), 1000);
    CHECK(cJSON_GetObjectItem(j, "errors_not_listed") && cJSON_GetObjectItem(j, "errors_not_listed")->valueint == MEMBERS + 1 - 1000);
    cJSON_Delete(j);
    free(big);
}

int main(void)
{
    twin a, b;
    if (open_twin(&a) < 0 || open_twin(&b) < 0) return 1;

    run_to(&a, 3 * SIM_SEC);
    run_to(&b, 3 * SIM_SEC);
    char person[32], rid[32];
    answer_string(&a, "POST", "/connect/v1/addressees", "{}", "addressee_no", person, sizeof person);
    CHECK_INT(call(&b, "POST", "/connect/v1/addressees", "{}", NULL), 201);
    CHECK_INT(strlen(person), 15);
    char req[400];
    snprintf(req, sizeof req, "{\"addressee_no\":\"%s\"}", person);
    answer_string(&a, "POST", "/connect/v1/codes", req, "request_id", rid, sizeof rid);
    CHECK_STR(rid, "C00000001");
    CHECK_INT(call(&b, "POST", "/connect/v1/codes", req, NULL), 202);
    bad(&a, "POST", "/connect/v1/codes", req, 409, "addressee_no", "in_progress");
    static const char inquiry[] = "{\"addressee_no\":\"000000000000012\",\"procedure\":\"child_allowance\","
                                  "\"item\":\"TM00000000000002\",\"provider\":\"131016\",\"staff\":\"S-0001\"}";
    both(&a, &b, "POST", "/connect/v1/inquiries", inquiry, 202);
    both(&a, &b, "POST", "/connect/v1/replicas",
         "{\"record_id\":\"T-1\",\"addressee_no\":\"000000000000012\",\"item\":\"TM00000000000001\",\"schema_version\":1,"
         "\"pub_start\":\"2017-11-13\",\"payload\":{\"household_size\":2}}", 202);
    every_bad_request(&a);

    run_to(&a, 60 * SIM_SEC);
    run_to(&b, 60 * SIM_SEC);
    cJSON *j;
    CHECK_INT(call(&a, "GET", "/connect/v1/inquiries/Q00000002", NULL, &j), 200);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "status")), "done");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "outcome")), "ok");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "payload"), "note")), "接続試験用の副本");
    cJSON_Delete(j);
    CHECK_INT(call(&a, "GET", "/connect/v1/requests/C00000001", NULL, &j), 200);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "outcome")), "ok");
    cJSON_Delete(j);
    snprintf(req, sizeof req, "{\"addressee_no\":\"%s\"}", person);
    bad(&a, "POST", "/connect/v1/codes", req, 409, "addressee_no", "already_acquired");
    every_bad_request(&a);
    both(&a, &b, "POST", "/connect/v1/replicas/partial", "{\"record_id\":\"T-1\",\"payload\":{\"household_size\":3}}", 202);
    /* a field that differs from a layout's field only in case is another field (the connect
     * fuzzer found it taken for the stored one: leaked, and not stored); the layout of the
     * item has no such field (issue 17): refused, naming it */
    bad(&a, "POST", "/connect/v1/replicas/partial", "{\"record_id\":\"T-1\",\"payload\":{\"Household_size\":4}}", 422,
        "payload.Household_size", "unknown_field");
    both(&a, &b, "POST", "/connect/v1/bulk/inquiries", "{\"addressee_no\":\"000000000000012\",\"procedure\":\"child_allowance\","
         "\"item\":\"TM00000000000002\",\"provider\":\"131016\",\"staff\":\"S-0002\"}\n", 202);

    run_to(&a, 120 * SIM_SEC);
    run_to(&b, 120 * SIM_SEC);
    CHECK_INT(call(&a, "GET", "/connect/v1/replicas/T-1", NULL, &j), 200);
    CHECK_INT(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(j, "payload"), "household_size")->valueint, 3);
    CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(j, "payload"), "Household_size") == NULL);
    cJSON_Delete(j);
    CHECK_INT(call(&a, "GET", "/connect/v1/bulk/B00000001", NULL, NULL), 200);
    char ha[65], hb[65];
    CHECK_INT(sim_world_trace_hash(a.w, ha), 0);
    CHECK_INT(sim_world_trace_hash(b.w, hb), 0);
    CHECK_STR(ha, hb);   /* the bad requests and the reads changed nothing */
    CHECK_INT(sim_world_stats_get(a.w)->events, sim_world_stats_get(b.w)->events);

    /* the report counts what was done in a */
    cJSON *rep = connect_report_json(a.c);
    cJSON *ops = cJSON_GetObjectItem(rep, "operations");
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(ops, "inquiry"), "succeeded")->valueint, 1);
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(ops, "code_acquisition"), "succeeded")->valueint, 1);
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(ops, "code_acquisition"), "rejected")->valueint, 2 * 9 + 2);
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(ops, "bulk_inquiry"), "succeeded")->valueint, 1);
    CHECK_INT(cJSON_GetObjectItem(cJSON_GetObjectItem(ops, "replica_update"), "succeeded")->valueint, 1);
    int groups = 0;
    for (cJSON *g = cJSON_GetObjectItem(rep, "errors")->child; g; g = g->next) groups++;
    /* one per (status, code, field, rule) refused above (bad_json: empty and syntax; the layout:
     * payload.n and payload.Household_size unknown_field, payload.household_size required) */
    CHECK_INT(groups, 28);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(rep, "verdict")), "complete");   /* every required operation, and each succeeded */
    cJSON_Delete(rep);
    cJSON *brep = connect_report_json(b.c);
    CHECK_INT(cJSON_GetObjectItem(brep, "operations_accepted")->valueint, 5);   /* C, Q, R, U and a bulk line */
    cJSON_Delete(brep);

    /* hostile requests change nothing either, and no individual number reaches the network */
    hostile_requests(&a);
    run_to(&a, 240 * SIM_SEC);
    run_to(&b, 240 * SIM_SEC);
    CHECK_INT(sim_world_trace_hash(a.w, ha), 0);
    CHECK_INT(sim_world_trace_hash(b.w, hb), 0);
    CHECK_STR(ha, hb);
    CHECK_INT(domain_get(a.w)->stats.individual_no_seen, 0);

    /* --listen */
    char host[64];
    int port;
    CHECK_INT(connect_parse_listen("8080", host, sizeof host, &port), 0);
    CHECK_STR(host, "127.0.0.1");
    CHECK_INT(port, 8080);
    CHECK_INT(connect_parse_listen("localhost:0", host, sizeof host, &port), 0);
    CHECK_STR(host, "127.0.0.1");
    CHECK_INT(connect_parse_listen("[::1]:9", host, sizeof host, &port), 0);
    CHECK_STR(host, "::1");
    CHECK(connect_parse_listen("70000", host, sizeof host, &port) < 0);
    CHECK(connect_parse_listen(":80", host, sizeof host, &port) < 0);
    CHECK(connect_parse_listen("x:", host, sizeof host, &port) < 0);

    close_twin(&a);
    close_twin(&b);
    CHECK_DONE();
}
