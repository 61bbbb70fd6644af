/* sim_world.c - the world's lifecycle, its pending events and its node registry.
 *
 * Events live in slab chunks of slots addressed by a 24-bit index; the queue (sim_queue.c)
 * holds only (time, seq << 24 | slot). Cancelling frees the slot at once and leaves a stale
 * queue entry that is skipped when it surfaces (its seq no longer matches the slot); when
 * stale entries outnumber live ones the queue is compacted, so cancel is O(1) amortised and
 * safe from inside any callback. */
#include "sim_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define DEFAULT_START INT64_C(1510498800000000)   /* 2017-11-13 00:00 JST */

int sim_world_create(const sim_world_config *cfg, sim_world **out)
{
    sim_world *w = calloc(1, sizeof *w);
    if (!w) return -ENOMEM;
    w->seed = cfg->seed;
    w->start = w->now = cfg->start ? cfg->start : DEFAULT_START;
    w->free_slot = EVENT_NO_SLOT;
    w->next_seq = 1;
    w->next_msg_id = 1;
    int rc = sim_queue_init(&w->queue);
    if (rc == 0) rc = sim_trace_init(&w->trace, cfg->trace_fd, cfg->trace_off || cfg->trace_level == SIM_TRACE_NONE);
    w->trace.bodies = cfg->trace_level == SIM_TRACE_ALL;
    if (rc == 0 && cfg->trace_zstd > 0 && !w->trace.off) rc = sim_trace_compress(&w->trace, cfg->trace_zstd);
    if (rc < 0) {
        sim_trace_free(&w->trace);
        sim_queue_free(&w->queue);
        free(w);
        return rc;
    }
    *out = w;
    return 0;
}

void sim_world_destroy(sim_world *w)
{
    if (!w) return;
    /* Pending messages are owned by their delivery events: free them without delivering. */
    sim_qentry e;
    while (sim_queue_pop(&w->queue, &e) == 0) {
        sim_event *ev = event_slot(w, (uint32_t)(e.key & EVENT_SLOT_MASK));
        if (ev->seq != e.key >> EVENT_SLOT_BITS) continue;
        if (ev->fn == sim_net_deliver_event) sim_msg_free(w, ev->ptr);
        ev->seq = 0;
    }
    for (uint32_t i = 0; i < w->nnodes; i++) {
        sim_node *n = w->nodes[i];
        if (n->kind->destroy) n->kind->destroy(n);
        free(n->name);
        free(n);
    }
    /* Extensions after the nodes: a node's destroy may still read its subsystem's state. */
    while (w->next > 0) {
        struct sim_world_ext *x = &w->ext[--w->next];
        if (x->free_fn) x->free_fn(x->p);
    }
    free(w->ext);
    free(w->nodes);
    free(w->name_index);
    free(w->kinds);
    sim_net_free(w);
    sim_msg_pool_free(w);
    free(w->msg_types);
    for (uint32_t i = 0; i < w->nchunks; i++) free(w->chunks[i]);
    free(w->chunks);
    sim_queue_free(&w->queue);
    sim_trace_free(&w->trace);
    free(w->snapshot_dir);
    free(w->halt_reason);
    free(w);
}

uint64_t sim_world_seed(const sim_world *w) { return w->seed; }
sim_time_t sim_world_now(const sim_world *w) { return w->now; }
sim_time_t sim_world_start(const sim_world *w) { return w->start; }
const sim_world_stats *sim_world_stats_get(const sim_world *w) { return &w->stats; }
void *sim_world_ext(const sim_world *w, const sim_world_ext_key *key)
{
    for (uint32_t i = 0; i < w->next; i++)
        if (w->ext[i].key == key) return w->ext[i].p;
    return NULL;
}

int sim_world_ext_attach(sim_world *w, const sim_world_ext_key *key, void *p, void (*free_fn)(void *))
{
    if (sim_world_ext(w, key)) return -EEXIST;
    if (w->next == w->cap_ext) {
        uint32_t cap = w->cap_ext ? w->cap_ext * 2 : 8;
        struct sim_world_ext *e = realloc(w->ext, cap * sizeof *e);
        if (!e) return -ENOMEM;
        w->ext = e;
        w->cap_ext = cap;
    }
    w->ext[w->next++] = (struct sim_world_ext){key, p, free_fn};
    return 0;
}

