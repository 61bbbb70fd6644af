/* app/diff_cmd.c - `renkei diff A/summary.json B/summary.json [--json OUT] [--html OUT]`: two
 * runs side by side, a plan and its what-if or a disaster under two settings: the flows'
 * outcome counts and latency, each fault's RTO and RPO, the rollout's milestones (date, how
 * far it moved, met, the odds of meeting it) when there are some. Printed as a table; --json
 * writes the comparison, --html report.html of B with the comparison as its first section. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app.h"
#include "report/report_html.h"
#include "sim_json.h"

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static cJSON *pair(double a, double b)
{
    cJSON *p = cJSON_CreateArray();
    cJSON_AddItemToArray(p, isnan(a) ? cJSON_CreateNull() : cJSON_CreateNumber(a));
    cJSON_AddItemToArray(p, isnan(b) ? cJSON_CreateNull() : cJSON_CreateNumber(b));
    return p;
}

static void fmt(char *out, size_t n, double v)
{
    if (isnan(v)) snprintf(out, n, "-");
    else if (v == floor(v) && fabs(v) < 1e15) snprintf(out, n, "%.0f", v);
    else snprintf(out, n, "%.3f", v);
}

static void row(const char *what, double a, double b)
{
    char x[32], y[32], d[40] = "";
    fmt(x, sizeof x, a);
    fmt(y, sizeof y, b);
    if (!isnan(a) && !isnan(b) && a != b) {
        fmt(d, sizeof d - 1, b - a);
        if (b > a) memmove(d + 1, d, strlen(d) + 1), d[0] = '+';
    }
    printf("  %-44s %14s %14s %12s\n", what, x, y, d);
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm). */
static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Days from one ISO date (YYYY-MM-DD...) to another; NAN if either is not one. */
static double days_between(const char *a, const char *b)
{
    int ya, ma, da, yb, mb, db;
    if (!a || !b || sscanf(a, "%d-%d-%d", &ya, &ma, &da) != 3 || sscanf(b, "%d-%d-%d", &yb, &mb, &db) != 3) return NAN;
    return (double)(days_from_civil(yb, mb, db) - days_from_civil(ya, ma, da));
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Outcome counts and latency per flow kind, in either run. */
static void diff_flows(const cJSON *A, const cJSON *B, cJSON *out)
{
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(A, "flows"), *fb = cJSON_GetObjectItemCaseSensitive(B, "flows");
    if (!cJSON_IsObject(fa) && !cJSON_IsObject(fb)) return;
    cJSON *flows = cJSON_AddObjectToObject(out, "flows");
    printf("\n  %-44s %14s %14s %12s\n", "flows", "A", "B", "change");
    for (int side = 0; side < 2; side++)
        for (const cJSON *k = (side ? fb : fa) ? (side ? fb : fa)->child : NULL; k; k = k->next) {
            if (cJSON_GetObjectItemCaseSensitive(flows, k->string)) continue;   /* done from A */
            const cJSON *ka = cJSON_GetObjectItemCaseSensitive(fa, k->string), *kb = cJSON_GetObjectItemCaseSensitive(fb, k->string);
            cJSON *x = cJSON_AddObjectToObject(flows, k->string);
            char what[96];
            snprintf(what, sizeof what, "%s started", k->string);
            row(what, num(ka, "started"), num(kb, "started"));
            cJSON_AddItemToObject(x, "started", pair(num(ka, "started"), num(kb, "started")));
            cJSON *outcomes = cJSON_AddObjectToObject(x, "outcomes");
            const cJSON *oa = cJSON_GetObjectItemCaseSensitive(ka, "outcomes"), *ob = cJSON_GetObjectItemCaseSensitive(kb, "outcomes");
            for (int s2 = 0; s2 < 2; s2++)
                for (const cJSON *o = (s2 ? ob : oa) ? (s2 ? ob : oa)->child : NULL; o; o = o->next) {
                    if (cJSON_GetObjectItemCaseSensitive(outcomes, o->string)) continue;
                    double a = oa ? num(oa, o->string) : NAN, b = ob ? num(ob, o->string) : NAN;
                    if (isnan(a) && ka) a = 0;   /* an outcome not seen in one run: none */
                    if (isnan(b) && kb) b = 0;
                    snprintf(what, sizeof what, "  %s", o->string);
                    row(what, a, b);
                    cJSON_AddItemToObject(outcomes, o->string, pair(a, b));
                }
            cJSON *lat = cJSON_AddObjectToObject(x, "latency_ms");
            const cJSON *la = cJSON_GetObjectItemCaseSensitive(ka, "latency_ms"), *lb = cJSON_GetObjectItemCaseSensitive(kb, "latency_ms");
            static const char *const P[] = {"p50", "p95", "p99"};
            for (int p = 0; p < 3; p++) {
                snprintf(what, sizeof what, "  latency %s (ms)", P[p]);
                row(what, num(la, P[p]), num(lb, P[p]));
                cJSON_AddItemToObject(lat, P[p], pair(num(la, P[p]), num(lb, P[p])));
            }
        }
}

/* Each fault, by its position in either run: RTO (promotion, or the slowest tenant) and RPO. */
static void diff_faults(const cJSON *A, const cJSON *B, cJSON *out)
{
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(A, "faults"), *fb = cJSON_GetObjectItemCaseSensitive(B, "faults");
    int n = cJSON_GetArraySize(fa) > cJSON_GetArraySize(fb) ? cJSON_GetArraySize(fa) : cJSON_GetArraySize(fb);
    if (n == 0) return;
    cJSON *list = cJSON_AddArrayToObject(out, "faults");
    printf("\n  %-44s %14s %14s %12s\n", "faults", "A", "B", "change");
    for (int i = 0; i < n; i++) {
        const cJSON *a = cJSON_GetArrayItem(fa, i), *b = cJSON_GetArrayItem(fb, i);
        const cJSON *any = a ? a : b;
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "index", i + 1);
        cJSON_AddStringToObject(x, "kind", str(any, "kind") ? str(any, "kind") : "?");
        cJSON_AddStringToObject(x, "target", str(any, "target") ? str(any, "target") : "?");
        const cJSON *ra = cJSON_GetObjectItemCaseSensitive(a, "rto"), *rb = cJSON_GetObjectItemCaseSensitive(b, "rto");
        double rto_a = !isnan(num(ra, "restored_s")) ? num(ra, "restored_s") : num(ra, "max_s");
        double rto_b = !isnan(num(rb, "restored_s")) ? num(rb, "restored_s") : num(rb, "max_s");
        const cJSON *pa = cJSON_GetObjectItemCaseSensitive(a, "rpo"), *pb = cJSON_GetObjectItemCaseSensitive(b, "rpo");
        char what[160];
        snprintf(what, sizeof what, "#%d %s %.20s: RTO (s)", i + 1, str(any, "kind") ? str(any, "kind") : "?", str(any, "target") ? str(any, "target") : "?");
        row(what, rto_a, rto_b);
        cJSON_AddItemToObject(x, "rto_s", pair(rto_a, rto_b));
        row("  tenants cut off", num(ra, "tenants"), num(rb, "tenants"));
        cJSON_AddItemToObject(x, "tenants", pair(num(ra, "tenants"), num(rb, "tenants")));
        if (pa || pb) {
            row("  RPO: acknowledged writes lost", num(pa, "writes_lost"), num(pb, "writes_lost"));
            row("  RPO (s)", num(pa, "time_s"), num(pb, "time_s"));
            cJSON_AddItemToObject(x, "rpo_writes", pair(num(pa, "writes_lost"), num(pb, "writes_lost")));
            cJSON_AddItemToObject(x, "rpo_s", pair(num(pa, "time_s"), num(pb, "time_s")));
        }
        cJSON_AddItemToArray(list, x);
    }
}

