/* dash/dash.h - the web dashboard of a run: what `renkei run --serve` and `--out` use.
 *
 * Two layers, both passive (they read the world and never schedule into it, so a served run
 * has the same trace as one that is not):
 *  - the figures: flows counted as they start and end, bucketed by simulated time (the
 *    charts, the report's series); attached to every run with domain nodes;
 *  - the server: the page (web/) and a JSON API over sim_http, live updates by server-sent
 *    events, and the controls (pause, step, speed, run until) that drive the sim_run.
 * The API is documented in web/API.md.
 *
 * Failures: a bad request gets its HTTP status and one-line reason and changes nothing; a
 * dashboard that cannot listen to the flows (no memory) shows no flow figures rather than
 * wrong ones; nothing here can halt or change the run. */
#ifndef RENKEI_DASH_DASH_H
#define RENKEI_DASH_DASH_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "sim_run.h"
#include "sim_world.h"

typedef struct node_dash node_dash;
typedef struct lua_State lua_State;

typedef struct node_dash_serve_config {
    const char *host;           /* numeric address; 127.0.0.1 unless the user allowed more */
    int port;                   /* 0: any free port */
    const char *web_root;       /* the page's files */
    const char *token;          /* required by every request that changes something */
    bool loopback;              /* bound to a loopback address: refuse other Host names */
} node_dash_serve_config;

/* Attach to w before its scripts load (so it sees their captions); the dashboard hangs off
 * the world until dash_destroy. */
int  dash_attach(sim_world *w, node_dash **out);
/* The scripts are loaded and the run about to begin: collect the figures from now on
 * (nothing to collect without domain nodes, and then the figures are empty). */
void dash_begin(node_dash *d);
/* Serve the page and the API for run on loop. */
int  dash_serve(node_dash *d, sim_run *run, uv_loop_t *loop, const node_dash_serve_config *cfg);
int  dash_port(const node_dash *d);
/* The run ended (exit status as `renkei run` reports it): final checks to the page. */
void dash_run_ended(node_dash *d, const char *end_reason, int exit_status);
/* Stop serving (the loop can end once the handles have closed). */
void dash_close(node_dash *d);
/* Detach from the world and free (after the loop has run the close callbacks). */
void dash_destroy(node_dash *d);

/* The time series for summary.json ("series") and report.html. */
cJSON *dash_series_json(node_dash *d);

/* Rewind and branch (dash/dash_rewind.c; the processes are the application's, app/rewind.c).
 * fn goes back to `to` (checked: from the start to now) and returns 0 with *answer the
 * rewound process's state as JSON text (malloc'd), or a negative errno and why; NULL fn:
 * POST /api/rewind answers 409 with `unavailable`. */
typedef int (*dash_rewind_fn)(void *arg, sim_time_t to, char **answer, char *why, size_t n);
void  dash_set_rewind(node_dash *d, dash_rewind_fn fn, void *arg, const char *unavailable);
/* The changes the API made so far (a checkpoint holds the first n of them), and when the last
 * was made (INT64_MIN: none). */
size_t dash_journal_size(const node_dash *d, sim_time_t *last_at);
/* What the process resumed at a checkpoint (which held the first `since` changes) needs to
 * reach `to`: the changes after those and before `to`, the branches; JSON text. */
char *dash_rewind_plan(node_dash *d, sim_time_t to, size_t since);
/* In the resumed process: run on to the plan's time, making its changes again where they were
 * made; *speed is the pace the run had when it was rewound. 0, or a negative errno and why. */
int   dash_rewind_replay(node_dash *d, const char *plan, double *speed, char *why, size_t n);
/* The answer to POST /api/rewind, from the resumed process: the state and the rewind's figures. */
char *dash_rewound_state(node_dash *d, double wall_ms, uint64_t replayed_events);
/* summary.json's "branch": the rewinds and the journal of changes; NULL when neither. */
cJSON *dash_branch_json(node_dash *d);
/* Lua: caption { ja = ..., en = ... } and pause_here() (scripts/README.md, "Training"). */
int dash_open_lua(lua_State *L);

#endif