void *sim_world_ext_detach(sim_world *w, const sim_world_ext_key *key)
{
    for (uint32_t i = 0; i < w->next; i++) {
        if (w->ext[i].key != key) continue;
        void *p = w->ext[i].p;
        memmove(&w->ext[i], &w->ext[i + 1], (w->next - i - 1) * sizeof *w->ext);
        w->next--;
        return p;
    }
    return NULL;
}

int sim_world_set_start(sim_world *w, sim_time_t start)
{
    if (w->started || w->stats.events) return -EBUSY;
    if (start < 0) return -ERANGE;   /* the queue orders times >= 0 (sim_queue.h) */
    w->start = w->now = start;
    return 0;
}

/* ---- events ---------------------------------------------------------------------------- */

static int slot_alloc(sim_world *w, uint32_t *out)
{
    if (w->free_slot != EVENT_NO_SLOT) {
        *out = w->free_slot;
        w->free_slot = event_slot(w, *out)->aux;
        return 0;
    }
    if (w->nslots == w->nchunks * EVENT_CHUNK) {
        if (w->nchunks == EVENT_MAX_CHUNKS) return -ENOSPC;
        sim_event **chunks = realloc(w->chunks, (w->nchunks + 1) * sizeof *chunks);
        if (!chunks) return -ENOMEM;
        w->chunks = chunks;
        chunks[w->nchunks] = calloc(EVENT_CHUNK, sizeof(sim_event));
        if (!chunks[w->nchunks]) return -ENOMEM;
        w->nchunks++;
    }
    *out = w->nslots++;
    return 0;
}

static void slot_release(sim_world *w, uint32_t slot, sim_event *ev)
{
    ev->seq = 0;
    ev->aux = w->free_slot;
    w->free_slot = slot;
}

int sim_world_schedule(sim_world *w, sim_time_t at, sim_event_fn fn, void *ptr, uint64_t tag,
                       uint32_t node, sim_event_id *id)
{
    if (at < w->now) return -EINVAL;
    if (w->next_seq > EVENT_SEQ_MAX) return -EOVERFLOW;
    uint32_t slot;
    int rc = slot_alloc(w, &slot);
    if (rc < 0) return rc;
    uint64_t key = w->next_seq << EVENT_SLOT_BITS | slot;
    rc = sim_queue_push(&w->queue, at, key);
    if (rc < 0) {
        sim_event *ev = event_slot(w, slot);
        slot_release(w, slot, ev);
        return rc;
    }
    sim_event *ev = event_slot(w, slot);
    *ev = (sim_event){.seq = w->next_seq++, .fn = fn, .ptr = ptr, .tag = tag, .node = node};
    w->started = true;
    if (id) *id = key;
    return 0;
}

static int keep_live(void *ctx, const sim_qentry *e)
{
    const sim_world *w = ctx;
    return event_slot(w, (uint32_t)(e->key & EVENT_SLOT_MASK))->seq == e->key >> EVENT_SLOT_BITS;
}

int sim_world_cancel(sim_world *w, sim_event_id id)
{
    uint32_t slot = (uint32_t)(id & EVENT_SLOT_MASK);
    uint64_t seq = id >> EVENT_SLOT_BITS;
    if (seq == 0 || slot >= w->nslots) return -ENOENT;
    sim_event *ev = event_slot(w, slot);
    if (ev->seq != seq) return -ENOENT;
    slot_release(w, slot, ev);
    w->stale++;
    w->stats.cancelled++;
    if (w->stale > 1024 && w->stale > sim_queue_size(&w->queue) / 2) {
        sim_queue_filter(&w->queue, keep_live, w);
        w->stale = 0;
    }
    return 0;
}

size_t sim_world_pending(const sim_world *w) { return sim_queue_size(&w->queue) - w->stale; }

