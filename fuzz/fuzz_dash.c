/* fuzz/fuzz_dash.c - the dashboard's API (nodes/dash/dash.c: its routes, query parameters and
 * JSON bodies; the controls that drive the run: pause, resume, step, speed, until, narration,
 * follow, faults injected and cleared) fed through its real HTTP server in this process's loop
 * (fuzz_client.h), as the page or a script with the token would.
 *
 * Input: up to MAX_REQUESTS requests separated by a line "--"; each is a first line
 * "METHOD /path[?query]" and the body after it. The driver makes each a well-formed HTTP/1.1
 * request with Host, the token and Content-Length (the raw HTTP layer is fuzz_http's), sends
 * it on a connection of its own and pauses the run afterwards, so an input moves the run at
 * most by what its controls asked. The world (topologies/small.lua with
 * scripts/training/child_allowance.lua, served paused at speed 60) is kept for RESET_EVERY
 * inputs, or until its run ends, then closed (which must leave no handle open) and opened
 * afresh. Refusals are fine; a crash, a sanitizer report or a hang is a finding. */
#include "fuzz.h"
#include "fuzz_client.h"
#include "dash/dash.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_REQUESTS = 4, RESET_EVERY = 500 };

static const char TOKEN[] = "fuzztoken";

/* The loop and the served world (see fuzz/fuzz.h on why a static). */
static struct {
    uv_loop_t loop;
    bool loop_open;
    sim_world *w;
    sim_lua *sl;
    node_dash *d;
    sim_run *run;
    unsigned inputs;
} kept;

static void run_done(sim_run *r, void *arg) {}

static void close_world(void)
{
    sim_run_close(kept.run);   /* the dashboard's server goes with its run */
    uv_run(&kept.loop, UV_RUN_DEFAULT);
    dash_destroy(kept.d);
    sim_world_destroy(kept.w);
    sim_lua_destroy(kept.sl);
    kept.w = NULL;
}

static int open_world(void)
{
    if (!kept.loop_open) {
        uv_loop_init(&kept.loop);
        kept.loop_open = true;
    }
    if (sim_world_create(&(sim_world_config){.seed = 1, .trace_fd = -1}, &kept.w) < 0 ||
        sim_lua_create(kept.w, &(sim_lua_config){.quiet = true}, &kept.sl) < 0 || dash_attach(kept.w, &kept.d) < 0 ||
        sim_lua_open_lib(kept.sl, script_open_lua) < 0 || sim_lua_open_lib(kept.sl, dash_open_lua) < 0 ||
        sim_lua_load_file(kept.sl, "topologies/small.lua") < 0 ||
        sim_lua_load_file(kept.sl, "scripts/training/child_allowance.lua") < 0)
        return -1;
    sim_time_t until = sim_world_start(kept.w) + SIM_DAY;
    dash_begin(kept.d);
    if (sim_world_start_nodes(kept.w) < 0 || sim_lua_begin_run(kept.sl, until) < 0 ||
        sim_run_create(kept.w, &kept.loop, until, 60, &kept.run) < 0)
        return -1;
    node_dash_serve_config cfg = {.host = "127.0.0.1", .port = 0, .web_root = "web", .token = TOKEN, .loopback = true};
    if (dash_serve(kept.d, kept.run, &kept.loop, &cfg) < 0 || sim_run_start(kept.run, run_done, NULL) < 0) return -1;
    sim_run_pause(kept.run);
    kept.inputs = 0;
    return 0;
}

static void one_request(const char *req, size_t len)
{
    const char *nl = memchr(req, '\n', len);
    size_t head_len = nl ? (size_t)(nl - req) : len;
    const char *body = nl ? nl + 1 : "";
    size_t body_len = nl ? len - head_len - 1 : 0;
    if (head_len > 1024 || memchr(req, '\r', head_len)) return;   /* one request line, made below */
    const char *sp = memchr(req, ' ', head_len);
    if (!sp) return;
    char head[1400];
    int n = snprintf(head, sizeof head, "%.*s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n", (int)head_len, req, TOKEN, body_len);
    if (n < 0 || (size_t)n >= sizeof head) return;
    char *msg = malloc((size_t)n + body_len);
    if (!msg) return;
    memcpy(msg, head, (size_t)n);
    memcpy(msg + n, body, body_len);
    if (fuzz_client_send(&kept.loop, dash_port(kept.d), msg, (size_t)n + body_len) < 0) abort();
    free(msg);
    sim_run_pause(kept.run);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (kept.w && (++kept.inputs >= RESET_EVERY || sim_run_get_state(kept.run) == SIM_RUN_DONE)) close_world();
    if (!kept.w && open_world() < 0) {
        fprintf(stderr, "fuzz_dash: cannot open the served world (run from the source tree)\n");
        abort();
    }
    const char *p = (const char *)data, *end = p + size;
    static const char sep[] = "\n--\n";
    for (int i = 0; i < MAX_REQUESTS && p < end; i++) {
        const char *next = NULL;
        for (const char *s = p; s + sizeof sep - 1 <= end; s++)
            if (memcmp(s, sep, sizeof sep - 1) == 0) {
                next = s;
                break;
            }
        one_request(p, next ? (size_t)(next - p) : (size_t)(end - p));
        p = next ? next + sizeof sep - 1 : end;
    }
    return 0;
}
