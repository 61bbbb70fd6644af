/* kinds/kinds.h - the node kinds of the linkage network: the NWS (information-provision
 * network system), J-LIS, the interface systems, the bodies (local governments and agencies:
 * their existing systems, and for agencies their own intermediate server) with their staff
 * accounts, and マイナポータル; the residents and the daily workload; and the invariants about
 * them (serial numbers reconcile, codes differ across bodies, no node but the NWS links a
 * resident-derived key to an agency code, every provision is disclosed unless 不開示).
 *
 * Failures: a node that cannot store a record or schedule a timer halts the run with the
 * reason (sim_world_halt); the benign ones are named where they happen (a late answer after
 * its timeout is counted and dropped; a message that is not a flow's is dropped). */
#ifndef RENKEI_KINDS_KINDS_H
#define RENKEI_KINDS_KINDS_H

#include "domain/domain.h"
#include "sim_net.h"

extern const sim_node_kind node_nws_kind, node_jlis_kind, node_ifs_kind, node_body_kind, node_mynaportal_kind;
typedef struct lua_State lua_State;

/* The NWS (nws.c) */
int node_nws_create(sim_world *w, const char *name, sim_node **out);
/* Set-up before the run: the code of a person at a body, as if acquired earlier. */
int node_nws_seed_code(sim_node *n, uint64_t person, uint32_t who, uint64_t *out);
/* Built after the day-before codes are loaded (sorting once beats growing it row by row);
 * -EEXIST if two of them clashed, which 63 random bits make astronomically unlikely. */
int node_nws_index(sim_node *n);
/* The slow-NWS fault: every message waits this long first (0: back to normal). */
void node_nws_set_delay(sim_node *n, int64_t delay);
sim_store *node_nws_store(sim_node *n);
/* The set-up's codes are in the store already (read from a snapshot): node_nws_seed_code
 * draws and caches each code as before but writes no row. */
void node_nws_seed_restoring(sim_node *n, bool on);
/* The NWS store's prepared statements (sim_store_stmt slots): one registry for every file
 * that reads it. */
typedef enum nws_stmt {
    NWS_ST_CODE_GET, NWS_ST_CODE_PUT, NWS_ST_PERSON_BY_CODE, NWS_ST_ACCESS_PUT, NWS_ST_ACCESS_OUTCOME,
    NWS_ST_SHARED_CODES, NWS_ST_SERIALS_PROVIDED,   /* invariants.c */
    NWS_ST_DISCLOSE, NWS_ST_DISCLOSED_ALL,           /* disclosure, and its invariant */
    NWS_STMTS
} nws_stmt;
_Static_assert(NWS_STMTS <= SIM_STORE_SLOTS, "the NWS store has more statements than slots");
uint64_t node_nws_serials(sim_node *n);   /* the last serial number issued */
/* The person (J-LIS's person key) an agency code was issued for: 0, or -ENOENT. For the
 * checker, which may know what no node but the NWS knows. */
int node_nws_person_of(sim_node *n, uint64_t code, uint64_t *person);

/* The day before from a snapshot (day_before.c): residents{} keeps the stores it builds as a
 * snapshot (sim_snapshot.h) keyed by everything they are built from, and reads them back on
 * later runs instead of writing them. */
typedef struct node_day_before {
    char key[65];
    sim_store **stores;
    const char **names;
    size_t n;
    bool restored;              /* the stores hold the snapshot: write no rows, index nothing */
    sim_store *copy_from, *copy_to;   /* two sites holding the same tenants: one file, copied */
} node_day_before;
/* Before the set-up: the key and the stores; read the snapshot if there is one (a damaged one
 * is reported on stderr and removed: the set-up builds the state again). copy_to's store is
 * copy_from's (UINT32_MAX: none): it is not kept, but copied after reading. 0 or -errno. */
int  node_day_before_open(domain *d, double scale, double moved, uint32_t copy_from, uint32_t copy_to,
                          node_day_before *db);
/* After the set-up: the stores' in-memory indexes from the snapshot, or the new snapshot
 * written (a failure to write it is reported, not fatal). 0 or -errno. */
int  node_day_before_close(domain *d, node_day_before *db);
void node_day_before_free(node_day_before *db);

/* Disclosure (Art. 23, マイナポータル): the NWS's access records of one person, 不開示 rows
 * withheld, as the portal shows them. */
typedef struct node_disclosure_row {
    uint64_t serial_no;
    sim_time_t t;
    uint32_t inquirer, provider;    /* node ids */
    int procedure, item;
    char outcome[32];
} node_disclosure_row;
/* The portal's disclosure code of a person (by its person key): derived by the NWS, which
 * alone keeps the link back to the person (no draw from its RNG, nothing traced). */
uint64_t node_nws_portal_code(sim_node *n, uint64_t person_key, uint32_t portal);
/* The disclosure for a portal code: *rows (malloc'd, the caller frees) and *nrows, rows newer
 * than `since`, not withheld, by serial number. 0, -ENOENT (a code the NWS never gave the
 * portal), -EIO, -ENOMEM. */
