/* main.c - the `renkei` command: run, check and bench.
 *
 *   renkei run TOPOLOGY.lua [SCENARIO.lua ...] [--seed N] [--until TIME] [--fast | --speed X]
 *              [--out DIR] [--set KEY=VALUE ...] [--quiet] [--lua-mem MIB] [--lua-budget N]
 *              [--runs N [--jobs J]]
 *              [--serve [HOST:]PORT [--serve-any] [--play] [--exit-at-end] [--web DIR]]
 *              [--connect LG_CODE --listen [HOST:]PORT [--listen-any] [--connect-rate N]]
 *              [--replay-session FILE]
 *   renkei check FILE.lua ...
 *   renkei report SUMMARY.json OUT.html
 *   renkei bench phold [--lps N] [--events-per-lp M] [--end T] [--lookahead L] [--seed S] [--json]
 *
 * Exit status: 0 every expectation held; 1 one failed; 2 bad usage or a bad script;
 * 130 interrupted (Ctrl-C; the outputs are still written). */
#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "connect/connect.h"
#include "dash/dash.h"
#include "script/script.h"
#include "phold/phold.h"
#include "report/report.h"
#include "report/report_html.h"
#include "rollout/rollout.h"
#include "sim_lua.h"
#include "sim_run.h"
#include "sim_runs.h"
#include "sim_world.h"

#ifndef RENKEI_VERSION
#define RENKEI_VERSION "dev"
#endif
#ifndef RENKEI_WEB_DIR
#define RENKEI_WEB_DIR "web"
#endif

enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

static const char USAGE[] =
    "usage: renkei run TOPOLOGY.lua [SCENARIO.lua ...] [--seed N] [--until TIME|DURATION]\n"
    "                  [--fast | --speed X] [--out DIR] [--set KEY=VALUE ...] [--quiet]\n"
    "                  [--lua-mem MIB] [--lua-budget INSTRUCTIONS] [--runs N [--jobs J]]\n"
    "                  [--serve [HOST:]PORT [--serve-any] [--play] [--exit-at-end] [--web DIR]]\n"
    "                  [--connect LG_CODE --listen [HOST:]PORT [--listen-any] [--connect-rate N]]\n"
    "                  [--replay-session FILE]\n"
    "       renkei check FILE.lua ...\n"
    "       renkei report SUMMARY.json OUT.html\n"
    "       renkei bench phold [--lps N] [--events-per-lp M] [--end T] [--lookahead L]\n"
    "                          [--seed S] [--json]\n"
    "       renkei version\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "renkei: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", USAGE);
    return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s) return false;
    double v = strtod(s, &end);
    if (*end || v != v) return false;
    *out = v;
    return true;
}

/* ---- run and check --------------------------------------------------------------------- */

typedef struct run_opts {
    const char **files;
    int nfiles;
    uint64_t seed;
    const char *until;
    double speed;              /* 0 = fast */
    const char *out_dir;
    const char **sets;
    int nsets;
    bool quiet;
    uint64_t lua_mem_mib, lua_budget;
    const char *serve;         /* [HOST:]PORT of the dashboard, or NULL */
    bool serve_any;            /* allow a HOST other than a loopback address */
    bool play;                 /* served runs start paused unless this */
    bool exit_at_end;          /* served runs keep serving after the end unless this */
    const char *web_root;
    const char *connect;       /* connection test: the local government driven from outside */
    const char *listen;        /* ... and where its API listens */
    bool listen_any;
    double connect_rate;       /* requests a second per client */
    const char *replay_session;
    bool fast_given;
    uint64_t runs, jobs;       /* Monte Carlo: runs seeds seed .. seed + runs - 1 on jobs workers */
    bool no_trace;             /* a Monte Carlo worker's run: no trace, no hash */
} run_opts;

