/* test_dash.c - the dashboard's bookkeeping without a browser: figures by simulated time stay
 * bounded (buckets merge, counts are kept), latency percentiles come from the histogram, the
 * event log keeps the newest lines and filters them by field. And its server goes when the
 * run it drives is closed (a run that never began: another listener failed to open), so the
 * loop ends and nothing reads the freed run. */
#include <stdlib.h>
#include <uv.h>

#include "check.h"
#include "dash/dash_internal.h"

#define T0 INT64_C(1510529400000000)   /* 2017-11-13 08:30 JST */

static int count_items(cJSON *a) { return cJSON_GetArraySize(a); }

static double column_sum(cJSON *o, const char *key)
{
    double s = 0;
    for (cJSON *x = cJSON_GetObjectItem(o, key)->child; x; x = x->next) s += x->valuedouble;
    return s;
}

static void test_series(void)
{
    dash_series s;
    dash_series_init(&s, T0);
    /* 100 inquiries over the first 100 minutes, answered in 20 ms; one timeout */
    for (int i = 0; i < 100; i++) {
        dash_series_started(&s, T0 + i * SIM_MIN, FLOW_INQUIRY);
        dash_series_ended(&s, T0 + i * SIM_MIN + 20 * SIM_MS, FLOW_INQUIRY, FLOW_OK, 20 * SIM_MS);
    }
    dash_series_ended(&s, T0 + 5 * SIM_MIN, FLOW_INQUIRY, FLOW_TIMEOUT, -1);
    CHECK_INT(s.n, 100);
    CHECK_INT(s.width, SIM_MIN);
    cJSON *j = dash_series_window_json(&s, 0, false);
    CHECK_INT(count_items(cJSON_GetObjectItem(j, "t")), 100);
    CHECK_NEAR(column_sum(j, "inquiries_started"), 100, 0);
    CHECK_NEAR(column_sum(j, "inquiries_ok"), 100, 0);
    CHECK_NEAR(column_sum(cJSON_GetObjectItem(j, "errors"), "timeout"), 1, 0);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "errors"), "unreachable") == NULL);   /* only kinds seen */
    double p50 = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "latency_p50_ms"), 7)->valuedouble;
    CHECK(p50 > 15 && p50 < 26);   /* the 20 ms bin */
    cJSON_Delete(j);
    /* a week later: far past SERIES_MAX_BUCKETS minutes, so buckets merge and widen */
    dash_series_started(&s, T0 + 7 * SIM_DAY, FLOW_INQUIRY);
    CHECK(s.n <= SERIES_MAX_BUCKETS);
    CHECK(s.width > SIM_MIN);
    CHECK_INT(s.dirty_from, 0);   /* the page must take the whole series again */
    j = dash_series_window_json(&s, 0, false);
    CHECK_NEAR(column_sum(j, "inquiries_started"), 101, 0);   /* nothing lost in merging */
    CHECK_NEAR(column_sum(j, "inquiries_ok"), 100, 0);
    cJSON_Delete(j);
    dash_series_free(&s);

    /* a long run whose first flow comes years after the start (a rollout) */
    dash_series_init(&s, T0);
    dash_series_ended(&s, T0 + 700 * SIM_DAY, FLOW_REPLICA, FLOW_OK, SIM_MS);
    CHECK(s.n >= 1 && s.n <= SERIES_MAX_BUCKETS);
    j = dash_series_window_json(&s, 0, false);
    CHECK_NEAR(column_sum(j, "flows_ended"), 1, 0);
    /* no inquiry answered in a bucket: its latency is a gap (null), not 0 ms */
    CHECK(cJSON_IsNull(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "latency_p50_ms"), 0)));
    cJSON_Delete(j);
    dash_series_free(&s);
}

static void test_log(void)
{
    dash_log l;
    CHECK_INT(dash_log_init(&l), 0);
    char line[200];
    for (int i = 1; i <= LOG_LINES + 10; i++) {
        int n = snprintf(line, sizeof line, "{\"time\":%d,\"kind\":\"%s\",\"node\":\"%s\",\"peer\":\"nws\",\"msg\":%d}",
                         i, i % 2 ? "send" : "recv", i % 3 ? "east" : "west", i);
        dash_log_add(&l, line, (size_t)n);
    }
    log_filter f = {.kind = "send", .node = "west"};
    cJSON *a = dash_log_json(&l, &f, 5);
    CHECK_INT(count_items(a), 5);
    for (cJSON *x = a->child; x; x = x->next) {
        CHECK(strstr(x->valuestring, "\"kind\":\"send\"") && strstr(x->valuestring, "\"node\":\"west\""));
    }
    cJSON_Delete(a);
    /* the message id matches whole numbers only: msg 12 is not msg 120 */
    f = (log_filter){.msg = 8200};
    a = dash_log_json(&l, &f, 10);
    CHECK_INT(count_items(a), 1);
    cJSON_Delete(a);
    f = (log_filter){.msg = 3};   /* long gone: only the newest LOG_LINES are kept */
    a = dash_log_json(&l, &f, 10);
    CHECK_INT(count_items(a), 0);
    cJSON_Delete(a);
    f = (log_filter){.node = "nws"};   /* as node or as peer */
    a = dash_log_json(&l, &f, 3);
    CHECK_INT(count_items(a), 3);
    cJSON_Delete(a);
    /* live updates take at most `limit` new lines and count the rest */
    uint64_t skipped = 0;
    a = dash_log_take_new(&l, 100, &skipped);
    CHECK_INT(count_items(a), 100);
    CHECK_INT(skipped, LOG_LINES + 10 - 100);
    cJSON_Delete(a);
    a = dash_log_take_new(&l, 100, &skipped);
    CHECK_INT(count_items(a), 0);
    CHECK_INT(skipped, 0);
    cJSON_Delete(a);
    dash_log_free(&l);
}

static void on_watchdog(uv_timer_t *h)
{
    fprintf(stderr, "watchdog: the loop did not end within 10 s (the server outlived its run)\n");
    check_failures++;
    uv_stop(h->loop);
}

static void test_closed_with_the_run(void)
{
    sim_world *w;
    node_dash *d;
    CHECK_INT(sim_world_create(&(sim_world_config){.seed = 1, .trace_fd = -1}, &w), 0);
    CHECK_INT(dash_attach(w, &d), 0);
    dash_begin(d);
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_timer_t wd;
    uv_timer_init(&loop, &wd);
    uv_timer_start(&wd, on_watchdog, 10000, 0);
    uv_unref((uv_handle_t *)&wd);
    sim_run *run;
    CHECK_INT(sim_run_create(w, &loop, sim_world_start(w) + SIM_SEC, 0, &run), 0);
    node_dash_serve_config cfg = {.host = "127.0.0.1", .port = 0, .token = "t", .loopback = true};
    CHECK_INT(dash_serve(d, run, &loop, &cfg), 0);
    CHECK(dash_port(d) > 0);
    /* let its ticker fire once while the run is there */
    uv_run(&loop, UV_RUN_NOWAIT);
    sim_run_close(run);   /* what the app does when --listen then fails */
    CHECK_INT(dash_port(d), -1);
    CHECK_INT(uv_run(&loop, UV_RUN_DEFAULT), 0);
    uv_close((uv_handle_t *)&wd, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    CHECK_INT(uv_loop_close(&loop), 0);
    dash_destroy(d);
    sim_world_destroy(w);
}

int main(void)
{
    test_closed_with_the_run();
    test_series();
    test_log();
    CHECK_DONE();
}
