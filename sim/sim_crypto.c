/* sim_crypto.c - X25519 key agreement, HKDF-SHA256 and AES-256-GCM for provision payloads,
 * through OpenSSL 3's EVP interface (see sim_crypto.h). No OpenSSL RNG, no global state. */
#include "sim_crypto.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

/* Private keys imported for key agreement, kept: importing one computes its public key (a
 * scalar multiplication as costly as the agreement itself), and a node derives a session with
 * each peer and key epoch from the same few private keys. */
enum { PRIV_CACHED = 8 };

struct cached_priv {
    uint8_t priv[32];
    EVP_PKEY_CTX *pc;   /* derive context of the imported key; NULL: the slot is free */
    uint64_t used;      /* when last used, in calls: the oldest slot is replaced */
};

struct sim_crypto {
    EVP_CIPHER *gcm;    /* fetched once: an implicit fetch per call is most of a seal's cost */
    EVP_CIPHER_CTX *cx;
    int primed;         /* cx holds gcm: later inits pass only key and nonce, which keeps the
                         * provider's cipher state instead of freeing and reallocating it */
    EVP_KDF *hkdf;      /* fetched once, for the same reason */
    struct cached_priv privs[PRIV_CACHED];
    uint64_t calls;
};

/* ---- key agreement ---- */

int sim_crypto_keypair(const uint8_t seed[32], sim_keypair *out)
{
    uint8_t pub[32];
    size_t n = sizeof pub;
    EVP_PKEY *pk;
    int ok;

    if (!seed || !out)
        return -EINVAL;
    /* Raw import rather than EVP_PKEY_keygen, which would draw the key from OpenSSL's RNG. */
    pk = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, seed, 32);
    if (!pk)
        return -EIO;
    ok = EVP_PKEY_get_raw_public_key(pk, pub, &n) == 1 && n == 32;
    EVP_PKEY_free(pk);
    if (!ok)
        return -EIO;
    memmove(out->priv, seed, 32); /* seed may be out->priv itself */
    memcpy(out->pub, pub, 32);
    return 0;
}

/* A derive context for the private key priv, or NULL. */
static EVP_PKEY_CTX *priv_ctx(const uint8_t priv[32])
{
    EVP_PKEY *me = EVP_PKEY_new_raw_private_key_ex(NULL, "X25519", NULL, priv, 32);
    EVP_PKEY_CTX *pc = me ? EVP_PKEY_CTX_new_from_pkey(NULL, me, NULL) : NULL;

    EVP_PKEY_free(me); /* pc holds its own reference */
    return pc;
}

/* X25519 of pc's private key with peer_pub. */
static int x25519_with(EVP_PKEY_CTX *pc, const uint8_t peer_pub[32], uint8_t secret[32])
{
    EVP_PKEY *peer = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL, peer_pub, 32);
    size_t n = 32;
    int rc = -EIO;

    if (pc && peer && EVP_PKEY_derive_init(pc) == 1 && EVP_PKEY_derive_set_peer(pc, peer) == 1) {
        /* Once both keys are in, the only way derive fails is a low-order peer point:
         * OpenSSL refuses the all-zero secret it would give. That is the caller's bad key. */
        rc = EVP_PKEY_derive(pc, secret, &n) == 1 && n == 32 ? 0 : -EINVAL;
        if (rc == -EINVAL)
            ERR_clear_error();
    }
    EVP_PKEY_free(peer);
    return rc;
}

static int x25519(const uint8_t priv[32], const uint8_t peer_pub[32], uint8_t secret[32])
{
    EVP_PKEY_CTX *pc = priv_ctx(priv);
    int rc = x25519_with(pc, peer_pub, secret);

    EVP_PKEY_CTX_free(pc);
    return rc;
}

