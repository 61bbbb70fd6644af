/* app/app.h - declarations shared by the app's files (the `renkei` command, nodes/app): the
 * exit statuses, the parsed options of `run` and `check`, the session one run holds, and the
 * functions one file of the app calls in another (prefixed app_; the rest are static).
 *
 *   main.c        main and the command dispatch
 *   cli.c         the options of `run` and `check`, usage errors
 *   session.c     open and close a session (world, Lua, scripts, --out), resolve --until
 *   run.c         one run with outputs: the libuv loop, Ctrl-C, the run's conclusion
 *   serve.c       --serve (the dashboard) and --connect (the connection test's API)
 *   outputs.c     summary.json, the printed summary, the replay command
 *   outdir.c      the --out directory's protocol: PARTIAL, NAME.part renamed when whole
 *   runs.c        the Monte Carlo over seeds (--runs)
 *   swarm.c       `renkei swarm`: compound fault schedules over seeds, checked and shrunk
 *   merge.c       `renkei merge`: the shards of --runs or a swarm (--shard K/N) as one result
 *   check.c, report_cmd.c, bench.c   the other commands */
#ifndef RENKEI_APP_H
#define RENKEI_APP_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "connect/connect.h"
#include "dash/dash.h"
#include "sim_lua.h"
#include "sim_run.h"
#include "sim_world.h"

#ifndef RENKEI_VERSION
#define RENKEI_VERSION "dev"
#endif
#ifndef RENKEI_WEB_DIR
#define RENKEI_WEB_DIR "web"
#endif

/* The exit statuses; EXIT_INTERNAL is the status the domain halts an internal failure with
 * (DOMAIN_EXIT_INTERNAL: an allocation or a timer that failed), the outputs marking the run
 * incomplete. */
/* EXIT_OUTPUT: the run itself ended, but an output under --out could not be written (the
 * file and the errno on stderr); EXIT_TERMINATED: SIGTERM, as EXIT_INTERRUPTED is SIGINT. */
enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3, EXIT_OUTPUT = 4,
       EXIT_INTERRUPTED = 130, EXIT_TERMINATED = 143 };

/* ---- cli.c: the options ------------------------------------------------------------- */

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
    bool tls;                  /* --tls: TLS with a certificate generated for the session */
    const char *tls_cert, *tls_key, *tls_client_ca;   /* --tls-cert, --tls-key, --tls-client-ca */
    double connect_rate;       /* requests a second per client */
    const char *replay_session;
    bool fast_given;
    uint64_t runs, jobs;       /* Monte Carlo: runs seeds seed .. seed + runs - 1 on jobs workers */
    bool no_trace;             /* a Monte Carlo worker's run: no trace, no hash */
    sim_trace_level trace_level;   /* --trace: all (default), flows (no bodies), none */
    bool zstd;                 /* --zstd: trace.jsonl.zst instead of trace.jsonl */
    uint64_t shard_k, shard_n; /* --shard K/N: this machine's share of --runs or the swarm's seeds */
    const char *snapshots;     /* --snapshots DIR: where the day before is kept */
    bool no_snapshot;          /* --no-snapshot: build it, neither read nor keep one */
} run_opts;

/* The usage text, to out. */
void app_print_usage(FILE *out);
/* "renkei: <message>" and the usage on stderr; returns EXIT_USAGE. */
int  app_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "renkei: <message>" alone, one line on stderr (a value out of range); returns EXIT_USAGE. */
int  app_one_line_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* --lua-mem's range in MiB (1 TiB). */
enum { APP_LUA_MEM_MAX_MIB = 1048576 };
/* A non-negative decimal integer / a number (not NaN), the whole string. */
bool app_parse_u64(const char *s, uint64_t *out);
bool app_parse_double(const char *s, double *out);
/* The arguments of `run` or `check` after the command. Returns 0 or an exit status (the
 * error printed); free the options with app_free_run_opts either way. */
