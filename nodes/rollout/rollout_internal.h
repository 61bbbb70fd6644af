/* rollout/rollout_internal.h - what the rollout files share: the declarations scripts make
 * (rollout/rollout_lua.c), the instances the engine runs (rollout/rollout.c) and what the report
 * reads (rollout/rollout_report.c).
 *
 * Vocabulary. A *phase* is declared once; it has one *instance* per entity of its scope: per
 * member local government (scope "lg"), per prefecture with members ("prefecture"), per wave
 * ("wave"), or one ("national"). A member is a local government a wave selected. Time is
 * counted in *days*: indices of business days on the schedule's calendar, day 0 being the
 * first business day on or after the schedule's start. An instance that starts on day s and
 * works n days *finishes* on day s + n: its last working day is s + n - 1 and what depends on
 * it may start on day s + n. */
#ifndef RENKEI_ROLLOUT_ROLLOUT_INTERNAL_H
#define RENKEI_ROLLOUT_ROLLOUT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "rollout/rollout.h"
#include "sim_calendar.h"
#include "sim_map.h"
#include "sim_rng.h"

typedef enum ro_dist_kind { DIST_FIXED, DIST_TRIANGULAR, DIST_LOGNORMAL, DIST_UNIFORM } ro_dist_kind;

/* A duration in business days. Every draw consumes exactly two random numbers whatever the
 * kind, so changing one distribution never shifts the draws after it. */
typedef struct ro_dist {
    ro_dist_kind kind;
    double a, b, c;     /* fixed: a; triangular: lo a, mode b, hi c; lognormal: mu a, sigma b;
                           uniform: lo a, hi b */
} ro_dist;

double rollout_dist_draw(const ro_dist *d, sim_rng *r);
double rollout_dist_plan(const ro_dist *d);       /* mode, median, the value, the midpoint */
bool rollout_dist_random(const ro_dist *d);       /* not a fixed value */

typedef enum ro_scope { SCOPE_LG, SCOPE_PREF, SCOPE_WAVE, SCOPE_NATIONAL, SCOPE_SITE } ro_scope;
const char *rollout_scope_name(ro_scope s);

enum { KIND_ANY = 0, KIND_MUNICIPALITY, KIND_PREFECTURE };
enum { SLIP_DEPENDENCY, SLIP_CAPACITY, SLIP_REDO, SLIP_OUTAGE, SLIP_OVERRUN, SLIP_CAUSES };
extern const char *const rollout_slip_names[SLIP_CAUSES];

/* A name in an `after` list: a phase or an external event, resolved by prepare. */
typedef struct ro_ref {
    char *name;
    bool is_event;
    int index;
} ro_ref;

typedef struct ro_phase {
    char *name, *where;           /* where: "file:line:" of the declaration */
    ro_scope scope;
    ro_dist dur;
    double plan;                  /* planned duration (days) */
    double redo_p;                /* probability of doing it again */
    ro_dist redo;                 /* the extra work when redone */
    ro_ref *after;
    int nafter;
    sim_date not_before, deadline;
    bool has_not_before, has_deadline;
    char *uses;                   /* a held capacity's name (NULL: none) */
    int uses_cap, uses_units;
    bool tests;                   /* connection tests: each working day is a test day */
    char *slots;                  /* a daily capacity's name (NULL: the only daily one, if any) */
    int slots_cap;
    int inquiries;                /* test inquiries per test day */
    char *partner, *procedure;    /* NULL: defaults (the first agency; its first procedure) */
    uint32_t partner_node;        /* UINT32_MAX: each member's own prefecture */
    int proc_index;
    char **waves;                 /* only members of these waves (NULL: all) */
    int nwaves;
    int kind;                     /* KIND_*: only members of that kind */
    int order;
    int first_inst, ninst;
    int *inst_of_member;          /* member -> the instance covering it, or -1 */
    int column;                   /* its column in readiness (scope lg), else -1 */
    double sum_draw;              /* per run, for Monte Carlo inputs */
    int ref;                      /* the declaring table (a copy), for revise() */
} ro_phase;