/* kdf: the fetched HKDF, or NULL to fetch it for this call. */
static int hkdf_sha256(EVP_KDF *kdf, uint8_t *ikm, size_t ikm_len, uint8_t *salt, size_t salt_len,
                       const void *info, size_t info_len, uint8_t *okm, size_t okm_len)
{
    char digest[] = "SHA256";
    OSSL_PARAM params[5], *p = params;
    EVP_KDF *fetched = kdf ? NULL : EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kc = kdf || fetched ? EVP_KDF_CTX_new(kdf ? kdf : fetched) : NULL;
    int rc = -EIO;

    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm, ikm_len);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, salt_len);
    /* OSSL_PARAM carries values both ways, hence the non-const pointer; HKDF only reads it.
     * An empty info is left out: a NULL octet string is not accepted by every 3.x release. */
    if (info_len)
        *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
    *p = OSSL_PARAM_construct_end();
    if (kc && EVP_KDF_derive(kc, okm, okm_len, params) == 1)
        rc = 0;
    EVP_KDF_CTX_free(kc);
    EVP_KDF_free(fetched);
    return rc;
}

/* The session key from the shared secret (see sim_crypto.h); secret is wiped. */
static int session_from(EVP_KDF *kdf, const sim_keypair *mine, const uint8_t their_pub[32], uint8_t secret[32],
                        const void *info, size_t info_len, uint8_t key[32])
{
    uint8_t salt[64];
    /* Ordering the keys makes the salt the same from either side. */
    int mine_first = memcmp(mine->pub, their_pub, 32) <= 0;
    int rc;

    memcpy(salt, mine_first ? mine->pub : their_pub, 32);
    memcpy(salt + 32, mine_first ? their_pub : mine->pub, 32);
    rc = hkdf_sha256(kdf, secret, 32, salt, sizeof salt, info, info_len, key, 32);
    OPENSSL_cleanse(secret, 32);
    return rc;
}

static int session_args(const sim_keypair *mine, const uint8_t their_pub[32], const void *info, size_t info_len,
                        const uint8_t *key)
{
    return !mine || !their_pub || !key || (info_len && !info) || info_len > SIM_CRYPTO_INFO_MAX ? -EINVAL : 0;
}

int sim_crypto_session_key(const sim_keypair *mine, const uint8_t their_pub[32],
                           const void *info, size_t info_len, uint8_t key[32])
{
    uint8_t secret[32];
    int rc = session_args(mine, their_pub, info, info_len, key);

    if (rc == 0)
        rc = x25519(mine->priv, their_pub, secret);
    if (rc == 0)
        return session_from(NULL, mine, their_pub, secret, info, info_len, key);
    OPENSSL_cleanse(secret, sizeof secret);
    return rc;
}

/* The derive context of priv from the cache, imported into the oldest slot if absent. */
static EVP_PKEY_CTX *cached_priv_ctx(sim_crypto *c, const uint8_t priv[32])
{
    struct cached_priv *oldest = &c->privs[0];

    c->calls++;
    for (int i = 0; i < PRIV_CACHED; i++) {
        struct cached_priv *p = &c->privs[i];
        if (p->pc && memcmp(p->priv, priv, 32) == 0) {
            p->used = c->calls;
            return p->pc;
        }
        if (!p->pc || (oldest->pc && p->used < oldest->used))
            oldest = p;
    }
    EVP_PKEY_CTX *pc = priv_ctx(priv);
    if (!pc)
        return NULL;
    EVP_PKEY_CTX_free(oldest->pc);
    OPENSSL_cleanse(oldest->priv, 32);
    memcpy(oldest->priv, priv, 32);
    oldest->pc = pc;
    oldest->used = c->calls;
    return pc;
}

int sim_crypto_session_key_ctx(sim_crypto *c, const sim_keypair *mine, const uint8_t their_pub[32],
                               const void *info, size_t info_len, uint8_t key[32])
{
    uint8_t secret[32];
    int rc = c ? session_args(mine, their_pub, info, info_len, key) : -EINVAL;

    if (rc == 0) {
        EVP_PKEY_CTX *pc = cached_priv_ctx(c, mine->priv);
        rc = pc ? x25519_with(pc, their_pub, secret) : -EIO;
    }
    if (rc == 0)
        return session_from(c->hkdf, mine, their_pub, secret, info, info_len, key);
    OPENSSL_cleanse(secret, sizeof secret);
    return rc;
}

