/* domain/domain.h - the core of the My Number linkage domain, which every other subsystem of
 * nodes/ builds on and which knows none of them: the registry of bodies (local governments and
 * agencies) and where they are hosted, the permission table, the flow messages that cross the
 * network, the run's flow statistics, and the one list of flow listeners. The invariants are
 * in domain/checker.h; the node kinds in kinds/, the platform sites in platform/.
 *
 * Identifiers, three layers never mixed (DESIGN.md §2): the individual number stays inside a
 * body's own systems (it is not a field of any message); the integrated addressee number
 * travels only between a body's existing systems and its own intermediate server; agency codes
 * are issued by the NWS per person and body, and only the NWS can map one to another. */
#ifndef RENKEI_DOMAIN_DOMAIN_H
#define RENKEI_DOMAIN_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "sim_calendar.h"
#include "sim_crypto.h"
#include "sim_map.h"
#include "sim_msg.h"
#include "sim_node.h"
#include "sim_store.h"

typedef struct tenant_db tenant_db;

enum { CODE_TEXT_LEN = 13, MAX_PROCEDURES = 256, MAX_ITEMS = 64 };

/* Outcomes of a flow: FLOW_OK or an error the real system reports. */
typedef enum flow_error {
    FLOW_OK = 0,
    FLOW_NO_CODE,          /* 符号が未取得: no agency code yet for that addressee */
    FLOW_NOT_PERMITTED,    /* the permission table does not allow procedure/item/provider */
    FLOW_UNREACHABLE,      /* the provider could not be reached */
    FLOW_TIMEOUT,          /* no answer within the inquirer's timeout */
    FLOW_INTEGRITY,        /* the provision failed to decrypt or authenticate */
    FLOW_NOT_FOUND,        /* the provider holds no replica for that person and item */
    FLOW_DUPLICATE,        /* replica registration: the record id exists */
    FLOW_NO_STAFF,         /* an inquiry that names no staff member */
    FLOW_SERVER_ERROR,     /* the server could not store the write (disk full, I/O) */
    FLOW_UNKNOWN_ACQUISITION, /* code acquisition: the answer's acquisition number matches
                                 * none the intermediate server issued and still waits for */
    FLOW_STAFF_NOT_PERMITTED, /* the inquirer's server: the staff member has no account there,
                                 * or the account may not use the procedure */
    FLOW_OUT_OF_HOURS,     /* an inquiry outside the network's operating hours (operating_hours{}) */
    FLOW_MAINTENANCE,      /* an inquiry or a code acquisition during a planned stop (maintenance{}) */
    FLOW_NO_ASSESSMENT,    /* the NWS refuses an inquirer whose specific personal information
                            * protection assessment (特定個人情報保護評価) is not done or lapsed */
    FLOW_ERRORS
} flow_error;

const char *domain_error_name(flow_error e);

/* Whether an outcome is a service failure (the system did not answer as it should), rather
 * than the system answering (not_found, duplicate, not_permitted...). */
static inline bool domain_error_is_failure(flow_error e)
{
    return e == FLOW_UNREACHABLE || e == FLOW_TIMEOUT || e == FLOW_INTEGRITY || e == FLOW_SERVER_ERROR;
}

/* Why a flow failed, as the element that failed it saw it (domain/blame.c). Every failure
 * point names its cause — a message the network dropped, one discarded as damaged, a refusal,
 * a check that failed — so that what a fault costs is charged to the fault that caused it,
 * not to whatever fault was active at the time (fault/recovery.c). The last cause a flow was
 * given before it ended is the one it ends with. */
