/* app/swarm.c - `renkei swarm`: seeds over worker processes (sim_runs, as --runs), each
 * drawing a compound fault schedule (swarm/gen.c) rendered as a Lua scenario, run on the
 * topology with the swarm's checker attached; a seed that breaks an invariant is shrunk in its
 * worker (ddmin over its faults, each try a whole run) and written out as swarm-SEED.lua with
 * its replay command. swarm.json under --out sums it up.
 *
 *   renkei swarm [--seeds N] [--first-seed S] [--jobs J] [--modes sync,semisync,async]
 *                [--kinds KIND,...] [--faults-max K] [--out DIR] [--topology FILE]
 *                [--set KEY=VALUE ...] [--inquiries N] [--residents N] [--no-shrink]
 *
 * Exit status: 0 no violation; 1 a violation in some seed; 2 bad usage, or a seed whose
 * scenario would not run (a bug of the generator: its error is in swarm.json); 3 an internal
 * failure halted a run; 130 interrupted. The wall clock is read only for the figures
 * (schedules per minute, the checker's share) and the progress line, never by a run. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "app/app.h"
#include "sim_runs.h"
#include "swarm/swarm.h"

typedef struct swarm_opts {
    uint64_t seeds, first_seed, jobs;
    uint32_t modes, kinds;
    int faults_max;
    const char *out_dir, *topology;
    const char **sets;
    int nsets;
    uint64_t inquiries, residents;
    bool shrink, plant;
    uint64_t shard_k, shard_n;    /* --shard K/N: this machine's block of the seeds (renkei merge) */
} swarm_opts;

typedef struct swarm_found {
    uint64_t seed;
    char *mode, *invariant, *detail, *scenario;
    uint64_t faults, shrunk_faults, tests;
} swarm_found;

typedef struct swarm_ctx {
    const swarm_opts *o;
    bool progress;
    uint64_t t0;                  /* wall clock at the start, for the progress line */
    uint64_t done, clean, violating, errors, internal;
    uint64_t run_ns, checker_ns;  /* summed over the seeds' first runs */
    uint64_t by_inv[SWARM_INVARIANTS];
    char *first_error;
    uint64_t first_error_seed;
    swarm_found *found;
    size_t nfound;
    uint64_t by_mode[SWARM_MODES];
    cJSON *records;               /* --shard: every seed's record as it came, for renkei merge */
} swarm_ctx;

static const char USAGE[] =
    "usage: renkei swarm [--seeds N] [--first-seed S] [--jobs J] [--modes sync,semisync,async]\n"
    "                    [--kinds KIND,...] [--faults-max K] [--out DIR] [--topology FILE]\n"
    "                    [--set KEY=VALUE ...] [--inquiries N] [--residents N] [--no-shrink]\n"
    "                    [--shard K/N]\n";

static int swarm_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int swarm_usage(const char *fmt, ...)
{
    /* one line: the usage is `renkei swarm --help` */
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "renkei swarm: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    return EXIT_USAGE;
}

/* A comma-separated list of names (modes or kinds) as a bit set, each looked up by `of`. */
static int parse_names(const char *v, int (*of)(const char *), uint32_t *out)
{
    *out = 0;
    size_t len = strlen(v);   /* strtok would skip empty items: "sync," is refused */
    if (len == 0 || v[0] == ',' || v[len - 1] == ',' || strstr(v, ",,")) return -EINVAL;
    char *copy = strdup(v);
    if (!copy) return -ENOMEM;
    int rc = 0;
    for (char *save = NULL, *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int x = of(t);
        if (x < 0) rc = -EINVAL;
        else *out |= 1u << x;
    }
    free(copy);
    return rc < 0 || !*out ? -EINVAL : 0;
}

