/* sim_http.c - the HTTP server of sim_http.h: connections on libuv, requests parsed by
 * http_parser, routes, static files and event streams with bounded per-client queues.
 *
 * A request's head is checked and routed by route_request (Host, the target, the query, the
 * route, the token): at the end of the head when it expects 100-continue or its Host is wrong
 * (so a refusal comes before the body), and again when the request is whole. Connections are
 * trusted once they have made a request with the token; until then they have a short
 * deadline and are the first closed when the server, or their address, is full.
 *
 * A connection owns two handles (its socket and its timer) and is freed when both have
 * closed. Responses are written whole from the handler; a write that libuv cannot finish at
 * once waits in the socket's write queue, and that queue is what the limits bound. The wall
 * clock is used here (timeouts) and never reaches the simulation. */
#include "sim_http.h"
#include "sim_json.h"
#include "sim_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    READ_BUF = 64 * 1024,
    MAX_RESPONSE_QUEUE = 8 << 20,   /* a client that pipelines and never reads is cut off */
    HEARTBEAT_MS = 15 * 1000,       /* event streams: a comment line, to notice dead peers */
    HEADER_VALUE_MAX = 256,
};

/* A written buffer shared by every event-stream client it goes to. */
typedef struct blob {
    unsigned refs;
    size_t len;
    char data[];
} blob;

typedef struct write_req {
    uv_write_t req;
    blob *b;
    bool close_after;
} write_req;

/* The headers the server looks at; the rest are counted against the limit and skipped. */
enum { HDR_NONE = -1, HDR_AUTHORIZATION, HDR_TOKEN, HDR_HOST, HDR_EXPECT, HDR_COUNT };
static const char *const header_names[HDR_COUNT] = {"authorization", "x-renkei-token", "host", "expect"};

typedef struct conn conn;

struct sim_http_req {
    conn *c;
    unsigned method;
    char *path;                 /* decoded */
    const char *query;          /* raw, inside the url buffer, NUL-terminated; "" when none */
    bool responded;
    char extra[256];            /* header lines for the answer (sim_http_req_add_header) */
    size_t extra_len;
};

struct conn {
    sim_http *h;
    conn *prev, *next;
    uv_tcp_t tcp;
    uv_timer_t timer;
    int open_handles;
    bool closing, close_pending;    /* close_pending: after the response being written */
    http_parser parser;
    /* the request being read */
    bool in_request, head_done;
    size_t head_bytes;
    char *url;
    size_t url_len, url_cap;
    char *body;
    size_t body_len, body_cap;
    int header;                 /* which of header_names the value being read belongs to */
    char hname[32];
    size_t hname_len;
    bool hname_long, last_was_value;
    char hval[HDR_COUNT][HEADER_VALUE_MAX];
    unsigned hcount[HDR_COUNT]; /* how many times each was given */
    int fail_status;            /* set by a parser callback that stops the parse */
    const char *fail_why;       /* and what to say, when not the status's usual words */
    /* the client */
    char addr[48];              /* its address, as text */
    bool trusted;               /* made a complete request with the token (see sim_http.h) */
    /* TLS (when the server has a context): the connection's state and its client certificate */
    sim_tls_conn *tls;
    char peer_cert[200];
    /* event stream */
    bool sse;
    int channel;
    uint64_t dropped_unreported;
};

struct sim_http {
    uv_loop_t *loop;
    sim_tls_ctx *tls;           /* the caller's; NULL: plain HTTP */
    uv_tcp_t listener;
    uv_timer_t heartbeat;
    uv_timer_t ticker;
    void (*tick)(void *ud);
    int open_handles;
    bool closing;
    void (*closed)(void *);
    void *closed_arg;
    sim_http_limits lim;
    char *static_root, *token;
    bool loopback_hosts_only, trust_any_request, handlers_check_query;
    sim_http_route *routes;
    size_t nroutes;
    void *ud;
    int port;
    conn *conns;
    unsigned nconns;            /* in the list: open and not closing */
    unsigned live_conns;        /* not yet freed (their handles may be closing) */
    sim_http_stats stats;
    http_parser_settings settings;
    char readbuf[READ_BUF];
};

/* ---- buffers and writes ---------------------------------------------------------------- */

static int grow_append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n + 1) c *= 2;
        char *q = realloc(*buf, c);
        if (!q) return -ENOMEM;
        *buf = q;
        *cap = c;
    }
    memcpy(*buf + *len, p, n);
    *len += n;
    (*buf)[*len] = '\0';
    return 0;
}

static blob *blob_new(size_t len)
{
    blob *b = malloc(sizeof *b + len + 1);
    if (!b) return NULL;
    b->refs = 1;
    b->len = len;
    return b;
}

static void blob_unref(blob *b)
{
    if (b && --b->refs == 0) free(b);
}

static void conn_close(conn *c);

static void on_write(uv_write_t *req, int status)
{
    write_req *w = (write_req *)req;
    conn *c = req->data;
    bool close_after = w->close_after;
    blob_unref(w->b);
    free(w);
    if (status < 0 || close_after) conn_close(c);
}

static int conn_write(conn *c, blob *b, bool close_after);

/* The ciphertext TLS has waiting, onto the socket (then closed when close_after). */
static int tls_flush(conn *c, bool close_after)
{
    size_t n = sim_tls_conn_waiting(c->tls);
    if (!n) {
        if (close_after) conn_close(c);
        return 0;
    }
    blob *b = blob_new(n);
    if (!b) {
        conn_close(c);
        return -ENOMEM;
    }
    b->len = sim_tls_conn_take(c->tls, b->data, n);
    sim_tls_conn *keep = c->tls;
    c->tls = NULL;   /* written as it is */
    int rc = conn_write(c, b, close_after);
    c->tls = keep;
    blob_unref(b);
    return rc;
}