typedef struct ro_event {
    char *name, *where;
    sim_date date;                /* the planned date */
    ro_dist late;                 /* business days late (fixed 0 unless given) */
    sim_date actual;              /* when it really happens (a what-if), instead of date + late */
    bool has_actual;
    int plan_day, day;            /* planned and actual day it happens */
    int late_days;                /* day - plan_day, in business days (negative: early) */
    int ref;                      /* the declaring table (a copy), for revise() */
} ro_event;

typedef struct ro_wave {
    char *name, *where;
    char **prefs;                 /* "13" */
    int nprefs;
    char **codes;
    int ncodes;
    int64_t pop_min, pop_max;     /* -1: no bound */
    int kind;
    sim_date start;
    bool has_start;
    int nmembers;
    int ref;                      /* the declaring table (a copy), for revise() */
} ro_wave;

typedef struct ro_units {
    char *key;
    int units;
} ro_units;

typedef struct ro_capacity {
    char *name, *where;
    ro_scope per;                 /* SCOPE_SITE, SCOPE_PREF, SCOPE_WAVE or SCOPE_NATIONAL */
    int units;                    /* the default */
    ro_units *over;               /* per-key units */
    int nover;
    bool daily;                   /* daily slots (tests) rather than units held for a phase */
    int first_pool, npools;
    int ref;                      /* the declaring table (a copy), for revise() */
} ro_capacity;

/* One pool of a capacity: a site's, a prefecture's, a wave's or the national one. */
typedef struct ro_pool {
    int cap;
    char key[40];
    int units, used, peak;
    int64_t wait_days;
} ro_pool;

typedef struct ro_milestone {
    char *name, *where;
    sim_date target;
    ro_ref *after;
    int nafter;
    double share;                 /* of the instances of its phases that must have finished */
    char *wave;                   /* only members of this wave (NULL: all) */
    int wave_index;
    int plan_day, day;            /* -1: not reached (yet) */
    int at_inst;                  /* the instance that decided the day, or -1 (an event) */
    int at_event;
    int nrel, need, ndone;        /* instances it counts, how many must finish, finished */
    int ref;                      /* the declaring table (a copy), for revise() */
} ro_milestone;

typedef struct ro_member {
    uint32_t node, site;
    char code[8];
    int pref;                     /* 1..47 */
    int wave;
    bool is_pref;
    uint64_t population;
    int live_day;                 /* the day all its lg phases had finished, or -1 */
    int nlg;                      /* lg-scope instances it has */
    int nlg_done, nbusy, nstarted;
} ro_member;

enum { ST_WAITING, ST_QUEUED, ST_ACTIVE, ST_DONE };

typedef struct ro_inst {
    int phase;
    int pos;                      /* position in dependency order: the tie-break everywhere */
    uint64_t ms_mask;             /* milestones (the first 64) that count it */
    int entity;                   /* member index, prefecture number, wave index, or 0 */
    int *members;                 /* the members it covers (prefecture and wave scope) */
    int nmembers;
    int *deps, ndeps;             /* instances it waits for */
    int *users, nusers;           /* instances that wait for it */
    int *evs, nevs;               /* external events it waits for */
    int earliest;                 /* not before this day */
    int pool, slot_pool;          /* held units, daily test slots (-1: none) */
    double draw;
    int need, plan_need, redo_need;
    bool redo;
    /* state of the current pass (the planned pass, then the live one) */
    uint8_t state;
    bool redone;
    int left;                     /* dependencies not finished yet */
    int ready, start, finish;     /* days, -1 until known */
    int progress, cap_wait, outage, redo_days;
    int test_day;                 /* the day of its last test, -1 */
    uint16_t test_pending, test_failed;
    int *test_days, ntest_days, cap_test_days;
    /* the planned pass */
    int b_ready, b_start, b_finish, b_wait;
} ro_inst;

typedef struct ro_test_flow {
    uint64_t flow;
    int inst;
} ro_test_flow;

