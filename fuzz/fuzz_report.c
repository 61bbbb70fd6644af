/* fuzz/fuzz_report.c - `renkei report SUMMARY.json OUT.html` (nodes/report/report_html.c):
 * the summary read strictly (report_read_summary), then report.html written from it, with a
 * connection test's static section (connect_report_html) drawn from "connection_test".
 *
 * Input: the summary.json's bytes. Refusals are fine. Beyond crashes and sanitizer reports,
 * the page is checked: text from the summary must never open an element of its own, so the
 * page has exactly the page's own <script elements and nothing after its closing </html>. */
#include "fuzz.h"
#include "report/report_html.h"

#include <stdlib.h>
#include <string.h>

/* The input's file and the page's (see fuzz_write_file). */
static char in_path[128], out_path[128];

static size_t count(const char *hay, size_t n, const char *needle)
{
    size_t k = 0, m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (hay[i] == needle[0] && memcmp(hay + i, needle, m) == 0) k++;
    return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fuzz_write_file(in_path, sizeof in_path, "summary", data, size) < 0) return 0;
    if (!out_path[0]) snprintf(out_path, sizeof out_path, "/tmp/renkei-fuzz-report-%ld.html", (long)getpid());
    cJSON *summary = NULL;
    char why[400];
    if (report_read_summary(in_path, &summary, why, sizeof why) < 0) {
        if (summary || !why[0]) abort();
        return 0;
    }
    int rc = report_html_write(out_path, summary);
    cJSON_Delete(summary);
    if (rc < 0) return 0;
    FILE *f = fopen(out_path, "rb");
    if (!f) return 0;
    static char page[16 << 20];   /* static: a page may be larger than the stack */
    size_t n = fread(page, 1, sizeof page, f);
    fclose(f);
    if (n == sizeof page) return 0;
    /* The page's own: the summary's <script type="application/json"> and the code's module. */
    if (count(page, n, "<script") != 2 || count(page, n, "</script") != 2) {
        fprintf(stderr, "fuzz_report: summary text opened or closed a <script> in report.html\n");
        abort();
    }
    if (n < 8 || memcmp(page + n - 8, "</html>\n", 8) != 0 || count(page, n, "</html>") != 1) {
        fprintf(stderr, "fuzz_report: report.html does not end with its </html>\n");
        abort();
    }
    return 0;
}
