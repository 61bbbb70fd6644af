/* sim_tls.c - TLS for sim_http over memory BIOs (sim_tls.h). The socket stays libuv's: bytes
 * read are written into the connection's read BIO, SSL_read yields the plaintext, and what
 * OpenSSL wants to send (handshake records, alerts, encrypted answers) is taken from the write
 * BIO by sim_http and written to the socket. */
#include "sim_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sim_tls_ctx {
    SSL_CTX *ssl;
    bool mutual;
};

struct sim_tls_conn {
    SSL *ssl;
    BIO *in, *out;              /* owned by ssl */
    bool ready;
};

static void openssl_reason(char *why, size_t n, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "";
    if (e) ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    snprintf(why, n, "%s%s%s", what, e ? ": " : "", buf);
}

int sim_tls_ctx_create(const char *cert_file, const char *key_file, const char *client_ca_file, sim_tls_ctx **out,
                       char *why, size_t n)
{
    sim_tls_ctx *c = calloc(1, sizeof *c);
    if (!c) return -ENOMEM;
    c->ssl = SSL_CTX_new(TLS_server_method());
    char what[600];
    int rc = c->ssl ? 0 : -ENOMEM;
    if (rc == 0 && SSL_CTX_set_min_proto_version(c->ssl, TLS1_2_VERSION) != 1) rc = -EINVAL;
    if (rc == 0 && SSL_CTX_use_certificate_chain_file(c->ssl, cert_file) != 1) {
        snprintf(what, sizeof what, "%s: not a PEM certificate that can be read", cert_file);
        rc = -EINVAL;
    } else if (rc == 0 && SSL_CTX_use_PrivateKey_file(c->ssl, key_file, SSL_FILETYPE_PEM) != 1) {
        snprintf(what, sizeof what, "%s: not the PEM private key of the certificate", key_file);
        rc = -EINVAL;
    } else if (rc == 0 && SSL_CTX_check_private_key(c->ssl) != 1) {
        snprintf(what, sizeof what, "%s does not match the certificate %s", key_file, cert_file);
        rc = -EINVAL;
    } else if (rc == 0 && client_ca_file) {
        if (SSL_CTX_load_verify_locations(c->ssl, client_ca_file, NULL) != 1) {
            snprintf(what, sizeof what, "%s: not a PEM CA certificate that can be read", client_ca_file);
            rc = -EINVAL;
        } else {
            STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(client_ca_file);
            if (names) SSL_CTX_set_client_CA_list(c->ssl, names);
            SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
            c->mutual = true;
        }
    }
    if (rc < 0) {
        if (rc == -EINVAL) openssl_reason(why, n, what);
        else snprintf(why, n, "out of memory");
        sim_tls_ctx_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void sim_tls_ctx_free(sim_tls_ctx *ctx)
{
    if (!ctx) return;
    SSL_CTX_free(ctx->ssl);
    free(ctx);
}

bool sim_tls_ctx_mutual(const sim_tls_ctx *ctx) { return ctx && ctx->mutual; }

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
    int ok = e && X509_add_ext(x, e, -1) == 1;
    X509_EXTENSION_free(e);
    return ok ? 0 : -EPROTO;
}

int sim_tls_self_signed(const char *cert_file, const char *key_file, const char *host, char *fp, size_t fp_n, char *why,
                        size_t n)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    int rc = key && x ? 0 : -ENOMEM;
    if (rc == 0) {
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), -60);
        X509_gmtime_adj(X509_getm_notAfter(x), 30L * 24 * 3600);
        X509_set_pubkey(x, key);
        X509_NAME *name = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"renkei connection test", -1, -1, 0);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
        X509_set_issuer_name(x, name);
        char san[200];
        bool ip = host && strspn(host, "0123456789.:abcdefABCDEF") == strlen(host) && strcmp(host, "127.0.0.1") != 0 &&
                  strcmp(host, "::1") != 0;
        snprintf(san, sizeof san, "DNS:localhost,IP:127.0.0.1,IP:::1%s%s", ip ? ",IP:" : "", ip ? host : "");
        if (add_ext(x, NID_subject_alt_name, san) < 0 || add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
            X509_sign(x, key, EVP_sha256()) == 0)
            rc = -EPROTO;
    }
    FILE *f = NULL;
    if (rc == 0) {
        int fd = open(key_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f && fd >= 0) close(fd);
        if (!f || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1) rc = f ? -EIO : -errno;
        if (f && fclose(f) != 0 && rc == 0) rc = -EIO;
    }
    if (rc == 0) {
        f = fopen(cert_file, "w");
        if (!f || PEM_write_X509(f, x) != 1) rc = f ? -EIO : -errno;
        if (f && fclose(f) != 0 && rc == 0) rc = -EIO;
    }
    if (rc == 0) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        X509_digest(x, EVP_sha256(), md, &len);
        size_t k = 0;
        for (unsigned i = 0; i < len && k + 4 < fp_n; i++) k += (size_t)snprintf(fp + k, fp_n - k, "%s%02X", i ? ":" : "", md[i]);
    } else {
        openssl_reason(why, n, rc == -EPROTO ? "cannot make the certificate" : "cannot write the certificate or its key");
    }
    X509_free(x);
    EVP_PKEY_free(key);
    return rc;
}

