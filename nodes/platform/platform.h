/* platform/platform.h - the intermediate-server platform: the tenant logic of an intermediate
 * server (code management, replicas, logs, answers; used by the sites and by the agencies'
 * own servers), the platform site node kind, and high availability: each write of a tenant (code
 * management, replicas, logs) is shipped to the tenant's other site as a mirroring log,
 * synchronously or asynchronously; sites heartbeat each other and the platform's operations
 * centre ("ops", the arbiter that holds who serves which site's tenants); a lost site's
 * tenants are promoted at their backup site and fail back when it returns, after a resync.
 * A site serves only under a lease it renews with ops or its peer, and ops grants a
 * promotion only when it has not heard the home site for the detection time, so two sites
 * never serve one tenant at once (a request that would is refused and counted).
 *
 * What this costs (the acknowledged writes lost, when each tenant serves again) is measured
 * outside the platform (fault/): the platform tells one listener of the writes it acknowledged,
 * its promotions and failbacks, and the moments its stores must be audited
 * (platform_listen), and knows nothing of who listens.
 *
 * Failures: a write the store refuses is answered as an error to the body (server_error, or
 * duplicate); a timer or message that cannot be scheduled (no memory) halts the run with the
 * reason (domain_halt), since a lost heartbeat or retransmission timer would fake a site loss.
 * Benign and counted: requests for tenants this site does not serve (refused), late or stale
 * HA messages of an older generation or epoch (ignored). */
#ifndef RENKEI_PLATFORM_PLATFORM_H
#define RENKEI_PLATFORM_PLATFORM_H

#include "domain/domain.h"
#include "sim_msgq.h"

/* Tenant logic (site.c), shared by sites and by agencies (their own server). */
struct tenant_db {
    sim_store *store;
    /* Write-through index of code management in memory (see platform/site.c). */
    sim_map code_by_addressee;  /* (tenant + 1) << 32 | addressee -> code */
    sim_map addressee_by_code;  /* code -> (tenant + 1) << 32 | addressee */
    bool indexed;               /* secondary indexes built (see platform_tenant_db_index) */
    sim_map pending;            /* acquisition number -> addressee_no, code acquisitions in progress */
};
int  platform_tenant_db_open(domain *d, tenant_db *t, const char *name);
void platform_tenant_db_close(tenant_db *t);
int  platform_tenant_db_index(tenant_db *t);
/* Rebuild the in-memory code index from the store (after rows were replaced wholesale). */
int  platform_tenant_reload_index(tenant_db *t);
/* The in-memory code index of dst copied from src, whose store dst's is a copy of. */
int  platform_tenant_copy_index(tenant_db *dst, const tenant_db *src);
/* A flow message that reached the server of body b (from b itself or from its ifs). */
void platform_tenant_receive(sim_node *server, tenant_db *t, body *b, flow_kind kind, flow_msg *m);
/* Bulk set-up before the run: a code and replicas without messages (the state of the day
 * before). */
int platform_tenant_seed_code(tenant_db *t, body *b, uint64_t addressee_no, uint64_t code);
int platform_tenant_seed_replica(domain *d, tenant_db *t, body *b, uint64_t addressee_no, int item,
                        const char *record_id, sim_time_t pub_start, sim_time_t pub_end,
                        const char *payload);

/* The tenant store's prepared statements (sim_store_stmt slots): one registry for every file
 * that reads or writes a tenant store, so no two take the same slot. */
typedef enum tenant_stmt {
    TENANT_ST_CODE_PUT, TENANT_ST_REPLICA_PUT, TENANT_ST_REPLICA_GET, TENANT_ST_INQUIRY_LOG,
    TENANT_ST_PROVISION_LOG, TENANT_ST_RECEIPT_LOG, TENANT_ST_REPLICA_BY_RECORD,
    TENANT_ST_REPLICA_UPDATE, TENANT_ST_REPLICA_UPSERT, TENANT_ST_CODES_ALL, TENANT_ST_REPLICA_DIGEST,
    /* mirror.c: snapshots and repairs */
    TENANT_ST_SNAPSHOT_CODES, TENANT_ST_SNAPSHOT_REPLICAS, TENANT_ST_DROP_CODES, TENANT_ST_DROP_REPLICAS,
    TENANT_ST_REPAIR_GET,
    /* fault/fault.c: corrupt_replica */
    TENANT_ST_FAULT_SCAN, TENANT_ST_FAULT_SPOIL,
    /* connect/: the connection test's reads */
    TENANT_ST_CONNECT_REPLICA, TENANT_ST_CONNECT_PROVISIONS, TENANT_ST_CONNECT_REPLICAS_OF,
    /* kinds/invariants.c: the serial numbers answered and received */
    TENANT_ST_SERIALS_ANSWERED, TENANT_ST_SERIALS_RECEIVED,
    TENANT_ST_PROVIDER_RECORDS,   /* ... and what every provision disclosed */
    TENANT_STMTS
} tenant_stmt;
_Static_assert(TENANT_STMTS <= SIM_STORE_SLOTS, "the tenant store has more statements than slots");