int  app_parse_run_opts(int argc, char **argv, run_opts *o);
void app_free_run_opts(run_opts *o);
/* A copy with its own arrays (the strings are shared). Returns 0 or -ENOMEM. */
int  app_clone_opts(const run_opts *from, run_opts *to);

/* ---- session.c: what one run holds ---------------------------------------------------- */

/* Everything one `renkei run` or `check` holds, torn down in one place. */
typedef struct session {
    run_opts o;
    sim_world *w;
    sim_lua *sl;
    node_dash *dash;           /* the figures (and the dashboard when serving) */
    node_connect *connect;     /* connection test (--connect, --replay-session) */
    node_connect_session *replay;
    int trace_fd;
    const char *trace_name;    /* trace.jsonl or trace.jsonl.zst under --out */
    char *out_path;            /* scratch for building paths under --out */
    struct runs_ctx *runs;     /* with --runs: the Monte Carlo, reported with the base run */
} session;

/* mkdir -p. Returns 0 or -errno. */
int  app_make_dirs(const char *path);
/* DIR/name under --out, in the session's scratch (valid until the next call), or NULL. */
char *app_out_file(session *s, const char *name);
/* ---- outdir.c: the --out directory's protocol (PARTIAL, NAME.part, rename) ------------------ */

/* Make --out, write its PARTIAL marker and remove the previous run's outputs. Returns 0 or
 * -errno (printed). */
int  app_outdir_begin(session *s);
/* DIR/NAME.part, where NAME is written before app_out_commit renames it (app_out_file's scratch). */
char *app_out_part(session *s, const char *name);
/* Rename DIR/NAME.part to DIR/NAME. Returns 0 or -errno (printed). */
int  app_out_commit(session *s, const char *name);
/* The run is over: a complete one removes PARTIAL. Returns 0 or -errno (printed). */
int  app_outdir_end(session *s, bool complete);

/* Create the world and load every script (with_trace: open --out and its trace). Returns 0
 * or an exit status, the error printed. */
int  app_session_open(session *s, bool with_trace);
void app_session_close(session *s);
/* What a connection test's session log says about the run, to replay it. */
node_connect_run_info app_run_info(const session *s);
/* The run's end: --until (a time, or a duration after the start), else the scripts' finish
 * time, else a day. Returns 0 or an exit status. */
int  app_resolve_until(session *s, sim_time_t *until);

/* ---- run.c: one run with outputs ------------------------------------------------------ */

/* One run with outputs, from the parsed options in s to the exit status; closes s. */
int  app_run_session(session *s);
/* Why an internal failure halted the world (sim_world_halt with DOMAIN_EXIT_INTERNAL), or NULL
 * when it did not halt or a script error halted it. */
const char *app_internal_failure(const sim_world *w);

/* ---- serve.c: --serve and --connect ----------------------------------------------------- */

/* --serve [HOST:]PORT: bind, print where and the token. Returns 0 or an exit status. */
int  app_start_serving(session *s, sim_run *run, uv_loop_t *loop);
/* --connect LG --listen [HOST:]PORT: the local government's API, its token, the session log.
 * Returns 0 or an exit status. */
int  app_start_connect(session *s, sim_run *run, uv_loop_t *loop);

/* ---- rewind.c: rewind and branch a served run (checkpoints by fork) ---------------------- */

typedef struct app_rewind app_rewind;
/* After the run has started (paused) and the dashboard listens: take the first checkpoint
 * (this process becomes it and waits; a child runs on and returns here) and one every 30
 * simulated minutes. 0 (*out NULL when the run cannot be rewound: the page is told why) or
 * a negative errno. */
int  app_rewind_start(session *s, sim_run *run, uv_loop_t *loop, app_rewind **out);
/* Close its handle (before the loop's last run). */
void app_rewind_close(app_rewind *rw);
/* The running process's end: the first process exits with this status; frees rw. */
void app_rewind_exit(app_rewind *rw, int status);

/* ---- outputs.c: what a run reports ---------------------------------------------------- */

