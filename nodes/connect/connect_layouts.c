/* connect/connect_layouts.c - the data-standard layouts (データ標準レイアウト) of the connection
 * test: for each item of the permission table and each published version, the payload's fields
 * with their type, length or range, code values and whether they are required. A replica's
 * payload is checked against its item's layout of its schema_version when it is registered (a
 * partial update: the fields it gives, against the stored record's layout), each problem named
 * by its path (payload.household_size) and rule. GET layouts serves them; layout_example() in
 * Lua builds a payload from the same layouts (the scenario's fixtures).
 *
 * Sources and assumptions: docs/connect-layouts.md. The real layouts are published by the
 * Digital Agency for each item; the field sets here are a small, assumed subset in their
 * spirit, with two versions so that a layout change can be rehearsed: version 2 adds the
 * required data_as_of (the date the data holds for, 基準日) to every item, and changes two
 * items further (resident record: relationship required, address_kana shortened; local tax:
 * income_category required). */
#include "connect/connect_internal.h"

#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum layout_type { LT_STRING, LT_INTEGER, LT_BOOLEAN, LT_DATE } layout_type;

typedef struct layout_field {
    const char *name, *name_ja;
    layout_type type;
    bool required;
    int max_len;                /* strings: characters (code points) */
    long long min, max;         /* integers */
    const char *codes;          /* strings: the code values, '|' between them; NULL: free text */
    const char *example;        /* as JSON */
} layout_field;

typedef struct layout {
    const char *item;
    int version;
    const layout_field *fields;
    int nfields;
} layout;

#define F_STR(n, ja, req, len, ex) {n, ja, LT_STRING, req, len, 0, 0, NULL, ex}
#define F_CODE(n, ja, req, codes, ex) {n, ja, LT_STRING, req, 0, 0, 0, codes, ex}
#define F_INT(n, ja, req, lo, hi, ex) {n, ja, LT_INTEGER, req, 0, lo, hi, NULL, ex}
#define F_BOOL(n, ja, req, ex) {n, ja, LT_BOOLEAN, req, 0, 0, 0, NULL, ex}
#define F_DATE(n, ja, req, ex) {n, ja, LT_DATE, req, 0, 0, 0, NULL, ex}
#define AS_OF F_DATE("data_as_of", "基準日", true, "\"2017-11-13\"")
#define NOTE F_STR("note", "備考", false, 200, NULL)
#define N(a) (int)(sizeof a / sizeof a[0])

static const layout_field RESIDENT_1[] = {
    F_INT("household_size", "世帯人数", true, 1, 99, "3"), F_BOOL("household_head", "世帯主", false, "true"),
    F_DATE("moved_in", "転入日", false, "\"2016-04-01\""), F_STR("address_kana", "住所（カナ）", false, 100, NULL), NOTE};
static const layout_field RESIDENT_2[] = {
    F_INT("household_size", "世帯人数", true, 1, 99, "3"), F_BOOL("household_head", "世帯主", false, "true"),
    F_CODE("relationship", "続柄", true, "head|spouse|child|parent|other", "\"head\""),
    F_DATE("moved_in", "転入日", false, "\"2016-04-01\""), F_STR("address_kana", "住所（カナ）", false, 60, NULL), AS_OF, NOTE};
static const layout_field TAX_1[] = {
    F_INT("tax_year", "課税年度", true, 1990, 2099, "2017"), F_INT("taxable_income", "課税所得", true, 0, 999999999999LL, "3456000"),
    F_INT("municipal_tax", "市町村民税額", false, 0, 99999999999LL, "207360"),
    F_INT("prefectural_tax", "道府県民税額", false, 0, 99999999999LL, "138240"), NOTE};
static const layout_field TAX_2[] = {
    F_INT("tax_year", "課税年度", true, 1990, 2099, "2017"), F_INT("taxable_income", "課税所得", true, 0, 999999999999LL, "3456000"),
    F_CODE("income_category", "所得区分", true, "salary|business|pension|other", "\"salary\""),
    F_INT("municipal_tax", "市町村民税額", false, 0, 99999999999LL, "207360"),
    F_INT("prefectural_tax", "道府県民税額", false, 0, 99999999999LL, "138240"), AS_OF, NOTE};