static int parse_run_opts(int argc, char **argv, run_opts *o)
{
    *o = (run_opts){.seed = 1, .connect_rate = 20};
    o->files = calloc((size_t)argc, sizeof *o->files);
    o->sets = calloc((size_t)argc, sizeof *o->sets);
    if (!o->files || !o->sets) return usage_error("%s", "out of memory");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (strcmp(a, "--seed") == 0) {
            if (!parse_u64(v, &o->seed)) return usage_error("--seed: expected a non-negative integer, got '%s'", v ? v : "");
        } else if (strcmp(a, "--until") == 0) {
            if (!v) return usage_error("%s: expected a time or a duration", a);
            o->until = v;
        } else if (strcmp(a, "--speed") == 0) {
            if (!parse_double(v, &o->speed) || !(o->speed > 0)) return usage_error("--speed: expected a positive number, got '%s'", v ? v : "");
        } else if (strcmp(a, "--out") == 0) {
            if (!v) return usage_error("%s: expected a directory", a);
            o->out_dir = v;
        } else if (strcmp(a, "--set") == 0) {
            if (!v || !strchr(v, '=') || v[0] == '=') return usage_error("--set: expected KEY=VALUE, got '%s'", v ? v : "");
            o->sets[o->nsets++] = v;
        } else if (strcmp(a, "--serve") == 0) {
            if (!v) return usage_error("%s: expected [HOST:]PORT", a);
            o->serve = v;
        } else if (strcmp(a, "--web") == 0) {
            if (!v) return usage_error("%s: expected a directory", a);
            o->web_root = v;
        } else if (strcmp(a, "--connect") == 0) {
            if (!v || strlen(v) != 6 || strspn(v, "0123456789") != 6) return usage_error("--connect: expected a 6-digit local-government code, got '%s'", v ? v : "");
            o->connect = v;
        } else if (strcmp(a, "--listen") == 0) {
            if (!v) return usage_error("%s: expected [HOST:]PORT", a);
            o->listen = v;
        } else if (strcmp(a, "--connect-rate") == 0) {
            if (!parse_double(v, &o->connect_rate) || o->connect_rate < 0) return usage_error("--connect-rate: expected requests a second (0: no limit), got '%s'", v ? v : "");
        } else if (strcmp(a, "--replay-session") == 0) {
            if (!v) return usage_error("%s: expected a session log (connect_session.jsonl)", a);
            o->replay_session = v;
        } else if (strcmp(a, "--lua-mem") == 0) {
            if (!parse_u64(v, &o->lua_mem_mib) || o->lua_mem_mib == 0) return usage_error("--lua-mem: expected MiB, got '%s'", v ? v : "");
        } else if (strcmp(a, "--runs") == 0) {
            if (!parse_u64(v, &o->runs) || o->runs == 0 || o->runs > 1000000) return usage_error("--runs: expected a number of runs (1 to 1000000), got '%s'", v ? v : "");
        } else if (strcmp(a, "--jobs") == 0) {
            if (!parse_u64(v, &o->jobs) || o->jobs == 0 || o->jobs > 256) return usage_error("--jobs: expected a number of worker processes (1 to 256), got '%s'", v ? v : "");
        } else if (strcmp(a, "--lua-budget") == 0) {
            if (!parse_u64(v, &o->lua_budget) || o->lua_budget == 0) return usage_error("--lua-budget: expected a count, got '%s'", v ? v : "");
        } else {
            takes = false;
            if (strcmp(a, "--fast") == 0)
                o->speed = 0, o->fast_given = true;
            else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0)
                o->quiet = true;
            else if (strcmp(a, "--serve-any") == 0)
                o->serve_any = true;
            else if (strcmp(a, "--play") == 0)
                o->play = true;
            else if (strcmp(a, "--exit-at-end") == 0)
                o->exit_at_end = true;
            else if (strcmp(a, "--listen-any") == 0)
                o->listen_any = true;
            else if (a[0] == '-' && a[1])
                return usage_error("unknown option '%s'", a);
            else
                o->files[o->nfiles++] = a;
        }
        if (takes) i++;
    }
    if (o->nfiles == 0) return usage_error("%s", "no script given");
    if (!o->serve && (o->serve_any || o->play || o->exit_at_end || o->web_root))
        return usage_error("%s", "--serve-any, --play, --exit-at-end and --web go with --serve");
    if (o->runs && o->speed > 0) return usage_error("%s", "--runs runs as fast as possible: it cannot be paced (--speed)");
    if (o->jobs && !o->runs) return usage_error("%s", "--jobs goes with --runs");
    if (o->runs && o->serve) return usage_error("%s", "--serve watches one run: it does not go with --runs");
    if (!o->connect != !o->listen) return usage_error("%s", "--connect LG_CODE and --listen [HOST:]PORT go together");
    if (!o->connect && o->listen_any) return usage_error("%s", "--listen-any goes with --listen");
    if ((o->connect || o->replay_session) && o->runs)
        return usage_error("%s", "--runs is a Monte Carlo of fast runs: it does not go with --connect or --replay-session");
    if (o->replay_session && o->connect) return usage_error("%s", "--replay-session replays a session: it takes no --connect");
    if (o->connect && o->fast_given) return usage_error("%s", "--connect runs paced (--speed X, 1 by default): --fast would end the run before the outside system acts");
    if (o->connect && o->speed == 0) o->speed = 1;   /* the outside system's timing is real */
    if (o->connect) o->play = true;                  /* with --serve too: the outside system drives */
    return 0;
}

static void free_run_opts(run_opts *o)
{
    free(o->files);
    free(o->sets);
}

static int make_dirs(const char *path)
{
    char *p = strdup(path);
    if (!p) return -ENOMEM;
    for (char *s = p + 1; *s; s++) {
        if (*s != '/') continue;
        *s = '\0';
        if (mkdir(p, 0777) < 0 && errno != EEXIST) break;
        *s = '/';
    }
    int rc = mkdir(p, 0777) < 0 && errno != EEXIST ? -errno : 0;
    free(p);
    return rc;
}

/* Everything one `renkei run` or `check` holds, torn down in one place. */
typedef struct session {
    run_opts o;
    sim_world *w;
    sim_lua *sl;
    node_dash *dash;           /* the figures (and the dashboard when serving) */
    node_connect *connect;     /* connection test (--connect, --replay-session) */
    node_connect_session *replay;
    int trace_fd;
    char *out_path;            /* scratch for building paths under --out */
    struct runs_ctx *runs;     /* with --runs: the Monte Carlo, reported with the base run */
} session;

static char *out_file(session *s, const char *name)
{
    free(s->out_path);
    size_t n = strlen(s->o.out_dir) + strlen(name) + 2;
    s->out_path = malloc(n);
    if (s->out_path) snprintf(s->out_path, n, "%s/%s", s->o.out_dir, name);
    return s->out_path;
}

static void session_close(session *s)
{
    dash_destroy(s->dash);
    sim_world_destroy(s->w);    /* the world first: its messages use the Lua side's types */
    sim_lua_destroy(s->sl);
    connect_destroy(s->connect);   /* after the world, which told it of flows */
    connect_session_free(s->replay);
    if (s->trace_fd >= 0) close(s->trace_fd);
    free(s->out_path);
    free_run_opts(&s->o);
}

/* What a connection test's session log says about the run, to replay it. */
static node_connect_run_info run_info(const session *s)
{
    return (node_connect_run_info){.seed = s->o.seed, .scripts = s->o.files, .nscripts = s->o.nfiles,
                                   .sets = s->o.sets, .nsets = s->o.nsets, .until = s->o.until};
}