/* Drop stale entries from the head so the head, if any, is a live event. */
static int head_live(sim_world *w, sim_qentry *e)
{
    for (;;) {
        if (sim_queue_peek(&w->queue, e) < 0) return -ENOENT;
        if (keep_live(w, e)) return 0;
        sim_queue_pop(&w->queue, e);
        w->stale--;
    }
}

int sim_world_next_time(sim_world *w, sim_time_t *out)
{
    sim_qentry e;
    int rc = head_live(w, &e);
    if (rc == 0) *out = e.time;
    return rc;
}

uint64_t sim_world_run(sim_world *w, sim_time_t limit, uint64_t max_events)
{
    uint64_t done = 0;
    sim_qentry e;
    w->yield = false;
    while (!w->halt_status && !w->yield && (max_events == 0 || done < max_events)) {
        if (sim_queue_pop(&w->queue, &e) < 0) break;
        uint32_t slot = (uint32_t)(e.key & EVENT_SLOT_MASK);
        sim_event *ev = event_slot(w, slot);
        if (ev->seq != e.key >> EVENT_SLOT_BITS) {
            w->stale--;
            continue;
        }
        if (e.time > limit) {
            /* Put it back: same time and key, so the order is unchanged. */
            sim_queue_push(&w->queue, e.time, e.key);
            break;
        }
        sim_event run = *ev;
        slot_release(w, slot, ev);   /* the callback may schedule into this slot */
        w->now = e.time;
        w->stats.events++;
        done++;
        run.fn(w, run.ptr, run.tag, run.node);
    }
    return done;
}

void sim_world_advance(sim_world *w, sim_time_t t)
{
    if (t > w->now) w->now = t;
}

void sim_world_yield(sim_world *w) { w->yield = true; }

void sim_world_halt(sim_world *w, int status, const char *reason)
{
    if (w->halt_status) return;
    w->halt_status = status ? status : 1;
    w->halt_reason = strdup(reason ? reason : "halted");
}

int sim_world_halted(const sim_world *w, const char **reason)
{
    if (reason) *reason = w->halt_reason;
    return w->halt_status;
}

size_t sim_world_event_bytes(const sim_world *w)
{
    return (size_t)w->nchunks * EVENT_CHUNK * sizeof(sim_event) + sim_queue_bytes(&w->queue);
}

void sim_world_note(sim_world *w, const char *kind, const char *node, const char *text)
{
    if (!sim_trace_begin(&w->trace, w->now, kind)) return;
    if (node) sim_trace_field_str(&w->trace, "node", node);
    sim_trace_field_str(&w->trace, "detail", text);
    sim_trace_end(&w->trace);
}

void sim_world_log(sim_world *w, const char *node, const char *text) { sim_world_note(w, "log", node, text); }

int sim_world_set_snapshots(sim_world *w, const char *dir, const char *inputs)
{
    char *copy = dir ? strdup(dir) : NULL;
    if (dir && !copy) return -ENOMEM;
    free(w->snapshot_dir);
    w->snapshot_dir = copy;
    snprintf(w->snapshot_inputs, sizeof w->snapshot_inputs, "%s", inputs ? inputs : "");
    return 0;
}

const char *sim_world_snapshot_used(const sim_world *w, const char **key)
{
    if (key) *key = w->snapshot_key;
    return w->snapshot_status;
}

int sim_world_trace_hash(sim_world *w, char hex[65]) { return sim_trace_finish(&w->trace, hex); }
void sim_world_trace_quiesce(sim_world *w) { sim_trace_quiesce(&w->trace); }
int sim_world_trace_errno(const sim_world *w) { return w->trace.write_errno; }
uint64_t sim_world_trace_records(const sim_world *w) { return w->trace.records; }

void sim_world_set_trace_tap(sim_world *w, void (*tap)(void *ud, const char *line, size_t len), void *ud)
{
    w->trace.tap = tap;
    w->trace.tap_ud = ud;
}

/* ---- nodes ----------------------------------------------------------------------------- */

uint64_t sim_name_hash(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);   /* FNV-1a, then a final mix */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * UINT64_C(0x100000001b3);
    h ^= h >> 33;
    h *= UINT64_C(0xff51afd7ed558ccd);
    return h ^ (h >> 33);
}

