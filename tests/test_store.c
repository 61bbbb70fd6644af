/* test_store.c - tests for sim/sim_store: schema, write and read round trips in memory and in
 * a file (checked afterwards through a plain sqlite3 connection), constraint failures that
 * leave the rest of the batch standing (one row and half-way through a multi-row UPDATE),
 * statement caching and slot misuse, the disk-full fault seam, exact counters, two stores
 * side by side, and a printed benchmark of 10^6 inserts and 10^6 point lookups in memory.
 * The benchmark's figures are printed, never asserted. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#endif

#include "check.h"
#include "sim_store.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

enum { Q_INSERT, Q_GET, Q_ALL, Q_COUNT, Q_SETV };

static const char schema[] = "CREATE TABLE t(id INTEGER PRIMARY KEY, k INTEGER UNIQUE, v TEXT);";
static const char sql_insert[] = "INSERT INTO t(id, k, v) VALUES (?1, ?2, ?3)";
static const char sql_get[] = "SELECT k, v FROM t WHERE id = ?1";
static const char sql_all[] = "SELECT id, k, v FROM t ORDER BY id";
static const char sql_count[] = "SELECT count(*) FROM t";

/* ---- helpers ---------------------------------------------------------------------------- */

static int insert(sim_store *s, int id, int k, const char *v)
{
    sqlite3_stmt *st = sim_store_stmt(s, Q_INSERT, sql_insert);

    if (!st)
        return -999;
    sqlite3_bind_int(st, 1, id);
    sqlite3_bind_int(st, 2, k);
    sqlite3_bind_text(st, 3, v, -1, SQLITE_STATIC);
    return sim_store_write(s, st);
}

/* v of row id copied into buf, or "" when there is no such row. Returns sim_store_read's
 * first result. */
static int get(sim_store *s, int id, char *buf, size_t len)
{
    sqlite3_stmt *st = sim_store_stmt(s, Q_GET, sql_get);
    int rc;

    buf[0] = '\0';
    if (!st)
        return -999;
    sqlite3_bind_int(st, 1, id);
    rc = sim_store_read(s, st);
    if (rc == 1)
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 1));
    return rc;
}

static long long count(sim_store *s)
{
    sqlite3_stmt *st = sim_store_stmt(s, Q_COUNT, sql_count);

    if (!st || sim_store_read(s, st) != 1)
        return -1;
    return sqlite3_column_int64(st, 0);
}

