/* app/runs.c - the Monte Carlo (--runs): many seeds in worker processes, their records
 * collected, then the base seed once more in full with the odds added. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "app/app.h"
#include "report/report.h"
#include "rollout/rollout.h"
#include "sim_runs.h"

typedef struct runs_expectation {
    char *name;
    uint64_t failed, first_seed;
} runs_expectation;

typedef struct runs_ctx {
    const run_opts *o;
    node_rollout_mc *mc;
    int jobs;
    double wall_s;
    bool progress;                 /* stderr is a terminal: show how far it got */
    uint64_t done, passed, failed, errors, first_error_seed;
    uint64_t internal;             /* of the errors, runs an internal failure halted */
    uint64_t not_run, first_not_run_seed;   /* seeds no worker could be started for: no result */
    char *first_error;
    runs_expectation *ex;
    size_t nex;
} runs_ctx;

static char *replay_seed(const run_opts *o, uint64_t seed)
{
    session tmp = {.o = *o};
    tmp.o.seed = seed;
    tmp.o.runs = 0;
    return app_replay_command(&tmp);
}

/* "monte_carlo" in summary.json: the schedule's odds (node_rollout_mc.c) and the runs. */
void app_runs_json(runs_ctx *c, cJSON *root)
{
    rollout_mc_json(c->mc, root);
    cJSON *mc = cJSON_GetObjectItem(root, "monte_carlo");
    if (!mc) mc = cJSON_AddObjectToObject(root, "monte_carlo");
    cJSON_DeleteItemFromObject(mc, "runs");
    /* "runs" counts the seeds that have a result; "requested" - "runs" = "not_run" */
    cJSON_AddNumberToObject(mc, "runs", (double)c->done);
    cJSON_AddNumberToObject(mc, "requested", (double)c->o->runs);
    cJSON_AddNumberToObject(mc, "not_run", (double)c->not_run);
    if (c->not_run) {
        cJSON_AddStringToObject(mc, "not_run_reason", "no worker process could be started for them (fork failed)");
        cJSON_AddNumberToObject(mc, "first_not_run_seed", (double)c->first_not_run_seed);
    }
    cJSON_AddNumberToObject(mc, "first_seed", (double)c->o->seed);
    cJSON_AddNumberToObject(mc, "last_seed", (double)(c->o->seed + c->o->runs - 1));
    cJSON_AddNumberToObject(mc, "jobs", c->jobs);
    cJSON_AddNumberToObject(mc, "wall_s", c->wall_s);
    cJSON_AddNumberToObject(mc, "passed", (double)c->passed);
    cJSON_AddNumberToObject(mc, "failed", (double)c->failed);
    cJSON_AddNumberToObject(mc, "errors", (double)c->errors);
    if (c->internal) cJSON_AddNumberToObject(mc, "internal_failures", (double)c->internal);
    cJSON *ex = cJSON_AddArrayToObject(mc, "expectations_failed");
    for (size_t i = 0; i < c->nex; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", c->ex[i].name);
        cJSON_AddNumberToObject(o, "runs", (double)c->ex[i].failed);
        cJSON_AddNumberToObject(o, "first_seed", (double)c->ex[i].first_seed);
        char *cmd = replay_seed(c->o, c->ex[i].first_seed);
        if (cmd) cJSON_AddStringToObject(o, "replay", cmd);
        free(cmd);
        cJSON_AddItemToArray(ex, o);
    }
    if (c->first_error) {
        cJSON_AddStringToObject(mc, "first_error", c->first_error);
        cJSON_AddNumberToObject(mc, "first_error_seed", (double)c->first_error_seed);
    }
}

void app_runs_print(runs_ctx *c)
{
    uint64_t last = c->o->seed + c->o->runs - 1;
    printf("  runs       %" PRIu64 " of %" PRIu64 " seeds (%" PRIu64 " to %" PRIu64 ") on %d worker(s) in %.1f s wall: "
           "%" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " with errors\n", c->done, c->o->runs, c->o->seed, last,
           c->jobs, c->wall_s, c->passed, c->failed, c->errors);
    if (c->internal) printf("             of which %" PRIu64 " halted by an internal failure (incomplete)\n", c->internal);
    for (size_t i = 0; i < c->nex; i++) {
        char *cmd = replay_seed(c->o, c->ex[i].first_seed);
        printf("    FAIL %s: in %" PRIu64 " run(s); the first: %s\n", c->ex[i].name, c->ex[i].failed, cmd ? cmd : "");
        free(cmd);
    }
    if (c->first_error) printf("    error in seed %" PRIu64 ": %s\n", c->first_error_seed, c->first_error);
    if (c->not_run)
        printf("    %" PRIu64 " seed(s) not run (the first: %" PRIu64 "): their worker process died before reporting them\n",
               c->not_run, c->first_not_run_seed);
    rollout_mc_print(c->mc, stdout);
}

