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
    cJSON *records;                /* --shard: every seed's record as it came, for renkei merge */
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
    if (c->o->shard_n) {   /* this machine's share only: renkei merge makes the whole */
        char shard[48];
        snprintf(shard, sizeof shard, "%llu/%llu", (unsigned long long)c->o->shard_k, (unsigned long long)c->o->shard_n);
        cJSON_AddStringToObject(mc, "shard", shard);
    }
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
    if (c->records) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "seed", (double)seed);
        cJSON_AddStringToObject(r, "record", text);
        cJSON_AddItemToArray(c->records, r);
    }
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
    cJSON_Delete(c->records);
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

/* DIR/shard.json: what renkei merge needs of this shard (the run's inputs, its block of
 * seeds, every record). */
static int write_shard(session *s, const runs_ctx *c, uint64_t lo, uint64_t hi)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "renkei", RENKEI_VERSION);
    cJSON_AddStringToObject(root, "kind", "runs");
    cJSON_AddNumberToObject(root, "shard_k", (double)s->o.shard_k);
    cJSON_AddNumberToObject(root, "shard_n", (double)s->o.shard_n);
    cJSON_AddNumberToObject(root, "seed", (double)s->o.seed);
    cJSON_AddNumberToObject(root, "runs", (double)s->o.runs);
    cJSON_AddNumberToObject(root, "first", (double)(s->o.seed + lo));
    cJSON_AddNumberToObject(root, "count", (double)(hi - lo));
    cJSON *files = cJSON_AddArrayToObject(root, "scripts");
    for (int i = 0; i < s->o.nfiles; i++) cJSON_AddItemToArray(files, cJSON_CreateString(s->o.files[i]));
    cJSON *sets = cJSON_AddArrayToObject(root, "sets");
    for (int i = 0; i < s->o.nsets; i++) cJSON_AddItemToArray(sets, cJSON_CreateString(s->o.sets[i]));
    if (s->o.until) cJSON_AddStringToObject(root, "until", s->o.until);
    cJSON_AddStringToObject(root, "trace_level", sim_trace_level_name(s->o.trace_level));
    cJSON_AddNumberToObject(root, "jobs", c->jobs);
    cJSON_AddNumberToObject(root, "wall_s", c->wall_s);
    cJSON_AddItemReferenceToObject(root, "records", c->records);
    int rc = app_write_json(s, "shard.json", root);
    cJSON_Delete(root);
    return rc;
}

int app_runs_merge(const run_opts *o, cJSON *const *shards, size_t n, cJSON *summary)
{
    runs_ctx c = {.o = o, .mc = rollout_mc_new()};
    if (!c.mc) return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const cJSON *recs = cJSON_GetObjectItem(shards[i], "records");
        for (const cJSON *r = recs ? recs->child : NULL; r; r = r->next) {
            const cJSON *seed = cJSON_GetObjectItem(r, "seed"), *text = cJSON_GetObjectItem(r, "record");
            if (cJSON_IsNumber(seed) && cJSON_IsString(text)) runs_collect((uint64_t)seed->valuedouble, text->valuestring, &c);
        }
        const cJSON *jobs = cJSON_GetObjectItem(shards[i], "jobs"), *wall = cJSON_GetObjectItem(shards[i], "wall_s");
        c.jobs += cJSON_IsNumber(jobs) ? (int)jobs->valuedouble : 0;
        /* the shards ran side by side: the slowest is the wall time */
        if (cJSON_IsNumber(wall) && wall->valuedouble > c.wall_s) c.wall_s = wall->valuedouble;
    }
    cJSON_DeleteItemFromObject(summary, "monte_carlo");
    app_runs_json(&c, summary);
    const cJSON *st = cJSON_GetObjectItem(summary, "exit_status");
    int status = app_runs_status(&c, cJSON_IsNumber(st) ? (int)st->valuedouble : EXIT_INTERNAL);
    runs_free(&c);
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
    uint64_t lo = 0, hi = s->o.runs;   /* --shard K/N: this machine's block of the seeds */
    if (s->o.shard_n) {
        app_shard_block(s->o.shard_k, s->o.shard_n, s->o.runs, &lo, &hi);
        c.records = cJSON_CreateArray();
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    c.jobs = s->o.jobs ? (int)s->o.jobs : cpus > 0 ? (int)cpus : 1;
    if ((uint64_t)c.jobs > hi - lo) c.jobs = (int)(hi - lo);
    sim_runs_config cfg = {.first_seed = s->o.seed + lo, .count = hi - lo, .jobs = c.jobs, .one = run_one,
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
    if (s->o.shard_n) {
        /* written before the base run (shard 1's): a shard killed later keeps PARTIAL, which
         * renkei merge refuses */
        int wrc = write_shard(s, &c, lo, hi);
        if (s->o.shard_k != 1) {   /* the base seed in full is shard 1's */
            app_runs_print(&c);
            status = app_runs_status(&c, wrc < 0 ? EXIT_OUTPUT : EXIT_PASS);
            if (app_outdir_end(s, wrc == 0 && !c.not_run && (status == EXIT_PASS || status == EXIT_FAIL)) < 0 && status == EXIT_PASS)
                status = EXIT_OUTPUT;
            runs_free(&c);
            app_session_close(s);
            return status;
        }
        if (wrc < 0) {
            runs_free(&c);
            app_session_close(s);
            return EXIT_OUTPUT;
        }
    }
    s->runs = &c;
    status = app_run_session(s);   /* with app_runs_status: the summary's status is the process's */
    runs_free(&c);
    return status;
}