typedef enum flow_cause {
    CAUSE_NONE,
    CAUSE_NODE_DOWN,     /* a: the node that was down (the sender's or the receiver's side) */
    CAUSE_LINK_DOWN,     /* a -> b: the link was down, or went down in flight */
    CAUSE_LOSS,          /* a -> b: lost on the link (its loss rate) */
    CAUSE_NO_LINK,       /* a -> b: no such link */
    CAUSE_CORRUPT,       /* a -> b: damaged on the link, discarded by the receiver's check */
    CAUSE_NOT_SERVING,   /* a: a site not serving the tenant now; b: the tenant's home site */
    CAUSE_NO_BACKUP,     /* a: a site refusing writes without a copy; b: its lost peer */
    CAUSE_DISK,          /* a: the site whose store failed the write, or was slow */
    CAUSE_KEY,           /* a: the interface system that could not seal or open it; b: the
                          * sealer's, when a could not open it */
    CAUSE_SLOW,          /* a: a node that held the message back (slowed down), or a -> b: a
                          * slowed link it crossed */
    CAUSE_DAMAGED_ROW,   /* a: the site whose stored replica failed its checksum, unrepaired */
    CAUSES
} flow_cause;

typedef struct flow_blame {
    flow_cause cause;
    uint32_t a, b;
} flow_blame;

const char *domain_cause_name(flow_cause c);

typedef enum flow_kind {
    FLOW_CODE_REQUEST, FLOW_CODE_RESPONSE, FLOW_INQUIRY, FLOW_PROVISION, FLOW_REPLICA,
    FLOW_REPLICA_ACK, FLOW_KINDS
} flow_kind;
const char *domain_kind_name(flow_kind k);

/* One message of a flow. Only the fields of the hop are set (see the header comment). */
typedef struct flow_msg {
    uint64_t flow;              /* the flow's id, run-unique, set by the body that started it */
    uint32_t inquirer;          /* node id of the asking body */
    uint32_t provider;          /* node id of the body asked */
    uint16_t procedure, item;   /* indices into the permission table */
    uint32_t staff;             /* staff member of the inquirer (0: none named): only between the
                                 * body and its own intermediate server, which checks it */
    uint8_t staff_checked;      /* the inquirer's server identified and authorised the staff
                                 * member (seed slide 14): what the NWS requires, without the id */
    uint8_t withheld;           /* 不開示: the inquirer marked the inquiry to be withheld from the
                                 * person's disclosure; every holder records the mark (Art. 23) */
    uint64_t serial_no;         /* 処理通番, issued by the NWS */
    uint64_t addressee_no;      /* only between a body's systems and its intermediate server */
    uint64_t acquisition_no;    /* 取得番号: issued by the intermediate server, one-time; rides
                                 * server -> body -> J-LIS -> NWS -> ifs -> server (Art. 21-2) */
    uint64_t person_key;        /* J-LIS -> NWS only: J-LIS's keyed hash of the resident-record
                                 * code (not an agency code: that is what the NWS issues) */
    uint64_t resident_code;     /* body -> J-LIS only (住基ネット): 住民票コード */
    uint64_t code;              /* the agency code valid at this hop (0: none) */
    char record_id[24];         /* replica registration: the record id */
    uint16_t schema;            /* replica registration: schema version */
    int64_t pub_start, pub_end; /* replica registration: publication period (µs) */
    sim_time_t started;         /* when the flow began, for latency */
    uint8_t error;              /* flow_error */
    uint8_t sealed;             /* data is nonce || ciphertext || tag */
    uint8_t partial;            /* replica registration: update fields of an existing record */
    uint8_t damaged;            /* damaged in flight: the transport's check fails at the next
                                 * receiver, which discards it (domain_msg_discard_damaged) */
    uint32_t data_len;
    uint8_t *data;              /* provision payload: JSON text, or sealed */
} flow_msg;

typedef struct permission {
    char id[48];                /* procedure id */
    char name_ja[160], name_en[160];
    int inquirer_agency;        /* -1: local governments inquire; else index of the agency */
    bool inquirer_prefecture;   /* local governments: only prefectures ask (inquirer_lg_kind) */
    int provider_agency;        /* -1: a local government provides; else index of the agency */
    uint16_t item;
    double weight;
} permission;

typedef struct item_def {
    char code[24];              /* TM... */
    char name_ja[96], name_en[96];
    int holder_agency;          /* -1: held by local governments */
} item_def;

