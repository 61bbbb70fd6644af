/* dash/dash_ops.c - the operations timeline: every trace line that is not a message (sent,
 * received, dropped), kept for the whole run rather than the event log's window: faults and
 * their end, nodes and links going down and up, the sites' and the operations centre's log
 * (detection, promotion, resynchronisation, failback), audits, the scripts' log and captions.
 * They are few (a site loss is a few dozen lines a day), so the 10:00 failover can be found the
 * next morning. Each line is kept as the trace wrote it, with its category for the page's
 * filter; searching is a case-insensitive substring match (ASCII letters folded, other bytes,
 * Japanese included, as they are). */
#include "dash/dash_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { OPS_KEPT_MAX = 200000 };   /* past this (a nemesis year), the oldest are counted, not kept */

void dash_ops_init(dash_ops *o) { memset(o, 0, sizeof *o); }

void dash_ops_free(dash_ops *o)
{
    for (size_t i = 0; i < o->n; i++) free(o->v[i].line);
    free(o->v);
    memset(o, 0, sizeof *o);
}

/* The value of "key":"..." in a trace line, into out (n bytes); false when absent. */
static bool field(const char *line, size_t len, const char *key, char *out, size_t n)
{
    char pat[32];
    int k = snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *end = line + len;
    for (const char *p = line; p + k < end; p++) {
        if (memcmp(p, pat, (size_t)k) != 0) continue;
        p += k;
        size_t i = 0;
        while (p < end && *p != '"' && i + 1 < n) out[i++] = *p++;
        out[i] = '\0';
        return true;
    }
    return false;
}

static bool contains(const char *line, size_t len, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= len; i++)
        if (memcmp(line + i, needle, k) == 0) return true;
    return false;
}

/* What kind of operation a line is, for the page's filter. */
static const char *category_of(const char *kind, const char *line, size_t len)
{
    if (strcmp(kind, "fault") == 0 || strcmp(kind, "node_down") == 0 || strcmp(kind, "node_up") == 0 ||
        strncmp(kind, "link_", 5) == 0 || strcmp(kind, "crash") == 0 || strcmp(kind, "recover") == 0)
        return "fault";
    if (strcmp(kind, "audit") == 0) return "audit";
    if (strcmp(kind, "log") != 0) return "other";
    if (contains(line, len, "\"detail\":\"caption: ")) return "caption";
    if (contains(line, len, "no heartbeat") || contains(line, len, " is back")) return "detection";
    if (contains(line, len, "promot") || contains(line, len, "granted")) return "promotion";
    if (contains(line, len, "failback") || contains(line, len, "failed back") || contains(line, len, "releasing")) return "failback";
    if (contains(line, len, "resynchronis")) return "resync";
    return contains(line, len, "\"node\":\"") ? "operations" : "script";
}

void dash_ops_add(dash_ops *o, const char *line, size_t len)
{
    char kind[24];
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r')) len--;
    if (!field(line, len > 160 ? 160 : len, "kind", kind, sizeof kind)) return;
    if (strcmp(kind, "send") == 0 || strcmp(kind, "recv") == 0 || strcmp(kind, "drop") == 0) return;
    if (o->n == OPS_KEPT_MAX) {   /* keep the newest: drop the oldest tenth at once */
        size_t k = OPS_KEPT_MAX / 10;
        for (size_t i = 0; i < k; i++) free(o->v[i].line);
        memmove(o->v, o->v + k, (o->n - k) * sizeof *o->v);
        o->n -= k;
        o->forgotten += k;
    }
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 256;
        dash_op *v = realloc(o->v, cap * sizeof *v);
        if (!v) {
            o->forgotten++;   /* no memory: counted, the run goes on */
            return;
        }
        o->v = v;
        o->cap = cap;
    }
    char *copy = strndup(line, len);
    if (!copy) {
        o->forgotten++;
        return;
    }
    o->v[o->n++] = (dash_op){.line = copy, .len = len, .category = category_of(kind, line, len)};
}

static bool matches_text(const char *line, size_t len, const char *q)
{
    size_t k = strlen(q);
    if (!k) return true;
    for (size_t i = 0; i + k <= len; i++) {
        size_t j = 0;
        while (j < k && tolower((unsigned char)line[i + j]) == tolower((unsigned char)q[j])) j++;
        if (j == k) return true;
    }
    return false;
}

/* Is category c among the comma-separated list (empty: all)? */
static bool in_list(const char *list, const char *c)
{
    if (!list || !*list) return true;
    size_t k = strlen(c);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == k && memcmp(p, c, k) == 0) return true;
        if (!e) break;
        p = e + 1;
    }
    return false;
}

cJSON *dash_ops_json(const dash_ops *o, const char *q, const char *categories, uint32_t limit)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "total", (double)(o->n + o->forgotten));
    cJSON_AddNumberToObject(root, "forgotten", (double)o->forgotten);
    size_t *picked = malloc((limit ? limit : 1) * sizeof *picked);
    size_t n = 0, matched = 0;
    for (size_t i = o->n; picked && i > 0; i--) {   /* the newest that match, shown oldest first */
        const dash_op *x = &o->v[i - 1];
        if (!in_list(categories, x->category) || !matches_text(x->line, x->len, q)) continue;
        matched++;
        if (n < limit) picked[n++] = i - 1;
    }
    cJSON_AddNumberToObject(root, "matched", (double)matched);
    cJSON *a = cJSON_AddArrayToObject(root, "entries");
    for (size_t k = n; k > 0; k--) {
        const dash_op *x = &o->v[picked[k - 1]];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "index", (double)(picked[k - 1] + o->forgotten));
        cJSON_AddStringToObject(e, "category", x->category);
        cJSON_AddItemToObject(e, "line", cJSON_CreateRaw(x->line));
        cJSON_AddItemToArray(a, e);
    }
    free(picked);
    return root;
}