typedef struct run_result {
    sim_run_end end;
    const char *ended_by;      /* the connection test's session ended it: not interrupted */
    double wall_s;
    int failed;                /* expectations failed, or -1 for a script error */
    const char *halt_reason;   /* an internal failure halted the run: why */
    bool terminated;           /* SIGTERM stopped it (else SIGINT, when interrupted) */
    char hash[65];
    bool hash_ok;
    int trace_errno;           /* trace.jsonl could not be written: why (0: it was, or none) */
    bool session_logged;       /* the connection test wrote connect_session.jsonl */
    int session_log_errno;     /* ... and it could not be written whole: why */
} run_result;

/* How a run ended, as summary.json and the summary say it: the driver's end (app_end_name),
 * or the run's (app_end_reason: also the connection test's session end, "internal_failure"). */
const char *app_end_name(sim_run_end e);
const char *app_end_reason(const run_result *r);
/* The command that replays the run (malloc'd), or NULL. */
char *app_replay_command(const session *s);
/* The outputs under --out: trace.jsonl renamed into place, report.html and summary.json
 * written whole, PARTIAL removed when the run is complete. *status is the run's exit status,
 * made EXIT_OUTPUT when a file could not be written (each failure printed, naming the file).
 * Returns 0 or -EIO. */
int  app_write_summary(session *s, const run_result *r, sim_time_t until, int *status);
/* root as DIR/name, written under name.part and renamed. Returns 0 or -errno (printed). */
int  app_write_json(session *s, const char *name, const cJSON *root);
/* The summary on stdout. */
void app_print_summary(session *s, const run_result *r, int status);

/* ---- runs.c: the Monte Carlo (--runs) --------------------------------------------------- */

/* "monte_carlo" in summary.json, and the same printed. */
void app_runs_json(struct runs_ctx *c, cJSON *root);
void app_runs_print(struct runs_ctx *c);
/* The exit status of the whole Monte Carlo from the base run's (the worst over every run;
 * a seed that killed its workers, or seeds no worker could be started for, make it
 * EXIT_INTERNAL). */
int  app_runs_status(struct runs_ctx *c, int status);
/* --runs N: the seeds over worker processes, then the base seed in full. Closes s. */
int  app_cmd_runs(session *s);
/* Why a seed was given up (sim_runs' lost callback), in words with its last worker's wait
 * status, as malloc'd text (NULL when out of memory). Shared with the swarm. */
char *app_runs_death(int wait_status);
/* --shard K/N: parse "K/N" (1 <= K <= N); the block of count seeds shard K runs, [*lo, *hi)
 * as offsets from the first seed (contiguous blocks, the first ones one seed shorter).
 * Returns 0 or -EINVAL. */
int  app_parse_shard(const char *text, uint64_t *k, uint64_t *n);
void app_shard_block(uint64_t k, uint64_t n, uint64_t count, uint64_t *lo, uint64_t *hi);
/* renkei merge of --runs shards: the records of shards[0..n) (shard.json, in shard order)
 * folded as one machine folds them, summary's "monte_carlo" replaced by theirs (summary is
 * shard 1's summary.json). Returns the exit status of the whole, or -ENOMEM. */
int  app_runs_merge(const run_opts *o, cJSON *const *shards, size_t n, cJSON *summary);

/* ---- the other commands ------------------------------------------------------------------ */

int app_cmd_check(int argc, char **argv);    /* check.c */
int app_cmd_report(int argc, char **argv);   /* report_cmd.c */
int app_cmd_diff(int argc, char **argv);     /* diff_cmd.c */
int app_cmd_bench(int argc, char **argv);    /* bench.c */
int app_cmd_swarm(int argc, char **argv);    /* swarm.c */
int app_cmd_merge(int argc, char **argv);    /* merge.c */
/* renkei merge of swarm shards (swarm --shard K/N): their swarm.json (in shard order, from
 * dirs) folded as one machine folds the seeds, written as OUT/swarm.json with the shrunk
 * scenarios copied beside it. Returns the swarm's exit status, or -ENOMEM. */
int app_swarm_merge(cJSON *const *shards, const char *const *dirs, size_t n, const char *out_dir);

#endif
