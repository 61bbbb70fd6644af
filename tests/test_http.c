/* test_http.c - the HTTP layer (sim_http): routing, the token, limits, bad requests, static
 * files, event streams with a bounded queue, and that closing leaves no handle open. RFC 9112
 * and 9110: Host exactly once in HTTP/1.1, Expect: 100-continue, 405 with Allow, HEAD without a
 * body, queries whose escapes do not decode; strict JSON bodies; the connection caps (per
 * address and in all, untrusted connections making room, the deadline for untrusted ones).
 *
 * The server runs on the main thread's loop; a client thread speaks plain blocking sockets
 * to it, as a browser would, and ends the loop when it is done. Timeouts on the client's
 * sockets only guard against a hang; nothing here asserts how long anything takes. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "check.h"
#include "sim_http.h"

enum {
    MAX_BODY = 1024, MAX_HEAD = 4096, MAX_CONNS = 6, MAX_PER_ADDR = 4, UNAUTH_MS = 250, SSE_QUEUE = 64 * 1024,
    FLOOD_MSG = 4096,
};

typedef struct server_ctx {
    uv_loop_t *loop;
    sim_http *http;
    sim_http *caps;             /* a second server for the connection caps (a long deadline) */
    int caps_port;
    uv_async_t done;
    int port;
    int changes;                /* what the token-protected route changes */
    size_t queue_peak;          /* the most an event-stream client ever had queued */
    bool closed;
} server_ctx;

/* ---- routes ---------------------------------------------------------------------------- */

static void h_hello(sim_http_req *r, void *ud)
{
    sim_http_respond(r, 200, "text/plain", "hello", 5);
}

static void h_change(sim_http_req *r, void *ud)
{
    server_ctx *s = ud;
    cJSON *j = sim_http_req_json(r);
    if (!j) return;   /* 400 already sent */
    cJSON *by = cJSON_GetObjectItem(j, "by");
    if (!cJSON_IsNumber(by)) {
        cJSON_Delete(j);
        sim_http_respond_error(r, 400, "'by' must be a number");
        return;
    }
    s->changes += by->valueint;
    cJSON_Delete(j);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "changes", s->changes);
    sim_http_respond_json(r, 200, o);
}

static void h_echo(sim_http_req *r, void *ud)
{
    char v[64];
    int rc = sim_http_req_query(r, "name", v, sizeof v);
    if (rc < 0) {
        sim_http_respond_error(r, 400, "no name");
        return;
    }
    sim_http_respond(r, 200, "text/plain", v, strlen(v));
}

static void h_stream(sim_http_req *r, void *ud) { sim_http_sse_open(r, 0); }

/* Broadcast n messages of FLOOD_MSG bytes to the event streams. */
static void h_flood(sim_http_req *r, void *ud)
{
    char v[16];
    int n = sim_http_req_query(r, "n", v, sizeof v) == 0 ? atoi(v) : 1;
    static char msg[FLOOD_MSG];
    memset(msg, 'x', sizeof msg);
    int dropped = 0;
    for (int i = 0; i < n; i++) dropped += sim_http_sse_broadcast(sim_http_req_server(r), 0, "tick", msg, sizeof msg);
    char out[64];
    int len = snprintf(out, sizeof out, "%d", dropped);
    sim_http_respond(r, 200, "text/plain", out, (size_t)len);
}

static void h_clients(sim_http_req *r, void *ud)
{
    char out[64];
    int len = snprintf(out, sizeof out, "%u", sim_http_sse_clients(sim_http_req_server(r), 0));
    sim_http_respond(r, 200, "text/plain", out, (size_t)len);
}

static const sim_http_route routes[] = {
    {SIM_HTTP_GET, "/api/hello", false, h_hello},
    {SIM_HTTP_POST, "/api/change", true, h_change},
    {SIM_HTTP_GET, "/api/echo", false, h_echo},
    {SIM_HTTP_GET, "/api/stream", false, h_stream},
    {SIM_HTTP_POST, "/api/flood", false, h_flood},
    {SIM_HTTP_GET, "/api/clients", false, h_clients},
};

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- a blocking client ----------------------------------------------------------------- */

/* A connection to the server from the local address `from` (another loopback address is
 * another client). */