/* ---- AES-256-GCM ---- */

static int check_args(const uint8_t *key, const uint8_t *nonce, const void *aad, size_t aad_len,
                      const void *in, size_t len)
{
    if (!key || !nonce || (aad_len && !aad) || (len && !in))
        return -EINVAL;
    /* EVP's update takes an int length. */
    if (aad_len > INT_MAX || len > INT_MAX)
        return -EINVAL;
    return 0;
}

/* cipher NULL reuses the one cx already holds. */
static int gcm_seal(EVP_CIPHER_CTX *cx, const EVP_CIPHER *cipher, const uint8_t *key,
                    const uint8_t *nonce, const void *aad, size_t aad_len, const void *plain,
                    size_t len, uint8_t *out)
{
    int n;

    if (EVP_EncryptInit_ex2(cx, cipher, key, nonce, NULL) != 1)
        return -EIO;
    /* A NULL output buffer is how EVP is told the input is aad, so empty parts are skipped
     * rather than passed as (NULL, 0), which would be read as more aad or as nothing at all. */
    if (aad_len && EVP_EncryptUpdate(cx, NULL, &n, aad, (int)aad_len) != 1)
        return -EIO;
    if (len && (EVP_EncryptUpdate(cx, out, &n, plain, (int)len) != 1 || (size_t)n != len))
        return -EIO;
    if (EVP_EncryptFinal_ex(cx, out + len, &n) != 1 || n != 0)
        return -EIO;
    if (EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_AEAD_GET_TAG, SIM_CRYPTO_TAG_LEN, out + len) != 1)
        return -EIO;
    return 0;
}

static int gcm_open(EVP_CIPHER_CTX *cx, const EVP_CIPHER *cipher, const uint8_t *key,
                    const uint8_t *nonce, const void *aad, size_t aad_len, const uint8_t *sealed,
                    size_t len, uint8_t *out)
{
    size_t plen = len - SIM_CRYPTO_TAG_LEN;
    uint8_t tag[SIM_CRYPTO_TAG_LEN];
    int n;

    /* The ctrl call wants a non-const pointer; a copy spares casting const away, and taking
     * it first keeps it safe whatever decrypting in place writes. */
    memcpy(tag, sealed + plen, sizeof tag);
    if (EVP_DecryptInit_ex2(cx, cipher, key, nonce, NULL) != 1)
        return -EIO;
    if (EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_AEAD_SET_TAG, SIM_CRYPTO_TAG_LEN, tag) != 1)
        return -EIO;
    if (aad_len && EVP_DecryptUpdate(cx, NULL, &n, aad, (int)aad_len) != 1)
        return -EIO;
    if (plen && (EVP_DecryptUpdate(cx, out, &n, sealed, (int)plen) != 1 || (size_t)n != plen))
        return -EIO;
    /* GCM's final writes nothing, but EVP wants a place; out is NULL for an empty plaintext
     * and NULL + 0 is undefined. */
    if (EVP_DecryptFinal_ex(cx, out ? out + plen : tag, &n) != 1) {
        /* Expected in normal operation (a fault scenario), so it leaves no stale error. */
        ERR_clear_error();
        return -EBADMSG;
    }
    return 0;
}

static int open_args(const uint8_t *key, const uint8_t *nonce, const void *aad, size_t aad_len,
                     const void *sealed, size_t len, const uint8_t *out)
{
    int rc = check_args(key, nonce, aad, aad_len, sealed, len);

    if (rc)
        return rc;
    if (len > SIM_CRYPTO_TAG_LEN && !out)
        return -EINVAL;
    /* Too short to hold a tag is a damaged message (say, truncated in transit), not misuse. */
    if (len < SIM_CRYPTO_TAG_LEN)
        return -EBADMSG;
    return 0;
}

/* Whatever went wrong, plaintext that did not authenticate must not be left for the caller. */
static void wipe_on_failure(int rc, uint8_t *out, size_t len)
{
    if (rc && out && len > SIM_CRYPTO_TAG_LEN)
        OPENSSL_cleanse(out, len - SIM_CRYPTO_TAG_LEN);
}

