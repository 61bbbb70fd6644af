/* sim_map.h - a hash map from 64-bit keys to 64-bit values (open addressing, linear probing,
 * backward-shift deletion, so no tombstones build up). For the engine and node kinds that
 * track things by id: pending inquiries by flow id, codes by number. Key 0 is reserved. */
#ifndef RENKEI_SIM_MAP_H
#define RENKEI_SIM_MAP_H

#include "sim_must.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A key and its value side by side: a lookup touches one cache line, not two arrays. */
typedef struct sim_map_slot {
    uint64_t key, val;          /* key 0: the slot is free */
} sim_map_slot;

typedef struct sim_map {
    sim_map_slot *slots;
    size_t cap, len;            /* cap is a power of two, or 0 */
} sim_map;

void sim_map_free(sim_map *m);
/* Insert or replace. 0, -EINVAL for key 0, -ENOMEM. */
SIM_MUST_CHECK int sim_map_put(sim_map *m, uint64_t key, uint64_t val);
bool sim_map_get(const sim_map *m, uint64_t key, uint64_t *val);
bool sim_map_del(sim_map *m, uint64_t key, uint64_t *val);   /* val may be NULL */
/* dst (freed first) becomes a copy of src, slot for slot. 0 or -ENOMEM (dst is then empty). */
SIM_MUST_CHECK int sim_map_copy(sim_map *dst, const sim_map *src);
static inline size_t sim_map_len(const sim_map *m) { return m->len; }
/* The key in slot i (0 <= i < m->cap; 0: free): to visit every member, in slot order. */
static inline uint64_t sim_map_key_at(const sim_map *m, size_t i) { return m->slots[i].key; }

#endif
