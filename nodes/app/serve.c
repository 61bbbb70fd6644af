/* app/serve.c - a run watched or driven from outside: --serve (the dashboard, its token) and
 * --connect (the connection test's API, its token, its session log). */
#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/app.h"
#include "sim_tls.h"

static bool is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0;
}

/* --serve [HOST:]PORT: bind, print where and the token. Returns 0 or an exit status. */
int app_start_serving(session *s, sim_run *run, uv_loop_t *loop)
{
    const char *spec = s->o.serve;
    char host[64] = "127.0.0.1";
    const char *port_text = spec;
    const char *colon = strrchr(spec, ':');
    if (colon) {
        size_t n = (size_t)(colon - spec);
        if (n >= 2 && spec[0] == '[' && spec[n - 1] == ']') {   /* [::1]:8080 */
            spec++;
            n -= 2;
        }
        if (n == 0 || n >= sizeof host) return app_usage_error("--serve %s: expected [HOST:]PORT", s->o.serve);
        memcpy(host, spec, n);
        host[n] = '\0';
        port_text = colon + 1;
    }
    if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
    uint64_t port;
    if (!app_parse_u64(port_text, &port) || port > 65535) return app_usage_error("--serve %s: expected a port from 0 to 65535", s->o.serve);
    if (!is_loopback(host) && !s->o.serve_any)
        return app_usage_error("--serve %s: only loopback addresses unless --serve-any is given (anyone who can reach it sees the run)", s->o.serve);
    const char *web = s->o.web_root ? s->o.web_root : RENKEI_WEB_DIR;
    char index[4096];
    snprintf(index, sizeof index, "%s/index.html", web);
    if (access(index, R_OK) != 0) return app_usage_error("--web %s: no index.html there", web);
    unsigned char raw[16];
    char token[33];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        fprintf(stderr, "renkei: cannot draw an access token\n");
        return EXIT_USAGE;
    }
    for (int i = 0; i < 16; i++) snprintf(token + 2 * i, 3, "%02x", raw[i]);
    node_dash_serve_config cfg = {.host = host, .port = (int)port, .web_root = web, .token = token,
                                  .loopback = is_loopback(host)};
    int rc = dash_serve(s->dash, run, loop, &cfg);
    if (rc < 0) {
        fprintf(stderr, "renkei: --serve %s: %s\n", s->o.serve, uv_strerror(rc));
        return EXIT_USAGE;
    }
    bool v6 = strchr(host, ':') != NULL;
    printf("renkei: dashboard at http://%s%s%s:%d/#token=%s\n", v6 ? "[" : "", host, v6 ? "]" : "",
           dash_port(s->dash), token);
    printf("renkei: access token %s (needed to pause, step, change the speed or inject faults)\n", token);
    printf("renkei: the run %s; Ctrl-C quits\n", s->o.play ? "is running" : "starts paused: press play on the page");
    return 0;
}

/* --connect LG --listen [HOST:]PORT: the local government's API, its token, the session log. */
int app_start_connect(session *s, sim_run *run, uv_loop_t *loop)
{
    char host[64];
    int port;
    if (connect_parse_listen(s->o.listen, host, sizeof host, &port) < 0)
        return app_usage_error("--listen %s: expected [HOST:]PORT with a port from 0 to 65535", s->o.listen);
    if (!is_loopback(host) && !s->o.listen_any)
        return app_usage_error("--listen %s: only loopback addresses unless --listen-any is given (anyone who can reach it drives the tenant)", s->o.listen);
    bool tls = s->o.tls || s->o.tls_cert;
    if (!is_loopback(host) && !tls)
        return app_usage_error("--listen %s: plain HTTP only on loopback; beyond it, TLS: add --tls (or --tls-cert and --tls-key)", s->o.listen);
    /* --tls: a certificate for this session, into --out */
    char fp[128] = "", why[400];
    char *cert = s->o.tls_cert ? strdup(s->o.tls_cert) : s->o.tls ? strdup(app_out_file(s, "connect_tls_cert.pem")) : NULL;
    char *key = s->o.tls_key ? strdup(s->o.tls_key) : s->o.tls ? strdup(app_out_file(s, "connect_tls_key.pem")) : NULL;
    if (s->o.tls && (!cert || !key || sim_tls_self_signed(cert, key, host, fp, sizeof fp, why, sizeof why) < 0)) {
        fprintf(stderr, "renkei: --tls: %s\n", cert && key ? why : "out of memory");
        free(cert);
        free(key);
        return EXIT_USAGE;
    }
    /* written as .part while the session runs, renamed when its end line is in (run.c) */
    const char *log = s->o.out_dir ? app_out_part(s, "connect_session.jsonl") : NULL;
    char *log_path = log ? strdup(log) : NULL;
    log = s->o.out_dir ? app_out_file(s, "connect_session.jsonl") : NULL;
    char *log_name = log ? strdup(log) : NULL;
    node_connect_serve_config cfg = {.host = host, .port = port, .loopback = is_loopback(host),
                                     .rate = s->o.connect_rate, .session_log = log_path, .info = app_run_info(s),
                                     .tls_cert = cert, .tls_key = key, .tls_client_ca = s->o.tls_client_ca};
    int rc = connect_serve(s->connect, run, loop, &cfg, why, sizeof why);
    if (rc == -EPROTO) {
        fprintf(stderr, "renkei: %s\n", why);
        free(log_path);
        free(log_name);
        free(cert);
        free(key);
        return EXIT_USAGE;
    }
    if (rc < 0) {
        fprintf(stderr, "renkei: --listen %s: %s\n", s->o.listen, rc == -EADDRINUSE || rc == -EACCES || rc == -EINVAL ? uv_strerror(rc) : strerror(-rc));
        free(log_path);
        free(log_name);
        free(cert);
        free(key);
        return EXIT_USAGE;
    }
    bool v6 = strchr(host, ':') != NULL;
    printf("renkei: connection test of %s %s: API at %s://%s%s%s:%d/connect/v1/\n", s->o.connect,
           connect_lg_name(s->connect), tls ? "https" : "http", v6 ? "[" : "", host, v6 ? "]" : "", connect_port(s->connect));
    if (tls)
        printf("renkei: TLS certificate %s%s%s%s\n", cert, fp[0] ? " (generated for this session; SHA-256 " : "", fp, fp[0] ? ")" : "");
    if (s->o.tls_client_ca) printf("renkei: client certificates required, verified against %s\n", s->o.tls_client_ca);
    free(cert);
    free(key);
    printf("renkei: access token %s (every request: header Authorization: Bearer TOKEN)\n", connect_token(s->connect));
    printf("renkei: paced at %g simulated seconds a wall second; POST /connect/v1/session/end or Ctrl-C ends the session\n", s->o.speed);
    if (log_name)
        printf("renkei: session log %s (written as %s until the session ends; replay: --replay-session %s)\n", log_name,
               log_path, log_name);
    else printf("renkei: no --out: the session is not recorded and cannot be replayed\n");
    free(log_path);
    free(log_name);
    return 0;
}