int node_nws_disclose(sim_node *n, uint32_t portal, uint64_t portal_code, sim_time_t since,
                      node_disclosure_row **rows, size_t *nrows);

/* マイナポータル (mynaportal.c): the citizen's view of who asked for their data. */
int node_mynaportal_create(sim_world *w, const char *name, sim_node **out);
/* The disclosure of person (the global person index): 0 with the rows and their count, or -ENODEV (no
 * portal in the world), -ENOENT (no such person), -ENOMEM, -EIO; why gets a line for people. */
int node_mynaportal_disclose(sim_world *w, int64_t person, node_disclosure_row **rows, size_t *nrows,
                             char *why, size_t n);
int node_mynaportal_open_lua(lua_State *L);

/* J-LIS (jlis.c) */
int node_jlis_create(sim_world *w, const char *name, sim_node **out);
/* The person key J-LIS hands the NWS for a resident-record code (keyed, one-way; the
 * 住民票コード-derived key, not an agency code). */
uint64_t node_jlis_person_key(sim_node *n, uint64_t resident_code);

/* The interface systems (ifs.c) */
int node_ifs_create(sim_world *w, sim_node *server, sim_node **out);
/* Key faults of an interface system: what happens to its keys. */
typedef enum node_ifs_key_event {
    NODE_IFS_CERT_EXPIRED,      /* its certificate expired: no session can be set up */
    NODE_IFS_CERT_RENEWED,
    NODE_IFS_ROTATE,            /* a new key pair now; the old one is accepted for `grace` */
    NODE_IFS_WRONG_KEY,         /* it uses a wrong private key */
    NODE_IFS_RIGHT_KEY          /* ... and the right one again */
} node_ifs_key_event;
/* 0, or -EINVAL when n is not an interface system or the event is unknown. */
int node_ifs_key_event_apply(sim_node *n, node_ifs_key_event what, int64_t grace);

/* Constructors (body_create.c): a local government, an agency, and a platform site with its
 * interface system, as lg{}, agency{} and site{} make them in Lua (script/script.c calls
 * these). Each checks its spec first and creates nothing when it refuses: 0 (and the node in
 * *out, which may be NULL), or a negative errno with a one-line reason in why, the line the
 * Lua constructor raises. A failure after the node was made (out of memory, a link that
 * cannot be added) leaves it in the world, which frees it. A NULL link is the default one:
 * up, 1 Gb/s, the latency named below. */
typedef struct node_lg_spec {
    const char *code;           /* 6 digits with the check digit; also the node's name */
    const char *name;           /* NULL: the code */
    sim_node *home;             /* a site made by node_site_create_with_ifs (it has an ifs) */
    sim_node *backup;           /* a site, or NULL (= home: not mirrored); home and backup
                                 * become each other's peer, and a site has one peer */
    uint64_t population;
    const sim_link_params *link;   /* to home and to backup; NULL: 2 ms */
} node_lg_spec;

typedef struct node_agency_spec {
    const char *name;           /* the node's name and the agency's in the permission table */
    const char *name_ja;        /* NULL: name */
    const sim_link_params *link;   /* to its interface system "<name>.ifs"; NULL: 1 ms */
} node_agency_spec;

typedef struct node_site_spec {
    const char *name;           /* also makes "<name>.ifs", and the operations centre "ops" if
                                 * there is none yet */
    const sim_link_params *ifs_link;   /* site - ifs; NULL: 1 ms */
    const sim_link_params *ops_link;   /* site - ops; NULL: 3 ms */
} node_site_spec;

/* The check digit a local-government code must end with (computed from its first five
 * digits), or -EINVAL when code is not six digits. */
int node_lg_check_digit(const char *code);
int node_body_create_lg(sim_world *w, const node_lg_spec *spec, sim_node **out, char *why, size_t n);
int node_body_create_agency(sim_world *w, const node_agency_spec *spec, sim_node **out, char *why, size_t n);
/* The local government's 住基ネット connection to J-LIS (a link, 10 ms): 0 also when there is
 * no J-LIS yet (node_jlis_create links the local governments made before it). */
int node_lg_join_jlis(sim_world *w, sim_node *lg, char *why, size_t n);
int node_site_create_with_ifs(sim_world *w, const node_site_spec *spec, sim_node **out, char *why, size_t n);
/* The checks alone (the constructors call them first): the Lua constructors call them before
 * reading their link options, so that a scenario's errors come in the order they always did.
 * The link fields of the spec are not looked at. */
int node_body_check_lg(sim_world *w, const node_lg_spec *spec, char *why, size_t n);
int node_body_check_agency(sim_world *w, const node_agency_spec *spec, char *why, size_t n);
int node_site_check(sim_world *w, const node_site_spec *spec, char *why, size_t n);