static int dial_from(int port, const char *from)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET};
    inet_pton(AF_INET, from, &me.sin_addr);
    if (bind(fd, (struct sockaddr *)&me, sizeof me) < 0) {
        close(fd);
        return -1;
    }
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    struct timeval tv = {.tv_sec = 20};   /* a hang guard, not an assertion */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int dial(int port) { return dial_from(port, "127.0.0.1"); }

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0) return;
        p += k;
        n -= (size_t)k;
    }
}

/* Read until the peer closes (the requests below all say Connection: close). */
static char *read_all(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1024 > cap) buf = realloc(buf, cap *= 2);
        ssize_t k = recv(fd, buf + len, cap - len - 1, 0);
        if (k <= 0) break;
        len += (size_t)k;
    }
    buf[len] = '\0';
    return buf;
}

/* Send raw bytes on a new connection; return the status and (in *body) the response. */
static int exchange(int port, const char *raw, size_t n, char **body)
{
    int fd = dial(port);
    if (fd < 0) return -1;
    send_all(fd, raw, n);
    char *resp = read_all(fd);
    close(fd);
    int status = -1;
    sscanf(resp, "HTTP/1.1 %d", &status);
    if (body) *body = resp;
    else free(resp);
    return status;
}

static int request(int port, const char *method, const char *path, const char *headers, const char *body,
                   char **resp)
{
    char raw[8192];
    int n = snprintf(raw, sizeof raw, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n%s",
                     method, path, headers ? headers : "", body ? strlen(body) : 0, body ? body : "");
    return exchange(port, raw, (size_t)n, resp);
}

static const char *body_of(const char *resp)
{
    const char *p = strstr(resp, "\r\n\r\n");
    return p ? p + 4 : "";
}

/* One response on a kept-alive connection (head and Content-Length bytes of body) into buf:
 * its status, or -1. */
static int read_response(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    const char *end = NULL;
    while (!(end = strstr(buf, "\r\n\r\n"))) {
        if (len + 1 >= cap) return -1;
        ssize_t k = recv(fd, buf + len, cap - len - 1, 0);
        if (k <= 0) return -1;
        len += (size_t)k;
        buf[len] = '\0';
    }
    const char *cl = strstr(buf, "Content-Length: ");
    size_t want = (size_t)(end + 4 - buf) + (cl && cl < end ? (size_t)atol(cl + 16) : 0);
    while (len < want && len + 1 < cap) {
        ssize_t k = recv(fd, buf + len, (want < cap - 1 ? want : cap - 1) - len, 0);
        if (k <= 0) break;
        len += (size_t)k;
        buf[len] = '\0';
    }
    int status = -1;
    sscanf(buf, "HTTP/1.1 %d", &status);
    return status;
}

/* Whether the peer closes the connection within ms (reading whatever comes first). */
static bool closed_within(int fd, long ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char b[4096];
    ssize_t k;
    while ((k = recv(fd, b, sizeof b, 0)) > 0) {}
    bool closed = k == 0 || (k < 0 && errno == ECONNRESET);
    tv.tv_sec = 20;
    tv.tv_usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return closed;
}

/* ---- the client's tests ---------------------------------------------------------------- */

static void test_routing(server_ctx *s)
{
    char *r;
    CHECK_INT(request(s->port, "GET", "/api/hello", NULL, NULL, &r), 200);
    CHECK_STR(body_of(r), "hello");
    free(r);
    CHECK_INT(request(s->port, "GET", "/api/nope", NULL, NULL, &r), 404);
    CHECK(strstr(body_of(r), "\"error\":\"no such resource: /api/nope\"") != NULL);
    free(r);
    CHECK_INT(request(s->port, "POST", "/api/hello", NULL, "", NULL), 405);
    CHECK_INT(request(s->port, "PUT", "/api/hello", NULL, "", NULL), 405);
    CHECK_INT(request(s->port, "GET", "/api/echo?name=a%20b+c&x=1", NULL, NULL, &r), 200);
    CHECK_STR(body_of(r), "a b c");
    free(r);
    CHECK_INT(request(s->port, "GET", "/api/echo?name=%zz", NULL, NULL, NULL), 400);
}

