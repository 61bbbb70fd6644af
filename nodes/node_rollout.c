/* node_rollout.c - the schedule engine of rollout rehearsal: from the declarations to
 * instances, the planned pass, and the live pass one business day at a time.
 *
 * prepare (after every script has loaded) resolves names, checks the plan, selects the
 * members of each wave, makes one instance of each phase per entity of its scope, wires the
 * dependencies (an instance waits for every instance of the phases it comes after whose
 * members overlap its own), draws every random duration, and runs the *planned pass*: the
 * same engine with the planned durations, no redo and tests that always pass. The *live
 * pass* then runs in the world: one event per business day at opening time (step()), and the
 * connection tests are real inquiries through the twin, whose outcomes arrive through the
 * domain's flow-end listener. Slips are the differences between the two passes, by cause:
 * dependency (ready later than planned), capacity (waited longer than planned for units or
 * test slots), overrun (drawn longer than planned), outage (a test day lost to a failed
 * inquiry) and redo (work done again).
 *
 * Everything random comes from streams derived from the run's seed and the phase's or the
 * event's name, and for an instance also its entity, so adding a wave or a phase never
 * changes another instance's draws. */
#include "node_rollout_internal.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_domain.h"
#include "sim_world.h"

const char *const ro_slip_names[SLIP_CAUSES] = {"dependency", "capacity", "redo", "outage", "overrun"};

/* ---- distributions --------------------------------------------------------------------- */

double ro_dist_draw(const ro_dist *d, sim_rng *r)
{
    double u = sim_rng_uniform(r), v = sim_rng_uniform(r);
    switch (d->kind) {
    case DIST_TRIANGULAR: {
        double lo = d->a, mode = d->b, hi = d->c;
        if (hi <= lo) return lo;
        double f = (mode - lo) / (hi - lo);
        return u < f ? lo + sqrt(u * (hi - lo) * (mode - lo)) : hi - sqrt((1 - u) * (hi - lo) * (hi - mode));
    }
    case DIST_LOGNORMAL: {
        /* Box-Muller on u, v; 1 - u keeps the logarithm finite */
        double z = sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
        return exp(d->a + d->b * z);
    }
    case DIST_UNIFORM: return d->a + (d->b - d->a) * u;
    default: return d->a;
    }
}

double ro_dist_plan(const ro_dist *d)
{
    switch (d->kind) {
    case DIST_TRIANGULAR: return d->b;
    case DIST_LOGNORMAL: return exp(d->a);
    case DIST_UNIFORM: return (d->a + d->b) / 2;
    default: return d->a;
    }
}

bool ro_dist_random(const ro_dist *d)
{
    switch (d->kind) {
    case DIST_TRIANGULAR: return d->c > d->a;
    case DIST_LOGNORMAL: return d->b > 0;
    case DIST_UNIFORM: return d->b > d->a;
    default: return false;
    }
}

/* Whole business days: a phase of 2.1 days takes 3. */
static int whole_days(double x)
{
    if (!(x > 1e-9)) return 0;
    double c = ceil(x - 1e-9);
    return c > 1e6 ? 1000000 : (int)c;
}

const char *ro_scope_name(ro_scope s)
{
    static const char *const names[] = {"lg", "prefecture", "wave", "national", "site"};
    return s <= SCOPE_SITE ? names[s] : "?";
}

/* ---- days ------------------------------------------------------------------------------ */

static void grow_days(ro *r, int upto)
{
    while (r->ndays <= upto) {
        if (r->ndays == r->cap_days) {
            int cap = r->cap_days ? r->cap_days * 2 : 1024;
            sim_date *p = realloc(r->days, (size_t)cap * sizeof *p);
            if (!p) abort();   /* a few kilobytes; nothing sensible to do without them */
            r->days = p;
            r->cap_days = cap;
        }
        sim_date next = r->ndays ? r->days[r->ndays - 1] + 1 : r->start_date;
        r->days[r->ndays++] = sim_calendar_next_business_day(&r->cal, next);
    }
}

sim_date ro_date_of_day(ro *r, int day)
{
    if (day < 0) day = 0;
    grow_days(r, day);
    return r->days[day];
}

int ro_day_of_date(ro *r, sim_date d)
{
    grow_days(r, 0);
    if (d <= r->days[0]) return 0;
    while (r->days[r->ndays - 1] < d) grow_days(r, r->ndays * 2);
    int lo = 0, hi = r->ndays - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (r->days[mid] < d) lo = mid + 1; else hi = mid;
    }
    return lo;
}

/* ---- errors ---------------------------------------------------------------------------- */

static int raise(lua_State *L, const char *where, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lua_pushstring(L, where ? where : "");
    lua_pushvfstring(L, fmt, ap);
    va_end(ap);
    lua_concat(L, 2);
    return lua_error(L);
}

static void *xcalloc(lua_State *L, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) luaL_error(L, "out of memory");
    return p;
}

static void *xrealloc(lua_State *L, void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) luaL_error(L, "out of memory");
    return q;
}

/* Arrays that only grow double when their length reaches a power of two: the capacity is
 * implied by the length, and appending stays linear. */
static bool full(int n) { return n == 0 || (n & (n - 1)) == 0; }

/* ---- names ----------------------------------------------------------------------------- */

static int find_phase(const ro *r, const char *name)
{
    for (int i = 0; i < r->nphases; i++)
        if (strcmp(r->phases[i].name, name) == 0) return i;
    return -1;
}

static int find_event(const ro *r, const char *name)
{
    for (int i = 0; i < r->nevents; i++)
        if (strcmp(r->events[i].name, name) == 0) return i;
    return -1;
}

static int find_wave(const ro *r, const char *name)
{
    for (int i = 0; i < r->nwaves; i++)
        if (strcmp(r->waves[i].name, name) == 0) return i;
    return -1;
}

static int find_cap(const ro *r, const char *name)
{
    for (int i = 0; i < r->ncaps; i++)
        if (strcmp(r->caps[i].name, name) == 0) return i;
    return -1;
}

static void resolve_refs(lua_State *L, ro *r, ro_ref *refs, int n, const char *where, const char *what)
{
    for (int i = 0; i < n; i++) {
        int p = find_phase(r, refs[i].name), e = find_event(r, refs[i].name);
        if (p < 0 && e < 0)
            raise(L, where, "%s: unknown phase or external event '%s' in 'after'", what, refs[i].name);
        refs[i].is_event = p < 0;
        refs[i].index = p < 0 ? e : p;
    }
}

/* A cycle among phases, reported as the path around it. */
static void check_cycles(lua_State *L, ro *r)
{
    int n = r->nphases;
    int *color = xcalloc(L, (size_t)n, sizeof *color);   /* 0 new, 1 on the path, 2 done */
    int *path = xcalloc(L, (size_t)n + 1, sizeof *path), *next = xcalloc(L, (size_t)n, sizeof *next);
    for (int root = 0; root < n; root++) {
        if (color[root]) continue;
        int depth = 0;
        path[0] = root;
        next[root] = 0;
        color[root] = 1;
        while (depth >= 0) {
            int p = path[depth];
            ro_phase *ph = &r->phases[p];
            if (next[p] == ph->nafter) {
                color[p] = 2;
                depth--;
                continue;
            }
            ro_ref *ref = &ph->after[next[p]++];
            if (ref->is_event) continue;
            int q = ref->index;
            if (color[q] == 0) {
                color[q] = 1;
                next[q] = 0;
                path[++depth] = q;
            } else if (color[q] == 1) {
                /* path[k..depth] is the cycle: each comes after the next, and p after q */
                luaL_Buffer b;
                luaL_buffinit(L, &b);
                int k = depth;
                while (path[k] != q) k--;
                luaL_addstring(&b, r->phases[p].name);
                for (int i = k; i <= depth; i++) {
                    luaL_addstring(&b, " after ");
                    luaL_addstring(&b, r->phases[path[i]].name);
                }
                luaL_pushresult(&b);
                const char *cycle = lua_tostring(L, -1);
                free(color);
                free(path);
                free(next);
                raise(L, ph->where, "phase '%s': cyclic dependency (%s)", ph->name, cycle);
            }
        }
    }
    free(color);
    free(path);
    free(next);
}

