/* kinds/kinds.h - the node kinds of the linkage network: the NWS (information-provision
 * network system), J-LIS, the interface systems, and the bodies (local governments and
 * agencies: their existing systems, and for agencies their own intermediate server); the
 * residents and the daily workload; and the invariants about them (serial numbers reconcile,
 * codes differ across bodies).
 *
 * Failures: a node that cannot store a record or schedule a timer halts the run with the
 * reason (sim_world_halt); the benign ones are named where they happen (a late answer after
 * its timeout is counted and dropped; a message that is not a flow's is dropped). */
#ifndef RENKEI_KINDS_KINDS_H
#define RENKEI_KINDS_KINDS_H

#include "domain/domain.h"

extern const sim_node_kind node_nws_kind, node_jlis_kind, node_ifs_kind, node_body_kind;

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
/* The NWS store's prepared statements (sim_store_stmt slots): one registry for every file
 * that reads it. */
typedef enum nws_stmt {
    NWS_ST_CODE_GET, NWS_ST_CODE_PUT, NWS_ST_PERSON_BY_CODE, NWS_ST_ACCESS_PUT, NWS_ST_ACCESS_OUTCOME,
    NWS_ST_SHARED_CODES, NWS_ST_SERIALS_PROVIDED,   /* invariants.c */
    NWS_STMTS
} nws_stmt;
_Static_assert(NWS_STMTS <= SIM_STORE_SLOTS, "the NWS store has more statements than slots");
uint64_t node_nws_serials(sim_node *n);   /* the last serial number issued */

/* J-LIS (jlis.c) */
int node_jlis_create(sim_world *w, const char *name, sim_node **out);
/* The person key J-LIS hands the NWS for a resident-record code (keyed, one-way). */
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

/* Existing systems of a body (body.c): start flows; returns the flow id or 0. */
uint64_t node_body_acquire_code(sim_node *n, uint64_t addressee_no);
uint64_t node_body_register_replica(sim_node *n, uint64_t addressee_no, int item, const char *record_id,
                               sim_time_t pub_start, sim_time_t pub_end, const char *payload);
/* Partial update of the record `record_id`: the payload's fields replace or add to the
 * stored ones (a JSON object), and pub_end changes when given (> 0). */
uint64_t node_body_update_replica(sim_node *n, const char *record_id, const char *payload, sim_time_t pub_end);
uint64_t node_body_inquire(sim_node *n, uint64_t addressee_no, int procedure, uint32_t provider,
                      uint32_t staff);
uint64_t node_person_resident_code(uint64_t seed, uint32_t person);
uint64_t node_person_individual_no(uint64_t seed, uint32_t person);

/* The daily workload's next inquiry (population.c), from the body's timer. */
enum { WORKLOAD_INQUIRY = 100, WORKLOAD_NEW_RESIDENT, WORKLOAD_REPLICA_BATCH, WORKLOAD_REPLICA_UPDATE };
void node_workload_fire(sim_node *n, uint64_t tag, void *arg);
void node_workload_resume(sim_node *n);
/* A new person (born, or from abroad) at b, without a code yet: the addressee number, or 0. */
uint32_t node_body_new_resident(domain *d, body *b);

/* residents{} and workload{} in Lua (population.c). */
typedef struct lua_State lua_State;
int node_population_open_lua(lua_State *L);

/* Register the invariants about the node kinds with the checker (idempotent). */
int node_kinds_check_register(domain *d);

#endif
