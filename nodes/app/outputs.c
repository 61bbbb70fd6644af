/* app/outputs.c - what a run reports: summary.json (and report.html), the printed summary,
 * the replay command. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "report/report.h"
#include "report/report_html.h"
#include "rollout/rollout.h"

static void add_time(cJSON *obj, const char *key, sim_time_t t)
{
    char buf[SIM_TIME_BUFSZ];
    sim_time_format_iso(t, buf, sizeof buf);
    cJSON_AddStringToObject(obj, key, buf);
}

char *app_replay_command(const session *s)
{
    size_t n = 80;
    for (int i = 0; i < s->o.nfiles; i++) n += strlen(s->o.files[i]) + 1;
    for (int i = 0; i < s->o.nsets; i++) n += strlen(s->o.sets[i]) + 8;
    n += s->o.until ? strlen(s->o.until) + 12 : 0;
    /* a connection test is replayed from its session log */
    const char *session_log = s->o.replay_session;
    char log[4096] = "";
    if (s->o.connect && s->o.out_dir) snprintf(log, sizeof log, "%s/connect_session.jsonl", s->o.out_dir);
    if (log[0]) session_log = log;
    n += session_log ? strlen(session_log) + 20 : 0;
    char *cmd = malloc(n);
    if (!cmd) return NULL;
    size_t len = (size_t)snprintf(cmd, n, "renkei run");
    for (int i = 0; i < s->o.nfiles; i++) len += (size_t)snprintf(cmd + len, n - len, " %s", s->o.files[i]);
    len += (size_t)snprintf(cmd + len, n - len, " --seed %" PRIu64, s->o.seed);
    if (s->o.until) len += (size_t)snprintf(cmd + len, n - len, " --until '%s'", s->o.until);
    if (s->o.trace_level != SIM_TRACE_ALL) len += (size_t)snprintf(cmd + len, n - len, " --trace %s", sim_trace_level_name(s->o.trace_level));
    for (int i = 0; i < s->o.nsets; i++) len += (size_t)snprintf(cmd + len, n - len, " --set '%s'", s->o.sets[i]);
    if (session_log) snprintf(cmd + len, n - len, " --replay-session %s", session_log);
    return cmd;
}

const char *app_end_name(sim_run_end e)
{
    switch (e) {
    case SIM_END_UNTIL: return "until";
    case SIM_END_DRAINED: return "drained";
    case SIM_END_HALTED: return "error";
    case SIM_END_STOPPED: return "interrupted";
    default: return "none";
    }
}

const char *app_end_reason(const run_result *r)
{
    if (r->ended_by) return r->ended_by;
    if (r->halt_reason) return "internal_failure";
    return r->terminated ? "terminated" : app_end_name(r->end);
}

int app_write_json(session *s, const char *name, const cJSON *root)
{
    char *text = cJSON_Print(root);
    const char *path = text ? app_out_part(s, name) : NULL;
    FILE *f = path ? fopen(path, "w") : NULL;
    int rc = !text || !path ? -ENOMEM : !f ? -errno : 0;
    if (f && (fputs(text, f) < 0 || fputc('\n', f) == EOF)) rc = errno ? -errno : -EIO;
    if (f && fclose(f) != 0 && rc == 0) rc = errno ? -errno : -EIO;
    cJSON_free(text);
    if (rc < 0) {
        fprintf(stderr, "renkei: cannot write %s: %s\n", path ? path : name, strerror(-rc));
        return rc;
    }
    return app_out_commit(s, name);
}

/* A failure of one output, in summary.json ("trace", "report"): {"complete": false, "error"}. */
static void output_state(cJSON *root, const char *key, const char *file, int err)
{
    cJSON *o = cJSON_AddObjectToObject(root, key);
    cJSON_AddStringToObject(o, "file", file);
    cJSON_AddBoolToObject(o, "complete", err == 0);
    if (err) {
        char why[300];
        snprintf(why, sizeof why, "cannot write %s: %s", file, strerror(err));
        cJSON_AddStringToObject(o, "error", why);
    }
}