/* ---- members --------------------------------------------------------------------------- */

int ro_pref_code(int pref, char out[8])
{
    int sum = (pref / 10) * 6 + (pref % 10) * 5;   /* digits 3-5 are zero */
    return snprintf(out, 8, "%02d000%d", pref, (11 - sum % 11) % 10);
}

static int parse_pref(const char *s)
{
    size_t n = strlen(s);
    if ((n != 2 && n != 6) || strspn(s, "0123456789") != n) return -1;
    int p = (s[0] - '0') * 10 + (s[1] - '0');
    if (p < 1 || p > 47) return -1;
    if (n == 6) {
        char code[8];
        ro_pref_code(p, code);
        if (strcmp(code, s) != 0) return -1;
    }
    return p;
}

static bool wave_matches(const ro_wave *wv, const body *b, int pref, bool is_pref)
{
    if (wv->kind == KIND_MUNICIPALITY && is_pref) return false;
    if (wv->kind == KIND_PREFECTURE && !is_pref) return false;
    if (wv->pop_min >= 0 && b->population < (uint64_t)wv->pop_min) return false;
    if (wv->pop_max >= 0 && b->population > (uint64_t)wv->pop_max) return false;
    if (wv->nprefs) {
        bool in = false;
        for (int i = 0; i < wv->nprefs && !in; i++) in = parse_pref(wv->prefs[i]) == pref;
        if (!in) return false;
    }
    return true;
}

static int member_cmp(const void *a, const void *b)
{
    const ro_member *x = a, *y = b;
    if (x->wave != y->wave) return x->wave - y->wave;
    return strcmp(x->code, y->code);
}

static void select_members(lua_State *L, ro *r)
{
    domain *d = sim_world_userdata(r->w, SIM_UD_DOMAIN);
    uint32_t count = sim_world_node_count(r->w);
    bool needs = false;
    for (int i = 0; i < r->nphases; i++) needs |= r->phases[i].scope != SCOPE_NATIONAL;
    if (r->nwaves == 0) {
        if (!needs) return;
        r->waves = xcalloc(L, 1, sizeof *r->waves);
        r->waves[0] = (ro_wave){.name = strdup("all"), .where = strdup(""), .pop_min = -1, .pop_max = -1};
        if (!r->waves[0].name || !r->waves[0].where) luaL_error(L, "out of memory");
        r->nwaves = 1;
        r->implicit_wave = true;
    }
    int *wave_of = xcalloc(L, count ? count : 1, sizeof *wave_of);   /* node -> wave + 1 */
    for (uint32_t i = 0; i < count; i++) wave_of[i] = 0;
    /* listed codes first, so a list wins over an earlier wave's filters */
    for (int w = 0; w < r->nwaves; w++) {
        ro_wave *wv = &r->waves[w];
        for (int k = 0; k < wv->ncodes; k++) {
            sim_node *n = sim_world_find_node(r->w, wv->codes[k]);
            body *b = n && d ? domain_body(d, n->id) : NULL;
            if (!b || b->kind != BODY_LG) {
                free(wave_of);
                raise(L, wv->where, "wave '%s': unknown local government '%s'", wv->name, wv->codes[k]);
            }
            if (wave_of[n->id]) {
                const char *other = r->waves[wave_of[n->id] - 1].name;
                free(wave_of);
                raise(L, wv->where, "wave '%s': %s is already in wave '%s'", wv->name, wv->codes[k], other);
            }
            wave_of[n->id] = w + 1;
        }
    }
    for (uint32_t i = 0; d && i < count; i++) {
        body *b = domain_body(d, i);
        if (!b || b->kind != BODY_LG || wave_of[i]) continue;
        int pref = (b->code[0] - '0') * 10 + (b->code[1] - '0');
        bool is_pref = b->code[2] == '0' && b->code[3] == '0' && b->code[4] == '0';
        for (int w = 0; w < r->nwaves; w++) {
            ro_wave *wv = &r->waves[w];
            if (wv->ncodes == 0 && wave_matches(wv, b, pref, is_pref)) {
                wave_of[i] = w + 1;
                break;
            }
        }
    }
    int n = 0;
    for (uint32_t i = 0; i < count; i++) n += wave_of[i] != 0;
    r->members = calloc((size_t)(n ? n : 1), sizeof *r->members);
    if (!r->members) {
        free(wave_of);
        luaL_error(L, "out of memory");
    }
    for (uint32_t i = 0; i < count; i++) {
        if (!wave_of[i]) continue;
        body *b = domain_body(d, i);
        ro_member *m = &r->members[r->nmembers++];
        *m = (ro_member){.node = i, .site = b->home, .wave = wave_of[i] - 1, .population = b->population,
                         .live_day = -1};
        snprintf(m->code, sizeof m->code, "%s", b->code);
        m->pref = (b->code[0] - '0') * 10 + (b->code[1] - '0');
        m->is_pref = b->code[2] == '0' && b->code[3] == '0' && b->code[4] == '0';
        r->waves[m->wave].nmembers++;
    }
    free(wave_of);
    qsort(r->members, (size_t)r->nmembers, sizeof *r->members, member_cmp);
    for (int w = 0; w < r->nwaves; w++)
        if (r->waves[w].nmembers == 0 && !r->implicit_wave)
            raise(L, r->waves[w].where, "wave '%s' selects no local government%s", r->waves[w].name,
                  w > 0 ? " (or earlier waves took them all)" : "");
}

static bool applies(const ro *r, const ro_phase *ph, const ro_member *m)
{
    if (ph->kind == KIND_MUNICIPALITY && m->is_pref) return false;
    if (ph->kind == KIND_PREFECTURE && !m->is_pref) return false;
    if (!ph->nwaves) return true;
    for (int i = 0; i < ph->nwaves; i++)
        if (strcmp(ph->waves[i], r->waves[m->wave].name) == 0) return true;
    return false;
}

/* ---- capacities ------------------------------------------------------------------------ */

static int pool_units(const ro_capacity *c, const char *key)
{
    for (int i = 0; i < c->nover; i++)
        if (strcmp(c->over[i].key, key) == 0) return c->over[i].units;
    return c->units;
}

static void add_pool(lua_State *L, ro *r, int cap, const char *key)
{
    if (full(r->npools)) r->pools = xrealloc(L, r->pools, (size_t)(r->npools ? r->npools * 2 : 1) * sizeof *r->pools);
    ro_pool *p = &r->pools[r->npools++];
    *p = (ro_pool){.cap = cap, .units = pool_units(&r->caps[cap], key)};
    snprintf(p->key, sizeof p->key, "%s", key);
    r->caps[cap].npools++;
}

