/* dash/dash_log.c - the event log: the latest LOG_LINES trace lines, copied as the trace
 * writes them (a tap on sim_trace), for the page's log and its filters. Lines longer than a
 * slot are kept truncated and shown as text. Filters match the fields as the trace writes
 * them ("node":"east", "kind":"send", "msg":12, "flow":40), so no line is parsed. */
#include "dash/dash_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dash_log_init(dash_log *l)
{
    memset(l, 0, sizeof *l);
    l->lines = malloc((size_t)LOG_LINES * LOG_LINE_MAX);
    l->lens = calloc(LOG_LINES, sizeof *l->lens);
    if (!l->lines || !l->lens) {
        dash_log_free(l);
        return -ENOMEM;
    }
    return 0;
}

void dash_log_free(dash_log *l)
{
    free(l->lines);
    free(l->lens);
    l->lines = NULL;
    l->lens = NULL;
}

void dash_log_add(dash_log *l, const char *line, size_t len)
{
    size_t at = (size_t)(l->total++ % LOG_LINES);
    if (len >= LOG_LINE_MAX) len = LOG_LINE_MAX;   /* truncated: kept as text */
    memcpy(l->lines[at], line, len);
    l->lens[at] = (uint16_t)len;
}

static bool has_field(const char *line, size_t len, const char *key, const char *value, bool quoted)
{
    char pat[160];
    int n = snprintf(pat, sizeof pat, quoted ? "\"%s\":\"%s\"" : "\"%s\":%s", key, value);
    if (n <= 0 || (size_t)n >= sizeof pat) return false;
    for (const char *p = line; (size_t)(p - line) + (size_t)n <= len; p++) {
        p = memchr(p, '"', len - (size_t)(p - line));
        if (!p || (size_t)(p - line) + (size_t)n > len) return false;
        if (memcmp(p, pat, (size_t)n) == 0) {
            char after = (size_t)(p - line) + (size_t)n < len ? p[n] : '}';
            if (quoted || after == ',' || after == '}') return true;
        }
    }
    return false;
}

static bool matches(const char *line, size_t len, const log_filter *f)
{
    char num[24];
    static const char *const noise[] = {"heartbeat", "heartbeat_ack", "mirror", "mirror_ack"};
    for (int i = 0; f->quiet && i < 4; i++)
        if (has_field(line, len, "type", noise[i], true)) return false;
    if (f->kind && *f->kind && !has_field(line, len, "kind", f->kind, true)) return false;
    if (f->node && *f->node && !has_field(line, len, "node", f->node, true) && !has_field(line, len, "peer", f->node, true))
        return false;
    if (f->msg) {
        snprintf(num, sizeof num, "%" PRIu64, f->msg);
        if (!has_field(line, len, "msg", num, false)) return false;
    }
    if (f->flow) {
        snprintf(num, sizeof num, "%" PRIu64, f->flow);
        if (!has_field(line, len, "flow", num, false)) return false;
    }
    return true;
}

static cJSON *line_item(const dash_log *l, size_t at)
{
    size_t len = l->lens[at];
    if (len >= LOG_LINE_MAX) {   /* truncated: not JSON any more */
        char *text = strndup(l->lines[at], LOG_LINE_MAX - 1);
        cJSON *s = cJSON_CreateString(text ? text : "");
        free(text);
        return s;
    }
    char *raw = strndup(l->lines[at], len);
    cJSON *r = cJSON_CreateRaw(raw ? raw : "null");
    free(raw);
    return r;
}

cJSON *dash_log_json(const dash_log *l, const log_filter *f, uint32_t limit)
{
    uint64_t first = l->total > LOG_LINES ? l->total - LOG_LINES : 0;
    uint64_t picked[512];
    uint32_t n = 0;
    if (limit > 512) limit = 512;
    for (uint64_t i = l->total; i > first && n < limit; i--) {
        size_t at = (size_t)((i - 1) % LOG_LINES);
        if (matches(l->lines[at], l->lens[at], f)) picked[n++] = i - 1;
    }
    cJSON *a = cJSON_CreateArray();
    for (uint32_t k = n; k > 0; k--) cJSON_AddItemToArray(a, line_item(l, (size_t)(picked[k - 1] % LOG_LINES)));
    return a;
}

cJSON *dash_log_take_new(dash_log *l, uint32_t limit, uint64_t *skipped)
{
    uint64_t from = l->published;
    if (l->total - from > limit) from = l->total - limit;
    *skipped = from - l->published;
    cJSON *a = cJSON_CreateArray();
    for (uint64_t i = from; i < l->total; i++) cJSON_AddItemToArray(a, line_item(l, (size_t)(i % LOG_LINES)));
    l->published = l->total;
    return a;
}
