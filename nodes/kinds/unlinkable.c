/* kinds/unlinkable.c - the invariant that keeps the linkage network from leaking in chains
 * (芋づる式の漏えい, seed slide 3): no node other than the NWS ever holds a resident-derived
 * key (a resident-record code, or J-LIS's person key made from one) and an agency code of the
 * same person. Checked on every message of every run: a flow listener notes, for the sender
 * and the receiver of each message, which persons' resident-derived keys and agency codes it
 * has held; the first node to hold both breaks the invariant. The checker may know what no
 * node does (J-LIS's key of a resident-record code, the person behind a code at the NWS): it
 * observes, never steers. */
#include "kinds/kinds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "domain/checker.h"

enum { HELD_KEY = 1, HELD_CODE = 2 };

typedef struct unlink_watch {
    domain *d;
    sim_map held;               /* hash(node, person) -> HELD_KEY | HELD_CODE */
    uint64_t broken;            /* (node, person) pairs that came to hold both */
    char first[120];            /* the first of them, for people */
    bool oom;                   /* a holding could not be noted: the check cannot be trusted */
} unlink_watch;

static const sim_world_ext_key watch_key = {"unlinkability watch"};

static uint64_t held_key(uint32_t node, uint64_t person)
{
    uint64_t h = person ^ ((uint64_t)node * UINT64_C(0xd6e8feb86659fd93));
    h = (h ^ (h >> 32)) * UINT64_C(0xd6e8feb86659fd93);
    h = (h ^ (h >> 32)) * UINT64_C(0xd6e8feb86659fd93);
    return (h ^ (h >> 32)) | 1;   /* never 0, the map's reserved key */
}

static void note(unlink_watch *u, const sim_node *n, uint64_t person, unsigned what)
{
    if (!person || n->id == u->d->nws) return;
    uint64_t key = held_key(n->id, person), flags = 0;
    sim_map_get(&u->held, key, &flags);
    if (flags & what) return;
    if (sim_map_put(&u->held, key, flags | what) < 0) {
        u->oom = true;
        return;
    }
    if ((flags | what) == (HELD_KEY | HELD_CODE) && u->broken++ == 0)
        snprintf(u->first, sizeof u->first, "%s holds a resident-derived key and an agency code of one person",
                 n->name);
}

static void on_sent(void *ud, const sim_node *from, uint32_t to, flow_kind kind, const flow_msg *m)
{
    (void)kind;
    if (!m->code && !m->resident_code && !m->person_key) return;   /* most messages */
    unlink_watch *u = ud;
    domain *d = u->d;
    uint64_t key_person = m->person_key, code_person = 0;
    sim_node *jlis = d->jlis != UINT32_MAX ? sim_world_node(d->w, d->jlis) : NULL;
    if (m->resident_code && jlis) key_person = node_jlis_person_key(jlis, m->resident_code);
    sim_node *nws = d->nws != UINT32_MAX ? sim_world_node(d->w, d->nws) : NULL;
    if (m->code && nws && node_nws_person_of(nws, m->code, &code_person) < 0) code_person = 0;
    const sim_node *dest = sim_world_node(d->w, to);
    const sim_node *holders[2] = {from, dest};
    for (int i = 0; i < 2; i++) {
        if (!holders[i]) continue;
        note(u, holders[i], key_person, HELD_KEY);
        note(u, holders[i], code_person, HELD_CODE);
    }
}

static int check_unlinkable(domain *d, void *ud, char *detail, size_t n)
{
    unlink_watch *u = sim_world_ext(d->w, &watch_key);
    (void)ud;
    if (!u || d->nws == UINT32_MAX) return DOMAIN_CHECK_NOT_APPLICABLE;
    if (u->oom) return -ENOMEM;
    if (u->broken)
        snprintf(detail, n, "%llu node-person pair(s): %s", (unsigned long long)u->broken, u->first);
    else
        snprintf(detail, n, "%zu holdings watched, none linked", sim_map_len(&u->held));
    return u->broken == 0;
}

static void watch_free(void *p)
{
    unlink_watch *u = p;
    sim_map_free(&u->held);
    free(u);
}

int node_unlinkable_register(domain *d)
{
    if (!sim_world_ext(d->w, &watch_key)) {
        unlink_watch *u = calloc(1, sizeof *u);
        if (!u) return -ENOMEM;
        u->d = d;
        int rc = sim_world_ext_attach(d->w, &watch_key, u, watch_free);
        if (rc < 0) {
            watch_free(u);
            return rc;
        }
        /* The domain is freed with the world too, so the listener is never removed. */
        rc = domain_listen(d, &(domain_flow_listener){.sent = on_sent, .ud = u});
        if (rc < 0) return rc;
    }
    return domain_check_register(d, DOMAIN_INV_UNLINKABLE,
                                 "no node but the NWS holds a resident-derived key and an agency code of one person",
                                 check_unlinkable, NULL);
}