/* The rollout's milestones, by name: the date each was reached, how far it moved, met, odds. */
static void diff_milestones(const cJSON *A, const cJSON *B, cJSON *out)
{
    const cJSON *ma = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(A, "schedule"), "milestones");
    const cJSON *mb = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(B, "schedule"), "milestones");
    if (!cJSON_GetArraySize(ma) && !cJSON_GetArraySize(mb)) return;
    cJSON *list = cJSON_AddArrayToObject(out, "milestones");
    printf("\n  %-30s %-10s %-12s %-12s %8s %5s %5s %12s\n", "milestones", "target", "A", "B", "moved", "met A", "met B", "P(meet) A→B");
    for (int side = 0; side < 2; side++)
        for (const cJSON *m = (side ? mb : ma) ? (side ? mb : ma)->child : NULL; m; m = m->next) {
            const char *name = str(m, "name");
            if (!name) continue;
            bool seen = false;
            for (const cJSON *y = list->child; y && !seen; y = y->next) seen = strcmp(str(y, "name"), name) == 0;
            if (seen) continue;
            const cJSON *a = NULL, *b = NULL;
            for (const cJSON *y = ma ? ma->child : NULL; y; y = y->next) if (str(y, "name") && strcmp(str(y, "name"), name) == 0) a = y;
            for (const cJSON *y = mb ? mb->child : NULL; y; y = y->next) if (str(y, "name") && strcmp(str(y, "name"), name) == 0) b = y;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", name);
            const char *target = str(a ? a : b, "target");
            if (target) cJSON_AddStringToObject(x, "target", target);
            cJSON *dates = cJSON_AddArrayToObject(x, "date");
            cJSON_AddItemToArray(dates, str(a, "date") ? cJSON_CreateString(str(a, "date")) : cJSON_CreateNull());
            cJSON_AddItemToArray(dates, str(b, "date") ? cJSON_CreateString(str(b, "date")) : cJSON_CreateNull());
            double moved = days_between(str(a, "date"), str(b, "date"));
            if (isnan(moved)) cJSON_AddNullToObject(x, "moved_days");
            else cJSON_AddNumberToObject(x, "moved_days", moved);
            cJSON *met = cJSON_AddArrayToObject(x, "met");
            const cJSON *met_a = cJSON_GetObjectItemCaseSensitive(a, "met"), *met_b = cJSON_GetObjectItemCaseSensitive(b, "met");
            cJSON_AddItemToArray(met, cJSON_IsBool(met_a) ? cJSON_CreateBool(cJSON_IsTrue(met_a)) : cJSON_CreateNull());
            cJSON_AddItemToArray(met, cJSON_IsBool(met_b) ? cJSON_CreateBool(cJSON_IsTrue(met_b)) : cJSON_CreateNull());
            double pa = num(a, "p_meet"), pb = num(b, "p_meet");
            if (!isnan(pa) || !isnan(pb)) cJSON_AddItemToObject(x, "p_meet", pair(pa, pb));
            char mv[16] = "-", odds[32] = "";
            if (!isnan(moved)) snprintf(mv, sizeof mv, "%+.0f d", moved);
            if (!isnan(pa) || !isnan(pb)) {
                char oa[8] = "-", ob[8] = "-";
                if (!isnan(pa)) snprintf(oa, sizeof oa, "%.0f%%", pa * 100);
                if (!isnan(pb)) snprintf(ob, sizeof ob, "%.0f%%", pb * 100);
                snprintf(odds, sizeof odds, "%s→%s", oa, ob);
            }
            printf("  %-30.30s %-10s %-12.10s %-12.10s %8s %5s %5s %12s\n", name, target ? target : "-",
                   str(a, "date") ? str(a, "date") : "-", str(b, "date") ? str(b, "date") : "-", mv,
                   cJSON_IsBool(met_a) ? (cJSON_IsTrue(met_a) ? "yes" : "no") : "-",
                   cJSON_IsBool(met_b) ? (cJSON_IsTrue(met_b) ? "yes" : "no") : "-", odds);
            cJSON_AddItemToArray(list, x);
        }
}

