/* domain/staff.c - the staff accounts of a body's intermediate server: which staff members
 * exist there and which procedures (事務手続) each may use. Identifying and authorising the
 * staff member who inquires is the inquirer's duty (seed slide 14), done at its own server;
 * the staff id never travels further (the NWS and the provider see only that it was checked). */
#include "domain/domain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct domain_staff {
    sim_map index;                          /* staff id -> account index + 1 */
    uint8_t (*procs)[MAX_PROCEDURES / 8];   /* per account: the procedures it may use */
    uint32_t *ids;                          /* per account, in the order declared */
    size_t n, cap;
} domain_staff;

int domain_staff_add(body *b, uint32_t staff, int procedure)
{
    if (staff == 0 || procedure < 0 || procedure >= MAX_PROCEDURES) return -EINVAL;
    if (!b->staff && !(b->staff = calloc(1, sizeof *b->staff))) return -ENOMEM;
    domain_staff *s = b->staff;
    uint64_t index;
    if (!sim_map_get(&s->index, staff, &index)) {
        if (s->n == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 8;
            uint8_t (*p)[MAX_PROCEDURES / 8] = realloc(s->procs, cap * sizeof *p);
            if (!p) return -ENOMEM;
            s->procs = p;
            uint32_t *ids = realloc(s->ids, cap * sizeof *ids);
            if (!ids) return -ENOMEM;
            s->ids = ids;
            s->cap = cap;
        }
        if (sim_map_put(&s->index, staff, s->n + 1) < 0) return -ENOMEM;
        memset(s->procs[s->n], 0, sizeof s->procs[s->n]);
        s->ids[s->n] = staff;
        index = ++s->n;
    }
    s->procs[index - 1][procedure / 8] |= (uint8_t)(1u << (procedure % 8));
    return 0;
}

static bool may(const domain_staff *s, size_t account, int procedure)
{
    return procedure >= 0 && procedure < MAX_PROCEDURES && s->procs[account][procedure / 8] & (1u << (procedure % 8));
}

flow_error domain_staff_check(const body *b, uint32_t staff, int procedure)
{
    if (staff == 0) return FLOW_NO_STAFF;
    if (!b->staff) return FLOW_OK;
    uint64_t index;
    if (!sim_map_get(&b->staff->index, staff, &index)) return FLOW_STAFF_NOT_PERMITTED;
    return may(b->staff, index - 1, procedure) ? FLOW_OK : FLOW_STAFF_NOT_PERMITTED;
}

uint32_t domain_staff_pick(const body *b, int procedure, sim_rng *r)
{
    if (!b->staff) return 1 + (uint32_t)sim_rng_below(r, 40);
    const domain_staff *s = b->staff;
    size_t allowed = 0;
    for (size_t i = 0; i < s->n; i++) allowed += may(s, i, procedure);
    if (!allowed) return 0;
    uint64_t k = sim_rng_below(r, (uint32_t)allowed);
    for (size_t i = 0; i < s->n; i++)
        if (may(s, i, procedure) && k-- == 0) return s->ids[i];
    return 0;
}

void domain_staff_free(body *b)
{
    if (!b->staff) return;
    sim_map_free(&b->staff->index);
    free(b->staff->procs);
    free(b->staff->ids);
    free(b->staff);
    b->staff = NULL;
}
