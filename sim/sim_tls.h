/* sim_tls.h - TLS for the engine's HTTP server (sim_http), on OpenSSL with memory BIOs: the
 * server's certificate (given, or generated self-signed for one run), optional client
 * certificates verified against a CA (mutual TLS), and per connection the ciphertext in and
 * out around the plaintext that sim_http parses and writes. Domain-free; the wall clock and
 * OpenSSL's randomness are used here only, never by a simulation. */
#ifndef RENKEI_SIM_TLS_H
#define RENKEI_SIM_TLS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct sim_tls_ctx sim_tls_ctx;
typedef struct sim_tls_conn sim_tls_conn;

/* A server context from PEM files: the certificate (chain) and its key; client_ca (NULL: none
 * asked) makes client certificates required and verified against it. -EINVAL with a one-line
 * reason naming the file. */
int  sim_tls_ctx_create(const char *cert_file, const char *key_file, const char *client_ca_file, sim_tls_ctx **out,
                        char *why, size_t n);
void sim_tls_ctx_free(sim_tls_ctx *ctx);
bool sim_tls_ctx_mutual(const sim_tls_ctx *ctx);

/* A self-signed server certificate (EC P-256, valid 30 days from now, for the names
 * "localhost", 127.0.0.1, ::1 and host when given) written as PEM to cert_file and key_file
 * (the key readable by its owner only); its SHA-256 fingerprint in fp ("AB:CD:..."). */
int  sim_tls_self_signed(const char *cert_file, const char *key_file, const char *host, char *fp, size_t fp_n,
                         char *why, size_t n);

sim_tls_conn *sim_tls_conn_new(sim_tls_ctx *ctx);
void sim_tls_conn_free(sim_tls_conn *t);
/* Ciphertext from the peer. Plaintext it yields goes to plain (which may stop the loop by
 * returning < 0). Returns 0, 1 when the handshake has just completed, or -EPROTO when the
 * handshake or the record layer failed (why: OpenSSL's reason, e.g. the client certificate
 * was not accepted). Call sim_tls_conn_take afterwards: alerts and handshake bytes wait. */
int  sim_tls_conn_input(sim_tls_conn *t, const char *data, size_t len, int (*plain)(void *ud, const char *p, size_t n),
                        void *ud, char *why, size_t n);
/* Plaintext to send: encrypted into the waiting ciphertext. 0 or -EPROTO. */
int  sim_tls_conn_output(sim_tls_conn *t, const char *data, size_t len);
/* The ciphertext waiting to be sent, at most n bytes into buf; its length (0: none). */
size_t sim_tls_conn_take(sim_tls_conn *t, char *buf, size_t n);
size_t sim_tls_conn_waiting(const sim_tls_conn *t);
bool sim_tls_conn_ready(const sim_tls_conn *t);
/* The client certificate's subject (one line, "CN=vendor,O=..."), -ENOENT without one. */
int  sim_tls_conn_peer(const sim_tls_conn *t, char *subject, size_t n);

#endif
