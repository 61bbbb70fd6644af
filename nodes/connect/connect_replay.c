/* connect/connect_replay.c - a recorded connection-test session, read back and re-executed.
 *
 * The session log (connect/connect_http.c) has the run's identity on its first line, then one
 * line per request that reached the API, each with the point it entered the simulation: the
 * number of events dispatched before it and the simulated time. The replay runs the world to
 * exactly that many events (never past that time), sets the clock, and hands the same request
 * to the same API: the world changes exactly as it did live, so the trace hash is the same,
 * and each answer's digest is compared with the recorded one. Refusals (rate limit, token)
 * never reached the world: they only count again in the report. Requests come in through
 * connect_request_call too, which the tests use to drive the API without HTTP. The log is read by
 * the strict reader (sim_json.h): a line it refuses is named with its byte and rule. */
#include "connect/connect_internal.h"
#include "sim_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node_connect_session {
    char *path;
    cJSON *header;
    cJSON **lines;              /* requests and refusals, in order */
    size_t n;
    cJSON *end;                 /* the last line, or NULL when the session was cut short */
    char lg[8];
};

void connect_session_free(node_connect_session *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) cJSON_Delete(s->lines[i]);
    free(s->lines);
    cJSON_Delete(s->header);
    cJSON_Delete(s->end);
    free(s->path);
    free(s);
}

static char *read_all(FILE *f, size_t *len)
{
    char *text = NULL;
    size_t cap = 0, n = 0, k;
    char chunk[65536];
    *len = 0;
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n + k + 1 > cap) {
            cap = (n + k + 1) * 2;
            char *p = realloc(text, cap);
            if (!p) {
                free(text);
                return NULL;
            }
            text = p;
        }
        memcpy(text + n, chunk, k);
        n += k;
    }
    if (!text) text = calloc(1, 1);
    if (text) text[n] = '\0';
    *len = n;
    return text;
}

int connect_session_load(const char *path, node_connect_session **out, char *why, size_t n)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, n, "--replay-session %s: %s", path, strerror(errno));
        return -errno;
    }
    size_t len;
    char *text = read_all(f, &len);
    fclose(f);
    node_connect_session *s = calloc(1, sizeof *s);
    if (!text || !s || !(s->path = strdup(path))) {
        free(text);
        connect_session_free(s);
        snprintf(why, n, "--replay-session %s: out of memory", path);
        return -ENOMEM;
    }
    int rc = 0;
    size_t lineno = 0, cap = 0;
    for (size_t off = 0; off < len && rc == 0;) {
        char *p = text + off;
        const char *nl = memchr(p, '\n', len - off);
        size_t line_len = nl ? (size_t)(nl - p) : len - off;
        off += line_len + (nl ? 1 : 0);
        lineno++;
        if (!line_len) continue;
        cJSON *o = NULL;
        sim_json_error e;
        int prc = sim_json_parse_ex(p, line_len, &o, &e);
        if (prc < 0 || !cJSON_IsObject(o)) {
            cJSON_Delete(o);
            if (prc < 0) snprintf(why, n, "--replay-session %s:%zu: not strict JSON: %s", path, lineno, e.why);
            else snprintf(why, n, "--replay-session %s:%zu: not a JSON object", path, lineno);
            rc = prc == -ENOMEM ? -ENOMEM : -EINVAL;
        } else if (!s->header) {
            s->header = o;
            const cJSON *lg = cJSON_GetObjectItem(o, "lg");
            if (!cJSON_IsString(cJSON_GetObjectItem(o, "session")) || !cJSON_IsString(lg) || strlen(lg->valuestring) != 6) {
                snprintf(why, n, "--replay-session %s: not a renkei connection-test session log", path);
                rc = -EINVAL;
            } else {
                snprintf(s->lg, sizeof s->lg, "%s", lg->valuestring);
            }
        } else if (s->end) {
            cJSON_Delete(o);
            snprintf(why, n, "--replay-session %s:%zu: a line after the session's end", path, lineno);
            rc = -EINVAL;
        } else if (cJSON_GetObjectItem(o, "end")) {
            s->end = o;
        } else {
            bool refused = cJSON_IsString(cJSON_GetObjectItem(o, "refused"));
            if (!cJSON_IsString(cJSON_GetObjectItem(o, "method")) || !cJSON_IsString(cJSON_GetObjectItem(o, "path")) ||
                !cJSON_IsNumber(cJSON_GetObjectItem(o, "status")) ||
                (!refused && (!cJSON_IsNumber(cJSON_GetObjectItem(o, "events")) ||
                              !cJSON_IsString(cJSON_GetObjectItem(o, "t_us"))))) {
                cJSON_Delete(o);
                snprintf(why, n, "--replay-session %s:%zu: a request line lacks method, path, status, events or t_us", path, lineno);
                rc = -EINVAL;
            } else {
                if (s->n == cap) {
                    cap = cap ? cap * 2 : 256;
                    cJSON **l = realloc(s->lines, cap * sizeof *l);
                    if (!l) {
                        cJSON_Delete(o);
                        rc = -ENOMEM;
                        break;
                    }
                    s->lines = l;
                }
                s->lines[s->n++] = o;
            }
        }
    }
    free(text);
    if (rc == 0 && !s->header) {
        snprintf(why, n, "--replay-session %s: empty", path);
        rc = -EINVAL;
    }
    if (rc < 0) {
        connect_session_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

const char *connect_session_lg(const node_connect_session *s) { return s->lg; }

static bool same_strings(const cJSON *list, const char *const *v, int n)
{
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) != n) return false;
    int i = 0;
    for (const cJSON *x = list->child; x; x = x->next, i++)
        if (!cJSON_IsString(x) || strcmp(x->valuestring, v[i]) != 0) return false;
    return true;
}

