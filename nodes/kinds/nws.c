/* kinds/nws.c - the information-provision network system (情報提供ネットワークシステム).
 *
 * Issues agency codes (機関別符号, in the Act 情報提供用個人識別符号): one per person and body,
 * random, unlinkable (only this node's table maps a person to them), sent with the acquisition
 * number to the body's intermediate server through the interface systems (Art. 21-2). Checks each inquiry against the permission table, issues the
 * processing serial number, converts the inquirer's code into the provider's and forwards
 * the inquiry; passes provisions back (it sees only ciphertext); keeps the access records
 * (情報提供等記録) in SQLite. */
#include "kinds/kinds.h"
#include "sim_msgq.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>


static const char SCHEMA[] =
    "CREATE TABLE codes (person INTEGER, body INTEGER, code INTEGER,"
    "  PRIMARY KEY (person, body)) WITHOUT ROWID;"
    /* Art. 23: the person as the NWS's own pseudonym (J-LIS's person key, its code table's
     * key), who asked whom, when, procedure, item, serial number, outcome, and the 不開示 mark.
     * No staff member: identifying the staff is the inquirer's record (its inquiry log). */
    "CREATE TABLE access_record (serial_no INTEGER PRIMARY KEY, t INTEGER, inquirer INTEGER,"
    "  provider INTEGER, procedure INTEGER, item INTEGER, person INTEGER, withheld INTEGER, outcome TEXT);"
    /* How each forwarded inquiry ended, appended when the answer passes (an append is
     * cheaper than updating the record in place; the view joins them). */
    "CREATE TABLE access_outcome (serial_no INTEGER, t INTEGER, outcome TEXT);"
    "CREATE VIEW access_records AS SELECT a.serial_no, a.t, a.inquirer, a.provider, a.procedure,"
    "  a.item, a.person, a.withheld, coalesce(o.outcome, a.outcome) AS outcome"
    "  FROM access_record a LEFT JOIN access_outcome o USING (serial_no);";

typedef struct code_entry {
    uint64_t person, code;
    uint32_t body;
} code_entry;

/* The code table lives in SQLite; these maps are a write-through index of it in memory, for
 * the two lookups every inquiry makes (an in-memory B-tree search per lookup was a quarter of
 * the national run). Every code is written through issue_code, so the maps hold them all,
 * but for pairs whose 64-bit hash collided (`uncached`): for those, SQLite answers. */
typedef struct nws {
    sim_store *store;
    bool indexed;           /* the unique index on codes, built after the bulk set-up */
    bool restoring;         /* the set-up's codes are already in the store (a snapshot) */
    uint64_t next_serial;
    code_entry *entries;
    size_t nentries, cap_entries;
    sim_map by_code, by_pair;   /* -> entry index + 1 */
    uint64_t uncached;
    int64_t delay;              /* the slowdown fault: every message waits this long */
    sim_map portal_person;      /* the portal's disclosure code -> person key (only here) */
    sim_msgq slow;
} nws;

static uint64_t pair_key(uint64_t person, uint32_t who)
{
    uint64_t h = person ^ ((uint64_t)who * UINT64_C(0x9e3779b97f4a7c15));
    h = (h ^ (h >> 31)) * UINT64_C(0xbf58476d1ce4e5b9);
    return (h ^ (h >> 29)) | 1;   /* never 0, the map's reserved key */
}

static void cache_code(nws *s, uint64_t person, uint32_t who, uint64_t code)
{
    uint64_t key = pair_key(person, who);
    if (s->nentries == s->cap_entries) {
        size_t cap = s->cap_entries ? s->cap_entries * 2 : 4096;
        code_entry *e = realloc(s->entries, cap * sizeof *e);
        if (!e) {
            s->uncached++;
            return;
        }
        s->entries = e;
        s->cap_entries = cap;
    }
    if (sim_map_get(&s->by_pair, key, NULL) || sim_map_put(&s->by_pair, key, s->nentries + 1) < 0 ||
        sim_map_put(&s->by_code, code, s->nentries + 1) < 0) {
        s->uncached++;
        return;
    }
    s->entries[s->nentries++] = (code_entry){.person = person, .code = code, .body = who};
}