static void make_pools(lua_State *L, ro *r)
{
    for (int c = 0; c < r->ncaps; c++) {
        ro_capacity *cap = &r->caps[c];
        cap->first_pool = r->npools;
        cap->npools = 0;
        for (int k = 0; k < cap->nover; k++) {   /* keys must name something real */
            const char *key = cap->over[k].key;
            bool ok = false;
            if (cap->per == SCOPE_SITE) {
                sim_node *n = sim_world_find_node(r->w, key);
                ok = n && strcmp(n->kind->name, "site") == 0;
            } else if (cap->per == SCOPE_PREF) {
                ok = parse_pref(key) > 0 && strlen(key) == 2;
            } else if (cap->per == SCOPE_WAVE) {
                ok = find_wave(r, key) >= 0;
            }
            if (!ok)
                raise(L, cap->where, "capacity '%s': '%s' is not a %s%s", cap->name, key, ro_scope_name(cap->per),
                      cap->per == SCOPE_PREF ? " number like \"13\"" : "");
        }
        if (cap->per == SCOPE_NATIONAL) {
            add_pool(L, r, c, "national");
        } else if (cap->per == SCOPE_WAVE) {
            for (int w = 0; w < r->nwaves; w++) add_pool(L, r, c, r->waves[w].name);
        } else if (cap->per == SCOPE_PREF) {
            for (int p = 1; p <= 47; p++) {
                bool any = false;
                for (int m = 0; m < r->nmembers && !any; m++) any = r->members[m].pref == p;
                char key[4];
                snprintf(key, sizeof key, "%02d", p);
                if (any) add_pool(L, r, c, key);
            }
        } else {
            uint32_t count = sim_world_node_count(r->w);
            for (uint32_t i = 0; i < count; i++) {
                bool any = false;
                for (int m = 0; m < r->nmembers && !any; m++) any = r->members[m].site == i;
                if (any) add_pool(L, r, c, sim_world_node(r->w, i)->name);
            }
        }
    }
}

/* The pool of capacity `cap` an instance draws on, or raises. */
static int pool_for(lua_State *L, ro *r, const ro_inst *in, int cap, const char *why)
{
    const ro_capacity *c = &r->caps[cap];
    const ro_phase *ph = &r->phases[in->phase];
    char key[40] = "";
    if (c->per == SCOPE_NATIONAL) {
        snprintf(key, sizeof key, "national");
    } else if (ph->scope == SCOPE_LG) {
        const ro_member *m = &r->members[in->entity];
        if (c->per == SCOPE_SITE) snprintf(key, sizeof key, "%s", sim_world_node(r->w, m->site)->name);
        else if (c->per == SCOPE_PREF) snprintf(key, sizeof key, "%02d", m->pref);
        else snprintf(key, sizeof key, "%s", r->waves[m->wave].name);
    } else if (ph->scope == SCOPE_PREF && c->per == SCOPE_PREF) {
        snprintf(key, sizeof key, "%02d", in->entity);
    } else if (ph->scope == SCOPE_WAVE && c->per == SCOPE_WAVE) {
        snprintf(key, sizeof key, "%s", r->waves[in->entity].name);
    } else {
        raise(L, ph->where, "phase '%s' (scope %s) cannot %s capacity '%s', which is kept per %s", ph->name,
              ro_scope_name(ph->scope), why, c->name, ro_scope_name(c->per));
    }
    for (int p = c->first_pool; p < c->first_pool + c->npools; p++)
        if (strcmp(r->pools[p].key, key) == 0) return p;
    raise(L, ph->where, "phase '%s': capacity '%s' has no pool for '%s'", ph->name, c->name, key);
    return -1;
}

/* ---- instances ------------------------------------------------------------------------- */

static uint64_t mix64(uint64_t x)
{
    x += UINT64_C(0x9e3779b97f4a7c15);
    x = (x ^ (x >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94d049bb133111eb);
    return x ^ (x >> 31);
}

static uint64_t hash_text(const char *s)
{
    uint64_t h = UINT64_C(1469598103934665603);   /* FNV-1a */
    for (; *s; s++) h = (h ^ (uint8_t)*s) * UINT64_C(1099511628211);
    return h;
}

const char *ro_entity_label(ro *r, const ro_inst *in, char buf[40])
{
    switch (r->phases[in->phase].scope) {
    case SCOPE_LG: return r->members[in->entity].code;
    case SCOPE_PREF: ro_pref_code(in->entity, buf); return buf;
    case SCOPE_WAVE: return r->waves[in->entity].name;
    default: return "national";
    }
}

const char *ro_group_of(ro *r, const ro_inst *in, bool by_pref, char buf[40])
{
    switch (r->phases[in->phase].scope) {
    case SCOPE_LG:
        if (by_pref) {
            ro_pref_code(r->members[in->entity].pref, buf);
            return buf;
        }
        return r->waves[r->members[in->entity].wave].name;
    case SCOPE_PREF:
        if (by_pref) {
            ro_pref_code(in->entity, buf);
            return buf;
        }
        return NULL;
    case SCOPE_WAVE: return by_pref ? NULL : r->waves[in->entity].name;
    default: return by_pref ? NULL : "national";
    }
}

static void add_int(lua_State *L, int **v, int *n, int x)
{
    if (full(*n)) *v = xrealloc(L, *v, (size_t)(*n ? *n * 2 : 1) * sizeof **v);
    (*v)[(*n)++] = x;
}

static int new_inst(lua_State *L, ro *r, int phase, int entity)
{
    if (full(r->ninst)) r->inst = xrealloc(L, r->inst, (size_t)(r->ninst ? r->ninst * 2 : 1) * sizeof *r->inst);
    ro_inst *in = &r->inst[r->ninst];
    *in = (ro_inst){.phase = phase, .entity = entity, .pool = -1, .slot_pool = -1};
    return r->ninst++;
}

static void make_instances(lua_State *L, ro *r)
{
    for (int p = 0; p < r->nphases; p++) {
        ro_phase *ph = &r->phases[p];
        ph->first_inst = r->ninst;
        ph->inst_of_member = xcalloc(L, (size_t)(r->nmembers ? r->nmembers : 1), sizeof *ph->inst_of_member);
        for (int m = 0; m < r->nmembers; m++) ph->inst_of_member[m] = -1;
        if (ph->scope == SCOPE_NATIONAL) {
            int i = new_inst(L, r, p, 0);
            for (int m = 0; m < r->nmembers; m++)
                if (applies(r, ph, &r->members[m])) {
                    ph->inst_of_member[m] = i;
                    add_int(L, &r->inst[i].members, &r->inst[i].nmembers, m);
                }
        } else if (ph->scope == SCOPE_LG) {
            for (int m = 0; m < r->nmembers; m++)
                if (applies(r, ph, &r->members[m])) {
                    ph->inst_of_member[m] = new_inst(L, r, p, m);
                    r->members[m].nlg++;
                }
        } else {
            int groups = ph->scope == SCOPE_PREF ? 48 : r->nwaves;
            for (int g = ph->scope == SCOPE_PREF ? 1 : 0; g < groups; g++) {
                int i = -1;
                for (int m = 0; m < r->nmembers; m++) {
                    const ro_member *mm = &r->members[m];
                    if ((ph->scope == SCOPE_PREF ? mm->pref : mm->wave) != g || !applies(r, ph, mm)) continue;
                    if (i < 0) i = new_inst(L, r, p, g);
                    ph->inst_of_member[m] = i;
                    add_int(L, &r->inst[i].members, &r->inst[i].nmembers, m);
                }
            }
        }
        ph->ninst = r->ninst - ph->first_inst;
    }
}

static void wire(lua_State *L, ro *r)
{
    int *seen = xcalloc(L, (size_t)(r->ninst ? r->ninst : 1), sizeof *seen);   /* stamp + 1 */
    for (int i = 0; i < r->ninst; i++) {
        ro_inst *in = &r->inst[i];
        ro_phase *ph = &r->phases[in->phase];
        int single = in->entity;
        const int *cover = ph->scope == SCOPE_LG ? &single : in->members;
        int ncover = ph->scope == SCOPE_LG ? 1 : in->nmembers;
        for (int a = 0; a < ph->nafter; a++) {
            ro_ref *ref = &ph->after[a];
            if (ref->is_event) {
                add_int(L, &r->inst[i].evs, &r->inst[i].nevs, ref->index);
                continue;
            }
            ro_phase *dep = &r->phases[ref->index];
            if (dep->scope == SCOPE_NATIONAL || ph->scope == SCOPE_NATIONAL) {
                for (int j = dep->first_inst; j < dep->first_inst + dep->ninst; j++)
                    if (seen[j] != i + 1) {
                        seen[j] = i + 1;
                        add_int(L, &r->inst[i].deps, &r->inst[i].ndeps, j);
                    }
                continue;
            }
            for (int k = 0; k < ncover; k++) {
                int j = dep->inst_of_member[cover[k]];
                if (j >= 0 && seen[j] != i + 1) {
                    seen[j] = i + 1;
                    add_int(L, &r->inst[i].deps, &r->inst[i].ndeps, j);
                }
            }
        }
    }
    free(seen);
    for (int i = 0; i < r->ninst; i++)
        for (int k = 0; k < r->inst[i].ndeps; k++) {
            ro_inst *dep = &r->inst[r->inst[i].deps[k]];
            add_int(L, &dep->users, &dep->nusers, i);
        }
}

/* Phases in dependency order (they have no cycle by now), instances in that order. */
static void order(lua_State *L, ro *r)
{
    int n = r->nphases;
    int *indeg = xcalloc(L, (size_t)(n ? n : 1), sizeof *indeg), *ord = xcalloc(L, (size_t)(n ? n : 1), sizeof *ord);
    for (int p = 0; p < n; p++)
        for (int a = 0; a < r->phases[p].nafter; a++) indeg[p] += !r->phases[p].after[a].is_event;
    int head = 0, tail = 0;
    for (int p = 0; p < n; p++)
        if (!indeg[p]) ord[tail++] = p;
    while (head < tail) {
        int p = ord[head++];
        for (int q = 0; q < n; q++)   /* phases are few: a plain scan */
            for (int a = 0; a < r->phases[q].nafter; a++)
                if (!r->phases[q].after[a].is_event && r->phases[q].after[a].index == p && --indeg[q] == 0)
                    ord[tail++] = q;
    }
    r->topo = calloc((size_t)(r->ninst ? r->ninst : 1), sizeof *r->topo);
    if (!r->topo) {
        free(indeg);
        free(ord);
        luaL_error(L, "out of memory");
    }
    int k = 0;
    for (int o = 0; o < tail; o++) {
        ro_phase *ph = &r->phases[ord[o]];
        ph->order = o;
        for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) r->topo[k++] = i;
    }
    free(indeg);
    free(ord);
}

