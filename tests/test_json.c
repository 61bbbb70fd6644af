/* test_json.c - the strict JSON reader (sim_json): what it accepts is exactly what cJSON parses,
 * and each thing it refuses is named by its rule, its byte offset and its path: more than one
 * value, invalid UTF-8, NUL (raw or escaped), raw control characters, lone surrogates,
 * duplicate keys at any depth (also when spelled with escapes), numbers outside JSON's grammar
 * or beyond a double, nesting too deep. A body of 80,000 members is checked in linear time
 * (the bound is generous: quadratic time took tens of seconds). Also sim_json_read_file, and
 * the summary.json that `renkei report` reads (report_read_summary). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "report/report_html.h"
#include "sim_json.h"

static sim_json_error last;

static int parse(const char *text, size_t len)
{
    cJSON *j = NULL;
    int rc = sim_json_parse_ex(text, len, &j, &last);
    if (rc == 0) CHECK(j != NULL);
    else CHECK(j == NULL);
    cJSON_Delete(j);
    return rc;
}

static void ok(const char *text)
{
    int rc = parse(text, strlen(text));
    if (rc != 0) fprintf(stderr, "refused %s: %s\n", text, last.why);
    CHECK_INT(rc, 0);
}

/* Refused under rule at offset, with path; the reason starts "byte N". */
static void refused_n(const char *text, size_t len, const char *rule, size_t offset, const char *path)
{
    int rc = parse(text, len);
    if (rc != -EINVAL) fprintf(stderr, "accepted: %.*s\n", (int)len, text);
    CHECK_INT(rc, -EINVAL);
    if (rc != -EINVAL) return;
    if (strcmp(last.rule, rule) != 0 || last.offset != offset || strcmp(last.path, path) != 0)
        fprintf(stderr, "%.*s: got %s at %zu (%s): %s\n", (int)len, text, last.rule, last.offset, last.path, last.why);
    CHECK_STR(last.rule, rule);
    CHECK_INT(last.offset, offset);
    CHECK_STR(last.path, path);
    char want[32];
    snprintf(want, sizeof want, "byte %zu", offset);
    CHECK(strncmp(last.why, want, strlen(want)) == 0);
    CHECK(strchr(last.why, '\n') == NULL);
}

static void refused(const char *text, const char *rule, size_t offset, const char *path)
{
    refused_n(text, strlen(text), rule, offset, path);
}

static void test_accepts(void)
{
    ok("{}");
    ok("[]");
    ok(" \t\r\n{\"a\":1} \n");
    ok("0");
    ok("-0.5e+10");
    ok("1E-400");                                  /* underflows to 0: finite */
    ok("\"caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80\"");
    ok("\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\"");
    ok("{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}]}");   /* the same key in different objects */
    ok("[true,false,null]");
    cJSON *j = NULL;
    CHECK_INT(sim_json_parse("{\"n\":12,\"s\":\"x\"}", 16, &j, NULL, 0), 0);
    CHECK_INT(cJSON_GetObjectItem(j, "n")->valueint, 12);
    cJSON_Delete(j);
    /* only len bytes are read: no NUL terminator needed */
    CHECK_INT(parse("[1]garbage", 3), 0);
}