/* Create the world and load every script. Returns 0 or an exit status. */
static int session_open(session *s, bool with_trace)
{
    s->trace_fd = -1;
    if (with_trace && s->o.out_dir) {
        int rc = make_dirs(s->o.out_dir);
        if (rc < 0) {
            fprintf(stderr, "renkei: --out %s: %s\n", s->o.out_dir, strerror(-rc));
            return EXIT_USAGE;
        }
        const char *path = out_file(s, "trace.jsonl");
        s->trace_fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666) : -1;
        if (s->trace_fd < 0) {
            fprintf(stderr, "renkei: %s: %s\n", path ? path : "trace", strerror(errno));
            return EXIT_USAGE;
        }
    }
    sim_world_config wc = {.seed = s->o.seed, .trace_fd = s->trace_fd, .trace_off = s->o.no_trace};
    sim_lua_config lc = {.mem_cap = (size_t)s->o.lua_mem_mib << 20, .budget = s->o.lua_budget,
                         .quiet = s->o.quiet};
    if (sim_world_create(&wc, &s->w) < 0 || sim_lua_create(s->w, &lc, &s->sl) < 0 ||
        dash_attach(s->w, &s->dash) < 0) {
        fprintf(stderr, "renkei: out of memory\n");
        return EXIT_USAGE;
    }
    char why[700];
    const char *lg = s->o.connect;
    if (s->o.replay_session) {
        if (connect_session_load(s->o.replay_session, &s->replay, why, sizeof why) < 0) {
            fprintf(stderr, "renkei: %s\n", why);
            return EXIT_USAGE;
        }
        lg = connect_session_lg(s->replay);
    }
    if (lg && connect_attach(s->w, lg, &s->connect) < 0) {
        fprintf(stderr, "renkei: out of memory\n");
        return EXIT_USAGE;
    }
    if (sim_lua_open_lib(s->sl, script_open_lua) < 0 || sim_lua_open_lib(s->sl, rollout_open_lua) < 0 ||
        sim_lua_open_lib(s->sl, dash_open_lua) < 0 || sim_lua_open_lib(s->sl, connect_open_lua) < 0) {
        fprintf(stderr, "renkei: %s\n", sim_lua_error(s->sl));
        return EXIT_USAGE;
    }
    for (int i = 0; i < s->o.nsets; i++) {
        char *kv = strdup(s->o.sets[i]);
        char *eq = kv ? strchr(kv, '=') : NULL;
        if (!eq) return EXIT_USAGE;
        *eq = '\0';
        int rc = sim_lua_set_param(s->sl, kv, eq + 1);
        free(kv);
        if (rc < 0) return usage_error("--set %s: invalid", s->o.sets[i]);
    }
    for (int i = 0; i < s->o.nfiles; i++) {
        if (sim_lua_load_file(s->sl, s->o.files[i]) < 0) {
            fprintf(stderr, "renkei: %s\n", sim_lua_error(s->sl));
            return EXIT_USAGE;
        }
    }
    /* Everything is declared: the rollout schedule (if any) checks its plan and starts. */
    if (sim_lua_open_lib(s->sl, rollout_prepare) < 0) {
        fprintf(stderr, "renkei: %s\n", sim_lua_error(s->sl));
        return EXIT_USAGE;
    }
    const char *unused = sim_lua_unused_param(s->sl);
    if (unused) {
        fprintf(stderr, "renkei: --set %s: no script reads the parameter '%s'\n", unused, unused);
        return EXIT_USAGE;
    }
    node_connect_run_info info = run_info(s);
    if (s->replay && connect_session_check(s->replay, &info, why, sizeof why) < 0) {
        fprintf(stderr, "renkei: %s\n", why);
        return EXIT_USAGE;
    }
    if (s->connect && connect_prepare(s->connect, why, sizeof why) < 0) {
        fprintf(stderr, "renkei: %s\n", why);
        return EXIT_USAGE;
    }
    return 0;
}

/* --until: an absolute time, or a duration after the start ("6h" or "+6h"). */
static int resolve_until(session *s, sim_time_t *until)
{
    sim_time_t start = sim_world_start(s->w);
    *until = start + SIM_DAY;
    sim_lua_finish_time(s->sl, until);
    if (!s->o.until) return 0;
    const char *u = s->o.until[0] == '+' ? s->o.until + 1 : s->o.until;
    int64_t d;
    if (sim_duration_parse(u, &d) == 0) {
        *until = start + d;
        return 0;
    }
    if (sim_time_parse(s->o.until, until) == 0 && *until >= start) return 0;
    fprintf(stderr, "renkei: --until %s: expected a time after the start ('2017-11-14 08:30') or a duration ('6h')\n",
            s->o.until);
    return EXIT_USAGE;
}

static void add_time(cJSON *obj, const char *key, sim_time_t t)
{
    char buf[SIM_TIME_BUFSZ];
    sim_time_format_iso(t, buf, sizeof buf);
    cJSON_AddStringToObject(obj, key, buf);
}

static char *replay_command(const session *s)
{
    size_t n = 64;
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
    for (int i = 0; i < s->o.nsets; i++) len += (size_t)snprintf(cmd + len, n - len, " --set '%s'", s->o.sets[i]);
    if (session_log) snprintf(cmd + len, n - len, " --replay-session %s", session_log);
    return cmd;
}

typedef struct run_result {
    sim_run_end end;
    const char *ended_by;      /* the connection test's session ended it: not interrupted */
    double wall_s;
    int failed;                /* expectations failed, or -1 for a script error */
    char hash[65];
    bool hash_ok;
} run_result;

static const char *end_name(sim_run_end e)
{
    switch (e) {
    case SIM_END_UNTIL: return "until";
    case SIM_END_DRAINED: return "drained";
    case SIM_END_HALTED: return "error";
    case SIM_END_STOPPED: return "interrupted";
    default: return "none";
    }
}

/* ---- Monte Carlo (--runs): many seeds in worker processes ------------------------------ */

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
    char *first_error;
    runs_expectation *ex;
    size_t nex;
} runs_ctx;