typedef struct ro {
    sim_world *w;
    sim_calendar cal;
    bool declared;                /* something was declared: there is a schedule */
    bool prepared;
    sim_date start_date;
    bool has_start;
    char *critical;               /* milestone whose critical path is the schedule's */
    int slips_listed;             /* entries of "slips" in summary.json */
    char *where;                  /* schedule{}'s declaration */

    ro_phase *phases;
    int nphases;
    ro_event *events;
    int nevents;
    ro_wave *waves;
    int nwaves;
    bool implicit_wave;
    ro_capacity *caps;
    int ncaps;
    ro_pool *pools;
    int npools;
    ro_milestone *ms;
    int nms;
    ro_member *members;
    int nmembers;
    ro_inst *inst;
    int ninst;
    int *topo;                    /* instances in dependency order */
    int *lg_phases;               /* phases of scope lg, for readiness columns */
    int nlg_phases;

    sim_date *days;               /* business days from the start */
    int ndays, cap_days;

    /* the current pass */
    bool live;
    int today;                    /* the next day to step */
    int remaining;                /* instances not done */
    int *act, nact;               /* active instances */
    int *cand, ncand;             /* waiting with every dependency done: ready once their
                                     not-before day and external events have come */
    int *que, nque;               /* ready, waiting for units of a capacity */
    void *scratch;                /* for sorting by priority */
    int *phase_active;            /* readiness: members in each lg phase */
    int busy, fresh, nlive;       /* members in some phase, not started, ready */
    ro_test_flow *tests;          /* test inquiries of the last test day */
    int ntests, cap_tests;
    int *testing, ntesting;       /* instances that tested on the last day */
    sim_map flows;                /* flow id -> index + 1 in tests */
    int tests_today;
    int32_t *readiness;           /* [ndays_run][nlg_phases + 2] */
    int nreadiness, cap_readiness;
    uint64_t inquiries, inquiries_failed;
    bool done;
    int result_ref;               /* r.schedule as last built (Lua registry), 0: none */
    uint64_t result_events;       /* the world's event count then */
} ro;

/* rollout/rollout_lua.c */
ro *rollout_of_world(sim_world *w);
/* rollout/rollout_report.c: r.schedule / schedule_result(), schedule_lg() */
void rollout_push_result(lua_State *L, ro *r);
int rollout_push_member(lua_State *L, ro *r, int member);

/* rollout/rollout.c */
/* Once the instances are wired: the engine's worklists, readiness columns, plan order and
 * what each milestone counts. -ENOMEM. */
int rollout_index(ro *r);
/* The planned pass (b_* of every instance, plan_day of every milestone); -ERANGE if it does
 * not finish within 200 years of business days. */
int rollout_planned_pass(ro *r);
/* The live pass: listen to the test inquiries, schedule the first business day. */
int rollout_start_live(ro *r);
int rollout_day_of_date(ro *r, sim_date d);       /* first business day on or after d */
sim_date rollout_date_of_day(ro *r, int day);
/* rollout/rollout_plan.c */
int rollout_plan_prepare(lua_State *L, ro *r);         /* raises on a bad plan */
void rollout_free(ro *r);
void rollout_free_phase(ro_phase *ph);
void rollout_free_event(ro_event *ev);
void rollout_free_wave(ro_wave *wv);
void rollout_free_capacity(ro_capacity *c);
void rollout_free_milestone(ro_milestone *m);
/* Slip days of an instance by cause (as of now). */
void rollout_inst_slips(ro *r, const ro_inst *in, int out[SLIP_CAUSES]);
/* The milestone's day: -1 until reached. Updates m->day/at_inst/at_event. */
int rollout_milestone_eval(ro *r, ro_milestone *m, bool planned);
/* The critical path to instance `end` (or to event `ev` when end < 0): instance indices from
 * the start, the first element possibly -(event + 2) for an external event. Returns the count;
 * *out is malloc'd. */
int rollout_critical_path(ro *r, int end, int **out, const char **via);
/* The label of an instance's entity (a code, a prefecture code, a wave name, "national") and
 * its group for a grouping ("wave" or "prefecture"). */
const char *rollout_entity_label(ro *r, const ro_inst *in, char buf[40]);
const char *rollout_group_of(ro *r, const ro_inst *in, bool by_pref, char buf[40]);
int rollout_pref_code(int pref, char out[8]);     /* "130001" */

#endif