/* Queue b on the connection (taking a reference); over TLS, encrypted. */
static int conn_write(conn *c, blob *b, bool close_after)
{
    if (c->closing) return -ECANCELED;
    if (c->tls) {
        if (sim_tls_conn_output(c->tls, b->data, b->len) < 0) {
            conn_close(c);
            return -EPROTO;
        }
        return tls_flush(c, close_after);
    }
    write_req *w = calloc(1, sizeof *w);
    if (!w) return -ENOMEM;
    w->b = b;
    b->refs++;
    w->close_after = close_after;
    w->req.data = c;
    uv_buf_t buf = uv_buf_init(b->data, (unsigned)b->len);
    int rc = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write);
    if (rc < 0) {
        blob_unref(b);
        free(w);
        conn_close(c);
    }
    return rc;
}

/* ---- connections ----------------------------------------------------------------------- */

static void http_maybe_free(sim_http *h);

static void conn_reset_request(conn *c)
{
    c->in_request = c->head_done = false;
    c->head_bytes = 0;
    c->url_len = c->body_len = 0;
    if (c->url) c->url[0] = '\0';
    c->header = HDR_NONE;
    c->hname_len = 0;
    c->hname_long = c->last_was_value = false;
    memset(c->hval, 0, sizeof c->hval);
    memset(c->hcount, 0, sizeof c->hcount);
    c->fail_status = 0;
    c->fail_why = NULL;
}

/* How long the connection may take now: to send the request under way whole, or to send
 * another; shorter until it is trusted. */
static unsigned conn_deadline_ms(const conn *c, bool in_request)
{
    const sim_http_limits *l = &c->h->lim;
    unsigned ms = in_request ? l->request_timeout_ms : l->idle_timeout_ms;
    return !c->trusted && l->unauth_timeout_ms < ms ? l->unauth_timeout_ms : ms;
}

static void on_conn_closed(uv_handle_t *handle)
{
    conn *c = handle->data;
    if (--c->open_handles > 0) return;
    sim_http *h = c->h;
    free(c->url);
    free(c->body);
    sim_tls_conn_free(c->tls);
    free(c);
    h->live_conns--;
    http_maybe_free(h);
}

static void conn_close(conn *c)
{
    if (c->closing) return;
    c->closing = true;
    sim_http *h = c->h;
    if (c->prev) c->prev->next = c->next;
    else h->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    h->nconns--;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, on_conn_closed);
    uv_close((uv_handle_t *)&c->tcp, on_conn_closed);
}

static void on_conn_timer(uv_timer_t *t)
{
    conn *c = t->data;
    if (c->in_request) {   /* a request that never finished arriving */
        sim_http_req r = {.c = c, .query = ""};
        sim_http_respond_error(&r, 408, "the request did not arrive within %u ms%s", conn_deadline_ms(c, true),
                               c->trusted ? "" : " (a connection that has not yet made a request with the token)");
        return;
    }
    conn_close(c);
}

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Status";
    }
}

/* Write a whole response (with the extra header lines, each ending in CRLF); close the
 * connection after it when asked or when the client said so. A HEAD request gets the head
 * only. */
static int write_response(conn *c, int status, const char *ctype, const char *body, size_t len, bool close,
                          const char *extra, size_t extra_len)
{
    if (!close && (c->parser.http_errno != HPE_OK || !http_should_keep_alive(&c->parser))) close = true;
    if (c->in_request) close = true;   /* answered before the body was read: what follows is not a request */
    if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > MAX_RESPONSE_QUEUE) {
        conn_close(c);   /* the client asks and never reads the answers */
        return -ENOBUFS;
    }
    char head[1024];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                     "Referrer-Policy: no-referrer\r\n"
                     "Content-Security-Policy: default-src 'self'; style-src 'self' 'unsafe-inline'; "
                     "img-src 'self' data:; frame-ancestors 'none'\r\n"
                     "Connection: %s\r\n%.*s\r\n",
                     status, reason_phrase(status), ctype, len, close ? "close" : "keep-alive", (int)extra_len, extra);
    if (n < 0 || (size_t)n >= sizeof head) n = 0;
    if (c->parser.method == HTTP_HEAD && c->head_done && c->parser.type == HTTP_REQUEST) len = 0;
    blob *b = blob_new((size_t)n + len);
    if (!b) {
        conn_close(c);
        return -ENOMEM;
    }
    memcpy(b->data, head, (size_t)n);
    if (len) memcpy(b->data + n, body, len);
    if (status >= 400 && status < 500) c->h->stats.errors_4xx++;
    int rc = conn_write(c, b, close);
    blob_unref(b);
    if (close && !c->closing) {
        c->close_pending = true;
        uv_read_stop((uv_stream_t *)&c->tcp);
    }
    return rc;
}

/* ---- requests -------------------------------------------------------------------------- */

unsigned sim_http_req_method(const sim_http_req *r) { return r->method; }
const char *sim_http_req_method_name(const sim_http_req *r) { return http_method_str(r->c->parser.method); }

int sim_http_req_add_header(sim_http_req *r, const char *name, const char *value)
{
    if (r->responded || !*name || strpbrk(name, "\r\n: ") || strpbrk(value, "\r\n")) return -EINVAL;
    size_t need = strlen(name) + 2 + strlen(value) + 2;
    if (r->extra_len + need >= sizeof r->extra) return -ENOSPC;
    r->extra_len += (size_t)snprintf(r->extra + r->extra_len, sizeof r->extra - r->extra_len, "%s: %s\r\n", name, value);
    return 0;
}
const char *sim_http_req_path(const sim_http_req *r) { return r->path; }
sim_http *sim_http_req_server(const sim_http_req *r) { return r->c->h; }

const char *sim_http_req_body(const sim_http_req *r, size_t *len)
{
    if (len) *len = r->c->body_len;
    return r->c->body ? r->c->body : "";
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Percent-decode [s, s+n) into out (size cap); '+' is a space when plus_space. */
static int url_decode(const char *s, size_t n, char *out, size_t cap, bool plus_space)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)s[i];
        if (ch == '%') {
            if (i + 2 >= n) return -EINVAL;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0) return -EINVAL;
            ch = hi << 4 | lo;
            i += 2;
            if (ch == 0) return -EINVAL;
        } else if (ch == '+' && plus_space) {
            ch = ' ';
        }
        if (j + 1 >= cap) return -ENOSPC;
        out[j++] = (char)ch;
    }
    out[j] = '\0';
    return 0;
}

