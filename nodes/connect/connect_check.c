/* connect/connect_check.c - the connection test's field checks. Each problem found is one entry
 * {field, rule, message} (and the line, in a bulk file): the rule is a word from a fixed
 * vocabulary that docs/connect-api.md lists with its meaning, so a vendor's system can act on
 * it, and the message says what was expected and what came. Checks collect every problem of
 * a request rather than stopping at the first (the first FE_LISTED are listed, all are
 * counted), and never change anything. The scan for individual numbers covers everything a
 * body holds: every key, string and number at any depth. */
#include "connect/connect_internal.h"
#include "sim_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void connect_fe_init(field_errors *fe) { *fe = (field_errors){.list = cJSON_CreateArray()}; }
void connect_fe_free(field_errors *fe)
{
    cJSON_Delete(fe->list);
    fe->list = NULL;
}

void connect_fe_add(field_errors *fe, const char *field, const char *rule, const char *fmt, ...)
{
    if (fe->n >= FE_LISTED) {   /* counted, not listed: an answer stays small whatever came */
        fe->n++;
        return;
    }
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sim_json_utf8_trim(msg);
    cJSON *e = cJSON_CreateObject();
    if (!e) return;
    if (fe->line) cJSON_AddNumberToObject(e, "line", fe->line);
    cJSON_AddStringToObject(e, "field", field);
    cJSON_AddStringToObject(e, "rule", rule);
    cJSON_AddStringToObject(e, "message", msg);
    cJSON_AddItemToArray(fe->list, e);
    fe->n++;
}

/* Conflicts with the tenant's state (409) rather than malformed input (422). */
static bool conflict_rule(const char *rule)
{
    return strcmp(rule, "duplicate") == 0 || strcmp(rule, "already_acquired") == 0 ||
           strcmp(rule, "in_progress") == 0;
}

void connect_fe_answer(field_errors *fe, connect_answer *a, const char *what)
{
    bool conflict = true;
    char list[240] = "";
    size_t used = 0;
    int shown = 0;
    for (cJSON *e = fe->list->child; e; e = e->next) {
        const char *field = cJSON_GetObjectItem(e, "field")->valuestring;
        const char *rule = cJSON_GetObjectItem(e, "rule")->valuestring;
        conflict = conflict && conflict_rule(rule);
        if (shown < 6 && used < sizeof list - 1) {
            cJSON *line = cJSON_GetObjectItem(e, "line");
            int k = line ? snprintf(list + used, sizeof list - used, "%sline %d %s (%s)", shown ? ", " : "",
                                    (int)line->valuedouble, field, rule)
                         : snprintf(list + used, sizeof list - used, "%s%s (%s)", shown ? ", " : "", field, rule);
            used += k > 0 ? (size_t)k : 0;
            if (used >= sizeof list) used = sizeof list - 1;
            shown++;
        }
    }
    int status = conflict ? 409 : 422;
    connect_answer_error(a, status, conflict ? "conflict" : "validation", "%s refused: %d problem%s: %s%s", what,
                         fe->n, fe->n == 1 ? "" : "s", list, fe->n > shown ? ", ..." : "");
    if (fe->n > FE_LISTED) cJSON_AddNumberToObject(a->json, "errors_not_listed", fe->n - FE_LISTED);
    cJSON_AddItemToObject(a->json, "errors", fe->list);
    fe->list = NULL;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "null";
}

/* A member, or NULL when absent; JSON null counts as absent. */
static const cJSON *member(const cJSON *obj, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return v && !cJSON_IsNull(v) ? v : NULL;
}