/* In a worker: one seed, quietly, without a trace; its record as one line of JSON. */
static int run_one(uint64_t seed, void *ud, char **text)
{
    runs_ctx *c = ud;
    session s = {.trace_fd = -1};
    if (app_clone_opts(c->o, &s.o) < 0) return -ENOMEM;
    s.o.seed = seed;
    s.o.quiet = true;
    s.o.out_dir = NULL;
    s.o.no_trace = true;
    int status = app_session_open(&s, false);
    sim_time_t until = 0;
    if (status == 0) status = app_resolve_until(&s, &until);
    if (status == 0 && (sim_world_start_nodes(s.w) < 0 || sim_lua_begin_run(s.sl, until) < 0)) status = EXIT_USAGE;
    int invariants = 0;
    if (status == 0) {
        sim_world_run(s.w, until, 0);
        if (sim_world_halted(s.w, NULL)) {
            status = app_internal_failure(s.w) ? EXIT_INTERNAL : EXIT_USAGE;
        } else {
            sim_world_advance(s.w, until);   /* as the driver does at the end */
            int failed = sim_lua_check_expectations(s.sl);
            invariants = failed < 0 ? 0 : report_failed(s.w);
            status = failed < 0 ? EXIT_USAGE : failed + invariants > 0 ? EXIT_FAIL : EXIT_PASS;
        }
    }
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddNumberToObject(rec, "seed", (double)seed);
    cJSON_AddNumberToObject(rec, "status", status);
    if (s.sl && sim_lua_error(s.sl)) {
        cJSON_AddStringToObject(rec, "error", sim_lua_error(s.sl));
    } else if (status == EXIT_INTERNAL) {
        char why[512];
        snprintf(why, sizeof why, "internal failure: %s", app_internal_failure(s.w));
        cJSON_AddStringToObject(rec, "error", why);
    }
    cJSON *failed = cJSON_AddArrayToObject(rec, "failed");
    for (size_t i = 0; s.sl && status == EXIT_FAIL && i < sim_lua_expectation_count(s.sl); i++) {
        const sim_expectation *e = sim_lua_expectation(s.sl, i);
        if (e->evaluated && !e->passed) cJSON_AddItemToArray(failed, cJSON_CreateString(e->name));
    }
    if (invariants) cJSON_AddItemToArray(failed, cJSON_CreateString("(an invariant of the national flow)"));
    cJSON *sched = status != EXIT_USAGE && status != EXIT_INTERNAL && s.w ? rollout_record(s.w) : NULL;
    if (sched) cJSON_AddItemToObject(rec, "schedule", sched);
    char *line = cJSON_PrintUnformatted(rec);
    *text = line ? strdup(line) : NULL;
    cJSON_free(line);
    cJSON_Delete(rec);
    app_session_close(&s);
    return 0;
}

static void runs_collect(uint64_t seed, const char *text, void *ud)
{
    runs_ctx *c = ud;
    if (!text[0]) {   /* its worker died first: no result, so neither a run nor an error of one */
        if (!c->not_run++) c->first_not_run_seed = seed;
        return;
    }
    cJSON *rec = cJSON_Parse(text);
    const cJSON *st = cJSON_GetObjectItem(rec, "status");
    int status = cJSON_IsNumber(st) ? (int)st->valuedouble : EXIT_USAGE;
    c->done++;
    if (status == EXIT_PASS) c->passed++;
    else if (status == EXIT_FAIL) c->failed++;
    else c->errors++;
    if (status == EXIT_INTERNAL) c->internal++;
    if ((status == EXIT_USAGE || status == EXIT_INTERNAL) && !c->first_error) {
        const cJSON *err = cJSON_GetObjectItem(rec, "error");
        c->first_error = strdup(cJSON_IsString(err) ? err->valuestring : "the worker's record of this seed is unreadable");
        c->first_error_seed = seed;
    }
    const cJSON *failed = cJSON_GetObjectItem(rec, "failed");
    for (const cJSON *f = failed ? failed->child : NULL; f; f = f->next) {
        if (!cJSON_IsString(f)) continue;
        size_t i = 0;
        while (i < c->nex && strcmp(c->ex[i].name, f->valuestring) != 0) i++;
        if (i == c->nex) {
            runs_expectation *p = realloc(c->ex, (c->nex + 1) * sizeof *p);
            char *name = strdup(f->valuestring);
            if (!p || !name) {
                if (p) c->ex = p;
                free(name);
                continue;
            }
            c->ex = p;
            c->ex[c->nex++] = (runs_expectation){.name = name, .first_seed = seed};
        }
        c->ex[i].failed++;
    }
    const cJSON *sched = cJSON_GetObjectItem(rec, "schedule");
    if (sched) rollout_mc_add(c->mc, sched);
    cJSON_Delete(rec);
}

char *app_runs_death(int st)
{
    char how[128], why[256];
    if (WIFSIGNALED(st)) snprintf(how, sizeof how, "killed by signal %d, %s", WTERMSIG(st), strsignal(WTERMSIG(st)));
    else if (WIFEXITED(st)) snprintf(how, sizeof how, "it exited with status %d before reporting", WEXITSTATUS(st));
    else snprintf(how, sizeof how, "it could not be waited for");
    snprintf(why, sizeof why, "the worker process running this seed died on each of its tries (%s)", how);
    return strdup(why);
}