int connect_session_check(const node_connect_session *s, const node_connect_run_info *info, char *why, size_t n)
{
    const cJSON *h = s->header;
    const cJSON *seed = cJSON_GetObjectItem(h, "seed"), *until = cJSON_GetObjectItem(h, "until");
    const char *what = NULL;
    if (!cJSON_IsNumber(seed) || (unsigned long long)seed->valuedouble != info->seed) what = "--seed";
    else if (!same_strings(cJSON_GetObjectItem(h, "scripts"), info->scripts, info->nscripts)) what = "the scripts";
    else if (!same_strings(cJSON_GetObjectItem(h, "sets"), info->sets, info->nsets)) what = "the --set values";
    else if (cJSON_IsString(until) ? !info->until || strcmp(until->valuestring, info->until) != 0 : info->until != NULL)
        what = "--until";
    if (!what) return 0;
    /* The command that recorded it, to say exactly what to run. */
    char cmd[600];
    size_t k = (size_t)snprintf(cmd, sizeof cmd, "renkei run");
    const cJSON *x;
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(h, "scripts")) if (k < sizeof cmd) k += (size_t)snprintf(cmd + k, sizeof cmd - k, " %s", x->valuestring);
    if (k < sizeof cmd && cJSON_IsNumber(seed)) k += (size_t)snprintf(cmd + k, sizeof cmd - k, " --seed %.0f", seed->valuedouble);
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(h, "sets")) if (k < sizeof cmd) k += (size_t)snprintf(cmd + k, sizeof cmd - k, " --set '%s'", x->valuestring);
    if (k < sizeof cmd && cJSON_IsString(until)) k += (size_t)snprintf(cmd + k, sizeof cmd - k, " --until '%s'", until->valuestring);
    snprintf(why, n, "--replay-session %s: %s differ from the recorded run; replay with: %s --replay-session %s", s->path,
             what, cmd, s->path);
    return -EINVAL;
}

/* ---- re-executing ---------------------------------------------------------------------- */

static connect_op op_named(const char *name)
{
    for (int k = 0; k < OP_COUNT; k++)
        if (strcmp(connect_op_name((connect_op)k), name) == 0) return (connect_op)k;
    return OP_UNKNOWN;
}