/* Existing systems of a body (body.c): start flows; returns the flow id or 0. */
uint64_t node_body_acquire_code(sim_node *n, uint64_t addressee_no);
uint64_t node_body_register_replica(sim_node *n, uint64_t addressee_no, int item, const char *record_id,
                               sim_time_t pub_start, sim_time_t pub_end, const char *payload);
/* Partial update of the record `record_id`: the payload's fields replace or add to the
 * stored ones (a JSON object), and pub_end changes when given (> 0). */
uint64_t node_body_update_replica(sim_node *n, const char *record_id, const char *payload, sim_time_t pub_end);
uint64_t node_body_inquire(sim_node *n, uint64_t addressee_no, int procedure, uint32_t provider,
                      uint32_t staff);
/* The same, marked 不開示 (withheld from the person's disclosure) when `withheld`. */
uint64_t node_body_inquire_marked(sim_node *n, uint64_t addressee_no, int procedure, uint32_t provider,
                                  uint32_t staff, bool withheld);
uint64_t node_person_resident_code(uint64_t seed, uint32_t person);
uint64_t node_person_individual_no(uint64_t seed, uint32_t person);

/* The daily workload's next inquiry (population.c), from the body's timer. */
enum { WORKLOAD_INQUIRY = 100, WORKLOAD_NEW_RESIDENT, WORKLOAD_REPLICA_BATCH, WORKLOAD_REPLICA_UPDATE };
void node_workload_fire(sim_node *n, uint64_t tag, void *arg);
void node_workload_resume(sim_node *n);
/* A new person (born, or from abroad) at b, without a code yet: the addressee number, or 0. */
uint32_t node_body_new_resident(domain *d, body *b);

/* residents{} and workload{} in Lua (population.c). */
int node_population_open_lua(lua_State *L);
/* staff{} in Lua (staff_lua.c): a body's staff accounts. */
int node_staff_open_lua(lua_State *L);

/* Bulk initial code acquisition (bulk.c): every resident of a local government without a
 * code, through the real Art. 21-2 path, at a daily capacity of persons at J-LIS and at the
 * NWS shared by every body queued (first come, first served), on the network's business days.
 * ASSUMED defaults (not public): J-LIS 1,000,000 and the NWS 1,000,000 persons a business
 * day, in batches every 15 minutes. Capacities count real persons; the twin processes them
 * times residents{}'s scale (at least one a day). */
#define NODE_BULK_JLIS_PER_DAY INT64_C(1000000)
#define NODE_BULK_NWS_PER_DAY  INT64_C(1000000)
#define NODE_BULK_EVERY        (15 * SIM_MIN)
typedef struct node_bulk_progress {
    uint32_t node;              /* the body */
    uint64_t queued, acquired, failed, skipped;   /* skipped: moved out before their turn */
    uint64_t in_flight, attempts, retried;        /* retried: back in the queue after an outage or error */
    int first_day, last_day;    /* processing days (1 = the first) with work of it waiting; 0: none yet */
    sim_time_t queued_at, finished;   /* finished: -1 while work is left */
} node_bulk_progress;
/* The capacity rule alone: `capacity` shared among want[0..n) in that order, first come,
 * first served, into grant[]; returns the total granted. */
int64_t node_bulk_share(int64_t capacity, const int64_t *want, int64_t *grant, size_t n);
/* A batch's share of what is left of the day: spread evenly over the batches left. */
int64_t node_bulk_allowance(int64_t left, int64_t batches_left);
/* Persons of the twin a day for a capacity of real persons at residents{}'s scale (>= 1). */
int64_t node_bulk_twin_per_day(int64_t per_day, double scale);
/* -EINVAL for a capacity or interval not above 0 (or `every` over a day); -ENOMEM. */
int node_bulk_configure(sim_world *w, int64_t jlis_per_day, int64_t nws_per_day, int64_t every);
void node_bulk_capacity(sim_world *w, int64_t *jlis_per_day, int64_t *nws_per_day);
/* Whether b may queue: 0, -ENOENT (no residents{}), -EINVAL (not a local government); why
 * gets the line for people. */
int node_bulk_check(sim_world *w, const body *b, char *why, size_t n);
/* Queue b's current residents without a code, not queued already, processed from `from` on:
 * their count in *queued. 0 or the error of node_bulk_check, -ENOMEM. */
int node_bulk_queue(sim_world *w, body *b, sim_time_t from, uint64_t *queued);
/* The bodies queued so far, in the order first queued (NULL, 0: none). */
size_t node_bulk_bodies(sim_world *w, const node_bulk_progress **out);
/* Business days the body's work has taken so far (0 before its first). */
int node_bulk_days(const node_bulk_progress *p);
/* bulk_settings{}, bulk_acquire{}, bulk_progress() and r.bulk in Lua. */
int node_bulk_open_lua(lua_State *L);

/* Register the invariants about the node kinds with the checker (idempotent). */
int node_kinds_check_register(domain *d);
/* The unlinkability invariant and its watch over every message (unlinkable.c; idempotent). */
int node_unlinkable_register(domain *d);

#endif
