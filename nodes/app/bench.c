/* app/bench.c - `renkei bench`: the PHOLD benchmark of the engine. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "app/app.h"
#include "phold/phold.h"

int app_cmd_bench(int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "phold") != 0)
        return app_usage_error("bench: unknown benchmark '%s' (try: phold)", argc ? argv[0] : "");
    node_phold_config cfg = {.lps = 1800, .events_per_lp = 16, .end = 400, .lookahead = 0.1, .seed = 1};
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t u;
        if (strcmp(a, "--json") == 0) {
            json = true;
            continue;
        }
        if (strcmp(a, "--lps") == 0 && app_parse_u64(v, &u) && u > 0 && u < UINT32_MAX)
            cfg.lps = (uint32_t)u;
        else if (strcmp(a, "--events-per-lp") == 0 && app_parse_u64(v, &u) && u < UINT32_MAX)
            cfg.events_per_lp = (uint32_t)u;
        else if (strcmp(a, "--end") == 0 && app_parse_double(v, &cfg.end) && cfg.end > 0)
            ;
        else if (strcmp(a, "--lookahead") == 0 && app_parse_double(v, &cfg.lookahead) && cfg.lookahead >= 0)
            ;
        else if (strcmp(a, "--seed") == 0 && app_parse_u64(v, &cfg.seed))
            ;
        else
            return app_usage_error("bench phold: bad option or value at '%s'", a);
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