/* A seed whose worker died on each try (a worker killed once is replaced and the seed run
 * again; sim_runs.c): an error of that seed, internal, with how the worker died. */
static void runs_lost(uint64_t seed, int wait_status, void *ud)
{
    runs_ctx *c = ud;
    c->done++;
    c->errors++;
    c->internal++;
    if (c->first_error) return;
    c->first_error = app_runs_death(wait_status);
    c->first_error_seed = seed;
}

static void runs_progress(uint64_t done, uint64_t count, void *ud)
{
    runs_ctx *c = ud;
    if (c->progress) fprintf(stderr, "\rrenkei: %" PRIu64 " of %" PRIu64 " runs", done, count);
}

static void runs_free(runs_ctx *c)
{
    rollout_mc_free(c->mc);
    for (size_t i = 0; i < c->nex; i++) free(c->ex[i].name);
    free(c->ex);
    free(c->first_error);
}

int app_runs_status(runs_ctx *c, int status)
{
    if (status == EXIT_INTERRUPTED || status == EXIT_TERMINATED) return status;
    if (c->not_run)
        fprintf(stderr, "renkei: --runs: %" PRIu64 " of %" PRIu64 " seeds not run: their worker process died\n", c->not_run,
                c->o->runs);
    if (c->internal || c->not_run || status == EXIT_INTERNAL) return EXIT_INTERNAL;
    if (c->errors || status == EXIT_USAGE) return EXIT_USAGE;
    if (status == EXIT_OUTPUT) return status;
    if (c->failed && status == EXIT_PASS) return EXIT_FAIL;
    return status;
}

/* --runs N: seeds seed .. seed + N - 1 over worker processes, then the base seed once more
 * in full (its trace, summary and report) with the Monte Carlo added. The exit status is
 * the worst over every run: 3 if an internal failure halted any, else 2 if any had a script
 * error, else 1 if an expectation failed in any, else 0; 130 on Ctrl-C. */
int app_cmd_runs(session *s)
{
    session v = {.trace_fd = -1};
    int status = app_clone_opts(&s->o, &v.o) < 0 ? EXIT_USAGE : 0;
    v.o.quiet = true;
    v.o.no_trace = true;
    v.o.out_dir = NULL;
    sim_time_t until;
    if (status == 0) status = app_session_open(&v, false);   /* one clear error, not one per run */
    if (status == 0) status = app_resolve_until(&v, &until);
    app_session_close(&v);
    if (status != 0) {
        app_session_close(s);
        return status;
    }
    /* the previous run's outputs go now, not after the workers: killed meanwhile, the
     * directory must not show them as this run's */
    if (s->o.out_dir && app_outdir_begin(s) < 0) {
        app_session_close(s);
        return EXIT_USAGE;
    }
    runs_ctx c = {.o = &s->o, .mc = rollout_mc_new(), .progress = isatty(STDERR_FILENO)};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    c.jobs = s->o.jobs ? (int)s->o.jobs : cpus > 0 ? (int)cpus : 1;
    if ((uint64_t)c.jobs > s->o.runs) c.jobs = (int)s->o.runs;
    sim_runs_config cfg = {.first_seed = s->o.seed, .count = s->o.runs, .jobs = c.jobs, .one = run_one,
                           .one_ud = &c, .collect = runs_collect, .lost = runs_lost, .progress = runs_progress, .collect_ud = &c};
    fflush(stdout);
    fflush(stderr);
    uint64_t t0 = uv_hrtime();
    int rc = c.mc ? sim_runs(&cfg) : -ENOMEM;
    c.wall_s = (double)(uv_hrtime() - t0) / 1e9;
    if (c.progress && c.done) fprintf(stderr, "\n");
    if (rc < 0 && rc != -EINTR) {
        fprintf(stderr, "renkei: --runs: cannot start the workers: %s\n", strerror(-rc));
        runs_free(&c);
        app_session_close(s);
        return EXIT_USAGE;
    }
    if (rc == -EINTR) {
        printf("\nrenkei: interrupted after %" PRIu64 " of %" PRIu64 " runs\n", c.done, s->o.runs);
        app_runs_print(&c);
        if (s->o.out_dir) {   /* PARTIAL stays: the Monte Carlo is incomplete */
            cJSON *root = cJSON_CreateObject();
            cJSON_AddBoolToObject(root, "interrupted", true);
            cJSON_AddStringToObject(root, "end_reason", "interrupted");
            cJSON_AddBoolToObject(root, "complete", false);
            app_runs_json(&c, root);
            cJSON_AddNumberToObject(root, "exit_status", EXIT_INTERRUPTED);
            app_write_json(s, "summary.json", root);   /* a failure is printed */
            cJSON_Delete(root);
        }
        runs_free(&c);
        app_session_close(s);
        return EXIT_INTERRUPTED;
    }
    s->runs = &c;
    status = app_run_session(s);   /* with app_runs_status: the summary's status is the process's */
    runs_free(&c);
    return status;
}