static int parse_opts(int argc, char **argv, swarm_opts *o)
{
    *o = (swarm_opts){.seeds = 100, .first_seed = 1, .faults_max = 8, .out_dir = "swarm-out",
                      .topology = "topologies/small.lua", .inquiries = 2000, .residents = 400, .shrink = true};
    o->sets = calloc((size_t)argc + 1, sizeof *o->sets);
    if (!o->sets) return swarm_usage("%s", "out of memory");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (strcmp(a, "--no-shrink") == 0) { o->shrink = false; continue; }
        if (strcmp(a, "--plant") == 0) { o->plant = true; continue; }   /* testing only */
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(USAGE, stdout);
            return -1;
        }
        if (a[0] != '-' || !a[1]) return swarm_usage("unexpected argument '%s' (the topology goes with --topology)", a);
        if (strcmp(a, "--seeds") == 0) {
            if (!app_parse_u64(v, &o->seeds) || o->seeds == 0 || o->seeds > 10000000)
                return swarm_usage("--seeds: expected a number of seeds (1 to 10000000), got '%s'", v ? v : "");
        } else if (strcmp(a, "--first-seed") == 0) {
            if (!app_parse_u64(v, &o->first_seed) || o->first_seed > UINT64_MAX - 10000000)
                return swarm_usage("--first-seed: expected a non-negative integer, got '%s'", v ? v : "");
        } else if (strcmp(a, "--jobs") == 0) {
            if (!app_parse_u64(v, &o->jobs) || o->jobs == 0 || o->jobs > 256)
                return swarm_usage("--jobs: expected a number of worker processes (1 to 256), got '%s'", v ? v : "");
        } else if (strcmp(a, "--modes") == 0) {
            if (!v || parse_names(v, swarm_mode_of, &o->modes) < 0)
                return swarm_usage("--modes: expected a list of sync, semisync and async (sync,async), got '%s'", v ? v : "");
        } else if (strcmp(a, "--kinds") == 0) {
            if (!v || parse_names(v, swarm_kind_of, &o->kinds) < 0)
                return swarm_usage("--kinds: expected a list of fault kinds (site_down,site_loss,ops_down,partition_sites,partition_ops,flap,nws_down,nws_slow,jlis_down,jlis_corrupt,key_rotation,corrupt,duplicate,corrupt_replica,promote,failback), got '%s'", v ? v : "");
        } else if (strcmp(a, "--faults-max") == 0) {
            if (!app_parse_u64(v, &n) || n == 0 || n > 200)
                return swarm_usage("--faults-max: expected a number of faults (1 to 200), got '%s'", v ? v : "");
            o->faults_max = (int)n;
        } else if (strcmp(a, "--inquiries") == 0) {
            if (!app_parse_u64(v, &o->inquiries) || o->inquiries == 0 || o->inquiries > 10000000)
                return swarm_usage("--inquiries: expected inquiries a day (1 to 10000000), got '%s'", v ? v : "");
        } else if (strcmp(a, "--residents") == 0) {
            if (!app_parse_u64(v, &o->residents) || o->residents == 0 || o->residents > 1000000)
                return swarm_usage("--residents: expected new residents a day (1 to 1000000), got '%s'", v ? v : "");
        } else if (strcmp(a, "--out") == 0) {
            if (!v || !*v) return swarm_usage("--out: expected a directory%s", "");
            o->out_dir = v;
        } else if (strcmp(a, "--shard") == 0) {
            if (!v || app_parse_shard(v, &o->shard_k, &o->shard_n) < 0)
                return swarm_usage("--shard: expected K/N with 1 <= K <= N, got '%s'", v ? v : "");
        } else if (strcmp(a, "--topology") == 0) {
            if (!v || !*v) return swarm_usage("--topology: expected a topology script%s", "");
            o->topology = v;
        } else if (strcmp(a, "--set") == 0) {
            if (!v || !strchr(v, '=') || v[0] == '=') return swarm_usage("--set: expected KEY=VALUE, got '%s'", v ? v : "");
            o->sets[o->nsets++] = v;
        } else {
            return swarm_usage("unknown option '%s'", a);
        }
        i++;
    }
    if (o->shard_n > o->seeds) return swarm_usage("--shard %llu/%llu: more shards than --seeds %llu", (unsigned long long)o->shard_k,
                                                  (unsigned long long)o->shard_n, (unsigned long long)o->seeds);
    if (o->plant && o->faults_max < 2) return swarm_usage("--plant needs --faults-max 2 or more%s", "");
    if (access(o->topology, R_OK) != 0) return swarm_usage("--topology: cannot read '%s'", o->topology);
    return 0;
}

/* ---- one run of a scenario, in a worker ----------------------------------------------------- */

typedef struct run_outcome {
    int status;                   /* EXIT_PASS, EXIT_USAGE (script error), EXIT_INTERNAL */
    char *error;
    swarm_violation v[SWARM_INVARIANTS];
    size_t nv;
    uint64_t run_ns, checker_ns;
} run_outcome;

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return -errno;
    int rc = fputs(text, f) < 0 ? -EIO : 0;
    if (fclose(f) != 0 && rc == 0) rc = -EIO;
    return rc;
}

