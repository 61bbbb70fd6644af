/* test_crypto.c - tests for sim/sim_crypto: known answers (RFC 7748 X25519, the GCM spec's
 * AES-256 cases, HKDF session keys and one whole derive-then-seal computed independently),
 * round trips, single-bit tampering of every input, determinism, agreement between the
 * context and one-shot paths, and a context reused 10,000 times. Ends with a small benchmark
 * that only prints seal/open rates: timing depends on the machine, so nothing asserts on it.
 *
 * The expected session keys and the derive-then-seal bytes were computed offline in Python
 * from the published algorithms: HKDF with hmac/hashlib (checked against RFC 5869 case 1),
 * AES-GCM with the cryptography package, from the RFC 7748 shared secret:
 *
 *     def hkdf(ikm, salt, info, L=32):
 *         prk = hmac.new(salt, ikm, hashlib.sha256).digest(); t = okm = b""; i = 1
 *         while len(okm) < L:
 *             t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
 *             okm += t; i += 1
 *         return okm[:L]
 *     key = hkdf(shared, min(apub, bpub) + max(apub, bpub), info)
 *     AESGCM(key).encrypt(bytes(range(12)), plain, aad)
 */
#include "check.h"
#include "sim_crypto.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* RFC 7748 section 6.1 */
#define ALICE_PRIV "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define ALICE_PUB "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
#define BOB_PRIV "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
#define BOB_PUB "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"

#define INFO_E1 "ifs.east>ifs.pension epoch=1"
#define INFO_E2 "ifs.east>ifs.pension epoch=2"
#define KEY_E1 "0b5652791d6c246dba187908b03cf3baca16954b9c034e01acb2ab8485f6388f"
#define KEY_E2 "032cdb5813e762957a343d54bde05a636e07ac49f7aff3dd5d9138141e601ba0"
#define KEY_EMPTY "73e3da79c695d1629d9b62c2a801a7ff0e62be922d548ae5256a592cc814f9bd"

static size_t unhex(const char *s, uint8_t *out)
{
    size_t n = strlen(s) / 2;

    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = s[2 * i + j];
            v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
        }
        out[i] = (uint8_t)v;
    }
    return n;
}

