/* swarm/swarm.h - the swarm (issue 12): many seeds, each drawing a compound fault schedule,
 * each run checked by an independent checker, failing schedules shrunk to a minimal one.
 *
 *   gen.c          a schedule from a seed (TigerBeetle's VOPR swarm testing: the seed first
 *                  draws which fault kinds are on and how often, then the faults)
 *   render.c       a schedule (or a subset of its faults) as a runnable Lua scenario: what
 *                  the swarm runs is exactly what a shrunk failure is written out as
 *   checker.c      the checker: observes a run through the flow listeners and periodic reads
 *                  of the sites' state, never steers, and says which invariant broke first
 *   checker_lua.c  its Lua side (swarm_checker{}, swarm_operator, swarm_verdict)
 *   shrink.c       delta debugging (ddmin) over a failing schedule's faults
 *
 * The running of a schedule (a session, its scripts) belongs to the command (app/swarm.c);
 * this subsystem knows the domain, the platform and the fault records, and no command line.
 * No wall clock in here: the checker's own time is measured with a clock the caller lends it. */
#ifndef RENKEI_SWARM_SWARM_H
#define RENKEI_SWARM_SWARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/domain.h"

/* ---- gen.c: schedules ------------------------------------------------------------------- */

typedef enum swarm_mode { SWARM_SYNC, SWARM_SEMISYNC, SWARM_ASYNC, SWARM_MODES } swarm_mode;

/* What a schedule can hold. Sites are drawn among east and west. */
typedef enum swarm_kind {
    SWARM_SITE_DOWN,        /* fault.site_down, the site's state kept */
    SWARM_SITE_LOSS,        /* fault.site_down with lose_state */
    SWARM_OPS_DOWN,         /* fault.crash("ops") */
    SWARM_PARTITION_SITES,  /* fault.partition(east, west) */
    SWARM_PARTITION_OPS,    /* fault.partition(site, ops) */
    SWARM_FLAP,             /* fault.flap(east, west) */
    SWARM_NWS_DOWN,         /* fault.nws_down */
    SWARM_NWS_SLOW,         /* fault.nws_slow */
    SWARM_JLIS_DOWN,        /* fault.crash("jlis") */
    SWARM_JLIS_CORRUPT,     /* fault.corrupt(site, jlis): bit errors on a J-LIS link */
    SWARM_KEY_ROTATION,     /* fault.key_rotation(site.ifs) */
    SWARM_CORRUPT,          /* fault.corrupt(site.ifs, nws) */
    SWARM_DUPLICATE,        /* fault.duplicate(site.ifs, nws) */
    SWARM_CORRUPT_REPLICA,  /* fault.corrupt_replica(site) */
    SWARM_PROMOTE,          /* operator.promote(site) */
    SWARM_FAILBACK,         /* operator.failback(site) */
    SWARM_KINDS
} swarm_kind;

typedef struct swarm_fault {
    swarm_kind kind;
    int64_t at;             /* µs after midnight of the run's first day */
    int64_t duration;       /* µs (0 for the one-shot kinds) */
    int site;               /* 0 east, 1 west */
    double rate;            /* corrupt, duplicate */
    int64_t param;          /* nws_slow: delay; flap: period; key_rotation: grace; corrupt_replica: count */
} swarm_fault;

typedef struct swarm_schedule {
    uint64_t seed;
    swarm_mode mode;
    bool auto_failback;
    bool enabled[SWARM_KINDS];   /* the kinds this seed drew on */
    double weight[SWARM_KINDS];
    swarm_fault *faults;         /* in time order */
    size_t n;
} swarm_schedule;

typedef struct swarm_gen_config {
    uint32_t modes;              /* bit per swarm_mode to draw from (0: all) */
    uint32_t kinds;              /* bit per swarm_kind that may be drawn (0: all) */
    int faults_max;              /* at most this many faults (at least 1) */
    bool plant;                  /* testing only: exactly faults_max faults, with one nws_slow
                                  * and one key_rotation (the planted pair), none other of those */
} swarm_gen_config;

/* The schedule of `seed`: the same seed and config give the same schedule. 0 or -ENOMEM. */
int  swarm_generate(uint64_t seed, const swarm_gen_config *cfg, swarm_schedule *out);
void swarm_schedule_free(swarm_schedule *s);
const char *swarm_kind_name(swarm_kind k);
const char *swarm_mode_name(swarm_mode m);
int  swarm_mode_of(const char *name);   /* a swarm_mode, or -EINVAL */
int  swarm_kind_of(const char *name);   /* a swarm_kind, or -EINVAL */

/* ---- render.c: the scenario ----------------------------------------------------------------- */

typedef struct swarm_render_opts {
    const bool *keep;            /* which faults to keep (NULL: all) */
    bool plant;                  /* the checker's planted pair (testing only) */
    int inquiries_per_day, new_residents_per_day;
    const char *header;          /* comment lines put first (replay command, violation), or NULL */
} swarm_render_opts;