#define PAIR(name, ...)                                   \
    static const layout_field name##_1[] = {__VA_ARGS__, NOTE}; \
    static const layout_field name##_2[] = {__VA_ARGS__, AS_OF, NOTE};
PAIR(LTC, F_CODE("care_level", "要介護状態区分", true, "support1|support2|care1|care2|care3|care4|care5", "\"care1\""),
     F_DATE("valid_until", "有効期間終了日", false, "\"2018-03-31\""))
PAIR(DISEASE, F_STR("disease_code", "疾病コード", true, 10, "\"D001\""), F_STR("recipient_no", "受給者番号", false, 8, "\"12345678\""),
     F_DATE("valid_until", "有効期間終了日", false, "\"2018-09-30\""))
PAIR(CHILD, F_INT("child_allowance_monthly", "児童手当月額", true, 0, 1000000, "10000"), F_INT("children", "支給対象児童数", false, 0, 20, "1"))
PAIR(REARING, F_INT("allowance_monthly", "手当月額", true, 0, 1000000, "42290"),
     F_CODE("payment", "支給区分", false, "full|partial|suspended", "\"full\""))
PAIR(ASSISTANCE, F_BOOL("assisted", "保護受給", true, "true"), F_DATE("since", "開始日", false, "\"2015-04-01\""))
PAIR(DISABILITY, F_CODE("certificate_type", "手帳種別", true, "physical|intellectual|mental", "\"physical\""),
     F_CODE("grade", "等級", true, "1|2|3|4|5|6", "\"2\""))
PAIR(SERVICES, F_CODE("service_category", "サービス種別", true, "home_care|day_care|residential|employment_support", "\"home_care\""),
     F_INT("burden_ceiling", "負担上限月額", false, 0, 100000, "9300"))
PAIR(VACCINATION, F_STR("vaccine", "ワクチン", true, 40, "\"MR\""), F_DATE("vaccinated_on", "接種日", true, "\"2016-05-10\""),
     F_INT("dose", "回数", false, 1, 5, "1"))
PAIR(MATERNAL, F_BOOL("handbook_issued", "母子健康手帳交付", true, "true"), F_INT("checkups", "健診回数", false, 0, 30, "4"))
PAIR(NHI, F_BOOL("insured", "被保険者", true, "true"), F_INT("high_cost_count", "高額療養費該当回数", false, 0, 12, "0"))
PAIR(PENSION, F_INT("benefit_monthly", "年金月額", true, 0, 10000000, "65000"), F_DATE("since", "受給開始日", false, "\"2010-04-01\""))
PAIR(EMPLOYMENT, F_INT("benefit_daily", "基本手当日額", true, 0, 100000, "5000"), F_DATE("since", "受給開始日", false, "\"2017-04-01\""))
PAIR(HEALTH, F_STR("insurer_no", "保険者番号", true, 8, "\"01130012\""), F_BOOL("insured", "被保険者", true, "true"))

#define BOTH(code, name) {code, 1, name##_1, N(name##_1)}, {code, 2, name##_2, N(name##_2)}
static const layout LAYOUTS[] = {
    BOTH("TM00000000000001", RESIDENT), BOTH("TM00000000000002", TAX), BOTH("TM00000000000004", LTC),
    BOTH("TM00000000000082", DISEASE), BOTH("TM99000000000005", CHILD), BOTH("TM99000000000006", REARING),
    BOTH("TM99000000000007", ASSISTANCE), BOTH("TM99000000000008", DISABILITY), BOTH("TM99000000000009", SERVICES),
    BOTH("TM99000000000010", VACCINATION), BOTH("TM99000000000011", MATERNAL), BOTH("TM99000000000012", NHI),
    BOTH("TM99000000000013", PENSION), BOTH("TM99000000000014", EMPLOYMENT), BOTH("TM99000000000015", HEALTH),
};