static int write_json(const char *path, const cJSON *o)
{
    char *text = cJSON_Print(o);
    FILE *f = text ? fopen(path, "w") : NULL;
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0) ok = 0;
    cJSON_free(text);
    return ok ? 0 : -1;
}

int app_cmd_diff(int argc, char **argv)
{
    const char *files[2] = {NULL, NULL}, *json_out = NULL, *html_out = NULL;
    int nfiles = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) json_out = argv[++i];
        else if (strcmp(argv[i], "--html") == 0 && i + 1 < argc) html_out = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1]) return app_usage_error("diff: unknown option '%s'", argv[i]);
        else if (nfiles < 2) files[nfiles++] = argv[i];
        else return app_usage_error("%s", "diff: expected A/summary.json B/summary.json [--json OUT] [--html OUT]");
    }
    if (nfiles != 2) return app_usage_error("%s", "diff: expected A/summary.json B/summary.json [--json OUT] [--html OUT]");
    cJSON *s[2] = {NULL, NULL};
    char why[400];
    for (int i = 0; i < 2; i++)
        if (report_read_summary(files[i], &s[i], why, sizeof why) < 0) {
            fprintf(stderr, "renkei: %s\n", why);
            cJSON_Delete(s[0]);
            return EXIT_USAGE;
        }
    cJSON *cmp = cJSON_CreateObject();
    cJSON_AddStringToObject(cmp, "a", files[0]);
    cJSON_AddStringToObject(cmp, "b", files[1]);
    printf("renkei diff: B compared with A\n");
    for (int i = 0; i < 2; i++) {
        const char *replay = str(s[i], "replay");
        printf("  %c  %s%s%s\n", 'A' + i, files[i], replay ? "\n       " : "", replay ? replay : "");
        if (replay) cJSON_AddStringToObject(cmp, i ? "b_replay" : "a_replay", replay);
    }
    diff_milestones(s[0], s[1], cmp);
    diff_flows(s[0], s[1], cmp);
    diff_faults(s[0], s[1], cmp);
    int rc = EXIT_PASS;
    if (json_out && write_json(json_out, cmp) < 0) {
        fprintf(stderr, "renkei: %s: cannot write\n", json_out);
        rc = EXIT_OUTPUT;
    }
    if (html_out) {
        cJSON_AddItemToObject(s[1], "comparison", cJSON_Duplicate(cmp, 1));
        if (report_html_write(html_out, s[1]) < 0) {
            fprintf(stderr, "renkei: %s: cannot write\n", html_out);
            rc = EXIT_OUTPUT;
        }
    }
    cJSON_Delete(cmp);
    cJSON_Delete(s[0]);
    cJSON_Delete(s[1]);
    return rc;
}