static double now(void)
{
    struct timespec ts;

    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_open_errors(void)
{
    sim_store *s = (sim_store *)&s;

    CHECK_INT(sim_store_open(NULL, NULL, &s), -EINVAL);
    CHECK(s == NULL);
    s = (sim_store *)&s;
    CHECK_INT(sim_store_open(NULL, "", &s), -EINVAL);
    CHECK(s == NULL);
    CHECK_INT(sim_store_open("/tmp", "a/b", &s), -EINVAL);
    CHECK(s == NULL);
    CHECK_INT(sim_store_open("/nonexistent-renkei/x", "a", &s), -ENOENT);
    CHECK(s == NULL);
    sim_store_close(NULL);
}

static void test_memory_round_trip(void)
{
    sim_store *s;
    sqlite3_stmt *st;
    char buf[64];
    int n = 0;

    CHECK_INT(sim_store_open(NULL, "mem", &s), 0);
    CHECK_STR(sim_store_errmsg(s), "");
    CHECK_INT(sim_store_exec(s, schema), 0);
    CHECK_INT(insert(s, 1, 10, "one"), 0);
    CHECK_INT(insert(s, 2, 20, "two"), 0);
    CHECK_INT(insert(s, 3, 30, "three"), 0);

    /* Uncommitted writes are visible to the same connection. */
    CHECK_INT(get(s, 2, buf, sizeof buf), 1);
    CHECK_STR(buf, "two");
    CHECK_INT(get(s, 4, buf, sizeof buf), 0);
    CHECK_INT(sim_store_flush(s), 0);
    CHECK_INT(sim_store_flush(s), 0); /* nothing open: no second commit */
    CHECK_INT(sim_store_stats_get(s)->commits, 1);

    st = sim_store_stmt(s, Q_ALL, sql_all);
    CHECK(st != NULL);
    while (st && sim_store_read(s, st) == 1) {
        n++;
        CHECK_INT(sqlite3_column_int(st, 0), n);
        CHECK_INT(sqlite3_column_int(st, 1), 10 * n);
    }
    CHECK_INT(n, 3);
    CHECK_INT(get(s, 3, buf, sizeof buf), 1);
    CHECK_STR(buf, "three");

    /* A runtime error in a read is reported, not mistaken for the end of the rows. */
    st = sim_store_stmt(s, Q_SETV, "SELECT abs(-9223372036854775807 - 1)");
    CHECK(st != NULL);
    if (st)
        CHECK_INT(sim_store_read(s, st), -EIO);
    CHECK(strstr(sim_store_errmsg(s), "integer overflow") != NULL);

    CHECK_INT(sim_store_exec(s, "CREATE TABLE oops("), -EIO);
    CHECK(strstr(sim_store_errmsg(s), "mem: exec:") == sim_store_errmsg(s));
    sim_store_close(s);
}

static void test_file_round_trip(void)
{
    char tmpl[] = "/tmp/test_store.XXXXXX";
    char dir[64], path[96];
    sqlite3 *db;
    sqlite3_stmt *st;
    sim_store *s;
    FILE *f;

    if (!mkdtemp(tmpl)) {
        CHECK(!"mkdtemp");
        return;
    }
    /* A --db-dir that does not exist yet is created. */
    snprintf(dir, sizeof dir, "%s/db", tmpl);
    snprintf(path, sizeof path, "%s/site-1.sqlite", dir);

    CHECK_INT(sim_store_open(dir, "site-1", &s), 0);
    CHECK_INT(sim_store_exec(s, schema), 0);
    CHECK_INT(insert(s, 1, 10, "one"), 0);
    CHECK_INT(insert(s, 2, 20, "two"), 0);
    CHECK_INT(sim_store_flush(s), 0);
    CHECK_INT(insert(s, 3, 30, "three"), 0); /* left pending: close commits it */
    sim_store_close(s);

    f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f)
        fclose(f);
    CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    CHECK_INT(sqlite3_prepare_v2(db, "SELECT count(*), sum(k), group_concat(v, ',') FROM "
                                     "(SELECT * FROM t ORDER BY id)", -1, &st, NULL),
              SQLITE_OK);
    CHECK_INT(sqlite3_step(st), SQLITE_ROW);
    CHECK_INT(sqlite3_column_int(st, 0), 3);
    CHECK_INT(sqlite3_column_int(st, 1), 60);
    CHECK_STR((const char *)sqlite3_column_text(st, 2), "one,two,three");
    sqlite3_finalize(st);
    sqlite3_close(db);

    /* The next run starts from an empty file, not from the last run's rows. */
    CHECK_INT(sim_store_open(dir, "site-1", &s), 0);
    CHECK_INT(sim_store_exec(s, schema), 0);
    CHECK_INT(count(s), 0);
    sim_store_close(s);

    CHECK_INT(remove(path), 0);
    CHECK_INT(remove(dir), 0); /* empty: nothing else (journal, WAL) was left beside it */
    CHECK_INT(remove(tmpl), 0);
}

