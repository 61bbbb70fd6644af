/* fuzz/fuzz_http.c - the HTTP layer (sim/sim_http.c over http_parser) fed raw bytes as a client
 * connection would send them: request lines, headers (Host, Expect, the token, chunked and
 * pipelined bodies), bodies, queries with %-escapes, static-file paths (web/), an event stream.
 *
 * Input: the bytes one connection sends before it half-closes (fuzz_client.h). The server is
 * opened once with routes of every kind the dashboard and the connection test use (exact and
 * prefix paths, token-protected ones, JSON bodies read strictly, a query parameter, an event
 * stream) and small limits so the fuzzer reaches them; it runs in this process's own loop.
 * Whatever status comes back is fine; a crash, a sanitizer report, or a connection the server
 * keeps after the client's end (a hang) is a finding. */
#include "fuzz.h"
#include "fuzz_client.h"
#include "sim_http.h"

#include <stdlib.h>

static const char TOKEN[] = "fuzztoken";

static void h_get(sim_http_req *r, void *ud)
{
    char q[64];
    int rc = sim_http_req_query(r, "q", q, sizeof q);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", sim_http_req_path(r));
    cJSON_AddStringToObject(o, "q", rc == 0 ? q : "");
    cJSON_AddNumberToObject(o, "token", sim_http_req_token(r));
    sim_http_respond_json(r, 200, o);
}

static void h_json(sim_http_req *r, void *ud)
{
    cJSON *j = sim_http_req_json(r);   /* answers 400 itself when the body is refused */
    if (j) sim_http_respond_json(r, 200, j);
}

static void h_checked(sim_http_req *r, void *ud)
{
    char name[32], why[160];
    if (sim_http_req_query_check(r, name, sizeof name, why, sizeof why) < 0) {
        sim_http_respond_error(r, 400, "%s: %s", name, why);
        return;
    }
    sim_http_req_add_header(r, "X-Fuzz", "1");
    size_t len;
    const char *body = sim_http_req_body(r, &len);
    sim_http_respond(r, 200, "text/plain", body, len);
}

static void h_sse(sim_http_req *r, void *ud)
{
    if (sim_http_sse_open(r, 0) == 0) sim_http_sse_broadcast(sim_http_req_server(r), 0, "tick", "a\nb", 3);
}

static const sim_http_route routes[] = {
    {SIM_HTTP_GET | SIM_HTTP_HEAD, "/get", false, h_get},
    {SIM_HTTP_POST, "/json", true, h_json},
    {SIM_HTTP_PUT | SIM_HTTP_PATCH | SIM_HTTP_DELETE, "/any/*", true, h_checked},
    {SIM_HTTP_POST | SIM_HTTP_OPTIONS, "/open", false, h_checked},
    {SIM_HTTP_GET, "/sse", false, h_sse},
};

/* The loop and the server, opened at the first input (see fuzz/fuzz.h on why a static). */
static struct {
    uv_loop_t loop;
    sim_http *http;
} kept;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!kept.http) {
        uv_loop_init(&kept.loop);
        sim_http_config cfg = {.host = "127.0.0.1", .port = 0, .static_root = "web", .token = TOKEN,
                               .loopback_hosts_only = true, .routes = routes,
                               .nroutes = sizeof routes / sizeof routes[0],
                               .limits = {.max_header_bytes = 2048, .max_body_bytes = 4096, .max_file_bytes = 1 << 20}};
        if (sim_http_create(&kept.loop, &cfg, &kept.http) < 0) abort();
    }
    if (fuzz_client_send(&kept.loop, sim_http_port(kept.http), data, size) < 0) abort();
    /* the server's side of the connection is closing: let its close callbacks run */
    for (int i = 0; i < 4 && sim_http_connections(kept.http); i++) uv_run(&kept.loop, UV_RUN_NOWAIT);
    return 0;
}
