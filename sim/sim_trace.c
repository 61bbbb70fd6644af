/* sim_trace.c - canonical trace lines, buffered, hashed with SHA-256 and written to a file
 * descriptor by a second thread: the engine fills one 64 KiB buffer while the worker hashes
 * and writes the one before. Only one buffer is ever in flight, so bytes reach the hash and
 * the file in exactly the order the engine wrote them. A compressed file is compressed there
 * too (zstd streaming): the hash is over the lines, the file holds their zstd frames. */
#include "sim_trace.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>
#include <zstd.h>

enum { TRACE_FLUSH_BYTES = 1 << 16 };

typedef struct trace_worker {
    uv_thread_t thread;
    uv_mutex_t lock;
    uv_cond_t cond;
    sim_buf work;           /* the buffer being hashed and written */
    bool busy, quit;
} trace_worker;

int sim_trace_init(sim_trace *t, int fd, bool off)
{
    *t = (sim_trace){.fd = fd, .off = off, .bodies = true};
    if (off) return 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md) return -ENOMEM;
    if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return -EIO;
    }
    t->md = md;
    return 0;
}

static const char *const LEVEL_NAMES[] = {"all", "flows", "none"};

int sim_trace_level_parse(const char *name, sim_trace_level *out)
{
    for (int i = 0; i < 3; i++) {
        if (strcmp(name, LEVEL_NAMES[i]) == 0) {
            *out = (sim_trace_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *sim_trace_level_name(sim_trace_level level)
{
    return (unsigned)level < 3 ? LEVEL_NAMES[level] : "?";
}

int sim_trace_compress(sim_trace *t, int level)
{
    if (t->off || t->fd < 0 || t->records || t->zc) return -EINVAL;
    ZSTD_CCtx *zc = ZSTD_createCCtx();
    if (!zc) return -ENOMEM;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(zc, ZSTD_c_compressionLevel, level))) {
        ZSTD_freeCCtx(zc);
        return -EINVAL;
    }
    t->zout_cap = ZSTD_CStreamOutSize();
    t->zout = malloc(t->zout_cap);
    if (!t->zout) {
        ZSTD_freeCCtx(zc);
        return -ENOMEM;
    }
    t->zc = zc;
    return 0;
}

static void write_all(sim_trace *t, const char *p, size_t left)
{
    while (t->fd >= 0 && !t->write_failed && left > 0) {
        ssize_t n = write(t->fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            t->write_failed = true;
            t->write_errno = n < 0 ? errno : EIO;   /* what to tell: ENOSPC, EIO, ... */
            break;
        }
        p += n;
        left -= (size_t)n;
    }
}

/* The lines of b (possibly none) through the compressor into the file; end: close the frame. */
static void compress_and_write(sim_trace *t, const sim_buf *b, bool end)
{
    ZSTD_inBuffer in = {b->data, b->len, 0};
    for (;;) {
        ZSTD_outBuffer out = {t->zout, t->zout_cap, 0};
        size_t left = ZSTD_compressStream2(t->zc, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
        if (ZSTD_isError(left)) {
            t->write_failed = true;
            t->write_errno = EIO;
            return;
        }
        write_all(t, t->zout, out.pos);
        if (end ? left == 0 : in.pos == in.size) return;
    }
}

static void hash_and_write(sim_trace *t, sim_buf *b)
{
    EVP_DigestUpdate(t->md, b->data, b->len);
    if (t->zc) {
        if (b->len && !t->write_failed) compress_and_write(t, b, false);
    } else {
        write_all(t, b->data, b->len);
    }
    sim_buf_reset(b);
}

static void worker_main(void *arg)
{
    sim_trace *t = arg;
    trace_worker *k = t->worker;
    uv_mutex_lock(&k->lock);
    for (;;) {
        while (!k->busy && !k->quit) uv_cond_wait(&k->cond, &k->lock);
        if (!k->busy) break;
        uv_mutex_unlock(&k->lock);
        hash_and_write(t, &k->work);   /* the engine does not touch work or md meanwhile */
        uv_mutex_lock(&k->lock);
        k->busy = false;
        uv_cond_signal(&k->cond);
    }
    uv_mutex_unlock(&k->lock);
}

/* Wait until the worker has finished the buffer in flight (if there is a worker). */
static void drain(sim_trace *t)
{
    trace_worker *k = t->worker;
    if (!k) return;
    uv_mutex_lock(&k->lock);
    while (k->busy) uv_cond_wait(&k->cond, &k->lock);
    uv_mutex_unlock(&k->lock);
}

static bool worker_start(sim_trace *t)
{
    trace_worker *k = calloc(1, sizeof *k);
    if (!k) return false;
    if (uv_mutex_init(&k->lock) != 0) {
        free(k);
        return false;
    }
    if (uv_cond_init(&k->cond) != 0) {
        uv_mutex_destroy(&k->lock);
        free(k);
        return false;
    }
    t->worker = k;
    if (uv_thread_create(&k->thread, worker_main, t) != 0) {
        uv_cond_destroy(&k->cond);
        uv_mutex_destroy(&k->lock);
        free(k);
        t->worker = NULL;
        return false;
    }
    return true;
}

/* Let the worker finish the buffer in flight and end its thread (quit wins only when it is idle). */
static void worker_stop(sim_trace *t)
{
    trace_worker *k = t->worker;
    if (!k) return;
    uv_mutex_lock(&k->lock);
    k->quit = true;
    uv_cond_signal(&k->cond);
    uv_mutex_unlock(&k->lock);
    uv_thread_join(&k->thread);
    uv_cond_destroy(&k->cond);
    uv_mutex_destroy(&k->lock);
    sim_buf_free(&k->work);
    free(k);
    t->worker = NULL;
}

void sim_trace_quiesce(sim_trace *t) { worker_stop(t); }

void sim_trace_free(sim_trace *t)
{
    worker_stop(t);
    EVP_MD_CTX_free(t->md);
    ZSTD_freeCCtx(t->zc);
    sim_buf_free(&t->pending);
    free(t->zout);
    t->md = NULL;
    t->zc = NULL;
    t->zout = NULL;
}

/* Hand the pending lines to the worker (or do the work here if it cannot start). */
static void trace_flush(sim_trace *t)
{
    if (t->pending.len == 0) return;
    if (!t->worker && !worker_start(t)) {
        hash_and_write(t, &t->pending);
        return;
    }
    trace_worker *k = t->worker;
    uv_mutex_lock(&k->lock);
    while (k->busy) uv_cond_wait(&k->cond, &k->lock);
    sim_buf spare = k->work;    /* empty, with its capacity: the next pending buffer */
    k->work = t->pending;
    t->pending = spare;
    k->busy = true;
    uv_cond_signal(&k->cond);
    uv_mutex_unlock(&k->lock);
}

bool sim_trace_begin(sim_trace *t, sim_time_t now, const char *kind)
{
    if (t->off) return false;
    /* Many events share a second: format its date and time once (times are >= 0). */
    sim_time_t sec = now - now % SIM_SEC;
    if (sec != t->cached_sec || !t->cached_jst[0]) {
        sim_time_format(sec, t->cached_jst, sizeof t->cached_jst);
        t->cached_sec = sec;
        t->cached_secs_len = (size_t)snprintf(t->cached_secs, sizeof t->cached_secs, "%lld",
                                              (long long)(sec / SIM_SEC));
    }
    int64_t us = now % SIM_SEC;
    char frac[8] = {'.'};   /* the microseconds, six digits */
    for (int i = 6; i >= 1; i--, us /= 10) frac[i] = (char)('0' + us % 10);
    sim_buf *b = &t->pending;   /* built in place: no copy per line */
    t->line_start = b->len;
    sim_buf_append(b, "{\"time\":", 8);
    if (sec > 0) {
        sim_buf_append(b, t->cached_secs, t->cached_secs_len);
        sim_buf_append(b, frac + 1, 6);
    } else {
        sim_buf_u64(b, (uint64_t)now);
    }
    sim_buf_append(b, ",\"jst\":\"", 8);
    sim_buf_puts(b, t->cached_jst);
    if (now % SIM_SEC) sim_buf_append(b, frac, 7);   /* as sim_time_format: only when non-zero */
    sim_buf_append(b, "\",\"kind\":", 9);
    sim_buf_json_string(b, kind);
    return true;
}

static void field_key(sim_buf *b, const char *key)
{
    sim_buf_append(b, ",\"", 2);
    sim_buf_puts(b, key);
    sim_buf_append(b, "\":", 2);
}

void sim_trace_field_str(sim_trace *t, const char *key, const char *value)
{
    field_key(&t->pending, key);
    sim_buf_json_string(&t->pending, value);
}

void sim_trace_field_u64(sim_trace *t, const char *key, uint64_t value)
{
    field_key(&t->pending, key);
    sim_buf_u64(&t->pending, value);
}

sim_buf *sim_trace_field_open(sim_trace *t, const char *key)
{
    field_key(&t->pending, key);
    return &t->pending;
}

void sim_trace_end(sim_trace *t)
{
    sim_buf_append(&t->pending, "}\n", 2);
    t->records++;
    if (t->tap) t->tap(t->tap_ud, t->pending.data + t->line_start, t->pending.len - t->line_start - 1);
    if (t->pending.len >= TRACE_FLUSH_BYTES) trace_flush(t);
}

int sim_trace_finish(sim_trace *t, char hex[65])
{
    if (t->off || !t->md) return -EINVAL;
    drain(t);
    hash_and_write(t, &t->pending);
    if (t->zc && !t->write_failed) compress_and_write(t, &t->pending, true);   /* a whole frame */
    unsigned char digest[32];
    unsigned int n = 0;
    EVP_MD_CTX *copy = EVP_MD_CTX_new();
    /* Finalise a copy so the trace can still grow (the hash is shown mid-run too). */
    if (!copy || EVP_MD_CTX_copy_ex(copy, t->md) != 1 || EVP_DigestFinal_ex(copy, digest, &n) != 1) {
        EVP_MD_CTX_free(copy);
        return -EIO;
    }
    EVP_MD_CTX_free(copy);
    for (unsigned i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    if (t->pending.failed || (t->worker && ((trace_worker *)t->worker)->work.failed)) return -ENOMEM;
    return t->write_failed ? -EIO : 0;
}
