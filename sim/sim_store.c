/* sim_store.c - the node state store: one SQLite connection with cached statements, one
 * transaction per engine batch, counters, and a fault seam for disk-full injection.
 *
 * The run does millions of small writes and point lookups per simulated day, so the costs
 * that matter are per statement: compiling SQL (done once per slot, never per call) and
 * committing (once per batch, never per write). Everything else is a thin pass-through. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdir */
#endif

#include "sim_store.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct slot {
    sqlite3_stmt *st;
    char *sql; /* the text st was compiled from, to catch a slot reused for other SQL */
};

struct sim_store {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit;
    sim_store_fault fault;
    sim_store_stats stats;
    struct slot slots[SIM_STORE_SLOTS];
    char err[256];
    char name[]; /* labels error messages */
};

/* Pragmas for a simulator, where a crash loses the run anyway and the files exist only to be
 * looked at afterwards, so durability buys nothing:
 * - journal_mode=MEMORY, not OFF: the rollback journal stays in RAM, but it still exists,
 *   so a statement that fails half-way (a multi-row UPDATE hitting a constraint) is undone
 *   cleanly while the batch's earlier writes stay. OFF would leave that undefined.
 *   WAL is not needed either: there is one connection per database, no concurrent reader,
 *   and the file is recreated each run.
 * - synchronous=OFF: no fsync at commit.
 * - locking_mode=EXCLUSIVE: one connection per file, so the file locks taken and dropped
 *   around every transaction are pure system-call overhead.
 * - temp_store=MEMORY: sorts and temporary indices never touch disk.
 * - cache_size=-8192 (8 MiB): a cap, not an allocation, and only file stores are bounded by
 *   it (an in-memory database lives in its page cache). Large enough for a node's hot
 *   working set, small enough that thousands of file stores stay within a machine's RAM. */
static const char store_pragmas[] =
    "PRAGMA journal_mode=MEMORY;"
    "PRAGMA synchronous=OFF;"
    "PRAGMA locking_mode=EXCLUSIVE;"
    "PRAGMA temp_store=MEMORY;"
    "PRAGMA cache_size=-8192;";

static void set_err(sim_store *s, const char *what, const char *detail)
{
    snprintf(s->err, sizeof s->err, "%s: %s: %s", s->name, what, detail);
}

static void slot_err(sim_store *s, int slot, const char *detail)
{
    snprintf(s->err, sizeof s->err, "%s: slot %d: %s", s->name, slot, detail);
}

/* SQLite result code (primary or extended) to the negative errno the API promises. */
static int store_errno(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: return -EEXIST;
    case SQLITE_FULL: return -ENOSPC;
    default: return -EIO;
    }
}

/* Removes DIR/NAME.sqlite and anything SQLite may have left beside it: a stale hot journal
 * next to a fresh database would be "rolled back" into it on open. */
static int remove_old(const char *path, size_t len, char *buf)
{
    static const char *const suffix[] = {"", "-journal", "-wal", "-shm"};

    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(buf, len, "%s%s", path, suffix[i]);
        if (remove(buf) != 0 && errno != ENOENT)
            return -errno;
    }
    return 0;
}

static int open_db(sim_store *s, const char *dir)
{
    /* NOMUTEX: a store belongs to one world on one thread, so SQLite's per-call connection
     * mutex would be pure overhead. */
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    char *path = NULL, *tmp = NULL;
    size_t len;
    int rc;

    if (dir) {
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            rc = -errno;
            set_err(s, dir, strerror(errno));
            return rc;
        }
        len = strlen(dir) + strlen(s->name) + sizeof "/.sqlite-journal";
        path = malloc(len);
        tmp = malloc(len);
        if (!path || !tmp) {
            free(path);
            free(tmp);
            return -ENOMEM;
        }
        snprintf(path, len, "%s/%s.sqlite", dir, s->name);
        rc = remove_old(path, len, tmp);
        free(tmp);
        if (rc < 0) {
            set_err(s, path, strerror(-rc));
            free(path);
            return rc;
        }
    }
    rc = sqlite3_open_v2(path ? path : ":memory:", &s->db, flags, NULL);
    free(path);
    if (rc != SQLITE_OK) {
        set_err(s, "open", s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        return store_errno(rc);
    }
    if (sim_store_exec(s, store_pragmas) < 0)
        return -EIO;
    if (sqlite3_prepare_v3(s->db, "BEGIN", -1, SQLITE_PREPARE_PERSISTENT, &s->begin, NULL) ||
        sqlite3_prepare_v3(s->db, "COMMIT", -1, SQLITE_PREPARE_PERSISTENT, &s->commit, NULL)) {
        set_err(s, "open", sqlite3_errmsg(s->db));
        return -EIO;
    }
    return 0;
}

