/* sim_crypto.h - real cryptography for payloads that cross the simulated network.
 *
 * An interface system encrypts each provision for its inquirer, so the NWS and every hop in
 * between carry only ciphertext; corruption and key faults injected by a scenario are then
 * real authentication failures, not flags. The pieces are X25519 key agreement, HKDF-SHA256
 * and AES-256-GCM, all through OpenSSL 3's EVP interface.
 *
 * Nothing here draws from OpenSSL's RNG. Key pairs come from seed bytes and nonces from the
 * caller, who takes both from its seeded sim_rng stream, so one run seed always gives the same
 * keys and the same ciphertext bytes. There is no global state: the one-shot functions keep
 * nothing between calls, and a sim_crypto context belongs to whoever created it (one per world
 * or per thread; a context is not safe to share between threads).
 *
 * Every function returns 0 or a negative errno: -EINVAL for bad arguments, -EBADMSG when a
 * sealed message does not authenticate, -ENOMEM, or -EIO when OpenSSL itself fails (its error
 * queue is then left for the caller to print). */
#ifndef RENKEI_SIM_CRYPTO_H
#define RENKEI_SIM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define SIM_CRYPTO_KEY_LEN 32
#define SIM_CRYPTO_NONCE_LEN 12
#define SIM_CRYPTO_TAG_LEN 16
/* Longest info accepted by sim_crypto_session_key; OpenSSL 3.0's HKDF caps it not far above,
 * and party names plus an epoch need a few dozen bytes. */
#define SIM_CRYPTO_INFO_MAX 1024

typedef struct sim_keypair {
    uint8_t priv[32]; /* the seed as given: X25519 clamps the scalar when it uses it */
    uint8_t pub[32];
} sim_keypair;

/* An X25519 key pair whose private key is the 32 seed bytes (the caller's deterministic
 * randomness) and whose public key is X25519(seed, 9). Any 32 bytes are a valid seed. */
int sim_crypto_keypair(const uint8_t seed[32], sim_keypair *out);

/* The session key shared by mine and the owner of their_pub:
 *     key = HKDF-SHA256(ikm  = X25519(mine->priv, their_pub),
 *                       salt = the two public keys, lower one first (memcmp order),
 *                       info = info, L = 32)
 * Both parties get the same salt whichever side computes it, and the key is bound to both
 * public keys, as RFC 7748 section 7 advises. info should name the two parties and the key
 * epoch, so that rotated keys differ; it may be empty (info NULL, info_len 0) and at most
 * SIM_CRYPTO_INFO_MAX bytes. mine must come from sim_crypto_keypair (its pub is used as is).
 * A low-order their_pub, which would make the shared secret all zeros, gives -EINVAL. */
int sim_crypto_session_key(const sim_keypair *mine, const uint8_t their_pub[32],
                           const void *info, size_t info_len, uint8_t key[32]);

/* AES-256-GCM with a 12-byte nonce and a 16-byte tag. out receives ciphertext || tag, that is
 * len + SIM_CRYPTO_TAG_LEN bytes. aad is authenticated but not encrypted (NULL when aad_len is
 * 0; plain likewise when len is 0). out may be plain itself but must not otherwise overlap it.
 * A (key, nonce) pair must never seal two different messages: the caller draws nonces from its
 * stream or counts them. len and aad_len are limited to INT_MAX (-EINVAL beyond). */
int sim_crypto_seal(const uint8_t key[32], const uint8_t nonce[12], const void *aad,
                    size_t aad_len, const void *plain, size_t len, uint8_t *out);

/* Verifies and decrypts what sim_crypto_seal produced; out receives len - SIM_CRYPTO_TAG_LEN
 * bytes (out may be NULL when that is 0, and may be sealed itself). -EBADMSG when the tag does
 * not verify (tampered bytes, wrong key, nonce or aad) or sealed is too short to hold a tag;
 * out is then zeroed, so no unauthenticated plaintext is ever left behind. */
int sim_crypto_open(const uint8_t key[32], const uint8_t nonce[12], const void *aad,
                    size_t aad_len, const void *sealed, size_t len, uint8_t *out);

/* A reusable context for the hot path (one seal or open per provision): the cipher is fetched
 * and the EVP_CIPHER_CTX allocated once, at create, instead of on every call. Output is byte
 * for byte that of the one-shot functions. destroy(NULL) is a no-op. */
typedef struct sim_crypto sim_crypto;

int sim_crypto_create(sim_crypto **out);
void sim_crypto_destroy(sim_crypto *c);
int sim_crypto_seal_ctx(sim_crypto *c, const uint8_t key[32], const uint8_t nonce[12],
                        const void *aad, size_t aad_len, const void *plain, size_t len,
                        uint8_t *out);
int sim_crypto_open_ctx(sim_crypto *c, const uint8_t key[32], const uint8_t nonce[12],
                        const void *aad, size_t aad_len, const void *sealed, size_t len,
                        uint8_t *out);
/* sim_crypto_session_key with the context: byte for byte the same key, but the HKDF is fetched
 * once and the last few private keys stay imported (importing one computes its public key,
 * which costs as much as the agreement); the context holds copies of them until destroy. */
int sim_crypto_session_key_ctx(sim_crypto *c, const sim_keypair *mine, const uint8_t their_pub[32],
                               const void *info, size_t info_len, uint8_t key[32]);

/* Lower-case hex of len bytes into out, which must hold 2 * len + 1 chars (NUL-terminated),
 * for keys, nonces and ciphertext in JSON. */
void sim_crypto_hex(const void *bytes, size_t len, char *out);

#endif