static void draw_all(lua_State *L, ro *r)
{
    uint64_t seed = sim_world_seed(r->w);
    for (int p = 0; p < r->nphases; p++) {
        ro_phase *ph = &r->phases[p];
        char name[256];
        snprintf(name, sizeof name, "rollout:phase:%s", ph->name);
        sim_rng base;
        sim_rng_derive(&base, seed, name);
        uint64_t phase_seed = sim_rng_next(&base);
        ph->sum_draw = 0;
        for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) {
            ro_inst *in = &r->inst[i];
            char buf[40];
            sim_rng rng;
            sim_rng_seed(&rng, mix64(phase_seed ^ hash_text(ro_entity_label(r, in, buf))));
            in->draw = ro_dist_draw(&ph->dur, &rng);
            ph->sum_draw += in->draw;
            in->need = whole_days(in->draw);
            in->plan_need = whole_days(ph->plan);
            in->redo = sim_rng_bernoulli(&rng, ph->redo_p);
            in->redo_need = whole_days(ro_dist_draw(&ph->redo, &rng));
            if (in->redo && in->redo_need == 0) in->redo = false;
        }
    }
    for (int e = 0; e < r->nevents; e++) {
        ro_event *ev = &r->events[e];
        char name[256];
        snprintf(name, sizeof name, "rollout:event:%s", ev->name);
        sim_rng rng;
        sim_rng_derive(&rng, seed, name);
        int late = whole_days(ro_dist_draw(&ev->late, &rng));   /* drawn even when unused */
        ev->plan_day = ro_day_of_date(r, ev->date);
        ev->day = ev->has_actual ? ro_day_of_date(r, ev->actual)
                                 : ro_day_of_date(r, sim_calendar_add_business_days(
                                       &r->cal, sim_calendar_next_business_day(&r->cal, ev->date), late));
        ev->late_days = ev->day - ev->plan_day;
    }
    (void)L;
}

/* ---- the passes ------------------------------------------------------------------------ */

static void trace(ro *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace(ro *r, const char *fmt, ...)
{
    if (!r->live) return;
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    sim_world_log(r->w, "rollout", text);
}

static void reset_pass(ro *r, bool live)
{
    r->live = live;
    r->today = 0;
    r->remaining = r->ninst;
    r->done = false;
    r->ntesting = 0;
    r->ntests = 0;
    r->nreadiness = 0;
    r->nact = r->ncand = r->nque = 0;
    r->busy = r->fresh = r->nlive = 0;
    for (int p = 0; p < r->npools; p++) {
        r->pools[p].used = r->pools[p].peak = 0;
        r->pools[p].wait_days = 0;
    }
    for (int c = 0; c < r->nlg_phases; c++) r->phase_active[c] = 0;
    for (int m = 0; m < r->nmembers; m++) {
        ro_member *mm = &r->members[m];
        mm->live_day = mm->nlg ? -1 : 0;
        mm->nlg_done = mm->nbusy = mm->nstarted = 0;
        if (mm->nlg) r->fresh++;
        else r->nlive++;
    }
    for (int k = 0; k < r->nms; k++) {
        r->ms[k].day = -1;
        r->ms[k].ndone = 0;
    }
    for (int i = 0; i < r->ninst; i++) {
        ro_inst *in = &r->inst[i];
        in->state = ST_WAITING;
        in->redone = false;
        in->left = in->ndeps;
        in->ready = in->start = in->finish = -1;
        in->progress = in->cap_wait = in->outage = in->redo_days = 0;
        in->test_day = -1;
        in->test_pending = in->test_failed = 0;
        in->ntest_days = 0;
    }
    for (int k = 0; k < r->ninst; k++)
        if (r->inst[r->topo[k]].ndeps == 0) r->cand[r->ncand++] = r->topo[k];
}

static int need_of(const ro *r, const ro_inst *in) { return r->live ? in->need : in->plan_need; }

/* Readiness counters: an lg instance left WAITING (it is queued or active). */
static void left_waiting(ro *r, ro_inst *in)
{
    const ro_phase *ph = &r->phases[in->phase];
    if (ph->scope != SCOPE_LG) return;
    ro_member *m = &r->members[in->entity];
    r->phase_active[ph->column]++;
    if (m->nbusy++ == 0) r->busy++;
    if (m->nstarted++ == 0) r->fresh--;
}

static void finish(ro *r, int i, int d)
{
    ro_inst *in = &r->inst[i];
    ro_phase *ph = &r->phases[in->phase];
    in->state = ST_DONE;
    in->finish = d;
    r->remaining--;
    if (in->pool >= 0) r->pools[in->pool].used -= ph->uses_units;
    for (int k = 0; k < in->nusers; k++) {
        int u = in->users[k];
        if (--r->inst[u].left == 0) r->cand[r->ncand++] = u;
    }
    for (int k = 0; k < r->nms && k < 64; k++)
        if (in->ms_mask & (UINT64_C(1) << k)) r->ms[k].ndone++;
    char buf[40];
    if (ph->scope == SCOPE_LG) {
        ro_member *m = &r->members[in->entity];
        r->phase_active[ph->column]--;
        if (--m->nbusy == 0) r->busy--;
        if (++m->nlg_done == m->nlg) {
            m->live_day = d;
            r->nlive++;
            trace(r, "%s is ready for the live network", m->code);
        }
    }
    trace(r, "finish %s %s", ph->name, ro_entity_label(r, in, buf));
}

static void start(ro *r, int i, int d)
{
    ro_inst *in = &r->inst[i];
    if (in->state == ST_WAITING) left_waiting(r, in);
    in->state = ST_ACTIVE;
    in->start = d;
    r->act[r->nact++] = i;
    char buf[40];
    trace(r, "start %s %s", r->phases[in->phase].name, ro_entity_label(r, in, buf));
}

static bool events_done(const ro *r, const ro_inst *in, int d)
{
    for (int k = 0; k < in->nevs; k++) {
        const ro_event *ev = &r->events[in->evs[k]];
        if ((r->live ? ev->day : ev->plan_day) > d) return false;
    }
    return true;
}

/* Capacity goes first to the instance ready (or started) longest ago, then in plan order. */
typedef struct sort_item {
    int key, pos, inst;
} sort_item;

static int item_cmp(const void *a, const void *b)
{
    const sort_item *x = a, *y = b;
    if (x->key != y->key) return x->key - y->key;
    return x->pos - y->pos;
}

static void test_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node);