static char *replay_command(const session *s);

static char *replay_seed(const run_opts *o, uint64_t seed)
{
    session tmp = {.o = *o};
    tmp.o.seed = seed;
    tmp.o.runs = 0;
    return replay_command(&tmp);
}

/* "monte_carlo" in summary.json: the schedule's odds (node_rollout_mc.c) and the runs. */
static void runs_json(runs_ctx *c, cJSON *root)
{
    rollout_mc_json(c->mc, root);
    cJSON *mc = cJSON_GetObjectItem(root, "monte_carlo");
    if (!mc) mc = cJSON_AddObjectToObject(root, "monte_carlo");
    cJSON_DeleteItemFromObject(mc, "runs");
    cJSON_AddNumberToObject(mc, "runs", (double)c->done);
    cJSON_AddNumberToObject(mc, "first_seed", (double)c->o->seed);
    cJSON_AddNumberToObject(mc, "last_seed", (double)(c->o->seed + c->o->runs - 1));
    cJSON_AddNumberToObject(mc, "jobs", c->jobs);
    cJSON_AddNumberToObject(mc, "wall_s", c->wall_s);
    cJSON_AddNumberToObject(mc, "passed", (double)c->passed);
    cJSON_AddNumberToObject(mc, "failed", (double)c->failed);
    cJSON_AddNumberToObject(mc, "errors", (double)c->errors);
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

static void runs_print(runs_ctx *c)
{
    uint64_t last = c->o->seed + c->o->runs - 1;
    printf("  runs       %" PRIu64 " of %" PRIu64 " seeds (%" PRIu64 " to %" PRIu64 ") on %d worker(s) in %.1f s wall: "
           "%" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " with errors\n", c->done, c->o->runs, c->o->seed, last,
           c->jobs, c->wall_s, c->passed, c->failed, c->errors);
    for (size_t i = 0; i < c->nex; i++) {
        char *cmd = replay_seed(c->o, c->ex[i].first_seed);
        printf("    FAIL %s: in %" PRIu64 " run(s); the first: %s\n", c->ex[i].name, c->ex[i].failed, cmd ? cmd : "");
        free(cmd);
    }
    if (c->first_error) printf("    error in seed %" PRIu64 ": %s\n", c->first_error_seed, c->first_error);
    rollout_mc_print(c->mc, stdout);
}

static int write_summary(session *s, const run_result *r, sim_time_t until, int status)
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
    cJSON_AddStringToObject(root, "end_reason", r->ended_by ? r->ended_by : end_name(r->end));
    cJSON_AddBoolToObject(root, "interrupted", r->end == SIM_END_STOPPED && !r->ended_by);
    cJSON_AddStringToObject(root, "mode", s->o.speed > 0 ? "paced" : "fast");
    if (s->o.speed > 0) cJSON_AddNumberToObject(root, "speed", s->o.speed);
    cJSON_AddNumberToObject(root, "events", (double)st->events);
    cJSON_AddNumberToObject(root, "wall_s", r->wall_s);
    cJSON_AddNumberToObject(root, "events_per_s", r->wall_s > 0 ? (double)st->events / r->wall_s : 0);
    cJSON_AddNumberToObject(root, "sim_per_wall", r->wall_s > 0 ? (double)(sim_world_now(s->w) - sim_world_start(s->w)) / 1e6 / r->wall_s : 0);
    cJSON_AddStringToObject(root, "trace_hash", r->hash_ok ? r->hash : "");
    cJSON_AddNumberToObject(root, "trace_records", (double)sim_world_trace_records(s->w));
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
    if (s->runs) runs_json(s->runs, root);
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
    char *replay = replay_command(s);
    if (replay) cJSON_AddStringToObject(root, "replay", replay);
    free(replay);
    cJSON_AddNumberToObject(root, "exit_status", status);
    if (s->dash) cJSON_AddItemToObject(root, "series", dash_series_json(s->dash));
    if (s->connect) cJSON_AddItemToObject(root, "connection_test", connect_report_json(s->connect));
    const char *report = out_file(s, "report.html");
    int report_rc = report ? report_html_write(report, root) : -ENOMEM;
    if (report_rc < 0) fprintf(stderr, "renkei: cannot write %s: %s\n", report ? report : "report.html", strerror(-report_rc));
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    const char *path = out_file(s, "summary.json");
    FILE *f = path && text ? fopen(path, "w") : NULL;
    int rc = report_rc < 0 ? -EIO : 0;
    if (!f || fputs(text, f) < 0 || fputc('\n', f) < 0) rc = -EIO;
    if (f && fclose(f) != 0) rc = -EIO;
    if (rc < 0) fprintf(stderr, "renkei: cannot write %s\n", path ? path : "summary.json");
    cJSON_free(text);
    return rc;
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

static void print_summary(session *s, const run_result *r, int status)
{
    const sim_world_stats *st = sim_world_stats_get(s->w);
    char start[SIM_TIME_BUFSZ], end[SIM_TIME_BUFSZ], span[64], a[32], b[32], c[32];
    sim_time_format(sim_world_start(s->w), start, sizeof start);
    sim_time_format(sim_world_now(s->w), end, sizeof end);
    sim_duration_format(sim_world_now(s->w) - sim_world_start(s->w), span, sizeof span);
    printf("\nrenkei: seed %" PRIu64 ", %s -> %s JST (%s simulated), ended: %s\n", s->o.seed, start,
           end, span, r->ended_by ? r->ended_by : end_name(r->end));
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
        }
        printf("\n");
    }
    if (sim_lua_error(s->sl)) printf("  error      %s\n", sim_lua_error(s->sl));
    if (s->runs) runs_print(s->runs);
    printf("  trace      sha256 %s (%" PRIu64 " records)\n", r->hash_ok ? r->hash : "(unavailable)",
           sim_world_trace_records(s->w));
    if (s->o.out_dir)
        printf("  outputs    %s/summary.json, %s/trace.jsonl, %s/report.html\n", s->o.out_dir, s->o.out_dir, s->o.out_dir);
    if (status == EXIT_FAIL || status == EXIT_USAGE) {
        char *cmd = replay_command(s);
        if (cmd) printf("  replay     %s\n", cmd);
        free(cmd);
    }
    fflush(stdout);
}

