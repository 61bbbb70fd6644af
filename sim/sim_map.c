/* sim_map.c - the 64-bit hash map (see sim_map.h). */
#include "sim_map.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t slot_of(const sim_map *m, uint64_t key)
{
    key ^= key >> 33;   /* murmur3's finaliser: ids are often sequential */
    key *= UINT64_C(0xff51afd7ed558ccd);
    key ^= key >> 33;
    return (size_t)key & (m->cap - 1);
}

void sim_map_free(sim_map *m)
{
    free(m->slots);
    *m = (sim_map){0};
}

static int grow(sim_map *m)
{
    sim_map bigger = {.cap = m->cap ? m->cap * 2 : 64};
    bigger.slots = calloc(bigger.cap, sizeof *bigger.slots);
    if (!bigger.slots) return -ENOMEM;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key && sim_map_put(&bigger, m->slots[i].key, m->slots[i].val) < 0) {   /* cannot: it has room */
            sim_map_free(&bigger);
            return -ENOMEM;
        }
    sim_map_free(m);
    *m = bigger;
    return 0;
}

int sim_map_put(sim_map *m, uint64_t key, uint64_t val)
{
    if (key == 0) return -EINVAL;
    if ((m->len + 1) * 4 > m->cap * 3 && grow(m) < 0) return -ENOMEM;
    size_t i = slot_of(m, key);
    while (m->slots[i].key && m->slots[i].key != key) i = (i + 1) & (m->cap - 1);
    if (!m->slots[i].key) m->len++;
    m->slots[i] = (sim_map_slot){key, val};
    return 0;
}

bool sim_map_get(const sim_map *m, uint64_t key, uint64_t *val)
{
    if (!m->cap || key == 0) return false;
    for (size_t i = slot_of(m, key); m->slots[i].key; i = (i + 1) & (m->cap - 1)) {
        if (m->slots[i].key != key) continue;
        if (val) *val = m->slots[i].val;
        return true;
    }
    return false;
}

bool sim_map_del(sim_map *m, uint64_t key, uint64_t *val)
{
    if (!m->cap || key == 0) return false;
    size_t mask = m->cap - 1, i = slot_of(m, key);
    while (m->slots[i].key != key) {
        if (!m->slots[i].key) return false;
        i = (i + 1) & mask;
    }
    if (val) *val = m->slots[i].val;
    /* Backward shift: move later members of the probe run into the hole when allowed. */
    for (size_t j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
        size_t home = slot_of(m, m->slots[j].key);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i].key = 0;
    m->len--;
    return true;
}

int sim_map_copy(sim_map *dst, const sim_map *src)
{
    sim_map_free(dst);
    if (!src->cap) return 0;
    dst->slots = malloc(src->cap * sizeof *dst->slots);
    if (!dst->slots) return -ENOMEM;
    memcpy(dst->slots, src->slots, src->cap * sizeof *dst->slots);
    dst->cap = src->cap;
    dst->len = src->len;
    return 0;
}