/* The schedule as Lua text (malloc'd), or NULL for want of memory. */
char *swarm_render(const swarm_schedule *s, const swarm_render_opts *o);

/* ---- checker.c: the independent checker ----------------------------------------------------- */

/* The invariants the checker knows, by name in swarm.json and in the verdict. */
typedef enum swarm_invariant {
    SWARM_INV_ONE_SITE,          /* one_site_serves: never two sites serving one tenant */
    SWARM_INV_SERVED,            /* served_when_current: unserved at most the bound while a
                                  * current site is up and reachable by ops */
    SWARM_INV_WRITES,            /* writes_accounted: an acknowledged write missing from the
                                  * serving store is counted in the RPO */
    SWARM_INV_RPO_EXACT,         /* rpo_exact: the RPO counts no write the store holds */
    SWARM_INV_FLOW_ONCE,         /* flow_ends_once: never a second end; none vanishes */
    SWARM_INV_FLOW_OUTCOME,      /* flow_outcome: every end has an explicit outcome */
    SWARM_INV_FAILBACK,          /* failback_completes: an accepted failback completes */
    SWARM_INV_FIGURES,           /* figures_match: summary's flow counts equal the checker's */
    SWARM_INV_STRANDED,          /* not_stranded: at the end no tenant has been unserved for
                                  * 30 min with both its sites up and reachable by ops (after
                                  * the operators' end-of-day promotions) */
    SWARM_INV_PLANTED,           /* planted_pair: testing only */
    SWARM_INVARIANTS
} swarm_invariant;
const char *swarm_invariant_name(swarm_invariant i);
int swarm_invariant_of(const char *name);   /* or -EINVAL */

typedef struct swarm_violation {
    swarm_invariant inv;
    int64_t at;                  /* simulated time it was seen */
    char detail[200];
} swarm_violation;

typedef struct swarm_checker swarm_checker;

typedef struct swarm_checker_config {
    int64_t sample;              /* how often the sites' state is read (µs; 0: 1 s) */
    bool plant;                  /* testing only: the planted pair is a violation */
} swarm_checker_config;

/* Attach a checker to the world (before the run): it listens to the flows and reads the sites
 * every `sample`. 0, -EBUSY (one is attached), -ENOMEM. Freed with the world. */
int  swarm_checker_attach(domain *d, const swarm_checker_config *cfg, swarm_checker **out);
swarm_checker *swarm_checker_find(const sim_world *w);
/* What the scenario's operator did (the Lua side tells it): a failback that was accepted must
 * complete. */
void swarm_checker_operator(swarm_checker *c, bool failback, uint32_t site, bool accepted);
/* The end-of-run checks (idempotent: the first call does them). */
void swarm_checker_finish(swarm_checker *c);
/* The violations seen, the first per invariant, in the order seen. */
size_t swarm_checker_violations(const swarm_checker *c, const swarm_violation **out);
/* Lend the checker a clock (ns) to measure its own share of the time (a figure, never a
 * decision); NULL: not measured. */
void swarm_checker_set_clock(swarm_checker *c, uint64_t (*now_ns)(void));
uint64_t swarm_checker_ns(const swarm_checker *c);

/* The checker's raw observations, for the unit tests: feed fake ones without a run. */
typedef struct swarm_observation {
    int64_t at;
    uint32_t tenant;
    int serving;                 /* sites serving it now */
    bool current_reachable;      /* a site with a current copy is up and reachable by ops */
    bool all_reachable;          /* both its sites are up and reachable by ops */
} swarm_observation;
void swarm_checker_observe(swarm_checker *c, const swarm_observation *o);
void swarm_checker_observe_end(swarm_checker *c, uint64_t flow, int outcome, int64_t at);
/* End-of-run figures: lost = acknowledged writes the checker found missing; rpo = the
 * summary's; started/ended = the checker's flow counts against the summary's. */
void swarm_checker_compare(swarm_checker *c, uint64_t lost, uint64_t rpo, uint64_t started, uint64_t ended,
                           uint64_t summary_started, uint64_t summary_ended, uint64_t pending);

/* ---- checker_lua.c --------------------------------------------------------------------------- */

struct lua_State;
int swarm_open_lua(struct lua_State *L);

/* ---- shrink.c: delta debugging ------------------------------------------------------------- */

/* Does the subset keep[0..n) still fail? 1 yes, 0 no, negative errno: stop. */
typedef int (*swarm_test_fn)(const bool *keep, size_t n, void *ud);
/* ddmin (Zeller): reduce keep (all true on entry) to a 1-minimal failing subset: removing
 * any one of its members makes the test pass. Returns the tests run, or a negative errno. */
int swarm_ddmin(bool *keep, size_t n, swarm_test_fn test, void *ud);

#endif