/* Percent-decode [s, s+n) into a new string (the caller frees): 0, -EINVAL (*bad: the offset
 * in s of the bad escape), -EILSEQ (*bad: where the text stops being UTF-8), -ENOMEM. */
static int decode_alloc(const char *s, size_t n, bool plus_space, char **out, size_t *bad)
{
    *out = malloc(n + 1);
    if (!*out) return -ENOMEM;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        int ch = (unsigned char)s[i];
        if (ch == '%') {
            int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi << 4 | lo) == 0) {
                *bad = i;
                free(*out);
                *out = NULL;
                return -EINVAL;
            }
            ch = hi << 4 | lo;
            i += 2;
        } else if (ch == '+' && plus_space) {
            ch = ' ';
        }
        (*out)[j++] = (char)ch;
    }
    (*out)[j] = '\0';
    size_t valid = sim_json_utf8_valid(*out, j);
    if (valid != j) {   /* where that byte came from in s */
        size_t i = 0;
        for (size_t k = 0; k < valid; k++) i += s[i] == '%' ? 3 : 1;
        *bad = i;
        free(*out);
        *out = NULL;
        return -EILSEQ;
    }
    return 0;
}

int sim_http_req_query_check(const sim_http_req *r, char *name, size_t name_n, char *why, size_t why_n)
{
    if (name_n) name[0] = '\0';
    for (const char *p = r->query; *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t key_len = eq ? (size_t)(eq - p) : len;
        char *key = NULL, *val = NULL;
        size_t bad = 0;
        int rc = decode_alloc(p, key_len, true, &key, &bad);
        if (rc == 0 && eq) {
            rc = decode_alloc(eq + 1, len - key_len - 1, true, &val, &bad);
            bad += key_len + 1;
        }
        if (rc == -ENOMEM) {
            free(key);
            snprintf(why, why_n, "out of memory");
            return rc;
        }
        if (rc < 0) {
            /* the name as far as it is readable: its raw text, printable ASCII only */
            size_t k = 0;
            for (size_t i = 0; i < key_len && k + 1 < name_n; i++)
                if (p[i] > 0x20 && p[i] < 0x7f) name[k++] = p[i];
            if (name_n) name[k] = '\0';
            const char *at = p + bad;
            char shown[8] = "";
            size_t sl = 0;
            for (size_t i = 0; i < 3 && at + i < p + len && sl + 1 < sizeof shown; i++)
                if (at[i] > 0x20 && at[i] < 0x7f) shown[sl++] = at[i];
            shown[sl] = '\0';
            if (rc == -EINVAL)
                snprintf(why, why_n, "query parameter '%s': '%s' (at byte %zu of the query) is not a %%-escape of a byte other than NUL",
                         k ? name : "(unnamed)", shown, (size_t)(at - r->query));
            else
                snprintf(why, why_n, "query parameter '%s': not UTF-8 (at byte %zu of the query)", k ? name : "(unnamed)",
                         (size_t)(at - r->query));
            free(key);
            free(val);
            return -EINVAL;
        }
        free(key);
        free(val);
        p += len + (amp ? 1 : 0);
    }
    return 0;
}

int sim_http_req_query_at(const sim_http_req *r, size_t index, char *name, size_t name_n, char *val, size_t val_n)
{
    size_t k = 0;
    for (const char *p = r->query; *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len && k++ == index) {
            const char *eq = memchr(p, '=', len);
            size_t key_len = eq ? (size_t)(eq - p) : len;
            int rc = url_decode(p, key_len, name, name_n, true);
            if (rc == 0) rc = url_decode(eq ? eq + 1 : p + len, eq ? len - key_len - 1 : 0, val, val_n, true);
            return rc;
        }
        p += len + (amp ? 1 : 0);
    }
    return -ENOENT;
}

int sim_http_req_query(const sim_http_req *r, const char *name, char *buf, size_t n)
{
    size_t name_len = strlen(name);
    for (const char *p = r->query; *p;) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t key_len = eq ? (size_t)(eq - p) : len;
        if (key_len == name_len && memcmp(p, name, name_len) == 0) {
            const char *v = eq ? eq + 1 : p + len;
            size_t vlen = (size_t)(p + len - v);
            return url_decode(v, vlen, buf, n, true);
        }
        p += len + (amp ? 1 : 0);
    }
    return -ENOENT;
}

static bool same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned diff = la != lb;
    for (size_t i = 0; i < la && i < lb; i++) diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

/* 1: the right token; 0: none given; -1: a wrong one. */
static int token_state(const sim_http_req *r)
{
    const conn *c = r->c;
    const char *given = NULL;
    if (c->hval[HDR_TOKEN][0]) given = c->hval[HDR_TOKEN];
    else if (strncasecmp(c->hval[HDR_AUTHORIZATION], "Bearer ", 7) == 0) given = c->hval[HDR_AUTHORIZATION] + 7;
    if (!given || !*given) return 0;
    return c->h->token && same_secret(given, c->h->token) ? 1 : -1;
}

bool sim_http_req_authorized(const sim_http_req *r) { return !r->c->h->token || token_state(r) == 1; }
int sim_http_req_token(const sim_http_req *r) { return token_state(r); }

/* The peer's address as text, or -ENOTCONN. */
static int peer_name(uv_tcp_t *tcp, char *buf, size_t n)
{
    struct sockaddr_storage peer;
    int len = sizeof peer;
    int rc = uv_tcp_getpeername(tcp, (struct sockaddr *)&peer, &len);
    if (rc < 0) return -ENOTCONN;
    rc = peer.ss_family == AF_INET6 ? uv_ip6_name((struct sockaddr_in6 *)&peer, buf, n)
                                    : uv_ip4_name((struct sockaddr_in *)&peer, buf, n);
    return rc < 0 ? -ENOTCONN : 0;
}