static void run_test(ro *r, int i, int d)
{
    ro_inst *in = &r->inst[i];
    in->test_day = d;
    in->test_failed = 0;
    in->test_pending = 0;
    r->testing[r->ntesting++] = i;
    if (!r->live) return;
    if (in->ntest_days == in->cap_test_days) {
        int cap = in->cap_test_days ? in->cap_test_days * 2 : 8;
        int *p = realloc(in->test_days, (size_t)cap * sizeof *p);
        if (!p) return;
        in->test_days = p;
        in->cap_test_days = cap;
    }
    in->test_days[in->ntest_days++] = d;
    in->test_pending = (uint16_t)r->phases[in->phase].inquiries;
    /* Tests spread over the day from half an hour after opening, a minute apart. */
    sim_time_t open = sim_date_time(r->days[d]) + r->cal.open;
    sim_time_t at = open + 30 * SIM_MIN + (int64_t)r->tests_today++ * SIM_MIN;
    if (at < sim_world_now(r->w)) at = sim_world_now(r->w);
    if (sim_world_schedule(r->w, at, test_event, r, (uint64_t)i, 0, NULL) < 0) in->test_failed = in->test_pending;
}

static void record_readiness(ro *r)
{
    int cols = r->nlg_phases + 3;
    if (r->nreadiness == r->cap_readiness) {
        int cap = r->cap_readiness ? r->cap_readiness * 2 : 256;
        int32_t *p = realloc(r->readiness, (size_t)cap * (size_t)cols * sizeof *p);
        if (!p) return;
        r->readiness = p;
        r->cap_readiness = cap;
    }
    int32_t *row = &r->readiness[(size_t)r->nreadiness++ * (size_t)cols];
    /* members in each lg phase (a member in two phases at once counts in both), members
     * that have not started, members between phases, members ready for the live network */
    for (int c = 0; c < r->nlg_phases; c++) row[c] = r->phase_active[c];
    row[r->nlg_phases] = r->fresh;
    row[r->nlg_phases + 1] = r->nmembers - r->nlive - r->busy - r->fresh;
    row[r->nlg_phases + 2] = r->nlive;
}

/* One business day: results of yesterday's tests, finishes, starts, capacity, today's tests,
 * today's work. Instances move between three worklists (candidates, queued, active), so a
 * day costs what is in progress, not the whole plan. */
static void step(ro *r)
{
    int d = r->today;
    r->tests_today = 0;
    /* A: yesterday's test days */
    for (int k = 0; k < r->ntests; k++) sim_map_del(&r->flows, r->tests[k].flow, NULL);   /* late: ignored */
    r->ntests = 0;
    for (int k = 0; k < r->ntesting; k++) {
        ro_inst *in = &r->inst[r->testing[k]];
        char buf[40];
        if (in->test_pending == 0 && in->test_failed == 0) {
            in->progress++;
        } else {
            in->outage++;
            trace(r, "test of %s %s failed (%d of %d inquiries): again on the next business day",
                  r->phases[in->phase].name, ro_entity_label(r, in, buf), in->test_failed + in->test_pending,
                  r->phases[in->phase].inquiries);
        }
    }
    r->ntesting = 0;
    /* B: finish what is done (or do it again) */
    int kept = 0;
    for (int k = 0; k < r->nact; k++) {
        int i = r->act[k];
        ro_inst *in = &r->inst[i];
        if (in->progress >= need_of(r, in)) {
            if (r->live && in->redo && !in->redone) {
                in->redone = true;
                in->need += in->redo_need;
                in->redo_days = in->redo_need;
                char buf[40];
                trace(r, "redo %s %s: %d more business days", r->phases[in->phase].name,
                      ro_entity_label(r, in, buf), in->redo_need);
            } else {
                finish(r, i, d);
                continue;
            }
        }
        r->act[kept++] = i;
    }
    r->nact = kept;
    /* and start what is ready; what finishes at once releases more the same day */
    kept = 0;
    for (int k = 0; k < r->ncand; k++) {
        int i = r->cand[k];
        ro_inst *in = &r->inst[i];
        if (in->earliest > d || !events_done(r, in, d)) {
            r->cand[kept++] = i;
            continue;
        }
        in->ready = d;
        if (in->pool >= 0) {
            left_waiting(r, in);
            in->state = ST_QUEUED;
            r->que[r->nque++] = i;
            continue;
        }
        start(r, i, d);
        if (need_of(r, in) == 0) {
            finish(r, i, d);
            r->nact--;   /* it was the last one added */
        }
    }
    r->ncand = kept;
    /* C: units held for a whole phase */
    sort_item *items = r->scratch;
    int nq = 0;
    for (int k = 0; k < r->nque; k++) {
        const ro_inst *in = &r->inst[r->que[k]];
        items[nq++] = (sort_item){in->ready, in->pos, r->que[k]};
    }
    qsort(items, (size_t)nq, sizeof *items, item_cmp);
    r->nque = 0;
    for (int q = 0; q < nq; q++) {
        int i = items[q].inst;
        ro_inst *in = &r->inst[i];
        ro_pool *pool = &r->pools[in->pool];
        int units = r->phases[in->phase].uses_units;
        if (pool->used + units <= pool->units) {
            pool->used += units;
            if (pool->used > pool->peak) pool->peak = pool->used;
            start(r, i, d);
            if (need_of(r, in) == 0) {
                finish(r, i, d);   /* its dependents start tomorrow */
                r->nact--;
            }
        } else {
            in->cap_wait++;
            pool->wait_days++;
            r->que[r->nque++] = i;
        }
    }
    /* D: test slots of the day */
    for (int p = 0; p < r->npools; p++)
        if (r->caps[r->pools[p].cap].daily) r->pools[p].used = 0;
    nq = 0;
    for (int k = 0; k < r->nact; k++) {
        const ro_inst *in = &r->inst[r->act[k]];
        if (r->phases[in->phase].tests && in->progress < need_of(r, in))
            items[nq++] = (sort_item){in->start, in->pos, r->act[k]};
    }
    qsort(items, (size_t)nq, sizeof *items, item_cmp);
    for (int q = 0; q < nq; q++) {
        int i = items[q].inst;
        ro_inst *in = &r->inst[i];
        if (in->slot_pool < 0) {
            run_test(r, i, d);
            continue;
        }
        ro_pool *pool = &r->pools[in->slot_pool];
        if (pool->used < pool->units) {
            pool->used++;
            if (pool->used > pool->peak) pool->peak = pool->used;
            run_test(r, i, d);
        } else {
            in->cap_wait++;
            pool->wait_days++;
        }
    }
    /* E: a day of work */
    for (int k = 0; k < r->nact; k++) {
        ro_inst *in = &r->inst[r->act[k]];
        if (!r->phases[in->phase].tests) in->progress++;
    }
    if (r->live) record_readiness(r);
    r->today = d + 1;
    if (r->remaining == 0) r->done = true;
}

