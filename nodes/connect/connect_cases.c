/* connect/connect_cases.c - the test-case catalogue of the connection test (docs/connect-cases.md):
 * numbered cases with stable ids, each with its purpose, preconditions, steps and expected
 * result in Japanese and English, tracked live from what the outside system does. Each case is
 * pass, fail or not run (a case that needs a disturbance, e.g. a failover, is not applicable
 * when none came), with its evidence: the requests and answers that decided it and the
 * simulated moments they entered.
 *
 * The vendor declares the items and procedures its system handles (POST declaration); the
 * catalogue then holds a registration and a partial-update case per declared item and an
 * inquiry case per declared procedure. Cases are judged from the API's answers only (what the
 * outside system was told), in the order the requests were handled, so a replay of the
 * session judges them the same way.
 *
 * Judging: a case passes on the first request that shows what it expects; until then a request
 * that tried and did not get there (refused, or ended in another outcome) makes it fail with
 * that request as evidence; a later success still makes it pass. */
#include "connect/connect_internal.h"
#include "sim_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    BODY_SHOWN = 1024,          /* request bodies in evidence, bytes */
    ANSWER_SHOWN = 2048,        /* answers in evidence, bytes */
    TRIGGERS_KEPT = 64,         /* conditional cases: what they wait to see retried */
};

typedef enum case_kind { CK_ONCE, CK_PER_ITEM, CK_PER_PROCEDURE, CK_CONDITIONAL } case_kind;

typedef struct case_def {
    const char *id;
    case_kind kind;
    const char *title_ja, *title_en;
    const char *purpose_ja, *purpose_en;
    const char *pre_ja, *pre_en;
    const char *steps_ja, *steps_en;
    const char *expected_ja, *expected_en;
} case_def;

/* The catalogue. Ids are stable: a case is never renumbered, only added. */
enum {
    CT_DECLARATION, CT_CODE, CT_NO_CODE, CT_REGISTER, CT_UPDATE, CT_INQUIRY, CT_PROVISIONS, CT_BULK_INQUIRY,
    CT_BULK_REPLICA, CT_VALIDATION, CT_NOT_PERMITTED, CT_UNAVAILABLE, CT_RETRY, CT_INTEGRITY, CT_RATE, CT_COUNT
};