const char *sim_http_req_client_cert(const sim_http_req *r) { return r->c->tls ? r->c->peer_cert : ""; }

int sim_http_req_peer(const sim_http_req *r, char *buf, size_t n)
{
    if (!r->c->addr[0]) return -ENOTCONN;
    snprintf(buf, n, "%s", r->c->addr);
    return 0;
}

int sim_http_respond(sim_http_req *r, int status, const char *content_type, const char *body, size_t len)
{
    if (r->responded) return -EALREADY;
    r->responded = true;
    return write_response(r->c, status, content_type, body, len,
                          status == 408 || status == 413 || status == 431 || status == 503 || status == 417,
                          r->extra, r->extra_len);
}

int sim_http_respond_json(sim_http_req *r, int status, cJSON *json)
{
    char *text = json ? cJSON_PrintUnformatted(json) : NULL;
    cJSON_Delete(json);
    if (!text) return sim_http_respond_error(r, 500, "out of memory");
    int rc = sim_http_respond(r, status, "application/json; charset=utf-8", text, strlen(text));
    cJSON_free(text);
    return rc;
}

int sim_http_respond_error(sim_http_req *r, int status, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sim_json_utf8_trim(msg);   /* a path or a reason cut short stays UTF-8 */
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "error", msg) || !cJSON_AddNumberToObject(o, "status", status)) {
        cJSON_Delete(o);
        return sim_http_respond(r, status, "text/plain; charset=utf-8", msg, strlen(msg));
    }
    return sim_http_respond_json(r, status, o);
}

cJSON *sim_http_req_json(sim_http_req *r)
{
    size_t len;
    const char *body = sim_http_req_body(r, &len);
    cJSON *j = NULL;
    sim_json_error e;
    int rc = sim_json_parse_ex(body, len, &j, &e);
    if (rc == -ENOMEM) sim_http_respond_error(r, 500, "out of memory");
    else if (rc < 0) sim_http_respond_error(r, 400, "the body is not valid JSON (rule %s): %s", e.rule, e.why);
    return j;
}

/* ---- event streams --------------------------------------------------------------------- */

int sim_http_sse_open(sim_http_req *r, int channel)
{
    if (r->responded || channel < 0) return -EALREADY;
    conn *c = r->c;
    r->responded = true;
    c->sse = true;
    c->channel = channel;
    uv_timer_stop(&c->timer);
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                               "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
                               "Connection: keep-alive\r\n\r\nretry: 2000\n\n";
    blob *b = blob_new(sizeof head - 1);
    if (!b) {
        conn_close(c);
        return -ENOMEM;
    }
    memcpy(b->data, head, sizeof head - 1);
    int rc = conn_write(c, b, false);
    blob_unref(b);
    return rc;
}

/* "event: NAME\ndata: line\n...\n\n" */
static blob *sse_format(const char *event, const char *data, size_t len)
{
    size_t lines = 1;
    for (size_t i = 0; i < len; i++) lines += data[i] == '\n';
    size_t cap = 8 + (event ? strlen(event) : 0) + len + lines * 7 + 4;
    blob *b = blob_new(cap);
    if (!b) return NULL;
    size_t n = 0;
    if (event) n += (size_t)snprintf(b->data, cap, "event: %s\n", event);
    const char *p = data, *end = data + len;
    do {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        memcpy(b->data + n, "data: ", 6);
        n += 6;
        memcpy(b->data + n, p, l);
        n += l;
        b->data[n++] = '\n';
        p = nl ? nl + 1 : end;
    } while (p < end);
    b->data[n++] = '\n';
    b->len = n;
    return b;
}

int sim_http_sse_broadcast(sim_http *h, int channel, const char *event, const char *data, size_t len)
{
    blob *b = NULL;
    int dropped = 0;
    for (conn *c = h->conns, *next; c; c = next) {
        next = c->next;
        if (!c->sse || c->channel != channel || c->closing) continue;
        if (!b && !(b = sse_format(event, data, len))) return -ENOMEM;
        size_t queued = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
        if (queued + b->len > h->lim.sse_queue_bytes) {
            c->dropped_unreported++;
            h->stats.sse_dropped++;
            dropped++;
            continue;
        }
        if (c->dropped_unreported) {
            char note[64];
            int n = snprintf(note, sizeof note, "{\"dropped\":%llu}", (unsigned long long)c->dropped_unreported);
            blob *d = sse_format("dropped", note, (size_t)n);
            if (d) {
                conn_write(c, d, false);
                blob_unref(d);
                c->dropped_unreported = 0;
            }
            if (c->closing) continue;
        }
        h->stats.sse_messages++;
        h->stats.sse_bytes += b->len;
        conn_write(c, b, false);
    }
    blob_unref(b);
    return dropped;
}

static void on_tick(uv_timer_t *t)
{
    sim_http *h = t->data;
    h->tick(h->ud);
}

static void on_heartbeat(uv_timer_t *t)
{
    sim_http *h = t->data;
    static const char ping[] = ": ping\n\n";
    blob *b = NULL;
    for (conn *c = h->conns, *next; c; c = next) {
        next = c->next;
        if (!c->sse || c->closing) continue;
        if (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) > 0) continue;   /* busy anyway */
        if (!b && !(b = blob_new(sizeof ping - 1))) return;
        memcpy(b->data, ping, sizeof ping - 1);
        conn_write(c, b, false);
    }
    blob_unref(b);
}

unsigned sim_http_sse_clients(const sim_http *h, int channel)
{
    unsigned n = 0;
    for (const conn *c = h->conns; c; c = c->next) n += c->sse && !c->closing && c->channel == channel;
    return n;
}

/* ---- static files ---------------------------------------------------------------------- */

static const char *content_type_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"}, {".svg", "image/svg+xml"},
        {".png", "image/png"}, {".ico", "image/x-icon"}, {".md", "text/plain; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"}};
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

