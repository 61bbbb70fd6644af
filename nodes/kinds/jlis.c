/* kinds/jlis.c - J-LIS (地方公共団体情報システム機構) as the channel for code acquisition
 * (My Number Act Art. 21-2).
 *
 * A municipality's integrated addressee system sends, through its own 住基ネット connection,
 * the resident-record code (住民票コード) with the one-time acquisition number (取得番号) its
 * intermediate server issued. J-LIS turns the resident-record code into the person key it
 * hands the NWS (the 住民票コード-derived key: here a keyed hash with J-LIS's own secret, so no
 * one else can compute it; it is not an agency code, which only the NWS issues) and passes the
 * acquisition number on. The NWS answers the intermediate server directly, through the
 * interface systems: J-LIS never sees an agency code, and remembers nothing of the request. */
#include "kinds/kinds.h"

#include <errno.h>
#include <stdlib.h>

typedef struct jlis {
    uint64_t secret[2];
} jlis;

uint64_t node_jlis_person_key(sim_node *n, uint64_t resident_code)
{
    jlis *j = n->state;
    uint64_t h = resident_code ^ j->secret[0];
    for (int round = 0; round < 2; round++) {   /* splitmix64's finaliser, twice, keyed */
        h += j->secret[round] + UINT64_C(0x9e3779b97f4a7c15);
        h = (h ^ (h >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
        h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
        h ^= h >> 31;
    }
    return h ? h : 1;
}

static void jlis_receive(sim_node *self, sim_msg *msg)
{
    if (domain_msg_discard_damaged(self, msg)) return;
    domain *d = domain_get(self->world);
    flow_msg *m = msg->payload;
    msg->payload = NULL;
    bool from_body = domain_body(d, msg->src) != NULL;
    if (msg->type == d->msg_type[FLOW_CODE_REQUEST] && from_body && m->resident_code) {
        m->inquirer = msg->src;   /* the body whose 住基ネット connection it came by */
        m->person_key = node_jlis_person_key(self, m->resident_code);
        m->resident_code = 0;
        domain_send(self, d->nws, FLOW_CODE_REQUEST, m, 256);
    } else {
        domain_msg_free(m);   /* J-LIS carries nothing else */
    }
    sim_msg_free(self->world, msg);
}

static void jlis_destroy(sim_node *self) { free(self->state); }

const sim_node_kind node_jlis_kind = {.name = "jlis", .receive = jlis_receive, .destroy = jlis_destroy};

int node_jlis_create(sim_world *w, const char *name, sim_node **out)
{
    domain *d = domain_get(w);
    jlis *j = calloc(1, sizeof *j);
    if (!d || !j) {
        free(j);
        return -ENOMEM;
    }
    int rc = node_kinds_check_register(d);
    if (rc == 0) rc = sim_world_add_node(w, &node_jlis_kind, name, j, out);
    if (rc < 0) {
        free(j);
        return rc;
    }
    j->secret[0] = sim_rng_next(&(*out)->rng);
    j->secret[1] = sim_rng_next(&(*out)->rng);
    d->jlis = (*out)->id;
    char why[160];
    for (uint32_t i = 0; rc == 0 && i < d->nbodies_cap; i++)   /* 住基ネット of those made before */
        if (d->bodies[i] && d->bodies[i]->kind == BODY_LG)
            rc = node_lg_join_jlis(w, sim_world_node(w, d->bodies[i]->node), why, sizeof why);
    return rc;
}