static void close_db(sim_store *s)
{
    for (int i = 0; i < SIM_STORE_SLOTS; i++) {
        sqlite3_finalize(s->slots[i].st);
        free(s->slots[i].sql);
    }
    sqlite3_finalize(s->begin);
    sqlite3_finalize(s->commit);
    sqlite3_close(s->db);
}

int sim_store_open(const char *dir, const char *name, sim_store **out)
{
    sim_store *s;
    size_t n;
    int rc;

    *out = NULL;
    if (!name || !*name || strchr(name, '/'))
        return -EINVAL;
    n = strlen(name) + 1;
    s = calloc(1, sizeof *s + n);
    if (!s)
        return -ENOMEM;
    memcpy(s->name, name, n);
    rc = open_db(s, dir);
    if (rc < 0) {
        close_db(s);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void sim_store_close(sim_store *s)
{
    if (!s)
        return;
    /* Nobody is left to hear about a failed final commit; the engine flushes (and reports)
     * before closing when it cares. */
    (void)sim_store_flush(s);
    close_db(s);
    free(s);
}

int sim_store_exec(sim_store *s, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_err(s, "exec", msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -EIO;
    }
    return 0;
}

static sqlite3_stmt *prepare_slot(sim_store *s, int slot, const char *sql)
{
    struct slot *sl = &s->slots[slot];
    const char *tail = NULL;
    sqlite3_stmt *st = NULL;
    size_t n = strlen(sql) + 1;

    if (sqlite3_prepare_v3(s->db, sql, (int)n, SQLITE_PREPARE_PERSISTENT, &st, &tail)) {
        slot_err(s, slot, sqlite3_errmsg(s->db));
        return NULL;
    }
    if (!st) {
        slot_err(s, slot, "no statement in SQL");
        return NULL;
    }
    /* Anything after the first statement would be silently ignored at every call. */
    tail += strspn(tail, " \t\r\n;");
    if (*tail) {
        sqlite3_finalize(st);
        slot_err(s, slot, "more than one statement in SQL");
        return NULL;
    }
    sl->sql = malloc(n);
    if (!sl->sql) {
        sqlite3_finalize(st);
        slot_err(s, slot, "out of memory");
        return NULL;
    }
    memcpy(sl->sql, sql, n);
    sl->st = st;
    return st;
}

sqlite3_stmt *sim_store_stmt(sim_store *s, int slot, const char *sql)
{
    struct slot *sl;

    if (slot < 0 || slot >= SIM_STORE_SLOTS) {
        slot_err(s, slot, "out of range");
        return NULL;
    }
    if (!sql) {
        slot_err(s, slot, "no SQL");
        return NULL;
    }
    sl = &s->slots[slot];
    if (!sl->st)
        return prepare_slot(s, slot, sql);
    /* Two call sites sharing a slot by mistake would otherwise run each other's statement and
     * bind to the wrong parameters, a bug that shows up far away. A strcmp per call is
     * cheap next to a step. */
    if (strcmp(sql, sl->sql) != 0) {
        slot_err(s, slot, "already holds a different statement");
        return NULL;
    }
    sqlite3_reset(sl->st);
    sqlite3_clear_bindings(sl->st);
    return sl->st;
}

int sim_store_write(sim_store *s, sqlite3_stmt *st)
{
    int rc;

    /* The injected fault fails before SQLite sees the write, as a full disk would fail this
     * statement alone: nothing of the batch is lost. */
    if (s->fault == SIM_STORE_FAULT_FULL) {
        s->stats.write_errors++;
        set_err(s, "write", "database or disk is full (injected)");
        return -ENOSPC;
    }
    /* Ask SQLite rather than keep a flag: a BEGIN or COMMIT passed to sim_store_exec would
     * leave a flag wrong, and the call only reads a field. */
    if (sqlite3_get_autocommit(s->db)) {
        rc = sqlite3_step(s->begin);
        sqlite3_reset(s->begin);
        if (rc != SQLITE_DONE) {
            s->stats.write_errors++;
            set_err(s, "begin", sqlite3_errmsg(s->db));
            return store_errno(rc);
        }
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        s->stats.writes++;
        return 0;
    }
    /* A constraint failure aborts the statement only; SQLite keeps the transaction, so the
     * batch's earlier writes stand. (A real I/O or memory error may roll the whole
     * transaction back; the caller sees -EIO or -ENOSPC either way.) */
    s->stats.write_errors++;
    set_err(s, "write", sqlite3_errmsg(s->db));
    sqlite3_reset(st);
    return store_errno(rc);
}

int sim_store_read(sim_store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        s->stats.reads++;
        return 1;
    }
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        return 0;
    }
    set_err(s, "read", sqlite3_errmsg(s->db));
    sqlite3_reset(st);
    return store_errno(rc);
}

