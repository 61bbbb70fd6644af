/* sim_store.h - a node's state store: one SQLite connection, tuned for a simulator.
 *
 * sim/ knows no domain tables: a node creates its own schema with sim_store_exec and then
 * works through statements it keeps in numbered slots. The caller binds parameters and reads
 * columns with the ordinary sqlite3_bind_* and sqlite3_column_* API; the store only decides
 * when statements are compiled (once per slot, on first use), when transactions open (lazily,
 * on the first write of a batch) and when they commit (sim_store_flush, which the engine
 * calls at batch boundaries, and sim_store_close). Reads see the batch's uncommitted writes,
 * since they use the same connection.
 *
 * A store is in memory by default; with a directory it is the file DIR/NAME.sqlite, created
 * afresh for each run and left behind for inspection. Durability is not a goal: the pragmas
 * trade it away for speed (see sim_store.c).
 *
 * Functions return 0 or a negative errno. On error sim_store_errmsg says what went wrong
 * until the next call on the same store. A store belongs to one thread (one world). */
#ifndef RENKEI_SIM_STORE_H
#define RENKEI_SIM_STORE_H

#include "sim_must.h"

#include <stdint.h>

#include <sqlite3.h>

/* Statement slots per store. A node numbers its statements itself, usually with an enum. */
#define SIM_STORE_SLOTS 64

typedef struct sim_store sim_store;

/* Opens a store. dir NULL: in memory (name only labels error messages). Otherwise the file
 * DIR/NAME.sqlite; DIR is created if missing (one level), and an existing file of that name is
 * removed first so every run starts empty. name must be non-empty and contain no '/'.
 * Returns 0 and sets *out; or sets *out to NULL and returns -EINVAL (bad name), -ENOMEM,
 * the errno of mkdir or remove, or -EIO (SQLite could not open or configure the file). */
int sim_store_open(const char *dir, const char *name, sim_store **out);

/* Commits the pending batch, finalizes every statement and closes the connection. NULL is a
 * no-op. Statements obtained from the store are invalid afterwards. */
void sim_store_close(sim_store *s);

/* Runs one or more SQL statements (schema, pragmas, one-off fixes). Does not open the batch
 * transaction: outside a batch each statement commits on its own. 0 or -EIO. */
SIM_MUST_CHECK int sim_store_exec(sim_store *s, const char *sql);

/* The statement cached in slot (0..SIM_STORE_SLOTS-1), compiled from sql on first use and
 * returned reset, with its bindings cleared, ready to bind. sql must be one statement.
 * Asking a slot for a different SQL text than it was compiled from is a caller bug: the store
 * returns NULL (in every build, so a test can see it) and leaves the slot as it was.
 * NULL also when the slot is out of range or sql does not compile. See sim_store_errmsg. */
sqlite3_stmt *sim_store_stmt(sim_store *s, int slot, const char *sql);

/* Runs a write statement (INSERT, UPDATE, DELETE) to completion inside the batch
 * transaction, opening it if none is open, then resets the statement (bindings stay).
 * Rows a RETURNING clause yields are discarded. Returns 0; -EEXIST on a constraint
 * violation (duplicate key, NOT NULL, CHECK, ...); -ENOSPC when the disk is full, really or
 * through the fault seam; -EIO otherwise. A failed write undoes only itself: the batch's
 * earlier writes stay and the next flush commits them. */
SIM_MUST_CHECK int sim_store_write(sim_store *s, sqlite3_stmt *st);

/* Steps a read statement: 1 when a row is available (read it with sqlite3_column_*), 0 when
 * there are no more rows (the statement is then reset), -EIO on error. */
int sim_store_read(sim_store *s, sqlite3_stmt *st);

/* Commits the batch transaction if one is open; a no-op otherwise. 0, or an error as for
 * sim_store_write (-EEXIST: a deferred constraint failed at commit). */
int sim_store_flush(sim_store *s);
/* Make dst an exact copy of src (tables, rows, indexes), with SQLite's backup API: for two
 * stores that must start identical, one write pass instead of two. */
int sim_store_copy(sim_store *dst, sim_store *src);

/* The whole database of s written to the file path (created or replaced), and the file at
 * path read back into s (replacing everything in it), with SQLite's backup API: the pending
 * batch is committed first. 0, -EIO (the message in sim_store_errmsg: a file that is not a
 * database, or a damaged one) or another negative errno. */
int sim_store_save_file(sim_store *s, const char *path);
int sim_store_load_file(sim_store *s, const char *path);

/* What the last failing call on s went wrong with; "" if none has failed. Never NULL. */
const char *sim_store_errmsg(const sim_store *s);

/* Counters for the run summary. writes: writes that succeeded. write_errors: writes that
 * failed, whatever the cause (constraint, fault seam, I/O). reads: rows returned by
 * sim_store_read. commits: batch transactions committed. */
typedef struct sim_store_stats {
    uint64_t writes, reads, commits, write_errors;
} sim_store_stats;

const sim_store_stats *sim_store_stats_get(const sim_store *s);

/* Fault seam for failure injection. SIM_STORE_FAULT_FULL: from now on every write fails
 * with -ENOSPC, as if the disk were full, without touching the database, so the batch's
 * earlier writes survive. SIM_STORE_FAULT_NONE clears it. Reads and flushes are unaffected. */
typedef enum { SIM_STORE_FAULT_NONE, SIM_STORE_FAULT_FULL } sim_store_fault;

void sim_store_set_fault(sim_store *s, sim_store_fault f);

#endif
