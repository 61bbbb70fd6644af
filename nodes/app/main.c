/* app/main.c - the `renkei` command: main and the command dispatch.
 *
 *   renkei run TOPOLOGY.lua [SCENARIO.lua ...] [--seed N] [--until TIME] [--fast | --speed X]
 *              [--out DIR] [--set KEY=VALUE ...] [--quiet] [--lua-mem MIB] [--lua-budget N]
 *              [--runs N [--jobs J]]
 *              [--serve [HOST:]PORT [--serve-any] [--play] [--exit-at-end] [--web DIR]]
 *              [--connect LG_CODE --listen [HOST:]PORT [--listen-any] [--connect-rate N]
 *               [--tls | --tls-cert FILE --tls-key FILE] [--tls-client-ca FILE]]
 *              [--replay-session FILE]
 *   renkei check FILE.lua ...
 *   renkei swarm [--seeds N] [--first-seed S] [--jobs J] [--modes sync,semisync,async]
 *                [--kinds KIND,...] [--faults-max K] [--out DIR] [--topology FILE]
 *                [--set KEY=VALUE ...] [--inquiries N] [--residents N] [--no-shrink]
 *   renkei report SUMMARY.json OUT.html
 *   renkei diff A/summary.json B/summary.json [--json OUT.json] [--html OUT.html]
 *   renkei bench phold [--lps N] [--events-per-lp M] [--end T] [--lookahead L] [--seed S] [--json]
 *
 * Exit status: 0 every expectation held; 1 one failed; 2 bad usage or a bad script;
 * 3 an internal failure halted the run (the outputs say it is incomplete);
 * 4 the run ended but an output under --out could not be written (the file named on stderr);
 * 130 interrupted (Ctrl-C), 143 terminated (SIGTERM): the outputs are still written, marked
 * partial (outdir.c). */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"

static int cmd_run(int argc, char **argv)
{
    session s = {.trace_fd = -1};
    int status = app_parse_run_opts(argc, argv, &s.o);
    if (status != 0) {
        app_session_close(&s);
        return status;
    }
    return s.o.runs ? app_cmd_runs(&s) : app_run_session(&s);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* `renkei run ... | head -1`: a closed stdout must not kill the run before its files are
     * written; writes to it fail with EPIPE instead, and the summary says it was lost. */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) perror("renkei: SIGPIPE");
    /* SQLite's memory statistics take a global mutex on every allocation; nobody reads them. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (argc < 2) {
        app_print_usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "check") == 0) return app_cmd_check(argc - 2, argv + 2);
    if (strcmp(cmd, "bench") == 0) return app_cmd_bench(argc - 2, argv + 2);
    if (strcmp(cmd, "swarm") == 0) return app_cmd_swarm(argc - 2, argv + 2);
    if (strcmp(cmd, "merge") == 0) return app_cmd_merge(argc - 2, argv + 2);
    if (strcmp(cmd, "report") == 0) return app_cmd_report(argc - 2, argv + 2);
    if (strcmp(cmd, "diff") == 0) return app_cmd_diff(argc - 2, argv + 2);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("renkei %s\n", RENKEI_VERSION);
        return EXIT_PASS;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        app_print_usage(stdout);
        return EXIT_PASS;
    }
    return app_usage_error("unknown command '%s'", cmd);
}
