/* platform/platform_internal.h - the messages of site high availability, shared by the mirroring
 * (platform/mirror.c) and the heartbeat, lease and promotion logic (platform/ha.c). */
#ifndef RENKEI_PLATFORM_PLATFORM_INTERNAL_H
#define RENKEI_PLATFORM_PLATFORM_INTERNAL_H

#include "platform/platform.h"

typedef enum ha_op {
    HA_HEARTBEAT,      /* site -> ops and site -> peer */
    HA_HEARTBEAT_ACK,  /* ops -> site: who serves your tenants, at which generation */
    HA_MIRROR,      /* a batch of the mirroring log */
    HA_MIRROR_ACK,  /* applied up to seq of epoch */
    HA_PROMOTE,        /* backup -> ops: take over home's tenants */
    HA_PROMOTE_REPLY,  /* ops -> backup: granted (flag) or refused */
    HA_RELEASE,        /* ops -> serving backup: fail back home's tenants */
    HA_RELEASED,       /* backup -> ops: stopped serving them, all shipped */
    HA_SERVE,          /* ops -> home: serve your tenants again */
    HA_RESYNC,         /* returning site -> serving peer: send me everything */
    HA_SNAPSHOT,       /* the answer: every row of the pair's tenants */
    HA_REPAIR,         /* site -> peer: a corrupt replica row, please */
    HA_REPAIRED,       /* the row (or none) */
    HA_OPS
} ha_op;

typedef struct ha_msg {
    uint8_t op;
    uint8_t flag;              /* granted / serving / synced / found */
    uint8_t peer_lost;         /* heartbeat to ops: the sender has declared its peer lost */
    uint8_t serving;           /* heartbeat to the peer: the sender serves some tenants now */
    uint8_t peer_fenced;       /* heartbeat to ops: the sender's peer says it serves nothing */
    uint8_t force;             /* promote_reply, serve: the operator forced it (a copy that was not
                                * current becomes the reference; what it lacks is lost) */
    uint32_t site;             /* the site whose tenants are concerned (home) */
    uint32_t by;               /* who serves them */
    uint64_t gen, epoch, seq;
    uint64_t id;               /* repair id */
    uint32_t nrecs;
    mirror_rec *recs;
    char why[96];              /* a refusal's reason */
} ha_msg;

typedef struct ha_world {
    ha_settings s;
    ha_stats st;
    int type[HA_OPS];
    bool types_consecutive;    /* type[i] == type[0] + i */
    uint32_t ops;              /* the operations centre, or UINT32_MAX */
} ha_world;

ha_world *platform_ha_world_get(domain *d);       /* created on first use, freed with the world */
ha_world *platform_ha_world_find(const domain *d);   /* never creates it */
/* Tell the listener (platform_listen), if any. */
void platform_tell_promoted(domain *d, uint32_t home, sim_time_t at, bool failback);
void platform_tell_audit(domain *d, uint32_t home, uint32_t site, const char *when);
void platform_tell_write_acked(domain *d, uint32_t site, uint64_t flow, uint32_t tenant, mirror_op op,
                               uint64_t addressee, const char *record_id, uint64_t digest);
ha_msg *platform_ha_msg_new(uint8_t op);
void platform_ha_msg_free(void *p);
int platform_ha_send(sim_node *from, uint32_t to, ha_msg *m, uint32_t size);
void platform_mirror_rec_clear(mirror_rec *r);

/* mirror.c */
void platform_mirror_init(mirror_stream *s, uint32_t to);
void platform_mirror_free(mirror_stream *s);
/* Append a record (its text is moved into the stream); ship now when `now` says so. */
uint64_t platform_mirror_append(sim_node *site, mirror_stream *s, mirror_rec *rec, bool ship_now);
void platform_mirror_ship(sim_node *site, mirror_stream *s);
/* Drop everything unacknowledged and start a new epoch (lost state, resync). */
void platform_mirror_restart(mirror_stream *s);
/* Acknowledged up to seq (of the current epoch): returns the new acked seq. */
uint64_t platform_mirror_acked(sim_node *site, mirror_stream *s, uint64_t epoch, uint64_t seq);
void platform_mirror_receive_batch(sim_node *site, mirror_stream *in, ha_msg *m, uint32_t from);
/* Every row of the tenants shared by this site and `peer`, as one snapshot message. */
ha_msg *platform_mirror_snapshot(sim_node *site, uint32_t peer);
int  platform_mirror_apply_snapshot(sim_node *site, ha_msg *m);
void platform_mirror_serve_repair(sim_node *site, ha_msg *m, uint32_t from);
void platform_mirror_repaired(sim_node *site, ha_msg *m);

/* site.c: the tenant logic the HA code calls back into. */
tenant_db *platform_site_db(sim_node *site);
/* Handle a flow message at a site (after the slow-disk queue, if any). */
void platform_site_process(sim_node *site, struct sim_msg *msg);
void platform_site_answer_inquiry(sim_node *site, body *b, flow_msg *m);
void platform_site_reply_to_body(sim_node *server, body *b, flow_kind kind, flow_msg *m, flow_error e);
int  platform_tenant_apply(tenant_db *t, const mirror_rec *r, const domain *d);

#endif
