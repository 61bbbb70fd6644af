/* sim_map.c - the 64-bit hash map (see sim_map.h). */
#include "sim_map.h"

#include <errno.h>
#include <stdlib.h>

static size_t slot_of(const sim_map *m, uint64_t key)
{
    key ^= key >> 33;   /* murmur3's finaliser: ids are often sequential */
    key *= UINT64_C(0xff51afd7ed558ccd);
    key ^= key >> 33;
    return (size_t)key & (m->cap - 1);
}

void sim_map_free(sim_map *m)
{
    free(m->keys);
    free(m->vals);
    *m = (sim_map){0};
}

static int grow(sim_map *m)
{
    sim_map bigger = {.cap = m->cap ? m->cap * 2 : 64};
    bigger.keys = calloc(bigger.cap, sizeof *bigger.keys);
    bigger.vals = malloc(bigger.cap * sizeof *bigger.vals);
    if (!bigger.keys || !bigger.vals) {
        sim_map_free(&bigger);
        return -ENOMEM;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i] && sim_map_put(&bigger, m->keys[i], m->vals[i]) < 0) {   /* cannot: it has room */
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
    while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) m->len++;
    m->keys[i] = key;
    m->vals[i] = val;
    return 0;
}

bool sim_map_get(const sim_map *m, uint64_t key, uint64_t *val)
{
    if (!m->cap || key == 0) return false;
    for (size_t i = slot_of(m, key); m->keys[i]; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] != key) continue;
        if (val) *val = m->vals[i];
        return true;
    }
    return false;
}

bool sim_map_del(sim_map *m, uint64_t key, uint64_t *val)
{
    if (!m->cap || key == 0) return false;
    size_t mask = m->cap - 1, i = slot_of(m, key);
    while (m->keys[i] != key) {
        if (!m->keys[i]) return false;
        i = (i + 1) & mask;
    }
    if (val) *val = m->vals[i];
    /* Backward shift: move later members of the probe run into the hole when allowed. */
    for (size_t j = (i + 1) & mask; m->keys[j]; j = (j + 1) & mask) {
        size_t home = slot_of(m, m->keys[j]);
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = 0;
    m->len--;
    return true;
}