/* Only plain relative names below the root: letters, digits, '.', '_', '-', '/', never "..". */
static bool safe_path(const char *p)
{
    if (p[0] != '/' || strstr(p, "..") || strstr(p, "//")) return false;
    for (const char *s = p; *s; s++) {
        char ch = *s;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-' || ch == '/'))
            return false;
    }
    return true;
}

static void serve_file(sim_http_req *r)
{
    sim_http *h = r->c->h;
    const char *p = r->path;
    if (!safe_path(p)) {
        sim_http_respond_error(r, 404, "no such file: %s", p);
        return;
    }
    size_t n = strlen(h->static_root) + strlen(p) + 16;
    char *file = malloc(n);
    if (!file) {
        sim_http_respond_error(r, 500, "out of memory");
        return;
    }
    snprintf(file, n, "%s%s%s", h->static_root, p, p[strlen(p) - 1] == '/' ? "index.html" : "");
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *data = NULL;
    ssize_t got = -1;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= h->lim.max_file_bytes &&
        (data = malloc((size_t)st.st_size + 1))) {
        size_t have = 0;
        while (have < (size_t)st.st_size) {
            ssize_t k = read(fd, data + have, (size_t)st.st_size - have);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) break;
            have += (size_t)k;
        }
        got = have == (size_t)st.st_size ? (ssize_t)have : -1;
    }
    if (fd >= 0) close(fd);
    if (got < 0)
        sim_http_respond_error(r, 404, "no such file: %s", p);
    else
        sim_http_respond(r, 200, content_type_of(file), data, (size_t)got);
    free(data);
    free(file);
}

/* ---- dispatch -------------------------------------------------------------------------- */

static unsigned method_bit(unsigned m)
{
    switch (m) {
    case HTTP_GET: return SIM_HTTP_GET;
    case HTTP_POST: return SIM_HTTP_POST;
    case HTTP_DELETE: return SIM_HTTP_DELETE;
    case HTTP_PUT: return SIM_HTTP_PUT;
    case HTTP_PATCH: return SIM_HTTP_PATCH;
    case HTTP_HEAD: return SIM_HTTP_HEAD;
    case HTTP_OPTIONS: return SIM_HTTP_OPTIONS;
    default: return SIM_HTTP_OTHER;
    }
}

/* The methods of bits m as an Allow header's value: "GET, POST". */
static void allow_list(unsigned m, char *out, size_t n)
{
    static const struct { unsigned bit; const char *name; } names[] = {
        {SIM_HTTP_GET, "GET"}, {SIM_HTTP_HEAD, "HEAD"}, {SIM_HTTP_POST, "POST"}, {SIM_HTTP_PUT, "PUT"},
        {SIM_HTTP_PATCH, "PATCH"}, {SIM_HTTP_DELETE, "DELETE"}, {SIM_HTTP_OPTIONS, "OPTIONS"}};
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (m & names[i].bit && used < n)
            used += (size_t)snprintf(out + used, n - used, "%s%s", used ? ", " : "", names[i].name);
}

static bool host_is_loopback(const char *host)
{
    if (!*host) return true;   /* HTTP/1.0 without Host: nothing to rebind */
    static const char *const names[] = {"127.0.0.1", "localhost", "[::1]"};
    for (size_t i = 0; i < 3; i++) {
        size_t l = strlen(names[i]);
        if (strncasecmp(host, names[i], l) == 0 && (host[l] == '\0' || host[l] == ':')) return true;
    }
    return false;
}

static bool route_matches(const sim_http_route *rt, const char *path)
{
    size_t l = strlen(rt->path);
    if (l && rt->path[l - 1] == '*') return strncmp(path, rt->path, l - 1) == 0;
    return strcmp(path, rt->path) == 0;
}

static bool http11(const conn *c) { return c->parser.http_major == 1 && c->parser.http_minor >= 1; }

/* The head of the request checked and routed: the route that takes it, or NULL when the
 * request has been answered here (refused, or a static file). r->path and r->query are the
 * request's own (free them with request_free), so this can run twice: on the head alone
 * (Expect: 100-continue) and on the whole request. */
