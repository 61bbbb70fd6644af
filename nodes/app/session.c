/* app/session.c - a session: the world, the Lua side, the scripts and the trace under --out,
 * opened and closed in one place; the run's end (--until). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/app.h"
#include "sim_snapshot.h"
#include "rollout/rollout.h"
#include "script/script.h"
#include "swarm/swarm.h"

int app_make_dirs(const char *path) { return sim_make_dirs(path); }

char *app_out_file(session *s, const char *name)
{
    free(s->out_path);
    size_t n = strlen(s->o.out_dir) + strlen(name) + 2;
    s->out_path = malloc(n);
    if (s->out_path) snprintf(s->out_path, n, "%s/%s", s->o.out_dir, name);
    return s->out_path;
}

void app_session_close(session *s)
{
    dash_destroy(s->dash);
    sim_world_destroy(s->w);    /* the world first: its messages use the Lua side's types */
    sim_lua_destroy(s->sl);
    connect_destroy(s->connect);   /* after the world, which told it of flows */
    connect_session_free(s->replay);
    if (s->trace_fd >= 0) close(s->trace_fd);
    free(s->out_path);
    app_free_run_opts(&s->o);
}

/* What a connection test's session log says about the run, to replay it. */
node_connect_run_info app_run_info(const session *s)
{
    return (node_connect_run_info){.seed = s->o.seed, .scripts = s->o.files, .nscripts = s->o.nfiles,
                                   .sets = s->o.sets, .nsets = s->o.nsets, .until = s->o.until};
}

/* Where the day before is kept (sim_snapshot.h): --snapshots DIR, else $RENKEI_SNAPSHOTS, else
 * $XDG_CACHE_HOME/renkei/snapshots (~/.cache/...); none with --no-snapshot, and none for a
 * Monte Carlo or swarm worker's run (each seed would leave one). Returns 0 or an exit status. */
static int use_snapshots(session *s)
{
    if (s->o.no_snapshot || s->o.no_trace) return 0;
    char dflt[4096];
    const char *dir = s->o.snapshots ? s->o.snapshots : getenv("RENKEI_SNAPSHOTS");
    if (!dir || !*dir) {
        const char *cache = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (cache && *cache) snprintf(dflt, sizeof dflt, "%s/renkei/snapshots", cache);
        else if (home && *home) snprintf(dflt, sizeof dflt, "%s/.cache/renkei/snapshots", home);
        else return 0;
        dir = dflt;
    }
    char inputs[65];
    int rc = sim_snapshot_inputs(s->o.files, s->o.nfiles, s->o.sets, s->o.nsets, inputs);
    if (rc == -ENOENT || rc == -EACCES || rc == -EISDIR) return 0;   /* the script's own error comes when it loads */
    if (rc == 0) rc = sim_world_set_snapshots(s->w, dir, inputs);
    if (rc < 0) {
        fprintf(stderr, "renkei: the inputs of the snapshot: %s\n", strerror(-rc));
        return EXIT_INTERNAL;
    }
    return 0;
}

/* Create the world and load every script. Returns 0 or an exit status. */
int app_session_open(session *s, bool with_trace)
{
    s->trace_fd = -1;
    s->trace_name = s->o.zstd ? "trace.jsonl.zst" : "trace.jsonl";
    if (with_trace && s->o.out_dir) {
        if (app_outdir_begin(s) < 0) return EXIT_USAGE;   /* printed */
    }
    if (with_trace && s->o.out_dir && s->o.trace_level != SIM_TRACE_NONE) {
        /* under its .part name until the run is over (outdir.c) */
        const char *path = app_out_part(s, s->trace_name);
        s->trace_fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666) : -1;
        if (s->trace_fd < 0) {
            fprintf(stderr, "renkei: %s: %s\n", path ? path : "trace", strerror(errno));
            return EXIT_USAGE;
        }
    }
    sim_world_config wc = {.seed = s->o.seed, .trace_fd = s->trace_fd, .trace_off = s->o.no_trace,
                           .trace_level = s->o.trace_level,
                           /* level 1: on the national day's trace both faster (0.6 s against 1.3 s of a core)
                            * and smaller (45.8 MB against 47.7 MB) than level 3 */
                           .trace_zstd = s->o.zstd ? 1 : 0};
    sim_lua_config lc = {.mem_cap = (size_t)s->o.lua_mem_mib << 20, .budget = s->o.lua_budget,
                         .quiet = s->o.quiet};
    if (sim_world_create(&wc, &s->w) < 0 || sim_lua_create(s->w, &lc, &s->sl) < 0 ||
        dash_attach(s->w, &s->dash) < 0) {
        fprintf(stderr, "renkei: out of memory\n");
        return EXIT_USAGE;
    }
    int src = use_snapshots(s);
    if (src != 0) return src;
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
        sim_lua_open_lib(s->sl, dash_open_lua) < 0 || sim_lua_open_lib(s->sl, connect_open_lua) < 0 ||
        sim_lua_open_lib(s->sl, swarm_open_lua) < 0) {
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
        if (rc < 0) return app_usage_error("--set %s: invalid", s->o.sets[i]);
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
    node_connect_run_info info = app_run_info(s);
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
int app_resolve_until(session *s, sim_time_t *until)
{
    sim_time_t start = sim_world_start(s->w);
    *until = start + SIM_DAY;
    sim_lua_finish_time(s->sl, until);
    if (!s->o.until) return 0;
    const char *u = s->o.until[0] == '+' ? s->o.until + 1 : s->o.until;
    int64_t d;
    if (sim_duration_parse(u, &d) == 0 && sim_time_add(start, d, until) == 0) return 0;
    if (sim_time_parse(s->o.until, until) == 0 && *until >= start) return 0;
    fprintf(stderr, "renkei: --until %s: expected a time after the start ('2017-11-14 08:30') or a duration ('6h')\n",
            s->o.until);
    return EXIT_USAGE;
}