static int run_scenario(const swarm_opts *o, uint64_t seed, const char *path, run_outcome *r)
{
    *r = (run_outcome){0};
    uint64_t t0 = uv_hrtime();
    session s = {.trace_fd = -1};
    s.o = (run_opts){.seed = seed, .quiet = true, .no_trace = true};
    s.o.files = calloc(3, sizeof *s.o.files);
    s.o.sets = calloc((size_t)o->nsets + 1, sizeof *s.o.sets);
    if (!s.o.files || !s.o.sets) {
        app_session_close(&s);
        return -ENOMEM;
    }
    s.o.files[0] = o->topology;
    s.o.files[1] = path;
    s.o.nfiles = 2;
    memcpy(s.o.sets, o->sets, (size_t)o->nsets * sizeof *s.o.sets);
    s.o.nsets = o->nsets;
    /* a worker's stderr is the command's: a script error is reported in swarm.json instead */
    int status = app_session_open(&s, false);
    sim_time_t until = 0;
    if (status == 0) status = app_resolve_until(&s, &until);
    swarm_checker *c = s.w ? swarm_checker_find(s.w) : NULL;
    if (status == 0 && !c) status = EXIT_USAGE;
    if (c) swarm_checker_set_clock(c, uv_hrtime);
    if (status == 0 && (sim_world_start_nodes(s.w) < 0 || sim_lua_begin_run(s.sl, until) < 0)) status = EXIT_USAGE;
    if (status == 0) {
        sim_world_run(s.w, until, 0);
        if (sim_world_halted(s.w, NULL)) {
            status = app_internal_failure(s.w) ? EXIT_INTERNAL : EXIT_USAGE;
        } else {
            sim_world_advance(s.w, until);
            swarm_checker_finish(c);
            const swarm_violation *v;
            r->nv = swarm_checker_violations(c, &v);
            memcpy(r->v, v, r->nv * sizeof *v);
        }
    }
    r->status = status;
    if (status != 0) {
        const char *why = s.sl && sim_lua_error(s.sl) ? sim_lua_error(s.sl)
                          : status == EXIT_INTERNAL ? app_internal_failure(s.w)
                          : !c ? "the scenario attached no swarm checker" : "the run did not start";
        r->error = strdup(why ? why : "the run failed");
    }
    r->checker_ns = c ? swarm_checker_ns(c) : 0;
    app_session_close(&s);
    r->run_ns = uv_hrtime() - t0;
    return 0;
}

static swarm_render_opts render_opts(const swarm_opts *o)
{
    return (swarm_render_opts){.plant = o->plant, .inquiries_per_day = (int)o->inquiries,
                               .new_residents_per_day = (int)o->residents};
}

/* ---- shrinking: does a subset still break the same invariant? -------------------------------- */

typedef struct shrink_ctx {
    const swarm_opts *o;
    const swarm_schedule *s;
    const char *path;
    swarm_invariant inv;
} shrink_ctx;

static int shrink_test(const bool *keep, size_t n, void *ud)
{
    (void)n;
    shrink_ctx *k = ud;
    swarm_render_opts ro = render_opts(k->o);
    ro.keep = keep;
    char *text = swarm_render(k->s, &ro);
    if (!text) return -ENOMEM;
    int rc = write_file(k->path, text);
    free(text);
    if (rc < 0) return rc;
    run_outcome r;
    rc = run_scenario(k->o, k->s->seed, k->path, &r);
    free(r.error);
    if (rc < 0) return rc;
    for (size_t i = 0; i < r.nv; i++)
        if (r.v[i].inv == k->inv) return 1;
    return 0;
}

static char *replay_command(const swarm_opts *o, uint64_t seed, const char *scenario)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    fprintf(f, "renkei run %s %s --seed %" PRIu64, o->topology, scenario, seed);
    for (int i = 0; i < o->nsets; i++) fprintf(f, " --set %s", o->sets[i]);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* The failing seed's first violation, shrunk, written as DIR/swarm-SEED.lua. */