static const sim_http_route *route_request(conn *c, sim_http_req *r)
{
    sim_http *h = c->h;
    *r = (sim_http_req){.c = c, .method = method_bit(c->parser.method), .query = ""};
    if (c->hcount[HDR_HOST] > 1) {
        sim_http_respond_error(r, 400, "a request has one Host header, this one has %u (RFC 9112, section 3.2)",
                               c->hcount[HDR_HOST]);
        return NULL;
    }
    if (!c->hcount[HDR_HOST] && http11(c)) {
        sim_http_respond_error(r, 400, "an HTTP/1.1 request must have a Host header (RFC 9112, section 3.2)");
        return NULL;
    }
    struct http_parser_url u;
    http_parser_url_init(&u);
    if (!c->url || http_parser_parse_url(c->url, c->url_len, 0, &u) != 0 || !(u.field_set & (1 << UF_PATH))) {
        sim_http_respond_error(r, 400, "bad request target");
        return NULL;
    }
    size_t plen = u.field_data[UF_PATH].len;
    r->path = malloc(plen + 1);
    if (!r->path || url_decode(c->url + u.field_data[UF_PATH].off, plen, r->path, plen + 1, false) < 0) {
        sim_http_respond_error(r, 400, "bad path: a %%-escape that is not one, or one of NUL");
        return NULL;
    }
    if (sim_json_utf8_valid(r->path, strlen(r->path)) != strlen(r->path)) {
        sim_http_respond_error(r, 400, "bad path: its %%-escapes decode to text that is not UTF-8");
        return NULL;
    }
    if (u.field_set & (1 << UF_QUERY)) {
        char *q = strndup(c->url + u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
        if (!q) {
            sim_http_respond_error(r, 500, "out of memory");
            return NULL;
        }
        r->query = q;
    }
    char name[64], why[300];
    if (!h->handlers_check_query && sim_http_req_query_check(r, name, sizeof name, why, sizeof why) < 0) {
        sim_http_respond_error(r, 400, "%s", why);
        return NULL;
    }
    if (h->loopback_hosts_only && !host_is_loopback(c->hval[HDR_HOST])) {
        sim_http_respond_error(r, 421, "host '%s' is not served here (use 127.0.0.1)", c->hval[HDR_HOST]);
        return NULL;
    }
    const sim_http_route *match = NULL;
    unsigned allowed = 0;
    for (size_t i = 0; i < h->nroutes; i++) {
        if (!route_matches(&h->routes[i], r->path)) continue;
        allowed |= h->routes[i].methods;
        if (!match && (h->routes[i].methods & r->method)) match = &h->routes[i];
    }
    bool file = h->static_root && strncmp(r->path, "/api/", 5) != 0;
    if (!match && !allowed && file && (r->method == SIM_HTTP_GET || r->method == SIM_HTTP_HEAD)) {
        serve_file(r);
        return NULL;
    }
    if (!match && allowed) {
        char list[80];
        allow_list(allowed, list, sizeof list);
        sim_http_req_add_header(r, "Allow", list);
        sim_http_respond_error(r, 405, "method %s is not allowed on %s (allowed: %s)", http_method_str(c->parser.method),
                               r->path, list);
        return NULL;
    }
    if (!match) {
        sim_http_respond_error(r, 404, "no such resource: %s", r->path);
        return NULL;
    }
    int tok = match->needs_token && h->token ? token_state(r) : 1;
    if (tok == 0) {
        sim_http_respond_error(r, 401, "this request needs the access token (header Authorization: Bearer TOKEN)");
        return NULL;
    }
    if (tok < 0) {
        sim_http_respond_error(r, 403, "wrong access token");
        return NULL;
    }
    return match;
}

static void request_free(sim_http_req *r)
{
    free(r->path);
    if (*r->query) free((char *)r->query);
    r->path = NULL;
    r->query = "";
}

static void dispatch(conn *c)
{
    sim_http *h = c->h;
    h->stats.requests++;
    sim_http_req r;
    const sim_http_route *match = route_request(c, &r);
    if (match) {
        /* a complete request the server takes: with the token, the connection is trusted */
        if (!h->token || h->trust_any_request || token_state(&r) == 1) c->trusted = true;
        match->fn(&r, h->ud);
        if (!r.responded && !c->closing) sim_http_respond_error(&r, 500, "the handler gave no answer");
    }
    request_free(&r);
}

/* ---- parser callbacks ------------------------------------------------------------------ */

static int fail(conn *c, int status)
{
    c->fail_status = status;
    return -1;   /* stops http_parser_execute with a callback error (1 would mean "skip the body" in on_headers_complete) */
}

static int count_head(conn *c, size_t n)
{
    c->head_bytes += n;
    return c->head_bytes > c->h->lim.max_header_bytes ? fail(c, 431) : 0;
}

static int on_message_begin(http_parser *p)
{
    conn *c = p->data;
    conn_reset_request(c);
    c->in_request = true;
    uv_timer_start(&c->timer, on_conn_timer, conn_deadline_ms(c, true), 0);
    return 0;
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    conn *c = p->data;
    if (count_head(c, n)) return 1;
    return grow_append(&c->url, &c->url_len, &c->url_cap, at, n) < 0 ? fail(c, 500) : 0;
}

static int on_header_field(http_parser *p, const char *at, size_t n)
{
    conn *c = p->data;
    if (count_head(c, n)) return 1;
    if (c->last_was_value) {
        c->hname_len = 0;
        c->hname_long = false;
        c->last_was_value = false;
    }
    if (c->hname_len + n >= sizeof c->hname) {
        c->hname_long = true;
        return 0;
    }
    memcpy(c->hname + c->hname_len, at, n);
    c->hname_len += n;
    c->hname[c->hname_len] = '\0';
    return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t n)
{
    conn *c = p->data;
    if (count_head(c, n)) return 1;
    if (!c->last_was_value) {
        c->last_was_value = true;
        c->header = HDR_NONE;
        for (int i = 0; i < HDR_COUNT && !c->hname_long; i++)
            if (strcasecmp(c->hname, header_names[i]) == 0) c->header = i;
        if (c->header != HDR_NONE) {
            c->hval[c->header][0] = '\0';
            c->hcount[c->header]++;
        }
    }
    if (c->header == HDR_NONE) return 0;
    char *v = c->hval[c->header];
    size_t have = strlen(v);
    if (have + n >= HEADER_VALUE_MAX) return fail(c, 431);
    memcpy(v + have, at, n);
    v[have + n] = '\0';
    return 0;
}

static void send_continue(conn *c)
{
    static const char line[] = "HTTP/1.1 100 Continue\r\n\r\n";
    blob *b = blob_new(sizeof line - 1);
    if (!b) return;
    memcpy(b->data, line, sizeof line - 1);
    conn_write(c, b, false);
    blob_unref(b);
}

/* The head is whole. A request that can be refused from its head alone is, at once, when it
 * has a bad Host or expects 100-continue (the body is then never read and the connection
 * closes after the answer); one that expects 100-continue and is not refused gets it. */
static int on_headers_complete(http_parser *p)
{
    conn *c = p->data;
    c->head_done = true;
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > c->h->lim.max_body_bytes) return fail(c, 413);
    bool bad_host = c->hcount[HDR_HOST] > 1 || (!c->hcount[HDR_HOST] && http11(c));
    bool expects = c->hcount[HDR_EXPECT] && http11(c);   /* HTTP/1.0: ignored (RFC 9110, 10.1.1) */
    if (!bad_host && !expects) return 0;
    sim_http_req r;
    if (!bad_host && (c->hcount[HDR_EXPECT] > 1 || strcasecmp(c->hval[HDR_EXPECT], "100-continue") != 0)) {
        r = (sim_http_req){.c = c, .query = ""};
        c->h->stats.requests++;
        sim_http_respond_error(&r, 417, "the only expectation understood is Expect: 100-continue");
        http_parser_pause(p, 1);
        return 0;
    }
    const sim_http_route *match = route_request(c, &r);
    request_free(&r);
    if (!match) {   /* answered (refused): the body will not be read */
        c->h->stats.requests++;
        http_parser_pause(p, 1);
        return 0;
    }
    if ((p->flags & F_CHUNKED) || ((p->flags & F_CONTENTLENGTH) && p->content_length > 0)) send_continue(c);
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    conn *c = p->data;
    if (c->body_len + n > c->h->lim.max_body_bytes) return fail(c, 413);
    return grow_append(&c->body, &c->body_len, &c->body_cap, at, n) < 0 ? fail(c, 500) : 0;
}