typedef enum body_kind { BODY_NONE, BODY_LG, BODY_AGENCY } body_kind;

/* A local government or an agency, with its residents and where its tenant lives. */
typedef struct body {
    body_kind kind;
    uint32_t node;              /* the body's own node (existing systems) */
    uint32_t server;            /* node of its intermediate server: the site (LG) or itself */
    uint32_t home, backup;      /* sites (LG) */
    uint32_t ifs;               /* the interface system in front of its server */
    uint32_t tenant;            /* tenant id at the site (= node id) */
    char code[8];               /* 6-digit local-government code, or the agency name */
    char *name;
    uint64_t population;
    int agency_index;           /* agencies: index in the permission table's agency list */
    /* residents (local governments): addressee numbers 1..nresidents for the residents set up
     * by residents{}, then nextra more: former residents and new ones (new_resident) */
    uint32_t nresidents, nextra;
    struct resident *residents; /* [nresidents + nextra] */
    sim_map pending;            /* flow -> timeout event of flows this body started */
    tenant_db *own_db;          /* agencies: their own intermediate server's store */
    double rate;                /* workload: inquiries per business second */
    double new_rate;            /* workload: new residents per business second */
    double update_rate;         /* workload: replica updates per business second */
    bool external;              /* driven from outside (connection test): no workload here */
    struct domain_staff *staff; /* staff accounts of its intermediate server (staff.c); NULL:
                                 * none declared, every named staff member may inquire */
    bool assessment_lapsed;     /* its protection assessment is not done or has lapsed: the
                                 * NWS refuses its inquiries (set by the rollout rehearsal) */
} body;

typedef struct resident {
    uint32_t person;            /* global person index; the resident-record code derives from it */
    uint32_t prev_body;         /* node of the previous municipality, or UINT32_MAX */
    uint32_t prev_addressee;    /* the person's addressee number there */
    bool current;               /* lives here now (else a former resident) */
} resident;

typedef struct flow_stats {
    uint64_t started[FLOW_KINDS], ended[FLOW_KINDS];
    uint64_t outcome[FLOW_KINDS][FLOW_ERRORS];
    uint64_t late_answers, unnamed_staff, individual_no_seen;
    uint64_t damaged_discarded;     /* messages damaged in flight and discarded on receipt */
    uint64_t failed_by_cause[CAUSES];   /* service failures, by the cause they ended with */
    uint64_t unknown_acquisitions;  /* code answers whose acquisition number matched nothing */
    int64_t *latency[FLOW_KINDS];   /* µs, one per answered flow */
    size_t nlatency[FLOW_KINDS], cap_latency[FLOW_KINDS];
    size_t sorted[FLOW_KINDS];      /* latency[k][0..sorted) is in order */
} flow_stats;

/* The end of a flow a body started: answered (m is the answer), or not (m is NULL: timeout,
 * the body's systems went down). */
typedef struct domain_flow_end {
    body *b;                    /* the body that started it */
    flow_kind kind;             /* as started: code_request, inquiry or replica */
    uint64_t flow;
    flow_error error;
    const flow_msg *m;
    int64_t latency;            /* µs; -1 when unanswered */
    flow_blame cause;           /* set by domain_flow_ended: the last cause the flow was given */
} domain_flow_end;

/* A listener of the flows: every callback may be NULL. Listeners are told in the order they
 * were added. The dashboard, the report's series and the fault records only read; scripts,
 * rollout and the connection test may act on what they are told (and so must be added in a
 * fixed order, before the run). */
typedef struct domain_flow_listener {
    void (*sent)(void *ud, const sim_node *from, uint32_t to, flow_kind kind, const flow_msg *m);
    void (*started)(void *ud, flow_kind kind);
    void (*ended)(void *ud, const domain_flow_end *ev);
    void *ud;
    /* A pending flow was given a cause (domain_flow_blame), now, while the state that
     * explains it (which fault holds the node or link down) is current. */
    void (*blamed)(void *ud, uint64_t flow, const flow_blame *why);
} domain_flow_listener;

