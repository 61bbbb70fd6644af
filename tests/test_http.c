/* test_http.c - the HTTP layer (sim_http): routing, the token, limits, bad requests, static
 * files, event streams with a bounded queue, and that closing leaves no handle open.
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

enum { MAX_BODY = 1024, MAX_HEAD = 4096, MAX_CONNS = 6, SSE_QUEUE = 64 * 1024, FLOOD_MSG = 4096 };

typedef struct server_ctx {
    uv_loop_t *loop;
    sim_http *http;
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

static int dial(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
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

static void test_connection_cap(server_ctx *s)
{
    int fds[MAX_CONNS];
    for (int i = 0; i < MAX_CONNS; i++) fds[i] = dial(s->port);
    /* The server accepts in order, so the next one is over the cap: told so, then closed. */
    char *r;
    CHECK_INT(request(s->port, "GET", "/api/hello", NULL, NULL, &r), 503);
    CHECK(strstr(r, "too many connections") != NULL);
    free(r);
    for (int i = 0; i < MAX_CONNS; i++) close(fds[i]);
    /* once they are gone, requests are served again */
    int status = 0;
    for (int attempt = 0; attempt < 200 && status != 200; attempt++) {
        status = request(s->port, "GET", "/api/hello", NULL, NULL, NULL);
        if (status != 200) sleep_ms(10);
    }
    CHECK_INT(status, 200);
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
    test_keepalive(s);
    test_static(s);
    test_connection_cap(s);
    test_sse(s);
    uv_async_send(&s->done);
}

/* ---- the server side ------------------------------------------------------------------- */

static void on_http_closed(void *arg) { ((server_ctx *)arg)->closed = true; }

static void on_done(uv_async_t *a)
{
    server_ctx *s = a->data;
    sim_http_close(s->http, on_http_closed, s);
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
                   .request_timeout_ms = 300, .sse_queue_bytes = SSE_QUEUE}};
    CHECK_INT(sim_http_create(&loop, &cfg, &s.http), 0);
    s.port = sim_http_port(s.http);
    CHECK(s.port > 0);

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