static int on_message_complete(http_parser *p)
{
    conn *c = p->data;
    c->in_request = false;
    uv_timer_stop(&c->timer);
    dispatch(c);
    if (!c->closing && !c->sse) uv_timer_start(&c->timer, on_conn_timer, conn_deadline_ms(c, false), 0);
    /* Pause after each request: the rest of the read is parsed on return, in order. */
    if (c->closing || c->close_pending || c->sse) http_parser_pause(p, 1);
    return 0;
}

/* ---- reading --------------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    conn *c = handle->data;
    *buf = uv_buf_init(c->h->readbuf, READ_BUF);
}

/* Plaintext from the peer into the parser: 0, or -1 when the connection stops reading. */
static int parse(void *ud, const char *data, size_t nread)
{
    conn *c = ud;
    if (c->closing || c->close_pending) return -1;
    if (c->sse) return 0;   /* an event stream only listens to the peer for its end */
    size_t done = http_parser_execute(&c->parser, &c->h->settings, data, nread);
    enum http_errno err = HTTP_PARSER_ERRNO(&c->parser);
    if (err == HPE_PAUSED || c->closing || c->close_pending || c->sse) return -1;
    if (err != HPE_OK || done != nread) {
        sim_http_req r = {.c = c, .query = ""};
        int status = c->fail_status ? c->fail_status : 400;
        if (status == 413)
            sim_http_respond_error(&r, 413, "the body is larger than %zu bytes", c->h->lim.max_body_bytes);
        else if (status == 431)
            sim_http_respond_error(&r, 431, "the request head is larger than %zu bytes", c->h->lim.max_header_bytes);
        else if (status == 500)
            sim_http_respond_error(&r, 500, "out of memory");
        else
            sim_http_respond_error(&r, 400, "malformed request: %s", http_errno_description(err));
        return -1;
    }
    return 0;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = s->data;
    if (nread < 0) {
        conn_close(c);
        return;
    }
    if (nread == 0 || c->closing || c->close_pending) return;
    if (!c->tls) {
        parse(c, buf->base, (size_t)nread);
        return;
    }
    sim_http *h = c->h;
    char why[sizeof h->stats.tls_last_refusal - 64];
    int rc = sim_tls_conn_input(c->tls, buf->base, (size_t)nread, parse, c, why, sizeof why);
    if (rc == 1) {
        h->stats.tls_handshakes++;
        if (sim_tls_conn_peer(c->tls, c->peer_cert, sizeof c->peer_cert) < 0) c->peer_cert[0] = '\0';
    }
    if (rc < 0) {   /* the alert goes out, then the connection closes */
        if (!sim_tls_conn_ready(c->tls)) {
            h->stats.tls_refused++;
            snprintf(h->stats.tls_last_refusal, sizeof h->stats.tls_last_refusal, "%s: %s", c->addr, why);
        }
        tls_flush(c, true);
        return;
    }
    if (!c->closing) tls_flush(c, false);
}

/* Close the oldest untrusted connection (from addr, when given) other than keep, to make room
 * for keep: false when there is none. */
static bool evict_untrusted(sim_http *h, const conn *keep, const char *addr)
{
    conn *oldest = NULL;
    for (conn *o = h->conns; o; o = o->next)   /* newest first */
        if (o != keep && !o->trusted && !o->closing && (!addr || strcmp(o->addr, addr) == 0)) oldest = o;
    if (!oldest) return false;
    h->stats.evicted++;
    conn_close(oldest);
    return true;
}

