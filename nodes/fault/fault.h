/* fault/fault.h - the fault catalogue: what a tester can break, from Lua (fault.*), from the
 * dashboard (JSON) or at random (nemesis), and the record of every injected fault with what
 * it cost (fault/recovery.c: failed flows, RTO per tenant, acknowledged writes lost).
 *
 * Failures: a fault that is badly specified is refused with a one-line reason and changes
 * nothing (fault_inject, fault_inject_json); one that cannot be carried out or ended (its end
 * or next flap cannot be scheduled, a link cannot be changed) halts the run (domain_halt), as
 * does a ledger or an audit that cannot grow: a figure that silently left writes out would be
 * a lie. Benign: a corrupt_replica row the full store refuses to damage stays whole. */
#ifndef RENKEI_FAULT_FAULT_H
#define RENKEI_FAULT_FAULT_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "platform/platform.h"
#include "sim_net.h"

typedef enum fault_kind {
    FAULT_CRASH, FAULT_SITE_DOWN, FAULT_LINK_CUT, FAULT_PARTITION, FAULT_DEGRADE, FAULT_FLAP,
    FAULT_NWS_DOWN, FAULT_NWS_SLOW, FAULT_IFS_DOWN, FAULT_KEY_EXPIRY, FAULT_KEY_ROTATION,
    FAULT_WRONG_KEY, FAULT_DISK_SLOW, FAULT_CORRUPT_REPLICA, FAULT_DISK_FULL, FAULT_DUPLICATE,
    FAULT_REORDER, FAULT_CORRUPT, FAULT_KINDS
} fault_kind;

/* What to inject: filled from Lua or JSON, checked, then applied. */
typedef struct fault_spec {
    fault_kind kind;
    uint32_t *a, *b;            /* target nodes; b: the other side (links, partitions) */
    size_t na, nb;
    int64_t duration;           /* 0: until cleared (one-shot kinds: instantaneous) */
    bool lose_state;
    int64_t delay, period, grace;
    double rate;
    int count;
    sim_link_params link;       /* degrade: added latency/jitter, loss, bandwidth cap */
    bool from_nemesis;
} fault_spec;

typedef struct lost_write {
    uint32_t tenant;
    uint8_t op;
    uint64_t addressee;
    char record_id[24];
    sim_time_t acked_at;
} lost_write;

typedef struct fault {
    int id;
    fault_kind kind;
    char target[160];           /* what it hit, for people */
    fault_spec spec;
    sim_time_t start, end;      /* end 0 while active */
    bool active;
    uint32_t *downed;           /* crash kinds: the nodes this fault took down */
    size_t ndowned;
    uint64_t *links;            /* link faults: the pairs (a << 32 | b) it changed */
    sim_link_params *saved;     /* ... and their parameters before */
    size_t nlinks;
    sim_event_id end_event, flap_event;
    bool flap_down;
    /* what it cost (fault/recovery.c) */
    uint64_t failed[FLOW_KINDS][FLOW_ERRORS];   /* flows that failed by its effect (their cause) */
    uint32_t *tenants;          /* tenants it cut off: whose RTO is measured */
    /* site losses: the first successful inquiry and provision of each tenant since the
     * start; other faults: first_inquiry is the first success of any flow the tenant started
     * after its last failure charged to this fault (first_provision unused) */
    sim_time_t *first_inquiry, *first_provision;
    size_t ntenants;
    sim_map tenant_index;       /* tenant node -> index + 1 */
    bool measuring;             /* still waiting for some tenant's first success */
    uint32_t home_lost;         /* site faults: the site whose tenants failed over */
    sim_time_t promoted_at, failed_back_at;
    uint64_t unshipped_acked;   /* at the loss: acknowledged writes not yet at the backup */
    uint64_t rpo_writes;        /* acknowledged writes found lost and charged to this fault */
    uint64_t failback_lost;     /* written since the promotion, missing after failback: must be 0 */
    uint64_t damaged_at_audit;  /* there, but damaged since (corrupt_replica): not mirroring's loss */
    int64_t rpo_time;           /* age of the oldest lost write at the fault */
    lost_write *lost;           /* the first few, listed */
    size_t nlost;
} fault;

typedef struct ledger_entry {
    uint64_t flow, digest, addressee;
    uint32_t tenant;
    uint32_t site;              /* the server that acknowledged it */
    uint8_t op;
    bool lost;                  /* counted lost by an audit (once: overlapping losses) */
    sim_time_t acked_at;        /* 0 until the body received the acknowledgement */
    char record_id[24];
} ledger_entry;

typedef struct faults {
    fault **list;
    size_t n, cap;
    sim_map charged;            /* pending flow -> id of the fault its last cause points at */
    uint64_t uncharged[FLOW_KINDS][FLOW_ERRORS];   /* failures no fault explains */
    sim_map link_cuts;          /* (lo << 32 | hi) -> how many faults hold the link down */
    sim_map slow_links;         /* (lo << 32 | hi) -> the newest active degrade or reorder on it */
    ledger_entry *ledger;
    size_t nledger, cap_ledger;
    sim_map ledger_by_flow;     /* flow -> index + 1 */
    sim_rng nemesis_rng;
    bool nemesis_seeded;
    struct nemesis **nemeses;
    size_t nnemeses;
} faults;

/* The fault records of the world: created on first use (and with them the measurement of
 * what faults cost, which listens to the flows and the platform from then on), freed with the
 * world. fault_attach creates them before the run, so that every acknowledged write is in the
 * ledger; fault_records_find never creates them. */
faults *fault_records_get(domain *d);
faults *fault_records_find(const domain *d);
int fault_attach(domain *d);
const char *fault_kind_name(fault_kind k);
int fault_kind_of(const char *name);
bool fault_kind_takes(fault_kind k, const char *option);   /* an option the kind accepts */
int fault_kind_arity(fault_kind k);                        /* 0 no target, 1 one set, 2 two sides */
/* Inject: the fault's id (> 0), or a negative errno with a one-line reason in why. The spec's
 * target arrays are copied. A run keeps every fault it had, with its figures, up to
 * FAULTS_MAX; past that an injection is refused (-ENOSPC) and a nemesis stops. */
enum { FAULTS_MAX = 10000 };
int fault_inject(domain *d, const fault_spec *spec, char *why, size_t n);
int fault_clear(domain *d, int id, char *why, size_t n);
fault *fault_find(domain *d, int id);

/* The dashboard's entry points. json: {"kind":"site_down","target":"east","duration":"3h"}
 * (target: a node name or a list; "peer": the other side for link kinds; options as in Lua). */
/* A fault's target by name, as Lua and the JSON API take it: a node's name, else a local
 * government's or an agency's name ("大阪市"). 0 and *out; -ENOENT (why: "unknown node 'X'")
 * or -EEXIST when several bodies bear the name (why names their codes). */
int fault_find_target(domain *d, const char *name, sim_node **out, char *why, size_t n);
int fault_inject_json(sim_world *w, const char *json, char *err, size_t errlen);
int fault_clear_json(sim_world *w, int id, char *err, size_t errlen);
cJSON *fault_catalogue_json(void);
cJSON *fault_list_json(sim_world *w);

/* recovery.c: the figures of the faults, appended to summary.json's root / printed. */
void fault_recovery_report_json(domain *d, cJSON *root);
void fault_recovery_report_print(domain *d, FILE *out);

/* The Lua API: fault.*, operator.*, nodes_where, failover_settings, serving (fault_lua.c). */
struct lua_State;
int fault_open_lua(struct lua_State *L);

#endif