static void test_constraint(void)
{
    sim_store *s;
    sqlite3_stmt *st;
    char buf[64];

    CHECK_INT(sim_store_open(NULL, "dup", &s), 0);
    CHECK_INT(sim_store_exec(s, schema), 0);
    CHECK_INT(insert(s, 1, 10, "one"), 0);
    CHECK_INT(insert(s, 2, 20, "two"), 0);
    CHECK_INT(insert(s, 1, 99, "again"), -EEXIST);
    CHECK(strstr(sim_store_errmsg(s), "UNIQUE constraint failed: t.id") != NULL);
    CHECK_INT(insert(s, 3, 30, "three"), 0);
    CHECK_INT(count(s), 3);
    CHECK_INT(get(s, 1, buf, sizeof buf), 1);
    CHECK_STR(buf, "one");

    /* A multi-row UPDATE that fails on its last row: the rows it changed before are put
     * back (the in-memory journal at work), the batch's inserts stay. */
    st = sim_store_stmt(s, Q_SETV,
                        "UPDATE t SET k = 100, v = 'changed' WHERE id IN (1, 3)");
    CHECK(st != NULL);
    if (st)
        CHECK_INT(sim_store_write(s, st), -EEXIST);
    CHECK(strstr(sim_store_errmsg(s), "UNIQUE constraint failed: t.k") != NULL);
    CHECK_INT(get(s, 1, buf, sizeof buf), 1);
    CHECK_STR(buf, "one");

    CHECK_INT(sim_store_flush(s), 0);
    /* Proof that flush committed: with no transaction left, ROLLBACK has nothing to undo. */
    CHECK_INT(sim_store_exec(s, "ROLLBACK"), -EIO);
    CHECK_INT(count(s), 3);
    CHECK_INT(sim_store_stats_get(s)->writes, 3);
    CHECK_INT(sim_store_stats_get(s)->write_errors, 2);
    CHECK_INT(sim_store_stats_get(s)->commits, 1);
    sim_store_close(s);
}

static void test_cache(void)
{
    sim_store *s;
    sqlite3_stmt *a, *b;
    char copy[sizeof sql_insert];
    char *x;

    CHECK_INT(sim_store_open(NULL, "cache", &s), 0);
    CHECK_INT(sim_store_exec(s, schema), 0);
    a = sim_store_stmt(s, Q_INSERT, sql_insert);
    CHECK(a != NULL);
    b = sim_store_stmt(s, Q_INSERT, sql_insert);
    CHECK(a == b);
    /* The text decides, not where it is stored. */
    memcpy(copy, sql_insert, sizeof copy);
    CHECK(sim_store_stmt(s, Q_INSERT, copy) == a);

    /* Handed back with the previous call's bindings cleared. */
    sqlite3_bind_int(a, 1, 7);
    sqlite3_bind_int(a, 2, 70);
    sqlite3_bind_text(a, 3, "seven", -1, SQLITE_STATIC);
    CHECK_INT(sim_store_write(s, a), 0);
    b = sim_store_stmt(s, Q_INSERT, sql_insert);
    x = sqlite3_expanded_sql(b);
    CHECK_STR(x, "INSERT INTO t(id, k, v) VALUES (NULL, NULL, NULL)");
    sqlite3_free(x);

    /* Another SQL for an occupied slot is a caller bug: NULL, and the slot keeps its own. */
    CHECK(sim_store_stmt(s, Q_INSERT, sql_get) == NULL);
    CHECK_STR(sim_store_errmsg(s), "cache: slot 0: already holds a different statement");
    CHECK(sim_store_stmt(s, Q_INSERT, sql_insert) == a);

    CHECK(sim_store_stmt(s, -1, sql_get) == NULL);
    CHECK(sim_store_stmt(s, SIM_STORE_SLOTS, sql_get) == NULL);
    CHECK_STR(sim_store_errmsg(s), "cache: slot 64: out of range");
    CHECK(sim_store_stmt(s, Q_GET, NULL) == NULL);
    CHECK(sim_store_stmt(s, Q_GET, "") == NULL);
    CHECK(sim_store_stmt(s, Q_GET, "SELECT 1; SELECT 2") == NULL);
    CHECK_STR(sim_store_errmsg(s), "cache: slot 1: more than one statement in SQL");
    CHECK(sim_store_stmt(s, Q_GET, "SELEC k FROM t") == NULL);
    CHECK(strstr(sim_store_errmsg(s), "syntax error") != NULL);
    /* Failures leave the slot empty for the right SQL; a trailing ';' is fine. */
    CHECK(sim_store_stmt(s, Q_GET, "SELECT k, v FROM t WHERE id = ?1;\n") != NULL);
    sim_store_close(s);
}