static void shrink_and_write(const swarm_opts *o, const swarm_schedule *s, const char *work, const swarm_violation *v0,
                             cJSON *rec)
{
    bool *keep = malloc((s->n ? s->n : 1) * sizeof *keep);
    if (!keep) return;
    for (size_t i = 0; i < s->n; i++) keep[i] = true;
    shrink_ctx k = {.o = o, .s = s, .path = work, .inv = v0->inv};
    int tests = o->shrink ? swarm_ddmin(keep, s->n, shrink_test, &k) : 0;
    if (tests < 0) {
        cJSON_AddStringToObject(rec, "shrink_error", strerror(-tests));
        for (size_t i = 0; i < s->n; i++) keep[i] = true;
        tests = 0;
    }
    /* the violation as the shrunk schedule gives it, for the header */
    swarm_render_opts ro = render_opts(o);
    ro.keep = keep;
    char *text = swarm_render(s, &ro);
    run_outcome r = {0};
    swarm_violation seen = *v0;
    if (text && write_file(work, text) == 0 && run_scenario(o, s->seed, work, &r) == 0)
        for (size_t i = 0; i < r.nv; i++)
            if (r.v[i].inv == v0->inv) seen = r.v[i];
    free(r.error);
    free(text);
    char name[64];
    snprintf(name, sizeof name, "swarm-%" PRIu64 ".lua", s->seed);
    size_t plen = strlen(o->out_dir) + strlen(name) + 2;
    char *path = malloc(plen);
    char *cmd = path ? (snprintf(path, plen, "%s/%s", o->out_dir, name), replay_command(o, s->seed, path)) : NULL;
    char *header = NULL;
    size_t hlen = 0;
    FILE *h = cmd ? open_memstream(&header, &hlen) : NULL;
    if (h) {
        fprintf(h, "-- violation: %s: %s\n-- replay:    %s\n", swarm_invariant_name(seen.inv), seen.detail, cmd);
        if (fclose(h) != 0) {
            free(header);
            header = NULL;
        }
    }
    ro.header = header;
    text = header ? swarm_render(s, &ro) : NULL;
    size_t kept = 0;
    for (size_t i = 0; i < s->n; i++) kept += keep[i];
    if (text && write_file(path, text) == 0) {
        cJSON_AddStringToObject(rec, "scenario", path);
        cJSON_AddStringToObject(rec, "replay", cmd);
    } else {
        cJSON_AddStringToObject(rec, "shrink_error", "cannot write the shrunk scenario");
    }
    cJSON_AddNumberToObject(rec, "shrunk_faults", (double)kept);
    cJSON_AddNumberToObject(rec, "shrink_runs", tests);
    free(text);
    free(header);
    free(cmd);
    free(path);
    free(keep);
}

/* In a worker: one seed; its record as one line of JSON. */
static int swarm_one(uint64_t seed, void *ud, char **line)
{
    const swarm_opts *o = ud;
    *line = NULL;
    swarm_schedule s;
    swarm_gen_config gc = {.modes = o->modes, .kinds = o->kinds, .faults_max = o->faults_max, .plant = o->plant};
    if (swarm_generate(seed, &gc, &s) < 0) return -ENOMEM;
    cJSON *rec = cJSON_CreateObject();
    cJSON_AddNumberToObject(rec, "seed", (double)seed);
    cJSON_AddStringToObject(rec, "mode", swarm_mode_name(s.mode));
    cJSON_AddNumberToObject(rec, "faults", (double)s.n);
    char work[4200];
    snprintf(work, sizeof work, "%s/work/%" PRIu64 ".lua", o->out_dir, seed);
    swarm_render_opts ro = render_opts(o);
    char *text = swarm_render(&s, &ro);
    int rc = text ? write_file(work, text) : -ENOMEM;
    free(text);
    run_outcome r = {0};
    if (rc == 0) rc = run_scenario(o, seed, work, &r);
    if (rc < 0) {
        r.status = EXIT_USAGE;
        r.error = strdup(strerror(-rc));
    }
    cJSON_AddNumberToObject(rec, "status", r.status);
    if (r.error) cJSON_AddStringToObject(rec, "error", r.error);
    cJSON_AddNumberToObject(rec, "run_ns", (double)r.run_ns);
    cJSON_AddNumberToObject(rec, "checker_ns", (double)r.checker_ns);
    cJSON *vs = cJSON_AddArrayToObject(rec, "violations");
    for (size_t i = 0; i < r.nv; i++) {
        cJSON *v = cJSON_CreateObject();
        cJSON_AddStringToObject(v, "invariant", swarm_invariant_name(r.v[i].inv));
        cJSON_AddStringToObject(v, "detail", r.v[i].detail);
        cJSON_AddItemToArray(vs, v);
    }
    if (r.status == 0 && r.nv > 0) shrink_and_write(o, &s, work, &r.v[0], rec);
    unlink(work);
    free(r.error);
    swarm_schedule_free(&s);
    char *t = cJSON_PrintUnformatted(rec);
    *line = t ? strdup(t) : NULL;
    cJSON_free(t);
    cJSON_Delete(rec);
    return 0;
}