static const layout *layout_of(const char *item, int version)
{
    for (size_t i = 0; i < sizeof LAYOUTS / sizeof LAYOUTS[0]; i++)
        if (LAYOUTS[i].version == version && strcmp(LAYOUTS[i].item, item) == 0) return &LAYOUTS[i];
    return NULL;
}

bool connect_layout_version_published(int version) { return version >= 1 && version <= CONNECT_LAYOUT_VERSIONS; }

static const char *const TYPE_NAMES[] = {"string", "integer", "boolean", "date"};

static size_t code_points(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static bool code_listed(const char *codes, const char *v)
{
    size_t len = strlen(v);
    for (const char *p = codes; *p;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == len && strncmp(p, v, n) == 0) return true;
        p += n + (bar ? 1 : 0);
    }
    return false;
}

static bool calendar_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-') return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9')) return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1) return false;
    int last = days[m - 1] + (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
    return d <= last;
}

/* One value against its field. */
static void check_value(field_errors *fe, const layout_field *f, const cJSON *v, const char *path)
{
    switch (f->type) {
    case LT_STRING:
        if (!cJSON_IsString(v)) {
            connect_fe_add(fe, path, "type", "%s (%s) must be a string", path, f->name_ja);
        } else if (f->codes && !code_listed(f->codes, v->valuestring)) {
            connect_fe_add(fe, path, "code_list", "%s (%s): '%.40s' is not one of its codes (%s)", path, f->name_ja, v->valuestring, f->codes);
        } else if (f->max_len && code_points(v->valuestring) > (size_t)f->max_len) {
            connect_fe_add(fe, path, "length", "%s (%s) is at most %d characters (got %zu)", path, f->name_ja, f->max_len,
                           code_points(v->valuestring));
        }
        break;
    case LT_INTEGER:
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble)) {
            connect_fe_add(fe, path, "type", "%s (%s) must be a whole number", path, f->name_ja);
        } else if (v->valuedouble < (double)f->min || v->valuedouble > (double)f->max) {
            connect_fe_add(fe, path, "range", "%s (%s) must be from %lld to %lld", path, f->name_ja, f->min, f->max);
        }
        break;
    case LT_BOOLEAN:
        if (!cJSON_IsBool(v)) connect_fe_add(fe, path, "type", "%s (%s) must be true or false", path, f->name_ja);
        break;
    case LT_DATE:
        if (!cJSON_IsString(v)) connect_fe_add(fe, path, "type", "%s (%s) must be a date string YYYY-MM-DD", path, f->name_ja);
        else if (!calendar_date(v->valuestring))
            connect_fe_add(fe, path, "date", "%s (%s): '%.20s' is not a date of the calendar in the form YYYY-MM-DD", path, f->name_ja,
                           v->valuestring);
        break;
    }
}

void connect_layout_check(field_errors *fe, const char *item, int version, const cJSON *payload, bool partial)
{
    const layout *l = layout_of(item, version);
    if (!l || !cJSON_IsObject(payload)) return;   /* no layout: the item or version was refused already */
    char path[160];
    for (const cJSON *m = payload->child; m; m = m->next) {
        snprintf(path, sizeof path, "payload.%.100s", m->string);
        if (strcmp(m->string, "item") == 0) {   /* every layout may repeat its item code */
            if (!cJSON_IsString(m) || strcmp(m->valuestring, item) != 0)
                connect_fe_add(fe, path, "code_list", "payload.item, when given, is the record's item %s", item);
            continue;
        }
        const layout_field *f = NULL;
        for (int i = 0; i < l->nfields && !f; i++)
            if (strcmp(l->fields[i].name, m->string) == 0) f = &l->fields[i];
        if (!f) {
            connect_fe_add(fe, path, "unknown_field", "%s is not a field of the layout of %s version %d (GET /connect/v1/layouts)",
                           path, item, version);
            continue;
        }
        if (cJSON_IsNull(m) && !f->required && partial) continue;   /* a partial update may clear an optional field */
        check_value(fe, f, m, path);
    }
    if (partial) return;
    for (int i = 0; i < l->nfields; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(payload, l->fields[i].name);
        if (l->fields[i].required && (!v || cJSON_IsNull(v))) {
            snprintf(path, sizeof path, "payload.%s", l->fields[i].name);
            connect_fe_add(fe, path, "required", "%s (%s) is required by the layout of %s version %d", path, l->fields[i].name_ja,
                           item, version);
        }
    }
}