static void test_token(server_ctx *s)
{
    const char *json = "{\"by\":2}";
    CHECK_INT(request(s->port, "POST", "/api/change", NULL, json, NULL), 401);
    CHECK_INT(request(s->port, "POST", "/api/change", "Authorization: Bearer wrong\r\n", json, NULL), 403);
    CHECK_INT(request(s->port, "POST", "/api/change", "X-Renkei-Token: wrong\r\n", json, NULL), 403);
    CHECK_INT(s->changes, 0);   /* nothing changed without the token */
    CHECK_INT(request(s->port, "POST", "/api/change", "Authorization: Bearer s3cret\r\n", json, NULL), 200);
    CHECK_INT(request(s->port, "POST", "/api/change", "X-Renkei-Token: s3cret\r\n", json, NULL), 200);
    CHECK_INT(s->changes, 4);
    /* bad JSON or a bad field: 400, and nothing changes */
    CHECK_INT(request(s->port, "POST", "/api/change", "X-Renkei-Token: s3cret\r\n", "{\"by\":", NULL), 400);
    CHECK_INT(request(s->port, "POST", "/api/change", "X-Renkei-Token: s3cret\r\n", "{\"by\":\"x\"}", NULL), 400);
    CHECK_INT(request(s->port, "POST", "/api/change", "X-Renkei-Token: s3cret\r\n", "", NULL), 400);
    CHECK_INT(s->changes, 4);
    /* the strict reader: each refused with 400 naming the byte and the rule, nothing changes */
    char *r;
    CHECK_INT(request(s->port, "POST", "/api/change", "X-Renkei-Token: s3cret\r\n", "{\"by\":1,\"by\":2}", &r), 400);
    CHECK(strstr(body_of(r), "rule duplicate_key") && strstr(body_of(r), "byte 8 (at by): duplicate key"));
    free(r);
    CHECK_INT(request(s->port, "POST", "/api/change", "X-Renkei-Token: s3cret\r\n", "{\"by\":1e999}", &r), 400);
    CHECK(strstr(body_of(r), "rule number") != NULL);
    free(r);
    CHECK_INT(request(s->port, "POST", "/api/change", "X-Renkei-Token: s3cret\r\n", "{\"by\":1} {}", &r), 400);
    CHECK(strstr(body_of(r), "rule trailing") != NULL);
    free(r);
    CHECK_INT(request(s->port, "POST", "/api/change", "X-Renkei-Token: s3cret\r\n", "{\"by\":1,\"x\":\"\\u0000\"}", &r), 400);
    CHECK(strstr(body_of(r), "rule nul") != NULL);
    free(r);
    CHECK_INT(request(s->port, "POST", "/api/change", "X-Renkei-Token: s3cret\r\n", "{\"by\":1,\"x\":\"\xff\"}", &r), 400);
    CHECK(strstr(body_of(r), "rule utf8") != NULL);
    free(r);
    CHECK_INT(s->changes, 4);
}

/* RFC 9112, 3.2: an HTTP/1.1 request has exactly one Host; HTTP/1.0 may have none. */
static void test_host(server_ctx *s)
{
    char *r;
    const char *none = "GET /api/hello HTTP/1.1\r\nConnection: close\r\n\r\n";
    CHECK_INT(exchange(s->port, none, strlen(none), &r), 400);
    CHECK(strstr(body_of(r), "must have a Host header") != NULL);
    free(r);
    const char *two = "GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    CHECK_INT(exchange(s->port, two, strlen(two), &r), 400);
    CHECK(strstr(body_of(r), "one Host header, this one has 2") != NULL);
    free(r);
    /* refused from its head: a body that follows is never taken for a request */
    const char *post = "POST /api/change HTTP/1.1\r\nX-Renkei-Token: s3cret\r\nContent-Length: 8\r\n\r\n{\"by\":5}";
    CHECK_INT(exchange(s->port, post, strlen(post), NULL), 400);
    CHECK_INT(s->changes, 4);
    const char *old = "GET /api/hello HTTP/1.0\r\n\r\n";
    CHECK_INT(exchange(s->port, old, strlen(old), &r), 200);
    CHECK(strncmp(r, "HTTP/1.1 200 OK", 15) == 0);
    free(r);
}

