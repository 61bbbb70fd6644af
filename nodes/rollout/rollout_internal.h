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
#include <stdio.h>
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
/* Slip causes. rework: a newer version of a release a phase builds on landed while it was
 * being done; gate: failed runs of the connection-test catalogue. Added after the first five,
 * so summary.json's order of causes is kept. */
enum { SLIP_DEPENDENCY, SLIP_CAPACITY, SLIP_REDO, SLIP_OUTAGE, SLIP_OVERRUN, SLIP_REWORK, SLIP_GATE, SLIP_CAUSES };
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
    /* releases (rollout/rollout_release.c) */
    char *builds_on;              /* "<release> <version>" the work is built against, or NULL */
    int bo_release, bo_version;   /* resolved by prepare */
    double rework;                /* days of rework per day of the phase per unit of change */
    bool pia;                     /* the body's protection assessment: until it is done (or
                                     while it has lapsed) the live NWS refuses its inquiries */
    /* the connection-test catalogue gate: this phase is a run of these catalogue cases */
    char **cases;
    int ncases;                   /* 0: not a catalogue gate */
    double gate_fail;             /* probability that a run fails and is taken again */
    char **ev_codes, **ev_files;  /* evidence bundles: body code -> JSON file (resolved path) */
    int nevidence;
    bool bulk;                    /* bulk initial code acquisition of the member's population:
                                     it takes the days the shared J-LIS/NWS capacity gives it
                                     (kinds/bulk.c's rule), not a drawn duration */
} ro_phase;

typedef struct ro_event {
    char *name, *where;
    sim_date date;                /* the planned date */
    ro_dist late;                 /* business days late (fixed 0 unless given) */
    sim_date actual;              /* when it really happens (a what-if), instead of date + late */
    bool has_actual;
    int slip;                     /* or: business days after its planned day (a what-if) */
    bool has_slip;
    int plan_day, day;            /* planned and actual day it happens */
    int late_days;                /* day - plan_day, in business days (negative: early) */
    int ref;                      /* the declaring table (a copy), for revise() */
    int release, version;         /* a release's version (-1: a plain external event) */
    char **after;                 /* events it cannot come before (a release version's `after`) */
    int nafter;
    int *after_ev;                /* resolved */
    int pday;                     /* the day it happens in the current pass other than the
                                     live one: the plan's, the what-if's, a sensitivity's */
} ro_event;

/* A versioned release (a document, a spec, a piece of software, a tool): its versions are
 * external events named "<release> <version>", in order; a later version cannot land before
 * an earlier one. Bodies take each version up after a lag (a readiness signal); phases build
 * on one version and are reworked when a later one lands while they are being done. */
typedef struct ro_release {
    char *name, *where, *title;
    int *events;                  /* the versions' events, in version order */
    char **versions;
    double *changed;              /* share of the release each version changed (0..1] */
    int nversions;
    ro_dist uptake;               /* business days from a version to a body's taking it up */
    bool has_uptake;
    int plan_lag;                 /* the planned uptake lag (the distribution's plan value) */
    char **upgrade_sites;         /* software delivered to the platform: an upgrade night */
    int nupgrade_sites;
    int64_t upgrade_at, upgrade_for;   /* time of day, duration (µs) */
} ro_release;

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
    int whatif_day, sens_day;     /* the plan with the what-ifs; in a sensitivity pass */
} ro_milestone;

typedef struct ro_member {
    uint32_t node, site;
    char code[8];
    int pref;                     /* 1..47 */
    int wave;
    bool is_pref;
    uint64_t population;
    int live_day;                 /* the day all its lg phases had finished, or -1 */
    int pia_inst;                 /* its protection assessment's instance, or -1 */
    int lapses;                   /* assessment lapses in force (assessment_lapse) */
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
    /* releases and gates */
    int uptake_lag;               /* business days from its base version to the body's uptake */
    int rework_days, b_rework;    /* rework in this pass; in the planned pass */
    int gate_fails;               /* catalogue runs that fail before one passes (drawn) */
    int gate_days;                /* the extra days those failed runs take (drawn) */
    int evidence;                 /* catalogue gate: -1 simulated; else the bundle's day (or
                                     INT32_MAX when the bundle does not pass every case) */
    int64_t persons, persons_left;   /* bulk code acquisition: the member's population, and
                                        what is left of it in this pass */
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
    ro_release *rels;
    int nrels;
    char **catalogue;             /* the connection-test catalogue's case ids */
    int ncatalogue;
    char *catalogue_where;
    sim_date *as_of;              /* readiness-signal dates */
    int nas_of;
    char **signal_phases;         /* lg phases reported as readiness signals besides the
                                     vendors' work, the gates and the uptake of versions */
    int nsignal_phases;
    int sensitivity;              /* business days each version is shifted by (0: none) */
    bool whatif;                  /* some event has an `actual`: compare with the plan */
    int *sens_days;               /* [event * nms + milestone]: business days the milestone moved
                                     when that version alone came `sensitivity` days late
                                     (INT32_MAX: not reached) */
    char *operator_name;          /* the platform's operator ("J-LIS") */
    int *uptake_lag;              /* [member * nevents + event]: business days from a release
                                     version to the body's taking it up, -1 for other events */
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
    int64_t bulk_per_day;         /* persons a business day J-LIS and the NWS acquire codes for
                                     (the smaller of bulk_settings{}'s two), shared by every
                                     bulk_acquisition phase's active instances */
    bool done;
    int result_ref;               /* r.schedule as last built (Lua registry), 0: none */
    uint64_t result_events;       /* the world's event count then */
} ro;