static uint32_t route_to(domain *d, uint32_t body_node)
{
    body *b = domain_body(d, body_node);
    return b ? b->ifs : UINT32_MAX;
}

/* Issue a new code to `person` at body `who` (which has none). */
static int issue_code(sim_node *self, uint64_t person, uint32_t who, uint64_t *out)
{
    nws *s = self->state;
    for (int attempt = 0; attempt < 8; attempt++) {   /* a clash of random codes is refused */
        *out = domain_new_code(&self->rng);
        if (s->restoring) {   /* the same draw, the row is there: only the cache is built */
            cache_code(s, person, who, *out);
            return 0;
        }
        sqlite3_stmt *put = sim_store_stmt(s->store, NWS_ST_CODE_PUT, "INSERT INTO codes VALUES (?1, ?2, ?3)");
        if (!put) return -EIO;
        sqlite3_bind_int64(put, 1, (sqlite3_int64)person);
        sqlite3_bind_int64(put, 2, who);
        sqlite3_bind_int64(put, 3, (sqlite3_int64)*out);
        int rc = sim_store_write(s->store, put);
        if (rc == 0) cache_code(s, person, who, *out);
        if (rc != -EEXIST) return rc;
    }
    return -EEXIST;
}

/* The code of `person` at body `who`, issued now if it has none and `issue` says so. */
static int code_for(sim_node *self, uint64_t person, uint32_t who, uint64_t *out, bool issue)
{
    nws *s = self->state;
    uint64_t index;
    if (sim_map_get(&s->by_pair, pair_key(person, who), &index) && s->entries[index - 1].person == person &&
        s->entries[index - 1].body == who) {
        *out = s->entries[index - 1].code;
        return 0;
    }
    if (!s->uncached) return issue ? issue_code(self, person, who, out) : -ENOENT;
    sqlite3_stmt *st = sim_store_stmt(s->store, NWS_ST_CODE_GET,
                                      "SELECT code FROM codes WHERE person = ?1 AND body = ?2");
    if (!st) return -EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)person);
    sqlite3_bind_int64(st, 2, who);
    if (sim_store_read(s->store, st) == 1) {
        *out = (uint64_t)sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return 0;
    }
    return issue ? issue_code(self, person, who, out) : -ENOENT;
}

static int person_of(nws *s, uint64_t code, uint32_t who, uint64_t *person)
{
    uint64_t index;
    if (sim_map_get(&s->by_code, code, &index)) {
        *person = s->entries[index - 1].person;
        return s->entries[index - 1].body == who ? 0 : -EPERM;
    }
    if (!s->uncached) return -ENOENT;
    sqlite3_stmt *st = sim_store_stmt(s->store, NWS_ST_PERSON_BY_CODE,
                                      "SELECT person, body FROM codes WHERE code = ?1");
    if (!st) return -EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)code);
    if (sim_store_read(s->store, st) != 1) return -ENOENT;
    *person = (uint64_t)sqlite3_column_int64(st, 0);
    bool mine = (uint32_t)sqlite3_column_int64(st, 1) == who;
    sqlite3_reset(st);
    return mine ? 0 : -EPERM;   /* a code presented by a body it was not issued to */
}

/* The access record of an inquiry (Art. 23): 0, or a negative errno when it could not be kept
 * (the store refused it: disk full, I/O), and then the NWS does not act on the inquiry: it
 * answers server_error, as a site does for a write it could not store. */
static int access_record(sim_node *self, const flow_msg *m, uint64_t person, const char *outcome)
{
    nws *s = self->state;
    sqlite3_stmt *st = sim_store_stmt(s->store, NWS_ST_ACCESS_PUT,
        "INSERT INTO access_record VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!st) return -EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)m->serial_no);
    sqlite3_bind_int64(st, 2, sim_node_now(self));
    sqlite3_bind_int64(st, 3, m->inquirer);
    sqlite3_bind_int64(st, 4, m->provider);
    sqlite3_bind_int(st, 5, m->procedure);
    sqlite3_bind_int(st, 6, m->item);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)person);
    sqlite3_bind_int(st, 8, m->withheld);
    sqlite3_bind_text(st, 9, outcome, -1, SQLITE_STATIC);
    return sim_store_write(s->store, st);
}