static void test_refuses(void)
{
    refused("", "empty", 0, "");
    refused("  \n", "empty", 3, "");
    refused("{} {}", "trailing", 3, "");
    refused("{\"a\":1}x", "trailing", 7, "");
    refused_n("{}\0", 3, "trailing", 2, "");
    refused("{\"a\":1,}", "syntax", 7, "");
    refused("{\"a\" 1}", "syntax", 5, "a");
    refused("[1,,2]", "syntax", 3, "[1]");
    refused("[1 2]", "syntax", 3, "[0]");
    refused("{\"a\":[1,{\"b\":tru}]}", "syntax", 13, "a[1].b");
    refused("{\"a\":\"x", "syntax", 5, "a");
    refused("'a'", "syntax", 0, "");
    refused("\xef\xbb\xbf{}", "syntax", 0, "");        /* a byte-order mark is not whitespace */
    refused("{\"a\":1\x0c}", "syntax", 6, "a");        /* form feed is not JSON whitespace */
    /* numbers */
    refused("01", "syntax", 0, "");
    refused("+1", "syntax", 0, "");
    refused(".5", "syntax", 0, "");
    refused("1.", "syntax", 0, "");
    refused("1e", "syntax", 0, "");
    refused("-", "syntax", 0, "");
    refused("NaN", "syntax", 0, "");
    refused("[Infinity]", "syntax", 1, "[0]");
    refused("{\"n\":1e999}", "number", 5, "n");
    refused("{\"n\":-1e999}", "number", 5, "n");
    refused("[1,2,1.7976931348623159e308]", "number", 5, "[2]");
    char longnum[80];
    memset(longnum, '1', 64);
    longnum[64] = '\0';
    refused(longnum, "number", 0, "");
    /* UTF-8 */
    refused("\"\xff\"", "utf8", 1, "");
    refused("\"\xc0\xaf\"", "utf8", 1, "");            /* an overlong '/' */
    refused("\"\xe0\x80\xaf\"", "utf8", 1, "");        /* overlong, 3 bytes */
    refused("\"\xed\xa0\x80\"", "utf8", 1, "");        /* a surrogate, encoded */
    refused("\"\xf4\x90\x80\x80\"", "utf8", 1, "");    /* above U+10FFFF */
    refused("\"\xe6\x97\"", "utf8", 1, "");            /* cut short */
    refused("{\"k\":\"ok\",\"\xfe\":1}", "utf8", 11, "");
    refused("[\xff]", "utf8", 1, "[0]");
    refused("\"\\ud800\"", "utf8", 1, "");
    refused("\"\\ud800\\u0041\"", "utf8", 1, "");
    refused("\"\\udc00\"", "utf8", 1, "");
    /* NUL and control characters */
    refused("\"a\\u0000b\"", "nul", 2, "");
    refused("{\"x\":{\"\\u0000\":1}}", "nul", 7, "x");
    refused_n("\"a\0b\"", 5, "nul", 2, "");
    refused_n("[1,\0]", 5, "nul", 3, "[1]");
    refused("\"a\nb\"", "syntax", 2, "");
    refused("\"\\x41\"", "syntax", 1, "");
    refused("\"\\u12\"", "syntax", 1, "");
    /* duplicate keys, at any depth, however spelled */
    refused("{\"a\":1,\"a\":2}", "duplicate_key", 7, "a");
    CHECK(strstr(last.why, "duplicate key 'a' (first at byte 1)") != NULL);
    refused("{\"p\":{\"x\":1,\"y\":2,\"x\":3}}", "duplicate_key", 18, "p.x");
    refused("[{\"a\":1},{\"b\":1,\"b\":1}]", "duplicate_key", 16, "[1].b");
    refused("{\"a\":1,\"\\u0061\":2}", "duplicate_key", 7, "\\u0061");
    refused("{\"\xc3\xa9\":1,\"\\u00e9\":2}", "duplicate_key", 8, "\\u00e9");
    /* nesting */
    char deep[2 * SIM_JSON_MAX_DEPTH + 8];
    size_t n = 0;
    for (int i = 0; i < SIM_JSON_MAX_DEPTH; i++) deep[n++] = '[';
    for (int i = 0; i < SIM_JSON_MAX_DEPTH; i++) deep[n++] = ']';
    CHECK_INT(parse(deep, n), 0);
    n = 0;
    for (int i = 0; i <= SIM_JSON_MAX_DEPTH; i++) deep[n++] = '[';
    deep[n] = '\0';
    int rc = parse(deep, n);
    CHECK_INT(rc, -EINVAL);
    CHECK_STR(last.rule, "depth");
    CHECK_INT(last.offset, SIM_JSON_MAX_DEPTH);
    /* the reason only */
    char why[200];
    cJSON *j = (cJSON *)1;
    CHECK_INT(sim_json_parse("{\"a\":1,\"a\":1}", 13, &j, why, sizeof why), -EINVAL);
    CHECK(j == NULL);
    CHECK(strstr(why, "byte 7 (at a): duplicate key") == why);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static void test_linear(void)
{
    enum { MEMBERS = 80000 };
    char *body = malloc(MEMBERS * 16 + 8);
    size_t n = 0;
    body[n++] = '{';
    for (int i = 0; i < MEMBERS; i++) n += (size_t)sprintf(body + n, "%s\"k%06d\":0", i ? "," : "", i);
    body[n++] = '}';
    CHECK(n > 900 * 1000);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_INT(parse(body, n), 0);
    /* and the same with the last key a duplicate of the first: found, not by comparing pairs */
    memcpy(body + n - 11, "k000000", 7);
    refused_n(body, n, "duplicate_key", n - 12, "k000000");
    double s = seconds_since(&t0);
    printf("80,000 members (%zu bytes), twice: %.3f s\n", n, s);
    CHECK(s < 5.0);
    free(body);
}

static void test_file(void)
{
    char path[] = "/tmp/renkei-json-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text = "{\"a\":1,\"a\":2}";
    CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
    close(fd);
    cJSON *j = NULL;
    char why[400];
    CHECK_INT(sim_json_read_file(path, 1 << 20, &j, why, sizeof why), -EINVAL);
    CHECK(strstr(why, path) == why && strstr(why, "duplicate key") != NULL);
    CHECK_INT(sim_json_read_file(path, 4, &j, why, sizeof why), -EFBIG);
    unlink(path);
    CHECK_INT(sim_json_read_file(path, 1 << 20, &j, why, sizeof why), -ENOENT);
    CHECK(j == NULL);
}

static void test_summary(void)
{
    char path[] = "/tmp/renkei-summary-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text = "{\"trace_hash\":\"ab\",\"flows\":{\"ok\":1,\"ok\":2}}";
    CHECK_INT(write(fd, text, strlen(text)), (long long)strlen(text));
    close(fd);
    cJSON *j = NULL;
    char why[400];
    CHECK_INT(report_read_summary(path, &j, why, sizeof why), -EINVAL);
    CHECK(strstr(why, "(at flows.ok): duplicate key 'ok'") != NULL);
    FILE *f = fopen(path, "w");
    fputs("[1]", f);
    fclose(f);
    CHECK_INT(report_read_summary(path, &j, why, sizeof why), -EINVAL);
    CHECK(strstr(why, "not a JSON object") != NULL);
    f = fopen(path, "w");
    fputs("{\"trace_hash\":\"ab\"}\n", f);
    fclose(f);
    CHECK_INT(report_read_summary(path, &j, why, sizeof why), 0);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(j, "trace_hash")), "ab");
    cJSON_Delete(j);
    unlink(path);
}

static void test_utf8(void)
{
    CHECK_INT(sim_json_utf8_valid("abc", 3), 3);
    CHECK_INT(sim_json_utf8_valid("a\xc3\xa9z", 4), 4);
    CHECK_INT(sim_json_utf8_valid("ab\xff", 3), 2);
    CHECK_INT(sim_json_utf8_valid("a\xe6\x97", 3), 1);
}

int main(void)
{
    test_accepts();
    test_refuses();
    test_linear();
    test_file();
    test_summary();
    test_utf8();
    CHECK_DONE();
}
