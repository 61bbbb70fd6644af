/* connect/connect.h - connection-test mode: the twin stands in for one local government's
 * intermediate server (自治体中間サーバー) so that the government's real existing systems can
 * be tested against it, the role of the connection test tool (自治体中間サーバー接続試験ツール).
 *
 * `renkei run ... --connect LG --listen [HOST:]PORT` takes that local government out of the
 * simulated workload and serves its tenant's external interface over HTTP + JSON (the
 * reference is docs/connect-api.md): code acquisition, replica registration (full and
 * partial), inquiry and its result, the provision records, and the bulk file forms. Behind
 * the tenant the whole national network is simulated, so the outside system sees realistic
 * answers, delays, errors and failovers.
 *
 * Determinism. Requests arrive at wall-clock moments; each enters the simulation at the
 * simulated time the paced run has reached, between two events. Every request that reaches
 * the API is written to the session log (`connect_session.jsonl` in --out) with that time
 * and the number of events dispatched before it, and `--replay-session FILE` re-executes the
 * same requests at the same points: the same trace hash, and the same answers (each answer's
 * digest is compared). Validation reads the tenant's state at that point and changes nothing;
 * only accepted requests enter the world (and the trace, as "connect" records).
 *
 * The HTTP layer (sim_http) may read the wall clock: rate limits, timeouts and the latency
 * the outside system experienced, which the conformance report shows. None of it reaches the
 * simulation.
 *
 * Failures: a bad request is refused with its field and rule and changes nothing; an answer
 * that cannot be built for want of memory is a 500; the world's internal failures halt the
 * run (domain_halt) and the session ends with it. */
#ifndef RENKEI_CONNECT_CONNECT_H
#define RENKEI_CONNECT_CONNECT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <uv.h>

#include "sim_run.h"
#include "sim_world.h"

typedef struct node_connect node_connect;
typedef struct lua_State lua_State;

/* Attach to w before its scripts load (so that `connected()` answers in them), for the local
 * government with this 6-digit code. Nothing is checked until connect_prepare. */
int  connect_attach(sim_world *w, const char *lg_code, node_connect **out);
/* The scripts are loaded: the code names a local government of the topology, which leaves
 * the workload; the connection test listens to its flows. -EINVAL with a one-line reason. */
int  connect_prepare(node_connect *c, char *why, size_t n);

/* What the session log's first line records, so that a replay can check it is the same run. */
typedef struct node_connect_run_info {
    unsigned long long seed;
    const char *const *scripts;
    int nscripts;
    const char *const *sets;
    int nsets;
    const char *until;          /* NULL: the scripts' end */
} node_connect_run_info;

typedef struct node_connect_serve_config {
    const char *host;           /* numeric address */
    int port;                   /* 0: any free port */
    bool loopback;              /* bound to loopback: refuse other Host names */
    double rate;                /* requests a second per client address (bursts of twice that) */
    const char *session_log;    /* path of the session log, or NULL for none */
    node_connect_run_info info;
    const char *tls_cert, *tls_key;     /* PEM files: serve over TLS; NULL: plain HTTP */
    const char *tls_client_ca;  /* require client certificates verified against it (mutual TLS) */
} node_connect_serve_config;

/* Serve the API for run on loop; draws the access token. -EPROTO with why when the TLS files
 * cannot be used. */
int  connect_serve(node_connect *c, sim_run *run, uv_loop_t *loop, const node_connect_serve_config *cfg, char *why,
                   size_t n);
int  connect_port(const node_connect *c);
const char *connect_token(const node_connect *c);
const char *connect_lg_name(const node_connect *c);
/* Stop listening (the loop ends once the handles have closed). */
void connect_close(node_connect *c);

/* [HOST:]PORT as given to --listen: the host (127.0.0.1 when none; "localhost" too) and the
 * port. -EINVAL when malformed. */
int  connect_parse_listen(const char *spec, char *host, size_t n, int *port);

/* Replay. Read a session log: the local government and the run it was recorded in. */
typedef struct node_connect_session node_connect_session;
int  connect_session_load(const char *path, node_connect_session **out, char *why, size_t n);
const char *connect_session_lg(const node_connect_session *s);
/* Does this run match the recorded one (seed, scripts, --set, --until)? 0 or -EINVAL. */
int  connect_session_check(const node_connect_session *s, const node_connect_run_info *info,
                                char *why, size_t n);
void connect_session_free(node_connect_session *s);
/* Re-execute every recorded request at its recorded point, before the run is started
 * (c takes s). Returns 1 when the recorded session ended by itself (the API or Ctrl-C): the
 * driver stops the run as soon as it starts; 0 when it ran to the scripts' end; -EPROTO
 * when the run diverged from the record (why says where), or the world halted. */
int  connect_replay(node_connect *c, node_connect_session *s, char *why, size_t n);

/* The session ended it (an API request, or the end of a replayed session), rather than
 * Ctrl-C or the scripts' end: its expectations are checked as at an end. */
bool connect_ended_run(const node_connect *c);
/* The run is over (end: "api", "interrupted", "until", "drained", "error"): the session
 * log's last line, and the log closed. Returns 0 (also with no log) or -errno when any
 * line of the log could not be written. */
int  connect_finish(node_connect *c, const char *end);
/* Answers that differed from the recorded ones at replay (a failure of the run). */
int  connect_failed(const node_connect *c);

/* The conformance report: summary.json's "connection_test", the summary's lines, and
 * report.html's section (from a summary, so `renkei report` draws it too). */
cJSON *connect_report_json(node_connect *c);
void connect_print(node_connect *c, FILE *f);
int  connect_report_html(FILE *f, const cJSON *summary);

/* The evidence bundle a municipality files: the session, the declaration and every test case
 * with its texts and evidence, as JSON and as a printable HTML page (from the run's summary,
 * which has the trace hash and the scripts). 0 or -errno. */
int  connect_evidence_write(node_connect *c, const cJSON *summary, const char *json_path, const char *html_path);

/* Lua: connected() -> the local government under test (a node), or nil. */
int  connect_open_lua(lua_State *L);

/* Free (after the world: nothing of the world is touched). */
void connect_destroy(node_connect *c);

/* One API request without HTTP, as the replay and the tests make them: method "GET" or
 * "POST", the path, the query parameters (an object of strings, may be NULL), the body.
 * Returns the status; *answer (caller frees) is the body of the answer. */
int  connect_request_call(node_connect *c, const char *method, const char *path, const cJSON *query,
                       const char *body, size_t len, char **answer);

#endif