typedef struct loop_ctx {
    session *s;
    sim_run *run;
    uv_signal_t sigint;
    uint64_t t0;
    bool serving;              /* the dashboard is open */
    bool concluded;
    run_result r;
    int status;
} loop_ctx;

/* The run is over: its result and exit status, once (expectations run at its end). */
static void conclude(loop_ctx *ctx)
{
    session *s = ctx->s;
    run_result *r = &ctx->r;
    if (ctx->concluded) return;
    ctx->concluded = true;
    *r = (run_result){.end = sim_run_get_end(ctx->run), .wall_s = (double)(uv_hrtime() - ctx->t0) / 1e9};
    if (r->end == SIM_END_STOPPED && connect_ended_run(s->connect)) r->ended_by = "session_end";
    if (r->end == SIM_END_HALTED) {
        r->failed = -1;
        ctx->status = EXIT_USAGE;
        fprintf(stderr, "renkei: %s\n", sim_lua_error(s->sl) ? sim_lua_error(s->sl) : "halted");
    } else if (r->end == SIM_END_STOPPED && !r->ended_by) {
        ctx->status = EXIT_INTERRUPTED;
    } else {
        r->failed = sim_lua_check_expectations(s->sl);
        if (r->failed < 0) fprintf(stderr, "renkei: %s\n", sim_lua_error(s->sl));
        else r->failed += report_failed(s->w) + connect_failed(s->connect);
        ctx->status = r->failed < 0 ? EXIT_USAGE : r->failed > 0 ? EXIT_FAIL : EXIT_PASS;
    }
}

static void stop_serving(loop_ctx *ctx)
{
    if (!ctx->serving) return;
    ctx->serving = false;
    dash_close(ctx->s->dash);
}

static void on_done(sim_run *r, void *arg)
{
    loop_ctx *ctx = arg;
    conclude(ctx);
    connect_close(ctx->s->connect);   /* the session is over: no more requests */
    if (ctx->serving) {
        dash_run_ended(ctx->s->dash, end_name(ctx->r.end), ctx->status);
        if (!ctx->s->o.exit_at_end && ctx->r.end != SIM_END_STOPPED) {
            printf("renkei: the run ended (%s); still serving the dashboard until Ctrl-C\n", end_name(ctx->r.end));
            return;   /* the page can still be inspected */
        }
        stop_serving(ctx);
    }
    uv_signal_stop(&ctx->sigint);
}

static void on_sigint(uv_signal_t *h, int signum)
{
    loop_ctx *ctx = h->data;
    if (sim_run_get_state(ctx->run) != SIM_RUN_DONE) {
        sim_run_stop(ctx->run);   /* on_done closes the rest */
        return;
    }
    stop_serving(ctx);
    uv_signal_stop(&ctx->sigint);
}

static bool is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

/* --serve [HOST:]PORT: bind, print where and the token. Returns 0 or an exit status. */
static int start_serving(loop_ctx *ctx, uv_loop_t *loop)
{
    session *s = ctx->s;
    const char *spec = s->o.serve;
    char host[64] = "127.0.0.1";
    const char *port_text = spec;
    const char *colon = strrchr(spec, ':');
    if (colon) {
        size_t n = (size_t)(colon - spec);
        if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {   /* [::1]:8080 */
            spec++;
            n -= 2;
        }
        if (n == 0 || n >= sizeof host) return usage_error("--serve %s: expected [HOST:]PORT", s->o.serve);
        memcpy(host, spec, n);
        host[n] = '\0';
        port_text = colon + 1;
    }
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
    uint64_t port;
    if (!parse_u64(port_text, &port) || port > 65535) return usage_error("--serve %s: expected a port from 0 to 65535", s->o.serve);
    if (!is_loopback(host) && !s->o.serve_any)
        return usage_error("--serve %s: only loopback addresses unless --serve-any is given (anyone who can reach it sees the run)", s->o.serve);
    const char *web = s->o.web_root ? s->o.web_root : RENKEI_WEB_DIR;
    char index[4096];
    snprintf(index, sizeof index, "%s/index.html", web);
    if (access(index, R_OK) != 0) return usage_error("--web %s: no index.html there", web);
    unsigned char raw[16];
    char token[33];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        fprintf(stderr, "renkei: cannot draw an access token\n");
        return EXIT_USAGE;
    }
    for (int i = 0; i < 16; i++) snprintf(token + 2 * i, 3, "%02x", raw[i]);
    node_dash_serve_config cfg = {.host = host, .port = (int)port, .web_root = web, .token = token,
                                  .loopback = is_loopback(host)};
    int rc = dash_serve(s->dash, ctx->run, loop, &cfg);
    if (rc < 0) {
        fprintf(stderr, "renkei: --serve %s: %s\n", s->o.serve, uv_strerror(rc));
        return EXIT_USAGE;
    }
    ctx->serving = true;
    bool v6 = strchr(host, ':') != NULL;
    printf("renkei: dashboard at http://%s%s%s:%d/#token=%s\n", v6 ? "[" : "", host, v6 ? "]" : "",
           dash_port(s->dash), token);
    printf("renkei: access token %s (needed to pause, step, change the speed or inject faults)\n", token);
    printf("renkei: the run %s; Ctrl-C quits\n", s->o.play ? "is running" : "starts paused: press play on the page");
    return 0;
}