/* The outcome of a serial number's inquiry: 0 or a negative errno, as access_record. */
static int set_outcome(sim_node *self, uint64_t serial, const char *outcome)
{
    nws *s = self->state;
    sqlite3_stmt *st = sim_store_stmt(s->store, NWS_ST_ACCESS_OUTCOME, "INSERT INTO access_outcome VALUES (?1, ?2, ?3)");
    if (!st) return -EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)serial);
    sqlite3_bind_int64(st, 2, sim_node_now(self));
    sqlite3_bind_text(st, 3, outcome, -1, SQLITE_STATIC);
    return sim_store_write(s->store, st);
}

static bool permitted(const domain *d, const flow_msg *m)
{
    if (m->procedure >= d->nprocs) return false;
    const permission *p = &d->procs[m->procedure];
    const body *in = domain_body((domain *)d, m->inquirer), *pr = domain_body((domain *)d, m->provider);
    if (!in || !pr || p->item != m->item) return false;
    bool in_ok = p->inquirer_agency < 0 ? in->kind == BODY_LG && (!p->inquirer_prefecture || domain_is_prefecture(in))
                                        : in->kind == BODY_AGENCY && in->agency_index == p->inquirer_agency;
    bool pr_ok = p->provider_agency < 0 ? pr->kind == BODY_LG : pr->agency_index == p->provider_agency;
    return in_ok && pr_ok && m->inquirer != m->provider;
}

/* Answer the inquirer directly with an error (no provider involved). */
static void refuse(sim_node *self, flow_msg *m, flow_error e)
{
    domain *d = domain_get(self->world);
    /* The refusal is the answer whether or not its outcome could be recorded: the inquiry
     * was not forwarded, so no provision can be missing from the records. */
    if (m->serial_no) (void)set_outcome(self, m->serial_no, domain_error_name(e));
    m->error = (uint8_t)e;
    m->code = 0;
    free(m->data);
    m->data = NULL;
    m->data_len = 0;
    domain_send(self, route_to(d, m->inquirer), FLOW_PROVISION, m, 256);
}

static void inquiry(sim_node *self, flow_msg *m)
{
    domain *d = domain_get(self->world);
    nws *s = self->state;
    if (!m->staff_checked || m->staff) {   /* not vouched for, or a staff id that should not travel */
        d->stats.unnamed_staff++;
        refuse(self, m, FLOW_NO_STAFF);
        return;
    }
    if (!permitted(d, m)) {
        refuse(self, m, FLOW_NOT_PERMITTED);
        return;
    }
    const body *asker = domain_body(d, m->inquirer);
    if (asker && asker->assessment_lapsed) {   /* Art. 21(2): not for a body in breach of Art. 28 (its assessment) */
        refuse(self, m, FLOW_NO_ASSESSMENT);
        return;
    }
    uint64_t person;
    if (person_of(s, m->code, m->inquirer, &person) < 0) {
        refuse(self, m, FLOW_NO_CODE);
        return;
    }
    m->serial_no = s->next_serial++;
    if (code_for(self, person, m->provider, &m->code, false) < 0) {
        refuse(self, m, access_record(self, m, person, domain_error_name(FLOW_NOT_FOUND)) == 0 ? FLOW_NOT_FOUND : FLOW_SERVER_ERROR);
        return;
    }
    if (access_record(self, m, person, "forwarded") < 0) {   /* no record, no forwarding */
        refuse(self, m, FLOW_SERVER_ERROR);
        return;
    }
    uint32_t to = route_to(d, m->provider);
    flow_msg *copy = domain_msg_copy(m);   /* kept to answer "unreachable" if it cannot leave */
    int rc = domain_send(self, to, FLOW_INQUIRY, m, 512);
    if (rc == -ENETDOWN || rc == -ENOLINK || rc == -EHOSTDOWN) {
        if (copy) refuse(self, copy, FLOW_UNREACHABLE);
        return;
    }
    domain_msg_free(copy);
}