static void test_fault(void)
{
    sim_store *s;
    char buf[64];

    CHECK_INT(sim_store_open(NULL, "fault", &s), 0);
    CHECK_INT(sim_store_exec(s, schema), 0);
    CHECK_INT(insert(s, 1, 10, "one"), 0);
    sim_store_set_fault(s, SIM_STORE_FAULT_FULL);
    CHECK_INT(insert(s, 2, 20, "two"), -ENOSPC);
    CHECK_INT(insert(s, 3, 30, "three"), -ENOSPC);
    CHECK_STR(sim_store_errmsg(s), "fault: write: database or disk is full (injected)");
    CHECK_INT(sim_store_stats_get(s)->writes, 1);
    CHECK_INT(sim_store_stats_get(s)->write_errors, 2);
    /* Reads and flushes go on; the write made before the fault survives. */
    CHECK_INT(get(s, 1, buf, sizeof buf), 1);
    CHECK_INT(get(s, 2, buf, sizeof buf), 0);
    CHECK_INT(sim_store_flush(s), 0);

    sim_store_set_fault(s, SIM_STORE_FAULT_NONE);
    CHECK_INT(insert(s, 2, 20, "two"), 0);
    CHECK_INT(sim_store_flush(s), 0);
    CHECK_INT(count(s), 2);
    CHECK_INT(sim_store_stats_get(s)->writes, 2);
    CHECK_INT(sim_store_stats_get(s)->write_errors, 2);
    CHECK_INT(sim_store_stats_get(s)->commits, 2);
    sim_store_close(s);
}

static void test_stats(void)
{
    sim_store *s;
    const sim_store_stats *c;
    sqlite3_stmt *st;
    char buf[64];

    CHECK_INT(sim_store_open(NULL, "stats", &s), 0);
    c = sim_store_stats_get(s);
    CHECK(c->writes == 0 && c->reads == 0 && c->commits == 0 && c->write_errors == 0);
    /* Schema through exec is not a write and commits on its own, not as a batch. */
    CHECK_INT(sim_store_exec(s, schema), 0);
    CHECK_INT(sim_store_flush(s), 0);
    CHECK_INT(c->commits, 0);

    for (int i = 1; i <= 10; i++)
        CHECK_INT(insert(s, i, i, "x"), 0);
    CHECK_INT(insert(s, 5, 55, "x"), -EEXIST);
    CHECK_INT(sim_store_flush(s), 0);
    for (int i = 8; i <= 12; i++) /* two misses: 11, 12 */
        CHECK_INT(get(s, i, buf, sizeof buf), i <= 10);
    st = sim_store_stmt(s, Q_SETV, "DELETE FROM t WHERE id > 8");
    CHECK(st != NULL);
    if (st)
        CHECK_INT(sim_store_write(s, st), 0);
    st = sim_store_stmt(s, Q_ALL, sql_all);
    while (st && sim_store_read(s, st) == 1)
        ;
    /* A read left half-way does not block the commit. */
    st = sim_store_stmt(s, Q_ALL, sql_all);
    CHECK_INT(sim_store_read(s, st), 1);
    CHECK_INT(sim_store_flush(s), 0);
    CHECK_INT(sim_store_read(s, st), 1);

    CHECK_INT(c->writes, 11);       /* 10 inserts + 1 delete */
    CHECK_INT(c->write_errors, 1);  /* the duplicate */
    CHECK_INT(c->reads, 3 + 8 + 2); /* 3 hits + 8 rows scanned + 2 rows half-way */
    CHECK_INT(c->commits, 2);
    sim_store_close(s);
}