struct domain_checker;

/* A planned stop of the network (maintenance{}): inquiries and code acquisitions in
 * [from, until) are answered planned_maintenance at the body's intermediate server; a stop
 * announced at least its notice before it starts is known to the desks, which send nothing
 * during it (known). */
typedef struct domain_stop {
    sim_time_t from, until, announced;
    bool known;
} domain_stop;

typedef struct domain {
    sim_world *w;
    uint32_t nws, jlis, mynaportal;
    body **bodies;              /* by node id; NULL for nodes that are not bodies */
    uint32_t nbodies_cap;
    permission procs[MAX_PROCEDURES];
    int nprocs;
    item_def items[MAX_ITEMS];
    int nitems;
    char agencies[16][24];
    int nagencies;
    int msg_type[FLOW_KINDS];
    sim_crypto *crypto;
    int64_t timeout;            /* inquirer's wait for an answer */
    int64_t key_rotation;       /* session-key lifetime at the interface systems */
    int64_t retention;          /* access records are kept (and disclosed) this long (µs) */
    sim_calendar *hours;        /* the network's operating hours for inquiries (operating_hours{});
                                 * NULL: always open */
    domain_stop *stops;         /* planned stops of the network (maintenance{}), by start */
    size_t nstops;
    char *db_dir;               /* NULL: stores in memory */
    flow_stats stats;
    uint64_t next_flow;
    uint32_t npersons;
    double resident_scale;      /* residents{}'s scale: the twin's residents per real person */
    sim_map individual_nos;     /* every resident's individual number: the network scan */
    uint32_t tamper;            /* the NWS corrupts this many more sealed provisions */
    domain_flow_listener *listeners;   /* domain_listen: in the order added */
    size_t nlisteners, cap_listeners;
    struct domain_checker *checker;    /* domain/checker.c: the invariants */
    sim_map blame;                     /* pending flow -> its last cause, packed (blame.c) */
} domain;

domain *domain_get(sim_world *w);        /* created on first use, freed with the world */
domain *domain_find(const sim_world *w); /* NULL when the world has no domain: never creates it */
/* An internal failure the run cannot go on from (no memory for a timer, a record that could
 * not be kept): the run halts after the current event with this reason, and exits with
 * DOMAIN_EXIT_INTERNAL. Never for bad input, which is refused where it comes in. */