/* Hex of bytes, in one of a few rotating static buffers so a CHECK_STR can take two. */
static const char *hex(const void *bytes, size_t len)
{
    static char bufs[4][4096];
    static int next;
    char *b = bufs[next++ & 3];

    if (len > 2047)
        return "(too long)";
    sim_crypto_hex(bytes, len, b);
    return b;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

/* xorshift64*: the test's own fixed stream for keys, nonces and lengths. */
static uint64_t next_u64(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

static void fill(uint64_t *s, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(next_u64(s) >> 56);
}

static void test_hex(void)
{
    char out[9];
    const uint8_t b[4] = {0x00, 0x9f, 0xa0, 0xff};

    sim_crypto_hex(b, 4, out);
    CHECK_STR(out, "009fa0ff");
    sim_crypto_hex(NULL, 0, out);
    CHECK_STR(out, "");
}

static void test_x25519_rfc7748(void)
{
    uint8_t seed[32], k1[32], k2[32];
    sim_keypair alice, bob, carol;

    unhex(ALICE_PRIV, seed);
    CHECK_INT(sim_crypto_keypair(seed, &alice), 0);
    CHECK_STR(hex(alice.pub, 32), ALICE_PUB);
    CHECK_STR(hex(alice.priv, 32), ALICE_PRIV);
    unhex(BOB_PRIV, seed);
    CHECK_INT(sim_crypto_keypair(seed, &bob), 0);
    CHECK_STR(hex(bob.pub, 32), BOB_PUB);

    /* The HKDF outputs were derived offline from the RFC's shared secret
     * 4a5d9d5b...1e161742, so matching them checks X25519 and HKDF together. */
    CHECK_INT(sim_crypto_session_key(&alice, bob.pub, INFO_E1, strlen(INFO_E1), k1), 0);
    CHECK_INT(sim_crypto_session_key(&bob, alice.pub, INFO_E1, strlen(INFO_E1), k2), 0);
    CHECK_STR(hex(k1, 32), KEY_E1);
    CHECK_STR(hex(k2, 32), KEY_E1);

    CHECK_INT(sim_crypto_session_key(&bob, alice.pub, INFO_E2, strlen(INFO_E2), k2), 0);
    CHECK_STR(hex(k2, 32), KEY_E2);
    CHECK(memcmp(k1, k2, 32) != 0);

    CHECK_INT(sim_crypto_session_key(&alice, bob.pub, NULL, 0, k2), 0);
    CHECK_STR(hex(k2, 32), KEY_EMPTY);

    /* A third party gets neither side's key, from either direction. */
    memset(seed, 0x42, sizeof seed);
    CHECK_INT(sim_crypto_keypair(seed, &carol), 0);
    CHECK_INT(sim_crypto_session_key(&carol, alice.pub, INFO_E1, strlen(INFO_E1), k2), 0);
    CHECK(memcmp(k1, k2, 32) != 0);
    CHECK_INT(sim_crypto_session_key(&carol, bob.pub, INFO_E1, strlen(INFO_E1), k2), 0);
    CHECK(memcmp(k1, k2, 32) != 0);
    CHECK_INT(sim_crypto_session_key(&alice, carol.pub, INFO_E1, strlen(INFO_E1), k2), 0);
    CHECK(memcmp(k1, k2, 32) != 0);

    /* The seed may live in the output pair itself. */
    unhex(ALICE_PRIV, carol.priv);
    CHECK_INT(sim_crypto_keypair(carol.priv, &carol), 0);
    CHECK_STR(hex(carol.pub, 32), ALICE_PUB);
}

static void test_key_errors(void)
{
    uint8_t seed[32] = {1}, bad[32] = {0}, key[32];
    static uint8_t big[SIM_CRYPTO_INFO_MAX + 1];
    sim_keypair kp;

    CHECK_INT(sim_crypto_keypair(NULL, &kp), -EINVAL);
    CHECK_INT(sim_crypto_keypair(seed, NULL), -EINVAL);
    CHECK_INT(sim_crypto_keypair(seed, &kp), 0);
    CHECK_INT(sim_crypto_session_key(NULL, kp.pub, "x", 1, key), -EINVAL);
    CHECK_INT(sim_crypto_session_key(&kp, NULL, "x", 1, key), -EINVAL);
    CHECK_INT(sim_crypto_session_key(&kp, kp.pub, "x", 1, NULL), -EINVAL);
    CHECK_INT(sim_crypto_session_key(&kp, kp.pub, NULL, 1, key), -EINVAL);
    CHECK_INT(sim_crypto_session_key(&kp, kp.pub, big, sizeof big, key), -EINVAL);
    CHECK_INT(sim_crypto_session_key(&kp, kp.pub, big, sizeof big - 1, key), 0);

    /* Low-order points (u = 0 and u = 1) would give an all-zero shared secret. */
    CHECK_INT(sim_crypto_session_key(&kp, bad, "x", 1, key), -EINVAL);
    bad[0] = 1;
    CHECK_INT(sim_crypto_session_key(&kp, bad, "x", 1, key), -EINVAL);
}

struct gcm_case {
    const char *key, *nonce, *aad, *plain, *sealed;
};

/* The GCM specification (McGrew and Viega), test cases 13, 14 and 16: AES-256. */
static const struct gcm_case gcm_cases[] = {
    {"0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "530f8afbc74536b9a963b4f1c4cb738b"},
    {"0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "00000000000000000000000000000000",
     "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

static void test_gcm_vectors(sim_crypto *c)
{
    for (size_t i = 0; i < sizeof gcm_cases / sizeof gcm_cases[0]; i++) {
        const struct gcm_case *t = &gcm_cases[i];
        uint8_t key[32], nonce[12], aad[64], plain[64], out[96], back[64];
        size_t alen = unhex(t->aad, aad), plen = unhex(t->plain, plain);

        unhex(t->key, key);
        unhex(t->nonce, nonce);
        CHECK_INT(sim_crypto_seal(key, nonce, aad, alen, plain, plen, out), 0);
        CHECK_STR(hex(out, plen + 16), t->sealed);
        memset(out, 0, sizeof out);
        CHECK_INT(sim_crypto_seal_ctx(c, key, nonce, aad, alen, plain, plen, out), 0);
        CHECK_STR(hex(out, plen + 16), t->sealed);

        CHECK_INT(sim_crypto_open(key, nonce, aad, alen, out, plen + 16, back), 0);
        CHECK_STR(hex(back, plen), t->plain);
        memset(back, 0, sizeof back);
        CHECK_INT(sim_crypto_open_ctx(c, key, nonce, aad, alen, out, plen + 16, back), 0);
        CHECK_STR(hex(back, plen), t->plain);
    }
}

/* The whole path an interface system takes: key pairs from seeds, session key, seal. */
static void test_pipeline_kat(sim_crypto *c)
{
    static const char plain[] = "provision: local_tax TM00001";
    static const char aad[] = "serial_no=000000000042";
    static const char expect[] = "0165d59d9dc49b02f63e32740609ffea720c682c9020d26bd0b71cc1"
                                 "9fcd030d6588ac7e9a8b65f4a96e4452";
    uint8_t seed[32], key[32], nonce[12], out[64];
    sim_keypair alice, bob;

    unhex(ALICE_PRIV, seed);
    CHECK_INT(sim_crypto_keypair(seed, &alice), 0);
    unhex(BOB_PRIV, seed);
    CHECK_INT(sim_crypto_keypair(seed, &bob), 0);
    CHECK_INT(sim_crypto_session_key(&bob, alice.pub, INFO_E1, strlen(INFO_E1), key), 0);
    for (int i = 0; i < 12; i++)
        nonce[i] = (uint8_t)i;
    CHECK_INT(sim_crypto_seal_ctx(c, key, nonce, aad, strlen(aad), plain, strlen(plain), out),
              0);
    CHECK_STR(hex(out, strlen(plain) + 16), expect);
}

static void test_round_trip(sim_crypto *c)
{
    static const size_t lens[] = {0, 1, 15, 16, 17, 1000};
    uint8_t key[32], nonce[12], aad[20], plain[1000], sealed[1016], again[1016], back[1016];
    uint64_t s = 0x9e3779b97f4a7c15ULL;

    fill(&s, key, sizeof key);
    fill(&s, nonce, sizeof nonce);
    fill(&s, aad, sizeof aad);
    fill(&s, plain, sizeof plain);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n = lens[i];
        for (size_t alen = 0; alen <= sizeof aad; alen += sizeof aad) {
            CHECK_INT(sim_crypto_seal(key, nonce, aad, alen, plain, n, sealed), 0);
            CHECK(n == 0 || memcmp(sealed, plain, n) != 0);
            memset(back, 0xa5, sizeof back);
            CHECK_INT(sim_crypto_open(key, nonce, aad, alen, sealed, n + 16, back), 0);
            CHECK(memcmp(back, plain, n) == 0);
            CHECK(back[n] == 0xa5); /* nothing written past the plaintext */

            memset(again, 0, sizeof again);
            CHECK_INT(sim_crypto_seal_ctx(c, key, nonce, aad, alen, plain, n, again), 0);
            CHECK(memcmp(again, sealed, n + 16) == 0);
            memset(back, 0xa5, sizeof back);
            CHECK_INT(sim_crypto_open_ctx(c, key, nonce, aad, alen, again, n + 16, back), 0);
            CHECK(memcmp(back, plain, n) == 0);

            /* In place, both ways. */
            memcpy(again, plain, n);
            CHECK_INT(sim_crypto_seal_ctx(c, key, nonce, aad, alen, again, n, again), 0);
            CHECK(memcmp(again, sealed, n + 16) == 0);
            CHECK_INT(sim_crypto_open(key, nonce, aad, alen, again, n + 16, again), 0);
            CHECK(memcmp(again, plain, n) == 0);
        }
    }
    /* An empty plaintext needs no output buffer to open into. */
    CHECK_INT(sim_crypto_seal(key, nonce, NULL, 0, NULL, 0, sealed), 0);
    CHECK_INT(sim_crypto_open(key, nonce, NULL, 0, sealed, 16, NULL), 0);
    CHECK_INT(sim_crypto_open_ctx(c, key, nonce, NULL, 0, sealed, 16, NULL), 0);
}

/* Opens through both paths, expecting failure and a zeroed output. */
static void expect_bad(sim_crypto *c, const uint8_t *key, const uint8_t *nonce,
                       const uint8_t *aad, size_t alen, const uint8_t *sealed, size_t len,
                       int *fails)
{
    uint8_t back[256];
    size_t plen = len >= 16 ? len - 16 : 0;

    memset(back, 0xa5, sizeof back);
    if (sim_crypto_open(key, nonce, aad, alen, sealed, len, back) != -EBADMSG ||
        !all_zero(back, plen))
        (*fails)++;
    memset(back, 0xa5, sizeof back);
    if (sim_crypto_open_ctx(c, key, nonce, aad, alen, sealed, len, back) != -EBADMSG ||
        !all_zero(back, plen))
        (*fails)++;
}

static void test_tamper(sim_crypto *c)
{
    static const size_t lens[] = {0, 1, 17, 64};
    uint8_t key[32], nonce[12], aad[13], plain[64], sealed[80], back[64];
    uint64_t s = 12345;

    fill(&s, key, sizeof key);
    fill(&s, nonce, sizeof nonce);
    fill(&s, aad, sizeof aad);
    fill(&s, plain, sizeof plain);
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li], total = n + 16;
        int fails = 0, tries = 0;

        CHECK_INT(sim_crypto_seal(key, nonce, aad, sizeof aad, plain, n, sealed), 0);
        for (size_t bit = 0; bit < 8 * total; bit++, tries++) {
            sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            expect_bad(c, key, nonce, aad, sizeof aad, sealed, total, &fails);
            sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        for (size_t bit = 0; bit < 8 * sizeof nonce; bit++, tries++) {
            nonce[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            expect_bad(c, key, nonce, aad, sizeof aad, sealed, total, &fails);
            nonce[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        for (size_t bit = 0; bit < 8 * sizeof aad; bit++, tries++) {
            aad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            expect_bad(c, key, nonce, aad, sizeof aad, sealed, total, &fails);
            aad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        /* A dropped aad, a truncation, anything too short to hold a tag. */
        expect_bad(c, key, nonce, NULL, 0, sealed, total, &fails);
        expect_bad(c, key, nonce, aad, sizeof aad - 1, sealed, total, &fails);
        expect_bad(c, key, nonce, aad, sizeof aad, sealed, total - 1, &fails);
        for (size_t k = 0; k < 16; k++)
            expect_bad(c, key, nonce, aad, sizeof aad, sealed, k, &fails);
        /* Wrong key. */
        key[31] ^= 0x80;
        expect_bad(c, key, nonce, aad, sizeof aad, sealed, total, &fails);
        key[31] ^= 0x80;
        CHECK_INT(fails, 0);
        CHECK(tries > 0);

        /* After all those failures, both paths still open the genuine message. */
        CHECK_INT(sim_crypto_open(key, nonce, aad, sizeof aad, sealed, total, back), 0);
        CHECK(memcmp(back, plain, n) == 0);
        CHECK_INT(sim_crypto_open_ctx(c, key, nonce, aad, sizeof aad, sealed, total, back), 0);
        CHECK(memcmp(back, plain, n) == 0);
    }

    /* A key from a different session (another epoch) is a wrong key too. */
    {
        uint8_t seed[32], k1[32], k2[32];
        sim_keypair a, b;

        memset(seed, 7, sizeof seed);
        CHECK_INT(sim_crypto_keypair(seed, &a), 0);
        memset(seed, 8, sizeof seed);
        CHECK_INT(sim_crypto_keypair(seed, &b), 0);
        CHECK_INT(sim_crypto_session_key(&a, b.pub, INFO_E1, strlen(INFO_E1), k1), 0);
        CHECK_INT(sim_crypto_session_key(&b, a.pub, INFO_E2, strlen(INFO_E2), k2), 0);
        CHECK_INT(sim_crypto_seal(k1, nonce, NULL, 0, plain, 17, sealed), 0);
        memset(back, 0xa5, sizeof back);
        CHECK_INT(sim_crypto_open(k2, nonce, NULL, 0, sealed, 33, back), -EBADMSG);
        CHECK(all_zero(back, 17));
        CHECK_INT(sim_crypto_session_key(&b, a.pub, INFO_E1, strlen(INFO_E1), k2), 0);
        CHECK_INT(sim_crypto_open(k2, nonce, NULL, 0, sealed, 33, back), 0);
        CHECK(memcmp(back, plain, 17) == 0);
    }
}

static void test_crypt_errors(sim_crypto *c)
{
    uint8_t key[32] = {0}, nonce[12] = {0}, buf[64] = {0};

    CHECK_INT(sim_crypto_seal(NULL, nonce, NULL, 0, buf, 1, buf), -EINVAL);
    CHECK_INT(sim_crypto_seal(key, NULL, NULL, 0, buf, 1, buf), -EINVAL);
    CHECK_INT(sim_crypto_seal(key, nonce, NULL, 1, buf, 1, buf), -EINVAL);
    CHECK_INT(sim_crypto_seal(key, nonce, NULL, 0, NULL, 1, buf), -EINVAL);
    CHECK_INT(sim_crypto_seal(key, nonce, NULL, 0, buf, 1, NULL), -EINVAL);
    CHECK_INT(sim_crypto_seal(key, nonce, NULL, 0, NULL, 0, NULL), -EINVAL);
    CHECK_INT(sim_crypto_seal(key, nonce, buf, (size_t)1 << 31, buf, 1, buf), -EINVAL);
    CHECK_INT(sim_crypto_seal_ctx(NULL, key, nonce, NULL, 0, buf, 1, buf), -EINVAL);
    CHECK_INT(sim_crypto_seal_ctx(c, key, nonce, NULL, 0, buf, 1, NULL), -EINVAL);
    CHECK_INT(sim_crypto_open(NULL, nonce, NULL, 0, buf, 17, buf), -EINVAL);
    CHECK_INT(sim_crypto_open(key, nonce, NULL, 0, NULL, 17, buf), -EINVAL);
    CHECK_INT(sim_crypto_open(key, nonce, NULL, 0, buf, 17, NULL), -EINVAL);
    CHECK_INT(sim_crypto_open_ctx(NULL, key, nonce, NULL, 0, buf, 17, buf), -EINVAL);
    CHECK_INT(sim_crypto_open_ctx(c, key, nonce, NULL, 1, buf, 17, buf), -EINVAL);
    CHECK_INT(sim_crypto_create(NULL), -EINVAL);
    sim_crypto_destroy(NULL);
}

static void test_determinism(void)
{
    uint8_t seed[32], key[32], nonce[12], plain[300], a[316], b[316];
    sim_keypair p1, p2, q;
    uint8_t k1[32], k2[32];
    sim_crypto *c1 = NULL, *c2 = NULL;
    uint64_t s = 777;

    fill(&s, seed, sizeof seed);
    CHECK_INT(sim_crypto_keypair(seed, &p1), 0);
    CHECK_INT(sim_crypto_keypair(seed, &p2), 0);
    CHECK(memcmp(&p1, &p2, sizeof p1) == 0);
    fill(&s, seed, sizeof seed);
    CHECK_INT(sim_crypto_keypair(seed, &q), 0);
    CHECK_INT(sim_crypto_session_key(&p1, q.pub, "e", 1, k1), 0);
    CHECK_INT(sim_crypto_session_key(&p2, q.pub, "e", 1, k2), 0);
    CHECK(memcmp(k1, k2, 32) == 0);

    /* Two contexts alive at once share nothing and agree with each other and the one-shot. */
    CHECK_INT(sim_crypto_create(&c1), 0);
    CHECK_INT(sim_crypto_create(&c2), 0);
    fill(&s, key, sizeof key);
    fill(&s, nonce, sizeof nonce);
    fill(&s, plain, sizeof plain);
    CHECK_INT(sim_crypto_seal(key, nonce, "h", 1, plain, sizeof plain, a), 0);
    CHECK_INT(sim_crypto_seal(key, nonce, "h", 1, plain, sizeof plain, b), 0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    memset(b, 0, sizeof b);
    CHECK_INT(sim_crypto_seal_ctx(c1, key, nonce, "h", 1, plain, sizeof plain, b), 0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    memset(b, 0, sizeof b);
    CHECK_INT(sim_crypto_seal_ctx(c2, key, nonce, "h", 1, plain, sizeof plain, b), 0);
    CHECK(memcmp(a, b, sizeof a) == 0);
    sim_crypto_destroy(c2);
    sim_crypto_destroy(c1);
}

/* Many messages through one context, switching key, nonce, length and direction every time,
 * with a tampered message every so often, each result checked against the one-shot path. */
static void test_ctx_reuse(sim_crypto *c)
{
    enum { ROUNDS = 10000 };
    uint8_t key[32], nonce[12], aad[16], plain[600], viactx[616], oneshot[616], back[600];
    uint64_t s = 0xfeedfacecafebeefULL;
    int bad_seal = 0, bad_open = 0, bad_tamper = 0;

    for (int i = 0; i < ROUNDS; i++) {
        size_t n = (size_t)(next_u64(&s) % sizeof plain);
        size_t alen = (size_t)(next_u64(&s) % (sizeof aad + 1));

        fill(&s, key, sizeof key);
        fill(&s, nonce, sizeof nonce);
        fill(&s, aad, alen);
        fill(&s, plain, n);
        if (sim_crypto_seal_ctx(c, key, nonce, aad, alen, plain, n, viactx) != 0 ||
            sim_crypto_seal(key, nonce, aad, alen, plain, n, oneshot) != 0 ||
            memcmp(viactx, oneshot, n + 16) != 0)
            bad_seal++;
        if (i % 7 == 3) {
            viactx[next_u64(&s) % (n + 16)] ^= 0x01;
            if (sim_crypto_open_ctx(c, key, nonce, aad, alen, viactx, n + 16, back) != -EBADMSG)
                bad_tamper++;
        } else if (sim_crypto_open_ctx(c, key, nonce, aad, alen, viactx, n + 16, back) != 0 ||
                   memcmp(back, plain, n) != 0) {
            bad_open++;
        }
    }
    CHECK_INT(bad_seal, 0);
    CHECK_INT(bad_open, 0);
    CHECK_INT(bad_tamper, 0);
}

/* ---- benchmark: prints only ---- */

static double now_s(void)
{
    struct timespec ts;

    timespec_get(&ts, TIME_UTC);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

enum { BENCH_BATCH = 500 };
#define BENCH_SECONDS 0.15

/* Operations per second, running batches until BENCH_SECONDS have passed. The same key and
 * nonce seal the same bytes over and over: fine for timing, never for real traffic. */
static double bench_rate(sim_crypto *c, int open, size_t n, int *errors)
{
    static uint8_t key[32], nonce[12], aad[24], plain[2048], sealed[2064], back[2048];
    double start = now_s(), elapsed;
    long ops = 0;

    memset(key, 0x11, sizeof key);
    memset(plain, 0x22, sizeof plain);
    if (sim_crypto_seal(key, nonce, aad, sizeof aad, plain, n, sealed) != 0)
        (*errors)++;
    do {
        for (int i = 0; i < BENCH_BATCH; i++) {
            int rc;
            if (open)
                rc = c ? sim_crypto_open_ctx(c, key, nonce, aad, sizeof aad, sealed, n + 16, back)
                       : sim_crypto_open(key, nonce, aad, sizeof aad, sealed, n + 16, back);
            else
                rc = c ? sim_crypto_seal_ctx(c, key, nonce, aad, sizeof aad, plain, n, sealed)
                       : sim_crypto_seal(key, nonce, aad, sizeof aad, plain, n, sealed);
            if (rc)
                (*errors)++;
        }
        ops += BENCH_BATCH;
        elapsed = now_s() - start;
    } while (elapsed < BENCH_SECONDS);
    return (double)ops / elapsed;
}

static void bench(sim_crypto *c)
{
    static const size_t sizes[] = {256, 2048};
    const char *build = "unsanitised build";
    int errors = 0;

#if defined(__SANITIZE_ADDRESS__)
    build = "sanitised build: figures not representative";
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
    build = "sanitised build: figures not representative";
#endif
#endif
    printf("sim_crypto benchmark (%s; information only, nothing asserted)\n", build);
    printf("  %-7s %-5s %14s %14s %7s\n", "payload", "op", "ctx /s", "one-shot /s", "ratio");
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        for (int open = 0; open <= 1; open++) {
            double ctx = bench_rate(c, open, sizes[i], &errors);
            double one = bench_rate(NULL, open, sizes[i], &errors);
            printf("  %5zu B %-5s %14.0f %14.0f %6.2fx\n", sizes[i], open ? "open" : "seal",
                   ctx, one, ctx / one);
        }
    }
    CHECK_INT(errors, 0);
}

/* The context's session keys: the known answer, and byte for byte the one-shot function's for
 * 20 private keys used in turn, more than the context keeps imported (so slots are replaced
 * and keys come back after being dropped), and the same errors. */
static void test_session_ctx(sim_crypto *c)
{
    sim_keypair alice, bob, kp[20];
    uint8_t k1[32], k2[32], bad[32] = {0};

    unhex(ALICE_PRIV, alice.priv);
    unhex(BOB_PRIV, bob.priv);
    CHECK_INT(sim_crypto_keypair(alice.priv, &alice), 0);
    CHECK_INT(sim_crypto_keypair(bob.priv, &bob), 0);
    CHECK_INT(sim_crypto_session_key_ctx(c, &alice, bob.pub, INFO_E1, strlen(INFO_E1), k1), 0);
    CHECK_STR(hex(k1, 32), KEY_E1);
    CHECK_INT(sim_crypto_session_key_ctx(c, &bob, alice.pub, INFO_E2, strlen(INFO_E2), k1), 0);
    CHECK_STR(hex(k1, 32), KEY_E2);
    for (int i = 0; i < 20; i++) {
        uint8_t seed[32];
        for (int j = 0; j < 32; j++) seed[j] = (uint8_t)(i * 37 + j * 11 + 1);
        CHECK_INT(sim_crypto_keypair(seed, &kp[i]), 0);
    }
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 20; i++) {
            const sim_keypair *me = &kp[(i * 7 + round) % 20], *peer = &kp[(i * 3 + 5) % 20];
            char info[32];
            int n = snprintf(info, sizeof info, "round %d pair %d", round, i);
            CHECK_INT(sim_crypto_session_key(me, peer->pub, info, (size_t)n, k1), 0);
            CHECK_INT(sim_crypto_session_key_ctx(c, me, peer->pub, info, (size_t)n, k2), 0);
            CHECK_STR(hex(k2, 32), hex(k1, 32));
        }
    CHECK_INT(sim_crypto_session_key_ctx(NULL, &alice, bob.pub, "x", 1, k1), -EINVAL);
    CHECK_INT(sim_crypto_session_key_ctx(c, NULL, bob.pub, "x", 1, k1), -EINVAL);
    CHECK_INT(sim_crypto_session_key_ctx(c, &alice, NULL, "x", 1, k1), -EINVAL);
    CHECK_INT(sim_crypto_session_key_ctx(c, &alice, bob.pub, NULL, 1, k1), -EINVAL);
    CHECK_INT(sim_crypto_session_key_ctx(c, &alice, bad, "x", 1, k1), -EINVAL);
    /* a refused peer leaves the cached key usable */
    CHECK_INT(sim_crypto_session_key_ctx(c, &alice, bob.pub, INFO_E1, strlen(INFO_E1), k1), 0);
    CHECK_STR(hex(k1, 32), KEY_E1);
}

int main(void)
{
    sim_crypto *c = NULL;

    CHECK_INT(sim_crypto_create(&c), 0);
    if (!c)
        CHECK_DONE();
    test_hex();
    test_x25519_rfc7748();
    test_key_errors();
    test_gcm_vectors(c);
    test_pipeline_kat(c);
    test_round_trip(c);
    test_tamper(c);
    test_crypt_errors(c);
    test_determinism();
    test_ctx_reuse(c);
    test_session_ctx(c);
    bench(c);
    sim_crypto_destroy(c);
    CHECK_DONE();
}