/* RFC 9110, 10.1.1: 100 Continue before the body is sent, or the final status at once. */
static void test_expect(server_ctx *s)
{
    const char *head = "POST /api/change HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Renkei-Token: s3cret\r\n"
                       "Expect: 100-continue\r\nContent-Length: 8\r\nConnection: close\r\n\r\n";
    int fd = dial(s->port);
    send_all(fd, head, strlen(head));
    char got[256] = "";
    struct timeval tv = {.tv_sec = 5};   /* the body is held back: without 100 Continue this times out */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t k = recv(fd, got, sizeof got - 1, 0);
    got[k > 0 ? k : 0] = '\0';
    CHECK_STR(got, "HTTP/1.1 100 Continue\r\n\r\n");
    send_all(fd, "{\"by\":1}", 8);
    char *r = read_all(fd);
    close(fd);
    CHECK(strncmp(r, "HTTP/1.1 200", 12) == 0);
    free(r);
    CHECK_INT(s->changes, 5);
    /* refused from the head: the final status at once, and the connection closes */
    const char *untokened = "POST /api/change HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
                            "Content-Length: 8\r\n\r\n";
    CHECK_INT(exchange(s->port, untokened, strlen(untokened), NULL), 401);
    char big[256];
    snprintf(big, sizeof big, "POST /api/change HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Renkei-Token: s3cret\r\n"
                              "Expect: 100-continue\r\nContent-Length: %d\r\n\r\n", MAX_BODY + 1);
    CHECK_INT(exchange(s->port, big, strlen(big), NULL), 413);
    const char *nowhere = "POST /api/nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 8\r\n\r\n";
    CHECK_INT(exchange(s->port, nowhere, strlen(nowhere), NULL), 404);
    const char *other = "POST /api/change HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Renkei-Token: s3cret\r\n"
                        "Expect: something-else\r\nContent-Length: 8\r\n\r\n";
    CHECK_INT(exchange(s->port, other, strlen(other), NULL), 417);
    CHECK_INT(s->changes, 5);
}

/* RFC 9110, 15.5.6: 405 names what the path takes in Allow; HEAD gets no body. */
static void test_methods(server_ctx *s)
{
    char *r;
    CHECK_INT(request(s->port, "PUT", "/api/hello", NULL, "", &r), 405);
    CHECK(strstr(r, "\r\nAllow: GET\r\n") != NULL);
    free(r);
    CHECK_INT(request(s->port, "PATCH", "/api/change", "X-Renkei-Token: s3cret\r\n", "{\"by\":1}", &r), 405);
    CHECK(strstr(r, "\r\nAllow: POST\r\n") != NULL);
    free(r);
    CHECK_INT(request(s->port, "DELETE", "/api/echo", NULL, NULL, &r), 405);
    CHECK(strstr(r, "\r\nAllow: GET\r\n") != NULL);
    free(r);
    CHECK_INT(request(s->port, "HEAD", "/api/hello", NULL, NULL, &r), 405);
    CHECK_STR(body_of(r), "");
    free(r);
    CHECK_INT(s->changes, 5);
}

/* A query whose %-escapes do not decode is refused, naming the parameter (not dropped). */
static void test_query(server_ctx *s)
{
    char *r;
    CHECK_INT(request(s->port, "GET", "/api/hello?x=%zz", NULL, NULL, &r), 400);
    CHECK(strstr(body_of(r), "query parameter 'x'") != NULL);
    free(r);
    CHECK_INT(request(s->port, "GET", "/api/echo?name=ok&filter=%e3%81", NULL, NULL, &r), 400);
    CHECK(strstr(body_of(r), "query parameter 'filter': not UTF-8") != NULL);
    free(r);
    CHECK_INT(request(s->port, "GET", "/api/echo?name=a%00b", NULL, NULL, &r), 400);
    CHECK(strstr(body_of(r), "query parameter 'name'") != NULL);
    free(r);
    CHECK_INT(request(s->port, "GET", "/api/echo?name=%e6%97%a5", NULL, NULL, &r), 200);
    CHECK_STR(body_of(r), "\xe6\x97\xa5");
    free(r);
    CHECK_INT(request(s->port, "GET", "/api/%ff", NULL, NULL, NULL), 400);
}

