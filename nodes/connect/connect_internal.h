/* connect/connect_internal.h - what the connection-test files share, and nobody else:
 *   connect/connect.c         lifecycle, the operations in flight, the flow listener, Lua
 *   connect/connect_http.c    the listener: token, rate limit, the session log, answers
 *   connect/connect_api.c     routing, answers, and what the operations share
 *   connect/connect_write.c   the operations that change the tenant: checks, then injection
 *   connect/connect_read.c    the reads
 *   connect/connect_check.c   field checks with their rules (the error vocabulary)
 *   connect/connect_report.c  the conformance report (JSON, text, HTML)
 *   connect/connect_replay.c  session logs read back and re-executed */
#ifndef RENKEI_CONNECT_CONNECT_INTERNAL_H
#define RENKEI_CONNECT_CONNECT_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

#include "connect/connect.h"
#include "domain/domain.h"
#include "kinds/kinds.h"
#include "platform/platform.h"
#include "sim_http.h"
#include "sim_map.h"

/* The connection test's slot among the world's extensions (attached without a free function:
 * connect_destroy frees it after the world). */
extern const sim_world_ext_key connect_ext_key;
/* Statement slots of the connection test's reads in tenant stores (platform/site.c numbers
 * 0-10, mirroring 40-44, faults 46-47, the reconciliation 60). */

enum {
    CONNECT_ID_LEN = 12,        /* "Q00000001" and its NUL, with room */
    STAFF_MAX = 20,             /* staff ids: 1 to 20 characters */
    RECORD_ID_MAX = 23,         /* flow_msg.record_id holds 23 and a NUL */
    ADDRESSEE_DIGITS = 15,      /* 団体内統合宛名番号: 15 digits */
    PAYLOAD_MAX = 4096,         /* a replica's payload, as compact JSON */
    BULK_MAX_LINES = 1000,
    FE_LISTED = 1000,           /* problems listed in one answer (all are counted) */
    ERROR_GROUPS_MAX = 256,     /* error groups in the report, before fields are folded into "*" */
    PAGE_MAX = 1000,            /* provision records per page */
    CONNECT_LAYOUT_VERSIONS = 2,    /* the layouts' versions: 1 .. this (connect_layouts.c) */
};

typedef enum connect_op {
    OP_CODE_ACQUISITION, OP_REPLICA_REGISTRATION, OP_REPLICA_UPDATE, OP_INQUIRY, OP_RESULT_FETCH,
    OP_PROVISION_FETCH, OP_BULK_INQUIRY, OP_BULK_REPLICA, OP_BULK_RESULT, OP_REQUEST_STATUS,
    OP_REPLICA_READ, OP_ADDRESSEE_NEW, OP_ADDRESSEE_READ, OP_CODE_LISTS, OP_FIXTURES, OP_SESSION,
    OP_SESSION_END, OP_CONFORMANCE, OP_DECLARATION, OP_CASES, OP_LAYOUTS, OP_PREVIEW, OP_OPENAPI, OP_UNKNOWN, OP_COUNT
} connect_op;

const char *connect_op_name(connect_op op);

/* One accepted operation that entered the simulation (each line of a bulk file is one). */
typedef struct connect_req {
    char id[CONNECT_ID_LEN];
    connect_op op;              /* code acquisition, registration, update or inquiry */
    int bulk;                   /* index in bulks, or -1 */
    uint64_t flow;
    uint64_t addressee;
    int procedure, item;        /* indices in the permission table; -1 when none */
    uint32_t provider;          /* node of the body asked */
    char record_id[RECORD_ID_MAX + 1];
    sim_time_t pub_start;       /* registrations: what an update sent meanwhile is checked against */
    int schema;                 /* registrations: the layout version */
    char staff[STAFF_MAX + 1];
    sim_time_t accepted_at, ended_at;
    uint64_t accepted_wall_ns, ended_wall_ns;   /* HTTP-layer bookkeeping only */
    bool done, seen;            /* seen: a fetch returned it done */
    flow_error outcome;
    uint64_t serial_no;
    char *payload;              /* inquiries: what was provided, decrypted (JSON text) */
    cJSON *step;                /* the request that started it, as evidence (connect_cases.c) */
    bool judged;                /* its test case was judged when it was first seen done */
} connect_req;

typedef struct connect_bulk {
    char id[CONNECT_ID_LEN];
    connect_op op;              /* OP_BULK_INQUIRY or OP_BULK_REPLICA */
    size_t first, n;            /* its lines are requests first .. first + n - 1 */
    cJSON *step;                /* the request that sent it, as evidence */
} connect_bulk;