/* The platform site node kind (site.c). */
extern const sim_node_kind platform_site_kind;
int platform_site_create(sim_world *w, const char *name, sim_node **out);
/* The tenant store held by node: a site's, or an agency's own; NULL for any other node. */
tenant_db *platform_node_db(domain *d, uint32_t node);

typedef enum ha_promote { HA_PROMOTE_AUTO, HA_PROMOTE_OPERATOR, HA_PROMOTE_MANUAL } ha_promote;

/* Scenario parameters (failover_settings{} in Lua), with the documented assumed defaults. */
typedef struct ha_settings {
    bool sync;                  /* synchronous mirroring of acknowledged writes */
    bool degrade;               /* semisync: while the backup is lost, acknowledge alone */
    int64_t heartbeat;          /* between the sites, and each site to ops: 5 s */
    int64_t lease;              /* a site serves while it heard ops or its peer within: 15 s */
    int64_t detect;             /* silence that declares a site lost: 30 s (> lease) */
    int64_t batch;              /* asynchronous shipping interval (and the logs'): 2 s */
    ha_promote promote;         /* auto: at detection; operator: operator_delay later; manual */
    int64_t operator_delay;     /* the operator's reaction time (promote = "operator"): 30 min */
    bool auto_failback;         /* fail back by itself once resynchronised, after failback_delay */
    int64_t failback_delay;     /* 1 h */
    int64_t retransmit;         /* resend unacknowledged mirroring after: 1 s */
} ha_settings;

/* Mirroring log records, shipped in order per (source, destination) stream. */
typedef enum mirror_op { REC_CODE, REC_REPLICA, REC_INQUIRY_LOG, REC_PROVISION_LOG, REC_RECEIPT_LOG } mirror_op;

typedef struct mirror_rec {
    uint64_t seq;
    sim_time_t written;         /* at the source: the lag is measured from here */
    uint64_t flow;              /* the flow that wrote it (0: none) */
    uint32_t tenant;
    uint8_t op;
    int64_t v[8];               /* per op: see platform_tenant_apply in platform/site.c */
    char record_id[24];
    char *text;                 /* replica payload or log outcome (owned) */
    uint64_t digest;            /* replicas: the checksum the row was first written with (0:
                                 * compute it). Carried as is, so damage stays detectable. */
} mirror_rec;

/* A site's mirroring and serving state (in platform/site.c's site struct). */
typedef struct mirror_stream {
    uint32_t to;                /* destination site */
    uint64_t epoch;             /* bumped when the stream restarts (lost state, resync) */
    /* (the stream from the peer to us is tracked here too: applied_epoch, applied) */
    uint64_t next_seq, shipped, acked;
    mirror_rec *recs;             /* unacknowledged records, in seq order */
    size_t head, len, cap;      /* ring */
    sim_time_t last_ship;
    uint64_t applied_epoch, applied;   /* what we applied of the peer's stream to us */
} mirror_stream;

typedef struct held_ack {      /* synchronous mode: an answer waiting for the backup */
    uint64_t seq;
    uint32_t body;
    uint8_t kind;
    flow_msg *m;
} held_ack;

typedef struct site_ha {
    uint32_t peer;              /* the other site (UINT32_MAX: none) */
    uint32_t ifs;               /* this site's interface system */
    mirror_stream out;            /* to the peer */
    held_ack *held;
    size_t nheld, cap_held;
    sim_time_t heard_ops, heard_peer;
    bool serving_own;           /* may serve the tenants whose home this is */
    bool serving_peer;          /* ops granted us the peer's tenants */
    bool peer_lost;             /* peer declared lost: standalone (sync acks released) */
    bool peer_fenced;           /* the peer's last heartbeat said it serves nothing (fenced or
                                 * standing by): it serves again only when ops tells it to */
    bool promote_asked;
    bool standby;               /* ops says our own tenants are served by the peer */
    bool resynced;              /* our copy of the shared tenants is current (no lost state) */
    bool said_not_current;      /* a resync was refused for that and logged: say it once */
    bool awaiting_ops;          /* back from a crash: whether our copy is still current is
                                 * unknown until ops says who served our tenants meanwhile */
    sim_time_t resync_asked;
    uint32_t releasing;         /* failback: the home whose tenants we release, or UINT32_MAX */
    uint64_t release_seq;       /* ... once the peer has applied our stream up to here */
    bool lose_state;            /* the next crash loses what was not mirrored */
    bool audit_on_serve;        /* it did: check what survived when serving again */
    bool audit_peer_on_serve;   /* ... and when serving the peer's tenants again */
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
    uint64_t forced;            /* forced promotions (operator.promote{force}) */
    uint64_t abandoned_failbacks;   /* accepted, then given up: the peer was lost mid-release */
    uint64_t repairs_detected, repairs_done;
    uint64_t split_brain_seen;  /* moments two sites served one tenant: must stay 0 */
    double max_lag_ms;
    float *lag_ms;              /* max mirroring lag per simulated minute since the start */
    size_t nlag;
} ha_stats;