static void test_limits(server_ctx *s)
{
    /* a body over the limit, announced: refused before it is read */
    char raw[512];
    int n = snprintf(raw, sizeof raw, "POST /api/change HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Renkei-Token: s3cret\r\n"
                                      "Content-Length: %d\r\n\r\n", MAX_BODY * 100);
    char *r;
    CHECK_INT(exchange(s->port, raw, (size_t)n, &r), 413);
    CHECK(strstr(r, "larger than 1024 bytes") != NULL);
    free(r);
    /* chunked, over the limit as it arrives */
    char *big = malloc(MAX_BODY * 4);
    n = snprintf(big, MAX_BODY * 4, "POST /api/change HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Renkei-Token: s3cret\r\n"
                                    "Transfer-Encoding: chunked\r\n\r\n800\r\n");
    memset(big + n, '{', 0x800);
    CHECK_INT(exchange(s->port, big, (size_t)n + 0x800, NULL), 413);
    free(big);
    /* headers over the limit */
    char *head = malloc(MAX_HEAD * 2);
    n = snprintf(head, MAX_HEAD * 2, "GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ");
    size_t len = (size_t)n;
    while (len < MAX_HEAD + 100) head[len++] = 'a';
    memcpy(head + len, "\r\n\r\n", 4);
    CHECK_INT(exchange(s->port, head, len + 4, NULL), 431);
    free(head);
    CHECK_INT(s->changes, 4);
    /* garbage */
    CHECK_INT(exchange(s->port, "GARBAGE\r\n\r\n", 11, NULL), 400);
    CHECK_INT(exchange(s->port, "GET /x HTTP/9.x\r\n\r\n", 19, NULL), 400);
    /* a request that never arrives whole: 408 once the request timeout has passed */
    const char *partial = "GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    CHECK_INT(exchange(s->port, partial, strlen(partial), NULL), 408);
    /* another host name (DNS rebinding): refused */
    n = snprintf(raw, sizeof raw, "GET /api/hello HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n");
    CHECK_INT(exchange(s->port, raw, (size_t)n, NULL), 421);
    n = snprintf(raw, sizeof raw, "GET /api/hello HTTP/1.1\r\nHost: localhost:%d\r\nConnection: close\r\n\r\n", s->port);
    CHECK_INT(exchange(s->port, raw, (size_t)n, NULL), 200);
}

static void test_keepalive(server_ctx *s)
{
    /* two requests on one connection, pipelined; both answered, in order */
    int fd = dial(s->port);
    const char *two = "GET /api/echo?name=one HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                      "GET /api/echo?name=two HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    send_all(fd, two, strlen(two));
    char *r = read_all(fd);
    close(fd);
    const char *one = strstr(r, "\r\n\r\none");
    const char *second = strstr(r, "\r\n\r\ntwo");
    CHECK(one && second && one < second);
    free(r);
}

static void test_static(server_ctx *s)
{
    char *r;
    CHECK_INT(request(s->port, "GET", "/", NULL, NULL, &r), 200);
    CHECK(strstr(r, "Content-Type: text/html") != NULL);
    CHECK_STR(body_of(r), "<p>page</p>");
    free(r);
    CHECK_INT(request(s->port, "GET", "/app.js", NULL, NULL, &r), 200);
    CHECK(strstr(r, "Content-Type: text/javascript") != NULL);
    free(r);
    CHECK_INT(request(s->port, "GET", "/missing.js", NULL, NULL, NULL), 404);
    CHECK_INT(request(s->port, "GET", "/../test_http.c", NULL, NULL, NULL), 404);
    CHECK_INT(request(s->port, "GET", "/%2e%2e/secret", NULL, NULL, NULL), 404);
    CHECK_INT(request(s->port, "GET", "/sub", NULL, NULL, NULL), 404);   /* a directory */
    CHECK_INT(request(s->port, "GET", "/api/missing", NULL, NULL, NULL), 404);
}

/* A connection that has made a request with the token (by 0: nothing changes): trusted. */
static int trusted_conn(int port, const char *from)
{
    int fd = dial_from(port, from);
    const char *req = "POST /api/change HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Renkei-Token: s3cret\r\nContent-Length: 8\r\n\r\n{\"by\":0}";
    send_all(fd, req, strlen(req));
    char buf[1024];
    CHECK_INT(read_response(fd, buf, sizeof buf), 200);
    return fd;
}

static int again(int fd)
{
    const char *req = "GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    send_all(fd, req, strlen(req));
    char buf[1024];
    return read_response(fd, buf, sizeof buf);
}

/* The caps (on the second server, whose untrusted connections have 30 s): MAX_PER_ADDR from
 * one address, MAX_CONNS in all. Token-less connections make room for newcomers; only trusted
 * ones fill a server, and then the newcomer is told 503. */
