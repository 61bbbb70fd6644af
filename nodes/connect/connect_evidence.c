/* connect/connect_evidence.c - the connection test's evidence bundle (docs/connect-cases.md):
 * what a vendor hands to the municipality. connect_evidence.json holds the session (local
 * government, seed, scripts, trace hash, when it ran), the vendor's declaration and every test
 * case of the catalogue with its texts in Japanese and English, its status and its evidence
 * (each request and answer, with the simulated moment it entered); connect_evidence.html is the
 * same as a printable page. Also the cases' table of report.html. */
#include "connect/connect_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char *text_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void tag(FILE *f, const char *name, const char *text)
{
    fprintf(f, "<%s>", name);
    connect_put_escaped(f, text);
    fprintf(f, "</%s>", name);
}

static const char *badge(const char *status)
{
    return strcmp(status, "pass") == 0 ? "ok" : strcmp(status, "fail") == 0 ? "bad" : "warn";
}

/* One step of evidence: when, the request, the answer (full: their bodies too). */
static void step_html(FILE *f, const cJSON *s, bool full)
{
    const cJSON *rq = cJSON_GetObjectItem(s, "request"), *an = cJSON_GetObjectItem(s, "answer");
    const cJSON *st = cJSON_GetObjectItem(an, "status");
    fputs("<div>", f);
    if (cJSON_IsString(cJSON_GetObjectItem(s, "at"))) connect_put_escaped(f, text_of(s, "at"));
    else fprintf(f, "wall %.2f ms", cJSON_GetNumberValue(cJSON_GetObjectItem(s, "wall_ms")));
    fputs(" ", f);
    if (rq) {
        connect_put_escaped(f, text_of(rq, "method"));
        fputc(' ', f);
        connect_put_escaped(f, text_of(rq, "path"));
    } else {
        fputs("(refused before the API)", f);
    }
    fprintf(f, " &rarr; %.0f</div>\n", cJSON_IsNumber(st) ? st->valuedouble : 0);
    if (!full) return;
    if (rq && cJSON_IsString(cJSON_GetObjectItem(rq, "body"))) tag(f, "pre", text_of(rq, "body"));
    if (cJSON_IsString(cJSON_GetObjectItem(an, "body"))) tag(f, "pre", text_of(an, "body"));
}

void connect_cases_html(FILE *f, const cJSON *cases, bool full)
{
    if (!cJSON_IsObject(cases)) return;
    fputs("<h3>Test cases / 試験項目</h3>\n<p>", f);
    fprintf(f, "<span class=\"badge %s\">", strcmp(text_of(cases, "verdict"), "all_pass") == 0 ? "ok" : "warn");
    connect_put_escaped(f, text_of(cases, "verdict"));
    fputs("</span> ", f);
    static const char *const counts[] = {"pass", "fail", "not_run", "not_applicable"};
    for (size_t i = 0; i < 4; i++)
        fprintf(f, "%s %.0f%s", counts[i], cJSON_GetNumberValue(cJSON_GetObjectItem(cases, counts[i])), i < 3 ? ", " : "");
    const cJSON *decl = cJSON_GetObjectItem(cases, "declaration"), *x;
    fputs("<br>declaration / 申告: ", f);
    if (!cJSON_IsObject(decl)) fputs("none (POST declaration was not made)", f);
    static const char *const declared[] = {"items", "procedures"};
    for (size_t i = 0; i < 2; i++)
        cJSON_ArrayForEach(x, cJSON_GetObjectItem(decl, declared[i]))
        {
            connect_put_escaped(f, cJSON_GetStringValue(x));
            fputc(' ', f);
        }
    fputs("</p>\n<table><tr><th>id</th><th>case / 試験項目</th><th>status</th><th>evidence / 証跡</th></tr>\n", f);
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(cases, "cases"))
    {
        fputs("<tr>", f);
        tag(f, "td", text_of(c, "id"));
        fputs("<td>", f);
        connect_put_escaped(f, text_of(c, "title_ja"));
        fputs(" / ", f);
        connect_put_escaped(f, text_of(c, "title_en"));
        if (*text_of(c, "subject")) {
            fputs("<br><small>", f);
            connect_put_escaped(f, text_of(c, "subject"));
            fputs("</small>", f);
        }
        if (full) {
            static const char *const keys[][3] = {{"purpose_ja", "purpose_en", "目的 / purpose"},
                                                  {"preconditions_ja", "preconditions_en", "前提条件 / preconditions"},
                                                  {"steps_ja", "steps_en", "手順 / steps"},
                                                  {"expected_ja", "expected_en", "期待結果 / expected"}};
            fputs("<dl>", f);
            for (size_t i = 0; i < 4; i++) {
                tag(f, "dt", keys[i][2]);
                fputs("<dd>", f);
                connect_put_escaped(f, text_of(c, keys[i][0]));
                fputs("<br>", f);
                connect_put_escaped(f, text_of(c, keys[i][1]));
                fputs("</dd>", f);
            }
            fputs("</dl>", f);
        }
        fprintf(f, "</td><td><span class=\"badge %s\">", badge(text_of(c, "status")));
        connect_put_escaped(f, text_of(c, "status"));
        fputs("</span></td><td>", f);
        const cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItem(c, "evidence")) step_html(f, s, full);
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

