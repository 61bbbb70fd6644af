/* kinds/jlis.c - J-LIS (地方公共団体情報システム機構) as the channel for code acquisition.
 *
 * An intermediate server sends the resident-record code (住民票コード) with a one-time
 * acquisition number (取得番号); J-LIS turns the resident-record code into the person's key
 * for the NWS (情報提供用個人識別符号: here a keyed hash with J-LIS's own secret, so no one
 * else can compute it), and carries the NWS's answer back with the acquisition number. It
 * remembers only which server asked, until the answer passes. */
#include "kinds/kinds.h"

#include <errno.h>
#include <stdlib.h>

typedef struct jlis {
    uint64_t secret[2];
    sim_map asked;          /* flow -> node of the server that asked */
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
    jlis *j = self->state;
    flow_msg *m = msg->payload;
    msg->payload = NULL;
    if (msg->type == d->msg_type[FLOW_CODE_REQUEST] && sim_map_put(&j->asked, m->flow, msg->src) == 0) {
        m->person_key = node_jlis_person_key(self, m->resident_code);
        m->resident_code = 0;
        domain_send(self, d->nws, FLOW_CODE_REQUEST, m, 256);
    } else if (msg->type == d->msg_type[FLOW_CODE_RESPONSE]) {
        uint64_t server;
        if (sim_map_del(&j->asked, m->flow, &server))
            domain_send(self, (uint32_t)server, FLOW_CODE_RESPONSE, m, 256);
        else
            domain_msg_free(m);
    } else {
        domain_msg_free(m);
    }
    sim_msg_free(self->world, msg);
}

static void jlis_destroy(sim_node *self)
{
    jlis *j = self->state;
    if (!j) return;
    sim_map_free(&j->asked);
    free(j);
}

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
    return 0;
}