static void test_connection_cap(server_ctx *s)
{
    int port = s->caps_port;
    char *r;
    /* idle, token-less connections fill this address's share: a newcomer is still served */
    int idle[MAX_PER_ADDR];
    for (int i = 0; i < MAX_PER_ADDR; i++) idle[i] = dial(port);
    CHECK_INT(request(port, "GET", "/api/hello", NULL, NULL, &r), 200);
    free(r);
    CHECK(closed_within(idle[0], 2000));        /* the oldest made room */
    CHECK(!closed_within(idle[1], 100));        /* the others did not have to */
    for (int i = 0; i < MAX_PER_ADDR; i++) close(idle[i]);
    /* trusted connections fill it: the newcomer from that address is refused, another address is not */
    int trusted[MAX_CONNS];
    for (int i = 0; i < MAX_PER_ADDR; i++) trusted[i] = trusted_conn(port, "127.0.0.1");
    int fd = dial(port);
    char buf[1024];
    const char *get = "GET /api/hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    send_all(fd, get, strlen(get));
    CHECK_INT(read_response(fd, buf, sizeof buf), 503);
    CHECK(strstr(buf, "too many connections from 127.0.0.1 (at most 4 from one address)") != NULL);
    close(fd);
    /* idle token-less ones from another address fill the server: a third address still gets in */
    int other[2];
    for (int i = 0; i < 2; i++) other[i] = dial_from(port, "127.0.0.2");
    fd = dial_from(port, "127.0.0.3");
    send_all(fd, get, strlen(get));
    CHECK_INT(read_response(fd, buf, sizeof buf), 200);
    close(fd);
    CHECK(closed_within(other[0], 2000));
    for (int i = 0; i < 2; i++) close(other[i]);
    for (int i = 0; i < MAX_PER_ADDR; i++) CHECK_INT(again(trusted[i]), 200);   /* never disturbed */
    /* only trusted connections, as many as allowed: now the newcomer is refused */
    for (int i = MAX_PER_ADDR; i < MAX_CONNS; i++) trusted[i] = trusted_conn(port, "127.0.0.2");
    fd = dial_from(port, "127.0.0.3");
    send_all(fd, get, strlen(get));
    CHECK_INT(read_response(fd, buf, sizeof buf), 503);
    CHECK(strstr(buf, "too many connections (at most 6)") != NULL);
    close(fd);
    for (int i = 0; i < MAX_CONNS; i++) close(trusted[i]);
    /* once they are gone, requests are served again */
    int status = 0;
    for (int attempt = 0; attempt < 200 && status != 200; attempt++) {
        status = request(port, "GET", "/api/hello", NULL, NULL, NULL);
        if (status != 200) sleep_ms(10);
    }
    CHECK_INT(status, 200);
}

/* An untrusted connection has UNAUTH_MS to act; a trusted one the ordinary idle timeout. */
static void test_deadline(server_ctx *s)
{
    int idle = dial(s->port);
    CHECK(closed_within(idle, 5000));
    close(idle);
    int untokened = dial(s->port);   /* a request without the token does not make it trusted */
    CHECK_INT(again(untokened), 200);
    CHECK(closed_within(untokened, 5000));
    close(untokened);
    int trusted = trusted_conn(s->port, "127.0.0.1");
    sleep_ms(4 * UNAUTH_MS);
    CHECK_INT(again(trusted), 200);
    close(trusted);
}

static unsigned sse_clients(server_ctx *s)
{
    char *r;
    request(s->port, "GET", "/api/clients", NULL, NULL, &r);
    unsigned n = (unsigned)atoi(body_of(r));
    free(r);
    return n;
}