ha_settings *platform_ha_settings_get(domain *d);
const char *platform_ha_mode_name(const ha_settings *s);   /* "sync", "semisync" or "async" */
ha_stats *platform_ha_stats_get(domain *d);

/* Sites (platform/site.c calls these). */
void platform_ha_site_init(sim_node *site, site_ha *h);
void platform_ha_site_free(sim_world *w, site_ha *h);
void platform_ha_site_start(sim_node *site);
void platform_ha_site_timer(sim_node *site, uint64_t tag, void *arg);
void platform_ha_site_crash(sim_node *site);
void platform_ha_site_recover(sim_node *site);
/* An HA message (heartbeat, mirroring, promotion...) reached a site; consumes msg. */
bool platform_ha_site_receive(sim_node *site, struct sim_msg *msg);
/* The slow-disk fault: msg is handled after the site's disk delay, in order. */
void platform_ha_site_defer(sim_node *site, struct sim_msg *msg);
/* Synchronous mode while the backup site is lost: writes are refused (unreachable) rather
 * than acknowledged without a copy, so a second failure loses nothing acknowledged; semisync
 * accepts them alone instead (available, and a second failure can lose them). */
bool platform_ha_write_allowed(sim_node *site, const body *b);
/* Whether this site may serve tenant b now. */
bool platform_ha_serves(sim_node *site, const body *b);
/* Record a write of tenant b for mirroring to its other site. */
void platform_ha_record(sim_node *site, const body *b, mirror_rec *rec);
/* Answer the body; in synchronous mode an OK answer to a write waits for the backup. */
void platform_ha_reply(sim_node *site, body *b, flow_kind kind, flow_msg *m, flow_error e,
              void (*send)(sim_node *, body *, flow_kind, flow_msg *, flow_error));
/* A replica row failed its checksum: fetch it from the other site, then answer m. */
void platform_ha_repair(sim_node *site, body *b, flow_msg *m, const char *record_id);
site_ha *platform_ha_of(sim_node *site);

/* The operations centre (node_ops in platform/ha.c) and the operator's commands. */
extern const sim_node_kind platform_ops_kind;
int  platform_ops_create(sim_world *w, sim_node **out);
/* Promote the tenants of `home` at their backup now / fail them back home. 0, or a negative
 * errno with a one-line reason in why (refused: the home site is alive, the backup's copy is
 * not current, not resynced...). With force, the tenants of `home`, whose holder is lost, are
 * served now by the one site of the pair that ops hears (home itself, or its backup) even if
 * its copy is not current: that copy becomes the reference of the pair, and the acknowledged
 * writes it lacks are lost (audited "forced" and counted in the RPO). */
int  platform_ha_operator_promote(domain *d, sim_node *home, bool force, char *why, size_t n);
int  platform_ha_operator_failback(domain *d, sim_node *home, char *why, size_t n);
void platform_ha_note_lag(domain *d, sim_time_t now, int64_t lag);

/* The one listener of what the platform does (fault/recovery.c measures RPO and RTO with it).
 * Each callback reads; none may change the world. */
typedef struct platform_listener {
    /* A write of a tenant was acknowledged to its body (before the answer leaves). */
    void (*write_acked)(void *ud, uint32_t site, uint64_t flow, uint32_t tenant, mirror_op op,
                        uint64_t addressee, const char *record_id, uint64_t digest);
    /* The tenants of `home` are now served by their backup (failback: by home again). */
    void (*promoted)(void *ud, uint32_t home, sim_time_t at, bool failback);
    /* Audit every acknowledged write of the tenants of `home` against `site`'s store now
     * (when: "promotion", "forced", "takeback" (the holder was lost), "failback" or "restart"). */
    void (*audit)(void *ud, uint32_t home, uint32_t site, const char *when);
    void *ud;
} platform_listener;
/* Set the listener; -EBUSY when one is set already (there is one measurer of the platform). */
int platform_listen(domain *d, const platform_listener *l);

uint64_t platform_replica_digest(const char *payload, size_t len, int64_t pub_end);
int platform_tenant_replica_digest(tenant_db *t, uint32_t tenant, const char *record_id, uint64_t *out, uint64_t *written);

/* Read-only views that never create the platform: NULL when the world has none. */
const ha_settings *platform_ha_settings_find(const domain *d);
const ha_stats *platform_ha_stats_find(const domain *d);

#endif
