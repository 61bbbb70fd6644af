/* app/report_cmd.c - `renkei report`: report.html again from a summary.json. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "report/report_html.h"

/* report.html again from a summary.json (a run's, or one written by hand). */
int app_cmd_report(int argc, char **argv)
{
    if (argc != 2) return app_usage_error("%s", "report: expected SUMMARY.json OUT.html");
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