static const case_def CASES[CT_COUNT] = {
    {"CT-00", CK_ONCE, "対象業務の申告", "Declaration of the system's scope",
     "接続するシステムが扱う特定個人情報と事務手続を申告し、試験項目を確定する。",
     "Declare the items and procedures the system handles, which fixes the cases to pass.",
     "なし。", "None.",
     "POST declaration に items（特定個人情報名コード）と procedures（事務手続）を送る。",
     "POST declaration with items (item codes) and procedures (procedure ids).",
     "200 で受理され、申告した項目ごとの試験項目が一覧に現れる。",
     "200: accepted; a case appears for each declared item and procedure."},
    {"CT-01", CK_ONCE, "符号取得", "Code acquisition",
     "符号を持たない宛名について符号取得を依頼し、完了を確認できること。",
     "Acquire the agency code of an addressee without one and see it done.",
     "符号未取得の宛名（POST addressees で作成、または fixtures の without_code）。",
     "An addressee without a code (POST addressees, or fixtures' without_code).",
     "POST codes を送り、GET requests/{request_id} で完了まで照会する。",
     "POST codes, then poll GET requests/{request_id} until done.",
     "202 で受付、完了時の outcome が ok。", "202 accepted; done with outcome ok."},
    {"CT-02", CK_ONCE, "符号未取得の扱い", "An addressee without a code",
     "符号未取得の宛名への照会・副本登録が拒否されたとき、符号を取得して再度行えること。",
     "When an inquiry or registration is refused for want of a code, acquire it and go on.",
     "符号未取得の宛名。", "An addressee without a code.",
     "その宛名で POST inquiries または POST replicas を送り、422 no_code を受けたら POST codes を送る。",
     "Send POST inquiries or POST replicas for it; on 422 no_code, send POST codes for it.",
     "422（addressee_no, no_code）の後、同じ宛名の符号取得が 202 で受け付けられる。",
     "422 (addressee_no, no_code), then a code acquisition for the same addressee accepted (202)."},
    {"CT-03", CK_PER_ITEM, "副本登録（全件）", "Replica registration (full)",
     "申告した特定個人情報の副本を登録できること。", "Register a replica of the declared item.",
     "符号取得済みの宛名。", "An addressee with a code.",
     "POST replicas（item は当該コード）を送り、GET requests/{request_id} で完了を確認する。",
     "POST replicas with that item, then GET requests/{request_id} until done.",
     "完了時の outcome が ok。", "Done with outcome ok."},
    {"CT-04", CK_PER_ITEM, "副本登録（部分更新）", "Replica registration (partial update)",
     "登録済みの副本を部分更新できること。", "Update part of a registered replica of the declared item.",
     "当該特定個人情報の登録済み副本（CT-03 で登録したもの、または {lg}-{n}-0 / -1）。",
     "A registered record of that item (from CT-03, or {lg}-{n}-0 / -1).",
     "POST replicas/partial を送り、GET requests/{request_id} で完了を確認する。",
     "POST replicas/partial, then GET requests/{request_id} until done.",
     "完了時の outcome が ok。", "Done with outcome ok."},
    {"CT-05", CK_PER_PROCEDURE, "情報照会と結果の取得", "Inquiry and its result",
     "申告した事務手続で情報照会し、提供された情報を受け取れること。",
     "Inquire under the declared procedure and receive the provided data.",
     "符号取得済みの宛名と、情報を保有する情報提供者（fixtures の moved_in が使える）。",
     "An addressee with a code and a provider that holds its data (fixtures' moved_in).",
     "POST inquiries を送り、GET inquiries/{request_id} で結果を取得する。",
     "POST inquiries, then GET inquiries/{request_id} until done.",
     "完了時の outcome が ok で、payload を受け取る。", "Done with outcome ok and a payload."},
    {"CT-06", CK_ONCE, "情報提供の記録の取得", "Provision records",
     "自団体からの情報提供の記録を最後まで取得できること。", "Read this tenant's provision records to the end.",
     "提供の記録が 1 件以上ある（業務量により自動的に生じる）。", "At least one record (the workload makes them).",
     "GET provisions を from=next で more が false になるまで繰り返す。", "GET provisions with from=next until more is false.",
     "200 で more が false のページを受け取る。", "200 with a page where more is false."},
    {"CT-07", CK_ONCE, "一括照会ファイル", "Bulk inquiry file",
     "照会ファイルを送り、結果ファイルを受け取れること。", "Send an inquiry file and receive its result file.",
     "CT-05 と同じ。", "As for CT-05.",
     "POST bulk/inquiries を送り、GET bulk/{bulk_id} が 200 になるまで照会する。",
     "POST bulk/inquiries, then GET bulk/{bulk_id} until 200.",
     "結果ファイル（各行の結果）を 200 で受け取る。", "The result file (one result per line), 200."},
    {"CT-08", CK_ONCE, "一括副本登録ファイル", "Bulk replica file",
     "副本ファイルを送り、結果ファイルを受け取れること。", "Send a replica file and receive its result file.",
     "CT-03 と同じ。", "As for CT-03.",
     "POST bulk/replicas を送り、GET bulk/{bulk_id} が 200 になるまで照会する。",
     "POST bulk/replicas, then GET bulk/{bulk_id} until 200.",
     "結果ファイルを 200 で受け取る。", "The result file, 200."},
    {"CT-09", CK_ONCE, "項目エラーの扱い（異常系）", "Field errors (abnormal case)",
     "誤りのある副本登録が項目ごとのエラーで拒否されることを確認する。",
     "See a faulty registration refused with its field errors.",
     "なし。", "None.",
     "規則に反する項目（日付の誤り、レイアウト違反など）を含む POST replicas を送る。",
     "POST replicas with a field that breaks a rule (a wrong date, a layout violation...).",
     "422 validation で、errors に項目名と規則が示される。", "422 validation, errors naming each field and rule."},
    {"CT-10", CK_ONCE, "照会不可の扱い（異常系）", "Not permitted (abnormal case)",
     "情報連携の許可がない照会が拒否されることを確認する。",
     "See an inquiry the permission table does not allow refused.",
     "なし。", "None.",
     "事務手続と特定個人情報の組合せが許可されていない POST inquiries を送る。",
     "POST inquiries with a procedure, item or provider the permission table does not allow.",
     "422 で rule が not_permitted。", "422 with rule not_permitted."},
    {"CT-11", CK_CONDITIONAL, "中間サーバー停止中の再送", "Tenant unavailable, then retried",
     "拠点障害・切替中の 503 を受けたとき、後で再送して受け付けられること。",
     "After 503 tenant_unavailable (a failover), retry later and be accepted.",
     "拠点障害のあるシナリオ（scripts/connect/vendor_disturbed.lua）。障害がなければ対象外。",
     "A scenario with a site failover (scripts/connect/vendor_disturbed.lua); not applicable without one.",
     "503 を受けたら GET session の available を待ち、同じ種類の操作を再送する。",
     "On 503, wait for GET session's available, then send the same kind of operation again.",
     "503 の後、同じ種類の操作が 202 で受け付けられる。", "After the 503, the same kind of operation accepted (202)."},
    {"CT-12", CK_CONDITIONAL, "通信障害・タイムアウト後の再送", "Retry after unreachable or timeout",
     "outcome が unreachable / timeout で終わった操作を再送し、成功させること。",
     "Send again an operation that ended unreachable or timeout, until it succeeds.",
     "障害のあるシナリオ。該当する終了がなければ対象外。", "A disturbed scenario; not applicable if no operation ended so.",
     "同じ操作（同じ record_id、同じ宛名と事務手続）を再送する。",
     "Send the same operation again (the same record_id; the same addressee and procedure).",
     "再送した操作が outcome ok で完了する。", "The operation sent again is done with outcome ok."},
    {"CT-13", CK_CONDITIONAL, "復号エラー後の再照会", "Integrity error, then inquired again",
     "outcome が integrity（証明書失効など）で終わった照会を、後で再照会して成功させること。",
     "Inquire again, later, after an inquiry ended integrity (an expired certificate...).",
     "証明書失効のあるシナリオ。該当する終了がなければ対象外。", "A scenario with a key expiry; not applicable otherwise.",
     "同じ宛名・事務手続で再照会する。", "Inquire again for the same addressee and procedure.",
     "再照会が outcome ok で完了する。", "The new inquiry is done with outcome ok."},
    {"CT-14", CK_CONDITIONAL, "流量制限の遵守", "Rate limit respected",
     "429 を受けたとき、retry_after_ms 待ってから再送すること。", "On 429, wait retry_after_ms before the next request.",
     "--connect-rate を超える送信。429 がなければ対象外。", "Sending faster than --connect-rate; not applicable without a 429.",
     "429 の retry_after_ms だけ待って次の要求を送る。", "Wait the 429's retry_after_ms, then send the next request.",
     "次の要求が retry_after_ms 以上後に届く。", "The next request arrives at least retry_after_ms later."},
};