/* --connect LG --listen [HOST:]PORT: the local government's API, its token, the session log. */
static int start_connect(loop_ctx *ctx, uv_loop_t *loop)
{
    session *s = ctx->s;
    char host[64];
    int port;
    if (connect_parse_listen(s->o.listen, host, sizeof host, &port) < 0)
        return usage_error("--listen %s: expected [HOST:]PORT with a port from 0 to 65535", s->o.listen);
    if (!is_loopback(host) && !s->o.listen_any)
        return usage_error("--listen %s: only loopback addresses unless --listen-any is given (anyone who can reach it drives the tenant)", s->o.listen);
    const char *log = s->o.out_dir ? out_file(s, "connect_session.jsonl") : NULL;
    char *log_path = log ? strdup(log) : NULL;
    node_connect_serve_config cfg = {.host = host, .port = port, .loopback = is_loopback(host),
                                     .rate = s->o.connect_rate, .session_log = log_path, .info = run_info(s)};
    int rc = connect_serve(s->connect, ctx->run, loop, &cfg);
    if (rc < 0) {
        fprintf(stderr, "renkei: --listen %s: %s\n", s->o.listen, rc == -EADDRINUSE || rc == -EACCES || rc == -EINVAL ? uv_strerror(rc) : strerror(-rc));
        free(log_path);
        return EXIT_USAGE;
    }
    bool v6 = strchr(host, ':') != NULL;
    printf("renkei: connection test of %s %s: API at http://%s%s%s:%d/connect/v1/\n", s->o.connect,
           connect_lg_name(s->connect), v6 ? "[" : "", host, v6 ? "]" : "", connect_port(s->connect));
    printf("renkei: access token %s (every request: header Authorization: Bearer TOKEN)\n", connect_token(s->connect));
    printf("renkei: paced at %g simulated seconds a wall second; POST /connect/v1/session/end or Ctrl-C ends the session\n", s->o.speed);
    if (log_path) printf("renkei: session log %s (replay: --replay-session %s)\n", log_path, log_path);
    else printf("renkei: no --out: the session is not recorded and cannot be replayed\n");
    free(log_path);
    return 0;
}

/* One run with outputs, from the parsed options in s to the exit status; closes s. */
static int run_session(session *sp)
{
    session s = *sp;
    int status = session_open(&s, true);
    sim_time_t until = 0;
    if (status == 0) status = resolve_until(&s, &until);
    if (status != 0) {
        if (s.w && s.o.out_dir && sim_lua_error(s.sl)) {
            run_result r = {.end = SIM_END_HALTED, .failed = -1};
            r.hash_ok = sim_world_trace_hash(s.w, r.hash) == 0;
            write_summary(&s, &r, until, status);
        }
        session_close(&s);
        return status;
    }
    dash_begin(s.dash);
    if (sim_world_start_nodes(s.w) < 0 || sim_lua_begin_run(s.sl, until) < 0) {
        fprintf(stderr, "renkei: cannot schedule the start of the run\n");
        session_close(&s);
        return EXIT_USAGE;
    }

    uv_loop_t loop;
    uv_loop_init(&loop);
    loop_ctx ctx = {.s = &s};
    sim_run_create(s.w, &loop, until, s.o.speed, &ctx.run);
    uv_signal_init(&loop, &ctx.sigint);
    ctx.sigint.data = &ctx;
    uv_signal_start(&ctx.sigint, on_sigint, SIGINT);   /* before the URL is printed */
    if (s.o.serve) status = start_serving(&ctx, &loop);
    if (status == 0 && s.o.connect) status = start_connect(&ctx, &loop);
    int replayed = 0;
    if (status == 0 && s.replay) {
        char why[400];
        ctx.t0 = uv_hrtime();
        node_connect_session *rs = s.replay;
        s.replay = NULL;   /* the connection test takes it */
        replayed = connect_replay(s.connect, rs, why, sizeof why);
        if (replayed < 0) fprintf(stderr, "renkei: --replay-session: %s\n", why);
    }
    if (status == 0) {
        if (!s.o.replay_session) ctx.t0 = uv_hrtime();
        sim_run_start(ctx.run, on_done, &ctx);
        if (replayed != 0) sim_run_stop(ctx.run);   /* the session ended there (or diverged) */
        if (s.o.serve && !s.o.play) sim_run_pause(ctx.run);
        uv_run(&loop, UV_RUN_DEFAULT);
        conclude(&ctx);
        status = ctx.status;
    }
    sim_run_close(ctx.run);
    uv_signal_stop(&ctx.sigint);
    uv_close((uv_handle_t *)&ctx.sigint, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0) fprintf(stderr, "renkei: internal error: a libuv handle was left open\n");
    if (!ctx.concluded) {   /* --serve failed before the run began */
        session_close(&s);
        return status;
    }

    run_result r = ctx.r;
    connect_finish(s.connect, r.ended_by ? "api" : r.end == SIM_END_STOPPED ? "interrupted" : end_name(r.end));
    int hrc = sim_world_trace_hash(s.w, r.hash);
    r.hash_ok = hrc == 0 || hrc == -EIO;
    if (hrc == -EIO) fprintf(stderr, "renkei: writing the trace failed (the hash is still right)\n");
    print_summary(&s, &r, status);
    if (s.o.out_dir && write_summary(&s, &r, until, status) < 0 && status == EXIT_PASS) status = EXIT_USAGE;
    session_close(&s);
    return status;
}

static int clone_opts(const run_opts *from, run_opts *to)
{
    *to = *from;
    to->files = calloc((size_t)from->nfiles + 1, sizeof *to->files);
    to->sets = calloc((size_t)from->nsets + 1, sizeof *to->sets);
    if (!to->files || !to->sets) {
        free_run_opts(to);
        return -ENOMEM;
    }
    memcpy(to->files, from->files, (size_t)from->nfiles * sizeof *to->files);
    memcpy(to->sets, from->sets, (size_t)from->nsets * sizeof *to->sets);
    return 0;
}