/* ---- the caller's side: records folded in seed order --------------------------------------- */

static char *dup_string(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return strdup(cJSON_IsString(v) ? v->valuestring : "");
}

static double number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

/* A seed whose worker died on each try: an internal error of that seed (its scenario stays
 * in the work directory). */
static void swarm_lost(uint64_t seed, int wait_status, void *ud)
{
    swarm_ctx *c = ud;
    c->done++;
    c->errors++;
    c->internal++;
    if (c->first_error) return;
    c->first_error = app_runs_death(wait_status);
    c->first_error_seed = seed;
}

static void swarm_collect(uint64_t seed, const char *text, void *ud)
{
    swarm_ctx *c = ud;
    if (c->records) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddNumberToObject(r, "seed", (double)seed);
        cJSON_AddStringToObject(r, "record", text);
        cJSON_AddItemToArray(c->records, r);
    }
    cJSON *rec = text[0] ? cJSON_Parse(text) : NULL;
    c->done++;
    int status = rec ? (int)number(rec, "status") : EXIT_USAGE;
    int m = rec ? swarm_mode_of(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "mode")) ? cJSON_GetStringValue(cJSON_GetObjectItem(rec, "mode")) : "") : -1;
    if (m >= 0) c->by_mode[m]++;
    if (status != EXIT_PASS) {
        c->errors++;
        if (status == EXIT_INTERNAL) c->internal++;
        if (!c->first_error) {
            const cJSON *e = cJSON_GetObjectItem(rec, "error");
            c->first_error = strdup(cJSON_IsString(e) ? e->valuestring : "no worker could be started for this seed");
            c->first_error_seed = seed;
        }
        cJSON_Delete(rec);
        return;
    }
    c->run_ns += (uint64_t)number(rec, "run_ns");
    c->checker_ns += (uint64_t)number(rec, "checker_ns");
    const cJSON *vs = cJSON_GetObjectItem(rec, "violations");
    int nv = cJSON_GetArraySize(vs);
    if (nv == 0) c->clean++;
    else c->violating++;
    for (const cJSON *v = vs ? vs->child : NULL; v; v = v->next) {
        int inv = swarm_invariant_of(cJSON_GetStringValue(cJSON_GetObjectItem(v, "invariant")) ? cJSON_GetStringValue(cJSON_GetObjectItem(v, "invariant")) : "");
        if (inv >= 0) c->by_inv[inv]++;
    }
    if (nv > 0) {
        swarm_found *p = realloc(c->found, (c->nfound + 1) * sizeof *p);
        if (p) {
            c->found = p;
            const cJSON *v0 = cJSON_GetArrayItem(vs, 0);
            c->found[c->nfound++] = (swarm_found){
                .seed = seed, .mode = dup_string(rec, "mode"), .invariant = dup_string(v0, "invariant"),
                .detail = dup_string(v0, "detail"), .scenario = dup_string(rec, "scenario"),
                .faults = (uint64_t)number(rec, "faults"), .shrunk_faults = (uint64_t)number(rec, "shrunk_faults"),
                .tests = (uint64_t)number(rec, "shrink_runs")};
        }
    }
    cJSON_Delete(rec);
}

static void swarm_progress(uint64_t done, uint64_t count, void *ud)
{
    swarm_ctx *c = ud;
    if (!c->progress) return;
    double s = (double)(uv_hrtime() - c->t0) / 1e9, rate = s > 0 ? (double)done / s : 0;
    double left = rate > 0 ? (double)(count - done) / rate : 0;
    fprintf(stderr, "\rrenkei swarm: %" PRIu64 " of %" PRIu64 " seeds, %.1f/s, %dm%02ds left, %" PRIu64 " violating   ",
            done, count, rate, (int)(left / 60), (int)left % 60, c->violating);
}

