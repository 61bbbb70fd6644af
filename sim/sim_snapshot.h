/* sim_snapshot.h - snapshots of the state a run builds before its first event (the day before:
 * residents, their codes, replicas), kept as SQLite files and read back on later runs.
 *
 * A snapshot is the directory ROOT/KEY holding one NAME.sqlite per store and a MANIFEST of
 * their SHA-256 digests (`sha256sum -c MANIFEST` checks it by hand). KEY is a SHA-256 over
 * everything that determines the state: the renkei binary itself, the run's inputs (the
 * digests of its scripts and parameters, sim_world_set_snapshots) and what the caller adds
 * (its seed, scale, tables, random streams). Any change gives another KEY: a stale snapshot is
 * never read. A snapshot is written under a temporary name and renamed into place whole, so
 * runs in parallel never read one half-written; one whose files do not match their digests
 * (truncated, corrupted) is reported and removed, and the caller builds the state again.
 * The world carries ROOT and the inputs' digest; no ROOT: snapshots are off. */
#ifndef RENKEI_SIM_SNAPSHOT_H
#define RENKEI_SIM_SNAPSHOT_H

#include <stddef.h>

#include "sim_store.h"
#include "sim_world.h"

/* mkdir -p: path and every missing parent. 0 or -errno (-EINVAL for ""). */
int sim_make_dirs(const char *path);

/* The digest of a run's inputs for sim_world_set_snapshots: the bytes of each script file and
 * each parameter (KEY=VALUE), in order. Returns 0 or -errno (a file that cannot be read). */
int sim_snapshot_inputs(const char *const *files, int nfiles, const char *const *params, int nparams, char hex[65]);

/* The key for a state built from `state` (n bytes the caller says determine it) in this world:
 * 64 hex digits. Returns 0, -EINVAL (snapshots are off in w) or -EIO. */
int sim_snapshot_key(sim_world *w, const void *state, size_t n, char key[65]);

/* Read the snapshot KEY into the stores (stores[i] from names[i].sqlite). Returns 1 when read,
 * 0 when there is none, -EBADMSG when it is damaged (why says which file and how; it has been
 * removed and the stores are untouched: build them as without it) or another negative errno
 * (why says; the stores may hold part of it). Every file is checked against MANIFEST first. */
int sim_snapshot_load(sim_world *w, const char *key, sim_store *const *stores, const char *const *names,
                      size_t n, char *why, size_t whylen);

/* Write the stores as the snapshot KEY. Returns 0 (also when another run wrote it first) or a
 * negative errno (why says; nothing is left behind). Only the 4 snapshots used last are kept. */
int sim_snapshot_save(sim_world *w, const char *key, sim_store *const *stores, const char *const *names,
                      size_t n, char *why, size_t whylen);

#endif