/* The connection test's evidence bundle, next to the summary it is drawn from. */
static int write_evidence(session *s, const cJSON *root)
{
    char *json = app_out_part(s, "connect_evidence.json");
    json = json ? strdup(json) : NULL;
    const char *html = json ? app_out_part(s, "connect_evidence.html") : NULL;
    int rc = html ? connect_evidence_write(s->connect, root, json, html) : -ENOMEM;
    free(json);
    if (rc < 0) fprintf(stderr, "renkei: cannot write the evidence bundle (connect_evidence.json): %s\n", strerror(-rc));
    if (rc == 0) rc = app_out_commit(s, "connect_evidence.json");
    if (rc == 0) rc = app_out_commit(s, "connect_evidence.html");
    return rc;
}

int app_write_summary(session *s, const run_result *r, sim_time_t until, int *status)
{
    const sim_world_stats *st = sim_world_stats_get(s->w);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "renkei", RENKEI_VERSION);
    cJSON_AddNumberToObject(root, "seed", (double)s->o.seed);
    cJSON *files = cJSON_AddArrayToObject(root, "scripts");
    for (int i = 0; i < s->o.nfiles; i++) cJSON_AddItemToArray(files, cJSON_CreateString(s->o.files[i]));
    add_time(root, "start", sim_world_start(s->w));
    add_time(root, "end", sim_world_now(s->w));
    add_time(root, "until", until);
    cJSON_AddNumberToObject(root, "start_us", (double)sim_world_start(s->w));
    cJSON_AddNumberToObject(root, "end_us", (double)sim_world_now(s->w));
    cJSON_AddStringToObject(root, "end_reason", app_end_reason(r));
    if (r->halt_reason) cJSON_AddStringToObject(root, "halt_reason", r->halt_reason);   /* the run is incomplete */
    cJSON_AddBoolToObject(root, "interrupted", r->end == SIM_END_STOPPED && !r->ended_by);
    cJSON_AddStringToObject(root, "mode", s->o.speed > 0 ? "paced" : "fast");
    if (s->o.speed > 0) cJSON_AddNumberToObject(root, "speed", s->o.speed);
    cJSON_AddNumberToObject(root, "events", (double)st->events);
    cJSON_AddNumberToObject(root, "wall_s", r->wall_s);
    cJSON_AddNumberToObject(root, "events_per_s", r->wall_s > 0 ? (double)st->events / r->wall_s : 0);
    cJSON_AddNumberToObject(root, "sim_per_wall", r->wall_s > 0 ? (double)(sim_world_now(s->w) - sim_world_start(s->w)) / 1e6 / r->wall_s : 0);
    /* a hash and a count only for a trace that is there to check them against */
    bool trace_ok = r->hash_ok && !r->trace_errno;
    cJSON_AddStringToObject(root, "trace_level", sim_trace_level_name(s->o.trace_level));
    cJSON_AddStringToObject(root, "trace_hash", trace_ok ? r->hash : "");
    if (trace_ok) cJSON_AddNumberToObject(root, "trace_records", (double)sim_world_trace_records(s->w));
    else cJSON_AddNullToObject(root, "trace_records");
    const char *snap_key, *snap = sim_world_snapshot_used(s->w, &snap_key);
    if (snap) {   /* the day before from a snapshot, or kept as one (sim_snapshot.h) */
        cJSON *o = cJSON_AddObjectToObject(root, "snapshot");
        cJSON_AddStringToObject(o, "key", snap_key);
        cJSON_AddStringToObject(o, "status", snap);
    }
    cJSON *msgs = cJSON_AddObjectToObject(root, "messages");
    cJSON_AddNumberToObject(msgs, "sent", (double)st->msgs_sent);
    cJSON_AddNumberToObject(msgs, "delivered", (double)st->msgs_delivered);
    cJSON_AddNumberToObject(msgs, "dropped", (double)st->msgs_dropped);
    cJSON *drops = cJSON_AddObjectToObject(msgs, "drops");
    cJSON_AddNumberToObject(drops, "no_link", (double)st->drops_no_link);
    cJSON_AddNumberToObject(drops, "link_down", (double)st->drops_link_down);
    cJSON_AddNumberToObject(drops, "loss", (double)st->drops_loss);
    cJSON_AddNumberToObject(drops, "node_down", (double)st->drops_node_down);
    cJSON_AddNumberToObject(drops, "sender_down", (double)st->drops_sender_down);
    cJSON_AddNumberToObject(root, "nodes", sim_world_node_count(s->w));
    report_json(s->w, root);
    rollout_json(s->w, root);
    if (s->runs) app_runs_json(s->runs, root);
    cJSON *ex = cJSON_AddArrayToObject(root, "expectations");
    for (size_t i = 0; i < sim_lua_expectation_count(s->sl); i++) {
        const sim_expectation *e = sim_lua_expectation(s->sl, i);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", e->name);
        cJSON_AddStringToObject(o, "kind", e->always ? "always" : "end");
        if (e->evaluated) cJSON_AddBoolToObject(o, "passed", e->passed);
        else cJSON_AddNullToObject(o, "passed");
        if (e->message) cJSON_AddStringToObject(o, "message", e->message);
        if (e->evaluated && !e->passed) add_time(o, "failed_at", e->failed_at);
        cJSON_AddItemToArray(ex, o);
    }
    if (sim_lua_error(s->sl)) {
        cJSON_AddStringToObject(root, "error", sim_lua_error(s->sl));
        cJSON_AddStringToObject(root, "traceback", sim_lua_traceback(s->sl));
    }
    char *replay = app_replay_command(s);
    if (replay) cJSON_AddStringToObject(root, "replay", replay);
    free(replay);
    if (s->dash) cJSON_AddItemToObject(root, "series", dash_series_json(s->dash));
    cJSON *branch = s->dash ? dash_branch_json(s->dash) : NULL;
    if (branch) cJSON_AddItemToObject(root, "branch", branch);   /* a served run's changes and rewinds */
    if (s->connect) cJSON_AddItemToObject(root, "connection_test", connect_report_json(s->connect));

    /* trace.jsonl: written as trace.jsonl.part during the run; into place when it is whole */
    int trace_err = r->trace_errno;
    if (s->trace_fd >= 0 && !trace_err && app_out_commit(s, s->trace_name) < 0) trace_err = EIO;
    if (s->trace_fd >= 0) {
        char part[64];
        snprintf(part, sizeof part, "%s.part", s->trace_name);
        output_state(root, "trace", trace_err ? part : s->trace_name, trace_err);
    }
    if (trace_err && (*status == EXIT_PASS || *status == EXIT_FAIL)) *status = EXIT_OUTPUT;
    if (r->session_logged)
        output_state(root, "session_log", r->session_log_errno ? "connect_session.jsonl.part" : "connect_session.jsonl",
                     r->session_log_errno);

    /* the connection test's evidence bundle (connect_evidence.json and .html) */
    if (s->connect && write_evidence(s, root) < 0 && (*status == EXIT_PASS || *status == EXIT_FAIL)) *status = EXIT_OUTPUT;

    /* report.html embeds the summary: written with the status as it stands, and if it fails
     * the summary says so (and the status changes) before summary.json is written */
    bool done = *status == EXIT_PASS || *status == EXIT_FAIL;
    cJSON_AddBoolToObject(root, "complete", done);
    cJSON_AddNumberToObject(root, "exit_status", *status);
    const char *report = app_out_part(s, "report.html");
    int report_rc = report ? report_html_write(report, root) : -ENOMEM;
    if (report_rc < 0) fprintf(stderr, "renkei: cannot write %s: %s\n", report ? report : "report.html", strerror(-report_rc));
    else report_rc = app_out_commit(s, "report.html");
    if (report_rc < 0) {
        output_state(root, "report", "report.html", -report_rc);
        if (done) *status = EXIT_OUTPUT;
        done = false;
        cJSON_ReplaceItemInObject(root, "complete", cJSON_CreateBool(false));
        cJSON_ReplaceItemInObject(root, "exit_status", cJSON_CreateNumber(*status));
    }
    int rc = app_write_json(s, "summary.json", root);
    cJSON_Delete(root);
    if (rc < 0) {
        if (done) *status = EXIT_OUTPUT;
        done = false;
    }
    if (app_outdir_end(s, done) < 0 && *status == EXIT_PASS) *status = EXIT_OUTPUT;
    return rc < 0 || report_rc < 0 || trace_err ? -EIO : 0;
}