static int write_json(const swarm_ctx *c, double wall_s, bool interrupted, int status)
{
    const swarm_opts *o = c->o;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "topology", o->topology);
    cJSON_AddNumberToObject(root, "first_seed", (double)o->first_seed);
    cJSON_AddNumberToObject(root, "seeds", (double)o->seeds);
    cJSON_AddNumberToObject(root, "seeds_run", (double)c->done);
    cJSON_AddNumberToObject(root, "jobs", (double)o->jobs);
    cJSON *modes = cJSON_AddObjectToObject(root, "modes");
    for (int m = 0; m < SWARM_MODES; m++)
        if (!o->modes || o->modes & (1u << m)) cJSON_AddNumberToObject(modes, swarm_mode_name((swarm_mode)m), (double)c->by_mode[m]);
    cJSON_AddNumberToObject(root, "faults_max", o->faults_max);
    cJSON *kinds = cJSON_AddArrayToObject(root, "kinds");
    for (int k = 0; k < SWARM_KINDS; k++)
        if (!o->kinds || o->kinds & (1u << k)) cJSON_AddItemToArray(kinds, cJSON_CreateString(swarm_kind_name((swarm_kind)k)));
    cJSON_AddNumberToObject(root, "clean", (double)c->clean);
    cJSON_AddNumberToObject(root, "violating", (double)c->violating);
    cJSON_AddNumberToObject(root, "errors", (double)c->errors);
    if (c->internal) cJSON_AddNumberToObject(root, "internal_failures", (double)c->internal);
    if (c->first_error) {
        cJSON_AddStringToObject(root, "first_error", c->first_error);
        cJSON_AddNumberToObject(root, "first_error_seed", (double)c->first_error_seed);
    }
    cJSON_AddNumberToObject(root, "wall_s", wall_s);
    cJSON_AddNumberToObject(root, "schedules_per_minute", wall_s > 0 ? (double)c->done * 60 / wall_s : 0);
    cJSON_AddNumberToObject(root, "checker_share", c->run_ns ? (double)c->checker_ns / (double)c->run_ns : 0);
    cJSON *by = cJSON_AddObjectToObject(root, "by_invariant");
    for (int i = 0; i < SWARM_INVARIANTS; i++)
        if (c->by_inv[i]) cJSON_AddNumberToObject(by, swarm_invariant_name((swarm_invariant)i), (double)c->by_inv[i]);
    cJSON *vs = cJSON_AddArrayToObject(root, "violations");
    for (size_t i = 0; i < c->nfound; i++) {
        const swarm_found *f = &c->found[i];
        cJSON *v = cJSON_CreateObject();
        cJSON_AddNumberToObject(v, "seed", (double)f->seed);
        cJSON_AddStringToObject(v, "mode", f->mode);
        cJSON_AddStringToObject(v, "invariant", f->invariant);
        cJSON_AddStringToObject(v, "detail", f->detail);
        cJSON_AddNumberToObject(v, "faults", (double)f->faults);
        if (f->scenario[0]) {
            cJSON_AddStringToObject(v, "scenario", f->scenario);
            cJSON_AddNumberToObject(v, "shrunk_faults", (double)f->shrunk_faults);
            cJSON_AddNumberToObject(v, "shrink_runs", (double)f->tests);
            char *cmd = replay_command(o, f->seed, f->scenario);
            if (cmd) cJSON_AddStringToObject(v, "replay", cmd);
            free(cmd);
        }
        cJSON_AddItemToArray(vs, v);
    }
    if (interrupted) cJSON_AddBoolToObject(root, "interrupted", true);
    cJSON_AddNumberToObject(root, "exit_status", status);
    if (o->shard_n) {   /* what renkei merge needs: the inputs, and every record */
        cJSON_AddNumberToObject(root, "shard_k", (double)o->shard_k);
        cJSON_AddNumberToObject(root, "shard_n", (double)o->shard_n);
        cJSON *sets = cJSON_AddArrayToObject(root, "sets");
        for (int i = 0; i < o->nsets; i++) cJSON_AddItemToArray(sets, cJSON_CreateString(o->sets[i]));
        cJSON *want = cJSON_AddArrayToObject(root, "modes_requested");
        for (int m = 0; m < SWARM_MODES; m++)
            if (!o->modes || o->modes & (1u << m)) cJSON_AddItemToArray(want, cJSON_CreateString(swarm_mode_name((swarm_mode)m)));
        cJSON_AddItemReferenceToObject(root, "records", c->records);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    size_t n = strlen(o->out_dir) + sizeof "/swarm.json";
    char *path = malloc(n);
    int rc = text && path ? (snprintf(path, n, "%s/swarm.json", o->out_dir), 0) : -ENOMEM;
    if (rc == 0) {
        size_t tl = strlen(text);
        char *withnl = malloc(tl + 2);
        if (!withnl) rc = -ENOMEM;
        else {
            memcpy(withnl, text, tl);
            memcpy(withnl + tl, "\n", 2);
            rc = write_file(path, withnl);
            free(withnl);
        }
    }
    if (rc < 0) fprintf(stderr, "renkei swarm: %s: %s\n", path ? path : "swarm.json", strerror(-rc));
    cJSON_free(text);
    free(path);
    return rc;
}