typedef enum case_state { CS_NOT_RUN, CS_FAIL, CS_PASS } case_state;

typedef struct case_inst {
    case_state state;
    bool applies;               /* conditional cases: their condition came */
    cJSON *evidence;            /* steps: the pass, or the last failed try */
} case_inst;

typedef struct trigger {
    char key[64];               /* what a retry must match */
    cJSON *step;
} trigger;

struct connect_cases {
    case_inst once[CT_COUNT];
    case_inst item[2][MAX_ITEMS];   /* CT-03, CT-04 */
    case_inst proc[MAX_PROCEDURES]; /* CT-05 */
    bool declared;
    bool items[MAX_ITEMS], procs[MAX_PROCEDURES];
    trigger triggers[TRIGGERS_KEPT];    /* CT-02, CT-11, CT-12, CT-13 waiting for their retry */
    size_t ntriggers;
    /* CT-14: the last 429 (wall clock, as recorded) and who got it */
    bool rate_waiting;
    char rate_client[48];
    double rate_until_ms;
    cJSON *rate_step;
};

int connect_cases_create(node_connect *c)
{
    c->cases = calloc(1, sizeof *c->cases);
    return c->cases ? 0 : -ENOMEM;
}

static void inst_free(case_inst *x) { cJSON_Delete(x->evidence); }

void connect_cases_free(node_connect *c)
{
    connect_cases *k = c->cases;
    if (!k) return;
    for (int i = 0; i < CT_COUNT; i++) inst_free(&k->once[i]);
    for (int i = 0; i < MAX_ITEMS; i++) inst_free(&k->item[0][i]), inst_free(&k->item[1][i]);
    for (int i = 0; i < MAX_PROCEDURES; i++) inst_free(&k->proc[i]);
    for (size_t i = 0; i < k->ntriggers; i++) cJSON_Delete(k->triggers[i].step);
    cJSON_Delete(k->rate_step);
    free(k);
    c->cases = NULL;
}

/* ---- evidence -------------------------------------------------------------------------- */

/* Text cut to at most max bytes on a UTF-8 boundary, marked when cut. */
static cJSON *shown(const char *text, size_t len, size_t max)
{
    if (len <= max) {
        char *t = malloc(len + 1);
        if (!t) return cJSON_CreateNull();
        memcpy(t, text, len);
        t[len] = '\0';
        cJSON *s = cJSON_CreateString(t);
        free(t);
        return s;
    }
    char *t = malloc(max + 32);
    if (!t) return cJSON_CreateNull();
    memcpy(t, text, max);
    t[max] = '\0';
    sim_json_utf8_trim(t);
    size_t n = strlen(t);
    snprintf(t + n, max + 32 - n, " … (%zu bytes)", len);
    cJSON *s = cJSON_CreateString(t);
    free(t);
    return s;
}

