/* node_ha.h - high availability of the platform sites: each write of a tenant (code
 * management, replicas, logs) is shipped to the tenant's other site as a replication log,
 * synchronously or asynchronously; sites heartbeat each other and the platform's operations
 * centre ("ops", the arbiter that holds who serves which site's tenants); a lost site's
 * tenants are promoted at their backup site and fail back when it returns, after a resync.
 * A site serves only under a lease it renews with ops or its peer, and ops grants a
 * promotion only when it has not heard the home site for the detection time, so two sites
 * never serve one tenant at once (a request that would is refused and counted).
 *
 * node_recovery.c measures what this costs: the acknowledged writes lost (RPO), when each
 * tenant serves again (RTO), per fault. */
#ifndef RENKEI_NODE_HA_H
#define RENKEI_NODE_HA_H

#include "node_domain.h"
#include "sim_msgq.h"

typedef enum ha_promote { HA_PROMOTE_AUTO, HA_PROMOTE_OPERATOR, HA_PROMOTE_MANUAL } ha_promote;

/* Scenario parameters (failover_settings{} in Lua), with the documented assumed defaults. */
typedef struct ha_settings {
    bool sync;                  /* synchronous replication of acknowledged writes */
    bool degrade;               /* semisync: while the backup is lost, acknowledge alone */
    int64_t heartbeat;          /* between the sites, and each site to ops: 5 s */
    int64_t lease;              /* a site serves while it heard ops or its peer within: 15 s */
    int64_t detect;             /* silence that declares a site lost: 30 s (> lease) */
    int64_t batch;              /* asynchronous shipping interval (and the logs'): 2 s */
    ha_promote promote;         /* auto: at detection; operator: operator_delay later; manual */
    int64_t operator_delay;     /* the operator's reaction time (promote = "operator"): 30 min */
    bool auto_failback;         /* fail back by itself once resynchronised, after failback_delay */
    int64_t failback_delay;     /* 1 h */
    int64_t retransmit;         /* resend unacknowledged replication after: 1 s */
} ha_settings;

/* Replication log records, shipped in order per (source, destination) stream. */
typedef enum repl_op { REC_CODE, REC_REPLICA, REC_INQUIRY_LOG, REC_PROVISION_LOG, REC_RECEIPT_LOG } repl_op;

typedef struct repl_rec {
    uint64_t seq;
    sim_time_t written;         /* at the source: the lag is measured from here */
    uint64_t flow;              /* the flow that wrote it (0: none) */
    uint32_t tenant;
    uint8_t op;
    int64_t v[5];               /* per op: see tenant_apply in node_site.c */
    char record_id[24];
    char *text;                 /* replica payload or log outcome (owned) */
    uint64_t digest;            /* replicas: the checksum the row was first written with (0:
                                 * compute it). Carried as is, so damage stays detectable. */
} repl_rec;

/* A site's replication and serving state (in node_site.c's site struct). */
typedef struct repl_stream {
    uint32_t to;                /* destination site */
    uint64_t epoch;             /* bumped when the stream restarts (lost state, resync) */
    /* (the stream from the peer to us is tracked here too: applied_epoch, applied) */
    uint64_t next_seq, shipped, acked;
    repl_rec *recs;             /* unacknowledged records, in seq order */
    size_t head, len, cap;      /* ring */
    sim_time_t last_ship;
    uint64_t applied_epoch, applied;   /* what we applied of the peer's stream to us */
} repl_stream;

typedef struct held_ack {      /* synchronous mode: an answer waiting for the backup */
    uint64_t seq;
    uint32_t body;
    uint8_t kind;
    flow_msg *m;
} held_ack;

typedef struct site_ha {
    uint32_t peer;              /* the other site (UINT32_MAX: none) */
    uint32_t ifs;               /* this site's interface system */
    repl_stream out;            /* to the peer */
    held_ack *held;
    size_t nheld, cap_held;
    sim_time_t heard_ops, heard_peer;
    bool serving_own;           /* may serve the tenants whose home this is */
    bool serving_peer;          /* ops granted us the peer's tenants */
    bool peer_lost;             /* peer declared lost: standalone (sync acks released) */
    bool promote_asked;
    bool standby;               /* ops says our own tenants are served by the peer */
    bool resynced;              /* our copy of the shared tenants is current (no lost state) */
    sim_time_t resync_asked;
    uint32_t releasing;         /* failback: the home whose tenants we release, or UINT32_MAX */
    uint64_t release_seq;       /* ... once the peer has applied our stream up to here */
    bool lose_state;            /* the next crash loses what was not replicated */
    bool audit_on_serve;        /* it did: check what survived when serving again */
    uint64_t gen;               /* ops's generation for our own tenants, as we last heard it */
    uint64_t peer_gen;          /* ... and for the peer's tenants: older news is ignored */
    int64_t disk_delay;         /* slow-disk fault: each write-bearing message waits this */
    sim_msgq slow;              /* messages waiting for the slow disk */
    sim_map repairs;            /* repair id -> held inquiry (flow_msg *) */
    uint64_t next_repair;
    uint64_t refused;           /* requests for tenants this site does not serve */
} site_ha;

