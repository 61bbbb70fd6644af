/* sim_http.h - a small HTTP/1.1 server on the world's libuv loop: routes, static files,
 * server-sent events. Domain-agnostic: the dashboard (nodes/dash) and the connection test
 * (nodes/connect) give it routes.
 *
 * Requests are parsed by http_parser (Debian's libhttp-parser); nothing here parses HTTP by
 * hand. Every limit is explicit (header bytes, body bytes, connections, a per-connection
 * timeout for a request to arrive whole) and a request past one gets a one-line JSON error
 * and a 4xx before anything else happens. A route may require the access token (header
 * `Authorization: Bearer T` or `X-Renkei-Token: T`): without it 401, with a wrong one 403.
 *
 * RFC 9112/9110: an HTTP/1.1 request without exactly one Host header is refused (400), as is
 * any request with two; `Expect: 100-continue` is answered `100 Continue` before the body is
 * read, or with the final status at once when the request is refused from its head (the
 * connection is then closed); another expectation gets 417; a method a path does not take
 * gets 405 with `Allow`; a query whose %-escapes do not decode (or decode to NUL or to text
 * that is not UTF-8) gets 400 naming the parameter (unless the routes check it themselves);
 * HEAD is answered without a body.
 *
 * Connections: at most max_conns at once, and at most max_conns_per_addr from one client
 * address. A connection is *trusted* once it has made a complete request with the server's
 * token (with `trust_any_request`: any request a route took; without a token: any). Until
 * then it has unauth_timeout_ms (5 s) to send each request whole and to stay idle, and when
 * the server, or its address, is full, the oldest untrusted connection is closed to make room
 * for a new one; only when none is left is the newcomer told 503. So token-less idle
 * connections can delay a client for at most that deadline and never lock it out.
 *
 * Event streams (text/event-stream) are broadcast by channel. Each client has a bounded
 * queue (bytes accepted by libuv but not yet written to the socket): a message that would
 * overflow it is dropped for that client and counted, and the next message it does get is
 * preceded by `event: dropped` with the count, so a slow or vanished browser never stalls
 * the loop or grows memory. Handles are freed only in their close callbacks. */
#ifndef RENKEI_SIM_HTTP_H
#define RENKEI_SIM_HTTP_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

typedef struct sim_http sim_http;
typedef struct sim_http_req sim_http_req;

/* Methods, as bits: a route takes those it names; others on its path get 405 with Allow. */
enum {
    SIM_HTTP_GET = 1, SIM_HTTP_POST = 2, SIM_HTTP_DELETE = 4, SIM_HTTP_PUT = 8, SIM_HTTP_PATCH = 16,
    SIM_HTTP_HEAD = 32, SIM_HTTP_OPTIONS = 64,
    SIM_HTTP_OTHER = 128,       /* any other method */
    SIM_HTTP_ANY = 255,
};

typedef void (*sim_http_handler)(sim_http_req *req, void *ud);

typedef struct sim_http_route {
    unsigned methods;           /* SIM_HTTP_GET | ... */
    const char *path;           /* exact, or a prefix when it ends with '*' */
    bool needs_token;
    sim_http_handler fn;
} sim_http_route;

typedef struct sim_http_limits {
    size_t max_header_bytes;    /* request line and headers; 0 = 8 KiB */
    size_t max_body_bytes;      /* 0 = 64 KiB */
    unsigned max_conns;         /* open connections, event streams included; 0 = 64 */
    unsigned max_conns_per_addr;/* open connections from one client address; 0 = half of max_conns */
    unsigned request_timeout_ms;/* a request must arrive whole within this; 0 = 10 s */
    unsigned idle_timeout_ms;   /* a keep-alive connection with no request; 0 = 60 s */
    unsigned unauth_timeout_ms; /* both, for a connection not yet trusted; 0 = 5 s */
    size_t sse_queue_bytes;     /* per event-stream client; 0 = 512 KiB */
    size_t max_file_bytes;      /* static files; 0 = 8 MiB */
} sim_http_limits;

typedef struct sim_http_config {
    const char *host;           /* numeric IPv4 or IPv6 address */
    int port;                   /* 0: any free port (see sim_http_port) */
    sim_http_limits limits;
    const char *static_root;    /* directory served for GET paths no route takes; NULL: none */
    const char *token;          /* required by routes that say so; NULL: none is */
    bool loopback_hosts_only;   /* refuse Host headers other than loopback names (DNS rebinding) */
    bool trust_any_request;     /* a connection is trusted after any request a route took (reads
                                 * open to anyone), not only after one with the token */
    bool handlers_check_query;  /* the routes check the query (sim_http_req_query_check) and
                                 * answer in their own form; otherwise a bad one gets 400 first */
    const sim_http_route *routes;
    size_t nroutes;
    void *ud;                   /* passed to every handler and to tick */
    /* Called every tick_ms of wall time while the server is open (publishing live updates
     * in batches); 0 or NULL: never. */
    unsigned tick_ms;
    void (*tick)(void *ud);
    /* TLS (sim_tls.h): every connection is TLS, with this context (the caller's: it outlives
     * the server); NULL: plain HTTP. A failed handshake (a client certificate refused...) is
     * counted, its reason kept, and the connection closed. */
    struct sim_tls_ctx *tls;
} sim_http_config;

