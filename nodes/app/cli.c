/* app/cli.c - the command line of `run` and `check`: the options, their checks, usage errors. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"

static const char USAGE[] =
    "usage: renkei run TOPOLOGY.lua [SCENARIO.lua ...] [--seed N] [--until TIME|DURATION]\n"
    "                  [--fast | --speed X] [--out DIR] [--set KEY=VALUE ...] [--quiet]\n"
    "                  [--lua-mem MIB] [--lua-budget INSTRUCTIONS] [--runs N [--jobs J] [--shard K/N]]\n"
    "                  [--serve [HOST:]PORT [--serve-any] [--play] [--exit-at-end] [--web DIR]]\n"
    "                  [--connect LG_CODE --listen [HOST:]PORT [--listen-any] [--connect-rate N]\n"
    "                   [--tls | --tls-cert FILE --tls-key FILE] [--tls-client-ca FILE]]\n"
    "                  [--replay-session FILE] [--trace all|flows|none] [--zstd]\n"
    "                  [--snapshots DIR | --no-snapshot]\n"
    "       renkei check FILE.lua ...\n"
    "       renkei swarm [--seeds N] [--first-seed S] [--jobs J] [--modes sync,semisync,async]\n"
    "                    [--kinds KIND,...] [--faults-max K] [--out DIR] [--topology FILE]\n"
    "                    [--set KEY=VALUE ...] [--inquiries N] [--residents N] [--no-shrink]\n"
    "       renkei merge --out DIR SHARD_DIR ...\n"
    "       renkei report SUMMARY.json OUT.html\n"
    "       renkei diff A/summary.json B/summary.json [--json OUT.json] [--html OUT.html]\n"
    "       renkei bench phold [--lps N] [--events-per-lp M] [--end T] [--lookahead L]\n"
    "                          [--seed S] [--json]\n"
    "       renkei version\n";

void app_print_usage(FILE *out)
{
    fputs(USAGE, out);
}

int app_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "renkei: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", USAGE);
    return EXIT_USAGE;
}

int app_one_line_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "renkei: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return EXIT_USAGE;
}

bool app_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-') return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

bool app_parse_double(const char *s, double *out)
{
    char *end;
    if (!s || !*s) return false;
    double v = strtod(s, &end);
    if (*end || v != v) return false;
    *out = v;
    return true;
}

int app_parse_shard(const char *text, uint64_t *k, uint64_t *n)
{
    const char *slash = strchr(text, '/');
    if (!slash || slash == text || (size_t)(slash - text) > 20) return -EINVAL;
    char left[24];
    snprintf(left, sizeof left, "%.*s", (int)(slash - text), text);
    if (!app_parse_u64(left, k) || !app_parse_u64(slash + 1, n) || *k < 1 || *k > *n || *n > 100000) return -EINVAL;
    return 0;
}

void app_shard_block(uint64_t k, uint64_t n, uint64_t count, uint64_t *lo, uint64_t *hi)
{
    *lo = (k - 1) * count / n;
    *hi = k * count / n;
}

int app_parse_run_opts(int argc, char **argv, run_opts *o)
{
    *o = (run_opts){.seed = 1, .connect_rate = 20};
    o->files = calloc((size_t)argc, sizeof *o->files);
    o->sets = calloc((size_t)argc, sizeof *o->sets);
    if (!o->files || !o->sets) return app_usage_error("%s", "out of memory");
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (strcmp(a, "--seed") == 0) {
            if (!app_parse_u64(v, &o->seed)) return app_usage_error("--seed: expected a non-negative integer, got '%s'", v ? v : "");
        } else if (strcmp(a, "--until") == 0) {
            if (!v) return app_usage_error("%s: expected a time or a duration", a);
            o->until = v;
        } else if (strcmp(a, "--speed") == 0) {
            /* paced from a millionth of real time to a billion times it: beyond, the wall-clock
             * arithmetic of pacing loses its meaning (--fast is "as fast as possible") */
            if (!app_parse_double(v, &o->speed) || !(o->speed >= 1e-6 && o->speed <= 1e9))
                return app_usage_error("--speed: expected a number from 0.000001 to 1000000000 (or --fast), got '%s'", v ? v : "");
        } else if (strcmp(a, "--out") == 0) {
            if (!v) return app_usage_error("%s: expected a directory", a);
            if (!*v) return app_one_line_error("%s", "--out: expected a directory, got ''");
            o->out_dir = v;
        } else if (strcmp(a, "--set") == 0) {
            if (!v || !strchr(v, '=') || v[0] == '=') return app_usage_error("--set: expected KEY=VALUE, got '%s'", v ? v : "");
            o->sets[o->nsets++] = v;
        } else if (strcmp(a, "--serve") == 0) {
            if (!v) return app_usage_error("%s: expected [HOST:]PORT", a);
            o->serve = v;
        } else if (strcmp(a, "--web") == 0) {
            if (!v) return app_usage_error("%s: expected a directory", a);
            o->web_root = v;
        } else if (strcmp(a, "--connect") == 0) {
            if (!v || strlen(v) != 6 || strspn(v, "0123456789") != 6) return app_usage_error("--connect: expected a 6-digit local-government code, got '%s'", v ? v : "");
            o->connect = v;
        } else if (strcmp(a, "--listen") == 0) {
            if (!v) return app_usage_error("%s: expected [HOST:]PORT", a);
            o->listen = v;
        } else if (strcmp(a, "--connect-rate") == 0) {
            if (!app_parse_double(v, &o->connect_rate) || o->connect_rate < 0) return app_usage_error("--connect-rate: expected requests a second (0: no limit), got '%s'", v ? v : "");
        } else if (strcmp(a, "--tls-cert") == 0 || strcmp(a, "--tls-key") == 0 || strcmp(a, "--tls-client-ca") == 0) {
            if (!v || !*v) return app_usage_error("%s: expected a PEM file", a);
            if (strcmp(a, "--tls-cert") == 0) o->tls_cert = v;
            else if (strcmp(a, "--tls-key") == 0) o->tls_key = v;
            else o->tls_client_ca = v;
        } else if (strcmp(a, "--replay-session") == 0) {
            if (!v) return app_usage_error("%s: expected a session log (connect_session.jsonl)", a);
            o->replay_session = v;
        } else if (strcmp(a, "--lua-mem") == 0) {
            /* MiB shifted into bytes: past 2^44 it wrapped to 0, the default; 1 TiB is more
             * than any machine this runs on gives one Lua state */
            if (!app_parse_u64(v, &o->lua_mem_mib) || o->lua_mem_mib == 0 || o->lua_mem_mib > APP_LUA_MEM_MAX_MIB)
                return app_one_line_error("--lua-mem: expected MiB from 1 to %d, got '%s'", APP_LUA_MEM_MAX_MIB, v ? v : "");
        } else if (strcmp(a, "--runs") == 0) {
            if (!app_parse_u64(v, &o->runs) || o->runs == 0 || o->runs > 1000000) return app_usage_error("--runs: expected a number of runs (1 to 1000000), got '%s'", v ? v : "");
        } else if (strcmp(a, "--jobs") == 0) {
            if (!app_parse_u64(v, &o->jobs) || o->jobs == 0 || o->jobs > 256) return app_usage_error("--jobs: expected a number of worker processes (1 to 256), got '%s'", v ? v : "");
        } else if (strcmp(a, "--trace") == 0) {
            if (!v || sim_trace_level_parse(v, &o->trace_level) < 0) return app_usage_error("--trace: expected all, flows or none, got '%s'", v ? v : "");
        } else if (strcmp(a, "--shard") == 0) {
            if (!v || app_parse_shard(v, &o->shard_k, &o->shard_n) < 0) return app_usage_error("--shard: expected K/N with 1 <= K <= N, got '%s'", v ? v : "");
        } else if (strcmp(a, "--snapshots") == 0) {
            if (!v || !*v) return app_usage_error("%s: expected a directory", a);
            o->snapshots = v;
        } else if (strcmp(a, "--lua-budget") == 0) {
            if (!app_parse_u64(v, &o->lua_budget) || o->lua_budget == 0) return app_usage_error("--lua-budget: expected a count, got '%s'", v ? v : "");
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
            else if (strcmp(a, "--tls") == 0)
                o->tls = true;
            else if (strcmp(a, "--zstd") == 0)
                o->zstd = true;
            else if (strcmp(a, "--no-snapshot") == 0)
                o->no_snapshot = true;
            else if (a[0] == '-' && a[1])
                return app_usage_error("unknown option '%s'", a);
            else
                o->files[o->nfiles++] = a;
        }
        if (takes) i++;
    }
    if (o->nfiles == 0) return app_usage_error("%s", "no script given");
    if (!o->serve && (o->serve_any || o->play || o->exit_at_end || o->web_root))
        return app_usage_error("%s", "--serve-any, --play, --exit-at-end and --web go with --serve");
    if (o->runs && o->speed > 0) return app_usage_error("%s", "--runs runs as fast as possible: it cannot be paced (--speed)");
    if (o->zstd && !o->out_dir) return app_usage_error("%s", "--zstd compresses the trace written under --out: it goes with --out");
    if (o->zstd && o->trace_level == SIM_TRACE_NONE) return app_usage_error("%s", "--zstd compresses the trace: --trace none writes none");
    if (o->snapshots && o->no_snapshot) return app_usage_error("%s", "--snapshots DIR and --no-snapshot contradict each other");
    if (o->shard_n && (!o->runs || !o->out_dir)) return app_usage_error("%s", "--shard K/N runs a share of --runs N and writes it under --out for renkei merge");
    if (o->shard_n > o->runs && o->runs) return app_one_line_error("--shard %llu/%llu: more shards than --runs %llu", (unsigned long long)o->shard_k, (unsigned long long)o->shard_n, (unsigned long long)o->runs);
    if (o->jobs && !o->runs) return app_usage_error("%s", "--jobs goes with --runs");
    if (o->runs && o->serve) return app_usage_error("%s", "--serve watches one run: it does not go with --runs");
    if (!o->connect != !o->listen) return app_usage_error("%s", "--connect LG_CODE and --listen [HOST:]PORT go together");
    if (!o->connect && o->listen_any) return app_usage_error("%s", "--listen-any goes with --listen");
    if (!o->connect && (o->tls || o->tls_cert || o->tls_key || o->tls_client_ca))
        return app_usage_error("%s", "--tls, --tls-cert, --tls-key and --tls-client-ca go with --connect and --listen");
    if (!o->tls_cert != !o->tls_key) return app_usage_error("%s", "--tls-cert FILE and --tls-key FILE go together");
    if (o->tls && o->tls_cert) return app_usage_error("%s", "--tls generates a certificate; --tls-cert gives one: not both");
    if (o->tls_client_ca && !o->tls && !o->tls_cert)
        return app_usage_error("%s", "--tls-client-ca asks for client certificates over TLS: add --tls or --tls-cert/--tls-key");
    if (o->tls && !o->out_dir) return app_usage_error("%s", "--tls writes the certificate it generates into --out DIR: give --out");
    if ((o->connect || o->replay_session) && o->runs)
        return app_usage_error("%s", "--runs is a Monte Carlo of fast runs: it does not go with --connect or --replay-session");
    if (o->replay_session && o->connect) return app_usage_error("%s", "--replay-session replays a session: it takes no --connect");
    if (o->connect && o->fast_given) return app_usage_error("%s", "--connect runs paced (--speed X, 1 by default): --fast would end the run before the outside system acts");
    if (o->connect && o->speed == 0) o->speed = 1;   /* the outside system's timing is real */
    if (o->connect) o->play = true;                  /* with --serve too: the outside system drives */
    return 0;
}

void app_free_run_opts(run_opts *o)
{
    free(o->files);
    free(o->sets);
}

int app_clone_opts(const run_opts *from, run_opts *to)
{
    *to = *from;
    to->files = calloc((size_t)from->nfiles + 1, sizeof *to->files);
    to->sets = calloc((size_t)from->nsets + 1, sizeof *to->sets);
    if (!to->files || !to->sets) {
        app_free_run_opts(to);
        return -ENOMEM;
    }
    memcpy(to->files, from->files, (size_t)from->nfiles * sizeof *to->files);
    memcpy(to->sets, from->sets, (size_t)from->nsets * sizeof *to->sets);
    return 0;
}
