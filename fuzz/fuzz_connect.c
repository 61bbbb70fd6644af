/* fuzz/fuzz_connect.c - the connection-test API (nodes/connect: connect_api.c routing, the
 * request reader connect_read.c, the writes and their field checks, the bulk-file reader) fed
 * as a vendor's system would feed it, without HTTP, through connect_request_call (the same
 * entry the replay and tests/test_connect.c use).
 *
 * Input: up to MAX_REQUESTS requests separated by a line "--"; each is a first line
 * "METHOD /path[?a=b&c=d]" and the body after it (a JSON object, or a bulk file of JSON lines).
 * Between two requests the world runs a simulated second, so that accepted operations go on
 * (inquiries answered, replicas stored) and later reads see them. The world (small.lua +
 * scripts/connect/vendor_plain.lua, Osaka city under test) takes ~90 ms to open, so it is kept
 * for RESET_EVERY inputs and then opened afresh: a finding reproduces from its file alone in
 * most cases (run alone, it gets a fresh world), and state left by earlier inputs is bounded.
 * Anything but a crash, a sanitizer report or a hang is fine: refusals are the API's business. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

enum { MAX_REQUESTS = 8, MAX_QUERY = 16, RESET_EVERY = 256 };

/* The kept world (see fuzz/fuzz.h on why a static). */
static struct {
    fuzz_twin t;
    unsigned inputs;
    sim_time_t now;
} kept;

/* "a=b&c=d" -> {"a":"b","c":"d"} (no %-decoding: connect_request_call takes decoded values). */
static cJSON *query_object(const char *q)
{
    cJSON *o = cJSON_CreateObject();
    char *copy = strdup(q);
    if (!o || !copy) {
        free(copy);
        return o;
    }
    int n = 0;
    for (char *save = NULL, *kv = strtok_r(copy, "&", &save); kv && n < MAX_QUERY; kv = strtok_r(NULL, "&", &save), n++) {
        char *eq = strchr(kv, '=');
        if (eq) *eq = '\0';
        if (!cJSON_GetObjectItemCaseSensitive(o, kv)) cJSON_AddStringToObject(o, kv, eq ? eq + 1 : "");
    }
    free(copy);
    return o;
}

static void one_request(fuzz_twin *t, const char *req, size_t len)
{
    const char *nl = memchr(req, '\n', len);
    size_t head_len = nl ? (size_t)(nl - req) : len;
    char head[512];
    if (head_len >= sizeof head) return;
    memcpy(head, req, head_len);
    head[head_len] = '\0';
    if (memchr(head, '\0', head_len)) return;
    char *sp = strchr(head, ' ');
    if (!sp) return;
    *sp = '\0';
    char *path = sp + 1, *qm = strchr(path, '?');
    cJSON *query = NULL;
    if (qm) {
        *qm = '\0';
        query = query_object(qm + 1);
    }
    const char *body = nl ? nl + 1 : NULL;
    size_t body_len = nl ? len - head_len - 1 : 0;
    char *answer = NULL;
    int status = connect_request_call(t->c, head, path, query, body, body_len, &answer);
    if (status < 100 || status > 599) abort();
    free(answer);
    cJSON_Delete(query);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (kept.t.w && ++kept.inputs >= RESET_EVERY) fuzz_twin_close(&kept.t);
    if (!kept.t.w) {
        if (fuzz_twin_open(&kept.t, 1) < 0) abort();
        kept.inputs = 0;
        kept.now = sim_world_start(kept.t.w);
    }
    fuzz_twin *t = &kept.t;
    const char *p = (const char *)data, *end = p + size;
    static const char sep[] = "\n--\n";
    for (int i = 0; i < MAX_REQUESTS && p < end; i++) {
        const char *next = NULL;
        for (const char *s = p; s + sizeof sep - 1 <= end; s++)
            if (memcmp(s, sep, sizeof sep - 1) == 0) {
                next = s;
                break;
            }
        size_t len = next ? (size_t)(next - p) : (size_t)(end - p);
        one_request(t, p, len);
        kept.now += SIM_SEC;
        sim_world_run(t->w, kept.now, 0);
        sim_world_advance(t->w, kept.now);
        p = next ? next + sizeof sep - 1 : end;
    }
    return 0;
}