static cJSON *case_step(node_connect *c, const connect_call *call, const connect_answer *a)
{
    cJSON *s = cJSON_CreateObject();
    connect_add_time(s, "at", sim_world_now(c->w));
    cJSON *rq = cJSON_AddObjectToObject(s, "request");
    cJSON_AddStringToObject(rq, "method", connect_method_name(call->method));
    cJSON_AddStringToObject(rq, "path", call->path);
    if (call->query && call->query->child) cJSON_AddItemToObject(rq, "query", cJSON_Duplicate(call->query, true));
    if (call->body_len) {
        bool text = !memchr(call->body, 0, call->body_len) && sim_json_utf8_valid(call->body, call->body_len) == call->body_len;
        cJSON_AddItemToObject(rq, "body", text ? shown(call->body, call->body_len, BODY_SHOWN)
                                                : cJSON_CreateString("(not UTF-8 text)"));
    }
    cJSON *an = cJSON_AddObjectToObject(s, "answer");
    cJSON_AddNumberToObject(an, "status", a->status);
    size_t len = 0;
    const char *ctype;
    char *text = connect_answer_text(a, &len, &ctype);
    if (text) cJSON_AddItemToObject(an, "body", shown(text, len, ANSWER_SHOWN));
    free(text);
    return s;
}

/* The case decided (pass) or tried (fail, unless it passed already), with these steps (taken). */
static void judge(case_inst *x, bool pass, cJSON *steps)
{
    if (x->state == CS_PASS) {
        cJSON_Delete(steps);
        return;
    }
    cJSON_Delete(x->evidence);
    x->evidence = steps;
    x->state = pass ? CS_PASS : CS_FAIL;
}

static cJSON *steps_of(const cJSON *first, const cJSON *second)
{
    cJSON *list = cJSON_CreateArray();
    if (first) cJSON_AddItemToArray(list, cJSON_Duplicate(first, true));
    if (second) cJSON_AddItemToArray(list, cJSON_Duplicate(second, true));
    return list;
}

static void trigger_add(connect_cases *k, const char *key, const cJSON *step)
{
    for (size_t i = 0; i < k->ntriggers; i++)
        if (strcmp(k->triggers[i].key, key) == 0) return;   /* the first one is the evidence */
    if (k->ntriggers == TRIGGERS_KEPT) {   /* the oldest makes room */
        cJSON_Delete(k->triggers[0].step);
        memmove(&k->triggers[0], &k->triggers[1], (TRIGGERS_KEPT - 1) * sizeof k->triggers[0]);
        k->ntriggers--;
    }
    trigger *t = &k->triggers[k->ntriggers++];
    snprintf(t->key, sizeof t->key, "%s", key);
    t->step = cJSON_Duplicate(step, true);
}

/* The trigger with this key, removed (the caller deletes its step), or NULL. */
static cJSON *trigger_take(connect_cases *k, const char *key)
{
    for (size_t i = 0; i < k->ntriggers; i++) {
        if (strcmp(k->triggers[i].key, key) != 0) continue;
        cJSON *s = k->triggers[i].step;
        memmove(&k->triggers[i], &k->triggers[i + 1], (k->ntriggers - i - 1) * sizeof k->triggers[0]);
        k->ntriggers--;
        return s;
    }
    return NULL;
}

/* A conditional case whose condition came: it applies, and fails until its retry passes. */
static void condition_came(case_inst *x, const cJSON *step)
{
    x->applies = true;
    if (x->state == CS_NOT_RUN) judge(x, false, steps_of(step, NULL));
}

/* ---- judging ---------------------------------------------------------------------------- */

static bool has_rule(const cJSON *answer, const char *field, const char *rule)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(answer, "errors"))
    {
        const char *f = cJSON_GetStringValue(cJSON_GetObjectItem(e, "field")), *r = cJSON_GetStringValue(cJSON_GetObjectItem(e, "rule"));
        if (r && strcmp(r, rule) == 0 && (!field || (f && strcmp(f, field) == 0))) return true;
    }
    return false;
}

/* The retry key of a finished operation: the same record, or the same addressee and procedure. */
static void retry_key(node_connect *c, const connect_req *q, char *key, size_t n)
{
    if (q->record_id[0]) snprintf(key, n, "retry:%d:%s", (int)q->op, q->record_id);
    else if (q->op == OP_INQUIRY) snprintf(key, n, "retry:%d:%llu:%s", (int)q->op, (unsigned long long)q->addressee, c->d->procs[q->procedure].id);
    else snprintf(key, n, "retry:%d:%llu", (int)q->op, (unsigned long long)q->addressee);
}