static void test_sse(server_ctx *s)
{
    int fd = dial(s->port);
    const char *get = "GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    send_all(fd, get, strlen(get));
    char head[256];
    ssize_t k = recv(fd, head, sizeof head - 1, 0);
    CHECK(k > 0);
    head[k > 0 ? k : 0] = '\0';
    CHECK(strstr(head, "text/event-stream") != NULL);
    CHECK_INT(sse_clients(s), 1);
    /* The client reads nothing while 16 MB are broadcast: far more than the socket buffers
     * hold, so the server must drop for it rather than queue without bound. */
    char *r;
    CHECK_INT(request(s->port, "POST", "/api/flood?n=4000", NULL, "", &r), 200);
    int dropped = atoi(body_of(r));
    free(r);
    CHECK(dropped > 0);
    const sim_http_stats *st = sim_http_stats_get(s->http);
    CHECK(st->sse_dropped >= (uint64_t)dropped);
    /* Now it reads everything queued, then one more message: preceded by the drop count. */
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    static char sink[1 << 16];
    while (recv(fd, sink, sizeof sink, 0) > 0) {}
    tv.tv_sec = 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    CHECK_INT(request(s->port, "POST", "/api/flood?n=1", NULL, "", NULL), 200);
    char note[256] = "";
    size_t have = 0;
    while (have < sizeof note - 1 && !strstr(note, "\n\n")) {
        k = recv(fd, note + have, sizeof note - 1 - have, 0);
        if (k <= 0) break;
        have += (size_t)k;
        note[have] = '\0';
    }
    char want[64];
    snprintf(want, sizeof want, "event: dropped\ndata: {\"dropped\":%d}\n\n", dropped);
    CHECK(strncmp(note, want, strlen(want)) == 0);
    /* a vanished client is noticed and forgotten */
    close(fd);
    unsigned n = 1;
    for (int attempt = 0; attempt < 200 && n != 0; attempt++) {
        request(s->port, "POST", "/api/flood?n=1", NULL, "", NULL);
        n = sse_clients(s);
        if (n) sleep_ms(10);
    }
    CHECK_INT(n, 0);
}

static void client_main(void *arg)
{
    server_ctx *s = arg;
    test_routing(s);
    test_token(s);
    test_limits(s);
    test_host(s);
    test_expect(s);
    test_methods(s);
    test_query(s);
    test_keepalive(s);
    test_static(s);
    test_connection_cap(s);
    test_deadline(s);
    test_sse(s);
    uv_async_send(&s->done);
}

/* ---- the server side ------------------------------------------------------------------- */

static void on_http_closed(void *arg) { ((server_ctx *)arg)->closed = true; }

static void on_done(uv_async_t *a)
{
    server_ctx *s = a->data;
    sim_http_close(s->http, on_http_closed, s);
    sim_http_close(s->caps, NULL, NULL);
    uv_close((uv_handle_t *)&s->done, NULL);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

int main(void)
{
    char root[] = "/tmp/renkei-http-XXXXXX";
    CHECK(mkdtemp(root) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/index.html", root);
    write_file(path, "<p>page</p>");
    snprintf(path, sizeof path, "%s/app.js", root);
    write_file(path, "export const x = 1;\n");
    snprintf(path, sizeof path, "%s/sub", root);
    mkdir(path, 0700);

    uv_loop_t loop;
    uv_loop_init(&loop);
    server_ctx s = {.loop = &loop};
    sim_http_config cfg = {
        .host = "127.0.0.1", .port = 0, .static_root = root, .token = "s3cret",
        .loopback_hosts_only = true, .routes = routes, .nroutes = sizeof routes / sizeof routes[0],
        .ud = &s,
        .limits = {.max_body_bytes = MAX_BODY, .max_header_bytes = MAX_HEAD, .max_conns = MAX_CONNS,
                   .max_conns_per_addr = MAX_PER_ADDR, .request_timeout_ms = 300, .unauth_timeout_ms = UNAUTH_MS,
                   .sse_queue_bytes = SSE_QUEUE}};
    CHECK_INT(sim_http_create(&loop, &cfg, &s.http), 0);
    s.port = sim_http_port(s.http);
    CHECK(s.port > 0);
    sim_http_config caps = cfg;
    caps.limits.unauth_timeout_ms = 30 * 1000;
    CHECK_INT(sim_http_create(&loop, &caps, &s.caps), 0);
    s.caps_port = sim_http_port(s.caps);

    /* a port that is taken: an error, and nothing left open */
    sim_http *clash = NULL;
    cfg.port = s.port;
    CHECK(sim_http_create(&loop, &cfg, &clash) < 0);
    CHECK(clash == NULL);
    cfg.port = 0;
    cfg.host = "not-an-address";
    CHECK_INT(sim_http_create(&loop, &cfg, &clash), -EINVAL);

    uv_async_init(&loop, &s.done, on_done);
    s.done.data = &s;
    uv_thread_t client;
    uv_thread_create(&client, client_main, &s);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_thread_join(&client);
    CHECK(s.closed);
    CHECK_INT(uv_loop_close(&loop), 0);   /* every handle was closed */

    snprintf(path, sizeof path, "%s/index.html", root);
    unlink(path);
    snprintf(path, sizeof path, "%s/app.js", root);
    unlink(path);
    snprintf(path, sizeof path, "%s/sub", root);
    rmdir(path);
    rmdir(root);
    CHECK_DONE();
}