int sim_crypto_seal(const uint8_t key[32], const uint8_t nonce[12], const void *aad,
                    size_t aad_len, const void *plain, size_t len, uint8_t *out)
{
    EVP_CIPHER_CTX *cx;
    int rc = check_args(key, nonce, aad, aad_len, plain, len);

    if (rc)
        return rc;
    if (!out)
        return -EINVAL;
    if (!(cx = EVP_CIPHER_CTX_new()))
        return -ENOMEM;
    rc = gcm_seal(cx, EVP_aes_256_gcm(), key, nonce, aad, aad_len, plain, len, out);
    EVP_CIPHER_CTX_free(cx);
    return rc;
}

int sim_crypto_open(const uint8_t key[32], const uint8_t nonce[12], const void *aad,
                    size_t aad_len, const void *sealed, size_t len, uint8_t *out)
{
    EVP_CIPHER_CTX *cx;
    int rc = open_args(key, nonce, aad, aad_len, sealed, len, out);

    if (rc)
        return rc;
    if (!(cx = EVP_CIPHER_CTX_new()))
        return -ENOMEM;
    rc = gcm_open(cx, EVP_aes_256_gcm(), key, nonce, aad, aad_len, sealed, len, out);
    EVP_CIPHER_CTX_free(cx);
    wipe_on_failure(rc, out, len);
    return rc;
}

/* ---- reusable context ---- */

int sim_crypto_create(sim_crypto **out)
{
    sim_crypto *c;

    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!(c = calloc(1, sizeof *c)))
        return -ENOMEM;
    if (!(c->cx = EVP_CIPHER_CTX_new())) {
        free(c);
        return -ENOMEM;
    }
    if (!(c->gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) || !(c->hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL))) {
        sim_crypto_destroy(c);
        return -EIO;
    }
    *out = c;
    return 0;
}

void sim_crypto_destroy(sim_crypto *c)
{
    if (!c)
        return;
    EVP_CIPHER_CTX_free(c->cx);
    EVP_CIPHER_free(c->gcm);
    EVP_KDF_free(c->hkdf);
    for (int i = 0; i < PRIV_CACHED; i++) {
        EVP_PKEY_CTX_free(c->privs[i].pc);
        OPENSSL_cleanse(c->privs[i].priv, 32);
    }
    free(c);
}

/* After an OpenSSL failure the context's state is unknown, so the next call starts afresh. */
static void ctx_settle(sim_crypto *c, int rc)
{
    if (rc == -EIO) {
        EVP_CIPHER_CTX_reset(c->cx);
        c->primed = 0;
    } else {
        c->primed = 1;
    }
}

int sim_crypto_seal_ctx(sim_crypto *c, const uint8_t key[32], const uint8_t nonce[12],
                        const void *aad, size_t aad_len, const void *plain, size_t len,
                        uint8_t *out)
{
    int rc = check_args(key, nonce, aad, aad_len, plain, len);

    if (rc)
        return rc;
    if (!c || !out)
        return -EINVAL;
    rc = gcm_seal(c->cx, c->primed ? NULL : c->gcm, key, nonce, aad, aad_len, plain, len, out);
    ctx_settle(c, rc);
    return rc;
}

int sim_crypto_open_ctx(sim_crypto *c, const uint8_t key[32], const uint8_t nonce[12],
                        const void *aad, size_t aad_len, const void *sealed, size_t len,
                        uint8_t *out)
{
    int rc;

    if (!c)
        return -EINVAL;
    rc = open_args(key, nonce, aad, aad_len, sealed, len, out);
    if (rc)
        return rc;
    rc = gcm_open(c->cx, c->primed ? NULL : c->gcm, key, nonce, aad, aad_len, sealed, len, out);
    ctx_settle(c, rc);
    wipe_on_failure(rc, out, len);
    return rc;
}

/* ---- hex ---- */

void sim_crypto_hex(const void *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *b = bytes;

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * len] = '\0';
}