/* The item of a partial update: the record's, as stored now. */
static int update_item(node_connect *c, const connect_req *q)
{
    sqlite3_stmt *st = connect_stored_record(c, q->record_id);
    if (!st) return -1;
    int item = domain_item(c->d, (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    return item;
}

/* A finished operation the outside system has just been shown (fetch is that step). */
static void judge_done(node_connect *c, connect_req *q, const cJSON *fetch)
{
    connect_cases *k = c->cases;
    if (q->judged) return;
    q->judged = true;
    bool ok = q->outcome == FLOW_OK;
    char key[64];
    retry_key(c, q, key, sizeof key);
    case_inst *x = NULL;
    if (q->op == OP_CODE_ACQUISITION) x = &k->once[CT_CODE];
    else if (q->op == OP_REPLICA_REGISTRATION && q->item >= 0) x = &k->item[0][q->item];
    else if (q->op == OP_REPLICA_UPDATE) {
        int item = update_item(c, q);
        if (item >= 0) x = &k->item[1][item];
    } else if (q->op == OP_INQUIRY && q->procedure >= 0) x = &k->proc[q->procedure];
    if (x) judge(x, ok, steps_of(q->step, fetch));
    if (ok) {
        cJSON *before = trigger_take(k, key);
        if (before) judge(&k->once[CT_RETRY], true, steps_of(before, fetch));
        cJSON_Delete(before);
        if (q->op == OP_INQUIRY) {
            char ikey[80];
            snprintf(ikey, sizeof ikey, "integrity:%s", key);
            before = trigger_take(k, ikey);
            if (before) judge(&k->once[CT_INTEGRITY], true, steps_of(before, fetch));
            cJSON_Delete(before);
        }
    } else if (q->outcome == FLOW_UNREACHABLE || q->outcome == FLOW_TIMEOUT) {
        condition_came(&k->once[CT_RETRY], fetch);
        trigger_add(k, key, fetch);
    } else if (q->outcome == FLOW_INTEGRITY && q->op == OP_INQUIRY) {
        char ikey[80];
        snprintf(ikey, sizeof ikey, "integrity:%s", key);
        condition_came(&k->once[CT_INTEGRITY], fetch);
        trigger_add(k, ikey, fetch);
    }
}

/* The addressee_no of a request body, or NULL. */
static const char *body_addressee(const connect_call *call, cJSON **parsed)
{
    *parsed = call->body_len ? cJSON_ParseWithLength(call->body, call->body_len) : NULL;
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(*parsed, "addressee_no"));
}

static bool writes_tenant(connect_op op)
{
    return op == OP_CODE_ACQUISITION || op == OP_REPLICA_REGISTRATION || op == OP_REPLICA_UPDATE || op == OP_INQUIRY ||
           op == OP_BULK_INQUIRY || op == OP_BULK_REPLICA;
}

void connect_cases_observe(node_connect *c, const connect_call *call, const char *arg, const connect_answer *a)
{
    connect_cases *k = c->cases;
    if (!k || a->op == OP_CONFORMANCE || a->op == OP_CASES) return;
    cJSON *step = case_step(c, call, a);
    if (call->client && k->rate_waiting && strcmp(call->client, k->rate_client) == 0) {   /* CT-14 */
        k->rate_waiting = false;
        judge(&k->once[CT_RATE], call->wall_ms >= k->rate_until_ms, steps_of(k->rate_step, step));
    }
    cJSON *req = NULL;
    const cJSON *answer = a->json;
    connect_op op = a->op;
    if (op == OP_DECLARATION) judge(&k->once[CT_DECLARATION], a->status == 200, steps_of(step, NULL));
    if (a->status == 503 && writes_tenant(op)) {   /* CT-11 */
        char key[32];
        snprintf(key, sizeof key, "unavailable:%d", (int)op);
        condition_came(&k->once[CT_UNAVAILABLE], step);
        trigger_add(k, key, step);
    }
    if (a->status == 202 && writes_tenant(op)) {
        char key[32];
        snprintf(key, sizeof key, "unavailable:%d", (int)op);
        cJSON *before = trigger_take(k, key);
        if (before) judge(&k->once[CT_UNAVAILABLE], true, steps_of(before, step));
        cJSON_Delete(before);
        /* the accepting step of each operation it started, for its evidence */
        const cJSON *id = cJSON_GetObjectItem(answer, "request_id");
        const cJSON *ids = cJSON_GetObjectItem(answer, "request_ids"), *x;
        if (cJSON_IsString(id)) {
            connect_req *q = connect_find_req(c, id->valuestring);
            if (q && !q->step) q->step = cJSON_Duplicate(step, true);
        }
        cJSON_ArrayForEach(x, ids)
        {
            connect_req *q = cJSON_IsString(x) ? connect_find_req(c, x->valuestring) : NULL;
            if (q && !q->step) q->step = cJSON_Duplicate(step, true);
        }
        if (op == OP_CODE_ACQUISITION) {   /* CT-02: the code acquired after no_code */
            const char *who = body_addressee(call, &req);
            char nkey[48];
            snprintf(nkey, sizeof nkey, "no_code:%.20s", who ? who : "");
            before = who ? trigger_take(k, nkey) : NULL;
            if (before) judge(&k->once[CT_NO_CODE], true, steps_of(before, step));
            cJSON_Delete(before);
        }
    }
    if (a->status == 422 && (op == OP_INQUIRY || op == OP_REPLICA_REGISTRATION)) {
        if (has_rule(answer, "addressee_no", "no_code")) {
            const char *who = body_addressee(call, &req);
            char nkey[48];
            snprintf(nkey, sizeof nkey, "no_code:%.20s", who ? who : "");
            if (who) trigger_add(k, nkey, step);
        }
        if (op == OP_REPLICA_REGISTRATION && !has_rule(answer, NULL, "no_code"))
            judge(&k->once[CT_VALIDATION], true, steps_of(step, NULL));
        if (op == OP_INQUIRY && has_rule(answer, NULL, "not_permitted"))
            judge(&k->once[CT_NOT_PERMITTED], true, steps_of(step, NULL));
        /* a declared item or procedure refused: its case tried and failed (for now) */
        cJSON_Delete(req);
        req = call->body_len ? cJSON_ParseWithLength(call->body, call->body_len) : NULL;
        const char *item = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "item"));
        const char *proc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(req, "procedure"));
        int i = item ? domain_item(c->d, item) : -1, p = proc ? domain_procedure(c->d, proc) : -1;
        if (op == OP_REPLICA_REGISTRATION && i >= 0) judge(&k->item[0][i], false, steps_of(step, NULL));
        if (op == OP_INQUIRY && p >= 0) judge(&k->proc[p], false, steps_of(step, NULL));
    }
    if (a->status == 200 && (op == OP_RESULT_FETCH || op == OP_REQUEST_STATUS)) {
        connect_req *q = connect_find_req(c, arg);
        if (q && q->done) judge_done(c, q, step);
    }
    if (a->status == 200 && op == OP_BULK_RESULT) {
        size_t n = strlen(arg) == 9 ? (size_t)strtoull(arg + 1, NULL, 10) : 0;
        if (n >= 1 && n <= c->nbulks) {
            connect_bulk *bk = &c->bulks[n - 1];
            judge(&k->once[bk->op == OP_BULK_INQUIRY ? CT_BULK_INQUIRY : CT_BULK_REPLICA], true, steps_of(bk->step, step));
            for (size_t i = 0; i < bk->n; i++) judge_done(c, &c->reqs[bk->first + i], step);
        }
    }
    if (a->status == 202 && (op == OP_BULK_INQUIRY || op == OP_BULK_REPLICA)) {
        const cJSON *id = cJSON_GetObjectItem(answer, "bulk_id");
        size_t n = cJSON_IsString(id) ? (size_t)strtoull(id->valuestring + 1, NULL, 10) : 0;
        if (n >= 1 && n <= c->nbulks && !c->bulks[n - 1].step) c->bulks[n - 1].step = cJSON_Duplicate(step, true);
    }
    if (a->status == 422 && (op == OP_BULK_INQUIRY || op == OP_BULK_REPLICA))
        judge(&k->once[op == OP_BULK_INQUIRY ? CT_BULK_INQUIRY : CT_BULK_REPLICA], false, steps_of(step, NULL));
    if (a->status == 200 && op == OP_PROVISION_FETCH && cJSON_IsFalse(cJSON_GetObjectItem(answer, "more")) &&
        cJSON_GetObjectItem(answer, "next")->valuedouble > 0)
        judge(&k->once[CT_PROVISIONS], true, steps_of(step, NULL));
    cJSON_Delete(req);
    cJSON_Delete(step);
}

