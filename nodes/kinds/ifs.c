/* kinds/ifs.c - an interface system (インターフェイスシステム): the gateway of a site or an
 * agency towards the NWS; it also brings the NWS's answers to code acquisitions (the code
 * with its acquisition number) to its server. It seals each provision for the inquirer's interface system
 * (X25519 session keys, rotated every key_rotation, and AES-256-GCM with the serial number
 * and flow as associated data), so the NWS and every hop between see only ciphertext; on the
 * inquirer's side it opens the provision and turns a failure into an explicit integrity
 * error. Key faults are real: an expired certificate refuses sessions, a rotated key pair
 * makes what was sealed for the old one fail to open (unless within the grace period, when
 * the old pair is still tried), a wrong private key fails every session with its peers. */
#include "kinds/kinds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ifs {
    uint32_t server;            /* the site or agency behind it */
    sim_keypair keys;           /* published: peers derive sessions from keys.pub */
    sim_keypair own;            /* what this side uses: keys, or a wrong pair (fault) */
    sim_keypair prev;           /* before the last rotation, tried until prev_until */
    sim_time_t prev_until;
    uint32_t gen;               /* key generation, bumped by each rotation */
    bool expired;
    sim_map session;            /* (peer ifs << 20 | epoch) + 1 -> index into keys[] */
    uint8_t (*session_keys)[32];
    size_t nkeys, cap_keys;
    uint64_t sealed, opened, rejected;
} ifs;

static sim_node *node_of(sim_world *w, uint32_t id) { return sim_world_node(w, id); }

/* The session key of self (key pair `mine`, generation my_gen) with other (public key
 * their_pub, generation their_gen). */
static int derive_with(sim_node *self, const sim_keypair *mine, uint32_t my_gen, sim_node *other,
                       const uint8_t their_pub[32], uint32_t their_gen, uint64_t epoch, uint8_t out[32])
{
    /* Both sides name the pair lower id first, so they derive the same key. */
    char info[96];
    uint32_t lo = self->id < other->id ? self->id : other->id, hi = self->id < other->id ? other->id : self->id;
    uint32_t glo = self->id < other->id ? my_gen : their_gen, ghi = self->id < other->id ? their_gen : my_gen;
    int n = snprintf(info, sizeof info, "renkei ifs %u-%u epoch %llu keys %u-%u", lo, hi,
                     (unsigned long long)epoch, glo, ghi);
    return sim_crypto_session_key_ctx(domain_get(self->world)->crypto, mine, their_pub, info, (size_t)n, out);
}

static int derive(sim_node *self, const sim_keypair *mine, sim_node *other, uint64_t epoch, uint8_t out[32])
{
    ifs *s = self->state, *o = other->state;
    return derive_with(self, mine, s->gen, other, o->keys.pub, o->gen, epoch, out);
}

static const uint8_t *session_key(sim_node *self, uint32_t peer)
{
    ifs *s = self->state;
    domain *d = domain_get(self->world);
    sim_node *other = node_of(self->world, peer);
    if (!other || other->kind != &node_ifs_kind) return NULL;
    ifs *o = other->state;
    if (s->expired || o->expired) return NULL;   /* no session with an expired certificate */
    uint64_t epoch = (uint64_t)((sim_node_now(self) - sim_world_start(self->world)) / d->key_rotation);
    uint64_t key = (((uint64_t)peer << 20 | (epoch & 0xfffff)) << 16 | (s->gen & 0xff) << 8 | (o->gen & 0xff)) + 1;
    uint64_t index;
    if (sim_map_get(&s->session, key, &index)) return s->session_keys[index];
    if (s->nkeys == s->cap_keys) {
        size_t cap = s->cap_keys ? s->cap_keys * 2 : 16;
        uint8_t (*k)[32] = realloc(s->session_keys, cap * sizeof *k);
        if (!k) return NULL;
        s->session_keys = k;
        s->cap_keys = cap;
    }
    if (derive(self, &s->own, other, epoch, s->session_keys[s->nkeys]) < 0 ||
        sim_map_put(&s->session, key, s->nkeys) < 0)
        return NULL;
    return s->session_keys[s->nkeys++];
}