/* ---- the live pass in the world -------------------------------------------------------- */

static sim_time_t tick_time(ro *r, int day)
{
    sim_time_t t = sim_date_time(ro_date_of_day(r, day)) + r->cal.open;
    return t < sim_world_start(r->w) ? sim_world_start(r->w) : t;
}

static void check_milestones(ro *r)
{
    for (int k = 0; k < r->nms; k++) {
        ro_milestone *m = &r->ms[k];
        if (m->day >= 0 || (k < 64 && m->ndone < m->need)) continue;
        if (ro_milestone_eval(r, m, false) < 0) continue;
        char when[SIM_DATE_BUFSZ], target[SIM_DATE_BUFSZ];
        sim_date_format(ro_date_of_day(r, m->day), when, sizeof when);
        sim_date_format(m->target, target, sizeof target);
        trace(r, "milestone '%s' reached on %s (target %s)", m->name, when, target);
    }
}

static void tick_event(sim_world *w, void *ptr, uint64_t tag, uint32_t node)
{
    ro *r = ptr;
    step(r);
    check_milestones(r);
    if (r->done) {
        trace(r, "the schedule is complete");
        return;
    }
    sim_world_schedule(w, tick_time(r, r->today), tick_event, r, 0, 0, NULL);
}

static bool pass_ok(flow_error e) { return e == FLOW_OK || e == FLOW_NOT_FOUND; }

static void test_event(sim_world *w, void *ptr, uint64_t tag, uint32_t unused)
{
    ro *r = ptr;
    int i = (int)tag;
    ro_inst *in = &r->inst[i];
    const ro_phase *ph = &r->phases[in->phase];
    const ro_member *m = &r->members[in->entity];
    sim_node *n = sim_world_node(w, m->node);
    domain *d = sim_world_userdata(w, SIM_UD_DOMAIN);
    body *b = d ? domain_body(d, m->node) : NULL;
    uint32_t partner = ph->partner_node;
    if (partner == UINT32_MAX) {
        char code[8];
        ro_pref_code(m->pref, code);
        sim_node *p = sim_world_find_node(w, code);
        partner = p ? p->id : m->node;
    }
    for (int k = 0; k < ph->inquiries; k++) {
        uint64_t flow = 0;
        if (n && n->up && b && b->nresidents) {
            uint32_t addressee = 1 + (uint32_t)((unsigned)(in->test_day + k) % b->nresidents);
            flow = body_inquire(n, addressee, ph->proc_index, partner, 1);
        }
        r->inquiries++;
        if (!flow) {   /* its own systems are down: the test cannot even start */
            in->test_pending--;
            in->test_failed++;
            r->inquiries_failed++;
            continue;
        }
        if (r->ntests == r->cap_tests) {
            int cap = r->cap_tests ? r->cap_tests * 2 : 256;
            ro_test_flow *p = realloc(r->tests, (size_t)cap * sizeof *p);
            if (!p) abort();
            r->tests = p;
            r->cap_tests = cap;
        }
        r->tests[r->ntests] = (ro_test_flow){flow, i};
        if (sim_map_put(&r->flows, flow, (uint64_t)r->ntests + 1) < 0) abort();
        r->ntests++;
    }
}

static void on_flow_end(void *ud, body *b, flow_kind kind, uint64_t flow, flow_error e, const flow_msg *m)
{
    ro *r = ud;
    uint64_t idx;
    if (kind != FLOW_INQUIRY || !sim_map_del(&r->flows, flow, &idx)) return;
    ro_inst *in = &r->inst[r->tests[idx - 1].inst];
    if (in->test_pending) in->test_pending--;
    if (!pass_ok(e)) {
        in->test_failed++;
        r->inquiries_failed++;
    }
}

/* ---- milestones and the critical path -------------------------------------------------- */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static bool ms_covers(const ro *r, const ro_milestone *m, const ro_inst *in)
{
    if (m->wave_index < 0) return true;
    switch (r->phases[in->phase].scope) {
    case SCOPE_LG: return r->members[in->entity].wave == m->wave_index;
    case SCOPE_WAVE: return in->entity == m->wave_index;
    case SCOPE_NATIONAL: return true;
    default:
        for (int k = 0; k < in->nmembers; k++)
            if (r->members[in->members[k]].wave == m->wave_index) return true;
        return false;
    }
}

int ro_milestone_eval(ro *r, ro_milestone *m, bool planned)
{
    int day = 0, at = -1, at_event = -1, n = 0;
    for (int a = 0; a < m->nafter; a++) {
        ro_ref *ref = &m->after[a];
        if (ref->is_event) {
            const ro_event *ev = &r->events[ref->index];
            int ed = planned ? ev->plan_day : ev->day;
            if (!planned && !r->done && ed >= r->today) return -1;   /* not happened yet */
            if (at_event < 0 || ed > day) {
                day = ed > day ? ed : day;
                at_event = ref->index;
            }
            continue;
        }
        const ro_phase *ph = &r->phases[ref->index];
        for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) n += ms_covers(r, m, &r->inst[i]);
    }
    if (n > 0) {
        int *f = malloc((size_t)n * sizeof *f), k = 0;
        if (!f) return -1;
        for (int a = 0; a < m->nafter; a++) {
            if (m->after[a].is_event) continue;
            const ro_phase *ph = &r->phases[m->after[a].index];
            for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) {
                const ro_inst *in = &r->inst[i];
                if (!ms_covers(r, m, in)) continue;
                int fin = planned ? in->b_finish : in->finish;
                f[k++] = fin < 0 ? INT32_MAX : fin;
            }
        }
        qsort(f, (size_t)n, sizeof *f, cmp_int);
        int need = (int)ceil(m->share * n - 1e-9);
        if (need < 1) need = 1;
        int q = f[need - 1];
        free(f);
        if (q == INT32_MAX) return -1;
        if (q >= day) {
            day = q;
            at_event = -1;
            for (int a = 0; a < m->nafter && at < 0; a++) {   /* the instance that finished then */
                if (m->after[a].is_event) continue;
                const ro_phase *ph = &r->phases[m->after[a].index];
                for (int i = ph->first_inst; i < ph->first_inst + ph->ninst && at < 0; i++)
                    if (ms_covers(r, m, &r->inst[i]) && (planned ? r->inst[i].b_finish : r->inst[i].finish) == q) at = i;
            }
        }
    }
    if (planned) {
        m->plan_day = day;
    } else {
        m->day = day;
        m->at_inst = at;
        m->at_event = at_event;
    }
    return day;
}