void connect_cases_refused(node_connect *c, const char *client, double wall_ms, int status, double retry_ms)
{
    connect_cases *k = c->cases;
    if (!k || !client || wall_ms < 0) return;
    cJSON *step = cJSON_CreateObject();
    cJSON_AddNumberToObject(step, "wall_ms", wall_ms);
    cJSON_AddStringToObject(step, "client", client);
    cJSON *an = cJSON_AddObjectToObject(step, "answer");
    cJSON_AddNumberToObject(an, "status", status);
    if (status == 429) cJSON_AddNumberToObject(an, "retry_after_ms", retry_ms);
    if (k->rate_waiting && strcmp(client, k->rate_client) == 0) {
        k->rate_waiting = false;
        judge(&k->once[CT_RATE], wall_ms >= k->rate_until_ms, steps_of(k->rate_step, step));
    }
    if (status == 429) {
        condition_came(&k->once[CT_RATE], step);
        if (k->once[CT_RATE].state != CS_PASS) {
            k->rate_waiting = true;
            snprintf(k->rate_client, sizeof k->rate_client, "%s", client);
            k->rate_until_ms = wall_ms + retry_ms;
            cJSON_Delete(k->rate_step);
            k->rate_step = cJSON_Duplicate(step, true);
        }
    }
    cJSON_Delete(step);
}