/* Duplicate fields never get here: the strict reader refuses them (connect_body_object). */
void connect_check_fields(field_errors *fe, const cJSON *obj, const char *const known[], const char *const immutable[])
{
    for (const cJSON *f = obj->child; f; f = f->next) {
        bool ok = false, fixed = false;
        for (size_t i = 0; known[i] && !ok; i++) ok = strcmp(f->string, known[i]) == 0;
        for (size_t i = 0; immutable && immutable[i] && !fixed; i++) fixed = strcmp(f->string, immutable[i]) == 0;
        if (fixed)
            connect_fe_add(fe, f->string, "not_updatable", "%s cannot change in a partial update (register a new record instead)",
                   f->string);
        else if (!ok)
            connect_fe_add(fe, f->string[0] ? f->string : "(empty name)", "unknown_field", "%.40s is not a field of this request",
                   f->string);
    }
}

/* The first byte of s outside allowed, printable. */
static void describe_byte(char out[8], unsigned char ch)
{
    if (ch >= 0x20 && ch < 0x7f) snprintf(out, 8, "'%c'", ch);
    else snprintf(out, 8, "\\x%02x", ch);
}

const char *connect_check_string(field_errors *fe, const cJSON *obj, const char *name, bool required, size_t max,
                         const char *allowed, const char *allowed_text)
{
    const cJSON *v = member(obj, name);
    if (!v) {
        if (required) connect_fe_add(fe, name, "required", "%s is required", name);
        return NULL;
    }
    if (!cJSON_IsString(v)) {
        connect_fe_add(fe, name, "type", "%s must be a string (got %s)", name, type_name(v));
        return NULL;
    }
    const char *s = v->valuestring;
    size_t len = strlen(s);
    if (len == 0 || len > max) {
        connect_fe_add(fe, name, "length", "%s must be 1 to %zu characters long (got %zu)", name, max, len);
        return NULL;
    }
    size_t ok = allowed ? strspn(s, allowed) : len;
    if (ok != len) {
        char b[8];
        describe_byte(b, (unsigned char)s[ok]);
        connect_fe_add(fe, name, "format", "%s may contain only %s (found %s at position %zu)", name, allowed_text, b, ok + 1);
        return NULL;
    }
    return s;
}

static const char DIGITS[] = "0123456789";
const char CONNECT_ID_CHARS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
const char CONNECT_ID_CHARS_TEXT[] = "letters, digits, '.', '_' and '-'";

void connect_format_addressee(uint64_t a, char out[ADDRESSEE_DIGITS + 1])
{
    snprintf(out, ADDRESSEE_DIGITS + 1, "%015llu", (unsigned long long)a);
}

bool connect_check_addressee(node_connect *c, field_errors *fe, const cJSON *obj, uint64_t *out)
{
    const cJSON *v = member(obj, "addressee_no");
    if (!v) {
        connect_fe_add(fe, "addressee_no", "required", "addressee_no (the integrated addressee number, 15 digits) is required");
        return false;
    }
    if (!cJSON_IsString(v)) {
        connect_fe_add(fe, "addressee_no", "type", "addressee_no must be a string of 15 digits (got %s)", type_name(v));
        return false;
    }
    const char *s = v->valuestring;
    size_t len = strlen(s);
    if (len != ADDRESSEE_DIGITS) {
        connect_fe_add(fe, "addressee_no", "length", "addressee_no must be exactly 15 digits, zero-padded (got %zu characters)", len);
        return false;
    }
    if (strspn(s, DIGITS) != len) {
        char b[8];
        describe_byte(b, (unsigned char)s[strspn(s, DIGITS)]);
        connect_fe_add(fe, "addressee_no", "format", "addressee_no may contain only the digits 0-9 (found %s)", b);
        return false;
    }
    uint64_t a = strtoull(s, NULL, 10);
    uint64_t last = (uint64_t)c->b->nresidents + c->b->nextra;
    if (a == 0 || a > last) {
        char hi[ADDRESSEE_DIGITS + 1];
        connect_format_addressee(last, hi);
        connect_fe_add(fe, "addressee_no", "unknown", "%s is not an addressee of %s's integrated addressee system (it has 000000000000001 to %s)",
               s, c->b->name, hi);
        return false;
    }
    *out = a;
    return true;
}