int ro_critical_path(ro *r, int end, int **out, const char **via)
{
    int n = 0, cap = 16;
    int *path = malloc((size_t)cap * sizeof *path);
    *via = "start";
    if (!path) return -ENOMEM;
    for (int i = end, guard = 0; i >= 0 && guard <= r->ninst; guard++) {
        if (n == cap) {
            int *p = realloc(path, (size_t)(cap *= 2) * sizeof *p);
            if (!p) break;
            path = p;
        }
        path[n++] = i;
        const ro_inst *in = &r->inst[i];
        int best = -1, best_day = -1, best_event = -1;
        for (int k = 0; k < in->ndeps; k++) {
            const ro_inst *dep = &r->inst[in->deps[k]];
            if (dep->finish > best_day) {
                best_day = dep->finish;
                best = in->deps[k];
            }
        }
        for (int k = 0; k < in->nevs; k++)
            if (r->events[in->evs[k]].day > best_day) {
                best_day = r->events[in->evs[k]].day;
                best = -1;
                best_event = in->evs[k];
            }
        if (best_day < 0) {
            *via = in->earliest > 0 ? "not_before" : "start";
            break;
        }
        if (in->earliest > best_day) {
            *via = "not_before";
            break;
        }
        if (best < 0) {
            if (n == cap) {
                int *p = realloc(path, (size_t)(cap *= 2) * sizeof *p);
                if (!p) break;
                path = p;
            }
            path[n++] = -(best_event + 2);
            *via = "external";
            break;
        }
        i = best;
    }
    for (int a = 0, b = n - 1; a < b; a++, b--) {   /* from the start */
        int t = path[a];
        path[a] = path[b];
        path[b] = t;
    }
    *out = path;
    return n;
}

void ro_inst_slips(ro *r, const ro_inst *in, int out[SLIP_CAUSES])
{
    memset(out, 0, SLIP_CAUSES * sizeof *out);
    if (in->ready >= 0) out[SLIP_DEPENDENCY] = in->ready > in->b_ready ? in->ready - in->b_ready : 0;
    else if (r->today > in->b_ready) out[SLIP_DEPENDENCY] = r->today - in->b_ready;
    out[SLIP_CAPACITY] = in->cap_wait > in->b_wait ? in->cap_wait - in->b_wait : 0;
    out[SLIP_REDO] = in->redo_days;
    out[SLIP_OUTAGE] = in->outage;
    int drawn = in->need - in->redo_days;
    if (in->start >= 0 && drawn > in->plan_need) out[SLIP_OVERRUN] = drawn - in->plan_need;
}

/* ---- prepare --------------------------------------------------------------------------- */

static void resolve_tests(lua_State *L, ro *r, ro_phase *ph)
{
    domain *d = sim_world_userdata(r->w, SIM_UD_DOMAIN);
    if (ph->scope != SCOPE_LG)
        raise(L, ph->where, "phase '%s': connection tests are run by each local government (scope \"lg\")", ph->name);
    if (ph->ninst && !d) raise(L, ph->where, "phase '%s': connection tests need the national flow (nws, sites, lg{})", ph->name);
    if (!d) return;
    int provider_agency = -1;
    ph->partner_node = UINT32_MAX;
    if (ph->partner && strcmp(ph->partner, "prefecture") != 0) {
        sim_node *n = sim_world_find_node(r->w, ph->partner);
        body *b = n ? domain_body(d, n->id) : NULL;
        if (!b) raise(L, ph->where, "phase '%s': test partner '%s' is not a local government or an agency", ph->name, ph->partner);
        ph->partner_node = n->id;
        provider_agency = b->kind == BODY_AGENCY ? b->agency_index : -1;
    } else if (!ph->partner) {
        uint32_t count = sim_world_node_count(r->w);
        for (uint32_t i = 0; i < count && ph->partner_node == UINT32_MAX; i++) {
            body *b = domain_body(d, i);
            if (b && b->kind == BODY_AGENCY) {
                ph->partner_node = i;
                provider_agency = b->agency_index;
            }
        }
    }
    if (ph->procedure) {
        ph->proc_index = domain_procedure(d, ph->procedure);
        if (ph->proc_index < 0) raise(L, ph->where, "phase '%s': unknown procedure '%s'", ph->name, ph->procedure);
    } else {
        ph->proc_index = -1;
        for (int p = 0; p < d->nprocs && ph->proc_index < 0; p++)
            if (d->procs[p].inquirer_agency < 0 && d->procs[p].provider_agency == provider_agency) ph->proc_index = p;
        if (ph->proc_index < 0 && ph->ninst)
            raise(L, ph->where, "phase '%s': the permission table has no procedure a local government asks %s; name one with tests = { procedure = ... }",
                  ph->name, provider_agency >= 0 ? d->agencies[provider_agency] : "another local government");
    }
    for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) {
        body *b = domain_body(d, r->members[r->inst[i].entity].node);
        if (!b->nresidents)
            raise(L, ph->where, "phase '%s': connection tests need residents (residents{} in the topology; %s has none)",
                  ph->name, b->code);
    }
}

static void resolve_capacities(lua_State *L, ro *r)
{
    int ndaily = 0, daily = -1;
    for (int c = 0; c < r->ncaps; c++)
        if (r->caps[c].daily) {
            ndaily++;
            daily = c;
        }
    for (int p = 0; p < r->nphases; p++) {
        ro_phase *ph = &r->phases[p];
        ph->uses_cap = ph->slots_cap = -1;
        if (ph->uses) {
            ph->uses_cap = find_cap(r, ph->uses);
            if (ph->uses_cap < 0) raise(L, ph->where, "phase '%s': unknown capacity '%s'", ph->name, ph->uses);
            if (r->caps[ph->uses_cap].daily)
                raise(L, ph->where, "phase '%s': capacity '%s' is daily test slots; 'uses' holds units for the whole phase",
                      ph->name, ph->uses);
        }
        if (!ph->tests) {
            if (ph->slots) raise(L, ph->where, "phase '%s': 'slots' is for phases with tests", ph->name);
            continue;
        }
        if (ph->slots) {
            ph->slots_cap = find_cap(r, ph->slots);
            if (ph->slots_cap < 0) raise(L, ph->where, "phase '%s': unknown capacity '%s'", ph->name, ph->slots);
            if (!r->caps[ph->slots_cap].daily)
                raise(L, ph->where, "phase '%s': capacity '%s' is not daily (give it daily = true for test slots)", ph->name, ph->slots);
        } else if (ndaily > 1) {
            raise(L, ph->where, "phase '%s': there are several daily capacities; name one with tests = { slots = ... }", ph->name);
        } else {
            ph->slots_cap = daily;
        }
    }
}

