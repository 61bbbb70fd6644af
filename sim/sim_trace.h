/* sim_trace.h - the canonical event trace (JSON lines) and its SHA-256 hash.
 *
 * The trace hash is SHA-256 over exactly the bytes of trace.jsonl, so anyone can check it with
 * `sha256sum trace.jsonl`; the hash is computed whether or not the file is written. A line:
 *   {"time":1510529400000000,"jst":"2017-11-13 08:30:00.000000","kind":"send","node":"a",
 *    "peer":"b","msg":12,"detail":{...}}
 * Fields after "kind" are present only when they apply. Nothing in a line may depend on the
 * wall clock or on pacing: same seed and scripts, same bytes.
 *
 * The file may be written compressed (zstd, sim_trace_compress): the hash stays over the
 * canonical uncompressed bytes, so `zstd -dc trace.jsonl.zst | sha256sum` prints it. The
 * compression runs on the writing thread, not the engine's. */
#ifndef RENKEI_SIM_TRACE_H
#define RENKEI_SIM_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "sim_buf.h"
#include "sim_time.h"

/* How much the trace says: every line with the messages' bodies (ALL), every line without
 * them (FLOWS: who sent what type of what size to whom, when; the faults, logs and audits),
 * or nothing (NONE: no trace, no hash). */
typedef enum sim_trace_level { SIM_TRACE_ALL = 0, SIM_TRACE_FLOWS, SIM_TRACE_NONE } sim_trace_level;

typedef struct sim_trace {
    void *md;               /* EVP_MD_CTX *, opaque here to keep OpenSSL out of headers */
    void *worker;           /* the hashing and writing thread, started at the first flush */
    int fd;                 /* -1: hash only */
    bool off;               /* no trace, no hash (benchmarks) */
    bool bodies;            /* messages' bodies in the lines (SIM_TRACE_ALL) */
    void *zc;               /* ZSTD_CCtx * when the file is compressed, else NULL */
    char *zout;             /* the compressed bytes, written by the worker */
    size_t zout_cap;
    bool write_failed;
    int write_errno;        /* why it failed (read after sim_trace_finish) */
    uint64_t records;
    sim_buf pending;        /* lines not yet hashed/written; the last one may be in progress */
    sim_time_t cached_sec;  /* the second whose JST text is in cached_jst */
    char cached_jst[SIM_TIME_BUFSZ];
    char cached_secs[24];   /* its seconds since the epoch, in digits */
    size_t cached_secs_len;
    /* A passive listener told of each finished line (the dashboard's event log); it must
     * not write to the trace. NULL: none. */
    void (*tap)(void *ud, const char *line, size_t len);
    void *tap_ud;
    size_t line_start;      /* where the line being built starts in pending */
} sim_trace;

int  sim_trace_init(sim_trace *t, int fd, bool off);
/* Write the file as zstd frames at this level (1..19) instead of plain lines; before the first
 * line. Returns 0, -EINVAL (no file, or lines already written) or -ENOMEM. */
int  sim_trace_compress(sim_trace *t, int level);
/* Parse "none", "flows" or "all". Returns 0 or -EINVAL. */
int  sim_trace_level_parse(const char *name, sim_trace_level *out);
const char *sim_trace_level_name(sim_trace_level level);
void sim_trace_free(sim_trace *t);
/* Let the writing thread finish what it holds and end it (it starts again at the next flush):
 * the file then holds every line handed over so far and no thread runs, so the process can
 * fork (a rewind's checkpoint). The lines not yet handed over stay in memory. */
void sim_trace_quiesce(sim_trace *t);
/* Start a line with time and kind; append fields with sim_trace_field_*, then end it.
 * Returns false when the trace is off (then skip building the line). */
bool sim_trace_begin(sim_trace *t, sim_time_t now, const char *kind);
void sim_trace_field_str(sim_trace *t, const char *key, const char *value);
void sim_trace_field_u64(sim_trace *t, const char *key, uint64_t value);
/* Start a field whose JSON value the caller appends to the returned buffer. */
sim_buf *sim_trace_field_open(sim_trace *t, const char *key);
void sim_trace_end(sim_trace *t);
/* Flush and write the hash as 64 hex digits + NUL (a compressed file's frame is ended here:
 * what was written is a whole zstd file; later lines start another frame). Returns -EIO if writing the file failed
 * (the hash is still right), -EINVAL when the trace is off. */
int sim_trace_finish(sim_trace *t, char hex[65]);

#endif