int sim_store_flush(sim_store *s)
{
    int rc;

    if (sqlite3_get_autocommit(s->db))
        return 0;
    /* Reads left half-way (a point lookup that stepped once) do not block COMMIT: SQLite
     * allows it as long as no write statement is running, and sim_store_write always runs
     * writes to completion. test_store checks this. */
    rc = sqlite3_step(s->commit);
    sqlite3_reset(s->commit);
    if (rc != SQLITE_DONE) {
        set_err(s, "commit", sqlite3_errmsg(s->db));
        return store_errno(rc);
    }
    s->stats.commits++;
    return 0;
}

/* One backup pass from -> to, its failure told on s. */
static int backup(sim_store *s, sqlite3 *to, sqlite3 *from)
{
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    if (!b) {
        set_err(s, "backup", sqlite3_errmsg(to));
        return -EIO;
    }
    int step = sqlite3_backup_step(b, -1);
    int rc = sqlite3_backup_finish(b);
    if (step != SQLITE_DONE || rc != SQLITE_OK) {
        set_err(s, "backup", sqlite3_errstr(step != SQLITE_DONE ? step : rc));
        return store_errno(step != SQLITE_DONE ? step : rc);
    }
    return 0;
}

int sim_store_copy(sim_store *dst, sim_store *src)
{
    int rc = sim_store_flush(src);
    if (rc == 0) rc = sim_store_flush(dst);
    return rc < 0 ? rc : backup(dst, dst->db, src->db);
}

static int file_transfer(sim_store *s, const char *path, bool save)
{
    int rc = sim_store_flush(s);
    if (rc < 0) return rc;
    sqlite3 *file = NULL;
    int flags = save ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path, &file, flags, NULL) != SQLITE_OK) {
        set_err(s, path, file ? sqlite3_errmsg(file) : "cannot open");
        sqlite3_close(file);
        return -EIO;
    }
    rc = save ? backup(s, file, s->db) : backup(s, s->db, file);
    if (sqlite3_close(file) != SQLITE_OK && rc == 0) rc = -EIO;
    return rc;
}

int sim_store_save_file(sim_store *s, const char *path) { return file_transfer(s, path, true); }
int sim_store_load_file(sim_store *s, const char *path) { return file_transfer(s, path, false); }

const char *sim_store_errmsg(const sim_store *s)
{
    return s ? s->err : "";
}

const sim_store_stats *sim_store_stats_get(const sim_store *s)
{
    return &s->stats;
}

void sim_store_set_fault(sim_store *s, sim_store_fault f)
{
    s->fault = f;
}