/* One request through the API: the answer in a (its text in *text, the caller frees). */
static void execute(node_connect *c, const cJSON *line, unsigned method, const char *path, const cJSON *query,
                    const char *req_body, size_t len, connect_answer *a, char **text, size_t *text_len)
{
    const char *ctype;
    const cJSON *wall = cJSON_GetObjectItem(line, "wall_ms");
    connect_call call = {.method = method, .path = path, .body = req_body ? req_body : "", .body_len = req_body ? len : 0,
                         .query = query, .client = cJSON_GetStringValue(cJSON_GetObjectItem(line, "client")),
                         .wall_ms = cJSON_IsNumber(wall) ? wall->valuedouble : -1};
    *a = (connect_answer){.compare = true};
    connect_api_handle(c, &call, a);
    *text = connect_answer_text(a, text_len, &ctype);
    connect_report_request(&c->rep, a->op, a->status, a->json, -1);
}

int connect_request_call(node_connect *c, const char *method, const char *path, const cJSON *query, const char *req_body,
                      size_t len, char **answer)
{
    connect_answer a;
    size_t n;
    execute(c, NULL, connect_method_of(method), path, query, req_body, len, &a, answer, &n);
    int status = a.status;
    connect_answer_free(&a);
    return status;
}

/* The body as recorded: text, or hex (bodies with NUL bytes). */
static char *recorded_body(const cJSON *line, size_t *len)
{
    const cJSON *b = cJSON_GetObjectItem(line, "body"), *hex = cJSON_GetObjectItem(line, "body_hex");
    *len = 0;
    if (cJSON_IsString(b)) {
        *len = strlen(b->valuestring);
        return strdup(b->valuestring);
    }
    if (!cJSON_IsString(hex)) return calloc(1, 1);
    size_t n = strlen(hex->valuestring) / 2;
    char *out = malloc(n + 1);
    for (size_t i = 0; out && i < n; i++) {
        unsigned v = 0;
        sscanf(hex->valuestring + 2 * i, "%2x", &v);
        out[i] = (char)v;
    }
    if (out) out[n] = '\0';
    *len = n;
    return out;
}

/* Run the world to exactly `events` dispatched events, none after `t`, and set its clock to t:
 * the point where a request entered the live run. */
static int advance_to(node_connect *c, uint64_t events, sim_time_t t, size_t seq, char *why, size_t n)
{
    sim_world *w = c->w;
    for (;;) {
        uint64_t done = sim_world_stats_get(w)->events;
        const char *reason = NULL;
        if (sim_world_halted(w, &reason)) {
            snprintf(why, n, "the run halted before request %zu: %s", seq, reason ? reason : "");
            return -EPROTO;
        }
        if (done == events) break;
        if (done > events || sim_world_run(w, t, events - done) == 0) {
            snprintf(why, n, "the run diverged before request %zu: %llu events by then, the session recorded %llu",
                     seq, (unsigned long long)sim_world_stats_get(w)->events, (unsigned long long)events);
            return -EPROTO;
        }
    }
    sim_time_t next;
    if (t < sim_world_now(w) || (sim_world_next_time(w, &next) == 0 && next < t)) {
        snprintf(why, n, "the run diverged before request %zu: an event is due before its recorded time", seq);
        return -EPROTO;
    }
    sim_world_advance(w, t);
    return 0;
}

/* Refusals as recorded (they never reached the world): counted again in the report. */
static void count_refusals(node_connect *c, connect_op op, int status, const char *code, uint64_t count)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "code", code);
    cJSON_AddStringToObject(a, "error", "refused before the API (recorded)");
    for (uint64_t i = 0; i < count; i++) connect_report_request(&c->rep, op, status, a, -1);
    cJSON_Delete(a);
}