static void on_connection(uv_stream_t *server, int status)
{
    sim_http *h = server->data;
    if (status < 0 || h->closing) return;
    conn *c = calloc(1, sizeof *c);
    if (!c) return;
    c->h = h;
    uv_tcp_init(h->loop, &c->tcp);
    uv_timer_init(h->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->open_handles = 2;
    c->next = h->conns;
    if (h->conns) h->conns->prev = c;
    h->conns = c;
    h->nconns++;
    h->live_conns++;
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c;
    if (h->tls && !(c->tls = sim_tls_conn_new(h->tls))) {
        conn_close(c);
        return;
    }
    conn_reset_request(c);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    h->stats.accepted++;
    uv_tcp_nodelay(&c->tcp, 1);
    peer_name(&c->tcp, c->addr, sizeof c->addr);
    /* Room is made by closing untrusted connections: first within the address's share, then
     * in the whole server. Only when every other one is trusted is the newcomer refused (and
     * told so rather than hung up on without a word). */
    unsigned from_addr = 0;
    for (const conn *o = h->conns; o; o = o->next) from_addr += o != c && !o->closing && strcmp(o->addr, c->addr) == 0;
    if (from_addr >= h->lim.max_conns_per_addr && !evict_untrusted(h, c, c->addr)) {
        h->stats.refused++;
        sim_http_req r = {.c = c, .query = ""};
        sim_http_respond_error(&r, 503, "too many connections from %s (at most %u from one address)", c->addr,
                               h->lim.max_conns_per_addr);
        return;
    }
    if (h->nconns > h->lim.max_conns && !evict_untrusted(h, c, NULL)) {
        h->stats.refused++;
        sim_http_req r = {.c = c, .query = ""};
        sim_http_respond_error(&r, 503, "too many connections (at most %u)", h->lim.max_conns);
        return;
    }
    uv_timer_start(&c->timer, on_conn_timer, conn_deadline_ms(c, false), 0);
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

/* ---- lifecycle ------------------------------------------------------------------------- */

static void http_free(sim_http *h)
{
    void (*closed)(void *) = h->closed;
    void *arg = h->closed_arg;
    for (size_t i = 0; i < h->nroutes; i++) free((char *)h->routes[i].path);
    free(h->routes);
    free(h->static_root);
    free(h->token);
    free(h);
    if (closed) closed(arg);
}

static void http_maybe_free(sim_http *h)
{
    if (h->closing && h->open_handles == 0 && h->live_conns == 0) http_free(h);
}

static void on_server_handle_closed(uv_handle_t *handle)
{
    sim_http *h = handle->data;
    h->open_handles--;
    http_maybe_free(h);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int sim_http_create(uv_loop_t *loop, const sim_http_config *cfg, sim_http **out)
{
    if (!cfg->host || cfg->port < 0 || cfg->port > 65535) return -EINVAL;
    sim_http *h = calloc(1, sizeof *h);
    if (!h) return -ENOMEM;
    h->loop = loop;
    h->tls = cfg->tls;
    h->lim = cfg->limits;
    if (!h->lim.max_header_bytes) h->lim.max_header_bytes = 8 * 1024;
    if (!h->lim.max_body_bytes) h->lim.max_body_bytes = 64 * 1024;
    if (!h->lim.max_conns) h->lim.max_conns = 64;
    if (!h->lim.max_conns_per_addr) h->lim.max_conns_per_addr = h->lim.max_conns > 1 ? h->lim.max_conns / 2 : 1;
    if (!h->lim.unauth_timeout_ms) h->lim.unauth_timeout_ms = 5 * 1000;
    if (!h->lim.request_timeout_ms) h->lim.request_timeout_ms = 10 * 1000;
    if (!h->lim.idle_timeout_ms) h->lim.idle_timeout_ms = 60 * 1000;
    if (!h->lim.sse_queue_bytes) h->lim.sse_queue_bytes = 512 * 1024;
    if (!h->lim.max_file_bytes) h->lim.max_file_bytes = 8 << 20;
    h->loopback_hosts_only = cfg->loopback_hosts_only;
    h->trust_any_request = cfg->trust_any_request;
    h->handlers_check_query = cfg->handlers_check_query;
    h->ud = cfg->ud;
    h->static_root = dup_or_null(cfg->static_root);
    h->token = dup_or_null(cfg->token);
    h->routes = calloc(cfg->nroutes ? cfg->nroutes : 1, sizeof *h->routes);
    bool ok = h->routes && (!cfg->static_root || h->static_root) && (!cfg->token || h->token);
    for (size_t i = 0; ok && i < cfg->nroutes; i++) {
        h->routes[i] = cfg->routes[i];
        h->routes[i].path = strdup(cfg->routes[i].path);
        ok = h->routes[i].path != NULL;
        h->nroutes = i + 1;
    }
    if (!ok) {
        http_free(h);
        return -ENOMEM;
    }
    h->settings = (http_parser_settings){
        .on_message_begin = on_message_begin, .on_url = on_url, .on_header_field = on_header_field,
        .on_header_value = on_header_value, .on_headers_complete = on_headers_complete,
        .on_body = on_body, .on_message_complete = on_message_complete};

    struct sockaddr_storage addr;
    int rc = strchr(cfg->host, ':') ? uv_ip6_addr(cfg->host, cfg->port, (struct sockaddr_in6 *)&addr)
                                    : uv_ip4_addr(cfg->host, cfg->port, (struct sockaddr_in *)&addr);
    if (rc < 0) {
        http_free(h);
        return -EINVAL;
    }
    uv_tcp_init(loop, &h->listener);
    uv_timer_init(loop, &h->heartbeat);
    uv_timer_init(loop, &h->ticker);
    h->listener.data = h->heartbeat.data = h->ticker.data = h;
    h->open_handles = 3;
    h->tick = cfg->tick;
    rc = uv_tcp_bind(&h->listener, (const struct sockaddr *)&addr, 0);
    if (rc == 0) rc = uv_listen((uv_stream_t *)&h->listener, 128, on_connection);
    if (rc == 0) {
        struct sockaddr_storage bound;
        int len = sizeof bound;
        rc = uv_tcp_getsockname(&h->listener, (struct sockaddr *)&bound, &len);
        if (rc == 0)
            h->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                                        : ((struct sockaddr_in *)&bound)->sin_port);
    }
    if (rc < 0) {
        h->closing = true;   /* freed when both handles have closed */
        uv_close((uv_handle_t *)&h->listener, on_server_handle_closed);
        uv_close((uv_handle_t *)&h->heartbeat, on_server_handle_closed);
        uv_close((uv_handle_t *)&h->ticker, on_server_handle_closed);
        return rc;
    }
    uv_timer_start(&h->heartbeat, on_heartbeat, HEARTBEAT_MS, HEARTBEAT_MS);
    uv_unref((uv_handle_t *)&h->heartbeat);   /* the listener keeps the loop alive, not this */
    if (cfg->tick && cfg->tick_ms) {
        uv_timer_start(&h->ticker, on_tick, cfg->tick_ms, cfg->tick_ms);
        uv_unref((uv_handle_t *)&h->ticker);
    }
    *out = h;
    return 0;
}

int sim_http_port(const sim_http *h) { return h->port; }
uint64_t sim_http_wall_ns(void) { return uv_hrtime(); }
const sim_http_stats *sim_http_stats_get(const sim_http *h) { return &h->stats; }
unsigned sim_http_connections(const sim_http *h) { return h->nconns; }

void sim_http_close(sim_http *h, void (*closed)(void *arg), void *arg)
{
    if (h->closing) return;
    h->closing = true;
    h->closed = closed;
    h->closed_arg = arg;
    while (h->conns) conn_close(h->conns);
    uv_timer_stop(&h->heartbeat);
    uv_timer_stop(&h->ticker);
    uv_close((uv_handle_t *)&h->listener, on_server_handle_closed);
    uv_close((uv_handle_t *)&h->heartbeat, on_server_handle_closed);
    uv_close((uv_handle_t *)&h->ticker, on_server_handle_closed);
}