typedef struct sim_http_stats {
    uint64_t accepted, refused, requests, errors_4xx;
    uint64_t evicted;           /* untrusted connections closed to make room */
    uint64_t sse_messages, sse_dropped;     /* per client: delivered to a queue / dropped */
    uint64_t sse_bytes;
    uint64_t tls_handshakes, tls_refused;   /* TLS: handshakes completed / refused */
    char tls_last_refusal[300];             /* "ADDR: reason" of the last refused one */
} sim_http_stats;

/* Bind, listen and serve on loop. The strings in cfg are copied. */
int  sim_http_create(uv_loop_t *loop, const sim_http_config *cfg, sim_http **out);
int  sim_http_port(const sim_http *h);
/* Close the listener and every connection; h is freed in the last close callback, after
 * which `closed` (may be NULL) runs. */
void sim_http_close(sim_http *h, void (*closed)(void *arg), void *arg);
const sim_http_stats *sim_http_stats_get(const sim_http *h);
unsigned sim_http_connections(const sim_http *h);
unsigned sim_http_sse_clients(const sim_http *h, int channel);
/* The wall clock (monotonic, ns), for rate figures in the HTTP layer's users. */
uint64_t sim_http_wall_ns(void);

/* The request being handled (valid during the handler only). */
unsigned    sim_http_req_method(const sim_http_req *r);
const char *sim_http_req_method_name(const sim_http_req *r);   /* "GET", "PUT", "PROPFIND"... */
const char *sim_http_req_path(const sim_http_req *r);       /* decoded, without the query */
/* The value of a query parameter, percent-decoded into buf; -ENOENT when absent, -ENOSPC,
 * -EINVAL when it does not decode. */
int         sim_http_req_query(const sim_http_req *r, const char *name, char *buf, size_t n);
/* The index-th parameter of the query (empty ones between '&'s are not counted), its name and
 * value percent-decoded: 0, -ENOENT past the last, -ENOSPC, -EINVAL when it does not decode.
 * A name given twice is two parameters. */
int         sim_http_req_query_at(const sim_http_req *r, size_t index, char *name, size_t name_n, char *val, size_t val_n);
/* Every parameter of the query decodes (valid %-escapes, no NUL, UTF-8): 0, or -EINVAL with
 * the first bad parameter's name (decoded as far as it goes) in name and a one-line reason
 * naming it in why. */
int         sim_http_req_query_check(const sim_http_req *r, char *name, size_t name_n, char *why, size_t why_n);
const char *sim_http_req_body(const sim_http_req *r, size_t *len);
/* The body parsed by the strict reader (sim_json.h), or NULL and a 400 already sent naming the
 * byte and the rule broken. */
cJSON      *sim_http_req_json(sim_http_req *r);
bool        sim_http_req_authorized(const sim_http_req *r);
/* The token the request carries: 1 the right one, 0 none, -1 a wrong one (for routes that
 * check it themselves, to count and answer refusals in their own form). */
int         sim_http_req_token(const sim_http_req *r);
/* The client's address as text ("127.0.0.1", "::1"), for per-client limits; -ENOTCONN. */
int         sim_http_req_peer(const sim_http_req *r, char *buf, size_t n);
/* The client certificate's subject over mutual TLS ("CN=vendor,O=..."), else "". */
const char *sim_http_req_client_cert(const sim_http_req *r);
sim_http   *sim_http_req_server(const sim_http_req *r);

/* A header line for the answer (before it is given): name and value without CR or LF;
 * -EINVAL, -ENOSPC (256 bytes in all). */
int sim_http_req_add_header(sim_http_req *r, const char *name, const char *value);

/* Answer the request; the first answer wins, later ones return -EALREADY. */
int sim_http_respond(sim_http_req *r, int status, const char *content_type, const char *body, size_t len);
int sim_http_respond_json(sim_http_req *r, int status, cJSON *json);   /* takes json */
int sim_http_respond_error(sim_http_req *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Turn the connection into an event stream on `channel` (>= 0). */
int sim_http_sse_open(sim_http_req *r, int channel);

/* Send one event to every client of channel: returns how many clients dropped it. data may
 * hold newlines (each becomes its own data: line). */
int sim_http_sse_broadcast(sim_http *h, int channel, const char *event, const char *data, size_t len);

#endif