/* ---- the declaration ------------------------------------------------------------------- */

static void declared_list(node_connect *c, field_errors *fe, const cJSON *j, const char *name, bool items, bool *out)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(j, name);
    if (!list || cJSON_IsNull(list)) {
        if (items) connect_fe_add(fe, name, "required", "%s (the item codes your system registers) is required", name);
        return;
    }
    if (!cJSON_IsArray(list)) {
        connect_fe_add(fe, name, "type", "%s must be an array of strings", name);
        return;
    }
    if (items && cJSON_GetArraySize(list) == 0) connect_fe_add(fe, name, "empty", "%s must name at least one item", name);
    int i = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, list)
    {
        char field[32];
        snprintf(field, sizeof field, "%s[%d]", name, i++);
        const char *s = cJSON_GetStringValue(x);
        if (!s) {
            connect_fe_add(fe, field, "type", "%s must be a string", field);
            continue;
        }
        int k = items ? domain_item(c->d, s) : domain_procedure(c->d, s);
        if (k < 0) {
            connect_fe_add(fe, field, "code_list", "%.40s is not %s of the permission table (GET /connect/v1/code-lists)", s,
                           items ? "an item" : "a procedure");
            continue;
        }
        if (out[k]) {
            connect_fe_add(fe, field, "duplicate", "%.40s is declared twice", s);
            continue;
        }
        if (items && c->d->items[k].holder_agency >= 0) {
            connect_fe_add(fe, field, "not_held", "%s is held by %s, not by local governments: %s does not register it", s,
                           c->d->agencies[c->d->items[k].holder_agency], c->b->name);
            continue;
        }
        if (!items && c->d->procs[k].inquirer_agency >= 0) {
            connect_fe_add(fe, field, "not_permitted", "procedure %s is asked by %s, not by local governments", s,
                           c->d->agencies[c->d->procs[k].inquirer_agency]);
            continue;
        }
        if (!items && c->d->procs[k].provider_agency >= 0) {
            bool here = false;
            for (uint32_t b = 0; b < c->d->nbodies_cap && !here; b++)
                here = c->d->bodies[b] && c->d->bodies[b]->kind == BODY_AGENCY &&
                       c->d->bodies[b]->agency_index == c->d->procs[k].provider_agency;
            if (!here) {
                connect_fe_add(fe, field, "unknown", "procedure %s asks %s, which is not in this network", s,
                               c->d->agencies[c->d->procs[k].provider_agency]);
                continue;
            }
        }
        out[k] = true;
    }
}

void connect_op_declare(node_connect *c, const connect_call *call, connect_answer *a)
{
    connect_cases *k = c->cases;
    cJSON *j = connect_body_object(call, a, false);
    if (!j) return;
    static const char *const known[] = {"items", "procedures", "staff", NULL};
    field_errors fe;
    connect_fe_init(&fe);
    connect_check_fields(&fe, j, known, NULL);
    if (k->declared) connect_fe_add(&fe, "body", "already_declared", "the session's scope is declared already (once a session)");
    bool items[MAX_ITEMS] = {0}, procs[MAX_PROCEDURES] = {0};
    declared_list(c, &fe, j, "items", true, items);
    declared_list(c, &fe, j, "procedures", false, procs);
    const char *staff;
    connect_check_staff(&fe, j, false, &staff);
    cJSON_Delete(j);
    if (fe.n) {
        connect_fe_answer(&fe, a, "declaration");
        connect_fe_free(&fe);
        return;
    }
    connect_fe_free(&fe);
    k->declared = true;
    memcpy(k->items, items, sizeof items);
    memcpy(k->procs, procs, sizeof procs);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "declared", true);
    cJSON *cases = connect_cases_json(c, false);
    cJSON_AddNumberToObject(o, "cases", cJSON_GetArraySize(cJSON_GetObjectItem(cases, "cases")));
    cJSON_Delete(cases);
    connect_answer_json(a, 200, o);
}

