/* node_ifs.c - an interface system (インターフェイスシステム): the gateway of a site or an
 * agency towards the NWS. It seals each provision for the inquirer's interface system
 * (X25519 session keys, rotated every key_rotation, and AES-256-GCM with the serial number
 * and flow as associated data), so the NWS and every hop between see only ciphertext; on the
 * inquirer's side it opens the provision and turns a failure into an explicit integrity
 * error. */
#include "node_domain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ifs {
    uint32_t server;            /* the site or agency behind it */
    sim_keypair keys;
    sim_map session;            /* (peer ifs << 20 | epoch) + 1 -> index into keys[] */
    uint8_t (*session_keys)[32];
    size_t nkeys, cap_keys;
    uint64_t sealed, opened, rejected;
} ifs;

static sim_node *node_of(sim_world *w, uint32_t id) { return sim_world_node(w, id); }

static const uint8_t *session_key(sim_node *self, uint32_t peer)
{
    ifs *s = self->state;
    domain *d = domain_get(self->world);
    uint64_t epoch = (uint64_t)((sim_node_now(self) - sim_world_start(self->world)) / d->key_rotation);
    uint64_t key = ((uint64_t)peer << 20 | (epoch & 0xfffff)) + 1;
    uint64_t index;
    if (sim_map_get(&s->session, key, &index)) return s->session_keys[index];
    sim_node *other = node_of(self->world, peer);
    if (!other || other->kind != &node_ifs_kind) return NULL;
    if (s->nkeys == s->cap_keys) {
        size_t cap = s->cap_keys ? s->cap_keys * 2 : 16;
        uint8_t (*k)[32] = realloc(s->session_keys, cap * sizeof *k);
        if (!k) return NULL;
        s->session_keys = k;
        s->cap_keys = cap;
    }
    /* Both sides name the pair lower id first, so they derive the same key. */
    char info[64];
    uint32_t lo = self->id < peer ? self->id : peer, hi = self->id < peer ? peer : self->id;
    int n = snprintf(info, sizeof info, "renkei ifs %u-%u epoch %llu", lo, hi, (unsigned long long)epoch);
    if (sim_crypto_session_key(&s->keys, ((ifs *)other->state)->keys.pub, info, (size_t)n,
                               s->session_keys[s->nkeys]) < 0 ||
        sim_map_put(&s->session, key, s->nkeys) < 0)
        return NULL;
    return s->session_keys[s->nkeys++];
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
    free(m->data);
    m->data = NULL;
    m->sealed = 0;
    if (rc < 0) {
        free(plain);
        m->data_len = 0;
        m->error = FLOW_INTEGRITY;
        s->rejected++;
        return;
    }
    m->data = plain;
    m->data_len -= (uint32_t)overhead;
    s->opened++;
}

static void ifs_receive(sim_node *self, sim_msg *msg)
{
    domain *d = domain_get(self->world);
    ifs *s = self->state;
    flow_msg *m = msg->payload;
    msg->payload = NULL;
    bool from_nws = msg->src == d->nws;
    bool is_provision = msg->type == d->msg_type[FLOW_PROVISION];
    bool is_inquiry = msg->type == d->msg_type[FLOW_INQUIRY];
    sim_msg_free(self->world, msg);
    if (!is_provision && !is_inquiry) {
        flow_msg_free(m);
        return;
    }
    flow_kind kind = is_provision ? FLOW_PROVISION : FLOW_INQUIRY;
    if (!from_nws) {
        if (is_provision && m->error == FLOW_OK && m->data_len && seal(self, m) < 0) {
            free(m->data);
            m->data = NULL;
            m->data_len = 0;
            m->error = FLOW_INTEGRITY;
        }
        flow_send(self, d->nws, kind, m, 256);
        return;
    }
    if (is_provision && m->sealed) open_sealed(self, m);
    flow_send(self, s->server, kind, m, 256);
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
int node_ifs_create(sim_world *w, sim_node *server, sim_node **out);
int node_ifs_create(sim_world *w, sim_node *server, sim_node **out)
{
    ifs *s = calloc(1, sizeof *s);
    if (!s) return -ENOMEM;
    s->server = server->id;
    char name[128];
    snprintf(name, sizeof name, "%s.ifs", server->name);
    int rc = sim_world_add_node(w, &node_ifs_kind, name, s, out);
    if (rc < 0) {
        free(s);
        return rc;
    }
    uint8_t seed[32];
    for (int i = 0; i < 32; i += 8) {
        uint64_t r = sim_rng_next(&(*out)->rng);
        memcpy(seed + i, &r, 8);
    }
    return sim_crypto_keypair(seed, &s->keys);
}