/* The run's HA figures. */
typedef struct ha_stats {
    uint64_t shipped, applied, snapshots, snapshot_rows;
    uint64_t promotions, failbacks, refused_promotions, refused_failbacks, refused_requests;
    uint64_t repairs_detected, repairs_done;
    uint64_t split_brain_seen;  /* moments two sites served one tenant: must stay 0 */
    double max_lag_ms;
    float *lag_ms;              /* max replication lag per simulated minute since the start */
    size_t nlag;
} ha_stats;

ha_settings *ha_settings_get(domain *d);
const char *ha_mode_name(const ha_settings *s);   /* "sync", "semisync" or "async" */
ha_stats *ha_stats_get(domain *d);

/* Sites (node_site.c calls these). */
void ha_site_init(sim_node *site, site_ha *h);
void ha_site_free(sim_world *w, site_ha *h);
void ha_site_start(sim_node *site);
void ha_site_timer(sim_node *site, uint64_t tag, void *arg);
void ha_site_crash(sim_node *site);
void ha_site_recover(sim_node *site);
/* An HA message (heartbeat, replication, promotion...) reached a site; consumes msg. */
bool ha_site_receive(sim_node *site, struct sim_msg *msg);
/* The slow-disk fault: msg is handled after the site's disk delay, in order. */
void ha_site_defer(sim_node *site, struct sim_msg *msg);
/* Synchronous mode while the backup site is lost: writes are refused (unreachable) rather
 * than acknowledged without a copy, so a second failure loses nothing acknowledged; semisync
 * accepts them alone instead (available, and a second failure can lose them). */
bool ha_write_allowed(sim_node *site, const body *b);
/* Whether this site may serve tenant b now. */
bool ha_serves(sim_node *site, const body *b);
/* Record a write of tenant b for replication to its other site. */
void ha_record(sim_node *site, const body *b, repl_rec *rec);
/* Answer the body; in synchronous mode an OK answer to a write waits for the backup. */
void ha_reply(sim_node *site, body *b, flow_kind kind, flow_msg *m, flow_error e,
              void (*send)(sim_node *, body *, flow_kind, flow_msg *, flow_error));
/* A replica row failed its checksum: fetch it from the other site, then answer m. */
void ha_repair(sim_node *site, body *b, flow_msg *m, const char *record_id);
site_ha *ha_of(sim_node *site);

/* The operations centre (node_ops in node_ha.c) and the operator's commands. */
extern const sim_node_kind node_ops_kind;
int  node_ops_create(sim_world *w, sim_node **out);
/* Promote the tenants of `home` at their backup now / fail them back home. 0, or a negative
 * errno with a one-line reason in why (refused: the home site is alive, not resynced...). */
int  ha_operator_promote(domain *d, sim_node *home, char *why, size_t n);
int  ha_operator_failback(domain *d, sim_node *home, char *why, size_t n);
void ha_note_lag(domain *d, sim_time_t now, int64_t lag);

/* node_recovery.c: RPO and RTO. */
void recovery_write_acked(domain *d, uint64_t flow, uint32_t tenant, repl_op op, uint64_t addressee,
                          const char *record_id, uint64_t digest);
void recovery_flow_ended(domain *d, body *b, flow_kind kind, uint64_t flow, flow_error e,
                         const flow_msg *m);
/* Check every acknowledged write of the tenants of `home` against `site`'s store: the lost
 * ones are counted against the fault that took `home` down. */
void recovery_audit(domain *d, uint32_t home, uint32_t site, const char *when);
uint64_t replica_digest(const char *payload, size_t len, int64_t pub_end);
int tenant_replica_digest(tenant_db *t, uint32_t tenant, const char *record_id, uint64_t *out, uint64_t *written);

#endif