typedef struct latency_set {
    double *v;
    size_t n, cap;
} latency_set;

typedef struct op_stats {
    uint64_t requests, answered, rejected;  /* answered 2xx, rejected 4xx/5xx */
    uint64_t accepted, completed, completed_ok, lines;   /* operations (bulk: lines) */
    uint64_t outcome[FLOW_ERRORS];
    uint64_t done_fetches;      /* result fetches that returned a finished result */
    latency_set http_ms;        /* wall: the request's handling at the HTTP layer */
    latency_set done_sim_ms;    /* simulated: accepted -> the flow ended */
    latency_set done_wall_ms;   /* wall: accepted -> the result was there */
    latency_set seen_wall_ms;   /* wall: accepted -> the outside system fetched it */
} op_stats;

typedef struct error_group {
    int status;
    char code[24], field[48], rule[24];
    uint64_t count;
    uint32_t ops;               /* bit per connect_op */
    char example[256];
} error_group;

typedef struct connect_report {
    op_stats ops[OP_COUNT];
    error_group *errors;
    size_t nerrors, cap_errors;
    uint64_t requests;          /* that reached the API (refusals included) */
    uint64_t own_4xx;           /* 4xx answers of ours (the rest are the HTTP layer's) */
    uint64_t http_accepted, http_refused, http_requests, http_4xx;   /* from sim_http */
    uint64_t http_evicted;      /* token-less connections closed to make room */
    bool tls, tls_mutual;       /* served over TLS; client certificates required */
    uint64_t tls_handshakes, tls_refused;
    char tls_last_refusal[300];
    struct client_cert { char subject[200]; uint64_t requests; } certs[16];   /* distinct, first seen first */
    size_t ncerts;
    bool bulk_file_fetched;     /* a bulk result file came back complete */
    uint64_t replayed, diverged;
    char first_divergence[300];
    uint64_t wall_start_ns;
} connect_report;

typedef struct rate_client {
    char addr[48];
    double tokens;
    uint64_t last_ns;
} rate_client;

enum { RATE_CLIENTS = 64, REFUSALS_LOGGED = 10000, REFUSAL_KINDS = 64 };

/* Refusals beyond REFUSALS_LOGGED are counted rather than logged one by one, so a flood cannot
 * grow the session log without bound; the log's last line has the counts. */
typedef struct refusal_count {
    connect_op op;
    int status;
    char code[24];
    uint64_t count;
} refusal_count;

typedef struct connect_cases connect_cases;
struct sim_tls_ctx;

struct node_connect {
    sim_world *w;
    domain *d;
    char lg_code[8];
    body *b;                    /* set by connect_prepare */
    sim_node *n;
    /* operations */
    connect_req *reqs;
    size_t nreqs, cap_reqs;
    sim_map by_flow;            /* flow -> request index + 1 */
    size_t *inflight;           /* indices of requests not done */
    size_t ninflight, cap_inflight;
    connect_bulk *bulks;
    size_t nbulks, cap_bulks;
    char (*staff)[STAFF_MAX + 1];   /* staff ids by first acceptance: index + 1 is the flows' number */
    size_t nstaff, cap_staff;
    /* live */
    sim_run *run;
    sim_http *http;
    struct sim_tls_ctx *tls;    /* TLS: the server's context (NULL: plain HTTP) */
    char token[33];
    double rate;
    rate_client clients[RATE_CLIENTS];
    FILE *log;
    uint64_t log_seq;
    uint64_t refusals_logged;
    refusal_count unlogged[REFUSAL_KINDS];
    size_t nunlogged;
    bool end_requested;         /* POST /session/end: the tick stops the run */
    bool ended_by_session;
    /* replay */
    bool replaying;
    connect_report rep;
    connect_cases *cases;       /* the test-case catalogue (connect_cases.c) */
};

node_connect *connect_of(sim_world *w);

/* Operations in flight (connect/connect.c). */
connect_req *connect_new_req(node_connect *c, connect_op op, const char *staff);
int  connect_track_flow(node_connect *c, connect_req *q, uint64_t flow);
connect_req *connect_find_req(node_connect *c, const char *id);
/* The number the flows carry for a staff id (assigned at first acceptance). */
uint32_t connect_staff_number(node_connect *c, const char *staff);
bool connect_tenant_available(node_connect *c, char *why, size_t n);
tenant_db *connect_tenant_db(node_connect *c);
uint64_t connect_wall_ns(const node_connect *c);

