/* sim_world.h - the world: one simulation run's entire state, and the engine API on it.
 *
 * Everything a run owns hangs off one sim_world (no process globals), so two worlds can run
 * in one process. The engine is a discrete-event core: virtual time in microseconds
 * (sim_time.h), pending events ordered by (time, insertion sequence), node kinds as C vtables
 * (sim_node.h), links and messages (sim_net.h), a trace with a SHA-256 hash (sim_trace.h).
 * The engine knows nothing of the domain. Functions return 0 or a negative errno. */
#ifndef RENKEI_SIM_WORLD_H
#define RENKEI_SIM_WORLD_H

#include "sim_must.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_time.h"
#include "sim_trace.h"

typedef struct sim_world sim_world;
typedef struct sim_node sim_node;
typedef struct sim_node_kind sim_node_kind;

/* An event handle: (seq << 24 | slot). 0 is never a valid handle. Stale handles are harmless:
 * cancelling an event that already fired or was cancelled returns -ENOENT. */
typedef uint64_t sim_event_id;

/* The engine's callback for one event. `ptr`, `tag` and `node` are what was scheduled. */
typedef void (*sim_event_fn)(sim_world *w, void *ptr, uint64_t tag, uint32_t node);

typedef struct sim_world_config {
    uint64_t seed;
    sim_time_t start;          /* simulated start; 0 means the default, 2017-11-13 00:00 JST */
    int trace_fd;              /* write the canonical trace (JSON lines) here; -1 for none */
    bool trace_off;            /* no trace at all (benchmarks): no hash either */
    sim_trace_level trace_level;   /* how much it says (SIM_TRACE_NONE: as trace_off) */
    int trace_zstd;            /* > 0: the file is zstd at this level (the hash is the lines') */
} sim_world_config;

typedef struct sim_world_stats {
    uint64_t events;           /* events dispatched */
    uint64_t cancelled;
    uint64_t msgs_sent, msgs_delivered, msgs_dropped;
    uint64_t drops_no_link, drops_link_down, drops_loss, drops_node_down, drops_sender_down;
} sim_world_stats;

int  sim_world_create(const sim_world_config *cfg, sim_world **out);
void sim_world_destroy(sim_world *w);

uint64_t   sim_world_seed(const sim_world *w);
sim_time_t sim_world_now(const sim_world *w);
sim_time_t sim_world_start(const sim_world *w);
/* Move the start (and the clock) while nothing is scheduled yet; -EBUSY afterwards, -ERANGE
 * before time 0 (1970-01-01 09:00 JST): the queue orders times >= 0. */
int sim_world_set_start(sim_world *w, sim_time_t start);
const sim_world_stats *sim_world_stats_get(const sim_world *w);

/* Schedule fn at absolute time `at` (>= now). Returns 0 and the handle in *id (may be NULL). */
SIM_MUST_CHECK int sim_world_schedule(sim_world *w, sim_time_t at, sim_event_fn fn, void *ptr, uint64_t tag,
                       uint32_t node, sim_event_id *id);
int sim_world_cancel(sim_world *w, sim_event_id id);
size_t sim_world_pending(const sim_world *w);   /* live pending events */
/* Time of the next live event, or -ENOENT when none is pending. */
int sim_world_next_time(sim_world *w, sim_time_t *out);
/* Dispatch events in order while their time <= limit, at most max_events of them (0 = no
 * cap). Returns how many were dispatched. Stops early when sim_world_halt() was called. */
uint64_t sim_world_run(sim_world *w, sim_time_t limit, uint64_t max_events);
/* Stop the current sim_world_run() after the event being dispatched (a script error, an
 * engine error). The reason is kept; the first one wins. */
void sim_world_halt(sim_world *w, int status, const char *reason);
/* The status of a halt for an internal failure (not the script's): the run exits with it. */
enum { SIM_HALT_INTERNAL = 3 };
/* Make the current sim_world_run() return after the event being dispatched, without halting
 * (the driver paused or stopped the run from inside a callback). */
