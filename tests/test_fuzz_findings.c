/* test_fuzz_findings.c - what the fuzzers of fuzz/ found, each as a regression test that runs
 * the reproducer kept in the seed corpus (fuzz/corpus/<target>/finding-*) through the same
 * function as the fuzzer did, in the normal build (gcc, and under ASan + UBSan in
 * ./dev test-asan). Each failed (or crashed) before its fix:
 *  - report: a hand-written summary.json whose connection test has a latency without p95
 *    crashed `renkei report` (NULL read); keys of "http_layer" and "replay" went into
 *    report.html unescaped (a key could open a <script>). */
#include "check.h"
#include "report/report_html.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file, NUL-terminated (caller frees), or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t n = 0, k;
    char chunk[65536];
    while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) {
        char *p = realloc(buf, n + k + 1);
        if (!p) break;
        buf = p;
        memcpy(buf + n, chunk, k);
        n += k;
    }
    fclose(f);
    if (!buf) buf = calloc(1, 1);
    else buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t k = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle)) k++;
    return k;
}

/* `renkei report` on the reproducer: read, written, and the page has only its own scripts. */
static void report_of(const char *finding)
{
    char in[256], out[] = "test_fuzz_findings.html";
    snprintf(in, sizeof in, "fuzz/corpus/report/%s", finding);
    cJSON *summary = NULL;
    char why[400];
    CHECK_INT(report_read_summary(in, &summary, why, sizeof why), 0);
    CHECK_INT(report_html_write(out, summary), 0);
    cJSON_Delete(summary);
    char *page = slurp(out, NULL);
    CHECK(page != NULL);
    if (page) {
        CHECK_INT(count(page, "<script"), 2);
        CHECK_INT(count(page, "</script"), 2);
        CHECK(!strstr(page, "<img"));
    }
    free(page);
    remove(out);
}

static void test_report(void)
{
    report_of("finding-latency-without-p95.json");
    report_of("finding-unescaped-keys.json");
}

int main(void)
{
    test_report();
    CHECK_DONE();
}