static void group(char *buf, size_t n, uint64_t v)
{
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%" PRIu64, v);
    size_t j = 0;
    for (int i = 0; i < len && j + 2 < n; i++) {
        if (i > 0 && (len - i) % 3 == 0) buf[j++] = ',';
        buf[j++] = digits[i];
    }
    buf[j] = '\0';
}

void app_print_summary(session *s, const run_result *r, int status)
{
    const sim_world_stats *st = sim_world_stats_get(s->w);
    char start[SIM_TIME_BUFSZ], end[SIM_TIME_BUFSZ], span[64], a[32], b[32], c[32];
    sim_time_format(sim_world_start(s->w), start, sizeof start);
    sim_time_format(sim_world_now(s->w), end, sizeof end);
    sim_duration_format(sim_world_now(s->w) - sim_world_start(s->w), span, sizeof span);
    printf("\nrenkei: seed %" PRIu64 ", %s -> %s JST (%s simulated), ended: %s\n", s->o.seed, start,
           end, span, app_end_reason(r));
    group(a, sizeof a, st->events);
    group(b, sizeof b, r->wall_s > 0 ? (uint64_t)((double)st->events / r->wall_s) : 0);
    printf("  events     %s in %.3f s wall (%s events/s)\n", a, r->wall_s, b);
    group(a, sizeof a, st->msgs_sent);
    group(b, sizeof b, st->msgs_delivered);
    group(c, sizeof c, st->msgs_dropped);
    printf("  messages   %s sent, %s delivered, %s dropped", a, b, c);
    if (st->msgs_dropped)
        printf(" (no link %" PRIu64 ", link down %" PRIu64 ", loss %" PRIu64 ", node down %" PRIu64 ")",
               st->drops_no_link, st->drops_link_down, st->drops_loss, st->drops_node_down + st->drops_sender_down);
    printf("\n  nodes      %u\n", sim_world_node_count(s->w));
    report_print(s->w, stdout);
    rollout_print(s->w, stdout);
    if (s->connect) connect_print(s->connect, stdout);
    size_t n = sim_lua_expectation_count(s->sl);
    if (n) printf("  expectations\n");
    for (size_t i = 0; i < n; i++) {
        const sim_expectation *e = sim_lua_expectation(s->sl, i);
        const char *mark = !e->evaluated ? "  -  " : e->passed ? "  ok " : "  FAIL";
        printf("  %s %s", mark, e->name);
        if (e->evaluated && !e->passed) {
            char at[SIM_TIME_BUFSZ];
            sim_time_format(e->failed_at, at, sizeof at);
            printf(": %s (at %s)", e->message ? e->message : "failed", at);
        } else if (e->evaluated && e->message && e->message[0]) {
            printf(": %s", e->message);   /* the figure the check returned, as summary.json has it */
        }
        printf("\n");
    }
    if (sim_lua_error(s->sl)) printf("  error      %s\n", sim_lua_error(s->sl));
    if (r->halt_reason) printf("  error      internal failure: %s (the run is incomplete)\n", r->halt_reason);
    if (s->runs) app_runs_print(s->runs);
    if (r->trace_errno)
        printf("  trace      (not written: %s)\n", strerror(r->trace_errno));
    else
        printf("  trace      sha256 %s (%" PRIu64 " records)\n", r->hash_ok ? r->hash : "(unavailable)",
               sim_world_trace_records(s->w));
    if (s->o.out_dir && s->trace_fd >= 0)
        printf("  outputs    %s/summary.json, %s/%s, %s/report.html\n", s->o.out_dir, s->o.out_dir, s->trace_name, s->o.out_dir);
    else if (s->o.out_dir)
        printf("  outputs    %s/summary.json, %s/report.html\n", s->o.out_dir, s->o.out_dir);
    if (status == EXIT_FAIL || status == EXIT_USAGE || status == EXIT_INTERNAL || status == EXIT_OUTPUT) {
        char *cmd = app_replay_command(s);
        if (cmd) printf("  replay     %s\n", cmd);
        free(cmd);
    }
    /* stdout may be gone (`renkei run ... | head -1`: SIGPIPE is ignored, main.c): the
     * summary is then only in the files, which are written all the same */
    if (fflush(stdout) == EOF || ferror(stdout))
        fprintf(stderr, "renkei: stdout failed or was closed early: the printed summary is lost (the files under --out are written)\n");
}