static cJSON *bundle_json(node_connect *c, const cJSON *summary)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "bundle", "renkei connection test evidence / 接続試験 証跡");
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "lg", c->lg_code);
    cJSON_AddStringToObject(o, "name", connect_lg_name(c));
    static const char *const copied[] = {"seed", "scripts", "start", "end", "trace_hash", "end_reason", "replay"};
    for (size_t i = 0; i < sizeof copied / sizeof copied[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(summary, copied[i]);
        if (v) cJSON_AddItemToObject(o, copied[i], cJSON_Duplicate(v, true));
    }
    const cJSON *ct = cJSON_GetObjectItem(summary, "connection_test");
    cJSON_AddStringToObject(o, "mode", text_of(ct, "mode"));
    cJSON_AddStringToObject(o, "operations_verdict", text_of(ct, "verdict"));
    static const char *const transport[] = {"tls", "client_certificates"};
    for (size_t i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItem(ct, transport[i]);
        if (v) cJSON_AddItemToObject(o, transport[i], cJSON_Duplicate(v, true));
    }
    cJSON_AddItemToObject(o, "test_cases", connect_cases_json(c, true));
    return o;
}

static int write_html(FILE *f, const cJSON *b)
{
    fputs("<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>接続試験 証跡 / connection test evidence</title>\n"
          "<style>body{font:14px/1.5 sans-serif;max-width:1100px;margin:24px auto;padding:0 24px}"
          "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;padding:4px 6px;vertical-align:top;text-align:left}"
          "pre{white-space:pre-wrap;word-break:break-all;font-size:12px;background:#f4f4f4;margin:2px 0;padding:4px}"
          "dt{font-weight:bold}dd{margin:0 0 4px 8px}.badge{padding:1px 6px;border-radius:3px;color:#fff}"
          ".ok{background:#1a7f37}.bad{background:#c62828}.warn{background:#8a6d00}"
          "@media print{pre{font-size:10px}tr{page-break-inside:avoid}}</style></head><body>\n<h1>", f);
    fputs("接続試験 証跡 / Connection test evidence: ", f);
    connect_put_escaped(f, text_of(b, "lg"));
    fputc(' ', f);
    connect_put_escaped(f, text_of(b, "name"));
    fputs("</h1>\n<table>", f);
    static const char *const rows[][2] = {{"start", "開始 / start"}, {"end", "終了 / end"}, {"mode", "mode"},
                                          {"end_reason", "end"}, {"trace_hash", "trace hash"},
                                          {"operations_verdict", "required operations"}, {"replay", "replay"}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (!*text_of(b, rows[i][0])) continue;
        fputs("<tr>", f);
        tag(f, "th", rows[i][1]);
        tag(f, "td", text_of(b, rows[i][0]));
        fputs("</tr>", f);
    }
    const cJSON *seed = cJSON_GetObjectItem(b, "seed"), *x;
    if (cJSON_IsNumber(seed)) fprintf(f, "<tr><th>seed</th><td>%.0f</td></tr>", seed->valuedouble);
    fputs("<tr><th>scripts</th><td>", f);
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(b, "scripts"))
    {
        connect_put_escaped(f, cJSON_GetStringValue(x));
        fputc(' ', f);
    }
    fputs("</td></tr>", f);
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(b, "client_certificates"))
    {
        fputs("<tr><th>client certificate</th>", f);
        tag(f, "td", text_of(x, "subject"));
        fputs("</tr>", f);
    }
    fputs("</table>\n", f);
    connect_cases_html(f, cJSON_GetObjectItem(b, "test_cases"), true);
    fputs("</body></html>\n", f);
    return ferror(f) ? -EIO : 0;
}

int connect_evidence_write(node_connect *c, const cJSON *summary, const char *json_path, const char *html_path)
{
    cJSON *b = bundle_json(c, summary);
    char *text = b ? cJSON_Print(b) : NULL;
    int rc = text ? 0 : -ENOMEM;
    FILE *f = rc == 0 ? fopen(json_path, "w") : NULL;
    if (rc == 0 && !f) rc = -errno;
    if (f) {
        fputs(text, f);
        fputc('\n', f);
        if (fclose(f) != 0 || rc < 0) rc = rc < 0 ? rc : -EIO;
    }
    f = rc == 0 ? fopen(html_path, "w") : NULL;
    if (rc == 0 && !f) rc = -errno;
    if (f) {
        rc = write_html(f, b);
        if (fclose(f) != 0 && rc == 0) rc = -EIO;
    }
    cJSON_free(text);
    cJSON_Delete(b);
    return rc;
}