enum { DOMAIN_EXIT_INTERNAL = SIM_HALT_INTERNAL };
void domain_halt(domain *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A node's timer at `at` / after `delay` (sim_node_at/after) that must not be lost: a lost
 * heartbeat or workload timer would silently change what the run shows, so a failure to
 * schedule it halts the run (domain_halt). Returns what sim_node_at returned. */
int domain_timer_at(sim_node *n, sim_time_t at, uint64_t tag, void *arg);
int domain_timer_after(sim_node *n, int64_t delay, uint64_t tag, void *arg);
body *domain_body(domain *d, uint32_t node);
/* The flow kind of a message type, or FLOW_KINDS for a message that is not a flow's. */
flow_kind domain_kind_of(const domain *d, uint16_t msg_type);
/* The tenant store held by node: a site's, or an agency's own; NULL for any other node. */
tenant_db *platform_node_db(domain *d, uint32_t node);
int domain_add_body(domain *d, body *b);
/* A prefecture: a local government whose code is its prefecture number, then 000. */
bool domain_is_prefecture(const body *b);
/* The planned stop in force at t (maintenance{}), or NULL. */
const domain_stop *domain_stop_at(const domain *d, sim_time_t t);
/* Add a planned stop [from, until), announced at `announced`; the desks plan around it when
 * it was announced at least `notice` before it starts. 0, -EINVAL (empty, or announced after
 * it starts), -EEXIST (it overlaps another) or -ENOMEM. */
int domain_add_stop(domain *d, sim_time_t from, sim_time_t until, sim_time_t announced, int64_t notice);
int domain_item(const domain *d, const char *code);
int domain_procedure(const domain *d, const char *id);

/* Add a listener (copied); 0 or -ENOMEM. Remove it again by its ud (a listener that goes
 * before the world does, like the dashboard). */
int  domain_listen(domain *d, const domain_flow_listener *l);
void domain_unlisten(domain *d, void *ud);
/* A flow a body started ended: counted in the statistics, then told to every listener. */
void domain_flow_ended(domain *d, const domain_flow_end *ev);

/* Give the pending flow `flow`, started by the body at node `starter`, a cause (see
 * flow_cause): kept until the flow ends, told to the listeners now. A flow that has ended
 * already (a late message) is left alone. */
void domain_flow_blame(domain *d, uint32_t starter, uint64_t flow, flow_cause c, uint32_t a, uint32_t b);
/* The network dropped a flow message (the message types' `dropped` callback). */
void domain_msg_dropped(sim_world *w, const struct sim_msg *msg, sim_drop_reason why);
/* A receiver's transport check: a flow message damaged in flight is discarded (freed,
 * counted, its flow given CAUSE_CORRUPT) and true returned; else false and nothing done.
 * Every node that receives flow messages calls it first: nothing damaged is ever stored. */
bool domain_msg_discard_damaged(sim_node *self, struct sim_msg *msg);
/* The cause recorded for a pending flow, taken out (domain_flow_ended). */
flow_blame domain_flow_take_blame(domain *d, uint64_t flow);
/* Staff accounts of a body's intermediate server (domain/staff.c): the staff members and the
 * procedures each may use. The inquirer's server checks each inquiry against them (seed
 * slide 14: identifying the staff member is the inquirer's duty). */
/* Add an account (or give an existing one more procedures): 0, -EINVAL (staff 0, procedure out
 * of range), -ENOMEM. */
int domain_staff_add(body *b, uint32_t staff, int procedure);
/* FLOW_OK, FLOW_NO_STAFF (staff 0) or FLOW_STAFF_NOT_PERMITTED. Without accounts, any named
 * staff member may use any procedure. */
flow_error domain_staff_check(const body *b, uint32_t staff, int procedure);
/* A staff member of b who may use the procedure, drawn from r (the workload's desk); without
 * accounts, one of staff 1..40 as before; 0 when no account may. */
uint32_t domain_staff_pick(const body *b, int procedure, sim_rng *r);
void domain_staff_free(body *b);

/* Messages */
flow_msg *domain_msg_new(void);
void domain_msg_free(void *p);
/* Send m (a flow message of `kind`) from `from` to node `to`; the message owns m. A message
 * that cannot be sent for want of memory halts the run (domain_halt); one the network drops
 * (no link, link or node down) is the modelled loss: its -errno is returned and the flow ends
 * by its timeout or the sender's own handling. */
int domain_send(sim_node *from, uint32_t to, flow_kind kind, flow_msg *m, uint32_t size);
flow_msg *domain_msg_copy(const flow_msg *m);

/* The invariant: no individual number in any field of a message that crosses a link. */
bool domain_msg_has_individual_no(const domain *d, const flow_msg *m);
/* Latency percentiles of the answered flows of a kind, for summary.json. */
void domain_latency(domain *d, flow_kind k, double *p50, double *p95, double *p99);

/* A body started a flow: counted, and told to the listeners. */
void domain_flow_started(domain *d, flow_kind k);

/* Agency codes: 63 random bits from the issuer's stream (never 0), kept as integers (fast
 * keys in SQLite) and shown as 13 characters of Crockford base 32 at the edges. */
uint64_t domain_new_code(sim_rng *r);
void domain_code_text(uint64_t code, char out[CODE_TEXT_LEN + 1]);
/* The official check digit of a 12-digit individual number (the first 11 digits given). */
int domain_individual_no_check_digit(uint64_t first11);

#endif
