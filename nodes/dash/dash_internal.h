/* dash/dash_internal.h - what the dashboard's files (dash/dash*.c) share: the figures by
 * simulated time, the recorded flows, the event log and the server's state. */
#ifndef RENKEI_DASH_DASH_INTERNAL_H
#define RENKEI_DASH_DASH_INTERNAL_H

#include <stdint.h>

#include "dash/dash.h"
#include "domain/domain.h"
#include "kinds/kinds.h"
#include "platform/platform.h"
#include "sim_http.h"
#include "sim_map.h"

/* The dashboard's slot among the world's extensions (attached without a free function: the
 * dashboard closes its server in the loop, and dash_destroy detaches it). */
extern const sim_world_ext_key dash_ext_key;

/* ---- figures by simulated time (dash/dash_series.c) ------------------------------------ */

enum {
    SERIES_MAX_BUCKETS = 4096,  /* past this the buckets double in width: bounded memory */
    LATENCY_BINS = 48,          /* log-spaced from 1 ms, x1.25 each: up to about 45 min */
};

typedef struct series_bucket {
    uint32_t started[FLOW_KINDS];
    uint32_t ended[FLOW_KINDS];
    uint32_t outcome[FLOW_ERRORS];          /* of inquiries */
    uint32_t latency[LATENCY_BINS];         /* answered inquiries */
} series_bucket;

typedef struct dash_series {
    sim_time_t origin;          /* the run's start */
    int64_t width;              /* µs per bucket: a minute, doubling as needed */
    series_bucket *b;
    uint32_t n, cap;
    uint32_t dirty_from;        /* the first bucket changed since the last live update */
    /* run-rate samples (wall clock), for the events/s and simulated/real charts */
    struct rate_sample { sim_time_t t; float eps, ratio; } rates[1024];
    uint32_t nrates, rates_head;
} dash_series;

void   dash_series_init(dash_series *s, sim_time_t origin);
void   dash_series_free(dash_series *s);
void   dash_series_started(dash_series *s, sim_time_t now, flow_kind k);
void   dash_series_ended(dash_series *s, sim_time_t now, flow_kind k, flow_error e, int64_t latency);
void   dash_series_rate(dash_series *s, sim_time_t now, double eps, double ratio);
/* Buckets from index `from` on, and the rate samples when with_rates. */
cJSON *dash_series_window_json(const dash_series *s, uint32_t from, bool with_rates);

/* ---- recorded flows, hop by hop (dash/dash_flows.c) ------------------------------------ */

enum { FLOWS_KEPT = 48, HOPS_KEPT = 24, PAYLOAD_SHOWN = 160 };

typedef struct dash_hop {
    sim_time_t t;
    uint32_t from, to;
    uint8_t kind, error, sealed;
    uint64_t serial_no, code, addressee_no, acquisition_no, person_key, resident_code;
    uint32_t staff, data_len;
    char data[PAYLOAD_SHOWN + 1];   /* plaintext, or the ciphertext's first bytes in hex */
} dash_hop;

typedef struct dash_flow {
    uint64_t flow;              /* 0: the slot is free */
    uint8_t kind;               /* flow_kind it started as */
    bool pinned;                /* the page asked to keep it */
    bool ended;
    uint8_t outcome;            /* flow_error, once ended */
    uint32_t inquirer, provider;
    uint16_t procedure, item;
    sim_time_t started, ended_at;
    uint64_t seq;               /* recording order */
    uint32_t nhops;
    uint32_t lost_hops;         /* hops past HOPS_KEPT */
    dash_hop hops[HOPS_KEPT];
} dash_flow;

typedef struct dash_flows {
    dash_flow slots[FLOWS_KEPT];
    sim_map by_flow;            /* flow id -> slot + 1 */
    uint64_t next_seq;
    uint32_t follow_body;       /* record and pin the next inquiry of this body (UINT32_MAX: none) */
    uint32_t followed_body;     /* the body last asked to follow (UINT32_MAX: none yet) */
    uint64_t followed;          /* the inquiry recorded by following it (0: not yet) */
    uint64_t changed;           /* bumped when a recorded flow changes */
} dash_flows;

void   dash_flows_init(dash_flows *f);
void   dash_flows_free(dash_flows *f);
void   dash_flows_sent(dash_flows *f, domain *d, const sim_node *from, uint32_t to, flow_kind kind, const flow_msg *m);
cJSON *dash_flows_list_json(dash_flows *f, domain *d);
/* One flow with its hops; NULL when it is not recorded. */
cJSON *dash_flows_one_json(dash_flows *f, domain *d, uint64_t flow);
/* The most recent ended inquiry that was answered, else the most recent inquiry; 0 if none. */
uint64_t dash_flows_pick(const dash_flows *f);
int    dash_flows_pin(dash_flows *f, uint64_t flow, bool pinned);
/* Follow the next inquiry of the body at node: record and pin it when it starts. */
void   dash_flows_follow(dash_flows *f, uint32_t node);
/* The recorded flow, or NULL. */
const dash_flow *dash_flows_find(const dash_flows *f, uint64_t flow);
/* The newest inquiry or code acquisition (not replica registrations: the background of a
 * walkthrough) recorded after recording order `seq` (0 if none). */
uint64_t dash_flows_newer(const dash_flows *f, uint64_t seq);

/* ---- the event log: the latest trace lines (dash/dash_log.c) --------------------------- */

enum { LOG_LINES = 8192, LOG_LINE_MAX = 1024 };   /* 8 MiB */

