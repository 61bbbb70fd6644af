/* fuzz/fuzz_client.h - one client connection in the server's own loop, for the drivers that
 * feed a server raw bytes (fuzz_http.c, fuzz_dash.c): connect to 127.0.0.1:port, write the
 * bytes, half-close, read whatever comes back until the server closes, close. The server and
 * the client take turns on one thread, so an input is handled exactly as it would be from a
 * browser, only without a second process; nothing is left open between inputs.
 *
 * A server that never closes after the client's end would keep the loop turning: libFuzzer's
 * -timeout reports that as a hang. */
#ifndef RENKEI_FUZZ_FUZZ_CLIENT_H
#define RENKEI_FUZZ_FUZZ_CLIENT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct fuzz_client {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    uv_shutdown_t shutdown;
    uv_buf_t out;
    char in[65536];
    size_t received;            /* bytes of answer (what came back, counted, then dropped) */
    bool closed;
} fuzz_client;

static inline void fuzz_client_closed(uv_handle_t *h) { ((fuzz_client *)h->data)->closed = true; }

static inline void fuzz_client_end(fuzz_client *c)
{
    if (!uv_is_closing((uv_handle_t *)&c->tcp)) uv_close((uv_handle_t *)&c->tcp, fuzz_client_closed);
}

static inline void fuzz_client_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    fuzz_client *c = h->data;
    *buf = uv_buf_init(c->in, sizeof c->in);
}

static inline void fuzz_client_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    fuzz_client *c = s->data;
    if (n < 0) fuzz_client_end(c);   /* the server closed (EOF) or reset */
    else c->received += (size_t)n;
}

static inline void fuzz_client_shut(uv_shutdown_t *req, int status)
{
    if (status < 0) fuzz_client_end(req->data);
}

static inline void fuzz_client_written(uv_write_t *req, int status)
{
    fuzz_client *c = req->data;
    if (status < 0) {
        fuzz_client_end(c);
        return;
    }
    c->shutdown.data = c;
    if (uv_shutdown(&c->shutdown, (uv_stream_t *)&c->tcp, fuzz_client_shut) < 0) fuzz_client_end(c);
}

static inline void fuzz_client_connected(uv_connect_t *req, int status)
{
    fuzz_client *c = req->data;
    if (status < 0 || uv_read_start((uv_stream_t *)&c->tcp, fuzz_client_alloc, fuzz_client_read) < 0) {
        fuzz_client_end(c);
        return;
    }
    c->write.data = c;
    if (uv_write(&c->write, (uv_stream_t *)&c->tcp, &c->out, 1, fuzz_client_written) < 0) fuzz_client_end(c);
}

/* Send data[0, size) on a new connection to port and turn the loop until the connection is
 * closed. Returns the bytes of answer received, or -1 when no connection could be made. */
static inline long fuzz_client_send(uv_loop_t *loop, int port, const void *data, size_t size)
{
    fuzz_client *c = calloc(1, sizeof *c);
    if (!c) return -1;
    struct sockaddr_in addr;
    uv_ip4_addr("127.0.0.1", port, &addr);
    uv_tcp_init(loop, &c->tcp);
    c->tcp.data = c->connect.data = c;
    /* uv_write copies nothing: the bytes stay the caller's until the write ends (below) */
    c->out = uv_buf_init((char *)data, (unsigned)size);
    if (uv_tcp_connect(&c->connect, &c->tcp, (const struct sockaddr *)&addr, fuzz_client_connected) < 0)
        fuzz_client_end(c);
    while (!c->closed) uv_run(loop, UV_RUN_ONCE);
    long got = (long)c->received;
    free(c);
    return got;
}

#endif