/* One request through the API (connect/connect_api.c), whatever carried it. */
typedef struct connect_call {
    unsigned method;            /* SIM_HTTP_GET, SIM_HTTP_POST, ... (sim_http.h) */
    const char *path;
    const char *body;
    size_t body_len;
    /* the query's parameters by name, in their order: a string, an array of strings for a
     * name given more than once, null for a value that would not decode; NULL: none. The
     * session log records it as it is, so that a replay sees the same query. */
    const cJSON *query;
    const char *client;         /* the client's address, NULL when none (tests) */
    double wall_ms;             /* when it came, as the session log records it; < 0: unknown */
} connect_call;

typedef struct connect_answer {
    int status;
    connect_op op;
    cJSON *json;                /* the answer, or NULL when text is set */
    char *text;                 /* a result file (JSON lines) */
    size_t text_len;
    bool compare;               /* the same at replay (no wall clock in it) */
    char allow[32];             /* 405: the methods the path takes ("GET, POST"), for Allow */
} connect_answer;

connect_op connect_route_op(unsigned method, const char *path);
/* Method bits and their names, as the session log writes them ("OTHER" for any other). */
const char *connect_method_name(unsigned method);
unsigned connect_method_of(const char *name);
void connect_api_handle(node_connect *c, connect_call *call, connect_answer *a);
void connect_answer_error(connect_answer *a, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void connect_answer_json(connect_answer *a, int status, cJSON *o);   /* takes o */

/* What the operations share (connect/connect_api.c). */
void connect_add_time(cJSON *o, const char *key, sim_time_t t);
void connect_add_addressee(cJSON *o, const char *key, uint64_t a);
void connect_add_payload(cJSON *o, const char *text, size_t len);
/* A "connect" record in the trace: what entered the simulation from outside. */
void connect_note(node_connect *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool connect_has_code(node_connect *c, uint64_t addressee);
/* An operation in flight of kind op for that addressee (or, given, that record id). */
const connect_req *connect_pending(node_connect *c, connect_op op, uint64_t addressee, const char *record_id);
/* The stored record, the statement left on its row (addressee_no, item, schema, pub_start,
 * pub_end, payload; the caller resets it), or NULL when there is none. */
sqlite3_stmt *connect_stored_record(node_connect *c, const char *record_id);
/* The layout version of a record (the session's registrations remember theirs; else stored). */
int connect_record_schema(node_connect *c, const char *record_id, int stored);
const char *connect_body_label(const body *b);
/* The body as a JSON object, or NULL with a 400 answered; empty is {} when allowed. */
cJSON *connect_body_object(const connect_call *call, connect_answer *a, bool empty_ok);
cJSON *connect_request_json(node_connect *c, const connect_req *q);
void connect_mark_seen(node_connect *c, connect_req *q);

/* The operations (connect/connect_write.c, connect/connect_read.c). */
void connect_op_code(node_connect *c, const connect_call *call, connect_answer *a);
void connect_op_register(node_connect *c, const connect_call *call, connect_answer *a);
void connect_op_update(node_connect *c, const connect_call *call, connect_answer *a);
void connect_op_inquire(node_connect *c, const connect_call *call, connect_answer *a);
void connect_op_bulk(node_connect *c, const connect_call *call, connect_answer *a, bool inquiries);
void connect_op_addressee_new(node_connect *c, const connect_call *call, connect_answer *a);
void connect_op_session_end(node_connect *c, const connect_call *call, connect_answer *a);
void connect_op_request(node_connect *c, const char *id, bool inquiries_only, connect_answer *a);
void connect_op_provisions(node_connect *c, const connect_call *call, connect_answer *a);
void connect_op_bulk_result(node_connect *c, const char *id, connect_answer *a);
void connect_op_replica_read(node_connect *c, const char *id, connect_answer *a);
void connect_op_addressee_read(node_connect *c, const char *arg, connect_answer *a);
void connect_op_code_lists(node_connect *c, connect_answer *a);
void connect_op_fixtures(node_connect *c, connect_answer *a);
void connect_op_session(node_connect *c, connect_answer *a);
void connect_op_preview(node_connect *c, const connect_call *call, connect_answer *a);
/* The answer's body as text (the caller frees); its content type in *ctype. */
char *connect_answer_text(const connect_answer *a, size_t *len, const char **ctype);
void connect_answer_free(connect_answer *a);

/* Field checks (connect/connect_check.c): each problem is {line?, field, rule, message}. */
typedef struct field_errors {
    cJSON *list;
    int line;                   /* the bulk file's line being checked; 0: none */
    int n;
} field_errors;

void connect_fe_init(field_errors *fe);
void connect_fe_add(field_errors *fe, const char *field, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* 409 when every problem is a conflict with the tenant's state, else 422; answers a. */
void connect_fe_answer(field_errors *fe, connect_answer *a, const char *what);
void connect_fe_free(field_errors *fe);
/* Fields not in known (or in immutable: "not_updatable") are problems. */
void connect_check_fields(field_errors *fe, const cJSON *obj, const char *const known[], const char *const immutable[]);
const char *connect_check_string(field_errors *fe, const cJSON *obj, const char *name, bool required, size_t max,
                         const char *allowed, const char *allowed_text);
bool connect_check_addressee(node_connect *c, field_errors *fe, const cJSON *obj, uint64_t *out);
/* "YYYY-MM-DD" -> JST midnight of that day; *present false when absent (and not required). */
bool connect_check_date(field_errors *fe, const cJSON *obj, const char *name, bool required, sim_time_t *out, bool *present);
int  connect_check_item(node_connect *c, field_errors *fe, const cJSON *obj, bool required);
bool connect_check_staff(field_errors *fe, const cJSON *obj, bool required, const char **out);
/* The payload as compact JSON text (caller frees with cJSON_free), or NULL. */
char *connect_check_payload(field_errors *fe, const cJSON *obj, bool partial);
/* Every individual number anywhere in a body (its keys, strings and numbers, at any depth),
 * each a problem of its own (rule individual_no, the field its path). */
void connect_check_individual_nos(node_connect *c, field_errors *fe, const cJSON *obj);
void connect_format_addressee(uint64_t a, char out[ADDRESSEE_DIGITS + 1]);
/* Record ids and staff ids: these characters (and the words for them, for messages). */
extern const char CONNECT_ID_CHARS[], CONNECT_ID_CHARS_TEXT[];
void connect_format_date(sim_time_t t, char out[16]);

/* docs/connect-openapi.json, built in (docs/openapi-embed.cmake). */
extern const unsigned char connect_openapi_json[];
extern const size_t connect_openapi_json_len;

/* The test-case catalogue (connect/connect_cases.c). */
int  connect_cases_create(node_connect *c);
void connect_cases_free(node_connect *c);
/* Every request the API answered, in order (not the catalogue's own reads). */
void connect_cases_observe(node_connect *c, const connect_call *call, const char *arg, const connect_answer *a);
/* A request refused before the API (rate limit, token...): wall_ms as the session log has it. */
void connect_cases_refused(node_connect *c, const char *client, double wall_ms, int status, double retry_ms);
void connect_op_declare(node_connect *c, const connect_call *call, connect_answer *a);
/* {declaration, cases: [{id, title_ja, title_en, status, evidence...}], pass, fail, not_run,
 * not_applicable, verdict}; texts: each case's purpose, preconditions, steps and expected result. */
cJSON *connect_cases_json(node_connect *c, bool texts);

/* The data-standard layouts (connect/connect_layouts.c). Each problem of the payload against the
 * layout of item (its code) and version: its path (payload.x) and rule (required, type, length,
 * range, code_list, date, unknown_field); partial: only the fields given. */
bool connect_layout_version_published(int version);
void connect_layout_check(field_errors *fe, const char *item, int version, const cJSON *payload, bool partial);
cJSON *connect_layouts_json(void);
int  connect_lua_layout_example(lua_State *L);

/* HTML (connect/connect_report.c, connect/connect_evidence.c): text escaped; the test cases as a
 * table (full: each case's texts and its evidence's requests and answers, for the bundle). */
void connect_put_escaped(FILE *f, const char *s);
void connect_cases_html(FILE *f, const cJSON *cases, bool full);

/* The first 16 bytes of the SHA-256 of an answer, in hex: what the replay compares. */
void connect_digest(const char *text, size_t len, char out[33]);

/* The conformance report's accounting (connect/connect_report.c). */
void connect_report_init(connect_report *r);
void connect_report_free(connect_report *r);
void connect_report_request(connect_report *r, connect_op op, int status, const cJSON *answer, double http_ms);
void connect_report_accepted(connect_report *r, connect_op op, uint64_t items);
void connect_report_completed(connect_report *r, const connect_req *q, double sim_ms, double wall_ms);
void connect_report_seen(connect_report *r, const connect_req *q, double wall_ms);
void connect_report_bulk_fetched(connect_report *r);

#endif
