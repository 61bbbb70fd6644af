/* sim_internal.h - the world's layout, shared by the engine's own files (sim/sim_*.c) only.
 *
 * Nodes and scripts use the public headers; this one exists so the engine's modules (events,
 * nodes, links, messages, trace) can reach each other's state without accessor churn. */
#ifndef RENKEI_SIM_INTERNAL_H
#define RENKEI_SIM_INTERNAL_H

#include "sim_msg.h"
#include "sim_net.h"
#include "sim_node.h"
#include "sim_queue.h"
#include "sim_trace.h"
#include "sim_world.h"

/* A pending event's slot: 40 bytes, the queue entry adds 16. seq == 0 marks a free slot. */
typedef struct sim_event {
    uint64_t seq;
    sim_event_fn fn;
    void *ptr;
    uint64_t tag;
    uint32_t node;
    uint32_t aux;           /* the node's epoch for node timers; the next free slot when free */
} sim_event;

enum {
    EVENT_SLOT_BITS = 24,
    EVENT_CHUNK_BITS = 10,      /* 40 KiB chunks: little rounding waste at small sizes */
    EVENT_CHUNK = 1 << EVENT_CHUNK_BITS,
    EVENT_MAX_CHUNKS = 1 << (EVENT_SLOT_BITS - EVENT_CHUNK_BITS),
};
#define EVENT_SLOT_MASK ((UINT64_C(1) << EVENT_SLOT_BITS) - 1)
#define EVENT_SEQ_MAX ((UINT64_C(1) << (64 - EVENT_SLOT_BITS)) - 1)
#define EVENT_NO_SLOT UINT32_MAX

typedef struct sim_dlink {          /* one direction of a link */
    uint32_t from, to;
    sim_link_params p;
    sim_time_t busy_until;          /* the sender side is serialising until then */
    sim_time_t last_arrival;        /* deliveries stay in order */
    uint16_t epoch;                 /* bumped when the link goes down */
    sim_rng rng;
} sim_dlink;

typedef struct sim_msg_chunk sim_msg_chunk;

struct sim_world {
    uint64_t seed;
    sim_time_t now, start;
    bool started;                   /* something was scheduled: start is fixed */

    /* events */
    sim_queue queue;
    sim_event **chunks;
    uint32_t nchunks, nslots;
    uint32_t free_slot;
    uint64_t next_seq;
    size_t stale;                   /* queue entries whose event was cancelled */
    bool yield;                     /* leave sim_world_run() after this event */
    int halt_status;
    char *halt_reason;

    /* nodes */
    sim_node **nodes;
    uint32_t nnodes, cap_nodes;
    uint32_t *name_index;           /* open addressing: node ids, UINT32_MAX = empty */
    uint32_t name_cap;
    const sim_node_kind **kinds;
    uint32_t nkinds;

    /* links */
    sim_dlink *dlinks;
    uint32_t ndlinks, cap_dlinks;
    uint32_t *link_index;           /* open addressing: dlink index, UINT32_MAX = empty */
    uint32_t link_cap;

    /* messages */
    const sim_msg_type **msg_types;
    uint32_t nmsg_types;
    sim_msg **msg_free;             /* free list of pooled messages (stack) */
    uint32_t nmsg_free, cap_msg_free;
    sim_msg_chunk *msg_chunks;
    uint64_t next_msg_id;

    sim_trace trace;
    sim_world_stats stats;
    char *snapshot_dir;         /* sim_snapshot.h: where snapshots are kept; NULL: off */
    char snapshot_inputs[65];   /* the digest of the run's scripts and parameters */
    char snapshot_key[65];      /* the snapshot this run read or wrote ("": none) */
    const char *snapshot_status;   /* "read", "written", "rebuilt" (it was damaged), "not_kept" */
    struct sim_world_ext {      /* sim_world_ext_attach: in the order attached */
        const sim_world_ext_key *key;
        void *p;
        void (*free_fn)(void *);
    } *ext;
    uint32_t next, cap_ext;
};

static inline sim_event *event_slot(const sim_world *w, uint32_t slot)
{
    return &w->chunks[slot >> EVENT_CHUNK_BITS][slot & (EVENT_CHUNK - 1)];
}

/* sim_msg.c */
void sim_msg_pool_free(sim_world *w);
/* sim_net.c */
void sim_net_free(sim_world *w);
void sim_net_deliver_event(sim_world *w, void *msg, uint64_t tag, uint32_t node);
/* sim_world.c */
uint64_t sim_name_hash(const char *s);

#endif