static void print_summary(const swarm_ctx *c, double wall_s)
{
    printf("renkei swarm: %" PRIu64 " seed(s) from %" PRIu64 " on %s, %" PRIu64 " job(s), %.1f s wall (%.0f schedules a minute, %.1f%% of the time in the checker)\n",
           c->done, c->o->first_seed, c->o->topology, c->o->jobs, wall_s, wall_s > 0 ? (double)c->done * 60 / wall_s : 0,
           c->run_ns ? 100.0 * (double)c->checker_ns / (double)c->run_ns : 0);
    printf("  %" PRIu64 " clean, %" PRIu64 " violating, %" PRIu64 " with errors\n", c->clean, c->violating, c->errors);
    for (size_t i = 0; i < c->nfound; i++) {
        const swarm_found *f = &c->found[i];
        printf("  VIOLATION seed %" PRIu64 " (%s): %s: %s\n", f->seed, f->mode, f->invariant, f->detail);
        if (f->scenario[0]) printf("            shrunk from %" PRIu64 " to %" PRIu64 " fault(s): %s\n", f->faults, f->shrunk_faults, f->scenario);
    }
    if (c->first_error) printf("  error in seed %" PRIu64 ": %s\n", c->first_error_seed, c->first_error);
}

static void ctx_free(swarm_ctx *c)
{
    for (size_t i = 0; i < c->nfound; i++) {
        free(c->found[i].mode);
        free(c->found[i].invariant);
        free(c->found[i].detail);
        free(c->found[i].scenario);
    }
    free(c->found);
    free(c->first_error);
    cJSON_Delete(c->records);
}

int app_cmd_swarm(int argc, char **argv)
{
    swarm_opts o;
    int status = parse_opts(argc, argv, &o);
    if (status != 0) {
        free(o.sets);
        return status < 0 ? EXIT_PASS : status;   /* -1: --help */
    }
    size_t wl = strlen(o.out_dir) + sizeof "/work";
    char *work = malloc(wl);
    if (!work) {
        free(o.sets);
        return EXIT_USAGE;
    }
    snprintf(work, wl, "%s/work", o.out_dir);
    int rc = app_make_dirs(work);
    if (rc < 0) {
        fprintf(stderr, "renkei swarm: --out %s: %s\n", o.out_dir, strerror(-rc));
        free(work);
        free(o.sets);
        return EXIT_USAGE;
    }
    uint64_t lo = 0, hi = o.seeds;   /* --shard K/N: this machine's block of the seeds */
    if (o.shard_n) app_shard_block(o.shard_k, o.shard_n, o.seeds, &lo, &hi);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (!o.jobs) o.jobs = cpus > 0 ? (uint64_t)cpus : 1;
    if (o.jobs > hi - lo) o.jobs = hi - lo;
    swarm_ctx c = {.o = &o, .progress = isatty(STDERR_FILENO), .t0 = uv_hrtime(),
                   .records = o.shard_n ? cJSON_CreateArray() : NULL};
    sim_runs_config cfg = {.first_seed = o.first_seed + lo, .count = hi - lo, .jobs = (int)o.jobs, .one = swarm_one,
                           .one_ud = &o, .collect = swarm_collect, .lost = swarm_lost, .progress = swarm_progress, .collect_ud = &c};
    fflush(stdout);
    fflush(stderr);
    rc = sim_runs(&cfg);
    double wall_s = (double)(uv_hrtime() - c.t0) / 1e9;
    if (c.progress && c.done) fprintf(stderr, "\n");
    rmdir(work);   /* empty unless a worker died mid-seed; then its scenario stays to look at */
    free(work);
    if (rc < 0 && rc != -EINTR) {
        fprintf(stderr, "renkei swarm: cannot start the workers: %s\n", strerror(-rc));
        ctx_free(&c);
        free(o.sets);
        return EXIT_USAGE;
    }
    status = rc == -EINTR ? EXIT_INTERRUPTED
             : c.internal ? EXIT_INTERNAL
             : c.errors   ? EXIT_USAGE
             : c.violating ? EXIT_FAIL
                          : EXIT_PASS;
    print_summary(&c, wall_s);
    if (write_json(&c, wall_s, rc == -EINTR, status) < 0 && status == EXIT_PASS) status = EXIT_USAGE;
    ctx_free(&c);
    free(o.sets);
    return status;
}