int connect_replay(node_connect *c, node_connect_session *s, char *why, size_t n)
{
    c->replaying = true;
    int rc = 0;
    for (size_t i = 0; i < s->n && rc == 0; i++) {
        const cJSON *line = s->lines[i];
        const cJSON *refused = cJSON_GetObjectItem(line, "refused");
        int status = cJSON_GetObjectItem(line, "status")->valueint;
        connect_op op = op_named(cJSON_IsString(cJSON_GetObjectItem(line, "op")) ? cJSON_GetObjectItem(line, "op")->valuestring : "");
        if (cJSON_IsString(refused)) {   /* it never reached the world: the report counts it */
            count_refusals(c, op, status, refused->valuestring, 1);
            const cJSON *wall = cJSON_GetObjectItem(line, "wall_ms"), *retry = cJSON_GetObjectItem(line, "retry_after_ms");
            connect_cases_refused(c, cJSON_GetStringValue(cJSON_GetObjectItem(line, "client")),
                                  cJSON_IsNumber(wall) ? wall->valuedouble : -1, status, cJSON_IsNumber(retry) ? retry->valuedouble : 0);
            continue;
        }
        uint64_t events = (uint64_t)cJSON_GetObjectItem(line, "events")->valuedouble;
        sim_time_t t = strtoll(cJSON_GetObjectItem(line, "t_us")->valuestring, NULL, 10);
        rc = advance_to(c, events, t, i + 1, why, n);
        if (rc < 0) break;
        size_t len, text_len;
        char *req_body = recorded_body(line, &len), *text = NULL;
        connect_answer a;
        execute(c, line, connect_method_of(cJSON_GetObjectItem(line, "method")->valuestring), cJSON_GetObjectItem(line, "path")->valuestring,
                cJSON_GetObjectItem(line, "query"), req_body, len, &a, &text, &text_len);
        c->rep.replayed++;
        const cJSON *recorded = cJSON_GetObjectItem(line, "answer");
        char digest[33];
        connect_digest(text ? text : "", text ? text_len : 0, digest);
        bool compare = !cJSON_IsFalse(cJSON_GetObjectItem(line, "compare"));
        if (compare && (a.status != status || !cJSON_IsString(recorded) || strcmp(recorded->valuestring, digest) != 0)) {
            if (!c->rep.diverged++)
                snprintf(c->rep.first_divergence, sizeof c->rep.first_divergence,
                         "request %zu (%s %s): answered %d (%s), recorded %d (%s)", i + 1,
                         cJSON_GetObjectItem(line, "method")->valuestring, cJSON_GetObjectItem(line, "path")->valuestring,
                         a.status, digest, status, cJSON_IsString(recorded) ? recorded->valuestring : "?");
            sim_json_utf8_trim(c->rep.first_divergence);   /* a long path cut short */
        }
        free(text);
        free(req_body);
        connect_answer_free(&a);
    }
    if (rc == 0 && s->end) {
        const cJSON *end = cJSON_GetObjectItem(s->end, "end");
        const cJSON *ev = cJSON_GetObjectItem(s->end, "events"), *t = cJSON_GetObjectItem(s->end, "t_us");
        const cJSON *h = cJSON_GetObjectItem(s->end, "http");
        if (cJSON_IsObject(h)) {   /* the live listener's figures, for the report */
            const cJSON *v;
            if (cJSON_IsNumber(v = cJSON_GetObjectItem(h, "connections"))) c->rep.http_accepted = (uint64_t)v->valuedouble;
            if (cJSON_IsNumber(v = cJSON_GetObjectItem(h, "refused_connections"))) c->rep.http_refused = (uint64_t)v->valuedouble;
        }
        const cJSON *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(s->end, "refusals_not_logged"))
        {
            const cJSON *op = cJSON_GetObjectItem(x, "op"), *st = cJSON_GetObjectItem(x, "status"),
                        *code = cJSON_GetObjectItem(x, "refused"), *count = cJSON_GetObjectItem(x, "count");
            if (cJSON_IsString(op) && cJSON_IsNumber(st) && cJSON_IsString(code) && cJSON_IsNumber(count))
                count_refusals(c, op_named(op->valuestring), st->valueint, code->valuestring, (uint64_t)count->valuedouble);
        }
        bool stopped = cJSON_IsString(end) && (strcmp(end->valuestring, "api") == 0 || strcmp(end->valuestring, "interrupted") == 0);
        if (stopped && cJSON_IsNumber(ev) && cJSON_IsString(t)) {
            rc = advance_to(c, (uint64_t)ev->valuedouble, strtoll(t->valuestring, NULL, 10), s->n + 1, why, n);
            if (rc == 0) {
                c->ended_by_session = true;
                rc = 1;
            }
        }
    }
    if (rc < 0) {   /* the record cannot be followed further: a failure of the run, said once */
        c->rep.diverged++;
        snprintf(c->rep.first_divergence, sizeof c->rep.first_divergence, "%s", why);
        sim_json_utf8_trim(c->rep.first_divergence);
        c->ended_by_session = true;
    }
    connect_session_free(s);
    return rc;
}