/* In a worker: one seed, quietly, without a trace; its record as one line of JSON. */
static int run_one(uint64_t seed, void *ud, char **text)
{
    runs_ctx *c = ud;
    session s = {.trace_fd = -1};
    if (clone_opts(c->o, &s.o) < 0) return -ENOMEM;
    s.o.seed = seed;
    s.o.quiet = true;
    s.o.out_dir = NULL;
    s.o.no_trace = true;
    int status = session_open(&s, false);
    sim_time_t until = 0;
    if (status == 0) status = resolve_until(&s, &until);
    if (status == 0 && (sim_world_start_nodes(s.w) < 0 || sim_lua_begin_run(s.sl, until) < 0)) status = EXIT_USAGE;
    int invariants = 0;
    if (status == 0) {
        sim_world_run(s.w, until, 0);
        if (sim_world_halted(s.w, NULL)) {
            status = EXIT_USAGE;
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
    if (s.sl && sim_lua_error(s.sl)) cJSON_AddStringToObject(rec, "error", sim_lua_error(s.sl));
    cJSON *failed = cJSON_AddArrayToObject(rec, "failed");
    for (size_t i = 0; s.sl && status == EXIT_FAIL && i < sim_lua_expectation_count(s.sl); i++) {
        const sim_expectation *e = sim_lua_expectation(s.sl, i);
        if (e->evaluated && !e->passed) cJSON_AddItemToArray(failed, cJSON_CreateString(e->name));
    }
    if (invariants) cJSON_AddItemToArray(failed, cJSON_CreateString("(an invariant of the national flow)"));
    cJSON *sched = status != EXIT_USAGE && s.w ? rollout_record(s.w) : NULL;
    if (sched) cJSON_AddItemToObject(rec, "schedule", sched);
    char *line = cJSON_PrintUnformatted(rec);
    *text = line ? strdup(line) : NULL;
    cJSON_free(line);
    cJSON_Delete(rec);
    session_close(&s);
    return 0;
}

static void runs_collect(uint64_t seed, const char *text, void *ud)
{
    runs_ctx *c = ud;
    cJSON *rec = text[0] ? cJSON_Parse(text) : NULL;
    const cJSON *st = cJSON_GetObjectItem(rec, "status");
    int status = cJSON_IsNumber(st) ? (int)st->valuedouble : EXIT_USAGE;
    c->done++;
    if (status == EXIT_PASS) c->passed++;
    else if (status == EXIT_FAIL) c->failed++;
    else c->errors++;
    if (status == EXIT_USAGE && !c->first_error) {
        const cJSON *err = cJSON_GetObjectItem(rec, "error");
        c->first_error = strdup(cJSON_IsString(err) ? err->valuestring : "the worker running this seed died");
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

/* --runs N: seeds seed .. seed + N - 1 over worker processes, then the base seed once more
 * in full (its trace, summary and report) with the Monte Carlo added. The exit status is
 * the worst over every run: 2 if any had a script error, else 1 if an expectation failed in
 * any, else 0; 130 on Ctrl-C. */
static int cmd_runs(session *s)
{
    session v = {.trace_fd = -1};
    int status = clone_opts(&s->o, &v.o) < 0 ? EXIT_USAGE : 0;
    v.o.quiet = true;
    v.o.no_trace = true;
    v.o.out_dir = NULL;
    sim_time_t until;
    if (status == 0) status = session_open(&v, false);   /* one clear error, not one per run */
    if (status == 0) status = resolve_until(&v, &until);
    session_close(&v);
    if (status != 0) {
        session_close(s);
        return status;
    }
    runs_ctx c = {.o = &s->o, .mc = rollout_mc_new(), .progress = isatty(STDERR_FILENO)};
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    c.jobs = s->o.jobs ? (int)s->o.jobs : cpus > 0 ? (int)cpus : 1;
    if ((uint64_t)c.jobs > s->o.runs) c.jobs = (int)s->o.runs;
    sim_runs_config cfg = {.first_seed = s->o.seed, .count = s->o.runs, .jobs = c.jobs, .one = run_one,
                           .one_ud = &c, .collect = runs_collect, .progress = runs_progress, .collect_ud = &c};
    fflush(stdout);
    fflush(stderr);
    uint64_t t0 = uv_hrtime();
    int rc = c.mc ? sim_runs(&cfg) : -ENOMEM;
    c.wall_s = (double)(uv_hrtime() - t0) / 1e9;
    if (c.progress && c.done) fprintf(stderr, "\n");
    if (rc < 0 && rc != -EINTR) {
        fprintf(stderr, "renkei: --runs: cannot start the workers: %s\n", strerror(-rc));
        runs_free(&c);
        session_close(s);
        return EXIT_USAGE;
    }
    if (rc == -EINTR) {
        printf("\nrenkei: interrupted after %" PRIu64 " of %" PRIu64 " runs\n", c.done, s->o.runs);
        runs_print(&c);
        if (s->o.out_dir && make_dirs(s->o.out_dir) == 0) {
            cJSON *root = cJSON_CreateObject();
            cJSON_AddBoolToObject(root, "interrupted", true);
            runs_json(&c, root);
            cJSON_AddNumberToObject(root, "exit_status", EXIT_INTERRUPTED);
            char *text = cJSON_Print(root);
            char *path = out_file(s, "summary.json");
            FILE *f = text && path ? fopen(path, "w") : NULL;
            if (f) {
                fputs(text, f);
                fputc('\n', f);
                fclose(f);
            }
            cJSON_free(text);
            cJSON_Delete(root);
        }
        runs_free(&c);
        session_close(s);
        return EXIT_INTERRUPTED;
    }
    s->runs = &c;
    status = run_session(s);
    if (status != EXIT_INTERRUPTED) {
        if (c.errors) status = EXIT_USAGE;
        else if (c.failed && status == EXIT_PASS) status = EXIT_FAIL;
    }
    runs_free(&c);
    return status;
}

static int cmd_run(int argc, char **argv)
{
    session s = {.trace_fd = -1};
    int status = parse_run_opts(argc, argv, &s.o);
    if (status != 0) {
        session_close(&s);
        return status;
    }
    return s.o.runs ? cmd_runs(&s) : run_session(&s);
}

static int cmd_check(int argc, char **argv)
{
    session s = {.trace_fd = -1};
    int status = parse_run_opts(argc, argv, &s.o);
    if (status == 0) {
        s.o.quiet = true;
        status = session_open(&s, false);
    }
    sim_time_t until;
    if (status == 0) status = resolve_until(&s, &until);
    if (status == 0)
        printf("ok: %d file(s), %u nodes, %zu events scheduled, %zu expectations\n", s.o.nfiles,
               sim_world_node_count(s.w), sim_world_pending(s.w), sim_lua_expectation_count(s.sl));
    session_close(&s);
    return status;
}

/* report.html again from a summary.json (a run's, or one written by hand). */
static int cmd_report(int argc, char **argv)
{
    if (argc != 2) return usage_error("%s", "report: expected SUMMARY.json OUT.html");
    FILE *f = fopen(argv[0], "r");
    if (!f) {
        fprintf(stderr, "renkei: %s: %s\n", argv[0], strerror(errno));
        return EXIT_USAGE;
    }
    char *text = NULL;
    size_t len = 0, cap = 0, n;
    char chunk[65536];
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *p = realloc(text, cap);
            if (!p) break;
            text = p;
        }
        memcpy(text + len, chunk, n);
        len += n;
    }
    fclose(f);
    cJSON *summary = text ? cJSON_ParseWithLength(text, len) : NULL;
    free(text);
    if (!cJSON_IsObject(summary)) {
        cJSON_Delete(summary);
        fprintf(stderr, "renkei: %s: not a JSON object\n", argv[0]);
        return EXIT_USAGE;
    }
    int rc = report_html_write(argv[1], summary);
    cJSON_Delete(summary);
    if (rc < 0) {
        fprintf(stderr, "renkei: %s: %s\n", argv[1], strerror(-rc));
        return EXIT_USAGE;
    }
    return EXIT_PASS;
}

/* ---- bench ----------------------------------------------------------------------------- */

static int cmd_bench(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "phold") != 0)
        return usage_error("bench: unknown benchmark '%s' (try: phold)", argc ? argv[0] : "");
    node_phold_config cfg = {.lps = 1800, .events_per_lp = 16, .end = 400, .lookahead = 0.1, .seed = 1};
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;
        if (strcmp(a, "--json") == 0) {
            json = true;
            continue;
        }
        if (strcmp(a, "--lps") == 0 && parse_u64(v, &u) && u > 0 && u < UINT32_MAX)
            cfg.lps = (uint32_t)u;
        else if (strcmp(a, "--events-per-lp") == 0 && parse_u64(v, &u) && u < UINT32_MAX)
            cfg.events_per_lp = (uint32_t)u;
        else if (strcmp(a, "--end") == 0 && parse_double(v, &cfg.end) && cfg.end > 0)
            ;
        else if (strcmp(a, "--lookahead") == 0 && parse_double(v, &cfg.lookahead) && cfg.lookahead >= 0)
            ;
        else if (strcmp(a, "--seed") == 0 && parse_u64(v, &cfg.seed))
            ;
        else
            return usage_error("bench phold: bad option or value at '%s'", a);
        i++;
    }
    node_phold_result r;
    int rc = phold_bench(&cfg, &r);
    if (rc < 0) {
        fprintf(stderr, "renkei: bench phold: %s\n", strerror(-rc));
        return EXIT_USAGE;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    uint64_t pending = (uint64_t)cfg.lps * cfg.events_per_lp;
    double eps = r.wall_s > 0 ? (double)r.events / r.wall_s : 0;
    if (json) {
        printf("{\"events\":%" PRIu64 ",\"wall_s\":%.6f,\"events_per_s\":%.0f,\"peak_rss_kib\":%ld,"
               "\"pending\":%" PRIu64 ",\"event_bytes\":%zu,\"bytes_per_pending_event\":%.1f,"
               "\"lps\":%u,\"events_per_lp\":%u,\"end\":%g,\"lookahead\":%g,\"seed\":%" PRIu64 "}\n",
               r.events, r.wall_s, eps, ru.ru_maxrss, r.pending, r.event_bytes,
               pending ? (double)r.event_bytes / (double)pending : 0, cfg.lps, cfg.events_per_lp,
               cfg.end, cfg.lookahead, cfg.seed);
    } else {
        printf("engine=renkei workload=phold N=%u M=%u end=%g events=%" PRIu64 " pending=%" PRIu64
               " loop_s=%.3f ev_per_s=%.0f peak_rss_kib=%ld bytes_per_pending_event=%.1f\n",
               cfg.lps, cfg.events_per_lp, cfg.end, r.events, r.pending, r.wall_s, eps, ru.ru_maxrss,
               pending ? (double)r.event_bytes / (double)pending : 0);
    }
    return EXIT_PASS;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* SQLite's memory statistics take a global mutex on every allocation; nobody reads them. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (argc < 2) {
        fputs(USAGE, stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "check") == 0) return cmd_check(argc - 2, argv + 2);
    if (strcmp(cmd, "bench") == 0) return cmd_bench(argc - 2, argv + 2);
    if (strcmp(cmd, "report") == 0) return cmd_report(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("renkei %s\n", RENKEI_VERSION);
        return EXIT_PASS;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(USAGE, stdout);
        return EXIT_PASS;
    }
    return usage_error("unknown command '%s'", cmd);
}