typedef struct dash_log {
    char (*lines)[LOG_LINE_MAX];
    uint16_t *lens;             /* 0: empty; LOG_LINE_MAX: truncated */
    uint64_t total;             /* lines seen since the start; line i is at i % LOG_LINES */
    uint64_t published;         /* lines sent in live updates so far */
} dash_log;

int    dash_log_init(dash_log *l);
void   dash_log_free(dash_log *l);
void   dash_log_add(dash_log *l, const char *line, size_t len);
typedef struct log_filter {
    const char *node, *kind;
    uint64_t msg, flow;
    bool quiet;                 /* leave out heartbeats and mirroring (the sites' copy stream) */
} log_filter;
/* The newest lines matching the filter, oldest first, at most limit. */
cJSON *dash_log_json(const dash_log *l, const log_filter *f, uint32_t limit);
/* Lines since the last call, at most limit (the rest are counted in *skipped). */
cJSON *dash_log_take_new(dash_log *l, uint32_t limit, uint64_t *skipped);

/* ---- the operations timeline: the whole run's non-message trace lines (dash/dash_ops.c) -- */

typedef struct dash_op {
    char *line;                 /* the trace line as written (JSON) */
    size_t len;
    const char *category;       /* fault, detection, promotion, failback, resync, audit, operations, caption, script, other */
} dash_op;

typedef struct dash_ops {
    dash_op *v;
    size_t n, cap;
    uint64_t forgotten;         /* the oldest lines let go past the limit (or for want of memory) */
} dash_ops;

void   dash_ops_init(dash_ops *o);
void   dash_ops_free(dash_ops *o);
void   dash_ops_add(dash_ops *o, const char *line, size_t len);
/* The newest entries (at most limit, shown oldest first) whose text contains q (ASCII case
 * folded) and whose category is in the comma-separated list (empty: any). */
cJSON *dash_ops_json(const dash_ops *o, const char *q, const char *categories, uint32_t limit);

/* ---- the dashboard --------------------------------------------------------------------- */

typedef struct node_view {      /* what the page was last told of each node */
    uint8_t state, load;
    uint64_t received;
} node_view;

/* One change the API made to the run, with its moment (dash/dash_rewind.c). */
typedef enum dash_journal_kind { DASH_JOURNAL_FAULT, DASH_JOURNAL_CLEAR, DASH_JOURNAL_PROMOTE, DASH_JOURNAL_FAILBACK } dash_journal_kind;
typedef struct dash_journal_entry {
    uint64_t events;            /* events run before it */
    sim_time_t now;             /* the clock then */
    dash_journal_kind kind;
    char *text;                 /* the fault's JSON; the site */
    int id;                     /* the fault's id */
    bool force;
} dash_journal_entry;
typedef struct dash_branch { sim_time_t to, from; } dash_branch;   /* a rewind: back to `to` from `from` */

struct node_dash {
    sim_world *w;
    domain *d;                  /* NULL in a run without domain nodes */
    dash_series series;
    dash_flows flows;
    dash_log log;
    dash_ops ops;
    /* serving */
    sim_http *http;
    sim_run *run;
    bool run_watched;           /* closing the run closes the server (sim_run_on_close) */
    char *token;
    node_view *views;
    uint32_t nviews;
    uint64_t version;           /* live updates published */
    uint64_t last_wall_ns, last_events;
    sim_time_t last_sim;
    double eps, ratio;          /* the latest run rates */
    uint64_t checks_wall_ns, checks_events;
    cJSON *checks;              /* the latest invariants and expectations */
    bool ended;
    char end_reason[32];
    int exit_status;
    /* narration */
    char *caption_ja, *caption_en;
    uint64_t caption_seq;
    sim_time_t caption_at;
    bool pause_at_captions;     /* pause_here() pauses (the page can turn it off) */
    bool paused_by_script;
    uint64_t last_ended;        /* the flow whose end the domain saw last (hop steps wait for it) */
    uint64_t published_caption;
    struct dash_caption { sim_time_t at; char *ja, *en; } *captions;   /* every caption, for the handout */
    size_t ncaptions, cap_captions;
    /* rewind (dash/dash_rewind.c) */
    dash_journal_entry *journal;
    size_t njournal, cap_journal;
    dash_branch *branches;
    size_t nbranches;
    dash_rewind_fn rewind_fn;
    void *rewind_arg;
    char *rewind_off;           /* why the run cannot be rewound, when it cannot */
};

node_dash *dash_of(sim_world *w);   /* NULL when none is attached */
/* Topology and node states (dash/dash_topo.c). */
cJSON *dash_topo_json(node_dash *d);
/* 0 up, 1 down (the node or its server), 2 failed over, 3 its serving site down, 4 failed over
 * with its home site back (resynchronising, awaiting failback); for every node. */
uint8_t dash_topo_state(node_dash *d, uint32_t node);
/* Lua (dash/dash_lua.c) to the dashboard. */
void dash_caption(node_dash *d, const char *ja, const char *en);
void dash_pause_here(node_dash *d);
/* The state, as GET /api/state, into o (dash.c). */
void dash_add_state(node_dash *d, cJSON *o);
/* The journal (dash/dash_rewind.c): a change the API made, now; -ENOMEM. */
int  dash_journal_add(node_dash *d, dash_journal_kind kind, const char *text, int id, bool force);
void dash_journal_free(node_dash *d);
void dash_h_rewind(sim_http_req *r, void *ud);

#endif