static void provision(sim_node *self, flow_msg *m)
{
    domain *d = domain_get(self->world);
    if (set_outcome(self, m->serial_no, m->error ? domain_error_name(m->error) : "provided") < 0) {
        /* not passed on unrecorded: the inquirer gets server_error, and the provision is not
         * in the NWS's records (the reconciliation's nesting holds) */
        refuse(self, m, FLOW_SERVER_ERROR);
        return;
    }
    if (d->tamper && m->sealed && m->data_len > SIM_CRYPTO_NONCE_LEN) {
        m->data[SIM_CRYPTO_NONCE_LEN] ^= 0x01;   /* a fault injected by a scenario: tamper{} */
        d->tamper--;
    }
    domain_send(self, route_to(d, m->inquirer), FLOW_PROVISION, m, 256);
}

/* Code acquisition (Art. 21-2): J-LIS hands the person key and the acquisition number; the
 * code of that person at the inquiring body goes back with the acquisition number to the
 * body's intermediate server through the interface systems, never through J-LIS. */
static void code_request(sim_node *self, sim_msg *msg, flow_msg *m)
{
    domain *d = domain_get(self->world);
    if (msg->src != d->jlis || !m->person_key) {   /* only J-LIS asks for codes */
        domain_msg_free(m);
        return;
    }
    m->error = code_for(self, m->person_key, m->inquirer, &m->code, true) == 0 ? FLOW_OK : FLOW_SERVER_ERROR;
    if (m->error) m->code = 0;
    m->person_key = 0;
    uint32_t to = route_to(d, m->inquirer);
    if (to == UINT32_MAX) {
        domain_msg_free(m);
        return;
    }
    domain_send(self, to, FLOW_CODE_RESPONSE, m, 256);
}

int node_nws_person_of(sim_node *n, uint64_t code, uint64_t *person)
{
    int rc = person_of(n->state, code, 0, person);
    return rc == -EPERM ? 0 : rc;
}

/* Built after the day-before codes are loaded (sorting once beats growing it row by row);
 * -EEXIST if two of them clashed, which 63 random bits make astronomically unlikely. */
int node_nws_index(sim_node *n)
{
    nws *s = n->state;
    if (s->indexed) return 0;
    int rc = sim_store_exec(s->store, "CREATE UNIQUE INDEX IF NOT EXISTS codes_code ON codes (code);");
    s->indexed = rc == 0;
    return rc < 0 ? -EEXIST : 0;
}

static void nws_process(sim_node *self, sim_msg *msg);

static void nws_receive(sim_node *self, sim_msg *msg)
{
    nws *s = self->state;
    if (domain_msg_discard_damaged(self, msg)) return;
    if (s->delay > 0 || s->slow.len) {   /* slowed down: in order, later */
        const flow_msg *m = msg->payload;
        if (m && domain_kind_of(domain_get(self->world), msg->type) != FLOW_KINDS)
            domain_flow_blame(domain_get(self->world), m->inquirer, m->flow, CAUSE_SLOW, self->id, UINT32_MAX);
        if (sim_msgq_push(self->world, &s->slow, msg) == 0)
            domain_timer_at(self, sim_msgq_release_at(&s->slow, sim_node_now(self), s->delay), 1, NULL);
        return;
    }
    nws_process(self, msg);
}

static void nws_timer(sim_node *self, uint64_t tag, void *arg)
{
    (void)tag;
    (void)arg;
    sim_msg *msg = sim_msgq_pop(&((nws *)self->state)->slow);
    if (msg) nws_process(self, msg);
}

static void nws_crash(sim_node *self) { sim_msgq_clear(self->world, &((nws *)self->state)->slow); }

void node_nws_set_delay(sim_node *n, int64_t delay) { ((nws *)n->state)->delay = delay; }

static void nws_process(sim_node *self, sim_msg *msg)
{
    node_nws_index(self);
    domain *d = domain_get(self->world);
    flow_msg *m = msg->payload;
    msg->payload = NULL;
    if (msg->type == d->msg_type[FLOW_INQUIRY])
        inquiry(self, m);
    else if (msg->type == d->msg_type[FLOW_PROVISION])
        provision(self, m);
    else if (msg->type == d->msg_type[FLOW_CODE_REQUEST])
        code_request(self, msg, m);
    else
        domain_msg_free(m);
    sim_msg_free(self->world, msg);
}

static void nws_destroy(sim_node *self)
{
    nws *s = self->state;
    if (!s) return;
    sim_msgq_free(self->world, &s->slow);
    sim_store_close(s->store);
    sim_map_free(&s->by_code);
    sim_map_free(&s->by_pair);
    sim_map_free(&s->portal_person);
    free(s->entries);
    free(s);
}