/* rollout/rollout_lua.c */
ro *rollout_of_world(sim_world *w);
/* rollout/rollout_report.c: r.schedule / schedule_result(), schedule_lg() */
void rollout_push_result(lua_State *L, ro *r);
int rollout_push_member(lua_State *L, ro *r, int member);

/* rollout/rollout_release.c */
/* Which day an event happens in the current pass. */
static inline int rollout_event_day(const ro *r, const ro_event *ev) { return r->live ? ev->day : ev->pday; }
/* Raise the days in `day` (one per event) so that no version comes before the one it revises
 * or an event before what it comes after; -ELOOP if they never settle (a cycle). */
int rollout_propagate_events(const ro *r, int *day);
/* Prepare's part for releases, once names are resolved: each builds_on to its release's
 * version (and the phase waits for it), catalogue gates' cases against the catalogue, the
 * events' `after`. Raises a file:line error naming the declaration. */
void rollout_release_resolve(lua_State *L, ro *r);
/* After draw_all: the events' days raised by their order (rollout_propagate_events), uptake
 * lags, gate failures, evidence bundles read. Raises a file:line error. */
void rollout_release_draw(lua_State *L, ro *r);
/* After the planned pass: the what-if pass (when some event has an `actual`) and the
 * sensitivity passes; then the live pass may start. -ENOMEM, -ERANGE. */
int rollout_release_passes(ro *r);
/* During a pass, at the start of day d (after yesterday's finishes): rework of the active
 * instances whose release got a newer version that lands today. */
void rollout_release_rework(ro *r, int d);
/* Live pass: the NWS's view of a body's assessment, and the J-LIS upgrade nights. */
int rollout_release_start_live(ro *r);
void rollout_release_finished(ro *r, int inst);
/* The body's assessment lapses now, for `dur` µs (< 0: for good). -ENOENT: no such body. */
int rollout_assessment_lapse(ro *r, const char *code, int64_t dur);
/* Report: "releases", "gates", "signals", "what_if", "sensitivity" in the schedule object. */
void rollout_release_json(ro *r, cJSON *s);
void rollout_release_print(ro *r, FILE *out);
void rollout_release_record(ro *r, cJSON *inputs);
void rollout_free_release(ro_release *rel);

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
/* Whole business days: a phase of 2.1 days takes 3. */
int rollout_whole_days(double x);
/* Raise "<where><message>": where is a declaration's "file:line: ". */
int rollout_raise(lua_State *L, const char *where, const char *fmt, ...);
/* The seed of an entity's stream (a body's code, a prefecture's...) from a stream's base. */
uint64_t rollout_entity_seed(uint64_t base, const char *entity);
void rollout_free(ro *r);
void rollout_free_phase(ro_phase *ph);
void rollout_free_event(ro_event *ev);
void rollout_free_wave(ro_wave *wv);
void rollout_free_capacity(ro_capacity *c);
void rollout_free_milestone(ro_milestone *m);
/* Slip days of an instance by cause (as of now). */
void rollout_inst_slips(ro *r, const ro_inst *in, int out[SLIP_CAUSES]);
/* The milestone's day: -1 until reached. MS_PLANNED: from the planned pass (sets plan_day);
 * MS_LIVE: the live pass so far (sets day/at_inst/at_event); MS_PASS: the pass just run
 * (what-if, sensitivity; sets nothing). */
enum { MS_PLANNED, MS_LIVE, MS_PASS };
int rollout_milestone_eval(ro *r, ro_milestone *m, int mode);
/* Run a pass without the world (planned durations, no redo, tests pass), events on pday. */
int rollout_plain_pass(ro *r);
/* The critical path to instance `end` (or to event `ev` when end < 0): instance indices from
 * the start, the first element possibly -(event + 2) for an external event. Returns the count;
 * *out is malloc'd. */
int rollout_critical_path(ro *r, int end, int **out, const char **via);
/* The label of an instance's entity (a code, a prefecture code, a wave name, "national") and
 * its group for a grouping ("wave" or "prefecture"). */
const char *rollout_entity_label(ro *r, const ro_inst *in, char buf[40]);
const char *rollout_group_of(ro *r, const ro_inst *in, bool by_pref, char buf[40]);
int rollout_pref_code(int pref, char out[8]);     /* "130001" */
/* rollout/rollout_report.c: o[key] = the day's date "YYYY-MM-DD", or null for a day < 0. */
void rollout_json_date(ro *r, cJSON *o, const char *key, int day);

#endif