void sim_world_yield(sim_world *w);
int  sim_world_halted(const sim_world *w, const char **reason);   /* status, 0 = not halted */
/* Advance the clock to t (>= now) with nothing dispatched: for run-until with no events. */
void sim_world_advance(sim_world *w, sim_time_t t);

/* A "log" line in the trace, from a node (name) or from the scenario (NULL). */
void sim_world_log(sim_world *w, const char *node, const char *text);
/* The same with another record kind ("fault", ...): kind must be a JSON-safe literal. */
void sim_world_note(sim_world *w, const char *kind, const char *node, const char *text);
/* Snapshots of the state built before the run (sim_snapshot.h) are kept under dir (NULL:
 * none are read or written); inputs is a digest of the run's scripts and parameters, part of
 * every snapshot's key. Returns 0 or -ENOMEM. */
int sim_world_set_snapshots(sim_world *w, const char *dir, const char *inputs);
/* The snapshot this run used: its key and what became of it ("read", "written", "rebuilt":
 * it was damaged and written again, "not_kept": it could not be written). NULL: none. */
const char *sim_world_snapshot_used(const sim_world *w, const char **key);

/* The trace hash so far (64 hex digits); -EINVAL when tracing is off, -EIO if the trace
 * file could not be written (the hash is still right). */
int sim_world_trace_hash(sim_world *w, char hex[65]);
uint64_t sim_world_trace_records(const sim_world *w);
/* No trace-writing thread left running (sim_trace_quiesce): before fork(). */
void sim_world_trace_quiesce(sim_world *w);
/* After sim_world_trace_hash said -EIO: the errno of the write that failed (ENOSPC, EIO...). */
int sim_world_trace_errno(const sim_world *w);
/* A passive listener of trace lines (the dashboard's event log): called with each finished
 * line, without its newline. It must not change the world. NULL removes it. */
void sim_world_set_trace_tap(sim_world *w, void (*tap)(void *ud, const char *line, size_t len), void *ud);

/* Memory held by the event slab and queue, for the benchmark's bytes-per-event figure. */
size_t sim_world_event_bytes(const sim_world *w);

/* Nodes */
int sim_world_register_kind(sim_world *w, const sim_node_kind *kind);
const sim_node_kind *sim_world_find_kind(const sim_world *w, const char *name);
/* Create a node of `kind` named `name` (unique). `state` becomes node->state. */
int sim_world_add_node(sim_world *w, const sim_node_kind *kind, const char *name, void *state,
                       sim_node **out);
sim_node *sim_world_node(const sim_world *w, uint32_t id);   /* NULL when out of range */
sim_node *sim_world_find_node(const sim_world *w, const char *name);
uint32_t  sim_world_node_count(const sim_world *w);
/* Schedule every node's start callback at the start time, in creation order. */
int sim_world_start_nodes(sim_world *w);

/* Extensions: the Lua side (sim_lua.h) and the subsystems built on the engine keep their
 * per-world state here, each under a key it owns: the address of a static constant, so two
 * extensions can never take the same slot and the engine needs to know none of them. The
 * world frees what it holds (free_fn, when not NULL) after every node is destroyed, in the
 * reverse order of attachment; an extension with a life of its own (one that closes libuv
 * handles) attaches with free_fn NULL and detaches itself. */
typedef struct sim_world_ext_key {
    const char *name;           /* for people: what the extension is */
} sim_world_ext_key;
void *sim_world_ext(const sim_world *w, const sim_world_ext_key *key);   /* NULL: none */
/* -EEXIST when the key is attached already; -ENOMEM. */
SIM_MUST_CHECK int   sim_world_ext_attach(sim_world *w, const sim_world_ext_key *key, void *p, void (*free_fn)(void *));
/* Take the extension out without freeing it: its pointer, or NULL. */
void *sim_world_ext_detach(sim_world *w, const sim_world_ext_key *key);

#endif