sim_tls_conn *sim_tls_conn_new(sim_tls_ctx *ctx)
{
    sim_tls_conn *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->ssl = SSL_new(ctx->ssl);
    t->in = BIO_new(BIO_s_mem());
    t->out = BIO_new(BIO_s_mem());
    if (!t->ssl || !t->in || !t->out) {
        SSL_free(t->ssl);
        BIO_free(t->in);
        BIO_free(t->out);
        free(t);
        return NULL;
    }
    BIO_set_mem_eof_return(t->in, -1);
    SSL_set_bio(t->ssl, t->in, t->out);
    SSL_set_accept_state(t->ssl);
    return t;
}

void sim_tls_conn_free(sim_tls_conn *t)
{
    if (!t) return;
    SSL_free(t->ssl);
    free(t);
}

int sim_tls_conn_input(sim_tls_conn *t, const char *data, size_t len, int (*plain)(void *ud, const char *p, size_t n),
                       void *ud, char *why, size_t n)
{
    if (len && BIO_write(t->in, data, (int)len) != (int)len) return -EPROTO;
    int rc = 0;
    if (!t->ready) {
        int r = SSL_do_handshake(t->ssl);
        if (r != 1) {
            int e = SSL_get_error(t->ssl, r);
            if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
            openssl_reason(why, n, "TLS handshake refused");
            return -EPROTO;
        }
        t->ready = true;
        rc = 1;
    }
    char buf[16384];
    for (;;) {
        int r = SSL_read(t->ssl, buf, sizeof buf);
        if (r > 0) {
            if (plain(ud, buf, (size_t)r) < 0) break;
            continue;
        }
        int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_ZERO_RETURN) break;
        openssl_reason(why, n, "TLS record refused");
        return -EPROTO;
    }
    return rc;
}

int sim_tls_conn_output(sim_tls_conn *t, const char *data, size_t len)
{
    while (len) {
        int r = SSL_write(t->ssl, data, (int)(len > 1 << 20 ? 1 << 20 : len));
        if (r <= 0) return -EPROTO;
        data += r;
        len -= (size_t)r;
    }
    return 0;
}

size_t sim_tls_conn_waiting(const sim_tls_conn *t) { return BIO_ctrl_pending(t->out); }

size_t sim_tls_conn_take(sim_tls_conn *t, char *buf, size_t n)
{
    int r = BIO_read(t->out, buf, (int)n);
    return r > 0 ? (size_t)r : 0;
}

bool sim_tls_conn_ready(const sim_tls_conn *t) { return t->ready; }

int sim_tls_conn_peer(const sim_tls_conn *t, char *subject, size_t n)
{
    X509 *x = SSL_get1_peer_certificate(t->ssl);
    if (!x) return -ENOENT;
    BIO *b = BIO_new(BIO_s_mem());
    int rc = -ENOMEM;
    if (b && X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
        int len = BIO_read(b, subject, (int)n - 1);
        subject[len > 0 ? len : 0] = '\0';
        rc = 0;
    }
    BIO_free(b);
    X509_free(x);
    return rc;
}