/* Forget the cached sessions (our own key pair changed). */
static void forget_sessions(ifs *s)
{
    sim_map_free(&s->session);
    s->nkeys = 0;
}

static int random_keypair(sim_node *self, sim_keypair *out)
{
    uint8_t seed[32];
    for (int i = 0; i < 32; i += 8) {
        uint64_t r = sim_rng_next(&self->rng);
        memcpy(seed + i, &r, 8);
    }
    return sim_crypto_keypair(seed, out);
}

int node_ifs_key_event_apply(sim_node *n, node_ifs_key_event what, int64_t grace)
{
    if (n->kind != &node_ifs_kind) return -EINVAL;
    ifs *s = n->state;
    switch (what) {
    case NODE_IFS_CERT_EXPIRED: s->expired = true; break;
    case NODE_IFS_CERT_RENEWED: s->expired = false; break;
    case NODE_IFS_ROTATE:
        s->prev = s->keys;
        s->prev_until = sim_node_now(n) + grace;
        random_keypair(n, &s->keys);
        s->own = s->keys;
        s->gen++;
        forget_sessions(s);
        break;
    case NODE_IFS_WRONG_KEY: random_keypair(n, &s->own); forget_sessions(s); break;
    case NODE_IFS_RIGHT_KEY: s->own = s->keys; forget_sessions(s); break;
    default: return -EINVAL;
    }
    return 0;
}

static void aad_of(const flow_msg *m, uint8_t aad[16])
{
    memcpy(aad, &m->serial_no, 8);
    memcpy(aad + 8, &m->flow, 8);
}

/* Provider side: replace the plaintext payload with nonce || ciphertext || tag. */
static int seal(sim_node *self, flow_msg *m)
{
    domain *d = domain_get(self->world);
    body *inq = domain_body(d, m->inquirer);
    const uint8_t *key = inq ? session_key(self, inq->ifs) : NULL;
    if (!key) return -ENOENT;
    uint8_t *out = malloc(SIM_CRYPTO_NONCE_LEN + m->data_len + SIM_CRYPTO_TAG_LEN);
    if (!out) return -ENOMEM;
    for (int i = 0; i < SIM_CRYPTO_NONCE_LEN; i += 4) {
        uint32_t r = (uint32_t)sim_rng_next(&self->rng);
        memcpy(out + i, &r, 4);
    }
    uint8_t aad[16];
    aad_of(m, aad);
    int rc = sim_crypto_seal_ctx(d->crypto, key, out, aad, sizeof aad, m->data, m->data_len,
                                 out + SIM_CRYPTO_NONCE_LEN);
    if (rc < 0) {
        free(out);
        return rc;
    }
    free(m->data);
    m->data = out;
    m->data_len += SIM_CRYPTO_NONCE_LEN + SIM_CRYPTO_TAG_LEN;
    m->sealed = 1;
    ((ifs *)self->state)->sealed++;
    return 0;
}

