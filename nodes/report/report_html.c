/* report/report_html.c - report.html: one file with its styles, code and data inline, so it
 * opens offline and makes no request (its Content-Security-Policy forbids any). The data is
 * the summary.json object itself; what to draw is decided in the page (web/report.js):
 * charts of the time series, faults as bands on them ("faults"), the rollout schedule as a
 * Gantt chart with readiness ("schedule"), the invariants and expectations; a connection
 * test's conformance report ("connection_test") is a static section. The page's
 * parts are built into the binary from web/ (web/embed.cmake). */
#include "report/report_html.h"
#include "connect/connect.h"
#include "sim_json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const unsigned char node_report_asset_chart_js[], node_report_asset_impact_js[], node_report_asset_steps_js[],
    node_report_asset_prefectures_js[], node_report_asset_report_js[], node_report_asset_report_css[];

/* JSON inside <script type="application/json">: only "</script" could end it early, so
 * every '<' becomes the JSON escape \u003c (a '<' occurs only inside strings). */
static int put_json(FILE *f, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '<' ? fputs("\\u003c", f) < 0 : fputc(*p, f) == EOF) return -EIO;
    }
    return 0;
}

int report_html_write(const char *path, const cJSON *summary)
{
    char *json = cJSON_PrintUnformatted(summary);
    if (!json) return -ENOMEM;
    FILE *f = fopen(path, "w");
    if (!f) {
        int rc = -errno;
        cJSON_free(json);
        return rc;
    }
    int rc = 0;
    if (fputs("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
              "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
              "<title>renkei report</title>\n<style>\n", f) < 0 ||
        fputs((const char *)node_report_asset_report_css, f) < 0 ||
        fputs("</style></head>\n<body><div id=\"report\"></div>\n", f) < 0 ||
        connect_report_html(f, summary) < 0 ||   /* static: a connection test's report */
        fputs("<script type=\"application/json\" id=\"summary\">", f) < 0 ||
        put_json(f, json) < 0 ||
        fputs("</script>\n<script type=\"module\">\n", f) < 0 ||
        fputs((const char *)node_report_asset_chart_js, f) < 0 || fputs("\n", f) < 0 ||
        fputs((const char *)node_report_asset_impact_js, f) < 0 || fputs("\n", f) < 0 ||
        fputs((const char *)node_report_asset_steps_js, f) < 0 || fputs("\n", f) < 0 ||
        fputs((const char *)node_report_asset_prefectures_js, f) < 0 || fputs("\n", f) < 0 ||
        fputs((const char *)node_report_asset_report_js, f) < 0 ||
        fputs("</script>\n</body></html>\n", f) < 0)
        rc = -EIO;
    if (fclose(f) != 0) rc = -EIO;
    cJSON_free(json);
    return rc;
}

int report_read_summary(const char *path, cJSON **out, char *why, size_t n)
{
    int rc = sim_json_read_file(path, (size_t)64 << 20, out, why, n);
    if (rc < 0) return rc;
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        snprintf(why, n, "%s: not a JSON object (a summary.json is one)", path);
        return -EINVAL;
    }
    return 0;
}