void connect_format_date(sim_time_t t, char out[16])
{
    struct sim_civil cv;
    sim_time_split(t, &cv);
    snprintf(out, 16, "%04d-%02d-%02d", cv.year, cv.month, cv.day);
}

bool connect_check_date(field_errors *fe, const cJSON *obj, const char *name, bool required, sim_time_t *out, bool *present)
{
    const cJSON *v = member(obj, name);
    *present = v != NULL;
    if (!v) {
        if (required) connect_fe_add(fe, name, "required", "%s (a date, YYYY-MM-DD) is required", name);
        return !required;
    }
    if (!cJSON_IsString(v)) {
        connect_fe_add(fe, name, "type", "%s must be a date string YYYY-MM-DD (got %s)", name, type_name(v));
        return false;
    }
    const char *s = v->valuestring;
    size_t len = strlen(s);
    if (len != 10) {
        connect_fe_add(fe, name, "length", "%s must be a date YYYY-MM-DD, 10 characters (got %zu)", name, len);
        return false;
    }
    bool shape = s[4] == '-' && s[7] == '-';
    for (int i = 0; i < 10 && shape; i++) shape = i == 4 || i == 7 || (s[i] >= '0' && s[i] <= '9');
    if (!shape) {
        connect_fe_add(fe, name, "format", "%s must be a date YYYY-MM-DD (got \"%s\")", name, s);
        return false;
    }
    struct sim_civil cv = {.year = atoi(s), .month = atoi(s + 5), .day = atoi(s + 8)};
    if (cv.year < 1970 || cv.year > 2099) {
        connect_fe_add(fe, name, "range", "%s must be between 1970-01-01 and 2099-12-31 (got %s)", name, s);
        return false;
    }
    if (sim_time_from_civil(&cv, out) < 0) {
        connect_fe_add(fe, name, "date", "%s: %s is not a date of the calendar", name, s);
        return false;
    }
    return true;
}

int connect_check_item(node_connect *c, field_errors *fe, const cJSON *obj, bool held_by_lg)
{
    const char *s = connect_check_string(fe, obj, "item", true, 16, NULL, NULL);
    if (!s) return -1;
    if (strlen(s) != 16) {
        connect_fe_add(fe, "item", "length", "item must be a specific-personal-information code of 16 characters, TM and 14 digits (got %zu)",
               strlen(s));
        return -1;
    }
    if (strncmp(s, "TM", 2) != 0 || strspn(s + 2, DIGITS) != 14) {
        connect_fe_add(fe, "item", "format", "item must be TM followed by 14 digits (got \"%s\")", s);
        return -1;
    }
    int it = domain_item(c->d, s);
    if (it < 0) {
        connect_fe_add(fe, "item", "code_list", "%s is not an item of the permission table (the list: GET /connect/v1/code-lists)", s);
        return -1;
    }
    if (held_by_lg && c->d->items[it].holder_agency >= 0) {
        connect_fe_add(fe, "item", "not_held", "%s (%s) is held by %s, not by local governments: a local government does not register it",
               s, c->d->items[it].name_en, c->d->agencies[c->d->items[it].holder_agency]);
        return -1;
    }
    return it;
}

bool connect_check_staff(field_errors *fe, const cJSON *obj, bool required, const char **out)
{
    *out = NULL;
    if (required && !member(obj, "staff")) {
        connect_fe_add(fe, "staff", "required", "staff (the id of the staff member who asks) is required: every inquiry names one");
        return false;
    }
    *out = connect_check_string(fe, obj, "staff", false, STAFF_MAX, CONNECT_ID_CHARS, CONNECT_ID_CHARS_TEXT);
    return *out || !member(obj, "staff");
}

/* 12 digits with the official check digit: the form of an individual number. */
static bool looks_like_individual_no(const char *digits)
{
    uint64_t first11 = 0;
    for (int i = 0; i < 11; i++) first11 = first11 * 10 + (uint64_t)(digits[i] - '0');
    return domain_individual_no_check_digit(first11) == digits[11] - '0';
}