/* Inquirer side: open the provision, or mark it an integrity failure. */
static void open_sealed(sim_node *self, flow_msg *m)
{
    domain *d = domain_get(self->world);
    ifs *s = self->state;
    body *prov = domain_body(d, m->provider);
    const uint8_t *key = prov ? session_key(self, prov->ifs) : NULL;
    size_t overhead = SIM_CRYPTO_NONCE_LEN + SIM_CRYPTO_TAG_LEN;
    uint8_t aad[16];
    aad_of(m, aad);
    int rc = -EBADMSG;
    uint8_t *plain = NULL;
    if (key && m->data_len >= overhead) {
        plain = malloc(m->data_len - overhead + 1);
        if (plain)
            rc = sim_crypto_open_ctx(d->crypto, key, m->data, aad, sizeof aad,
                                     m->data + SIM_CRYPTO_NONCE_LEN,
                                     m->data_len - SIM_CRYPTO_NONCE_LEN, plain);
    }
    sim_node *other = prov ? node_of(self->world, prov->ifs) : NULL;
    if (rc < 0 && plain && other && other->kind == &node_ifs_kind && !s->expired) {
        /* Sealed just before a rotation, ours or the sealer's (or both: the same interface
         * system on both ends): the previous key pair of a side is still accepted within its
         * grace. */
        ifs *o = other->state;
        sim_time_t now = sim_node_now(self);
        bool mine_old = now < s->prev_until, theirs_old = now < o->prev_until;
        uint64_t epoch = (uint64_t)((now - sim_world_start(self->world)) / d->key_rotation);
        for (int k = 1; k < 4 && rc < 0; k++) {   /* 1: our previous, 2: theirs, 3: both */
            bool use_mine = k & 1, use_theirs = k & 2;
            if ((use_mine && !mine_old) || (use_theirs && !theirs_old)) continue;
            bool self_pair = other == self;   /* one key pair: both sides rotate together */
            if (self_pair && k != 3) continue;
            uint8_t old[32];
            if (derive_with(self, use_mine ? &s->prev : &s->own, use_mine ? s->gen - 1 : s->gen, other,
                            use_theirs ? o->prev.pub : o->keys.pub, use_theirs ? o->gen - 1 : o->gen, epoch, old) == 0)
                rc = sim_crypto_open_ctx(d->crypto, old, m->data, aad, sizeof aad, m->data + SIM_CRYPTO_NONCE_LEN,
                                         m->data_len - SIM_CRYPTO_NONCE_LEN, plain);
        }
    }
    free(m->data);
    m->data = NULL;
    m->sealed = 0;
    if (rc < 0) {
        free(plain);
        m->data_len = 0;
        m->error = FLOW_INTEGRITY;
        s->rejected++;
        domain_flow_blame(d, m->inquirer, m->flow, CAUSE_KEY, self->id, prov ? prov->ifs : UINT32_MAX);
        return;
    }
    m->data = plain;
    m->data_len -= (uint32_t)overhead;
    s->opened++;
}

static void ifs_receive(sim_node *self, sim_msg *msg)
{
    if (domain_msg_discard_damaged(self, msg)) return;
    domain *d = domain_get(self->world);
    ifs *s = self->state;
    flow_msg *m = msg->payload;
    msg->payload = NULL;
    bool from_nws = msg->src == d->nws;
    bool is_provision = msg->type == d->msg_type[FLOW_PROVISION];
    bool is_inquiry = msg->type == d->msg_type[FLOW_INQUIRY];
    bool is_code = msg->type == d->msg_type[FLOW_CODE_RESPONSE];
    sim_msg_free(self->world, msg);
    if (is_code && from_nws) {   /* a code with its acquisition number (Art. 21-2) */
        domain_send(self, s->server, FLOW_CODE_RESPONSE, m, 256);
        return;
    }
    if (!is_provision && !is_inquiry) {
        domain_msg_free(m);
        return;
    }
    flow_kind kind = is_provision ? FLOW_PROVISION : FLOW_INQUIRY;
    if (!from_nws) {
        if (is_provision && m->error == FLOW_OK && m->data_len && seal(self, m) < 0) {
            free(m->data);
            m->data = NULL;
            m->data_len = 0;
            m->error = FLOW_INTEGRITY;
            domain_flow_blame(d, m->inquirer, m->flow, CAUSE_KEY, self->id, UINT32_MAX);
        }
        domain_send(self, d->nws, kind, m, 256);
        return;
    }
    if (is_provision && m->sealed) open_sealed(self, m);
    domain_send(self, s->server, kind, m, 256);
}

static void ifs_destroy(sim_node *self)
{
    ifs *s = self->state;
    if (!s) return;
    sim_map_free(&s->session);
    free(s->session_keys);
    free(s);
}

const sim_node_kind node_ifs_kind = {.name = "ifs", .receive = ifs_receive, .destroy = ifs_destroy};

/* The interface system of `server`, named "<server>.ifs". */
int node_ifs_create(sim_world *w, sim_node *server, sim_node **out)
{
    ifs *s = calloc(1, sizeof *s);
    if (!s) return -ENOMEM;
    s->server = server->id;
    char name[128];
    snprintf(name, sizeof name, "%s.ifs", server->name);
    domain *d = domain_get(w);
    int rc = d ? node_kinds_check_register(d) : -ENOMEM;
    if (rc == 0) rc = sim_world_add_node(w, &node_ifs_kind, name, s, out);
    if (rc < 0) {
        free(s);
        return rc;
    }
    rc = random_keypair(*out, &s->keys);
    s->own = s->keys;
    return rc;
}