/* The shard's file SHARD_DIR/swarm-SEED.lua as OUT/swarm-SEED.lua; the record's path changed to it. */
static void take_scenario(cJSON *rec, const char *shard_dir, const char *out_dir)
{
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "scenario"));
    if (!path || !path[0]) return;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char from[4096], to[4096];
    snprintf(from, sizeof from, "%s/%s", shard_dir, base);
    snprintf(to, sizeof to, "%s/%s", out_dir, base);
    FILE *in = fopen(from, "re");
    char *text = NULL;
    size_t len = 0;
    FILE *mem = in ? open_memstream(&text, &len) : NULL;
    for (int ch; mem && (ch = fgetc(in)) != EOF;) fputc(ch, mem);
    if (mem) fclose(mem);
    if (in) fclose(in);
    /* its replay line names where it was written: now here */
    char *at = text ? strstr(text, path) : NULL;
    char *moved = NULL;
    size_t mlen = 0;
    FILE *out = at ? open_memstream(&moved, &mlen) : NULL;
    if (out) {
        fprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(path));
        fclose(out);
    }
    if (!text || write_file(to, moved ? moved : text) < 0) fprintf(stderr, "renkei merge: cannot copy %s to %s\n", from, to);
    free(moved);
    free(text);
    cJSON_ReplaceItemInObject(rec, "scenario", cJSON_CreateString(to));
}

int app_swarm_merge(cJSON *const *shards, const char *const *dirs, size_t n, const char *out_dir)
{
    const cJSON *first = shards[0];
    swarm_opts o = {.out_dir = out_dir, .first_seed = (uint64_t)number(first, "first_seed"),
                    .seeds = (uint64_t)number(first, "seeds"), .faults_max = (int)number(first, "faults_max")};
    o.topology = cJSON_GetStringValue(cJSON_GetObjectItem(first, "topology"));
    const cJSON *sets = cJSON_GetObjectItem(first, "sets"), *modes = cJSON_GetObjectItem(first, "modes_requested"),
                *kinds = cJSON_GetObjectItem(first, "kinds");
    o.sets = calloc((size_t)cJSON_GetArraySize(sets) + 1, sizeof *o.sets);
    if (!o.sets || !o.topology) {
        free(o.sets);
        return -ENOMEM;
    }
    for (const cJSON *v = sets ? sets->child : NULL; v; v = v->next)
        if (cJSON_IsString(v)) o.sets[o.nsets++] = v->valuestring;
    for (const cJSON *v = modes ? modes->child : NULL; v; v = v->next)
        if (cJSON_IsString(v) && swarm_mode_of(v->valuestring) >= 0) o.modes |= 1u << swarm_mode_of(v->valuestring);
    for (const cJSON *v = kinds ? kinds->child : NULL; v; v = v->next)
        if (cJSON_IsString(v) && swarm_kind_of(v->valuestring) >= 0) o.kinds |= 1u << swarm_kind_of(v->valuestring);
    swarm_ctx c = {.o = &o};
    double wall_s = 0;
    for (size_t i = 0; i < n; i++) {
        const cJSON *recs = cJSON_GetObjectItem(shards[i], "records");
        for (const cJSON *r = recs ? recs->child : NULL; r; r = r->next) {
            const cJSON *seed = cJSON_GetObjectItem(r, "seed"), *text = cJSON_GetObjectItem(r, "record");
            if (!cJSON_IsNumber(seed) || !cJSON_IsString(text)) continue;
            cJSON *rec = text->valuestring[0] ? cJSON_Parse(text->valuestring) : NULL;
            char *line = NULL;
            if (rec) take_scenario(rec, dirs[i], out_dir);
            line = rec ? cJSON_PrintUnformatted(rec) : NULL;
            swarm_collect((uint64_t)seed->valuedouble, line ? line : "", &c);
            cJSON_free(line);
            cJSON_Delete(rec);
        }
        o.jobs += (uint64_t)number(shards[i], "jobs");
        if (number(shards[i], "wall_s") > wall_s) wall_s = number(shards[i], "wall_s");   /* side by side */
    }
    int status = c.internal ? EXIT_INTERNAL : c.errors ? EXIT_USAGE : c.violating ? EXIT_FAIL : EXIT_PASS;
    print_summary(&c, wall_s);
    if (write_json(&c, wall_s, false, status) < 0) status = EXIT_OUTPUT;
    ctx_free(&c);
    free(o.sets);
    return status;
}