/* Each individual number in text: a run of exactly 12 digits with a valid check digit (the
 * form), or 12 digits anywhere in a longer run that are a resident's number (what the network's
 * own scan looks for: domain_msg_has_individual_no). what says where the text is. */
static void scan_text(node_connect *c, field_errors *fe, const char *path, const char *what, const char *text)
{
    for (const char *p = text; *p;) {
        size_t run = strspn(p, DIGITS);
        if (!run) {
            p++;
            continue;
        }
        for (size_t k = 0; k + 12 <= run; k++) {
            bool hit;
            if (run == 12) {
                hit = looks_like_individual_no(p);
            } else {
                uint64_t v = 0;
                for (size_t i = k; i < k + 12; i++) v = v * 10 + (uint64_t)(p[i] - '0');
                hit = sim_map_get(&c->d->individual_nos, v, NULL);
            }
            if (hit && run == 12)
                connect_fe_add(fe, path[0] ? path : "(body)", "individual_no",
                       "%s%s holds %.12s, which has the form of an individual number (12 digits with a valid check "
                       "digit): individual numbers never enter the linkage network", what, path[0] ? path : "the body",
                       p + k);
            else if (hit)
                connect_fe_add(fe, path[0] ? path : "(body)", "individual_no",
                       "%s%s holds %.12s (digits %zu to %zu of a run of %zu), a resident's individual number: "
                       "individual numbers never enter the linkage network", what, path[0] ? path : "the body", p + k,
                       k + 1, k + 12, run);
        }
        p += run;
    }
}

/* Scan v (at path, in a buffer of cap bytes whose first len are the path) and everything in it. */
static void scan_value(node_connect *c, field_errors *fe, const cJSON *v, char *path, size_t len, size_t cap)
{
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        size_t i = 0;
        for (const cJSON *m = v->child; m; m = m->next, i++) {
            int k = cJSON_IsObject(v) ? snprintf(path + len, cap - len, "%s%s", len ? "." : "", m->string)
                                      : snprintf(path + len, cap - len, "[%zu]", i);
            size_t next = len + (k > 0 ? (size_t)k : 0);
            if (next >= cap) next = cap - 1;
            next = strlen(sim_json_utf8_trim(path));
            if (cJSON_IsObject(v)) scan_text(c, fe, path, "the name of ", m->string);
            scan_value(c, fe, m, path, next, cap);
            path[len] = '\0';
        }
        return;
    }
    if (cJSON_IsString(v)) {
        scan_text(c, fe, path, "", v->valuestring);
    } else if (cJSON_IsNumber(v)) {   /* as it would travel: cJSON's printing, sign and all */
        char *text = cJSON_PrintUnformatted(v);
        if (text) scan_text(c, fe, path, "", text);
        cJSON_free(text);
    }
}

void connect_check_individual_nos(node_connect *c, field_errors *fe, const cJSON *obj)
{
    char path[160] = "";
    scan_value(c, fe, obj, path, 0, sizeof path);
}

char *connect_check_payload(field_errors *fe, const cJSON *obj, bool partial)
{
    const cJSON *v = member(obj, "payload");
    if (!v) {
        if (!partial) connect_fe_add(fe, "payload", "required", "payload (a JSON object: the replica's content) is required");
        return NULL;
    }
    if (!cJSON_IsObject(v)) {
        connect_fe_add(fe, "payload", "type", "payload must be a JSON object (got %s)", type_name(v));
        return NULL;
    }
    if (partial && !v->child) {
        connect_fe_add(fe, "payload", "empty", "a partial update's payload names at least one field to change");
        return NULL;
    }
    char *text = cJSON_PrintUnformatted(v);
    if (!text) return NULL;
    if (strlen(text) > PAYLOAD_MAX) {
        connect_fe_add(fe, "payload", "length", "payload must be at most %d bytes as compact JSON (got %zu)", PAYLOAD_MAX, strlen(text));
        cJSON_free(text);
        return NULL;
    }
    return text;   /* individual numbers in it: connect_check_individual_nos, over the whole body */
}