int ro_prepare(lua_State *L, ro *r)
{
    if (r->prepared) return luaL_error(L, "the schedule is already prepared");
    r->prepared = true;
    if (!r->has_start) r->start_date = sim_date_of(sim_world_start(r->w));
    /* names */
    for (int p = 0; p < r->nphases; p++) {
        ro_phase *ph = &r->phases[p];
        char what[160];
        snprintf(what, sizeof what, "phase '%s'", ph->name);
        resolve_refs(L, r, ph->after, ph->nafter, ph->where, what);
        for (int w = 0; w < ph->nwaves; w++)
            if (find_wave(r, ph->waves[w]) < 0)
                raise(L, ph->where, "phase '%s': unknown wave '%s'", ph->name, ph->waves[w]);
        if (ph->has_not_before && ph->has_deadline && ph->deadline < ph->not_before)
            raise(L, ph->where, "phase '%s': the deadline is before the phase may start", ph->name);
    }
    for (int k = 0; k < r->nms; k++) {
        ro_milestone *m = &r->ms[k];
        char what[160];
        snprintf(what, sizeof what, "milestone '%s'", m->name);
        resolve_refs(L, r, m->after, m->nafter, m->where, what);
        m->wave_index = -1;
        if (m->wave && (m->wave_index = find_wave(r, m->wave)) < 0)
            raise(L, m->where, "milestone '%s': unknown wave '%s'", m->name, m->wave);
    }
    if (r->critical) {
        bool found = false;
        for (int k = 0; k < r->nms; k++) found |= strcmp(r->ms[k].name, r->critical) == 0;
        if (!found) raise(L, r->where, "schedule: 'critical' names no milestone ('%s')", r->critical);
    }
    check_cycles(L, r);
    resolve_capacities(L, r);
    /* members, instances and their wiring */
    select_members(L, r);
    make_instances(L, r);
    wire(L, r);
    order(L, r);
    make_pools(L, r);
    for (int c = 0; c < r->ncaps; c++) {
        ro_capacity *cap = &r->caps[c];
        for (int p = cap->first_pool; p < cap->first_pool + cap->npools; p++)
            if (r->pools[p].units < 1)
                raise(L, cap->where, "capacity '%s': %s has %d units (at least 1)", cap->name, r->pools[p].key, r->pools[p].units);
    }
    for (int p = 0; p < r->nphases; p++) {
        ro_phase *ph = &r->phases[p];
        if (ph->tests) resolve_tests(L, r, ph);
        for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++) {
            ro_inst *in = &r->inst[i];
            if (ph->uses_cap >= 0) {
                in->pool = pool_for(L, r, in, ph->uses_cap, "hold");
                if (r->pools[in->pool].units < ph->uses_units)
                    raise(L, ph->where, "phase '%s' holds %d units of '%s' but %s has only %d", ph->name, ph->uses_units,
                          r->caps[ph->uses_cap].name, r->pools[in->pool].key, r->pools[in->pool].units);
            }
            if (ph->slots_cap >= 0) in->slot_pool = pool_for(L, r, in, ph->slots_cap, "test in");
            in->earliest = 0;
            if (ph->has_not_before) in->earliest = ro_day_of_date(r, ph->not_before);
            int wave = ph->scope == SCOPE_LG ? r->members[in->entity].wave : ph->scope == SCOPE_WAVE ? in->entity : -1;
            if (wave >= 0 && r->waves[wave].has_start) {
                int ws = ro_day_of_date(r, r->waves[wave].start);
                if (ws > in->earliest) in->earliest = ws;
            }
        }
    }
    r->nlg_phases = 0;
    r->lg_phases = xcalloc(L, (size_t)(r->nphases ? r->nphases : 1), sizeof *r->lg_phases);
    for (int p = 0; p < r->nphases; p++)
        if (r->phases[p].scope == SCOPE_LG) r->lg_phases[r->nlg_phases++] = p;
    size_t n = (size_t)(r->ninst ? r->ninst : 1);
    r->act = xcalloc(L, n, sizeof *r->act);
    r->cand = xcalloc(L, n, sizeof *r->cand);
    r->que = xcalloc(L, n, sizeof *r->que);
    r->scratch = xcalloc(L, n, sizeof(sort_item));
    r->testing = xcalloc(L, n, sizeof *r->testing);
    r->phase_active = xcalloc(L, (size_t)(r->nphases ? r->nphases : 1), sizeof *r->phase_active);
    for (int p = 0; p < r->nphases; p++) r->phases[p].column = -1;
    for (int c = 0; c < r->nlg_phases; c++) r->phases[r->lg_phases[c]].column = c;
    for (int k = 0; k < r->ninst; k++) r->inst[r->topo[k]].pos = k;
    for (int k = 0; k < r->nms; k++) {   /* which instances each milestone counts */
        ro_milestone *m = &r->ms[k];
        m->nrel = 0;
        for (int a = 0; a < m->nafter; a++) {
            if (m->after[a].is_event) continue;
            const ro_phase *ph = &r->phases[m->after[a].index];
            for (int i = ph->first_inst; i < ph->first_inst + ph->ninst; i++)
                if (ms_covers(r, m, &r->inst[i])) {
                    m->nrel++;
                    if (k < 64) r->inst[i].ms_mask |= UINT64_C(1) << k;
                }
        }
        m->need = m->nrel ? (int)ceil(m->share * m->nrel - 1e-9) : 0;
        if (m->nrel && m->need < 1) m->need = 1;
    }
    draw_all(L, r);

    /* the planned pass */
    reset_pass(r, false);
    while (!r->done) {
        if (r->today > 50000)
            raise(L, r->where, "schedule: the plan does not finish within 200 years of business days");
        step(r);
    }
    for (int i = 0; i < r->ninst; i++) {
        ro_inst *in = &r->inst[i];
        in->b_ready = in->ready;
        in->b_start = in->start;
        in->b_finish = in->finish;
        in->b_wait = in->cap_wait;
    }
    for (int k = 0; k < r->nms; k++) ro_milestone_eval(r, &r->ms[k], true);

    /* the live pass, in the world */
    reset_pass(r, true);
    domain *d = sim_world_userdata(r->w, SIM_UD_DOMAIN);
    if (d && domain_add_flow_listener(d, on_flow_end, r) < 0) return luaL_error(L, "rollout: too many flow listeners");
    if (sim_world_schedule(r->w, tick_time(r, 0), tick_event, r, 0, 0, NULL) < 0)
        return luaL_error(L, "rollout: cannot schedule the first business day");
    return 0;
}

void ro_free_phase(ro_phase *ph)
{
    free(ph->name);
    free(ph->where);
    for (int a = 0; a < ph->nafter; a++) free(ph->after[a].name);
    free(ph->after);
    free(ph->uses);
    free(ph->slots);
    free(ph->partner);
    free(ph->procedure);
    for (int w = 0; w < ph->nwaves; w++) free(ph->waves[w]);
    free(ph->waves);
    free(ph->inst_of_member);
}

void ro_free_event(ro_event *ev)
{
    free(ev->name);
    free(ev->where);
}

void ro_free_wave(ro_wave *wv)
{
    free(wv->name);
    free(wv->where);
    for (int k = 0; k < wv->nprefs; k++) free(wv->prefs[k]);
    free(wv->prefs);
    for (int k = 0; k < wv->ncodes; k++) free(wv->codes[k]);
    free(wv->codes);
}

void ro_free_capacity(ro_capacity *c)
{
    free(c->name);
    free(c->where);
    for (int k = 0; k < c->nover; k++) free(c->over[k].key);
    free(c->over);
}

void ro_free_milestone(ro_milestone *m)
{
    free(m->name);
    free(m->where);
    for (int a = 0; a < m->nafter; a++) free(m->after[a].name);
    free(m->after);
    free(m->wave);
}

void ro_free(ro *r)
{
    for (int p = 0; p < r->nphases; p++) ro_free_phase(&r->phases[p]);
    free(r->phases);
    for (int e = 0; e < r->nevents; e++) ro_free_event(&r->events[e]);
    free(r->events);
    for (int w = 0; w < r->nwaves; w++) ro_free_wave(&r->waves[w]);
    free(r->waves);
    for (int c = 0; c < r->ncaps; c++) ro_free_capacity(&r->caps[c]);
    free(r->caps);
    free(r->pools);
    for (int k = 0; k < r->nms; k++) ro_free_milestone(&r->ms[k]);
    free(r->ms);
    free(r->members);
    for (int i = 0; i < r->ninst; i++) {
        ro_inst *in = &r->inst[i];
        free(in->members);
        free(in->deps);
        free(in->users);
        free(in->evs);
        free(in->test_days);
    }
    free(r->inst);
    free(r->topo);
    free(r->lg_phases);
    free(r->days);
    free(r->act);
    free(r->cand);
    free(r->que);
    free(r->scratch);
    free(r->phase_active);
    free(r->tests);
    free(r->testing);
    free(r->readiness);
    free(r->critical);
    free(r->where);
    sim_map_free(&r->flows);
    sim_calendar_free(&r->cal);
}