static void test_two_stores(void)
{
    sim_store *a, *b;
    char buf[64];

    CHECK_INT(sim_store_open(NULL, "a", &a), 0);
    CHECK_INT(sim_store_open(NULL, "b", &b), 0);
    CHECK_INT(sim_store_exec(a, schema), 0);
    CHECK_INT(sim_store_exec(b, schema), 0);
    CHECK_INT(insert(a, 1, 1, "from a"), 0);
    CHECK_INT(insert(b, 1, 1, "from b"), 0);
    sim_store_set_fault(a, SIM_STORE_FAULT_FULL);
    CHECK_INT(insert(a, 2, 2, "x"), -ENOSPC);
    CHECK_INT(insert(b, 2, 2, "x"), 0);
    CHECK_INT(get(a, 1, buf, sizeof buf), 1);
    CHECK_STR(buf, "from a");
    CHECK_INT(get(b, 1, buf, sizeof buf), 1);
    CHECK_STR(buf, "from b");
    CHECK_INT(sim_store_stats_get(a)->writes, 1);
    CHECK_INT(sim_store_stats_get(b)->writes, 2);
    sim_store_close(a);
    sim_store_close(b);
}

/* Printed, not asserted: the figures vary with the machine and the build. */
static void bench(void)
{
    enum { N = 1000000, BATCH = 10000, B_INSERT = 0, B_GET = 1 };
    static const char ins[] = "INSERT INTO bench(id, name, data) VALUES (?1, ?2, ?3)";
    static const char sel[] = "SELECT name, data FROM bench WHERE id = ?1";
    unsigned char blob[256];
    char name[32];
    uint64_t x = 42, bytes = 0;
    sim_store *s;
    sqlite3_stmt *st;
    double t0, t_ins, t_get;
    int errors = 0;

    for (size_t i = 0; i < sizeof blob; i++)
        blob[i] = (unsigned char)i;
    CHECK_INT(sim_store_open(NULL, "bench", &s), 0);
    CHECK_INT(sim_store_exec(s, "CREATE TABLE bench(id INTEGER PRIMARY KEY, name TEXT, "
                                "data BLOB)"), 0);

    t0 = now();
    for (int i = 1; i <= N; i++) {
        st = sim_store_stmt(s, B_INSERT, ins);
        snprintf(name, sizeof name, "person-%d", i);
        sqlite3_bind_int64(st, 1, i);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, blob, sizeof blob, SQLITE_STATIC);
        errors += sim_store_write(s, st) != 0;
        if (i % BATCH == 0)
            errors += sim_store_flush(s) != 0;
    }
    errors += sim_store_flush(s) != 0;
    t_ins = now() - t0;

    t0 = now();
    for (int i = 0; i < N; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64: keys in random order */
        st = sim_store_stmt(s, B_GET, sel);
        sqlite3_bind_int64(st, 1, (sqlite3_int64)(x % N) + 1);
        if (sim_store_read(s, st) == 1)
            bytes += (uint64_t)sqlite3_column_bytes(st, 1);
        else
            errors++;
    }
    t_get = now() - t0;

    CHECK_INT(errors, 0);
    CHECK_INT(bytes, (uint64_t)N * sizeof blob);
    CHECK_INT(sim_store_stats_get(s)->commits, N / BATCH);
    printf("bench (in memory): %d inserts (INTEGER PRIMARY KEY, TEXT, 256-byte BLOB), "
           "flush every %d: %.3f s, %.0f inserts/s\n", N, BATCH, t_ins, N / t_ins);
    printf("bench (in memory): %d point lookups by key, random order: %.3f s, "
           "%.0f lookups/s\n", N, t_get, N / t_get);
    sim_store_close(s);
}

int main(void)
{
    test_open_errors();
    test_memory_round_trip();
    test_file_round_trip();
    test_constraint();
    test_cache();
    test_fault();
    test_stats();
    test_two_stores();
    bench();
    CHECK_DONE();
}