/* ---- the catalogue as JSON ----------------------------------------------------------- */

static const char *const STATE_NAMES[] = {"not_run", "fail", "pass"};

static void add_case(cJSON *list, const case_def *d, const char *suffix, const char *subject, const case_inst *x,
                     bool texts, int counts[4])
{
    cJSON *o = cJSON_CreateObject();
    char id[80];
    snprintf(id, sizeof id, "%s%s%s", d->id, suffix ? "." : "", suffix ? suffix : "");
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "title_ja", d->title_ja);
    cJSON_AddStringToObject(o, "title_en", d->title_en);
    if (subject) cJSON_AddStringToObject(o, "subject", subject);
    cJSON_AddBoolToObject(o, "conditional", d->kind == CK_CONDITIONAL);
    const char *state = d->kind == CK_CONDITIONAL && !x->applies && x->state != CS_PASS ? "not_applicable" : STATE_NAMES[x->state];
    cJSON_AddStringToObject(o, "status", state);
    counts[strcmp(state, "pass") == 0 ? 0 : strcmp(state, "fail") == 0 ? 1 : strcmp(state, "not_run") == 0 ? 2 : 3]++;
    if (texts) {
        cJSON_AddStringToObject(o, "purpose_ja", d->purpose_ja);
        cJSON_AddStringToObject(o, "purpose_en", d->purpose_en);
        cJSON_AddStringToObject(o, "preconditions_ja", d->pre_ja);
        cJSON_AddStringToObject(o, "preconditions_en", d->pre_en);
        cJSON_AddStringToObject(o, "steps_ja", d->steps_ja);
        cJSON_AddStringToObject(o, "steps_en", d->steps_en);
        cJSON_AddStringToObject(o, "expected_ja", d->expected_ja);
        cJSON_AddStringToObject(o, "expected_en", d->expected_en);
    }
    cJSON_AddItemToObject(o, "evidence", x->evidence ? cJSON_Duplicate(x->evidence, true) : cJSON_CreateArray());
    cJSON_AddItemToArray(list, o);
}

cJSON *connect_cases_json(node_connect *c, bool texts)
{
    connect_cases *k = c->cases;
    cJSON *o = cJSON_CreateObject();
    if (!k) return o;
    cJSON *decl = k->declared ? cJSON_AddObjectToObject(o, "declaration") : NULL;
    if (!decl) cJSON_AddNullToObject(o, "declaration");
    cJSON *list = cJSON_AddArrayToObject(o, "cases");
    int counts[4] = {0};
    if (decl) {
        cJSON *items = cJSON_AddArrayToObject(decl, "items"), *procs = cJSON_AddArrayToObject(decl, "procedures");
        for (int i = 0; i < c->d->nitems; i++)
            if (k->items[i]) cJSON_AddItemToArray(items, cJSON_CreateString(c->d->items[i].code));
        for (int i = 0; i < c->d->nprocs; i++)
            if (k->procs[i]) cJSON_AddItemToArray(procs, cJSON_CreateString(c->d->procs[i].id));
    }
    for (int d = 0; d < CT_COUNT; d++) {
        const case_def *def = &CASES[d];
        if (def->kind == CK_PER_ITEM) {
            for (int i = 0; i < c->d->nitems; i++)
                if (k->items[i]) {
                    char subject[400];
                    snprintf(subject, sizeof subject, "%s %s / %s", c->d->items[i].code, c->d->items[i].name_ja, c->d->items[i].name_en);
                    add_case(list, def, c->d->items[i].code, subject, &k->item[d == CT_REGISTER ? 0 : 1][i], texts, counts);
                }
        } else if (def->kind == CK_PER_PROCEDURE) {
            for (int i = 0; i < c->d->nprocs; i++)
                if (k->procs[i]) {
                    char subject[400];
                    snprintf(subject, sizeof subject, "%s %s / %s", c->d->procs[i].id, c->d->procs[i].name_ja, c->d->procs[i].name_en);
                    add_case(list, def, c->d->procs[i].id, subject, &k->proc[i], texts, counts);
                }
        } else {
            add_case(list, def, NULL, NULL, &k->once[d], texts, counts);
        }
    }
    cJSON_AddNumberToObject(o, "pass", counts[0]);
    cJSON_AddNumberToObject(o, "fail", counts[1]);
    cJSON_AddNumberToObject(o, "not_run", counts[2]);
    cJSON_AddNumberToObject(o, "not_applicable", counts[3]);
    cJSON_AddStringToObject(o, "verdict", counts[1] || counts[2] ? "not_passed" : "all_pass");
    return o;
}