const sim_node_kind node_nws_kind = {.name = "nws", .receive = nws_receive, .timer = nws_timer,
                                     .crash = nws_crash, .destroy = nws_destroy};

int node_nws_create(sim_world *w, const char *name, sim_node **out)
{
    domain *d = domain_get(w);
    nws *s = calloc(1, sizeof *s);
    if (!d || !s) {
        free(s);
        return -ENOMEM;
    }
    s->next_serial = 1;
    int rc = node_kinds_check_register(d);
    if (rc == 0) rc = sim_store_open(d->db_dir, name, &s->store);
    if (rc == 0) rc = sim_store_exec(s->store, SCHEMA);
    if (rc == 0) rc = sim_world_add_node(w, &node_nws_kind, name, s, out);
    if (rc < 0) {
        sim_store_close(s->store);
        free(s);
        return rc;
    }
    d->nws = (*out)->id;
    return 0;
}

/* Set-up before the run: the code of a person at a body, as if acquired earlier. */
int node_nws_seed_code(sim_node *n, uint64_t person, uint32_t who, uint64_t *out)
{
    return issue_code(n, person, who, out);   /* the set-up gives each (person, body) one code */
}

sim_store *node_nws_store(sim_node *n) { return ((nws *)n->state)->store; }

void node_nws_seed_restoring(sim_node *n, bool on) { ((nws *)n->state)->restoring = on; }

/* The last serial number issued. */
uint64_t node_nws_serials(sim_node *n) { return ((nws *)n->state)->next_serial - 1; }

/* ---- disclosure (Art. 23, マイナポータル) ------------------------------------------------ */

uint64_t node_nws_portal_code(sim_node *n, uint64_t person_key, uint32_t portal)
{
    nws *s = n->state;
    /* keyed by the world's seed: derived, not drawn, so asking (from a script or the
     * dashboard, at any moment) changes nothing the run does */
    uint64_t h = person_key ^ ((uint64_t)portal << 32) ^ (sim_world_seed(n->world) * UINT64_C(0x9e3779b97f4a7c15));
    for (int round = 0; round < 2; round++) {
        h = (h ^ (h >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
        h ^= h >> 31;
    }
    h = (h >> 1) | 1;
    if (sim_map_put(&s->portal_person, h, person_key) < 0) return 0;
    return h;
}

int node_nws_disclose(sim_node *n, uint32_t portal, uint64_t portal_code, sim_time_t since,
                      node_disclosure_row **rows, size_t *nrows)
{
    nws *s = n->state;
    uint64_t person;
    *rows = NULL;
    *nrows = 0;
    (void)portal;
    if (!portal_code || !sim_map_get(&s->portal_person, portal_code, &person)) return -ENOENT;
    sqlite3_stmt *st = sim_store_stmt(s->store, NWS_ST_DISCLOSE,
        "SELECT serial_no, t, inquirer, provider, procedure, item, outcome FROM access_records"
        " WHERE person = ?1 AND withheld = 0 AND t >= ?2 ORDER BY serial_no");
    if (!st) return -EIO;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)person);
    sqlite3_bind_int64(st, 2, since);
    size_t cap = 0;
    while (sim_store_read(s->store, st) == 1) {
        if (*nrows == cap) {
            cap = cap ? cap * 2 : 16;
            node_disclosure_row *p = realloc(*rows, cap * sizeof *p);
            if (!p) {
                sqlite3_reset(st);
                free(*rows);
                *rows = NULL;
                *nrows = 0;
                return -ENOMEM;
            }
            *rows = p;
        }
        node_disclosure_row *r = &(*rows)[(*nrows)++];
        *r = (node_disclosure_row){.serial_no = (uint64_t)sqlite3_column_int64(st, 0), .t = sqlite3_column_int64(st, 1),
                                   .inquirer = (uint32_t)sqlite3_column_int64(st, 2),
                                   .provider = (uint32_t)sqlite3_column_int64(st, 3),
                                   .procedure = sqlite3_column_int(st, 4), .item = sqlite3_column_int(st, 5)};
        snprintf(r->outcome, sizeof r->outcome, "%s", (const char *)sqlite3_column_text(st, 6));
    }
    return 0;
}