/* ---- the layouts as JSON, and examples ------------------------------------------------ */

static cJSON *layout_json(const layout *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "item", l->item);
    cJSON_AddNumberToObject(o, "version", l->version);
    cJSON *fields = cJSON_AddArrayToObject(o, "fields");
    for (int i = 0; i < l->nfields; i++) {
        const layout_field *f = &l->fields[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", f->name);
        cJSON_AddStringToObject(x, "name_ja", f->name_ja);
        cJSON_AddStringToObject(x, "type", TYPE_NAMES[f->type]);
        cJSON_AddBoolToObject(x, "required", f->required);
        if (f->max_len) cJSON_AddNumberToObject(x, "max_length", f->max_len);
        if (f->type == LT_INTEGER) {
            cJSON_AddNumberToObject(x, "min", (double)f->min);
            cJSON_AddNumberToObject(x, "max", (double)f->max);
        }
        if (f->codes) {
            cJSON *codes = cJSON_AddArrayToObject(x, "codes");
            char buf[128];
            snprintf(buf, sizeof buf, "%s", f->codes);
            for (char *save = NULL, *t = strtok_r(buf, "|", &save); t; t = strtok_r(NULL, "|", &save))
                cJSON_AddItemToArray(codes, cJSON_CreateString(t));
        }
        cJSON_AddItemToArray(fields, x);
    }
    return o;
}

cJSON *connect_layouts_json(void)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *versions = cJSON_AddArrayToObject(o, "versions");
    for (int v = 1; v <= CONNECT_LAYOUT_VERSIONS; v++) cJSON_AddItemToArray(versions, cJSON_CreateNumber(v));
    cJSON *list = cJSON_AddArrayToObject(o, "layouts");
    for (size_t i = 0; i < sizeof LAYOUTS / sizeof LAYOUTS[0]; i++) cJSON_AddItemToArray(list, layout_json(&LAYOUTS[i]));
    return o;
}

/* An example payload of the layout: the item code and every field that has an example. */
static cJSON *example(const layout *l)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "item", l->item);
    for (int i = 0; i < l->nfields; i++)
        if (l->fields[i].example) cJSON_AddItemToObject(o, l->fields[i].name, cJSON_Parse(l->fields[i].example));
    return o;
}

static void push_json(lua_State *L, const cJSON *v)
{
    if (cJSON_IsString(v)) lua_pushstring(L, v->valuestring);
    else if (cJSON_IsBool(v)) lua_pushboolean(L, cJSON_IsTrue(v));
    else if (cJSON_IsNumber(v)) lua_pushinteger(L, (lua_Integer)v->valuedouble);
    else lua_pushnil(L);
}

/* layout_example(item [, version]) -> a table: a payload that passes the layout (version 1 by
 * default), from the layouts' example values: the fixtures are made from it. */
int connect_lua_layout_example(lua_State *L)
{
    const char *item = luaL_checkstring(L, 1);
    lua_Integer version = luaL_optinteger(L, 2, 1);
    const layout *l = layout_of(item, (int)version);
    if (!l) return luaL_error(L, "layout_example: no layout of %s version %d (versions 1 to %d of the permission table's items)",
                              item, (int)version, CONNECT_LAYOUT_VERSIONS);
    cJSON *o = example(l);
    if (!o) return luaL_error(L, "layout_example: out of memory");
    lua_newtable(L);
    for (const cJSON *m = o->child; m; m = m->next) {
        push_json(L, m);
        lua_setfield(L, -2, m->string);
    }
    cJSON_Delete(o);
    return 1;
}
