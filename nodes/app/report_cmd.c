/* app/report_cmd.c - `renkei report`: report.html again from a summary.json. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "app/app.h"
#include "report/report_html.h"

/* report.html again from a summary.json (a run's, or one written by hand), read strictly. */
int app_cmd_report(int argc, char **argv)
{
    if (argc != 2) return app_usage_error("%s", "report: expected SUMMARY.json OUT.html");
    char why[400];
    cJSON *summary = NULL;
    if (report_read_summary(argv[0], &summary, why, sizeof why) < 0) {
        fprintf(stderr, "renkei: %s\n", why);
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