int sim_world_register_kind(sim_world *w, const sim_node_kind *kind)
{
    if (sim_world_find_kind(w, kind->name)) return -EEXIST;
    const sim_node_kind **k = realloc(w->kinds, (w->nkinds + 1) * sizeof *k);
    if (!k) return -ENOMEM;
    k[w->nkinds++] = kind;
    w->kinds = k;
    return 0;
}

const sim_node_kind *sim_world_find_kind(const sim_world *w, const char *name)
{
    for (uint32_t i = 0; i < w->nkinds; i++)
        if (strcmp(w->kinds[i]->name, name) == 0) return w->kinds[i];
    return NULL;
}

static void name_insert(uint32_t *index, uint32_t cap, uint64_t hash, uint32_t id)
{
    uint32_t i = (uint32_t)hash & (cap - 1);
    while (index[i] != UINT32_MAX) i = (i + 1) & (cap - 1);
    index[i] = id;
}

static int name_grow(sim_world *w)
{
    uint32_t cap = w->name_cap ? w->name_cap * 2 : 64;
    uint32_t *index = malloc(cap * sizeof *index);
    if (!index) return -ENOMEM;
    memset(index, 0xff, cap * sizeof *index);
    for (uint32_t i = 0; i < w->nnodes; i++)
        name_insert(index, cap, sim_name_hash(w->nodes[i]->name), i);
    free(w->name_index);
    w->name_index = index;
    w->name_cap = cap;
    return 0;
}

sim_node *sim_world_find_node(const sim_world *w, const char *name)
{
    if (!w->name_cap) return NULL;
    uint32_t i = (uint32_t)sim_name_hash(name) & (w->name_cap - 1);
    for (; w->name_index[i] != UINT32_MAX; i = (i + 1) & (w->name_cap - 1)) {
        sim_node *n = w->nodes[w->name_index[i]];
        if (strcmp(n->name, name) == 0) return n;
    }
    return NULL;
}

int sim_world_add_node(sim_world *w, const sim_node_kind *kind, const char *name, void *state,
                       sim_node **out)
{
    if (!name || !*name) return -EINVAL;
    if (sim_world_find_node(w, name)) return -EEXIST;
    if (w->nnodes == UINT32_MAX - 1) return -ENOSPC;
    if ((w->nnodes + 1) * 2 > w->name_cap && name_grow(w) < 0) return -ENOMEM;
    if (w->nnodes == w->cap_nodes) {
        uint32_t cap = w->cap_nodes ? w->cap_nodes * 2 : 64;
        sim_node **nodes = realloc(w->nodes, cap * sizeof *nodes);
        if (!nodes) return -ENOMEM;
        w->nodes = nodes;
        w->cap_nodes = cap;
    }
    sim_node *n = calloc(1, sizeof *n);
    char *copy = strdup(name);
    if (!n || !copy) {
        free(n);
        free(copy);
        return -ENOMEM;
    }
    *n = (sim_node){.world = w, .kind = kind, .state = state, .name = copy, .id = w->nnodes,
                    .up = true};
    sim_rng_derive(&n->rng, w->seed, name);
    w->nodes[w->nnodes++] = n;
    name_insert(w->name_index, w->name_cap, sim_name_hash(name), n->id);
    if (out) *out = n;
    return 0;
}

sim_node *sim_world_node(const sim_world *w, uint32_t id)
{
    return id < w->nnodes ? w->nodes[id] : NULL;
}

uint32_t sim_world_node_count(const sim_world *w) { return w->nnodes; }

static void node_start_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    sim_node *n = w->nodes[node];
    if (n->up && n->kind->start) n->kind->start(n);
}

int sim_world_start_nodes(sim_world *w)
{
    for (uint32_t i = 0; i < w->nnodes; i++) {
        if (!w->nodes[i]->kind->start) continue;
        int rc = sim_world_schedule(w, w->start, node_start_event, NULL, 0, i, NULL);
        if (rc < 0) return rc;
    }
    return 0;
}
